
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_EXPORT_H_INCLUDED_
#define _STRM_EXPORT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * A data connector: where strm-export writes its objects.
 *
 *   file:///var/lib/strm/export     a local directory
 *   s3://bucket/prefix              S3 or any S3-compatible store
 *   gs://bucket/prefix              Google Cloud Storage, XML API, HMAC
 *
 * Every object is written whole under its final name or not at all: a
 * file goes to a temporary name first and is renamed; S3 makes an
 * object visible only when its PUT (or its multipart upload) completes.
 * Writing the same name again replaces the object: that is what makes
 * a retried batch land once.
 */

typedef enum {
    STRM_EXPORT_FILE = 1,
    STRM_EXPORT_S3,
    STRM_EXPORT_GS
} strm_export_kind_e;


typedef struct strm_export_conn_s  strm_export_conn_t;

struct strm_export_conn_s {
    strm_export_kind_e    kind;
    char                 *url;              /* as configured */
    char                 *dir;              /* file:// */
    char                 *bucket;
    char                 *prefix;           /* "" or "a/b", no end '/' */
    char                 *endpoint;         /* scheme://host[:port] */
    char                 *region;
    char                 *access_key;
    char                 *secret_key;
    char                 *session_token;
    int                   path_style;       /* -1 unset, then 0 or 1 */
    uint64_t              multipart_threshold;
    uint64_t              part_size;
    int64_t               timeout;          /* ms, one HTTP request */
    void                 *curl;             /* CURL * */

    /* what it did, for the status file */
    uint64_t              objects;
    uint64_t              bytes;
    uint64_t              requests;
    uint64_t              failures;
    char                  last_object[1024];
    char                  last_error[512];
};


/*
 * Parses the connector URL into c (kind, dir, bucket, prefix).  0, or
 * -1 with a reason in err.
 */
int strm_export_conn_parse(strm_export_conn_t *c, const char *url, char *err,
    size_t errlen);

/*
 * Completes c after the configuration: the endpoint, region and
 * addressing defaults, the credentials from the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) when
 * the configuration has none, the directory for file://.
 */
int strm_export_conn_init(strm_export_conn_t *c, char *err, size_t errlen);

/*
 * Writes the object name (relative to the connector's prefix) with
 * data.  0, or -1 with a reason in c->last_error (an HTTP status and the
 * store's error code, never a credential).
 */
int strm_export_conn_put(strm_export_conn_t *c, const char *name,
    const char *content_type, const unsigned char *data, size_t len);

void strm_export_conn_free(strm_export_conn_t *c);


#endif /* _STRM_EXPORT_H_INCLUDED_ */
