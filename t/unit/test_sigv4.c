
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of the AWS Signature Version 4 signer (strm_sigv4): every
 * case of the two AWS suites in t/unit/data/sigv4 (see its README.md).
 * Set 1 (aws-sig-v4-test-suite, 34 cases): the .req is parsed, signed,
 * and the canonical request, string to sign and Authorization compared
 * byte for byte with .creq, .sts and .authz.  Set 2 (the CRT
 * aws-signing-test-suite/v4, 38 cases, context.json): the header-signed
 * variant (canonical request, string to sign, signature, Authorization
 * line of the signed request) and the query-signed (presigned) one
 * (canonical request, string to sign, signature, and the request line
 * of the signed request rebuilt with strm_sigv4_uri_encode).  Then the
 * S3 examples of the AWS S3 API Reference (the README's table), the
 * helpers, and refused input.  Run from the repository root (or pass
 * the data directory as argv[1]).  Prints "N passed, N failed".
 */

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "strm_sigv4.h"
#include "unit.h"


#define MAX_HEADERS  32

/* the fixed inputs of set 1 (README, "Parameters") */
#define AKID         "AKIDEXAMPLE"
#define SECRET       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE         "20150830T123600Z"
#define TOKEN1                                                               \
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

/* the S3 API Reference examples */
#define S3_AKID      "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE      "20130524T000000Z"
#define S3_HOST      "examplebucket.s3.amazonaws.com"
#define EMPTY_HASH                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


/* a parsed request file; every string points into text */
typedef struct {
    char                 *text;
    char                 *method;
    char                 *path;
    char                 *query;
    strm_sigv4_header_t   headers[MAX_HEADERS];
    size_t                nheaders;
    const unsigned char  *body;
    size_t                body_len;
} http_req_t;


static const char  *data = "t/unit/data/sigv4";


/* snprintf() that refuses to truncate: a test path is never cut */

static void
sfmt(char *buf, size_t size, const char *fmt, ...)
{
    int      n;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(buf, size, fmt, args);
    va_end(args);

    if (n < 0 || (size_t) n >= size) {
        printf("too long: %s\n", fmt);
        exit(2);
    }
}


static char *
slurp(const char *dir, const char *name, size_t *len)
{
    FILE    *f;
    char    *p, path[1024];
    size_t   n;
    long     size;

    sfmt(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("cannot open %s\n", path);
        exit(2);
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        printf("cannot read %s\n", path);
        exit(2);
    }

    p = malloc(size + 1);
    if (p == NULL) {
        exit(2);
    }

    n = fread(p, 1, size, f);
    fclose(f);

    if (n != (size_t) size) {
        printf("cannot read %s\n", path);
        exit(2);
    }

    p[n] = '\0';

    if (len != NULL) {
        *len = n;
    }

    return p;
}


static int
exists(const char *dir, const char *name)
{
    char         path[1024];
    struct stat  st;

    sfmt(path, sizeof(path), "%s/%s", dir, name);

    return stat(path, &st) == 0;
}


/*
 * Request line, "Name:value" lines (a line starting with a space or a
 * tab continues the value: its line break becomes a space, as RFC 9112
 * says of obs-fold), a blank line, the body.  Lines end with LF or
 * CRLF.  The request line's target may hold a space (get-space): the
 * method ends at the first space, the version starts after the last.
 */

static void
parse_http(http_req_t *r, char *text, size_t len)
{
    char  *p, *e, *end, *sp, *colon, *q;

    memset(r, 0, sizeof(http_req_t));
    r->text = text;
    r->body = (const unsigned char *) "";

    end = text + len;

    e = memchr(text, '\n', len);
    if (e == NULL) {
        e = end;
    }

    p = (e < end) ? e + 1 : end;
    *e = '\0';

    if (e > text && e[-1] == '\r') {
        e[-1] = '\0';
    }

    sp = strchr(text, ' ');
    if (sp == NULL || strrchr(text, ' ') == sp) {
        printf("bad request line: %s\n", text);
        exit(2);
    }

    *sp = '\0';
    *strrchr(sp + 1, ' ') = '\0';
    r->method = text;
    r->path = sp + 1;

    q = strchr(r->path, '?');
    if (q != NULL) {
        *q = '\0';
        r->query = q + 1;
    }

    while (p < end) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += (*p == '\r') ? 2 : 1;
            r->body = (const unsigned char *) p;
            r->body_len = end - p;
            break;
        }

        e = memchr(p, '\n', end - p);

        while (e != NULL && e + 1 < end && (e[1] == ' ' || e[1] == '\t')) {
            *e = ' ';

            if (e[-1] == '\r') {
                e[-1] = ' ';
            }

            e = memchr(e, '\n', end - e);
        }

        if (e == NULL) {
            e = end;
        }

        *e = '\0';

        if (e > p && e[-1] == '\r') {
            e[-1] = '\0';
        }

        colon = strchr(p, ':');
        if (colon == NULL || r->nheaders == MAX_HEADERS) {
            printf("bad header line: %s\n", p);
            exit(2);
        }

        *colon = '\0';
        r->headers[r->nheaders].name = p;
        r->headers[r->nheaders].value = colon + 1;
        r->nheaders++;

        p = (e < end) ? e + 1 : end;
    }
}


