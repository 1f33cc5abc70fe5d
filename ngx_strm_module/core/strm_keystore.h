
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_KEYSTORE_H_INCLUDED_
#define _STRM_KEYSTORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_error.h"
#include "strm_id.h"


/*
 * The key store: one LMDB environment (a single file, mode 0600) per
 * box, shared by every nginx worker and read by the workers.  Three
 * tables:
 *
 *   sessions   HMAC-SHA256(secret, key-field value) (32 bytes)
 *              -> key link (36 characters)
 *   links      key link -> record: Tink key id, created, expires,
 *              the wrapped key (opaque here: the caller wraps it with
 *              the key-encryption key)
 *   meta       "secret" -> the HMAC secret, wrapped by the caller too
 *
 * The key-field value is never stored, only its HMAC.  The store writes
 * without fsync (MDB_NOSYNC): Kafka's keys topic is the durable copy,
 * and LMDB keeps its integrity without the sync (a crash of the machine
 * may lose the last transactions, not corrupt the file).
 *
 * Forensic erasure: LMDB is copy-on-write, so a deleted value stays in
 * a free page.  The wrapped keys therefore never enter LMDB: they lie in
 * fixed slots of a second file, "<path>.slots" (mode 0600), and LMDB
 * holds the slot's number.  Erasing a key link (tombstone, shred,
 * purge) overwrites its slot with zeros in place and syncs the file
 * before the transaction commits; the slot is then reused.  No store
 * file keeps a copy of an erased key, wrapped or not (docs/keys.md says
 * what remains out of reach: filesystem journals, SSD remapping,
 * backups taken before).
 */

#define STRM_KEYSTORE_HMAC_LEN     32
#define STRM_KEYSTORE_WRAPPED_MAX  256
#define STRM_KEYSTORE_SLOT         264      /* length (2), key, zeros */

/*
 * The store's size bounds its two files together: LMDB's map gets two
 * thirds of it, the slot file one third (STRM_KEYSTORE_SLOT bytes a key
 * link; a session costs about twice that in LMDB's tables).  A size of
 * 0 at open is the size the store was last given (meta "size"), or
 * STRM_KEYSTORE_SIZE for a store that has none.
 */
#define STRM_KEYSTORE_SIZE         ((size_t) 1 << 30)
#define STRM_KEYSTORE_SIZE_MIN     ((size_t) 128 * 1024)

/* strm_keystore_error(): no free slot within the size */
#define STRM_KEYSTORE_SLOTS_FULL   (-30500)


typedef struct strm_keystore_s  strm_keystore_t;


typedef struct {
    char                 link[STRM_UUID_LEN + 1];   /* NUL-terminated */
    uint32_t             key_id;
    int64_t              created;                   /* epoch ms */
    int64_t              expires;                   /* epoch ms */
    unsigned char        wrapped[STRM_KEYSTORE_WRAPPED_MAX];
    size_t               wrapped_len;
    int                  published;     /* Kafka has it (keys topic) */

    /* a fleet record: the session (HMAC under the fleet secret), window */
    int                  fleet;
    int64_t              window;
    unsigned char        session[STRM_KEYSTORE_HMAC_LEN];

    /* the store's: where the wrapped key lies in the slot file (0: none) */
    uint64_t             slot;
} strm_keyrec_t;


/* 1 found, 0 not found, or an error code below 0 */
typedef int strm_keystore_found_t;


/*
 * Opens (creating with mode 0600 unless read_only) the store file at
 * path.  size bounds the LMDB file and the slot file together (0: the
 * store's own, see STRM_KEYSTORE_SIZE); a writer records it.  Readers
 * left by a killed process are cleared.  A store whose slot file is
 * shorter than its slots (the slot file was lost) is emptied, to be
 * rebuilt from the keys topic.  err gets LMDB's reason on failure.
 */
strm_rc_t strm_keystore_open(const char *path, size_t map_size,
    int read_only, strm_keystore_t **out, char *err, size_t errlen);
