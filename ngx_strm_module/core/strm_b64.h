
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_B64_H_INCLUDED_
#define _STRM_B64_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"


/*
 * Base64 (RFC 4648): the standard alphabet with padding (section 4),
 * as Tink, protobuf's JSON and WebSocket write it, and base64url
 * without padding (section 5), as JWS (RFC 7515) and our credential
 * files write it.  One routine each way serves both alphabets.
 */

/* the encoded length of n bytes, padding included, without a NUL */
#define strm_b64_encoded_len(n)     (((n) + 2) / 3 * 4)

/* an upper bound of the decoded length of n characters */
#define strm_b64_decoded_len(n)     (((n) + 3) / 4 * 3)

/* the encoded length of n bytes in base64url without padding */
#define strm_b64url_encoded_len(n)  (((n) * 4 + 2) / 3)

/* the decoded length of n base64url characters (exact when valid) */
#define strm_b64url_decoded_len(n)  ((n) * 3 / 4)


/*
 * Standard base64 with padding; dst gets strm_b64_encoded_len(len)
 * bytes and no NUL.  Returns that length.
 */
size_t strm_b64_encode(unsigned char *dst, const unsigned char *src,
    size_t len);

/*
 * Decodes the standard or the URL-safe alphabet (as protobuf's JSON
 * parsers accept), padding optional; anything else (whitespace, bad
 * padding, non-zero trailing bits) is STRM_E_BAD_REQUEST.  dst gets at
 * most strm_b64_decoded_len(len) bytes, *dlen the count.
 */
strm_rc_t strm_b64_decode(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t len);

/*
 * base64url without padding; dst gets strm_b64url_encoded_len(len)
 * bytes and no NUL.  Returns that length.
 */
size_t strm_b64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len);

/*
 * Strict base64url: the URL-safe alphabet only, no padding, no
 * whitespace, zero trailing bits; else STRM_E_BAD_REQUEST.  dst gets
 * strm_b64url_decoded_len(len) bytes, *dlen the count.
 */
strm_rc_t strm_b64url_decode(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t len);


#endif /* _STRM_B64_H_INCLUDED_ */
