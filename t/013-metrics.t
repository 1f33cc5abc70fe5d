# The strm_status zone's own metrics, over 2 workers: a known mix of
# good, bad and unauthorized events moves the per-stream counters, the
# Kafka counters (produced, delivered, in flight), the key store's
# (lookups, key links created), the auth failures and the latency
# histograms (request, delivery, key sync) by exactly what the mix
# implies; the values survive a reload (HUP); the Prometheus text says
# the same and promtool accepts it.

use lib 't/lib';
use Test::Nginx::Socket;
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

# every block: the status, its three no_error_log lines, its strm_check
plan tests => repeat_each() * (blocks() * 5);

# the stream demo (token endpoint and ingest) on the second server
our $HttpConfig = <<'_EOC_';
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
_EOC_

our $Config = <<'_EOC_';
    location = /status {
        strm_status;
    }
_EOC_

our $Ref = 'strmprivacy/demo/1.0.2';

run_tests();

# ---- the checks the blocks name --------------------------------------

# A token for demo-client from the token endpoint
sub demo_token {
    my (undef, undef, $body) = strm_curl(
        "-H 'Content-Type: application/x-www-form-urlencoded' --data-raw "
        . "'grant_type=client_credentials&client_id=demo-client"
        . "&client_secret=$Secret' http://127.0.0.1:$Port2/token");
    my $tok = decode_json($body)->{access_token};
    ok($tok, "a token for demo-client");
    return $tok;
}

# Posts the mix to the second server, in this order: %n{good} events of
# one new session with a token, %n{key_field_empty} events with an empty
# key field with a token, %n{no_token} good ones without a token and
# %n{bad_token} with an invalid token.  Returns the answers' statuses
# counted ({204 => n, ...}) and the workers that answered ({pid => n}).
sub post_mix {
    my (%n) = @_;
    my $tok = demo_token();
    # one new session for all good events: exactly one new key link
    my $session = "metrics-$$-" . time;
    my $good = strm_json(strm_demo_event(consistentValue => $session));
    my $bad = strm_json(strm_demo_event(consistentValue => ""));
    my (%codes, %pids);
    my $post = sub {
        my ($body, @h) = @_;
        my ($s, $h) = strm_post("http://127.0.0.1:$Port2/event", $body, @h,
                                'Content-Type: application/json',
                                "Strm-Schema-Ref: $Ref");
        $pids{ $h->{'x-worker'} }++ if $h->{'x-worker'};
        $codes{$s}++;
    };
    $post->($good, "Authorization: Bearer $tok") for 1 .. $n{good} // 0;
    $post->($bad, "Authorization: Bearer $tok")
        for 1 .. $n{key_field_empty} // 0;
    $post->($good) for 1 .. $n{no_token} // 0;
    $post->($good, "Authorization: Bearer not.a.token")
        for 1 .. $n{bad_token} // 0;
    return { codes => \%codes, workers => \%pids };
}

# POST /token on the second server with the form $form; (status, body)
sub token_post {
    my ($form) = @_;
    my ($s, undef, $b) = strm_post("http://127.0.0.1:$Port2/token", $form,
        'Content-Type: application/x-www-form-urlencoded');
    return ($s, $b);
}

