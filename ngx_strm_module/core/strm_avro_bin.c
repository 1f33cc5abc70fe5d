
/*
 * Copyright (C) ngx_strm authors
 */


#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_avro_bin.h"
#include "strm_jscan.h"
#include "strm_json.h"


#define STRM_AVRO_BIN_DEPTH  32     /* the tree's way goes to 64 */
#define STRM_AVRO_BIN_KEYS   16     /* a map's keys, checked for twins */
#define STRM_AVRO_BIN_BYTES  256    /* bytes and fixed, as code points */
#define STRM_AVRO_BIN_LINKS  64     /* as strm_avro_resolve() follows */


typedef enum {
    STRM_AVRO_BIN_NULL = 0,
    STRM_AVRO_BIN_BOOLEAN,
    STRM_AVRO_BIN_INT,
    STRM_AVRO_BIN_LONG,
    STRM_AVRO_BIN_FLOAT,
    STRM_AVRO_BIN_DOUBLE,
    STRM_AVRO_BIN_STRING,
    STRM_AVRO_BIN_BYTES_,
    STRM_AVRO_BIN_FIXED,
    STRM_AVRO_BIN_ENUM,
    STRM_AVRO_BIN_ARRAY,
    STRM_AVRO_BIN_MAP,
    STRM_AVRO_BIN_RECORD,
    STRM_AVRO_BIN_UNION
} strm_avro_bin_kind_e;


typedef struct strm_avro_bin_node_s  strm_avro_bin_node_t;


typedef struct {
    const char             *name;
    size_t                  len;
    unsigned                plain:1;    /* nothing in it to escape */
    strm_avro_bin_node_t   *type;
} strm_avro_bin_field_t;


typedef struct {
    const char             *name;
    size_t                  len;
} strm_avro_bin_sym_t;


struct strm_avro_bin_node_s {
    strm_avro_bin_kind_e    kind;
    size_t                  n;          /* fields, symbols, branches, or
                                           a fixed's size */
    avro_schema_t           schema;     /* compiled from */
    strm_avro_bin_node_t   *sub;        /* an array's items, map's values */
    strm_avro_bin_field_t  *fields;
    strm_avro_bin_sym_t    *syms;
    strm_avro_bin_node_t  **branch;
    strm_avro_bin_node_t   *next;       /* every node, to free them */
};


struct strm_avro_bin_s {
    strm_avro_bin_node_t   *root;
    strm_avro_bin_node_t   *nodes;
};


typedef struct {
    const unsigned char    *p;
    const unsigned char    *end;
    strm_jw_t              *w;
    strm_avro_bin_ix_t     *ix;         /* noted by the check */
    const strm_avro_bin_ix_t  *at;      /* used by a lookup */
    unsigned                esc;        /* a string or key to escape */
    /* bytes or fixed as code points: one string pending at a time */
    char                    lat[2 * STRM_AVRO_BIN_BYTES];
} strm_avro_bin_rd_t;


typedef const strm_avro_bin_node_t  strm_avro_bin_cnode_t;


static strm_avro_bin_node_t *strm_avro_bin_node(strm_avro_bin_t *b,
    avro_schema_t t);
static int strm_avro_bin_chk(strm_avro_bin_cnode_t *t,
    strm_avro_bin_rd_t *rd, int depth);
static int strm_avro_bin_skip(strm_avro_bin_cnode_t *t,
    strm_avro_bin_rd_t *rd);
static int strm_avro_bin_wr(strm_avro_bin_cnode_t *t,
    strm_avro_bin_rd_t *rd, const strm_jw_obj_t *ctx, const char **str,
    size_t *slen);


strm_avro_bin_t *
strm_avro_bin_compile(avro_schema_t root)
{
    strm_avro_bin_t  *b;

    b = calloc(1, sizeof(strm_avro_bin_t));
    if (b == NULL) {
        return NULL;
    }

    b->root = strm_avro_bin_node(b, root);

    if (b->root == NULL || b->root->kind != STRM_AVRO_BIN_RECORD) {
        strm_avro_bin_free(b);
        return NULL;
    }

    return b;
}


void
strm_avro_bin_free(strm_avro_bin_t *b)
{
    strm_avro_bin_node_t  *nd;

    if (b == NULL) {
        return;
    }

    while (b->nodes != NULL) {
        nd = b->nodes;
        b->nodes = nd->next;

        free(nd->fields);
        free(nd->syms);
        free(nd->branch);
        free(nd);
    }

    free(b);
}


/* does a name hold nothing a JSON string escapes? */
static unsigned
strm_avro_bin_plain(const char *name)
{
    for ( /* void */ ; *name != '\0'; name++) {
        if ((unsigned char) *name < 0x20 || *name == '"' || *name == '\\') {
            return 0;
        }
    }

    return 1;
}


