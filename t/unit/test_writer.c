
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The gateway's one-pass writer (strm_event_write(), strm_avro_write(),
 * strm_jw) against the path it replaced (strm_event_ref_write(): the
 * plain tree built by the Avro check, stamped, each PII field looked
 * up and encrypted, the tree dumped), byte for byte, over thousands of
 * generated events of a schema with every kind of field: unions (bare
 * and Avro-JSON wrapped, a [double, long] one), defaults of absent
 * fields (a record's too), nested records, a record in a union,
 * arrays of records, maps of unions, bytes, fixed, enum, reals; PII at
 * nested paths, null PII, a PII record, PII below PII in both orders,
 * strmMeta and its stamps as PII, the key field below a PII record;
 * members in and out of the schema's order; JSON and Avro binary; with
 * and without a key link.  Also: strm_avro_value() against
 * strm_json_path() on the built tree, and the check that builds nothing
 * against the one that builds (the same answer, field, rule, detail).
 * Run from the repository root.  Prints "N passed, N failed".
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strm_avro_bin.h"
#include "strm_avro_encode.h"
#include "strm_event.h"
#include "strm_event_ref.h"
#include "strm_json.h"
#include "strm_jw.h"
#include "unit.h"


#define RICH    "acme/rich/1.0.0"
#define UUID    "0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b"
#define EVENTS  3000


static const char  *contracts[] = {
    "acme/all/1.0.0", "acme/inner/1.0.0", "acme/outer/1.0.0",
    "acme/stamps/1.0.0", "acme/none/1.0.0"
};

static const char  *paths[] = {
    "strmMeta", "strmMeta/consentLevels", "strmMeta/eventContractRef",
    "strmMeta/nonce", "sid", "email", "age", "score", "ratio", "kind",
    "raw", "fx", "tags", "props", "props/a", "props/b", "addr",
    "addr/street", "addr/geo", "addr/geo/lat", "addr/geo/lon", "alt",
    "alt/zip", "items", "flag", "note", "nope", "addr/nope", "sid/x",
    "tags/0", "", "addr//zip"
};


static unsigned long  seed = 19;

/* everyday events: bare unions, plain strings, no reals, bytes, fixed */
static int  everyday;


static unsigned
rnd(unsigned n)
{
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;

    return (unsigned) ((seed >> 33) % n);
}


/* a string, sometimes with what JSON escapes and non-ASCII text */
static json_t *
rstr(const char *base)
{
    char  buf[128];

    static const char  *tails[] = {
        "", "-x", " \"q\" \\ /", "\n\t\x01\x1f", "h\xc3\xa9llo \xe2\x82\xac",
        "\xf0\x9f\x98\x80", "a-long-value-long-value-long-value-long-value"
    };

    static const unsigned  plain[] = { 0, 1, 4, 5, 6 };

    snprintf(buf, sizeof(buf), "%s%u%s", base, rnd(100),
             tails[everyday ? plain[rnd(5)]
                            : rnd(sizeof(tails) / sizeof(tails[0]))]);

    return json_string(buf);
}


/* a union's value, bare or wrapped Avro-JSON style */
static json_t *
wrap(const char *branch, json_t *v)
{
    if (!everyday && rnd(3) == 0) {
        return json_pack("{so}", branch, v);
    }

    return v;
}


static void
maybe(json_t *o, const char *name, json_t *v)
{
    if (v != NULL) {
        json_object_set_new(o, name, v);
    }
}


static json_t *
gen_geo(void)
{
    json_t  *g;

    g = json_object();
    json_object_set_new(g, "lat", rnd(2) ? json_real(rnd(9000) / 100.0 - 45)
                                         : json_integer(rnd(90)));
    json_object_set_new(g, "lon", rnd(4) == 0 ? json_null()
                                  : wrap("float", json_real(rnd(100) / 4.0)));

    if (rnd(2)) {
        json_object_set_new(g, "label", rstr("l"));
    }

    return rnd(4) == 0 ? json_pack("{so}", "io.acme.Geo", g) : g;
}


static json_t *
gen_addr(int top)
{
    json_t  *a;

    a = json_object();

    switch (rnd(4)) {
    case 0:
        break;
    case 1:
        json_object_set_new(a, "street", json_null());
        break;
    default:
        json_object_set_new(a, "street", wrap("string", rstr("st")));
    }

    if (rnd(3)) {
        json_object_set_new(a, "zip", json_integer(rnd(99999)));
    }

    switch (rnd(3)) {
    case 0:
        break;
    case 1:
        json_object_set_new(a, "geo", json_null());
        break;
    default:
        /* its lat is a double: not an everyday event's */
        json_object_set_new(a, "geo", everyday ? json_null() : gen_geo());
    }

    if (!everyday && !top && rnd(3) == 0) {
        return json_pack("{so}", rnd(2) ? "io.acme.Addr" : "Addr", a);
    }

    return a;
}


static json_t *
gen_event(const char *contract)
{
    size_t   i, n;
    json_t  *e, *m, *l, *t, *p, *it;

    e = json_object();

    m = json_object();
    json_object_set_new(m, "eventContractRef", json_string(contract));

    if (rnd(4) == 0) {
        json_object_set_new(m, "nonce", wrap("int", json_integer(rnd(50))));
    }

    if (rnd(4) == 0) {
        json_object_set_new(m, "keyLink", json_null());
    }

    if (rnd(4) == 0) {
        json_object_set_new(m, "billingId", wrap("string", rstr("b")));
    }

    l = json_array();
    n = rnd(4);

    for (i = 0; i < n; i++) {
        json_array_append_new(l, json_integer(rnd(5)));
    }

    json_object_set_new(m, "consentLevels", l);
    json_object_set_new(e, "strmMeta", m);

    json_object_set_new(e, "sid", rstr("s"));

    maybe(e, "email", rnd(3) == 0 ? NULL : rnd(4) == 0 ? json_null()
                      : wrap("string", rstr("e")));
    maybe(e, "age", rnd(3) == 0 ? NULL : rnd(4) == 0 ? json_null()
                    : wrap("int", json_integer(rnd(120))));
    maybe(e, "score", rnd(3) == 0 || everyday ? NULL
                      : rnd(2) ? json_integer(rnd(10))
                      : json_real(rnd(1000) / 8.0));

    switch (everyday ? 0 : rnd(6)) {
    case 0:
        break;
    case 1:
        json_object_set_new(e, "ratio", json_integer(rnd(10)));
        break;
    case 2:
        json_object_set_new(e, "ratio", json_real(0.25 * rnd(10)));
        break;
    case 3:
        json_object_set_new(e, "ratio", json_pack("{sI}", "long",
                                                  (json_int_t) rnd(10)));
        break;
    default:
        json_object_set_new(e, "ratio", json_pack("{sf}", "double", 1.75));
    }

    maybe(e, "kind", rnd(3) == 0 ? NULL : json_string(rnd(2) ? "A" : "B"));
    maybe(e, "raw", rnd(3) == 0 || everyday ? NULL
                    : json_stringn(rnd(2) ? "\xc3\xbf\x00x" : "ab", 4));
    maybe(e, "fx", rnd(3) == 0 || everyday ? NULL : json_string("zz"));

    if (rnd(3)) {
        t = json_array();
        n = rnd(4);

        for (i = 0; i < n; i++) {
            json_array_append_new(t, rstr("t"));
        }

        json_object_set_new(e, "tags", t);
    }

    if (rnd(3)) {
        p = json_object();
        n = rnd(4);

        for (i = 0; i < n; i++) {
            json_object_set_new(p, i == 0 ? "a" : i == 1 ? "b" : "c/d",
                                rnd(3) == 0 ? json_null()
                                : rnd(2) ? wrap("long",
                                                json_integer(rnd(1000)))
                                : wrap("string", rstr("v")));
        }

        json_object_set_new(e, "props", p);
    }

    if (rnd(4)) {
        json_object_set_new(e, "addr", gen_addr(1));
    }

    maybe(e, "alt", rnd(3) == 0 ? NULL : rnd(3) == 0 ? json_null()
                    : gen_addr(0));

    if (rnd(3)) {
        t = json_array();
        n = rnd(3);

        for (i = 0; i < n; i++) {
            it = json_object();
            json_object_set_new(it, "sku", rstr("k"));

            if (rnd(2)) {
                json_object_set_new(it, "qty", json_integer(rnd(9)));
            }

            json_array_append_new(t, it);
        }

        json_object_set_new(e, "items", t);
    }

    maybe(e, "flag", rnd(3) == 0 ? NULL : json_boolean(rnd(2)));
    maybe(e, "note", rnd(3) == 0 ? NULL : rnd(3) == 0 ? json_null()
                     : wrap("string", rstr("n")));

    return e;
}


/* the same members, in another order: the writer must not care */
static json_t *
shuffled(json_t *e)
{
    size_t       i, n, j;
    json_t      *o;
    const char  *keys[32], *k, *tmp;
    json_t      *v;

    n = 0;

    json_object_foreach(e, k, v) {
        keys[n++] = k;
    }

    for (i = n; i > 1; i--) {
        j = rnd(i);
        tmp = keys[i - 1];
        keys[i - 1] = keys[j];
        keys[j] = tmp;
    }

    o = json_object();

    for (i = 0; i < n; i++) {
        json_object_set(o, keys[i], json_object_get(e, keys[i]));
    }

    return o;
}


static int  compared, refused, binaries;


/*
 * The key field's value both ways: strm_event_key()'s bytes (the text's
 * way reads a string where the text has it), or, when neither has a
 * string, the values themselves
 */
static int
same_key(const strm_event_t *e1, const strm_event_t *e2)
{
    size_t       l1, l2;
    const char  *k1, *k2;

    k1 = strm_event_key(e1, &l1);
    k2 = strm_event_key(e2, &l2);

    if (k1 != NULL || k2 != NULL) {
        return k1 != NULL && k2 != NULL && l1 == l2
               && memcmp(k1, k2, l1) == 0;
    }

    return (e1->key == NULL && e2->key == NULL)
           || json_equal(e1->key, e2->key);
}


/* both ways, with and without a key link and a keyset */
static int
same(strm_event_t *ev, strm_tink_keyset_t *daead, const char *what)
{
    int          k, ok;
    char        *ref;
    size_t       len, n1, n2;
    strm_rc_t    rc1, rc2;
    const char  *link;

    ok = 1;

    for (k = 0; k < 3; k++) {
        link = (k == 1) ? NULL : UUID;

        rc1 = strm_event_write(ev, 1700000000000LL + k, k - 1, link,
                               k == 2 ? NULL : daead, &n1);
        rc2 = strm_event_ref_write(ev, 1700000000000LL + k, k - 1, link,
                                   k == 2 ? NULL : daead, &ref, &len, &n2);

        if (rc1 != STRM_OK || rc2 != STRM_OK || n1 != n2 || len != ev->len
            || memcmp(ref, ev->json, len) != 0)
        {
            if (ok) {
                printf("  %s: %d %d, %zu %zu fields\n  new %s\n  old %s\n",
                       what, rc1, rc2, n1, n2, ev->json ? ev->json : "-",
                       ref ? ref : "-");
            }

            ok = 0;
        }

        free(ref);
    }

    compared++;

    return ok;
}


/*
 * The check's notes against a second scan of the text: a value the notes
 * give is where strm_json_plain_path() finds it (none below an array, a
 * map, or deeper than a record's records), and the check with notes
 * takes what the one without takes.
 */
static int  notes_ok = 1, notes_found, notes_strmmeta;

static const char  *note_paths[] = {
    "strmMeta", "strmMeta/consentLevels", "strmMeta/eventContractRef",
    "strmMeta/nonce", "strmMeta/timestamp", "strmMeta/keyLink", "sid",
    "email", "age", "kind", "tags", "props", "props/a", "props/b", "addr",
    "addr/street", "addr/geo", "addr/geo/lat", "addr/geo/lon", "alt",
    "alt/zip", "items", "items/qty", "items/0", "flag", "note", "nope",
    "addr/nope", "sid/x", "tags/0", "", "addr//zip", "strmMeta/", "/sid"
};

static void
notes_match(strm_registry_t *reg, const char *ref, const char *body,
    size_t len)
{
    int                   a, b, k;
    size_t                i, n;
    strm_rc_t             rc1, rc2;
    const char           *p, *q;
    strm_avro_notes_t     notes;
    const strm_schema_t  *s;
    const unsigned char  *v1, *e1, *v2, *e2;

    s = strm_registry_schema(reg, ref, strlen(ref));
    if (s == NULL || s->avro == NULL) {
        return;
    }

    rc1 = strm_avro_text_check(s->avro, (const unsigned char *) body, len);
    rc2 = strm_avro_text_check_notes(s->avro, (const unsigned char *) body,
                                     len, &notes);

    if (rc1 != rc2) {
        printf("  notes: the checks differ: %d %d\n  in  %.*s\n", rc1, rc2,
               (int) len, body);
        notes_ok = 0;
        return;
    }

    for (i = 0; rc1 == STRM_OK && i < sizeof(note_paths) / sizeof(char *);
         i++)
    {
        a = strm_avro_text_at(&notes, note_paths[i], &v1, &e1);

        if (!a) {
            continue;
        }

        b = strm_json_plain_path((const unsigned char *) body, len,
                                 note_paths[i], &v2, &e2);

        if (!b || v1 != v2 || e1 != e2) {
            printf("  notes: \"%s\" at %td-%td, scanned %d at %td-%td\n"
                   "  in  %.*s\n", note_paths[i],
                   v1 - (const unsigned char *) body,
                   e1 - (const unsigned char *) body, b,
                   b ? v2 - (const unsigned char *) body : 0,
                   b ? e2 - (const unsigned char *) body : 0, (int) len,
                   body);
            notes_ok = 0;
        }

        notes_found++;
        notes_strmmeta += (i == 1 || i == 2);

        /* and member by member, as strmMeta's are read */
        k = -1;
        p = note_paths[i];

        for ( ;; ) {
            q = strchr(p, '/');
            n = (q != NULL) ? (size_t) (q - p) : strlen(p);
            k = strm_avro_text_member(&notes, k, p, n);

            if (k < 0 || q == NULL) {
                break;
            }

            p = q + 1;
        }

        if (k < 0 || notes.note[k].v != v1 || notes.note[k].vend != e1) {
            printf("  notes: \"%s\" member by member: %d\n",
                   note_paths[i], k);
            notes_ok = 0;
        }
    }
}


/*
 * The text's way against the tree's: the same answer (code, field,
 * rule, detail), the same contract, consent and key, and the same
 * bytes written three ways; *text tells whether the text's way took it.
 */
static int        both_n, both_text;
static strm_rc_t  both_rc;

static int
both_ways(strm_registry_t *reg, const char *ref, const char *body,
    size_t len, strm_tink_keyset_t *daead, int *text)
{
    int            k, ok;
    char          *dl1, *dl2;
    size_t         n1, n2, l1, l2;
    strm_rc_t      rc1, rc2, w1, w2;
    const char    *link;
    strm_event_t   e1, e2;
    strm_reject_t  rej1, rej2;

    memset(&rej1, 0, sizeof(rej1));
    memset(&rej2, 0, sizeof(rej2));

    notes_match(reg, ref, body, len);

    strm_event_text_path = 1;
    rc1 = strm_event_parse(reg, ref, strlen(ref), STRM_SER_JSON,
                           (const unsigned char *) body, len, &e1, &rej1);
    strm_event_text_path = 0;
    rc2 = strm_event_parse(reg, ref, strlen(ref), STRM_SER_JSON,
                           (const unsigned char *) body, len, &e2, &rej2);
    strm_event_text_path = 1;

    *text = (e1.text != NULL);
    both_rc = rc2;
    both_n++;
    both_text += *text;

    /* (a union's branches tried leave a reason behind on success) */
    ok = (rc1 == rc2
          && (rc1 == STRM_OK
              || (strcmp(rej1.field, rej2.field) == 0
                  && strcmp(rej1.rule, rej2.rule) == 0
                  && strcmp(rej1.detail, rej2.detail) == 0))
          && e1.contract == e2.contract && e1.nlevels == e2.nlevels
          && strcmp(e1.consent, e2.consent) == 0
          && same_key(&e1, &e2)
          && (rc1 != STRM_OK || e2.text == NULL));

    if (!ok) {
        printf("  parse: %d %d \"%s\" \"%s\" / %d \"%s\" \"%s\"\n", rc1,
               *text, rej1.field, rej1.rule, rc2, rej2.field, rej2.rule);
    }

    for (k = 0; ok && rc1 == STRM_OK && k < 3; k++) {
        link = (k == 1) ? NULL : UUID;

        w1 = strm_event_write(&e1, 1700000000000LL + k, k - 1, link,
                              k == 2 ? NULL : daead, &n1);
        w2 = strm_event_write(&e2, 1700000000000LL + k, k - 1, link,
                              k == 2 ? NULL : daead, &n2);

        if (w1 != STRM_OK || w2 != STRM_OK || n1 != n2 || e1.len != e2.len
            || memcmp(e1.json, e2.json, e1.len) != 0)
        {
            printf("  text %d: %d %d, %zu %zu fields\n  text %s\n  tree %s\n",
                   *text, w1, w2, n1, n2, e1.json ? e1.json : "-",
                   e2.json ? e2.json : "-");
            ok = 0;
        }
    }

    if (ok && rc1 != STRM_OK) {
        dl1 = strm_event_dead_letter(&e1, rc1, &rej1, ref, strlen(ref), "c",
                                     UUID, 5, &l1);
        dl2 = strm_event_dead_letter(&e2, rc2, &rej2, ref, strlen(ref), "c",
                                     UUID, 5, &l2);

        if (dl1 == NULL || dl2 == NULL || l1 != l2
            || memcmp(dl1, dl2, l1) != 0)
        {
            printf("  dead letters differ\n");
            ok = 0;
        }

        free(dl1);
        free(dl2);
    }

    if (!ok) {
        printf("  in  %.*s\n", (int) len, body);
    }

    strm_event_free(&e1);
    strm_event_free(&e2);

    return ok;
}


/* a byte of the text changed, taken out or put in */
static size_t
mutate_text(char *t, size_t len)
{
    size_t  i;

    static const char  bytes[] = "{}[],:\"\\ -019aeflnrtu\x01\xc3\xff";

    i = rnd((unsigned) len);

    switch (rnd(3)) {
    case 0:
        t[i] = bytes[rnd(sizeof(bytes) - 1)];
        return len;
    case 1:
        memmove(t + i, t + i + 1, len - i - 1);
        return len - 1;
    default:
        memmove(t + i + 1, t + i, len - i);
        t[i] = bytes[rnd(sizeof(bytes) - 1)];
        return len + 1;
    }
}


static int
values_match(strm_event_t *ev)
{
    int        ok;
    size_t     i;
    json_t    *plain, *v, *in;
    strm_rc_t  rc;

    plain = strm_event_ref_plain(ev);
    ok = (plain != NULL);

    /* the text's way keeps no tree: the value of the one jansson parses */
    in = (ev->text != NULL)
         ? json_loadb((const char *) ev->text, ev->text_len, 0, NULL)
         : json_incref(ev->in);

    for (i = 0; ok && i < sizeof(paths) / sizeof(paths[0]); i++) {
        rc = strm_avro_value(ev->schema->avro, in, paths[i], 0, &v);

        if (rc != STRM_OK
            || !((v == NULL && strm_json_path(plain, paths[i]) == NULL)
                 || (v != NULL
                     && json_equal(v, strm_json_path(plain, paths[i])))))
        {
            printf("  value of \"%s\" differs\n", paths[i]);
            ok = 0;
        }

        json_decref(v);
    }

    json_decref(plain);
    json_decref(in);

    return ok;
}


/*
 * An Avro binary body the binary way and the tree's: the same answer
 * (code, field, rule, detail), contract, consent and key, the same
 * bytes written three ways, the same dead letter; *fast tells whether
 * the binary way took it.
 */
static int  bin_n, bin_fast;

static int
bin_ways(strm_registry_t *reg, const char *ref, const unsigned char *body,
    size_t len, strm_tink_keyset_t *daead, int *fast)
{
    int            k, ok, on;
    char          *dl1, *dl2;
    size_t         n1, n2, l1, l2;
    strm_rc_t      rc1, rc2, w1, w2;
    const char    *link;
    strm_event_t   e1, e2;
    strm_reject_t  rej1, rej2;

    memset(&rej1, 0, sizeof(rej1));
    memset(&rej2, 0, sizeof(rej2));

    /* as the library has it (on unless a build turns it off) */
    rc1 = strm_event_parse(reg, ref, strlen(ref), STRM_SER_AVRO_BINARY,
                           body, len, &e1, &rej1);
    on = strm_event_bin_path;
    strm_event_bin_path = 0;
    rc2 = strm_event_parse(reg, ref, strlen(ref), STRM_SER_AVRO_BINARY,
                           body, len, &e2, &rej2);
    strm_event_bin_path = on;

    *fast = (e1.bin != NULL);
    bin_n++;
    bin_fast += *fast;

    ok = (rc1 == rc2
          && (rc1 == STRM_OK
              || (strcmp(rej1.field, rej2.field) == 0
                  && strcmp(rej1.rule, rej2.rule) == 0
                  && strcmp(rej1.detail, rej2.detail) == 0))
          && e1.contract == e2.contract && e1.nlevels == e2.nlevels
          && strcmp(e1.consent, e2.consent) == 0
          && same_key(&e1, &e2)
          && (rc1 == STRM_OK || e1.bin == NULL)
          && e2.bin == NULL);

    if (!ok) {
        printf("  binary parse: %d %d \"%s\" \"%s\" / %d \"%s\" \"%s\"\n",
               rc1, *fast, rej1.field, rej1.rule, rc2, rej2.field,
               rej2.rule);
    }

    for (k = 0; ok && rc1 == STRM_OK && k < 3; k++) {
        link = (k == 1) ? NULL : UUID;

        w1 = strm_event_write(&e1, 1700000000000LL + k, k - 1, link,
                              k == 2 ? NULL : daead, &n1);
        w2 = strm_event_write(&e2, 1700000000000LL + k, k - 1, link,
                              k == 2 ? NULL : daead, &n2);

        if (w1 != STRM_OK || w2 != STRM_OK || n1 != n2 || e1.len != e2.len
            || memcmp(e1.json, e2.json, e1.len) != 0)
        {
            printf("  binary %d: %d %d, %zu %zu fields\n  bin  %s\n"
                   "  tree %s\n", *fast, w1, w2, n1, n2,
                   e1.json ? e1.json : "-", e2.json ? e2.json : "-");
            ok = 0;
        }
    }

    /* a dead letter of a refused event, and of one taken (for safety) */
    if (ok) {
        dl1 = strm_event_dead_letter(&e1, rc1, &rej1, ref, strlen(ref), "c",
                                     UUID, 5, &l1);
        dl2 = strm_event_dead_letter(&e2, rc2, &rej2, ref, strlen(ref), "c",
                                     UUID, 5, &l2);

        if (dl1 == NULL || dl2 == NULL || l1 != l2
            || memcmp(dl1, dl2, l1) != 0)
        {
            printf("  binary dead letters differ\n");
            ok = 0;
        }

        free(dl1);
        free(dl2);
    }

    strm_event_free(&e1);
    strm_event_free(&e2);

    return ok;
}


/* a byte of the datum changed, taken out or put in */
static size_t
mutate_bin(unsigned char *b, size_t len)
{
    size_t  i;

    static const unsigned char  bytes[] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x7f, 0x80, 0xc3, 0xed, 0xff
    };

    if (len == 0) {
        return 0;
    }

    i = rnd((unsigned) len);

    switch (rnd(4)) {
    case 0:
        b[i] = bytes[rnd(sizeof(bytes))];
        return len;
    case 1:
        b[i] ^= (unsigned char) (1u << rnd(8));
        return len;
    case 2:
        memmove(b + i, b + i + 1, len - i - 1);
        return len - 1;
    default:
        memmove(b + i + 1, b + i, len - i);
        b[i] = bytes[rnd(sizeof(bytes))];
        return len + 1;
    }
}


