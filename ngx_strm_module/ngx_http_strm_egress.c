
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm_egress: a WebSocket (RFC 6455) that tails a stream's Kafka topic,
 * one JSON event per text frame, for developers (as STRM's egress: "not
 * for production purposes").  No delivery guarantee: a client gets the
 * events that arrive while it is connected; one that does not read is
 * cut off when its buffer is full, so that it never holds the worker.
 *
 * Each worker runs one Kafka consumer for all egress topics, in a
 * consumer group of its own (so it gets every partition), starting at
 * the end; its queue wakes the event loop through an eventfd, as the
 * producer's does.  Authentication is strm_auth's, in the access phase.
 *
 * A session is upgraded as nginx upgrades a proxied connection
 * (ngx_http_upstream.c): the request's read and write event handlers
 * become ours, the connection's stay nginx's, and the request lives on
 * until it is finalized.  The consumer reaches each client through a
 * heap record in its topic's list; the request's cleanup only detaches
 * it (ec->r = NULL), and the consumer frees detached records.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <librdkafka/rdkafka.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_kafka.h"
#include "strm_ws.h"


#define NGX_HTTP_STRM_EGRESS_SERVE_MAX  10000
#define NGX_HTTP_STRM_EGRESS_POLL       1000
#define NGX_HTTP_STRM_EGRESS_IN         (STRM_WS_CONTROL_MAX + 14 + 1024)


typedef struct {
    ngx_uint_t                    max_connections;
    size_t                        buffer;
    ngx_msec_t                    ping;
    ngx_array_t                   topics;       /* ngx_str_t, distinct */
} ngx_http_strm_egress_main_conf_t;


typedef struct {
    ngx_str_t                     topic;        /* NUL-terminated */
} ngx_http_strm_egress_loc_conf_t;


/* the clients of one topic in this worker */
typedef struct {
    ngx_str_t                     topic;
    ngx_queue_t                   clients;
} ngx_http_strm_egress_topic_t;


typedef struct ngx_http_strm_egress_out_s  ngx_http_strm_egress_out_t;

struct ngx_http_strm_egress_out_s {
    ngx_http_strm_egress_out_t   *next;
    size_t                        len;
    size_t                        sent;
    u_char                        data[1];
};


/*
 * One client: its frames to send, what it sent not parsed yet.  On the
 * heap, in its topic's list: the consumer owns it and frees it once the
 * request has gone (r == NULL), or when the worker exits.
 */
typedef struct {
    ngx_queue_t                   queue;
    ngx_http_request_t           *r;            /* NULL: detached */
    ngx_http_strm_egress_out_t   *head;
    ngx_http_strm_egress_out_t   *tail;
    size_t                        pending;
    size_t                        in_len;
    unsigned                      closing:1;
    u_char                        in[NGX_HTTP_STRM_EGRESS_IN];
} ngx_http_strm_egress_client_t;


/* this worker's consumer and clients */
typedef struct {
    rd_kafka_t                   *rk;
    rd_kafka_queue_t             *q;
    ngx_connection_t             *c;
    ngx_event_t                   poll_ev;
    ngx_array_t                   topics;       /* egress_topic_t */
    ngx_uint_t                    nclients;     /* records, detached too */
    ngx_http_strm_egress_main_conf_t  *emcf;
} ngx_http_strm_egress_worker_t;


static void *ngx_http_strm_egress_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_strm_egress_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_strm_egress_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_strm_egress_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_strm_egress(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_strm_egress_init_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_strm_egress_consumer(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf);
static void ngx_http_strm_egress_exit_process(ngx_cycle_t *cycle);

static ngx_int_t ngx_http_strm_egress_handler(ngx_http_request_t *r);
static strm_rc_t ngx_http_strm_egress_handshake(ngx_http_request_t *r,
    char *accept);
static ngx_uint_t ngx_http_strm_egress_has_token(ngx_table_elt_t *h,
    const char *token, size_t len);
static strm_rc_t ngx_http_strm_egress_admit(ngx_http_request_t *r,
    ngx_http_strm_egress_topic_t **etp);
static ngx_int_t ngx_http_strm_egress_refuse(ngx_http_request_t *r,
    strm_rc_t rc);
static ngx_http_strm_egress_client_t *
    ngx_http_strm_egress_attach(ngx_http_request_t *r,
    ngx_http_strm_egress_topic_t *et);
static void ngx_http_strm_egress_cleanup(void *data);
static ngx_int_t ngx_http_strm_egress_send_101(ngx_http_request_t *r,
    char *accept);
static ngx_int_t ngx_http_strm_egress_upgrade(ngx_http_request_t *r);

static void ngx_http_strm_egress_read_handler(ngx_http_request_t *r);
static void ngx_http_strm_egress_write_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_egress_recv(ngx_http_request_t *r,
    ngx_http_strm_egress_client_t *ec);
static ngx_int_t ngx_http_strm_egress_frames(
    ngx_http_strm_egress_client_t *ec);
static ngx_int_t ngx_http_strm_egress_frame(ngx_http_strm_egress_client_t *ec,
    strm_ws_frame_t *f);
static void ngx_http_strm_egress_ping(ngx_http_request_t *r,
    ngx_http_strm_egress_client_t *ec);
static ngx_int_t ngx_http_strm_egress_queue(ngx_http_strm_egress_client_t *ec,
    unsigned opcode, u_char *data, size_t len, ngx_uint_t force);
static void ngx_http_strm_egress_close_frame(
    ngx_http_strm_egress_client_t *ec, ngx_uint_t code);
static void ngx_http_strm_egress_send(ngx_http_strm_egress_client_t *ec);
static void ngx_http_strm_egress_finalize(ngx_http_request_t *r);

static void ngx_http_strm_egress_kafka_poll(ngx_event_t *ev);
static void ngx_http_strm_egress_serve(void);
static void ngx_http_strm_egress_fanout(rd_kafka_message_t *rkm);
static void ngx_http_strm_egress_deliver(ngx_http_strm_egress_client_t *ec,
    rd_kafka_message_t *rkm);
static ngx_http_strm_egress_topic_t *
    ngx_http_strm_egress_topic(u_char *name, size_t len);
static void ngx_http_strm_egress_reap(ngx_uint_t all);
static void ngx_http_strm_egress_free(ngx_http_strm_egress_client_t *ec);


static ngx_http_strm_egress_worker_t  ngx_http_strm_egress_w;


static ngx_command_t  ngx_http_strm_egress_commands[] = {

    { ngx_string("strm_egress"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_strm_egress,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("strm_egress_max_connections"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_egress_main_conf_t, max_connections),
      NULL },

    { ngx_string("strm_egress_buffer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_egress_main_conf_t, buffer),
      NULL },

    { ngx_string("strm_egress_ping"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_egress_main_conf_t, ping),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_strm_egress_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_strm_egress_create_main_conf, /* create main configuration */
    ngx_http_strm_egress_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_strm_egress_create_loc_conf,  /* create location configuration */
    ngx_http_strm_egress_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_strm_egress_module = {
    NGX_MODULE_V1,
    &ngx_http_strm_egress_module_ctx,      /* module context */
    ngx_http_strm_egress_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_strm_egress_init_process,     /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_strm_egress_exit_process,     /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_strm_egress_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_strm_egress_main_conf_t  *emcf;

    emcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_egress_main_conf_t));
    if (emcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&emcf->topics, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    emcf->max_connections = NGX_CONF_UNSET_UINT;
    emcf->buffer = NGX_CONF_UNSET_SIZE;
    emcf->ping = NGX_CONF_UNSET_MSEC;

    return emcf;
}


static char *
ngx_http_strm_egress_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_strm_egress_main_conf_t  *emcf = conf;

    ngx_http_strm_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_strm_module);

    if (emcf->topics.nelts && (smcf == NULL || smcf->rk_conf == NULL)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_egress needs the Kafka brokers "
                           "(strm_kafka_brokers or strm_kafka_brokers_file)");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_uint_value(emcf->max_connections, 64);
    ngx_conf_init_size_value(emcf->buffer, 1024 * 1024);
    ngx_conf_init_msec_value(emcf->ping, 30000);

    if (emcf->max_connections == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_egress_max_connections must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (emcf->buffer < 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm_egress_buffer must be at least 4k");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_strm_egress_create_loc_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_egress_loc_conf_t));
}


static char *
ngx_http_strm_egress_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    return NGX_CONF_OK;
}


/* strm_egress topic; */
static char *
ngx_http_strm_egress(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_egress_loc_conf_t  *elcf = conf;

    ngx_str_t                         *value, *t;
    ngx_uint_t                         i;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_strm_egress_main_conf_t  *emcf;

    if (elcf->topic.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_strm_conf_topic(cf, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    elcf->topic.len = value[1].len;
    elcf->topic.data = ngx_pnalloc(cf->pool, value[1].len + 1);
    if (elcf->topic.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(elcf->topic.data, value[1].data, value[1].len);
    elcf->topic.data[value[1].len] = '\0';

    emcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_strm_egress_module);

    t = emcf->topics.elts;

    for (i = 0; i < emcf->topics.nelts; i++) {
        if (t[i].len == elcf->topic.len
            && ngx_strcmp(t[i].data, elcf->topic.data) == 0)
        {
            break;
        }
    }

    if (i == emcf->topics.nelts) {
        t = ngx_array_push(&emcf->topics);
        if (t == NULL) {
            return NGX_CONF_ERROR;
        }

        *t = elcf->topic;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_strm_egress_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_strm_egress_init_process(ngx_cycle_t *cycle)
{
    ngx_str_t                         *t;
    ngx_uint_t                         i;
    ngx_http_strm_egress_topic_t      *et;
    ngx_http_strm_main_conf_t         *smcf;
    ngx_http_strm_egress_worker_t     *w;
    ngx_http_strm_egress_main_conf_t  *emcf;

    w = &ngx_http_strm_egress_w;
    ngx_memzero(w, sizeof(ngx_http_strm_egress_worker_t));

    emcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_strm_egress_module);
    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_strm_module);

    if (emcf == NULL || emcf->topics.nelts == 0 || smcf == NULL
        || smcf->rk_conf == NULL)
    {
        return NGX_OK;
    }

    w->emcf = emcf;

    if (ngx_array_init(&w->topics, cycle->pool, emcf->topics.nelts,
                       sizeof(ngx_http_strm_egress_topic_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    t = emcf->topics.elts;

    for (i = 0; i < emcf->topics.nelts; i++) {
        et = ngx_array_push(&w->topics);
        et->topic = t[i];
        ngx_queue_init(&et->clients);
    }

    if (ngx_http_strm_egress_consumer(cycle, smcf) != NGX_OK) {
        goto failed;
    }

    w->c = ngx_http_strm_kafka_watch(cycle, w->q,
                                     ngx_http_strm_egress_serve);
    if (w->c == NULL) {
        goto failed;
    }

    w->poll_ev.handler = ngx_http_strm_egress_kafka_poll;
    w->poll_ev.log = cycle->log;
    w->poll_ev.data = w;
    w->poll_ev.cancelable = 1;
    ngx_add_timer(&w->poll_ev, NGX_HTTP_STRM_EGRESS_POLL);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm egress: consumer of %ui topics started",
                   w->topics.nelts);

    return NGX_OK;

failed:

    ngx_http_strm_egress_exit_process(cycle);

    return NGX_ERROR;
}


/*
 * The worker's consumer: a group of its own per worker (every
 * partition is ours), from the end, nothing committed.
 */
static ngx_int_t
ngx_http_strm_egress_consumer(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    ngx_str_t                        *t;
    ngx_uint_t                        i;
    rd_kafka_conf_t                  *conf;
    ngx_http_strm_egress_worker_t    *w;
    rd_kafka_topic_partition_list_t  *sub;
    char                              errstr[512], group[256];

    w = &ngx_http_strm_egress_w;

    /* the brokers and a consumer's properties, its own on top */
    conf = ngx_http_strm_kafka_consumer_conf(smcf, errstr, sizeof(errstr));
    if (conf == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm egress: %s", errstr);
        return NGX_ERROR;
    }

    rd_kafka_conf_set_log_cb(conf, ngx_http_strm_kafka_log);
    rd_kafka_conf_set_error_cb(conf, ngx_http_strm_kafka_error);

    ngx_snprintf((u_char *) group, sizeof(group) - 1,
                 "strm-egress-%V-%P%Z", &cycle->hostname, ngx_pid);

    if (rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "auto.offset.reset", "latest", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "topic.metadata.refresh.interval.ms",
                             "10000", errstr, sizeof(errstr))
           != RD_KAFKA_CONF_OK)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm egress: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return NGX_ERROR;
    }

    w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (w->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm egress: rd_kafka_new() failed: %s", errstr);
        return NGX_ERROR;
    }

    /* logs, errors and rebalances are served with the messages */
    rd_kafka_set_log_queue(w->rk, NULL);
    rd_kafka_poll_set_consumer(w->rk);
    w->q = rd_kafka_queue_get_consumer(w->rk);

    sub = rd_kafka_topic_partition_list_new((int) w->emcf->topics.nelts);

    t = w->emcf->topics.elts;

    for (i = 0; i < w->emcf->topics.nelts; i++) {
        rd_kafka_topic_partition_list_add(sub, (char *) t[i].data,
                                          RD_KAFKA_PARTITION_UA);
    }

    if (rd_kafka_subscribe(w->rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm egress: subscribe failed");
        rd_kafka_topic_partition_list_destroy(sub);
        return NGX_ERROR;
    }

    rd_kafka_topic_partition_list_destroy(sub);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm egress: consumer group \"%s\"", group);

    return NGX_OK;
}


static void
ngx_http_strm_egress_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_strm_egress_worker_t  *w;

    w = &ngx_http_strm_egress_w;

    if (w->rk == NULL) {
        return;
    }

    if (w->poll_ev.timer_set) {
        ngx_del_timer(&w->poll_ev);
    }

    /* the requests still attached are never run again */
    ngx_http_strm_egress_reap(1);

    ngx_http_strm_kafka_unwatch(w->c, w->q);
    w->c = NULL;

    if (w->q != NULL) {
        rd_kafka_queue_destroy(w->q);
        w->q = NULL;
    }

    /* nothing to commit: leave the group and go */
    (void) rd_kafka_consumer_close(w->rk);
    rd_kafka_destroy(w->rk);
    w->rk = NULL;
}


/*
 * The session's steps, in turn: the handshake, admission, the client's
 * record, the 101, the upgrade.  A refusal is a JSON answer.
 */
static ngx_int_t
ngx_http_strm_egress_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    strm_rc_t                       src;
    ngx_http_strm_egress_topic_t   *et;
    ngx_http_strm_egress_client_t  *ec;
    char                            accept[STRM_WS_ACCEPT_LEN + 1];

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: handler");

    if (r->method != NGX_HTTP_GET) {
        return ngx_http_strm_egress_refuse(r, STRM_E_METHOD_GET);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    src = ngx_http_strm_egress_handshake(r, accept);

    if (src == STRM_OK) {
        src = ngx_http_strm_egress_admit(r, &et);
    }

    if (src != STRM_OK) {
        return ngx_http_strm_egress_refuse(r, src);
    }

    ec = ngx_http_strm_egress_attach(r, et);
    if (ec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_strm_egress_send_101(r, accept);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_strm_egress_upgrade(r);
}


/* an RFC 6455 opening handshake; its Sec-WebSocket-Accept in accept */
static strm_rc_t
ngx_http_strm_egress_handshake(ngx_http_request_t *r, char *accept)
{
    ngx_table_elt_t  *key, *ver;

    key = ngx_http_strm_header_in(r, "Sec-WebSocket-Key",
                               sizeof("Sec-WebSocket-Key") - 1);
    ver = ngx_http_strm_header_in(r, "Sec-WebSocket-Version",
                               sizeof("Sec-WebSocket-Version") - 1);

    /*
     * HTTP/2 has no Upgrade (RFC 8441 is not spoken here).  A body
     * still being discarded would take the connection's reads from us.
     */
    if (r->http_version != NGX_HTTP_VERSION_11 || r != r->main
        || r->discard_body
        || !ngx_http_strm_egress_has_token(
               ngx_http_strm_header_in(r, "Upgrade", 7), "websocket", 9)
        || !ngx_http_strm_egress_has_token(
               ngx_http_strm_header_in(r, "Connection", 10), "upgrade", 7)
        || key == NULL)
    {
        return STRM_E_WEBSOCKET;
    }

    if (ver == NULL || ver->value.len != 2
        || ngx_strncmp(ver->value.data, "13", 2) != 0)
    {
        return STRM_E_WEBSOCKET_VERSION;
    }

    if (strm_ws_accept((char *) key->value.data, key->value.len, accept)
        != STRM_OK)
    {
        return STRM_E_WEBSOCKET;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: handshake, accept \"%s\"", accept);

    return STRM_OK;
}


/* a comma-separated header value holds token (case-insensitive) */
static ngx_uint_t
ngx_http_strm_egress_has_token(ngx_table_elt_t *h, const char *token,
    size_t len)
{
    u_char  *p, *end, *s;

    if (h == NULL) {
        return 0;
    }

    p = h->value.data;
    end = p + h->value.len;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        s = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - s) == len
            && ngx_strncasecmp(s, (u_char *) token, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* the location's topic has a consumer, and this worker a free place */
static strm_rc_t
ngx_http_strm_egress_admit(ngx_http_request_t *r,
    ngx_http_strm_egress_topic_t **etp)
{
    ngx_http_strm_egress_topic_t     *et;
    ngx_http_strm_egress_worker_t    *w;
    ngx_http_strm_egress_loc_conf_t  *elcf;

    w = &ngx_http_strm_egress_w;
    elcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_egress_module);

    et = ngx_http_strm_egress_topic(elcf->topic.data, elcf->topic.len);

    if (et == NULL || ngx_exiting) {
        return STRM_E_NOT_READY;
    }

    /* the places of clients gone since the consumer's last round */
    ngx_http_strm_egress_reap(0);

    if (w->nclients >= w->emcf->max_connections) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "strm egress: %ui WebSocket clients already, "
                      "strm_egress_max_connections reached",
                      w->nclients);
        return STRM_E_EGRESS_FULL;
    }

    *etp = et;

    return STRM_OK;
}


static ngx_int_t
ngx_http_strm_egress_refuse(ngx_http_request_t *r, strm_rc_t rc)
{
    ngx_table_elt_t  *h;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: refused: %s", strm_error_get(rc)->code);

    if (rc != STRM_E_METHOD_GET && rc != STRM_E_WEBSOCKET_VERSION) {
        return ngx_http_strm_send(r, rc);
    }

    if (rc == STRM_E_METHOD_GET) {
        h = ngx_http_strm_header_out_str(r, "Allow", "GET");

    } else {
        h = ngx_http_strm_header_out_str(r, "Sec-WebSocket-Version", "13");
        ngx_str_set(&r->headers_out.status_line, "426 Upgrade Required");
    }

    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_strm_send(r, rc);
}


/*
 * The client's record, in its topic's list from now on: whatever ends
 * the request (us, the client, nginx) runs the cleanup that detaches it.
 */
static ngx_http_strm_egress_client_t *
ngx_http_strm_egress_attach(ngx_http_request_t *r,
    ngx_http_strm_egress_topic_t *et)
{
    ngx_http_cleanup_t             *cln;
    ngx_http_strm_egress_client_t  *ec;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    ec = ngx_alloc(sizeof(ngx_http_strm_egress_client_t), r->connection->log);
    if (ec == NULL) {
        return NULL;
    }

    ngx_memzero(ec, sizeof(ngx_http_strm_egress_client_t));
    ec->r = r;

    ngx_queue_insert_tail(&et->clients, &ec->queue);
    ngx_http_strm_egress_w.nclients++;

    cln->handler = ngx_http_strm_egress_cleanup;
    cln->data = ec;

    ngx_http_set_ctx(r, ec, ngx_http_strm_egress_module);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: client %p of topic \"%V\", %ui clients",
                   ec, &et->topic, ngx_http_strm_egress_w.nclients);

    return ec;
}


/* the request is going away: only detach, the consumer frees ec */
static void
ngx_http_strm_egress_cleanup(void *data)
{
    ngx_http_strm_egress_client_t  *ec = data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ec->r->connection->log, 0,
                   "strm egress: detach client %p", ec);

    ec->r = NULL;
}


static ngx_int_t
ngx_http_strm_egress_send_101(ngx_http_request_t *r, char *accept)
{
    u_char     *p;
    ngx_int_t   rc;

    p = ngx_pnalloc(r->pool, STRM_WS_ACCEPT_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, accept, STRM_WS_ACCEPT_LEN);

    if (ngx_http_strm_header_out_str(r, "Upgrade", "websocket") == NULL
        || ngx_http_strm_header_out(r, "Sec-WebSocket-Accept", p,
                                    STRM_WS_ACCEPT_LEN)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: 101 sent");

    return NGX_OK;
}


/*
 * From here on the connection carries frames, not HTTP.  As nginx's own
 * upgrade does, the request's event handlers become ours and the
 * connection's stay ngx_http_request_handler(): it logs as the request,
 * terminates it on c->close and runs the posted requests after ours.
 * The request lives on (count) until it is finalized.
 */
static ngx_int_t
ngx_http_strm_egress_upgrade(ngx_http_request_t *r)
{
    ngx_connection_t               *c;
    ngx_http_strm_egress_worker_t  *w;

    w = &ngx_http_strm_egress_w;
    c = r->connection;

    c->log->action = "sending events over a WebSocket";

    r->read_event_handler = ngx_http_strm_egress_read_handler;
    r->write_event_handler = ngx_http_strm_egress_write_handler;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        /* the core finalizes the request, its cleanup detaches */
        return NGX_ERROR;
    }

    /* the read timer paces the pings: closing the connection ends it */
    ngx_add_timer(c->read, w->emcf->ping);

    /*
     * A graceful quit (and a reload) closes it as an idle keepalive
     * connection: idle for ngx_close_idle_connections(), reusable when
     * nginx runs short of connections.
     */
    c->idle = 1;
    ngx_reusable_connection(c, 1);

    r->main->count++;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "strm egress: upgraded, a ping every %M", w->emcf->ping);

    return NGX_DONE;
}


/* what the client sends: pings, pongs, close; its data is ignored */
static void
ngx_http_strm_egress_read_handler(ngx_http_request_t *r)
{
    ngx_connection_t               *c;
    ngx_http_strm_egress_client_t  *ec;

    c = r->connection;
    ec = ngx_http_get_module_ctx(r, ngx_http_strm_egress_module);

    if (c->read->timedout) {
        c->read->timedout = 0;
        ngx_http_strm_egress_ping(r, ec);
        return;
    }

    if (ngx_http_strm_egress_recv(r, ec) != NGX_OK) {
        ngx_http_strm_egress_finalize(r);
        return;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_strm_egress_finalize(r);
        return;
    }

    ngx_http_strm_egress_send(ec);
}


static void
ngx_http_strm_egress_write_handler(ngx_http_request_t *r)
{
    ngx_http_strm_egress_client_t  *ec;

    ec = ngx_http_get_module_ctx(r, ngx_http_strm_egress_module);

    ngx_http_strm_egress_send(ec);
}


/* reads to EAGAIN; NGX_ERROR when the client is gone */
static ngx_int_t
ngx_http_strm_egress_recv(ngx_http_request_t *r,
    ngx_http_strm_egress_client_t *ec)
{
    ssize_t            n;
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = r->connection;

    for ( ;; ) {
        n = c->recv(c, ec->in + ec->in_len, sizeof(ec->in) - ec->in_len);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "strm egress: recv: %z", n);

        if (n == NGX_AGAIN) {
            return NGX_OK;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "strm egress: the client closed the connection");
            return NGX_ERROR;
        }

        ec->in_len += n;

        rc = ngx_http_strm_egress_frames(ec);

        if (rc == NGX_DONE) {
            /* the client broke the protocol: our close frame is queued */
            return NGX_OK;
        }

        if (rc != NGX_OK) {
            return rc;
        }
    }
}


