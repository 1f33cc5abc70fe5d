
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Derived streams (strm_derive.c): the level and consent truth tables
 * of granular and cumulative specs (both rules), spec checks, and events
 * the gateway encrypted (strm_event_parse, strm_event_write
 * with a real key store) through strm_derive_event(): kept or dropped,
 * exactly the wanted fields decrypted (to their JSON type when the Avro
 * schema says so), every other byte as it was, a shredded key link,
 * every kind of malformed record, member order.  Run from the
 * repository root.  Prints "N passed, N failed".
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strm_b64.h"
#include "strm_derive.h"
#include "strm_event.h"
#include "strm_keys.h"
#include "unit.h"


#define DAY      86400000LL
#define NOW      1700000000000LL
#define UUID     "0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b"
#define EXAMPLE  "strmprivacy/example/1.3.0"
#define TYPES    "acme/types/1.0.0"


#define DEMO(key, sens)                                                      \
    "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","                   \
    "\"consentLevels\":[0,1,2,3]},\"uniqueIdentifier\":\"PII-uid\","         \
    "\"consistentValue\":\"" key "\",\"someSensitiveValue\":" sens ","       \
    "\"notSensitiveValue\":\"plain\"}"

#define CLICK                                                                \
    "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/clickstream/1.0.0\"," \
    "\"consentLevels\":[0,1]},\"producerSessionId\":\"PII-session-c\","      \
    "\"url\":\"https://x.example/\",\"eventType\":\"click\","                \
    "\"referrer\":\"https://ref.example/\",\"userAgent\":\"ua/1.0\","        \
    "\"conversion\":1,\"abTests\":[\"a\",\"b\"],"                            \
    "\"customer\":{\"id\":\"PII-customer\"}}"

#define NUM                                                                  \
    "{\"strmMeta\":{\"eventContractRef\":\"acme/num/1.0.0\","                \
    "\"consentLevels\":[1,2]},\"id\":\"PII-id-9\",\"score\":42.5,"           \
    "\"tags\":[\"a\",\"b\"]}"

#define TYPES_EVENT                                                          \
    "{\"strmMeta\":{\"eventContractRef\":\"" TYPES "\","                     \
    "\"consentLevels\":[0,1,2,3,4,5,6,700]},\"id\":\"PII-id-1\","            \
    "\"count\":42,\"big\":9007199254740993,\"ratio\":0.1,\"flag\":true,"     \
    "\"tags\":[\"a\",\"PII-b\"],\"attrs\":{\"x\":1,\"y\":2},"                \
    "\"addr\":{\"city\":\"PII-city\",\"zip\":1234},\"note\":\"PII-note\","   \
    "\"color\":\"GREEN\",\"either\":\"PII-either\","                         \
    "\"wrap\":{\"inner\":\"PII-inner\"},\"far\":\"PII-far\","                \
    "\"plain\":\"p\"}"


/* a schema with PII fields of every Avro type, written to a temp dir */
static const char  types_avsc[] =
    "{\"type\":\"record\",\"name\":\"Types\",\"namespace\":\"acme\","
    "\"fields\":["
    "{\"name\":\"strmMeta\",\"type\":{\"type\":\"record\","
    "\"name\":\"StrmMeta\",\"fields\":["
    "{\"name\":\"eventContractRef\",\"type\":\"string\"},"
    "{\"name\":\"nonce\",\"type\":[\"null\",\"int\"],\"default\":null},"
    "{\"name\":\"timestamp\",\"type\":[\"null\",\"long\"],"
    "\"default\":null},"
    "{\"name\":\"keyLink\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"billingId\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"consentLevels\",\"type\":{\"type\":\"array\","
    "\"items\":\"int\"}}]}},"
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"count\",\"type\":\"int\"},"
    "{\"name\":\"big\",\"type\":\"long\"},"
    "{\"name\":\"ratio\",\"type\":\"double\"},"
    "{\"name\":\"flag\",\"type\":\"boolean\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
    "{\"name\":\"addr\",\"type\":{\"type\":\"record\",\"name\":\"Addr\","
    "\"fields\":[{\"name\":\"city\",\"type\":\"string\"},"
    "{\"name\":\"zip\",\"type\":\"int\"}]}},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"color\",\"type\":{\"type\":\"enum\",\"name\":\"Color\","
    "\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"either\",\"type\":[\"null\",\"int\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"wrap\",\"type\":{\"type\":\"record\",\"name\":\"Wrap\","
    "\"fields\":[{\"name\":\"inner\",\"type\":\"string\"}]}},"
    "{\"name\":\"far\",\"type\":\"string\"},"
    "{\"name\":\"plain\",\"type\":\"string\"}]}";

/* the key field is no PII; wrap/inner is encrypted before wrap */
static const char  types_contract[] =
    "{\"keyField\":\"id\",\"piiFields\":{\"count\":1,\"big\":1,"
    "\"ratio\":2,\"flag\":2,\"tags\":3,\"attrs\":3,\"addr\":4,\"note\":1,"
    "\"color\":2,\"either\":4,\"wrap/inner\":6,\"wrap\":5,\"far\":700},"
    "\"validations\":[]}";


static strm_keys_t            *keys;
static strm_registry_t        *reg;
static strm_derive_ctx_t      *ctx;        /* a worker's, for reg */
static const strm_registry_t  *ctx_reg;


static strm_derive_spec_t
gran(size_t n, ...)
{
    size_t              i;
    va_list             args;
    strm_derive_spec_t  s;

    memset(&s, 0, sizeof(strm_derive_spec_t));
    s.type = STRM_DERIVE_GRANULAR;
    s.nlevels = n;

    va_start(args, n);

    for (i = 0; i < n; i++) {
        s.levels[i] = va_arg(args, int);
    }

    va_end(args);

    return s;
}


static strm_derive_spec_t
cumul(int l, int max_rule)
{
    strm_derive_spec_t  s;

    memset(&s, 0, sizeof(strm_derive_spec_t));
    s.type = STRM_DERIVE_CUMULATIVE;
    s.levels[0] = l;
    s.nlevels = 1;
    s.max_rule = max_rule;

    return s;
}


/*
 * What the gateway writes to Kafka for body: the encrypted compact JSON
 * (returned, malloc()ed), the same event stamped but in clear (*plain),
 * and its key link.
 */
