
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-export: batches of events (or of encryption keys) as JSON lines
 * in a local directory, S3 or Google Cloud Storage.
 *
 *   strm-export -c FILE [-t] [-X name=value]...
 *
 * One batch per partition of the topics it reads.  A batch closes on
 * its event count, its size, its age or when its partition is idle;
 * its object name follows from its topic, partition, first and last
 * offset (and the hour of its first event), so the same records always
 * make the same object.
 *
 * Exactly once in the bucket: before a batch is written, the offset of
 * its first record is committed again with the batch's last offset in
 * the commit metadata ("strm-export last=N ts=T"); after the write, the
 * offset after its last record is committed.  Whoever reads the
 * partition next (this process after kill -9, another member after a
 * rebalance) finds that metadata and closes the same batch at the same
 * offset: the object is written again under the same name, never twice
 * under two names.  An upload that fails is retried with backoff while
 * the partition is paused; no batch is ever dropped.
 *
 * Exit codes: 0 done (TERM/INT drained), 1 a failure at run time, 64
 * usage, 78 a configuration error (with file:line).
 */

#define _GNU_SOURCE  /* asprintf */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <zlib.h>

#include "strm_b64.h"
#include "strm_jscan.h"
#include "strm_keys.h"
#include "strm_keystore.h"
#include "strm_tink.h"
#include "strm_export.h"
#include "strm_worker.h"


#define STRM_EXPORT_MAX_TOPICS   64
#define STRM_EXPORT_DRAIN_MS     30000
#define STRM_EXPORT_KAFKA_MS     10000   /* a commit, the keys' ends */
#define STRM_EXPORT_META_PREFIX  "strm-export"
#define STRM_EXPORT_LINE_MAX     (64 * 1024 * 1024)
#define STRM_EXPORT_MAP_SIZE     0       /* the store's own size */
#define STRM_EXPORT_KEYS_POLL    1000
#define STRM_EXPORT_RETENTION    (30 * 86400 * 1000LL)  /* keys_retention */
#define STRM_EXPORT_PURGE_EVERY  1000                   /* ms */
#define STRM_EXPORT_PURGE_STEP   1000                   /* links a step */


typedef enum {
    STRM_EXPORT_EVENTS = 1,
    STRM_EXPORT_KEYS
} strm_export_mode_e;


typedef struct strm_export_part_s  strm_export_part_t;

/* the open batch of one partition */
struct strm_export_part_s {
    strm_export_part_t   *next;
    char                 *topic;
    int32_t               partition;
    int64_t               first;            /* -1: no record yet */
    int64_t               last;
    int64_t               ts;               /* first record's time, ms */
    int64_t               opened;
    int64_t               touched;
    uint64_t              records;
    uint64_t              lines;
    char                 *buf;
    size_t                len;
    size_t                cap;

    /* a batch whose boundaries are committed: close it exactly there */
    int64_t               pending_last;     /* -1 none */
    int64_t               pending_ts;

    /* the group's committed offset (< 0: none), for the lag */
    int64_t               committed;

    /* a closed batch that waits for a retry of its upload */
    int                   full;
    int                   paused;
    int64_t               retry_at;
    int64_t               backoff;
    unsigned char        *obj;              /* what is uploaded */
    size_t                obj_len;
};


typedef struct {
    /* configuration */
    strm_w_common_t       common;
    char                 *name;
    char                 *topics[STRM_EXPORT_MAX_TOPICS];
    size_t                ntopics;
    char                 *group;
    char                 *instance_id;      /* NULL: dynamic member */
    strm_export_mode_e    mode;
    strm_export_conn_t    conn;
    int                   gzip;
    int                   time_prefix;
    uint64_t              batch_events;
    uint64_t              batch_size;
    int64_t               batch_age;
    int64_t               batch_idle;
    int64_t               retry_max;
    char                 *kek;
    char                 *customer_kek;
    char                 *keys_store;
    int64_t               keys_retention;   /* ms, 0: never purge */

    /* run time */
    strm_tink_keyset_t   *kek_ks;
    strm_tink_keyset_t   *customer_ks;
    rd_kafka_t           *consumer;

    /*
     * keys mode: the exporter's own key store, a copy of the keys topic
     * that "applier" (a consumer without group) keeps applied; kpos is
     * the next offset it reads, per partition
     */
    strm_keystore_t      *ks;
    rd_kafka_t           *applier;
    int64_t              *kpos;
    int32_t               nkparts;

    /* every key link a tombstone named, whatever its partition */
    char                 *gone;             /* slots of STRM_UUID_LEN */
    size_t                ngone;
    size_t                gone_size;        /* slots, a power of 2 */

    strm_export_part_t   *parts;
    int64_t               lag;
    int64_t               next_status;
    int64_t               next_purge;
    uint64_t              records;
    uint64_t              lines;
    uint64_t              wrapped;          /* records not one JSON line */
    uint64_t              tombstones;       /* keys: shredded key links */
    uint64_t              key_failures;     /* keys: did not unwrap */
    uint64_t              withheld;         /* keys: not in the store */
    uint64_t              committed;
    uint64_t              retries;
    int64_t               started;

    /*
     * while draining: when the drain ends, and whether Kafka did not
     * answer a commit, the keys topic's metadata or its ends in time
     * (nothing more is tried then; an answer that refuses is not that)
     */
    int64_t               drain_end;
    int                   kafka_failed;
} strm_export_t;


static int strm_export_conf(strm_export_t *x, const char *path, char *err,
    size_t errlen);
static int strm_export_conf_export(strm_export_t *x, const strm_conf_t *blk,
    char *err, size_t errlen);
static int strm_export_load(strm_export_t *x, char *err, size_t errlen);
static int strm_export_kafka(strm_export_t *x, char *err, size_t errlen);
static void strm_export_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque);
static void strm_export_assigned(strm_export_t *x,
    rd_kafka_topic_partition_list_t *parts);
static strm_export_part_t *strm_export_part(strm_export_t *x, const char *topic,
    int32_t partition, int create);
static void strm_export_part_reset(strm_export_part_t *p);
static void strm_export_part_drop(strm_export_t *x, const char *topic,
    int32_t partition);
static void strm_export_record(strm_export_t *x, const rd_kafka_message_t *rkm);
static void strm_export_eof(strm_export_t *x, const rd_kafka_message_t *rkm);
static int strm_export_line_event(strm_export_t *x, strm_export_part_t *p,
    const rd_kafka_message_t *rkm);
static int strm_export_line_key(strm_export_t *x, strm_export_part_t *p,
    const rd_kafka_message_t *rkm);
static int strm_export_append(strm_export_part_t *p, const char *data,
    size_t len);
static int strm_export_buf_append(char **buf, size_t *len, size_t *cap,
    const char *data, size_t n);
static int strm_export_keys_start(strm_export_t *x, char *err, size_t errlen);
static int strm_export_keys_assign(strm_export_t *x);
static int strm_export_keys_poll(strm_export_t *x, int timeout);
static int strm_export_keys_current(strm_export_t *x);
static void strm_export_keys_purge(strm_export_t *x, int64_t now);
static int strm_export_gone(strm_export_t *x, const char *link, int add);
static int strm_export_keys_lines(strm_export_t *x, strm_export_part_t *p,
    uint64_t *lines, uint64_t *withheld);
static void strm_export_close(strm_export_t *x, strm_export_part_t *p);
static void strm_export_upload(strm_export_t *x, strm_export_part_t *p);
static void strm_export_retry(strm_export_t *x, strm_export_part_t *p,
    const char *name);
static void strm_export_object_name(strm_export_t *x, strm_export_part_t *p,
    char *name, size_t size);
static int strm_export_gzip(const char *in, size_t len, unsigned char **out,
    size_t *out_len);
static rd_kafka_resp_err_t strm_export_commit(strm_export_t *x,
    strm_export_part_t *p, int64_t offset, const char *meta);
static int strm_export_kafka_ms(strm_export_t *x);
static void strm_export_pause(strm_export_t *x, strm_export_part_t *p,
    int pause);
static void strm_export_tick(strm_export_t *x, int64_t now, int draining);
static int64_t strm_export_lag(strm_export_t *x);
static void strm_export_status(strm_export_t *x);
static int strm_export_configure(strm_w_t *w);
static int strm_export_test(strm_w_t *w);
static int strm_export_start(strm_w_t *w);
static int strm_export_run(strm_w_t *w);
static int strm_export_drain(strm_w_t *w);
static int strm_export_stop(strm_w_t *w);
static void strm_export_free(strm_w_t *w);


static const strm_w_program_t  strm_export_program = {
    "strm-export",
    "",
    STRM_W_OPT_CONF | STRM_W_OPT_KAFKA,
    NULL,
    NULL,
    strm_export_configure,
    strm_export_test,
    strm_export_start,
    strm_export_run,
    strm_export_drain,
    strm_export_stop,
    strm_export_free,
    "strm-export -c FILE [-t] [-X name=value]...\n"
    "  -c FILE        the configuration (nginx-style blocks)\n"
    "  -t             check the configuration and exit\n"
    "  -X name=value  a librdkafka property (after the kafka { } block's)\n"
};


int
main(int argc, char **argv)
{
    int       rc;
    strm_export_t  x;

    memset(&x, 0, sizeof(strm_export_t));
    curl_global_init(CURL_GLOBAL_DEFAULT);

    rc = strm_w_main(&strm_export_program, &x, argc, argv);

    curl_global_cleanup();

    return rc;
}


