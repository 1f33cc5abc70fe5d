
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_keys_sync.h"


/*
 * One consumer per worker, in a consumer group of its own (every worker
 * reads every partition; its store offsets, not the group's, say where
 * it starts).  Its queue is served in the event loop through an
 * eventfd, as the producer's is.  Each worker applies what it reads;
 * the store applies an offset once, whichever worker comes first, and
 * each worker wakes the requests of its own that wait for a candidate.
 */


#define NGX_HTTP_STRM_KEYS_SYNC_POLL   1000
#define NGX_HTTP_STRM_KEYS_SYNC_ROUND  1000
#define NGX_HTTP_STRM_KEYS_SYNC_PARTS  4096
#define NGX_HTTP_STRM_KEYS_SYNC_METADATA  2000


typedef struct {
    rd_kafka_t                 *rk;
    rd_kafka_queue_t           *q;
    ngx_connection_t           *c;
    ngx_event_t                 poll_ev;
    ngx_log_t                  *log;
    ngx_queue_t                 waiting;
    int64_t                    *next;       /* read up to, per partition */
    int64_t                    *stuck;      /* the store was full: -1 or
                                               the offset to read again */
    u_char                     *eof;        /* reached the end once */
    const char                 *topic;
    int32_t                     npart;
    ngx_uint_t                  assigned;
    ngx_uint_t                  down;       /* all brokers down */
} ngx_http_strm_keys_sync_t;


static ngx_int_t ngx_http_strm_keys_sync_consumer(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_keys_sync_assign(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_keys_sync_start(
    rd_kafka_topic_partition_list_t *parts);
static void ngx_http_strm_keys_sync_rebalance(rd_kafka_t *rk,
    rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
    void *opaque);
static void ngx_http_strm_keys_sync_error(rd_kafka_t *rk, int err,
    const char *reason, void *opaque);
static void ngx_http_strm_keys_sync_serve(void);
static void ngx_http_strm_keys_sync_poll(ngx_event_t *ev);
static void ngx_http_strm_keys_sync_record(rd_kafka_message_t *rkm);
static void ngx_http_strm_keys_sync_wake(void);
static void ngx_http_strm_keys_sync_full(int32_t p, int64_t offset);
static void ngx_http_strm_keys_sync_retry(void);
static void ngx_http_strm_keys_sync_fail(int32_t p, int64_t offset);


static ngx_http_strm_keys_sync_t  ngx_http_strm_keys_sync;


ngx_int_t
ngx_http_strm_keys_sync_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;
    ngx_memzero(s, sizeof(ngx_http_strm_keys_sync_t));
    ngx_queue_init(&s->waiting);
    s->log = cycle->log;
    s->topic = (const char *) smcf->keys_topic.data;

    if (smcf->keys_store.len == 0 || ngx_http_strm_keys() == NULL) {
        return NGX_OK;
    }

    if (ngx_http_strm_keys_sync_consumer(cycle, smcf) != NGX_OK) {
        ngx_http_strm_keys_sync_exit_process(cycle);
        return NGX_ERROR;
    }

    s->c = ngx_http_strm_kafka_watch(cycle, s->q,
                                     ngx_http_strm_keys_sync_serve);
    if (s->c == NULL) {
        ngx_http_strm_keys_sync_exit_process(cycle);
        return NGX_ERROR;
    }

    /* a safety net for a missed wake-up; never holds a graceful exit */
    s->poll_ev.handler = ngx_http_strm_keys_sync_poll;
    s->poll_ev.log = cycle->log;
    s->poll_ev.data = s;
    s->poll_ev.cancelable = 1;
    ngx_add_timer(&s->poll_ev, NGX_HTTP_STRM_KEYS_SYNC_POLL);

    return NGX_OK;
}


static ngx_int_t
ngx_http_strm_keys_sync_consumer(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    ngx_uint_t                        i;
    rd_kafka_conf_t                  *conf;
    ngx_http_strm_keys_sync_t        *s;
    rd_kafka_topic_partition_list_t  *sub;
    char                              errstr[512], group[256];

    static const char  *props[][2] = {
        { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },
        { "enable.partition.eof", "true" },
        { "auto.offset.reset", "earliest" },
        { "fetch.wait.max.ms", "10" },
        { "log.queue", "true" },
        { "allow.auto.create.topics", "true" },
        { "topic.metadata.refresh.interval.ms", "5000" },
        { NULL, NULL }
    };

    s = &ngx_http_strm_keys_sync;

    /* the brokers and a consumer's properties of strm_kafka_property */
    conf = ngx_http_strm_kafka_consumer_conf(smcf, errstr, sizeof(errstr));
    if (conf == NULL) {
        goto failed;
    }

    /* a group of its own: the worker reads every partition */
    ngx_snprintf((u_char *) group, sizeof(group) - 1,
                 "strm-keys-%V-%P-%T%Z", &cycle->hostname, ngx_pid,
                 ngx_time());

    if (rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK)
    {
        goto failed;
    }

    for (i = 0; props[i][0] != NULL; i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr,
                              sizeof(errstr))
            != RD_KAFKA_CONF_OK)
        {
            goto failed;
        }
    }

    rd_kafka_conf_set_rebalance_cb(conf, ngx_http_strm_keys_sync_rebalance);
    rd_kafka_conf_set_error_cb(conf, ngx_http_strm_keys_sync_error);

    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (s->rk == NULL) {
        goto failed;
    }

    conf = NULL;

    /* logs, errors and rebalances are served with the records */
    rd_kafka_set_log_queue(s->rk, NULL);
    rd_kafka_poll_set_consumer(s->rk);
    s->q = rd_kafka_queue_get_consumer(s->rk);

    if (ngx_http_strm_keys_sync_assign(cycle, smcf) == NGX_OK) {
        return NGX_OK;
    }

    /*
     * The partitions were not learnt in time: the group assigns them
     * when it forms (the rebalance callback), a few seconds later.
     */
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, (char *) smcf->keys_topic.data,
                                      RD_KAFKA_PARTITION_UA);

    if (rd_kafka_subscribe(s->rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(sub);
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm keys sync: cannot subscribe to \"%V\"",
                      &smcf->keys_topic);
        return NGX_ERROR;
    }

    rd_kafka_topic_partition_list_destroy(sub);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm keys sync: \"%V\" in group \"%s\"",
                   &smcf->keys_topic, group);

    return NGX_OK;

