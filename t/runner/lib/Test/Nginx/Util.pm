package Test::Nginx::Util;

# Stand-in for OpenResty's Test::Nginx::Util (test-nginx 0.3x), written
# for this project because the real one cannot be installed here.  It
# holds the settings, writes nginx.conf, starts and stops nginx, reads
# error.log and drives the blocks.  Behaviour follows the real runner
# (see /work/shared/TEST-NGINX-COMPAT.md); differences are listed in
# t/runner/README.md.

use strict;
use warnings;

use base 'Exporter';

use Config;
use File::Path qw(remove_tree);
use File::Spec ();
use File::Temp ();
use IO::Socket::INET ();
use List::Util qw(shuffle min);
use POSIX qw(SIGQUIT SIGKILL SIGTERM WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running no_long_string
    server_addr server_name parse_time verbose sleep_time bail_out
    add_cleanup_handler error_log_data access_log_data setup_server_root
    write_config_file get_nginx_version trim show_all_chars parse_headers
    run_tests run_test get_pid_from_pidfile add_block_preprocessor timeout
    worker_connections workers master_on master_off config_preamble
    repeat_each master_process_enabled log_level no_shuffle
    no_root_location html_dir server_root server_port
    server_port_for_client no_nginx_manager use_hup use_http2
    $NoLongString $ServerAddr $ServerName $ServerPort $ServerPortForClient
    $NginxVersion $PidFile $ServRoot $ConfFile $RunTestHelper
    $CheckErrorLog $CheckShutdownErrorLog $RepeatEach $NoNginxManager
);

our $NginxBinary       = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers           = 1;
our $WorkerConnections = 64;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled     = 'on';
our $ServerPort        = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                         || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr        = '127.0.0.1';
our $ServerName        = 'localhost';
our $NoRootLocation    = 0;
our $TestNginxSleep    = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $RepeatEach        = 1;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoNginxManager    = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $UseValgrind       = $ENV{TEST_NGINX_USE_VALGRIND};
our $UseHttp2          = $ENV{TEST_NGINX_USE_HTTP2};
our $UseHup            = $ENV{TEST_NGINX_USE_HUP};
our $CheckAccumErrLog  = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $LoadModules       = $ENV{TEST_NGINX_LOAD_MODULES};
our $WorkerUser        = $ENV{TEST_NGINX_WORKER_USER};
our $Verbose           = $ENV{TEST_NGINX_VERBOSE};
our $NoLongString;
our $ConfigPreamble    = '';
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;

# Hooks filled in by Test::Nginx::Http.
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);

our ($NginxVersion, $NginxRawVersion, $PrevConfig, $PrevBlock);
our ($ChildPid, $NginxPid, $InSubprocess, $ErrLogFilePos);
our %ExitStatus;

if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

if ($UseValgrind) {
    # valgrind must stay the parent of nginx to see it exit
    $DaemonEnabled = 'off';
}

our $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT}
                                    || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
