# The schema registry (strm_schemas) is loaded and compiled when nginx
# reads its configuration: a broken schema, contract or regex, a field
# a contract names that its schema lacks or an unknown reference stops
# "nginx -t" naming the file and the reason.  The broken registries are
# the core unit tests' fixtures (t/unit/data/registry-bad/<case>/).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: the demo registry loads, and ingest still answers
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
POST /event
{"a":1}
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
