
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of the event path: strm_event_parse() of plain JSON,
 * Avro-JSON and Avro binary events, every rejection (code, field, rule),
 * strm_event_write() (stamps, exact bytes, and against the path before
 * it over many events),
 * strm_event_dead_letter() and strm_event_reject_json(), and that no
 * rejection or dead letter ever carries a PII value.  Loads
 * t/unit/data/registry/ and t/unit/data/event/registry/; run from the
 * repository root (or pass the data directory as argv[1]).  Prints
 * "N passed, N failed".
 */


#include <stdlib.h>
#include <string.h>

#include "strm_avro_encode.h"
#include "strm_event.h"
#include "strm_event_ref.h"
#include "unit.h"


#define PII      "PII-SECRET-42"
#define UUID     "0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b"
#define EV_ID    "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"

#define DEMO     "strmprivacy/demo/1.0.2"
#define EXAMPLE  "strmprivacy/example/1.3.0"
#define CLICK    "strmprivacy/clickstream/1.0.0"
#define ORDERS   "acme/orders/1.0.0"
#define LOOSE    "acme/loose/1.0.0"


#define J        STRM_SER_JSON
#define A        STRM_SER_AVRO_BINARY

/* a demo event naming the example contract, its tail after strmMeta */
#define DEMO_META(levels)                                                    \
    "\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","                    \
    "\"consentLevels\":" levels "}"
#define DEMO_REST                                                            \
    "\"uniqueIdentifier\":\"" PII "-uid\","                                  \
    "\"consistentValue\":\"" PII "-key\","                                   \
    "\"someSensitiveValue\":\"" PII "-sens\","                               \
    "\"notSensitiveValue\":\"not-sensitive\""
#define DEMO_EVENT  "{" DEMO_META("[3,1,1,0]") "," DEMO_REST "}"

/* the same in Avro-JSON: unions wrapped, defaults spelt out */
#define DEMO_AVRO_JSON                                                       \
    "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","                   \
    "\"nonce\":null,\"timestamp\":null,\"keyLink\":null,"                    \
    "\"billingId\":null,\"consentLevels\":[3,1,1,0]},"                       \
    "\"uniqueIdentifier\":{\"string\":\"" PII "-uid\"},"                     \
    "\"consistentValue\":\"" PII "-key\","                                   \
    "\"someSensitiveValue\":{\"string\":\"" PII "-sens\"},"                  \
    "\"notSensitiveValue\":{\"string\":\"not-sensitive\"}}"

/* what it is written as, with the stamps in meta */
#define DEMO_OUT(meta)                                                       \
    "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\"," meta              \
    "\"billingId\":null,\"consentLevels\":[3,1,1,0]},"                       \
    "\"uniqueIdentifier\":\"" PII "-uid\","                                  \
    "\"consistentValue\":\"" PII "-key\","                                   \
    "\"someSensitiveValue\":\"" PII "-sens\","                               \
    "\"notSensitiveValue\":\"not-sensitive\"}"
#define DEMO_PLAIN                                                           \
    DEMO_OUT("\"nonce\":null,\"timestamp\":null,\"keyLink\":null,")
#define DEMO_STAMPED                                                         \
    DEMO_OUT("\"nonce\":42,\"timestamp\":1700000000123,\"keyLink\":null,")

#define CLICK_META                                                           \
    "\"strmMeta\":{\"eventContractRef\":\"" CLICK "\","                      \
    "\"consentLevels\":[0,1]}"
#define CLICK_EVENT(sid, url, cid)                                           \
    "{" CLICK_META ",\"producerSessionId\":\"" sid "\","                     \
    "\"url\":\"" url "\",\"eventType\":\"click\","                           \
    "\"referrer\":\"https://ref.example/\",\"userAgent\":\"ua/1.0\","        \
    "\"conversion\":1,\"abTests\":[\"a\",\"b\"],"                            \
    "\"customer\":{\"id\":\"" cid "\"}}"

#define ORDERS_EVENT(email)                                                  \
    "{\"strmMeta\":{\"eventContractRef\":\"" ORDERS "\","                    \
    "\"consentLevels\":[2]},\"orderId\":\"o-12\",\"amount\":5,"              \
    "\"customer\":{\"email\":\"" email "\",\"name\":\"n\"}}"


static strm_registry_t  *reg;
static strm_registry_t  *loose;
static const char       *data = "t/unit/data";


/* the event's JSON, stamped, nothing encrypted */
static strm_rc_t
ser(strm_event_t *ev, int64_t now, int32_t nonce, const char *link)
{
    size_t  n;

    return strm_event_write(ev, now, nonce, link, NULL, &n);
}


#define SER(ev)  ser(ev, 1700000000123LL, 42, NULL)


/* the rejection answer and the dead letter, checked as JSON */
static void
check_outputs(const char *name, strm_event_t *ev, strm_rc_t rc,
    strm_reject_t *rej, const char *ref, int dl_event)
{
    char                *rj, *dl;
    size_t               len, dlen;
    json_t              *doc, *v;
    const strm_error_t  *e;
    char                 what[512];

    e = strm_error_get(rc);
    len = 0;
    dlen = 0;

    rj = strm_event_reject_json(rc, rej, ref, ref ? strlen(ref) : 0, &len);
    snprintf(what, sizeof(what), "%s: reject json", name);
    CHECK(rj != NULL && len == strlen(rj), what);

    if (rj != NULL) {
        snprintf(what, sizeof(what), "%s: reject json has no PII", name);
        CHECK(strstr(rj, PII) == NULL, what);

        doc = json_loads(rj, 0, NULL);
        snprintf(what, sizeof(what), "%s: reject json members", name);
        CHECK(doc != NULL && json_object_size(doc) == 6
              && strcmp(json_string_value(json_object_get(doc, "error")),
                        e->message) == 0
              && strcmp(json_string_value(json_object_get(doc, "code")),
                        e->code) == 0
              && json_is_string(json_object_get(doc, "detail")), what);

        v = json_object_get(doc, "schemaRef");
        snprintf(what, sizeof(what), "%s: reject json schemaRef", name);
        CHECK((ref == NULL || *ref == '\0') ? json_is_null(v)
              : (json_is_string(v)
                 && strcmp(json_string_value(v), ref) == 0), what);

        v = json_object_get(doc, "field");
        snprintf(what, sizeof(what), "%s: reject json field", name);
        CHECK(rej->field[0] == '\0' ? json_is_null(v)
              : (json_is_string(v)
                 && strcmp(json_string_value(v), rej->field) == 0), what);

        v = json_object_get(doc, "rule");
        snprintf(what, sizeof(what), "%s: reject json rule", name);
        CHECK(json_is_string(v) && strcmp(json_string_value(v), rej->rule)
                                   == 0, what);

        json_decref(doc);
        free(rj);
    }

    dl = strm_event_dead_letter(ev, rc, rej, ref, ref ? strlen(ref) : 0,
                                "client-1", EV_ID, 1700000000000LL, &dlen);
    snprintf(what, sizeof(what), "%s: dead letter", name);
    CHECK(dl != NULL && dlen == strlen(dl), what);

    if (dl == NULL) {
        return;
    }

    snprintf(what, sizeof(what), "%s: dead letter has no PII", name);
    CHECK(strstr(dl, PII) == NULL, what);

    if (strstr(dl, PII) != NULL) {
        printf("  %s\n", dl);
    }

    doc = json_loads(dl, 0, NULL);
    snprintf(what, sizeof(what), "%s: dead letter members", name);
    CHECK(doc != NULL && json_object_size(doc) == 10
          && strcmp(json_string_value(json_object_get(doc, "code")),
                    e->code) == 0
          && strcmp(json_string_value(json_object_get(doc, "eventId")),
                    EV_ID) == 0
          && json_integer_value(json_object_get(doc, "timestamp"))
             == 1700000000000LL, what);

    v = json_object_get(doc, "event");
    snprintf(what, sizeof(what), "%s: dead letter event %s", name,
             dl_event ? "present" : "null");
    CHECK(dl_event ? json_is_object(v) : json_is_null(v), what);

    json_decref(doc);
    free(dl);
}


