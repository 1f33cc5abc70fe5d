
/*
 * Copyright (C) ngx_strm authors
 */


#include "ngx_http_strm_keys_topic.h"
#include "ngx_http_strm_kafka.h"
#include "strm_topic.h"


#define NGX_HTTP_STRM_KEYS_TOPIC_WAIT      10000   /* ms, the request */
#define NGX_HTTP_STRM_KEYS_TOPIC_SETTINGS  16


typedef struct {
    rd_kafka_queue_t   *q;
    ngx_connection_t   *c;
    ngx_log_t          *log;
    const char         *topic;
    ngx_uint_t          done;
} ngx_http_strm_keys_topic_t;


static void ngx_http_strm_keys_topic_serve(void);
static void ngx_http_strm_keys_topic_result(rd_kafka_event_t *ev);
static void ngx_http_strm_keys_topic_problem(void *arg,
    const char *sentence);


static ngx_http_strm_keys_topic_t  ngx_http_strm_keys_topic;


ngx_int_t
ngx_http_strm_keys_topic_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    char                         errstr[256];
    rd_kafka_t                  *rk;
    rd_kafka_AdminOptions_t     *opts;
    rd_kafka_ConfigResource_t   *res;
    ngx_http_strm_keys_topic_t  *t = &ngx_http_strm_keys_topic;

    /* one worker says it: the others would only repeat it */

    if (smcf->keys_topic.len == 0
        || (ngx_process == NGX_PROCESS_WORKER && ngx_worker != 0))
    {
        return NGX_OK;
    }

    rk = ngx_http_strm_kafka_handle();
    if (rk == NULL) {
        return NGX_OK;
    }

    ngx_memzero(t, sizeof(ngx_http_strm_keys_topic_t));
    t->log = cycle->log;
    t->topic = (const char *) smcf->keys_topic.data;

    t->q = rd_kafka_queue_new(rk);
    if (t->q == NULL) {
        return NGX_OK;
    }

    t->c = ngx_http_strm_kafka_watch(cycle, t->q,
                                     ngx_http_strm_keys_topic_serve);
    if (t->c == NULL) {
        rd_kafka_queue_destroy(t->q);
        t->q = NULL;
        return NGX_OK;
    }

    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    (void) rd_kafka_AdminOptions_set_request_timeout(opts,
                                          NGX_HTTP_STRM_KEYS_TOPIC_WAIT,
                                          errstr, sizeof(errstr));

    res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t->topic);
    rd_kafka_DescribeConfigs(rk, &res, 1, opts, t->q);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(opts);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm keys topic \"%s\": settings asked", t->topic);

    return NGX_OK;
}


void
ngx_http_strm_keys_topic_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_strm_keys_topic_t  *t = &ngx_http_strm_keys_topic;

    if (t->q == NULL) {
        return;
    }

    ngx_http_strm_kafka_unwatch(t->c, t->q);
    rd_kafka_queue_destroy(t->q);
    t->c = NULL;
    t->q = NULL;
}


static void
ngx_http_strm_keys_topic_serve(void)
{
    rd_kafka_event_t            *ev;
    ngx_http_strm_keys_topic_t  *t = &ngx_http_strm_keys_topic;

    while (t->q != NULL && (ev = rd_kafka_queue_poll(t->q, 0)) != NULL) {

        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT
            && !t->done)
        {
            t->done = 1;
            ngx_http_strm_keys_topic_result(ev);
        }

        rd_kafka_event_destroy(ev);
    }
}


static void
ngx_http_strm_keys_topic_result(rd_kafka_event_t *ev)
{
    int                                n, problems;
    size_t                             i, k, nres, nconf;
    int64_t                            bound;
    const char                        *reason;
    rd_kafka_resp_err_t                err;
    const rd_kafka_ConfigEntry_t     **entries;
    const rd_kafka_ConfigResource_t  **res;
    ngx_http_strm_keys_topic_t        *t = &ngx_http_strm_keys_topic;
    strm_topic_setting_t               s[NGX_HTTP_STRM_KEYS_TOPIC_SETTINGS];

    err = rd_kafka_event_error(ev);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /*
         * The dev broker (librdkafka's mock cluster) answers no admin
         * request: a notice, since nothing is wrong with the gateway.
         */
        ngx_log_error(NGX_LOG_NOTICE, t->log, 0,
                      "strm keys topic \"%s\": its compaction settings "
                      "cannot be checked (%s), so how long a forgotten "
                      "key stays readable in Kafka is not known here: "
                      "see \"strm-keys topic\" in docs/keys.md",
                      t->topic, rd_kafka_event_error_string(ev));
        return;
    }

    res = rd_kafka_DescribeConfigs_result_resources(
              rd_kafka_event_DescribeConfigs_result(ev), &nres);

    if (nres != 1) {
        return;
    }

    err = rd_kafka_ConfigResource_error(res[0]);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        reason = rd_kafka_ConfigResource_error_string(res[0]);

        ngx_log_error(NGX_LOG_WARN, t->log, 0,
                      "strm keys topic \"%s\": %s; create it with "
                      "\"strm-keys topic create\" (docs/keys.md)",
                      t->topic, reason ? reason : rd_kafka_err2str(err));
        return;
    }

    entries = rd_kafka_ConfigResource_configs(res[0], &nconf);

    n = 0;
    for (i = 0; i < nconf && n < NGX_HTTP_STRM_KEYS_TOPIC_SETTINGS; i++) {
        for (k = 0; k < strm_topic_keys_nsettings; k++) {
            if (ngx_strcmp(rd_kafka_ConfigEntry_name(entries[i]),
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

    problems = strm_topic_check_keys(s, n, ngx_http_strm_keys_topic_problem,
                                     t, &bound);

    if (problems == 0) {
        ngx_log_error(NGX_LOG_NOTICE, t->log, 0,
                      "strm keys topic \"%s\": compacted; a forgotten key "
                      "stays readable in Kafka at most %L s", t->topic,
                      (int64_t) (bound / 1000));
    }
}


static void
ngx_http_strm_keys_topic_problem(void *arg, const char *sentence)
{
    ngx_http_strm_keys_topic_t  *t = arg;

    ngx_log_error(NGX_LOG_WARN, t->log, 0, "strm keys topic \"%s\": %s",
                  t->topic, sentence);
}
