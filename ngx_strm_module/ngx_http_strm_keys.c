
/*
 * Copyright (C) ngx_strm authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_strm_common.h"
#include "ngx_http_strm_kafka.h"
#include "ngx_http_strm_keys.h"


#define NGX_HTTP_STRM_KEYS_CACHE  4096
#define NGX_HTTP_STRM_PURGE_MAX   1000      /* key links per step */
#define NGX_HTTP_STRM_PURGE_EVERY 3600000   /* at most, between steps */
#define NGX_HTTP_STRM_KEYS_CHECK  1000      /* the files, the use */
#define NGX_HTTP_STRM_KEYS_WARN   80        /* per cent of the size */
#define NGX_HTTP_STRM_KEYS_CALM   75        /* warned again below it */


/*
 * The box's key store state, shared by its workers (a zone of its own,
 * kept across reloads): whether the store is full, whether its use was
 * warned about, which lost files were alerted about (each once), and
 * the files the workers opened, for the next reload to compare.
 */
typedef struct {
    ngx_atomic_t                full;
    ngx_atomic_t                full_logged;    /* until below 75 % */
    ngx_atomic_t                warned;
    ngx_atomic_t                lost;
    ngx_atomic_t                path;       /* crc32 of the store's path */
    ngx_atomic_t                dev;
    ngx_atomic_t                ino;
    ngx_atomic_t                slots_dev;
    ngx_atomic_t                slots_ino;
} ngx_http_strm_keys_sh_t;


typedef struct {
    ngx_http_strm_keys_sh_t    *sh;
    ngx_str_t                   store;
} ngx_http_strm_keys_zone_t;


static ngx_int_t ngx_http_strm_keys_kek(ngx_conf_t *cf,
    ngx_http_strm_main_conf_t *smcf);
static void ngx_http_strm_kek_cleanup(void *data);
static void ngx_http_strm_keys_purge(ngx_event_t *ev);
static ngx_int_t ngx_http_strm_keys_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_strm_keys_reloaded(ngx_http_strm_keys_zone_t *z,
    ngx_log_t *log);
static void ngx_http_strm_keys_check(ngx_event_t *ev);
static ngx_uint_t ngx_http_strm_keys_lost_files(ngx_log_t *log);
static void ngx_http_strm_keys_warn(ngx_log_t *log);


static strm_keys_t              *ngx_http_strm_keys_worker;
static ngx_event_t               ngx_http_strm_keys_purge_ev;
static ngx_event_t               ngx_http_strm_keys_check_ev;
static ngx_http_strm_keys_sh_t  *ngx_http_strm_keys_sh;
static ngx_str_t                 ngx_http_strm_keys_path;
static ngx_uint_t                ngx_http_strm_keys_lost;


ngx_int_t
ngx_http_strm_keys_init_conf(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    ngx_str_t                   name;
    ngx_http_strm_keys_zone_t  *z;

    ngx_conf_init_size_value(smcf->keys_store_size, STRM_KEYSTORE_SIZE);

    if (smcf->keys_store_size < STRM_KEYSTORE_SIZE_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_keys_store_size\" must be at least %uzk",
                           STRM_KEYSTORE_SIZE_MIN / 1024);
        return NGX_ERROR;
    }

    ngx_conf_init_msec_value(smcf->key_rotation,
                             NGX_HTTP_STRM_KEY_ROTATION);
    ngx_conf_init_msec_value(smcf->keys_wait, NGX_HTTP_STRM_KEYS_WAIT);
    ngx_conf_init_msec_value(smcf->keys_retention,
                             NGX_HTTP_STRM_KEYS_RETENTION);

    if (smcf->key_rotation < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_key_rotation\" must be at least 1s");
        return NGX_ERROR;
    }

    if (smcf->checked && smcf->keys_store.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_ingest\" encrypts PII fields with keys "
                           "of \"strm_keys_store\", which is not set");
        return NGX_ERROR;
    }

    if (smcf->keys_store.len == 0) {
        return NGX_OK;
    }

    if (smcf->keys_kek.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"strm_keys_store\" needs \"strm_keys_kek\", "
                           "the key-encryption key");
        return NGX_ERROR;
    }

    if (smcf->keys_topic.len == 0) {
        ngx_str_set(&smcf->keys_topic, "strm-keys");
    }

    if (ngx_http_strm_conf_topic(cf, &smcf->keys_topic) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->keys_store, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    z = ngx_pcalloc(cf->pool, sizeof(ngx_http_strm_keys_zone_t));
    if (z == NULL) {
        return NGX_ERROR;
    }

    z->store = smcf->keys_store;

    ngx_str_set(&name, "strm_keys");

    smcf->keys_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                            &ngx_http_strm_module);
    if (smcf->keys_zone == NULL) {
        return NGX_ERROR;
    }

    smcf->keys_zone->init = ngx_http_strm_keys_init_zone;
    smcf->keys_zone->data = z;

    return ngx_http_strm_keys_kek(cf, smcf);
}


