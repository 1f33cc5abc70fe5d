
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <lmdb.h>
#include <openssl/crypto.h>

#include "strm_keystore.h"


/*
 * version, key id, created, expires, wrapped length, flags, [window,
 * session,] wrapped key
 */
#define STRM_KEYREC_VERSION    2       /* 1: the wrapped key inline */
#define STRM_KEYREC_HEADER     (1 + 4 + 8 + 8 + 2 + 1)
#define STRM_KEYREC_PUBLISHED  0x01
#define STRM_KEYREC_FLEET      0x02
#define STRM_KEYREC_FLEET_LEN  (8 + STRM_KEYSTORE_HMAC_LEN)
#define STRM_KEYREC_MAX        (STRM_KEYREC_HEADER + STRM_KEYREC_FLEET_LEN \
                                + 8)

/* strm_keystore_has()'s memo of links found: slots (a power of two),
   two ways */
#define STRM_KEYSTORE_HAS_MEMO 16384

/* session || window: the key of the windows table */
#define STRM_KEYSTORE_SW_LEN   (STRM_KEYSTORE_HMAC_LEN + 8)

/* strm_keystore_winner()'s memo of winners found: slots (a power of
   two), two ways */
#define STRM_KEYSTORE_WIN_MEMO 4096


/* a link strm_keystore_has() found, and the store's commit it read */
typedef struct {
    size_t                  txnid;          /* 0: none */
    char                    link[STRM_UUID_LEN];
} strm_keystore_memo_t;


/* a winner strm_keystore_winner() found, and the store's commit it read */
typedef struct {
    size_t                  txnid;          /* 0: none */
    unsigned char           sw[STRM_KEYSTORE_SW_LEN];
    char                    link[STRM_UUID_LEN];
} strm_keystore_win_t;


struct strm_keystore_s {
    MDB_env                *env;
    MDB_dbi                 sessions;
    MDB_dbi                 links;
    MDB_dbi                 meta;
    MDB_dbi                 windows;
    MDB_dbi                 candidates;
    MDB_dbi                 subjects;
    MDB_dbi                 free;           /* erased slots to reuse */
    int                     slots;          /* the slot file, or -1 */
    int                     zeroed;         /* slots to sync */
    int                     read_only;
    int                     last;           /* last LMDB error */
    uint64_t                size;           /* both files together */
    uint64_t                max_slots;      /* the slot file's share */
    char                   *path;
    MDB_txn                *rd;             /* a reset read transaction */
    strm_keystore_memo_t   *memo;           /* strm_keystore_has() */
    strm_keystore_win_t    *win;            /* strm_keystore_winner() */
};

/* LMDB's map: two thirds of the size; the slot file: the rest */
#define strm_keystore_map_share(size)  ((size) - (size) / 3)
#define strm_keystore_slot_share(size) ((size) / 3)


static int strm_keystore_fail(strm_keystore_t *ks, MDB_txn *txn, int rc);
static size_t strm_keyrec_encode(const strm_keyrec_t *rec,
    unsigned char *buf);
static int strm_keyrec_decode(strm_keystore_t *ks, const MDB_val *v,
    const char *link, size_t link_len, strm_keyrec_t *rec);
static int strm_keystore_put_rec(strm_keystore_t *ks, MDB_txn *txn,
    const strm_keyrec_t *rec);
static int strm_keystore_del_rec(strm_keystore_t *ks, MDB_txn *txn,
    const char *link);
static int strm_keystore_commit(strm_keystore_t *ks, MDB_txn *txn);
static int strm_keystore_format(strm_keystore_t *ks, MDB_txn *txn,
    int read_only);
static int strm_keystore_wipe_slots(strm_keystore_t *ks);
static void strm_put_u64(unsigned char *p, uint64_t v);
static uint64_t strm_get_u64(const unsigned char *p);
static int strm_keystore_drop_sessions(strm_keystore_t *ks, MDB_txn *txn,
    const char *link);
static int strm_keystore_apply_rec(strm_keystore_t *ks, MDB_txn *txn,
    const strm_keyrec_t *rec, int *won);
static int strm_keystore_apply_tombstone(strm_keystore_t *ks, MDB_txn *txn,
    const char *link);
static void strm_keystore_offset_key(unsigned char *key, int32_t partition);
static int strm_keystore_size(strm_keystore_t *ks, MDB_txn *txn,
    size_t size);
static int strm_keystore_reset(strm_keystore_t *ks, MDB_txn *txn);
static int strm_keystore_room(strm_keystore_t *ks);
static int strm_keystore_begin(strm_keystore_t *ks, unsigned int flags,
    MDB_txn **txn);
static int strm_keystore_read(strm_keystore_t *ks, MDB_txn **txn);
static void strm_keystore_read_done(strm_keystore_t *ks, MDB_txn *txn);


strm_rc_t
strm_keystore_open(const char *path, size_t map_size, int read_only,
    strm_keystore_t **out, char *err, size_t errlen)
{
    int               rc, dead;
    char              slots[4096];
    MDB_txn          *txn;
    unsigned int      flags;
    strm_keystore_t  *ks;

    *out = NULL;

    ks = calloc(1, sizeof(strm_keystore_t));
    if (ks == NULL) {
        return STRM_E_NOMEM;
    }

    ks->read_only = read_only;
    ks->slots = -1;
    txn = NULL;

    ks->path = strdup(path);
    if (ks->path == NULL) {
        free(ks);
        return STRM_E_NOMEM;
    }

    rc = mdb_env_create(&ks->env);
    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    rc = mdb_env_set_maxdbs(ks->env, 7);
    if (rc == MDB_SUCCESS && map_size) {
        if (map_size < STRM_KEYSTORE_SIZE_MIN) {
            map_size = STRM_KEYSTORE_SIZE_MIN;
        }

        rc = mdb_env_set_mapsize(ks->env, strm_keystore_map_share(map_size));
    }

    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    /*
     * One file, no subdirectory; no fsync per transaction (Kafka holds
     * the durable copy of every key); one process may run many read
     * transactions at a time only in one thread: nginx workers do.
     */
    flags = MDB_NOSUBDIR | MDB_NOSYNC;

    if (read_only) {
        flags |= MDB_RDONLY;
    }

    rc = mdb_env_open(ks->env, path, flags, 0600);
    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    /* the wrapped keys' slots, beside the LMDB file */
    if (snprintf(slots, sizeof(slots), "%s.slots", path)
        >= (int) sizeof(slots))
    {
        rc = ENAMETOOLONG;
        goto failed;
    }

    ks->slots = open(slots, read_only ? O_RDONLY | O_CLOEXEC
                                      : O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (ks->slots == -1 && !(read_only && errno == ENOENT)) {
        rc = errno;
        goto failed;
    }

    /* slots of readers killed (kill -9) would pin old pages forever */
    (void) mdb_reader_check(ks->env, &dead);

    rc = strm_keystore_begin(ks, read_only ? MDB_RDONLY : 0, &txn);
    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    flags = read_only ? 0 : MDB_CREATE;

    rc = mdb_dbi_open(txn, "sessions", flags, &ks->sessions);
    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "links", flags, &ks->links);
    }

    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "meta", flags, &ks->meta);
    }

    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "windows", flags, &ks->windows);
    }

    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "candidates", flags, &ks->candidates);
    }

    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "subjects", flags | MDB_DUPSORT,
                          &ks->subjects);
    }

    if (rc == MDB_SUCCESS) {
        rc = mdb_dbi_open(txn, "free", flags, &ks->free);
    }

    if (rc == MDB_SUCCESS) {
        rc = strm_keystore_format(ks, txn, read_only);
    }

    if (rc == MDB_SUCCESS) {
        rc = strm_keystore_size(ks, txn, map_size);
    }

    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    rc = strm_keystore_commit(ks, txn);
    txn = NULL;

    /* the store's own size: LMDB's map follows it (no transaction open) */
    if (rc == MDB_SUCCESS && map_size == 0 && !read_only) {
        rc = mdb_env_set_mapsize(ks->env,
                                 strm_keystore_map_share(ks->size));
    }

    if (rc != MDB_SUCCESS) {
        goto failed;
    }

    *out = ks;

    return STRM_OK;

