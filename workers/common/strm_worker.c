
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strm_keys.h"
#include "strm_worker.h"


static int strm_w_conf_brokers(const strm_conf_t *k,
    strm_w_kafka_t *kf, char *err, size_t errlen);


int
strm_w_conf_str(const strm_conf_t *c, char **field, char *err,
    size_t errlen)
{
    if (c->block) {
        strm_conf_error(c, err, errlen, "\"%s\" is not a block", c->name);
        return -1;
    }

    if (strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
        return -1;
    }

    if (*field != NULL) {
        strm_conf_error(c, err, errlen, "\"%s\" is duplicate", c->name);
        return -1;
    }

    *field = strdup(c->args[0]);

    return *field == NULL ? -1 : 0;
}


int
strm_w_conf_instance_id(const strm_conf_t *c, const char *what, char **id,
    char *err, size_t errlen)
{
    size_t       n;
    const char  *p;
    char         host[256], buf[512];

    if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
        if (c->block) {
            strm_conf_error(c, err, errlen, "\"%s\" is not a block",
                            c->name);
        }

        return -1;
    }

    free(*id);
    *id = NULL;

    p = c->args[0];

    if (strcmp(p, "off") == 0) {
        return 0;
    }

    if (strcmp(p, "auto") == 0) {
        if (gethostname(host, sizeof(host)) != 0) {
            strm_conf_error(c, err, errlen, "gethostname() failed (%s): "
                            "give \"%s\" an id", strerror(errno), c->name);
            return -1;
        }

        host[sizeof(host) - 1] = '\0';
        snprintf(buf, sizeof(buf), "%s-%s", host, what);
        p = buf;
    }

    n = strlen(p);

    if (n == 0 || n > 249 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz"
                                       "0123456789._-") != n)
    {
        strm_conf_error(c, err, errlen, "invalid %s \"%.300s\" (1 to 249 "
                        "of A-Z a-z 0-9 . _ -)", c->name, p);
        return -1;
    }

    *id = strdup(p);

    return *id == NULL ? -1 : 0;
}


int
strm_w_conf_msec(const strm_conf_t *c, int64_t min, int64_t *ms,
    char *err, size_t errlen)
{
    if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
        if (c->block) {
            strm_conf_error(c, err, errlen, "\"%s\" is not a block",
                            c->name);
        }

        return -1;
    }

    if (strm_conf_msec(c->args[0], ms) != STRM_OK || *ms < min) {
        strm_conf_error(c, err, errlen, "invalid time \"%s\" (at least "
                        "%lldms)", c->args[0], (long long) min);
        return -1;
    }

    return 0;
}


int
strm_w_conf_size(const strm_conf_t *c, uint64_t min, uint64_t max,
    uint64_t *size, char *err, size_t errlen)
{
    if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
        if (c->block) {
            strm_conf_error(c, err, errlen, "\"%s\" is not a block",
                            c->name);
        }

        return -1;
    }

    if (strm_conf_size(c->args[0], size) != STRM_OK || *size < min
        || *size > max)
    {
        strm_conf_error(c, err, errlen, "invalid size \"%s\" (%llu to %llu "
                        "bytes)", c->args[0], (unsigned long long) min,
                        (unsigned long long) max);
        return -1;
    }

    return 0;
}


int
strm_w_conf_flag(const strm_conf_t *c, int *flag, char *err,
    size_t errlen)
{
    if (c->block || strm_conf_args(c, 1, 1, err, errlen) != STRM_OK) {
        if (c->block) {
            strm_conf_error(c, err, errlen, "\"%s\" is not a block",
                            c->name);
        }

        return -1;
    }

    if (strm_conf_flag(c->args[0], flag) != STRM_OK) {
        strm_conf_error(c, err, errlen, "invalid value \"%s\": on or off",
                        c->args[0]);
        return -1;
    }

    return 0;
}


