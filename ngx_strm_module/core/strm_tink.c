
/*
 * Copyright (C) ngx_strm authors
 */


#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "strm_b64.h"
#include "strm_proto.h"
#include "strm_siv.h"
#include "strm_tink.h"


#define STRM_TINK_GCM_IV       12
#define STRM_TINK_GCM_TAG      16
#define STRM_TINK_MAX_KEY      64

/* KeyData.key_material_type SYMMETRIC */
#define STRM_TINK_SYMMETRIC    1


typedef struct {
    uint32_t             id;
    strm_tink_status_e   status;
    strm_tink_prefix_e   prefix;
    size_t               key_len;
    strm_siv_t          *siv;
    EVP_CIPHER_CTX      *gcm;
    unsigned char        key[STRM_TINK_MAX_KEY];
} strm_tink_key_t;


struct strm_tink_keyset_s {
    strm_tink_kind_e     kind;          /* 0 until the first key */
    strm_tink_key_t     *primary;
    size_t               nkeys;
    size_t               nalloc;
    strm_tink_key_t    **keys;
};


/* one key as read from JSON or from a proto, before it is checked */
typedef struct {
    const char          *url;
    size_t               url_len;
    const unsigned char *value;
    size_t               value_len;
    uint64_t             material;
    uint64_t             status;
    uint64_t             id;
    uint64_t             prefix;
    int                  has_data;
} strm_tink_raw_key_t;


static void strm_tink_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void strm_tink_key_free(strm_tink_key_t *k);
static strm_tink_key_t *strm_tink_keyset_find(const strm_tink_keyset_t *ks,
    uint32_t id);
static size_t strm_tink_prefix_write(const strm_tink_key_t *k,
    unsigned char *out);
static strm_rc_t strm_tink_key_encrypt(strm_tink_kind_e kind,
    strm_tink_key_t *k, const unsigned char *ad, size_t adlen,
    const unsigned char *pt, size_t len, unsigned char *out, size_t *outlen);
static strm_rc_t strm_tink_key_decrypt(strm_tink_kind_e kind,
    strm_tink_key_t *k, const unsigned char *ad, size_t adlen,
    const unsigned char *ct, size_t len, unsigned char *out, size_t *outlen);
static const char *strm_tink_url(strm_tink_kind_e kind);
static const char *strm_tink_status_name(strm_tink_status_e status);
static const char *strm_tink_prefix_name(strm_tink_prefix_e prefix);
static int strm_tink_name_value(const char *name, const char **names,
    int n);
static strm_rc_t strm_tink_add_raw(strm_tink_keyset_t *ks,
    strm_tink_raw_key_t *rk, char *err, size_t errlen);
static strm_rc_t strm_tink_check(strm_tink_keyset_t *ks, uint64_t primary,
    char *err, size_t errlen);
static void strm_tink_pb_key_data(strm_proto_out_t *w, strm_tink_kind_e kind,
    const strm_tink_key_t *k);
static void strm_tink_pb_key(strm_proto_out_t *w, strm_tink_kind_e kind,
    const strm_tink_key_t *k);
static strm_rc_t strm_tink_parse_key(const unsigned char *p, size_t len,
    strm_tink_raw_key_t *rk);
static strm_rc_t strm_tink_parse_key_value(strm_tink_kind_e kind,
    const unsigned char *p, size_t len, const unsigned char **key,
    size_t *klen);
static strm_rc_t strm_tink_json_uint32(json_t *j, int required,
    uint64_t *v);
static void strm_tink_json_wipe(json_t *j);


static const char  *strm_tink_status_names[] = {
    NULL, "ENABLED", "DISABLED", "DESTROYED"
};

static const char  *strm_tink_prefix_names[] = {
    NULL, "TINK", "LEGACY", "RAW", "CRUNCHY"
};


strm_tink_keyset_t *
strm_tink_keyset_new(strm_tink_kind_e kind)
{
    strm_tink_keyset_t  *ks;

    ks = calloc(1, sizeof(strm_tink_keyset_t));
    if (ks == NULL) {
        return NULL;
    }

    ks->kind = kind;

    return ks;
}


void
strm_tink_keyset_free(strm_tink_keyset_t *ks)
{
    size_t  i;

    if (ks == NULL) {
        return;
    }

    for (i = 0; i < ks->nkeys; i++) {
        strm_tink_key_free(ks->keys[i]);
    }

    free(ks->keys);
    free(ks);
}


