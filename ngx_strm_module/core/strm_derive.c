
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <openssl/crypto.h>

#include "strm_b64.h"
#include "strm_derive.h"
#include "strm_event.h"
#include "strm_jscan.h"


/* the plaintexts of one event the splice holds (more: the tree's way) */
#define STRM_DERIVE_SPLICE_BUF  8192
#define STRM_DERIVE_SPLICE_MAX  64


/* the contracts whose string fields a context remembers */
#define STRM_DERIVE_CTX_CONTRACTS  64


/* what strmMeta says */
typedef struct {
    const strm_contract_t  *contract;
    int                     consent[STRM_EVENT_MAX_LEVELS];
    size_t                  nconsent;
    char                    link[STRM_UUID_LEN + 1];
} strm_derive_meta_t;


/* the members of strmMeta the scan reads */
#define STRM_DERIVE_META_CONSENT   0
#define STRM_DERIVE_META_LINK      1
#define STRM_DERIVE_META_CONTRACT  2
#define STRM_DERIVE_META_N         3


/*
 * A field's path split once (at its first '/'), and where in the scan's
 * index the last event had its names: events of one producer put their
 * members in the same order, so the index is searched only when that
 * guess misses (the event checked for unique names, one match is the
 * match).
 */
typedef struct {
    const char             *path;
    size_t                  len;          /* strlen(path) */
    const char             *top;          /* a top-level member */
    size_t                  ntop;
    const char             *sub;          /* its member, or NULL */
    size_t                  nsub;
    int                     deep;         /* more: strm_jscan_path() */
    size_t                  hint[2];
} strm_derive_path_t;


/* a compact event as the splice's scan found it */
typedef struct {
    const char             *json;
    size_t                  len;
    strm_jscan_index_t      ix;
    strm_derive_meta_t      m;
    size_t                  meta_hint;    /* strmMeta in ix */
    size_t                  hint[STRM_DERIVE_META_N];
} strm_derive_scan_t;


/*
 * What a context works out once per contract: which PII fields are
 * strings (strm_derive_is_string()), their paths split, the key field's
 * (path[npii]) and whether it is one of the PII fields.
 */
typedef struct {
    const strm_contract_t  *contract;
    uint64_t                strings;      /* bit i: c->pii[i] */
    strm_derive_path_t     *path;         /* npii + 1, or NULL */
    int                     key_pii;
} strm_derive_strings_t;


struct strm_derive_ctx_s {
    const strm_registry_t  *reg;

    /* the record of strm_derive_ctx_record() */
    const char             *json;
    size_t                  len;
    int                     scanned;      /* 1: sc holds it, 0: the tree */
    strm_derive_scan_t      sc;

    strm_derive_strings_t   strings[STRM_DERIVE_CTX_CONTRACTS];
    size_t                  nstrings;

    /* the output: the splice's in buf, or the tree's (malloc()ed) */
    char                   *buf;
    size_t                  size;
    char                   *tree;
    size_t                  tree_len;

    /* where buf holds plaintext: wiped before the next output */
    struct {
        size_t              off;
        size_t              len;
    }                       wipe[STRM_DERIVE_SPLICE_MAX];
    size_t                  nwipe;
};


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
static int strm_derive_scan(const strm_registry_t *reg, const char *json,
    size_t len, strm_derive_scan_t *sc);
static int strm_derive_splice(const strm_registry_t *reg,
    const strm_derive_scan_t *sc, strm_keys_t *keys,
    const strm_derive_spec_t *spec, strm_derive_ctx_t *ctx, char **out,
    size_t *outlen, strm_derive_result_t *res, strm_rc_t *rcp);
static const strm_derive_strings_t *strm_derive_strings(
    const strm_registry_t *reg, strm_derive_ctx_t *ctx,
    const strm_contract_t *c, strm_derive_strings_t *one);
static void strm_derive_path_split(strm_derive_path_t *p, const char *path);
static int strm_derive_find(const strm_jscan_index_t *ix, int parent,
    const char *name, size_t n, size_t *hint);
static int strm_derive_path(const strm_derive_scan_t *sc,
    strm_derive_path_t *p, const char **v, const char **vend);
