
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
#include "strm_jwt.h"
#include "strm_cred.h"


#define NGX_HTTP_STRM_DELIVERY_TIMEOUT  10000
#define NGX_HTTP_STRM_DELIVERY_TIMEOUT_MAX  (24 * 86400 * 1000)
#define NGX_HTTP_STRM_EXIT_FLUSH        3000
#define NGX_HTTP_STRM_KEY_ROTATION      (24 * 3600 * 1000)


typedef struct ngx_http_strm_inflight_s  ngx_http_strm_inflight_t;
typedef struct ngx_http_strm_auth_cache_s  ngx_http_strm_auth_cache_t;


/* a stream: its name, its Kafka topic and its clients (strm_stream) */
typedef struct {
    ngx_str_t                   name;           /* NUL-terminated */
    ngx_str_t                   topic;          /* NUL-terminated */
    ngx_str_t                   clients_file;
    strm_cred_client_t         *clients;        /* sorted by client id */
    size_t                      nclients;
} ngx_http_strm_stream_t;


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

    /* auth: streams, our own tokens, tokens of an identity provider */
    ngx_array_t                *streams;        /* of ngx_http_strm_stream_t */
    ngx_str_t                   token_keys;     /* HS256 keys file */
    ngx_str_t                   token_issuer;   /* NUL-terminated */
    time_t                      token_lifetime;
    time_t                      refresh_lifetime;
    time_t                      auth_leeway;
    ngx_int_t                   auth_cache;     /* entries per worker */
    ngx_str_t                   jwks;           /* JWKS file */
    ngx_str_t                   jwks_issuer;    /* NUL-terminated */
    ngx_str_t                   jwks_audience;  /* NUL-terminated */
    ngx_str_t                   jwks_stream_claim;
    ngx_str_t                   jwks_client_claim;
    strm_jwt_keys_t            *own_keys;
    strm_jwt_keys_t            *ext_keys;
    char                       *sign_kid;
    unsigned char              *sign_key;
    size_t                      sign_len;
} ngx_http_strm_main_conf_t;


typedef struct {
    ngx_str_t                   topic;          /* NUL-terminated */
    ngx_str_t                   dead_letter;    /* NUL-terminated */
    ngx_flag_t                  json_errors;
    ngx_uint_t                  raw;            /* strm_ingest ... raw */
    ngx_uint_t                  ready;          /* strm_ready */
    ngx_uint_t                  stream_topic;   /* strm_ingest $strm_topic */
    ngx_array_t                *auth;           /* of stream pointers */
    ngx_uint_t                  token;          /* strm_token */
    ngx_uint_t                  auth_resolved;  /* auth holds streams */
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
    ngx_http_strm_stream_t     *stream;         /* of the bearer token */
    ngx_str_t                   client_id;      /* of the bearer token,
                                                   NUL-terminated */
    strm_rc_t                   auth_rc;        /* its check's result */
    const char                 *auth_why;       /* static: why refused */

    unsigned                    has_id:1;
    unsigned                    answered:1;
    unsigned                    own_body:1;
    unsigned                    replace_sent:1;
    unsigned                    auth_done:1;
} ngx_http_strm_ctx_t;


extern ngx_module_t  ngx_http_strm_module;


ngx_http_strm_ctx_t *ngx_http_strm_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_strm_valid_topic(ngx_str_t *topic);


#endif /* _NGX_HTTP_STRM_MODULE_H_INCLUDED_ */
