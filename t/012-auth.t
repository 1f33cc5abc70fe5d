# OAuth2 client credentials as STRM's drivers use them: the token
# endpoint (strm_token), bearer checks in the access phase (strm_auth),
# tokens of an identity provider through a JWKS, $strm_client_id for
# limit_req.  Tokens are minted here by t/lib/strm-jwt (python's hmac
# and cryptography, not our C); keys are made by openssl; credentials
# by strm-credentials.

use lib 't/lib';
use Test::Nginx::Socket;
use Strm::Test;
use Time::HiRes qw(sleep);
use File::Temp qw(tempdir);
use JSON::PP;

repeat_each(1);
workers(1);
master_on();

our $D = tempdir('strm-auth-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our $Root = $Strm::Test::Root;
our $Jwt = "$Root/t/lib/strm-jwt";
our %Secret;
our %Key;

sub sh { my $out = `$_[0]`; die "$_[0]: $?" if $?; chomp $out; $out }

for (['demo.clients', 'demo-client'], ['demo.clients', 'demo-two'],
     ['other.clients', 'other-client'], ['reload.clients', 'reload-client'])
{
    my ($file, $id) = @$_;
    my $c = decode_json(sh("$Root/build/strm-credentials new -f $D/$file -c $id"));
    $Secret{$id} = $c->{clientSecret};
}

# a client of a credentials file made before credential ids: its line
# has four fields (generation 0)
{
    my $c = decode_json(sh("$Root/build/strm-credentials new -f $D/regen.clients -c legacy-client"));
    $Secret{'legacy-client'} = $c->{clientSecret};
    sh("sed -i -E 's/^(legacy-client( [^ ]+){3}) [^ ]+\$/\\1/' $D/regen.clients");
    $c = decode_json(sh("$Root/build/strm-credentials new -f $D/regen.clients -c regen-client"));
    $Secret{'regen-client'} = $c->{clientSecret};
}

# the credential id of each client (the fifth field of its line): our
# tokens carry it as "credId", minted ones too
our %Cred;
sub read_creds {
    for my $f (glob "$D/*.clients") {
        open my $fh, '<', $f or die "$f: $!";
        while (<$fh>) {
            my @f = split;
            $Cred{$f[0]} = $f[4] if @f == 5 && $f[0] !~ /^#/;
        }
    }
}
read_creds();

# k2 signs, k1 is the previous key: it still verifies (rotation)
for my $kid (qw(k2 k1)) {
    my $line = sh("$Root/build/strm-credentials token-key -k $kid");
    (undef, $Key{$kid}) = split / /, $line;
    sh("echo '$line' >> $D/token.keys");
}
$Key{forged} = sh("$Root/build/strm-credentials token-key -k k2") =~ s/^\S+ //r;

sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $D/rsa.pem 2>/dev/null");
sh("openssl genpkey -algorithm ed25519 -out $D/ed.pem");
sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $D/ec.pem");
sh("openssl pkey -in $D/rsa.pem -pubout -out $D/rsa.pub");
sh("$Jwt jwks $D/rsa.pem:rsa-1 $D/ed.pem:ed-1 $D/ec.pem:ec-1 > $D/jwks.json");
sh("$Jwt jwks $D/rsa.pem:rsa-1 > $D/reload-jwks.json");

$ENV{TEST_NGINX_AUTH_DIR} = $D;
our $H2Port = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 100;
$ENV{TEST_NGINX_JWT} = $Jwt;

# a token: our own claims by default, others with idp => 1
sub tok {
    my (%o) = @_;
    my $now = time;
    my %c = $o{idp}
        ? (iss => 'https://idp.example/realms/streams', aud => 'strm-gateway',
           clientId => 'idp-client', stream => 'demo')
        : (iss => 'ngx_strm', typ => 'Bearer', clientId => 'demo-client',
           stream => 'demo');
    %c = (%c, iat => $now, exp => $now + 600, %{ $o{claims} || {} });
    $c{credId} //= $Cred{$c{clientId}}
        if !$o{idp} && defined $c{clientId} && defined $Cred{$c{clientId}};
    delete $c{$_} for @{ $o{without} || [] };
    my $alg = $o{alg} // 'HS256';
    my $key = $o{key} // ($alg eq 'RS256' ? "$D/rsa.pem"
                        : $alg eq 'EdDSA' ? "$D/ed.pem"
                        : $alg eq 'ES256' ? "$D/ec.pem" : $Key{k2});
    my $kid = $o{kid} // ($alg eq 'RS256' ? 'rsa-1' : $alg eq 'EdDSA' ? 'ed-1'
                        : $alg eq 'ES256' ? 'ec-1' : 'k2');
    my $claims = JSON::PP->new->canonical->encode(\%c);
    # a claim JSON::PP cannot write (1e400): its text as given
    $claims =~ s/"RAW:([^"]*)"/$1/g;
    my @h = $o{header} ? ("'" . $o{header} . "'") : ();
    return sh("$Jwt sign $alg '$key' $kid '$claims' @h");
}

