
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_strm_module.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_auth.h"


/*
 * Streams authenticate as STRM's drivers do: an OAuth2 client
 * credentials grant at a token endpoint of ours (strm_token), then a
 * bearer JWT on every event (strm_auth).  Our tokens are HS256 with a
 * key every worker reads from strm_token_keys; tokens of an identity
 * provider are verified with the keys of strm_jwks.  A worker keeps
 * the verifications that succeeded in a small direct-mapped cache
 * keyed by the SHA-256 of the token, so a producer's next event costs
 * a hash, not a signature check.
 */


#define NGX_HTTP_STRM_JWKS_MAX  (1024 * 1024)


struct ngx_http_strm_auth_cache_s {
    u_char                       digest[32];
    time_t                       exp;
    ngx_http_strm_stream_t      *stream;
    size_t                       client_len;
    u_char                       client[STRM_CRED_ID_MAX];
};


static char *ngx_http_strm_stream_conf(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf);
static int ngx_libc_cdecl ngx_http_strm_client_cmp(const void *a,
    const void *b);
static ngx_int_t ngx_http_strm_read_conf_file(ngx_conf_t *cf,
    ngx_str_t *path, size_t max, u_char **out, size_t *len);
static void ngx_http_strm_auth_cleanup(void *data);
static strm_cred_client_t *ngx_http_strm_find_client(
    ngx_http_strm_main_conf_t *smcf, const char *id, size_t len,
    ngx_http_strm_stream_t **stream);
static ngx_int_t ngx_http_strm_auth_resolve(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf, ngx_http_strm_loc_conf_t *conf);
static strm_cred_client_t *ngx_http_strm_stream_client(
    ngx_http_strm_stream_t *st, const char *id, size_t len);
static ngx_http_strm_stream_t *ngx_http_strm_stream_by_name(
    ngx_http_strm_main_conf_t *smcf, const char *name, size_t len);
static strm_rc_t ngx_http_strm_verify(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *token, size_t len,
    ngx_http_strm_auth_cache_t *entry, const char **why);
static ngx_int_t ngx_http_strm_set_www_authenticate(ngx_http_request_t *r,
    const char *why);
static void ngx_http_strm_token_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_token_client(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *body, size_t len,
    strm_cred_client_t **client, ngx_http_strm_stream_t **stream);
static ngx_int_t ngx_http_strm_token_grant(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *form, size_t flen,
    strm_cred_client_t *client,
    ngx_http_strm_stream_t *stream);
static char *ngx_http_strm_sign(ngx_http_strm_main_conf_t *smcf,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream,
    const char *typ, time_t now, time_t lifetime);
static ngx_int_t ngx_http_strm_token_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, const char *description);
static ngx_int_t ngx_http_strm_token_send(ngx_http_request_t *r,
    ngx_uint_t status, json_t *body);


static ngx_http_strm_auth_cache_t  *ngx_http_strm_cache;
static ngx_uint_t                   ngx_http_strm_cache_size;
static ngx_http_strm_main_conf_t   *ngx_http_strm_cache_conf;

static ngx_str_t  ngx_http_strm_form_type =
    ngx_string("application/x-www-form-urlencoded");


/* strm_stream NAME { topic TOPIC; clients FILE; } */

char *
ngx_http_strm_stream_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    char                    *rv;
    ngx_str_t               *value;
    ngx_uint_t               i;
    ngx_conf_t               save;
    ngx_http_strm_stream_t  *st;

    value = cf->args->elts;

    if (!strm_cred_valid_id((char *) value[1].data, value[1].len,
                            STRM_CRED_ID_MAX))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid stream name \"%V\": 1 to 128 of "
                           "a-z A-Z 0-9 . _ ~ -", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (smcf->streams == NULL) {
        smcf->streams = ngx_array_create(cf->pool, 4,
                                         sizeof(ngx_http_strm_stream_t));
        if (smcf->streams == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    st = smcf->streams->elts;

    for (i = 0; i < smcf->streams->nelts; i++) {
        if (st[i].name.len == value[1].len
            && ngx_strcmp(st[i].name.data, value[1].data) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate strm_stream \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    st = ngx_array_push(smcf->streams);
    if (st == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(st, sizeof(ngx_http_strm_stream_t));
    st->name = value[1];

    save = *cf;
    cf->handler = ngx_http_strm_stream_conf;
    cf->handler_conf = (char *) st;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (st->topic.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_stream \"%V\" has no \"topic\"", &st->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_strm_stream_conf(ngx_conf_t *cf, ngx_command_t *dummy, void *conf)
{
    ngx_http_strm_stream_t  *st = (ngx_http_strm_stream_t *) conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (cf->args->nelts != 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of arguments in \"%V\" of "
                           "strm_stream", &value[0]);
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[0].data, "topic") == 0) {
        if (st->topic.len) {
            return "has a duplicate \"topic\"";
        }

        if (ngx_http_strm_valid_topic(&value[1]) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Kafka topic \"%V\": 1 to 249 of "
                               "a-z A-Z 0-9 . _ -", &value[1]);
            return NGX_CONF_ERROR;
        }

        st->topic = value[1];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[0].data, "clients") == 0) {
        if (st->clients_file.len) {
            return "has a duplicate \"clients\"";
        }

        st->clients_file = value[1];
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown directive \"%V\" in strm_stream "
                       "(\"topic\" or \"clients\")", &value[0]);

    return NGX_CONF_ERROR;
}


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


char *
ngx_http_strm_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->token) {
        return "is duplicate";
    }

    slcf->token = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_token_handler;

    return NGX_CONF_OK;
}


