# The gateway's Kafka clients as an operator sees them: a broker list
# written with commas (as librdkafka and every Kafka tool write it),
# spaces or both; each client (producer, keys consumer, strm_egress
# consumer) given only the properties of its kind, so that none logs a
# CONFWARN; /ready that tells the truth about the brokers (503 naming
# what fails while no broker is up or none ever answered, 200 once one
# is), and the strm_ready and strm_kafka_brokers_up gauges of
# strm_status saying the same.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(1);
workers(2);
master_on();
no_shuffle();

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (TEST 6's
# headers and body, TEST 7's strm_check: 3 in all); the config block
# (TEST 4) is one must_die test instead, and its strm_nginx_t_error two.
plan tests => repeat_each() * (blocks() * 4 + 3 - 3) + 2;

# GET /ready until it answers $want (a reload, a broker coming back take
# their time); returns (status, headers, body)
sub ready_until {
    my ($want) = @_;
    return strm_retry($want, sub { strm_curl(strm_url('/ready')) });
}

# strm_status (JSON and Prometheus) until its ready gauge is $ready;
# returns (JSON ready, JSON kafkaBrokersUp, the Prometheus text)
sub gauges_until {
    my ($ready) = @_;
    my $st;
    for (1 .. 50) {
        $st = strm_status('/status');
        last if $st->{ready} == $ready;
        sleep 0.2;
    }
    return ($st->{ready}, $st->{kafkaBrokersUp}, strm_prometheus('/status'));
}

run_tests();

__DATA__

=== TEST 1: strm_kafka_brokers with commas, as librdkafka writes a broker list
--- http_config
    strm_kafka_brokers $TEST_NGINX_STRM_BROKERS;
    # no keys
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"brokers":"commas"}
--- error_code: 204
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: strm_kafka_brokers with a comma and a space
--- http_config
    strm_kafka_brokers $TEST_NGINX_STRM_BROKER_1, $TEST_NGINX_STRM_BROKER_2;
    # no keys
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"brokers":"mixed"}
--- error_code: 204
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: a brokers file with the brokers on lines and spaces
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_SPACED;
    # no keys
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"brokers":"file"}
--- error_code: 204
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: config: an item of a comma list without a port
--- http_config
    strm_kafka_brokers kafka1:9092,kafka2;
--- config
--- must_die
--- strm_nginx_t_error
invalid Kafka broker "kafka2", expected host:port



=== TEST 5: with strm_egress and the keys consumer, producer-only and consumer-only properties: no CONFWARN
--- http_config
    strm_kafka_property linger.ms 5;
    strm_kafka_property compression.type lz4;
    strm_kafka_property queue.buffering.max.messages 50000;
    strm_kafka_property fetch.wait.max.ms 50;
    strm_kafka_property socket.keepalive.enable true;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
    location = /ws {
        strm_egress $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
--- init
Strm::Test::strm_wait_ready("/ready");
--- request
POST /event
{"properties":"own"}
--- error_code: 204
--- no_error_log
CONFWARN
[alert]
[emerg]



=== TEST 6: /ready while no broker can be reached from the start: 503 naming the brokers and the metadata
--- http_config
    strm_kafka_brokers 127.0.0.1:1;
    # no keys
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
    location = /ready {
        strm_ready;
    }
--- request
GET /ready
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body
{"error":"the Kafka producer of this worker is not ready","code":"not_ready","failed":["kafka_brokers","kafka_metadata"]}
--- no_error_log
[alert]
[emerg]
[crit]



=== TEST 7: /ready and the gauges follow the brokers: down 503, back 200, a worker started in an outage 503 until a broker is up
--- http_config
    strm_kafka_property reconnect.backoff.max.ms 200;
    # no keys
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
    location = /ready {
        strm_ready;
    }
    location = /status {
        strm_status;
    }
--- init
Strm::Test::strm_wait_ready("/ready");
--- request
GET /ready
--- error_code: 200
--- strm_check
my ($ready, $up, $prom) = gauges_until(1);
is($ready, 1, "strm_status: ready 1 while the brokers are up");
cmp_ok($up, '>=', 1, "kafkaBrokersUp $up");
like($prom, qr/^strm_ready 1$/m, "Prometheus: strm_ready 1");
like($prom, qr/^strm_kafka_brokers_up [1-9]\d*$/m,
     "Prometheus: strm_kafka_brokers_up");
strm_promtool_accepts($prom, "with the gauges");

strm_broker_ctl("broker/all/down");
my ($s, $h, $body) = ready_until(503);
is($s, 503, "every broker down: /ready 503");
like($body, qr/"code":"not_ready","failed":\["kafka_brokers"\]/,
     "naming the brokers") or diag($body);
($ready, $up, $prom) = gauges_until(0);
is($ready, 0, "strm_status: ready 0");
is($up, 0, "kafkaBrokersUp 0");
like($prom, qr/^strm_ready 0$/m, "Prometheus: strm_ready 0");
like($prom, qr/^strm_kafka_brokers_up 0$/m,
     "Prometheus: strm_kafka_brokers_up 0");

strm_broker_ctl("broker/all/up");
($s) = ready_until(200);
is($s, 200, "a broker back: /ready 200");
($ready) = gauges_until(1);
is($ready, 1, "strm_status: ready 1 again");

strm_broker_ctl("broker/all/down");
ok(strm_nginx_reload(), "reloaded while every broker is down");
($s, $h, $body) = ready_until(503);
is($s, 503, "new workers in the outage: /ready 503");
like($body, qr/"failed":\["kafka_brokers","kafka_metadata"\]/,
     "naming the brokers and the metadata never received") or diag($body);

strm_broker_ctl("broker/all/up");
($s) = ready_until(200);
is($s, 200, "once a broker is up: /ready 200");
is((strm_post('/event', '{"after":"outage"}'))[0], 204,
   "and events are taken");
--- no_error_log
[alert]
[emerg]
[crit]
