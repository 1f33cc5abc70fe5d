
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-keys topic: the keys topic's compaction settings, checked (and
 * the topic created with them) through Kafka's admin API, so that a
 * forgotten key's life in Kafka has a known bound (docs/keys.md).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "strm_error.h"
#include "strm_topic.h"
#include "strm_keys_topic.h"
#include "strm_worker_main.h"


#define STRM_KT_TOPIC_SETTINGS  16


typedef struct {
    int     n;
    size_t  len;
    char    json[4096];
} strm_kt_problems_t;


static rd_kafka_event_t *strm_kt_topic_wait(rd_kafka_queue_t *q,
    rd_kafka_event_type_t type, int timeout_ms);
static int strm_kt_topic_create(rd_kafka_t *rk, rd_kafka_queue_t *q,
    const char *topic, int partitions, int replicas, int timeout_ms);
static void strm_kt_topic_problem(void *arg, const char *sentence);
static void strm_kt_json(const char *s);


int
strm_kt_topic(rd_kafka_conf_t *conf, const char *topic, int create,
    int partitions, int replicas, int timeout_ms)
{
    int                               rc, n, created;
    char                              errstr[512];
    size_t                            i, nconf, nres, k;
    int64_t                           bound;
    const char                       *why;
    rd_kafka_t                       *rk;
    rd_kafka_event_t                 *ev;
    rd_kafka_queue_t                 *q;
    rd_kafka_resp_err_t               err;
    rd_kafka_AdminOptions_t          *opts;
    rd_kafka_ConfigResource_t        *res;
    strm_kt_problems_t                p;
    const rd_kafka_ConfigEntry_t    **entries;
    const rd_kafka_ConfigResource_t **results;
    strm_topic_setting_t              s[STRM_KT_TOPIC_SETTINGS];

    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        strm_w_log(STRM_W_LOG_ERR, "a Kafka client: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    q = rd_kafka_queue_new(rk);
    rc = 1;
    created = 0;
    ev = NULL;
    why = "";

again:

    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr,
                                              sizeof(errstr));

    res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(opts);

    ev = strm_kt_topic_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
                            timeout_ms);
    if (ev == NULL) {
        why = "no answer";
        goto unchecked;
    }

    err = rd_kafka_event_error(ev);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        why = rd_kafka_event_error_string(ev);
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\": its settings cannot be "
                   "read: %s", topic, why);
        goto unchecked;
    }

    results = rd_kafka_DescribeConfigs_result_resources(
                  rd_kafka_event_DescribeConfigs_result(ev), &nres);

    if (nres != 1) {
        why = "no settings reported";
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\": %s", topic, why);
        goto unchecked;
    }

    err = rd_kafka_ConfigResource_error(results[0]);

    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && create
        && !created)
    {
        rd_kafka_event_destroy(ev);
        ev = NULL;

        if (strm_kt_topic_create(rk, q, topic, partitions, replicas,
                                 timeout_ms)
            != 0)
        {
            goto done;
        }

        created = 1;
        goto again;
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\": %s", topic,
                   rd_kafka_ConfigResource_error_string(results[0])
                   ? rd_kafka_ConfigResource_error_string(results[0])
                   : rd_kafka_err2str(err));
        goto done;
    }

    entries = rd_kafka_ConfigResource_configs(results[0], &nconf);

    n = 0;
    for (i = 0; i < nconf && n < STRM_KT_TOPIC_SETTINGS; i++) {
        for (k = 0; k < strm_topic_keys_nsettings; k++) {
            if (strcmp(rd_kafka_ConfigEntry_name(entries[i]),
                       strm_topic_keys_settings[k].name)
                == 0)
            {
                s[n].name = rd_kafka_ConfigEntry_name(entries[i]);
                s[n].value = rd_kafka_ConfigEntry_value(entries[i]);
                n++;
                break;
            }
        }
    }

    memset(&p, 0, sizeof(p));
    strm_topic_check_keys(s, n, strm_kt_topic_problem, &p, &bound);

    printf("{\"topic\":");
    strm_kt_json(topic);
    printf(",\"created\":%s,\"checked\":true,\"settings\":{",
           created ? "true" : "false");

    for (i = 0; i < (size_t) n; i++) {
        printf("%s", i ? "," : "");
        strm_kt_json(s[i].name);
        printf(":");
        strm_kt_json(s[i].value ? s[i].value : "");
    }

    if (bound >= 0) {
        printf("},\"boundSeconds\":%lld", (long long) (bound / 1000));

    } else {
        printf("},\"boundSeconds\":null");
    }

    printf(",\"problems\":[%s]}\n", p.json);

    rc = p.n ? 1 : 0;
    goto done;

