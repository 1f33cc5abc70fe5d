
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The LMDB key store: a session's key link is found again within its
 * window and replaced after it; two processes racing for a new session
 * end with one key link; shred and purge remove records and the
 * sessions pointing to them; the file is 0600; a read-only store reads.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strm_keystore.h"
#include "unit.h"


static void
make_rec(strm_keyrec_t *rec, uint32_t key_id, int64_t created,
    int64_t expires)
{
    memset(rec, 0, sizeof(strm_keyrec_t));
    (void) strm_uuid4(rec->link);
    rec->link[STRM_UUID_LEN] = '\0';
    rec->key_id = key_id;
    rec->created = created;
    rec->expires = expires;
    rec->wrapped_len = 90;
    memset(rec->wrapped, (int) (key_id & 0xff), rec->wrapped_len);
}


static void
make_hmac(unsigned char *h, int n)
{
    memset(h, 0, STRM_KEYSTORE_HMAC_LEN);
    h[0] = (unsigned char) n;
    h[31] = 0x5a;
}


static int
count_cb(const strm_keyrec_t *rec, void *data)
{
    (void) rec;
    (*(size_t *) data)++;

    return 0;
}


/* child processes insert candidates for one session at the same time */
static void
race(const char *path, const unsigned char *hmac, int procs)
{
    int               i, n, fds[2];
    char              links[8][STRM_UUID_LEN + 1];
    pid_t             pid;
    strm_keyrec_t     cand, got;
    strm_keystore_t  *ks;

    if (pipe(fds) == -1) {
        CHECK(0, "pipe");
        return;
    }

    for (i = 0; i < procs; i++) {
        pid = fork();

        if (pid == 0) {
            close(fds[0]);

            if (strm_keystore_open(path, 1 << 24, 0, &ks, NULL, 0)
                != STRM_OK)
            {
                _exit(1);
            }

            make_rec(&cand, 100 + i, 1000, 1000 + 86400000);
            usleep(1000 * (i % 3));

            if (strm_keystore_insert(ks, hmac, 2000, &cand, &got) < 0
                || write(fds[1], got.link, STRM_UUID_LEN) != STRM_UUID_LEN)
            {
                _exit(1);
            }

            strm_keystore_close(ks);
            _exit(0);
        }
    }

    close(fds[1]);

    for (i = 0; i < procs; i++) {
        n = (int) read(fds[0], links[i], STRM_UUID_LEN);
        links[i][n > 0 ? n : 0] = '\0';
    }

    close(fds[0]);

    for (i = 0; i < procs; i++) {
        int  st;

        (void) wait(&st);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "race: child ok");
    }

    for (i = 1; i < procs; i++) {
        CHECK(strcmp(links[i], links[0]) == 0,
              "race: every process got the same key link");
    }
}


/* a fleet record of session n, window 1 */
static void
make_fleet(strm_keyrec_t *rec, uint32_t n)
{
    make_rec(rec, n, 1000, 2000000000000LL);
    rec->fleet = 1;
    rec->window = 1;
    memset(rec->session, 0, STRM_KEYSTORE_HMAC_LEN);
    memcpy(rec->session, &n, sizeof(n));
    rec->session[31] = 0xa5;
}


/*
 * strm_keys_store_size: a small store fills up (LMDB's map or the slot
 * file, whichever first) with an error that says it is full, its usage
 * approaches its size, it remembers its size, and it is emptied when
 * its slot file is lost; a deleted or replaced file is detected.
 */