failed:

    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == MDB_NOTFOUND && read_only
                 ? "the key store has no tables yet"
                 : rc == MDB_INCOMPATIBLE
                 ? "the store keeps keys inline (before forensic erasure): "
                   "stop its users and delete it, it is rebuilt from the "
                   "keys topic"
                 : mdb_strerror(rc));
    }

    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    if (ks->slots != -1) {
        close(ks->slots);
    }

    if (ks->env != NULL) {
        mdb_env_close(ks->env);
    }

    free(ks->path);
    free(ks);

    return STRM_E_INTERNAL;
}


void
strm_keystore_close(strm_keystore_t *ks)
{
    if (ks == NULL) {
        return;
    }

    if (ks->slots != -1) {
        close(ks->slots);
    }

    if (ks->rd != NULL) {
        mdb_txn_abort(ks->rd);
    }

    free(ks->memo);

    if (ks->win != NULL) {
        OPENSSL_cleanse(ks->win,
                        STRM_KEYSTORE_WIN_MEMO * sizeof(strm_keystore_win_t));
        free(ks->win);
    }

    mdb_env_close(ks->env);
    free(ks->path);
    free(ks);
}


/*
 * The size: the caller's (recorded when it differs), else the one the
 * store recorded, else the default.  The slot file gets its share.
 */
static int
strm_keystore_size(strm_keystore_t *ks, MDB_txn *txn, size_t size)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  buf[8];

    k.mv_data = "size";
    k.mv_size = 4;

    rc = mdb_get(txn, ks->meta, &k, &v);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return rc;
    }

    ks->size = (rc == MDB_SUCCESS && v.mv_size == 8)
               ? strm_get_u64(v.mv_data) : 0;

    if (size != 0 && size != ks->size && !ks->read_only) {
        strm_put_u64(buf, size);
        v.mv_data = buf;
        v.mv_size = 8;

        rc = mdb_put(txn, ks->meta, &k, &v, 0);
        if (rc != MDB_SUCCESS) {
            return rc;
        }
    }

    if (size != 0) {
        ks->size = size;
    }

    if (ks->size < STRM_KEYSTORE_SIZE_MIN) {
        ks->size = (ks->size == 0) ? STRM_KEYSTORE_SIZE
                                   : STRM_KEYSTORE_SIZE_MIN;
    }

    ks->max_slots = strm_keystore_slot_share(ks->size) / STRM_KEYSTORE_SLOT;

    return MDB_SUCCESS;
}


/*
 * A transaction; when another process grew the map (a larger size),
 * this one takes the new size first (LMDB: MDB_MAP_RESIZED).
 */
static int
strm_keystore_begin(strm_keystore_t *ks, unsigned int flags, MDB_txn **txn)
{
    int  rc;

    rc = mdb_txn_begin(ks->env, NULL, flags, txn);

    if (rc == MDB_MAP_RESIZED) {
        rc = mdb_env_set_mapsize(ks->env, 0);

        if (rc == MDB_SUCCESS) {
            rc = mdb_txn_begin(ks->env, NULL, flags, txn);
        }
    }

    return rc;
}


/*
 * A read transaction for a lookup: the last one's handle, reset when it
 * ended, is renewed (LMDB: mdb_txn_renew()), which spares allocating and
 * setting up a handle per lookup.  A renewed transaction reads the
 * latest commit, of this process or another, as a new one does.  A
 * store handle is used by one thread (a worker's event loop, a
 * program's main loop); the reader slot stays that thread's.
 */
static int
strm_keystore_read(strm_keystore_t *ks, MDB_txn **txn)
{
    if (ks->rd != NULL) {
        *txn = ks->rd;
        ks->rd = NULL;

        if (mdb_txn_renew(*txn) == MDB_SUCCESS) {
            return MDB_SUCCESS;
        }

        /* e.g. another process grew the map: a new one copes */
        mdb_txn_abort(*txn);
    }

    return strm_keystore_begin(ks, MDB_RDONLY, txn);
}


/* a read transaction from strm_keystore_read() ended: kept for the next */
static void
strm_keystore_read_done(strm_keystore_t *ks, MDB_txn *txn)
{
    if (ks->rd != NULL) {
        mdb_txn_abort(txn);
        return;
    }

    mdb_txn_reset(txn);
    ks->rd = txn;
}


/*
 * meta "format" says how records keep their keys: 2, in the slot file.
 * A store of format 1 (keys inline in LMDB's pages) cannot be made
 * forensic by deleting: it must be deleted whole and rebuilt.
 */
static int
strm_keystore_format(strm_keystore_t *ks, MDB_txn *txn, int read_only)
{
    int            rc;
    MDB_val        k, v;
    MDB_stat       st;
    unsigned char  two = STRM_KEYREC_VERSION;

    k.mv_data = "format";
    k.mv_size = 6;

    rc = mdb_get(txn, ks->meta, &k, &v);

    if (rc == MDB_SUCCESS) {
        if (v.mv_size != 1 || *(unsigned char *) v.mv_data != two) {
            return MDB_INCOMPATIBLE;
        }

        return read_only ? MDB_SUCCESS : strm_keystore_reset(ks, txn);
    }

    if (rc != MDB_NOTFOUND) {
        return rc;
    }

    rc = mdb_stat(txn, ks->links, &st);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    if (st.ms_entries > 0) {
        return MDB_INCOMPATIBLE;
    }

    if (read_only) {
        return MDB_SUCCESS;
    }

    /* a new store: a slot file left by a lost one is wiped first */
    rc = strm_keystore_wipe_slots(ks);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    v.mv_data = &two;
    v.mv_size = 1;

    return mdb_put(txn, ks->meta, &k, &v, 0);
}


/*
 * A slot file shorter than the slots LMDB gave out was lost (deleted,
 * replaced, truncated) while LMDB's file was not: the records point at
 * keys that are gone.  The tables are emptied (the HMAC secret and the
 * size stay), so that the store is rebuilt from the keys topic, from
 * its beginning, as a new one.
 */
