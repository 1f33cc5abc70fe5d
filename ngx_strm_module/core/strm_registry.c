
/*
 * Copyright (C) ngx_strm authors
 */


#define PCRE2_CODE_UNIT_WIDTH  8

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcre2.h>

#include "strm_registry.h"


#define STRM_REGISTRY_MAX_FILE  (1024 * 1024)


typedef struct strm_json_re_s  strm_json_re_t;


struct strm_regex_s {
    pcre2_code             *code;
    /* one pair is enough: only whether it matches is asked */
    pcre2_match_data       *md;
};


struct strm_json_re_s {
    const json_t           *node;
    strm_regex_t           *re;
    strm_json_re_t         *next;
};


struct strm_json_schema_s {
    json_t                 *root;
    strm_json_re_t         *res;
};


typedef struct {
    strm_contract_t         contract;
    char                   *schema_ref;
    char                   *file;
} strm_contract_entry_t;


struct strm_registry_s {
    strm_schema_t          *schemas;
    size_t                  nschemas;
    size_t                  nschemas_alloc;
    strm_contract_entry_t  *contracts;
    size_t                  ncontracts;
    size_t                  ncontracts_alloc;
};


static strm_regex_t *strm_regex_compile(const char *pattern, char *err,
    size_t errlen);
static void strm_regex_free(strm_regex_t *re);
static strm_rc_t strm_registry_error(char *err, size_t errlen,
    const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static strm_rc_t strm_registry_walk(strm_registry_t *reg, const char *dir,
    char *err, size_t errlen);
static strm_rc_t strm_registry_load_version(strm_registry_t *reg,
    const char *dir, const char *ref, char *err, size_t errlen);
static strm_rc_t strm_registry_load_avro(strm_schema_t *s, const char *file,
    char *err, size_t errlen);
static strm_rc_t strm_registry_load_json_schema(strm_schema_t *s,
    const char *file, char *err, size_t errlen);
static strm_rc_t strm_registry_load_contract(strm_registry_t *reg,
    const char *file, const char *ref, char *err, size_t errlen);
static strm_rc_t strm_registry_resolve(strm_registry_t *reg, char *err,
    size_t errlen);
static int strm_schema_has_field(const strm_schema_t *s, const char *path);
static int strm_registry_fit_of(const strm_schema_t *s,
    const strm_contract_t *c);
static strm_schema_t *strm_registry_find_schema(strm_registry_t *reg,
    const char *ref);
static void strm_json_schema_free(strm_json_schema_t *js);
static int strm_json_schema_compile(strm_json_schema_t *js, json_t *node,
    int depth, char *err, size_t errlen);
static strm_rc_t strm_json_schema_node(const strm_json_schema_t *s,
    const json_t *node, const json_t *v, char *path, size_t plen, int depth,
    strm_reject_t *rej);
static int strm_is_dir(const char *path);
static int strm_json_type_has(const json_t *t, const char *name);


static const char  *strm_json_types[] = {
    "object", "array", "string", "integer", "number", "boolean", "null",
    NULL
};


static strm_rc_t
strm_registry_error(char *err, size_t errlen, const char *file,
    const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (err == NULL || errlen == 0) {
        return STRM_E_INTERNAL;
    }

    n = snprintf(err, errlen, "%s: ", file);

    if (n >= 0 && (size_t) n < errlen) {
        va_start(args, fmt);
        vsnprintf(err + n, errlen - n, fmt, args);
        va_end(args);
    }

    return STRM_E_INTERNAL;
}


static strm_regex_t *
strm_regex_compile(const char *pattern, char *err, size_t errlen)
{
    int            ec;
    PCRE2_SIZE     off;
    strm_regex_t  *re;
    PCRE2_UCHAR    msg[256];

    re = calloc(1, sizeof(strm_regex_t));
    if (re == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    re->code = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF, &ec, &off, NULL);
    if (re->code == NULL) {
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "regex \"%s\" does not compile: %s at offset %zu",
                 pattern, (char *) msg, (size_t) off);
        free(re);
        return NULL;
    }

    re->md = pcre2_match_data_create(1, NULL);
    if (re->md == NULL) {
        snprintf(err, errlen, "out of memory");
        pcre2_code_free(re->code);
        free(re);
        return NULL;
    }

    /*
     * JIT-compiled where the library can (the same matches, several
     * times faster); where it cannot, pcre2_match() interprets
     */
    (void) pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);

    return re;
}


static void
strm_regex_free(strm_regex_t *re)
{
    if (re == NULL) {
        return;
    }

    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    free(re);
}


int
strm_regex_match(const strm_regex_t *re, const char *s, size_t len)
{
    int  rc;

    rc = pcre2_match(re->code, (PCRE2_SPTR) s, len, 0, 0, re->md, NULL);

    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        /* the JIT's stack is smaller than the interpreter's heap limit */
        rc = pcre2_match(re->code, (PCRE2_SPTR) s, len, 0, PCRE2_NO_JIT,
                         re->md, NULL);
    }

    if (rc >= 0) {
        return 1;
    }

    if (rc == PCRE2_ERROR_NOMATCH) {
        return 0;
    }

    return -1;
}


