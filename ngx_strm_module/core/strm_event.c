
/*
 * Copyright (C) ngx_strm authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "strm_avro_bin.h"
#include "strm_b64.h"
#include "strm_event.h"
#include "strm_json.h"
#include "strm_jw.h"


static strm_rc_t strm_event_json(const strm_schema_t *s,
    const unsigned char *body, size_t len, strm_event_t *ev,
    strm_reject_t *rej);
static strm_rc_t strm_event_text(const strm_registry_t *reg,
    const strm_schema_t *s, const unsigned char *body, size_t len,
    strm_event_t *ev);
static int strm_event_text_in(const strm_avro_notes_t *notes, int m,
    const unsigned char *meta, const unsigned char *mend, const char *name,
    size_t len, const unsigned char **v, const unsigned char **vend);
static strm_rc_t strm_event_text_get(strm_event_t *ev, const char *path,
    json_t **v);
static strm_rc_t strm_event_get(void *data, const char *path, int shallow,
    json_t **v);
static strm_rc_t strm_event_meta(const strm_registry_t *reg,
    strm_event_t *ev, strm_reject_t *rej);
static strm_rc_t strm_event_meta_check(const strm_registry_t *reg,
    strm_event_t *ev, json_t *meta, json_t *levels, json_t *ref,
    strm_reject_t *rej);
static void strm_event_json_hint(const unsigned char *body, size_t len,
    strm_rc_t rc, strm_reject_t *rej);
static char *strm_event_decimal(char *p, int l);
static int strm_event_depth(const json_t *v, int depth);
static int strm_event_strip(json_t *event, const strm_contract_t *c);
static int strm_event_del_path(json_t *root, const char *path);
static json_t *strm_event_strn(const char *s, size_t len);


int  strm_event_text_path = 1;


/*
 * The notes of the thread's last check of a text (1.5 kB: not in every
 * event) and its number; an event's notes are these while it is the
 * one checked last.
 */
static __thread strm_avro_notes_t  strm_event_notes;
static __thread unsigned           strm_event_notes_n;

/* a buffer given back for the thread's next strm_event_write() */
static __thread char              *strm_event_spare;
static __thread size_t             strm_event_spare_size;


static const strm_avro_notes_t *
strm_event_notes_of(const strm_event_t *ev)
{
    return (ev->notes != 0 && ev->notes == strm_event_notes_n)
           ? &strm_event_notes : NULL;
}


strm_rc_t
strm_event_parse(const strm_registry_t *reg, const char *ref, size_t ref_len,
    strm_ser_e ser, const unsigned char *body, size_t len, strm_event_t *ev,
    strm_reject_t *rej)
{
    json_t               *ev_json;
    strm_rc_t             rc;
    const strm_schema_t  *s;

    memset(ev, 0, sizeof(strm_event_t));
    rc = STRM_OK;

    if (ref_len == 0) {
        return strm_reject(rej, STRM_E_SCHEMA_REF_MISSING, NULL, "required",
                           "send the schema ref in Strm-Schema-Ref");
    }

    s = strm_registry_schema(reg, ref, ref_len);
    if (s == NULL) {
        return strm_reject(rej, STRM_E_SCHEMA_UNKNOWN, NULL, "known",
                           strm_ref_valid(ref, ref_len)
                           ? "no such schema in the registry"
                           : "a schema ref is handle/name/version");
    }

    ev->schema = s;

    if (len == 0) {
        return strm_reject(rej, STRM_E_EMPTY_BODY, NULL, "required",
                           "the request has no event in its body");
    }

    if (ser == STRM_SER_AVRO_BINARY) {
        if (s->avro == NULL) {
            return strm_reject(rej, STRM_E_MEDIA_TYPE, NULL, "serialization",
                               "this schema is a JSON Schema: send "
                               "application/json");
        }

        if (strm_event_bin_path && s->json == NULL
            && strm_event_bin(reg, s, body, len, ev) == STRM_OK)
        {
            return STRM_OK;
        }

        rc = strm_avro_decode(s->avro, body, len, &ev->event, rej);
        if (rc != STRM_OK) {
            ev->event = NULL;
            strm_event_json_hint(body, len, rc, rej);
            return rc;
        }

    } else {
        if (strm_event_text_path && s->avro != NULL && s->json == NULL
            && strm_event_text(reg, s, body, len, ev) == STRM_OK)
        {
            return STRM_OK;
        }

        rc = strm_event_json(s, body, len, ev, rej);
        if (rc != STRM_OK) {
            return rc;
        }
    }

    if (s->avro != NULL && s->json != NULL && ser == STRM_SER_AVRO_BINARY) {
        rc = strm_json_schema_check(s->json, ev->event, rej);
        if (rc != STRM_OK) {
            ev_json = ev->event;
            ev->event = NULL;
            json_decref(ev_json);
            return rc;
        }
    }

    rc = strm_event_meta(reg, ev, rej);
    if (rc != STRM_OK) {
        return rc;
    }

    /* the key field looked up once: the contract's check asks for it */
    rc = strm_event_get(ev, ev->contract->key_field, 0, &ev->key);
    if (rc != STRM_OK) {
        return rc;
    }

    return strm_contract_check_by(ev->contract, strm_event_get, ev, rej);
}


