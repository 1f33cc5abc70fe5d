
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_KEYS_H_INCLUDED_
#define _STRM_KEYS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_error.h"
#include "strm_keystore.h"
#include "strm_tink.h"


/*
 * Key links as a gateway worker (or a decrypting worker) uses them: the
 * key store, the key-encryption key (a Tink AEAD keyset) that wraps
 * every key at rest, the HMAC secret that hides key-field values, and a
 * cache of ready keysets by key link (a keyset's key setup costs more
 * than encrypting a short value).  One per process; not for threads.
 */

/* a KEK file larger than this is refused: it is read whole */
#define STRM_KEYS_KEK_MAX  65536


typedef struct strm_keys_s  strm_keys_t;


typedef struct {
    char                  link[STRM_UUID_LEN + 1];
    uint32_t              key_id;
    strm_tink_keyset_t   *daead;        /* borrowed: valid until the next
                                           call on the same strm_keys_t */
    int                   created;      /* a new key link */
    int                   publish;      /* Kafka has not acknowledged its
                                           record yet: send rec (again) */
    strm_keyrec_t         rec;          /* wrapped, never in clear */
} strm_keys_session_t;


/*
 * Opens the store (read-only for a worker that only decrypts), with the
 * KEK keyset (owned by the caller, it must outlive k).  A writable store
 * gets its HMAC secret on first use.  rotation_ms: a key link's life.
 */
strm_rc_t strm_keys_open(const char *store, size_t map_size, int read_only,
    strm_tink_keyset_t *kek, int64_t rotation_ms, size_t cache,
    strm_keys_t **out, char *err, size_t errlen);
void strm_keys_close(strm_keys_t *k);

/*
 * The key link and keyset of the session whose key-field value is
 * value, at now: the one of the current window, or a new one (then
 * s->created is 1 and s->rec is what goes to the keys topic).
 */
strm_rc_t strm_keys_session(strm_keys_t *k, const char *value, size_t len,
    int64_t now, strm_keys_session_t *s);

/*
 * The keyset of a key link, from the cache or the store:
 * STRM_E_NOT_FOUND when the store does not know it (shredded, purged,
 * not synced yet).
 */
strm_rc_t strm_keys_by_link(strm_keys_t *k, const char *link,
    strm_tink_keyset_t **daead);

/*
 * How many keysets the cache has unwrapped since the open (each a key
 * unwrapped by the KEK and its key schedule set up): a diagnostic, and
 * how the tests see the cache's hits.
 */
uint64_t strm_keys_unwrapped(const strm_keys_t *k);

/* a key record (from the store or the keys topic) made a keyset */
strm_rc_t strm_keys_unwrap(strm_tink_keyset_t *kek, const strm_keyrec_t *rec,
    strm_tink_keyset_t **daead);

strm_keystore_t *strm_keys_store(strm_keys_t *k);

/*
 * The key-encryption key from the file at path: a cleartext Tink JSON
 * keyset of AES-GCM keys, at most STRM_KEYS_KEK_MAX bytes, read whole
 * into a buffer that is wiped afterwards.  The gateway, strm-decrypt,
 * strm-export and strm-keys all read their KEK with it.  On failure
 * *kek is NULL and err says why without the path, which the caller
 * names with its directive: "cannot open: <strerror>" (the rc is
 * STRM_E_NOT_FOUND for a missing file), "not a keyset file" (not a
 * regular file, or too large), the keyset's fault, or "the
 * key-encryption key must be an AES-GCM keyset".
 */
strm_rc_t strm_keys_read_kek(const char *path, strm_tink_keyset_t **kek,
    char *err, size_t errlen);


/*
 * The fleet (DESIGN.md section 3, docs/fleet.md).  A session is the
 * HMAC-SHA256 of its key-field value under the fleet secret, which
 * every box derives from the KEK it has anyway (HKDF-SHA256 of the
 * KEK's primary key, info STRM_KEYS_FLEET_INFO); windows are aligned
 * to the epoch (window = floor(now / rotation)), so every box agrees on
 * both without talking.  A new session's candidate goes to the keys
 * topic's partition of its session; the store learns the winner from
 * the topic (strm_keystore_apply()).
 */

#define STRM_KEYS_FLEET_INFO  "strm fleet session hash v1"

strm_rc_t strm_keys_fleet_session(strm_keys_t *k, const char *value,
    size_t len, unsigned char *session);
int64_t strm_keys_window(strm_keys_t *k, int64_t now);

/*
 * A caller's memo of the last key-field value it hashed and its session
 * (the gateway keeps one per client connection: a producer sends many
 * events of one session over one connection, and the HMAC is two
 * SHA-256 blocks).  strm_keys_fleet_session_memo() answers from it when
 * it holds the same value, hashed by the same handle, and the store has
 * had no commit since (strm_keystore_generation()): an erasure's commit
 * sends the next event to the HMAC, which then replaces the memo.  The
 * memo never holds a key or a key link, only what the HMAC would give
 * again.  A value longer than STRM_KEYS_MEMO_MAX is hashed every time.
 * Zero it before its first use; strm_keys_memo_wipe() when it goes.
 */

#define STRM_KEYS_MEMO_MAX  256

typedef struct {
    uint64_t              handle;       /* strm_keys_t serial; 0: empty */
    uint64_t              generation;   /* the store's last commit then */
    size_t                len;
    unsigned char         session[STRM_KEYSTORE_HMAC_LEN];
    char                  value[STRM_KEYS_MEMO_MAX];
} strm_keys_memo_t;

/* 1 when the session came from the memo, 0 hashed; < 0 on an error */
int strm_keys_fleet_session_memo(strm_keys_t *k, strm_keys_memo_t *m,
    const char *value, size_t len, unsigned char *session);
void strm_keys_memo_wipe(strm_keys_memo_t *m);


/* a fresh candidate key link of session for window, made at now */
strm_rc_t strm_keys_candidate(strm_keys_t *k, const unsigned char *session,
    int64_t window, int64_t now, strm_keyrec_t *rec);

/*
 * The winner of session and window with its keyset (s->created and
 * s->publish are 0): STRM_OK, or STRM_E_NOT_FOUND when the topic has
 * not decided yet.
 */
strm_rc_t strm_keys_winner(strm_keys_t *k, const unsigned char *session,
    int64_t window, strm_keys_session_t *s);

/*
 * The sessions of a key-field value under the fleet secret of each key
 * of the KEK (the primary's first when it is first in the keyset): at
 * most max, 32 bytes each, into out; what a forget by value looks up.
 */
strm_rc_t strm_keys_value_sessions(strm_tink_keyset_t *kek,
    const char *value, size_t len, unsigned char *out, size_t max,
    size_t *count);

/* the keys topic's partition of a session among n partitions */
int32_t strm_keys_partition(const unsigned char *session, int32_t n);


#endif /* _STRM_KEYS_H_INCLUDED_ */