/* the complete frames in ec->in; NGX_DONE on a protocol error */
static ngx_int_t
ngx_http_strm_egress_frames(ngx_http_strm_egress_client_t *ec)
{
    int64_t          used;
    strm_ws_frame_t  f;

    for ( ;; ) {
        used = strm_ws_parse(ec->in, ec->in_len, sizeof(ec->in) - 14, &f);

        if (used == 0) {
            return NGX_OK;
        }

        if (used < 0) {
            ngx_log_error(NGX_LOG_INFO, ec->r->connection->log, 0,
                          "strm egress: a client broke the WebSocket "
                          "protocol");
            ngx_http_strm_egress_close_frame(ec, STRM_WS_CLOSE_PROTOCOL);
            ec->in_len = 0;
            return NGX_DONE;
        }

        if (ngx_http_strm_egress_frame(ec, &f) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_memmove(ec->in, ec->in + used, ec->in_len - (size_t) used);
        ec->in_len -= (size_t) used;
    }
}


static ngx_int_t
ngx_http_strm_egress_frame(ngx_http_strm_egress_client_t *ec,
    strm_ws_frame_t *f)
{
    ngx_uint_t  code;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ec->r->connection->log, 0,
                   "strm egress: frame opcode:%ui len:%uL",
                   (ngx_uint_t) f->opcode, f->len);

    switch (f->opcode) {

    case STRM_WS_PING:
        if (ec->closing) {
            return NGX_OK;
        }

        return ngx_http_strm_egress_queue(ec, STRM_WS_PONG, f->payload,
                                          (size_t) f->len, 1);

    case STRM_WS_CLOSE:
        code = (f->len >= 2) ? (f->payload[0] << 8 | f->payload[1])
                             : STRM_WS_CLOSE_NORMAL;
        ngx_http_strm_egress_close_frame(ec, code);
        return NGX_OK;

    default:
        /* pongs, and data nobody asked for */
        return NGX_OK;
    }
}