/*
 * What strm_json_path() finds in the event's plain JSON: in the tree,
 * or worked out from the JSON event and its schema when there is no
 * tree.  *v is a new reference, or NULL.
 */
static strm_rc_t
strm_event_get(void *data, const char *path, int shallow, json_t **v)
{
    strm_event_t  *ev;

    ev = data;

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

    if (ev->text != NULL) {
        return strm_event_text_get(ev, path, v);
    }

    if (ev->in != NULL) {
        return strm_avro_value(ev->schema->avro, ev->in, path, shallow, v);
    }

    *v = json_incref(strm_json_path(ev->event, path));

    return STRM_OK;
}


/*
 * The everyday JSON event without a tree: the text checked against the
 * schema as it is (strm_avro_text_check()), strmMeta's and the
 * contract's fields read where they are in it.  Only an event that
 * passes everything goes this way; anything else (STRM_E_NOT_FOUND)
 * leaves ev as it was and goes the tree's way, which decides and names
 * the refusal.
 */
static strm_rc_t
strm_event_text(const strm_registry_t *reg, const strm_schema_t *s,
    const unsigned char *body, size_t len, strm_event_t *ev)
{
    int                    m;
    size_t                 n, k;
    int64_t                l;
    strm_rc_t              rc;
    strm_reject_t          rej;
    strm_avro_notes_t     *notes;
    const unsigned char   *v, *vend, *meta, *mend;
    const strm_contract_t *c;

    notes = &strm_event_notes;

    /* the notes before are gone whatever the check says */
    if (++strm_event_notes_n == 0) {
        strm_event_notes_n = 1;
    }

    if (strm_avro_text_check_notes(s->avro, body, len, notes) != STRM_OK) {
        return STRM_E_NOT_FOUND;
    }

    /* strmMeta as strm_event_meta_check() takes it, and nothing else:
     * where the check found it, or found again */
    m = strm_avro_text_member(notes, -1, "strmMeta", 8);

    if (m >= 0) {
        meta = notes->note[m].v;
        mend = notes->note[m].vend;

    } else if (!strm_json_plain_path(body, len, "strmMeta", &meta, &mend)) {
        return STRM_E_NOT_FOUND;
    }

    if (*meta != '{'
        || !strm_event_text_in(notes, m, meta, mend, "consentLevels", 13,
                               &v, &vend)
        || *v++ != '[')
    {
        return STRM_E_NOT_FOUND;
    }

    for (n = 0; /* void */; n++) {
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'
               || (*v == ',' && n > 0))
        {
            v++;
        }

        if (*v == ']') {
            break;
        }

        k = strm_json_plain_integer(v, vend, &l);

        if (k == 0 || n == STRM_EVENT_MAX_LEVELS || l < 0
            || l > STRM_EVENT_MAX_LEVEL)
        {
            return STRM_E_NOT_FOUND;
        }

        ev->levels[n] = (int) l;
        v += k - 1;
    }

    if (!strm_event_text_in(notes, m, meta, mend, "eventContractRef", 16,
                            &v, &vend)
        || *v != '"')
    {
        return STRM_E_NOT_FOUND;
    }

    c = strm_registry_contract(reg, (const char *) v + 1, vend - v - 2);

    if (c == NULL || strm_registry_fit(s, c) != STRM_FIT_OK) {
        return STRM_E_NOT_FOUND;
    }

    ev->text = body;
    ev->text_len = len;
    ev->contract = c;
    ev->notes = strm_event_notes_n;

    /*
     * The key field, then the contract's rules: a string's bytes where
     * the text has them (its strings are plain: they are the value), no
     * copy made; anything else as strm_event_text_get() finds it
     */
    if (strm_avro_text_at(notes, c->key_field, &v, &vend) && *v == '"') {
        ev->key_text = (const char *) v + 1;
        ev->key_len = vend - v - 2;
        rc = strm_contract_check_key(c, ev->key_text, ev->key_len,
                                     strm_event_get, ev, &rej);

    } else {
        rc = strm_event_text_get(ev, c->key_field, &ev->key);

        if (rc == STRM_OK) {
            rc = strm_contract_check_by(c, strm_event_get, ev, &rej);
        }
    }

    if (rc != STRM_OK) {
        json_decref(ev->key);
        ev->key = NULL;
        ev->key_text = NULL;
        ev->key_len = 0;
        ev->text = NULL;
        ev->text_len = 0;
        ev->contract = NULL;
        ev->notes = 0;

        return STRM_E_NOT_FOUND;
    }

    strm_event_consent(ev, n);

    return STRM_OK;
}