/* the KEK file: read, parsed and wiped by the core, as the workers do */
static ngx_int_t
ngx_http_strm_keys_kek(ngx_conf_t *cf, ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t            rc;
    ngx_pool_cleanup_t  *cln;
    char                 err[512];

    if (ngx_conf_full_name(cf->cycle, &smcf->keys_kek, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    err[0] = '\0';

    rc = strm_keys_read_kek((char *) smcf->keys_kek.data, &smcf->kek, err,
                            sizeof(err));
    if (rc != STRM_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "strm_keys_kek \"%V\": %s",
                           &smcf->keys_kek,
                           err[0] ? err : "not a Tink JSON keyset");
        return NGX_ERROR;
    }

    cln->handler = ngx_http_strm_kek_cleanup;
    cln->data = smcf->kek;

    return NGX_OK;
}


static void
ngx_http_strm_kek_cleanup(void *data)
{
    strm_tink_keyset_free(data);
}


ngx_int_t
ngx_http_strm_keys_init_process(ngx_cycle_t *cycle,
    ngx_http_strm_main_conf_t *smcf)
{
    strm_rc_t                   rc;
    strm_keystore_id_t          id;
    ngx_http_strm_keys_zone_t  *z;
    char                        err[512];

    ngx_http_strm_keys_worker = NULL;
    ngx_http_strm_keys_sh = NULL;
    ngx_http_strm_keys_lost = 0;

    if (smcf->keys_store.len == 0) {
        return NGX_OK;
    }

    z = smcf->keys_zone->data;
    ngx_http_strm_keys_sh = z->sh;
    ngx_http_strm_keys_path = smcf->keys_store;

    err[0] = '\0';

    rc = strm_keys_open((char *) smcf->keys_store.data,
                        smcf->keys_store_size, 0, smcf->kek,
                        (int64_t) smcf->key_rotation,
                        NGX_HTTP_STRM_KEYS_CACHE,
                        &ngx_http_strm_keys_worker, err, sizeof(err));

    if (rc != STRM_OK) {
        /* the worker runs on and answers 503 keys_unavailable */
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "strm_keys_store \"%V\": %s", &smcf->keys_store,
                      err[0] ? err : "cannot be opened");
        ngx_http_strm_keys_worker = NULL;
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "strm keys: store \"%V\" open", &smcf->keys_store);

    /* the files this generation has open: what the next reload expects */
    if (strm_keystore_id(strm_keys_store(ngx_http_strm_keys_worker), &id)
        == 0)
    {
        z->sh->path = ngx_crc32_short(smcf->keys_store.data,
                                      smcf->keys_store.len);
        z->sh->dev = (ngx_atomic_uint_t) id.dev;
        z->sh->ino = (ngx_atomic_uint_t) id.ino;
        z->sh->slots_dev = (ngx_atomic_uint_t) id.slots_dev;
        z->sh->slots_ino = (ngx_atomic_uint_t) id.slots_ino;
    }

    ngx_http_strm_keys_check_ev.handler = ngx_http_strm_keys_check;
    ngx_http_strm_keys_check_ev.log = cycle->log;
    ngx_http_strm_keys_check_ev.data = smcf;
    ngx_http_strm_keys_check_ev.cancelable = 1;
    ngx_add_timer(&ngx_http_strm_keys_check_ev, NGX_HTTP_STRM_KEYS_CHECK);

    /* one worker of the box purges the box's store (0: never) */
    if (ngx_worker == 0 && smcf->keys_retention > 0) {
        ngx_http_strm_keys_purge_ev.handler = ngx_http_strm_keys_purge;
        ngx_http_strm_keys_purge_ev.log = cycle->log;
        ngx_http_strm_keys_purge_ev.data = smcf;
        ngx_http_strm_keys_purge_ev.cancelable = 1;
        ngx_add_timer(&ngx_http_strm_keys_purge_ev,
                      ngx_min(smcf->keys_retention, 1000));
    }

    return NGX_OK;
}