static char *
gateway(strm_registry_t *r, strm_keys_t *k, const char *ref,
    const char *body, char **plain, char *link)
{
    char                 *enc;
    size_t                n;
    const char           *key;
    strm_event_t          ev;
    strm_reject_t         rej;
    strm_keys_session_t   s;

    enc = NULL;
    *plain = NULL;

    if (strm_event_parse(r, ref, strlen(ref), STRM_SER_JSON,
                         (const unsigned char *) body, strlen(body), &ev,
                         &rej) != STRM_OK)
    {
        printf("  parse %s: %s %s\n", ref, rej.field, rej.detail);
        goto done;
    }

    key = strm_event_key(&ev, &n);

    if (key == NULL || strm_keys_session(k, key, n, NOW, &s) != STRM_OK
        || strm_event_write(&ev, NOW, 7, s.link, NULL, &n) != STRM_OK)
    {
        goto done;
    }

    *plain = strdup(ev.json);
    strcpy(link, s.link);

    if (strm_event_write(&ev, NOW, 7, s.link, s.daead, &n) != STRM_OK) {
        goto done;
    }

    enc = strdup(ev.json);

done:

    strm_event_free(&ev);

    return enc;
}


/* the object holding the last segment of path */
static json_t *
parent_of(json_t *root, const char *path, const char **name)
{
    json_t      *v;
    const char  *p, *e;

    v = root;
    p = path;

    while ((e = strchr(p, '/')) != NULL) {
        v = json_object_getn(v, p, e - p);
        p = e + 1;
    }

    *name = p;

    return v;
}


static void
set_path(json_t *root, const char *path, json_t *v)
{
    json_t      *parent;
    const char  *name;

    parent = parent_of(root, path, &name);
    json_object_set_new(parent, name, v);
}


/*
 * The output expected of enc with the fields of paths (NULL-ended)
 * decrypted: their values taken from plain, everything else from enc.
 */
static char *
expect(const char *enc, const char *plain, const char **paths)
{
    char    *s;
    json_t  *e, *p;

    e = json_loads(enc, 0, NULL);
    p = json_loads(plain, 0, NULL);

    for ( /* void */ ; *paths != NULL; paths++) {
        set_path(e, *paths, json_deep_copy(strm_json_path(p, *paths)));
    }

    s = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    json_decref(p);

    return s;
}


/* enc with the value at path replaced by v (compact JSON) */
static char *
replace(const char *enc, const char *path, json_t *v)
{
    char    *s;
    json_t  *e;

    e = json_loads(enc, 0, NULL);
    set_path(e, path, v);
    s = json_dumps(e, JSON_COMPACT);
    json_decref(e);

    return s;
}


/* a ciphertext in base64 of text, for path, under daead */
static json_t *
ciphertext(strm_tink_keyset_t *daead, const char *path, const char *text)
{
    size_t          len, clen, blen;
    json_t         *v;
    unsigned char  *ct, *b64;

    len = strlen(text);
    ct = malloc(strm_tink_ciphertext_len(daead, len));
    b64 = malloc(strm_b64_encoded_len(strm_tink_ciphertext_len(daead, len)));

    strm_tink_encrypt(daead, (const unsigned char *) path, strlen(path),
                      (const unsigned char *) text, len, ct, &clen);
    blen = strm_b64_encode(b64, ct, clen);
    v = json_stringn((const char *) b64, blen);

    free(ct);
    free(b64);

    return v;
}


/*
 * Runs one record through spec; 1 when the rc is want and, for STRM_OK,
 * the output is exp (NULL: dropped).
 */
/*
 * What strm_derive_event() gave (its splice, for compact events) is
 * what the tree gives: code, output bytes and counts.
 */
static int
same_as_tree(const strm_derive_spec_t *spec, const char *in, strm_rc_t rc,
    const char *out, size_t outlen, const strm_derive_result_t *res)
{
    int                   ok;
    char                 *tout, why[256];
    size_t                tlen;
    strm_rc_t             trc;
    strm_derive_result_t  tres;

    trc = strm_derive_event_tree(reg, keys, spec, in, strlen(in), &tout,
                                 &tlen, &tres, why, sizeof(why));

    ok = (trc == rc)
         && memcmp(&tres, res, sizeof(strm_derive_result_t)) == 0
         && ((out == NULL && tout == NULL)
             || (out != NULL && tout != NULL && tlen == outlen
                 && memcmp(out, tout, tlen) == 0));

    if (!ok) {
        printf("  the splice and the tree differ: rc %d/%d\n", rc, trc);
    }

    free(tout);

    return ok;
}


/*
 * What strm_derive_event() gave is what a worker's context gives, the
 * record derived twice through it (two derived streams), the context
 * kept from event to event; the key link it reads is strmMeta.keyLink
 * as jansson reads it.
 */
static int
same_in_ctx(const strm_derive_spec_t *spec, const char *in, strm_rc_t rc,
    const char *out, size_t outlen, const strm_derive_result_t *res)
{
    int                   ok, n, i;
    char                  why[256], link[40];
    json_t               *j, *v;
    size_t                clen;
    strm_rc_t             crc;
    const char           *cout;
    strm_derive_result_t  cres;

    if (ctx_reg != reg) {
        strm_derive_ctx_free(ctx);
        ctx = strm_derive_ctx_new(reg);
        ctx_reg = reg;
    }

    n = strm_derive_ctx_record(ctx, in, strlen(in), link);

    j = json_loads(in, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    v = json_object_get(json_object_get(j, "strmMeta"), "keyLink");

    ok = (n == 1) ? (json_string_value(v) != NULL
                     && json_string_length(v) == 36
                     && strcmp(json_string_value(v), link) == 0)
         : (n == 0) ? !(json_string_value(v) != NULL
                        && json_string_length(v) == 36)
         : (n == -1);

    if (!ok) {
        printf("  the context read the key link wrong: %d\n", n);
    }

    json_decref(j);

    for (i = 0; i < 2; i++) {
        crc = strm_derive_ctx_event(ctx, keys, spec, &cout, &clen, &cres,
                                    why, sizeof(why));

        if (crc != rc || memcmp(&cres, res, sizeof(cres)) != 0
            || !((out == NULL && cout == NULL)
                 || (out != NULL && cout != NULL && clen == outlen
                     && memcmp(out, cout, clen) == 0)))
        {
            printf("  the context differs: rc %d/%d\n", crc, rc);
            ok = 0;
        }
    }

    strm_derive_ctx_wipe(ctx);

    return ok;
}


static int
derive_is(const strm_derive_spec_t *spec, const char *in, strm_rc_t want,
    const char *exp, strm_derive_result_t *res)
{
    int        ok;
    char      *out;
    char       why[256];
    size_t     outlen;
    strm_rc_t  rc;

    rc = strm_derive_event(reg, keys, spec, in, strlen(in), &out, &outlen,
                           res, why, sizeof(why));

    ok = (rc == want) && same_as_tree(spec, in, rc, out, outlen, res)
         && same_in_ctx(spec, in, rc, out, outlen, res);

    if (rc != want) {
        printf("  rc %d: %s\n", rc, why);
    }

    if (rc != STRM_OK) {
        ok = ok && out == NULL && why[0] != '\0' && strstr(why, "PII") == NULL;

    } else if (exp == NULL) {
        ok = ok && out == NULL && res->kept == 0;

    } else {
        ok = ok && out != NULL && res->kept == 1 && outlen == strlen(out)
             && strcmp(out, exp) == 0;

        if (out != NULL && strcmp(out, exp) != 0) {
            printf("  got  %s\n  want %s\n", out, exp);
        }
    }

    free(out);

    return ok;
}


static size_t
levels_sum(const strm_derive_result_t *res)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < STRM_DERIVE_MAX_LEVELS; i++) {
        n += res->by_level[i];
    }

    return n;
}


