# Events of 10 MB, within and beyond client_max_body_size.  Once per
# block: librdkafka's mock cluster (strm-devbroker) keeps about 5 MiB
# per partition and drops older data, so a second 10 MB event in the
# same topic would push the first one out before it is read back.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(1);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (bodies and
# the strm_* sections: 3 in all).
plan tests => repeat_each() * (blocks() * 4 + 3);

run_tests();

__DATA__

=== TEST 1: a 10 MB event within the limits is taken whole
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_kafka_property message.max.bytes 12000000;
--- config
    location = /event {
        client_max_body_size 11m;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    notSensitiveValue => "x" x (10 * 1024 * 1024)))
--- error_code: 204
--- strm_acked_in_kafka
--- strm_check
my @len = map { length($_->{value} // '') }
          @{ strm_kafka_records($topic, min => 1, timeout => 30) };
ok(scalar @len, "the big event is in Kafka");
ok($_ > 10 * 1024 * 1024 && $_ < 10 * 1024 * 1024 + 1000, "whole: $_ bytes")
    for @len;
--- timeout: 60
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: a 10 MB event beyond client_max_body_size: 413 in JSON
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
--- config
    location = /event {
        client_max_body_size 10m;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    notSensitiveValue => "x" x (10 * 1024 * 1024)))
--- error_code: 413
--- response_body_like: "code":"too_large"
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[emerg]
