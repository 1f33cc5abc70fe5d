
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

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "strm_file.h"
#include "strm_keys.h"


#define STRM_KEYS_SECRET_LEN   32
#define STRM_KEYS_SECRET_AD    "strm-keys hmac secret"
#define STRM_KEYS_DAEAD_LEN    64


typedef struct {
    char                  link[STRM_UUID_LEN + 1];
    uint32_t              hash;         /* of link, 0: empty */
    uint32_t              key_id;
    strm_tink_keyset_t   *daead;
} strm_keys_entry_t;


struct strm_keys_s {
    strm_keystore_t      *store;
    strm_tink_keyset_t   *kek;
    int64_t               rotation;
    EVP_MAC_CTX          *hmac;         /* keyed once, re-initialised */
    EVP_MAC_CTX          *fleet;        /* under the fleet secret */
    strm_keys_entry_t    *cache;
    size_t                ncache;
    uint64_t              unwrapped;
    uint64_t              serial;       /* names it in a memo: never 0 */
};


/* the serial of the next handle opened */
static uint64_t  strm_keys_serial;


static strm_rc_t strm_keys_secret(strm_keys_t *k, char *err, size_t errlen);
static EVP_MAC_CTX *strm_keys_hmac_new(const unsigned char *key, size_t len);
static strm_rc_t strm_keys_fleet_secret(strm_tink_keyset_t *kek,
    unsigned char *out, size_t len);
static strm_rc_t strm_keys_hkdf(const strm_tink_key_info_t *info,
    unsigned char *out, size_t len);
static strm_keys_entry_t *strm_keys_slot(strm_keys_t *k, const char *link,
    uint32_t *hash);
static strm_keys_entry_t *strm_keys_hit(strm_keys_entry_t *e, uint32_t h,
    const char *link);
static strm_rc_t strm_keys_cached(strm_keys_t *k, const strm_keyrec_t *rec,
    strm_tink_keyset_t **daead);
static strm_rc_t strm_keys_new_link(strm_keys_t *k, int64_t now,
    strm_keyrec_t *rec);


strm_rc_t
strm_keys_open(const char *store, size_t map_size, int read_only,
    strm_tink_keyset_t *kek, int64_t rotation_ms, size_t cache,
    strm_keys_t **out, char *err, size_t errlen)
{
    strm_rc_t      rc;
    strm_keys_t   *k;
    unsigned char  fleet[STRM_KEYSTORE_HMAC_LEN];

    *out = NULL;

    if (strm_tink_keyset_kind(kek) != STRM_TINK_AEAD) {
        snprintf(err, errlen, "the key-encryption key must be an "
                 "AES-GCM keyset");
        return STRM_E_INTERNAL;
    }

    k = calloc(1, sizeof(strm_keys_t));
    if (k == NULL) {
        return STRM_E_NOMEM;
    }

    k->kek = kek;
    k->rotation = rotation_ms;
    k->serial = __atomic_add_fetch(&strm_keys_serial, 1, __ATOMIC_RELAXED);
    /* slots of two ways: an even number of entries, two at least */
    k->ncache = (cache < 2) ? 2 : cache + (cache & 1);

    k->cache = calloc(k->ncache, sizeof(strm_keys_entry_t));
    if (k->cache == NULL) {
        free(k);
        return STRM_E_NOMEM;
    }

    rc = strm_keystore_open(store, map_size, read_only, &k->store, err,
                            errlen);

    if (rc == STRM_OK && !read_only) {
        rc = strm_keys_secret(k, err, errlen);
    }

    if (rc == STRM_OK) {
        rc = strm_keys_fleet_secret(kek, fleet, sizeof(fleet));

        k->fleet = (rc == STRM_OK) ? strm_keys_hmac_new(fleet, sizeof(fleet))
                                   : NULL;
        OPENSSL_cleanse(fleet, sizeof(fleet));

        if (k->fleet == NULL) {
            snprintf(err, errlen, "no fleet secret from the key-encryption "
                     "key");
            rc = STRM_E_INTERNAL;
        }
    }

    if (rc != STRM_OK) {
        strm_keys_close(k);
        return rc;
    }

    *out = k;

    return STRM_OK;
}