/* one refused event: the code, the field and the rule, and the outputs */
static void
expect(const char *name, const char *ref, strm_ser_e ser, const void *body,
    size_t len, strm_rc_t want, const char *field, const char *rule,
    int dl_event)
{
    strm_rc_t      rc;
    strm_event_t   ev;
    strm_reject_t  rej;
    char           what[512];

    memset(&rej, 0, sizeof(rej));

    rc = strm_event_parse(ref == NULL || strncmp(ref, "acme/loose", 10) != 0
                          ? reg : loose, ref, ref ? strlen(ref) : 0, ser,
                          body, len, &ev, &rej);

    snprintf(what, sizeof(what), "%s -> %d \"%s\" \"%s\"", name, want, field,
             rule);
    CHECK(rc == want && strcmp(rej.field, field) == 0
          && strcmp(rej.rule, rule) == 0, what);

    if (rc != want || strcmp(rej.field, field) != 0
        || strcmp(rej.rule, rule) != 0)
    {
        printf("  got %d \"%s\" \"%s\" \"%s\"\n", rc, rej.field, rej.rule,
               rej.detail);
    }

    snprintf(what, sizeof(what), "%s: reject has no PII", name);
    CHECK(strstr(rej.field, PII) == NULL && strstr(rej.rule, PII) == NULL
          && strstr(rej.detail, PII) == NULL, what);

    if (rc != STRM_OK) {
        check_outputs(name, &ev, rc, &rej, ref, dl_event);
    }

    strm_event_free(&ev);

    snprintf(what, sizeof(what), "%s: freed", name);
    CHECK(ev.event == NULL && ev.in == NULL && ev.json == NULL
          && ev.len == 0, what);
}


#define EXPECT(name, ref, body, want, field, rule, dl)                       \
    expect(name, ref, J, body, sizeof(body) - 1, want, field, rule, dl)


/* plain JSON into the schema's Avro binary, malloc()ed; NULL on error */
static unsigned char *
avro_bin(const char *ref, const char *text, size_t *len)
{
    json_t               *doc, *plain;
    strm_rc_t             rc;
    strm_reject_t         rej;
    unsigned char        *bin;
    const strm_schema_t  *s;

    s = strm_registry_schema(reg, ref, strlen(ref));
    if (s == NULL || s->avro == NULL) {
        return NULL;
    }

    doc = json_loads(text, 0, NULL);
    if (doc == NULL) {
        return NULL;
    }

    /* strm_avro_encode() wants plain JSON with every field */
    rc = strm_avro_check_json(s->avro, doc, &plain, &rej);
    json_decref(doc);

    if (rc != STRM_OK) {
        return NULL;
    }

    bin = NULL;
    rc = strm_avro_encode(s->avro, plain, &bin, len, &rej);
    json_decref(plain);

    return (rc == STRM_OK) ? bin : NULL;
}


static void
test_valid(void)
{
    char           *a, *b;
    size_t          len;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;
    unsigned char  *bin;

    /* plain JSON */
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) DEMO_EVENT,
                          sizeof(DEMO_EVENT) - 1, &ev, &rej);
    CHECK(rc == STRM_OK, "demo json ok");
    CHECK(ev.schema == strm_registry_schema(reg, DEMO, sizeof(DEMO) - 1),
          "demo json schema");
    CHECK(ev.contract != NULL && ev.contract
          == strm_registry_contract(reg, EXAMPLE, sizeof(EXAMPLE) - 1),
          "demo json contract");
    CHECK(ev.contract != NULL && strcmp(ev.contract->ref, EXAMPLE) == 0,
          "demo json contract ref");
    CHECK(strcmp(ev.consent, "0,1,3") == 0, "demo consent text");
    CHECK(ev.nlevels == 3 && ev.levels[0] == 0 && ev.levels[1] == 1
          && ev.levels[2] == 3, "demo levels sorted distinct");
    CHECK(ev.json == NULL && ev.len == 0, "demo not serialized yet");

    CHECK(SER(&ev) == STRM_OK, "demo serialize");
    CHECK(ev.json != NULL && strcmp(ev.json, DEMO_STAMPED) == 0,
          "demo serialized in schema order");
    CHECK(ev.json != NULL && ev.len == strlen(ev.json), "demo len");

    if (ev.json != NULL && strcmp(ev.json, DEMO_STAMPED) != 0) {
        printf("  got %s\n", ev.json);
    }

    a = (ev.json != NULL) ? strdup(ev.json) : NULL;

    /* stamp: keyLink null */
    CHECK(SER(&ev) == STRM_OK, "serialize again");
    CHECK(ev.json != NULL && strcmp(ev.json, DEMO_OUT(
              "\"nonce\":42,\"timestamp\":1700000000123,\"keyLink\":null,"))
          == 0, "stamped null keyLink");

    /* stamp again: a UUID, a negative nonce, replaces in place */
    CHECK(ser(&ev, 1, -7, UUID) == STRM_OK, "serialize uuid");
    CHECK(ev.json != NULL && strcmp(ev.json, DEMO_OUT(
              "\"nonce\":-7,\"timestamp\":1,\"keyLink\":\"" UUID "\","))
          == 0, "stamped uuid keyLink");
    CHECK(ev.json != NULL && ev.len == strlen(ev.json), "stamped len");

    /* only 36 bytes of the key link are taken */
    CHECK(ser(&ev, 2, 3, UUID "trailing") == STRM_OK
          && strstr(ev.json, "\"keyLink\":\"" UUID "\",") != NULL,
          "stamp takes 36 bytes");

    strm_event_free(&ev);
    CHECK(ev.event == NULL && ev.in == NULL && ev.key == NULL
          && ev.json == NULL && ev.len == 0, "demo freed");
    strm_event_free(&ev);
    CHECK(ev.event == NULL && ev.in == NULL, "free twice is harmless");

    /* Avro-JSON: the same plain JSON */
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) DEMO_AVRO_JSON,
                          sizeof(DEMO_AVRO_JSON) - 1, &ev, &rej);
    CHECK(rc == STRM_OK, "demo avro-json ok");
    CHECK(strcmp(ev.consent, "0,1,3") == 0 && ev.nlevels == 3,
          "demo avro-json consent");
    CHECK(SER(&ev) == STRM_OK && a != NULL
          && strcmp(ev.json, a) == 0, "avro-json serializes as plain");
    strm_event_free(&ev);

    /* Avro binary of the plain JSON: the same */
    bin = avro_bin(DEMO, DEMO_EVENT, &len);
    CHECK(bin != NULL, "demo avro encode");

    if (bin != NULL) {
        rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, A, bin, len, &ev,
                              &rej);
        CHECK(rc == STRM_OK, "demo avro binary ok");
        CHECK(strcmp(ev.consent, "0,1,3") == 0 && ev.nlevels == 3
              && ev.contract != NULL
              && strcmp(ev.contract->ref, EXAMPLE) == 0,
              "demo avro binary meta");
        CHECK(SER(&ev) == STRM_OK && a != NULL
              && strcmp(ev.json, a) == 0, "avro binary serializes as json");

        b = ev.json;
        ev.json = NULL;
        strm_event_free(&ev);

        /* through the example schema (same record) too */
        rc = strm_event_parse(reg, EXAMPLE, sizeof(EXAMPLE) - 1, A, bin, len,
                              &ev, &rej);
        CHECK(rc == STRM_OK && SER(&ev) == STRM_OK
              && b != NULL && strcmp(ev.json, b) == 0,
              "example schema decodes the same");
        strm_event_free(&ev);

        free(b);
        free(bin);
    }

    free(a);

    /* no consent at all is allowed; the example schema's own ref */
    rc = strm_event_parse(reg, EXAMPLE, sizeof(EXAMPLE) - 1, J,
                          (const unsigned char *)
                          "{" DEMO_META("[]") "," DEMO_REST "}",
                          sizeof("{" DEMO_META("[]") "," DEMO_REST "}") - 1,
                          &ev, &rej);
    CHECK(rc == STRM_OK && ev.nlevels == 0 && ev.consent[0] == '\0',
          "empty consent");
    strm_event_free(&ev);

    /* 64 levels at the edges: 0 and 1000, all kept, text fits */
    {
        int     i;
        char    body[2048], levels[1024], *p;
        size_t  n;

        p = levels;
        *p++ = '[';

        for (i = 0; i < 64; i++) {
            p += sprintf(p, "%s%d", i ? "," : "", i == 63 ? 1000 : 999 - i);
        }

        *p++ = ']';
        *p = '\0';

        n = snprintf(body, sizeof(body), "{\"strmMeta\":{\"eventContractRef\""
                     ":\"" EXAMPLE "\",\"consentLevels\":%s}," DEMO_REST "}",
                     levels);

        rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                              (const unsigned char *) body, n, &ev, &rej);
        CHECK(rc == STRM_OK && ev.nlevels == 64 && ev.levels[0] == 937
              && ev.levels[62] == 999 && ev.levels[63] == 1000,
              "64 levels");

        /* 63 numbers of 3 digits, 1000, 63 commas */
        CHECK(strncmp(ev.consent, "937,938,", 8) == 0
              && strlen(ev.consent) == 63 * 3 + 4 + 63
              && strcmp(ev.consent + strlen(ev.consent) - 8, "999,1000")
                 == 0, "64 levels text");
        strm_event_free(&ev);
    }

    /* clickstream: JSON and Avro binary */
    rc = strm_event_parse(reg, CLICK, sizeof(CLICK) - 1, J,
                          (const unsigned char *)
                          CLICK_EVENT("s-1", "https://a.example/x", "c-1"),
                          sizeof(CLICK_EVENT("s-1", "https://a.example/x",
                                             "c-1")) - 1, &ev, &rej);
    CHECK(rc == STRM_OK && strcmp(ev.consent, "0,1") == 0
          && ev.contract != NULL && strcmp(ev.contract->ref, CLICK) == 0,
          "clickstream json ok");
    CHECK(SER(&ev) == STRM_OK, "clickstream serialize");
    a = ev.json;
    ev.json = NULL;
    strm_event_free(&ev);

    bin = avro_bin(CLICK, CLICK_EVENT("s-1", "https://a.example/x", "c-1"),
                   &len);
    CHECK(bin != NULL, "clickstream avro encode");

    if (bin != NULL) {
        rc = strm_event_parse(reg, CLICK, sizeof(CLICK) - 1, A, bin, len,
                              &ev, &rej);
        CHECK(rc == STRM_OK && SER(&ev) == STRM_OK
              && a != NULL && strcmp(ev.json, a) == 0,
              "clickstream avro binary same as json");
        strm_event_free(&ev);
        free(bin);
    }

    free(a);

    /* a JSON Schema event keeps its member order; stamp appends */
    rc = strm_event_parse(reg, ORDERS, sizeof(ORDERS) - 1, J,
                          (const unsigned char *) ORDERS_EVENT("a@b"),
                          sizeof(ORDERS_EVENT("a@b")) - 1, &ev, &rej);
    CHECK(rc == STRM_OK && strcmp(ev.consent, "2") == 0
          && ev.contract != NULL && strcmp(ev.contract->ref, ORDERS) == 0,
          "orders json ok");
    CHECK(ser(&ev, 5, 6, NULL) == STRM_OK
          && strcmp(ev.json, "{\"strmMeta\":{\"eventContractRef\":\"" ORDERS
                    "\",\"consentLevels\":[2],\"timestamp\":5,\"nonce\":6,"
                    "\"keyLink\":null},\"orderId\":\"o-12\",\"amount\":5,"
                    "\"customer\":{\"email\":\"a@b\",\"name\":\"n\"}}") == 0,
          "orders stamped");
    strm_event_free(&ev);

    /* written without a checked event cannot happen, but says so */
    memset(&ev, 0, sizeof(ev));
    ev.event = json_object();
    CHECK(ser(&ev, 1, 1, NULL) == STRM_E_INTERNAL,
          "written without a contract");
    strm_event_free(&ev);
}