/* type t's node, made once (a named type may refer to itself) */
static strm_avro_bin_node_t *
strm_avro_bin_node(strm_avro_bin_t *b, avro_schema_t t)
{
    int                    k;
    size_t                 i;
    avro_schema_t          sub;
    strm_avro_bin_node_t  *nd;

    for (k = 0; t != NULL && avro_typeof(t) == AVRO_LINK; k++) {
        if (k == STRM_AVRO_BIN_LINKS) {
            return NULL;
        }

        t = avro_schema_link_target(t);
    }

    if (t == NULL) {
        return NULL;
    }

    for (nd = b->nodes; nd != NULL; nd = nd->next) {
        if (nd->schema == t) {
            return nd;
        }
    }

    nd = calloc(1, sizeof(strm_avro_bin_node_t));
    if (nd == NULL) {
        return NULL;
    }

    nd->schema = t;
    nd->next = b->nodes;
    b->nodes = nd;

    switch (avro_typeof(t)) {

    case AVRO_NULL:
        nd->kind = STRM_AVRO_BIN_NULL;
        return nd;

    case AVRO_BOOLEAN:
        nd->kind = STRM_AVRO_BIN_BOOLEAN;
        return nd;

    case AVRO_INT32:
        nd->kind = STRM_AVRO_BIN_INT;
        return nd;

    case AVRO_INT64:
        nd->kind = STRM_AVRO_BIN_LONG;
        return nd;

    case AVRO_FLOAT:
        nd->kind = STRM_AVRO_BIN_FLOAT;
        return nd;

    case AVRO_DOUBLE:
        nd->kind = STRM_AVRO_BIN_DOUBLE;
        return nd;

    case AVRO_STRING:
        nd->kind = STRM_AVRO_BIN_STRING;
        return nd;

    case AVRO_BYTES:
        nd->kind = STRM_AVRO_BIN_BYTES_;
        return nd;

    case AVRO_FIXED:
        nd->kind = STRM_AVRO_BIN_FIXED;
        nd->n = (size_t) avro_schema_fixed_size(t);
        return nd;

    case AVRO_ENUM:
        nd->kind = STRM_AVRO_BIN_ENUM;
        nd->n = (size_t) avro_schema_enum_number_of_symbols(t);
        nd->syms = calloc(nd->n + 1, sizeof(strm_avro_bin_sym_t));

        if (nd->syms == NULL) {
            return NULL;
        }

        for (i = 0; i < nd->n; i++) {
            nd->syms[i].name = avro_schema_enum_get(t, (int) i);

            if (nd->syms[i].name == NULL) {
                return NULL;
            }

            nd->syms[i].len = strlen(nd->syms[i].name);
        }

        return nd;

    case AVRO_ARRAY:
        nd->kind = STRM_AVRO_BIN_ARRAY;
        nd->sub = strm_avro_bin_node(b, avro_schema_array_items(t));
        return (nd->sub != NULL) ? nd : NULL;

    case AVRO_MAP:
        nd->kind = STRM_AVRO_BIN_MAP;
        nd->sub = strm_avro_bin_node(b, avro_schema_map_values(t));
        return (nd->sub != NULL) ? nd : NULL;

    case AVRO_RECORD:
        nd->kind = STRM_AVRO_BIN_RECORD;
        nd->n = avro_schema_record_size(t);
        nd->fields = calloc(nd->n + 1, sizeof(strm_avro_bin_field_t));

        if (nd->fields == NULL) {
            return NULL;
        }

        for (i = 0; i < nd->n; i++) {
            nd->fields[i].name = avro_schema_record_field_name(t, (int) i);

            if (nd->fields[i].name == NULL) {
                return NULL;
            }

            nd->fields[i].len = strlen(nd->fields[i].name);
            nd->fields[i].plain = strm_avro_bin_plain(nd->fields[i].name);
            sub = avro_schema_record_field_get_by_index(t, (int) i);
            nd->fields[i].type = strm_avro_bin_node(b, sub);

            if (nd->fields[i].type == NULL) {
                return NULL;
            }
        }

        return nd;

    case AVRO_UNION:
        nd->kind = STRM_AVRO_BIN_UNION;
        nd->n = avro_schema_union_size(t);
        nd->branch = calloc(nd->n + 1, sizeof(strm_avro_bin_node_t *));

        if (nd->branch == NULL) {
            return NULL;
        }

        for (i = 0; i < nd->n; i++) {
            nd->branch[i] = strm_avro_bin_node(b,
                                      avro_schema_union_branch(t, (int) i));

            if (nd->branch[i] == NULL) {
                return NULL;
            }
        }

        return nd;

    default:
        return NULL;
    }
}


