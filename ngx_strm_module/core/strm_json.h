
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_JSON_H_INCLUDED_
#define _STRM_JSON_H_INCLUDED_


#include <stddef.h>

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


#endif /* _STRM_JSON_H_INCLUDED_ */
