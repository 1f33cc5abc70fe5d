
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Client credentials: the hash matches an HMAC-SHA256 computed outside
 * this code; a secret checks against its client and not against
 * another one or an unknown client; credentials files parse, and every
 * kind of bad line is refused with its line number and without the
 * salt or hash; a new client round trips through its file line; token
 * keys files give the signing key first and verify tokens of every key
 * (rotation); form bodies decode as application/x-www-form-urlencoded
 * and refuse repeated parameters and bad escapes.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "strm_b64.h"
#include "strm_cred.h"
#include "unit.h"


#define NOW  1700000000


/*
 * The known answer, made with Python 3 when this test was written:
 *
 *   hmac.new(bytes(range(16)), b"strm-test-secret",
 *            hashlib.sha256).hexdigest()
 *
 * and the same from "printf strm-test-secret | openssl mac -digest
 * SHA256 -macopt hexkey:000102030405060708090a0b0c0d0e0f HMAC".  The
 * base64url forms are the salt and hash fields of a file line.
 */
static const unsigned char  kat_salt[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};

static const unsigned char  kat_hash[32] = {
    0x89, 0x9f, 0x3c, 0x1b, 0x3c, 0x53, 0x86, 0x7f,
    0xcd, 0x9c, 0xd4, 0x25, 0xde, 0x20, 0xa7, 0xd4,
    0x46, 0x8d, 0x00, 0xdd, 0xf9, 0x5b, 0x14, 0x35,
    0xa2, 0xa9, 0x1d, 0x3e, 0xc1, 0x6c, 0xcc, 0xef
};

#define KAT_SECRET  "strm-test-secret"
#define KAT_SALT    "AAECAwQFBgcICQoLDA0ODw"
#define KAT_HASH    "iZ88GzxThn_NnNQl3iCn1EaNAN35WxQ1oqkdPsFszO8"
#define KAT_LINE    "c1 hmac-sha256 " KAT_SALT " " KAT_HASH


static const unsigned char  key1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char  key2[32] = "fedcba9876543210fedcba9876543210";


static char  dir[] = "/tmp/strm-test-cred-XXXXXX";


/* writes text to dir/name; returns the path (a static buffer) */
static const char *
write_file(const char *name, const char *text)
{
    FILE        *f;
    static char  path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "w");
    if (f == NULL) {
        return path;
    }

    fputs(text, f);
    fclose(f);

    return path;
}


/* parses text; 1 when it fails with exactly the error want */
static int
parse_fails(const char *text, const char *want)
{
    char                 err[256];
    size_t               n;
    strm_rc_t            rc;
    strm_cred_client_t  *cl;

    err[0] = '\0';
    rc = strm_cred_parse(text, strlen(text), &cl, &n, err, sizeof(err));

    if (rc != STRM_E_BAD_REQUEST || cl != NULL || n != 0
        || strcmp(err, want) != 0)
    {
        printf("  rc %d, err \"%s\", want \"%s\"\n", (int) rc, err, want);
        return 0;
    }

    return 1;
}


/* loads a token keys file of text; 1 when it fails with error want */
static int
token_keys_fail(const char *text, const char *want)
{
    int               ok;
    char              err[256], *kid;
    size_t            len;
    strm_rc_t         rc;
    unsigned char    *key;
    strm_jwt_keys_t  *keys;

    keys = strm_jwt_keys_create();
    err[0] = '\0';

    rc = strm_cred_load_token_keys(write_file("bad-keys", text), keys, &kid,
                                   &key, &len, err, sizeof(err));

    ok = (rc == STRM_E_BAD_REQUEST && kid == NULL && key == NULL
          && len == 0 && strcmp(err, want) == 0);

    if (!ok) {
        printf("  rc %d, err \"%s\", want \"%s\"\n", (int) rc, err, want);
    }

    strm_jwt_keys_free(keys);

    return ok;
}


