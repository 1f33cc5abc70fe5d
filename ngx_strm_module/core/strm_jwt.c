
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "strm_b64.h"
#include "strm_jwt.h"


#define STRM_JWT_RSA_MIN_BITS  2048
#define STRM_JWT_SHA256_LEN    32
#define STRM_JWT_P256_LEN      32
#define STRM_JWT_ED25519_LEN   32


typedef struct {
    strm_jwt_alg_e   alg;
    char            *kid;
    unsigned char   *secret;
    size_t           secret_len;
    EVP_PKEY        *pkey;
} strm_jwt_key_t;


struct strm_jwt_keys_s {
    strm_jwt_key_t  *key;
    size_t           nkeys;
    size_t           nalloc;
};


static void strm_jwt_key_clear(strm_jwt_key_t *k);
static strm_rc_t strm_jwt_keys_push(strm_jwt_keys_t *keys,
    strm_jwt_key_t *k);
static void strm_jwt_keys_truncate(strm_jwt_keys_t *keys, size_t n);
static strm_rc_t strm_jwt_b64url_dup(const char *src, size_t len,
    unsigned char **dst, size_t *dlen);
static strm_rc_t strm_jwt_jwk_bytes(json_t *jwk, const char *name,
    size_t want, unsigned char **dst, size_t *dlen);
static strm_rc_t strm_jwt_jwk_parse(json_t *jwk, strm_jwt_key_t *k,
    const char **problem);
static EVP_PKEY *strm_jwt_pkey_fromdata(const char *type,
    OSSL_PARAM *params);
static EVP_PKEY *strm_jwt_pkey_rsa(const unsigned char *n, size_t nlen,
    const unsigned char *e, size_t elen);
static EVP_PKEY *strm_jwt_pkey_p256(const unsigned char *x,
    const unsigned char *y);
static EVP_PKEY *strm_jwt_pkey_ed25519(const unsigned char *x);
static const strm_jwt_key_t *strm_jwt_key_find(const strm_jwt_keys_t *keys,
    strm_jwt_alg_e alg, const char *kid, strm_jwt_err_t *why);
static strm_rc_t strm_jwt_hs256(const unsigned char *key, size_t keylen,
    const unsigned char *data, size_t len, unsigned char *mac);
static strm_rc_t strm_jwt_check_sig(const strm_jwt_key_t *k,
    const unsigned char *data, size_t len, const unsigned char *sig,
    size_t slen);
static strm_rc_t strm_jwt_es256_der(const unsigned char *sig,
    unsigned char **der, size_t *dlen);
static strm_rc_t strm_jwt_check_claims(json_t *c,
    const strm_jwt_params_t *params, time_t now, strm_jwt_err_t *why);


static const struct {
    const char      *name;
    strm_jwt_alg_e   alg;
} strm_jwt_algs[] = {
    { "HS256", STRM_JWT_HS256 },
    { "RS256", STRM_JWT_RS256 },
    { "ES256", STRM_JWT_ES256 },
    { "EdDSA", STRM_JWT_EDDSA },
    { NULL, 0 }
};


const char *
strm_jwt_alg_name(strm_jwt_alg_e alg)
{
    size_t  i;

    for (i = 0; strm_jwt_algs[i].name != NULL; i++) {
        if (strm_jwt_algs[i].alg == alg) {
            return strm_jwt_algs[i].name;
        }
    }

    return "unknown";
}


