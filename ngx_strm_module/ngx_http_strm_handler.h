
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_HANDLER_H_INCLUDED_
#define _NGX_HTTP_STRM_HANDLER_H_INCLUDED_


#include "ngx_http_strm_module.h"


ngx_int_t ngx_http_strm_ingest_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_strm_ready_handler(ngx_http_request_t *r);

/* sends the JSON error body of rc (or 204 for STRM_OK) and finalizes */
void ngx_http_strm_answer(ngx_http_request_t *r, strm_rc_t rc);
/* the answer of rc (JSON body) without finalizing: a handler returns it */
ngx_int_t ngx_http_strm_send_rc(ngx_http_request_t *r, strm_rc_t rc);

ngx_int_t ngx_http_strm_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_STRM_HANDLER_H_INCLUDED_ */
