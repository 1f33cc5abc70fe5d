
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_JWT_H_INCLUDED_
#define _STRM_JWT_H_INCLUDED_


#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "strm_error.h"


/* tokens longer than this are refused before any decoding */
#define STRM_JWT_MAX_LEN      8192

/*
 * The largest NumericDate accepted in exp, nbf and iat: 9999-12-31
 * 23:59:59 UTC.  Larger values, negative ones, reals and strings are
 * refused ("exp out of range", "exp not an integer", same for nbf and
 * iat).
 */
#define STRM_JWT_TIME_MAX     253402300799LL

/* RFC 7518 section 3.2: an HS256 key is at least as long as the hash */
#define STRM_JWT_HS256_MIN    32


typedef enum {
    STRM_JWT_HS256 = 1,
    STRM_JWT_RS256,
    STRM_JWT_ES256,
    STRM_JWT_EDDSA
} strm_jwt_alg_e;


typedef struct strm_jwt_keys_s  strm_jwt_keys_t;

/*
 * Why a token was refused: a short static string ("malformed",
 * "too large", "alg not allowed", "unknown key", "bad signature",
 * "expired", "not yet valid", "issued in the future", "exp missing",
 * "wrong issuer", "wrong audience", "unsupported header", ...), "ok" on
 * success.  It never holds anything from the token.
 */
typedef const char  *strm_jwt_err_t;


typedef struct {
    time_t       leeway;       /* seconds allowed for clock skew */
    const char  *issuer;       /* the "iss" required, NULL: any */
    const char  *audience;     /* one "aud" required, NULL: any */
} strm_jwt_params_t;


/*
 * A key set: HS256 secrets by kid (several for rotation) and public
 * keys from JWKS documents.  A key is used only for the alg of its
 * type: an HS256 secret for HS256, an RSA key for RS256, a P-256 key
 * for ES256, an Ed25519 key for EdDSA.
 */
strm_jwt_keys_t *strm_jwt_keys_create(void);
void strm_jwt_keys_free(strm_jwt_keys_t *keys);

/*
 * Adds an HS256 secret (copied; wiped when the set is freed).  kid may
 * be NULL.  A short key or a duplicate kid is STRM_E_BAD_REQUEST.
 */
strm_rc_t strm_jwt_keys_add_hs256(strm_jwt_keys_t *keys, const char *kid,
    const unsigned char *key, size_t len);

/*
 * Adds the signature keys of a JWKS document (RFC 7517): kty RSA (n, e;
 * 2048 bits or more), EC crv P-256 (x, y), OKP crv Ed25519 (x).  Keys
 * with "use" other than "sig", an "alg" not of their type, or another
 * kty or curve are skipped.  A malformed key of a supported type, or a
 * document with no usable key, fails the whole document (nothing is
 * added) with STRM_E_BAD_REQUEST and a message in err.  err may be NULL.
 */
strm_rc_t strm_jwt_keys_add_jwks(strm_jwt_keys_t *keys, const char *json,
    size_t len, char *err, size_t errlen);

/* the number of keys in the set */
size_t strm_jwt_keys_count(const strm_jwt_keys_t *keys);

/*
 * Signs claims (a JSON object) as a compact JWS with the header
 * {"alg":"HS256","typ":"JWT"[,"kid":kid]}.  *out is a NUL-terminated
 * string the caller frees with free().
 */
strm_rc_t strm_jwt_sign_hs256(const unsigned char *key, size_t keylen,
    const char *kid, json_t *claims, char **out);

/*
 * Verifies a compact JWS token: structure and size, the header alg
 * against the key chosen by "kid" (or the only key of that alg when
 * the token has no kid), the signature, then "exp" (required), "nbf",
 * "iat" and, when params ask for them, "iss" and "aud".  params may be
 * NULL (no leeway, no issuer or audience check).  On STRM_OK *claims
 * (when claims is not NULL) is the payload object, to json_decref().
 * A refused token is STRM_E_FORBIDDEN with *why set; STRM_E_NOMEM and
 * STRM_E_INTERNAL are ours.
 */
strm_rc_t strm_jwt_verify(const strm_jwt_keys_t *keys,
    const strm_jwt_params_t *params, const char *token, size_t len,
    time_t now, json_t **claims, strm_jwt_err_t *why);

/*
 * The NumericDate claim name of verified claims into *out: STRM_OK,
 * STRM_E_NOT_FOUND when absent, STRM_E_BAD_REQUEST when it is not one
 * strm_jwt_verify() accepts.
 */
strm_rc_t strm_jwt_claim_time(json_t *claims, const char *name,
    time_t *out);

/* the name of an alg as in a JWS header */
const char *strm_jwt_alg_name(strm_jwt_alg_e alg);


#endif /* _STRM_JWT_H_INCLUDED_ */
