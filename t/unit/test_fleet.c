
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The fleet's key links: two boxes with their own stores and the same
 * KEK hash a key-field value to the same session and agree on windows;
 * a store that applies the keys topic in partition order keeps the
 * first candidate of a session and window and only indexes the later
 * ones; a tombstone forgets a link and the next candidate wins; a
 * store rebuilt from a compacted topic reaches the same winners; an
 * offset is applied once; the record's JSON carries session and window;
 * a memo of the last value's session answers only while the store has
 * had no commit (an erasure's among them) and for the handle it was
 * made with.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "strm_keys.h"
#include "unit.h"


#define ROTATION  3600000LL


typedef struct {
    int32_t          partition;
    int64_t          offset;
    strm_keyrec_t   *rec;           /* NULL: a tombstone of link */
    const char      *link;
} topic_rec_t;


static int
collect_cb(const char *link, void *data)
{
    char  *all = data;

    strcat(all, link);
    strcat(all, " ");

    return 0;
}


static int
has_link(const char *all, const char *link)
{
    return strstr(all, link) != NULL;
}


static strm_keys_t *
open_box(const char *dir, const char *name, strm_tink_keyset_t *kek)
{
    char          path[256], err[256];
    strm_keys_t  *k;

    snprintf(path, sizeof(path), "%s/%s.mdb", dir, name);

    if (strm_keys_open(path, 1 << 24, 0, kek, ROTATION, 16, &k, err,
                       sizeof(err))
        != STRM_OK)
    {
        printf("open %s: %s\n", path, err);
        return NULL;
    }

    return k;
}


/* applies a topic's records in order to a store; the count applied */
static int
apply_all(strm_keystore_t *ks, topic_rec_t *t, size_t n)
{
    int     won, applied;
    size_t  i;

    applied = 0;

    for (i = 0; i < n; i++) {
        if (strm_keystore_apply(ks, t[i].partition, t[i].offset, t[i].rec,
                                t[i].link, &won)
            == 1)
        {
            applied++;
        }
    }

    return applied;
}


static void
test_sessions(strm_keys_t *a, strm_keys_t *b, strm_keys_t *c)
{
    unsigned char  sa[32], sb[32], sc[32], so[32];

    CHECK(strm_keys_fleet_session(a, "user-1", 6, sa) == STRM_OK
          && strm_keys_fleet_session(b, "user-1", 6, sb) == STRM_OK,
          "a session hash on both boxes");
    CHECK(memcmp(sa, sb, 32) == 0,
          "two boxes, two stores, one KEK: the same session");

    CHECK(strm_keys_fleet_session(a, "user-2", 6, so) == STRM_OK
          && memcmp(sa, so, 32) != 0, "another value: another session");

    CHECK(strm_keys_fleet_session(c, "user-1", 6, sc) == STRM_OK
          && memcmp(sa, sc, 32) != 0,
          "another KEK (another fleet): another session");

    CHECK(strm_keys_window(a, 0) == 0
          && strm_keys_window(a, ROTATION - 1) == 0
          && strm_keys_window(a, ROTATION) == 1
          && strm_keys_window(b, 5 * ROTATION + 17) == 5,
          "windows aligned to the epoch");

    CHECK(strm_keys_partition(sa, 1) == 0
          && strm_keys_partition(sa, 12) >= 0
          && strm_keys_partition(sa, 12) < 12
          && strm_keys_partition(sa, 12) == strm_keys_partition(sb, 12),
          "the session's partition, the same on both boxes");
}


static void
test_winner(strm_keys_t *a, strm_keys_t *b)
{
    int                  won, rc;
    char                 all[512];
    int64_t              w, next;
    strm_keyrec_t        ca, cb, cc, cd, legacy, got;
    unsigned char        s[32];
    strm_keys_session_t  sa, sb;

    (void) strm_keys_fleet_session(a, "user-7", 6, s);
    w = strm_keys_window(a, 10 * ROTATION + 5);

    CHECK(strm_keys_winner(a, s, w, &sa) == STRM_E_NOT_FOUND,
          "no winner before the topic decided");

    /* box a and box b meet the session at the same moment */
    CHECK(strm_keys_candidate(a, s, w, 10 * ROTATION + 5, &ca) == STRM_OK
          && strm_keys_candidate(b, s, w, 10 * ROTATION + 6, &cb)
             == STRM_OK, "two candidates");
    CHECK(strcmp(ca.link, cb.link) != 0, "two key links");
    CHECK(ca.fleet && ca.window == w && memcmp(ca.session, s, 32) == 0
          && ca.expires == (w + 1) * ROTATION
          && ca.created == 10 * ROTATION + 5,
          "a candidate names its session and window, expires at the "
          "window's end");

    /* the topic's order: b's candidate first, then a's */
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 40, &cb, NULL, &won)
          == 1 && won == 1, "the first candidate wins");
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 41, &ca, NULL, &won)
          == 1 && won == 0, "the second candidate loses");
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 40, &ca, NULL, &won)
          == 0 && strm_keystore_apply(strm_keys_store(a), 3, 41, &cb, NULL,
                                      &won) == 0,
          "an offset applied once only");

    CHECK(strm_keystore_apply(strm_keys_store(b), 3, 40, &cb, NULL, &won)
          == 1 && strm_keystore_apply(strm_keys_store(b), 3, 41, &ca, NULL,
                                      &won) == 1,
          "box b applies the same records");

    CHECK(strm_keys_winner(a, s, w, &sa) == STRM_OK
          && strm_keys_winner(b, s, w, &sb) == STRM_OK
          && strcmp(sa.link, cb.link) == 0 && strcmp(sb.link, cb.link) == 0,
          "both boxes: the first candidate is the key link");
    CHECK(sa.daead != NULL && sa.created == 0 && sa.publish == 0,
          "the winner's keyset, nothing to publish");

    CHECK(strm_keystore_get(strm_keys_store(a), ca.link, &got) == 0,
          "a loser has no key in the store");

    CHECK(strm_keystore_applied(strm_keys_store(a), 3, &next) == 0
          && next == 42, "next offset of the partition");
    CHECK(strm_keystore_applied(strm_keys_store(a), 4, &next) == 0
          && next == 0, "another partition: nothing applied");

    /* the next window: a new link */
    (void) strm_keys_candidate(a, s, w + 1, (w + 1) * ROTATION, &cc);
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 42, &cc, NULL, &won)
          == 1 && won == 1, "the next window's first candidate wins");

    all[0] = '\0';
    rc = strm_keystore_subject(strm_keys_store(a), s, collect_cb, all);
    CHECK(rc == 0 && has_link(all, ca.link) && has_link(all, cb.link)
          && has_link(all, cc.link), "the subject's links: every window, "
          "winners and losers");

    /* forgotten: tombstones of its links; a new candidate wins */
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 43, NULL, cb.link, &won)
          == 1 && strm_keystore_apply(strm_keys_store(a), 3, 44, NULL,
                                      ca.link, &won) == 1,
          "tombstones applied");
    CHECK(strm_keys_winner(a, s, w, &sa) == STRM_E_NOT_FOUND,
          "a forgotten link is no winner");
    CHECK(strm_keystore_get(strm_keys_store(a), cb.link, &got) == 0,
          "a forgotten link's key is gone from the store");

    all[0] = '\0';
    (void) strm_keystore_subject(strm_keys_store(a), s, collect_cb, all);
    CHECK(!has_link(all, ca.link) && !has_link(all, cb.link)
          && has_link(all, cc.link), "the index forgets them too");

    (void) strm_keys_candidate(b, s, w, 10 * ROTATION + 99, &cd);
    CHECK(strm_keystore_apply(strm_keys_store(a), 3, 45, &cd, NULL, &won)
          == 1 && won == 1 && strm_keys_winner(a, s, w, &sa) == STRM_OK
          && strcmp(sa.link, cd.link) == 0,
          "after a forget, the next candidate wins");

    /* a record from before the fleet: stored as it comes */
    (void) strm_keys_candidate(a, s, w, 10 * ROTATION, &legacy);
    legacy.fleet = 0;
    CHECK(strm_keystore_apply(strm_keys_store(a), 0, 0, &legacy, NULL, &won)
          == 1 && won == 1
          && strm_keystore_get(strm_keys_store(a), legacy.link, &got) == 1,
          "a record without a session is kept");
}