/*
 * strm_keys_retention: key links that expired longer ago than that are
 * purged from the box's store, a bounded step at a time (a purge is an
 * erasure: their slots are overwritten and synced).  The gateway only
 * ever encrypts under the current window's links; the workers' machines
 * keep theirs for as long as their own strm-keys sync says.
 */
static void
ngx_http_strm_keys_purge(ngx_event_t *ev)
{
    size_t                      n;
    ngx_time_t                 *tp;
    ngx_msec_t                  next;
    ngx_http_strm_main_conf_t  *smcf = ev->data;

    if (ngx_http_strm_keys_worker == NULL || ngx_exiting || ngx_quit
        || ngx_terminate)
    {
        return;
    }

    tp = ngx_timeofday();
    n = 0;

    if (strm_keystore_purge_some(strm_keys_store(ngx_http_strm_keys_worker),
                                 (int64_t) tp->sec * 1000 + tp->msec
                                 - (int64_t) smcf->keys_retention,
                                 NGX_HTTP_STRM_PURGE_MAX, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "strm keys: purge failed: %s",
                      strm_keystore_error(
                          strm_keys_store(ngx_http_strm_keys_worker)));

    } else if (n > 0) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "strm keys: %uz key links purged (expired more "
                      "than %M ms ago)", n, smcf->keys_retention);
    }

    /* a full step: more are due; else a tenth of the retention */
    next = (n == NGX_HTTP_STRM_PURGE_MAX)
           ? 100
           : ngx_max(ngx_min(smcf->keys_retention / 10,
                             NGX_HTTP_STRM_PURGE_EVERY), 1000);

    ngx_add_timer(ev, next);
}


void
ngx_http_strm_keys_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_strm_keys_purge_ev.timer_set) {
        ngx_del_timer(&ngx_http_strm_keys_purge_ev);
    }

    if (ngx_http_strm_keys_check_ev.timer_set) {
        ngx_del_timer(&ngx_http_strm_keys_check_ev);
    }

    strm_keys_close(ngx_http_strm_keys_worker);
    ngx_http_strm_keys_worker = NULL;
}


strm_keys_t *
ngx_http_strm_keys(void)
{
    return ngx_http_strm_keys_worker;
}


/*
 * The zone: new, or the previous generation's (a reload).  At a reload
 * the master compares the store's files with the ones the workers had
 * open: a file deleted or replaced meanwhile held keys that are gone
 * now, so it says so; the new workers make a new store (or empty one
 * whose slot file was lost) and rebuild it from the keys topic before
 * they are ready.
 */
static ngx_int_t
ngx_http_strm_keys_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_strm_keys_zone_t  *oz = data;

    ngx_slab_pool_t            *shpool;
    ngx_http_strm_keys_zone_t  *z;

    z = shm_zone->data;

    if (oz != NULL) {
        z->sh = oz->sh;
        ngx_http_strm_keys_reloaded(z, shm_zone->shm.log);
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        z->sh = shpool->data;
        return NGX_OK;
    }

    z->sh = ngx_slab_calloc(shpool, sizeof(ngx_http_strm_keys_sh_t));
    if (z->sh == NULL) {
        return NGX_ERROR;
    }

    shpool->data = z->sh;

    ngx_http_strm_keys_reloaded(z, shm_zone->shm.log);

    return NGX_OK;
}