/* decodes into a fresh buffer with a NUL after the data */
static strm_rc_t
strm_jwt_b64url_dup(const char *src, size_t len, unsigned char **dst,
    size_t *dlen)
{
    strm_rc_t       rc;
    unsigned char  *p;

    p = malloc(strm_b64url_decoded_len(len) + 1);
    if (p == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_b64url_decode(p, dlen, (const unsigned char *) src, len);
    if (rc != STRM_OK) {
        free(p);
        return rc;
    }

    p[*dlen] = '\0';
    *dst = p;

    return STRM_OK;
}


strm_jwt_keys_t *
strm_jwt_keys_create(void)
{
    return calloc(1, sizeof(strm_jwt_keys_t));
}


void
strm_jwt_keys_free(strm_jwt_keys_t *keys)
{
    if (keys == NULL) {
        return;
    }

    strm_jwt_keys_truncate(keys, 0);
    free(keys->key);
    free(keys);
}


size_t
strm_jwt_keys_count(const strm_jwt_keys_t *keys)
{
    return keys->nkeys;
}


static void
strm_jwt_key_clear(strm_jwt_key_t *k)
{
    free(k->kid);

    if (k->secret != NULL) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }

    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof(strm_jwt_key_t));
}


static void
strm_jwt_keys_truncate(strm_jwt_keys_t *keys, size_t n)
{
    while (keys->nkeys > n) {
        keys->nkeys--;
        strm_jwt_key_clear(&keys->key[keys->nkeys]);
    }
}


/* takes over what k holds, or clears it on failure */
static strm_rc_t
strm_jwt_keys_push(strm_jwt_keys_t *keys, strm_jwt_key_t *k)
{
    size_t           i, n;
    strm_jwt_key_t  *p;

    for (i = 0; i < keys->nkeys; i++) {
        p = &keys->key[i];

        if (p->alg == k->alg
            && ((p->kid == NULL && k->kid == NULL)
                || (p->kid != NULL && k->kid != NULL
                    && strcmp(p->kid, k->kid) == 0)))
        {
            strm_jwt_key_clear(k);
            return STRM_E_BAD_REQUEST;
        }
    }

    if (keys->nkeys == keys->nalloc) {
        n = keys->nalloc ? keys->nalloc * 2 : 4;

        p = realloc(keys->key, n * sizeof(strm_jwt_key_t));
        if (p == NULL) {
            strm_jwt_key_clear(k);
            return STRM_E_NOMEM;
        }

        keys->key = p;
        keys->nalloc = n;
    }

    keys->key[keys->nkeys++] = *k;
    memset(k, 0, sizeof(strm_jwt_key_t));

    return STRM_OK;
}


strm_rc_t
strm_jwt_keys_add_hs256(strm_jwt_keys_t *keys, const char *kid,
    const unsigned char *key, size_t len)
{
    strm_jwt_key_t  k;

    if (len < STRM_JWT_HS256_MIN) {
        return STRM_E_BAD_REQUEST;
    }

    memset(&k, 0, sizeof(strm_jwt_key_t));
    k.alg = STRM_JWT_HS256;

    if (kid != NULL) {
        k.kid = strdup(kid);
        if (k.kid == NULL) {
            return STRM_E_NOMEM;
        }
    }

    k.secret = malloc(len);
    if (k.secret == NULL) {
        strm_jwt_key_clear(&k);
        return STRM_E_NOMEM;
    }

    memcpy(k.secret, key, len);
    k.secret_len = len;

    return strm_jwt_keys_push(keys, &k);
}


strm_rc_t
strm_jwt_keys_add_jwks(strm_jwt_keys_t *keys, const char *json, size_t len,
    char *err, size_t errlen)
{
    size_t           i, n0, added;
    json_t          *root, *arr, *jwk;
    strm_rc_t        rc;
    const char      *problem;
    json_error_t     jerr;
    strm_jwt_key_t   k;

    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (err != NULL) {
            snprintf(err, errlen, "jwks: invalid JSON at line %d: %s",
                     jerr.line, jerr.text);
        }

        return STRM_E_BAD_REQUEST;
    }

    n0 = keys->nkeys;
    added = 0;
    rc = STRM_E_BAD_REQUEST;

    arr = json_object_get(root, "keys");
    if (!json_is_array(arr)) {
        if (err != NULL) {
            snprintf(err, errlen, "jwks: no \"keys\" array");
        }

        goto failed;
    }

    json_array_foreach(arr, i, jwk) {
        problem = NULL;

        rc = strm_jwt_jwk_parse(jwk, &k, &problem);

        if (rc == STRM_OK && k.alg == 0) {
            /* not a signature key we use */
            continue;
        }

        if (rc == STRM_OK) {
            rc = strm_jwt_keys_push(keys, &k);
            if (rc == STRM_E_BAD_REQUEST) {
                problem = "duplicate kid";
            }
        }

        if (rc != STRM_OK) {
            if (err != NULL) {
                snprintf(err, errlen, "jwks: key %zu: %s", i,
                         problem ? problem : "out of memory");
            }

            goto failed;
        }

        added++;
    }

    if (added == 0) {
        if (err != NULL) {
            snprintf(err, errlen, "jwks: no usable signature key");
        }

        rc = STRM_E_BAD_REQUEST;
        goto failed;
    }

    json_decref(root);

    return STRM_OK;

