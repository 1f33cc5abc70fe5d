
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_avro.h"
#include "strm_avro_encode.h"
#include "unit.h"


#define DATA  "t/unit/data/avro/"


static unsigned char *
slurp(const char *name, const char *ext, size_t *len)
{
    long            n;
    FILE           *f;
    unsigned char  *p;
    char            path[256];

    snprintf(path, sizeof(path), DATA "%s.%s", name, ext);

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("cannot open %s\n", path);
        exit(2);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    p = malloc(n + 1);
    if (p == NULL || fread(p, 1, n, f) != (size_t) n) {
        exit(2);
    }

    p[n] = '\0';
    fclose(f);
    *len = n;

    return p;
}


static strm_avro_schema_t *
load_schema(const char *name)
{
    size_t               len;
    unsigned char       *text;
    strm_avro_schema_t  *s;
    char                 err[256];

    text = slurp(name, "avsc", &len);
    s = strm_avro_compile((char *) text, len, err, sizeof(err));
    free(text);

    if (s == NULL) {
        printf("compile %s: %s\n", name, err);
        exit(2);
    }

    return s;
}


static int
rejects(strm_avro_schema_t *s, json_t *j, strm_rc_t rc, const char *field,
    const char *rule)
{
    json_t         *out;
    strm_rc_t       r;
    strm_reject_t   rej;

    memset(&rej, 0, sizeof(rej));
    out = NULL;
    r = strm_avro_check_json(s, j, &out, &rej);
    json_decref(out);

    if (r != rc || strcmp(rej.field, field) != 0
        || strcmp(rej.rule, rule) != 0)
    {
        printf("  got rc %d field \"%s\" rule \"%s\"\n", r, rej.field,
               rej.rule);
        return 0;
    }

    return 1;
}


static int
rejects_str(strm_avro_schema_t *s, const char *text, strm_rc_t rc,
    const char *field, const char *rule)
{
    int      ok;
    json_t  *j;

    j = json_loads(text, 0, NULL);
    if (j == NULL) {
        return 0;
    }

    ok = rejects(s, j, rc, field, rule);
    json_decref(j);

    return ok;
}


static int
decode_rejects(strm_avro_schema_t *s, const unsigned char *p, size_t n,
    strm_rc_t rc, const char *rule)
{
    json_t         *out;
    strm_rc_t       r;
    strm_reject_t   rej;

    memset(&rej, 0, sizeof(rej));
    out = NULL;
    r = strm_avro_decode(s, p, n, &out, &rej);
    json_decref(out);

    if (r != rc || strcmp(rej.rule, rule) != 0) {
        printf("  got rc %d field \"%s\" rule \"%s\"\n", r, rej.field,
               rej.rule);
        return 0;
    }

    return 1;
}


static void
known_answer(const char *name)
{
    size_t               blen, jlen, elen, i;
    json_t              *want, *got, *norm;
    strm_rc_t            rc;
    unsigned char       *bin, *text, *enc, *buf;
    strm_reject_t        rej;
    strm_avro_schema_t  *s;
    char                 what[128];

    s = load_schema(name);
    bin = slurp(name, "bin", &blen);
    text = slurp(name, "json", &jlen);
    want = json_loadb((char *) text, jlen, JSON_ALLOW_NUL, NULL);

    got = NULL;
    rc = strm_avro_decode(s, bin, blen, &got, &rej);
    snprintf(what, sizeof(what), "%s: decode equals the JSON", name);
    CHECK(rc == STRM_OK && json_equal(got, want), what);

    norm = NULL;
    rc = strm_avro_check_json(s, want, &norm, &rej);
    snprintf(what, sizeof(what), "%s: check_json keeps plain JSON", name);
    CHECK(rc == STRM_OK && json_equal(norm, want), what);

    enc = NULL;
    rc = strm_avro_encode(s, want, &enc, &elen, &rej);
    snprintf(what, sizeof(what), "%s: encode gives the same bytes", name);
    CHECK(rc == STRM_OK && elen == blen && memcmp(enc, bin, blen) == 0,
          what);

    for (i = 0; i < blen; i++) {
        snprintf(what, sizeof(what), "%s: prefix %zu is truncated", name, i);
        CHECK(decode_rejects(s, bin, i, STRM_E_INVALID_AVRO, "truncated"),
              what);
    }

    buf = malloc(blen + 1);
    memcpy(buf, bin, blen);
    buf[blen] = 0x02;
    snprintf(what, sizeof(what), "%s: trailing byte", name);
    CHECK(decode_rejects(s, buf, blen + 1, STRM_E_INVALID_AVRO, "trailing"),
          what);
    free(buf);

    free(enc);
    json_decref(norm);
    json_decref(got);
    json_decref(want);
    free(text);
    free(bin);
    strm_avro_free(s);
}