int
strm_ref_valid(const char *ref, size_t len)
{
    size_t  i, seg, start, digits;

    seg = 0;
    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && ref[i] != '/') {
            if ((unsigned char) ref[i] < 0x21 || ref[i] == 0x7f) {
                return 0;
            }

            continue;
        }

        if (i == start || seg > 2) {
            return 0;
        }

        if (i - start <= 2 && ref[start] == '.'
            && (i - start == 1 || ref[start + 1] == '.'))
        {
            return 0;
        }

        seg++;
        start = i + 1;
    }

    if (seg != 3) {
        return 0;
    }

    /* the version: the third segment */
    for (i = len; i > 0 && ref[i - 1] != '/'; i--) {
        /* void */
    }

    for (seg = 0; seg < 3; seg++) {
        digits = 0;

        while (i < len && ref[i] >= '0' && ref[i] <= '9') {
            i++;
            digits++;
        }

        if (digits == 0) {
            return 0;
        }

        if (seg < 2) {
            if (i >= len || ref[i] != '.') {
                return 0;
            }

            i++;
        }
    }

    return i == len;
}


json_t *
strm_json_path(const json_t *root, const char *path)
{
    const char    *p, *e;
    const json_t  *v;

    if (root == NULL || path == NULL || *path == '\0') {
        return NULL;
    }

    v = root;
    p = path;

    for ( ;; ) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }

        if (!json_is_object(v)) {
            return NULL;
        }

        v = json_object_getn(v, p, e - p);
        if (v == NULL) {
            return NULL;
        }

        if (*e == '\0') {
            return (json_t *) v;
        }

        p = e + 1;
    }
}


int
strm_contract_fits(const strm_schema_t *s, const strm_contract_t *c)
{
    size_t  i;

    if (!strm_schema_has_field(s, c->key_field)) {
        return 0;
    }

    for (i = 0; i < c->npii; i++) {
        if (!strm_schema_has_field(s, c->pii[i].path)) {
            return 0;
        }
    }

    for (i = 0; i < c->nvalidations; i++) {
        if (!strm_schema_has_field(s, c->validations[i].field)) {
            return 0;
        }
    }

    return 1;
}


static int
strm_is_dir(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}


