
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * The nginx configuration syntax of the workers: a file with every
 * construct (nested and empty blocks, both quotes, escapes, comments,
 * "${var}", CRLF) parses into the expected tree with the line of each
 * directive; every syntax error is refused with its exact
 * "file:line: reason"; the limits (arguments, depth, token length,
 * file size) hold on both sides; the argument check and the value
 * parsers accept what nginx accepts and refuse garbage, negatives and
 * overflow.
 */

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strm_conf.h"
#include "unit.h"


static char  dir[] = "/tmp/strm-test-conf-XXXXXX";


/* writes len bytes of text to dir/name; returns the path (static) */
static const char *
write_file(const char *name, const char *text, size_t len)
{
    FILE        *f;
    static char  path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "w");
    if (f == NULL) {
        return path;
    }

    fwrite(text, 1, len, f);
    fclose(f);

    return path;
}


/* parses text as "t.conf"; the root, or NULL after printing the error */
static strm_conf_t *
parse(const char *text)
{
    char          err[256];
    strm_rc_t     rc;
    strm_conf_t  *root;

    err[0] = '\0';
    rc = strm_conf_parse(text, strlen(text), "t.conf", &root, err,
                         sizeof(err));

    if (rc != STRM_OK || root == NULL) {
        printf("  rc %d, err \"%s\"\n", (int) rc, err);
        return NULL;
    }

    return root;
}


/* 1 when len bytes of text fail to parse with exactly the error want */
static int
fails_len(const char *text, size_t len, const char *want)
{
    char          err[256];
    strm_rc_t     rc;
    strm_conf_t  *root;

    err[0] = '\0';

    /* not NULL: a failing parse must clear it */
    root = (strm_conf_t *) &root;

    rc = strm_conf_parse(text, len, "t.conf", &root, err, sizeof(err));

    if (rc != STRM_E_BAD_REQUEST || root != NULL
        || strcmp(err, want) != 0)
    {
        printf("  rc %d, err \"%s\", want \"%s\"\n", (int) rc, err, want);
        strm_conf_free(rc == STRM_OK ? root : NULL);
        return 0;
    }

    return 1;
}


static int
fails(const char *text, const char *want)
{
    return fails_len(text, strlen(text), want);
}


/* 1 when d is name with the arguments of the NULL-ended list */
static int
is(const strm_conf_t *d, const char *name, unsigned line, int block,
    size_t nchildren, ...)
{
    size_t       i;
    va_list      ap;
    const char  *arg;

    if (strcmp(d->name, name) != 0 || d->line != line || d->block != block
        || d->nchildren != nchildren
        || (block ? d->children == NULL : d->children != NULL)
        || strcmp(d->file, "t.conf") != 0)
    {
        printf("  \"%s\" line %u block %d nchildren %zu\n", d->name,
               d->line, d->block, d->nchildren);
        return 0;
    }

    va_start(ap, nchildren);

    for (i = 0; (arg = va_arg(ap, const char *)) != NULL; i++) {
        if (i >= d->argc || strcmp(d->args[i], arg) != 0) {
            printf("  \"%s\": argument %zu is not \"%s\"\n", d->name, i,
                   arg);
            va_end(ap);
            return 0;
        }
    }

    va_end(ap);

    if (i != d->argc || d->args[i] != NULL) {
        printf("  \"%s\": %zu arguments, want %zu\n", d->name, d->argc, i);
        return 0;
    }

    return 1;
}


