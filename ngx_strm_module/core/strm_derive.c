
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "strm_derive.h"
#include "strm_event.h"


/* what strmMeta says */
typedef struct {
    const strm_contract_t  *contract;
    int                     consent[STRM_EVENT_MAX_LEVELS];
    size_t                  nconsent;
    char                    link[STRM_UUID_LEN + 1];
} strm_derive_meta_t;


static strm_rc_t strm_derive_fail(char *why, size_t whylen, strm_rc_t rc,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static strm_rc_t strm_derive_meta(const strm_registry_t *reg, json_t *event,
    strm_derive_meta_t *m, char *why, size_t whylen);
static int strm_derive_uuid(const char *s, size_t len);
static int strm_derive_pii(const strm_contract_t *c, const char *path);
static json_t *strm_derive_parent(json_t *event, const char *path,
    const char **name);
static int strm_derive_is_string(const strm_schema_t *s, const char *path);
static strm_rc_t strm_derive_field(strm_tink_keyset_t *daead,
    json_t *parent, const char *name, json_t *v, const char *path,
    int is_string, char *why, size_t whylen);
static strm_rc_t strm_derive_dump(json_t *event, char **out,
    size_t *outlen, size_t hint);
static void strm_derive_wipe(json_t *v);


int
strm_derive_level_in(const strm_derive_spec_t *s, int level)
{
    size_t  i, n;

    if (s->type == STRM_DERIVE_CUMULATIVE) {
        return s->nlevels > 0 && level >= 0 && level <= s->levels[0];
    }

    n = s->nlevels < STRM_DERIVE_MAX_LEVELS
        ? s->nlevels : STRM_DERIVE_MAX_LEVELS;

    for (i = 0; i < n; i++) {
        if (s->levels[i] == level) {
            return 1;
        }
    }

    return 0;
}


int
strm_derive_keeps(const strm_derive_spec_t *s, const int *consent,
    size_t n)
{
    int     l, top;
    size_t  i, j, want;

    if (s->nlevels == 0) {
        return 0;
    }

    if (s->type == STRM_DERIVE_CUMULATIVE && s->max_rule) {
        top = -1;

        for (i = 0; i < n; i++) {
            if (consent[i] > top) {
                top = consent[i];
            }
        }

        return top >= s->levels[0];
    }

    if (s->type == STRM_DERIVE_CUMULATIVE) {
        if (s->levels[0] < 0) {
            return 0;
        }

        /* L + 1 distinct levels cannot come from fewer entries */
        if ((size_t) s->levels[0] >= n) {
            return 0;
        }

        want = (size_t) s->levels[0] + 1;

    } else {
        want = s->nlevels < STRM_DERIVE_MAX_LEVELS
               ? s->nlevels : STRM_DERIVE_MAX_LEVELS;
    }

    for (j = 0; j < want; j++) {
        l = (s->type == STRM_DERIVE_CUMULATIVE) ? (int) j : s->levels[j];

        for (i = 0; i < n; i++) {
            if (consent[i] == l) {
                break;
            }
        }

        if (i == n) {
            return 0;
        }
    }

    return 1;
}


strm_rc_t
strm_derive_check(const strm_derive_spec_t *s, char *err, size_t errlen)
{
    size_t  i, j;

    if (s->type != STRM_DERIVE_GRANULAR
        && s->type != STRM_DERIVE_CUMULATIVE)
    {
        return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                "the type is granular or cumulative");
    }

    if (s->nlevels == 0) {
        return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                "a derived stream needs a level");
    }

    if (s->nlevels > STRM_DERIVE_MAX_LEVELS) {
        return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                "at most %d levels", STRM_DERIVE_MAX_LEVELS);
    }

    if (s->type == STRM_DERIVE_CUMULATIVE && s->nlevels != 1) {
        return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                "a cumulative stream has one level, the "
                                "highest");
    }

    if (s->max_rule != 0
        && (s->max_rule != 1 || s->type != STRM_DERIVE_CUMULATIVE))
    {
        return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                "the max rule is 0 or 1, and for "
                                "cumulative streams only");
    }

    for (i = 0; i < s->nlevels; i++) {
        if (s->levels[i] < 0 || s->levels[i] > STRM_DERIVE_MAX_LEVEL) {
            return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                    "level %d is not from 0 to %d",
                                    s->levels[i], STRM_DERIVE_MAX_LEVEL);
        }

        for (j = 0; j < i; j++) {
            if (s->levels[j] == s->levels[i]) {
                return strm_derive_fail(err, errlen, STRM_E_BAD_REQUEST,
                                        "level %d is listed twice",
                                        s->levels[i]);
            }
        }
    }

    return STRM_OK;
}


