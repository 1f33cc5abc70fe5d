
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_module.h"
#include "ngx_http_strm_handler.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_schema.h"
#include "ngx_http_strm_keys.h"


#define NGX_HTTP_STRM_TIMER_MARGIN  2000


static void ngx_http_strm_body_handler(ngx_http_request_t *r);
static strm_rc_t ngx_http_strm_body_copy(ngx_http_request_t *r,
    u_char **out, size_t *len);
static void ngx_http_strm_delivered(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);
static strm_rc_t ngx_http_strm_produce_key(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg);
static void ngx_http_strm_key_delivered(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);
static void ngx_http_strm_timeout_handler(ngx_event_t *ev);
static void ngx_http_strm_cleanup(void *data);
static ngx_int_t ngx_http_strm_send(ngx_http_request_t *r, strm_rc_t rc);
static ngx_chain_t *ngx_http_strm_error_body(ngx_http_request_t *r,
    const strm_error_t *e, ngx_str_t *reason);
static ngx_chain_t *ngx_http_strm_raw_body(ngx_http_request_t *r,
    ngx_str_t *json);
static ngx_int_t ngx_http_strm_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_strm_json_type = ngx_string("application/json");


ngx_http_strm_ctx_t *
ngx_http_strm_get_ctx(ngx_http_request_t *r)
{
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_strm_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_strm_module);
    }

    return ctx;
}


ngx_int_t
ngx_http_strm_ingest_handler(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_table_elt_t      *h;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_POST) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "POST");

        return ngx_http_strm_send(r, STRM_E_METHOD);
    }

    if (r->headers_in.content_length_n == 0) {
        return ngx_http_strm_send(r, STRM_E_EMPTY_BODY);
    }

    if (!ngx_http_strm_kafka_ready()) {
        return ngx_http_strm_send(r, STRM_E_NOT_READY);
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_strm_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_strm_body_handler(ngx_http_request_t *r)
{
    size_t                     len;
    u_char                    *payload;
    strm_rc_t                  rc;
    ngx_http_cleanup_t        *cln;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_message_t    msg;
    ngx_http_strm_inflight_t  *in;
    ngx_http_strm_loc_conf_t  *slcf;
    ngx_http_strm_main_conf_t *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (r->connection->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    rc = ngx_http_strm_body_copy(r, &payload, &len);
    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    ctx->body_len = (off_t) len;

    if (strm_uuid4((char *) ctx->event_id) != STRM_OK) {
        ngx_free(payload);
        ngx_http_strm_answer(r, STRM_E_INTERNAL);
        return;
    }

    ctx->has_id = 1;

    ngx_memzero(&msg, sizeof(ngx_http_strm_message_t));
    msg.topic = (const char *) slcf->topic.data;

    if (slcf->stream_topic) {
        if (ctx->stream == NULL) {
            ngx_free(payload);
            ngx_http_strm_answer(r, STRM_E_INTERNAL);
            return;
        }

        msg.topic = (const char *) ctx->stream->topic.data;
    }
    msg.payload = payload;
    msg.len = len;
    msg.event_id = ctx->event_id;
    msg.event_id_len = STRM_UUID_LEN;

    if (!slcf->raw) {
        rc = ngx_http_strm_schema_process(r, &msg);
        if (rc != STRM_OK) {
            ngx_free(msg.payload);
            ngx_http_strm_answer(r, rc);
            return;
        }
    }

    cln = ngx_http_cleanup_add(r, 0);
    in = ngx_alloc(sizeof(ngx_http_strm_inflight_t), r->connection->log);

    if (cln == NULL || in == NULL) {
        ngx_free(msg.payload);
        ngx_free(msg.keyrec);
        ngx_free(in);
        ngx_http_strm_answer(r, STRM_E_NOMEM);
        return;
    }

    cln->handler = ngx_http_strm_cleanup;
    cln->data = r;

    ngx_memzero(in, sizeof(ngx_http_strm_inflight_t));
    in->handler = ngx_http_strm_delivered;
    in->data = r;

    ctx->drc = STRM_OK;

    if (msg.keyrec != NULL) {
        rc = ngx_http_strm_produce_key(r, &msg);
        msg.keyrec = NULL;

        if (rc != STRM_OK) {
            ngx_free(msg.payload);
            ngx_free(in);
            ngx_http_strm_answer(r, rc);
            return;
        }
    }

    rc = ngx_http_strm_kafka_produce(&msg, in, r->connection->log);

    if (rc != STRM_OK) {
        ngx_free(msg.payload);
        ngx_free(in);

        if (ctx->keys_inflight != NULL) {
            /* it still marks the key record published when it lands */
            ctx->keys_inflight->data = NULL;
            ctx->keys_inflight = NULL;
            ctx->pending = 0;
        }

        ngx_http_strm_answer(r, rc);
        return;
    }

    ctx->inflight = in;
    ctx->pending++;

    ctx->timer.handler = ngx_http_strm_timeout_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer,
                  smcf->delivery_timeout + NGX_HTTP_STRM_TIMER_MARGIN);

    /* notice a client that goes away while Kafka is busy */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;
}


/*
 * The body as one heap buffer that librdkafka can own: in memory or
 * spooled to a temporary file by nginx (large bodies, HTTP/2).
 */
static strm_rc_t
ngx_http_strm_body_copy(ngx_http_request_t *r, u_char **out, size_t *len)
{
    off_t         size;
    size_t        n;
    u_char       *p, *buf;
    ssize_t       rd;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return STRM_E_EMPTY_BODY;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size == 0) {
        return STRM_E_EMPTY_BODY;
    }

    buf = ngx_alloc((size_t) size, r->connection->log);
    if (buf == NULL) {
        return STRM_E_NOMEM;
    }

    p = buf;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = (size_t) (b->file_last - b->file_pos);

        rd = ngx_read_file(b->file, p, n, b->file_pos);

        if (rd != (ssize_t) n) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "strm: short read of the request body file");
            ngx_free(buf);
            return STRM_E_INTERNAL;
        }

        p += n;
    }

    *out = buf;
    *len = (size_t) size;

    return STRM_OK;
}