static int
strm_export_configure(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    if (strm_export_conf(x, w->conf_file, w->err, sizeof(w->err)) != 0
        || strm_export_load(x, w->err, sizeof(w->err)) != 0)
    {
        return STRM_W_EX_CONFIG;
    }

    w->error_log = x->common.error_log;

    return STRM_W_EX_OK;
}


static int
strm_export_test(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    printf("strm-export: the configuration file %s syntax is ok, "
           "\"%s\" exports %zu topics to %s\n", w->conf_file, x->name,
           x->ntopics, x->conn.url);

    return STRM_W_EX_OK;
}


static int
strm_export_start(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    if (strm_export_kafka(x, w->err, sizeof(w->err)) != 0) {
        return STRM_W_EX_FAILED;
    }

    x->started = strm_w_now_ms();
    x->next_status = x->started;

    strm_w_log(STRM_W_LOG_NOTICE, "exporting %zu topics (group \"%s\", "
               "instance %s%s%s) to %s as %s", x->ntopics, x->group,
               x->instance_id ? "\"" : "",
               x->instance_id ? x->instance_id : "off (dynamic member)",
               x->instance_id ? "\"" : "", x->conn.url,
               x->mode == STRM_EXPORT_KEYS ? "keysets" : "events");

    return STRM_W_EX_OK;
}


static int
strm_export_run(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    int                  rc;
    int64_t              now;
    rd_kafka_message_t  *rkm;

    rc = STRM_W_EX_OK;

    while (!strm_w_stopping()) {
        (void) strm_w_reopen();

        rkm = rd_kafka_consumer_poll(x->consumer, 100);

        if (rkm != NULL) {
            if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                strm_export_record(x, rkm);

            } else if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                strm_export_eof(x, rkm);

            } else if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
                char  why[512];

                /* e.g. fenced: another instance has our instance_id */
                (void) rd_kafka_fatal_error(x->consumer, why, sizeof(why));
                strm_w_log(STRM_W_LOG_ALERT, "consumer: fatal: %s: "
                           "stopping", why);
                rd_kafka_message_destroy(rkm);
                rc = STRM_W_EX_FAILED;
                strm_w_stop();
                break;

            } else {
                strm_w_log(STRM_W_LOG_ERR, "consumer: %s",
                           rd_kafka_message_errstr(rkm));
            }

            rd_kafka_message_destroy(rkm);
        }

        if (x->applier != NULL && strm_export_keys_poll(x, 0) != 0) {
            strm_w_log(STRM_W_LOG_ALERT, "keys_store \"%s\": %s: stopping",
                       x->keys_store, strm_keystore_error(x->ks));
            strm_w_stop();
            break;
        }

        now = strm_w_now_ms();
        strm_export_tick(x, now, 0);

        if (x->ks != NULL && x->keys_retention > 0 && now >= x->next_purge)
        {
            strm_export_keys_purge(x, now);
            x->next_purge = now + STRM_EXPORT_PURGE_EVERY;
        }

        if (now >= x->next_status) {
            x->lag = strm_export_lag(x);
            strm_export_status(x);
            x->next_status = now + x->common.status_interval;
        }
    }

    return rc;
}


/* every open batch is written, failed ones retried a while */
static int
strm_export_drain(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    int                  left;
    strm_export_part_t  *p;
    rd_kafka_message_t  *rkm;

    /*
     * Bounded: a broker gone does not hold the stop.  Every wait on
     * Kafka ends at drain_end, and once a commit or the keys topic's
     * ends went unanswered nothing more is tried: what is not committed
     * is read again by the next owner.
     */
    x->drain_end = strm_w_now_ms() + STRM_EXPORT_DRAIN_MS;
    x->kafka_failed = 0;
    left = 0;

    for (p = x->parts; p != NULL; p = p->next) {
        if (p->full || p->records == 0) {
            continue;
        }

        if (x->kafka_failed || strm_w_now_ms() >= x->drain_end) {
            left++;
            continue;
        }

        /*
         * A batch bound by its commit is written at its bound or not at
         * all: cut short, it would be a second object with some of the
         * same records.  Not committed, it is read again, to the bound,
         * by the next owner.
         */
        if (p->pending_last >= 0 && p->last < p->pending_last) {
            strm_w_log(STRM_W_LOG_NOTICE, "%s[%d]: the batch %lld..%lld is "
                       "read only to %lld: left to the next owner",
                       p->topic, (int) p->partition, (long long) p->first,
                       (long long) p->pending_last, (long long) p->last);
            continue;
        }

        strm_export_close(x, p);
    }

    for ( ;; ) {
        for (p = x->parts; p != NULL && !p->full; p = p->next) {
            /* void */
        }

        if (p == NULL || strm_w_stopping() || x->kafka_failed
            || strm_w_now_ms() > x->drain_end)
        {
            break;
        }

        /* the group must see us alive while we retry */
        rkm = rd_kafka_consumer_poll(x->consumer, 100);
        if (rkm != NULL) {
            rd_kafka_message_destroy(rkm);
        }

        strm_export_tick(x, strm_w_now_ms(), 1);
    }

    if (left) {
        strm_w_log(STRM_W_LOG_ERR, "%s: %d more batches not closed: they "
                   "are read again at the next start",
                   x->kafka_failed ? "Kafka did not answer" : "no time left",
                   left);
    }

    return STRM_W_EX_OK;
}


static int
strm_export_stop(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    int                  rc, ms;
    strm_export_part_t  *p;

    rc = w->rc;

    for (p = x->parts; p != NULL; p = p->next) {
        if (p->full) {
            strm_w_log(STRM_W_LOG_ERR, "exiting with the batch %s[%d] "
                       "%lld..%lld not written (%s): it is read again at "
                       "the next start", p->topic, (int) p->partition,
                       (long long) p->first, (long long) p->last,
                       x->conn.last_error);
            rc = STRM_W_EX_FAILED;
        }
    }

    x->lag = strm_export_lag(x);
    strm_export_status(x);

    /*
     * Closing waits for Kafka as long as a commit, not at all when it
     * already failed to answer the drain
     */
    ms = x->kafka_failed ? 0 : STRM_EXPORT_KAFKA_MS;

    (void) strm_w_consumer_close(x->consumer, ms, strm_export_rebalance);
    x->consumer = NULL;

    if (x->applier != NULL) {
        (void) strm_w_consumer_close(x->applier, ms, NULL);
        x->applier = NULL;
    }

    strm_w_log(STRM_W_LOG_NOTICE, "stopped: %llu records, %llu objects "
               "written", (unsigned long long) x->records,
               (unsigned long long) x->conn.objects);

    return rc;
}


/*
 * The configuration, nginx's language:
 *
 *   kafka { brokers host:port ...; property name value; }
 *   status_file /var/lib/strm/export-demo.status;  status_interval 5s;
 *   error_log /var/log/strm/export-demo.log;
 *   export demo {
 *       topics demo demo-0-1;  group strm-export-demo;  mode events;
 *       connector s3://bucket/prefix;  endpoint https://...;
 *       region eu-west-1;  addressing path;
 *       access_key_id ...;  secret_access_key ...;
 *       gzip on;  time_prefix on;
 *       batch_events 100000;  batch_size 64m;  batch_age 60s;
 *       batch_idle 10s;  multipart_threshold 16m;  part_size 8m;
 *       timeout 60s;  retry_max 60s;
 *       kek /etc/strm/kek.json;  customer_kek /etc/strm/customer.json;
 *   }
 */
static int
strm_export_conf(strm_export_t *x, const char *path, char *err, size_t errlen)
{
    int            rc;
    size_t         i;
    strm_conf_t   *root, *c;

    if (strm_conf_parse_file(path, &root, err, errlen) != STRM_OK) {
        return -1;
    }

    rc = -1;
    strm_w_common_init(&x->common);

    for (i = 0; i < root->nchildren; i++) {
        c = &root->children[i];

        rc = strm_w_conf_common(c, &x->common, err, errlen);

        if (rc != 1) {
            if (rc != 0) {
                goto done;
            }

            continue;
        }

        if (strcmp(c->name, "export") == 0) {
            if (x->name != NULL) {
                strm_conf_error(c, err, errlen, "one \"export\" per "
                                "strm-export (run one per exporter)");
                rc = -1;

            } else {
                rc = strm_export_conf_export(x, c, err, errlen);
            }

        } else {
            strm_conf_error(c, err, errlen, "unknown directive \"%s\"",
                            c->name);
            rc = -1;
        }

        if (rc != 0) {
            goto done;
        }
    }

    rc = -1;

    if (x->name == NULL) {
        snprintf(err, errlen, "%s: no \"export\" block", path);
        goto done;
    }

    if (x->common.kafka.brokers == NULL) {
        snprintf(err, errlen, "%s: \"kafka { brokers ...; }\" is required",
                 path);
        goto done;
    }

    rc = 0;

done:

    strm_conf_free(root);

    return rc;
}


