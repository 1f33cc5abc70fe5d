
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_json.h"
#include "strm_jscan.h"


/*
 * A recursive descent over the body.  Strings without an escape go to
 * jansson straight from the body; UTF-8 is checked here once, with
 * jansson's rules (no overlong forms, no surrogates, nothing above
 * U+10FFFF), so the values are made with the _nocheck constructors.
 */

#define STRM_JSON_STACK_STR  256


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    int                   max_depth;
} strm_json_parser_t;


static json_t *strm_json_value(strm_json_parser_t *ps, int depth);
static json_t *strm_json_object(strm_json_parser_t *ps, int depth);
static json_t *strm_json_array(strm_json_parser_t *ps, int depth);
static json_t *strm_json_number(strm_json_parser_t *ps);
static json_t *strm_json_literal(strm_json_parser_t *ps, const char *word,
    size_t n, json_t *value);
static int strm_json_string(strm_json_parser_t *ps, const char **out,
    size_t *len, char *stack, char **heap);
static int strm_json_hex4(const unsigned char *p, unsigned *cp);
static void strm_json_ws(strm_json_parser_t *ps);


json_t *
strm_json_parse_object(const unsigned char *body, size_t len, int max_depth)
{
    json_t              *v;
    strm_json_parser_t   ps;

    ps.p = body;
    ps.end = body + len;
    ps.max_depth = max_depth;

    strm_json_ws(&ps);

    if (ps.p == ps.end || *ps.p != '{' || max_depth < 1) {
        return NULL;
    }

    v = strm_json_object(&ps, 1);
    if (v == NULL) {
        return NULL;
    }

    strm_json_ws(&ps);

    if (ps.p != ps.end) {
        json_decref(v);
        return NULL;
    }

    return v;
}


static void
strm_json_ws(strm_json_parser_t *ps)
{
    while (ps->p < ps->end
           && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n'
               || *ps->p == '\r'))
    {
        ps->p++;
    }
}


static json_t *
strm_json_value(strm_json_parser_t *ps, int depth)
{
    char        *heap, stack[STRM_JSON_STACK_STR];
    size_t       len;
    json_t      *v;
    const char  *s;

    if (ps->p == ps->end) {
        return NULL;
    }

    switch (*ps->p) {

    case '{':
        return (depth < ps->max_depth) ? strm_json_object(ps, depth + 1)
                                       : NULL;

    case '[':
        return (depth < ps->max_depth) ? strm_json_array(ps, depth + 1)
                                       : NULL;

    case '"':
        if (strm_json_string(ps, &s, &len, stack, &heap) != 0) {
            return NULL;
        }

        v = json_stringn_nocheck(s, len);
        free(heap);

        return v;

    case 't':
        return strm_json_literal(ps, "true", 4, json_true());

    case 'f':
        return strm_json_literal(ps, "false", 5, json_false());

    case 'n':
        return strm_json_literal(ps, "null", 4, json_null());

    default:
        return strm_json_number(ps);
    }
}


/* a literal, and no letter glued to it (jansson reads the whole word) */
static json_t *
strm_json_literal(strm_json_parser_t *ps, const char *word, size_t n,
    json_t *value)
{
    unsigned char  c;

    if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        return NULL;
    }

    ps->p += n;

    if (ps->p < ps->end) {
        c = *ps->p | 0x20;

        if (c >= 'a' && c <= 'z') {
            return NULL;
        }
    }

    return value;
}


/* -?(0|[1-9][0-9]*), at most 18 digits, not followed by . e E */
static json_t *
strm_json_number(strm_json_parser_t *ps)
{
    int                   neg;
    int64_t               v;
    const unsigned char  *start;

    neg = 0;

    if (*ps->p == '-') {
        neg = 1;
        ps->p++;
    }

    start = ps->p;

    if (ps->p == ps->end || *ps->p < '0' || *ps->p > '9') {
        return NULL;
    }

    v = 0;

    if (*ps->p == '0') {
        ps->p++;

    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            if (ps->p - start >= 18) {
                return NULL;
            }

            v = v * 10 + (*ps->p++ - '0');
        }
    }

    if (ps->p < ps->end
        && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.'
            || *ps->p == 'e' || *ps->p == 'E'
            || ((*ps->p | 0x20) >= 'a' && (*ps->p | 0x20) <= 'z')))
    {
        return NULL;
    }

    return json_integer(neg ? -v : v);
}


