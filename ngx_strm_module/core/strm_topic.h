
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_TOPIC_H_INCLUDED_
#define _STRM_TOPIC_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the longest topic name Kafka accepts */
#define STRM_TOPIC_MAX  249


/*
 * Is this a name Kafka accepts for a topic: 1 to STRM_TOPIC_MAX of
 * a-z A-Z 0-9 . _ -, and neither "." nor ".."?  1 if so, else 0.  The
 * gateway's directives and the dev broker check names with it, so
 * that a bad name fails at configuration time, not at the broker.
 */
int strm_topic_valid(const char *name, size_t len);


/*
 * The keys topic's settings that bound how long a tombstoned key stays
 * readable in Kafka (docs/keys.md "Erasure"), as the broker reports
 * them (DescribeConfigs): name and value, value NULL when not reported.
 */
typedef struct {
    const char  *name;
    const char  *value;
} strm_topic_setting_t;

/* what the keys topic is created with (strm-keys topic -c) */
extern const strm_topic_setting_t  strm_topic_keys_settings[];
extern const size_t                strm_topic_keys_nsettings;

/*
 * Checks the keys topic's settings: cleanup.policy exactly "compact"
 * (with "delete" key links vanish after retention.ms and a rebuilt
 * store misses them), a segment that closes and a cleaner that runs
 * within the documented bounds, tombstones kept long enough for a store
 * that was offline.  Calls problem(arg, sentence) for each problem (the
 * sentence names the setting, its value and what to set); returns the
 * number of problems and sets *bound_ms to the longest a tombstoned key
 * can stay readable (segment.ms + max.compaction.lag.ms), -1 when
 * nothing bounds it.
 */
int strm_topic_check_keys(const strm_topic_setting_t *s, size_t n,
    void (*problem)(void *arg, const char *sentence), void *arg,
    int64_t *bound_ms);


#endif /* _STRM_TOPIC_H_INCLUDED_ */