/* a member of strmMeta (note m, or -1), where the check found it */
static int
strm_event_text_in(const strm_avro_notes_t *notes, int m,
    const unsigned char *meta, const unsigned char *mend, const char *name,
    size_t len, const unsigned char **v, const unsigned char **vend)
{
    int  k;

    k = (m >= 0) ? strm_avro_text_member(notes, m, name, len) : -1;

    if (k >= 0) {
        *v = notes->note[k].v;
        *vend = notes->note[k].vend;
        return 1;
    }

    return strm_json_plain_path(meta, mend - meta, name, v, vend);
}


/*
 * A string or null where the text has it; a field the text lacks (a
 * default, or nothing) as the tree's way finds it, from a tree of the
 * text made for the rare event whose contract names an absent field;
 * anything else: not sure.
 */
static strm_rc_t
strm_event_text_get(strm_event_t *ev, const char *path, json_t **v)
{
    json_t                   *in;
    strm_rc_t                 rc;
    const unsigned char      *p, *end;
    const strm_avro_notes_t  *notes;

    *v = NULL;

    notes = strm_event_notes_of(ev);

    if ((notes == NULL || !strm_avro_text_at(notes, path, &p, &end))
        && !strm_json_plain_path(ev->text, ev->text_len, path, &p, &end))
    {
        in = strm_json_parse_object(ev->text, ev->text_len,
                                    STRM_AVRO_MAX_DEPTH);
        if (in == NULL) {
            return STRM_E_NOT_FOUND;
        }

        rc = strm_avro_value(ev->schema->avro, in, path, 0, v);
        json_decref(in);

        return rc;
    }

    if (*p == '"') {
        *v = json_stringn_nocheck((const char *) p + 1, end - p - 2);
        return (*v != NULL) ? STRM_OK : STRM_E_NOMEM;
    }

    if (*p == 'n') {
        *v = json_null();
        return STRM_OK;
    }

    return STRM_E_NOT_FOUND;
}


/*
 * A body refused as Avro binary that starts like a JSON object ('{'
 * after optional whitespace) was most likely JSON sent without
 * "Content-Type: application/json": the Avro error alone ("a negative
 * length", '{' being -62 as a zigzag varint) would give no hint.
 */
static void
strm_event_json_hint(const unsigned char *body, size_t len, strm_rc_t rc,
    strm_reject_t *rej)
{
    size_t  i;
    char    avro[sizeof(rej->detail)];

    if (rej == NULL || rc != STRM_E_INVALID_AVRO) {
        return;
    }

    for (i = 0; i < len; i++) {
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r'
            && body[i] != '\n')
        {
            break;
        }
    }

    if (i == len || body[i] != '{') {
        return;
    }

    /* the hint first: a long Avro detail is what gets cut */
    memcpy(avro, rej->detail, sizeof(avro));
    avro[sizeof(avro) - 1] = '\0';

    snprintf(rej->detail, sizeof(rej->detail),
             "the body looks like JSON: send Content-Type: application/json "
             "(read as Avro binary: %.150s)", avro);
}


/*
 * JSON text: parsed (valid UTF-8, no duplicate members, one object and
 * nothing after it), then checked against the Avro schema and the JSON
 * Schema, whichever the ref has.  Against an Avro schema alone the
 * event is kept as parsed (ev->in: plain JSON or Avro-JSON), and its
 * plain JSON is written from it by strm_avro_write(); with a JSON
 * Schema too, that one checks the plain tree, which is built
 * (ev->event).  ev is set only when every check passed.
 */
