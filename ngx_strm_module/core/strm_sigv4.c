
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "strm_sigv4.h"


#define STRM_SIGV4_KEY_LEN  32         /* HMAC-SHA256 output */


/* a growing string: after a failed allocation every append is a no-op */
typedef struct {
    char                       *data;
    size_t                      len;
    size_t                      size;
    int                         nomem;
} strm_sigv4_buf_t;


/* one header to sign; sorted by name, then by position */
typedef struct {
    const char                 *name;
    const char                 *value;
    size_t                      index;
} strm_sigv4_hdr_t;


/* one query parameter, encoded: "name\0value\0" in one allocation */
typedef struct {
    char                       *name;
    char                       *value;
} strm_sigv4_param_t;


static char *strm_sigv4_buf_reserve(strm_sigv4_buf_t *b, size_t len);
static void strm_sigv4_buf_add(strm_sigv4_buf_t *b, const char *s,
    size_t len);
static void strm_sigv4_buf_str(strm_sigv4_buf_t *b, const char *s);
static void strm_sigv4_buf_encode(strm_sigv4_buf_t *b, const char *s,
    size_t len, int encode_slash);
static strm_rc_t strm_sigv4_check(const strm_sigv4_request_t *req);
static int strm_sigv4_is_scope(const char *s);
static int strm_sigv4_is_token(const char *s);
static int strm_sigv4_name_cmp(const char *a, const char *b);
static int strm_sigv4_hdr_cmp(const void *one, const void *two);
static int strm_sigv4_param_cmp(const void *one, const void *two);
static strm_rc_t strm_sigv4_uri(strm_sigv4_buf_t *b,
    const strm_sigv4_request_t *req);
static strm_rc_t strm_sigv4_query(strm_sigv4_buf_t *b, const char *query);
static size_t strm_sigv4_decode(char *dst, const char *src, size_t len);
static int strm_sigv4_hex_value(int c);
static strm_rc_t strm_sigv4_headers(strm_sigv4_buf_t *b,
    strm_sigv4_buf_t *signed_headers, const strm_sigv4_request_t *req);
static void strm_sigv4_value(strm_sigv4_buf_t *b, const char *v);
static strm_rc_t strm_sigv4_sha256(const void *data, size_t len,
    unsigned char *md);
static void strm_sigv4_hex(char *dst, const unsigned char *src, size_t len);
static strm_rc_t strm_sigv4_signature(const strm_sigv4_request_t *req,
    const char *sts, size_t len, char *out);
static strm_rc_t strm_sigv4_hmac(EVP_MAC_CTX *ctx, const unsigned char *key,
    size_t klen, const void *data, size_t len, unsigned char *out);


