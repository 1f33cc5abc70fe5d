
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of the schema registry: loading t/unit/data/registry/,
 * every load error under t/unit/data/registry-bad/, lookups, refs,
 * slash paths, the JSON Schema subset and the contract rules.  Run from
 * the repository root (or pass the data directory as argv[1]).  Prints
 * "N passed, N failed".
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strm_registry.h"
#include "unit.h"


static const char  *data = "t/unit/data";


static void
test_refs(void)
{
    json_t  *doc;

#define REF(s)  strm_ref_valid(s, strlen(s))

    CHECK(REF("strmprivacy/clickstream/1.0.0"), "ref valid");
    CHECK(REF("a/b/10.20.30"), "ref short valid");
    CHECK(!REF(""), "ref empty");
    CHECK(!REF("a/b"), "ref two parts");
    CHECK(!REF("a/b/c/1.0.0"), "ref four parts");
    CHECK(!REF("a//1.0.0"), "ref empty name");
    CHECK(!REF("/b/1.0.0"), "ref empty handle");
    CHECK(!REF("a/b/1.0"), "ref short version");
    CHECK(!REF("a/b/1.0.0.0"), "ref long version");
    CHECK(!REF("a/b/1.x.0"), "ref letter version");
    CHECK(!REF("a/b/1.0."), "ref trailing dot");
    CHECK(!REF("a/b/1.0.0/"), "ref trailing slash");
    CHECK(!REF("../b/1.0.0"), "ref dot dot");
    CHECK(!REF("a b/c/1.0.0"), "ref space");
    CHECK(strm_ref_valid("a/b/1.0.0xyz", 9), "ref by length");

#undef REF

    doc = json_loads("{\"a\":{\"b\":{\"c\":1}},\"x\":null,\"s\":\"v\"}", 0,
                     NULL);
    CHECK(doc != NULL, "path doc");
    CHECK(json_integer_value(strm_json_path(doc, "a/b/c")) == 1,
          "path nested");
    CHECK(json_is_object(strm_json_path(doc, "a/b")), "path object");
    CHECK(json_is_null(strm_json_path(doc, "x")), "path null value");
    CHECK(strm_json_path(doc, "a/b/d") == NULL, "path missing leaf");
    CHECK(strm_json_path(doc, "q/b") == NULL, "path missing parent");
    CHECK(strm_json_path(doc, "s/t") == NULL, "path through string");
    CHECK(strm_json_path(doc, "a/b/c/d") == NULL, "path through int");
    CHECK(strm_json_path(doc, "") == NULL, "path empty");
    CHECK(strm_json_path(doc, "a//c") == NULL, "path empty segment");
    CHECK(strm_json_path(NULL, "a") == NULL, "path null root");
    json_decref(doc);
}


