
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Forensic erasure in the key store: after tombstones, shreds and a
 * purge, no store file (LMDB's, free pages included, and the slot
 * file) holds a copy of an erased key link's wrapped key, and no window
 * of either file unwraps with the KEK as any erased link's key; the
 * kept links' keys are in the slot file once and never in LMDB's file;
 * an erased slot is reused.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strm_keys.h"
#include "unit.h"


#define ROTATION  3600000LL
#define N         40


static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    (void) fseek(f, 0, SEEK_END);
    n = ftell(f);
    (void) fseek(f, 0, SEEK_SET);

    buf = malloc(n > 0 ? (size_t) n : 1);

    if (buf != NULL && n > 0 && fread(buf, 1, (size_t) n, f) != (size_t) n)
    {
        free(buf);
        buf = NULL;
    }

    fclose(f);
    *len = (n > 0) ? (size_t) n : 0;

    return buf;
}


static size_t
copies(const unsigned char *hay, size_t len, const unsigned char *needle,
    size_t nlen)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i + nlen <= len; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0) {
            n++;
        }
    }

    return n;
}


/*
 * Every window of the file that starts as a wrapped key of this KEK
 * does (Tink's prefix), tried as the wrapped key of each erased link,
 * at every length a wrapped key of ours can have: the successes.
 */
static size_t
unwraps(strm_tink_keyset_t *kek, const unsigned char *buf, size_t len,
    strm_keyrec_t *erased, size_t nerased)
{
    size_t          i, j, w, n, outlen;
    uint32_t        id;
    unsigned char  *out, prefix[STRM_TINK_PREFIX_LEN];

    id = strm_tink_keyset_primary(kek);
    prefix[0] = 0x01;
    prefix[1] = (unsigned char) (id >> 24);
    prefix[2] = (unsigned char) (id >> 16);
    prefix[3] = (unsigned char) (id >> 8);
    prefix[4] = (unsigned char) id;

    n = 0;

    for (i = 0; i + 48 <= len; i++) {
        if (memcmp(buf + i, prefix, sizeof(prefix)) != 0) {
            continue;
        }

        for (j = 0; j < nerased; j++) {
            for (w = 48; w <= STRM_KEYSTORE_WRAPPED_MAX && i + w <= len;
                 w++)
            {
                if (strm_tink_unwrap(kek,
                                     (const unsigned char *) erased[j].link,
                                     STRM_UUID_LEN, buf + i, w, &out,
                                     &outlen)
                    == STRM_OK)
                {
                    strm_tink_secret_free(out, outlen);
                    n++;
                }
            }
        }
    }

    return n;
}