/* enc with its members, and those of strmMeta, in another order */
static char *
reorder(const char *enc)
{
    char        *s;
    size_t       i;
    json_t      *j, *r, *meta, *rm, *v;
    const char  *k;

    static const char  *order[] = {
        "notSensitiveValue", "someSensitiveValue", "consistentValue",
        "uniqueIdentifier", "strmMeta"
    };

    j = json_loads(enc, 0, NULL);
    r = json_object();

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        json_object_set(r, order[i], json_object_get(j, order[i]));
    }

    meta = json_object_get(j, "strmMeta");
    rm = json_object();
    json_object_set(rm, "keyLink", json_object_get(meta, "keyLink"));

    json_object_foreach(meta, k, v) {
        json_object_set(rm, k, v);
    }

    json_object_set_new(r, "strmMeta", rm);
    s = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    json_decref(j);

    return s;
}


static void
test_tables(void)
{
    int                 l, in[8];
    char                err[128];
    size_t              i;
    strm_derive_spec_t  s;

    static const int    c0123[] = { 0, 1, 2, 3 };
    static const int    c14[] = { 4, 1 };
    static const int    c144[] = { 4, 4, 1 };
    static const int    c1[] = { 1 };
    static const int    c02[] = { 0, 2 };
    static const int    c2[] = { 2 };
    static const int    c3[] = { 3 };
    static const int    c01[] = { 0, 1 };
    static const int    c210[] = { 2, 1, 0, 5 };
    static const int    c123[] = { 1, 2, 3 };
    static const int    c0[] = { 0 };

    /* granular with a gap */
    s = gran(2, 4, 1);

    for (l = -1; l <= 6; l++) {
        in[l + 1] = strm_derive_level_in(&s, l);
    }

    CHECK(!in[0] && !in[1] && in[2] && !in[3] && !in[4] && in[5] && !in[6]
          && !in[7], "granular {4,1}: levels 1 and 4 only");
    CHECK(!strm_derive_level_in(&s, 1000), "granular: not 1000");

    CHECK(strm_derive_keeps(&s, c14, 2) && strm_derive_keeps(&s, c144, 3)
          && strm_derive_keeps(&s, c0123, 4) == 0
          && strm_derive_keeps(&s, c1, 1) == 0
          && strm_derive_keeps(&s, NULL, 0) == 0,
          "granular {4,1} keeps events holding 1 and 4");

    s = gran(4, 0, 1, 2, 3);
    CHECK(strm_derive_keeps(&s, c0123, 4) && !strm_derive_keeps(&s, c123, 3),
          "granular {0..3}");

    /* cumulative, our rule: every level 0..L */
    s = cumul(2, 0);

    for (l = -1; l <= 4; l++) {
        in[l + 1] = strm_derive_level_in(&s, l);
    }

    CHECK(!in[0] && in[1] && in[2] && in[3] && !in[4] && !in[5],
          "cumulative 2: levels 0..2");

    CHECK(strm_derive_keeps(&s, c0123, 4) && strm_derive_keeps(&s, c210, 4)
          && !strm_derive_keeps(&s, c02, 2) && !strm_derive_keeps(&s, c2, 1)
          && !strm_derive_keeps(&s, c3, 1) && !strm_derive_keeps(&s, c123, 3)
          && !strm_derive_keeps(&s, NULL, 0),
          "cumulative 2 (all): every level 0..2");

    /* the old service's rule: the highest level is L or more */
    s = cumul(2, 1);

    CHECK(strm_derive_level_in(&s, 0) && strm_derive_level_in(&s, 2)
          && !strm_derive_level_in(&s, 3),
          "cumulative 2 (max): levels 0..2");
    CHECK(strm_derive_keeps(&s, c2, 1) && strm_derive_keeps(&s, c02, 2)
          && strm_derive_keeps(&s, c3, 1) && strm_derive_keeps(&s, c0123, 4)
          && !strm_derive_keeps(&s, c01, 2) && !strm_derive_keeps(&s, c1, 1)
          && !strm_derive_keeps(&s, NULL, 0),
          "cumulative 2 (max): the highest level >= 2");

    s = cumul(0, 0);
    CHECK(strm_derive_keeps(&s, c0, 1) && strm_derive_keeps(&s, c01, 2)
          && !strm_derive_keeps(&s, c1, 1) && !strm_derive_keeps(&s, NULL, 0)
          && strm_derive_level_in(&s, 0) && !strm_derive_level_in(&s, 1),
          "cumulative 0");

    /* checks */
    s = gran(2, 4, 1);
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_OK,
          "check: granular {4,1}");
    s = cumul(1000, 1);
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_OK,
          "check: cumulative 1000, max rule");
    s = gran(1, 0);
    CHECK(strm_derive_check(&s, NULL, 0) == STRM_OK,
          "check: granular {0}, no err buffer");

    s = gran(64, 0);

    for (i = 0; i < 64; i++) {
        s.levels[i] = (int) i * 10;
    }

    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_OK,
          "check: 64 levels");

    s.nlevels = 65;
    err[0] = '\0';
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && err[0] != '\0', "check: 65 levels");

