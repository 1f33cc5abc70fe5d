# PII encryption in the request: every PII field (and the key field) of
# the contract leaves nginx as a Tink AES-SIV ciphertext under the key
# of the session's key link; the key goes, wrapped by the KEK, to the
# keys topic before the event is acknowledged.  Decryption here is
# python3-cryptography's (t/lib/strm-decrypt), not our C.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use JSON::PP qw(decode_json encode_json);
use Time::HiRes qw(sleep);

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

our $Root = $Strm::Test::Root;

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines, plus its own checks (34 in all, 12 of them TEST
# 1's three requests; TEST 11's pipelined requests are one raw request,
# whose parser sees the first 204 only: strm_acked_in_kafka checks all
# three 204s of the access log); each of the 6 config blocks is one
# must_die test instead, and its strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 + 34 - 6 * 3) + 6 * 2;

run_tests();

# ---- the procedures the blocks name ----------------------------------

# The key link of each record (its strmMeta.keyLink)
sub key_links {
    my ($recs) = @_;
    return map { decode_json($_->{value})->{strmMeta}{keyLink} } @$recs;
}

# The events (decoded) of the records, grouped by key link
sub events_by_key_link {
    my ($recs) = @_;
    my %by;
    for my $ev (map { decode_json($_->{value}) } @$recs) {
        push @{ $by{ $ev->{strmMeta}{keyLink} } }, $ev;
    }
    return \%by;
}

# kill -9 to the master and its workers: nothing runs at exit
sub kill_nginx_hard {
    my $pid = strm_nginx_pid();
    my @workers = split ' ', `pgrep -P $pid`;
    kill 'KILL', $pid, @workers;
    sleep 0.5;
}

# Deletes the block's key store (conf/keys.mdb); true when it is gone
sub delete_key_store {
    my $store = server_root() . "/conf/keys.mdb";
    unlink $store, "$store-lock";
    return !-e $store;
}

# strm-keys sync: a new store $store from the keys topic $keys; returns
# strm-keys' output
sub rebuild_key_store {
    my ($store, $keys) = @_;
    return `$Root/build/strm-keys -s $store sync -b $ENV{TEST_NGINX_STRM_BROKERS} -t $keys -o`;
}

# The key links a store holds ({link => 1}), as strm-keys lists them
sub store_key_links {
    my ($store) = @_;
    return { map { /"keyLink":"([^"]+)"/ ? ($1 => 1) : () }
             `$Root/build/strm-keys -s $store list` };
}

# The records decrypted by t/lib/strm-decrypt with the Tink keysets
# strm-keys exports from $store; (exit status of the export, events)
sub decrypt_with_exported_keysets {
    my ($store, $recs) = @_;
    my $ex = "/tmp/strm-export-$$.jsonl";
    my $evf = "/tmp/strm-events-$$.jsonl";
    system("$Root/build/strm-keys -s $store -k $Root/t/data/test-kek.json export > $ex");
    my $rc = $? >> 8;
    open my $ef, '>', $evf or die "$evf: $!";
    print $ef encode_json($_), "\n" for @$recs;
    close $ef;
    my @dec = map { decode_json($_) } `$Root/t/lib/strm-decrypt - $ex < $evf`;
    unlink $ex, $evf;
    return ($rc, \@dec);
}

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
my $by = events_by_key_link($recs);
is(scalar keys %$by, 2, "two sessions, two key links");
my ($a) = grep { @$_ == 2 } values %$by;
ok($a, "the two events of session A share a key link");
is($a->[0]{uniqueIdentifier}, $a->[1]{uniqueIdentifier},
   "the same value under one key link: the same ciphertext");
my ($b) = grep { @$_ == 1 } values %$by;
isnt($b->[0]{uniqueIdentifier}, $a->[0]{uniqueIdentifier},
     "the same value under another key link: another ciphertext");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{uniqueIdentifier} eq "PII-user-A" } @$dec), 3,
   "every event decrypts with its key link's key from the keys topic");
unlike(join("", map { $_->{value} } @$recs), qr/PII-/,
       "no PII value in clear in the topic");
my $keys = strm_kafka_records("$topic-keys", min => 2);
my %klinks = map { $_->{key} => 1 } @$keys;
ok($klinks{$_}, "the keys topic holds key link $_") for keys %$by;
unlike(join("", map { $_->{value} } @$keys), qr/PII-/,
       "nor in the keys topic");