/* a zigzag varint, read as strm_avro_decode() reads it */
static int
strm_avro_bin_long_more(strm_avro_bin_rd_t *rd, int64_t *v)
{
    int       shift;
    uint64_t  u;
    unsigned  c;

    u = 0;

    for (shift = 0; shift < 70; shift += 7) {
        if (rd->p >= rd->end) {
            return -1;
        }

        c = *rd->p++;
        u |= (uint64_t) (c & 0x7f) << shift;

        if ((c & 0x80) == 0) {
            *v = (int64_t) ((u >> 1) ^ (~(u & 1) + 1));
            return 0;
        }
    }

    return -1;
}


/* most are one byte */
static inline int
strm_avro_bin_long(strm_avro_bin_rd_t *rd, int64_t *v)
{
    unsigned  c;

    if (rd->p < rd->end && *rd->p < 0x80) {
        c = *rd->p++;
        *v = (int64_t) ((c >> 1) ^ (~(c & 1) + 1));
        return 0;
    }

    return strm_avro_bin_long_more(rd, v);
}


/* a length, and that many bytes left */
static inline int
strm_avro_bin_len(strm_avro_bin_rd_t *rd, int64_t *n)
{
    if (strm_avro_bin_long(rd, n) != 0 || *n < 0
        || (uint64_t) *n > (uint64_t) (rd->end - rd->p))
    {
        return -1;
    }

    return 0;
}


/* a float or a double as the tree's json_real() gets it */
static int
strm_avro_bin_real(strm_avro_bin_rd_t *rd, int is_float, double *d)
{
    float     f;
    int64_t   i, n;
    uint32_t  w;
    uint64_t  u;

    n = is_float ? 4 : 8;

    if (rd->end - rd->p < n) {
        return -1;
    }

    u = 0;

    for (i = n - 1; i >= 0; i--) {
        u = (u << 8) | rd->p[i];
    }

    rd->p += n;

    if (is_float) {
        w = (uint32_t) u;
        memcpy(&f, &w, 4);
        *d = f;

    } else {
        memcpy(d, &u, 8);
    }

    return 0;
}


/*
 * UTF-8 as jansson's json_stringn() takes it (a NUL too), passing
 * ASCII that JSON writes as it is by strm_jscan_plain(); rd->esc set
 * when a byte needs an escape (a control character, '"', '\\')
 */
static int
strm_avro_bin_utf8(strm_avro_bin_rd_t *rd, const unsigned char *p,
    size_t n)
{
    size_t         i, k;
    unsigned char  c;

    i = 0;

    for ( ;; ) {
        /* past the bytes JSON writes as they are (strm_jscan's run) */
        i += strm_jscan_plain((const char *) p + i, n - i);

        if (i == n) {
            return 1;
        }

        /* ASCII up to what stopped the run */
        while (p[i] < 0x80) {
            c = p[i];

            if (c < 0x20 || c == '"' || c == '\\') {
                rd->esc = 1;
            }

            if (++i == n) {
                return 1;
            }
        }

        k = strm_json_utf8(p + i, p + n);

        if (k == 0) {
            return 0;
        }

        i += k;
    }
}


/* bytes or fixed into rd->lat as code points 0-255 in UTF-8 */
static size_t
strm_avro_bin_latin1(strm_avro_bin_rd_t *rd, const unsigned char *p,
    size_t n)
{
    size_t  i, k;

    for (i = 0, k = 0; i < n; i++) {
        if (p[i] < 0x80) {
            rd->lat[k++] = (char) p[i];

        } else {
            rd->lat[k++] = (char) (0xc0 | (p[i] >> 6));
            rd->lat[k++] = (char) (0x80 | (p[i] & 0x3f));
        }
    }

    return k;
}


/*
 * The block counts of an array or a map: *n items follow, 0 at the end;
 * as strm_avro_decode() reads them (a block's byte size read and not
 * used, more items than bytes left refused).
 */
static int
strm_avro_bin_block(strm_avro_bin_rd_t *rd, int64_t *n)
{
    int64_t  size;

    if (strm_avro_bin_long(rd, n) != 0) {
        return -1;
    }

    if (*n < 0) {
        if (*n == INT64_MIN) {
            return -1;
        }

        *n = -*n;

        if (strm_avro_bin_long(rd, &size) != 0) {
            return -1;
        }
    }

    if ((uint64_t) *n > (uint64_t) (rd->end - rd->p) + 1) {
        return -1;
    }

    return 0;
}