/*
 * A new key link's record goes to the keys topic beside the event; the
 * event is answered when Kafka has both.  The record's report marks the
 * key link published in the store even if the request went away.
 */
static strm_rc_t
ngx_http_strm_produce_key(ngx_http_request_t *r, ngx_http_strm_message_t *msg)
{
    strm_rc_t                   rc;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_message_t     kmsg;
    ngx_http_strm_inflight_t   *kin;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    kin = ngx_alloc(sizeof(ngx_http_strm_inflight_t), r->connection->log);
    if (kin == NULL) {
        ngx_free(msg->keyrec);
        return STRM_E_NOMEM;
    }

    ngx_memzero(kin, sizeof(ngx_http_strm_inflight_t));
    kin->handler = ngx_http_strm_key_delivered;
    kin->data = r;
    kin->always = 1;
    ngx_memcpy(kin->link, msg->key, STRM_UUID_LEN);

    ngx_memzero(&kmsg, sizeof(ngx_http_strm_message_t));
    kmsg.topic = (const char *) smcf->keys_topic.data;
    kmsg.payload = msg->keyrec;
    kmsg.len = msg->keyrec_len;
    kmsg.key = msg->key;
    kmsg.key_len = msg->key_len;
    kmsg.event_id = msg->event_id;
    kmsg.event_id_len = msg->event_id_len;

    rc = ngx_http_strm_kafka_produce(&kmsg, kin, r->connection->log);

    if (rc != STRM_OK) {
        ngx_free(msg->keyrec);
        ngx_free(kin);
        return rc;
    }

    ctx->keys_inflight = kin;
    ctx->pending++;

    return STRM_OK;
}


static void
ngx_http_strm_key_delivered(ngx_http_strm_inflight_t *in, strm_rc_t rc,
    const char *reason)
{
    strm_keys_t  *k;

    k = ngx_http_strm_keys();

    if (rc == STRM_OK && k != NULL
        && strm_keystore_published(strm_keys_store(k), (char *) in->link)
           < 0)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "strm_keys_store: cannot mark a key link "
                      "published: %s",
                      strm_keystore_error(strm_keys_store(k)));
    }

    if (in->data != NULL) {
        ngx_http_strm_delivered(in, rc, reason);
    }
}