static void
test_load(strm_registry_t *reg)
{
    const strm_schema_t    *s;
    const strm_contract_t  *c;

#define S(ref)  strm_registry_schema(reg, ref, strlen(ref))
#define C(ref)  strm_registry_contract(reg, ref, strlen(ref))

    CHECK(strm_registry_schemas(reg) == 4, "4 schemas");
    CHECK(strm_registry_contracts(reg) == 3, "3 contracts");

    s = S("strmprivacy/clickstream/1.0.0");
    CHECK(s != NULL && s->avro != NULL && s->json == NULL,
          "clickstream schema");
    CHECK(s != NULL && s->contract == C("strmprivacy/clickstream/1.0.0"),
          "clickstream schema links its contract");
    CHECK(s != NULL && strcmp(s->ref, "strmprivacy/clickstream/1.0.0") == 0,
          "clickstream ref");

    c = C("strmprivacy/clickstream/1.0.0");
    CHECK(c != NULL, "clickstream contract");

    if (c != NULL) {
        CHECK(strcmp(c->key_field, "producerSessionId") == 0, "keyField");
        CHECK(c->is_public == 1, "isPublic");
        CHECK(c->npii == 2, "2 pii");
        CHECK(c->npii == 2 && strcmp(c->pii[0].path, "customer/id") == 0
              && c->pii[0].level == 0
              && strcmp(c->pii[1].path, "producerSessionId") == 0
              && c->pii[1].level == 1, "pii paths and levels");
        CHECK(c->npii == 2 && c->pii[0].len == 11 && c->pii[1].len == 17
              && c->key_field_len == 17 && c->key_is_pii,
              "the paths' lengths, the key field among the PII");
        CHECK(c->nvalidations == 2, "2 validations");
        CHECK(c->nvalidations == 2
              && strcmp(c->validations[0].field, "customer/id") == 0
              && strcmp(c->validations[0].pattern, "^.+$") == 0
              && strcmp(c->validations[1].field, "url") == 0
              && c->validations[1].re != NULL, "validation fields");
    }

    s = S("strmprivacy/demo/1.0.2");
    CHECK(s != NULL && s->avro != NULL && s->contract == NULL,
          "demo schema without contract");
    CHECK(C("strmprivacy/demo/1.0.2") == NULL, "demo has no contract");

    c = C("strmprivacy/example/1.3.0");
    CHECK(c != NULL && strcmp(c->key_field, "consistentValue") == 0
          && c->npii == 3 && c->nvalidations == 1, "example contract");
    CHECK(c != NULL && c->key_field_len == 15 && c->key_is_pii,
          "the example's key field among its PII");
    CHECK(S("strmprivacy/example/1.3.0") != NULL, "example schema");

    s = S("acme/orders/1.0.0");
    CHECK(s != NULL && s->json != NULL && s->avro == NULL,
          "json schema loaded");
    CHECK(C("acme/orders/1.0.0") != NULL, "orders contract");
    c = C("acme/orders/1.0.0");
    CHECK(c != NULL && c->key_field_len == 7 && !c->key_is_pii
          && c->npii == 1 && c->pii[0].len == 14,
          "the orders' key field not among its PII");

    CHECK(S("strmprivacy/clickstream/1.0.1") == NULL, "unknown schema");
    CHECK(C("strmprivacy/nosuch/1.0.0") == NULL, "unknown contract");
    CHECK(strm_registry_schema(reg, "strmprivacy/demo/1.0.2x", 22) != NULL,
          "lookup by length");
    CHECK(strm_registry_schema(reg, "strmprivacy/demo/1.0.2", 21) == NULL,
          "lookup prefix is not a match");

#undef S
#undef C
}