static void
add_header(http_req_t *r, const char *name, const char *value)
{
    if (r->nheaders == MAX_HEADERS) {
        exit(2);
    }

    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
}


static void
init_request(strm_sigv4_request_t *req, const http_req_t *r)
{
    memset(req, 0, sizeof(strm_sigv4_request_t));

    req->method = r->method;
    req->path = r->path;
    req->query = r->query;
    req->headers = r->headers;
    req->nheaders = r->nheaders;
    req->payload = r->body;
    req->payload_len = r->body_len;
    req->encode_path = 1;
}


/* 1 when got is expected byte for byte; prints both when not */

static int
same(const char *what, const char *part, const char *got,
    const char *expected)
{
    if (got != NULL && strcmp(got, expected) == 0) {
        return 1;
    }

    printf("%s: %s differs\n--- expected\n%s\n--- got\n%s\n---\n", what,
           part, expected, got ? got : "(null)");

    return 0;
}


/*
 * Set 1.  Every case signs as the generic service "service" does: the
 * path normalised and encoded once.  The normalize-path/ cases do not
 * apply to S3 (normalize-path.txt: S3 does not normalise); they are
 * checked with normalize_path 1, which is what their expectations are
 * for, and set 2's "-unnormalized" twins check normalize_path 0.
 */

static int
case_v1(const char *dir, const char *name)
{
    int                    ok;
    char                  *req_text, *creq, *sts, *authz, file[512];
    size_t                 len;
    strm_rc_t              rc;
    http_req_t             r;
    strm_sigv4_result_t    res;
    strm_sigv4_request_t   req;

    sfmt(file, sizeof(file), "%s.req", name);
    req_text = slurp(dir, file, &len);
    sfmt(file, sizeof(file), "%s.creq", name);
    creq = slurp(dir, file, NULL);
    sfmt(file, sizeof(file), "%s.sts", name);
    sts = slurp(dir, file, NULL);
    sfmt(file, sizeof(file), "%s.authz", name);
    authz = slurp(dir, file, NULL);

    parse_http(&r, req_text, len);
    init_request(&req, &r);

    req.region = "us-east-1";
    req.service = "service";
    req.access_key = AKID;
    req.secret_key = SECRET;
    req.amz_date = DATE;
    req.normalize_path = 1;

    /* the one case whose token is not in its .req (README) */
    if (strcmp(name, "get-vanilla-with-session-token") == 0) {
        req.session_token = TOKEN1;
    }

    rc = strm_sigv4_sign(&req, &res);
    CHECK(rc == STRM_OK, name);

    ok = 0;

    if (rc == STRM_OK) {
        ok = same(name, "canonical request", res.canonical_request, creq);
        ok &= same(name, "string to sign", res.string_to_sign, sts);
        ok &= same(name, "authorization", res.authorization, authz);
        CHECK(ok, name);
    }

    strm_sigv4_result_free(&res);
    free(req_text);
    free(creq);
    free(sts);
    free(authz);

    return ok;
}


/* a case is a folder holding <folder name>.req; others are walked */

static void
walk_v1(const char *dir, int *cases, int *passed)
{
    int             i, n;
    char            sub[1024], file[512];
    struct stat     st;
    struct dirent **list;

    n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        printf("cannot list %s\n", dir);
        exit(2);
    }

    for (i = 0; i < n; i++) {
        if (list[i]->d_name[0] == '.') {
            continue;
        }

        sfmt(sub, sizeof(sub), "%s/%s", dir, list[i]->d_name);

        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) {
            continue;
        }

        sfmt(file, sizeof(file), "%s.req", list[i]->d_name);

        if (exists(sub, file)) {
            (*cases)++;
            *passed += case_v1(sub, list[i]->d_name);

        } else {
            walk_v1(sub, cases, passed);
        }
    }

    for (i = 0; i < n; i++) {
        free(list[i]);
    }

    free(list);
}