failed:

    strm_jwt_keys_truncate(keys, n0);
    json_decref(root);

    return rc;
}


/*
 * Fills k from one JWK; k->alg == 0 with STRM_OK means "skip it".
 * On an error *problem says what, without key material.
 */
static strm_rc_t
strm_jwt_jwk_parse(json_t *jwk, strm_jwt_key_t *k, const char **problem)
{
    size_t           nlen, elen;
    json_t          *v;
    strm_rc_t        rc;
    const char      *kty, *crv, *alg;
    unsigned char   *n, *e;
    strm_jwt_alg_e   want;

    memset(k, 0, sizeof(strm_jwt_key_t));
    n = NULL;
    e = NULL;

    if (!json_is_object(jwk)) {
        *problem = "not an object";
        return STRM_E_BAD_REQUEST;
    }

    kty = json_string_value(json_object_get(jwk, "kty"));
    if (kty == NULL) {
        *problem = "no \"kty\"";
        return STRM_E_BAD_REQUEST;
    }

    v = json_object_get(jwk, "use");
    if (v != NULL && !json_is_string(v)) {
        *problem = "bad \"use\"";
        return STRM_E_BAD_REQUEST;
    }

    if (v != NULL && strcmp(json_string_value(v), "sig") != 0) {
        return STRM_OK;
    }

    crv = json_string_value(json_object_get(jwk, "crv"));

    if (strcmp(kty, "RSA") == 0) {
        want = STRM_JWT_RS256;

    } else if (strcmp(kty, "EC") == 0 && crv != NULL
               && strcmp(crv, "P-256") == 0)
    {
        want = STRM_JWT_ES256;

    } else if (strcmp(kty, "OKP") == 0 && crv != NULL
               && strcmp(crv, "Ed25519") == 0)
    {
        want = STRM_JWT_EDDSA;

    } else {
        /* "oct" secrets, other curves, encryption-only types */
        return STRM_OK;
    }

    v = json_object_get(jwk, "alg");
    if (v != NULL) {
        alg = json_string_value(v);
        if (alg == NULL) {
            *problem = "bad \"alg\"";
            return STRM_E_BAD_REQUEST;
        }

        if (strcmp(alg, strm_jwt_alg_name(want)) != 0) {
            /* e.g. an RSA key for PS256 or RSA-OAEP: not ours */
            return STRM_OK;
        }
    }

    v = json_object_get(jwk, "kid");
    if (v != NULL) {
        if (!json_is_string(v)) {
            *problem = "bad \"kid\"";
            return STRM_E_BAD_REQUEST;
        }

        k->kid = strdup(json_string_value(v));
        if (k->kid == NULL) {
            return STRM_E_NOMEM;
        }
    }

    switch (want) {

    case STRM_JWT_RS256:
        rc = strm_jwt_jwk_bytes(jwk, "n", 0, &n, &nlen);
        if (rc == STRM_OK) {
            rc = strm_jwt_jwk_bytes(jwk, "e", 0, &e, &elen);
        }

        if (rc == STRM_OK) {
            k->pkey = strm_jwt_pkey_rsa(n, nlen, e, elen);
        }

        if (rc == STRM_OK
            && (k->pkey == NULL
                || EVP_PKEY_get_bits(k->pkey) < STRM_JWT_RSA_MIN_BITS))
        {
            *problem = "bad RSA key, or shorter than 2048 bits";
            rc = STRM_E_BAD_REQUEST;
        }

        break;

    case STRM_JWT_ES256:
        rc = strm_jwt_jwk_bytes(jwk, "x", STRM_JWT_P256_LEN, &n, &nlen);
        if (rc == STRM_OK) {
            rc = strm_jwt_jwk_bytes(jwk, "y", STRM_JWT_P256_LEN, &e, &elen);
        }

        if (rc == STRM_OK) {
            k->pkey = strm_jwt_pkey_p256(n, e);
            if (k->pkey == NULL) {
                *problem = "bad P-256 point";
                rc = STRM_E_BAD_REQUEST;
            }
        }

        break;

    default: /* STRM_JWT_EDDSA */
        rc = strm_jwt_jwk_bytes(jwk, "x", STRM_JWT_ED25519_LEN, &n, &nlen);

        if (rc == STRM_OK) {
            k->pkey = strm_jwt_pkey_ed25519(n);
            if (k->pkey == NULL) {
                *problem = "bad Ed25519 key";
                rc = STRM_E_BAD_REQUEST;
            }
        }

        break;
    }

    if (rc == STRM_E_BAD_REQUEST && *problem == NULL) {
        *problem = "missing or bad key parameter";
    }

    free(n);
    free(e);

    if (rc != STRM_OK) {
        ERR_clear_error();
        strm_jwt_key_clear(k);
        return rc;
    }

    k->alg = want;

    return STRM_OK;
}


