# The strm_status location: the counters of the strm_status zone as JSON
# or in Prometheus' text format, GET and HEAD only; and strm_status_zone
# mistakes stop "nginx -t" (--- strm_nginx_t_error, see t/002-errors.t).
# The last blocks count real events of an ingest location.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;

repeat_each(2);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines, plus its own checks (headers, bodies, strm_check:
# 20 in all); each of the 5 config blocks is one must_die test instead,
# and its strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 + 20 - 5 * 3) + 5 * 2;

run_tests();

# ---- the procedures the blocks name ----------------------------------

# $topic's counters in /status: {"REF:requests" => n, "REF:accepted",
# "REF:bytes", "REF:CODE" (refusals), ...}; REF is '' for requests
# refused before their schema ref was known
sub stream_counts {
    my ($topic) = @_;
    my %c;
    for my $e (@{ strm_status()->{streams} }) {
        next unless $e->{stream} eq $topic;
        $c{"$e->{schemaRef}:$_"} += $e->{$_} for qw(requests accepted bytes);
        $c{"$e->{schemaRef}:$_"} += $e->{rejected}{$_}
            for keys %{ $e->{rejected} };
    }
    return \%c;
}

# How much each counter moved from $before to $after
sub moved {
    my ($before, $after) = @_;
    my %d = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) }
            keys %{ { %$before, %$after } };
    return \%d;
}

# Two good demo events, one with an empty key field, then the latter
# without a Content-Type under a schema ref nobody knows; returns their
# statuses
sub post_the_mix {
    my ($good, $bad) = @_;
    return ((strm_post_event($good))[0], (strm_post_event($good))[0],
            (strm_post_event($bad))[0],
            (strm_post('/event', $bad, 'Strm-Schema-Ref: acme/none/1.0.0'))[0]);
}

__DATA__

