# Reload (HUP) and graceful quit (QUIT) under a burst of events, with a
# master and two workers: every event a producer saw acknowledged (204)
# is in Kafka, once; no event is answered twice; no alert is logged.
# Old workers finish their events in flight before they exit: each
# waiting request holds a timer that is not cancelable.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

repeat_each(2);
workers(2);
master_on();
no_shuffle();

run_tests();

__DATA__

=== TEST 1: reload (HUP) under a burst loses no acknowledged event
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_property linger.ms 20;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
POST /event
{"warm":"up"}
--- error_code: 204
--- strm_check
use Time::HiRes qw(sleep);
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
my $res = strm_burst_during(sub {
    ok(kill('HUP', strm_nginx_pid()), "HUP sent to the master");
    sleep 0.3;
    ok(kill('HUP', strm_nginx_pid()), "and a second HUP");
}, url => $url, n => 400, parallel => 16);
my @res = @$res;
my %by;
$by{ $_->[0] }++ for @res;
is(scalar @res, 400, "400 answers");
is($by{204} // 0, 400, "all 204 across two reloads: "
   . join(", ", map { "$_ x $by{$_}" } sort keys %by));
strm_check_acked_in_kafka("reload", $topic, client => [@res]);
sleep 1;
--- no_error_log
[alert]
[emerg]
[crit]
