
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_KEYS_SYNC_H_INCLUDED_
#define _NGX_HTTP_STRM_KEYS_SYNC_H_INCLUDED_


#include "ngx_http_strm_common.h"


typedef void (*ngx_http_strm_keys_resume_pt)(ngx_http_request_t *r);


/*
 * Every worker reads the keys topic into the box's key store
 * (strm_keystore_apply(): the first candidate of a session and window
 * in its partition wins), from where the store left off, or from the
 * beginning for an empty store.  It is how a box learns the key links
 * the other boxes made, and which candidate won.
 */
ngx_int_t ngx_http_strm_keys_sync_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_keys_sync_exit_process(ngx_cycle_t *cycle);

/*
 * The request waits until this worker has read partition past offset
 * (its candidate): then resume(r) runs, at once if it has already.
 * ctx->keys_queue holds it; ngx_http_strm_keys_sync_cancel() takes it
 * out (a request that goes away first).
 */
void ngx_http_strm_keys_sync_wait(ngx_http_request_t *r, int32_t partition,
    int64_t offset, ngx_http_strm_keys_resume_pt resume);
void ngx_http_strm_keys_sync_cancel(ngx_http_request_t *r);

/*
 * Ready: the worker's consumer has its partitions and has read each up
 * to the end once, and the brokers are reachable.
 */
ngx_uint_t ngx_http_strm_keys_sync_ready(void);


#endif /* _NGX_HTTP_STRM_KEYS_SYNC_H_INCLUDED_ */
