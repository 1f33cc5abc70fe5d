
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
#define NGX_HTTP_STRM_PURGE_MAX   1000      /* key links per step */
#define NGX_HTTP_STRM_PURGE_EVERY 3600000   /* at most, between steps */


static ngx_int_t ngx_http_strm_keys_kek(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static void ngx_http_strm_kek_cleanup(void *data);
static void ngx_http_strm_keys_purge(ngx_event_t *ev);


static strm_keys_t  *ngx_http_strm_keys_worker;
static ngx_event_t   ngx_http_strm_keys_purge_ev;


ngx_int_t
ngx_http_strm_keys_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    ngx_conf_init_msec_value(smcf->key_rotation,
                             NGX_HTTP_STRM_KEY_ROTATION);
    ngx_conf_init_msec_value(smcf->keys_wait, NGX_HTTP_STRM_KEYS_WAIT);
    ngx_conf_init_msec_value(smcf->keys_retention,
                             NGX_HTTP_STRM_KEYS_RETENTION);

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

    /* one worker of the box purges the box's store (0: never) */
    if (ngx_worker == 0 && smcf->keys_retention > 0) {
        ngx_http_strm_keys_purge_ev.handler = ngx_http_strm_keys_purge;
        ngx_http_strm_keys_purge_ev.log = cycle->log;
        ngx_http_strm_keys_purge_ev.data = smcf;
        ngx_http_strm_keys_purge_ev.cancelable = 1;
        ngx_add_timer(&ngx_http_strm_keys_purge_ev,
                      ngx_min(smcf->keys_retention, 1000));
    }

    return NGX_OK;
}


/*
 * strm_keys_retention: key links that expired longer ago than that are
 * purged from the box's store, a bounded step at a time (a purge is an
 * erasure: their slots are overwritten and synced).  The gateway only
 * ever encrypts under the current window's links; the workers' machines
 * keep theirs for as long as their own strm-keys sync says.
 */
static void
ngx_http_strm_keys_purge(ngx_event_t *ev)
{
    size_t                      n;
    ngx_time_t                 *tp;
    ngx_msec_t                  next;
    ngx_http_strm_main_conf_t  *smcf = ev->data;

    if (ngx_http_strm_keys_worker == NULL || ngx_exiting || ngx_quit
        || ngx_terminate)
    {
        return;
    }

    tp = ngx_timeofday();
    n = 0;

    if (strm_keystore_purge_some(strm_keys_store(ngx_http_strm_keys_worker),
                                 (int64_t) tp->sec * 1000 + tp->msec
                                 - (int64_t) smcf->keys_retention,
                                 NGX_HTTP_STRM_PURGE_MAX, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "strm keys: purge failed: %s",
                      strm_keystore_error(
                          strm_keys_store(ngx_http_strm_keys_worker)));

    } else if (n > 0) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "strm keys: %uz key links purged (expired more "
                      "than %M ms ago)", n, smcf->keys_retention);
    }

    /* a full step: more are due; else a tenth of the retention */
    next = (n == NGX_HTTP_STRM_PURGE_MAX)
           ? 100
           : ngx_max(ngx_min(smcf->keys_retention / 10,
                             NGX_HTTP_STRM_PURGE_EVERY), 1000);

    ngx_add_timer(ev, next);
}


void
ngx_http_strm_keys_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_strm_keys_purge_ev.timer_set) {
        ngx_del_timer(&ngx_http_strm_keys_purge_ev);
    }

    strm_keys_close(ngx_http_strm_keys_worker);
    ngx_http_strm_keys_worker = NULL;
}


strm_keys_t *
ngx_http_strm_keys(void)
{
    return ngx_http_strm_keys_worker;
}