strm_rc_t
strm_tink_keyset_add(strm_tink_keyset_t *ks, uint32_t id,
    strm_tink_status_e status, strm_tink_prefix_e prefix,
    const unsigned char *key, size_t len, int primary)
{
    int                 ok;
    size_t              n;
    EVP_CIPHER         *cipher;
    strm_tink_key_t    *k, **keys;

    if (status < STRM_TINK_ENABLED || status > STRM_TINK_DESTROYED
        || prefix < STRM_TINK_TINK || prefix > STRM_TINK_CRUNCHY
        || (primary && status != STRM_TINK_ENABLED))
    {
        return STRM_E_BAD_REQUEST;
    }

    if (status == STRM_TINK_DESTROYED) {
        key = NULL;
        len = 0;

    } else if (key == NULL
               || (ks->kind == STRM_TINK_DAEAD && len != 64)
               || (ks->kind == STRM_TINK_AEAD && len != 16 && len != 32)
               || (ks->kind != STRM_TINK_DAEAD && ks->kind != STRM_TINK_AEAD))
    {
        return STRM_E_BAD_REQUEST;
    }

    if (ks->nkeys == ks->nalloc) {
        /* an array of pointers: growing it copies no key bytes */
        n = ks->nalloc ? 2 * ks->nalloc : 4;

        keys = realloc(ks->keys, n * sizeof(strm_tink_key_t *));
        if (keys == NULL) {
            return STRM_E_NOMEM;
        }

        ks->keys = keys;
        ks->nalloc = n;
    }

    k = calloc(1, sizeof(strm_tink_key_t));
    if (k == NULL) {
        return STRM_E_NOMEM;
    }

    k->id = id;
    k->status = status;
    k->prefix = prefix;
    k->key_len = len;

    if (len > 0) {
        memcpy(k->key, key, len);
    }

    /* only ENABLED keys are ever used: only they get a keyed context */

    if (status == STRM_TINK_ENABLED && ks->kind == STRM_TINK_DAEAD) {
        k->siv = strm_siv_new(key, len);
        if (k->siv == NULL) {
            goto failed;
        }

    } else if (status == STRM_TINK_ENABLED) {
        cipher = EVP_CIPHER_fetch(NULL, len == 16 ? "AES-128-GCM"
                                                  : "AES-256-GCM", NULL);
        if (cipher == NULL) {
            goto failed;
        }

        k->gcm = EVP_CIPHER_CTX_new();

        ok = k->gcm != NULL
             && EVP_EncryptInit_ex2(k->gcm, cipher, key, NULL, NULL) == 1;

        EVP_CIPHER_free(cipher);

        if (!ok) {
            goto failed;
        }
    }

    ks->keys[ks->nkeys++] = k;

    if (primary || (ks->primary == NULL && status == STRM_TINK_ENABLED)) {
        ks->primary = k;
    }

    return STRM_OK;

failed:

    strm_tink_key_free(k);

    return STRM_E_INTERNAL;
}


strm_rc_t
strm_tink_keyset_add_random(strm_tink_keyset_t *ks, uint32_t *id)
{
    size_t         len;
    uint32_t       kid;
    strm_rc_t      rc;
    unsigned char  key[STRM_TINK_MAX_KEY];

    len = (ks->kind == STRM_TINK_DAEAD) ? 64 : 32;

    do {
        if (RAND_bytes((unsigned char *) &kid, sizeof(kid)) != 1) {
            return STRM_E_INTERNAL;
        }

    } while (kid == 0 || strm_tink_keyset_find(ks, kid) != NULL);

    if (RAND_bytes(key, (int) len) != 1) {
        return STRM_E_INTERNAL;
    }

    rc = strm_tink_keyset_add(ks, kid, STRM_TINK_ENABLED, STRM_TINK_TINK,
                              key, len, 1);

    OPENSSL_cleanse(key, sizeof(key));

    if (rc == STRM_OK && id != NULL) {
        *id = kid;
    }

    return rc;
}


strm_tink_kind_e
strm_tink_keyset_kind(const strm_tink_keyset_t *ks)
{
    return ks->kind;
}


uint32_t
strm_tink_keyset_primary(const strm_tink_keyset_t *ks)
{
    return ks->primary ? ks->primary->id : 0;
}


size_t
strm_tink_keyset_size(const strm_tink_keyset_t *ks)
{
    return ks->nkeys;
}


strm_rc_t
strm_tink_keyset_key(const strm_tink_keyset_t *ks, size_t i,
    strm_tink_key_info_t *info)
{
    strm_tink_key_t  *k;

    if (i >= ks->nkeys) {
        return STRM_E_NOT_FOUND;
    }

    k = ks->keys[i];

    info->id = k->id;
    info->status = k->status;
    info->prefix = k->prefix;
    info->key = k->key_len ? k->key : NULL;
    info->key_len = k->key_len;

    return STRM_OK;
}


size_t
strm_tink_ciphertext_len(const strm_tink_keyset_t *ks, size_t len)
{
    size_t  n;

    n = (ks->primary && ks->primary->prefix != STRM_TINK_RAW)
        ? STRM_TINK_PREFIX_LEN : 0;

    if (ks->kind == STRM_TINK_DAEAD) {
        return n + STRM_SIV_BLOCK + len;
    }

    return n + STRM_TINK_GCM_IV + len + STRM_TINK_GCM_TAG;
}


strm_rc_t
strm_tink_encrypt(strm_tink_keyset_t *ks, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char *out,
    size_t *outlen)
{
    size_t     n;
    strm_rc_t  rc;

    if (ks->primary == NULL) {
        return STRM_E_NOT_FOUND;
    }

    n = strm_tink_prefix_write(ks->primary, out);

    rc = strm_tink_key_encrypt(ks->kind, ks->primary, ad, adlen, pt, len,
                               out + n, outlen);

    if (rc == STRM_OK) {
        *outlen += n;
    }

    return rc;
}