static void
ngx_http_strm_keys_reloaded(ngx_http_strm_keys_zone_t *z, ngx_log_t *log)
{
    u_char                   *lock, *slots;
    ngx_uint_t                gone, slots_gone, same;
    ngx_file_info_t           fi;
    ngx_http_strm_keys_sh_t  *sh;

    if (ngx_test_config) {
        return;
    }

    sh = z->sh;

    /* another path: another store, nothing to compare */
    same = (sh->ino != 0
            && sh->path == ngx_crc32_short(z->store.data, z->store.len));

    lock = ngx_alloc(z->store.len + sizeof(".slots"), log);
    slots = ngx_alloc(z->store.len + sizeof(".slots"), log);

    if (lock == NULL || slots == NULL) {
        ngx_free(lock);
        ngx_free(slots);
        return;
    }

    ngx_sprintf(lock, "%V-lock%Z", &z->store);
    ngx_sprintf(slots, "%V.slots%Z", &z->store);

    gone = (ngx_file_info(z->store.data, &fi) == NGX_FILE_ERROR);

    if (!gone && same
        && ((ngx_atomic_uint_t) fi.st_dev != sh->dev
            || (ngx_atomic_uint_t) fi.st_ino != sh->ino))
    {
        gone = 1;
    }

    slots_gone = 0;

    if (same) {
        slots_gone = (ngx_file_info(slots, &fi) == NGX_FILE_ERROR
                      || (ngx_atomic_uint_t) fi.st_dev != sh->slots_dev
                      || (ngx_atomic_uint_t) fi.st_ino != sh->slots_ino);
    }

    if (same && (gone || slots_gone)) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "strm_keys_store \"%V\": %s was deleted or replaced "
                      "while nginx ran: its key links are gone here, the "
                      "new workers rebuild the store from the keys topic "
                      "and are not ready until then", &z->store,
                      gone ? "the store file" : "its slot file");
    }

    /*
     * LMDB's lock file names the transactions of the file it was made
     * with: a new store file (the old one deleted or replaced) gets a
     * new lock file, while the old workers keep the old pair open.
     */
    if (gone && ngx_delete_file(lock) == NGX_FILE_ERROR
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_delete_file_n " \"%s\" failed", lock);
    }

    ngx_free(lock);
    ngx_free(slots);

    if (!same || gone || slots_gone) {
        sh->lost = 0;
        sh->warned = 0;
        sh->full_logged = 0;
    }

    /* the new workers find out again, and the first says so once */
    sh->full = 0;
}


/*
 * Every second in each worker: are the store's files still the ones it
 * has open; and, in one worker, the store's use against its size.
 */
static void
ngx_http_strm_keys_check(ngx_event_t *ev)
{
    if (ngx_http_strm_keys_worker == NULL || ngx_exiting || ngx_quit
        || ngx_terminate)
    {
        return;
    }

    (void) ngx_http_strm_keys_lost_files(ev->log);

    if (ngx_worker == 0 && !ngx_http_strm_keys_lost) {
        ngx_http_strm_keys_warn(ev->log);
    }

    ngx_add_timer(ev, NGX_HTTP_STRM_KEYS_CHECK);
}


/* 1 when the store's files were deleted or replaced: alerted once */
static ngx_uint_t
ngx_http_strm_keys_lost_files(ngx_log_t *log)
{
    ngx_atomic_uint_t         key, old;
    strm_keystore_id_t        id;
    ngx_http_strm_keys_sh_t  *sh;
    char                      why[4200];

    if (ngx_http_strm_keys_worker == NULL) {
        return 0;
    }

    if (strm_keystore_check_files(strm_keys_store(ngx_http_strm_keys_worker),
                                  why, sizeof(why))
        == 0)
    {
        ngx_http_strm_keys_lost = 0;
        return 0;
    }

    ngx_http_strm_keys_lost = 1;
    sh = ngx_http_strm_keys_sh;

    /* the files this worker has open name the loss: one alert each */
    (void) strm_keystore_id(strm_keys_store(ngx_http_strm_keys_worker), &id);
    key = (ngx_atomic_uint_t) ((id.ino * 31 + id.slots_ino) | 1);
    old = sh->lost;

    if (old != key && ngx_atomic_cmp_set(&sh->lost, old, key)) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "strm keys: the key store lost a file while nginx "
                      "runs (%s): new sessions get 503 keys_unavailable "
                      "and strm_ready 503; known sessions are served from "
                      "the open store; a reload makes a new store and "
                      "rebuilds it from the keys topic", why);
    }

    return 1;
}