static int
strm_export_conf_export(strm_export_t *x, const strm_conf_t *blk, char *err,
    size_t errlen)
{
    int                  rc, flag;
    size_t               i, a;
    uint64_t             v;
    const char          *url;
    strm_export_conn_t  *cn;
    const strm_conf_t   *c;

    if (!blk->block || strm_conf_args(blk, 1, 1, err, errlen) != STRM_OK) {
        if (!blk->block) {
            strm_conf_error(blk, err, errlen, "\"export NAME { ... }\" is "
                            "a block");
        }

        return -1;
    }

    x->name = strdup(blk->args[0]);
    x->mode = STRM_EXPORT_EVENTS;
    x->gzip = 0;
    x->time_prefix = 1;
    x->batch_events = 100000;
    x->batch_size = 64 * 1024 * 1024;
    x->batch_age = 60000;
    x->batch_idle = 10000;
    x->retry_max = 60000;
    x->keys_retention = STRM_EXPORT_RETENTION;

    cn = &x->conn;
    cn->path_style = -1;
    url = NULL;

    for (i = 0; i < blk->nchildren; i++) {
        c = &blk->children[i];
        rc = 0;

        if (strcmp(c->name, "topics") == 0) {
            if (x->ntopics != 0) {
                strm_conf_error(c, err, errlen, "\"topics\" is duplicate");
                return -1;
            }

            if (c->block || strm_conf_args(c, 1, STRM_EXPORT_MAX_TOPICS, err,
                                           errlen) != STRM_OK)
            {
                if (c->block) {
                    strm_conf_error(c, err, errlen, "\"topics\" is not a "
                                    "block");
                }

                return -1;
            }

            for (a = 0; a < c->argc; a++) {
                x->topics[x->ntopics++] = strdup(c->args[a]);
            }

        } else if (strcmp(c->name, "group") == 0) {
            rc = strm_w_conf_str(c, &x->group, err, errlen);

        } else if (strcmp(c->name, "instance_id") == 0) {
            char  what[300];

            snprintf(what, sizeof(what), "export-%s", x->name);
            rc = strm_w_conf_instance_id(c, what, &x->instance_id, err,
                                         errlen);

        } else if (strcmp(c->name, "mode") == 0) {
            if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK)
            {
                return -1;
            }

            if (strcmp(c->args[0], "events") == 0) {
                x->mode = STRM_EXPORT_EVENTS;

            } else if (strcmp(c->args[0], "keys") == 0) {
                x->mode = STRM_EXPORT_KEYS;

            } else {
                strm_conf_error(c, err, errlen, "invalid mode \"%s\": "
                                "events or keys", c->args[0]);
                return -1;
            }

        } else if (strcmp(c->name, "connector") == 0) {
            if (url != NULL) {
                strm_conf_error(c, err, errlen, "\"connector\" is "
                                "duplicate");
                return -1;
            }

            if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK)
            {
                return -1;
            }

            url = c->args[0];

            if (strm_export_conn_parse(cn, url, err, errlen) != 0) {
                char  why[512];

                snprintf(why, sizeof(why), "%s", err);
                strm_conf_error(c, err, errlen, "%s", why);
                return -1;
            }

        } else if (strcmp(c->name, "endpoint") == 0) {
            rc = strm_w_conf_str(c, &cn->endpoint, err, errlen);

            if (rc == 0 && strncmp(cn->endpoint, "http://", 7) != 0
                && strncmp(cn->endpoint, "https://", 8) != 0)
            {
                strm_conf_error(c, err, errlen, "invalid endpoint \"%s\": "
                                "http:// or https://", cn->endpoint);
                return -1;
            }

        } else if (strcmp(c->name, "region") == 0) {
            rc = strm_w_conf_str(c, &cn->region, err, errlen);

        } else if (strcmp(c->name, "addressing") == 0) {
            if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK)
            {
                return -1;
            }

            if (strcmp(c->args[0], "path") == 0) {
                cn->path_style = 1;

            } else if (strcmp(c->args[0], "virtual") == 0) {
                cn->path_style = 0;

            } else {
                strm_conf_error(c, err, errlen, "invalid addressing \"%s\": "
                                "path or virtual", c->args[0]);
                return -1;
            }

        } else if (strcmp(c->name, "access_key_id") == 0) {
            rc = strm_w_conf_str(c, &cn->access_key, err, errlen);

        } else if (strcmp(c->name, "secret_access_key") == 0) {
            rc = strm_w_conf_str(c, &cn->secret_key, err, errlen);

        } else if (strcmp(c->name, "gzip") == 0) {
            rc = strm_w_conf_flag(c, &x->gzip, err, errlen);

        } else if (strcmp(c->name, "time_prefix") == 0) {
            rc = strm_w_conf_flag(c, &x->time_prefix, err, errlen);

        } else if (strcmp(c->name, "batch_events") == 0) {
            if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK)
            {
                return -1;
            }

            if (strm_conf_uint(c->args[0], 100000000, &v) != STRM_OK
                || v == 0)
            {
                strm_conf_error(c, err, errlen, "invalid count \"%s\": 1 "
                                "to 100000000", c->args[0]);
                return -1;
            }

            x->batch_events = v;

        } else if (strcmp(c->name, "batch_size") == 0) {
            rc = strm_w_conf_size(c, 1024, (uint64_t) 1 << 32,
                                  &x->batch_size, err, errlen);

        } else if (strcmp(c->name, "multipart_threshold") == 0) {
            rc = strm_w_conf_size(c, 5 * 1024 * 1024,
                                  (uint64_t) 5 << 30,
                                  &cn->multipart_threshold, err,
                                  errlen);

        } else if (strcmp(c->name, "part_size") == 0) {
            /* S3's bounds: every part but the last is 5 MiB at least */
            rc = strm_w_conf_size(c, 5 * 1024 * 1024,
                                  (uint64_t) 5 << 30, &cn->part_size,
                                  err, errlen);

        } else if (strcmp(c->name, "batch_age") == 0) {
            rc = strm_w_conf_msec(c, 100, &x->batch_age, err, errlen);

        } else if (strcmp(c->name, "batch_idle") == 0) {
            rc = strm_w_conf_msec(c, 100, &x->batch_idle, err, errlen);

        } else if (strcmp(c->name, "timeout") == 0) {
            rc = strm_w_conf_msec(c, 1000, &cn->timeout, err, errlen);

        } else if (strcmp(c->name, "retry_max") == 0) {
            rc = strm_w_conf_msec(c, 1000, &x->retry_max, err, errlen);

        } else if (strcmp(c->name, "kek") == 0) {
            rc = strm_w_conf_str(c, &x->kek, err, errlen);

        } else if (strcmp(c->name, "customer_kek") == 0) {
            rc = strm_w_conf_str(c, &x->customer_kek, err, errlen);

        } else if (strcmp(c->name, "keys_store") == 0) {
            rc = strm_w_conf_str(c, &x->keys_store, err, errlen);

        } else if (strcmp(c->name, "keys_retention") == 0) {
            rc = strm_w_conf_msec(c, 0, &x->keys_retention, err, errlen);

        } else {
            strm_conf_error(c, err, errlen, "unknown directive \"%s\" in "
                            "\"export\"", c->name);
            return -1;
        }

        if (rc != 0) {
            return -1;
        }

        (void) flag;
    }

    if (url == NULL) {
        strm_conf_error(blk, err, errlen, "export \"%s\" has no "
                        "\"connector\" (file://DIR, s3://BUCKET/PREFIX or "
                        "gs://BUCKET/PREFIX)", x->name);
        return -1;
    }

    if (cn->kind == STRM_EXPORT_FILE
        && (cn->endpoint != NULL || cn->region != NULL
            || cn->access_key != NULL || cn->secret_key != NULL
            || cn->path_style != -1))
    {
        strm_conf_error(blk, err, errlen, "\"endpoint\", \"region\", "
                        "\"addressing\" and credentials are for s3:// and "
                        "gs:// connectors");
        return -1;
    }

    if ((cn->access_key == NULL) != (cn->secret_key == NULL)) {
        strm_conf_error(blk, err, errlen, "\"access_key_id\" and "
                        "\"secret_access_key\" go together");
        return -1;
    }

    if (x->mode == STRM_EXPORT_KEYS && x->kek == NULL) {
        strm_conf_error(blk, err, errlen, "\"mode keys\" needs \"kek\": the "
                        "key-encryption key of the key store");
        return -1;
    }

    if (x->mode == STRM_EXPORT_KEYS && x->keys_store == NULL) {
        strm_conf_error(blk, err, errlen, "\"mode keys\" needs "
                        "\"keys_store\": the exporter's own copy of the keys "
                        "topic, so that no forgotten key link is exported");
        return -1;
    }

    if (x->mode == STRM_EXPORT_KEYS && x->ntopics > 1) {
        strm_conf_error(blk, err, errlen, "\"mode keys\" reads one keys "
                        "topic (its \"keys_store\" is a copy of it)");
        return -1;
    }

    if (x->mode == STRM_EXPORT_EVENTS
        && (x->kek != NULL || x->customer_kek != NULL
            || x->keys_store != NULL))
    {
        strm_conf_error(blk, err, errlen, "\"kek\", \"customer_kek\" and "
                        "\"keys_store\" are for \"mode keys\"");
        return -1;
    }

    if (x->ntopics == 0) {
        x->topics[x->ntopics++] = strdup(x->mode == STRM_EXPORT_KEYS
                                         ? "strm-keys" : x->name);
    }

    if (x->group == NULL
        && asprintf(&x->group, "strm-export-%s", x->name) == -1)
    {
        x->group = NULL;
        return -1;
    }

    return 0;
}