strm_rc_t
strm_tink_decrypt(strm_tink_keyset_t *ks, const unsigned char *ad,
    size_t adlen, const unsigned char *ct, size_t len, unsigned char *out,
    size_t *outlen)
{
    size_t            i, n;
    strm_rc_t         rc;
    strm_tink_key_t  *k;
    unsigned char     prefix[STRM_TINK_PREFIX_LEN];

    if (len > STRM_TINK_PREFIX_LEN) {
        for (i = 0; i < ks->nkeys; i++) {
            k = ks->keys[i];

            if (k->status != STRM_TINK_ENABLED
                || k->prefix == STRM_TINK_RAW)
            {
                continue;
            }

            n = strm_tink_prefix_write(k, prefix);

            if (memcmp(prefix, ct, n) != 0) {
                continue;
            }

            rc = strm_tink_key_decrypt(ks->kind, k, ad, adlen, ct + n,
                                       len - n, out, outlen);
            if (rc != STRM_E_BAD_REQUEST) {
                return rc;
            }
        }
    }

    for (i = 0; i < ks->nkeys; i++) {
        k = ks->keys[i];

        if (k->status != STRM_TINK_ENABLED || k->prefix != STRM_TINK_RAW) {
            continue;
        }

        rc = strm_tink_key_decrypt(ks->kind, k, ad, adlen, ct, len, out,
                                   outlen);
        if (rc != STRM_E_BAD_REQUEST) {
            return rc;
        }
    }

    return STRM_E_BAD_REQUEST;
}