/*
 * The plain JSON the check gives, as bytes: the schema's order, defaults
 * filled in, Avro-JSON unions unwrapped, integers for floats written as
 * reals.  A check that stops building a second tree must keep them.
 */
static void
plain_bytes(void)
{
    char                *d;
    size_t               i;
    json_t              *j, *out;
    strm_rc_t            rc;
    strm_reject_t        rej;
    strm_avro_schema_t  *t;
    char                 err[256];

    static const char  schema[] =
        "{\"type\":\"record\",\"name\":\"T\",\"namespace\":\"x\",\"fields\":["
        "{\"name\":\"a\",\"type\":\"string\"},"
        "{\"name\":\"b\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"f\",\"type\":\"float\"},"
        "{\"name\":\"d\",\"type\":\"double\"},"
        "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
        "\"symbols\":[\"X\",\"Y\"]}},"
        "{\"name\":\"by\",\"type\":\"bytes\"},"
        "{\"name\":\"arr\",\"type\":{\"type\":\"array\","
        "\"items\":[\"null\",\"string\"]}},"
        "{\"name\":\"m\",\"type\":{\"type\":\"map\","
        "\"values\":[\"null\",\"long\"]}},"
        "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\","
        "\"fields\":[{\"name\":\"p\",\"type\":\"boolean\"},"
        "{\"name\":\"q\",\"type\":\"string\",\"default\":\"dq\"}]}}]}";

#define EXPECT_0 \
    "{\"a\":\"s\",\"b\":3,\"f\":1.5,\"d\":2.25,\"e\":\"X\",\"by\"" \
    ":\"\xc3""\xbf""\",\"arr\":[\"x\",null],\"m\":{\"k\":1,\"l\":" \
    "null},\"r\":{\"p\":true,\"q\":\"z\"}}"
#define EXPECT_1 \
    "{\"a\":\"s\",\"b\":3,\"f\":1.0,\"d\":2.0,\"e\":\"X\",\"by\":" \
    "\"\",\"arr\":[],\"m\":{},\"r\":{\"p\":false,\"q\":\"z\"}}"
#define EXPECT_2 \
    "{\"a\":\"s\",\"b\":null,\"f\":1.5,\"d\":2.25,\"e\":\"Y\",\"b" \
    "y\":\"b\",\"arr\":[null],\"m\":{\"k\":2},\"r\":{\"p\":true,\"" \
    "q\":\"dq\"}}"
#define EXPECT_3 \
    "{\"a\":\"s\",\"b\":null,\"f\":1.5,\"d\":2.25,\"e\":\"X\",\"b" \
    "y\":\"b\",\"arr\":[\"x\"],\"m\":{},\"r\":{\"p\":true,\"q\":\"" \
    "z\"}}"
#define EXPECT_4 \
    "{\"a\":\"s\",\"b\":3,\"f\":1.5,\"d\":2.25,\"e\":\"X\",\"by\"" \
    ":\"b\",\"arr\":[\"y\",\"x\",null],\"m\":{\"k\":1,\"l\":7},\"" \
    "r\":{\"p\":true,\"q\":\"z\"}}"
#define EXPECT_5 \
    "{\"a\":\"s\",\"b\":3,\"f\":1.5,\"d\":2.25,\"e\":\"X\",\"by\"" \
    ":\"b\",\"arr\":[\"x\"],\"m\":{\"k\":1},\"r\":{\"p\":true,\"q" \
    "\":\"dq\"}}"
#define PLAIN_ALL \
    "{\"a\":\"s\",\"b\":3,\"f\":1.5,\"d\":2.25,\"e\":\"X\"," \
    "\"by\":\"\\u00ff\",\"arr\":[\"x\",null],\"m\":{\"k\":1,\"l\":null}," \
    "\"r\":{\"p\":true,\"q\":\"z\"}}"

    static const char  *cases[][2] = {
        { PLAIN_ALL, EXPECT_0 },
        /* an integer for a float */
        { "{\"a\":\"s\",\"b\":3,\"f\":1,\"d\":2,\"e\":\"X\",\"by\":\"\","
          "\"arr\":[],\"m\":{},\"r\":{\"p\":false,\"q\":\"z\"}}", EXPECT_1 },
        /* defaults: b at the top, q in the inner record */
        { "{\"a\":\"s\",\"f\":1.5,\"d\":2.25,\"e\":\"Y\",\"by\":\"b\","
          "\"arr\":[null],\"m\":{\"k\":2},\"r\":{\"p\":true}}", EXPECT_2 },
        /* members out of the schema's order, outside and inside */
        { "{\"r\":{\"q\":\"z\",\"p\":true},\"a\":\"s\",\"b\":null,\"f\":1.5,"
          "\"d\":2.25,\"e\":\"X\",\"by\":\"b\",\"arr\":[\"x\"],\"m\":{}}",
          EXPECT_3 },
        /* Avro-JSON unions, in an array, a map and a field */
        { "{\"a\":\"s\",\"b\":{\"int\":3},\"f\":1.5,\"d\":2.25,\"e\":\"X\","
          "\"by\":\"b\",\"arr\":[\"y\",{\"string\":\"x\"},null],"
          "\"m\":{\"k\":1,\"l\":{\"long\":7}},\"r\":{\"p\":true,\"q\":\"z\"}}",
          EXPECT_4 },
        /* the last field the only one changed */
        { "{\"a\":\"s\",\"b\":3,\"f\":1.5,\"d\":2.25,\"e\":\"X\",\"by\":\"b\","
          "\"arr\":[\"x\"],\"m\":{\"k\":1},\"r\":{\"p\":true}}", EXPECT_5 },
    };

    t = strm_avro_compile(schema, sizeof(schema) - 1, err, sizeof(err));
    CHECK(t != NULL, "plain bytes: schema compiles");

    if (t == NULL) {
        printf("  %s\n", err);
        return;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        j = json_loads(cases[i][0], 0, NULL);
        out = NULL;
        rc = (j != NULL) ? strm_avro_check_json(t, j, &out, &rej)
                         : STRM_E_INTERNAL;
        d = (rc == STRM_OK) ? json_dumps(out, JSON_COMPACT) : NULL;

        CHECK(d != NULL && strcmp(d, cases[i][1]) == 0,
              "plain bytes: case as before");

        if (d != NULL && strcmp(d, cases[i][1]) != 0) {
            printf("  case %zu: %s\n", i, d);
        }

        free(d);
        json_decref(out);
        json_decref(j);
    }

    strm_avro_free(t);
}