strm_rc_t
strm_sigv4_sign(const strm_sigv4_request_t *req, strm_sigv4_result_t *res)
{
    char               hash[STRM_SIGV4_HEX_LEN + 1];
    strm_rc_t          rc;
    unsigned char      md[STRM_SIGV4_KEY_LEN];
    strm_sigv4_buf_t   creq, sts, sh, authz;

    memset(res, 0, sizeof(strm_sigv4_result_t));
    memset(&creq, 0, sizeof(strm_sigv4_buf_t));
    memset(&sts, 0, sizeof(strm_sigv4_buf_t));
    memset(&sh, 0, sizeof(strm_sigv4_buf_t));
    memset(&authz, 0, sizeof(strm_sigv4_buf_t));

    rc = strm_sigv4_check(req);
    if (rc != STRM_OK) {
        return rc;
    }

    /* the canonical request: six parts, one per line */

    strm_sigv4_buf_str(&creq, req->method);
    strm_sigv4_buf_add(&creq, "\n", 1);

    rc = strm_sigv4_uri(&creq, req);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_buf_add(&creq, "\n", 1);

    rc = strm_sigv4_query(&creq, req->query);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_buf_add(&creq, "\n", 1);

    rc = strm_sigv4_headers(&creq, &sh, req);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_buf_add(&creq, "\n", 1);
    strm_sigv4_buf_add(&creq, sh.data, sh.len);
    strm_sigv4_buf_add(&creq, "\n", 1);

    if (req->payload_hash != NULL) {
        strm_sigv4_buf_str(&creq, req->payload_hash);

    } else {
        rc = strm_sigv4_sha256(req->payload, req->payload_len, md);
        if (rc != STRM_OK) {
            goto failed;
        }

        strm_sigv4_hex(hash, md, sizeof(md));
        strm_sigv4_buf_add(&creq, hash, STRM_SIGV4_HEX_LEN);
    }

    /* an empty buffer still gets its NUL */
    strm_sigv4_buf_add(&creq, "", 1);
    strm_sigv4_buf_add(&sh, "", 1);

    if (creq.nomem || sh.nomem) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    creq.len--;
    sh.len--;

    rc = strm_sigv4_sha256(creq.data, creq.len, md);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_hex(hash, md, sizeof(md));

    /* the string to sign: algorithm, time, scope, hash */

    strm_sigv4_buf_str(&sts, STRM_SIGV4_ALGORITHM "\n");
    strm_sigv4_buf_str(&sts, req->amz_date);
    strm_sigv4_buf_add(&sts, "\n", 1);
    strm_sigv4_buf_add(&sts, req->amz_date, 8);
    strm_sigv4_buf_add(&sts, "/", 1);
    strm_sigv4_buf_str(&sts, req->region);
    strm_sigv4_buf_add(&sts, "/", 1);
    strm_sigv4_buf_str(&sts, req->service);
    strm_sigv4_buf_str(&sts, "/aws4_request\n");
    strm_sigv4_buf_add(&sts, hash, STRM_SIGV4_HEX_LEN);
    strm_sigv4_buf_add(&sts, "", 1);

    if (sts.nomem) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    sts.len--;

    rc = strm_sigv4_signature(req, sts.data, sts.len, res->signature);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_buf_str(&authz, STRM_SIGV4_ALGORITHM " Credential=");
    strm_sigv4_buf_str(&authz, req->access_key);
    strm_sigv4_buf_add(&authz, "/", 1);
    strm_sigv4_buf_add(&authz, req->amz_date, 8);
    strm_sigv4_buf_add(&authz, "/", 1);
    strm_sigv4_buf_str(&authz, req->region);
    strm_sigv4_buf_add(&authz, "/", 1);
    strm_sigv4_buf_str(&authz, req->service);
    strm_sigv4_buf_str(&authz, "/aws4_request, SignedHeaders=");
    strm_sigv4_buf_add(&authz, sh.data, sh.len);
    strm_sigv4_buf_str(&authz, ", Signature=");
    strm_sigv4_buf_add(&authz, res->signature, STRM_SIGV4_HEX_LEN + 1);

    if (authz.nomem) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    res->canonical_request = creq.data;
    res->string_to_sign = sts.data;
    res->signed_headers = sh.data;
    res->authorization = authz.data;

    return STRM_OK;

failed:

    free(creq.data);
    free(sts.data);
    free(sh.data);
    free(authz.data);

    memset(res, 0, sizeof(strm_sigv4_result_t));

    return rc;
}


void
strm_sigv4_result_free(strm_sigv4_result_t *res)
{
    free(res->canonical_request);
    res->canonical_request = NULL;

    free(res->string_to_sign);
    res->string_to_sign = NULL;

    free(res->authorization);
    res->authorization = NULL;

    free(res->signed_headers);
    res->signed_headers = NULL;

    res->signature[0] = '\0';
}


void
strm_sigv4_sha256_hex(const unsigned char *data, size_t len,
    char out[STRM_SIGV4_HEX_LEN + 1])
{
    unsigned char  md[STRM_SIGV4_KEY_LEN];

    if (strm_sigv4_sha256(data, len, md) != STRM_OK) {
        out[0] = '\0';
        return;
    }

    strm_sigv4_hex(out, md, sizeof(md));
}


size_t
strm_sigv4_uri_encode(char *dst, const char *src, size_t len,
    int encode_slash)
{
    size_t          i, n;
    unsigned char   c;

    static const char  hex[] = "0123456789ABCDEF";

    n = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) src[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~' || (c == '/' && !encode_slash))
        {
            if (dst != NULL) {
                dst[n] = (char) c;
            }

            n++;
            continue;
        }

        if (dst != NULL) {
            dst[n] = '%';
            dst[n + 1] = hex[c >> 4];
            dst[n + 2] = hex[c & 0x0f];
        }

        n += 3;
    }

    return n;
}


