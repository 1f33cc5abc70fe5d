
/*
 * Copyright (C) ngx_strm authors
 */


#include <string.h>

#include "strm_proto.h"


void
strm_proto_varint(strm_proto_out_t *w, uint64_t v)
{
    do {
        if (w->p != NULL) {
            w->p[w->len] = (unsigned char) ((v & 0x7f) | (v > 0x7f ? 0x80
                                                                   : 0));
        }

        w->len++;
        v >>= 7;
    } while (v != 0);
}


void
strm_proto_tag(strm_proto_out_t *w, unsigned field, unsigned type)
{
    strm_proto_varint(w, (uint64_t) field << 3 | type);
}


/* proto3: a zero scalar is not written */

void
strm_proto_uint(strm_proto_out_t *w, unsigned field, uint64_t v)
{
    if (v != 0) {
        strm_proto_tag(w, field, STRM_PROTO_VARINT);
        strm_proto_varint(w, v);
    }
}


void
strm_proto_bytes(strm_proto_out_t *w, unsigned field, const void *data,
    size_t len)
{
    strm_proto_tag(w, field, STRM_PROTO_LEN);
    strm_proto_varint(w, len);

    if (w->p != NULL && len > 0) {
        memcpy(w->p + w->len, data, len);
    }

    w->len += len;
}


/* 1: a field was read, 0: the end, -1: malformed */

int
strm_proto_next(strm_proto_in_t *r, unsigned *field, unsigned *type,
    uint64_t *v, const unsigned char **data, size_t *len)
{
    int       shift;
    uint64_t  tag, n;

    if (r->p == r->end) {
        return 0;
    }

    tag = 0;

    /* the tag, then a varint value or a length */
    for (shift = 0; ; shift += 7) {
        if (r->p == r->end || shift > 63) {
            return -1;
        }

        tag |= (uint64_t) (*r->p & 0x7f) << shift;

        if ((*r->p++ & 0x80) == 0) {
            break;
        }
    }

    *field = (unsigned) (tag >> 3);
    *type = (unsigned) (tag & 7);

    if (*field == 0 || tag >> 32 != 0) {
        return -1;
    }

    switch (*type) {
    case STRM_PROTO_VARINT:
    case STRM_PROTO_LEN:
        n = 0;

        for (shift = 0; ; shift += 7) {
            if (r->p == r->end || shift > 63) {
                return -1;
            }

            n |= (uint64_t) (*r->p & 0x7f) << shift;

            if ((*r->p++ & 0x80) == 0) {
                break;
            }
        }

        if (*type == STRM_PROTO_VARINT) {
            *v = n;
            return 1;
        }

        if (n > (uint64_t) (r->end - r->p)) {
            return -1;
        }

        *data = r->p;
        *len = (size_t) n;
        r->p += n;

        return 1;

    case STRM_PROTO_I64:
    case STRM_PROTO_I32:
        n = (*type == STRM_PROTO_I64) ? 8 : 4;

        if (n > (uint64_t) (r->end - r->p)) {
            return -1;
        }

        r->p += n;

        return 1;

    default:
        /* groups are not in any of these messages */
        return -1;
    }
}