static void
test_refs(void)
{
    /* no ref, an unknown one, a malformed one (which may be anything) */
    expect("no ref", NULL, J, DEMO_EVENT, sizeof(DEMO_EVENT) - 1,
           STRM_E_SCHEMA_REF_MISSING, "", "required", 0);
    expect("empty ref", "", J, DEMO_EVENT, sizeof(DEMO_EVENT) - 1,
           STRM_E_SCHEMA_REF_MISSING, "", "required", 0);
    EXPECT("unknown ref", "strmprivacy/nosuch/1.0.0", DEMO_EVENT,
           STRM_E_SCHEMA_UNKNOWN, "", "known", 0);
    EXPECT("malformed ref", "not a ref", DEMO_EVENT, STRM_E_SCHEMA_UNKNOWN,
           "", "known", 0);
    EXPECT("ref ../", "../demo/1.0.2", DEMO_EVENT, STRM_E_SCHEMA_UNKNOWN,
           "", "known", 0);

    /* a prefix of a known ref is not that ref */
    {
        strm_event_t   ev;
        strm_reject_t  rej;

        strm_event_parse(reg, "not a ref", 9, J,
                         (const unsigned char *) "{}", 2, &ev, &rej);
        CHECK(strstr(rej.detail, "handle/name/version") != NULL,
              "malformed ref detail");
        strm_event_free(&ev);

        strm_event_parse(reg, "a/b/1.0.0", 9, J,
                         (const unsigned char *) "{}", 2, &ev, &rej);
        CHECK(strstr(rej.detail, "no such schema") != NULL,
              "unknown ref detail");
        strm_event_free(&ev);
    }

    expect("contract-only prefix", "strmprivacy/demo/1.0", J, DEMO_EVENT,
           sizeof(DEMO_EVENT) - 1, STRM_E_SCHEMA_UNKNOWN, "", "known", 0);

    /* Avro binary for a JSON Schema */
    expect("avro for json schema", ORDERS, A, ORDERS_EVENT("a@b"),
           sizeof(ORDERS_EVENT("a@b")) - 1, STRM_E_MEDIA_TYPE, "",
           "serialization", 0);

    /* no body */
    expect("empty body", DEMO, J, "", 0, STRM_E_EMPTY_BODY, "", "required",
           0);
    expect("empty avro body", DEMO, A, "", 0, STRM_E_EMPTY_BODY, "",
           "required", 0);
}


