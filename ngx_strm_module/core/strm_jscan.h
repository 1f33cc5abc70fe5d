
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_JSCAN_H_INCLUDED_
#define _STRM_JSCAN_H_INCLUDED_


#include <stddef.h>


/*
 * A structural scan of JSON text, without a tree and without a single
 * allocation: the per-record check of the workers (strm-export: is the
 * value one JSON object?) and the splice of strm-decrypt (where is the
 * value of this member?).
 *
 * The scan is never more lenient than jansson: 1 means that
 * json_loadb() with the matching flags accepts the text as one object.
 * 0 means "not sure" (jansson may refuse it, or would take a closer
 * look: integers of more than 18 digits, surrogate escapes, very deep
 * nesting, ...): ask jansson then.
 */

/* only what json_dumps(JSON_COMPACT) writes: no space, no needless escape */
#define STRM_JSCAN_COMPACT    0x01
/* no duplicate member names (JSON_REJECT_DUPLICATES); a name with an
   escape, or an object of more than 64 members, is "not sure" */
#define STRM_JSCAN_UNIQUE     0x02
/* \u0000 in strings (JSON_ALLOW_NUL) */
#define STRM_JSCAN_ALLOW_NUL  0x04


int strm_jscan_object(const char *p, size_t len, unsigned flags);


#define STRM_JSCAN_INDEX  128

/* a member of the top-level object or of an object that is its value */
typedef struct {
    const char           *name;       /* its raw bytes, without quotes */
    size_t                nlen;
    const char           *v;          /* its value */
    const char           *vend;
    int                   parent;     /* the top-level member holding it,
                                         -1 for a top-level member */
} strm_jscan_member_t;

typedef struct {
    strm_jscan_member_t   m[STRM_JSCAN_INDEX];
    size_t                n;
    int                   complete;   /* every such member is in m */
} strm_jscan_index_t;

/*
 * strm_jscan_object() that also notes, as it goes, the members of the
 * two outer levels of objects (ix may be NULL).
 */
int strm_jscan_object_index(const char *p, size_t len, unsigned flags,
    strm_jscan_index_t *ix);

/*
 * In text that strm_jscan_object_index() accepted: the value at path
 * (member names split by "/"), found in the index for two levels, by a
 * scan below.  1 with *v and *vend around it, 0 when there is none.
 */
int strm_jscan_path(const strm_jscan_index_t *ix, const char *p,
    size_t len, const char *path, const char **v, const char **vend);

/*
 * In text that strm_jscan_object() accepted: in the object at p (its
 * "{"), the value of the member called name (n bytes, compared with the
 * raw bytes of member names): 1 with *v and *vend around it, 0 when
 * there is none or p is no object.
 */
int strm_jscan_member(const char *p, const char *end, const char *name,
    size_t n, const char **v, const char **vend);

/* in accepted text: past the value at p */
const char *strm_jscan_skip(const char *p, const char *end);

/*
 * How many of the n bytes at p, from the first, a JSON string holds as
 * they are: printable ASCII but '"' and '\' (16 at a time with SSE2).
 */
size_t strm_jscan_plain(const char *p, size_t n);

/* 1 when the n bytes are UTF-8 as jansson takes it (no surrogates) */
int strm_jscan_utf8(const unsigned char *p, size_t n);


#endif /* _STRM_JSCAN_H_INCLUDED_ */
