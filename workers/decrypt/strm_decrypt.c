
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-decrypt: derived streams.  Consumes one source stream's
 * encrypted topic and feeds one topic per derived stream of its config:
 * an event is kept when its consent levels hold every level the derived
 * stream asks for, and only the PII fields of those levels are
 * decrypted (core/strm_derive.c).
 *
 *   strm-decrypt -c FILE [-t] [-X name=value]...
 *
 * At least once: an input offset is stored (enable.auto.offset.store is
 * off) only when every output message of that record and of every
 * record before it in its partition has been acknowledged, so kill -9
 * at any moment loses nothing; the price is duplicates after a restart.
 *
 * Exit codes: 0 done (SIGTERM/SIGINT drained), 1 a failure at run
 * time, 64 usage, 78 a configuration error (with file:line).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>

#include "strm_b64.h"
#include "strm_conf.h"
#include "strm_derive.h"
#include "strm_keys.h"
#include "strm_registry.h"
#include "strm_tink.h"
#include "strm_worker.h"


#define STRM_DECRYPT_MAP_SIZE      ((size_t) 1 << 30)
#define STRM_DECRYPT_MAX_DERIVED   64
#define STRM_DECRYPT_MAX_INFLIGHT  100000
#define STRM_DECRYPT_BATCH         100
#define STRM_DECRYPT_KEY_CACHE     65536
#define STRM_DECRYPT_DRAIN_MS      30000
#define STRM_DECRYPT_KAFKA_MS      10000   /* a commit, the group's close */
#define STRM_DECRYPT_LEVELS        STRM_DERIVE_MAX_LEVELS
#define STRM_DECRYPT_RULE_MAX_ACK  "acknowledge_unconsented_levels"


typedef struct strm_decrypt_rec_s  strm_decrypt_rec_t;


/* what one derived stream counted (since start, and at the last audit) */
typedef struct {
    uint64_t              in;
    uint64_t              kept;
    uint64_t              dropped;
    uint64_t              key_missing;
    uint64_t              failures;
    uint64_t              by_level[STRM_DECRYPT_LEVELS];
} strm_decrypt_count_t;


typedef struct {
    char                 *topic;
    char                 *purpose;
    char                 *owner;
    strm_derive_spec_t    spec;
    char                 *rule_file;    /* where "rule max" was */
    unsigned              rule_line;
    strm_decrypt_count_t  n;
    strm_decrypt_count_t  audited;
} strm_decrypt_derived_t;


/*
 * An input record waiting for its outputs' delivery reports, in the
 * offset order of its partition: an offset is stored only when every
 * record up to it is done.
 */
struct strm_decrypt_rec_s {
    strm_decrypt_rec_t   *next;
    int32_t               partition;
    int64_t               offset;
    unsigned              pending;
    unsigned              generation;
    int                   done;
};


typedef struct {
    strm_decrypt_rec_t   *head;
    strm_decrypt_rec_t   *tail;
    int                   done;     /* a record done, offset not stored */
} strm_decrypt_queue_t;


typedef struct {
    /* configuration */
    strm_w_common_t         common;
    strm_w_keys_t           keys_conf;
    char                   *schemas;
    char                   *source;
    char                   *topic;
    char                   *group;
    char                   *instance_id;    /* NULL: dynamic member */
    char                   *dead_letter;
    char                   *audit_log;
    char                   *audit_topic;
    int64_t                 audit_interval;
    strm_decrypt_derived_t  derived[STRM_DECRYPT_MAX_DERIVED];
    size_t                  nderived;

    /* run time */
    strm_registry_t        *reg;
    strm_tink_keyset_t     *kek_ks;
    strm_keys_t            *keys;
    rd_kafka_t             *consumer;
    rd_kafka_t             *producer;
    strm_derive_ctx_t      *dctx;             /* the record being derived */
    rd_kafka_headers_t     *move;             /* detached, for produce */
    unsigned                batched;          /* records since timers */
    FILE                   *audit;
    strm_decrypt_queue_t   *queues;           /* by partition */
    int32_t                 nqueues;
    int                     done;             /* a queue's done is set */
    strm_decrypt_rec_t     *spare;            /* records to reuse */
    unsigned                generation;       /* bumped on a revoke */
    uint64_t                inflight;
    uint64_t                malformed;
    uint64_t                stored;
    uint64_t                acked;            /* outputs Kafka has */
    int64_t                 lag;
    int64_t                 next_audit;
    int64_t                 next_status;
    int64_t                 next_keys;
    int64_t                 started;
    char                    batching[256];    /* librdkafka's, logged */
    char                    last_error[256];  /* never a value of an event */
} strm_decrypt_t;


static int strm_decrypt_conf(strm_decrypt_t *d, const char *path, char *err,
    size_t errlen);
static int strm_decrypt_conf_source(strm_decrypt_t *d, const strm_conf_t *src,
    char *err, size_t errlen);
static int strm_decrypt_conf_derived(strm_decrypt_t *d, const strm_conf_t *src,
    const strm_conf_t *blk, char *err, size_t errlen);
static int strm_decrypt_conf_rule(strm_decrypt_derived_t *dv,
    const strm_conf_t *c, char *err, size_t errlen);
static void strm_decrypt_warn_rule_max(strm_decrypt_t *d);
static int strm_decrypt_load(strm_decrypt_t *d, char *err, size_t errlen);
static int strm_decrypt_kafka(strm_decrypt_t *d, char *err, size_t errlen);
static void strm_decrypt_batching(strm_decrypt_t *d, rd_kafka_conf_t *cc,
    rd_kafka_conf_t *pc);
static void strm_decrypt_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque);
static void strm_decrypt_delivered(rd_kafka_t *rk,
    const rd_kafka_message_t *rkm, void *opaque);
static int strm_decrypt_record(strm_decrypt_t *d, rd_kafka_message_t *rkm);
static int strm_decrypt_produce(strm_decrypt_t *d, const char *topic,
    const rd_kafka_message_t  *in, const char *value, size_t len,
    strm_decrypt_rec_t        *rec, const char *derived);
static void strm_decrypt_dead_letter(strm_decrypt_t *d,
    const rd_kafka_message_t *rkm, strm_rc_t rc, const char *why,
    const unsigned char *failed, strm_decrypt_rec_t *rec);
static void strm_decrypt_done(strm_decrypt_t *d, strm_decrypt_rec_t *rec);
static void strm_decrypt_store(strm_decrypt_t *d);
static void strm_decrypt_rec_free(strm_decrypt_t *d, strm_decrypt_rec_t *r);
static strm_decrypt_queue_t *strm_decrypt_queue(strm_decrypt_t *d,
    int32_t partition);
static void strm_decrypt_audit_definitions(strm_decrypt_t *d);
static void strm_decrypt_audit_interval(strm_decrypt_t *d, int64_t now);
static void strm_decrypt_audit_line(strm_decrypt_t *d, json_t *line);
static void strm_decrypt_status(strm_decrypt_t *d);
static int strm_decrypt_refresh_keys(strm_decrypt_t *d);
static int strm_decrypt_forgotten(strm_decrypt_t *d,
    const rd_kafka_message_t *rkm, const char *link);
static int strm_decrypt_key_link(const char *json, size_t len, char *link);
static int strm_decrypt_json_member(const char **p, const char *end,
    const char *name);
static const char *strm_decrypt_json_string(const char *p, const char *end,
    int *esc);
static const char *strm_decrypt_json_skip(const char *p, const char *end);
static const char *strm_decrypt_json_space(const char *p, const char *end);
static int strm_decrypt_configure(strm_w_t *w);
static int strm_decrypt_test(strm_w_t *w);
static int strm_decrypt_start(strm_w_t *w);
static int strm_decrypt_run(strm_w_t *w);
static int strm_decrypt_drain(strm_w_t *w);
static int strm_decrypt_stop(strm_w_t *w);
static void strm_decrypt_free(strm_w_t *w);


