
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of strm_json_parse_object(), the event body's one-pass
 * parser: for what it accepts, the tree is jansson's (same values, same
 * member order); what jansson refuses it never accepts (it declines,
 * and jansson gives the refusal); nesting, escapes, unicode, numbers,
 * duplicate members; and a few thousand mutations of an event, each
 * either declined or parsed exactly as jansson parses it.  Prints
 * "N passed, N failed".
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_json.h"
#include "unit.h"


#define FLAGS  (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
#define DEPTH  64


/* 1 when both parse to the same tree, member order included */
static int
same_as_jansson(const char *doc, size_t len)
{
    int      same;
    char    *a, *b;
    json_t  *mine, *theirs;

    mine = strm_json_parse_object((const unsigned char *) doc, len, DEPTH);
    theirs = json_loadb(doc, len, FLAGS, NULL);

    if (mine == NULL || theirs == NULL) {
        json_decref(mine);
        json_decref(theirs);
        return 0;
    }

    a = json_dumps(mine, JSON_COMPACT);
    b = json_dumps(theirs, JSON_COMPACT);

    same = json_equal(mine, theirs) && a != NULL && b != NULL
           && strcmp(a, b) == 0;

    free(a);
    free(b);
    json_decref(mine);
    json_decref(theirs);

    return same;
}


static int
declines(const char *doc, size_t len)
{
    json_t  *v;

    v = strm_json_parse_object((const unsigned char *) doc, len, DEPTH);
    if (v != NULL) {
        json_decref(v);
        return 0;
    }

    return 1;
}


static int
jansson_refuses(const char *doc, size_t len)
{
    json_t  *v;

    v = json_loadb(doc, len, FLAGS, NULL);
    if (v != NULL) {
        json_decref(v);
        return 0;
    }

    return 1;
}


static void
test_valid(void)
{
    int   i;
    char  what[160];

    static const char  *docs[] = {
        "{}",
        " \t\r\n{ } \n",
        "{\"a\":1}",
        "{\"b\":2,\"a\":1,\"c\":3}",
        "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\","
        "\"consentLevels\":[0,1,2]},\"uniqueIdentifier\":\"u-1\","
        "\"consistentValue\":\"s-1\",\"someSensitiveValue\":null,"
        "\"notSensitiveValue\":\"x\"}",
        "{ \"a\" : [ 1 , 2 , [ ] , { } , [ [ 3 ] ] ] ,"
        " \"b\" : { \"c\" : { } } }",
        "{\"t\":true,\"f\":false,\"n\":null}",
        "{\"i\":0,\"j\":-0,\"k\":-1,\"l\":123456789012345678,"
        "\"m\":-123456789012345678}",
        "{\"e\":\"\"}",
        "{\"\":\"empty name\"}",
        "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
        "{\"u\":\"\\u0041\\u00e9\\u20AC\\uffff\\ud83d\\ude00\"}",
        "{\"nul\":\"a\\u0000b\"}",
        "{\"raw\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"
        " \xed\x9f\xbf \xee\x80\x80\"}",
        "{\"k\\u00e9y\":1,\"k\xc3\xa9y2\":2}",
        "{\"long\":\"" "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789\\n\"}",
        "{\"a\":[true,false,null,\"s\",1,{\"b\":[]}]}",
    };

    for (i = 0; i < (int) (sizeof(docs) / sizeof(docs[0])); i++) {
        snprintf(what, sizeof(what), "valid %d: parsed as jansson does", i);
        CHECK(same_as_jansson(docs[i], strlen(docs[i])), what);
    }
}


