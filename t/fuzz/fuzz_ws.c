
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * What a WebSocket client sends the egress: any bytes, parsed frame
 * after frame as the server reads them.  Nothing may crash or read out
 * of bounds; a complete frame lies inside what was read, its payload is
 * no longer than the limit, a control frame is final and short; the
 * accept value of the first 24 bytes is 28 characters or refused.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_ws.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           off;
    int64_t          r;
    unsigned char   *buf;
    strm_ws_frame_t  f;
    char             acc[STRM_WS_ACCEPT_LEN + 1];

    if (size >= 24 && strm_ws_accept((const char *) data, 24, acc) == STRM_OK
        && strlen(acc) != STRM_WS_ACCEPT_LEN)
    {
        abort();
    }

    /* a copy of exactly size bytes: ASan sees any read past them */
    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    for (off = 0; off < size; off += (size_t) r) {
        r = strm_ws_parse(buf + off, size - off, 4096, &f);

        if (r <= 0) {
            break;
        }

        if ((size_t) r > size - off || f.len > 4096
            || f.payload < buf + off || f.payload + f.len > buf + off + r)
        {
            abort();
        }

        if (f.opcode >= STRM_WS_CLOSE
            && (!f.fin || f.len > STRM_WS_CONTROL_MAX))
        {
            abort();
        }
    }

    free(buf);

    return 0;
}
