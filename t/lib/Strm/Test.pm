package Strm::Test;

# Kafka for Test::Nginx-format tests: starts build/strm-devbroker once per
# test file (unless TEST_NGINX_STRM_BROKERS is already set), and reads
# topics back with scripts/kafka-read.
#
#     use lib 't/lib';
#     use Test::Nginx::Socket 'no_plan';
#     use Strm::Test;        # after Test::Nginx::Socket
#
# Sets $ENV{TEST_NGINX_STRM_BROKERS} (bootstrap list),
# TEST_NGINX_STRM_BROKER_1 and _2 (each broker), TEST_NGINX_STRM_BOOTSTRAP_FILE,
# TEST_NGINX_STRM_BOOTSTRAP_SPACED (the brokers on lines, with spaces) and
# TEST_NGINX_STRM_CTL_PORT.  The broker
# has 2 brokers; topics a client names are auto-created by the mock (4
# partitions, random leaders); strm_broker_ctl("topic/NAME/N") declares
# one with N partitions, partition p led by broker p % 2 + 1.
#
# Block sections it adds (Test::Base lets a block carry any section; both
# runners ignore the ones they do not know, and the hooks below use only
# add_block_preprocessor and add_response_body_check, which both have):
#
#   every block       $TEST_NGINX_STRM_TOPIC is a topic of its own (a block
#                     without --- config keeps the previous block's);
#                     a block whose http_config names no brokers gets
#                     "strm_kafka_brokers_file $TEST_NGINX_STRM_BOOTSTRAP_FILE"
#                     and, unless it names strm_keys_store (or says
#                     "# no keys"), a key store conf/keys.mdb, the tests'
#                     KEK t/data/test-kek.json and the keys topic
#                     $TEST_NGINX_STRM_TOPIC-keys
#   strm_acked_in_kafka   after the block's last request: the topic holds
#                     exactly the events the access log shows answered 204,
#                     each once, matched by event id
#   strm_kafka_value / strm_kafka_value_like   every record's value
#   strm_check        Perl run after the block's last request, in package
#                     main (the test file's own named checks are there),
#                     with $block, $topic and $repeat (the repetition, from
#                     0); it should read as the block's specification: the
#                     procedures go into named subs of the file or of
#                     this module
#   strm_nginx_t_error   "nginx -t" on the block's configuration must fail
#                     with this text on stderr (config blocks are also
#                     --- must_die, for any runner); 2 tests, once per
#                     block (not per repetition)
#
# Each of strm_acked_in_kafka, strm_kafka_value(_like) and strm_check is
# one test (a Test::More subtest, whatever it checks inside), so a file
# can plan exactly: repeat_each() * (blocks() * K + ...).

use strict;
use warnings;
no warnings 'redefine';    # harmless if this file is loaded twice

use Cwd qw(abs_path);
use Exporter ();
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);

our @ISA = qw(Exporter);
our @EXPORT = qw(strm_broker_ctl strm_kafka_records strm_unique_topic
                 strm_acked strm_check_acked_in_kafka strm_topic
                 strm_nginx_pid strm_nginx_reload strm_curl strm_burst
                 strm_burst_during strm_avro strm_demo_event
                 strm_click_event strm_json strm_check_events
                 strm_decrypt_records strm_url strm_post strm_status
                 strm_prometheus strm_promtool_accepts strm_post_event
                 strm_retry strm_statuses strm_each_decrypted
                 strm_dead_letters);

# "our": a second load of this file must see the first one's broker
our $Root = dirname(dirname(dirname(dirname(abs_path(__FILE__)))));
our ($Pid, $Owner, $Dir, $Seq);

my $Json = JSON::PP->new->utf8;

our ($Hooked, $Topic);

sub import {
    _start();
    _hook();
    __PACKAGE__->Exporter::export_to_level(1, @_);
}

sub _hook {
    return if $Hooked++;
    Test::Nginx::Socket::add_block_preprocessor(\&_preprocess);
    Test::Nginx::Socket::add_response_body_check(\&_after_request);
}

# a section's value, or undef when the block (or the file) lacks it
sub _sec {
    my ($block, $name) = @_;
    my $get = $block->can($name) or return undef;
    return $get->($block);
}

