
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_conf_file.h"


ngx_int_t
ngx_http_strm_conf_read_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, size_t max, u_char **out, size_t *len)
{
    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s: " ngx_open_file_n " \"%V\" failed",
                           directive, path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s: " ngx_fd_info_n " \"%V\" failed",
                           directive, path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (ngx_file_size(&fi) < 0 || (size_t) ngx_file_size(&fi) > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s: \"%V\" is larger than %uz bytes",
                           directive, path, max);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    size = (size_t) ngx_file_size(&fi);

    buf = ngx_pnalloc(cf->temp_pool, size + 1);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, size);
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s: " ngx_read_fd_n " \"%V\" failed",
                           directive, path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    buf[n] = '\0';
    *out = buf;
    *len = (size_t) n;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cf->log, 0,
                   "strm %s: read %uz bytes of \"%V\"", directive,
                   (size_t) n, path);

    return NGX_OK;
}