static void
small_store(const char *file)
{
    int                 won, rc;
    char                err[256], why[256], slots[128];
    uint32_t            n;
    uint64_t            used, size;
    int64_t             next;
    strm_keyrec_t       rec, first;
    strm_keystore_t    *ks;
    strm_keystore_id_t  id;

    CHECK(strm_keystore_open(file, 1024 * 1024, 0, &ks, err, sizeof(err))
          == STRM_OK, "a 1m store opens");

    if (ks == NULL) {
        return;
    }

    CHECK(strm_keystore_usage(ks, &used, &size) == 0 && size == 1024 * 1024
          && used > 0 && used < size / 4, "an empty store uses little");

    make_fleet(&first, 0);
    rc = 1;

    for (n = 0; n < 100000 && rc == 1; n++) {
        if (n == 0) {
            rec = first;
        } else {
            make_fleet(&rec, n);
        }

        rc = strm_keystore_apply(ks, 0, n, &rec, NULL, &won);
    }

    CHECK(rc < 0 && strm_keystore_full(ks), "the store fills up");
    CHECK(n > 500 && n < 2000, "after about a thousand sessions");

    CHECK(strm_keystore_usage(ks, &used, &size) == 0 && size == 1024 * 1024
          && used > size / 4 && used <= size,
          "a full store's usage is a good part of its size");
    CHECK(strm_keystore_get(ks, first.link, &rec) == 1,
          "a full store still reads");
    CHECK(strm_keystore_apply(ks, 0, 0, &first, NULL, &won) == 0,
          "an offset applied before is no error when full");
    make_fleet(&rec, 1);
    CHECK(strm_keystore_shred(ks, rec.link) == 0
          && strm_keystore_apply(ks, 0, n, NULL, first.link, &won) == 1
          && strm_keystore_get(ks, first.link, &rec) == 0,
          "a full store still erases (a tombstone): its last pages are "
          "kept for it");
    CHECK(strm_keystore_check_files(ks, why, sizeof(why)) == 0,
          "its files are the ones at its path");
    CHECK(strm_keystore_id(ks, &id) == 0 && id.ino != 0
          && id.slots_ino != 0, "their identity");

    strm_keystore_close(ks);

    CHECK(strm_keystore_open(file, 0, 0, &ks, err, sizeof(err)) == STRM_OK
          && strm_keystore_usage(ks, &used, &size) == 0
          && size == 1024 * 1024, "size 0: the store's own size");

    if (ks == NULL) {
        return;
    }

    strm_keystore_close(ks);

    CHECK(strm_keystore_open(file, 4096 * 1024, 0, &ks, err, sizeof(err))
          == STRM_OK, "reopened larger");

    if (ks == NULL) {
        return;
    }

    make_fleet(&rec, 200000);
    CHECK(strm_keystore_apply(ks, 0, n + 1, &rec, NULL, &won) == 1 && won,
          "a larger size takes new sessions again");

    snprintf(slots, sizeof(slots), "%s.slots", file);
    unlink(slots);

    CHECK(strm_keystore_check_files(ks, why, sizeof(why)) == 1
          && strstr(why, "slots: deleted") != NULL,
          "a deleted slot file is detected");

    strm_keystore_close(ks);

    CHECK(strm_keystore_open(file, 0, 0, &ks, err, sizeof(err)) == STRM_OK,
          "a store whose slot file was lost opens");

    if (ks == NULL) {
        return;
    }

    CHECK(strm_keystore_get(ks, first.link, &rec) == 0
          && strm_keystore_applied(ks, 0, &next) == 0 && next == 0,
          "emptied: no record, no offset (rebuilt from the keys topic)");
    CHECK(strm_keystore_apply(ks, 0, 0, &first, NULL, &won) == 1 && won
          && strm_keystore_get(ks, first.link, &rec) == 1,
          "and rebuilt, the same winner");

    unlink(file);

    CHECK(strm_keystore_check_files(ks, why, sizeof(why)) == 1
          && strstr(why, "small.mdb: deleted") != NULL,
          "a deleted LMDB file is detected");

    strm_keystore_close(ks);
}


/* a store grown by another process is read at its new size */
static void
grown_store(const char *file)
{
    int               won, rc;
    char              err[256];
    uint32_t          n;
    strm_keyrec_t     rec, got;
    strm_keystore_t  *a, *b;

    CHECK(strm_keystore_open(file, 1024 * 1024, 0, &a, err, sizeof(err))
          == STRM_OK
          && strm_keystore_open(file, 8192 * 1024, 0, &b, err, sizeof(err))
             == STRM_OK, "two processes, 1m and 8m");

    if (a == NULL || b == NULL) {
        return;
    }

    /* a has read before the map grows: its kept read handle must cope */
    CHECK(strm_keystore_get(a, "00000000-0000-4000-8000-000000000000",
                            &got) == 0, "the 1m one reads before");

    rc = 1;

    for (n = 0; n < 3000 && rc == 1; n++) {
        make_fleet(&rec, n);
        rc = strm_keystore_apply(b, 0, n, &rec, NULL, &won);
    }

    CHECK(rc == 1, "the 8m one writes more than 1m holds");
    CHECK(strm_keystore_get(a, rec.link, &got) == 1,
          "the 1m one reads it (it takes the grown map)");

    strm_keystore_close(a);
    strm_keystore_close(b);
}


