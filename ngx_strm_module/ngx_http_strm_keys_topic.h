
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _NGX_HTTP_STRM_KEYS_TOPIC_H_INCLUDED_
#define _NGX_HTTP_STRM_KEYS_TOPIC_H_INCLUDED_


#include "ngx_http_strm_common.h"


/*
 * Worker 0 asks the brokers for the keys topic's settings (Kafka's
 * DescribeConfigs, through the producer, answered in the event loop)
 * and logs what bounds a forgotten key's life in Kafka
 * (strm_topic_check_keys): a warning per problem, a notice with the
 * bound when they are right, a notice when the brokers cannot say (the
 * dev broker).  Nothing waits for it.
 */
ngx_int_t ngx_http_strm_keys_topic_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
void ngx_http_strm_keys_topic_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_STRM_KEYS_TOPIC_H_INCLUDED_ */
