# Graceful quit (QUIT) under a burst of events, with a master and two
# workers: every event a producer saw acknowledged (204) is in Kafka,
# once, and the exit flush loses nothing.  The block ends its nginx, so
# it runs once (repeats share one nginx).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

repeat_each(1);
workers(2);
master_on();

run_tests();

__DATA__

=== TEST 1: graceful quit (QUIT) under a burst: what was acknowledged is in Kafka
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_property linger.ms 50;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"warm":"up"}
--- error_code: 204
--- strm_check
use Time::HiRes qw(sleep);
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
my $master = strm_nginx_pid();
my $res = strm_burst_during(sub {
    ok(kill('QUIT', $master), "QUIT sent to the master");
}, after => 1, url => $url, n => 400, parallel => 16);
# the runner reaps the daemonised master: a zombie still answers kill 0
for (1 .. 100) {
    waitpid($master, POSIX::WNOHANG());
    last unless kill 0, $master;
    sleep 0.1;
}
ok(!kill(0, $master), "nginx has exited");
my @res = @$res;
my %by;
$by{ $_->[0] }++ for @res;
ok($by{204}, "some events acknowledged before the quit: " . ($by{204} // 0));
is(join(",", grep { $_ ne '204' && $_ ne '000' } keys %by), '',
   "the rest were refused connections (000), never an error status");
strm_check_acked_in_kafka("quit", $topic, client => [@res]);
my $log = do { local (@ARGV, $/) = (Test::Nginx::Socket::server_root() . "/logs/error.log"); <> };
unlike($log, qr/\[(alert|crit|emerg)\]/, "no alert while quitting");
like($log, qr/gracefully shutting down/, "the workers shut down gracefully");
unlike($log, qr/messages not delivered at exit/, "the exit flush lost nothing");