/*
 * The live topic and the same topic compacted (the withdrawn loser and
 * its tombstone gone, a forgotten link gone): a store rebuilt from
 * either reaches the winners the live stores reached.
 */
static void
test_rebuild(const char *dir, strm_tink_keyset_t *kek)
{
    strm_keys_t          *live, *re1, *re2;
    unsigned char         s1[32], s2[32];
    strm_keyrec_t         a1, b1, a2, b2, c2;
    strm_keys_session_t   x, y;

    live = open_box(dir, "live", kek);
    re1 = open_box(dir, "rebuilt-live", kek);
    re2 = open_box(dir, "rebuilt-compacted", kek);

    if (live == NULL || re1 == NULL || re2 == NULL) {
        CHECK(0, "three stores");
        return;
    }

    (void) strm_keys_fleet_session(live, "s-1", 3, s1);
    (void) strm_keys_fleet_session(live, "s-2", 3, s2);

    (void) strm_keys_candidate(live, s1, 7, 7 * ROTATION, &a1);
    (void) strm_keys_candidate(live, s1, 7, 7 * ROTATION, &b1);
    (void) strm_keys_candidate(live, s2, 7, 7 * ROTATION, &a2);
    (void) strm_keys_candidate(live, s2, 7, 7 * ROTATION, &b2);
    (void) strm_keys_candidate(live, s2, 7, 7 * ROTATION, &c2);

    {
        /*
         * s1: a1 wins, b1 loses and is withdrawn.  s2: a2 wins, b2
         * loses and its box died (never withdrawn), a2 is forgotten,
         * then c2 comes.
         */
        topic_rec_t  topic[] = {
            { 0, 0, &a1, NULL },
            { 0, 1, &b1, NULL },
            { 0, 2, &a2, NULL },
            { 0, 3, NULL, b1.link },
            { 0, 4, &b2, NULL },
            { 0, 5, NULL, a2.link },
            { 0, 6, NULL, b2.link },
            { 0, 7, &c2, NULL },
        };

        /* compaction: the last record of each key, tombstones dropped */
        topic_rec_t  compacted[] = {
            { 0, 0, &a1, NULL },
            { 0, 7, &c2, NULL },
        };

        CHECK(apply_all(strm_keys_store(live), topic, 8) == 8,
              "the live topic applied");
        CHECK(apply_all(strm_keys_store(re1), topic, 8) == 8,
              "the live topic applied by a new store");
        CHECK(apply_all(strm_keys_store(re2), compacted, 2) == 2,
              "the compacted topic applied by a new store");
    }

    CHECK(strm_keys_winner(live, s1, 7, &x) == STRM_OK
          && strcmp(x.link, a1.link) == 0, "live: s1's winner");
    CHECK(strm_keys_winner(live, s2, 7, &x) == STRM_OK
          && strcmp(x.link, c2.link) == 0,
          "live: s2's winner after the forget");

    CHECK(strm_keys_winner(re1, s1, 7, &x) == STRM_OK
          && strm_keys_winner(re2, s1, 7, &y) == STRM_OK
          && strcmp(x.link, a1.link) == 0 && strcmp(y.link, a1.link) == 0,
          "rebuilt from the topic, live or compacted: s1's winner");
    CHECK(strm_keys_winner(re1, s2, 7, &x) == STRM_OK
          && strm_keys_winner(re2, s2, 7, &y) == STRM_OK
          && strcmp(x.link, c2.link) == 0 && strcmp(y.link, c2.link) == 0,
          "rebuilt from the topic, live or compacted: s2's winner");

    strm_keys_close(live);
    strm_keys_close(re1);
    strm_keys_close(re2);
}


