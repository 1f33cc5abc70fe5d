
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_STATUS_H_INCLUDED_
#define _NGX_HTTP_STRM_STATUS_H_INCLUDED_


#include "ngx_http_strm_common.h"


extern ngx_module_t  ngx_http_strm_status_module;


/* the log phase: counts the request of an ingest location */
ngx_int_t ngx_http_strm_status_log_handler(ngx_http_request_t *r);


/*
 * Counts one finished ingest request in the strm_status zone: stream is
 * the stream name, schema_ref the event's "handle/name/version" (empty
 * when the request had none or it is not in the registry), rc the
 * result (STRM_OK is accepted, anything else is rejected with that
 * code), bytes the size of the request body.  A no-op without a zone;
 * never fails the request.
 */
void ngx_http_strm_status_count(ngx_http_request_t *r, ngx_str_t *stream,
    ngx_str_t *schema_ref, strm_rc_t rc, off_t bytes);


/* counters of the whole zone (all streams, all workers) */
typedef enum {
    NGX_HTTP_STRM_STAT_KAFKA_PRODUCED = 0,  /* queued to librdkafka */
    NGX_HTTP_STRM_STAT_KAFKA_DELIVERED,     /* acknowledged by Kafka */
    NGX_HTTP_STRM_STAT_KAFKA_FAILED,        /* a failed delivery report */
    NGX_HTTP_STRM_STAT_KAFKA_QUEUE_FULL,    /* refused: local queue full */
    NGX_HTTP_STRM_STAT_KEYS_LOOKUPS,        /* key links asked for */
    NGX_HTTP_STRM_STAT_KEYS_CREATED,        /* new key links */
    NGX_HTTP_STRM_STAT_AUTH_FAILURES,       /* bearer tokens refused */
    NGX_HTTP_STRM_STAT_TOKEN_BAD_CLIENT,    /* token endpoint: bad secret */
    NGX_HTTP_STRM_STAT_TOKEN_BAD_GRANT,     /* token endpoint: bad refresh */
    NGX_HTTP_STRM_STAT_N
} ngx_http_strm_stat_e;


/* latency histograms, in milliseconds */
typedef enum {
    NGX_HTTP_STRM_HIST_REQUEST = 0,         /* ingest request to answer */
    NGX_HTTP_STRM_HIST_DELIVERY,            /* produce to delivery report */
    NGX_HTTP_STRM_HIST_KEY_SYNC,            /* a key link's record to Kafka */
    NGX_HTTP_STRM_HIST_N
} ngx_http_strm_hist_e;


/*
 * Adds one to a counter, or one observation of ms to a histogram: one
 * atomic add each, no lock; a no-op without a zone.  Safe from
 * librdkafka's delivery report callback (it runs in the worker's event
 * loop).
 */
void ngx_http_strm_status_incr(ngx_http_strm_stat_e what);

/*
 * This worker's gauges: ready (strm_ready would answer 200) and the
 * brokers its producer has up; a no-op in a worker of an old
 * generation (a reload) or without a zone.
 */
void ngx_http_strm_status_worker(ngx_uint_t ready, ngx_uint_t brokers_up);
void ngx_http_strm_status_observe(ngx_http_strm_hist_e h, ngx_msec_t ms);


#endif /* _NGX_HTTP_STRM_STATUS_H_INCLUDED_ */