strm_rc_t
strm_registry_load(const char *dir, strm_registry_t **out, char *err,
    size_t errlen)
{
    strm_rc_t         rc;
    strm_registry_t  *reg;

    *out = NULL;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    reg = calloc(1, sizeof(strm_registry_t));
    if (reg == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_registry_walk(reg, dir, err, errlen);
    if (rc != STRM_OK) {
        goto failed;
    }

    rc = strm_registry_resolve(reg, err, errlen);
    if (rc != STRM_OK) {
        goto failed;
    }

    *out = reg;

    return STRM_OK;

failed:

    strm_registry_free(reg);

    return rc;
}


static strm_rc_t
strm_registry_walk(strm_registry_t *reg, const char *dir, char *err,
    size_t errlen)
{
    int             level, r;
    DIR            *d[3];
    char            path[4096];
    size_t          n[3], base;
    strm_rc_t       rc;
    struct dirent  *de;

    /*
     * handle, name, version: a stack of three open directories over one
     * path buffer; n[level] is the length of the path of d[level]
     */

    r = snprintf(path, sizeof(path), "%s", dir);
    if (r < 0 || (size_t) r >= sizeof(path)) {
        return strm_registry_error(err, errlen, dir, "path too long");
    }

    d[0] = opendir(path);
    if (d[0] == NULL) {
        return strm_registry_error(err, errlen, dir, "opendir() failed: %s",
                                   strerror(errno));
    }

    n[0] = r;
    base = r + 1;
    level = 0;

    while (level >= 0) {
        path[n[level]] = '\0';

        de = readdir(d[level]);

        if (de == NULL) {
            closedir(d[level]);
            level--;
            continue;
        }

        if (de->d_name[0] == '.') {
            continue;
        }

        r = snprintf(path + n[level], sizeof(path) - n[level], "/%s",
                     de->d_name);
        if (r < 0 || (size_t) r >= sizeof(path) - n[level]) {
            path[n[level]] = '\0';
            rc = strm_registry_error(err, errlen, path, "path too long");
            goto failed;
        }

        if (!strm_is_dir(path)) {
            continue;
        }

        if (level < 2) {
            d[level + 1] = opendir(path);
            if (d[level + 1] == NULL) {
                rc = strm_registry_error(err, errlen, path,
                                         "opendir() failed: %s",
                                         strerror(errno));
                goto failed;
            }

            n[level + 1] = n[level] + r;
            level++;
            continue;
        }

        /* the reference is the path below the registry directory */

        if (!strm_ref_valid(path + base, strlen(path + base))) {
            rc = strm_registry_error(err, errlen, path,
                                     "\"%s\" is not a handle/name/version",
                                     path + base);
            goto failed;
        }

        rc = strm_registry_load_version(reg, path, path + base, err, errlen);
        if (rc != STRM_OK) {
            goto failed;
        }
    }

    return STRM_OK;

failed:

    while (level >= 0) {
        closedir(d[level]);
        level--;
    }

    return rc;
}


static strm_rc_t
strm_registry_load_version(strm_registry_t *reg, const char *dir,
    const char *ref, char *err, size_t errlen)
{
    int             has_avsc, has_json, has_contract;
    char            avsc[4096], js[4096], contract[4096];
    strm_rc_t       rc;
    struct stat     st;
    strm_schema_t  *s;

    if (snprintf(avsc, sizeof(avsc), "%s/schema.avsc", dir)
        >= (int) sizeof(avsc)
        || snprintf(js, sizeof(js), "%s/schema.json", dir)
           >= (int) sizeof(js)
        || snprintf(contract, sizeof(contract), "%s/contract.json", dir)
           >= (int) sizeof(contract))
    {
        snprintf(err, errlen, "%s: path too long", dir);
        return STRM_E_INTERNAL;
    }

    has_avsc = stat(avsc, &st) == 0;
    has_json = stat(js, &st) == 0;
    has_contract = stat(contract, &st) == 0;

    if (has_avsc || has_json) {
        if (reg->nschemas == reg->nschemas_alloc) {
            reg->nschemas_alloc = reg->nschemas_alloc ?
                                  reg->nschemas_alloc * 2 : 8;
            s = realloc(reg->schemas,
                        reg->nschemas_alloc * sizeof(strm_schema_t));
            if (s == NULL) {
                return STRM_E_NOMEM;
            }

            reg->schemas = s;
        }

        s = &reg->schemas[reg->nschemas];
        memset(s, 0, sizeof(strm_schema_t));

        s->ref = strdup(ref);
        if (s->ref == NULL) {
            return STRM_E_NOMEM;
        }

        reg->nschemas++;

        if (has_avsc) {
            rc = strm_registry_load_avro(s, avsc, err, errlen);
            if (rc != STRM_OK) {
                return rc;
            }
        }

        if (has_json) {
            rc = strm_registry_load_json_schema(s, js, err, errlen);
            if (rc != STRM_OK) {
                return rc;
            }
        }
    }

    if (has_contract) {
        return strm_registry_load_contract(reg, contract, ref, err, errlen);
    }

    return STRM_OK;
}


static strm_rc_t
strm_registry_load_avro(strm_schema_t *s, const char *file, char *err,
    size_t errlen)
{
    FILE        *f;
    char        *buf;
    size_t       n;
    const char  *type;
    char         msg[512];

    f = fopen(file, "r");
    if (f == NULL) {
        return strm_registry_error(err, errlen, file, "fopen() failed: %s",
                                   strerror(errno));
    }

    buf = malloc(STRM_REGISTRY_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        return STRM_E_NOMEM;
    }

    n = fread(buf, 1, STRM_REGISTRY_MAX_FILE + 1, f);

    if (ferror(f)) {
        fclose(f);
        free(buf);
        return strm_registry_error(err, errlen, file, "fread() failed");
    }

    fclose(f);

    if (n > STRM_REGISTRY_MAX_FILE) {
        free(buf);
        return strm_registry_error(err, errlen, file, "file too large");
    }

    buf[n] = '\0';
    msg[0] = '\0';

    s->avro = strm_avro_compile(buf, n, msg, sizeof(msg));
    free(buf);

    if (s->avro == NULL) {
        return strm_registry_error(err, errlen, file, "%s", msg);
    }

    if (!strm_avro_has_field(s->avro, "strmMeta", &type)
        || type == NULL || strcmp(type, "record") != 0)
    {
        return strm_registry_error(err, errlen, file,
                                   "the schema has no strmMeta record field");
    }

    return STRM_OK;
}


static strm_rc_t
strm_registry_load_json_schema(strm_schema_t *s, const char *file,
    char *err, size_t errlen)
{
    json_t              *root, *props, *meta, *type;
    json_error_t         jerr;
    strm_json_schema_t  *js;
    char                 msg[512];

    root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return strm_registry_error(err, errlen, file,
                                   "invalid JSON at line %d: %s",
                                   jerr.line, jerr.text);
    }

    js = calloc(1, sizeof(strm_json_schema_t));
    if (js == NULL) {
        json_decref(root);
        return STRM_E_NOMEM;
    }

    js->root = root;
    s->json = js;

    msg[0] = '\0';

    if (strm_json_schema_compile(js, root, 0, msg, sizeof(msg)) != 0) {
        return strm_registry_error(err, errlen, file,
                                   "invalid JSON Schema: %s", msg);
    }

    props = json_object_get(root, "properties");
    meta = json_object_get(props, "strmMeta");
    type = json_object_get(meta, "type");

    if (meta == NULL || (type != NULL && !strm_json_type_has(type, "object")))
    {
        return strm_registry_error(err, errlen, file,
                                   "the schema has no strmMeta record field");
    }

    return STRM_OK;
}


