
/*
 * Copyright (C) ngx_strm authors
 */


#include <openssl/rand.h>

#include "strm_id.h"


strm_rc_t
strm_uuid4(char *out)
{
    int             i, n;
    unsigned char   b[16];

    static const char  hex[] = "0123456789abcdef";

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return STRM_E_INTERNAL;
    }

    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);

    n = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[n++] = '-';
        }

        out[n++] = hex[b[i] >> 4];
        out[n++] = hex[b[i] & 0x0f];
    }

    return STRM_OK;
}


strm_rc_t
strm_random_i32(int32_t *out)
{
    uint32_t  v;

    if (RAND_bytes((unsigned char *) &v, sizeof(v)) != 1) {
        return STRM_E_INTERNAL;
    }

    *out = (int32_t) v;

    return STRM_OK;
}