# nginx's start-up stderr, kept outside the servroot: the real
# Test::Nginx removes only conf, html, logs and *_temp there and bails
# out ("not empty?") on anything else.  File::Temp removes the
# directory when the test file ends (not from forked children).
our $AuxDir = File::Temp::tempdir('test-nginx-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
our $StderrFile = "$AuxDir/nginx.stderr";

# nginx's own exit-time leaks, kept beside this module's lib/ dir
our $CoreSuppressions = File::Spec->catfile(
    (File::Spec->splitpath(File::Spec->rel2abs(__FILE__)))[1],
    '..', '..', '..', 'valgrind-nginx.suppress');


# ---- settings (the preamble API) -------------------------------------

sub getset ($@) {
    my $ref = shift;
    $$ref = shift if @_;
    return $$ref;
}

sub workers (@)                { getset \$Workers, @_ }
sub worker_connections (@)     { getset \$WorkerConnections, @_ }
sub log_level (@)              { getset \$LogLevel, @_ }
sub timeout (@)                { getset \$Timeout, @_ }
sub server_port (@)            { getset \$ServerPort, @_ }
sub server_port_for_client (@) { getset \$ServerPortForClient, @_ }
sub server_addr (@)            { getset \$ServerAddr, @_ }
sub server_name (@)            { getset \$ServerName, @_ }
sub repeat_each (@)            { getset \$RepeatEach, @_ }
sub no_shuffle ()              { $NoShuffle = 1 }
sub no_root_location ()        { $NoRootLocation = 1 }
sub no_long_string ()          { $NoLongString = 1 }
sub no_nginx_manager ()        { $NoNginxManager = 1 }
sub check_accum_error_log ()   { $CheckAccumErrLog = 1 }
sub master_on ()               { $MasterProcessEnabled = 'on' }
sub master_off ()              { $MasterProcessEnabled = 'off' }
sub config_preamble ($)        { $ConfigPreamble = shift }
sub html_dir ()                { $HtmlDir }
sub server_root ()             { $ServRoot }
sub sleep_time ()              { $TestNginxSleep }
sub verbose ()                 { $Verbose }

# Accepted for compatibility; we always restart nginx between blocks.
sub use_hup ()                 { $UseHup = 1 }

sub master_process_enabled (@) {
    $MasterProcessEnabled = shift() ? 'on' : 'off' if @_;
    return $MasterProcessEnabled;
}

sub env_to_nginx (@) {
    die "env_to_nginx: no arguments specified\n" unless @_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            die "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)    { unshift @CleanupHandlers, shift }


# ---- small helpers ---------------------------------------------------

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc);
}

sub parse_time ($) {
    my $tm = shift;
    return $tm unless defined $tm;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        return $tm / 1000;
    }
    $tm =~ s/([^_a-zA-Z])s$/$1/;
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /g;
    $s =~ s/\s{2,}/ /g;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    return $s;
}

# "Name: value" lines; "!Name" means the header must be absent (undef).
sub parse_headers ($) {
    my %headers = map { @$_ } @{ header_pairs(shift) };
    return \%headers;
}

sub header_pairs ($) {
    my $s = shift;
    my @pairs;
    for my $line (split /\n/, $s // '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            push @pairs, [$line, undef];
            next;
        }
        my ($key, $val) = split /\s*:\s*/, $line, 2;
        push @pairs, [$key, $val];
    }
    return \@pairs;
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub can_run ($) {
    my $cmd = shift;
    if ($cmd =~ m{/}) {
        return -f $cmd && -x _ ? $cmd : undef;
    }
    for my $dir (split /$Config{path_sep}/, $ENV{PATH} // '') {
        next if $dir eq '';
        return "$dir/$cmd" if -f "$dir/$cmd" && -x _;
    }
    return undef;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the Nginx in PATH: "
                 . ($out // ''));
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub get_pid_from_pidfile ($) {
    my $name = shift;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for "
                    . "reading: $!");
    my $pid = do { local $/; <$in> } // '';
    close $in;
    chomp $pid;
    return $pid;
}

sub read_pidfile () {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;
    return undef unless defined $pid && $pid =~ /^(\d+)/;
    return $1;
}

# A daemonised nginx is re-parented to the nearest "child subreaper";
# being one lets us reap it instead of leaving a zombie that kill(0)
# still reports as alive.  Best effort: Linux x86_64/aarch64 only.
sub set_child_subreaper () {
    return unless $^O eq 'linux';
    my %nr = (x86_64 => 157, aarch64 => 167);
    my ($arch) = $Config{archname} =~ /^(x86_64|aarch64)/;
    return unless $arch;
    my $PR_SET_CHILD_SUBREAPER = 36;
    syscall($nr{$arch}, $PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

set_child_subreaper();

sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid;
    if (waitpid($pid, WNOHANG) == $pid) {
        $ExitStatus{$pid} = $?;
        return 0;
    }
    return 0 unless kill 0, $pid;
    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh> // '';
        return 0 if $stat =~ /^\d+ \(.*\) [ZX]/s;
    }
    return 1;
}

sub gen_rand_port ($) {
    my $used = shift;
    for (1 .. 1000) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                         LocalPort => $port,
                                         Proto => 'tcp');
        next unless $sock;
        close $sock;
        return $port;
    }
    return undef;
}

