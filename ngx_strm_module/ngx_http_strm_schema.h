
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_
#define _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* strm_dead_letter topic|off */
char *ngx_http_strm_dead_letter(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* init_main_conf: strm_schemas loaded and compiled, checked locations */
ngx_int_t ngx_http_strm_schema_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);

/*
 * The body of an ingest request (msg->payload) checked: the
 * serialization from Strm-Serialization-Type / Content-Type, the schema
 * from Strm-Schema-Ref (or the legacy Strm-Schema-Id), the checks of
 * strm_event_parse().  On STRM_OK ev holds the event.  On a refusal ev
 * is freed, ctx->reject holds the answer's body and, when the location
 * has a dead-letter topic, dead holds the dead letter (its payload
 * malloc()ed) for the caller to hand to Kafka.
 */
strm_rc_t ngx_http_strm_schema_check(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg, strm_event_t *ev,
    ngx_http_strm_message_t *dead);

/*
 * The event's JSON, which ngx_http_strm_pii_encrypt() wrote, into
 * msg->payload (malloc()ed, for librdkafka to free; the body buffer is
 * freed), with its Kafka headers.  ev is freed in any case.
 */
strm_rc_t ngx_http_strm_schema_serialize(ngx_http_request_t *r,
    strm_event_t *ev, ngx_http_strm_message_t *msg);


#endif /* _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_ */
