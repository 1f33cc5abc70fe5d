# Events against schemas and event contracts, as STRM's drivers send them:
# raw Avro binary (made here by python3-avro, an independent encoder),
# plain JSON and Avro-JSON, over HTTP/1.1 and HTTP/2.  A valid event goes
# to Kafka as JSON with strmMeta stamped and headers for workers; every
# broken one gets a 400 (415 for a media type) naming the field, the
# rule and the schema ref, and never echoing a value.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
});

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines, plus its own checks (headers, bodies, each strm_*
# section: 120 in all, 9 of them TEST 55's three requests).
plan tests => repeat_each() * (blocks() * 4 + 120);

run_tests();

__DATA__

=== TEST 1: JSON (Content-Type application/json): 204, the event in Kafka
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    'strmMeta/consentLevels' => [2, 0, 1, 1]))
--- error_code: 204
--- response_headers_like
Strm-Event-Id: [0-9a-f-]{36}
--- strm_acked_in_kafka
--- strm_check
strm_check_events("json", $topic,
    strm_demo_event('strmMeta/consentLevels' => [2, 0, 1, 1]),
    schema => "strmprivacy/demo/1.0.2", levels => "0,1,2",
    pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: Avro binary as the Python and Node drivers send it
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Serialization-Type: application/x-avro-binary
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2",
    Strm::Test::strm_demo_event())
--- error_code: 204
--- strm_acked_in_kafka
--- strm_check
strm_check_events("avro", $topic, strm_demo_event(),
    schema => "strmprivacy/demo/1.0.2", levels => "0,1,2",
    pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: Avro binary with only Content-Type octet-stream (Java driver)
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2",
    Strm::Test::strm_demo_event(someSensitiveValue => undef))
