
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_READY_H_INCLUDED_
#define _NGX_HTTP_STRM_READY_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* strm_ready: GET /ready for the load balancer's health checks */
char *ngx_http_strm_ready(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* this worker's readiness to strm_status (from the producer's timer) */
void ngx_http_strm_ready_publish(ngx_http_strm_main_conf_t *smcf);


#endif /* _NGX_HTTP_STRM_READY_H_INCLUDED_ */