static void
test_good(void)
{
    strm_conf_t  *root, *d, *k;

    static const char  good[] =
        "# a comment line\n"
        "workers 2;  # a comment after a directive\n"
        "empty {}\n"
        "kafka {\n"
        "    brokers \"localhost:9092\" 'b2:9092';\n"
        "    topic \"a b\\\"c\\\\d\" 'it\\'s';\n"
        "    nested on {\n"
        "        deeper {\n"
        "            x \"tab\\there\" \"nl\\nx\" '\\d' cr\\r;\n"
        "        }\n"
        "        spaced { }\n"
        "    }\n"
        "}\n"
        "word#not x#y a}b;\n"
        "set ${var}x \"\" '';\n"
        "a;b;c\n"
        ";\n"
        "multi \"line1\n"
        "line2\" after;\n"
        "esc a\\ b a\\;b a\\\"b ~^\\d+$;\n"
        "loc /x{ y; }\n"
        "tail 1;";

    root = parse(good);
    CHECK(root != NULL, "a file with every construct parses");
    if (root == NULL) {
        return;
    }

    CHECK(strcmp(root->name, "") == 0 && root->block == 1
          && root->argc == 0 && root->args != NULL && root->args[0] == NULL
          && root->line == 0 && strcmp(root->file, "t.conf") == 0
          && root->children != NULL && root->nchildren == 12,
          "the root: no name, a block of the 12 top-level directives");

    d = root->children;

    CHECK(is(&d[0], "workers", 2, 0, 0, "2", NULL),
          "a directive, comments skipped");
    CHECK(is(&d[1], "empty", 3, 1, 0, NULL),
          "an empty block is a block");

    k = &d[2];
    CHECK(is(k, "kafka", 4, 1, 3, NULL), "a block");
    CHECK(is(&k->children[0], "brokers", 5, 0, 0, "localhost:9092",
             "b2:9092", NULL),
          "double and single quotes");
    CHECK(is(&k->children[1], "topic", 6, 0, 0, "a b\"c\\d", "it's", NULL),
          "escaped quotes and backslash in quotes");
    CHECK(is(&k->children[2], "nested", 7, 1, 2, "on", NULL),
          "a block with an argument");
    CHECK(is(&k->children[2].children[0], "deeper", 8, 1, 1, NULL),
          "a block in a block in a block");
    CHECK(is(&k->children[2].children[0].children[0], "x", 9, 0, 0,
             "tab\there", "nl\nx", "\\d", "cr\r", NULL),
          "\\t \\n \\r become control characters, \\d stays");
    CHECK(is(&k->children[2].children[1], "spaced", 11, 1, 0, NULL),
          "an empty block with a space");

    CHECK(is(&d[3], "word#not", 14, 0, 0, "x#y", "a}b", NULL),
          "# inside a word and } inside a word are characters");
    CHECK(is(&d[4], "set", 15, 0, 0, "${var}x", "", "", NULL),
          "${var} stays in the word; empty quoted arguments");
    CHECK(is(&d[5], "a", 16, 0, 0, NULL) && is(&d[6], "b", 16, 0, 0, NULL)
          && is(&d[7], "c", 16, 0, 0, NULL),
          "directives on one line; the line is the name's");
    CHECK(is(&d[8], "multi", 18, 0, 0, "line1\nline2", "after", NULL),
          "a quoted argument over two lines");
    CHECK(is(&d[9], "esc", 20, 0, 0, "a\\ b", "a\\;b", "a\"b", "~^\\d+$",
             NULL),
          "a backslash keeps a space or ';' in an unquoted word");
    CHECK(is(&d[10], "loc", 21, 1, 1, "/x", NULL)
          && is(&d[10].children[0], "y", 21, 0, 0, NULL),
          "'{' ends a word; a block on one line");
    CHECK(is(&d[11], "tail", 22, 0, 0, "1", NULL),
          "no newline at the end of the file");

    strm_conf_free(root);

    root = parse("a 1;\r\nb {\r\n  c \"x\" y;\r\n}\r\n\r\nd;\r\n");
    CHECK(root != NULL && root->nchildren == 3
          && is(&root->children[0], "a", 1, 0, 0, "1", NULL)
          && is(&root->children[1], "b", 2, 1, 1, NULL)
          && is(&root->children[1].children[0], "c", 3, 0, 0, "x", "y",
                NULL)
          && is(&root->children[2], "d", 6, 0, 0, NULL),
          "CRLF: CR is whitespace, lines are counted");
    strm_conf_free(root);

    root = parse("a b\\\nc;\nd;");
    CHECK(root != NULL && root->nchildren == 2
          && is(&root->children[0], "a", 1, 0, 0, "b\\\nc", NULL)
          && is(&root->children[1], "d", 3, 0, 0, NULL),
          "an escaped LF stays in the word and counts the line");
    strm_conf_free(root);

    root = parse("");
    CHECK(root != NULL && root->nchildren == 0 && root->children != NULL
          && root->block == 1,
          "an empty file is an empty root");
    strm_conf_free(root);

    root = parse("# nothing\n  \t\r\n# else");
    CHECK(root != NULL && root->nchildren == 0,
          "a file of comments is an empty root");
    strm_conf_free(root);

    CHECK(strm_conf_parse(NULL, 0, "t.conf", &root, NULL, 0) == STRM_OK
          && root != NULL && root->nchildren == 0,
          "no text at all");
    strm_conf_free(root);

    strm_conf_free(NULL);
}