--- error_code: 204
--- strm_check
strm_check_events("java", $topic,
    strm_demo_event(someSensitiveValue => undef),
    schema => "strmprivacy/demo/1.0.2",
    pii => [qw(uniqueIdentifier consistentValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: Avro binary with no Content-Type at all (STRM's CLI simulator)
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2",
    Strm::Test::strm_demo_event())
--- error_code: 204
--- strm_check
strm_check_events("simulator", $topic, strm_demo_event(), pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: Avro-JSON (unions wrapped, the Python driver's JSON) becomes plain JSON
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Serialization-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request
POST /event
{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","nonce":null,"timestamp":null,"keyLink":null,"billingId":null,"consentLevels":[0,1,2]},"uniqueIdentifier":{"string":"unique-1"},"consistentValue":"session-1","someSensitiveValue":{"string":"sensitive-1"},"notSensitiveValue":{"string":"not-sensitive-1"}}
--- error_code: 204
--- strm_check
strm_check_events("avro-json", $topic, strm_demo_event(), pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: the legacy Strm-Schema-Id header
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Strm-Schema-Id: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2",
    Strm::Test::strm_demo_event())
--- error_code: 204
--- strm_check
strm_check_events("schema-id", $topic, strm_demo_event(),
    schema => "strmprivacy/demo/1.0.2", pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: clickstream over HTTP/2 as Avro binary
--- http2
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/clickstream/1.0.0",
    Strm::Test::strm_click_event())
--- error_code: 204
--- strm_check
strm_check_events("h2 clickstream", $topic, strm_click_event(),
    schema => "strmprivacy/clickstream/1.0.0", levels => "0,1",
    pii => [qw(customer/id producerSessionId)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 8: "curl -d @event.json" (form type, JSON body, STRM's docs) is JSON
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/x-www-form-urlencoded
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 204
--- strm_check
strm_check_events("curl", $topic, strm_demo_event(), pii => [qw(uniqueIdentifier consistentValue someSensitiveValue)]);
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 9: a JSON Schema event
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request
POST /event
{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"qty":3,"status":"paid","tags":["x"],"customer":{"email":"a@b.example"}}
--- error_code: 204
--- strm_check
strm_each_decrypted($topic, sub {
    my ($r, $d) = @_;
    like($r->{value}, qr/^\{"strmMeta":\{"eventContractRef":"acme\/orders\/1\.0\.0","consentLevels":\[2\],"timestamp":\d{13},"nonce":-?\d+,"keyLink":"[0-9a-f-]{36}"\},"orderId":"A[^"]+","amount":12\.5,"qty":3,"status":"paid","tags":\["x"\],"customer":\{"email":"A[^"]+"\}\}$/,
         "the JSON Schema event, stamped, members in their order, the key field and the PII encrypted");
    is(join(",", sort @{ $d->{decrypted} }), "customer/email,orderId",
       "the PII field and the key field were encrypted");
    is($d->{event}{customer}{email}, 'a@b.example', "and decrypt back");
    is($d->{event}{orderId}, "o-17", "the key field too");
    is($r->{headers}{'strm-consent-levels'}, "2", "consent header");
});
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 10: schema: a string where the schema has an int
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(conversion => "x"))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"conversion","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 11: schema: a number where the schema has a string
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(url => 42))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"url","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 12: schema: a string where the schema has an array
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(abTests => "a"))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"abTests","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 13: schema: an array item of the wrong type
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(abTests => ["a", 7]))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"abTests\/1","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 14: schema: a string where the schema has a record
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(customer => "c"))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"customer","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 15: schema: a required field is missing
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(-delete => ["eventType"]))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"eventType","rule":"required","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 16: schema: a member the schema does not have
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(extra => 1))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"extra","rule":"additionalProperties","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 17: schema: an Avro-JSON union branch the field does not have
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","consentLevels":[]},"uniqueIdentifier":{"int":1},"consistentValue":"s"}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"uniqueIdentifier","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 18: contract: url breaks its regex rule
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(url => "not a url"))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"validation_failed","field":"url","rule":"regex","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 19: contract: customer/id breaks its regex rule (^.+$)
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(customer => { id => "" }))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"validation_failed","field":"customer\/id","rule":"regex","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 20: contract: consistentValue, the key field, is empty
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(consistentValue => ""))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"key_field_empty","field":"consistentValue","rule":"keyField","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 21: contract: producerSessionId, the key field, is empty (Avro)
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/clickstream/1.0.0", Strm::Test::strm_click_event(producerSessionId => ""))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"key_field_empty","field":"producerSessionId","rule":"keyField","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 22: strmMeta: consentLevels missing
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(-delete => ["strmMeta/consentLevels"]))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"strmMeta\/consentLevels","rule":"required","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 23: strmMeta: consentLevels missing under a JSON Schema that requires it
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request
POST /event
{"strmMeta":{"eventContractRef":"acme/orders/1.0.0"},"orderId":"o-17","amount":1}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"strmMeta\/consentLevels","rule":"required","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 24: strmMeta: a consent level that is not an integer
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event("strmMeta/consentLevels" => ["a"]))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"strmMeta\/consentLevels\/0","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 25: strmMeta: a negative consent level
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event("strmMeta/consentLevels" => [1, -1]))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_strm_meta","field":"strmMeta\/consentLevels","rule":"range","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 26: strmMeta: eventContractRef names no known contract
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event("strmMeta/eventContractRef" => "acme/nosuch/1.0.0"))
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"contract_unknown","field":"strmMeta\/eventContractRef","rule":"known","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 27: strmMeta: strmMeta missing
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request
POST /event
{"orderId":"o-17","amount":1}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"strmMeta","rule":"required","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 28: JSON Schema: minimum
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":-1,"qty":1,"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"amount","rule":"minimum","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 29: JSON Schema: maximum
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":1000.5,"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"amount","rule":"maximum","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 30: JSON Schema: exclusiveMinimum
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"qty":0,"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"qty","rule":"exclusiveMinimum","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 31: JSON Schema: pattern
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"x-17","amount":1,"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"orderId","rule":"pattern","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 32: JSON Schema: maxLength
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-1234567","amount":1,"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"orderId","rule":"maxLength","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 33: JSON Schema: enum
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"status":"lost","customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"status","rule":"enum","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 34: JSON Schema: const
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"kind":"refund","customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"kind","rule":"const","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 35: JSON Schema: type
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"paid":"yes","customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"paid","rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 36: JSON Schema: minItems
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"tags":[],"customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"tags","rule":"minItems","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 37: JSON Schema: a nested required member
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request
POST /event
{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":1,"customer":{"name":"n"}}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"customer\/email","rule":"required","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 38: JSON Schema: additionalProperties
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"color":"red","customer":{"email":"a@b.example"}}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"color","rule":"additionalProperties","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 39: JSON Schema: the contract's regex on customer/email
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/orders/1.0.0
--- request
POST /event
{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":1,"customer":{"email":"nobody"}}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"validation_failed","field":"customer\/email","rule":"regex","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 40: no Strm-Schema-Ref
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_ref_missing","field":null,"rule":"required","detail":(?:"[^"]*"|null),"schemaRef":null\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 41: an unknown schema ref is named in the answer
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: acme/nosuch/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_unknown","field":null,"rule":"known","detail":(?:"[^"]*"|null),"schemaRef":"acme\/nosuch\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 42: a schema ref that is not handle/name/version
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: nonsense
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_unknown","field":null,"rule":"known","detail":(?:"[^"]*"|null),"schemaRef":"nonsense"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 43: JSON that does not parse
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . '{"strmMeta":'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_json","field":null,"rule":"syntax","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 44: JSON with invalid UTF-8
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(notSensitiveValue => "AAAA")) =~ s/AAAA/\xff\xfe/r
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_json","field":null,"rule":"utf8","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 45: JSON with a member twice
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","consentLevels":[]},"consistentValue":"a","consistentValue":"b"}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_json","field":null,"rule":"duplicate","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 46: JSON that is not an object
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . '[1,2]'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_json","field":null,"rule":"type","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 47: JSON nested 100000 deep: refused, no stack blow-up
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","consentLevels":[]},"consistentValue":' . ('[' x 100000) . (']' x 100000) . '}'
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"too_deep","field":null,"rule":"depth","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 48: Avro binary cut short
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . substr(Strm::Test::strm_avro("strmprivacy/demo/1.0.2", Strm::Test::strm_demo_event()), 0, -3)
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_avro","field":"notSensitiveValue","rule":"truncated","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 49: Avro binary with bytes after the datum
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2", Strm::Test::strm_demo_event()) . "\x00\x02"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_avro","field":null,"rule":"trailing","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 50: Avro binary with invalid UTF-8 in a string
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/demo/1.0.2", Strm::Test::strm_demo_event(notSensitiveValue => "AAAA")) =~ s/AAAA/\xff\xfe\xfd\xfc/r
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_avro","field":"notSensitiveValue","rule":"utf8","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 51: Avro binary of another schema
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/octet-stream
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_avro("strmprivacy/clickstream/1.0.0", Strm::Test::strm_click_event())
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_avro","field":"uniqueIdentifier","rule":"union","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 52: 415: an unknown Strm-Serialization-Type
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Serialization-Type: text/plain
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"unsupported_media_type","field":null,"rule":"serialization","detail":(?:"[^"]*"|null),"schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 53: 415: Avro binary for a JSON Schema
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Serialization-Type: application/x-avro-binary
Strm-Schema-Ref: acme/orders/1.0.0
--- request eval
"POST /event\n" . '{"strmMeta":{"eventContractRef":"acme/orders/1.0.0","consentLevels":[2]},"orderId":"o-17","amount":12.5,"customer":{"email":"a@b.example"}}'
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"[^"]+","code":"unsupported_media_type","field":null,"rule":"serialization","detail":(?:"[^"]*"|null),"schemaRef":"acme\/orders\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 54: a refused value is never echoed, in the answer or the log
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(
    url => "PII-SECRET-7 is no url"))
