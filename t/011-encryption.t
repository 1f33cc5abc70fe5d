# PII encryption in the request: every PII field (and the key field) of
# the contract leaves nginx as a Tink AES-SIV ciphertext under the key
# of the session's key link; the key goes, wrapped by the KEK, to the
# keys topic before the event is acknowledged.  Decryption here is
# python3-cryptography's (t/lib/strm-decrypt), not our C.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

repeat_each(1);
workers(2);
master_on();

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: one session: one key link, the same ciphertext for the same value; another session: another key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
["POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
     consistentValue => "PII-session-A", uniqueIdentifier => "PII-user-A")),
 "POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
     consistentValue => "PII-session-A", uniqueIdentifier => "PII-user-A")),
 "POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
     consistentValue => "PII-session-B", uniqueIdentifier => "PII-user-A"))]
--- error_code eval
[204, 204, 204]
--- strm_check
my $recs = strm_kafka_records($topic, min => 3);
is(scalar @$recs, 3, "three events");
my @ev = map { JSON::PP::decode_json($_->{value}) } @$recs;
my %by;
push @{ $by{ $_->{strmMeta}{keyLink} } }, $_ for @ev;
is(scalar keys %by, 2, "two sessions, two key links");
my ($a) = grep { @$_ == 2 } values %by;
ok($a, "the two events of session A share a key link");
is($a->[0]{uniqueIdentifier}, $a->[1]{uniqueIdentifier},
   "the same value under one key link: the same ciphertext");
my ($b) = grep { @$_ == 1 } values %by;
isnt($b->[0]{uniqueIdentifier}, $a->[0]{uniqueIdentifier},
     "the same value under another key link: another ciphertext");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{uniqueIdentifier} eq "PII-user-A" } @$dec), 3,
   "every event decrypts with its key link's key from the keys topic");
unlike(join("", map { $_->{value} } @$recs), qr/PII-/,
       "no PII value in clear in the topic");
my $keys = strm_kafka_records("$topic-keys", min => 2);
my %klinks = map { $_->{key} => 1 } @$keys;
ok($klinks{$_}, "the keys topic holds key link $_") for keys %by;
unlike(join("", map { $_->{value} } @$keys), qr/PII-/,
       "nor in the keys topic");
--- no_error_log
PII-
[error]
[alert]



=== TEST 2: a forced rotation (strm_key_rotation 2s) gives the session a new key link
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_key_rotation 2s;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-session-R"))
--- error_code: 204
--- strm_check
use Time::HiRes qw(sleep);
sleep 2.5;
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
open my $fh, '>', "/tmp/strm-rot-$$.json" or die $!;
print $fh strm_json(strm_demo_event(consistentValue => "PII-session-R"));
close $fh;
my ($s) = strm_curl("-H 'Content-Type: application/json' "
    . "-H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' "
    . "--data-binary \@/tmp/strm-rot-$$.json $url");
unlink "/tmp/strm-rot-$$.json";
is($s, 204, "the same session after the window");
my $recs = strm_kafka_records($topic, min => 2);
my @links = map { JSON::PP::decode_json($_->{value})->{strmMeta}{keyLink} } @$recs;
is(scalar @links, 2, "two events");
isnt($links[0], $links[1], "under two key links");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{consistentValue} eq "PII-session-R" } @$dec), 2,
   "both decrypt");
--- no_error_log
[error]



=== TEST 3: two workers, a burst of first events of one new session: one key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 405
--- strm_check
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
my $body = strm_json(strm_demo_event(consistentValue => "PII-burst-session"));
my $res = strm_burst(url => $url, n => 60, parallel => 20, body => $body,
    headers => ["Content-Type: application/json",
                "Strm-Schema-Ref: strmprivacy/demo/1.0.2"]);