strm_rc_t
strm_derive_event(const strm_registry_t *reg, strm_keys_t *keys,
    const strm_derive_spec_t *spec, const char *json, size_t len,
    char **out, size_t *outlen, strm_derive_result_t *res, char *why,
    size_t whylen)
{
    int                     level;
    size_t                  i;
    json_t                 *event, *parent, *v;
    strm_rc_t               rc;
    const char             *path, *name;
    json_error_t            jerr;
    strm_derive_meta_t      m;
    strm_tink_keyset_t     *daead;
    const strm_schema_t    *schema;
    const strm_contract_t  *c;

    memset(res, 0, sizeof(strm_derive_result_t));
    *out = NULL;
    *outlen = 0;

    if (why != NULL && whylen > 0) {
        why[0] = '\0';
    }

    /*
     * Duplicate members are refused: which of two values is the
     * ciphertext would be a guess.  jansson's messages quote the
     * input, so only the position goes to why.
     */
    event = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                       &jerr);

    if (event == NULL) {
        return strm_derive_fail(why, whylen, STRM_E_INVALID_JSON,
                                "not JSON (byte %d)", jerr.position);
    }

    if (!json_is_object(event)) {
        rc = strm_derive_fail(why, whylen, STRM_E_INVALID_JSON,
                              "not a JSON object");
        goto failed;
    }

    rc = strm_derive_meta(reg, event, &m, why, whylen);
    if (rc != STRM_OK) {
        goto failed;
    }

    if (!strm_derive_keeps(spec, m.consent, m.nconsent)) {
        json_decref(event);
        return STRM_OK;
    }

    res->kept = 1;
    c = m.contract;

    /*
     * The schema of the contract's own directory says which fields are
     * strings: strm_contract_t does not carry its schemaRef, so for a
     * contract that borrows another directory's schema this finds
     * none, and its values are taken as strings.
     */
    schema = strm_registry_schema(reg, c->ref, strlen(c->ref));
    daead = NULL;

    /*
     * Backwards, the inverse of the gateway's order: when one PII field
     * holds another, the outer one was encrypted last.
     */
    for (i = c->npii; i-- > 0; /* void */) {
        path = c->pii[i].path;
        level = c->pii[i].level;

        parent = strm_derive_parent(event, path, &name);
        v = (parent != NULL) ? json_object_get(parent, name) : NULL;

        if (v == NULL || json_is_null(v)) {
            continue;
        }

        if (!strm_derive_level_in(spec, level) || res->key_missing) {
            res->encrypted++;
            continue;
        }

        if (daead == NULL) {
            rc = strm_keys_by_link(keys, m.link, &daead);

            if (rc == STRM_E_NOT_FOUND) {
                res->key_missing = 1;
                res->encrypted++;
                continue;
            }

            if (rc != STRM_OK) {
                strm_derive_fail(why, whylen, rc, "the key store failed");
                goto failed;
            }
        }

        rc = strm_derive_field(daead, parent, name, v, path,
                               strm_derive_is_string(schema, path),
                               why, whylen);
        if (rc != STRM_OK) {
            goto failed;
        }

        res->decrypted++;
        res->by_level[level < STRM_DERIVE_MAX_LEVELS - 1
                      ? level : STRM_DERIVE_MAX_LEVELS - 1]++;
    }

    if (strm_derive_pii(c, c->key_field) < 0) {
        v = strm_json_path(event, c->key_field);

        if (v != NULL && !json_is_null(v)) {
            res->encrypted++;
        }
    }

    rc = strm_derive_dump(event, out, outlen, len);
    if (rc != STRM_OK) {
        strm_derive_fail(why, whylen, rc, "out of memory");
        goto failed;
    }

    if (res->decrypted > 0) {
        strm_derive_wipe(event);
    }

    json_decref(event);

    return STRM_OK;