failed:

    if (conf != NULL) {
        rd_kafka_conf_destroy(conf);
    }

    ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                  "strm keys sync: the keys topic's consumer: %s", errstr);

    return NGX_ERROR;
}


void
ngx_http_strm_keys_sync_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;

    if (s->poll_ev.timer_set) {
        ngx_del_timer(&s->poll_ev);
    }

    ngx_http_strm_kafka_unwatch(s->c, s->q);
    s->c = NULL;

    if (s->q != NULL) {
        rd_kafka_queue_destroy(s->q);
        s->q = NULL;
    }

    if (s->rk != NULL) {
        /*
         * Nothing to commit (the store keeps the offsets) and a group of
         * its own to leave: no consumer close, which could wait for
         * brokers that are gone.
         */
        rd_kafka_destroy_flags(s->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        s->rk = NULL;
    }

    if (s->next != NULL) {
        ngx_free(s->next);
        s->next = NULL;
    }

    if (s->eof != NULL) {
        ngx_free(s->eof);
        s->eof = NULL;
    }

    if (s->stuck != NULL) {
        ngx_free(s->stuck);
        s->stuck = NULL;
    }

    s->assigned = 0;
}


ngx_uint_t
ngx_http_strm_keys_sync_ready(void)
{
    int32_t                     p;
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;

    if (s->rk == NULL || !s->assigned || s->down) {
        return 0;
    }

    for (p = 0; p < s->npart; p++) {
        if (!s->eof[p]) {
            return 0;
        }
    }

    return 1;
}


/*
 * The keys topic's partitions, asked of the brokers when the worker
 * starts, before it serves anything: a consumer group of its own would
 * take the brokers' initial rebalance delay (3 s by default) at every
 * start and reload.  Bounded; the group is the fallback.
 */
static ngx_int_t
ngx_http_strm_keys_sync_assign(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    int32_t                           p, n;
    ngx_int_t                         rc;
    rd_kafka_topic_t                 *rkt;
    rd_kafka_resp_err_t               err;
    ngx_http_strm_keys_sync_t        *s;
    const rd_kafka_metadata_t        *md;
    rd_kafka_topic_partition_list_t  *parts;

    s = &ngx_http_strm_keys_sync;

    rkt = rd_kafka_topic_new(s->rk, (char *) smcf->keys_topic.data, NULL);
    if (rkt == NULL) {
        return NGX_DECLINED;
    }

    md = NULL;
    err = rd_kafka_metadata(s->rk, 0, rkt, &md,
                            NGX_HTTP_STRM_KEYS_SYNC_METADATA);
    rd_kafka_topic_destroy(rkt);

    n = 0;

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1
        && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        n = md->topics[0].partition_cnt;
    }

    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }

    if (n <= 0) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "strm keys sync: the partitions of \"%V\" are not "
                      "known yet (%s): they come with a consumer group",
                      &smcf->keys_topic,
                      err ? rd_kafka_err2str(err) : "no partitions");
        return NGX_DECLINED;
    }

    parts = rd_kafka_topic_partition_list_new(n);
    if (parts == NULL) {
        return NGX_ERROR;
    }

    for (p = 0; p < n; p++) {
        rd_kafka_topic_partition_list_add(parts,
                                          (char *) smcf->keys_topic.data, p);
    }

    rc = ngx_http_strm_keys_sync_start(parts);

    if (rc == NGX_OK
        && rd_kafka_assign(s->rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        rc = NGX_ERROR;
    }

    rd_kafka_topic_partition_list_destroy(parts);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    s->assigned = 1;

    return NGX_OK;
}


