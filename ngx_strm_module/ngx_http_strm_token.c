
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_status.h"
#include "ngx_http_strm_stream.h"
#include "ngx_http_strm_token.h"


/*
 * The token endpoint: RFC 6749 section 4.4 (client credentials) and
 * section 6 (refresh), answered in the shape of Keycloak's, which is
 * what STRM's drivers read.  The tokens are HS256 JWTs signed with the
 * first key of strm_token_keys; strm_auth verifies them.
 */


static ngx_int_t ngx_http_strm_token_handler(ngx_http_request_t *r);
static void ngx_http_strm_token_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_token_client(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *body, size_t len,
    strm_cred_client_t **client, ngx_http_strm_stream_t **stream);
static ngx_int_t ngx_http_strm_token_grant(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *form, size_t flen,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream);
static char *ngx_http_strm_token_sign(ngx_http_strm_main_conf_t *smcf,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream,
    const char *typ, time_t now, time_t lifetime);
static ngx_int_t ngx_http_strm_token_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, const char *description);
static ngx_int_t ngx_http_strm_token_send(ngx_http_request_t *r,
    ngx_uint_t status, json_t *body);


static ngx_str_t  ngx_http_strm_form_type =
    ngx_string("application/x-www-form-urlencoded");


char *
ngx_http_strm_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_loc_conf_t  *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->token) {
        return "is duplicate";
    }

    slcf->token = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_token_handler;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_strm_token_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    ngx_conf_init_value(smcf->token_lifetime, NGX_HTTP_STRM_TOKEN_LIFETIME);
    ngx_conf_init_value(smcf->refresh_lifetime,
                        NGX_HTTP_STRM_REFRESH_LIFETIME);

    if (smcf->token_lifetime < 1 || smcf->refresh_lifetime < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_token_lifetime\" and "
                           "\"strm_refresh_lifetime\" must be at least 1s");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_strm_token_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_strm_header_out_str(r, "Allow", "POST") == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_strm_token_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "invalid_request",
                                         "only POST is accepted here");
    }

    if (r->headers_in.content_length_n > NGX_HTTP_STRM_TOKEN_BODY_MAX) {
        return ngx_http_strm_token_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "invalid_request",
                                         "the request body is too large");
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_strm_token_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_strm_token_body(ngx_http_request_t *r)
{
    size_t                      len;
    u_char                     *body, *p;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_table_elt_t            *ct;
    strm_cred_client_t         *client;
    ngx_http_strm_stream_t     *stream;
    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_strm_module);

    if (r->connection->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    ct = r->headers_in.content_type;

    if (ct == NULL
        || ct->value.len < ngx_http_strm_form_type.len
        || ngx_strncasecmp(ct->value.data, ngx_http_strm_form_type.data,
                           ngx_http_strm_form_type.len) != 0
        || (ct->value.len > ngx_http_strm_form_type.len
            && ct->value.data[ngx_http_strm_form_type.len] != ';'
            && ct->value.data[ngx_http_strm_form_type.len] != ' '))
    {
        ngx_http_finalize_request(r,
            ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                "invalid_request",
                "the body must be application/x-www-form-urlencoded"));
        return;
    }

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (b->in_file || len + ngx_buf_size(b)
                          > NGX_HTTP_STRM_TOKEN_BODY_MAX)
        {
            ngx_http_finalize_request(r,
                ngx_http_strm_token_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "invalid_request",
                                          "the request body is too large"));
            return;
        }

        len += ngx_buf_size(b);
    }

    body = ngx_pnalloc(r->pool, len + 1);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = body;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    *p = '\0';

    rc = ngx_http_strm_token_client(r, smcf, body, len, &client, &stream);

    if (client != NULL) {
        rc = ngx_http_strm_token_grant(r, smcf, body, len, client, stream);
    }

    /* the form held the client's secret */
    ngx_explicit_memzero(body, len);

    ngx_http_finalize_request(r, rc);
}


/*
 * The grant type first (an unknown one is not worth a secret check),
 * then the client: HTTP Basic or client_id/client_secret in the body,
 * not both (RFC 6749 section 2.3).  Returns NGX_OK with *client set,
 * or the result of sending the error with *client NULL.
 */