# Only $TEST_NGINX_* variables are substituted; an unset one bails out.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $rand_ports->{$var} //= gen_rand_port({
                $ServerPort => 1, map { $_ => 1 } values %$rand_ports
            }) // bail_out("$name - Cannot find an available listening "
                           . "port number for $var.\n");
            $rand_ports->{$var};

        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $ENV{$var};
        }
    }ge;

    return $text;
}

sub use_http2 ($) {
    my $block = shift;
    my $cached = $block->test_nginx_enabled_http2;
    return $cached if defined $cached;

    my $on = 0;
    if (defined $block->http2) {
        bail_out("cannot use --- http2 with --- raw_request")
            if defined $block->raw_request;
        bail_out("cannot use --- http2 with --- pipelined_requests")
            if defined $block->pipelined_requests;
        $on = 1;

    } elsif ($UseHttp2 && !defined $block->raw_request
             && !defined $block->pipelined_requests
             && defined $block->request
             && (ref $block->request || $block->request !~ m{HTTP/1\.0}))
    {
        $on = 1;
    }

    $block->set_value(test_nginx_enabled_http2 => $on);
    return $on;
}


# ---- server root and nginx.conf --------------------------------------

sub setup_server_root () {
    if (-d $ServRoot) {
        # Remove only what we create, so that a misused
        # TEST_NGINX_SERVROOT cannot wipe real data.
        remove_tree($ConfDir, $HtmlDir, $LogDir, glob("$ServRoot/*_temp"));
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        mkdir $dir or bail_out("Failed to do mkdir $dir: $!\n");
    }
    write_file("$HtmlDir/index.html", '<html><head><title>It works!'
               . '</title></head><body>It works!</body></html>');
}

sub write_file ($$) {
    my ($path, $data) = @_;
    open my $out, '>', $path
        or bail_out("Can't open $path for writing: $!\n");
    binmode $out;
    print $out $data;
    close $out;
}

sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, '', $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/} && !-d $1) {
            File::Path::make_path($1);
        }
        write_file($path, expand_env_in_text($body // '', $name,
                                             $rand_ports));
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("Failed to run touch on $path\n");
        }
    }
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    my $expand = sub { expand_env_in_text(shift, $name, $rand_ports) // '' };
    my $http_config = $expand->($block->http_config);
    my $main_config = $expand->($block->main_config);
    my $post_main_config = $expand->($block->post_main_config);
    my $server_name = $block->server_name // $ServerName;
    my $err_log_file = $block->error_log_file || $ErrLogFile;
    $config //= '';

    # Like test-nginx since 0.25: load_module goes first, on the line
    # where main_config starts, so line numbers do not move.
    my @modules = map { "load_module $_;" } grep { $_ } split /\s+/,
                  $LoadModules // '';
    $main_config = join ' ', @modules, $main_config if @modules;

    my $env = join '', map { my $v = /\s/ ? "'$_'" : $_; "env $v;\n" }
              @EnvToNginx;
    my $listen_opts = use_http2($block) ? ' http2' : '';
    (my $quoted_name = $server_name) =~ s/(['\\])/\\$1/g;

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = defined $WorkerUser ? "user $WorkerUser;\n"
             : $> == 0 ? "user root;\n" : '';

    # The layout (and so nginx.conf line numbers) mirrors test-nginx.
    # The only change: we listen on 127.0.0.1, not on every address.
    write_file($ConfFile, <<"_EOC_");
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
${env}#env LUA_PATH;
#env LUA_CPATH;

$main_config

http {
    access_log $AccLogFile;
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          127.0.0.1:$ServerPort$listen_opts;
        server_name     '$quoted_name';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;


        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_
}


# ---- the nginx process -----------------------------------------------

sub nginx_command () {
    # No "-e": like test-nginx, start-up errors go wherever the build
    # sends them (stderr for Debian's nginx), not into logs/error.log.
    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    return @cmd unless $UseValgrind;

    my @vg = ('valgrind', '-q', "--log-file=$LogDir/valgrind.%p.log",
              '--error-exitcode=97');
    if ($UseValgrind =~ /^\d+$/) {
        push @vg, qw(--tool=memcheck --leak-check=full --keep-debuginfo=yes
                     --show-possibly-lost=no --errors-for-leak-kinds=definite
                     --num-callers=100
                     --gen-suppressions=all);
    } else {
        push @vg, split ' ', $UseValgrind;
    }
    for my $supp ($CoreSuppressions, 't/valgrind.suppress',
                  'valgrind.suppress')
    {
        push @vg, '--suppressions=' . File::Spec->rel2abs($supp) if -f $supp;
    }
    return (@vg, @cmd);
}

# Runs nginx in the foreground of a child; returns its wait status.
sub run_nginx_once (@) {
    my @cmd = @_;
    my $pid = fork;
    bail_out("fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        $InSubprocess = 1;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StderrFile;
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return $?;
}

sub read_stderr_file () {
    open my $in, '<', $StderrFile or return '';
    local $/;
    my $s = <$in> // '';
    close $in;
    return $s;
}

# test-nginx lets nginx's start-up stderr reach the terminal, unless
# the block has --- suppress_stderr.
sub show_stderr ($) {
    my $block = shift;
    my $err = read_stderr_file();
    print STDERR $err if $err ne '' && !defined $block->suppress_stderr;
}

sub start_nginx ($) {
    my $block = shift;
    my $name = $block->name;
    my @cmd = nginx_command();

    bail_out("$name - Cannot find the nginx executable in the PATH "
             . "environment") unless can_run($NginxBinary);

    warn "starting nginx: @cmd\n" if $Verbose;

    if ($UseValgrind) {
        my $pid = fork;
        bail_out("$name - fork() failed: $!") unless defined $pid;
        if ($pid == 0) {
            $InSubprocess = 1;
            setpgrp;
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', $StderrFile;
            exec @cmd or POSIX::_exit(127);
        }
        $ChildPid = $pid;

        # under valgrind nginx takes seconds to start: wait until it
        # accepts connections (curl, used for HTTP/2, does not retry)
        for (1 .. 300) {
            last if defined read_pidfile()
                    && IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                             PeerPort => $ServerPort,
                                             Proto => 'tcp');
            last unless is_running($pid);
            sleep 0.1;
        }
        sleep $TestNginxSleep;
        return;
    }

    my $waited = 0;
    while (1) {
        my $status = run_nginx_once(@cmd);
        last if $status == 0;

        # a previous nginx may still hold the port for a moment
        my $err = read_stderr_file();
        if ($err =~ /Address already in use/ && $waited < 10) {
            sleep 0.2;
            $waited += 0.2;
            next;
        }
        print STDERR $err;
        bail_out("$name - Cannot start nginx using command \"@cmd\" "
                 . "(status code $status).");
    }
    show_stderr($block);

    # the daemon writes its pid file right after forking
    for (1 .. 200) {
        last if defined($NginxPid = read_pidfile());
        sleep 0.01;
    }
    sleep $TestNginxSleep;
}

sub kill_pid ($$) {
    my ($pid, $name) = @_;
    return unless is_running($pid);

    warn "sending QUIT signal to $pid\n" if $Verbose;
    kill SIGQUIT, $pid;

    # valgrind's leak check at exit takes a while
    my $deadline = time + ($UseValgrind ? 60 : timeout());
    while (is_running($pid) && time < $deadline) {
        sleep 0.02;
    }
    return unless is_running($pid);

    warn "$name - timeout when waiting for the process $pid to exit\n";
    kill SIGTERM, $pid;
    $deadline = time + 1;
    sleep 0.05 while is_running($pid) && time < $deadline;
    return unless is_running($pid);

    warn "$name - WARNING: killing the child process $pid with force...\n";
    my $group = getpgrp($pid) == $pid;
    kill SIGKILL, $group ? -$pid : $pid;
    sleep 0.05 while is_running($pid) && time < $deadline + 2;
}

# Stops whatever nginx this servroot has: ours, or one left by an
# earlier run (its pid file).
sub stop_nginx ($) {
    my $name = shift;
    for my $pid (grep { defined } $ChildPid, $NginxPid) {
        kill_pid($pid, $name);
    }
    undef $NginxPid;

    # a stale pid file may name a pid reused by another program
    my $pid = read_pidfile();
    if (defined $pid && open my $fh, '<', "/proc/$pid/cmdline") {
        my $cmdline = <$fh> // '';
        kill_pid($pid, $name) if $cmdline =~ /nginx|valgrind/;
    }
}

# valgrind -q prints nothing unless it found an error or a leak.
sub check_valgrind ($) {
    my $name = shift;
    my $pid = $ChildPid;
    return unless defined $pid;
    undef $ChildPid;

    my $report = '';
    for my $file (sort glob "$LogDir/valgrind.*.log") {
        open my $in, '<', $file or next;
        local $/;
        $report .= <$in> // '';
        close $in;
    }
    my $status = $ExitStatus{$pid} // 0;
    if ($report =~ /\S/ || ($status >> 8) == 97) {
        my @lines = split /\n/, $report;
        splice @lines, 60 if @lines > 60;
        Test::More::fail("$name - valgrind reported errors");
        Test::More::diag(join "\n", @lines) if @lines;
    }
}

sub nginx_gone () {
    my $pid = $ChildPid // $NginxPid;
    return defined $pid && !is_running($pid);
}


# ---- error.log -------------------------------------------------------

sub read_log_lines ($$) {
    my ($file, $use_pos) = @_;
    # lines logged in the log phase come after the response
    sleep $TestNginxSleep * 3;
    open my $in, '<', $file or return undef;
    if ($use_pos && !$CheckAccumErrLog && $ErrLogFilePos) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    $ErrLogFilePos = tell $in if $use_pos && !$CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub error_log_data ()  { read_log_lines($ErrLogFile, 1) }
sub access_log_data () { read_log_lines($AccLogFile, 0) }

# Like test-nginx, no_shutdown_error_log is only looked at together
# with a shutdown_error_log section.
sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    undef $PrevBlock;
    return unless defined $block && defined $block->shutdown_error_log;
    my $dry_run = $ENV{TEST_NGINX_NO_CLEAN} ? 'TEST_NGINX_NO_CLEAN' : 0;
    $CheckShutdownErrorLog->($block, $dry_run);
}


# ---- driving the blocks ----------------------------------------------

sub run_tests () {
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();
    if (!$NoShuffle && @blocks > 1) {
        my $seed = $ENV{TEST_NGINX_SHUFFLE_SEED} // (($$ ^ time) & 0xffff);
        srand $seed;
        @blocks = shuffle @blocks;
        Test::More::diag("shuffled blocks with seed $seed "
                         . "(TEST_NGINX_SHUFFLE_SEED=$seed to repeat)");
    }

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_test($block);
        $PrevBlock = $block;
    }

    finish();
}

sub check_skip ($) {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- skip_eval spec: $spec");
        my ($n, $code) = ($1, $2);
        my $skip = eval $code;
        bail_out("$name - skip_eval - failed to eval the Perl code "
                 . "\"$code\": $@") if $@;
        return ($n, 'skip_eval') if $skip;
    }

    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                  (?:\s*:\s*(.*))?\s*$/x
            or bail_out("$name - Invalid --- skip_nginx spec: $spec");
        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = get_canon_version($3, $4, $5);
        if (eval "$NginxVersion $op $ver") {
            return ($n, $reason || "nginx version $op $3.$4.$5");
        }
    }

    return;
}