/* each partition starts where the store left off (empty: the start) */
static ngx_int_t
ngx_http_strm_keys_sync_start(rd_kafka_topic_partition_list_t *parts)
{
    int                          i;
    int32_t                      p, n;
    int64_t                      next;
    strm_keys_t                 *k;
    ngx_http_strm_keys_sync_t   *s;

    s = &ngx_http_strm_keys_sync;

    k = ngx_http_strm_keys();
    n = 0;

    for (i = 0; i < parts->cnt; i++) {
        n = ngx_max(n, parts->elems[i].partition + 1);
    }

    if (k == NULL || n > NGX_HTTP_STRM_KEYS_SYNC_PARTS) {
        ngx_log_error(NGX_LOG_ALERT, s->log, 0,
                      "strm keys sync: %D partitions cannot be read", n);
        return NGX_ERROR;
    }

    if (n > s->npart) {
        ngx_free(s->next);
        ngx_free(s->eof);
        ngx_free(s->stuck);

        s->next = ngx_alloc(n * sizeof(int64_t), s->log);
        s->stuck = ngx_alloc(n * sizeof(int64_t), s->log);
        s->eof = ngx_alloc(n, s->log);

        if (s->next == NULL || s->eof == NULL || s->stuck == NULL) {
            s->npart = 0;
            return NGX_ERROR;
        }

        s->npart = n;
    }

    for (p = 0; p < s->npart; p++) {
        s->next[p] = 0;
        s->stuck[p] = -1;
        s->eof[p] = 1;
    }

    for (i = 0; i < parts->cnt; i++) {
        p = parts->elems[i].partition;

        if (strm_keystore_applied(strm_keys_store(k), p, &next) < 0) {
            next = 0;
        }

        parts->elems[i].offset = (next > 0) ? next
                                            : RD_KAFKA_OFFSET_BEGINNING;
        s->next[p] = next;
        s->eof[p] = 0;
    }

    ngx_log_error(NGX_LOG_INFO, s->log, 0,
                  "strm keys sync: reading %d partitions of \"%s\"",
                  parts->cnt,
                  parts->cnt ? parts->elems[0].topic : "the keys topic");

    return NGX_OK;
}


/* the fallback: the consumer group gives this worker every partition */
static void
ngx_http_strm_keys_sync_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;

    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ngx_log_error(NGX_LOG_INFO, s->log, 0,
                      "strm keys sync: partitions revoked");
        s->assigned = 0;
        (void) rd_kafka_assign(rk, NULL);
        return;
    }

    if (ngx_http_strm_keys_sync_start(parts) != NGX_OK) {
        (void) rd_kafka_assign(rk, NULL);
        return;
    }

    (void) rd_kafka_assign(rk, parts);
    s->assigned = 1;
}


static void
ngx_http_strm_keys_sync_error(rd_kafka_t *rk, int err, const char *reason,
    void *opaque)
{
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;

    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        s->down = 1;
    }

    ngx_log_error(NGX_LOG_WARN, s->log, 0, "strm keys sync: %s: %s",
                  rd_kafka_err2name((rd_kafka_resp_err_t) err), reason);
}


static void
ngx_http_strm_keys_sync_poll(ngx_event_t *ev)
{
    ngx_http_strm_keys_sync_retry();
    ngx_http_strm_keys_sync_serve();

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, NGX_HTTP_STRM_KEYS_SYNC_POLL);
    }
}