static int
strm_json_type_has(const json_t *t, const char *name)
{
    size_t   i;
    json_t  *e;

    if (json_is_string(t)) {
        return strcmp(json_string_value(t), name) == 0;
    }

    json_array_foreach(t, i, e) {
        if (json_is_string(e) && strcmp(json_string_value(e), name) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
strm_json_type_valid(const json_t *t)
{
    size_t  i;

    if (!json_is_string(t)) {
        return 0;
    }

    for (i = 0; strm_json_types[i] != NULL; i++) {
        if (strcmp(json_string_value(t), strm_json_types[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
strm_json_schema_compile(strm_json_schema_t *js, json_t *node, int depth,
    char *err, size_t errlen)
{
    size_t           i;
    json_t          *v, *e;
    const char      *key, *kw;
    strm_regex_t    *re;
    strm_json_re_t  *jr;

    static const char  *counts[] = {
        "minLength", "maxLength", "minItems", "maxItems", NULL
    };

    static const char  *nums[] = {
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", NULL
    };

    /*
     * A schema may nest deeper than an event may: the event check then
     * stops at STRM_REGISTRY_MAX_DEPTH with a "depth" rejection.
     */

    if (depth > 4 * STRM_REGISTRY_MAX_DEPTH) {
        snprintf(err, errlen, "nests too deeply");
        return -1;
    }

    if (!json_is_object(node)) {
        snprintf(err, errlen, "a schema must be an object");
        return -1;
    }

    v = json_object_get(node, "type");
    if (v != NULL) {
        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                if (!strm_json_type_valid(e)) {
                    snprintf(err, errlen, "unknown \"type\"");
                    return -1;
                }
            }

        } else if (!strm_json_type_valid(v)) {
            snprintf(err, errlen, "unknown \"type\"");
            return -1;
        }
    }

    v = json_object_get(node, "properties");
    if (v != NULL) {
        if (!json_is_object(v)) {
            snprintf(err, errlen, "\"properties\" must be an object");
            return -1;
        }

        json_object_foreach(v, key, e) {
            if (strm_json_schema_compile(js, e, depth + 1, err, errlen)
                != 0)
            {
                return -1;
            }
        }
    }

    v = json_object_get(node, "required");
    if (v != NULL) {
        if (!json_is_array(v)) {
            snprintf(err, errlen, "\"required\" must be an array");
            return -1;
        }

        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                snprintf(err, errlen, "\"required\" must hold strings");
                return -1;
            }
        }
    }

    v = json_object_get(node, "additionalProperties");
    if (v != NULL && !json_is_boolean(v)) {
        snprintf(err, errlen, "\"additionalProperties\" must be a boolean");
        return -1;
    }

    v = json_object_get(node, "items");
    if (v != NULL
        && strm_json_schema_compile(js, v, depth + 1, err, errlen) != 0)
    {
        return -1;
    }

    v = json_object_get(node, "enum");
    if (v != NULL && !json_is_array(v)) {
        snprintf(err, errlen, "\"enum\" must be an array");
        return -1;
    }

    for (i = 0; counts[i] != NULL; i++) {
        kw = counts[i];
        v = json_object_get(node, kw);
        if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0)) {
            snprintf(err, errlen, "\"%s\" must be a non-negative integer", kw);
            return -1;
        }
    }

    for (i = 0; nums[i] != NULL; i++) {
        kw = nums[i];
        v = json_object_get(node, kw);
        if (v != NULL && !json_is_number(v)) {
            snprintf(err, errlen, "\"%s\" must be a number", kw);
            return -1;
        }
    }

    v = json_object_get(node, "pattern");
    if (v != NULL) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "\"pattern\" must be a string");
            return -1;
        }

        re = strm_regex_compile(json_string_value(v), err, errlen);
        if (re == NULL) {
            return -1;
        }

        jr = malloc(sizeof(strm_json_re_t));
        if (jr == NULL) {
            strm_regex_free(re);
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        jr->node = node;
        jr->re = re;
        jr->next = js->res;
        js->res = jr;
    }

    return 0;
}


static void
strm_json_schema_free(strm_json_schema_t *js)
{
    strm_json_re_t  *jr, *next;

    if (js == NULL) {
        return;
    }

    for (jr = js->res; jr != NULL; jr = next) {
        next = jr->next;
        strm_regex_free(jr->re);
        free(jr);
    }

    json_decref(js->root);
    free(js);
}