sub bearer { "Authorization: Bearer " . tok(@_) . "\n" }

sub event { "POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event()) }

sub form {
    my ($id, $secret, $extra) = @_;
    "POST /token\ngrant_type=client_credentials&client_id=$id"
    . "&client_secret=" . ($secret // $Secret{$id}) . ($extra // '');
}

our $Http = <<'_EOC_';
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_jwks $TEST_NGINX_AUTH_DIR/jwks.json;
    strm_jwks_issuer https://idp.example/realms/streams;
    strm_jwks_audience strm-gateway;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/demo.clients;
    }
    strm_stream other {
        topic $TEST_NGINX_STRM_TOPIC-other;
        clients $TEST_NGINX_AUTH_DIR/other.clients;
    }
_EOC_

our $Config = <<'_EOC_';
    location = /token {
        strm_token;
    }
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
        add_header X-Client "$strm_client_id $strm_stream" always;
    }
_EOC_

our $Event = <<'_EOC_';
Content-Type: application/json
Strm-Schema-Ref: strmprivacy/demo/1.0.2
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $Http)
        unless defined $block->http_config;
    $block->set_value(config => $Config)
        unless defined $block->config;
});

# The count as Test::Nginx makes it: a block is its status and three
# no_error_log (or error_log) lines, plus its own checks (headers,
# bodies, strm_* sections, the requests of request arrays: 244 in all);
# each of the 11 config blocks is one must_die test instead, and its
# strm_nginx_t_error two, once.
plan tests => repeat_each() * (blocks() * 4 + 244 - 11 * 3) + 11 * 2;

run_tests();

# ---- the procedures the blocks name ----------------------------------

