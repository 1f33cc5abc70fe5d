
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Plain JSON into one raw Avro binary datum: the inverse of
 * strm_avro_decode(), for the unit tests, the fuzz targets and the
 * tools.  The gateway never encodes Avro, so this is not in the core.
 */


#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "strm_avro_encode.h"


#define STRM_AVRO_ENC_PATH_LEN  256


typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          size;
} strm_avro_enc_buf_t;


static avro_schema_t strm_avro_enc_resolve(avro_schema_t t);
static size_t strm_avro_enc_push(char *path, const char *name);
static strm_rc_t strm_avro_enc_violation(strm_reject_t *rej,
    const char *path, const char *rule, const char *what);
static strm_rc_t strm_avro_enc_bytes(avro_schema_t t, json_t *in,
    const char *path, strm_reject_t *rej, unsigned char **out,
    size_t *outlen);
static int strm_avro_enc_put(strm_avro_enc_buf_t *b, const void *p,
    size_t n);
static int strm_avro_enc_put_long(strm_avro_enc_buf_t *b, int64_t v);
static strm_rc_t strm_avro_enc_value(strm_avro_enc_buf_t *b,
    avro_schema_t t, json_t *in, int depth, char *path, strm_reject_t *rej);


/* a named type's reference to its definition */
static avro_schema_t
strm_avro_enc_resolve(avro_schema_t t)
{
    int  n;

    for (n = 0; t != NULL && avro_typeof(t) == AVRO_LINK && n < 64; n++) {
        t = avro_schema_link_target(t);
    }

    return t;
}


/* appends "/name" (or "name") to path; returns the old length */
static size_t
strm_avro_enc_push(char *path, const char *name)
{
    size_t  len;

    len = strlen(path);

    snprintf(path + len, STRM_AVRO_ENC_PATH_LEN - len, "%s%s",
             len ? "/" : "", name);

    return len;
}


static strm_rc_t
strm_avro_enc_violation(strm_reject_t *rej, const char *path,
    const char *rule, const char *what)
{
    return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, rule,
                       "the value is not %s", what);
}


/*
 * A JSON string standing for Avro bytes or fixed (code points 0-255,
 * as Avro-JSON writes them): its bytes in *out (malloc()ed), or a
 * "type" violation.
 */
static strm_rc_t
strm_avro_enc_bytes(avro_schema_t t, json_t *in, const char *path,
    strm_reject_t *rej, unsigned char **out, size_t *outlen)
{
    size_t                i, k, n;
    unsigned char        *bytes;
    const unsigned char  *p;

    if (!json_is_string(in)) {
        return strm_avro_enc_violation(rej, path, "type", "a string");
    }

    n = json_string_length(in);
    p = (const unsigned char *) json_string_value(in);

    bytes = malloc(n + 1);
    if (bytes == NULL) {
        return STRM_E_NOMEM;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (p[i] < 0x80) {
            bytes[k++] = p[i];

        } else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < n) {
            bytes[k++] = (unsigned char) (((p[i] & 0x03) << 6)
                                          | (p[i + 1] & 0x3f));
            i++;

        } else {
            break;
        }
    }

    if (i < n
        || (avro_typeof(t) == AVRO_FIXED
            && (int64_t) k != avro_schema_fixed_size(t)))
    {
        free(bytes);
        return strm_avro_enc_violation(rej, path, "type",
                                       "bytes of the right size");
    }

    *out = bytes;
    *outlen = k;

    return STRM_OK;
}


