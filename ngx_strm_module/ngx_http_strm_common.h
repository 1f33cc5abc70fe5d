
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_COMMON_H_INCLUDED_
#define _NGX_HTTP_STRM_COMMON_H_INCLUDED_


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


/*
 * What every file of the module shares: the configuration, the request
 * context and the message an ingest request hands to Kafka.  The
 * concern files (kafka, keys, schema, pii, auth, ...) stand on this
 * header; ngx_http_strm_module.c wires them together on top.
 */


#define NGX_HTTP_STRM_KAFKA_HEADERS     4


typedef struct ngx_http_strm_inflight_s  ngx_http_strm_inflight_t;


typedef void (*ngx_http_strm_delivered_pt)(ngx_http_strm_inflight_t *in,
    strm_rc_t rc, const char *reason);


/*
 * One produced message waiting for its delivery report.  It lives on
 * the heap because it may outlive the request: a request that goes
 * away first sets data to NULL (detach) and the report frees it.  The
 * report fills in partition and offset.  A message partitioned by its
 * session (the keys topic) carries the session here, for librdkafka's
 * partitioner.
 */
struct ngx_http_strm_inflight_s {
    ngx_http_strm_delivered_pt   handler;
    void                        *data;
    int32_t                      partition;
    int64_t                      offset;
    u_char                       link[STRM_UUID_LEN + 1];
    u_char                       session[STRM_KEYSTORE_HMAC_LEN];
    unsigned                     has_session:1;
};


/* a message for Kafka, built by the steps of an ingest request */
typedef struct {
    const char                  *topic;
    const u_char                *key;
    size_t                       key_len;
    u_char                      *payload;   /* heap, librdkafka frees it;
                                               NULL: a tombstone */
    size_t                       len;
    unsigned                     borrowed:1; /* payload is the request's
                                               (its body): librdkafka
                                               copies it, nobody frees it */
    unsigned                     reuse:1;    /* payload is an event's
                                               JSON (size bytes):
                                               librdkafka copies it, the
                                               writer gets it back */
    size_t                       size;
    const u_char                *event_id;
    size_t                       event_id_len;

    /* the keys topic: partitioned by session, not by key */
    const u_char                *session;

    /* a new session's candidate key link record (malloc()ed) or NULL */
    u_char                      *keyrec;
    size_t                       keyrec_len;

    /* Kafka headers besides strm-event-id; absent when len is 0 */
    ngx_str_t                    header_name[NGX_HTTP_STRM_KAFKA_HEADERS];
    ngx_str_t                    header_value[NGX_HTTP_STRM_KAFKA_HEADERS];
} ngx_http_strm_message_t;


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
    ngx_array_t                *consumer_properties;  /* of them */
    ngx_msec_t                  delivery_timeout;
    ngx_msec_t                  delivery_net;   /* the 504 safety net */
    rd_kafka_conf_t            *rk_conf;        /* checked template */
    ngx_str_t                   schemas;        /* registry directory */
    strm_registry_t            *registry;
    ngx_uint_t                  ingest;         /* ingest locations */
    ngx_uint_t                  checked;        /* of them not raw */
    ngx_str_t                   keys_store;     /* LMDB file */
    size_t                      keys_store_size; /* both its files */
    ngx_shm_zone_t             *keys_zone;      /* its state, per box */
    ngx_str_t                   keys_kek;       /* KEK keyset file */
    ngx_str_t                   keys_topic;     /* NUL-terminated */
    ngx_msec_t                  key_rotation;
    ngx_msec_t                  keys_wait;      /* for a new session */
    ngx_msec_t                  keys_retention; /* purge after expiry */
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
    ngx_http_strm_inflight_t   *inflight;       /* the event's */
    ngx_event_t                 timer;
    strm_rc_t                   rc;
    u_char                      event_id[STRM_UUID_LEN];
    ngx_str_t                   reason;
    ngx_str_t                   reject;         /* JSON of a rejection */
    ngx_str_t                   schema_ref;     /* known refs only */
    strm_rc_t                   drc;            /* a delivery's failure */
    off_t                       body_len;
    ngx_chain_t                *replace;        /* JSON for nginx errors */
    ngx_http_strm_stream_t     *stream;         /* of the bearer token */
    ngx_str_t                   client_id;      /* of the bearer token,
                                                   NUL-terminated */
    strm_rc_t                   auth_rc;        /* its check's result */
    const char                 *auth_why;       /* static: why refused */

    /* a checked event between its steps: a new session waits for keys */
    strm_event_t               *ev;
    ngx_http_strm_message_t    *msg;
    int64_t                     now;
    ngx_http_strm_inflight_t   *keys_inflight;  /* the candidate's */
    ngx_queue_t                 keys_queue;     /* waiting for the topic */
    ngx_http_request_t         *keys_request;
    void                      (*keys_resume)(ngx_http_request_t *r);
    int32_t                     keys_partition; /* of the candidate */
    int64_t                     keys_offset;
    u_char                      session[STRM_KEYSTORE_HMAC_LEN];
    u_char                      candidate[STRM_UUID_LEN + 1];

    unsigned                    has_id:1;
    unsigned                    answered:1;
    unsigned                    own_body:1;
    unsigned                    replace_sent:1;
    unsigned                    auth_done:1;
    unsigned                    keys_waiting:1;
} ngx_http_strm_ctx_t;


extern ngx_module_t  ngx_http_strm_module;


void *ngx_http_strm_connection_memo(ngx_http_request_t *r,
    ngx_pool_cleanup_pt handler, size_t size, ngx_uint_t create);


/* the request's context of this module, created on first use */
static ngx_inline ngx_http_strm_ctx_t *
ngx_http_strm_get_ctx(ngx_http_request_t *r)
{
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_strm_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_strm_module);
    }

    return ctx;
}


#endif /* _NGX_HTTP_STRM_COMMON_H_INCLUDED_ */
