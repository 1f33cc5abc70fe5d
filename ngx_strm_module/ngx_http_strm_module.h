
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_MODULE_H_INCLUDED_
#define _NGX_HTTP_STRM_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <librdkafka/rdkafka.h>

#include "strm_error.h"
#include "strm_id.h"
#include "strm_registry.h"
#include "strm_event.h"
#include "strm_keys.h"


#define NGX_HTTP_STRM_DELIVERY_TIMEOUT  10000
#define NGX_HTTP_STRM_DELIVERY_TIMEOUT_MAX  (24 * 86400 * 1000)
#define NGX_HTTP_STRM_EXIT_FLUSH        3000
#define NGX_HTTP_STRM_KEY_ROTATION      (24 * 3600 * 1000)


typedef struct ngx_http_strm_inflight_s  ngx_http_strm_inflight_t;


typedef struct {
    ngx_array_t                *brokers;        /* of ngx_str_t */
    ngx_str_t                   brokers_file;
    ngx_str_t                   bootstrap;      /* NUL-terminated */
    ngx_array_t                *properties;     /* of ngx_keyval_t */
    ngx_msec_t                  delivery_timeout;
    rd_kafka_conf_t            *rk_conf;        /* checked template */
    ngx_str_t                   schemas;        /* registry directory */
    strm_registry_t            *registry;
    ngx_uint_t                  ingest;         /* ingest locations */
    ngx_uint_t                  checked;        /* of them not raw */
    ngx_str_t                   keys_store;     /* LMDB file */
    ngx_str_t                   keys_kek;       /* KEK keyset file */
    ngx_str_t                   keys_topic;     /* NUL-terminated */
    ngx_msec_t                  key_rotation;
    strm_tink_keyset_t         *kek;
} ngx_http_strm_main_conf_t;


typedef struct {
    ngx_str_t                   topic;          /* NUL-terminated */
    ngx_str_t                   dead_letter;    /* NUL-terminated */
    ngx_flag_t                  json_errors;
    ngx_uint_t                  raw;            /* strm_ingest ... raw */
    ngx_uint_t                  ready;          /* strm_ready */
} ngx_http_strm_loc_conf_t;


typedef struct {
    ngx_http_strm_inflight_t   *inflight;
    ngx_event_t                 timer;
    strm_rc_t                   rc;
    u_char                      event_id[STRM_UUID_LEN];
    ngx_str_t                   reason;
    ngx_str_t                   reject;         /* JSON of a rejection */
    ngx_str_t                   schema_ref;     /* known refs only */
    ngx_uint_t                  pending;        /* delivery reports due */
    strm_rc_t                   drc;            /* their first failure */
    ngx_http_strm_inflight_t   *keys_inflight;  /* the key record's */
    off_t                       body_len;
    ngx_chain_t                *replace;        /* JSON for nginx errors */

    unsigned                    has_id:1;
    unsigned                    answered:1;
    unsigned                    own_body:1;
    unsigned                    replace_sent:1;
} ngx_http_strm_ctx_t;


extern ngx_module_t  ngx_http_strm_module;


ngx_http_strm_ctx_t *ngx_http_strm_get_ctx(ngx_http_request_t *r);


#endif /* _NGX_HTTP_STRM_MODULE_H_INCLUDED_ */