static void
test_refused(void)
{
    int   i;
    char  what[160];

    /* jansson refuses each: so must the fast parser */
    static const char  *docs[] = {
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
        "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{a:1}", "{'a':1}",
        "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":[}",
        "{\"a\":tru}", "{\"a\":truex}", "{\"a\":True}", "{\"a\":nul}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":1a}",
        "{\"a\":.5}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":0x10}",
        "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12g4\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ud800x\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
        "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xe0\x80\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf8\x88\x80\x80\x80\"}", "{\"a\":\"\x80\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1} 1", "{} ,",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}",
        "{\"k\\u0000\":1}",
        "{\"a\":99999999999999999999}",
    };

    for (i = 0; i < (int) (sizeof(docs) / sizeof(docs[0])); i++) {
        snprintf(what, sizeof(what), "refused %d: jansson refuses", i);
        CHECK(jansson_refuses(docs[i], strlen(docs[i])), what);

        snprintf(what, sizeof(what), "refused %d: declined", i);
        CHECK(declines(docs[i], strlen(docs[i])), what);
    }

    /* a NUL byte in the body, outside and inside a string */
    CHECK(declines("{\"a\":1}\0", 8), "a NUL after the object: declined");
    CHECK(declines("{\"a\":\"x\0y\"}", 11), "a raw NUL in a string: declined");
}


/* valid JSON that is left to jansson: the same answer, only slower */
static void
test_declined_valid(void)
{
    int   i;
    char  what[160];

    static const char  *docs[] = {
        "[]", "[{\"a\":1}]", "1", "\"s\"", "null",
        "{\"r\":1.5}", "{\"r\":1e3}", "{\"r\":-0.0}", "{\"r\":1E-2}",
        "{\"big\":1234567890123456789}",
    };

    for (i = 0; i < (int) (sizeof(docs) / sizeof(docs[0])); i++) {
        snprintf(what, sizeof(what), "declined valid %d", i);
        CHECK(declines(docs[i], strlen(docs[i])), what);
    }
}


static void
test_depth(void)
{
    int     i, n;
    char    doc[512];
    json_t  *v;

    /* DEPTH containers, the top one included: parsed */
    for (n = DEPTH - 1; n <= DEPTH + 1; n++) {
        strcpy(doc, "{\"a\":");

        for (i = 1; i < n; i++) {
            strcat(doc, "[");
        }

        strcat(doc, "1");

        for (i = 1; i < n; i++) {
            strcat(doc, "]");
        }

        strcat(doc, "}");

        v = strm_json_parse_object((unsigned char *) doc, strlen(doc), DEPTH);

        if (n <= DEPTH) {
            CHECK(v != NULL && same_as_jansson(doc, strlen(doc)),
                  "nesting up to the limit: parsed");

        } else {
            CHECK(v == NULL, "nesting past the limit: declined");
        }

        json_decref(v);
    }
}


/* xorshift: the same mutations on every run */
static uint32_t  seed = 0x2545f491;


static uint32_t
rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;

    return seed;
}


static void
test_mutations(void)
{
    int          i, k, accepted, wrong;
    char         doc[512];
    size_t       len, pos;
    json_t      *mine;

    static const char  base[] =
        "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\","
        "\"consentLevels\":[0,1,2]},\"uniqueIdentifier\":\"u\\u00e9-1\","
        "\"consistentValue\":\"s\xc3\xa9-1\",\"someSensitiveValue\":null,"
        "\"notSensitiveValue\":\"x\\n\",\"n\":-12,\"b\":true}";

    static const char  bytes[] = "{}[]\":,\\u0123456789-.eE tfnrl\x80\xc3\xa9"
                                 "\xed\xf0\x00ad";

    accepted = 0;
    wrong = 0;

    for (i = 0; i < 20000; i++) {
        len = sizeof(base) - 1;
        memcpy(doc, base, len);

        for (k = 0; k < 1 + (int) (rnd() % 3); k++) {
            pos = rnd() % len;

            switch (rnd() % 3) {
            case 0:
                doc[pos] = bytes[rnd() % (sizeof(bytes) - 1)];
                break;
            case 1:
                memmove(doc + pos, doc + pos + 1, len - pos - 1);
                len--;
                break;
            default:
                memmove(doc + pos + 1, doc + pos, len - pos);
                doc[pos] = bytes[rnd() % (sizeof(bytes) - 1)];
                len++;
            }
        }

        mine = strm_json_parse_object((unsigned char *) doc, len, DEPTH);

        if (mine != NULL) {
            accepted++;

            if (!same_as_jansson(doc, len)) {
                wrong++;
            }

            json_decref(mine);
        }
    }

    printf("  mutations: %d of 20000 parsed, %d not as jansson\n",
           accepted, wrong);

    CHECK(accepted > 100, "mutations: some still parse");
    CHECK(wrong == 0, "mutations: each parsed one is jansson's tree");
}