int
strm_w_conf_kafka(const strm_conf_t *c, strm_w_kafka_t *k,
    char *err, size_t errlen)
{
    size_t              i;
    json_t             *props;
    const strm_conf_t  *p;

    if (!c->block || c->argc != 0) {
        strm_conf_error(c, err, errlen, "\"kafka\" is a block without "
                        "arguments");
        return -1;
    }

    if (k->properties != NULL) {
        strm_conf_error(c, err, errlen, "\"kafka\" is duplicate");
        return -1;
    }

    k->properties = json_object();
    k->cproperties = json_object();
    k->pproperties = json_object();

    if (k->properties == NULL || k->cproperties == NULL
        || k->pproperties == NULL)
    {
        return -1;
    }

    for (i = 0; i < c->nchildren; i++) {
        p = &c->children[i];

        if (p->block) {
            strm_conf_error(p, err, errlen, "unexpected block \"%s\"",
                            p->name);
            return -1;
        }

        if (strcmp(p->name, "brokers") == 0
            || strcmp(p->name, "brokers_file") == 0)
        {
            if (strm_w_conf_brokers(p, k, err, errlen) != 0) {
                return -1;
            }

            continue;
        }

        if (strcmp(p->name, "property") == 0) {
            props = k->properties;

        } else if (strcmp(p->name, "consumer_property") == 0) {
            props = k->cproperties;

        } else if (strcmp(p->name, "producer_property") == 0) {
            props = k->pproperties;

        } else {
            strm_conf_error(p, err, errlen, "unknown directive \"%s\" in "
                            "\"kafka\"", p->name);
            return -1;
        }

        if (strm_conf_args(p, 2, 2, err, errlen) != STRM_OK) {
            return -1;
        }

        json_object_set_new(props, p->args[0], json_string(p->args[1]));
    }

    if (k->brokers == NULL) {
        strm_conf_error(c, err, errlen, "\"kafka\" needs \"brokers\" or "
                        "\"brokers_file\"");
        return -1;
    }

    return 0;
}


static int
strm_w_conf_brokers(const strm_conf_t *k, strm_w_kafka_t *kf,
    char *err, size_t errlen)
{
    FILE    *f;
    size_t   a, n, len;
    char     buf[4096];

    if (kf->brokers != NULL) {
        strm_conf_error(k, err, errlen, "brokers are set twice");
        return -1;
    }

    if (strcmp(k->name, "brokers_file") == 0) {
        if (strm_conf_args(k, 1, 1, err, errlen) != STRM_OK) {
            return -1;
        }

        f = fopen(k->args[0], "r");
        n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

        if (f != NULL) {
            fclose(f);
        }

        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '
                         || buf[n - 1] == '\r'))
        {
            n--;
        }

        buf[n] = '\0';

        if (n == 0 || strchr(buf, ':') == NULL) {
            strm_conf_error(k, err, errlen, "no brokers in \"%s\"",
                            k->args[0]);
            return -1;
        }

        kf->brokers = strdup(buf);

        return kf->brokers == NULL ? -1 : 0;
    }

    if (strm_conf_args(k, 1, 64, err, errlen) != STRM_OK) {
        return -1;
    }

    for (len = 0, a = 0; a < k->argc; a++) {
        if (strchr(k->args[a], ':') == NULL) {
            strm_conf_error(k, err, errlen, "invalid broker \"%s\", "
                            "expected host:port", k->args[a]);
            return -1;
        }

        len += strlen(k->args[a]) + 1;
    }

    kf->brokers = calloc(1, len + 1);
    if (kf->brokers == NULL) {
        return -1;
    }

    for (a = 0; a < k->argc; a++) {
        if (a > 0) {
            strcat(kf->brokers, ",");
        }

        strcat(kf->brokers, k->args[a]);
    }

    return 0;
}


void
strm_w_kafka_free(strm_w_kafka_t *k)
{
    free(k->brokers);
    json_decref(k->properties);
    json_decref(k->cproperties);
    json_decref(k->pproperties);
    memset(k, 0, sizeof(strm_w_kafka_t));
}


