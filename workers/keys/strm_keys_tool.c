
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-keys: the operator's tool for a box's key store.
 *
 *   strm-keys new-kek [-o FILE]          a new key-encryption key: a Tink
 *                                        AES-GCM JSON keyset on stdout,
 *                                        or in a new FILE made 0600
 *                                        (an existing FILE is refused)
 *   strm-keys -s STORE list              key links, one JSON line each
 *                                        (never key bytes)
 *   strm-keys -s STORE stats             counts
 *   strm-keys -s STORE -k KEK export [LINK]
 *                                        the keys as cleartext Tink JSON
 *                                        keysets, one JSON line per key
 *                                        link (the receiver can decrypt
 *                                        with any Tink: handle as PII)
 *   strm-keys -s STORE shred LINK        crypto-shred one key link; with
 *                                        -b and -t also a tombstone to
 *                                        the keys topic, so that every
 *                                        synced store shreds it too;
 *                                        with -a FILE a line in that
 *                                        audit log
 *   strm-keys -s STORE purge -r SECONDS  remove key links expired more
 *                                        than SECONDS ago
 *   strm-keys -b BROKERS -t TOPIC topic [create PARTITIONS REPLICAS]
 *                                        check the keys topic's compaction
 *                                        settings (creating the topic
 *                                        with them if it is missing)
 *   strm-keys -s STORE sync -b BROKERS -t TOPIC [-o | -r SECONDS]
 *                                        copy the keys topic into the
 *                                        store (-o: up to its end, then
 *                                        exit; else follow it until
 *                                        SIGTERM/SIGINT, purging what
 *                                        expired more than -r seconds
 *                                        ago, 30 days by default)
 *
 * -X name=value (repeatable, as kcat's) sets any librdkafka property of
 * the clients of sync and shred: SASL, TLS.  It runs on the workers'
 * skeleton (strm_worker_main.h) with nginx's log lines; only sync runs
 * until a signal (TERM/INT stop it), the other commands do one thing
 * and exit.
 *
 * Exit codes: 0 done, 1 not found / failed, 64 usage (a wrong -X too).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>

#include "strm_file.h"
#include "strm_keys.h"
#include "strm_keystore.h"
#include "strm_keys_topic.h"
#include "strm_tink.h"
#include "strm_worker_main.h"


#define STRM_KT_FORGET_MAX  4096   /* key links of one subject at most */
#define STRM_KT_VALUE_MAX   4096   /* a key-field value on stdin */
#define STRM_KT_KEK_KEYS    16     /* keys of the KEK looked at */
#define STRM_KT_RETENTION   2592000    /* sync's purge: 30 days */
#define STRM_KT_PURGE_EVERY 1000       /* ms between its steps */
#define STRM_KT_ADMIN_WAIT  10000      /* ms for an admin request */


/* the expired key links a purge tombstones first */
typedef struct {
    int64_t              before;
    size_t               max;
    size_t               n;
    char               (*links)[STRM_UUID_LEN + 1];
    unsigned char      (*sessions)[STRM_KEYSTORE_HMAC_LEN];
} strm_kt_expired_t;


typedef struct {
    const char          *store;
    size_t               store_size;    /* -S: 0, the store's own */
    const char          *kek;
    const char          *link;
    strm_tink_keyset_t  *kek_ks;
    const char          *brokers;
    const char          *topic;
    const char          *audit;
    const char          *contract;
    const char          *cmd;
    const char          *forget;        /* "value" or "link" */
    strm_keystore_t     *ks;
    long                 retention;
    int                  once;
    int                  create;        /* topic create P R */
    int                  partitions;
    int                  replicas;
} strm_kt_opts_t;


static int strm_kt_option(strm_w_t *w, int opt, char *arg);
static int strm_kt_operands(strm_w_t *w);
static int strm_kt_start(strm_w_t *w);
static int strm_kt_run(strm_w_t *w);
static int strm_kt_stop(strm_w_t *w);
static rd_kafka_conf_t *strm_kt_kafka_conf(strm_kt_opts_t *o);
static int strm_kt_new_kek(const char *out);
static int strm_kt_export(strm_keystore_t *ks, strm_kt_opts_t *o);
static int strm_kt_export_one(const strm_keyrec_t *rec, void *data);
static int strm_kt_list(strm_keystore_t *ks);
static int strm_kt_list_one(const strm_keyrec_t *rec, void *data);
static int strm_kt_shred(strm_keystore_t *ks, strm_kt_opts_t *o,
    const char *link);
static int strm_kt_sync(strm_keystore_t *ks, strm_kt_opts_t *o);
static int strm_kt_forget(strm_keystore_t *ks, strm_kt_opts_t *o);
static int strm_kt_forget_link(const char *link, void *data);
static int strm_kt_tombstones(strm_kt_opts_t *o,
    char links[][STRM_UUID_LEN + 1],
    unsigned char (*sessions)[STRM_KEYSTORE_HMAC_LEN], size_t n);
static int strm_kt_audit_forget(strm_kt_opts_t *o, const char *by,
    char links[][STRM_UUID_LEN + 1], size_t n);
static int32_t strm_kt_partitioner(const rd_kafka_topic_t *rkt,
    const void *key, size_t keylen, int32_t partitions, void *rkt_opaque,
    void *msg_opaque);
static void strm_kt_sync_purge(strm_keystore_t *ks, strm_kt_opts_t *o);
static int strm_kt_purge(strm_keystore_t *ks, strm_kt_opts_t *o,
    int64_t before, size_t max, size_t *n);
static int strm_kt_purge_one(const strm_keyrec_t *rec, void *data);
static int strm_kt_sync_message(strm_keystore_t *ks,
    const rd_kafka_message_t *rkm);
static int strm_kt_audit_shred(const char *path, const char *link,
    int shredded);
static int strm_kt_size(const char *arg, size_t *size);


static const strm_w_program_t  strm_kt_program = {
    "strm-keys",
    "s:S:k:b:t:r:a:c:o",
    STRM_W_OPT_KAFKA,
    strm_kt_option,
    strm_kt_operands,
    NULL,
    NULL,
    strm_kt_start,
    strm_kt_run,
    NULL,
    strm_kt_stop,
    NULL,
    "strm-keys new-kek [-o KEK_FILE]\n"
    "       strm-keys -s STORE list\n"
    "       strm-keys -s STORE stats\n"
    "       strm-keys -s STORE -k KEK export [KEY_LINK]\n"
    "       strm-keys -s STORE [-b BROKERS -t KEYS_TOPIC] "
    "[-a AUDIT_LOG] shred KEY_LINK\n"
    "       strm-keys -s STORE -k KEK [-b BROKERS -t KEYS_TOPIC] "
    "[-a AUDIT_LOG] [-c CONTRACT] forget value < FILE\n"
    "       strm-keys -s STORE -k KEK [-b BROKERS -t KEYS_TOPIC] "
    "[-a AUDIT_LOG] forget link KEY_LINK\n"
    "       strm-keys -s STORE purge -r RETENTION_SECONDS\n"
    "       strm-keys -s STORE sync -b BROKERS -t KEYS_TOPIC "
    "[-o | -r RETENTION_SECONDS]\n"
    "       strm-keys -b BROKERS -t KEYS_TOPIC topic "
    "[create PARTITIONS REPLICAS]\n"
    "  -S SIZE        the store's size, both files (as "
    "strm_keys_store_size: 1g, 512m;\n"
    "                 default: the size the store was given, else 1g)\n"
    "  -X name=value  a librdkafka property of the Kafka clients "
    "(shred, forget, purge, sync, topic)\n"
};


int
main(int argc, char **argv)
{
    strm_kt_opts_t  o;

    if (argc == 2 && strcmp(argv[1], "new-kek") == 0) {
        return strm_kt_new_kek(NULL);
    }

    if (argc == 4 && strcmp(argv[1], "new-kek") == 0
        && strcmp(argv[2], "-o") == 0)
    {
        return strm_kt_new_kek(argv[3]);
    }

    memset(&o, 0, sizeof(strm_kt_opts_t));
    o.retention = -1;

    return strm_w_main(&strm_kt_program, &o, argc, argv);
}


/* nginx's sizes: a number of bytes, or of k, m, g */
static int
strm_kt_size(const char *arg, size_t *size)
{
    char                *end;
    unsigned long long   n, unit;

    errno = 0;
    n = strtoull(arg, &end, 10);

    if (errno != 0 || end == arg || arg[0] == '-') {
        return -1;
    }

    unit = 1;

    switch (*end) {
    case 'k': case 'K':
        unit = 1ULL << 10;
        end++;
        break;
    case 'm': case 'M':
        unit = 1ULL << 20;
        end++;
        break;
    case 'g': case 'G':
        unit = 1ULL << 30;
        end++;
        break;
    }

    if (*end != '\0' || n > (unsigned long long) SIZE_MAX / unit
        || n * unit < STRM_KEYSTORE_SIZE_MIN)
    {
        return -1;
    }

    *size = (size_t) (n * unit);

    return 0;
}


static int
strm_kt_option(strm_w_t *w, int opt, char *arg)
{
    strm_kt_opts_t  *o = w->data;

    switch (opt) {
    case 's':
        o->store = arg;
        break;
    case 'S':
        if (strm_kt_size(arg, &o->store_size) != 0) {
            strm_w_log(STRM_W_LOG_EMERG, "invalid -S \"%s\": a size of "
                       "at least %zuk (k, m, g)", arg,
                       STRM_KEYSTORE_SIZE_MIN / 1024);
            return STRM_W_EX_USAGE;
        }

        break;
    case 'k':
        o->kek = arg;
        break;
    case 'b':
        o->brokers = arg;
        break;
    case 't':
        o->topic = arg;
        break;
    case 'r':
        o->retention = strtol(arg, NULL, 10);
        break;
    case 'o':
        o->once = 1;
        break;
    case 'a':
        o->audit = arg;
        break;
    case 'c':
        o->contract = arg;
        break;
    default:
        return strm_w_usage(w);
    }

    return STRM_W_EX_OK;
}


/* the command and what it needs; only sync runs until a signal */
static int
strm_kt_operands(strm_w_t *w)
{
    strm_kt_opts_t  *o = w->data;

    if (w->argc == 0) {
        return strm_w_usage(w);
    }

    o->cmd = w->argv[0];
    w->oneshot = 1;

    /* the only command without a store: the keys topic's settings */

    if (strcmp(o->cmd, "topic") == 0 && o->brokers != NULL
        && o->topic != NULL)
    {
        if (w->argc == 1) {
            return STRM_W_EX_OK;
        }

        if (w->argc == 4 && strcmp(w->argv[1], "create") == 0) {
            o->create = 1;
            o->partitions = atoi(w->argv[2]);
            o->replicas = atoi(w->argv[3]);

            if (o->partitions > 0 && o->replicas > 0) {
                return STRM_W_EX_OK;
            }
        }

        return strm_w_usage(w);
    }

    if (o->store == NULL) {
        return strm_w_usage(w);
    }

    if (w->argc == 1
        && (strcmp(o->cmd, "list") == 0 || strcmp(o->cmd, "stats") == 0))
    {
        return STRM_W_EX_OK;
    }

    if (w->argc == 2 && strcmp(o->cmd, "shred") == 0) {
        o->link = w->argv[1];
        return STRM_W_EX_OK;
    }

    if (strcmp(o->cmd, "forget") == 0 && o->kek != NULL
        && ((w->argc == 2 && strcmp(w->argv[1], "value") == 0)
            || (w->argc == 3 && strcmp(w->argv[1], "link") == 0)))
    {
        o->forget = w->argv[1];
        o->link = (w->argc == 3) ? w->argv[2] : NULL;
        return STRM_W_EX_OK;
    }

    if (w->argc == 1 && strcmp(o->cmd, "purge") == 0 && o->retention >= 0) {
        return STRM_W_EX_OK;
    }

    if (w->argc <= 2 && strcmp(o->cmd, "export") == 0 && o->kek != NULL) {
        o->link = (w->argc == 2) ? w->argv[1] : NULL;
        return STRM_W_EX_OK;
    }

    if (w->argc == 1 && strcmp(o->cmd, "sync") == 0 && o->brokers != NULL
        && o->topic != NULL)
    {
        w->oneshot = 0;
        return STRM_W_EX_OK;
    }

    return strm_w_usage(w);
}


static int
strm_kt_start(strm_w_t *w)
{
    strm_kt_opts_t  *o = w->data;

    int  ro;

    if (strcmp(o->cmd, "topic") == 0) {
        return STRM_W_EX_OK;
    }

    ro = strcmp(o->cmd, "list") == 0 || strcmp(o->cmd, "stats") == 0
         || strcmp(o->cmd, "export") == 0;

    if (strm_keystore_open(o->store, o->store_size, ro, &o->ks, w->err,
                           sizeof(w->err))
        != STRM_OK)
    {
        o->ks = NULL;
        return STRM_W_EX_FAILED;
    }

    return STRM_W_EX_OK;
}


/* 0 done, 1 not found or failed, -1 the store failed (said in stop) */
static int
strm_kt_run(strm_w_t *w)
{
    strm_kt_opts_t  *o = w->data;

    int               rc;
    size_t            links, sessions, n;
    uint64_t          used, size;
    rd_kafka_conf_t  *conf;

    if (strcmp(o->cmd, "topic") == 0) {
        conf = strm_kt_kafka_conf(o);
        if (conf == NULL) {
            return 1;
        }

        return strm_kt_topic(conf, o->topic, o->create, o->partitions,
                             o->replicas, STRM_KT_ADMIN_WAIT);
    }

    if (strcmp(o->cmd, "list") == 0) {
        return strm_kt_list(o->ks);
    }

    if (strcmp(o->cmd, "stats") == 0) {
        rc = strm_keystore_stat(o->ks, &links, &sessions);

        if (rc == 0) {
            rc = strm_keystore_usage(o->ks, &used, &size);
        }

        if (rc == 0) {
            printf("{\"keyLinks\":%zu,\"sessions\":%zu,\"usedBytes\":%llu,"
                   "\"sizeBytes\":%llu}\n", links, sessions,
                   (unsigned long long) used, (unsigned long long) size);
        }

        return rc;
    }

    if (strcmp(o->cmd, "shred") == 0) {
        return strm_kt_shred(o->ks, o, o->link);
    }

    if (strcmp(o->cmd, "forget") == 0) {
        return strm_kt_forget(o->ks, o);
    }

    if (strcmp(o->cmd, "purge") == 0) {
        rc = strm_kt_purge(o->ks, o, strm_w_now_ms() - o->retention * 1000,
                           (size_t) -1, &n);
        if (rc == 0) {
            printf("{\"purged\":%zu}\n", n);
        }

        return rc;
    }

    if (strcmp(o->cmd, "export") == 0) {
        return strm_kt_export(o->ks, o);
    }

    return strm_kt_sync(o->ks, o);
}


static int
strm_kt_stop(strm_w_t *w)
{
    strm_kt_opts_t  *o = w->data;

    if (o->ks == NULL) {
        return w->rc == 0 ? STRM_W_EX_OK : STRM_W_EX_FAILED;
    }

    if (w->rc < 0) {
        strm_w_log(STRM_W_LOG_ERR, "%s failed: %s", o->cmd,
                   strm_keystore_error(o->ks));
    }

    strm_keystore_close(o->ks);

    return w->rc == 0 ? STRM_W_EX_OK : STRM_W_EX_FAILED;
}


/*
 * With out, the keyset goes to a new file made 0600 whatever the umask:
 * "new-kek > file" gives the file the shell's umask (0644 by default).
 */
static int
strm_kt_new_kek(const char *out)
{
    int                  rc;
    char                *json;
    size_t               len;
    strm_tink_keyset_t  *ks;
    char                 err[256];

    ks = strm_tink_keyset_new(STRM_TINK_AEAD);

    if (ks == NULL || strm_tink_keyset_add_random(ks, NULL) != STRM_OK
        || strm_tink_keyset_write_json(ks, &json, &len) != STRM_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "cannot make a keyset");
        strm_tink_keyset_free(ks);
        return 1;
    }

    if (out != NULL) {
        /* the keyset and its newline, as on stdout */
        json[len] = '\n';

        if (strm_file_write_new(out, json, len + 1, err, sizeof(err))
            != STRM_OK)
        {
            strm_w_log(STRM_W_LOG_ERR, "%s: %s", out, err);
            rc = 1;

        } else {
            rc = 0;
        }

        json[len] = '\0';

    } else {
        rc = (fwrite(json, 1, len, stdout) == len && putchar('\n') != EOF)
             ? 0 : 1;
    }

    strm_tink_secret_free(json, len);
    strm_tink_keyset_free(ks);

    return rc;
}