static int strm_derive_meta_path(strm_derive_scan_t *sc, int meta,
    const char *name, size_t n, size_t *hint, const char **v,
    const char **vend);
static size_t strm_derive_escaped_len(const unsigned char *p, size_t n);
static size_t strm_derive_escaped(const unsigned char *p, size_t n,
    char *out);


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


/*
 * An event as the gateway writes it (compact JSON, as jansson dumps
 * it) takes the splice; anything else, and every event that fails, is
 * parsed into a tree (strm_derive_event_tree()), which says why.  Both
 * give the same bytes for the events the splice takes.
 */
strm_rc_t
strm_derive_event(const strm_registry_t *reg, strm_keys_t *keys,
    const strm_derive_spec_t *spec, const char *json, size_t len,
    char **out, size_t *outlen, strm_derive_result_t *res, char *why,
    size_t whylen)
{
    strm_rc_t           rc;
    strm_derive_scan_t  sc;

    if (why != NULL && whylen > 0) {
        why[0] = '\0';
    }

    sc.meta_hint = 0;
    memset(sc.hint, 0, sizeof(sc.hint));

    if (strm_derive_scan(reg, json, len, &sc)
        && strm_derive_splice(reg, &sc, keys, spec, NULL, out, outlen, res,
                              &rc))
    {
        if (rc != STRM_OK) {
            strm_derive_fail(why, whylen, rc, "%s",
                             rc == STRM_E_NOMEM ? "out of memory"
                                                : "the key store failed");
        }

        return rc;
    }

    return strm_derive_event_tree(reg, keys, spec, json, len, out, outlen,
                                  res, why, whylen);
}


strm_rc_t
strm_derive_event_tree(const strm_registry_t *reg, strm_keys_t *keys,
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
    size_t         i;
    unsigned char  r;
#if defined(__SSE2__)
    uint32_t       m;
    __m128i        v, lo, ok;
#endif

    static const unsigned char  dash[STRM_UUID_LEN] = {
        [8] = 1, [13] = 1, [18] = 1, [23] = 1
    };
    static const unsigned char  hex[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
        ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
        ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
        ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1
    };

    if (len != STRM_UUID_LEN
        || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
    {
        return 0;
    }

    /* every byte a hex digit but at the dashes' places (checked above) */
    r = 1;
    i = 0;

#if defined(__SSE2__)
    /* the first 32 bytes 16 at a time: a digit, or a letter from a to f
       once made lower case (no other byte becomes one) */
    m = 0;

    for ( /* void */ ; i < 32; i += 16) {
        v = _mm_loadu_si128((const __m128i *) (s + i));
        lo = _mm_or_si128(v, _mm_set1_epi8(0x20));
        ok = _mm_or_si128(
                 _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                               _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))),
                 _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
                               _mm_cmplt_epi8(lo, _mm_set1_epi8('f' + 1))));
        m |= (uint32_t) _mm_movemask_epi8(ok) << i;
    }

    /* the dashes at 8, 13, 18 and 23 */
    r = (m | 0x00842100) == 0xffffffff;
