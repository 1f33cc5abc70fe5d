
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_auth.h"
#include "ngx_http_strm_variables.h"


#define NGX_HTTP_STRM_VAR_EVENT_ID   0
#define NGX_HTTP_STRM_VAR_STATUS     1
#define NGX_HTTP_STRM_VAR_CLIENT_ID  2
#define NGX_HTTP_STRM_VAR_STREAM     3
#define NGX_HTTP_STRM_VAR_TOPIC      4


static ngx_int_t ngx_http_strm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_strm_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


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


ngx_int_t
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


/* the event's id and the answer's code, once there are */
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
