
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_HEADERS_H_INCLUDED_
#define _NGX_HTTP_STRM_HEADERS_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* the first request header called name (any case), NULL if none */
ngx_table_elt_t *ngx_http_strm_header_in(ngx_http_request_t *r,
    const char *name, size_t len);

/*
 * Adds a response header; key and value must outlive the request's
 * answer (static strings or the request's pool).  NULL on no memory.
 */
ngx_table_elt_t *ngx_http_strm_header_out(ngx_http_request_t *r,
    const char *key, u_char *value, size_t len);

#define ngx_http_strm_header_out_str(r, key, s)                              \
    ngx_http_strm_header_out(r, key, (u_char *) s, sizeof(s) - 1)


#endif /* _NGX_HTTP_STRM_HEADERS_H_INCLUDED_ */
