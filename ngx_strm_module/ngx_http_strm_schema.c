
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_module.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_schema.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"


static strm_rc_t ngx_http_strm_schema_encrypt(ngx_http_request_t *r,
    strm_event_t *ev, int64_t now, ngx_http_strm_message_t *msg);
static ngx_int_t ngx_http_strm_media_is(ngx_str_t *value, const char *type);
static strm_rc_t ngx_http_strm_serialization(ngx_http_request_t *r,
    const u_char *body, size_t len, strm_ser_e *ser, strm_reject_t *rej);
static strm_rc_t ngx_http_strm_reject(ngx_http_request_t *r,
    strm_event_t *ev, strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref);
static void ngx_http_strm_dead_letter(ngx_http_request_t *r,
    strm_event_t *ev, strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref);


strm_rc_t
ngx_http_strm_schema_process(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg)
{
    u_char                     *p;
    int32_t                     nonce;
    int64_t                     now;
    ngx_str_t                   ref;
    strm_rc_t                   rc;
    strm_ser_e                  ser;
    ngx_time_t                 *tp;
    strm_event_t                ev;
    strm_reject_t               rej;
    ngx_table_elt_t            *h;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ngx_memzero(&ev, sizeof(strm_event_t));
    ngx_memzero(&rej, sizeof(strm_reject_t));
    ser = STRM_SER_AVRO_BINARY;

    h = ngx_http_strm_header(r, "Strm-Schema-Ref", 15);
    if (h == NULL) {
        /* STRM's first drivers named it so */
        h = ngx_http_strm_header(r, "Strm-Schema-Id", 14);
    }

    if (h != NULL) {
        ref = h->value;

    } else {
        ngx_str_null(&ref);
    }

    rc = ngx_http_strm_serialization(r, msg->payload, msg->len, &ser, &rej);
    if (rc != STRM_OK) {
        return ngx_http_strm_reject(r, &ev, rc, &rej, &ref);
    }

    rc = strm_event_parse(smcf->registry, (char *) ref.data, ref.len, ser,
                          msg->payload, msg->len, &ev, &rej);

    if (ev.schema != NULL) {
        /* the registry's copy: it outlives the request */
        ctx->schema_ref.data = (u_char *) ev.schema->ref;
        ctx->schema_ref.len = ngx_strlen(ev.schema->ref);
    }

    if (rc != STRM_OK) {
        return ngx_http_strm_reject(r, &ev, rc, &rej, &ref);
    }

    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000 + tp->msec;

    rc = ngx_http_strm_schema_encrypt(r, &ev, now, msg);

    if (rc == STRM_OK) {
        rc = strm_random_i32(&nonce);
    }

    if (rc == STRM_OK) {
        rc = strm_event_stamp(&ev, now, nonce, (char *) msg->key);
    }

    if (rc == STRM_OK) {
        rc = strm_event_serialize(&ev);
    }

    if (rc != STRM_OK) {
        strm_event_free(&ev);
        free(msg->keyrec);
        msg->keyrec = NULL;
        return rc;
    }

    p = ngx_pnalloc(r->pool, ngx_strlen(ev.consent));
    if (p == NULL) {
        strm_event_free(&ev);
        free(msg->keyrec);
        msg->keyrec = NULL;
        return STRM_E_NOMEM;
    }

    ngx_free(msg->payload);

    /* librdkafka frees the event with free() */
    msg->payload = (u_char *) ev.json;
    msg->len = ev.len;
    ev.json = NULL;

    msg->header_name[0] = "strm-schema-ref";
    msg->header_value[0] = ctx->schema_ref;

    msg->header_name[1] = "strm-contract-ref";
    msg->header_value[1].data = (u_char *) ev.contract->ref;
    msg->header_value[1].len = ngx_strlen(ev.contract->ref);

    msg->header_name[2] = "strm-consent-levels";
    msg->header_value[2].len = ngx_strlen(ev.consent);
    msg->header_value[2].data = p;
    ngx_memcpy(p, ev.consent, msg->header_value[2].len);

    strm_event_free(&ev);

    return STRM_OK;
}


/*
 * The session's key link (a new one for a new session, whose record
 * then goes to the keys topic too) and every PII field encrypted under
 * its key.  The key link becomes the message key: a session stays in
 * one partition.
 */
static strm_rc_t
ngx_http_strm_schema_encrypt(ngx_http_request_t *r, strm_event_t *ev,
    int64_t now, ngx_http_strm_message_t *msg)
{
    char                 *json;
    size_t                len, n;
    u_char               *link;
    strm_rc_t             rc;
    const char           *value;
    strm_keys_t          *k;
    strm_keys_session_t   s;

    k = ngx_http_strm_keys();
    if (k == NULL) {
        return STRM_E_KEYS_UNAVAILABLE;
    }

    value = strm_event_key(ev, &len);
    if (value == NULL) {
        return STRM_E_INTERNAL;
    }

    rc = strm_keys_session(k, value, len, now, &s);

    ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_LOOKUPS);

    if (rc == STRM_OK && s.created) {
        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_CREATED);
    }

    if (rc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm: no key link for the event: %s",
                      strm_error_get(rc)->code);
        return (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
    }

    link = ngx_pnalloc(r->pool, STRM_UUID_LEN + 1);
    if (link == NULL) {
        return STRM_E_NOMEM;
    }

    ngx_memcpy(link, s.link, STRM_UUID_LEN + 1);
    msg->key = link;
    msg->key_len = STRM_UUID_LEN;

    rc = strm_event_encrypt(ev, s.daead, &n);
    if (rc != STRM_OK) {
        return rc;
    }

    if (s.publish) {
        json = strm_keyrec_to_json(&s.rec, &len);
        if (json == NULL) {
            return STRM_E_NOMEM;
        }

        msg->keyrec = (u_char *) json;
        msg->keyrec_len = len;
    }

    return STRM_OK;
}


