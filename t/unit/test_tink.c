
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of Tink keysets (strm_tink, strm_proto): every
 * vector of t/unit/data/tink (published Tink examples and tink-go made
 * ones): decrypt, re-encrypt byte-identically, refuse the invalid ones; JSON
 * keyset round trips; the tink-go encrypted keysets with their AES-GCM
 * key-encryption key, with and without associated data, our Keyset
 * proto byte-identical to tink-go's; fresh keysets, key wrapping, and
 * malformed keysets and protos refused.  Run from the repository root
 * (or pass the data directory as argv[1]).  Prints "N passed, N failed".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_b64.h"
#include "strm_tink.h"
#include "unit.h"


static const char  *data = "t/unit/data";


static unsigned char *
unhex(const char *s, size_t *len)
{
    size_t          i, n;
    unsigned int    b;
    unsigned char  *p;

    if (s == NULL) {
        printf("missing hex field\n");
        exit(2);
    }

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


static json_t *
load(const char *name)
{
    json_t       *root;
    json_error_t  jerr;
    char          path[512];

    snprintf(path, sizeof(path), "%s/tink/%s", data, name);

    root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        printf("cannot load %s: %s\n", path, jerr.text);
        exit(2);
    }

    return root;
}


/* a keyset from a JSON object, through strm_tink_keyset_read_json */

static strm_tink_keyset_t *
keyset(json_t *j)
{
    char                *s;
    strm_rc_t            rc;
    strm_tink_keyset_t  *ks;
    char                 err[256];

    s = json_dumps(j, JSON_COMPACT);
    if (s == NULL) {
        exit(2);
    }

    ks = NULL;
    rc = strm_tink_keyset_read_json(s, strlen(s), &ks, err, sizeof(err));
    free(s);

    if (rc != STRM_OK) {
        printf("keyset: %s\n", err);
    }

    CHECK(rc == STRM_OK, "keyset read");

    return ks;
}


