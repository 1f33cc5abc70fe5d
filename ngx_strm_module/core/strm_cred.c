
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "strm_b64.h"
#include "strm_cred.h"
#include "strm_file.h"


#define STRM_CRED_SCHEME        "hmac-sha256"
#define STRM_CRED_FIELDS        5   /* the fifth, the credential id, optional */
#define STRM_CRED_GEN_PREFIX    "strm-"
#define STRM_CRED_GEN_CHARS     20
#define STRM_CRED_SECRET_BYTES  32

#define STRM_CRED_SALT_B64      \
    strm_b64url_encoded_len(STRM_CRED_SALT_LEN)
#define STRM_CRED_HASH_B64      \
    strm_b64url_encoded_len(STRM_CRED_HASH_LEN)


typedef struct {
    const char  *data;
    size_t       len;
} strm_cred_str_t;


/* the text still to read and the number of the line read last */
typedef struct {
    const char  *pos;
    const char  *end;
    size_t       line;
} strm_cred_lines_t;


/* an id and its line, sorted to find duplicates */
typedef struct {
    const char  *id;
    size_t       line;
} strm_cred_seen_t;


/* a token key read from the file, not yet added to a key set */
typedef struct {
    char            kid[STRM_CRED_KID_MAX + 1];
    unsigned char  *key;
    size_t          len;
    size_t          line;
} strm_cred_tkey_t;


static strm_rc_t strm_cred_error(strm_rc_t rc, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void strm_cred_free_text(char *text, size_t len);
static size_t strm_cred_next_line(strm_cred_lines_t *ln, strm_cred_str_t *f,
    size_t max);
static const char *strm_cred_parse_client(const strm_cred_str_t *f,
    size_t nf, strm_cred_client_t *c);
static strm_rc_t strm_cred_grow(void **p, size_t *nalloc, size_t n,
    size_t size);
static const strm_cred_seen_t *strm_cred_first_dup(strm_cred_seen_t *seen,
    size_t n);
static int strm_cred_seen_cmp(const void *a, const void *b);
static const char *strm_cred_parse_tkey(const strm_cred_str_t *f,
    size_t nf, strm_cred_tkey_t *k);
static void strm_cred_free_tkeys(strm_cred_tkey_t *tk, size_t n);
static strm_rc_t strm_cred_random_chars(char *dst, size_t n);
static int strm_form_hex(unsigned char c);
static int strm_form_next(const char **pos, const char *end);
static int strm_form_name_is(const char *src, size_t len, const char *name,
    size_t nlen);


/*
 * The salt and hash an unknown client id is checked against: the work
 * is the same as for a known one, and the comparison never succeeds
 * because the result is thrown away.
 */
static const unsigned char  strm_cred_dummy_salt[STRM_CRED_SALT_LEN];
static const unsigned char  strm_cred_dummy_hash[STRM_CRED_HASH_LEN];


int
strm_cred_valid_id(const char *s, size_t len, size_t max)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > max) {
        return 0;
    }

    /* RFC 3986 unreserved: safe in a URL, a header, JSON and a file line */
    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '.' || c == '_' || c == '~' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


strm_rc_t
strm_cred_hash(const unsigned char *salt, const char *secret, size_t len,
    unsigned char *out)
{
    size_t  maclen;

    if (secret == NULL) {
        secret = "";
        len = 0;
    }

    /*
     * One HMAC and no slow KDF: secrets are 256-bit random, so a
     * brute force is hopeless anyway, and the check runs on nginx's
     * event loop where a KDF of tens of milliseconds would stall every
     * other request of the worker.
     */
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, salt,
                  STRM_CRED_SALT_LEN, (const unsigned char *) secret, len,
                  out, STRM_CRED_HASH_LEN, &maclen)
        == NULL
        || maclen != STRM_CRED_HASH_LEN)
    {
        ERR_clear_error();
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}