static int
strm_export_load(strm_export_t *x, char *err, size_t errlen)
{
    if (strm_export_conn_init(&x->conn, err, errlen) != 0) {
        return -1;
    }

    if (x->kek != NULL
        && strm_w_read_keyset(x->kek, "kek", &x->kek_ks, err, errlen)
           != 0)
    {
        return -1;
    }

    if (x->customer_kek != NULL
        && strm_w_read_keyset(x->customer_kek, "customer_kek",
                              &x->customer_ks, err, errlen)
           != 0)
    {
        return -1;
    }

    if (x->keys_store != NULL) {
        char  why[512];

        if (strm_keystore_open(x->keys_store, STRM_EXPORT_MAP_SIZE, 0,
                               &x->ks, why, sizeof(why))
            != STRM_OK)
        {
            x->ks = NULL;
            snprintf(err, errlen, "keys_store \"%s\": %s", x->keys_store,
                     why);
            return -1;
        }
    }

    return 0;
}


static int
strm_export_kafka(strm_export_t *x, char *err, size_t errlen)
{
    size_t                            i;
    rd_kafka_conf_t                  *cc;
    rd_kafka_resp_err_t               rerr;
    rd_kafka_topic_partition_list_t  *sub;
    char                              errstr[512];

    cc = strm_w_kafka_conf(&x->common.kafka, RD_KAFKA_CONSUMER, err,
                           errlen);
    if (cc == NULL) {
        return -1;
    }

    if (rd_kafka_conf_set(cc, "group.id", x->group, errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK
        || (x->instance_id != NULL
            && rd_kafka_conf_set(cc, "group.instance.id", x->instance_id,
                                 errstr, sizeof(errstr))
               != RD_KAFKA_CONF_OK)
        || rd_kafka_conf_set(cc, "enable.auto.commit", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "enable.auto.offset.store", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "enable.partition.eof", "true", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "auto.offset.reset", "earliest", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        snprintf(err, errlen, "kafka: %s", errstr);
        rd_kafka_conf_destroy(cc);
        return -1;
    }

    rd_kafka_conf_set_opaque(cc, x);
    rd_kafka_conf_set_rebalance_cb(cc, strm_export_rebalance);

    x->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (x->consumer == NULL) {
        snprintf(err, errlen, "kafka consumer: %s", errstr);
        return -1;
    }

    rd_kafka_poll_set_consumer(x->consumer);

    sub = rd_kafka_topic_partition_list_new((int) x->ntopics);

    for (i = 0; i < x->ntopics; i++) {
        rd_kafka_topic_partition_list_add(sub, x->topics[i],
                                          RD_KAFKA_PARTITION_UA);
    }

    rerr = rd_kafka_subscribe(x->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);

    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "subscribe: %s", rd_kafka_err2str(rerr));
        return -1;
    }

    if (x->mode == STRM_EXPORT_KEYS) {
        return strm_export_keys_start(x, err, errlen);
    }

    return 0;
}


/*
 * On assign, the committed offsets are fetched with their metadata: a
 * batch that was being written when its writer died is closed at the
 * same last offset.  On revoke, open batches are dropped unwritten:
 * the next owner reads them again.
 */
static void
strm_export_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    int                           i;
    long long                     last, ts;
    strm_export_t                *x = opaque;
    strm_export_part_t           *p;
    rd_kafka_resp_err_t           cerr;
    rd_kafka_topic_partition_t   *tp;
    char                          meta[128];

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        cerr = rd_kafka_committed(rk, parts, 30000);

        if (cerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_ERR, "committed offsets: %s",
                       rd_kafka_err2str(cerr));
        }

        for (i = 0; i < parts->cnt; i++) {
            tp = &parts->elems[i];
            p = strm_export_part(x, tp->topic, tp->partition, 1);

            if (p == NULL) {
                continue;
            }

            p->committed = (cerr == RD_KAFKA_RESP_ERR_NO_ERROR
                            && tp->err == RD_KAFKA_RESP_ERR_NO_ERROR)
                           ? tp->offset : -1;

            if (tp->metadata_size > 0 && tp->metadata_size < sizeof(meta)) {
                memcpy(meta, tp->metadata, tp->metadata_size);
                meta[tp->metadata_size] = '\0';

                if (sscanf(meta, STRM_EXPORT_META_PREFIX " last=%lld ts=%lld",
                           &last, &ts) == 2
                    && last >= tp->offset)
                {
                    p->pending_last = last;
                    p->pending_ts = ts;
                    strm_w_log(STRM_W_LOG_NOTICE, "%s[%d]: the batch "
                               "%lld..%lld was being written: it is "
                               "written again", tp->topic,
                               (int) tp->partition, (long long) tp->offset,
                               last);
                }
            }
        }

        strm_w_log(STRM_W_LOG_NOTICE, "assigned %d partitions", parts->cnt);
        rd_kafka_assign(rk, parts);
        strm_export_assigned(x, parts);
        return;
    }

    for (i = 0; i < parts->cnt; i++) {
        strm_export_part_drop(x, parts->elems[i].topic,
                              parts->elems[i].partition);
    }

    strm_w_log(STRM_W_LOG_NOTICE, "revoked %d partitions", parts->cnt);
    rd_kafka_assign(rk, NULL);
}


/*
 * A partition keeps its pause across a rebalance (librdkafka's), the
 * batch that paused it does not: after every assignment each partition
 * is paused or resumed by the state of its batch, or a partition given
 * back to the member that paused it would never be read again.
 */
static void
strm_export_assigned(strm_export_t *x, rd_kafka_topic_partition_list_t *parts)
{
    int                               i;
    strm_export_part_t               *p;
    rd_kafka_topic_partition_t       *tp;
    rd_kafka_topic_partition_list_t  *run, *wait;

    run = rd_kafka_topic_partition_list_new(parts->cnt);
    wait = rd_kafka_topic_partition_list_new(parts->cnt);

    for (i = 0; i < parts->cnt; i++) {
        tp = &parts->elems[i];
        p = strm_export_part(x, tp->topic, tp->partition, 0);

        rd_kafka_topic_partition_list_add((p != NULL && p->full) ? wait : run,
                                          tp->topic, tp->partition);

        if (p != NULL) {
            p->paused = p->full;
        }
    }

    if (run->cnt > 0) {
        rd_kafka_resume_partitions(x->consumer, run);
    }

    if (wait->cnt > 0) {
        rd_kafka_pause_partitions(x->consumer, wait);
    }

    rd_kafka_topic_partition_list_destroy(run);
    rd_kafka_topic_partition_list_destroy(wait);
}


static strm_export_part_t *
strm_export_part(strm_export_t *x, const char *topic, int32_t partition,
    int create)
{
    strm_export_part_t  *p;

    for (p = x->parts; p != NULL; p = p->next) {
        if (p->partition == partition && strcmp(p->topic, topic) == 0) {
            return p;
        }
    }

    if (!create) {
        return NULL;
    }

    p = calloc(1, sizeof(strm_export_part_t));
    if (p == NULL) {
        return NULL;
    }

    p->topic = strdup(topic);
    if (p->topic == NULL) {
        free(p);
        return NULL;
    }

    p->partition = partition;
    p->first = -1;
    p->pending_last = -1;
    p->committed = -1;
    p->next = x->parts;
    x->parts = p;

    return p;
}


static void
strm_export_part_reset(strm_export_part_t *p)
{
    if (p->obj != NULL) {
        /* keys mode: keysets */
        OPENSSL_cleanse(p->obj, p->obj_len);
    }

    free(p->buf);
    free(p->obj);
    p->buf = NULL;
    p->obj = NULL;
    p->len = p->cap = p->obj_len = 0;
    p->first = -1;
    p->last = -1;
    p->records = p->lines = 0;
    p->full = 0;
    p->backoff = 0;
    p->pending_last = -1;
}


static void
strm_export_part_drop(strm_export_t *x, const char *topic, int32_t partition)
{
    strm_export_part_t **pp, *p;

    for (pp = &x->parts; *pp != NULL; pp = &(*pp)->next) {
        p = *pp;

        if (p->partition == partition && strcmp(p->topic, topic) == 0) {
            *pp = p->next;
            strm_export_part_reset(p);
            free(p->topic);
            free(p);
            return;
        }
    }
}


static void
strm_export_record(strm_export_t *x, const rd_kafka_message_t *rkm)
{
    int                  rc;
    int64_t              now;
    const char          *topic;
    strm_export_part_t  *p;

    topic = rd_kafka_topic_name(rkm->rkt);
    p = strm_export_part(x, topic, rkm->partition, 1);

    if (p == NULL) {
        strm_w_log(STRM_W_LOG_ALERT, "out of memory: stopping");
        strm_w_stop();
        return;
    }

    /*
     * Fetched before the pause: read again after the batch is written
     * (the partition is sought back to the record after its last).
     */
    if (p->full) {
        return;
    }

    now = strm_w_now_ms();

    /* the committed batch's records are gone (compaction): a new one */
    if (p->records == 0 && p->pending_last >= 0
        && rkm->offset > p->pending_last)
    {
        p->pending_last = -1;
    }

    if (p->records == 0) {
        p->first = rkm->offset;
        p->ts = rd_kafka_message_timestamp(rkm, NULL);
        p->opened = now;

        if (p->ts < 0) {
            p->ts = now;
        }

        /* the committed batch keeps the hour it was named with */
        if (p->pending_last >= 0) {
            p->ts = p->pending_ts;
        }
    }

    rc = (x->mode == STRM_EXPORT_KEYS) ? strm_export_line_key(x, p, rkm)
                                  : strm_export_line_event(x, p, rkm);

    if (rc < 0) {
        strm_w_log(STRM_W_LOG_ALERT, "out of memory: stopping");
        strm_w_stop();
        return;
    }

    p->last = rkm->offset;
    p->records++;
    p->touched = now;
    x->records++;

    if (rc > 0) {
        p->lines++;

        /* keys mode counts its lines when they are written */
        if (x->mode == STRM_EXPORT_EVENTS) {
            x->lines++;
        }
    }

    if (p->pending_last >= 0) {
        if (rkm->offset >= p->pending_last) {
            strm_export_close(x, p);
        }

    } else if (p->records >= x->batch_events || p->len >= x->batch_size) {
        strm_export_close(x, p);
    }
}