static void
test_json(strm_keys_t *k)
{
    char           *json, *p;
    size_t          len;
    strm_keyrec_t   rec, back;
    unsigned char   s[32];

    (void) strm_keys_fleet_session(k, "json-1", 6, s);
    (void) strm_keys_candidate(k, s, 123, 123 * ROTATION, &rec);

    json = strm_keyrec_to_json(&rec, &len);
    CHECK(json != NULL && strstr(json, "\"sessionHash\":\"") != NULL
          && strstr(json, "\"window\":123") != NULL,
          "a fleet record's JSON names session and window");

    CHECK(json != NULL && strm_keyrec_from_json(json, len, &back) == 0
          && back.fleet && back.window == 123
          && memcmp(back.session, s, 32) == 0
          && strcmp(back.link, rec.link) == 0
          && back.wrapped_len == rec.wrapped_len
          && memcmp(back.wrapped, rec.wrapped, rec.wrapped_len) == 0,
          "and reads back");

    if (json != NULL) {
        p = strstr(json, "\"window\":123");
        if (p != NULL) {
            memcpy(p, "\"wind0w\"", 8);
        }

        CHECK(strm_keyrec_from_json(json, len, &back) == -1,
              "a session without a window is refused");
        free(json);
    }

    rec.fleet = 0;
    json = strm_keyrec_to_json(&rec, &len);
    CHECK(json != NULL && strstr(json, "sessionHash") == NULL
          && strm_keyrec_from_json(json, len, &back) == 0 && !back.fleet,
          "a record without a session, as before the fleet");
    free(json);
}