static int
strm_keystore_reset(strm_keystore_t *ks, MDB_txn *txn)
{
    int          rc, i;
    MDB_val      k, v;
    MDB_dbi      dbs[6];
    uint64_t     high;
    MDB_cursor  *cur;
    struct stat  st;

    k.mv_data = "slots";
    k.mv_size = 5;

    rc = mdb_get(txn, ks->meta, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return MDB_SUCCESS;
    }

    if (rc != MDB_SUCCESS) {
        return rc;
    }

    high = (v.mv_size == 8) ? strm_get_u64(v.mv_data) : 0;

    if (fstat(ks->slots, &st) == -1) {
        return errno;
    }

    if ((uint64_t) st.st_size >= high * STRM_KEYSTORE_SLOT) {
        return MDB_SUCCESS;
    }

    dbs[0] = ks->sessions;
    dbs[1] = ks->links;
    dbs[2] = ks->windows;
    dbs[3] = ks->candidates;
    dbs[4] = ks->subjects;
    dbs[5] = ks->free;

    for (i = 0; i < 6; i++) {
        rc = mdb_drop(txn, dbs[i], 0);
        if (rc != MDB_SUCCESS) {
            return rc;
        }
    }

    /* the slot counter and the topic's offsets go: read it all again */
    rc = mdb_cursor_open(txn, ks->meta, &cur);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if ((k.mv_size == 5 && memcmp(k.mv_data, "slots", 5) == 0)
            || (k.mv_size == 10 && memcmp(k.mv_data, "offset", 6) == 0))
        {
            rc = mdb_cursor_del(cur, 0);
            if (rc != MDB_SUCCESS) {
                break;
            }
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        return rc;
    }

    /* what is left of the slot file holds keys of no record now */
    return strm_keystore_wipe_slots(ks);
}


/* zeros over the whole slot file, synced, then the file emptied */
static int
strm_keystore_wipe_slots(strm_keystore_t *ks)
{
    off_t          size, off;
    ssize_t        w;
    struct stat    st;
    unsigned char  zeros[64 * STRM_KEYSTORE_SLOT];

    if (fstat(ks->slots, &st) == -1) {
        return errno;
    }

    size = st.st_size;

    if (size == 0) {
        return MDB_SUCCESS;
    }

    memset(zeros, 0, sizeof(zeros));

    for (off = 0; off < size; off += w) {
        w = pwrite(ks->slots, zeros,
                   (size_t) ((size - off) < (off_t) sizeof(zeros)
                             ? size - off : (off_t) sizeof(zeros)),
                   off);
        if (w <= 0) {
            return (w == -1) ? errno : EIO;
        }
    }

    if (fdatasync(ks->slots) == -1 || ftruncate(ks->slots, 0) == -1) {
        return errno;
    }

    return MDB_SUCCESS;
}


/*
 * Whether a new key link may take room: LMDB copies pages to delete
 * too, so the last pages of its map (a 64th, at least 32, at most a
 * quarter) are kept for erasures, purges and tombstones.  A full store
 * then still forgets, and that is what gives it room again.
 * MDB_MAP_FULL when only the reserve is left.
 */
static int
strm_keystore_room(strm_keystore_t *ks)
{
    int          rc;
    size_t       n;
    MDB_val      k, v;
    MDB_txn     *txn;
    uint64_t     maxpg, reserve, last, free_pages;
    MDB_stat     st;
    MDB_cursor  *cur;
    MDB_envinfo  info;

    if (mdb_env_info(ks->env, &info) != MDB_SUCCESS
        || mdb_env_stat(ks->env, &st) != MDB_SUCCESS || st.ms_psize == 0)
    {
        return MDB_SUCCESS;
    }

    maxpg = info.me_mapsize / st.ms_psize;
    reserve = maxpg / 64;
    reserve = (reserve < 32) ? 32 : reserve;
    reserve = (reserve > maxpg / 4) ? maxpg / 4 : reserve;
    last = (uint64_t) info.me_last_pgno + 1;

    if (last + reserve <= maxpg) {
        return MDB_SUCCESS;
    }

    /* near the end of the map: its free pages are room too */
    free_pages = 0;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    rc = mdb_cursor_open(txn, 0, &cur);
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (v.mv_size >= sizeof(size_t)) {
            memcpy(&n, v.mv_data, sizeof(size_t));
            free_pages += n;
        }
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    if (rc != MDB_NOTFOUND) {
        return rc;
    }

    return (last + reserve <= maxpg + free_pages) ? MDB_SUCCESS
                                                  : MDB_MAP_FULL;
}


/*
 * A record into links, its wrapped key into a slot: a free one (an
 * erased key's) or a new one at the end of the file.
 */
static int
strm_keystore_put_rec(strm_keystore_t *ks, MDB_txn *txn,
    const strm_keyrec_t *rec)
{
    int            rc;
    size_t         n;
    ssize_t        w;
    uint64_t       slot;
    MDB_val        k, v;
    MDB_cursor    *cur;
    strm_keyrec_t  r;
    unsigned char  sk[8], buf[STRM_KEYREC_MAX];
    unsigned char  data[STRM_KEYSTORE_SLOT];

    if (ks->slots == -1 || rec->wrapped_len > STRM_KEYSTORE_WRAPPED_MAX) {
        return EINVAL;
    }

    rc = mdb_cursor_open(txn, ks->free, &cur);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    if (rc == MDB_SUCCESS && k.mv_size == 8) {
        slot = strm_get_u64(k.mv_data);
        rc = mdb_cursor_del(cur, 0);

    } else if (rc == MDB_NOTFOUND) {
        k.mv_data = "slots";
        k.mv_size = 5;

        rc = mdb_get(txn, ks->meta, &k, &v);
        slot = (rc == MDB_SUCCESS && v.mv_size == 8)
               ? strm_get_u64(v.mv_data) + 1 : 1;

        /* the slot file counts in the size too */
        if (ks->max_slots && slot > ks->max_slots) {
            mdb_cursor_close(cur);
            return STRM_KEYSTORE_SLOTS_FULL;
        }

        strm_put_u64(sk, slot);
        v.mv_data = sk;
        v.mv_size = 8;

        rc = (rc == MDB_SUCCESS || rc == MDB_NOTFOUND)
             ? mdb_put(txn, ks->meta, &k, &v, 0) : rc;

    } else if (rc == MDB_SUCCESS) {
        rc = MDB_CORRUPTED;
    }

    mdb_cursor_close(cur);

    if (rc != MDB_SUCCESS) {
        return rc;
    }

    memset(data, 0, sizeof(data));
    data[0] = (unsigned char) (rec->wrapped_len >> 8);
    data[1] = (unsigned char) rec->wrapped_len;
    memcpy(data + 2, rec->wrapped, rec->wrapped_len);

    w = pwrite(ks->slots, data, sizeof(data),
               (off_t) ((slot - 1) * STRM_KEYSTORE_SLOT));
    OPENSSL_cleanse(data, sizeof(data));

    if (w != (ssize_t) sizeof(data)) {
        return (w == -1) ? errno : EIO;
    }

    r = *rec;
    r.slot = slot;
    n = strm_keyrec_encode(&r, buf);
    OPENSSL_cleanse(&r, sizeof(r));

    k.mv_data = (void *) rec->link;
    k.mv_size = STRM_UUID_LEN;
    v.mv_data = buf;
    v.mv_size = n;

    return mdb_put(txn, ks->links, &k, &v, 0);
}


/*
 * A record out of links, its key's slot overwritten with zeros (synced
 * before the transaction commits: strm_keystore_commit()) and freed.
 * MDB_NOTFOUND when the link has no record.
 */
