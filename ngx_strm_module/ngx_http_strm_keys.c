
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_module.h"
#include "ngx_http_strm_keys.h"


#define NGX_HTTP_STRM_KEYS_MAP    ((size_t) 1 << 30)
#define NGX_HTTP_STRM_KEYS_CACHE  4096
#define NGX_HTTP_STRM_KEK_MAX     65536


static void ngx_http_strm_kek_cleanup(void *data);


static strm_keys_t  *ngx_http_strm_keys_worker;


ngx_int_t
ngx_http_strm_keys_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    u_char              *buf;
    ssize_t              n;
    ngx_fd_t             fd;
    strm_rc_t            rc;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;
    char                 err[512];

    if (ngx_conf_full_name(cf->cycle, &smcf->keys_store, 1) != NGX_OK
        || ngx_conf_full_name(cf->cycle, &smcf->keys_kek, 1) != NGX_OK)
    {
        return NGX_ERROR;
    }

    fd = ngx_open_file(smcf->keys_kek.data, NGX_FILE_RDONLY, NGX_FILE_OPEN,
                       0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "strm_keys_kek: " ngx_open_file_n " \"%V\" failed",
                           &smcf->keys_kek);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_STRM_KEK_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_keys_kek: \"%V\" is not a keyset file",
                           &smcf->keys_kek);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    buf = ngx_alloc(NGX_HTTP_STRM_KEK_MAX, cf->log);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = read(fd, buf, NGX_HTTP_STRM_KEK_MAX);
    (void) ngx_close_file(fd);

    err[0] = '\0';
    rc = (n > 0) ? strm_tink_keyset_read_json((char *) buf, (size_t) n,
                                              &smcf->kek, err, sizeof(err))
                 : STRM_E_BAD_REQUEST;

    /* the file holds the key-encryption key in clear */
    ngx_explicit_memzero(buf, NGX_HTTP_STRM_KEK_MAX);
    ngx_free(buf);

    if (rc != STRM_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_keys_kek \"%V\": %s", &smcf->keys_kek,
                           err[0] ? err : "not a Tink JSON keyset");
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        strm_tink_keyset_free(smcf->kek);
        smcf->kek = NULL;
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_kek_cleanup;
    cln->data = smcf->kek;

    if (strm_tink_keyset_kind(smcf->kek) != STRM_TINK_AEAD) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_keys_kek \"%V\": the key-encryption key "
                           "must be an AES-GCM keyset", &smcf->keys_kek);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_strm_kek_cleanup(void *data)
{
    strm_tink_keyset_free(data);
}


ngx_int_t
ngx_http_strm_keys_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t  rc;
    char       err[512];

    ngx_http_strm_keys_worker = NULL;

    if (smcf->keys_store.len == 0) {
        return NGX_OK;
    }

    err[0] = '\0';

    rc = strm_keys_open((char *) smcf->keys_store.data,
                        NGX_HTTP_STRM_KEYS_MAP, 0, smcf->kek,
                        (int64_t) smcf->key_rotation,
                        NGX_HTTP_STRM_KEYS_CACHE,
                        &ngx_http_strm_keys_worker, err, sizeof(err));

    if (rc != STRM_OK) {
        /* the worker runs on and answers 503 not_ready */
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm_keys_store: %s", err[0] ? err : "cannot open");
        ngx_http_strm_keys_worker = NULL;
    }

    return NGX_OK;
}


void
ngx_http_strm_keys_exit_process(ngx_cycle_t *cycle)
{
    strm_keys_close(ngx_http_strm_keys_worker);
    ngx_http_strm_keys_worker = NULL;
}


strm_keys_t *
ngx_http_strm_keys(void)
{
    return ngx_http_strm_keys_worker;
}
