
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_TOPIC_H_INCLUDED_
#define _STRM_TOPIC_H_INCLUDED_


#include <stddef.h>


/* the longest topic name Kafka accepts */
#define STRM_TOPIC_MAX  249


/*
 * Is this a name Kafka accepts for a topic: 1 to STRM_TOPIC_MAX of
 * a-z A-Z 0-9 . _ -, and neither "." nor ".."?  1 if so, else 0.  The
 * gateway's directives and the dev broker check names with it, so
 * that a bad name fails at configuration time, not at the broker.
 */
int strm_topic_valid(const char *name, size_t len);


#endif /* _STRM_TOPIC_H_INCLUDED_ */
