
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * A worker configuration file from an operator: any bytes.  Nothing
 * may crash, leak or read out of bounds; a tree that parses keeps the
 * promises of strm_conf.h (names, NULL-ended arguments, children only
 * in blocks, limits), and each argument goes through every value
 * parser, as a worker would do with it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strm_conf.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_walk(const strm_conf_t *d, unsigned depth)
{
    int       on;
    char      err[128];
    size_t    i;
    int64_t   ms;
    uint64_t  n;

    if (depth > STRM_CONF_DEPTH_MAX
        || d->argc > STRM_CONF_ARGS_MAX
        || d->args == NULL
        || d->args[d->argc] != NULL
        || (depth > 0 && d->name[0] == '\0')
        || strcmp(d->file, "fuzz.conf") != 0
        || (d->block ? d->children == NULL
                     : (d->children != NULL || d->nchildren != 0)))
    {
        abort();
    }

    for (i = 0; i < d->argc; i++) {
        if (strlen(d->args[i]) > STRM_CONF_TOKEN_MAX) {
            abort();
        }

        (void) strm_conf_msec(d->args[i], &ms);
        (void) strm_conf_size(d->args[i], &n);
        (void) strm_conf_flag(d->args[i], &on);
        (void) strm_conf_uint(d->args[i], 65535, &n);
    }

    (void) strm_conf_args(d, 1, 2, err, sizeof(err));

    for (i = 0; i < d->nchildren; i++) {
        fuzz_walk(&d->children[i], depth + 1);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          err[256];
    strm_rc_t     rc;
    strm_conf_t  *root;

    rc = strm_conf_parse((const char *) data, size, "fuzz.conf", &root, err,
                         sizeof(err));

    if (rc == STRM_OK) {
        fuzz_walk(root, 0);
        strm_conf_free(root);

    } else if (root != NULL
               || (rc != STRM_E_NOMEM
                   && (rc != STRM_E_BAD_REQUEST
                       || strncmp(err, "fuzz.conf:", 10) != 0)))
    {
        abort();
    }

    return 0;
}