int
strm_cred_check(const strm_cred_client_t *c, const char *secret,
    size_t len)
{
    int                   ok;
    unsigned char         h[STRM_CRED_HASH_LEN];
    const unsigned char  *salt, *want;

    salt = (c != NULL) ? c->salt : strm_cred_dummy_salt;
    want = (c != NULL) ? c->hash : strm_cred_dummy_hash;

    if (strm_cred_hash(salt, secret, len, h) != STRM_OK) {
        return 0;
    }

    ok = (CRYPTO_memcmp(h, want, STRM_CRED_HASH_LEN) == 0);
    OPENSSL_cleanse(h, sizeof(h));

    return (c != NULL && ok);
}


static strm_rc_t
strm_cred_error(strm_rc_t rc, char *err, size_t errlen, const char *fmt,
    ...)
{
    va_list  args;

    if (err != NULL && errlen > 0) {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }

    return rc;
}


static void
strm_cred_free_text(char *text, size_t len)
{
    if (text != NULL) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
}


/*
 * Reads up to the next line that is neither blank nor a comment and
 * splits it into at most max fields.  Returns the number of fields,
 * max + 1 when there are more, 0 at the end of the text.
 */
static size_t
strm_cred_next_line(strm_cred_lines_t *ln, strm_cred_str_t *f, size_t max)
{
    size_t       nf;
    const char  *p, *e, *nl;

    while (ln->pos < ln->end) {
        p = ln->pos;
        nl = memchr(p, '\n', ln->end - p);
        e = (nl != NULL) ? nl : ln->end;
        ln->pos = (nl != NULL) ? nl + 1 : ln->end;
        ln->line++;

        /* a file edited on Windows: the '\r' is not part of a field */
        if (e > p && e[-1] == '\r') {
            e--;
        }

        nf = 0;

        for ( ;; ) {
            while (p < e && (*p == ' ' || *p == '\t')) {
                p++;
            }

            if (p == e || (nf == 0 && *p == '#')) {
                break;
            }

            if (nf == max) {
                nf++;
                break;
            }

            f[nf].data = p;

            while (p < e && *p != ' ' && *p != '\t') {
                p++;
            }

            f[nf].len = p - f[nf].data;
            nf++;
        }

        if (nf > 0) {
            return nf;
        }
    }

    return 0;
}


strm_rc_t
strm_cred_parse(const char *text, size_t len, strm_cred_client_t **clients,
    size_t *n, char *err, size_t errlen)
{
    size_t                   i, nf, nc, nalloc, salloc, bad_line;
    strm_rc_t                rc;
    const char              *problem;
    strm_cred_str_t          f[STRM_CRED_FIELDS];
    strm_cred_seen_t        *seen;
    strm_cred_lines_t        ln;
    strm_cred_client_t      *cl, c;
    const strm_cred_seen_t  *dup;

    *clients = NULL;
    *n = 0;

    cl = NULL;
    seen = NULL;
    nc = 0;
    nalloc = 0;
    salloc = 0;
    bad_line = 0;
    problem = NULL;
    rc = STRM_OK;

    ln.pos = text;
    ln.end = text + len;
    ln.line = 0;

    for ( ;; ) {
        nf = strm_cred_next_line(&ln, f, STRM_CRED_FIELDS);
        if (nf == 0) {
            break;
        }

        problem = strm_cred_parse_client(f, nf, &c);
        if (problem != NULL) {
            OPENSSL_cleanse(&c, sizeof(c));
            bad_line = ln.line;
            break;
        }

        if (strm_cred_grow((void **) &cl, &nalloc, nc,
                           sizeof(strm_cred_client_t))
            != STRM_OK
            || strm_cred_grow((void **) &seen, &salloc, nc,
                              sizeof(strm_cred_seen_t))
               != STRM_OK)
        {
            OPENSSL_cleanse(&c, sizeof(c));
            rc = STRM_E_NOMEM;
            goto failed;
        }

        cl[nc] = c;
        seen[nc].line = ln.line;
        nc++;

        OPENSSL_cleanse(&c, sizeof(c));
    }

    /*
     * Duplicates are looked for among the lines before a syntax error
     * too, so that the error reported is the first one in the file.
     */
    for (i = 0; i < nc; i++) {
        seen[i].id = cl[i].client_id;
    }

    dup = strm_cred_first_dup(seen, nc);

    if (dup != NULL) {
        rc = strm_cred_error(STRM_E_BAD_REQUEST, err, errlen,
                             "line %zu: duplicate client id \"%s\"",
                             dup->line, dup->id);
        goto failed;
    }

    if (problem != NULL) {
        rc = strm_cred_error(STRM_E_BAD_REQUEST, err, errlen,
                             "line %zu: %s", bad_line, problem);
        goto failed;
    }

    free(seen);

    *clients = cl;
    *n = nc;

    return STRM_OK;

failed:

    free(seen);
    strm_cred_free(cl, nc);

    return rc;
}