static const strm_w_program_t  strm_decrypt_program = {
    "strm-decrypt",
    "",
    STRM_W_OPT_CONF | STRM_W_OPT_KAFKA,
    NULL,
    NULL,
    strm_decrypt_configure,
    strm_decrypt_test,
    strm_decrypt_start,
    strm_decrypt_run,
    strm_decrypt_drain,
    strm_decrypt_stop,
    strm_decrypt_free,
    "strm-decrypt -c CONFIG [-t] [-X name=value]...\n"
};


int
main(int argc, char **argv)
{
    strm_decrypt_t  d;

    memset(&d, 0, sizeof(strm_decrypt_t));

    return strm_w_main(&strm_decrypt_program, &d, argc, argv);
}


static int
strm_decrypt_configure(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    if (strm_decrypt_conf(d, w->conf_file, w->err, sizeof(w->err)) != 0
        || strm_decrypt_load(d, w->err, sizeof(w->err)) != 0)
    {
        return STRM_W_EX_CONFIG;
    }

    w->error_log = d->common.error_log;

    return STRM_W_EX_OK;
}


static int
strm_decrypt_test(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    strm_decrypt_warn_rule_max(d);

    printf("strm-decrypt: the configuration file %s syntax is ok, "
           "%zu derived streams of \"%s\"\n", w->conf_file, d->nderived,
           d->source);

    return STRM_W_EX_OK;
}


static int
strm_decrypt_start(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    if (strm_decrypt_kafka(d, w->err, sizeof(w->err)) != 0) {
        return STRM_W_EX_FAILED;
    }

    d->started = strm_w_now_ms();
    d->next_audit = d->started + d->audit_interval;
    d->next_status = d->started;
    d->next_keys = d->started + d->keys_conf.refresh;

    strm_decrypt_warn_rule_max(d);
    strm_decrypt_audit_definitions(d);
    strm_w_log(STRM_W_LOG_NOTICE, "consuming \"%s\" (group \"%s\", "
               "instance %s%s%s) into %zu derived streams", d->topic,
               d->group, d->instance_id ? "\"" : "",
               d->instance_id ? d->instance_id : "off (dynamic member)",
               d->instance_id ? "\"" : "", d->nderived);
    strm_w_log(STRM_W_LOG_NOTICE, "%s", d->batching);

    return STRM_W_EX_OK;
}


static int
strm_decrypt_run(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    int                  rc;
    int64_t              now;
    rd_kafka_message_t  *rkm;

    rc = STRM_W_EX_OK;

    while (!strm_w_stopping()) {

        /* logrotate moved the audit log: write a new one */
        if (strm_w_reopen() && d->audit != NULL) {
            fclose(d->audit);
            d->audit = fopen(d->audit_log, "a");
        }

        /* backpressure: Kafka is slower than the source */
        if (d->inflight >= STRM_DECRYPT_MAX_INFLIGHT) {
            rd_kafka_poll(d->producer, 100);
            strm_decrypt_store(d);
            continue;
        }

        rkm = rd_kafka_consumer_poll(d->consumer, 100);

        if (rkm != NULL) {
            if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (strm_decrypt_record(d, rkm) != 0) {
                    rd_kafka_message_destroy(rkm);
                    rc = STRM_W_EX_FAILED;
                    break;
                }

            } else if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
                char  why[512];

                /* e.g. fenced: another instance has our instance_id */
                (void) rd_kafka_fatal_error(d->consumer, why, sizeof(why));
                strm_w_log(STRM_W_LOG_ALERT, "consumer: fatal: %s: "
                           "stopping", why);
                rd_kafka_message_destroy(rkm);
                rc = STRM_W_EX_FAILED;
                break;

            } else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                strm_w_log(STRM_W_LOG_ERR, "consumer: %s",
                           rd_kafka_message_errstr(rkm));
                snprintf(d->last_error, sizeof(d->last_error),
                         "consumer: %s", rd_kafka_message_errstr(rkm));
            }

            rd_kafka_message_destroy(rkm);

            /*
             * Records one at a time: rd_kafka_consumer_poll() drops
             * those of a partition revoked meanwhile, where the batch
             * calls of librdkafka 2.0 may hand them out (a known issue
             * of that release).  The producer's delivery reports, the
             * clock and the timers are served once in a batch of
             * records, not once a record.
             */
            if (++d->batched < STRM_DECRYPT_BATCH) {
                continue;
            }
        }

        d->batched = 0;
        rd_kafka_poll(d->producer, 0);
        strm_decrypt_store(d);

        now = strm_w_now_ms();

        if (now >= d->next_audit) {
            strm_decrypt_audit_interval(d, now);
            d->next_audit = now + d->audit_interval;
        }

        if (now >= d->next_status) {
            d->lag = strm_w_lag(d->consumer);
            strm_decrypt_status(d);
            d->next_status = now + d->common.status_interval;
        }

        if (now >= d->next_keys) {
            if (strm_decrypt_refresh_keys(d) != 0) {
                rc = STRM_W_EX_FAILED;
                break;
            }

            d->next_keys = now + d->keys_conf.refresh;
        }
    }

    return rc;
}


/* what was produced is waited for, then its offsets stored (in stop) */
static int
strm_decrypt_drain(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    int64_t  drain;

    strm_w_log(STRM_W_LOG_NOTICE, "draining %llu records in flight",
               (unsigned long long) d->inflight);

    drain = strm_w_now_ms() + STRM_DECRYPT_DRAIN_MS;
    strm_decrypt_store(d);

    while (d->inflight > 0 && strm_w_now_ms() < drain
           && !strm_w_stopping())
    {
        rd_kafka_poll(d->producer, 100);
        strm_decrypt_store(d);
    }

    return STRM_W_EX_OK;
}


static int
strm_decrypt_stop(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    int                  ms;
    rd_kafka_resp_err_t  err;

    /*
     * Bounded when Kafka is gone: librdkafka's commit and close would
     * each wait as long as the group's session.  What is not committed
     * is read again by the next member (at least once).
     */
    strm_decrypt_store(d);
    err = strm_w_commit(d->consumer, NULL, STRM_DECRYPT_KAFKA_MS);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR
        && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    {
        strm_w_log(STRM_W_LOG_ERR, "committing at the stop: %s: what was "
                   "not committed is read again", rd_kafka_err2str(err));
    }

    /* an answer that refuses still lets the member leave its group */
    ms = strm_w_unanswered(err) ? 0 : STRM_DECRYPT_KAFKA_MS;

    d->lag = strm_w_lag(d->consumer);
    (void) strm_w_consumer_close(d->consumer, ms, strm_decrypt_rebalance);
    d->consumer = NULL;

    rd_kafka_flush(d->producer, 5000);

    strm_decrypt_audit_interval(d, strm_w_now_ms());
    strm_decrypt_status(d);

    rd_kafka_destroy(d->producer);
    d->producer = NULL;

    strm_w_log(STRM_W_LOG_NOTICE, "stopped, %llu offsets stored",
               (unsigned long long) d->stored);

    return w->rc;
}


/*
 * The configuration, nginx's language:
 *
 *   kafka { brokers host:port ...; brokers_file path;
 *           property name value; }
 *   schemas /etc/strm/schemas;
 *   keys { store /var/lib/strm/keys.mdb; kek /etc/strm/kek.json;
 *          refresh 60s; }
 *   dead_letter topic;
 *   audit_log path;  audit_topic topic;  audit_interval 60s;
 *   error_log path;  (the log lines; HUP opens it again)
 *   status_file path;  status_interval 5s;
 *   source demo {
 *       topic demo;  group strm-decrypt-demo;
 *       derived {
 *           type granular;  levels 0 1;  topic demo-0-1;
 *           purpose "...";  owner "...";  rule all;
 *       }
 *       (rule max acknowledge_unconsented_levels; see below)
 *   }
 */
