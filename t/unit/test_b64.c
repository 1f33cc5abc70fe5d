
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Base64 (strm_b64): the RFC 4648 section 10 vectors in the standard
 * alphabet with padding and in base64url without; the standard decoder
 * takes either alphabet and optional padding, base64url only its own;
 * malformed input is refused.  Prints "N passed, N failed".
 */

#include <stdint.h>
#include <string.h>

#include "strm_b64.h"
#include "unit.h"


static const struct {
    const char  *plain;
    const char  *b64;
    const char  *b64url;
} vectors[] = {
    { "", "", "" },
    { "f", "Zg==", "Zg" },
    { "fo", "Zm8=", "Zm8" },
    { "foo", "Zm9v", "Zm9v" },
    { "foob", "Zm9vYg==", "Zm9vYg" },
    { "fooba", "Zm9vYmE=", "Zm9vYmE" },
    { "foobar", "Zm9vYmFy", "Zm9vYmFy" }
};


static void
test_b64(void)
{
    size_t          i, n;
    unsigned char   buf[64];

    static const char  *bad[] = {
        "Z", "Zg=", "Zg===", "Zh==", "Zm9v\n", "Zm 9v", "Zm9=v", "===="
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        n = strm_b64_encode(buf, (unsigned char *) vectors[i].plain,
                            strlen(vectors[i].plain));
        CHECK(n == strlen(vectors[i].b64)
              && memcmp(buf, vectors[i].b64, n) == 0, "rfc 4648 encode");
        CHECK(strm_b64_decode(buf, &n, (unsigned char *) vectors[i].b64,
                              strlen(vectors[i].b64)) == STRM_OK
              && n == strlen(vectors[i].plain)
              && memcmp(buf, vectors[i].plain, n) == 0, "rfc 4648 decode");
    }

    CHECK(strm_b64_decode(buf, &n, (unsigned char *) "-_8", 3) == STRM_OK
          && n == 2 && buf[0] == 0xfb && buf[1] == 0xff,
          "url-safe, unpadded");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(strm_b64_decode(buf, &n, (unsigned char *) bad[i],
                              strlen(bad[i])) == STRM_E_BAD_REQUEST,
              "bad base64 refused");
    }
}


static void
test_b64url_vectors(void)
{
    size_t          i, n;
    unsigned char   buf[64];

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        n = strm_b64url_encode(buf, (unsigned char *) vectors[i].plain,
                               strlen(vectors[i].plain));
        CHECK(n == strlen(vectors[i].b64url)
              && n == strm_b64url_encoded_len(strlen(vectors[i].plain))
              && memcmp(buf, vectors[i].b64url, n) == 0,
              "rfc 4648 base64url encode");
        CHECK(strm_b64url_decode(buf, &n, (unsigned char *) vectors[i].b64url,
                                 strlen(vectors[i].b64url)) == STRM_OK
              && n == strlen(vectors[i].plain)
              && memcmp(buf, vectors[i].plain, n) == 0,
              "rfc 4648 base64url decode");
    }

    buf[0] = 0xfb;
    buf[1] = 0xff;
    n = strm_b64url_encode(buf + 2, buf, 2);
    CHECK(n == 3 && memcmp(buf + 2, "-_8", 3) == 0,
          "base64url encodes 62 and 63 as - and _");

    n = strm_b64_encode(buf + 2, buf, 2);
    CHECK(n == 4 && memcmp(buf + 2, "+/8=", 4) == 0,
          "base64 encodes 62 and 63 as + and /");
}


static void
test_b64url(void)
{
    size_t          n;
    unsigned char   out[16];

    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "Zm9vYg", 6)
          == STRM_OK && n == 4 && memcmp(out, "foob", 4) == 0, "b64url decode");
    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "Zm9vYg==", 8)
          == STRM_E_BAD_REQUEST, "b64url refuses padding");
    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "Zm9vYh", 6)
          == STRM_E_BAD_REQUEST, "b64url refuses non-zero trailing bits");
    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "ab+/", 4)
          == STRM_E_BAD_REQUEST, "b64url refuses the standard alphabet");
    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "abcde", 5)
          == STRM_E_BAD_REQUEST, "b64url refuses a lone character");
    CHECK(strm_b64url_decode(out, &n, (unsigned char *) "", 0) == STRM_OK
          && n == 0, "b64url empty");
}


