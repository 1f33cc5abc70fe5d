
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <jansson.h>

#include "strm_jscan.h"


#define STRM_JSCAN_DEPTH    64
#define STRM_JSCAN_MEMBERS  64
#define STRM_JSCAN_NUMBER   64


/* 1 for the bytes a string holds as they are: printable ASCII, not '"'
   and not '\' */
static const unsigned char  strm_jscan_plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    /* 0x80 and up: 0, UTF-8 is checked on its own */
};


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    unsigned              flags;
    unsigned              depth;
    strm_jscan_index_t   *ix;
    int                   top;          /* the top-level member in m */
} strm_jscan_t;


static int strm_jscan_value(strm_jscan_t *s);
static int strm_jscan_object_body(strm_jscan_t *s);
static int strm_jscan_array(strm_jscan_t *s);
static inline int strm_jscan_string(strm_jscan_t *s, int *esc);
static int strm_jscan_string_rest(strm_jscan_t *s, const unsigned char *p,
    int *esc);
static int strm_jscan_escape(strm_jscan_t *s);
static inline int strm_jscan_number(strm_jscan_t *s);
static int strm_jscan_number_rest(strm_jscan_t *s);
static int strm_jscan_literal(strm_jscan_t *s, const char *lit, size_t n);
static inline void strm_jscan_space(strm_jscan_t *s);
static int strm_jscan_hex(int c);
static const unsigned char *strm_jscan_ascii(const unsigned char *p,
    const unsigned char *end);
static inline const unsigned char *strm_jscan_run(const unsigned char *p,
    const unsigned char *end) __attribute__((always_inline));


int
strm_jscan_object(const char *p, size_t len, unsigned flags)
{
    return strm_jscan_object_index(p, len, flags, NULL);
}


int
strm_jscan_object_index(const char *p, size_t len, unsigned flags,
    strm_jscan_index_t *ix)
{
    strm_jscan_t  s;

    s.p = (const unsigned char *) p;
    s.end = s.p + len;
    s.flags = flags;
    s.depth = 0;
    s.ix = ix;
    s.top = -1;

    if (ix != NULL) {
        ix->n = 0;
        ix->complete = 1;
    }

    strm_jscan_space(&s);

    if (s.p == s.end || *s.p != '{') {
        return 0;
    }

    if (!strm_jscan_value(&s)) {
        return 0;
    }

    strm_jscan_space(&s);

    return s.p == s.end;
}


static inline void
strm_jscan_space(strm_jscan_t *s)
{
    if (s->flags & STRM_JSCAN_COMPACT) {
        return;
    }

    /* most often there is none */
    if (s->p < s->end && *s->p > ' ') {
        return;
    }

    while (s->p < s->end
           && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n'
               || *s->p == '\r'))
    {
        s->p++;
    }
}


static int
strm_jscan_value(strm_jscan_t *s)
{
    int  esc;

    if (s->p == s->end) {
        return 0;
    }

    switch (*s->p) {

    case '{':
        return strm_jscan_object_body(s);

    case '[':
        return strm_jscan_array(s);

    case '"':
        return strm_jscan_string(s, &esc);

    case 't':
        return strm_jscan_literal(s, "true", 4);

    case 'f':
        return strm_jscan_literal(s, "false", 5);

    case 'n':
        return strm_jscan_literal(s, "null", 4);

    default:
        return strm_jscan_number(s);
    }
}


