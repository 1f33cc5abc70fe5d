
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_ERROR_H_INCLUDED_
#define _STRM_ERROR_H_INCLUDED_


#include <stddef.h>


/*
 * One table for every error the gateway can answer with: the return
 * code, the HTTP status, whether it is the generic meaning of that
 * status (what an error nginx raises itself is called), the short code
 * (the $strm_status variable and the "code" member of the JSON body) and
 * the message of the body.
 */
#define STRM_ERRORS(X)                                                       \
    X(STRM_OK, 0, 204, 0, "ok", "accepted")                                  \
    X(STRM_E_NOMEM, -1000, 500, 0, "internal_error", "out of memory")        \
    X(STRM_E_INTERNAL, -1001, 500, 1, "internal_error",                      \
      "internal error, see the error log")                                   \
    X(STRM_E_METHOD, -1002, 405, 1, "method_not_allowed",                    \
      "only POST is accepted here")                                          \
    X(STRM_E_EMPTY_BODY, -1003, 400, 0, "empty_body",                        \
      "the request has no event in its body")                                \
    X(STRM_E_TOO_LARGE, -1004, 413, 1, "too_large",                          \
      "the event is larger than this location accepts")                      \
    X(STRM_E_QUEUE_FULL, -1005, 503, 0, "queue_full",                        \
      "the local Kafka queue is full, retry later")                          \
    X(STRM_E_KAFKA, -1006, 503, 0, "kafka_error",                            \
      "Kafka did not accept the event")                                      \
    X(STRM_E_KAFKA_TIMEOUT, -1007, 503, 0, "kafka_timeout",                  \
      "Kafka did not acknowledge the event in time")                         \
    X(STRM_E_GATEWAY_TIMEOUT, -1008, 504, 0, "delivery_timeout",             \
      "no delivery report arrived in time")                                  \
    X(STRM_E_NOT_READY, -1009, 503, 0, "not_ready",                          \
      "the Kafka producer of this worker is not ready")                      \
    X(STRM_E_BAD_REQUEST, -1010, 400, 1, "bad_request",                      \
      "the request is malformed")                                            \
    X(STRM_E_TIMEOUT, -1011, 408, 1, "request_timeout",                      \
      "the request body did not arrive in time")                             \
    X(STRM_E_LENGTH, -1012, 411, 1, "length_required",                       \
      "the request needs a length")                                          \
    X(STRM_E_URI_TOO_LONG, -1013, 414, 1, "uri_too_long",                    \
      "the request URI is too long")                                         \
    X(STRM_E_HEADERS_TOO_LARGE, -1014, 400, 0, "headers_too_large",          \
      "the request headers are too large")                                   \
    X(STRM_E_FORBIDDEN, -1015, 403, 1, "forbidden", "access is forbidden")   \
    X(STRM_E_NOT_FOUND, -1016, 404, 1, "not_found", "no such resource")      \
    X(STRM_E_UNAVAILABLE, -1017, 503, 1, "unavailable",                      \
      "the service is unavailable, retry later")                             \
    X(STRM_E_TOO_MANY, -1018, 429, 1, "too_many_requests",                   \
      "too many requests, retry later")                                      \
    X(STRM_E_SCHEMA_REF_MISSING, -1019, 400, 0, "schema_ref_missing",        \
      "the request has no Strm-Schema-Ref header")                           \
    X(STRM_E_SCHEMA_UNKNOWN, -1020, 400, 0, "schema_unknown",                \
      "the schema ref is not known")                                         \
    X(STRM_E_CONTRACT_UNKNOWN, -1021, 400, 0, "contract_unknown",            \
      "the event contract ref is not known")                                 \
    X(STRM_E_MEDIA_TYPE, -1022, 415, 1, "unsupported_media_type",            \
      "the serialization type is not supported for this schema")             \
    X(STRM_E_INVALID_JSON, -1023, 400, 0, "invalid_json",                    \
      "the event is not valid JSON")                                         \
    X(STRM_E_INVALID_AVRO, -1024, 400, 0, "invalid_avro",                    \
      "the event is not valid Avro binary of its schema")                    \
    X(STRM_E_SCHEMA_VIOLATION, -1025, 400, 0, "schema_violation",            \
      "the event does not match its schema")                                 \
    X(STRM_E_VALIDATION, -1026, 400, 0, "validation_failed",                 \
      "a field breaks a validation rule of the event contract")              \
    X(STRM_E_KEY_EMPTY, -1027, 400, 0, "key_field_empty",                    \
      "the key field of the event contract is empty")                        \
    X(STRM_E_STRM_META, -1028, 400, 0, "invalid_strm_meta",                  \
      "strmMeta is missing or invalid")                                      \
    X(STRM_E_TOO_DEEP, -1029, 400, 0, "too_deep",                            \
      "the event nests too deeply")                                          \
    X(STRM_E_METHOD_GET, -1030, 405, 0, "method_not_allowed",                \
      "only GET and HEAD are accepted here")                                 \
    X(STRM_E_CONTRACT_MISMATCH, -1031, 400, 0, "contract_mismatch",          \
      "the event contract does not fit the schema of the event")              \
    X(STRM_E_KEYS_UNAVAILABLE, -1032, 503, 0, "keys_unavailable",            \
      "the key store of this worker cannot be used, see the error log")     \
    X(STRM_E_INVALID_TOKEN, -1033, 401, 1, "invalid_token",                  \
      "the bearer token is missing or invalid")                              \
    X(STRM_E_CLIENT_ID_MISSING, -1034, 401, 0, "invalid_token",              \
      "Client ID is missing in the provided JWT")                            \
    X(STRM_E_WEBSOCKET, -1035, 400, 0, "websocket_expected",                 \
      "a WebSocket upgrade (an HTTP/1.1 GET with Upgrade: websocket and a "  \
      "Sec-WebSocket-Key) is expected here")                                 \
    X(STRM_E_WEBSOCKET_VERSION, -1036, 426, 0, "upgrade_required",           \
      "only WebSocket version 13 is spoken here")                            \
    X(STRM_E_EGRESS_FULL, -1037, 503, 0, "egress_full",                      \
      "this worker has as many WebSocket clients as it takes, retry later")