/*
 * Keys mode keeps a key store of its own (keys_store), applied from the
 * keys topic as every gateway applies it (strm_keystore_apply()): the
 * first candidate of a session and window wins, losers and tombstoned
 * links have no record.  The applier is a consumer without group that
 * reads every partition of the keys topic from where the store stands;
 * it is polled between records, and caught up to the end of every
 * partition before each write of a batch (strm_export_keys_current()).
 */
static int
strm_export_keys_start(strm_export_t *x, char *err, size_t errlen)
{
    rd_kafka_conf_t  *cc;
    char              errstr[512];

    cc = strm_w_kafka_conf(&x->common.kafka, RD_KAFKA_CONSUMER, err,
                           errlen);
    if (cc == NULL) {
        return -1;
    }

    /* assign() needs a group id; it joins nothing and commits nothing */
    if (rd_kafka_conf_set(cc, "group.id", "strm-export-keys-store", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "enable.auto.commit", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "enable.auto.offset.store", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "enable.partition.eof", "true", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "auto.offset.reset", "earliest", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        snprintf(err, errlen, "kafka: %s", errstr);
        rd_kafka_conf_destroy(cc);
        return -1;
    }

    x->applier = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (x->applier == NULL) {
        snprintf(err, errlen, "kafka consumer (keys_store): %s", errstr);
        return -1;
    }

    rd_kafka_poll_set_consumer(x->applier);

    /* the topic may come later: assigned again before each write */
    if (strm_export_keys_assign(x) != 0) {
        strm_w_log(STRM_W_LOG_WARN, "keys_store: %s", x->conn.last_error);
        x->conn.last_error[0] = '\0';
    }

    return 0;
}


/*
 * The partitions of the keys topic, assigned to the applier from the
 * store's next offsets; again when the topic has more of them.  0, or
 * -1 (the reason in x->conn.last_error).
 */
static int
strm_export_keys_assign(strm_export_t *x)
{
    int32_t                           i, n;
    int64_t                          *kpos;
    rd_kafka_topic_t                 *rkt;
    rd_kafka_resp_err_t               err;
    const rd_kafka_metadata_t        *md;
    rd_kafka_topic_partition_list_t  *l;

    rkt = rd_kafka_topic_new(x->applier, x->topics[0], NULL);
    if (rkt == NULL) {
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys topic \"%s\": %s", x->topics[0],
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }

    n = strm_export_kafka_ms(x);
    err = n > 0 ? rd_kafka_metadata(x->applier, 0, rkt, &md,
                                    n < 5000 ? n : 5000)
                : RD_KAFKA_RESP_ERR__TIMED_OUT;
    rd_kafka_topic_destroy(rkt);

    x->kafka_failed |= (x->drain_end != 0 && strm_w_unanswered(err));

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR
        && (md->topic_cnt != 1 || md->topics[0].partition_cnt <= 0))
    {
        err = (md->topic_cnt == 1 && md->topics[0].err)
              ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        rd_kafka_metadata_destroy(md);
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys topic \"%s\": %s", x->topics[0],
                 rd_kafka_err2str(err));
        return -1;
    }

    n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);

    if (n <= x->nkparts) {
        return 0;
    }

    kpos = realloc(x->kpos, n * sizeof(int64_t));
    if (kpos == NULL) {
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys_store: out of memory");
        return -1;
    }

    x->kpos = kpos;

    for (i = x->nkparts; i < n; i++) {
        if (strm_keystore_applied(x->ks, i, &kpos[i]) != 0) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keys_store: %s", strm_keystore_error(x->ks));
            return -1;
        }
    }

    /* partition ids are 0 .. count - 1 */
    l = rd_kafka_topic_partition_list_new(n);

    for (i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(l, x->topics[0], i)->offset =
            kpos[i] > 0 ? kpos[i] : RD_KAFKA_OFFSET_BEGINNING;
    }

    err = rd_kafka_assign(x->applier, l);
    rd_kafka_topic_partition_list_destroy(l);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys topic: assign: %s", rd_kafka_err2str(err));
        return -1;
    }

    strm_w_log(x->nkparts ? STRM_W_LOG_NOTICE : STRM_W_LOG_INFO,
               "keys_store follows the %d partitions of \"%s\"", (int) n,
               x->topics[0]);
    x->nkparts = n;

    return 0;
}


/*
 * What the applier has read, applied to the store (the first poll waits
 * up to timeout ms).  A record whose message key is not its key link is
 * not applied (a tombstone of that key would not reach it).  0, or -1
 * when the store failed.
 */
static int
strm_export_keys_poll(strm_export_t *x, int timeout)
{
    int                  i, rc, won;
    int32_t              part;
    strm_keyrec_t        rec;
    rd_kafka_message_t  *rkm;
    char                 link[STRM_UUID_LEN + 1];

    for (i = 0; i < STRM_EXPORT_KEYS_POLL; i++) {
        rkm = rd_kafka_consumer_poll(x->applier, i == 0 ? timeout : 0);
        if (rkm == NULL) {
            return 0;
        }

        part = rkm->partition;

        if (part < 0 || part >= x->nkparts) {
            rd_kafka_message_destroy(rkm);
            continue;
        }

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (rkm->offset > x->kpos[part]) {
                x->kpos[part] = rkm->offset;
            }

            rd_kafka_message_destroy(rkm);
            continue;
        }

        if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_ERR, "keys_store consumer: %s",
                       rd_kafka_message_errstr(rkm));
            rd_kafka_message_destroy(rkm);
            continue;
        }

        rc = 1;

        if (rkm->key != NULL && rkm->key_len == STRM_UUID_LEN) {
            memcpy(link, rkm->key, STRM_UUID_LEN);
            link[STRM_UUID_LEN] = '\0';

            if (rkm->payload == NULL || rkm->len == 0) {
                rc = strm_keystore_apply(x->ks, part, rkm->offset, NULL,
                                         link, &won);

                if (rc >= 0 && strm_export_gone(x, link, 1) != 0) {
                    rc = -1;
                }

            } else if (strm_keyrec_from_json(rkm->payload, rkm->len, &rec)
                       == 0
                       && strcmp(rec.link, link) == 0)
            {
                rc = strm_keystore_apply(x->ks, part, rkm->offset, &rec,
                                         NULL, &won);

                /* its tombstone came first, in another partition */
                if (rc >= 0 && strm_export_gone(x, link, 0)) {
                    rc = strm_keystore_shred(x->ks, link);
                }
            }

            OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
        }

        if (rc < 0) {
            rd_kafka_message_destroy(rkm);
            return -1;
        }

        x->kpos[part] = rkm->offset + 1;
        rd_kafka_message_destroy(rkm);
    }

    return 0;
}


/*
 * The key links tombstones named, as the applier read them: a record
 * and its tombstone in two partitions (a tombstone written without the
 * session's partition) may be read tombstone first; the store would
 * then hold the link again.  add: 0 when added, -1 no memory; else 1
 * when link is there, 0 not.
 */
static int
strm_export_gone(strm_export_t *x, const char *link, int add)
{
    char      *slots, *s;
    size_t     i, j, size;
    uint32_t   h;

    if (x->gone_size == 0) {
        if (!add) {
            return 0;
        }

        x->gone = calloc(1024, STRM_UUID_LEN);
        if (x->gone == NULL) {
            return -1;
        }

        x->gone_size = 1024;
    }

    /* FNV-1a: the links are random */
    h = 2166136261u;

    for (i = 0; i < STRM_UUID_LEN; i++) {
        h = (h ^ (unsigned char) link[i]) * 16777619u;
    }

    for (i = h & (x->gone_size - 1); ; i = (i + 1) & (x->gone_size - 1)) {
        s = x->gone + i * STRM_UUID_LEN;

        if (s[0] == '\0') {
            break;
        }

        if (memcmp(s, link, STRM_UUID_LEN) == 0) {
            return add ? 0 : 1;
        }
    }

    if (!add) {
        return 0;
    }

    memcpy(s, link, STRM_UUID_LEN);
    x->ngone++;

    if (x->ngone * 2 < x->gone_size) {
        return 0;
    }

    /* half full: twice the slots */
    size = x->gone_size * 2;
    slots = calloc(size, STRM_UUID_LEN);
    if (slots == NULL) {
        return -1;
    }

    for (j = 0; j < x->gone_size; j++) {
        s = x->gone + j * STRM_UUID_LEN;

        if (s[0] == '\0') {
            continue;
        }

        h = 2166136261u;

        for (i = 0; i < STRM_UUID_LEN; i++) {
            h = (h ^ (unsigned char) s[i]) * 16777619u;
        }

        for (i = h & (size - 1); slots[i * STRM_UUID_LEN] != '\0';
             i = (i + 1) & (size - 1))
        {
            /* void */
        }

        memcpy(slots + i * STRM_UUID_LEN, s, STRM_UUID_LEN);
    }

    free(x->gone);
    x->gone = slots;
    x->gone_size = size;

    return 0;
}


/*
 * The exporter's store is a store like any other: the key links that
 * expired more than keys_retention ago are purged (an erasure, slots
 * overwritten), a bounded step each second, so that it does not grow
 * without bound; a batch made later withholds them.
 */
