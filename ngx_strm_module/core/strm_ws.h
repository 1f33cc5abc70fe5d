
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_WS_H_INCLUDED_
#define _STRM_WS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_error.h"


/*
 * The WebSocket protocol (RFC 6455) as a server needs it, without I/O:
 * the opening handshake's accept value, the header of a frame the
 * server sends (never masked, never fragmented), and the parsing of the
 * frames a client sends (always masked).  For the developers' egress
 * (strm_egress): text frames out, control frames both ways.
 */

#define STRM_WS_ACCEPT_LEN      28      /* base64 of a SHA-1 */
#define STRM_WS_HEADER_MAX      10      /* 2 + 8 length bytes, no mask */
#define STRM_WS_CONTROL_MAX     125     /* a control frame's payload */

#define STRM_WS_CONT            0x0
#define STRM_WS_TEXT            0x1
#define STRM_WS_BINARY          0x2
#define STRM_WS_CLOSE           0x8
#define STRM_WS_PING            0x9
#define STRM_WS_PONG            0xa

/* close codes (section 7.4.1) */
#define STRM_WS_CLOSE_NORMAL    1000
#define STRM_WS_CLOSE_GOING     1001
#define STRM_WS_CLOSE_PROTOCOL  1002
#define STRM_WS_CLOSE_POLICY    1008
#define STRM_WS_CLOSE_TOO_BIG   1009


typedef struct {
    unsigned                    fin:1;
    unsigned                    opcode:4;
    uint64_t                    len;        /* payload length */
    unsigned char              *payload;    /* unmasked in place */
} strm_ws_frame_t;


/*
 * The Sec-WebSocket-Accept value of a Sec-WebSocket-Key: base64 of
 * SHA-1(key || the RFC's GUID), NUL-terminated.  The key must be the
 * base64 of 16 bytes (24 characters); anything else is
 * STRM_E_BAD_REQUEST.
 */
strm_rc_t strm_ws_accept(const char *key, size_t len,
    char out[STRM_WS_ACCEPT_LEN + 1]);

/*
 * The header of an unmasked, final frame of opcode with a payload of
 * len bytes; returns its length (2 to 10).
 */
size_t strm_ws_frame_header(unsigned char out[STRM_WS_HEADER_MAX],
    unsigned opcode, uint64_t len);

/*
 * One client frame from buf[0..len): its size (header and payload) when
 * it is complete, with f filled and the payload unmasked in buf; 0 when
 * more bytes are needed; -1 when it breaks the protocol (not masked,
 * reserved bits set, an unknown opcode, a control frame that is
 * fragmented or longer than 125 bytes, a 64-bit length with its top bit
 * set) or its payload is longer than max.
 */
int64_t strm_ws_parse(unsigned char *buf, size_t len, uint64_t max,
    strm_ws_frame_t *f);


#endif /* _STRM_WS_H_INCLUDED_ */