static int
strm_kt_export(strm_keystore_t *ks, strm_kt_opts_t *o)
{
    int            rc;
    strm_keyrec_t  rec;
    char           err[512];

    if (strm_keys_read_kek(o->kek, &o->kek_ks, err, sizeof(err)) != STRM_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "%s: %s", o->kek, err);
        return 1;
    }

    if (o->link != NULL) {
        rc = strm_keystore_get(ks, o->link, &rec);
        rc = (rc == 1) ? strm_kt_export_one(&rec, o) : 1;
        OPENSSL_cleanse(&rec, sizeof(rec));

    } else {
        rc = strm_keystore_each(ks, strm_kt_export_one, o);
    }

    strm_tink_keyset_free(o->kek_ks);

    return rc;
}


static int
strm_kt_export_one(const strm_keyrec_t *rec, void *data)
{
    strm_kt_opts_t  *o = data;

    char                *json;
    size_t               len;
    strm_tink_keyset_t  *daead;

    if (strm_keys_unwrap(o->kek_ks, rec, &daead) != STRM_OK) {
        strm_w_log(STRM_W_LOG_ERR, "key link %s does not unwrap with this "
                   "KEK", rec->link);
        return 1;
    }

    if (strm_tink_keyset_write_json(daead, &json, &len) != STRM_OK) {
        strm_tink_keyset_free(daead);
        return 1;
    }

    printf("{\"keyLink\":\"%s\",\"created\":%lld,\"expires\":%lld,"
           "\"keyset\":%s}\n", rec->link, (long long) rec->created,
           (long long) rec->expires, json);

    strm_tink_secret_free(json, len);
    strm_tink_keyset_free(daead);

    return 0;
}