failed:

    if (res->decrypted > 0) {
        strm_derive_wipe(event);
    }

    json_decref(event);
    memset(res, 0, sizeof(strm_derive_result_t));

    return rc;
}


static strm_rc_t
strm_derive_fail(char *why, size_t whylen, strm_rc_t rc, const char *fmt,
    ...)
{
    va_list  args;

    if (why != NULL && whylen > 0) {
        va_start(args, fmt);
        vsnprintf(why, whylen, fmt, args);
        va_end(args);
    }

    return rc;
}


/*
 * strmMeta as the gateway wrote it: consentLevels (checked as the
 * gateway checks them), the key link the PII is encrypted under, and the
 * event contract that says which fields are PII.
 */
static strm_rc_t
strm_derive_meta(const strm_registry_t *reg, json_t *event,
    strm_derive_meta_t *m, char *why, size_t whylen)
{
    size_t       i, n;
    json_t      *meta, *levels, *link, *ref, *v;
    json_int_t   l;

    meta = json_object_get(event, "strmMeta");

    if (!json_is_object(meta)) {
        return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                "strmMeta is missing or not an object");
    }

    levels = json_object_get(meta, "consentLevels");

    if (!json_is_array(levels)) {
        return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                "strmMeta/consentLevels is not a list");
    }

    n = json_array_size(levels);

    if (n > STRM_EVENT_MAX_LEVELS) {
        return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                "strmMeta/consentLevels has more than %d "
                                "levels", STRM_EVENT_MAX_LEVELS);
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(levels, i);
        l = json_is_integer(v) ? json_integer_value(v) : -1;

        if (l < 0 || l > STRM_EVENT_MAX_LEVEL) {
            return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                    "strmMeta/consentLevels holds a value "
                                    "that is not an integer from 0 to %d",
                                    STRM_EVENT_MAX_LEVEL);
        }

        m->consent[i] = (int) l;
    }

    m->nconsent = n;

    link = json_object_get(meta, "keyLink");

    if (!json_is_string(link)
        || !strm_derive_uuid(json_string_value(link),
                             json_string_length(link)))
    {
        return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                "strmMeta/keyLink is not a UUID");
    }

    memcpy(m->link, json_string_value(link), STRM_UUID_LEN);
    m->link[STRM_UUID_LEN] = '\0';

    ref = json_object_get(meta, "eventContractRef");

    if (!json_is_string(ref)) {
        return strm_derive_fail(why, whylen, STRM_E_STRM_META,
                                "strmMeta/eventContractRef is not a string");
    }

    m->contract = strm_registry_contract(reg, json_string_value(ref),
                                         json_string_length(ref));

    if (m->contract == NULL) {
        return strm_derive_fail(why, whylen, STRM_E_CONTRACT_UNKNOWN,
                                "strmMeta/eventContractRef is not a "
                                "contract of the registry");
    }

    return STRM_OK;
}


/* 8-4-4-4-12 hexadecimal digits */
static int
strm_derive_uuid(const char *s, size_t len)
{
    size_t  i;

    if (len != STRM_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!((s[i] >= '0' && s[i] <= '9')
                     || (s[i] >= 'a' && s[i] <= 'f')
                     || (s[i] >= 'A' && s[i] <= 'F')))
        {
            return 0;
        }
    }

    return 1;
}


/* the PII level of a field in a contract, -1 when it is not PII */
static int
strm_derive_pii(const strm_contract_t *c, const char *path)
{
    size_t  i;

    for (i = 0; i < c->npii; i++) {
        if (strcmp(c->pii[i].path, path) == 0) {
            return c->pii[i].level;
        }
    }

    return -1;
}


/* the object that holds the last segment of path, which *name gets */
static json_t *
strm_derive_parent(json_t *event, const char *path, const char **name)
{
    json_t      *v;
    const char  *p, *e;

    v = event;
    p = path;

    for ( ;; ) {
        e = strchr(p, '/');

        if (e == NULL) {
            *name = p;
            return v;
        }

        v = json_object_getn(v, p, e - p);

        if (!json_is_object(v)) {
            return NULL;
        }

        p = e + 1;
    }
}


