# Debug logging: with nginx built --with-debug (Debian's is) and
# "error_log ... debug", each step of a request shows in the error log,
# named "strm <step>: ...", and no value of the event is among them.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(1);

plan tests => repeat_each() * (blocks() + 31);

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: an accepted event: body, schema, key link, encryption, Kafka, answer
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-debug-session",
    uniqueIdentifier => "PII-debug-user",
    someSensitiveValue => "PII-debug-sensitive"))
--- error_code: 204
--- error_log
strm ingest: reading the body
strm ingest: event
strm schema: "strmprivacy/demo/1.0.2", json
strm schema: the event keeps contract "strmprivacy/example/1.3.0"
strm pii: a new session in window
strm pii: candidate key link
strm ingest: waiting for the candidate's delivery
-keys": ok
strm keys sync: waiting for partition
record, wins
strm pii: key link
strm pii: 3 fields encrypted
strm schema: serialized
strm kafka: produced
strm ingest: waiting for the delivery report
strm answer: 204
--- no_error_log
PII-debug
[error]
[alert]
[emerg]
[warn]



=== TEST 2: a refused event: the field and the rule, never the value
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "",
    uniqueIdentifier => "PII-debug-refused"))
--- error_code: 400
--- error_log
strm schema: "strmprivacy/demo/1.0.2", json
field "consistentValue", rule "
strm answer: 400
--- no_error_log
PII-debug
strm kafka: produced
[error]
[alert]



=== TEST 3: nginx's own 405 in an ingest location, as JSON
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 405
--- error_log
strm answer: 405 method_not_allowed
--- no_error_log
strm ingest: reading the body
[error]
