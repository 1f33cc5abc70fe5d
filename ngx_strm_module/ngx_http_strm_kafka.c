
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/eventfd.h>
#include <pthread.h>

#include "strm_topic.h"

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_conf_file.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_ready.h"
#include "ngx_http_strm_status.h"


#define NGX_HTTP_STRM_POLL_INTERVAL  100
#define NGX_HTTP_STRM_BROKERS_MAX    4096

/* librdkafka's scan for timed-out messages, and the report's way here */
#define NGX_HTTP_STRM_DELIVERY_SCAN   1000
#define NGX_HTTP_STRM_DELIVERY_SLACK  500

/* in-flight records kept for reuse: a record per event in flight */
#define NGX_HTTP_STRM_INFLIGHT_CACHE  4096

/* brokers whose state is followed; more are not counted */
#define NGX_HTTP_STRM_KAFKA_BROKERS  64
#define NGX_HTTP_STRM_KAFKA_NAME     256

/* the Kafka protocol's Metadata request */
#define NGX_HTTP_STRM_KAFKA_API_METADATA  3


/* a broker of the producer, by its address, as librdkafka reports it */
typedef struct {
    char                        name[NGX_HTTP_STRM_KAFKA_NAME];
    int                         port;
    ngx_uint_t                  up;
} ngx_http_strm_kafka_broker_t;


typedef struct {
    rd_kafka_t                 *rk;
    rd_kafka_queue_t           *mainq;
    rd_kafka_topic_t           *keys_rkt;   /* partitioned by session */
    ngx_connection_t           *c;
    ngx_event_t                 poll_ev;
    ngx_log_t                  *log;
    ngx_uint_t                  exiting;
    ngx_uint_t                  fatal;
    ngx_http_strm_main_conf_t  *smcf;

    /* freed in-flight records, linked through their data */
    ngx_http_strm_inflight_t   *free_inflight;
    ngx_uint_t                  nfree_inflight;

    /*
     * Written by librdkafka's threads (its interceptors), read by the
     * event loop: under the lock.
     */
    pthread_mutex_t             lock;
    ngx_uint_t                  nbrokers;
    ngx_uint_t                  metadata;   /* a Metadata response came */
    ngx_http_strm_kafka_broker_t  brokers[NGX_HTTP_STRM_KAFKA_BROKERS];
} ngx_http_strm_kafka_t;


typedef struct {
    void                      (*serve)(void);
} ngx_http_strm_kafka_watch_t;


