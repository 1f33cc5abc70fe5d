# Kafka faults: brokers down, a slow broker, a full local queue.  The
# block's own request is an ordinary event; --- strm_check then drives
# the fault through strm-devbroker's control port and checks what the
# producers saw against what Kafka holds.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: brokers down: 503 within the delivery timeout, nothing acked lost once back
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_delivery_timeout 1500ms;
    strm_kafka_property reconnect.backoff.max.ms 200;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"before":"down"}
--- error_code: 204
--- strm_check
use Time::HiRes qw(time);
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
strm_broker_ctl("broker/all/down");
my $t0 = time;
my ($status, $h, $body) = strm_curl("-X POST --data '{\"during\":\"down\"}' $url");
my $took = time - $t0;
strm_broker_ctl("broker/all/up");
is($status, 503, "503 while the brokers are down");
like($body, qr/"code":"kafka_timeout"/, "the body says kafka_timeout");
is($h->{'retry-after'}, 1, "with Retry-After");
cmp_ok($took, '<', 1.5 + 2, "answered within the delivery timeout ($took s)");
cmp_ok($took, '>=', 1.4, "and not before it");
my $ok = 0;
for (1 .. 5) {
    my ($s) = strm_curl("-X POST --data '{\"after\":\"up\"}' $url");
    $ok++ if $s == 204;
}
is($ok, 5, "204 again once the brokers are back");
strm_check_acked_in_kafka("brokers down", $topic, unacked => 1);
--- error_log
strm kafka: delivery to
--- no_error_log
[alert]



=== TEST 2: a slow broker does not slow another location of the same worker
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
    location = /fast {
        return 200 "fast\n";
    }
--- request
POST /event
{"slow":"broker"}
--- error_code: 204
--- strm_check
use Time::HiRes qw(time sleep);
my $port = Test::Nginx::Socket::server_port();
strm_broker_ctl("broker/all/rtt/1500");
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    my ($s) = strm_curl("-X POST --data '{\"slow\":1}' http://127.0.0.1:$port/event");
    POSIX::_exit($s == 204 ? 0 : 1);
}
sleep 0.2;
my $t0 = time;
my ($status, $h, $body) = strm_curl("http://127.0.0.1:$port/fast");
my $took = time - $t0;
my $t1 = time;
waitpid($pid, 0);
my $slow = time - $t1 + 0.2 + $took;
strm_broker_ctl("broker/all/rtt/0");
is($status, 200, "the other location answers");
cmp_ok($took, '<', 0.5, "at once ($took s) while an event waits for Kafka");
is($? >> 8, 0, "the slow event is acknowledged (204)");
cmp_ok($slow, '>', 1.0, "and it did wait for the slow broker ($slow s)");
--- no_error_log
[error]
[alert]



=== TEST 3: a full local queue answers 503 at once under load, the rest is delivered
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_property queue.buffering.max.messages 4;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"queue":"warm"}
--- error_code: 204
--- strm_check
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
strm_broker_ctl("broker/all/rtt/500");
my $res = strm_burst(url => $url, n => 40, parallel => 20);
strm_broker_ctl("broker/all/rtt/0");
my %by;
$by{ $_->[0] }++ for @$res;
is(scalar @$res, 40, "40 answers");
ok($by{503}, "some 503 (queue full): " . ($by{503} // 0));
ok($by{204}, "some 204: " . ($by{204} // 0));
is(($by{204} // 0) + ($by{503} // 0), 40, "nothing but 204 and 503");
strm_check_acked_in_kafka("queue full", $topic);
--- error_log
strm kafka: local queue full
--- no_error_log
[alert]
