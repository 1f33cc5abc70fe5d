
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_KAFKA_H_INCLUDED_
#define _NGX_HTTP_STRM_KAFKA_H_INCLUDED_


#include "ngx_http_strm_module.h"


#define NGX_HTTP_STRM_KAFKA_HEADERS  4


typedef void (*ngx_http_strm_delivered_pt)(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);


/*
 * One produced message waiting for its delivery report.  It lives on
 * the heap because it may outlive the request: a request that goes
 * away first sets data to NULL (detach) and the report frees it.
 */
struct ngx_http_strm_inflight_s {
    ngx_http_strm_delivered_pt   handler;
    void                        *data;
    unsigned                     always:1;  /* call handler even when
                                               detached or exiting */
    u_char                       link[STRM_UUID_LEN + 1];
};


typedef struct {
    const char                  *topic;
    const u_char                *key;
    size_t                       key_len;
    u_char                      *payload;   /* ngx_alloc()ed, see below */
    size_t                       len;
    const u_char                *event_id;
    size_t                       event_id_len;

    /* a new key link's record for the keys topic (malloc()ed) or NULL */
    u_char                      *keyrec;
    size_t                       keyrec_len;

    /* Kafka headers besides strm-event-id; absent when NULL */
    const char                  *header_name[NGX_HTTP_STRM_KAFKA_HEADERS];
    ngx_str_t                    header_value[NGX_HTTP_STRM_KAFKA_HEADERS];
} ngx_http_strm_message_t;


char *ngx_http_strm_kafka_check_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
ngx_int_t ngx_http_strm_kafka_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_kafka_exit_process(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_strm_kafka_ready(void);

/*
 * Serves a librdkafka queue in the event loop: serve() runs whenever q
 * gets something (through an eventfd watched as a connection).  The
 * connection, or NULL (logged); unwatch undoes it (both may be NULL).
 */
ngx_connection_t *ngx_http_strm_kafka_watch(ngx_cycle_t *cycle,
    rd_kafka_queue_t *q, void (*serve)(void));
void ngx_http_strm_kafka_unwatch(ngx_connection_t *c, rd_kafka_queue_t *q);

/*
 * Hands the message to librdkafka.  On STRM_OK librdkafka owns
 * msg->payload and the delivery report calls in->handler (unless
 * detached) and frees in; on an error the caller still owns both.
 * With in NULL nobody waits for the report (dead letters): a failed
 * delivery is only logged.
 */
strm_rc_t ngx_http_strm_kafka_produce(ngx_http_strm_message_t *msg,
    ngx_http_strm_inflight_t *in, ngx_log_t *log);


#endif /* _NGX_HTTP_STRM_KAFKA_H_INCLUDED_ */