static strm_rc_t
strm_event_json(const strm_schema_t *s, const unsigned char *body,
    size_t len, strm_event_t *ev, strm_reject_t *rej)
{
    json_t        *in, *plain;
    strm_rc_t      rc;
    json_error_t   err;

    /*
     * The everyday event in one pass (no deeper than the limit below);
     * anything it declines, valid or not, goes to jansson, whose answer
     * (and refusal, with its position) stands.
     */
    in = strm_json_parse_object(body, len, STRM_AVRO_MAX_DEPTH);

    if (in != NULL) {
        goto parsed;
    }

    /* a NUL in a string is valid JSON, and valid in Avro strings too */
    in = json_loadb((const char *) body, len,
                    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

    if (in == NULL) {
        switch (json_error_code(&err)) {

        case json_error_invalid_utf8:
            return strm_reject(rej, STRM_E_INVALID_JSON, NULL, "utf8",
                               "invalid UTF-8 at byte %d", err.position);

        case json_error_stack_overflow:
            return strm_reject(rej, STRM_E_TOO_DEEP, NULL, "depth",
                               "the event nests deeper than %d levels",
                               STRM_AVRO_MAX_DEPTH);

        case json_error_out_of_memory:
            return STRM_E_NOMEM;

        case json_error_duplicate_key:
            return strm_reject(rej, STRM_E_INVALID_JSON, NULL, "duplicate",
                               "a member name appears twice at byte %d",
                               err.position);

        default:
            /* jansson's text may quote the input: keep the position */
            return strm_reject(rej, STRM_E_INVALID_JSON, NULL, "syntax",
                               "malformed JSON at line %d column %d",
                               err.line, err.column);
        }
    }

    if (!json_is_object(in)) {
        json_decref(in);
        return strm_reject(rej, STRM_E_INVALID_JSON, NULL, "type",
                           "the event must be a JSON object");
    }

    /*
     * jansson stops at 2048 levels; members a JSON Schema leaves free
     * are not walked by the checks, so the limit is applied here.
     */
    if (strm_event_depth(in, 1) != 0) {
        json_decref(in);
        return strm_reject(rej, STRM_E_TOO_DEEP, NULL, "depth",
                           "the event nests deeper than %d levels",
                           STRM_AVRO_MAX_DEPTH);
    }

parsed:

    if (s->avro != NULL && s->json == NULL) {
        rc = strm_avro_check_json(s->avro, in, NULL, rej);
        if (rc != STRM_OK) {
            json_decref(in);
            return rc;
        }

        ev->in = in;

        return STRM_OK;
    }

    if (s->avro != NULL) {
        rc = strm_avro_check_json(s->avro, in, &plain, rej);
        json_decref(in);

        if (rc != STRM_OK) {
            return rc;
        }

        in = plain;
    }

    rc = strm_json_schema_check(s->json, in, rej);
    if (rc != STRM_OK) {
        json_decref(in);
        return rc;
    }

    ev->event = in;

    return STRM_OK;
}


/*
 * strmMeta as the producer sets it: eventContractRef names a contract
 * of the registry, consentLevels is a list of small integers (empty:
 * no consent at all, which is allowed).
 */
static strm_rc_t
strm_event_meta(const strm_registry_t *reg, strm_event_t *ev,
    strm_reject_t *rej)
{
    strm_rc_t   rc;
    json_t     *meta, *levels, *ref;

    meta = NULL;
    levels = NULL;
    ref = NULL;

    rc = strm_event_get(ev, "strmMeta", 1, &meta);

    if (rc == STRM_OK && json_is_object(meta)) {
        rc = strm_event_get(ev, "strmMeta/consentLevels", 0, &levels);
    }

    if (rc == STRM_OK && json_is_array(levels)) {
        rc = strm_event_get(ev, "strmMeta/eventContractRef", 0, &ref);
    }

    if (rc == STRM_OK) {
        rc = strm_event_meta_check(reg, ev, meta, levels, ref, rej);
    }

    json_decref(meta);
    json_decref(levels);
    json_decref(ref);

    return rc;
}


static strm_rc_t
strm_event_meta_check(const strm_registry_t *reg, strm_event_t *ev,
    json_t *meta, json_t *levels, json_t *ref, strm_reject_t *rej)
{
    size_t       i, n, ref_len;
    json_t      *v;
    const char  *s;

    if (meta == NULL || json_is_null(meta)) {
        return strm_reject(rej, STRM_E_STRM_META, "strmMeta", "required",
                           "every event needs strmMeta");
    }

    if (!json_is_object(meta)) {
        return strm_reject(rej, STRM_E_STRM_META, "strmMeta", "type",
                           "strmMeta must be an object");
    }

    if (levels == NULL || json_is_null(levels)) {
        return strm_reject(rej, STRM_E_STRM_META, "strmMeta/consentLevels",
                           "required", "consentLevels is required");
    }

    if (!json_is_array(levels)) {
        return strm_reject(rej, STRM_E_STRM_META, "strmMeta/consentLevels",
                           "type", "consentLevels must be a list of integers");
    }

    n = json_array_size(levels);

    if (n > STRM_EVENT_MAX_LEVELS) {
        return strm_reject(rej, STRM_E_STRM_META, "strmMeta/consentLevels",
                           "maxItems", "at most %d consent levels",
                           STRM_EVENT_MAX_LEVELS);
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(levels, i);

        if (!json_is_integer(v)) {
            return strm_reject(rej, STRM_E_STRM_META,
                               "strmMeta/consentLevels", "type",
                               "consentLevels must be a list of integers");
        }

        if (json_integer_value(v) < 0
            || json_integer_value(v) > STRM_EVENT_MAX_LEVEL)
        {
            return strm_reject(rej, STRM_E_STRM_META,
                               "strmMeta/consentLevels", "range",
                               "a consent level is an integer from 0 to %d",
                               STRM_EVENT_MAX_LEVEL);
        }

        ev->levels[i] = (int) json_integer_value(v);
    }

    strm_event_consent(ev, n);

    if (ref == NULL || json_is_null(ref)) {
        return strm_reject(rej, STRM_E_STRM_META,
                           "strmMeta/eventContractRef", "required",
                           "eventContractRef names the event contract");
    }

    if (!json_is_string(ref)) {
        return strm_reject(rej, STRM_E_STRM_META,
                           "strmMeta/eventContractRef", "type",
                           "eventContractRef must be a string");
    }

    s = json_string_value(ref);
    ref_len = json_string_length(ref);

    ev->contract = strm_registry_contract(reg, s, ref_len);

    if (ev->contract == NULL) {
        return strm_reject(rej, STRM_E_CONTRACT_UNKNOWN,
                           "strmMeta/eventContractRef", "known",
                           strm_ref_valid(s, ref_len)
                           ? "no such event contract in the registry"
                           : "a contract ref is handle/name/version");
    }

    /*
     * The contract says which fields are PII: one written for another
     * schema would leave this event's PII in clear.  It must name
     * fields of this schema only and, when the schema has a contract
     * of its own, protect at least the PII fields that one names
     * (worked out for every pair when the registry loads).
     */
    switch (strm_registry_fit(ev->schema, ev->contract)) {

    case STRM_FIT_OK:
        break;

    case STRM_FIT_FIELDS:
        ev->contract = NULL;
        return strm_reject(rej, STRM_E_CONTRACT_MISMATCH,
                           "strmMeta/eventContractRef", "schema",
                           "the contract names fields the schema of the "
                           "event does not have");

    default: /* STRM_FIT_PII */
        ev->contract = NULL;
        return strm_reject(rej, STRM_E_CONTRACT_MISMATCH,
                           "strmMeta/eventContractRef", "piiFields",
                           "the contract leaves a PII field of the "
                           "schema's own contract unprotected");
    }

    return STRM_OK;
}


/* the n levels in ev->levels sorted, made distinct, and as text */
void
strm_event_consent(strm_event_t *ev, size_t n)
{
    int      l, last;
    char    *p;
    size_t   i, j;

    /* sorted by insertion: a few levels, most often in order already */
    for (i = 1; i < n; i++) {
        l = ev->levels[i];

        for (j = i; j > 0 && ev->levels[j - 1] > l; j--) {
            ev->levels[j] = ev->levels[j - 1];
        }

        ev->levels[j] = l;
    }

    p = ev->consent;
    last = -1;
    ev->nlevels = 0;

    for (i = 0; i < n; i++) {
        l = ev->levels[i];

        if (l == last) {
            continue;
        }

        ev->levels[ev->nlevels++] = l;
        last = l;

        if (p != ev->consent) {
            *p++ = ',';
        }

        /* at most 4 digits and a comma per level: the buffer holds 64 */
        p = strm_event_decimal(p, l);
    }

    *p = '\0';
}


/* -1 when v nests deeper than STRM_AVRO_MAX_DEPTH, counting from depth */
static int
strm_event_depth(const json_t *v, int depth)
{
    size_t       i;
    json_t      *m;
    const char  *k;

    if (!json_is_object(v) && !json_is_array(v)) {
        return 0;
    }

    if (depth > STRM_AVRO_MAX_DEPTH) {
        return -1;
    }

    if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            if (strm_event_depth(m, depth + 1) != 0) {
                return -1;
            }
        }

        return 0;
    }

    json_object_foreach((json_t *) v, k, m) {
        if (strm_event_depth(m, depth + 1) != 0) {
            return -1;
        }
    }

    return 0;
}


