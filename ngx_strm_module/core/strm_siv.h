
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_SIV_H_INCLUDED_
#define _STRM_SIV_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"


#define STRM_SIV_BLOCK  16


/*
 * AES-SIV (RFC 5297) with exactly one associated-data component, as
 * Tink's DeterministicAead uses it: S2V(K1; ad, pt) even when ad is
 * empty.  Keys of 32, 48 or 64 bytes (AES-128/192/256-SIV; Tink's
 * AesSivKey is always 64): the first half keys S2V (CMAC), the second
 * half keys CTR.
 *
 * A context is keyed once (key setup costs several encryptions of a
 * short value) and reused for any number of operations.  It holds
 * mutable OpenSSL state: one context must not be used by two threads
 * at once.  strm_siv_free() wipes every derived secret.
 *
 * ct = SIV (16 bytes) || AES-CTR(pt); the buffers must not overlap.
 */
typedef struct strm_siv_s  strm_siv_t;


/* returns NULL for a key of another size or when OpenSSL fails */
strm_siv_t *strm_siv_new(const unsigned char *key, size_t len);
void strm_siv_free(strm_siv_t *siv);

/* out gets STRM_SIV_BLOCK + len bytes */
strm_rc_t strm_siv_encrypt(strm_siv_t *siv, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char *out);

/*
 * out gets len - STRM_SIV_BLOCK bytes; STRM_E_BAD_REQUEST when len is
 * below 16 or the SIV does not match (out is then wiped),
 * STRM_E_INTERNAL when OpenSSL fails.
 */
strm_rc_t strm_siv_decrypt(strm_siv_t *siv, const unsigned char *ad,
    size_t adlen, const unsigned char *ct, size_t len, unsigned char *out);


#endif /* _STRM_SIV_H_INCLUDED_ */
