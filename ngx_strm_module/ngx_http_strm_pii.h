
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_PII_H_INCLUDED_
#define _NGX_HTTP_STRM_PII_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * The checked event (ctx->ev) written as JSON (ctx->ev->json) in one
 * pass, strmMeta stamped (timestamp ctx->now, a nonce, the key link)
 * and every PII field encrypted (Tink AES-SIV) under the key of its
 * session's key link for the window of ctx->now.  The key link becomes
 * msg->key (a session stays in one partition).  A session that has no
 * key link in this window yet (the keys topic has not decided):
 * STRM_E_NOT_FOUND, and msg->keyrec holds a candidate for the keys
 * topic (malloc()ed; its link in ctx->candidate, its session in
 * ctx->session) when make is set.
 */
strm_rc_t ngx_http_strm_pii_encrypt(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg, ngx_uint_t make);


#endif /* _NGX_HTTP_STRM_PII_H_INCLUDED_ */
