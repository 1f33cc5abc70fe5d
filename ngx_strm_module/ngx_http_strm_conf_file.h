
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_CONF_FILE_H_INCLUDED_
#define _NGX_HTTP_STRM_CONF_FILE_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * Reads a file that a directive names (the brokers file, the KEK, the
 * JWKS) while nginx reads its configuration, so that "nginx -t" and a
 * reload see it.  path becomes a full name (relative to the prefix);
 * the contents, NUL-terminated, are in cf->temp_pool, at most max
 * bytes.  A file that holds a secret is the caller's to wipe.  Errors
 * are logged as EMERG with the directive's name.
 */
ngx_int_t ngx_http_strm_conf_read_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, size_t max, u_char **out, size_t *len);


#endif /* _NGX_HTTP_STRM_CONF_FILE_H_INCLUDED_ */
