
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_keys_sync.h"
#include "ngx_http_strm_ready.h"


static ngx_int_t ngx_http_strm_ready_handler(ngx_http_request_t *r);


char *
ngx_http_strm_ready(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->ready) {
        return "is duplicate";
    }

    slcf->ready = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_ready_handler;

    return NGX_CONF_OK;
}


/*
 * GET /ready, as STRM's gateway had it for its health checks: 200 while
 * this worker's Kafka producer is usable, its key store open and as
 * current as the keys topic (read to its end once, brokers reachable),
 * 503 otherwise.
 */
static ngx_int_t
ngx_http_strm_ready_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    const char                 *why;
    ngx_http_strm_main_conf_t  *smcf;

    static u_char  ready[] = "{\"status\":\"ready\"}";

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_strm_send_not_allowed(r, STRM_E_METHOD_GET,
                                              "GET, HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!ngx_http_strm_kafka_ready()) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm ready: the Kafka producer is not usable");
        return ngx_http_strm_send(r, STRM_E_NOT_READY);
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    if (smcf->keys_store.len && ngx_http_strm_keys() == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm ready: the key store is not open");
        return ngx_http_strm_send(r, STRM_E_KEYS_UNAVAILABLE);
    }

    /* full, or a file deleted or replaced (keys.c) */
    why = smcf->keys_store.len && smcf->ingest
          ? ngx_http_strm_keys_store_ready(r->connection->log) : NULL;

    if (why != NULL) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm ready: %s", why);
        return ngx_http_strm_send(r, STRM_E_KEYS_UNAVAILABLE);
    }

    if (smcf->keys_store.len && smcf->ingest
        && !ngx_http_strm_keys_sync_ready())
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm ready: the key store is behind the keys "
                       "topic");
        return ngx_http_strm_send(r, STRM_E_KEYS_UNAVAILABLE);
    }

    return ngx_http_strm_send_json(r, NGX_HTTP_OK, ready, sizeof(ready) - 1);
}