/*
 * The HMAC secret lives in the store, wrapped by the KEK.  The first
 * process to need it makes one; a process that loses that race takes
 * the winner's.
 */
static strm_rc_t
strm_keys_secret(strm_keys_t *k, char *err, size_t errlen)
{
    int             found;
    size_t          wlen, slen, have_len;
    EVP_MAC        *mac;
    strm_rc_t       rc;
    OSSL_PARAM      params[2];
    unsigned char  *wrapped, *secret;
    unsigned char   have[STRM_KEYSTORE_WRAPPED_MAX];
    unsigned char   fresh[STRM_KEYS_SECRET_LEN];

    found = strm_keystore_secret_get(k->store, have, sizeof(have),
                                     &have_len);
    if (found < 0) {
        snprintf(err, errlen, "key store: %s",
                 strm_keystore_error(k->store));
        return STRM_E_INTERNAL;
    }

    if (found == 0) {
        if (RAND_priv_bytes_ex(NULL, fresh, sizeof(fresh), 0) != 1) {
            return STRM_E_INTERNAL;
        }

        rc = strm_tink_wrap(k->kek, (const unsigned char *) STRM_KEYS_SECRET_AD,
                            sizeof(STRM_KEYS_SECRET_AD) - 1, fresh,
                            sizeof(fresh), &wrapped, &wlen);
        OPENSSL_cleanse(fresh, sizeof(fresh));

        if (rc != STRM_OK) {
            return rc;
        }

        found = strm_keystore_secret_set(k->store, wrapped, wlen, have,
                                         sizeof(have), &have_len);
        free(wrapped);

        if (found < 0) {
            snprintf(err, errlen, "key store: %s",
                     strm_keystore_error(k->store));
            return STRM_E_INTERNAL;
        }
    }

    rc = strm_tink_unwrap(k->kek, (const unsigned char *) STRM_KEYS_SECRET_AD,
                          sizeof(STRM_KEYS_SECRET_AD) - 1, have, have_len,
                          &secret, &slen);
    if (rc != STRM_OK) {
        snprintf(err, errlen, "the key store's secret does not unwrap "
                 "with this key-encryption key");
        return rc;
    }

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    k->hmac = (mac != NULL) ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (k->hmac == NULL
        || EVP_MAC_init(k->hmac, secret, slen, params) != 1)
    {
        strm_tink_secret_free(secret, slen);
        return STRM_E_INTERNAL;
    }

    strm_tink_secret_free(secret, slen);

    return STRM_OK;
}


void
strm_keys_close(strm_keys_t *k)
{
    size_t  i;

    if (k == NULL) {
        return;
    }

    for (i = 0; i < k->ncache; i++) {
        strm_tink_keyset_free(k->cache[i].daead);
    }

    free(k->cache);
    EVP_MAC_CTX_free(k->hmac);
    EVP_MAC_CTX_free(k->fleet);
    strm_keystore_close(k->store);
    free(k);
}


uint64_t
strm_keys_unwrapped(const strm_keys_t *k)
{
    return k->unwrapped;
}


strm_keystore_t *
strm_keys_store(strm_keys_t *k)
{
    return k->store;
}


strm_rc_t
strm_keys_session(strm_keys_t *k, const char *value, size_t len,
    int64_t now, strm_keys_session_t *s)
{
    int            n;
    size_t         hlen;
    strm_rc_t      rc;
    strm_keyrec_t  cand;
    unsigned char  h[STRM_KEYSTORE_HMAC_LEN];

    if (k->hmac == NULL) {
        return STRM_E_INTERNAL;
    }

    /* NULL key: the key set at open time is used again */
    if (EVP_MAC_init(k->hmac, NULL, 0, NULL) != 1
        || EVP_MAC_update(k->hmac, (const unsigned char *) value, len) != 1
        || EVP_MAC_final(k->hmac, h, &hlen, sizeof(h)) != 1
        || hlen != sizeof(h))
    {
        return STRM_E_INTERNAL;
    }

    s->created = 0;

    n = strm_keystore_lookup(k->store, h, now, &s->rec);

    if (n == 0) {
        rc = strm_keys_new_link(k, now, &cand);
        if (rc != STRM_OK) {
            return rc;
        }

        n = strm_keystore_insert(k->store, h, now, &cand, &s->rec);
        OPENSSL_cleanse(&cand, sizeof(cand));

        s->created = (n == 1);
    }

    if (n < 0) {
        return STRM_E_INTERNAL;
    }

    memcpy(s->link, s->rec.link, sizeof(s->link));
    s->key_id = s->rec.key_id;
    s->publish = !s->rec.published;

    return strm_keys_cached(k, &s->rec, &s->daead);
}