/* the consumer's records, a round's worth, then the waiting requests */
static void
ngx_http_strm_keys_sync_serve(void)
{
    ngx_uint_t                  n;
    rd_kafka_message_t         *rkm;
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;

    if (s->rk == NULL) {
        return;
    }

    for (n = 0; n < NGX_HTTP_STRM_KEYS_SYNC_ROUND; n++) {
        rkm = rd_kafka_consume_queue(s->q, 0);

        if (rkm == NULL) {
            break;
        }

        ngx_http_strm_keys_sync_record(rkm);
        rd_kafka_message_destroy(rkm);
    }

    ngx_http_strm_keys_sync_wake();

    if (n == NGX_HTTP_STRM_KEYS_SYNC_ROUND) {
        /* more than one round's worth: go on after other events */
        ngx_post_event(s->c->read, &ngx_posted_events);
    }
}


static void
ngx_http_strm_keys_sync_record(rd_kafka_message_t *rkm)
{
    int                         won, rc;
    int32_t                     p;
    strm_keys_t                *k;
    strm_keyrec_t               rec;
    ngx_http_strm_keys_sync_t  *s;
    char                        link[STRM_UUID_LEN + 1];

    s = &ngx_http_strm_keys_sync;
    p = rkm->partition;

    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (p >= 0 && p < s->npart && !s->eof[p]) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, s->log, 0,
                           "strm keys sync: partition %D read to its "
                           "end, offset %L", p, rkm->offset);
            s->eof[p] = 1;
        }

        s->down = 0;
        return;
    }

    if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_log_error(NGX_LOG_WARN, s->log, 0, "strm keys sync: %s",
                      rd_kafka_message_errstr(rkm));
        return;
    }

    s->down = 0;
    k = ngx_http_strm_keys();

    if (k == NULL || p < 0 || p >= s->npart) {
        return;
    }

    /* read before the partition was paused: it comes again */
    if (s->stuck[p] >= 0) {
        return;
    }

    /*
     * A store whose files were deleted or replaced takes nothing more:
     * what it would apply would be lost with it; the requests waiting
     * for it are answered now (503 keys_unavailable), a reload rebuilds
     */
    if (ngx_http_strm_keys_store_lost()) {
        ngx_http_strm_keys_sync_fail(p, rkm->offset);
        return;
    }

    if (rkm->payload == NULL) {
        if (rkm->key_len != STRM_UUID_LEN) {
            goto skip;
        }

        ngx_memcpy(link, rkm->key, STRM_UUID_LEN);
        link[STRM_UUID_LEN] = '\0';

        rc = strm_keystore_apply(strm_keys_store(k), p, rkm->offset, NULL,
                                 link, &won);

    } else {
        if (strm_keyrec_from_json(rkm->payload, rkm->len, &rec) != 0) {
            goto skip;
        }

        rc = strm_keystore_apply(strm_keys_store(k), p, rkm->offset, &rec,
                                 NULL, &won);
        ngx_explicit_memzero(&rec, sizeof(strm_keyrec_t));
    }

    if (rc < 0 && ngx_http_strm_keys_store_failed(s->log)) {
        /* full (logged once for the box): read again later, in order */
        ngx_http_strm_keys_sync_full(p, rkm->offset);
        return;
    }

    if (rc > 0) {
        ngx_http_strm_keys_store_written(s->log);
    }

    if (rc < 0) {
        /* not applied: the next start reads it again */
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "strm keys sync: partition %D offset %L not "
                      "applied: %s", p, rkm->offset,
                      strm_keystore_error(strm_keys_store(k)));
        return;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, s->log, 0,
                   "strm keys sync: partition %D offset %L %s%s", p,
                   rkm->offset, rkm->payload ? "record" : "tombstone",
                   rc == 0 ? ", applied before" : (won ? ", wins" : ""));

    s->next[p] = rkm->offset + 1;

    return;

skip:

    ngx_log_error(NGX_LOG_WARN, s->log, 0,
                  "strm keys sync: partition %D offset %L is not a key "
                  "record, skipped", p, rkm->offset);

    s->next[p] = rkm->offset + 1;
}


void
ngx_http_strm_keys_sync_wait(ngx_http_request_t *r, int32_t partition,
    int64_t offset, ngx_http_strm_keys_resume_pt resume)
{
    ngx_http_strm_ctx_t        *ctx;
    ngx_http_strm_keys_sync_t  *s;

    s = &ngx_http_strm_keys_sync;
    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ctx->keys_partition = partition;
    ctx->keys_offset = offset;
    ctx->keys_request = r;
    ctx->keys_resume = resume;

    ngx_queue_insert_tail(&s->waiting, &ctx->keys_queue);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm keys sync: waiting for partition %D offset %L",
                   partition, offset);

    /* the consumer may have read it before Kafka's answer came */
    if (partition >= 0 && partition < s->npart
        && s->next[partition] > offset)
    {
        ngx_queue_remove(&ctx->keys_queue);
        ngx_queue_init(&ctx->keys_queue);
        ctx->keys_request = NULL;
        resume(r);
    }
}


