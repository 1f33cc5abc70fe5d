
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
#include "ngx_http_strm_status.h"


/* the conditions of readiness, each a bit of what failed */
#define NGX_HTTP_STRM_READY_PRODUCER  0x01
#define NGX_HTTP_STRM_READY_BROKERS   0x02
#define NGX_HTTP_STRM_READY_METADATA  0x04
#define NGX_HTTP_STRM_READY_STORE     0x08
#define NGX_HTTP_STRM_READY_KEYS      0x10

#define NGX_HTTP_STRM_READY_KAFKA                                           \
    (NGX_HTTP_STRM_READY_PRODUCER|NGX_HTTP_STRM_READY_BROKERS               \
     |NGX_HTTP_STRM_READY_METADATA)


static ngx_uint_t ngx_http_strm_ready_check(ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_ready_handler(ngx_http_request_t *r);


/* the name of each condition in the 503's "failed", by bit */
static const char  *ngx_http_strm_ready_names[] = {
    "kafka_producer", "kafka_brokers", "kafka_metadata", "keys_store",
    "keys_topic", NULL
};


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
 * What this worker lacks to take events, as bits; 0 when ready:
 *
 *   kafka_producer  the producer exists and is usable (no fatal error,
 *                   not shutting down)
 *   kafka_brokers   librdkafka has a broker up (connected); an outage,
 *                   or brokers never reached, is not ready
 *   kafka_metadata  a broker has answered a Metadata request since the
 *                   worker started: it knows the cluster
 *   keys_store      the key store is open, not full, and its files are
 *                   the ones it opened (not deleted or replaced)
 *   keys_topic      the store is as current as the keys topic (read to
 *                   its end once, brokers reachable)
 */
static ngx_uint_t
ngx_http_strm_ready_check(ngx_http_strm_main_conf_t *smcf)
{
    ngx_uint_t  failed;

    failed = 0;

    if (!ngx_http_strm_kafka_ready()) {
        failed |= NGX_HTTP_STRM_READY_PRODUCER;

    } else {
        if (ngx_http_strm_kafka_brokers_up() == 0) {
            failed |= NGX_HTTP_STRM_READY_BROKERS;
        }

        if (!ngx_http_strm_kafka_metadata()) {
            failed |= NGX_HTTP_STRM_READY_METADATA;
        }
    }

    if (smcf == NULL || smcf->keys_store.len == 0) {
        return failed;
    }

    if (ngx_http_strm_keys() == NULL) {
        failed |= NGX_HTTP_STRM_READY_STORE;
    }

    /* full, or a file of it deleted or replaced (keys.c) */
    if (smcf->ingest && ngx_http_strm_keys_store_ready(ngx_cycle->log) != NULL)
    {
        failed |= NGX_HTTP_STRM_READY_STORE;
    }

    if (smcf->ingest && !ngx_http_strm_keys_sync_ready()) {
        failed |= NGX_HTTP_STRM_READY_KEYS;
    }

    return failed;
}


void
ngx_http_strm_ready_publish(ngx_http_strm_main_conf_t *smcf)
{
    ngx_http_strm_status_worker(ngx_http_strm_ready_check(smcf) == 0,
                                ngx_http_strm_kafka_brokers_up());
}


/*
 * GET /ready, as STRM's gateway had it for its health checks: 200 while
 * this worker can take events, 503 with the conditions that fail
 * otherwise:
 *
 *   {"error":"...","code":"not_ready","failed":["kafka_brokers",...]}
 *
 * "code" is keys_unavailable when only the key store's conditions fail.
 */
static ngx_int_t
ngx_http_strm_ready_handler(ngx_http_request_t *r)
{
    u_char                     *p;
    size_t                      size;
    strm_rc_t                   code;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_uint_t                  failed, i, n;
    const strm_error_t         *e;
    ngx_http_strm_ctx_t        *ctx;
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

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    failed = ngx_http_strm_ready_check(smcf);

    if (failed == 0) {
        return ngx_http_strm_send_json(r, NGX_HTTP_OK, ready,
                                       sizeof(ready) - 1);
    }

    code = (failed & NGX_HTTP_STRM_READY_KAFKA) ? STRM_E_NOT_READY
                                                : STRM_E_KEYS_UNAVAILABLE;
    e = strm_error_get(code);

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rc = code;
    ctx->answered = 1;

    size = sizeof("{\"error\":\"\",\"code\":\"\",\"failed\":[]}\n")
           + ngx_strlen(e->message) + ngx_strlen(e->code);

    for (i = 0; ngx_http_strm_ready_names[i] != NULL; i++) {
        size += ngx_strlen(ngx_http_strm_ready_names[i]) + 3;
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(b->last, "{\"error\":\"%s\",\"code\":\"%s\",\"failed\":[",
                    e->message, e->code);

    for (i = 0, n = 0; ngx_http_strm_ready_names[i] != NULL; i++) {
        if (!(failed & ((ngx_uint_t) 1 << i))) {
            continue;
        }

        p = ngx_sprintf(p, "%s\"%s\"", n++ ? "," : "",
                        ngx_http_strm_ready_names[i]);
    }

    b->last = ngx_cpymem(p, "]}\n", 3);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ready: not ready, %*s",
                   (size_t) (b->last - b->pos), b->pos);

    return ngx_http_strm_send_body(r, e->status, &ngx_http_strm_json_type,
                                   b);
}