/*
 * Each field's value read from the datum, as the decoded tree has it,
 * with and without the check's index of the top-level fields.
 */
static int
bin_values_match(const strm_event_t *ev)
{
    int                     ok;
    size_t                  i;
    json_t                 *plain, *v, *want;
    unsigned                esc;
    strm_rc_t               rc;
    strm_avro_bin_ix_t      ix;
    const strm_avro_bin_t  *b;

    plain = strm_event_ref_plain(ev);
    b = strm_avro_bin_of(ev->schema->avro);
    ok = (plain != NULL
          && strm_avro_bin_check(b, ev->bin, ev->bin_len, &esc, &ix)
             == STRM_OK
          && ix.n > 10);

    for (i = 0; ok && i < 2 * sizeof(paths) / sizeof(paths[0]); i++) {
        rc = strm_avro_bin_value(b, ev->bin, ev->bin_len, (i % 2) ? &ix : NULL,
                                 paths[i / 2], &v);
        want = strm_json_path(plain, paths[i / 2]);

        /* objects and arrays are not built: only they may be declined */
        if (rc == STRM_E_NOT_FOUND) {
            ok = json_is_object(want) || json_is_array(want);

        } else {
            ok = (rc == STRM_OK
                  && ((v == NULL && want == NULL)
                      || (v != NULL && json_equal(v, want))));
        }

        if (!ok) {
            printf("  binary value of \"%s\" differs (%s)\n", paths[i / 2],
                   (i % 2) ? "indexed" : "walked");
        }

        json_decref(v);
    }

    json_decref(plain);

    return ok;
}


