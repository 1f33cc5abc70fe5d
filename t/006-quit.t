# Graceful quit (QUIT) under a burst of events, with a master and two
# workers: every event a producer saw acknowledged (204) is in Kafka,
# once, and the exit flush loses nothing.  The block ends its nginx, so
# it runs once (repeats share one nginx).

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use Time::HiRes qw(sleep);

repeat_each(1);
workers(2);
master_on();

# The count as Test::Nginx makes it: the status, the strm_check, the
# error_log line and five no_error_log lines.
plan tests => repeat_each() * (blocks() * 8);

run_tests();

# ---- the procedures the blocks name ----------------------------------

# True once the process $pid has exited (within 10 s).  The runner
# reaps the daemonised master: a zombie still answers kill 0.
sub has_exited {
    my ($pid) = @_;
    for (1 .. 100) {
        waitpid($pid, POSIX::WNOHANG());
        return 1 unless kill 0, $pid;
        sleep 0.1;
    }
    return 0;
}

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
my $master = strm_nginx_pid();
my $res = strm_burst_during(sub {
    ok(kill('QUIT', $master), "QUIT sent to the master");
}, after => 1, url => strm_url('/event'), n => 400, parallel => 16);
ok(has_exited($master), "nginx has exited");
my $by = strm_statuses($res);
ok($by->{204}, "some events acknowledged before the quit: " . ($by->{204} // 0));
is(join(",", grep { $_ ne '204' && $_ ne '000' } keys %$by), '',
   "the rest were refused connections (000), never an error status");
strm_check_acked_in_kafka("quit", $topic, client => $res);
--- error_log
gracefully shutting down
--- no_error_log
[error]
[alert]
[crit]
[emerg]
messages not delivered at exit
