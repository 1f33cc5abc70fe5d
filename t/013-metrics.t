# The strm_status zone's own metrics, over 2 workers: a known mix of
# good, bad and unauthorized events moves the per-stream counters, the
# Kafka counters (produced, delivered, in flight), the key store's
# (lookups, key links created), the auth failures and the latency
# histograms (request, delivery, key sync) by exactly what the mix
# implies; the values survive a reload (HUP); promtool accepts the text.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;
use File::Temp qw(tempdir);
use JSON::PP;

repeat_each(1);
workers(2);
master_on();
no_shuffle();

our $D = tempdir('strm-metrics-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our $Root = $Strm::Test::Root;

sub sh { my $out = `$_[0]`; die "$_[0]: $?" if $?; chomp $out; $out }

our $Secret = decode_json(sh("$Root/build/strm-credentials new "
                             . "-f $D/demo.clients -c demo-client"))
              ->{clientSecret};
sh("$Root/build/strm-credentials token-key -k k1 >> $D/token.keys");

$ENV{TEST_NGINX_AUTH_DIR} = $D;
# a second server with "reuseport": the kernel spreads its connections
# over both workers
our $Port2 = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 200;
$ENV{TEST_NGINX_PORT2} = $Port2;

run_tests();

__DATA__

=== TEST 1: good, bad and unauthorized events over 2 workers move every counter by what they imply; a reload keeps the values; promtool accepts the text
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/demo.clients;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 reuseport;
        location = /token {
            strm_token;
        }
        location = /event {
            strm_auth demo;
            strm_ingest $TEST_NGINX_STRM_TOPIC;
            add_header X-Worker $pid always;
        }
    }
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status
--- error_code: 200
--- strm_check
use JSON::PP ();
my $port = Test::Nginx::Socket::server_port();
my $base = "http://127.0.0.1:$main::Port2";
my $ref = "strmprivacy/demo/1.0.2";
my $st = sub {
    my (undef, undef, $body) = strm_curl("http://127.0.0.1:$port/status");
    return JSON::PP::decode_json($body);
};
my $stream = sub {
    my ($s, $what, $code, $r) = @_;
    my $v = 0;
    for my $e (@{ $s->{streams} }) {
        next unless $e->{stream} eq $topic && $e->{schemaRef} eq ($r // $ref);
        $v += defined $code ? ($e->{rejected}{$code} // 0) : $e->{$what};
    }
    return $v;
};
my (undef, undef, $tb) = strm_curl("-H 'Content-Type: application/x-www-form-urlencoded' --data-raw 'grant_type=client_credentials&client_id=demo-client&client_secret=$main::Secret' $base/token");
my $tok = JSON::PP::decode_json($tb)->{access_token};
ok($tok, "a token for demo-client");

my $before = $st->();

# one new session for all good events: exactly one new key link
my $session = "metrics-$$-" . time;
my $good = strm_json(strm_demo_event(consistentValue => $session));
my $bad = strm_json(strm_demo_event(consistentValue => ""));
my %pids;
my $post = sub {
    my ($body, @h) = @_;
    open my $fh, '>', "/tmp/strm-metrics-$$.json" or die $!;
    print $fh $body;
    close $fh;
    my ($s, $h) = strm_curl(join(' ', map { "-H '$_'" } @h,
                                  'Content-Type: application/json',
                                  "Strm-Schema-Ref: $ref")
                            . " --data-binary \@/tmp/strm-metrics-$$.json $base/event");
    $pids{ $h->{'x-worker'} }++ if $h->{'x-worker'};
    return $s;
};
my @codes;
push @codes, $post->($good, "Authorization: Bearer $tok") for 1 .. 12;
push @codes, $post->($bad, "Authorization: Bearer $tok") for 1 .. 4;
push @codes, $post->($good) for 1 .. 3;
push @codes, $post->($good, "Authorization: Bearer not.a.token") for 1 .. 2;
unlink "/tmp/strm-metrics-$$.json";
is(scalar(grep { $_ == 204 } @codes), 12, "12 good events accepted");
is(scalar(grep { $_ == 400 } @codes), 4, "4 refused for the empty key field");
is(scalar(grep { $_ == 401 } @codes), 5, "5 refused without a valid token");
ok(keys(%pids) >= 2, "both workers answered (" . join(' ', sort keys %pids) . ")");

my $after = $st->();
my $d = sub { $_[0]->($after) - $_[0]->($before) };
is($stream->($after, 'requests') - $stream->($before, 'requests'), 16,
   "16 requests of the stream and schema ref");
is($stream->($after, 'requests', undef, '') - $stream->($before, 'requests', undef, ''), 5,
   "5 of the stream without a schema ref: refused before it was read");
is($stream->($after, 'accepted') - $stream->($before, 'accepted'), 12, "12 accepted");
is($stream->($after, undef, 'key_field_empty') - $stream->($before, undef, 'key_field_empty'),
   4, "4 rejected as key_field_empty");
is($stream->($after, undef, 'invalid_token', '')
   - $stream->($before, undef, 'invalid_token', ''), 5, "those 5 rejected as invalid_token");
is($d->(sub { $_[0]{auth}{failures} }), 5, "5 auth failures");
is($d->(sub { $_[0]{keys}{lookups} }), 12, "12 key lookups (the refused events have none)");
is($d->(sub { $_[0]{keys}{created} }), 1, "1 key link created for the new session");
is($d->(sub { $_[0]{kafka}{produced} }), 13, "13 messages to Kafka: 12 events and 1 key record");
is($d->(sub { $_[0]{kafka}{delivered} }), 13, "all 13 delivered");
is($d->(sub { $_[0]{kafka}{failed} }), 0, "none failed");
is($after->{kafka}{inFlight}, 0, "nothing in flight once all are answered");
is($d->(sub { $_[0]{kafka}{deliveryMs}{count} }), 13, "13 delivery latencies");
is($d->(sub { $_[0]{keys}{syncMs}{count} }), 1, "1 key sync latency");
ok($d->(sub { $_[0]{requestMs}{count} }) >= 21, "a request latency per ingest request");
my $h = $after->{requestMs}{le};
ok($h->{"1"} <= $h->{"10"} && $h->{"10"} <= $h->{"10000"} && $h->{"10000"} <= $h->{"+Inf"},
   "histogram buckets are cumulative");

ok(strm_nginx_reload(), "reloaded: the old workers have exited");
my $reloaded = $st->();
is_deeply([@{$reloaded}{qw(totals kafka keys auth)}], [@{$after}{qw(totals kafka keys auth)}],
          "the counters are the same after the reload");

my (undef, undef, $prom) = strm_curl("'http://127.0.0.1:$port/status?format=prometheus'");
like($prom, qr/^strm_auth_failures_total \Q$reloaded->{auth}{failures}\E\r?$/m,
     "Prometheus: the same auth failures");
like($prom, qr/^strm_kafka_delivery_seconds_count \Q$reloaded->{kafka}{deliveryMs}{count}\E\r?$/m,
     "Prometheus: the same delivery count");
open my $pt, '|-', "promtool check metrics > /tmp/strm-promtool-$$.out 2>&1"
    or die "promtool: $!";
print $pt $prom;
close $pt;
is($? >> 8, 0, "promtool check metrics accepts the text")
    or diag(`cat /tmp/strm-promtool-$$.out`);
unlink "/tmp/strm-promtool-$$.out";
--- no_error_log
[alert]
[emerg]
