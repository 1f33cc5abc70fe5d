
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdint.h>
#include <string.h>

#include "strm_b64.h"


static size_t strm_b64_encode_internal(unsigned char *dst,
    const unsigned char *src, size_t len, const unsigned char *basis,
    int padding);
static strm_rc_t strm_b64_decode_internal(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t len, const unsigned char *values);


static const unsigned char  strm_b64_basis[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const unsigned char  strm_b64url_basis[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/*
 * The standard alphabet's two characters of each 12 bits: half the
 * lookups of one character at a time, for the ciphertexts the gateway
 * writes into every event (8 kB, made by the compiler)
 */
#define STRM_B64_C(i)                                                        \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i]
#define STRM_B64_P(i)     STRM_B64_C((i) >> 6), STRM_B64_C((i) & 0x3f)
#define STRM_B64_P4(i)                                                       \
    STRM_B64_P(i), STRM_B64_P((i) + 1), STRM_B64_P((i) + 2),                 \
    STRM_B64_P((i) + 3)
#define STRM_B64_P16(i)                                                      \
    STRM_B64_P4(i), STRM_B64_P4((i) + 4), STRM_B64_P4((i) + 8),              \
    STRM_B64_P4((i) + 12)
#define STRM_B64_P64(i)                                                      \
    STRM_B64_P16(i), STRM_B64_P16((i) + 16), STRM_B64_P16((i) + 32),         \
    STRM_B64_P16((i) + 48)
#define STRM_B64_P256(i)                                                     \
    STRM_B64_P64(i), STRM_B64_P64((i) + 64), STRM_B64_P64((i) + 128),        \
    STRM_B64_P64((i) + 192)
#define STRM_B64_P1024(i)                                                    \
    STRM_B64_P256(i), STRM_B64_P256((i) + 256), STRM_B64_P256((i) + 512),    \
    STRM_B64_P256((i) + 768)

static const unsigned char  strm_b64_pairs[4096 * 2] = {
    STRM_B64_P1024(0), STRM_B64_P1024(1024), STRM_B64_P1024(2048),
    STRM_B64_P1024(3072)
};


/*
 * The value of each character, 64 for none.  Decoding the standard
 * alphabet also takes the URL-safe one ("-" is 62, "_" is 63), as
 * protobuf's JSON parsers do; base64url takes its own alphabet only.
 */
static const unsigned char  strm_b64_values[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 62, 64, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
};

static const unsigned char  strm_b64url_values[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
};


size_t
strm_b64_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    return strm_b64_encode_internal(dst, src, len, strm_b64_basis, 1);
}


size_t
strm_b64url_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    return strm_b64_encode_internal(dst, src, len, strm_b64url_basis, 0);
}


static size_t
strm_b64_encode_internal(unsigned char *dst, const unsigned char *src,
    size_t len, const unsigned char *basis, int padding)
{
    uint32_t        v;
    unsigned char  *d;

    d = dst;

    /* the standard alphabet: two characters a lookup */
    while (basis == strm_b64_basis && len > 2) {
        v = ((uint32_t) src[0] << 16) | ((uint32_t) src[1] << 8) | src[2];
        memcpy(d, &strm_b64_pairs[(v >> 12) * 2], 2);
        memcpy(d + 2, &strm_b64_pairs[(v & 0xfff) * 2], 2);
        d += 4;
        src += 3;
        len -= 3;
    }

    while (len > 2) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = basis[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = basis[src[2] & 0x3f];
        src += 3;
        len -= 3;
    }

    if (len > 0) {
        *d++ = basis[src[0] >> 2];

        if (len == 1) {
            *d++ = basis[(src[0] & 0x03) << 4];

            if (padding) {
                *d++ = '=';
            }

        } else {
            *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
            *d++ = basis[(src[1] & 0x0f) << 2];
        }

        if (padding) {
            *d++ = '=';
        }
    }

    return d - dst;
}


strm_rc_t
strm_b64_decode(unsigned char *dst, size_t *dlen, const unsigned char *src,
    size_t len)
{
    /* padding is optional: when present it only completes the length */
    if (len % 4 == 0 && len > 0 && src[len - 1] == '=') {
        len -= (src[len - 2] == '=') ? 2 : 1;
    }

    return strm_b64_decode_internal(dst, dlen, src, len, strm_b64_values);
}


strm_rc_t
strm_b64url_decode(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t len)
{
    return strm_b64_decode_internal(dst, dlen, src, len, strm_b64url_values);
}


static strm_rc_t
strm_b64_decode_internal(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t len, const unsigned char *values)
{
    size_t        i, n;
    unsigned int  a, b, c, v, acc;

    /* one character left over carries only 6 bits: never valid */
    if (len % 4 == 1) {
        return STRM_E_BAD_REQUEST;
    }

    n = 0;

    /* whole quads first: four lookups, one test, three bytes */
    for (i = 0; i + 4 <= len; i += 4) {
        a = values[src[i]];
        b = values[src[i + 1]];
        c = values[src[i + 2]];
        v = values[src[i + 3]];

        if ((a | b | c | v) > 63) {
            return STRM_E_BAD_REQUEST;
        }

        acc = (a << 18) | (b << 12) | (c << 6) | v;
        dst[n] = (unsigned char) (acc >> 16);
        dst[n + 1] = (unsigned char) (acc >> 8);
        dst[n + 2] = (unsigned char) acc;
        n += 3;
    }

    acc = 0;

    for ( /* void */ ; i < len; i++) {
        v = values[src[i]];
        if (v > 63) {
            return STRM_E_BAD_REQUEST;
        }

        acc = (acc << 6) | v;

        if (i % 4 == 3) {
            dst[n++] = (unsigned char) (acc >> 16);
            dst[n++] = (unsigned char) (acc >> 8);
            dst[n++] = (unsigned char) acc;
            acc = 0;
        }
    }

    /* one encoding per value: the unused low bits must be zero */

    switch (len % 4) {
    case 2:
        if (acc & 0x0f) {
            return STRM_E_BAD_REQUEST;
        }

        dst[n++] = (unsigned char) (acc >> 4);
        break;

    case 3:
        if (acc & 0x03) {
            return STRM_E_BAD_REQUEST;
        }

        dst[n++] = (unsigned char) (acc >> 10);
        dst[n++] = (unsigned char) (acc >> 2);
        break;
    }

    *dlen = n;

    return STRM_OK;
}