ngx_table_elt_t *
ngx_http_strm_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* "type/subtype" with optional parameters after ';', any case */
static ngx_int_t
ngx_http_strm_media_is(ngx_str_t *value, const char *type)
{
    size_t   n;
    u_char  *p, *last;

    n = ngx_strlen(type);
    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < n || ngx_strncasecmp(p, (u_char *) type, n))
    {
        return 0;
    }

    p += n;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p == last || *p == ';';
}


/*
 * What STRM's gateway did: Strm-Serialization-Type when sent; otherwise
 * Content-Type application/json means JSON and anything else raw Avro
 * binary (the drivers send application/octet-stream).  A body posted
 * with no type or curl's form type ("curl -d @event.json", STRM's own
 * docs) is JSON when it starts with "{": an Avro datum of a STRM schema
 * never does, it starts with the length of strmMeta.eventContractRef.
 */
static strm_rc_t
ngx_http_strm_serialization(ngx_http_request_t *r, const u_char *body,
    size_t len, strm_ser_e *ser, strm_reject_t *rej)
{
    const u_char     *p, *last;
    ngx_table_elt_t  *h;

    h = ngx_http_strm_header(r, "Strm-Serialization-Type", 23);

    if (h != NULL) {
        if (ngx_http_strm_media_is(&h->value, "application/x-avro-binary")) {
            *ser = STRM_SER_AVRO_BINARY;
            return STRM_OK;
        }

        if (ngx_http_strm_media_is(&h->value, "application/json")) {
            *ser = STRM_SER_JSON;
            return STRM_OK;
        }

        return strm_reject(rej, STRM_E_MEDIA_TYPE, NULL, "serialization",
                           "Strm-Serialization-Type is "
                           "application/x-avro-binary or application/json");
    }

    h = r->headers_in.content_type;

    if (h != NULL && ngx_http_strm_media_is(&h->value, "application/json")) {
        *ser = STRM_SER_JSON;
        return STRM_OK;
    }

    *ser = STRM_SER_AVRO_BINARY;

    if (h == NULL
        || ngx_http_strm_media_is(&h->value,
                                  "application/x-www-form-urlencoded"))
    {
        last = body + len;

        for (p = body; p < last; p++) {
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                break;
            }
        }

        if (p < last && *p == '{') {
            *ser = STRM_SER_JSON;
        }
    }

    return STRM_OK;
}


static strm_rc_t
ngx_http_strm_reject(ngx_http_request_t *r, strm_event_t *ev, strm_rc_t rc,
    strm_reject_t *rej, ngx_str_t *ref)
{
    char                      *json;
    size_t                     len;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    e = strm_error_get(rc);

    if (e->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        strm_event_free(ev);
        return rc;
    }

    /* the field and the rule come from the schema: never a value */
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "strm: event refused: %s, field \"%s\", rule \"%s\"",
                  e->code, rej->field, rej->rule);

    if (slcf->dead_letter.len) {
        ngx_http_strm_dead_letter(r, ev, rc, rej, ref);
    }

    strm_event_free(ev);

    json = strm_event_reject_json(rc, rej, (char *) ref->data, ref->len,
                                  &len);
    if (json == NULL) {
        return rc;
    }

    ctx->reject.data = ngx_pnalloc(r->pool, len);

    if (ctx->reject.data != NULL) {
        ngx_memcpy(ctx->reject.data, json, len);
        ctx->reject.len = len;
    }

    free(json);

    return rc;
}


/*
 * A refused event goes to the dead-letter topic without waiting for
 * Kafka: the producer's answer does not depend on it, and a failed
 * delivery is logged by the delivery report.
 */
static void
ngx_http_strm_dead_letter(ngx_http_request_t *r, strm_event_t *ev,
    strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref)
{
    char                      *json;
    size_t                     len;
    strm_rc_t                  prc;
    ngx_time_t                *tp;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_message_t    msg;
    ngx_http_strm_loc_conf_t  *slcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    tp = ngx_timeofday();
    e = strm_error_get(rc);

    json = strm_event_dead_letter(ev, rc, rej, (char *) ref->data, ref->len,
                                  ctx->client_id.len
                                  ? (char *) ctx->client_id.data : NULL,
                                  ctx->has_id ? (char *) ctx->event_id : NULL,
                                  (int64_t) tp->sec * 1000 + tp->msec, &len);
    if (json == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm: no memory for a dead letter");
        return;
    }

    ngx_memzero(&msg, sizeof(ngx_http_strm_message_t));
    msg.topic = (const char *) slcf->dead_letter.data;
    msg.payload = (u_char *) json;
    msg.len = len;
    msg.event_id = ctx->event_id;
    msg.event_id_len = ctx->has_id ? STRM_UUID_LEN : 0;

    msg.header_name[0] = "strm-error-code";
    msg.header_value[0].data = (u_char *) e->code;
    msg.header_value[0].len = ngx_strlen(e->code);

    if (ctx->schema_ref.len) {
        msg.header_name[1] = "strm-schema-ref";
        msg.header_value[1] = ctx->schema_ref;
    }

    prc = ngx_http_strm_kafka_produce(&msg, NULL, r->connection->log);

    if (prc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm: dead letter to \"%V\" not sent: %s",
                      &slcf->dead_letter, strm_error_get(prc)->code);
        free(json);
    }
}