/* a fresh key, wrapped by the KEK with the key link as associated data */
static strm_rc_t
strm_keys_new_link(strm_keys_t *k, int64_t now, strm_keyrec_t *rec)
{
    size_t                wlen;
    uint32_t              id;
    strm_rc_t             rc;
    unsigned char        *wrapped;
    strm_tink_keyset_t   *ks;
    strm_tink_key_info_t  info;

    memset(rec, 0, sizeof(strm_keyrec_t));

    /* published: 0, until Kafka acknowledges the record */
    rc = strm_uuid4(rec->link);
    if (rc != STRM_OK) {
        return rc;
    }

    rec->link[STRM_UUID_LEN] = '\0';

    ks = strm_tink_keyset_new(STRM_TINK_DAEAD);
    if (ks == NULL) {
        return STRM_E_NOMEM;
    }

    rc = strm_tink_keyset_add_random(ks, &id);

    if (rc == STRM_OK) {
        rc = strm_tink_keyset_key(ks, 0, &info);
    }

    if (rc == STRM_OK) {
        rc = strm_tink_wrap(k->kek, (const unsigned char *) rec->link,
                            STRM_UUID_LEN, info.key, info.key_len,
                            &wrapped, &wlen);
    }

    strm_tink_keyset_free(ks);

    if (rc != STRM_OK) {
        return rc;
    }

    if (wlen > STRM_KEYSTORE_WRAPPED_MAX) {
        free(wrapped);
        return STRM_E_INTERNAL;
    }

    memcpy(rec->wrapped, wrapped, wlen);
    rec->wrapped_len = wlen;
    free(wrapped);

    rec->key_id = id;
    rec->created = now;
    rec->expires = now + k->rotation;

    return STRM_OK;
}


strm_rc_t
strm_keys_by_link(strm_keys_t *k, const char *link,
    strm_tink_keyset_t **daead)
{
    int                 n;
    uint32_t            h;
    strm_rc_t           rc;
    strm_keyrec_t       rec;
    strm_keys_entry_t  *e;

    e = strm_keys_slot(k, link, &h);
    e = strm_keys_hit(e, h, link);

    if (e != NULL) {
        *daead = e->daead;
        return STRM_OK;
    }

    n = strm_keystore_get(k->store, link, &rec);

    if (n <= 0) {
        return n == 0 ? STRM_E_NOT_FOUND : STRM_E_INTERNAL;
    }

    rc = strm_keys_cached(k, &rec, daead);
    OPENSSL_cleanse(&rec, sizeof(rec));

    return rc;
}


strm_rc_t
strm_keys_unwrap(strm_tink_keyset_t *kek, const strm_keyrec_t *rec,
    strm_tink_keyset_t **daead)
{
    size_t               len;
    strm_rc_t            rc;
    unsigned char       *key;
    strm_tink_keyset_t  *ks;

    rc = strm_tink_unwrap(kek, (const unsigned char *) rec->link,
                          STRM_UUID_LEN, rec->wrapped, rec->wrapped_len,
                          &key, &len);
    if (rc != STRM_OK) {
        return rc;
    }

    ks = strm_tink_keyset_new(STRM_TINK_DAEAD);

    rc = (ks == NULL) ? STRM_E_NOMEM
         : strm_tink_keyset_add(ks, rec->key_id, STRM_TINK_ENABLED,
                                STRM_TINK_TINK, key, len, 1);

    strm_tink_secret_free(key, len);

    if (rc != STRM_OK) {
        strm_tink_keyset_free(ks);
        return rc;
    }

    *daead = ks;

    return STRM_OK;
}


/*
 * The cache: slots of two ways, the more recently used first.  A link
 * is looked for in its slot's two ways; a hit moves it to the front, a
 * miss takes the back way, whose keyset goes (strm_tink_keyset_free()
 * wipes its key).  With two ways, the bench's 1000 links in 32768 slots
 * no longer push each other out (direct-mapped, 1 in 60 of them shared
 * a slot and took turns unwrapping); three in one slot are rare.
 */
