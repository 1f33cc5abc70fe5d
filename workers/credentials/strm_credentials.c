
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-credentials: the operator's tool for the OAuth2 client
 * credentials file and the token keys file (docs/credentials.md).
 *
 *   strm-credentials new -f FILE [-c CLIENT_ID] [-o SECRET_FILE]
 *                                  a new client: its line is appended to
 *                                  FILE (created 0600), its id and secret
 *                                  are printed once as JSON, or written
 *                                  to a new SECRET_FILE made 0600
 *   strm-credentials revoke -f FILE CLIENT_ID
 *                                  FILE without that client
 *   strm-credentials list -f FILE  the client ids, one per line
 *   strm-credentials check -f FILE parses FILE as nginx would
 *   strm-credentials token-key [-k KID] [-o KEYS_FILE]
 *                                  a line for the token keys file, on
 *                                  stdout or in a new KEYS_FILE made 0600
 *
 * -o never overwrites: an existing file is refused (exit 1).
 *
 * The secret of a client is never stored, only a salted hash of it:
 * lost, it cannot be recovered, the client is revoked and made again.
 * Writers take an exclusive flock() on FILE, readers a shared one;
 * nginx reads FILE without a lock, which is safe because a line is
 * appended with one write() and revoke replaces FILE by a rename().
 *
 * Exit codes: 0 done, 1 failed (duplicate, unknown client, bad file),
 * 2 usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "strm_b64.h"
#include "strm_cred.h"
#include "strm_file.h"


#define STRM_CREDENTIALS_EX_USAGE    2
#define STRM_CREDENTIALS_KID_PREFIX  "k-"
#define STRM_CREDENTIALS_KID_CHARS   12
#define STRM_CREDENTIALS_KEY_BYTES   32
#define STRM_CREDENTIALS_LINE_MAX    512


typedef struct {
    const char  *file;
    const char  *client_id;
    const char  *kid;
    const char  *out;
} strm_credentials_opts_t;


static int strm_credentials_new(const char *path, const char *client_id,
    const char *out_path);
static int strm_credentials_revoke(const char *path, const char *client_id);
static int strm_credentials_list(const char *path, int check);
static int strm_credentials_token_key(const char *kid, const char *out_path);
static int strm_credentials_out(const char *out_path, const char *buf,
    size_t len);
static int strm_credentials_open_locked(const char *path, int flags, int op,
    int *created);
static int strm_credentials_read(const char *path, int fd, char **text,
    size_t *len);
static int strm_credentials_parse(const char *path, const char *text,
    size_t len, strm_cred_client_t **clients, size_t *n);
static int strm_credentials_known(const strm_cred_client_t *clients, size_t n,
    const char *client_id);
static size_t strm_credentials_without(const char *text, size_t len,
    const char *client_id, char *out);
static int strm_credentials_write_all(int fd, const char *buf, size_t len);
static int strm_credentials_sync_dir(const char *path);
static int strm_credentials_random_chars(char *dst, size_t n);
static void strm_credentials_free_text(char *text, size_t len);
static int strm_credentials_usage(void);


