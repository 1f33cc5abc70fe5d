
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm_json_parse_object() against jansson: an input the one-pass
 * parser accepts must parse with json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL) to the same tree, member order included, and print
 * with strm_event_dumps() exactly as json_dumps() prints it.  Any
 * difference aborts.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strm_event.h"
#include "strm_json.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *a, *b, *c;
    size_t   len;
    json_t  *mine, *theirs;

    mine = strm_json_parse_object(data, size, 64);

    if (mine == NULL) {
        return 0;
    }

    theirs = json_loadb((const char *) data, size,
                        JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);

    if (theirs == NULL || !json_equal(mine, theirs)) {
        abort();
    }

    a = json_dumps(mine, JSON_COMPACT);
    b = json_dumps(theirs, JSON_COMPACT);
    c = strm_event_dumps(theirs, &len);

    if (a == NULL || b == NULL || c == NULL || strcmp(a, b) != 0
        || strcmp(b, c) != 0 || len != strlen(b))
    {
        abort();
    }

    free(a);
    free(b);
    free(c);
    json_decref(mine);
    json_decref(theirs);

    return 0;
}
