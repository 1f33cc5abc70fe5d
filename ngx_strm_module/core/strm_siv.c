
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "strm_siv.h"


struct strm_siv_s {
    EVP_MAC_CTX     *cmac;       /* keyed with K1, re-initialized per use */
    EVP_CIPHER_CTX  *ctr;        /* keyed with K2, only the IV changes */

    /* dbl(CMAC(K1, 0^128)): the first S2V step, the same for every op */
    unsigned char    d0[STRM_SIV_BLOCK];
};


static void strm_siv_dbl(unsigned char *b);
static strm_rc_t strm_siv_s2v(strm_siv_t *siv, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char *v);
static strm_rc_t strm_siv_ctr(strm_siv_t *siv, const unsigned char *v,
    const unsigned char *in, size_t len, unsigned char *out);


strm_siv_t *
strm_siv_new(const unsigned char *key, size_t len)
{
    size_t            half, n;
    EVP_MAC          *mac;
    strm_siv_t       *siv;
    const char       *cbc, *ctr;
    EVP_CIPHER       *cipher;
    OSSL_PARAM        params[2];
    unsigned char     zero[STRM_SIV_BLOCK];

    switch (len) {
    case 32:
        cbc = "AES-128-CBC";
        ctr = "AES-128-CTR";
        break;
    case 48:
        cbc = "AES-192-CBC";
        ctr = "AES-192-CTR";
        break;
    case 64:
        cbc = "AES-256-CBC";
        ctr = "AES-256-CTR";
        break;
    default:
        return NULL;
    }

    half = len / 2;

    siv = calloc(1, sizeof(strm_siv_t));
    if (siv == NULL) {
        return NULL;
    }

    mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    if (mac == NULL) {
        goto failed;
    }

    siv->cmac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);

    if (siv->cmac == NULL) {
        goto failed;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
                                                 (char *) cbc, 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(siv->cmac, key, half, params) != 1) {
        goto failed;
    }

    cipher = EVP_CIPHER_fetch(NULL, ctr, NULL);
    if (cipher == NULL) {
        goto failed;
    }

    siv->ctr = EVP_CIPHER_CTX_new();

    if (siv->ctr == NULL
        || EVP_EncryptInit_ex2(siv->ctr, cipher, key + half, NULL, NULL)
           != 1)
    {
        EVP_CIPHER_free(cipher);
        goto failed;
    }

    EVP_CIPHER_free(cipher);

    memset(zero, 0, sizeof(zero));

    if (EVP_MAC_update(siv->cmac, zero, sizeof(zero)) != 1
        || EVP_MAC_final(siv->cmac, siv->d0, &n, sizeof(siv->d0)) != 1
        || n != STRM_SIV_BLOCK)
    {
        goto failed;
    }

    strm_siv_dbl(siv->d0);

    return siv;

failed:

    strm_siv_free(siv);

    return NULL;
}


void
strm_siv_free(strm_siv_t *siv)
{
    if (siv == NULL) {
        return;
    }

    /* both free functions wipe the key schedules they hold */
    EVP_MAC_CTX_free(siv->cmac);
    EVP_CIPHER_CTX_free(siv->ctr);

    OPENSSL_cleanse(siv, sizeof(strm_siv_t));
    free(siv);
}


strm_rc_t
strm_siv_encrypt(strm_siv_t *siv, const unsigned char *ad, size_t adlen,
    const unsigned char *pt, size_t len, unsigned char *out)
{
    strm_rc_t  rc;

    rc = strm_siv_s2v(siv, ad, adlen, pt, len, out);
    if (rc != STRM_OK) {
        return rc;
    }

    return strm_siv_ctr(siv, out, pt, len, out + STRM_SIV_BLOCK);
}


strm_rc_t
strm_siv_decrypt(strm_siv_t *siv, const unsigned char *ad, size_t adlen,
    const unsigned char *ct, size_t len, unsigned char *out)
{
    size_t         n;
    strm_rc_t      rc;
    unsigned char  v[STRM_SIV_BLOCK];

    if (len < STRM_SIV_BLOCK) {
        return STRM_E_BAD_REQUEST;
    }

    n = len - STRM_SIV_BLOCK;

    rc = strm_siv_ctr(siv, ct, ct + STRM_SIV_BLOCK, n, out);

    if (rc == STRM_OK) {
        rc = strm_siv_s2v(siv, ad, adlen, out, n, v);
    }

    if (rc == STRM_OK && CRYPTO_memcmp(v, ct, STRM_SIV_BLOCK) != 0) {
        rc = STRM_E_BAD_REQUEST;
    }

    if (rc != STRM_OK && n > 0) {
        OPENSSL_cleanse(out, n);
    }

    OPENSSL_cleanse(v, sizeof(v));

    return rc;
}


