
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * What a client controls on the auth path: a bearer token (verified
 * against an HS256 key and a JWKS with RSA, P-256 and Ed25519 keys), a
 * token endpoint form body and a JWKS document.  The first byte picks
 * the parser.  Nothing may crash, leak or read out of bounds, and a
 * token that verifies must carry the claims a verified token has.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_jwt.h"
#include "strm_cred.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static strm_jwt_keys_t  *fuzz_keys;

static const unsigned char  fuzz_hs_key[32] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f";

/* the example public keys of RFC 7515 A.3 (P-256) and RFC 8037 A.2 */
static const char  fuzz_jwks[] =
    "{\"keys\":["
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"
    "]}";


static void
fuzz_init(void)
{
    fuzz_keys = strm_jwt_keys_create();

    if (fuzz_keys == NULL
        || strm_jwt_keys_add_hs256(fuzz_keys, "k1", fuzz_hs_key,
                                   sizeof(fuzz_hs_key)) != STRM_OK
        || strm_jwt_keys_add_jwks(fuzz_keys, fuzz_jwks, sizeof(fuzz_jwks) - 1,
                                  NULL, 0) != STRM_OK)
    {
        abort();
    }
}


static void
fuzz_token(const char *tok, size_t len)
{
    json_t             *claims;
    strm_rc_t           rc;
    strm_jwt_err_t      why;
    strm_jwt_params_t   params;

    params.leeway = 5;
    params.issuer = "ngx_strm";
    params.audience = NULL;

    rc = strm_jwt_verify(fuzz_keys, &params, tok, len, 1700000000, &claims,
                         &why);

    if (rc == STRM_OK) {
        /* only a token we could have signed verifies: exp is there */
        if (!json_is_object(claims)
            || json_object_get(claims, "exp") == NULL)
        {
            abort();
        }

        json_decref(claims);

    } else if (why == NULL || claims != NULL) {
        abort();
    }
}


static void
fuzz_form(const char *body, size_t len)
{
    char    *v;
    size_t   vlen;

    static const char  *names[] = {
        "grant_type", "client_id", "client_secret", "refresh_token", ""
    };
    size_t  i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strm_form_get(body, len, names[i], &v, &vlen) == STRM_OK) {
            if (v[vlen] != '\0' || vlen > len) {
                abort();
            }

            free(v);
        }
    }
}


static void
fuzz_jwks_doc(const char *doc, size_t len)
{
    strm_jwt_keys_t  *keys;
    char              err[256];

    keys = strm_jwt_keys_create();
    if (keys == NULL) {
        return;
    }

    (void) strm_jwt_keys_add_jwks(keys, doc, len, err, sizeof(err));

    strm_jwt_keys_free(keys);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *copy;

    if (fuzz_keys == NULL) {
        fuzz_init();
    }

    if (size < 1) {
        return 0;
    }

    /* the parsers get exactly size - 1 bytes, not NUL-terminated */
    copy = malloc(size - 1 ? size - 1 : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data + 1, size - 1);

    switch (data[0] % 3) {

    case 0:
        fuzz_token(copy, size - 1);
        break;

    case 1:
        fuzz_form(copy, size - 1);
        break;

    default:
        fuzz_jwks_doc(copy, size - 1);
        break;
    }

    free(copy);

    return 0;
}
