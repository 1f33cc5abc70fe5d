
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_error_filter.h"


static ngx_int_t ngx_http_strm_error_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_error_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_strm_error_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_strm_error_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_strm_error_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_strm_error_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                 *reason, why;
    ngx_chain_t               *out;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    if (r != r->main || r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf == NULL
        || slcf->json_errors == 0
        || (slcf->json_errors == NGX_CONF_UNSET && slcf->topic.len == 0
            && slcf->auth == NULL && !slcf->token))
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx != NULL && ctx->own_body) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    reason = NULL;
    e = strm_error_by_status((int) r->headers_out.status);

    if (ctx->auth_done && ctx->auth_rc != STRM_OK
        && r->headers_out.status == NGX_HTTP_UNAUTHORIZED)
    {
        /* our bearer check refused the token: say which way */
        e = strm_error_get(ctx->auth_rc);
        why.data = (u_char *) ctx->auth_why;
        why.len = ngx_strlen(ctx->auth_why);
        reason = &why;
    }

    if (e == NULL) {
        e = strm_error_get(r->headers_out.status >= 500 ? STRM_E_INTERNAL
                                                        : STRM_E_BAD_REQUEST);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm json errors: %ui answered as \"%s\"",
                   r->headers_out.status, e->code);

    out = ngx_http_strm_error_body(r, e, reason);
    if (out == NULL) {
        return NGX_ERROR;
    }

    ctx->replace = out;

    r->headers_out.content_type = ngx_http_strm_json_type;
    r->headers_out.content_type_len = ngx_http_strm_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length_n = ngx_buf_size(out->buf);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_strm_error_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t          *cl;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx == NULL || ctx->replace == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's own error page is swallowed, our JSON goes out once */
    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->replace_sent) {
        return NGX_OK;
    }

    ctx->replace_sent = 1;

    return ngx_http_next_body_filter(r, ctx->replace);
}
