
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strm_conf.h"


/* a config file is small: one chunk usually holds the whole tree */
#define STRM_CONF_CHUNK      16384

/* the first read of a file whose size fstat() does not tell */
#define STRM_CONF_READ       65536

#define strm_conf_align(n)   (((n) + 15) & ~(size_t) 15)

#define strm_conf_space(c)                                                   \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

#define strm_conf_digit(c)   ((c) >= '0' && (c) <= '9')

/*
 * Under AddressSanitizer every allocation is a malloc() of its exact
 * size: an overrun inside a shared chunk would go unseen, and the
 * fuzzer is there to see it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STRM_CONF_EXACT      1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRM_CONF_EXACT      1
#endif
#endif

#ifndef STRM_CONF_EXACT
#define STRM_CONF_EXACT      0
#endif

/* the order of the time units, largest first; a bare number is last */
#define STRM_CONF_UNIT_NONE  9


typedef struct strm_conf_chunk_s  strm_conf_chunk_t;

struct strm_conf_chunk_s {
    strm_conf_chunk_t  *next;
    char               *pos;
    char               *end;
};


/* the root comes first: strm_conf_free() finds the chunks from it */
typedef struct {
    strm_conf_t         root;
    strm_conf_chunk_t  *chunks;
} strm_conf_tree_t;


typedef enum {
    STRM_CONF_WORD = 0,
    STRM_CONF_SEMICOLON,
    STRM_CONF_OPEN,
    STRM_CONF_CLOSE,
    STRM_CONF_EOF
} strm_conf_token_e;


/*
 * The directives of a block while it is read: how many there will be
 * is known at its "}" only, when they are copied into the tree.
 */
typedef struct {
    strm_conf_t  *elts;
    size_t        nelts;
    size_t        nalloc;
} strm_conf_array_t;


typedef struct {
    const char         *pos;
    const char         *end;
    const char         *file;        /* the copy in the tree */
    unsigned            line;
    unsigned            token_line;  /* where the last token started */
    char               *word;        /* the last word, unescaped */
    strm_conf_chunk_t  *chunks;
    char               *err;
    size_t              errlen;
} strm_conf_parser_t;


static strm_rc_t strm_conf_read(const char *path, char **text, size_t *len,
    char *err, size_t errlen);
static strm_rc_t strm_conf_block(strm_conf_parser_t *p, strm_conf_t *parent,
    unsigned depth);
static strm_rc_t strm_conf_add(strm_conf_parser_t *p, strm_conf_array_t *a,
    char **argv, size_t n, unsigned line, strm_conf_t **dp);
static strm_rc_t strm_conf_token(strm_conf_parser_t *p,
    strm_conf_token_e *type);
static strm_rc_t strm_conf_word(strm_conf_parser_t *p);
static strm_rc_t strm_conf_quoted(strm_conf_parser_t *p);
static strm_rc_t strm_conf_unescape(strm_conf_parser_t *p, const char *src,
    const char *end);
