
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_stream.h"


static char *ngx_http_strm_stream_conf(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf);
static int ngx_libc_cdecl ngx_http_strm_client_cmp(const void *a,
    const void *b);
static void ngx_http_strm_stream_cleanup(void *data);


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

        if (ngx_http_strm_conf_topic(cf, &value[1]) != NGX_OK) {
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


/*
 * The clients are read with the configuration, so "nginx -t" checks
 * them and a reload picks up new and revoked clients.
 */
ngx_int_t
ngx_http_strm_stream_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf)
{
    size_t                   len;
    strm_rc_t                rc;
    ngx_uint_t               i, j;
    ngx_pool_cleanup_t      *cln;
    ngx_http_strm_stream_t  *st, *other;
    char                     err[512];

    if (smcf->streams == NULL) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_stream_cleanup;
    cln->data = smcf;

    st = smcf->streams->elts;

    for (i = 0; i < smcf->streams->nelts; i++) {
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
    for (i = 0; i < smcf->streams->nelts; i++) {
        for (j = 0; j < st[i].nclients; j++) {
            len = ngx_strlen(st[i].clients[j].client_id);

            if (ngx_http_strm_stream_find_client(smcf,
                                                 st[i].clients[j].client_id,
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

    return NGX_OK;
}


static void
ngx_http_strm_stream_cleanup(void *data)
{
    ngx_http_strm_main_conf_t  *smcf = data;

    ngx_uint_t               i;
    ngx_http_strm_stream_t  *st;

    st = smcf->streams->elts;

    for (i = 0; i < smcf->streams->nelts; i++) {
        strm_cred_free(st[i].clients, st[i].nclients);
        st[i].clients = NULL;
        st[i].nclients = 0;
    }
}


static int ngx_libc_cdecl
ngx_http_strm_client_cmp(const void *a, const void *b)
{
    const strm_cred_client_t  *ca = a;
    const strm_cred_client_t  *cb = b;

    return ngx_strcmp(ca->client_id, cb->client_id);
}


ngx_http_strm_stream_t *
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


strm_cred_client_t *
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


strm_cred_client_t *
ngx_http_strm_stream_find_client(ngx_http_strm_main_conf_t *smcf,
    const char *id, size_t len, ngx_http_strm_stream_t **stream)
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
