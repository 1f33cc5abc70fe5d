
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


static strm_rc_t ngx_http_strm_pii_candidate(ngx_http_request_t *r,
    strm_keys_t *k, int64_t window, ngx_http_strm_message_t *msg);
static void ngx_http_strm_pii_memo_cleanup(void *data);


strm_rc_t
ngx_http_strm_pii_encrypt(ngx_http_request_t *r,
    ngx_http_strm_message_t *msg, ngx_uint_t make)
{
    size_t                len, n;
    u_char               *link;
    int32_t               nonce;
    int64_t               window;
    strm_rc_t             rc;
    const char           *value;
    strm_keys_t          *k;
    strm_keys_memo_t     *m;
    strm_keys_session_t   s;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    k = ngx_http_strm_keys();
    if (k == NULL) {
        return STRM_E_KEYS_UNAVAILABLE;
    }

    value = strm_event_key(ctx->ev, &len);
    if (value == NULL) {
        return STRM_E_INTERNAL;
    }

    /*
     * The value is hashed at once: only the session goes on.  The
     * connection's memo of its last value and session skips the HMAC
     * while the store has had no commit since (an erasure is one).
     * It is made at the first event; without memory, the HMAC is done.
     */
    m = ngx_http_strm_connection_memo(r, ngx_http_strm_pii_memo_cleanup,
                                      sizeof(strm_keys_memo_t), 1);

    if (m != NULL) {
        if (strm_keys_fleet_session_memo(k, m, value, len, ctx->session)
            < 0)
        {
            return STRM_E_INTERNAL;
        }

    } else {
        rc = strm_keys_fleet_session(k, value, len, ctx->session);
        if (rc != STRM_OK) {
            return rc;
        }
    }

    window = strm_keys_window(k, ctx->now);

    rc = strm_keys_winner(k, ctx->session, window, &s);

    /* one lookup per event: a new session's second look is not one */
    if (make) {
        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_LOOKUPS);
    }

    if (rc == STRM_E_NOT_FOUND) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "strm pii: a new session in window %L", window);

        /* a full or lost store takes no new key link: none is made */
        if (make && ngx_http_strm_keys_store_refuses(r->connection->log)) {
            return STRM_E_KEYS_UNAVAILABLE;
        }

        if (make) {
            rc = ngx_http_strm_pii_candidate(r, k, window, msg);
            return (rc == STRM_OK) ? STRM_E_NOT_FOUND : rc;
        }

        return STRM_E_NOT_FOUND;
    }

    if (rc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "strm pii: no key link for the event: %s",
                      strm_error_get(rc)->code);
        return (rc == STRM_E_NOMEM) ? rc : STRM_E_INTERNAL;
    }

    /* the key link is no PII: it is what the events carry */
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm pii: key link %s", s.link);

    link = ngx_pnalloc(r->pool, STRM_UUID_LEN + 1);
    if (link == NULL) {
        return STRM_E_NOMEM;
    }

    ngx_memcpy(link, s.link, STRM_UUID_LEN + 1);
    msg->key = link;
    msg->key_len = STRM_UUID_LEN;

    rc = strm_random_i32(&nonce);
    if (rc != STRM_OK) {
        return rc;
    }

    /* the event's JSON in one pass: stamped, its PII encrypted */
    rc = strm_event_write(ctx->ev, ctx->now, nonce, (char *) link, s.daead,
                          &n);
    if (rc != STRM_OK) {
        return rc;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm pii: %uz fields encrypted, %uz bytes of JSON", n,
                   ctx->ev->len);

    return STRM_OK;
}


/* a fresh key link and key for the session, its key KEK-wrapped */
static strm_rc_t
ngx_http_strm_pii_candidate(ngx_http_request_t *r, strm_keys_t *k,
    int64_t window, ngx_http_strm_message_t *msg)
{
    char                 *json;
    size_t                len;
    strm_rc_t             rc;
    strm_keyrec_t         rec;
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    rc = strm_keys_candidate(k, ctx->session, window, ctx->now, &rec);
    if (rc != STRM_OK) {
        return rc;
    }

    json = strm_keyrec_to_json(&rec, &len);

    ngx_memcpy(ctx->candidate, rec.link, STRM_UUID_LEN + 1);
    ngx_explicit_memzero(&rec, sizeof(strm_keyrec_t));

    if (json == NULL) {
        return STRM_E_NOMEM;
    }

    ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KEYS_CREATED);

    msg->keyrec = (u_char *) json;
    msg->keyrec_len = len;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm pii: candidate key link %s", ctx->candidate);

    return STRM_OK;
}


static void
ngx_http_strm_pii_memo_cleanup(void *data)
{
    strm_keys_memo_wipe(data);
}
