
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_AVRO_ENCODE_H_INCLUDED_
#define _STRM_AVRO_ENCODE_H_INCLUDED_


#include <stddef.h>

#include <jansson.h>

#include "strm_avro.h"


/*
 * Plain JSON (every field present, as strm_avro_check_json() gives it)
 * into one raw Avro binary datum, the inverse of strm_avro_decode().
 * Tests and tools only.  *out is malloc()ed.
 */
strm_rc_t strm_avro_encode(const strm_avro_schema_t *s, json_t *in,
    unsigned char **out, size_t *len, strm_reject_t *rej);


#endif /* _STRM_AVRO_ENCODE_H_INCLUDED_ */