void strm_keystore_close(strm_keystore_t *ks);

/*
 * The session's key link if it has one that has not expired at now:
 * 1 and the record in rec, 0 if none.  A read transaction only.
 */
int strm_keystore_lookup(strm_keystore_t *ks, const unsigned char *hmac,
    int64_t now, strm_keyrec_t *rec);

/*
 * Gives the session the candidate record unless it got an unexpired
 * key link meanwhile (another worker, another request): the write
 * transaction checks again.  1 when the candidate was stored, 0 when
 * the existing record was returned in rec instead, < 0 on an error.
 */
int strm_keystore_insert(strm_keystore_t *ks, const unsigned char *hmac,
    int64_t now, const strm_keyrec_t *candidate, strm_keyrec_t *rec);

/* a key link's record: 1 found, 0 not found (shredded, purged, unknown) */
int strm_keystore_get(strm_keystore_t *ks, const char *link,
    strm_keyrec_t *rec);

/*
 * Kafka acknowledged the key link's record: until then every event
 * under it sends the record again and waits for it.  1, 0 unknown.
 */
int strm_keystore_published(strm_keystore_t *ks, const char *link);

/* stores a record as it comes (strm-keys sync): 0 or < 0 */
int strm_keystore_put(strm_keystore_t *ks, const strm_keyrec_t *rec);

/*
 * Shreds a key link as its tombstone would: its record and key (its
 * slot overwritten), the sessions and index entries that point to it;
 * a losing candidate's index entries.  1 deleted, 0 unknown.
 */
int strm_keystore_shred(strm_keystore_t *ks, const char *link);

/*
 * Removes the records that expired before "before" (a purge is a
 * crypto-shred of the data they encrypted), and the sessions pointing
 * to them; *n gets their count.  0 or < 0.
 */
int strm_keystore_purge(strm_keystore_t *ks, int64_t before, size_t *n);

/* the same for at most max key links (a bounded step of a schedule) */
int strm_keystore_purge_some(strm_keystore_t *ks, int64_t before,
    size_t max, size_t *n);

/* every record in key link order; the callback returns 0 to go on */
int strm_keystore_each(strm_keystore_t *ks,
    int (*cb)(const strm_keyrec_t *rec, void *data), void *data);

/* counts: key links and sessions */
int strm_keystore_stat(strm_keystore_t *ks, size_t *links,
    size_t *sessions);

/*
 * The wrapped HMAC secret (meta table): get returns 1 and the bytes, 0
 * when there is none yet; set stores one unless one exists (the write
 * transaction checks), and returns in out the one that holds (1 when
 * it was this one, 0 when another process won).
 */
int strm_keystore_secret_get(strm_keystore_t *ks, unsigned char *out,
    size_t size, size_t *len);
int strm_keystore_secret_set(strm_keystore_t *ks, const unsigned char *in,
    size_t len, unsigned char *out, size_t size, size_t *out_len);

/*
 * The fleet (DESIGN.md section 3).  Every box of a fleet sends the
 * candidate key link of a new session and window to the keys topic, in
 * the partition of the session (strm_keys_partition()); the first
 * candidate of a session and window in that partition wins.  Every
 * store applies the topic's records in partition order with
 * strm_keystore_apply(), so every box reaches the same winner, live or
 * rebuilding from a compacted topic: compaction keeps the last record
 * of a message key, and the message key is the key link, unique per
 * candidate; a tombstone (a withdrawn loser, a forgotten link) names
 * the link.  Four more tables:
 *
 *   windows     session (32) || window (8, big-endian) -> winner link
 *   candidates  key link -> session || window, every candidate seen
 *   subjects    session -> key link (duplicates: every link, every
 *               window), what a forget by key-field value finds
 *   meta        "offset" || partition (4) -> next offset to apply
 *
 * Only winners have a record (and a key) in links.
 */