#define BAD_SPEC(spec, what)                                                 \
    s = spec;                                                                \
    err[0] = '\0';                                                           \
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_E_BAD_REQUEST      \
          && err[0] != '\0', what);

    BAD_SPEC(gran(0), "check: no level");
    BAD_SPEC(gran(2, 1, -1), "check: level -1");
    BAD_SPEC(gran(1, 1001), "check: level 1001");
    BAD_SPEC(gran(3, 1, 4, 1), "check: a duplicate");
    BAD_SPEC(cumul(-1, 0), "check: cumulative -1");
    BAD_SPEC(cumul(1001, 0), "check: cumulative 1001");
    BAD_SPEC(cumul(1, 2), "check: max rule 2");

    s = cumul(1, 0);
    s.levels[1] = 2;
    s.nlevels = 2;
    err[0] = '\0';
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && err[0] != '\0', "check: cumulative with two levels");

    s = gran(1, 1);
    s.max_rule = 1;
    err[0] = '\0';
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && err[0] != '\0', "check: max rule on a granular stream");

    s = gran(1, 1);
    s.type = 0;
    err[0] = '\0';
    CHECK(strm_derive_check(&s, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && err[0] != '\0', "check: no type");

#undef BAD_SPEC
}


/* demo events: string PII of levels 1, 2 (the key field) and 3 */
static void
test_demo(const char *a, const char *a_plain, const char *an,
    const char *an_plain)
{
    int                   ok;
    char                 *exp, *in;
    json_t               *j;
    strm_derive_spec_t    s;
    strm_derive_result_t  res;

    static const char    *p13[] = { "uniqueIdentifier",
                                    "someSensitiveValue", NULL };
    static const char    *p12[] = { "uniqueIdentifier", "consistentValue",
                                    NULL };
    static const char    *p123[] = { "uniqueIdentifier", "consistentValue",
                                     "someSensitiveValue", NULL };

    CHECK(a != NULL && an != NULL && strstr(a, "PII-") == NULL,
          "the gateway encrypted the demo events");

    /* granular {1,3}: two decrypted, the key field (2) left as it was */
    s = gran(2, 3, 1);
    exp = expect(a, a_plain, p13);
    CHECK(derive_is(&s, a, STRM_OK, exp, &res), "granular {3,1}: output");
    CHECK(res.decrypted == 2 && res.encrypted == 1 && res.key_missing == 0
          && res.by_level[1] == 1 && res.by_level[3] == 1
          && levels_sum(&res) == 2, "granular {3,1}: counts");

    j = json_loads(exp, 0, NULL);
    CHECK(strcmp(json_string_value(json_object_get(j, "uniqueIdentifier")),
                 "PII-uid") == 0
          && strcmp(json_string_value(json_object_get(j,
                                                      "someSensitiveValue")),
                    "PII-sens") == 0
          && strncmp(json_string_value(json_object_get(j, "consistentValue")),
                     "A", 1) == 0,
          "granular {3,1}: the original values, the key field a ciphertext");
    json_decref(j);
    free(exp);

    /* cumulative 2: levels 0..2 */
    s = cumul(2, 0);
    exp = expect(a, a_plain, p12);
    CHECK(derive_is(&s, a, STRM_OK, exp, &res)
          && res.decrypted == 2 && res.encrypted == 1
          && res.by_level[1] == 1 && res.by_level[2] == 1,
          "cumulative 2: levels 1 and 2 decrypted, 3 not");
    free(exp);

    s = cumul(3, 0);
    exp = expect(a, a_plain, p123);
    CHECK(derive_is(&s, a, STRM_OK, exp, &res) && res.decrypted == 3
          && res.encrypted == 0, "cumulative 3: everything decrypted");
    CHECK(strcmp(exp, a_plain) == 0, "cumulative 3: the gateway's plain");
    free(exp);

    /* kept, nothing of level 0 to decrypt: the input as it was */
    s = gran(1, 0);
    CHECK(derive_is(&s, a, STRM_OK, a, &res) && res.decrypted == 0
          && res.encrypted == 3 && levels_sum(&res) == 0,
          "granular {0}: kept, nothing decrypted");

    s = gran(2, 1, 4);
    CHECK(derive_is(&s, a, STRM_OK, NULL, &res) && res.decrypted == 0,
          "granular {1,4}: dropped (no consent to 4)");

    s = cumul(4, 1);
    CHECK(derive_is(&s, a, STRM_OK, NULL, &res),
          "cumulative 4 (max): dropped");

    /* consent [1,3]: strmMeta is not encrypted, so change it */
    in = replace(a, "strmMeta/consentLevels", json_pack("[i,i]", 1, 3));

    s = cumul(2, 0);
    CHECK(derive_is(&s, in, STRM_OK, NULL, &res),
          "consent [1,3], cumulative 2 (all): dropped");

    s = cumul(2, 1);
    exp = expect(a, a_plain, p12);
    j = json_loads(exp, 0, NULL);
    free(exp);
    json_object_set_new(json_object_get(j, "strmMeta"), "consentLevels",
                        json_pack("[i,i]", 1, 3));
    exp = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    CHECK(derive_is(&s, in, STRM_OK, exp, &res) && res.decrypted == 2,
          "consent [1,3], cumulative 2 (max): kept, 0..2 decrypted");
    free(exp);

    s = gran(2, 1, 3);
    exp = expect(in, a_plain, p13);
    CHECK(derive_is(&s, in, STRM_OK, exp, &res),
          "consent [1,3], granular {1,3}: kept");
    free(exp);
    free(in);

    /* no consent at all */
    in = replace(a, "strmMeta/consentLevels", json_array());
    s = gran(1, 0);
    CHECK(derive_is(&s, in, STRM_OK, NULL, &res),
          "no consent: dropped by granular {0}");
    s = cumul(0, 1);
    CHECK(derive_is(&s, in, STRM_OK, NULL, &res),
          "no consent: dropped by cumulative 0 (max)");
    free(in);

    /* a null PII field stays null and is not counted */
    s = cumul(3, 0);
    exp = expect(an, an_plain, p12);
    ok = derive_is(&s, an, STRM_OK, exp, &res);
    CHECK(ok && strstr(exp, "\"someSensitiveValue\":null") != NULL
          && res.decrypted == 2 && res.encrypted == 0,
          "a null PII field: null, not counted");
    free(exp);

    s = gran(1, 3);
    CHECK(derive_is(&s, an, STRM_OK, an, &res) && res.decrypted == 0
          && res.encrypted == 2, "granular {3} with the level-3 field null");

    /* member order: the input's, not the schema's */
    in = reorder(a);

    s = gran(2, 1, 3);
    exp = expect(in, a_plain, p13);
    CHECK(strncmp(exp, "{\"notSensitiveValue\":", 21) == 0
          && strstr(exp, "\"strmMeta\":{\"keyLink\":") != NULL
          && derive_is(&s, in, STRM_OK, exp, &res),
          "member order as in the input, at every level");
    free(exp);

    s = gran(1, 0);
    CHECK(derive_is(&s, in, STRM_OK, in, &res),
          "nothing decrypted: byte-identical in any order");
    free(in);

    /* not compact in, compact out */
    in = malloc(strlen(a) + 3);
    sprintf(in, " %s\n", a);
    s = gran(1, 0);
    CHECK(derive_is(&s, in, STRM_OK, a, &res), "whitespace: compact out");
    free(in);
}


