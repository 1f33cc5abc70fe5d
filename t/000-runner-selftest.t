# Self-test of the test runner against a stock nginx (no module needed).
# Runs with our runner (prove -I t/runner/lib) and with the real
# Test::Nginx alike, so it keeps to the real API.

use Test::Nginx::Socket;

repeat_each(2);
no_shuffle();

# Blocks with "--- master_workers: N" run with master_on() and N workers,
# the others with the default single process.
add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->master_workers) {
        master_on();
        workers($block->master_workers);
    } else {
        master_off();
        workers(1);
    }

    if (!defined $block->no_error_log && !defined $block->error_log
        && !defined $block->must_die)
    {
        $block->set_value("no_error_log", "[error]\n[alert]\n[emerg]\n");
    }
});

# Called for every response; adds a test only where the block asks.
add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    if (defined $block->body_length) {
        is(length($body // ''), $block->body_length,
           $block->name . " - body length (req $req_idx)");
    }

    if (defined $block->servroot_clean) {
        is(join(' ', servroot_foreign()), '',
           $block->name . " - nothing foreign in the servroot");
    }
});

# What the servroot holds beyond what the real Test::Nginx creates and
# removes (conf, html, logs, *_temp): it bails out ("not empty?") on
# anything else when the next block wipes the servroot.
sub servroot_foreign {
    opendir my $dh, server_root() or return ('(no servroot)');
    my @foreign = grep { !/^(\.\.?|conf|html|logs|\w+_temp)$/ } readdir $dh;
    closedir $dh;
    return sort @foreign;
}

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (42 in all);
# the 3 must_die blocks are one test each instead; TEST 20's
# shutdown_error_log is checked once, when its nginx stops.
plan tests => repeat_each() * (blocks() * 4 + 42 - 3 * 3) + 1;

run_tests();

__DATA__

=== TEST 1: status code and no_error_log
--- config
    location = /t {
        return 204;
    }
--- request
GET /t
--- error_code: 204
--- response_body
--- no_error_log
[error]
[alert]



=== TEST 2: exact body, headers present and absent
--- config
    location = /t {
        add_header X-Foo "bar baz";
        return 200 "hello\nworld\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar baz
Content-Type: text/plain
!X-Absent
--- response_body
hello
world
--- body_length: 12



=== TEST 3: body and header patterns
--- config
    location = /t {
        add_header X-Num 12345;
        return 200 "the answer is 42, or so\n";
    }
--- request
GET /t
--- response_headers_like
X-Num: \d+
Server: nginx.*
--- response_body_like: answer is \d+



=== TEST 4: request array with error_code and body arrays
--- config
    location = /a {
        return 200 "a\n";
    }
    location = /b {
        return 403;
    }
--- request eval
["GET /a", "GET /b", "HEAD /a"]
--- error_code eval
[200, 403, 200]
--- response_body_like eval
["^a\n\\z", "403 Forbidden", "^\\z"]



=== TEST 5: more_headers, and a request comment
--- config
    location = /t {
        return 200 "foo=$http_x_foo host=$host\n";
    }
--- more_headers
X-Foo: bar
--- request
# the header is sent with the request
GET /t
--- response_body
foo=bar host=localhost



=== TEST 6: more_headers per request
--- config
    location = /t {
        return 200 "$http_x_n\n";
    }
--- more_headers eval
["X-N: 1", "X-N: 2"]
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["1\n", "2\n"]



=== TEST 7: POST body gets a Content-Length, final newline dropped
--- config
    location = /t {
        return 200 "$request_method $content_length\n";
    }
--- request
POST /t
hello world
--- response_body
POST 11



=== TEST 8: raw_request in packets, HTTP/1.0
--- config
    location = /t {
        return 200 "$server_protocol $http_x_raw\n";
    }
--- raw_request eval
["GET /t HTTP/1.0\r\n", "X-Raw: yes\r\nHost: localhost\r\n\r\n"]
--- raw_request_middle_delay: 0.01
--- response_body
HTTP/1.0 yes



=== TEST 9: pipelined requests
--- config
    location = /a {
        return 200 "a\n";
    }
    location = /b {
        return 200 "bb\n";
    }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 200]