static int
strm_decrypt_conf(strm_decrypt_t *d, const char *path, char *err, size_t errlen)
{
    int            rc;
    size_t         i;
    strm_conf_t   *root, *c;

    if (strm_conf_parse_file(path, &root, err, errlen) != STRM_OK) {
        return -1;
    }

    rc = -1;
    d->audit_interval = 60000;
    strm_w_common_init(&d->common);

    for (i = 0; i < root->nchildren; i++) {
        c = &root->children[i];

        rc = strm_w_conf_common(c, &d->common, err, errlen);

        if (rc != 1) {
            if (rc != 0) {
                goto done;
            }

            continue;
        }

        if (strcmp(c->name, "schemas") == 0) {
            rc = strm_w_conf_str(c, &d->schemas, err, errlen);

        } else if (strcmp(c->name, "dead_letter") == 0) {
            rc = strm_w_conf_str(c, &d->dead_letter, err, errlen);

        } else if (strcmp(c->name, "audit_log") == 0) {
            rc = strm_w_conf_str(c, &d->audit_log, err, errlen);

        } else if (strcmp(c->name, "audit_topic") == 0) {
            rc = strm_w_conf_str(c, &d->audit_topic, err, errlen);

        } else if (strcmp(c->name, "audit_interval") == 0) {
            rc = strm_w_conf_msec(c, 100, &d->audit_interval, err,
                                  errlen);

        } else if (strcmp(c->name, "keys") == 0) {
            rc = strm_w_conf_keys(c, &d->keys_conf, err, errlen);

        } else if (strcmp(c->name, "source") == 0) {
            if (d->source != NULL) {
                strm_conf_error(c, err, errlen, "one \"source\" per "
                                "strm-decrypt (run one per source stream)");
                rc = -1;

            } else {
                rc = strm_decrypt_conf_source(d, c, err, errlen);
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

    if (d->source == NULL) {
        snprintf(err, errlen, "%s: no \"source\" block", path);
        goto done;
    }

    if (d->common.kafka.brokers == NULL || d->schemas == NULL
        || d->keys_conf.store == NULL || d->keys_conf.kek == NULL)
    {
        snprintf(err, errlen, "%s: \"kafka { brokers ...; }\", \"schemas\" "
                 "and \"keys { store ...; kek ...; }\" are required", path);
        goto done;
    }

    rc = 0;

done:

    strm_conf_free(root);

    return rc;
}


static int
strm_decrypt_conf_source(strm_decrypt_t *d, const strm_conf_t *src, char *err,
    size_t errlen)
{
    size_t              i, j;
    const strm_conf_t  *c;

    if (!src->block || strm_conf_args(src, 1, 1, err, errlen) != STRM_OK) {
        if (!src->block) {
            strm_conf_error(src, err, errlen, "\"source NAME { ... }\" is "
                            "a block");
        }

        return -1;
    }

    d->source = strdup(src->args[0]);

    for (i = 0; i < src->nchildren; i++) {
        c = &src->children[i];

        if (strcmp(c->name, "derived") == 0) {
            if (strm_decrypt_conf_derived(d, src, c, err, errlen) != 0) {
                return -1;
            }

            continue;
        }

        if (c->block) {
            strm_conf_error(c, err, errlen, "unexpected block \"%s\"",
                            c->name);
            return -1;
        }

        if (strcmp(c->name, "topic") == 0 || strcmp(c->name, "group") == 0)
        {
            if (strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
                return -1;
            }

            if (c->name[0] == 't') {
                free(d->topic);
                d->topic = strdup(c->args[0]);

            } else {
                free(d->group);
                d->group = strdup(c->args[0]);
            }

            continue;
        }

        if (strcmp(c->name, "instance_id") == 0) {
            char  what[300];

            snprintf(what, sizeof(what), "decrypt-%s", d->source);

            if (strm_w_conf_instance_id(c, what, &d->instance_id, err,
                                        errlen)
                != 0)
            {
                return -1;
            }

            continue;
        }

        strm_conf_error(c, err, errlen, "unknown directive \"%s\" in "
                        "\"source\"", c->name);
        return -1;
    }

    if (d->nderived == 0) {
        strm_conf_error(src, err, errlen, "source \"%s\" has no "
                        "\"derived\" stream", d->source);
        return -1;
    }

    if (d->topic == NULL) {
        d->topic = strdup(d->source);
    }

    if (d->group == NULL) {
        d->group = malloc(strlen(d->source) + sizeof("strm-decrypt-"));
        if (d->group != NULL) {
            sprintf(d->group, "strm-decrypt-%s", d->source);
        }
    }

    for (i = 0; i < d->nderived; i++) {
        if (strcmp(d->derived[i].topic, d->topic) == 0) {
            snprintf(err, errlen, "%s:%u: derived stream topic \"%s\" is "
                     "the source topic", src->file, src->line, d->topic);
            return -1;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(d->derived[i].topic, d->derived[j].topic) == 0) {
                snprintf(err, errlen, "%s:%u: two derived streams write to "
                         "\"%s\"", src->file, src->line, d->derived[i].topic);
                return -1;
            }
        }
    }

    return 0;
}


/*
 * derived { type granular|cumulative; levels N ...; topic T;
 *           purpose "..."; owner "...";
 *           rule all | rule max acknowledge_unconsented_levels; }
 */
static int
strm_decrypt_conf_derived(strm_decrypt_t *d, const strm_conf_t *src,
    const strm_conf_t *blk, char *err, size_t errlen)
{
    size_t                   i, a;
    size_t                   len;
    uint64_t                 v;
    strm_decrypt_derived_t  *dv;
    const strm_conf_t       *c;
    const strm_conf_t       *levels;
    char                     why[256];

    if (!blk->block || blk->argc != 0) {
        strm_conf_error(blk, err, errlen, "\"derived { ... }\" is a block "
                        "without arguments");
        return -1;
    }

    if (d->nderived == STRM_DECRYPT_MAX_DERIVED) {
        strm_conf_error(blk, err, errlen, "more than %d derived streams",
                        STRM_DECRYPT_MAX_DERIVED);
        return -1;
    }

    dv = &d->derived[d->nderived];
    memset(dv, 0, sizeof(strm_decrypt_derived_t));
    levels = NULL;

    for (i = 0; i < blk->nchildren; i++) {
        c = &blk->children[i];

        if (c->block) {
            strm_conf_error(c, err, errlen, "unexpected block \"%s\"",
                            c->name);
            return -1;
        }

        if (strcmp(c->name, "type") == 0) {
            if (strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
                return -1;
            }

            if (strcmp(c->args[0], "granular") == 0) {
                dv->spec.type = STRM_DERIVE_GRANULAR;

            } else if (strcmp(c->args[0], "cumulative") == 0) {
                dv->spec.type = STRM_DERIVE_CUMULATIVE;

            } else {
                strm_conf_error(c, err, errlen, "invalid type \"%s\": "
                                "granular or cumulative", c->args[0]);
                return -1;
            }

        } else if (strcmp(c->name, "levels") == 0) {
            if (strm_conf_args(c, 1, STRM_DERIVE_MAX_LEVELS, err, errlen)
                != STRM_OK)
            {
                return -1;
            }

            for (a = 0; a < c->argc; a++) {
                if (strm_conf_uint(c->args[a], 1000, &v) != STRM_OK) {
                    strm_conf_error(c, err, errlen, "invalid level \"%s\": "
                                    "0 to 1000", c->args[a]);
                    return -1;
                }

                dv->spec.levels[a] = (int) v;
            }

            dv->spec.nlevels = c->argc;
            levels = c;

        } else if (strcmp(c->name, "rule") == 0) {
            if (strm_decrypt_conf_rule(dv, c, err, errlen) != 0) {
                return -1;
            }

        } else if (strcmp(c->name, "topic") == 0
                   || strcmp(c->name, "purpose") == 0
                   || strcmp(c->name, "owner") == 0)
        {
            if (strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
                return -1;
            }

            if (c->name[0] == 't') {
                free(dv->topic);
                dv->topic = strdup(c->args[0]);

            } else if (c->name[0] == 'p') {
                free(dv->purpose);
                dv->purpose = strdup(c->args[0]);

            } else {
                free(dv->owner);
                dv->owner = strdup(c->args[0]);
            }

        } else {
            strm_conf_error(c, err, errlen, "unknown directive \"%s\" in "
                            "\"derived\"", c->name);
            return -1;
        }
    }

    if (dv->spec.type == 0 || levels == NULL) {
        strm_conf_error(blk, err, errlen, "a derived stream needs \"type\" "
                        "and \"levels\"");
        return -1;
    }

    if (dv->purpose == NULL || dv->owner == NULL) {
        strm_conf_error(blk, err, errlen, "a derived stream needs "
                        "\"purpose\" and \"owner\": who uses this PII, "
                        "for what");
        return -1;
    }

    if (dv->spec.type == STRM_DERIVE_GRANULAR && dv->spec.max_rule) {
        strm_conf_error(blk, err, errlen, "\"rule\" is for cumulative "
                        "streams");
        return -1;
    }

    why[0] = '\0';

    if (strm_derive_check(&dv->spec, why, sizeof(why)) != STRM_OK) {
        strm_conf_error(levels, err, errlen, "%s", why);
        return -1;
    }

    if (dv->topic == NULL) {
        /* STRM's name of a derived stream: <source>-<levels joined by -> */
        len = strlen(src->args[0]) + 1;

        for (a = 0; a < dv->spec.nlevels; a++) {
            len += 6;
        }

        dv->topic = malloc(len);
        if (dv->topic == NULL) {
            return -1;
        }

        strcpy(dv->topic, src->args[0]);

        for (a = 0; a < dv->spec.nlevels; a++) {
            sprintf(dv->topic + strlen(dv->topic), "-%d",
                    dv->spec.levels[a]);
        }
    }

    d->nderived++;

    return 0;
}


/*
 * rule all;  or  rule max acknowledge_unconsented_levels;
 *
 * "rule max" (STRM's old reading of a cumulative stream) keeps an event
 * whose highest consent level is L or more, then decrypts every level
 * 0..L: levels the subject may never have consented to.  It stays
 * possible for producers that send only the highest level, but only
 * with the acknowledgement written next to it; it is warned about at -t
 * and at every start, and marked in the stream's audit definition.
 */
static int
strm_decrypt_conf_rule(strm_decrypt_derived_t *dv, const strm_conf_t *c,
    char *err, size_t errlen)
{
    if (strm_conf_args(c, 1, 2, err, errlen) != STRM_OK) {
        return -1;
    }

    if (strcmp(c->args[0], "all") == 0) {
        if (c->argc != 1) {
            strm_conf_error(c, err, errlen, "\"rule all\" takes no "
                            "\"%s\"", c->args[1]);
            return -1;
        }

        dv->spec.max_rule = 0;
        return 0;
    }

    if (strcmp(c->args[0], "max") != 0) {
        strm_conf_error(c, err, errlen, "invalid rule \"%s\": all (every "
                        "level 0..L) or max (highest level >= L)",
                        c->args[0]);
        return -1;
    }

    if (c->argc == 1) {
        strm_conf_error(c, err, errlen, "\"rule max\" decrypts PII levels "
                        "the subject never consented to (it keeps an event "
                        "whose highest level is L or more and decrypts "
                        "levels 0..L): use \"rule all\", or write \"rule "
                        "max %s;\"", STRM_DECRYPT_RULE_MAX_ACK);
        return -1;
    }

    if (strcmp(c->args[1], STRM_DECRYPT_RULE_MAX_ACK) != 0) {
        strm_conf_error(c, err, errlen, "invalid \"%s\": \"rule max\" "
                        "takes \"%s\"", c->args[1],
                        STRM_DECRYPT_RULE_MAX_ACK);
        return -1;
    }

    dv->spec.max_rule = 1;
    free(dv->rule_file);
    dv->rule_file = strdup(c->file);
    dv->rule_line = c->line;

    return 0;
}


/* at -t and at every start: the streams that decrypt beyond consent */
static void
strm_decrypt_warn_rule_max(strm_decrypt_t *d)
{
    size_t                   i;
    strm_decrypt_derived_t  *dv;

    for (i = 0; i < d->nderived; i++) {
        dv = &d->derived[i];

        if (dv->spec.max_rule) {
            strm_w_log(STRM_W_LOG_WARN, "%s:%u: derived stream \"%s\" has "
                       "\"rule max\": it decrypts PII levels the subject "
                       "never consented to (acknowledged)",
                       dv->rule_file ? dv->rule_file : "", dv->rule_line,
                       dv->topic);
        }
    }
}


static int
strm_decrypt_load(strm_decrypt_t *d, char *err, size_t errlen)
{
    char  why[512];

    why[0] = '\0';

    if (strm_registry_load(d->schemas, &d->reg, why, sizeof(why))
        != STRM_OK)
    {
        snprintf(err, errlen, "schemas \"%s\": %s", d->schemas, why);
        return -1;
    }

    if (strm_w_read_keyset(d->keys_conf.kek, "kek", &d->kek_ks, err,
                           errlen) != 0)
    {
        return -1;
    }

    d->dctx = strm_derive_ctx_new(d->reg);
    if (d->dctx == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    if (d->audit_log != NULL) {
        d->audit = fopen(d->audit_log, "a");
        if (d->audit == NULL) {
            snprintf(err, errlen, "audit_log \"%s\": %s", d->audit_log,
                     strerror(errno));
            return -1;
        }

        setvbuf(d->audit, NULL, _IOLBF, 0);
    }

    return strm_decrypt_refresh_keys(d) == 0 ? 0
           : (snprintf(err, errlen, "keys store \"%s\" cannot be opened "
                       "read-only", d->keys_conf.store), -1);
}


/*
 * The key store, opened again every "refresh" (a store file replaced
 * by a new one, rebuilt from the keys topic, is read from then on) and
 * whenever a cached key link left it (strm_decrypt_forgotten()): the
 * cache of ready keysets starts empty.
 */
static int
strm_decrypt_refresh_keys(strm_decrypt_t *d)
{
    char  why[512];

    /*
     * Closed first: LMDB must not have one file open twice in a
     * process (closing either would drop the other's locks).
     */
    if (d->keys != NULL) {
        strm_keys_close(d->keys);
        d->keys = NULL;
    }

    why[0] = '\0';

    if (strm_keys_open(d->keys_conf.store, STRM_DECRYPT_MAP_SIZE, 1, d->kek_ks,
                       86400000, STRM_DECRYPT_KEY_CACHE, &d->keys, why,
                       sizeof(why))
        != STRM_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "keys store \"%s\": %s",
                   d->keys_conf.store, why);
        snprintf(d->last_error, sizeof(d->last_error),
                 "keys store: cannot be opened");
        d->keys = NULL;
        return -1;
    }

    return 0;
}


/*
 * A key link forgotten (shredded, purged, a tombstone applied by
 * strm-keys sync or the gateway) must not decrypt one more event, yet
 * the cache of ready keysets (strm_keys_by_link()) would keep its key
 * for as long as the process runs.  So before a record goes through
 * the derived streams, the store is asked whether it still has the
 * record's key link: one LMDB read transaction (0.2 us), or none while
 * the store has had no commit since it last found that link
 * (strm_keystore_has()).  When it does
 * not but the cache still does, the cache goes (the store is opened
 * again) and the record's PII stays encrypted (key_missing).  The delay
 * of an erasure is then the store's, with nothing of ours added.
 */
static int
strm_decrypt_forgotten(strm_decrypt_t *d, const rd_kafka_message_t *rkm,
    const char *link)
{
    int                  n;
    strm_tink_keyset_t  *daead;

    n = strm_keystore_has(strm_keys_store(d->keys), link);

    if (n == 1) {
        return 0;
    }

    if (n < 0) {
        strm_w_log(STRM_W_LOG_ERR, "partition %d offset %lld: the key "
                   "store failed: stopping", (int) rkm->partition,
                   (long long) rkm->offset);
        snprintf(d->last_error, sizeof(d->last_error),
                 "keys store: cannot be read");
        return -1;
    }

    /* not in the store: from the cache it would still decrypt */
    if (strm_keys_by_link(d->keys, link, &daead) != STRM_OK) {
        return 0;
    }

    strm_w_log(STRM_W_LOG_NOTICE, "a key link left the key store: the "
               "cache of keys is dropped");

    return strm_decrypt_refresh_keys(d);
}


/*
 * strmMeta.keyLink of a record, as strm_derive_event() reads it: 1 and
 * the link, or 0 when it has none (then nothing of it is decrypted).
 * For the records the derive scan is not sure of (strm_derive_ctx_record()
 * reads the others' link in its scan).  jansson takes 8 us to parse a
 * 500-byte event, forty times the store's answer, so a scan looks for it
 * first: exact for valid JSON (anything else fails in strm_derive_event()
 * and decrypts nothing), it gives up on an escape in a member name on its
 * way or in the link, and jansson reads such a record.
 */
static int
strm_decrypt_key_link(const char *json, size_t len, char *link)
{
    int          rc, esc;
    json_t      *event, *v;
    const char  *p, *q, *end;

    if (json == NULL) {
        return 0;
    }

    p = json;
    end = json + len;

    rc = strm_decrypt_json_member(&p, end, "strmMeta");

    if (rc == 1) {
        rc = strm_decrypt_json_member(&p, end, "keyLink");
    }

    if (rc == 1) {
        q = (p < end && *p == '"') ? strm_decrypt_json_string(p, end, &esc)
                                   : NULL;
        if (q == NULL) {
            return 0;
        }

        if (!esc) {
            if (q - p - 2 != STRM_UUID_LEN) {
                return 0;
            }

            memcpy(link, p + 1, STRM_UUID_LEN);
            link[STRM_UUID_LEN] = '\0';

            return 1;
        }

        rc = -1;
    }

    if (rc == 0) {
        return 0;
    }

    /* an escape: jansson decodes it as strm_derive_event() does */
    event = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                       NULL);
    v = json_object_get(json_object_get(event, "strmMeta"), "keyLink");

    rc = (json_string_value(v) != NULL
          && json_string_length(v) == STRM_UUID_LEN
          && strlen(json_string_value(v)) == STRM_UUID_LEN);

    if (rc) {
        memcpy(link, json_string_value(v), STRM_UUID_LEN + 1);
    }

    json_decref(event);

    return rc;
}


/*
 * In the JSON object at *p, the member called name: 1 with *p on its
 * value, 0 when the object has none (or is no object), -1 when a member
 * name before it holds an escape (it could be name).
 */
static int
strm_decrypt_json_member(const char **p, const char *end, const char *name)
{
    int          esc, match;
    size_t       n;
    const char  *s, *e;

    n = strlen(name);
    s = strm_decrypt_json_space(*p, end);

    if (s == end || *s != '{') {
        return 0;
    }

    s++;

    for ( ;; ) {
        s = strm_decrypt_json_space(s, end);

        /* "}" too: no such member */
        if (s == end || *s != '"') {
            return 0;
        }

        e = strm_decrypt_json_string(s, end, &esc);

        if (e == NULL) {
            return 0;
        }

        if (esc) {
            return -1;
        }

        match = ((size_t) (e - s - 2) == n && memcmp(s + 1, name, n) == 0);

        s = strm_decrypt_json_space(e, end);

        if (s == end || *s != ':') {
            return 0;
        }

        s = strm_decrypt_json_space(s + 1, end);

        if (match) {
            *p = s;
            return 1;
        }

        s = strm_decrypt_json_skip(s, end);

        if (s == NULL) {
            return 0;
        }

        s = strm_decrypt_json_space(s, end);

        if (s == end || *s != ',') {
            return 0;
        }

        s++;
    }
}


/* past the JSON string whose opening quote is at p, or NULL */
static const char *
strm_decrypt_json_string(const char *p, const char *end, int *esc)
{
    *esc = 0;

    for (p++; p < end; p++) {
        if (*p == '"') {
            return p + 1;
        }

        if (*p == '\\') {
            *esc = 1;
            p++;
        }
    }

    return NULL;
}


/*
 * Past the JSON value that starts at p: a string, an object or an array
 * (brackets counted outside strings), or a scalar (up to the "," or the
 * bracket after it).  NULL when the input ends inside it.
 */
static const char *
strm_decrypt_json_skip(const char *p, const char *end)
{
    int     esc;
    size_t  depth;

    depth = 0;

    while (p < end) {
        switch (*p) {

        case '"':
            p = strm_decrypt_json_string(p, end, &esc);

            if (p == NULL || depth == 0) {
                return p;
            }

            continue;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (depth == 0) {
                return p;
            }

            if (--depth == 0) {
                return p + 1;
            }

            break;

        case ',':
            if (depth == 0) {
                return p;
            }

            break;

        default:
            break;
        }

        p++;
    }

    return (depth == 0) ? p : NULL;
}


static const char *
strm_decrypt_json_space(const char *p, const char *end)
{
    while (p < end
           && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


static int
strm_decrypt_kafka(strm_decrypt_t *d, char *err, size_t errlen)
{
    rd_kafka_conf_t  *cc, *pc;
    char              errstr[512];

    cc = strm_w_kafka_conf(&d->common.kafka, RD_KAFKA_CONSUMER, err,
                           errlen);
    if (cc == NULL) {
        return -1;
    }

    pc = strm_w_kafka_conf(&d->common.kafka, RD_KAFKA_PRODUCER, err,
                           errlen);
    if (pc == NULL) {
        rd_kafka_conf_destroy(cc);
        return -1;
    }

    if (rd_kafka_conf_set(cc, "group.id", d->group, errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || (d->instance_id != NULL
            && rd_kafka_conf_set(cc, "group.instance.id", d->instance_id,
                                 errstr, sizeof(errstr))
               != RD_KAFKA_CONF_OK)
        || rd_kafka_conf_set(cc, "enable.auto.offset.store", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(cc, "auto.offset.reset", "earliest", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(pc, "enable.idempotence", "true", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        snprintf(err, errlen, "kafka: %s", errstr);
        goto failed;
    }

    strm_decrypt_batching(d, cc, pc);

    rd_kafka_conf_set_opaque(cc, d);
    rd_kafka_conf_set_rebalance_cb(cc, strm_decrypt_rebalance);
    rd_kafka_conf_set_opaque(pc, d);
    rd_kafka_conf_set_dr_msg_cb(pc, strm_decrypt_delivered);

    d->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (d->producer == NULL) {
        snprintf(err, errlen, "kafka producer: %s", errstr);
        rd_kafka_conf_destroy(cc);
        return -1;
    }

    d->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (d->consumer == NULL) {
        snprintf(err, errlen, "kafka consumer: %s", errstr);
        return -1;
    }

    rd_kafka_poll_set_consumer(d->consumer);

    {
        rd_kafka_topic_partition_list_t  *sub;
        rd_kafka_resp_err_t               rerr;

        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, d->topic,
                                          RD_KAFKA_PARTITION_UA);
        rerr = rd_kafka_subscribe(d->consumer, sub);
        rd_kafka_topic_partition_list_destroy(sub);

        if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(err, errlen, "subscribe \"%s\": %s", d->topic,
                     rd_kafka_err2str(rerr));
            return -1;
        }
    }

    return 0;

failed:

    rd_kafka_conf_destroy(cc);
    rd_kafka_conf_destroy(pc);

    return -1;
}


/*
 * What sets the size of the consumer's fetches and of the producer's
 * batches, as librdkafka will use it: the kafka { } block's properties
 * and -X, over librdkafka's defaults (strm-decrypt sets none of these).
 */
static void
strm_decrypt_batching(strm_decrypt_t *d, rd_kafka_conf_t *cc,
    rd_kafka_conf_t *pc)
{
    size_t             i, n, len;
    rd_kafka_conf_t   *c;
    char               v[64];

    static const char  *names[] = {
        "C", "fetch.wait.max.ms", "C", "fetch.min.bytes",
        "C", "queued.max.messages.kbytes",
        "P", "linger.ms", "P", "batch.num.messages", "P", "batch.size"
    };

    n = snprintf(d->batching, sizeof(d->batching), "librdkafka:");

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i += 2) {
        c = names[i][0] == 'C' ? cc : pc;
        len = sizeof(v);

        if (rd_kafka_conf_get(c, names[i + 1], v, &len) != RD_KAFKA_CONF_OK) {
            continue;
        }

        n += snprintf(d->batching + n, sizeof(d->batching) - n, "%s%s %s%s",
                      i == 0 ? " consumer " : i == 6 ? "; producer " : " ",
                      names[i + 1], v, i == 4 || i == 10 ? "" : ",");

        if (n >= sizeof(d->batching)) {
            break;
        }
    }
}


/*
 * A revoke abandons the records in flight: their outputs still land,
 * but their offsets are not stored (another member reads them again:
 * duplicates, never a loss).  The stored offsets are committed first.
 */
static void
strm_decrypt_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    strm_decrypt_t      *d = opaque;
    int32_t              i;
    strm_decrypt_rec_t  *r;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        strm_w_log(STRM_W_LOG_NOTICE, "assigned %d partitions", parts->cnt);
        rd_kafka_assign(rk, parts);
        return;
    }

    strm_w_log(STRM_W_LOG_NOTICE, "revoked %d partitions", parts->cnt);

    /* the offsets of what is done, stored before they are committed */
    strm_decrypt_store(d);
    (void) strm_w_commit(rk, NULL, STRM_DECRYPT_KAFKA_MS);

    d->generation++;

    for (i = 0; i < d->nqueues; i++) {
        while (d->queues[i].head != NULL) {
            r = d->queues[i].head;
            d->queues[i].head = r->next;

            if (r->pending == 0) {
                strm_decrypt_rec_free(d, r);

            } else {
                /* its delivery reports free it */
                r->next = NULL;
                r->done = -1;
            }
        }

        d->queues[i].tail = NULL;
        d->queues[i].done = 0;
    }

    rd_kafka_assign(rk, NULL);
}


static strm_decrypt_queue_t *
strm_decrypt_queue(strm_decrypt_t *d, int32_t partition)
{
    int32_t                n;
    strm_decrypt_queue_t  *q;

    if (partition < 0) {
        return NULL;
    }

    if (partition >= d->nqueues) {
        n = partition + 1;

        q = realloc(d->queues, n * sizeof(strm_decrypt_queue_t));
        if (q == NULL) {
            return NULL;
        }

        memset(q + d->nqueues, 0,
               (n - d->nqueues) * sizeof(strm_decrypt_queue_t));
        d->queues = q;
        d->nqueues = n;
    }

    return &d->queues[partition];
}


/*
 * One record through every derived stream, each on its own: what one
 * stream makes of the record (kept, dropped, failed) never depends on
 * another one, nor on their order in the configuration.  A record that
 * fails in some stream (malformed, a field it decrypts that does not
 * decrypt) goes to the dead-letter topic once, naming those streams;
 * the others still get it as usual.
 */
static int
strm_decrypt_record(strm_decrypt_t *d, rd_kafka_message_t *rkm)
{
    int                      n;
    size_t                   i, l, nl, outlen, nfailed;
    const char              *out;
    strm_rc_t                rc, frc;
    strm_decrypt_rec_t      *rec;
    strm_decrypt_queue_t    *q;
    strm_decrypt_derived_t  *dv;
    strm_derive_result_t     res;
    char                     why[256], fwhy[256];
    unsigned char            failed[STRM_DECRYPT_MAX_DERIVED];
    char                     link[STRM_UUID_LEN + 1];

    q = strm_decrypt_queue(d, rkm->partition);

    if (d->spare != NULL) {
        rec = d->spare;
        d->spare = rec->next;

    } else {
        rec = malloc(sizeof(strm_decrypt_rec_t));
    }

    if (q == NULL || rec == NULL) {
        free(rec);
        strm_w_log(STRM_W_LOG_ALERT, "out of memory");
        return -1;
    }

    rec->next = NULL;
    rec->done = 0;
    rec->partition = rkm->partition;
    rec->offset = rkm->offset;
    rec->generation = d->generation;

    /* a guard: no delivery report may finish the record while it grows */
    rec->pending = 1;

    if (q->tail != NULL) {
        q->tail->next = rec;

    } else {
        q->head = rec;
    }

    q->tail = rec;
    d->inflight++;

    /*
     * The record is scanned once for every derived stream; the key
     * link comes from that scan (or, when the scan is not sure, from a
     * look of its own).
     */
    n = strm_derive_ctx_record(d->dctx, rkm->payload, rkm->len, link);

    if (n < 0) {
        n = strm_decrypt_key_link(rkm->payload, rkm->len, link);
    }

    if (n == 1 && strm_decrypt_forgotten(d, rkm, link) != 0) {
        return -1;
    }

    nfailed = 0;
    frc = STRM_OK;
    fwhy[0] = '\0';

    for (i = 0; i < d->nderived; i++) {
        dv = &d->derived[i];
        dv->n.in++;
        failed[i] = 0;
        why[0] = '\0';

        rc = strm_derive_ctx_event(d->dctx, d->keys, &dv->spec, &out,
                                   &outlen, &res, why, sizeof(why));

        if (rc == STRM_E_INTERNAL || rc == STRM_E_NOMEM) {
            /*
             * Ours, not the record's (the key store failed): stop with
             * its offset unstored, a restart reads it again.
             */
            strm_w_log(STRM_W_LOG_ERR, "partition %d offset %lld: %s: "
                       "stopping", (int) rkm->partition,
                       (long long) rkm->offset,
                       why[0] ? why : strm_error_get(rc)->message);
            return -1;
        }

        if (rc != STRM_OK) {
            /*
             * The record's fault, for this stream: a malformed record
             * fails in every stream, a field that does not decrypt only
             * in the streams that decrypt its level.  The next streams
             * still get the record.
             */
            dv->n.failures++;
            failed[i] = 1;

            if (nfailed++ == 0) {
                frc = rc;
                memcpy(fwhy, why, sizeof(fwhy));
            }

            continue;
        }

        if (!res.kept) {
            dv->n.dropped++;
            continue;
        }

        dv->n.kept++;
        dv->n.key_missing += res.key_missing ? 1 : 0;

        /* up to the level of its last decrypted field, not all 64 */
        for (l = 0, nl = 0; nl < res.decrypted && l < STRM_DECRYPT_LEVELS;
             l++)
        {
            dv->n.by_level[l] += res.by_level[l];
            nl += res.by_level[l];
        }

        /*
         * One derived stream: the record's only output takes its
         * headers as they are, not a copy (no dead letter follows).
         */
        if (d->nderived == 1
            && rd_kafka_message_detach_headers(rkm, &d->move)
               != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
            d->move = NULL;
        }

        /* librdkafka copies out, which is wiped at once */
        rc = strm_decrypt_produce(d, dv->topic, rkm, out, outlen, rec,
                                  dv->topic);

        strm_derive_ctx_wipe(d->dctx);

        if (rc != 0) {
            return -1;
        }
    }

    if (nfailed > 0) {
        d->malformed++;
        strm_decrypt_dead_letter(d, rkm, frc, fwhy, failed, rec);
    }

    rec->pending--;

    if (rec->pending == 0) {
        strm_decrypt_done(d, rec);
    }

    return 0;
}


static int
strm_decrypt_produce(strm_decrypt_t *d, const char *topic,
    const rd_kafka_message_t  *in, const char *value, size_t len,
    strm_decrypt_rec_t        *rec, const char *derived)
{
    rd_kafka_headers_t   *hin, *hout;
    rd_kafka_resp_err_t   err;

    if (d->move != NULL) {
        hout = d->move;
        d->move = NULL;

    } else if (rd_kafka_message_headers(in, &hin)
               == RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        hout = rd_kafka_headers_copy(hin);

    } else {
        hout = rd_kafka_headers_new(1);
    }

    if (derived != NULL) {
        rd_kafka_header_add(hout, "strm-derived", -1, derived, -1);
    }

    for ( ;; ) {
        err = rd_kafka_producev(d->producer,
                                RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(in->key, in->key_len),
                                RD_KAFKA_V_VALUE((void *) value, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(hout),
                                RD_KAFKA_V_OPAQUE(rec),
                                RD_KAFKA_V_END);

        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }

        /* the local queue is full: serve delivery reports, retry */
        rd_kafka_poll(d->producer, 100);
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hout);
        strm_w_log(STRM_W_LOG_ERR, "produce to \"%s\": %s", topic,
                   rd_kafka_err2str(err));
        return -1;
    }

    rec->pending++;

    return 0;
}


/* failed: per derived stream, 1 when the record failed in it */
static void
strm_decrypt_dead_letter(strm_decrypt_t *d, const rd_kafka_message_t *rkm,
    strm_rc_t rc, const char *why, const unsigned char *failed,
    strm_decrypt_rec_t *rec)
{
    char                *json, *b64;
    size_t               i;
    json_t              *dl, *streams;
    const strm_error_t  *e;

    e = strm_error_get(rc);

    strm_w_log(STRM_W_LOG_WARN, "partition %d offset %lld: %s (%s)",
               (int) rkm->partition, (long long) rkm->offset, e->code, why);
    snprintf(d->last_error, sizeof(d->last_error),
             "partition %d offset %lld: %s", (int) rkm->partition,
             (long long) rkm->offset, e->code);

    if (d->dead_letter == NULL) {
        return;
    }

    b64 = malloc(strm_b64_encoded_len(rkm->len) + 1);
    if (b64 == NULL) {
        return;
    }

    b64[strm_b64_encode((unsigned char *) b64, rkm->payload, rkm->len)] =
        '\0';

    streams = json_array();

    for (i = 0; i < d->nderived; i++) {
        if (failed[i]) {
            json_array_append_new(streams,
                                  json_string(d->derived[i].topic));
        }
    }

    dl = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:o, s:s}",
                   "topic", d->topic, "partition", (int) rkm->partition,
                   "offset", (json_int_t) rkm->offset, "code", e->code,
                   "error", e->message, "reason", why,
                   "derived", streams, "value_b64", b64);
    free(b64);

    json = dl ? json_dumps(dl, JSON_COMPACT) : NULL;
    json_decref(dl);

    if (json != NULL) {
        (void) strm_decrypt_produce(d, d->dead_letter, rkm, json, strlen(json),
                                    rec, NULL);
        free(json);
    }
}