/*
 * A store handle keeps its read transaction between lookups (reset,
 * then renewed): each lookup still sees what was committed since, by
 * another process and by this one.
 */
static void
other_writer(const char *file)
{
    int               st, won;
    char              link[STRM_UUID_LEN + 1];
    pid_t             pid;
    strm_keyrec_t     f, g, n, cand, got;
    unsigned char     h[32];
    strm_keystore_t  *ks, *other;

    if (strm_keystore_open(file, 1 << 24, 0, &ks, NULL, 0) != STRM_OK) {
        CHECK(0, "other writer: open");
        return;
    }

    make_fleet(&f, 77);
    make_fleet(&g, 78);
    make_hmac(h, 9);
    make_rec(&cand, 9, 1000, 1000 + 86400000);

    CHECK(strm_keystore_winner(ks, f.session, 1, link) == 0
          && strm_keystore_has(ks, f.link) == 0
          && strm_keystore_get(ks, f.link, &got) == 0
          && strm_keystore_lookup(ks, h, 2000, &got) == 0,
          "other writer: nothing yet");

    pid = fork();

    if (pid == 0) {
        if (strm_keystore_open(file, 1 << 24, 0, &other, NULL, 0)
            != STRM_OK
            || strm_keystore_apply(other, 0, 0, &f, NULL, &won) != 1
            || won != 1
            || strm_keystore_insert(other, h, 2000, &cand, &got) != 1)
        {
            _exit(1);
        }

        strm_keystore_close(other);
        _exit(0);
    }

    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)
          && WEXITSTATUS(st) == 0, "other writer: the other process wrote");

    CHECK(strm_keystore_winner(ks, f.session, 1, link) == 1
          && strcmp(link, f.link) == 0,
          "other writer: its winner is seen");
    CHECK(strm_keystore_has(ks, f.link) == 1
          && strm_keystore_get(ks, f.link, &got) == 1 && got.key_id == 77,
          "other writer: its record is seen");
    CHECK(strm_keystore_lookup(ks, h, 2000, &got) == 1
          && strcmp(got.link, cand.link) == 0,
          "other writer: its session is seen");

    /* and what this process writes, after its own lookups */
    /*
     * strm_keystore_has() remembers what it found: a link shredded by
     * another process, or by this one, is gone at the next call all the
     * same
     */
    CHECK(strm_keystore_has(ks, f.link) == 1
          && strm_keystore_has(ks, f.link) == 1,
          "other writer: its record is seen again");

    /* strm_keystore_winner() remembers its winners the same way */
    memset(link, 0, sizeof(link));
    CHECK(strm_keystore_winner(ks, f.session, 1, link) == 1
          && strcmp(link, f.link) == 0
          && strm_keystore_winner(ks, f.session, 2, link) == 0
          && strm_keystore_winner(ks, g.session, 1, link) == 0,
          "other writer: its winner is seen again, in its window only");
    memset(link, 0, sizeof(link));
    CHECK(strm_keystore_winner(ks, f.session, 1, link) == 1
          && strcmp(link, f.link) == 0,
          "other writer: its winner is seen a third time");

    pid = fork();

    if (pid == 0) {
        if (strm_keystore_open(file, 1 << 24, 0, &other, NULL, 0)
            != STRM_OK
            || strm_keystore_shred(other, f.link) != 1)
        {
            _exit(1);
        }

        strm_keystore_close(other);
        _exit(0);
    }

    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)
          && WEXITSTATUS(st) == 0, "other writer: the other process shred");
    CHECK(strm_keystore_has(ks, f.link) == 0
          && strm_keystore_get(ks, f.link, &got) == 0,
          "other writer: the link it shredded is gone");
    CHECK(strm_keystore_winner(ks, f.session, 1, link) == 0,
          "other writer: the winner it shredded is gone");

    /* a new winner of that session and window, by another process */
    make_fleet(&n, 79);
    memcpy(n.session, f.session, STRM_KEYSTORE_HMAC_LEN);

    pid = fork();

    if (pid == 0) {
        if (strm_keystore_open(file, 1 << 24, 0, &other, NULL, 0)
            != STRM_OK
            || strm_keystore_apply(other, 1, 0, &n, NULL, &won) != 1
            || won != 1)
        {
            _exit(1);
        }

        strm_keystore_close(other);
        _exit(0);
    }

    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)
          && WEXITSTATUS(st) == 0,
          "other writer: the other process applied a new winner");
    CHECK(strm_keystore_winner(ks, n.session, 1, link) == 1
          && strcmp(link, n.link) == 0
          && strm_keystore_winner(ks, n.session, 1, link) == 1
          && strcmp(link, n.link) == 0,
          "other writer: the session's new winner is seen");

    CHECK(strm_keystore_winner(ks, g.session, 1, link) == 0,
          "other writer: this process's session not yet");
    CHECK(strm_keystore_apply(ks, 0, 1, &g, NULL, &won) == 1 && won == 1
          && strm_keystore_winner(ks, g.session, 1, link) == 1
          && strcmp(link, g.link) == 0,
          "other writer: this process's winner is seen");
    CHECK(strm_keystore_has(ks, g.link) == 1
          && strm_keystore_has(ks, g.link) == 1
          && strm_keystore_shred(ks, g.link) == 1
          && strm_keystore_has(ks, g.link) == 0,
          "other writer: a link this process shreds is gone at once");
    CHECK(strm_keystore_winner(ks, g.session, 1, link) == 0,
          "other writer: a winner this process shreds is gone at once");

    strm_keystore_close(ks);
}


