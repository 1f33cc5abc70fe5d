
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_conf_file.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_stream.h"
#include "ngx_http_strm_auth.h"


/*
 * Streams authenticate as STRM's drivers do: an OAuth2 client
 * credentials grant at a token endpoint of ours (strm_token, in
 * ngx_http_strm_token.c), then a bearer JWT on every event
 * (strm_auth, here).  Our tokens are HS256 with a key every worker
 * reads from strm_token_keys; tokens of an identity provider are
 * verified with the keys of strm_jwks.  A worker keeps the
 * verifications that succeeded in a small direct-mapped cache keyed by
 * the SHA-256 of the token, so a producer's next event costs a hash,
 * not a signature check.  A connection keeps the last token it
 * verified (a memo): an h2 producer sends the same token on every
 * stream, which then costs a comparison, not even the hash.  Both
 * check the token's times and, for our tokens, its client and
 * credential against the configuration's every time they are used.
 */


#define NGX_HTTP_STRM_JWKS_MAX  (1024 * 1024)


typedef struct {
    u_char                       digest[32];
    time_t                       exp;
    time_t                       nbf;           /* 0: none */
    ngx_http_strm_stream_t      *stream;
    size_t                       client_len;
    u_char                       client[STRM_CRED_ID_MAX];
    unsigned                     own:1;         /* one of our tokens */
    unsigned                     has_cred:1;    /* it has a credId */
    size_t                       cred_len;
    u_char                       cred[STRM_CRED_CRED_MAX];
} ngx_http_strm_auth_cache_t;


/* a connection's last verified token, in its pool */
typedef struct {
    ngx_http_strm_main_conf_t   *conf;          /* it was verified in */
    u_char                      *token;         /* ngx_alloc(), wiped */
    size_t                       len;
    size_t                       size;
    ngx_http_strm_auth_cache_t   entry;
} ngx_http_strm_auth_memo_t;


static void ngx_http_strm_auth_cleanup(void *data);
static ngx_int_t ngx_http_strm_auth_resolve(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf, ngx_http_strm_loc_conf_t *conf);
static ngx_int_t ngx_http_strm_auth_digest(u_char *token, size_t len,
    u_char *digest);
static ngx_http_strm_auth_cache_t *ngx_http_strm_auth_cached(
    ngx_http_strm_main_conf_t *smcf, u_char *digest);
static strm_rc_t ngx_http_strm_verify(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *token, size_t len,
    ngx_http_strm_auth_cache_t *entry, const char **why);
static ngx_int_t ngx_http_strm_set_www_authenticate(ngx_http_request_t *r,
    const char *why);
static ngx_uint_t ngx_http_strm_auth_fresh(ngx_http_strm_main_conf_t *smcf,
    ngx_http_strm_auth_cache_t *e);
static ngx_http_strm_auth_memo_t *ngx_http_strm_auth_memo(
    ngx_http_request_t *r, ngx_uint_t create);
static void ngx_http_strm_auth_memo_set(ngx_http_strm_auth_memo_t *m,
    ngx_http_strm_main_conf_t *smcf, u_char *token, size_t len,
    ngx_http_strm_auth_cache_t *e);
static void ngx_http_strm_auth_memo_cleanup(void *data);


/* the worker's cache: made in init_process, for one configuration */
static ngx_http_strm_auth_cache_t  *ngx_http_strm_cache;

/* the cache's SHA-256, fetched once per process (not per token) */
static EVP_MD                      *ngx_http_strm_sha256;
static EVP_MD_CTX                  *ngx_http_strm_sha256_ctx;
static ngx_uint_t                   ngx_http_strm_cache_size;
static ngx_http_strm_main_conf_t   *ngx_http_strm_cache_conf;


/* strm_auth STREAM ... | off */