static ngx_int_t ngx_http_strm_kafka_bootstrap(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_kafka_split_brokers(ngx_conf_t *cf,
    ngx_array_t *brokers, u_char *p, size_t len);
static ngx_int_t ngx_http_strm_kafka_brokers_file(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static char *ngx_http_strm_kafka_check_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static ngx_int_t ngx_http_strm_kafka_set_defaults(ngx_conf_t *cf,
    rd_kafka_conf_t *conf);
static ngx_int_t ngx_http_strm_kafka_set_timeouts(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf, rd_kafka_conf_t *conf);
static ngx_int_t ngx_http_strm_kafka_property_table(ngx_conf_t *cf,
    ngx_str_t *table);
static u_char ngx_http_strm_kafka_scope(ngx_str_t *table, ngx_str_t *name);
static int32_t ngx_http_strm_kafka_partitioner(const rd_kafka_topic_t *rkt,
    const void *key, size_t keylen, int32_t partitions, void *rkt_opaque,
    void *msg_opaque);
static void ngx_http_strm_kafka_read_handler(ngx_event_t *rev);
static void ngx_http_strm_kafka_poll_handler(ngx_event_t *ev);
static void ngx_http_strm_kafka_serve(void);
static void ngx_http_strm_kafka_dr(rd_kafka_t *rk,
    const rd_kafka_message_t *rkm, void *opaque);
static void ngx_http_strm_kafka_conf_cleanup(void *data);
static void ngx_http_strm_inflight_drain(void);
static rd_kafka_resp_err_t ngx_http_strm_kafka_on_new(rd_kafka_t *rk,
    const rd_kafka_conf_t *conf, void *ic_opaque, char *errstr,
    size_t errstr_size);
static rd_kafka_resp_err_t ngx_http_strm_kafka_on_broker_state(
    rd_kafka_t *rk, int32_t broker_id, const char *secproto,
    const char *name, int port, const char *state, void *ic_opaque);
static rd_kafka_resp_err_t ngx_http_strm_kafka_on_response(rd_kafka_t *rk,
    int sockfd, const char *brokername, int32_t brokerid, int16_t api_key,
    int16_t api_version, int32_t corr_id, size_t size, int64_t rtt,
    rd_kafka_resp_err_t err, void *ic_opaque);


/* one producer per worker process */
static ngx_http_strm_kafka_t  ngx_http_strm_kafka = {
    .lock = PTHREAD_MUTEX_INITIALIZER
};


/*
 * Defaults of the gateway's producer; strm_kafka_property overrides
 * them.  Idempotence keeps retried batches from becoming duplicates.
 * The answer waits for the ack, and a batch's first event waits
 * linger.ms before it is sent: at 2 ms that wait was most of an h1
 * request's time; at 0.5 ms it costs no more instructions per event
 * under load (scripts/bench-callgrind -k linger.ms=...).  linger.ms 0
 * (with or without max.in.flight.requests.per.connection 1 or 2) was
 * measured against it at half load: 2-3 times librdkafka's CPU per
 * event and no better p99; see docs/performance.md, "Seventh round".
 */
static const char  *ngx_http_strm_kafka_defaults[][2] = {
    { "enable.idempotence", "true" },
    { "linger.ms", "0.5" },
    { "log.queue", "true" },
    { "client.id", "ngx_strm" },
    { "reconnect.backoff.max.ms", "1000" },
    { NULL, NULL }
};


/*
 * strm_kafka_brokers host:port ...: spaces, commas (as librdkafka and
 * every Kafka tool write a broker list) or both
 */

char *
ngx_http_strm_kafka_brokers(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (smcf->brokers != NULL) {
        return "is duplicate";
    }

    smcf->brokers = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_str_t));
    if (smcf->brokers == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_http_strm_kafka_split_brokers(cf, smcf->brokers,
                                              value[i].data,
                                              value[i].len)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (smcf->brokers->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no Kafka brokers in \"strm_kafka_brokers\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Adds the host:port items of a list separated by commas and white
 * space to brokers; empty items ("a:1, b:2") are skipped.
 */
static ngx_int_t
ngx_http_strm_kafka_split_brokers(ngx_conf_t *cf, ngx_array_t *brokers,
    u_char *p, size_t len)
{
    u_char     *last, *start;
    ngx_str_t  *b;

    last = p + len;

    while (p < last) {
        while (p < last
               && (*p == ',' || *p == ' ' || *p == '\t' || *p == '\r'
                   || *p == '\n'))
        {
            p++;
        }

        start = p;

        while (p < last
               && *p != ',' && *p != ' ' && *p != '\t' && *p != '\r'
               && *p != '\n')
        {
            p++;
        }

        if (p == start) {
            break;
        }

        if (ngx_strlchr(start, p, ':') == NULL || *start == ':'
            || p[-1] == ':')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Kafka broker \"%*s\", "
                               "expected host:port", p - start, start);
            return NGX_ERROR;
        }

        b = ngx_array_push(brokers);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->data = start;
        b->len = p - start;
    }

    return NGX_OK;
}


/* strm_kafka_property name value */

char *
ngx_http_strm_kafka_property(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_strm_main_conf_t  *smcf = conf;

    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    static const char  *reserved[] = {
        "bootstrap.servers", "metadata.broker.list", "dr_msg_cb",
        "dr_cb", "log_cb", "error_cb", "opaque", "log.queue",
        "message.timeout.ms", "delivery.timeout.ms", NULL
    };

    value = cf->args->elts;

    for (i = 0; reserved[i] != NULL; i++) {
        if (ngx_strcmp(value[1].data, reserved[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm_kafka_property \"%V\" is set by "
                               "the module (use strm_kafka_brokers or "
                               "strm_kafka_delivery_timeout)", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (smcf->properties == NULL) {
        smcf->properties = ngx_array_create(cf->pool, 4,
                                            sizeof(ngx_keyval_t));
        if (smcf->properties == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = smcf->properties->elts;

    for (i = 0; i < smcf->properties->nelts; i++) {
        if (kv[i].key.len == value[1].len
            && ngx_strcmp(kv[i].key.data, value[1].data) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate strm_kafka_property \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(smcf->properties);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    /* arguments of ngx_conf_read_token() are NUL-terminated */
    kv->key = value[1];
    kv->value = value[2];

    return NGX_CONF_OK;
}


char *
ngx_http_strm_kafka_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    ngx_conf_init_msec_value(smcf->delivery_timeout,
                             NGX_HTTP_STRM_DELIVERY_TIMEOUT);

    /* librdkafka's message.timeout.ms: 0 would mean "wait forever" */
    if (smcf->delivery_timeout == 0
        || smcf->delivery_timeout > NGX_HTTP_STRM_DELIVERY_TIMEOUT_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid strm_kafka_delivery_timeout: "
                           "from 1ms to 24d");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_strm_kafka_bootstrap(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_strm_kafka_check_conf(cf, smcf);
}


/* librdkafka's bootstrap.servers: the brokers joined by commas */
static ngx_int_t
ngx_http_strm_kafka_bootstrap(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *b;
    ngx_uint_t   i;

    if (smcf->brokers != NULL && smcf->brokers_file.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_kafka_brokers\" and "
                           "\"strm_kafka_brokers_file\" are exclusive");
        return NGX_ERROR;
    }

    if (smcf->brokers_file.len
        && ngx_http_strm_kafka_brokers_file(cf, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (smcf->brokers == NULL) {
        ngx_str_set(&smcf->bootstrap, "127.0.0.1:9092");
        return NGX_OK;
    }

    b = smcf->brokers->elts;
    len = 0;

    for (i = 0; i < smcf->brokers->nelts; i++) {
        len += b[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    smcf->bootstrap.data = p;

    for (i = 0; i < smcf->brokers->nelts; i++) {
        if (i > 0) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, b[i].data, b[i].len);
    }

    smcf->bootstrap.len = p - smcf->bootstrap.data;
    *p = '\0';

    return NGX_OK;
}


/*
 * The file strm-devbroker writes: brokers joined by commas (spaces and
 * lines too, as strm_kafka_brokers takes them).  Read at configuration
 * time so that "nginx -t" and a reload see it.
 */
static ngx_int_t
ngx_http_strm_kafka_brokers_file(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf)
{
    u_char  *p, *copy;
    size_t   len;

    if (ngx_http_strm_conf_read_file(cf, "strm_kafka_brokers_file",
                                     &smcf->brokers_file,
                                     NGX_HTTP_STRM_BROKERS_MAX, &p, &len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the file's buffer is temporary; the brokers point into a copy */
    copy = ngx_pnalloc(cf->pool, len);
    smcf->brokers = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));

    if (copy == NULL || smcf->brokers == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy, p, len);

    if (ngx_http_strm_kafka_split_brokers(cf, smcf->brokers, copy, len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (smcf->brokers->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no Kafka brokers in \"%V\"", &smcf->brokers_file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_strm_valid_topic(ngx_str_t *topic)
{
    return strm_topic_valid((char *) topic->data, topic->len) ? NGX_OK
                                                              : NGX_ERROR;
}


ngx_int_t
ngx_http_strm_conf_topic(ngx_conf_t *cf, ngx_str_t *topic)
{
    if (ngx_http_strm_valid_topic(topic) == NGX_OK) {
        return NGX_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid Kafka topic \"%V\": 1 to 249 of "
                       "a-z A-Z 0-9 . _ -", topic);

    return NGX_ERROR;
}


/*
 * The producer's configuration, checked by librdkafka, and the
 * properties the consumers (keys topic, strm_egress) take.  Each
 * client gets only the properties of its kind: librdkafka's own table
 * (CONFIGURATION.md) marks each one P (producer), C (consumer) or *
 * (both), and a client given one of the other kind logs a CONFWARN at
 * every start.
 */
static char *
ngx_http_strm_kafka_check_conf(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf)
{
    u_char               scope;
    ngx_str_t            table;
    ngx_uint_t           i;
    ngx_keyval_t        *kv, *ckv;
    rd_kafka_conf_t     *conf, *cconf;
    ngx_pool_cleanup_t  *cln;
    char                 errstr[512];

    conf = rd_kafka_conf_new();
    if (conf == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        rd_kafka_conf_destroy(conf);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_strm_kafka_conf_cleanup;
    cln->data = conf;

    if (ngx_http_strm_kafka_set_defaults(cf, conf) != NGX_OK
        || ngx_http_strm_kafka_property_table(cf, &table) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    smcf->consumer_properties = ngx_array_create(cf->pool, 4,
                                                 sizeof(ngx_keyval_t));
    if (smcf->consumer_properties == NULL) {
        return NGX_CONF_ERROR;
    }

    /* a consumer's properties are checked on a consumer's configuration */
    cconf = rd_kafka_conf_new();
    if (cconf == NULL) {
        return NGX_CONF_ERROR;
    }

    kv = smcf->properties ? smcf->properties->elts : NULL;

    for (i = 0; smcf->properties && i < smcf->properties->nelts; i++) {
        scope = ngx_http_strm_kafka_scope(&table, &kv[i].key);

        if (scope != 'C'
            && rd_kafka_conf_set(conf, (char *) kv[i].key.data,
                                 (char *) kv[i].value.data,
                                 errstr, sizeof(errstr))
               != RD_KAFKA_CONF_OK)
        {
            goto invalid;
        }

        if (scope == 'P') {
            continue;
        }

        if (rd_kafka_conf_set(cconf, (char *) kv[i].key.data,
                              (char *) kv[i].value.data,
                              errstr, sizeof(errstr))
            != RD_KAFKA_CONF_OK)
        {
            goto invalid;
        }

        ckv = ngx_array_push(smcf->consumer_properties);
        if (ckv == NULL) {
            rd_kafka_conf_destroy(cconf);
            return NGX_CONF_ERROR;
        }

        *ckv = kv[i];
    }

    rd_kafka_conf_destroy(cconf);

    if (ngx_http_strm_kafka_set_timeouts(cf, smcf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (rd_kafka_conf_set(conf, "bootstrap.servers",
                          (char *) smcf->bootstrap.data,
                          errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Kafka brokers \"%V\": %s",
                           &smcf->bootstrap, errstr);
        return NGX_CONF_ERROR;
    }

    rd_kafka_conf_set_dr_msg_cb(conf, ngx_http_strm_kafka_dr);
    rd_kafka_conf_set_log_cb(conf, ngx_http_strm_kafka_log);
    rd_kafka_conf_set_error_cb(conf, ngx_http_strm_kafka_error);

    smcf->rk_conf = conf;

    return NGX_CONF_OK;

invalid:

    rd_kafka_conf_destroy(cconf);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid strm_kafka_property \"%V\": %s",
                       &kv[i].key, errstr);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_strm_kafka_set_defaults(ngx_conf_t *cf, rd_kafka_conf_t *conf)
{
    ngx_uint_t  i;
    char        errstr[512];

    for (i = 0; ngx_http_strm_kafka_defaults[i][0] != NULL; i++) {
        if (rd_kafka_conf_set(conf, ngx_http_strm_kafka_defaults[i][0],
                              ngx_http_strm_kafka_defaults[i][1],
                              errstr, sizeof(errstr))
            != RD_KAFKA_CONF_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "strm kafka: default \"%s\": %s",
                               ngx_http_strm_kafka_defaults[i][0], errstr);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * librdkafka's message.timeout.ms is strm_kafka_delivery_timeout, so
 * that its delivery report answers 503 kafka_timeout.  The report can
 * come late: librdkafka scans for timed-out messages about every
 * second, but not while a broker's thread waits to reconnect, which is
 * up to reconnect.backoff.max.ms and half again (its jitter).  The
 * request's own timer (504 delivery_timeout, a safety net for a report
 * that never comes) is set past that bound, from the configuration
 * librdkafka will run with: it cannot fire first.
 */
static ngx_int_t
ngx_http_strm_kafka_set_timeouts(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf, rd_kafka_conf_t *conf)
{
    size_t      size;
    ngx_int_t   backoff;
    u_char      timeout[NGX_INT_T_LEN + 1];
    char        value[64], errstr[512];

    *ngx_sprintf(timeout, "%M", smcf->delivery_timeout) = '\0';

    if (rd_kafka_conf_set(conf, "message.timeout.ms", (char *) timeout,
                          errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid strm_kafka_delivery_timeout: %s", errstr);
        return NGX_ERROR;
    }

    size = sizeof(value);

    if (rd_kafka_conf_get(conf, "reconnect.backoff.max.ms", value, &size)
        != RD_KAFKA_CONF_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm kafka: no reconnect.backoff.max.ms");
        return NGX_ERROR;
    }

    backoff = ngx_atoi((u_char *) value, ngx_strlen(value));
    if (backoff == NGX_ERROR) {
        backoff = 0;
    }

    smcf->delivery_net = smcf->delivery_timeout
                         + (ngx_msec_t) backoff * 3 / 2
                         + NGX_HTTP_STRM_DELIVERY_SCAN
                         + NGX_HTTP_STRM_DELIVERY_SLACK;

    return NGX_OK;
}


/*
 * librdkafka's table of properties, as its CONFIGURATION.md: lines of
 * "name | C/P | range | default | importance | description"
 */
static ngx_int_t
ngx_http_strm_kafka_property_table(ngx_conf_t *cf, ngx_str_t *table)
{
    FILE    *fp;
    char    *buf;
    size_t   len;

    buf = NULL;
    len = 0;

    fp = open_memstream(&buf, &len);
    if (fp == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "open_memstream() failed");
        return NGX_ERROR;
    }

    rd_kafka_conf_properties_show(fp);

    if (fclose(fp) != 0 || buf == NULL) {
        free(buf);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "strm kafka: no property table");
        return NGX_ERROR;
    }

    table->data = ngx_pnalloc(cf->temp_pool, len + 1);
    if (table->data == NULL) {
        free(buf);
        return NGX_ERROR;
    }

    /* a leading newline: every row starts after one */
    table->data[0] = '\n';
    ngx_memcpy(table->data + 1, buf, len);
    table->len = len + 1;

    free(buf);

    return NGX_OK;
}


/* 'P', 'C' or '*' ('*' for a name the table does not have) */
static u_char
ngx_http_strm_kafka_scope(ngx_str_t *table, ngx_str_t *name)
{
    u_char  *p, *last;

    if (name->len == 0) {
        return '*';
    }

    p = table->data;
    last = table->data + table->len;

    for ( ;; ) {
        p = ngx_strlcasestrn(p, last, name->data, name->len - 1);

        if (p == NULL) {
            return '*';
        }

        if (p[-1] == '\n' && p + name->len < last
            && (p[name->len] == ' ' || p[name->len] == '|'))
        {
            break;
        }

        p += name->len;
    }

    p += name->len;

    while (p < last && (*p == ' ' || *p == '|')) {
        p++;
    }

    if (p < last && (*p == 'P' || *p == 'C')) {
        return *p;
    }

    return '*';
}


/*
 * A consumer's configuration: the brokers and the properties of
 * strm_kafka_property a consumer takes; the caller adds its own.
 */
rd_kafka_conf_t *
ngx_http_strm_kafka_consumer_conf(ngx_http_strm_main_conf_t *smcf,
    char *errstr, size_t size)
{
    ngx_uint_t        i;
    ngx_keyval_t     *kv;
    rd_kafka_conf_t  *conf;

    conf = rd_kafka_conf_new();
    if (conf == NULL) {
        ngx_cpystrn((u_char *) errstr, (u_char *) "rd_kafka_conf_new() failed",
                    size);
        return NULL;
    }

    if (rd_kafka_conf_set(conf, "bootstrap.servers",
                          (char *) smcf->bootstrap.data, errstr, size)
        != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "log.queue", "true", errstr, size)
           != RD_KAFKA_CONF_OK)
    {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }

    kv = smcf->consumer_properties ? smcf->consumer_properties->elts : NULL;

    for (i = 0;
         smcf->consumer_properties && i < smcf->consumer_properties->nelts;
         i++)
    {
        if (rd_kafka_conf_set(conf, (char *) kv[i].key.data,
                              (char *) kv[i].value.data, errstr, size)
            != RD_KAFKA_CONF_OK)
        {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }

    return conf;
}


static void
ngx_http_strm_kafka_conf_cleanup(void *data)
{
    rd_kafka_conf_t  *conf = data;

    rd_kafka_conf_destroy(conf);
}


ngx_int_t
ngx_http_strm_kafka_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    rd_kafka_t             *rk;
    rd_kafka_conf_t        *conf;
    rd_kafka_topic_conf_t  *tconf;
    ngx_http_strm_kafka_t  *k;
    char                    errstr[512];

    k = &ngx_http_strm_kafka;

    k->rk = NULL;
    k->mainq = NULL;
    k->keys_rkt = NULL;
    k->c = NULL;
    ngx_memzero(&k->poll_ev, sizeof(ngx_event_t));
    k->exiting = 0;
    k->fatal = 0;
    k->nbrokers = 0;
    k->metadata = 0;
    k->log = cycle->log;
    k->smcf = smcf;

    conf = rd_kafka_conf_dup(smcf->rk_conf);
    if (conf == NULL) {
        return NGX_ERROR;
    }

    /* what readiness needs to know: brokers up, metadata received */
    if (rd_kafka_conf_interceptor_add_on_new(conf, "strm",
                                             ngx_http_strm_kafka_on_new,
                                             NULL)
        != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        rd_kafka_conf_destroy(conf);
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm kafka: cannot add an interceptor");
        return NGX_ERROR;
    }

    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "strm kafka: rd_kafka_new() failed: %s", errstr);
        return NGX_ERROR;
    }

    k->rk = rk;

    if (smcf->keys_topic.len) {
        tconf = rd_kafka_topic_conf_new();
        if (tconf == NULL) {
            goto failed;
        }

        rd_kafka_topic_conf_set_partitioner_cb(tconf,
                                        ngx_http_strm_kafka_partitioner);

        /* the handle owns tconf from here on */
        k->keys_rkt = rd_kafka_topic_new(rk, (char *) smcf->keys_topic.data,
                                         tconf);
        if (k->keys_rkt == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "strm kafka: rd_kafka_topic_new() failed: %s",
                          rd_kafka_err2str(rd_kafka_last_error()));
            goto failed;
        }
    }

    /* librdkafka's own log lines are served by rd_kafka_poll() here */
    rd_kafka_set_log_queue(rk, NULL);

    k->mainq = rd_kafka_queue_get_main(rk);

    k->c = ngx_http_strm_kafka_watch(cycle, k->mainq,
                                     ngx_http_strm_kafka_serve);
    if (k->c == NULL) {
        goto failed;
    }

    /*
     * A safety net: serve the queue now and then even if a wake-up
     * was missed.  Cancelable, so it never holds a graceful exit.
     */
    k->poll_ev.handler = ngx_http_strm_kafka_poll_handler;
    k->poll_ev.log = cycle->log;
    k->poll_ev.data = k;
    k->poll_ev.cancelable = 1;
    ngx_add_timer(&k->poll_ev, NGX_HTTP_STRM_POLL_INTERVAL);

    return NGX_OK;

failed:

    ngx_http_strm_kafka_exit_process(cycle);

    return NGX_ERROR;
}


void
ngx_http_strm_kafka_exit_process(ngx_cycle_t *cycle)
{
    rd_kafka_resp_err_t     err;
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    /* the writer's buffer kept for the next event */
    strm_event_json_reuse(NULL, 0);

    if (k->rk == NULL) {
        return;
    }

    /* reports served from now on only free their records */
    k->exiting = 1;

    if (k->poll_ev.timer_set) {
        ngx_del_timer(&k->poll_ev);
    }

    err = rd_kafka_flush(k->rk, NGX_HTTP_STRM_EXIT_FLUSH);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "strm kafka: %d messages not delivered at exit: %s",
                      rd_kafka_outq_len(k->rk), rd_kafka_err2str(err));
    }

    ngx_http_strm_kafka_unwatch(k->c, k->mainq);
    k->c = NULL;

    if (k->mainq != NULL) {
        rd_kafka_queue_destroy(k->mainq);
        k->mainq = NULL;
    }

    if (k->keys_rkt != NULL) {
        rd_kafka_topic_destroy(k->keys_rkt);
        k->keys_rkt = NULL;
    }

    rd_kafka_destroy(k->rk);
    k->rk = NULL;

    /* rd_kafka_destroy() served the last reports */
    ngx_http_strm_inflight_drain();
}


rd_kafka_t *
ngx_http_strm_kafka_handle(void)
{
    return ngx_http_strm_kafka.rk;
}


ngx_uint_t
ngx_http_strm_kafka_ready(void)
{
    return ngx_http_strm_kafka.rk != NULL
           && !ngx_http_strm_kafka.exiting
           && !ngx_http_strm_kafka.fatal;
}


ngx_uint_t
ngx_http_strm_kafka_brokers_up(void)
{
    ngx_uint_t              i, n;
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    if (k->rk == NULL) {
        return 0;
    }

    n = 0;

    (void) pthread_mutex_lock(&k->lock);

    for (i = 0; i < k->nbrokers; i++) {
        n += k->brokers[i].up;
    }

    (void) pthread_mutex_unlock(&k->lock);

    return n;
}


ngx_uint_t
ngx_http_strm_kafka_metadata(void)
{
    ngx_uint_t              m;
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    if (k->rk == NULL) {
        return 0;
    }

    (void) pthread_mutex_lock(&k->lock);
    m = k->metadata;
    (void) pthread_mutex_unlock(&k->lock);

    return m;
}


static rd_kafka_resp_err_t
ngx_http_strm_kafka_on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf,
    void *ic_opaque, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t  err;

    err = rd_kafka_interceptor_add_on_broker_state_change(rk, "strm",
                                        ngx_http_strm_kafka_on_broker_state,
                                        NULL);

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = rd_kafka_interceptor_add_on_response_received(rk, "strm",
                                        ngx_http_strm_kafka_on_response,
                                        NULL);
    }

    return err;
}


/*
 * librdkafka's broker threads: a broker (by its address: a bootstrap
 * broker becomes the broker of that address) is up in state UP or
 * UPDATE.  Only the producer's brokers are followed.
 */
static rd_kafka_resp_err_t
ngx_http_strm_kafka_on_broker_state(rd_kafka_t *rk, int32_t broker_id,
    const char *secproto, const char *name, int port, const char *state,
    void *ic_opaque)
{
    size_t                         len;
    ngx_uint_t                     i;
    ngx_http_strm_kafka_t         *k;
    ngx_http_strm_kafka_broker_t  *b;

    k = &ngx_http_strm_kafka;

    /* the internal broker, a logical one, or a name too long */
    len = ngx_strlen(name);

    if (port <= 0 || len == 0 || len >= NGX_HTTP_STRM_KAFKA_NAME) {
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    }

    (void) pthread_mutex_lock(&k->lock);

    for (i = 0; i < k->nbrokers; i++) {
        b = &k->brokers[i];

        if (b->port == port && ngx_strcmp(b->name, name) == 0) {
            break;
        }
    }

    if (i == k->nbrokers && i < NGX_HTTP_STRM_KAFKA_BROKERS) {
        b = &k->brokers[i];
        ngx_memcpy(b->name, name, len + 1);
        b->port = port;
        k->nbrokers++;
    }

    if (i < k->nbrokers) {
        k->brokers[i].up = (ngx_strcmp(state, "UP") == 0
                            || ngx_strcmp(state, "UPDATE") == 0);
    }

    (void) pthread_mutex_unlock(&k->lock);

    return RD_KAFKA_RESP_ERR_NO_ERROR;
}


/* librdkafka's broker threads: the first Metadata response */
static rd_kafka_resp_err_t
ngx_http_strm_kafka_on_response(rd_kafka_t *rk, int sockfd,
    const char *brokername, int32_t brokerid, int16_t api_key,
    int16_t api_version, int32_t corr_id, size_t size, int64_t rtt,
    rd_kafka_resp_err_t err, void *ic_opaque)
{
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    if (api_key == NGX_HTTP_STRM_KAFKA_API_METADATA
        && err == RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        (void) pthread_mutex_lock(&k->lock);
        k->metadata = 1;
        (void) pthread_mutex_unlock(&k->lock);
    }

    return RD_KAFKA_RESP_ERR_NO_ERROR;
}


strm_rc_t
ngx_http_strm_kafka_produce(ngx_http_strm_message_t *msg,
    ngx_http_strm_inflight_t *in, ngx_log_t *log)
{
    int                     flags;
    ngx_uint_t              i;
    rd_kafka_headers_t     *hdrs;
    rd_kafka_resp_err_t     err;
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    /*
     * A borrowed payload (the request's body as it came) is copied into
     * the message's own allocation: one malloc(), as our own copy would
     * have cost, and nothing of the request's outlives it.  So is an
     * event's JSON whose buffer the writer takes back (msg->reuse).
     */
    flags = (msg->borrowed || msg->reuse) ? RD_KAFKA_MSG_F_COPY
                                          : RD_KAFKA_MSG_F_FREE;

    if (!ngx_http_strm_kafka_ready()) {
        return STRM_E_NOT_READY;
    }

    if (msg->session != NULL && (in == NULL || k->keys_rkt == NULL)) {
        return STRM_E_INTERNAL;
    }

    hdrs = rd_kafka_headers_new(NGX_HTTP_STRM_KAFKA_HEADERS + 1);

    (void) rd_kafka_header_add(hdrs, "strm-event-id",
                               sizeof("strm-event-id") - 1, msg->event_id,
                               (ssize_t) msg->event_id_len);

    for (i = 0; i < NGX_HTTP_STRM_KAFKA_HEADERS; i++) {
        /* the name's length given: no strlen() a header */
        if (msg->header_name[i].len != 0) {
            (void) rd_kafka_header_add(hdrs,
                                       (const char *) msg->header_name[i].data,
                                       (ssize_t) msg->header_name[i].len,
                                       msg->header_value[i].data,
                                       (ssize_t) msg->header_value[i].len);
        }
    }

    if (msg->session == NULL) {
        err = rd_kafka_producev(k->rk,
                                RD_KAFKA_V_TOPIC(msg->topic),
                                RD_KAFKA_V_MSGFLAGS(flags),
                                RD_KAFKA_V_VALUE(msg->payload, msg->len),
                                RD_KAFKA_V_KEY(msg->key, msg->key_len),
                                RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(in),
                                RD_KAFKA_V_END);

    } else {
        /* the partitioner finds the session in the opaque */
        ngx_memcpy(in->session, msg->session, STRM_KEYSTORE_HMAC_LEN);
        in->has_session = 1;

        err = rd_kafka_producev(k->rk,
                                RD_KAFKA_V_RKT(k->keys_rkt),
                                RD_KAFKA_V_MSGFLAGS(flags),
                                RD_KAFKA_V_VALUE(msg->payload, msg->len),
                                RD_KAFKA_V_KEY(msg->key, msg->key_len),
                                RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(in),
                                RD_KAFKA_V_END);
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* librdkafka owns the headers only once the message is queued */
        rd_kafka_headers_destroy(hdrs);
    }

    switch (err) {

    case RD_KAFKA_RESP_ERR_NO_ERROR:
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                       "strm kafka: produced %uz bytes to \"%s\"%s",
                       msg->len, msg->topic,
                       in ? "" : ", not waiting for the report");
        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KAFKA_PRODUCED);
        return STRM_OK;

    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        ngx_http_strm_status_incr(NGX_HTTP_STRM_STAT_KAFKA_QUEUE_FULL);
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "strm kafka: local queue full (%d messages)",
                      rd_kafka_outq_len(k->rk));
        return STRM_E_QUEUE_FULL;

    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        return STRM_E_TOO_LARGE;

    default:
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "strm kafka: produce to \"%s\" failed: %s",
                      msg->topic, rd_kafka_err2str(err));
        return STRM_E_KAFKA;
    }
}


/*
 * The keys topic's partitioner: every candidate of a session lands in
 * the session's partition, where the first one wins.  librdkafka may
 * call it from its own threads: it only reads the message's opaque.
 */
static int32_t
ngx_http_strm_kafka_partitioner(const rd_kafka_topic_t *rkt, const void *key,
    size_t keylen, int32_t partitions, void *rkt_opaque, void *msg_opaque)
{
    ngx_http_strm_inflight_t  *in = msg_opaque;

    if (in == NULL || !in->has_session) {
        return rd_kafka_msg_partitioner_consistent_random(rkt, key, keylen,
                                                          partitions,
                                                          rkt_opaque,
                                                          msg_opaque);
    }

    return strm_keys_partition(in->session, partitions);
}


/*
 * librdkafka writes to an eventfd when the queue gets something; the
 * eventfd is watched as an nginx connection, so the queue is served in
 * the event loop and nothing blocks.
 */
ngx_connection_t *
ngx_http_strm_kafka_watch(ngx_cycle_t *cycle, rd_kafka_queue_t *q,
    void (*serve)(void))
{
    int                           fd;
    ngx_connection_t             *c;
    ngx_http_strm_kafka_watch_t  *w;

    static uint64_t               one = 1;

    w = ngx_palloc(cycle->pool, sizeof(ngx_http_strm_kafka_watch_t));
    if (w == NULL) {
        return NULL;
    }

    w->serve = serve;

    fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "strm kafka: eventfd() failed");
        return NULL;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        return NULL;
    }

    c->data = w;
    c->read->handler = ngx_http_strm_kafka_read_handler;
    c->read->log = cycle->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return NULL;
    }

    rd_kafka_queue_io_event_enable(q, fd, &one, sizeof(one));

    return c;
}


void
ngx_http_strm_kafka_unwatch(ngx_connection_t *c, rd_kafka_queue_t *q)
{
    if (q != NULL) {
        rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
    }

    if (c != NULL) {
        ngx_close_connection(c);
    }
}


static void
ngx_http_strm_kafka_read_handler(ngx_event_t *rev)
{
    ssize_t                       n;
    uint64_t                      v;
    ngx_connection_t             *c;
    ngx_http_strm_kafka_watch_t  *w;

    c = rev->data;
    w = c->data;

    /* one read() takes the eventfd's whole count and sets it to 0 */
    n = read(c->fd, &v, sizeof(v));

    if (n == -1 && ngx_errno != NGX_EAGAIN && ngx_errno != NGX_EINTR) {
        ngx_log_error(NGX_LOG_ALERT, rev->log, ngx_errno,
                      "strm kafka: read() from eventfd failed");
    }

    w->serve();

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, rev->log, 0,
                      "strm kafka: cannot watch the eventfd");
    }
}


static void
ngx_http_strm_kafka_poll_handler(ngx_event_t *ev)
{
    ngx_http_strm_kafka_t  *k = ev->data;

    if (k->rk == NULL) {
        return;
    }

    ngx_http_strm_kafka_serve();

    /* the strm_ready and strm_kafka_brokers_up gauges of strm_status */
    ngx_http_strm_ready_publish(k->smcf);

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, NGX_HTTP_STRM_POLL_INTERVAL);
    }
}


