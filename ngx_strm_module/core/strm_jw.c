
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "strm_b64.h"
#include "strm_jw.h"


/* a field's ciphertext and its base64 up to this fit on the stack */
#define STRM_JW_FIELD_BUF  1024

/*
 * Does any of a word's eight bytes need an escape: a control character
 * (below 0x20), '"' or '\\'?  (x - n) & ~x & 0x80.. finds a byte below
 * n; a byte equal to c is a zero byte of x ^ c.)
 */
#define STRM_JW_ONES       0x0101010101010101ULL
#define STRM_JW_HIGH       0x8080808080808080ULL
#define strm_jw_zero(x)    (((x) - STRM_JW_ONES) & ~(x) & STRM_JW_HIGH)
#define strm_jw_escape(x)                                                    \
    ((((x) - STRM_JW_ONES * 0x20) & ~(x) & STRM_JW_HIGH)                      \
     | strm_jw_zero((x) ^ (STRM_JW_ONES * '"'))                              \
     | strm_jw_zero((x) ^ (STRM_JW_ONES * '\\')))


static int strm_jw_encrypt(strm_jw_t *w, strm_jw_mem_t *m);


/* the bytes a JSON string escapes: the control characters, '"', '\\' */
static const unsigned char  strm_jw_escaped[256] = {
    [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1
};


static const struct {
    const char  *name;
    size_t       len;
} strm_jw_stamps[] = {
    { "timestamp", 9 },
    { "nonce", 5 },
    { "keyLink", 7 }
};


int
strm_jw_init(strm_jw_t *w, size_t size)
{
    memset(w, 0, sizeof(strm_jw_t));

    w->data = malloc(size);
    if (w->data == NULL) {
        return -1;
    }

    w->size = size;
    w->rc = STRM_E_NOMEM;

    return 0;
}


void
strm_jw_init_buf(strm_jw_t *w, char *data, size_t size)
{
    memset(w, 0, sizeof(strm_jw_t));

    w->data = data;
    w->size = size;
    w->rc = STRM_E_NOMEM;
}


void
strm_jw_free(strm_jw_t *w)
{
    if (w->data != NULL) {
        /* it may hold a PII field's clear text, overwritten since */
        OPENSSL_cleanse(w->data, w->size);
        free(w->data);
        w->data = NULL;
    }
}


void
strm_jw_root(const strm_jw_t *w, strm_jw_obj_t *o)
{
    memset(o, 0, sizeof(strm_jw_obj_t));

    o->limit = w->nhooks;
    o->any = (w->nhooks > 0);
    o->root = 1;
}


void
strm_jw_none(strm_jw_obj_t *o)
{
    memset(o, 0, sizeof(strm_jw_obj_t));
}


int
strm_jw_grow(strm_jw_t *w, size_t n)
{
    char    *p;
    size_t   size;

    size = w->size;

    while (size - w->len < n) {
        size *= 2;
    }

    p = realloc(w->data, size);
    if (p == NULL) {
        w->rc = STRM_E_NOMEM;
        return -1;
    }

    w->data = p;
    w->size = size;

    return 0;
}


/* a JSON string: runs that need no escape copied whole */
int
strm_jw_string(strm_jw_t *w, const char *s, size_t len)
{
    char           *p;
    size_t          i, run;
    uint64_t        x;
    unsigned char   c;

    static const char  hex[] = "0123456789ABCDEF";

    /* the worst case: every byte a 6-byte escape, and the quotes */
    if (w->size - w->len < len * 6 + 2 && strm_jw_grow(w, len * 6 + 2) != 0)
    {
        return -1;
    }

    p = w->data + w->len;
    *p++ = '"';

    i = 0;

    while (i < len) {
        run = i;

        /* eight bytes at a time, then the one that stopped the word */
        while (len - i >= 8) {
            memcpy(&x, s + i, 8);

            if (strm_jw_escape(x)) {
                break;
            }

            i += 8;
        }

        while (i < len && !strm_jw_escaped[(unsigned char) s[i]]) {
            i++;
        }

        if (i > run) {
            memcpy(p, s + run, i - run);
            p += i - run;
        }

        if (i == len) {
            break;
        }

        c = (unsigned char) s[i++];
        *p++ = '\\';

        switch (c) {
        case '"':
        case '\\':
            *p++ = (char) c;
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
        }
    }

    *p++ = '"';
    w->len = p - w->data;

    return 0;
}


/* "00" to "99": two digits a step, half the divisions */
static const char  strm_jw_digits[200] = {
    '0','0','0','1','0','2','0','3','0','4','0','5','0','6','0','7','0','8',
    '0','9','1','0','1','1','1','2','1','3','1','4','1','5','1','6','1','7',
    '1','8','1','9','2','0','2','1','2','2','2','3','2','4','2','5','2','6',
    '2','7','2','8','2','9','3','0','3','1','3','2','3','3','3','4','3','5',
    '3','6','3','7','3','8','3','9','4','0','4','1','4','2','4','3','4','4',
    '4','5','4','6','4','7','4','8','4','9','5','0','5','1','5','2','5','3',
    '5','4','5','5','5','6','5','7','5','8','5','9','6','0','6','1','6','2',
    '6','3','6','4','6','5','6','6','6','7','6','8','6','9','7','0','7','1',
    '7','2','7','3','7','4','7','5','7','6','7','7','7','8','7','9','8','0',
    '8','1','8','2','8','3','8','4','8','5','8','6','8','7','8','8','8','9',
    '9','0','9','1','9','2','9','3','9','4','9','5','9','6','9','7','9','8',
    '9','9'
};


int
strm_jw_integer(strm_jw_t *w, json_int_t v)
{
    char      num[24], *p;
    size_t    n;
    uint64_t  u, q;

    p = num + sizeof(num);
    u = (v < 0) ? 0 - (uint64_t) v : (uint64_t) v;

    while (u >= 100) {
        q = u / 100;
        n = (size_t) (u - q * 100) * 2;
        u = q;
        p -= 2;
        p[0] = strm_jw_digits[n];
        p[1] = strm_jw_digits[n + 1];
    }

    if (u >= 10) {
        p -= 2;
        p[0] = strm_jw_digits[u * 2];
        p[1] = strm_jw_digits[u * 2 + 1];

    } else {
        *--p = (char) ('0' + u);
    }

    if (v < 0) {
        *--p = '-';
    }

    return strm_jw_put(w, p, num + sizeof(num) - p);
}


/* a real: rare, and jansson's own digits */
int
strm_jw_real(strm_jw_t *w, double v)
{
    int      rc;
    char    *text;
    json_t  *r;

    r = json_real(v);
    if (r == NULL) {
        w->rc = STRM_E_NOMEM;
        return -1;
    }

    text = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(r);

    if (text == NULL) {
        w->rc = STRM_E_NOMEM;
        return -1;
    }

    rc = strm_jw_put(w, text, strlen(text));
    free(text);

    return rc;
}


int
strm_jw_obj_begin(strm_jw_t *w, strm_jw_obj_t *o, const strm_jw_obj_t *ctx)
{
    *o = *ctx;
    o->n = 0;
    o->seen = 0;

    return strm_jw_put(w, "{", 1);
}


int
strm_jw_obj_end(strm_jw_t *w, strm_jw_obj_t *o)
{
    int            k;
    strm_jw_mem_t  m;

    /* the stamps strmMeta lacks, added at its end */
    for (k = 0; o->meta && k < 3; k++) {
        if (o->seen & (1u << k)) {
            continue;
        }

        if (strm_jw_member(w, o, strm_jw_stamps[k].name,
                           strm_jw_stamps[k].len, &m)
            != 0
            || strm_jw_stamp(w, &m) != 0
            || strm_jw_member_end(w, &m) != 0)
        {
            return -1;
        }
    }

    return strm_jw_put(w, "}", 1);
}


/*
 * The member's name; which hook it is, if any; which hooks go on below
 * it; whether it is strmMeta or one of strmMeta's stamps.
 */
static int strm_jw_member_at(strm_jw_t *w, strm_jw_obj_t *o,
    const char *name, size_t len, strm_jw_mem_t *m, int plain);


int
strm_jw_member(strm_jw_t *w, strm_jw_obj_t *o, const char *name,
    size_t len, strm_jw_mem_t *m)
{
    return strm_jw_member_at(w, o, name, len, m, 0);
}


int
strm_jw_member_plain(strm_jw_t *w, strm_jw_obj_t *o, const char *name,
    size_t len, strm_jw_mem_t *m)
{
    return strm_jw_member_at(w, o, name, len, m, 1);
}


static int
strm_jw_member_at(strm_jw_t *w, strm_jw_obj_t *o, const char *name,
    size_t len, strm_jw_mem_t *m, int plain)
{
    char  *p;

    int                    k, slash;
    size_t                 i, end, cont;
    const strm_jw_hook_t  *h;

    m->hook = -1;
    m->stamp = 0;
    m->str = NULL;
    m->slen = 0;

    memset(&m->child, 0, sizeof(strm_jw_obj_t));
    m->child.limit = o->limit;

    if (o->any) {
        cont = o->limit;
        end = o->off + len;
        slash = -1;

        for (i = 0; i < o->limit; i++) {
            h = &w->hooks[i];

            if (h->len < end
                || (h->len > end && h->path[end] != '/')
                || (len > 0 && h->path[o->off] != name[0])
                || memcmp(h->path + o->off, name, len) != 0
                || (o->off > 0
                    && memcmp(h->path, w->hooks[o->rep].path, o->off) != 0))
            {
                continue;
            }

            /* a name with a '/' is no step of a path: looked for once,
             * in a name that a hook's step matches */
            if (slash < 0) {
                slash = (memchr(name, '/', len) != NULL);
            }

            if (slash) {
                break;
            }

            if (h->len == end) {
                m->hook = (int) i;

            } else if (cont == o->limit) {
                cont = i;
            }
        }

        if (m->hook >= 0) {
            m->child.limit = (size_t) m->hook;
        }

        if (cont < m->child.limit) {
            m->child.any = 1;
            m->child.rep = cont;
            m->child.off = end + 1;
        }
    }

    if (o->root && w->stamp && len == 8 && memcmp(name, "strmMeta", 8) == 0)
    {
        m->child.meta = 1;
    }

    if (o->meta) {
        for (k = 0; k < 3; k++) {
            if (len == strm_jw_stamps[k].len
                && name[0] == strm_jw_stamps[k].name[0]
                && memcmp(name, strm_jw_stamps[k].name, len) == 0)
            {
                m->stamp = k + 1;
                o->seen |= 1u << k;
                break;
            }
        }
    }

    if (plain) {
        /* nothing to escape: ,"name": at once */
        if (w->size - w->len < len + 4 && strm_jw_grow(w, len + 4) != 0) {
            return -1;
        }

        p = w->data + w->len;

        if (o->n++ > 0) {
            *p++ = ',';
        }

        *p++ = '"';

        /* a name of 4 to 16 bytes in two overlapping moves, no call */
        if (len >= 8 && len <= 16) {
            memcpy(p, name, 8);
            memcpy(p + len - 8, name + len - 8, 8);

        } else if (len >= 4 && len < 8) {
            memcpy(p, name, 4);
            memcpy(p + len - 4, name + len - 4, 4);

        } else {
            memcpy(p, name, len);
        }

        p += len;
        *p++ = '"';
        *p++ = ':';
        w->len = p - w->data;

    } else if ((o->n++ > 0 && strm_jw_put(w, ",", 1) != 0)
               || strm_jw_string(w, name, len) != 0
               || strm_jw_put(w, ":", 1) != 0)
    {
        return -1;
    }

    m->start = w->len;

    return 0;
}


int
strm_jw_stamp(strm_jw_t *w, strm_jw_mem_t *m)
{
    switch (m->stamp) {

    case STRM_JW_TIMESTAMP:
        return strm_jw_integer(w, w->ts);

    case STRM_JW_NONCE:
        return strm_jw_integer(w, w->nonce);

    default: /* STRM_JW_KEY_LINK */
        if (w->link == NULL) {
            return strm_jw_put(w, "null", 4);
        }

        m->str = w->link;
        m->slen = 36;

        return strm_jw_string(w, w->link, 36);
    }
}


int
strm_jw_member_end(strm_jw_t *w, strm_jw_mem_t *m)
{
    if (m->hook < 0) {
        return 0;
    }

    /* null stays */
    if (w->len - m->start == 4 && memcmp(w->data + m->start, "null", 4) == 0)
    {
        return 0;
    }

    return strm_jw_encrypt(w, m);
}


/* the value just written replaced by its ciphertext's base64 */
static int
strm_jw_encrypt(strm_jw_t *w, strm_jw_mem_t *m)
{
    size_t                 len, clen, blen;
    strm_rc_t              rc;
    unsigned char         *ct, *heap;
    const unsigned char   *pt;
    const strm_jw_hook_t  *h;
    unsigned char          buf[STRM_JW_FIELD_BUF];

    h = &w->hooks[m->hook];

    if (m->str != NULL) {
        pt = (const unsigned char *) m->str;
        len = m->slen;

    } else {
        pt = (const unsigned char *) w->data + m->start;
        len = w->len - m->start;
    }

    /* the ciphertext (no secret), on the stack if short */
    clen = strm_tink_ciphertext_len(w->daead, len);
    heap = NULL;

    if (clen <= sizeof(buf)) {
        ct = buf;

    } else {
        heap = malloc(clen);
        if (heap == NULL) {
            w->rc = STRM_E_NOMEM;
            return -1;
        }

        ct = heap;
    }

    rc = strm_tink_encrypt(w->daead, (const unsigned char *) h->path, h->len,
                           pt, len, ct, &clen);

    /* the clear text written goes, before the buffer may move */
    OPENSSL_cleanse(w->data + m->start, w->len - m->start);
    w->len = m->start;

    if (rc != STRM_OK) {
        free(heap);
        w->rc = rc;
        return -1;
    }

    /* the base64 straight where the clear text was: it needs no escape */
    blen = strm_b64_encoded_len(clen);

    if (w->size - w->len < blen + 2 && strm_jw_grow(w, blen + 2) != 0) {
        free(heap);
        return -1;
    }

    w->data[w->len++] = '"';
    w->len += strm_b64_encode((unsigned char *) w->data + w->len, ct, clen);
    w->data[w->len++] = '"';

    free(heap);
    w->nenc++;

    return 0;
}


int
strm_jw_tree(strm_jw_t *w, const json_t *v, const strm_jw_obj_t *ctx,
    const char **str, size_t *slen)
{
    size_t          i, klen;
    json_t         *m;
    const char     *k;
    strm_jw_obj_t   o, none;
    strm_jw_mem_t   mem;

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        if (strm_jw_obj_begin(w, &o, ctx) != 0) {
            return -1;
        }

        json_object_keylen_foreach((json_t *) v, k, klen, m) {
            if (strm_jw_member(w, &o, k, klen, &mem) != 0
                || (mem.stamp
                    ? strm_jw_stamp(w, &mem)
                    : strm_jw_tree(w, m, &mem.child, &mem.str, &mem.slen))
                   != 0
                || strm_jw_member_end(w, &mem) != 0)
            {
                return -1;
            }
        }

        return strm_jw_obj_end(w, &o);

    case JSON_ARRAY:
        if (strm_jw_put(w, "[", 1) != 0) {
            return -1;
        }

        strm_jw_none(&none);

        json_array_foreach(v, i, m) {
            if ((i > 0 && strm_jw_put(w, ",", 1) != 0)
                || strm_jw_tree(w, m, &none, NULL, NULL) != 0)
            {
                return -1;
            }
        }

        return strm_jw_put(w, "]", 1);

    case JSON_STRING:
        if (str != NULL) {
            *str = json_string_value(v);
            *slen = json_string_length(v);
        }

        return strm_jw_string(w, json_string_value(v),
                              json_string_length(v));

    case JSON_INTEGER:
        return strm_jw_integer(w, json_integer_value(v));

    case JSON_TRUE:
        return strm_jw_put(w, "true", 4);

    case JSON_FALSE:
        return strm_jw_put(w, "false", 5);

    case JSON_NULL:
        return strm_jw_put(w, "null", 4);

    default:
        return strm_jw_real(w, json_real_value(v));
    }
}