int
main(int argc, char **argv)
{
    int                      c, nargs;
    char                   **args;
    const char              *cmd;
    strm_credentials_opts_t  o;

    if (argc < 2) {
        return strm_credentials_usage();
    }

    memset(&o, 0, sizeof(o));
    cmd = argv[1];

    /* the subcommand plays argv[0]: options may come before or after */
    while ((c = getopt(argc - 1, argv + 1, "f:c:k:o:")) != -1) {
        switch (c) {
        case 'f':
            o.file = optarg;
            break;
        case 'c':
            o.client_id = optarg;
            break;
        case 'k':
            o.kid = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        default:
            return strm_credentials_usage();
        }
    }

    args = argv + 1 + optind;
    nargs = argc - 1 - optind;

    if (o.client_id != NULL
        && !strm_cred_valid_id(o.client_id, strlen(o.client_id),
                               STRM_CRED_ID_MAX))
    {
        fprintf(stderr, "strm-credentials: invalid client id: 1 to %d "
                "characters of A-Z a-z 0-9 . _ ~ -\n", STRM_CRED_ID_MAX);
        return STRM_CREDENTIALS_EX_USAGE;
    }

    if (strcmp(cmd, "new") == 0 && o.file != NULL && o.kid == NULL
        && nargs == 0)
    {
        return strm_credentials_new(o.file, o.client_id, o.out);
    }

    if (strcmp(cmd, "revoke") == 0 && o.file != NULL && o.client_id == NULL
        && o.kid == NULL && o.out == NULL && nargs == 1)
    {
        if (!strm_cred_valid_id(args[0], strlen(args[0]), STRM_CRED_ID_MAX))
        {
            fprintf(stderr, "strm-credentials: invalid client id\n");
            return STRM_CREDENTIALS_EX_USAGE;
        }

        return strm_credentials_revoke(o.file, args[0]);
    }

    if ((strcmp(cmd, "list") == 0 || strcmp(cmd, "check") == 0)
        && o.file != NULL && o.client_id == NULL && o.kid == NULL
        && o.out == NULL && nargs == 0)
    {
        return strm_credentials_list(o.file, strcmp(cmd, "check") == 0);
    }

    if (strcmp(cmd, "token-key") == 0 && o.file == NULL
        && o.client_id == NULL && nargs == 0)
    {
        if (o.kid != NULL
            && !strm_cred_valid_id(o.kid, strlen(o.kid), STRM_CRED_KID_MAX))
        {
            fprintf(stderr, "strm-credentials: invalid key id: 1 to %d "
                    "characters of A-Z a-z 0-9 . _ ~ -\n", STRM_CRED_KID_MAX);
            return STRM_CREDENTIALS_EX_USAGE;
        }

        return strm_credentials_token_key(o.kid, o.out);
    }

    return strm_credentials_usage();
}


static int
strm_credentials_new(const char *path, const char *client_id,
    const char *out_path)
{
    int                  fd, rc, created, tries;
    struct stat          ost;
    char                *text;
    size_t               len, n, off, ll;
    strm_cred_client_t  *cl, c;
    char                 secret[STRM_CRED_SECRET_LEN + 1];
    char                 line[STRM_CREDENTIALS_LINE_MAX];
    char                 out[STRM_CREDENTIALS_LINE_MAX];

    /* refused before the client exists: its secret would be lost */
    if (out_path != NULL && lstat(out_path, &ost) == 0) {
        fprintf(stderr, "strm-credentials: %s: already exists (not "
                "overwritten)\n", out_path);
        return 1;
    }

    fd = strm_credentials_open_locked(path, O_RDWR | O_APPEND | O_CREAT,
                                      LOCK_EX, &created);
    if (fd == -1) {
        return 1;
    }

    rc = 1;
    text = NULL;
    len = 0;
    cl = NULL;
    n = 0;
    secret[0] = '\0';
    memset(&c, 0, sizeof(c));

    /* umask may have taken bits from 0600, never added any */
    if (created && fchmod(fd, 0600) == -1) {
        fprintf(stderr, "strm-credentials: %s: fchmod() failed: %s\n", path,
                strerror(errno));
        goto done;
    }

    /* a line added to a file nginx cannot read would go unnoticed */
    if (strm_credentials_read(path, fd, &text, &len) != 0
        || strm_credentials_parse(path, text, len, &cl, &n) != 0)
    {
        goto done;
    }

    for (tries = 0; ; tries++) {
        /* the id is valid: only the random generator or HMAC can fail */
        if (strm_cred_new(client_id, secret, &c) != STRM_OK) {
            fprintf(stderr, "strm-credentials: cannot make a client: "
                    "RAND_bytes() or HMAC failed\n");
            goto done;
        }

        if (!strm_credentials_known(cl, n, c.client_id)) {
            break;
        }

        if (client_id != NULL || tries == 3) {
            fprintf(stderr, "strm-credentials: %s: client id \"%s\" is "
                    "already there\n", path, c.client_id);
            goto done;
        }
    }

    /* a hand-edited file may lack its final newline */
    off = 0;

    if (len > 0 && text[len - 1] != '\n') {
        line[off++] = '\n';
    }

    ll = off + strm_cred_format(&c, line + off, sizeof(line) - off);

    if (strm_credentials_write_all(fd, line, ll) != 0 || fsync(fd) == -1) {
        fprintf(stderr, "strm-credentials: %s: write failed: %s\n", path,
                strerror(errno));

        /* no half line left behind: nginx would refuse the file */
        if (ftruncate(fd, (off_t) len) == -1) {
            fprintf(stderr, "strm-credentials: %s: ftruncate() failed: %s\n",
                    path, strerror(errno));
        }

        goto done;
    }

    if (created && strm_credentials_sync_dir(path) != 0) {
        goto done;
    }

    ll = snprintf(out, sizeof(out),
                  "{\"clientId\": \"%s\", \"clientSecret\": \"%s\"}\n",
                  c.client_id, secret);

    if (out_path != NULL) {
        if (strm_credentials_out(out_path, out, ll) != 0) {
            fprintf(stderr, "strm-credentials: the secret of \"%s\" is "
                    "lost: revoke it and make a new one\n", c.client_id);
            goto done;
        }

    /* stdio would keep a copy of the secret in its buffer */
    } else if (strm_credentials_write_all(STDOUT_FILENO, out, ll) != 0) {
        fprintf(stderr, "strm-credentials: cannot print the secret of "
                "\"%s\": %s; revoke it and make a new one\n", c.client_id,
                strerror(errno));
        goto done;
    }

    rc = 0;

done:

    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(out, sizeof(out));
    OPENSSL_cleanse(line, sizeof(line));
    OPENSSL_cleanse(&c, sizeof(c));
    strm_cred_free(cl, n);
    strm_credentials_free_text(text, len);
    close(fd);

    return rc;
}


