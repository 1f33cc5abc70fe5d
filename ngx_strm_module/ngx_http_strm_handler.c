
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_schema.h"
#include "ngx_http_strm_pii.h"
#include "ngx_http_strm_keys_sync.h"
#include "ngx_http_strm_handler.h"


/*
 * The ingest request: its body is read, checked against its schema and
 * contract, its PII encrypted, and it is handed to Kafka; the answer
 * waits for the delivery report.  A new session's key link is decided
 * by the keys topic first (a candidate out, the winner read back by
 * keys_sync.c).  Each step is a call made here in turn (schema.c,
 * pii.c, kafka.c, keys_sync.c); none calls the next.
 */


static ngx_int_t ngx_http_strm_ingest_handler(ngx_http_request_t *r);
static void ngx_http_strm_body_handler(ngx_http_request_t *r);
static strm_rc_t ngx_http_strm_body_copy(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg);
static strm_rc_t ngx_http_strm_ingest_check(ngx_http_request_t *r);
static strm_event_t *ngx_http_strm_event_get(ngx_log_t *log);
static void ngx_http_strm_event_put(strm_event_t *ev);
static void ngx_http_strm_ingest_dead_letter(ngx_http_request_t *r,
    ngx_http_strm_message_t *dead);


/*
 * The worker's spare strm_event_t structs (720 bytes): an event's
 * struct came from the request's pool, where it took most of a second
 * block of the pool (a posix_memalign() and a free() a request).
 */
#define NGX_HTTP_STRM_EVENT_SPARE  64

static strm_event_t  *ngx_http_strm_event_spare[NGX_HTTP_STRM_EVENT_SPARE];
static ngx_uint_t     ngx_http_strm_event_nspare;
static void ngx_http_strm_ingest_encrypt(ngx_http_request_t *r);
static strm_rc_t ngx_http_strm_ingest_candidate(ngx_http_request_t *r);
static void ngx_http_strm_candidate_delivered(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);
static void ngx_http_strm_ingest_resume(ngx_http_request_t *r);
static void ngx_http_strm_ingest_withdraw(ngx_http_request_t *r);
static void ngx_http_strm_ingest_serialize(ngx_http_request_t *r);
static void ngx_http_strm_ingest_send(ngx_http_request_t *r);
static void ngx_http_strm_ingest_timer(ngx_http_request_t *r, ngx_msec_t ms);
static void ngx_http_strm_delivered(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);
static void ngx_http_strm_ingest_fail(ngx_http_request_t *r, strm_rc_t rc,
    const char *reason);
static void ngx_http_strm_timeout_handler(ngx_event_t *ev);
static void ngx_http_strm_detach(ngx_http_strm_ctx_t *ctx);
static void ngx_http_strm_cleanup(void *data);

