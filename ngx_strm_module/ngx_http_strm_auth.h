
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_AUTH_H_INCLUDED_
#define _NGX_HTTP_STRM_AUTH_H_INCLUDED_


#include "ngx_http_strm_common.h"


#define NGX_HTTP_STRM_AUTH_CACHE  1024


/* strm_auth STREAM ... | off */
char *ngx_http_strm_auth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* init_main_conf: defaults, the token keys, the JWKS */
ngx_int_t ngx_http_strm_auth_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);

/* merge_loc_conf: strm_auth names to streams, the checks across */
char *ngx_http_strm_auth_merge(ngx_conf_t *cf,
    ngx_http_strm_loc_conf_t *prev, ngx_http_strm_loc_conf_t *conf);

/* the access phase handler and the check behind $strm_client_id */
ngx_int_t ngx_http_strm_access_handler(ngx_http_request_t *r);
strm_rc_t ngx_http_strm_auth_check(ngx_http_request_t *r);

/* the worker's verification cache */
ngx_int_t ngx_http_strm_auth_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_auth_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_STRM_AUTH_H_INCLUDED_ */