static void
strm_decrypt_delivered(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
    void *opaque)
{
    strm_decrypt_t      *d = opaque;
    strm_decrypt_rec_t  *rec;

    (void) rk;

    rec = rkm->_private;

    if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /*
         * Not stored: the record stays in front of its partition's
         * queue, and a restart reads it again.  The idempotent producer
         * only gives up on fatal errors: stop and let the supervisor
         * start us again.
         */
        strm_w_log(STRM_W_LOG_ERR, "delivery to \"%s\" failed: %s: "
                   "stopping", rd_kafka_topic_name(rkm->rkt),
                   rd_kafka_err2str(rkm->err));
        snprintf(d->last_error, sizeof(d->last_error),
                 "delivery to \"%s\": %s", rd_kafka_topic_name(rkm->rkt),
                 rd_kafka_err2str(rkm->err));
        strm_w_stop();
        return;
    }

    d->acked++;

    if (rec == NULL || --rec->pending > 0) {
        return;
    }

    if (rec->done == -1) {
        /* abandoned by a revoke */
        strm_decrypt_rec_free(d, rec);
        d->inflight--;
        return;
    }

    strm_decrypt_done(d, rec);
}


/*
 * A record whose outputs are all acknowledged: its offset is stored by
 * strm_decrypt_store(), after the delivery reports of a poll, with
 * those of the others, not one call a record.
 */
