
/*
 * Copyright (C) ngx_strm authors
 */


#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "strm_id.h"


/*
 * Random bytes for ids and nonces are taken from OpenSSL's DRBG a block
 * at a time: a RAND_bytes() call costs as much as the rest of an id,
 * and every event takes two.  The block is per thread (no lock), is
 * dropped in a forked child (which must not hand out its parent's
 * bytes), and each byte is wiped as it is handed out, so no id can be
 * read back from memory once given.  A fork is seen by a handler of
 * pthread_atfork(), run in the child by the thread that forked (the
 * child's only thread), not by a getpid() per id: that was a system
 * call per id, two per event.  OpenSSL's DRBG asks getpid() itself once
 * a RAND_bytes() call (its own fork check): a 512-byte block made that
 * one per 25 events, 4,096 bytes one per 200.
 */
#define STRM_ID_POOL  4096


static strm_rc_t strm_id_random(unsigned char *out, size_t n);
static void strm_id_watch_fork(void);
static void strm_id_forked(void);


static __thread unsigned char  strm_id_pool[STRM_ID_POOL];
static __thread size_t         strm_id_pos = STRM_ID_POOL;
static __thread pid_t          strm_id_pid;

static pthread_once_t          strm_id_once = PTHREAD_ONCE_INIT;
static int                     strm_id_fork_watched;


strm_rc_t
strm_uuid4(char *out)
{
    int             i, n;
    unsigned char   b[16];

    static const char  hex[] = "0123456789abcdef";

    if (strm_id_random(b, sizeof(b)) != STRM_OK) {
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

    if (strm_id_random((unsigned char *) &v, sizeof(v)) != STRM_OK) {
        return STRM_E_INTERNAL;
    }

    *out = (int32_t) v;

    return STRM_OK;
}


static strm_rc_t
strm_id_random(unsigned char *out, size_t n)
{
    pid_t  pid;

    if (n > STRM_ID_POOL) {
        return (RAND_bytes(out, (int) n) == 1) ? STRM_OK : STRM_E_INTERNAL;
    }

    (void) pthread_once(&strm_id_once, strm_id_watch_fork);

    /* without the fork handler (it could not be added): by the pid */
    if (!strm_id_fork_watched) {
        pid = getpid();

        if (strm_id_pid != pid) {
            strm_id_pid = pid;
            strm_id_pos = STRM_ID_POOL;
        }
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


/*
 * Added once a process, before its first id: a block filled before a
 * fork is only handed out after it, so the child's handler always runs
 * first.  (A shared object's handler goes with the object when it is
 * unloaded.)
 */
static void
strm_id_watch_fork(void)
{
    strm_id_fork_watched = (pthread_atfork(NULL, NULL, strm_id_forked) == 0);
}


/* the child: its parent's block is its parent's */
static void
strm_id_forked(void)
{
    OPENSSL_cleanse(strm_id_pool, STRM_ID_POOL);
    strm_id_pos = STRM_ID_POOL;
}