/* NULL when f is a good client line (c is then filled), else why not */
static const char *
strm_cred_parse_client(const strm_cred_str_t *f, size_t nf,
    strm_cred_client_t *c)
{
    size_t  dlen;

    if (nf > STRM_CRED_FIELDS) {
        return "extra fields after the credential id";
    }

    if (nf < STRM_CRED_FIELDS - 1) {
        return "expected \"<clientId> " STRM_CRED_SCHEME
               " <salt> <hash>\"";
    }

    if (!strm_cred_valid_id(f[0].data, f[0].len, STRM_CRED_ID_MAX)) {
        return "invalid client id";
    }

    if (f[1].len != sizeof(STRM_CRED_SCHEME) - 1
        || memcmp(f[1].data, STRM_CRED_SCHEME, f[1].len) != 0)
    {
        return "unknown hash scheme, expected " STRM_CRED_SCHEME;
    }

    memset(c, 0, sizeof(strm_cred_client_t));
    memcpy(c->client_id, f[0].data, f[0].len);

    /* the lengths first: the decoder writes without a bound */
    if (f[2].len != STRM_CRED_SALT_B64
        || strm_b64url_decode(c->salt, &dlen,
                              (const unsigned char *) f[2].data, f[2].len)
           != STRM_OK
        || dlen != STRM_CRED_SALT_LEN)
    {
        return "the salt is not base64url of 16 bytes";
    }

    if (f[3].len != STRM_CRED_HASH_B64
        || strm_b64url_decode(c->hash, &dlen,
                              (const unsigned char *) f[3].data, f[3].len)
           != STRM_OK
        || dlen != STRM_CRED_HASH_LEN)
    {
        return "the hash is not base64url of 32 bytes";
    }

    if (nf == STRM_CRED_FIELDS) {
        if (!strm_cred_valid_id(f[4].data, f[4].len, STRM_CRED_CRED_MAX)) {
            return "invalid credential id";
        }

        memcpy(c->cred_id, f[4].data, f[4].len);
    }

    return NULL;
}


/*
 * Makes room for element n of *p.  The old block is wiped before it is
 * freed, which realloc() would not do.
 */
static strm_rc_t
strm_cred_grow(void **p, size_t *nalloc, size_t n, size_t size)
{
    void    *np;
    size_t   na;

    if (n < *nalloc) {
        return STRM_OK;
    }

    na = (*nalloc != 0) ? *nalloc * 2 : 16;

    np = malloc(na * size);
    if (np == NULL) {
        return STRM_E_NOMEM;
    }

    if (*p != NULL) {
        memcpy(np, *p, n * size);
        OPENSSL_cleanse(*p, n * size);
        free(*p);
    }

    *p = np;
    *nalloc = na;

    return STRM_OK;
}


/*
 * Sorting keeps a file of many clients fast to check; the duplicate
 * reported is the one on the earliest line.
 */