unchecked:

    /* a broker that cannot say (the dev broker): never taken for "ok" */

    printf("{\"topic\":");
    strm_kt_json(topic);
    printf(",\"created\":%s,\"checked\":false,\"error\":",
           created ? "true" : "false");
    strm_kt_json(why);
    printf("}\n");

done:

    if (ev != NULL) {
        rd_kafka_event_destroy(ev);
    }

    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);

    return rc;
}


/* the next event of that type on q, NULL if none came in time */
static rd_kafka_event_t *
strm_kt_topic_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
    int timeout_ms)
{
    rd_kafka_event_t  *ev;

    for ( ;; ) {
        /* the admin request times out by itself: a margin for it */
        ev = rd_kafka_queue_poll(q, timeout_ms + 2000);

        if (ev == NULL) {
            strm_w_log(STRM_W_LOG_ERR, "no answer from the brokers in "
                       "%d ms", timeout_ms);
            return NULL;
        }

        if (rd_kafka_event_type(ev) == type) {
            return ev;
        }

        rd_kafka_event_destroy(ev);
    }
}


static int
strm_kt_topic_create(rd_kafka_t *rk, rd_kafka_queue_t *q,
    const char *topic, int partitions, int replicas, int timeout_ms)
{
    int                        rc;
    char                       errstr[512];
    size_t                     i, n;
    rd_kafka_event_t          *ev;
    rd_kafka_NewTopic_t       *nt;
    rd_kafka_AdminOptions_t   *opts;
    const rd_kafka_topic_result_t  **res;

    nt = rd_kafka_NewTopic_new(topic, partitions, replicas, errstr,
                               sizeof(errstr));
    if (nt == NULL) {
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\": %s", topic, errstr);
        return 1;
    }

    for (i = 0; i < strm_topic_keys_nsettings; i++) {
        rd_kafka_NewTopic_set_config(nt, strm_topic_keys_settings[i].name,
                                     strm_topic_keys_settings[i].value);
    }

    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr,
                                              sizeof(errstr));
    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, errstr,
                                                sizeof(errstr));

    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_AdminOptions_destroy(opts);

    ev = strm_kt_topic_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT,
                            timeout_ms);
    if (ev == NULL) {
        return 1;
    }

    rc = 0;

    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\" not created: %s", topic,
                   rd_kafka_event_error_string(ev));
        rc = 1;

    } else {
        res = rd_kafka_CreateTopics_result_topics(
                  rd_kafka_event_CreateTopics_result(ev), &n);

        if (n != 1
            || (rd_kafka_topic_result_error(res[0])
                != RD_KAFKA_RESP_ERR_NO_ERROR
                && rd_kafka_topic_result_error(res[0])
                   != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
        {
            strm_w_log(STRM_W_LOG_ERR, "topic \"%s\" not created: %s",
                       topic, n == 1
                       ? rd_kafka_topic_result_error_string(res[0])
                       : "no result");
            rc = 1;
        }
    }

    rd_kafka_event_destroy(ev);

    return rc;
}


/* each problem: a warning in the log and a string in the JSON's list */
static void
strm_kt_topic_problem(void *arg, const char *sentence)
{
    strm_kt_problems_t  *p = arg;

    char    esc[1024];
    size_t  len;

    strm_w_log(STRM_W_LOG_WARN, "keys topic: %s", sentence);

    len = strm_json_escape(esc, sizeof(esc), sentence, strlen(sentence));

    if (len < sizeof(esc) && p->len + len + 4 < sizeof(p->json)) {
        p->len += snprintf(p->json + p->len, sizeof(p->json) - p->len,
                           "%s\"%.*s\"", p->n ? "," : "", (int) len, esc);
    }

    p->n++;
}


/* a JSON string on stdout */
static void
strm_kt_json(const char *s)
{
    char    esc[1024];
    size_t  len;

    len = strm_json_escape(esc, sizeof(esc), s, strlen(s));

    printf("\"%.*s\"", (int) (len < sizeof(esc) ? len : 0), esc);
}
