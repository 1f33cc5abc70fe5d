# The schema registry (strm_schemas) is loaded and compiled when nginx
# reads its configuration: a broken schema, contract or regex, a field
# a contract names that its schema lacks or an unknown reference stops
# "nginx -t" naming the file and the reason.  The broken registries are
# the core unit tests' fixtures (t/unit/data/registry-bad/<case>/).

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines; each of the 11 config blocks is one must_die test
# instead, and its strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 - 11 * 3) + 11 * 2;

run_tests();

__DATA__

=== TEST 1: the demo registry loads, and takes STRM's demo event
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event())
--- error_code: 204
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: config: a regex that does not compile
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/regex;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/regex/acme/ev/1.0.0/contract.json: validation 0: regex "a(b" does not compile: missing closing parenthesis at offset 3



=== TEST 3: config: an Avro schema that does not compile
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/avro;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/avro/acme/ev/1.0.0/schema.avsc:



=== TEST 4: config: a contract file that is not JSON
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/json;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/json/acme/ev/1.0.0/



=== TEST 5: config: a key field the schema does not have
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/key-not-in-schema;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/key-not-in-schema/acme/ev/1.0.0/contract.json:



=== TEST 6: config: a schemaRef that is not in the registry
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/schemaref;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/schemaref/acme/ev/1.0.0/contract.json:



=== TEST 7: config: a schema without strmMeta
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas $TEST_NGINX_STRM_ROOT/t/unit/data/registry-bad/no-strmmeta;
--- config
--- must_die
--- strm_nginx_t_error
registry-bad/no-strmmeta/acme/ev/1.0.0/schema.avsc:



=== TEST 8: config: a registry directory that does not exist
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
    strm_schemas /nonexistent/strm/registry;
--- config
--- must_die
--- strm_nginx_t_error
strm_schemas "/nonexistent/strm/registry": /nonexistent/strm/registry: opendir() failed



=== TEST 9: config: strm_ingest without strm_schemas (and not raw)
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /event {
        strm_ingest events;
    }
--- must_die
--- strm_nginx_t_error
"strm_ingest" checks events against "strm_schemas", which is not set (or mark the location "raw")



=== TEST 10: config: strm_ingest with a second parameter other than raw
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /event {
        strm_ingest events cooked;
    }
--- must_die
--- strm_nginx_t_error
invalid parameter "cooked", only "raw" may follow the topic



=== TEST 11: config: strm_dead_letter with an invalid topic
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /event {
        strm_ingest events raw;
        strm_dead_letter "no topic";
    }
--- must_die
--- strm_nginx_t_error
invalid Kafka topic "no topic"



=== TEST 12: config: strm_ready takes no arguments
--- http_config
    strm_kafka_brokers 127.0.0.1:9092;
--- config
    location = /ready {
        strm_ready now;
    }
--- must_die
--- strm_nginx_t_error
invalid number of arguments in "strm_ready" directive
