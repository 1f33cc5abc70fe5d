# Every error an ingest location answers is JSON naming the problem, and
# every configuration mistake stops "nginx -t".  Config blocks are
# --- must_die blocks (for any Test::Nginx) plus --- strm_nginx_t_error:
# Strm::Test runs "nginx -t" on the block's configuration itself and
# checks the message, since Debian's nginx prints config errors on stderr
# where no Test::Nginx looks.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (headers,
# bodies: 19 in all); each of the 14 config blocks is one must_die test
# instead, and its strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 + 19 - 14 * 3) + 14 * 2;

run_tests();

__DATA__

=== TEST 1: GET is refused with 405, Allow and a JSON body
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
GET /event
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
!Strm-Event-Id
--- response_body
{"error":"only POST is accepted here","code":"method_not_allowed"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: an empty body is refused with 400
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- more_headers
Content-Length: 0
--- request
POST /event
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":"the request has no event in its body","code":"empty_body"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: a body over client_max_body_size is refused with a JSON 413
--- config
    location = /event {
        client_max_body_size 100;
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("z" x 1000)
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body
{"error":"the event is larger than this location accepts","code":"too_large"}
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[emerg]



=== TEST 4: a chunked body over client_max_body_size is refused with 413
--- config
    location = /event {
        client_max_body_size 100;
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- raw_request eval
"POST /event HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
c8\r
" . ("q" x 200) . "\r
0\r
\r
"
--- error_code: 413
--- response_body
{"error":"the event is larger than this location accepts","code":"too_large"}
--- error_log
client intended to send too large chunked body
--- no_error_log
[alert]
[emerg]



=== TEST 5: an event over Kafka's message.max.bytes is refused with 413
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_property message.max.bytes 1000;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("m" x 5000)
--- error_code: 413
--- response_body
{"error":"the event is larger than this location accepts","code":"too_large"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: a full local queue answers 503 at once, with Retry-After
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_property queue.buffering.max.kbytes 1;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("f" x 2000)
--- error_code: 503
--- response_headers
Retry-After: 1
Content-Type: application/json
--- response_body
{"error":"the local Kafka queue is full, retry later","code":"queue_full"}
--- error_log
strm kafka: local queue full
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: a broken chunked body gets nginx's 400 as JSON
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
zz\r
bad\r
0\r
\r
"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":"the request is malformed","code":"bad_request"}
--- error_log
client sent invalid chunked body
--- no_error_log
[alert]
[emerg]



=== TEST 8: strm_json_errors off keeps nginx's own error page
--- config
    location = /event {
        strm_json_errors off;
        client_max_body_size 10;
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
"POST /event\n" . ("z" x 100)
--- error_code: 413
--- response_headers
Content-Type: text/html
--- response_body_like: 413 Request Entity Too Large
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[emerg]



=== TEST 9: strm_json_errors on in a plain location
--- config
    location = /plain {
        strm_json_errors on;
        return 404;
    }
--- request
GET /plain
--- error_code: 404
--- response_body
{"error":"no such resource","code":"not_found"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 10: config: unknown librdkafka property
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_kafka_property no.such.property 1;
--- config
--- must_die
--- strm_nginx_t_error
invalid strm_kafka_property "no.such.property": No such configuration property



=== TEST 11: config: invalid value of a librdkafka property
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_kafka_property acks sometimes;
--- config
--- must_die
--- strm_nginx_t_error
invalid strm_kafka_property "acks"



=== TEST 12: config: a property the module owns
--- http_config
    strm_kafka_property bootstrap.servers 127.0.0.1:9092;
--- config
--- must_die
--- strm_nginx_t_error
strm_kafka_property "bootstrap.servers" is set by the module



=== TEST 13: config: a property given twice
--- http_config
    strm_kafka_property linger.ms 1;
    strm_kafka_property linger.ms 2;
--- config
--- must_die
--- strm_nginx_t_error
duplicate strm_kafka_property "linger.ms"



=== TEST 14: config: a broker without a port
--- http_config
    strm_kafka_brokers kafka1;
--- config
--- must_die
--- strm_nginx_t_error
invalid Kafka broker "kafka1", expected host:port



=== TEST 15: config: strm_kafka_brokers given twice
--- http_config
    strm_kafka_brokers k1:9092;
    strm_kafka_brokers k2:9092;
--- config
--- must_die
--- strm_nginx_t_error
"strm_kafka_brokers" directive is duplicate



=== TEST 16: config: a missing brokers file
--- http_config
    strm_kafka_brokers_file /nonexistent/strm/bootstrap;
--- config
--- must_die
--- strm_nginx_t_error
open() "/nonexistent/strm/bootstrap" failed



=== TEST 17: config: brokers and a brokers file together
--- http_config
    strm_kafka_brokers k1:9092;
    strm_kafka_brokers_file /nonexistent/strm/bootstrap;
--- config
--- must_die
--- strm_nginx_t_error
"strm_kafka_brokers" and "strm_kafka_brokers_file" are exclusive



=== TEST 18: config: an invalid topic name
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /event {
        strm_ingest "bad topic!";
    }
--- must_die
--- strm_nginx_t_error
invalid Kafka topic "bad topic!"



=== TEST 19: config: strm_ingest twice in a location
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /event {
        strm_ingest a;
        strm_ingest b;
    }
--- must_die
--- strm_nginx_t_error
"strm_ingest" directive is duplicate



=== TEST 20: config: strm_ingest outside a location
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_ingest a;
--- config
--- must_die
--- strm_nginx_t_error
"strm_ingest" directive is not allowed here



=== TEST 21: config: an invalid delivery timeout
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_kafka_delivery_timeout soon;
--- config
--- must_die
--- strm_nginx_t_error
"strm_kafka_delivery_timeout" directive invalid value



=== TEST 22: config: a delivery timeout librdkafka refuses
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_kafka_delivery_timeout 3000d;
--- config
--- must_die
--- strm_nginx_t_error
invalid strm_kafka_delivery_timeout



=== TEST 23: config: an empty brokers file
--- http_config
    strm_kafka_brokers_file /dev/null;
--- config
--- must_die
--- strm_nginx_t_error
no Kafka brokers in "/dev/null"