static void *strm_conf_alloc(strm_conf_parser_t *p, size_t size);
static void strm_conf_free_chunks(strm_conf_chunk_t *c);
static strm_rc_t strm_conf_syntax(strm_conf_parser_t *p, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static strm_rc_t strm_conf_fail(strm_rc_t rc, char *err, size_t errlen,
    const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static strm_rc_t strm_conf_vfail(strm_rc_t rc, char *err, size_t errlen,
    const char *file, unsigned line, const char *fmt, va_list args)
    __attribute__((format(printf, 6, 0)));


strm_rc_t
strm_conf_parse_file(const char *path, strm_conf_t **root, char *err,
    size_t errlen)
{
    char       *text;
    size_t      len;
    strm_rc_t   rc;

    *root = NULL;

    rc = strm_conf_read(path, &text, &len, err, errlen);
    if (rc != STRM_OK) {
        return rc;
    }

    rc = strm_conf_parse(text, len, path, root, err, errlen);

    free(text);

    return rc;
}


/*
 * Reads the whole file.  fstat() gives the size to read at once, but a
 * pipe or a file that grows meanwhile is read to its end all the same,
 * up to the limit.
 */
static strm_rc_t
strm_conf_read(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
    int          fd, e;
    char        *buf, *nbuf;
    size_t       size, n;
    ssize_t      r;
    strm_rc_t    rc;
    struct stat  st;

    *text = NULL;
    *len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        e = errno;
        return strm_conf_fail((e == ENOENT) ? STRM_E_NOT_FOUND
                                            : STRM_E_INTERNAL,
                              err, errlen, path, 0, "cannot open: %s",
                              strerror(e));
    }

    size = STRM_CONF_READ;

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size > STRM_CONF_FILE_MAX) {
            close(fd);
            return strm_conf_fail(STRM_E_BAD_REQUEST, err, errlen, path, 0,
                                  "larger than %d MiB",
                                  STRM_CONF_FILE_MAX / (1024 * 1024));
        }

        /* one byte more: the end of the file is seen in one read() */
        size = (size_t) st.st_size + 1;
    }

    buf = malloc(size);
    if (buf == NULL) {
        close(fd);
        return strm_conf_fail(STRM_E_NOMEM, err, errlen, NULL, 0,
                              "out of memory");
    }

    n = 0;

    for ( ;; ) {
        if (n == size) {
            if (size > STRM_CONF_FILE_MAX) {
                rc = strm_conf_fail(STRM_E_BAD_REQUEST, err, errlen, path, 0,
                                    "larger than %d MiB",
                                    STRM_CONF_FILE_MAX / (1024 * 1024));
                goto failed;
            }

            size = (size > STRM_CONF_FILE_MAX / 2) ? STRM_CONF_FILE_MAX + 1
                                                   : size * 2;

            nbuf = realloc(buf, size);
            if (nbuf == NULL) {
                rc = strm_conf_fail(STRM_E_NOMEM, err, errlen, NULL, 0,
                                    "out of memory");
                goto failed;
            }

            buf = nbuf;
        }

        r = read(fd, buf + n, size - n);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r == -1) {
            e = errno;
            rc = strm_conf_fail(STRM_E_INTERNAL, err, errlen, path, 0,
                                "cannot read: %s", strerror(e));
            goto failed;
        }

        if (r == 0) {
            break;
        }

        n += (size_t) r;
    }

    close(fd);

    *text = buf;
    *len = n;

    return STRM_OK;

failed:

    close(fd);
    free(buf);

    return rc;
}


