# The key store as an operator meets it: its size (strm_keys_store_size),
# its use in strm_status, a warning at 80 %, a full store answering new
# sessions 503 keys_unavailable (never 500) with its cause logged once
# and strm_ready 503, known sessions still served; a store whose file is
# deleted while nginx runs: alerted once, new key links refused, ready
# 503, and a reload rebuilds it from the keys topic with the same key
# links.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep);

repeat_each(1);
workers(2);
master_on();

our $Root = $Strm::Test::Root;

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
});

# Each of the 3 running blocks: its status, its no_error_log lines and
# its strm_check (4 + 3 + 3); the config block: must_die once and its
# strm_nginx_t_error two.
plan tests => 4 + 3 + 3 + 1 + 2;

run_tests();

# ---- the procedures the blocks name ----------------------------------

sub error_log {
    open my $fh, '<', server_root() . "/logs/error.log" or return '';
    local $/;
    return <$fh>;
}

# the lines of the error log that match $re, waiting up to 5 s for one
sub log_lines {
    my ($re) = @_;
    my @l;
    for (1 .. 50) {
        @l = grep { /$re/ } split /\n/, error_log();
        last if @l;
        sleep 0.1;
    }
    return @l;
}

# one event of session $s: (status, body)
sub post_session {
    my ($s) = @_;
    my ($st, undef, $body) = strm_post_event(strm_json(strm_demo_event(
        consistentValue => $s)));
    return ($st, $body);
}