static void
strm_export_keys_purge(strm_export_t *x, int64_t now)
{
    size_t  n;

    if (strm_keystore_purge_some(x->ks, now - x->keys_retention,
                                 STRM_EXPORT_PURGE_STEP, &n)
        != 0)
    {
        strm_w_log(STRM_W_LOG_ERR, "keys_store: purge failed: %s",
                   strm_keystore_error(x->ks));
        return;
    }

    if (n > 0) {
        strm_w_log(STRM_W_LOG_NOTICE, "keys_store: %zu key links purged "
                   "(expired more than %lld s ago)", n,
                   (long long) (x->keys_retention / 1000));
    }
}


/*
 * The store applies the keys topic up to the end every partition has
 * now: a tombstone written before this moment is applied, compacted
 * away or not.  Bounded by the connector's timeout; 0, or -1 (the
 * reason in x->conn.last_error).
 */
static int
strm_export_keys_current(strm_export_t *x)
{
    int                               ms;
    int32_t                           i, behind;
    int64_t                          *end, deadline;
    rd_kafka_resp_err_t               err;
    rd_kafka_topic_partition_t       *tp;
    rd_kafka_topic_partition_list_t  *l;

    if (strm_export_keys_assign(x) != 0) {
        return -1;
    }

    end = calloc(x->nkparts, sizeof(int64_t));
    l = rd_kafka_topic_partition_list_new(x->nkparts);

    if (end == NULL || l == NULL) {
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys_store: out of memory");
        free(end);
        if (l != NULL) {
            rd_kafka_topic_partition_list_destroy(l);
        }
        return -1;
    }

    /*
     * The ends of all partitions in one request, bounded: "the offset at
     * the latest time" is the end.  rd_kafka_query_watermark_offsets()
     * does not keep to its timeout when the broker stops answering (the
     * demo's exporter waited there for minutes); this call does.
     */
    for (i = 0; i < x->nkparts; i++) {
        rd_kafka_topic_partition_list_add(l, x->topics[0], i)->offset =
            RD_KAFKA_OFFSET_END;
    }

    ms = strm_export_kafka_ms(x);
    err = ms > 0 ? rd_kafka_offsets_for_times(x->applier, l, ms)
                 : RD_KAFKA_RESP_ERR__TIMED_OUT;

    for (i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < l->cnt; i++) {
        tp = &l->elems[i];

        if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            err = tp->err;

        } else if (tp->partition >= 0 && tp->partition < x->nkparts) {
            end[tp->partition] = tp->offset < 0 ? 0 : tp->offset;
        }
    }

    rd_kafka_topic_partition_list_destroy(l);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        x->kafka_failed |= (x->drain_end != 0 && strm_w_unanswered(err));
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "keys topic \"%s\": ends: %s", x->topics[0],
                 rd_kafka_err2str(err));
        free(end);
        return -1;
    }

    deadline = strm_w_now_ms() + x->conn.timeout;

    if (x->drain_end != 0 && deadline > x->drain_end) {
        deadline = x->drain_end;
    }

    for ( ;; ) {
        behind = 0;

        for (i = 0; i < x->nkparts; i++) {
            behind += (x->kpos[i] < end[i]);
        }

        if (behind == 0) {
            free(end);
            return 0;
        }

        if (strm_w_now_ms() > deadline || strm_w_stopping()) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keys_store: %d partitions of \"%s\" not applied to "
                     "their end yet", (int) behind, x->topics[0]);
            free(end);
            return -1;
        }

        if (strm_export_keys_poll(x, 100) != 0) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keys_store: %s", strm_keystore_error(x->ks));
            free(end);
            return -1;
        }
    }
}


/*
 * The end of a partition: a committed batch whose last records are
 * gone (compaction of the keys topic) closes here.
 */
static void
strm_export_eof(strm_export_t *x, const rd_kafka_message_t *rkm)
{
    strm_export_part_t  *p;

    p = strm_export_part(x, rd_kafka_topic_name(rkm->rkt), rkm->partition, 0);

    if (p == NULL || p->full || p->pending_last < 0
        || rkm->offset <= p->pending_last)
    {
        return;
    }

    if (p->records > 0) {
        strm_export_close(x, p);

    } else {
        p->pending_last = -1;
    }
}


/*
 * An event line: the record's value as it is when it is one JSON
 * object on one line (what the gateway and strm-decrypt write); any
 * other value (a raw location's body) is wrapped, never dropped.
 * 1 a line, -1 no memory.
 */
static int
strm_export_line_event(strm_export_t *x, strm_export_part_t *p,
    const rd_kafka_message_t *rkm)
{
    int            rc;
    char          *line, *b64;
    size_t         n;
    json_t        *v;
    json_error_t   jerr;

    /*
     * The scan (no tree, no allocation) answers for almost every line;
     * what it is not sure of, jansson decides.
     */
    if (rkm->len > 0 && rkm->len < STRM_EXPORT_LINE_MAX
        && memchr(rkm->payload, '\n', rkm->len) == NULL
        && ((const char *) rkm->payload)[0] == '{')
    {
        v = NULL;

        if (strm_jscan_object(rkm->payload, rkm->len, 0)
            || (v = json_loadb(rkm->payload, rkm->len, 0, &jerr)) != NULL)
        {
            json_decref(v);

            if (strm_export_append(p, rkm->payload, rkm->len) != 0
                || strm_export_append(p, "\n", 1) != 0)
            {
                return -1;
            }

            return 1;
        }
    }

    x->wrapped++;

    n = strm_b64_encoded_len(rkm->len);
    b64 = malloc(n + 1);
    if (b64 == NULL) {
        return -1;
    }

    strm_b64_encode((unsigned char *) b64, rkm->payload, rkm->len);
    b64[n] = '\0';

    v = json_pack("{s:{s:s, s:s, s:i, s:I}, s:s}",
                  "strmExport", "error", "not one JSON object",
                  "topic", rd_kafka_topic_name(rkm->rkt),
                  "partition", (int) rkm->partition,
                  "offset", (json_int_t) rkm->offset,
                  "valueBase64", b64);
    free(b64);

    line = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);

    if (line == NULL) {
        return -1;
    }

    rc = (strm_export_append(p, line, strlen(line)) == 0
          && strm_export_append(p, "\n", 1) == 0) ? 1 : -1;
    free(line);

    return rc;
}


/*
 * A key record of the batch.  Its line is made when the batch is
 * written (strm_export_keys_lines()), and only if the exporter's key
 * store holds its key link then: here the record is only checked (a key
 * record of this KEK, its message key its key link) and kept as it
 * came, its key still wrapped (a 4-byte length, then the value).  A
 * tombstone makes no line.  1 kept, 0 none, -1 no memory.
 */
static int
strm_export_line_key(strm_export_t *x, strm_export_part_t *p,
    const rd_kafka_message_t *rkm)
{
    uint32_t             n;
    strm_keyrec_t        rec;
    strm_tink_keyset_t  *daead;

    if (rkm->payload == NULL || rkm->len == 0) {
        x->tombstones++;
        return 0;
    }

    if (rkm->len > STRM_EXPORT_LINE_MAX
        || strm_keyrec_from_json(rkm->payload, rkm->len, &rec) != 0
        || (rkm->key != NULL
            && (rkm->key_len != strlen(rec.link)
                || memcmp(rkm->key, rec.link, rkm->key_len) != 0))
        || strm_keys_unwrap(x->kek_ks, &rec, &daead) != STRM_OK)
    {
        OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
        x->key_failures++;
        strm_w_log(STRM_W_LOG_WARN, "%s[%d] offset %lld: not a key record "
                   "of this KEK: skipped", rd_kafka_topic_name(rkm->rkt),
                   (int) rkm->partition, (long long) rkm->offset);
        return 0;
    }

    strm_tink_keyset_free(daead);
    OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));

    n = (uint32_t) rkm->len;

    if (strm_export_append(p, (const char *) &n, sizeof(uint32_t)) != 0
        || strm_export_append(p, rkm->payload, rkm->len) != 0)
    {
        return -1;
    }

    return 1;
}


/*
 * The lines of a keys batch, made at each try of its write, after the
 * key store has applied the keys topic to its end (the caller sees to
 * that): a key link the store does not hold is not written, whether it
 * was forgotten (its tombstone later in the topic, compacted or not),
 * or lost to another candidate of its session and window.  The
 * key is unwrapped with the KEK and written as a Tink keyset, in clear
 * ("keyset") or encrypted with the customer's AES-GCM keyset
 * ("encryptedKeyset", empty associated data, as Tink's
 * KeysetHandle.write() does).  The lines go to p->obj (gzipped if so
 * configured).  0, or -1 (the reason in x->conn.last_error).
 */