strm_rc_t
strm_conf_parse(const char *text, size_t len, const char *name,
    strm_conf_t **root, char *err, size_t errlen)
{
    char                *file;
    size_t               n;
    unsigned             line;
    strm_rc_t            rc;
    const char          *nul, *c;
    strm_conf_tree_t    *tree;
    strm_conf_parser_t   p;

    *root = NULL;

    if (len > STRM_CONF_FILE_MAX) {
        return strm_conf_fail(STRM_E_BAD_REQUEST, err, errlen, name, 0,
                              "larger than %d MiB",
                              STRM_CONF_FILE_MAX / (1024 * 1024));
    }

    if (text == NULL) {
        /* no arithmetic on a null pointer, even + 0 */
        text = "";
        len = 0;
    }

    /*
     * Checked once here rather than by the tokenizer: a NUL byte would
     * end the arguments given to the callers as C strings.
     */
    nul = memchr(text, '\0', len);

    if (nul != NULL) {
        line = 1;

        for (c = text; c < nul; c++) {
            line += (*c == '\n');
        }

        return strm_conf_fail(STRM_E_BAD_REQUEST, err, errlen, name, line,
                              "unexpected NUL byte");
    }

    memset(&p, 0, sizeof(strm_conf_parser_t));
    p.pos = text;
    p.end = text + len;
    p.line = 1;
    p.err = err;
    p.errlen = errlen;

    n = strlen(name) + 1;

    tree = strm_conf_alloc(&p, sizeof(strm_conf_tree_t));
    file = strm_conf_alloc(&p, n);

    if (tree == NULL || file == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    memcpy(file, name, n);
    p.file = file;

    memset(tree, 0, sizeof(strm_conf_tree_t));
    tree->root.name = "";
    tree->root.block = 1;
    tree->root.file = file;

    tree->root.args = strm_conf_alloc(&p, sizeof(char *));
    if (tree->root.args == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    tree->root.args[0] = NULL;

    rc = strm_conf_block(&p, &tree->root, 0);
    if (rc != STRM_OK) {
        goto failed;
    }

    tree->chunks = p.chunks;
    *root = &tree->root;

    return STRM_OK;

failed:

    if (rc == STRM_E_NOMEM) {
        (void) strm_conf_fail(rc, err, errlen, NULL, 0, "out of memory");
    }

    strm_conf_free_chunks(p.chunks);

    return rc;
}


void
strm_conf_free(strm_conf_t *root)
{
    if (root != NULL) {
        /* the tree itself lives in one of the chunks it frees */
        strm_conf_free_chunks(((strm_conf_tree_t *) root)->chunks);
    }
}


/*
 * Reads the directives of a block up to its "}", or of the file up to
 * its end (depth 0), and stores them in parent.  A block recurses:
 * the depth limit keeps the stack small.
 */
static strm_rc_t
strm_conf_block(strm_conf_parser_t *p, strm_conf_t *parent, unsigned depth)
{
    char               *argv[STRM_CONF_ARGS_MAX + 1];
    size_t              n;
    unsigned            line;
    strm_rc_t           rc;
    strm_conf_t        *d;
    strm_conf_array_t   a;
    strm_conf_token_e   type;

    memset(&a, 0, sizeof(strm_conf_array_t));
    n = 0;
    line = 0;

    for ( ;; ) {
        rc = strm_conf_token(p, &type);
        if (rc != STRM_OK) {
            goto failed;
        }

        switch (type) {

        case STRM_CONF_WORD:
            if (n == STRM_CONF_ARGS_MAX + 1) {
                rc = strm_conf_syntax(p, p->token_line,
                                      "too many arguments (more than %d)",
                                      STRM_CONF_ARGS_MAX);
                goto failed;
            }

            if (n == 0) {
                line = p->token_line;
            }

            argv[n++] = p->word;
            continue;

        case STRM_CONF_SEMICOLON:
        case STRM_CONF_OPEN:
            if (n == 0) {
                rc = strm_conf_syntax(p, p->token_line, "unexpected \"%c\"",
                                      (type == STRM_CONF_OPEN) ? '{' : ';');
                goto failed;
            }

            /* "" is the name of the root, and of no directive */
            if (argv[0][0] == '\0') {
                rc = strm_conf_syntax(p, line, "directive without name");
                goto failed;
            }

            if (type == STRM_CONF_OPEN && depth == STRM_CONF_DEPTH_MAX) {
                rc = strm_conf_syntax(p, p->token_line,
                                      "too deep nesting (more than %d "
                                      "levels)", STRM_CONF_DEPTH_MAX);
                goto failed;
            }

            rc = strm_conf_add(p, &a, argv, n, line, &d);
            if (rc != STRM_OK) {
                goto failed;
            }

            n = 0;

            if (type == STRM_CONF_OPEN) {
                d->block = 1;

                /* d stays valid: only this call grows this array */
                rc = strm_conf_block(p, d, depth + 1);
                if (rc != STRM_OK) {
                    goto failed;
                }
            }

            continue;

        case STRM_CONF_CLOSE:
            if (depth == 0) {
                rc = strm_conf_syntax(p, p->token_line, "unexpected \"}\"");
                goto failed;
            }

            if (n > 0) {
                rc = strm_conf_syntax(p, p->token_line,
                                      "missing \";\" before \"}\"");
                goto failed;
            }

            break;

        default: /* STRM_CONF_EOF */
            if (n > 0) {
                rc = strm_conf_syntax(p, line, "unexpected end of file, "
                                      "expecting \";\" or \"}\"");
                goto failed;
            }

            if (depth > 0) {
                rc = strm_conf_syntax(p, parent->line, "unexpected end of "
                                      "file, expecting \"}\"");
                goto failed;
            }

            break;
        }

        break;
    }

    /* never NULL in a block: children == NULL means "not a block" */
    parent->children = strm_conf_alloc(p, (a.nelts > 0 ? a.nelts : 1)
                                          * sizeof(strm_conf_t));
    if (parent->children == NULL) {
        rc = STRM_E_NOMEM;
        goto failed;
    }

    if (a.nelts > 0) {
        memcpy(parent->children, a.elts, a.nelts * sizeof(strm_conf_t));
    }

    parent->nchildren = a.nelts;

    free(a.elts);

    return STRM_OK;

failed:

    free(a.elts);

    return rc;
}


static strm_rc_t
strm_conf_add(strm_conf_parser_t *p, strm_conf_array_t *a, char **argv,
    size_t n, unsigned line, strm_conf_t **dp)
{
    size_t        nalloc;
    strm_conf_t  *d, *elts;

    if (a->nelts == a->nalloc) {
        nalloc = (a->nalloc > 0) ? 2 * a->nalloc : 8;

        elts = realloc(a->elts, nalloc * sizeof(strm_conf_t));
        if (elts == NULL) {
            return STRM_E_NOMEM;
        }

        a->elts = elts;
        a->nalloc = nalloc;
    }

    d = &a->elts[a->nelts];
    memset(d, 0, sizeof(strm_conf_t));

    /* n - 1 arguments and a NULL, as argv of main() */
    d->args = strm_conf_alloc(p, n * sizeof(char *));
    if (d->args == NULL) {
        return STRM_E_NOMEM;
    }

    memcpy(d->args, argv + 1, (n - 1) * sizeof(char *));
    d->args[n - 1] = NULL;

    d->name = argv[0];
    d->argc = n - 1;
    d->file = p->file;
    d->line = line;

    a->nelts++;
    *dp = d;

    return STRM_OK;
}


static strm_rc_t
strm_conf_token(strm_conf_parser_t *p, strm_conf_token_e *type)
{
    char         ch;
    const char  *lf;

    for ( ;; ) {
        if (p->pos == p->end) {
            p->token_line = p->line;
            *type = STRM_CONF_EOF;
            return STRM_OK;
        }

        ch = *p->pos;

        if (ch == '#') {
            /* the LF is left to the loop, which counts the line */
            lf = memchr(p->pos, '\n', p->end - p->pos);
            p->pos = (lf != NULL) ? lf : p->end;
            continue;
        }

        if (!strm_conf_space(ch)) {
            break;
        }

        if (ch == '\n') {
            p->line++;
        }

        p->pos++;
    }

    p->token_line = p->line;
    *type = STRM_CONF_WORD;

    switch (ch) {

    case ';':
        p->pos++;
        *type = STRM_CONF_SEMICOLON;
        return STRM_OK;

    case '{':
        p->pos++;
        *type = STRM_CONF_OPEN;
        return STRM_OK;

    case '}':
        p->pos++;
        *type = STRM_CONF_CLOSE;
        return STRM_OK;

    case '"':
    case '\'':
        return strm_conf_quoted(p);

    default:
        return strm_conf_word(p);
    }
}


static strm_rc_t
strm_conf_word(strm_conf_parser_t *p)
{
    int          escaped, variable;
    char         ch;
    const char  *start;

    start = p->pos;
    escaped = 0;
    variable = 0;

    while (p->pos < p->end) {
        ch = *p->pos;

        if (escaped) {
            escaped = 0;
            variable = 0;

        } else if (strm_conf_space(ch) || ch == ';') {
            break;

        } else if (ch == '{') {
            /* "${name}" is a variable as in nginx, not a block */
            if (!variable) {
                break;
            }

            variable = 0;

        } else {
            escaped = (ch == '\\');
            variable = (ch == '$');
        }

        /* an escaped LF is in the word, and still ends a line */
        if (ch == '\n') {
            p->line++;
        }

        p->pos++;
    }

    return strm_conf_unescape(p, start, p->pos);
}


static strm_rc_t
strm_conf_quoted(strm_conf_parser_t *p)
{
    int          escaped;
    char         ch, quote;
    const char  *start, *last;

    quote = *p->pos++;
    start = p->pos;
    escaped = 0;

    for ( ;; ) {
        if (p->pos == p->end) {
            return strm_conf_syntax(p, p->token_line, "unterminated quote");
        }

        ch = *p->pos;

        if (escaped) {
            escaped = 0;

        } else if (ch == quote) {
            break;

        } else {
            escaped = (ch == '\\');
        }

        if (ch == '\n') {
            p->line++;
        }

        p->pos++;
    }

    last = p->pos++;

    /*
     * As nginx: "a"b would be one argument to a shell and two to a
     * lexer; neither reading is obvious, so it is refused.
     */
    if (p->pos < p->end) {
        ch = *p->pos;

        if (!strm_conf_space(ch) && ch != ';' && ch != '{') {
            if (ch > ' ' && ch < 0x7f) {
                return strm_conf_syntax(p, p->line, "unexpected \"%c\"",
                                        ch);
            }

            return strm_conf_syntax(p, p->line, "unexpected \"\\x%02x\"",
                                    (unsigned char) ch);
        }
    }

    return strm_conf_unescape(p, start, last);
}


/* copies a token into the tree, with the escapes of nginx applied */
static strm_rc_t
strm_conf_unescape(strm_conf_parser_t *p, const char *src, const char *end)
{
    char  *dst;

    if (end - src > STRM_CONF_TOKEN_MAX) {
        return strm_conf_syntax(p, p->token_line,
                                "too long token (more than %d bytes)",
                                STRM_CONF_TOKEN_MAX);
    }

    dst = strm_conf_alloc(p, (size_t) (end - src) + 1);
    if (dst == NULL) {
        return STRM_E_NOMEM;
    }

    p->word = dst;

    while (src < end) {
        if (*src == '\\' && end - src > 1) {

            switch (src[1]) {

            case '"':
            case '\'':
            case '\\':
                *dst++ = src[1];
                src += 2;
                continue;

            case 't':
                *dst++ = '\t';
                src += 2;
                continue;

            case 'r':
                *dst++ = '\r';
                src += 2;
                continue;

            case 'n':
                *dst++ = '\n';
                src += 2;
                continue;
            }
        }

        *dst++ = *src++;
    }

    *dst = '\0';

    return STRM_OK;
}


static void *
strm_conf_alloc(strm_conf_parser_t *p, size_t size)
{
    char               *m;
    size_t              n;
    strm_conf_chunk_t  *c;

    if (!STRM_CONF_EXACT) {
        size = strm_conf_align(size);
    }

    c = p->chunks;

    if (STRM_CONF_EXACT || c == NULL || (size_t) (c->end - c->pos) < size) {
        n = (STRM_CONF_EXACT || size > STRM_CONF_CHUNK) ? size
                                                         : STRM_CONF_CHUNK;

        c = malloc(strm_conf_align(sizeof(strm_conf_chunk_t)) + n);
        if (c == NULL) {
            return NULL;
        }

        c->pos = (char *) c + strm_conf_align(sizeof(strm_conf_chunk_t));
        c->end = c->pos + n;
        c->next = p->chunks;
        p->chunks = c;
    }

    m = c->pos;
    c->pos += size;

    return m;
}


static void
strm_conf_free_chunks(strm_conf_chunk_t *c)
{
    strm_conf_chunk_t  *next;

    while (c != NULL) {
        next = c->next;
        free(c);
        c = next;
    }
}


strm_rc_t
strm_conf_error(const strm_conf_t *d, char *err, size_t errlen,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    (void) strm_conf_vfail(STRM_E_BAD_REQUEST, err, errlen, d->file,
                           d->line, fmt, args);
    va_end(args);

    return STRM_E_BAD_REQUEST;
}


strm_rc_t
strm_conf_args(const strm_conf_t *d, size_t min, size_t max, char *err,
    size_t errlen)
{
    if (d->argc >= min && d->argc <= max) {
        return STRM_OK;
    }

    if (min == max && min == 0) {
        return strm_conf_error(d, err, errlen, "\"%s\" takes no arguments",
                               d->name);
    }

    if (min == max) {
        return strm_conf_error(d, err, errlen, "\"%s\" takes %zu argument%s",
                               d->name, min, (min == 1) ? "" : "s");
    }

    if (max == SIZE_MAX) {
        return strm_conf_error(d, err, errlen,
                               "\"%s\" takes at least %zu argument%s",
                               d->name, min, (min == 1) ? "" : "s");
    }

    if (min == 0) {
        return strm_conf_error(d, err, errlen,
                               "\"%s\" takes at most %zu argument%s",
                               d->name, max, (max == 1) ? "" : "s");
    }

    return strm_conf_error(d, err, errlen, "\"%s\" takes %zu to %zu arguments",
                           d->name, min, max);
}


strm_rc_t
strm_conf_msec(const char *s, int64_t *ms)
{
    int          unit, last;
    int64_t      total, value, scale;
    const char  *p;

    if (s == NULL) {
        return STRM_E_BAD_REQUEST;
    }

    p = s;
    total = 0;
    last = STRM_CONF_UNIT_NONE;

    for ( ;; ) {
        if (!strm_conf_digit(*p)) {
            return STRM_E_BAD_REQUEST;
        }

        value = 0;

        while (strm_conf_digit(*p)) {
            if (value > (INT64_MAX - (*p - '0')) / 10) {
                return STRM_E_BAD_REQUEST;
            }

            value = value * 10 + (*p++ - '0');
        }

        /* "1h 30" is refused: is the 30 minutes or seconds? */
        if (*p == '\0' && last == STRM_CONF_UNIT_NONE) {
            unit = 0;
            scale = 1000;

        } else {
            switch (*p++) {
            case 'y':
                unit = 8;
                scale = INT64_C(365) * 24 * 3600 * 1000;
                break;
            case 'M':
                unit = 7;
                scale = INT64_C(30) * 24 * 3600 * 1000;
                break;
            case 'w':
                unit = 6;
                scale = INT64_C(7) * 24 * 3600 * 1000;
                break;
            case 'd':
                unit = 5;
                scale = INT64_C(24) * 3600 * 1000;
                break;
            case 'h':
                unit = 4;
                scale = INT64_C(3600) * 1000;
                break;
            case 'm':
                if (*p == 's') {
                    p++;
                    unit = 1;
                    scale = 1;

                } else {
                    unit = 3;
                    scale = 60 * 1000;
                }

                break;
            case 's':
                unit = 2;
                scale = 1000;
                break;
            default:
                return STRM_E_BAD_REQUEST;
            }
        }

        /* each unit once, the largest first, as nginx */
        if (unit >= last) {
            return STRM_E_BAD_REQUEST;
        }

        last = unit;

        if (value > INT64_MAX / scale
            || value * scale > INT64_MAX - total)
        {
            return STRM_E_BAD_REQUEST;
        }

        total += value * scale;

        if (*p == '\0') {
            break;
        }

        /* spaces between parts; the next round wants a digit */
        while (*p == ' ') {
            p++;
        }
    }

    *ms = total;

    return STRM_OK;
}


strm_rc_t
strm_conf_size(const char *s, uint64_t *bytes)
{
    int          shift;
    uint64_t     v, digit;
    const char  *p;

    if (s == NULL || !strm_conf_digit(*s)) {
        return STRM_E_BAD_REQUEST;
    }

    v = 0;

    for (p = s; strm_conf_digit(*p); p++) {
        digit = (uint64_t) (*p - '0');

        if (v > (UINT64_MAX - digit) / 10) {
            return STRM_E_BAD_REQUEST;
        }

        v = v * 10 + digit;
    }

    switch (*p) {
    case '\0':
        shift = 0;
        break;
    case 'k':
    case 'K':
        shift = 10;
        p++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        p++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        p++;
        break;
    default:
        return STRM_E_BAD_REQUEST;
    }

    if (*p != '\0' || v > (UINT64_MAX >> shift)) {
        return STRM_E_BAD_REQUEST;
    }

    *bytes = v << shift;

    return STRM_OK;
}


strm_rc_t
strm_conf_flag(const char *s, int *on)
{
    if (s == NULL) {
        return STRM_E_BAD_REQUEST;
    }

    if (strcasecmp(s, "on") == 0) {
        *on = 1;
        return STRM_OK;
    }

    if (strcasecmp(s, "off") == 0) {
        *on = 0;
        return STRM_OK;
    }

    return STRM_E_BAD_REQUEST;
}


strm_rc_t
strm_conf_uint(const char *s, uint64_t max, uint64_t *v)
{
    uint64_t     n, digit;
    const char  *p;

    if (s == NULL || !strm_conf_digit(*s)) {
        return STRM_E_BAD_REQUEST;
    }

    n = 0;

    for (p = s; strm_conf_digit(*p); p++) {
        digit = (uint64_t) (*p - '0');

        if (n > (UINT64_MAX - digit) / 10) {
            return STRM_E_BAD_REQUEST;
        }

        n = n * 10 + digit;
    }

    if (*p != '\0' || n > max) {
        return STRM_E_BAD_REQUEST;
    }

    *v = n;

    return STRM_OK;
}


static strm_rc_t
strm_conf_syntax(strm_conf_parser_t *p, unsigned line, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    (void) strm_conf_vfail(STRM_E_BAD_REQUEST, p->err, p->errlen, p->file,
                           line, fmt, args);
    va_end(args);

    return STRM_E_BAD_REQUEST;
}


static strm_rc_t
strm_conf_fail(strm_rc_t rc, char *err, size_t errlen, const char *file,
    unsigned line, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    (void) strm_conf_vfail(rc, err, errlen, file, line, fmt, args);
    va_end(args);

    return rc;
}


/* "<file>:<line>: ", "<file>: " without a line, nothing without a file */
static strm_rc_t
strm_conf_vfail(strm_rc_t rc, char *err, size_t errlen, const char *file,
    unsigned line, const char *fmt, va_list args)
{
    int  n;

    if (err == NULL || errlen == 0) {
        return rc;
    }

    if (file == NULL) {
        n = 0;

    } else if (line > 0) {
        n = snprintf(err, errlen, "%s:%u: ", file, line);

    } else {
        n = snprintf(err, errlen, "%s: ", file);
    }

    if (n >= 0 && (size_t) n < errlen) {
        vsnprintf(err + n, errlen - (size_t) n, fmt, args);
    }

    return rc;
}