static void
ngx_http_strm_delivered(ngx_http_strm_inflight_t *in, strm_rc_t rc,
    const char *reason)
{
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_strm_ctx_t  *ctx;

    r = in->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx->inflight == in) {
        ctx->inflight = NULL;

    } else if (ctx->keys_inflight == in) {
        ctx->keys_inflight = NULL;
    }

    /* the first failure is the answer */
    if (rc != STRM_OK && ctx->drc == STRM_OK) {
        ctx->drc = rc;

        if (reason != NULL) {
            ctx->reason.data = (u_char *) reason;
            ctx->reason.len = ngx_strlen(reason);
        }
    }

    if (ctx->pending > 0 && --ctx->pending > 0) {
        return;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    ngx_http_strm_answer(r, ctx->drc);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_strm_timeout_handler(ngx_event_t *ev)
{
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_strm_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "strm: no delivery report for event %*s in time",
                  (size_t) STRM_UUID_LEN, ctx->event_id);

    if (ctx->inflight != NULL) {
        ctx->inflight->data = NULL;
        ctx->inflight = NULL;
    }

    if (ctx->keys_inflight != NULL) {
        ctx->keys_inflight->data = NULL;
        ctx->keys_inflight = NULL;
    }

    ctx->pending = 0;

    ngx_http_strm_answer(r, STRM_E_GATEWAY_TIMEOUT);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_strm_cleanup(void *data)
{
    ngx_http_request_t   *r = data;

    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL) {
        return;
    }

    if (ctx->inflight != NULL) {
        /* the delivery report frees it */
        ctx->inflight->data = NULL;
        ctx->inflight = NULL;
    }

    if (ctx->keys_inflight != NULL) {
        ctx->keys_inflight->data = NULL;
        ctx->keys_inflight = NULL;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


ngx_int_t
ngx_http_strm_send_rc(ngx_http_request_t *r, strm_rc_t rc)
{
    return ngx_http_strm_send(r, rc);
}


void
ngx_http_strm_answer(ngx_http_request_t *r, strm_rc_t rc)
{
    ngx_http_finalize_request(r, ngx_http_strm_send(r, rc));
}


static ngx_int_t
ngx_http_strm_send(ngx_http_request_t *r, strm_rc_t rc)
{
    ngx_int_t             n;
    ngx_chain_t          *out;
    ngx_table_elt_t      *h;
    const strm_error_t   *e;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->rc = rc;
    ctx->answered = 1;
    ctx->own_body = 1;

    e = strm_error_get(rc);

    if (ctx->has_id) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Strm-Event-Id");
        h->value.data = ctx->event_id;
        h->value.len = STRM_UUID_LEN;
    }

    if (rc == STRM_OK) {
        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->header_only = 1;
        r->headers_out.content_length_n = 0;

        return ngx_http_send_header(r);
    }

    if (rc == STRM_E_QUEUE_FULL || e->status == NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    if (ctx->reject.len) {
        out = ngx_http_strm_raw_body(r, &ctx->reject);

    } else {
        out = ngx_http_strm_error_body(r, e,
                                       ctx->reason.len ? &ctx->reason : NULL);
    }

    if (out == NULL) {
        return NGX_ERROR;
    }

    /* the body has been read or will be discarded: keep-alive is safe */
    if (r->request_body == NULL && ngx_http_discard_request_body(r)
                                   != NGX_OK)
    {
        r->keepalive = 0;
    }

    r->headers_out.status = e->status;
    r->headers_out.content_type = ngx_http_strm_json_type;
    r->headers_out.content_type_len = ngx_http_strm_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = ngx_buf_size(out->buf);

    n = ngx_http_send_header(r);

    if (n == NGX_ERROR || n > NGX_OK || r->header_only) {
        return n;
    }

    return ngx_http_output_filter(r, out);
}


static ngx_chain_t *
ngx_http_strm_error_body(ngx_http_request_t *r, const strm_error_t *e,
    ngx_str_t *reason)
{
    size_t        size;
    ngx_buf_t    *b;
    ngx_chain_t  *out;

    size = ngx_strlen(e->message) + ngx_strlen(e->code) + 64;

    if (reason != NULL) {
        size += reason->len * 6;
    }

    b = ngx_create_temp_buf(r->pool, size);
    out = ngx_alloc_chain_link(r->pool);

    if (b == NULL || out == NULL) {
        return NULL;
    }

    b->last += strm_error_json(e, reason ? (char *) reason->data : NULL,
                               reason ? reason->len : 0,
                               (char *) b->pos, size);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out->buf = b;
    out->next = NULL;

    return out;
}


static ngx_chain_t *
ngx_http_strm_raw_body(ngx_http_request_t *r, ngx_str_t *json)
{
    ngx_buf_t    *b;
    ngx_chain_t  *out;

    b = ngx_calloc_buf(r->pool);
    out = ngx_alloc_chain_link(r->pool);

    if (b == NULL || out == NULL) {
        return NULL;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out->buf = b;
    out->next = NULL;

    return out;
}


/*
 * GET /ready, as STRM's gateway had it for its health checks: 200 while
 * this worker's Kafka producer is usable, 503 otherwise.
 */
ngx_int_t
ngx_http_strm_ready_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_chain_t                 out;
    ngx_table_elt_t            *h;
    ngx_http_strm_main_conf_t  *smcf;

    static u_char  ready[] = "{\"status\":\"ready\"}";

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");

        return ngx_http_strm_send(r, STRM_E_METHOD_GET);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!ngx_http_strm_kafka_ready()) {
        return ngx_http_strm_send(r, STRM_E_NOT_READY);
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    if (smcf->keys_store.len && ngx_http_strm_keys() == NULL) {
        return ngx_http_strm_send(r, STRM_E_KEYS_UNAVAILABLE);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = ready;
    b->last = ready + sizeof(ready) - 1;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_strm_json_type;
    r->headers_out.content_type_len = ngx_http_strm_json_type.len;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


/*
 * nginx answers some errors itself before or while our handler runs
 * (413 for a too large body, 408, 400 on a broken chunked body, ...).
 * In strm locations those answers get a JSON body too.
 */
ngx_int_t
ngx_http_strm_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_strm_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_strm_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_strm_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                 *reason, why;
    ngx_chain_t               *out;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    if (r != r->main || r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf == NULL
        || slcf->json_errors == 0
        || (slcf->json_errors == NGX_CONF_UNSET && slcf->topic.len == 0
            && slcf->auth == NULL))
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx != NULL && ctx->own_body) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    reason = NULL;
    e = strm_error_by_status((int) r->headers_out.status);

    if (ctx->auth_done && ctx->auth_rc != STRM_OK
        && r->headers_out.status == NGX_HTTP_UNAUTHORIZED)
    {
        /* our bearer check refused the token: say which way */
        e = strm_error_get(ctx->auth_rc);
        why.data = (u_char *) ctx->auth_why;
        why.len = ngx_strlen(ctx->auth_why);
        reason = &why;
    }

    if (e == NULL) {
        e = strm_error_get(r->headers_out.status >= 500 ? STRM_E_INTERNAL
                                                        : STRM_E_BAD_REQUEST);
    }

    out = ngx_http_strm_error_body(r, e, reason);
    if (out == NULL) {
        return NGX_ERROR;
    }

    ctx->replace = out;

    r->headers_out.content_type = ngx_http_strm_json_type;
    r->headers_out.content_type_len = ngx_http_strm_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length_n = ngx_buf_size(out->buf);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_strm_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t          *cl;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL || ctx->replace == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's own error page is swallowed, our JSON goes out once */
    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->replace_sent) {
        return NGX_OK;
    }

    ctx->replace_sent = 1;

    return ngx_http_next_body_filter(r, ctx->replace);
}