static const strm_cred_seen_t *
strm_cred_first_dup(strm_cred_seen_t *seen, size_t n)
{
    size_t                   i;
    const strm_cred_seen_t  *dup;

    if (n < 2) {
        return NULL;
    }

    qsort(seen, n, sizeof(strm_cred_seen_t), strm_cred_seen_cmp);

    dup = NULL;

    for (i = 1; i < n; i++) {
        if (strcmp(seen[i - 1].id, seen[i].id) == 0
            && (dup == NULL || seen[i].line < dup->line))
        {
            dup = &seen[i];
        }
    }

    return dup;
}


static int
strm_cred_seen_cmp(const void *a, const void *b)
{
    int                      rc;
    const strm_cred_seen_t  *x, *y;

    x = a;
    y = b;

    rc = strcmp(x->id, y->id);
    if (rc != 0) {
        return rc;
    }

    return (x->line > y->line) - (x->line < y->line);
}


strm_rc_t
strm_cred_load(const char *path, strm_cred_client_t **clients, size_t *n,
    char *err, size_t errlen)
{
    char       *text;
    size_t      len;
    strm_rc_t   rc;

    *clients = NULL;
    *n = 0;

    rc = strm_file_read(path, STRM_CRED_FILE_MAX, &text, &len, err, errlen);
    if (rc != STRM_OK) {
        return rc;
    }

    rc = strm_cred_parse(text, len, clients, n, err, errlen);
    strm_cred_free_text(text, len);

    return rc;
}


void
strm_cred_free(strm_cred_client_t *clients, size_t n)
{
    if (clients != NULL) {
        OPENSSL_cleanse(clients, n * sizeof(strm_cred_client_t));
        free(clients);
    }
}


strm_rc_t
strm_cred_new(const char *client_id, char *secret_out, strm_cred_client_t *c)
{
    size_t         len;
    strm_rc_t      rc;
    unsigned char  raw[STRM_CRED_SECRET_BYTES];
    unsigned char  cred[STRM_CRED_CRED_BYTES];

    memset(c, 0, sizeof(strm_cred_client_t));
    secret_out[0] = '\0';

    if (client_id != NULL) {
        len = strlen(client_id);

        if (!strm_cred_valid_id(client_id, len, STRM_CRED_ID_MAX)) {
            return STRM_E_BAD_REQUEST;
        }

        memcpy(c->client_id, client_id, len + 1);

    } else {
        memcpy(c->client_id, STRM_CRED_GEN_PREFIX,
               sizeof(STRM_CRED_GEN_PREFIX) - 1);

        rc = strm_cred_random_chars(
                 c->client_id + sizeof(STRM_CRED_GEN_PREFIX) - 1,
                 STRM_CRED_GEN_CHARS);
        if (rc != STRM_OK) {
            goto failed;
        }
    }

    if (RAND_bytes(raw, sizeof(raw)) != 1
        || RAND_bytes(cred, sizeof(cred)) != 1
        || RAND_bytes(c->salt, STRM_CRED_SALT_LEN) != 1)
    {
        ERR_clear_error();
        rc = STRM_E_INTERNAL;
        goto failed;
    }

    /* 16 random bytes: a client made again never gets an old id back */
    len = strm_b64url_encode((unsigned char *) c->cred_id, cred,
                             sizeof(cred));
    c->cred_id[len] = '\0';

    len = strm_b64url_encode((unsigned char *) secret_out, raw, sizeof(raw));
    secret_out[len] = '\0';

    rc = strm_cred_hash(c->salt, secret_out, len, c->hash);
    if (rc != STRM_OK) {
        goto failed;
    }

    OPENSSL_cleanse(raw, sizeof(raw));

    return STRM_OK;

failed:

    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(secret_out, STRM_CRED_SECRET_LEN + 1);
    OPENSSL_cleanse(c, sizeof(strm_cred_client_t));

    return rc;
}


