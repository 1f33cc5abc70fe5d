
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_UNIT_H_INCLUDED_
#define _STRM_UNIT_H_INCLUDED_


/*
 * What every unit test shares: CHECK() counts, a failure says where,
 * and UNIT_DONE() prints the closing line "N passed, N failed" and
 * gives main() its exit code.
 */

#include <stdio.h>


static int  unit_passed;
static int  unit_failed;


#define CHECK(cond, what)                                                    \
    do {                                                                     \
        if (cond) {                                                          \
            unit_passed++;                                                   \
        } else {                                                             \
            unit_failed++;                                                   \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what);            \
        }                                                                    \
    } while (0)


#define UNIT_DONE()                                                          \
    (printf("%d passed, %d failed\n", unit_passed, unit_failed),             \
     unit_failed ? 1 : 0)


#endif /* _STRM_UNIT_H_INCLUDED_ */