/* a field of a valid event given a wrong value, or a member too many */
static void
mutate(json_t *e)
{
    json_t  *a;

    switch (rnd(12)) {
    case 0:
        json_object_set_new(e, "sid", json_integer(5));
        break;
    case 1:
        json_object_set_new(e, "addr", json_string("x"));
        break;
    case 2:
        json_object_set_new(e, "props", json_pack("{sb}", "a", 1));
        break;
    case 3:
        json_object_set_new(e, "items", json_pack("[{si}]", "qty", 1));
        break;
    case 4:
        json_object_set_new(e, "zzz", json_integer(1));
        break;
    case 5:
        json_object_set_new(e, "kind", json_string("C"));
        break;
    case 6:
        json_object_set_new(e, "raw", json_string("\xc4\x80"));
        break;
    case 7:
        json_object_set_new(e, "fx", json_string("abc"));
        break;
    case 8:
        json_object_set_new(e, "ratio", json_string("x"));
        break;
    case 9:
        json_object_del(json_object_get(e, "strmMeta"), "consentLevels");
        break;
    case 10:
        a = json_pack("{s{sf}}", "geo", "lat", 1.0);
        json_object_set_new(json_object_get(a, "geo"), "lon",
                            json_string("w"));
        json_object_set_new(e, "alt", a);
        break;
    default:
        json_object_set_new(e, "age", json_pack("{si}", "long", 3));
    }
}