static void
test_suite_v1(void)
{
    int   cases, passed;
    char  dir[1024];

    sfmt(dir, sizeof(dir), "%s/aws-sig-v4-test-suite", data);

    cases = 0;
    passed = 0;

    walk_v1(dir, &cases, &passed);

    CHECK(cases == 34, "aws-sig-v4-test-suite has 34 cases");
    CHECK(passed == cases, "every aws-sig-v4-test-suite case");

    printf("aws-sig-v4-test-suite: %d of %d cases pass\n", passed, cases);
}


static const char *
ctx_str(json_t *o, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(o, name));
    if (s == NULL) {
        printf("context.json without \"%s\"\n", name);
        exit(2);
    }

    return s;
}


/* the value of the signed request's Authorization line, in place */

static const char *
authorization_line(char *signed_req)
{
    char  *p, *e;

    p = strstr(signed_req, "\nAuthorization:");
    if (p == NULL) {
        return "";
    }

    p += sizeof("\nAuthorization:") - 1;

    e = strchr(p, '\n');
    if (e != NULL) {
        *e = '\0';
    }

    return p;
}


/* the first line of the signed request, in place */

static const char *
first_line(char *signed_req)
{
    char  *e;

    e = strchr(signed_req, '\n');
    if (e != NULL) {
        *e = '\0';
    }

    return signed_req;
}


static void
query_add(char *q, size_t size, const char *name, const char *value)
{
    size_t  len;

    len = strlen(q);

    if (len + strlen(name) + 2
        + strm_sigv4_uri_encode(NULL, value, strlen(value), 1) >= size)
    {
        exit(2);
    }

    if (len > 0) {
        q[len++] = '&';
    }

    len += strm_sigv4_uri_encode(q + len, name, strlen(name), 1);
    q[len++] = '=';
    len += strm_sigv4_uri_encode(q + len, value, strlen(value), 1);
    q[len] = '\0';
}


/*
 * Set 2, one case: the header-signed variant, then the presigned one.
 * context.json says what the CRT signer adds: X-Amz-Date always, the
 * session token unless omit_session_token (the caller then sends it
 * unsigned, so it is not given to the signer), x-amz-content-sha256
 * with sign_body.  Our signer signs the headers it is given: the test
 * adds them as a caller would.
 */

