
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * A key link's record as it travels in the keys topic: compact JSON,
 * the key wrapped (base64), a fleet record's session (hex) and window
 * (strm_keystore.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "strm_b64.h"
#include "strm_keystore.h"


static int strm_keyrec_hex(const char *hex, size_t len, unsigned char *out);


char *
strm_keyrec_to_json(const strm_keyrec_t *rec, size_t *len)
{
    int      n, rc;
    char    *out;
    size_t   i;
    json_t  *j;
    char     hex[2 * STRM_KEYSTORE_HMAC_LEN + 1];
    char     b64[strm_b64_encoded_len(STRM_KEYSTORE_WRAPPED_MAX) + 1];

    static const char  digits[] = "0123456789abcdef";

    n = (int) strm_b64_encode((unsigned char *) b64, rec->wrapped,
                              rec->wrapped_len);

    j = json_pack("{s:s, s:I, s:I, s:I, s:s#}",
                  "keyLink", rec->link,
                  "keyId", (json_int_t) rec->key_id,
                  "created", (json_int_t) rec->created,
                  "expires", (json_int_t) rec->expires,
                  "wrappedKey", b64, (size_t) n);
    if (j == NULL) {
        return NULL;
    }

    if (rec->fleet) {
        for (i = 0; i < STRM_KEYSTORE_HMAC_LEN; i++) {
            hex[2 * i] = digits[rec->session[i] >> 4];
            hex[2 * i + 1] = digits[rec->session[i] & 0x0f];
        }

        hex[2 * STRM_KEYSTORE_HMAC_LEN] = '\0';

        rc = json_object_set_new(j, "sessionHash", json_string(hex));

        if (rc == 0) {
            rc = json_object_set_new(j, "window",
                                     json_integer((json_int_t) rec->window));
        }

        if (rc != 0) {
            json_decref(j);
            return NULL;
        }
    }

    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (out != NULL) {
        *len = strlen(out);
    }

    return out;
}


/* 64 hex digits into 32 bytes: 0, or -1 */
static int
strm_keyrec_hex(const char *hex, size_t len, unsigned char *out)
{
    int     v;
    size_t  i;
    char    c;

    if (len != 2 * STRM_KEYSTORE_HMAC_LEN) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = hex[i];

        if (c >= '0' && c <= '9') {
            v = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;

        } else {
            return -1;
        }

        if (i % 2 == 0) {
            out[i / 2] = (unsigned char) (v << 4);

        } else {
            out[i / 2] |= (unsigned char) v;
        }
    }

    return 0;
}


int
strm_keyrec_from_json(const char *buf, size_t len, strm_keyrec_t *rec)
{
    size_t        n, blen, llen;
    json_t       *j, *hash, *window;
    const char   *link, *b64;
    json_int_t    key_id, created, expires;
    unsigned char raw[strm_b64_decoded_len(
                          strm_b64_encoded_len(STRM_KEYSTORE_WRAPPED_MAX))];

    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (j == NULL) {
        return -1;
    }

    if (json_unpack(j, "{s:s%, s:I, s:I, s:I, s:s%}",
                    "keyLink", &link, &llen, "keyId", &key_id,
                    "created", &created, "expires", &expires,
                    "wrappedKey", &b64, &blen) != 0
        || llen != STRM_UUID_LEN || key_id < 0 || key_id > 0xffffffffLL
        || blen == 0 || blen > strm_b64_encoded_len(STRM_KEYSTORE_WRAPPED_MAX)
        || strm_b64_decode(raw, &n, (const unsigned char *) b64, blen)
           != STRM_OK
        || n == 0 || n > STRM_KEYSTORE_WRAPPED_MAX)
    {
        json_decref(j);
        return -1;
    }

    memcpy(rec->link, link, STRM_UUID_LEN);
    rec->link[STRM_UUID_LEN] = '\0';
    rec->key_id = (uint32_t) key_id;
    rec->created = created;
    rec->expires = expires;
    rec->wrapped_len = n;
    rec->published = 1;
    memcpy(rec->wrapped, raw, rec->wrapped_len);
    OPENSSL_cleanse(raw, sizeof(raw));

    /* a fleet record names its session and window (both or neither) */
    rec->fleet = 0;
    rec->window = 0;

    hash = json_object_get(j, "sessionHash");
    window = json_object_get(j, "window");

    if (hash != NULL || window != NULL) {
        if (!json_is_string(hash) || !json_is_integer(window)
            || json_integer_value(window) < 0
            || strm_keyrec_hex(json_string_value(hash),
                               json_string_length(hash), rec->session)
               != 0)
        {
            json_decref(j);
            return -1;
        }

        rec->fleet = 1;
        rec->window = json_integer_value(window);
    }

    json_decref(j);

    return 0;
}
