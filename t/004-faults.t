# Kafka faults: brokers down, a slow broker, a full local queue.  The
# block's own request is an ordinary event; --- strm_check then drives
# the fault through strm-devbroker's control port and checks what the
# producers saw against what Kafka holds.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use Time::HiRes qw(time sleep);
use File::Temp ();

repeat_each(2);

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (its
# strm_check; TEST 3's error_log line: 5 in all).
plan tests => repeat_each() * (blocks() * 4 + 5);

run_tests();

# ---- the procedures the blocks name ----------------------------------

# POSTs $body while every broker is down; brings them back up after
# the answer.  Returns (status, headers, body, seconds the answer took).
sub post_while_brokers_down {
    my ($body) = @_;
    strm_broker_ctl("broker/all/down");
    my $t0 = time;
    my @r = strm_post('/event', $body);
    my $took = time - $t0;
    strm_broker_ctl("broker/all/up");
    return (@r, $took);
}

# With every broker answering after $rtt ms: POSTs $body to /event in
# a child and, while it waits, GETs $path.  Returns (the GET's status,
# the seconds it took, the POST's status, the seconds the POST took).
sub get_while_an_event_waits {
    my ($rtt, $body, $path) = @_;
    strm_broker_ctl("broker/all/rtt/$rtt");
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my ($s) = strm_post('/event', $body);
        POSIX::_exit($s == 204 ? 0 : 1);
    }
    sleep 0.2;
    my $t0 = time;
    my ($status) = strm_curl(strm_url($path));
    my $took = time - $t0;
    my $t1 = time;
    waitpid($pid, 0);
    my $post = $? >> 8 == 0 ? 204 : 'not 204';
    my $slow = time - $t1 + 0.2 + $took;
    strm_broker_ctl("broker/all/rtt/0");
    return ($status, $took, $post, $slow);
}

# A burst (strm_burst options) while every broker answers after $rtt
# ms; returns the answers' statuses counted ({204 => n, ...}) and
# the number of answers
sub burst_with_slow_brokers {
    my ($rtt, %o) = @_;
    strm_broker_ctl("broker/all/rtt/$rtt");
    my $res = strm_burst(url => strm_url('/event'), %o);
    strm_broker_ctl("broker/all/rtt/0");
    my %by;
    $by{ $_->[0] }++ for @$res;
    return (\%by, scalar @$res);
}

# While every broker answers after $rtt ms, $n POSTs of $body, $par at
# a time; all brokers go down $after seconds in, and up again once every
# answer is in.  Returns [[status, Retry-After, Content-Type, body], ...]
sub burst_through_an_outage {
    my (%o) = @_;
    my $dir = File::Temp::tempdir('strm-outage-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    open my $fh, '>', "$dir/cfg" or die $!;
    for my $i (1 .. $o{n}) {
        print $fh "next\n" if $i > 1;
        print $fh "url = \"" . strm_url('/event') . "\"\n"
                  . "output = \"$dir/body-$i\"\nrequest = \"POST\"\n"
                  . "data = \"{\\\"outage\\\":$i}\"\n"
                  . "write-out = \"$i %{http_code} %header{retry-after}"
                  . " %{content_type}\\n\"\n";
    }
    close $fh;
    strm_broker_ctl("broker/all/rtt/$o{rtt}");
    my $pid = open my $curl, '-|',
        "curl -s --parallel --parallel-max $o{par} --max-time 60 -K $dir/cfg 2>/dev/null"
        // die "curl: $!";
    sleep $o{after};
    strm_broker_ctl("broker/all/down");
    my @res;
    while (my $line = <$curl>) {
        chomp $line;
        my ($i, $status, $retry, $type) = split / /, $line, 4;
        open my $b, '<', "$dir/body-$i" or die "body $i: $!";
        local $/;
        push @res, [$status, $retry, $type, scalar <$b>];
    }
    close $curl;
    strm_broker_ctl("broker/all/up");
    strm_broker_ctl("broker/all/rtt/0");
    return \@res;
}

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
my ($status, $h, $body, $took) = post_while_brokers_down('{"during":"down"}');
is($status, 503, "503 while the brokers are down");
like($body, qr/"code":"kafka_timeout"/, "the body says kafka_timeout");
is($h->{'retry-after'}, 1, "with Retry-After");
cmp_ok($took, '<', 1.5 + 2, "answered within the delivery timeout ($took s)");
cmp_ok($took, '>=', 1.4, "and not before it");
is(scalar(grep { $_ == 204 } map { (strm_post('/event', '{"after":"up"}'))[0] } 1 .. 5),
   5, "204 again once the brokers are back");
strm_check_acked_in_kafka("brokers down", $topic, unacked => 1);
--- error_log
strm kafka: delivery to
--- no_error_log
[alert]
[emerg]



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
my ($status, $took, $post, $slow) =
    get_while_an_event_waits(1500, '{"slow":1}', '/fast');
is($status, 200, "the other location answers");
cmp_ok($took, '<', 0.5, "at once ($took s) while an event waits for Kafka");
is($post, 204, "the slow event is acknowledged (204)");
cmp_ok($slow, '>', 1.0, "and it did wait for the slow broker ($slow s)");
--- no_error_log
[error]
[alert]
[emerg]



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
my ($by, $n) = burst_with_slow_brokers(500, n => 40, parallel => 20);
is($n, 40, "40 answers");
is(($by->{204} // 0) + ($by->{503} // 0), 40, "nothing but 204 and 503");
ok($by->{503}, "some 503 (queue full): " . ($by->{503} // 0));
ok($by->{204}, "some 204: " . ($by->{204} // 0));
strm_check_acked_in_kafka("queue full", $topic);
--- error_log
strm kafka: local queue full
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 4: a full outage with events in flight: each one 503 kafka_timeout (never 504), JSON, Retry-After
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_kafka_delivery_timeout 2s;
    log_format strm_acked '$status $strm_event_id';
    access_log logs/strm_acked.log strm_acked;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
    }
--- request
POST /event
{"before":"outage"}
--- error_code: 204
--- strm_check
my $res = burst_through_an_outage(rtt => 200, n => 160, par => 40,
                                  after => 0.5);
my (%by, @bad);
for (@$res) {
    my ($status, $retry, $type, $body) = @$_;
    $by{$status}++;
    push @bad, "@$_" if $status != 204
        && !($status == 503 && $retry eq '1'
             && $type =~ m{^application/json}
             && $body =~ /"code":"kafka_timeout"/);
}
is(scalar @$res, 160, "160 answers");
is($by{504} // 0, 0, "no 504 delivery_timeout");
cmp_ok($by{503} // 0, '>=', 40,
       "the events in flight and after: 503 (" . ($by{503} // 0) . ")");
is(scalar @bad, 0, "every other answer is 503 kafka_timeout, JSON, "
                   . "Retry-After: 1") or diag(join "\n", @bad[0 .. 4]);
strm_check_acked_in_kafka("outage", $topic, unacked => 1);
--- no_error_log
[alert]
[emerg]
no delivery report