static void
case_v2(const char *dir, const char *name, int *hpass, int *qpass)
{
    int                    ok, normalize, sign_body, omit;
    char                  *text, *creq, *sts, *sig, *sreq, *q, *line;
    char                   date[32], scope[128], cred[256], expires[32];
    char                   hash[STRM_SIGV4_HEX_LEN + 1], what[256];
    size_t                 i, j, len, qsize;
    json_t                *ctx, *creds;
    strm_rc_t              rc;
    const char            *ts, *token;
    http_req_t             r;
    json_error_t           jerr;
    strm_sigv4_result_t    res, pre;
    strm_sigv4_request_t   req;

    sfmt(what, sizeof(what), "%s/context.json", dir);

    ctx = json_load_file(what, 0, &jerr);
    if (ctx == NULL) {
        printf("cannot load %s: %s\n", what, jerr.text);
        exit(2);
    }

    creds = json_object_get(ctx, "credentials");
    token = json_string_value(json_object_get(creds, "token"));
    normalize = json_is_true(json_object_get(ctx, "normalize"));
    sign_body = json_is_true(json_object_get(ctx, "sign_body"));
    omit = json_is_true(json_object_get(ctx, "omit_session_token"));

    /* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
    ts = ctx_str(ctx, "timestamp");

    for (i = 0, j = 0; ts[i] != '\0' && j < sizeof(date) - 1; i++) {
        if (ts[i] != '-' && ts[i] != ':') {
            date[j++] = ts[i];
        }
    }

    date[j] = '\0';

    text = slurp(dir, "request.txt", &len);
    parse_http(&r, text, len);

    /* the header-signed variant */

    sfmt(what, sizeof(what), "%s (header)", name);

    init_request(&req, &r);
    req.region = ctx_str(ctx, "region");
    req.service = ctx_str(ctx, "service");
    req.access_key = ctx_str(creds, "access_key_id");
    req.secret_key = ctx_str(creds, "secret_access_key");
    req.amz_date = date;
    req.normalize_path = normalize;
    req.session_token = omit ? NULL : token;

    add_header(&r, "X-Amz-Date", date);

    if (sign_body) {
        strm_sigv4_sha256_hex(r.body, r.body_len, hash);
        add_header(&r, "x-amz-content-sha256", hash);
        req.payload_hash = hash;
    }

    req.nheaders = r.nheaders;

    creq = slurp(dir, "header-canonical-request.txt", NULL);
    sts = slurp(dir, "header-string-to-sign.txt", NULL);
    sig = slurp(dir, "header-signature.txt", NULL);
    sreq = slurp(dir, "header-signed-request.txt", NULL);

    rc = strm_sigv4_sign(&req, &res);
    CHECK(rc == STRM_OK, what);

    if (rc == STRM_OK) {
        ok = same(what, "canonical request", res.canonical_request, creq);
        ok &= same(what, "string to sign", res.string_to_sign, sts);
        ok &= same(what, "signature", res.signature, sig);
        ok &= same(what, "authorization", res.authorization,
                   authorization_line(sreq));
        CHECK(ok, what);
        *hpass += ok;
    }

    strm_sigv4_result_free(&res);
    free(creq);
    free(sts);
    free(sig);
    free(sreq);

    /*
     * The presigned variant: no x-amz-date header, no body header, the
     * X-Amz-* parameters in the query, the token there too.  The signed
     * header list is the signer's own (a first call): the canonical
     * request compared below checks it.
     */

    sfmt(what, sizeof(what), "%s (query)", name);

    r.nheaders -= sign_body ? 2 : 1;
    req.nheaders = r.nheaders;
    req.payload_hash = NULL;
    req.session_token = NULL;

    rc = strm_sigv4_sign(&req, &pre);
    CHECK(rc == STRM_OK, what);

    if (rc != STRM_OK) {
        goto done;
    }

    sfmt(scope, sizeof(scope), "%.8s/%s/%s/aws4_request", date,
             req.region, req.service);
    sfmt(cred, sizeof(cred), "%s/%s", req.access_key, scope);
    sfmt(expires, sizeof(expires), "%lld", (long long)
             json_integer_value(json_object_get(ctx,
                                                "expiration_in_seconds")));

    qsize = 4096 + (r.query ? strlen(r.query) : 0)
            + (token ? 3 * strlen(token) : 0);

    q = malloc(qsize);
    line = malloc(qsize + 1024);

    if (q == NULL || line == NULL) {
        exit(2);
    }

    sfmt(q, qsize, "%s", r.query ? r.query : "");

    query_add(q, qsize, "X-Amz-Algorithm", STRM_SIGV4_ALGORITHM);
    query_add(q, qsize, "X-Amz-Credential", cred);
    query_add(q, qsize, "X-Amz-Date", date);
    query_add(q, qsize, "X-Amz-SignedHeaders", pre.signed_headers);
    query_add(q, qsize, "X-Amz-Expires", expires);

    /* omitted: added after signing, outside of the canonical query */
    if (token != NULL && !omit) {
        query_add(q, qsize, "X-Amz-Security-Token", token);
    }

    strm_sigv4_result_free(&pre);

    req.query = q;

    creq = slurp(dir, "query-canonical-request.txt", NULL);
    sts = slurp(dir, "query-string-to-sign.txt", NULL);
    sig = slurp(dir, "query-signature.txt", NULL);
    sreq = slurp(dir, "query-signed-request.txt", NULL);

    rc = strm_sigv4_sign(&req, &res);
    CHECK(rc == STRM_OK, what);

    if (rc == STRM_OK) {
        if (token != NULL && omit) {
            query_add(q, qsize, "X-Amz-Security-Token", token);
        }

        query_add(q, qsize, "X-Amz-Signature", res.signature);
        sfmt(line, qsize + 1024, "%s %s?%s HTTP/1.1", r.method,
                 r.path, q);

        ok = same(what, "canonical request", res.canonical_request, creq);
        ok &= same(what, "string to sign", res.string_to_sign, sts);
        ok &= same(what, "signature", res.signature, sig);
        ok &= same(what, "request line", line, first_line(sreq));
        CHECK(ok, what);
        *qpass += ok;
    }

    strm_sigv4_result_free(&res);
    free(creq);
    free(sts);
    free(sig);
    free(sreq);
    free(q);
    free(line);

done:

    free(text);
    json_decref(ctx);
}


