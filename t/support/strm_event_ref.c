
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdlib.h>
#include <string.h>

#include "strm_b64.h"
#include "strm_event_ref.h"


static strm_rc_t strm_event_ref_field(json_t *event, const char *path,
    strm_tink_keyset_t *daead, size_t *n);


json_t *
strm_event_ref_plain(const strm_event_t *ev)
{
    json_t         *plain, *in;
    strm_reject_t   rej;

    if (ev->event != NULL) {
        return json_deep_copy(ev->event);
    }

    if (ev->schema == NULL || ev->schema->avro == NULL) {
        return NULL;
    }

    if (ev->bin != NULL) {
        /* the binary way: the tree as strm_avro_decode() builds it */
        return (strm_avro_decode(ev->schema->avro, ev->bin, ev->bin_len,
                                 &plain, &rej)
                == STRM_OK) ? plain : NULL;
    }

    if (ev->text != NULL) {
        /* the text's way: the tree as jansson parses the same body */
        in = json_loadb((const char *) ev->text, ev->text_len,
                        JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);

        if (in == NULL) {
            return NULL;
        }

    } else {
        in = json_incref(ev->in);
    }

    if (in == NULL
        || strm_avro_check_json(ev->schema->avro, in, &plain, &rej)
           != STRM_OK)
    {
        json_decref(in);
        return NULL;
    }

    json_decref(in);

    return plain;
}


strm_rc_t
strm_event_ref_write(const strm_event_t *ev, int64_t now_ms, int32_t nonce,
    const char *key_link, strm_tink_keyset_t *daead, char **out,
    size_t *len, size_t *n)
{
    size_t                  i;
    json_t                 *plain, *meta, *link;
    strm_rc_t               rc;
    const strm_contract_t  *c;

    *out = NULL;
    *n = 0;
    c = ev->contract;

    plain = strm_event_ref_plain(ev);
    if (plain == NULL || c == NULL) {
        json_decref(plain);
        return STRM_E_INTERNAL;
    }

    /* the stamps, as strm_event_stamp() set them before the writer */
    meta = json_object_get(plain, "strmMeta");
    if (!json_is_object(meta)) {
        json_decref(plain);
        return STRM_E_INTERNAL;
    }

    link = (key_link != NULL) ? json_stringn(key_link, 36) : json_null();

    if (json_object_set_new_nocheck(meta, "timestamp", json_integer(now_ms))
        != 0
        || json_object_set_new_nocheck(meta, "nonce", json_integer(nonce))
           != 0
        || json_object_set_new_nocheck(meta, "keyLink", link) != 0)
    {
        json_decref(plain);
        return STRM_E_NOMEM;
    }

    /* the fields, as strm_event_encrypt() did, one by one by path */
    rc = STRM_OK;

    for (i = 0; daead != NULL && rc == STRM_OK && i < c->npii; i++) {
        rc = strm_event_ref_field(plain, c->pii[i].path, daead, n);
    }

    if (daead != NULL && rc == STRM_OK) {
        for (i = 0; i < c->npii; i++) {
            if (strcmp(c->pii[i].path, c->key_field) == 0) {
                break;
            }
        }

        if (i == c->npii) {
            rc = strm_event_ref_field(plain, c->key_field, daead, n);
        }
    }

    if (rc == STRM_OK) {
        *out = strm_event_dumps(plain, len);
        rc = (*out != NULL) ? STRM_OK : STRM_E_NOMEM;
    }

    json_decref(plain);

    return rc;
}


static strm_rc_t
strm_event_ref_field(json_t *event, const char *path,
    strm_tink_keyset_t *daead, size_t *n)
{
    char           *text, *slash;
    size_t          len, clen, blen;
    json_t         *v, *parent;
    strm_rc_t       rc;
    const char     *name;
    unsigned char  *ct, *b64;

    v = strm_json_path(event, path);

    if (v == NULL || json_is_null(v)) {
        return STRM_OK;
    }

    slash = strrchr(path, '/');

    if (slash == NULL) {
        parent = event;
        name = path;

    } else {
        text = strndup(path, slash - path);
        parent = strm_json_path(event, text);
        free(text);
        name = slash + 1;
    }

    if (json_is_string(v)) {
        text = NULL;
        len = json_string_length(v);

    } else {
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        len = strlen(text);
    }

    clen = strm_tink_ciphertext_len(daead, len);
    ct = malloc(clen + strm_b64_encoded_len(clen));
    b64 = ct + clen;

    rc = strm_tink_encrypt(daead, (const unsigned char *) path, strlen(path),
                           (const unsigned char *)
                           (text ? text : json_string_value(v)),
                           len, ct, &clen);
    free(text);

    if (rc == STRM_OK) {
        blen = strm_b64_encode(b64, ct, clen);
        json_object_set_new(parent, name,
                            json_stringn((const char *) b64, blen));
        (*n)++;
    }

    free(ct);

    return rc;
}
