
/*
 * Copyright (C) ngx_strm authors
 */


#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "strm_siv.h"


/*
 * Both halves of the key are kept as keyed AES-ECB contexts, set up
 * once: CMAC (RFC 4493) and CTR are a handful of block encryptions of a
 * short field, done here on those contexts.  EVP_MAC re-initialised per
 * S2V step and an IV set per CTR operation cost several times the
 * encryptions themselves (issue 19's profile).
 */
/* associated data whose CMAC is kept: how many, up to what length */
#define STRM_SIV_MEMO    4
#define STRM_SIV_AD_MEMO 64


struct strm_siv_s {
    EVP_CIPHER_CTX  *mac;        /* AES-ECB keyed with K1 (S2V's CMAC) */
    EVP_CIPHER_CTX  *ctr;        /* AES-ECB keyed with K2 (CTR) */

    /* CMAC's subkeys of K1 (RFC 4493 section 2.3) */
    unsigned char    k1[STRM_SIV_BLOCK];
    unsigned char    k2[STRM_SIV_BLOCK];

    /* dbl(CMAC(K1, 0^128)): the first S2V step, the same for every op */
    unsigned char    d0[STRM_SIV_BLOCK];

    /*
     * CMAC(K1, ad) of the last associated data: a field's path, the
     * same for that field of every event encrypted with the key
     */
    struct {
        size_t           len;    /* ad's length + 1, 0: none */
        unsigned char    ad[STRM_SIV_AD_MEMO];
        unsigned char    mac[STRM_SIV_BLOCK];
    }                memo[STRM_SIV_MEMO];
    unsigned         next;
};


/* CMAC over a message given in pieces */
typedef struct {
    unsigned char    x[STRM_SIV_BLOCK];
    unsigned char    buf[STRM_SIV_BLOCK];
    size_t           n;
} strm_siv_cmac_t;


/* the counter blocks encrypted at once */
#define STRM_SIV_CTR_BLOCKS  32


static void strm_siv_dbl(unsigned char *b);
static EVP_CIPHER_CTX *strm_siv_ecb(const char *name,
    const unsigned char *key);
static strm_rc_t strm_siv_block(EVP_CIPHER_CTX *ecb, unsigned char *b);
static void strm_siv_cmac_init(strm_siv_cmac_t *c);
static strm_rc_t strm_siv_cmac_update(strm_siv_t *siv, strm_siv_cmac_t *c,
    const unsigned char *in, size_t len);
static strm_rc_t strm_siv_cmac_final(strm_siv_t *siv, strm_siv_cmac_t *c,
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
    unsigned char     zero[STRM_SIV_BLOCK];

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

    siv->mac = strm_siv_ecb(ecb, key);
    siv->ctr = strm_siv_ecb(ecb, key + half);

    if (siv->mac == NULL || siv->ctr == NULL) {
        goto failed;
    }

    /* L = AES(K1, 0^128); K1 = dbl(L), K2 = dbl(K1) */
    memset(siv->k1, 0, STRM_SIV_BLOCK);

    if (strm_siv_block(siv->mac, siv->k1) != STRM_OK) {
        goto failed;
    }

    strm_siv_dbl(siv->k1);
    memcpy(siv->k2, siv->k1, STRM_SIV_BLOCK);
    strm_siv_dbl(siv->k2);

    memset(zero, 0, sizeof(zero));
    strm_siv_cmac_init(&c);

    if (strm_siv_cmac_update(siv, &c, zero, sizeof(zero)) != STRM_OK
        || strm_siv_cmac_final(siv, &c, siv->d0) != STRM_OK)
    {
        goto failed;
    }

    strm_siv_dbl(siv->d0);

    return siv;

failed:

    strm_siv_free(siv);

    return NULL;
}


/* an AES-ECB context keyed once, no padding: it encrypts whole blocks */
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


