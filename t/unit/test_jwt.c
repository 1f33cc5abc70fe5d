
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * JWT: the RFC 7515 A.1 HS256 example verifies; our HS256 tokens round
 * trip; tampering, alg none, alg confusion, expiry, nbf and iat, issuer
 * and audience are refused; rotated HS256 keys both verify; RS256,
 * ES256 and EdDSA tokens signed here verify through a JWKS document
 * made from the public keys, and refuse a wrong key; malformed tokens
 * and JWKS documents are refused without a crash.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "strm_b64.h"
#include "strm_jwt.h"
#include "unit.h"


#define NOW  1700000000


/* RFC 7515 appendix A.1: the JWS and its HMAC key (a JWK "k") */
static const char  a1_key[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgU"
    "uTwjAzZr1Z9CAow";

static const char  a1_jws[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
    "LmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";


static const unsigned char  key1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char  key2[32] = "fedcba9876543210fedcba9876543210";


static char *
b64url(const unsigned char *src, size_t len)
{
    char    *s;
    size_t   n;

    s = malloc(strm_b64url_encoded_len(len) + 1);
    n = strm_b64url_encode((unsigned char *) s, src, len);
    s[n] = '\0';

    return s;
}


static char *
b64url_str(const char *s)
{
    return b64url((const unsigned char *) s, strlen(s));
}


/* "<h>.<p>" from two JSON texts */
static char *
signing_input(const char *hdr, const char *payload)
{
    char  *h, *p, *in;

    h = b64url_str(hdr);
    p = b64url_str(payload);
    in = malloc(strlen(h) + strlen(p) + 2);
    sprintf(in, "%s.%s", h, p);
    free(h);
    free(p);

    return in;
}


static char *
join_sig(char *in, const unsigned char *sig, size_t slen)
{
    char  *s, *tok;

    s = b64url(sig, slen);
    tok = malloc(strlen(in) + strlen(s) + 2);
    sprintf(tok, "%s.%s", in, s);
    free(s);
    free(in);

    return tok;
}


/* an HS256 token over any header, keyed by any bytes */
static char *
hs256_token(const char *hdr, const char *payload, const unsigned char *key,
    size_t keylen)
{
    char           *in;
    size_t          maclen;
    unsigned char   mac[32];

    in = signing_input(hdr, payload);
    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
              (unsigned char *) in, strlen(in), mac, sizeof(mac), &maclen);

    return join_sig(in, mac, maclen);
}


/* a token signed by pkey; ES256 signatures become raw r || s */
static char *
pkey_token(EVP_PKEY *pkey, const char *hdr, const char *payload, int es)
{
    char           *in;
    size_t          slen;
    EVP_MD_CTX     *mctx;
    ECDSA_SIG      *esig;
    const BIGNUM   *r, *s;
    unsigned char  *sig;
    unsigned char   raw[64];
    const unsigned char  *p;

    in = signing_input(hdr, payload);
    mctx = EVP_MD_CTX_new();

    EVP_DigestSignInit_ex(mctx, NULL,
                          EVP_PKEY_is_a(pkey, "ED25519") ? NULL : "SHA256",
                          NULL, NULL, pkey, NULL);
    EVP_DigestSign(mctx, NULL, &slen, (unsigned char *) in, strlen(in));
    sig = malloc(slen);
    EVP_DigestSign(mctx, sig, &slen, (unsigned char *) in, strlen(in));
    EVP_MD_CTX_free(mctx);

    if (es) {
        p = sig;
        esig = d2i_ECDSA_SIG(NULL, &p, (long) slen);
        ECDSA_SIG_get0(esig, &r, &s);
        BN_bn2binpad(r, raw, 32);
        BN_bn2binpad(s, raw + 32, 32);
        ECDSA_SIG_free(esig);
        free(sig);

        return join_sig(in, raw, 64);
    }

    in = join_sig(in, sig, slen);
    free(sig);

    return in;
}


static char *
bn_b64url(EVP_PKEY *pkey, const char *name, int pad)
{
    int             n;
    char           *s;
    BIGNUM         *bn;
    unsigned char   buf[512];

    bn = NULL;
    EVP_PKEY_get_bn_param(pkey, name, &bn);
    n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    s = b64url(buf, (size_t) n);

    return s;
}


/* a JWKS document with the public key of pkey */
static char *
jwks_of(EVP_PKEY *pkey, const char *kid, char *buf, size_t size)
{
    char           *a, *b;
    size_t          len;
    unsigned char   raw[32];

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        a = bn_b64url(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        b = bn_b64url(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        snprintf(buf, size,
                 "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":"
                 "\"RS256\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}]}",
                 kid, a, b);

    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        a = bn_b64url(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        b = bn_b64url(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        snprintf(buf, size,
                 "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":"
                 "\"%s\",\"x\":\"%s\",\"y\":\"%s\"}]}", kid, a, b);

    } else {
        len = sizeof(raw);
        EVP_PKEY_get_raw_public_key(pkey, raw, &len);
        a = b64url(raw, len);
        b = NULL;
        snprintf(buf, size,
                 "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":"
                 "\"%s\",\"x\":\"%s\"}]}", kid, a);
    }

    free(a);
    free(b);

    return buf;
}


static int
verify_why(strm_jwt_keys_t *keys, const strm_jwt_params_t *params,
    const char *tok, time_t now, const char *want)
{
    strm_rc_t       rc;
    strm_jwt_err_t  why;

    why = NULL;
    rc = strm_jwt_verify(keys, params, tok, strlen(tok), now, NULL, &why);

    if (want == NULL) {
        if (rc != STRM_OK) {
            printf("  refused: %s\n", why);
        }

        return rc == STRM_OK;
    }

    if (rc == STRM_OK || why == NULL || strcmp(why, want) != 0) {
        printf("  got rc %d why \"%s\", want \"%s\"\n", (int) rc,
               why ? why : "(null)", want);
        return 0;
    }

    return 1;
}


static void
test_rfc7515_a1(void)
{
    size_t            klen;
    json_t           *claims;
    strm_rc_t         rc;
    strm_jwt_err_t    why;
    unsigned char     k[64];
    strm_jwt_keys_t  *keys;

    CHECK(strm_b64url_decode(k, &klen, (unsigned char *) a1_key,
                             strlen(a1_key))
          == STRM_OK && klen == 64, "A.1 key decodes");

    keys = strm_jwt_keys_create();
    CHECK(strm_jwt_keys_add_hs256(keys, NULL, k, klen) == STRM_OK,
          "A.1 key added");

    /* exp is 1300819380 (2011-03-22) */
    rc = strm_jwt_verify(keys, NULL, a1_jws, strlen(a1_jws), 1300819379,
                         &claims, &why);
    CHECK(rc == STRM_OK, "RFC 7515 A.1 verifies");
    CHECK(rc == STRM_OK
          && strcmp(json_string_value(json_object_get(claims, "iss")),
                    "joe") == 0
          && json_is_true(json_object_get(claims,
                                          "http://example.com/is_root")),
          "A.1 claims");
    json_decref(claims);

    CHECK(verify_why(keys, NULL, a1_jws, 1300819380, "expired"),
          "A.1 expired at exp");

    k[0] ^= 1;
    strm_jwt_keys_free(keys);
    keys = strm_jwt_keys_create();
    strm_jwt_keys_add_hs256(keys, NULL, k, klen);
    CHECK(verify_why(keys, NULL, a1_jws, 1300819379, "bad signature"),
          "A.1 with another key");

    OPENSSL_cleanse(k, sizeof(k));
    strm_jwt_keys_free(keys);
}


static void
test_hs256(void)
{
    char              *tok, *t2, *p;
    json_t            *c, *out;
    strm_rc_t          rc;
    strm_jwt_err_t     why;
    strm_jwt_keys_t   *keys, *old;
    strm_jwt_params_t  params;

    keys = strm_jwt_keys_create();
    CHECK(strm_jwt_keys_add_hs256(keys, "k1", key1, 32) == STRM_OK,
          "hs256 key k1");
    CHECK(strm_jwt_keys_add_hs256(keys, "k2", key2, 32) == STRM_OK,
          "hs256 key k2");
    CHECK(strm_jwt_keys_add_hs256(keys, "k2", key1, 32)
          == STRM_E_BAD_REQUEST, "duplicate kid refused");
    CHECK(strm_jwt_keys_add_hs256(keys, "k3", key1, 16)
          == STRM_E_BAD_REQUEST, "short HS256 key refused");
    CHECK(strm_jwt_keys_count(keys) == 2, "two keys");

    c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "clientId", "c-1",
                  "stream", "s-1", "iss", "strm", "iat", (json_int_t) NOW,
                  "exp", (json_int_t) NOW + 300, "jti", "j-1");

    CHECK(strm_jwt_sign_hs256(key1, 16, "k1", c, &tok)
          == STRM_E_BAD_REQUEST, "sign refuses a short key");

    /* round trip, and the header we promise */
    CHECK(strm_jwt_sign_hs256(key2, 32, "k2", c, &tok) == STRM_OK,
          "sign hs256");
    CHECK(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Imsy"
                  "In0.", 52) == 0,
          "header {\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k2\"}");
    CHECK(strchr(tok, '=') == NULL, "no padding");

    out = NULL;
    rc = strm_jwt_verify(keys, NULL, tok, strlen(tok), NOW + 10, &out, &why);
    CHECK(rc == STRM_OK && json_equal(out, c), "hs256 round trip");
    CHECK(rc == STRM_OK && strcmp(why, "ok") == 0, "why ok");
    json_decref(out);

    /* rotation: a token of the old key still verifies */
    CHECK(strm_jwt_sign_hs256(key1, 32, "k1", c, &t2) == STRM_OK,
          "sign with old key");
    CHECK(verify_why(keys, NULL, t2, NOW, NULL), "old key verifies");
    free(t2);

    /* the kid names a key that did not sign */
    CHECK(strm_jwt_sign_hs256(key1, 32, "k2", c, &t2) == STRM_OK,
          "sign k1 as k2");
    CHECK(verify_why(keys, NULL, t2, NOW, "bad signature"),
          "wrong key for kid");
    free(t2);

    CHECK(strm_jwt_sign_hs256(key1, 32, "k9", c, &t2) == STRM_OK,
          "sign unknown kid");
    CHECK(verify_why(keys, NULL, t2, NOW, "unknown key"), "unknown kid");
    free(t2);

    /* no kid and two HS256 keys: no way to choose */
    CHECK(strm_jwt_sign_hs256(key1, 32, NULL, c, &t2) == STRM_OK,
          "sign without kid");
    CHECK(verify_why(keys, NULL, t2, NOW, "unknown key"),
          "no kid, two keys");

    /* no kid and one HS256 key: that one */
    old = strm_jwt_keys_create();
    strm_jwt_keys_add_hs256(old, "k1", key1, 32);
    CHECK(verify_why(old, NULL, t2, NOW, NULL), "no kid, one key");
    strm_jwt_keys_free(old);
    free(t2);

    /* tampered payload: flip one character of the payload */
    t2 = strdup(tok);
    p = strchr(t2, '.') + 5;
    *p = (*p == 'A') ? 'B' : 'A';
    CHECK(verify_why(keys, NULL, t2, NOW, "bad signature"),
          "tampered payload");
    free(t2);

    /* tampered signature */
    t2 = strdup(tok);
    p = strrchr(t2, '.') + 3;
    *p = (*p == 'A') ? 'B' : 'A';
    CHECK(verify_why(keys, NULL, t2, NOW, "bad signature"),
          "tampered signature");
    free(t2);

    /* truncated signature */
    t2 = strdup(tok);
    t2[strlen(t2) - 3] = '\0';
    CHECK(verify_why(keys, NULL, t2, NOW, "bad signature"),
          "short signature");
    free(t2);

    /* time */
    CHECK(verify_why(keys, NULL, tok, NOW + 300, "expired"),
          "expired at exp");
    CHECK(verify_why(keys, NULL, tok, NOW + 299, NULL), "valid before exp");
    CHECK(verify_why(keys, NULL, tok, NOW - 60, "issued in the future"),
          "iat in the future");

    memset(&params, 0, sizeof(params));
    params.leeway = 60;
    CHECK(verify_why(keys, &params, tok, NOW + 330, NULL),
          "leeway after exp");
    CHECK(verify_why(keys, &params, tok, NOW + 360, "expired"),
          "leeway ends");
    CHECK(verify_why(keys, &params, tok, NOW - 60, NULL), "leeway for iat");

    /* issuer and audience */
    params.leeway = 0;
    params.issuer = "strm";
    CHECK(verify_why(keys, &params, tok, NOW, NULL), "issuer matches");
    params.issuer = "other";
    CHECK(verify_why(keys, &params, tok, NOW, "wrong issuer"),
          "wrong issuer");
    params.issuer = NULL;
    params.audience = "ingest";
    CHECK(verify_why(keys, &params, tok, NOW, "wrong audience"),
          "no aud");
    free(tok);

    json_object_set_new(c, "aud", json_string("ingest"));
    strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
    CHECK(verify_why(keys, &params, tok, NOW, NULL), "aud string");
    free(tok);

    json_object_set_new(c, "aud", json_pack("[s, s]", "x", "ingest"));
    strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
    CHECK(verify_why(keys, &params, tok, NOW, NULL), "aud array");
    params.audience = "y";
    CHECK(verify_why(keys, &params, tok, NOW, "wrong audience"),
          "aud array without ours");
    free(tok);
    json_object_del(c, "aud");

    /* nbf */
    json_object_set_new(c, "nbf", json_integer(NOW + 100));
    strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
    CHECK(verify_why(keys, NULL, tok, NOW, "not yet valid"),
          "nbf in the future");
    CHECK(verify_why(keys, NULL, tok, NOW + 100, NULL), "nbf reached");
    free(tok);
    json_object_del(c, "nbf");

    /* exp is required, and a number */
    json_object_del(c, "exp");
    strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
    CHECK(verify_why(keys, NULL, tok, NOW, "exp missing"), "no exp");
    free(tok);

    json_object_set_new(c, "exp", json_string("soon"));
    strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
    CHECK(verify_why(keys, NULL, tok, NOW, "exp not an integer"),
          "exp a string");
    free(tok);

    /*
     * NumericDates: integers in range only.  1e300 was cast to time_t
     * (undefined behaviour) and accepted; 1.5 compared as a double.
     */
    {
        size_t       j, k;
        json_t      *bad;
        char         want[64];

        static const char  *claims[] = { "exp", "nbf", "iat" };

        for (k = 0; k < 3; k++) {
            for (j = 0; j < 8; j++) {
                switch (j) {
                case 0: bad = json_real(1e300); break;
                case 1: bad = json_real(-1e300); break;
                case 2: bad = json_real(NOW + 1.5); break;
                case 3: bad = json_string("123"); break;
                case 4: bad = json_real(NOW + 600.0); break;
                case 5: bad = json_integer(-1); break;
                case 6: bad = json_integer(STRM_JWT_TIME_MAX + 1); break;
                default: bad = json_integer(INT64_MAX); break;
                }

                json_object_set_new(c, "exp", json_integer(NOW + 600));
                json_object_set_new(c, claims[k], bad);
                strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);

                snprintf(want, sizeof(want), "%s %s", claims[k],
                         (j < 5) ? "not an integer" : "out of range");

                CHECK(verify_why(keys, NULL, tok, NOW, want),
                      "a NumericDate claim neither an integer nor in range");
                free(tok);
                json_object_del(c, claims[k]);
            }
        }

        json_object_set_new(c, "exp", json_integer(STRM_JWT_TIME_MAX));
        json_object_set_new(c, "nbf", json_integer(0));
        json_object_set_new(c, "iat", json_integer(NOW));
        strm_jwt_sign_hs256(key1, 32, "k1", c, &tok);
        CHECK(verify_why(keys, NULL, tok, NOW, NULL),
              "exp at the largest NumericDate, nbf at 0: accepted");
        free(tok);
        json_object_del(c, "nbf");
        json_object_del(c, "iat");
    }

    json_decref(c);
    strm_jwt_keys_free(keys);
}


static void
test_refusals(void)
{
    char              *tok, *big, *in;
    size_t             i;
    strm_jwt_err_t     why;
    strm_jwt_keys_t   *keys;

    static const char  pl[] = "{\"sub\":\"x\",\"exp\":1800000000}";

    static const char *malformed[] = {
        "",
        ".",
        "..",
        "abc",
        "eyJhbGciOiJIUzI1NiJ9.e30",
        "eyJhbGciOiJIUzI1NiJ9..sig",
        ".e30.sig",
        "eyJhbGciOiJIUzI1NiJ9.e30.a.b",
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA",
        "eyJhbGciOiJIUzI1NiJ9.e3+.AAAA",
        "eyJhbGciOiJIUzI1NiJ9 .e30.AAAA",
        "bm90IGpzb24.e30.AAAA",
        "WzFd.e30.AAAA",
        NULL
    };

    keys = strm_jwt_keys_create();
    strm_jwt_keys_add_hs256(keys, "k1", key1, 32);

    for (i = 0; malformed[i] != NULL; i++) {
        why = NULL;
        CHECK(strm_jwt_verify(keys, NULL, malformed[i], strlen(malformed[i]),
                              NOW, NULL, &why)
              == STRM_E_FORBIDDEN && strcmp(why, "malformed") == 0,
              malformed[i]);
    }

    CHECK(strm_jwt_verify(keys, NULL, NULL, 0, NOW, NULL, NULL)
          == STRM_E_FORBIDDEN, "NULL token, NULL why");

    /* huge */
    big = malloc(1 << 20);
    memset(big, 'A', 1 << 20);
    big[100] = '.';
    big[200] = '.';
    CHECK(strm_jwt_verify(keys, NULL, big, 1 << 20, NOW, NULL, &why)
          == STRM_E_FORBIDDEN && strcmp(why, "too large") == 0,
          "huge token");
    free(big);

    /* alg none, with and without a signature, in any case */
    in = signing_input("{\"alg\":\"none\",\"typ\":\"JWT\"}", pl);
    tok = malloc(strlen(in) + 2);
    sprintf(tok, "%s.", in);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), "alg none");
    free(tok);
    free(in);

    tok = hs256_token("{\"alg\":\"none\",\"kid\":\"k1\"}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"),
          "alg none with a MAC");
    free(tok);

    tok = hs256_token("{\"alg\":\"None\"}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), "alg None");
    free(tok);

    tok = hs256_token("{\"alg\":\"HS512\",\"kid\":\"k1\"}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), "alg HS512");
    free(tok);

    tok = hs256_token("{\"typ\":\"JWT\"}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"), "no alg");
    free(tok);

    tok = hs256_token("{\"alg\":1}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"), "alg a number");
    free(tok);

    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":7}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"), "kid a number");
    free(tok);

    /* a second "alg" must not slip past */
    tok = hs256_token("{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}",
                      pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"), "duplicate alg");
    free(tok);

    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":\"k1\",\"crit\":[\"x\"],"
                      "\"x\":1}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "unsupported header"), "crit");
    free(tok);

    /* a valid MAC over a payload that is not an object */
    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "[1,2]", key1,
                      32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"), "payload array");
    free(tok);

    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{\"exp\":",
                      key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, "malformed"),
          "payload not JSON");
    free(tok);

    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", pl, key1, 32);
    CHECK(verify_why(keys, NULL, tok, NOW, NULL), "hand-made token");
    free(tok);

    strm_jwt_keys_free(keys);
}