/* a warning once when the use crosses 80 % of strm_keys_store_size */
static void
ngx_http_strm_keys_warn(ngx_log_t *log)
{
    uint64_t                  used, size;
    ngx_http_strm_keys_sh_t  *sh;

    sh = ngx_http_strm_keys_sh;

    if (strm_keystore_usage(strm_keys_store(ngx_http_strm_keys_worker),
                            &used, &size)
        != 0 || size == 0)
    {
        return;
    }

    if (used * 100 >= size * NGX_HTTP_STRM_KEYS_WARN) {
        if (ngx_atomic_cmp_set(&sh->warned, 0, 1)) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "strm keys: the key store \"%V\" uses %uL of "
                          "%uL bytes (%uL%%, strm_keys_store_size): when "
                          "it is full new sessions get 503 "
                          "keys_unavailable; raise the size or cap new "
                          "sessions per client (docs/keys.md)",
                          &ngx_http_strm_keys_path, used, size,
                          used * 100 / size);
        }

    } else if (used * 100 < size * NGX_HTTP_STRM_KEYS_CALM) {
        (void) ngx_atomic_cmp_set(&sh->warned, 1, 0);

        if (ngx_atomic_cmp_set(&sh->full_logged, 1, 0)) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "strm keys: the key store \"%V\" has room again "
                          "(%uL of %uL bytes)", &ngx_http_strm_keys_path,
                          used, size);
        }
    }
}


ngx_uint_t
ngx_http_strm_keys_store_failed(ngx_log_t *log)
{
    uint64_t          used, size;
    strm_keystore_t  *ks;

    if (ngx_http_strm_keys_worker == NULL) {
        return 0;
    }

    ks = strm_keys_store(ngx_http_strm_keys_worker);

    if (!strm_keystore_full(ks)) {
        return 0;
    }

    ngx_http_strm_keys_sh->full = 1;

    /* at the edge a write may fit again: logged once until below 75 % */
    if (ngx_atomic_cmp_set(&ngx_http_strm_keys_sh->full_logged, 0, 1)) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "strm keys: the key store \"%V\" is full (%s): new "
                      "sessions get 503 keys_unavailable and strm_ready "
                      "503 until key links are purged or "
                      "strm_keys_store_size is raised",
                      &ngx_http_strm_keys_path, strm_keystore_error(ks));

        if (strm_keystore_usage(ks, &used, &size) == 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "strm keys: the key store uses %uL of %uL bytes",
                          used, size);
        }
    }

    return 1;
}


void
ngx_http_strm_keys_store_written(ngx_log_t *log)
{
    if (ngx_http_strm_keys_sh != NULL && ngx_http_strm_keys_sh->full) {
        ngx_http_strm_keys_sh->full = 0;
    }
}


ngx_uint_t
ngx_http_strm_keys_store_refuses(ngx_log_t *log)
{
    if (ngx_http_strm_keys_sh == NULL) {
        return 0;
    }

    return ngx_http_strm_keys_sh->full || ngx_http_strm_keys_lost_files(log);
}


ngx_uint_t
ngx_http_strm_keys_store_lost(void)
{
    return ngx_http_strm_keys_lost;
}


const char *
ngx_http_strm_keys_store_ready(ngx_log_t *log)
{
    if (ngx_http_strm_keys_worker == NULL) {
        return "the key store is not open";
    }

    if (ngx_http_strm_keys_sh->full) {
        return "the key store is full";
    }

    if (ngx_http_strm_keys_lost_files(log)) {
        return "a file of the key store was deleted or replaced";
    }

    return NULL;
}


ngx_int_t
ngx_http_strm_keys_store_usage(uint64_t *used, uint64_t *size)
{
    if (ngx_http_strm_keys_worker == NULL
        || strm_keystore_usage(strm_keys_store(ngx_http_strm_keys_worker),
                               used, size)
           != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}