/* n characters of [a-z0-9], each equally likely, and a NUL */
static strm_rc_t
strm_cred_random_chars(char *dst, size_t n)
{
    size_t         i, j;
    unsigned char  b[32];

    static const char  alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    i = 0;

    while (i < n) {
        if (RAND_bytes(b, sizeof(b)) != 1) {
            ERR_clear_error();
            return STRM_E_INTERNAL;
        }

        /* 252 is 7 * 36: the bytes above it would favour some letters */
        for (j = 0; j < sizeof(b) && i < n; j++) {
            if (b[j] < 252) {
                dst[i++] = alphabet[b[j] % 36];
            }
        }
    }

    dst[n] = '\0';

    return STRM_OK;
}


int
strm_cred_same(const strm_cred_client_t *c, const char *cred_id, size_t len)
{
    if (cred_id == NULL) {
        return (c->cred_id[0] == '\0');
    }

    return (len > 0 && len == strlen(c->cred_id)
            && memcmp(c->cred_id, cred_id, len) == 0);
}


size_t
strm_cred_format(const strm_cred_client_t *c, char *buf, size_t size)
{
    int   n;
    char  salt[STRM_CRED_SALT_B64 + 1], hash[STRM_CRED_HASH_B64 + 1];

    salt[strm_b64url_encode((unsigned char *) salt, c->salt,
                            STRM_CRED_SALT_LEN)] = '\0';
    hash[strm_b64url_encode((unsigned char *) hash, c->hash,
                            STRM_CRED_HASH_LEN)] = '\0';

    n = snprintf(buf, size, "%s " STRM_CRED_SCHEME " %s %s%s%s\n",
                 c->client_id, salt, hash, c->cred_id[0] ? " " : "",
                 c->cred_id);

    OPENSSL_cleanse(hash, sizeof(hash));

    return (n < 0) ? 0 : (size_t) n;
}


strm_rc_t
strm_cred_load_token_keys(const char *path, strm_jwt_keys_t *keys,
    char **sign_kid, unsigned char **sign_key, size_t *sign_len, char *err,
    size_t errlen)
{
    char                    *text;
    size_t                   i, len, nf, nk, nalloc, salloc, bad_line;
    strm_rc_t                rc;
    const char              *problem;
    strm_cred_str_t          f[2];
    strm_cred_tkey_t        *tk, k;
    strm_cred_seen_t        *seen;
    strm_cred_lines_t        ln;
    const strm_cred_seen_t  *dup;

    *sign_kid = NULL;
    *sign_key = NULL;
    *sign_len = 0;

    rc = strm_file_read(path, STRM_CRED_FILE_MAX, &text, &len, err, errlen);
    if (rc != STRM_OK) {
        return rc;
    }

    tk = NULL;
    seen = NULL;
    nk = 0;
    nalloc = 0;
    salloc = 0;
    bad_line = 0;
    problem = NULL;

    ln.pos = text;
    ln.end = text + len;
    ln.line = 0;

    /* the whole file is checked before any key reaches the set */
    for ( ;; ) {
        nf = strm_cred_next_line(&ln, f, 2);
        if (nf == 0) {
            break;
        }

        problem = strm_cred_parse_tkey(f, nf, &k);
        if (problem != NULL) {
            bad_line = ln.line;
            break;
        }

        if (k.key == NULL) {
            rc = STRM_E_NOMEM;
            goto failed;
        }

        k.line = ln.line;

        if (strm_cred_grow((void **) &tk, &nalloc, nk,
                           sizeof(strm_cred_tkey_t))
            != STRM_OK
            || strm_cred_grow((void **) &seen, &salloc, nk,
                              sizeof(strm_cred_seen_t))
               != STRM_OK)
        {
            strm_cred_free_tkeys(&k, 1);
            rc = STRM_E_NOMEM;
            goto failed;
        }

        tk[nk++] = k;
    }

    for (i = 0; i < nk; i++) {
        seen[i].id = tk[i].kid;
        seen[i].line = tk[i].line;
    }

    dup = strm_cred_first_dup(seen, nk);

    if (dup != NULL) {
        rc = strm_cred_error(STRM_E_BAD_REQUEST, err, errlen,
                             "line %zu: duplicate key id \"%s\"",
                             dup->line, dup->id);
        goto failed;
    }

    if (problem != NULL) {
        rc = strm_cred_error(STRM_E_BAD_REQUEST, err, errlen,
                             "line %zu: %s", bad_line, problem);
        goto failed;
    }

    if (nk == 0) {
        rc = strm_cred_error(STRM_E_BAD_REQUEST, err, errlen,
                             "no key in the file");
        goto failed;
    }

    for (i = 0; i < nk; i++) {
        rc = strm_jwt_keys_add_hs256(keys, tk[i].kid, tk[i].key, tk[i].len);

        if (rc == STRM_E_BAD_REQUEST) {
            /* the lengths are checked: only a kid already in the set */
            rc = strm_cred_error(rc, err, errlen,
                                 "line %zu: key id \"%s\" is already used",
                                 tk[i].line, tk[i].kid);
        }

        if (rc != STRM_OK) {
            goto failed;
        }
    }

    *sign_kid = strdup(tk[0].kid);
    *sign_key = malloc(tk[0].len);

    if (*sign_kid == NULL || *sign_key == NULL) {
        strm_cred_free_key(*sign_kid, *sign_key, 0);
        *sign_kid = NULL;
        *sign_key = NULL;
        rc = STRM_E_NOMEM;
        goto failed;
    }

    memcpy(*sign_key, tk[0].key, tk[0].len);
    *sign_len = tk[0].len;

    rc = STRM_OK;

failed:

    free(seen);
    strm_cred_free_tkeys(tk, nk);
    free(tk);
    strm_cred_free_text(text, len);

    return rc;
}


