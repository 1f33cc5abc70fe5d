
/*
 * Copyright (C) ngx_strm authors
 */


#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "strm_avro.h"
#include "strm_avro_bin.h"
#include "strm_json.h"


#define STRM_AVRO_PATH_LEN  256


/* a record's field, as avro-c would look it up by index each time */
typedef struct {
    const char     *name;
    size_t          len;
    avro_schema_t   type;
    avro_schema_t   dtype;          /* its default's: a union's first */
    avro_schema_t   branch[6];      /* a union's, by kind of value */
    unsigned        branches:1;     /* it is a union */
    unsigned        plain:1;        /* nothing in the name to escape */
} strm_avro_field_t;


/* a record's defaults by field index (NULL: the field has none) */
typedef struct {
    avro_schema_t       rec;
    json_t            **vals;
    strm_avro_field_t  *fields;
    size_t              n;
} strm_avro_rec_t;


struct strm_avro_schema_s {
    avro_schema_t     root;
    json_t           *defaults;
    strm_avro_rec_t  *recs;
    size_t            nrecs;
    strm_avro_bin_t  *bin;          /* the binary way's, or NULL */
    char              name[256];
};


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
} strm_avro_rd_t;


typedef struct strm_avro_at_s  strm_avro_at_t;


static avro_schema_t strm_avro_resolve(avro_schema_t t);
static const char *strm_avro_type(avro_schema_t t);
static void strm_avro_full_name(avro_schema_t t, char *buf, size_t size);
static int strm_avro_collect(json_t *node, const char *ns, json_t *defaults);
static int strm_avro_records(strm_avro_schema_t *s, avro_schema_t t);
static int strm_avro_plain_name(const char *name);
static avro_schema_t strm_avro_tx_branch(avro_schema_t t, unsigned char c);
static json_t **strm_avro_defaults(const strm_avro_schema_t *s,
    avro_schema_t t);
static size_t strm_avro_push(char *path, const char *name);
static strm_rc_t strm_avro_read_long(strm_avro_rd_t *rd, int64_t *v,
    const char *path, strm_reject_t *rej);
static strm_rc_t strm_avro_dec(strm_avro_rd_t *rd, avro_schema_t t,
    int depth, char *path, json_t **out, strm_reject_t *rej);
static strm_rc_t strm_avro_chk(const strm_avro_schema_t *s, avro_schema_t t,
    json_t *in, int depth, const strm_avro_at_t *at, json_t **out,
    strm_reject_t *rej);


static avro_schema_t
strm_avro_resolve(avro_schema_t t)
{
    int  n;

    for (n = 0; t != NULL && avro_typeof(t) == AVRO_LINK && n < 64; n++) {
        t = avro_schema_link_target(t);
    }

    return t;
}


static const char *
strm_avro_type(avro_schema_t t)
{
    switch (avro_typeof(t)) {
    case AVRO_STRING:
        return "string";
    case AVRO_BYTES:
        return "bytes";
    case AVRO_INT32:
        return "int";
    case AVRO_INT64:
        return "long";
    case AVRO_FLOAT:
        return "float";
    case AVRO_DOUBLE:
        return "double";
    case AVRO_BOOLEAN:
        return "boolean";
    case AVRO_NULL:
        return "null";
    case AVRO_RECORD:
        return "record";
    case AVRO_ENUM:
        return "enum";
    case AVRO_FIXED:
        return "fixed";
    case AVRO_MAP:
        return "map";
    case AVRO_ARRAY:
        return "array";
    case AVRO_UNION:
        return "union";
    default:
        return "link";
    }
}


static void
strm_avro_full_name(avro_schema_t t, char *buf, size_t size)
{
    char        *p, *end;
    const char  *ns, *name;

    /* on the event path (a record's defaults): no formatted print */
    name = avro_schema_name(t);
    ns = avro_schema_namespace(t);

    if (name == NULL) {
        name = "";
    }

    p = buf;
    end = buf + size - 1;

    if (ns != NULL && ns[0] != '\0' && strchr(name, '.') == NULL) {
        while (*ns != '\0' && p < end) {
            *p++ = *ns++;
        }

        if (p < end) {
            *p++ = '.';
        }
    }

    while (*name != '\0' && p < end) {
        *p++ = *name++;
    }

    *p = '\0';
}


/*
 * avro-c keeps no field defaults we can read back, so they are taken
 * from the schema text: defaults["ns.Record"]["field"].
 */