rd_kafka_conf_t *
strm_w_kafka_conf(const strm_w_kafka_t *k, rd_kafka_type_t type,
    char *err, size_t errlen)
{
    int               pass;
    json_t           *props, *v;
    const char       *name;
    rd_kafka_conf_t  *conf;
    char              errstr[512];

    conf = rd_kafka_conf_new();

    for (pass = 0; pass < 2; pass++) {
        props = pass == 0 ? k->properties
                : type == RD_KAFKA_CONSUMER ? k->cproperties
                : k->pproperties;

        json_object_foreach(props, name, v) {
            if (rd_kafka_conf_set(conf, name, json_string_value(v), errstr,
                                  sizeof(errstr)) != RD_KAFKA_CONF_OK)
            {
                snprintf(err, errlen, "kafka %sproperty \"%s\": %s",
                         pass == 0 ? ""
                         : type == RD_KAFKA_CONSUMER ? "consumer_"
                         : "producer_", name, errstr);
                rd_kafka_conf_destroy(conf);
                return NULL;
            }
        }
    }

    if (rd_kafka_conf_set(conf, "bootstrap.servers", k->brokers, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        snprintf(err, errlen, "kafka: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }

    if (strm_w_kafka_props(conf, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }

    return conf;
}


void
strm_w_common_init(strm_w_common_t *w)
{
    memset(w, 0, sizeof(strm_w_common_t));
    w->status_interval = 5000;
}


int
strm_w_conf_common(const strm_conf_t *c, strm_w_common_t *w,
    char *err, size_t errlen)
{
    if (strcmp(c->name, "kafka") == 0) {
        return strm_w_conf_kafka(c, &w->kafka, err, errlen);
    }

    if (strcmp(c->name, "status_file") == 0) {
        return strm_w_conf_str(c, &w->status_file, err, errlen);
    }

    if (strcmp(c->name, "error_log") == 0) {
        return strm_w_conf_str(c, &w->error_log, err, errlen);
    }

    if (strcmp(c->name, "status_interval") == 0) {
        return strm_w_conf_msec(c, 100, &w->status_interval, err,
                                errlen);
    }

    return 1;
}


void
strm_w_common_free(strm_w_common_t *w)
{
    strm_w_kafka_free(&w->kafka);
    free(w->status_file);
    free(w->error_log);
    w->status_file = NULL;
    w->error_log = NULL;
}


int
strm_w_conf_keys(const strm_conf_t *c, strm_w_keys_t *k,
    char *err, size_t errlen)
{
    size_t              i;
    const strm_conf_t  *p;

    if (!c->block || c->argc != 0) {
        strm_conf_error(c, err, errlen, "\"%s\" is a block without "
                        "arguments", c->name);
        return -1;
    }

    if (k->refresh != 0) {
        strm_conf_error(c, err, errlen, "\"%s\" is duplicate", c->name);
        return -1;
    }

    k->refresh = 60000;

    for (i = 0; i < c->nchildren; i++) {
        p = &c->children[i];

        if (strcmp(p->name, "store") == 0) {
            if (strm_w_conf_str(p, &k->store, err, errlen) != 0) {
                return -1;
            }

        } else if (strcmp(p->name, "kek") == 0) {
            if (strm_w_conf_str(p, &k->kek, err, errlen) != 0) {
                return -1;
            }

        } else if (strcmp(p->name, "refresh") == 0) {
            if (strm_w_conf_msec(p, 1000, &k->refresh, err, errlen)
                != 0)
            {
                return -1;
            }

        } else {
            strm_conf_error(p, err, errlen, "unknown directive \"%s\" in "
                            "\"%s\"", p->name, c->name);
            return -1;
        }
    }

    return 0;
}


void
strm_w_keys_free(strm_w_keys_t *k)
{
    free(k->store);
    free(k->kek);
    memset(k, 0, sizeof(strm_w_keys_t));
}


int
strm_w_read_keyset(const char *path, const char *what,
    strm_tink_keyset_t **ks, char *err, size_t errlen)
{
    char  why[512];

    if (strm_keys_read_kek(path, ks, why, sizeof(why)) != STRM_OK) {
        snprintf(err, errlen, "%s \"%s\": %s", what, path, why);
        return -1;
    }

    return 0;
}


int
strm_w_write_file(const char *path, const char *data, size_t len)
{
    int      fd;
    ssize_t  n;
    char     tmp[4096];

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
    {
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1) {
        strm_w_log(STRM_W_LOG_ERR, "\"%s\": %s", tmp, strerror(errno));
        return -1;
    }

    while (len > 0) {
        n = write(fd, data, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            strm_w_log(STRM_W_LOG_ERR, "\"%s\": %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }

        data += n;
        len -= (size_t) n;
    }

    close(fd);

    if (rename(tmp, path) == -1) {
        strm_w_log(STRM_W_LOG_ERR, "\"%s\": %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }

    return 0;
}


int64_t
strm_w_lag(rd_kafka_t *consumer)
{
    int                               i;
    int64_t                           lag, lo, hi, at;
    rd_kafka_topic_partition_list_t  *parts, *committed;

    if (rd_kafka_assignment(consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        return -1;
    }

    rd_kafka_position(consumer, parts);
    committed = NULL;

    /*
     * A partition nothing was read from yet has no position: where the
     * group committed is where this member starts, not the log's start
     * (a member given partitions committed at their end is not the whole
     * log behind)
     */
    for (i = 0; i < parts->cnt; i++) {
        if (parts->elems[i].offset < 0) {
            committed = rd_kafka_topic_partition_list_copy(parts);
            break;
        }
    }

    if (committed != NULL
        && rd_kafka_committed(consumer, committed, STRM_W_LAG_WAIT)
           != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        rd_kafka_topic_partition_list_destroy(committed);
        rd_kafka_topic_partition_list_destroy(parts);
        return -1;
    }

    lag = 0;

    for (i = 0; i < parts->cnt; i++) {
        if (rd_kafka_get_watermark_offsets(consumer, parts->elems[i].topic,
                                           parts->elems[i].partition,
                                           &lo, &hi)
            != RD_KAFKA_RESP_ERR_NO_ERROR
            || hi < 0)
        {
            continue;
        }

        at = parts->elems[i].offset;

        if (at < 0 && committed != NULL) {
            at = committed->elems[i].offset;
        }

        lag += hi - (at >= 0 ? at : lo);
    }

    if (committed != NULL) {
        rd_kafka_topic_partition_list_destroy(committed);
    }

    rd_kafka_topic_partition_list_destroy(parts);

    return lag;
}


int
strm_w_unanswered(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        return 1;
    default:
        return 0;
    }
}


rd_kafka_resp_err_t
strm_w_commit(rd_kafka_t *consumer,
    const rd_kafka_topic_partition_list_t *offsets, int ms)
{
    int                                     i;
    rd_kafka_event_t                       *ev;
    rd_kafka_queue_t                       *q;
    rd_kafka_resp_err_t                     err;
    const rd_kafka_topic_partition_list_t  *done;

    if (ms <= 0) {
        return RD_KAFKA_RESP_ERR__TIMED_OUT;
    }

    q = rd_kafka_queue_new(consumer);
    if (q == NULL) {
        return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    }

    err = rd_kafka_commit_queue(consumer, offsets, q, NULL, NULL);

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ev = rd_kafka_queue_poll(q, ms);

        if (ev == NULL) {
            err = RD_KAFKA_RESP_ERR__TIMED_OUT;

        } else {
            err = rd_kafka_event_error(ev);
            done = rd_kafka_event_topic_partition_list(ev);

            for (i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && done != NULL
                        && i < done->cnt; i++)
            {
                err = done->elems[i].err;
            }

            rd_kafka_event_destroy(ev);
        }
    }

    rd_kafka_queue_destroy(q);

    return err;
}


int
strm_w_consumer_close(rd_kafka_t *consumer, int ms,
    strm_w_rebalance_pt rebalance)
{
    int64_t            end;
    rd_kafka_event_t  *ev;
    rd_kafka_error_t  *e;
    rd_kafka_queue_t  *q;

    end = strm_w_now_ms() + ms;

    if (ms > 0) {
        q = rd_kafka_queue_new(consumer);
        e = rd_kafka_consumer_close_queue(consumer, q);

        if (e != NULL) {
            strm_w_log(STRM_W_LOG_WARN, "closing the consumer: %s",
                       rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);

        } else {
            /* the revocation comes as an event */
            while (!rd_kafka_consumer_closed(consumer)
                   && strm_w_now_ms() < end)
            {
                ev = rd_kafka_queue_poll(q, 100);
                if (ev == NULL) {
                    continue;
                }

                if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
                    if (rebalance != NULL) {
                        rebalance(consumer, rd_kafka_event_error(ev),
                                  rd_kafka_event_topic_partition_list(ev),
                                  rd_kafka_opaque(consumer));

                    } else if (rd_kafka_event_error(ev)
                               == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                    {
                        rd_kafka_assign(consumer, NULL);
                    }
                }

                rd_kafka_event_destroy(ev);
            }
        }

        rd_kafka_queue_destroy(q);

        if (rd_kafka_consumer_closed(consumer)) {
            rd_kafka_destroy(consumer);
            return 0;
        }
    }

    strm_w_log(STRM_W_LOG_WARN, "the consumer left without Kafka's answer: "
               "its partitions move when the group's session ends");

    return -1;
}
