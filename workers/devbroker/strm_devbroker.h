
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_DEVBROKER_H_INCLUDED_
#define _STRM_DEVBROKER_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>


#define STRM_W_LOG_EMERG   0
#define STRM_W_LOG_ALERT   1
#define STRM_W_LOG_CRIT    2
#define STRM_W_LOG_ERR     3
#define STRM_W_LOG_WARN    4
#define STRM_W_LOG_NOTICE  5
#define STRM_W_LOG_INFO    6
#define STRM_W_LOG_DEBUG   7

#define STRM_W_BROKERS_MAX 32


void strm_w_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int strm_w_topics_init(rd_kafka_mock_cluster_t *mc, int brokers);
rd_kafka_resp_err_t strm_w_topic_create(const char *name, int partitions);


#endif /* _STRM_DEVBROKER_H_INCLUDED_ */
