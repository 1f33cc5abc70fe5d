
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Key links and PII encryption: a session keeps its key link within its
 * window and gets a new one after; keys are wrapped by the KEK (a
 * store opened with another KEK cannot use them); an event's PII fields
 * and key field are encrypted deterministically and decrypt back; the
 * non-PII fields do not change.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strm_event.h"
#include "strm_keys.h"
#include "unit.h"


#define DAY  86400000LL


static const char  demo[] =
    "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\","
    "\"consentLevels\":[0,1]},\"uniqueIdentifier\":\"PII-unique-1\","
    "\"consistentValue\":\"PII-session-1\",\"someSensitiveValue\":null,"
    "\"notSensitiveValue\":\"plain-1\"}";


static const char  num[] =
    "{\"strmMeta\":{\"eventContractRef\":\"acme/num/1.0.0\","
    "\"consentLevels\":[1]},\"id\":\"PII-id-9\",\"score\":42.5,"
    "\"tags\":[\"a\",\"b\"]}";


static int
field_decrypts_to(strm_tink_keyset_t *daead, json_t *ev, const char *path,
    const char *want)
{
    int             ok;
    size_t          len;
    json_t         *v;
    unsigned char  *pt;

    v = strm_json_path(ev, path);

    if (!json_is_string(v)
        || strm_event_decrypt_value(daead, path, json_string_value(v),
                                    json_string_length(v), &pt, &len)
           != STRM_OK)
    {
        return 0;
    }

    ok = (len == strlen(want) && memcmp(pt, want, len) == 0);
    strm_tink_secret_free(pt, len);

    return ok;
}