/* a local shred or purge removes what a tombstone would: no stale winner */
static void
test_shred_purge(strm_keys_t *k)
{
    int                  won;
    char                 all[512];
    size_t               n;
    unsigned char        s[32];
    strm_keyrec_t        a, b, old;
    strm_keys_session_t  x;

    (void) strm_keys_fleet_session(k, "shred-1", 7, s);

    (void) strm_keys_candidate(k, s, 30, 30 * ROTATION, &a);
    (void) strm_keystore_apply(strm_keys_store(k), 1, 0, &a, NULL, &won);

    CHECK(strm_keystore_shred(strm_keys_store(k), a.link) == 1,
          "a winner shredded");
    CHECK(strm_keys_winner(k, s, 30, &x) == STRM_E_NOT_FOUND,
          "no stale winner after a shred");

    (void) strm_keys_candidate(k, s, 30, 30 * ROTATION + 1, &b);
    CHECK(strm_keystore_apply(strm_keys_store(k), 1, 1, &b, NULL, &won) == 1
          && won == 1, "the next candidate wins after a shred");

    /* an old window's link, expired long ago */
    (void) strm_keys_candidate(k, s, 2, 2 * ROTATION, &old);
    (void) strm_keystore_apply(strm_keys_store(k), 1, 2, &old, NULL, &won);

    CHECK(strm_keystore_purge(strm_keys_store(k), 10 * ROTATION, &n) == 0
          && n == 1, "purge removes the expired link");
    CHECK(strm_keys_winner(k, s, 2, &x) == STRM_E_NOT_FOUND,
          "no winner of a purged window");

    all[0] = '\0';
    (void) strm_keystore_subject(strm_keys_store(k), s, collect_cb, all);
    CHECK(!has_link(all, old.link) && !has_link(all, a.link)
          && has_link(all, b.link), "the index forgets purged and shredded "
          "links");
}


/*
 * The memo of the last value's session: the HMAC's answer every time;
 * from the memo only for the same value and handle while the store has
 * had no commit, so an erasure (here or in another process) sends the
 * next event to the HMAC and to the store, which no longer has the
 * winner.
 */
