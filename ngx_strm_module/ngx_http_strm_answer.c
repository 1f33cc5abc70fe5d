
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_answer.h"


ngx_str_t  ngx_http_strm_json_type = ngx_string("application/json");


void
ngx_http_strm_answer(ngx_http_request_t *r, strm_rc_t rc)
{
    ngx_http_finalize_request(r, ngx_http_strm_send(r, rc));
}


ngx_int_t
ngx_http_strm_send(ngx_http_request_t *r, strm_rc_t rc)
{
    ngx_chain_t          *out;
    const strm_error_t   *e;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->rc = rc;
    ctx->answered = 1;

    e = strm_error_get(rc);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm answer: %ui %s", e->status, e->code);

    if (ctx->has_id
        && ngx_http_strm_header_out(r, "Strm-Event-Id", ctx->event_id,
                                    STRM_UUID_LEN)
           == NULL)
    {
        return NGX_ERROR;
    }

    if (rc == STRM_OK) {
        ctx->own_body = 1;

        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->header_only = 1;
        r->headers_out.content_length_n = 0;

        return ngx_http_send_header(r);
    }

    if ((rc == STRM_E_QUEUE_FULL
         || e->status == NGX_HTTP_SERVICE_UNAVAILABLE)
        && ngx_http_strm_header_out_str(r, "Retry-After", "1") == NULL)
    {
        return NGX_ERROR;
    }

    if (ctx->reject.len) {
        return ngx_http_strm_send_json(r, e->status, ctx->reject.data,
                                       ctx->reject.len);
    }

    out = ngx_http_strm_error_body(r, e,
                                   ctx->reason.len ? &ctx->reason : NULL);
    if (out == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_strm_send_body(r, e->status, &ngx_http_strm_json_type,
                                   out->buf);
}


ngx_int_t
ngx_http_strm_send_not_allowed(ngx_http_request_t *r, strm_rc_t rc,
    const char *methods)
{
    if (ngx_http_strm_header_out(r, "Allow", (u_char *) methods,
                                 ngx_strlen(methods))
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_strm_send(r, rc);
}


ngx_int_t
ngx_http_strm_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_buf_t *b)
{
    ngx_int_t             rc;
    ngx_chain_t           out;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_strm_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    /* ours, not to be replaced by the JSON of strm_json_errors */
    ctx->own_body = 1;

    /* the body has been read or will be discarded: keep-alive is safe */
    if (r->request_body == NULL
        && ngx_http_discard_request_body(r) != NGX_OK)
    {
        r->keepalive = 0;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_strm_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *json, size_t len)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json;
    b->last = json + len;
    b->memory = 1;

    return ngx_http_strm_send_body(r, status, &ngx_http_strm_json_type, b);
}


ngx_chain_t *
ngx_http_strm_error_body(ngx_http_request_t *r, const strm_error_t *e,
    ngx_str_t *reason)
{
    size_t        size;
    ngx_buf_t    *b;
    ngx_chain_t  *out;

    size = ngx_strlen(e->message) + ngx_strlen(e->code) + 64;

    if (reason != NULL) {
        size += reason->len * 6;
    }

    b = ngx_create_temp_buf(r->pool, size);
    out = ngx_alloc_chain_link(r->pool);

    if (b == NULL || out == NULL) {
        return NULL;
    }

    b->last += strm_error_json(e, reason ? (char *) reason->data : NULL,
                               reason ? reason->len : 0,
                               (char *) b->pos, size);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out->buf = b;
    out->next = NULL;

    return out;
}