# the key link of the last record of session $s in $topic
sub key_link_of {
    my ($topic, $s, $min) = @_;
    my $recs = strm_kafka_records($topic, min => $min);
    my $dec = strm_decrypt_records($topic, $recs);
    my @links = map { $_->{event}{strmMeta}{keyLink} }
                grep { ($_->{event}{consistentValue} // '') eq $s } @$dec;
    return $links[-1];
}

# the block's nginx.conf with strm_keys_store_size $from made $to
sub raise_store_size {
    my ($from, $to) = @_;
    my $conf = server_root() . "/conf/nginx.conf";
    open my $in, '<', $conf or return 0;
    local $/;
    my $text = <$in>;
    close $in;
    $text =~ s/strm_keys_store_size $from;/strm_keys_store_size $to;/
        or return 0;
    open my $out, '>', $conf or return 0;
    print $out $text;
    return close $out;
}

sub ready_status {
    my ($st) = strm_curl(strm_url('/ready'));
    return $st;
}

__DATA__

=== TEST 1: a 2m store fills: new sessions 503 keys_unavailable, the cause logged once, not ready; known sessions 204; its use in strm_status
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
    strm_keys_store_size 2m;
    strm_keys_kek $TEST_NGINX_STRM_ROOT/t/data/test-kek.json;
    strm_keys_topic $TEST_NGINX_STRM_TOPIC-keys;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
    location = /status {
        strm_status;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-known-session"))
--- error_code: 204
--- strm_check
ok(Strm::Test::strm_wait_ready('/ready'), "ready before");
my $st = strm_status();
is($st->{keys}{storeSizeBytes}, 2097152, "strm_status: the store's size");
ok($st->{keys}{storeUsedBytes} > 0
   && $st->{keys}{storeUsedBytes} < 2097152 / 4, "and its use, low");
my $res = strm_burst(url => strm_url('/event'), n => 3000, parallel => 10,
    body => strm_json(strm_demo_event(consistentValue => "PII-fill-%d")),
    headers => ["Content-Type: application/json",
                "Strm-Schema-Ref: strmprivacy/demo/1.0.2"]);
my $by = strm_statuses($res);
ok($by->{204} > 1000 && $by->{204} < 3000, "the store took some sessions")
    or diag(explain($by));
ok($by->{503} > 0, "then new sessions got 503");
is(scalar(grep { $_ ne '204' && $_ ne '503' } keys %$by), 0,
   "and nothing else (no 500)") or diag(explain($by));
# at the edge LMDB may still fit a record the keys consumer reads again
my ($s, $body) = strm_retry('503', sub { post_session("PII-one-more-" . rand()) });
is($s, 503, "a new session: 503");
is(eval { decode_json($body)->{code} }, "keys_unavailable",
   "a JSON body, code keys_unavailable") or diag($body);
my @full = log_lines(qr/\[error\].*the key store "[^"]+" is full \(MDB_MAP_FULL/);
is(scalar @full, 1, "the cause is logged once") or diag(join "\n", @full);
my @warn = log_lines(qr/\[warn\].*the key store "[^"]+" uses \d+ of 2097152 bytes \((8\d|9\d|100)%/);
is(scalar @warn, 1, "the 80 % warning, once") or diag(join "\n", @warn);
is((strm_retry('503', sub { ready_status() }))[0], 503,
   "strm_ready: 503 while full");
my ($rs, undef, $rbody) = strm_curl(strm_url('/ready'));
like($rbody, qr/"code":"keys_unavailable"/, "with keys_unavailable");
($s) = post_session("PII-known-session");
is($s, 204, "a known session still gets 204");
$st = strm_status();
ok($st->{keys}{storeUsedBytes} >= 2097152 * 0.75
   && $st->{keys}{storeUsedBytes} <= 2097152,
   "strm_status: the use near the size")
    or diag($st->{keys}{storeUsedBytes});
my $prom = strm_prometheus();
like($prom, qr/^strm_keys_store_used_bytes (\d+)$/m, "Prometheus: the use");
like($prom, qr/^strm_keys_store_size_bytes 2097152$/m, "and the size");
unlike(error_log(), qr/PII-/, "no key-field value in the log");
my $store = server_root() . "/conf/keys.mdb";
my @links = map { /"keyLink":"([^"]+)"/ ? $1 : () }
            `$Root/build/strm-keys -s $store list`;
my $shredded = grep {
    system("$Root/build/strm-keys -s $store shred $_ > /dev/null 2>&1") == 0
} @links[0 .. 299];
ok($shredded > 100, "strm-keys shred erased key links meanwhile")
    or diag("$shredded of " . scalar @links);
is((strm_retry('200', sub { ready_status() }))[0], 200,
   "ready again: the keys consumer read the refused records again");
($s) = strm_retry('204', sub { post_session("PII-after-shred-" . rand()) });
is($s, 204, "a new session: 204");
ok(raise_store_size("2m", "8m") && strm_nginx_reload(),
   "strm_keys_store_size 8m, reload");
is((strm_retry('200', sub { ready_status() }))[0], 200,
   "ready again: the records the full store refused are applied");
($s) = strm_retry('204', sub { post_session("PII-after-resize") });
is($s, 204, "a new session: 204");
is(strm_status()->{keys}{storeSizeBytes}, 8388608, "the new size");
--- no_error_log
[alert]
[emerg]



=== TEST 2: the store file deleted while nginx runs: alerted once, new sessions 503, not ready, known sessions 204; a reload rebuilds it from the keys topic, same key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-kept-session"))
--- error_code: 204
--- strm_check
ok(Strm::Test::strm_wait_ready('/ready'), "ready before");
my $link = key_link_of($topic, "PII-kept-session", 1);
ok($link, "the session's key link");
my $store = server_root() . "/conf/keys.mdb";
ok(unlink($store), "the store file deleted");
my ($s, $body) = post_session("PII-new-after-delete");
is($s, 503, "a new session: 503");
is(eval { decode_json($body)->{code} }, "keys_unavailable",
   "keys_unavailable") or diag($body);
my @alert = log_lines(qr/\[alert\].*the key store lost a file while nginx runs \(\Q$store\E: deleted\)/);
is(scalar @alert, 1, "alerted once") or diag(error_log());
is(ready_status(), 503, "strm_ready: 503");
($s) = post_session("PII-kept-session");
is($s, 204, "a known session: 204, from the open store");
ok(strm_nginx_reload(), "reload");
ok(Strm::Test::strm_wait_ready('/ready'), "ready again: rebuilt");
ok(-e $store, "a new store file");
($s) = post_session("PII-kept-session");
is($s, 204, "the known session");
is(key_link_of($topic, "PII-kept-session", 3), $link,
   "keeps its key link");
($s) = post_session("PII-new-after-reload");
is($s, 204, "a new session: 204");
my $list = `$Root/build/strm-keys -s $store list`;
like($list, qr/\Q$link\E/, "the new store holds the key link");
ok(scalar(log_lines(qr/\[alert\].*the store file was deleted or replaced while nginx ran/)),
   "the reload said the store is rebuilt");
--- no_error_log
[emerg]



=== TEST 3: the slot file deleted while nginx runs: new sessions 503; a reload empties the store and rebuilds it, same key link
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-slot-session"))
--- error_code: 204
--- strm_check
ok(Strm::Test::strm_wait_ready('/ready'), "ready before");
my $link = key_link_of($topic, "PII-slot-session", 1);
my $slots = server_root() . "/conf/keys.mdb.slots";
ok(unlink($slots), "the slot file deleted");
my ($s) = post_session("PII-new-after-slots");
is($s, 503, "a new session: 503");
ok(scalar(log_lines(qr/\[alert\].*lost a file while nginx runs \(\Q$slots\E: deleted\)/)),
   "alerted");
ok(strm_nginx_reload(), "reload");
ok(Strm::Test::strm_wait_ready('/ready'), "ready again: rebuilt");
($s) = post_session("PII-slot-session");
is($s, 204, "the known session");
is(key_link_of($topic, "PII-slot-session", 2), $link, "keeps its key link");
--- no_error_log
[emerg]



=== TEST 4: config: a store size under 128k
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_keys_store keys.mdb;
    strm_keys_kek $TEST_NGINX_STRM_ROOT/t/data/test-kek.json;
    strm_keys_store_size 64k;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
"strm_keys_store_size" must be at least 128k
