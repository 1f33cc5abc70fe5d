
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "strm_siv.h"


/*
 * Both halves of the key are set up once, as AES in ECB mode: CMAC
 * (RFC 4493) and CTR are built here on single blocks, so that an
 * operation initialises no OpenSSL context (an EVP_MAC_init() or an
 * EVP_EncryptInit_ex2() per use cost more than the AES itself on short
 * values).
 */
struct strm_siv_s {
    EVP_CIPHER_CTX  *k1;         /* AES-ECB under K1: CMAC */
    EVP_CIPHER_CTX  *k2;         /* AES-ECB under K2: the CTR stream */

    /* the CMAC subkeys of K1 (RFC 4493 section 2.3) */
    unsigned char    sub1[STRM_SIV_BLOCK];
    unsigned char    sub2[STRM_SIV_BLOCK];

    /* dbl(CMAC(K1, 0^128)): the first S2V step, the same for every op */
    unsigned char    d0[STRM_SIV_BLOCK];
};


/* a CMAC on its way: x the chained value, buf the last block so far */
typedef struct {
    unsigned char    x[STRM_SIV_BLOCK];
    unsigned char    buf[STRM_SIV_BLOCK];
    size_t           nbuf;
} strm_siv_cmac_t;


#define STRM_SIV_STREAM  (16 * STRM_SIV_BLOCK)


static EVP_CIPHER_CTX *strm_siv_ecb(const char *name,
    const unsigned char *key);
static int strm_siv_aes(EVP_CIPHER_CTX *ctx, unsigned char *b);
static void strm_siv_dbl(unsigned char *b);
static void strm_siv_cmac_init(strm_siv_cmac_t *c);
static int strm_siv_cmac_update(strm_siv_t *siv, strm_siv_cmac_t *c,
    const unsigned char *in, size_t len);
static int strm_siv_cmac_final(strm_siv_t *siv, strm_siv_cmac_t *c,
    unsigned char *out);
static strm_rc_t strm_siv_s2v(strm_siv_t *siv, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char *v);
static strm_rc_t strm_siv_ctr(strm_siv_t *siv, const unsigned char *v,
    const unsigned char *in, size_t len, unsigned char *out);


strm_siv_t *
strm_siv_new(const unsigned char *key, size_t len)
{
    size_t            half;
    strm_siv_t       *siv;
    const char       *ecb;
    strm_siv_cmac_t   c;

    switch (len) {
    case 32:
        ecb = "AES-128-ECB";
        break;
    case 48:
        ecb = "AES-192-ECB";
        break;
    case 64:
        ecb = "AES-256-ECB";
        break;
    default:
        return NULL;
    }

    half = len / 2;

    siv = calloc(1, sizeof(strm_siv_t));
    if (siv == NULL) {
        return NULL;
    }

    siv->k1 = strm_siv_ecb(ecb, key);
    siv->k2 = strm_siv_ecb(ecb, key + half);

    if (siv->k1 == NULL || siv->k2 == NULL) {
        goto failed;
    }

    /* L = AES(K1, 0^128), K1' = dbl(L), K2' = dbl(K1') */
    memset(siv->sub1, 0, STRM_SIV_BLOCK);

    if (!strm_siv_aes(siv->k1, siv->sub1)) {
        goto failed;
    }

    strm_siv_dbl(siv->sub1);
    memcpy(siv->sub2, siv->sub1, STRM_SIV_BLOCK);
    strm_siv_dbl(siv->sub2);

    /* CMAC(K1, 0^128) */
    strm_siv_cmac_init(&c);
    c.nbuf = STRM_SIV_BLOCK;

    if (!strm_siv_cmac_final(siv, &c, siv->d0)) {
        goto failed;
    }

    strm_siv_dbl(siv->d0);

    return siv;

failed:

    strm_siv_free(siv);

    return NULL;
}


static EVP_CIPHER_CTX *
strm_siv_ecb(const char *name, const unsigned char *key)
{
    EVP_CIPHER      *cipher;
    EVP_CIPHER_CTX  *ctx;

    cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL) {
        return NULL;
    }

    ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL
        || EVP_EncryptInit_ex2(ctx, cipher, key, NULL, NULL) != 1
        || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
    {
        EVP_CIPHER_CTX_free(ctx);
        ctx = NULL;
    }

    EVP_CIPHER_free(cipher);

    return ctx;
}


/* one block, in place */
static int
strm_siv_aes(EVP_CIPHER_CTX *ctx, unsigned char *b)
{
    int  n;

    return EVP_EncryptUpdate(ctx, b, &n, b, STRM_SIV_BLOCK) == 1
           && n == STRM_SIV_BLOCK;
}


