
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_SIGV4_H_INCLUDED_
#define _STRM_SIGV4_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"


/*
 * AWS Signature Version 4 (HMAC-SHA256), header-based: the canonical
 * request, the string to sign, the derived signing key and the
 * Authorization header value, as the export worker needs them to talk
 * to S3 (and to the S3-compatible XML API of Google Cloud Storage) with
 * no SDK.  A presigned URL is the same computation with the X-Amz-*
 * parameters in the query and no x-amz-date header: the caller builds
 * that query and takes the signature.
 */

#define STRM_SIGV4_ALGORITHM  "AWS4-HMAC-SHA256"
#define STRM_SIGV4_UNSIGNED   "UNSIGNED-PAYLOAD"
#define STRM_SIGV4_DATE_LEN   16       /* "20150830T123600Z" */
#define STRM_SIGV4_HEX_LEN    64       /* hex SHA-256 or signature */


typedef struct {
    const char                 *name;
    const char                 *value;
} strm_sigv4_header_t;


typedef struct {
    const char                 *method;
    /*
     * The path as it goes on the wire.  With encode_path 1 every byte
     * but the RFC 3986 unreserved ones and '/' is percent-encoded (a
     * '%' too: the generic services sign the wire path encoded once
     * more); with encode_path 0 (S3, whose keys the caller has encoded
     * already) it is taken as it is.  NULL or "" is "/".
     */
    const char                 *path;
    /*
     * The query without '?', NULL when none.  Percent-escapes are
     * decoded and every name and value encoded again, so a plain and an
     * encoded query give the same canonical form; '+' is a plus sign,
     * not a space.  A parameter without '=' is signed as "name=".
     */
    const char                 *query;
    /*
     * Exactly the headers to sign, host among them (x-amz-date,
     * x-amz-content-sha256, x-amz-security-token are the caller's to
     * add when it sends them).  Names are compared without case,
     * repeated names are joined with ',' in the order given.
     */
    const strm_sigv4_header_t  *headers;
    size_t                      nheaders;
    /* hex SHA-256 of the body or "UNSIGNED-PAYLOAD"; NULL: hash payload */
    const char                 *payload_hash;
    const unsigned char        *payload;
    size_t                      payload_len;
    const char                 *region;
    const char                 *service;
    const char                 *access_key;
    const char                 *secret_key;
    /*
     * NULL without temporary credentials.  When set and no
     * x-amz-security-token header is among the headers, it is signed
     * as one: the caller must then send that header too.
     */
    const char                 *session_token;
    const char                 *amz_date;
    int                         normalize_path;  /* 0 for S3 */
    int                         encode_path;     /* 0 for S3 */
} strm_sigv4_request_t;


typedef struct {
    char                       *canonical_request;
    char                       *string_to_sign;
    char                        signature[STRM_SIGV4_HEX_LEN + 1];
    char                       *authorization;
    char                       *signed_headers;
} strm_sigv4_result_t;


/*
 * Signs req into res (every pointer of it malloc()ed, NULL on error).
 * A missing field, an access key, region or service with a '/', ','
 * or white space, no host header, a header name that is not an HTTP
 * token, a line break in a header value, the token or the payload hash,
 * or an amz_date not of the form YYYYMMDDTHHMMSSZ is
 * STRM_E_BAD_REQUEST; an OpenSSL failure
 * STRM_E_INTERNAL; no memory STRM_E_NOMEM.  The derived keys never
 * leave the function and are wiped there.
 */
strm_rc_t strm_sigv4_sign(const strm_sigv4_request_t *req,
    strm_sigv4_result_t *res);

/*
 * Frees what res holds and clears the pointers.  No key is in it; the
 * canonical request holds the session token, which goes on the wire
 * anyway, and is not wiped.
 */
void strm_sigv4_result_free(strm_sigv4_result_t *res);

/* lowercase hex SHA-256 of data, NUL-terminated; "" if OpenSSL fails */
void strm_sigv4_sha256_hex(const unsigned char *data, size_t len,
    char out[STRM_SIGV4_HEX_LEN + 1]);

/*
 * Percent-encodes src[0..len) as SigV4 wants it: RFC 3986 unreserved
 * characters (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX
 * with uppercase hex; '/' stays unless encode_slash.  Writes no NUL.
 * Returns the length of the encoded form; with dst NULL only that.
 */
size_t strm_sigv4_uri_encode(char *dst, const char *src, size_t len,
    int encode_slash);


#endif /* _STRM_SIGV4_H_INCLUDED_ */