char *
ngx_http_strm_ingest(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_str_t                  *value;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_strm_main_conf_t  *smcf;

    if (slcf->topic.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == sizeof("$strm_topic") - 1
        && ngx_strcmp(value[1].data, "$strm_topic") == 0)
    {
        /* the topic of the bearer token's stream (strm_auth) */
        slcf->stream_topic = 1;

    } else if (ngx_http_strm_valid_topic(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Kafka topic \"%V\": 1 to 249 of "
                           "a-z A-Z 0-9 . _ - (or $strm_topic)", &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->topic = value[1];

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "raw") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", "
                               "only \"raw\" may follow the topic",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        slcf->raw = 1;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_ingest_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_strm_module);
    smcf->ingest++;

    if (!slcf->raw) {
        smcf->checked++;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_strm_ingest_handler(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_strm_send_not_allowed(r, STRM_E_METHOD, "POST");
    }

    if (r->headers_in.content_length_n == 0) {
        return ngx_http_strm_send(r, STRM_E_EMPTY_BODY);
    }

    if (!ngx_http_strm_kafka_ready()) {
        return ngx_http_strm_send(r, STRM_E_NOT_READY);
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: reading the body");

    rc = ngx_http_read_client_request_body(r, ngx_http_strm_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_strm_body_handler(ngx_http_request_t *r)
{
    strm_rc_t                  rc;
    ngx_http_cleanup_t        *cln;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_message_t   *msg;
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (r->connection->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    /* from here on the cleanup frees what the request holds */
    msg = ngx_pcalloc(r->pool, sizeof(ngx_http_strm_message_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (msg == NULL || cln == NULL) {
        ngx_http_strm_answer(r, STRM_E_NOMEM);
        return;
    }

    ctx->msg = msg;
    ngx_queue_init(&ctx->keys_queue);

    cln->handler = ngx_http_strm_cleanup;
    cln->data = r;

    /*
     * raw: the body goes to Kafka as it came, copied by librdkafka;
     * otherwise the event is read where it is
     */
    rc = ngx_http_strm_body_copy(r, msg);
    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    ctx->body_len = (off_t) msg->len;

    if (strm_uuid4((char *) ctx->event_id) != STRM_OK) {
        ngx_http_strm_answer(r, STRM_E_INTERNAL);
        return;
    }

    ctx->has_id = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: event %*s, %uz bytes",
                   (size_t) STRM_UUID_LEN, ctx->event_id, msg->len);

    msg->topic = (const char *) slcf->topic.data;

    if (slcf->stream_topic) {
        if (ctx->stream == NULL) {
            ngx_http_strm_answer(r, STRM_E_INTERNAL);
            return;
        }

        msg->topic = (const char *) ctx->stream->topic.data;
    }

    msg->event_id = ctx->event_id;
    msg->event_id_len = STRM_UUID_LEN;

    /* notice a client that goes away while Kafka is busy */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (slcf->raw) {
        ngx_http_strm_ingest_send(r);
        return;
    }

    rc = ngx_http_strm_ingest_check(r);
    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    ngx_http_strm_ingest_encrypt(r);
}


/*
 * The body as one buffer: a body that is one buffer in memory is not
 * copied, the message borrows it (msg->borrowed: it lives in the
 * request's pool or its connection's buffer, as long as the request,
 * and nothing writes to it); librdkafka copies a raw body into its own
 * message, and an event is parsed where it is (strm_event_t points
 * into it until the request's cleanup frees the event).  A body in
 * several buffers or spooled to a temporary file by nginx (large
 * bodies, HTTP/2) is copied into one heap buffer.
 */
static strm_rc_t
ngx_http_strm_body_copy(ngx_http_request_t *r, ngx_http_strm_message_t *msg)
{
    off_t         size;
    size_t        n;
    u_char       *p, *buf;
    ssize_t       rd;
    ngx_buf_t    *b, *one;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return STRM_E_EMPTY_BODY;
    }

    size = 0;
    one = NULL;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        n = (size_t) ngx_buf_size(cl->buf);

        if (n == 0) {
            continue;
        }

        /* the only non-empty buffer so far, or none (several) */
        one = (size == 0 && !cl->buf->in_file) ? cl->buf : NULL;
        size += n;
    }

    if (size == 0) {
        return STRM_E_EMPTY_BODY;
    }

    if (one != NULL) {
        msg->payload = one->pos;
        msg->len = (size_t) size;
        msg->borrowed = 1;

        return STRM_OK;
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
                          "strm ingest: short read of the request body "
                          "file");
            ngx_free(buf);
            return STRM_E_INTERNAL;
        }

        p += n;
    }

    msg->payload = buf;
    msg->len = (size_t) size;

    return STRM_OK;
}


/* schema and contract; a refused event's dead letter goes out here */
static strm_rc_t
ngx_http_strm_ingest_check(ngx_http_request_t *r)
{
    strm_rc_t                 rc;
    ngx_time_t               *tp;
    ngx_http_strm_ctx_t      *ctx;
    ngx_http_strm_message_t   dead;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    /* zeroed by schema_check */
    ctx->ev = ngx_http_strm_event_get(r->connection->log);
    if (ctx->ev == NULL) {
        return STRM_E_NOMEM;
    }

    ngx_memzero(&dead, sizeof(ngx_http_strm_message_t));

    rc = ngx_http_strm_schema_check(r, ctx->msg, ctx->ev, &dead);
    if (rc != STRM_OK) {
        /* schema_check freed the event */
        ngx_http_strm_event_put(ctx->ev);
        ctx->ev = NULL;

        if (dead.payload != NULL) {
            ngx_http_strm_ingest_dead_letter(r, &dead);
        }

        return rc;
    }

    tp = ngx_timeofday();
    ctx->now = (int64_t) tp->sec * 1000 + tp->msec;

    return STRM_OK;
}


static strm_event_t *
ngx_http_strm_event_get(ngx_log_t *log)
{
    if (ngx_http_strm_event_nspare > 0) {
        return ngx_http_strm_event_spare[--ngx_http_strm_event_nspare];
    }

    return ngx_alloc(sizeof(strm_event_t), log);
}


/* an event freed (strm_event_free()): its struct kept, or freed too */
static void
ngx_http_strm_event_put(strm_event_t *ev)
{
    if (ngx_http_strm_event_nspare < NGX_HTTP_STRM_EVENT_SPARE) {
        ngx_http_strm_event_spare[ngx_http_strm_event_nspare++] = ev;
        return;
    }

    ngx_free(ev);
}


/*
 * A refused event goes to the dead-letter topic without waiting for
 * Kafka: the producer's answer does not depend on it, and a failed
 * delivery is logged by the delivery report.
 */
static void
ngx_http_strm_ingest_dead_letter(ngx_http_request_t *r,
    ngx_http_strm_message_t *dead)
{
    strm_rc_t  rc;

    rc = ngx_http_strm_kafka_produce(dead, NULL, r->connection->log);

    if (rc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm ingest: dead letter to \"%s\" not sent: %s",
                      dead->topic, strm_error_get(rc)->code);
        ngx_free(dead->payload);
    }
}


/*
 * The PII step.  A known session's key link is in the store: encrypt
 * and go on.  A new session's candidate goes to the keys topic first;
 * the request goes on when the keys topic has decided (resume).
 */
static void
ngx_http_strm_ingest_encrypt(ngx_http_request_t *r)
{
    strm_rc_t             rc;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    rc = ngx_http_strm_pii_encrypt(r, ctx->msg, 1);

    if (rc == STRM_E_NOT_FOUND) {
        rc = ngx_http_strm_ingest_candidate(r);
        if (rc == STRM_OK) {
            return;
        }
    }

    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    ngx_http_strm_ingest_serialize(r);
}


static strm_rc_t
ngx_http_strm_ingest_candidate(ngx_http_request_t *r)
{
    strm_rc_t                   rc;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_message_t    *msg, kmsg;
    ngx_http_strm_inflight_t   *kin;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);
    msg = ctx->msg;

    kin = ngx_http_strm_inflight_new(r->connection->log);
    if (kin == NULL) {
        return STRM_E_NOMEM;
    }

    kin->handler = ngx_http_strm_candidate_delivered;
    kin->data = r;
    ngx_memcpy(kin->link, ctx->candidate, STRM_UUID_LEN);

    ngx_memzero(&kmsg, sizeof(ngx_http_strm_message_t));
    kmsg.topic = (const char *) smcf->keys_topic.data;
    kmsg.payload = msg->keyrec;
    kmsg.len = msg->keyrec_len;
    kmsg.key = ctx->candidate;
    kmsg.key_len = STRM_UUID_LEN;
    kmsg.session = ctx->session;
    kmsg.event_id = msg->event_id;
    kmsg.event_id_len = msg->event_id_len;

    rc = ngx_http_strm_kafka_produce(&kmsg, kin, r->connection->log);

    if (rc != STRM_OK) {
        ngx_http_strm_inflight_free(kin);
        return rc;
    }

    /* librdkafka has it */
    msg->keyrec = NULL;
    ctx->keys_inflight = kin;

    ngx_http_strm_ingest_timer(r, smcf->delivery_net);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: waiting for the candidate's delivery");

    return STRM_OK;
}


