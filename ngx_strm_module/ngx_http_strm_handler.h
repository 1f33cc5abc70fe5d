
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_HANDLER_H_INCLUDED_
#define _NGX_HTTP_STRM_HANDLER_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* strm_ingest topic|$strm_topic [raw]: the location's content handler */
char *ngx_http_strm_ingest(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_STRM_HANDLER_H_INCLUDED_ */
