
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_pii.h"


strm_rc_t
ngx_http_strm_pii_encrypt(ngx_http_request_t *r, strm_event_t *ev,
    int64_t now, ngx_http_strm_message_t *msg)
{
    char                 *json;
    size_t                len, n;
    u_char               *link;
    strm_rc_t             rc;
    const char           *value;
    strm_keys_t          *k;
    strm_keys_session_t   s;

    k = ngx_http_strm_keys();
    if (k == NULL) {
        return STRM_E_KEYS_UNAVAILABLE;
    }

    value = strm_event_key(ev, &len);
    if (value == NULL) {
        return STRM_E_INTERNAL;
    }

    rc = strm_keys_session(k, value, len, now, &s);

    ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_LOOKUPS);

    if (rc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm pii: no key link for the event: %s",
                      strm_error_get(rc)->code);
        return (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
    }

    if (s.created) {
        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_CREATED);
    }

    /* the key link is no PII: it is what the events carry */
    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm pii: key link %*s%s", (size_t) STRM_UUID_LEN,
                   s.link, s.created ? ", new" : "");

    link = ngx_pnalloc(r->pool, STRM_UUID_LEN + 1);
    if (link == NULL) {
        return STRM_E_NOMEM;
    }

    ngx_memcpy(link, s.link, STRM_UUID_LEN + 1);
    msg->key = link;
    msg->key_len = STRM_UUID_LEN;

    rc = strm_event_encrypt(ev, s.daead, &n);
    if (rc != STRM_OK) {
        return rc;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm pii: %uz fields encrypted", n);

    if (s.publish) {
        json = strm_keyrec_to_json(&s.rec, &len);
        if (json == NULL) {
            return STRM_E_NOMEM;
        }

        msg->keyrec = (u_char *) json;
        msg->keyrec_len = len;
        msg->keyrec_landed = ngx_http_strm_keys_landed;
    }

    return STRM_OK;
}
