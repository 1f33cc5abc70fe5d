
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Keysets and ciphertexts from outside: a Keyset proto (what an
 * encrypted keyset holds), a JSON keyset, a keys-topic record and a
 * ciphertext under a fixed keyset.  The first byte picks the parser.
 * Nothing may crash, leak or read out of bounds, and whatever parses
 * must write back and parse again.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_keystore.h"
#include "strm_tink.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static strm_tink_keyset_t  *fuzz_daead;


static void
fuzz_roundtrip(strm_tink_keyset_t *ks)
{
    char                *json;
    size_t               len;
    strm_tink_keyset_t  *back;

    if (strm_tink_keyset_write_json(ks, &json, &len) != STRM_OK) {
        return;
    }

    if (strm_tink_keyset_read_json(json, len, &back, NULL, 0) != STRM_OK) {
        abort();
    }

    strm_tink_keyset_free(back);
    strm_tink_secret_free(json, len);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               n;
    unsigned char       *out;
    strm_keyrec_t        rec;
    strm_tink_keyset_t  *ks;

    if (fuzz_daead == NULL) {
        fuzz_daead = strm_tink_keyset_new(STRM_TINK_DAEAD);
        if (fuzz_daead == NULL
            || strm_tink_keyset_add_random(fuzz_daead, NULL) != STRM_OK)
        {
            abort();
        }
    }

    if (size == 0) {
        return 0;
    }

    switch (data[0] % 4) {

    case 0:
        if (strm_tink_keyset_from_proto(data + 1, size - 1, &ks, NULL, 0)
            == STRM_OK)
        {
            fuzz_roundtrip(ks);
            strm_tink_keyset_free(ks);
        }
        break;

    case 1:
        if (strm_tink_keyset_read_json((const char *) data + 1, size - 1,
                                       &ks, NULL, 0)
            == STRM_OK)
        {
            fuzz_roundtrip(ks);
            strm_tink_keyset_free(ks);
        }
        break;

    case 2:
        (void) strm_keyrec_from_json((const char *) data + 1, size - 1,
                                     &rec);
        break;

    default:
        out = malloc(size);
        if (out == NULL) {
            return 0;
        }

        /* a forged ciphertext never decrypts */
        if (strm_tink_decrypt(fuzz_daead, (const unsigned char *) "f", 1,
                              data + 1, size - 1, out, &n)
            == STRM_OK)
        {
            abort();
        }

        free(out);
        break;
    }

    return 0;
}