static strm_rc_t
strm_registry_load_contract(strm_registry_t *reg, const char *file,
    const char *ref, char *err, size_t errlen)
{
    size_t                  i;
    json_t                 *root, *v, *e, *f, *t, *p;
    json_int_t              level;
    const char             *key;
    strm_contract_t        *c;
    json_error_t            jerr;
    strm_contract_entry_t  *ce;
    char                    msg[512];

    root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return strm_registry_error(err, errlen, file,
                                   "invalid JSON at line %d: %s",
                                   jerr.line, jerr.text);
    }

    if (reg->ncontracts == reg->ncontracts_alloc) {
        reg->ncontracts_alloc = reg->ncontracts_alloc ?
                                reg->ncontracts_alloc * 2 : 8;
        ce = realloc(reg->contracts,
                     reg->ncontracts_alloc * sizeof(strm_contract_entry_t));
        if (ce == NULL) {
            json_decref(root);
            return STRM_E_NOMEM;
        }

        reg->contracts = ce;
    }

    ce = &reg->contracts[reg->ncontracts++];
    memset(ce, 0, sizeof(strm_contract_entry_t));
    c = &ce->contract;

    ce->file = strdup(file);
    c->ref = strdup(ref);

    if (ce->file == NULL || c->ref == NULL) {
        goto nomem;
    }

    if (!json_is_object(root)) {
        strm_registry_error(err, errlen, file, "not a JSON object");
        goto failed;
    }

    v = json_object_get(root, "keyField");
    if (v == NULL) {
        strm_registry_error(err, errlen, file, "no \"keyField\"");
        goto failed;
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        strm_registry_error(err, errlen, file,
                            "\"keyField\" must be a non-empty string");
        goto failed;
    }

    c->key_field = strdup(json_string_value(v));
    if (c->key_field == NULL) {
        goto nomem;
    }

    c->key_field_len = strlen(c->key_field);

    v = json_object_get(root, "isPublic");
    if (v != NULL) {
        if (!json_is_boolean(v)) {
            strm_registry_error(err, errlen, file,
                                "\"isPublic\" must be a boolean");
            goto failed;
        }

        c->is_public = json_is_true(v);
    }

    v = json_object_get(root, "schemaRef");
    if (v != NULL) {
        if (!json_is_string(v)
            || !strm_ref_valid(json_string_value(v), json_string_length(v)))
        {
            strm_registry_error(err, errlen, file,
                                "\"schemaRef\" is not a handle/name/version");
            goto failed;
        }

        ce->schema_ref = strdup(json_string_value(v));
        if (ce->schema_ref == NULL) {
            goto nomem;
        }
    }

    v = json_object_get(root, "piiFields");
    if (v != NULL) {
        if (!json_is_object(v)) {
            strm_registry_error(err, errlen, file,
                                "\"piiFields\" must be an object");
            goto failed;
        }

        if (json_object_size(v) > 0) {
            c->pii = calloc(json_object_size(v), sizeof(strm_pii_field_t));
            if (c->pii == NULL) {
                goto nomem;
            }
        }

        json_object_foreach(v, key, e) {
            if (!json_is_integer(e)) {
                strm_registry_error(err, errlen, file, "the PII level of "
                                    "\"%s\" is not an integer", key);
                goto failed;
            }

            level = json_integer_value(e);

            if (level < 0 || level > 1000) {
                strm_registry_error(err, errlen, file, "the PII level of "
                                    "\"%s\" is not from 0 to 1000", key);
                goto failed;
            }

            c->pii[c->npii].path = strdup(key);
            if (c->pii[c->npii].path == NULL) {
                goto nomem;
            }

            c->pii[c->npii].len = strlen(key);

            if (strcmp(key, c->key_field) == 0) {
                c->key_is_pii = 1;
            }

            c->pii[c->npii++].level = (int) level;
        }
    }

    v = json_object_get(root, "validations");
    if (v != NULL) {
        if (!json_is_array(v)) {
            strm_registry_error(err, errlen, file,
                                "\"validations\" must be an array");
            goto failed;
        }

        if (json_array_size(v) > 0) {
            c->validations = calloc(json_array_size(v),
                                    sizeof(strm_validation_t));
            if (c->validations == NULL) {
                goto nomem;
            }
        }

        json_array_foreach(v, i, e) {
            f = json_object_get(e, "field");
            t = json_object_get(e, "type");
            p = json_object_get(e, "value");

            if (!json_is_string(f) || json_string_length(f) == 0
                || !json_is_string(t) || !json_is_string(p))
            {
                strm_registry_error(err, errlen, file, "validation %zu needs "
                                    "string \"field\", \"type\" and "
                                    "\"value\"", i);
                goto failed;
            }

            if (strcmp(json_string_value(t), "regex") != 0) {
                strm_registry_error(err, errlen, file, "validation %zu: "
                                    "unknown type \"%s\"", i,
                                    json_string_value(t));
                goto failed;
            }

            c->validations[i].field = strdup(json_string_value(f));
            c->validations[i].pattern = strdup(json_string_value(p));
            c->nvalidations++;

            if (c->validations[i].field == NULL
                || c->validations[i].pattern == NULL)
            {
                goto nomem;
            }

            c->validations[i].re = strm_regex_compile(json_string_value(p),
                                                      msg, sizeof(msg));
            if (c->validations[i].re == NULL) {
                strm_registry_error(err, errlen, file, "validation %zu: %s",
                                    i, msg);
                goto failed;
            }
        }
    }

    json_decref(root);

    return STRM_OK;

nomem:

    json_decref(root);

    return STRM_E_NOMEM;

failed:

    json_decref(root);

    return STRM_E_INTERNAL;
}


static strm_schema_t *
strm_registry_find_schema(strm_registry_t *reg, const char *ref)
{
    size_t  i;

    for (i = 0; i < reg->nschemas; i++) {
        if (strcmp(reg->schemas[i].ref, ref) == 0) {
            return &reg->schemas[i];
        }
    }

    return NULL;
}


static int
strm_schema_has_field(const strm_schema_t *s, const char *path)
{
    const char    *p, *e;
    const json_t  *node, *props;

    if (s->avro != NULL && !strm_avro_has_field(s->avro, path, NULL)) {
        return 0;
    }

    if (s->json == NULL) {
        return 1;
    }

    node = s->json->root;
    p = path;

    for ( ;; ) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }

        props = json_object_get(node, "properties");
        node = json_object_getn(props, p, e - p);

        if (node == NULL) {
            return 0;
        }

        if (*e == '\0') {
            return 1;
        }

        p = e + 1;
    }
}