static int
strm_avro_enc_put(strm_avro_enc_buf_t *b, const void *p, size_t n)
{
    size_t          size;
    unsigned char  *d;

    if (b->len + n > b->size) {
        size = b->size ? b->size : 256;

        while (size < b->len + n) {
            size *= 2;
        }

        d = realloc(b->data, size);
        if (d == NULL) {
            return -1;
        }

        b->data = d;
        b->size = size;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;

    return 0;
}


static int
strm_avro_enc_put_long(strm_avro_enc_buf_t *b, int64_t v)
{
    size_t         n;
    uint64_t       u;
    unsigned char  tmp[10];

    u = ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
    n = 0;

    while (u >= 0x80) {
        tmp[n++] = (unsigned char) (u | 0x80);
        u >>= 7;
    }

    tmp[n++] = (unsigned char) u;

    return strm_avro_enc_put(b, tmp, n);
}


/*
 * Encodes plain JSON as strm_avro_check_json() normalises it, so
 * here only the union branch has to be found again.
 */
static strm_rc_t
strm_avro_enc_value(strm_avro_enc_buf_t *b, avro_schema_t t, json_t *in,
    int depth, char *path, strm_reject_t *rej)
{
    int             k;
    float           f;
    size_t          i, n, len, blen, mark, klen;
    double          d;
    json_t         *v;
    uint32_t        w;
    uint64_t        u;
    strm_rc_t       rc;
    const char     *key;
    avro_schema_t   field;
    unsigned char  *bytes, tmp[8];
    char            idx[32];

    if (depth > STRM_AVRO_MAX_DEPTH) {
        return strm_reject(rej, STRM_E_TOO_DEEP, path, "depth",
                           "the event nests too deeply");
    }

    t = strm_avro_enc_resolve(t);

    switch (avro_typeof(t)) {

    case AVRO_NULL:
        if (!json_is_null(in)) {
            return strm_avro_enc_violation(rej, path, "type", "null");
        }

        return STRM_OK;

    case AVRO_BOOLEAN:
        if (!json_is_boolean(in)) {
            return strm_avro_enc_violation(rej, path, "type", "a boolean");
        }

        tmp[0] = json_is_true(in) ? 1 : 0;
        goto put;

    case AVRO_INT32:
    case AVRO_INT64:
        if (!json_is_integer(in)
            || (avro_typeof(t) == AVRO_INT32
                && (json_integer_value(in) < INT32_MIN
                    || json_integer_value(in) > INT32_MAX)))
        {
            return strm_avro_enc_violation(rej, path, "type", "an integer");
        }

        if (strm_avro_enc_put_long(b, json_integer_value(in)) != 0) {
            return STRM_E_NOMEM;
        }

        return STRM_OK;

    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        d = json_is_number(in) ? json_number_value(in) : 0;

        if (!json_is_number(in)
            || (avro_typeof(t) == AVRO_FLOAT
                && (d > FLT_MAX || d < -FLT_MAX)))
        {
            return strm_avro_enc_violation(rej, path, "type", "a number");
        }

        if (avro_typeof(t) == AVRO_FLOAT) {
            f = (float) d;
            memcpy(&w, &f, 4);
            u = w;
            n = 4;

        } else {
            memcpy(&u, &d, 8);
            n = 8;
        }

        for (i = 0; i < n; i++) {
            tmp[i] = (unsigned char) (u >> (8 * i));
        }

        if (strm_avro_enc_put(b, tmp, n) != 0) {
            return STRM_E_NOMEM;
        }

        return STRM_OK;

    case AVRO_STRING:
        if (!json_is_string(in)) {
            return strm_avro_enc_violation(rej, path, "type", "a string");
        }

        if (strm_avro_enc_put_long(b, json_string_length(in)) != 0
            || strm_avro_enc_put(b, json_string_value(in),
                             json_string_length(in))
               != 0)
        {
            return STRM_E_NOMEM;
        }

        return STRM_OK;

    case AVRO_BYTES:
    case AVRO_FIXED:
        bytes = NULL;
        blen = 0;

        rc = strm_avro_enc_bytes(t, in, path, rej, &bytes, &blen);
        if (rc != STRM_OK) {
            return rc;
        }

        if ((avro_typeof(t) == AVRO_BYTES
             && strm_avro_enc_put_long(b, blen) != 0)
            || strm_avro_enc_put(b, bytes, blen) != 0)
        {
            free(bytes);
            return STRM_E_NOMEM;
        }

        free(bytes);
        return STRM_OK;

    case AVRO_ENUM:
        k = json_is_string(in)
            ? avro_schema_enum_get_by_name(t, json_string_value(in)) : -1;

        if (k < 0) {
            return strm_avro_enc_violation(rej, path, "enum",
                                       "a symbol of the enum");
        }

        if (strm_avro_enc_put_long(b, k) != 0) {
            return STRM_E_NOMEM;
        }

        return STRM_OK;

    case AVRO_ARRAY:
        if (!json_is_array(in)) {
            return strm_avro_enc_violation(rej, path, "type", "an array");
        }

        n = json_array_size(in);

        if (n > 0 && strm_avro_enc_put_long(b, n) != 0) {
            return STRM_E_NOMEM;
        }

        json_array_foreach(in, i, v) {
            snprintf(idx, sizeof(idx), "%zu", i);
            len = strm_avro_enc_push(path, idx);
            rc = strm_avro_enc_value(b, avro_schema_array_items(t), v,
                                     depth + 1, path, rej);
            path[len] = '\0';

            if (rc != STRM_OK) {
                return rc;
            }
        }

        tmp[0] = 0;
        goto put;

    case AVRO_MAP:
        if (!json_is_object(in)) {
            return strm_avro_enc_violation(rej, path, "type", "an object");
        }

        n = json_object_size(in);

        if (n > 0 && strm_avro_enc_put_long(b, n) != 0) {
            return STRM_E_NOMEM;
        }

        json_object_keylen_foreach(in, key, klen, v) {
            if (strm_avro_enc_put_long(b, klen) != 0
                || strm_avro_enc_put(b, key, klen) != 0)
            {
                return STRM_E_NOMEM;
            }

            len = strm_avro_enc_push(path, "*");
            rc = strm_avro_enc_value(b, avro_schema_map_values(t), v,
                                     depth + 1, path, rej);
            path[len] = '\0';

            if (rc != STRM_OK) {
                return rc;
            }
        }

        tmp[0] = 0;
        goto put;

    case AVRO_RECORD:
        if (!json_is_object(in)) {
            return strm_avro_enc_violation(rej, path, "type", "an object");
        }

        n = avro_schema_record_size(t);

        for (i = 0; i < n; i++) {
            key = avro_schema_record_field_name(t, i);
            len = strm_avro_enc_push(path, key);

            v = json_object_get(in, key);
            if (v == NULL) {
                rc = strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                                 "required", "a required field is missing");
                path[len] = '\0';
                return rc;
            }

            field = avro_schema_record_field_get_by_index(t, i);
            rc = strm_avro_enc_value(b, field, v, depth + 1, path, rej);
            path[len] = '\0';

            if (rc != STRM_OK) {
                return rc;
            }
        }

        return STRM_OK;

    case AVRO_UNION:
        n = avro_schema_union_size(t);
        mark = b->len;

        for (i = 0; i < n; i++) {
            if (strm_avro_enc_put_long(b, i) != 0) {
                return STRM_E_NOMEM;
            }

            rc = strm_avro_enc_value(b, avro_schema_union_branch(t, i), in,
                                     depth, path, rej);

            if (rc == STRM_OK || rc == STRM_E_NOMEM || rc == STRM_E_TOO_DEEP)
            {
                return rc;
            }

            b->len = mark;
        }

        return strm_avro_enc_violation(rej, path, "union",
                                   "any branch of the union");

    default:
        return strm_avro_enc_violation(rej, path, "type", "of a known type");
    }

put:

    if (strm_avro_enc_put(b, tmp, 1) != 0) {
        return STRM_E_NOMEM;
    }

    return STRM_OK;
}


strm_rc_t
strm_avro_encode(const strm_avro_schema_t *s, json_t *in,
    unsigned char **out, size_t *len, strm_reject_t *rej)
{
    strm_rc_t        rc;
    strm_avro_enc_buf_t  b;
    char             path[STRM_AVRO_ENC_PATH_LEN];

    path[0] = '\0';
    b.data = NULL;
    b.len = 0;
    b.size = 0;

    rc = strm_avro_enc_value(&b, strm_avro_root(s), in, 0, path, rej);

    if (rc != STRM_OK) {
        free(b.data);
        return rc;
    }

    if (b.data == NULL) {
        b.data = malloc(1);
        if (b.data == NULL) {
            return STRM_E_NOMEM;
        }
    }

    *out = b.data;
    *len = b.len;

    return STRM_OK;
}