/* 1 when name is found in body with the value want of wlen bytes */
static int
form_is(const char *body, const char *name, const char *want, size_t wlen)
{
    int        ok;
    char      *v;
    size_t     len;
    strm_rc_t  rc;

    rc = strm_form_get(body, strlen(body), name, &v, &len);

    ok = (rc == STRM_OK && len == wlen && memcmp(v, want, wlen) == 0
          && v[len] == '\0');

    free(v);

    return ok;
}


static strm_rc_t
form_rc(const char *body, const char *name)
{
    char       *v;
    size_t      len;
    strm_rc_t   rc;

    rc = strm_form_get(body, strlen(body), name, &v, &len);

    if (rc != STRM_OK && (v != NULL || len != 0)) {
        return STRM_E_INTERNAL;
    }

    free(v);

    return rc;
}


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


static void
test_valid_id(void)
{
    char  id[STRM_CRED_ID_MAX + 2];

    CHECK(strm_cred_valid_id("svc.ingest_1~a-b", 16, STRM_CRED_ID_MAX),
          "unreserved characters are valid");
    CHECK(!strm_cred_valid_id("", 0, STRM_CRED_ID_MAX), "empty id");
    CHECK(!strm_cred_valid_id("a b", 3, STRM_CRED_ID_MAX), "space");
    CHECK(!strm_cred_valid_id("a/b", 3, STRM_CRED_ID_MAX), "slash");
    CHECK(!strm_cred_valid_id("a:b", 3, STRM_CRED_ID_MAX), "colon");
    CHECK(!strm_cred_valid_id("a\0b", 3, STRM_CRED_ID_MAX), "NUL");
    CHECK(!strm_cred_valid_id("\xc3\xa9", 2, STRM_CRED_ID_MAX), "UTF-8");

    memset(id, 'a', sizeof(id));
    CHECK(strm_cred_valid_id(id, STRM_CRED_ID_MAX, STRM_CRED_ID_MAX),
          "128 characters");
    CHECK(!strm_cred_valid_id(id, STRM_CRED_ID_MAX + 1, STRM_CRED_ID_MAX),
          "129 characters");
    CHECK(strm_cred_valid_id(id, STRM_CRED_KID_MAX, STRM_CRED_KID_MAX)
          && !strm_cred_valid_id(id, STRM_CRED_KID_MAX + 1,
                                 STRM_CRED_KID_MAX), "kid: 64 at most");
}


/* equal in constant time: every length, a bit changed at every place */
static void
test_equal(void)
{
    int            ok;
    size_t         n, i, bit;
    unsigned char  a[80], b[80];

    ok = 1;

    for (i = 0; i < sizeof(a); i++) {
        a[i] = (unsigned char) (i * 37 + 11);
    }

    for (n = 0; n <= sizeof(a); n++) {
        memcpy(b, a, sizeof(a));

        /* what lies past n does not count */
        if (n < sizeof(a)) {
            b[n] ^= 0xff;
        }

        if (strm_cred_equal(a, b, n) != 1) {
            printf("  %zu equal bytes: not equal\n", n);
            ok = 0;
        }

        for (i = 0; i < n; i++) {
            for (bit = 0; bit < 8; bit++) {
                memcpy(b, a, sizeof(a));
                b[i] ^= (unsigned char) (1u << bit);

                if (strm_cred_equal(a, b, n) != 0) {
                    printf("  %zu bytes, bit %zu of byte %zu: equal\n", n,
                           bit, i);
                    ok = 0;
                }
            }
        }
    }

    CHECK(ok, "strm_cred_equal(): equal bytes of every length, and a bit "
          "changed anywhere found");
}


