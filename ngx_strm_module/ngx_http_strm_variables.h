
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_STRM_VARIABLES_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * preconfiguration: $strm_event_id, $strm_status, $strm_client_id,
 * $strm_stream, $strm_topic
 */
ngx_int_t ngx_http_strm_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_STRM_VARIABLES_H_INCLUDED_ */
