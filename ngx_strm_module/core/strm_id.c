
/*
 * Copyright (C) ngx_strm authors
 */


#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "strm_id.h"


/*
 * Random bytes for ids and nonces are taken from OpenSSL's DRBG a block
 * at a time: a RAND_bytes() call costs as much as the rest of an id,
 * and every event takes two.  The block is per thread (no lock), is
 * dropped in a forked child (which must not hand out its parent's
 * bytes: a pthread_atfork() handler, not a getpid() per call, which is
 * a system call in glibc), and each byte is wiped as it is handed out,
 * so no id can be read back from memory once given.  OpenSSL's DRBG
 * asks getpid() itself once a RAND_bytes() call (its own fork check):
 * a 4,096-byte block makes that one per 200 events.
 */
#define STRM_ID_POOL  4096


static strm_rc_t strm_id_random(unsigned char *out, size_t n);
static void strm_id_init(void);
static void strm_id_forked(void);


static __thread unsigned char  strm_id_pool[STRM_ID_POOL];
static __thread size_t         strm_id_pos = STRM_ID_POOL;

static pthread_once_t          strm_id_once = PTHREAD_ONCE_INIT;
static int                     strm_id_atfork = -1;

/* a byte's two lowercase hex digits */
static const char  strm_id_hex[256][2] = {
#define STRM_ID_H(n)  { "0123456789abcdef"[(n) >> 4],                        \
                        "0123456789abcdef"[(n) & 15] }
#define STRM_ID_H4(n) STRM_ID_H(n), STRM_ID_H(n + 1), STRM_ID_H(n + 2),      \
                      STRM_ID_H(n + 3)
#define STRM_ID_H16(n) STRM_ID_H4(n), STRM_ID_H4(n + 4), STRM_ID_H4(n + 8),  \
                       STRM_ID_H4(n + 12)
    STRM_ID_H16(0), STRM_ID_H16(16), STRM_ID_H16(32), STRM_ID_H16(48),
    STRM_ID_H16(64), STRM_ID_H16(80), STRM_ID_H16(96), STRM_ID_H16(112),
    STRM_ID_H16(128), STRM_ID_H16(144), STRM_ID_H16(160), STRM_ID_H16(176),
    STRM_ID_H16(192), STRM_ID_H16(208), STRM_ID_H16(224), STRM_ID_H16(240)
#undef STRM_ID_H16
#undef STRM_ID_H4
#undef STRM_ID_H
};


strm_rc_t
strm_uuid4(char *out)
{
    int             i;
    char           *p;
    unsigned char   b[16];

    if (strm_id_random(b, sizeof(b)) != STRM_OK) {
        return STRM_E_INTERNAL;
    }

    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);

    p = out;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }

        memcpy(p, strm_id_hex[b[i]], 2);
        p += 2;
    }

    return STRM_OK;
}


strm_rc_t
strm_random_i32(int32_t *out)
{
    uint32_t  v;

    if (strm_id_random((unsigned char *) &v, sizeof(v)) != STRM_OK) {
        return STRM_E_INTERNAL;
    }

    *out = (int32_t) v;

    return STRM_OK;
}


static strm_rc_t
strm_id_random(unsigned char *out, size_t n)
{
    (void) pthread_once(&strm_id_once, strm_id_init);

    /* no block without the fork handler */
    if (n > STRM_ID_POOL || strm_id_atfork != 0) {
        return (RAND_bytes(out, (int) n) == 1) ? STRM_OK : STRM_E_INTERNAL;
    }

    if (STRM_ID_POOL - strm_id_pos < n) {
        if (RAND_bytes(strm_id_pool, STRM_ID_POOL) != 1) {
            OPENSSL_cleanse(strm_id_pool, STRM_ID_POOL);
            strm_id_pos = STRM_ID_POOL;
            return STRM_E_INTERNAL;
        }

        strm_id_pos = 0;
    }

    memcpy(out, strm_id_pool + strm_id_pos, n);
    OPENSSL_cleanse(strm_id_pool + strm_id_pos, n);
    strm_id_pos += n;

    return STRM_OK;
}


static void
strm_id_init(void)
{
    strm_id_atfork = pthread_atfork(NULL, NULL, strm_id_forked);
}


/* in the child, in the thread that forked: the only one there */
static void
strm_id_forked(void)
{
    OPENSSL_cleanse(strm_id_pool, STRM_ID_POOL);
    strm_id_pos = STRM_ID_POOL;
}