static void
test_json_body(void)
{
    int             i;
    char           *deep;
    size_t          n;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;

    EXPECT("syntax", DEMO, "{\"strmMeta\":", STRM_E_INVALID_JSON, "",
           "syntax", 0);
    EXPECT("syntax pii", DEMO, "{\"consistentValue\":\"" PII "\" " PII "}",
           STRM_E_INVALID_JSON, "", "syntax", 0);
    EXPECT("not json", DEMO, PII, STRM_E_INVALID_JSON, "", "syntax", 0);
    EXPECT("trailing garbage", DEMO, DEMO_EVENT " x", STRM_E_INVALID_JSON,
           "", "syntax", 0);
    EXPECT("two objects", DEMO, DEMO_EVENT DEMO_EVENT, STRM_E_INVALID_JSON,
           "", "syntax", 0);
    EXPECT("utf8", DEMO, "{" DEMO_META("[1]") "," DEMO_REST
           ",\"x\":\"" PII "\xc3\x28\"}", STRM_E_INVALID_JSON, "", "utf8", 0);
    EXPECT("utf8 overlong", DEMO, "{\"uniqueIdentifier\":\"\xc0\xaf\"}",
           STRM_E_INVALID_JSON, "", "utf8", 0);
    EXPECT("utf8 surrogate", DEMO, "{\"a\":\"\xed\xa0\x80\"}",
           STRM_E_INVALID_JSON, "", "utf8", 0);
    EXPECT("duplicate", DEMO, "{" DEMO_META("[1]") "," DEMO_REST
           ",\"consistentValue\":\"" PII "\"}", STRM_E_INVALID_JSON, "",
           "duplicate", 0);
    EXPECT("duplicate nested", DEMO, "{\"strmMeta\":{\"consentLevels\":[1],"
           "\"consentLevels\":[2]}}", STRM_E_INVALID_JSON, "", "duplicate",
           0);
    EXPECT("top-level array", DEMO, "[" DEMO_EVENT "]", STRM_E_INVALID_JSON,
           "", "type", 0);

    /* jansson refuses a scalar at the top as a syntax error */
    EXPECT("top-level string", DEMO, "\"" PII "\"", STRM_E_INVALID_JSON, "",
           "syntax", 0);
    EXPECT("top-level null", DEMO, "null", STRM_E_INVALID_JSON, "",
           "syntax", 0);
    expect("nul byte", DEMO, J, "{\"a\":1}\0", 8, STRM_E_INVALID_JSON, "",
           "syntax", 0);

    /* 65 levels in a free member of a JSON Schema event */
    deep = malloc(700000);
    if (deep == NULL) {
        CHECK(0, "malloc");
        return;
    }

    n = sprintf(deep, "{\"strmMeta\":{\"eventContractRef\":\"" LOOSE "\","
                "\"consentLevels\":[]},\"name\":\"k\",\"blob\":");
    for (i = 0; i < 65; i++) {
        deep[n++] = '[';
    }
    for (i = 0; i < 65; i++) {
        deep[n++] = ']';
    }
    deep[n++] = '}';

    rc = strm_event_parse(loose, LOOSE, sizeof(LOOSE) - 1, J,
                          (unsigned char *) deep, n, &ev, &rej);
    CHECK(rc == STRM_E_TOO_DEEP, "65 deep json in a free member refused");
    strm_event_free(&ev);

    /* past jansson's own limit (2048) */
    n -= 65 * 2 + 1;
    for (i = 0; i < 3000; i++) {
        deep[n++] = '[';
    }
    for (i = 0; i < 3000; i++) {
        deep[n++] = ']';
    }
    deep[n++] = '}';

    expect("3000 deep json", LOOSE, J, deep, n, STRM_E_TOO_DEEP, "",
           "depth", 0);

    /* 65 levels where the Avro schema has a string: its type fails */
    n = sprintf(deep, "{" DEMO_META("[1]") ",\"uniqueIdentifier\":");
    for (i = 0; i < 65; i++) {
        n += sprintf(deep + n, "{\"a\":");
    }
    n += sprintf(deep + n, "1");
    for (i = 0; i < 65; i++) {
        deep[n++] = '}';
    }
    n += sprintf(deep + n, ",\"consistentValue\":\"k\"}");

    expect("65 deep avro json", DEMO, J, deep, n, STRM_E_TOO_DEEP,
           "", "depth", 0);

    /* 100000 levels: refused by the parser, no stack blow-up */
    n = 0;
    for (i = 0; i < 100000; i++) {
        deep[n++] = '[';
    }
    for (i = 0; i < 100000; i++) {
        deep[n++] = ']';
    }

    expect("100000 deep array", DEMO, J, deep, n, STRM_E_TOO_DEEP, "",
           "depth", 0);

    n = sprintf(deep, "{\"strmMeta\":");
    for (i = 0; i < 100000; i++) {
        n += sprintf(deep + n, "{\"a\":");
    }

    expect("100000 deep unclosed", DEMO, J, deep, n, STRM_E_TOO_DEEP, "",
           "depth", 0);

    free(deep);
}


static void
test_avro_body(void)
{
    size_t          len;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;
    unsigned char  *bin, *more;

    bin = avro_bin(DEMO, DEMO_EVENT, &len);
    if (bin == NULL) {
        CHECK(0, "demo avro encode");
        return;
    }

    expect("avro truncated", DEMO, A, bin, len - 1, STRM_E_INVALID_AVRO,
           "notSensitiveValue", "truncated", 0);
    expect("avro truncated to 1", DEMO, A, bin, 1, STRM_E_INVALID_AVRO,
           "strmMeta/eventContractRef", "truncated", 0);

    more = malloc(len + 1);
    if (more != NULL) {
        memcpy(more, bin, len);
        more[len] = 0;
        expect("avro trailing", DEMO, A, more, len + 1, STRM_E_INVALID_AVRO,
               "", "trailing", 0);
        free(more);
    }

    /* the JSON text of an event is not Avro binary */
    expect("json as avro", DEMO, A, DEMO_EVENT, sizeof(DEMO_EVENT) - 1,
           STRM_E_INVALID_AVRO, "strmMeta/eventContractRef", "length", 0);

    /* a union index out of range: the last field is ["null","string"] */
    bin[len - (sizeof("not-sensitive") - 1) - 2] = 4;
    expect("avro union index", DEMO, A, bin, len, STRM_E_INVALID_AVRO,
           "notSensitiveValue", "union", 0);

    free(bin);

    /* invalid UTF-8 in a string */
    bin = avro_bin(DEMO, "{" DEMO_META("[1]") ",\"consistentValue\":\"k\","
                   "\"notSensitiveValue\":\"ab\"}", &len);
    if (bin == NULL) {
        CHECK(0, "demo avro encode 2");
        return;
    }

    bin[len - 1] = 0xff;
    expect("avro utf8", DEMO, A, bin, len, STRM_E_INVALID_AVRO,
           "notSensitiveValue", "utf8", 0);
    /* a NUL in an Avro string is kept (JSON text refuses \u0000) */
    bin[len - 1] = 0;
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, A, bin, len, &ev,
                          &rej);
    CHECK(rc == STRM_OK && SER(&ev) == STRM_OK
          && strstr(ev.json, "\"notSensitiveValue\":\"a\\u0000\"}")
             != NULL, "avro nul kept");
    strm_event_free(&ev);

    free(bin);

    /* Avro binary that decodes, then fails strmMeta / the contract */
    bin = avro_bin(DEMO, "{" DEMO_META("[1,1001]") "," DEMO_REST "}", &len);
    CHECK(bin != NULL, "avro encode 1001");
    if (bin != NULL) {
        expect("avro level 1001", DEMO, A, bin, len, STRM_E_STRM_META,
               "strmMeta/consentLevels", "range", 0);
        free(bin);
    }

    bin = avro_bin(DEMO, "{" DEMO_META("[1]") ",\"uniqueIdentifier\":\"" PII
                   "\",\"consistentValue\":\"\"}", &len);
    CHECK(bin != NULL, "avro encode empty key");
    if (bin != NULL) {
        expect("avro key empty", DEMO, A, bin, len, STRM_E_KEY_EMPTY,
               "consistentValue", "keyField", 1);
        free(bin);
    }
}