static void
test_suite_v2(void)
{
    int              i, n, cases, hpass, qpass;
    char             dir[1024], sub[1024];
    struct dirent  **list;

    sfmt(dir, sizeof(dir), "%s/aws-signing-test-suite/v4", data);

    n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        printf("cannot list %s\n", dir);
        exit(2);
    }

    cases = 0;
    hpass = 0;
    qpass = 0;

    for (i = 0; i < n; i++) {
        sfmt(sub, sizeof(sub), "%s/%s", dir, list[i]->d_name);

        if (list[i]->d_name[0] != '.' && exists(sub, "context.json")) {
            cases++;
            case_v2(sub, list[i]->d_name, &hpass, &qpass);
        }

        free(list[i]);
    }

    free(list);

    CHECK(cases == 38, "aws-signing-test-suite/v4 has 38 cases");
    CHECK(hpass == cases, "every header-signed case");
    CHECK(qpass == cases, "every query-signed case");

    printf("aws-signing-test-suite/v4: %d of %d header-signed, %d of %d "
           "query-signed (presigned) cases pass\n", hpass, cases, qpass,
           cases);
}


/* one S3 API Reference example: the canonical request hash, signature */

static void
s3_example(const char *what, strm_sigv4_request_t *req,
    const char *creq_hash, const char *signature, const char *signed_headers)
{
    char                  hash[STRM_SIGV4_HEX_LEN + 1];
    strm_rc_t             rc;
    strm_sigv4_result_t   res;

    req->region = "us-east-1";
    req->service = "s3";
    req->access_key = S3_AKID;
    req->secret_key = S3_SECRET;
    req->amz_date = S3_DATE;

    /* S3: the key is already encoded, and never normalised */
    req->normalize_path = 0;
    req->encode_path = 0;

    rc = strm_sigv4_sign(req, &res);
    CHECK(rc == STRM_OK, what);

    if (rc != STRM_OK) {
        return;
    }

    strm_sigv4_sha256_hex((unsigned char *) res.canonical_request,
                          strlen(res.canonical_request), hash);

    CHECK(same(what, "canonical request hash", hash, creq_hash), what);
    CHECK(same(what, "signature", res.signature, signature), what);
    CHECK(same(what, "signed headers", res.signed_headers, signed_headers),
          what);
    CHECK(strlen(res.string_to_sign) > STRM_SIGV4_HEX_LEN
          && strcmp(res.string_to_sign + strlen(res.string_to_sign)
                    - STRM_SIGV4_HEX_LEN, creq_hash) == 0,
          "the string to sign ends with the canonical request hash");

    strm_sigv4_result_free(&res);
}


