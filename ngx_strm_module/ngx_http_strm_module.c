
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_module.h"
#include "ngx_http_strm_handler.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_auth.h"


static ngx_int_t ngx_http_strm_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_strm_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_strm_log_handler(ngx_http_request_t *r);
static void *ngx_http_strm_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_strm_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_strm_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_strm_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_strm_brokers(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_strm_property(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_strm_ingest(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_strm_dead_letter(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_strm_ready(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_strm_read_brokers_file(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_load_registry(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static void ngx_http_strm_registry_cleanup(void *data);
static ngx_int_t ngx_http_strm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_strm_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_strm_init_process(ngx_cycle_t *cycle);
static void ngx_http_strm_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_strm_commands[] = {

    { ngx_string("strm_kafka_brokers"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_strm_brokers,
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
      ngx_http_strm_property,
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


#define NGX_HTTP_STRM_VAR_EVENT_ID  0
#define NGX_HTTP_STRM_VAR_STATUS    1
#define NGX_HTTP_STRM_VAR_CLIENT_ID 2
#define NGX_HTTP_STRM_VAR_STREAM    3
#define NGX_HTTP_STRM_VAR_TOPIC     4


static ngx_http_variable_t  ngx_http_strm_vars[] = {

    { ngx_string("strm_event_id"), NULL, ngx_http_strm_variable,
      NGX_HTTP_STRM_VAR_EVENT_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("strm_status"), NULL, ngx_http_strm_variable,
      NGX_HTTP_STRM_VAR_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("strm_client_id"), NULL, ngx_http_strm_auth_variable,
      NGX_HTTP_STRM_VAR_CLIENT_ID, 0, 0 },

    { ngx_string("strm_stream"), NULL, ngx_http_strm_auth_variable,
      NGX_HTTP_STRM_VAR_STREAM, 0, 0 },

    { ngx_string("strm_topic"), NULL, ngx_http_strm_auth_variable,
      NGX_HTTP_STRM_VAR_TOPIC, 0, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_strm_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_strm_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_strm_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const strm_error_t   *e;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_STRM_VAR_EVENT_ID:
        if (!ctx->has_id) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->data = ctx->event_id;
        v->len = STRM_UUID_LEN;
        break;

    default: /* NGX_HTTP_STRM_VAR_STATUS */
        if (!ctx->answered) {
            v->not_found = 1;
            return NGX_OK;
        }

        e = strm_error_get(ctx->rc);
        v->data = (u_char *) e->code;
        v->len = ngx_strlen(e->code);
        break;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The bearer token's client and stream: limit_req evaluates its key in
 * the preaccess phase, before our access handler, so the variable runs
 * the (memoized) check itself.  Not found without a valid token.
 */
static ngx_int_t
ngx_http_strm_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf->auth == NULL || ngx_http_strm_auth_check(r) != STRM_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    switch (data) {

    case NGX_HTTP_STRM_VAR_CLIENT_ID:
        v->data = ctx->client_id.data;
        v->len = ctx->client_id.len;
        break;

    case NGX_HTTP_STRM_VAR_STREAM:
        v->data = ctx->stream->name.data;
        v->len = ctx->stream->name.len;
        break;

    default: /* NGX_HTTP_STRM_VAR_TOPIC */
        v->data = ctx->stream->topic.data;
        v->len = ctx->stream->topic.len;
        break;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


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

    *h = ngx_http_strm_log_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_strm_access_handler;

    return ngx_http_strm_filter_init(cf);
}


/*
 * Every request of an ingest location is counted once, when it is
 * logged: also those nginx answered itself (413, 408, ...).
 */
static ngx_int_t
ngx_http_strm_log_handler(ngx_http_request_t *r)
{
    off_t                      bytes;
    ngx_time_t                *tp;
    strm_rc_t                  rc;
    ngx_str_t                 *ref, *topic;
    ngx_msec_int_t             ms;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf == NULL || slcf->topic.len == 0 || r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ref = NULL;
    bytes = r->headers_in.content_length_n;

    if (ctx != NULL) {
        ref = &ctx->schema_ref;

        if (ctx->body_len) {
            bytes = ctx->body_len;
        }
    }

    if (ctx != NULL && ctx->answered) {
        rc = ctx->rc;

    } else if (r->headers_out.status == NGX_HTTP_NO_CONTENT) {
        rc = STRM_OK;

    } else {
        /* 499 and the like: the request never got an answer of ours */
        e = strm_error_by_status((int) r->headers_out.status);
        rc = (e != NULL) ? e->rc : STRM_E_BAD_REQUEST;
    }

    topic = &slcf->topic;

    if (slcf->stream_topic && ctx != NULL && ctx->stream != NULL) {
        topic = &ctx->stream->topic;
    }

    ngx_http_strm_status_count(r, topic, ref, rc, bytes);

    /* as $request_time: from the first byte read to the log phase */
    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    ngx_http_strm_status_observe(NGX_HTTP_STRM_HIST_REQUEST,
                                 (ngx_msec_t) ngx_max(ms, 0));

    return NGX_OK;
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
     */

    smcf->delivery_timeout = NGX_CONF_UNSET_MSEC;
    smcf->key_rotation = NGX_CONF_UNSET_MSEC;
    smcf->token_lifetime = NGX_CONF_UNSET;
    smcf->refresh_lifetime = NGX_CONF_UNSET;
    smcf->auth_leeway = NGX_CONF_UNSET;
    smcf->auth_cache = NGX_CONF_UNSET;

    return smcf;
}


static char *
ngx_http_strm_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    u_char     *p;
    ngx_str_t  *b;
    ngx_uint_t  i;
    size_t      len;

    ngx_conf_init_msec_value(smcf->delivery_timeout,
                             NGX_HTTP_STRM_DELIVERY_TIMEOUT);

    /* librdkafka's message.timeout.ms: 0 would mean "wait forever" */
    if (smcf->delivery_timeout == 0
        || smcf->delivery_timeout > NGX_HTTP_STRM_DELIVERY_TIMEOUT_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid strm_kafka_delivery_timeout: "
                           "from 1ms to 24d");
        return NGX_CONF_ERROR;
    }

    if (smcf->brokers != NULL && smcf->brokers_file.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_kafka_brokers\" and "
                           "\"strm_kafka_brokers_file\" are exclusive");
        return NGX_CONF_ERROR;
    }

    if (smcf->brokers_file.len) {
        if (ngx_http_strm_read_brokers_file(cf, smcf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

    } else if (smcf->brokers != NULL) {
        b = smcf->brokers->elts;
        len = 0;

        for (i = 0; i < smcf->brokers->nelts; i++) {
            len += b[i].len + 1;
        }

        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        smcf->bootstrap.data = p;

        for (i = 0; i < smcf->brokers->nelts; i++) {
            if (i > 0) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, b[i].data, b[i].len);
        }

        smcf->bootstrap.len = p - smcf->bootstrap.data;
        *p = '\0';

    } else {
        ngx_str_set(&smcf->bootstrap, "127.0.0.1:9092");
    }

    if (smcf->schemas.len
        && ngx_http_strm_load_registry(cf, smcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (smcf->checked && smcf->registry == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_ingest\" checks events against "
                           "\"strm_schemas\", which is not set "
                           "(or mark the location \"raw\")");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_msec_value(smcf->key_rotation,
                             NGX_HTTP_STRM_KEY_ROTATION);

    if (smcf->key_rotation < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_key_rotation must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (smcf->checked && smcf->keys_store.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_ingest\" encrypts PII fields with keys "
                           "of \"strm_keys_store\", which is not set");
        return NGX_CONF_ERROR;
    }

    if (smcf->keys_store.len) {
        if (smcf->keys_kek.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"strm_keys_store\" needs \"strm_keys_kek\", "
                               "the key-encryption key");
            return NGX_CONF_ERROR;
        }

        if (smcf->keys_topic.len == 0) {
            ngx_str_set(&smcf->keys_topic, "strm-keys");
        }

        if (ngx_http_strm_valid_topic(&smcf->keys_topic) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Kafka topic \"%V\" in "
                               "strm_keys_topic", &smcf->keys_topic);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_strm_keys_conf(cf, smcf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_strm_auth_conf(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_strm_kafka_check_conf(cf, smcf);
}


/*
 * The schema registry is loaded and compiled when the configuration is
 * read (so "nginx -t" fails on a broken schema, contract or regex, and
 * a reload picks up a changed registry); workers inherit it read-only.
 */
static ngx_int_t
ngx_http_strm_load_registry(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t            rc;
    ngx_pool_cleanup_t  *cln;
    char                 err[1024];

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


static char *
ngx_http_strm_brokers(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    ngx_str_t   *value, *b;
    ngx_uint_t   i;

    if (smcf->brokers != NULL) {
        return "is duplicate";
    }

    smcf->brokers = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_str_t));
    if (smcf->brokers == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, ':')
               == NULL
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, ',')
               != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Kafka broker \"%V\", "
                               "expected host:port", &value[i]);
            return NGX_CONF_ERROR;
        }

        b = ngx_array_push(smcf->brokers);
        if (b == NULL) {
            return NGX_CONF_ERROR;
        }

        *b = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * The file strm-devbroker writes: one line, brokers joined by commas.
 * Read at configuration time so that "nginx -t" and a reload see it.
 */
static ngx_int_t
ngx_http_strm_read_brokers_file(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf)
{
    u_char           *p, *last;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;
    u_char            buf[4096];

    if (ngx_conf_full_name(cf->cycle, &smcf->brokers_file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(smcf->brokers_file.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed",
                           &smcf->brokers_file);
        return NGX_ERROR;
    }

    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR) {
        n = read(fd, buf, sizeof(buf) - 1);
    }

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "read() \"%V\" failed", &smcf->brokers_file);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    p = buf;
    last = buf + n;

    while (last > p && (last[-1] == '\n' || last[-1] == '\r'
                        || last[-1] == ' '))
    {
        last--;
    }

    if (last == p || ngx_strlchr(p, last, ':') == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no Kafka brokers in \"%V\"", &smcf->brokers_file);
        return NGX_ERROR;
    }

    smcf->bootstrap.len = last - p;
    smcf->bootstrap.data = ngx_pnalloc(cf->pool, smcf->bootstrap.len + 1);
    if (smcf->bootstrap.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(smcf->bootstrap.data, p, smcf->bootstrap.len);
    smcf->bootstrap.data[smcf->bootstrap.len] = '\0';

    return NGX_OK;
}


static char *
ngx_http_strm_property(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    static const char  *reserved[] = {
        "bootstrap.servers", "metadata.broker.list", "dr_msg_cb",
        "dr_cb", "log_cb", "error_cb", "opaque", "log.queue",
        "message.timeout.ms", "delivery.timeout.ms", NULL
    };

    value = cf->args->elts;

    for (i = 0; reserved[i] != NULL; i++) {
        if (ngx_strcmp(value[1].data, reserved[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm_kafka_property \"%V\" is set by "
                               "the module (use strm_kafka_brokers or "
                               "strm_kafka_delivery_timeout)", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (smcf->properties == NULL) {
        smcf->properties = ngx_array_create(cf->pool, 4,
                                            sizeof(ngx_keyval_t));
        if (smcf->properties == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = smcf->properties->elts;

    for (i = 0; i < smcf->properties->nelts; i++) {
        if (kv[i].key.len == value[1].len
            && ngx_strcmp(kv[i].key.data, value[1].data) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate strm_kafka_property \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(smcf->properties);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    /* arguments of ngx_conf_read_token() are NUL-terminated */
    kv->key = value[1];
    kv->value = value[2];

    return NGX_CONF_OK;
}


static char *
ngx_http_strm_ingest(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_str_t                  *value;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_strm_main_conf_t  *smcf;

    if (slcf->topic.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == sizeof("$strm_topic") - 1
        && ngx_strcmp(value[1].data, "$strm_topic") == 0)
    {
        /* the topic of the bearer token's stream (strm_auth) */
        slcf->stream_topic = 1;

    } else if (ngx_http_strm_valid_topic(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Kafka topic \"%V\": 1 to 249 of "
                           "a-z A-Z 0-9 . _ - (or $strm_topic)", &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->topic = value[1];

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "raw") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", "
                               "only \"raw\" may follow the topic",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        slcf->raw = 1;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_ingest_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_strm_module);
    smcf->ingest++;

    if (!slcf->raw) {
        smcf->checked++;
    }

    return NGX_CONF_OK;
}


static char *
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

    if (ngx_http_strm_valid_topic(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Kafka topic \"%V\": 1 to 249 of "
                           "a-z A-Z 0-9 . _ -", &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->dead_letter = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_strm_ready(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->ready) {
        return "is duplicate";
    }

    slcf->ready = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_ready_handler;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_strm_valid_topic(ngx_str_t *topic)
{
    u_char      c;
    ngx_uint_t  i;

    if (topic->len == 0 || topic->len > 249
        || (topic->len == 1 && topic->data[0] == '.')
        || (topic->len == 2 && topic->data[0] == '.'
            && topic->data[1] == '.'))
    {
        return NGX_ERROR;
    }

    for (i = 0; i < topic->len; i++) {
        c = topic->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
        {
            continue;
        }

        return NGX_ERROR;
    }

    return NGX_OK;
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

    if (smcf == NULL || smcf->ingest == 0) {
        return NGX_OK;
    }

    if (ngx_http_strm_keys_init_process(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_strm_kafka_init_process(cycle, smcf);
}


static void
ngx_http_strm_exit_process(ngx_cycle_t *cycle)
{
    /* the producer first: its last delivery reports may still answer */
    ngx_http_strm_kafka_exit_process(cycle);
    ngx_http_strm_keys_exit_process(cycle);
    ngx_http_strm_auth_exit_process(cycle);
}