static int
strm_export_keys_lines(strm_export_t *x, strm_export_part_t *p,
    uint64_t *lines, uint64_t *withheld)
{
    int                  rc, found;
    char                *ks, *line, *out;
    size_t               i, kslen, len, cap;
    uint32_t             n;
    strm_rc_t            trc;
    strm_keyrec_t        rec, held;
    strm_tink_keyset_t  *daead;

    *lines = *withheld = 0;
    out = NULL;
    len = cap = 0;
    rc = -1;

    for (i = 0; i + sizeof(uint32_t) <= p->len; i += n) {
        memcpy(&n, p->buf + i, sizeof(uint32_t));
        i += sizeof(uint32_t);

        if (strm_keyrec_from_json(p->buf + i, n, &rec) != 0) {
            continue;
        }

        found = strm_keystore_get(x->ks, rec.link, &held);
        OPENSSL_cleanse(&held, sizeof(strm_keyrec_t));

        if (found == 1 && strm_export_gone(x, rec.link, 0)) {
            found = 0;
        }

        if (found < 0) {
            OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keys_store: %s", strm_keystore_error(x->ks));
            goto done;
        }

        if (found == 0) {
            OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
            (*withheld)++;
            continue;
        }

        if (strm_keys_unwrap(x->kek_ks, &rec, &daead) != STRM_OK) {
            OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
            continue;
        }

        if (x->customer_ks != NULL) {
            trc = strm_tink_keyset_write_encrypted_json(daead, x->customer_ks,
                                                        (unsigned char *) "",
                                                        0, &ks, &kslen);
        } else {
            trc = strm_tink_keyset_write_json(daead, &ks, &kslen);
        }

        strm_tink_keyset_free(daead);

        if (trc != STRM_OK) {
            OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keyset: out of memory");
            goto done;
        }

        found = asprintf(&line, "{\"keyLink\":\"%s\",\"created\":%lld,"
                         "\"expires\":%lld,\"%s\":%s}\n", rec.link,
                         (long long) rec.created, (long long) rec.expires,
                         x->customer_ks ? "encryptedKeyset" : "keyset", ks);

        OPENSSL_cleanse(&rec, sizeof(strm_keyrec_t));

        if (x->customer_ks != NULL) {
            free(ks);

        } else {
            strm_tink_secret_free(ks, kslen);
        }

        if (found == -1) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keyset: out of memory");
            goto done;
        }

        found = strm_export_buf_append(&out, &len, &cap, line,
                                       (size_t) found);
        OPENSSL_cleanse(line, strlen(line));
        free(line);

        if (found != 0) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "keyset: out of memory");
            goto done;
        }

        (*lines)++;
    }

    if (p->obj != NULL) {
        OPENSSL_cleanse(p->obj, p->obj_len);
        free(p->obj);
        p->obj = NULL;
        p->obj_len = 0;
    }

    if (*lines == 0) {
        rc = 0;
        goto done;
    }

    if (x->gzip) {
        if (strm_export_gzip(out, len, &p->obj, &p->obj_len) != 0) {
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "gzip failed");
            goto done;
        }

        rc = 0;
        goto done;
    }

    p->obj = (unsigned char *) out;
    p->obj_len = len;
    out = NULL;
    rc = 0;

done:

    if (out != NULL) {
        OPENSSL_cleanse(out, cap);
        free(out);
    }

    return rc;
}


static int
strm_export_append(strm_export_part_t *p, const char *data, size_t len)
{
    char    *b;
    size_t   cap;

    if (p->len + len > p->cap) {
        cap = p->cap ? p->cap : 65536;

        while (cap < p->len + len) {
            cap *= 2;
        }

        b = realloc(p->buf, cap);
        if (b == NULL) {
            return -1;
        }

        p->buf = b;
        p->cap = cap;
    }

    memcpy(p->buf + p->len, data, len);
    p->len += len;

    return 0;
}


/* a growing buffer of keysets: what a move leaves behind is cleansed */
static int
strm_export_buf_append(char **buf, size_t *len, size_t *cap,
    const char *data, size_t n)
{
    char    *b;
    size_t   c;

    if (*len + n > *cap) {
        c = *cap ? *cap : 65536;

        while (c < *len + n) {
            c *= 2;
        }

        b = malloc(c);
        if (b == NULL) {
            return -1;
        }

        if (*buf != NULL) {
            memcpy(b, *buf, *len);
            OPENSSL_cleanse(*buf, *cap);
            free(*buf);
        }

        *buf = b;
        *cap = c;
    }

    memcpy(*buf + *len, data, n);
    *len += n;

    return 0;
}


/*
 * A batch is complete: its boundaries are committed first (the offset of
 * its first record, with its last offset as metadata), then it is
 * written.
 */
static void
strm_export_close(strm_export_t *x, strm_export_part_t *p)
{
    rd_kafka_resp_err_t  err;
    char                 meta[128];

    p->full = 1;
    p->backoff = 0;

    if (p->pending_last < 0) {
        snprintf(meta, sizeof(meta),
                 STRM_EXPORT_META_PREFIX " last=%lld ts=%lld",
                 (long long) p->last, (long long) p->ts);

        err = strm_export_commit(x, p, p->first, meta);

        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_ERR, "%s[%d]: committing the batch "
                       "%lld..%lld: %s", p->topic, (int) p->partition,
                       (long long) p->first, (long long) p->last,
                       rd_kafka_err2str(err));
            snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                     "commit: %s", rd_kafka_err2str(err));
            strm_export_pause(x, p, 1);
            p->retry_at = strm_w_now_ms() + 1000;
            return;
        }

        p->pending_last = p->last;
        p->pending_ts = p->ts;
    }

    strm_export_upload(x, p);
}


static void
strm_export_upload(strm_export_t *x, strm_export_part_t *p)
{
    int                  rc;
    uint64_t             lines, withheld;
    const char          *type;
    rd_kafka_resp_err_t  err;
    char                 name[2048];

    strm_export_object_name(x, p, name, sizeof(name));
    lines = p->lines;
    withheld = 0;

    /*
     * Keys: the store applies the keys topic to its end first, then the
     * lines are made of the key links it holds, at every try.
     */
    if (x->mode == STRM_EXPORT_KEYS && p->lines > 0
        && (strm_export_keys_current(x) != 0
            || strm_export_keys_lines(x, p, &lines, &withheld) != 0))
    {
        strm_export_retry(x, p, name);
        return;
    }

    if (lines > 0) {
        if (p->obj == NULL && x->gzip) {
            if (strm_export_gzip(p->buf, p->len, &p->obj, &p->obj_len) != 0) {
                strm_w_log(STRM_W_LOG_ERR, "gzip failed: stopping");
                strm_w_stop();
                return;
            }
        }

        type = x->gzip ? "application/gzip" : "application/x-ndjson";

        rc = strm_export_conn_put(&x->conn, name, type,
                                  p->obj ? p->obj : (unsigned char *) p->buf,
                                  p->obj ? p->obj_len : p->len);

        if (rc != 0) {
            strm_export_retry(x, p, name);
            return;
        }
    }

    err = strm_export_commit(x, p, p->last + 1, NULL);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* written: writing it again is harmless, so retry the whole */
        strm_w_log(STRM_W_LOG_ERR, "%s[%d]: committing offset %lld: %s",
                   p->topic, (int) p->partition, (long long) p->last + 1,
                   rd_kafka_err2str(err));
        snprintf(x->conn.last_error, sizeof(x->conn.last_error),
                 "commit: %s", rd_kafka_err2str(err));
        p->retry_at = strm_w_now_ms() + 1000;
        strm_export_pause(x, p, 1);
        return;
    }

    x->committed++;

    if (x->mode == STRM_EXPORT_KEYS) {
        x->lines += lines;
        x->withheld += withheld;
    }

    if (p->paused) {
        rd_kafka_topic_partition_list_t  *l;
        rd_kafka_error_t                 *e;

        /* what was fetched and skipped while paused is read again */
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset
            = p->last + 1;
        e = rd_kafka_seek_partitions(x->consumer, l, 10000);

        if (e != NULL) {
            strm_w_log(STRM_W_LOG_ERR, "%s[%d]: seek: %s", p->topic,
                       (int) p->partition, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }

        rd_kafka_topic_partition_list_destroy(l);
        strm_export_pause(x, p, 0);
        strm_w_log(STRM_W_LOG_NOTICE, "%s[%d]: written after %llu "
                   "retries, resumed", p->topic, (int) p->partition,
                   (unsigned long long) x->retries);
    }

    strm_export_part_reset(p);
}


/* a write failed: the partition waits, the batch is tried again later */
static void
strm_export_retry(strm_export_t *x, strm_export_part_t *p, const char *name)
{
    p->backoff = p->backoff ? p->backoff * 2 : 1000;

    if (p->backoff > x->retry_max) {
        p->backoff = x->retry_max;
    }

    p->retry_at = strm_w_now_ms() + p->backoff;
    x->retries++;

    strm_w_log(STRM_W_LOG_ERR, "writing %s failed: %s; %s[%d] paused, "
               "retry in %llds", name, x->conn.last_error, p->topic,
               (int) p->partition, (long long) p->backoff / 1000);
    strm_export_pause(x, p, 1);
}


/*
 * [YYYY/MM/DD/HH/]<topic>-<partition>-<first>-<last>.jsonl[.gz], the
 * hour of the batch's first record (UTC), offsets padded to 19 digits
 * so that names sort in offset order.
 */
static void
strm_export_object_name(strm_export_t *x, strm_export_part_t *p, char *name,
    size_t size)
{
    int        n;
    time_t     t;
    struct tm  tm;

    n = 0;

    if (x->time_prefix) {
        t = (time_t) (p->ts / 1000);
        gmtime_r(&t, &tm);
        n = (int) strftime(name, size, "%Y/%m/%d/%H/", &tm);
    }

    snprintf(name + n, size - n, "%s-%d-%019lld-%019lld.jsonl%s", p->topic,
             (int) p->partition, (long long) p->first, (long long) p->last,
             x->gzip ? ".gz" : "");
}


