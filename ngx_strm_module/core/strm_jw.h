
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_JW_H_INCLUDED_
#define _STRM_JW_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "strm_error.h"
#include "strm_tink.h"


/*
 * The event's compact JSON written in one pass into one buffer, byte
 * for byte what json_dumps(JSON_COMPACT) writes of the same tree, with
 * two things done on the way:
 *
 *   - strmMeta (the top-level member) stamped: its members timestamp,
 *     nonce and keyLink take the gateway's values where they are, and
 *     those it lacks are added at its end in that order, as
 *     json_object_set() would;
 *   - each hooked field (the contract's PII fields, then its key
 *     field) encrypted as it is written: the member at that slash
 *     path of object members from the top (as strm_json_path() finds
 *     it) becomes the base64 of its Tink deterministic ciphertext,
 *     with the path as associated data: a string as its bytes, any
 *     other value as its compact JSON text; null stays.
 *
 * Hooks apply in their order, as if each were done on the tree after
 * the ones before it and after the stamps: below a hooked member only
 * the hooks before it apply (an earlier one is encrypted inside the
 * later one's text; a later one below an earlier one is not there any
 * more when its turn comes).
 *
 * The walk itself belongs to whoever holds the tree: strm_jw_tree()
 * for a plain JSON tree, strm_avro_write() for a JSON event not yet
 * normalised (it writes what strm_avro_check_json() would give).
 * They call, for each object, strm_jw_obj_begin(), then for each
 * member strm_jw_member(), the value (or strm_jw_stamp() when the
 * member says so) and strm_jw_member_end(), then strm_jw_obj_end().
 */


typedef struct {
    const char          *path;
    size_t               len;
} strm_jw_hook_t;


typedef struct {
    char                *data;
    size_t               len;
    size_t               size;

    strm_jw_hook_t      *hooks;
    size_t               nhooks;
    strm_tink_keyset_t  *daead;
    size_t               nenc;          /* fields encrypted */
    strm_rc_t            rc;            /* why a write failed */

    unsigned             stamp:1;       /* strmMeta is stamped */
    int64_t              ts;
    int32_t              nonce;
    const char          *link;          /* 36 characters, or NULL */
} strm_jw_t;


/* the object being written */
typedef struct {
    size_t               off;           /* its path's length, and '/' */
    size_t               limit;         /* hooks before it apply here */
    size_t               rep;           /* a hook that goes on below */
    size_t               n;             /* members written */
    unsigned             any:1;         /* some hook goes on below */
    unsigned             root:1;
    unsigned             meta:1;        /* it is strmMeta: stamped */
    unsigned             seen:3;        /* stamps written */
} strm_jw_obj_t;


/* the member being written */
typedef struct {
    strm_jw_obj_t        child;         /* its value's, an object's */
    size_t               start;         /* where its value begins */
    int                  hook;          /* the hook's index, or -1 */
    int                  stamp;         /* 1 + the stamp's, or 0 */
    const char          *str;           /* a string value's bytes */
    size_t               slen;
} strm_jw_mem_t;


/* the stamps, in the order they are added */
#define STRM_JW_TIMESTAMP  1
#define STRM_JW_NONCE      2
#define STRM_JW_KEY_LINK   3


int strm_jw_init(strm_jw_t *w, size_t size);
/* a writer on data (malloc()ed, size bytes), which it owns from now */
void strm_jw_init_buf(strm_jw_t *w, char *data, size_t size);
void strm_jw_free(strm_jw_t *w);

/* the context of the top-level object, and of a value with no path */
void strm_jw_root(const strm_jw_t *w, strm_jw_obj_t *o);
void strm_jw_none(strm_jw_obj_t *o);

/* n bytes more room (w->rc set when there is none) */
int strm_jw_grow(strm_jw_t *w, size_t n);

/* bytes as they are: inline, a token at a time is the writer's pace */
static inline int
strm_jw_put(strm_jw_t *w, const char *s, size_t n)
{
    if (w->size - w->len < n && strm_jw_grow(w, n) != 0) {
        return -1;
    }

    memcpy(w->data + w->len, s, n);
    w->len += n;

    return 0;
}

int strm_jw_string(strm_jw_t *w, const char *s, size_t len);
int strm_jw_integer(strm_jw_t *w, json_int_t v);
int strm_jw_real(strm_jw_t *w, double v);

int strm_jw_obj_begin(strm_jw_t *w, strm_jw_obj_t *o, const strm_jw_obj_t *ctx);
int strm_jw_obj_end(strm_jw_t *w, strm_jw_obj_t *o);
int strm_jw_member(strm_jw_t *w, strm_jw_obj_t *o, const char *name,
    size_t len, strm_jw_mem_t *m);
/* a name with no byte to escape (no control character, '"' or '\\') */
int strm_jw_member_plain(strm_jw_t *w, strm_jw_obj_t *o, const char *name,
    size_t len, strm_jw_mem_t *m);
int strm_jw_stamp(strm_jw_t *w, strm_jw_mem_t *m);
int strm_jw_member_end(strm_jw_t *w, strm_jw_mem_t *m);

/*
 * Any plain JSON tree; ctx is the context the value is written in (an
 * object's takes it).  A string's bytes go to *str when str is not
 * NULL.
 */
int strm_jw_tree(strm_jw_t *w, const json_t *v, const strm_jw_obj_t *ctx,
    const char **str, size_t *slen);


#endif /* _STRM_JW_H_INCLUDED_ */