static int
strm_keystore_del_rec(strm_keystore_t *ks, MDB_txn *txn, const char *link)
{
    int            rc;
    ssize_t        w;
    uint64_t       slot;
    MDB_val        k, v;
    unsigned char  sk[8], zeros[STRM_KEYSTORE_SLOT];

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->links, &k, &v);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    slot = 0;

    if (v.mv_size >= STRM_KEYREC_HEADER + 8
        && ((unsigned char *) v.mv_data)[0] == STRM_KEYREC_VERSION)
    {
        slot = strm_get_u64((unsigned char *) v.mv_data + v.mv_size - 8);
    }

    rc = mdb_del(txn, ks->links, &k, NULL);
    if (rc != MDB_SUCCESS || slot == 0) {
        return rc;
    }

    if (ks->slots == -1) {
        return EINVAL;
    }

    memset(zeros, 0, sizeof(zeros));

    w = pwrite(ks->slots, zeros, sizeof(zeros),
               (off_t) ((slot - 1) * STRM_KEYSTORE_SLOT));
    if (w != (ssize_t) sizeof(zeros)) {
        return (w == -1) ? errno : EIO;
    }

    ks->zeroed++;

    strm_put_u64(sk, slot);
    k.mv_data = sk;
    k.mv_size = 8;
    v.mv_data = "";
    v.mv_size = 1;

    return mdb_put(txn, ks->free, &k, &v, 0);
}


/*
 * Commits a write transaction; erased slots reach the disk first, so a
 * committed erasure is an erasure on disk too.
 */
static int
strm_keystore_commit(strm_keystore_t *ks, MDB_txn *txn)
{
    int  rc;

    if (ks->zeroed) {
        ks->zeroed = 0;

        if (fdatasync(ks->slots) == -1) {
            rc = errno;
            mdb_txn_abort(txn);
            return rc;
        }
    }

    return mdb_txn_commit(txn);
}


const char *
strm_keystore_error(strm_keystore_t *ks)
{
    if (ks->last == STRM_KEYSTORE_SLOTS_FULL) {
        return "STRM_KEYSTORE_SLOTS_FULL: no free slot left in the slot "
               "file";
    }

    return mdb_strerror(ks->last);
}


int
strm_keystore_full(strm_keystore_t *ks)
{
    return ks->last == MDB_MAP_FULL || ks->last == STRM_KEYSTORE_SLOTS_FULL;
}


int
strm_keystore_usage(strm_keystore_t *ks, uint64_t *used, uint64_t *size)
{
    int          rc;
    size_t       i;
    MDB_val      k, v;
    MDB_txn     *txn;
    MDB_stat     st;
    MDB_cursor  *cur;
    MDB_envinfo  info;
    uint64_t     pages, free_pages, slots, free_slots, psize;

    *used = 0;
    *size = ks->size;

    rc = mdb_env_info(ks->env, &info);
    if (rc == MDB_SUCCESS) {
        rc = mdb_env_stat(ks->env, &st);
    }

    if (rc != MDB_SUCCESS) {
        ks->last = rc;
        return -1;
    }

    pages = (uint64_t) info.me_last_pgno + 1;
    psize = st.ms_psize;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    /* LMDB's free pages: table 0, each value a count and page numbers */
    free_pages = 0;

    rc = mdb_cursor_open(txn, 0, &cur);

    if (rc == MDB_SUCCESS) {
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
             rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        {
            if (v.mv_size >= sizeof(size_t)) {
                memcpy(&i, v.mv_data, sizeof(size_t));
                free_pages += i;
            }
        }

        mdb_cursor_close(cur);
    }

    slots = 0;
    free_slots = 0;

    if (rc == MDB_NOTFOUND) {
        k.mv_data = "slots";
        k.mv_size = 5;

        rc = mdb_get(txn, ks->meta, &k, &v);

        if (rc == MDB_SUCCESS && v.mv_size == 8) {
            slots = strm_get_u64(v.mv_data);
        }
    }

    if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND) {
        rc = mdb_stat(txn, ks->free, &st);
        free_slots = st.ms_entries;
    }

    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS) {
        ks->last = rc;
        return -1;
    }

    if (free_pages > pages) {
        free_pages = pages;
    }

    if (free_slots > slots) {
        free_slots = slots;
    }

    *used = (pages - free_pages) * psize
            + (slots - free_slots) * STRM_KEYSTORE_SLOT;

    return 0;
}


static int
strm_keystore_fail(strm_keystore_t *ks, MDB_txn *txn, int rc)
{
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    ks->last = rc;

    return -1;
}


int
strm_keystore_lookup(strm_keystore_t *ks, const unsigned char *hmac,
    int64_t now, strm_keyrec_t *rec)
{
    int       rc, found;
    MDB_val   k, v;
    MDB_txn  *txn;

    rc = strm_keystore_read(ks, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) hmac;
    k.mv_size = STRM_KEYSTORE_HMAC_LEN;

    found = 0;
    rc = mdb_get(txn, ks->sessions, &k, &v);

    if (rc == MDB_SUCCESS && v.mv_size == STRM_UUID_LEN) {
        k = v;
        rc = mdb_get(txn, ks->links, &k, &v);

        if (rc == MDB_SUCCESS
            && strm_keyrec_decode(ks, &v, k.mv_data, k.mv_size, rec) == 0
            && rec->expires > now)
        {
            found = 1;
        }
    }

    strm_keystore_read_done(ks, txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return found;
}


int
strm_keystore_insert(strm_keystore_t *ks, const unsigned char *hmac,
    int64_t now, const strm_keyrec_t *candidate, strm_keyrec_t *rec)
{
    int       rc;
    MDB_val   k, v, lk;
    MDB_txn  *txn;

    if (candidate->wrapped_len > STRM_KEYSTORE_WRAPPED_MAX
        || strlen(candidate->link) != STRM_UUID_LEN)
    {
        return -1;
    }

    /* the map's last pages stay for erasures */
    rc = strm_keystore_room(ks);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    /* the write lock serialises the workers: check again under it */
    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) hmac;
    k.mv_size = STRM_KEYSTORE_HMAC_LEN;

    rc = mdb_get(txn, ks->sessions, &k, &lk);

    if (rc == MDB_SUCCESS && lk.mv_size == STRM_UUID_LEN) {
        rc = mdb_get(txn, ks->links, &lk, &v);

        if (rc == MDB_SUCCESS
            && strm_keyrec_decode(ks, &v, lk.mv_data, lk.mv_size, rec) == 0
            && rec->expires > now)
        {
            mdb_txn_abort(txn);
            return 0;
        }
    }

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return strm_keystore_fail(ks, txn, rc);
    }

    lk.mv_data = (void *) candidate->link;
    lk.mv_size = STRM_UUID_LEN;

    rc = strm_keystore_put_rec(ks, txn, candidate);

    if (rc == MDB_SUCCESS) {
        rc = mdb_put(txn, ks->sessions, &k, &lk, 0);
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    *rec = *candidate;

    return 1;
}


