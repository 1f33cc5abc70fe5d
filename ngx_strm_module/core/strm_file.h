
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_FILE_H_INCLUDED_
#define _STRM_FILE_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"


/*
 * A whole regular file of at most max bytes, NUL-terminated, malloc()ed
 * (the files read so hold secrets or their verifiers: the caller wipes
 * the copy before freeing it).  On failure err says why without the
 * path: "cannot open: <strerror>" (STRM_E_NOT_FOUND for a missing
 * file), "cannot stat: ...", "not a regular file", "larger than N
 * bytes" (STRM_E_BAD_REQUEST for those two), "cannot read: ...".
 */
strm_rc_t strm_file_read(const char *path, size_t max, char **text,
    size_t *len, char *err, size_t errlen);

/*
 * Writes a secret (a KEK, a token key, a client secret) to a new file:
 * created with O_EXCL and mode 0600 whatever the umask, written whole,
 * fsync()ed.  An existing path (a file or a symbolic link) is never
 * opened: STRM_E_BAD_REQUEST with "already exists", so that a secret is
 * never overwritten by mistake and never written where a link points.
 * Another failure is STRM_E_INTERNAL ("cannot create: <strerror>",
 * "cannot write: ..."), and no file is left behind.
 */
strm_rc_t strm_file_write_new(const char *path, const void *data,
    size_t len, char *err, size_t errlen);


#endif /* _STRM_FILE_H_INCLUDED_ */
