
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_PII_H_INCLUDED_
#define _NGX_HTTP_STRM_PII_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * Every PII field of the checked event encrypted (Tink AES-SIV) under
 * the key of its session's key link for the window of now.  The key
 * link becomes msg->key (a session stays in one partition); a new key
 * link's record, KEK-wrapped, goes to msg->keyrec (malloc()ed) with
 * the function its delivery report must run.
 */
strm_rc_t ngx_http_strm_pii_encrypt(ngx_http_request_t *r, strm_event_t *ev,
    int64_t now, ngx_http_strm_message_t *msg);


#endif /* _NGX_HTTP_STRM_PII_H_INCLUDED_ */