static void
strm_decrypt_done(strm_decrypt_t *d, strm_decrypt_rec_t *rec)
{
    rec->done = 1;
    d->queues[rec->partition].done = 1;
    d->done = 1;
}


/*
 * For every partition with a record done: the offset after the longest
 * run of done records from its head, all in one list.
 */
static void
strm_decrypt_store(strm_decrypt_t *d)
{
    int32_t                           i;
    int64_t                           last;
    strm_decrypt_rec_t               *r;
    strm_decrypt_queue_t             *q;
    rd_kafka_resp_err_t               err;
    rd_kafka_topic_partition_list_t  *l;

    if (!d->done) {
        return;
    }

    d->done = 0;
    l = NULL;

    for (i = 0; i < d->nqueues; i++) {
        q = &d->queues[i];

        if (!q->done) {
            continue;
        }

        q->done = 0;
        last = -1;

        while (q->head != NULL && q->head->done == 1) {
            r = q->head;
            q->head = r->next;
            last = r->offset;
            strm_decrypt_rec_free(d, r);
            d->inflight--;
        }

        if (q->head == NULL) {
            q->tail = NULL;
        }

        if (last < 0) {
            continue;
        }

        if (l == NULL) {
            l = rd_kafka_topic_partition_list_new(d->nqueues);
        }

        rd_kafka_topic_partition_list_add(l, d->topic, i)->offset = last + 1;
    }

    if (l == NULL) {
        return;
    }

    err = rd_kafka_offsets_store(d->consumer, l);

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->stored += l->cnt;
    }

    rd_kafka_topic_partition_list_destroy(l);
}