/* a base64url member of a JWK; want != 0 asks for that exact length */
static strm_rc_t
strm_jwt_jwk_bytes(json_t *jwk, const char *name, size_t want,
    unsigned char **dst, size_t *dlen)
{
    json_t     *v;
    strm_rc_t   rc;

    v = json_object_get(jwk, name);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        return STRM_E_BAD_REQUEST;
    }

    rc = strm_jwt_b64url_dup(json_string_value(v), json_string_length(v),
                             dst, dlen);
    if (rc != STRM_OK) {
        return rc;
    }

    if (want != 0 && *dlen != want) {
        free(*dst);
        *dst = NULL;
        return STRM_E_BAD_REQUEST;
    }

    return STRM_OK;
}


/* a public key from parameters, checked by the provider */
static EVP_PKEY *
strm_jwt_pkey_fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL) {
        return NULL;
    }

    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pkey);
        return NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    return pkey;
}


static EVP_PKEY *
strm_jwt_pkey_rsa(const unsigned char *n, size_t nlen,
    const unsigned char *e, size_t elen)
{
    BIGNUM          *bn, *be;
    EVP_PKEY        *pkey;
    OSSL_PARAM      *params;
    OSSL_PARAM_BLD  *bld;

    pkey = NULL;
    params = NULL;

    bn = BN_bin2bn(n, (int) nlen, NULL);
    be = BN_bin2bn(e, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (bn == NULL || be == NULL || bld == NULL
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
    {
        goto failed;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        goto failed;
    }

    pkey = strm_jwt_pkey_fromdata("RSA", params);

failed:

    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);

    return pkey;
}


static EVP_PKEY *
strm_jwt_pkey_p256(const unsigned char *x, const unsigned char *y)
{
    OSSL_PARAM     params[3];
    unsigned char  pub[1 + 2 * STRM_JWT_P256_LEN];

    /* SEC 1 uncompressed point: 0x04 || x || y */
    pub[0] = 0x04;
    memcpy(pub + 1, x, STRM_JWT_P256_LEN);
    memcpy(pub + 1 + STRM_JWT_P256_LEN, y, STRM_JWT_P256_LEN);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *) "prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  pub, sizeof(pub));
    params[2] = OSSL_PARAM_construct_end();

    return strm_jwt_pkey_fromdata("EC", params);
}


