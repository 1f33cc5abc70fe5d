
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * core/strm_ws.c against the examples of RFC 6455: the handshake of
 * section 1.3 (key "dGhlIHNhbXBsZSBub25jZQ==" gives
 * "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), the frames of section 5.7 (masked
 * and unmasked "Hello", ping and pong, 256 bytes and 64 KiB), then
 * frames split at every byte, and the frames a server must refuse.
 * Prints "N passed, N failed".
 */

#include <stdlib.h>
#include <string.h>

#include "strm_ws.h"
#include "unit.h"


/* a client frame of opcode with payload p, masked with m */
static size_t
masked(unsigned char *out, unsigned fin_opcode, const unsigned char *p,
    size_t len, const unsigned char m[4])
{
    size_t  i, h;

    out[0] = (unsigned char) fin_opcode;

    if (len < 126) {
        out[1] = (unsigned char) (0x80 | len);
        h = 2;

    } else if (len <= 0xffff) {
        out[1] = 0x80 | 126;
        out[2] = (unsigned char) (len >> 8);
        out[3] = (unsigned char) len;
        h = 4;

    } else {
        out[1] = 0x80 | 127;
        for (i = 0; i < 8; i++) {
            out[2 + i] = (unsigned char) ((uint64_t) len >> (56 - 8 * i));
        }
        h = 10;
    }

    memcpy(out + h, m, 4);
    h += 4;

    for (i = 0; i < len; i++) {
        out[h + i] = p[i] ^ m[i & 3];
    }

    return h + len;
}