int
strm_keystore_get(strm_keystore_t *ks, const char *link, strm_keyrec_t *rec)
{
    int       rc, found;
    MDB_val   k, v;
    MDB_txn  *txn;

    if (strlen(link) != STRM_UUID_LEN) {
        return 0;
    }

    rc = strm_keystore_read(ks, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->links, &k, &v);
    found = (rc == MDB_SUCCESS
             && strm_keyrec_decode(ks, &v, link, STRM_UUID_LEN, rec) == 0);

    strm_keystore_read_done(ks, txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return found;
}


int
strm_keystore_put(strm_keystore_t *ks, const strm_keyrec_t *rec)
{
    int       rc;
    MDB_txn  *txn;

    if (rec->wrapped_len > STRM_KEYSTORE_WRAPPED_MAX
        || strlen(rec->link) != STRM_UUID_LEN)
    {
        return -1;
    }

    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    /* a record written again: its old slot is erased first */
    rc = strm_keystore_del_rec(ks, txn, rec->link);

    if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND) {
        rc = strm_keystore_put_rec(ks, txn, rec);
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);

    return rc == MDB_SUCCESS ? 0 : strm_keystore_fail(ks, NULL, rc);
}


int
strm_keystore_published(strm_keystore_t *ks, const char *link)
{
    int            rc;
    size_t         n;
    MDB_val        k, v;
    MDB_txn       *txn;
    strm_keyrec_t  rec;
    unsigned char  buf[STRM_KEYREC_MAX];

    if (strlen(link) != STRM_UUID_LEN) {
        return 0;
    }

    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->links, &k, &v);

    if (rc == MDB_NOTFOUND
        || (rc == MDB_SUCCESS
            && strm_keyrec_decode(ks, &v, link, STRM_UUID_LEN, &rec) != 0))
    {
        mdb_txn_abort(txn);
        return 0;
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    if (!rec.published) {
        rec.published = 1;
        n = strm_keyrec_encode(&rec, buf);
        v.mv_data = buf;
        v.mv_size = n;

        rc = mdb_put(txn, ks->links, &k, &v, 0);
        OPENSSL_cleanse(buf, sizeof(buf));

        if (rc != MDB_SUCCESS) {
            OPENSSL_cleanse(&rec, sizeof(rec));
            return strm_keystore_fail(ks, txn, rc);
        }
    }

    OPENSSL_cleanse(&rec, sizeof(rec));

    rc = strm_keystore_commit(ks, txn);

    return rc == MDB_SUCCESS ? 1 : strm_keystore_fail(ks, NULL, rc);
}


int
strm_keystore_shred(strm_keystore_t *ks, const char *link)
{
    int       rc;
    MDB_val   k, v;
    MDB_txn  *txn;

    if (strlen(link) != STRM_UUID_LEN) {
        return 0;
    }

    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    /* a record, or a losing candidate's index entries only */
    rc = mdb_get(txn, ks->links, &k, &v);

    if (rc == MDB_NOTFOUND) {
        rc = mdb_get(txn, ks->candidates, &k, &v);
    }

    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return 0;
    }

    /* as its tombstone would: the record and every index entry of it */
    if (rc == MDB_SUCCESS) {
        rc = strm_keystore_apply_tombstone(ks, txn, link);
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);

    return rc == MDB_SUCCESS ? 1 : strm_keystore_fail(ks, NULL, rc);
}


/*
 * Sessions pointing to link (or, with link NULL, to a key link that no
 * longer exists) are deleted: their next event gets a new key link.
 */
static int
strm_keystore_drop_sessions(strm_keystore_t *ks, MDB_txn *txn,
    const char *link)
{
    int          rc;
    MDB_val      k, v, x;
    MDB_cursor  *cur;

    rc = mdb_cursor_open(txn, ks->sessions, &cur);
    if (rc != MDB_SUCCESS) {
        return rc;
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (link != NULL) {
            if (v.mv_size != STRM_UUID_LEN
                || memcmp(v.mv_data, link, STRM_UUID_LEN) != 0)
            {
                continue;
            }

        } else if (mdb_get(txn, ks->links, &v, &x) == MDB_SUCCESS) {
            continue;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != MDB_SUCCESS) {
            break;
        }
    }

    mdb_cursor_close(cur);

    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}


int
strm_keystore_purge(strm_keystore_t *ks, int64_t before, size_t *n)
{
    return strm_keystore_purge_some(ks, before, (size_t) -1, n);
}


int
strm_keystore_purge_some(strm_keystore_t *ks, int64_t before, size_t max,
    size_t *n)
{
    int            rc;
    char          *links, *p;
    size_t         i, count, size;
    MDB_val        k, v;
    MDB_txn       *txn;
    MDB_cursor    *cur;
    MDB_stat       st;
    strm_keyrec_t  rec;

    *n = 0;

    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    rc = mdb_stat(txn, ks->links, &st);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    /* the expired key links first: removing them writes to the tables */
    size = st.ms_entries ? st.ms_entries : 1;
    size = (size < max) ? size : (max ? max : 1);
    links = malloc(size * STRM_UUID_LEN);
    if (links == NULL) {
        return strm_keystore_fail(ks, txn, ENOMEM);
    }

    rc = mdb_cursor_open(txn, ks->links, &cur);
    if (rc != MDB_SUCCESS) {
        free(links);
        return strm_keystore_fail(ks, txn, rc);
    }

    count = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS && count < size;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size == STRM_UUID_LEN
            && (strm_keyrec_decode(ks, &v, k.mv_data, k.mv_size, &rec) != 0
                || rec.expires < before))
        {
            memcpy(links + count * STRM_UUID_LEN, k.mv_data,
                   STRM_UUID_LEN);
            count++;
        }
    }

    OPENSSL_cleanse(&rec, sizeof(rec));
    mdb_cursor_close(cur);

    rc = (rc == MDB_NOTFOUND || rc == MDB_SUCCESS) ? MDB_SUCCESS : rc;

    /* each as its tombstone would: the record and its index entries */
    for (i = 0; i < count && rc == MDB_SUCCESS; i++) {
        char  link[STRM_UUID_LEN + 1];

        p = links + i * STRM_UUID_LEN;
        memcpy(link, p, STRM_UUID_LEN);
        link[STRM_UUID_LEN] = '\0';

        rc = strm_keystore_apply_tombstone(ks, txn, link);
    }

    free(links);

    if (rc == MDB_SUCCESS) {
        rc = strm_keystore_drop_sessions(ks, txn, NULL);
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    *n = count;

    return 0;
}


int
strm_keystore_each(strm_keystore_t *ks,
    int (*cb)(const strm_keyrec_t *rec, void *data), void *data)
{
    int            rc, stop;
    MDB_val        k, v;
    MDB_txn       *txn;
    MDB_cursor    *cur;
    strm_keyrec_t  rec;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    rc = mdb_cursor_open(txn, ks->links, &cur);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    stop = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (strm_keyrec_decode(ks, &v, k.mv_data, k.mv_size, &rec) == 0) {
            stop = cb(&rec, data);
        }
    }

    OPENSSL_cleanse(&rec, sizeof(rec));
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return 0;
}


int
strm_keystore_stat(strm_keystore_t *ks, size_t *links, size_t *sessions)
{
    int       rc;
    MDB_txn  *txn;
    MDB_stat  st;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    rc = mdb_stat(txn, ks->links, &st);
    *links = st.ms_entries;

    if (rc == MDB_SUCCESS) {
        rc = mdb_stat(txn, ks->sessions, &st);
        *sessions = st.ms_entries;
    }

    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS) {
        ks->last = rc;
        return -1;
    }

    return 0;
}