void
ngx_http_strm_keys_sync_cancel(ngx_http_request_t *r)
{
    ngx_http_strm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    if (ctx != NULL && ctx->keys_request != NULL) {
        ngx_queue_remove(&ctx->keys_queue);
        ngx_queue_init(&ctx->keys_queue);
        ctx->keys_request = NULL;
    }
}


/* the requests whose candidate the consumer has read now go on */
static void
ngx_http_strm_keys_sync_wake(void)
{
    int32_t                      p;
    ngx_queue_t                 *q, *next;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_strm_ctx_t         *ctx;
    ngx_http_strm_keys_sync_t   *s;

    s = &ngx_http_strm_keys_sync;

    for (q = ngx_queue_head(&s->waiting);
         q != ngx_queue_sentinel(&s->waiting);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_strm_ctx_t, keys_queue);
        p = ctx->keys_partition;

        if (p < 0 || p >= s->npart || s->next[p] <= ctx->keys_offset) {
            continue;
        }

        r = ctx->keys_request;
        c = r->connection;

        ngx_queue_remove(q);
        ngx_queue_init(q);
        ctx->keys_request = NULL;

        ngx_http_set_log_request(c->log, r);

        ctx->keys_resume(r);

        ngx_http_run_posted_requests(c);
    }
}


/*
 * The store was full at offset of partition p: the partition is paused
 * (nothing after the offset may be applied before it: the first
 * candidate wins), the requests waiting for it or later offsets are
 * answered now, and every second the offset is read again (a purge, an
 * erasure may have made room; a reload with a larger size reads it
 * again anyway, from the store's offsets).
 */
static void
ngx_http_strm_keys_sync_full(int32_t p, int64_t offset)
{
    ngx_http_strm_keys_sync_t        *s;
    rd_kafka_topic_partition_list_t  *parts;

    s = &ngx_http_strm_keys_sync;
    s->stuck[p] = offset;

    parts = rd_kafka_topic_partition_list_new(1);

    if (parts != NULL) {
        rd_kafka_topic_partition_list_add(parts, s->topic, p);
        (void) rd_kafka_pause_partitions(s->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
    }

    ngx_http_strm_keys_sync_fail(p, offset);
}


static void
ngx_http_strm_keys_sync_retry(void)
{
    int32_t                           p;
    rd_kafka_error_t                 *err;
    ngx_http_strm_keys_sync_t        *s;
    rd_kafka_topic_partition_list_t  *parts;

    s = &ngx_http_strm_keys_sync;

    for (p = 0; s->rk != NULL && p < s->npart; p++) {
        if (s->stuck[p] < 0) {
            continue;
        }

        parts = rd_kafka_topic_partition_list_new(1);
        if (parts == NULL) {
            return;
        }

        rd_kafka_topic_partition_list_add(parts, s->topic, p)->offset =
                                                                s->stuck[p];

        err = rd_kafka_seek_partitions(s->rk, parts, 0);

        if (err != NULL) {
            ngx_log_error(NGX_LOG_WARN, s->log, 0,
                          "strm keys sync: partition %D not read again: %s",
                          p, rd_kafka_error_string(err));
            rd_kafka_error_destroy(err);

        } else {
            s->stuck[p] = -1;
            (void) rd_kafka_resume_partitions(s->rk, parts);
        }

        rd_kafka_topic_partition_list_destroy(parts);
    }
}


/* the requests waiting for partition p at offset or later: 503 now */
static void
ngx_http_strm_keys_sync_fail(int32_t p, int64_t offset)
{
    ngx_queue_t                 *q, *next;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_strm_ctx_t         *ctx;
    ngx_http_strm_keys_sync_t   *s;

    s = &ngx_http_strm_keys_sync;

    for (q = ngx_queue_head(&s->waiting);
         q != ngx_queue_sentinel(&s->waiting);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_strm_ctx_t, keys_queue);

        if (ctx->keys_partition != p || ctx->keys_offset < offset) {
            continue;
        }

        r = ctx->keys_request;
        c = r->connection;

        ngx_queue_remove(q);
        ngx_queue_init(q);
        ctx->keys_request = NULL;

        ngx_http_set_log_request(c->log, r);

        /* the store does not know the session: 503 keys_unavailable */
        ctx->keys_resume(r);

        ngx_http_run_posted_requests(c);
    }
}