static strm_keys_entry_t *
strm_keys_slot(strm_keys_t *k, const char *link, uint32_t *hash)
{
    size_t    i;
    uint32_t  h;
    uint64_t  w, x;

    if (strnlen(link, STRM_UUID_LEN) == STRM_UUID_LEN) {
        /* a UUID eight bytes at a time, the last eight overlapping */
        x = 0;

        for (i = 0; i < STRM_UUID_LEN - 8; i += 8) {
            memcpy(&w, link + i, 8);
            x = (x ^ w) * 0x9e3779b97f4a7c15ULL;
        }

        memcpy(&w, link + STRM_UUID_LEN - 8, 8);
        x = (x ^ w) * 0xff51afd7ed558ccdULL;
        h = (uint32_t) (x >> 32);

    } else {
        h = 2166136261u;

        for (i = 0; i < STRM_UUID_LEN && link[i]; i++) {
            h = (h ^ (unsigned char) link[i]) * 16777619u;
        }
    }

    /* 0 marks an empty way */
    h |= 1;
    *hash = h;

    return &k->cache[(h >> 1) % (k->ncache / 2) * 2];
}


/* the link's entry when the slot has it, moved to the front way */
static strm_keys_entry_t *
strm_keys_hit(strm_keys_entry_t *e, uint32_t h, const char *link)
{
    strm_keys_entry_t  t;

    if (e[0].hash == h && strcmp(e[0].link, link) == 0) {
        return &e[0];
    }

    if (e[1].hash == h && strcmp(e[1].link, link) == 0) {
        t = e[0];
        e[0] = e[1];
        e[1] = t;

        return &e[0];
    }

    return NULL;
}


static strm_rc_t
strm_keys_cached(strm_keys_t *k, const strm_keyrec_t *rec,
    strm_tink_keyset_t **daead)
{
    uint32_t             h;
    strm_rc_t            rc;
    strm_keys_entry_t   *e, *hit;
    strm_tink_keyset_t  *ks;

    e = strm_keys_slot(k, rec->link, &h);
    hit = strm_keys_hit(e, h, rec->link);

    if (hit != NULL) {
        *daead = hit->daead;
        return STRM_OK;
    }

    rc = strm_keys_unwrap(k->kek, rec, &ks);
    if (rc != STRM_OK) {
        return rc;
    }

    k->unwrapped++;

    /* the back way's keyset goes, the front one moves back */
    strm_tink_keyset_free(e[1].daead);

    e[1] = e[0];

    memcpy(e[0].link, rec->link, sizeof(e[0].link));
    e[0].link[STRM_UUID_LEN] = '\0';
    e[0].hash = h;
    e[0].key_id = rec->key_id;
    e[0].daead = ks;

    *daead = ks;

    return STRM_OK;
}


/*
 * The fleet secret: HKDF-SHA256 of the KEK's primary key.  Every box of
 * a fleet holds the KEK, and only those boxes: the secret has the same
 * holders without another file to hand out.
 */
static strm_rc_t
strm_keys_fleet_secret(strm_tink_keyset_t *kek, unsigned char *out,
    size_t len)
{
    size_t                 i, n;
    uint32_t               primary;
    strm_tink_key_info_t   info;

    primary = strm_tink_keyset_primary(kek);
    n = strm_tink_keyset_size(kek);

    for (i = 0; i < n; i++) {
        if (strm_tink_keyset_key(kek, i, &info) == STRM_OK
            && info.id == primary && info.key != NULL)
        {
            return strm_keys_hkdf(&info, out, len);
        }
    }

    return STRM_E_NOT_FOUND;
}


/* HKDF-SHA256 of one KEK key, info STRM_KEYS_FLEET_INFO */
static strm_rc_t
strm_keys_hkdf(const strm_tink_key_info_t *info, unsigned char *out,
    size_t len)
{
    int           ok;
    EVP_KDF      *kdf;
    OSSL_PARAM    params[4];
    EVP_KDF_CTX  *kctx;

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    kctx = (kdf != NULL) ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);

    if (kctx == NULL) {
        return STRM_E_INTERNAL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 "SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  (void *) info->key,
                                                  info->key_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  STRM_KEYS_FLEET_INFO,
                                                  sizeof(STRM_KEYS_FLEET_INFO)
                                                  - 1);
    params[3] = OSSL_PARAM_construct_end();

    ok = EVP_KDF_derive(kctx, out, len, params);
    EVP_KDF_CTX_free(kctx);

    return ok == 1 ? STRM_OK : STRM_E_INTERNAL;
}


