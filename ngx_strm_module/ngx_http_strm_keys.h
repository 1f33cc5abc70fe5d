
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

/*
 * The store, full or lost (docs/keys.md).  store_ready(): NULL when the
 * store is open, not full and its files are the ones at its path, else
 * the reason (strm_ready answers 503).  store_refuses(): 1 when a new
 * key link must not be made now (full, or a file lost: checked now).
 * store_failed(): after a write the store refused, 1 when it was full
 * (the box's first worker to see it logs the cause, once).
 * store_written(): a write went through, the store takes new links.
 * store_lost(): this worker's store lost a file (last check).
 * store_usage(): bytes in use and the size, NGX_DECLINED without one.
 */
const char *ngx_http_strm_keys_store_ready(ngx_log_t *log);
ngx_uint_t ngx_http_strm_keys_store_refuses(ngx_log_t *log);
ngx_uint_t ngx_http_strm_keys_store_failed(ngx_log_t *log);
void ngx_http_strm_keys_store_written(ngx_log_t *log);
ngx_uint_t ngx_http_strm_keys_store_lost(void);
ngx_int_t ngx_http_strm_keys_store_usage(uint64_t *used, uint64_t *size);

#endif /* _NGX_HTTP_STRM_KEYS_H_INCLUDED_ */