is(scalar(grep { $_->[0] == 204 } @$res), 60, "60 events accepted");
my $recs = strm_kafka_records($topic, min => 60);
my %links = map { JSON::PP::decode_json($_->{value})->{strmMeta}{keyLink} => 1 } @$recs;
is(scalar keys %links, 1, "exactly one key link for the session");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{consistentValue} eq "PII-burst-session" } @$dec),
   60, "all decrypt");
--- no_error_log
[error]
[alert]



=== TEST 4: kill -9 after acknowledged events, the store deleted: the keys topic rebuilds a store for every key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
[map { "POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(
     producerSessionId => "PII-kill-$_")) } 1 .. 5]
--- error_code eval
[(204) x 5]
--- strm_check
my $pid = strm_nginx_pid();
my @workers = split ' ', `pgrep -P $pid`;
kill 'KILL', $pid, @workers;
sleep 0.5;
my $sr = Test::Nginx::Socket::server_root();
unlink "$sr/keys.mdb", "$sr/keys.mdb-lock";
ok(!-e "$sr/keys.mdb", "the store is gone");
my $recs = strm_kafka_records($topic, min => 5);
my %links = map { JSON::PP::decode_json($_->{value})->{strmMeta}{keyLink} => 1 } @$recs;
is(scalar keys %links, 5, "five sessions, five key links");
my $store = "/tmp/strm-rebuilt-$$.mdb";
my $out = `$Strm::Test::Root/build/strm-keys -s $store sync -b $ENV{TEST_NGINX_STRM_BROKERS} -t $topic-keys -o`;
like($out, qr/"copied":\d+/, "strm-keys sync rebuilt a store");
my %have = map { /"keyLink":"([^"]+)"/ ? ($1 => 1) : () }
    `$Strm::Test::Root/build/strm-keys -s $store list`;
ok($have{$_}, "the rebuilt store holds key link $_") for keys %links;
my $ex = "/tmp/strm-export-$$.jsonl";
system("$Strm::Test::Root/build/strm-keys -s $store -k $Strm::Test::Root/t/data/test-kek.json export > $ex");
is($? >> 8, 0, "strm-keys export of the rebuilt store");
open my $ef, '>', "/tmp/strm-events-$$.jsonl" or die $!;
print $ef JSON::PP::encode_json($_), "\n" for @$recs;
close $ef;
my @fromstore = map { JSON::PP::decode_json($_) }
    `$Strm::Test::Root/t/lib/strm-decrypt - $ex < /tmp/strm-events-$$.jsonl`;
is(scalar(grep { ($_->{event}{producerSessionId} // '') =~ /^PII-kill-\d$/ } @fromstore),
   5, "the rebuilt store's keys, exported as Tink keysets, decrypt every event");
unlink $store, "$store-lock", $ex, "/tmp/strm-events-$$.jsonl";
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { ($_->{event}{producerSessionId} // '') =~ /^PII-kill-\d$/ } @$dec),
   5, "every event decrypts with the keys from Kafka");
--- no_error_log
[alert]



=== TEST 5: config: checked ingest without a key store
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    # no keys
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
"strm_ingest" encrypts PII fields with keys of "strm_keys_store", which is not set



=== TEST 6: config: a key store without a KEK
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
"strm_keys_store" needs "strm_keys_kek", the key-encryption key



=== TEST 7: config: a KEK file that does not exist
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
    strm_keys_kek /nonexistent/kek.json;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
strm_keys_kek "/nonexistent/kek.json": cannot open



=== TEST 8: config: a KEK that is not an AES-GCM keyset
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
    strm_keys_kek $TEST_NGINX_STRM_ROOT/t/data/daead-keyset.json;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
the key-encryption key must be an AES-GCM keyset



=== TEST 9: config: a KEK file that is not a keyset
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
    strm_keys_kek $TEST_NGINX_STRM_ROOT/t/data/README.md;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
strm_keys_kek "



=== TEST 10: config: a rotation under a second
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_key_rotation 10ms;
--- config
--- must_die
--- strm_nginx_t_error
"strm_key_rotation" must be at least 1s
