
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of AES-SIV (strm_siv): every Wycheproof aes_siv_cmac
 * vector (442, key sizes 32, 48 and 64 bytes): valid ones encrypt to
 * the expected bytes and decrypt back, invalid ones are refused; plus
 * key sizes refused, short ciphertexts and context reuse.  Run from the
 * repository root (or pass the data directory as argv[1]).  Prints
 * "N passed, N failed".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "strm_siv.h"
#include "unit.h"


static const char  *data = "t/unit/data";


static unsigned char *
unhex(const char *s, size_t *len)
{
    size_t          i, n;
    unsigned int    b;
    unsigned char  *p;

    n = strlen(s) / 2;

    p = malloc(n + 1);
    if (p == NULL) {
        exit(2);
    }

    for (i = 0; i < n; i++) {
        if (sscanf(s + 2 * i, "%2x", &b) != 1) {
            exit(2);
        }

        p[i] = (unsigned char) b;
    }

    *len = n;

    return p;
}


static const char *
str(json_t *o, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(o, name));
    if (s == NULL) {
        printf("vector without \"%s\"\n", name);
        exit(2);
    }

    return s;
}


/* one Wycheproof test: returns 1 when it was exercised */

static int
vector(json_t *t, int *valid, int *invalid)
{
    int             ok, good;
    size_t          klen, adlen, mlen, clen;
    strm_rc_t       rc;
    strm_siv_t     *siv;
    unsigned char  *key, *ad, *msg, *ct, *out;
    char            what[128];

    key = unhex(str(t, "key"), &klen);
    ad = unhex(str(t, "aad"), &adlen);
    msg = unhex(str(t, "msg"), &mlen);
    ct = unhex(str(t, "ct"), &clen);
    good = strcmp(str(t, "result"), "valid") == 0;

    snprintf(what, sizeof(what), "wycheproof tcId %d (%s)",
             (int) json_integer_value(json_object_get(t, "tcId")),
             str(t, "comment"));

    siv = strm_siv_new(key, klen);
    CHECK(siv != NULL, what);

    if (siv == NULL) {
        goto done;
    }

    out = malloc(mlen + clen + STRM_SIV_BLOCK + 1);
    if (out == NULL) {
        exit(2);
    }

    /* encryption is deterministic: a valid ct is the only encryption */
    rc = strm_siv_encrypt(siv, ad, adlen, msg, mlen, out);
    ok = rc == STRM_OK && clen == mlen + STRM_SIV_BLOCK
         && memcmp(out, ct, clen) == 0;
    CHECK(rc == STRM_OK && ok == good, what);

    rc = strm_siv_decrypt(siv, ad, adlen, ct, clen, out);

    if (good) {
        CHECK(rc == STRM_OK && clen == mlen + STRM_SIV_BLOCK
              && memcmp(out, msg, mlen) == 0, what);
        (*valid)++;

    } else {
        CHECK(rc == STRM_E_BAD_REQUEST, what);
        (*invalid)++;
    }

    free(out);
    strm_siv_free(siv);

done:

    free(key);
    free(ad);
    free(msg);
    free(ct);

    return 1;
}


static void
test_wycheproof(void)
{
    int           n, valid, invalid, by_size[3];
    size_t        i, j;
    json_t       *root, *groups, *g, *tests, *t;
    json_error_t  jerr;
    char          path[512];

    snprintf(path, sizeof(path), "%s/wycheproof/aes_siv_cmac_test.json",
             data);

    root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        printf("cannot load %s: %s\n", path, jerr.text);
        exit(2);
    }

    n = 0;
    valid = 0;
    invalid = 0;
    memset(by_size, 0, sizeof(by_size));

    groups = json_object_get(root, "testGroups");

    json_array_foreach(groups, i, g) {
        tests = json_object_get(g, "tests");

        json_array_foreach(tests, j, t) {
            n += vector(t, &valid, &invalid);
        }

        by_size[i < 3 ? i : 2] += (int) json_array_size(tests);
    }

    CHECK(n == json_integer_value(json_object_get(root, "numberOfTests")),
          "every wycheproof vector exercised");
    CHECK(n == 442, "442 wycheproof vectors");

    printf("wycheproof aes_siv_cmac: %d vectors exercised (%d valid, "
           "%d invalid; by group %d/%d/%d)\n", n, valid, invalid,
           by_size[0], by_size[1], by_size[2]);

    json_decref(root);
}


