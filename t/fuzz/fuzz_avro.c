
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_avro.h"
#include "strm_avro_encode.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* the demo event of t/unit/data/avro/demo1.avsc, plus a named reference */
static const char  fuzz_schema[] =
    "{\"type\":\"record\",\"name\":\"DemoEvent\","
    "\"namespace\":\"io.strm.demo\",\"fields\":["
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
    "{\"name\":\"uniqueIdentifier\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"consistentValue\",\"type\":\"string\"},"
    "{\"name\":\"someSensitiveValue\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"notSensitiveValue\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"previous\",\"type\":[\"null\",\"StrmMeta\"],"
    "\"default\":null}]}";


/* t/unit/data/avro/click1.avsc: enum, map, bytes, a named reference */
static const char  fuzz_click[] =
    "{\"type\":\"record\",\"name\":\"ClickEvent\",\"namespace\":\"io.strm.c"
    "lick\",\"fields\":[{\"name\":\"sessionCount\",\"type\":\"int\"},{\"nam"
    "e\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},{\"na"
    "me\":\"customer\",\"type\":{\"type\":\"record\",\"name\":\"Customer\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}},{\"name\":\"refer"
    "rer\",\"type\":[\"null\",\"Customer\"],\"default\":null},{\"name\":\"k"
    "ind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"VIE"
    "W\",\"CLICK\",\"BUY\"]}},{\"name\":\"props\",\"type\":{\"type\":\"map\""
    ",\"values\":\"long\"}},{\"name\":\"score\",\"type\":\"double\"},{\"nam"
    "e\":\"ok\",\"type\":\"boolean\"},{\"name\":\"raw\",\"type\":\"bytes\"}"
    "]}";


static strm_avro_schema_t  *fuzz_s;
static strm_avro_schema_t  *fuzz_c;


/* json_equal() cannot look up map keys that hold a NUL byte */
static int
fuzz_same(json_t *a, json_t *b)
{
    int    same;
    char  *x, *y;

    x = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT);
    y = json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT);

    if (x == NULL || y == NULL) {
        abort();
    }

    same = strcmp(x, y) == 0;

    free(x);
    free(y);

    return same;
}


static void
fuzz_round_trip(strm_avro_schema_t *s, json_t *j)
{
    size_t          len, len2;
    json_t         *back;
    unsigned char  *bin, *bin2;
    strm_reject_t   rej;

    if (strm_avro_encode(s, j, &bin, &len, &rej) != STRM_OK) {
        abort();
    }

    back = NULL;

    if (strm_avro_decode(s, bin, len, &back, &rej) != STRM_OK
        || !fuzz_same(back, j))
    {
        abort();
    }

    if (strm_avro_encode(s, back, &bin2, &len2, &rej) != STRM_OK
        || len2 != len || memcmp(bin, bin2, len) != 0)
    {
        abort();
    }

    free(bin2);
    json_decref(back);
    free(bin);
}


static void
fuzz_one(strm_avro_schema_t *s, const uint8_t *data, size_t size)
{
    json_t         *j, *out;
    strm_reject_t   rej;

    out = NULL;

    if (strm_avro_decode(s, data, size, &out, &rej) == STRM_OK) {
        fuzz_round_trip(s, out);
        json_decref(out);
    }

    j = json_loadb((const char *) data, size, 0, NULL);

    if (j != NULL) {
        out = NULL;

        if (strm_avro_check_json(s, j, &out, &rej) == STRM_OK) {
            fuzz_round_trip(s, out);
            json_decref(out);
        }

        json_decref(j);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  err[256];

    if (fuzz_s == NULL) {
        fuzz_s = strm_avro_compile(fuzz_schema, sizeof(fuzz_schema) - 1,
                                   err, sizeof(err));
        fuzz_c = strm_avro_compile(fuzz_click, sizeof(fuzz_click) - 1,
                                   err, sizeof(err));
        if (fuzz_s == NULL || fuzz_c == NULL) {
            abort();
        }
    }

    fuzz_one(fuzz_s, data, size);
    fuzz_one(fuzz_c, data, size);

    return 0;
}