/*
 * Copies the file without the client's line, comments and the other
 * lines untouched, and renames the copy over it: nginx, reading without
 * a lock, sees either the old file or the new one.
 */
static int
strm_credentials_revoke(const char *path, const char *client_id)
{
    int                  fd, tfd, rc, created;
    char                *text, *keep, *tmp;
    size_t               len, n, klen;
    struct stat          st;
    strm_cred_client_t  *cl;

    fd = strm_credentials_open_locked(path, O_RDONLY, LOCK_EX, &created);
    if (fd == -1) {
        return 1;
    }

    rc = 1;
    tfd = -1;
    text = NULL;
    keep = NULL;
    tmp = NULL;
    len = 0;
    klen = 0;
    cl = NULL;
    n = 0;

    if (strm_credentials_read(path, fd, &text, &len) != 0
        || strm_credentials_parse(path, text, len, &cl, &n) != 0)
    {
        goto done;
    }

    if (!strm_credentials_known(cl, n, client_id)) {
        fprintf(stderr, "strm-credentials: %s: no client \"%s\"\n", path,
                client_id);
        goto done;
    }

    keep = malloc(len + 1);
    tmp = malloc(strlen(path) + sizeof(".XXXXXX"));

    if (keep == NULL || tmp == NULL || fstat(fd, &st) == -1) {
        fprintf(stderr, "strm-credentials: %s: %s\n", path,
                strerror(errno));
        goto done;
    }

    klen = strm_credentials_without(text, len, client_id, keep);

    /* in the same directory: rename() does not cross file systems */
    sprintf(tmp, "%s.XXXXXX", path);

    tfd = mkstemp(tmp);
    if (tfd == -1) {
        fprintf(stderr, "strm-credentials: %s: mkstemp() failed: %s\n",
                tmp, strerror(errno));
        goto done;
    }

    /* the file keeps its mode (0600) and, when we may, its owner */
    if (fchmod(tfd, st.st_mode & 07777) == -1
        || (fchown(tfd, st.st_uid, st.st_gid) == -1 && errno != EPERM)
        || strm_credentials_write_all(tfd, keep, klen) != 0
        || fsync(tfd) == -1)
    {
        fprintf(stderr, "strm-credentials: %s: write failed: %s\n", tmp,
                strerror(errno));
        goto done;
    }

    if (close(tfd) == -1) {
        tfd = -1;
        fprintf(stderr, "strm-credentials: %s: close() failed: %s\n", tmp,
                strerror(errno));
        goto done;
    }

    tfd = -1;

    if (rename(tmp, path) == -1) {
        fprintf(stderr, "strm-credentials: rename() to %s failed: %s\n",
                path, strerror(errno));
        goto done;
    }

    free(tmp);
    tmp = NULL;

    if (strm_credentials_sync_dir(path) != 0) {
        goto done;
    }

    rc = 0;

done:

    if (tfd != -1) {
        close(tfd);
    }

    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }

    strm_credentials_free_text(keep, klen);
    strm_credentials_free_text(text, len);
    strm_cred_free(cl, n);
    close(fd);

    return rc;
}


