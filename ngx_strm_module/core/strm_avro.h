
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_AVRO_H_INCLUDED_
#define _STRM_AVRO_H_INCLUDED_


#include <stddef.h>

#include <jansson.h>

#include "strm_error.h"
#include "strm_jw.h"


/*
 * Avro schemas (schema.avsc) and events: raw Avro binary (one datum, no
 * container, no magic byte) decoded into plain JSON, and JSON events
 * (plain JSON, or Avro-JSON with wrapped unions) checked against the
 * schema and normalised into the same plain JSON.  "Plain JSON" is
 * what a JSON producer sends and what goes to Kafka: a union value is
 * the bare value (null, or the branch's value), never {"branch": v}.
 *
 * Mapping of Avro types to plain JSON: null -> null, boolean -> true/
 * false, int/long -> integer, float/double -> real (an integer JSON
 * value is accepted for them), string -> string (valid UTF-8 only),
 * bytes/fixed -> string of code points 0-255 (as Avro-JSON does), enum
 * -> string symbol, array -> array, map -> object, record -> object
 * with every field (a JSON field that is absent takes the field's
 * default, or is a "required" rejection; a JSON member the record does
 * not have is an "additionalProperties" rejection).
 *
 * Nesting deeper than STRM_AVRO_MAX_DEPTH is refused ("depth"), so
 * recursive schemas and hostile input cannot exhaust the stack.
 */

#define STRM_AVRO_MAX_DEPTH  64


typedef struct strm_avro_schema_s  strm_avro_schema_t;

struct avro_obj_t;


/*
 * Compiles an Avro schema from its JSON text.  NULL on error, with the
 * reason in err.  The top level must be a record.
 */
strm_avro_schema_t *strm_avro_compile(const char *json, size_t len,
    char *err, size_t errlen);
void strm_avro_free(strm_avro_schema_t *s);

/* the record's full name (namespace.name) */
const char *strm_avro_name(const strm_avro_schema_t *s);

/*
 * Does the record have a field at this slash path ("customer/id")?
 * Returns 1 and, if type is not NULL, the Avro type name of the field
 * with a null union branch removed ("string", "int", "record", ...); 0
 * if there is no such field.  Used at configuration time to check that
 * a contract names fields its schema has.
 */
int strm_avro_has_field(const strm_avro_schema_t *s, const char *path,
    const char **type);

/*
 * One raw Avro binary datum into plain JSON.  Truncated input
 * ("truncated"), bytes left after the datum ("trailing"), invalid
 * UTF-8 in a string ("utf8"), a union or enum index out of range
 * ("union", "enum"), a negative length ("length"), too deep ("depth"):
 * STRM_E_INVALID_AVRO (STRM_E_TOO_DEEP for depth) with rej naming the
 * field path.  *out is a new reference on STRM_OK.
 */
strm_rc_t strm_avro_decode(const strm_avro_schema_t *s,
    const unsigned char *buf, size_t len, json_t **out, strm_reject_t *rej);

/*
 * A JSON event (plain or Avro-JSON) checked against the schema and
 * normalised to plain JSON: STRM_E_SCHEMA_VIOLATION naming the field
 * and the rule ("type", "required", "additionalProperties", "enum",
 * "union") on a mismatch.  *out is a new reference on STRM_OK; with
 * out NULL the event is checked only, and nothing is built (the
 * gateway's path: strm_avro_write() writes the plain JSON).
 */
strm_rc_t strm_avro_check_json(const strm_avro_schema_t *s, json_t *in,
    json_t **out, strm_reject_t *rej);

/*
 * A JSON event that strm_avro_check_json() passed, written by w as the
 * plain JSON that function builds (byte for byte what its tree gives
 * to strm_jw_tree()), without building it: records in schema order
 * with their defaults, unions on the branch the check takes, numbers
 * of float and double fields as reals.
 */
strm_rc_t strm_avro_write(const strm_avro_schema_t *s, json_t *in,
    strm_jw_t *w);

/*
 * What strm_json_path() finds at path in the plain JSON of a checked
 * event, without building the rest: *out a new reference, or NULL when
 * there is nothing there.  With shallow set a record or map comes back
 * as an empty object (for a caller asking only whether it is one).
 */
strm_rc_t strm_avro_value(const strm_avro_schema_t *s, json_t *in,
    const char *path, int shallow, json_t **out);

/*
 * The text path: a JSON event checked against the schema and written
 * from its own bytes, no tree at all, when that is sure to give what
 * the tree path gives.  strm_avro_text_check() returns STRM_OK when
 * the text is one object that strm_json_parse_object() and
 * strm_avro_check_json() would take and whose plain JSON
 * strm_avro_write() would write from the text's own tokens: members in
 * the schema's order (fields may be absent and take their defaults),
 * no member twice, none unknown; strings without escapes; integers as
 * jansson writes them; no reals, no float or double, bytes or fixed
 * field; no wrapped union; a map of at most 16 members.  Anything
 * else, valid or not, is STRM_E_NOT_FOUND ("not sure"): the caller
 * then goes the tree's way, which decides.
 *
 * strm_avro_text_write() writes text that the check took as
 * strm_avro_write() writes its tree, byte for byte.
 */
strm_rc_t strm_avro_text_check(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len);

/*
 * The check with notes: where it found the values of the top-level
 * record's members and of their records' members (the first
 * STRM_AVRO_NOTES of them), so that a caller reads a field at such a
 * path without a second scan of the text.  strm_avro_text_at() gives a
 * noted value as strm_json_plain_path() gives it (1, *v and *vend
 * around it); 0 when the notes do not have it (absent, deeper, below
 * a map or past the notes): strm_json_plain_path() then decides.
 */
#define STRM_AVRO_NOTES  32

typedef struct {
    const char           *name;         /* the field's, the schema's */
    size_t                len;
    size_t                field;        /* its index in its record */
    int                   parent;       /* the note of its record, or -1 */
    const unsigned char  *v;            /* its value in the text */
    const unsigned char  *vend;
} strm_avro_note_t;

typedef struct {
    size_t                n;
    unsigned              dropped:1;    /* a member past the notes */
    const unsigned char  *end;          /* past the top-level object */
    strm_avro_note_t      note[STRM_AVRO_NOTES];
} strm_avro_notes_t;

strm_rc_t strm_avro_text_check_notes(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len, strm_avro_notes_t *notes);
int strm_avro_text_at(const strm_avro_notes_t *notes, const char *path,
    const unsigned char **v, const unsigned char **vend);
/* the note of the member name of the record of note parent (-1: the
 * top level), or -1 */
int strm_avro_text_member(const strm_avro_notes_t *notes, int parent,
    const char *name, size_t len);
strm_rc_t strm_avro_text_write(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len, strm_jw_t *w);

/*
 * The same, with the notes of the check of that same text: the members
 * of the top-level record and of its records are written from where
 * the check found them, without reading the text again.
 */
strm_rc_t strm_avro_text_write_notes(const strm_avro_schema_t *s,
    const unsigned char *text, size_t len, const strm_avro_notes_t *notes,
    strm_jw_t *w);

/*
 * The record as avro-c compiled it (an avro_schema_t), for code that
 * walks the schema itself: the tests' encoder (t/support).
 */
struct avro_obj_t *strm_avro_root(const strm_avro_schema_t *s);


#endif /* _STRM_AVRO_H_INCLUDED_ */