int
main(void)
{
    int               rc;
    char              path[] = "/tmp/strm-keystore-XXXXXX";
    char              file[64], err[256];
    size_t            n, links, sessions, len;
    struct stat       st;
    unsigned char     h1[32], h2[32], h3[32], sec[64], got_sec[64];
    strm_keyrec_t     a, b, c, got;
    strm_keystore_t  *ks, *ro;

    if (mkdtemp(path) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    snprintf(file, sizeof(file), "%s/keys.mdb", path);

    CHECK(strm_keystore_open(file, 1 << 24, 0, &ks, err, sizeof(err))
          == STRM_OK, "open creates the store");
    CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600,
          "the store file is 0600");

    make_hmac(h1, 1);
    make_hmac(h2, 2);
    make_hmac(h3, 3);

    CHECK(strm_keystore_lookup(ks, h1, 1000, &got) == 0,
          "a new session has no key link");

    make_rec(&a, 7, 1000, 2000);
    CHECK(strm_keystore_insert(ks, h1, 1000, &a, &got) == 1
          && strcmp(got.link, a.link) == 0, "the first candidate is stored");

    CHECK(strm_keystore_lookup(ks, h1, 1500, &got) == 1
          && strcmp(got.link, a.link) == 0 && got.key_id == 7
          && got.created == 1000 && got.expires == 2000
          && got.wrapped_len == 90 && got.wrapped[89] == 7,
          "the session finds its record within the window");

    make_rec(&b, 8, 1500, 2500);
    CHECK(strm_keystore_insert(ks, h1, 1500, &b, &got) == 0
          && strcmp(got.link, a.link) == 0,
          "a second candidate in the window gets the first key link");
    CHECK(strm_keystore_get(ks, b.link, &got) == 0,
          "and the losing candidate is not stored");

    CHECK(strm_keystore_lookup(ks, h1, 2000, &got) == 0,
          "the window is over at expires");
    CHECK(strm_keystore_insert(ks, h1, 2000, &b, &got) == 1
          && strcmp(got.link, b.link) == 0, "rotation: a new key link");
    CHECK(strm_keystore_get(ks, a.link, &got) == 1,
          "the old key link stays readable after rotation");

    make_rec(&c, 9, 1000, 3000);
    CHECK(strm_keystore_insert(ks, h2, 1000, &c, &got) == 1,
          "another session, another key link");

    CHECK(strm_keystore_stat(ks, &links, &sessions) == 0 && links == 3
          && sessions == 2, "stat: 3 key links, 2 sessions");

    n = 0;
    CHECK(strm_keystore_each(ks, count_cb, &n) == 0 && n == 3,
          "each visits every key link");

    CHECK(strm_keystore_shred(ks, c.link) == 1, "shred a key link");
    CHECK(strm_keystore_get(ks, c.link, &got) == 0, "shredded: gone");
    CHECK(strm_keystore_lookup(ks, h2, 1500, &got) == 0,
          "its session has no key link any more");
    CHECK(strm_keystore_shred(ks, c.link) == 0, "shred twice: unknown");
    CHECK(strm_keystore_shred(ks, "not-a-link") == 0, "shred a bad link");

    CHECK(strm_keystore_purge(ks, 2001, &n) == 0 && n == 1,
          "purge removes the expired key link");
    CHECK(strm_keystore_get(ks, a.link, &got) == 0
          && strm_keystore_get(ks, b.link, &got) == 1,
          "the expired one is gone, the live one stays");
    CHECK(strm_keystore_stat(ks, &links, &sessions) == 0 && links == 1
          && sessions == 1, "stat after shred and purge");

    CHECK(strm_keystore_put(ks, &c) == 0
          && strm_keystore_get(ks, c.link, &got) == 1 && got.key_id == 9,
          "put stores a synced record");

    CHECK(strm_keystore_secret_get(ks, got_sec, sizeof(got_sec), &len) == 0,
          "no secret yet");
    memset(sec, 0x11, sizeof(sec));
    CHECK(strm_keystore_secret_set(ks, sec, 48, got_sec, sizeof(got_sec),
                                   &len) == 1 && len == 48,
          "the first secret is stored");
    memset(sec, 0x22, sizeof(sec));
    CHECK(strm_keystore_secret_set(ks, sec, 48, got_sec, sizeof(got_sec),
                                   &len) == 0 && got_sec[0] == 0x11,
          "a second one loses to the first");
    CHECK(strm_keystore_secret_get(ks, got_sec, sizeof(got_sec), &len) == 1
          && len == 48 && got_sec[47] == 0x11, "the secret reads back");

    CHECK(strm_keystore_open(file, 1 << 24, 1, &ro, err, sizeof(err))
          == STRM_OK, "a read-only store opens beside the writer");

    if (ro != NULL) {
        CHECK(strm_keystore_get(ro, b.link, &got) == 1,
              "and reads the writer's records");
        strm_keystore_close(ro);
    }

    race(file, h3, 6);

    {
        char          *js;
        size_t         jl;
        strm_keyrec_t  back;

        c.wrapped_len = 89;
        js = strm_keyrec_to_json(&c, &jl);
        CHECK(js != NULL && strstr(js, c.link) != NULL
              && strstr(js, "\"keyId\":9") != NULL,
              "a record as keys-topic JSON");
        CHECK(js != NULL && strm_keyrec_from_json(js, jl, &back) == 0
              && strcmp(back.link, c.link) == 0 && back.key_id == 9
              && back.created == c.created && back.expires == c.expires
              && back.wrapped_len == 89
              && memcmp(back.wrapped, c.wrapped, 89) == 0,
              "and back, byte for byte");
        free(js);
        CHECK(strm_keyrec_from_json("{\"keyLink\":\"x\"}", 14, &back) != 0,
              "a record without its members is refused");
        CHECK(strm_keyrec_from_json("nope", 4, &back) != 0,
              "not JSON is refused");
    }

    strm_keystore_close(ks);

    CHECK(strm_keystore_open("/nonexistent/dir/keys.mdb", 1 << 20, 0, &ks,
                             err, sizeof(err)) != STRM_OK
          && strstr(err, "/nonexistent/dir/keys.mdb") != NULL,
          "an impossible path fails with the path in the reason");

    unlink(file);
    snprintf(file, sizeof(file), "%s/keys.mdb.slots", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/keys.mdb-lock", path);
    unlink(file);

    snprintf(file, sizeof(file), "%s/other.mdb", path);
    other_writer(file);
    unlink(file);
    snprintf(file, sizeof(file), "%s/other.mdb.slots", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/other.mdb-lock", path);
    unlink(file);

    snprintf(file, sizeof(file), "%s/small.mdb", path);
    small_store(file);

    snprintf(file, sizeof(file), "%s/grown.mdb", path);
    grown_store(file);
    unlink(file);
    snprintf(file, sizeof(file), "%s/grown.mdb.slots", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/grown.mdb-lock", path);
    unlink(file);

    snprintf(file, sizeof(file), "%s/small.mdb", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/small.mdb.slots", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/small.mdb-lock", path);
    unlink(file);
    rc = rmdir(path);
    (void) rc;

    return UNIT_DONE();
}