static strm_rc_t
strm_registry_resolve(strm_registry_t *reg, char *err, size_t errlen)
{
    size_t                  i, j;
    strm_schema_t          *s;
    strm_contract_t        *c;
    strm_contract_entry_t  *ce;

    for (i = 0; i < reg->ncontracts; i++) {
        ce = &reg->contracts[i];
        c = &ce->contract;

        if (ce->schema_ref != NULL) {
            s = strm_registry_find_schema(reg, ce->schema_ref);
            if (s == NULL) {
                return strm_registry_error(err, errlen, ce->file,
                                           "schemaRef \"%s\" is not in the "
                                           "registry", ce->schema_ref);
            }

        } else {
            s = strm_registry_find_schema(reg, c->ref);
            if (s == NULL) {
                return strm_registry_error(err, errlen, ce->file,
                                           "a contract with no schema: no "
                                           "schema file and no schemaRef");
            }
        }

        if (!strm_schema_has_field(s, c->key_field)) {
            return strm_registry_error(err, errlen, ce->file,
                                       "keyField \"%s\" is not in schema "
                                       "%s", c->key_field, s->ref);
        }

        for (j = 0; j < c->npii; j++) {
            if (!strm_schema_has_field(s, c->pii[j].path)) {
                return strm_registry_error(err, errlen, ce->file,
                                           "PII field \"%s\" is not in "
                                           "schema %s", c->pii[j].path,
                                           s->ref);
            }
        }

        for (j = 0; j < c->nvalidations; j++) {
            if (!strm_schema_has_field(s, c->validations[j].field)) {
                return strm_registry_error(err, errlen, ce->file,
                                           "validation field \"%s\" is not "
                                           "in schema %s",
                                           c->validations[j].field, s->ref);
            }
        }
    }

    /* only now: the arrays no longer move */

    for (i = 0; i < reg->ncontracts; i++) {
        reg->contracts[i].contract.index = i;

        s = strm_registry_find_schema(reg, reg->contracts[i].contract.ref);
        if (s != NULL) {
            s->contract = &reg->contracts[i].contract;
        }
    }

    /* every schema against every contract: once, not per event */

    for (i = 0; i < reg->nschemas; i++) {
        s = &reg->schemas[i];

        s->fits = malloc(reg->ncontracts ? reg->ncontracts : 1);
        if (s->fits == NULL) {
            return STRM_E_NOMEM;
        }

        for (j = 0; j < reg->ncontracts; j++) {
            s->fits[j] = strm_registry_fit_of(s,
                                              &reg->contracts[j].contract);
        }
    }

    return STRM_OK;
}


static int
strm_registry_fit_of(const strm_schema_t *s, const strm_contract_t *c)
{
    size_t                  i, k;
    const strm_contract_t  *own;

    if (!strm_contract_fits(s, c)) {
        return STRM_FIT_FIELDS;
    }

    own = s->contract;

    if (own == NULL || own == c) {
        return STRM_FIT_OK;
    }

    for (i = 0; i < own->npii; i++) {
        for (k = 0; k < c->npii; k++) {
            if (strcmp(c->pii[k].path, own->pii[i].path) == 0) {
                break;
            }
        }

        if (k == c->npii) {
            return STRM_FIT_PII;
        }
    }

    return STRM_FIT_OK;
}


int
strm_registry_fit(const strm_schema_t *s, const strm_contract_t *c)
{
    if (s->fits != NULL) {
        return s->fits[c->index];
    }

    /* a schema not of a loaded registry */

    return strm_registry_fit_of(s, c);
}


void
strm_registry_free(strm_registry_t *reg)
{
    size_t            i, j;
    strm_contract_t  *c;

    if (reg == NULL) {
        return;
    }

    for (i = 0; i < reg->nschemas; i++) {
        free(reg->schemas[i].ref);

        if (reg->schemas[i].avro != NULL) {
            strm_avro_free(reg->schemas[i].avro);
        }

        strm_json_schema_free(reg->schemas[i].json);
        free(reg->schemas[i].fits);
    }

    for (i = 0; i < reg->ncontracts; i++) {
        c = &reg->contracts[i].contract;

        for (j = 0; j < c->npii; j++) {
            free(c->pii[j].path);
        }

        for (j = 0; j < c->nvalidations; j++) {
            free(c->validations[j].field);
            free(c->validations[j].pattern);
            strm_regex_free(c->validations[j].re);
        }

        free(c->pii);
        free(c->validations);
        free(c->ref);
        free(c->key_field);
        free(reg->contracts[i].schema_ref);
        free(reg->contracts[i].file);
    }

    free(reg->schemas);
    free(reg->contracts);
    free(reg);
}


size_t
strm_registry_schemas(const strm_registry_t *reg)
{
    return reg->nschemas;
}


size_t
strm_registry_contracts(const strm_registry_t *reg)
{
    return reg->ncontracts;
}