=== TEST 1: an empty zone is valid JSON with no streams
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
\A\{"version":1,"streams":\[\],"totals":\{"requests":0,"accepted":0,"bytes":0,"rejected":\{\}\},"kafka":\{"produced":0,"delivered":0,"failed":0,"queueFull":0,"inFlight":0,"deliveryMs":\{"le":\{"1":0,[^\n]*"requestMs":\{"le":\{[^\n]*"\+Inf":0\},"sum":0,"count":0\}\}\n\z
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: format=json is the default format
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status?format=json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body
{"version":1,"streams":[],"totals":{"requests":0,"accepted":0,"bytes":0,"rejected":{}},"kafka":{"produced":0,"delivered":0,"failed":0,"queueFull":0,"inFlight":0,"deliveryMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}},"keys":{"lookups":0,"created":0,"syncMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}},"auth":{"failures":0,"tokenFailures":{"invalid_client":0,"invalid_grant":0}},"ready":0,"kafkaBrokersUp":0,"requestMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: format=prometheus is the text format 0.0.4, each family once
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status?format=prometheus
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body
# HELP strm_requests_total Ingest requests answered.
# TYPE strm_requests_total counter
# HELP strm_accepted_total Events accepted (acknowledged by Kafka).
# TYPE strm_accepted_total counter
# HELP strm_received_bytes_total Bytes of request bodies received.
# TYPE strm_received_bytes_total counter
# HELP strm_rejected_total Events rejected, by error code.
# TYPE strm_rejected_total counter
# HELP strm_kafka_produced_total Messages queued to Kafka.
# TYPE strm_kafka_produced_total counter
strm_kafka_produced_total 0
# HELP strm_kafka_delivered_total Messages Kafka acknowledged.
# TYPE strm_kafka_delivered_total counter
strm_kafka_delivered_total 0
# HELP strm_kafka_failed_total Messages Kafka did not take.
# TYPE strm_kafka_failed_total counter
strm_kafka_failed_total 0
# HELP strm_kafka_queue_full_total Messages refused because the local queue was full.
# TYPE strm_kafka_queue_full_total counter
strm_kafka_queue_full_total 0
# HELP strm_keys_lookups_total Key links asked for by events.
# TYPE strm_keys_lookups_total counter
strm_keys_lookups_total 0
# HELP strm_keys_created_total Key links created.
# TYPE strm_keys_created_total counter
strm_keys_created_total 0
# HELP strm_auth_failures_total Bearer tokens refused.
# TYPE strm_auth_failures_total counter
strm_auth_failures_total 0
# HELP strm_token_failures_total Token requests refused, by reason.
# TYPE strm_token_failures_total counter
strm_token_failures_total{reason="invalid_client"} 0
strm_token_failures_total{reason="invalid_grant"} 0
# HELP strm_kafka_in_flight Messages queued to Kafka without a delivery report yet.
# TYPE strm_kafka_in_flight gauge
strm_kafka_in_flight 0
# HELP strm_ready 1 while every worker would answer strm_ready 200.
# TYPE strm_ready gauge
strm_ready 0
# HELP strm_kafka_brokers_up Kafka brokers up, the fewest of any worker's producer.
# TYPE strm_kafka_brokers_up gauge
strm_kafka_brokers_up 0
# HELP strm_request_duration_seconds Ingest requests, from the request to the answer.
# TYPE strm_request_duration_seconds histogram
strm_request_duration_seconds_bucket{le="0.001"} 0
strm_request_duration_seconds_bucket{le="0.005"} 0
strm_request_duration_seconds_bucket{le="0.010"} 0
strm_request_duration_seconds_bucket{le="0.025"} 0
strm_request_duration_seconds_bucket{le="0.050"} 0
strm_request_duration_seconds_bucket{le="0.100"} 0
strm_request_duration_seconds_bucket{le="0.250"} 0
strm_request_duration_seconds_bucket{le="0.500"} 0
strm_request_duration_seconds_bucket{le="1.000"} 0
strm_request_duration_seconds_bucket{le="2.500"} 0
strm_request_duration_seconds_bucket{le="5.000"} 0
strm_request_duration_seconds_bucket{le="10.000"} 0
strm_request_duration_seconds_bucket{le="+Inf"} 0
strm_request_duration_seconds_sum 0.000
strm_request_duration_seconds_count 0
# HELP strm_kafka_delivery_seconds Kafka messages, from produce to the delivery report.
# TYPE strm_kafka_delivery_seconds histogram
strm_kafka_delivery_seconds_bucket{le="0.001"} 0
strm_kafka_delivery_seconds_bucket{le="0.005"} 0
strm_kafka_delivery_seconds_bucket{le="0.010"} 0
strm_kafka_delivery_seconds_bucket{le="0.025"} 0
strm_kafka_delivery_seconds_bucket{le="0.050"} 0
strm_kafka_delivery_seconds_bucket{le="0.100"} 0
strm_kafka_delivery_seconds_bucket{le="0.250"} 0
strm_kafka_delivery_seconds_bucket{le="0.500"} 0
strm_kafka_delivery_seconds_bucket{le="1.000"} 0
strm_kafka_delivery_seconds_bucket{le="2.500"} 0
strm_kafka_delivery_seconds_bucket{le="5.000"} 0
strm_kafka_delivery_seconds_bucket{le="10.000"} 0
strm_kafka_delivery_seconds_bucket{le="+Inf"} 0
strm_kafka_delivery_seconds_sum 0.000
strm_kafka_delivery_seconds_count 0
# HELP strm_keys_sync_seconds New key links' records, from produce to Kafka's acknowledgement.
# TYPE strm_keys_sync_seconds histogram
strm_keys_sync_seconds_bucket{le="0.001"} 0
strm_keys_sync_seconds_bucket{le="0.005"} 0
strm_keys_sync_seconds_bucket{le="0.010"} 0
strm_keys_sync_seconds_bucket{le="0.025"} 0
strm_keys_sync_seconds_bucket{le="0.050"} 0
strm_keys_sync_seconds_bucket{le="0.100"} 0
strm_keys_sync_seconds_bucket{le="0.250"} 0
strm_keys_sync_seconds_bucket{le="0.500"} 0
strm_keys_sync_seconds_bucket{le="1.000"} 0
strm_keys_sync_seconds_bucket{le="2.500"} 0
strm_keys_sync_seconds_bucket{le="5.000"} 0
strm_keys_sync_seconds_bucket{le="10.000"} 0
strm_keys_sync_seconds_bucket{le="+Inf"} 0
strm_keys_sync_seconds_sum 0.000
strm_keys_sync_seconds_count 0
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: HEAD answers the headers of GET
--- config
    location = /status {
        strm_status;
    }
--- request
HEAD /status
--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Length: 726
--- response_body
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: POST is refused with 405, Allow and a JSON body
--- config
    location = /status {
        strm_status;
    }
--- request
POST /status
{"a":1}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body
{"error":"only GET and HEAD are accepted here","code":"method_not_allowed"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: strm_json_errors on does not replace the 405 body
--- http_config
    strm_json_errors on;
--- config
    location = /status {
        strm_status;
    }
--- request
DELETE /status
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body
{"error":"only GET and HEAD are accepted here","code":"method_not_allowed"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: an unknown format is refused with 400
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status?format=xml
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":"format must be json or prometheus","code":"bad_request"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 8: strm_status_zone sizes the zone
--- http_config
    strm_status_zone 128k;
--- config
    location = /status {
        strm_status;
    }
--- request
GET /status
--- error_code: 200
--- response_body
{"version":1,"streams":[],"totals":{"requests":0,"accepted":0,"bytes":0,"rejected":{}},"kafka":{"produced":0,"delivered":0,"failed":0,"queueFull":0,"inFlight":0,"deliveryMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}},"keys":{"lookups":0,"created":0,"syncMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}},"auth":{"failures":0,"tokenFailures":{"invalid_client":0,"invalid_grant":0}},"ready":0,"kafkaBrokersUp":0,"requestMs":{"le":{"1":0,"5":0,"10":0,"25":0,"50":0,"100":0,"250":0,"500":0,"1000":0,"2500":0,"5000":0,"10000":0,"+Inf":0},"sum":0,"count":0}}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 9: config: a zone under the minimum
--- http_config
    strm_status_zone 1k;
--- config
--- must_die
--- strm_nginx_t_error
invalid strm_status_zone size "1k", the minimum is 64k



=== TEST 10: config: a zone size that is not a size
--- http_config
    strm_status_zone abc;
--- config
--- must_die
--- strm_nginx_t_error
"strm_status_zone" directive invalid value



=== TEST 11: config: strm_status_zone given twice
--- http_config
    strm_status_zone 64k;
    strm_status_zone 1m;
--- config
--- must_die
--- strm_nginx_t_error
"strm_status_zone" directive is duplicate



=== TEST 12: config: strm_status_zone in a location
--- config
    location = /status {
        strm_status_zone 1m;
    }
--- must_die
--- strm_nginx_t_error
"strm_status_zone" directive is not allowed here



=== TEST 13: config: strm_status takes no argument
--- config
    location = /status {
        strm_status on;
    }
--- must_die
--- strm_nginx_t_error
invalid number of arguments in "strm_status" directive



=== TEST 14: events are counted per stream and schema ref, by outcome
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /status {
        strm_status;
    }
--- request
GET /status
--- error_code: 200
--- strm_check
my $ref = "strmprivacy/demo/1.0.2";
my $good = strm_json(strm_demo_event());
my $bad = strm_json(strm_demo_event(consistentValue => ""));
my $before = stream_counts($topic);
is_deeply([post_the_mix($good, $bad)], [204, 204, 400, 400],
          "two good events, one with an empty key field, one of an unknown schema");
my $d = moved($before, stream_counts($topic));
is($d->{"$ref:requests"}, 3, "3 requests of the demo schema");
is($d->{"$ref:accepted"}, 2, "2 accepted");
is($d->{"$ref:key_field_empty"}, 1, "1 refused for its empty key field");
is($d->{"$ref:bytes"}, 2 * length($good) + length($bad), "their bytes");
is($d->{":requests"}, 1, "the unknown ref counted without its name");
is($d->{":schema_unknown"}, 1, "as schema_unknown");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 15: the Prometheus text holds the stream's counters, and promtool accepts it
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
    location = /status {
        strm_status;
    }
--- request
GET /status
--- error_code: 200
--- strm_check
my $good = strm_json(strm_demo_event());
my $bad = strm_json(strm_demo_event(consistentValue => ""));
is_deeply([post_the_mix($good, $bad)], [204, 204, 400, 400],
          "two good events, one with an empty key field, one of an unknown schema");
my $prom = strm_prometheus();
like($prom, qr/^strm_accepted_total\{stream="\Q$topic\E",schema_ref="strmprivacy\/demo\/1\.0\.2"\} [1-9]\d*\r?$/m,
     "the same counter in Prometheus text");
strm_promtool_accepts($prom);
--- no_error_log
[error]
[alert]
[emerg]