/* list: the ids; check: the count, and a word on a loose file mode */
static int
strm_credentials_list(const char *path, int check)
{
    int                  fd, rc, created;
    char                *text;
    size_t               i, len, n;
    struct stat          st;
    strm_cred_client_t  *cl;

    fd = strm_credentials_open_locked(path, O_RDONLY, LOCK_SH, &created);
    if (fd == -1) {
        return 1;
    }

    rc = 1;
    cl = NULL;
    n = 0;

    if (strm_credentials_read(path, fd, &text, &len) != 0) {
        close(fd);
        return 1;
    }

    if (strm_credentials_parse(path, text, len, &cl, &n) != 0) {
        goto done;
    }

    if (check) {
        printf("%zu client%s\n", n, (n == 1) ? "" : "s");

        if (fstat(fd, &st) == 0 && (st.st_mode & 0007) != 0) {
            fprintf(stderr, "strm-credentials: warning: %s is open to other "
                    "users (mode %04o), chmod 0600 it\n", path,
                    (unsigned) (st.st_mode & 07777));
        }

    } else {
        for (i = 0; i < n; i++) {
            printf("%s\n", cl[i].client_id);
        }
    }

    rc = (fflush(stdout) == 0) ? 0 : 1;

done:

    strm_cred_free(cl, n);
    strm_credentials_free_text(text, len);
    close(fd);

    return rc;
}


/* a new file, 0600, never one that exists; says why it failed */
static int
strm_credentials_out(const char *out_path, const char *buf, size_t len)
{
    char  err[256];

    if (strm_file_write_new(out_path, buf, len, err, sizeof(err)) != STRM_OK)
    {
        fprintf(stderr, "strm-credentials: %s: %s\n", out_path, err);
        return 1;
    }

    return 0;
}


static int
strm_credentials_token_key(const char *kid, const char *out_path)
{
    int            rc;
    size_t         n;
    unsigned char  key[STRM_CREDENTIALS_KEY_BYTES];
    char           gen[sizeof(STRM_CREDENTIALS_KID_PREFIX)
                       + STRM_CREDENTIALS_KID_CHARS];
    char           line[STRM_CRED_KID_MAX + 1
                        + strm_b64url_encoded_len(
                              STRM_CREDENTIALS_KEY_BYTES) + 2];

    if (kid == NULL) {
        memcpy(gen, STRM_CREDENTIALS_KID_PREFIX,
               sizeof(STRM_CREDENTIALS_KID_PREFIX) - 1);

        if (strm_credentials_random_chars(gen
                                          + sizeof(STRM_CREDENTIALS_KID_PREFIX)
                                          - 1, STRM_CREDENTIALS_KID_CHARS)
            != 0)
        {
            return 1;
        }

        kid = gen;
    }

    if (RAND_bytes(key, sizeof(key)) != 1) {
        fprintf(stderr, "strm-credentials: RAND_bytes() failed\n");
        return 1;
    }

    n = strlen(kid);
    memcpy(line, kid, n);
    line[n++] = ' ';
    n += strm_b64url_encode((unsigned char *) line + n, key, sizeof(key));
    line[n++] = '\n';

    if (out_path != NULL) {
        rc = strm_credentials_out(out_path, line, n);

        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(line, sizeof(line));

        return rc;
    }

    rc = strm_credentials_write_all(STDOUT_FILENO, line, n);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(line, sizeof(line));

    if (rc != 0) {
        fprintf(stderr, "strm-credentials: cannot print the key: %s\n",
                strerror(errno));
        return 1;
    }

    return 0;
}