int
strm_keystore_secret_get(strm_keystore_t *ks, unsigned char *out,
    size_t size, size_t *len)
{
    int       rc, found;
    MDB_val   k, v;
    MDB_txn  *txn;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = "secret";
    k.mv_size = 6;

    rc = mdb_get(txn, ks->meta, &k, &v);
    found = (rc == MDB_SUCCESS && v.mv_size <= size);

    if (found) {
        memcpy(out, v.mv_data, v.mv_size);
        *len = v.mv_size;
    }

    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return found;
}


int
strm_keystore_secret_set(strm_keystore_t *ks, const unsigned char *in,
    size_t len, unsigned char *out, size_t size, size_t *out_len)
{
    int       rc;
    MDB_val   k, v;
    MDB_txn  *txn;

    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = "secret";
    k.mv_size = 6;

    rc = mdb_get(txn, ks->meta, &k, &v);

    if (rc == MDB_SUCCESS) {
        /* another process was first: its secret holds */
        if (v.mv_size > size) {
            return strm_keystore_fail(ks, txn, MDB_BAD_VALSIZE);
        }

        memcpy(out, v.mv_data, v.mv_size);
        *out_len = v.mv_size;
        mdb_txn_abort(txn);

        return 0;
    }

    if (rc != MDB_NOTFOUND || len > size) {
        return strm_keystore_fail(ks, txn, rc);
    }

    v.mv_data = (void *) in;
    v.mv_size = len;

    rc = mdb_put(txn, ks->meta, &k, &v, 0);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    memcpy(out, in, len);
    *out_len = len;

    return 1;
}

int
strm_keystore_apply(strm_keystore_t *ks, int32_t partition, int64_t offset,
    const strm_keyrec_t *rec, const char *link, int *won)
{
    int            rc;
    int64_t        last;
    MDB_val        k, v;
    MDB_txn       *txn;
    unsigned char  key[10], next[8];

    *won = 0;

    if (partition < 0 || offset < 0
        || (rec == NULL && (link == NULL || strlen(link) != STRM_UUID_LEN))
        || (rec != NULL && (rec->wrapped_len > STRM_KEYSTORE_WRAPPED_MAX
                            || strlen(rec->link) != STRM_UUID_LEN)))
    {
        return -1;
    }

    /* a new record: the map's last pages stay for erasures */
    if (rec != NULL) {
        /* applied by another process already: nothing to make room for */
        rc = strm_keystore_applied(ks, partition, &last);
        if (rc == 0 && last > offset) {
            return 0;
        }

        rc = strm_keystore_room(ks);
        if (rc != MDB_SUCCESS) {
            return strm_keystore_fail(ks, NULL, rc);
        }
    }

    /* every worker of a box applies the topic: the first one writes */
    rc = strm_keystore_begin(ks, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    strm_keystore_offset_key(key, partition);
    k.mv_data = key;
    k.mv_size = sizeof(key);

    rc = mdb_get(txn, ks->meta, &k, &v);

    if (rc == MDB_SUCCESS && v.mv_size == 8
        && (int64_t) strm_get_u64(v.mv_data) > offset)
    {
        mdb_txn_abort(txn);
        return 0;
    }

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return strm_keystore_fail(ks, txn, rc);
    }

    if (rec != NULL) {
        rc = strm_keystore_apply_rec(ks, txn, rec, won);

    } else {
        rc = strm_keystore_apply_tombstone(ks, txn, link);
    }

    if (rc == MDB_SUCCESS) {
        strm_put_u64(next, (uint64_t) offset + 1);
        v.mv_data = next;
        v.mv_size = sizeof(next);
        rc = mdb_put(txn, ks->meta, &k, &v, 0);
    }

    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    rc = strm_keystore_commit(ks, txn);

    return rc == MDB_SUCCESS ? 1 : strm_keystore_fail(ks, NULL, rc);
}


/*
 * A candidate: the first of its session and window wins and gets its
 * record; a later one is a loser, only indexed (its box withdraws it).
 * A record without a session (before the fleet) is stored as it is.
 */
static int
strm_keystore_apply_rec(strm_keystore_t *ks, MDB_txn *txn,
    const strm_keyrec_t *rec, int *won)
{
    int            rc;
    MDB_val        k, v, lk, sk;
    unsigned char  sw[STRM_KEYSTORE_SW_LEN];

    lk.mv_data = (void *) rec->link;
    lk.mv_size = STRM_UUID_LEN;

    if (rec->fleet) {
        memcpy(sw, rec->session, STRM_KEYSTORE_HMAC_LEN);
        strm_put_u64(sw + STRM_KEYSTORE_HMAC_LEN, (uint64_t) rec->window);

        k.mv_data = sw;
        k.mv_size = sizeof(sw);

        v = k;
        rc = mdb_put(txn, ks->candidates, &lk, &v, 0);

        if (rc == MDB_SUCCESS) {
            sk.mv_data = (void *) rec->session;
            sk.mv_size = STRM_KEYSTORE_HMAC_LEN;
            v = lk;
            rc = mdb_put(txn, ks->subjects, &sk, &v, MDB_NODUPDATA);

            if (rc == MDB_KEYEXIST) {
                rc = MDB_SUCCESS;
            }
        }

        if (rc != MDB_SUCCESS) {
            return rc;
        }

        rc = mdb_get(txn, ks->windows, &k, &v);

        if (rc == MDB_SUCCESS) {
            /* a loser: the session and window have their key link */
            return MDB_SUCCESS;
        }

        if (rc != MDB_NOTFOUND) {
            return rc;
        }

        v = lk;
        rc = mdb_put(txn, ks->windows, &k, &v, 0);
        if (rc != MDB_SUCCESS) {
            return rc;
        }
    }

    /*
     * the record met again (the topic read from an earlier offset): its
     * key keeps its one slot, or a tombstone would leave a copy behind
     */
    k.mv_data = (void *) rec->link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->links, &k, &v);
    if (rc != MDB_NOTFOUND) {
        return rc;
    }

    rc = strm_keystore_put_rec(ks, txn, rec);

    if (rc == MDB_SUCCESS) {
        *won = 1;
    }

    return rc;
}


/*
 * A tombstone of a key link: its record goes, and every index entry of
 * it; its session's next event in that window gets a new key link.
 */
static int
strm_keystore_apply_tombstone(strm_keystore_t *ks, MDB_txn *txn,
    const char *link)
{
    int            rc;
    MDB_val        lk, c, k, v, sk;
    unsigned char  sw[STRM_KEYSTORE_SW_LEN];

    lk.mv_data = (void *) link;
    lk.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->candidates, &lk, &c);

    if (rc == MDB_SUCCESS && c.mv_size == STRM_KEYSTORE_SW_LEN) {
        /* LMDB's pointers last until the next write: copy */
        memcpy(sw, c.mv_data, sizeof(sw));
        c.mv_data = sw;
        k = c;
        rc = mdb_get(txn, ks->windows, &k, &v);

        if (rc == MDB_SUCCESS && v.mv_size == STRM_UUID_LEN
            && memcmp(v.mv_data, link, STRM_UUID_LEN) == 0)
        {
            rc = mdb_del(txn, ks->windows, &k, NULL);
        }

        if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND) {
            sk.mv_data = c.mv_data;
            sk.mv_size = STRM_KEYSTORE_HMAC_LEN;
            v = lk;
            rc = mdb_del(txn, ks->subjects, &sk, &v);
        }

        if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND) {
            rc = mdb_del(txn, ks->candidates, &lk, NULL);
        }
    }

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return rc;
    }

    rc = strm_keystore_del_rec(ks, txn, link);

    if (rc == MDB_SUCCESS) {
        rc = strm_keystore_drop_sessions(ks, txn, link);
    }

    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}


