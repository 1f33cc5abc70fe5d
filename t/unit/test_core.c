
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * Unit tests of the nginx-free core: the error table, JSON error bodies
 * and escaping, random UUIDs, topic names.  Prints "N passed, N
 * failed".
 */


#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strm_error.h"
#include "strm_id.h"
#include "strm_topic.h"
#include "unit.h"


static void
test_error_table(void)
{
    const strm_error_t  *e;

    e = strm_error_get(STRM_E_QUEUE_FULL);
    CHECK(e->status == 503 && strcmp(e->code, "queue_full") == 0,
          "queue_full is 503");

    e = strm_error_get(STRM_OK);
    CHECK(e->status == 204 && strcmp(e->code, "ok") == 0, "ok is 204");

    e = strm_error_get((strm_rc_t) -4242);
    CHECK(e->rc == STRM_E_INTERNAL, "an unknown code is an internal error");

    e = strm_error_by_status(400);
    CHECK(e != NULL && e->rc == STRM_E_BAD_REQUEST,
          "nginx's 400 is bad_request, not empty_body");

    e = strm_error_by_status(503);
    CHECK(e != NULL && e->rc == STRM_E_UNAVAILABLE,
          "nginx's 503 (limit_req) is unavailable, not queue_full");

    e = strm_error_by_status(413);
    CHECK(e != NULL && e->rc == STRM_E_TOO_LARGE, "413 is too_large");

    CHECK(strm_error_by_status(200) == NULL, "no error for 200");
    CHECK(strm_error_by_status(504) == NULL, "no generic 504");
}


static void
test_error_json(void)
{
    size_t               n, need;
    const strm_error_t  *e;
    char                 buf[256], small[8];
    const char          *reason = "bad \"x\"\n\x01";

    e = strm_error_get(STRM_E_METHOD);
    n = strm_error_json(e, NULL, 0, buf, sizeof(buf));
    buf[n] = '\0';
    CHECK(strcmp(buf, "{\"error\":\"only POST is accepted here\","
                      "\"code\":\"method_not_allowed\"}\n") == 0,
          "error body without a reason");

    e = strm_error_get(STRM_E_KAFKA);
    n = strm_error_json(e, reason, strlen(reason), buf, sizeof(buf));
    buf[n] = '\0';
    CHECK(strcmp(buf, "{\"error\":\"Kafka did not accept the event\","
                      "\"code\":\"kafka_error\","
                      "\"reason\":\"bad \\\"x\\\"\\n\\u0001\"}\n") == 0,
          "error body with an escaped reason");

    need = n;
    n = strm_error_json(e, reason, strlen(reason), small, sizeof(small));
    CHECK(n == need, "a small buffer is told the length needed");
}


static void
test_json_escape(void)
{
    size_t  n;
    char    buf[64];

    n = strm_json_escape(buf, sizeof(buf), "a\\b\t\x7f", 5);
    buf[n] = '\0';
    CHECK(strcmp(buf, "a\\\\b\\t\\u007f") == 0, "escapes");

    n = strm_json_escape(buf, sizeof(buf), "h\xc3\xa9", 3);
    CHECK(n == 3 && memcmp(buf, "h\xc3\xa9", 3) == 0,
          "UTF-8 bytes pass as they are");

    n = strm_json_escape(NULL, 0, "\"\"", 2);
    CHECK(n == 4, "length only, with no buffer");
}


static int
hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


static void
test_uuid4(void)
{
    int   i, j, ok, dup;
    char  a[STRM_UUID_LEN], b[STRM_UUID_LEN];

    ok = 1;
    dup = 0;

    for (i = 0; i < 10000; i++) {
        if (strm_uuid4(a) != STRM_OK || strm_uuid4(b) != STRM_OK) {
            ok = 0;
            break;
        }

        for (j = 0; j < STRM_UUID_LEN; j++) {
            if (j == 8 || j == 13 || j == 18 || j == 23) {
                ok &= a[j] == '-';

            } else {
                ok &= hexdigit(a[j]);
            }
        }

        ok &= a[14] == '4';
        ok &= a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b';

        if (memcmp(a, b, STRM_UUID_LEN) == 0) {
            dup++;
        }
    }

    CHECK(ok, "UUIDs are version 4, variant 10, lowercase hex");
    CHECK(dup == 0, "no two UUIDs alike");
}


/*
 * Ids come from a per-thread block of random bytes: a forked child
 * must not hand out the bytes its parent will hand out next.
 */
