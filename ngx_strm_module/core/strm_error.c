
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strm_error.h"


static const strm_error_t  strm_errors[] = {
#define STRM_ERROR_ENTRY(name, rc, status, generic, code, msg)               \
    { name, status, generic, code, msg },
    STRM_ERRORS(STRM_ERROR_ENTRY)
#undef STRM_ERROR_ENTRY
};


const strm_error_t *
strm_error_get(strm_rc_t rc)
{
    size_t  i;

    for (i = 0; i < sizeof(strm_errors) / sizeof(strm_errors[0]); i++) {
        if (strm_errors[i].rc == rc) {
            return &strm_errors[i];
        }
    }

    return strm_error_get(STRM_E_INTERNAL);
}


/*
 * The generic meaning of a status: what errors nginx raises itself
 * (413 on a too large body, 408, 400 on a broken chunked body) say.
 */
const strm_error_t *
strm_error_by_status(int status)
{
    size_t  i;

    for (i = 0; i < sizeof(strm_errors) / sizeof(strm_errors[0]); i++) {
        if (strm_errors[i].status == status && strm_errors[i].generic) {
            return &strm_errors[i];
        }
    }

    return NULL;
}


size_t
strm_json_escape(char *dst, size_t size, const char *src, size_t len)
{
    size_t          n, i;
    unsigned char   c;
    char            tmp[8];
    const char     *esc;
    size_t          elen;

    static const char  hex[] = "0123456789abcdef";

    n = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) src[i];
        esc = NULL;

        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                tmp[0] = '\\';
                tmp[1] = 'u';
                tmp[2] = '0';
                tmp[3] = '0';
                tmp[4] = hex[c >> 4];
                tmp[5] = hex[c & 0xf];
                tmp[6] = '\0';
                esc = tmp;
            }
        }

        if (esc != NULL) {
            elen = strlen(esc);

            if (n + elen <= size) {
                memcpy(dst + n, esc, elen);
            }

            n += elen;
            continue;
        }

        if (n < size) {
            dst[n] = (char) c;
        }

        n++;
    }

    return n;
}


size_t
strm_error_json(const strm_error_t *e, const char *reason,
    size_t reason_len, char *buf, size_t size)
{
    size_t  n, need;

    n = (size_t) snprintf(buf, size, "{\"error\":\"%s\",\"code\":\"%s\"",
                          e->message, e->code);
    need = n;

    if (reason != NULL) {
        need += sizeof(",\"reason\":\"") - 1;

        if (need <= size) {
            memcpy(buf + n, ",\"reason\":\"", need - n);
        }

        need += strm_json_escape(need <= size ? buf + need : buf,
                                 need <= size ? size - need : 0,
                                 reason, reason_len);
        need += 1;

        if (need <= size) {
            buf[need - 1] = '"';
        }
    }

    need += 2;

    if (need <= size) {
        buf[need - 2] = '}';
        buf[need - 1] = '\n';
    }

    return need;
}


strm_rc_t
strm_reject(strm_reject_t *rej, strm_rc_t rc, const char *field,
    const char *rule, const char *fmt, ...)
{
    va_list  ap;

    if (rej == NULL) {
        return rc;
    }

    snprintf(rej->field, sizeof(rej->field), "%s",
             field != NULL ? field : "");
    snprintf(rej->rule, sizeof(rej->rule), "%s", rule != NULL ? rule : "");

    va_start(ap, fmt);
    vsnprintf(rej->detail, sizeof(rej->detail), fmt, ap);
    va_end(ap);

    return rc;
}