/*
 * A value's session under the fleet secret of every key of the KEK:
 * a forget finds the links made before the KEK's primary key rotated.
 */
strm_rc_t
strm_keys_value_sessions(strm_tink_keyset_t *kek, const char *value,
    size_t len, unsigned char *out, size_t max, size_t *count)
{
    size_t                 i, n, hlen;
    strm_rc_t              rc;
    EVP_MAC_CTX           *mac;
    strm_tink_key_info_t   info;
    unsigned char          secret[STRM_KEYSTORE_HMAC_LEN];

    *count = 0;
    n = strm_tink_keyset_size(kek);

    for (i = 0; i < n && *count < max; i++) {
        if (strm_tink_keyset_key(kek, i, &info) != STRM_OK
            || info.key == NULL)
        {
            continue;
        }

        rc = strm_keys_hkdf(&info, secret, sizeof(secret));
        mac = (rc == STRM_OK) ? strm_keys_hmac_new(secret, sizeof(secret))
                              : NULL;
        OPENSSL_cleanse(secret, sizeof(secret));

        if (mac == NULL) {
            return STRM_E_INTERNAL;
        }

        rc = (EVP_MAC_update(mac, (const unsigned char *) value, len) == 1
              && EVP_MAC_final(mac, out + *count * STRM_KEYSTORE_HMAC_LEN,
                               &hlen, STRM_KEYSTORE_HMAC_LEN) == 1
              && hlen == STRM_KEYSTORE_HMAC_LEN)
             ? STRM_OK : STRM_E_INTERNAL;

        EVP_MAC_CTX_free(mac);

        if (rc != STRM_OK) {
            return rc;
        }

        (*count)++;
    }

    return STRM_OK;
}


static EVP_MAC_CTX *
strm_keys_hmac_new(const unsigned char *key, size_t len)
{
    EVP_MAC      *mac;
    OSSL_PARAM    params[2];
    EVP_MAC_CTX  *ctx;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ctx = (mac != NULL) ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);

    if (ctx == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key, len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }

    return ctx;
}


strm_rc_t
strm_keys_fleet_session(strm_keys_t *k, const char *value, size_t len,
    unsigned char *session)
{
    size_t  n;

    /* NULL key: the key set at open time is used again */
    if (k->fleet == NULL
        || EVP_MAC_init(k->fleet, NULL, 0, NULL) != 1
        || EVP_MAC_update(k->fleet, (const unsigned char *) value, len) != 1
        || EVP_MAC_final(k->fleet, session, &n, STRM_KEYSTORE_HMAC_LEN) != 1
        || n != STRM_KEYSTORE_HMAC_LEN)
    {
        return STRM_E_INTERNAL;
    }

    return STRM_OK;
}


/*
 * The session from the memo, or hashed and memoised.  The value is a
 * data subject's, not a credential, and the memo is one connection's;
 * compared in constant time all the same (CRYPTO_memcmp), as long as
 * the value it holds: only whether the lengths are equal shows.
 */
int
strm_keys_fleet_session_memo(strm_keys_t *k, strm_keys_memo_t *m,
    const char *value, size_t len, unsigned char *session)
{
    uint64_t  gen;

    gen = strm_keystore_generation(k->store);

    if (m->handle == k->serial
        && m->len == len
        && gen != 0
        && m->generation == gen
        && CRYPTO_memcmp(m->value, value, len) == 0)
    {
        memcpy(session, m->session, STRM_KEYSTORE_HMAC_LEN);
        return 1;
    }

    if (strm_keys_fleet_session(k, value, len, session) != STRM_OK) {
        strm_keys_memo_wipe(m);
        return -1;
    }

    if (len > STRM_KEYS_MEMO_MAX || gen == 0) {
        strm_keys_memo_wipe(m);
        return 0;
    }

    /* the previous value goes whole: a shorter one leaves no tail */
    OPENSSL_cleanse(m->value, m->len);
    memcpy(m->value, value, len);
    memcpy(m->session, session, STRM_KEYSTORE_HMAC_LEN);
    m->len = len;
    m->generation = gen;
    m->handle = k->serial;

    return 0;
}