static int
strm_jscan_object_body(strm_jscan_t *s)
{
    int                   esc;
    size_t                i, n, len;
    uint64_t              seen, bit;
    const unsigned char  *name, *nend;
    strm_jscan_member_t  *m;
    const unsigned char  *names[STRM_JSCAN_MEMBERS];
    size_t                lens[STRM_JSCAN_MEMBERS];

    if (++s->depth > STRM_JSCAN_DEPTH) {
        return 0;
    }

    s->p++;
    strm_jscan_space(s);

    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return 1;
    }

    n = 0;
    seen = 0;

    for ( ;; ) {
        if (s->p == s->end || *s->p != '"') {
            return 0;
        }

        name = s->p + 1;

        if (!strm_jscan_string(s, &esc)) {
            return 0;
        }

        nend = s->p - 1;

        if (s->flags & STRM_JSCAN_UNIQUE) {
            if (esc || n == STRM_JSCAN_MEMBERS) {
                return 0;
            }

            len = s->p - 1 - name;

            /* a name's bit of its length and last byte: the earlier
               names are compared only when the bit was set before */
            bit = (uint64_t) 1
                  << ((len + (len ? name[len - 1] : 0) * 5) & 63);

            if (seen & bit) {
                for (i = 0; i < n; i++) {
                    if (lens[i] == len && memcmp(names[i], name, len) == 0)
                    {
                        return 0;
                    }
                }
            }

            seen |= bit;

            names[n] = name;
            lens[n] = len;
            n++;
        }

        strm_jscan_space(s);

        if (s->p == s->end || *s->p != ':') {
            return 0;
        }

        s->p++;
        strm_jscan_space(s);

        m = NULL;

        if (s->ix != NULL && s->depth <= 2) {
            if (s->ix->n == STRM_JSCAN_INDEX) {
                s->ix->complete = 0;

            } else {
                m = &s->ix->m[s->ix->n];
                m->name = (const char *) name;
                m->nlen = nend - name;
                m->v = (const char *) s->p;
                m->parent = (s->depth == 1) ? -1 : s->top;

                if (s->depth == 1) {
                    s->top = (int) s->ix->n;
                }

                s->ix->n++;
            }
        }

        if (!strm_jscan_value(s)) {
            return 0;
        }

        if (m != NULL) {
            m->vend = (const char *) s->p;
        }

        strm_jscan_space(s);

        if (s->p == s->end) {
            return 0;
        }

        if (*s->p == '}') {
            s->p++;
            s->depth--;
            return 1;
        }

        if (*s->p != ',') {
            return 0;
        }

        s->p++;
        strm_jscan_space(s);
    }
}


static int
strm_jscan_array(strm_jscan_t *s)
{
    if (++s->depth > STRM_JSCAN_DEPTH) {
        return 0;
    }

    s->p++;
    strm_jscan_space(s);

    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->depth--;
        return 1;
    }

    for ( ;; ) {
        if (!strm_jscan_value(s)) {
            return 0;
        }

        strm_jscan_space(s);

        if (s->p == s->end) {
            return 0;
        }

        if (*s->p == ']') {
            s->p++;
            s->depth--;
            return 1;
        }

        if (*s->p != ',') {
            return 0;
        }

        s->p++;
        strm_jscan_space(s);
    }
}


/*
 * The string at s->p (its opening quote); *esc 1 when it has an escape.
 * Inline for the common string, plain to its closing quote.
 */
static inline int
strm_jscan_string(strm_jscan_t *s, int *esc)
{
    const unsigned char  *p;

    *esc = 0;
    p = strm_jscan_run(s->p + 1, s->end);

    if (p < s->end && *p == '"') {
        s->p = p + 1;
        return 1;
    }

    return strm_jscan_string_rest(s, p, esc);
}


/* the string from p on, where its plain run stopped */
static int
strm_jscan_string_rest(strm_jscan_t *s, const unsigned char *p, int *esc)
{
    size_t                n;
    const unsigned char  *q;

    for ( ;; ) {
        if (p == s->end) {
            return 0;
        }

        if (*p == '"') {
            s->p = p + 1;
            return 1;
        }

        if (*p == '\\') {
            *esc = 1;
            s->p = p;

            if (!strm_jscan_escape(s)) {
                return 0;
            }

            p = s->p;

        } else if (*p < 0x20) {
            return 0;

        } else {
            /* UTF-8: up to the next ASCII byte */
            q = p;

            while (q < s->end && *q >= 0x80) {
                q++;
            }

            n = q - p;

            if (!strm_jscan_utf8(p, n)) {
                return 0;
            }

            p = q;
        }

        /* the plain run: printable ASCII but '"' and '\' */
        p = strm_jscan_run(p, s->end);
    }
}


/*
 * Past the bytes a string holds as they are: eight at a time while none
 * of the eight is below 0x20, '"', '\' or 0x80 and up (the word
 * tests of "has a zero byte" never miss one), then byte by byte.
 */

#define STRM_JSCAN_ONES   0x0101010101010101ULL
#define STRM_JSCAN_HIGHS  0x8080808080808080ULL
#define strm_jscan_zero(x)  (((x) - STRM_JSCAN_ONES) & ~(x))

static inline const unsigned char *
strm_jscan_run(const unsigned char *p, const unsigned char *end)
{
    uint64_t  x, q, b;

#if defined(__SSE2__)
    int       m;
    __m128i   v;

    /* sixteen at a time: '"', '\\', and below 0x20 or 0x80 and up as a
       signed byte is below 0x20 */
    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);
        m = _mm_movemask_epi8(
                _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

        if (m != 0) {
            return p + __builtin_ctz((unsigned) m);
        }

        p += 16;
    }
#endif

    while (end - p >= 8) {
        memcpy(&x, p, 8);
        q = x ^ (STRM_JSCAN_ONES * '"');
        b = x ^ (STRM_JSCAN_ONES * '\\');

        if ((((x - STRM_JSCAN_ONES * 0x20) & ~x) | x | strm_jscan_zero(q)
             | strm_jscan_zero(b))
            & STRM_JSCAN_HIGHS)
        {
            break;
        }

        p += 8;
    }

    while (p < end && strm_jscan_plain_byte[*p]) {
        p++;
    }

    return p;
}


