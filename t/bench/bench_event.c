
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The cost of the event path in the worker, without nginx and Kafka:
 * STRM's demo event through strm_event_parse and strm_event_write, as
 * JSON and as Avro binary, against a baseline run in the same process:
 * parsing and printing the same JSON with jansson and nothing else.
 *
 *   build/bench/bench_event REGISTRY AVRO_FILE [N]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strm_event.h"


static const char  demo[] =
    "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\","
    "\"consentLevels\":[0,1]},\"uniqueIdentifier\":\"unique-1\","
    "\"consistentValue\":\"session-1\",\"someSensitiveValue\":"
    "\"sensitive-1\",\"notSensitiveValue\":\"not-sensitive-1\"}";

static const char  ref[] = "strmprivacy/demo/1.0.2";


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
run_event(const strm_registry_t *reg, strm_ser_e ser,
    const unsigned char *body, size_t len)
{
    size_t         n;
    strm_rc_t      rc;
    strm_event_t   ev;
    strm_reject_t  rej;

    rc = strm_event_parse(reg, ref, sizeof(ref) - 1, ser, body, len, &ev,
                          &rej);

    if (rc == STRM_OK) {
        rc = strm_event_write(&ev, 1795436206023LL, 42, NULL, NULL, &n);
    }

    strm_event_free(&ev);

    return rc == STRM_OK ? 0 : -1;
}


static int
run_plain(void)
{
    char    *out;
    json_t  *j;

    j = json_loadb(demo, sizeof(demo) - 1, 0, NULL);
    if (j == NULL) {
        return -1;
    }

    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    free(out);

    return out != NULL ? 0 : -1;
}


int
main(int argc, char **argv)
{
    int               i, n, k;
    FILE             *f;
    size_t            alen;
    double            t[3];
    strm_registry_t  *reg;
    unsigned char     avro[4096];
    char              err[1024];

    static const char  *names[] = { "jansson parse+print (baseline)",
                                    "event path, JSON",
                                    "event path, Avro binary" };

    if (argc < 3) {
        fprintf(stderr, "usage: bench_event REGISTRY AVRO_FILE [N]\n");
        return 2;
    }

    n = (argc > 3) ? atoi(argv[3]) : 200000;

    if (strm_registry_load(argv[1], &reg, err, sizeof(err)) != STRM_OK) {
        fprintf(stderr, "bench_event: %s\n", err);
        return 1;
    }

    f = fopen(argv[2], "rb");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }

    alen = fread(avro, 1, sizeof(avro), f);
    fclose(f);

    for (k = 0; k < 3; k++) {
        t[k] = now();

        for (i = 0; i < n; i++) {
            if ((k == 0 && run_plain() != 0)
                || (k == 1 && run_event(reg, STRM_SER_JSON,
                                        (const unsigned char *) demo,
                                        sizeof(demo) - 1) != 0)
                || (k == 2 && run_event(reg, STRM_SER_AVRO_BINARY, avro,
                                        alen) != 0))
            {
                fprintf(stderr, "bench_event: %s failed\n", names[k]);
                return 1;
            }
        }

        t[k] = now() - t[k];

        printf("%-32s %8.2f us/event %10.0f events/s\n", names[k],
               t[k] / n * 1e6, n / t[k]);
    }

    printf("ratio to the baseline: JSON %.2f, Avro %.2f\n", t[1] / t[0],
           t[2] / t[0]);

    strm_registry_free(reg);

    return 0;
}