void
strm_keys_memo_wipe(strm_keys_memo_t *m)
{
    OPENSSL_cleanse(m, sizeof(strm_keys_memo_t));
}


int64_t
strm_keys_window(strm_keys_t *k, int64_t now)
{
    return (now >= 0) ? now / k->rotation : 0;
}


strm_rc_t
strm_keys_candidate(strm_keys_t *k, const unsigned char *session,
    int64_t window, int64_t now, strm_keyrec_t *rec)
{
    strm_rc_t  rc;

    rc = strm_keys_new_link(k, now, rec);
    if (rc != STRM_OK) {
        return rc;
    }

    /* the window's end, the same on every box */
    rec->expires = (window + 1) * k->rotation;
    rec->fleet = 1;
    rec->window = window;
    memcpy(rec->session, session, STRM_KEYSTORE_HMAC_LEN);

    return STRM_OK;
}


strm_rc_t
strm_keys_winner(strm_keys_t *k, const unsigned char *session,
    int64_t window, strm_keys_session_t *s)
{
    int                 n;
    uint32_t            h;
    strm_rc_t           rc;
    strm_keys_entry_t  *e;

    n = strm_keystore_winner(k->store, session, window, s->link);

    if (n <= 0) {
        return (n == 0) ? STRM_E_NOT_FOUND : STRM_E_INTERNAL;
    }

    s->created = 0;
    s->publish = 0;

    /* a known session's keyset is cached: its key is not read again */
    e = strm_keys_slot(k, s->link, &h);
    e = strm_keys_hit(e, h, s->link);

    if (e != NULL) {
        s->key_id = e->key_id;
        s->daead = e->daead;
        return STRM_OK;
    }

    n = strm_keystore_get(k->store, s->link, &s->rec);

    if (n <= 0) {
        return (n == 0) ? STRM_E_NOT_FOUND : STRM_E_INTERNAL;
    }

    s->key_id = s->rec.key_id;
    rc = strm_keys_cached(k, &s->rec, &s->daead);
    OPENSSL_cleanse(&s->rec, sizeof(s->rec));

    return rc;
}


int32_t
strm_keys_partition(const unsigned char *session, int32_t n)
{
    uint32_t  h;

    if (n <= 0) {
        return 0;
    }

    /* the session is an HMAC: its first bytes are uniform already */
    h = ((uint32_t) session[0] << 24) | ((uint32_t) session[1] << 16)
        | ((uint32_t) session[2] << 8) | session[3];

    return (int32_t) (h % (uint32_t) n);
}


strm_rc_t
strm_keys_read_kek(const char *path, strm_tink_keyset_t **kek, char *err,
    size_t errlen)
{
    char       *buf;
    size_t      n;
    strm_rc_t   rc;

    *kek = NULL;

    rc = strm_file_read(path, STRM_KEYS_KEK_MAX, &buf, &n, err, errlen);

    if (rc == STRM_E_BAD_REQUEST) {
        snprintf(err, errlen, "not a keyset file");
    }

    if (rc != STRM_OK) {
        return rc;
    }

    err[0] = '\0';
    rc = strm_tink_keyset_read_json(buf, n, kek, err, errlen);

    /* the file holds the key-encryption key in clear */
    OPENSSL_cleanse(buf, n + 1);
    free(buf);

    if (rc != STRM_OK) {
        *kek = NULL;

        /* a JSON parser's detail may quote the file: the key, in clear */
        if (err[0] == '\0' || strncmp(err, "invalid JSON", 12) == 0) {
            snprintf(err, errlen, "not a Tink JSON keyset");
        }

        return rc;
    }

    if (strm_tink_keyset_kind(*kek) != STRM_TINK_AEAD) {
        strm_tink_keyset_free(*kek);
        *kek = NULL;
        snprintf(err, errlen,
                 "the key-encryption key must be an AES-GCM keyset");
        return STRM_E_BAD_REQUEST;
    }

    return STRM_OK;
}
