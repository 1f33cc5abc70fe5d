
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_READY_H_INCLUDED_
#define _NGX_HTTP_STRM_READY_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* strm_ready: GET /ready for the load balancer's health checks */
char *ngx_http_strm_ready(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_STRM_READY_H_INCLUDED_ */