strm_rc_t
strm_tink_wrap(strm_tink_keyset_t *kek, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char **out,
    size_t *outlen)
{
    strm_rc_t       rc;
    unsigned char  *p;

    if (kek->kind != STRM_TINK_AEAD) {
        return STRM_E_INTERNAL;
    }

    p = malloc(strm_tink_ciphertext_len(kek, len));
    if (p == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_tink_encrypt(kek, ad, adlen, pt, len, p, outlen);
    if (rc != STRM_OK) {
        free(p);
        return rc;
    }

    *out = p;

    return STRM_OK;
}


strm_rc_t
strm_tink_unwrap(strm_tink_keyset_t *kek, const unsigned char *ad,
    size_t adlen, const unsigned char *ct, size_t len, unsigned char **out,
    size_t *outlen)
{
    strm_rc_t       rc;
    unsigned char  *p;

    if (kek->kind != STRM_TINK_AEAD) {
        return STRM_E_INTERNAL;
    }

    /* one spare byte: malloc(0) may return NULL */
    p = malloc(len + 1);
    if (p == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_tink_decrypt(kek, ad, adlen, ct, len, p, outlen);
    if (rc != STRM_OK) {
        free(p);
        return rc;
    }

    *out = p;

    return STRM_OK;
}


void
strm_tink_secret_free(void *p, size_t len)
{
    if (p == NULL) {
        return;
    }

    OPENSSL_cleanse(p, len);
    free(p);
}


strm_rc_t
strm_tink_keyset_to_proto(const strm_tink_keyset_t *ks, unsigned char **out,
    size_t *len)
{
    int             pass;
    size_t          i;
    strm_proto_out_t   w, kw;

    w.p = NULL;

    for (pass = 0; pass < 2; pass++) {
        w.len = 0;

        strm_proto_uint(&w, 1, strm_tink_keyset_primary(ks));

        for (i = 0; i < ks->nkeys; i++) {
            kw.p = NULL;
            kw.len = 0;
            strm_tink_pb_key(&kw, ks->kind, ks->keys[i]);

            strm_proto_tag(&w, 2, STRM_PROTO_LEN);
            strm_proto_varint(&w, kw.len);
            strm_tink_pb_key(&w, ks->kind, ks->keys[i]);
        }

        if (pass == 0) {
            *len = w.len;

            w.p = malloc(w.len + 1);
            if (w.p == NULL) {
                return STRM_E_NOMEM;
            }

            *out = w.p;
        }
    }

    return STRM_OK;
}


strm_rc_t
strm_tink_keyset_from_proto(const unsigned char *p, size_t len,
    strm_tink_keyset_t **out, char *err, size_t errlen)
{
    int                   rv;
    size_t                dlen;
    uint64_t              v, primary;
    unsigned              field, type;
    strm_rc_t             rc;
    strm_proto_in_t          r;
    strm_tink_keyset_t   *ks;
    strm_tink_raw_key_t   rk;
    const unsigned char  *data;

    ks = strm_tink_keyset_new(0);
    if (ks == NULL) {
        return STRM_E_NOMEM;
    }

    r.p = p;
    r.end = p + len;
    primary = 0;

    for ( ;; ) {
        rv = strm_proto_next(&r, &field, &type, &v, &data, &dlen);

        if (rv == 0) {
            break;
        }

        if (rv < 0) {
            strm_tink_err(err, errlen, "invalid Keyset proto");
            rc = STRM_E_BAD_REQUEST;
            goto failed;
        }

        if (field == 1 && type == STRM_PROTO_VARINT) {
            primary = v;

        } else if (field == 2 && type == STRM_PROTO_LEN) {
            rc = strm_tink_parse_key(data, dlen, &rk);
            if (rc != STRM_OK) {
                strm_tink_err(err, errlen, "key %zu: invalid Key proto",
                              ks->nkeys);
                goto failed;
            }

            rc = strm_tink_add_raw(ks, &rk, err, errlen);
            if (rc != STRM_OK) {
                goto failed;
            }
        }
    }

    rc = strm_tink_check(ks, primary, err, errlen);
    if (rc != STRM_OK) {
        goto failed;
    }

    *out = ks;

    return STRM_OK;

failed:

    strm_tink_keyset_free(ks);

    return rc;
}


strm_rc_t
strm_tink_keyset_read_json(const char *json, size_t len,
    strm_tink_keyset_t **out, char *err, size_t errlen)
{
    size_t                i, vlen;
    json_t               *root, *keys, *jk, *kd, *j;
    uint64_t              primary;
    strm_rc_t             rc;
    const char           *s;
    json_error_t          jerr;
    unsigned char        *value;
    strm_tink_keyset_t   *ks;
    strm_tink_raw_key_t   rk;

    ks = NULL;
    value = NULL;
    vlen = 0;

    root = json_loadb(json, len, 0, &jerr);
    if (root == NULL) {
        strm_tink_err(err, errlen, "invalid JSON: %s", jerr.text);
        return STRM_E_BAD_REQUEST;
    }

    rc = STRM_E_BAD_REQUEST;

    keys = json_object_get(root, "key");

    if (!json_is_object(root) || !json_is_array(keys)) {
        strm_tink_err(err, errlen, "no \"key\" array");
        goto failed;
    }

    if (strm_tink_json_uint32(json_object_get(root, "primaryKeyId"), 0,
                              &primary)
        != STRM_OK)
    {
        strm_tink_err(err, errlen, "invalid \"primaryKeyId\"");
        goto failed;
    }

    ks = strm_tink_keyset_new(0);
    if (ks == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    json_array_foreach(keys, i, jk) {
        memset(&rk, 0, sizeof(rk));

        if (strm_tink_json_uint32(json_object_get(jk, "keyId"), 1, &rk.id)
            != STRM_OK)
        {
            strm_tink_err(err, errlen, "key %zu: invalid \"keyId\"", i);
            goto failed;
        }

        s = json_string_value(json_object_get(jk, "status"));
        rk.status = strm_tink_name_value(s, strm_tink_status_names, 4);

        s = json_string_value(json_object_get(jk, "outputPrefixType"));
        rk.prefix = strm_tink_name_value(s, strm_tink_prefix_names, 5);

        kd = json_object_get(jk, "keyData");

        if (json_is_object(kd)) {
            rk.has_data = 1;

            j = json_object_get(kd, "typeUrl");
            rk.url = json_string_value(j);
            rk.url_len = json_string_length(j);

            s = json_string_value(json_object_get(kd, "keyMaterialType"));
            rk.material = (s != NULL && strcmp(s, "SYMMETRIC") == 0)
                          ? STRM_TINK_SYMMETRIC : 0;

            j = json_object_get(kd, "value");
            s = json_string_value(j);

            if (rk.url == NULL || s == NULL) {
                strm_tink_err(err, errlen, "key %zu: invalid \"keyData\"",
                              i);
                goto failed;
            }

            vlen = strm_b64_decoded_len(json_string_length(j));

            value = malloc(vlen + 1);
            if (value == NULL) {
                rc = STRM_E_NOMEM;
                goto failed;
            }

            if (strm_b64_decode(value, &rk.value_len,
                                (const unsigned char *) s,
                                json_string_length(j))
                != STRM_OK)
            {
                strm_tink_err(err, errlen,
                              "key %zu: \"value\" is not base64", i);
                goto failed;
            }

            rk.value = value;
        }

        rc = strm_tink_add_raw(ks, &rk, err, errlen);

        strm_tink_secret_free(value, vlen);
        value = NULL;

        if (rc != STRM_OK) {
            goto failed;
        }

        rc = STRM_E_BAD_REQUEST;
    }

    rc = strm_tink_check(ks, primary, err, errlen);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_tink_json_wipe(root);
    json_decref(root);

    *out = ks;

    return STRM_OK;

failed:

    strm_tink_secret_free(value, vlen);
    strm_tink_keyset_free(ks);
    strm_tink_json_wipe(root);
    json_decref(root);

    return rc;
}


/*
 * Written by hand, not with jansson: the key bytes then pass through
 * our buffers only, and every one of them is wiped.
 */

strm_rc_t
strm_tink_keyset_write_json(const strm_tink_keyset_t *ks, char **out,
    size_t *len)
{
    int               n;
    char             *buf, *p, *end;
    size_t            i, size, blen;
    strm_rc_t         rc;
    strm_proto_out_t     w;
    strm_tink_key_t  *k;
    unsigned char     value[2 + STRM_TINK_MAX_KEY];
    unsigned char     b64[strm_b64_encoded_len(2 + STRM_TINK_MAX_KEY)];

    /* about 280 bytes per key and 40 around them: room to spare */
    size = 64 + ks->nkeys * (256 + sizeof(b64));

    buf = malloc(size);
    if (buf == NULL) {
        return STRM_E_NOMEM;
    }

    p = buf;
    end = buf + size;
    rc = STRM_E_INTERNAL;

    n = snprintf(p, end - p, "{\"primaryKeyId\":%u,\"key\":[",
                 (unsigned) strm_tink_keyset_primary(ks));
    if (n < 0 || n >= end - p) {
        goto failed;
    }

    p += n;

    for (i = 0; i < ks->nkeys; i++) {
        k = ks->keys[i];

        n = snprintf(p, end - p, "%s{", i > 0 ? "," : "");
        if (n < 0 || n >= end - p) {
            goto failed;
        }

        p += n;

        if (k->key_len > 0) {
            /* AesSivKey.key_value is field 2, AesGcmKey.key_value 3 */
            w.p = value;
            w.len = 0;
            strm_proto_bytes(&w, ks->kind == STRM_TINK_DAEAD ? 2 : 3, k->key,
                          k->key_len);

            blen = strm_b64_encode(b64, value, w.len);

            n = snprintf(p, end - p, "\"keyData\":{\"typeUrl\":\"%s\","
                         "\"value\":\"%.*s\","
                         "\"keyMaterialType\":\"SYMMETRIC\"},",
                         strm_tink_url(ks->kind), (int) blen, b64);

            OPENSSL_cleanse(value, sizeof(value));
            OPENSSL_cleanse(b64, sizeof(b64));

            if (n < 0 || n >= end - p) {
                goto failed;
            }

            p += n;
        }

        n = snprintf(p, end - p, "\"status\":\"%s\",\"keyId\":%u,"
                     "\"outputPrefixType\":\"%s\"}",
                     strm_tink_status_name(k->status), (unsigned) k->id,
                     strm_tink_prefix_name(k->prefix));
        if (n < 0 || n >= end - p) {
            goto failed;
        }

        p += n;
    }

    n = snprintf(p, end - p, "]}");
    if (n < 0 || n >= end - p) {
        goto failed;
    }

    *out = buf;
    *len = p + n - buf;

    return STRM_OK;

failed:

    strm_tink_secret_free(buf, size);

    return rc;
}


strm_rc_t
strm_tink_keyset_read_encrypted_json(const char *json, size_t len,
    strm_tink_keyset_t *kek, const unsigned char *ad, size_t adlen,
    strm_tink_keyset_t **out, char *err, size_t errlen)
{
    size_t           clen, plen;
    json_t          *root, *j;
    strm_rc_t        rc;
    json_error_t     jerr;
    unsigned char   *ct, *pt;

    root = json_loadb(json, len, 0, &jerr);
    if (root == NULL) {
        strm_tink_err(err, errlen, "invalid JSON: %s", jerr.text);
        return STRM_E_BAD_REQUEST;
    }

    j = json_object_get(root, "encryptedKeyset");

    if (!json_is_string(j)) {
        json_decref(root);
        strm_tink_err(err, errlen, "no \"encryptedKeyset\" string");
        return STRM_E_BAD_REQUEST;
    }

    ct = malloc(strm_b64_decoded_len(json_string_length(j)) + 1);
    if (ct == NULL) {
        json_decref(root);
        return STRM_E_NOMEM;
    }

    rc = strm_b64_decode(ct, &clen,
                         (const unsigned char *) json_string_value(j),
                         json_string_length(j));

    json_decref(root);

    if (rc != STRM_OK) {
        free(ct);
        strm_tink_err(err, errlen, "\"encryptedKeyset\" is not base64");
        return rc;
    }

    rc = strm_tink_unwrap(kek, ad, adlen, ct, clen, &pt, &plen);

    free(ct);

    if (rc != STRM_OK) {
        strm_tink_err(err, errlen, "the keyset does not decrypt with this "
                      "key-encryption key and associated data");
        return rc;
    }

    rc = strm_tink_keyset_from_proto(pt, plen, out, err, errlen);

    strm_tink_secret_free(pt, plen);

    return rc;
}


strm_rc_t
strm_tink_keyset_write_encrypted_json(const strm_tink_keyset_t *ks,
    strm_tink_keyset_t *kek, const unsigned char *ad, size_t adlen,
    char **out, size_t *len)
{
    char            *s;
    size_t           i, plen, clen, blen;
    json_t          *root, *info, *infos;
    strm_rc_t        rc;
    unsigned char   *pt, *ct, *b64;
    strm_tink_key_t *k;

    rc = strm_tink_keyset_to_proto(ks, &pt, &plen);
    if (rc != STRM_OK) {
        return rc;
    }

    rc = strm_tink_wrap(kek, ad, adlen, pt, plen, &ct, &clen);

    strm_tink_secret_free(pt, plen);

    if (rc != STRM_OK) {
        return rc;
    }

    b64 = malloc(strm_b64_encoded_len(clen) + 1);
    if (b64 == NULL) {
        free(ct);
        return STRM_E_NOMEM;
    }

    blen = strm_b64_encode(b64, ct, clen);
    free(ct);

    rc = STRM_E_NOMEM;
    s = NULL;

    root = json_object();
    info = json_object();
    infos = json_array();

    if (root == NULL || info == NULL || infos == NULL
        || json_object_set_new(root, "encryptedKeyset",
                               json_stringn((char *) b64, blen)) != 0
        || json_object_set(root, "keysetInfo", info) != 0
        || json_object_set_new(info, "primaryKeyId",
               json_integer(strm_tink_keyset_primary(ks))) != 0
        || json_object_set(info, "keyInfo", infos) != 0)
    {
        goto failed;
    }

    for (i = 0; i < ks->nkeys; i++) {
        k = ks->keys[i];

        if (json_array_append_new(infos, json_pack("{s:s,s:s,s:I,s:s}",
                "typeUrl", strm_tink_url(ks->kind),
                "status", strm_tink_status_name(k->status),
                "keyId", (json_int_t) k->id,
                "outputPrefixType", strm_tink_prefix_name(k->prefix)))
            != 0)
        {
            goto failed;
        }
    }

    s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s == NULL) {
        goto failed;
    }

    /* ours to free with free(), whatever allocator jansson was given */
    *len = strlen(s);
    *out = malloc(*len + 1);

    if (*out != NULL) {
        memcpy(*out, s, *len + 1);
        rc = STRM_OK;
    }

failed:

    free(b64);
    free(s);
    json_decref(infos);
    json_decref(info);
    json_decref(root);

    return rc;
}


static void
strm_tink_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


static void
strm_tink_key_free(strm_tink_key_t *k)
{
    strm_siv_free(k->siv);
    EVP_CIPHER_CTX_free(k->gcm);

    OPENSSL_cleanse(k, sizeof(strm_tink_key_t));
    free(k);
}


static strm_tink_key_t *
strm_tink_keyset_find(const strm_tink_keyset_t *ks, uint32_t id)
{
    size_t  i;

    for (i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i]->id == id) {
            return ks->keys[i];
        }
    }

    return NULL;
}