static void
test_errors(void)
{
    char          err[8];
    strm_conf_t  *root;

    CHECK(fails("a;\n}\n", "t.conf:2: unexpected \"}\""),
          "a \"}\" without a block");
    CHECK(fails("a }", "t.conf:1: unexpected \"}\""),
          "a \"}\" without a block after a directive");
    CHECK(fails("a {\n b 1\n}\n", "t.conf:3: missing \";\" before \"}\""),
          "a missing \";\" before \"}\"");
    CHECK(fails("a {\n b;\n c {\n }\n",
                "t.conf:1: unexpected end of file, expecting \"}\""),
          "an unclosed block: the line of its directive");
    CHECK(fails("a {\n b {\n c;\n",
                "t.conf:2: unexpected end of file, expecting \"}\""),
          "the innermost unclosed block");
    CHECK(fails("a;\nb c",
                "t.conf:2: unexpected end of file, "
                "expecting \";\" or \"}\""),
          "an unfinished directive");
    CHECK(fails("a;\nb\n  c\n\n",
                "t.conf:2: unexpected end of file, "
                "expecting \";\" or \"}\""),
          "an unfinished directive: the line of its name");
    CHECK(fails("x {\n b c",
                "t.conf:2: unexpected end of file, "
                "expecting \";\" or \"}\""),
          "an unfinished directive in a block");
    CHECK(fails("a \"b;\n\n", "t.conf:1: unterminated quote"),
          "an unterminated double quote");
    CHECK(fails("a;\nb 'c\\'\n", "t.conf:2: unterminated quote"),
          "an unterminated single quote, its end escaped");
    CHECK(fails("a;\n;\n", "t.conf:2: unexpected \";\""),
          "a directive without name");
    CHECK(fails("\n{ }", "t.conf:2: unexpected \"{\""),
          "a \"{\" without name");
    CHECK(fails("a;\n\"\" x;", "t.conf:2: directive without name"),
          "an empty quoted name");
    CHECK(fails("'' {}", "t.conf:1: directive without name"),
          "an empty quoted block name");
    CHECK(fails("a \"b\"c;", "t.conf:1: unexpected \"c\""),
          "a character glued to a closing quote");
    CHECK(fails("a 'b'#c;", "t.conf:1: unexpected \"#\""),
          "a comment glued to a closing quote");
    CHECK(fails("a {\n b \"c\"}", "t.conf:2: unexpected \"}\""),
          "a \"}\" glued to a closing quote");
    CHECK(fails("a \"b\nc\"d;", "t.conf:2: unexpected \"d\""),
          "the line of the closing quote");
    CHECK(fails("a \"b\"\x01;", "t.conf:1: unexpected \"\\x01\""),
          "a control character is shown escaped");
    CHECK(fails_len("a;\nb\0;", 6, "t.conf:2: unexpected NUL byte"),
          "a NUL byte");
    CHECK(fails_len("a;\n\n# \0\n", 7, "t.conf:3: unexpected NUL byte"),
          "a NUL byte in a comment");

    /* the message is cut to the buffer, and never required */
    CHECK(strm_conf_parse("}", 1, "t.conf", &root, err, sizeof(err))
          == STRM_E_BAD_REQUEST && strcmp(err, "t.conf:") == 0,
          "a small error buffer");
    CHECK(strm_conf_parse("}", 1, "t.conf", &root, NULL, 0)
          == STRM_E_BAD_REQUEST && root == NULL,
          "no error buffer");
}