/*
 * NULL when f is a good key line, else why not.  k->key is malloc()ed
 * on success; NULL then means out of memory.
 */
static const char *
strm_cred_parse_tkey(const strm_cred_str_t *f, size_t nf,
    strm_cred_tkey_t *k)
{
    size_t          dlen;
    unsigned char  *key;

    memset(k, 0, sizeof(strm_cred_tkey_t));

    if (nf > 2) {
        return "extra fields after the secret";
    }

    if (nf < 2) {
        return "expected \"<kid> <secret base64url>\"";
    }

    if (!strm_cred_valid_id(f[0].data, f[0].len, STRM_CRED_KID_MAX)) {
        return "invalid key id";
    }

    memcpy(k->kid, f[0].data, f[0].len);

    key = malloc(strm_b64url_decoded_len(f[1].len) + 1);
    if (key == NULL) {
        return NULL;
    }

    if (strm_b64url_decode(key, &dlen, (const unsigned char *) f[1].data,
                           f[1].len)
        != STRM_OK)
    {
        OPENSSL_cleanse(key, strm_b64url_decoded_len(f[1].len) + 1);
        free(key);
        return "the secret is not base64url";
    }

    if (dlen < STRM_JWT_HS256_MIN) {
        OPENSSL_cleanse(key, dlen);
        free(key);
        return "the secret is shorter than 32 bytes";
    }

    k->key = key;
    k->len = dlen;

    return NULL;
}


static void
strm_cred_free_tkeys(strm_cred_tkey_t *tk, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (tk[i].key != NULL) {
            OPENSSL_cleanse(tk[i].key, tk[i].len);
            free(tk[i].key);
            tk[i].key = NULL;
        }
    }
}


void
strm_cred_free_key(char *kid, unsigned char *key, size_t len)
{
    if (key != NULL) {
        OPENSSL_cleanse(key, len);
        free(key);
    }

    free(kid);
}