static int
strm_avro_bin_chk(strm_avro_bin_cnode_t *t, strm_avro_bin_rd_t *rd,
    int depth)
{
    double                d;
    size_t                i, k, count;
    size_t                klens[STRM_AVRO_BIN_KEYS];
    int64_t               v, n, klen;
    const unsigned char  *keys[STRM_AVRO_BIN_KEYS];

    if (depth > STRM_AVRO_BIN_DEPTH) {
        return -1;
    }

    switch (t->kind) {

    case STRM_AVRO_BIN_NULL:
        return 0;

    case STRM_AVRO_BIN_BOOLEAN:
        if (rd->p >= rd->end || *rd->p > 1) {
            return -1;
        }

        rd->p++;
        return 0;

    case STRM_AVRO_BIN_INT:
        if (strm_avro_bin_long(rd, &v) != 0 || v < INT32_MIN
            || v > INT32_MAX)
        {
            return -1;
        }

        return 0;

    case STRM_AVRO_BIN_LONG:
        return strm_avro_bin_long(rd, &v);

    case STRM_AVRO_BIN_FLOAT:
    case STRM_AVRO_BIN_DOUBLE:
        /* json_real() takes no NaN or infinity: the tree's way refuses */
        if (strm_avro_bin_real(rd, t->kind == STRM_AVRO_BIN_FLOAT, &d) != 0
            || !isfinite(d))
        {
            return -1;
        }

        return 0;

    case STRM_AVRO_BIN_STRING:
        if (strm_avro_bin_len(rd, &n) != 0
            || !strm_avro_bin_utf8(rd, rd->p, (size_t) n))
        {
            return -1;
        }

        rd->p += n;
        return 0;

    case STRM_AVRO_BIN_BYTES_:
        if (strm_avro_bin_len(rd, &n) != 0 || n > STRM_AVRO_BIN_BYTES) {
            return -1;
        }

        rd->p += n;
        return 0;

    case STRM_AVRO_BIN_FIXED:
        if (t->n > STRM_AVRO_BIN_BYTES
            || (size_t) (rd->end - rd->p) < t->n)
        {
            return -1;
        }

        rd->p += t->n;
        return 0;

    case STRM_AVRO_BIN_ENUM:
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return -1;
        }

        return 0;

    case STRM_AVRO_BIN_ARRAY:
    case STRM_AVRO_BIN_MAP:
        count = 0;

        for ( ;; ) {
            if (strm_avro_bin_block(rd, &n) != 0) {
                return -1;
            }

            if (n == 0) {
                return 0;
            }

            for (v = 0; v < n; v++) {
                if (t->kind == STRM_AVRO_BIN_MAP) {
                    if (count == STRM_AVRO_BIN_KEYS) {
                        return -1;
                    }

                    /* a key: no NUL, no twin (jansson keeps one) */
                    if (strm_avro_bin_len(rd, &klen) != 0
                        || memchr(rd->p, 0, (size_t) klen) != NULL
                        || !strm_avro_bin_utf8(rd, rd->p, (size_t) klen))
                    {
                        return -1;
                    }

                    keys[count] = rd->p;
                    klens[count] = (size_t) klen;
                    rd->p += klens[count];

                    for (k = 0; k < count; k++) {
                        if (klens[k] == klens[count]
                            && memcmp(keys[k], keys[count], klens[k]) == 0)
                        {
                            return -1;
                        }
                    }

                    count++;
                }

                if (strm_avro_bin_chk(t->sub, rd, depth + 1) != 0) {
                    return -1;
                }
            }
        }

    case STRM_AVRO_BIN_RECORD:
        for (i = 0; i < t->n; i++) {
            /* the top level's fields noted for the lookups */
            if (depth == 0 && rd->ix != NULL && i < STRM_AVRO_BIN_INDEX) {
                rd->ix->at[i] = rd->p;
                rd->ix->n = i + 1;
            }

            if (strm_avro_bin_chk(t->fields[i].type, rd, depth + 1) != 0) {
                return -1;
            }
        }

        return 0;

    default: /* STRM_AVRO_BIN_UNION */
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return -1;
        }

        return strm_avro_bin_chk(t->branch[v], rd, depth);
    }
}


strm_rc_t
strm_avro_bin_check(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, unsigned *plain, strm_avro_bin_ix_t *ix)
{
    strm_avro_bin_rd_t  rd;

    if (b == NULL) {
        return STRM_E_NOT_FOUND;
    }

    rd.p = p;
    rd.end = p + len;
    rd.w = NULL;
    rd.ix = ix;
    rd.at = NULL;
    rd.esc = 0;

    if (ix != NULL) {
        ix->n = 0;
    }

    if (strm_avro_bin_chk(b->root, &rd, 0) != 0 || rd.p != rd.end) {
        return STRM_E_NOT_FOUND;
    }

    *plain = !rd.esc;

    return STRM_OK;
}