/* "a", a line end and an argument of n bytes within quote */
static const char *
token(char *buf, const char *quote, size_t n)
{
    size_t  q;

    q = strlen(quote);

    memcpy(buf, "a\n", 2);
    memcpy(buf + 2, quote, q);
    memset(buf + 2 + q, 'x', n);
    memcpy(buf + 2 + q + n, quote, q);
    strcpy(buf + 2 + 2 * q + n, ";");

    return buf;
}


static void
test_limits(void)
{
    char          *buf, *p;
    size_t         i, len;
    strm_conf_t   *root, *d;

    len = STRM_CONF_FILE_MAX + 2;
    buf = malloc(len);
    if (buf == NULL) {
        CHECK(0, "malloc");
        return;
    }

    /* 64 arguments, then a 65th on line 2 */
    p = buf;
    p += sprintf(p, "a");
    for (i = 0; i < STRM_CONF_ARGS_MAX; i++) {
        p += sprintf(p, " x");
    }

    strcpy(p, ";");
    root = parse(buf);
    CHECK(root != NULL && root->children[0].argc == STRM_CONF_ARGS_MAX,
          "64 arguments");
    strm_conf_free(root);

    strcpy(p, "\n x;");
    CHECK(fails(buf, "t.conf:2: too many arguments (more than 64)"),
          "65 arguments");

    /* 32 nested blocks, then a 33rd on line 33 */
    p = buf;
    for (i = 0; i < STRM_CONF_DEPTH_MAX; i++) {
        p += sprintf(p, "b {\n");
    }

    for (i = 0; i < STRM_CONF_DEPTH_MAX; i++) {
        p += sprintf(p, "}\n");
    }

    root = parse(buf);
    for (d = root, i = 0; d != NULL && d->nchildren == 1; i++) {
        d = d->children;
    }

    CHECK(root != NULL && i == STRM_CONF_DEPTH_MAX && d->nchildren == 0
          && d->line == STRM_CONF_DEPTH_MAX,
          "32 nested blocks");
    strm_conf_free(root);

    p = buf;
    for (i = 0; i <= STRM_CONF_DEPTH_MAX; i++) {
        p += sprintf(p, "b {\n");
    }

    CHECK(fails(buf, "t.conf:33: too deep nesting (more than 32 levels)"),
          "33 nested blocks");

    /* tokens of 4096 and 4097 bytes, quoted or not */
    root = parse(token(buf, "", STRM_CONF_TOKEN_MAX));
    CHECK(root != NULL
          && strlen(root->children[0].args[0]) == STRM_CONF_TOKEN_MAX,
          "a word of 4096 bytes");
    strm_conf_free(root);

    CHECK(fails(token(buf, "", STRM_CONF_TOKEN_MAX + 1),
                "t.conf:2: too long token (more than 4096 bytes)"),
          "a word of 4097 bytes");

    root = parse(token(buf, "'", STRM_CONF_TOKEN_MAX));
    CHECK(root != NULL
          && strlen(root->children[0].args[0]) == STRM_CONF_TOKEN_MAX,
          "a quoted argument of 4096 bytes");
    strm_conf_free(root);

    CHECK(fails(token(buf, "\"", STRM_CONF_TOKEN_MAX + 1),
                "t.conf:2: too long token (more than 4096 bytes)"),
          "a quoted argument of 4097 bytes");

    p = buf;
    p += sprintf(p, "a \"");
    for (i = 0; i < STRM_CONF_TOKEN_MAX / 2; i++) {
        p += sprintf(p, "\\n");
    }

    strcpy(p, "\";");
    root = parse(buf);
    CHECK(root != NULL
          && strlen(root->children[0].args[0]) == STRM_CONF_TOKEN_MAX / 2,
          "the limit is on the bytes of the file, before unescaping");
    strm_conf_free(root);

    /* 16 MiB parses, one byte more does not */
    memset(buf, ' ', len);
    memcpy(buf, "a;", 2);
    CHECK(strm_conf_parse(buf, STRM_CONF_FILE_MAX, "t.conf", &root, NULL, 0)
          == STRM_OK && root->nchildren == 1,
          "16 MiB of text");
    strm_conf_free(root);

    CHECK(fails_len(buf, STRM_CONF_FILE_MAX + 1,
                    "t.conf: larger than 16 MiB"),
          "more than 16 MiB of text");

    free(buf);
}