/* the read timer fired: a ping, and the timer again */
static void
ngx_http_strm_egress_ping(ngx_http_request_t *r,
    ngx_http_strm_egress_client_t *ec)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "strm egress: ping");

    if (ngx_http_strm_egress_queue(ec, STRM_WS_PING, NULL, 0, 0) != NGX_OK) {
        ngx_http_strm_egress_finalize(r);
        return;
    }

    ngx_add_timer(r->connection->read, ngx_http_strm_egress_w.emcf->ping);

    ngx_http_strm_egress_send(ec);
}


/*
 * One frame at the end of the client's queue.  NGX_DECLINED when the
 * queue would pass strm_egress_buffer (a client that does not read),
 * unless force (control frames).
 */
static ngx_int_t
ngx_http_strm_egress_queue(ngx_http_strm_egress_client_t *ec,
    unsigned opcode, u_char *data, size_t len, ngx_uint_t force)
{
    size_t                       hlen;
    ngx_http_strm_egress_out_t  *out;
    u_char                       h[STRM_WS_HEADER_MAX];

    hlen = strm_ws_frame_header(h, opcode, len);

    if (!force
        && ec->pending + hlen + len > ngx_http_strm_egress_w.emcf->buffer)
    {
        return NGX_DECLINED;
    }

    out = ngx_alloc(offsetof(ngx_http_strm_egress_out_t, data) + hlen + len,
                    ec->r->connection->log);
    if (out == NULL) {
        return NGX_ERROR;
    }

    out->next = NULL;
    out->len = hlen + len;
    out->sent = 0;
    ngx_memcpy(out->data, h, hlen);

    if (len) {
        ngx_memcpy(out->data + hlen, data, len);
    }

    if (ec->tail) {
        ec->tail->next = out;

    } else {
        ec->head = out;
    }

    ec->tail = out;
    ec->pending += out->len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ec->r->connection->log, 0,
                   "strm egress: queued opcode:%ui len:%uz pending:%uz",
                   (ngx_uint_t) opcode, len, ec->pending);

    return NGX_OK;
}