--- error_code: 400
--- response_body_unlike: PII-SECRET
--- no_error_log
[error]
[alert]
[emerg]
PII-SECRET



=== TEST 55: refused events go to the dead-letter topic, PII removed
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
        strm_dead_letter $TEST_NGINX_STRM_TOPIC-dead;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
["POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(
     url => "no url", producerSessionId => "PII-SECRET-1",
     customer => { id => "PII-SECRET-2" })),
 "POST /event\n" . '{"strmMeta": PII-SECRET-3',
 "POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(
     conversion => "PII-SECRET-4"))]
--- error_code eval
[400, 400, 400]
--- strm_check
my $dls = strm_dead_letters("$topic-dead", 3 * ($repeat + 1));
is(scalar @$dls, 3 * ($repeat + 1), "every refused event has a dead letter");
unlike($_->{value}, qr/PII-SECRET/, "no PII in a dead letter") for @$dls;
is($_->{headers}{'strm-error-code'}, $_->{letter}{code},
   "header strm-error-code") for @$dls;
my %by = map { ($_->{letter}{code} => $_->{letter}) } @$dls;
my $v = $by{validation_failed};
is($v->{field}, "url", "the field");
is($v->{rule}, "regex", "the rule");
is($v->{schemaRef}, "strmprivacy/clickstream/1.0.0", "the schema ref");
is($v->{contractRef}, "strmprivacy/clickstream/1.0.0", "the contract ref");
is($v->{event}{eventType}, "click", "the event, with its non-PII fields");
ok(!exists $v->{event}{producerSessionId}, "without the key field");
ok(!exists $v->{event}{customer}{id}, "without the PII fields");
like($v->{eventId}, qr/^[0-9a-f-]{36}$/, "with the event id");
is($by{invalid_json}{event}, undef, "a body that did not parse is not kept");
is($by{schema_violation}{event}, undef, "nor one that broke its schema");
is(scalar @{ strm_kafka_records($topic, timeout => 2) }, 0,
   "nothing went to the stream's topic");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 56: GET /ready while the producer is usable and the key store current
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
--- init
Strm::Test::strm_wait_ready("/ready");
--- request
GET /ready
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body chomp
{"status":"ready"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 57: /ready is GET only
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /ready {
        strm_ready;
    }
--- request
POST /ready
x
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body_like: "code":"method_not_allowed"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 58: /ready without a producer (no strm_ingest anywhere): 503
--- config
    location = /ready {
        strm_ready;
    }
--- request
GET /ready
--- error_code: 503
--- response_body_like: "code":"not_ready"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 59: an empty body with a schema ref
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Strm-Schema-Ref: strmprivacy/demo/1.0.2
Content-Length: 0
--- request
POST /event
--- error_code: 400
--- response_body_like: "code":"empty_body"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 60: a contract written for another schema is refused (its PII rules would not fit)
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/clickstream/1.0.0
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_click_event(
    'strmMeta/eventContractRef' => "strmprivacy/example/1.3.0"))
--- error_code: 400
--- response_body_like chomp
^\{"error":"[^"]+","code":"contract_mismatch","field":"strmMeta\/eventContractRef","rule":"schema","detail":"[^"]+","schemaRef":"strmprivacy\/clickstream\/1\.0\.0"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 61: strmMeta: eventContractRef missing
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    -delete => ['strmMeta/eventContractRef']))
--- error_code: 400
--- response_body_like chomp
^\{"error":"[^"]+","code":"schema_violation","field":"strmMeta\/eventContractRef","rule":"required","detail":"[^"]+","schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 62: a JSON body sent with another content type (text/plain) is read as Avro binary, and the refusal says to send Content-Type: application/json
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: text/plain
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n \n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 400
--- response_body_like chomp
^\{"error":"[^"]+","code":"invalid_avro","field":"[^"]*","rule":"length","detail":"the body looks like JSON: send Content-Type: application/json \(read as Avro binary: [^"]+\)","schemaRef":"strmprivacy\/demo\/1\.0\.2"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 63: header names and the media type in another case (STRM-SCHEMA-REF, content-type: Application/JSON): 204, read as JSON
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
content-type: Application/JSON
STRM-SCHEMA-REF: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 204
--- no_error_log
[error]
[alert]
[emerg]