static void
ngx_http_strm_kafka_serve(void)
{
    if (ngx_http_strm_kafka.rk != NULL) {
        (void) rd_kafka_poll(ngx_http_strm_kafka.rk, 0);
    }
}


static void
ngx_http_strm_kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
    void *opaque)
{
    int64_t                    latency;
    strm_rc_t                  rc;
    const char                *reason;
    ngx_http_strm_inflight_t  *in;

    in = rkm->_private;
    reason = NULL;

    switch (rkm->err) {

    case RD_KAFKA_RESP_ERR_NO_ERROR:
        rc = STRM_OK;
        break;

    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        rc = STRM_E_KAFKA_TIMEOUT;
        reason = rd_kafka_err2str(rkm->err);
        break;

    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        rc = STRM_E_TOO_LARGE;
        break;

    default:
        rc = STRM_E_KAFKA;
        reason = rd_kafka_err2str(rkm->err);
        break;
    }

    /* microseconds since produce, -1 when librdkafka does not know */
    latency = rd_kafka_message_latency(rkm);

    if (rc != STRM_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_http_strm_kafka.log, 0,
                      "strm kafka: delivery to \"%s\" failed after %L ms: "
                      "%s", rd_kafka_topic_name(rkm->rkt),
                      latency >= 0 ? latency / 1000 : -1,
                      rd_kafka_err2str(rkm->err));
    }

    ngx_http_strm_status_incr(rc == STRM_OK
                              ? NGX_HTTP_STRM_STAT_KAFKA_DELIVERED
                              : NGX_HTTP_STRM_STAT_KAFKA_FAILED);

    if (latency >= 0) {
        ngx_http_strm_status_observe(NGX_HTTP_STRM_HIST_DELIVERY,
                                     (ngx_msec_t) (latency / 1000));

        /* a new key link's record (its inflight names the link) */
        if (rc == STRM_OK && in != NULL && in->link[0] != '\0') {
            ngx_http_strm_status_observe(NGX_HTTP_STRM_HIST_KEY_SYNC,
                                         (ngx_msec_t) (latency / 1000));
        }
    }

    if (in == NULL) {
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_http_strm_kafka.log, 0,
                   "strm kafka: delivery report to \"%s\": %s%s",
                   rd_kafka_topic_name(rkm->rkt), strm_error_get(rc)->code,
                   in->data ? "" : ", detached");

    in->partition = rkm->partition;
    in->offset = rkm->offset;

    /* at exit the requests are gone */
    if (in->data != NULL && !ngx_http_strm_kafka.exiting) {
        in->handler(in, rc, reason);
    }

    ngx_http_strm_inflight_free(in);
}