int
main(void)
{
    int                  won;
    char                 dir[] = "/tmp/strm-erasure-XXXXXX";
    char                 path[256], slots[256], cmd[300], err[256];
    size_t               i, ne, lmdb_len, slots_len, n, found, in_lmdb;
    int64_t              off;
    struct stat          st;
    strm_keys_t         *k;
    strm_keyrec_t        recs[N], erased[N + 1], again, solo;
    unsigned char       *lmdb_buf, *slots_buf, s[32];
    strm_tink_keyset_t  *kek;
    strm_keys_session_t  x;

    if (mkdtemp(dir) == NULL) {
        return 1;
    }

    snprintf(path, sizeof(path), "%s/keys.mdb", dir);
    snprintf(slots, sizeof(slots), "%s/keys.mdb.slots", dir);

    kek = strm_tink_keyset_new(STRM_TINK_AEAD);
    if (kek == NULL || strm_tink_keyset_add_random(kek, NULL) != STRM_OK
        || strm_keys_open(path, 1 << 24, 0, kek, ROTATION, 16, &k, err,
                          sizeof(err)) != STRM_OK)
    {
        printf("open: %s\n", err);
        return 1;
    }

    CHECK(stat(slots, &st) == 0 && (st.st_mode & 0777) == 0600,
          "the slot file is there, mode 0600");

    /* N sessions, windows 10 (live) and 1 (expired for the purge) */
    off = 0;

    for (i = 0; i < N; i++) {
        char  value[32];

        snprintf(value, sizeof(value), "subject-%zu", i);
        (void) strm_keys_fleet_session(k, value, strlen(value), s);
        (void) strm_keys_candidate(k, s, i < N - 5 ? 10 : 1,
                                   i < N - 5 ? 10 * ROTATION : ROTATION,
                                   &recs[i]);
        CHECK(strm_keystore_apply(strm_keys_store(k), 0, off++, &recs[i],
                                  NULL, &won) == 1 && won == 1,
              "a key link stored");
    }

    /* erase: 5 by tombstone, 2 by shred, 5 by purge (window 1) */
    ne = 0;

    for (i = 0; i < 5; i++) {
        CHECK(strm_keystore_apply(strm_keys_store(k), 0, off++, NULL,
                                  recs[i].link, &won) == 1,
              "a tombstone applied");
        erased[ne++] = recs[i];
    }

    for (i = 5; i < 7; i++) {
        CHECK(strm_keystore_shred(strm_keys_store(k), recs[i].link) == 1,
              "a key link shredded");
        erased[ne++] = recs[i];
    }

    CHECK(strm_keystore_purge(strm_keys_store(k), 5 * ROTATION, &n) == 0
          && n == 5, "the expired window purged");

    for (i = N - 5; i < N; i++) {
        erased[ne++] = recs[i];
    }

    /* a new key link takes an erased slot, the file does not grow */
    (void) stat(slots, &st);
    (void) strm_keys_candidate(k, recs[0].session, 10, 10 * ROTATION + 9,
                               &again);
    CHECK(strm_keystore_apply(strm_keys_store(k), 0, off++, &again, NULL,
                              &won) == 1 && won == 1,
          "the forgotten session's next candidate wins");

    {
        struct stat  st2;

        CHECK(stat(slots, &st2) == 0 && st2.st_size == st.st_size,
              "an erased slot is reused");
    }

    /*
     * A record without a session, met twice (the keys topic read again
     * from an earlier offset by a new box): one slot, which its
     * tombstone erases.
     */
    (void) strm_keys_fleet_session(k, "solo", 4, s);
    (void) strm_keys_candidate(k, s, 10, 10 * ROTATION, &solo);
    solo.fleet = 0;

    CHECK(strm_keystore_apply(strm_keys_store(k), 0, off++, &solo, NULL,
                              &won) == 1 && won == 1
          && strm_keystore_apply(strm_keys_store(k), 0, off++, &solo, NULL,
                                 &won) == 1
          && strm_keystore_apply(strm_keys_store(k), 0, off++, NULL,
                                 solo.link, &won) == 1,
          "a record without a session applied twice, then its tombstone");

    erased[ne++] = solo;

    strm_keys_close(k);

    lmdb_buf = slurp(path, &lmdb_len);
    slots_buf = slurp(slots, &slots_len);

    CHECK(lmdb_buf != NULL && slots_buf != NULL, "both store files read");

    if (lmdb_buf != NULL && slots_buf != NULL) {
        found = 0;
        in_lmdb = 0;

        for (i = 0; i < ne; i++) {
            found += copies(lmdb_buf, lmdb_len, erased[i].wrapped,
                            erased[i].wrapped_len);
            found += copies(slots_buf, slots_len, erased[i].wrapped,
                            erased[i].wrapped_len);
        }

        CHECK(found == 0, "no copy of an erased wrapped key in any store "
              "file, free pages included");

        for (i = 7; i < N - 5; i++) {
            in_lmdb += copies(lmdb_buf, lmdb_len, recs[i].wrapped,
                              recs[i].wrapped_len);

            CHECK(copies(slots_buf, slots_len, recs[i].wrapped,
                         recs[i].wrapped_len) == 1,
                  "a kept key once in the slot file");
        }

        CHECK(in_lmdb == 0, "no wrapped key in LMDB's file at all");

        CHECK(unwraps(kek, lmdb_buf, lmdb_len, erased, ne) == 0
              && unwraps(kek, slots_buf, slots_len, erased, ne) == 0,
              "no window of the store files unwraps as an erased key, "
              "even with the KEK");

        /* the scan itself finds keys where there are some */
        CHECK(unwraps(kek, slots_buf, slots_len, recs + 7, N - 12)
              == N - 12, "the same scan unwraps every kept key once");
    }

    free(lmdb_buf);
    free(slots_buf);

    /* the kept links still decrypt after a reopen */
    if (strm_keys_open(path, 1 << 24, 1, kek, ROTATION, 16, &k, err,
                       sizeof(err)) == STRM_OK)
    {
        CHECK(strm_keys_winner(k, recs[10].session, 10, &x) == STRM_OK
              && strcmp(x.link, recs[10].link) == 0,
              "a kept link still unwraps (read-only store)");
        CHECK(strm_keys_winner(k, recs[0].session, 10, &x) == STRM_OK
              && strcmp(x.link, again.link) == 0,
              "the forgotten session's new link unwraps");
        strm_keys_close(k);

    } else {
        CHECK(0, "the store reopens read-only");
    }

    /* the LMDB file lost, its slot file left: a new store wipes it */
    (void) unlink(path);
    snprintf(cmd, sizeof(cmd), "%s-lock", path);
    (void) unlink(cmd);

    CHECK(stat(slots, &st) == 0 && st.st_size > 0,
          "a lost store's slot file still holds keys");

    if (strm_keys_open(path, 1 << 24, 0, kek, ROTATION, 16, &k, err,
                       sizeof(err)) == STRM_OK)
    {
        CHECK(stat(slots, &st) == 0 && st.st_size == 0,
              "a new store wipes the slot file it finds");
        strm_keys_close(k);

    } else {
        CHECK(0, "a new store opens");
    }

    strm_tink_keyset_free(kek);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void) system(cmd);

    return UNIT_DONE();
}