/* a level (0 to STRM_EVENT_MAX_LEVEL) in decimal at p; returns its end */
static char *
strm_event_decimal(char *p, int l)
{
    char  *q, tmp[8];

    q = tmp + sizeof(tmp);

    do {
        *--q = (char) ('0' + l % 10);
        l /= 10;
    } while (l > 0);

    while (q < tmp + sizeof(tmp)) {
        *p++ = *q++;
    }

    return p;
}


const char *
strm_event_key(const strm_event_t *ev, size_t *len)
{
    if (ev->key == NULL && ev->key_text != NULL) {
        *len = ev->key_len;
        return ev->key_text;
    }

    if (!json_is_string(ev->key)) {
        return NULL;
    }

    *len = json_string_length(ev->key);

    return json_string_value(ev->key);
}


/*
 * The event's one pass out: the JSON event written from its parse
 * against the schema (strm_avro_write()), or the tree written as it is
 * (a decoded Avro datum, a JSON Schema's event), strmMeta stamped and
 * the contract's fields encrypted on the way (strm_jw.h).
 */
strm_rc_t
strm_event_write(strm_event_t *ev, int64_t now_ms, int32_t nonce,
    const char *key_link, strm_tink_keyset_t *daead, size_t *n)
{
    size_t                  i, k;
    strm_rc_t               rc;
    strm_jw_t               w;
    strm_jw_obj_t           root;
    strm_jw_hook_t          hooks[STRM_EVENT_HOOKS], *heap;
    const strm_contract_t  *c;

    *n = 0;
    c = ev->contract;

    if (c == NULL
        || (ev->text == NULL && ev->in == NULL && ev->bin == NULL
            && !json_is_object(ev->event)))
    {
        return STRM_E_INTERNAL;
    }

    free(ev->json);
    ev->json = NULL;
    ev->len = 0;
    ev->json_size = 0;

    if (strm_event_spare != NULL) {
        strm_jw_init_buf(&w, strm_event_spare, strm_event_spare_size);
        strm_event_spare = NULL;

    } else if (strm_jw_init(&w, 1024) != 0) {
        return STRM_E_NOMEM;
    }

    w.stamp = 1;
    w.ts = now_ms;
    w.nonce = nonce;
    w.link = key_link;

    /* the PII fields in the contract's order, then the key field */
    heap = NULL;
    w.hooks = hooks;

    if (daead != NULL) {
        if (c->npii + 1 > STRM_EVENT_HOOKS) {
            heap = malloc((c->npii + 1) * sizeof(strm_jw_hook_t));
            if (heap == NULL) {
                strm_jw_free(&w);
                return STRM_E_NOMEM;
            }

            w.hooks = heap;
        }

        /* the paths' lengths and the key field's place: from the load */
        for (i = 0; i < c->npii; i++) {
            w.hooks[i].path = c->pii[i].path;
            w.hooks[i].len = c->pii[i].len;
        }

        k = c->npii;

        /* the key field ties a journey together: never in clear either */
        if (!c->key_is_pii) {
            w.hooks[k].path = c->key_field;
            w.hooks[k].len = c->key_field_len;
            k++;
        }

        w.nhooks = k;
        w.daead = daead;
    }

    if (ev->text != NULL) {
        rc = strm_avro_text_write_notes(ev->schema->avro, ev->text,
                                        ev->text_len, strm_event_notes_of(ev),
                                        &w);

    } else if (ev->in != NULL) {
        rc = strm_avro_write(ev->schema->avro, ev->in, &w);

    } else if (ev->bin != NULL) {
        rc = strm_avro_bin_write(strm_avro_bin_of(ev->schema->avro),
                                 ev->bin, ev->bin_len, ev->bin_plain, &w);

    } else {
        strm_jw_root(&w, &root);
        rc = (strm_jw_tree(&w, ev->event, &root, NULL, NULL) == 0)
             ? STRM_OK : w.rc;
    }

    if (rc == STRM_OK && strm_jw_put(&w, "", 1) != 0) {
        rc = w.rc;
    }

    free(heap);

    if (rc != STRM_OK) {
        strm_jw_free(&w);
        return rc;
    }

    *n = w.nenc;
    ev->json = w.data;
    ev->len = w.len - 1;
    ev->json_size = w.size;

    return STRM_OK;
}


