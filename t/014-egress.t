# strm_egress: a WebSocket that tails the stream's topic, for developers.
# A real WebSocket client (python3-websockets, t/lib/strm-ws-client)
# receives the events posted after it connected, one JSON event per text
# frame, answers a ping, closes with 1000; an upgrade without a valid
# token is refused (401), a request that is no upgrade gets 400, another
# WebSocket version 426; a client that stops reading is cut off while
# ingest goes on; configuration mistakes stop "nginx -t"; an idle client
# gets pings; one that goes away without a close frame frees its place.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use File::Temp qw(tempdir);
use JSON::PP;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes ();

repeat_each(1);
master_on();
no_shuffle();

our $D = tempdir('strm-egress-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our $Root = $Strm::Test::Root;
our $Ws = "$Root/t/lib/strm-ws-client";

sub sh { my $out = `$_[0]`; die "$_[0]: $?" if $?; chomp $out; $out }

our $Secret = decode_json(sh("$Root/build/strm-credentials new "
                             . "-f $D/demo.clients -c demo-client"))
              ->{clientSecret};
sh("$Root/build/strm-credentials token-key -k k1 >> $D/token.keys");
$ENV{TEST_NGINX_AUTH_DIR} = $D;
# a server whose sockets keep little in the kernel (sndbuf): a client
# that does not read fills strm_egress_buffer soon
our $Port2 = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 300;
$ENV{TEST_NGINX_PORT2} = $Port2;

our $HttpConfig = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/demo.clients;
    }
    strm_egress_buffer 16k;
    strm_egress_max_connections 8;
_EOC_

our $Config = <<'_EOC_';
    location = /token {
        strm_token;
    }
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ws {
        strm_auth demo;
        strm_egress $TEST_NGINX_STRM_TOPIC;
    }
