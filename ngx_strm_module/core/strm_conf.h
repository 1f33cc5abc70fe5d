
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_CONF_H_INCLUDED_
#define _STRM_CONF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_error.h"


/*
 * The configuration language of the workers is nginx's, so that an
 * operator learns one language: directives "name arg ...;", blocks
 * "name arg ... { ... }", "#" comments, single or double quotes.  This
 * is only the syntax: which directives exist and what their arguments
 * mean is the business of each worker, helped by the functions below.
 *
 * The tokens follow nginx 1.22:
 *
 *   - whitespace is space, tab, CR and LF; "#" starts a comment only
 *     where a token could start ("a#b" is one argument);
 *   - a quote opens a quoted argument only where a token starts; after
 *     the closing quote comes whitespace, ";" or "{", else the error
 *     is unexpected "<c>";
 *   - an unquoted argument ends at whitespace, ";" or "{" ("${" does
 *     not end it); a "}" inside it is an ordinary character;
 *   - a backslash stops the next character from ending the argument
 *     or the quote ("a\ b" is one argument, backslash included); in
 *     every argument, quoted or not, \" \' \\ become the character
 *     and \t \r \n the control character, any other backslash stays
 *     ("\d" of a regex);
 *   - "include" is an ordinary directive: nothing is included.
 */

/* a file larger than this is refused: it is read whole into memory */
#define STRM_CONF_FILE_MAX   (16 * 1024 * 1024)
#define STRM_CONF_DEPTH_MAX  32      /* nested blocks */
#define STRM_CONF_ARGS_MAX   64      /* arguments after the name */
#define STRM_CONF_TOKEN_MAX  4096    /* bytes between delimiters */


typedef struct strm_conf_s  strm_conf_t;

/* a directive; everything it points to belongs to its tree */
struct strm_conf_s {
    const char     *name;       /* NUL-terminated, "" for the root only */
    char          **args;       /* argc strings, then a NULL */
    size_t          argc;
    strm_conf_t    *children;   /* a block's body, NULL if not a block */
    size_t          nchildren;
    int             block;      /* 1 when it had { ... } (even empty) */
    const char     *file;       /* the file it came from */
    unsigned        line;       /* line of the directive name */
};


/*
 * Parses a file into a root: name "", no arguments, block 1, line 0,
 * children the top-level directives (children is not NULL even when
 * there are none).  Free it with strm_conf_free().
 *
 * A syntax error is STRM_E_BAD_REQUEST with "<file>:<line>: <reason>"
 * in err.  The line is where the error was seen, except for an end of
 * file in a directive (the line of its name) or in a block (the line
 * of the directive that opened it) and an unterminated quote (the line
 * of the quote).  The reasons:
 *
 *   unexpected "}"                     no block to close
 *   missing ";" before "}"
 *   unexpected end of file, expecting ";" or "}"
 *   unexpected end of file, expecting "}"
 *   unterminated quote
 *   unexpected ";"                     a directive without a name
 *   unexpected "{"                     a block without a name
 *   directive without name             the name is "" or ''
 *   unexpected "<c>"                   after a closing quote
 *   unexpected NUL byte
 *   too deep nesting (more than 32 levels)
 *   too many arguments (more than 64)
 *   too long token (more than 4096 bytes)
 *
 * What concerns the whole file has no line: "<file>: larger than 16
 * MiB" (STRM_E_BAD_REQUEST), "<file>: cannot open: <strerror>"
 * (STRM_E_NOT_FOUND when it does not exist, else STRM_E_INTERNAL) and
 * "<file>: cannot read: <strerror>" (STRM_E_INTERNAL).  Out of memory
 * is STRM_E_NOMEM with "out of memory".  On error *root is NULL.
 */
strm_rc_t strm_conf_parse_file(const char *path, strm_conf_t **root,
    char *err, size_t errlen);

/* the same from memory; name is the file name of the messages */
strm_rc_t strm_conf_parse(const char *text, size_t len, const char *name,
    strm_conf_t **root, char *err, size_t errlen);

/* frees a tree from strm_conf_parse*(); root may be NULL */
void strm_conf_free(strm_conf_t *root);


/*
 * Helpers for the callers validating the directives.  strm_conf_error()
 * writes "<file>:<line>: " and the message into err ("<file>: " for the
 * root) and returns STRM_E_BAD_REQUEST.
 */
strm_rc_t strm_conf_error(const strm_conf_t *d, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * STRM_OK when d has min to max arguments (SIZE_MAX: no maximum), else
 * strm_conf_error() with "\"name\" takes 1 argument", "... takes no
 * arguments", "... takes 1 to 3 arguments", "... takes at least 2
 * arguments" or "... takes at most 2 arguments".
 */
strm_rc_t strm_conf_args(const strm_conf_t *d, size_t min, size_t max,
    char *err, size_t errlen);

/*
 * The value parsers of nginx on an argument.  They set *out only on
 * success and return STRM_OK or STRM_E_BAD_REQUEST without a message:
 * the caller words it with strm_conf_error().
 *
 * strm_conf_msec: a time in milliseconds, "500ms", "10s", "5m", "1h",
 * "1d", "1w", "1M" (30 days), "1y" (365 days), parts in that order
 * from the largest, maybe separated by spaces ("1h 30m", "1m30s"); a
 * bare number alone is seconds ("1h 30" is refused).
 *
 * strm_conf_size: bytes, a bare number or with k, m or g (either case,
 * powers of 1024).
 *
 * strm_conf_flag: "on" (1) or "off" (0), in any case as nginx.
 *
 * strm_conf_uint: decimal digits only, at most max.
 */
strm_rc_t strm_conf_msec(const char *s, int64_t *ms);
strm_rc_t strm_conf_size(const char *s, uint64_t *bytes);
strm_rc_t strm_conf_flag(const char *s, int *on);
strm_rc_t strm_conf_uint(const char *s, uint64_t max, uint64_t *v);


#endif /* _STRM_CONF_H_INCLUDED_ */
