
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_DEVBROKER_H_INCLUDED_
#define _STRM_DEVBROKER_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "strm_worker_main.h"


#define STRM_DEVBROKER_TOPIC_MAX    249
#define STRM_DEVBROKER_BROKERS_MAX  32


int strm_devbroker_topics_init(rd_kafka_mock_cluster_t *mc, int brokers);
rd_kafka_resp_err_t strm_devbroker_topic_create(const char *name,
    int partitions);

int strm_devbroker_watch_start(const char *bootstraps);
void strm_devbroker_watch_stop(void);
size_t strm_devbroker_watch_status(char *buf, size_t size);


#endif /* _STRM_DEVBROKER_H_INCLUDED_ */