int
strm_keystore_applied(strm_keystore_t *ks, int32_t partition, int64_t *next)
{
    int            rc;
    MDB_val        k, v;
    MDB_txn       *txn;
    unsigned char  key[10];

    *next = 0;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    strm_keystore_offset_key(key, partition);
    k.mv_data = key;
    k.mv_size = sizeof(key);

    rc = mdb_get(txn, ks->meta, &k, &v);

    if (rc == MDB_SUCCESS && v.mv_size == 8) {
        *next = (int64_t) strm_get_u64(v.mv_data);
    }

    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return 0;
}


/*
 * A winner found is remembered with the id of the store's last commit
 * then, as strm_keystore_has() remembers a link: asked again while the
 * store's last commit is still that one, the windows table is as it
 * was and the answer needs no lookup.  Any commit since (of any
 * process: a winner applied, a link shredded, forgotten or purged) and
 * a session not found take the lookup, which remembers its answer.
 */
int
strm_keystore_winner(strm_keystore_t *ks, const unsigned char *session,
    int64_t window, char *link)
{
    int                   rc, found;
    uint64_t              a;
    MDB_val               k, lk;
    MDB_txn              *txn;
    MDB_envinfo           info;
    unsigned char         sw[STRM_KEYSTORE_SW_LEN];
    strm_keystore_win_t  *m, t;

    memcpy(sw, session, STRM_KEYSTORE_HMAC_LEN);
    strm_put_u64(sw + STRM_KEYSTORE_HMAC_LEN, (uint64_t) window);

    if (ks->win == NULL) {
        ks->win = calloc(STRM_KEYSTORE_WIN_MEMO, sizeof(strm_keystore_win_t));
    }

    m = NULL;

    if (ks->win != NULL) {
        /* a session is an HMAC: any eight of its bytes are as good */
        memcpy(&a, session, 8);
        a = (a ^ ((uint64_t) window * 0x9e3779b97f4a7c15ULL))
            * 0xff51afd7ed558ccdULL;
        m = &ks->win[(a >> 32) & (STRM_KEYSTORE_WIN_MEMO - 2)];

        /* the way that has it in front */
        if (m[1].txnid != 0 && memcmp(m[1].sw, sw, sizeof(sw)) == 0) {
            t = m[0];
            m[0] = m[1];
            m[1] = t;
        }

        if (m->txnid != 0
            && memcmp(m->sw, sw, sizeof(sw)) == 0
            && mdb_env_info(ks->env, &info) == MDB_SUCCESS
            && info.me_last_txnid == m->txnid)
        {
            memcpy(link, m->link, STRM_UUID_LEN);
            link[STRM_UUID_LEN] = '\0';
            return 1;
        }

        /* another session in front goes behind */
        if (m->txnid != 0 && memcmp(m->sw, sw, sizeof(sw)) != 0) {
            m[1] = m[0];
        }
    }

    rc = strm_keystore_read(ks, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = sw;
    k.mv_size = sizeof(sw);

    rc = mdb_get(txn, ks->windows, &k, &lk);
    found = (rc == MDB_SUCCESS && lk.mv_size == STRM_UUID_LEN);

    if (found) {
        memcpy(link, lk.mv_data, STRM_UUID_LEN);
        link[STRM_UUID_LEN] = '\0';
    }

    if (m != NULL) {
        if (found) {
            m->txnid = mdb_txn_id(txn);
            memcpy(m->sw, sw, sizeof(sw));
            memcpy(m->link, link, STRM_UUID_LEN);

        } else {
            /* nothing of a forgotten winner stays behind */
            OPENSSL_cleanse(m, sizeof(strm_keystore_win_t));
        }
    }

    strm_keystore_read_done(ks, txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return found;
}


uint64_t
strm_keystore_generation(strm_keystore_t *ks)
{
    MDB_envinfo  info;

    if (mdb_env_info(ks->env, &info) != MDB_SUCCESS) {
        return 0;
    }

    return (uint64_t) info.me_last_txnid;
}


/*
 * A link found is remembered with the id of the store's last commit
 * then (LMDB's transaction id, which every commit of any process
 * raises): asked again while the store's last commit is still that one,
 * nothing can have removed it, and the answer needs no lookup.  Any
 * commit since, a link not found, and a link whose slot another took,
 * take the lookup.
 */
int
strm_keystore_has(strm_keystore_t *ks, const char *link)
{
    int                    rc;
    uint64_t               a, b;
    MDB_val                k, v;
    MDB_txn               *txn;
    MDB_envinfo            info;
    strm_keystore_memo_t  *m, t;

    if (strlen(link) != STRM_UUID_LEN) {
        return 0;
    }

    if (ks->memo == NULL) {
        ks->memo = calloc(STRM_KEYSTORE_HAS_MEMO,
                          sizeof(strm_keystore_memo_t));
    }

    m = NULL;

    if (ks->memo != NULL) {
        memcpy(&a, link, 8);
        memcpy(&b, link + STRM_UUID_LEN - 8, 8);
        a = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
        m = &ks->memo[(a >> 32) & (STRM_KEYSTORE_HAS_MEMO - 2)];

        /* the way that has it in front */
        if (memcmp(m[1].link, link, STRM_UUID_LEN) == 0) {
            t = m[0];
            m[0] = m[1];
            m[1] = t;
        }

        if (m->txnid != 0
            && memcmp(m->link, link, STRM_UUID_LEN) == 0
            && mdb_env_info(ks->env, &info) == MDB_SUCCESS
            && info.me_last_txnid == m->txnid)
        {
            return 1;
        }

        /* another link in front goes behind */
        if (memcmp(m->link, link, STRM_UUID_LEN) != 0) {
            m[1] = m[0];
        }
    }

    rc = strm_keystore_read(ks, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->links, &k, &v);

    if (m != NULL) {
        m->txnid = (rc == MDB_SUCCESS) ? mdb_txn_id(txn) : 0;
        memcpy(m->link, link, STRM_UUID_LEN);
    }

    strm_keystore_read_done(ks, txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return rc == MDB_SUCCESS;
}


int
strm_keystore_candidate(strm_keystore_t *ks, const char *link,
    unsigned char *session, int64_t *window)
{
    int       rc, found;
    MDB_val   k, v;
    MDB_txn  *txn;

    if (strlen(link) != STRM_UUID_LEN) {
        return 0;
    }

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    k.mv_data = (void *) link;
    k.mv_size = STRM_UUID_LEN;

    rc = mdb_get(txn, ks->candidates, &k, &v);
    found = (rc == MDB_SUCCESS && v.mv_size == STRM_KEYSTORE_SW_LEN);

    if (found) {
        memcpy(session, v.mv_data, STRM_KEYSTORE_HMAC_LEN);
        *window = (int64_t) strm_get_u64((unsigned char *) v.mv_data
                                         + STRM_KEYSTORE_HMAC_LEN);
    }

    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return found;
}


int
strm_keystore_subject(strm_keystore_t *ks, const unsigned char *session,
    int (*cb)(const char *link, void *data), void *data)
{
    int          rc, stop;
    char         link[STRM_UUID_LEN + 1];
    MDB_val      k, v;
    MDB_txn     *txn;
    MDB_cursor  *cur;

    rc = strm_keystore_begin(ks, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, NULL, rc);
    }

    rc = mdb_cursor_open(txn, ks->subjects, &cur);
    if (rc != MDB_SUCCESS) {
        return strm_keystore_fail(ks, txn, rc);
    }

    k.mv_data = (void *) session;
    k.mv_size = STRM_KEYSTORE_HMAC_LEN;
    stop = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
         rc == MDB_SUCCESS && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP))
    {
        if (v.mv_size != STRM_UUID_LEN) {
            continue;
        }

        memcpy(link, v.mv_data, STRM_UUID_LEN);
        link[STRM_UUID_LEN] = '\0';
        stop = cb(link, data);
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ks->last = rc;
        return -1;
    }

    return 0;
}