int
main(void)
{
    size_t           n, i, cut;
    int64_t          r;
    unsigned char   *big, *frame, copy[64];
    char             acc[STRM_WS_ACCEPT_LEN + 1];
    strm_ws_frame_t  f;

    static const unsigned char  m[4] = { 0x37, 0xfa, 0x21, 0x3d };

    /* section 5.7: a single-frame masked text message "Hello" */
    static const unsigned char  hello_masked[] = {
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
    };
    /* section 5.7: the same, unmasked (what a server sends) */
    static const unsigned char  hello[] = {
        0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f
    };

    /* the handshake, section 1.3 */
    CHECK(strm_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, acc) == STRM_OK
          && strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
          "RFC 6455 1.3: the accept value of the sample nonce");
    CHECK(strm_ws_accept("dGhlIHNhbXBsZSBub25jZQ", 22, acc)
          == STRM_E_BAD_REQUEST, "a key without its padding is refused");
    CHECK(strm_ws_accept("dGhlIHNhbXBsZSBub25jZSE=", 24, acc)
          == STRM_E_BAD_REQUEST, "a key of 17 bytes is refused");
    CHECK(strm_ws_accept("dGhlIHNhbXBsZSBub25jZQ=*", 24, acc)
          == STRM_E_BAD_REQUEST, "a key that is not base64 is refused");
    CHECK(strm_ws_accept("", 0, acc) == STRM_E_BAD_REQUEST,
          "an empty key is refused");

    /* server frames */
    {
        unsigned char  h[STRM_WS_HEADER_MAX];

        n = strm_ws_frame_header(h, STRM_WS_TEXT, 5);
        CHECK(n == 2 && memcmp(h, hello, 2) == 0,
              "5.7: the header of the unmasked \"Hello\"");

        n = strm_ws_frame_header(h, STRM_WS_BINARY, 256);
        CHECK(n == 4 && h[0] == 0x82 && h[1] == 0x7e && h[2] == 0x01
              && h[3] == 0x00, "5.7: 256 bytes binary, 16-bit length");

        n = strm_ws_frame_header(h, STRM_WS_BINARY, 65536);
        CHECK(n == 10 && h[0] == 0x82 && h[1] == 0x7f && h[2] == 0
              && h[7] == 0x01 && h[8] == 0 && h[9] == 0,
              "5.7: 64 KiB binary, 64-bit length");

        n = strm_ws_frame_header(h, STRM_WS_TEXT, 125);
        CHECK(n == 2 && h[1] == 125, "125 bytes: the 7-bit length");

        n = strm_ws_frame_header(h, STRM_WS_TEXT, 126);
        CHECK(n == 4 && h[1] == 126 && h[3] == 126, "126: 16-bit length");

        n = strm_ws_frame_header(h, STRM_WS_TEXT, 65535);
        CHECK(n == 4 && h[2] == 0xff && h[3] == 0xff, "65535: 16 bits");

        n = strm_ws_frame_header(h, STRM_WS_PONG, 0);
        CHECK(n == 2 && h[0] == 0x8a && h[1] == 0, "an empty pong");
    }

    /* client frames */
    memcpy(copy, hello_masked, sizeof(hello_masked));
    r = strm_ws_parse(copy, sizeof(hello_masked), 1024, &f);
    CHECK(r == (int64_t) sizeof(hello_masked) && f.fin
          && f.opcode == STRM_WS_TEXT && f.len == 5
          && memcmp(f.payload, "Hello", 5) == 0,
          "5.7: the masked \"Hello\" unmasks to Hello");

    for (cut = 0; cut < sizeof(hello_masked); cut++) {
        memcpy(copy, hello_masked, sizeof(hello_masked));
        r = strm_ws_parse(copy, cut, 1024, &f);
        CHECK(r == 0, "a frame cut short asks for more bytes");
    }

    memcpy(copy, hello, sizeof(hello));
    CHECK(strm_ws_parse(copy, sizeof(hello), 1024, &f) == -1,
          "an unmasked client frame is a protocol error (5.1)");

    n = masked(copy, 0x89, (const unsigned char *) "Hello", 5, m);
    r = strm_ws_parse(copy, n, 1024, &f);
    CHECK(r == (int64_t) n && f.opcode == STRM_WS_PING && f.len == 5
          && memcmp(f.payload, "Hello", 5) == 0, "5.7: a masked ping");

    n = masked(copy, 0x8a, (const unsigned char *) "Hello", 5, m);
    r = strm_ws_parse(copy, n, 1024, &f);
    CHECK(r == (int64_t) n && f.opcode == STRM_WS_PONG,
          "5.7: a masked pong");

    n = masked(copy, 0x88, (const unsigned char *) "\x03\xe8", 2, m);
    r = strm_ws_parse(copy, n, 1024, &f);
    CHECK(r == (int64_t) n && f.opcode == STRM_WS_CLOSE && f.len == 2
          && f.payload[0] == 0x03 && f.payload[1] == 0xe8,
          "a close frame with code 1000");

    n = masked(copy, 0x01, (const unsigned char *) "Hel", 3, m);
    r = strm_ws_parse(copy, n, 1024, &f);
    CHECK(r == (int64_t) n && !f.fin && f.opcode == STRM_WS_TEXT,
          "5.7: the first fragment of a text message");

    n = masked(copy, 0x80, (const unsigned char *) "lo", 2, m);
    r = strm_ws_parse(copy, n, 1024, &f);
    CHECK(r == (int64_t) n && f.fin && f.opcode == STRM_WS_CONT
          && memcmp(f.payload, "lo", 2) == 0, "5.7: its continuation");

    /* two frames back to back: the first one's size, then the second */
    n = masked(copy, 0x89, (const unsigned char *) "a", 1, m);
    i = masked(copy + n, 0x8a, (const unsigned char *) "b", 1, m);
    r = strm_ws_parse(copy, n + i, 1024, &f);
    CHECK(r == (int64_t) n && f.opcode == STRM_WS_PING,
          "two frames in one read: the first");
    r = strm_ws_parse(copy + n, i, 1024, &f);
    CHECK(r == (int64_t) i && f.opcode == STRM_WS_PONG && f.payload[0] == 'b',
          "then the second");

    /* 256 bytes and 64 KiB, masked */
    big = malloc(65536);
    frame = malloc(65536 + 14);

    for (i = 0; i < 65536; i++) {
        big[i] = (unsigned char) (i * 7);
    }

    n = masked(frame, 0x82, big, 256, m);
    r = strm_ws_parse(frame, n, 65536, &f);
    CHECK(r == (int64_t) n && n == 256 + 8 && f.len == 256
          && memcmp(f.payload, big, 256) == 0,
          "256 bytes with a 16-bit length");

    n = masked(frame, 0x82, big, 65536, m);
    r = strm_ws_parse(frame, n, 65536, &f);
    CHECK(r == (int64_t) n && n == 65536 + 14 && f.len == 65536
          && memcmp(f.payload, big, 65536) == 0,
          "64 KiB with a 64-bit length");

    n = masked(frame, 0x82, big, 65536, m);
    CHECK(strm_ws_parse(frame, n, 65535, &f) == -1,
          "a payload over the limit is refused");
    CHECK(strm_ws_parse(frame, 10, 65535, &f) == -1,
          "refused from its header alone, before the payload arrives");

    free(big);
    free(frame);

    /* what a server must refuse */
    n = masked(copy, 0x81 | 0x40, (const unsigned char *) "x", 1, m);
    CHECK(strm_ws_parse(copy, n, 1024, &f) == -1,
          "RSV1 without an extension (5.2)");
    n = masked(copy, 0x83, (const unsigned char *) "x", 1, m);
    CHECK(strm_ws_parse(copy, n, 1024, &f) == -1, "opcode 3 is reserved");
    n = masked(copy, 0x8b, (const unsigned char *) "x", 1, m);
    CHECK(strm_ws_parse(copy, n, 1024, &f) == -1, "opcode 0xB is reserved");
    n = masked(copy, 0x09, (const unsigned char *) "x", 1, m);
    CHECK(strm_ws_parse(copy, n, 1024, &f) == -1,
          "a fragmented ping (5.5)");

    {
        unsigned char  p[126], fr[140];

        memset(p, 'p', sizeof(p));
        n = masked(fr, 0x89, p, 126, m);
        CHECK(strm_ws_parse(fr, n, 1024, &f) == -1,
              "a ping of 126 bytes (5.5: 125 at most)");
    }

    {
        unsigned char  fr[14] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0,
                                  1, 2, 3, 4 };

        CHECK(strm_ws_parse(fr, sizeof(fr), UINT64_MAX, &f) == -1,
              "a 64-bit length with its top bit set (5.2)");
    }

    return UNIT_DONE();
}