static void
test_schema(void)
{
    /* Avro schema: plain JSON and Avro-JSON mismatches */
    EXPECT("type error", DEMO, "{" DEMO_META("[1]") ",\"consistentValue\":"
           "42,\"uniqueIdentifier\":\"" PII "\"}", STRM_E_SCHEMA_VIOLATION,
           "consistentValue", "type", 0);
    EXPECT("union type error", DEMO, "{" DEMO_META("[1]")
           ",\"uniqueIdentifier\":42,\"consistentValue\":\"" PII "\"}",
           STRM_E_SCHEMA_VIOLATION, "uniqueIdentifier", "type", 0);
    EXPECT("wrapped wrong branch", DEMO, "{" DEMO_META("[1]")
           ",\"uniqueIdentifier\":{\"int\":1},\"consistentValue\":\"k\"}",
           STRM_E_SCHEMA_VIOLATION, "uniqueIdentifier", "type", 0);
    EXPECT("missing field", DEMO, "{" DEMO_META("[1]")
           ",\"uniqueIdentifier\":\"" PII "\"}", STRM_E_SCHEMA_VIOLATION,
           "consistentValue", "required", 0);
    EXPECT("extra member", DEMO, "{" DEMO_META("[1]") "," DEMO_REST
           ",\"extra\":\"" PII "\"}", STRM_E_SCHEMA_VIOLATION, "extra",
           "additionalProperties", 0);
    EXPECT("nonce too big", DEMO, "{\"strmMeta\":{\"eventContractRef\":\""
           EXAMPLE "\",\"consentLevels\":[1],\"nonce\":2147483648},"
           DEMO_REST "}", STRM_E_SCHEMA_VIOLATION, "strmMeta/nonce", "type",
           0);

    /* strmMeta as the Avro schema has it */
    EXPECT("missing strmMeta", DEMO, "{" DEMO_REST "}",
           STRM_E_SCHEMA_VIOLATION, "strmMeta", "required", 0);
    EXPECT("missing consentLevels", DEMO, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" EXAMPLE "\"}," DEMO_REST "}",
           STRM_E_SCHEMA_VIOLATION, "strmMeta/consentLevels", "required", 0);
    EXPECT("consentLevels string", DEMO, "{" DEMO_META("[1,\"" PII "\"]")
           "," DEMO_REST "}", STRM_E_SCHEMA_VIOLATION,
           "strmMeta/consentLevels/1", "type", 0);
    EXPECT("missing eventContractRef", DEMO, "{\"strmMeta\":{"
           "\"consentLevels\":[1]}," DEMO_REST "}", STRM_E_SCHEMA_VIOLATION,
           "strmMeta/eventContractRef", "required", 0);
    EXPECT("eventContractRef not a string", DEMO, "{\"strmMeta\":{"
           "\"eventContractRef\":42,\"consentLevels\":[1]}," DEMO_REST "}",
           STRM_E_SCHEMA_VIOLATION, "strmMeta/eventContractRef", "type", 0);

    /* JSON Schema */
    EXPECT("json schema minimum", ORDERS, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" ORDERS "\",\"consentLevels\":[2]},"
           "\"orderId\":\"o-12\",\"amount\":-1}", STRM_E_SCHEMA_VIOLATION,
           "amount", "minimum", 0);
    EXPECT("json schema maxLength pii", ORDERS, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" ORDERS "\",\"consentLevels\":[2]},"
           "\"orderId\":\"o-" PII "\",\"amount\":1}",
           STRM_E_SCHEMA_VIOLATION, "orderId", "maxLength", 0);
    EXPECT("json schema pattern pii", ORDERS, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" ORDERS "\",\"consentLevels\":[2]},"
           "\"orderId\":\"PII-1\",\"amount\":1}", STRM_E_SCHEMA_VIOLATION,
           "orderId", "pattern", 0);
    EXPECT("json schema required email", ORDERS, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" ORDERS "\",\"consentLevels\":[2]},"
           "\"orderId\":\"o-12\",\"amount\":1,\"customer\":{\"name\":\""
           PII "\"}}", STRM_E_SCHEMA_VIOLATION, "customer/email",
           "required", 0);
}


static void
test_meta(void)
{
    int     i;
    char    body[1024];
    size_t  n;

    /* the gateway's own strmMeta checks: numbers the schema lets by */
    EXPECT("level negative", DEMO, "{" DEMO_META("[1,-1]") "," DEMO_REST "}",
           STRM_E_STRM_META, "strmMeta/consentLevels", "range", 0);
    EXPECT("level 1001", DEMO, "{" DEMO_META("[1001]") "," DEMO_REST "}",
           STRM_E_STRM_META, "strmMeta/consentLevels", "range", 0);
    EXPECT("level int32 max", DEMO, "{" DEMO_META("[2147483647]") ","
           DEMO_REST "}", STRM_E_STRM_META, "strmMeta/consentLevels",
           "range", 0);

    n = sprintf(body, "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","
                "\"consentLevels\":[");
    for (i = 0; i < 65; i++) {
        n += sprintf(body + n, "%s%d", i ? "," : "", i % 3);
    }
    n += sprintf(body + n, "]}," DEMO_REST "}");

    expect("65 levels", DEMO, J, body, n, STRM_E_STRM_META,
           "strmMeta/consentLevels", "maxItems", 0);

    /* a schema that lets anything through as strmMeta */
#define LM(meta)  "{\"strmMeta\":" meta ",\"name\":\"" PII "\"}"

    EXPECT("loose ok", LOOSE, LM("{\"eventContractRef\":\"" LOOSE "\","
           "\"consentLevels\":[1]}"), STRM_OK, "", "", 0);
    EXPECT("loose no strmMeta", LOOSE, "{\"name\":\"" PII "\"}",
           STRM_E_STRM_META, "strmMeta", "required", 0);
    EXPECT("loose null strmMeta", LOOSE, LM("null"), STRM_E_STRM_META,
           "strmMeta", "required", 0);
    EXPECT("loose array strmMeta", LOOSE, LM("[\"" PII "\"]"),
           STRM_E_STRM_META, "strmMeta", "type", 0);
    EXPECT("loose string strmMeta", LOOSE, LM("\"" PII "\""),
           STRM_E_STRM_META, "strmMeta", "type", 0);
    EXPECT("loose no consentLevels", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\"}"), STRM_E_STRM_META, "strmMeta/consentLevels",
           "required", 0);
    EXPECT("loose null consentLevels", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":null}"), STRM_E_STRM_META,
           "strmMeta/consentLevels", "required", 0);
    EXPECT("loose consentLevels string", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":\"" PII "\"}"), STRM_E_STRM_META,
           "strmMeta/consentLevels", "type", 0);
    EXPECT("loose level string", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":[1,\"" PII "\"]}"), STRM_E_STRM_META,
           "strmMeta/consentLevels", "type", 0);
    EXPECT("loose level real", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":[1.0]}"), STRM_E_STRM_META,
           "strmMeta/consentLevels", "type", 0);
    EXPECT("loose level huge", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":[9223372036854775807]}"),
           STRM_E_STRM_META, "strmMeta/consentLevels", "range", 0);
    EXPECT("loose level negative huge", LOOSE, LM("{\"eventContractRef\":\""
           LOOSE "\",\"consentLevels\":[-9223372036854775807]}"),
           STRM_E_STRM_META, "strmMeta/consentLevels", "range", 0);
    EXPECT("loose no contract ref", LOOSE, LM("{\"consentLevels\":[1]}"),
           STRM_E_STRM_META, "strmMeta/eventContractRef", "required", 0);
    EXPECT("loose null contract ref", LOOSE, LM("{\"consentLevels\":[1],"
           "\"eventContractRef\":null}"), STRM_E_STRM_META,
           "strmMeta/eventContractRef", "required", 0);
    EXPECT("loose contract ref number", LOOSE, LM("{\"consentLevels\":[1],"
           "\"eventContractRef\":42}"), STRM_E_STRM_META,
           "strmMeta/eventContractRef", "type", 0);
    EXPECT("loose contract ref object", LOOSE, LM("{\"consentLevels\":[1],"
           "\"eventContractRef\":{\"x\":\"" PII "\"}}"), STRM_E_STRM_META,
           "strmMeta/eventContractRef", "type", 0);
    EXPECT("loose contract ref nul", LOOSE, LM("{\"consentLevels\":[1],"
           "\"eventContractRef\":\"" LOOSE "\\u0000\"}"),
           STRM_E_CONTRACT_UNKNOWN, "strmMeta/eventContractRef", "known", 0);

#undef LM

    /* the contract ref */
    EXPECT("contract unknown", DEMO, "{\"strmMeta\":{\"eventContractRef\":"
           "\"strmprivacy/nosuch/1.0.0\",\"consentLevels\":[1]}," DEMO_REST
           "}", STRM_E_CONTRACT_UNKNOWN, "strmMeta/eventContractRef",
           "known", 0);
    EXPECT("contract malformed pii", DEMO, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" PII "\",\"consentLevels\":[1]},"
           DEMO_REST "}", STRM_E_CONTRACT_UNKNOWN,
           "strmMeta/eventContractRef", "known", 0);
    EXPECT("contract of a schema without one", DEMO, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" DEMO "\",\"consentLevels\":[1]},"
           DEMO_REST "}", STRM_E_CONTRACT_UNKNOWN,
           "strmMeta/eventContractRef", "known", 0);
}