void
strm_siv_free(strm_siv_t *siv)
{
    if (siv == NULL) {
        return;
    }

    /* the free function wipes the key schedule it holds */
    EVP_CIPHER_CTX_free(siv->k1);
    EVP_CIPHER_CTX_free(siv->k2);

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


/* CMAC (RFC 4493) under K1, streamed: the last block is held back */

static void
strm_siv_cmac_init(strm_siv_cmac_t *c)
{
    memset(c, 0, sizeof(strm_siv_cmac_t));
}


static int
strm_siv_cmac_update(strm_siv_t *siv, strm_siv_cmac_t *c,
    const unsigned char *in, size_t len)
{
    int     i;
    size_t  n;

    while (len > 0) {
        if (c->nbuf == STRM_SIV_BLOCK) {
            /* more follows: the held block is not the last one */
            for (i = 0; i < STRM_SIV_BLOCK; i++) {
                c->x[i] ^= c->buf[i];
            }

            if (!strm_siv_aes(siv->k1, c->x)) {
                return 0;
            }

            c->nbuf = 0;
        }

        n = STRM_SIV_BLOCK - c->nbuf;
        n = (len < n) ? len : n;

        memcpy(c->buf + c->nbuf, in, n);
        c->nbuf += n;
        in += n;
        len -= n;
    }

    return 1;
}


static int
strm_siv_cmac_final(strm_siv_t *siv, strm_siv_cmac_t *c,
    unsigned char *out)
{
    int             i;
    unsigned char  *sub;

    if (c->nbuf == STRM_SIV_BLOCK) {
        sub = siv->sub1;

    } else {
        /* padded: 10* */
        c->buf[c->nbuf] = 0x80;

        for (i = (int) c->nbuf + 1; i < STRM_SIV_BLOCK; i++) {
            c->buf[i] = 0;
        }

        sub = siv->sub2;
    }

    for (i = 0; i < STRM_SIV_BLOCK; i++) {
        c->x[i] ^= c->buf[i] ^ sub[i];
    }

    if (!strm_siv_aes(siv->k1, c->x)) {
        return 0;
    }

    memcpy(out, c->x, STRM_SIV_BLOCK);

    return 1;
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
    int              i;
    size_t           n;
    strm_rc_t        rc;
    strm_siv_cmac_t  c;
    unsigned char    d[STRM_SIV_BLOCK], t[STRM_SIV_BLOCK];

    rc = STRM_E_INTERNAL;

    strm_siv_cmac_init(&c);

    if (!strm_siv_cmac_update(siv, &c, ad, adlen)
        || !strm_siv_cmac_final(siv, &c, d))
    {
        goto failed;
    }

    for (i = 0; i < STRM_SIV_BLOCK; i++) {
        d[i] ^= siv->d0[i];
    }

    strm_siv_cmac_init(&c);

    if (len >= STRM_SIV_BLOCK) {
        /* T = pt xorend D */
        n = len - STRM_SIV_BLOCK;

        for (i = 0; i < STRM_SIV_BLOCK; i++) {
            t[i] = pt[n + i] ^ d[i];
        }

        if (!strm_siv_cmac_update(siv, &c, pt, n)
            || !strm_siv_cmac_update(siv, &c, t, STRM_SIV_BLOCK))
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

        if (!strm_siv_cmac_update(siv, &c, t, STRM_SIV_BLOCK)) {
            goto failed;
        }
    }

    if (!strm_siv_cmac_final(siv, &c, v)) {
        goto failed;
    }

    rc = STRM_OK;

failed:

    OPENSSL_cleanse(d, sizeof(d));
    OPENSSL_cleanse(t, sizeof(t));
    OPENSSL_cleanse(&c, sizeof(c));

    return rc;
}


/*
 * CTR with Q = V & 1^64 0 1^31 0 1^31 (RFC 5297 section 2.6), the
 * counter a 128-bit big-endian number: up to 16 counter blocks are
 * encrypted in one call, and the stream is wiped after use.
 */

static strm_rc_t
strm_siv_ctr(strm_siv_t *siv, const unsigned char *v,
    const unsigned char *in, size_t len, unsigned char *out)
{
    int            i, n;
    size_t         k, m, done;
    strm_rc_t      rc;
    unsigned char  q[STRM_SIV_BLOCK];
    unsigned char  ks[STRM_SIV_STREAM];

    if (len == 0) {
        return STRM_OK;
    }

    if (len > (size_t) 0x7fffffff) {
        return STRM_E_TOO_LARGE;
    }

    memcpy(q, v, STRM_SIV_BLOCK);
    q[8] &= 0x7f;
    q[12] &= 0x7f;

    rc = STRM_OK;

    for (done = 0; done < len; done += m) {
        m = len - done;
        m = (m < STRM_SIV_STREAM) ? m : STRM_SIV_STREAM;

        /* the counter blocks of this part */
        for (k = 0; k < m; k += STRM_SIV_BLOCK) {
            memcpy(ks + k, q, STRM_SIV_BLOCK);

            for (i = STRM_SIV_BLOCK - 1; i >= 0; i--) {
                if (++q[i] != 0) {
                    break;
                }
            }
        }

        k = (m + STRM_SIV_BLOCK - 1) & ~((size_t) STRM_SIV_BLOCK - 1);

        if (EVP_EncryptUpdate(siv->k2, ks, &n, ks, (int) k) != 1
            || (size_t) n != k)
        {
            rc = STRM_E_INTERNAL;
            break;
        }

        for (k = 0; k < m; k++) {
            out[done + k] = in[done + k] ^ ks[k];
        }
    }

    OPENSSL_cleanse(q, sizeof(q));
    k = (len + STRM_SIV_BLOCK - 1) & ~((size_t) STRM_SIV_BLOCK - 1);
    OPENSSL_cleanse(ks, (k < sizeof(ks)) ? k : sizeof(ks));

    return rc;
}