static char *
strm_sigv4_buf_reserve(strm_sigv4_buf_t *b, size_t len)
{
    char    *p;
    size_t   size;

    if (b->nomem) {
        return NULL;
    }

    if (b->len + len > b->size) {
        size = b->size ? b->size : 256;

        while (size < b->len + len) {
            size *= 2;
        }

        p = realloc(b->data, size);
        if (p == NULL) {
            b->nomem = 1;
            return NULL;
        }

        b->data = p;
        b->size = size;
    }

    return b->data + b->len;
}


static void
strm_sigv4_buf_add(strm_sigv4_buf_t *b, const char *s, size_t len)
{
    char  *p;

    p = strm_sigv4_buf_reserve(b, len);

    if (p != NULL && len > 0) {
        memcpy(p, s, len);
        b->len += len;
    }
}


static void
strm_sigv4_buf_str(strm_sigv4_buf_t *b, const char *s)
{
    strm_sigv4_buf_add(b, s, strlen(s));
}


static void
strm_sigv4_buf_encode(strm_sigv4_buf_t *b, const char *s, size_t len,
    int encode_slash)
{
    char    *p;
    size_t   n;

    n = strm_sigv4_uri_encode(NULL, s, len, encode_slash);

    p = strm_sigv4_buf_reserve(b, n);

    if (p != NULL) {
        b->len += strm_sigv4_uri_encode(p, s, len, encode_slash);
    }
}


static strm_rc_t
strm_sigv4_check(const strm_sigv4_request_t *req)
{
    size_t       i;
    const char  *d;

    if (req->method == NULL || !strm_sigv4_is_token(req->method)
        || !strm_sigv4_is_scope(req->region)
        || !strm_sigv4_is_scope(req->service)
        || !strm_sigv4_is_scope(req->access_key)
        || req->secret_key == NULL || req->amz_date == NULL
        || (req->payload_hash != NULL
            && strpbrk(req->payload_hash, "\r\n") != NULL)
        || (req->payload == NULL && req->payload_len != 0)
        || (req->headers == NULL && req->nheaders != 0))
    {
        return STRM_E_BAD_REQUEST;
    }

    d = req->amz_date;

    if (strlen(d) != STRM_SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z') {
        return STRM_E_BAD_REQUEST;
    }

    for (i = 0; i < STRM_SIGV4_DATE_LEN - 1; i++) {
        if (i != 8 && (d[i] < '0' || d[i] > '9')) {
            return STRM_E_BAD_REQUEST;
        }
    }

    for (i = 0; i < req->nheaders; i++) {
        if (req->headers[i].name == NULL || req->headers[i].value == NULL
            || !strm_sigv4_is_token(req->headers[i].name)
            || strpbrk(req->headers[i].value, "\r\n") != NULL)
        {
            return STRM_E_BAD_REQUEST;
        }
    }

    if (req->session_token != NULL
        && strpbrk(req->session_token, "\r\n") != NULL)
    {
        return STRM_E_BAD_REQUEST;
    }

    return STRM_OK;
}


/*
 * A part of the credential scope (the access key, the region, the
 * service): not empty, and nothing that would break the scope or the
 * Authorization header apart.
 */

static int
strm_sigv4_is_scope(const char *s)
{
    return s != NULL && s[0] != '\0' && strpbrk(s, "/, \t\r\n") == NULL;
}


/* an RFC 9110 token: a method or a header name */

static int
strm_sigv4_is_token(const char *s)
{
    unsigned char  c;

    if (*s == '\0') {
        return 0;
    }

    for ( ;; ) {
        c = (unsigned char) *s++;

        if (c == '\0') {
            return 1;
        }

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        if (strchr("!#$%&'*+-.^_`|~", c) == NULL) {
            return 0;
        }
    }
}


/* byte order of the lowercase names, whatever the locale */