static void
test_memo(const char *dir, strm_keys_t *k, strm_keys_t *other,
    strm_tink_keyset_t *kek, strm_tink_keyset_t *other_kek)
{
    int                  won, st;
    char                 path[256], longv[STRM_KEYS_MEMO_MAX + 2];
    pid_t                pid;
    size_t               i;
    unsigned char        s1[32], s2[32], got[32], zero[sizeof(
                             strm_keys_memo_t)];
    strm_keyrec_t        a, b;
    strm_keys_t         *f1, *f2;
    strm_keystore_t     *ks;
    strm_keys_memo_t     m;
    strm_keys_session_t  x;

    memset(&m, 0, sizeof(m));
    (void) strm_keys_fleet_session(k, "memo-1", 6, s1);
    (void) strm_keys_fleet_session(k, "memo-2", 6, s2);

    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && memcmp(got, s1, 32) == 0, "memo: the first value is hashed");
    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 1
          && memcmp(got, s1, 32) == 0, "memo: the same value from the memo");
    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-2", 6, got) == 0
          && memcmp(got, s2, 32) == 0,
          "memo: another value of the same length is hashed");
    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-", 5, got) == 0
          && strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && memcmp(got, s1, 32) == 0,
          "memo: a prefix is another value; the memo holds the last one");
    CHECK(strm_keys_fleet_session_memo(other, &m, "memo-1", 6, got) == 0
          && memcmp(got, s1, 32) == 0
          && strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0,
          "memo: another handle's memo is not used");

    /* two fresh stores at the same commit, of two fleets (two KEKs) */
    f1 = open_box(dir, "memo-f1", kek);
    f2 = open_box(dir, "memo-f2", other_kek);

    if (f1 != NULL && f2 != NULL) {
        (void) strm_keys_fleet_session(f2, "memo-1", 6, s2);

        CHECK(strm_keystore_generation(strm_keys_store(f1)) != 0
              && strm_keystore_generation(strm_keys_store(f1))
                 == strm_keystore_generation(strm_keys_store(f2))
              && memcmp(s1, s2, 32) != 0,
              "memo: two stores at one commit, two sessions of a value");
        CHECK(strm_keys_fleet_session_memo(f2, &m, "memo-1", 6, got) == 0
              && memcmp(got, s2, 32) == 0
              && strm_keys_fleet_session_memo(f1, &m, "memo-1", 6, got)
                 == 0
              && memcmp(got, s1, 32) == 0,
              "memo: another fleet's session is not used");
    }

    strm_keys_close(f1);
    strm_keys_close(f2);

    /* the session's winner, then erased in this process */
    (void) strm_keys_candidate(k, s1, 40, 40 * ROTATION, &a);
    (void) strm_keystore_apply(strm_keys_store(k), 2, 0, &a, NULL, &won);

    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 1
          && strm_keys_winner(k, got, 40, &x) == STRM_OK
          && strcmp(x.link, a.link) == 0,
          "memo: a commit sends the next value to the HMAC, then the memo");

    CHECK(strm_keystore_shred(strm_keys_store(k), a.link) == 1,
          "memo: the winner shredded");
    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && memcmp(got, s1, 32) == 0
          && strm_keys_winner(k, got, 40, &x) == STRM_E_NOT_FOUND,
          "memo: after an erasure the value is hashed, no winner served");

    /* a new winner, erased by another process (strm-keys forget) */
    (void) strm_keys_candidate(k, s1, 40, 40 * ROTATION + 1, &b);
    (void) strm_keystore_apply(strm_keys_store(k), 2, 1, &b, NULL, &won);

    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 1
          && strm_keys_winner(k, got, 40, &x) == STRM_OK
          && strcmp(x.link, b.link) == 0, "memo: the next winner");

    snprintf(path, sizeof(path), "%s/box-a.mdb", dir);

    pid = fork();

    if (pid == 0) {
        if (strm_keystore_open(path, 1 << 24, 0, &ks, NULL, 0) != STRM_OK
            || strm_keystore_shred(ks, b.link) != 1)
        {
            _exit(1);
        }

        strm_keystore_close(ks);
        _exit(0);
    }

    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)
          && WEXITSTATUS(st) == 0, "memo: another process erased it");
    CHECK(strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0
          && memcmp(got, s1, 32) == 0
          && strm_keys_winner(k, got, 40, &x) == STRM_E_NOT_FOUND,
          "memo: another process's erasure is seen at the next value");

    for (i = 0; i < sizeof(longv) - 1; i++) {
        longv[i] = 'a' + i % 26;
    }

    (void) strm_keys_fleet_session(k, longv, sizeof(longv) - 1, s2);

    CHECK(strm_keys_fleet_session_memo(k, &m, longv, sizeof(longv) - 1, got)
          == 0
          && strm_keys_fleet_session_memo(k, &m, longv, sizeof(longv) - 1,
                                          got)
             == 0
          && memcmp(got, s2, 32) == 0, "memo: a long value is never kept");

    (void) strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got);
    strm_keys_memo_wipe(&m);
    memset(zero, 0, sizeof(zero));

    CHECK(memcmp(&m, zero, sizeof(m)) == 0
          && strm_keys_fleet_session_memo(k, &m, "memo-1", 6, got) == 0,
          "memo: wiped, nothing of the value left");
}