sub _preprocess {
    my ($block) = @_;

    if (defined _sec($block, 'config') || !defined $Topic) {
        $Topic = strm_unique_topic('t');
    }
    $ENV{TEST_NGINX_STRM_TOPIC} = $Topic;

    my $hc = _sec($block, 'http_config') // '';

    if ($hc !~ /strm_kafka_brokers/) {
        $hc = "    strm_kafka_brokers_file "
              . "\$TEST_NGINX_STRM_BOOTSTRAP_FILE;\n$hc";
    }

    # every checked location encrypts: a key store in the block's prefix
    # (wiped with it), the tests' KEK, a keys topic of the block's own
    if ($hc !~ /strm_keys_store|# no keys/) {
        $hc .= "    strm_keys_store keys.mdb;\n"
               . "    strm_keys_kek \$TEST_NGINX_STRM_ROOT/t/data/test-kek.json;\n"
               . "    strm_keys_topic \$TEST_NGINX_STRM_TOPIC-keys;\n";
    }

    if (defined _sec($block, 'strm_acked_in_kafka')) {
        $hc .= "    log_format strm_acked '\$status \$strm_event_id';\n"
               . "    access_log logs/strm_acked.log strm_acked;\n";
    }

    $block->set_value(http_config => $hc);

    my $want = _sec($block, 'strm_nginx_t_error');
    _check_nginx_t($block, $want) if defined $want;
}

sub _after_request {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    return if $dry_run;

    my $req = _sec($block, 'request');
    my $n = ref $req eq 'ARRAY' ? scalar @$req : 1;
    return if $req_idx != $n - 1;

    my $name = $block->name;
    my $topic = $Topic;

    # each section is one test (a subtest), whatever the number of
    # records it looks at: the files' plans stay exact
    if (defined _sec($block, 'strm_acked_in_kafka')) {
        Test::More::subtest("$name - strm_acked_in_kafka" => sub {
            strm_check_acked_in_kafka($name, $topic);
        });
    }

    my $value = _sec($block, 'strm_kafka_value');
    my $like = _sec($block, 'strm_kafka_value_like');

    if (defined $value || defined $like) {
        Test::More::subtest("$name - strm_kafka_value" => sub {
            _check_values($name, $topic, $value, $like);
        });
    }

    my $code = _sec($block, 'strm_check');
    if (defined $code) {
        Test::More::subtest("$name - strm_check" => sub {
            my $err = _run_check($block, $topic, $repeated_req_idx, $code);
            Test::More::ok(!defined $err, "$name - strm_check ran")
                or Test::More::diag($err);
        });
    }
}

sub _check_values {
    my ($name, $topic, $value, $like) = @_;
    my $recs = strm_kafka_records($topic, min => 1);
    Test::More::ok(scalar @$recs, "$name - records in $topic");
    for my $r (@$recs) {
        my $v = _record_value($r);
        if (defined $value) {
            (my $want = $value) =~ s/\n\z//;
            Test::More::is($v, $want, "$name - record value");
        }
        if (defined $like) {
            (my $re = $like) =~ s/\n\z//;
            Test::More::like($v, qr/$re/s, "$name - record value like");
        }
    }
}

# The strm_check code runs in package main, where the test file's
# preamble defines its named checks; it sees $block, $topic and $repeat
# (the index of the repetition, from 0).  Returns the error if it died.
our @CheckArgs;

sub _run_check {
    my ($block, $topic, $repeat, $code) = @_;
    local @CheckArgs = ($block, $topic, $repeat);
    local $@;
    my $ok = eval "package main; use strict; use warnings; "
                  . "my (\$block, \$topic, \$repeat) = \@Strm::Test::CheckArgs;"
                  . "\n#line 1 \"strm_check\"\n$code\n; 1";
    return $ok ? undef : ($@ || 'died');
}

sub _record_value {
    my ($r) = @_;
    return $r->{value} if defined $r->{value};
    return MIME::Base64::decode_base64($r->{value_b64})
        if defined $r->{value_b64};
    return undef;
}

# the topic of the running block
sub strm_topic { $Topic }

# [status, event id] of every request the access log of the block's
# nginx has seen (log_format strm_acked)
sub strm_acked {
    my $sr = Test::Nginx::Socket::server_root();
    my @lines = split /\n/, _slurp("$sr/logs/strm_acked.log");
    return [map { [split / /, $_, 2] } @lines];
}