/* Kafka has the candidate: wait until this worker has read it */
static void
ngx_http_strm_candidate_delivered(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_main_conf_t  *smcf;

    r = in->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);
    ctx->keys_inflight = NULL;

    if (rc != STRM_OK) {
        ngx_http_strm_ingest_fail(r, rc, reason);
        ngx_http_run_posted_requests(c);
        return;
    }

    ctx->keys_waiting = 1;
    ngx_http_strm_ingest_timer(r, smcf->keys_wait);

    ngx_http_strm_keys_sync_wait(r, in->partition, in->offset,
                                 ngx_http_strm_ingest_resume);

    ngx_http_run_posted_requests(c);
}


/* the keys topic decided: the winner encrypts, a lost candidate goes */
static void
ngx_http_strm_ingest_resume(ngx_http_request_t *r)
{
    strm_rc_t             rc;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);
    ctx->keys_waiting = 0;

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    rc = ngx_http_strm_pii_encrypt(r, ctx->msg, 0);

    if (rc == STRM_E_NOT_FOUND) {
        /* forgotten meanwhile, or the store did not take it */
        rc = STRM_E_KEYS_UNAVAILABLE;
    }

    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    if (ngx_strncmp(ctx->msg->key, ctx->candidate, STRM_UUID_LEN) != 0) {
        ngx_http_strm_ingest_withdraw(r);
    }

    ngx_http_strm_ingest_serialize(r);
}