/* our close frame; the connection closes once it is sent */
static void
ngx_http_strm_egress_close_frame(ngx_http_strm_egress_client_t *ec,
    ngx_uint_t code)
{
    u_char  p[2];

    if (ec->closing) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ec->r->connection->log, 0,
                   "strm egress: closing with %ui", code);

    p[0] = (u_char) (code >> 8);
    p[1] = (u_char) code;

    (void) ngx_http_strm_egress_queue(ec, STRM_WS_CLOSE, p, 2, 1);
    ec->closing = 1;
}


/* as much of the queue as the socket takes; finalizes when done */
static void
ngx_http_strm_egress_send(ngx_http_strm_egress_client_t *ec)
{
    ssize_t                      n;
    ngx_connection_t            *c;
    ngx_http_strm_egress_out_t  *out;

    c = ec->r->connection;

    while (ec->head != NULL) {
        out = ec->head;

        n = c->send(c, out->data + out->sent, out->len - out->sent);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "strm egress: send: %z of %uz pending", n,
                       ec->pending);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR) {
            ngx_http_strm_egress_finalize(ec->r);
            return;
        }

        out->sent += n;
        ec->pending -= n;

        if (out->sent == out->len) {
            ec->head = out->next;

            if (ec->head == NULL) {
                ec->tail = NULL;
            }

            ngx_free(out);
        }
    }

    if (ec->head == NULL && ec->closing) {
        ngx_http_strm_egress_finalize(ec->r);
        return;
    }

    if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
        ngx_http_strm_egress_finalize(ec->r);
    }
}