static int
strm_kt_list(strm_keystore_t *ks)
{
    return strm_keystore_each(ks, strm_kt_list_one, NULL);
}


static int
strm_kt_list_one(const strm_keyrec_t *rec, void *data)
{
    (void) data;

    printf("{\"keyLink\":\"%s\",\"keyId\":%u,\"created\":%lld,"
           "\"expires\":%lld}\n", rec->link, (unsigned) rec->key_id,
           (long long) rec->created, (long long) rec->expires);

    return 0;
}


/* the key links of one subject found in the store's index */
typedef struct {
    char                 (*links)[STRM_UUID_LEN + 1];
    unsigned char        (*sessions)[STRM_KEYSTORE_HMAC_LEN];
    const unsigned char   *session;     /* the one being looked up */
    size_t                 n;
    size_t                 max;
} strm_kt_found_t;


/*
 * forget: every key link of one data subject, in every window, found
 * through the store's index (sessions -> links), tombstoned in the keys
 * topic (each in its session's partition: every gateway and synced
 * store erases it) and erased in this store; a line in the audit log.
 * By value: the key-field value comes on standard input (never an
 * argument, which any user could read in the process list), is hashed
 * under the fleet secret of every KEK key and wiped.  By link: the
 * link's session.  The value is never printed, logged or audited.
 */