static void
test_bad(void)
{
    size_t            i;
    char              dir[512], want[1024];
    char              err[1024];
    strm_rc_t         rc;
    strm_registry_t  *reg;

    static const struct {
        const char   *name;
        const char   *file;
        const char   *reason;
    } cases[] = {
        { "json", "contract.json", "invalid JSON" },
        { "duplicate", "contract.json", "duplicate" },
        { "avro", "schema.avsc", "Avro" },
        { "avro-not-record", "schema.avsc", "not a record" },
        { "jsonschema", "schema.json", "unknown \"type\"" },
        { "jsonschema-pattern", "schema.json", "does not compile" },
        { "jsonschema-deep", "schema.json", "nests too deeply" },
        { "regex", "contract.json", "offset" },
        { "no-keyfield", "contract.json", "no \"keyField\"" },
        { "pii-level", "contract.json", "0 to 1000" },
        { "pii-not-int", "contract.json", "not an integer" },
        { "validation-type", "contract.json", "unknown type \"length\"" },
        { "key-not-in-schema", "contract.json", "keyField \"nosuch\"" },
        { "pii-not-in-schema", "contract.json", "\"customer/id\" is not in" },
        { "validation-not-in-schema", "contract.json", "\"nosuch\" is not" },
        { "json-key-not-in-schema", "contract.json", "keyField \"b\"" },
        { "schemaref", "contract.json", "acme/nosuch/1.0.0" },
        { "no-strmmeta", "schema.avsc", "strmMeta" },
        { "json-no-strmmeta", "schema.json", "strmMeta" },
        { "no-schema", "contract.json", "no schema" },
        { "bad-version", NULL, "not a handle/name/version" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(dir, sizeof(dir), "%s/registry-bad/%s", data,
                 cases[i].name);

        if (cases[i].file != NULL) {
            snprintf(want, sizeof(want), "%s/acme/ev/1.0.0/%s: ", dir,
                     cases[i].file);

        } else {
            snprintf(want, sizeof(want), "%s/acme/ev/1.0: ", dir);
        }

        err[0] = '\0';
        reg = (strm_registry_t *) 1;
        rc = strm_registry_load(dir, &reg, err, sizeof(err));

        CHECK(rc != STRM_OK && reg == NULL, cases[i].name);
        CHECK(strncmp(err, want, strlen(want)) == 0, cases[i].name);
        CHECK(strstr(err, cases[i].reason) != NULL, cases[i].name);

        if (strncmp(err, want, strlen(want)) != 0
            || strstr(err, cases[i].reason) == NULL)
        {
            printf("  %s: got \"%s\"\n", cases[i].name, err);
        }
    }

    snprintf(dir, sizeof(dir), "%s/registry-nosuch", data);
    rc = strm_registry_load(dir, &reg, err, sizeof(err));
    CHECK(rc != STRM_OK && strncmp(err, dir, strlen(dir)) == 0,
          "missing directory");
}


/* one JSON Schema check: the rc, the field and the rule */
static void
js(const strm_json_schema_t *s, const char *event, strm_rc_t want,
    const char *field, const char *rule)
{
    json_t         *doc;
    strm_rc_t       rc;
    strm_reject_t   rej;
    char            what[512];

    memset(&rej, 0, sizeof(rej));

    doc = json_loads(event, JSON_DECODE_ANY, NULL);
    if (doc == NULL) {
        CHECK(0, event);
        return;
    }

    rc = strm_json_schema_check(s, doc, &rej);
    json_decref(doc);

    snprintf(what, sizeof(what), "%s -> %d %s %s (got %d %s %s)", event,
             want, field, rule, rc, rej.field, rej.rule);

    if (want == STRM_OK) {
        CHECK(rc == STRM_OK, what);
        return;
    }

    CHECK(rc == want && strcmp(rej.field, field) == 0
          && strcmp(rej.rule, rule) == 0, what);
}


#define M  "\"strmMeta\":{\"eventContractRef\":\"acme/orders/1.0.0\","       \
           "\"consentLevels\":[0]}"
#define E(rest)  "{" M ",\"orderId\":\"o-12\",\"amount\":5" rest "}"
#define V  STRM_E_SCHEMA_VIOLATION


static void
test_json_schema(strm_registry_t *reg)
{
    int                  i;
    char                 deep[2048];
    strm_registry_t     *dreg;
    const strm_schema_t  *s;
    char                 err[1024];

    s = strm_registry_schema(reg, "acme/orders/1.0.0", 17);
    if (s == NULL || s->json == NULL) {
        CHECK(0, "orders schema");
        return;
    }

    js(s->json, E(""), STRM_OK, "", "");
    js(s->json, E(",\"qty\":3,\"status\":\"paid\",\"kind\":\"order\","
                  "\"note\":null,\"paid\":true,\"tags\":[\"a\",\"b1\"],"
                  "\"customer\":{\"email\":\"x@y\",\"name\":\"n\"}"),
       STRM_OK, "", "");

    /* type */
    js(s->json, "[]", V, "", "type");
    js(s->json, E(",\"qty\":\"3\""), V, "qty", "type");
    js(s->json, E(",\"qty\":2.5"), V, "qty", "type");
    js(s->json, E(",\"qty\":2.0"), STRM_OK, "", "");
    js(s->json, E(",\"paid\":1"), V, "paid", "type");
    js(s->json, E(",\"note\":1"), V, "note", "type");
    js(s->json, E(",\"note\":\"n\""), STRM_OK, "", "");
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":\"5\"}", V,
       "amount", "type");
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":5.5}", STRM_OK,
       "", "");
    js(s->json, E(",\"customer\":[]"), V, "customer", "type");
    js(s->json, "{\"strmMeta\":{\"eventContractRef\":1,"
                "\"consentLevels\":[]},\"orderId\":\"o-12\",\"amount\":5}",
       V, "strmMeta/eventContractRef", "type");

    /* required (nested too) */
    js(s->json, "{" M ",\"amount\":5}", V, "orderId", "required");
    js(s->json, "{\"orderId\":\"o-12\",\"amount\":5}", V, "strmMeta",
       "required");
    js(s->json, E(",\"customer\":{\"name\":\"n\"}"), V, "customer/email",
       "required");

    /* additionalProperties */
    js(s->json, E(",\"extra\":1"), V, "extra", "additionalProperties");
    js(s->json, E(",\"customer\":{\"email\":\"e\",\"extra\":1}"), STRM_OK,
       "", "");

    /* items, minItems, maxItems */
    js(s->json, E(",\"tags\":[\"a\",2]"), V, "tags/1", "type");
    js(s->json, E(",\"tags\":[\"a\",\"B\"]"), V, "tags/1", "pattern");
    js(s->json, E(",\"tags\":[]"), V, "tags", "minItems");
    js(s->json, E(",\"tags\":[\"a\",\"b\",\"c\",\"d\"]"), V, "tags",
       "maxItems");
    js(s->json, E(",\"tags\":[\"a\",\"b\",\"c\"]"), STRM_OK, "", "");
    js(s->json, "{\"strmMeta\":{\"eventContractRef\":\"r\","
                "\"consentLevels\":[0,\"1\"]},\"orderId\":\"o-12\","
                "\"amount\":5}", V, "strmMeta/consentLevels/1", "type");

    /* enum, const */
    js(s->json, E(",\"status\":\"new\""), STRM_OK, "", "");
    js(s->json, E(",\"status\":\"gone\""), V, "status", "enum");
    js(s->json, E(",\"status\":1"), V, "status", "enum");
    js(s->json, E(",\"kind\":\"other\""), V, "kind", "const");

    /* pattern is unanchored at the end: "^o-[0-9]+" */
    js(s->json, "{" M ",\"orderId\":\"o-1x\",\"amount\":5}", STRM_OK, "", "");
    js(s->json, "{" M ",\"orderId\":\"xo-12\",\"amount\":5}", V, "orderId",
       "pattern");

    /* minLength, maxLength in code points */
    js(s->json, "{" M ",\"orderId\":\"o-\",\"amount\":5}", V, "orderId",
       "minLength");
    js(s->json, "{" M ",\"orderId\":\"o-123456789\",\"amount\":5}", V,
       "orderId", "maxLength");
    js(s->json, "{" M ",\"orderId\":\"o-1\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                "\",\"amount\":5}", STRM_OK, "", "");

    /* minimum, maximum, exclusiveMinimum, exclusiveMaximum */
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":-1}", V, "amount",
       "minimum");
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":0}", STRM_OK, "", "");
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":1000}", STRM_OK,
       "", "");
    js(s->json, "{" M ",\"orderId\":\"o-12\",\"amount\":1000.5}", V,
       "amount", "maximum");
    js(s->json, E(",\"qty\":0"), V, "qty", "exclusiveMinimum");
    js(s->json, E(",\"qty\":1"), STRM_OK, "", "");
    js(s->json, E(",\"qty\":100"), V, "qty", "exclusiveMaximum");
    js(s->json, E(",\"qty\":99"), STRM_OK, "", "");

    /* depth: the schema nests 80 levels, the event check stops at 64 */
    snprintf(deep, sizeof(deep), "%s/registry-deep", data);
    dreg = NULL;
    CHECK(strm_registry_load(deep, &dreg, err, sizeof(err)) == STRM_OK,
          err);

    if (dreg != NULL) {
        s = strm_registry_schema(dreg, "acme/deep/1.0.0", 15);
        CHECK(s != NULL && s->json != NULL, "deep schema");

        deep[0] = '\0';

        for (i = 0; i < 70; i++) {
            strcat(deep, "{\"a\":");
        }

        strcat(deep, "1");

        for (i = 0; i < 70; i++) {
            strcat(deep, "}");
        }

        if (s != NULL && s->json != NULL) {
            js(s->json, "{\"a\":{\"a\":{\"a\":1}}}", V, "a/a/a", "type");
            js(s->json, "{\"a\":{\"a\":{}}}", STRM_OK, "", "");
            js(s->json, deep, STRM_E_TOO_DEEP,
               "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
               "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
               "a/a/a/a/a/a/a", "depth");
        }

        strm_registry_free(dreg);
    }
}


