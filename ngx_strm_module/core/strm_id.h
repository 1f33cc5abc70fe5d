
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_ID_H_INCLUDED_
#define _STRM_ID_H_INCLUDED_


#include <stdint.h>

#include "strm_error.h"


#define STRM_UUID_LEN  36


/*
 * A random (version 4) UUID in its 36-character text form; out gets
 * STRM_UUID_LEN characters and no terminating NUL.
 */
strm_rc_t strm_uuid4(char *out);

/* a random 32-bit integer (strmMeta.nonce), negative values included */
strm_rc_t strm_random_i32(int32_t *out);


#endif /* _STRM_ID_H_INCLUDED_ */
