
/*
 * Copyright (C) ngx_strm authors
 */


#include "strm_b64.h"


static int strm_b64_value(unsigned char c);


size_t
strm_b64_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    unsigned char  *d;

    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    d = dst;

    while (len >= 3) {
        *d++ = alphabet[src[0] >> 2];
        *d++ = alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = alphabet[src[2] & 0x3f];
        src += 3;
        len -= 3;
    }

    if (len > 0) {
        *d++ = alphabet[src[0] >> 2];

        if (len == 1) {
            *d++ = alphabet[(src[0] & 0x03) << 4];
            *d++ = '=';

        } else {
            *d++ = alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
            *d++ = alphabet[(src[1] & 0x0f) << 2];
        }

        *d++ = '=';
    }

    return d - dst;
}


strm_rc_t
strm_b64_decode(unsigned char *dst, size_t *dlen, const unsigned char *src,
    size_t len)
{
    int            v;
    size_t         i, n, pad;
    unsigned int   acc;

    pad = 0;

    if (len % 4 == 0 && len > 0 && src[len - 1] == '=') {
        pad = (src[len - 2] == '=') ? 2 : 1;
        len -= pad;
    }

    if (len % 4 == 1) {
        return STRM_E_BAD_REQUEST;
    }

    acc = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        v = strm_b64_value(src[i]);
        if (v < 0) {
            return STRM_E_BAD_REQUEST;
        }

        acc = (acc << 6) | (unsigned int) v;

        if (i % 4 == 3) {
            dst[n++] = (unsigned char) (acc >> 16);
            dst[n++] = (unsigned char) (acc >> 8);
            dst[n++] = (unsigned char) acc;
            acc = 0;
        }
    }

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


static int
strm_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+' || c == '-') {
        return 62;
    }

    if (c == '/' || c == '_') {
        return 63;
    }

    return -1;
}