static EVP_PKEY *
strm_jwt_pkey_ed25519(const unsigned char *x)
{
    OSSL_PARAM     params[2];
    unsigned char  pub[STRM_JWT_ED25519_LEN];

    memcpy(pub, x, STRM_JWT_ED25519_LEN);

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  pub, sizeof(pub));
    params[1] = OSSL_PARAM_construct_end();

    return strm_jwt_pkey_fromdata("ED25519", params);
}


static strm_rc_t
strm_jwt_hs256(const unsigned char *key, size_t keylen,
    const unsigned char *data, size_t len, unsigned char *mac)
{
    size_t  maclen;

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, data,
                  len, mac, STRM_JWT_SHA256_LEN, &maclen)
        == NULL
        || maclen != STRM_JWT_SHA256_LEN)
    {
        ERR_clear_error();
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}


strm_rc_t
strm_jwt_sign_hs256(const unsigned char *key, size_t keylen,
    const char *kid, json_t *claims, char **out)
{
    char           *h, *p, *buf;
    size_t          hl, pl, n;
    json_t         *hdr;
    strm_rc_t       rc;
    unsigned char   mac[STRM_JWT_SHA256_LEN];

    *out = NULL;

    if (keylen < STRM_JWT_HS256_MIN || !json_is_object(claims)) {
        return STRM_E_BAD_REQUEST;
    }

    h = NULL;
    p = NULL;
    buf = NULL;
    rc = STRM_E_NOMEM;

    hdr = json_object();
    if (hdr == NULL
        || json_object_set_new(hdr, "alg", json_string("HS256")) != 0
        || json_object_set_new(hdr, "typ", json_string("JWT")) != 0)
    {
        goto failed;
    }

    if (kid != NULL
        && json_object_set_new(hdr, "kid", json_string(kid)) != 0)
    {
        /* json_string() refuses a kid that is not UTF-8 */
        rc = STRM_E_BAD_REQUEST;
        goto failed;
    }

    h = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    p = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (h == NULL || p == NULL) {
        goto failed;
    }

    hl = strlen(h);
    pl = strlen(p);

    buf = malloc(strm_b64url_encoded_len(hl) + 1
                 + strm_b64url_encoded_len(pl) + 1
                 + strm_b64url_encoded_len(STRM_JWT_SHA256_LEN) + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = strm_b64url_encode((unsigned char *) buf, (unsigned char *) h, hl);
    buf[n++] = '.';
    n += strm_b64url_encode((unsigned char *) buf + n, (unsigned char *) p,
                            pl);

    rc = strm_jwt_hs256(key, keylen, (unsigned char *) buf, n, mac);
    if (rc != STRM_OK) {
        goto failed;
    }

    buf[n++] = '.';
    n += strm_b64url_encode((unsigned char *) buf + n, mac,
                            STRM_JWT_SHA256_LEN);
    buf[n] = '\0';

    OPENSSL_cleanse(mac, sizeof(mac));

    *out = buf;
    buf = NULL;
    rc = STRM_OK;

failed:

    free(buf);
    free(h);
    free(p);
    json_decref(hdr);

    return rc;
}


static const strm_jwt_key_t *
strm_jwt_key_find(const strm_jwt_keys_t *keys, strm_jwt_alg_e alg,
    const char *kid, strm_jwt_err_t *why)
{
    size_t                 i, n;
    unsigned               kid_seen;
    const strm_jwt_key_t  *k, *found;

    found = NULL;
    n = 0;
    kid_seen = 0;

    for (i = 0; i < keys->nkeys; i++) {
        k = &keys->key[i];

        if (kid != NULL) {
            if (k->kid == NULL || strcmp(k->kid, kid) != 0) {
                continue;
            }

            kid_seen = 1;

            if (k->alg == alg) {
                return k;
            }

            continue;
        }

        if (k->alg == alg) {
            found = k;
            n++;
        }
    }

    if (kid != NULL) {
        /* a known kid with another alg: alg confusion */
        *why = kid_seen ? "alg not allowed" : "unknown key";
        return NULL;
    }

    if (n == 1) {
        return found;
    }

    /* no key of this type at all, or several and no kid to choose */
    *why = (n == 0) ? "alg not allowed" : "unknown key";

    return NULL;
}


/* JWS ES256 signatures are r || s; EVP wants the DER ECDSA-Sig-Value */
static strm_rc_t
strm_jwt_es256_der(const unsigned char *sig, unsigned char **der,
    size_t *dlen)
{
    int         len;
    BIGNUM     *r, *s;
    ECDSA_SIG  *es;

    r = BN_bin2bn(sig, STRM_JWT_P256_LEN, NULL);
    s = BN_bin2bn(sig + STRM_JWT_P256_LEN, STRM_JWT_P256_LEN, NULL);
    es = ECDSA_SIG_new();

    if (r == NULL || s == NULL || es == NULL
        || ECDSA_SIG_set0(es, r, s) != 1)
    {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return STRM_E_NOMEM;
    }

    *der = NULL;
    len = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);

    if (len <= 0) {
        return STRM_E_NOMEM;
    }

    *dlen = (size_t) len;

    return STRM_OK;
}