static void
test_many(strm_registry_t *reg, strm_tink_keyset_t *daead)
{
    int                   i, ok_write, ok_value, ok_bin, ok_chk, ok_both;
    int                   t, is_everyday, everyday_n, everyday_text;
    int                   mutated_text, ok_bin_both, binaries_fast;
    int                   mutated_bin;
    char                 *text, *mtext, what[64];
    size_t                len, mlen;
    json_t               *e, *o, *plain;
    strm_rc_t             rc, rc2;
    strm_event_t          ev, bev;
    strm_reject_t         rej, rej2;
    unsigned char        *bin, *mbin;
    const strm_schema_t  *s;

    s = strm_registry_schema(reg, RICH, sizeof(RICH) - 1);
    CHECK(s != NULL && s->avro != NULL, "the rich schema");

    if (s == NULL) {
        return;
    }

    ok_write = 1;
    ok_value = 1;
    ok_bin = 1;
    ok_chk = 1;
    ok_both = 1;
    everyday_n = 0;
    everyday_text = 0;
    mutated_text = 0;
    ok_bin_both = 1;
    binaries_fast = 0;
    mutated_bin = 0;

    for (i = 0; i < EVENTS; i++) {
        is_everyday = (rnd(2) == 0);
        everyday = is_everyday;
        e = gen_event(contracts[rnd(sizeof(contracts)
                                    / sizeof(contracts[0]))]);
        everyday = 0;

        if (!is_everyday && rnd(4) == 0) {
            o = shuffled(e);
            json_decref(e);
            e = o;
        }

        text = json_dumps(e, JSON_COMPACT);
        len = strlen(text);

        /* the text's way and the tree's, and each of a mutated text */
        if (!both_ways(reg, RICH, text, len, daead, &t)) {
            ok_both = 0;
        }

        if (is_everyday && both_rc == STRM_OK) {
            everyday_n++;
            everyday_text += t;
        }

        mtext = malloc(len + 2);
        memcpy(mtext, text, len + 1);
        mlen = mutate_text(mtext, len);

        if (!both_ways(reg, RICH, mtext, mlen, daead, &t)) {
            ok_both = 0;
        }

        mutated_text += t;
        free(mtext);

        rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1, STRM_SER_JSON,
                              (unsigned char *) text, strlen(text), &ev,
                              &rej);

        if (rc != STRM_OK) {
            /* a key field left null, a validation: refused, as before */
            if (rc != STRM_E_KEY_EMPTY && rc != STRM_E_VALIDATION) {
                printf("  event %d refused: %d %s %s %s\n  %s\n", i, rc,
                       rej.field, rej.rule, rej.detail, text);
                ok_write = 0;
            }

            refused++;
            goto next;
        }

        snprintf(what, sizeof(what), "event %d (json)", i);

        if (!same(&ev, daead, what)) {
            printf("  in  %s\n", text);
            ok_write = 0;
        }

        if (!values_match(&ev)) {
            printf("  in  %s\n", text);
            ok_value = 0;
        }

        /* the same event as Avro binary: decoded into a tree */
        plain = strm_event_ref_plain(&ev);
        bin = NULL;

        if (plain != NULL
            && strm_avro_encode(s->avro, plain, &bin, &len, &rej)
               == STRM_OK)
        {
            rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1,
                                  STRM_SER_AVRO_BINARY, bin, len, &bev,
                                  &rej);
            snprintf(what, sizeof(what), "event %d (avro)", i);

            if (rc != STRM_OK || (bev.event == NULL && bev.bin == NULL)
                || bev.in != NULL || !same(&bev, daead, what))
            {
                ok_bin = 0;
            }

            if (rc == STRM_OK && bev.bin != NULL && !bin_values_match(&bev))
            {
                ok_bin = 0;
            }

            binaries++;
            binaries_fast += (bev.bin != NULL);
            strm_event_free(&bev);

            /* the binary way and the tree's, and a mutated datum */
            if (!bin_ways(reg, RICH, bin, len, daead, &t)) {
                ok_bin_both = 0;
            }

            mbin = malloc(len + 1);
            memcpy(mbin, bin, len);
            mlen = mutate_bin(mbin, len);

            if (!bin_ways(reg, RICH, mbin, mlen, daead, &t)) {
                ok_bin_both = 0;
            }

            mutated_bin += t;
            free(mbin);
        }

        free(bin);
        json_decref(plain);

    next:

        strm_event_free(&ev);
        free(text);

        /* refusals: the check that builds nothing says what the other does */
        mutate(e);
        memset(&rej, 0, sizeof(rej));
        memset(&rej2, 0, sizeof(rej2));
        o = NULL;

        rc = strm_avro_check_json(s->avro, e, NULL, &rej);
        rc2 = strm_avro_check_json(s->avro, e, &o, &rej2);

        if (rc != rc2 || strcmp(rej.field, rej2.field) != 0
            || strcmp(rej.rule, rej2.rule) != 0
            || strcmp(rej.detail, rej2.detail) != 0
            || (rc == STRM_OK) != (o != NULL))
        {
            printf("  mutation %d: %d \"%s\" \"%s\" / %d \"%s\" \"%s\"\n", i,
                   rc, rej.field, rej.rule, rc2, rej2.field, rej2.rule);
            ok_chk = 0;
        }

        json_decref(o);

        /* and the mutated event both ways */
        text = json_dumps(e, JSON_COMPACT);

        if (text != NULL
            && !both_ways(reg, RICH, text, strlen(text), daead, &t))
        {
            ok_both = 0;
        }

        free(text);
        json_decref(e);
    }

    CHECK(ok_write, "JSON events: written as the tree path wrote them");
    CHECK(ok_value, "JSON events: each field's value as the tree has it");
    CHECK(ok_bin, "Avro binary events: written as the tree path wrote them");
    CHECK(ok_chk, "the check alone refuses as the building check");
    CHECK(ok_both, "the text's way: the same answers and bytes as the "
          "tree's, events and mutations");
    /* not: a one-member object in a union (it may be a wrapped value) */
    CHECK(everyday_text > everyday_n * 4 / 5 && everyday_text > 500,
          "most everyday events go the text's way");
    printf("  text's way: %d of %d everyday events taken, %d of %d in all, "
           "%d mutated texts\n", everyday_text, everyday_n, both_text,
           both_n, mutated_text);
    CHECK(ok_bin_both, "the binary way: the same answers, bytes and dead "
          "letters as the tree's, events and mutated data");
    /* not: a validation a key field fails (refused, the tree's way) */
    CHECK(binaries_fast > binaries * 9 / 10 && binaries_fast > 1000,
          "most valid Avro binary events go the binary way");
    printf("  binary way: %d of %d valid events taken, %d of %d in all, "
           "%d mutated data\n", binaries_fast, binaries, bin_fast, bin_n,
           mutated_bin);
    CHECK(notes_ok, "the check's notes: each value where a second scan "
          "finds it");
    CHECK(notes_found > EVENTS && notes_strmmeta > EVENTS / 4,
          "the check's notes give values");
    printf("  notes: %d values found, %d of strmMeta's\n", notes_found,
           notes_strmmeta);
    CHECK(compared > EVENTS / 2 && binaries > EVENTS / 3
          && refused > EVENTS / 50, "enough events of each kind");

    printf("  %d events compared (%d of them Avro binary), %d refused\n",
           compared, binaries, refused);
}