/*
 * The end of a session.  nginx terminates the request, which runs our
 * cleanup (detach) at once, and closes the connection when the posted
 * requests run: after our handler returns to ngx_http_request_handler(),
 * or, from the consumer's events, in ngx_http_strm_egress_deliver().
 */
static void
ngx_http_strm_egress_finalize(ngx_http_request_t *r)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "strm egress: finalize");

    c->idle = 0;
    ngx_reusable_connection(c, 0);

    ngx_http_finalize_request(r, NGX_HTTP_CLOSE);
}


/* the safety net of the eventfd; it frees the clients gone meanwhile */
static void
ngx_http_strm_egress_kafka_poll(ngx_event_t *ev)
{
    ngx_http_strm_egress_reap(0);
    ngx_http_strm_egress_serve();

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, NGX_HTTP_STRM_EGRESS_POLL);
    }
}


/* the consumer's messages, a round's worth */
static void
ngx_http_strm_egress_serve(void)
{
    ngx_uint_t                      n;
    rd_kafka_message_t             *rkm;
    ngx_http_strm_egress_worker_t  *w;

    w = &ngx_http_strm_egress_w;

    if (w->rk == NULL) {
        return;
    }

    for (n = 0; n < NGX_HTTP_STRM_EGRESS_SERVE_MAX; n++) {
        rkm = rd_kafka_consume_queue(w->q, 0);

        if (rkm == NULL) {
            return;
        }

        if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ngx_http_strm_egress_fanout(rkm);

        } else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            ngx_log_error(NGX_LOG_WARN, w->c->log, 0,
                          "strm egress: %s", rd_kafka_message_errstr(rkm));
        }

        rd_kafka_message_destroy(rkm);
    }

    /* more than one round's worth: go on after other events */
    ngx_post_event(w->c->read, &ngx_posted_events);
}