static void
test_s3(void)
{
    strm_sigv4_request_t  req;

    static const char  body[] = "Welcome to Amazon S3.";

    static const strm_sigv4_header_t  get_object[] = {
        { "Host", S3_HOST },
        { "Range", "bytes=0-9" },
        { "x-amz-content-sha256", EMPTY_HASH },
        { "x-amz-date", S3_DATE },
    };

    static const strm_sigv4_header_t  put_object[] = {
        { "Host", S3_HOST },
        { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
        { "x-amz-date", S3_DATE },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
        { "x-amz-content-sha256",
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" },
    };

    static const strm_sigv4_header_t  get_bucket[] = {
        { "Host", S3_HOST },
        { "x-amz-date", S3_DATE },
        { "x-amz-content-sha256", EMPTY_HASH },
    };

    static const strm_sigv4_header_t  chunked[] = {
        { "Host", "s3.amazonaws.com" },
        { "x-amz-date", S3_DATE },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
        { "Content-Encoding", "aws-chunked" },
        { "x-amz-decoded-content-length", "66560" },
        { "Content-Length", "66824" },
        { "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" },
    };

    static const strm_sigv4_header_t  presigned[] = {
        { "Host", S3_HOST },
    };

    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "GET";
    req.path = "/test.txt";
    req.headers = get_object;
    req.nheaders = 4;
    req.payload_hash = EMPTY_HASH;
    s3_example("s3 GET object", &req,
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        "host;range;x-amz-content-sha256;x-amz-date");

    /* the body hashed by the signer; the key "test$file.text" encoded */
    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "PUT";
    req.path = "/test%24file.text";
    req.headers = put_object;
    req.nheaders = 5;
    req.payload = (const unsigned char *) body;
    req.payload_len = sizeof(body) - 1;
    s3_example("s3 PUT object", &req,
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");

    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "GET";
    req.path = "/";
    req.query = "lifecycle";
    req.headers = get_bucket;
    req.nheaders = 3;
    req.payload_hash = EMPTY_HASH;
    s3_example("s3 GET bucket lifecycle", &req,
        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        "host;x-amz-content-sha256;x-amz-date");

    req.query = "max-keys=2&prefix=J";
    s3_example("s3 GET bucket list", &req,
        "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        "host;x-amz-content-sha256;x-amz-date");

    /* the seed signature only: chunk signatures are not this API's */
    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "PUT";
    req.path = "/examplebucket/chunkObject.txt";
    req.headers = chunked;
    req.nheaders = 7;
    req.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    s3_example("s3 chunked PUT seed", &req,
        "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        "content-encoding;content-length;host;x-amz-content-sha256;"
        "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class");

    /* an encoded query: decoded, then encoded again the same way */
    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "GET";
    req.path = "/test.txt";
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
                "us-east-1%2Fs3%2Faws4_request"
                "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                "&X-Amz-SignedHeaders=host";
    req.headers = presigned;
    req.nheaders = 1;
    req.payload_hash = STRM_SIGV4_UNSIGNED;
    s3_example("s3 presigned GET", &req,
        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        "host");
}


static void
test_helpers(void)
{
    char    out[64], hex[STRM_SIGV4_HEX_LEN + 1];
    size_t  n;

    static const char  all[] = "AZaz09-._~ /%+=&?\xc3\xa9";

    n = strm_sigv4_uri_encode(NULL, all, sizeof(all) - 1, 0);
    CHECK(n == 35, "encoded length");
    CHECK(n < sizeof(out), "fits");

    n = strm_sigv4_uri_encode(out, all, sizeof(all) - 1, 0);
    out[n] = '\0';
    CHECK(strcmp(out, "AZaz09-._~%20/%25%2B%3D%26%3F%C3%A9") == 0,
          "uri encode, '/' kept");

    n = strm_sigv4_uri_encode(out, "a/b", 3, 1);
    out[n] = '\0';
    CHECK(strcmp(out, "a%2Fb") == 0, "uri encode, '/' encoded");

    CHECK(strm_sigv4_uri_encode(NULL, "", 0, 1) == 0, "empty encodes empty");

    strm_sigv4_sha256_hex(NULL, 0, hex);
    CHECK(strcmp(hex, EMPTY_HASH) == 0, "sha256 of nothing");

    strm_sigv4_sha256_hex((const unsigned char *) "abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
                      "b410ff61f20015ad") == 0, "sha256 of abc");
}


/* what the canonical URI and query of a path and a query come out as */

static int
canonical(const char *path, const char *query, int normalize, int encode,
    const char *want)
{
    int                    ok;
    char                  *p, *e;
    strm_sigv4_result_t    res;
    strm_sigv4_request_t   req;

    static const strm_sigv4_header_t  host[] = { { "host", "h" } };

    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.headers = host;
    req.nheaders = 1;
    req.region = "r";
    req.service = "s";
    req.access_key = "a";
    req.secret_key = "k";
    req.amz_date = DATE;
    req.normalize_path = normalize;
    req.encode_path = encode;

    if (strm_sigv4_sign(&req, &res) != STRM_OK) {
        return 0;
    }

    /* lines 2 and 3 of the canonical request */
    p = strchr(res.canonical_request, '\n') + 1;
    e = strchr(strchr(p, '\n') + 1, '\n');
    *e = '\0';

    ok = same("canonical", "uri and query", p, want);

    strm_sigv4_result_free(&res);

    return ok;
}


static void
test_canonical(void)
{
    CHECK(canonical("/a/b/../c/./d", NULL, 1, 1, "/a/c/d\n"),
          "dot segments");
    CHECK(canonical("/a/b/..", NULL, 1, 1, "/a\n"), "no slash added");
    CHECK(canonical("/a//b/", NULL, 1, 1, "/a/b/\n"), "trailing slash");
    CHECK(canonical("/../..", NULL, 1, 1, "/\n"), "above the root");
    CHECK(canonical("", NULL, 1, 1, "/\n"), "empty path");
    CHECK(canonical(NULL, NULL, 0, 0, "/\n"), "no path");
    CHECK(canonical("/a//b/../c", NULL, 0, 0, "/a//b/../c\n"),
          "s3 path as it is");
    CHECK(canonical("/a%2Fb c", NULL, 0, 1, "/a%252Fb%20c\n"),
          "generic services encode the wire path once more");
    CHECK(canonical("/a%2Fb", NULL, 0, 0, "/a%2Fb\n"),
          "s3 key encoded by the caller");
    CHECK(canonical("/", "b=2&a=1&a=&c", 0, 0, "/\na=&a=1&b=2&c="),
          "query sorted by name then value, bare name");
    CHECK(canonical("/", "&&x=1&&", 0, 0, "/\nx=1"), "empty parameters");
    CHECK(canonical("/", "k=a+b%2fc%zz%4", 0, 0, "/\nk=a%2Bb%2Fc%25zz%254"),
          "plus is a plus, bad escapes are literal");
    CHECK(canonical("/", "t=%7E%41", 0, 0, "/\nt=~A"),
          "needless escapes dropped");
    CHECK(canonical("/", "a=b=c", 0, 0, "/\na=b%3Dc"), "first = splits");
}


static void
test_refused(void)
{
    strm_rc_t              rc;
    strm_sigv4_result_t    res;
    strm_sigv4_request_t   req, good;

    static const strm_sigv4_header_t  nohost[] = { { "x-a", "b" } };
    static const strm_sigv4_header_t  space[] = {
        { "host", "h" }, { "bad name", "v" }
    };
    static const strm_sigv4_header_t  crlf[] = {
        { "host", "h" }, { "x-a", "v\r\nx-b: w" }
    };
    static const strm_sigv4_header_t  host[] = {
        { "HOST", "  h \t  x " }, { "X-Amz-Security-Token", "given" }
    };

    memset(&good, 0, sizeof(strm_sigv4_request_t));
    good.method = "PUT";
    good.path = "/k";
    good.headers = host;
    good.nheaders = 2;
    good.region = "us-east-1";
    good.service = "s3";
    good.access_key = "AKID";
    good.secret_key = "secret";
    good.amz_date = DATE;

    /* a token header given wins over session_token; values trimmed */
    req = good;
    req.session_token = "other";
    rc = strm_sigv4_sign(&req, &res);
    CHECK(rc == STRM_OK && strstr(res.canonical_request,
                                  "host:h x\nx-amz-security-token:given\n")
                           != NULL
          && strcmp(res.signed_headers, "host;x-amz-security-token") == 0,
          "the given token header is signed once");
    strm_sigv4_result_free(&res);
    strm_sigv4_result_free(&res);
    CHECK(res.canonical_request == NULL && res.authorization == NULL,
          "result free clears");

    req = good;
    req.headers = nohost;
    req.nheaders = 1;
    rc = strm_sigv4_sign(&req, &res);
    CHECK(rc == STRM_E_BAD_REQUEST && res.canonical_request == NULL
          && res.authorization == NULL && res.signed_headers == NULL
          && res.string_to_sign == NULL, "no host header");

    req = good;
    req.headers = space;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "header name with a space");

    req = good;
    req.headers = crlf;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "header value with CRLF");

    req = good;
    req.amz_date = "2015-08-30T12:36:00Z";
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "amz_date in ISO form");

    req = good;
    req.amz_date = "20150830T123600";
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "amz_date without Z");

    req = good;
    req.secret_key = NULL;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST, "no secret");

    req = good;
    req.method = "";
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST, "no method");

    req = good;
    req.region = "us-east-1/x";
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "region with a slash");

    req = good;
    req.access_key = "AKID, Signature=0";
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "access key with a comma");

    req = good;
    req.service = NULL;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST, "no service");

    req = good;
    req.session_token = "a\nb";
    req.nheaders = 1;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "token with a line break");

    req = good;
    req.payload_len = 3;
    CHECK(strm_sigv4_sign(&req, &res) == STRM_E_BAD_REQUEST,
          "payload length without payload");
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        data = argv[1];
    }

    test_suite_v1();
    test_suite_v2();
    test_s3();
    test_helpers();
    test_canonical();
    test_refused();

    return UNIT_DONE();
}