static ngx_int_t
ngx_http_strm_token_client(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *body, size_t len,
    strm_cred_client_t **client, ngx_http_strm_stream_t **stream)
{
    char                *grant, *id, *secret, *colon;
    size_t               glen, idlen, slen;
    strm_rc_t            rc, rc2;
    ngx_int_t            res;
    ngx_str_t            basic, dec;
    ngx_table_elt_t     *h;
    strm_cred_client_t  *cl;

    grant = NULL;
    id = NULL;
    secret = NULL;
    dec.data = NULL;
    dec.len = 0;
    *client = NULL;

    rc = strm_form_get((char *) body, len, "grant_type", &grant, &glen);

    if (rc == STRM_E_NOT_FOUND) {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "Missing form parameter: grant_type");
        goto done;
    }

    if (rc != STRM_OK) {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "grant_type is malformed or repeated");
        goto done;
    }

    if (strcmp(grant, "client_credentials") != 0
        && strcmp(grant, "refresh_token") != 0)
    {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "unsupported_grant_type",
                                        "the grant types are "
                                        "client_credentials and "
                                        "refresh_token");
        goto done;
    }

    rc = strm_form_get((char *) body, len, "client_id", &id, &idlen);
    rc2 = strm_form_get((char *) body, len, "client_secret", &secret, &slen);

    if ((rc != STRM_OK && rc != STRM_E_NOT_FOUND)
        || (rc2 != STRM_OK && rc2 != STRM_E_NOT_FOUND))
    {
        res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request",
                                        "client_id or client_secret is "
                                        "malformed or repeated");
        goto done;
    }

    h = r->headers_in.authorization;

    if (h != NULL && h->value.len > sizeof("Basic ") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "Basic ",
                           sizeof("Basic ") - 1) == 0)
    {
        if (secret != NULL) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "more than one client "
                                            "authentication method");
            goto done;
        }

        basic.data = h->value.data + sizeof("Basic ") - 1;
        basic.len = h->value.len - (sizeof("Basic ") - 1);

        dec.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(basic.len)
                                        + 1);
        if (dec.data == NULL) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        colon = NULL;

        if (ngx_decode_base64(&dec, &basic) == NGX_OK) {
            colon = (char *) ngx_strlchr(dec.data, dec.data + dec.len, ':');
        }

        if (colon == NULL) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "the Basic credentials are "
                                            "malformed");
            goto done;
        }

        /* RFC 6749 section 2.3.1: both parts are form-urlencoded */
        idlen = strm_form_decode((char *) dec.data, (char *) dec.data,
                                 colon - (char *) dec.data);
        slen = strm_form_decode(colon + 1, colon + 1,
                                (char *) dec.data + dec.len - colon - 1);

        if (idlen == (size_t) -1 || slen == (size_t) -1
            || (id != NULL && (idlen != strlen(id)
                               || ngx_memcmp(id, dec.data, idlen) != 0)))
        {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "the Basic credentials are "
                                            "malformed or disagree with "
                                            "client_id");
            goto done;
        }

        cl = ngx_http_strm_stream_find_client(smcf, (char *) dec.data,
                                              idlen, stream);

        if (strm_cred_check(cl, colon + 1, slen)) {
            *client = cl;
        }

    } else if (id != NULL && secret != NULL) {
        cl = ngx_http_strm_stream_find_client(smcf, id, idlen, stream);

        if (strm_cred_check(cl, secret, slen)) {
            *client = cl;
        }
    }

    if (*client == NULL) {
        /* RFC 6749 section 5.2: 401 with a challenge of the scheme */
        h = ngx_http_strm_header_out_str(r, "WWW-Authenticate",
                                         "Basic realm=\"strm\"");
        if (h == NULL) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        r->headers_out.www_authenticate = h;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "strm token: client authentication failed");

        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_TOKEN_BAD_CLIENT);

        res = ngx_http_strm_token_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "invalid_client",
                                        "Invalid client or Invalid client "
                                        "credentials");
        goto done;
    }

    res = NGX_OK;

done:

    if (dec.data != NULL) {
        ngx_explicit_memzero(dec.data, dec.len);
    }

    if (secret != NULL) {
        ngx_explicit_memzero(secret, slen);
        free(secret);
    }

    free(id);
    free(grant);

    return res;
}