static json_t *
strm_json_object(strm_json_parser_t *ps, int depth)
{
    char        *heap, stack[STRM_JSON_STACK_STR];
    size_t       klen;
    json_t      *obj, *v;
    const char  *key;

    /* at '{' */
    ps->p++;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    strm_json_ws(ps);

    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }

    for ( ;; ) {
        if (ps->p == ps->end || *ps->p != '"'
            || strm_json_string(ps, &key, &klen, stack, &heap) != 0)
        {
            break;
        }

        v = NULL;

        /* jansson refuses a NUL in a name, and a name seen before */
        if (memchr(key, '\0', klen) == NULL
            && json_object_getn(obj, key, klen) == NULL)
        {
            strm_json_ws(ps);

            if (ps->p < ps->end && *ps->p == ':') {
                ps->p++;
                strm_json_ws(ps);

                v = strm_json_value(ps, depth);
            }
        }

        if (v == NULL || json_object_setn_new_nocheck(obj, key, klen, v) != 0)
        {
            free(heap);
            break;
        }

        free(heap);

        strm_json_ws(ps);

        if (ps->p == ps->end) {
            break;
        }

        if (*ps->p == '}') {
            ps->p++;
            return obj;
        }

        if (*ps->p != ',') {
            break;
        }

        ps->p++;
        strm_json_ws(ps);
    }

    json_decref(obj);

    return NULL;
}


static json_t *
strm_json_array(strm_json_parser_t *ps, int depth)
{
    json_t  *arr, *v;

    /* at '[' */
    ps->p++;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    strm_json_ws(ps);

    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }

    for ( ;; ) {
        v = strm_json_value(ps, depth);

        if (v == NULL || json_array_append_new(arr, v) != 0) {
            break;
        }

        strm_json_ws(ps);

        if (ps->p == ps->end) {
            break;
        }

        if (*ps->p == ']') {
            ps->p++;
            return arr;
        }

        if (*ps->p != ',') {
            break;
        }

        ps->p++;
        strm_json_ws(ps);
    }

    json_decref(arr);

    return NULL;
}


/*
 * A string at '"': *out points into the body when it has no escape,
 * else to its decoded bytes (in stack, or in *heap, malloc()ed, when
 * longer); *heap is NULL or to be freed.  -1 declines.
 */
static int
strm_json_string(strm_json_parser_t *ps, const char **out, size_t *len,
    char *stack, char **heap)
{
    size_t                n;
    unsigned              cp, lo;
    unsigned char         c, *d, *buf;
    const unsigned char  *p, *start, *close;

    *heap = NULL;

    start = ps->p + 1;
    p = start;

    /* the first pass: the closing quote, UTF-8 checked, escapes seen */
    close = NULL;
    n = 0;

    while (p < ps->end) {
        c = *p;

        if (c == '"') {
            close = p;
            break;
        }

        if (c < 0x20) {
            return -1;
        }

        if (c == '\\') {
            n++;
            p += 2;
            continue;
        }

        if (c < 0x80) {
            p++;
            continue;
        }

        c = (unsigned char) strm_json_utf8(p, ps->end);

        if (c == 0) {
            return -1;
        }

        p += c;
    }

    if (close == NULL) {
        return -1;
    }

    ps->p = close + 1;

    if (n == 0) {
        *out = (const char *) start;
        *len = close - start;
        return 0;
    }

    /* the second pass: escapes decoded, never longer than the text */
    if ((size_t) (close - start) <= STRM_JSON_STACK_STR) {
        buf = (unsigned char *) stack;

    } else {
        buf = malloc(close - start);
        if (buf == NULL) {
            return -1;
        }

        *heap = (char *) buf;
    }

    d = buf;

    for (p = start; p < close; ) {
        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        p++;

        switch (*p++) {
        case '"':
            *d++ = '"';
            break;
        case '\\':
            *d++ = '\\';
            break;
        case '/':
            *d++ = '/';
            break;
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;

        case 'u':
            if (close - p < 4 || strm_json_hex4(p, &cp) != 0) {
                goto failed;
            }

            p += 4;

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                goto failed;
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (close - p < 6 || p[0] != '\\' || p[1] != 'u'
                    || strm_json_hex4(p + 2, &lo) != 0
                    || lo < 0xdc00 || lo > 0xdfff)
                {
                    goto failed;
                }

                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }

            if (cp < 0x80) {
                *d++ = (unsigned char) cp;

            } else if (cp < 0x800) {
                *d++ = (unsigned char) (0xc0 | (cp >> 6));
                *d++ = (unsigned char) (0x80 | (cp & 0x3f));

            } else if (cp < 0x10000) {
                *d++ = (unsigned char) (0xe0 | (cp >> 12));
                *d++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *d++ = (unsigned char) (0x80 | (cp & 0x3f));

            } else {
                *d++ = (unsigned char) (0xf0 | (cp >> 18));
                *d++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
                *d++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *d++ = (unsigned char) (0x80 | (cp & 0x3f));
            }

            break;

        default:
            goto failed;
        }
    }

    *out = (const char *) buf;
    *len = d - buf;

    return 0;