/* STRM_OK, STRM_E_FORBIDDEN for a bad signature, or an error of ours */
static strm_rc_t
strm_jwt_check_sig(const strm_jwt_key_t *k, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t slen)
{
    int             ok;
    size_t          dlen;
    strm_rc_t       rc;
    const char     *md;
    EVP_MD_CTX     *mctx;
    unsigned char  *der;
    unsigned char   mac[STRM_JWT_SHA256_LEN];

    if (k->alg == STRM_JWT_HS256) {
        rc = strm_jwt_hs256(k->secret, k->secret_len, data, len, mac);
        if (rc != STRM_OK) {
            return rc;
        }

        ok = (slen == STRM_JWT_SHA256_LEN
              && CRYPTO_memcmp(mac, sig, STRM_JWT_SHA256_LEN) == 0);

        OPENSSL_cleanse(mac, sizeof(mac));

        return ok ? STRM_OK : STRM_E_FORBIDDEN;
    }

    der = NULL;
    md = "SHA256";

    switch (k->alg) {

    case STRM_JWT_RS256:
        if (slen != (size_t) EVP_PKEY_get_size(k->pkey)) {
            return STRM_E_FORBIDDEN;
        }

        break;

    case STRM_JWT_ES256:
        if (slen != 2 * STRM_JWT_P256_LEN) {
            return STRM_E_FORBIDDEN;
        }

        rc = strm_jwt_es256_der(sig, &der, &dlen);
        if (rc != STRM_OK) {
            return rc;
        }

        sig = der;
        slen = dlen;
        break;

    default: /* STRM_JWT_EDDSA: the message itself, no digest */
        if (slen != 64) {
            return STRM_E_FORBIDDEN;
        }

        md = NULL;
        break;
    }

    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        OPENSSL_free(der);
        return STRM_E_NOMEM;
    }

    if (EVP_DigestVerifyInit_ex(mctx, NULL, md, NULL, NULL, k->pkey, NULL)
        != 1)
    {
        rc = STRM_E_INTERNAL;

    } else {
        rc = (EVP_DigestVerify(mctx, sig, slen, data, len) == 1)
             ? STRM_OK : STRM_E_FORBIDDEN;
    }

    /* a refused signature leaves errors nginx would report elsewhere */
    ERR_clear_error();

    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);

    return rc;
}


/*
 * A NumericDate (RFC 7519 section 2) we accept: a JSON integer from 0
 * to STRM_JWT_TIME_MAX.  A real (1.5, 1e300) or a string is refused
 * rather than cast: a double out of range of time_t is undefined
 * behaviour when converted.  RFC 7519 allows fractions; no issuer we
 * know sends them.  Returns NULL when v is one (*out set), else why.
 */