--- no_error_log
[error]
[alert]
[emerg]
PII-



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
sleep 2.5;    # past the rotation window
my ($s) = strm_post_event(strm_json(strm_demo_event(consistentValue => "PII-session-R")));
is($s, 204, "the same session after the window");
my $recs = strm_kafka_records($topic, min => 2);
my @links = key_links($recs);
is(scalar @links, 2, "two events");
isnt($links[0], $links[1], "under two key links");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{consistentValue} eq "PII-session-R" } @$dec), 2,
   "both decrypt");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: two workers, a burst of first events of one new session: one key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 405
--- strm_check
my $body = strm_json(strm_demo_event(consistentValue => "PII-burst-session"));
my $res = strm_burst(url => strm_url('/event'), n => 60, parallel => 20,
    body => $body, headers => ["Content-Type: application/json",
                               "Strm-Schema-Ref: strmprivacy/demo/1.0.2"]);
is(strm_statuses($res)->{204}, 60, "60 events accepted");
my $recs = strm_kafka_records($topic, min => 60);
my %links = map { $_ => 1 } key_links($recs);
is(scalar keys %links, 1, "exactly one key link for the session");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { $_->{event}{consistentValue} eq "PII-burst-session" } @$dec),
   60, "all decrypt");
--- no_error_log
[error]
[alert]
[emerg]



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
kill_nginx_hard();
ok(delete_key_store(), "the store is gone");
my $recs = strm_kafka_records($topic, min => 5);
my %links = map { $_ => 1 } key_links($recs);
is(scalar keys %links, 5, "five sessions, five key links");
my $store = "/tmp/strm-rebuilt-$$.mdb";
like(rebuild_key_store($store, "$topic-keys"), qr/"copied":\d+/,
     "strm-keys sync rebuilt a store");
my $have = store_key_links($store);
ok($have->{$_}, "the rebuilt store holds key link $_") for keys %links;
my ($rc, $fromstore) = decrypt_with_exported_keysets($store, $recs);
unlink $store, "$store-lock";
is($rc, 0, "strm-keys export of the rebuilt store");
is(scalar(grep { ($_->{event}{producerSessionId} // '') =~ /^PII-kill-\d$/ } @$fromstore),
   5, "the rebuilt store's keys, exported as Tink keysets, decrypt every event");
my $dec = strm_decrypt_records($topic, $recs);
is(scalar(grep { ($_->{event}{producerSessionId} // '') =~ /^PII-kill-\d$/ } @$dec),
   5, "every event decrypts with the keys from Kafka");
--- no_error_log
[error]
[alert]
[emerg]



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



=== TEST 11: pipelined events of two new sessions on one keep-alive connection: each body read where it is, across its session's wait, each under its own session's key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- raw_request eval
my $req = sub {
    my ($conn, %set) = @_;
    my $body = Strm::Test::strm_json(Strm::Test::strm_demo_event(%set));
    "POST /event HTTP/1.1\r\nHost: localhost\r\n"
    . "Content-Type: application/json\r\n"
    . "Strm-Schema-Ref: strmprivacy/demo/1.0.2\r\n"
    . "Connection: $conn\r\nContent-Length: " . length($body)
    . "\r\n\r\n$body";
};
$req->("keep-alive", consistentValue => "PII-pipe-1",
       uniqueIdentifier => "PII-pipe-u1")
. $req->("keep-alive", consistentValue => "PII-pipe-2",
         uniqueIdentifier => "PII-pipe-u2")
. $req->("close", consistentValue => "PII-pipe-1",
         uniqueIdentifier => "PII-pipe-u3")
--- error_code: 204
--- strm_acked_in_kafka
--- strm_check
my $recs = strm_kafka_records($topic, min => 3);
is(scalar @$recs, 3, "three events");
my $dec = strm_decrypt_records($topic, $recs);
is(join(" ", sort(map { "$_->{event}{consistentValue}/$_->{event}{uniqueIdentifier}" } @$dec)),
   "PII-pipe-1/PII-pipe-u1 PII-pipe-1/PII-pipe-u3 PII-pipe-2/PII-pipe-u2",
   "each event decrypts to the body it was sent with");
my %link = map { ("$_->{event}{uniqueIdentifier}" => $_->{event}{strmMeta}{keyLink}) } @$dec;
is($link{"PII-pipe-u1"}, $link{"PII-pipe-u3"},
   "session 1's events after session 2's: one key link");
isnt($link{"PII-pipe-u1"}, $link{"PII-pipe-u2"},
     "session 2: another key link");
--- no_error_log
[error]
[alert]
[emerg]
PII-