/*
 * In-flight records come from a free list of this worker: at load
 * hundreds are in flight at once, more than malloc()'s per-thread cache
 * holds, and each would cost a trip into its arena.
 */
ngx_http_strm_inflight_t *
ngx_http_strm_inflight_new(ngx_log_t *log)
{
    ngx_http_strm_kafka_t     *k;
    ngx_http_strm_inflight_t  *in;

    k = &ngx_http_strm_kafka;

    in = k->free_inflight;

    if (in != NULL) {
        k->free_inflight = in->data;
        k->nfree_inflight--;

    } else {
        in = ngx_alloc(sizeof(ngx_http_strm_inflight_t), log);
        if (in == NULL) {
            return NULL;
        }
    }

    ngx_memzero(in, sizeof(ngx_http_strm_inflight_t));

    return in;
}


void
ngx_http_strm_inflight_free(ngx_http_strm_inflight_t *in)
{
    ngx_http_strm_kafka_t  *k;

    k = &ngx_http_strm_kafka;

    if (k->nfree_inflight >= NGX_HTTP_STRM_INFLIGHT_CACHE) {
        ngx_free(in);
        return;
    }

    in->data = k->free_inflight;
    k->free_inflight = in;
    k->nfree_inflight++;
}


static void
ngx_http_strm_inflight_drain(void)
{
    ngx_http_strm_kafka_t     *k;
    ngx_http_strm_inflight_t  *in;

    k = &ngx_http_strm_kafka;

    while (k->free_inflight != NULL) {
        in = k->free_inflight;
        k->free_inflight = in->data;
        ngx_free(in);
    }

    k->nfree_inflight = 0;
}