void
strm_event_json_reuse(char *json, size_t size)
{
    /* the writer's first size, or grown for a larger event */
    if (json != NULL && strm_event_spare == NULL && size >= 1024
        && size <= 65536)
    {
        strm_event_spare = json;
        strm_event_spare_size = size;
        return;
    }

    free(json);

    if (json == NULL) {
        free(strm_event_spare);
        strm_event_spare = NULL;
    }
}


strm_rc_t
strm_event_decrypt_value(strm_tink_keyset_t *daead, const char *path,
    const char *b64, size_t len, unsigned char **out, size_t *outlen)
{
    size_t          clen;
    strm_rc_t       rc;
    unsigned char  *ct, *pt;

    ct = malloc(strm_b64_decoded_len(len) + 1);
    if (ct == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_b64_decode(ct, &clen, (const unsigned char *) b64, len);
    if (rc != STRM_OK) {
        free(ct);
        return rc;
    }

    pt = malloc(clen + 1);
    if (pt == NULL) {
        free(ct);
        return STRM_E_NOMEM;
    }

    rc = strm_tink_decrypt(daead, (const unsigned char *) path, strlen(path),
                           ct, clen, pt, outlen);
    free(ct);

    if (rc != STRM_OK) {
        free(pt);
        return rc;
    }

    *out = pt;

    return STRM_OK;
}


/*
 * Written here rather than by json_dumps(): jansson decodes every
 * string again, code point by code point, and hands each piece to a
 * callback; strm_jw copies a string in runs of bytes that need no
 * escape.
 */
char *
strm_event_dumps(const json_t *v, size_t *len)
{
    strm_jw_t      w;
    strm_jw_obj_t  none;

    if (strm_jw_init(&w, 256) != 0) {
        return NULL;
    }

    strm_jw_none(&none);

    if (strm_jw_tree(&w, v, &none, NULL, NULL) != 0
        || strm_jw_put(&w, "", 1) != 0)
    {
        free(w.data);
        return NULL;
    }

    *len = w.len - 1;

    return w.data;
}


char *
strm_event_dead_letter(const strm_event_t *ev, strm_rc_t rc,
    const strm_reject_t *rej, const char *schema_ref, size_t ref_len,
    const char *client_id, const char *event_id, int64_t now_ms,
    size_t *len)
{
    char                  *out;
    json_t                *dl, *event, *in;
    strm_reject_t          chk;
    const strm_error_t    *e;
    const strm_contract_t *c, *own;

    e = strm_error_get(rc);

    event = NULL;
    c = (ev != NULL) ? ev->contract : NULL;
    own = (ev != NULL && ev->schema != NULL) ? ev->schema->contract : NULL;

    /* only an event that got as far as its contract's rules is kept */
    if (c != NULL && ev->text != NULL) {
        /* the text's way takes no refused event: this is for safety */
        in = json_loadb((const char *) ev->text, ev->text_len,
                        JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);

        if (in == NULL
            || strm_avro_check_json(ev->schema->avro, in, &event, &chk)
               != STRM_OK)
        {
            json_decref(in);
            return NULL;
        }

        json_decref(in);

    } else if (c != NULL && ev->bin != NULL) {
        /* the binary way takes no refused event either: the tree */
        if (strm_avro_decode(ev->schema->avro, ev->bin, ev->bin_len, &event,
                             &chk)
            != STRM_OK)
        {
            return NULL;
        }

    } else if (c != NULL && ev->in != NULL) {
        /* the plain JSON, built here for the rare refused event */
        if (strm_avro_check_json(ev->schema->avro, ev->in, &event, &chk)
            != STRM_OK)
        {
            return NULL;
        }

    } else if (c != NULL && ev->event != NULL) {
        event = json_deep_copy(ev->event);
        if (event == NULL) {
            return NULL;
        }
    }

    if (event != NULL) {
        if (strm_event_strip(event, c) != 0
            || (own != NULL && strm_event_strip(event, own) != 0))
        {
            json_decref(event);
            return NULL;
        }
    }

    dl = json_pack("{s:o, s:o, s:o, s:o, s:I, s:s, s:s, s:o, s:o, s:o}",
                   "eventId", strm_event_strn(event_id,
                                              event_id ? 36 : 0),
                   "schemaRef", strm_event_strn(schema_ref, ref_len),
                   "contractRef", c ? json_string(c->ref) : json_null(),
                   "clientId", strm_event_strn(client_id, client_id
                                               ? strlen(client_id) : 0),
                   "timestamp", (json_int_t) now_ms,
                   "error", e->message,
                   "code", e->code,
                   "field", strm_event_strn(rej ? rej->field : NULL,
                                          rej ? strlen(rej->field) : 0),
                   "rule", strm_event_strn(rej ? rej->rule : NULL,
                                          rej ? strlen(rej->rule) : 0),
                   "event", event ? event : json_null());
    if (dl == NULL) {
        return NULL;
    }

    out = json_dumps(dl, JSON_COMPACT);
    json_decref(dl);

    if (out != NULL) {
        *len = strlen(out);
    }

    return out;
}


char *
strm_event_reject_json(strm_rc_t rc, const strm_reject_t *rej,
    const char *schema_ref, size_t ref_len, size_t *len)
{
    char                *out;
    json_t              *j;
    const strm_error_t  *e;

    e = strm_error_get(rc);

    j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
                  "error", e->message,
                  "code", e->code,
                  "field", strm_event_strn(rej ? rej->field : NULL,
                                          rej ? strlen(rej->field) : 0),
                  "rule", strm_event_strn(rej ? rej->rule : NULL,
                                          rej ? strlen(rej->rule) : 0),
                  "detail", strm_event_strn(rej ? rej->detail : NULL,
                                          rej ? strlen(rej->detail) : 0),
                  "schemaRef", strm_event_strn(schema_ref, ref_len));
    if (j == NULL) {
        return NULL;
    }

    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (out != NULL) {
        *len = strlen(out);
    }

    return out;
}


