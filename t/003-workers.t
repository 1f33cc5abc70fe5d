# Two workers under a master, each with its own Kafka producer: events
# spread over both are all in Kafka, each once.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);
workers(2);
master_on();

# The count as Test::Nginx makes it: each of the 10 requests is its
# status and three no_error_log lines; strm_acked_in_kafka is one.
plan tests => repeat_each() * (10 * 4 + 1);

run_tests();

__DATA__

=== TEST 1: events through two workers all reach Kafka once
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request eval
[map { "POST /event\n{\"w\":$_}" } 1 .. 10]
--- error_code eval
[(204) x 10]
--- strm_acked_in_kafka
--- no_error_log
[error]
[alert]
[emerg]