static int
strm_avro_collect(json_t *node, const char *ns, json_t *defaults)
{
    size_t       i;
    json_t      *v, *f, *fields, *rec;
    const char  *type, *name, *space, *dot;
    char         full[256], cns[256];

    if (json_is_array(node)) {
        json_array_foreach(node, i, v) {
            if (strm_avro_collect(v, ns, defaults) != 0) {
                return -1;
            }
        }

        return 0;
    }

    if (!json_is_object(node)) {
        return 0;
    }

    type = json_string_value(json_object_get(node, "type"));

    if (type == NULL) {
        return strm_avro_collect(json_object_get(node, "type"), ns,
                                 defaults);
    }

    if (strcmp(type, "array") == 0) {
        return strm_avro_collect(json_object_get(node, "items"), ns,
                                 defaults);
    }

    if (strcmp(type, "map") == 0) {
        return strm_avro_collect(json_object_get(node, "values"), ns,
                                 defaults);
    }

    if (strcmp(type, "record") != 0 && strcmp(type, "error") != 0) {
        return 0;
    }

    name = json_string_value(json_object_get(node, "name"));
    space = json_string_value(json_object_get(node, "namespace"));

    if (name == NULL) {
        return 0;
    }

    dot = strrchr(name, '.');

    if (dot != NULL) {
        snprintf(full, sizeof(full), "%s", name);
        snprintf(cns, sizeof(cns), "%.*s", (int) (dot - name), name);

    } else {
        if (space == NULL) {
            space = ns;
        }

        if (space != NULL && space[0] != '\0') {
            snprintf(full, sizeof(full), "%s.%s", space, name);
            snprintf(cns, sizeof(cns), "%s", space);

        } else {
            snprintf(full, sizeof(full), "%s", name);
            cns[0] = '\0';
        }
    }

    rec = json_object();
    if (rec == NULL || json_object_set_new(defaults, full, rec) != 0) {
        return -1;
    }

    fields = json_object_get(node, "fields");

    json_array_foreach(fields, i, f) {
        name = json_string_value(json_object_get(f, "name"));
        v = json_object_get(f, "default");

        if (name != NULL && v != NULL) {
            if (json_object_set(rec, name, v) != 0) {
                return -1;
            }
        }

        if (strm_avro_collect(json_object_get(f, "type"), cns, defaults)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


strm_avro_schema_t *
strm_avro_compile(const char *json, size_t len, char *err, size_t errlen)
{
    json_t              *doc;
    json_error_t         jerr;
    avro_schema_t        t;
    strm_avro_schema_t  *s;

    s = calloc(1, sizeof(strm_avro_schema_t));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    if (avro_schema_from_json_length(json, len, &s->root) != 0) {
        snprintf(err, errlen, "invalid Avro schema: %s", avro_strerror());
        s->root = NULL;
        goto failed;
    }

    t = strm_avro_resolve(s->root);

    if (t == NULL || avro_typeof(t) != AVRO_RECORD) {
        snprintf(err, errlen, "the top level of the schema is not a record");
        goto failed;
    }

    strm_avro_full_name(t, s->name, sizeof(s->name));

    doc = json_loadb(json, len, 0, &jerr);
    if (doc == NULL) {
        snprintf(err, errlen, "invalid schema JSON: %s", jerr.text);
        goto failed;
    }

    s->defaults = json_object();

    if (s->defaults == NULL || strm_avro_collect(doc, "", s->defaults) != 0) {
        json_decref(doc);
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    json_decref(doc);

    if (strm_avro_records(s, s->root) != 0) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    /* without it (out of memory), every datum goes the tree's way */
    s->bin = strm_avro_bin_compile(s->root);

    return s;

failed:

    strm_avro_free(s);
    return NULL;
}


void
strm_avro_free(strm_avro_schema_t *s)
{
    if (s == NULL) {
        return;
    }

    if (s->root != NULL) {
        avro_schema_decref(s->root);
    }

    while (s->nrecs > 0) {
        s->nrecs--;
        free(s->recs[s->nrecs].vals);
        free(s->recs[s->nrecs].fields);
    }

    free(s->recs);
    strm_avro_bin_free(s->bin);
    json_decref(s->defaults);
    free(s);
}


/*
 * Every record the schema reaches, with its defaults by field index
 * (references into s->defaults): a field left out of an event costs a
 * scan of a few pointers, not the record's full name and two lookups.
 */
static int
strm_avro_records(strm_avro_schema_t *s, avro_schema_t t)
{
    size_t            i, k, n;
    json_t           *defs;
    avro_schema_t     sub;
    strm_avro_rec_t  *recs;
    char              full[256];

    t = strm_avro_resolve(t);

    switch (avro_typeof(t)) {

    case AVRO_ARRAY:
        return strm_avro_records(s, avro_schema_array_items(t));

    case AVRO_MAP:
        return strm_avro_records(s, avro_schema_map_values(t));

    case AVRO_UNION:
        n = avro_schema_union_size(t);

        for (i = 0; i < n; i++) {
            if (strm_avro_records(s, avro_schema_union_branch(t, i)) != 0) {
                return -1;
            }
        }

        return 0;

    case AVRO_RECORD:
        break;

    default:
        return 0;
    }

    for (i = 0; i < s->nrecs; i++) {
        if (s->recs[i].rec == t) {
            return 0;
        }
    }

    recs = realloc(s->recs, (s->nrecs + 1) * sizeof(strm_avro_rec_t));
    if (recs == NULL) {
        return -1;
    }

    s->recs = recs;
    n = avro_schema_record_size(t);

    recs[s->nrecs].rec = t;
    recs[s->nrecs].n = n;
    recs[s->nrecs].vals = calloc(n + 1, sizeof(json_t *));
    recs[s->nrecs].fields = calloc(n + 1, sizeof(strm_avro_field_t));

    if (recs[s->nrecs].vals == NULL || recs[s->nrecs].fields == NULL) {
        free(recs[s->nrecs].vals);
        free(recs[s->nrecs].fields);
        return -1;
    }

    strm_avro_full_name(t, full, sizeof(full));
    defs = json_object_get(s->defaults, full);

    for (i = 0; i < n; i++) {
        recs[s->nrecs].vals[i] =
            json_object_get(defs, avro_schema_record_field_name(t, i));
        recs[s->nrecs].fields[i].name = avro_schema_record_field_name(t, i);
        recs[s->nrecs].fields[i].len =
            strlen(recs[s->nrecs].fields[i].name);
        recs[s->nrecs].fields[i].type =
            avro_schema_record_field_get_by_index(t, i);
        recs[s->nrecs].fields[i].plain =
            strm_avro_plain_name(recs[s->nrecs].fields[i].name);

        /* a union's default is a value of its first branch */
        sub = strm_avro_resolve(recs[s->nrecs].fields[i].type);
        recs[s->nrecs].fields[i].dtype =
            (avro_typeof(sub) == AVRO_UNION)
            ? strm_avro_resolve(avro_schema_union_branch(sub, 0)) : sub;

        /* the branch the text's way takes for each kind of value */
        if (avro_typeof(sub) == AVRO_UNION) {
            recs[s->nrecs].fields[i].branches = 1;

            for (k = 0; k < 6; k++) {
                recs[s->nrecs].fields[i].branch[k] =
                    strm_avro_tx_branch(sub, (unsigned char) "nt\"[{0"[k]);
            }
        }
    }

    s->nrecs++;

    for (i = 0; i < n; i++) {
        if (strm_avro_records(s, avro_schema_record_field_get_by_index(t, i))
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* does a name hold nothing a JSON string escapes? */
static int
strm_avro_plain_name(const char *name)
{
    for ( /* void */ ; *name != '\0'; name++) {
        if ((unsigned char) *name < 0x20 || *name == '"' || *name == '\\') {
            return 0;
        }
    }

    return 1;
}


/* record t's entry, or NULL */
static const strm_avro_rec_t *
strm_avro_rec(const strm_avro_schema_t *s, avro_schema_t t)
{
    size_t  i;

    for (i = 0; i < s->nrecs; i++) {
        if (s->recs[i].rec == t) {
            return &s->recs[i];
        }
    }

    return NULL;
}


/* record t's defaults by field index, or NULL */
static json_t **
strm_avro_defaults(const strm_avro_schema_t *s, avro_schema_t t)
{
    size_t  i;

    for (i = 0; i < s->nrecs; i++) {
        if (s->recs[i].rec == t) {
            return s->recs[i].vals;
        }
    }

    return NULL;
}


const char *
strm_avro_name(const strm_avro_schema_t *s)
{
    return s->name;
}


avro_schema_t
strm_avro_root(const strm_avro_schema_t *s)
{
    return s->root;
}


/* a union with null and one other branch stands for that branch */
static avro_schema_t
strm_avro_strip_null(avro_schema_t t)
{
    size_t         i, n;
    avro_schema_t  b, found;

    t = strm_avro_resolve(t);

    if (avro_typeof(t) != AVRO_UNION) {
        return t;
    }

    n = avro_schema_union_size(t);
    found = NULL;

    for (i = 0; i < n; i++) {
        b = strm_avro_resolve(avro_schema_union_branch(t, i));

        if (avro_typeof(b) == AVRO_NULL) {
            continue;
        }

        if (found != NULL) {
            return t;
        }

        found = b;
    }

    return found != NULL ? found : t;
}


int
strm_avro_has_field(const strm_avro_schema_t *s, const char *path,
    const char **type)
{
    int            k;
    size_t         n;
    avro_schema_t  t, f;
    const char    *p, *e;
    char           name[256];

    t = strm_avro_resolve(s->root);
    p = path;

    for ( ;; ) {
        t = strm_avro_strip_null(t);

        if (avro_typeof(t) != AVRO_RECORD) {
            return 0;
        }

        e = strchr(p, '/');
        n = (e == NULL) ? strlen(p) : (size_t) (e - p);

        if (n == 0 || n >= sizeof(name)) {
            return 0;
        }

        memcpy(name, p, n);
        name[n] = '\0';

        k = avro_schema_record_field_get_index(t, name);
        if (k < 0) {
            return 0;
        }

        f = avro_schema_record_field_get_by_index(t, k);

        if (e == NULL) {
            if (type != NULL) {
                *type = strm_avro_type(strm_avro_strip_null(f));
            }

            return 1;
        }

        t = f;
        p = e + 1;
    }
}


/*
 * appends "/name" (or "name") to path, cut to the buffer as snprintf()
 * would; returns the old length (on every field of every event: no
 * formatted print)
 */
static size_t
strm_avro_push(char *path, const char *name)
{
    char    *p, *end;
    size_t   len;

    len = strlen(path);

    p = path + len;
    end = path + STRM_AVRO_PATH_LEN - 1;

    if (len > 0 && p < end) {
        *p++ = '/';
    }

    while (*name != '\0' && p < end) {
        *p++ = *name++;
    }

    *p = '\0';

    return len;
}


static strm_rc_t
strm_avro_read_long(strm_avro_rd_t *rd, int64_t *v, const char *path,
    strm_reject_t *rej)
{
    int       shift;
    uint64_t  u;
    unsigned  c;

    u = 0;

    for (shift = 0; shift < 70; shift += 7) {
        if (rd->p >= rd->end) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "truncated",
                               "the datum ends early");
        }

        c = *rd->p++;
        u |= (uint64_t) (c & 0x7f) << shift;

        if ((c & 0x80) == 0) {
            *v = (int64_t) ((u >> 1) ^ (~(u & 1) + 1));
            return STRM_OK;
        }
    }

    return strm_reject(rej, STRM_E_INVALID_AVRO, path, "varint",
                       "a variable-length integer is too long");
}


static strm_rc_t
strm_avro_read_len(strm_avro_rd_t *rd, int64_t *n, const char *path,
    strm_reject_t *rej)
{
    strm_rc_t  rc;

    rc = strm_avro_read_long(rd, n, path, rej);
    if (rc != STRM_OK) {
        return rc;
    }

    if (*n < 0) {
        return strm_reject(rej, STRM_E_INVALID_AVRO, path, "length",
                           "a negative length");
    }

    if ((uint64_t) *n > (uint64_t) (rd->end - rd->p)) {
        return strm_reject(rej, STRM_E_INVALID_AVRO, path, "truncated",
                           "the datum ends early");
    }

    return STRM_OK;
}


static json_t *
strm_avro_latin1(const unsigned char *p, size_t n)
{
    size_t          i, k;
    json_t         *j;
    unsigned char  *u;

    u = malloc(2 * n + 1);
    if (u == NULL) {
        return NULL;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (p[i] < 0x80) {
            u[k++] = p[i];

        } else {
            u[k++] = 0xc0 | (p[i] >> 6);
            u[k++] = 0x80 | (p[i] & 0x3f);
        }
    }

    j = json_stringn((char *) u, k);
    free(u);

    return j;
}


/* the reverse of strm_avro_latin1(); -1 on a code point above 255 */
static int
strm_avro_unlatin1(const char *s, size_t n, unsigned char *out,
    size_t *outlen)
{
    size_t                i, k;
    const unsigned char  *p;

    p = (const unsigned char *) s;

    for (i = 0, k = 0; i < n; i++) {
        if (p[i] < 0x80) {
            out[k++] = p[i];

        } else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < n) {
            out[k++] = (unsigned char) (((p[i] & 0x03) << 6)
                                        | (p[i + 1] & 0x3f));
            i++;

        } else {
            return -1;
        }
    }

    *outlen = k;

    return 0;
}


static strm_rc_t
strm_avro_dec(strm_avro_rd_t *rd, avro_schema_t t, int depth, char *path,
    json_t **out, strm_reject_t *rej)
{
    float          f;
    double         d;
    size_t         k, len, nf;
    json_t        *j, *item;
    int64_t        v, n, i, total;
    uint32_t       w;
    uint64_t       u;
    strm_rc_t      rc;
    avro_schema_t  sub;
    char           key[32];

    *out = NULL;

    if (depth > STRM_AVRO_MAX_DEPTH) {
        return strm_reject(rej, STRM_E_TOO_DEEP, path, "depth",
                           "the datum nests too deeply");
    }

    t = strm_avro_resolve(t);
    j = NULL;

    switch (avro_typeof(t)) {

    case AVRO_NULL:
        j = json_null();
        break;

    case AVRO_BOOLEAN:
        if (rd->p >= rd->end) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "truncated",
                               "the datum ends early");
        }

        if (*rd->p > 1) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "type",
                               "a boolean is neither 0 nor 1");
        }

        j = json_boolean(*rd->p++);
        break;

    case AVRO_INT32:
    case AVRO_INT64:
        rc = strm_avro_read_long(rd, &v, path, rej);
        if (rc != STRM_OK) {
            return rc;
        }

        if (avro_typeof(t) == AVRO_INT32 && (v < INT32_MIN || v > INT32_MAX))
        {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "type",
                               "an int is out of range");
        }

        j = json_integer(v);
        break;

    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        n = (avro_typeof(t) == AVRO_FLOAT) ? 4 : 8;

        if (rd->end - rd->p < n) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "truncated",
                               "the datum ends early");
        }

        u = 0;
        for (i = n - 1; i >= 0; i--) {
            u = (u << 8) | rd->p[i];
        }

        rd->p += n;

        if (n == 4) {
            w = (uint32_t) u;
            memcpy(&f, &w, 4);
            d = f;

        } else {
            memcpy(&d, &u, 8);
        }

        j = json_real(d);
        if (j == NULL) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "type",
                               "a number JSON cannot represent");
        }

        break;

    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
        if (avro_typeof(t) == AVRO_FIXED) {
            n = avro_schema_fixed_size(t);

            if (rd->end - rd->p < n) {
                return strm_reject(rej, STRM_E_INVALID_AVRO, path,
                                   "truncated", "the datum ends early");
            }

        } else {
            rc = strm_avro_read_len(rd, &n, path, rej);
            if (rc != STRM_OK) {
                return rc;
            }
        }

        if (avro_typeof(t) == AVRO_STRING) {
            j = json_stringn((const char *) rd->p, n);
            if (j == NULL) {
                return strm_reject(rej, STRM_E_INVALID_AVRO, path, "utf8",
                                   "a string is not valid UTF-8");
            }

        } else {
            j = strm_avro_latin1(rd->p, n);
        }

        rd->p += n;
        break;

    case AVRO_ENUM:
        rc = strm_avro_read_long(rd, &v, path, rej);
        if (rc != STRM_OK) {
            return rc;
        }

        if (v < 0 || v >= avro_schema_enum_number_of_symbols(t)) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "enum",
                               "an enum index is out of range");
        }

        j = json_string(avro_schema_enum_get(t, (int) v));
        break;

    case AVRO_ARRAY:
    case AVRO_MAP:
        j = (avro_typeof(t) == AVRO_ARRAY) ? json_array() : json_object();
        if (j == NULL) {
            return STRM_E_NOMEM;
        }

        sub = (avro_typeof(t) == AVRO_ARRAY) ? avro_schema_array_items(t)
                                             : avro_schema_map_values(t);
        total = 0;

        for ( ;; ) {
            rc = strm_avro_read_long(rd, &n, path, rej);
            if (rc != STRM_OK) {
                goto failed;
            }

            if (n == 0) {
                break;
            }

            if (n < 0) {
                if (n == INT64_MIN) {
                    rc = strm_reject(rej, STRM_E_INVALID_AVRO, path,
                                     "length", "a block count is invalid");
                    goto failed;
                }

                n = -n;

                rc = strm_avro_read_long(rd, &v, path, rej);
                if (rc != STRM_OK) {
                    goto failed;
                }
            }

            /*
             * Every item takes at least one byte except null-like ones;
             * refusing counts above what is left bounds the work.
             */
            if ((uint64_t) n > (uint64_t) (rd->end - rd->p) + 1) {
                rc = strm_reject(rej, STRM_E_INVALID_AVRO, path,
                                 "truncated", "the datum ends early");
                goto failed;
            }

            total += n;

            for (i = 0; i < n; i++) {
                if (avro_typeof(t) == AVRO_ARRAY) {
                    snprintf(key, sizeof(key), "%lld", (long long) total - n
                                                       + i);
                    len = strm_avro_push(path, key);
                    rc = strm_avro_dec(rd, sub, depth + 1, path, &item, rej);
                    path[len] = '\0';

                    if (rc != STRM_OK) {
                        goto failed;
                    }

                    if (json_array_append_new(j, item) != 0) {
                        rc = STRM_E_NOMEM;
                        goto failed;
                    }

                    continue;
                }

                rc = strm_avro_read_len(rd, &v, path, rej);
                if (rc != STRM_OK) {
                    goto failed;
                }

                item = json_stringn((const char *) rd->p, v);
                if (item == NULL) {
                    rc = strm_reject(rej, STRM_E_INVALID_AVRO, path, "utf8",
                                     "a map key is not valid UTF-8");
                    goto failed;
                }

                rd->p += v;

                len = strm_avro_push(path, "*");
                rc = strm_avro_dec(rd, sub, depth + 1, path, out, rej);
                path[len] = '\0';

                if (rc != STRM_OK) {
                    json_decref(item);
                    goto failed;
                }

                if (json_object_setn_new(j, json_string_value(item),
                                         json_string_length(item), *out)
                    != 0)
                {
                    json_decref(item);
                    rc = STRM_E_NOMEM;
                    goto failed;
                }

                *out = NULL;
                json_decref(item);
            }
        }

        break;

    case AVRO_RECORD:
        j = json_object();
        if (j == NULL) {
            return STRM_E_NOMEM;
        }

        nf = avro_schema_record_size(t);

        for (k = 0; k < nf; k++) {
            len = strm_avro_push(path, avro_schema_record_field_name(t, k));
            rc = strm_avro_dec(rd, avro_schema_record_field_get_by_index(t, k),
                               depth + 1, path, &item, rej);
            path[len] = '\0';

            if (rc != STRM_OK) {
                goto failed;
            }

            if (json_object_set_new(j, avro_schema_record_field_name(t, k),
                                    item)
                != 0)
            {
                rc = STRM_E_NOMEM;
                goto failed;
            }
        }

        break;

    case AVRO_UNION:
        rc = strm_avro_read_long(rd, &v, path, rej);
        if (rc != STRM_OK) {
            return rc;
        }

        if (v < 0 || (uint64_t) v >= avro_schema_union_size(t)) {
            return strm_reject(rej, STRM_E_INVALID_AVRO, path, "union",
                               "a union index is out of range");
        }

        return strm_avro_dec(rd, avro_schema_union_branch(t, (int) v),
                             depth, path, out, rej);

    default:
        return strm_reject(rej, STRM_E_INVALID_AVRO, path, "type",
                           "an unsupported schema type");
    }

    if (j == NULL) {
        return STRM_E_NOMEM;
    }

    *out = j;

    return STRM_OK;