/*
 * The clients, token keys and JWKS are read with the configuration, so
 * "nginx -t" checks them and a reload picks up new and revoked clients
 * and rotated keys.
 */
ngx_int_t
ngx_http_strm_auth_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    size_t                   len;
    u_char                  *text;
    strm_rc_t                rc;
    ngx_uint_t               i, j;
    ngx_pool_cleanup_t      *cln;
    ngx_http_strm_stream_t  *st, *other;
    char                     err[512];

    ngx_conf_init_value(smcf->token_lifetime, NGX_HTTP_STRM_TOKEN_LIFETIME);
    ngx_conf_init_value(smcf->refresh_lifetime,
                        NGX_HTTP_STRM_REFRESH_LIFETIME);
    ngx_conf_init_value(smcf->auth_leeway, 0);
    ngx_conf_init_value(smcf->auth_cache, NGX_HTTP_STRM_AUTH_CACHE);

    if (smcf->token_lifetime < 1 || smcf->refresh_lifetime < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_token_lifetime and strm_refresh_lifetime "
                           "must be at least 1s");
        return NGX_ERROR;
    }

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

    st = smcf->streams ? smcf->streams->elts : NULL;

    for (i = 0; smcf->streams && i < smcf->streams->nelts; i++) {
        if (st[i].clients_file.len == 0) {
            continue;
        }

        if (ngx_conf_full_name(cf->cycle, &st[i].clients_file, 1) != NGX_OK)
        {
            return NGX_ERROR;
        }

        err[0] = '\0';

        rc = strm_cred_load((char *) st[i].clients_file.data, &st[i].clients,
                            &st[i].nclients, err, sizeof(err));
        if (rc != STRM_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm_stream \"%V\" clients \"%V\": %s",
                               &st[i].name, &st[i].clients_file,
                               err[0] ? err : "cannot be read");
            return NGX_ERROR;
        }

        if (st[i].nclients > 1) {
            ngx_qsort(st[i].clients, st[i].nclients,
                      sizeof(strm_cred_client_t), ngx_http_strm_client_cmp);
        }
    }

    /* the token endpoint finds the stream by the client id */
    for (i = 0; smcf->streams && i < smcf->streams->nelts; i++) {
        for (j = 0; j < st[i].nclients; j++) {
            len = ngx_strlen(st[i].clients[j].client_id);

            if (ngx_http_strm_find_client(smcf, st[i].clients[j].client_id,
                                          len, &other)
                != &st[i].clients[j])
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "client \"%s\" is in strm_stream \"%V\" "
                                   "and another stream",
                                   st[i].clients[j].client_id, &st[i].name);
                return NGX_ERROR;
            }
        }
    }

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
        if (ngx_http_strm_read_conf_file(cf, &smcf->jwks,
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


static int ngx_libc_cdecl
ngx_http_strm_client_cmp(const void *a, const void *b)
{
    const strm_cred_client_t  *ca = a;
    const strm_cred_client_t  *cb = b;

    return ngx_strcmp(ca->client_id, cb->client_id);
}


static ngx_int_t
ngx_http_strm_read_conf_file(ngx_conf_t *cf, ngx_str_t *path, size_t max,
    u_char **out, size_t *len)
{
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    if ((size_t) ngx_file_size(&fi) > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is larger than %uz bytes", path, max);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    buf = ngx_pnalloc(cf->temp_pool, (size_t) ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, (size_t) ngx_file_size(&fi));
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    buf[n] = '\0';
    *out = buf;
    *len = (size_t) n;

    return NGX_OK;
}


static void
ngx_http_strm_auth_cleanup(void *data)
{
    ngx_http_strm_main_conf_t  *smcf = data;

    ngx_uint_t               i;
    ngx_http_strm_stream_t  *st;

    st = smcf->streams ? smcf->streams->elts : NULL;

    for (i = 0; smcf->streams && i < smcf->streams->nelts; i++) {
        strm_cred_free(st[i].clients, st[i].nclients);
        st[i].clients = NULL;
        st[i].nclients = 0;
    }

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


static strm_cred_client_t *
ngx_http_strm_stream_client(ngx_http_strm_stream_t *st, const char *id,
    size_t len)
{
    int                  c;
    size_t               lo, hi, mid;
    strm_cred_client_t  *cl;

    if (len == 0 || len > STRM_CRED_ID_MAX || memchr(id, '\0', len)) {
        return NULL;
    }

    lo = 0;
    hi = st->nclients;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        cl = &st->clients[mid];

        c = ngx_strncmp(id, cl->client_id, len);
        if (c == 0 && cl->client_id[len] != '\0') {
            c = -1;
        }

        if (c == 0) {
            return cl;
        }

        if (c < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


static strm_cred_client_t *
ngx_http_strm_find_client(ngx_http_strm_main_conf_t *smcf, const char *id,
    size_t len, ngx_http_strm_stream_t **stream)
{
    ngx_uint_t               i;
    strm_cred_client_t      *cl;
    ngx_http_strm_stream_t  *st;

    st = smcf->streams ? smcf->streams->elts : NULL;

    for (i = 0; smcf->streams && i < smcf->streams->nelts; i++) {
        cl = ngx_http_strm_stream_client(&st[i], id, len);
        if (cl != NULL) {
            *stream = &st[i];
            return cl;
        }
    }

    *stream = NULL;

    return NULL;
}


static ngx_http_strm_stream_t *
ngx_http_strm_stream_by_name(ngx_http_strm_main_conf_t *smcf,
    const char *name, size_t len)
{
    ngx_uint_t               i;
    ngx_http_strm_stream_t  *st;

    st = smcf->streams ? smcf->streams->elts : NULL;

    for (i = 0; smcf->streams && i < smcf->streams->nelts; i++) {
        if (st[i].name.len == len
            && ngx_memcmp(st[i].name.data, name, len) == 0)
        {
            return &st[i];
        }
    }

    return NULL;
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
    size_t            len;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("Bearer realm=\"strm\", error=\"invalid_token\", "
                 "error_description=\"\"") - 1 + ngx_strlen(why);

    h->value.data = ngx_pnalloc(r->pool, len);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->value.len = ngx_sprintf(h->value.data,
                               "Bearer realm=\"strm\", "
                               "error=\"invalid_token\", "
                               "error_description=\"%s\"", why)
                   - h->value.data;
    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");

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
    ngx_uint_t                   i, slot;
    strm_rc_t                    rc;
    const char                  *why;
    ngx_table_elt_t             *h;
    ngx_http_strm_ctx_t         *ctx;
    ngx_http_strm_stream_t     **allowed;
    ngx_http_strm_loc_conf_t    *slcf;
    ngx_http_strm_main_conf_t   *smcf;
    ngx_http_strm_auth_cache_t  *e, fresh;
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

    if (EVP_Digest(token, len, digest, NULL, EVP_sha256(), NULL) != 1) {
        ctx->auth_rc = STRM_E_INTERNAL;
        ctx->auth_why = "internal error";
        return ctx->auth_rc;
    }

    /* a worker's cache belongs to one configuration (single process) */
    if (ngx_http_strm_cache_conf != smcf) {
        ngx_http_strm_auth_exit_process(NULL);
        ngx_http_strm_cache_conf = smcf;
    }

    if (ngx_http_strm_cache == NULL && smcf->auth_cache > 0) {
        ngx_http_strm_cache_size = (ngx_uint_t) smcf->auth_cache;
        ngx_http_strm_cache = ngx_calloc(ngx_http_strm_cache_size
                                         * sizeof(ngx_http_strm_auth_cache_t),
                                         r->connection->log);
    }

    e = NULL;
    slot = 0;

    if (ngx_http_strm_cache != NULL) {
        slot = ((ngx_uint_t) digest[0] << 24 | (ngx_uint_t) digest[1] << 16
                | (ngx_uint_t) digest[2] << 8 | digest[3])
               % ngx_http_strm_cache_size;
        e = &ngx_http_strm_cache[slot];

        if (e->stream == NULL
            || ngx_memcmp(e->digest, digest, 32) != 0
            || ngx_time() >= e->exp + smcf->auth_leeway)
        {
            e = NULL;
        }
    }

    if (e == NULL) {
        ngx_memzero(&fresh, sizeof(ngx_http_strm_auth_cache_t));

        rc = ngx_http_strm_verify(r, smcf, token, len, &fresh, &why);

        ctx->auth_why = why;

        if (rc != STRM_OK) {
            ctx->auth_rc = rc;
            return rc;
        }

        ngx_memcpy(fresh.digest, digest, 32);

        if (ngx_http_strm_cache != NULL) {
            ngx_http_strm_cache[slot] = fresh;
            e = &ngx_http_strm_cache[slot];

        } else {
            e = &fresh;
        }
    }

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

    /* a client revoked by a reload loses its tokens with it */
    if (own && ngx_http_strm_stream_client(st, s, n) == NULL) {
        *why = "unknown client";
        goto done;
    }

    v = json_object_get(claims, "exp");

    entry->exp = (time_t) json_number_value(v);
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


void
ngx_http_strm_auth_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_strm_cache != NULL) {
        ngx_free(ngx_http_strm_cache);
        ngx_http_strm_cache = NULL;
    }

    ngx_http_strm_cache_size = 0;
    ngx_http_strm_cache_conf = NULL;
}


/*
 * The token endpoint: RFC 6749 section 4.4 (client credentials) and
 * section 6 (refresh), answered in the shape of Keycloak's, which is
 * what STRM's drivers read.
 */
ngx_int_t
ngx_http_strm_token_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    if (r->method != NGX_HTTP_POST) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "POST");

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        return ngx_http_strm_token_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "invalid_request",
                                         "only POST is accepted here");
    }

    if (r->headers_in.content_length_n > NGX_HTTP_STRM_TOKEN_BODY_MAX) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        return ngx_http_strm_token_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "invalid_request",
                                         "the request body is too large");
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_strm_token_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_strm_token_body(ngx_http_request_t *r)
{
    size_t                      len;
    u_char                     *body, *p;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_table_elt_t            *ct;
    strm_cred_client_t         *client;
    ngx_http_strm_stream_t     *stream;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    if (r->connection->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    ct = r->headers_in.content_type;

    if (ct == NULL
        || ct->value.len < ngx_http_strm_form_type.len
        || ngx_strncasecmp(ct->value.data, ngx_http_strm_form_type.data,
                           ngx_http_strm_form_type.len) != 0
        || (ct->value.len > ngx_http_strm_form_type.len
            && ct->value.data[ngx_http_strm_form_type.len] != ';'
            && ct->value.data[ngx_http_strm_form_type.len] != ' '))
    {
        ngx_http_finalize_request(r,
            ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                "invalid_request",
                "the body must be application/x-www-form-urlencoded"));
        return;
    }

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (b->in_file || len + ngx_buf_size(b)
                          > NGX_HTTP_STRM_TOKEN_BODY_MAX)
        {
            ngx_http_finalize_request(r,
                ngx_http_strm_token_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "invalid_request",
                                          "the request body is too large"));
            return;
        }

        len += ngx_buf_size(b);
    }

    body = ngx_pnalloc(r->pool, len + 1);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = body;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    *p = '\0';

    rc = ngx_http_strm_token_client(r, smcf, body, len, &client, &stream);

    if (client != NULL) {
        rc = ngx_http_strm_token_grant(r, smcf, body, len, client, stream);
    }

    /* the form held the client's secret */
    ngx_explicit_memzero(body, len);

    ngx_http_finalize_request(r, rc);
}