/* a few exact bytes, so that both ways cannot be wrong together */
static void
test_exact(strm_registry_t *reg, strm_tink_keyset_t *daead)
{
    size_t         n;
    json_t        *j, *meta;
    strm_rc_t      rc;
    strm_event_t   ev;
    strm_reject_t  rej;

    static const char  body[] =
        "{\"sid\":\"s1\",\"strmMeta\":{\"eventContractRef\":"
        "\"acme/inner/1.0.0\",\"consentLevels\":[1]},"
        "\"ratio\":{\"long\":3},\"score\":2,\"kind\":\"B\","
        "\"addr\":{\"street\":{\"string\":\"Main 1\"},\"geo\":"
        "{\"io.acme.Geo\":{\"lat\":1,\"lon\":{\"float\":0.5}}}},"
        "\"alt\":{\"Addr\":{\"zip\":3}}}";

    rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1, STRM_SER_JSON,
                          (const unsigned char *) body, sizeof(body) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_OK, "exact: parses");

    if (rc != STRM_OK) {
        return;
    }

    CHECK(strm_event_write(&ev, 5, 6, NULL, NULL, &n) == STRM_OK
          && n == 0 && strcmp(ev.json,
          "{\"strmMeta\":{\"eventContractRef\":\"acme/inner/1.0.0\","
          "\"nonce\":6,\"timestamp\":5,\"keyLink\":null,\"billingId\":null,"
          "\"consentLevels\":[1]},\"sid\":\"s1\",\"email\":null,"
          "\"age\":null,\"score\":2.0,\"ratio\":3,\"kind\":\"B\","
          "\"raw\":\"\xc3\xbf\\u0001\",\"fx\":\"ab\",\"tags\":[],"
          "\"props\":{},\"addr\":{\"street\":\"Main 1\",\"zip\":0,"
          "\"geo\":{\"lat\":1.0,\"lon\":0.5,\"label\":\"x\"}},"
          "\"alt\":{\"street\":null,\"zip\":3,\"geo\":null},\"items\":[],"
          "\"flag\":false,\"note\":\"none\"}") == 0,
          "exact: defaults, unions, reals, stamps in place");

    /*
     * inner: addr/geo/label, addr/street, addr, strmMeta/keyLink, then
     * the key field sid: addr is one ciphertext; its clear text held
     * the ciphertexts of its label and street, encrypted first
     */
    CHECK(strm_event_write(&ev, 5, 6, UUID, daead, &n) == STRM_OK
          && n == 5, "exact: five fields encrypted");

    j = json_loads(ev.json, 0, NULL);
    meta = json_object_get(j, "strmMeta");
    CHECK(j != NULL && json_is_string(json_object_get(j, "addr"))
          && json_is_string(json_object_get(j, "sid"))
          && json_is_string(json_object_get(meta, "keyLink"))
          && strcmp(json_string_value(json_object_get(meta, "keyLink")),
                    UUID) != 0
          && json_integer_value(json_object_get(meta, "nonce")) == 6
          && json_is_object(json_object_get(j, "alt")),
          "exact: addr, sid and keyLink encrypted, the rest in clear");
    json_decref(j);

    CHECK(same(&ev, daead, "exact"), "exact: as the tree path");

    strm_event_free(&ev);
}