static size_t
strm_tink_prefix_write(const strm_tink_key_t *k, unsigned char *out)
{
    switch (k->prefix) {
    case STRM_TINK_TINK:
        out[0] = 0x01;
        break;

    case STRM_TINK_LEGACY:
    case STRM_TINK_CRUNCHY:
        out[0] = 0x00;
        break;

    default:
        return 0;
    }

    out[1] = (unsigned char) (k->id >> 24);
    out[2] = (unsigned char) (k->id >> 16);
    out[3] = (unsigned char) (k->id >> 8);
    out[4] = (unsigned char) k->id;

    return STRM_TINK_PREFIX_LEN;
}


static strm_rc_t
strm_tink_key_encrypt(strm_tink_kind_e kind, strm_tink_key_t *k,
    const unsigned char *ad, size_t adlen, const unsigned char *pt,
    size_t len, unsigned char *out, size_t *outlen)
{
    int             n, m;
    unsigned char  *c;

    if (kind == STRM_TINK_DAEAD) {
        *outlen = STRM_SIV_BLOCK + len;
        return strm_siv_encrypt(k->siv, ad, adlen, pt, len, out);
    }

    if (len > INT_MAX - 64 || adlen > INT_MAX) {
        return STRM_E_TOO_LARGE;
    }

    /* a random 96-bit IV per message, as Tink's AES-GCM */
    if (RAND_bytes(out, STRM_TINK_GCM_IV) != 1) {
        return STRM_E_INTERNAL;
    }

    c = out + STRM_TINK_GCM_IV;

    if (EVP_EncryptInit_ex2(k->gcm, NULL, NULL, out, NULL) != 1
        || (adlen > 0
            && EVP_EncryptUpdate(k->gcm, NULL, &n, ad, (int) adlen) != 1)
        || EVP_EncryptUpdate(k->gcm, c, &n, pt, (int) len) != 1
        || EVP_EncryptFinal_ex(k->gcm, c + n, &m) != 1
        || (size_t) (n + m) != len
        || EVP_CIPHER_CTX_ctrl(k->gcm, EVP_CTRL_AEAD_GET_TAG,
                               STRM_TINK_GCM_TAG, c + len) != 1)
    {
        return STRM_E_INTERNAL;
    }

    *outlen = STRM_TINK_GCM_IV + len + STRM_TINK_GCM_TAG;

    return STRM_OK;
}