/*
 * The grant type first (an unknown one is not worth a secret check),
 * then the client: HTTP Basic or client_id/client_secret in the body,
 * not both (RFC 6749 section 2.3).  Returns NGX_OK with *client set,
 * or the result of sending the error with *client NULL.
 */
static ngx_int_t
ngx_http_strm_token_client(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *body, size_t len,
    strm_cred_client_t **client, ngx_http_strm_stream_t **stream)
{
    int               ok;
    char             *grant, *id, *secret, *colon;
    size_t            glen, idlen, slen;
    strm_rc_t         rc, rc2;
    ngx_int_t         res;
    ngx_str_t         basic, dec;
    ngx_table_elt_t  *h;

    grant = NULL;
    id = NULL;
    secret = NULL;
    dec.data = NULL;
    dec.len = 0;
    *client = NULL;

    rc = strm_form_get((char *) body, len, "grant_type", &grant, &glen);

    if (rc == STRM_E_NOT_FOUND) {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "Missing form parameter: grant_type");
        goto done;
    }

    if (rc != STRM_OK) {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "grant_type is malformed or repeated");
        goto done;
    }

    if (strcmp(grant, "client_credentials") != 0
        && strcmp(grant, "refresh_token") != 0)
    {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "unsupported_grant_type",
                                        "the grant types are "
                                        "client_credentials and "
                                        "refresh_token");
        goto done;
    }

    rc = strm_form_get((char *) body, len, "client_id", &id, &idlen);
    rc2 = strm_form_get((char *) body, len, "client_secret", &secret, &slen);

    if ((rc != STRM_OK && rc != STRM_E_NOT_FOUND)
        || (rc2 != STRM_OK && rc2 != STRM_E_NOT_FOUND))
    {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "client_id or client_secret is "
                                        "malformed or repeated");
        goto done;
    }

    h = r->headers_in.authorization;

    if (h != NULL && h->value.len > sizeof("Basic ") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "Basic ",
                           sizeof("Basic ") - 1) == 0)
    {
        if (secret != NULL) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "more than one client "
                                            "authentication method");
            goto done;
        }

        basic.data = h->value.data + sizeof("Basic ") - 1;
        basic.len = h->value.len - (sizeof("Basic ") - 1);

        dec.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(basic.len)
                                        + 1);
        if (dec.data == NULL) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        colon = NULL;

        if (ngx_decode_base64(&dec, &basic) == NGX_OK) {
            colon = (char *) ngx_strlchr(dec.data, dec.data + dec.len, ':');
        }

        if (colon == NULL) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "the Basic credentials are "
                                            "malformed");
            goto done;
        }

        /* RFC 6749 section 2.3.1: both parts are form-urlencoded */
        idlen = strm_form_decode((char *) dec.data, (char *) dec.data,
                                 colon - (char *) dec.data);
        slen = strm_form_decode(colon + 1, colon + 1,
                                (char *) dec.data + dec.len - colon - 1);

        if (idlen == (size_t) -1 || slen == (size_t) -1
            || (id != NULL && (idlen != strlen(id)
                               || ngx_memcmp(id, dec.data, idlen) != 0)))
        {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "the Basic credentials are "
                                            "malformed or disagree with "
                                            "client_id");
            goto done;
        }

        ok = strm_cred_check(ngx_http_strm_find_client(smcf,
                                                       (char *) dec.data,
                                                       idlen, stream),
                             colon + 1, slen);
        if (ok) {
            *client = ngx_http_strm_find_client(smcf, (char *) dec.data,
                                                idlen, stream);
        }

    } else if (id != NULL && secret != NULL) {
        ok = strm_cred_check(ngx_http_strm_find_client(smcf, id, idlen,
                                                       stream),
                             secret, slen);
        if (ok) {
            *client = ngx_http_strm_find_client(smcf, id, idlen, stream);
        }
    }

    if (*client == NULL) {
        /* RFC 6749 section 5.2: 401 with a challenge of the scheme */
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        ngx_str_set(&h->value, "Basic realm=\"strm\"");
        r->headers_out.www_authenticate = h;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "strm token: client authentication failed");

        res = ngx_http_strm_token_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "invalid_client",
                                        "Invalid client or Invalid client "
                                        "credentials");
        goto done;
    }

    res = NGX_OK;