int
main(void)
{
    char                 dir[] = "/tmp/strm-keys-XXXXXX";
    char                 file[64], err[512], link1[40];
    char                 la[40], lb[40], lc[40];
    size_t               n;
    json_t              *out, *j;
    strm_rc_t            rc;
    const char          *key;
    strm_keys_t         *k, *ro;
    strm_event_t         ev;
    strm_reject_t        rej;
    strm_registry_t     *reg;
    strm_tink_keyset_t  *kek, *other, *daead;
    strm_keys_session_t  s1, s2;

    if (mkdtemp(dir) == NULL) {
        return 1;
    }

    snprintf(file, sizeof(file), "%s/keys.mdb", dir);

    kek = strm_tink_keyset_new(STRM_TINK_AEAD);
    other = strm_tink_keyset_new(STRM_TINK_AEAD);
    CHECK(kek != NULL && strm_tink_keyset_add_random(kek, NULL) == STRM_OK
          && other != NULL
          && strm_tink_keyset_add_random(other, NULL) == STRM_OK,
          "two KEKs");

    rc = strm_keys_open(file, 1 << 24, 0, kek, DAY, 16, &k, err,
                        sizeof(err));
    CHECK(rc == STRM_OK, "open a writable store");

    if (rc != STRM_OK) {
        printf("  %s\n", err);
        return UNIT_DONE();
    }

    CHECK(strm_keys_session(k, "session-1", 9, 1000, &s1) == STRM_OK
          && s1.created == 1 && strlen(s1.link) == STRM_UUID_LEN
          && s1.daead != NULL, "a new session gets a new key link");
    memcpy(link1, s1.link, sizeof(s1.link));

    CHECK(s1.rec.wrapped_len > 64 && s1.rec.expires == 1000 + DAY
          && s1.rec.key_id == s1.key_id,
          "its record: wrapped key, 24 h window");

    CHECK(strm_keys_session(k, "session-1", 9, 5000, &s2) == STRM_OK
          && s2.created == 0 && strcmp(s2.link, link1) == 0
          && s2.key_id == s1.key_id,
          "the same session in the window: the same key link");

    CHECK(strm_keys_session(k, "session-2", 9, 5000, &s2) == STRM_OK
          && s2.created == 1 && strcmp(s2.link, link1) != 0,
          "another session: another key link");

    CHECK(strm_keys_session(k, "session-1", 9, 1000 + DAY, &s2) == STRM_OK
          && s2.created == 1 && strcmp(s2.link, link1) != 0,
          "after 24 h: a new key link (rotation)");

    CHECK(strm_keys_by_link(k, link1, &daead) == STRM_OK && daead != NULL,
          "the old key link still has its key");

    /* LMDB: one environment per file and process at a time */
    strm_keys_close(k);

    rc = strm_keys_open(file, 1 << 24, 1, kek, DAY, 4, &ro, err,
                        sizeof(err));
    CHECK(rc == STRM_OK && strm_keys_by_link(ro, link1, &daead) == STRM_OK,
          "a read-only worker finds the key by its key link");
    CHECK(rc == STRM_OK
          && strm_keys_by_link(ro, "00000000-0000-4000-8000-000000000000",
                               &daead) == STRM_E_NOT_FOUND,
          "an unknown key link is not found");
    strm_keys_close(ro);

    rc = strm_keys_open(file, 1 << 24, 1, other, DAY, 4, &ro, err,
                        sizeof(err));
    CHECK(rc == STRM_OK && strm_keys_by_link(ro, link1, &daead) != STRM_OK,
          "with another KEK the wrapped key is useless");
    strm_keys_close(ro);

    CHECK(strm_keys_open(file, 1 << 24, 0, other, DAY, 4, &ro, err,
                         sizeof(err)) != STRM_OK,
          "a writable store refuses another KEK (its secret)");

    rc = strm_keys_open(file, 1 << 24, 0, kek, DAY, 16, &k, err,
                        sizeof(err));
    CHECK(rc == STRM_OK, "open the store again");

    /* an event encrypted under the session's key */
    CHECK(strm_registry_load("conf/registry", &reg, err, sizeof(err))
          == STRM_OK, "the demo registry");

    rc = strm_event_parse(reg, "strmprivacy/demo/1.0.2", 22, STRM_SER_JSON,
                          (const unsigned char *) demo, sizeof(demo) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_OK, "the demo event parses");

    key = strm_event_key(&ev, &n);
    CHECK(key != NULL && n == 13 && memcmp(key, "PII-session-1", 13) == 0,
          "its key field value");

    CHECK(strm_keys_session(k, key, n, 2000, &s1) == STRM_OK,
          "its session");
    CHECK(strm_event_write(&ev, 2000, 7, s1.link, s1.daead, &n) == STRM_OK
          && n == 2,
          "two PII fields encrypted (the null one stays null)");
    CHECK(ev.json != NULL
          && strstr(ev.json, "PII-") == NULL
          && strstr(ev.json, "\"notSensitiveValue\":\"plain-1\"") != NULL
          && strstr(ev.json, "\"someSensitiveValue\":null") != NULL
          && strstr(ev.json, s1.link) != NULL,
          "no PII in the JSON, non-PII fields unchanged, the key link in");

    out = json_loads(ev.json, 0, NULL);

    CHECK(out != NULL
          && strncmp(json_string_value(strm_json_path(out,
                                                      "uniqueIdentifier")),
                     "A", 1) == 0,
          "a TINK ciphertext in base64 starts with 'A' (0x01)");

    CHECK(field_decrypts_to(s1.daead, out, "uniqueIdentifier",
                            "PII-unique-1")
          && field_decrypts_to(s1.daead, out, "consistentValue",
                               "PII-session-1"),
          "each field decrypts back with the key link's key");
    CHECK(!field_decrypts_to(s1.daead, out, "notSensitiveValue",
                             "plain-1"),
          "a field decrypted under another path fails");

    strm_event_free(&ev);

    rc = strm_event_parse(reg, "strmprivacy/demo/1.0.2", 22, STRM_SER_JSON,
                          (const unsigned char *) demo, sizeof(demo) - 1,
                          &ev, &rej);
    j = NULL;
    CHECK(rc == STRM_OK
          && strm_event_write(&ev, 3000, 8, s1.link, s1.daead, &n)
             == STRM_OK
          && (j = json_loads(ev.json, 0, NULL)) != NULL
          && json_equal(strm_json_path(j, "uniqueIdentifier"),
                        strm_json_path(out, "uniqueIdentifier")),
          "deterministic: the same value, the same ciphertext");
    strm_event_free(&ev);
    json_decref(out);
    json_decref(j);

    strm_registry_free(reg);

    /* PII that is not a string is encrypted from its compact JSON */
    CHECK(strm_registry_load("t/unit/data/event/registry", &reg, err,
                             sizeof(err)) == STRM_OK, "the event fixtures");

    rc = strm_event_parse(reg, "acme/num/1.0.0", 14, STRM_SER_JSON,
                          (const unsigned char *) num, sizeof(num) - 1,
                          &ev, &rej);
    CHECK(rc == STRM_OK
          && strm_event_write(&ev, 2000, 7, s1.link, s1.daead, &n)
             == STRM_OK
          && n == 3, "a number, a list and the key field encrypted");
    j = (ev.json != NULL) ? json_loads(ev.json, 0, NULL) : NULL;
    CHECK(json_is_string(strm_json_path(j, "score"))
          && json_is_string(strm_json_path(j, "tags")),
          "each became a ciphertext string");
    CHECK(field_decrypts_to(s1.daead, j, "score", "42.5")
          && field_decrypts_to(s1.daead, j, "tags", "[\"a\",\"b\"]")
          && field_decrypts_to(s1.daead, j, "id", "PII-id-9"),
          "and decrypts to its JSON text");
    json_decref(j);
    strm_event_free(&ev);
    strm_registry_free(reg);

    strm_keys_close(k);

    /*
     * The cache: two ways a slot, the least recently used one goes.
     * Cache size 1 is one slot of two ways: two links taking turns
     * both stay (a direct-mapped slot would unwrap at every turn).
     */
    rc = strm_keys_open(file, 1 << 24, 0, kek, DAY, 16, &k, err,
                        sizeof(err));
    CHECK(rc == STRM_OK
          && strm_keys_session(k, "way-a", 5, 9000, &s1) == STRM_OK
          && strm_keys_session(k, "way-b", 5, 9000, &s2) == STRM_OK,
          "two more key links");
    memcpy(la, s1.link, sizeof(la));
    memcpy(lb, s2.link, sizeof(lb));
    CHECK(rc == STRM_OK
          && strm_keys_session(k, "way-c", 5, 9000, &s1) == STRM_OK,
          "and a third");
    memcpy(lc, s1.link, sizeof(lc));
    strm_keys_close(k);

    rc = strm_keys_open(file, 1 << 24, 1, kek, DAY, 1, &ro, err,
                        sizeof(err));
    CHECK(rc == STRM_OK && strm_keys_unwrapped(ro) == 0,
          "a cache of one slot, empty");
    CHECK(rc == STRM_OK
          && strm_keys_by_link(ro, la, &daead) == STRM_OK
          && strm_keys_by_link(ro, lb, &daead) == STRM_OK
          && strm_keys_by_link(ro, la, &daead) == STRM_OK
          && strm_keys_by_link(ro, lb, &daead) == STRM_OK
          && strm_keys_unwrapped(ro) == 2,
          "two links taking turns: each unwrapped once");
    CHECK(rc == STRM_OK
          && strm_keys_by_link(ro, lc, &daead) == STRM_OK
          && strm_keys_unwrapped(ro) == 3
          && strm_keys_by_link(ro, lb, &daead) == STRM_OK
          && strm_keys_unwrapped(ro) == 3,
          "a third evicts the least recently used (a), not b");
    CHECK(rc == STRM_OK
          && strm_keys_by_link(ro, la, &daead) == STRM_OK && daead != NULL
          && strm_keys_unwrapped(ro) == 4
          && strm_keys_by_link(ro, lb, &daead) == STRM_OK
          && strm_keys_unwrapped(ro) == 4,
          "a again: unwrapped anew, evicting c; b stays");
    CHECK(rc == STRM_OK
          && strm_keys_by_link(ro, "00000000-0000-4000-8000-000000000000",
                               &daead) == STRM_E_NOT_FOUND
          && strm_keys_by_link(ro, la, &daead) == STRM_OK
          && strm_keys_by_link(ro, lb, &daead) == STRM_OK
          && strm_keys_unwrapped(ro) == 4,
          "an unknown link evicts nothing");

    if (rc == STRM_OK) {
        strm_keys_close(ro);
    }

    strm_tink_keyset_free(kek);
    strm_tink_keyset_free(other);

    unlink(file);
    snprintf(file, sizeof(file), "%s/keys.mdb-lock", dir);
    unlink(file);
    rmdir(dir);

    return UNIT_DONE();
}