static void
test_hash_check(void)
{
    strm_cred_client_t  c, other;
    unsigned char       h[STRM_CRED_HASH_LEN];

    CHECK(strm_cred_hash(kat_salt, KAT_SECRET, 16, h) == STRM_OK
          && memcmp(h, kat_hash, 32) == 0, "HMAC-SHA256 known answer");

    memset(&c, 0, sizeof(c));
    strcpy(c.client_id, "c1");
    memcpy(c.salt, kat_salt, 16);
    memcpy(c.hash, kat_hash, 32);

    CHECK(strm_cred_check(&c, KAT_SECRET, 16) == 1, "right secret");
    CHECK(strm_cred_check(&c, "strm-test-secreT", 16) == 0,
          "one character off");
    CHECK(strm_cred_check(&c, KAT_SECRET, 15) == 0, "a prefix");
    CHECK(strm_cred_check(&c, KAT_SECRET "x", 17) == 0, "an extension");
    CHECK(strm_cred_check(&c, "", 0) == 0, "empty secret");
    CHECK(strm_cred_check(&c, NULL, 0) == 0, "no secret");
    CHECK(strm_cred_check(NULL, KAT_SECRET, 16) == 0, "unknown client");
    CHECK(strm_cred_check(NULL, "", 0) == 0, "unknown client, empty");

    /* the salt is part of the hash: the same secret, another salt */
    other = c;
    other.salt[0] ^= 1;
    CHECK(strm_cred_check(&other, KAT_SECRET, 16) == 0, "another salt");

    /* an all-zero hash (the dummy's) does not check for a real client */
    memset(other.hash, 0, sizeof(other.hash));
    CHECK(strm_cred_check(&other, KAT_SECRET, 16) == 0, "zero hash");
}