/* one contract check */
static void
cc(const strm_contract_t *c, const char *event, strm_rc_t want,
    const char *field, const char *rule)
{
    json_t         *doc;
    strm_rc_t       rc;
    strm_reject_t   rej;
    char            what[512];

    memset(&rej, 0, sizeof(rej));

    doc = json_loads(event, 0, NULL);
    if (doc == NULL) {
        CHECK(0, event);
        return;
    }

    rc = strm_contract_check(c, doc, &rej);
    json_decref(doc);

    snprintf(what, sizeof(what), "%s -> %d %s %s (got %d %s %s)", event,
             want, field, rule, rc, rej.field, rej.rule);

    if (want == STRM_OK) {
        CHECK(rc == STRM_OK, what);
        return;
    }

    CHECK(rc == want && strcmp(rej.field, field) == 0
          && strcmp(rej.rule, rule) == 0, what);

    /* never a value of the event in a rejection */
    CHECK(strstr(rej.detail, "secret") == NULL
          && strstr(rej.field, "secret") == NULL, "no value in rejection");
}


static void
test_contract(strm_registry_t *reg)
{
    const strm_contract_t  *c;

    c = strm_registry_contract(reg, "strmprivacy/clickstream/1.0.0", 29);
    if (c == NULL) {
        CHECK(0, "clickstream contract");
        return;
    }

    cc(c, "{\"producerSessionId\":\"s1\",\"url\":\"https://x.io/a\","
          "\"customer\":{\"id\":\"c1\"}}", STRM_OK, "", "");

    /* key field empty, missing, not a string, null */
    cc(c, "{\"producerSessionId\":\"\",\"url\":\"https://x.io/a\"}",
       STRM_E_KEY_EMPTY, "producerSessionId", "keyField");
    cc(c, "{\"url\":\"https://x.io/a\"}", STRM_E_KEY_EMPTY,
       "producerSessionId", "keyField");
    cc(c, "{\"producerSessionId\":7}", STRM_E_KEY_EMPTY,
       "producerSessionId", "keyField");
    cc(c, "{\"producerSessionId\":null}", STRM_E_KEY_EMPTY,
       "producerSessionId", "keyField");

    /* regex fail (nested and top level), not a string, absent, null */
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":\"https://x.io/a\","
          "\"customer\":{\"id\":\"\"}}", STRM_E_VALIDATION, "customer/id",
       "regex");
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":\"secret\"}",
       STRM_E_VALIDATION, "url", "regex");
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":\"mailto:secret\"}",
       STRM_E_VALIDATION, "url", "regex");
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":\"ftp://h/f\","
          "\"customer\":{\"id\":5}}", STRM_E_VALIDATION, "customer/id",
       "regex");
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":[\"secret\"]}",
       STRM_E_VALIDATION, "url", "regex");
    cc(c, "{\"producerSessionId\":\"s1\"}", STRM_OK, "", "");
    cc(c, "{\"producerSessionId\":\"s1\",\"url\":null,"
          "\"customer\":{\"id\":null}}", STRM_OK, "", "");
    cc(c, "{\"producerSessionId\":\"s1\",\"customer\":\"secret\"}",
       STRM_OK, "", "");

    c = strm_registry_contract(reg, "strmprivacy/example/1.3.0", 25);
    if (c == NULL) {
        CHECK(0, "example contract");
        return;
    }

    cc(c, "{\"consistentValue\":\"session-1\"}", STRM_OK, "", "");
    cc(c, "{\"consistentValue\":\"\"}", STRM_E_KEY_EMPTY, "consistentValue",
       "keyField");

    c = strm_registry_contract(reg, "acme/orders/1.0.0", 17);
    if (c == NULL) {
        CHECK(0, "orders contract");
        return;
    }

    cc(c, "{\"orderId\":\"o-1\",\"customer\":{\"email\":\"a@b\"}}", STRM_OK,
       "", "");
    cc(c, "{\"orderId\":\"o-1\",\"customer\":{\"email\":\"secret\"}}",
       STRM_E_VALIDATION, "customer/email", "regex");
}