static void
test_contract(void)
{
    EXPECT("key empty", DEMO, "{" DEMO_META("[1]") ",\"uniqueIdentifier\":"
           "\"" PII "\",\"consistentValue\":\"\",\"someSensitiveValue\":\""
           PII "\",\"notSensitiveValue\":\"ok\"}", STRM_E_KEY_EMPTY,
           "consistentValue", "keyField", 1);
    EXPECT("loose key missing", LOOSE, "{\"strmMeta\":{\"eventContractRef\":"
           "\"" LOOSE "\",\"consentLevels\":[1]},\"blob\":\"b\"}",
           STRM_E_KEY_EMPTY, "name", "keyField", 1);
    EXPECT("loose key empty", LOOSE, "{\"strmMeta\":{"
           "\"eventContractRef\":\"" LOOSE "\",\"consentLevels\":[1]},"
           "\"name\":\"\"}", STRM_E_KEY_EMPTY, "name", "keyField", 1);

    EXPECT("regex url", CLICK, CLICK_EVENT(PII "-sid", "not a url",
                                           PII "-cid"),
           STRM_E_VALIDATION, "url", "regex", 1);
    EXPECT("regex customer id", CLICK, CLICK_EVENT(PII "-sid",
                                                   "https://a.example/",
                                                   ""),
           STRM_E_VALIDATION, "customer/id", "regex", 1);
    EXPECT("key empty click", CLICK, CLICK_EVENT("", "https://a.example/",
                                                 PII "-cid"),
           STRM_E_KEY_EMPTY, "producerSessionId", "keyField", 1);
    EXPECT("regex email", ORDERS, ORDERS_EVENT(PII "-no-at"),
           STRM_E_VALIDATION, "customer/email", "regex", 1);
}


/* the dead letter of a contract failure, member by member */
static void
test_dead_letter(void)
{
    char           *dl, *rj;
    size_t          len;
    json_t         *doc, *event, *meta;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;

    static const char  body[] =
        "{" DEMO_META("[2]") ",\"uniqueIdentifier\":\"" PII "-uid\","
        "\"consistentValue\":\"\",\"someSensitiveValue\":\"" PII "-s\","
        "\"notSensitiveValue\":\"keep-me\"}";

    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) body, sizeof(body) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_E_KEY_EMPTY, "dl: key empty");

    dl = strm_event_dead_letter(&ev, rc, &rej, DEMO, sizeof(DEMO) - 1,
                                "client-7", EV_ID, 1700000000001LL, &len);
    CHECK(dl != NULL && len == strlen(dl), "dl: made");

    doc = (dl != NULL) ? json_loads(dl, 0, NULL) : NULL;
    CHECK(doc != NULL, "dl: json");

#define DLS(name, want)                                                      \
    CHECK(json_is_string(json_object_get(doc, name))                         \
          && strcmp(json_string_value(json_object_get(doc, name)), want)    \
             == 0, "dl: " name)

    if (doc != NULL) {
        DLS("eventId", EV_ID);
        DLS("schemaRef", DEMO);
        DLS("contractRef", EXAMPLE);
        DLS("clientId", "client-7");
        DLS("error", "the key field of the event contract is empty");
        DLS("code", "key_field_empty");
        DLS("field", "consistentValue");
        DLS("rule", "keyField");
        CHECK(json_integer_value(json_object_get(doc, "timestamp"))
              == 1700000000001LL, "dl: timestamp");

        event = json_object_get(doc, "event");
        meta = json_object_get(event, "strmMeta");
        CHECK(json_is_object(event) && json_object_size(event) == 2,
              "dl: event has strmMeta and notSensitiveValue only");
        CHECK(json_object_get(event, "uniqueIdentifier") == NULL
              && json_object_get(event, "consistentValue") == NULL
              && json_object_get(event, "someSensitiveValue") == NULL,
              "dl: pii and key removed");
        CHECK(strcmp(json_string_value(json_object_get(event,
                                                       "notSensitiveValue")),
                     "keep-me") == 0, "dl: not sensitive kept");
        CHECK(json_is_object(meta)
              && json_is_array(json_object_get(meta, "consentLevels")),
              "dl: strmMeta kept");
        CHECK(strstr(dl, PII) == NULL, "dl: no marker");
        CHECK(strstr(dl, "{\"eventId\":\"" EV_ID "\",\"schemaRef\":")
              == dl, "dl: member order");

        json_decref(doc);
    }

    free(dl);

    /* the dead letter does not touch the event */
    CHECK(json_is_string(json_object_get(ev.in, "uniqueIdentifier")),
          "dl: event untouched");

    /* no ids, a non-UTF-8 schema ref: nulls */
    dl = strm_event_dead_letter(&ev, rc, &rej, "a\xff/b/1.0.0", 10, NULL,
                                NULL, 0, &len);
    doc = (dl != NULL) ? json_loads(dl, 0, NULL) : NULL;
    CHECK(doc != NULL
          && json_is_null(json_object_get(doc, "eventId"))
          && json_is_null(json_object_get(doc, "schemaRef"))
          && json_is_null(json_object_get(doc, "clientId"))
          && json_integer_value(json_object_get(doc, "timestamp")) == 0,
          "dl: absent strings null");
    json_decref(doc);
    free(dl);

    strm_event_free(&ev);

    /* the nested PII path of the clickstream contract */
    rc = strm_event_parse(reg, CLICK, sizeof(CLICK) - 1, J,
                          (const unsigned char *)
                          CLICK_EVENT(PII "-s", "ftp:/x", PII "-c"),
                          sizeof(CLICK_EVENT(PII "-s", "ftp:/x",
                                             PII "-c")) - 1, &ev, &rej);
    CHECK(rc == STRM_E_VALIDATION && strcmp(rej.field, "url") == 0,
          "dl click: url fails");

    dl = strm_event_dead_letter(&ev, rc, &rej, CLICK, sizeof(CLICK) - 1,
                                "c", EV_ID, 1, &len);
    doc = (dl != NULL) ? json_loads(dl, 0, NULL) : NULL;
    event = json_object_get(doc, "event");
    CHECK(json_is_object(event)
          && json_object_get(event, "producerSessionId") == NULL
          && json_is_object(json_object_get(event, "customer"))
          && json_object_size(json_object_get(event, "customer")) == 0
          && strcmp(json_string_value(json_object_get(event, "url")),
                    "ftp:/x") == 0
          && json_object_size(event) == 8, "dl click: pii removed");
    CHECK(dl != NULL && strstr(dl, PII) == NULL, "dl click: no marker");
    json_decref(doc);
    free(dl);
    strm_event_free(&ev);

    /* a schema failure: "event" null, contractRef null */
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *)
                          "{\"uniqueIdentifier\":\"" PII "\"}",
                          sizeof("{\"uniqueIdentifier\":\"" PII "\"}") - 1,
                          &ev, &rej);
    CHECK(rc == STRM_E_SCHEMA_VIOLATION, "dl schema: violation");
    dl = strm_event_dead_letter(&ev, rc, &rej, DEMO, sizeof(DEMO) - 1,
                                "c", EV_ID, 1, &len);
    doc = (dl != NULL) ? json_loads(dl, 0, NULL) : NULL;
    CHECK(doc != NULL && json_is_null(json_object_get(doc, "event"))
          && json_is_null(json_object_get(doc, "contractRef")),
          "dl schema: event null");
    CHECK(dl != NULL && strstr(dl, PII) == NULL, "dl schema: no marker");
    json_decref(doc);
    free(dl);
    strm_event_free(&ev);

    /* no event and no rejection at all (an internal error) */
    dl = strm_event_dead_letter(NULL, STRM_E_INTERNAL, NULL, NULL, 0, NULL,
                                NULL, 0, &len);
    doc = (dl != NULL) ? json_loads(dl, 0, NULL) : NULL;
    CHECK(doc != NULL && json_is_null(json_object_get(doc, "event"))
          && json_is_null(json_object_get(doc, "field"))
          && json_is_null(json_object_get(doc, "rule"))
          && json_is_null(json_object_get(doc, "contractRef"))
          && strcmp(json_string_value(json_object_get(doc, "code")),
                    "internal_error") == 0, "dl: no event, no reject");
    json_decref(doc);
    free(dl);

    /* reject_json: exact bytes, a non-UTF-8 ref, no rejection */
    memset(&rej, 0, sizeof(rej));
    strm_reject(&rej, STRM_E_VALIDATION, "url", "regex", "the \"field\"");
    rj = strm_event_reject_json(STRM_E_VALIDATION, &rej, CLICK,
                                sizeof(CLICK) - 1, &len);
    CHECK(rj != NULL && strcmp(rj, "{\"error\":\"a field breaks a validation"
                               " rule of the event contract\",\"code\":"
                               "\"validation_failed\",\"field\":\"url\","
                               "\"rule\":\"regex\",\"detail\":\"the "
                               "\\\"field\\\"\",\"schemaRef\":\"" CLICK
                               "\"}") == 0 && len == strlen(rj),
          "reject json exact");
    free(rj);

    rj = strm_event_reject_json(STRM_E_SCHEMA_UNKNOWN, &rej, "a\xc3/b/1.0.0",
                                10, &len);
    doc = (rj != NULL) ? json_loads(rj, 0, NULL) : NULL;
    CHECK(doc != NULL && json_is_null(json_object_get(doc, "schemaRef"))
          && strcmp(json_string_value(json_object_get(doc, "code")),
                    "schema_unknown") == 0, "reject json non-utf8 ref");
    json_decref(doc);
    free(rj);

    rj = strm_event_reject_json(STRM_E_SCHEMA_REF_MISSING, NULL, NULL, 0,
                                &len);
    CHECK(rj != NULL && strcmp(rj, "{\"error\":\"the request has no "
                               "Strm-Schema-Ref header\",\"code\":"
                               "\"schema_ref_missing\",\"field\":null,"
                               "\"rule\":null,\"detail\":null,"
                               "\"schemaRef\":null}") == 0,
          "reject json without rejection");
    free(rj);

    /* a ref with a NUL byte is cut by json, not read past */
    rj = strm_event_reject_json(STRM_E_SCHEMA_UNKNOWN, NULL, "a\0b", 3,
                                &len);
    CHECK(rj != NULL && strstr(rj, "\"schemaRef\":\"a\\u0000b\"") != NULL,
          "reject json nul in ref");
    free(rj);
}