/*
 * Applies the record at offset of partition: rec, or a tombstone of
 * link when rec is NULL.  1 applied (*won: 1 when rec became its
 * session's and window's key link), 0 when that offset was applied
 * before (by another process of the box), < 0 on an error.
 */
int strm_keystore_apply(strm_keystore_t *ks, int32_t partition,
    int64_t offset, const strm_keyrec_t *rec, const char *link, int *won);

/* the next offset of partition to apply (0 when none was): 0 or < 0 */
int strm_keystore_applied(strm_keystore_t *ks, int32_t partition,
    int64_t *next);

/*
 * The winner of a session and window: 1 and its key link in link (37
 * bytes), 0 when the topic has not decided (or it was forgotten), < 0
 * on an error.  An LMDB read only: its key is the caller's to fetch,
 * when it has no keyset of that link cached.
 */
int strm_keystore_winner(strm_keystore_t *ks, const unsigned char *session,
    int64_t window, char *link);

/*
 * The id of the store's last commit (LMDB's transaction id, which every
 * commit of any process raises: a winner applied, a link shredded,
 * forgotten or purged, an offset saved), 0 when it cannot be read.
 * What a memo of something the store may change is keyed by: while the
 * id is the same, nothing was erased.
 */
uint64_t strm_keystore_generation(strm_keystore_t *ks);

/*
 * Whether the store holds a key link's record (1, 0, < 0 on an error),
 * without reading its key: what a check on every record needs.
 */
int strm_keystore_has(strm_keystore_t *ks, const char *link);

/* the session and window of a candidate key link: 1, 0 unknown, < 0 */
int strm_keystore_candidate(strm_keystore_t *ks, const char *link,
    unsigned char *session, int64_t *window);

/*
 * Every key link a session ever had (winners and losers, every
 * window): the callback returns 0 to go on.  0 or < 0.
 */
int strm_keystore_subject(strm_keystore_t *ks, const unsigned char *session,
    int (*cb)(const char *link, void *data), void *data);

/*
 * The record as it travels in the keys topic (message key: the key
 * link), compact JSON, malloc()ed:
 *
 *   {"keyLink":"...","keyId":3396989203,"created":1795436206023,
 *    "expires":1795522606023,"wrappedKey":"<base64>",
 *    "sessionHash":"<64 hex digits>","window":20779}
 *
 * sessionHash and window come with fleet records only (fleet != 0).
 *
 * The key is wrapped by the key-encryption key: never in clear.
 */
char *strm_keyrec_to_json(const strm_keyrec_t *rec, size_t *len);

/* 0, or -1 when the JSON is not such a record */
int strm_keyrec_from_json(const char *buf, size_t len, strm_keyrec_t *rec);

/* LMDB's message for the last error of this store */
const char *strm_keystore_error(strm_keystore_t *ks);

/*
 * 1 when the last error was the store being full: LMDB's MDB_MAP_FULL,
 * or no free slot in the slot file (STRM_KEYSTORE_SLOTS_FULL).
 */
int strm_keystore_full(strm_keystore_t *ks);

/*
 * The bytes in use, both files together (LMDB's pages less its free
 * ones, the slots less the free ones), and the store's size: 0, < 0.
 */
int strm_keystore_usage(strm_keystore_t *ks, uint64_t *used,
    uint64_t *size);

/* the identity of the two files (st_dev, st_ino) */
typedef struct {
    uint64_t             dev;
    uint64_t             ino;
    uint64_t             slots_dev;
    uint64_t             slots_ino;
} strm_keystore_id_t;

/* the files this store has open: 0, < 0 */
int strm_keystore_id(strm_keystore_t *ks, strm_keystore_id_t *id);

/*
 * Whether the paths still name the files this store has open: 0 yes;
 * 1 when one of them was deleted or replaced (why says which), its keys
 * then live only in the open files and are gone at the next open.
 */
int strm_keystore_check_files(strm_keystore_t *ks, char *why, size_t len);


#endif /* _STRM_KEYSTORE_H_INCLUDED_ */