static void
test_file(void)
{
    int            fd;
    char           err[256], want[256];
    strm_rc_t      rc;
    const char    *path;
    strm_conf_t   *root;

    static const char  text[] = "a 1;\nb {\n    c \"x y\";\n}\n";

    path = write_file("good.conf", text, sizeof(text) - 1);
    rc = strm_conf_parse_file(path, &root, err, sizeof(err));
    CHECK(rc == STRM_OK && root->nchildren == 2
          && strcmp(root->file, path) == 0
          && strcmp(root->children[1].children[0].file, path) == 0
          && root->children[1].children[0].line == 3
          && strcmp(root->children[1].children[0].args[0], "x y") == 0,
          "a file parses; its directives name it");
    strm_conf_free(root);

    path = write_file("bad.conf", "a 1;\nb {\n", 9);
    rc = strm_conf_parse_file(path, &root, err, sizeof(err));
    snprintf(want, sizeof(want),
             "%s:2: unexpected end of file, expecting \"}\"", path);
    CHECK(rc == STRM_E_BAD_REQUEST && root == NULL
          && strcmp(err, want) == 0,
          "a syntax error names the file and the line");

    path = write_file("none.conf", "", 0);
    unlink(path);
    rc = strm_conf_parse_file(path, &root, err, sizeof(err));
    snprintf(want, sizeof(want),
             "%s: cannot open: No such file or directory", path);
    CHECK(rc == STRM_E_NOT_FOUND && root == NULL && strcmp(err, want) == 0,
          "a missing file is not found");

    rc = strm_conf_parse_file(dir, &root, err, sizeof(err));
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
    CHECK(rc == STRM_E_INTERNAL && root == NULL && strcmp(err, want) == 0,
          "a directory cannot be read");

    rc = strm_conf_parse_file("/dev/null", &root, err, sizeof(err));
    CHECK(rc == STRM_OK && root->nchildren == 0,
          "a file that is not a regular one is read to its end");
    strm_conf_free(root);

    path = write_file("big.conf", "", 0);
    fd = open(path, O_WRONLY);
    if (fd == -1 || ftruncate(fd, STRM_CONF_FILE_MAX + 1) == -1) {
        CHECK(0, "ftruncate");
    }

    if (fd != -1) {
        close(fd);
    }

    rc = strm_conf_parse_file(path, &root, err, sizeof(err));
    snprintf(want, sizeof(want), "%s: larger than 16 MiB", path);
    CHECK(rc == STRM_E_BAD_REQUEST && root == NULL
          && strcmp(err, want) == 0,
          "a file larger than 16 MiB");

    unlink(path);
}


