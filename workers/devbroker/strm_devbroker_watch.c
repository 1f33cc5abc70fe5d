
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The dev broker's cap, said aloud.  librdkafka's mock cluster keeps
 * about 5 MiB (and at most 100,000 message sets) per partition and
 * silently deletes the oldest records beyond that: its start offset
 * moves.  A thread asks the cluster, as any client would (Metadata,
 * then ListOffsets for each partition), for every partition's low and
 * high watermark once a second; when a start offset moves it logs how
 * many records were dropped and where the partition now starts, and
 * GET /status shows the totals and the partitions concerned.
 *
 * A thread, because a broker taken down through the control API makes
 * these requests wait for their timeout: the control port must not.
 * The mock never deletes records otherwise (no retention, no
 * compaction, no DeleteRecords), so a start offset above 0 is records
 * dropped by the cap.
 */


#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strm_devbroker.h"


#define STRM_DEVBROKER_WATCH_MS       1000
#define STRM_DEVBROKER_WATCH_TIMEOUT  2000
#define STRM_DEVBROKER_WATCH_SHOWN    8


typedef struct {
    char                 *topic;
    int32_t               partition;
    int64_t               start;            /* low watermark */
    int64_t               end;              /* high watermark */
} strm_devbroker_watch_part_t;


static void *strm_devbroker_watch_thread(void *arg);
static void strm_devbroker_watch_once(void);
static void strm_devbroker_watch_seen(const char *topic, int32_t partition,
    int64_t lo, int64_t hi);
static void strm_devbroker_watch_log(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf);


static rd_kafka_t                   *strm_devbroker_watch_rk;
static pthread_t                     strm_devbroker_watch_tid;
static int                           strm_devbroker_watch_running;
static volatile int                  strm_devbroker_watch_quit;

static pthread_mutex_t               strm_devbroker_watch_mtx =
    PTHREAD_MUTEX_INITIALIZER;
static strm_devbroker_watch_part_t  *strm_devbroker_watch_parts;
static size_t                        strm_devbroker_watch_nparts;
static size_t                        strm_devbroker_watch_cap;
static int64_t                       strm_devbroker_watch_dropped;
static int64_t                       strm_devbroker_watch_checks;


int
strm_devbroker_watch_start(const char *bootstraps)
{
    rd_kafka_conf_t  *conf;
    char              errstr[512];

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, strm_devbroker_watch_log);

    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr,
                          sizeof(errstr))
        != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "client.id", "strm-devbroker-watch",
                             errstr, sizeof(errstr))
           != RD_KAFKA_CONF_OK)
    {
        strm_w_log(STRM_W_LOG_ALERT, "rd_kafka_conf_set() failed: %s",
                   errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }

    strm_devbroker_watch_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                           sizeof(errstr));
    if (strm_devbroker_watch_rk == NULL) {
        strm_w_log(STRM_W_LOG_ALERT, "rd_kafka_new() failed: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }

    strm_devbroker_watch_quit = 0;

    if (pthread_create(&strm_devbroker_watch_tid, NULL,
                       strm_devbroker_watch_thread, NULL)
        != 0)
    {
        strm_w_log(STRM_W_LOG_ALERT, "pthread_create() failed");
        rd_kafka_destroy(strm_devbroker_watch_rk);
        strm_devbroker_watch_rk = NULL;
        return -1;
    }

    strm_devbroker_watch_running = 1;

    return 0;
}


void
strm_devbroker_watch_stop(void)
{
    size_t  i;

    if (strm_devbroker_watch_running) {
        strm_devbroker_watch_quit = 1;
        (void) pthread_join(strm_devbroker_watch_tid, NULL);
        strm_devbroker_watch_running = 0;
    }

    if (strm_devbroker_watch_rk != NULL) {
        rd_kafka_destroy(strm_devbroker_watch_rk);
        strm_devbroker_watch_rk = NULL;
    }

    for (i = 0; i < strm_devbroker_watch_nparts; i++) {
        free(strm_devbroker_watch_parts[i].topic);
    }

    free(strm_devbroker_watch_parts);
    strm_devbroker_watch_parts = NULL;
    strm_devbroker_watch_nparts = 0;
    strm_devbroker_watch_cap = 0;
}


/*
 * The status's share, JSON members without braces:
 *   "dropped_records":N,"partitions_dropped":K,"watermark_checks":C,
 *   "dropped":[{"topic":T,"partition":P,"start_offset":S,
 *               "end_offset":E},...]
 * (the first few partitions).  The length written, or 0.
 */
size_t
strm_devbroker_watch_status(char *buf, size_t size)
{
    int                           n;
    size_t                        i, len, k, shown;
    strm_devbroker_watch_part_t  *p;

    (void) pthread_mutex_lock(&strm_devbroker_watch_mtx);

    k = 0;

    for (i = 0; i < strm_devbroker_watch_nparts; i++) {
        k += (strm_devbroker_watch_parts[i].start > 0);
    }

    n = snprintf(buf, size, "\"dropped_records\":%lld,"
                 "\"partitions_dropped\":%zu,\"watermark_checks\":%lld,"
                 "\"dropped\":[",
                 (long long) strm_devbroker_watch_dropped, k,
                 (long long) strm_devbroker_watch_checks);

    if (n < 0 || (size_t) n >= size) {
        (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);
        return 0;
    }

    len = n;
    shown = 0;

    for (i = 0; i < strm_devbroker_watch_nparts; i++) {
        p = &strm_devbroker_watch_parts[i];

        if (p->start == 0 || shown == STRM_DEVBROKER_WATCH_SHOWN) {
            continue;
        }

        n = snprintf(buf + len, size - len, "%s{\"topic\":\"%s\","
                     "\"partition\":%d,\"start_offset\":%lld,"
                     "\"end_offset\":%lld}", shown ? "," : "", p->topic,
                     (int) p->partition, (long long) p->start,
                     (long long) p->end);

        if (n < 0 || (size_t) n >= size - len) {
            break;
        }

        len += n;
        shown++;
    }

    (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);

    if (len + 2 > size) {
        return 0;
    }

    buf[len++] = ']';
    buf[len] = '\0';

    return len;
}


static void *
strm_devbroker_watch_thread(void *arg)
{
    int              i;
    struct timespec  ts;

    (void) arg;

    ts.tv_sec = 0;
    ts.tv_nsec = 100 * 1000000L;

    while (!strm_devbroker_watch_quit) {
        strm_devbroker_watch_once();

        for (i = 0; i < STRM_DEVBROKER_WATCH_MS / 100; i++) {
            if (strm_devbroker_watch_quit) {
                break;
            }

            (void) nanosleep(&ts, NULL);
        }
    }

    return NULL;
}


static void
strm_devbroker_watch_once(void)
{
    int                               t, p;
    int64_t                           lo, hi;
    rd_kafka_resp_err_t               err;
    const rd_kafka_metadata_t        *md;
    const rd_kafka_metadata_topic_t  *mt;

    err = rd_kafka_metadata(strm_devbroker_watch_rk, 1, NULL, &md,
                            STRM_DEVBROKER_WATCH_TIMEOUT);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* a broker taken down: the next round */
        return;
    }

    for (t = 0; t < md->topic_cnt && !strm_devbroker_watch_quit; t++) {
        mt = &md->topics[t];

        if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }

        for (p = 0; p < mt->partition_cnt && !strm_devbroker_watch_quit;
             p++)
        {
            err = rd_kafka_query_watermark_offsets(
                      strm_devbroker_watch_rk, mt->topic,
                      mt->partitions[p].id, &lo, &hi,
                      STRM_DEVBROKER_WATCH_TIMEOUT);

            if (err == RD_KAFKA_RESP_ERR_NO_ERROR && lo >= 0 && hi >= lo) {
                strm_devbroker_watch_seen(mt->topic, mt->partitions[p].id,
                                          lo, hi);
            }
        }
    }

    rd_kafka_metadata_destroy(md);

    (void) pthread_mutex_lock(&strm_devbroker_watch_mtx);
    strm_devbroker_watch_checks++;
    (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);
}


