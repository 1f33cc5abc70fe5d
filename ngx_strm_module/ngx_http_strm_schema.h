
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_
#define _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_


#include "ngx_http_strm_module.h"
#include "ngx_http_strm_kafka.h"


/*
 * The body of an ingest request turned into the event for Kafka: the
 * serialization from Strm-Serialization-Type / Content-Type, the schema
 * from Strm-Schema-Ref (or the legacy Strm-Schema-Id), the checks of
 * strm_event_parse(), strmMeta stamped, JSON out.
 *
 * On STRM_OK msg->payload and msg->len are the event (malloc()ed, for
 * librdkafka to free) and msg's Kafka headers are set; the body buffer
 * was freed.  On a rejection ctx->reject holds the answer body, a dead
 * letter went out when the location has one, and the caller still owns
 * the body buffer in msg->payload.
 */
strm_rc_t ngx_http_strm_schema_process(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg);


/* the first request header called name (any case), NULL if none */
ngx_table_elt_t *ngx_http_strm_header(ngx_http_request_t *r,
    const char *name, size_t len);


#endif /* _NGX_HTTP_STRM_SCHEMA_H_INCLUDED_ */