#endif

    for ( /* void */ ; i < len; i++) {
        r &= hex[(unsigned char) s[i]] | dash[i];
    }

    return r;
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

    /* the common case first */
    if (strcmp(type, "string") == 0) {
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


/*
 * The splice's scan: one pass checks the event (strm_jscan_object(),
 * compact text that jansson would accept as it is, no duplicate member)
 * and notes where its members are; strmMeta is read from those spans.
 * 1 when the event is one for the splice, 0 when it is one for the
 * tree: anything unusual in it (the tree then says why).
 */
static int
strm_derive_scan(const strm_registry_t *reg, const char *json, size_t len,
    strm_derive_scan_t *sc)
{
    int          l, im;
    size_t       k, nconsent;
    const char  *meta, *mend, *v, *vend, *p;

    if (json == NULL
        || !strm_jscan_object_index(json, len, STRM_JSCAN_COMPACT
                                               | STRM_JSCAN_UNIQUE
                                               | STRM_JSCAN_ALLOW_NUL,
                                    &sc->ix))
    {
        return 0;
    }

    sc->json = json;
    sc->len = len;

    /* strmMeta's index, or -1 when its members are not in the index */
    im = -1;

    if (sc->ix.complete) {
        im = strm_derive_find(&sc->ix, -1, "strmMeta", 8, &sc->meta_hint);

        if (im < 0) {
            return 0;
        }

        meta = sc->ix.m[im].v;

    } else if (!strm_jscan_path(&sc->ix, json, len, "strmMeta", &meta,
                                &mend))
    {
        return 0;
    }

    if (*meta != '{') {
        return 0;
    }

    /* consentLevels: integers from 0 to STRM_EVENT_MAX_LEVEL */
    if (!strm_derive_meta_path(sc, im, "consentLevels", 13,
                               &sc->hint[STRM_DERIVE_META_CONSENT], &v,
                               &vend)
        || *v != '[')
    {
        return 0;
    }

    nconsent = 0;
    p = v + 1;

    while (*p != ']') {
        if (nconsent == STRM_EVENT_MAX_LEVELS || *p < '0' || *p > '9') {
            return 0;
        }

        l = 0;

        for (k = 0; *p >= '0' && *p <= '9'; k++, p++) {
            l = l * 10 + (*p - '0');

            if (k == 4) {
                return 0;
            }
        }

        if (l > STRM_EVENT_MAX_LEVEL || (*p != ',' && *p != ']')) {
            return 0;
        }

        sc->m.consent[nconsent++] = l;

        if (*p == ',') {
            p++;
        }
    }

    sc->m.nconsent = nconsent;

    /* keyLink: a UUID string, no escape */
    if (!strm_derive_meta_path(sc, im, "keyLink", 7,
                               &sc->hint[STRM_DERIVE_META_LINK], &v, &vend)
        || vend - v != STRM_UUID_LEN + 2 || *v != '"'
        || !strm_derive_uuid(v + 1, STRM_UUID_LEN))
    {
        return 0;
    }

    memcpy(sc->m.link, v + 1, STRM_UUID_LEN);
    sc->m.link[STRM_UUID_LEN] = '\0';

    if (!strm_derive_meta_path(sc, im, "eventContractRef", 16,
                               &sc->hint[STRM_DERIVE_META_CONTRACT], &v,
                               &vend)
        || *v != '"' || memchr(v, '\\', vend - v) != NULL)
    {
        return 0;
    }

    sc->m.contract = strm_registry_contract(reg, v + 1, vend - v - 2);

    return sc->m.contract != NULL;
}


/*
 * The splice of an event strm_derive_scan() took: the PII fields are
 * found by their byte spans, each ciphertext is decrypted into a buffer
 * on the stack and written over its span as jansson would write the
 * string; every other byte is copied.  1 when it is done (*rcp says
 * how: STRM_OK, or a failure of the key store or of memory, not the
 * record's fault), 0 when the event is one for the tree: a field that
 * is no string in the schema, a ciphertext that does not decrypt (the
 * tree then says why).  With ctx, the output goes to its buffer, and
 * the spans of plaintext in it are noted for strm_derive_ctx_wipe();
 * without, to a buffer malloc()ed for it.
 */
static int
strm_derive_splice(const strm_registry_t *reg, const strm_derive_scan_t *sc,
    strm_keys_t *keys, const strm_derive_spec_t *spec, strm_derive_ctx_t *ctx,
    char **out, size_t *outlen, strm_derive_result_t *res, strm_rc_t *rcp)
{
    int                     level;
    char                   *o, *w;
    size_t                  i, j, k, n, used, nspan, olen, clen, len;
    uint64_t                strings;
    strm_rc_t               rc;
    const char             *json, *end, *v, *vend, *p, *path;
    size_t                  hi;
    strm_tink_keyset_t     *daead;
    strm_derive_path_t     *dp;
    strm_derive_strings_t   one;
    const strm_contract_t  *c;
    const strm_derive_strings_t  *plan;
    struct {
        const char         *v;
        const char         *vend;
        unsigned char      *pt;
        size_t              len;
        size_t              elen;         /* as a JSON string */
    }                       span[STRM_DERIVE_SPLICE_MAX], t;
    unsigned char           buf[STRM_DERIVE_SPLICE_BUF];

    json = sc->json;
    len = sc->len;
    end = json + len;
    c = sc->m.contract;

    memset(res, 0, sizeof(strm_derive_result_t));
    *out = NULL;
    *outlen = 0;
    *rcp = STRM_OK;

    if (!strm_derive_keeps(spec, sc->m.consent, sc->m.nconsent)) {
        return 1;
    }

    if (c->npii > STRM_DERIVE_SPLICE_MAX) {
        return 0;
    }

    res->kept = 1;

    plan = strm_derive_strings(reg, ctx, c, &one);
    strings = plan->strings;
    daead = NULL;
    nspan = 0;
    used = 0;
    hi = 0;
    rc = STRM_OK;

    for (i = c->npii; i-- > 0; /* void */) {
        path = c->pii[i].path;
        level = c->pii[i].level;
        dp = (plan->path != NULL) ? &plan->path[i] : NULL;

        if (!(dp != NULL ? strm_derive_path(sc, dp, &v, &vend)
                         : strm_jscan_path(&sc->ix, json, len, path, &v,
                                           &vend))
            || (vend - v == 4 && memcmp(v, "null", 4) == 0))
        {
            continue;
        }

        if (!strm_derive_level_in(spec, level) || res->key_missing) {
            res->encrypted++;
            continue;
        }

        /* a string ciphertext, decrypted to a string, or the tree */
        if (*v != '"' || !(strings & ((uint64_t) 1 << i))) {
            goto tree;
        }

        /* a field listed twice: the tree decrypts it once, then fails */
        for (j = 0; j < nspan; j++) {
            if (span[j].v == v) {
                goto tree;
            }
        }

        if (daead == NULL) {
            rc = strm_keys_by_link(keys, sc->m.link, &daead);

            if (rc == STRM_E_NOT_FOUND) {
                rc = STRM_OK;
                res->key_missing = 1;
                res->encrypted++;
                continue;
            }

            if (rc != STRM_OK) {
                goto done;
            }
        }

        /* the base64 in the upper half of what is left, the plaintext
           below it */
        n = vend - v - 2;
        clen = strm_b64_decoded_len(n);

        if (memchr(v + 1, '\\', n) != NULL
            || used + 2 * clen + 1 > sizeof(buf))
        {
            goto tree;
        }

        if (hi < used + 2 * clen) {
            hi = used + 2 * clen;
        }

        if (strm_b64_decode(buf + used + clen, &k,
                            (const unsigned char *) v + 1, n) != STRM_OK
            || strm_tink_decrypt(daead, (const unsigned char *) path,
                                 dp != NULL ? dp->len : strlen(path),
                                 buf + used + clen, k,
                                 buf + used, &n)
               != STRM_OK
            || !strm_jscan_utf8(buf + used, n))
        {
            goto tree;
        }

        span[nspan].v = v;
        span[nspan].vend = vend;
        span[nspan].pt = buf + used;
        span[nspan].len = n;
        nspan++;
        used += n;

        res->decrypted++;
        res->by_level[level < STRM_DERIVE_MAX_LEVELS - 1
                      ? level : STRM_DERIVE_MAX_LEVELS - 1]++;
    }

    if (!plan->key_pii
        && (plan->path != NULL
            ? strm_derive_path(sc, &plan->path[c->npii], &v, &vend)
            : strm_jscan_path(&sc->ix, json, len, c->key_field, &v, &vend))
        && !(vend - v == 4 && memcmp(v, "null", 4) == 0))
    {
        res->encrypted++;
    }

    /* the spans in the order of the text */
    for (i = 1; i < nspan; i++) {
        t = span[i];

        for (j = i; j > 0 && span[j - 1].v > t.v; j--) {
            span[j] = span[j - 1];
        }

        span[j] = t;
    }

    olen = len;

    for (i = 0; i < nspan; i++) {
        olen -= span[i].vend - span[i].v;
        span[i].elen = strm_derive_escaped_len(span[i].pt, span[i].len);
        olen += span[i].elen;
    }

    if (ctx == NULL) {
        o = malloc(olen + 1);

    } else {
        if (ctx->size < olen + 1) {
            /* what it held was wiped: strm_derive_ctx_event() */
            free(ctx->buf);
            ctx->size = 0;
            ctx->buf = malloc(olen + 1 + 256);

            if (ctx->buf != NULL) {
                ctx->size = olen + 1 + 256;
            }
        }

        o = ctx->buf;
    }

    if (o == NULL) {
        rc = STRM_E_NOMEM;
        goto done;
    }

    w = o;
    p = json;

    for (i = 0; i < nspan; i++) {
        memcpy(w, p, span[i].v - p);
        w += span[i].v - p;
        n = span[i].elen;

        if (n == span[i].len + 2) {
            /* nothing to escape: the common case */
            w[0] = '"';
            memcpy(w + 1, span[i].pt, span[i].len);
            w[n - 1] = '"';

        } else {
            (void) strm_derive_escaped(span[i].pt, span[i].len, w);
        }

        if (ctx != NULL) {
            ctx->wipe[i].off = w - o;
            ctx->wipe[i].len = n;
        }

        w += n;
        p = span[i].vend;
    }

    if (ctx != NULL) {
        ctx->nwipe = nspan;
    }

    memcpy(w, p, end - p);
    w += end - p;
    *w = '\0';

    *out = o;
    *outlen = olen;

done:

    OPENSSL_cleanse(buf, hi);

    if (rc != STRM_OK) {
        memset(res, 0, sizeof(strm_derive_result_t));
    }

    *rcp = rc;

    return 1;

tree:

    OPENSSL_cleanse(buf, hi);
    memset(res, 0, sizeof(strm_derive_result_t));

    return 0;
}


/*
 * Bit i set when c->pii[i] is a string (or the schema cannot tell), and
 * the contract's paths split: worked out once per contract in a context
 * (its paths, hints and all, kept there), every time without one (into
 * one, without split paths: strm_jscan_path() finds them).
 */
static const strm_derive_strings_t *
strm_derive_strings(const strm_registry_t *reg, strm_derive_ctx_t *ctx,
    const strm_contract_t *c, strm_derive_strings_t *one)
{
    size_t                  i;
    uint64_t                strings;
    strm_derive_path_t     *path;
    strm_derive_strings_t  *st;
    const strm_schema_t    *schema;

    if (ctx != NULL) {
        for (i = 0; i < ctx->nstrings; i++) {
            if (ctx->strings[i].contract == c) {
                return &ctx->strings[i];
            }
        }
    }

    schema = strm_registry_schema(reg, c->ref, strlen(c->ref));
    strings = 0;

    for (i = 0; i < c->npii && i < 64; i++) {
        if (strm_derive_is_string(schema, c->pii[i].path)) {
            strings |= (uint64_t) 1 << i;
        }
    }

    st = one;
    path = NULL;

    if (ctx != NULL && ctx->nstrings < STRM_DERIVE_CTX_CONTRACTS) {
        path = calloc(c->npii + 1, sizeof(strm_derive_path_t));

        if (path != NULL) {
            for (i = 0; i < c->npii; i++) {
                strm_derive_path_split(&path[i], c->pii[i].path);
            }

            strm_derive_path_split(&path[c->npii], c->key_field);
            st = &ctx->strings[ctx->nstrings++];
        }
    }

    st->contract = c;
    st->strings = strings;
    st->path = path;
    st->key_pii = (strm_derive_pii(c, c->key_field) >= 0);

    return st;
}


static void
strm_derive_path_split(strm_derive_path_t *p, const char *path)
{
    const char  *e;

    p->path = path;
    p->len = strlen(path);
    p->top = path;
    e = strchr(path, '/');

    if (e == NULL) {
        p->ntop = p->len;
        return;
    }

    p->ntop = e - path;
    p->sub = e + 1;
    p->nsub = p->len - p->ntop - 1;
    p->deep = (strchr(p->sub, '/') != NULL);
}


/*
 * The member name of parent (-1: the top level) in the index: its place,
 * or -1.  *hint is tried first and becomes the place found.
 */
static int
strm_derive_find(const strm_jscan_index_t *ix, int parent, const char *name,
    size_t n, size_t *hint)
{
    size_t                      i;
    const strm_jscan_member_t  *m;

    i = *hint;

    if (i < ix->n) {
        m = &ix->m[i];

        if (m->parent == parent && m->nlen == n
            && memcmp(m->name, name, n) == 0)
        {
            return (int) i;
        }
    }

    for (i = 0, m = ix->m; i < ix->n; i++, m++) {
        if (m->parent == parent && m->nlen == n
            && memcmp(m->name, name, n) == 0)
        {
            *hint = i;
            return (int) i;
        }
    }

    return -1;
}


/* strm_jscan_path() with the path split and the index's places guessed */
static int
strm_derive_path(const strm_derive_scan_t *sc, strm_derive_path_t *p,
    const char **v, const char **vend)
{
    int                         i;
    const strm_jscan_index_t   *ix;

    ix = &sc->ix;

    if (p->deep || !ix->complete) {
        return strm_jscan_path(ix, sc->json, sc->len, p->path, v, vend);
    }

    i = strm_derive_find(ix, -1, p->top, p->ntop, &p->hint[0]);

    if (i >= 0 && p->sub != NULL) {
        /* only an object's members are in the index under it */
        if (*ix->m[i].v != '{') {
            return 0;
        }

        i = strm_derive_find(ix, i, p->sub, p->nsub, &p->hint[1]);
    }

    if (i < 0) {
        return 0;
    }

    *v = ix->m[i].v;
    *vend = ix->m[i].vend;

    return 1;
}


/* strmMeta/name: from the index under strmMeta (meta), or the text's */
static int
strm_derive_meta_path(strm_derive_scan_t *sc, int meta, const char *name,
    size_t n, size_t *hint, const char **v, const char **vend)
{
    int   i;
    char  path[32];

    if (meta < 0) {
        snprintf(path, sizeof(path), "strmMeta/%s", name);
        return strm_jscan_path(&sc->ix, sc->json, sc->len, path, v, vend);
    }

    i = strm_derive_find(&sc->ix, meta, name, n, hint);

    if (i < 0) {
        return 0;
    }

    *v = sc->ix.m[i].v;
    *vend = sc->ix.m[i].vend;

    return 1;
}


strm_derive_ctx_t *
strm_derive_ctx_new(const strm_registry_t *reg)
{
    strm_derive_ctx_t  *ctx;

    ctx = calloc(1, sizeof(strm_derive_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->reg = reg;

    return ctx;
}


void
strm_derive_ctx_free(strm_derive_ctx_t *ctx)
{
    size_t  i;

    if (ctx == NULL) {
        return;
    }

    strm_derive_ctx_wipe(ctx);

    for (i = 0; i < ctx->nstrings; i++) {
        free(ctx->strings[i].path);
    }

    free(ctx->buf);
    free(ctx);
}


void
strm_derive_ctx_wipe(strm_derive_ctx_t *ctx)
{
    size_t  i;

    for (i = 0; i < ctx->nwipe; i++) {
        OPENSSL_cleanse(ctx->buf + ctx->wipe[i].off, ctx->wipe[i].len);
    }

    ctx->nwipe = 0;

    if (ctx->tree != NULL) {
        strm_tink_secret_free(ctx->tree, ctx->tree_len);
        ctx->tree = NULL;
        ctx->tree_len = 0;
    }
}


int
strm_derive_ctx_record(strm_derive_ctx_t *ctx, const char *json, size_t len,
    char *link)
{
    const char  *v, *vend;

    strm_derive_ctx_wipe(ctx);

    ctx->json = json;
    ctx->len = len;
    ctx->scanned = strm_derive_scan(ctx->reg, json, len, &ctx->sc);

    if (ctx->scanned) {
        memcpy(link, ctx->sc.m.link, STRM_UUID_LEN + 1);
        return 1;
    }

    /*
     * Not one for the splice, yet maybe valid JSON the scan took: its
     * keyLink as strm_derive_event_tree() reads it, an escape aside.
     */
    if (json == NULL
        || !strm_jscan_object_index(json, len, STRM_JSCAN_COMPACT
                                               | STRM_JSCAN_UNIQUE
                                               | STRM_JSCAN_ALLOW_NUL,
                                    &ctx->sc.ix))
    {
        return -1;
    }

    if (!strm_jscan_path(&ctx->sc.ix, json, len, "strmMeta/keyLink", &v,
                         &vend)
        || *v != '"')
    {
        return 0;
    }

    if (memchr(v, '\\', vend - v) != NULL) {
        return -1;
    }

    if (vend - v != STRM_UUID_LEN + 2) {
        return 0;
    }

    memcpy(link, v + 1, STRM_UUID_LEN);
    link[STRM_UUID_LEN] = '\0';

    return 1;
}


strm_rc_t
strm_derive_ctx_event(strm_derive_ctx_t *ctx, strm_keys_t *keys,
    const strm_derive_spec_t *spec, const char **out, size_t *outlen,
    strm_derive_result_t *res, char *why, size_t whylen)
{
    char       *o;
    strm_rc_t   rc;

    strm_derive_ctx_wipe(ctx);

    if (why != NULL && whylen > 0) {
        why[0] = '\0';
    }

    o = NULL;

    if (ctx->scanned
        && strm_derive_splice(ctx->reg, &ctx->sc, keys, spec, ctx, &o,
                              outlen, res, &rc))
    {
        if (rc != STRM_OK) {
            strm_derive_fail(why, whylen, rc, "%s",
                             rc == STRM_E_NOMEM ? "out of memory"
                                                : "the key store failed");
        }

        *out = o;

        return rc;
    }

    rc = strm_derive_event_tree(ctx->reg, keys, spec, ctx->json, ctx->len,
                                &o, outlen, res, why, whylen);

    ctx->tree = o;
    ctx->tree_len = (o != NULL) ? *outlen : 0;
    *out = o;

    return rc;
}


/* strm_derive_escaped(p, n, NULL) in one tight loop */
static size_t
strm_derive_escaped_len(const unsigned char *p, size_t n)
{
    size_t         i, m;
    unsigned char  c;

    m = n + 2;
    i = 0;

    for ( ;; ) {
        /* printable ASCII, many bytes at a time (strm_jscan.c) */
        i += strm_jscan_plain((const char *) p + i, n - i);

        if (i == n) {
            return m;
        }

        c = p[i++];

        if (c < 0x20 || c == '"' || c == '\\') {
            m += (c == '"' || c == '\\' || c == '\b' || c == '\f'
                  || c == '\n' || c == '\r' || c == '\t') ? 1 : 5;
            continue;
        }

        /* UTF-8 as it is */
        while (i < n && p[i] >= 0x80) {
            i++;
        }
    }
}


/*
 * A JSON string as jansson writes it: '"' and '\' escaped, control
 * characters as \b \f \n \r \t or \u00XX, everything else as it is.
 * The length it takes; out NULL only counts.
 */
static size_t
strm_derive_escaped(const unsigned char *p, size_t n, char *out)
{
    size_t         i, m;
    unsigned char  c;
    static const char  hex[] = "0123456789ABCDEF";

    m = 0;

    if (out != NULL) {
        out[m] = '"';
    }

    m++;

    for (i = 0; i < n; i++) {
        c = p[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            if (out != NULL) {
                out[m] = (char) c;
            }

            m++;
            continue;
        }

        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n'
            || c == '\r' || c == '\t')
        {
            if (out != NULL) {
                out[m] = '\\';
                out[m + 1] = (c == '\b') ? 'b' : (c == '\f') ? 'f'
                             : (c == '\n') ? 'n' : (c == '\r') ? 'r'
                             : (c == '\t') ? 't' : (char) c;
            }

            m += 2;
            continue;
        }

        if (out != NULL) {
            memcpy(out + m, "\\u00", 4);
            out[m + 4] = hex[c >> 4];
            out[m + 5] = hex[c & 0xf];
        }

        m += 6;
    }

    if (out != NULL) {
        out[m] = '"';
    }

    return m + 1;
}