static int
strm_sigv4_name_cmp(const char *a, const char *b)
{
    unsigned char  ca, cb;

    for ( ;; ) {
        ca = (unsigned char) *a++;
        cb = (unsigned char) *b++;

        if (ca >= 'A' && ca <= 'Z') {
            ca = (unsigned char) (ca + ('a' - 'A'));
        }

        if (cb >= 'A' && cb <= 'Z') {
            cb = (unsigned char) (cb + ('a' - 'A'));
        }

        if (ca != cb || ca == '\0') {
            return (int) ca - (int) cb;
        }
    }
}


static int
strm_sigv4_hdr_cmp(const void *one, const void *two)
{
    int                      rc;
    const strm_sigv4_hdr_t  *a, *b;

    a = one;
    b = two;

    rc = strm_sigv4_name_cmp(a->name, b->name);
    if (rc != 0) {
        return rc;
    }

    /* repeated names keep the order of the request */
    return (a->index < b->index) ? -1 : (a->index > b->index);
}


static int
strm_sigv4_param_cmp(const void *one, const void *two)
{
    int                        rc;
    const strm_sigv4_param_t  *a, *b;

    a = one;
    b = two;

    rc = strcmp(a->name, b->name);
    if (rc != 0) {
        return rc;
    }

    return strcmp(a->value, b->value);
}


/*
 * The canonical URI.  Normalising is what the generic services do and
 * S3 must not: "." and empty segments go, ".." removes the segment
 * before it, and a trailing '/' of the path stays when a segment is
 * left.
 */

static strm_rc_t
strm_sigv4_uri(strm_sigv4_buf_t *b, const strm_sigv4_request_t *req)
{
    char         *out;
    size_t        len, n, i, seglen, *stack;
    const char   *path, *p, *end, *seg;

    path = req->path;

    if (path == NULL || path[0] == '\0') {
        path = "/";
    }

    len = strlen(path);

    if (!req->normalize_path) {
        if (req->encode_path) {
            strm_sigv4_buf_encode(b, path, len, 0);

        } else {
            strm_sigv4_buf_add(b, path, len);
        }

        return STRM_OK;
    }

    /*
     * stack: where each kept segment ends in out, for ".." to go back;
     * out is at most one byte longer than path ("a" is "/a")
     */

    out = malloc(len + 2);
    stack = malloc((len + 1) * sizeof(size_t));

    if (out == NULL || stack == NULL) {
        free(out);
        free(stack);
        return STRM_E_NOMEM;
    }

    n = 0;
    i = 0;
    p = path;
    end = path + len;

    while (p < end) {
        seg = p;

        while (p < end && *p != '/') {
            p++;
        }

        seglen = p - seg;

        if (p < end) {
            p++;
        }

        if (seglen == 0 || (seglen == 1 && seg[0] == '.')) {
            continue;
        }

        if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
            if (n > 0) {
                n--;
                i = (n > 0) ? stack[n - 1] : 0;
            }

            continue;
        }

        out[i++] = '/';
        memcpy(out + i, seg, seglen);
        i += seglen;
        stack[n++] = i;
    }

    if (n == 0 || path[len - 1] == '/') {
        out[i++] = '/';
    }

    if (req->encode_path) {
        strm_sigv4_buf_encode(b, out, i, 0);

    } else {
        strm_sigv4_buf_add(b, out, i);
    }

    free(out);
    free(stack);

    return STRM_OK;
}


