
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_KAFKA_H_INCLUDED_
#define _NGX_HTTP_STRM_KAFKA_H_INCLUDED_


#include "ngx_http_strm_common.h"


#define NGX_HTTP_STRM_DELIVERY_TIMEOUT      10000
#define NGX_HTTP_STRM_DELIVERY_TIMEOUT_MAX  (24 * 86400 * 1000)
#define NGX_HTTP_STRM_EXIT_FLUSH            3000


/* directives: strm_kafka_brokers, strm_kafka_property */
char *ngx_http_strm_kafka_brokers(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_strm_kafka_property(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * init_main_conf: the delivery timeout, the bootstrap list (from the
 * brokers, the brokers file or the default) and the producer's
 * configuration, checked by librdkafka so that "nginx -t" fails on a
 * bad property.
 */
char *ngx_http_strm_kafka_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);

/* a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -, not . or .. */
ngx_int_t ngx_http_strm_valid_topic(ngx_str_t *topic);

/* the same for a directive's argument, logged as EMERG when invalid */
ngx_int_t ngx_http_strm_conf_topic(ngx_conf_t *cf, ngx_str_t *topic);

/*
 * A new consumer's configuration: the brokers and the properties of
 * strm_kafka_property that are a consumer's (or both kinds'); NULL with
 * errstr set on an error.
 */
rd_kafka_conf_t *ngx_http_strm_kafka_consumer_conf(
    ngx_http_strm_main_conf_t *smcf, char *errstr, size_t size);

/* librdkafka's log and error callbacks: to the error log */
void ngx_http_strm_kafka_log(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf);
void ngx_http_strm_kafka_error(rd_kafka_t *rk, int err, const char *reason,
    void *opaque);

ngx_int_t ngx_http_strm_kafka_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_kafka_exit_process(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_strm_kafka_ready(void);

/* the worker's producer (NULL before init_process): for admin requests */
rd_kafka_t *ngx_http_strm_kafka_handle(void);

/* the producer's brokers librdkafka reports up (UP or UPDATE) */
ngx_uint_t ngx_http_strm_kafka_brokers_up(void);

/* the producer has had a Metadata response from a broker */
ngx_uint_t ngx_http_strm_kafka_metadata(void);

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
 * msg->payload and the delivery report calls in->landed (if set) and
 * in->handler (unless detached), then frees in; on an error the caller
 * still owns both.  With in NULL nobody waits for the report (dead
 * letters): a failed delivery is only logged.
 */
strm_rc_t ngx_http_strm_kafka_produce(ngx_http_strm_message_t *msg,
    ngx_http_strm_inflight_t *in, ngx_log_t *log);

/*
 * An in-flight record, zeroed (NULL: out of memory, logged), and its
 * return when it was never produced; the delivery report returns the
 * ones produced.
 */
ngx_http_strm_inflight_t *ngx_http_strm_inflight_new(ngx_log_t *log);
void ngx_http_strm_inflight_free(ngx_http_strm_inflight_t *in);


#endif /* _NGX_HTTP_STRM_KAFKA_H_INCLUDED_ */