/* strm_contract_check_key()'s get: fields of a document, counted */
typedef struct {
    json_t      *doc;
    const char  *key_field;
    int          key_asked;
    int          asked;
} kget_t;


static strm_rc_t
kget(void *data, const char *path, int shallow, json_t **v)
{
    kget_t  *g = data;

    (void) shallow;

    g->asked++;
    g->key_asked += (strcmp(path, g->key_field) == 0);
    *v = json_incref(strm_json_path(g->doc, path));

    return STRM_OK;
}


/*
 * The rules with the key field's value given as bytes: the key's own
 * rule and the key field's validations take those bytes, get() is
 * never asked for the key field; the other fields are asked of it.
 */
static void
test_contract_key(strm_registry_t *reg)
{
    kget_t                  g;
    strm_rc_t               rc;
    strm_reject_t           rej;
    const strm_contract_t  *c;

    c = strm_registry_contract(reg, "strmprivacy/example/1.3.0", 25);
    if (c == NULL) {
        CHECK(0, "key: example contract");
        return;
    }

    memset(&g, 0, sizeof(g));
    memset(&rej, 0, sizeof(rej));
    g.doc = json_loads("{\"consistentValue\":\"\"}", 0, NULL);
    g.key_field = c->key_field;

    rc = strm_contract_check_key(c, "session-1", 9, kget, &g, &rej);
    CHECK(rc == STRM_OK && g.key_asked == 0,
          "key: a key given as bytes passes, its field never asked");

    rc = strm_contract_check_key(c, "session-1", 0, kget, &g, &rej);
    CHECK(rc == STRM_E_KEY_EMPTY && strcmp(rej.field, "consistentValue") == 0
          && strcmp(rej.rule, "keyField") == 0 && g.key_asked == 0,
          "key: an empty key given as bytes is refused");

    /* the key field's validation (^.+$) on the bytes given */
    rc = strm_contract_check_key(c, "a\nb", 3, kget, &g, &rej);
    CHECK(rc == STRM_E_VALIDATION
          && strcmp(rej.field, "consistentValue") == 0
          && strcmp(rej.rule, "regex") == 0 && g.key_asked == 0,
          "key: the key field's validation takes the bytes given");

    rc = strm_contract_check_by(c, kget, &g, &rej);
    CHECK(rc == STRM_E_KEY_EMPTY && g.key_asked > 0,
          "key: strm_contract_check_by() asks get() for it");
    json_decref(g.doc);

    c = strm_registry_contract(reg, "strmprivacy/clickstream/1.0.0", 29);
    if (c == NULL) {
        CHECK(0, "key: clickstream contract");
        return;
    }

    memset(&g, 0, sizeof(g));
    g.doc = json_loads("{\"url\":\"secret\"}", 0, NULL);
    g.key_field = c->key_field;

    rc = strm_contract_check_key(c, "s1", 2, kget, &g, &rej);
    CHECK(rc == STRM_E_VALIDATION && strcmp(rej.field, "url") == 0
          && g.asked > 0 && g.key_asked == 0,
          "key: the other fields' validations ask get()");
    json_decref(g.doc);
}