/* one event to every client of its topic; frees the clients gone */
static void
ngx_http_strm_egress_fanout(rd_kafka_message_t *rkm)
{
    const char                     *name;
    ngx_queue_t                    *q, *next;
    ngx_http_strm_egress_topic_t   *et;
    ngx_http_strm_egress_client_t  *ec;

    name = rd_kafka_topic_name(rkm->rkt);

    et = ngx_http_strm_egress_topic((u_char *) name, ngx_strlen(name));
    if (et == NULL) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "strm egress: event of %uz bytes from \"%V\"",
                   rkm->len, &et->topic);

    /* a finalized client only detaches: its record stays in the list */
    for (q = ngx_queue_head(&et->clients);
         q != ngx_queue_sentinel(&et->clients);
         q = next)
    {
        next = ngx_queue_next(q);
        ec = ngx_queue_data(q, ngx_http_strm_egress_client_t, queue);

        if (ec->r == NULL) {
            ngx_http_strm_egress_free(ec);
            continue;
        }

        if (!ec->closing) {
            ngx_http_strm_egress_deliver(ec, rkm);
        }
    }
}


/* a foreign event for the request: it ends with its posted requests */
static void
ngx_http_strm_egress_deliver(ngx_http_strm_egress_client_t *ec,
    rd_kafka_message_t *rkm)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ec->r;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    switch (ngx_http_strm_egress_queue(ec, STRM_WS_TEXT, rkm->payload,
                                       rkm->len, 0))
    {
    case NGX_OK:
        ngx_http_strm_egress_send(ec);
        break;

    case NGX_DECLINED:
        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "strm egress: a client that does not read passed "
                      "strm_egress_buffer: dropped");
        ngx_http_strm_egress_finalize(r);
        break;

    default:
        ngx_http_strm_egress_finalize(r);
    }

    ngx_http_run_posted_requests(c);
}