strm_rc_t
strm_form_get(const char *body, size_t len, const char *name, char **out,
    size_t *outlen)
{
    char        *v;
    size_t       nlen, vlen, vsize;
    const char  *p, *end, *seq, *seq_end, *name_end, *val;

    *out = NULL;
    *outlen = 0;

    nlen = strlen(name);
    v = NULL;
    vlen = 0;
    vsize = 0;

    p = body;
    end = body + len;

    while (p < end) {
        seq = p;
        seq_end = memchr(p, '&', end - p);

        if (seq_end == NULL) {
            seq_end = end;
            p = end;

        } else {
            p = seq_end + 1;
        }

        /* "a=1&&b=2": WHATWG skips empty sequences */
        if (seq == seq_end) {
            continue;
        }

        name_end = memchr(seq, '=', seq_end - seq);

        if (name_end == NULL) {
            name_end = seq_end;
            val = seq_end;

        } else {
            val = name_end + 1;
        }

        if (!strm_form_name_is(seq, name_end - seq, name, nlen)) {
            continue;
        }

        if (v != NULL) {
            /* the value seen first may be a client secret */
            OPENSSL_cleanse(v, vsize);
            free(v);
            return STRM_E_BAD_REQUEST;
        }

        vsize = seq_end - val + 1;

        v = malloc(vsize);
        if (v == NULL) {
            return STRM_E_NOMEM;
        }

        vlen = strm_form_decode(v, val, seq_end - val);

        if (vlen == (size_t) -1) {
            OPENSSL_cleanse(v, vsize);
            free(v);
            return STRM_E_BAD_REQUEST;
        }

        v[vlen] = '\0';
    }

    if (v == NULL) {
        return STRM_E_NOT_FOUND;
    }

    *out = v;
    *outlen = vlen;

    return STRM_OK;
}


size_t
strm_form_decode(char *dst, const char *src, size_t len)
{
    int          c;
    char        *d;
    const char  *end;

    d = dst;
    end = src + len;

    while (src < end) {
        c = strm_form_next(&src, end);
        if (c == -1) {
            return (size_t) -1;
        }

        *d++ = (char) c;
    }

    return d - dst;
}


static int
strm_form_hex(unsigned char c)
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


/* the next decoded byte at *pos (< end), -1 on a bad % escape */
static int
strm_form_next(const char **pos, const char *end)
{
    int          hi, lo;
    const char  *p;

    p = *pos;

    if (*p == '+') {
        *pos = p + 1;
        return ' ';
    }

    if (*p != '%') {
        *pos = p + 1;
        return (unsigned char) *p;
    }

    /*
     * WHATWG would keep a stray '%' as it is; for credentials a
     * malformed request is refused rather than guessed at.
     */
    if (end - p < 3) {
        return -1;
    }

    hi = strm_form_hex((unsigned char) p[1]);
    lo = strm_form_hex((unsigned char) p[2]);

    if (hi == -1 || lo == -1) {
        return -1;
    }

    *pos = p + 3;

    return (hi << 4) | lo;
}


/*
 * Compares while decoding, without a copy.  A name with a bad escape
 * matches nothing: it cannot be the name asked for.
 */
static int
strm_form_name_is(const char *src, size_t len, const char *name,
    size_t nlen)
{
    int          c;
    size_t       i;
    const char  *end;

    /* decoding never makes a name longer */
    if (len < nlen) {
        return 0;
    }

    end = src + len;

    for (i = 0; src < end; i++) {
        c = strm_form_next(&src, end);

        if (c == -1 || i == nlen || c != (unsigned char) name[i]) {
            return 0;
        }
    }

    return (i == nlen);
}


int
strm_cred_equal(const void *a, const void *b, size_t n)
{
    size_t                i;
    uint64_t              x, y, d;
    const unsigned char  *p, *q;

    p = a;
    q = b;
    d = 0;

    for (i = 0; n - i >= 8; i += 8) {
        memcpy(&x, p + i, 8);
        memcpy(&y, q + i, 8);
        d |= x ^ y;

        /* d unknown to the compiler: no early way out of the loop */
        __asm__ ("" : "+r" (d));
    }

    for ( /* void */ ; i < n; i++) {
        d |= (uint64_t) (p[i] ^ q[i]);
        __asm__ ("" : "+r" (d));
    }

    return d == 0;
}