failed:

    json_decref(j);
    *out = NULL;

    return rc;
}


strm_rc_t
strm_avro_decode(const strm_avro_schema_t *s, const unsigned char *buf,
    size_t len, json_t **out, strm_reject_t *rej)
{
    strm_rc_t       rc;
    strm_avro_rd_t  rd;
    char            path[STRM_AVRO_PATH_LEN];

    path[0] = '\0';
    rd.p = buf;
    rd.end = buf + len;

    rc = strm_avro_dec(&rd, s->root, 0, path, out, rej);
    if (rc != STRM_OK) {
        return rc;
    }

    if (rd.p != rd.end) {
        json_decref(*out);
        *out = NULL;

        return strm_reject(rej, STRM_E_INVALID_AVRO, "", "trailing",
                           "bytes are left after the datum");
    }

    return STRM_OK;
}


/* the decimal text of an array index, in buf (at least 21 bytes) */
static const char *
strm_avro_index(char *buf, size_t i)
{
    char  *p;

    p = buf + 20;
    *p = '\0';

    do {
        *--p = (char) ('0' + i % 10);
        i /= 10;
    } while (i != 0);

    return p;
}


/*
 * Where the check is: a chain of names up to the top, the path written
 * out (as strm_avro_push() builds it) only for a refusal.
 */
struct strm_avro_at_s {
    const strm_avro_at_t  *up;
    const char            *name;            /* NULL: an array index */
    size_t                 index;
};


static const char *
strm_avro_where(const strm_avro_at_t *at, char *path)
{
    char  idx[32];

    if (at == NULL) {
        path[0] = '\0';
        return path;
    }

    (void) strm_avro_where(at->up, path);
    (void) strm_avro_push(path, at->name != NULL
                                ? at->name : strm_avro_index(idx, at->index));

    return path;
}


static strm_rc_t
strm_avro_violation(strm_reject_t *rej, const strm_avro_at_t *at,
    const char *rule, const char *what)
{
    char  path[STRM_AVRO_PATH_LEN];

    return strm_reject(rej, STRM_E_SCHEMA_VIOLATION,
                       strm_avro_where(at, path), rule,
                       "the value is not %s", what);
}

/*
 * A JSON string standing for Avro bytes or fixed (code points 0-255,
 * as Avro-JSON writes them): its bytes in *out (malloc()ed), or a
 * "type" violation.
 */