/* a nested PII field, and the key field decrypted as PII */
static void
test_click(const char *c, const char *c_plain)
{
    char                 *exp;
    strm_derive_spec_t    s;
    strm_derive_result_t  res;

    static const char    *p0[] = { "customer/id", NULL };
    static const char    *p01[] = { "customer/id", "producerSessionId",
                                    NULL };

    CHECK(c != NULL && strstr(c, "PII-") == NULL,
          "the gateway encrypted the clickstream event");

    s = gran(1, 0);
    exp = expect(c, c_plain, p0);
    CHECK(derive_is(&s, c, STRM_OK, exp, &res) && res.decrypted == 1
          && res.encrypted == 1 && res.by_level[0] == 1,
          "customer/id (level 0) decrypted in its record");
    CHECK(strstr(exp, "\"customer\":{\"id\":\"PII-customer\"}") != NULL,
          "customer/id: the original value");
    free(exp);

    s = cumul(1, 0);
    exp = expect(c, c_plain, p01);
    CHECK(derive_is(&s, c, STRM_OK, exp, &res) && res.decrypted == 2
          && res.encrypted == 0 && strcmp(exp, c_plain) == 0,
          "cumulative 1: the key field (level 1) decrypted too");
    free(exp);

    s = gran(1, 1);
    exp = expect(c, c_plain, p01 + 1);
    CHECK(derive_is(&s, c, STRM_OK, exp, &res) && res.decrypted == 1,
          "granular {1}: the key field only");
    free(exp);
}


/* non-string PII back to its Avro type */
static void
test_types(strm_registry_t *types_reg, const char *t, const char *t_plain,
    strm_tink_keyset_t *daead)
{
    char                 *exp, *out, *in;
    size_t                outlen, len;
    json_t               *j, *v;
    strm_derive_spec_t    s;
    strm_registry_t      *save;
    strm_derive_result_t  res;
    unsigned char        *pt;
    char                  why[256];

    static const char    *p1[] = { "count", "big", "note", NULL };
    static const char    *p700[] = { "far", NULL };
    static const char    *pall[] = {
        "count", "big", "ratio", "flag", "tags", "attrs", "addr", "note",
        "color", "either", "wrap", "far", NULL
    };

    CHECK(t != NULL && strstr(t, "PII-") == NULL
          && strstr(t, "1234") == NULL,
          "the gateway encrypted the types event");

    if (t == NULL) {
        return;
    }

    save = reg;
    reg = types_reg;

    /* every level: the gateway's plain event but the key field */
    s = gran(8, 0, 1, 2, 3, 4, 5, 6, 700);
    exp = expect(t, t_plain, pall);
    CHECK(derive_is(&s, t, STRM_OK, exp, &res), "all levels: plain");
    free(exp);
    CHECK(res.decrypted == 13 && res.encrypted == 1 && res.by_level[1] == 3
          && res.by_level[2] == 3 && res.by_level[3] == 2
          && res.by_level[4] == 2 && res.by_level[5] == 1
          && res.by_level[6] == 1 && res.by_level[63] == 1,
          "all levels: counts (the key field, no PII, stays encrypted)");

    out = NULL;
    strm_derive_event(reg, keys, &s, t, strlen(t), &out, &outlen, &res,
                      why, sizeof(why));
    j = (out != NULL) ? json_loads(out, 0, NULL) : NULL;
    free(out);

    CHECK(j != NULL
          && json_integer_value(json_object_get(j, "count")) == 42
          && json_integer_value(json_object_get(j, "big"))
             == 9007199254740993LL
          && json_is_real(json_object_get(j, "ratio"))
          && json_real_value(json_object_get(j, "ratio")) == 0.1
          && json_is_true(json_object_get(j, "flag"))
          && json_is_array(json_object_get(j, "tags"))
          && json_is_object(json_object_get(j, "attrs"))
          && json_integer_value(strm_json_path(j, "addr/zip")) == 1234
          && json_is_string(json_object_get(j, "note"))
          && json_is_string(json_object_get(j, "color"))
          && strcmp(json_string_value(json_object_get(j, "either")),
                    "PII-either") == 0
          && strcmp(json_string_value(strm_json_path(j, "wrap/inner")),
                    "PII-inner") == 0
          && json_is_string(json_object_get(j, "id"))
          && strcmp(json_string_value(json_object_get(j, "id")),
                    "PII-id-1") != 0,
          "int, long, double, boolean, array, map, record, strings, enum");
    json_decref(j);

    s = gran(1, 1);
    exp = expect(t, t_plain, p1);
    CHECK(derive_is(&s, t, STRM_OK, exp, &res) && res.decrypted == 3
          && res.encrypted == 10, "granular {1}: three fields");
    free(exp);

    s = gran(1, 700);
    exp = expect(t, t_plain, p700);
    CHECK(derive_is(&s, t, STRM_OK, exp, &res) && res.decrypted == 1
          && res.by_level[63] == 1 && levels_sum(&res) == 1,
          "level 700 counted in the last slot");
    free(exp);

    /* wrap (5) holds wrap/inner (6), encrypted first */
    s = gran(1, 6);
    CHECK(derive_is(&s, t, STRM_OK, t, &res) && res.decrypted == 0,
          "wrap/inner inside an encrypted wrap: untouched");

    s = gran(1, 5);
    out = NULL;
    CHECK(strm_derive_event(reg, keys, &s, t, strlen(t), &out, &outlen,
                            &res, why, sizeof(why)) == STRM_OK
          && res.decrypted == 1, "wrap decrypted alone");
    j = (out != NULL) ? json_loads(out, 0, NULL) : NULL;
    v = strm_json_path(j, "wrap/inner");
    pt = NULL;
    len = 0;
    CHECK(json_is_string(v)
          && strm_event_decrypt_value(daead, "wrap/inner",
                                      json_string_value(v),
                                      json_string_length(v), &pt, &len)
             == STRM_OK
          && len == 9 && memcmp(pt, "PII-inner", 9) == 0,
          "wrap alone: inner still the gateway's ciphertext");
    strm_tink_secret_free(pt, len);
    json_decref(j);
    free(out);

    /* a ciphertext whose plaintext is not of its field's type */
    s = gran(1, 1);
    in = replace(t, "count", ciphertext(daead, "count", "PII-not-json"));
    CHECK(derive_is(&s, in, STRM_E_BAD_REQUEST, NULL, &res),
          "an int field whose plaintext is not JSON");
    free(in);

    in = replace(t, "note", ciphertext(daead, "note", "\xff\xfe"));
    CHECK(derive_is(&s, in, STRM_E_BAD_REQUEST, NULL, &res),
          "a string field whose plaintext is not UTF-8");
    free(in);

    reg = save;
}