const strm_schema_t *
strm_registry_schema(const strm_registry_t *reg, const char *ref,
    size_t len)
{
    size_t  i;

    for (i = 0; i < reg->nschemas; i++) {
        if (strlen(reg->schemas[i].ref) == len
            && memcmp(reg->schemas[i].ref, ref, len) == 0)
        {
            return &reg->schemas[i];
        }
    }

    return NULL;
}


const strm_contract_t *
strm_registry_contract(const strm_registry_t *reg, const char *ref,
    size_t len)
{
    size_t  i;

    for (i = 0; i < reg->ncontracts; i++) {
        if (strlen(reg->contracts[i].contract.ref) == len
            && memcmp(reg->contracts[i].contract.ref, ref, len) == 0)
        {
            return &reg->contracts[i].contract;
        }
    }

    return NULL;
}


static int
strm_json_type_is(const json_t *v, const char *type)
{
    double  d;

    if (strcmp(type, "object") == 0) {
        return json_is_object(v);
    }

    if (strcmp(type, "array") == 0) {
        return json_is_array(v);
    }

    if (strcmp(type, "string") == 0) {
        return json_is_string(v);
    }

    if (strcmp(type, "number") == 0) {
        return json_is_number(v);
    }

    if (strcmp(type, "boolean") == 0) {
        return json_is_boolean(v);
    }

    if (strcmp(type, "null") == 0) {
        return json_is_null(v);
    }

    if (strcmp(type, "integer") == 0) {
        if (json_is_integer(v)) {
            return 1;
        }

        /* JSON Schema: 1.0 is an integer */
        if (json_is_real(v)) {
            d = json_real_value(v);
            return d >= -9.0e18 && d <= 9.0e18 && (double) (long long) d == d;
        }
    }

    return 0;
}


static size_t
strm_utf8_length(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


static size_t
strm_path_push(char *path, size_t plen, const char *seg, size_t slen)
{
    size_t  n;

    n = plen;

    if (n > 0 && n < 255) {
        path[n++] = '/';
    }

    while (slen > 0 && n < 255) {
        path[n++] = *seg++;
        slen--;
    }

    path[n] = '\0';

    return n;
}


strm_rc_t
strm_json_schema_check(const strm_json_schema_t *s, const json_t *event,
    strm_reject_t *rej)
{
    char  path[256];

    path[0] = '\0';

    return strm_json_schema_node(s, s->root, event, path, 0, 0, rej);
}


static strm_rc_t
strm_json_schema_node(const strm_json_schema_t *s, const json_t *node,
    const json_t *v, char *path, size_t plen, int depth, strm_reject_t *rej)
{
    int              ok;
    char             idx[32];
    size_t           i, n;
    double           d, lim;
    json_t          *kw, *e, *props, *sub;
    strm_rc_t        rc;
    const char      *key;
    strm_json_re_t  *jr;

    if (depth > STRM_REGISTRY_MAX_DEPTH) {
        return strm_reject(rej, STRM_E_TOO_DEEP, path, "depth",
                           "the event nests deeper than %d levels",
                           STRM_REGISTRY_MAX_DEPTH);
    }

    kw = json_object_get(node, "type");
    if (kw != NULL) {
        ok = 0;

        if (json_is_array(kw)) {
            json_array_foreach(kw, i, e) {
                if (strm_json_type_is(v, json_string_value(e))) {
                    ok = 1;
                    break;
                }
            }

        } else {
            ok = strm_json_type_is(v, json_string_value(kw));
        }

        if (!ok) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, "type",
                               "the value has the wrong type");
        }
    }

    kw = json_object_get(node, "enum");
    if (kw != NULL) {
        ok = 0;

        json_array_foreach(kw, i, e) {
            if (json_equal((json_t *) v, e)) {
                ok = 1;
                break;
            }
        }

        if (!ok) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, "enum",
                               "the value is not one of the allowed values");
        }
    }

    kw = json_object_get(node, "const");
    if (kw != NULL && !json_equal((json_t *) v, kw)) {
        return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, "const",
                           "the value is not the constant");
    }

    if (json_is_string(v)) {
        n = strm_utf8_length(json_string_value(v), json_string_length(v));

        kw = json_object_get(node, "minLength");
        if (kw != NULL && (json_int_t) n < json_integer_value(kw)) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "minLength", "the string is shorter than %lld",
                               (long long) json_integer_value(kw));
        }

        kw = json_object_get(node, "maxLength");
        if (kw != NULL && (json_int_t) n > json_integer_value(kw)) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "maxLength", "the string is longer than %lld",
                               (long long) json_integer_value(kw));
        }

        if (json_object_get(node, "pattern") != NULL) {
            for (jr = s->res; jr != NULL; jr = jr->next) {
                if (jr->node == node) {
                    break;
                }
            }

            if (jr != NULL
                && strm_regex_match(jr->re, json_string_value(v),
                                    json_string_length(v))
                   != 1)
            {
                return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                                   "pattern",
                                   "the string does not match the pattern");
            }
        }
    }

    if (json_is_number(v)) {
        d = json_number_value(v);

        kw = json_object_get(node, "minimum");
        if (kw != NULL && d < (lim = json_number_value(kw))) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, "minimum",
                               "the number is below %g", lim);
        }

        kw = json_object_get(node, "maximum");
        if (kw != NULL && d > (lim = json_number_value(kw))) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path, "maximum",
                               "the number is above %g", lim);
        }

        kw = json_object_get(node, "exclusiveMinimum");
        if (kw != NULL && d <= (lim = json_number_value(kw))) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "exclusiveMinimum",
                               "the number is not above %g", lim);
        }

        kw = json_object_get(node, "exclusiveMaximum");
        if (kw != NULL && d >= (lim = json_number_value(kw))) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "exclusiveMaximum",
                               "the number is not below %g", lim);
        }
    }

    if (json_is_array(v)) {
        n = json_array_size(v);

        kw = json_object_get(node, "minItems");
        if (kw != NULL && (json_int_t) n < json_integer_value(kw)) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "minItems", "the array has fewer than %lld "
                               "items", (long long) json_integer_value(kw));
        }

        kw = json_object_get(node, "maxItems");
        if (kw != NULL && (json_int_t) n > json_integer_value(kw)) {
            return strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                               "maxItems", "the array has more than %lld "
                               "items", (long long) json_integer_value(kw));
        }

        sub = json_object_get(node, "items");
        if (sub != NULL) {
            json_array_foreach(v, i, e) {
                snprintf(idx, sizeof(idx), "%zu", i);
                n = strm_path_push(path, plen, idx, strlen(idx));

                rc = strm_json_schema_node(s, sub, e, path, n, depth + 1,
                                           rej);
                path[plen] = '\0';

                if (rc != STRM_OK) {
                    return rc;
                }
            }
        }
    }

    if (json_is_object(v)) {
        props = json_object_get(node, "properties");

        kw = json_object_get(node, "required");
        json_array_foreach(kw, i, e) {
            if (json_object_get(v, json_string_value(e)) == NULL) {
                strm_path_push(path, plen, json_string_value(e),
                               json_string_length(e));
                rc = strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                                 "required", "a required field is missing");
                path[plen] = '\0';
                return rc;
            }
        }

        kw = json_object_get(node, "additionalProperties");

        json_object_foreach((json_t *) v, key, e) {
            sub = json_object_get(props, key);
            n = strm_path_push(path, plen, key, strlen(key));

            if (sub == NULL) {
                if (json_is_false(kw)) {
                    rc = strm_reject(rej, STRM_E_SCHEMA_VIOLATION, path,
                                     "additionalProperties",
                                     "the schema does not have this field");
                    path[plen] = '\0';
                    return rc;
                }

                path[plen] = '\0';
                continue;
            }

            rc = strm_json_schema_node(s, sub, e, path, n, depth + 1, rej);
            path[plen] = '\0';

            if (rc != STRM_OK) {
                return rc;
            }
        }
    }

    return STRM_OK;
}


