
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_PROTO_H_INCLUDED_
#define _STRM_PROTO_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * The little of the protobuf wire format Tink keysets need: varints,
 * length-delimited fields, and skipping fixed-size fields.  Bounds are
 * checked on every read; groups (wire types 3, 4) are refused.
 */

#define STRM_PROTO_VARINT  0
#define STRM_PROTO_I64     1
#define STRM_PROTO_LEN     2
#define STRM_PROTO_I32     5


/* a writer; with p == NULL it only counts (the first of two passes) */
typedef struct {
    unsigned char        *p;
    size_t                len;
} strm_proto_out_t;


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
} strm_proto_in_t;


void strm_proto_varint(strm_proto_out_t *w, uint64_t v);
void strm_proto_tag(strm_proto_out_t *w, unsigned field, unsigned type);

/* a varint field, left out when zero (proto3 defaults) */
void strm_proto_uint(strm_proto_out_t *w, unsigned field, uint64_t v);
void strm_proto_bytes(strm_proto_out_t *w, unsigned field,
    const void *data, size_t len);

/*
 * Reads the next field: a varint into *v, a length-delimited one as
 * *data and *len (pointing into the input); fixed-size ones are
 * skipped.  Returns 1 for a field, 0 at the end, -1 when malformed.
 */
int strm_proto_next(strm_proto_in_t *r, unsigned *field, unsigned *type,
    uint64_t *v, const unsigned char **data, size_t *len);


#endif /* _STRM_PROTO_H_INCLUDED_ */