done:

    if (dec.data != NULL) {
        ngx_explicit_memzero(dec.data, dec.len);
    }

    if (secret != NULL) {
        ngx_explicit_memzero(secret, slen);
        free(secret);
    }

    free(id);
    free(grant);

    return res;
}


static ngx_int_t
ngx_http_strm_token_grant(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *form, size_t flen,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream)
{
    char               *grant, *refresh, *access, *renew;
    size_t              len;
    json_t             *body, *claims, *v;
    time_t              now;
    strm_rc_t           rc;
    ngx_int_t           res;
    const char         *why;
    strm_jwt_params_t   params;

    grant = NULL;
    refresh = NULL;
    access = NULL;
    renew = NULL;
    claims = NULL;
    body = NULL;
    now = ngx_time();

    if (strm_form_get((char *) form, flen, "grant_type", &grant, &len)
        != STRM_OK)
    {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    if (strcmp(grant, "refresh_token") == 0) {
        rc = strm_form_get((char *) form, flen, "refresh_token", &refresh,
                           &len);

        if (rc != STRM_OK) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "Missing form parameter: "
                                            "refresh_token");
            goto done;
        }

        params.leeway = 0;
        params.issuer = (char *) smcf->token_issuer.data;
        params.audience = NULL;

        rc = strm_jwt_verify(smcf->own_keys, &params, refresh, len, now,
                             &claims, &why);

        if (rc == STRM_OK) {
            v = json_object_get(claims, "typ");
            if (!json_is_string(v)
                || strcmp(json_string_value(v), "Refresh") != 0)
            {
                why = "not a refresh token";
                rc = STRM_E_FORBIDDEN;
            }
        }

        if (rc == STRM_OK) {
            /* a refresh token is bound to its client (section 6) */
            v = json_object_get(claims, "clientId");
            if (!json_is_string(v)
                || strcmp(json_string_value(v), client->client_id) != 0)
            {
                why = "another client's token";
                rc = STRM_E_FORBIDDEN;
            }
        }

        if (rc == STRM_E_FORBIDDEN) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "strm token: refresh token refused: %s", why);

            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_grant",
                                            "Invalid refresh token");
            goto done;
        }

        if (rc != STRM_OK) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }
    }

    access = ngx_http_strm_sign(smcf, client, stream, "Bearer", now,
                                smcf->token_lifetime);
    renew = ngx_http_strm_sign(smcf, client, stream, "Refresh", now,
                               smcf->refresh_lifetime);

    if (access == NULL || renew == NULL) {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    /*
     * expires_at is not OAuth2's: STRM's Node driver schedules its
     * refresh from it and, without it, refreshes without pause.
     */
    body = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:s}",
                     "access_token", access,
                     "expires_in", (json_int_t) smcf->token_lifetime,
                     "expires_at", (json_int_t) (now + smcf->token_lifetime),
                     "refresh_expires_in",
                     (json_int_t) smcf->refresh_lifetime,
                     "refresh_token", renew,
                     "token_type", "Bearer",
                     "not-before-policy", 0,
                     "scope", "");
    if (body == NULL) {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "strm token: %s for client \"%s\" of stream \"%V\"",
                  grant, client->client_id, &stream->name);

    res = ngx_http_strm_token_send(r, NGX_HTTP_OK, body);