static strm_jwt_err_t
strm_jwt_numeric_date(json_t *v, strm_jwt_err_t not_int,
    strm_jwt_err_t range, time_t *out)
{
    json_int_t  n;

    if (!json_is_integer(v)) {
        return not_int;
    }

    n = json_integer_value(v);

    if (n < 0 || n > STRM_JWT_TIME_MAX) {
        return range;
    }

    *out = (time_t) n;

    return NULL;
}


strm_rc_t
strm_jwt_claim_time(json_t *claims, const char *name, time_t *out)
{
    json_t  *v;

    v = json_object_get(claims, name);

    if (v == NULL) {
        return STRM_E_NOT_FOUND;
    }

    return (strm_jwt_numeric_date(v, "", "", out) == NULL)
           ? STRM_OK : STRM_E_BAD_REQUEST;
}


static strm_rc_t
strm_jwt_check_claims(json_t *c, const strm_jwt_params_t *params,
    time_t now, strm_jwt_err_t *why)
{
    size_t          i;
    json_t         *v, *a;
    time_t          t, leeway, exp, nbf, iat;
    strm_jwt_err_t  bad;

    /* now and the leeway are ours: bounded, no overflow below */
    leeway = params ? params->leeway : 0;
    t = now;

    v = json_object_get(c, "exp");
    if (v == NULL) {
        *why = "exp missing";
        return STRM_E_FORBIDDEN;
    }

    bad = strm_jwt_numeric_date(v, "exp not an integer", "exp out of range",
                                &exp);
    if (bad != NULL) {
        *why = bad;
        return STRM_E_FORBIDDEN;
    }

    /* RFC 7519 4.1.4: valid only before exp */
    if (t >= exp + leeway) {
        *why = "expired";
        return STRM_E_FORBIDDEN;
    }

    v = json_object_get(c, "nbf");
    if (v != NULL) {
        bad = strm_jwt_numeric_date(v, "nbf not an integer",
                                    "nbf out of range", &nbf);
        if (bad != NULL) {
            *why = bad;
            return STRM_E_FORBIDDEN;
        }

        if (t + leeway < nbf) {
            *why = "not yet valid";
            return STRM_E_FORBIDDEN;
        }
    }

    v = json_object_get(c, "iat");
    if (v != NULL) {
        bad = strm_jwt_numeric_date(v, "iat not an integer",
                                    "iat out of range", &iat);
        if (bad != NULL) {
            *why = bad;
            return STRM_E_FORBIDDEN;
        }

        if (iat > t + leeway) {
            *why = "issued in the future";
            return STRM_E_FORBIDDEN;
        }
    }

    if (params != NULL && params->issuer != NULL) {
        v = json_object_get(c, "iss");

        if (!json_is_string(v)
            || strcmp(json_string_value(v), params->issuer) != 0)
        {
            *why = "wrong issuer";
            return STRM_E_FORBIDDEN;
        }
    }

    if (params != NULL && params->audience != NULL) {
        v = json_object_get(c, "aud");

        if (json_is_string(v)
            && strcmp(json_string_value(v), params->audience) == 0)
        {
            return STRM_OK;
        }

        if (json_is_array(v)) {
            json_array_foreach(v, i, a) {
                if (json_is_string(a)
                    && strcmp(json_string_value(a), params->audience) == 0)
                {
                    return STRM_OK;
                }
            }
        }

        *why = "wrong audience";
        return STRM_E_FORBIDDEN;
    }

    return STRM_OK;
}


