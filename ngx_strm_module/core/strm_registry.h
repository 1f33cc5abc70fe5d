
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_REGISTRY_H_INCLUDED_
#define _STRM_REGISTRY_H_INCLUDED_


#include <stddef.h>

#include <jansson.h>

#include "strm_error.h"
#include "strm_avro.h"


/*
 * The schema registry: a directory with one subdirectory per reference
 * "handle/name/version" (dir/strmprivacy/clickstream/1.0.0/), each
 * holding any of:
 *
 *   schema.avsc     an Avro schema (a record)
 *   schema.json     a JSON Schema (the subset below)
 *   contract.json   an event contract:
 *                   {"keyField": "path", "piiFields": {"path": level},
 *                    "validations": [{"field": "path", "type": "regex",
 *                                     "value": "pcre2 pattern"}],
 *                    "isPublic": bool, "schemaRef": "h/n/v" (optional:
 *                    the schema the contract's fields are checked
 *                    against; default the schema of its own directory)}
 *
 * Field paths use slashes for nesting ("customer/id").  A reference is
 * handle/name/version with a version of digits.digits.digits.
 *
 * Everything is loaded and compiled at once; any problem fails the
 * whole load with "<file>: <reason>" in err: unreadable or invalid
 * JSON, an Avro or JSON Schema that does not compile, a regex that
 * does not compile (PCRE2's message and offset), a contract without
 * keyField, a PII level that is not an integer from 0 to 1000, a
 * validation type other than "regex", a contract field (keyField,
 * piiFields, validations) its schema does not have, a schemaRef that is
 * not in the registry, a schema without a strmMeta record field, a
 * directory with a contract and no schema anywhere.
 *
 * JSON Schema subset: type (a name or an array of names: object, array,
 * string, integer, number, boolean, null), properties, required,
 * additionalProperties (boolean), items (one schema), enum, const,
 * pattern (PCRE2, unanchored as JSON Schema says), minLength,
 * maxLength (in code points), minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum (numbers), minItems, maxItems.  Unknown keywords are
 * ignored, as JSON Schema says ($schema, title, description, ...).
 */

#define STRM_REGISTRY_MAX_DEPTH  64


typedef struct strm_registry_s     strm_registry_t;
typedef struct strm_json_schema_s  strm_json_schema_t;
typedef struct strm_regex_s        strm_regex_t;


typedef struct {
    char                   *path;
    size_t                  len;            /* strlen(path) */
    int                     level;
} strm_pii_field_t;


typedef struct {
    char                   *field;
    char                   *pattern;
    strm_regex_t           *re;
} strm_validation_t;


typedef struct {
    char                   *ref;            /* handle/name/version */
    char                   *key_field;
    size_t                  key_field_len;
    int                     key_is_pii;     /* key_field is in pii[] */
    strm_pii_field_t       *pii;
    size_t                  npii;
    strm_validation_t      *validations;
    size_t                  nvalidations;
    int                     is_public;
    size_t                  index;          /* in its registry */
} strm_contract_t;


/* does a contract fit a schema (strm_registry_fit()) */
#define STRM_FIT_OK          0
#define STRM_FIT_FIELDS      1  /* it names fields the schema lacks */
#define STRM_FIT_PII         2  /* it leaves the schema's own PII clear */


typedef struct {
    char                   *ref;            /* handle/name/version */
    strm_avro_schema_t     *avro;           /* schema.avsc or NULL */
    strm_json_schema_t     *json;           /* schema.json or NULL */
    const strm_contract_t  *contract;       /* contract.json or NULL */
    unsigned char          *fits;           /* STRM_FIT_* by contract */
} strm_schema_t;


strm_rc_t strm_registry_load(const char *dir, strm_registry_t **out,
    char *err, size_t errlen);
void strm_registry_free(strm_registry_t *reg);

/* counts, for logs: schemas and contracts loaded */
size_t strm_registry_schemas(const strm_registry_t *reg);
size_t strm_registry_contracts(const strm_registry_t *reg);

/* lookups by reference; NULL when unknown (or, for a schema, when its
 * directory has only a contract) */
const strm_schema_t *strm_registry_schema(const strm_registry_t *reg,
    const char *ref, size_t len);
const strm_contract_t *strm_registry_contract(const strm_registry_t *reg,
    const char *ref, size_t len);

/* is this a well-formed handle/name/version? */
int strm_ref_valid(const char *ref, size_t len);

/*
 * The event checked against a JSON Schema: STRM_E_SCHEMA_VIOLATION with
 * the field and the keyword that failed, STRM_E_TOO_DEEP past
 * STRM_REGISTRY_MAX_DEPTH.
 */
strm_rc_t strm_json_schema_check(const strm_json_schema_t *s,
    const json_t *event, strm_reject_t *rej);

/*
 * The contract's rules: the key field must be a non-empty string
 * (STRM_E_KEY_EMPTY, rule "keyField"); every validation whose field is
 * present and not null must match (STRM_E_VALIDATION, rule "regex"; a
 * field that is not a string fails too).
 */
strm_rc_t strm_contract_check(const strm_contract_t *c, const json_t *event,
    strm_reject_t *rej);

/*
 * The same rules on fields got by get(): *v a new reference to what
 * strm_json_path() would find at the path in the event's plain JSON,
 * or NULL (with shallow set, a record may come back as an empty
 * object); an error it returns is returned.
 */
typedef strm_rc_t (*strm_field_get_pt)(void *data, const char *path,
    int shallow, json_t **v);

strm_rc_t strm_contract_check_by(const strm_contract_t *c,
    strm_field_get_pt get, void *data, strm_reject_t *rej);

/*
 * The same with the key field's value known to be a string: its bytes
 * (key_len of them at key), not asked of get(), for the key's own rule
 * and for the validations of the key field.
 */
strm_rc_t strm_contract_check_key(const strm_contract_t *c,
    const char *key, size_t key_len, strm_field_get_pt get, void *data,
    strm_reject_t *rej);

/*
 * Does the contract fit the schema: are its key field, PII fields and
 * validation fields all fields of the schema?
 */
int strm_contract_fits(const strm_schema_t *s, const strm_contract_t *c);

/*
 * An event may name any contract in strmMeta.eventContractRef: does that
 * contract fit the event's schema (STRM_FIT_OK), name fields the schema
 * does not have (STRM_FIT_FIELDS) or, when the schema has a contract of
 * its own, leave a PII field of that one unprotected (STRM_FIT_PII)?
 * Both come from one registry; the answers are worked out once, when
 * the registry loads.
 */
int strm_registry_fit(const strm_schema_t *s, const strm_contract_t *c);

/* the value at a slash path, or NULL (borrowed reference) */
json_t *strm_json_path(const json_t *root, const char *path);

/*
 * PCRE2 match anywhere in the subject: 1 match, 0 no match, -1 error;
 * the match data is the pattern's own: one thread at a time per registry
 */
int strm_regex_match(const strm_regex_t *re, const char *s, size_t len);


#endif /* _STRM_REGISTRY_H_INCLUDED_ */