size_t
strm_jscan_plain(const char *p, size_t n)
{
    return strm_jscan_run((const unsigned char *) p,
                          (const unsigned char *) p + n)
           - (const unsigned char *) p;
}


/* past the ASCII bytes at p, 16 at a time with SSE2, else 8 */
static const unsigned char *
strm_jscan_ascii(const unsigned char *p, const unsigned char *end)
{
    uint64_t  x;

#if defined(__SSE2__)
    int       m;

    while (end - p >= 16) {
        m = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) p));

        if (m != 0) {
            return p + __builtin_ctz((unsigned) m);
        }

        p += 16;
    }
#endif

    while (end - p >= 8) {
        memcpy(&x, p, 8);

        if (x & STRM_JSCAN_HIGHS) {
            break;
        }

        p += 8;
    }

    while (p < end && *p < 0x80) {
        p++;
    }

    return p;
}


/* the escape at s->p (its backslash) */
static int
strm_jscan_escape(strm_jscan_t *s)
{
    int                   i, c, h;
    const unsigned char  *p;

    p = s->p;

    if (s->end - p < 2) {
        return 0;
    }

    switch (p[1]) {

    case '"':
    case '\\':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        s->p = p + 2;
        return 1;

    case '/':
        /* jansson writes "/" as it is */
        if (s->flags & STRM_JSCAN_COMPACT) {
            return 0;
        }

        s->p = p + 2;
        return 1;

    case 'u':
        break;

    default:
        return 0;
    }

    if (s->end - p < 6) {
        return 0;
    }

    c = 0;

    for (i = 2; i < 6; i++) {
        h = strm_jscan_hex(p[i]);

        if (h < 0) {
            return 0;
        }

        c = c * 16 + h;
    }

    /* surrogates: jansson checks the pairs */
    if (c >= 0xd800 && c <= 0xdfff) {
        return 0;
    }

    if (c == 0 && !(s->flags & STRM_JSCAN_ALLOW_NUL)) {
        return 0;
    }

    if (s->flags & STRM_JSCAN_COMPACT) {
        /* jansson's "\u%04X", for control characters without a name */
        if (c >= 0x20 || c == '\b' || c == '\f' || c == '\n' || c == '\r'
            || c == '\t')
        {
            return 0;
        }

        for (i = 2; i < 6; i++) {
            if (p[i] >= 'a' && p[i] <= 'f') {
                return 0;
            }
        }
    }

    s->p = p + 6;

    return 1;
}


static int
strm_jscan_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