/*
 * Another box's candidate won: ours is withdrawn with a tombstone, so
 * that the keys topic, once compacted, holds the winner only.
 */
static void
ngx_http_strm_ingest_withdraw(ngx_http_request_t *r)
{
    strm_rc_t                   rc;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_message_t     tmsg;
    ngx_http_strm_inflight_t   *tin;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: candidate %s lost, withdrawn",
                   ctx->candidate);

    /* nobody waits for it: the report only frees */
    tin = ngx_http_strm_inflight_new(r->connection->log);
    if (tin == NULL) {
        return;
    }

    ngx_memzero(&tmsg, sizeof(ngx_http_strm_message_t));
    tmsg.topic = (const char *) smcf->keys_topic.data;
    tmsg.key = ctx->candidate;
    tmsg.key_len = STRM_UUID_LEN;
    tmsg.session = ctx->session;
    tmsg.event_id = ctx->event_id;
    tmsg.event_id_len = STRM_UUID_LEN;

    rc = ngx_http_strm_kafka_produce(&tmsg, tin, r->connection->log);

    if (rc != STRM_OK) {
        ngx_http_strm_inflight_free(tin);
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "strm ingest: a lost candidate key link not "
                      "withdrawn: %s", strm_error_get(rc)->code);
    }
}


/* the event's JSON (written with its encryption) out to Kafka */
static void
ngx_http_strm_ingest_serialize(ngx_http_request_t *r)
{
    strm_rc_t             rc;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    rc = ngx_http_strm_schema_serialize(r, ctx->ev, ctx->msg);

    /* serialize freed the event */
    ngx_http_strm_event_put(ctx->ev);
    ctx->ev = NULL;

    if (rc != STRM_OK) {
        ngx_http_strm_answer(r, rc);
        return;
    }

    ngx_http_strm_ingest_send(r);
}