/* STRM_E_BAD_REQUEST: not this key's ciphertext (out is wiped) */

static strm_rc_t
strm_tink_key_decrypt(strm_tink_kind_e kind, strm_tink_key_t *k,
    const unsigned char *ad, size_t adlen, const unsigned char *ct,
    size_t len, unsigned char *out, size_t *outlen)
{
    int                   n, m;
    size_t                plen;
    strm_rc_t             rc;
    const unsigned char  *c;

    if (kind == STRM_TINK_DAEAD) {
        if (len < STRM_SIV_BLOCK) {
            return STRM_E_BAD_REQUEST;
        }

        rc = strm_siv_decrypt(k->siv, ad, adlen, ct, len, out);

        if (rc == STRM_OK) {
            *outlen = len - STRM_SIV_BLOCK;
        }

        return rc;
    }

    if (len < STRM_TINK_GCM_IV + STRM_TINK_GCM_TAG) {
        return STRM_E_BAD_REQUEST;
    }

    if (len > INT_MAX || adlen > INT_MAX) {
        return STRM_E_TOO_LARGE;
    }

    plen = len - STRM_TINK_GCM_IV - STRM_TINK_GCM_TAG;
    c = ct + STRM_TINK_GCM_IV;

    if (EVP_DecryptInit_ex2(k->gcm, NULL, NULL, ct, NULL) != 1
        || (adlen > 0
            && EVP_DecryptUpdate(k->gcm, NULL, &n, ad, (int) adlen) != 1)
        || EVP_DecryptUpdate(k->gcm, out, &n, c, (int) plen) != 1
        || EVP_CIPHER_CTX_ctrl(k->gcm, EVP_CTRL_AEAD_SET_TAG,
                               STRM_TINK_GCM_TAG, (void *) (c + plen)) != 1)
    {
        rc = STRM_E_INTERNAL;
        goto failed;
    }

    /* the tag is compared by OpenSSL, in constant time */
    if (EVP_DecryptFinal_ex(k->gcm, out + n, &m) != 1
        || (size_t) (n + m) != plen)
    {
        rc = STRM_E_BAD_REQUEST;
        goto failed;
    }

    *outlen = plen;

    return STRM_OK;

failed:

    if (plen > 0) {
        OPENSSL_cleanse(out, plen);
    }

    return rc;
}