static strm_rc_t
strm_avro_json_bytes(avro_schema_t t, json_t *in, const strm_avro_at_t *at,
    strm_reject_t *rej, unsigned char **out, size_t *outlen)
{
    size_t          len;
    unsigned char  *bytes;

    if (!json_is_string(in)) {
        return strm_avro_violation(rej, at, "type", "a string");
    }

    len = json_string_length(in);
    bytes = malloc(len + 1);
    if (bytes == NULL) {
        return STRM_E_NOMEM;
    }

    if (strm_avro_unlatin1(json_string_value(in), len, bytes, outlen) != 0
        || (avro_typeof(t) == AVRO_FIXED
            && (int64_t) *outlen != avro_schema_fixed_size(t)))
    {
        free(bytes);
        return strm_avro_violation(rej, at, "type",
                                   "bytes of the right size");
    }

    *out = bytes;

    return STRM_OK;
}


/* does a wrapped Avro-JSON union member name this branch? */
static int
strm_avro_branch_is(avro_schema_t b, const char *name)
{
    const char  *n;
    char         full[256];

    b = strm_avro_resolve(b);

    switch (avro_typeof(b)) {
    case AVRO_RECORD:
    case AVRO_ENUM:
    case AVRO_FIXED:
        strm_avro_full_name(b, full, sizeof(full));
        n = avro_schema_name(b);

        return strcmp(full, name) == 0 || (n != NULL && strcmp(n, name) == 0);

    default:
        return strcmp(strm_avro_type(b), name) == 0;
    }
}


/* a record of at most this many fields is looked up field by field */
#define STRM_AVRO_FIELDS_AT_ONCE  32


/*
 * The event's value of each of the n fields of record t in vals (n at
 * most STRM_AVRO_FIELDS_AT_ONCE); returns how many were found.  The
 * members mostly come in the schema's order: they are matched walking
 * along the fields, with no lookup.  When that leaves a member over
 * (out of order, or no field of the record), each field is looked up.
 */
static size_t
strm_avro_fields(avro_schema_t t, json_t *in, size_t n, json_t **vals)
{
    void        *it;
    size_t       i, klen, found;
    const char  *name, *key;

    it = json_object_iter(in);
    found = 0;

    for (i = 0; i < n; i++) {
        name = avro_schema_record_field_name(t, i);
        vals[i] = NULL;

        if (it == NULL) {
            continue;
        }

        key = json_object_iter_key(it);
        klen = json_object_iter_key_len(it);

        if (klen == strlen(name) && memcmp(key, name, klen) == 0) {
            vals[i] = json_object_iter_value(it);
            it = json_object_iter_next(in, it);
            found++;
        }
    }

    if (it == NULL) {
        /* each member matched a field of its own: the others are absent */
        return found;
    }

    found = 0;

    for (i = 0; i < n; i++) {
        vals[i] = json_object_get(in, avro_schema_record_field_name(t, i));
        found += (vals[i] != NULL);
    }

    return found;
}


static strm_rc_t
strm_avro_chk(const strm_avro_schema_t *s, avro_schema_t t, json_t *in,
    int depth, const strm_avro_at_t *at, json_t **out, strm_reject_t *rej)
{
    int             got;
    size_t          i, n, blen, klen, found;
    json_t         *j, *v, **defs, *item;
    json_t         *vals[STRM_AVRO_FIELDS_AT_ONCE];
    int64_t         iv;
    strm_rc_t       rc;
    const char     *key;
    avro_schema_t   sub;
    unsigned char  *bytes;
    strm_reject_t   first;
    strm_avro_at_t  here;
    char            path[STRM_AVRO_PATH_LEN];

    /* out is NULL: checked only, nothing built */
    if (out != NULL) {
        *out = NULL;
    }

    /* a member's or an item's place, below this one */
    here.up = at;
    here.name = NULL;
    here.index = 0;

    if (depth > STRM_AVRO_MAX_DEPTH) {
        return strm_reject(rej, STRM_E_TOO_DEEP, strm_avro_where(at, path),
                           "depth",
                           "the event nests too deeply");
    }

    t = strm_avro_resolve(t);
    j = NULL;

    switch (avro_typeof(t)) {

    case AVRO_NULL:
        if (!json_is_null(in)) {
            return strm_avro_violation(rej, at, "type", "null");
        }

        j = (out != NULL) ? json_null() : NULL;
        break;

    case AVRO_BOOLEAN:
        if (!json_is_boolean(in)) {
            return strm_avro_violation(rej, at, "type", "a boolean");
        }

        j = (out != NULL) ? json_boolean(json_is_true(in)) : NULL;
        break;

    case AVRO_INT32:
    case AVRO_INT64:
        if (!json_is_integer(in)) {
            return strm_avro_violation(rej, at, "type", "an integer");
        }

        iv = json_integer_value(in);

        if (avro_typeof(t) == AVRO_INT32
            && (iv < INT32_MIN || iv > INT32_MAX))
        {
            return strm_avro_violation(rej, at, "type", "a 32-bit int");
        }

        j = (out != NULL) ? json_incref(in) : NULL;
        break;

    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        if (!json_is_number(in)
            || (avro_typeof(t) == AVRO_FLOAT
                && (json_number_value(in) > FLT_MAX
                    || json_number_value(in) < -FLT_MAX)))
        {
            return strm_avro_violation(rej, at, "type", "a number");
        }

        j = (out != NULL) ? json_real(json_number_value(in)) : NULL;
        break;

    case AVRO_STRING:
        if (!json_is_string(in)) {
            return strm_avro_violation(rej, at, "type", "a string");
        }

        /* the parsed value, shared: checked UTF-8 already, never changed */
        j = (out != NULL) ? json_incref(in) : NULL;
        break;

    case AVRO_BYTES:
    case AVRO_FIXED:
        bytes = NULL;

        rc = strm_avro_json_bytes(t, in, at, rej, &bytes, &blen);
        if (rc != STRM_OK) {
            return rc;
        }

        free(bytes);
        j = (out != NULL) ? json_stringn(json_string_value(in),
                                         json_string_length(in))
                          : NULL;
        break;

    case AVRO_ENUM:
        if (!json_is_string(in)) {
            return strm_avro_violation(rej, at, "type", "a string");
        }

        if (avro_schema_enum_get_by_name(t, json_string_value(in)) < 0) {
            return strm_avro_violation(rej, at, "enum",
                                       "a symbol of the enum");
        }

        j = (out != NULL) ? json_string(json_string_value(in)) : NULL;
        break;

    case AVRO_ARRAY:
        if (!json_is_array(in)) {
            return strm_avro_violation(rej, at, "type", "an array");
        }

        if (out != NULL) {
            j = json_array();
            if (j == NULL) {
                return STRM_E_NOMEM;
            }
        }

        sub = avro_schema_array_items(t);

        json_array_foreach(in, i, v) {
            here.name = NULL;
            here.index = i;
            rc = strm_avro_chk(s, sub, v, depth + 1, &here,
                               (out != NULL) ? &item : NULL, rej);

            if (rc != STRM_OK) {
                goto failed;
            }

            if (out != NULL && json_array_append_new(j, item) != 0) {
                rc = STRM_E_NOMEM;
                goto failed;
            }
        }

        break;

    case AVRO_MAP:
        if (!json_is_object(in)) {
            return strm_avro_violation(rej, at, "type", "an object");
        }

        if (out != NULL) {
            j = json_object();
            if (j == NULL) {
                return STRM_E_NOMEM;
            }
        }

        sub = avro_schema_map_values(t);

        json_object_keylen_foreach(in, key, klen, v) {
            here.name = "*";
            rc = strm_avro_chk(s, sub, v, depth + 1, &here,
                               (out != NULL) ? &item : NULL, rej);

            if (rc != STRM_OK) {
                goto failed;
            }

            if (out != NULL && json_object_setn_new(j, key, klen, item) != 0)
            {
                rc = STRM_E_NOMEM;
                goto failed;
            }
        }

        break;

    case AVRO_RECORD:
        if (!json_is_object(in)) {
            return strm_avro_violation(rej, at, "type", "an object");
        }

        /*
         * The event's value of each field, looked up once; when as many
         * were found as the event has members, each member is a field
         * (the names differ), and no member needs a lookup of its own.
         */
        n = avro_schema_record_size(t);
        found = 0;

        if (n <= STRM_AVRO_FIELDS_AT_ONCE) {
            found = strm_avro_fields(t, in, n, vals);
        }

        json_object_keylen_foreach(in, key, klen, v) {
            if (found == json_object_size(in)) {
                break;
            }

            if (strlen(key) != klen
                || avro_schema_record_field_get_index(t, key) < 0)
            {
                here.name = key;
                return strm_reject(rej, STRM_E_SCHEMA_VIOLATION,
                                   strm_avro_where(&here, path),
                                   "additionalProperties",
                                   "the schema has no such field");
            }
        }

        if (out != NULL) {
            j = json_object();
            if (j == NULL) {
                return STRM_E_NOMEM;
            }
        }

        /* the record's defaults, looked up for its first absent field */
        defs = NULL;
        got = 0;

        for (i = 0; i < n; i++) {
            key = avro_schema_record_field_name(t, i);
            sub = avro_schema_record_field_get_by_index(t, i);
            v = (n <= STRM_AVRO_FIELDS_AT_ONCE) ? vals[i]
                                                : json_object_get(in, key);

            here.name = key;

            if (v == NULL) {
                if (!got) {
                    defs = strm_avro_defaults(s, t);
                    got = 1;
                }

                v = (defs != NULL) ? defs[i] : NULL;

                if (v == NULL) {
                    rc = strm_reject(rej, STRM_E_SCHEMA_VIOLATION,
                                     strm_avro_where(&here, path),
                                     "required", "a required field is "
                                     "missing");
                    goto failed;
                }

                /* a union's default is a value of its first branch */
                sub = strm_avro_resolve(sub);
                if (avro_typeof(sub) == AVRO_UNION) {
                    sub = avro_schema_union_branch(sub, 0);
                }
            }

            rc = strm_avro_chk(s, sub, v, depth + 1, &here,
                               (out != NULL) ? &item : NULL, rej);

            if (rc != STRM_OK) {
                goto failed;
            }

            /* a field name of the schema: valid UTF-8 already */
            if (out != NULL && json_object_set_new_nocheck(j, key, item) != 0)
            {
                rc = STRM_E_NOMEM;
                goto failed;
            }
        }

        break;

    case AVRO_UNION:
        n = avro_schema_union_size(t);

        /* Avro-JSON: {"type name": value} */
        if (json_is_object(in) && json_object_size(in) == 1) {
            key = json_object_iter_key(json_object_iter(in));
            v = json_object_iter_value(json_object_iter(in));

            for (i = 0; i < n; i++) {
                sub = avro_schema_union_branch(t, i);

                if (strm_avro_branch_is(sub, key)
                    && avro_typeof(strm_avro_resolve(sub)) != AVRO_NULL
                    && strm_avro_chk(s, sub, v, depth, at, out, rej)
                       == STRM_OK)
                {
                    return STRM_OK;
                }
            }
        }

        blen = 0;

        for (i = 0; i < n; i++) {
            sub = avro_schema_union_branch(t, i);

            /* a null branch refuses any other value, and its reason is
             * never the one given: no need to write it */
            if (!json_is_null(in)
                && avro_typeof(strm_avro_resolve(sub)) == AVRO_NULL)
            {
                continue;
            }

            rc = strm_avro_chk(s, sub, in, depth, at, out, rej);

            if (rc == STRM_OK || rc == STRM_E_NOMEM || rc == STRM_E_TOO_DEEP)
            {
                return rc;
            }

            if (avro_typeof(strm_avro_resolve(sub)) != AVRO_NULL) {
                if (blen++ == 0) {
                    first = *rej;
                }
            }
        }

        /* one non-null branch: its own reason is the more precise one */
        if (blen == 1 && !json_is_null(in)) {
            *rej = first;
            return STRM_E_SCHEMA_VIOLATION;
        }

        return strm_avro_violation(rej, at, "union",
                                   "any branch of the union");

    default:
        return strm_avro_violation(rej, at, "type", "of a known type");
    }

    if (out == NULL) {
        return STRM_OK;
    }

    if (j == NULL) {
        return STRM_E_NOMEM;
    }

    *out = j;

    return STRM_OK;

failed:

    json_decref(j);

    if (out != NULL) {
        *out = NULL;
    }

    return rc;
}