void
ngx_http_strm_kafka_log(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
    ngx_uint_t  nlevel;

    /* syslog levels */
    if (level <= 2) {
        nlevel = NGX_LOG_ALERT;

    } else if (level == 3) {
        nlevel = NGX_LOG_ERR;

    } else if (level == 4) {
        nlevel = NGX_LOG_WARN;

    } else if (level <= 6) {
        nlevel = NGX_LOG_INFO;

    } else {
        nlevel = NGX_LOG_DEBUG;
    }

    ngx_log_error(nlevel, ngx_http_strm_kafka.log, 0,
                  "strm kafka: %s: %s", fac, buf);
}


void
ngx_http_strm_kafka_error(rd_kafka_t *rk, int err, const char *reason,
    void *opaque)
{
    char                 fstr[512];
    rd_kafka_resp_err_t  ferr;

    /*
     * Broker connection trouble is reported here and retried by
     * librdkafka; the requests it affects answer for themselves.  A
     * fatal error (idempotence broken) leaves the producer unusable:
     * the worker answers 503 not_ready until it is restarted (reload).
     */
    if (err != RD_KAFKA_RESP_ERR__FATAL) {
        ngx_log_error(NGX_LOG_WARN, ngx_http_strm_kafka.log, 0,
                      "strm kafka: %s: %s",
                      rd_kafka_err2name((rd_kafka_resp_err_t) err), reason);
        return;
    }

    ngx_http_strm_kafka.fatal = 1;

    ferr = rd_kafka_fatal_error(rk, fstr, sizeof(fstr));

    ngx_log_error(NGX_LOG_ALERT, ngx_http_strm_kafka.log, 0,
                  "strm kafka: fatal producer error %s: %s, "
                  "reload nginx to recreate the producer",
                  rd_kafka_err2name(ferr), fstr);
}