static strm_rc_t
strm_sigv4_query(strm_sigv4_buf_t *b, const char *query)
{
    char                *tmp, *p;
    size_t               i, n, max, len, nlen, vlen, en, ev;
    strm_rc_t            rc;
    const char          *s, *amp, *eq, *end;
    strm_sigv4_param_t  *params;

    if (query == NULL || query[0] == '\0') {
        return STRM_OK;
    }

    len = strlen(query);
    max = 1;

    for (i = 0; i < len; i++) {
        if (query[i] == '&') {
            max++;
        }
    }

    params = calloc(max, sizeof(strm_sigv4_param_t));
    tmp = malloc(len + 1);

    if (params == NULL || tmp == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    n = 0;
    s = query;
    end = query + len;

    while (s < end) {
        amp = memchr(s, '&', end - s);
        if (amp == NULL) {
            amp = end;
        }

        if (amp == s) {
            s++;
            continue;
        }

        eq = memchr(s, '=', amp - s);
        if (eq == NULL) {
            eq = amp;
        }

        /* decode into tmp, then encode both parts into one allocation */

        nlen = strm_sigv4_decode(tmp, s, eq - s);
        vlen = 0;

        if (eq < amp) {
            vlen = strm_sigv4_decode(tmp + nlen, eq + 1, amp - eq - 1);
        }

        en = strm_sigv4_uri_encode(NULL, tmp, nlen, 1);
        ev = strm_sigv4_uri_encode(NULL, tmp + nlen, vlen, 1);

        p = malloc(en + ev + 2);
        if (p == NULL) {
            rc = STRM_E_NOMEM;
            goto failed;
        }

        (void) strm_sigv4_uri_encode(p, tmp, nlen, 1);
        p[en] = '\0';
        (void) strm_sigv4_uri_encode(p + en + 1, tmp + nlen, vlen, 1);
        p[en + 1 + ev] = '\0';

        params[n].name = p;
        params[n].value = p + en + 1;
        n++;

        s = (amp < end) ? amp + 1 : end;
    }

    qsort(params, n, sizeof(strm_sigv4_param_t), strm_sigv4_param_cmp);

    for (i = 0; i < n; i++) {
        if (i > 0) {
            strm_sigv4_buf_add(b, "&", 1);
        }

        strm_sigv4_buf_str(b, params[i].name);
        strm_sigv4_buf_add(b, "=", 1);
        strm_sigv4_buf_str(b, params[i].value);
    }

    rc = STRM_OK;

failed:

    if (params != NULL) {
        for (i = 0; i < max; i++) {
            free(params[i].name);
        }
    }

    free(params);
    free(tmp);

    return rc;
}


/* "%XX" becomes the byte; a '%' not followed by two hex digits stays */

static size_t
strm_sigv4_decode(char *dst, const char *src, size_t len)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (src[i] == '%' && i + 2 < len) {
            hi = strm_sigv4_hex_value((unsigned char) src[i + 1]);
            lo = strm_sigv4_hex_value((unsigned char) src[i + 2]);

            if (hi >= 0 && lo >= 0) {
                dst[n++] = (char) ((hi << 4) | lo);
                i += 2;
                continue;
            }
        }

        dst[n++] = src[i];
    }

    return n;
}


static int
strm_sigv4_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/*
 * The canonical headers (each "name:value\n", the values of a repeated
 * name joined with ',') into b and the signed header list into sh.
 */

static strm_rc_t
strm_sigv4_headers(strm_sigv4_buf_t *b, strm_sigv4_buf_t *sh,
    const strm_sigv4_request_t *req)
{
    int                host, token;
    char               lc;
    size_t             i, n;
    const char        *c;
    strm_sigv4_hdr_t  *h;

    h = malloc((req->nheaders + 1) * sizeof(strm_sigv4_hdr_t));
    if (h == NULL) {
        return STRM_E_NOMEM;
    }

    host = 0;
    token = 0;

    for (i = 0; i < req->nheaders; i++) {
        h[i].name = req->headers[i].name;
        h[i].value = req->headers[i].value;
        h[i].index = i;

        if (strm_sigv4_name_cmp(h[i].name, "host") == 0) {
            host = 1;

        } else if (strm_sigv4_name_cmp(h[i].name, "x-amz-security-token")
                   == 0)
        {
            token = 1;
        }
    }

    if (!host) {
        free(h);
        return STRM_E_BAD_REQUEST;
    }

    n = req->nheaders;

    if (req->session_token != NULL && !token) {
        h[n].name = "x-amz-security-token";
        h[n].value = req->session_token;
        h[n].index = n;
        n++;
    }

    qsort(h, n, sizeof(strm_sigv4_hdr_t), strm_sigv4_hdr_cmp);

    for (i = 0; i < n; i++) {
        if (i > 0 && strm_sigv4_name_cmp(h[i].name, h[i - 1].name) == 0) {
            strm_sigv4_buf_add(b, ",", 1);
            strm_sigv4_value(b, h[i].value);
            continue;
        }

        if (i > 0) {
            strm_sigv4_buf_add(b, "\n", 1);
            strm_sigv4_buf_add(sh, ";", 1);
        }

        for (c = h[i].name; *c != '\0'; c++) {
            lc = (*c >= 'A' && *c <= 'Z') ? (char) (*c + ('a' - 'A')) : *c;
            strm_sigv4_buf_add(b, &lc, 1);
            strm_sigv4_buf_add(sh, &lc, 1);
        }

        strm_sigv4_buf_add(b, ":", 1);
        strm_sigv4_value(b, h[i].value);
    }

    strm_sigv4_buf_add(b, "\n", 1);

    free(h);

    return STRM_OK;
}