static void
strm_decrypt_rec_free(strm_decrypt_t *d, strm_decrypt_rec_t *r)
{
    r->next = d->spare;
    d->spare = r;
}


static void
strm_decrypt_audit_definitions(strm_decrypt_t *d)
{
    size_t                   i, a;
    json_t                  *line, *levels;
    strm_decrypt_derived_t  *dv;

    for (i = 0; i < d->nderived; i++) {
        dv = &d->derived[i];
        levels = json_array();

        for (a = 0; a < dv->spec.nlevels; a++) {
            json_array_append_new(levels, json_integer(dv->spec.levels[a]));
        }

        line = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}",
                         "time", (json_int_t) strm_w_now_ms(),
                         "event", "derived_stream",
                         "source", d->source, "topic", dv->topic,
                         "type", dv->spec.type == STRM_DERIVE_GRANULAR
                                 ? "granular" : "cumulative",
                         "levels", levels,
                         "rule", dv->spec.type == STRM_DERIVE_GRANULAR
                                 ? "exact" : dv->spec.max_rule ? "max"
                                                                : "all",
                         "purpose", dv->purpose, "owner", dv->owner);

        if (line != NULL && dv->spec.max_rule) {
            /* consent of the highest level only: said where it is read */
            json_object_set_new(line, "ruleMaxAcknowledged", json_true());
            json_object_set_new(line, "warning", json_string(
                "rule max: decrypts PII levels the subject never "
                "consented to"));
        }

        strm_decrypt_audit_line(d, line);
    }
}


