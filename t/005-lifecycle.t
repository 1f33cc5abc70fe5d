# Reload (HUP) and graceful quit (QUIT) under a burst of events, with a
# master and two workers: every event a producer saw acknowledged (204)
# is in Kafka, once; no event is answered twice; no alert is logged.
# Old workers finish their events in flight before they exit: each
# waiting request holds a timer that is not cancelable.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Strm::Test;

# a registry of our own, that a block changes before it reloads
use File::Temp qw(tempdir);
$ENV{TEST_NGINX_STRM_REGISTRY} =
    tempdir('strm-registry-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-r', "$Strm::Test::Root/conf/registry/strmprivacy",
       $ENV{TEST_NGINX_STRM_REGISTRY}) == 0
    or die "cannot copy the demo registry\n";

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
        strm_ingest $TEST_NGINX_STRM_TOPIC raw;
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



=== TEST 2: a reload (HUP) picks up a changed registry
--- http_config
    strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE;
    strm_schemas $TEST_NGINX_STRM_REGISTRY;
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 405
--- strm_check
use File::Path qw(make_path);
use File::Copy qw(copy);
use Time::HiRes qw(sleep);
my $reg = $ENV{TEST_NGINX_STRM_REGISTRY};
my $ref = "acme/fresh$repeat-$$/1.0.0";
my $url = "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . "/event";
open my $fh, '>', "/tmp/strm-reload-$$.json" or die $!;
print $fh strm_json(strm_demo_event());
close $fh;
my $post = sub {
    my ($s, undef, $body) = strm_curl("-H 'Content-Type: application/json' "
        . "-H 'Strm-Schema-Ref: $ref' --data-binary \@/tmp/strm-reload-$$.json $url");
    return ($s, $body);
};
my ($s, $body) = $post->();
is($s, 400, "an unknown schema ref before the reload");
like($body, qr/"code":"schema_unknown"/, "named as such");
make_path("$reg/$ref");
copy("$reg/strmprivacy/demo/1.0.2/schema.avsc", "$reg/$ref/schema.avsc")
    or die "copy: $!";
ok(strm_nginx_reload(), "reloaded: the old workers have exited");
for (1 .. 50) {
    ($s) = $post->();
    last if $s == 204;
    sleep 0.2;
}
is($s, 204, "the new schema is known after the reload");
unlink "/tmp/strm-reload-$$.json";
--- no_error_log
[alert]
[emerg]