static int
strm_kt_forget(strm_keystore_t *ks, strm_kt_opts_t *o)
{
    int              rc, n, kafka;
    size_t           i, len, nsess;
    int64_t          window;
    strm_keyrec_t    rec;
    strm_kt_found_t  f;
    unsigned char    session[STRM_KEYSTORE_HMAC_LEN];
    unsigned char    sessions[STRM_KT_KEK_KEYS * STRM_KEYSTORE_HMAC_LEN];
    char             value[STRM_KT_VALUE_MAX + 1], err[512];

    if (strm_keys_read_kek(o->kek, &o->kek_ks, err, sizeof(err)) != STRM_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "%s: %s", o->kek, err);
        return 1;
    }

    memset(&f, 0, sizeof(f));
    f.max = STRM_KT_FORGET_MAX;
    f.links = calloc(f.max, sizeof(*f.links));
    f.sessions = calloc(f.max, sizeof(*f.sessions));

    if (f.links == NULL || f.sessions == NULL) {
        free(f.links);
        free(f.sessions);
        return 1;
    }

    rc = 0;

    if (o->link == NULL) {
        len = fread(value, 1, sizeof(value), stdin);

        if (len == sizeof(value)) {
            OPENSSL_cleanse(value, sizeof(value));
            strm_w_log(STRM_W_LOG_ERR, "the value on standard input is "
                       "longer than %d bytes", STRM_KT_VALUE_MAX);
            rc = 1;
            goto done;
        }

        /* the line's end is not the value's */
        if (len > 0 && value[len - 1] == '\n') {
            len--;
        }

        if (len > 0 && value[len - 1] == '\r') {
            len--;
        }

        if (len == 0) {
            strm_w_log(STRM_W_LOG_ERR, "no value on standard input");
            rc = 1;
            goto done;
        }

        n = strm_keys_value_sessions(o->kek_ks, value, len, sessions,
                                     STRM_KT_KEK_KEYS, &nsess);
        OPENSSL_cleanse(value, sizeof(value));

        if (n != STRM_OK) {
            rc = 1;
            goto done;
        }

        for (i = 0; i < nsess; i++) {
            f.session = sessions + i * STRM_KEYSTORE_HMAC_LEN;

            if (strm_keystore_subject(ks, f.session, strm_kt_forget_link, &f)
                < 0)
            {
                rc = -1;
                goto done;
            }
        }

        OPENSSL_cleanse(sessions, sizeof(sessions));

    } else {
        n = strm_keystore_candidate(ks, o->link, session, &window);

        if (n < 0) {
            rc = -1;
            goto done;
        }

        if (n == 1) {
            f.session = session;

            if (strm_keystore_subject(ks, session, strm_kt_forget_link, &f)
                < 0)
            {
                rc = -1;
                goto done;
            }
        }

        /* a link the index does not know: that link alone */
        if (f.n == 0 && strm_keystore_get(ks, o->link, &rec) == 1) {
            memcpy(f.links[0], o->link, STRM_UUID_LEN + 1);
            memcpy(f.sessions[0], rec.session, STRM_KEYSTORE_HMAC_LEN);
            f.n = rec.fleet ? 1 : 0;

            if (!rec.fleet) {
                /* before the fleet: no session, any partition */
                memset(f.sessions[0], 0, STRM_KEYSTORE_HMAC_LEN);
                f.n = 1;
            }

            OPENSSL_cleanse(&rec, sizeof(rec));
        }
    }

    if (f.n == f.max) {
        strm_w_log(STRM_W_LOG_WARN, "more than %d key links: forget again "
                   "for the rest", STRM_KT_FORGET_MAX);
    }

    /* the fleet first: every box erases on the tombstones */
    kafka = 0;

    if (o->brokers != NULL && o->topic != NULL && f.n > 0) {
        kafka = strm_kt_tombstones(o, f.links, f.sessions, f.n);
    }

    for (i = 0; i < f.n; i++) {
        if (strm_keystore_shred(ks, f.links[i]) < 0) {
            rc = -1;
            goto done;
        }
    }

    printf("{\"forgotten\":%zu,\"keyLinks\":[", f.n);

    for (i = 0; i < f.n; i++) {
        printf("%s\"%s\"", i ? "," : "", f.links[i]);
    }

    printf("]}\n");

    if (o->audit != NULL
        && strm_kt_audit_forget(o, o->link ? "link" : "value", f.links, f.n)
           != 0)
    {
        strm_w_log(STRM_W_LOG_ERR, "audit log \"%s\": %s", o->audit,
                   strerror(errno));
        rc = 1;
    }

    if (kafka != 0) {
        rc = 1;
    }