/*
 * A character outside the alphabet, at every place of a value (first,
 * second, third and fourth of a quad, and in the last partial quad),
 * is refused; every byte value round-trips at every place.
 */
static void
test_b64_places(void)
{
    int             ok;
    size_t          i, j, n, len;
    unsigned char   plain[48], enc[80], bad[80], out[80];

    static const unsigned char  outside[] = {
        '!', '.', ':', '@', '[', '`', '{', '~', '\0', '\n', ' ', 0x80,
        0xff, '*'
    };

    for (i = 0; i < sizeof(plain); i++) {
        plain[i] = (unsigned char) (i * 37 + 11);
    }

    ok = 1;

    for (len = 0; len <= sizeof(plain); len++) {
        n = strm_b64_encode(enc, plain, len);

        if (strm_b64_decode(out, &j, enc, n) != STRM_OK || j != len
            || memcmp(out, plain, len) != 0)
        {
            ok = 0;
        }
    }

    CHECK(ok, "every length round-trips");

    /* 11 unpadded characters: two quads and a partial one */
    n = strm_b64_encode(enc, plain, 8) - 1;
    ok = (enc[n] == '=' && strm_b64_decode(out, &j, enc, n) == STRM_OK);

    for (i = 0; i < n; i++) {
        for (j = 0; j < sizeof(outside); j++) {
            memcpy(bad, enc, n);
            bad[i] = outside[j];

            if (strm_b64_decode(out, &len, bad, n) != STRM_E_BAD_REQUEST) {
                ok = 0;
            }
        }
    }

    CHECK(ok, "a character outside the alphabet at every place refused");
}


/* every 12 bits, in both halves of a quad, as the alphabet spells them */
static void
test_b64_every_twelve(void)
{
    int            ok;
    uint32_t       v, w, x;
    unsigned char  in[3], out[4], want[4];

    static const char  abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    ok = 1;

    for (v = 0; v < 4096; v++) {
        w = (v * 2654435761u >> 7) & 0xfff;

        x = (v << 12) | w;
        in[0] = (unsigned char) (x >> 16);
        in[1] = (unsigned char) (x >> 8);
        in[2] = (unsigned char) x;

        want[0] = (unsigned char) abc[x >> 18];
        want[1] = (unsigned char) abc[(x >> 12) & 0x3f];
        want[2] = (unsigned char) abc[(x >> 6) & 0x3f];
        want[3] = (unsigned char) abc[x & 0x3f];

        if (strm_b64_encode(out, in, 3) != 4 || memcmp(out, want, 4) != 0)
        {
            printf("  %06x: %.4s, not %.4s\n", (unsigned) x, out, want);
            ok = 0;
        }

        /* and as the low half */
        x = (w << 12) | v;
        in[0] = (unsigned char) (x >> 16);
        in[1] = (unsigned char) (x >> 8);
        in[2] = (unsigned char) x;

        want[0] = (unsigned char) abc[x >> 18];
        want[1] = (unsigned char) abc[(x >> 12) & 0x3f];
        want[2] = (unsigned char) abc[(x >> 6) & 0x3f];
        want[3] = (unsigned char) abc[x & 0x3f];

        if (strm_b64_encode(out, in, 3) != 4 || memcmp(out, want, 4) != 0)
        {
            printf("  %06x: %.4s, not %.4s\n", (unsigned) x, out, want);
            ok = 0;
        }
    }

    CHECK(ok, "every 12 bits encoded as the alphabet spells them");
}


int
main(void)
{
    test_b64();
    test_b64_every_twelve();
    test_b64_places();
    test_b64url_vectors();
    test_b64url();

    return UNIT_DONE();
}
