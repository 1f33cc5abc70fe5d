
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_ANSWER_H_INCLUDED_
#define _NGX_HTTP_STRM_ANSWER_H_INCLUDED_


#include "ngx_http_strm_common.h"


extern ngx_str_t  ngx_http_strm_json_type;


/*
 * The answer of rc: 204 for STRM_OK, otherwise its status with the
 * JSON error body of the error table (or the refusal in ctx->reject),
 * Strm-Event-Id when the request has one, Retry-After on a 503.  A
 * content handler returns it; ngx_http_strm_answer() finalizes with it.
 */
ngx_int_t ngx_http_strm_send(ngx_http_request_t *r, strm_rc_t rc);
void ngx_http_strm_answer(ngx_http_request_t *r, strm_rc_t rc);

/* 405 with Allow: methods */
ngx_int_t ngx_http_strm_send_not_allowed(ngx_http_request_t *r,
    strm_rc_t rc, const char *methods);

/*
 * Sends b (its last_buf set here) as the whole body with status and
 * type; the body is ours, strm_json_errors leaves it alone.
 */
ngx_int_t ngx_http_strm_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_buf_t *b);

/* the same for a JSON body in memory that outlives the request's answer */
ngx_int_t ngx_http_strm_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *json, size_t len);

/* the JSON body of an error of the table, with an optional reason */
ngx_chain_t *ngx_http_strm_error_body(ngx_http_request_t *r,
    const strm_error_t *e, ngx_str_t *reason);


#endif /* _NGX_HTTP_STRM_ANSWER_H_INCLUDED_ */