int
strm_jscan_utf8(const unsigned char *p, size_t n)
{
    size_t    i, k, j;
    uint32_t  c, min;

    i = 0;

    while (i < n) {
        /* ASCII: the plain run's bytes, and '"', '\' and controls */
        i += strm_jscan_ascii(p + i, p + n) - (p + i);

        if (i == n) {
            break;
        }

        c = p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            c &= 0x1f;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            c &= 0x0f;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            c &= 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (n - i - 1 < k) {
            return 0;
        }

        for (j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (p[i + j] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }

        i += k + 1;
    }

    return 1;
}


static int
strm_jscan_literal(strm_jscan_t *s, const char *lit, size_t n)
{
    if ((size_t) (s->end - s->p) < n || memcmp(s->p, lit, n) != 0) {
        return 0;
    }

    s->p += n;

    return 1;
}


/*
 * Integers of up to 18 digits are taken as they are.  Longer ones and
 * reals go through jansson (overflow; in compact text, the form jansson
 * writes): rare in events.
 */
static inline int
strm_jscan_number(strm_jscan_t *s)
{
    const unsigned char  *p;

    /* inline: a non-negative integer of up to 18 digits, not 0, ended
       by what may follow a value in compact text */
    p = s->p;

    if (p < s->end && *p >= '1' && *p <= '9') {
        do {
            p++;
        } while (p < s->end && *p >= '0' && *p <= '9');

        if (p - s->p <= 18
            && p < s->end && (*p == ',' || *p == '}' || *p == ']'))
        {
            s->p = p;
            return 1;
        }
    }

    return strm_jscan_number_rest(s);
}


static int
strm_jscan_number_rest(strm_jscan_t *s)
{
    int                   real;
    size_t                n, digits;
    json_t               *v;
    const unsigned char  *p, *start;
    char                  buf[STRM_JSCAN_NUMBER];

    start = s->p;
    p = start;
    real = 0;

    if (p < s->end && *p == '-') {
        p++;
    }

    if (p == s->end || *p < '0' || *p > '9') {
        return 0;
    }

    if (*p == '0') {
        p++;

    } else {
        while (p < s->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    digits = p - start - (*start == '-');

    if (p < s->end && *p == '.') {
        real = 1;
        p++;

        if (p == s->end || *p < '0' || *p > '9') {
            return 0;
        }

        while (p < s->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < s->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;

        if (p < s->end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == s->end || *p < '0' || *p > '9') {
            return 0;
        }

        while (p < s->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    s->p = p;
    n = p - start;

    if (!real) {
        if (digits > 18) {
            return 0;
        }

        /* jansson writes -0 as 0 */
        return !((s->flags & STRM_JSCAN_COMPACT) && n == 2
                 && start[0] == '-' && start[1] == '0');
    }

    if (n >= sizeof(buf)) {
        return 0;
    }

    v = json_loadb((const char *) start, n, JSON_DECODE_ANY, NULL);

    if (v == NULL) {
        return 0;
    }

    if (s->flags & STRM_JSCAN_COMPACT) {
        if (json_dumpb(v, buf, sizeof(buf), JSON_COMPACT | JSON_ENCODE_ANY)
            != n
            || memcmp(buf, start, n) != 0)
        {
            json_decref(v);
            return 0;
        }
    }

    json_decref(v);

    return 1;
}


int
strm_jscan_member(const char *p, const char *end, const char *name,
    size_t n, const char **v, const char **vend)
{
    int          match;
    const char  *s, *e;

    if (p == end || *p != '{') {
        return 0;
    }

    s = p + 1;

    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
    }

    if (s == end || *s == '}') {
        return 0;
    }

    for ( ;; ) {
        /* a member name, then ":" (accepted text) */
        e = strm_jscan_skip(s, end);

        if (e == NULL) {
            return 0;
        }

        match = ((size_t) (e - s) == n + 2 && memcmp(s + 1, name, n) == 0);

        while (e < end && *e != ':') {
            e++;
        }

        e++;

        while (e < end
               && (*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r'))
        {
            e++;
        }

        if (e >= end) {
            return 0;
        }

        if (match) {
            *v = e;
            *vend = strm_jscan_skip(e, end);
            return *vend != NULL;
        }

        s = strm_jscan_skip(e, end);

        if (s == NULL) {
            return 0;
        }

        while (s < end && *s != ',' && *s != '}') {
            s++;
        }

        if (s == end || *s == '}') {
            return 0;
        }

        s++;

        while (s < end
               && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        {
            s++;
        }
    }
}


const char *
strm_jscan_skip(const char *p, const char *end)
{
    int  depth, str;

    if (p >= end) {
        return NULL;
    }

    if (*p == '"') {
        for (p++; p < end; p++) {
            p = (const char *) strm_jscan_run((const unsigned char *) p,
                                              (const unsigned char *) end);

            if (p == end) {
                break;
            }

            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                return p + 1;
            }
        }

        return NULL;
    }

    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' '
               && *p != '\t' && *p != '\n' && *p != '\r')
        {
            p++;
        }

        return p;
    }

    depth = 0;
    str = 0;

    for ( /* void */ ; p < end; p++) {
        if (str) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                str = 0;
            }

            continue;
        }

        switch (*p) {

        case '"':
            str = 1;
            break;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (--depth == 0) {
                return p + 1;
            }

            break;

        default:
            break;
        }
    }

    return NULL;
}


int
strm_jscan_path(const strm_jscan_index_t *ix, const char *p, size_t len,
    const char *path, const char **v, const char **vend)
{
    int          parent;
    size_t       i, n;
    const char  *e, *o, *oend;

    o = p;
    oend = p + len;
    parent = -1;

    for ( ;; ) {
        e = strchr(path, '/');
        n = (e != NULL) ? (size_t) (e - path) : strlen(path);

        if (ix != NULL && ix->complete && parent >= -1) {
            for (i = 0; i < ix->n; i++) {
                if (ix->m[i].parent == parent && ix->m[i].nlen == n
                    && memcmp(ix->m[i].name, path, n) == 0)
                {
                    break;
                }
            }

            if (i == ix->n) {
                return 0;
            }

            o = ix->m[i].v;
            oend = ix->m[i].vend;

            /* only objects that are values of top-level members have
               their members in the index */
            parent = (parent == -1) ? (int) i : -2;

        } else if (!strm_jscan_member(o, oend, path, n, &o, &oend)) {
            return 0;
        }

        if (e == NULL) {
            *v = o;
            *vend = oend;
            return 1;
        }

        if (*o != '{') {
            return 0;
        }

        path = e + 1;
    }
}
