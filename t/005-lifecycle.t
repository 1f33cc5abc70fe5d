# Reload (HUP) and graceful quit (QUIT) under a burst of events, with a
# master and two workers: every event a producer saw acknowledged (204)
# is in Kafka, once; no event is answered twice; no alert is logged.
# Old workers finish their events in flight before they exit: each
# waiting request holds a timer that is not cancelable.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use File::Copy qw(copy);
use File::Path qw(make_path);
use Time::HiRes qw(sleep);

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

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log lines, plus its own checks (its strm_check, [crit]: 3 in
# all).
plan tests => repeat_each() * (blocks() * 4 + 3);

run_tests();

# ---- the procedures the blocks name ----------------------------------

# Two HUPs to the master, 0.3 s apart
sub hup_twice {
    ok(kill('HUP', strm_nginx_pid()), "HUP sent to the master");
    sleep 0.3;
    ok(kill('HUP', strm_nginx_pid()), "and a second HUP");
}

# Adds the schema ref $ref to the registry, a copy of the schema $from
sub registry_add {
    my ($ref, $from) = @_;
    my $reg = $ENV{TEST_NGINX_STRM_REGISTRY};
    make_path("$reg/$ref");
    copy("$reg/$from/schema.avsc", "$reg/$ref/schema.avsc")
        or die "copy: $!";
}

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
my $res = strm_burst_during(\&hup_twice, url => strm_url('/event'),
                            n => 400, parallel => 16);
my $by = strm_statuses($res);
is(scalar @$res, 400, "400 answers");
is($by->{204} // 0, 400, "all 204 across two reloads: "
   . join(", ", map { "$_ x $by->{$_}" } sort keys %$by));
strm_check_acked_in_kafka("reload", $topic, client => $res);
sleep 1;    # the reloaded workers settle before the next block
--- no_error_log
[error]
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
my $ref = "acme/fresh$repeat-$$/1.0.0";
my $event = strm_json(strm_demo_event());
my ($s, undef, $body) = strm_post_event($event, ref => $ref);
is($s, 400, "an unknown schema ref before the reload");
like($body, qr/"code":"schema_unknown"/, "named as such");
registry_add($ref, 'strmprivacy/demo/1.0.2');
ok(strm_nginx_reload(), "reloaded: the old workers have exited");
($s) = strm_retry(204, sub { strm_post_event($event, ref => $ref) });
is($s, 204, "the new schema is known after the reload");
--- no_error_log
[error]
[alert]
[emerg]
