
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_ERROR_FILTER_H_INCLUDED_
#define _NGX_HTTP_STRM_ERROR_FILTER_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * strm_json_errors: nginx answers some errors itself before or while
 * our handlers run (413 for a too large body, 408, 400 on a broken
 * chunked body, 401 of strm_auth, ...).  In strm locations those
 * answers get a JSON body of the error table too.  Installed in
 * postconfiguration.
 */
ngx_int_t ngx_http_strm_error_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_STRM_ERROR_FILTER_H_INCLUDED_ */