/* past a value of a datum the check took */
static int
strm_avro_bin_skip(strm_avro_bin_cnode_t *t, strm_avro_bin_rd_t *rd)
{
    double   d;
    size_t   i;
    int64_t  v, n, klen;

    switch (t->kind) {

    case STRM_AVRO_BIN_NULL:
        return 0;

    case STRM_AVRO_BIN_BOOLEAN:
        if (rd->p >= rd->end) {
            return -1;
        }

        rd->p++;
        return 0;

    case STRM_AVRO_BIN_INT:
    case STRM_AVRO_BIN_LONG:
    case STRM_AVRO_BIN_ENUM:
        return strm_avro_bin_long(rd, &v);

    case STRM_AVRO_BIN_FLOAT:
    case STRM_AVRO_BIN_DOUBLE:
        return strm_avro_bin_real(rd, t->kind == STRM_AVRO_BIN_FLOAT, &d);

    case STRM_AVRO_BIN_STRING:
    case STRM_AVRO_BIN_BYTES_:
        if (strm_avro_bin_len(rd, &n) != 0) {
            return -1;
        }

        rd->p += n;
        return 0;

    case STRM_AVRO_BIN_FIXED:
        if ((size_t) (rd->end - rd->p) < t->n) {
            return -1;
        }

        rd->p += t->n;
        return 0;

    case STRM_AVRO_BIN_ARRAY:
    case STRM_AVRO_BIN_MAP:
        /* item by item: a block's byte size was never checked */
        for ( ;; ) {
            if (strm_avro_bin_block(rd, &n) != 0) {
                return -1;
            }

            if (n == 0) {
                return 0;
            }

            for (v = 0; v < n; v++) {
                if (t->kind == STRM_AVRO_BIN_MAP) {
                    if (strm_avro_bin_len(rd, &klen) != 0) {
                        return -1;
                    }

                    rd->p += klen;
                }

                if (strm_avro_bin_skip(t->sub, rd) != 0) {
                    return -1;
                }
            }
        }

    case STRM_AVRO_BIN_RECORD:
        for (i = 0; i < t->n; i++) {
            if (strm_avro_bin_skip(t->fields[i].type, rd) != 0) {
                return -1;
            }
        }

        return 0;

    default: /* STRM_AVRO_BIN_UNION */
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return -1;
        }

        return strm_avro_bin_skip(t->branch[v], rd);
    }
}


/* the branch a union's value takes, rd past its index */
static int
strm_avro_bin_branch(strm_avro_bin_cnode_t **t, strm_avro_bin_rd_t *rd)
{
    int64_t  v;

    while ((*t)->kind == STRM_AVRO_BIN_UNION) {
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= (*t)->n)
        {
            return -1;
        }

        *t = (*t)->branch[v];
    }

    return 0;
}


/*
 * The value at a slash path of object members from the top, as
 * strm_json_path() finds it in the tree: 1 with *tp its type (a
 * union's branch) and rd at it, 0 when there is none, -1 on an error.
 */
static int
strm_avro_bin_find(const strm_avro_bin_t *b, strm_avro_bin_rd_t *rd,
    const char *path, strm_avro_bin_cnode_t **tp)
{
    int                    top;
    size_t                 i, nlen;
    int64_t                n, k, klen;
    const char            *e;
    strm_avro_bin_cnode_t *t;

    if (path == NULL || *path == '\0') {
        return 0;
    }

    t = b->root;
    top = 1;

    for ( /* void */ ; /* void */ ; top = 0) {
        e = strchr(path, '/');
        nlen = (e != NULL) ? (size_t) (e - path) : strlen(path);

        if (strm_avro_bin_branch(&t, rd) != 0) {
            return -1;
        }

        if (top && rd->at != NULL) {
            /* a top-level field where the check saw it start */
            for (i = 0; i < t->n; i++) {
                if (t->fields[i].len == nlen
                    && memcmp(t->fields[i].name, path, nlen) == 0)
                {
                    break;
                }
            }

            if (i == t->n) {
                return 0;
            }

            if (i < rd->at->n) {
                rd->p = rd->at->at[i];
                t = t->fields[i].type;
                goto next;
            }
        }

        if (t->kind == STRM_AVRO_BIN_RECORD) {
            for (i = 0; i < t->n; i++) {
                if (t->fields[i].len == nlen
                    && memcmp(t->fields[i].name, path, nlen) == 0)
                {
                    break;
                }

                if (strm_avro_bin_skip(t->fields[i].type, rd) != 0) {
                    return -1;
                }
            }

            if (i == t->n) {
                return 0;
            }

            t = t->fields[i].type;

        } else if (t->kind == STRM_AVRO_BIN_MAP) {
            /* the check took no twin keys: the first is the one */
            for ( ;; ) {
                if (strm_avro_bin_block(rd, &n) != 0) {
                    return -1;
                }

                if (n == 0) {
                    return 0;
                }

                for (k = 0; k < n; k++) {
                    if (strm_avro_bin_len(rd, &klen) != 0) {
                        return -1;
                    }

                    rd->p += klen;

                    if ((size_t) klen == nlen
                        && memcmp(rd->p - klen, path, nlen) == 0)
                    {
                        goto found;
                    }

                    if (strm_avro_bin_skip(t->sub, rd) != 0) {
                        return -1;
                    }
                }
            }

        found:

            t = t->sub;

        } else {
            return 0;
        }

    next:

        if (e == NULL) {
            if (strm_avro_bin_branch(&t, rd) != 0) {
                return -1;
            }

            *tp = t;
            return 1;
        }

        path = e + 1;
    }
}


