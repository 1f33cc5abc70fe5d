
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_TOKEN_H_INCLUDED_
#define _NGX_HTTP_STRM_TOKEN_H_INCLUDED_


#include "ngx_http_strm_common.h"


#define NGX_HTTP_STRM_TOKEN_LIFETIME    3600
#define NGX_HTTP_STRM_REFRESH_LIFETIME  86400
#define NGX_HTTP_STRM_TOKEN_BODY_MAX    16384


/* strm_token: the location's content handler is the token endpoint */
char *ngx_http_strm_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* init_main_conf: the lifetimes of the tokens it issues */
ngx_int_t ngx_http_strm_token_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);


#endif /* _NGX_HTTP_STRM_TOKEN_H_INCLUDED_ */