/* the event to Kafka; the answer waits for its delivery report */
static void
ngx_http_strm_ingest_send(ngx_http_request_t *r)
{
    strm_rc_t                   rc;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_inflight_t   *in;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    in = ngx_http_strm_inflight_new(r->connection->log);
    if (in == NULL) {
        ngx_http_strm_answer(r, STRM_E_NOMEM);
        return;
    }

    in->handler = ngx_http_strm_delivered;
    in->data = r;

    rc = ngx_http_strm_kafka_produce(ctx->msg, in, r->connection->log);

    if (ctx->msg->reuse) {
        /* librdkafka copied it, or refused it: the writer has it back */
        strm_event_json_reuse((char *) ctx->msg->payload, ctx->msg->size);
        ctx->msg->payload = NULL;
        ctx->msg->reuse = 0;
    }

    if (rc != STRM_OK) {
        ngx_http_strm_inflight_free(in);
        ngx_http_strm_answer(r, rc);
        return;
    }

    /* librdkafka has it */
    ctx->msg->payload = NULL;
    ctx->inflight = in;

    ngx_http_strm_ingest_timer(r, smcf->delivery_net);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: waiting for the delivery report");
}


static void
ngx_http_strm_ingest_timer(ngx_http_request_t *r, ngx_msec_t ms)
{
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ctx->timer.handler = ngx_http_strm_timeout_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;

    ngx_add_timer(&ctx->timer, ms);
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
    ctx->inflight = NULL;

    if (rc != STRM_OK) {
        ngx_http_strm_ingest_fail(r, rc, reason);

    } else {
        if (ctx->timer.timer_set) {
            ngx_del_timer(&ctx->timer);
        }

        ngx_http_strm_answer(r, STRM_OK);
    }

    ngx_http_run_posted_requests(c);
}


/* a failed delivery report: its reason goes with the answer */
static void
ngx_http_strm_ingest_fail(ngx_http_request_t *r, strm_rc_t rc,
    const char *reason)
{
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ctx->drc = rc;

    if (reason != NULL) {
        ctx->reason.data = (u_char *) reason;
        ctx->reason.len = ngx_strlen(reason);
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    ngx_http_strm_answer(r, rc);
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

    ngx_http_set_log_request(c->log, r);

    if (ctx->keys_waiting) {
        /* the keys topic did not decide in time (strm_keys_wait) */
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "strm ingest: the keys topic did not decide the key "
                      "link of event %*s in time",
                      (size_t) STRM_UUID_LEN, ctx->event_id);

        ngx_http_strm_keys_sync_cancel(r);
        ctx->keys_waiting = 0;

        ngx_http_strm_answer(r, STRM_E_KEYS_UNAVAILABLE);

    } else {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "strm ingest: no delivery report for event %*s in "
                      "time", (size_t) STRM_UUID_LEN, ctx->event_id);

        ngx_http_strm_detach(ctx);

        ngx_http_strm_answer(r, STRM_E_GATEWAY_TIMEOUT);
    }

    ngx_http_run_posted_requests(c);
}


/* the reports still to come find no request: they only free */
static void
ngx_http_strm_detach(ngx_http_strm_ctx_t *ctx)
{
    if (ctx->inflight != NULL) {
        ctx->inflight->data = NULL;
        ctx->inflight = NULL;
    }

    if (ctx->keys_inflight != NULL) {
        ctx->keys_inflight->data = NULL;
        ctx->keys_inflight = NULL;
    }
}


/* the request goes: whatever it still holds is freed or detached */
static void
ngx_http_strm_cleanup(void *data)
{
    ngx_http_request_t   *r = data;

    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm ingest: request cleanup");

    ngx_http_strm_detach(ctx);
    ngx_http_strm_keys_sync_cancel(r);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (ctx->ev != NULL) {
        strm_event_free(ctx->ev);
        ngx_http_strm_event_put(ctx->ev);
        ctx->ev = NULL;
    }

    if (ctx->msg != NULL) {
        if (!ctx->msg->borrowed) {
            ngx_free(ctx->msg->payload);
        }

        ngx_free(ctx->msg->keyrec);
        ctx->msg->payload = NULL;
        ctx->msg->keyrec = NULL;
    }
}