sub run_test ($) {
    my $block = shift;
    my $name = $block->name;
    my $rand_ports = {};

    local $LogLevel = $block->log_level || $LogLevel;
    local $UseValgrind = defined $block->must_die ? undef : $UseValgrind;
    local $DaemonEnabled = defined $block->must_die ? 'on' : $DaemonEnabled;

    if (defined $block->server_config) {
        warn "WARNING: $name - --- server_config is not a Test::Nginx::"
             . "Socket section; ignored, as the real one does\n";
    }
    if (defined $block->no_shutdown_error_log
        && !defined $block->shutdown_error_log)
    {
        warn "WARNING: $name - --- no_shutdown_error_log is ignored without "
             . "--- shutdown_error_log, as the real one does\n";
    }

    my $config = expand_env_in_text($block->config, $name, $rand_ports);
    my $should_restart = 1;
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not "
                 . "get previous one.")
            unless defined $PrevConfig || $NoNginxManager;
        # like test-nginx: keep the running nginx, its config and logs
        $should_restart = 0;
        if ($UseValgrind) {
            $config = $PrevConfig;
            $should_restart = 1;
        }
    }

    my ($tests_to_skip, $skip_reason) = check_skip($block);
    my ($todo_n, $todo_reason);
    if (defined(my $todo = $block->todo)) {
        $todo =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- todo spec: $todo");
        ($todo_n, $todo_reason) = ($1, $2);
    }

    if (!$NoNginxManager && !defined $tests_to_skip && $should_restart) {
        $PrevConfig = $config;
        stop_nginx($name);
        check_prev_block_shutdown_error_log();

        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        if (defined $block->must_die) {
            run_must_die($block);
            return;
        }

        start_nginx($block);
    }

    if ($block->init) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        write_user_files($block, $rand_ports) if $i > 0;

        if (defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }

        } elsif (defined $todo_n) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason", $todo_n);
            }

        } else {
            $RunTestHelper->($block, 0, $i);
        }
    }

    if ($UseValgrind && !defined $tests_to_skip) {
        stop_nginx($name);
        check_valgrind($name);
    }
}