int
main(void)
{
    size_t               n, blen;
    json_t              *j, *out;
    strm_rc_t            rc;
    const char          *type;
    unsigned char       *bin;
    strm_reject_t        rej;
    strm_avro_schema_t  *s, *c, *r;
    char                 err[256];
    unsigned char        bad[128];

    static const char  recursive[] =
        "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
        "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";

    plain_bytes();
    known_answer("demo1");
    known_answer("demo2");
    known_answer("click1");

    s = load_schema("demo1");
    c = load_schema("click1");

    CHECK(strcmp(strm_avro_name(s), "io.strm.demo.DemoEvent") == 0, "name");
    CHECK(strcmp(strm_avro_name(c), "io.strm.click.ClickEvent") == 0,
          "name 2");

    type = NULL;
    CHECK(strm_avro_has_field(s, "strmMeta/nonce", &type) == 1
          && strcmp(type, "int") == 0, "has_field nonce int");
    CHECK(strm_avro_has_field(s, "strmMeta/consentLevels", &type) == 1
          && strcmp(type, "array") == 0, "has_field array");
    CHECK(strm_avro_has_field(s, "strmMeta", &type) == 1
          && strcmp(type, "record") == 0, "has_field record");
    CHECK(strm_avro_has_field(c, "referrer/id", &type) == 1
          && strcmp(type, "string") == 0, "has_field via named union");
    CHECK(strm_avro_has_field(s, "strmMeta/nope", NULL) == 0,
          "has_field missing");
    CHECK(strm_avro_has_field(s, "consistentValue/x", NULL) == 0,
          "has_field below a string");

    CHECK(strm_avro_compile("{\"type\":\"string\"}", 17, err, sizeof(err))
          == NULL, "top level must be a record");
    CHECK(strm_avro_compile("{\"type\":", 8, err, sizeof(err)) == NULL,
          "bad schema JSON");

    /* Avro-JSON unions normalise to plain JSON, defaults fill in */
    j = json_loads("{\"strmMeta\":{\"eventContractRef\":\"e\","
                   "\"nonce\":{\"int\":5},\"consentLevels\":[1]},"
                   "\"uniqueIdentifier\":{\"string\":\"u\"},"
                   "\"consistentValue\":\"c\"}", 0, NULL);
    out = NULL;
    rc = strm_avro_check_json(s, j, &out, &rej);
    CHECK(rc == STRM_OK
          && json_integer_value(json_object_get(
                 json_object_get(out, "strmMeta"), "nonce")) == 5
          && strcmp(json_string_value(json_object_get(out,
                    "uniqueIdentifier")), "u") == 0
          && json_is_null(json_object_get(out, "notSensitiveValue"))
          && json_object_size(out) == 5, "Avro-JSON normalised");
    json_decref(out);
    json_decref(j);

    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"consentLevels\":[]}}", STRM_E_SCHEMA_VIOLATION,
                      "consistentValue", "required"), "required");
    CHECK(rejects_str(s, "{\"strmMeta\":{\"consentLevels\":[]},"
                      "\"consistentValue\":\"c\"}", STRM_E_SCHEMA_VIOLATION,
                      "strmMeta/eventContractRef", "required"),
          "nested required");
    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"consentLevels\":[1,\"x\"]},\"consistentValue\":"
                      "\"c\"}", STRM_E_SCHEMA_VIOLATION,
                      "strmMeta/consentLevels/1", "type"), "array type");
    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"consentLevels\":[]},\"consistentValue\":7}",
                      STRM_E_SCHEMA_VIOLATION, "consistentValue", "type"),
          "wrong type");
    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"consentLevels\":[]},\"consistentValue\":\"c\","
                      "\"extra\":1}", STRM_E_SCHEMA_VIOLATION, "extra",
                      "additionalProperties"), "unknown member");

    /* a field's name, a NUL and more: another member, refused too
     * (jansson's parser refuses it; an object made by hand has it) */
    j = json_loads("{\"strmMeta\":{\"eventContractRef\":\"e\","
                   "\"consentLevels\":[]},\"consistentValue\":\"c\"}", 0,
                   NULL);
    CHECK(j != NULL
          && json_object_setn_new(j, "uniqueIdentifier\0x", 18,
                                  json_string("u")) == 0
          && json_object_size(j) == 3
          && rejects(s, j, STRM_E_SCHEMA_VIOLATION, "uniqueIdentifier",
                     "additionalProperties"), "a member named with a NUL");
    json_decref(j);
    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"nonce\":\"x\",\"consentLevels\":[]},"
                      "\"consistentValue\":\"c\"}", STRM_E_SCHEMA_VIOLATION,
                      "strmMeta/nonce", "type"), "union single branch");
    CHECK(rejects_str(s, "{\"strmMeta\":{\"eventContractRef\":\"e\","
                      "\"nonce\":5000000000,\"consentLevels\":[]},"
                      "\"consistentValue\":\"c\"}", STRM_E_SCHEMA_VIOLATION,
                      "strmMeta/nonce", "type"), "int range");
    CHECK(rejects_str(c, "{\"sessionCount\":1,\"tags\":[],\"customer\":"
                      "{\"id\":\"x\"},\"kind\":\"NOPE\",\"props\":{},"
                      "\"score\":1,\"ok\":true,\"raw\":\"\"}",
                      STRM_E_SCHEMA_VIOLATION, "kind", "enum"), "enum");
    CHECK(rejects_str(c, "{\"sessionCount\":1,\"tags\":[],\"customer\":"
                      "{\"id\":\"x\"},\"referrer\":{},\"kind\":\"BUY\","
                      "\"props\":{},\"score\":1,\"ok\":true,\"raw\":\"\"}",
                      STRM_E_SCHEMA_VIOLATION, "referrer/id", "required"),
          "named record in union");
    CHECK(rejects_str(c, "{\"sessionCount\":1,\"tags\":[],\"customer\":"
                      "{\"id\":\"x\"},\"kind\":\"BUY\",\"props\":{},"
                      "\"score\":1,\"ok\":true,\"raw\":\"\\u0100\"}",
                      STRM_E_SCHEMA_VIOLATION, "raw", "type"),
          "bytes above 255");
    j = json_loads("{\"sessionCount\":1,\"tags\":[],\"customer\":"
                   "{\"id\":\"x\"},\"referrer\":{\"io.strm.click.Customer\":"
                   "{\"id\":\"r\"}},\"kind\":\"VIEW\",\"props\":"
                   "{\"a\":1},\"score\":1,\"ok\":false,"
                   "\"raw\":\"\\u00ff\"}", JSON_ALLOW_NUL, NULL);
    out = NULL;
    bin = NULL;
    rc = strm_avro_check_json(c, j, &out, &rej);
    CHECK(rc == STRM_OK
          && json_is_real(json_object_get(out, "score"))
          && strcmp(json_string_value(json_object_get(
                    json_object_get(out, "referrer"), "id")), "r") == 0,
          "Avro-JSON named branch");
    json_decref(j);
    j = NULL;
    rc = strm_avro_encode(c, out, &bin, &blen, &rej);
    CHECK(rc == STRM_OK
          && strm_avro_decode(c, bin, blen, &j, &rej) == STRM_OK
          && json_equal(j, out), "named branch round trip");
    json_decref(j);
    json_decref(out);
    free(bin);

    CHECK(rejects_str(s, "[1]", STRM_E_SCHEMA_VIOLATION, "", "type"),
          "top level not an object");

    /* binary: bad UTF-8, union index, negative length */
    bin = slurp("demo2", "bin", &blen);
    memcpy(bad, bin, blen);
    CHECK(bad[0] == 0x02 && bad[1] == 'x', "demo2 layout");

    bad[1] = 0xff;
    CHECK(decode_rejects(s, bad, blen, STRM_E_INVALID_AVRO, "utf8"),
          "bad UTF-8");
    bad[1] = 'x';

    bad[2] = 0x04;
    CHECK(decode_rejects(s, bad, blen, STRM_E_INVALID_AVRO, "union"),
          "union index out of range");
    bad[2] = 0x01;
    CHECK(decode_rejects(s, bad, blen, STRM_E_INVALID_AVRO, "union"),
          "negative union index");
    bad[2] = 0x00;

    bad[0] = 0x01;
    CHECK(decode_rejects(s, bad, blen, STRM_E_INVALID_AVRO, "length"),
          "negative length");
    free(bin);

    memset(bad, 0xff, sizeof(bad));
    CHECK(decode_rejects(s, bad, sizeof(bad), STRM_E_INVALID_AVRO,
                         "varint"), "overlong varint");

    /* recursion is bounded */
    r = strm_avro_compile(recursive, sizeof(recursive) - 1, err,
                          sizeof(err));
    CHECK(r != NULL, "recursive schema compiles");

    if (r != NULL) {
        memset(bad, 0x02, sizeof(bad));
        CHECK(decode_rejects(r, bad, sizeof(bad), STRM_E_TOO_DEEP, "depth"),
              "binary depth");

        j = json_null();
        for (n = 0; n < 100; n++) {
            j = json_pack("{so}", "next", j);
        }

        out = NULL;
        rc = strm_avro_check_json(r, j, &out, &rej);
        CHECK(rc == STRM_E_TOO_DEEP && strcmp(rej.rule, "depth") == 0,
              "JSON depth rule");
        json_decref(j);
        strm_avro_free(r);
    }

    strm_avro_free(c);
    strm_avro_free(s);

    return UNIT_DONE();
}
