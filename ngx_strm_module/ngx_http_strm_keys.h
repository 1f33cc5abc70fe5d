
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_KEYS_H_INCLUDED_
#define _NGX_HTTP_STRM_KEYS_H_INCLUDED_


#include "ngx_http_strm_common.h"


#define NGX_HTTP_STRM_KEY_ROTATION  (24 * 3600 * 1000)
#define NGX_HTTP_STRM_KEYS_WAIT     3000
#define NGX_HTTP_STRM_KEYS_RETENTION  (24 * 3600 * 1000)


/*
 * init_main_conf: the rotation, the keys topic, and the KEK file read
 * and parsed when nginx reads its configuration
 */
ngx_int_t ngx_http_strm_keys_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);

/* the worker's key store: opened after fork, closed at exit */
ngx_int_t ngx_http_strm_keys_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_keys_exit_process(ngx_cycle_t *cycle);

/* NULL when the store could not be opened (the worker is not ready) */
strm_keys_t *ngx_http_strm_keys(void);

#endif /* _NGX_HTTP_STRM_KEYS_H_INCLUDED_ */