static void
test_regex(strm_registry_t *reg)
{
    const strm_contract_t  *c;
    const strm_regex_t     *re;

    c = strm_registry_contract(reg, "strmprivacy/clickstream/1.0.0", 29);
    if (c == NULL || c->nvalidations < 2) {
        CHECK(0, "regex contract");
        return;
    }

    re = c->validations[1].re;

    CHECK(strm_regex_match(re, "https://a.b/c", 13) == 1, "url match");
    CHECK(strm_regex_match(re, "https://a.b/c", 6) == 0, "url by length");
    CHECK(strm_regex_match(re, "gopher://a", 10) == 0, "url no match");
    CHECK(strm_regex_match(re, "http://a\xff", 9) == -1, "bad utf-8 error");
}


/*
 * a subject that needs more than the JIT's stack: matched as the
 * interpreter matches it (with its larger heap limit), not an error
 */
static void
test_regex_deep(void)
{
    size_t                       i;
    char                        *ev;
    char                         dir[512], err[1024];
    strm_registry_t             *reg;
    const strm_schema_t         *s;

    snprintf(dir, sizeof(dir), "%s/registry-regex", data);
    reg = NULL;
    CHECK(strm_registry_load(dir, &reg, err, sizeof(err)) == STRM_OK, err);

    if (reg == NULL) {
        return;
    }

    s = strm_registry_schema(reg, "acme/re/1.0.0", 13);
    CHECK(s != NULL && s->json != NULL, "regex schema");

    ev = malloc(200032);

    if (ev != NULL && s != NULL && s->json != NULL) {
        memcpy(ev, "{\"s\":\"", 6);

        for (i = 0; i < 200000; i++) {
            ev[6 + i] = "ab"[i % 2];
        }

        memcpy(ev + 200006, "\"}", 3);
        js(s->json, ev, STRM_OK, "", "");

        memcpy(ev + 200006, "c\"}", 4);
        js(s->json, ev, STRM_E_SCHEMA_VIOLATION, "s", "pattern");
    }

    free(ev);
    strm_registry_free(reg);
}


int
main(int argc, char **argv)
{
    char              dir[512], err[1024];
    strm_rc_t         rc;
    strm_registry_t  *reg;

    if (argc > 1) {
        data = argv[1];
    }

    test_refs();

    snprintf(dir, sizeof(dir), "%s/registry", data);
    err[0] = '\0';
    reg = NULL;

    rc = strm_registry_load(dir, &reg, err, sizeof(err));
    CHECK(rc == STRM_OK && reg != NULL, err);

    if (reg != NULL) {
        test_load(reg);
        test_json_schema(reg);
        test_contract(reg);
        test_contract_key(reg);
        test_regex(reg);
        strm_registry_free(reg);
    }

    test_bad();
    test_regex_deep();

    return UNIT_DONE();
}
