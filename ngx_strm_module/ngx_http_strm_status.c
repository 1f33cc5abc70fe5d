
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_headers.h"
#include "ngx_http_strm_answer.h"
#include "ngx_http_strm_keys.h"
#include "ngx_http_strm_status.h"


#define NGX_HTTP_STRM_STATUS_ZONE_SIZE  (1024 * 1024)
#define NGX_HTTP_STRM_STATUS_ZONE_MIN   (64 * 1024)

#define NGX_HTTP_STRM_STATUS_ONE(name, rc, status, generic, code, msg)  + 1
#define NGX_HTTP_STRM_STATUS_NRC                                             \
    (0 STRM_ERRORS(NGX_HTTP_STRM_STATUS_ONE))

#define NGX_HTTP_STRM_STATUS_RC(name, rc, status, generic, code, msg)  name,
#define NGX_HTTP_STRM_STATUS_CODE(name, rc, status, generic, code, msg)  code,

#define NGX_HTTP_STRM_STATUS_OTHER  "_other"

/* workers that report their readiness (ngx_worker below this) */
#define NGX_HTTP_STRM_STATUS_WORKERS  256

/* histogram bucket bounds, milliseconds; one more bucket for +Inf */
#define NGX_HTTP_STRM_STATUS_NBUCKETS  12

static const ngx_msec_t  ngx_http_strm_status_bounds[] = {
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};


/*
 * One (stream, schema ref) pair.  The rbtree node is an ngx_str_node_t
 * whose str is "stream\0schema_ref" in data[], so the tree's insert
 * function is nginx's own ngx_str_rbtree_insert_value(): a function of
 * this module would have another address after a reload that loads a
 * rebuilt .so, while the tree, in shared memory, outlives the reload.
 * Nodes are never freed: the counters live as long as the zone.
 */
typedef struct {
    ngx_str_node_t                 sn;
    ngx_queue_t                    queue;         /* in creation order */
    size_t                         stream_len;
    ngx_atomic_t                   requests;
    ngx_atomic_t                   accepted;
    ngx_atomic_t                   bytes;
    ngx_atomic_t                   rejected[NGX_HTTP_STRM_STATUS_NRC];
    u_char                         data[1];
} ngx_http_strm_status_node_t;


/* one histogram: per-bucket (not cumulative) counts, the sum in ms */
typedef struct {
    ngx_atomic_t                   bucket[NGX_HTTP_STRM_STATUS_NBUCKETS + 1];
    ngx_atomic_t                   sum;
} ngx_http_strm_status_hist_t;


/* what one worker reports of itself (ngx_http_strm_status_worker()) */
typedef struct {
    ngx_atomic_t                   pid;
    ngx_atomic_t                   ready;
    ngx_atomic_t                   brokers_up;
} ngx_http_strm_status_worker_t;


typedef struct {
    ngx_rbtree_t                   rbtree;
    ngx_rbtree_node_t              sentinel;
    ngx_queue_t                    queue;
    ngx_http_strm_status_node_t   *overflow;      /* "" / "_other" */
    ngx_uint_t                     full;          /* logged once */
    ngx_atomic_t                   stat[NGX_HTTP_STRM_STAT_N];
    ngx_http_strm_status_hist_t    hist[NGX_HTTP_STRM_HIST_N];
    ngx_atomic_t                   workers;       /* worker_processes */
    ngx_http_strm_status_worker_t  worker[NGX_HTTP_STRM_STATUS_WORKERS];
} ngx_http_strm_status_shctx_t;


typedef struct {
    ngx_http_strm_status_shctx_t  *sh;
    ngx_slab_pool_t               *shpool;
} ngx_http_strm_status_ctx_t;


typedef struct {
    size_t                         size;
    ngx_shm_zone_t                *shm_zone;
} ngx_http_strm_status_main_conf_t;


/* the worker's last counted pair: its node, the cycle and the zone */
static ngx_http_strm_status_node_t   *ngx_http_strm_status_last;
static volatile ngx_cycle_t          *ngx_http_strm_status_last_cycle;
static ngx_http_strm_status_shctx_t  *ngx_http_strm_status_last_sh;