# The mix was answered with these statuses ({status => count})
sub answers_are {
    my ($mix, %want) = @_;
    for my $s (sort keys %want) {
        is($mix->{codes}{$s} // 0, $want{$s}, "$want{$s} answered $s");
    }
    is(join(',', grep { !exists $want{$_} } sort keys %{ $mix->{codes} }),
       '', "no other status");
}

# The counter $what of $topic's entries of schema ref $ref ('' for
# requests refused before their ref was read); "rejected/CODE" counts
# the refusals of that code
sub stream_counter {
    my ($st, $topic, $what, $ref) = @_;
    my $v = 0;
    for my $e (@{ $st->{streams} }) {
        next unless $e->{stream} eq $topic && $e->{schemaRef} eq $ref;
        $v += $what =~ m{^rejected/(.+)} ? ($e->{rejected}{$1} // 0)
                                         : $e->{$what};
    }
    return $v;
}

# Each counter of $topic's entries of schema ref $ref moved by its
# number between the statuses $before and $after
sub stream_moved_by {
    my ($topic, $ref, $before, $after, @want) = @_;
    while (my ($what, $n) = splice @want, 0, 2) {
        is(stream_counter($after, $topic, $what, $ref)
           - stream_counter($before, $topic, $what, $ref), $n,
           "$what of schema ref '$ref' moved by $n");
    }
}

# A box-wide value by its path, "kafka/deliveryMs/count"
sub value_at {
    my ($st, $path) = @_;
    $st = $st->{$_} for split m{/}, $path;
    return $st;
}

# Each box-wide counter moved by its number between $before and $after
sub moved_by {
    my ($before, $after, @want) = @_;
    while (my ($path, $n) = splice @want, 0, 2) {
        is(value_at($after, $path) - value_at($before, $path), $n,
           "$path moved by $n");
    }
}

# A histogram's buckets are cumulative
sub buckets_are_cumulative {
    my ($hist, $name) = @_;
    my $h = $hist->{le};
    ok($h->{"1"} <= $h->{"10"} && $h->{"10"} <= $h->{"10000"}
       && $h->{"10000"} <= $h->{"+Inf"}, "$name buckets are cumulative");
}

__DATA__

=== TEST 1: good, bad and unauthorized events over 2 workers move every counter by what they imply
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /status
--- error_code: 200
--- strm_check
my $before = strm_status();
my $mix = post_mix(good => 12, key_field_empty => 4,
                   no_token => 3, bad_token => 2);
answers_are($mix, 204 => 12, 400 => 4, 401 => 5);
ok(keys %{ $mix->{workers} } >= 2,
   "both workers answered (@{[ sort keys %{ $mix->{workers} } ]})");
my $after = strm_status();
stream_moved_by($topic, 'strmprivacy/demo/1.0.2', $before, $after,
    'requests' => 16, 'accepted' => 12, 'rejected/key_field_empty' => 4);
# the events without a (valid) token are refused before their schema
# ref is read: they count under the stream without one
stream_moved_by($topic, '', $before, $after,
    'requests' => 5, 'rejected/invalid_token' => 5);
# the refused events have no key lookup; the good ones are one session;
# Kafka gets the 12 events and 1 key record
moved_by($before, $after,
    'auth/failures' => 5, 'keys/lookups' => 12, 'keys/created' => 1,
    'kafka/produced' => 13, 'kafka/delivered' => 13, 'kafka/failed' => 0,
    'kafka/deliveryMs/count' => 13, 'keys/syncMs/count' => 1);
is($after->{kafka}{inFlight}, 0, "nothing in flight once all are answered");
cmp_ok(value_at($after, 'requestMs/count')
       - value_at($before, 'requestMs/count'), '>=', 21,
       "a request latency per ingest request");
buckets_are_cumulative($after->{requestMs}, "requestMs");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: a reload (HUP) keeps the counters
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /status
--- error_code: 200
--- strm_check
my $mix = post_mix(good => 2, key_field_empty => 1,
                   no_token => 1, bad_token => 1);
answers_are($mix, 204 => 2, 400 => 1, 401 => 2);
my $before = strm_status();
ok(strm_nginx_reload(), "reloaded: the old workers have exited");
my $after = strm_status();
is_deeply([@{$after}{qw(totals kafka keys auth)}],
          [@{$before}{qw(totals kafka keys auth)}],
          "the counters are the same after the reload");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: the Prometheus text says what the JSON says, and promtool accepts it
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /status
--- error_code: 200
--- strm_check
my $mix = post_mix(good => 2, key_field_empty => 1,
                   no_token => 1, bad_token => 1);
answers_are($mix, 204 => 2, 400 => 1, 401 => 2);
my $st = strm_status();
my $prom = strm_prometheus();
like($prom, qr/^strm_auth_failures_total \Q$st->{auth}{failures}\E\r?$/m,
     "Prometheus: the same auth failures");
like($prom, qr/^strm_kafka_delivery_seconds_count \Q$st->{kafka}{deliveryMs}{count}\E\r?$/m,
     "Prometheus: the same delivery count");
strm_promtool_accepts($prom);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: failed token requests are counted by reason (invalid_client, invalid_grant), in JSON and in Prometheus
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /status
--- error_code: 200
--- strm_check
my $before = strm_status();
my %want = (invalid_client => 0, invalid_grant => 0);
for my $form ("grant_type=client_credentials&client_id=demo-client&client_secret=wrong",
              "grant_type=client_credentials&client_id=nobody&client_secret=x",
              "grant_type=refresh_token&client_id=demo-client&client_secret=wrong&refresh_token=x") {
    is((token_post($form))[0], 401, "a wrong secret or an unknown client: 401");
    $want{invalid_client}++;
}
my ($s, $b) = token_post("grant_type=refresh_token&client_id=demo-client"
                         . "&client_secret=$main::Secret&refresh_token=not.a.token");
is($s, 400, "a bad refresh token: 400");
$want{invalid_grant}++;
is((token_post("grant_type=client_credentials&client_id=demo-client"
               . "&client_secret=$main::Secret"))[0], 200,
   "a good request is no failure");
is((token_post("grant_type=password"))[0], 400,
   "an unsupported grant type is no credential failure");
my $after = strm_status();
moved_by($before, $after,
         'auth/tokenFailures/invalid_client' => $want{invalid_client},
         'auth/tokenFailures/invalid_grant' => $want{invalid_grant},
         'auth/failures' => 0);
my $prom = strm_prometheus();
for my $r (sort keys %want) {
    like($prom, qr/^strm_token_failures_total\{reason="$r"\} \Q$after->{auth}{tokenFailures}{$r}\E\r?$/m,
         "Prometheus: strm_token_failures_total of $r");
}
strm_promtool_accepts($prom);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: limit_req on the token endpoint (as the demo ships it) answers 429 in JSON
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/demo.clients;
    }
    limit_req_zone $binary_remote_addr zone=strm_token:1m rate=1r/m;
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 reuseport;
        location = /token {
            limit_req zone=strm_token burst=2 nodelay;
            limit_req_status 429;
            limit_req_log_level warn;
            strm_token;
        }
    }
--- config eval: $::Config
--- request
GET /status
--- error_code: 200
--- strm_check
my @s = map { [token_post("grant_type=client_credentials&client_id=demo-client"
                          . "&client_secret=wrong")] } 1 .. 5;
is(join(',', map { $_->[0] } @s), '401,401,401,429,429',
   "three guesses pass the limit (1 and a burst of 2), the next are 429");
my $e = eval { decode_json($s[4][1]) } // {};
is($e->{code}, 'too_many_requests', "the 429 is JSON, code too_many_requests");
--- no_error_log
[error]
[alert]
[emerg]
