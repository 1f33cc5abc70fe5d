
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Topics of the dev broker.  Declared topics (-t, or POST /topic/...)
 * get their partition count and leaders spread over the brokers
 * (partition p is led by broker p % N + 1), so a test knows which
 * broker to take down.  Topics a client merely names are created by
 * the mock cluster itself, with its own defaults (4 partitions in
 * librdkafka 2.0.2, random leaders): tests that care declare theirs.
 */


#include "strm_devbroker.h"


static rd_kafka_mock_cluster_t  *strm_devbroker_mc;
static int                       strm_devbroker_brokers;


int
strm_devbroker_topics_init(rd_kafka_mock_cluster_t *mc, int brokers)
{
    strm_devbroker_mc = mc;
    strm_devbroker_brokers = brokers;

    return 0;
}


rd_kafka_resp_err_t
strm_devbroker_topic_create(const char *name, int partitions)
{
    int                  p, rf;
    rd_kafka_resp_err_t  err;

    rf = (strm_devbroker_brokers < 3) ? strm_devbroker_brokers : 3;

    err = rd_kafka_mock_topic_create(strm_devbroker_mc, name, partitions, rf);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return err;
    }

    /* one broker leads them all already (and each call takes a while) */

    for (p = 0; p < partitions && strm_devbroker_brokers > 1; p++) {
        err = rd_kafka_mock_partition_set_leader(strm_devbroker_mc, name,
                                                 p, p % strm_devbroker_brokers
                                                    + 1);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_WARN,
                       "setting the leader of \"%s\" [%d] failed: %s",
                       name, p, rd_kafka_err2str(err));
        }
    }

    return RD_KAFKA_RESP_ERR_NO_ERROR;
}