sub run_must_die ($) {
    my $block = shift;
    my $name = $block->name;
    my $must_die = $block->must_die;
    my @cmd = nginx_command();

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        my $status = run_nginx_once(@cmd);
        my $exit_code = $status >> 8;
        show_stderr($block);

        if ($status == -1 || $exit_code == 127) {
            Test::More::fail("$name - failed to execute the nginx command "
                             . "line");
        } elsif ($status & 128) {
            Test::More::fail("$name - nginx core dumped");
        } elsif ($must_die =~ /^\s*\d+\s*$/) {
            Test::More::is($must_die, $exit_code,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, 0, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; "
                 . "killing it (req $i)\n";
            for (1 .. 100) {
                last if defined($NginxPid = read_pidfile());
                sleep 0.01;
            }
            stop_nginx($name);
        }
    }
}

sub finish () {
    return if $InSubprocess;
    if (!$NoNginxManager && ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN})) {
        stop_nginx('END');
    }
    check_prev_block_shutdown_error_log();
    cleanup();
}

sub cleanup () {
    while (my $handler = shift @CleanupHandlers) {
        $handler->();
    }
    if (defined $ChildPid) {
        kill_pid($ChildPid, 'cleanup');
        undef $ChildPid;
    }
}

END {
    if (!$InSubprocess) {
        local $?;
        finish();
    }
}

1;