/* a value's sessions under every KEK key: a rotated KEK still finds */
static void
test_value_sessions(const char *dir, strm_tink_keyset_t *kek)
{
    size_t         n;
    strm_keys_t   *before, *after;
    unsigned char  s_before[32], s_after[32], all[4 * 32];

    before = open_box(dir, "rot-before", kek);
    if (before == NULL) {
        CHECK(0, "a store");
        return;
    }

    (void) strm_keys_fleet_session(before, "rot-1", 5, s_before);

    /* the KEK's primary key rotates: a new one is added as primary */
    (void) strm_tink_keyset_add_random(kek, NULL);

    after = open_box(dir, "rot-after", kek);
    if (after == NULL) {
        strm_keys_close(before);
        CHECK(0, "a store after the rotation");
        return;
    }

    (void) strm_keys_fleet_session(after, "rot-1", 5, s_after);

    CHECK(memcmp(s_before, s_after, 32) != 0,
          "a rotated KEK's primary hashes sessions anew");

    CHECK(strm_keys_value_sessions(kek, "rot-1", 5, all, 4, &n) == STRM_OK
          && n == 2, "one session per KEK key");
    CHECK((memcmp(all, s_before, 32) == 0 || memcmp(all + 32, s_before, 32)
           == 0)
          && (memcmp(all, s_after, 32) == 0
              || memcmp(all + 32, s_after, 32) == 0),
          "the sessions under the old and the new primary key");

    strm_keys_close(before);
    strm_keys_close(after);
}


int
main(void)
{
    char                 dir[] = "/tmp/strm-fleet-XXXXXX";
    char                 cmd[128];
    strm_keys_t         *a, *b, *c;
    strm_tink_keyset_t  *kek, *other;

    if (mkdtemp(dir) == NULL) {
        printf("mkdtemp failed\n");
        return 1;
    }

    kek = strm_tink_keyset_new(STRM_TINK_AEAD);
    other = strm_tink_keyset_new(STRM_TINK_AEAD);

    if (kek == NULL || other == NULL
        || strm_tink_keyset_add_random(kek, NULL) != STRM_OK
        || strm_tink_keyset_add_random(other, NULL) != STRM_OK)
    {
        printf("no KEK\n");
        return 1;
    }

    a = open_box(dir, "box-a", kek);
    b = open_box(dir, "box-b", kek);
    c = open_box(dir, "box-c", other);

    CHECK(a != NULL && b != NULL && c != NULL, "three stores open");

    if (a != NULL && b != NULL && c != NULL) {
        test_sessions(a, b, c);
        test_winner(a, b);
        test_json(a);
        test_shred_purge(c);
        test_memo(dir, a, b, kek, other);
    }

    test_rebuild(dir, kek);
    test_value_sessions(dir, kek);

    strm_keys_close(a);
    strm_keys_close(b);
    strm_keys_close(c);
    strm_tink_keyset_free(kek);
    strm_tink_keyset_free(other);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void) system(cmd);

    return UNIT_DONE();
}