done:

    free(f.links);
    free(f.sessions);

    return rc;
}


static int
strm_kt_forget_link(const char *link, void *data)
{
    strm_kt_found_t  *f = data;

    size_t  i;

    for (i = 0; i < f->n; i++) {
        if (strcmp(f->links[i], link) == 0) {
            return 0;
        }
    }

    if (f->n == f->max) {
        return 1;
    }

    memcpy(f->links[f->n], link, STRM_UUID_LEN + 1);
    memcpy(f->sessions[f->n], f->session, STRM_KEYSTORE_HMAC_LEN);
    f->n++;

    return 0;
}


/* one tombstone per link, in its session's partition; 0 or 1 */
static int
strm_kt_tombstones(strm_kt_opts_t *o, char links[][STRM_UUID_LEN + 1],
    unsigned char (*sessions)[STRM_KEYSTORE_HMAC_LEN], size_t n)
{
    size_t                  i;
    rd_kafka_t             *rk;
    rd_kafka_conf_t        *conf;
    rd_kafka_topic_t       *rkt;
    rd_kafka_resp_err_t     err;
    rd_kafka_topic_conf_t  *tconf;
    unsigned char           zero[STRM_KEYSTORE_HMAC_LEN];
    char                    errstr[512];

    conf = strm_kt_kafka_conf(o);
    if (conf == NULL) {
        return 1;
    }

    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    tconf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set_partitioner_cb(tconf, strm_kt_partitioner);

    /* the handle owns tconf */
    rkt = rd_kafka_topic_new(rk, o->topic, tconf);
    err = (rkt == NULL) ? rd_kafka_last_error() : RD_KAFKA_RESP_ERR_NO_ERROR;

    memset(zero, 0, sizeof(zero));

    for (i = 0; i < n && err == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
        err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt),
                                RD_KAFKA_V_KEY(links[i], STRM_UUID_LEN),
                                RD_KAFKA_V_VALUE(NULL, 0),
                                RD_KAFKA_V_OPAQUE(
                                    memcmp(sessions[i], zero,
                                           sizeof(zero)) == 0
                                    ? NULL : sessions[i]),
                                RD_KAFKA_V_END);
    }

    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = rd_kafka_flush(rk, 10000);
    }

    if (rkt != NULL) {
        rd_kafka_topic_destroy(rkt);
    }

    rd_kafka_destroy(rk);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "tombstones to \"%s\" failed: %s",
                   o->topic, rd_kafka_err2str(err));
        return 1;
    }

    return 0;
}