static void
test_parse(void)
{
    char                *big, err[256];
    size_t               i, n, len;
    strm_rc_t            rc;
    const char          *text;
    strm_cred_client_t  *cl;

    text = "# clients of the demo\n"
           "\n"
           KAT_LINE "\n"
           "   # an indented comment\n"
           "  \t \n"
           "c2\thmac-sha256  \t" KAT_SALT "   " KAT_HASH "  \r\n"
           "svc.ingest_1~x-y hmac-sha256 " KAT_SALT " " KAT_HASH;

    rc = strm_cred_parse(text, strlen(text), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && n == 3, "three clients");

    if (rc == STRM_OK && n == 3) {
        CHECK(strcmp(cl[0].client_id, "c1") == 0
              && strcmp(cl[1].client_id, "c2") == 0
              && strcmp(cl[2].client_id, "svc.ingest_1~x-y") == 0,
              "ids in file order (tabs, CRLF, no final newline)");
        CHECK(memcmp(cl[1].salt, kat_salt, 16) == 0
              && memcmp(cl[1].hash, kat_hash, 32) == 0, "salt and hash");
        CHECK(strm_cred_check(&cl[2], KAT_SECRET, 16), "parsed, checks");
    }

    strm_cred_free(cl, n);

    rc = strm_cred_parse("", 0, &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && cl == NULL && n == 0, "empty file: no client");

    text = "# nobody yet\r\n\r\n";
    rc = strm_cred_parse(text, strlen(text), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && cl == NULL && n == 0, "only a comment");

    /* a NUL in the text is a bad character, not the end */
    rc = strm_cred_parse(KAT_LINE "\0x", sizeof(KAT_LINE) + 1, &cl, &n, err,
                         sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "a NUL in a line");

    /* every kind of error, with its line */
    CHECK(parse_fails("# x\nc/1 hmac-sha256 " KAT_SALT " " KAT_HASH "\n",
                      "line 2: invalid client id"), "bad id");
    CHECK(parse_fails("\n\n\n#\n" KAT_LINE " cred-1 more\n",
                      "line 5: extra fields after the credential id"),
          "extra field");
    CHECK(parse_fails(KAT_LINE " cred/1\n",
                      "line 1: invalid credential id"), "bad credential id");

    /* the credential id: optional, "" when absent (generation 0) */
    text = KAT_LINE "\nc2 hmac-sha256 " KAT_SALT " " KAT_HASH " Xy_9-z\n";
    rc = strm_cred_parse(text, strlen(text), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && n == 2 && cl[0].cred_id[0] == '\0'
          && strcmp(cl[1].cred_id, "Xy_9-z") == 0,
          "a line without a credential id and one with");

    if (rc == STRM_OK && n == 2) {
        CHECK(strm_cred_same(&cl[0], NULL, 0)
              && !strm_cred_same(&cl[0], "Xy_9-z", 6)
              && !strm_cred_same(&cl[0], "", 0),
              "generation 0 matches only a token without the claim");
        CHECK(strm_cred_same(&cl[1], "Xy_9-z", 6)
              && !strm_cred_same(&cl[1], NULL, 0)
              && !strm_cred_same(&cl[1], "Xy_9-", 5)
              && !strm_cred_same(&cl[1], "Xy_9-zz", 7)
              && !strm_cred_same(&cl[1], "Xy_9-Z", 6),
              "a credential id matches only itself");
    }

    strm_cred_free(cl, n);
    CHECK(parse_fails("c1 hmac-sha256 " KAT_SALT "\n",
                      "line 1: expected \"<clientId> hmac-sha256 <salt> "
                      "<hash>\""), "missing hash");
    CHECK(parse_fails(KAT_LINE "\nc2\n",
                      "line 2: expected \"<clientId> hmac-sha256 <salt> "
                      "<hash>\""), "id alone");
    CHECK(parse_fails("c1 HMAC-SHA256 " KAT_SALT " " KAT_HASH "\n",
                      "line 1: unknown hash scheme, expected hmac-sha256"),
          "scheme is case-sensitive");
    CHECK(parse_fails("c1 pbkdf2 " KAT_SALT " " KAT_HASH "\n",
                      "line 1: unknown hash scheme, expected hmac-sha256"),
          "other scheme");
    CHECK(parse_fails("c1 hmac-sha256 AAECAwQFBgcICQoLDA0OD+ " KAT_HASH,
                      "line 1: the salt is not base64url of 16 bytes"),
          "salt not base64url");
    CHECK(parse_fails("c1 hmac-sha256 AAECAwQFBgcICQoLDA0ODw== " KAT_HASH,
                      "line 1: the salt is not base64url of 16 bytes"),
          "salt with padding");
    CHECK(parse_fails("c1 hmac-sha256 AAECAwQFBgcICQoLDA0ODx " KAT_HASH,
                      "line 1: the salt is not base64url of 16 bytes"),
          "salt with trailing bits");
    CHECK(parse_fails("c1 hmac-sha256 AAECAwQFBgcICQoLDA0O " KAT_HASH,
                      "line 1: the salt is not base64url of 16 bytes"),
          "short salt");
    CHECK(parse_fails("c1 hmac-sha256 " KAT_SALT " " KAT_SALT,
                      "line 1: the hash is not base64url of 32 bytes"),
          "short hash");
    CHECK(parse_fails("c1 hmac-sha256 " KAT_SALT " " KAT_HASH "AAAA",
                      "line 1: the hash is not base64url of 32 bytes"),
          "long hash");
    CHECK(parse_fails("c1 hmac-sha256 " KAT_SALT " " KAT_HASH "\r\r\n",
                      "line 1: the hash is not base64url of 32 bytes"),
          "only one \\r is a line end");
    CHECK(parse_fails(KAT_LINE "\n# c1 again\n\n" KAT_LINE "\n",
                      "line 4: duplicate client id \"c1\""), "duplicate");

    /* the first error in the file wins */
    CHECK(parse_fails("a" KAT_LINE "\n" KAT_LINE "\n" KAT_LINE "\nx/y\n",
                      "line 3: duplicate client id \"c1\""),
          "a duplicate before a syntax error");
    CHECK(parse_fails(KAT_LINE "\nx/y\n" KAT_LINE "\n",
                      "line 2: expected \"<clientId> hmac-sha256 <salt> "
                      "<hash>\""), "a syntax error before a duplicate");

    /* many clients: the duplicate check sorts, and finds the earliest */
    big = malloc(2000 * 100);
    len = 0;

    for (i = 0; i < 2000; i++) {
        len += sprintf(big + len, "client-%zu hmac-sha256 %s %s\n",
                       (i == 1500) ? (size_t) 7 : (i == 1200) ? 900 : i,
                       KAT_SALT, KAT_HASH);
    }

    CHECK(parse_fails(big, "line 1201: duplicate client id \"client-900\""),
          "the earliest of two duplicates among 2000 clients");

    len = 0;

    for (i = 0; i < 2000; i++) {
        len += sprintf(big + len, "client-%zu hmac-sha256 %s %s\n", i,
                       KAT_SALT, KAT_HASH);
    }

    rc = strm_cred_parse(big, len, &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && n == 2000
          && strcmp(cl[1999].client_id, "client-1999") == 0,
          "2000 clients");
    strm_cred_free(cl, n);
    free(big);

    /* the error never shows the salt or the hash */
    err[0] = '\0';
    text = "c1 hmac-sha256 " KAT_SALT " " KAT_HASH "x\n";
    rc = strm_cred_parse(text, strlen(text), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && strstr(err, KAT_SALT) == NULL
          && strstr(err, KAT_HASH) == NULL, "no salt or hash in err");

    /* err may be NULL */
    rc = strm_cred_parse("x", 1, &cl, &n, NULL, 0);
    CHECK(rc == STRM_E_BAD_REQUEST, "no err buffer");
}


