
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_WORKER_H_INCLUDED_
#define _STRM_WORKER_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "strm_conf.h"
#include "strm_tink.h"
#include "strm_worker_main.h"


/*
 * What the Kafka workers (strm-decrypt, strm-export) share: the parts
 * of their configuration that are the same (kafka { }, keys { }, one
 * string, one interval), the signals (TERM/INT stop, HUP reopens), the
 * log line, the status files written whole (temp name, rename), and
 * the consumer lag.
 */

#define STRM_W_EX_USAGE        64
#define STRM_W_EX_CONFIG       78
#define STRM_W_LAG_WAIT        2000    /* ms for the committed offsets */


/* kafka { brokers h:p ...; brokers_file F; property N V;
 *         consumer_property N V; producer_property N V; } */
typedef struct {
    char                 *brokers;
    json_t               *properties;       /* both clients: name → value */
    json_t               *cproperties;      /* the consumer's */
    json_t               *pproperties;      /* the producer's */
} strm_w_kafka_t;


/* keys { store F; kek F; refresh 60s; } */
typedef struct {
    char                 *store;
    char                 *kek;
    int64_t               refresh;          /* ms */
} strm_w_keys_t;


/*
 * What the top level of every worker's configuration has:
 *   kafka { ... }  status_file F;  status_interval 5s;  error_log F;
 */
typedef struct {
    strm_w_kafka_t        kafka;
    char                 *status_file;
    char                 *error_log;
    int64_t               status_interval;  /* ms */
} strm_w_common_t;


/*
 * "name value;" into *field (strdup): not a block, one argument, not
 * set before.  0, or -1 with err.
 */
int strm_w_conf_str(const strm_conf_t *c, char **field, char *err,
    size_t errlen);

/*
 * "instance_id off | auto | ID;": the consumer's group.instance.id
 * (static group membership) into *id: NULL for off, "<host>-<what>" for
 * auto (the host name), else ID; Kafka's rules (1..249 of [A-Za-z0-9._-]).
 * 0, or -1 with err.
 */
int strm_w_conf_instance_id(const strm_conf_t *c, const char *what,
    char **id, char *err, size_t errlen);

/* "name TIME;" (ms, s, m, h, d) of at least min ms */
int strm_w_conf_msec(const strm_conf_t *c, int64_t min, int64_t *ms,
    char *err, size_t errlen);

/* "name SIZE;" (k, m, g) between min and max bytes */
int strm_w_conf_size(const strm_conf_t *c, uint64_t min, uint64_t max,
    uint64_t *size, char *err, size_t errlen);

/* "name on|off;" */
int strm_w_conf_flag(const strm_conf_t *c, int *flag, char *err,
    size_t errlen);

/* the kafka { } block; k zeroed by the caller, set twice is an error */
int strm_w_conf_kafka(const strm_conf_t *c, strm_w_kafka_t *k,
    char *err, size_t errlen);
void strm_w_kafka_free(strm_w_kafka_t *k);

/*
 * A client configuration with the block's properties (the common ones,
 * then the consumer's or the producer's), the brokers, then the command
 * line's -X properties; NULL with err.
 */
rd_kafka_conf_t *strm_w_kafka_conf(const strm_w_kafka_t *k,
    rd_kafka_type_t type, char *err, size_t errlen);

/* the defaults of w (status_interval 5 s) */
void strm_w_common_init(strm_w_common_t *w);

/*
 * One top-level directive c into w: 0 done, -1 an error (in err), 1 when
 * c is none of the common directives (the worker's own, then).
 */
int strm_w_conf_common(const strm_conf_t *c, strm_w_common_t *w,
    char *err, size_t errlen);
void strm_w_common_free(strm_w_common_t *w);

/* the keys { } block; refresh defaults to 60 s */
int strm_w_conf_keys(const strm_conf_t *c, strm_w_keys_t *k,
    char *err, size_t errlen);
void strm_w_keys_free(strm_w_keys_t *k);

/*
 * A key-encryption key (an AES-GCM Tink JSON keyset) from a file, by
 * strm_keys_read_kek(); err names the directive what and the file.
 */
int strm_w_read_keyset(const char *path, const char *what,
    strm_tink_keyset_t **ks, char *err, size_t errlen);

/*
 * Writes data to path whole: path.tmp, then rename(), so a reader never
 * sees half a file.  0, or -1 (logged).
 */
int strm_w_write_file(const char *path, const char *data, size_t len);

/*
 * Records behind the end of the consumer's assigned partitions: the
 * high watermark minus where the member stands (its position, or for a
 * partition it has read nothing from, the group's committed offset;
 * the log's start only when nothing was committed); -1 when unknown.
 */
int64_t strm_w_lag(rd_kafka_t *consumer);

/*
 * librdkafka's own commit and close wait for the group's coordinator as
 * long as the group's session lasts (45 s by default), and a stop with
 * the broker gone waits that long each time.  These wait at most ms.
 *
 * strm_w_commit: rd_kafka_commit() (offsets NULL: the stored ones of the
 * assignment); the commit's error, or a partition's, or
 * RD_KAFKA_RESP_ERR__TIMED_OUT (it may still land).
 *
 * strm_w_consumer_close: the consumer leaves its group (rebalance, if
 * not NULL, serves the revocation, as the rebalance callback) and is
 * destroyed: 0.  Not closed in time: -1, and the handle is left as it
 * is (librdkafka's destroy would wait for the group all the same); the
 * process is about to exit.
 */
typedef void (*strm_w_rebalance_pt)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque);

/* 1: err says Kafka did not answer (in time, or at all), not a refusal */
int strm_w_unanswered(rd_kafka_resp_err_t err);
rd_kafka_resp_err_t strm_w_commit(rd_kafka_t *consumer,
    const rd_kafka_topic_partition_list_t *offsets, int ms);
int strm_w_consumer_close(rd_kafka_t *consumer, int ms,
    strm_w_rebalance_pt rebalance);


#endif /* _STRM_WORKER_H_INCLUDED_ */