/*
 * The audit trail strm-decrypt keeps: who forgot whom (by value or by
 * link, never the value), when, which key links.
 */
static int
strm_kt_audit_forget(strm_kt_opts_t *o, const char *by,
    char links[][STRM_UUID_LEN + 1], size_t n)
{
    FILE            *f;
    int              rc;
    size_t           i;
    const char      *who;
    struct passwd   *pw;

    f = fopen(o->audit, "a");
    if (f == NULL) {
        return -1;
    }

    who = getenv("SUDO_USER");

    if (who == NULL) {
        pw = getpwuid(geteuid());
        who = (pw != NULL) ? pw->pw_name : "unknown";
    }

    fprintf(f, "{\"time\":%lld,\"event\":\"forget\",\"by\":\"%s\","
            "\"subject\":\"%s\"", (long long) strm_w_now_ms(), who, by);

    if (o->contract != NULL) {
        fprintf(f, ",\"contract\":\"%s\"", o->contract);
    }

    fprintf(f, ",\"count\":%zu,\"keyLinks\":[", n);

    for (i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\"", i ? "," : "", links[i]);
    }

    fprintf(f, "]}\n");

    rc = fflush(f) == 0 ? 0 : -1;

    if (fclose(f) != 0) {
        rc = -1;
    }

    return rc;
}


/* a fleet record's session picks its partition, as at the gateways */
static int32_t
strm_kt_partitioner(const rd_kafka_topic_t *rkt, const void *key,
    size_t keylen, int32_t partitions, void *rkt_opaque, void *msg_opaque)
{
    if (msg_opaque == NULL) {
        return rd_kafka_msg_partitioner_consistent_random(rkt, key, keylen,
                                                          partitions,
                                                          rkt_opaque,
                                                          msg_opaque);
    }

    return strm_keys_partition(msg_opaque, partitions);
}


/*
 * The tombstone (the key link as message key, no value) makes Kafka's
 * compaction forget the key and every "strm-keys sync" shred it.
 */
static int
strm_kt_shred(strm_keystore_t *ks, strm_kt_opts_t *o, const char *link)
{
    int            rc;
    char           links[1][STRM_UUID_LEN + 1];
    strm_keyrec_t  rec;
    unsigned char  sessions[1][STRM_KEYSTORE_HMAC_LEN];

    /* a fleet record's tombstone goes to its session's partition */
    memset(sessions, 0, sizeof(sessions));

    if (strm_keystore_get(ks, link, &rec) == 1 && rec.fleet) {
        memcpy(sessions[0], rec.session, STRM_KEYSTORE_HMAC_LEN);
    }

    OPENSSL_cleanse(&rec, sizeof(rec));

    rc = strm_keystore_shred(ks, link);

    if (rc < 0) {
        return -1;
    }

    printf("{\"keyLink\":\"%s\",\"shredded\":%s}\n", link,
           rc ? "true" : "false");

    if (o->audit != NULL && strm_kt_audit_shred(o->audit, link, rc) != 0) {
        strm_w_log(STRM_W_LOG_ERR, "audit log \"%s\": %s", o->audit,
                   strerror(errno));
        return -1;
    }

    if (o->brokers == NULL || o->topic == NULL) {
        return rc ? 0 : 1;
    }

    if (strlen(link) != STRM_UUID_LEN) {
        return 1;
    }

    memcpy(links[0], link, STRM_UUID_LEN + 1);

    if (strm_kt_tombstones(o, links, sessions, 1) != 0) {
        return 1;
    }

    return rc ? 0 : 1;
}


/*
 * The keys topic is read without a consumer group, from where the store
 * left off (its offsets, per partition) or from the beginning for an
 * empty store, and applied as the gateways apply it: the machine's
 * store holds the same winners as every gateway's.
 */