# Kafka holds exactly the events answered 204: same count, every acked
# id once.  The access log (log_format strm_acked) is the record of every
# request the block's nginx answered; its line is written just after
# the answer, so the comparison is retried briefly while it catches up.
# With unacked => 1, records of events that were not answered 204 (a
# delivery timeout may still have landed) are allowed, but every record
# must belong to a request the log shows.  client => [[status, id], ...]
# are answers a client saw: each 204 must be in the log and in Kafka.
sub strm_check_acked_in_kafka {
    my ($name, $topic, %o) = @_;
    my ($all, $acked, $recs, %seen, %known, %logged204);
    my $client = [grep { $_->[0] eq '204' } @{ $o{client} || [] }];

    for my $try (1 .. 30) {
        $all = strm_acked();
        $acked = [grep { $_->[0] eq '204' } @$all];
        $recs = strm_kafka_records($topic, min => scalar @$acked);
        %seen = ();
        $seen{ $_->{headers}{'strm-event-id'} // '' }++ for @$recs;
        my $missing = grep { !$seen{ $_->[1] } } @$acked, @$client;
        last if @$acked && !$missing
                && ($o{unacked} || @$recs == @$acked);
        sleep 0.1;
    }

    $known{ $_->[1] // '' } = 1 for @$all;
    $logged204{ $_->[1] } = 1 for @$acked;

    Test::More::ok(scalar @$acked, "$name - some events were answered 204");
    if (!$o{unacked}) {
        Test::More::is(scalar @$recs, scalar @$acked,
                       "$name - as many records in Kafka as 204 answers");
    }
    my @missing = grep { !$seen{ $_->[1] } } @$acked, @$client;
    my @twice = grep { $seen{$_} > 1 } keys %seen;
    my @stray = grep { !$known{$_} } keys %seen;
    my @unlogged = grep { !$logged204{ $_->[1] } } @$client;
    Test::More::is("@missing", '', "$name - every acked id is in Kafka");
    Test::More::is("@twice", '', "$name - no record twice");
    Test::More::is("@stray", '', "$name - no record of an unknown request");
    Test::More::is("@unlogged", '',
                   "$name - every 204 a client saw is a 204 in the log")
        if $o{client};
}


# "nginx -t" with the block's http_config and config in a minimal
# nginx.conf of our own; it must fail printing $want
sub _check_nginx_t {
    my ($block, $want) = @_;
    my $name = $block->name;
    my $dir = tempdir('strm-nginx-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir "$dir/$_" for qw(conf logs);

    my $expand = sub {
        my $t = shift // '';
        $t =~ s/\$(TEST_NGINX_[A-Z0-9_]+)/$ENV{$1} \/\/ ''/ge;
        return $t;
    };

    my $modules = join '', map { "load_module $_;\n" }
        split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    my $conf = $modules
        . "error_log logs/error.log;\npid logs/nginx.pid;\n"
        . "events { worker_connections 64; }\n"
        . "http {\n" . $expand->(_sec($block, 'http_config'))
        . "    server {\n        listen 127.0.0.1:"
        . ($ENV{TEST_NGINX_SERVER_PORT} || 1984) . ";\n"
        . $expand->(_sec($block, 'config')) . "    }\n}\n";

    open my $fh, '>', "$dir/conf/nginx.conf" or die "$dir: $!";
    print $fh $conf;
    close $fh;

    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $out = `$bin -t -p $dir/ -c conf/nginx.conf 2>&1`;
    my $rc = $? >> 8;

    chomp $want;
    Test::More::isnt($rc, 0, "$name - nginx -t fails");
    Test::More::like($out, qr/\Q$want\E/, "$name - nginx -t says why")
        or Test::More::diag($conf);
}

sub strm_nginx_pid {
    my $sr = Test::Nginx::Socket::server_root();
    my $pid = _slurp("$sr/logs/nginx.pid");
    return $pid =~ /^(\d+)/ ? $1 : undef;
}

# The worker processes of the master $pid, read from /proc (no procps
# needed on a bare machine).
sub _children {
    my ($pid) = @_;
    my @kids;
    opendir my $dh, "/proc" or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $st = _slurp("/proc/$p/stat") or next;
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'
        push @kids, $p if $st =~ /\)\s+\S+\s+(\d+)/ && $1 == $pid;
    }
    closedir $dh;
    return @kids;
}

# Reload (HUP) and wait until every worker of the old generation has exited,
# so that no later request can still reach an old worker with the old
# configuration. True when the old workers are gone within 15 s.
sub strm_nginx_reload {
    my $master = strm_nginx_pid() or return 0;
    my %old = map { $_ => 1 } _children($master);
    kill('HUP', $master) or return 0;
    for (1 .. 150) {
        my @left = grep { $old{$_} } _children($master);
        return 1 unless @left;
        select(undef, undef, undef, 0.1);
    }
    return 0;
}

# One raw Avro binary datum of the registry schema $ref (conf/registry)
# for the plain-JSON event $json, encoded by python3-avro (not our code).
sub strm_avro {
    my ($ref, $json) = @_;
    $json = $Json->encode($json) if ref $json;
    my $schema = "$Root/conf/registry/$ref/schema.avsc";
    open my $fh, '-|', "$Root/t/lib/avro-encode", $schema, $json
        or die "strm_avro: cannot run avro-encode: $!\n";
    binmode $fh;
    local $/;
    my $bytes = <$fh>;
    close $fh or die "strm_avro($ref): avro-encode failed\n";
    return $bytes;
}

# canonical JSON text (sorted members) of a Perl structure
sub strm_json {
    my ($v) = @_;
    return JSON::PP->new->utf8->canonical->allow_nonref->encode($v);
}

# Every record of $topic is the event $want (a hashref, plain JSON) with
# strmMeta stamped by the gateway (timestamp within a minute of now, an
# int32 nonce, a key link that is also the message key), its PII fields
# encrypted: decrypted by t/lib/strm-decrypt (python3-cryptography, not
# our C) with the key of its key link from $topic-keys and the tests'
# KEK, it equals $want.  Kafka headers name the schema ref, the contract
# ref and the sorted consent levels.  Options: schema => ref, levels =>
# "0,1,2", pii => [paths that must come encrypted], min => records.
sub strm_check_events {
    my ($name, $topic, $want, %o) = @_;
    my $recs = strm_kafka_records($topic, min => $o{min} // 1);
    Test::More::ok(scalar @$recs, "$name - records in $topic");
    my $dec = strm_decrypt_records($topic, $recs);
    for my $i (0 .. $#$recs) {
        my $r = $recs->[$i];
        my $got = eval { $Json->decode($r->{value} // '') };
        Test::More::ok($got, "$name - the record is JSON") or next;
        my $m = $got->{strmMeta} // {};
        Test::More::ok(defined $m->{timestamp}
                       && abs($m->{timestamp} / 1000 - time) < 60,
                       "$name - strmMeta.timestamp is now, in ms");
        Test::More::like($m->{nonce} // '', qr/^-?\d+$/,
                         "$name - strmMeta.nonce is an integer");
        Test::More::like($m->{keyLink} // '', qr/^[0-9a-f-]{36}$/,
                         "$name - strmMeta.keyLink is a UUID");
        Test::More::is($r->{key}, $m->{keyLink},
                       "$name - the message key is the key link");
        for my $p (@{ $o{pii} || [] }) {
            my ($v, $w) = ($got, $want);
            for my $k (split m{/}, $p) { $v = $v->{$k}; $w = $w->{$k}; }
            Test::More::ok(defined $v && $v ne ($w // ''),
                           "$name - $p is not in clear");
        }
        my $d = $dec->[$i] // {};
        Test::More::is(join(',', sort @{ $d->{decrypted} || [] }),
                       join(',', sort @{ $o{pii} }),
                       "$name - exactly the PII fields were encrypted")
            if $o{pii};
        my %exp = %$want;
        $exp{strmMeta} = { %{ $want->{strmMeta} },
                           timestamp => $m->{timestamp},
                           nonce => $m->{nonce}, keyLink => $m->{keyLink} };
        Test::More::is(strm_json($d->{event}), strm_json(\%exp),
                       "$name - decrypted, the event as sent");
        my $h = $r->{headers} // {};
        Test::More::is($h->{'strm-schema-ref'}, $o{schema},
                       "$name - header strm-schema-ref") if $o{schema};
        Test::More::is($h->{'strm-contract-ref'},
                       $want->{strmMeta}{eventContractRef},
                       "$name - header strm-contract-ref");
        Test::More::is($h->{'strm-consent-levels'}, $o{levels},
                       "$name - header strm-consent-levels")
            if defined $o{levels};
        Test::More::like($h->{'strm-event-id'} // '', qr/^[0-9a-f-]{36}$/,
                         "$name - header strm-event-id");
    }
    return $recs;
}

# Calls $check->($record, $decrypted) for every record of $topic (at
# least $min, default 1) with its decryption (strm_decrypt_records);
# returns the records
sub strm_each_decrypted {
    my ($topic, $check, $min) = @_;
    my $recs = strm_kafka_records($topic, min => $min // 1);
    my $dec = strm_decrypt_records($topic, $recs);
    $check->($recs->[$_], $dec->[$_] // {}) for 0 .. $#$recs;
    return $recs;
}

# The records of the dead-letter topic $topic (waiting for $min), each
# with its value decoded as {letter}
sub strm_dead_letters {
    my ($topic, $min) = @_;
    my $recs = strm_kafka_records($topic, min => $min);
    $_->{letter} = $Json->decode($_->{value}) for @$recs;
    return $recs;
}

# The records (strm_kafka_records) of $topic decrypted by t/lib/strm-decrypt
# with the keys of $topic-keys: [{event, decrypted => [paths], keyLink}]
sub strm_decrypt_records {
    my ($topic, $recs) = @_;
    my $keys = strm_kafka_records("$topic-keys", min => 1);
    my $dir = tempdir('strm-decrypt-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $kf, '>', "$dir/keys" or die $!;
    print $kf $Json->encode($_), "\n" for @$keys;
    close $kf;
    open my $ef, '>', "$dir/events" or die $!;
    print $ef $Json->encode($_), "\n" for @$recs;
    close $ef;
    my @out = map { $Json->decode($_) } grep { /\S/ }
        `$Root/t/lib/strm-decrypt $Root/t/data/test-kek.json $dir/keys < $dir/events`;
    return \@out;
}

# STRM's demo event (schema strmprivacy/demo/1.0.2, contract
# strmprivacy/example/1.3.0) as a hashref; %set replaces members (undef
# is JSON null; 'strmMeta/consentLevels' reaches inside) and
# -delete => [paths] removes members.
sub strm_demo_event {
    my (%set) = @_;
    my $ev = {
        strmMeta => {
            eventContractRef => 'strmprivacy/example/1.3.0',
            nonce => undef, timestamp => undef, keyLink => undef,
            billingId => undef, consentLevels => [0, 1, 2],
        },
        uniqueIdentifier => 'unique-1',
        consistentValue => 'session-1',
        someSensitiveValue => 'sensitive-1',
        notSensitiveValue => 'not-sensitive-1',
    };
    return _strm_event_set($ev, %set);
}

# STRM's clickstream event (strmprivacy/clickstream/1.0.0), as above
sub strm_click_event {
    my (%set) = @_;
    my $ev = {
        strmMeta => {
            eventContractRef => 'strmprivacy/clickstream/1.0.0',
            nonce => undef, timestamp => undef, keyLink => undef,
            billingId => undef, consentLevels => [0, 1],
        },
        producerSessionId => 'session-1',
        url => 'https://www.example.com/page',
        eventType => 'click',
        referrer => 'https://www.example.com/',
        userAgent => 'test',
        conversion => 0,
        abTests => ['a'],
        customer => { id => 'customer-1' },
    };
    return _strm_event_set($ev, %set);
}

sub _strm_event_set {
    my ($ev, %set) = @_;
    my $del = delete $set{-delete} // [];
    for my $k ((sort keys %set), @$del) {
        my @p = split m{/}, $k;
        my $last = pop @p;
        my $h = $ev;
        $h = $h->{$_} for @p;
        if (exists $set{$k}) {
            $h->{$last} = $set{$k};
        } else {
            delete $h->{$last};
        }
    }
    return $ev;
}


# one request with curl; returns (status, headers hashref, body); the
# header names are lowercase, ':version' is the HTTP version answered
# strm_wait_ready("/ready"): for a block's --- init (run once nginx is
# up): polls the location until it answers 200, at most 10 s, as a load
# balancer's health check would.  A worker is ready once its keys
# consumer has read the keys topic to its end.
sub strm_wait_ready {
    my ($path) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || 1984;

    for (1 .. 100) {
        my $code = `curl -s -o /dev/null -w '%{http_code}' -m 2 http://127.0.0.1:$port$path`;
        return 1 if $code eq '200';
        select(undef, undef, undef, 0.1);
    }

    return 0;
}


sub strm_curl {
    my (@args) = @_;
    my $out = `curl -s -S -i --max-time 30 @args 2>&1`;
    my ($head, $body) = split /\r?\n\r?\n/, $out, 2;
    my ($version, $status) = ($head // '') =~ m{^HTTP/(\S+) (\d+)};
    my %h = (':version' => $version);
    for my $line (split /\n/, $head // '') {
        $h{ lc $1 } = $2 if $line =~ /^([^:\s]+):\s*(.*?)\r?$/;
    }
    return ($status // 0, \%h, $body // '');
}

# The URL of $path on the block's server
sub strm_url {
    my ($path) = @_;
    return "http://127.0.0.1:" . Test::Nginx::Socket::server_port() . $path;
}

# One POST of $body (its exact bytes, from a file) to $url (a path:
# on the block's server) with the request headers @h ("Name: value");
# returns (status, headers, body) as strm_curl.  Like "curl --data",
# without a Content-Type of its own it is sent as a form.
sub strm_post {
    my ($url, $body, @h) = @_;
    $url = strm_url($url) if $url =~ m{^/};
    my $dir = tempdir('strm-post-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $fh, '>', "$dir/body" or die "$dir/body: $!";
    binmode $fh;
    print $fh $body;
    close $fh;
    my @r = strm_curl(join('', map { "-H '$_' " } @h)
                      . "--data-binary \@$dir/body '$url'");
    remove_tree($dir);
    return @r;
}

# One event $body (JSON) as STRM's drivers send it: POST /event of the
# block's server (or url => URL) with Content-Type application/json,
# Strm-Schema-Ref ref => REF (default the demo schema) and, with
# token => TOKEN, a bearer token; returns (status, headers, body)
sub strm_post_event {
    my ($body, %o) = @_;
    my @h = ('Content-Type: application/json',
             'Strm-Schema-Ref: ' . ($o{ref} // 'strmprivacy/demo/1.0.2'));
    push @h, "Authorization: Bearer $o{token}" if defined $o{token};
    return strm_post($o{url} // '/event', $body, @h);
}

# Calls $try (which returns a status first) until the status is $want,
# 50 times at most, 0.2 s apart (a reload takes its time); returns what
# the last call returned
sub strm_retry {
    my ($want, $try) = @_;
    my @r;
    for (1 .. 50) {
        @r = $try->();
        last if ($r[0] // '') eq $want;
        sleep 0.2;
    }
    return @r;
}

# The statuses of strm_burst's answers counted: {204 => n, ...}
sub strm_statuses {
    my ($res) = @_;
    my %by;
    $by{ $_->[0] }++ for @$res;
    return \%by;
}

# GET /status (strm_status) of the block's server, decoded
sub strm_status {
    my ($path) = @_;
    my (undef, undef, $body) = strm_curl(strm_url($path // '/status'));
    return $Json->decode($body);
}

# The same in Prometheus' text format
sub strm_prometheus {
    my ($path) = @_;
    my (undef, undef, $text) =
        strm_curl("'" . strm_url($path // '/status') . "?format=prometheus'");
    return $text;
}

# Prometheus' own linter (Debian's package prometheus) accepts $text
sub strm_promtool_accepts {
    my ($text, $name) = @_;
    my $dir = tempdir('strm-promtool-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $pt, '|-', "promtool check metrics > $dir/out 2>&1"
        or die "promtool: $!";
    print $pt $text;
    close $pt;
    Test::More::is($? >> 8, 0, ($name ? "$name - " : '')
                   . "promtool check metrics accepts the text")
        or Test::More::diag(_slurp("$dir/out"));
    remove_tree($dir);
}

# $n POSTs of $body to $url, $par at a time (curl --parallel); returns
# [[status, event id], ...]; headers => ["Name: value", ...] for each POST
sub strm_burst {
    my (%o) = @_;
    my $n = $o{n} || 100;
    my $dir = tempdir('strm-burst-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $fh, '>', "$dir/cfg" or die $!;
    for my $i (1 .. $n) {
        (my $b = $o{body} // '{"burst":%d}') =~ s/%d/$i/;
        $b =~ s/(["\\])/\\$1/g;
        # "next" resets per-transfer options: each group has them all
        print $fh "next\n" if $i > 1;
        print $fh "url = \"$o{url}\"\noutput = \"/dev/null\"\n"
                  . "request = \"POST\"\ndata = \"$b\"\n"
                  . "write-out = \"%{http_code} %header{strm-event-id}\\n\"\n";
        print $fh "header = \"$_\"\n" for @{ $o{headers} || [] };
    }
    close $fh;
    my $par = $o{parallel} || 10;
    my @extra = @{ $o{curl} || [] };
    my $out = `curl -s --parallel --parallel-max $par --max-time 60 @extra -K $dir/cfg 2>/dev/null`;
    return [map { [split / /, $_, 2] } split /\n/, $out];
}

sub _start {
    return if $Pid || $ENV{TEST_NGINX_STRM_BROKERS};

    my $bin = $ENV{STRM_DEVBROKER} || "$Root/build/strm-devbroker";
    -x $bin
        or die "Strm::Test: no $bin (make workers, or set STRM_DEVBROKER)\n";

    # outside t/servroot, which Test::Nginx wipes per block
    $Dir = tempdir('strm-devbroker-XXXXXX', TMPDIR => 1);
    my %f = map { $_ => "$Dir/$_" } qw(bootstrap ctl_port pid log);

    my $pid = fork;
    defined $pid or die "Strm::Test: fork: $!\n";

    if ($pid == 0) {
        # not the TAP pipe: prove would wait for the broker to exit
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $f{log};
        open STDERR, '>&', \*STDOUT;
        { exec $bin, '-n', 2, '-P', 1, '-f', $f{bootstrap},
               '-c', $f{ctl_port}, '-p', $f{pid} }
        POSIX::_exit(127);
    }

    ($Pid, $Owner) = ($pid, $$);

    for (1 .. 200) {
        last if -s $f{bootstrap};
        if (waitpid($pid, WNOHANG) == $pid) {
            my ($rc, $log) = ($? >> 8, _slurp($f{log}));
            $Pid = undef;
            remove_tree($Dir);
            die "Strm::Test: $bin exited ($rc): $log";
        }
        sleep 0.05;
    }

    unless (-s $f{bootstrap}) {
        _stop();
        die "Strm::Test: $bin wrote no bootstrap file in 10 s\n";
    }

    # a self-signed certificate for HTTP/2 over TLS blocks, and a port
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
           . "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 "
           . "-keyout $Dir/key.pem -out $Dir/cert.pem >/dev/null 2>&1") == 0
        or die "Strm::Test: openssl req failed\n";
    $ENV{TEST_NGINX_STRM_TLS_DIR} = $Dir;
    $ENV{TEST_NGINX_STRM_ROOT} = $Root;
    $ENV{TEST_NGINX_STRM_TLS_PORT} //=
        ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 1;

    chomp($ENV{TEST_NGINX_STRM_BROKERS} = _slurp($f{bootstrap}));
    chomp($ENV{TEST_NGINX_STRM_CTL_PORT} = _slurp($f{ctl_port}));
    $ENV{TEST_NGINX_STRM_BOOTSTRAP_FILE} = $f{bootstrap};

    # each broker on its own (TEST_NGINX_STRM_BROKER_1, ...), and a
    # brokers file that separates them with spaces and lines
    my @b = split /,/, $ENV{TEST_NGINX_STRM_BROKERS};
    $ENV{"TEST_NGINX_STRM_BROKER_$_"} = $b[$_ - 1] for 1 .. @b;
    open my $sp, '>', "$Dir/bootstrap-spaced" or die "$Dir: $!";
    print $sp join(" \n", @b), "\n";
    close $sp;
    $ENV{TEST_NGINX_STRM_BOOTSTRAP_SPACED} = "$Dir/bootstrap-spaced";

    for my $pkg (qw(Test::Nginx::Socket Test::Nginx::Util)) {
        my $add = $pkg->can('add_cleanup_handler') or next;
        $add->(\&_stop);
        last;
    }
}

sub _slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar <$fh>;
}

# nginx first, if it still runs: its exit flush needs the broker
sub _stop_nginx {
    my $sr = Test::Nginx::Socket->can('server_root') or return;
    my $pid = _slurp($sr->() . '/logs/nginx.pid');
    $pid =~ /^(\d+)/ or return;
    $pid = $1;
    kill 'QUIT', $pid or return;
    for (1 .. 200) {
        waitpid($pid, WNOHANG);    # reaps it if it is our child
        last unless kill 0, $pid;
        sleep 0.05;
    }
}

sub _stop {
    return unless $Pid && $Owner == $$;    # never from a forked child

    local ($?, $!);

    if ($ENV{TEST_NGINX_NO_CLEAN}) {
        warn "Strm::Test: TEST_NGINX_NO_CLEAN: strm-devbroker pid $Pid "
             . "left running, files in $Dir\n";
        $Pid = undef;
        return;
    }

    _stop_nginx();

    my $pid = $Pid;
    $Pid = undef;

    kill 'TERM', $pid;
    for (1 .. 200) {
        last if waitpid($pid, WNOHANG) != 0;
        sleep 0.05;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }

    remove_tree($Dir) if $Dir;
    delete @ENV{qw(TEST_NGINX_STRM_BROKERS TEST_NGINX_STRM_CTL_PORT
                   TEST_NGINX_STRM_BOOTSTRAP_FILE
                   TEST_NGINX_STRM_BOOTSTRAP_SPACED)};
}

END { _stop() }

# POST /$path to the broker's control port, e.g. "broker/1/down",
# "broker/all/up", "broker/1/rtt/200", "topic/NAME/3" ("status": GET).
# Returns the decoded JSON answer; dies unless 200.
sub strm_broker_ctl {
    my ($path) = @_;

    my $port = $ENV{TEST_NGINX_STRM_CTL_PORT}
        or die "strm_broker_ctl: TEST_NGINX_STRM_CTL_PORT is not set\n";

    $path =~ s{^/+}{};
    my $method = $path eq 'status' ? 'GET' : 'POST';

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 5)
        or die "strm_broker_ctl($path): connect to port $port: $!\n";

    print $sock "$method /$path HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                . "Content-Length: 0\r\n\r\n";

    my ($resp, $sel) = ('', IO::Select->new($sock));
    while ($sel->can_read(10)) {
        last unless sysread $sock, $resp, 4096, length $resp;
    }
    close $sock;

    $resp =~ m{^HTTP/1\.\d (\d+)[^\n]*\n.*?\r?\n\r?\n(.*)\z}s
        or die "strm_broker_ctl($path): bad answer \"$resp\"\n";
    my ($status, $body) = ($1, $2);

    $status == 200 or die "strm_broker_ctl($path): $status $body";

    return $Json->decode($body);
}

# Records of $topic from its beginning, as hashrefs sorted by
# (partition, offset): topic, partition, offset, key, headers, value
# (value_b64 when not UTF-8; strings are decoded).  Options: min => N
# (wait for N records), timeout => S (default 10).  Returns what there
# is when min is not reached in time; dies if kafka-read fails.
sub strm_kafka_records {
    my ($topic, %opt) = @_;

    my $brokers = $ENV{TEST_NGINX_STRM_BROKERS}
        or die "strm_kafka_records: TEST_NGINX_STRM_BROKERS is not set\n";

    my @cmd = ("$Root/scripts/kafka-read", '-b', $brokers, '-t', $topic);
    push @cmd, '--min', $opt{min} if defined $opt{min};
    push @cmd, '--timeout', $opt{timeout} if defined $opt{timeout};

    open my $fh, '-|', @cmd
        or die "strm_kafka_records: cannot run $cmd[0]: $!\n";
    my @records = map { $Json->decode($_) } grep { /\S/ } <$fh>;
    close $fh;

    my $rc = $? >> 8;
    die "strm_kafka_records($topic): kafka-read failed ($?)\n"
        if $rc > 1 || ($? & 127);

    return \@records;
}

# A topic name nobody else uses in this run (nor in an earlier one
# against the same broker): shuffled and repeated blocks stay apart.
sub strm_unique_topic {
    my ($prefix) = @_;
    $prefix = 'strm-test' unless defined $prefix && length $prefix;
    $prefix =~ s/[^A-Za-z0-9._-]/-/g;
    return sprintf '%s-%d-%d-%d', $prefix, $$, time, ++$Seq;
}


# A burst (strm_burst options) in a child process while $during runs
# here after $o{after} seconds (a reload, a quit); returns the answers.
sub strm_burst_during {
    my ($during, %o) = @_;
    my $file = "/tmp/strm-burst-$$-" . (++$Seq) . ".txt";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $res = strm_burst(%o);
        open my $fh, '>', $file or POSIX::_exit(1);
        print $fh map { "@$_\n" } @$res;
        close $fh;
        POSIX::_exit(0);
    }
    sleep($o{after} // 0.3);
    $during->();
    waitpid($pid, 0);
    open my $fh, '<', $file or die "$file: $!";
    my @res = map { chomp; [split / /, $_, 2] } <$fh>;
    close $fh;
    unlink $file;
    return \@res;
}

1;
