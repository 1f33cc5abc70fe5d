
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_STREAM_H_INCLUDED_
#define _NGX_HTTP_STRM_STREAM_H_INCLUDED_


#include "ngx_http_strm_common.h"


/* strm_stream NAME { topic TOPIC; clients FILE; } */
char *ngx_http_strm_stream_block(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * init_main_conf: each stream's clients file read (salted hashes of
 * strm-credentials), sorted by client id; a client id belongs to one
 * stream only.
 */
ngx_int_t ngx_http_strm_stream_init_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);

ngx_http_strm_stream_t *ngx_http_strm_stream_by_name(
    ngx_http_strm_main_conf_t *smcf, const char *name, size_t len);

/* a client of st by its id, NULL if none */
strm_cred_client_t *ngx_http_strm_stream_client(ngx_http_strm_stream_t *st,
    const char *id, size_t len);

/* a client of any stream by its id, and its stream; NULL if none */
strm_cred_client_t *ngx_http_strm_stream_find_client(
    ngx_http_strm_main_conf_t *smcf, const char *id, size_t len,
    ngx_http_strm_stream_t **stream);


#endif /* _NGX_HTTP_STRM_STREAM_H_INCLUDED_ */