static void
test_uuid4_fork(void)
{
    int      fd[2], i, same;
    char     mine[STRM_UUID_LEN], theirs[STRM_UUID_LEN];
    pid_t    pid;
    int32_t  n;

    /* the parent's block is filled, most of it still to hand out */
    CHECK(strm_uuid4(mine) == STRM_OK, "uuid4 before fork");
    CHECK(strm_random_i32(&n) == STRM_OK, "random i32 before fork");

    if (pipe(fd) != 0) {
        CHECK(0, "pipe");
        return;
    }

    pid = fork();

    if (pid == 0) {
        close(fd[0]);

        if (strm_uuid4(theirs) != STRM_OK) {
            memset(theirs, 0, sizeof(theirs));
        }

        i = (write(fd[1], theirs, sizeof(theirs)) == sizeof(theirs));
        _exit(i ? 0 : 1);
    }

    close(fd[1]);

    CHECK(pid > 0, "fork");
    CHECK(strm_uuid4(mine) == STRM_OK, "uuid4 after fork");
    CHECK(read(fd[0], theirs, sizeof(theirs)) == sizeof(theirs),
          "the child's uuid");
    close(fd[0]);

    if (pid > 0) {
        waitpid(pid, &i, 0);
    }

    same = (memcmp(mine, theirs, STRM_UUID_LEN) == 0);
    CHECK(!same, "a forked child's id differs from its parent's next one");

    /* a thousand ids (more than one block) are all well formed */
    for (i = 0; i < 1000; i++) {
        if (strm_uuid4(mine) != STRM_OK || mine[14] != '4') {
            break;
        }
    }

    CHECK(i == 1000, "ids across blocks");
}


static void
test_topic_valid(void)
{
    char  name[STRM_TOPIC_MAX + 1];

    CHECK(strm_topic_valid("strm.events_v1-a", 16), "a topic name");
    CHECK(!strm_topic_valid("", 0), "an empty name is none");
    CHECK(!strm_topic_valid(".", 1) && !strm_topic_valid("..", 2),
          "\".\" and \"..\" are no names");
    CHECK(strm_topic_valid("...", 3), "\"...\" is a name");
    CHECK(!strm_topic_valid("no topic", 8) && !strm_topic_valid("a/b", 3)
          && !strm_topic_valid("caf\xc3\xa9", 5),
          "space, slash and non-ASCII are refused");

    memset(name, 'a', sizeof(name));
    CHECK(strm_topic_valid(name, STRM_TOPIC_MAX), "249 characters");
    CHECK(!strm_topic_valid(name, STRM_TOPIC_MAX + 1), "250 are too many");
}


typedef struct {
    int   n;
    char  last[320];
} test_problems_t;


static void
test_topic_problem(void *arg, const char *sentence)
{
    test_problems_t  *p = arg;

    p->n++;
    snprintf(p->last, sizeof(p->last), "%s", sentence);
}


static void
test_topic_check_keys(void)
{
    int                    n;
    int64_t                bound;
    test_problems_t        p;
    strm_topic_setting_t   s[6];

    /* what "strm-keys topic -c" creates passes, with a 2 h bound */
    memset(&p, 0, sizeof(p));
    n = strm_topic_check_keys(strm_topic_keys_settings,
                              strm_topic_keys_nsettings,
                              test_topic_problem, &p, &bound);
    CHECK(n == 0 && p.n == 0, "the settings we create pass");
    CHECK(bound == 2 * 3600000LL, "their bound is 2 h");

    /* Kafka's defaults for a compacted topic: no bound */
    s[0].name = "cleanup.policy";
    s[0].value = "compact";
    s[1].name = "segment.ms";
    s[1].value = "604800000";
    s[2].name = "max.compaction.lag.ms";
    s[2].value = "9223372036854775807";
    s[3].name = "delete.retention.ms";
    s[3].value = "86400000";
    s[4].name = "min.cleanable.dirty.ratio";
    s[4].value = "0.5";
    s[5].name = "min.compaction.lag.ms";
    s[5].value = "0";

    memset(&p, 0, sizeof(p));
    n = strm_topic_check_keys(s, 6, test_topic_problem, &p, &bound);
    CHECK(n == 1 && bound == -1, "Kafka's defaults: one problem, no bound");
    CHECK(strstr(p.last, "without bound") != NULL
          && strstr(p.last, "max.compaction.lag.ms") != NULL,
          "the sentence says so and names the setting");

    /* a bound, but a long one */
    s[2].value = "172800000";
    memset(&p, 0, sizeof(p));
    n = strm_topic_check_keys(s, 6, test_topic_problem, &p, &bound);
    CHECK(n == 1 && bound == 604800000LL + 172800000LL,
          "9 days is a bound, over a day is a problem");
    CHECK(strstr(p.last, "up to 9 d") != NULL, "said as 9 d");

    /* "delete" in the policy and tombstones kept for an hour */
    s[0].value = "compact,delete";
    s[1].value = "3600000";
    s[2].value = "3600000";
    s[3].value = "3600000";
    memset(&p, 0, sizeof(p));
    n = strm_topic_check_keys(s, 6, test_topic_problem, &p, &bound);
    CHECK(n == 2 && bound == 7200000, "compact,delete and 1 h tombstones");
    CHECK(strstr(p.last, "delete.retention.ms is 1.0 h") != NULL,
          "the tombstones' sentence comes last");

    /* nothing reported (a broker that says nothing): all problems */
    memset(&p, 0, sizeof(p));
    n = strm_topic_check_keys(s, 0, test_topic_problem, &p, &bound);
    CHECK(n == 2 && bound == -1, "no settings: policy and bound");
    CHECK(strstr(p.last, "not reported") != NULL, "said as not reported");
}


int
main(void)
{
    test_error_table();
    test_error_json();
    test_json_escape();
    test_uuid4();
    test_uuid4_fork();
    test_topic_valid();
    test_topic_check_keys();

    return UNIT_DONE();
}