/*
 * An event of more members than the check notes (acme/wide: strmMeta
 * and 40 fields): still the text's way, its members past the notes
 * read from the text, and some absent (defaults) on both sides of
 * the notes' end; the same bytes as the tree's way.
 */
#define WIDE  "acme/wide/1.0.0"

static void
test_wide(strm_registry_t *reg, strm_tink_keyset_t *daead)
{
    int                   i, t, ok, dropped;
    char                  body[4096], *p;
    strm_rc_t             rc;
    strm_avro_notes_t     notes;
    const strm_schema_t  *s;

    ok = 1;
    dropped = 0;

    for (t = 0; t < 3; t++) {
        p = body;
        /* consent levels with spaces too: written without them */
        p += sprintf(p, "{\"strmMeta\":{\"eventContractRef\":\"%s\","
                     "\"consentLevels\":%s}", WIDE,
                     t == 2 ? "[ 2,\n1 ]" : "[2,1]");

        for (i = 0; i < 40; i++) {
            /* absent: every seventh, then every fifth, then none */
            if ((t == 0 && i % 7 == 3) || (t == 1 && i % 5 == 4)) {
                continue;
            }

            p += sprintf(p, ",\"f%02d\":%s%s%d%s", i, t == 2 ? " " : "",
                         (i % 9 == 8) ? "null" : "\"v-",
                         (i % 9 == 8) ? 0 : i, (i % 9 == 8) ? "" : "\"");

            if (i % 9 == 8) {
                /* "null0" is no token: take the 0 back */
                p[-1] = ' ';
            }
        }

        p += sprintf(p, "}");

        if (!both_ways(reg, WIDE, body, p - body, daead, &i) || !i) {
            printf("  wide %d: text's way %d\n  in  %s\n", t, i, body);
            ok = 0;
        }

        s = strm_registry_schema(reg, WIDE, sizeof(WIDE) - 1);
        rc = (s != NULL)
             ? strm_avro_text_check_notes(s->avro,
                                          (const unsigned char *) body,
                                          p - body, &notes)
             : STRM_E_NOT_FOUND;
        dropped += (rc == STRM_OK && notes.dropped);
    }

    CHECK(ok, "wide events: the text's way, the same bytes as the tree's");
    CHECK(dropped == 3, "wide events: more members than the notes hold");
}