# POST /token with the form $form; (status, the JSON answer or {})
sub token_post {
    my ($form) = @_;
    my ($s, undef, $b) = strm_post('/token', $form,
        'Content-Type: application/x-www-form-urlencoded');
    return ($s, eval { decode_json($b) } // {});
}

# client_credentials for the client $id, with its own secret unless
# $secret; (status, the JSON answer or {})
sub grant {
    my ($id, $secret) = @_;
    return token_post("grant_type=client_credentials&client_id=$id"
                      . "&client_secret=" . ($secret // $Secret{$id}));
}

# The refresh_token grant for the client $id; (status, answer)
sub refresh {
    my ($id, $refresh_token) = @_;
    return token_post("grant_type=refresh_token&client_id=$id"
                      . "&client_secret=$Secret{$id}"
                      . (defined $refresh_token
                         ? "&refresh_token=$refresh_token" : ''));
}

# The demo event sent with the bearer token $tok; (status, body)
sub send_with {
    my ($tok) = @_;
    my ($s, undef, $b) =
        strm_post_event(strm_json(strm_demo_event()), token => $tok);
    return ($s, $b);
}

# A new client $id in the clients file $file; its secret
sub new_client {
    my ($file, $id) = @_;
    return decode_json(sh("$Root/build/strm-credentials new -f $D/$file -c $id"))
        ->{clientSecret};
}

# Revokes the client $id of the clients file $file
sub revoke_client {
    my ($file, $id) = @_;
    sh("$Root/build/strm-credentials revoke -f $D/$file $id");
}

# The identity provider's JWKS of the reload block now holds only the
# key $pem, with the id $kid
sub idp_jwks_now {
    my ($pem, $kid) = @_;
    sh("$Jwt jwks $D/$pem:$kid > $D/reload-jwks.json");
}

# Runs STRM's Python driver (t/lib/strm-driver-client) against port
# $port: $o{n} events, refreshing its token $o{margin} s before expiry;
# (exit status, its report decoded or {}, its output)
sub driver_flow {
    my ($port, %o) = @_;
    my $ev = strm_json(strm_demo_event());
    my $cmd = "$Root/t/lib/strm-driver-client"
        . " --auth-url http://127.0.0.1:$port/auth/realms/streams/protocol/openid-connect/token"
        . " --event-url http://127.0.0.1:$port/event --client-id demo-client"
        . " --client-secret='$Secret{'demo-client'}'"
        . " --schema-ref strmprivacy/demo/1.0.2 -n $o{n} --interval 0.5"
        . " --refresh-margin $o{margin} --event-json '$ev'"
        . ($o{http2} ? " --http2" : "");
    my $out = `$cmd 2>&1`;
    my $rc = $? >> 8;
    my $r = eval { decode_json((split /\n/, $out)[-1]) } // {};
    return ($rc, $r, $out);
}

__DATA__

=== TEST 1: token endpoint: client_credentials with the credentials in the form body, answered as Keycloak does
--- request eval
main::form('demo-client')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
Pragma: no-cache
--- response_body_like chomp
^\{"access_token":"[\w-]+\.[\w-]+\.[\w-]+","expires_in":3600,"expires_at":\d{10},"refresh_expires_in":86400,"refresh_token":"[\w-]+\.[\w-]+\.[\w-]+","token_type":"Bearer","not-before-policy":0,"scope":""\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: token endpoint: HTTP Basic credentials (the docs' curl -u style)
--- request
POST /token
grant_type=client_credentials
--- more_headers eval
"Content-Type: application/x-www-form-urlencoded\n"
. "Authorization: Basic "
. MIME::Base64::encode_base64("demo-client:$main::Secret{'demo-client'}", '') . "\n"
--- error_code: 200
--- response_body_like chomp
^\{"access_token":"[\w-]+\.[\w-]+\.[\w-]+",.*"token_type":"Bearer"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: token endpoint: a wrong secret is invalid_client, 401 with a Basic challenge
--- request eval
main::form('demo-client', 'not-the-secret')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 401
--- response_headers
WWW-Authenticate: Basic realm="strm"
Content-Type: application/json
--- response_body
{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}
--- error_log
strm token: client authentication failed
--- no_error_log
[error]
[alert]
[emerg]
not-the-secret



=== TEST 4: token endpoint: an unknown client is invalid_client too
--- request eval
main::form('nobody', 'whatever')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 401
--- response_body
{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 5: token endpoint: a wrong Basic secret is invalid_client
--- request
POST /token
grant_type=client_credentials
--- more_headers
Content-Type: application/x-www-form-urlencoded
Authorization: Basic ZGVtby1jbGllbnQ6d3Jvbmc=
--- error_code: 401
--- response_body_like chomp
"error":"invalid_client"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 6: token endpoint: no grant_type is invalid_request
--- request eval
"POST /token\nclient_id=demo-client&client_secret=$main::Secret{'demo-client'}"
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_body
{"error":"invalid_request","error_description":"Missing form parameter: grant_type"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 7: token endpoint: grant types other than client_credentials and refresh_token are unsupported_grant_type
--- request eval
"POST /token\ngrant_type=password&username=a&password=b&client_id=demo-client"
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_body_like chomp
^\{"error":"unsupported_grant_type","error_description":"[^"]+"\}$
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 8: token endpoint: credentials in the body and in Basic at once are invalid_request
--- request eval
main::form('demo-client')
--- more_headers eval
"Content-Type: application/x-www-form-urlencoded\n"
. "Authorization: Basic "
. MIME::Base64::encode_base64("demo-client:$main::Secret{'demo-client'}", '') . "\n"
--- error_code: 400
--- response_body
{"error":"invalid_request","error_description":"more than one client authentication method"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 9: token endpoint: GET is 405, a JSON body is invalid_request, a repeated parameter is invalid_request
--- request eval
["GET /token",
 "POST /token\n{\"grant_type\":\"client_credentials\"}",
 main::form('demo-client', undef, '&grant_type=client_credentials')]
--- more_headers eval
["", "Content-Type: application/json\n",
 "Content-Type: application/x-www-form-urlencoded\n"]
--- error_code eval
[405, 400, 400]
--- response_body eval
["{\"error\":\"invalid_request\",\"error_description\":\"only POST is accepted here\"}\n",
 "{\"error\":\"invalid_request\",\"error_description\":\"the body must be application/x-www-form-urlencoded\"}\n",
 "{\"error\":\"invalid_request\",\"error_description\":\"grant_type is malformed or repeated\"}\n"]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 10: refresh flow: the refresh_token grant gives a new access token that sends events
--- request
GET /token
--- error_code: 405
--- strm_check
my ($s, $t) = grant('demo-client');
is($s, 200, "client_credentials");
my ($s2, $t2) = refresh('demo-client', $t->{refresh_token});
is($s2, 200, "refresh_token grant");
like($t2->{access_token} // '', qr/^[\w-]+\.[\w-]+\.[\w-]+$/, "a new access token");
isnt($t2->{access_token}, $t->{access_token}, "not the old one");
is($t2->{expires_in}, 3600, "expires_in");
ok(abs($t2->{expires_at} - time - 3600) <= 2,
   "expires_at (STRM's Node driver needs it) is now + expires_in");
is((send_with($t2->{access_token}))[0], 204,
   "the refreshed access token sends an event");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 11: refresh flow: a refresh token is no bearer token
--- request
GET /token
--- error_code: 405
--- strm_check
my ($s, $t) = grant('demo-client');
is($s, 200, "client_credentials");
my ($s4, $b4) = send_with($t->{refresh_token});
is($s4, 401, "a refresh token is refused as a bearer token");
like($b4, qr/"reason":"not an access token"/, "named as such");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 12: refresh flow: the refresh_token grant takes only a refresh token of the client's own
--- request
GET /token
--- error_code: 405
--- strm_check
my ($s, $t) = grant('demo-client');
is($s, 200, "client_credentials");
my ($s5, $e5) = refresh('demo-client', $t->{access_token});
is($s5, 400, "an access token is no refresh token");
is($e5->{error}, "invalid_grant", "invalid_grant");
my ($s6, $e6) = refresh('demo-two', $t->{refresh_token});
is($s6, 400, "another client cannot use the refresh token");
is($e6->{error}, "invalid_grant", "invalid_grant again");
my ($s7, $e7) = refresh('demo-client');
is($s7, 400, "refresh without refresh_token");
is($e7->{error}, "invalid_request", "is invalid_request");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 13: a reload revokes a client: no more tokens, and its tokens stop working; a client added before the reload gets tokens
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/reload.clients;
    }
--- request
GET /token
--- error_code: 405
--- strm_check
my ($s, $t) = grant('reload-client');
is($s, 200, "the client gets a token");
is((send_with($t->{access_token}))[0], 204, "and sends with it");
my $secret = new_client('reload.clients', 'reload-new');
revoke_client('reload.clients', 'reload-client');
is((grant('reload-new', $secret))[0], 401,
   "a new client is unknown before the reload");
ok(strm_nginx_reload(), "reloaded: the old workers have exited");
is((strm_retry(200, sub { grant('reload-new', $secret) }))[0], 200,
   "the new client gets a token after the reload");
my ($sr, $er) = grant('reload-client');
is($sr, 401, "the revoked client gets none");
is($er->{error}, "invalid_client", "invalid_client");
my ($st, $bt) = send_with($t->{access_token});
is($st, 401, "the revoked client's token stops working");
like($bt, qr/"reason":"unknown client"/, "as an unknown client");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 14: ingest with a valid token: 204, the event in Kafka, $strm_client_id and $strm_stream set
--- more_headers eval
$main::Event . main::bearer()
--- request eval
main::event()
--- error_code: 204
--- response_headers
X-Client: demo-client demo
--- strm_kafka_value_like
"strmMeta"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 15: ingest without a token: 401 with a Bearer invalid_token challenge and a JSON body
--- more_headers eval
$main::Event
--- request eval
main::event()
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="strm", error="invalid_token", error_description="missing"
Content-Type: application/json
--- response_body
{"error":"the bearer token is missing or invalid","code":"invalid_token","reason":"missing"}
--- error_log
strm bearer token refused: missing
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 16: malformed tokens and other schemes are invalid_token
--- more_headers eval
[$main::Event . "Authorization: Bearer not-a-jwt\n",
 $main::Event . "Authorization: Basic ZGVtby1jbGllbnQ6eA==\n",
 $main::Event . "Authorization: Bearer \n",
 $main::Event . "Authorization: Bearer a.b.c\n"]
--- request eval
[main::event(), main::event(), main::event(), main::event()]
--- error_code eval
[401, 401, 401, 401]
--- response_body_like eval
['"reason":"malformed"', '"reason":"not a bearer token"', '"code":"invalid_token"', '"reason":"malformed"']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 17: an expired token, one that expired a second ago, one not yet valid
--- more_headers eval
[$main::Event . main::bearer(claims => { exp => time - 60 }),
 $main::Event . main::bearer(claims => { exp => time - 1 }),
 $main::Event . main::bearer(claims => { nbf => time + 600 })]
--- request eval
[main::event(), main::event(), main::event()]
--- error_code eval
[401, 401, 401]
--- response_body_like eval
['"reason":"expired"', '"reason":"expired"', '"reason":"not yet valid"']
--- response_headers eval
["WWW-Authenticate: Bearer realm=\"strm\", error=\"invalid_token\", error_description=\"expired\"",
 "WWW-Authenticate: Bearer realm=\"strm\", error=\"invalid_token\", error_description=\"expired\"",
 "WWW-Authenticate: Bearer realm=\"strm\", error=\"invalid_token\", error_description=\"not yet valid\""]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 18: forged (another key under our kid), tampered payload, unknown kid: all refused
--- more_headers eval
my $good = main::tok();
my ($h, $p, $s) = split /\./, $good;
my $evil = MIME::Base64::encode_base64url(
    '{"clientId":"demo-client","exp":' . (time + 99999) . ',"iss":"ngx_strm","stream":"demo","typ":"Bearer"}');
[$main::Event . main::bearer(key => $main::Key{forged}),
 $main::Event . "Authorization: Bearer $h.$evil.$s\n",
 $main::Event . main::bearer(kid => 'k9')]
--- request eval
[main::event(), main::event(), main::event()]
--- error_code eval
[401, 401, 401]
--- response_body_like eval
['"reason":"bad signature"', '"reason":"bad signature"', '"reason":"unknown key"']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 19: alg "none" and alg confusion (HS256 keyed with the RSA public key of the JWKS) are refused
--- more_headers eval
my $pub = do { local (@ARGV, $/) = ("$main::D/rsa.pub"); <> };
my $pubkey = MIME::Base64::encode_base64url($pub);
[$main::Event . main::bearer(alg => 'none', header => '{"alg":"none","typ":"JWT"}'),
 $main::Event . main::bearer(alg => 'none', header => '{"alg":"none","kid":"k2"}'),
 $main::Event . main::bearer(idp => 1, alg => 'HS256', key => $pubkey, kid => 'rsa-1')]
--- request eval
[main::event(), main::event(), main::event()]
--- error_code eval
[401, 401, 401]
--- response_body_like eval
['"reason":"alg not allowed"', '"reason":"alg not allowed"', '"code":"invalid_token"']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 20: a token without a client id: 401 "Client ID is missing in the provided JWT"
--- more_headers eval
$main::Event . main::bearer(without => ['clientId'])
--- request eval
main::event()
--- error_code: 401
--- response_body
{"error":"Client ID is missing in the provided JWT","code":"invalid_token","reason":"client id missing"}
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 21: a token of another stream is refused here
--- more_headers eval
$main::Event . main::bearer(claims => { clientId => 'other-client', stream => 'other' })
--- request eval
main::event()
--- error_code: 401
--- response_body_like chomp
"reason":"token of another stream"
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 22: during a key rotation a token signed with the previous key (second in strm_token_keys) still verifies
--- more_headers eval
[$main::Event . main::bearer(key => $main::Key{k1}, kid => 'k1'),
 $main::Event . main::bearer(key => $main::Key{k2}, kid => 'k2')]
--- request eval
[main::event(), main::event()]
--- error_code eval
[204, 204]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 23: the token endpoint signs with the first key: its kid is k2
--- request eval
main::form('demo-client')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_body_like chomp
^\{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsyIn0\.
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 24: identity provider tokens from the JWKS: RS256, EdDSA and ES256
--- more_headers eval
[$main::Event . main::bearer(idp => 1, alg => 'RS256'),
 $main::Event . main::bearer(idp => 1, alg => 'EdDSA'),
 $main::Event . main::bearer(idp => 1, alg => 'ES256')]
--- request eval
[main::event(), main::event(), main::event()]
--- error_code eval
[204, 204, 204]
--- response_headers eval
["X-Client: idp-client demo", "X-Client: idp-client demo", "X-Client: idp-client demo"]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 25: identity provider tokens: wrong issuer, wrong audience, unknown stream, no client id, signed with a key of another type
--- more_headers eval
[$main::Event . main::bearer(idp => 1, alg => 'RS256', claims => { iss => 'https://evil.example' }),
 $main::Event . main::bearer(idp => 1, alg => 'EdDSA', claims => { aud => 'someone-else' }),
 $main::Event . main::bearer(idp => 1, alg => 'RS256', claims => { stream => 'nosuch' }),
 $main::Event . main::bearer(idp => 1, alg => 'RS256', without => ['clientId']),
 $main::Event . main::bearer(idp => 1, alg => 'EdDSA', kid => 'rsa-1')]
--- request eval
[main::event(), main::event(), main::event(), main::event(), main::event()]
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body_like eval
['"reason":"wrong issuer"', '"reason":"wrong audience"', '"reason":"unknown stream"',
 '"Client ID is missing in the provided JWT"', '"code":"invalid_token"']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 26: strm_ingest $strm_topic: one location for two streams, each event goes to the topic of its token's stream
--- config
    location = /event {
        strm_auth demo other;
        strm_ingest $strm_topic;
    }
--- more_headers eval
[$main::Event . main::bearer(claims => { clientId => 'other-client', stream => 'other' }),
 $main::Event . main::bearer()]
--- request eval
[main::event(), main::event()]
--- error_code eval
[204, 204]
--- strm_check
is(scalar @{ strm_kafka_records("$topic-other", min => 1) }, 1,
   "one event in the other stream's topic");
is(scalar @{ strm_kafka_records($topic, min => 1) }, 1,
   "one in the demo stream's topic");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 27: limit_req keyed by $strm_client_id limits a client, not its neighbours
--- http_config eval
$main::Http . "    limit_req_zone \$strm_client_id zone=per_client:1m rate=1r/m;\n"
--- config
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
        limit_req zone=per_client burst=1 nodelay;
        limit_req_status 429;
    }
--- more_headers eval
[$main::Event . main::bearer(),
 $main::Event . main::bearer(),
 $main::Event . main::bearer(),
 $main::Event . main::bearer(claims => { clientId => 'demo-two' }),
 $main::Event]
--- request eval
[main::event(), main::event(), main::event(), main::event(), main::event()]
--- error_code eval
[204, 204, 429, 204, 401]
--- no_error_log
[alert]
[emerg]



=== TEST 28: the verification cache honours exp: a token accepted once is refused after it expired
--- request
GET /token
--- error_code: 405
--- strm_check
my $exp = time + 5;
my $tok = tok(claims => { exp => $exp });
is((send_with($tok))[0], 204, "accepted");
is((send_with($tok))[0], 204, "accepted again (from the cache)");
sleep 0.2 while time <= $exp;
my ($s, $b) = send_with($tok);
is($s, 401, "refused once expired");
like($b, qr/"reason":"expired"/, "as expired");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 29: over HTTP/2 a token works the same
--- http2
--- more_headers eval
$main::Event . main::bearer()
--- request eval
main::event()
--- error_code: 204
--- response_headers
X-Client: demo-client demo
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 30: STRM's driver flow in Python (client_credentials, POST /event with Bearer and Strm-Schema-Ref, refresh before expiry) over h1 and h2c
--- http_config eval
my $loc = <<'_EOC_';
        location = /auth/realms/streams/protocol/openid-connect/token {
            strm_token;
        }
        location = /event {
            strm_auth demo;
            strm_ingest $TEST_NGINX_STRM_TOPIC;
        }
_EOC_
$main::Http . "    strm_token_lifetime 3s;\n"
. "    server {\n        listen 127.0.0.1:$main::H2Port http2;\n$loc    }\n"
--- config
    location = /auth/realms/streams/protocol/openid-connect/token {
        strm_token;
    }
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 401
--- timeout: 60
--- strm_check
for my $h2 (0, 1) {
    my ($rc, $r, $out) = driver_flow($h2 ? $main::H2Port : server_port(),
                                     n => 10, margin => 2, http2 => $h2);
    is($rc, 0, "driver flow " . ($h2 ? "h2c" : "h1") . " exits 0") or diag($out);
    is($r->{status}{204}, 10, "ten 204s");
    ok(($r->{refreshes} // 0) >= 1, "refreshed before expiry ($r->{refreshes})");
    is_deeply($r->{http_versions}, [$h2 ? "HTTP/2" : "HTTP/1.1"], "over the protocol asked for");
}
is(scalar @{ strm_kafka_records($topic, min => 20) }, 20, "twenty events in Kafka");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 31: nginx -t: strm_auth names an unknown stream
--- config
    location = /event {
        strm_auth nosuch;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- must_die
--- strm_nginx_t_error
strm_auth names "nosuch", which is not a strm_stream



=== TEST 32: nginx -t: strm_auth without strm_token_keys or strm_jwks
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_stream demo { topic t; }
--- config
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- must_die
--- strm_nginx_t_error
"strm_auth" verifies tokens with the keys of "strm_token_keys" or "strm_jwks", and neither is set



=== TEST 33: nginx -t: strm_token without strm_token_keys
--- http_config
    strm_jwks $TEST_NGINX_AUTH_DIR/jwks.json;
--- config
    location = /token {
        strm_token;
    }
--- must_die
--- strm_nginx_t_error
"strm_token" signs tokens with a key of "strm_token_keys", which is not set



=== TEST 34: nginx -t: strm_ingest $strm_topic without strm_auth
--- config
    location = /event {
        strm_ingest $strm_topic;
    }
--- must_die
--- strm_nginx_t_error
"strm_ingest $strm_topic" takes the topic of the bearer token's stream and needs "strm_auth" in its location



=== TEST 35: nginx -t: a stream without topic, an unknown directive in strm_stream, a duplicate stream
--- http_config
    strm_stream demo { clients /dev/null; }
--- config
--- must_die
--- strm_nginx_t_error
strm_stream "demo" has no "topic"



=== TEST 36: nginx -t: an unknown directive in strm_stream
--- http_config
    strm_stream demo { topic t; client /dev/null; }
--- config
--- must_die
--- strm_nginx_t_error
unknown directive "client" in strm_stream ("topic" or "clients")



=== TEST 37: nginx -t: a duplicate stream
--- http_config
    strm_stream demo { topic t; }
    strm_stream demo { topic u; }
--- config
--- must_die
--- strm_nginx_t_error
duplicate strm_stream "demo"



=== TEST 38: nginx -t: a client in two streams
--- http_config
    strm_stream demo { topic t; clients $TEST_NGINX_AUTH_DIR/demo.clients; }
    strm_stream copy { topic u; clients $TEST_NGINX_AUTH_DIR/demo.clients; }
--- config
--- must_die
--- strm_nginx_t_error
is in strm_stream "copy" and another stream



=== TEST 39: nginx -t: a broken clients file names its line, a missing one its path
--- http_config
    strm_stream demo { topic t; clients $TEST_NGINX_STRM_ROOT/t/data/token.keys.nosuch; }
--- config
--- must_die
--- strm_nginx_t_error
strm_stream "demo" clients



=== TEST 40: nginx -t: a token keys file with a short key, a JWKS that is no JWKS
--- http_config
    strm_jwks $TEST_NGINX_AUTH_DIR/demo.clients;
--- config
--- must_die
--- strm_nginx_t_error
strm_jwks



=== TEST 41: nginx -t: a token keys file that is not one
--- http_config
    strm_token_keys $TEST_NGINX_AUTH_DIR/demo.clients;
--- config
--- must_die
--- strm_nginx_t_error
strm_token_keys



=== TEST 42: strm_auth at the http level is inherited by every location, strm_auth off lifts it
--- http_config eval
$main::Http . "    strm_auth demo;\n"
--- config
    location = /token {
        strm_auth off;
        strm_token;
    }
    location = /event {
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- more_headers eval
[$main::Event . main::bearer(),
 $main::Event,
 $main::Event . main::bearer(claims => { clientId => 'other-client', stream => 'other' }),
 "Content-Type: application/x-www-form-urlencoded\n"]
--- request eval
[main::event(), main::event(), main::event(), main::form('demo-client')]
--- error_code eval
[204, 401, 401, 200]
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 43: a refused event's dead letter names the token's client
--- http_config eval
$main::Http . "    strm_dead_letter \$TEST_NGINX_STRM_TOPIC-dead;\n"
--- more_headers eval
$main::Event . main::bearer(claims => { clientId => 'demo-two' })
--- request eval
"POST /event\n" . Strm::Test::strm_json(Strm::Test::strm_demo_event(consistentValue => ""))
--- error_code: 400
--- strm_check
my $dls = strm_dead_letters("$topic-dead", 1);
is(scalar @$dls, 1, "one dead letter");
is($dls->[0]{letter}{clientId}, "demo-two", "it names the client of the bearer token");
is($dls->[0]{letter}{code}, "key_field_empty", "and why the event was refused");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 44: a reload (HUP) reads the JWKS again: a key the identity provider added works, a key it dropped does not; the stream claim is configurable
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_jwks $TEST_NGINX_AUTH_DIR/reload-jwks.json;
    strm_jwks_stream_claim azp;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
    }
--- config
    location = /event {
        strm_auth demo;
        strm_ingest $TEST_NGINX_STRM_TOPIC;
    }
--- request
GET /event
--- error_code: 401
--- strm_check
my %c = (claims => { azp => 'demo' }, without => ['stream']);
my $rsa = tok(idp => 1, alg => 'RS256', %c);
my $ed = tok(idp => 1, alg => 'EdDSA', %c);
is((send_with($rsa))[0], 204, "RS256, its key in the JWKS, stream named by azp");
my ($s, $b) = send_with($ed);
is($s, 401, "EdDSA, its key not yet in the JWKS");
like($b, qr/"reason":"(unknown key|alg not allowed)"/, "as an unknown key");
idp_jwks_now('ed.pem', 'ed-1');
ok(strm_nginx_reload(), "reloaded: the old workers have exited");
is((strm_retry(204, sub { send_with($ed) }))[0], 204,
   "the added key works after the reload");
is((send_with($rsa))[0], 401, "the dropped one no longer does");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 45: revoked stays revoked: a client made again under the same id does not get its old access or refresh token back; a line without a credential id is generation 0
--- http_config
    strm_schemas $TEST_NGINX_STRM_ROOT/conf/registry;
    strm_token_keys $TEST_NGINX_AUTH_DIR/token.keys;
    strm_stream demo {
        topic $TEST_NGINX_STRM_TOPIC;
        clients $TEST_NGINX_AUTH_DIR/regen.clients;
    }
--- request
GET /token
--- error_code: 405
--- strm_check
my ($s, $t) = grant('regen-client');
is($s, 200, "the client gets tokens");
my $claims = decode_json(MIME::Base64::decode_base64url((split /\./, $t->{access_token})[1]));
is($claims->{credId}, $main::Cred{'regen-client'}, "the access token names its credential");
is((send_with($t->{access_token}))[0], 204, "and sends with it");
my $old_secret = $main::Secret{'regen-client'};
revoke_client('regen.clients', 'regen-client');
ok(strm_nginx_reload(), "reloaded after the revocation");
is((strm_retry(401, sub { send_with($t->{access_token}) }))[0], 401,
   "revoked: the access token is refused");
$main::Secret{'regen-client'} = new_client('regen.clients', 'regen-client');
ok(strm_nginx_reload(), "reloaded after the client was made again");
is((strm_retry(200, sub { grant('regen-client') }))[0], 200,
   "the new credential gets tokens");
my ($so, $bo) = send_with($t->{access_token});
is($so, 401, "the old access token stays refused");
like($bo, qr/"reason":"credential revoked"/, "as a revoked credential, in JSON");
my ($sr, $er) = refresh('regen-client', $t->{refresh_token});
is($sr, 400, "the old refresh token with the new secret: refused (RFC 6749 5.2)");
is($er->{error}, "invalid_grant", "invalid_grant");
my ($sr2, $er2) = token_post("grant_type=refresh_token&client_id=regen-client"
    . "&client_secret=$old_secret&refresh_token=$t->{refresh_token}");
is($sr2, 401, "the old refresh token with the old secret: 401");
is($er2->{error}, "invalid_client", "invalid_client, in JSON");
my ($sn, $tn) = grant('regen-client');
is((send_with($tn->{access_token}))[0], 204, "the new access token sends");
is((refresh('regen-client', $tn->{refresh_token}))[0], 200,
   "the new refresh token refreshes");
my ($sl, $tl) = grant('legacy-client');
is($sl, 200, "a client of a line without a credential id gets tokens");
my $lc = decode_json(MIME::Base64::decode_base64url((split /\./, $tl->{access_token})[1]));
ok(!exists $lc->{credId}, "without a credId claim (generation 0)");
is((send_with($tl->{access_token}))[0], 204, "and sends with them");
is((refresh('legacy-client', $tl->{refresh_token}))[0], 200, "and refreshes");
my ($sx, $bx) = send_with(tok(claims => { clientId => 'legacy-client', credId => 'x' }));
is($sx, 401, "a credId claim for a generation 0 client is refused");
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 46: our tokens: exp, nbf and iat must be integer NumericDates in range (1e300 was accepted through an undefined cast)
--- more_headers eval
[map { $main::Event . main::bearer(claims => $_) }
 { exp => 1e300 }, { exp => -1e300 }, { exp => time + 600.5 },
 { exp => "" . (time + 600) }, { exp => 'RAW:1e400' },
 { nbf => 1e300 }, { nbf => -1e300 }, { iat => 1.5 }, { iat => "123" }]
--- request eval
[map { main::event() } 1 .. 9]
--- error_code eval
[(401) x 9]
--- response_body_like eval
['"reason":"exp not an integer"', '"reason":"exp not an integer"',
 '"reason":"exp not an integer"', '"reason":"exp not an integer"',
 '"reason":"malformed"',
 '"reason":"nbf not an integer"', '"reason":"nbf not an integer"',
 '"reason":"iat not an integer"', '"reason":"iat not an integer"']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 47: identity provider tokens (EdDSA, JWKS): the same NumericDate checks, in range too
--- more_headers eval
[map { $main::Event . main::bearer(idp => 1, alg => 'EdDSA', claims => $_) }
 { exp => 1e300 }, { exp => -1e300 }, { exp => 1.5 }, { exp => "123" },
 { exp => 'RAW:1e400' }, { exp => 253402300800 }, { nbf => -1 },
 { iat => 1e300 }, { exp => 253402300799 }]
--- request eval
[map { main::event() } 1 .. 9]
--- error_code eval
[(401) x 8, 204]
--- response_body_like eval
['"reason":"exp not an integer"', '"reason":"exp not an integer"',
 '"reason":"exp not an integer"', '"reason":"exp not an integer"',
 '"reason":"malformed"', '"reason":"exp out of range"',
 '"reason":"nbf out of range"', '"reason":"iat not an integer"', '^$']
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 48: a connection keeps its last verified token (h1 and h2c): the same token again is taken from it, still against the clock (refused on that connection once expired), another token on it is verified
--- http_config eval
$main::Http
. "    server {\n        listen 127.0.0.1:$main::H2Port http2;\n"
. "        location = /event {\n            strm_auth demo;\n"
. "            strm_ingest \$TEST_NGINX_STRM_TOPIC;\n        }\n    }\n"
--- log_level: debug
--- request
GET /token
--- error_code: 405
--- timeout: 60
--- strm_check
my $body = "$main::D/memo-event.json";
open my $fh, '>', $body or die "$body: $!";
print $fh strm_json(strm_demo_event());
close $fh;
my $hdrs = "-H 'Content-Type: application/json'"
    . " -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2'";
# h1 (curl reuses its connection for the URLs of one command line):
# six requests 1 s apart on one connection, the token expiring in
# between (exp 3 s from now): the first ones pass, the last is refused
my $url = "http://127.0.0.1:" . server_port() . "/event";
my $curl = "curl -s --max-time 30 $hdrs --data-binary \@$body"
    . " -w '%{http_code} %{num_connects}\\n'";
my $tok = main::tok(claims => { exp => time + 3 });
my @w = split /\n/, `$curl --rate 1/s -H 'Authorization: Bearer $tok' -o '$main::D/memo-#1' '$url?[1-6]'`;
is("$w[0], $w[1], $w[5]", "204 1, 204 0, 401 0",
   "h1: accepted, accepted again on that connection, refused on it once expired");
like(do { local $/; open my $o, '<', "$main::D/memo-6"; <$o> // '' },
     qr/"reason":"expired"/, "h1: as expired");
# the token kept, a token of one character changed, the token again
$tok = main::tok();
my $bad = $tok;
substr($bad, 20, 1) = substr($bad, 20, 1) eq 'A' ? 'B' : 'A';
(my $opts = $curl) =~ s/^curl //;
my $w = `$curl -o /dev/null -H 'Authorization: Bearer $tok' '$url' --next $opts -o /dev/null -H 'Authorization: Bearer $bad' '$url' --next $opts -o /dev/null -H 'Authorization: Bearer $tok' '$url'`;
is($w, "204 1\n401 0\n204 0\n",
   "h1: one connection: its token, a changed one refused, its token");
# h2c: one connection (h2load -c1), one request a second, the token
# expiring in between
$tok = main::tok(claims => { exp => time + 3 });
my $h2 = `h2load -n 6 -c 1 -m 1 --rps=1 -d $body $hdrs -H 'Authorization: Bearer $tok' --log-file=$main::D/memo-h2.log http://127.0.0.1:$main::H2Port/event`;
my @st = map { (split /\t/)[1] }
         do { open my $l, '<', "$main::D/memo-h2.log"; <$l> };
# one client, one connection: h2load does not connect again
is(join(' ', scalar @st, @st[0, 1], $st[-1]), "6 204 204 401",
   "h2c: accepted, again on that connection, refused on it once expired");
sleep 0.3;    # the last request's log phase lines
my @memo = grep { /strm auth: token of the connection/ }
           do { open my $e, '<', $Test::Nginx::Util::ErrLogFile; <$e> };
ok(@memo >= 3, "the connections' tokens were taken from them (" . @memo . ")");
--- no_error_log
[error]
[alert]
[emerg]
