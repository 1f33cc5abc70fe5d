
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_DERIVE_H_INCLUDED_
#define _STRM_DERIVE_H_INCLUDED_


#include <stddef.h>

#include "strm_error.h"
#include "strm_keys.h"
#include "strm_registry.h"


/*
 * Derived streams (strm-decrypt): one encrypted event of the source
 * stream, as the gateway wrote it to Kafka, through one derived stream.
 * The event is kept when its consent levels hold what the stream
 * requires; in a kept event the PII fields of the stream's levels are
 * decrypted with the key of strmMeta.keyLink and every other field
 * stays as it was, byte for byte.
 *
 *   granular     the listed levels (any order, gaps allowed): an event
 *                must hold every one of them; PII of exactly these
 *                levels is decrypted
 *   cumulative   one level L: PII of levels 0..L is decrypted; an event
 *                must hold every level 0..L (max_rule 0, our rule), or
 *                its highest level must be L or more (max_rule 1, the
 *                rule of STRM's old service)
 */

#define STRM_DERIVE_MAX_LEVELS  64
#define STRM_DERIVE_MAX_LEVEL   1000


typedef enum {
    STRM_DERIVE_GRANULAR = 1,
    STRM_DERIVE_CUMULATIVE
} strm_derive_type_e;


typedef struct {
    strm_derive_type_e    type;
    int                   levels[STRM_DERIVE_MAX_LEVELS];
    size_t                nlevels;
    int                   max_rule;     /* cumulative only: 0 or 1 */
} strm_derive_spec_t;


typedef struct {
    int                   kept;         /* 0: dropped, out is NULL */
    int                   key_missing;  /* no key for the key link */
    size_t                decrypted;    /* fields decrypted */

    /*
     * PII fields left encrypted (other levels, the key missing), and
     * the key field when it is no PII field
     */
    size_t                encrypted;

    /* fields decrypted per level, levels 63 and up in the last one */
    size_t                by_level[STRM_DERIVE_MAX_LEVELS];
} strm_derive_result_t;


/* 1 when the spec decrypts PII of this level */
int strm_derive_level_in(const strm_derive_spec_t *s, int level);

/* 1 when the spec keeps an event with these n consent levels */
int strm_derive_keeps(const strm_derive_spec_t *s, const int *consent,
    size_t n);

/*
 * A spec as configured: a known type, 1 to STRM_DERIVE_MAX_LEVELS
 * levels from 0 to STRM_DERIVE_MAX_LEVEL without duplicates, exactly one
 * for a cumulative stream, max_rule 0 or 1 and only for a cumulative
 * stream.  STRM_E_BAD_REQUEST with the reason in err (err may be NULL).
 */
strm_rc_t strm_derive_check(const strm_derive_spec_t *s, char *err,
    size_t errlen);

/*
 * One Kafka record value (the gateway's compact JSON) through one
 * derived stream.  The event is parsed and strmMeta checked first,
 * whatever the spec, so that a malformed record fails the same way in
 * every derived stream:
 *
 *   STRM_E_INVALID_JSON      not JSON, not an object, duplicate members
 *   STRM_E_STRM_META         strmMeta missing or not an object;
 *                            consentLevels not a list of at most 64
 *                            integers from 0 to 1000; keyLink not a UUID
 *                            string; eventContractRef not a string
 *   STRM_E_CONTRACT_UNKNOWN  eventContractRef not in reg
 *
 * Then the spec decides: a dropped event is STRM_OK with res->kept 0
 * and *out NULL.  In a kept event every PII field of the contract whose
 * level the spec has, present and not null, is decrypted (the key
 * field too when it is a PII field; a key field that is not stays
 * encrypted, as it has no level).  A decrypted value is a JSON string
 * when the contract's schema says the field is a string (Avro string,
 * bytes, fixed, enum, a union with more than one non-null branch) or
 * cannot tell; otherwise the plaintext is JSON text, parsed back.
 *
 *   STRM_E_BAD_REQUEST       a field to decrypt is not a ciphertext of
 *                            the key link's key for its path, or its
 *                            plaintext is not what its type needs
 *
 * The key is looked up only when a field is to be decrypted; when the
 * store does not have it (shredded, purged, not synced) the event is
 * still kept with every field as it was and res->key_missing 1.  Other
 * key store failures are returned as they are (STRM_E_INTERNAL, ...):
 * they are not the record's fault.
 *
 * why gets a short reason (field paths of the contract, never a value
 * of the event).  *out is malloc()ed NUL-terminated compact JSON with
 * the members in the order of the input, *outlen its length; it holds
 * plaintext PII: wipe it (OPENSSL_cleanse) before free().
 */
strm_rc_t strm_derive_event(const strm_registry_t *reg, strm_keys_t *keys,
    const strm_derive_spec_t *spec, const char *json, size_t len,
    char **out, size_t *outlen, strm_derive_result_t *res, char *why,
    size_t whylen);


/*
 * strm_derive_event() parsing the event into a jansson tree whatever it
 * is (strm_derive_event() takes a splice for the compact events the
 * gateway writes and gives them to this one otherwise): the reference
 * the splice is tested against.
 */
strm_rc_t strm_derive_event_tree(const strm_registry_t *reg,
    strm_keys_t *keys, const strm_derive_spec_t *spec, const char *json,
    size_t len, char **out, size_t *outlen, strm_derive_result_t *res,
    char *why, size_t whylen);


/*
 * A context for a run of records (strm-decrypt's): each record is
 * scanned once for all the derived streams that follow, which contract
 * fields are strings is worked out once per contract, and the output is
 * written into a buffer kept from record to record.
 */
typedef struct strm_derive_ctx_s  strm_derive_ctx_t;

strm_derive_ctx_t *strm_derive_ctx_new(const strm_registry_t *reg);
void strm_derive_ctx_free(strm_derive_ctx_t *ctx);

/*
 * The next record (json stays the caller's until the next record).  Its
 * strmMeta.keyLink as strm_derive_event() reads it: 1 with the link in
 * link (STRM_UUID_LEN + 1 bytes), 0 when it has none (none of its PII is
 * decrypted then), -1 when the scan cannot tell (not compact JSON, an
 * escape): read it another way.
 */
int strm_derive_ctx_record(strm_derive_ctx_t *ctx, const char *json,
    size_t len, char *link);

/*
 * strm_derive_event() of the record, with the same results, but *out
 * is the context's: valid until the next call on ctx, wiped by it (or by
 * strm_derive_ctx_wipe()); not to be freed.
 */
strm_rc_t strm_derive_ctx_event(strm_derive_ctx_t *ctx, strm_keys_t *keys,
    const strm_derive_spec_t *spec, const char **out, size_t *outlen,
    strm_derive_result_t *res, char *why, size_t whylen);

/* the plaintext of the last output wiped */
void strm_derive_ctx_wipe(strm_derive_ctx_t *ctx);


#endif /* _STRM_DERIVE_H_INCLUDED_ */