/* what each derived stream delivered since the last audit line */
static void
strm_decrypt_audit_interval(strm_decrypt_t *d, int64_t now)
{
    size_t                   i, l;
    json_t                  *line, *levels;
    strm_decrypt_derived_t  *dv;
    char                     name[16];

    for (i = 0; i < d->nderived; i++) {
        dv = &d->derived[i];

        if (dv->n.in == dv->audited.in) {
            continue;
        }

        levels = json_object();

        for (l = 0; l < STRM_DECRYPT_LEVELS; l++) {
            if (dv->n.by_level[l] != dv->audited.by_level[l]) {
                snprintf(name, sizeof(name), "%zu", l);
                json_object_set_new(levels, name, json_integer(
                    (json_int_t) (dv->n.by_level[l]
                                  - dv->audited.by_level[l])));
            }
        }

        line = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, "
                         "s:I, s:o}",
                         "time", (json_int_t) now, "event", "delivered",
                         "source", d->source, "topic", dv->topic,
                         "purpose", dv->purpose,
                         "in", (json_int_t) (dv->n.in - dv->audited.in),
                         "kept", (json_int_t) (dv->n.kept - dv->audited.kept),
                         "dropped",
                         (json_int_t) (dv->n.dropped - dv->audited.dropped),
                         "key_missing",
                         (json_int_t) (dv->n.key_missing
                                       - dv->audited.key_missing),
                         "failures",
                         (json_int_t) (dv->n.failures - dv->audited.failures),
                         "decrypted_by_level", levels);
        strm_decrypt_audit_line(d, line);

        dv->audited = dv->n;
    }
}


