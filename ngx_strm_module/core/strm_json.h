
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_JSON_H_INCLUDED_
#define _STRM_JSON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>


/*
 * The event body's parser on the hot path: one pass over the bytes,
 * straight into jansson values, for the JSON objects the gateway takes
 * every day.  It accepts a subset of what
 * json_loadb(JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) accepts and gives
 * the same tree for it (member order included); it declines (NULL)
 * everything else, valid or not: any syntax error, invalid UTF-8, a
 * duplicate member, a NUL in a member name, a number that is not an
 * integer of at most 18 digits, a top level that is not an object, an
 * object or array nested deeper than max_depth, out of memory.  The
 * caller then parses with jansson, which gives the refusal and its
 * position exactly as before.
 */
json_t *strm_json_parse_object(const unsigned char *body, size_t len,
    int max_depth);


/*
 * The pieces of the text path (strm_avro_text_check()), at p in
 * [p, end):
 *
 * strm_json_plain_string(): a string at its '"' with no escape and no
 * control character, valid UTF-8 by jansson's rules: the length of its
 * contents (jansson's value is those bytes, and json_dumps() writes
 * them as they are), or -1 for any other text.
 *
 * strm_json_plain_integer(): -?(0|[1-9][0-9]*) of at most 18 digits,
 * not "-0", and no '.', 'e', digit or letter after it: the value in *v
 * and 1 + its length, or 0 (the text then is not exactly what jansson
 * would write of its value).
 */
ssize_t strm_json_plain_string(const unsigned char *p,
    const unsigned char *end);

/*
 * The length of the well-formed UTF-8 sequence at p (a byte >= 0x80),
 * 0 when it is not one: no overlong form, no surrogate, nothing above
 * U+10FFFF (jansson's rules)
 */
size_t strm_json_utf8(const unsigned char *p, const unsigned char *end);
size_t strm_json_plain_integer(const unsigned char *p,
    const unsigned char *end, int64_t *v);

/*
 * In text whose strings are all plain (strm_avro_text_check() took it):
 * past the value at p; and the value at a slash path of object members
 * from the top-level object, 1 with *v and *vend around it, 0 when
 * there is no such member.
 */
const unsigned char *strm_json_plain_skip(const unsigned char *p,
    const unsigned char *end);
int strm_json_plain_path(const unsigned char *text, size_t len,
    const char *path, const unsigned char **v, const unsigned char **vend);


#endif /* _STRM_JSON_H_INCLUDED_ */
