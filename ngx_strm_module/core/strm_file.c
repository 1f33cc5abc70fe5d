
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "strm_file.h"


static strm_rc_t strm_file_error(strm_rc_t rc, char *err, size_t errlen,
    const char *fmt, ...);


strm_rc_t
strm_file_read(const char *path, size_t max, char **text, size_t *len,
    char *err, size_t errlen)
{
    int          fd, e;
    char        *buf;
    size_t       size, n;
    ssize_t      r;
    struct stat  st;

    *text = NULL;
    *len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        e = errno;
        return strm_file_error((e == ENOENT) ? STRM_E_NOT_FOUND
                                              : STRM_E_INTERNAL,
                               err, errlen, "cannot open: %s", strerror(e));
    }

    if (fstat(fd, &st) == -1) {
        e = errno;
        close(fd);
        return strm_file_error(STRM_E_INTERNAL, err, errlen,
                               "cannot stat: %s", strerror(e));
    }

    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return strm_file_error(STRM_E_BAD_REQUEST, err, errlen,
                               "not a regular file");
    }

    if ((size_t) st.st_size > max) {
        close(fd);
        return strm_file_error(STRM_E_BAD_REQUEST, err, errlen,
                               "larger than %zu bytes", max);
    }

    /* what fstat() saw is read; a line appended meanwhile waits */
    size = (size_t) st.st_size;

    buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return STRM_E_NOMEM;
    }

    n = 0;

    while (n < size) {
        r = read(fd, buf + n, size - n);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r == -1) {
            e = errno;
            close(fd);
            OPENSSL_cleanse(buf, size + 1);
            free(buf);
            return strm_file_error(STRM_E_INTERNAL, err, errlen,
                                   "cannot read: %s", strerror(e));
        }

        if (r == 0) {
            break;
        }

        n += (size_t) r;
    }

    close(fd);

    buf[n] = '\0';
    *text = buf;
    *len = n;

    return STRM_OK;
}


static strm_rc_t
strm_file_error(strm_rc_t rc, char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err != NULL && errlen > 0) {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }

    return rc;
}


strm_rc_t
strm_file_write_new(const char *path, const void *data, size_t len,
    char *err, size_t errlen)
{
    int          fd, e;
    size_t       off;
    ssize_t      n;
    const char  *what;

    /* O_EXCL fails on any existing name, a dangling symlink included */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        e = errno;

        if (e == EEXIST) {
            return strm_file_error(STRM_E_BAD_REQUEST, err, errlen,
                                   "already exists (not overwritten)");
        }

        return strm_file_error(STRM_E_INTERNAL, err, errlen,
                               "cannot create: %s", strerror(e));
    }

    what = "cannot set its mode";

    /* the umask took bits from 0600 at most: put them back */
    if (fchmod(fd, 0600) == -1) {
        goto failed;
    }

    what = "cannot write";

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, (const char *) data + off, len - off);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            goto failed;
        }
    }

    if (fsync(fd) == -1) {
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        goto failed;
    }

    return STRM_OK;

failed:

    e = errno;

    if (fd != -1) {
        close(fd);
    }

    unlink(path);

    return strm_file_error(STRM_E_INTERNAL, err, errlen, "%s: %s", what,
                           strerror(e));
}