static void
strm_decrypt_audit_line(strm_decrypt_t *d, json_t *line)
{
    char  *text;

    if (line == NULL) {
        return;
    }

    text = json_dumps(line, JSON_COMPACT);
    json_decref(line);

    if (text == NULL) {
        return;
    }

    if (d->audit != NULL) {
        fprintf(d->audit, "%s\n", text);
        fflush(d->audit);
    }

    if (d->audit_topic != NULL && d->producer != NULL) {
        /* nobody waits for these: the audit log file is the record */
        (void) rd_kafka_producev(d->producer,
                                 RD_KAFKA_V_TOPIC(d->audit_topic),
                                 RD_KAFKA_V_VALUE(text, strlen(text)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END);
    }

    free(text);
}


/* the status file (JSON) and, beside it, .prom (Prometheus text) */
static void
strm_decrypt_status(strm_decrypt_t *d)
{
    FILE                    *f;
    size_t                   i, len;
    char                    *text, *prom;
    json_t                  *st, *ds;
    strm_decrypt_derived_t  *dv;
    char                     path[4096];

    if (d->common.status_file == NULL) {
        return;
    }

    ds = json_object();

    for (i = 0; i < d->nderived; i++) {
        dv = &d->derived[i];

        json_object_set_new(ds, dv->topic, json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
            "in", (json_int_t) dv->n.in, "kept", (json_int_t) dv->n.kept,
            "dropped_consent", (json_int_t) dv->n.dropped,
            "key_missing", (json_int_t) dv->n.key_missing,
            "decrypt_failures", (json_int_t) dv->n.failures,
            "purpose", dv->purpose, "owner", dv->owner));
    }

    st = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:o}",
                   "source", d->source, "topic", d->topic,
                   "instance_id", d->instance_id ? d->instance_id : "",
                   "time", (json_int_t) strm_w_now_ms(),
                   "lag", (json_int_t) d->lag,
                   "in_flight", (json_int_t) d->inflight,
                   "acked", (json_int_t) d->acked,
                   "malformed", (json_int_t) d->malformed,
                   "last_error", d->last_error,
                   "derived", ds);

    text = st ? json_dumps(st, JSON_INDENT(1)) : NULL;
    json_decref(st);

    if (text == NULL) {
        return;
    }

    strm_w_write_file(d->common.status_file, text, strlen(text));
    free(text);

    f = open_memstream(&prom, &len);
    if (f == NULL) {
        return;
    }

    fprintf(f, "# HELP strm_decrypt_lag Records of the source not yet "
               "consumed.\n# TYPE strm_decrypt_lag gauge\n"
               "strm_decrypt_lag{source=\"%s\"} %lld\n"
               "# HELP strm_decrypt_malformed_total Records sent to the "
               "dead-letter topic.\n"
               "# TYPE strm_decrypt_malformed_total counter\n"
               "strm_decrypt_malformed_total{source=\"%s\"} %llu\n",
            d->source, (long long) d->lag, d->source,
            (unsigned long long) d->malformed);

    fprintf(f, "# HELP strm_decrypt_last_error Whether an error happened "
               "(the status file says which).\n"
               "# TYPE strm_decrypt_last_error gauge\n"
               "strm_decrypt_last_error{source=\"%s\"} %d\n",
            d->source, d->last_error[0] != '\0');

#define STRM_DECRYPT_PROM(metric, help, field)                               \
    fprintf(f, "# HELP strm_decrypt_%s %s\n"                                 \
               "# TYPE strm_decrypt_%s counter\n", metric, help, metric);    \
    for (i = 0; i < d->nderived; i++) {                                      \
        fprintf(f, "strm_decrypt_%s{source=\"%s\",derived=\"%s\"} %llu\n",   \
                metric, d->source, d->derived[i].topic,                      \
                (unsigned long long) d->derived[i].n.field);                 \
    }

    STRM_DECRYPT_PROM("in_total", "Records read for the derived stream.", in)
    STRM_DECRYPT_PROM("kept_total", "Events delivered to the derived stream.",
                      kept)
    STRM_DECRYPT_PROM("dropped_consent_total",
                      "Events dropped: their consent lacks a level.",
                      dropped)
    STRM_DECRYPT_PROM("key_missing_total",
                      "Events delivered with their PII encrypted: key "
                      "shredded.", key_missing)
    STRM_DECRYPT_PROM("decrypt_failures_total", "Records that failed.",
                      failures)

#undef STRM_DECRYPT_PROM

    if (fclose(f) == 0) {
        snprintf(path, sizeof(path), "%s.prom", d->common.status_file);
        strm_w_write_file(path, prom, len);
    }

    free(prom);
}


static void
strm_decrypt_free(strm_w_t *w)
{
    strm_decrypt_t  *d = w->data;

    size_t               i;
    strm_decrypt_rec_t  *r;

    /* a start that failed half-way */
    if (d->consumer != NULL) {
        rd_kafka_destroy(d->consumer);
    }

    if (d->producer != NULL) {
        rd_kafka_destroy(d->producer);
    }

    for (i = 0; i < (size_t) d->nqueues; i++) {
        while (d->queues[i].head != NULL) {
            r = d->queues[i].head;
            d->queues[i].head = r->next;
            free(r);
        }
    }

    free(d->queues);

    while (d->spare != NULL) {
        r = d->spare;
        d->spare = r->next;
        free(r);
    }

    strm_derive_ctx_free(d->dctx);

    if (d->keys != NULL) {
        strm_keys_close(d->keys);
    }

    if (d->kek_ks != NULL) {
        strm_tink_keyset_free(d->kek_ks);
    }

    if (d->reg != NULL) {
        strm_registry_free(d->reg);
    }

    if (d->audit != NULL) {
        fclose(d->audit);
    }

    strm_w_common_free(&d->common);
    strm_w_keys_free(&d->keys_conf);

    for (i = 0; i < d->nderived; i++) {
        free(d->derived[i].topic);
        free(d->derived[i].purpose);
        free(d->derived[i].owner);
        free(d->derived[i].rule_file);
    }

    /* a derived block that failed half-way holds strings too */
    if (d->nderived < STRM_DECRYPT_MAX_DERIVED) {
        free(d->derived[d->nderived].topic);
        free(d->derived[d->nderived].purpose);
        free(d->derived[d->nderived].owner);
        free(d->derived[d->nderived].rule_file);
    }

    free(d->schemas);
    free(d->source);
    free(d->topic);
    free(d->group);
    free(d->instance_id);
    free(d->dead_letter);
    free(d->audit_log);
    free(d->audit_topic);
}
