
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"


#define NGX_HTTP_STRM_KEYS_MAP    ((size_t) 1 << 30)
#define NGX_HTTP_STRM_KEYS_CACHE  4096


static ngx_int_t ngx_http_strm_keys_kek(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static void ngx_http_strm_kek_cleanup(void *data);


static strm_keys_t  *ngx_http_strm_keys_worker;


ngx_int_t
ngx_http_strm_keys_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    ngx_conf_init_msec_value(smcf->key_rotation,
                             NGX_HTTP_STRM_KEY_ROTATION);
    ngx_conf_init_msec_value(smcf->keys_wait, NGX_HTTP_STRM_KEYS_WAIT);

    if (smcf->key_rotation < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_key_rotation\" must be at least 1s");
        return NGX_ERROR;
    }

    if (smcf->checked && smcf->keys_store.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_ingest\" encrypts PII fields with keys "
                           "of \"strm_keys_store\", which is not set");
        return NGX_ERROR;
    }

    if (smcf->keys_store.len == 0) {
        return NGX_OK;
    }

    if (smcf->keys_kek.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_keys_store\" needs \"strm_keys_kek\", "
                           "the key-encryption key");
        return NGX_ERROR;
    }

    if (smcf->keys_topic.len == 0) {
        ngx_str_set(&smcf->keys_topic, "strm-keys");
    }

    if (ngx_http_strm_conf_topic(cf, &smcf->keys_topic) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->keys_store, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_strm_keys_kek(cf, smcf);
}


/* the KEK file: read, parsed and wiped by the core, as the workers do */
static ngx_int_t
ngx_http_strm_keys_kek(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t            rc;
    ngx_pool_cleanup_t  *cln;
    char                 err[512];

    if (ngx_conf_full_name(cf->cycle, &smcf->keys_kek, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    err[0] = '\0';

    rc = strm_keys_read_kek((char *) smcf->keys_kek.data, &smcf->kek, err,
                            sizeof(err));
    if (rc != STRM_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "strm_keys_kek \"%V\": %s",
                           &smcf->keys_kek,
                           err[0] ? err : "not a Tink JSON keyset");
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_kek_cleanup;
    cln->data = smcf->kek;

    return NGX_OK;
}


static void
ngx_http_strm_kek_cleanup(void *data)
{
    strm_tink_keyset_free(data);
}


ngx_int_t
ngx_http_strm_keys_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t  rc;
    char       err[512];

    ngx_http_strm_keys_worker = NULL;

    if (smcf->keys_store.len == 0) {
        return NGX_OK;
    }

    err[0] = '\0';

    rc = strm_keys_open((char *) smcf->keys_store.data,
                        NGX_HTTP_STRM_KEYS_MAP, 0, smcf->kek,
                        (int64_t) smcf->key_rotation,
                        NGX_HTTP_STRM_KEYS_CACHE,
                        &ngx_http_strm_keys_worker, err, sizeof(err));

    if (rc != STRM_OK) {
        /* the worker runs on and answers 503 keys_unavailable */
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "strm_keys_store \"%V\": %s", &smcf->keys_store,
                      err[0] ? err : "cannot be opened");
        ngx_http_strm_keys_worker = NULL;
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm keys: store \"%V\" open", &smcf->keys_store);

    return NGX_OK;
}


void
ngx_http_strm_keys_exit_process(ngx_cycle_t *cycle)
{
    strm_keys_close(ngx_http_strm_keys_worker);
    ngx_http_strm_keys_worker = NULL;
}


strm_keys_t *
ngx_http_strm_keys(void)
{
    return ngx_http_strm_keys_worker;
}