/*
 * Opens path and locks it.  revoke replaces the file by a rename(): a
 * process that got the lock of the replaced file would hold a lock
 * nobody else takes any more and write to a file no longer there, so
 * it opens and locks again until its lock is on the file at path.
 * Returns the fd, or -1 after saying why.
 */
static int
strm_credentials_open_locked(const char *path, int flags, int op, int *created)
{
    int          fd, e, create;
    struct stat  st, sp;

    create = (flags & O_CREAT) != 0;
    flags = (flags & ~O_CREAT) | O_CLOEXEC;

    for ( ;; ) {
        *created = 0;
        fd = -1;

        if (create) {
            fd = open(path, flags | O_CREAT | O_EXCL, 0600);

            if (fd != -1) {
                *created = 1;

            } else if (errno != EEXIST) {
                break;
            }
        }

        if (fd == -1) {
            fd = open(path, flags);

            if (fd == -1 && errno == ENOENT && create) {
                /* removed since: make it */
                continue;
            }

            if (fd == -1) {
                break;
            }
        }

        while (flock(fd, op) == -1) {
            if (errno != EINTR) {
                e = errno;
                close(fd);
                fd = -1;
                errno = e;
                break;
            }
        }

        if (fd == -1 || fstat(fd, &st) == -1) {
            break;
        }

        if (stat(path, &sp) == 0 && sp.st_dev == st.st_dev
            && sp.st_ino == st.st_ino)
        {
            return fd;
        }

        close(fd);
    }

    e = errno;

    if (fd != -1) {
        close(fd);
    }

    fprintf(stderr, "strm-credentials: %s: cannot open: %s\n", path,
            strerror(e));

    return -1;
}


static int
strm_credentials_read(const char *path, int fd, char **text, size_t *len)
{
    char         *buf;
    size_t        size, n;
    ssize_t       r;
    struct stat   st;

    *text = NULL;
    *len = 0;

    if (fstat(fd, &st) == -1) {
        fprintf(stderr, "strm-credentials: %s: fstat() failed: %s\n", path,
                strerror(errno));
        return 1;
    }

    if (!S_ISREG(st.st_mode) || st.st_size > STRM_CRED_FILE_MAX) {
        fprintf(stderr, "strm-credentials: %s: not a regular file of at "
                "most %d MiB\n", path, STRM_CRED_FILE_MAX / (1024 * 1024));
        return 1;
    }

    size = (size_t) st.st_size;

    buf = malloc(size + 1);
    if (buf == NULL) {
        fprintf(stderr, "strm-credentials: out of memory\n");
        return 1;
    }

    /* under the lock nobody writes: the size fstat() saw is the file */
    for (n = 0; n < size; n += (size_t) r) {
        r = pread(fd, buf + n, size - n, (off_t) n);

        if (r == -1 && errno == EINTR) {
            r = 0;
            continue;
        }

        if (r == -1 || r == 0) {
            fprintf(stderr, "strm-credentials: %s: read failed: %s\n", path,
                    (r == 0) ? "the file shrank" : strerror(errno));
            strm_credentials_free_text(buf, size);
            return 1;
        }
    }

    buf[size] = '\0';
    *text = buf;
    *len = size;

    return 0;
}


