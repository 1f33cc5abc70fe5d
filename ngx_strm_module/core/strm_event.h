
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_EVENT_H_INCLUDED_
#define _STRM_EVENT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strm_error.h"
#include "strm_registry.h"
#include "strm_tink.h"


/*
 * One event on its way from the request body to Kafka, nginx-free so
 * that the fuzz target and the workers run the same path:
 *
 *   strm_event_parse()      the schema of the header's ref; the body
 *                           decoded (Avro binary) or parsed (JSON) and
 *                           checked against it; strmMeta checked; the
 *                           contract of strmMeta.eventContractRef found
 *                           and its rules applied
 *   strm_event_write()      the compact JSON that goes to Kafka, in one
 *                           pass: strmMeta stamped (timestamp, nonce,
 *                           keyLink), the contract's fields encrypted
 */

#define STRM_EVENT_MAX_LEVELS    64
#define STRM_EVENT_MAX_LEVEL     1000
#define STRM_EVENT_CONSENT_SIZE  (STRM_EVENT_MAX_LEVELS * 5 + 1)

/* a contract's fields to encrypt up to this are listed on the stack */
#define STRM_EVENT_HOOKS         16


typedef enum {
    STRM_SER_AVRO_BINARY = 0,
    STRM_SER_JSON
} strm_ser_e;


typedef struct {
    const strm_schema_t    *schema;
    const strm_contract_t  *contract;
    /*
     * The event, owned: a JSON event checked against its Avro schema
     * as it was parsed (in), its plain JSON written from it by
     * strm_event_write(); or the plain JSON as a tree (event: an Avro
     * datum decoded, an event of a JSON Schema).  One of the two.
     */
    json_t                 *in;
    json_t                 *event;
    /*
     * Or, the everyday JSON event, no tree at all: the body itself,
     * which strm_avro_text_check() took (not owned: the caller keeps
     * the body until strm_event_free()).
     */
    const unsigned char    *text;
    size_t                  text_len;
    /*
     * Or, an Avro binary event the same way (strm_avro_bin.h): the
     * body, which strm_avro_bin_check() took (not owned either).
     */
    const unsigned char    *bin;
    size_t                  bin_len;
    unsigned                bin_plain;      /* no string to escape */
    json_t                 *key;            /* the key field's value */
    /* or, with text, a string's bytes in it (not owned) */
    const char             *key_text;
    size_t                  key_len;

    /* sorted distinct consent levels, and as text: "0,1,3" */
    int                     levels[STRM_EVENT_MAX_LEVELS];
    size_t                  nlevels;
    char                    consent[STRM_EVENT_CONSENT_SIZE];

    char                   *json;           /* serialized, malloc()ed */
    size_t                  len;
    size_t                  json_size;      /* json's allocation */

    /*
     * With text: which check of its thread noted where its fields are
     * (strm_avro_text_check_notes()); the thread keeps the notes of
     * its last check only, so an event checked before another is
     * written by walking its text
     */
    unsigned                notes;
} strm_event_t;


/*
 * Everything a request can break, in this order: the ref
 * (STRM_E_SCHEMA_REF_MISSING when len is 0, STRM_E_SCHEMA_UNKNOWN), the
 * serialization (STRM_E_MEDIA_TYPE: Avro binary for a JSON Schema), the
 * body (STRM_E_INVALID_AVRO, STRM_E_INVALID_JSON, STRM_E_TOO_DEEP), the
 * schema (STRM_E_SCHEMA_VIOLATION), strmMeta (STRM_E_STRM_META,
 * STRM_E_CONTRACT_UNKNOWN) and the contract (STRM_E_KEY_EMPTY,
 * STRM_E_VALIDATION).  rej names the field and the rule, never a value.
 * ev is filled as far as parsing got; strm_event_free() it always.
 */
/*
 * A JSON event of an Avro schema goes the text's way (ev->text: no
 * tree, strm_avro_text_check()) when that path is sure of it and it
 * passes every check; any other event, and every refusal, the tree's
 * way.  Tests set this to 0 to send every event the tree's way.
 */
extern int strm_event_text_path;

