
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_STATUS_H_INCLUDED_
#define _NGX_HTTP_STRM_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "strm_error.h"


extern ngx_module_t  ngx_http_strm_status_module;


/*
 * Counts one finished ingest request in the strm_status zone: stream is
 * the stream name, schema_ref the event's "handle/name/version" (empty
 * when the request had none or it is not in the registry), rc the
 * result (STRM_OK is accepted, anything else is rejected with that
 * code), bytes the size of the request body.  A no-op without a zone;
 * never fails the request.
 */
void ngx_http_strm_status_count(ngx_http_request_t *r, ngx_str_t *stream,
    ngx_str_t *schema_ref, strm_rc_t rc, off_t bytes);


#endif /* _NGX_HTTP_STRM_STATUS_H_INCLUDED_ */
