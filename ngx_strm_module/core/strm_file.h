
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


#endif /* _STRM_FILE_H_INCLUDED_ */