--- response_body eval
["a\n", "bb\n"]



=== TEST 10: HTTP/2 with curl
--- http2
--- config
    location = /t {
        return 200 "proto=$server_protocol\n";
    }
--- request
GET /t
--- response_headers
Content-Length: 15
--- response_body
proto=HTTP/2.0



=== TEST 11: error_log and grep_error_log for a missing file
--- config
    location /miss {
        root html;
    }
--- request
GET /miss/none.html
--- error_code: 404
--- error_log
No such file or directory
[error]
--- grep_error_log eval: qr/open\(\) "[^"]+" failed/
--- grep_error_log_out eval
qr/^open\(\) "\S+\/miss\/none\.html" failed\n\z/



=== TEST 12: error_log with a qr// array
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- error_log eval
[qr/http request line: "GET \/t HTTP\/1\.1"/, "http finalize request"]
--- no_error_log
[error]



=== TEST 13: must_die on an unknown directive
--- config
    location = /t {
        runner_selftest_bogus on;
    }
--- must_die
--- suppress_stderr



=== TEST 14: must_die on a directive the runner writes itself
--- main_config
    worker_processes 2;
--- config
    location = /t {
        return 200;
    }
--- must_die: 1
--- suppress_stderr



=== TEST 15: duplicate root location needs no_root_location
--- config
    location / {
        return 200;
    }
--- must_die
--- suppress_stderr



=== TEST 16: main_config and http_config
--- main_config
    worker_rlimit_nofile 1024;
--- http_config
    map $uri $selftest_mapped {
        default  "other";
        /t       "from-map";
    }
--- config
    location = /t {
        return 200 "$selftest_mapped\n";
    }
--- request
GET /t
--- response_body
from-map



=== TEST 17: $TEST_NGINX_SERVER_PORT in config, $ServerPort in body
--- config
    location = /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/port;
    }
    location = /port {
        return 200 "port $server_port\n";
    }
--- request
GET /t
--- response_body
port $ServerPort



=== TEST 18: chunked response and user_files
--- user_files
>>> ssi.html
hello from <!--# echo var="uri" -->
--- config
    location = /ssi.html {
        ssi on;
        ssi_types *;
    }
--- request
GET /ssi.html
--- response_headers
Transfer-Encoding: chunked
--- response_body
hello from /ssi.html



=== TEST 19: master and two workers, graceful shutdown
--- master_workers: 2
--- config
    location = /t {
        return 200 "pid $pid\n";
    }
--- request
GET /t
--- response_body_like: ^pid \d+$
--- grep_error_log eval: "start worker process "
--- grep_error_log_out eval
["start worker process \nstart worker process \n", ""]
--- no_error_log
[error]



=== TEST 20: a block without config reuses the running nginx
As in test-nginx, the shutdown of an nginx is checked against the last
block that used it.
--- request
GET /t
--- response_body_like: ^pid \d+$
--- shutdown_error_log
gracefully shutting down



=== TEST 21: single process shutdown
--- config
    location = /t {
        return 200;
    }
--- request
GET /t
--- shutdown_error_log
shutting down
--- no_shutdown_error_log
gracefully shutting down



=== TEST 22: timeout and abort on a kept-alive raw request
--- config
    location = /t {
        return 200 "kept\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- timeout: 300ms
--- abort
--- wait: 0.05
--- response_body
kept



=== TEST 23: skip_eval
--- config
    location = /t {
        return 200;
    }
--- request
GET /t
--- skip_eval: 2: 1



=== TEST 24: the servroot holds only what the real Test::Nginx wipes
--- config
    location = /t {
        return 204;
    }
--- request
GET /t
--- error_code: 204
--- servroot_clean
