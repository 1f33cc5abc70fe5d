# Debug logging: with nginx built --with-debug (Debian's is) and
# "error_log ... debug", each step of a request shows in the error log,
# named "strm <step>: ...", and no value of the event is among them; nor
# any token, client secret or refresh token: only nginx's own header
# lines ("http header: ...") show the Authorization header
# (docs/security.md).

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use File::Temp qw(tempdir);
use JSON::PP;
use MIME::Base64 ();

repeat_each(1);

plan tests => repeat_each() * (blocks() + 34);

our $D = tempdir('strm-debug-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our $Root = $Strm::Test::Root;
sub sh { my $out = `$_[0]`; die "$_[0]: $?" if $?; chomp $out; $out }
our $Secret = decode_json(sh("$Root/build/strm-credentials new "
                             . "-f $D/demo.clients -c debug-client"))
              ->{clientSecret};
sh("$Root/build/strm-credentials token-key -k k1 -o $D/token.keys");
$ENV{TEST_NGINX_AUTH_DIR} = $D;

# POST /token with the form $form (and the headers @h); the answer
sub token_post {
    my ($form, @h) = @_;
    my ($s, undef, $b) = strm_post('/token', $form,
        'Content-Type: application/x-www-form-urlencoded', @h);
    return ($s, eval { decode_json($b) } // {});
}

# The lines of the error log that contain one of @secrets, leaving out
# nginx's own request header dumps ('http header: "Authorization: ..."',
# which show a bearer token or Basic credentials at debug level)
sub log_lines_with {
    my (@secrets) = @_;
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die "error.log: $!";
    my @bad;
    while (my $line = <$fh>) {
        next if $line =~ /\] \d+#\d+: \*\d+ http header: "/;
        push @bad, $line if grep { index($line, $_) >= 0 } @secrets;
    }
    return @bad;
}

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: an accepted event: body, schema, key link, encryption, Kafka, answer
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "PII-debug-session",
    uniqueIdentifier => "PII-debug-user",
    someSensitiveValue => "PII-debug-sensitive"))
--- error_code: 204
--- error_log
strm ingest: reading the body
strm ingest: event
strm schema: "strmprivacy/demo/1.0.2", json
strm schema: the event keeps contract "strmprivacy/example/1.3.0"
strm pii: a new session in window
strm pii: candidate key link
strm ingest: waiting for the candidate's delivery
-keys": ok
strm keys sync: waiting for partition
record, wins
strm pii: key link
strm pii: 3 fields encrypted
strm schema: serialized
strm kafka: produced
strm ingest: waiting for the delivery report
strm answer: 204
--- no_error_log
PII-debug
[error]
[alert]
[emerg]
[warn]



=== TEST 2: a refused event: the field and the rule, never the value
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(
    consistentValue => "",
    uniqueIdentifier => "PII-debug-refused"))
--- error_code: 400
--- error_log
strm schema: "strmprivacy/demo/1.0.2", json
field "consistentValue", rule "
strm answer: 400
--- no_error_log
PII-debug
strm kafka: produced
[error]
[alert]



=== TEST 3: nginx's own 405 in an ingest location, as JSON
--- config
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 405
--- error_log
strm answer: 405 method_not_allowed
--- no_error_log
strm ingest: reading the body
[error]



=== TEST 4: tokens, client secrets, refresh tokens and PII appear in no line of the module at debug level, only in nginx's own header lines
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/demo.clients;
    }
--- config
    location = /token {
        strm_token;
    }
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /token
--- error_code: 405
--- strm_check
my $basic = MIME::Base64::encode_base64("debug-client:$main::Secret", '');
my ($s, $t) = main::token_post("grant_type=client_credentials"
    . "&client_id=debug-client&client_secret=$main::Secret");
is($s, 200, "a token, the secret in the form");
my ($s2, $t2) = main::token_post("grant_type=client_credentials",
                                 "Authorization: Basic $basic");
is($s2, 200, "a token, the secret in HTTP Basic");
my ($s3, $t3) = main::token_post("grant_type=refresh_token"
    . "&client_id=debug-client&client_secret=$main::Secret"
    . "&refresh_token=$t->{refresh_token}");
is($s3, 200, "a refreshed token");
is((main::token_post("grant_type=client_credentials"
    . "&client_id=debug-client&client_secret=$main::Secret-wrong"))[0], 401,
   "a wrong secret");
my $ev = strm_json(strm_demo_event(consistentValue => "PII-dbg-session",
    uniqueIdentifier => "PII-dbg-user", someSensitiveValue => "PII-dbg-pii"));
is((strm_post_event($ev, token => $t3->{access_token}))[0], 204,
   "an event with the token");
is((strm_post_event($ev, token => $t->{refresh_token}))[0], 401,
   "a refresh token refused as a bearer token");
is((strm_post_event($ev, token => "$t->{access_token}x"))[0], 401,
   "a tampered token refused");
sleep 0.3;    # the last request's log phase lines
my @tokens = map { ($_, (split /\./)[2]) }
             grep { defined } map { @{$_}{qw(access_token refresh_token)} }
             $t, $t2, $t3;
is(scalar @tokens, 12, "three access and three refresh tokens, with their signatures");
my @hdr = grep { /http header: "Authorization: Bearer / }
          do { open my $fh, '<', $Test::Nginx::Util::ErrLogFile; <$fh> };
ok(@hdr >= 3, "nginx's own header lines show the bearer token (docs/security.md)");
my @bad = main::log_lines_with(@tokens, $main::Secret, $basic, "PII-dbg");
is(join('', @bad), '', "no other line holds a token, the secret or PII");
--- no_error_log
[error]
[alert]