/*
 * A member whose name holds a '/' is no step of a hook's path: hook
 * "a/b" takes member b of member a, not a member called "a/b".
 */
static void
test_slash_name(strm_tink_keyset_t *daead)
{
    int             ok;
    strm_jw_t       w;
    strm_jw_obj_t   root, a;
    strm_jw_mem_t   m, mb;
    strm_jw_hook_t  hook = { "a/b", 3 };

    ok = (strm_jw_init(&w, 64) == 0);

    if (!ok) {
        CHECK(0, "slash names: a writer");
        return;
    }

    w.hooks = &hook;
    w.nhooks = 1;
    w.daead = daead;

    strm_jw_root(&w, &root);

    ok = (strm_jw_obj_begin(&w, &root, &root) == 0
          && strm_jw_member(&w, &root, "a/b", 3, &m) == 0
          && strm_jw_string(&w, "clear", 5) == 0
          && strm_jw_member_end(&w, &m) == 0
          && w.nenc == 0);

    CHECK(ok && m.hook < 0, "slash names: \"a/b\" is not hook a/b");

    ok = (strm_jw_member(&w, &root, "a", 1, &m) == 0
          && strm_jw_obj_begin(&w, &a, &m.child) == 0
          && strm_jw_member(&w, &a, "b", 1, &mb) == 0
          && strm_jw_string(&w, "secret", 6) == 0
          && strm_jw_member_end(&w, &mb) == 0
          && strm_jw_obj_end(&w, &a) == 0
          && strm_jw_member_end(&w, &m) == 0
          && strm_jw_obj_end(&w, &root) == 0
          && strm_jw_put(&w, "", 1) == 0);

    CHECK(ok && w.nenc == 1 && strstr(w.data, "\"a/b\":\"clear\"") != NULL
          && strstr(w.data, "secret") == NULL,
          "slash names: member b of member a is");

    strm_jw_free(&w);
}


/*
 * The thread keeps the notes of its last check only: an event checked
 * before another one is written by walking its text, not from the
 * other's notes.
 */
static void
test_stale(strm_registry_t *reg, strm_tink_keyset_t *daead)
{
    int            ok;
    size_t         n1, n2;
    strm_rc_t      rc;
    strm_event_t   a, b, t;
    strm_reject_t  rej;

    static const char  body_a[] =
        "{\"strmMeta\":{\"eventContractRef\":\"acme/all/1.0.0\","
        "\"consentLevels\":[1]},\"sid\":\"s-a\",\"email\":\"a@x\","
        "\"kind\":\"A\",\"tags\":[\"t\"],\"flag\":true,"
        "\"note\":\"n-a\"}";
    static const char  body_b[] =
        "{\"strmMeta\":{\"eventContractRef\":\"acme/none/1.0.0\","
        "\"billingId\":\"b\",\"consentLevels\":[2, 0]},"
        "\"sid\":\"s-b\",\"age\":7,\"note\":\"n-b\"}";

    rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1, STRM_SER_JSON,
                          (const unsigned char *) body_a,
                          sizeof(body_a) - 1, &a, &rej);
    ok = (rc == STRM_OK && a.text != NULL);

    rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1, STRM_SER_JSON,
                          (const unsigned char *) body_b,
                          sizeof(body_b) - 1, &b, &rej);
    ok = ok && (rc == STRM_OK && b.text != NULL);

    /* the tree's way of a, after b's check */
    strm_event_text_path = 0;
    rc = strm_event_parse(reg, RICH, sizeof(RICH) - 1, STRM_SER_JSON,
                          (const unsigned char *) body_a,
                          sizeof(body_a) - 1, &t, &rej);
    strm_event_text_path = 1;
    ok = ok && (rc == STRM_OK && t.text == NULL);

    CHECK(ok, "stale notes: both events go the text's way");

    CHECK(ok && strm_event_write(&a, 9, 8, UUID, daead, &n1) == STRM_OK
          && strm_event_write(&t, 9, 8, UUID, daead, &n2) == STRM_OK
          && n1 == n2 && a.len == t.len
          && memcmp(a.json, t.json, a.len) == 0,
          "stale notes: the event checked first written as the tree's "
          "way writes it");

    /* from its notes: consent levels written without the space */
    CHECK(ok && strm_event_write(&b, 9, 8, NULL, NULL, &n1) == STRM_OK
          && strstr(b.json, "\"s-b\"") != NULL
          && strstr(b.json, "\"billingId\":\"b\"") != NULL
          && strstr(b.json, "\"consentLevels\":[2,0]") != NULL,
          "stale notes: the last one still written");

    strm_event_free(&a);
    strm_event_free(&b);
    strm_event_free(&t);
}