static int
strm_kt_sync(strm_keystore_t *ks, strm_kt_opts_t *o)
{
    int                               i, rc, bad, nparts, remaining;
    size_t                            copied, shredded, lost;
    int64_t                           lo, hi, next, next_purge, *ends;
    rd_kafka_t                       *rk;
    rd_kafka_conf_t                  *conf;
    rd_kafka_message_t               *rkm;
    rd_kafka_resp_err_t               err;
    const rd_kafka_metadata_t        *md;
    rd_kafka_topic_partition_list_t  *parts;
    struct timespec                   pause = { 0, 100 * 1000 * 1000 };
    char                              errstr[512];

    conf = strm_kt_kafka_conf(o);
    if (conf == NULL) {
        return 1;
    }

    if (rd_kafka_conf_set(conf, "group.id", "strm-keys-sync", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                             sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    md = NULL;
    rc = 0;
    err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;

    /* the topic may be created by the first gateway a moment later */
    for (i = 0; i < 100 && !strm_w_stopping(); i++) {
        rd_kafka_topic_t  *rkt = rd_kafka_topic_new(rk, o->topic, NULL);

        err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        rd_kafka_topic_destroy(rkt);

        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1
            && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR
            && md->topics[0].partition_cnt > 0)
        {
            break;
        }

        if (md != NULL) {
            rd_kafka_metadata_destroy(md);
            md = NULL;
        }

        err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        nanosleep(&pause, NULL);
    }

    if (md == NULL) {
        strm_w_log(STRM_W_LOG_ERR, "topic \"%s\": %s", o->topic,
                   rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return 1;
    }

    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    ends = calloc(md->topics[0].partition_cnt, sizeof(int64_t));

    if (ends == NULL) {
        rd_kafka_metadata_destroy(md);
        rd_kafka_destroy(rk);
        return 1;
    }

    /* partition ids are 0 .. count - 1 */
    nparts = md->topics[0].partition_cnt;
    remaining = 0;

    for (i = 0; i < nparts; i++) {
        /* where this store left off (an empty one: the beginning) */
        if (strm_keystore_applied(ks, i, &next) < 0) {
            next = 0;
        }

        rd_kafka_topic_partition_list_add(parts, o->topic, i)->offset =
            (next > 0) ? next : RD_KAFKA_OFFSET_BEGINNING;

        lo = hi = 0;
        err = rd_kafka_query_watermark_offsets(rk, o->topic, i, &lo, &hi,
                                               10000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_ERR, "end of partition %d: %s", i,
                       rd_kafka_err2str(err));
            rc = 1;
        }

        /* nothing to wait for: an empty partition, or read before */
        ends[i] = (hi > lo && hi > next) ? hi : 0;
        remaining += (ends[i] > 0);
    }

    rd_kafka_metadata_destroy(md);

    if (rc != 0) {
        rd_kafka_topic_partition_list_destroy(parts);
        free(ends);
        rd_kafka_destroy(rk);
        return 1;
    }

    err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "assign: %s", rd_kafka_err2str(err));
        free(ends);
        rd_kafka_destroy(rk);
        return 1;
    }

    copied = shredded = lost = 0;
    bad = 0;

    next_purge = strm_w_now_ms();

    while (!strm_w_stopping() && !(o->once && remaining == 0)) {

        /* following: key links expired longer ago than -r are purged */
        if (!o->once && strm_w_now_ms() >= next_purge) {
            strm_kt_sync_purge(ks, o);
            next_purge = strm_w_now_ms() + STRM_KT_PURGE_EVERY;
        }

        rkm = rd_kafka_consumer_poll(rk, 200);
        if (rkm == NULL) {
            continue;
        }

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(rkm);
            continue;
        }

        if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            strm_w_log(STRM_W_LOG_ERR, "%s", rd_kafka_message_errstr(rkm));
            rd_kafka_message_destroy(rkm);
            continue;
        }

        switch (strm_kt_sync_message(ks, rkm)) {
        case 1:
            copied++;
            break;
        case 2:
            shredded++;
            break;
        case 3:
            lost++;
            break;
        case 4:
            break;
        case -1:
            rc = -1;
            strm_w_stop();
            break;
        default:
            bad++;
            break;
        }

        if (rkm->partition >= 0 && rkm->partition < nparts
            && ends[rkm->partition] > 0
            && rkm->offset + 1 >= ends[rkm->partition])
        {
            ends[rkm->partition] = 0;
            remaining--;
        }

        rd_kafka_message_destroy(rkm);
    }

    printf("{\"copied\":%zu,\"shredded\":%zu,\"lost\":%zu,"
           "\"malformed\":%d}\n", copied, shredded, lost, bad);

    free(ends);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);

    return rc;
}


/* a sync that follows purges on a schedule: an erasure, logged */
static void
strm_kt_sync_purge(strm_keystore_t *ks, strm_kt_opts_t *o)
{
    long    retention;
    size_t  n;

    retention = (o->retention >= 0) ? o->retention : STRM_KT_RETENTION;

    if (strm_kt_purge(ks, o, strm_w_now_ms() - retention * 1000, 1000, &n)
        != 0)
    {
        strm_w_log(STRM_W_LOG_ERR, "purge failed: %s",
                   strm_keystore_error(ks));
        return;
    }

    if (n > 0) {
        strm_w_log(STRM_W_LOG_NOTICE, "%zu key links purged (expired more "
                   "than %ld s ago)", n, retention);
    }
}