static void
test_new_round_trip(void)
{
    char                 secret[STRM_CRED_SECRET_LEN + 1], line[512];
    char                 err[256], secret2[STRM_CRED_SECRET_LEN + 1];
    char                *text;
    size_t               i, n, len, len2;
    strm_rc_t            rc;
    const char          *path;
    unsigned char        raw[64];
    strm_cred_client_t   c, c2, *cl;

    rc = strm_cred_new(NULL, secret, &c);
    CHECK(rc == STRM_OK, "new with a generated id");

    CHECK(strlen(c.client_id) == 25
          && strncmp(c.client_id, "strm-", 5) == 0
          && strspn(c.client_id + 5, "abcdefghijklmnopqrstuvwxyz0123456789")
             == 20, "generated id: strm- and 20 of [a-z0-9]");
    CHECK(strlen(secret) == STRM_CRED_SECRET_LEN
          && strm_b64url_decode(raw, &n, (unsigned char *) secret,
                                STRM_CRED_SECRET_LEN)
             == STRM_OK && n == 32, "secret: base64url of 32 bytes");
    CHECK(strm_cred_check(&c, secret, strlen(secret)), "new secret checks");

    len = strm_cred_format(&c, line, sizeof(line));
    CHECK(len == strlen(line)
          && len == 25 + 1 + 11 + 1 + 22 + 1 + 43 + 1 + 22 + 1
          && line[len - 1] == '\n', "the file line, with a credential id");
    CHECK(strlen(c.cred_id) == 22
          && strspn(c.cred_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789-_") == 22,
          "credential id: base64url of 16 bytes");
    CHECK(strstr(line, secret) == NULL, "the line does not hold the secret");
    CHECK(strm_cred_format(&c, line, 10) == len && strlen(line) == 9,
          "format into a short buffer: snprintf semantics");

    rc = strm_cred_new("svc.ingest-1", secret2, &c2);
    CHECK(rc == STRM_OK && strcmp(c2.client_id, "svc.ingest-1") == 0,
          "new with a given id");
    CHECK(strcmp(secret, secret2) != 0
          && memcmp(c.salt, c2.salt, STRM_CRED_SALT_LEN) != 0
          && strcmp(c.cred_id, c2.cred_id) != 0,
          "secrets, salts and credential ids differ");

    /* new -> format -> parse -> check, through a file */
    len = strm_cred_format(&c, line, sizeof(line));
    len2 = strm_cred_format(&c2, line + len, sizeof(line) - len);
    text = line;
    path = write_file("clients", text);

    rc = strm_cred_load(path, &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && n == 2 && len2 > 0, "load the two lines");

    if (rc == STRM_OK && n == 2) {
        CHECK(memcmp(&cl[0], &c, sizeof(c)) == 0
              && memcmp(&cl[1], &c2, sizeof(c2)) == 0,
              "parsed back the same");
        CHECK(strm_cred_check(&cl[0], secret, strlen(secret))
              && strm_cred_check(&cl[1], secret2, strlen(secret2)),
              "each secret checks against its client");
        CHECK(!strm_cred_check(&cl[0], secret2, strlen(secret2))
              && !strm_cred_check(&cl[1], secret, strlen(secret)),
              "and not against the other");
    }

    strm_cred_free(cl, n);

    /* the same file twice is a duplicate */
    strm_cred_format(&c, line + len + len2, sizeof(line) - len - len2);
    rc = strm_cred_parse(line, strlen(line), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && strncmp(err, "line 3: duplicate", 17)
          == 0, "a client added twice");

    for (i = 0; i < 2; i++) {
        CHECK(strm_cred_new(i ? "" : "bad id", secret, &c) ==
              STRM_E_BAD_REQUEST && secret[0] == '\0', "new: bad id");
    }

    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(secret2, sizeof(secret2));
}


static void
test_load(void)
{
    char                 err[256];
    size_t               n;
    strm_rc_t            rc;
    strm_cred_client_t  *cl;

    rc = strm_cred_load("/nonexistent/strm/clients", &cl, &n, err,
                        sizeof(err));
    CHECK(rc == STRM_E_NOT_FOUND && cl == NULL && n == 0
          && strcmp(err, "cannot open: No such file or directory") == 0,
          "a missing file");

    rc = strm_cred_load(dir, &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && strcmp(err, "not a regular file")
          == 0, "a directory");

    rc = strm_cred_load(write_file("empty", ""), &cl, &n, err, sizeof(err));
    CHECK(rc == STRM_OK && cl == NULL && n == 0, "an empty file");

    rc = strm_cred_load(write_file("bad", KAT_LINE "\n\nc2 x\n"), &cl, &n,
                        err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && strncmp(err, "line 3: ", 8) == 0,
          "a parse error from a file");
}


static void
test_token_keys(void)
{
    char              *b1, *b2, *bs, *kid, *tok, text[512], err[256];
    json_t            *claims;
    size_t             len;
    strm_rc_t          rc;
    unsigned char     *key;
    unsigned char      short_key[31];
    strm_jwt_err_t     why;
    strm_jwt_keys_t   *keys;

    b1 = b64url(key1, 32);
    b2 = b64url(key2, 32);
    memset(short_key, 'k', sizeof(short_key));
    bs = b64url(short_key, sizeof(short_key));

    claims = json_pack("{s:s, s:I, s:I}", "sub", "c1", "iat",
                       (json_int_t) NOW, "exp", (json_int_t) NOW + 300);

    /* one key */
    snprintf(text, sizeof(text), "k1 %s\n", b1);
    keys = strm_jwt_keys_create();
    rc = strm_cred_load_token_keys(write_file("keys1", text), keys, &kid,
                                   &key, &len, err, sizeof(err));
    CHECK(rc == STRM_OK && strcmp(kid, "k1") == 0 && len == 32
          && memcmp(key, key1, 32) == 0
          && strm_jwt_keys_count(keys) == 1, "one key signs");
    strm_cred_free_key(kid, key, len);

    /* a key id already in the set */
    rc = strm_cred_load_token_keys(write_file("keys1", text), keys, &kid,
                                   &key, &len, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && kid == NULL
          && strcmp(err, "line 1: key id \"k1\" is already used") == 0,
          "a kid already in the key set");
    strm_jwt_keys_free(keys);

    /* rotation: the new key first signs, the old one still verifies */
    snprintf(text, sizeof(text),
             "# token keys: the first signs\r\n"
             "k-2024-06\t%s\r\n"
             "\n"
             "  k-2024-01   %s  \n", b2, b1);

    keys = strm_jwt_keys_create();
    rc = strm_cred_load_token_keys(write_file("keys2", text), keys, &kid,
                                   &key, &len, err, sizeof(err));
    CHECK(rc == STRM_OK && strm_jwt_keys_count(keys) == 2, "two keys");

    if (rc == STRM_OK) {
        CHECK(strcmp(kid, "k-2024-06") == 0 && len == 32
              && memcmp(key, key2, 32) == 0, "the first key signs");

        tok = NULL;
        CHECK(strm_jwt_sign_hs256(key, len, kid, claims, &tok) == STRM_OK
              && strm_jwt_verify(keys, NULL, tok, strlen(tok), NOW, NULL,
                                 &why) == STRM_OK,
              "a token of the signing key verifies");
        free(tok);

        tok = NULL;
        CHECK(strm_jwt_sign_hs256(key1, 32, "k-2024-01", claims, &tok)
              == STRM_OK
              && strm_jwt_verify(keys, NULL, tok, strlen(tok), NOW, NULL,
                                 &why) == STRM_OK,
              "a token of the old key still verifies");
        free(tok);

        tok = NULL;
        CHECK(strm_jwt_sign_hs256(key1, 32, "k-2024-06", claims, &tok)
              == STRM_OK
              && strm_jwt_verify(keys, NULL, tok, strlen(tok), NOW, NULL,
                                 &why) == STRM_E_FORBIDDEN,
              "the old key under the new kid does not");
        free(tok);

        strm_cred_free_key(kid, key, len);
    }

    strm_jwt_keys_free(keys);

    /* refusals, with the line, never the secret */
    snprintf(text, sizeof(text), "k1 %s\nk2 %s\n", b1, bs);
    CHECK(token_keys_fail(text,
                          "line 2: the secret is shorter than 32 bytes"),
          "a 31-byte key");
    CHECK(strstr(text, bs) != NULL && strlen(bs) == 42, "(the short key)");

    snprintf(text, sizeof(text), "k1 %s\n# k1 again\nk1 %s\n", b1, b2);
    CHECK(token_keys_fail(text, "line 3: duplicate key id \"k1\""),
          "a duplicate kid");

    CHECK(token_keys_fail("", "no key in the file"), "an empty file");
    CHECK(token_keys_fail("# nothing\n\n", "no key in the file"),
          "only comments");

    snprintf(text, sizeof(text), "k/1 %s\n", b1);
    CHECK(token_keys_fail(text, "line 1: invalid key id"), "a bad kid");

    memset(text, 'k', STRM_CRED_KID_MAX + 1);
    snprintf(text + STRM_CRED_KID_MAX + 1, sizeof(text) - STRM_CRED_KID_MAX
             - 1, " %s\n", b1);
    CHECK(token_keys_fail(text, "line 1: invalid key id"), "a 65-char kid");

    snprintf(text, sizeof(text), "k1 %s=\n", b1);
    CHECK(token_keys_fail(text, "line 1: the secret is not base64url"),
          "padding is not base64url");

    snprintf(text, sizeof(text), "k1 %s extra\n", b1);
    CHECK(token_keys_fail(text, "line 1: extra fields after the secret"),
          "an extra field");

    CHECK(token_keys_fail("\nk1\n",
                          "line 2: expected \"<kid> <secret base64url>\""),
          "no secret");

    keys = strm_jwt_keys_create();
    rc = strm_cred_load_token_keys("/nonexistent/strm/keys", keys, &kid,
                                   &key, &len, err, sizeof(err));
    CHECK(rc == STRM_E_NOT_FOUND
          && strncmp(err, "cannot open: ", 13) == 0, "a missing keys file");
    strm_jwt_keys_free(keys);

    json_decref(claims);
    free(b1);
    free(b2);
    free(bs);
}


static void
test_form(void)
{
    char        buf[32];
    size_t      n;
    const char  *body;

    body = "grant_type=client_credentials&client_id=a+b"
           "&client_secret=x%20y%2Bz%2b";

    CHECK(form_is(body, "grant_type", "client_credentials", 18),
          "a plain value");
    CHECK(form_is(body, "client_id", "a b", 3), "'+' is a space");
    CHECK(form_is(body, "client_secret", "x y+z+", 6),
          "%20 and %2B, either case");
    CHECK(form_rc(body, "scope") == STRM_E_NOT_FOUND, "missing");
    CHECK(form_rc(body, "client") == STRM_E_NOT_FOUND
          && form_rc(body, "client_id_") == STRM_E_NOT_FOUND,
          "a prefix or an extension of a name is another name");
    CHECK(form_rc("", "a") == STRM_E_NOT_FOUND, "an empty body");

    CHECK(form_rc("a=1&b=2&a=3", "a") == STRM_E_BAD_REQUEST, "repeated");
    CHECK(form_rc("a=1&b=2&a=1", "a") == STRM_E_BAD_REQUEST,
          "repeated with the same value");
    CHECK(form_rc("client_id=a&client%5fid=b", "client_id")
          == STRM_E_BAD_REQUEST, "repeated under an encoded name");
    CHECK(form_rc("a=1&a", "a") == STRM_E_BAD_REQUEST,
          "repeated without a value");
    CHECK(form_is("a=1&b=2&a=3", "b", "2", 1),
          "another name repeated is not our problem");

    CHECK(form_rc("a=%zz", "a") == STRM_E_BAD_REQUEST, "bad % escape");
    CHECK(form_rc("a=x%4", "a") == STRM_E_BAD_REQUEST, "short % escape");
    CHECK(form_rc("a=x%", "a") == STRM_E_BAD_REQUEST, "% at the end");
    CHECK(form_rc("a=%4&b=1", "a") == STRM_E_BAD_REQUEST,
          "short % escape before '&'");
    CHECK(form_is("x=%zz&a=1", "a", "1", 1),
          "a bad escape elsewhere does not matter");
    CHECK(form_is("x%zz=1&a=1", "a", "1", 1),
          "nor in another name");

    CHECK(form_is("a=&b=1", "a", "", 0), "an empty value");
    CHECK(form_is("b=1&a", "a", "", 0), "a name without '='");
    CHECK(form_is("a==x=", "a", "=x=", 3), "'=' in the value");
    CHECK(form_is("&&a=1&&", "a", "1", 1), "empty sequences are skipped");
    CHECK(form_is("client%5Fid=abc", "client_id", "abc", 3),
          "an encoded name");
    CHECK(form_is("client+id=abc", "client id", "abc", 3),
          "'+' in a name");
    CHECK(form_is("a=x%00y", "a", "x\0y", 3), "a NUL byte in the value");
    CHECK(form_is("a=%C3%A9", "a", "\xc3\xa9", 2), "UTF-8 bytes");

    /* strm_form_decode alone, and in place */
    n = strm_form_decode(buf, "a%41+%7e", 8);
    CHECK(n == 4 && memcmp(buf, "aA ~", 4) == 0, "decode");
    CHECK(strm_form_decode(buf, "%G0", 3) == (size_t) -1, "decode: bad");
    CHECK(strm_form_decode(buf, "", 0) == 0, "decode: empty");

    strcpy(buf, "c%3Ad+e%25");
    n = strm_form_decode(buf, buf, strlen(buf));
    CHECK(n == 6 && memcmp(buf, "c:d e%", 6) == 0, "decode in place");
}


int
main(void)
{
    char  path[128];

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_valid_id();
    test_equal();
    test_hash_check();
    test_parse();
    test_new_round_trip();
    test_load();
    test_token_keys();
    test_form();

    snprintf(path, sizeof(path), "%s/clients", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/empty", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/bad", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/keys1", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/keys2", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/bad-keys", dir);
    unlink(path);
    rmdir(dir);

    return UNIT_DONE();
}