/*
 * A context keeps the CMAC of the last associated data (a field's
 * path): ads in turn, more of them than it keeps, longer and shorter
 * than what it keeps, one a prefix of another, give what a new context
 * gives, both ways.
 */
static void
test_ad_memo(void)
{
    int             i, j, ok;
    size_t          len, alen[8];
    strm_siv_t     *siv, *fresh;
    unsigned char   key[32], pt[40], ad[8][80], ct[80], ct2[80], out[80];

    for (i = 0; i < 32; i++) {
        key[i] = (unsigned char) (i * 3 + 1);
    }

    for (i = 0; i < 8; i++) {
        alen[i] = (i == 7) ? 70 : (i == 6) ? 0 : (size_t) (i * 9 + 1);

        for (j = 0; j < 80; j++) {
            ad[i][j] = (unsigned char) ('a' + (j % 26));
        }
    }

    siv = strm_siv_new(key, sizeof(key));
    ok = (siv != NULL);

    for (i = 0; ok && i < 200; i++) {
        j = (i * 5) % 8;
        len = (size_t) (i % 40);
        memset(pt, i, sizeof(pt));

        fresh = strm_siv_new(key, sizeof(key));

        ok = fresh != NULL
             && strm_siv_encrypt(siv, ad[j], alen[j], pt, len, ct)
                == STRM_OK
             && strm_siv_encrypt(fresh, ad[j], alen[j], pt, len, ct2)
                == STRM_OK
             && memcmp(ct, ct2, len + STRM_SIV_BLOCK) == 0
             && strm_siv_decrypt(siv, ad[j], alen[j], ct,
                                 len + STRM_SIV_BLOCK, out) == STRM_OK
             && memcmp(out, pt, len) == 0
             && strm_siv_decrypt(siv, ad[(j + 1) % 8], alen[(j + 1) % 8],
                                 ct, len + STRM_SIV_BLOCK, out)
                == STRM_E_BAD_REQUEST;

        strm_siv_free(fresh);
    }

    CHECK(ok, "ads in turn: as a new context, both ways");

    strm_siv_free(siv);
}