static void
test_pkey(const char *type, const char *alg, const char *kid)
{
    int               es;
    char              hdr[128], jwks[2048], what[128];
    char             *tok, *p;
    size_t            len;
    json_t           *out;
    EVP_PKEY         *pkey, *other;
    strm_rc_t         rc;
    strm_jwt_err_t    why;
    unsigned char    *der;
    strm_jwt_keys_t  *keys, *wrong;

    static const char  pl[] =
        "{\"iss\":\"https://idp.example\",\"aud\":[\"strm\"],"
        "\"stream\":\"s-1\",\"iat\":1700000000,\"exp\":1700000600}";

    es = (strcmp(alg, "ES256") == 0);

    if (strcmp(type, "RSA") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);

    } else if (es) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    }

    snprintf(what, sizeof(what), "%s keygen", alg);
    CHECK(pkey != NULL && other != NULL, what);

    keys = strm_jwt_keys_create();
    jwks_of(pkey, kid, jwks, sizeof(jwks));
    rc = strm_jwt_keys_add_jwks(keys, jwks, strlen(jwks), what,
                                sizeof(what));
    if (rc != STRM_OK) {
        printf("  %s\n", what);
    }

    snprintf(what, sizeof(what), "%s JWKS loads", alg);
    CHECK(rc == STRM_OK && strm_jwt_keys_count(keys) == 1, what);

    /* HS256 secrets live in the same set */
    strm_jwt_keys_add_hs256(keys, "hs", key1, 32);

    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
    tok = pkey_token(pkey, hdr, pl, es);

    out = NULL;
    rc = strm_jwt_verify(keys, NULL, tok, strlen(tok), NOW, &out, &why);
    snprintf(what, sizeof(what), "%s verifies", alg);
    CHECK(rc == STRM_OK
          && strcmp(json_string_value(json_object_get(out, "stream")),
                    "s-1") == 0, what);
    json_decref(out);

    {
        strm_jwt_params_t  params = { 0, "https://idp.example", "strm" };

        snprintf(what, sizeof(what), "%s issuer and audience", alg);
        CHECK(verify_why(keys, &params, tok, NOW, NULL), what);

        params.audience = "other";
        snprintf(what, sizeof(what), "%s wrong audience", alg);
        CHECK(verify_why(keys, &params, tok, NOW, "wrong audience"), what);

        params.audience = NULL;
        params.issuer = "https://evil.example";
        snprintf(what, sizeof(what), "%s wrong issuer", alg);
        CHECK(verify_why(keys, &params, tok, NOW, "wrong issuer"), what);
    }

    snprintf(what, sizeof(what), "%s expired", alg);
    CHECK(verify_why(keys, NULL, tok, NOW + 600, "expired"), what);

    /* tampered signature */
    p = strrchr(tok, '.') + 2;
    *p = (*p == 'A') ? 'B' : 'A';
    snprintf(what, sizeof(what), "%s tampered signature", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "bad signature"), what);
    free(tok);

    /* no kid: the only key of that type */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", alg);
    tok = pkey_token(pkey, hdr, pl, es);
    snprintf(what, sizeof(what), "%s without kid", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, NULL), what);
    free(tok);

    /* another key, same kid */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
    tok = pkey_token(other, hdr, pl, es);
    snprintf(what, sizeof(what), "%s wrong key", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "bad signature"), what);
    free(tok);

    /* the right token against a set holding another key */
    wrong = strm_jwt_keys_create();
    jwks_of(other, kid, jwks, sizeof(jwks));
    strm_jwt_keys_add_jwks(wrong, jwks, strlen(jwks), NULL, 0);
    tok = pkey_token(pkey, hdr, pl, es);
    snprintf(what, sizeof(what), "%s key set without the key", alg);
    CHECK(verify_why(wrong, NULL, tok, NOW, "bad signature"), what);
    strm_jwt_keys_free(wrong);
    free(tok);

    /* alg confusion: HS256 with the public key as the secret */
    der = NULL;
    len = (size_t) i2d_PUBKEY(pkey, &der);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid);
    tok = hs256_token(hdr, pl, der, len);
    snprintf(what, sizeof(what), "%s key as HS256 secret", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), what);
    free(tok);

    /* the same with the HS256 kid: a real secret, wrong bytes */
    tok = hs256_token("{\"alg\":\"HS256\",\"kid\":\"hs\"}", pl, der, len);
    snprintf(what, sizeof(what), "%s key as HS256 secret, hs kid", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "bad signature"), what);
    free(tok);
    OPENSSL_free(der);

    /* an HS256 kid under this alg */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"hs\"}", alg);
    tok = pkey_token(pkey, hdr, pl, es);
    snprintf(what, sizeof(what), "%s header with an HS256 kid", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), what);
    free(tok);

    /* this key's kid under another asymmetric alg */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}",
             strcmp(alg, "RS256") == 0 ? "ES256" : "RS256", kid);
    tok = pkey_token(pkey, hdr, pl, es);
    snprintf(what, sizeof(what), "%s kid under another alg", alg);
    CHECK(verify_why(keys, NULL, tok, NOW, "alg not allowed"), what);
    free(tok);

    strm_jwt_keys_free(keys);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(other);
}