/* a JSON Schema: the registry keeps it opaque, so its types are unknown */
static void
test_json_schema(strm_registry_t *num_reg, const char *n)
{
    char                 *out;
    size_t                outlen;
    json_t               *j;
    strm_registry_t      *save;
    strm_derive_spec_t    s;
    strm_derive_result_t  res;
    char                  why[256];

    CHECK(n != NULL, "the gateway encrypted the num event");

    if (n == NULL) {
        return;
    }

    save = reg;
    reg = num_reg;

    s = gran(2, 1, 2);
    out = NULL;
    CHECK(strm_derive_event(reg, keys, &s, n, strlen(n), &out, &outlen,
                            &res, why, sizeof(why)) == STRM_OK
          && res.decrypted == 2 && res.encrypted == 1,
          "num: two fields decrypted");

    /*
     * "Cannot tell": a JSON string of the JSON text.  Once the registry
     * can say a JSON Schema field is a number, score becomes 42.5.
     */
    j = (out != NULL) ? json_loads(out, 0, NULL) : NULL;
    CHECK(j != NULL
          && strcmp(json_string_value(json_object_get(j, "score")), "42.5")
             == 0
          && strcmp(json_string_value(json_object_get(j, "tags")),
                    "[\"a\",\"b\"]") == 0,
          "num: JSON Schema types unknown, values as strings");
    json_decref(j);
    free(out);

    reg = save;
}


/* the key link shredded: kept, every field as it was */
static void
test_shredded(const char *b)
{
    strm_derive_spec_t    s;
    strm_derive_result_t  res;

    s = gran(3, 1, 2, 3);
    CHECK(derive_is(&s, b, STRM_OK, b, &res) && res.kept == 1
          && res.key_missing == 1 && res.decrypted == 0
          && res.encrypted == 3 && levels_sum(&res) == 0,
          "shredded: kept, PII byte-identical, key_missing");

    s = cumul(2, 0);
    CHECK(derive_is(&s, b, STRM_OK, b, &res) && res.key_missing == 1,
          "shredded: cumulative 2");

    s = gran(1, 0);
    CHECK(derive_is(&s, b, STRM_OK, b, &res) && res.key_missing == 0,
          "shredded, nothing to decrypt: no key looked up");

    s = gran(1, 4);
    CHECK(derive_is(&s, b, STRM_OK, NULL, &res) && res.key_missing == 0,
          "shredded, dropped by consent");
}