/* the worker's list of a topic's clients, NULL when there is none */
static ngx_http_strm_egress_topic_t *
ngx_http_strm_egress_topic(u_char *name, size_t len)
{
    ngx_uint_t                      i;
    ngx_http_strm_egress_topic_t   *et;
    ngx_http_strm_egress_worker_t  *w;

    w = &ngx_http_strm_egress_w;

    if (w->rk == NULL) {
        return NULL;
    }

    et = w->topics.elts;

    for (i = 0; i < w->topics.nelts; i++) {
        if (et[i].topic.len == len
            && ngx_strncmp(et[i].topic.data, name, len) == 0)
        {
            return &et[i];
        }
    }

    return NULL;
}


/* frees the detached clients of every topic, or all of them */
static void
ngx_http_strm_egress_reap(ngx_uint_t all)
{
    ngx_uint_t                      i;
    ngx_queue_t                    *q, *next;
    ngx_http_strm_egress_topic_t   *et;
    ngx_http_strm_egress_client_t  *ec;

    et = ngx_http_strm_egress_w.topics.elts;

    for (i = 0; i < ngx_http_strm_egress_w.topics.nelts; i++) {

        for (q = ngx_queue_head(&et[i].clients);
             q != ngx_queue_sentinel(&et[i].clients);
             q = next)
        {
            next = ngx_queue_next(q);
            ec = ngx_queue_data(q, ngx_http_strm_egress_client_t, queue);

            if (all || ec->r == NULL) {
                ngx_http_strm_egress_free(ec);
            }
        }
    }
}


static void
ngx_http_strm_egress_free(ngx_http_strm_egress_client_t *ec)
{
    ngx_http_strm_egress_out_t  *out;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "strm egress: free client %p", ec);

    ngx_queue_remove(&ec->queue);
    ngx_http_strm_egress_w.nclients--;

    while (ec->head != NULL) {
        out = ec->head;
        ec->head = out->next;
        ngx_free(out);
    }

    ngx_free(ec);
}
