
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_KEYS_TOPIC_H_INCLUDED_
#define _STRM_KEYS_TOPIC_H_INCLUDED_


#include <librdkafka/rdkafka.h>


/*
 * "strm-keys topic [create PARTITIONS REPLICAS]": reads the keys topic's
 * settings (DescribeConfigs), creates the topic with the compaction
 * settings of docs/keys.md when it is missing and create is set, checks
 * them (strm_topic_check_keys: each problem a warning) and prints one
 * JSON line: {"topic","created","checked","settings","boundSeconds",
 * "problems"}.  conf is consumed.  0 when checked without problems, 1
 * otherwise (a broker that does not answer, such as the dev broker, is
 * "checked":false and 1).
 */
int strm_kt_topic(rd_kafka_conf_t *conf, const char *topic, int create,
    int partitions, int replicas, int timeout_ms);


#endif /* _STRM_KEYS_TOPIC_H_INCLUDED_ */