/*
 * The PII of an event refused by a contract that is not its schema's:
 * the event's own contract names other fields PII.
 */
static void
test_foreign_contract(void)
{
    static const char  body[] =
        "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","
        "\"consentLevels\":[0,1]},\"producerSessionId\":\"" PII "-sid\","
        "\"url\":\"https://a.example/\",\"eventType\":\"click\","
        "\"referrer\":\"r\",\"userAgent\":\"ua\",\"conversion\":1,"
        "\"abTests\":[],\"customer\":{\"id\":\"" PII "-cid\"}}";

    static const char  other[] =
        "{\"strmMeta\":{\"eventContractRef\":\"acme/other/1.0.0\","
        "\"consentLevels\":[]},\"name\":\"" PII "\",\"other\":\"k\"}";

    static const unsigned char  weak[] =
        "{\"strmMeta\":{\"eventContractRef\":\"acme/weak/1.0.0\","
        "\"consentLevels\":[]},\"name\":\"" PII "\",\"other\":\"k\"}";

    static const char  own[] =
        "{\"strmMeta\":{\"eventContractRef\":\"acme/own/1.0.0\","
        "\"consentLevels\":[]},\"name\":\"" PII "\",\"other\":\"k\"}";

    char           *dl;
    size_t          len;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;

    rc = strm_event_parse(reg, CLICK, sizeof(CLICK) - 1, J,
                          (const unsigned char *) body, sizeof(body) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_E_CONTRACT_MISMATCH
          && strcmp(rej.field, "strmMeta/eventContractRef") == 0
          && strcmp(rej.rule, "schema") == 0,
          "foreign contract: refused, it does not fit the schema");
    CHECK(strstr(rej.detail, PII) == NULL, "foreign contract: reject");

    dl = strm_event_dead_letter(&ev, rc, &rej, CLICK, sizeof(CLICK) - 1,
                                "c", EV_ID, 1, &len);
    CHECK(dl != NULL, "foreign contract: dead letter");
    CHECK(dl != NULL && strstr(dl, PII) == NULL,
          "foreign contract: the dead letter keeps no PII");
    free(dl);
    strm_event_free(&ev);

    /* a contract that does not fit the schema is refused */
    rc = strm_event_parse(loose, LOOSE, sizeof(LOOSE) - 1, J,
                          (const unsigned char *) other, sizeof(other) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_E_CONTRACT_MISMATCH,
          "foreign contract: refused rather than leave PII in clear");
    strm_event_free(&ev);

    /* a contract that fits but protects less than the schema's own */
    rc = strm_event_parse(loose, "acme/own/1.0.0", 14, J,
                          weak,
                          sizeof(weak) - 1, &ev, &rej);
    CHECK(rc == STRM_E_CONTRACT_MISMATCH && strcmp(rej.rule, "piiFields") == 0,
          "weaker contract: refused, the schema's own PII stays protected");
    strm_event_free(&ev);

    rc = strm_event_parse(loose, "acme/own/1.0.0", 14, J,
                          (const unsigned char *) own, sizeof(own) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_OK, "own contract: accepted");
    strm_event_free(&ev);
}


/*
 * The text's way reads the key field's string where the body has it:
 * no copy (no jansson string) made for it; the tree's way's value is
 * the same bytes.
 */
static void
test_key_in_text(void)
{
    size_t          len, tlen;
    strm_rc_t       rc;
    const char     *key, *tkey, *body;
    strm_event_t    ev, tree;
    strm_reject_t   rej;

    body = DEMO_EVENT;

    memset(&ev, 0, sizeof(ev));
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) body, strlen(body), &ev,
                          &rej);
    key = (rc == STRM_OK) ? strm_event_key(&ev, &len) : NULL;

    CHECK(rc == STRM_OK && ev.text != NULL && ev.key == NULL
          && key != NULL && key > body && key + len < body + strlen(body)
          && len == strlen(PII "-key")
          && memcmp(key, PII "-key", len) == 0,
          "key in text: the key field's bytes in the body itself");

    strm_event_text_path = 0;
    memset(&tree, 0, sizeof(tree));
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) body, strlen(body), &tree,
                          &rej);
    strm_event_text_path = 1;
    tkey = (rc == STRM_OK) ? strm_event_key(&tree, &tlen) : NULL;

    CHECK(tree.text == NULL && tkey != NULL && key != NULL && tlen == len
          && memcmp(tkey, key, len) == 0,
          "key in text: the tree's way has the same key");

    strm_event_free(&ev);
    strm_event_free(&tree);
    CHECK(ev.key_text == NULL && ev.key_len == 0,
          "key in text: gone with the event");
}


/*
 * The binary way reads the key field's string where the datum has it
 * too: no jansson string made for it; the tree's way's value is the
 * same bytes.
 */
