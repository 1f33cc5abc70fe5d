
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_EVENT_REF_H_INCLUDED_
#define _STRM_EVENT_REF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_event.h"


/*
 * The gateway's event path before strm_event_write(), kept for the
 * tests as the reference it must match byte for byte: the plain JSON
 * built as a tree (strm_avro_check_json(), or the event's own tree),
 * strmMeta stamped with json_object_set(), each PII field and then the
 * key field looked up by path and replaced by its ciphertext (unless
 * daead is NULL), the tree written by strm_event_dumps().  *out is
 * malloc()ed; *n gets the count of fields encrypted.
 */
strm_rc_t strm_event_ref_write(const strm_event_t *ev, int64_t now_ms,
    int32_t nonce, const char *key_link, strm_tink_keyset_t *daead,
    char **out, size_t *len, size_t *n);

/* the event's plain JSON as a tree (a new reference), or NULL */
json_t *strm_event_ref_plain(const strm_event_t *ev);


#endif /* _STRM_EVENT_REF_H_INCLUDED_ */