/* a string that may be absent, or not valid UTF-8 (a header): null then */
static json_t *
strm_event_strn(const char *s, size_t len)
{
    json_t  *v;

    if (s == NULL || len == 0) {
        return json_null();
    }

    v = json_stringn(s, len);

    return (v != NULL) ? v : json_null();
}


/* the contract's PII fields and key field out of the event */
static int
strm_event_strip(json_t *event, const strm_contract_t *c)
{
    size_t  i;

    for (i = 0; i < c->npii; i++) {
        if (strm_event_del_path(event, c->pii[i].path) != 0) {
            return -1;
        }
    }

    return strm_event_del_path(event, c->key_field);
}


/* 0, or -1 when the path could not be looked at (out of memory) */
static int
strm_event_del_path(json_t *root, const char *path)
{
    char        *prefix;
    json_t      *parent;
    const char  *slash;

    slash = strrchr(path, '/');

    if (slash == NULL) {
        json_object_del(root, path);
        return 0;
    }

    prefix = strndup(path, slash - path);
    if (prefix == NULL) {
        return -1;
    }

    parent = strm_json_path(root, prefix);
    free(prefix);

    if (json_is_object(parent)) {
        json_object_del(parent, slash + 1);
    }

    return 0;
}


void
strm_event_free(strm_event_t *ev)
{
    json_decref(ev->event);
    ev->event = NULL;

    json_decref(ev->in);
    ev->in = NULL;

    ev->text = NULL;
    ev->text_len = 0;

    ev->bin = NULL;
    ev->bin_len = 0;
    ev->bin_plain = 0;

    json_decref(ev->key);
    ev->key = NULL;
    ev->key_text = NULL;
    ev->key_len = 0;

    free(ev->json);
    ev->json = NULL;
    ev->json_size = 0;
    ev->len = 0;
}
