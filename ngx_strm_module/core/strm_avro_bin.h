
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_AVRO_BIN_H_INCLUDED_
#define _STRM_AVRO_BIN_H_INCLUDED_


#include <stddef.h>

#include <avro.h>
#include <jansson.h>

#include "strm_avro.h"
#include "strm_error.h"
#include "strm_jw.h"


/*
 * The binary way: an Avro binary datum checked against its schema and
 * written as the plain JSON that strm_avro_decode() would build and
 * strm_jw_tree() would write of it, without the tree.  The schema is
 * compiled once (when it loads) into nodes of its own: a record's
 * fields with their names' lengths, an enum's symbols, a union's
 * branches, so that the walks make no avro-c lookup.
 *
 * strm_avro_bin_check() returns STRM_OK when the datum is one that
 * strm_avro_decode() takes and whose tree the walks below give exactly:
 * nesting up to 32 levels, strings valid UTF-8 by jansson's rules,
 * finite floats and doubles, bytes and fixed of at most 256 bytes, maps
 * of at most 16 distinct keys without a NUL, nothing after the datum;
 * *plain tells whether no string or map key in it needs an escape, ix
 * (unless NULL) where its first top-level fields start.
 * Anything else, valid or not, is STRM_E_NOT_FOUND ("not sure"): the
 * caller goes the tree's way, which decides and names any refusal.
 *
 * The others take a datum the check took.
 */

typedef struct strm_avro_bin_s  strm_avro_bin_t;


/* where a datum's first top-level fields start, noted by the check */
#define STRM_AVRO_BIN_INDEX  32

typedef struct {
    size_t                 n;
    const unsigned char   *at[STRM_AVRO_BIN_INDEX];
} strm_avro_bin_ix_t;


/* NULL when out of memory or when the schema has a type it lacks */
strm_avro_bin_t *strm_avro_bin_compile(avro_schema_t root);
void strm_avro_bin_free(strm_avro_bin_t *b);

/* a schema's, compiled when it loads (strm_avro.c); may be NULL */
const strm_avro_bin_t *strm_avro_bin_of(const strm_avro_schema_t *s);

strm_rc_t strm_avro_bin_check(const strm_avro_bin_t *b,
    const unsigned char *p, size_t len, unsigned *plain,
    strm_avro_bin_ix_t *ix);

/*
 * What strm_json_path() finds at path in the datum's tree: *out a new
 * reference to a null, boolean, number or string (an enum's symbol,
 * bytes as code points), or NULL when there is nothing there; a
 * record, map or array is STRM_E_NOT_FOUND (not built here).  With the
 * check's ix (or NULL) a top-level field is found without a walk.
 */
strm_rc_t strm_avro_bin_value(const strm_avro_bin_t *b,
    const unsigned char *p, size_t len, const strm_avro_bin_ix_t *ix,
    const char *path, json_t **out);

/*
 * The string at path where the datum has it (its bytes are the value
 * strm_avro_bin_value() would give, no copy made): STRM_OK with *s in
 * p and *slen; STRM_E_NOT_FOUND when the value there is no string (or
 * there is none).
 */
strm_rc_t strm_avro_bin_string(const strm_avro_bin_t *b,
    const unsigned char *p, size_t len, const strm_avro_bin_ix_t *ix,
    const char *path, const char **s, size_t *slen);

/*
 * strmMeta as the contract's lookup needs it: its consentLevels when
 * they are an array of int or long (at most max of them, each in
 * [0, top], into levels, *n of them) and its eventContractRef when it
 * is a string (*ref, *ref_len: in the datum).  STRM_E_NOT_FOUND for
 * anything else (the tree's way then decides).
 */
strm_rc_t strm_avro_bin_meta(const strm_avro_bin_t *b,
    const unsigned char *p, size_t len, const strm_avro_bin_ix_t *ix,
    int *levels, size_t max, int top, size_t *n,
    const unsigned char **ref, size_t *ref_len);

/*
 * The datum written by w, byte for byte as strm_jw_tree() its tree;
 * plain is what the check said: no string or map key in it to escape.
 */
strm_rc_t strm_avro_bin_write(const strm_avro_bin_t *b,
    const unsigned char *p, size_t len, unsigned plain, strm_jw_t *w);


#endif /* _STRM_AVRO_BIN_H_INCLUDED_ */