char *
ngx_http_strm_auth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_str_t   *value, *name;
    ngx_uint_t   i;

    if (slcf->auth != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        slcf->auth = NULL;
        return NGX_CONF_OK;
    }

    /* names now; merge resolves them, strm_stream may come later */
    slcf->auth = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                  sizeof(ngx_str_t));
    if (slcf->auth == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        name = ngx_array_push(slcf->auth);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        *name = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * The token keys and the JWKS are read with the configuration, so
 * "nginx -t" checks them and a reload picks up rotated keys.
 */
ngx_int_t
ngx_http_strm_auth_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    size_t               len;
    u_char              *text;
    strm_rc_t            rc;
    ngx_pool_cleanup_t  *cln;
    char                 err[512];

    ngx_conf_init_value(smcf->auth_leeway, 0);
    ngx_conf_init_value(smcf->auth_cache, NGX_HTTP_STRM_AUTH_CACHE);

    if (smcf->auth_cache < 0 || smcf->auth_cache > 1048576) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_auth_cache: from 0 (off) to 1048576");
        return NGX_ERROR;
    }

    if (smcf->token_issuer.len == 0) {
        ngx_str_set(&smcf->token_issuer, "ngx_strm");
    }

    if (smcf->jwks_stream_claim.len == 0) {
        ngx_str_set(&smcf->jwks_stream_claim, "stream");
    }

    if (smcf->jwks_client_claim.len == 0) {
        ngx_str_set(&smcf->jwks_client_claim, "clientId");
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_auth_cleanup;
    cln->data = smcf;

    if (smcf->token_keys.len) {
        if (ngx_conf_full_name(cf->cycle, &smcf->token_keys, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        smcf->own_keys = strm_jwt_keys_create();
        if (smcf->own_keys == NULL) {
            return NGX_ERROR;
        }

        err[0] = '\0';

        rc = strm_cred_load_token_keys((char *) smcf->token_keys.data,
                                       smcf->own_keys, &smcf->sign_kid,
                                       &smcf->sign_key, &smcf->sign_len,
                                       err, sizeof(err));
        if (rc != STRM_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm_token_keys \"%V\": %s",
                               &smcf->token_keys,
                               err[0] ? err : "cannot be read");
            return NGX_ERROR;
        }
    }

    if (smcf->jwks.len) {
        if (ngx_http_strm_conf_read_file(cf, "strm_jwks", &smcf->jwks,
                                         NGX_HTTP_STRM_JWKS_MAX, &text, &len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        smcf->ext_keys = strm_jwt_keys_create();
        if (smcf->ext_keys == NULL) {
            return NGX_ERROR;
        }

        err[0] = '\0';

        rc = strm_jwt_keys_add_jwks(smcf->ext_keys, (char *) text, len,
                                    err, sizeof(err));
        if (rc != STRM_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "strm_jwks \"%V\": %s",
                               &smcf->jwks, err[0] ? err : "no usable key");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_strm_auth_cleanup(void *data)
{
    ngx_http_strm_main_conf_t  *smcf = data;

    if (smcf->own_keys != NULL) {
        strm_jwt_keys_free(smcf->own_keys);
        smcf->own_keys = NULL;
    }

    if (smcf->ext_keys != NULL) {
        strm_jwt_keys_free(smcf->ext_keys);
        smcf->ext_keys = NULL;
    }

    strm_cred_free_key(smcf->sign_kid, smcf->sign_key, smcf->sign_len);
    smcf->sign_kid = NULL;
    smcf->sign_key = NULL;
}


static ngx_int_t
ngx_http_strm_auth_resolve(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf,
    ngx_http_strm_loc_conf_t *conf)
{
    ngx_str_t                *name;
    ngx_uint_t                i;
    ngx_array_t              *streams;
    ngx_http_strm_stream_t  **sp;

    if (conf->auth == NGX_CONF_UNSET_PTR || conf->auth == NULL
        || conf->auth_resolved)
    {
        return NGX_OK;
    }

    streams = ngx_array_create(cf->pool, conf->auth->nelts,
                               sizeof(ngx_http_strm_stream_t *));
    if (streams == NULL) {
        return NGX_ERROR;
    }

    name = conf->auth->elts;

    for (i = 0; i < conf->auth->nelts; i++) {
        sp = ngx_array_push(streams);
        if (sp == NULL) {
            return NGX_ERROR;
        }

        *sp = ngx_http_strm_stream_by_name(smcf, (char *) name[i].data,
                                           name[i].len);
        if (*sp == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm_auth names \"%V\", which is not "
                               "a strm_stream", &name[i]);
            return NGX_ERROR;
        }
    }

    conf->auth = streams;
    conf->auth_resolved = 1;

    return NGX_OK;
}


char *
ngx_http_strm_auth_merge(ngx_conf_t *cf, ngx_http_strm_loc_conf_t *prev,
    ngx_http_strm_loc_conf_t *conf)
{
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_strm_module);

    /*
     * The http level's conf is never merged itself: a server inherits
     * its names, so they are resolved on whichever level has them.
     */
    if (ngx_http_strm_auth_resolve(cf, smcf, prev) != NGX_OK
        || ngx_http_strm_auth_resolve(cf, smcf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->auth == NGX_CONF_UNSET_PTR) {
        conf->auth = (prev->auth == NGX_CONF_UNSET_PTR) ? NULL : prev->auth;
        conf->auth_resolved = 1;
    }

    if (conf->auth != NULL && smcf->own_keys == NULL
        && smcf->ext_keys == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_auth\" verifies tokens with the keys of "
                           "\"strm_token_keys\" or \"strm_jwks\", and "
                           "neither is set");
        return NGX_CONF_ERROR;
    }

    if (conf->token && smcf->own_keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_token\" signs tokens with a key of "
                           "\"strm_token_keys\", which is not set");
        return NGX_CONF_ERROR;
    }

    if (conf->stream_topic && conf->auth == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_ingest $strm_topic\" takes the topic of "
                           "the bearer token's stream and needs "
                           "\"strm_auth\" in its location");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_strm_access_handler(ngx_http_request_t *r)
{
    strm_rc_t                  rc;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf->auth == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    rc = ngx_http_strm_auth_check(r);

    if (rc == STRM_OK) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (rc != STRM_E_INVALID_TOKEN && rc != STRM_E_CLIENT_ID_MISSING) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_strm_set_www_authenticate(r, ctx->auth_why) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rc = rc;
    ctx->answered = 1;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "strm bearer token refused: %s", ctx->auth_why);

    ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_AUTH_FAILURES);

    return NGX_HTTP_UNAUTHORIZED;
}


/*
 * RFC 6750 section 3: the challenge names the error; the description
 * is one of our static reasons, never anything of the token.
 */
static ngx_int_t
ngx_http_strm_set_www_authenticate(ngx_http_request_t *r, const char *why)
{
    u_char           *p;
    size_t            len;
    ngx_table_elt_t  *h;

    len = sizeof("Bearer realm=\"strm\", error=\"invalid_token\", "
                 "error_description=\"\"") - 1 + ngx_strlen(why);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_sprintf(p, "Bearer realm=\"strm\", error=\"invalid_token\", "
                         "error_description=\"%s\"", why)
          - p;

    h = ngx_http_strm_header_out(r, "WWW-Authenticate", p, len);
    if (h == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.www_authenticate = h;

    return NGX_OK;
}


/*
 * The check once per request: the access handler asks, and so do the
 * variables, which limit_req evaluates in the preaccess phase before.
 */
strm_rc_t
ngx_http_strm_auth_check(ngx_http_request_t *r)
{
    size_t                       len;
    u_char                      *p, *last, *token;
    ngx_uint_t                   i;
    strm_rc_t                    rc;
    const char                  *why;
    ngx_table_elt_t             *h;
    ngx_http_strm_ctx_t         *ctx;
    ngx_http_strm_stream_t     **allowed;
    ngx_http_strm_loc_conf_t    *slcf;
    ngx_http_strm_main_conf_t   *smcf;
    ngx_http_strm_auth_memo_t   *m;
    ngx_http_strm_auth_cache_t  *e, *slot, fresh;
    u_char                       digest[32];

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return STRM_E_NOMEM;
    }

    if (ctx->auth_done) {
        return ctx->auth_rc;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    ctx->auth_done = 1;
    ctx->auth_rc = STRM_E_INVALID_TOKEN;
    ctx->auth_why = "missing";

    h = r->headers_in.authorization;

    if (h == NULL) {
        return ctx->auth_rc;
    }

    ctx->auth_why = "malformed";

    p = h->value.data;
    last = p + h->value.len;

    if (h->value.len < sizeof("Bearer ") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer ", sizeof("Bearer ") - 1)
           != 0)
    {
        ctx->auth_why = "not a bearer token";
        return ctx->auth_rc;
    }

    p += sizeof("Bearer ") - 1;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    token = p;
    len = last - p;

    if (len == 0 || len > STRM_JWT_MAX_LEN) {
        return ctx->auth_rc;
    }

    /* the connection's last token: compared whole, in constant time */
    m = (smcf->auth_cache > 0) ? ngx_http_strm_auth_memo(r, 0) : NULL;

    if (m != NULL && m->conf == smcf && m->len == len
        && strm_cred_equal(m->token, token, len)
        && ngx_http_strm_auth_fresh(smcf, &m->entry))
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm auth: token of the connection");

        e = &m->entry;
        goto verified;
    }

    if (ngx_http_strm_auth_digest(token, len, digest) != NGX_OK) {
        ctx->auth_rc = STRM_E_INTERNAL;
        ctx->auth_why = "internal error";
        return ctx->auth_rc;
    }

    e = ngx_http_strm_auth_cached(smcf, digest);

    if (e != NULL
        && (ngx_memcmp(e->digest, digest, 32) != 0
            || !ngx_http_strm_auth_fresh(smcf, e)))
    {
        slot = e;
        e = NULL;

    } else {
        slot = NULL;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm auth: token %s", e ? "cached" : "to verify");

    if (e == NULL) {
        ngx_memzero(&fresh, sizeof(ngx_http_strm_auth_cache_t));

        rc = ngx_http_strm_verify(r, smcf, token, len, &fresh, &why);

        ctx->auth_why = why;

        if (rc != STRM_OK) {
            ctx->auth_rc = rc;
            return rc;
        }

        ngx_memcpy(fresh.digest, digest, 32);

        if (slot != NULL) {
            *slot = fresh;
            e = slot;

        } else {
            e = &fresh;
        }
    }

    if (smcf->auth_cache > 0) {
        m = ngx_http_strm_auth_memo(r, 1);

        if (m != NULL) {
            ngx_http_strm_auth_memo_set(m, smcf, token, len, e);
        }
    }

verified:

    allowed = slcf->auth->elts;

    for (i = 0; i < slcf->auth->nelts; i++) {
        if (allowed[i] == e->stream) {
            break;
        }
    }

    if (i == slcf->auth->nelts) {
        ctx->auth_why = "token of another stream";
        return ctx->auth_rc;
    }

    /* NUL-terminated too: the dead letter names the client */
    ctx->client_id.data = ngx_pnalloc(r->pool, e->client_len + 1);
    if (ctx->client_id.data == NULL) {
        ctx->auth_rc = STRM_E_NOMEM;
        return ctx->auth_rc;
    }

    ngx_memcpy(ctx->client_id.data, e->client, e->client_len);
    ctx->client_id.data[e->client_len] = '\0';
    ctx->client_id.len = e->client_len;
    ctx->stream = e->stream;

    ctx->auth_rc = STRM_OK;
    ctx->auth_why = "ok";

    return STRM_OK;
}


/*
 * Our own tokens first (HS256); a token whose alg or key is not ours
 * goes to the identity provider's keys.  A key is only ever used for
 * its own alg, so "none" and alg confusion fail in strm_jwt_verify().
 */
static strm_rc_t
ngx_http_strm_verify(ngx_http_request_t *r, ngx_http_strm_main_conf_t *smcf,
    u_char *token, size_t len, ngx_http_strm_auth_cache_t *entry,
    const char **why)
{
    size_t                   n;
    json_t                  *claims, *v;
    strm_rc_t                rc;
    const char              *s, *stream_claim, *client_claim;
    ngx_uint_t               own;
    strm_jwt_params_t        params;
    strm_cred_client_t      *client;
    ngx_http_strm_stream_t  *st;

    claims = NULL;
    rc = STRM_E_FORBIDDEN;
    *why = "alg not allowed";
    own = 0;

    if (smcf->own_keys != NULL) {
        params.leeway = smcf->auth_leeway;
        params.issuer = (char *) smcf->token_issuer.data;
        params.audience = NULL;

        rc = strm_jwt_verify(smcf->own_keys, &params, (char *) token, len,
                             ngx_time(), &claims, why);
        own = 1;
    }

    if (rc == STRM_E_FORBIDDEN && smcf->ext_keys != NULL
        && (strcmp(*why, "alg not allowed") == 0
            || strcmp(*why, "unknown key") == 0))
    {
        params.leeway = smcf->auth_leeway;
        params.issuer = smcf->jwks_issuer.len
                        ? (char *) smcf->jwks_issuer.data : NULL;
        params.audience = smcf->jwks_audience.len
                          ? (char *) smcf->jwks_audience.data : NULL;

        rc = strm_jwt_verify(smcf->ext_keys, &params, (char *) token, len,
                             ngx_time(), &claims, why);
        own = 0;
    }

    if (rc == STRM_E_FORBIDDEN) {
        return STRM_E_INVALID_TOKEN;
    }

    if (rc != STRM_OK) {
        *why = "internal error";
        return rc;
    }

    rc = STRM_E_INVALID_TOKEN;

    if (own) {
        stream_claim = "stream";
        client_claim = "clientId";

        /* a refresh token is no bearer token */
        v = json_object_get(claims, "typ");
        if (!json_is_string(v) || strcmp(json_string_value(v), "Bearer") != 0)
        {
            *why = "not an access token";
            goto done;
        }

    } else {
        stream_claim = (char *) smcf->jwks_stream_claim.data;
        client_claim = (char *) smcf->jwks_client_claim.data;
    }

    v = json_object_get(claims, client_claim);
    s = json_string_value(v);
    n = s ? json_string_length(v) : 0;

    if (s == NULL || n == 0) {
        *why = "client id missing";
        rc = STRM_E_CLIENT_ID_MISSING;
        goto done;
    }

    if (n > STRM_CRED_ID_MAX) {
        *why = "client id too long";
        goto done;
    }

    for (entry->client_len = 0; entry->client_len < n; entry->client_len++) {
        if (s[entry->client_len] <= 0x20 || s[entry->client_len] >= 0x7f
            || s[entry->client_len] == '"' || s[entry->client_len] == '\\')
        {
            *why = "client id not printable";
            goto done;
        }

        entry->client[entry->client_len] = s[entry->client_len];
    }

    v = json_object_get(claims, stream_claim);
    st = json_is_string(v)
         ? ngx_http_strm_stream_by_name(smcf, json_string_value(v),
                                        json_string_length(v))
         : NULL;

    if (st == NULL) {
        *why = "unknown stream";
        goto done;
    }

    if (own) {
        /* a client revoked by a reload loses its tokens with it */
        client = ngx_http_strm_stream_client(st, s, n);

        if (client == NULL) {
            *why = "unknown client";
            goto done;
        }

        /* and a client made again under its id does not get them back */
        v = json_object_get(claims, STRM_CRED_CLAIM);

        if ((v != NULL && !json_is_string(v))
            || !strm_cred_same(client, json_string_value(v),
                               v ? json_string_length(v) : 0))
        {
            *why = "credential revoked";
            goto done;
        }

        /* kept to check again each time the verification is reused */
        entry->own = 1;

        if (v != NULL) {
            entry->has_cred = 1;
            entry->cred_len = json_string_length(v);
            ngx_memcpy(entry->cred, json_string_value(v), entry->cred_len);
        }
    }

    /* strm_jwt_verify() checked it is a NumericDate in range */
    if (strm_jwt_claim_time(claims, "exp", &entry->exp) != STRM_OK) {
        *why = "exp missing";
        goto done;
    }

    if (json_object_get(claims, "nbf") != NULL
        && strm_jwt_claim_time(claims, "nbf", &entry->nbf) != STRM_OK)
    {
        *why = "nbf not an integer";
        goto done;
    }

    entry->stream = st;

    rc = STRM_OK;
    *why = "ok";

done:

    json_decref(claims);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm token check: %s (%s)", *why,
                   own ? "own" : "jwks");

    return rc;
}


/*
 * Is a verification kept (in the cache or a connection's memo) still
 * good now: not expired, not before its nbf (the clock checked each
 * time, with the leeway strm_jwt_verify() allows), and for our tokens
 * its client still in its stream with the same credential (the
 * entries are of smcf: the clients loaded now).
 */
static ngx_uint_t
ngx_http_strm_auth_fresh(ngx_http_strm_main_conf_t *smcf,
    ngx_http_strm_auth_cache_t *e)
{
    time_t               now;
    strm_cred_client_t  *client;

    if (e->stream == NULL) {
        return 0;
    }

    now = ngx_time();

    if (now >= e->exp + smcf->auth_leeway
        || (e->nbf != 0 && now + smcf->auth_leeway < e->nbf))
    {
        return 0;
    }

    if (!e->own) {
        return 1;
    }

    client = ngx_http_strm_stream_client(e->stream, (char *) e->client,
                                         e->client_len);

    return client != NULL
           && strm_cred_same(client, e->has_cred ? (char *) e->cred : NULL,
                             e->cred_len);
}


/*
 * The memo of the request's connection: h2's streams are requests on
 * connections of their own (fake ones); the memo is in the pool of the
 * client's connection, which lives as long as it.  The pool of a
 * connection is of one configuration (a reload makes new connections;
 * nginx without a master process keeps old ones): the memo names its
 * configuration and is used in that one only.
 */
static ngx_http_strm_auth_memo_t *
ngx_http_strm_auth_memo(ngx_http_request_t *r, ngx_uint_t create)
{
    return ngx_http_strm_connection_memo(r, ngx_http_strm_auth_memo_cleanup,
                                         sizeof(ngx_http_strm_auth_memo_t),
                                         create);
}


static void
ngx_http_strm_auth_memo_set(ngx_http_strm_auth_memo_t *m,
    ngx_http_strm_main_conf_t *smcf, u_char *token, size_t len,
    ngx_http_strm_auth_cache_t *e)
{
    if (m->token != NULL && m->size < len) {
        OPENSSL_cleanse(m->token, m->size);
        ngx_free(m->token);
        m->token = NULL;
        m->size = 0;
    }

    if (m->token == NULL) {
        m->token = ngx_alloc(len, ngx_cycle->log);
        if (m->token == NULL) {
            m->conf = NULL;
            m->len = 0;
            return;
        }

        m->size = len;
    }

    OPENSSL_cleanse(m->token, m->size);
    ngx_memcpy(m->token, token, len);
    m->len = len;
    m->entry = *e;
    m->conf = smcf;
}


static void
ngx_http_strm_auth_memo_cleanup(void *data)
{
    ngx_http_strm_auth_memo_t  *m = data;

    if (m->token != NULL) {
        OPENSSL_cleanse(m->token, m->size);
        ngx_free(m->token);
    }

    OPENSSL_cleanse(m, sizeof(ngx_http_strm_auth_memo_t));
}


/*
 * SHA-256 of a token, on a digest fetched and a context made once:
 * EVP_Digest() with EVP_sha256() fetched the implementation and made a
 * context for every request.
 */
static ngx_int_t
ngx_http_strm_auth_digest(u_char *token, size_t len, u_char *digest)
{
    if (ngx_http_strm_sha256 == NULL) {
        ngx_http_strm_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (ngx_http_strm_sha256 == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_strm_sha256_ctx == NULL) {
        ngx_http_strm_sha256_ctx = EVP_MD_CTX_new();
        if (ngx_http_strm_sha256_ctx == NULL) {
            return NGX_ERROR;
        }
    }

    if (EVP_DigestInit_ex2(ngx_http_strm_sha256_ctx, ngx_http_strm_sha256,
                           NULL) != 1
        || EVP_DigestUpdate(ngx_http_strm_sha256_ctx, token, len) != 1
        || EVP_DigestFinal_ex(ngx_http_strm_sha256_ctx, digest, NULL) != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The slot of a token's digest in the worker's cache, NULL without a
 * cache.  A single process keeps its workers' memory across a reload:
 * entries of another configuration point to its streams, so the cache
 * is emptied when the configuration changes (never resized here).
 */
static ngx_http_strm_auth_cache_t *
ngx_http_strm_auth_cached(ngx_http_strm_main_conf_t *smcf, u_char *digest)
{
    ngx_uint_t  slot, size;

    if (ngx_http_strm_cache == NULL) {
        return NULL;
    }

    size = ngx_min(ngx_http_strm_cache_size, (ngx_uint_t) smcf->auth_cache);

    if (size == 0) {
        return NULL;
    }

    if (ngx_http_strm_cache_conf != smcf) {
        ngx_memzero(ngx_http_strm_cache, ngx_http_strm_cache_size
                                         * sizeof(ngx_http_strm_auth_cache_t));
        ngx_http_strm_cache_conf = smcf;
    }

    slot = ((ngx_uint_t) digest[0] << 24 | (ngx_uint_t) digest[1] << 16
            | (ngx_uint_t) digest[2] << 8 | digest[3])
           % size;

    return &ngx_http_strm_cache[slot];
}


ngx_int_t
ngx_http_strm_auth_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    ngx_http_strm_auth_exit_process(cycle);

    if (smcf->auth_cache <= 0
        || (smcf->own_keys == NULL && smcf->ext_keys == NULL))
    {
        return NGX_OK;
    }

    ngx_http_strm_cache_size = (ngx_uint_t) smcf->auth_cache;
    ngx_http_strm_cache = ngx_calloc(ngx_http_strm_cache_size
                                     * sizeof(ngx_http_strm_auth_cache_t),
                                     cycle->log);
    if (ngx_http_strm_cache == NULL) {
        ngx_http_strm_cache_size = 0;
        return NGX_ERROR;
    }

    ngx_http_strm_cache_conf = smcf;

    return NGX_OK;
}


void
ngx_http_strm_auth_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_strm_cache != NULL) {
        ngx_free(ngx_http_strm_cache);
        ngx_http_strm_cache = NULL;
    }

    ngx_http_strm_cache_size = 0;
    ngx_http_strm_cache_conf = NULL;

    EVP_MD_CTX_free(ngx_http_strm_sha256_ctx);
    ngx_http_strm_sha256_ctx = NULL;

    EVP_MD_free(ngx_http_strm_sha256);
    ngx_http_strm_sha256 = NULL;
}
