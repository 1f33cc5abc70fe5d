
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The structural scan (strm_jscan.c) against jansson: every text the
 * scan accepts, jansson accepts with the matching flags (and, for the
 * compact scan, writes back byte for byte); the texts the workers meet
 * (the gateway's events, objects with every kind of value) are
 * accepted; member lookups find the value spans.  Prints "N passed, N
 * failed".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_jscan.h"
#include "unit.h"


#define ALL  (STRM_JSCAN_COMPACT | STRM_JSCAN_UNIQUE | STRM_JSCAN_ALLOW_NUL)


/* jansson's verdict on text under the scan's flags */
static int
jansson_takes(const char *text, size_t len, unsigned flags)
{
    int      ok;
    char    *back;
    json_t  *v;

    v = json_loadb(text, len,
                   ((flags & STRM_JSCAN_UNIQUE) ? JSON_REJECT_DUPLICATES : 0)
                   | ((flags & STRM_JSCAN_ALLOW_NUL) ? JSON_ALLOW_NUL : 0),
                   NULL);

    if (!json_is_object(v)) {
        json_decref(v);
        return 0;
    }

    ok = 1;

    if (flags & STRM_JSCAN_COMPACT) {
        back = json_dumps(v, JSON_COMPACT);
        ok = back != NULL && strlen(back) == len
             && memcmp(back, text, len) == 0;
        free(back);
    }

    json_decref(v);

    return ok;
}


/* want: what the scan says (1 accepted, 0 not sure) */
static void
scan_is(const char *text, unsigned flags, int want, const char *what)
{
    int     got;
    size_t  len;

    len = strlen(text);
    got = strm_jscan_object(text, len, flags);

    CHECK(got == want && (got == 0 || jansson_takes(text, len, flags)),
          what);
}


int
main(void)
{
    const char  *ev, *v, *vend;

    ev = "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\","
         "\"nonce\":-1000,\"timestamp\":1795459033341,"
         "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b\","
         "\"billingId\":null,\"consentLevels\":[0,1,2]},"
         "\"uniqueIdentifier\":\"AQID+/==\",\"n\":0.5,\"f\":false,"
         "\"t\":true,\"a\":[1,[],{}],\"o\":{\"x\":\"\\u0001\\n\\\"\"},"
         "\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}";

    /* accepted: the shapes the workers meet */
    scan_is(ev, ALL, 1, "a gateway event, compact");
    scan_is(ev, 0, 1, "a gateway event");
    scan_is("{}", ALL, 1, "an empty object");
    scan_is(" {\"a\" : [ 1 , 2 ] }\n", 0, 1, "spaces");
    scan_is("{\"a\":\"x\\/y\"}", 0, 1, "an escaped slash");
    scan_is("{\"a\":1,\"a\":2}", 0, 1, "a duplicate, allowed");
    scan_is("{\"a\":1.5e300}", 0, 1, "a large real");
    scan_is("{\"a\":\"\\u00e9\"}", 0, 1, "a \\u escape");
    scan_is("{\"a\":-123456789012345678}", ALL, 1, "18 digits");

    /* not sure, or refused: never accepted */
    scan_is("", 0, 0, "nothing");
    scan_is("[1]", 0, 0, "an array");
    scan_is("\"a\"", 0, 0, "a string");
    scan_is("{\"a\":1} x", 0, 0, "text after the object");
    scan_is("{\"a\":1}{}", 0, 0, "two objects");
    scan_is("{\"a\":1,}", 0, 0, "a trailing comma");
    scan_is("{\"a\" 1}", 0, 0, "no colon");
    scan_is("{a:1}", 0, 0, "a bare name");
    scan_is("{\"a\":01}", 0, 0, "a leading zero");
    scan_is("{\"a\":1.}", 0, 0, "a bare dot");
    scan_is("{\"a\":.5}", 0, 0, "no integer part");
    scan_is("{\"a\":1e}", 0, 0, "an empty exponent");
    scan_is("{\"a\":1e999}", 0, 0, "a real that overflows");
    scan_is("{\"a\":12345678901234567890}", 0, 0, "a too big integer");
    scan_is("{\"a\":tru}", 0, 0, "a broken literal");
    scan_is("{\"a\":\"x}", 0, 0, "an open string");
    scan_is("{\"a\":\"\x01\"}", 0, 0, "a raw control character");
    scan_is("{\"a\":\"\\x\"}", 0, 0, "an unknown escape");
    scan_is("{\"a\":\"\\u12\"}", 0, 0, "a short \\u escape");
    scan_is("{\"a\":\"\\ud800\"}", 0, 0, "a lone surrogate");
    scan_is("{\"a\":\"\\u0000\"}", 0, 0, "\\u0000 without ALLOW_NUL");
    scan_is("{\"a\":\"\\u0000\"}", STRM_JSCAN_ALLOW_NUL, 1,
            "\\u0000 with ALLOW_NUL");
    scan_is("{\"a\":\"\xff\"}", 0, 0, "not UTF-8");
    scan_is("{\"a\":\"\xc0\xaf\"}", 0, 0, "an overlong form");
    scan_is("{\"a\":\"\xed\xa0\x80\"}", 0, 0, "an encoded surrogate");
    scan_is("{\"a\":\"\xe2\x82\"}", 0, 0, "a cut sequence");
    scan_is("{\"a\":[1,2}", 0, 0, "a bracket that does not close");
    scan_is("{\"a\":1,\"a\":2}", STRM_JSCAN_UNIQUE, 0, "a duplicate");
    scan_is("{\"a\":{\"b\":1,\"b\":1}}", STRM_JSCAN_UNIQUE, 0,
            "a duplicate, nested");
    scan_is("{\"a\\u0062\":1}", STRM_JSCAN_UNIQUE, 0,
            "an escape in a name, unique");

    /* compact: only what json_dumps(JSON_COMPACT) writes */
    scan_is("{ \"a\":1}", ALL, 0, "compact: a space");
    scan_is("{\"a\":\"x\\/y\"}", ALL, 0, "compact: an escaped slash");
    scan_is("{\"a\":\"\\u00e9\"}", ALL, 0, "compact: a needless \\u");
    scan_is("{\"a\":\"\\u001f\"}", ALL, 0, "compact: lower-case hex");
    scan_is("{\"a\":\"\\u000A\"}", ALL, 0, "compact: \\u000A for \\n");
    scan_is("{\"a\":\"\\u001F\"}", ALL, 1, "compact: \\u001F");
    scan_is("{\"a\":-0}", ALL, 0, "compact: -0");
    scan_is("{\"a\":1E2}", ALL, 0, "compact: a real as jansson does not "
            "write it");
    scan_is("{\"a\":0.10000000000000001}", ALL,
            jansson_takes("{\"a\":0.10000000000000001}", 25, ALL),
            "compact: a real as jansson writes it");

    /* a byte a string cannot hold as it is, at every place of a word */
    {
        int            ok;
        char           text[64];
        size_t         i, b;
        unsigned char  bad[] = { 0x01, 0x1f, '"', 0x80, 0xff, 0xc3 };

        ok = 1;

        for (i = 0; i < 24; i++) {
            for (b = 0; b < sizeof(bad); b++) {
                memcpy(text, "{\"a\":\"", 6);
                memset(text + 6, 'x', 24);
                text[6 + i] = (char) bad[b];
                memcpy(text + 30, "\"}", 3);

                ok = ok && strm_jscan_object(text, 32, 0) == 0;
            }

            text[6 + i] = 0x7f;
            ok = ok && strm_jscan_object(text, 32, ALL) == 1;
            text[6 + i] = ' ';
            ok = ok && strm_jscan_object(text, 32, ALL) == 1;
        }

        CHECK(ok, "a control character, a quote, a lone UTF-8 byte: "
              "found at every place of a string");
    }

    /* lookups */
    CHECK(strm_jscan_member(ev, ev + strlen(ev), "uniqueIdentifier", 16,
                            &v, &vend)
          && vend - v == 10 && memcmp(v, "\"AQID+/==\"", 10) == 0,
          "member: a string");
    CHECK(strm_jscan_member(ev, ev + strlen(ev), "a", 1, &v, &vend)
          && vend - v == 9 && memcmp(v, "[1,[],{}]", 9) == 0,
          "member: an array");
    CHECK(strm_jscan_member(ev, ev + strlen(ev), "strmMeta", 8, &v, &vend)
          && strm_jscan_member(v, vend, "billingId", 9, &v, &vend)
          && vend - v == 4 && memcmp(v, "null", 4) == 0,
          "member: nested, null");
    CHECK(!strm_jscan_member(ev, ev + strlen(ev), "keyLink", 7, &v, &vend),
          "member: not at this level");
    CHECK(!strm_jscan_member(ev, ev + strlen(ev), "strm", 4, &v, &vend),
          "member: a prefix of a name is no name");

    /* the index: two levels noted, deeper ones scanned */
    {
        size_t               i;
        strm_jscan_index_t   ix;
        const char          *d, *paths[] = { "strmMeta", "strmMeta/nonce",
                                             "strmMeta/consentLevels", "o/x",
                                             "u", "a", "w/x/y", NULL };

        d = "{\"strmMeta\":{\"nonce\":-1,\"consentLevels\":[0,1]},"
            "\"o\":{\"x\":\"\\\"}\"},\"a\":[{\"u\":1}],\"u\":2,"
            "\"w\":{\"x\":{\"y\":[3]}}}";

        CHECK(strm_jscan_object_index(d, strlen(d), ALL, &ix) == 1
              && ix.complete && ix.n == 9,
              "index: accepted, the members of two levels");

        for (i = 0; paths[i] != NULL; i++) {
            CHECK(strm_jscan_path(&ix, d, strlen(d), paths[i], &v, &vend)
                  == 1, paths[i]);
        }

        CHECK(strm_jscan_path(&ix, d, strlen(d), "o/x", &v, &vend)
              && vend - v == 5 && memcmp(v, "\"\\\"}\"", 5) == 0,
              "index: a string with an escaped quote");
        CHECK(strm_jscan_path(&ix, d, strlen(d), "u", &v, &vend)
              && vend - v == 1 && *v == '2',
              "index: a top-level member, not the one in an array");
        CHECK(strm_jscan_path(&ix, d, strlen(d), "w/x/y", &v, &vend)
              && vend - v == 3 && memcmp(v, "[3]", 3) == 0,
              "index: three levels");
        CHECK(!strm_jscan_path(&ix, d, strlen(d), "nonce", &v, &vend)
              && !strm_jscan_path(&ix, d, strlen(d), "a/u", &v, &vend)
              && !strm_jscan_path(&ix, d, strlen(d), "u/x", &v, &vend)
              && !strm_jscan_path(&ix, d, strlen(d), "strmMeta/x", &v,
                                  &vend),
              "index: no such paths");

        ix.complete = 0;
        CHECK(strm_jscan_path(&ix, d, strlen(d), "strmMeta/nonce", &v,
                              &vend)
              && vend - v == 2 && memcmp(v, "-1", 2) == 0,
              "index incomplete: the scan finds the value");
    }

    /* the plain run: where the first byte a string cannot hold as it
       is stops it, at every place of a text longer than 16 + 8 */
    {
        int            ok;
        size_t         at, k;
        char           t[48];
        static const char  stop[] = { '"', '\\', 0x1f, 0, (char) 0x80,
                                      (char) 0xff };

        ok = 1;

        for (k = 0; k < sizeof(stop); k++) {
            for (at = 0; at < sizeof(t); at++) {
                memset(t, 'a', sizeof(t));
                t[at] = stop[k];
                ok &= strm_jscan_plain(t, sizeof(t)) == at;
                ok &= strm_jscan_plain(t, at) == at;
            }
        }

        memset(t, '~', sizeof(t));
        ok &= strm_jscan_plain(t, sizeof(t)) == sizeof(t);
        ok &= strm_jscan_plain(t, 0) == 0;
        t[0] = 0x7f;
        t[47] = ' ';
        ok &= strm_jscan_plain(t, sizeof(t)) == sizeof(t);
        CHECK(ok, "plain run: stops at each special byte, at each place");
    }

    /* duplicates among names that share the scan's filter (the same
       length and last byte), and among those that do not */
    {
        char    t[64 * 8 + 8], *w;
        size_t  i;

        w = t;
        *w++ = '{';

        for (i = 0; i < 64; i++) {
            w += sprintf(w, "%s\"%c%cz\":1", i ? "," : "",
                         'a' + (int) (i % 8), 'a' + (int) (i / 8));
        }

        strcpy(w, "}");
        scan_is(t, ALL, 1, "64 names, 8 to a filter's bit: unique");

        w[-5] = 'b';
        scan_is(t, ALL, 0, "the last of 64 names a duplicate of the 16th");
        w[-5] = 'h';
        w[-6] = 'a';
        scan_is(t, ALL, 0, "the last of 64 names a duplicate of the 57th");
    }

    scan_is("{\"ab\":1,\"cb\":2,\"ab\":3}", ALL, 0,
            "a duplicate after a name of the same bit");
    scan_is("{\"ab\":1,\"cb\":2}", ALL, 1, "two names of the same bit");
    scan_is("{\"\":1,\"\":2}", ALL, 0, "empty names, twice");
    scan_is("{\"\":1,\"a\":{\"\":2}}", ALL, 1,
            "empty names in two objects");

    /* integers: the inline path and the others */
    scan_is("{\"a\":123456789012345678}", ALL, 1, "18 digits, inline");
    scan_is("{\"a\":1234567890123456789}", ALL, 0, "19 digits");
    scan_is("{\"a\":[9,10,0,-7]}", ALL, 1, "integers in an array");
    scan_is("{\"a\":-0}", ALL, 0, "-0, compact");
    scan_is("{\"a\":-0}", 0, 1, "-0");
    scan_is("{\"a\":12 }", 0, 1, "an integer, then a space");
    scan_is("{\"a\":12", ALL, 0, "an integer at the end");
    scan_is("{\"a\":12x}", ALL, 0, "an integer, then a letter");
    scan_is("{\"a\":12.5}", ALL, 1, "a real after digits");

    /* UTF-8 after a long ASCII run, and a bad byte after one */
    scan_is("{\"a\":\"0123456789abcdefghij\xc3\xa9\"}", ALL, 1,
            "UTF-8 after 20 ASCII bytes");
    CHECK(strm_jscan_utf8((const unsigned char *)
                          "0123456789abcdefghijklm\xc3\xa9", 25)
          && !strm_jscan_utf8((const unsigned char *)
                              "0123456789abcdefghijklm\xc3(", 25)
          && !strm_jscan_utf8((const unsigned char *)
                              "0123456789abcdefghijklmnop\xed\xa0\x80",
                              29)
          && strm_jscan_utf8((const unsigned char *)
                             "0123456789abcdefghijklmnopqrstuv", 32),
          "UTF-8 checked after long ASCII runs");

    return UNIT_DONE();
}