failed:

    free(*heap);
    *heap = NULL;

    return -1;
}


static int
strm_json_hex4(const unsigned char *p, unsigned *cp)
{
    int            i;
    unsigned       v;
    unsigned char  c;

    v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            v = (v << 4) | (unsigned) (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = (v << 4) | (unsigned) ((c | 0x20) - 'a' + 10);

        } else {
            return -1;
        }
    }

    *cp = v;

    return 0;
}


size_t
strm_json_utf8(const unsigned char *p, const unsigned char *end)
{
    size_t    n, i;
    unsigned  c, v, min;

    c = p[0];

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (p[i] & 0x3f);
    }

    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }

    return n;
}


ssize_t
strm_json_plain_string(const unsigned char *p, const unsigned char *end)
{
    size_t                n;
    unsigned char         c;
    const unsigned char  *start;

    start = ++p;

    while (p < end) {
        /* past the bytes JSON has as they are (strm_jscan's run) */
        p += strm_jscan_plain((const char *) p, end - p);

        if (p == end) {
            break;
        }

        c = *p;

        if (c == '"') {
            return p - start;
        }

        if (c < 0x20 || c == '\\') {
            return -1;
        }

        if (c < 0x80) {
            p++;
            continue;
        }

        n = strm_json_utf8(p, end);

        if (n == 0) {
            return -1;
        }

        p += n;
    }

    return -1;
}


size_t
strm_json_plain_integer(const unsigned char *p, const unsigned char *end,
    int64_t *v)
{
    int64_t               x;
    const unsigned char  *start, *digits;

    start = p;

    if (p < end && *p == '-') {
        p++;
    }

    digits = p;

    if (p == end || *p < '0' || *p > '9') {
        return 0;
    }

    x = 0;

    if (*p == '0') {
        p++;

        /* "-0" is the integer 0, written "0" */
        if (digits != start) {
            return 0;
        }

    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (p - digits >= 18) {
                return 0;
            }

            x = x * 10 + (*p++ - '0');
        }
    }

    if (p < end
        && ((*p >= '0' && *p <= '9') || *p == '.'
            || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
    {
        return 0;
    }

    *v = (digits != start) ? -x : x;

    return 1 + (size_t) (p - start);
}


#define strm_json_is_ws(c)                                                   \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')


const unsigned char *
strm_json_plain_skip(const unsigned char *p, const unsigned char *end)
{
    int                   depth;
    unsigned char         c;
    const unsigned char  *q;

    if (p == end) {
        return end;
    }

    if (*p == '"') {
        q = memchr(p + 1, '"', end - p - 1);
        return (q != NULL) ? q + 1 : end;
    }

    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']'
               && !strm_json_is_ws(*p))
        {
            p++;
        }

        return p;
    }

    depth = 0;

    while (p < end) {
        c = *p++;

        if (c == '"') {
            q = memchr(p, '"', end - p);
            if (q == NULL) {
                return end;
            }

            p = q + 1;

        } else if (c == '{' || c == '[') {
            depth++;

        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                return p;
            }
        }
    }

    return end;
}


int
strm_json_plain_path(const unsigned char *text, size_t len, const char *path,
    const unsigned char **v, const unsigned char **vend)
{
    int                   match;
    size_t                n;
    const char           *e;
    const unsigned char  *p, *end, *q;

    p = text;
    end = text + len;

    for ( ;; ) {
        while (p < end && strm_json_is_ws(*p)) {
            p++;
        }

        if (p == end || *p != '{') {
            return 0;
        }

        p++;

        e = strchr(path, '/');
        n = (e != NULL) ? (size_t) (e - path) : strlen(path);

        /* the member called path[0 .. n) */
        for ( ;; ) {
            while (p < end && (strm_json_is_ws(*p) || *p == ',')) {
                p++;
            }

            if (p == end || *p != '"') {
                return 0;
            }

            q = memchr(p + 1, '"', end - p - 1);
            if (q == NULL) {
                return 0;
            }

            match = ((size_t) (q - p - 1) == n
                     && memcmp(p + 1, path, n) == 0);

            p = q + 1;

            while (p < end && (strm_json_is_ws(*p) || *p == ':')) {
                p++;
            }

            if (match) {
                break;
            }

            p = strm_json_plain_skip(p, end);
        }

        if (e == NULL) {
            *v = p;
            *vend = strm_json_plain_skip(p, end);
            return 1;
        }

        path = e + 1;
    }
}
