
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_auth.h"
#include "ngx_http_strm_error_filter.h"
#include "ngx_http_strm_handler.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_keys_sync.h"
#include "ngx_http_strm_keys_topic.h"
#include "ngx_http_strm_ready.h"
#include "ngx_http_strm_schema.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_stream.h"
#include "ngx_http_strm_token.h"
#include "ngx_http_strm_variables.h"


/*
 * The module's wiring: its directives, configuration, phase handlers
 * and process hooks.  The work is in the files named for it: ingest
 * (handler), schema, pii, keys, kafka, auth, token, stream, ready,
 * status, variables, error_filter.
 */


static ngx_int_t ngx_http_strm_init(ngx_conf_t *cf);
static void *ngx_http_strm_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_strm_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_strm_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_strm_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_strm_init_process(ngx_cycle_t *cycle);
static void ngx_http_strm_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_strm_commands[] = {

    { ngx_string("strm_kafka_brokers"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_strm_kafka_brokers,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_kafka_brokers_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, brokers_file),
      NULL },

    { ngx_string("strm_kafka_property"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_strm_kafka_property,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_kafka_delivery_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, delivery_timeout),
      NULL },

    { ngx_string("strm_schemas"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, schemas),
      NULL },

    { ngx_string("strm_keys_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_store),
      NULL },

    { ngx_string("strm_keys_store_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_store_size),
      NULL },

    { ngx_string("strm_keys_kek"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_kek),
      NULL },

    { ngx_string("strm_keys_topic"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_topic),
      NULL },

    { ngx_string("strm_keys_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_wait),
      NULL },

    { ngx_string("strm_keys_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, keys_retention),
      NULL },

    { ngx_string("strm_key_rotation"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, key_rotation),
      NULL },

    { ngx_string("strm_ingest"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_strm_ingest,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_dead_letter"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_strm_dead_letter,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_ready"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_strm_ready,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_strm_loc_conf_t, json_errors),
      NULL },

    { ngx_string("strm_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_strm_stream_block,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_token_keys"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, token_keys),
      NULL },

    { ngx_string("strm_token_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, token_issuer),
      NULL },

    { ngx_string("strm_token_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, token_lifetime),
      NULL },

    { ngx_string("strm_refresh_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, refresh_lifetime),
      NULL },

    { ngx_string("strm_auth_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, auth_leeway),
      NULL },

    { ngx_string("strm_auth_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, auth_cache),
      NULL },

    { ngx_string("strm_jwks"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, jwks),
      NULL },

    { ngx_string("strm_jwks_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, jwks_issuer),
      NULL },

    { ngx_string("strm_jwks_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, jwks_audience),
      NULL },

    { ngx_string("strm_jwks_stream_claim"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, jwks_stream_claim),
      NULL },

    { ngx_string("strm_jwks_client_claim"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_main_conf_t, jwks_client_claim),
      NULL },

    { ngx_string("strm_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_strm_auth,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_strm_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_strm_module_ctx = {
    ngx_http_strm_add_variables,           /* preconfiguration */
    ngx_http_strm_init,                    /* postconfiguration */

    ngx_http_strm_create_main_conf,        /* create main configuration */
    ngx_http_strm_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_strm_create_loc_conf,         /* create location configuration */
    ngx_http_strm_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_strm_module = {
    NGX_MODULE_V1,
    &ngx_http_strm_module_ctx,             /* module context */
    ngx_http_strm_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_strm_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_strm_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_strm_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_strm_status_log_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_strm_access_handler;

    return ngx_http_strm_error_filter_init(cf);
}


static void *
ngx_http_strm_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->brokers = NULL;
     *     smcf->brokers_file = { 0, NULL };
     *     smcf->bootstrap = { 0, NULL };
     *     smcf->properties = NULL;
     *     smcf->rk_conf = NULL;
     *     smcf->schemas = { 0, NULL };
     *     smcf->registry = NULL;
     *     smcf->ingest = 0;
     *     smcf->checked = 0;
     *     smcf->keys_store = { 0, NULL };
     *     smcf->keys_kek = { 0, NULL };
     *     smcf->keys_topic = { 0, NULL };
     *     smcf->kek = NULL;
     *     smcf->streams = NULL;
     *     smcf->token_keys = { 0, NULL };
     *     smcf->token_issuer = { 0, NULL };
     *     smcf->jwks = { 0, NULL };
     *     smcf->jwks_issuer = { 0, NULL };
     *     smcf->jwks_audience = { 0, NULL };
     *     smcf->jwks_stream_claim = { 0, NULL };
     *     smcf->jwks_client_claim = { 0, NULL };
     *     smcf->own_keys = NULL;
     *     smcf->ext_keys = NULL;
     *     smcf->sign_kid = NULL;
     *     smcf->sign_key = NULL;
     *     smcf->sign_len = 0;
     */

    smcf->delivery_timeout = NGX_CONF_UNSET_MSEC;
    smcf->key_rotation = NGX_CONF_UNSET_MSEC;
    smcf->keys_wait = NGX_CONF_UNSET_MSEC;
    smcf->keys_retention = NGX_CONF_UNSET_MSEC;
    smcf->keys_store_size = NGX_CONF_UNSET_SIZE;
    smcf->token_lifetime = NGX_CONF_UNSET;
    smcf->refresh_lifetime = NGX_CONF_UNSET;
    smcf->auth_leeway = NGX_CONF_UNSET;
    smcf->auth_cache = NGX_CONF_UNSET;

    return smcf;
}


/* each concern sets its defaults and reads its files, in this order */
static char *
ngx_http_strm_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    if (ngx_http_strm_schema_init_conf(cf, smcf) != NGX_OK
        || ngx_http_strm_keys_init_conf(cf, smcf) != NGX_OK
        || ngx_http_strm_stream_init_conf(cf, smcf) != NGX_OK
        || ngx_http_strm_token_init_conf(cf, smcf) != NGX_OK
        || ngx_http_strm_auth_init_conf(cf, smcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return ngx_http_strm_kafka_init_conf(cf, smcf);
}


static void *
ngx_http_strm_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->topic = { 0, NULL };
     *     slcf->raw = 0;
     *     slcf->ready = 0;
     *     slcf->stream_topic = 0;
     *     slcf->token = 0;
     *     slcf->auth_resolved = 0;
     */

    slcf->dead_letter.len = NGX_CONF_UNSET_SIZE;
    slcf->json_errors = NGX_CONF_UNSET;
    slcf->auth = NGX_CONF_UNSET_PTR;

    return slcf;
}


static char *
ngx_http_strm_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_strm_loc_conf_t  *prev = parent;
    ngx_http_strm_loc_conf_t  *conf = child;

    /*
     * The topic is not inherited: it belongs to its location.  An unset
     * strm_json_errors stays unset: it means "on in strm locations".
     */

    if (conf->json_errors == NGX_CONF_UNSET) {
        conf->json_errors = prev->json_errors;
    }

    if (conf->dead_letter.len == NGX_CONF_UNSET_SIZE) {
        conf->dead_letter = prev->dead_letter;

        if (conf->dead_letter.len == NGX_CONF_UNSET_SIZE) {
            ngx_str_null(&conf->dead_letter);
        }
    }

    return ngx_http_strm_auth_merge(cf, prev, conf);
}


static ngx_int_t
ngx_http_strm_init_process(ngx_cycle_t *cycle)
{
    ngx_http_strm_main_conf_t  *smcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_strm_module);

    if (smcf == NULL) {
        return NGX_OK;
    }

    if (ngx_http_strm_auth_init_process(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (smcf->ingest == 0) {
        return NGX_OK;
    }

    if (ngx_http_strm_keys_init_process(cycle, smcf) != NGX_OK
        || ngx_http_strm_kafka_init_process(cycle, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_strm_keys_topic_init_process(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_strm_keys_sync_init_process(cycle, smcf);
}


static void
ngx_http_strm_exit_process(ngx_cycle_t *cycle)
{
    /*
     * The producer first (its last delivery reports may still answer),
     * after the admin queue it carries
     */
    ngx_http_strm_keys_topic_exit_process(cycle);
    ngx_http_strm_kafka_exit_process(cycle);
    ngx_http_strm_keys_sync_exit_process(cycle);
    ngx_http_strm_keys_exit_process(cycle);
    ngx_http_strm_auth_exit_process(cycle);
}


/*
 * A memo of the request's client connection, in that connection's pool
 * (h2's streams are requests on fake connections of their own, whose
 * pools go with each stream): found among the pool's cleanups by its
 * handler, or, with create, added zeroed.  It lives as long as the
 * connection; the handler wipes it when the connection closes.  NULL
 * when there is none (create 0) or no memory.
 */
void *
ngx_http_strm_connection_memo(ngx_http_request_t *r,
    ngx_pool_cleanup_pt handler, size_t size, ngx_uint_t create)
{
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *cln;

    c = r->main->connection;

#if (NGX_HTTP_V2)
    if (r->main->stream != NULL) {
        c = r->main->stream->connection->connection;
    }
#endif

    for (cln = c->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == handler) {
            return cln->data;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(c->pool, size);
    if (cln == NULL) {
        return NULL;
    }

    ngx_memzero(cln->data, size);
    cln->handler = handler;

    return cln->data;
}