/* multiplication by x in GF(2^128), RFC 5297 section 2.3 */

static void
strm_siv_dbl(unsigned char *b)
{
    int            i;
    unsigned char  carry;

    carry = b[0] >> 7;

    for (i = 0; i < STRM_SIV_BLOCK - 1; i++) {
        b[i] = (unsigned char) ((b[i] << 1) | (b[i + 1] >> 7));
    }

    /* constant time: the mask is 0x87 or 0 */
    b[STRM_SIV_BLOCK - 1] = (unsigned char) ((b[STRM_SIV_BLOCK - 1] << 1)
                                             ^ (0x87 & (0 - carry)));
}


/*
 * S2V(K1; ad, pt), with the CMAC of the zero block precomputed; the
 * plaintext is streamed into the last CMAC, never copied whole.
 */

static strm_rc_t
strm_siv_s2v(strm_siv_t *siv, const unsigned char *ad, size_t adlen,
    const unsigned char *pt, size_t len, unsigned char *v)
{
    int            i;
    size_t         n;
    strm_rc_t      rc;
    unsigned char  d[STRM_SIV_BLOCK], t[STRM_SIV_BLOCK];

    rc = STRM_E_INTERNAL;

    if (EVP_MAC_init(siv->cmac, NULL, 0, NULL) != 1
        || (adlen > 0 && EVP_MAC_update(siv->cmac, ad, adlen) != 1)
        || EVP_MAC_final(siv->cmac, d, &n, sizeof(d)) != 1
        || EVP_MAC_init(siv->cmac, NULL, 0, NULL) != 1)
    {
        goto failed;
    }

    for (i = 0; i < STRM_SIV_BLOCK; i++) {
        d[i] ^= siv->d0[i];
    }

    if (len >= STRM_SIV_BLOCK) {
        /* T = pt xorend D */
        n = len - STRM_SIV_BLOCK;

        for (i = 0; i < STRM_SIV_BLOCK; i++) {
            t[i] = pt[n + i] ^ d[i];
        }

        if ((n > 0 && EVP_MAC_update(siv->cmac, pt, n) != 1)
            || EVP_MAC_update(siv->cmac, t, STRM_SIV_BLOCK) != 1)
        {
            goto failed;
        }

    } else {
        /* T = dbl(D) xor pad(pt) */
        strm_siv_dbl(d);

        memset(t, 0, sizeof(t));
        if (len > 0) {
            memcpy(t, pt, len);
        }
        t[len] = 0x80;

        for (i = 0; i < STRM_SIV_BLOCK; i++) {
            t[i] ^= d[i];
        }

        if (EVP_MAC_update(siv->cmac, t, STRM_SIV_BLOCK) != 1) {
            goto failed;
        }
    }

    if (EVP_MAC_final(siv->cmac, v, &n, STRM_SIV_BLOCK) != 1
        || n != STRM_SIV_BLOCK)
    {
        goto failed;
    }

    rc = STRM_OK;

failed:

    OPENSSL_cleanse(d, sizeof(d));
    OPENSSL_cleanse(t, sizeof(t));

    return rc;
}


/* CTR with Q = V & 1^64 0 1^31 0 1^31 (RFC 5297 section 2.6) */

static strm_rc_t
strm_siv_ctr(strm_siv_t *siv, const unsigned char *v,
    const unsigned char *in, size_t len, unsigned char *out)
{
    int            n;
    strm_rc_t      rc;
    unsigned char  q[STRM_SIV_BLOCK];

    if (len == 0) {
        return STRM_OK;
    }

    if (len > (size_t) 0x7fffffff) {
        return STRM_E_TOO_LARGE;
    }

    memcpy(q, v, STRM_SIV_BLOCK);
    q[8] &= 0x7f;
    q[12] &= 0x7f;

    rc = STRM_E_INTERNAL;

    if (EVP_EncryptInit_ex2(siv->ctr, NULL, NULL, q, NULL) == 1
        && EVP_EncryptUpdate(siv->ctr, out, &n, in, (int) len) == 1
        && (size_t) n == len)
    {
        rc = STRM_OK;
    }

    OPENSSL_cleanse(q, sizeof(q));

    return rc;
}