done:

    json_decref(body);
    json_decref(claims);
    free(grant);
    free(refresh);
    free(access);
    free(renew);

    return res;
}


static char *
ngx_http_strm_sign(ngx_http_strm_main_conf_t *smcf,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream,
    const char *typ, time_t now, time_t lifetime)
{
    char     *out;
    json_t   *claims;
    char      jti[STRM_UUID_LEN + 1];

    if (strm_uuid4(jti) != STRM_OK) {
        return NULL;
    }

    jti[STRM_UUID_LEN] = '\0';

    claims = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                       "exp", (json_int_t) (now + lifetime),
                       "iat", (json_int_t) now,
                       "jti", jti,
                       "iss", (char *) smcf->token_issuer.data,
                       "sub", client->client_id,
                       "typ", typ,
                       "azp", client->client_id,
                       "clientId", client->client_id,
                       "stream", (char *) stream->name.data);
    if (claims == NULL) {
        return NULL;
    }

    out = NULL;

    if (strm_jwt_sign_hs256(smcf->sign_key, smcf->sign_len, smcf->sign_kid,
                            claims, &out)
        != STRM_OK)
    {
        out = NULL;
    }

    json_decref(claims);

    return out;
}


/* RFC 6749 section 5.2 */
static ngx_int_t
ngx_http_strm_token_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *description)
{
    json_t     *body;
    ngx_int_t   rc;

    body = json_pack("{s:s, s:s}", "error", error,
                     "error_description", description);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_strm_token_send(r, status, body);

    json_decref(body);

    return rc;
}


static ngx_int_t
ngx_http_strm_token_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    char                 *text;
    size_t                len;
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_chain_t           out;
    ngx_table_elt_t      *h;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* ours, not to be replaced by the JSON of strm_json_errors */
    ctx->own_body = 1;

    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = strlen(text);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        ngx_explicit_memzero(text, len);
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, text, len);
    *b->last++ = '\n';
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    ngx_explicit_memzero(text, len);
    free(text);

    /* RFC 6749 section 5.1: tokens are not to be cached */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Pragma");
    ngx_str_set(&h->value, "no-cache");

    r->headers_out.status = status;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