/* one block encrypted in place */
static strm_rc_t
strm_siv_block(EVP_CIPHER_CTX *ecb, unsigned char *b)
{
    int  n;

    if (EVP_EncryptUpdate(ecb, b, &n, b, STRM_SIV_BLOCK) != 1
        || n != STRM_SIV_BLOCK)
    {
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}


void
strm_siv_free(strm_siv_t *siv)
{
    if (siv == NULL) {
        return;
    }

    /* EVP_CIPHER_CTX_free() wipes the key schedule it holds */
    EVP_CIPHER_CTX_free(siv->mac);
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


/* out = a xor b, eight bytes at a time (out may be a or b) */

static void
strm_siv_xor(unsigned char *out, const unsigned char *a,
    const unsigned char *b, size_t n)
{
    uint64_t  x, y;

    for ( /* void */ ; n >= 8; n -= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        x ^= y;
        memcpy(out, &x, 8);

        out += 8;
        a += 8;
        b += 8;
    }

    for ( /* void */ ; n > 0; n--) {
        *out++ = *a++ ^ *b++;
    }
}


/* multiplication by x in GF(2^128), RFC 5297 section 2.3 */

static void
strm_siv_dbl(unsigned char *b)
{
    uint64_t  w[2], hi, lo, carry;

    /* the block as two big-endian 64-bit halves: two shifts, not 16 */
    memcpy(w, b, sizeof(w));
    hi = be64toh(w[0]);
    lo = be64toh(w[1]);

    carry = hi >> 63;
    hi = (hi << 1) | (lo >> 63);

    /* constant time: the mask is 0x87 or 0 */
    lo = (lo << 1) ^ (0x87 & (0 - carry));

    w[0] = htobe64(hi);
    w[1] = htobe64(lo);
    memcpy(b, w, sizeof(w));
}


/*
 * CMAC (RFC 4493) on K1's context: whole blocks are chained as they
 * come; the last one, complete or padded, waits for the final step.
 */

static void
strm_siv_cmac_init(strm_siv_cmac_t *c)
{
    memset(c, 0, sizeof(strm_siv_cmac_t));
}


static strm_rc_t
strm_siv_cmac_update(strm_siv_t *siv, strm_siv_cmac_t *c,
    const unsigned char *in, size_t len)
{
    size_t  n;

    while (len > 0) {
        if (c->n == STRM_SIV_BLOCK) {
            /* more follows: the buffered block is not the last */
            strm_siv_xor(c->x, c->x, c->buf, STRM_SIV_BLOCK);

            if (strm_siv_block(siv->mac, c->x) != STRM_OK) {
                return STRM_E_INTERNAL;
            }

            c->n = 0;
        }

        n = STRM_SIV_BLOCK - c->n;
        if (n > len) {
            n = len;
        }

        memcpy(c->buf + c->n, in, n);
        c->n += n;
        in += n;
        len -= n;
    }

    return STRM_OK;
}


static strm_rc_t
strm_siv_cmac_final(strm_siv_t *siv, strm_siv_cmac_t *c, unsigned char *out)
{
    size_t          i;
    strm_rc_t       rc;
    unsigned char  *k;

    if (c->n == STRM_SIV_BLOCK) {
        k = siv->k1;

    } else {
        c->buf[c->n] = 0x80;

        for (i = c->n + 1; i < STRM_SIV_BLOCK; i++) {
            c->buf[i] = 0;
        }

        k = siv->k2;
    }

    strm_siv_xor(c->x, c->x, c->buf, STRM_SIV_BLOCK);
    strm_siv_xor(c->x, c->x, k, STRM_SIV_BLOCK);

    rc = strm_siv_block(siv->mac, c->x);

    if (rc == STRM_OK) {
        memcpy(out, c->x, STRM_SIV_BLOCK);
    }

    OPENSSL_cleanse(c, sizeof(strm_siv_cmac_t));

    return rc;
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
    unsigned char    d[STRM_SIV_BLOCK], t[STRM_SIV_BLOCK];
    strm_siv_cmac_t  c;

    rc = STRM_E_INTERNAL;

    for (i = 0; i < STRM_SIV_MEMO; i++) {
        if (siv->memo[i].len == adlen + 1
            && (adlen == 0 || memcmp(siv->memo[i].ad, ad, adlen) == 0))
        {
            memcpy(d, siv->memo[i].mac, STRM_SIV_BLOCK);
            break;
        }
    }

    if (i == STRM_SIV_MEMO) {
        strm_siv_cmac_init(&c);

        if (strm_siv_cmac_update(siv, &c, ad, adlen) != STRM_OK
            || strm_siv_cmac_final(siv, &c, d) != STRM_OK)
        {
            goto failed;
        }

        if (adlen <= STRM_SIV_AD_MEMO) {
            i = siv->next++ % STRM_SIV_MEMO;
            siv->memo[i].len = adlen + 1;

            if (adlen > 0) {
                memcpy(siv->memo[i].ad, ad, adlen);
            }

            memcpy(siv->memo[i].mac, d, STRM_SIV_BLOCK);
        }
    }

    strm_siv_xor(d, d, siv->d0, STRM_SIV_BLOCK);

    strm_siv_cmac_init(&c);

    if (len >= STRM_SIV_BLOCK) {
        /* T = pt xorend D */
        n = len - STRM_SIV_BLOCK;

        strm_siv_xor(t, pt + n, d, STRM_SIV_BLOCK);

        if (strm_siv_cmac_update(siv, &c, pt, n) != STRM_OK
            || strm_siv_cmac_update(siv, &c, t, STRM_SIV_BLOCK) != STRM_OK)
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

        strm_siv_xor(t, t, d, STRM_SIV_BLOCK);

        if (strm_siv_cmac_update(siv, &c, t, STRM_SIV_BLOCK) != STRM_OK) {
            goto failed;
        }
    }

    if (strm_siv_cmac_final(siv, &c, v) != STRM_OK) {
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
 * counter a 128-bit big-endian number: the counter blocks of up to
 * STRM_SIV_CTR_BLOCKS blocks are encrypted in one call on K2's context.
 */

static strm_rc_t
strm_siv_ctr(strm_siv_t *siv, const unsigned char *v,
    const unsigned char *in, size_t len, unsigned char *out)
{
    int            j, n;
    size_t         i, chunk, blocks;
    strm_rc_t      rc;
    unsigned char  q[STRM_SIV_BLOCK];
    unsigned char  ks[STRM_SIV_CTR_BLOCKS * STRM_SIV_BLOCK];

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
    blocks = 0;

    while (len > 0) {
        chunk = (len < sizeof(ks)) ? len : sizeof(ks);
        blocks = (chunk + STRM_SIV_BLOCK - 1) / STRM_SIV_BLOCK;

        for (i = 0; i < blocks; i++) {
            memcpy(ks + i * STRM_SIV_BLOCK, q, STRM_SIV_BLOCK);

            for (j = STRM_SIV_BLOCK - 1; j >= 0; j--) {
                if (++q[j] != 0) {
                    break;
                }
            }
        }

        if (EVP_EncryptUpdate(siv->ctr, ks, &n, ks,
                              (int) (blocks * STRM_SIV_BLOCK)) != 1
            || (size_t) n != blocks * STRM_SIV_BLOCK)
        {
            rc = STRM_E_INTERNAL;
            break;
        }

        strm_siv_xor(out, in, ks, chunk);

        in += chunk;
        out += chunk;
        len -= chunk;
    }

    /* the key stream of the last chunk; earlier ones were overwritten */
    OPENSSL_cleanse(q, sizeof(q));
    OPENSSL_cleanse(ks, blocks * STRM_SIV_BLOCK);

    return rc;
}
