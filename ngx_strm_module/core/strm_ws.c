
/*
 * Copyright (C) ngx_strm authors
 */


#include <string.h>

#include <openssl/evp.h>

#include "strm_b64.h"
#include "strm_ws.h"


/* RFC 6455 section 1.3 */
#define STRM_WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


strm_rc_t
strm_ws_accept(const char *key, size_t len, char out[STRM_WS_ACCEPT_LEN + 1])
{
    size_t         n;
    unsigned int   mdlen;
    unsigned char  raw[24];
    unsigned char  md[EVP_MAX_MD_SIZE];
    char           buf[24 + sizeof(STRM_WS_GUID)];

    /* "a base64-encoded value that, when decoded, is 16 bytes" (4.1) */
    if (len != 24
        || strm_b64_decode(raw, &n, (const unsigned char *) key, len)
           != STRM_OK
        || n != 16)
    {
        return STRM_E_BAD_REQUEST;
    }

    memcpy(buf, key, len);
    memcpy(buf + len, STRM_WS_GUID, sizeof(STRM_WS_GUID) - 1);

    if (EVP_Digest(buf, len + sizeof(STRM_WS_GUID) - 1, md, &mdlen,
                   EVP_sha1(), NULL) != 1
        || mdlen != 20)
    {
        return STRM_E_INTERNAL;
    }

    strm_b64_encode((unsigned char *) out, md, 20);
    out[STRM_WS_ACCEPT_LEN] = '\0';

    return STRM_OK;
}


size_t
strm_ws_frame_header(unsigned char out[STRM_WS_HEADER_MAX], unsigned opcode,
    uint64_t len)
{
    int  i;

    out[0] = (unsigned char) (0x80 | (opcode & 0x0f));

    if (len < 126) {
        out[1] = (unsigned char) len;
        return 2;
    }

    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char) (len >> 8);
        out[3] = (unsigned char) len;
        return 4;
    }

    out[1] = 127;

    for (i = 0; i < 8; i++) {
        out[2 + i] = (unsigned char) (len >> (56 - 8 * i));
    }

    return 10;
}


int64_t
strm_ws_parse(unsigned char *buf, size_t len, uint64_t max,
    strm_ws_frame_t *f)
{
    int            i;
    size_t         hlen;
    uint64_t       plen, k;
    unsigned       opcode;
    unsigned char  mask[4];

    if (len < 2) {
        return 0;
    }

    opcode = buf[0] & 0x0f;

    /* RSV1-3 without a negotiated extension, a server-style frame */
    if ((buf[0] & 0x70) != 0 || (buf[1] & 0x80) == 0) {
        return -1;
    }

    switch (opcode) {

    case STRM_WS_CONT:
    case STRM_WS_TEXT:
    case STRM_WS_BINARY:
        break;

    case STRM_WS_CLOSE:
    case STRM_WS_PING:
    case STRM_WS_PONG:
        /* control frames: final, short (5.5) */
        if ((buf[0] & 0x80) == 0 || (buf[1] & 0x7f) > STRM_WS_CONTROL_MAX) {
            return -1;
        }

        break;

    default:
        return -1;
    }

    plen = buf[1] & 0x7f;
    hlen = 2;

    if (plen == 126) {
        if (len < 4) {
            return 0;
        }

        plen = ((uint64_t) buf[2] << 8) | buf[3];
        hlen = 4;

    } else if (plen == 127) {
        if (len < 10) {
            return 0;
        }

        if (buf[2] & 0x80) {
            return -1;
        }

        for (plen = 0, i = 0; i < 8; i++) {
            plen = (plen << 8) | buf[2 + i];
        }

        hlen = 10;
    }

    if (plen > max) {
        return -1;
    }

    if (len < hlen + 4) {
        return 0;
    }

    memcpy(mask, buf + hlen, 4);
    hlen += 4;

    if (len - hlen < plen) {
        return 0;
    }

    for (k = 0; k < plen; k++) {
        buf[hlen + k] ^= mask[k & 3];
    }

    f->fin = (buf[0] & 0x80) ? 1 : 0;
    f->opcode = opcode;
    f->len = plen;
    f->payload = buf + hlen;

    return (int64_t) (hlen + plen);
}