static void
strm_keystore_offset_key(unsigned char *key, int32_t partition)
{
    memcpy(key, "offset", 6);
    key[6] = (unsigned char) ((uint32_t) partition >> 24);
    key[7] = (unsigned char) ((uint32_t) partition >> 16);
    key[8] = (unsigned char) ((uint32_t) partition >> 8);
    key[9] = (unsigned char) partition;
}


/* the record as LMDB holds it: no key, the number of its key's slot */
static size_t
strm_keyrec_encode(const strm_keyrec_t *rec, unsigned char *buf)
{
    unsigned char  *p;

    buf[0] = STRM_KEYREC_VERSION;
    buf[1] = (unsigned char) (rec->key_id >> 24);
    buf[2] = (unsigned char) (rec->key_id >> 16);
    buf[3] = (unsigned char) (rec->key_id >> 8);
    buf[4] = (unsigned char) rec->key_id;
    strm_put_u64(buf + 5, (uint64_t) rec->created);
    strm_put_u64(buf + 13, (uint64_t) rec->expires);
    buf[21] = (unsigned char) (rec->wrapped_len >> 8);
    buf[22] = (unsigned char) rec->wrapped_len;
    buf[23] = (rec->published ? STRM_KEYREC_PUBLISHED : 0)
              | (rec->fleet ? STRM_KEYREC_FLEET : 0);
    p = buf + STRM_KEYREC_HEADER;

    if (rec->fleet) {
        strm_put_u64(p, (uint64_t) rec->window);
        memcpy(p + 8, rec->session, STRM_KEYSTORE_HMAC_LEN);
        p += STRM_KEYREC_FLEET_LEN;
    }

    strm_put_u64(p, rec->slot);

    return (size_t) (p - buf) + 8;
}


/* the record and, from its slot, its wrapped key: 0, or -1 */
static int
strm_keyrec_decode(strm_keystore_t *ks, const MDB_val *v, const char *link,
    size_t link_len, strm_keyrec_t *rec)
{
    size_t                n, extra;
    ssize_t               r;
    uint64_t              slot;
    const unsigned char  *p;
    unsigned char         data[STRM_KEYSTORE_SLOT];

    p = v->mv_data;

    if (link_len != STRM_UUID_LEN || v->mv_size < STRM_KEYREC_HEADER
        || p[0] != STRM_KEYREC_VERSION)
    {
        return -1;
    }

    n = ((size_t) p[21] << 8) | p[22];
    extra = (p[23] & STRM_KEYREC_FLEET) ? STRM_KEYREC_FLEET_LEN : 0;

    if (n > STRM_KEYSTORE_WRAPPED_MAX
        || v->mv_size != STRM_KEYREC_HEADER + extra + 8)
    {
        return -1;
    }

    slot = strm_get_u64(p + STRM_KEYREC_HEADER + extra);

    if (slot == 0 || ks->slots == -1) {
        return -1;
    }

    r = pread(ks->slots, data, sizeof(data),
              (off_t) ((slot - 1) * STRM_KEYSTORE_SLOT));

    /* a slot erased (and perhaps reused) since: no key of this link */
    if (r != (ssize_t) sizeof(data)
        || (((size_t) data[0] << 8) | data[1]) != n)
    {
        OPENSSL_cleanse(data, sizeof(data));
        return -1;
    }

    rec->fleet = (extra != 0);
    rec->window = 0;

    if (rec->fleet) {
        rec->window = (int64_t) strm_get_u64(p + STRM_KEYREC_HEADER);
        memcpy(rec->session, p + STRM_KEYREC_HEADER + 8,
               STRM_KEYSTORE_HMAC_LEN);
    }

    memcpy(rec->link, link, STRM_UUID_LEN);
    rec->link[STRM_UUID_LEN] = '\0';
    rec->key_id = ((uint32_t) p[1] << 24) | ((uint32_t) p[2] << 16)
                  | ((uint32_t) p[3] << 8) | p[4];
    rec->created = (int64_t) strm_get_u64(p + 5);
    rec->expires = (int64_t) strm_get_u64(p + 13);
    rec->wrapped_len = n;
    rec->published = (p[23] & STRM_KEYREC_PUBLISHED) != 0;
    rec->slot = slot;
    memcpy(rec->wrapped, data + 2, n);
    OPENSSL_cleanse(data, sizeof(data));

    return 0;
}


static void
strm_put_u64(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char) v;
        v >>= 8;
    }
}


static uint64_t
strm_get_u64(const unsigned char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}


int
strm_keystore_id(strm_keystore_t *ks, strm_keystore_id_t *id)
{
    int          fd;
    struct stat  st;

    memset(id, 0, sizeof(strm_keystore_id_t));

    if (mdb_env_get_fd(ks->env, &fd) != MDB_SUCCESS
        || fstat(fd, &st) == -1)
    {
        return -1;
    }

    id->dev = (uint64_t) st.st_dev;
    id->ino = (uint64_t) st.st_ino;

    if (ks->slots != -1) {
        if (fstat(ks->slots, &st) == -1) {
            return -1;
        }

        id->slots_dev = (uint64_t) st.st_dev;
        id->slots_ino = (uint64_t) st.st_ino;
    }

    return 0;
}


int
strm_keystore_check_files(strm_keystore_t *ks, char *why, size_t len)
{
    int                  i;
    char                 slots[4096];
    uint64_t             dev, ino;
    const char          *path;
    struct stat          st;
    strm_keystore_id_t   id;

    if (strm_keystore_id(ks, &id) != 0) {
        snprintf(why, len, "the open store cannot be checked");
        return 1;
    }

    snprintf(slots, sizeof(slots), "%s.slots", ks->path);

    for (i = 0; i < 2; i++) {
        if (i == 1 && ks->slots == -1) {
            break;
        }

        path = (i == 0) ? ks->path : slots;
        dev = (i == 0) ? id.dev : id.slots_dev;
        ino = (i == 0) ? id.ino : id.slots_ino;

        if (stat(path, &st) == -1) {
            snprintf(why, len, "%s: %s", path,
                     errno == ENOENT ? "deleted" : strerror(errno));
            return 1;
        }

        if ((uint64_t) st.st_dev != dev || (uint64_t) st.st_ino != ino) {
            snprintf(why, len, "%s: replaced by another file", path);
            return 1;
        }
    }

    return 0;
}