static void
test_jwks(void)
{
    char              err[256];
    size_t            i;
    strm_jwt_keys_t  *keys;

    /* P-256 generator point, a valid public key */
    static const char  ok[] =
        "{\"keys\":["
        "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"enc\","
        "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
        "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
        "{\"kty\":\"RSA\",\"alg\":\"PS256\",\"n\":\"AA\",\"e\":\"AQAB\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"g\","
        "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
        "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"}]}";

    static const char *bad[] = {
        "",
        "[]",
        "{}",
        "{\"keys\":{}}",
        "{\"keys\":[]}",
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
        "{\"keys\":[1]}",
        "{\"keys\":[{\"n\":\"AA\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AA\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
        "\"y\":\"AA\"}]}",
        /* the generator with y + 1: not on the curve */
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
        "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfY\"}]}",
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}]}",
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"a+b/\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":1,"
        "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
        "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"}]}",
        NULL
    };

    keys = strm_jwt_keys_create();

    CHECK(strm_jwt_keys_add_jwks(keys, ok, strlen(ok), err, sizeof(err))
          == STRM_OK && strm_jwt_keys_count(keys) == 1,
          "JWKS: only the P-256 sig key is used");

    CHECK(strm_jwt_keys_add_jwks(keys, ok, strlen(ok), err, sizeof(err))
          == STRM_E_BAD_REQUEST && strm_jwt_keys_count(keys) == 1,
          "JWKS: a duplicate kid fails the document");

    for (i = 0; bad[i] != NULL; i++) {
        err[0] = '\0';
        CHECK(strm_jwt_keys_add_jwks(keys, bad[i], strlen(bad[i]), err,
                                     sizeof(err))
              == STRM_E_BAD_REQUEST && err[0] != '\0'
              && strm_jwt_keys_count(keys) == 1, bad[i]);
    }

    strm_jwt_keys_free(keys);
}


int
main(void)
{
    test_rfc7515_a1();
    test_hs256();
    test_refusals();
    test_jwks();
    test_pkey("RSA", "RS256", "rsa-1");
    test_pkey("EC", "ES256", "ec-1");
    test_pkey("OKP", "EdDSA", "ed-1");

    return UNIT_DONE();
}