typedef enum {
#define STRM_ERROR_ENUM(name, rc, status, generic, code, msg)  name = rc,
    STRM_ERRORS(STRM_ERROR_ENUM)
#undef STRM_ERROR_ENUM
} strm_rc_t;


/*
 * Why an event was refused: the field (a slash path such as
 * "customer/id", "" when none), the rule it broke ("type", "required",
 * "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
 * "minItems", "maxItems", "additionalProperties", "regex", "utf8",
 * "truncated", "trailing", "depth", "syntax", ...) and a sentence.  None
 * of them ever holds a value of the event: values may be PII.
 */
typedef struct {
    char         field[256];
    char         rule[32];
    char         detail[256];
} strm_reject_t;


typedef struct {
    strm_rc_t    rc;
    int          status;
    int          generic;
    const char  *code;
    const char  *message;
} strm_error_t;


const strm_error_t *strm_error_get(strm_rc_t rc);
const strm_error_t *strm_error_by_status(int status);

/*
 * Writes {"error":"<message>","code":"<code>"} (plus ,"reason":"..."
 * when reason is not NULL) into buf; returns the length written, or
 * the length needed when it does not fit (like snprintf).  The reason
 * is JSON-escaped.
 */
size_t strm_error_json(const strm_error_t *e, const char *reason,
    size_t reason_len, char *buf, size_t size);

/* fills a rejection (truncating); field may be NULL */
strm_rc_t strm_reject(strm_reject_t *rej, strm_rc_t rc, const char *field,
    const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* JSON string escaping: returns the length of the escaped form. */
size_t strm_json_escape(char *dst, size_t size, const char *src,
    size_t len);


#endif /* _STRM_ERROR_H_INCLUDED_ */
