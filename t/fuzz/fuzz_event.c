
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The whole event path of a request: strm_event_parse(), then on success
 * strm_event_write() (its bytes against the tree path it replaced,
 * strm_event_ref_write()), and on any outcome
 * strm_event_dead_letter() and strm_event_reject_json(); a JSON body
 * both ways, the text's (no tree) and the tree's, an Avro binary body
 * the binary way (no tree) and the tree's, with the same answer and
 * bytes (and, for Avro, dead letter); all against the demo
 * registry (STRM_FUZZ_REGISTRY, default conf/registry: run from the
 * repository root as "make fuzz" does).
 *
 * The first byte of an input picks the request: bit 0 the serialization
 * (0 Avro binary, 1 JSON), bits 1-6 the schema ref (modulo the table
 * below: 0 demo, 1 example, 2 clickstream), bit 7 a key link or null.
 * The rest is the body.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_event.h"
#include "strm_event_ref.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char  *fuzz_refs[] = {
    "strmprivacy/demo/1.0.2",
    "strmprivacy/example/1.3.0",
    "strmprivacy/clickstream/1.0.0",
};

#define FUZZ_NREFS  (sizeof(fuzz_refs) / sizeof(fuzz_refs[0]))


static strm_registry_t  *fuzz_reg;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char        err[1024];
    const char  *dir;

    (void) argc;
    (void) argv;

    dir = getenv("STRM_FUZZ_REGISTRY");
    if (dir == NULL) {
        dir = "conf/registry";
    }

    if (strm_registry_load(dir, &fuzz_reg, err, sizeof(err)) != STRM_OK) {
        fprintf(stderr, "fuzz_event: %s (set STRM_FUZZ_REGISTRY)\n", err);
        abort();
    }

    return 0;
}


/* a compact JSON text of ours must parse back, as an object */
static void
fuzz_json_ok(const char *s, size_t len)
{
    json_t  *j;

    if (s == NULL || strlen(s) != len) {
        abort();
    }

    /* an Avro string may hold NUL: \u0000 in the JSON text */
    j = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j)) {
        abort();
    }

    json_decref(j);
}


/* the same dead letter of both ways (Avro binary) */
static void
fuzz_same_letter(const char *ref, strm_rc_t rc, const strm_reject_t *rej,
    strm_event_t *ev, strm_event_t *tree, const strm_reject_t *rej2)
{
    char    *dl1, *dl2;
    size_t   l1, l2;

    dl1 = strm_event_dead_letter(ev, rc, rej, ref, strlen(ref), "c",
                                 "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e", 5,
                                 &l1);
    dl2 = strm_event_dead_letter(tree, rc, rej2, ref, strlen(ref), "c",
                                 "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e", 5,
                                 &l2);

    if (dl1 == NULL || dl2 == NULL || l1 != l2 || memcmp(dl1, dl2, l1) != 0)
    {
        abort();
    }

    free(dl1);
    free(dl2);
}


/* the tree's way must say and write what the text's (binary) way did */
static void
fuzz_both_ways(const char *ref, strm_ser_e ser, const uint8_t *body,
    size_t len, const char *link, strm_rc_t rc, const strm_reject_t *rej,
    strm_event_t *ev)
{
    size_t         n1, n2;
    strm_rc_t      rc2;
    strm_event_t   tree;
    strm_reject_t  rej2;

    memset(&rej2, 0, sizeof(strm_reject_t));

    if (ser == STRM_SER_JSON) {
        strm_event_text_path = 0;
        rc2 = strm_event_parse(fuzz_reg, ref, strlen(ref), ser, body, len,
                               &tree, &rej2);
        strm_event_text_path = 1;

    } else {
        strm_event_bin_path = 0;
        rc2 = strm_event_parse(fuzz_reg, ref, strlen(ref), ser, body, len,
                               &tree, &rej2);
        strm_event_bin_path = 1;

        if (tree.bin != NULL || (rc != STRM_OK && ev->bin != NULL)
            || (rc2 == rc
                && ((ev->key == NULL) != (tree.key == NULL)
                    || (ev->key != NULL && !json_equal(ev->key, tree.key)))))
        {
            abort();
        }

        if (rc2 == rc) {
            fuzz_same_letter(ref, rc, rej, ev, &tree, &rej2);
        }
    }

    if (rc2 != rc || tree.contract != ev->contract
        || strcmp(tree.consent, ev->consent) != 0
        || (rc != STRM_OK
            && (strcmp(rej2.field, rej->field) != 0
                || strcmp(rej2.rule, rej->rule) != 0
                || strcmp(rej2.detail, rej->detail) != 0)))
    {
        abort();
    }

    if (rc == STRM_OK) {
        if (strm_event_write(ev, 1700000000000LL, 3, link, NULL, &n1)
            != STRM_OK
            || strm_event_write(&tree, 1700000000000LL, 3, link, NULL, &n2)
               != STRM_OK
            || n1 != n2 || ev->len != tree.len
            || memcmp(ev->json, tree.json, ev->len) != 0)
        {
            abort();
        }
    }

    strm_event_free(&tree);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          *out;
    char          *ref_json;
    size_t         len, n, ref_len;
    uint8_t        sel;
    strm_rc_t      rc;
    strm_ser_e     ser;
    const char    *ref, *link;
    strm_event_t   ev;
    strm_reject_t  rej;

    if (size == 0) {
        return 0;
    }

    sel = data[0];
    ser = (sel & 1) ? STRM_SER_JSON : STRM_SER_AVRO_BINARY;
    ref = fuzz_refs[((sel >> 1) & 0x3f) % FUZZ_NREFS];
    link = (sel & 0x80) ? "0b5a4e3c-1d2e-4f60-8a9b-0c1d2e3f4a5b" : NULL;

    memset(&rej, 0, sizeof(strm_reject_t));

    rc = strm_event_parse(fuzz_reg, ref, strlen(ref), ser, data + 1,
                          size - 1, &ev, &rej);

    fuzz_both_ways(ref, ser, data + 1, size - 1, link, rc, &rej, &ev);

    if (rc == STRM_OK) {
        if ((!json_is_object(ev.event) && !json_is_object(ev.in)
             && ev.text == NULL && ev.bin == NULL)
            || ev.contract == NULL
            || ev.schema == NULL || ev.nlevels > STRM_EVENT_MAX_LEVELS
            || strlen(ev.consent) >= STRM_EVENT_CONSENT_SIZE)
        {
            abort();
        }

        if (strm_event_write(&ev, 1700000000000LL, (int32_t) size, link,
                             NULL, &n)
            != STRM_OK)
        {
            abort();
        }

        fuzz_json_ok(ev.json, ev.len);

        /* byte for byte what the tree built, stamped and dumped gives */
        if (strm_event_ref_write(&ev, 1700000000000LL, (int32_t) size, link,
                                 NULL, &ref_json, &ref_len, &n)
            != STRM_OK
            || ref_len != ev.len || memcmp(ref_json, ev.json, ev.len) != 0)
        {
            abort();
        }

        free(ref_json);

    } else if (rc == STRM_E_NOMEM || rc == STRM_E_INTERNAL) {
        abort();
    }

    out = strm_event_dead_letter(&ev, rc, &rej, ref, strlen(ref),
                                 "fuzz-client",
                                 "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e",
                                 1700000000000LL, &len);
    fuzz_json_ok(out, len);
    free(out);

    out = strm_event_reject_json(rc, &rej, ref, strlen(ref), &len);
    fuzz_json_ok(out, len);
    free(out);

    strm_event_free(&ev);

    return 0;
}