static ngx_int_t ngx_http_strm_status_init(ngx_conf_t *cf);
static void *ngx_http_strm_status_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_strm_status_init_main_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_strm_status_zone_size(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_strm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_strm_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_uint_t ngx_http_strm_status_index(strm_rc_t rc);
static ngx_http_strm_status_node_t *ngx_http_strm_status_lookup(
    ngx_http_strm_status_ctx_t *ctx, uint32_t hash, ngx_str_t *stream,
    ngx_str_t *ref);
static ngx_int_t ngx_http_strm_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_strm_status_error(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static size_t ngx_http_strm_status_size(ngx_http_strm_status_shctx_t *sh,
    ngx_uint_t prom);
static u_char *ngx_http_strm_status_json(ngx_http_strm_status_shctx_t *sh,
    u_char *p, u_char *last);
static u_char *ngx_http_strm_status_json_entry(u_char *p, u_char *last,
    ngx_http_strm_status_node_t *n, ngx_uint_t names);
static u_char *ngx_http_strm_status_prom(ngx_http_strm_status_shctx_t *sh,
    u_char *p, u_char *last);
static u_char *ngx_http_strm_status_prom_labels(u_char *p,
    ngx_http_strm_status_node_t *n);
static u_char *ngx_http_strm_status_prom_escape(u_char *p, u_char *src,
    size_t len);
static ngx_atomic_uint_t ngx_http_strm_status_rejected(
    ngx_http_strm_status_node_t *n, ngx_uint_t code);
static ngx_http_strm_status_node_t *ngx_http_strm_status_next(
    ngx_http_strm_status_shctx_t *sh, ngx_http_strm_status_node_t *n);
static u_char *ngx_http_strm_status_json_zone(
    ngx_http_strm_status_shctx_t *sh, u_char *p, u_char *last);
static u_char *ngx_http_strm_status_json_hist(u_char *p, u_char *last,
    ngx_http_strm_status_hist_t *h);
static u_char *ngx_http_strm_status_prom_zone(
    ngx_http_strm_status_shctx_t *sh, u_char *p, u_char *last);
static void ngx_http_strm_status_workers(ngx_http_strm_status_shctx_t *sh,
    ngx_atomic_uint_t *ready, ngx_atomic_uint_t *brokers_up);


/*
 * The zone of this cycle, for the counters that are not per request
 * (delivery reports run without one).  Set when the zone is ready, in
 * the master, before the workers are forked.
 */
static ngx_http_strm_status_ctx_t  *ngx_http_strm_status_zone_ctx;


static ngx_conf_post_handler_pt  ngx_http_strm_status_zone_size_p =
    ngx_http_strm_status_zone_size;


static ngx_command_t  ngx_http_strm_status_commands[] = {

    { ngx_string("strm_status_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_strm_status_main_conf_t, size),
      &ngx_http_strm_status_zone_size_p },

    { ngx_string("strm_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_strm_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_strm_status_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_strm_status_init,             /* postconfiguration */

    ngx_http_strm_status_create_main_conf, /* create main configuration */
    ngx_http_strm_status_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_strm_status_module = {
    NGX_MODULE_V1,
    &ngx_http_strm_status_module_ctx,      /* module context */
    ngx_http_strm_status_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the rc of each row of STRM_ERRORS, and its short code */
static const strm_rc_t  ngx_http_strm_status_rcs[] = {
    STRM_ERRORS(NGX_HTTP_STRM_STATUS_RC)
};

static const char  *ngx_http_strm_status_codes[] = {
    STRM_ERRORS(NGX_HTTP_STRM_STATUS_CODE)
};

/*
 * For each row, the first row with the same short code: rows that share
 * a code ("internal_error") are output as one sum.
 */
static ngx_uint_t  ngx_http_strm_status_first[NGX_HTTP_STRM_STATUS_NRC];

/* sum of the lengths of the distinct short codes, and their number */
static size_t      ngx_http_strm_status_codes_len;
static ngx_uint_t  ngx_http_strm_status_ncodes;


static ngx_str_t  ngx_http_strm_status_prom_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");

static ngx_str_t  ngx_http_strm_status_405 = ngx_string(
    "{\"error\":\"only GET and HEAD are accepted here\","
    "\"code\":\"method_not_allowed\"}\n");
static ngx_str_t  ngx_http_strm_status_400 = ngx_string(
    "{\"error\":\"format must be json or prometheus\","
    "\"code\":\"bad_request\"}\n");


static ngx_int_t
ngx_http_strm_status_init(ngx_conf_t *cf)
{
    ngx_uint_t  i, j;

    ngx_http_strm_status_codes_len = 0;
    ngx_http_strm_status_ncodes = 0;

    for (i = 0; i < NGX_HTTP_STRM_STATUS_NRC; i++) {

        for (j = 0; j < i; j++) {
            if (ngx_strcmp(ngx_http_strm_status_codes[j],
                           ngx_http_strm_status_codes[i])
                == 0)
            {
                break;
            }
        }

        ngx_http_strm_status_first[i] = j;

        if (j == i) {
            ngx_http_strm_status_codes_len +=
                                    ngx_strlen(ngx_http_strm_status_codes[i]);
            ngx_http_strm_status_ncodes++;
        }
    }

    return NGX_OK;
}


static void *
ngx_http_strm_status_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_strm_status_main_conf_t  *sscf;

    sscf = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_status_main_conf_t));
    if (sscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     sscf->shm_zone = NULL;
     */

    sscf->size = NGX_CONF_UNSET_SIZE;

    return sscf;
}


/*
 * The zone always exists in an http block: counting must not depend on
 * a directive someone forgot.  strm_status_zone only sizes it.
 */
static char *
ngx_http_strm_status_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_strm_status_main_conf_t  *sscf = conf;

    ngx_str_t                    name;
    ngx_http_strm_status_ctx_t  *ctx;

    ngx_conf_init_size_value(sscf->size, NGX_HTTP_STRM_STATUS_ZONE_SIZE);

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_status_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&name, "strm_status");

    sscf->shm_zone = ngx_shared_memory_add(cf, &name, sscf->size,
                                           &ngx_http_strm_status_module);
    if (sscf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (sscf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared memory zone \"%V\" is already used",
                           &name);
        return NGX_CONF_ERROR;
    }

    sscf->shm_zone->init = ngx_http_strm_status_init_zone;
    sscf->shm_zone->data = ctx;

    return NGX_CONF_OK;
}


static char *
ngx_http_strm_status_zone_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    ngx_str_t  *value;

    if (*sp < NGX_HTTP_STRM_STATUS_ZONE_MIN) {
        value = cf->args->elts;

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid strm_status_zone size \"%V\", "
                           "the minimum is 64k", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_strm_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_strm_status_handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_strm_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_strm_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_strm_status_ctx_t  *octx = data;

    size_t                        len;
    ngx_http_strm_status_ctx_t   *ctx;
    ngx_http_strm_status_node_t  *n;

    ctx = shm_zone->data;

    ngx_http_strm_status_zone_ctx = ctx;

    if (octx != NULL) {
        /* a reload: the counters go on */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;

        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;

        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool,
                              sizeof(ngx_http_strm_status_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&ctx->sh->queue);

    /* allocated now so that a full zone still has somewhere to count */
    n = ngx_slab_calloc(ctx->shpool,
                        offsetof(ngx_http_strm_status_node_t, data)
                        + sizeof(NGX_HTTP_STRM_STATUS_OTHER));
    if (n == NULL) {
        return NGX_ERROR;
    }

    n->stream_len = 0;
    n->data[0] = '\0';
    ngx_memcpy(n->data + 1, NGX_HTTP_STRM_STATUS_OTHER,
               sizeof(NGX_HTTP_STRM_STATUS_OTHER) - 1);
    n->sn.str.data = n->data;
    n->sn.str.len = sizeof(NGX_HTTP_STRM_STATUS_OTHER);

    ctx->sh->overflow = n;

    len = sizeof(" in strm_status zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in strm_status zone \"%V\"%Z",
                &shm_zone->shm.name);

        /* a full zone is expected (we count into "_other"): no slab log */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * The log phase handler of ngx_http_strm_module: every request of an
 * ingest location is counted once, when it is logged, also those nginx
 * answered itself (413, 408, ...).
 */
ngx_int_t
ngx_http_strm_status_log_handler(ngx_http_request_t *r)
{
    off_t                      bytes;
    ngx_time_t                *tp;
    strm_rc_t                  rc;
    ngx_str_t                 *ref, *topic;
    ngx_msec_int_t             ms;
    const strm_error_t        *e;
    ngx_http_strm_ctx_t       *ctx;
    ngx_http_strm_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_strm_module);

    if (slcf == NULL || slcf->topic.len == 0 || r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_strm_module);

    ref = NULL;
    bytes = r->headers_in.content_length_n;

    if (ctx != NULL) {
        ref = &ctx->schema_ref;

        if (ctx->body_len) {
            bytes = ctx->body_len;
        }
    }

    if (ctx != NULL && ctx->answered) {
        rc = ctx->rc;

    } else if (r->headers_out.status == NGX_HTTP_NO_CONTENT) {
        rc = STRM_OK;

    } else {
        /* 499 and the like: the request never got an answer of ours */
        e = strm_error_by_status((int) r->headers_out.status);
        rc = (e != NULL) ? e->rc : STRM_E_BAD_REQUEST;
    }

    topic = &slcf->topic;

    if (slcf->stream_topic && ctx != NULL && ctx->stream != NULL) {
        topic = &ctx->stream->topic;
    }

    ngx_http_strm_status_count(r, topic, ref, rc, bytes);

    /* as $request_time: from the first byte read to the log phase */
    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    ngx_http_strm_status_observe(NGX_HTTP_STRM_HIST_REQUEST,
                                 (ngx_msec_t) ngx_max(ms, 0));

    return NGX_OK;
}


void
ngx_http_strm_status_incr(ngx_http_strm_stat_e what)
{
    ngx_http_strm_status_ctx_t  *ctx;

    ctx = ngx_http_strm_status_zone_ctx;

    if (ctx == NULL || ctx->sh == NULL || what >= NGX_HTTP_STRM_STAT_N) {
        return;
    }

    (void) ngx_atomic_fetch_add(&ctx->sh->stat[what], 1);
}


void
ngx_http_strm_status_worker(ngx_uint_t ready, ngx_uint_t brokers_up)
{
    ngx_core_conf_t                *ccf;
    ngx_http_strm_status_ctx_t     *ctx;
    ngx_http_strm_status_worker_t  *w;

    ctx = ngx_http_strm_status_zone_ctx;

    /* an old generation's worker (a reload) no longer speaks */
    if (ctx == NULL || ctx->sh == NULL || ngx_exiting
        || ngx_worker >= NGX_HTTP_STRM_STATUS_WORKERS)
    {
        return;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(ngx_cycle->conf_ctx,
                                           ngx_core_module);

    w = &ctx->sh->worker[ngx_worker];

    w->ready = ready;
    w->brokers_up = brokers_up;
    w->pid = ngx_pid;
    ctx->sh->workers = (ngx_process == NGX_PROCESS_SINGLE)
                       ? 1 : (ngx_atomic_uint_t) ccf->worker_processes;
}


/*
 * strm_ready: 1 while every worker is ready; strm_kafka_brokers_up: the
 * fewest brokers any worker's producer has up
 */
static void
ngx_http_strm_status_workers(ngx_http_strm_status_shctx_t *sh,
    ngx_atomic_uint_t *ready, ngx_atomic_uint_t *brokers_up)
{
    ngx_uint_t                      i, n;
    ngx_http_strm_status_worker_t  *w;

    *ready = 0;
    *brokers_up = 0;

    n = (sh != NULL) ? ngx_min(sh->workers, NGX_HTTP_STRM_STATUS_WORKERS)
                     : 0;

    if (n == 0) {
        return;
    }

    *ready = 1;
    *brokers_up = (ngx_atomic_uint_t) -1;

    for (i = 0; i < n; i++) {
        w = &sh->worker[i];

        if (w->pid == 0 || !w->ready) {
            *ready = 0;
        }

        if (w->pid == 0 || w->brokers_up < *brokers_up) {
            *brokers_up = (w->pid == 0) ? 0 : w->brokers_up;
        }
    }
}


void
ngx_http_strm_status_observe(ngx_http_strm_hist_e h, ngx_msec_t ms)
{
    ngx_uint_t                    i;
    ngx_http_strm_status_ctx_t   *ctx;
    ngx_http_strm_status_hist_t  *hist;

    ctx = ngx_http_strm_status_zone_ctx;

    if (ctx == NULL || ctx->sh == NULL || h >= NGX_HTTP_STRM_HIST_N) {
        return;
    }

    hist = &ctx->sh->hist[h];

    for (i = 0; i < NGX_HTTP_STRM_STATUS_NBUCKETS; i++) {
        if (ms <= ngx_http_strm_status_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&hist->bucket[i], 1);
    (void) ngx_atomic_fetch_add(&hist->sum, (ngx_atomic_int_t) ms);
}


void
ngx_http_strm_status_count(ngx_http_request_t *r, ngx_str_t *stream,
    ngx_str_t *schema_ref, strm_rc_t rc, off_t bytes)
{
    size_t                             size;
    uint32_t                           hash;
    ngx_str_t                          empty;
    ngx_uint_t                         full;
    ngx_http_strm_status_ctx_t        *ctx;
    ngx_http_strm_status_node_t       *n;
    ngx_http_strm_status_main_conf_t  *sscf;

    sscf = ngx_http_get_module_main_conf(r, ngx_http_strm_status_module);

    if (sscf == NULL || sscf->shm_zone == NULL) {
        return;
    }

    ctx = sscf->shm_zone->data;

    if (ctx == NULL || ctx->sh == NULL) {
        return;
    }

    /* an empty name may come with data NULL: memcpy() wants a pointer */
    ngx_str_set(&empty, "");

    if (stream == NULL || stream->len == 0) {
        stream = &empty;
    }

    if (schema_ref == NULL || schema_ref->len == 0) {
        schema_ref = &empty;
    }

    /*
     * The worker's last pair, if it is this one: a node is never freed
     * nor changed, and the zone is the same for a cycle, so the node
     * needs no lock and no lookup (its own bytes are compared).
     */
    n = ngx_http_strm_status_last;

    if (n != NULL
        && ngx_http_strm_status_last_cycle == ngx_cycle
        && ngx_http_strm_status_last_sh == ctx->sh
        && n->stream_len == stream->len
        && n->sn.str.len == stream->len + 1 + schema_ref->len
        && ngx_memcmp(n->data, stream->data, stream->len) == 0
        && ngx_memcmp(n->data + stream->len + 1, schema_ref->data,
                      schema_ref->len)
           == 0)
    {
        goto count;
    }

    ngx_crc32_init(hash);
    ngx_crc32_update(&hash, stream->data, stream->len);
    ngx_crc32_update(&hash, (u_char *) "", 1);
    ngx_crc32_update(&hash, schema_ref->data, schema_ref->len);
    ngx_crc32_final(hash);

    full = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    n = ngx_http_strm_status_lookup(ctx, hash, stream, schema_ref);

    if (n == NULL) {
        size = offsetof(ngx_http_strm_status_node_t, data)
               + stream->len + 1 + schema_ref->len;

        n = ngx_slab_calloc_locked(ctx->shpool, size);

        if (n == NULL) {
            n = ctx->sh->overflow;

            if (!ctx->sh->full) {
                ctx->sh->full = 1;
                full = 1;
            }

        } else {
            n->stream_len = stream->len;
            ngx_memcpy(n->data, stream->data, stream->len);
            n->data[stream->len] = '\0';
            ngx_memcpy(n->data + stream->len + 1, schema_ref->data,
                       schema_ref->len);

            n->sn.node.key = hash;
            n->sn.str.data = n->data;
            n->sn.str.len = stream->len + 1 + schema_ref->len;

            ngx_rbtree_insert(&ctx->sh->rbtree, &n->sn.node);
            ngx_queue_insert_tail(&ctx->sh->queue, &n->queue);
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (full) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "strm status: zone \"%V\" is full, new streams and "
                      "schema refs are counted as \"%s\"",
                      &sscf->shm_zone->shm.name,
                      NGX_HTTP_STRM_STATUS_OTHER);
    }

    /* the overflow node counts pairs that are not its own */
    if (n != ctx->sh->overflow) {
        ngx_http_strm_status_last = n;
        ngx_http_strm_status_last_cycle = ngx_cycle;
        ngx_http_strm_status_last_sh = ctx->sh;
    }

count:

    /* nodes are never freed: the counters need no lock */

    (void) ngx_atomic_fetch_add(&n->requests, 1);

    if (bytes > 0) {
        (void) ngx_atomic_fetch_add(&n->bytes, (ngx_atomic_int_t) bytes);
    }

    if (rc == STRM_OK) {
        (void) ngx_atomic_fetch_add(&n->accepted, 1);

    } else {
        (void) ngx_atomic_fetch_add(
                              &n->rejected[ngx_http_strm_status_index(rc)], 1);
    }
}


static ngx_uint_t
ngx_http_strm_status_index(strm_rc_t rc)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_STRM_STATUS_NRC; i++) {
        if (ngx_http_strm_status_rcs[i] == rc) {
            return i;
        }
    }

    return ngx_http_strm_status_index(STRM_E_INTERNAL);
}


/* the order of ngx_str_rbtree_insert_value(): key, length, bytes */
static ngx_http_strm_status_node_t *
ngx_http_strm_status_lookup(ngx_http_strm_status_ctx_t *ctx, uint32_t hash,
    ngx_str_t *stream, ngx_str_t *ref)
{
    size_t                        len;
    ngx_int_t                     rc;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_strm_status_node_t  *n;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;
    len = stream->len + 1 + ref->len;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        n = (ngx_http_strm_status_node_t *) node;

        if (len != n->sn.str.len) {
            node = (len < n->sn.str.len) ? node->left : node->right;
            continue;
        }

        rc = ngx_memcmp(stream->data, n->data, stream->len);

        if (rc == 0) {
            rc = (n->data[stream->len] == '\0') ? 0 : -1;
        }

        if (rc == 0) {
            rc = ngx_memcmp(ref->data, n->data + stream->len + 1, ref->len);
        }

        if (rc == 0) {
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static ngx_int_t
ngx_http_strm_status_handler(ngx_http_request_t *r)
{
    size_t                             size;
    ngx_int_t                          rc;
    ngx_str_t                          format;
    ngx_buf_t                         *b;
    ngx_uint_t                         prom;
    ngx_http_strm_status_ctx_t        *ctx;
    ngx_http_strm_status_shctx_t      *sh;
    ngx_http_strm_status_main_conf_t  *sscf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_strm_status_error(r, NGX_HTTP_NOT_ALLOWED,
                                          &ngx_http_strm_status_405);
    }

    prom = 0;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {

        if (format.len == 10
            && ngx_strncmp(format.data, "prometheus", 10) == 0)
        {
            prom = 1;

        } else if (format.len != 4
                   || ngx_strncmp(format.data, "json", 4) != 0)
        {
            return ngx_http_strm_status_error(r, NGX_HTTP_BAD_REQUEST,
                                              &ngx_http_strm_status_400);
        }
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    sscf = ngx_http_get_module_main_conf(r, ngx_http_strm_status_module);

    ctx = (sscf != NULL && sscf->shm_zone != NULL) ? sscf->shm_zone->data
                                                    : NULL;
    sh = (ctx != NULL) ? ctx->sh : NULL;

    /* sized and written under the lock: new entries may come any time */

    if (sh != NULL) {
        ngx_shmtx_lock(&ctx->shpool->mutex);
    }

    size = ngx_http_strm_status_size(sh, prom);

    b = ngx_create_temp_buf(r->pool, size);

    if (b != NULL) {
        b->last = prom ? ngx_http_strm_status_prom(sh, b->last, b->end)
                       : ngx_http_strm_status_json(sh, b->last, b->end);
    }

    if (sh != NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
    }

    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_strm_send_body(r, NGX_HTTP_OK,
                                   prom ? &ngx_http_strm_status_prom_type
                                        : &ngx_http_strm_json_type, b);
}


static ngx_int_t
ngx_http_strm_status_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_http_strm_header_out_str(r, "Allow", "GET, HEAD") == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_strm_send_json(r, status, body->data, body->len);
}


/* an upper bound of the output; sh may be NULL (no zone) */
static size_t
ngx_http_strm_status_size(ngx_http_strm_status_shctx_t *sh,
    ngx_uint_t prom)
{
    size_t                        size, names, codes;
    ngx_http_strm_status_node_t  *n;

    /* one "code":N, (or one rejected sample, without the names) */
    codes = ngx_http_strm_status_codes_len
            + ngx_http_strm_status_ncodes * (64 + NGX_ATOMIC_T_LEN);

    if (prom) {
        size = 1024;

    } else {
        /* the header and the totals */
        size = 128 + 3 * NGX_ATOMIC_T_LEN + codes;
    }

    /* the zone-wide counters and histograms, either format; the store */
    size += 4096 + 512 + (NGX_HTTP_STRM_STAT_N
                    + NGX_HTTP_STRM_HIST_N
                      * (NGX_HTTP_STRM_STATUS_NBUCKETS + 3))
                   * (96 + NGX_ATOMIC_T_LEN);

    if (sh == NULL) {
        return size;
    }

    for (n = ngx_http_strm_status_next(sh, NULL);
         n;
         n = ngx_http_strm_status_next(sh, n))
    {
        names = n->sn.str.len - 1;

        if (prom) {
            /* each sample: its name, the labels escaped, the value */
            size += (3 + ngx_http_strm_status_ncodes)
                        * (96 + 2 * names + NGX_ATOMIC_T_LEN)
                    + ngx_http_strm_status_codes_len;

        } else {
            /* \u00XX is the longest JSON escape */
            size += 128 + 6 * names + 3 * NGX_ATOMIC_T_LEN + codes;
        }
    }

    return size;
}


static u_char *
ngx_http_strm_status_json(ngx_http_strm_status_shctx_t *sh, u_char *p,
    u_char *last)
{
    ngx_uint_t                    i, any;
    ngx_http_strm_status_node_t  *n, total;

    ngx_memzero(&total, sizeof(ngx_http_strm_status_node_t));

    p = ngx_slprintf(p, last, "{\"version\":1,\"streams\":[");

    any = 0;

    for (n = (sh != NULL) ? ngx_http_strm_status_next(sh, NULL) : NULL;
         n;
         n = ngx_http_strm_status_next(sh, n))
    {
        if (any) {
            *p++ = ',';
        }

        any = 1;

        p = ngx_http_strm_status_json_entry(p, last, n, 1);

        total.requests += n->requests;
        total.accepted += n->accepted;
        total.bytes += n->bytes;

        for (i = 0; i < NGX_HTTP_STRM_STATUS_NRC; i++) {
            total.rejected[i] += n->rejected[i];
        }
    }

    p = ngx_slprintf(p, last, "],\"totals\":");
    p = ngx_http_strm_status_json_entry(p, last, &total, 0);
    p = ngx_http_strm_status_json_zone(sh, p, last);

    return ngx_slprintf(p, last, "}\n");
}


static u_char *
ngx_http_strm_status_json_entry(u_char *p, u_char *last,
    ngx_http_strm_status_node_t *n, ngx_uint_t names)
{
    ngx_uint_t         i, any;
    ngx_atomic_uint_t  v;

    *p++ = '{';

    if (names) {
        p = ngx_cpymem(p, "\"stream\":\"", sizeof("\"stream\":\"") - 1);
        p += strm_json_escape((char *) p, last - p, (char *) n->data,
                              n->stream_len);

        p = ngx_cpymem(p, "\",\"schemaRef\":\"",
                       sizeof("\",\"schemaRef\":\"") - 1);
        p += strm_json_escape((char *) p, last - p,
                              (char *) n->data + n->stream_len + 1,
                              n->sn.str.len - n->stream_len - 1);

        p = ngx_cpymem(p, "\",", 2);
    }

    p = ngx_slprintf(p, last,
                     "\"requests\":%uA,\"accepted\":%uA,\"bytes\":%uA,"
                     "\"rejected\":{",
                     n->requests, n->accepted, n->bytes);

    any = 0;

    for (i = 0; i < NGX_HTTP_STRM_STATUS_NRC; i++) {
        v = ngx_http_strm_status_rejected(n, i);

        if (v == 0) {
            continue;
        }

        p = ngx_slprintf(p, last, "%s\"%s\":%uA", any ? "," : "",
                         ngx_http_strm_status_codes[i], v);
        any = 1;
    }

    return ngx_slprintf(p, last, "}}");
}


static u_char *
ngx_http_strm_status_prom(ngx_http_strm_status_shctx_t *sh, u_char *p,
    u_char *last)
{
    ngx_uint_t                    f, i;
    ngx_atomic_uint_t             v;
    ngx_http_strm_status_node_t  *n;

    static const char  *families[][2] = {
        { "strm_requests_total", "Ingest requests answered." },
        { "strm_accepted_total", "Events accepted (acknowledged by Kafka)." },
        { "strm_received_bytes_total", "Bytes of request bodies received." },
        { "strm_rejected_total", "Events rejected, by error code." }
    };

    for (f = 0; f < 4; f++) {
        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s counter\n",
                         families[f][0], families[f][1], families[f][0]);

        for (n = (sh != NULL) ? ngx_http_strm_status_next(sh, NULL) : NULL;
             n;
             n = ngx_http_strm_status_next(sh, n))
        {
            if (f < 3) {
                v = (f == 0) ? n->requests
                             : (f == 1) ? n->accepted : n->bytes;

                p = ngx_cpymem(p, families[f][0],
                               ngx_strlen(families[f][0]));
                p = ngx_http_strm_status_prom_labels(p, n);
                p = ngx_slprintf(p, last, "} %uA\n", v);

                continue;
            }

            for (i = 0; i < NGX_HTTP_STRM_STATUS_NRC; i++) {
                v = ngx_http_strm_status_rejected(n, i);

                if (v == 0) {
                    continue;
                }

                p = ngx_cpymem(p, families[f][0],
                               ngx_strlen(families[f][0]));
                p = ngx_http_strm_status_prom_labels(p, n);
                p = ngx_slprintf(p, last, ",code=\"%s\"} %uA\n",
                                 ngx_http_strm_status_codes[i], v);
            }
        }
    }

    return ngx_http_strm_status_prom_zone(sh, p, last);
}


/*
 * ,"kafka":{...},"keys":{...},"auth":{...},"requestMs":{...}: the zone's
 * own counters (zeros without a zone)
 */
static u_char *
ngx_http_strm_status_json_zone(ngx_http_strm_status_shctx_t *sh, u_char *p,
    u_char *last)
{
    uint64_t                      used, size;
    ngx_atomic_uint_t             v[NGX_HTTP_STRM_STAT_N], inflight;
    ngx_atomic_uint_t             ready, brokers_up;
    ngx_http_strm_status_hist_t   zero, *h;
    ngx_uint_t                    i;

    ngx_memzero(&zero, sizeof(ngx_http_strm_status_hist_t));

    for (i = 0; i < NGX_HTTP_STRM_STAT_N; i++) {
        v[i] = (sh != NULL) ? sh->stat[i] : 0;
    }

    /* what was queued and has no report yet */
    inflight = v[NGX_HTTP_STRM_STAT_KAFKA_PRODUCED]
               - v[NGX_HTTP_STRM_STAT_KAFKA_DELIVERED]
               - v[NGX_HTTP_STRM_STAT_KAFKA_FAILED];

    if (inflight > v[NGX_HTTP_STRM_STAT_KAFKA_PRODUCED]) {
        inflight = 0;
    }

    h = (sh != NULL) ? sh->hist : NULL;

    p = ngx_slprintf(p, last,
                     ",\"kafka\":{\"produced\":%uA,\"delivered\":%uA,"
                     "\"failed\":%uA,\"queueFull\":%uA,\"inFlight\":%uA,"
                     "\"deliveryMs\":",
                     v[NGX_HTTP_STRM_STAT_KAFKA_PRODUCED],
                     v[NGX_HTTP_STRM_STAT_KAFKA_DELIVERED],
                     v[NGX_HTTP_STRM_STAT_KAFKA_FAILED],
                     v[NGX_HTTP_STRM_STAT_KAFKA_QUEUE_FULL], inflight);
    p = ngx_http_strm_status_json_hist(p, last,
                                       h ? &h[NGX_HTTP_STRM_HIST_DELIVERY]
                                         : &zero);

    p = ngx_slprintf(p, last,
                     "},\"keys\":{\"lookups\":%uA,\"created\":%uA,",
                     v[NGX_HTTP_STRM_STAT_KEYS_LOOKUPS],
                     v[NGX_HTTP_STRM_STAT_KEYS_CREATED]);

    /* the key store's use, read from the store (this box's file) */
    if (ngx_http_strm_keys_store_usage(&used, &size) == NGX_OK) {
        p = ngx_slprintf(p, last,
                         "\"storeUsedBytes\":%uL,\"storeSizeBytes\":%uL,",
                         used, size);
    }

    p = ngx_slprintf(p, last, "\"syncMs\":");
    p = ngx_http_strm_status_json_hist(p, last,
                                       h ? &h[NGX_HTTP_STRM_HIST_KEY_SYNC]
                                         : &zero);

    ngx_http_strm_status_workers(sh, &ready, &brokers_up);

    p = ngx_slprintf(p, last, "},\"auth\":{\"failures\":%uA,"
                     "\"tokenFailures\":{\"invalid_client\":%uA,"
                     "\"invalid_grant\":%uA}},"
                     "\"ready\":%uA,\"kafkaBrokersUp\":%uA,"
                     "\"requestMs\":",
                     v[NGX_HTTP_STRM_STAT_AUTH_FAILURES],
                     v[NGX_HTTP_STRM_STAT_TOKEN_BAD_CLIENT],
                     v[NGX_HTTP_STRM_STAT_TOKEN_BAD_GRANT], ready, brokers_up);

    return ngx_http_strm_status_json_hist(p, last,
                                          h ? &h[NGX_HTTP_STRM_HIST_REQUEST]
                                            : &zero);
}


/* {"le":{"1":N,...,"+Inf":N},"sum":MS,"count":N}, cumulative counts */
static u_char *
ngx_http_strm_status_json_hist(u_char *p, u_char *last,
    ngx_http_strm_status_hist_t *h)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  c;

    p = ngx_slprintf(p, last, "{\"le\":{");

    for (c = 0, i = 0; i < NGX_HTTP_STRM_STATUS_NBUCKETS; i++) {
        c += h->bucket[i];
        p = ngx_slprintf(p, last, "\"%M\":%uA,",
                         ngx_http_strm_status_bounds[i], c);
    }

    c += h->bucket[i];

    return ngx_slprintf(p, last, "\"+Inf\":%uA},\"sum\":%uA,\"count\":%uA}",
                        c, h->sum, c);
}


static u_char *
ngx_http_strm_status_prom_zone(ngx_http_strm_status_shctx_t *sh, u_char *p,
    u_char *last)
{
    uint64_t                      used, size;
    ngx_uint_t                    i, b;
    ngx_atomic_uint_t             v, c, produced, done, ready, brokers_up;
    ngx_http_strm_status_hist_t   zero, *h;

    static const char  *counters[NGX_HTTP_STRM_STAT_N][2] = {
        { "strm_kafka_produced_total", "Messages queued to Kafka." },
        { "strm_kafka_delivered_total", "Messages Kafka acknowledged." },
        { "strm_kafka_failed_total", "Messages Kafka did not take." },
        { "strm_kafka_queue_full_total",
          "Messages refused because the local queue was full." },
        { "strm_keys_lookups_total", "Key links asked for by events." },
        { "strm_keys_created_total", "Key links created." },
        { "strm_auth_failures_total", "Bearer tokens refused." },
        { NULL, NULL },     /* strm_token_failures_total, by reason */
        { NULL, NULL }
    };

    static const char  *hists[NGX_HTTP_STRM_HIST_N][2] = {
        { "strm_request_duration_seconds",
          "Ingest requests, from the request to the answer." },
        { "strm_kafka_delivery_seconds",
          "Kafka messages, from produce to the delivery report." },
        { "strm_keys_sync_seconds",
          "New key links' records, from produce to Kafka's acknowledgement." }
    };

    ngx_memzero(&zero, sizeof(ngx_http_strm_status_hist_t));

    for (i = 0; i < NGX_HTTP_STRM_STAT_N; i++) {
        if (counters[i][0] == NULL) {
            continue;
        }

        v = (sh != NULL) ? sh->stat[i] : 0;

        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s counter\n%s %uA\n",
                         counters[i][0], counters[i][1], counters[i][0],
                         counters[i][0], v);
    }

    p = ngx_slprintf(p, last, "# HELP strm_token_failures_total Token "
                     "requests refused, by reason.\n"
                     "# TYPE strm_token_failures_total counter\n"
                     "strm_token_failures_total{reason=\"invalid_client\"} "
                     "%uA\n"
                     "strm_token_failures_total{reason=\"invalid_grant\"} "
                     "%uA\n",
                     sh ? sh->stat[NGX_HTTP_STRM_STAT_TOKEN_BAD_CLIENT] : 0,
                     sh ? sh->stat[NGX_HTTP_STRM_STAT_TOKEN_BAD_GRANT] : 0);

    produced = (sh != NULL) ? sh->stat[NGX_HTTP_STRM_STAT_KAFKA_PRODUCED] : 0;
    done = (sh != NULL) ? sh->stat[NGX_HTTP_STRM_STAT_KAFKA_DELIVERED]
                          + sh->stat[NGX_HTTP_STRM_STAT_KAFKA_FAILED]
                        : 0;

    if (ngx_http_strm_keys_store_usage(&used, &size) == NGX_OK) {
        p = ngx_slprintf(p, last,
                         "# HELP strm_keys_store_used_bytes Bytes of the key "
                         "store in use (both files).\n"
                         "# TYPE strm_keys_store_used_bytes gauge\n"
                         "strm_keys_store_used_bytes %uL\n"
                         "# HELP strm_keys_store_size_bytes The key store's "
                         "size (strm_keys_store_size).\n"
                         "# TYPE strm_keys_store_size_bytes gauge\n"
                         "strm_keys_store_size_bytes %uL\n", used, size);
    }

    p = ngx_slprintf(p, last, "# HELP strm_kafka_in_flight Messages queued "
                     "to Kafka without a delivery report yet.\n"
                     "# TYPE strm_kafka_in_flight gauge\n"
                     "strm_kafka_in_flight %uA\n",
                     produced >= done ? produced - done : 0);

    ngx_http_strm_status_workers(sh, &ready, &brokers_up);

    p = ngx_slprintf(p, last, "# HELP strm_ready 1 while every worker "
                     "would answer strm_ready 200.\n"
                     "# TYPE strm_ready gauge\nstrm_ready %uA\n"
                     "# HELP strm_kafka_brokers_up Kafka brokers up, "
                     "the fewest of any worker's producer.\n"
                     "# TYPE strm_kafka_brokers_up gauge\n"
                     "strm_kafka_brokers_up %uA\n", ready, brokers_up);

    for (i = 0; i < NGX_HTTP_STRM_HIST_N; i++) {
        h = (sh != NULL) ? &sh->hist[i] : &zero;

        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s histogram\n",
                         hists[i][0], hists[i][1], hists[i][0]);

        for (c = 0, b = 0; b < NGX_HTTP_STRM_STATUS_NBUCKETS; b++) {
            c += h->bucket[b];
            p = ngx_slprintf(p, last, "%s_bucket{le=\"%M.%03M\"} %uA\n",
                             hists[i][0],
                             ngx_http_strm_status_bounds[b] / 1000,
                             ngx_http_strm_status_bounds[b] % 1000, c);
        }

        c += h->bucket[b];

        p = ngx_slprintf(p, last, "%s_bucket{le=\"+Inf\"} %uA\n"
                         "%s_sum %uA.%03uA\n%s_count %uA\n",
                         hists[i][0], c,
                         hists[i][0], h->sum / 1000, h->sum % 1000,
                         hists[i][0], c);
    }

    return p;
}


/* {stream="...",schema_ref="..." without the closing brace */
static u_char *
ngx_http_strm_status_prom_labels(u_char *p, ngx_http_strm_status_node_t *n)
{
    p = ngx_cpymem(p, "{stream=\"", sizeof("{stream=\"") - 1);
    p = ngx_http_strm_status_prom_escape(p, n->data, n->stream_len);
    p = ngx_cpymem(p, "\",schema_ref=\"", sizeof("\",schema_ref=\"") - 1);
    p = ngx_http_strm_status_prom_escape(p, n->data + n->stream_len + 1,
                                         n->sn.str.len - n->stream_len - 1);
    *p++ = '"';

    return p;
}


/* label values of the text format escape \, " and newline */
static u_char *
ngx_http_strm_status_prom_escape(u_char *p, u_char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {

        switch (src[i]) {

        case '\\':
            *p++ = '\\';
            *p++ = '\\';
            break;

        case '"':
            *p++ = '\\';
            *p++ = '"';
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = src[i];
        }
    }

    return p;
}


/* the rejections of a short code, 0 unless code is its first row */
static ngx_atomic_uint_t
ngx_http_strm_status_rejected(ngx_http_strm_status_node_t *n,
    ngx_uint_t code)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  v;

    if (ngx_http_strm_status_first[code] != code
        || ngx_http_strm_status_rcs[code] == STRM_OK)
    {
        return 0;
    }

    v = 0;

    for (i = code; i < NGX_HTTP_STRM_STATUS_NRC; i++) {
        if (ngx_http_strm_status_first[i] == code) {
            v += n->rejected[i];
        }
    }

    return v;
}


/* entries in creation order, then "_other" if it counted anything */
static ngx_http_strm_status_node_t *
ngx_http_strm_status_next(ngx_http_strm_status_shctx_t *sh,
    ngx_http_strm_status_node_t *n)
{
    ngx_queue_t  *q;

    if (n == sh->overflow) {
        return NULL;
    }

    q = (n == NULL) ? ngx_queue_head(&sh->queue) : ngx_queue_next(&n->queue);

    if (q != ngx_queue_sentinel(&sh->queue)) {
        return ngx_queue_data(q, ngx_http_strm_status_node_t, queue);
    }

    return (sh->overflow->requests > 0) ? sh->overflow : NULL;
}