static void
test_malformed(const char *a, const char *a_plain, const char *b,
    strm_tink_keyset_t *daead)
{
    char                 *in, *out, *exp;
    char                  big[1024], why[256];
    size_t                i, outlen;
    json_t               *j, *jb;
    strm_rc_t             rc;
    strm_derive_spec_t    s;
    strm_derive_result_t  res;

    static const char    *p2[] = { "consistentValue", NULL };

    static const struct {
        const char  *json;
        strm_rc_t    rc;
        const char  *what;
    } cases[] = {

#define META(ref, levels, link)                                              \
    "{\"strmMeta\":{" ref levels link "},\"uniqueIdentifier\":\"PII-x\"}"
#define REF   "\"eventContractRef\":\"" EXAMPLE "\","
#define LVL   "\"consentLevels\":[1],"
#define LINK  "\"keyLink\":\"" UUID "\""

        { "PII-secret", STRM_E_INVALID_JSON, "not JSON" },
        { "", STRM_E_INVALID_JSON, "empty" },
        { "[1,2]", STRM_E_INVALID_JSON, "an array" },
        { "\"PII-x\"", STRM_E_INVALID_JSON, "a string" },
        { "{\"a\":1} {", STRM_E_INVALID_JSON, "trailing bytes" },
        { "{\"a\":\"PII-1\",\"a\":2}", STRM_E_INVALID_JSON, "duplicates" },
        { "{\"strmMeta\":{\"a\":1,\"a\":1}}", STRM_E_INVALID_JSON,
          "nested duplicates" },
        { "{\"uniqueIdentifier\":\"PII-x\"}", STRM_E_STRM_META,
          "no strmMeta" },
        { "{\"strmMeta\":\"PII-x\"}", STRM_E_STRM_META,
          "strmMeta a string" },
        { "{\"strmMeta\":null}", STRM_E_STRM_META, "strmMeta null" },
        { META(REF, "", LINK), STRM_E_STRM_META, "no consentLevels" },
        { META(REF, "\"consentLevels\":null,", LINK), STRM_E_STRM_META,
          "consentLevels null" },
        { META(REF, "\"consentLevels\":\"1\",", LINK), STRM_E_STRM_META,
          "consentLevels a string" },
        { META(REF, "\"consentLevels\":[1.5],", LINK), STRM_E_STRM_META,
          "a real level" },
        { META(REF, "\"consentLevels\":[-1],", LINK), STRM_E_STRM_META,
          "level -1" },
        { META(REF, "\"consentLevels\":[1001],", LINK), STRM_E_STRM_META,
          "level 1001" },
        { META(REF, "\"consentLevels\":[\"1\"],", LINK), STRM_E_STRM_META,
          "a string level" },
        { META(REF, "\"consentLevels\":[null],", LINK), STRM_E_STRM_META,
          "a null level" },
        { META(REF, LVL, "\"k\":1"), STRM_E_STRM_META, "no keyLink" },
        { META(REF, LVL, "\"keyLink\":null"), STRM_E_STRM_META,
          "keyLink null" },
        { META(REF, LVL, "\"keyLink\":5"), STRM_E_STRM_META,
          "keyLink a number" },
        { META(REF, LVL, "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5\""),
          STRM_E_STRM_META, "keyLink 35 characters" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b0\""),
          STRM_E_STRM_META, "keyLink 37 characters" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c+1d2e-4f60-8a9b-0c1d2e3f4a5b\""),
          STRM_E_STRM_META, "keyLink without a dash" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5g\""),
          STRM_E_STRM_META, "keyLink not hex" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a-b\""),
          STRM_E_STRM_META, "keyLink with a dash for a digit" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d-e3f4a5b\""),
          STRM_E_STRM_META, "keyLink with a dash for its 29th digit" },
        { META(REF, LVL,
               "\"keyLink\":\":b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b\""),
          STRM_E_STRM_META, "keyLink with a colon first" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4@3c-1d2e-4f60-8a9b-0c1d2e3f4a5b\""),
          STRM_E_STRM_META, "keyLink with an at sign" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9G-0c1d2e3f4a5b\""),
          STRM_E_STRM_META, "keyLink with a G" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3/4a5b\""),
          STRM_E_STRM_META, "keyLink with a slash" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5`\""),
          STRM_E_STRM_META, "keyLink with a backtick last" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4\xc3\xa9"
               "b\""),
          STRM_E_STRM_META, "keyLink with a letter above ASCII" },
        { META(REF, LVL,
               "\"keyLink\":\"0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a\\u0000b\""),
          STRM_E_STRM_META, "keyLink with a NUL" },
        { META("", LVL, LINK), STRM_E_STRM_META, "no eventContractRef" },
        { META("\"eventContractRef\":5,", LVL, LINK), STRM_E_STRM_META,
          "eventContractRef a number" },
        { META("\"eventContractRef\":\"acme/nosuch/1.0.0\",", LVL, LINK),
          STRM_E_CONTRACT_UNKNOWN, "an unknown contract" },
        { META("\"eventContractRef\":\"PII-x\",", LVL, LINK),
          STRM_E_CONTRACT_UNKNOWN, "not a contract ref" },
        { META("\"eventContractRef\":\"strmprivacy/demo/1.0.2\",", LVL,
               LINK),
          STRM_E_CONTRACT_UNKNOWN, "a schema without a contract" },

#undef META
#undef REF
#undef LVL
#undef LINK
    };

    s = gran(1, 1);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        out = (char *) 1;
        why[0] = '\0';
        rc = strm_derive_event(reg, keys, &s, cases[i].json,
                               strlen(cases[i].json), &out, &outlen, &res,
                               why, sizeof(why));
        CHECK(rc == cases[i].rc && out == NULL && outlen == 0
              && res.kept == 0 && why[0] != '\0'
              && strstr(why, "PII") == NULL, cases[i].what);

        if (rc != cases[i].rc) {
            printf("  rc %d: %s\n", rc, why);
        }
    }

    /* 64 levels are fine, 65 are not */
    strcpy(big, "{\"strmMeta\":{\"eventContractRef\":\"" EXAMPLE "\","
           "\"keyLink\":\"" UUID "\",\"consentLevels\":[0");

    for (i = 1; i < 64; i++) {
        sprintf(big + strlen(big), ",%zu", i);
    }

    strcat(big, "]}}");
    CHECK(derive_is(&s, big, STRM_OK, big, &res) && res.kept == 1,
          "64 consent levels");

    strcpy(big + strlen(big) - 3, ",64]}}");
    CHECK(derive_is(&s, big, STRM_E_STRM_META, NULL, &res),
          "65 consent levels");

    /* an unknown key link in capitals is a UUID */
    in = replace(a, "strmMeta/keyLink",
                 json_string("0B5A4E3C-1D2E-4F60-8A9B-0C1D2E3F4A5B"));
    CHECK(derive_is(&s, in, STRM_OK, in, &res) && res.key_missing == 1,
          "an unknown key link in capitals: key missing");
    free(in);

    /* PII fields of a wanted level that are no ciphertext of theirs */
    j = json_loads(a, 0, NULL);
    jb = json_loads(b, 0, NULL);

#define BAD_FIELD(v, what)                                                   \
    in = replace(a, "uniqueIdentifier", v);                                  \
    s = gran(1, 1);                                                          \
    out = NULL;                                                              \
    why[0] = '\0';                                                           \
    rc = strm_derive_event(reg, keys, &s, in, strlen(in), &out, &outlen,    \
                           &res, why, sizeof(why));                          \
    CHECK(rc == STRM_E_BAD_REQUEST && out == NULL                            \
          && strstr(why, "uniqueIdentifier") != NULL                         \
          && strstr(why, "PII") == NULL, what);                              \
    s = gran(1, 2);                                                          \
    exp = expect(in, a_plain, p2);                                           \
    CHECK(derive_is(&s, in, STRM_OK, exp, &res) && res.decrypted == 1,       \
          what ", of a level not wanted: untouched");                        \
    free(exp);                                                               \
    free(in);

    BAD_FIELD(json_string("AAAA"), "a short ciphertext");
    BAD_FIELD(json_string("!!PII-not-base64"), "not base64");
    BAD_FIELD(json_string(""), "an empty string");
    BAD_FIELD(json_integer(5), "a number");
    BAD_FIELD(json_pack("{s:s}", "a", "PII-x"), "an object");
    BAD_FIELD(json_deep_copy(json_object_get(j, "someSensitiveValue")),
              "the ciphertext of another field (associated data)");
    BAD_FIELD(json_deep_copy(json_object_get(jb, "uniqueIdentifier")),
              "a ciphertext under another key link");

#undef BAD_FIELD

    /* a ciphertext the test made itself decrypts */
    in = replace(a, "uniqueIdentifier",
                 ciphertext(daead, "uniqueIdentifier", "PII-new"));
    s = gran(1, 1);
    out = NULL;
    CHECK(strm_derive_event(reg, keys, &s, in, strlen(in), &out, &outlen,
                            &res, why, sizeof(why)) == STRM_OK
          && out != NULL
          && strstr(out, "\"uniqueIdentifier\":\"PII-new\"") != NULL,
          "a fresh ciphertext of the key link's key");
    free(out);
    free(in);

    /* plaintexts that need escapes: the splice writes them as jansson */
    in = replace(a, "uniqueIdentifier",
                 ciphertext(daead, "uniqueIdentifier",
                            "PII \"q\" \\ /\b\f\n\r\t\x01\x1f\x7f \xc3\xa9"));
    out = NULL;
    CHECK(strm_derive_event(reg, keys, &s, in, strlen(in), &out, &outlen,
                            &res, why, sizeof(why)) == STRM_OK
          && out != NULL
          && strstr(out, "\"uniqueIdentifier\":\"PII \\\"q\\\" "
                         "\\\\ /\\b\\f\\n\\r\\t\\u0001\\u001F"
                         "\x7f \xc3\xa9\"") != NULL
          && same_as_tree(&s, in, STRM_OK, out, outlen, &res),
          "a plaintext with quotes and control characters, escaped");
    free(out);
    free(in);

    json_decref(jb);
    json_decref(j);
}


int
main(void)
{
    char                 dir[] = "/tmp/strm-derive-XXXXXX";
    char                 file[128], err[512], path[256];
    char                 la[40], lan[40], lb[40], lc[40], lt[40], ln[40];
    char                *a, *ap, *an, *anp, *b, *bp, *c, *cp, *t, *tp;
    char                *n, *np;
    FILE                *f;
    strm_rc_t            rc;
    strm_keys_t         *k;
    strm_registry_t     *treg, *nreg;
    strm_tink_keyset_t  *kek, *daead_a, *daead_t;

    test_tables();

    if (mkdtemp(dir) == NULL) {
        return 1;
    }

    snprintf(file, sizeof(file), "%s/keys.mdb", dir);

    kek = strm_tink_keyset_new(STRM_TINK_AEAD);
    CHECK(kek != NULL && strm_tink_keyset_add_random(kek, NULL) == STRM_OK,
          "a KEK");

    rc = strm_keys_open(file, 1 << 24, 0, kek, DAY, 16, &k, err,
                        sizeof(err));
    CHECK(rc == STRM_OK, "a writable key store");

    rc = strm_registry_load("conf/registry", &reg, err, sizeof(err));
    CHECK(rc == STRM_OK, "the demo registry");

    rc = strm_registry_load("t/unit/data/event/registry", &nreg, err,
                            sizeof(err));
    CHECK(rc == STRM_OK, "the event fixtures");

    /* a registry with every Avro type as PII */
    snprintf(path, sizeof(path), "%s/reg", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/reg/acme", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/reg/acme/types", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0/schema.avsc", dir);
    f = fopen(path, "w");
    fputs(types_avsc, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0/contract.json",
             dir);
    f = fopen(path, "w");
    fputs(types_contract, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/reg", dir);

    rc = strm_registry_load(path, &treg, err, sizeof(err));
    CHECK(rc == STRM_OK, "the types registry");

    if (rc != STRM_OK) {
        printf("  %s\n", err);
        return UNIT_DONE();
    }

    a = gateway(reg, k, "strmprivacy/demo/1.0.2",
                DEMO("PII-key-a", "\"PII-sens\""), &ap, la);
    an = gateway(reg, k, "strmprivacy/demo/1.0.2",
                 DEMO("PII-key-a", "null"), &anp, lan);
    b = gateway(reg, k, "strmprivacy/demo/1.0.2",
                DEMO("PII-key-b", "\"PII-sens\""), &bp, lb);
    c = gateway(reg, k, "strmprivacy/clickstream/1.0.0", CLICK, &cp, lc);
    t = gateway(treg, k, TYPES, TYPES_EVENT, &tp, lt);
    n = gateway(nreg, k, "acme/num/1.0.0", NUM, &np, ln);

    CHECK(a != NULL && b != NULL && strcmp(la, lan) == 0
          && strcmp(la, lb) != 0, "two sessions, two key links");

    CHECK(strm_keystore_shred(strm_keys_store(k), lb) == 1,
          "the second key link shredded");

    /* LMDB: one environment per file and process at a time */
    strm_keys_close(k);

    rc = strm_keys_open(file, 1 << 24, 1, kek, DAY, 16, &keys, err,
                        sizeof(err));
    CHECK(rc == STRM_OK, "the store opened read-only, as the worker does");

    if (rc == STRM_OK && a != NULL && b != NULL && t != NULL) {
        test_demo(a, ap, an, anp);
        test_click(c, cp);
        test_shredded(b);
        test_json_schema(nreg, n);

        /* the keysets are borrowed: one call at a time */
        daead_t = NULL;
        strm_keys_by_link(keys, lt, &daead_t);
        test_types(treg, t, tp, daead_t);

        daead_a = NULL;
        strm_keys_by_link(keys, la, &daead_a);
        test_malformed(a, ap, b, daead_a);

        strm_derive_ctx_free(ctx);
        strm_keys_close(keys);
    }

    free(a);
    free(ap);
    free(an);
    free(anp);
    free(b);
    free(bp);
    free(c);
    free(cp);
    free(t);
    free(tp);
    free(n);
    free(np);

    strm_registry_free(reg);
    strm_registry_free(nreg);
    strm_registry_free(treg);
    strm_tink_keyset_free(kek);

    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0/schema.avsc", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0/contract.json",
             dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/reg/acme/types/1.0.0", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/reg/acme/types", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/reg/acme", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/reg", dir);
    rmdir(path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/keys.mdb-lock", dir);
    unlink(file);
    rmdir(dir);

    return UNIT_DONE();
}