/* the registry of test_event.c: STRM's schemas, a JSON Schema's event */
static void
test_registry(strm_tink_keyset_t *daead)
{
    int               i, ok;
    char              err[1024];
    strm_rc_t         rc;
    strm_event_t      ev;
    strm_reject_t     rej;
    strm_registry_t  *reg;

    static const struct {
        const char  *ref;
        const char  *body;
    } evs[] = {
        { "acme/orders/1.0.0",
          "{\"strmMeta\":{\"eventContractRef\":\"acme/orders/1.0.0\","
          "\"consentLevels\":[2]},\"orderId\":\"o-12\",\"amount\":5,"
          "\"customer\":{\"email\":\"a@b\",\"name\":\"n\"}}" },
        { "acme/orders/1.0.0",
          "{\"orderId\":\"o-1\",\"customer\":{\"name\":\"n\","
          "\"email\":\"x@y\"},\"strmMeta\":{\"keyLink\":\"k\","
          "\"consentLevels\":[],\"nonce\":1,"
          "\"eventContractRef\":\"acme/orders/1.0.0\"},\"amount\":1.5}" },
        { "strmprivacy/demo/1.0.2",
          "{\"strmMeta\":{\"eventContractRef\":"
          "\"strmprivacy/example/1.3.0\",\"consentLevels\":[1,0]},"
          "\"uniqueIdentifier\":{\"string\":\"u\"},"
          "\"consistentValue\":\"c\",\"someSensitiveValue\":null}" },
        { "strmprivacy/clickstream/1.0.0",
          "{\"strmMeta\":{\"eventContractRef\":"
          "\"strmprivacy/clickstream/1.0.0\",\"consentLevels\":[0,1]},"
          "\"producerSessionId\":\"s-1\",\"url\":\"https://a.example/x\","
          "\"eventType\":\"click\",\"referrer\":\"https://r.example/\","
          "\"userAgent\":\"ua/1.0\",\"conversion\":1,"
          "\"abTests\":[\"a\",\"b\"],\"customer\":{\"id\":\"c-1\"}}" }
    };

    rc = strm_registry_load("t/unit/data/registry", &reg, err, sizeof(err));
    CHECK(rc == STRM_OK, "test_event's registry loads");

    if (rc != STRM_OK) {
        return;
    }

    ok = 1;

    for (i = 0; i < (int) (sizeof(evs) / sizeof(evs[0])); i++) {
        rc = strm_event_parse(reg, evs[i].ref, strlen(evs[i].ref),
                              STRM_SER_JSON,
                              (const unsigned char *) evs[i].body,
                              strlen(evs[i].body), &ev, &rej);

        if (rc != STRM_OK || !same(&ev, daead, evs[i].ref)) {
            printf("  %d: %d %s %s\n", i, rc, rej.field, rej.detail);
            ok = 0;
        }

        strm_event_free(&ev);
    }

    CHECK(ok, "STRM's schemas and a JSON Schema's events as the tree path");

    strm_registry_free(reg);
}


/*
 * strm_jw_integer() (two digits a step) against printf's digits: every
 * number of digits, each power of ten and its neighbours, both signs,
 * the ends of the range.
 */
static void
test_integer(void)
{
    int         ok, i, d;
    char        want[72];
    int64_t     v, p;
    strm_jw_t   w;

    ok = (strm_jw_init(&w, 16) == 0);

    for (p = 1, d = 0; ok && d < 19; d++, p *= 10) {
        for (i = -2; ok && i <= 2; i++) {
            v = p + i;

            w.len = 0;

            if (strm_jw_integer(&w, v) != 0
                || strm_jw_integer(&w, -v) != 0
                || strm_jw_integer(&w, v * 7) != 0)
            {
                ok = 0;
                break;
            }

            (void) snprintf(want, sizeof(want), "%lld%lld%lld",
                            (long long) v, (long long) -v,
                            (long long) (v * 7));

            if (w.len != strlen(want) || memcmp(w.data, want, w.len) != 0) {
                printf("  %lld: %.*s\n", (long long) v, (int) w.len,
                       w.data);
                ok = 0;
            }
        }
    }

    w.len = 0;
    ok = ok && strm_jw_integer(&w, INT64_MAX) == 0
         && strm_jw_integer(&w, INT64_MIN) == 0
         && w.len == 39
         && memcmp(w.data, "9223372036854775807-9223372036854775808",
                   39) == 0;

    strm_jw_free(&w);

    CHECK(ok, "integers written as printf writes them");
}


int
main(void)
{
    char                 err[1024];
    strm_rc_t            rc;
    strm_registry_t     *reg;
    strm_tink_keyset_t  *daead;

    rc = strm_registry_load("t/unit/data/writer", &reg, err, sizeof(err));
    CHECK(rc == STRM_OK, "the writer's registry loads");

    if (rc != STRM_OK) {
        printf("  %s\n", err);
        return UNIT_DONE();
    }

    daead = strm_tink_keyset_new(STRM_TINK_DAEAD);
    CHECK(daead != NULL && strm_tink_keyset_add_random(daead, NULL)
          == STRM_OK, "a DAEAD keyset");

    test_exact(reg, daead);
    test_wide(reg, daead);
    test_slash_name(daead);
    test_stale(reg, daead);
    test_registry(daead);
    test_many(reg, daead);
    test_integer();

    strm_tink_keyset_free(daead);
    strm_registry_free(reg);

    return UNIT_DONE();
}