static const char *
strm_tink_url(strm_tink_kind_e kind)
{
    return kind == STRM_TINK_DAEAD ? STRM_TINK_AESSIV_URL
                                   : STRM_TINK_AESGCM_URL;
}


static const char *
strm_tink_status_name(strm_tink_status_e status)
{
    return strm_tink_status_names[status];
}


static const char *
strm_tink_prefix_name(strm_tink_prefix_e prefix)
{
    return strm_tink_prefix_names[prefix];
}


/* the index of name in names, 0 (UNKNOWN) when absent */

static int
strm_tink_name_value(const char *name, const char **names, int n)
{
    int  i;

    if (name == NULL) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }

    return 0;
}


/* checks one key read from JSON or a proto and adds it */

static strm_rc_t
strm_tink_add_raw(strm_tink_keyset_t *ks, strm_tink_raw_key_t *rk,
    char *err, size_t errlen)
{
    size_t                klen, n;
    strm_rc_t             rc;
    strm_tink_kind_e      kind;
    const unsigned char  *key;

    n = ks->nkeys;

    if (rk->status < STRM_TINK_ENABLED || rk->status > STRM_TINK_DESTROYED) {
        strm_tink_err(err, errlen, "key %zu: unknown status", n);
        return STRM_E_BAD_REQUEST;
    }

    if (rk->prefix < STRM_TINK_TINK || rk->prefix > STRM_TINK_CRUNCHY) {
        strm_tink_err(err, errlen, "key %zu: unknown output prefix type", n);
        return STRM_E_BAD_REQUEST;
    }

    if (rk->id > UINT32_MAX) {
        strm_tink_err(err, errlen, "key %zu: key id out of range", n);
        return STRM_E_BAD_REQUEST;
    }

    key = NULL;
    klen = 0;

    if (rk->status != STRM_TINK_DESTROYED) {
        if (!rk->has_data) {
            strm_tink_err(err, errlen, "key %zu: no key data", n);
            return STRM_E_BAD_REQUEST;
        }

        if (rk->url_len == sizeof(STRM_TINK_AESSIV_URL) - 1
            && memcmp(rk->url, STRM_TINK_AESSIV_URL, rk->url_len) == 0)
        {
            kind = STRM_TINK_DAEAD;

        } else if (rk->url_len == sizeof(STRM_TINK_AESGCM_URL) - 1
                   && memcmp(rk->url, STRM_TINK_AESGCM_URL, rk->url_len)
                      == 0)
        {
            kind = STRM_TINK_AEAD;

        } else {
            strm_tink_err(err, errlen, "key %zu: unsupported key type", n);
            return STRM_E_BAD_REQUEST;
        }

        if (ks->kind != 0 && ks->kind != kind) {
            strm_tink_err(err, errlen, "key %zu: keys of different types",
                          n);
            return STRM_E_BAD_REQUEST;
        }

        if (rk->material != STRM_TINK_SYMMETRIC) {
            strm_tink_err(err, errlen,
                          "key %zu: key material is not SYMMETRIC", n);
            return STRM_E_BAD_REQUEST;
        }

        ks->kind = kind;

        if (strm_tink_parse_key_value(kind, rk->value, rk->value_len, &key,
                                      &klen)
            != STRM_OK)
        {
            strm_tink_err(err, errlen, "key %zu: invalid key value", n);
            return STRM_E_BAD_REQUEST;
        }

    } else if (ks->kind == 0) {
        /* a DESTROYED key first: its type is not known */
        kind = (rk->has_data && rk->url_len == sizeof(STRM_TINK_AESGCM_URL)
                                               - 1
                && memcmp(rk->url, STRM_TINK_AESGCM_URL, rk->url_len) == 0)
               ? STRM_TINK_AEAD : STRM_TINK_DAEAD;
        ks->kind = kind;
    }

    rc = strm_tink_keyset_add(ks, (uint32_t) rk->id, rk->status, rk->prefix,
                              key, klen, 0);

    if (rc == STRM_E_BAD_REQUEST) {
        strm_tink_err(err, errlen, "key %zu: invalid key", n);
    }

    return rc;
}


/* Tink's rules: exactly one ENABLED key with the primary id */

static strm_rc_t
strm_tink_check(strm_tink_keyset_t *ks, uint64_t primary, char *err,
    size_t errlen)
{
    size_t            i;
    strm_tink_key_t  *k;

    if (ks->nkeys == 0) {
        strm_tink_err(err, errlen, "the keyset has no keys");
        return STRM_E_BAD_REQUEST;
    }

    ks->primary = NULL;

    for (i = 0; i < ks->nkeys; i++) {
        k = ks->keys[i];

        if (k->status != STRM_TINK_ENABLED || k->id != primary) {
            continue;
        }

        if (ks->primary != NULL) {
            strm_tink_err(err, errlen, "the keyset has two primary keys");
            return STRM_E_BAD_REQUEST;
        }

        ks->primary = k;
    }

    if (ks->primary == NULL) {
        strm_tink_err(err, errlen, "the keyset has no ENABLED primary key");
        return STRM_E_BAD_REQUEST;
    }

    return STRM_OK;
}


/* the body of a KeyData message */