static ngx_int_t
ngx_http_strm_token_grant(ngx_http_request_t *r,
    ngx_http_strm_main_conf_t *smcf, u_char *form, size_t flen,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream)
{
    char               *grant, *refresh, *access, *renew;
    size_t              len;
    json_t             *body, *claims, *v;
    time_t              now;
    strm_rc_t           rc;
    ngx_int_t           res;
    const char         *why;
    strm_jwt_params_t   params;

    grant = NULL;
    refresh = NULL;
    access = NULL;
    renew = NULL;
    claims = NULL;
    body = NULL;
    now = ngx_time();

    if (strm_form_get((char *) form, flen, "grant_type", &grant, &len)
        != STRM_OK)
    {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    if (strcmp(grant, "refresh_token") == 0) {
        rc = strm_form_get((char *) form, flen, "refresh_token", &refresh,
                           &len);

        if (rc != STRM_OK) {
            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request",
                                            "Missing form parameter: "
                                            "refresh_token");
            goto done;
        }

        params.leeway = 0;
        params.issuer = (char *) smcf->token_issuer.data;
        params.audience = NULL;

        rc = strm_jwt_verify(smcf->own_keys, &params, refresh, len, now,
                             &claims, &why);

        if (rc == STRM_OK) {
            v = json_object_get(claims, "typ");
            if (!json_is_string(v)
                || strcmp(json_string_value(v), "Refresh") != 0)
            {
                why = "not a refresh token";
                rc = STRM_E_FORBIDDEN;
            }
        }

        if (rc == STRM_OK) {
            /* a refresh token is bound to its client (section 6) */
            v = json_object_get(claims, "clientId");
            if (!json_is_string(v)
                || strcmp(json_string_value(v), client->client_id) != 0)
            {
                why = "another client's token";
                rc = STRM_E_FORBIDDEN;
            }
        }

        if (rc == STRM_OK) {
            /* nor to a credential revoked since, made again or not */
            v = json_object_get(claims, STRM_CRED_CLAIM);

            if ((v != NULL && !json_is_string(v))
                || !strm_cred_same(client, json_string_value(v),
                                   v ? json_string_length(v) : 0))
            {
                why = "credential revoked";
                rc = STRM_E_FORBIDDEN;
            }
        }

        if (rc == STRM_E_FORBIDDEN) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "strm token: refresh token refused: %s", why);

            ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_TOKEN_BAD_GRANT);

            res = ngx_http_strm_token_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_grant",
                                            "Invalid refresh token");
            goto done;
        }

        if (rc != STRM_OK) {
            res = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }
    }

    access = ngx_http_strm_token_sign(smcf, client, stream, "Bearer", now,
                                smcf->token_lifetime);
    renew = ngx_http_strm_token_sign(smcf, client, stream, "Refresh", now,
                               smcf->refresh_lifetime);

    if (access == NULL || renew == NULL) {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    /*
     * expires_at is not OAuth2's: STRM's Node driver schedules its
     * refresh from it and, without it, refreshes without pause.
     */
    body = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:s}",
                     "access_token", access,
                     "expires_in", (json_int_t) smcf->token_lifetime,
                     "expires_at", (json_int_t) (now + smcf->token_lifetime),
                     "refresh_expires_in",
                     (json_int_t) smcf->refresh_lifetime,
                     "refresh_token", renew,
                     "token_type", "Bearer",
                     "not-before-policy", 0,
                     "scope", "");
    if (body == NULL) {
        res = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "strm token: %s for client \"%s\" of stream \"%V\"",
                  grant, client->client_id, &stream->name);

    res = ngx_http_strm_token_send(r, NGX_HTTP_OK, body);

done:

    json_decref(body);
    json_decref(claims);
    free(grant);
    free(refresh);
    free(access);
    free(renew);

    return res;
}


static char *
ngx_http_strm_token_sign(ngx_http_strm_main_conf_t *smcf,
    strm_cred_client_t *client, ngx_http_strm_stream_t *stream,
    const char *typ, time_t now, time_t lifetime)
{
    char     *out;
    json_t   *claims;
    char      jti[STRM_UUID_LEN + 1];

    if (strm_uuid4(jti) != STRM_OK) {
        return NULL;
    }

    jti[STRM_UUID_LEN] = '\0';

    claims = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                       "exp", (json_int_t) (now + lifetime),
                       "iat", (json_int_t) now,
                       "jti", jti,
                       "iss", (char *) smcf->token_issuer.data,
                       "sub", client->client_id,
                       "typ", typ,
                       "azp", client->client_id,
                       "clientId", client->client_id,
                       "stream", (char *) stream->name.data);
    if (claims == NULL) {
        return NULL;
    }

    /* generation 0, a line without a credential id: no claim */
    if (client->cred_id[0] != '\0'
        && json_object_set_new(claims, STRM_CRED_CLAIM,
                               json_string(client->cred_id))
           != 0)
    {
        json_decref(claims);
        return NULL;
    }

    out = NULL;

    if (strm_jwt_sign_hs256(smcf->sign_key, smcf->sign_len, smcf->sign_kid,
                            claims, &out)
        != STRM_OK)
    {
        out = NULL;
    }

    json_decref(claims);

    return out;
}


/* RFC 6749 section 5.2 */
static ngx_int_t
ngx_http_strm_token_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *description)
{
    json_t     *body;
    ngx_int_t   rc;

    body = json_pack("{s:s, s:s}", "error", error,
                     "error_description", description);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_strm_token_send(r, status, body);

    json_decref(body);

    return rc;
}


static ngx_int_t
ngx_http_strm_token_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    char       *text;
    size_t      len;
    ngx_buf_t  *b;

    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = strlen(text);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        ngx_explicit_memzero(text, len);
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, text, len);
    *b->last++ = '\n';

    /* it may hold tokens */
    ngx_explicit_memzero(text, len);
    free(text);

    /* RFC 6749 section 5.1: tokens are not to be cached */
    if (ngx_http_strm_header_out_str(r, "Cache-Control", "no-store") == NULL
        || ngx_http_strm_header_out_str(r, "Pragma", "no-cache") == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm token: answer %ui", status);

    return ngx_http_strm_send_body(r, status, &ngx_http_strm_json_type, b);
}