strm_rc_t
strm_avro_check_json(const strm_avro_schema_t *s, json_t *in, json_t **out,
    strm_reject_t *rej)
{
    return strm_avro_chk(s, s->root, in, 0, NULL, out, rej);
}


/*
 * The branch of union t that strm_avro_chk() takes for in, and the
 * value it checks there (in, or a wrapped Avro-JSON member's value).
 */
static strm_rc_t
strm_avro_pick(const strm_avro_schema_t *s, avro_schema_t t, json_t *in,
    int depth, avro_schema_t *b, json_t **v)
{
    int             k;
    size_t          i, n;
    json_t         *inner;
    strm_rc_t       rc;
    const char     *key;
    avro_schema_t   sub;
    strm_reject_t   rej;

    n = avro_schema_union_size(t);

    /*
     * The everyday union, null and one other type, for a value that is
     * not an object (so not wrapped): null is the null branch's (no
     * other type takes null), anything else the other branch's.
     */
    if (n == 2 && !json_is_object(in)) {
        k = (avro_typeof(strm_avro_resolve(avro_schema_union_branch(t, 0)))
             == AVRO_NULL);
        sub = strm_avro_resolve(avro_schema_union_branch(t, k));

        if (avro_typeof(sub) != AVRO_UNION
            && (k || avro_typeof(strm_avro_resolve(
                         avro_schema_union_branch(t, 1))) == AVRO_NULL))
        {
            *b = avro_schema_union_branch(t, json_is_null(in) ? 1 - k : k);
            *v = in;
            return STRM_OK;
        }
    }

    if (json_is_object(in) && json_object_size(in) == 1) {
        key = json_object_iter_key(json_object_iter(in));
        inner = json_object_iter_value(json_object_iter(in));

        for (i = 0; i < n; i++) {
            sub = avro_schema_union_branch(t, i);

            if (strm_avro_branch_is(sub, key)
                && avro_typeof(strm_avro_resolve(sub)) != AVRO_NULL
                && strm_avro_chk(s, sub, inner, depth, NULL, NULL, &rej)
                   == STRM_OK)
            {
                *b = sub;
                *v = inner;
                return STRM_OK;
            }
        }
    }

    for (i = 0; i < n; i++) {
        sub = avro_schema_union_branch(t, i);

        if (!json_is_null(in)
            && avro_typeof(strm_avro_resolve(sub)) == AVRO_NULL)
        {
            continue;
        }

        rc = strm_avro_chk(s, sub, in, depth, NULL, NULL, &rej);

        if (rc == STRM_OK) {
            *b = sub;
            *v = in;
            return STRM_OK;
        }

        if (rc == STRM_E_NOMEM || rc == STRM_E_TOO_DEEP) {
            return rc;
        }
    }

    return STRM_E_SCHEMA_VIOLATION;
}


/* record t's field i's default, and the type it is a value of */
static json_t *
strm_avro_default(const strm_avro_schema_t *s, avro_schema_t t, size_t i,
    avro_schema_t *sub)
{
    json_t  **defs;

    defs = strm_avro_defaults(s, t);

    /* a union's default is a value of its first branch */
    *sub = strm_avro_resolve(*sub);
    if (avro_typeof(*sub) == AVRO_UNION) {
        *sub = avro_schema_union_branch(*sub, 0);
    }

    return (defs != NULL) ? defs[i] : NULL;
}


/*
 * Is the plain JSON strm_avro_chk() builds of a value of type t always
 * equal to the value (json_equal())?  Null, booleans, integers,
 * strings, bytes and fixed, and arrays and maps of those: yes; reals
 * (an integer becomes one), enums (a symbol is taken up to a NUL),
 * records (defaults, order) and unions (wrapped values): not always.
 */
static int
strm_avro_same(avro_schema_t t, int depth)
{
    t = strm_avro_resolve(t);

    if (depth > 8) {
        return 0;
    }

    switch (avro_typeof(t)) {

    case AVRO_NULL:
    case AVRO_BOOLEAN:
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
        return 1;

    case AVRO_ARRAY:
        return strm_avro_same(avro_schema_array_items(t), depth + 1);

    case AVRO_MAP:
        return strm_avro_same(avro_schema_map_values(t), depth + 1);

    default:
        return 0;
    }
}