_EOC_

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (bodies, the
# strm_checks: 12 in all); each of the 3 config blocks is one must_die
# test instead, and its strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 + 12 - 3 * 3) + 3 * 2;

# A raw client: the handshake, then it reads for $secs and goes away
# without a close frame.  Returns the response head and the frames it got
# (bytes).
sub ws_raw {
    my ($port, $tok, $secs) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "connect: $!";
    print $s "GET /ws HTTP/1.1\r\nHost: localhost\r\n"
        . "Authorization: Bearer $tok\r\n"
        . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Version: 13\r\n"
        . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    my $buf = '';
    my $end = Time::HiRes::time() + $secs;
    my $sel = IO::Select->new($s);
    while ((my $left = $end - Time::HiRes::time()) > 0) {
        last unless $sel->can_read($left);
        last unless sysread($s, $buf, 4096, length $buf);
    }
    close $s;
    my ($head, $frames) = split /\r\n\r\n/, $buf, 2;
    return ($head // '', $frames // '');
}

run_tests();

# ---- the procedures the blocks name ----------------------------------

# A token of the stream demo for demo-client, from the token endpoint
sub token {
    my (undef, undef, $b) = strm_post('/token',
        "grant_type=client_credentials&client_id=demo-client"
        . "&client_secret=$Secret",
        'Content-Type: application/x-www-form-urlencoded');
    return decode_json($b)->{access_token};
}

# strm-ws-client tail: connects to /ws$query, posts a warm-up event
# until one comes back, then $n marked events, pings and closes; its
# report decoded ({} if none) and its output
sub ws_tail {
    my ($tok, $n, $query) = @_;
    my $port = server_port();
    my $out = `$Ws tail "ws://127.0.0.1:$port/ws@{[ $query // '' ]}" http://127.0.0.1:$port/event $tok $n`;
    return (eval { decode_json($out) } // {}, $out);
}

# The status strm-ws-client's handshake gets at /ws, with the token
# $tok if given
sub ws_status {
    my ($tok) = @_;
    my $port = server_port();
    return `$Ws status ws://127.0.0.1:$port/ws @{[ $tok // '' ]}` + 0;
}

# A client at $port/ws that does not read for $secs s: its output
# ("upgraded", then "cut" once the server closes) as a file handle
sub ws_slow_client {
    my ($port, $tok, $secs) = @_;
    open my $fh, '-|', "$Ws slow 127.0.0.1 $port /ws $tok $secs"
        or die "strm-ws-client: $!";
    return $fh;
}

# GET /ws with the token $tok and the request headers @h (curl);
# (status, headers, body)
sub get_ws {
    my ($tok, @h) = @_;
    return strm_curl(join('', map { "-H '$_' " } "Authorization: Bearer $tok", @h)
                     . strm_url('/ws'));
}

# POST /ws with the token $tok; (status, headers, body)
sub post_ws {
    my ($tok) = @_;
    return strm_curl("-X POST -H 'Authorization: Bearer $tok' "
                     . strm_url('/ws'));
}

# An upgrade request's headers for WebSocket version $version with the
# key $key
sub upgrade_headers {
    my ($version, $key) = @_;
    return ('Connection: Upgrade', 'Upgrade: websocket',
            "Sec-WebSocket-Version: $version", "Sec-WebSocket-Key: $key");
}

__DATA__

=== TEST 1: a client gets the events posted after it connected, one JSON event per text frame; a ping gets a pong, a close 1000
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
ok($tok, "a token of the stream");
my ($r, $out) = ws_tail($tok, 25, '?asJson=true');
is($r->{status}, 101, "the upgrade is accepted (101)") or diag($out);
ok($r->{warmup} >= 1, "a warm-up event came back ($r->{warmup} posted)");
is($r->{marked}, 25, "all 25 events posted after that arrived");
ok($r->{all_json}, "each text frame is one JSON event");
ok(!$r->{pii_in_clear}, "their PII as the topic holds it: encrypted");
ok($r->{pong}, "a ping is answered with a pong");
is($r->{close_code}, 1000, "a close is answered with 1000");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: an upgrade without a valid token is refused with 401
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- response_body_like: "code":"invalid_token"
--- strm_check
is(ws_status(), 401, "no token: 401");
is(ws_status('not.a.token'), 401, "an invalid token: 401");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: another WebSocket version gets 426 naming version 13; a key that is not 16 bytes of base64 gets 400
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
my ($s, $h, $b) = get_ws($tok, upgrade_headers(8, 'dGhlIHNhbXBsZSBub25jZQ=='));
is($s, 426, "WebSocket version 8: 426");
is($h->{'sec-websocket-version'}, 13, "naming version 13");
like($b, qr/"code":"upgrade_required"/, "with a JSON body");
($s) = get_ws($tok, upgrade_headers(13, 'short'));
is($s, 400, "a key that is not 16 bytes of base64: 400");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: a request that is no upgrade gets 400, a POST 405
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
my ($s, $h, $b) = get_ws($tok);
is($s, 400, "a GET that is no upgrade: 400");
like($b, qr/"code":"websocket_expected"/, "named websocket_expected");
($s) = post_ws($tok);
is($s, 405, "POST: 405");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: a client that stops reading is cut off, and ingest goes on
--- http_config eval
$::HttpConfig . <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 sndbuf=16k;
        location = /ws {
            strm_auth demo;
            strm_egress $TEST_NGINX_STRM_TOPIC;
        }
    }
_EOC_
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
# the worker's consumer is running once an event comes back
my ($warm, $out) = ws_tail($tok, 1);
is($warm->{marked}, 1, "the egress tails the topic") or diag($out);
my $slow = ws_slow_client($main::Port2, $tok, 8);
is(scalar <$slow>, "upgraded\n", "the slow client is upgraded");
my $res = strm_burst(n => 1000, parallel => 8, url => strm_url('/event'),
    body => strm_json(strm_demo_event(notSensitiveValue => 'x' x 900)),
    headers => ["Content-Type: application/json",
                "Strm-Schema-Ref: strmprivacy/demo/1.0.2",
                "Authorization: Bearer $tok"]);
is(strm_statuses($res)->{204}, 1000, "1000 events accepted meanwhile");
is(scalar <$slow>, "cut\n", "the client that did not read was cut off");
close $slow;
--- error_log
does not read passed strm_egress_buffer: dropped
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: a reload (and so a graceful quit) is not held by a connected client: the old worker closes it (1001) and exits
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
my ($warm, $out) = ws_tail($tok, 1);
is($warm->{marked}, 1, "the egress tails the topic") or diag($out);
my $idle = ws_slow_client(server_port(), $tok, 3);
is(scalar <$idle>, "upgraded\n", "a client is connected");
my $t0 = time;
ok(strm_nginx_reload(), "reloaded: the old worker exited");
ok(time - $t0 < 10, "without waiting for the client");
is(scalar <$idle>, "cut\n", "the client's connection was closed");
close $idle;
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: strm_egress_max_connections bounds the clients of a worker: one more gets 503
--- http_config eval
$::HttpConfig =~ s/strm_egress_max_connections 8;/strm_egress_max_connections 1;/r
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $tok = token();
my $one = ws_slow_client(server_port(), $tok, 2);
is(scalar <$one>, "upgraded\n", "the first client is connected");
is(ws_status($tok), 503, "a second one is refused with 503");
my ($s, $h, $b) = get_ws($tok, upgrade_headers(13, 'dGhlIHNhbXBsZSBub25jZQ=='));
like($b, qr/"code":"egress_full"/, "named egress_full");
is($h->{'retry-after'}, 1, "with Retry-After");
close $one;
--- error_log
strm_egress_max_connections reached
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 8: config: a topic Kafka does not allow
--- http_config
--- config
    location = /ws {
        strm_egress "bad topic";
    }
--- must_die
--- strm_nginx_t_error
invalid Kafka topic "bad topic"



=== TEST 9: config: strm_egress_buffer below 4k
--- http_config
    strm_egress_buffer 1k;
--- config
--- must_die
--- strm_nginx_t_error
strm_egress_buffer must be at least 4k



=== TEST 10: config: strm_egress twice in a location
--- http_config
--- config
    location = /ws {
        strm_egress a;
        strm_egress b;
    }
--- must_die
--- strm_nginx_t_error
"strm_egress" directive is duplicate



=== TEST 8: strm_egress_ping: a client that sends nothing gets an empty ping each interval
--- http_config eval
$::HttpConfig . "    strm_egress_ping 300ms;\n"
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $port = Test::Nginx::Socket::server_port();
my ($head, $frames) = main::ws_raw($port, main::token(), 2);
like($head, qr{^HTTP/1\.1 101 }, "upgraded");
like($frames, qr/\A(?:\x89\x00){2,}\z/, "pings (empty), nothing else")
    or diag(unpack 'H*', $frames);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 9: a client that goes away without a close frame gives its place back at once; the events that follow reach the next one
--- http_config eval
$::HttpConfig =~ s/strm_egress_max_connections 8;/strm_egress_max_connections 1;/r
--- config eval: $::Config
--- request
GET /ws
--- error_code: 401
--- strm_check
my $port = Test::Nginx::Socket::server_port();
my $tok = main::token();
my $warm = `$main::Ws tail ws://127.0.0.1:$port/ws http://127.0.0.1:$port/event $tok 1`;
like($warm, qr/"marked": 1/, "the egress tails the topic") or diag($warm);
my ($head) = main::ws_raw($port, $tok, 0.5);
like($head, qr{^HTTP/1\.1 101 }, "the only place: a client connects, then goes");
my $res = strm_burst(n => 20, url => "http://127.0.0.1:$port/event",
                     body => strm_json(strm_demo_event()),
                     headers => ["Content-Type: application/json",
                                 "Strm-Schema-Ref: strmprivacy/demo/1.0.2",
                                 "Authorization: Bearer $tok"]);
is(scalar(grep { $_->[0] == 204 } @$res), 20, "20 events posted after it");
my $out = `$main::Ws tail ws://127.0.0.1:$port/ws http://127.0.0.1:$port/event $tok 5`;
like($out, qr/"marked": 5/, "the next client has the place and its events")
    or diag($out);
--- no_error_log
[error]
[alert]
[emerg]