/*
 * Is the field a string in the schema, or can the schema not tell?  The
 * gateway encrypted a JSON string as its bytes and anything else as its
 * JSON text, so only a field that is surely not a string is parsed back.
 * Avro bytes, fixed and enum values are JSON strings too.  A union with
 * two or more non-null branches cannot tell.  A JSON Schema is opaque
 * outside the registry: it cannot tell either.
 */
static int
strm_derive_is_string(const strm_schema_t *s, const char *path)
{
    const char  *type;

    if (s == NULL || s->avro == NULL
        || !strm_avro_has_field(s->avro, path, &type))
    {
        return 1;
    }

    return strcmp(type, "int") != 0
           && strcmp(type, "long") != 0
           && strcmp(type, "float") != 0
           && strcmp(type, "double") != 0
           && strcmp(type, "boolean") != 0
           && strcmp(type, "null") != 0
           && strcmp(type, "record") != 0
           && strcmp(type, "array") != 0
           && strcmp(type, "map") != 0;
}


static strm_rc_t
strm_derive_field(strm_tink_keyset_t *daead, json_t *parent,
    const char *name, json_t *v, const char *path, int is_string, char *why,
    size_t whylen)
{
    size_t          len;
    json_t         *plain;
    strm_rc_t       rc;
    json_error_t    jerr;
    unsigned char  *pt;

    if (!json_is_string(v)) {
        return strm_derive_fail(why, whylen, STRM_E_BAD_REQUEST,
                                "%s: not a ciphertext", path);
    }

    rc = strm_event_decrypt_value(daead, path, json_string_value(v),
                                  json_string_length(v), &pt, &len);

    if (rc == STRM_E_NOMEM) {
        return strm_derive_fail(why, whylen, rc, "out of memory");
    }

    if (rc != STRM_OK) {
        return strm_derive_fail(why, whylen, STRM_E_BAD_REQUEST,
                                "%s: not a ciphertext of the key link's key "
                                "for this field", path);
    }

    if (is_string) {
        /* NULL also when it is not UTF-8: no JSON string can hold it */
        plain = json_stringn((const char *) pt, len);

    } else {
        plain = json_loadb((const char *) pt, len,
                           JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    }

    strm_tink_secret_free(pt, len);

    if (plain == NULL) {
        return strm_derive_fail(why, whylen, STRM_E_BAD_REQUEST,
                                "%s: the plaintext is not %s", path,
                                is_string ? "UTF-8" : "JSON");
    }

    if (json_object_set_new(parent, name, plain) != 0) {
        return strm_derive_fail(why, whylen, STRM_E_NOMEM, "out of memory");
    }

    return STRM_OK;
}


/*
 * Into a buffer of the right size: json_dumps() grows its buffer with
 * realloc(), which would leave copies of the plaintext in freed memory.
 */
static strm_rc_t
strm_derive_dump(json_t *event, char **out, size_t *outlen, size_t hint)
{
    char    *buf;
    size_t   size, n;

    size = hint + 64;

    for ( ;; ) {
        buf = malloc(size + 1);
        if (buf == NULL) {
            return STRM_E_NOMEM;
        }

        n = json_dumpb(event, buf, size, JSON_COMPACT);

        if (n == 0) {
            strm_tink_secret_free(buf, size);
            return STRM_E_NOMEM;
        }

        if (n <= size) {
            break;
        }

        strm_tink_secret_free(buf, size);
        size = n;
    }

    buf[n] = '\0';
    *out = buf;
    *outlen = n;

    return STRM_OK;
}


/*
 * jansson frees values without wiping them: the decrypted ones are
 * wiped here before the tree goes.  Object keys stay as they are.
 */
static void
strm_derive_wipe(json_t *v)
{
    size_t       i;
    json_t      *m;
    const char  *k;

    switch (json_typeof(v)) {

    case JSON_STRING:
        OPENSSL_cleanse((char *) json_string_value(v),
                        json_string_length(v));
        break;

    case JSON_INTEGER:
        json_integer_set(v, 0);
        break;

    case JSON_REAL:
        json_real_set(v, 0.0);
        break;

    case JSON_ARRAY:
        json_array_foreach(v, i, m) {
            strm_derive_wipe(m);
        }

        break;

    case JSON_OBJECT:
        json_object_foreach(v, k, m) {
            strm_derive_wipe(m);
        }

        break;

    default:
        break;
    }
}
