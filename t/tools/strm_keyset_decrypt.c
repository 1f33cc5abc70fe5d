
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * A test tool: decrypts exported events with exported keysets, the way
 * a customer who received both would, with nothing but the keysets and
 * the core's Tink code (no key store, no KEK of ours).
 *
 *   strm-keyset-decrypt [-k CUSTOMER_KEK.json] KEYSETS.jsonl < EVENTS
 *
 * KEYSETS: strm-export keys-mode lines, {"keyLink", "keyset"} or, with
 * -k, {"keyLink", "encryptedKeyset"}.  EVENTS: one event per line.  Out,
 * per event: {"keyLink", "event" (decrypted), "decrypted": [paths]},
 * the shape t/lib/strm-decrypt prints, so the two can be compared.  A
 * string field is decrypted when it is the base64 of a Tink ciphertext
 * of the event's keyset, with its path as associated data.  Exit 1 when
 * an event's key link has no keyset, 2 on bad input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_b64.h"
#include "strm_keys.h"
#include "strm_tink.h"


typedef struct {
    char                 *link;
    strm_tink_keyset_t   *ks;
} strm_t_keyset_t;


static void strm_t_walk(json_t *node, const char *path,
    strm_tink_keyset_t *ks, json_t *done);


int
main(int argc, char **argv)
{
    int                  rc;
    size_t               i, n, cap, len, lineno;
    char                *text, *line;
    FILE                *f;
    json_t              *j, *v, *ev, *done, *out;
    const char          *link, *kekpath, *path;
    strm_t_keyset_t     *sets;
    strm_tink_keyset_t  *kek;
    json_error_t         jerr;
    char                 why[256];

    kekpath = NULL;
    kek = NULL;

    if (argc == 4 && strcmp(argv[1], "-k") == 0) {
        kekpath = argv[2];
        path = argv[3];

    } else if (argc == 2) {
        path = argv[1];

    } else {
        fprintf(stderr, "usage: strm-keyset-decrypt [-k KEK] KEYSETS\n");
        return 2;
    }

    if (kekpath != NULL
        && strm_keys_read_kek(kekpath, &kek, why, sizeof(why)) != STRM_OK)
    {
        fprintf(stderr, "strm-keyset-decrypt: %s: %s\n", kekpath, why);
        return 2;
    }

    f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return 2;
    }

    sets = NULL;
    n = cap = 0;
    line = NULL;
    len = 0;
    lineno = 0;

    while (getline(&line, &len, f) != -1) {
        lineno++;

        if (line[0] == '\n') {
            continue;
        }

        j = json_loads(line, 0, &jerr);
        link = json_string_value(json_object_get(j, "keyLink"));
        v = json_object_get(j, kek ? "encryptedKeyset" : "keyset");
        text = v ? json_dumps(v, JSON_COMPACT) : NULL;

        if (link == NULL || text == NULL) {
            fprintf(stderr, "strm-keyset-decrypt: %s:%zu: no keyLink or "
                    "no %s\n", path, lineno,
                    kek ? "encryptedKeyset" : "keyset");
            return 2;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            sets = realloc(sets, cap * sizeof(strm_t_keyset_t));
        }

        sets[n].link = strdup(link);
        why[0] = '\0';

        if ((kek ? strm_tink_keyset_read_encrypted_json(text, strlen(text),
                                                        kek,
                                                        (unsigned char *) "",
                                                        0, &sets[n].ks, why,
                                                        sizeof(why))
                 : strm_tink_keyset_read_json(text, strlen(text),
                                              &sets[n].ks, why,
                                              sizeof(why)))
            != STRM_OK)
        {
            fprintf(stderr, "strm-keyset-decrypt: %s:%zu: %s\n", path,
                    lineno, why);
            return 2;
        }

        n++;
        free(text);
        json_decref(j);
    }

    fclose(f);
    rc = 0;

    while (getline(&line, &len, stdin) != -1) {
        if (line[0] == '\n') {
            continue;
        }

        ev = json_loads(line, 0, &jerr);
        link = json_string_value(json_object_get(
                   json_object_get(ev, "strmMeta"), "keyLink"));

        if (link == NULL) {
            fprintf(stderr, "strm-keyset-decrypt: an event without "
                    "strmMeta.keyLink\n");
            return 2;
        }

        for (i = 0; i < n && strcmp(sets[i].link, link) != 0; i++) {
            /* void */
        }

        if (i == n) {
            out = json_pack("{s:s, s:s}", "keyLink", link, "error",
                            "no keyset");
            rc = 1;

        } else {
            done = json_array();
            strm_t_walk(ev, "", sets[i].ks, done);
            out = json_pack("{s:s, s:O, s:o}", "keyLink", link, "event", ev,
                            "decrypted", done);
        }

        text = json_dumps(out, JSON_COMPACT);
        puts(text);
        free(text);
        json_decref(out);
        json_decref(ev);
    }

    free(line);

    for (i = 0; i < n; i++) {
        strm_tink_keyset_free(sets[i].ks);
        free(sets[i].link);
    }

    free(sets);

    if (kek != NULL) {
        strm_tink_keyset_free(kek);
    }

    return rc;
}


static void
strm_t_walk(json_t *node, const char *path, strm_tink_keyset_t *ks,
    json_t *done)
{
    size_t          blen, ptlen;
    json_t         *v;
    const char     *name, *s;
    unsigned char  *ct, *pt;
    char            p[1024];

    json_object_foreach(node, name, v) {
        snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "/" : "", name);

        if (strcmp(p, "strmMeta") == 0) {
            continue;
        }

        if (json_is_object(v)) {
            strm_t_walk(v, p, ks, done);
            continue;
        }

        if (!json_is_string(v)) {
            continue;
        }

        s = json_string_value(v);
        ct = malloc(strm_b64_decoded_len(strlen(s)) + 1);

        if (strm_b64_decode(ct, &blen, (const unsigned char *) s, strlen(s))
            != STRM_OK || blen < 21 || ct[0] != 0x01)
        {
            free(ct);
            continue;
        }

        pt = malloc(blen + 1);

        if (strm_tink_decrypt(ks, (unsigned char *) p, strlen(p), ct, blen,
                              pt, &ptlen) == STRM_OK)
        {
            json_object_set_new(node, name, json_stringn((char *) pt,
                                                         ptlen));
            json_array_append_new(done, json_string(p));
        }

        free(pt);
        free(ct);
    }
}
