
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strm_topic.h"


int
strm_topic_valid(const char *name, size_t len)
{
    char    ch;
    size_t  i;

    if (len == 0 || len > STRM_TOPIC_MAX) {
        return 0;
    }

    if ((len == 1 && name[0] == '.')
        || (len == 2 && name[0] == '.' && name[1] == '.'))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        ch = name[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_'
            || ch == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


#define STRM_TOPIC_HOUR_MS       3600000LL
#define STRM_TOPIC_BOUND_MAX     (24 * STRM_TOPIC_HOUR_MS)
#define STRM_TOPIC_TOMBSTONE_MIN (24 * STRM_TOPIC_HOUR_MS)


const strm_topic_setting_t  strm_topic_keys_settings[] = {
    { "cleanup.policy", "compact" },
    { "segment.ms", "3600000" },
    { "min.cleanable.dirty.ratio", "0.01" },
    { "min.compaction.lag.ms", "0" },
    { "max.compaction.lag.ms", "3600000" },
    { "delete.retention.ms", "604800000" },
};

const size_t  strm_topic_keys_nsettings =
    sizeof(strm_topic_keys_settings) / sizeof(strm_topic_keys_settings[0]);


static const char *
strm_topic_setting(const strm_topic_setting_t *s, size_t n,
    const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i].name != NULL && strcmp(s[i].name, name) == 0) {
            return s[i].value;
        }
    }

    return NULL;
}


/* a setting in ms: -1 when absent or not a number */
static int64_t
strm_topic_ms(const strm_topic_setting_t *s, size_t n, const char *name)
{
    char        *end;
    const char  *v;
    long long    ms;

    v = strm_topic_setting(s, n, name);
    if (v == NULL || *v == '\0') {
        return -1;
    }

    errno = 0;
    ms = strtoll(v, &end, 10);

    if (errno != 0 || *end != '\0' || ms < 0) {
        return -1;
    }

    return ms;
}


/* "3600000 ms" as "1 h", "604800000" as "7 d": for the sentences */
static void
strm_topic_span(int64_t ms, char *buf, size_t len)
{
    if (ms >= 86400000LL && ms % 86400000LL == 0) {
        snprintf(buf, len, "%lld d", (long long) (ms / 86400000LL));

    } else if (ms >= STRM_TOPIC_HOUR_MS) {
        snprintf(buf, len, "%.1f h", (double) ms / STRM_TOPIC_HOUR_MS);

    } else {
        snprintf(buf, len, "%lld s", (long long) (ms / 1000));
    }
}


int
strm_topic_check_keys(const strm_topic_setting_t *s, size_t n,
    void (*problem)(void *arg, const char *sentence), void *arg,
    int64_t *bound_ms)
{
    int          count;
    char         sentence[320], a[48], b[32];
    int64_t      segment, lag, tombstones;
    const char  *policy;

    count = 0;
    *bound_ms = -1;

    policy = strm_topic_setting(s, n, "cleanup.policy");

    if (policy == NULL || strcmp(policy, "compact") != 0) {
        snprintf(sentence, sizeof(sentence),
                 "cleanup.policy is \"%s\": set \"compact\" (with "
                 "\"delete\" key links vanish after retention.ms and a "
                 "store rebuilt from the topic misses them; without "
                 "compaction a forgotten key stays readable)",
                 policy ? policy : "not reported");
        problem(arg, sentence);
        count++;
    }

    segment = strm_topic_ms(s, n, "segment.ms");
    lag = strm_topic_ms(s, n, "max.compaction.lag.ms");

    /* Kafka's default max.compaction.lag.ms is Long.MAX_VALUE: none */

    if (segment >= 0 && lag >= 0 && lag < INT64_MAX / 2
        && segment < INT64_MAX / 2)
    {
        *bound_ms = segment + lag;
    }

    if (*bound_ms < 0 || *bound_ms > STRM_TOPIC_BOUND_MAX) {
        if (*bound_ms < 0) {
            snprintf(a, sizeof(a), "without bound");

        } else {
            strm_topic_span(*bound_ms, b, sizeof(b));
            snprintf(a, sizeof(a), "up to %s", b);
        }

        snprintf(sentence, sizeof(sentence),
                 "a forgotten key stays readable in the topic %s "
                 "(segment.ms %s, max.compaction.lag.ms %s): set both "
                 "to 3600000 (about 2 h in all)", a,
                 strm_topic_setting(s, n, "segment.ms")
                 ? strm_topic_setting(s, n, "segment.ms") : "not reported",
                 strm_topic_setting(s, n, "max.compaction.lag.ms")
                 ? strm_topic_setting(s, n, "max.compaction.lag.ms")
                 : "not reported");
        problem(arg, sentence);
        count++;
    }

    tombstones = strm_topic_ms(s, n, "delete.retention.ms");

    if (tombstones >= 0 && tombstones < STRM_TOPIC_TOMBSTONE_MIN) {
        strm_topic_span(tombstones, a, sizeof(a));
        snprintf(sentence, sizeof(sentence),
                 "delete.retention.ms is %s: a store offline longer "
                 "misses the tombstones and keeps forgotten keys; set "
                 "604800000 (7 d) or more", a);
        problem(arg, sentence);
        count++;
    }

    return count;
}