static int
same_keys(const strm_tink_keyset_t *a, const strm_tink_keyset_t *b)
{
    size_t                i;
    strm_tink_key_info_t  x, y;

    if (strm_tink_keyset_size(a) != strm_tink_keyset_size(b)
        || strm_tink_keyset_primary(a) != strm_tink_keyset_primary(b)
        || strm_tink_keyset_kind(a) != strm_tink_keyset_kind(b))
    {
        return 0;
    }

    for (i = 0; i < strm_tink_keyset_size(a); i++) {
        if (strm_tink_keyset_key(a, i, &x) != STRM_OK
            || strm_tink_keyset_key(b, i, &y) != STRM_OK
            || x.id != y.id || x.status != y.status || x.prefix != y.prefix
            || x.key_len != y.key_len
            || (x.key_len > 0 && memcmp(x.key, y.key, x.key_len) != 0))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The keyset made of the one key that produced ct (its prefix, or the
 * RAW key), as primary: its encryption must give ct again.
 */

static strm_tink_keyset_t *
key_of(const strm_tink_keyset_t *ks, const unsigned char *ct, size_t len)
{
    size_t                i;
    uint32_t              id;
    strm_tink_keyset_t   *one;
    strm_tink_key_info_t  k;

    id = 0;

    if (len >= 5) {
        id = (uint32_t) ct[1] << 24 | (uint32_t) ct[2] << 16
             | (uint32_t) ct[3] << 8 | ct[4];
    }

    for (i = 0; i < strm_tink_keyset_size(ks); i++) {
        strm_tink_keyset_key(ks, i, &k);

        if (k.prefix == STRM_TINK_RAW || k.id == id) {
            break;
        }
    }

    if (i == strm_tink_keyset_size(ks)) {
        return NULL;
    }

    one = strm_tink_keyset_new(strm_tink_keyset_kind(ks));

    if (one == NULL
        || strm_tink_keyset_add(one, k.id, k.status, k.prefix, k.key,
                                k.key_len, 1) != STRM_OK)
    {
        exit(2);
    }

    return one;
}


/* one vector: returns 1 when valid */

static int
vector(strm_tink_keyset_t *ks, json_t *t, const char *what)
{
    int                  good;
    size_t               adlen, ptlen, ctlen, blen, n;
    const char          *b64, *res;
    strm_rc_t            rc;
    unsigned char       *ad, *pt, *ct, *out, *bin;
    strm_tink_keyset_t  *one;

    res = json_string_value(json_object_get(t, "result"));
    good = (res == NULL || strcmp(res, "valid") == 0);

    ad = unhex(json_string_value(json_object_get(t, "associated_data_hex")),
               &adlen);
    ct = unhex(json_string_value(json_object_get(t, "ciphertext_hex")),
               &ctlen);

    b64 = json_string_value(json_object_get(t, "ciphertext_b64"));
    bin = malloc(strm_b64_decoded_len(strlen(b64)) + 1);
    CHECK(bin != NULL && strm_b64_decode(bin, &blen, (unsigned char *) b64,
                                         strlen(b64)) == STRM_OK
          && blen == ctlen && memcmp(bin, ct, ctlen) == 0,
          "ciphertext_b64 = ciphertext_hex");
    free(bin);

    out = malloc(ctlen + 64);
    if (out == NULL) {
        exit(2);
    }

    rc = strm_tink_decrypt(ks, ad, adlen, ct, ctlen, out, &n);

    if (!good) {
        CHECK(rc == STRM_E_BAD_REQUEST, what);
        goto done;
    }

    pt = unhex(json_string_value(json_object_get(t, "plaintext_hex")),
               &ptlen);

    CHECK(rc == STRM_OK && n == ptlen && memcmp(out, pt, n) == 0, what);

    one = key_of(ks, ct, ctlen);
    CHECK(one != NULL, "the key of a ciphertext");

    if (one != NULL) {
        CHECK(strm_tink_ciphertext_len(one, ptlen) == ctlen, what);
        rc = strm_tink_encrypt(one, ad, adlen, pt, ptlen, out, &n);
        CHECK(rc == STRM_OK && n == ctlen && memcmp(out, ct, n) == 0, what);
        strm_tink_keyset_free(one);
    }

    /* the primary key's ciphertexts also come from the whole keyset */
    if (ctlen >= 5 && ct[0] == 0x01
        && ((uint32_t) ct[1] << 24 | (uint32_t) ct[2] << 16
            | (uint32_t) ct[3] << 8 | ct[4]) == strm_tink_keyset_primary(ks))
    {
        rc = strm_tink_encrypt(ks, ad, adlen, pt, ptlen, out, &n);
        CHECK(rc == STRM_OK && n == ctlen && memcmp(out, ct, n) == 0, what);
    }

    free(pt);

done:

    free(out);
    free(ad);
    free(ct);

    return good;
}


static void
roundtrip_json(strm_tink_keyset_t *ks, const char *what)
{
    char                *s, *s2;
    size_t               len, len2;
    strm_rc_t            rc;
    strm_tink_keyset_t  *back;
    char                 err[256];

    rc = strm_tink_keyset_write_json(ks, &s, &len);
    CHECK(rc == STRM_OK && strlen(s) == len, what);

    back = NULL;
    rc = strm_tink_keyset_read_json(s, len, &back, err, sizeof(err));
    CHECK(rc == STRM_OK && same_keys(ks, back), what);

    if (back != NULL) {
        rc = strm_tink_keyset_write_json(back, &s2, &len2);
        CHECK(rc == STRM_OK && len2 == len && memcmp(s, s2, len) == 0,
              what);
        strm_tink_secret_free(s2, len2);
        strm_tink_keyset_free(back);
    }

    strm_tink_secret_free(s, len);
}


static void
test_published(void)
{
    int                  n;
    size_t               i, klen;
    json_t              *root, *v;
    unsigned char       *key;
    strm_tink_keyset_t  *ks;
    strm_tink_key_info_t k;
    char                 what[256];

    root = load("tink_published_daead_vectors.json");
    n = 0;

    json_array_foreach(json_object_get(root, "vectors"), i, v) {
        snprintf(what, sizeof(what), "published: %s",
                 json_string_value(json_object_get(v, "name")));

        ks = keyset(json_object_get(v, "keyset"));
        if (ks == NULL) {
            continue;
        }

        if (json_object_get(v, "key_hex") != NULL) {
            key = unhex(json_string_value(json_object_get(v, "key_hex")),
                        &klen);
            CHECK(strm_tink_keyset_key(ks, 0, &k) == STRM_OK
                  && k.key_len == klen && memcmp(k.key, key, klen) == 0,
                  "key bytes from keyData.value");
            free(key);
        }

        n += vector(ks, v, what);
        roundtrip_json(ks, what);
        strm_tink_keyset_free(ks);
    }

    CHECK(n == 5, "5 published vectors");
    printf("tink published: %d vectors\n", n);

    json_decref(root);
}


static void
test_generated(void)
{
    int                  valid, invalid, r;
    size_t               i;
    json_t              *root, *t, *j;
    const char          *name, *comment;
    strm_tink_keyset_t  *ks[4];
    char                 what[256];

    static const char  *names[] = {
        "single_tink", "single_legacy", "single_raw", "multi"
    };

    root = load("tink_go_generated_daead.json");

    for (i = 0; i < 4; i++) {
        ks[i] = keyset(json_object_get(json_object_get(root, "keysets"),
                                       names[i]));
        if (ks[i] == NULL) {
            exit(1);
        }

        roundtrip_json(ks[i], names[i]);
    }

    CHECK(strm_tink_keyset_size(ks[3]) == 2
          && strm_tink_keyset_primary(ks[3]) == 4084710791u,
          "multi: two keys, primary > 2^31");

    valid = 0;
    invalid = 0;

    json_array_foreach(json_object_get(root, "tests"), i, t) {
        name = json_string_value(json_object_get(t, "keyset"));
        j = json_object_get(t, "comment");
        comment = j ? json_string_value(j) : "";

        snprintf(what, sizeof(what), "generated %zu (%s) %s", i, name,
                 comment);

        for (r = 0; r < 4; r++) {
            if (strcmp(name, names[r]) == 0) {
                break;
            }
        }

        CHECK(r < 4, "known keyset");

        if (r == 4) {
            continue;
        }

        if (vector(ks[r], t, what)) {
            valid++;

        } else {
            invalid++;
        }
    }

    CHECK(valid == 65 && invalid == 8, "73 generated vectors");
    printf("tink generated: %d vectors (%d valid, %d invalid)\n",
           valid + invalid, valid, invalid);

    for (i = 0; i < 4; i++) {
        strm_tink_keyset_free(ks[i]);
    }

    json_decref(root);
}


static void
test_encrypted(void)
{
    char                *s, *json;
    size_t               adlen, clen, plen, plen2, len;
    json_t              *root, *enc, *entry;
    uint32_t             id;
    strm_rc_t            rc;
    const char          *b64;
    unsigned char       *ad, *ct, *pt, *pt2;
    strm_tink_keyset_t  *kek, *kek2, *kek3, *want, *got;
    strm_tink_key_info_t k;
    char                 err[256];

    root = load("tink_go_generated_daead.json");
    enc = json_object_get(root, "encrypted_keysets");

    kek = keyset(json_object_get(enc, "kek_keyset"));
    want = keyset(json_object_get(json_object_get(root, "keysets"),
                                  "single_tink"));
    if (kek == NULL || want == NULL) {
        exit(1);
    }

    CHECK(strm_tink_keyset_kind(kek) == STRM_TINK_AEAD
          && strm_tink_keyset_key(kek, 0, &k) == STRM_OK && k.key_len == 32,
          "kek: an AES-256-GCM keyset");
    roundtrip_json(kek, "kek json round trip");

    ad = unhex(json_string_value(json_object_get(enc,
                                                 "associated_data_hex")),
               &adlen);

    /* tink-go's encrypted keysets, right and wrong associated data */

    entry = json_object_get(enc, "no_associated_data");
    json = json_dumps(entry, JSON_COMPACT);

    got = NULL;
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek, NULL,
                                              0, &got, err, sizeof(err));
    CHECK(rc == STRM_OK && same_keys(got, want), "encrypted keyset, no ad");
    strm_tink_keyset_free(got);

    got = NULL;
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek, ad,
                                              adlen, &got, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST && got == NULL,
          "encrypted keyset, an ad it was not made with");
    free(json);

    entry = json_object_get(enc, "with_associated_data");
    json = json_dumps(entry, JSON_COMPACT);

    got = NULL;
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek, ad,
                                              adlen, &got, err, sizeof(err));
    CHECK(rc == STRM_OK && same_keys(got, want), "encrypted keyset, ad");
    strm_tink_keyset_free(got);

    got = NULL;
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek, NULL,
                                              0, &got, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted keyset, ad missing");

    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek,
                                              (unsigned char *) "tenant-43",
                                              9, &got, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted keyset, wrong ad");

    /* a wrong KEK: another key; the same key under another key id */
    kek2 = strm_tink_keyset_new(STRM_TINK_AEAD);
    CHECK(kek2 != NULL && strm_tink_keyset_add_random(kek2, &id) == STRM_OK,
          "random kek");
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek2, ad,
                                              adlen, &got, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted keyset, wrong kek");

    strm_tink_keyset_key(kek, 0, &k);
    kek3 = strm_tink_keyset_new(STRM_TINK_AEAD);
    CHECK(kek3 != NULL
          && strm_tink_keyset_add(kek3, k.id + 1, STRM_TINK_ENABLED,
                                  STRM_TINK_TINK, k.key, k.key_len, 1)
             == STRM_OK, "kek under another id");
    rc = strm_tink_keyset_read_encrypted_json(json, strlen(json), kek3, ad,
                                              adlen, &got, err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted keyset, kek id differs");
    strm_tink_keyset_free(kek3);

    /* our Keyset proto is byte for byte tink-go's */
    b64 = json_string_value(json_object_get(entry, "encryptedKeyset"));
    ct = malloc(strm_b64_decoded_len(strlen(b64)));
    CHECK(strm_b64_decode(ct, &clen, (unsigned char *) b64, strlen(b64))
          == STRM_OK, "encryptedKeyset base64");
    CHECK(ct[0] == 0x01 && strm_tink_unwrap(kek, ad, adlen, ct, clen, &pt,
                                            &plen) == STRM_OK,
          "unwrap tink-go's keyset");
    CHECK(strm_tink_unwrap(kek, NULL, 0, ct, clen, &pt2, &plen2)
          == STRM_E_BAD_REQUEST, "unwrap without the ad");

    ct[clen - 1] ^= 1;
    CHECK(strm_tink_unwrap(kek, ad, adlen, ct, clen, &pt2, &plen2)
          == STRM_E_BAD_REQUEST, "unwrap, tag bit flipped");
    ct[20] ^= 1;
    ct[clen - 1] ^= 1;
    CHECK(strm_tink_unwrap(kek, ad, adlen, ct, clen, &pt2, &plen2)
          == STRM_E_BAD_REQUEST, "unwrap, ciphertext bit flipped");
    CHECK(strm_tink_unwrap(kek, ad, adlen, ct, 5 + 12 + 15, &pt2, &plen2)
          == STRM_E_BAD_REQUEST, "unwrap, too short");
    CHECK(strm_tink_unwrap(want, ad, adlen, ct, clen, &pt2, &plen2)
          == STRM_E_INTERNAL, "unwrap with a daead keyset refused");
    free(ct);

    rc = strm_tink_keyset_to_proto(want, &pt2, &plen2);
    CHECK(rc == STRM_OK && plen2 == plen && memcmp(pt, pt2, plen) == 0,
          "Keyset proto identical to tink-go's");
    strm_tink_secret_free(pt2, plen2);
    strm_tink_secret_free(pt, plen);
    free(json);

    /* ours: write encrypted, read back, with and without ad */
    rc = strm_tink_keyset_write_encrypted_json(want, kek, ad, adlen, &s,
                                               &len);
    CHECK(rc == STRM_OK && strlen(s) == len
          && strstr(s, "\"keysetInfo\"") != NULL
          && strstr(s, "\"keyId\":3396989203") != NULL,
          "write encrypted keyset");

    got = NULL;
    rc = strm_tink_keyset_read_encrypted_json(s, len, kek, ad, adlen, &got,
                                              err, sizeof(err));
    CHECK(rc == STRM_OK && same_keys(got, want), "encrypted round trip, ad");
    strm_tink_keyset_free(got);

    rc = strm_tink_keyset_read_encrypted_json(s, len, kek, NULL, 0, &got,
                                              err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted round trip, ad missing");
    rc = strm_tink_keyset_read_encrypted_json(s, len, kek2, ad, adlen, &got,
                                              err, sizeof(err));
    CHECK(rc == STRM_E_BAD_REQUEST, "encrypted round trip, wrong kek");
    free(s);

    rc = strm_tink_keyset_write_encrypted_json(want, kek, NULL, 0, &s, &len);
    got = NULL;
    CHECK(rc == STRM_OK
          && strm_tink_keyset_read_encrypted_json(s, len, kek, NULL, 0, &got,
                                                  err, sizeof(err))
             == STRM_OK && same_keys(got, want),
          "encrypted round trip, no ad");
    strm_tink_keyset_free(got);
    free(s);

    CHECK(strm_tink_keyset_write_encrypted_json(want, want, NULL, 0, &s,
                                                &len) == STRM_E_INTERNAL,
          "a daead keyset is no kek");

    free(ad);
    strm_tink_keyset_free(kek2);
    strm_tink_keyset_free(kek);
    strm_tink_keyset_free(want);
    json_decref(root);
}


static void
test_fresh(void)
{
    int                  i;
    size_t               n, len, wlen, ulen;
    uint32_t             id, id2;
    strm_tink_keyset_t  *ks, *kek;
    strm_tink_key_info_t k;
    unsigned char        key[64], ct[128], out[128];
    unsigned char       *w, *w2, *u;

    ks = strm_tink_keyset_new(STRM_TINK_DAEAD);
    CHECK(ks != NULL && strm_tink_keyset_add_random(ks, &id) == STRM_OK,
          "fresh daead keyset");

    if (ks == NULL) {
        return;
    }

    CHECK(strm_tink_keyset_primary(ks) == id
          && strm_tink_keyset_key(ks, 0, &k) == STRM_OK && k.key_len == 64
          && k.prefix == STRM_TINK_TINK && k.status == STRM_TINK_ENABLED,
          "fresh key: 64 bytes, TINK, ENABLED, primary");

    CHECK(strm_tink_encrypt(ks, (unsigned char *) "email", 5,
                            (unsigned char *) "bob@example.com", 15, ct, &n)
          == STRM_OK && n == 5 + 16 + 15 && ct[0] == 0x01
          && ct[1] == (id >> 24) && ct[4] == (id & 0xff),
          "fresh key encrypts with the TINK prefix");
    CHECK(strm_tink_decrypt(ks, (unsigned char *) "email", 5, ct, n, out,
                            &len) == STRM_OK
          && len == 15 && memcmp(out, "bob@example.com", 15) == 0,
          "fresh key decrypts");
    roundtrip_json(ks, "fresh keyset json");

    /* rotation: a second key becomes primary, the first still decrypts */
    CHECK(strm_tink_keyset_add_random(ks, &id2) == STRM_OK && id2 != id
          && strm_tink_keyset_primary(ks) == id2, "rotation");
    CHECK(strm_tink_decrypt(ks, (unsigned char *) "email", 5, ct, n, out,
                            &len) == STRM_OK, "old key after rotation");

    /* a DISABLED key decrypts nothing */
    strm_tink_keyset_key(ks, 0, &k);
    memcpy(key, k.key, 64);
    strm_tink_keyset_free(ks);

    ks = strm_tink_keyset_new(STRM_TINK_DAEAD);
    CHECK(strm_tink_keyset_add(ks, 7, STRM_TINK_ENABLED, STRM_TINK_TINK,
                               key, 64, 1) == STRM_OK
          && strm_tink_keyset_add(ks, id, STRM_TINK_DISABLED,
                                  STRM_TINK_TINK, key, 64, 0) == STRM_OK,
          "disabled key added");
    CHECK(strm_tink_decrypt(ks, (unsigned char *) "email", 5, ct, n, out,
                            &len) == STRM_E_BAD_REQUEST,
          "a DISABLED key does not decrypt");
    CHECK(strm_tink_keyset_add(ks, 8, STRM_TINK_DISABLED, STRM_TINK_TINK,
                               key, 64, 1) == STRM_E_BAD_REQUEST,
          "a DISABLED key cannot be primary");
    CHECK(strm_tink_keyset_add(ks, 9, STRM_TINK_ENABLED, STRM_TINK_TINK,
                               key, 32, 0) == STRM_E_BAD_REQUEST,
          "an AES-SIV key is 64 bytes");
    CHECK(strm_tink_keyset_add(ks, 10, STRM_TINK_DESTROYED, STRM_TINK_RAW,
                               NULL, 0, 0) == STRM_OK,
          "a DESTROYED key has no bytes");
    roundtrip_json(ks, "keyset with disabled and destroyed keys");
    strm_tink_keyset_free(ks);

    /* the KEK: wrap a 64-byte key at rest */
    kek = strm_tink_keyset_new(STRM_TINK_AEAD);
    CHECK(kek != NULL && strm_tink_keyset_add_random(kek, NULL) == STRM_OK,
          "fresh kek");

    for (i = 0; i < 64; i++) {
        key[i] = (unsigned char) (i * 13);
    }

    CHECK(strm_tink_wrap(kek, (unsigned char *) "link-1", 6, key, 64, &w,
                         &wlen) == STRM_OK && wlen == 5 + 12 + 64 + 16,
          "wrap");
    CHECK(strm_tink_wrap(kek, (unsigned char *) "link-1", 6, key, 64, &w2,
                         &ulen) == STRM_OK && memcmp(w, w2, wlen) != 0,
          "wrapping is randomized");
    free(w2);
    CHECK(strm_tink_unwrap(kek, (unsigned char *) "link-1", 6, w, wlen, &u,
                           &ulen) == STRM_OK
          && ulen == 64 && memcmp(u, key, 64) == 0, "unwrap");
    strm_tink_secret_free(u, ulen);
    CHECK(strm_tink_unwrap(kek, (unsigned char *) "link-2", 6, w, wlen, &u,
                           &ulen) == STRM_E_BAD_REQUEST, "unwrap, wrong ad");
    free(w);

    CHECK(strm_tink_wrap(kek, NULL, 0, NULL, 0, &w, &wlen) == STRM_OK
          && strm_tink_unwrap(kek, NULL, 0, w, wlen, &u, &ulen) == STRM_OK
          && ulen == 0, "wrap nothing");
    free(w);
    free(u);

    roundtrip_json(kek, "fresh kek json");
    strm_tink_keyset_free(kek);
}


static void
test_malformed(void)
{
    size_t               i, len, plen, n;
    strm_rc_t            rc;
    unsigned char       *p;
    strm_tink_keyset_t  *ks, *got;
    char                 err[256];

    static const char  *bad[] = {
        "",
        "[]",
        "{\"primaryKeyId\":1,\"key\":[]}",
        "{\"primaryKeyId\":1}",
        /* primary not among the keys */
        "{\"primaryKeyId\":2,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesSivKey\",\"value\":"
        "\"EkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAA\",\"keyMaterialType\":\"SYMMETRIC\"},"
        "\"status\":\"ENABLED\",\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}",
        /* a 32-byte AES-SIV key */
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesSivKey\",\"value\":"
        "\"EiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}",
        /* an unknown key type */
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.HmacKey\",\"value\":"
        "\"EiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}",
        /* key id out of range, negative, a status unknown, not base64 */
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesGcmKey\",\"value\":"
        "\"GiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":4294967296,\"outputPrefixType\":\"TINK\"}]}",
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesGcmKey\",\"value\":"
        "\"GiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":-1,\"outputPrefixType\":\"TINK\"}]}",
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesGcmKey\",\"value\":"
        "\"GiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLEDX\","
        "\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}",
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesGcmKey\",\"value\":"
        "\"GiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}"
    };

    /* the last good one once fixed: the padding */
    static const char  good[] =
        "{\"primaryKeyId\":1,\"key\":[{\"keyData\":{\"typeUrl\":"
        "\"type.googleapis.com/google.crypto.tink.AesGcmKey\",\"value\":"
        "\"GiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\","
        "\"keyMaterialType\":\"SYMMETRIC\"},\"status\":\"ENABLED\","
        "\"keyId\":1,\"outputPrefixType\":\"TINK\"}]}";

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ks = NULL;
        err[0] = '\0';
        rc = strm_tink_keyset_read_json(bad[i], strlen(bad[i]), &ks, err,
                                        sizeof(err));
        CHECK(rc == STRM_E_BAD_REQUEST && ks == NULL && err[0] != '\0',
              "malformed keyset refused with a reason");
    }

    ks = NULL;
    CHECK(strm_tink_keyset_read_json(good, strlen(good), &ks, err,
                                     sizeof(err)) == STRM_OK
          && strm_tink_keyset_kind(ks) == STRM_TINK_AEAD,
          "AES-GCM keyset");

    /* every strict prefix of a Keyset proto is refused, none crashes */
    CHECK(strm_tink_keyset_to_proto(ks, &p, &plen) == STRM_OK, "to proto");

    n = 0;

    for (len = 0; len < plen; len++) {
        got = NULL;
        rc = strm_tink_keyset_from_proto(p, len, &got, err, sizeof(err));
        n += (rc == STRM_E_BAD_REQUEST && got == NULL);
    }

    CHECK(n == plen, "truncated protos refused");

    got = NULL;
    CHECK(strm_tink_keyset_from_proto(p, plen, &got, err, sizeof(err))
          == STRM_OK && same_keys(ks, got), "proto round trip");
    strm_tink_keyset_free(got);

    /* an overlong length, a group, field 0 */
    p[3] = 0xff;
    CHECK(strm_tink_keyset_from_proto(p, plen, &got, err, sizeof(err))
          == STRM_E_BAD_REQUEST, "proto with a bad length");
    CHECK(strm_tink_keyset_from_proto((unsigned char *) "\x0b", 1, &got,
                                      err, sizeof(err))
          == STRM_E_BAD_REQUEST, "proto with a group");
    CHECK(strm_tink_keyset_from_proto((unsigned char *) "\x00\x01", 2, &got,
                                      err, sizeof(err))
          == STRM_E_BAD_REQUEST, "proto with field 0");

    strm_tink_secret_free(p, plen);
    strm_tink_keyset_free(ks);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        data = argv[1];
    }

    test_published();
    test_generated();
    test_encrypted();
    test_fresh();
    test_malformed();

    return UNIT_DONE();
}
