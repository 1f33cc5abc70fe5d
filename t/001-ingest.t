# Ingest: one POST, one Kafka message, answered 204 only after Kafka
# acknowledged it.  Kafka is strm-devbroker (started by Strm::Test);
# records are read back with kafka-python, an independent client.
# Each block runs against a topic of its own ($TEST_NGINX_STRM_TOPIC),
# and --- strm_acked_in_kafka checks that the topic holds exactly the
# events the access log shows as answered 204, each once, by event id.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines, plus its own checks (headers, bodies, each strm_*
# section: 101 in all, 78 of them TEST 3's 20 requests).
plan tests => repeat_each() * (blocks() * 4 + 101);

run_tests();

# ---- the procedures the blocks name ----------------------------------

# POSTs $body over HTTP/2 with TLS to the block's TLS server (its
# certificate is Strm::Test's); (status, headers, body)
sub post_over_tls {
    my ($body) = @_;
    return strm_curl("--http2 --cacert $ENV{TEST_NGINX_STRM_TLS_DIR}/cert.pem"
                     . " -X POST --data '$body'"
                     . " https://127.0.0.1:$ENV{TEST_NGINX_STRM_TLS_PORT}/event");
}

__DATA__

=== TEST 1: HTTP/1.1 event becomes one Kafka record, answered 204
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"hello":"world","n":1}
--- error_code: 204
--- response_headers_like
Strm-Event-Id: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}
--- response_body
--- strm_acked_in_kafka
--- strm_kafka_value: {"hello":"world","n":1}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: HTTP/2 (h2c, prior knowledge) event
--- http2
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"over":"h2c"}
--- error_code: 204
--- response_headers_like
Strm-Event-Id: [0-9a-f-]{36}
--- strm_acked_in_kafka
--- strm_kafka_value: {"over":"h2c"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: 20 events in, exactly 20 records out, ids matching the answers
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
[map { "POST /event\n{\"seq\":$_}" } 1 .. 20]
--- error_code eval
[(204) x 20]
--- strm_acked_in_kafka
--- strm_kafka_value_like: ^\{"seq":\d+\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: a body spooled to a temporary file is sent whole
--- config
    location = /event {
        client_body_buffer_size 1k;
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("x" x 50000)
--- error_code: 204
--- strm_acked_in_kafka
--- strm_kafka_value eval
"x" x 50000
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: HTTP/2 body spooled to a temporary file
--- http2
--- config
    location = /event {
        client_body_buffer_size 1k;
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("y" x 30000)
--- error_code: 204
--- strm_acked_in_kafka
--- strm_kafka_value eval
"y" x 30000
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: chunked request body
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- raw_request eval
"POST /event HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
{\"a\":\r
3\r
42}\r
0\r
\r
"
--- error_code: 204
--- strm_acked_in_kafka
--- strm_kafka_value: {"a":42}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: binary bytes pass through unchanged
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n\x{02}\x{00}\x{ff}\x{fe}binary\x{80}\x{01}"
--- error_code: 204
--- strm_acked_in_kafka
--- strm_kafka_value eval
"\x{02}\x{00}\x{ff}\x{fe}binary\x{80}\x{01}"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 8: the event id is a variable for logs
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    log_format ids 'id=$strm_event_id status=$strm_status';
    access_log logs/ids.log ids;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
    location = /ids {
        default_type text/plain;
        alias logs/ids.log;
    }
--- request eval
["POST /event\n{\"v\":1}", "GET /ids"]
--- error_code eval
[204, 200]
--- response_body_like eval
["", qr/^id=[0-9a-f-]{36} status=ok$/m]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 9: HTTP/2 over TLS
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
    server {
        listen 127.0.0.1:$TEST_NGINX_STRM_TLS_PORT ssl http2;
        ssl_certificate $TEST_NGINX_STRM_TLS_DIR/cert.pem;
        ssl_certificate_key $TEST_NGINX_STRM_TLS_DIR/key.pem;
        location = /event {
            strm_ingest $TEST_NGINX_STRM_TOPIC raw;
        }
    }
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"over":"h1"}
--- error_code: 204
--- strm_check
my ($s, $h) = post_over_tls('{"over":"h2+tls"}');
is($s, 204, "204 over TLS");
is($h->{':version'}, "2", "spoken as HTTP/2");
like($h->{'strm-event-id'}, qr/^[0-9a-f-]{36}$/, "with an event id");
my @tls = grep { $_->{value} eq '{"over":"h2+tls"}' }
          @{ strm_kafka_records($topic, min => 2) };
is(scalar(@tls), $repeat + 1, "the TLS event is in Kafka");
is(scalar(grep { $_->{headers}{'strm-event-id'} eq $h->{'strm-event-id'} }
          @tls), 1, "once, under the id that was answered");
strm_check_acked_in_kafka("h2+tls", $topic);
--- no_error_log
[error]
[alert]
[emerg]
