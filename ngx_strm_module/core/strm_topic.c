
/*
 * Copyright (C) ngx_strm authors
 */


#include "strm_topic.h"


int
strm_topic_valid(const char *name, size_t len)
{
    char    ch;
    size_t  i;

    if (len == 0 || len > STRM_TOPIC_MAX) {
        return 0;
    }

    if ((len == 1 && name[0] == '.')
        || (len == 2 && name[0] == '.' && name[1] == '.'))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        ch = name[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_'
            || ch == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}