/*
 * The text's way's plain strings and integers: taken exactly when
 * jansson's value is the bytes as they are and json_dumps() writes them
 * back unchanged; each special byte at every place of the eight-byte
 * scan.
 */
static void
test_plain(void)
{
    int          ok;
    char         buf[80];
    size_t       i, k, n;
    json_t      *j;
    int64_t      v;
    ssize_t      len;
    const char  *text;

    static const char  *specials[] = {
        "\"", "\\", "\x01", "\x1f", "\xc3", "\xc0\x80", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xff"
    };

    static const struct {
        const char  *text;
        int64_t      v;
        size_t       n;
    } ints[] = {
        { "0,", 0, 2 }, { "-1}", -1, 3 },
        { "123456789012345678]", 123456789012345678LL, 19 },
        { "-0,", 0, 0 }, { "01", 0, 0 }, { "1.5", 0, 0 }, { "1e3", 0, 0 },
        { "1234567890123456789", 0, 0 }, { "-", 0, 0 }, { "7x", 0, 0 },
        { "42", 42, 3 }
    };

    ok = 1;

    /* a string of ASCII with one special byte at each place: in the
     * sixteen-byte blocks, the eight-byte words and the tail */
    for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (i = 0; i < 68; i++) {
            memset(buf, 'a', sizeof(buf));
            buf[0] = '"';
            n = strlen(specials[k]);
            memcpy(buf + 1 + i, specials[k], n);
            buf[1 + 72] = '"';

            len = strm_json_plain_string((unsigned char *) buf,
                                         (unsigned char *) buf + 74);

            /* a quote closes the string there */
            if (k == 0 ? len != (ssize_t) i : len >= 0) {
                ok = 0;
                printf("  special %zu at %zu: %zd\n", k, i, len);
            }
        }
    }

    CHECK(ok, "plain strings: no escape, no control, no invalid UTF-8");

    text = "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 and a long tail\",";
    len = strm_json_plain_string((const unsigned char *) text,
                                 (const unsigned char *) text + strlen(text));
    j = json_loadb(text, strlen(text) - 1, JSON_DECODE_ANY, NULL);

    CHECK(len >= 0 && j != NULL && (size_t) len == json_string_length(j)
          && memcmp(text + 1, json_string_value(j), len) == 0,
          "plain strings: UTF-8 taken, jansson's value");
    json_decref(j);

    text = "\"abcdefgh";
    CHECK(strm_json_plain_string((const unsigned char *) text,
                                 (const unsigned char *) text + strlen(text))
          < 0, "plain strings: not closed");

    ok = 1;

    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        v = -7;
        n = strm_json_plain_integer((const unsigned char *) ints[i].text,
                                    (const unsigned char *) ints[i].text
                                    + strlen(ints[i].text), &v);

        if (n != ints[i].n || (n != 0 && v != ints[i].v)) {
            printf("  integer \"%s\": %zu %lld\n", ints[i].text, n,
                   (long long) v);
            ok = 0;
        }
    }

    CHECK(ok, "plain integers: as jansson writes them, or not taken");
}


int
main(void)
{
    test_valid();
    test_refused();
    test_declined_valid();
    test_depth();
    test_mutations();
    test_plain();

    return UNIT_DONE();
}
