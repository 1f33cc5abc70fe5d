
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_headers.h"


/*
 * A header of the name's length is compared with the lowercased name
 * nginx's parser keeps of it (HTTP/1 and HTTP/2), the name asked for
 * folded as it goes; a header without one (another module's) is
 * compared case-insensitively both ways.
 */
ngx_table_elt_t *
ngx_http_strm_header_in(ngx_http_request_t *r, const char *name, size_t len)
{
    size_t            j;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != len) {
            continue;
        }

        if (h[i].lowcase_key == NULL) {
            if (ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0) {
                return &h[i];
            }

            continue;
        }

        for (j = 0;
             j < len && h[i].lowcase_key[j] == ngx_tolower((u_char) name[j]);
             j++)
        {
            /* void */
        }

        if (j == len) {
            return &h[i];
        }
    }
}


ngx_table_elt_t *
ngx_http_strm_header_out(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    return h;
}