/*
 * An Avro binary event of an Avro schema goes the binary way (ev->bin,
 * strm_event_bin(): no tree) when that way is sure of it and it passes
 * every check; any other, and every refusal, the tree's way.  Tests
 * set this to 0 to send every one the tree's way.
 */
extern int strm_event_bin_path;

/*
 * The binary way (strm_event_bin.c): STRM_OK with ev filled as the
 * tree's way fills it, or STRM_E_NOT_FOUND ("not sure") with ev as it
 * was.
 */
strm_rc_t strm_event_bin(const strm_registry_t *reg, const strm_schema_t *s,
    const unsigned char *body, size_t len, strm_event_t *ev);

/* the n levels in ev->levels sorted, made distinct, and as text */
void strm_event_consent(strm_event_t *ev, size_t n);

strm_rc_t strm_event_parse(const strm_registry_t *reg, const char *ref,
    size_t ref_len, strm_ser_e ser, const unsigned char *body, size_t len,
    strm_event_t *ev, strm_reject_t *rej);

/* the key field's value (a non-empty string after a successful parse) */
const char *strm_event_key(const strm_event_t *ev, size_t *len);

/*
 * ev->json and ev->len: the event's compact JSON, members in schema
 * order, byte for byte what json_dumps(JSON_COMPACT) gives of its plain
 * JSON after these changes, in this order:
 *
 *   - strmMeta.timestamp (epoch ms), strmMeta.nonce and
 *     strmMeta.keyLink (a 36-character UUID, or null when key_link is
 *     NULL) set, as json_object_set() sets them;
 *   - unless daead is NULL, every PII field the contract names, then
 *     its key field, replaced by the base64 of its Tink deterministic
 *     ciphertext under daead, with the field path as associated data:
 *     a string is encrypted as its bytes, any other value as its
 *     compact JSON text.  Absent and null fields stay as they are.  *n
 *     gets the count of fields encrypted.
 *
 * All of it in one pass over the event (strm_jw.h), no tree built.
 */
strm_rc_t strm_event_write(strm_event_t *ev, int64_t now_ms, int32_t nonce,
    const char *key_link, strm_tink_keyset_t *daead, size_t *n);

/*
 * A JSON strm_event_write() wrote (ev->json, ev->json_size), given back
 * once its bytes are copied out: the thread's next strm_event_write()
 * writes into it instead of allocating a buffer.  The thread keeps one
 * (another is freed); json NULL frees the one kept.
 */
void strm_event_json_reuse(char *json, size_t size);

/*
 * One encrypted field back: the plaintext bytes (malloc()ed, free with
 * strm_tink_secret_free()) of the base64 ciphertext b64 at path.
 */
strm_rc_t strm_event_decrypt_value(strm_tink_keyset_t *daead,
    const char *path, const char *b64, size_t len, unsigned char **out,
    size_t *outlen);

/*
 * Any JSON value as compact text (malloc()ed, NUL-terminated, *len
 * without the NUL), byte for byte what json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) gives, in a fraction of its instructions.
 */
char *strm_event_dumps(const json_t *v, size_t *len);

/*
 * A dead letter for a refused event, as malloc()ed compact JSON:
 *
 *   {"eventId", "schemaRef", "contractRef", "clientId", "timestamp",
 *    "error", "code", "field", "rule", "event"}
 *
 * "event" is the event with the PII fields and key fields of its
 * contract (and of its schema's own contract) removed, when the event
 * got as far as its contract's rules: it decoded, matched its schema,
 * and named a contract that fits the schema; null otherwise, because
 * then nothing tells which of its bytes are PII.  Absent strings are
 * null.
 */
char *strm_event_dead_letter(const strm_event_t *ev, strm_rc_t rc,
    const strm_reject_t *rej, const char *schema_ref, size_t ref_len,
    const char *client_id, const char *event_id, int64_t now_ms,
    size_t *len);

/*
 * The answer body of a refused event, malloc()ed compact JSON:
 * {"error", "code", "field", "rule", "detail", "schemaRef"}; the schema
 * ref is the header's (null when absent or not UTF-8).
 */
char *strm_event_reject_json(strm_rc_t rc, const strm_reject_t *rej,
    const char *schema_ref, size_t ref_len, size_t *len);

void strm_event_free(strm_event_t *ev);


#endif /* _STRM_EVENT_H_INCLUDED_ */