static void
test_key_in_bin(void)
{
    size_t          len, tlen, blen;
    strm_rc_t       rc;
    const char     *key, *tkey;
    strm_event_t    ev, tree;
    strm_reject_t   rej;
    unsigned char  *bin;

    bin = avro_bin(DEMO, DEMO_EVENT, &blen);
    CHECK(bin != NULL, "key in bin: encoded");

    if (bin == NULL) {
        return;
    }

    memset(&ev, 0, sizeof(ev));
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, A, bin, blen, &ev,
                          &rej);
    key = (rc == STRM_OK) ? strm_event_key(&ev, &len) : NULL;

    CHECK(rc == STRM_OK && ev.bin != NULL && ev.key == NULL
          && key != NULL && (const unsigned char *) key > bin
          && (const unsigned char *) key + len < bin + blen
          && len == strlen(PII "-key")
          && memcmp(key, PII "-key", len) == 0,
          "key in bin: the key field's bytes in the datum itself");

    strm_event_bin_path = 0;
    memset(&tree, 0, sizeof(tree));
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, A, bin, blen, &tree,
                          &rej);
    strm_event_bin_path = 1;
    tkey = (rc == STRM_OK) ? strm_event_key(&tree, &tlen) : NULL;

    CHECK(tree.bin == NULL && tkey != NULL && key != NULL && tlen == len
          && memcmp(tkey, key, len) == 0,
          "key in bin: the tree's way has the same key");

    strm_event_free(&ev);
    strm_event_free(&tree);
    CHECK(ev.key_text == NULL && ev.key_len == 0,
          "key in bin: gone with the event");

    free(bin);
}


/*
 * A JSON given back (strm_event_json_reuse()) is where the thread's
 * next strm_event_write() writes, byte for byte what a fresh buffer
 * gets; one too large to keep, and the one kept at NULL, are freed.
 */
static void
test_json_reuse(void)
{
    char           *mine, *fresh;
    strm_rc_t       rc;
    strm_event_t    ev;
    strm_reject_t   rej;

    memset(&ev, 0, sizeof(ev));
    rc = strm_event_parse(reg, DEMO, sizeof(DEMO) - 1, J,
                          (const unsigned char *) DEMO_EVENT,
                          sizeof(DEMO_EVENT) - 1, &ev, &rej);
    CHECK(rc == STRM_OK && SER(&ev) == STRM_OK && ev.json_size == 1024,
          "reuse: written into a buffer of its own");
    fresh = (ev.json != NULL) ? strdup(ev.json) : NULL;

    /* a buffer of another size, full of what the last event left */
    mine = malloc(4096);
    if (mine == NULL || fresh == NULL) {
        CHECK(0, "reuse: malloc");
        free(mine);
        free(fresh);
        strm_event_free(&ev);
        return;
    }

    memset(mine, 'x', 4096);
    strm_event_json_reuse(mine, 4096);

    CHECK(SER(&ev) == STRM_OK && ev.json == mine && ev.json_size == 4096
          && ev.len == strlen(fresh) && strcmp(ev.json, fresh) == 0,
          "reuse: the next write is in the buffer given back, the same "
          "bytes");

    /* taken: the write after it has a buffer of its own */
    CHECK(SER(&ev) == STRM_OK && ev.json_size == 1024
          && strcmp(ev.json, fresh) == 0,
          "reuse: a buffer given back is taken once");

    /* kept, then freed (valgrind and ASan see the frees) */
    strm_event_json_reuse(ev.json, ev.json_size);
    ev.json = NULL;
    strm_event_json_reuse(malloc(1 << 20), 1 << 20);
    strm_event_json_reuse(NULL, 0);

    CHECK(SER(&ev) == STRM_OK && ev.json_size == 1024
          && strcmp(ev.json, fresh) == 0,
          "reuse: after the one kept is freed, a buffer of its own");

    free(fresh);
    strm_event_free(&ev);
}


/*
 * The event's JSON is written by strm_event_dumps(), not json_dumps():
 * the bytes must be jansson's, for every escape, number and nesting.
 */
static void
test_dumps(void)
{
    int          i, ok;
    char        *mine, *theirs, what[96], s[4], l[26];
    size_t       len;
    json_t      *v;
    json_error_t err;

    static const char  *docs[] = {
        "{}", "[]", "{\"a\":[]}", "{\"a\":{}}", "[[[]],{}]",
        "{\"a\":1,\"b\":-1,\"c\":0,\"d\":9223372036854775807,"
        "\"e\":-9223372036854775808}",
        "{\"t\":true,\"f\":false,\"n\":null}",
        "{\"r\":1.5,\"s\":-0.0,\"x\":1e300,\"y\":0.1,\"z\":123456789.0}",
        "{\"q\":\"a\\\"b\\\\c\\/d\"}",
        "{\"c\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"}",
        "{\"nul\":\"a\\u0000b\",\"k\\u0001\":1}",
        "{\"u\":\"h\u00e9llo \u20ac \U0001F600\\u00e9\\ud83d\\ude00\"}",
        "{\"\\\"key\\n\":\"v\",\"z\":\"\",\"a\":\"\"}",
        "[1,\"two\",[3,[4,{\"five\":[5]}]],null,true,false,-7]",
        "{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
        DEMO_PLAIN,
    };

    for (i = 0; i < (int) (sizeof(docs) / sizeof(docs[0])); i++) {
        v = json_loads(docs[i], JSON_ALLOW_NUL, &err);
        snprintf(what, sizeof(what), "dumps: document %d parses", i);
        CHECK(v != NULL, what);

        if (v == NULL) {
            continue;
        }

        theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        mine = strm_event_dumps(v, &len);

        snprintf(what, sizeof(what), "dumps: document %d as jansson", i);
        CHECK(mine != NULL && theirs != NULL && strcmp(mine, theirs) == 0
              && len == strlen(theirs), what);

        if (mine != NULL && theirs != NULL && strcmp(mine, theirs) != 0) {
            printf("  mine   %s\n  theirs %s\n", mine, theirs);
        }

        free(mine);
        free(theirs);
        json_decref(v);
    }

    /* every byte below 0x80 alone in a string, and a long run of them */
    for (i = 0; i < 0x80; i++) {
        s[0] = 'a';
        s[1] = (char) i;
        s[2] = 'z';

        v = json_stringn(s, 3);
        theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        mine = strm_event_dumps(v, &len);

        snprintf(what, sizeof(what), "dumps: byte 0x%02x as jansson", i);
        CHECK(mine != NULL && theirs != NULL && strcmp(mine, theirs) == 0,
              what);

        free(mine);
        free(theirs);
        json_decref(v);
    }

    /* each byte at each place of a string long enough for word scans */
    ok = 1;

    for (i = 0; i < 0x80 * 21; i++) {
        memset(l, 'a', 21);
        memcpy(l + 21, "\xc3\xa9\xe2\x82\xac", 5);
        l[i / 0x80] = (char) (i % 0x80);

        v = json_stringn(l, 26);
        theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        mine = strm_event_dumps(v, &len);

        if (mine == NULL || theirs == NULL || strcmp(mine, theirs) != 0) {
            ok = 0;
        }

        free(mine);
        free(theirs);
        json_decref(v);
    }

    CHECK(ok, "dumps: every byte below 0x80 at every place of 26");
}


int
main(int argc, char **argv)
{
    char       dir[512];
    char       err[1024];
    strm_rc_t  rc;

    if (argc > 1) {
        data = argv[1];
    }

    snprintf(dir, sizeof(dir), "%s/registry", data);
    rc = strm_registry_load(dir, &reg, err, sizeof(err));
    CHECK(rc == STRM_OK, "load registry");

    snprintf(dir, sizeof(dir), "%s/event/registry", data);
    rc = strm_registry_load(dir, &loose, err, sizeof(err));
    CHECK(rc == STRM_OK, "load event registry");

    if (reg == NULL || loose == NULL) {
        printf("  %s\n", err);
        return UNIT_DONE();
    }

    test_valid();
    test_refs();
    test_json_body();
    test_avro_body();
    test_schema();
    test_meta();
    test_contract();
    test_dead_letter();
    test_foreign_contract();
    test_dumps();
    test_json_reuse();
    test_key_in_text();
    test_key_in_bin();

    strm_registry_free(reg);
    strm_registry_free(loose);

    return UNIT_DONE();
}