static void
test_helpers(void)
{
    char          err[256], small[5];
    strm_conf_t  *root, *d;

    root = parse("\n\na 1 2;\nb;\n");
    if (root == NULL) {
        CHECK(0, "parse");
        return;
    }

    d = &root->children[0];

    CHECK(strm_conf_error(d, err, sizeof(err), "invalid value \"%s\"",
                          d->args[0])
          == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: invalid value \"1\"") == 0,
          "an error at a directive");
    CHECK(strm_conf_error(root, err, sizeof(err), "no \"%s\"", "brokers")
          == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf: no \"brokers\"") == 0,
          "an error at the root has no line");
    CHECK(strm_conf_error(d, small, sizeof(small), "x") == STRM_E_BAD_REQUEST
          && strcmp(small, "t.co") == 0,
          "an error is cut to the buffer");
    CHECK(strm_conf_error(d, NULL, 0, "x") == STRM_E_BAD_REQUEST,
          "an error without a buffer");

    CHECK(strm_conf_args(d, 2, 2, err, sizeof(err)) == STRM_OK
          && strm_conf_args(d, 0, 2, err, sizeof(err)) == STRM_OK
          && strm_conf_args(d, 1, SIZE_MAX, err, sizeof(err)) == STRM_OK,
          "argument counts that fit");

    CHECK(strm_conf_args(d, 1, 1, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes 1 argument") == 0,
          "exactly 1 argument");
    CHECK(strm_conf_args(d, 3, 3, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes 3 arguments") == 0,
          "exactly 3 arguments");
    CHECK(strm_conf_args(d, 0, 0, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes no arguments") == 0,
          "no argument");
    CHECK(strm_conf_args(d, 3, SIZE_MAX, err, sizeof(err))
          == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes at least 3 arguments") == 0,
          "at least 3 arguments");
    CHECK(strm_conf_args(d, 0, 1, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes at most 1 argument") == 0,
          "at most 1 argument");
    CHECK(strm_conf_args(d, 3, 5, err, sizeof(err)) == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:3: \"a\" takes 3 to 5 arguments") == 0,
          "3 to 5 arguments");
    CHECK(strm_conf_args(&root->children[1], 1, SIZE_MAX, err, sizeof(err))
          == STRM_E_BAD_REQUEST
          && strcmp(err, "t.conf:4: \"b\" takes at least 1 argument") == 0,
          "at least 1 argument, none given");

    strm_conf_free(root);
}


static int
msec_is(const char *s, int64_t want)
{
    int64_t  ms;

    ms = -42;

    return strm_conf_msec(s, &ms) == STRM_OK && ms == want;
}


static int
msec_bad(const char *s)
{
    int64_t  ms;

    ms = -42;

    return strm_conf_msec(s, &ms) == STRM_E_BAD_REQUEST && ms == -42;
}


static int
size_is(const char *s, uint64_t want)
{
    uint64_t  n;

    n = 42;

    return strm_conf_size(s, &n) == STRM_OK && n == want;
}


static int
size_bad(const char *s)
{
    uint64_t  n;

    n = 42;

    return strm_conf_size(s, &n) == STRM_E_BAD_REQUEST && n == 42;
}


static int
uint_is(const char *s, uint64_t max, uint64_t want)
{
    uint64_t  n;

    n = 42;

    return strm_conf_uint(s, max, &n) == STRM_OK && n == want;
}


static int
uint_bad(const char *s, uint64_t max)
{
    uint64_t  n;

    n = 42;

    return strm_conf_uint(s, max, &n) == STRM_E_BAD_REQUEST && n == 42;
}


static void
test_values(void)
{
    int  on;

    CHECK(msec_is("0", 0) && msec_is("10", 10000) && msec_is("007", 7000),
          "msec: a bare number is seconds");
    CHECK(msec_is("10s", 10000) && msec_is("500ms", 500)
          && msec_is("5m", 300000) && msec_is("1h", 3600000)
          && msec_is("1d", 86400000) && msec_is("1w", 604800000)
          && msec_is("1M", INT64_C(2592000000))
          && msec_is("1y", INT64_C(31536000000)),
          "msec: every unit");
    CHECK(msec_is("1h30m", 5400000) && msec_is("1h 30m", 5400000)
          && msec_is("1m  30s 500ms", 90500),
          "msec: parts, largest first, spaces between");
    CHECK(msec_is("9223372036854775807ms", INT64_MAX)
          && msec_is("9223372036854775s", INT64_C(9223372036854775000))
          && msec_is("106751991167d", INT64_C(9223372036828800000)),
          "msec: the largest values");
    CHECK(msec_bad("") && msec_bad("10x") && msec_bad("-1")
          && msec_bad("1.5s") && msec_bad(" 1s") && msec_bad("1s ")
          && msec_bad("s") && msec_bad("ms") && msec_bad("1S")
          && msec_bad("1mss") && msec_bad("1s1") && msec_bad(NULL),
          "msec: garbage");
    CHECK(msec_bad("30m 1h") && msec_bad("1m1m") && msec_bad("1h 30"),
          "msec: parts out of order, twice, or a bare number after one");
    CHECK(msec_bad("9223372036854775808ms") && msec_bad("9223372036854776")
          && msec_bad("106751991168d") && msec_bad("1y 106751991167d")
          && msec_bad("99999999999999999999999"),
          "msec: overflow");

    CHECK(size_is("0", 0) && size_is("1", 1) && size_is("64k", 65536)
          && size_is("64K", 65536) && size_is("1m", 1048576)
          && size_is("1M", 1048576) && size_is("1g", 1073741824)
          && size_is("1G", 1073741824)
          && size_is("18446744073709551615", UINT64_MAX)
          && size_is("17179869183g", UINT64_MAX - 1073741823),
          "size: bare and with units");
    CHECK(size_bad("") && size_bad("10x") && size_bad("-1")
          && size_bad("1kb") && size_bad("k") && size_bad("1 k")
          && size_bad(" 1") && size_bad("1.5m") && size_bad(NULL),
          "size: garbage");
    CHECK(size_bad("18446744073709551616") && size_bad("17179869184g")
          && size_bad("18014398509481984k"),
          "size: overflow");

    on = 42;
    CHECK(strm_conf_flag("on", &on) == STRM_OK && on == 1
          && strm_conf_flag("off", &on) == STRM_OK && on == 0
          && strm_conf_flag("ON", &on) == STRM_OK && on == 1
          && strm_conf_flag("Off", &on) == STRM_OK && on == 0,
          "flag: on and off, in any case");

    on = 42;
    CHECK(strm_conf_flag("", &on) == STRM_E_BAD_REQUEST
          && strm_conf_flag("yes", &on) == STRM_E_BAD_REQUEST
          && strm_conf_flag("1", &on) == STRM_E_BAD_REQUEST
          && strm_conf_flag("onn", &on) == STRM_E_BAD_REQUEST
          && strm_conf_flag("of", &on) == STRM_E_BAD_REQUEST
          && strm_conf_flag(NULL, &on) == STRM_E_BAD_REQUEST && on == 42,
          "flag: garbage");

    CHECK(uint_is("0", 0, 0) && uint_is("42", 100, 42)
          && uint_is("100", 100, 100) && uint_is("0100", 100, 100)
          && uint_is("18446744073709551615", UINT64_MAX, UINT64_MAX),
          "uint: up to the maximum");
    CHECK(uint_bad("101", 100) && uint_bad("1", 0)
          && uint_bad("18446744073709551616", UINT64_MAX)
          && uint_bad("99999999999999999999999", UINT64_MAX),
          "uint: above the maximum, overflow");
    CHECK(uint_bad("", 100) && uint_bad("-1", 100) && uint_bad("+1", 100)
          && uint_bad("10x", 100) && uint_bad(" 1", 100)
          && uint_bad("0x10", 100) && uint_bad(NULL, 100),
          "uint: garbage");
}


int
main(void)
{
    char  path[128];

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_good();
    test_errors();
    test_limits();
    test_file();
    test_helpers();
    test_values();

    snprintf(path, sizeof(path), "%s/good.conf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/bad.conf", dir);
    unlink(path);
    rmdir(dir);

    return UNIT_DONE();
}