/* what strm_avro_chk() builds of a checked value, written as it goes */
static int
strm_avro_wr(const strm_avro_schema_t *s, avro_schema_t t, json_t *in,
    int depth, strm_jw_t *w, const strm_jw_obj_t *ctx, const char **str,
    size_t *slen)
{
    size_t          i, n, klen;
    json_t         *v;
    strm_rc_t       rc;
    const char     *key;
    avro_schema_t   sub;
    strm_jw_obj_t   o, none;
    strm_jw_mem_t   m;
    json_t         *vals[STRM_AVRO_FIELDS_AT_ONCE];

    t = strm_avro_resolve(t);

    switch (avro_typeof(t)) {

    case AVRO_NULL:
        return strm_jw_put(w, "null", 4);

    case AVRO_BOOLEAN:
        return json_is_true(in) ? strm_jw_put(w, "true", 4)
                                : strm_jw_put(w, "false", 5);

    case AVRO_INT32:
    case AVRO_INT64:
        return strm_jw_integer(w, json_integer_value(in));

    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        return strm_jw_real(w, json_number_value(in));

    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
    case AVRO_ENUM:
        key = json_string_value(in);

        /* an enum's symbol is taken as a C string, as the check does */
        n = (avro_typeof(t) == AVRO_ENUM) ? strlen(key)
                                          : json_string_length(in);

        if (str != NULL) {
            *str = key;
            *slen = n;
        }

        return strm_jw_string(w, key, n);

    case AVRO_ARRAY:
        if (strm_jw_put(w, "[", 1) != 0) {
            return -1;
        }

        strm_jw_none(&none);
        sub = avro_schema_array_items(t);

        json_array_foreach(in, i, v) {
            if ((i > 0 && strm_jw_put(w, ",", 1) != 0)
                || strm_avro_wr(s, sub, v, depth + 1, w, &none, NULL, NULL)
                   != 0)
            {
                return -1;
            }
        }

        return strm_jw_put(w, "]", 1);

    case AVRO_MAP:
        if (strm_jw_obj_begin(w, &o, ctx) != 0) {
            return -1;
        }

        sub = avro_schema_map_values(t);

        json_object_keylen_foreach(in, key, klen, v) {
            if (strm_jw_member(w, &o, key, klen, &m) != 0
                || (m.stamp
                    ? strm_jw_stamp(w, &m)
                    : strm_avro_wr(s, sub, v, depth + 1, w, &m.child,
                                   &m.str, &m.slen))
                   != 0
                || strm_jw_member_end(w, &m) != 0)
            {
                return -1;
            }
        }

        return strm_jw_obj_end(w, &o);

    case AVRO_RECORD:
        if (strm_jw_obj_begin(w, &o, ctx) != 0) {
            return -1;
        }

        n = avro_schema_record_size(t);

        if (n <= STRM_AVRO_FIELDS_AT_ONCE) {
            (void) strm_avro_fields(t, in, n, vals);
        }

        for (i = 0; i < n; i++) {
            key = avro_schema_record_field_name(t, i);
            sub = avro_schema_record_field_get_by_index(t, i);
            v = (n <= STRM_AVRO_FIELDS_AT_ONCE) ? vals[i]
                                                : json_object_get(in, key);

            if (v == NULL) {
                v = strm_avro_default(s, t, i, &sub);
                if (v == NULL) {
                    w->rc = STRM_E_INTERNAL;
                    return -1;
                }
            }

            if (strm_jw_member(w, &o, key, strlen(key), &m) != 0
                || (m.stamp
                    ? strm_jw_stamp(w, &m)
                    : strm_avro_wr(s, sub, v, depth + 1, w, &m.child,
                                   &m.str, &m.slen))
                   != 0
                || strm_jw_member_end(w, &m) != 0)
            {
                return -1;
            }
        }

        return strm_jw_obj_end(w, &o);

    case AVRO_UNION:
        rc = strm_avro_pick(s, t, in, depth, &sub, &v);
        if (rc != STRM_OK) {
            /* checked already: only memory can fail here */
            w->rc = (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
            return -1;
        }

        return strm_avro_wr(s, sub, v, depth, w, ctx, str, slen);

    default:
        w->rc = STRM_E_INTERNAL;
        return -1;
    }
}


strm_rc_t
strm_avro_write(const strm_avro_schema_t *s, json_t *in, strm_jw_t *w)
{
    strm_jw_obj_t  root;

    strm_jw_root(w, &root);

    if (strm_avro_wr(s, s->root, in, 0, w, &root, NULL, NULL) != 0) {
        return w->rc;
    }

    return STRM_OK;
}


strm_rc_t
strm_avro_value(const strm_avro_schema_t *s, json_t *in, const char *path,
    int shallow, json_t **out)
{
    int             k, depth;
    size_t          n;
    json_t         *v;
    strm_rc_t       rc;
    avro_schema_t   t, sub;
    strm_reject_t   rej;
    const char     *p, *e;
    char            name[256];

    *out = NULL;

    t = s->root;
    v = in;
    p = path;
    depth = 0;

    if (*p == '\0') {
        return STRM_OK;
    }

    for ( ;; ) {
        t = strm_avro_resolve(t);

        if (avro_typeof(t) == AVRO_UNION) {
            rc = strm_avro_pick(s, t, v, depth, &t, &v);
            if (rc != STRM_OK) {
                return (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
            }

            t = strm_avro_resolve(t);
        }

        if (!json_is_object(v)) {
            return STRM_OK;
        }

        e = strchr(p, '/');
        n = (e == NULL) ? strlen(p) : (size_t) (e - p);

        switch (avro_typeof(t)) {

        case AVRO_RECORD:
            if (n >= sizeof(name)) {
                return STRM_OK;
            }

            memcpy(name, p, n);
            name[n] = '\0';

            k = avro_schema_record_field_get_index(t, name);
            if (k < 0) {
                return STRM_OK;
            }

            sub = avro_schema_record_field_get_by_index(t, k);
            v = json_object_get(v, name);

            if (v == NULL) {
                v = strm_avro_default(s, t, (size_t) k, &sub);
                if (v == NULL) {
                    return STRM_E_INTERNAL;
                }
            }

            break;

        case AVRO_MAP:
            sub = avro_schema_map_values(t);
            v = json_object_getn(v, p, n);

            if (v == NULL) {
                return STRM_OK;
            }

            break;

        default:
            return STRM_OK;
        }

        t = sub;
        depth++;

        if (e == NULL) {
            break;
        }

        p = e + 1;
    }

    t = strm_avro_resolve(t);

    if (shallow) {
        if (avro_typeof(t) == AVRO_UNION) {
            rc = strm_avro_pick(s, t, v, depth, &t, &v);
            if (rc != STRM_OK) {
                return (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
            }

            t = strm_avro_resolve(t);
        }

        if (avro_typeof(t) == AVRO_RECORD || avro_typeof(t) == AVRO_MAP) {
            *out = json_object();
            return (*out != NULL) ? STRM_OK : STRM_E_NOMEM;
        }
    }

    /* what the check would only copy is the checked value itself */
    if (strm_avro_same(t, 0)) {
        *out = json_incref(v);
        return STRM_OK;
    }

    rc = strm_avro_chk(s, t, v, depth, NULL, out, &rej);

    return (rc == STRM_OK || rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
}


/*
 * The text path: one walk of the schema and the text together, which
 * checks (w NULL) or writes (text it checked).  -1: not sure, or a
 * write failed (w->rc).
 */

#define STRM_AVRO_TEXT_DEPTH  32
#define STRM_AVRO_TEXT_NAMES  16


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    strm_jw_t            *w;            /* NULL: checked only */
    size_t                members;      /* of the object just walked */

    strm_avro_notes_t    *notes;        /* or NULL */
    int                   parent;       /* the note of the member walked */
    unsigned              noting:1;     /* a record here is noted */
    unsigned              top:1;        /* ... and its records' too */
} strm_avro_tx_t;


static int strm_avro_tx(const strm_avro_schema_t *s, avro_schema_t t,
    strm_avro_tx_t *x, int depth, const strm_jw_obj_t *ctx,
    const char **str, size_t *slen);


static int
strm_avro_tx_no(strm_avro_tx_t *x)
{
    if (x->w != NULL) {
        /* the check took it: the walk cannot differ */
        x->w->rc = STRM_E_INTERNAL;
    }

    return -1;
}


static const unsigned char  strm_avro_tx_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1
};


static void
strm_avro_tx_ws(strm_avro_tx_t *x)
{
    while (x->p < x->end && strm_avro_tx_space[*x->p]) {
        x->p++;
    }
}


/* after a member or an item: 1 past a ',', 0 past close, -1 otherwise */
static int
strm_avro_tx_next(strm_avro_tx_t *x, char close)
{
    strm_avro_tx_ws(x);

    if (x->p == x->end || (*x->p != ',' && *x->p != close)) {
        return strm_avro_tx_no(x);
    }

    return *x->p++ == ',';
}


/* a literal, and no letter glued to it */
static int
strm_avro_tx_word(strm_avro_tx_t *x, const char *word, size_t n)
{
    unsigned char  c;

    if ((size_t) (x->end - x->p) < n || memcmp(x->p, word, n) != 0) {
        return strm_avro_tx_no(x);
    }

    x->p += n;

    if (x->p < x->end) {
        c = *x->p | 0x20;

        if (c >= 'a' && c <= 'z') {
            return strm_avro_tx_no(x);
        }
    }

    return (x->w != NULL) ? strm_jw_put(x->w, word, n) : 0;
}


/* a plain string's length, or -1 */
static ssize_t
strm_avro_tx_str(strm_avro_tx_t *x)
{
    const unsigned char  *q;

    if (x->p == x->end || *x->p != '"') {
        return -1;
    }

    if (x->w == NULL) {
        return strm_json_plain_string(x->p, x->end);
    }

    q = memchr(x->p + 1, '"', x->end - x->p - 1);

    return (q != NULL) ? q - x->p - 1 : -1;
}


/* a value's kind by its first byte, as strm_avro_field_t's branch[] */
static size_t
strm_avro_tx_kind(unsigned char c)
{
    switch (c) {
    case 'n':
        return 0;
    case 't':
    case 'f':
        return 1;
    case '"':
        return 2;
    case '[':
        return 3;
    case '{':
        return 4;
    default:
        return 5;
    }
}


/*
 * The branch of union t that strm_avro_chk() takes for a plain value
 * starting with c (not a wrapped one): the first that takes its kind
 * of value; NULL when none does.
 */
static avro_schema_t
strm_avro_tx_branch(avro_schema_t t, unsigned char c)
{
    size_t         i, n;
    avro_type_t    ty;
    avro_schema_t  b;

    n = avro_schema_union_size(t);

    for (i = 0; i < n; i++) {
        b = strm_avro_resolve(avro_schema_union_branch(t, i));
        ty = avro_typeof(b);

        switch (c) {

        case 'n':
            if (ty == AVRO_NULL) {
                return b;
            }

            break;

        case 't':
        case 'f':
            if (ty == AVRO_BOOLEAN) {
                return b;
            }

            break;

        case '"':
            if (ty == AVRO_STRING || ty == AVRO_ENUM || ty == AVRO_BYTES
                || ty == AVRO_FIXED)
            {
                return b;
            }

            break;

        case '[':
            if (ty == AVRO_ARRAY) {
                return b;
            }

            break;

        case '{':
            if (ty == AVRO_MAP || ty == AVRO_RECORD) {
                return b;
            }

            break;

        default:
            if (ty == AVRO_INT32 || ty == AVRO_INT64 || ty == AVRO_FLOAT
                || ty == AVRO_DOUBLE)
            {
                return b;
            }
        }
    }

    return NULL;
}


/* record t's field i absent: its default checked, or written */
static int
strm_avro_tx_default(const strm_avro_schema_t *s, const strm_avro_rec_t *r,
    size_t i, strm_avro_tx_t *x, int depth, strm_jw_obj_t *o)
{
    json_t         *v;
    strm_jw_t      *w;
    avro_schema_t   sub;
    strm_jw_mem_t   m;
    strm_reject_t   rej;

    v = r->vals[i];
    sub = r->fields[i].dtype;

    if (v == NULL) {
        /* required: the tree's way refuses it */
        return strm_avro_tx_no(x);
    }

    w = x->w;

    if (w == NULL) {
        /* the everyday default: null of a null branch */
        if (json_is_null(v) && avro_typeof(sub) == AVRO_NULL) {
            return 0;
        }

        return (strm_avro_chk(s, sub, v, depth + 1, NULL, NULL, &rej)
                == STRM_OK) ? 0 : -1;
    }

    if ((r->fields[i].plain
         ? strm_jw_member_plain(w, o, r->fields[i].name, r->fields[i].len,
                                &m)
         : strm_jw_member(w, o, r->fields[i].name, r->fields[i].len, &m))
        != 0
        || (m.stamp
            ? strm_jw_stamp(w, &m)
            : strm_avro_wr(s, sub, v, depth + 1, w, &m.child, &m.str,
                           &m.slen))
           != 0
        || strm_jw_member_end(w, &m) != 0)
    {
        return -1;
    }

    return 0;
}


/*
 * An array of integers with no space in its text: what the walk writes
 * of it is that text (the check took each item as jansson writes it).
 */
static int
strm_avro_tx_compact_ints(avro_schema_t t, const unsigned char *p,
    const unsigned char *end)
{
    avro_type_t  ty;

    ty = avro_typeof(strm_avro_resolve(avro_schema_array_items(t)));

    if (ty != AVRO_INT32 && ty != AVRO_INT64) {
        return 0;
    }

    for ( /* void */ ; p < end; p++) {
        if (*p <= ' ') {
            return 0;
        }
    }

    return 1;
}


/*
 * A record whose members the check noted, written from its notes: each
 * member's value where the check found it, a scalar copied as it is
 * (what strm_avro_tx() writes of it), anything else walked from there.
 */
static int
strm_avro_tx_noted(const strm_avro_schema_t *s, const strm_avro_rec_t *r,
    strm_avro_tx_t *x, int depth, strm_jw_obj_t *o,
    const strm_avro_notes_t *notes, int parent, unsigned top)
{
    int                      rc;
    size_t                   i, j, next, count;
    strm_jw_t               *w;
    avro_type_t              ty;
    avro_schema_t            sub;
    strm_jw_mem_t            m;
    const strm_avro_note_t  *nt;

    w = x->w;
    next = 0;
    count = 0;

    /* a record's members are noted after its own note, in their order */
    for (j = (size_t) (parent + 1); j < notes->n; j++) {
        nt = &notes->note[j];

        if (nt->parent != parent) {
            continue;
        }

        i = nt->field;

        for ( /* void */ ; next < i; next++) {
            if (strm_avro_tx_default(s, r, next, x, depth, o) != 0) {
                return -1;
            }
        }

        next = i + 1;
        count++;

        sub = r->fields[i].type;

        if (r->fields[i].branches) {
            sub = r->fields[i].branch[strm_avro_tx_kind(*nt->v)];

            if (sub == NULL) {
                return strm_avro_tx_no(x);
            }
        }

        sub = strm_avro_resolve(sub);
        ty = avro_typeof(sub);

        if (strm_jw_member_plain(w, o, nt->name, nt->len, &m) != 0) {
            return -1;
        }

        if (m.stamp) {
            /* the gateway's value instead */
            rc = strm_jw_stamp(w, &m);

        } else if (ty == AVRO_NULL || ty == AVRO_BOOLEAN || ty == AVRO_INT32
                   || ty == AVRO_INT64 || ty == AVRO_STRING
                   || ty == AVRO_ENUM)
        {
            /* the token as it came, strings without escapes */
            if (ty == AVRO_STRING || ty == AVRO_ENUM) {
                m.str = (const char *) nt->v + 1;
                m.slen = (size_t) (nt->vend - nt->v) - 2;
            }

            rc = strm_jw_put(w, (const char *) nt->v, nt->vend - nt->v);

        } else if (ty == AVRO_ARRAY
                   && strm_avro_tx_compact_ints(sub, nt->v, nt->vend))
        {
            /* integers as the check took them, no space: as written */
            rc = strm_jw_put(w, (const char *) nt->v, nt->vend - nt->v);

        } else {
            x->p = nt->v;
            x->noting = top;
            x->top = 0;
            x->parent = (int) j;

            rc = strm_avro_tx(s, sub, x, depth + 1, &m.child, &m.str,
                              &m.slen);

            x->noting = 0;
        }

        if (rc != 0 || strm_jw_member_end(w, &m) != 0) {
            return -1;
        }
    }

    for ( /* void */ ; next < r->n; next++) {
        if (strm_avro_tx_default(s, r, next, x, depth, o) != 0) {
            return -1;
        }
    }

    /* past the record: where its own note ends, or the top-level one */
    x->p = (parent >= 0) ? notes->note[parent].vend : notes->end;
    x->members = count;

    return strm_jw_obj_end(w, o);
}


/* a record or a map, x->p at its '{' */
static int
strm_avro_tx_object(const strm_avro_schema_t *s, avro_schema_t t,
    strm_avro_tx_t *x, int depth, const strm_jw_obj_t *ctx)
{
    int                   rc, record, wrapped, note, parent;
    size_t                i, k, n, next, count, nlen;
    ssize_t               len;
    unsigned              top;
    strm_jw_t            *w;
    avro_schema_t         sub;
    const strm_avro_rec_t  *r;
    strm_jw_obj_t         o;
    strm_jw_mem_t         m;
    strm_avro_note_t     *nt;
    strm_avro_notes_t    *notes;
    const unsigned char  *name;
    const unsigned char  *names[STRM_AVRO_TEXT_NAMES];
    size_t                nlens[STRM_AVRO_TEXT_NAMES];

    w = x->w;
    record = (avro_typeof(t) == AVRO_RECORD);
    r = NULL;
    n = 0;

    /* the members of a record here are noted: nothing below them is,
     * but the members of their own records at the top */
    notes = (x->noting && record) ? x->notes : NULL;
    parent = x->parent;
    top = x->top;
    x->noting = 0;

    if (record) {
        r = strm_avro_rec(s, t);
        if (r == NULL) {
            return strm_avro_tx_no(x);
        }

        n = r->n;
    }
    i = 0;
    next = 0;
    count = 0;

    if (w != NULL && strm_jw_obj_begin(w, &o, ctx) != 0) {
        return -1;
    }

    if (w != NULL && notes != NULL && !notes->dropped) {
        return strm_avro_tx_noted(s, r, x, depth, &o, notes, parent, top);
    }

    x->p++;
    strm_avro_tx_ws(x);

    if (x->p < x->end && *x->p == '}') {
        x->p++;
        goto done;
    }

    for ( ;; ) {
        strm_avro_tx_ws(x);

        len = strm_avro_tx_str(x);
        if (len < 0) {
            return strm_avro_tx_no(x);
        }

        name = x->p + 1;
        nlen = (size_t) len;
        x->p += nlen + 2;
        wrapped = 0;

        strm_avro_tx_ws(x);

        if (x->p == x->end || *x->p != ':') {
            return strm_avro_tx_no(x);
        }

        x->p++;

        if (record) {
            /* the fields in order: out of order, unknown or twice is
             * not for this path */
            for (i = next; i < n; i++) {
                if (r->fields[i].len == nlen
                    && memcmp(r->fields[i].name, name, nlen) == 0)
                {
                    break;
                }
            }

            if (i == n) {
                return strm_avro_tx_no(x);
            }

            for ( /* void */ ; next < i; next++) {
                if (strm_avro_tx_default(s, r, next, x, depth, &o) != 0) {
                    return -1;
                }
            }

            sub = r->fields[i].type;
            next = i + 1;

            /* a union: the branch for the kind of value, noted */
            if (r->fields[i].branches) {
                strm_avro_tx_ws(x);

                if (x->p == x->end) {
                    return strm_avro_tx_no(x);
                }

                sub = r->fields[i].branch[strm_avro_tx_kind(*x->p)];

                if (sub == NULL) {
                    return strm_avro_tx_no(x);
                }

                wrapped = (avro_typeof(sub) == AVRO_RECORD
                           || avro_typeof(sub) == AVRO_MAP);
            }

        } else {
            if (count == STRM_AVRO_TEXT_NAMES) {
                return strm_avro_tx_no(x);
            }

            for (k = 0; k < count; k++) {
                if (nlens[k] == nlen && memcmp(names[k], name, nlen) == 0) {
                    return strm_avro_tx_no(x);
                }
            }

            names[count] = name;
            nlens[count] = nlen;
            sub = avro_schema_map_values(t);
        }

        count++;

        if (w == NULL) {
            note = -1;

            if (notes != NULL && notes->n == STRM_AVRO_NOTES) {
                notes->dropped = 1;

            } else if (notes != NULL) {
                note = (int) notes->n++;
                nt = &notes->note[note];
                nt->name = r->fields[i].name;
                nt->len = r->fields[i].len;
                nt->field = i;
                nt->parent = parent;

                strm_avro_tx_ws(x);
                nt->v = x->p;

                x->noting = top;
                x->top = 0;
                x->parent = note;
            }

            rc = strm_avro_tx(s, sub, x, depth + 1, NULL, NULL, NULL);

            x->noting = 0;

            if (rc != 0) {
                return -1;
            }

            if (note >= 0) {
                notes->note[note].vend = x->p;
            }

            /* an object of one member may be a wrapped value */
            if (wrapped && x->members == 1) {
                return -1;
            }

        } else {
            /* a plain string: nothing to escape */
            if (strm_jw_member_plain(w, &o, (const char *) name, nlen, &m)
                != 0)
            {
                return -1;
            }

            if (m.stamp) {
                /* the gateway's value instead */
                strm_avro_tx_ws(x);
                x->p = strm_json_plain_skip(x->p, x->end);
                rc = strm_jw_stamp(w, &m);

            } else {
                rc = strm_avro_tx(s, sub, x, depth + 1, &m.child, &m.str,
                                  &m.slen);
            }

            x->noting = 0;

            if (rc != 0 || strm_jw_member_end(w, &m) != 0) {
                return -1;
            }
        }

        rc = strm_avro_tx_next(x, '}');

        if (rc == 1) {
            continue;
        }

        if (rc != 0) {
            return -1;
        }

        break;
    }

done:

    for ( /* void */ ; next < n; next++) {
        if (strm_avro_tx_default(s, r, next, x, depth, &o) != 0) {
            return -1;
        }
    }

    x->members = count;

    return (w != NULL) ? strm_jw_obj_end(w, &o) : 0;
}


static int
strm_avro_tx(const strm_avro_schema_t *s, avro_schema_t t, strm_avro_tx_t *x,
    int depth, const strm_jw_obj_t *ctx, const char **str, size_t *slen)
{
    int                   rc, first;
    char                  sym[256];
    size_t                n;
    ssize_t               len;
    int64_t               v;
    avro_type_t           ty;
    avro_schema_t         b;
    strm_jw_obj_t         none;
    const unsigned char  *start;

    t = strm_avro_resolve(t);
    strm_avro_tx_ws(x);

    if (x->p == x->end || depth > STRM_AVRO_TEXT_DEPTH) {
        return strm_avro_tx_no(x);
    }

    ty = avro_typeof(t);

    switch (ty) {

    case AVRO_NULL:
        return strm_avro_tx_word(x, "null", 4);

    case AVRO_BOOLEAN:
        return (*x->p == 't') ? strm_avro_tx_word(x, "true", 4)
                              : strm_avro_tx_word(x, "false", 5);

    case AVRO_INT32:
    case AVRO_INT64:
        n = strm_json_plain_integer(x->p, x->end, &v);

        if (n == 0
            || (ty == AVRO_INT32 && (v < INT32_MIN || v > INT32_MAX)))
        {
            return strm_avro_tx_no(x);
        }

        start = x->p;
        x->p += n - 1;

        return (x->w != NULL)
               ? strm_jw_put(x->w, (const char *) start, n - 1) : 0;

    case AVRO_STRING:
    case AVRO_ENUM:
        len = strm_avro_tx_str(x);
        if (len < 0) {
            return strm_avro_tx_no(x);
        }

        start = x->p;

        if (ty == AVRO_ENUM && x->w == NULL) {
            if ((size_t) len >= sizeof(sym)) {
                return -1;
            }

            memcpy(sym, start + 1, len);
            sym[len] = '\0';

            if (avro_schema_enum_get_by_name(t, sym) < 0) {
                return -1;
            }
        }

        x->p += len + 2;

        if (str != NULL) {
            *str = (const char *) start + 1;
            *slen = (size_t) len;
        }

        /* no escape: written as it came */
        return (x->w != NULL)
               ? strm_jw_put(x->w, (const char *) start, len + 2) : 0;

    case AVRO_ARRAY:
        if (*x->p != '[') {
            return strm_avro_tx_no(x);
        }

        /* no path goes through an array */
        x->noting = 0;
        x->p++;
        strm_jw_none(&none);

        if (x->w != NULL && strm_jw_put(x->w, "[", 1) != 0) {
            return -1;
        }

        strm_avro_tx_ws(x);

        if (x->p < x->end && *x->p == ']') {
            x->p++;
            return (x->w != NULL) ? strm_jw_put(x->w, "]", 1) : 0;
        }

        for (first = 1; /* void */; first = 0) {
            if (!first && x->w != NULL && strm_jw_put(x->w, ",", 1) != 0) {
                return -1;
            }

            if (strm_avro_tx(s, avro_schema_array_items(t), x, depth + 1,
                             &none, NULL, NULL)
                != 0)
            {
                return -1;
            }

            rc = strm_avro_tx_next(x, ']');

            if (rc == 1) {
                continue;
            }

            if (rc != 0) {
                return -1;
            }

            return (x->w != NULL) ? strm_jw_put(x->w, "]", 1) : 0;
        }

    case AVRO_MAP:
    case AVRO_RECORD:
        if (*x->p != '{') {
            return strm_avro_tx_no(x);
        }

        return strm_avro_tx_object(s, t, x, depth, ctx);

    case AVRO_UNION:
        b = strm_avro_tx_branch(t, *x->p);
        if (b == NULL) {
            return strm_avro_tx_no(x);
        }

        if (strm_avro_tx(s, b, x, depth, ctx, str, slen) != 0) {
            return -1;
        }

        /* an object of one member may be a wrapped value */
        if (avro_typeof(b) == AVRO_RECORD || avro_typeof(b) == AVRO_MAP) {
            if (x->members == 1) {
                return strm_avro_tx_no(x);
            }
        }

        return 0;

    default:
        /* reals, bytes, fixed: the tree's way */
        return strm_avro_tx_no(x);
    }
}


static strm_rc_t
strm_avro_text(const strm_avro_schema_t *s, const unsigned char *text,
    size_t len, strm_jw_t *w, strm_avro_notes_t *notes)
{
    strm_avro_tx_t  x;
    strm_jw_obj_t   root;

    x.p = text;
    x.end = text + len;
    x.w = w;
    x.members = 0;
    x.notes = notes;
    x.parent = -1;
    x.noting = (notes != NULL);
    x.top = (notes != NULL);

    /* the check notes; the write reads the notes of its check */
    if (notes != NULL && w == NULL) {
        notes->n = 0;
        notes->dropped = 0;
        notes->end = NULL;
    }

    if (w != NULL) {
        strm_jw_root(w, &root);
    }

    strm_avro_tx_ws(&x);

    if (x.p == x.end || *x.p != '{'
        || strm_avro_tx(s, s->root, &x, 0, (w != NULL) ? &root : NULL, NULL,
                        NULL)
           != 0)
    {
        return (w != NULL) ? w->rc : STRM_E_NOT_FOUND;
    }

    if (notes != NULL && w == NULL) {
        notes->end = x.p;
    }

    strm_avro_tx_ws(&x);

    if (x.p != x.end) {
        return (w != NULL) ? STRM_E_INTERNAL : STRM_E_NOT_FOUND;
    }

    return STRM_OK;
}


strm_rc_t
strm_avro_text_check(const strm_avro_schema_t *s, const unsigned char *text,
    size_t len)
{
    return strm_avro_text(s, text, len, NULL, NULL);
}


strm_rc_t
strm_avro_text_check_notes(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len, strm_avro_notes_t *notes)
{
    return strm_avro_text(s, text, len, NULL, notes);
}


int
strm_avro_text_member(const strm_avro_notes_t *notes, int parent,
    const char *name, size_t len)
{
    size_t  i;

    /* a record's member is noted after its record's own note */
    for (i = (size_t) (parent + 1); i < notes->n; i++) {
        if (notes->note[i].parent == parent
            && notes->note[i].len == len
            && memcmp(notes->note[i].name, name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


int
strm_avro_text_at(const strm_avro_notes_t *notes, const char *path,
    const unsigned char **v, const unsigned char **vend)
{
    int          parent;
    size_t       i, n;
    const char  *e;

    parent = -1;

    for ( ;; ) {
        e = strchr(path, '/');
        n = (e != NULL) ? (size_t) (e - path) : strlen(path);

        /* a record's member is noted after its record's own note */
        for (i = (size_t) (parent + 1); i < notes->n; i++) {
            if (notes->note[i].parent == parent
                && notes->note[i].len == n
                && memcmp(notes->note[i].name, path, n) == 0)
            {
                break;
            }
        }

        if (i == notes->n) {
            return 0;
        }

        if (e == NULL) {
            *v = notes->note[i].v;
            *vend = notes->note[i].vend;
            return 1;
        }

        parent = (int) i;
        path = e + 1;
    }
}


strm_rc_t
strm_avro_text_write(const strm_avro_schema_t *s, const unsigned char *text,
    size_t len, strm_jw_t *w)
{
    return strm_avro_text(s, text, len, w, NULL);
}


strm_rc_t
strm_avro_text_write_notes(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len, const strm_avro_notes_t *notes,
    strm_jw_t *w)
{
    /* only read: the write takes notes of nothing */
    return strm_avro_text(s, text, len, w, (strm_avro_notes_t *) notes);
}


const strm_avro_bin_t *
strm_avro_bin_of(const strm_avro_schema_t *s)
{
    return s->bin;
}
