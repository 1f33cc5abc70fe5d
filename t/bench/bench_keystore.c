
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The key store's capacity: a store of SIZE bytes (strm_keys_store_size)
 * is filled with new sessions the way a gateway fills it (a candidate
 * key link made and wrapped by the KEK, applied from the keys topic in
 * partition order, the first of its session and window winning) until
 * it refuses one.  Prints the sessions it took, the sessions per GiB,
 * the bytes a session costs and what filled first (LMDB's map or the
 * slot file).
 *
 *   build/bench/bench_keystore KEK_FILE [SIZE_MIB [PARTITIONS]]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strm_keys.h"


int
main(int argc, char **argv)
{
    int                  won, rc;
    char                 dir[] = "/tmp/strm-bench-keystore-XXXXXX";
    char                 path[256], err[512], value[64];
    int32_t              parts, p;
    int64_t              now, window, *next;
    uint64_t             n, used, size, mib;
    strm_keys_t         *k;
    strm_keyrec_t        rec;
    strm_tink_keyset_t  *kek;
    unsigned char        session[STRM_KEYSTORE_HMAC_LEN];

    if (argc < 2) {
        fprintf(stderr, "usage: bench_keystore KEK_FILE [SIZE_MIB "
                "[PARTITIONS]]\n");
        return 64;
    }

    mib = (argc > 2) ? strtoull(argv[2], NULL, 10) : 64;
    parts = (argc > 3) ? atoi(argv[3]) : 4;

    if (mib == 0 || parts <= 0) {
        fprintf(stderr, "bench_keystore: a size in MiB and partitions\n");
        return 64;
    }

    if (strm_keys_read_kek(argv[1], &kek, err, sizeof(err)) != STRM_OK) {
        fprintf(stderr, "bench_keystore: %s: %s\n", argv[1], err);
        return 1;
    }

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    snprintf(path, sizeof(path), "%s/keys.mdb", dir);

    if (strm_keys_open(path, (size_t) mib << 20, 0, kek, 86400000, 16, &k,
                       err, sizeof(err))
        != STRM_OK)
    {
        fprintf(stderr, "bench_keystore: %s\n", err);
        return 1;
    }

    next = calloc((size_t) parts, sizeof(int64_t));
    if (next == NULL) {
        return 1;
    }

    now = 1795436206023LL;
    window = strm_keys_window(k, now);
    rc = 1;

    for (n = 0; rc == 1; n++) {
        snprintf(value, sizeof(value), "session-%llu",
                 (unsigned long long) n);

        if (strm_keys_fleet_session(k, value, strlen(value), session)
               != STRM_OK
            || strm_keys_candidate(k, session, window, now, &rec) != STRM_OK)
        {
            fprintf(stderr, "bench_keystore: no candidate\n");
            return 1;
        }

        p = strm_keys_partition(session, parts);
        rc = strm_keystore_apply(strm_keys_store(k), p, next[p]++, &rec,
                                 NULL, &won);
    }

    n--;

    if (strm_keystore_usage(strm_keys_store(k), &used, &size) != 0) {
        fprintf(stderr, "bench_keystore: no usage\n");
        return 1;
    }

    printf("{\"sizeMiB\":%llu,\"sessions\":%llu,\"sessionsPerGiB\":%llu,"
           "\"bytesPerSession\":%llu,\"usedBytes\":%llu,\"full\":\"%s\"}\n",
           (unsigned long long) mib, (unsigned long long) n,
           (unsigned long long) (n * 1024 / mib),
           (unsigned long long) (n ? (mib << 20) / n : 0),
           (unsigned long long) used,
           strm_keystore_error(strm_keys_store(k)));

    strm_keys_close(k);
    strm_tink_keyset_free(kek);
    free(next);

    snprintf(err, sizeof(err), "%s/keys.mdb.slots", dir);
    unlink(err);
    snprintf(err, sizeof(err), "%s/keys.mdb-lock", dir);
    unlink(err);
    unlink(path);
    rmdir(dir);

    return 0;
}