/* a field of a tree, for strm_contract_check() */
static strm_rc_t
strm_contract_tree_get(void *data, const char *path, int shallow,
    json_t **v)
{
    (void) shallow;

    *v = json_incref(strm_json_path(data, path));

    return STRM_OK;
}


strm_rc_t
strm_contract_check(const strm_contract_t *c, const json_t *event,
    strm_reject_t *rej)
{
    return strm_contract_check_by(c, strm_contract_tree_get, (void *) event,
                                  rej);
}


strm_rc_t
strm_contract_check_by(const strm_contract_t *c, strm_field_get_pt get,
    void *data, strm_reject_t *rej)
{
    return strm_contract_check_key(c, NULL, 0, get, data, rej);
}


strm_rc_t
strm_contract_check_key(const strm_contract_t *c, const char *key,
    size_t key_len, strm_field_get_pt get, void *data, strm_reject_t *rej)
{
    int                       m;
    size_t                    i;
    json_t                   *v;
    strm_rc_t                 rc;
    const strm_validation_t  *val;

    if (key != NULL) {
        m = (key_len != 0);

    } else {
        rc = get(data, c->key_field, 0, &v);
        if (rc != STRM_OK) {
            return rc;
        }

        m = json_is_string(v) && json_string_length(v) != 0;
        json_decref(v);
    }

    if (!m) {
        return strm_reject(rej, STRM_E_KEY_EMPTY, c->key_field, "keyField",
                           "the key field must be a non-empty string");
    }

    for (i = 0; i < c->nvalidations; i++) {
        val = &c->validations[i];

        if (key != NULL && strcmp(val->field, c->key_field) == 0) {
            m = strm_regex_match(val->re, key, key_len);

        } else {
            rc = get(data, val->field, 0, &v);
            if (rc != STRM_OK) {
                return rc;
            }

            if (v == NULL || json_is_null(v)) {
                json_decref(v);
                continue;
            }

            if (!json_is_string(v)) {
                json_decref(v);
                return strm_reject(rej, STRM_E_VALIDATION, val->field,
                                   "regex", "the field is not a string");
            }

            m = strm_regex_match(val->re, json_string_value(v),
                                 json_string_length(v));
            json_decref(v);
        }

        if (m != 1) {
            return strm_reject(rej, STRM_E_VALIDATION, val->field, "regex",
                               "the field does not match %s", val->pattern);
        }
    }

    return STRM_OK;
}