/*
 * A reader of the datum p (len bytes, indexed by ix) at path: as
 * strm_avro_bin_find(), rd left at the value's bytes.
 */
static int
strm_avro_bin_at(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, const strm_avro_bin_ix_t *ix, const char *path,
    strm_avro_bin_rd_t *rd, strm_avro_bin_cnode_t **t)
{
    rd->p = p;
    rd->end = p + len;
    rd->w = NULL;
    rd->ix = NULL;
    rd->at = ix;
    rd->esc = 1;

    return strm_avro_bin_find(b, rd, path, t);
}


strm_rc_t
strm_avro_bin_value(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, const strm_avro_bin_ix_t *ix, const char *path,
    json_t **out)
{
    int                     rc;
    double                  d;
    size_t                  k;
    int64_t                 v;
    strm_avro_bin_rd_t      rd;
    strm_avro_bin_cnode_t  *t;

    *out = NULL;

    rc = strm_avro_bin_at(b, p, len, ix, path, &rd, &t);

    if (rc <= 0) {
        return (rc == 0) ? STRM_OK : STRM_E_NOT_FOUND;
    }

    switch (t->kind) {

    case STRM_AVRO_BIN_NULL:
        *out = json_null();
        return STRM_OK;

    case STRM_AVRO_BIN_BOOLEAN:
        if (rd.p >= rd.end) {
            return STRM_E_NOT_FOUND;
        }

        *out = json_boolean(*rd.p);
        return STRM_OK;

    case STRM_AVRO_BIN_INT:
    case STRM_AVRO_BIN_LONG:
        if (strm_avro_bin_long(&rd, &v) != 0) {
            return STRM_E_NOT_FOUND;
        }

        *out = json_integer(v);
        break;

    case STRM_AVRO_BIN_FLOAT:
    case STRM_AVRO_BIN_DOUBLE:
        if (strm_avro_bin_real(&rd, t->kind == STRM_AVRO_BIN_FLOAT, &d)
            != 0)
        {
            return STRM_E_NOT_FOUND;
        }

        *out = json_real(d);
        break;

    case STRM_AVRO_BIN_STRING:
        if (strm_avro_bin_len(&rd, &v) != 0) {
            return STRM_E_NOT_FOUND;
        }

        *out = json_stringn_nocheck((const char *) rd.p, (size_t) v);
        break;

    case STRM_AVRO_BIN_BYTES_:
    case STRM_AVRO_BIN_FIXED:
        if (t->kind == STRM_AVRO_BIN_FIXED) {
            v = (int64_t) t->n;

        } else if (strm_avro_bin_len(&rd, &v) != 0) {
            return STRM_E_NOT_FOUND;
        }

        if (v > STRM_AVRO_BIN_BYTES || rd.end - rd.p < v) {
            return STRM_E_NOT_FOUND;
        }

        k = strm_avro_bin_latin1(&rd, rd.p, (size_t) v);
        *out = json_stringn_nocheck(rd.lat, k);
        break;

    case STRM_AVRO_BIN_ENUM:
        if (strm_avro_bin_long(&rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return STRM_E_NOT_FOUND;
        }

        *out = json_stringn_nocheck(t->syms[v].name, t->syms[v].len);
        break;

    default:
        /* an object or an array: not built here */
        return STRM_E_NOT_FOUND;
    }

    return (*out != NULL) ? STRM_OK : STRM_E_NOMEM;
}


strm_rc_t
strm_avro_bin_string(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, const strm_avro_bin_ix_t *ix, const char *path,
    const char **s, size_t *slen)
{
    int64_t                 v;
    strm_avro_bin_rd_t      rd;
    strm_avro_bin_cnode_t  *t;

    if (strm_avro_bin_at(b, p, len, ix, path, &rd, &t) != 1
        || t->kind != STRM_AVRO_BIN_STRING
        || strm_avro_bin_len(&rd, &v) != 0)
    {
        return STRM_E_NOT_FOUND;
    }

    *s = (const char *) rd.p;
    *slen = (size_t) v;

    return STRM_OK;
}


strm_rc_t
strm_avro_bin_meta(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, const strm_avro_bin_ix_t *ix, int *levels, size_t max,
    int top, size_t *n, const unsigned char **ref, size_t *ref_len)
{
    size_t                  k;
    int64_t                 c, i, v;
    strm_avro_bin_rd_t      rd;
    strm_avro_bin_cnode_t  *t;

    rd.p = p;
    rd.end = p + len;
    rd.w = NULL;
    rd.ix = NULL;
    rd.at = ix;
    rd.esc = 1;

    if (strm_avro_bin_find(b, &rd, "strmMeta/consentLevels", &t) != 1
        || t->kind != STRM_AVRO_BIN_ARRAY
        || (t->sub->kind != STRM_AVRO_BIN_INT
            && t->sub->kind != STRM_AVRO_BIN_LONG))
    {
        return STRM_E_NOT_FOUND;
    }

    k = 0;

    for ( ;; ) {
        if (strm_avro_bin_block(&rd, &c) != 0) {
            return STRM_E_NOT_FOUND;
        }

        if (c == 0) {
            break;
        }

        for (i = 0; i < c; i++) {
            if (k == max || strm_avro_bin_long(&rd, &v) != 0 || v < 0
                || v > top)
            {
                return STRM_E_NOT_FOUND;
            }

            levels[k++] = (int) v;
        }
    }

    *n = k;

    rd.p = p;

    if (strm_avro_bin_find(b, &rd, "strmMeta/eventContractRef", &t) != 1
        || t->kind != STRM_AVRO_BIN_STRING
        || strm_avro_bin_len(&rd, &v) != 0)
    {
        return STRM_E_NOT_FOUND;
    }

    *ref = rd.p;
    *ref_len = (size_t) v;

    return STRM_OK;
}


/* the datum's contradiction of what the check took: cannot happen */
static int
strm_avro_bin_no(strm_avro_bin_rd_t *rd)
{
    rd->w->rc = STRM_E_INTERNAL;

    return -1;
}


/* an object's member: its name, then its value or strmMeta's stamp */
static int
strm_avro_bin_member(strm_avro_bin_cnode_t *t, strm_avro_bin_rd_t *rd,
    strm_jw_obj_t *o, const char *name, size_t len, unsigned plain)
{
    int             rc;
    strm_jw_t      *w;
    strm_jw_mem_t   m;

    w = rd->w;

    if ((plain ? strm_jw_member_plain(w, o, name, len, &m)
               : strm_jw_member(w, o, name, len, &m))
        != 0)
    {
        return -1;
    }

    if (m.stamp) {
        /* the gateway's value instead */
        if (strm_avro_bin_skip(t, rd) != 0) {
            return strm_avro_bin_no(rd);
        }

        rc = strm_jw_stamp(w, &m);

    } else {
        rc = strm_avro_bin_wr(t, rd, &m.child, &m.str, &m.slen);
    }

    if (rc != 0 || strm_jw_member_end(w, &m) != 0) {
        return -1;
    }

    return 0;
}


static int
strm_avro_bin_wr(strm_avro_bin_cnode_t *t, strm_avro_bin_rd_t *rd,
    const strm_jw_obj_t *ctx, const char **str, size_t *slen)
{
    double                 d;
    size_t                 i, k;
    int64_t                v, n, c;
    strm_jw_t             *w;
    const char            *s;
    strm_jw_obj_t          o, none;
    const unsigned char   *key;

    w = rd->w;

    switch (t->kind) {

    case STRM_AVRO_BIN_NULL:
        return strm_jw_put(w, "null", 4);

    case STRM_AVRO_BIN_BOOLEAN:
        if (rd->p >= rd->end) {
            return strm_avro_bin_no(rd);
        }

        return (*rd->p++ != 0) ? strm_jw_put(w, "true", 4)
                               : strm_jw_put(w, "false", 5);

    case STRM_AVRO_BIN_INT:
    case STRM_AVRO_BIN_LONG:
        if (strm_avro_bin_long(rd, &v) != 0) {
            return strm_avro_bin_no(rd);
        }

        return strm_jw_integer(w, (json_int_t) v);

    case STRM_AVRO_BIN_FLOAT:
    case STRM_AVRO_BIN_DOUBLE:
        if (strm_avro_bin_real(rd, t->kind == STRM_AVRO_BIN_FLOAT, &d) != 0)
        {
            return strm_avro_bin_no(rd);
        }

        return strm_jw_real(w, d);

    case STRM_AVRO_BIN_STRING:
        if (strm_avro_bin_len(rd, &n) != 0) {
            return strm_avro_bin_no(rd);
        }

        s = (const char *) rd->p;
        rd->p += n;
        k = (size_t) n;

        if (str != NULL) {
            *str = s;
            *slen = k;
        }

        if (rd->esc) {
            return strm_jw_string(w, s, k);
        }

        /* nothing in the datum to escape: as it is */
        if (strm_jw_put(w, "\"", 1) != 0 || strm_jw_put(w, s, k) != 0) {
            return -1;
        }

        return strm_jw_put(w, "\"", 1);

    case STRM_AVRO_BIN_BYTES_:
    case STRM_AVRO_BIN_FIXED:
        if (t->kind == STRM_AVRO_BIN_FIXED) {
            n = (int64_t) t->n;

        } else if (strm_avro_bin_len(rd, &n) != 0) {
            return strm_avro_bin_no(rd);
        }

        if (n > STRM_AVRO_BIN_BYTES || rd->end - rd->p < n) {
            return strm_avro_bin_no(rd);
        }

        k = strm_avro_bin_latin1(rd, rd->p, (size_t) n);
        s = rd->lat;
        rd->p += n;
        break;

    case STRM_AVRO_BIN_ENUM:
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return strm_avro_bin_no(rd);
        }

        s = t->syms[v].name;
        k = t->syms[v].len;
        break;

    case STRM_AVRO_BIN_ARRAY:
        strm_jw_none(&none);

        if (strm_jw_put(w, "[", 1) != 0) {
            return -1;
        }

        for (i = 0; /* void */; /* void */) {
            if (strm_avro_bin_block(rd, &n) != 0) {
                return strm_avro_bin_no(rd);
            }

            if (n == 0) {
                return strm_jw_put(w, "]", 1);
            }

            for (v = 0; v < n; v++, i++) {
                if ((i > 0 && strm_jw_put(w, ",", 1) != 0)
                    || strm_avro_bin_wr(t->sub, rd, &none, NULL, NULL) != 0)
                {
                    return -1;
                }
            }
        }

    case STRM_AVRO_BIN_MAP:
        if (strm_jw_obj_begin(w, &o, ctx) != 0) {
            return -1;
        }

        for ( ;; ) {
            if (strm_avro_bin_block(rd, &n) != 0) {
                return strm_avro_bin_no(rd);
            }

            if (n == 0) {
                return strm_jw_obj_end(w, &o);
            }

            for (v = 0; v < n; v++) {
                if (strm_avro_bin_len(rd, &c) != 0) {
                    return strm_avro_bin_no(rd);
                }

                key = rd->p;
                rd->p += c;

                if (strm_avro_bin_member(t->sub, rd, &o, (const char *) key,
                                         (size_t) c, !rd->esc)
                    != 0)
                {
                    return -1;
                }
            }
        }

    case STRM_AVRO_BIN_RECORD:
        if (strm_jw_obj_begin(w, &o, ctx) != 0) {
            return -1;
        }

        for (i = 0; i < t->n; i++) {
            if (strm_avro_bin_member(t->fields[i].type, rd, &o,
                                     t->fields[i].name, t->fields[i].len,
                                     t->fields[i].plain)
                != 0)
            {
                return -1;
            }
        }

        return strm_jw_obj_end(w, &o);

    default: /* STRM_AVRO_BIN_UNION */
        if (strm_avro_bin_long(rd, &v) != 0 || v < 0
            || (uint64_t) v >= t->n)
        {
            return strm_avro_bin_no(rd);
        }

        return strm_avro_bin_wr(t->branch[v], rd, ctx, str, slen);
    }

    /* a string: its bytes for a hook that encrypts it */
    if (str != NULL) {
        *str = s;
        *slen = k;
    }

    return strm_jw_string(w, s, k);
}


strm_rc_t
strm_avro_bin_write(const strm_avro_bin_t *b, const unsigned char *p,
    size_t len, unsigned plain, strm_jw_t *w)
{
    strm_jw_obj_t       root;
    strm_avro_bin_rd_t  rd;

    if (b == NULL) {
        return STRM_E_INTERNAL;
    }

    rd.p = p;
    rd.end = p + len;
    rd.w = w;
    rd.ix = NULL;
    rd.at = NULL;
    rd.esc = !plain;

    strm_jw_root(w, &root);

    if (strm_avro_bin_wr(b->root, &rd, &root, NULL, NULL) != 0) {
        return w->rc;
    }

    return (rd.p == rd.end) ? STRM_OK : STRM_E_INTERNAL;
}
