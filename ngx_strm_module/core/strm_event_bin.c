
/*
 * Copyright (C) ngx_strm authors
 */


#include <string.h>

#include "strm_avro_bin.h"
#include "strm_event.h"


/* what the contract's lookups read: the event, where its fields start */
typedef struct {
    strm_event_t        *ev;
    strm_avro_bin_ix_t   ix;
} strm_event_bin_t;


static strm_rc_t strm_event_bin_get(void *data, const char *path,
    int shallow, json_t **v);


int  strm_event_bin_path = 1;


/*
 * The everyday Avro binary event without a tree: the datum checked
 * against the schema as it is (strm_avro_bin_check()), strmMeta's and
 * the contract's fields read where they are in it.  Only an event that
 * passes everything goes this way; anything else (STRM_E_NOT_FOUND)
 * leaves ev as it was and goes the tree's way, which decides and names
 * the refusal.
 */
strm_rc_t
strm_event_bin(const strm_registry_t *reg, const strm_schema_t *s,
    const unsigned char *body, size_t len, strm_event_t *ev)
{
    int                     levels[STRM_EVENT_MAX_LEVELS];
    size_t                  n, ref_len;
    unsigned                plain;
    strm_rc_t               rc;
    strm_reject_t           rej;
    strm_event_bin_t        eb;
    const unsigned char    *ref;
    const strm_avro_bin_t  *b;
    const strm_contract_t  *c;

    b = strm_avro_bin_of(s->avro);

    if (b == NULL
        || strm_avro_bin_check(b, body, len, &plain, &eb.ix) != STRM_OK
        || strm_avro_bin_meta(b, body, len, &eb.ix, levels,
                              STRM_EVENT_MAX_LEVELS, STRM_EVENT_MAX_LEVEL,
                              &n, &ref, &ref_len)
           != STRM_OK)
    {
        return STRM_E_NOT_FOUND;
    }

    c = strm_registry_contract(reg, (const char *) ref, ref_len);

    if (c == NULL || strm_registry_fit(s, c) != STRM_FIT_OK) {
        return STRM_E_NOT_FOUND;
    }

    ev->bin = body;
    ev->bin_len = len;
    ev->bin_plain = plain;
    ev->contract = c;

    /*
     * The key field, then the contract's rules: a string's bytes where
     * the datum has them (they are the value: no copy, no tree's
     * string), anything else as strm_avro_bin_value() finds it
     */
    eb.ev = ev;

    if (strm_avro_bin_string(b, body, len, &eb.ix, c->key_field,
                             &ev->key_text, &ev->key_len)
        == STRM_OK)
    {
        rc = strm_contract_check_key(c, ev->key_text, ev->key_len,
                                     strm_event_bin_get, &eb, &rej);

    } else {
        ev->key_text = NULL;
        ev->key_len = 0;

        rc = strm_event_bin_get(&eb, c->key_field, 0, &ev->key);

        if (rc == STRM_OK) {
            rc = strm_contract_check_by(c, strm_event_bin_get, &eb, &rej);
        }
    }

    if (rc != STRM_OK) {
        json_decref(ev->key);
        ev->key = NULL;
        ev->key_text = NULL;
        ev->key_len = 0;
        ev->bin = NULL;
        ev->bin_len = 0;
        ev->bin_plain = 0;
        ev->contract = NULL;

        return STRM_E_NOT_FOUND;
    }

    memcpy(ev->levels, levels, n * sizeof(int));
    strm_event_consent(ev, n);

    return STRM_OK;
}


/* a scalar where the datum has it; an object or array: not sure */
static strm_rc_t
strm_event_bin_get(void *data, const char *path, int shallow, json_t **v)
{
    strm_event_t      *ev;
    strm_event_bin_t  *eb;

    (void) shallow;

    eb = data;
    ev = eb->ev;

    if (ev->key == NULL && ev->key_text != NULL
        && (path == ev->contract->key_field
            || strcmp(path, ev->contract->key_field) == 0))
    {
        *v = json_stringn_nocheck(ev->key_text, ev->key_len);
        return (*v != NULL) ? STRM_OK : STRM_E_NOMEM;
    }

    if (ev->key != NULL
        && (path == ev->contract->key_field
            || strcmp(path, ev->contract->key_field) == 0))
    {
        *v = json_incref(ev->key);
        return STRM_OK;
    }

    return strm_avro_bin_value(strm_avro_bin_of(ev->schema->avro), ev->bin,
                               ev->bin_len, &eb->ix, path, v);
}