/* gzip (RFC 1952) with mtime 0: the same lines give the same bytes */
static int
strm_export_gzip(const char *in, size_t len, unsigned char **out,
    size_t *out_len)
{
    int        rc;
    z_stream   z;
    uLong      bound;

    memset(&z, 0, sizeof(z_stream));

    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        return -1;
    }

    bound = deflateBound(&z, (uLong) len) + 32;
    *out = malloc(bound);

    if (*out == NULL) {
        deflateEnd(&z);
        return -1;
    }

    z.next_in = (Bytef *) in;
    z.avail_in = (uInt) len;
    z.next_out = *out;
    z.avail_out = (uInt) bound;

    rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);

    if (rc != Z_STREAM_END) {
        free(*out);
        *out = NULL;
        return -1;
    }

    return 0;
}


/*
 * How long to wait for Kafka: STRM_EXPORT_KAFKA_MS, less while draining
 * (0: the drain is over).
 */
static int
strm_export_kafka_ms(strm_export_t *x)
{
    int64_t  left;

    if (x->drain_end == 0) {
        return STRM_EXPORT_KAFKA_MS;
    }

    left = x->drain_end - strm_w_now_ms();

    return left <= 0 ? 0 : left < STRM_EXPORT_KAFKA_MS ? (int) left
                                                         : STRM_EXPORT_KAFKA_MS;
}


/*
 * A commit of one partition's offset, with its metadata, waited for at
 * most strm_export_kafka_ms(): librdkafka's own commit waits for a
 * coordinator as long as the group's session lasts.  Not answered in
 * time, it may still land: committed, the batch's bounds tell the next
 * owner to write it; its end, that it was written.  Either is true.
 */
static rd_kafka_resp_err_t
strm_export_commit(strm_export_t *x, strm_export_part_t *p, int64_t offset,
    const char *meta)
{
    rd_kafka_resp_err_t               err;
    rd_kafka_topic_partition_t       *tp;
    rd_kafka_topic_partition_list_t  *l;

    l = rd_kafka_topic_partition_list_new(1);
    tp = rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    tp->offset = offset;

    if (meta != NULL) {
        tp->metadata = strdup(meta);
        tp->metadata_size = tp->metadata ? strlen(meta) : 0;
    }

    err = strm_w_commit(x->consumer, l, strm_export_kafka_ms(x));

    x->kafka_failed |= (x->drain_end != 0 && strm_w_unanswered(err));

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->committed = offset;
    }

    rd_kafka_topic_partition_list_destroy(l);

    return err;
}


static void
strm_export_pause(strm_export_t *x, strm_export_part_t *p, int pause)
{
    rd_kafka_topic_partition_list_t  *l;

    if (p->paused == pause) {
        return;
    }

    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition);

    if (pause) {
        rd_kafka_pause_partitions(x->consumer, l);

    } else {
        rd_kafka_resume_partitions(x->consumer, l);
    }

    rd_kafka_topic_partition_list_destroy(l);
    p->paused = pause;
}


/* batches that are old or idle close; failed ones are retried */
static void
strm_export_tick(strm_export_t *x, int64_t now, int draining)
{
    strm_export_part_t  *p;

    for (p = x->parts; p != NULL && !strm_w_stopping(); p = p->next) {
        if (p->full) {
            if (now >= p->retry_at) {
                if (p->pending_last < 0) {
                    strm_export_close(x, p);

                } else {
                    strm_export_upload(x, p);
                }
            }

            continue;
        }

        if (draining || p->records == 0 || p->pending_last >= 0) {
            continue;
        }

        if (now - p->opened >= x->batch_age
            || now - p->touched >= x->batch_idle)
        {
            strm_export_close(x, p);
        }
    }
}


/*
 * The records not yet exported: the high watermark less the committed
 * offset (the whole partition when nothing is committed), whatever was
 * fetched.  A batch closed but not written is lag: its commit is its
 * first offset.  The watermarks are librdkafka's cached ones.
 */
static int64_t
strm_export_lag(strm_export_t *x)
{
    int64_t              lag, lo, hi;
    strm_export_part_t  *p;

    lag = 0;

    for (p = x->parts; p != NULL; p = p->next) {
        if (rd_kafka_get_watermark_offsets(x->consumer, p->topic,
                                           p->partition, &lo, &hi)
            != RD_KAFKA_RESP_ERR_NO_ERROR
            || hi < 0)
        {
            continue;
        }

        if (p->committed >= 0) {
            lo = p->committed;
        }

        if (hi > lo) {
            lag += hi - lo;
        }
    }

    return lag;
}


/* the status file (JSON) and, beside it, .prom (Prometheus text) */
static void
strm_export_status(strm_export_t *x)
{
    FILE                *f;
    char                *text, *prom;
    size_t               len, waiting, open;
    json_t              *st;
    strm_export_part_t  *p;
    char                 path[4096];

    if (x->common.status_file == NULL) {
        return;
    }

    waiting = open = 0;

    for (p = x->parts; p != NULL; p = p->next) {
        waiting += p->full;
        open += (p->records > 0);
    }

    st = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                   " s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
                   "export", x->name, "connector", x->conn.url,
                   "instance_id", x->instance_id ? x->instance_id : "",
                   "mode", x->mode == STRM_EXPORT_KEYS ? "keys" : "events",
                   "time", (json_int_t) strm_w_now_ms(),
                   "lag", (json_int_t) x->lag,
                   "records", (json_int_t) x->records,
                   "lines", (json_int_t) x->lines,
                   "objects", (json_int_t) x->conn.objects,
                   "bytes", (json_int_t) x->conn.bytes,
                   "upload_failures", (json_int_t) x->conn.failures,
                   "requests", (json_int_t) x->conn.requests,
                   "batches_open", (json_int_t) open,
                   "batches_waiting", (json_int_t) waiting,
                   "wrapped", (json_int_t) x->wrapped,
                   "tombstones", (json_int_t) x->tombstones,
                   "withheld", (json_int_t) x->withheld,
                   "last_object", x->conn.last_object,
                   "last_error", x->conn.last_error);

    text = st ? json_dumps(st, JSON_INDENT(1)) : NULL;
    json_decref(st);

    if (text == NULL) {
        return;
    }

    strm_w_write_file(x->common.status_file, text, strlen(text));
    free(text);

    f = open_memstream(&prom, &len);
    if (f == NULL) {
        return;
    }

#define STRM_EXPORT_PROM(metric, type, help, value)                          \
    fprintf(f, "# HELP strm_export_%s %s\n# TYPE strm_export_%s %s\n"        \
               "strm_export_%s{export=\"%s\",connector=\"%s\"} %lld\n",      \
            metric, help, metric, type, metric, x->name, x->conn.url,        \
            (long long) (value));

    STRM_EXPORT_PROM("records_total", "counter", "Records consumed.",
                     x->records)
    STRM_EXPORT_PROM("lines_total", "counter", "JSON lines written in batches.",
                     x->lines)
    STRM_EXPORT_PROM("objects_total", "counter", "Objects written.",
                     x->conn.objects)
    STRM_EXPORT_PROM("bytes_total", "counter", "Bytes of objects written.",
                     x->conn.bytes)
    STRM_EXPORT_PROM("upload_failures_total", "counter",
                     "Writes that failed (retried).", x->conn.failures)
    STRM_EXPORT_PROM("wrapped_total", "counter",
                     "Records that were not one JSON object (wrapped).",
                     x->wrapped)
    STRM_EXPORT_PROM("withheld_total", "counter",
                     "Key links not exported: forgotten or losing "
                     "candidates.", x->withheld)
    STRM_EXPORT_PROM("batches_waiting", "gauge",
                     "Batches waiting for a retry of their write.", waiting)
    STRM_EXPORT_PROM("lag", "gauge", "Records not yet consumed.", x->lag)

#undef STRM_EXPORT_PROM

    fprintf(f, "# HELP strm_export_last_error Whether the last write "
               "failed.\n# TYPE strm_export_last_error gauge\n"
               "strm_export_last_error{export=\"%s\",connector=\"%s\"} %d\n",
            x->name, x->conn.url, x->conn.last_error[0] != '\0');

    if (fclose(f) == 0) {
        snprintf(path, sizeof(path), "%s.prom", x->common.status_file);
        strm_w_write_file(path, prom, len);
    }

    free(prom);
}


static void
strm_export_free(strm_w_t *w)
{
    strm_export_t  *x = w->data;

    size_t               i;
    strm_export_part_t  *p;

    /* a start that failed half-way */
    if (x->consumer != NULL) {
        rd_kafka_destroy(x->consumer);
        x->consumer = NULL;
    }

    if (x->applier != NULL) {
        rd_kafka_destroy(x->applier);
        x->applier = NULL;
    }

    if (x->ks != NULL) {
        strm_keystore_close(x->ks);
        x->ks = NULL;
    }

    free(x->kpos);
    free(x->gone);
    free(x->keys_store);

    while (x->parts != NULL) {
        p = x->parts;
        x->parts = p->next;
        strm_export_part_reset(p);
        free(p->topic);
        free(p);
    }

    if (x->kek_ks != NULL) {
        strm_tink_keyset_free(x->kek_ks);
    }

    if (x->customer_ks != NULL) {
        strm_tink_keyset_free(x->customer_ks);
    }

    strm_export_conn_free(&x->conn);
    strm_w_common_free(&x->common);

    for (i = 0; i < x->ntopics; i++) {
        free(x->topics[i]);
    }

    free(x->name);
    free(x->group);
    free(x->instance_id);
    free(x->kek);
    free(x->customer_kek);
}