static void
test_api(void)
{
    int             i;
    size_t          len;
    strm_siv_t     *siv;
    unsigned char   key[64], pt[100], ct[200], ct2[200], out[200];
    static const size_t  bad[] = { 0, 16, 24, 31, 33, 47, 63, 65, 128 };

    for (i = 0; i < 64; i++) {
        key[i] = (unsigned char) i;
    }

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        CHECK(strm_siv_new(key, bad[i]) == NULL, "key size refused");
    }

    siv = strm_siv_new(key, sizeof(key));
    CHECK(siv != NULL, "64-byte key");

    if (siv == NULL) {
        return;
    }

    CHECK(strm_siv_decrypt(siv, NULL, 0, ct, 15, out) == STRM_E_BAD_REQUEST,
          "ciphertext shorter than the SIV");

    for (i = 0; i < (int) sizeof(pt); i++) {
        pt[i] = (unsigned char) (i * 7);
    }

    /* the same context for many lengths, both ways, in any order */
    for (len = 0; len <= sizeof(pt); len++) {
        CHECK(strm_siv_encrypt(siv, (unsigned char *) "f", 1, pt, len, ct)
              == STRM_OK, "encrypt");
        CHECK(strm_siv_encrypt(siv, (unsigned char *) "g", 1, pt, len, ct2)
              == STRM_OK, "encrypt other ad");
        CHECK(memcmp(ct, ct2, STRM_SIV_BLOCK) != 0, "ad changes the SIV");
        CHECK(strm_siv_decrypt(siv, (unsigned char *) "f", 1, ct,
                               len + STRM_SIV_BLOCK, out) == STRM_OK
              && memcmp(out, pt, len) == 0, "round trip");
        CHECK(strm_siv_decrypt(siv, (unsigned char *) "g", 1, ct,
                               len + STRM_SIV_BLOCK, out)
              == STRM_E_BAD_REQUEST, "wrong ad refused");
        CHECK(strm_siv_encrypt(siv, (unsigned char *) "f", 1, pt, len, ct2)
              == STRM_OK && memcmp(ct, ct2, len + STRM_SIV_BLOCK) == 0,
              "deterministic");
    }

    /* an empty ad is one component: not the same as no component */
    CHECK(strm_siv_encrypt(siv, NULL, 0, pt, 0, ct) == STRM_OK
          && strm_siv_decrypt(siv, (unsigned char *) "", 0, ct,
                              STRM_SIV_BLOCK, out) == STRM_OK,
          "empty ad, empty plaintext");

    strm_siv_free(siv);
    strm_siv_free(NULL);
}


/*
 * Long values against OpenSSL's own AES-SIV (EVP "AES-n-SIV", one
 * associated-data component): many counter blocks, carries across the
 * counter's bytes, every key size.
 */
static void
test_long(void)
{
    int              i, n, ok, good;
    size_t           len, adlen, klen;
    strm_siv_t      *siv;
    const char      *name;
    EVP_CIPHER      *cipher;
    EVP_CIPHER_CTX  *ctx;
    unsigned char    key[64], ad[40], pt[1300], ct[1316], ref[1316];
    unsigned char    back[1300];

    good = 0;

    for (i = 0; i < 60; i++) {
        klen = (i % 3 == 0) ? 32 : (i % 3 == 1) ? 48 : 64;
        name = (klen == 32) ? "AES-128-SIV"
               : (klen == 48) ? "AES-192-SIV" : "AES-256-SIV";
        len = 1 + (size_t) (i * 97 % 1299);
        adlen = 1 + (size_t) (i % 39);

        RAND_bytes(key, sizeof(key));
        RAND_bytes(ad, sizeof(ad));
        RAND_bytes(pt, sizeof(pt));

        siv = strm_siv_new(key, klen);
        cipher = EVP_CIPHER_fetch(NULL, name, NULL);
        ctx = EVP_CIPHER_CTX_new();

        ok = siv != NULL && cipher != NULL && ctx != NULL
             && strm_siv_encrypt(siv, ad, adlen, pt, len, ct) == STRM_OK
             && EVP_EncryptInit_ex2(ctx, cipher, key, NULL, NULL) == 1
             && EVP_EncryptUpdate(ctx, NULL, &n, ad, (int) adlen) == 1
             && EVP_EncryptUpdate(ctx, ref + 16, &n, pt, (int) len) == 1
             && EVP_EncryptFinal_ex(ctx, ref + 16 + n, &n) == 1
             && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, ref)
                == 1
             && memcmp(ct, ref, 16 + len) == 0
             && strm_siv_decrypt(siv, ad, adlen, ct, 16 + len, back)
                == STRM_OK
             && memcmp(back, pt, len) == 0;

        good += ok;

        EVP_CIPHER_CTX_free(ctx);
        EVP_CIPHER_free(cipher);
        strm_siv_free(siv);
    }

    CHECK(good == 60, "values up to 1300 bytes: as OpenSSL's AES-SIV");
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        data = argv[1];
    }

    test_wycheproof();
    test_api();
    test_ad_memo();
    test_long();

    return UNIT_DONE();
}
