
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_schema.h"


static void ngx_http_strm_registry_cleanup(void *data);
static ngx_int_t ngx_http_strm_media_is(ngx_str_t *value, const char *type);
static strm_rc_t ngx_http_strm_serialization(ngx_http_request_t *r,
    const u_char *body, size_t len, strm_ser_e *ser, strm_reject_t *rej);
static strm_rc_t ngx_http_strm_refuse(ngx_http_request_t *r,
    strm_event_t *ev, strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref,
    ngx_http_strm_message_t *dead);
static void ngx_http_strm_dead_letter_message(ngx_http_request_t *r,
    strm_event_t *ev, strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref,
    ngx_http_strm_message_t *dead);


/* strm_dead_letter topic|off */

char *
ngx_http_strm_dead_letter(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_str_t  *value;

    if (slcf->dead_letter.len != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_null(&slcf->dead_letter);
        return NGX_CONF_OK;
    }

    if (ngx_http_strm_conf_topic(cf, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    slcf->dead_letter = value[1];

    return NGX_CONF_OK;
}


/*
 * The schema registry is loaded and compiled when the configuration is
 * read (so "nginx -t" fails on a broken schema, contract or regex, and
 * a reload picks up a changed registry); workers inherit it read-only.
 */
ngx_int_t
ngx_http_strm_schema_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t            rc;
    ngx_pool_cleanup_t  *cln;
    char                 err[1024];

    if (smcf->schemas.len == 0) {
        if (smcf->checked) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"strm_ingest\" checks events against "
                               "\"strm_schemas\", which is not set "
                               "(or mark the location \"raw\")");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->schemas, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    err[0] = '\0';

    rc = strm_registry_load((char *) smcf->schemas.data, &smcf->registry,
                            err, sizeof(err));
    if (rc != STRM_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_schemas \"%V\": %s", &smcf->schemas,
                           err[0] ? err : "cannot be loaded");
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_registry_cleanup;
    cln->data = smcf->registry;

    ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                  "strm_schemas \"%V\": %uz schemas, %uz contracts",
                  &smcf->schemas, strm_registry_schemas(smcf->registry),
                  strm_registry_contracts(smcf->registry));

    return NGX_OK;
}


static void
ngx_http_strm_registry_cleanup(void *data)
{
    strm_registry_free(data);
}


strm_rc_t
ngx_http_strm_schema_check(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg, strm_event_t *ev,
    ngx_http_strm_message_t *dead)
{
    ngx_str_t                   ref;
    strm_rc_t                   rc;
    strm_ser_e                  ser;
    strm_reject_t               rej;
    ngx_table_elt_t            *h;
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ngx_memzero(ev, sizeof(strm_event_t));
    ngx_memzero(&rej, sizeof(strm_reject_t));
    ser = STRM_SER_AVRO_BINARY;

    h = ngx_http_strm_header_in(r, "Strm-Schema-Ref", 15);
    if (h == NULL) {
        /* STRM's first drivers named it so */
        h = ngx_http_strm_header_in(r, "Strm-Schema-Id", 14);
    }

    if (h != NULL) {
        ref = h->value;

    } else {
        ngx_str_null(&ref);
    }

    rc = ngx_http_strm_serialization(r, msg->payload, msg->len, &ser, &rej);
    if (rc != STRM_OK) {
        return ngx_http_strm_refuse(r, ev, rc, &rej, &ref, dead);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm schema: \"%V\", %s, %uz bytes", &ref,
                   ser == STRM_SER_JSON ? "json" : "avro binary", msg->len);

    rc = strm_event_parse(smcf->registry, (char *) ref.data, ref.len, ser,
                          msg->payload, msg->len, ev, &rej);

    if (ev->schema != NULL) {
        /* the registry's copy: it outlives the request */
        ctx->schema_ref.data = (u_char *) ev->schema->ref;
        ctx->schema_ref.len = ngx_strlen(ev->schema->ref);
    }

    if (rc != STRM_OK) {
        return ngx_http_strm_refuse(r, ev, rc, &rej, &ref, dead);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm schema: the event keeps contract \"%s\"",
                   ev->contract->ref);

    return STRM_OK;
}


