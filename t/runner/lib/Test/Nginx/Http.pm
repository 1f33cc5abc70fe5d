package Test::Nginx::Http;

# Requests, responses and the checks of one block, for our stand-in of
# Test::Nginx::Socket.  Test counting and messages follow test-nginx:
# one status test per response, one test per header / body section,
# one per error_log / no_error_log pattern at each check.

use strict;
use warnings;

use base 'Exporter';

use Digest::MD5 ();
use Digest::SHA ();
use Errno qw(EAGAIN);
use HTTP::Response ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(min);
use Test::More ();
use Time::HiRes qw(sleep);

use Test::Nginx::Util;

our @EXPORT = qw(add_response_body_check);

our @ResponseBodyChecks;
our $TotalConnectingTimeouts = 0;

$Test::Nginx::Util::RunTestHelper = \&run_test_helper;
$Test::Nginx::Util::CheckErrorLog = \&check_error_log;
$Test::Nginx::Util::CheckShutdownErrorLog = \&check_shutdown_error_log;

sub add_response_body_check ($) { push @ResponseBodyChecks, shift }

sub fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}


# ---- building requests -----------------------------------------------

# more_headers text -> ("Key: val\r\n"..., is_chunked)
sub parse_more_headers {
    my $in = shift // '';
    my ($out, $is_chunked) = ('', 0);
    for my $line (split /\n+/, $in) {
        next if $line =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $line, 2;
        $val //= '';
        $is_chunked = 1
            if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# Rewrites a request given as packets: the first line becomes a full
# request line, our headers follow it, and a body gets its
# Content-Length (the body is then trimmed, as test-nginx does).  Each
# original packet keeps its place: the rewrite of a region is split
# over the packets that region spanned.
sub build_request {
    my ($name, $more_headers, $is_chunked, $conn, $packets) = @_;
    my $raw = join '', @$packets;

    $raw =~ /\A([^\n]*\n?)(.*)\z/s;
    my ($first, $content) = ($1, $2);
    $first =~ /^\s*(\S+) *(?:(\S+) *)?(?:(\S+) *)?\s*$/
        or bail_out("$name - Request line is not valid. Should be 'meth "
                    . "[url [version]]' but got \"$first\".");
    my ($meth, $url, $ver) = ($1, $2 // '/', $3 // 'HTTP/1.1');
    bail_out("$name - Request line should be non-empty") if $meth eq '';

    my $orig_content_len = length $content;
    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//g;
        $len_header = 'Content-Length: ' . length($content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/g;
    my $headers = '';
    $headers .= "Host: $ServerName\r\n"
        if $more_headers !~ /(?:^|\n)Host:/i;
    $headers .= "Connection: $conn\r\n"
        if $more_headers !~ /(?:^|\n)Connection/i;
    $headers .= "$more_headers$len_header\r\n";

    my @edits = ([length $first, "$meth $url $ver\r\n"],
                 [0, $headers],
                 [$orig_content_len, $content]);

    my @out = ('') x @$packets;
    my @left = map { length } @$packets;
    my $k = 0;
    for my $edit (@edits) {
        my ($orig, $new) = @$edit;
        while ($orig > 0) {
            $k++ while $left[$k] == 0 && $k < $#left;
            my $take = min($orig, $left[$k]) or last;
            $out[$k] .= substr $new, 0, $take, '';
            $left[$k] -= $take;
            $orig -= $take;
        }
        $out[$k] .= $new;
    }
    return \@out;
}

# Returns a list of requests, each a list of {value, delay_before}.
sub get_req_from_block {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        return [[ map { { value => $_ } } ref $raw ? @$raw : ($raw) ]];
    }

    my $more = $block->more_headers // '';
    my $headers_for = sub {
        my $i = shift;
        return parse_more_headers($more) unless ref $more eq 'ARRAY';
        bail_out("--- more_headers lacks data for the ${i}th request")
            unless defined $more->[$i];
        return parse_more_headers($more->[$i]);
    };

    if (defined(my $reqs = $block->pipelined_requests)) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request($name, $headers_for->($i), $conn,
                                  [$reqs->[$i]])->[0];
        }
        return [[{ value => $all }]];
    }

    my $request = $block->request;
    if (defined $request && !ref $request) {
        1 while $request =~ s/^\s*#[^\n]+\s+|^\s+//s;
    }

    my @list = ref $request eq 'ARRAY' ? @$request : ($request);
    my @reqs;
    for my $i (0 .. $#list) {
        my $one = $list[$i];
        if (!ref $one) {
            bail_out("$name - Request line should be non-empty")
                unless defined $one && $one ne '';
            push @reqs, [{ value => build_request($name, $headers_for->($i),
                                                  'close', [$one])->[0] }];
            next;
        }
        bail_out("$name - Invalid syntax. $one should be a string or an "
                 . "array of packets.") unless ref $one eq 'ARRAY';

        my @packets = map { ref $_ eq 'HASH' ? { %$_ } : { value => $_ } }
                      @$one;
        my $out = build_request($name, $headers_for->($i), 'close',
                                [map { $_->{value} } @packets]);
        $packets[$_]{value} = $out->[$_] for 0 .. $#packets;
        push @reqs, \@packets;
    }
    return \@reqs;
}


# ---- sending ---------------------------------------------------------

sub connect_server {
    my ($block, $timeout) = @_;
    my $name = $block->name;
    my $addr = $block->server_addr_for_client // $ServerAddr;
    my $port = $ServerPortForClient;
    my $err;

    for my $try (1 .. ($TotalConnectingTimeouts ? 20 : 50)) {
        my $sock = IO::Socket::INET->new(PeerAddr => $addr,
                                         PeerPort => $port,
                                         Proto => 'tcp',
                                         Timeout => $timeout);
        return $sock if $sock;
        $err = $!;

        if (Test::Nginx::Util::nginx_gone()) {
            Test::More::fail("$name - Can't connect to $addr:$port: $err "
                             . "(nginx is gone) (aborted)");
            return undef;
        }

        my $wait = min(1, (sleep_time() + sleep_time() * $try) * $try / 2);
        warn "$name - Can't connect to $addr:$port: $err\n"
             . "\tRetry connecting after $wait sec\n" if $wait >= 0.6;
        sleep $wait;
    }

    my $msg = "$name - Can't connect to $addr:$port: $err (aborted)\n";
    bail_out($msg) if ++$TotalConnectingTimeouts >= 3;
    Test::More::fail($msg);
    return undef;
}

sub send_request {
    my ($req, $timeout, $block) = @_;
    my $name = $block->name;
    my @bits = @$req;
    my $head_req = (join '', map { $_->{value} } @bits) =~ /^\s*HEAD\s+/
                   ? 1 : 0;

    if (use_http2($block)) {
        return (send_by_curl($block, $req, $timeout), $head_req);
    }

    my $sock = connect_server($block, $timeout) or return (undef, $head_req);
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $middle_delay = $block->raw_request_middle_delay;
    my $buf = (shift @bits)->{value} // '';
    my $writing = 1;
    my $resp = '';
    my $sel = IO::Select->new($sock);

    while (1) {
        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $timeout);
        if (!$r && !$w) {
            if (!defined $block->abort) {
                Test::More::fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            last;
        }

        if ($w && @$w) {
            if (length $buf) {
                my $n = syswrite $sock, $buf;
                if (!defined $n) {
                    next if $! == EAGAIN;
                    warn "write failed: $!\n";
                    $resp = "write failed: $!" if $resp eq '';
                    last;
                }
                substr $buf, 0, $n, '';
            }
            if ($buf eq '') {
                if (my $next = shift @bits) {
                    my $delay = $next->{delay_before} // $middle_delay;
                    sleep parse_time($delay) if $delay;
                    $buf = $next->{value} // '';
                } else {
                    $writing = 0;
                    my $how = $block->shutdown;
                    shutdown $sock, $how =~ /^\s*$/ ? 1 : $how
                        if defined $how;
                }
            }
        }

        if ($r && @$r) {
            my $n = sysread $sock, my $chunk, 4096;
            if (!defined $n) {
                next if $! == EAGAIN;
                warn "WARNING: $name - HTTP response read failure: $!\n";
                last;
            }
            last if $n == 0;
            $resp .= $chunk;
        }
    }

    close $sock;
    return ($resp, $head_req);
}

sub gen_curl_cmd {
    my ($block, $req) = @_;
    my $name = $block->name;
    my $raw = join '', map { $_->{value} } @$req;

    my ($meth, $uri, $ver);
    if ($raw =~ m{^\s*(\w+)\s+(\S+)\s+HTTP/(\S+)\r?\n}gc) {
        ($meth, $uri, $ver) = ($1, $2, $3);
    } elsif ($raw =~ m{^\s*(\w+)\s+(.*\S)\r?\n}gc) {
        ($meth, $uri, $ver) = ($1, $2, '0.9');
    } else {
        bail_out("$name - cannot parse the status line in the request: "
                 . $raw);
    }

    # test-nginx sends no User-Agent or Accept; Host comes from the request
    my @args = ('curl', '-i', '-H', 'User-Agent:', '-H', 'Accept:',
                '-H', 'Host:', verbose() ? '-vv' : '-sS');
    push @args, '--http2', '--http2-prior-knowledge' if use_http2($block);
    push @args, $meth eq 'HEAD' ? ('-I') : ('-X', $meth);
    push @args, '-0' if $ver ne '1.1';

    my $found_ctype;
    if ($ver ge '1.0') {
        $raw =~ m{\G(.*?)\r?\n\r?\n}gcs
            or bail_out("cannot parse the header entries in the request: "
                        . $raw);
        for my $h (grep { !/^Connection\s*:/i } split /\r\n/, $1) {
            $found_ctype = 1 if $h =~ /^\s*Content-Type\s*:/i;
            push @args, '-H', $h;
        }
    }

    if ($raw =~ m{\G(.+)}gcs) {
        push @args, '-H', 'Content-Type: ' unless $found_ctype;
        my $file = html_dir() . '/curl.data.bin';
        open my $out, '>', $file or die "Could not open $file: $!";
        binmode $out;
        print $out $1;
        close $out;
        push @args, '--data-binary', "\@$file";
    }

    my $timeout = $block->timeout || timeout();
    push @args, '--connect-timeout', $timeout, '--max-time', $timeout;
    push @args, $block->curl_options if defined $block->curl_options;

    my $addr = $block->server_addr_for_client // $ServerAddr;
    push @args, ($block->curl_protocol // 'http')
                . "://$addr:$ServerPortForClient$uri";
    return \@args;
}

sub send_by_curl {
    my ($block, $req, $timeout) = @_;
    my $name = $block->name;
    require IPC::Run;

    my $cmd = gen_curl_cmd($block, $req);
    my ($in, $out, $err) = ('', '', '');
    my $ok = eval {
        IPC::Run::run($cmd, \$in, \$out, \$err,
                      IPC::Run::timeout(parse_time($timeout) + 1));
    };
    if (!defined $ok && $@) {
        Test::More::fail("$name - failed to run curl: $@");
        return undef;
    }

    if ($out eq '') {
        my $curl_err = $block->curl_error;
        if ($err ne '' && defined $curl_err
            && (ref $curl_err ? $err =~ $curl_err : $err =~ /\Q$curl_err\E/))
        {
            return undef;
        }
        Test::More::fail($err ne ''
            ? "$name - command \"@$cmd\" generates stderr output: $err"
            : "$name - curl command \"@$cmd\" generates no stdout output");
        return undef;
    }
    warn "WARNING: $name - command \"@$cmd\" generates stderr output: $err"
        if $err ne '';
    return $out;
}


# ---- responses -------------------------------------------------------

# -> (HTTP::Response, raw header text, bytes left after this response)
sub parse_response {
    my ($name, $raw, $head_req) = @_;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';
    my $res = HTTP::Response->parse($raw);
    my $code = $res->code;
    my $left;

    if (defined $code && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content // '';
        my $decoded = '';
        while (1) {
            if ($body =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $body =~ /\G(.+)/gcs;
                last;
            }
            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                if ($body !~ /\G(.{$size})/gcs) {
                    Test::More::fail("$name - invalid chunked data received "
                        . "(not enough octets for the data section)");
                    return;
                }
                $decoded .= $1;
                if ($body !~ /\G\r\n/gc) {
                    Test::More::fail("$name - invalid chunked data received "
                                     . "(expected CRLF).");
                    return;
                }
            } elsif ($body =~ /\G(.+)/gcs) {
                Test::More::fail("$name - invalid chunked body received: $1");
                return;
            } else {
                Test::More::fail("$name - no last chunk found - $body");
                return;
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content // '';
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got " . length($body) . "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

# For request arrays every expectation must be an array too.
sub get_indexed_value {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }
    return ref $value eq 'ARRAY' ? $value->[0] : $value;
}

sub skip_if {
    my ($dry_run, $msg) = @_;
    Test::More::skip($msg, 1) if $dry_run;
}


# ---- one repetition of a block ---------------------------------------

sub run_test_helper {
    my ($block, $dry_run, $repeated_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    if (defined $block->curl) {
        my @args = map { /^[-\w.:\/=@]+$/ ? $_ : "'" . s/'/'\\''/gr . "'" }
                   @{ gen_curl_cmd($block, $reqs->[0]) };
        warn "# @args\n";
    }

    my $timeout = parse_time($block->timeout) // timeout();
    my $pipelined = $block->pipelined_requests;
    my $need_array = $pipelined ? 1 : @$reqs > 1;
    my ($res, $req_idx) = (undef, 0);

    for my $i (0 .. $#$reqs) {
        my ($raw, $head_req) = $dry_run
            ? ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0)
            : send_request($reqs->[$i], $timeout, $block);
        my $n = $pipelined ? scalar @$pipelined : 0;

        while (1) {
            $raw //= '';
            my ($raw_headers, $left) = ('');
            if (!defined $block->ignore_response) {
                ($res, $raw_headers, $left) =
                    parse_response($name, $raw, $head_req);
                $raw_headers //= '';
            }

            if ($n) {
                $raw = $left;
                $n--;
            } elsif (defined $left) {
                (my $l = $left) =~ s/([\0-\037\200-\377])/
                                     sprintf('\x{%02x}', ord $1)/ge;
                warn "WARNING: $name - unexpected extra bytes after last "
                     . "chunk in response: \"$l\"\n";
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $dry_run, $req_idx,
                                 $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run,
                                           $req_idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run,
                                       $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx,
                                    $repeated_idx, $need_array);
            }

            if ($n || $req_idx < $#$reqs) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_idx,
                                $need_array);
                check_access_log($block, $dry_run, $repeated_idx)
                    unless defined $block->ignore_response;
            }

            $req_idx++;
            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;
    check_error_log($block, $res, $dry_run, $repeated_idx, $need_array);
    check_access_log($block, $dry_run, $repeated_idx)
        unless defined $block->ignore_response;
}


# ---- checks ----------------------------------------------------------

sub check_error_code {
    my ($block, $res, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    SKIP: {
        skip_if($dry_run, "$name - tests skipped due to $dry_run");
        if (defined $block->error_code_like) {
            my $pat = get_indexed_value($name, $block->error_code_like, $idx,
                                        $need_array);
            Test::More::like($code, qr/$pat/sm, "$name - status code ok");
        } elsif (defined $block->error_code) {
            Test::More::is($code, get_indexed_value($name, $block->error_code,
                                                    $idx, $need_array),
                           "$name - status code ok");
        } else {
            Test::More::is($code, 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers {
    my ($block, $raw_headers, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;

    for my $type ('like', 'unlike') {
        my $section = "raw_response_headers_$type";
        my $pats = $block->$section;
        next unless defined $pats;
        my $pat = get_indexed_value($name, $pats, $idx, $need_array);
        SKIP: {
            skip_if($dry_run, "$name - raw_response_headers_$type - tests "
                              . "skipped due to $dry_run");
            my $cmp = $type eq 'like' ? \&Test::More::like
                                      : \&Test::More::unlike;
            $cmp->($raw_headers, qr/$pat/s, "$name - raw resp headers $type");
        }
    }
}

sub check_response_headers {
    my ($block, $res, $raw_headers, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $pairs = Test::Nginx::Util::header_pairs(get_indexed_value($name,
            $block->response_headers, $idx, $need_array));
        for my $pair (@$pairs) {
            my ($key, $val) = @$pair;
            SKIP: {
                skip_if($dry_run, "$name - response_headers - tests skipped "
                                  . "due to $dry_run");
                if (defined $val) {
                    $val =~ s/\$ServerPort\b/$ServerPort/g;
                    $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
                    my $got = $res ? $res->header($key) : undef;
                    Test::More::is($got // '', $val, "$name - header $key ok");
                } else {
                    Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/m,
                        "$name - header $key not present in the raw "
                        . "headers");
                }
            }
        }

    } elsif (defined $block->response_headers_like) {
        my $pairs = Test::Nginx::Util::header_pairs(get_indexed_value($name,
            $block->response_headers_like, $idx, $need_array));
        for my $pair (@$pairs) {
            my ($key, $val) = @$pair;
            my $got = $res ? $res->header($key) : undef;
            SKIP: {
                skip_if($dry_run, "$name - response_headers_like - tests "
                                  . "skipped due to $dry_run");
                Test::More::like($got // '', qr/^$val$/,
                                 "$name - header $key like ok");
            }
        }
    }
}

sub run_filter {
    my ($block, $filter, $content) = @_;
    return $filter->($content) if ref $filter eq 'CODE';
    my %builtin = (
        md5_hex  => \&Digest::MD5::md5_hex,
        sha1_hex => \&Digest::SHA::sha1_hex,
        uc       => sub { uc shift },
        lc       => sub { lc shift },
        ucfirst  => sub { ucfirst shift },
        lcfirst  => sub { lcfirst shift },
        length   => sub { length shift },
    );
    my $f = !ref $filter && $builtin{$filter}
        or bail_out($block->name . " - unknown filter, \"$filter\", "
                    . "specified in the --- response_body_filters section");
    return $f->($content);
}

sub transform_response_body {
    my ($block, $res, $idx) = @_;
    my $filters = $block->response_body_filters;
    return unless defined $res && defined $filters;
    my $content = $res->content;
    return unless defined $content;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$idx]
            // bail_out($block->name . " - the --- response_body_filters "
                        . "two-dimensional array unmatch the specified "
                        . "request($idx)");
    }
    $content = run_filter($block, $_, $content) for @$filters;
    $res->content($content);
}

sub check_response_body {
    my ($block, $res, $dry_run, $idx, $repeated_idx, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gm;
        $content =~ s/^Connection: TE, close\r\n//gm;
    }

    if (defined $block->response_body) {
        my $expected = get_indexed_value($name, $block->response_body, $idx,
                                         $need_array);
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }
        SKIP: {
            skip_if($dry_run, "$name - response_body - tests skipped due to "
                              . $dry_run);
            if (ref $expected) {
                Test::More::like($content, $expected, "$name - response_body"
                    . " - like (repeated req $repeated_idx, req $idx)");
            } else {
                Test::More::is($content, $expected, "$name - response_body - "
                    . "response is expected (repeated req $repeated_idx, "
                    . "req $idx)");
            }
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pats = $type eq 'like' ? $block->response_body_like
                                   : $block->response_body_unlike;
        my $pat = get_indexed_value($name, $pats, $idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';
        my $cmp = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        SKIP: {
            skip_if($dry_run, "$name - response_body_$type - tests skipped "
                              . "due to $dry_run");
            # not anchored: test-nginx matches anywhere in the body
            $cmp->($content, qr/$pat/s,
                   "$name - response_body_$type - response is expected "
                   . "($summary)");
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $idx, $repeated_idx,
                 $dry_run);
    }
}

# A section of patterns: lines (each a substring), a qr//, or an array.
sub pattern_list {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : index($line, $pat) >= 0;
}

sub value_contains {
    my ($val, $pat) = @_;
    return 0 unless defined $val;
    return (grep { value_contains($_, $pat) } @$val) ? 1 : 0
        if ref $val eq 'ARRAY';
    return "$val" =~ /\Q$pat\E/;
}

# error_log: each pattern passes once when some line matches, or fails.
sub expect_patterns {
    my ($pats, $lines, $what, $file, $msg) = @_;
    my ($name, $dry_run, $suffix) = @$msg;
    my @pats = @{ pattern_list($pats) };
    for my $line (@$lines) {
        for my $pat (@pats) {
            next unless defined $pat && line_matches($line, $pat);
            SKIP: {
                skip_if($dry_run, "$name - $what - tests skipped due to "
                                  . $dry_run);
                Test::More::pass("$name - pattern \"$pat\" matches a line in "
                                 . "$file$suffix");
            }
            undef $pat;
        }
    }
    for my $pat (grep { defined } @pats) {
        SKIP: {
            skip_if($dry_run, "$name - $what - tests skipped due to $dry_run");
            Test::More::fail("$name - pattern \"$pat\" should match a line "
                             . "in $file$suffix");
        }
    }
}

# no_error_log: a failure per matching line, else one pass per pattern.
sub forbid_patterns {
    my ($pats, $lines, $what, $file, $msg) = @_;
    my ($name, $dry_run, $suffix) = @$msg;
    my @pats = grep { defined } @{ pattern_list($pats) };
    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@pats) {
            next unless line_matches($line, $pat);
            $found{$pat} = 1;
            SKIP: {
                skip_if($dry_run, "$name - $what - tests skipped due to "
                                  . "$dry_run ($line)");
                my $more = join '', @$lines[$i + 1
                                    .. min($i + 9, $#$lines - 1)];
                Test::More::fail("$name - pattern \"" . fmt_str($pat)
                    . "\" should not match any line in $file but matches "
                    . "line \"" . fmt_str($line) . "\"$suffix\n$more");
            }
        }
    }
    for my $pat (grep { !$found{$_} } @pats) {
        SKIP: {
            skip_if($dry_run, "$name - $what - tests skipped due to $dry_run");
            Test::More::pass("$name - pattern \"" . fmt_str($pat)
                             . "\" does not match a line in $file$suffix");
        }
    }
}

sub check_error_log {
    my ($block, $res, $dry_run, $repeated_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;
    my $msg = [$name, $dry_run, " (req $repeated_idx)"];

    my $grep_pat = $block->grep_error_log;
    if (defined $grep_pat) {
        $grep_pat = $grep_pat->[$repeated_idx] if ref $grep_pat eq 'ARRAY';
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but "
                 . "--- grep_error_log is defined") unless defined $expected;
        $expected = $expected->[$repeated_idx] if ref $expected eq 'ARRAY';

        SKIP: {
            skip_if($dry_run, "$name - error_log - tests skipped due to "
                              . $dry_run);
            $lines ||= error_log_data();
            my $matched = '';
            for my $line (@{ $lines || [] }) {
                my $m = ref $grep_pat ? ($line =~ /$grep_pat/ ? $& : undef)
                      : (index($line, $grep_pat) >= 0 ? $grep_pat : undef);
                $matched .= "$m\n" if defined $m && $m !~ /\n/;
            }
            my $desc = "$name - grep_error_log_out (req $repeated_idx)";
            if (ref $expected eq 'Regexp') {
                Test::More::like($matched, $expected, $desc);
            } else {
                Test::More::is($matched, $expected, $desc);
            }
        }
    }

    my %warn_on = map { $_ => 1 } qw(alert crit emerg);
    for my $section ('error_log', 'no_error_log') {
        my $pats = $block->$section;
        next unless defined $pats;
        for my $level (keys %warn_on) {
            delete $warn_on{$level} if value_contains($pats, "[$level");
        }
        $lines ||= error_log_data();
        if ($section eq 'error_log') {
            expect_patterns($pats, $lines || [], 'error_log', 'error.log',
                            $msg);
        } else {
            forbid_patterns($pats, $lines || [], 'no_error_log', 'error.log',
                            $msg);
        }
    }

    return if $dry_run;

    $lines ||= error_log_data();
    for my $line (@{ $lines || [] }) {
        for my $level (sort keys %warn_on) {
            warn "WARNING: $name - " . fmt_str($line) . "\n"
                if $line =~ /\[$level\]/;
        }
        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $l = $line);
            Test::More::fail("$name - $l\n");
        }
    }
}

sub check_access_log {
    my ($block, $dry_run, $repeated_idx) = @_;
    my $msg = [$block->name, $dry_run, " (req $repeated_idx)"];
    my $lines;
    if (defined $block->access_log) {
        $lines ||= access_log_data();
        expect_patterns($block->access_log, $lines || [], 'access_log',
                        'access.log', $msg);
    }
    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        forbid_patterns($block->no_access_log, $lines || [], 'no_access_log',
                        'access.log', $msg);
    }
}

# Run after nginx has exited (test-nginx does it when the next block
# restarts nginx, or at the end of the file).
sub check_shutdown_error_log {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $msg = [$name, $dry_run, ''];
    my $lines = error_log_data() || [];

    if (defined $block->no_shutdown_error_log) {
        forbid_patterns($block->no_shutdown_error_log, $lines,
                        'no_shutdown_error_log', 'error.log', $msg);
    }
    expect_patterns($block->shutdown_error_log, $lines, 'shutdown_error_log',
                    'error.log', $msg);

    for my $line (@$lines) {
        if ($line =~ /\bAssertion .*? failed\.$/) {
            chomp(my $l = $line);
            Test::More::fail("$name - $l");
        }
    }
}

1;