static void
strm_tink_pb_key_data(strm_proto_out_t *w, strm_tink_kind_e kind,
    const strm_tink_key_t *k)
{
    const char  *url;

    url = strm_tink_url(kind);

    strm_proto_bytes(w, 1, url, strlen(url));

    /* value: AesSivKey {2: key_value} or AesGcmKey {3: key_value} */
    strm_proto_tag(w, 2, STRM_PROTO_LEN);
    strm_proto_varint(w, 2 + k->key_len);
    strm_proto_bytes(w, kind == STRM_TINK_DAEAD ? 2 : 3, k->key, k->key_len);

    strm_proto_uint(w, 3, STRM_TINK_SYMMETRIC);
}


/* the body of a Key message */

static void
strm_tink_pb_key(strm_proto_out_t *w, strm_tink_kind_e kind,
    const strm_tink_key_t *k)
{
    strm_proto_out_t  dw;

    if (k->key_len > 0) {
        dw.p = NULL;
        dw.len = 0;
        strm_tink_pb_key_data(&dw, kind, k);

        strm_proto_tag(w, 1, STRM_PROTO_LEN);
        strm_proto_varint(w, dw.len);
        strm_tink_pb_key_data(w, kind, k);
    }

    strm_proto_uint(w, 2, k->status);
    strm_proto_uint(w, 3, k->id);
    strm_proto_uint(w, 4, k->prefix);
}


static strm_rc_t
strm_tink_parse_key(const unsigned char *p, size_t len,
    strm_tink_raw_key_t *rk)
{
    int                   rv;
    size_t                dlen, n;
    uint64_t              v;
    unsigned              field, type, f, t;
    strm_proto_in_t          r, kr;
    const unsigned char  *data, *d;

    memset(rk, 0, sizeof(strm_tink_raw_key_t));

    r.p = p;
    r.end = p + len;

    while ((rv = strm_proto_next(&r, &field, &type, &v, &data, &dlen)) == 1) {

        if (field == 1 && type == STRM_PROTO_LEN) {
            rk->has_data = 1;
            kr.p = data;
            kr.end = data + dlen;

            while ((rv = strm_proto_next(&kr, &f, &t, &v, &d, &n)) == 1) {
                if (f == 1 && t == STRM_PROTO_LEN) {
                    rk->url = (const char *) d;
                    rk->url_len = n;

                } else if (f == 2 && t == STRM_PROTO_LEN) {
                    rk->value = d;
                    rk->value_len = n;

                } else if (f == 3 && t == STRM_PROTO_VARINT) {
                    rk->material = v;
                }
            }

            if (rv < 0) {
                return STRM_E_BAD_REQUEST;
            }

        } else if (field == 2 && type == STRM_PROTO_VARINT) {
            rk->status = v;

        } else if (field == 3 && type == STRM_PROTO_VARINT) {
            rk->id = v;

        } else if (field == 4 && type == STRM_PROTO_VARINT) {
            rk->prefix = v;
        }
    }

    return rv < 0 ? STRM_E_BAD_REQUEST : STRM_OK;
}


/* AesSivKey {1: version, 2: key_value}, AesGcmKey {1: version, 3: ...} */

static strm_rc_t
strm_tink_parse_key_value(strm_tink_kind_e kind, const unsigned char *p,
    size_t len, const unsigned char **key, size_t *klen)
{
    int                   rv;
    size_t                dlen;
    uint64_t              v;
    unsigned              field, type, key_field;
    strm_proto_in_t          r;
    const unsigned char  *data;

    if (p == NULL) {
        return STRM_E_BAD_REQUEST;
    }

    key_field = (kind == STRM_TINK_DAEAD) ? 2 : 3;
    *key = NULL;

    r.p = p;
    r.end = p + len;

    while ((rv = strm_proto_next(&r, &field, &type, &v, &data, &dlen)) == 1) {
        if (field == 1 && type == STRM_PROTO_VARINT && v != 0) {
            /* only version 0 exists */
            return STRM_E_BAD_REQUEST;
        }

        if (field == key_field && type == STRM_PROTO_LEN) {
            *key = data;
            *klen = dlen;
        }
    }

    return (rv < 0 || *key == NULL) ? STRM_E_BAD_REQUEST : STRM_OK;
}


/* a JSON integer 0 .. 2^32 - 1; absent is 0 unless required */

static strm_rc_t
strm_tink_json_uint32(json_t *j, int required, uint64_t *v)
{
    json_int_t  n;

    if (j == NULL && !required) {
        *v = 0;
        return STRM_OK;
    }

    if (!json_is_integer(j)) {
        return STRM_E_BAD_REQUEST;
    }

    n = json_integer_value(j);

    if (n < 0 || n > (json_int_t) UINT32_MAX) {
        return STRM_E_BAD_REQUEST;
    }

    *v = (uint64_t) n;

    return STRM_OK;
}


/*
 * Wipes the key values of a parsed cleartext keyset in jansson's own
 * strings before they are freed (jansson's lexer buffer is not ours to
 * wipe).
 */

static void
strm_tink_json_wipe(json_t *root)
{
    size_t   i;
    json_t  *jk, *j;

    json_array_foreach(json_object_get(root, "key"), i, jk) {
        j = json_object_get(json_object_get(jk, "keyData"), "value");

        if (json_is_string(j)) {
            OPENSSL_cleanse((char *) json_string_value(j),
                            json_string_length(j));
        }
    }
}