strm_rc_t
ngx_http_strm_schema_serialize(ngx_http_request_t *r, strm_event_t *ev,
    ngx_http_strm_message_t *msg)
{
    u_char               *p;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    /* written, stamped and encrypted by ngx_http_strm_pii_encrypt() */
    if (ev->json == NULL) {
        strm_event_free(ev);
        return STRM_E_INTERNAL;
    }

    p = ngx_pnalloc(r->pool, ngx_strlen(ev->consent));
    if (p == NULL) {
        strm_event_free(ev);
        return STRM_E_NOMEM;
    }

    if (!msg->borrowed) {
        ngx_free(msg->payload);
    }

    msg->borrowed = 0;

    /*
     * librdkafka copies the event into the message's own allocation
     * (which it makes anyway), and the buffer goes back to the writer
     * for the next event: no malloc() and free() of it per event
     */
    msg->payload = (u_char *) ev->json;
    msg->len = ev->len;
    msg->reuse = 1;
    msg->size = ev->json_size;
    ev->json = NULL;

    ngx_str_set(&msg->header_name[0], "strm-schema-ref");
    msg->header_value[0] = ctx->schema_ref;

    ngx_str_set(&msg->header_name[1], "strm-contract-ref");
    msg->header_value[1].data = (u_char *) ev->contract->ref;
    msg->header_value[1].len = ngx_strlen(ev->contract->ref);

    ngx_str_set(&msg->header_name[2], "strm-consent-levels");
    msg->header_value[2].len = ngx_strlen(ev->consent);
    msg->header_value[2].data = p;
    ngx_memcpy(p, ev->consent, msg->header_value[2].len);

    strm_event_free(ev);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm schema: serialized, %uz bytes of JSON", msg->len);

    return STRM_OK;
}


/* "type/subtype" with optional parameters after ';', any case */
static ngx_int_t
ngx_http_strm_media_is(ngx_str_t *value, const char *type)
{
    size_t   i, n;
    u_char   c, t;
    u_char  *p, *last;

    n = ngx_strlen(type);
    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    /*
     * The type as it is written (lowercase) needs no case folding;
     * another type (application/octet-stream against application/json)
     * is left at its first byte that differs in any case
     */
    if (ngx_memcmp(p, type, n) != 0) {
        for (i = 0; i < n; i++) {
            c = p[i];
            t = (u_char) type[i];

            if (c != t && ((c | 0x20) != t || t < 'a' || t > 'z')) {
                return 0;
            }
        }
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

    h = ngx_http_strm_header_in(r, "Strm-Serialization-Type", 23);

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
ngx_http_strm_refuse(ngx_http_request_t *r, strm_event_t *ev, strm_rc_t rc,
    strm_reject_t *rej, ngx_str_t *ref, ngx_http_strm_message_t *dead)
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
        ngx_http_strm_dead_letter_message(r, ev, rc, rej, ref, dead);
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


/* the refused event for the dead-letter topic, without its PII */
static void
ngx_http_strm_dead_letter_message(ngx_http_request_t *r, strm_event_t *ev,
    strm_rc_t rc, strm_reject_t *rej, ngx_str_t *ref,
    ngx_http_strm_message_t *dead)
{
    char                      *json;
    size_t                     len;
    ngx_time_t                *tp;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
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

    ngx_memzero(dead, sizeof(ngx_http_strm_message_t));
    dead->topic = (const char *) slcf->dead_letter.data;
    dead->payload = (u_char *) json;
    dead->len = len;
    dead->event_id = ctx->event_id;
    dead->event_id_len = ctx->has_id ? STRM_UUID_LEN : 0;

    ngx_str_set(&dead->header_name[0], "strm-error-code");
    dead->header_value[0].data = (u_char *) e->code;
    dead->header_value[0].len = ngx_strlen(e->code);

    if (ctx->schema_ref.len) {
        ngx_str_set(&dead->header_name[1], "strm-schema-ref");
        dead->header_value[1] = ctx->schema_ref;
    }
}
