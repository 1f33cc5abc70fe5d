
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The cost of field encryption: AES-SIV of a 32-byte PII value with a
 * keyed context made once and reused, against a context made (and
 * wiped) for every value; decryption; the same through a Tink keyset
 * (prefix and key lookup); and the AES-GCM key wrapping of a 64-byte
 * key at rest.  The ratio is why contexts are cached per key.
 *
 *   build/bench/bench_crypto [SECONDS_PER_ROW]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strm_siv.h"
#include "strm_tink.h"


#define FIELD_LEN  32


typedef struct {
    const char  *name;
    double       ns;
} row_t;


static strm_siv_t          *siv;
static strm_tink_keyset_t  *ks;
static strm_tink_keyset_t  *kek;
static unsigned char        key[64];
static unsigned char        field[FIELD_LEN];
static unsigned char        ct[FIELD_LEN + 64];
static unsigned char        tct[FIELD_LEN + 64];
static unsigned char        wct[200];
static unsigned char        out[FIELD_LEN + 64];
static size_t               tct_len;
static size_t               wct_len;
static const unsigned char  ad[] = "customer/email";
static volatile unsigned    sink;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
fail(const char *what)
{
    fprintf(stderr, "bench_crypto: %s failed\n", what);
    exit(1);
}


static void
siv_reused(void)
{
    if (strm_siv_encrypt(siv, ad, sizeof(ad) - 1, field, FIELD_LEN, out)
        != STRM_OK)
    {
        fail("encrypt");
    }

    sink += out[0];
}


static void
siv_per_op(void)
{
    strm_siv_t  *s;

    s = strm_siv_new(key, sizeof(key));

    if (s == NULL
        || strm_siv_encrypt(s, ad, sizeof(ad) - 1, field, FIELD_LEN, out)
           != STRM_OK)
    {
        fail("encrypt per op");
    }

    strm_siv_free(s);
    sink += out[0];
}


static void
siv_decrypt(void)
{
    if (strm_siv_decrypt(siv, ad, sizeof(ad) - 1, ct, FIELD_LEN + 16, out)
        != STRM_OK)
    {
        fail("decrypt");
    }

    sink += out[0];
}


static void
tink_encrypt(void)
{
    size_t  n;

    if (strm_tink_encrypt(ks, ad, sizeof(ad) - 1, field, FIELD_LEN, out, &n)
        != STRM_OK)
    {
        fail("tink encrypt");
    }

    sink += out[5];
}


static void
tink_decrypt(void)
{
    size_t  n;

    if (strm_tink_decrypt(ks, ad, sizeof(ad) - 1, tct, tct_len, out, &n)
        != STRM_OK)
    {
        fail("tink decrypt");
    }

    sink += out[0];
}


static void
gcm_wrap(void)
{
    size_t  n;

    if (strm_tink_encrypt(kek, ad, sizeof(ad) - 1, key, sizeof(key), wct,
                          &n) != STRM_OK)
    {
        fail("wrap");
    }

    sink += wct[5];
}


static void
gcm_unwrap(void)
{
    size_t         n;
    unsigned char  k[200];

    if (strm_tink_decrypt(kek, ad, sizeof(ad) - 1, wct, wct_len, k, &n)
        != STRM_OK)
    {
        fail("unwrap");
    }

    sink += k[0];
}


/* ns per call, over at least secs seconds */

static double
measure(void (*fn)(void), double secs)
{
    long    i, n, total;
    double  t0, t;

    total = 0;
    n = 1000;
    t0 = now();

    do {
        for (i = 0; i < n; i++) {
            fn();
        }

        total += n;
        t = now() - t0;
    } while (t < secs);

    return t / total * 1e9;
}


int
main(int argc, char **argv)
{
    int         i;
    size_t      n;
    double      secs;
    uint32_t    id;
    row_t       rows[8];

    secs = (argc > 1) ? atof(argv[1]) : 1.0;

    for (i = 0; i < (int) sizeof(key); i++) {
        key[i] = (unsigned char) (i * 31 + 7);
    }

    memcpy(field, "bob.smith@example.com...........", FIELD_LEN);

    siv = strm_siv_new(key, sizeof(key));
    ks = strm_tink_keyset_new(STRM_TINK_DAEAD);
    kek = strm_tink_keyset_new(STRM_TINK_AEAD);

    if (siv == NULL || ks == NULL || kek == NULL
        || strm_tink_keyset_add_random(ks, &id) != STRM_OK
        || strm_tink_keyset_add_random(kek, &id) != STRM_OK
        || strm_siv_encrypt(siv, ad, sizeof(ad) - 1, field, FIELD_LEN, ct)
           != STRM_OK
        || strm_tink_encrypt(ks, ad, sizeof(ad) - 1, field, FIELD_LEN, tct,
                             &tct_len) != STRM_OK
        || strm_tink_encrypt(kek, ad, sizeof(ad) - 1, key, sizeof(key), wct,
                             &wct_len) != STRM_OK)
    {
        fail("setup");
    }

    /* warm up caches and the clock before the first row */
    (void) measure(siv_reused, secs / 2);

    n = 0;
    rows[n].name = "siv encrypt, context reused";
    rows[n++].ns = measure(siv_reused, secs);
    rows[n].name = "siv encrypt, context per op";
    rows[n++].ns = measure(siv_per_op, secs);
    rows[n].name = "siv decrypt, context reused";
    rows[n++].ns = measure(siv_decrypt, secs);
    rows[n].name = "tink daead encrypt (prefix)";
    rows[n++].ns = measure(tink_encrypt, secs);
    rows[n].name = "tink daead decrypt (prefix)";
    rows[n++].ns = measure(tink_decrypt, secs);
    rows[n].name = "kek wrap 64-byte key (gcm)";
    rows[n++].ns = measure(gcm_wrap, secs);
    rows[n].name = "kek unwrap 64-byte key (gcm)";
    rows[n++].ns = measure(gcm_unwrap, secs);

    printf("AES-SIV, %d-byte field, ad \"%s\", one core, %.1f s per row\n\n",
           FIELD_LEN, ad, secs);
    printf("%-30s %12s %10s %10s\n", "operation", "ops/s", "ns/op",
           "x reused");

    for (i = 0; i < (int) n; i++) {
        printf("%-30s %12.0f %10.0f %10.2f\n", rows[i].name,
               1e9 / rows[i].ns, rows[i].ns, rows[i].ns / rows[0].ns);
    }

    printf("\nkey setup costs %.1f encryptions of a %d-byte field\n",
           (rows[1].ns - rows[0].ns) / rows[0].ns, FIELD_LEN);

    strm_siv_free(siv);
    strm_tink_keyset_free(ks);
    strm_tink_keyset_free(kek);

    return sink == 0xdeadbeef;
}