static int
strm_credentials_parse(const char *path, const char *text, size_t len,
    strm_cred_client_t **clients, size_t *n)
{
    strm_rc_t  rc;
    char       err[256];

    err[0] = '\0';

    rc = strm_cred_parse(text, len, clients, n, err, sizeof(err));
    if (rc != STRM_OK) {
        fprintf(stderr, "strm-credentials: %s: %s\n", path,
                (rc == STRM_E_NOMEM) ? "out of memory" : err);
        return 1;
    }

    return 0;
}


static int
strm_credentials_known(const strm_cred_client_t *clients, size_t n,
    const char *client_id)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(clients[i].client_id, client_id) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Copies text into out without the lines whose first field is the
 * client id.  The text has parsed, so the first field of a line that is
 * neither a comment nor blank is its client id, and '#' starts no id.
 */
static size_t
strm_credentials_without(const char *text, size_t len, const char *client_id,
    char *out)
{
    size_t       idlen, n;
    const char  *p, *e, *end, *nl, *f;

    idlen = strlen(client_id);
    end = text + len;
    n = 0;

    for (p = text; p < end; p = e) {
        nl = memchr(p, '\n', end - p);
        e = (nl != NULL) ? nl + 1 : end;

        f = p;

        while (f < e && (*f == ' ' || *f == '\t')) {
            f++;
        }

        if ((size_t) (e - f) > idlen && memcmp(f, client_id, idlen) == 0
            && (f[idlen] == ' ' || f[idlen] == '\t'))
        {
            continue;
        }

        memcpy(out + n, p, e - p);
        n += e - p;
    }

    return n;
}


static int
strm_credentials_write_all(int fd, const char *buf, size_t len)
{
    ssize_t  r;

    while (len > 0) {
        r = write(fd, buf, len);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r == -1) {
            return 1;
        }

        buf += r;
        len -= (size_t) r;
    }

    return 0;
}


/* a new or renamed file survives a crash only with its directory */
static int
strm_credentials_sync_dir(const char *path)
{
    int          fd, rc;
    char        *dir, *slash;
    const char  *d;

    dir = strdup(path);
    if (dir == NULL) {
        fprintf(stderr, "strm-credentials: out of memory\n");
        return 1;
    }

    slash = strrchr(dir, '/');

    if (slash == NULL) {
        d = ".";

    } else {
        slash[slash == dir] = '\0';
        d = dir;
    }

    rc = 0;

    fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd == -1 || fsync(fd) == -1) {
        fprintf(stderr, "strm-credentials: %s: directory fsync() failed: "
                "%s\n", d, strerror(errno));
        rc = 1;
    }

    if (fd != -1) {
        close(fd);
    }

    free(dir);

    return rc;
}


/* n characters of [a-z0-9], each equally likely, and a NUL */
static int
strm_credentials_random_chars(char *dst, size_t n)
{
    size_t         i, j;
    unsigned char  b[32];

    static const char  alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    for (i = 0; i < n; /* void */) {
        if (RAND_bytes(b, sizeof(b)) != 1) {
            fprintf(stderr, "strm-credentials: RAND_bytes() failed\n");
            return 1;
        }

        /* 252 is 7 * 36: the bytes above it would favour some letters */
        for (j = 0; j < sizeof(b) && i < n; j++) {
            if (b[j] < 252) {
                dst[i++] = alphabet[b[j] % 36];
            }
        }
    }

    dst[n] = '\0';

    return 0;
}


static void
strm_credentials_free_text(char *text, size_t len)
{
    if (text != NULL) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
}


static int
strm_credentials_usage(void)
{
    fprintf(stderr,
            "usage: strm-credentials new -f FILE [-c CLIENT_ID] "
            "[-o SECRET_FILE]\n"
            "       strm-credentials revoke -f FILE CLIENT_ID\n"
            "       strm-credentials list -f FILE\n"
            "       strm-credentials check -f FILE\n"
            "       strm-credentials token-key [-k KID] [-o KEYS_FILE]\n");

    return STRM_CREDENTIALS_EX_USAGE;
}