strm_rc_t
strm_jwt_verify(const strm_jwt_keys_t *keys,
    const strm_jwt_params_t *params, const char *token, size_t len,
    time_t now, json_t **claims, strm_jwt_err_t *why)
{
    size_t                 i, hlen, plen, slen, hdlen, pdlen, sdlen;
    json_t                *hdr, *payload, *v;
    strm_rc_t              rc;
    const char            *dot1, *dot2, *alg, *kid;
    unsigned char         *hd, *pd, *sd;
    strm_jwt_alg_e         a;
    strm_jwt_err_t         dummy;
    const strm_jwt_key_t  *k;

    if (why == NULL) {
        why = &dummy;
    }

    if (claims != NULL) {
        *claims = NULL;
    }

    hdr = NULL;
    payload = NULL;
    hd = NULL;
    pd = NULL;
    sd = NULL;

    *why = "malformed";
    rc = STRM_E_FORBIDDEN;

    if (token == NULL || len == 0) {
        return rc;
    }

    if (len > STRM_JWT_MAX_LEN) {
        *why = "too large";
        return rc;
    }

    /* header.payload.signature, each part base64url */

    dot1 = memchr(token, '.', len);
    if (dot1 == NULL) {
        return rc;
    }

    dot2 = memchr(dot1 + 1, '.', len - (dot1 + 1 - token));
    if (dot2 == NULL) {
        return rc;
    }

    hlen = dot1 - token;
    plen = dot2 - (dot1 + 1);
    slen = len - (dot2 + 1 - token);

    if (hlen == 0 || plen == 0) {
        return rc;
    }

    rc = strm_jwt_b64url_dup(token, hlen, &hd, &hdlen);
    if (rc == STRM_OK) {
        rc = strm_jwt_b64url_dup(dot1 + 1, plen, &pd, &pdlen);
    }

    if (rc == STRM_OK) {
        rc = strm_jwt_b64url_dup(dot2 + 1, slen, &sd, &sdlen);
    }

    if (rc != STRM_OK) {
        if (rc == STRM_E_BAD_REQUEST) {
            rc = STRM_E_FORBIDDEN;
        }

        goto failed;
    }

    rc = STRM_E_FORBIDDEN;

    hdr = json_loadb((char *) hd, hdlen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(hdr)) {
        goto failed;
    }

    /* the alg, and the key it must come with */

    alg = json_string_value(json_object_get(hdr, "alg"));
    if (alg == NULL) {
        goto failed;
    }

    a = 0;

    for (i = 0; strm_jwt_algs[i].name != NULL; i++) {
        if (strcmp(strm_jwt_algs[i].name, alg) == 0) {
            a = strm_jwt_algs[i].alg;
            break;
        }
    }

    if (a == 0) {
        /* "none" and everything we do not verify */
        *why = "alg not allowed";
        goto failed;
    }

    /* RFC 7515 4.1.11: we understand no extension */
    if (json_object_get(hdr, "crit") != NULL) {
        *why = "unsupported header";
        goto failed;
    }

    kid = NULL;

    v = json_object_get(hdr, "kid");
    if (v != NULL) {
        kid = json_string_value(v);
        if (kid == NULL) {
            goto failed;
        }
    }

    k = strm_jwt_key_find(keys, a, kid, why);
    if (k == NULL) {
        goto failed;
    }

    /* the signing input is the encoded header and payload as sent */

    rc = strm_jwt_check_sig(k, (const unsigned char *) token,
                            dot2 - token, sd, sdlen);
    if (rc != STRM_OK) {
        if (rc == STRM_E_FORBIDDEN) {
            *why = "bad signature";

        } else {
            *why = "internal error";
        }

        goto failed;
    }

    rc = STRM_E_FORBIDDEN;
    *why = "malformed";

    payload = json_loadb((char *) pd, pdlen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(payload)) {
        goto failed;
    }

    rc = strm_jwt_check_claims(payload, params, now, why);
    if (rc != STRM_OK) {
        goto failed;
    }

    *why = "ok";

    if (claims != NULL) {
        *claims = payload;
        payload = NULL;
    }

failed:

    json_decref(payload);
    json_decref(hdr);
    free(hd);
    free(pd);
    free(sd);

    return rc;
}