/* the value trimmed, each run of spaces and tabs made one space */

static void
strm_sigv4_value(strm_sigv4_buf_t *b, const char *v)
{
    int          space;
    const char  *start;

    while (*v == ' ' || *v == '\t') {
        v++;
    }

    space = 0;

    while (*v != '\0') {
        if (*v == ' ' || *v == '\t') {
            space = 1;
            v++;
            continue;
        }

        if (space) {
            strm_sigv4_buf_add(b, " ", 1);
            space = 0;
        }

        start = v;

        while (*v != '\0' && *v != ' ' && *v != '\t') {
            v++;
        }

        strm_sigv4_buf_add(b, start, v - start);
    }
}


static strm_rc_t
strm_sigv4_sha256(const void *data, size_t len, unsigned char *md)
{
    unsigned int  mdlen;

    if (data == NULL) {
        data = "";
        len = 0;
    }

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen != STRM_SIGV4_KEY_LEN)
    {
        ERR_clear_error();
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}


static void
strm_sigv4_hex(char *dst, const unsigned char *src, size_t len)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        dst[2 * i] = hex[src[i] >> 4];
        dst[2 * i + 1] = hex[src[i] & 0x0f];
    }

    dst[2 * len] = '\0';
}


/*
 * kSecret = "AWS4" + secret, then HMAC over the date, the region, the
 * service and "aws4_request" in turn gives the signing key; out gets
 * the hex HMAC of the string to sign under it.
 */

static strm_rc_t
strm_sigv4_signature(const strm_sigv4_request_t *req, const char *sts,
    size_t len, char *out)
{
    size_t          slen;
    EVP_MAC        *mac;
    strm_rc_t       rc;
    EVP_MAC_CTX    *ctx;
    unsigned char  *secret, k1[STRM_SIGV4_KEY_LEN], k2[STRM_SIGV4_KEY_LEN];

    ctx = NULL;
    secret = NULL;
    slen = 4 + strlen(req->secret_key);

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        rc = STRM_E_INTERNAL;
        goto failed;
    }

    ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) {
        rc = STRM_E_INTERNAL;
        goto failed;
    }

    secret = malloc(slen);
    if (secret == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, req->secret_key, slen - 4);

    rc = strm_sigv4_hmac(ctx, secret, slen, req->amz_date, 8, k1);
    if (rc != STRM_OK) {
        goto failed;
    }

    rc = strm_sigv4_hmac(ctx, k1, sizeof(k1), req->region,
                         strlen(req->region), k2);
    if (rc != STRM_OK) {
        goto failed;
    }

    rc = strm_sigv4_hmac(ctx, k2, sizeof(k2), req->service,
                         strlen(req->service), k1);
    if (rc != STRM_OK) {
        goto failed;
    }

    rc = strm_sigv4_hmac(ctx, k1, sizeof(k1), "aws4_request", 12, k2);
    if (rc != STRM_OK) {
        goto failed;
    }

    rc = strm_sigv4_hmac(ctx, k2, sizeof(k2), sts, len, k1);
    if (rc != STRM_OK) {
        goto failed;
    }

    strm_sigv4_hex(out, k1, sizeof(k1));

failed:

    if (rc != STRM_OK) {
        ERR_clear_error();
    }

    if (secret != NULL) {
        OPENSSL_cleanse(secret, slen);
        free(secret);
    }

    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);

    return rc;
}


static strm_rc_t
strm_sigv4_hmac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t klen,
    const void *data, size_t len, unsigned char *out)
{
    size_t      n;
    OSSL_PARAM  params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key, klen, params) != 1
        || EVP_MAC_update(ctx, data, len) != 1
        || EVP_MAC_final(ctx, out, &n, STRM_SIGV4_KEY_LEN) != 1
        || n != STRM_SIGV4_KEY_LEN)
    {
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}