static void
strm_devbroker_watch_seen(const char *topic, int32_t partition, int64_t lo,
    int64_t hi)
{
    size_t                        i;
    int64_t                       was;
    strm_devbroker_watch_part_t  *p, *np;

    (void) pthread_mutex_lock(&strm_devbroker_watch_mtx);

    p = NULL;

    for (i = 0; i < strm_devbroker_watch_nparts; i++) {
        if (strm_devbroker_watch_parts[i].partition == partition
            && strcmp(strm_devbroker_watch_parts[i].topic, topic) == 0)
        {
            p = &strm_devbroker_watch_parts[i];
            break;
        }
    }

    if (p == NULL) {
        if (strm_devbroker_watch_nparts == strm_devbroker_watch_cap) {
            i = strm_devbroker_watch_cap ? strm_devbroker_watch_cap * 2 : 64;
            np = realloc(strm_devbroker_watch_parts,
                         i * sizeof(strm_devbroker_watch_part_t));

            if (np == NULL) {
                (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);
                return;
            }

            strm_devbroker_watch_parts = np;
            strm_devbroker_watch_cap = i;
        }

        p = &strm_devbroker_watch_parts[strm_devbroker_watch_nparts];
        p->topic = strdup(topic);

        if (p->topic == NULL) {
            (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);
            return;
        }

        p->partition = partition;
        p->start = 0;
        p->end = 0;
        strm_devbroker_watch_nparts++;
    }

    was = p->start;
    p->end = hi;

    if (lo > was) {
        p->start = lo;
        strm_devbroker_watch_dropped += lo - was;
    }

    (void) pthread_mutex_unlock(&strm_devbroker_watch_mtx);

    if (lo > was) {
        strm_w_log(STRM_W_LOG_WARN, "topic \"%s\" [%d]: %lld records "
                   "DROPPED (offsets %lld..%lld): the dev broker keeps "
                   "about 5 MiB per partition (librdkafka's mock); the "
                   "partition now starts at offset %lld, ends at %lld; "
                   "use more partitions or a real Kafka",
                   topic, (int) partition, (long long) (lo - was),
                   (long long) was, (long long) lo - 1, (long long) lo,
                   (long long) hi);
    }
}


static void
strm_devbroker_watch_log(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
    (void) rk;
    (void) level;

    /* a broker taken down on purpose is not news: debug only */

    strm_w_log(STRM_W_LOG_DEBUG, "watch: rdkafka %s: %s", fac, buf);
}