/*
 * As the gateways apply it (strm_keystore_apply(): the first candidate
 * of a session and window wins, each offset once): 1 copied, 2
 * shredded (tombstone), 3 a losing candidate (indexed, no key), 4
 * applied before, 0 malformed, -1 store error
 */
static int
strm_kt_sync_message(strm_keystore_t *ks, const rd_kafka_message_t *rkm)
{
    int            rc, won;
    char           link[STRM_UUID_LEN + 1];
    strm_keyrec_t  rec;

    if (rkm->key_len != STRM_UUID_LEN) {
        return 0;
    }

    memcpy(link, rkm->key, STRM_UUID_LEN);
    link[STRM_UUID_LEN] = '\0';

    if (rkm->payload == NULL) {
        rc = strm_keystore_apply(ks, rkm->partition, rkm->offset, NULL, link,
                                 &won);
        return (rc < 0) ? -1 : (rc == 0 ? 4 : 2);
    }

    if (strm_keyrec_from_json(rkm->payload, rkm->len, &rec) != 0
        || strcmp(rec.link, link) != 0)
    {
        return 0;
    }

    rc = strm_keystore_apply(ks, rkm->partition, rkm->offset, &rec, NULL,
                             &won);
    OPENSSL_cleanse(&rec, sizeof(rec));

    return (rc < 0) ? -1 : (rc == 0 ? 4 : (won ? 1 : 3));
}


/*
 * The audit trail strm-decrypt keeps (one JSON line per fact): who
 * shredded what, when, so that "this PII stopped being readable at" is
 * on record beside what the derived streams delivered.
 */
static int
strm_kt_audit_shred(const char *path, const char *link, int shredded)
{
    FILE  *f;
    int    rc;

    f = fopen(path, "a");
    if (f == NULL) {
        return -1;
    }

    fprintf(f, "{\"time\":%lld,\"event\":\"shred\",\"keyLink\":\"%s\","
            "\"shredded\":%s}\n", (long long) strm_w_now_ms(), link,
            shredded ? "true" : "false");

    rc = fflush(f) == 0 ? 0 : -1;

    if (fclose(f) != 0) {
        rc = -1;
    }

    return rc;
}


/*
 * The clients' configuration: the brokers of -b, then the -X properties
 * (SASL, TLS), then what the command needs (set by the caller)
 */
static rd_kafka_conf_t *
strm_kt_kafka_conf(strm_kt_opts_t *o)
{
    rd_kafka_conf_t  *conf;
    char              errstr[512];

    conf = rd_kafka_conf_new();

    if (rd_kafka_conf_set(conf, "bootstrap.servers", o->brokers, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK)
    {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }

    if (strm_w_kafka_props(conf, errstr, sizeof(errstr)) != 0) {
        strm_w_log(STRM_W_LOG_ERR, "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }

    return conf;
}


/*
 * A purge: the key links that expired before "before" (at most max)
 * are erased from this store.  With -b and -t they first get their
 * tombstones in the keys topic, in their sessions' partitions, as a
 * forget's: every store that follows the topic erases them too and
 * compaction removes the keys from Kafka, so that expiry is an erasure
 * of the fleet's copies (docs/keys.md).  When the tombstones cannot be
 * written, nothing is purged (the next step tries again): a link
 * erased here without its tombstone would stay in Kafka for good.
 */
static int
strm_kt_purge(strm_keystore_t *ks, strm_kt_opts_t *o, int64_t before,
    size_t max, size_t *n)
{
    int                rc;
    size_t             size, stored, sessions;
    strm_kt_expired_t  ex;

    *n = 0;

    if (o->brokers == NULL || o->topic == NULL) {
        return strm_keystore_purge_some(ks, before, max, n);
    }

    if (strm_keystore_stat(ks, &stored, &sessions) != 0) {
        return -1;
    }

    size = (stored < max) ? stored : max;
    if (size == 0) {
        return 0;
    }

    memset(&ex, 0, sizeof(strm_kt_expired_t));
    ex.before = before;
    ex.max = size;
    ex.links = calloc(size, sizeof(*ex.links));
    ex.sessions = calloc(size, sizeof(*ex.sessions));

    if (ex.links == NULL || ex.sessions == NULL) {
        free(ex.links);
        free(ex.sessions);
        strm_w_log(STRM_W_LOG_ERR, "purge: out of memory");
        return 1;
    }

    rc = strm_keystore_each(ks, strm_kt_purge_one, &ex);

    if (rc == 0 && ex.n > 0) {
        if (strm_kt_tombstones(o, ex.links, ex.sessions, ex.n) != 0) {
            rc = 1;

        } else {
            rc = strm_keystore_purge_some(ks, before, ex.n, n);
        }
    }

    free(ex.links);
    free(ex.sessions);

    return rc;
}


static int
strm_kt_purge_one(const strm_keyrec_t *rec, void *data)
{
    strm_kt_expired_t  *ex = data;

    if (rec->expires >= ex->before) {
        return 0;
    }

    memcpy(ex->links[ex->n], rec->link, STRM_UUID_LEN + 1);

    if (rec->fleet) {
        memcpy(ex->sessions[ex->n], rec->session, STRM_KEYSTORE_HMAC_LEN);
    }

    ex->n++;

    return ex->n < ex->max ? 0 : 1;
}
