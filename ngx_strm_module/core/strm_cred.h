
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_CRED_H_INCLUDED_
#define _STRM_CRED_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"
#include "strm_jwt.h"


/*
 * Client credentials of the OAuth2 client-credentials grant (RFC 6749
 * section 4.4): a file of salted secret hashes that the token endpoint
 * checks, a file of the HS256 keys that sign and verify its tokens, and
 * the form parsing of the token request.  docs/credentials.md describes
 * both files.
 */

#define STRM_CRED_ID_MAX      128   /* client id: [A-Za-z0-9._~-]{1,128} */
#define STRM_CRED_SALT_LEN    16
#define STRM_CRED_HASH_LEN    32
#define STRM_CRED_SECRET_LEN  43    /* base64url of 32 random bytes */
#define STRM_CRED_KID_MAX     64    /* token key id: same charset, 1..64 */
#define STRM_CRED_CRED_MAX    64    /* credential id: same charset, 1..64 */
#define STRM_CRED_CRED_BYTES  16    /* a new credential id: 16 random bytes */

/* the claim of our tokens that names the credential they were issued for */
#define STRM_CRED_CLAIM       "credId"

/* a file larger than this is refused: it is read whole into memory */
#define STRM_CRED_FILE_MAX    (16 * 1024 * 1024)


typedef struct {
    char           client_id[STRM_CRED_ID_MAX + 1];
    /*
     * The credential id, "" on a line written before credential ids
     * existed (generation 0): tokens carry it in STRM_CRED_CLAIM, so a
     * client revoked and made again under the same id does not get its
     * old tokens back.
     */
    char           cred_id[STRM_CRED_CRED_MAX + 1];
    unsigned char  salt[STRM_CRED_SALT_LEN];
    unsigned char  hash[STRM_CRED_HASH_LEN];
} strm_cred_client_t;


/*
 * 1 if s[0..len) is a valid client id of at most max characters (max is
 * STRM_CRED_ID_MAX for clients, STRM_CRED_KID_MAX for token key ids).
 */
int strm_cred_valid_id(const char *s, size_t len, size_t max);

/*
 * 1 if a[0..n) and b[0..n) are equal, in a time that depends on n alone
 * (the differences gathered eight bytes at a time, no branch on them):
 * CRYPTO_memcmp()'s answer, several times faster for a bearer token.
 */
int strm_cred_equal(const void *a, const void *b, size_t n);

/* out (STRM_CRED_HASH_LEN bytes) = HMAC-SHA256(key = salt, secret) */
strm_rc_t strm_cred_hash(const unsigned char *salt, const char *secret,
    size_t len, unsigned char *out);

/*
 * 1 when the secret matches c, compared in constant time.  c may be
 * NULL (an unknown client): a hash is computed all the same, so that
 * the answer takes as long as for a known client, and 0 returned.
 */
int strm_cred_check(const strm_cred_client_t *c, const char *secret,
    size_t len);

/*
 * Parses a credentials file, one client per line:
 *
 *   <clientId> hmac-sha256 <salt base64url> <hash base64url> [<credId>]
 *
 * The credential id is optional: a line without it is generation 0.
 * '#' starts a comment line, blank lines are ignored, fields are
 * separated by spaces or tabs, CRLF line ends are tolerated.  An error
 * is STRM_E_BAD_REQUEST with "line N: ..." in err (never a salt or a
 * hash).  *clients is malloc()ed, NULL with *n = 0 when the file has no
 * client; free it with strm_cred_free().
 */
strm_rc_t strm_cred_parse(const char *text, size_t len,
    strm_cred_client_t **clients, size_t *n, char *err, size_t errlen);

/*
 * Reads a credentials file (at most STRM_CRED_FILE_MAX bytes) and parses
 * it.  err says what failed ("cannot open: <strerror>", "line N: ...")
 * without the path: the caller names it.  A missing file is
 * STRM_E_NOT_FOUND, another system call failure STRM_E_INTERNAL, a
 * file that is too large, not a regular file or does not parse
 * STRM_E_BAD_REQUEST.  strm_cred_load_token_keys() reads the same way.
 */
strm_rc_t strm_cred_load(const char *path, strm_cred_client_t **clients,
    size_t *n, char *err, size_t errlen);

/* wipes and frees what strm_cred_parse() or strm_cred_load() returned */
void strm_cred_free(strm_cred_client_t *clients, size_t n);

/*
 * A new client: client_id (validated) or, when NULL, "strm-" and 20
 * random characters of [a-z0-9].  secret_out (STRM_CRED_SECRET_LEN + 1
 * bytes) gets the secret, base64url of 32 random bytes, NUL-terminated;
 * c gets the id, a random credential id (base64url of
 * STRM_CRED_CRED_BYTES random bytes), a random salt and the hash.  The
 * secret exists nowhere
 * else: the caller shows it once and wipes it.
 */
strm_rc_t strm_cred_new(const char *client_id, char *secret_out,
    strm_cred_client_t *c);

/*
 * 1 when a token's credential id claim (NULL: absent) names the
 * credential of c: equal ids, or both absent (generation 0).
 */
int strm_cred_same(const strm_cred_client_t *c, const char *cred_id,
    size_t len);

/* the file line of c with its '\n'; returns the length like snprintf */
size_t strm_cred_format(const strm_cred_client_t *c, char *buf,
    size_t size);

/*
 * Reads a token keys file, one HS256 key per line:
 *
 *   <kid> <secret base64url>
 *
 * with '#' comments and blank lines.  A secret decodes to at least
 * STRM_JWT_HS256_MIN bytes.  Every key is added to keys (all of them
 * verify); the first one signs new tokens: *sign_kid, *sign_key and
 * *sign_len get malloc()ed copies of it, to be released with
 * strm_cred_free_key().  No key, a bad kid, a duplicate kid, a bad or
 * short secret are STRM_E_BAD_REQUEST with "line N: ..." in err (never
 * the secret).  The file is checked whole before a key is added, but on
 * an error keys may still hold some of its keys (a duplicate of a key
 * already in the set): the caller throws the set away.
 */
strm_rc_t strm_cred_load_token_keys(const char *path, strm_jwt_keys_t *keys,
    char **sign_kid, unsigned char **sign_key, size_t *sign_len, char *err,
    size_t errlen);

/* wipes the key and frees both; either may be NULL */
void strm_cred_free_key(char *kid, unsigned char *key, size_t len);

/*
 * application/x-www-form-urlencoded (WHATWG URL, section 5): the value
 * of the parameter name, decoded ('+' is a space, %XX a byte) into a
 * malloc()ed, NUL-terminated *out of *outlen bytes (it may hold NUL
 * bytes).  Names are compared after decoding.  STRM_E_NOT_FOUND when
 * absent; STRM_E_BAD_REQUEST when the parameter appears twice (RFC 6749
 * section 3.2) or its value has a bad % escape; STRM_E_NOMEM.
 */
strm_rc_t strm_form_get(const char *body, size_t len, const char *name,
    char **out, size_t *outlen);

/*
 * Decodes one form-urlencoded component src[0..len) into dst (len bytes
 * are enough; dst may be src).  Returns the decoded length, or
 * (size_t) -1 on a bad % escape.  HTTP Basic client credentials are
 * encoded that way too (RFC 6749 section 2.3.1).
 */
size_t strm_form_decode(char *dst, const char *src, size_t len);


#endif /* _STRM_CRED_H_INCLUDED_ */
