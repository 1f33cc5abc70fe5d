
/*
 * Copyright (C) ngx_strm authors
 */


#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "strm_worker_main.h"


#define STRM_W_OPTIONS_MAX  64


typedef struct {
    char                 *name;
    char                 *value;
} strm_w_prop_t;


/* TERM or INT seen (counted up to 2), HUP or USR1 seen */
static volatile sig_atomic_t  strm_w_quit;
static volatile sig_atomic_t  strm_w_hup;

static const char     *strm_w_name = "strm-worker";
static char           *strm_w_log_path;
static int             strm_w_verbosity = STRM_W_LOG_NOTICE;

/* strm_w_quit when the drain began: one more signal ends it */
static int             strm_w_draining;
static sig_atomic_t    strm_w_quit_drain;

static strm_w_prop_t  *strm_w_props;
static size_t          strm_w_nprops;

static const char     *strm_w_levels[] = {
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};


static int strm_w_args(strm_w_t *w, int argc, char **argv);
static int strm_w_prop(strm_w_t *w, char *arg);
static int strm_w_signals(void);
static void strm_w_signal(int signo);
static int strm_w_at_once(void);


/*
 * The steps in nginx's order.  A hook's exit code other than 0 ends the
 * program with it; stop runs only after run, free always.
 */
int
strm_w_main(const strm_w_program_t *p, void *data, int argc, char **argv)
{
    int        rc;
    strm_w_t   w;

    memset(&w, 0, sizeof(strm_w_t));
    w.program = p;
    w.data = data;
    strm_w_name = p->name;

    rc = strm_w_args(&w, argc, argv);
    if (rc != STRM_W_EX_OK) {
        goto done;
    }

    if (p->conf != NULL) {
        rc = p->conf(&w);
        if (rc != STRM_W_EX_OK) {
            goto failed;
        }
    }

    if (w.test) {
        rc = p->test != NULL ? p->test(&w) : STRM_W_EX_OK;
        goto done;
    }

    if (w.error_log != NULL
        && strm_w_open_log(w.error_log, w.err, sizeof(w.err)) != 0)
    {
        rc = STRM_W_EX_CONFIG;
        goto failed;
    }

    if (!w.oneshot && strm_w_signals() != 0) {
        rc = STRM_W_EX_FAILED;
        goto done;
    }

    if (p->start != NULL) {
        rc = p->start(&w);
        if (rc != STRM_W_EX_OK) {
            goto failed;
        }
    }

    w.rc = p->run(&w);

    if (p->drain != NULL) {
        strm_w_quit_drain = strm_w_quit;
        strm_w_draining = 1;

        if (!strm_w_at_once()) {
            (void) p->drain(&w);
        }

        if (strm_w_at_once()) {
            strm_w_log(STRM_W_LOG_WARN, "second signal: exiting without "
                       "draining");
            _exit(STRM_W_EX_FAILED);
        }
    }

    rc = p->stop != NULL ? p->stop(&w) : w.rc;

    goto done;

failed:

    if (w.err[0] != '\0') {
        strm_w_log(STRM_W_LOG_EMERG, "%s", w.err);
    }

done:

    if (p->free != NULL) {
        p->free(&w);
    }

    free(strm_w_props);
    strm_w_props = NULL;
    strm_w_nprops = 0;

    return rc;
}


static int
strm_w_args(strm_w_t *w, int argc, char **argv)
{
    int                      c, rc;
    size_t                   n;
    const strm_w_program_t  *p;
    char                     opts[STRM_W_OPTIONS_MAX];

    p = w->program;

    n = (size_t) snprintf(opts, sizeof(opts), "%s%s%s",
                          (p->flags & STRM_W_OPT_CONF) ? "c:t" : "",
                          (p->flags & STRM_W_OPT_KAFKA) ? "X:" : "",
                          p->options != NULL ? p->options : "");
    if (n >= sizeof(opts)) {
        return STRM_W_EX_FAILED;
    }

    while ((c = getopt(argc, argv, opts)) != -1) {

        if ((p->flags & STRM_W_OPT_CONF) && c == 'c') {
            w->conf_file = optarg;
            continue;
        }

        if ((p->flags & STRM_W_OPT_CONF) && c == 't') {
            w->test = 1;
            continue;
        }

        if ((p->flags & STRM_W_OPT_KAFKA) && c == 'X') {
            rc = strm_w_prop(w, optarg);
            if (rc != STRM_W_EX_OK) {
                return rc;
            }

            continue;
        }

        rc = p->option != NULL ? p->option(w, c, optarg) : strm_w_usage(w);
        if (rc != STRM_W_EX_OK) {
            return rc;
        }
    }

    w->argc = argc - optind;
    w->argv = argv + optind;

    if ((p->flags & STRM_W_OPT_CONF) && w->conf_file == NULL) {
        return strm_w_usage(w);
    }

    if (p->operands != NULL) {
        return p->operands(w);
    }

    return w->argc == 0 ? STRM_W_EX_OK : strm_w_usage(w);
}


/*
 * "-X name=value", as kcat's: checked at once against a scratch
 * configuration, so that a wrong name or value is a usage error that
 * names it, not a failure later.
 */
static int
strm_w_prop(strm_w_t *w, char *arg)
{
    char                *eq;
    strm_w_prop_t       *props;
    rd_kafka_conf_t     *conf;
    rd_kafka_conf_res_t  res;
    char                 errstr[512];

    (void) w;

    eq = strchr(arg, '=');

    if (eq == NULL || eq == arg) {
        strm_w_log(STRM_W_LOG_EMERG, "invalid -X \"%s\": expected "
                   "name=value", arg);
        return STRM_W_EX_USAGE;
    }

    *eq = '\0';

    conf = rd_kafka_conf_new();
    res = rd_kafka_conf_set(conf, arg, eq + 1, errstr, sizeof(errstr));
    rd_kafka_conf_destroy(conf);

    if (res != RD_KAFKA_CONF_OK) {
        strm_w_log(STRM_W_LOG_EMERG, "invalid -X \"%s\": %s", arg, errstr);
        return STRM_W_EX_USAGE;
    }

    props = realloc(strm_w_props, (strm_w_nprops + 1) * sizeof(*props));
    if (props == NULL) {
        return STRM_W_EX_FAILED;
    }

    props[strm_w_nprops].name = arg;
    props[strm_w_nprops].value = eq + 1;

    strm_w_props = props;
    strm_w_nprops++;

    return STRM_W_EX_OK;
}


int
strm_w_kafka_props(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    size_t  i;
    char    errstr[512];

    for (i = 0; i < strm_w_nprops; i++) {
        if (rd_kafka_conf_set(conf, strm_w_props[i].name,
                              strm_w_props[i].value, errstr, sizeof(errstr))
            != RD_KAFKA_CONF_OK)
        {
            snprintf(err, errlen, "-X \"%s\": %s", strm_w_props[i].name,
                     errstr);
            return -1;
        }
    }

    return 0;
}


int
strm_w_usage(strm_w_t *w)
{
    fprintf(stderr, "usage: %s", w->program->usage);

    return STRM_W_EX_USAGE;
}


static int
strm_w_signals(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(struct sigaction));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = strm_w_signal;

    if (sigaction(SIGTERM, &sa, NULL) == -1
        || sigaction(SIGINT, &sa, NULL) == -1
        || sigaction(SIGHUP, &sa, NULL) == -1
        || sigaction(SIGUSR1, &sa, NULL) == -1)
    {
        strm_w_log(STRM_W_LOG_ALERT, "sigaction() failed (%d: %s)", errno,
                   strerror(errno));
        return -1;
    }

    sa.sa_handler = SIG_IGN;

    if (sigaction(SIGPIPE, &sa, NULL) == -1) {
        strm_w_log(STRM_W_LOG_ALERT, "sigaction(SIGPIPE) failed (%d: %s)",
                   errno, strerror(errno));
        return -1;
    }

    return 0;
}


/* flags only: the loops look at them at least every 100 ms */
static void
strm_w_signal(int signo)
{
    /* HUP, or USR1 as nginx's "reopen": the logs are opened again */
    if (signo == SIGHUP || signo == SIGUSR1) {
        strm_w_hup = 1;
        return;
    }

    if (strm_w_quit < 2) {
        strm_w_quit++;
    }
}


static int
strm_w_at_once(void)
{
    return strm_w_quit >= 2 || strm_w_quit > strm_w_quit_drain;
}


int
strm_w_stopping(void)
{
    return strm_w_draining ? strm_w_at_once() : strm_w_quit > 0;
}


void
strm_w_stop(void)
{
    if (strm_w_draining) {
        strm_w_quit = 2;

    } else if (strm_w_quit == 0) {
        strm_w_quit = 1;
    }
}


int
strm_w_reopen(void)
{
    int  fd;

    if (!strm_w_hup) {
        return 0;
    }

    strm_w_hup = 0;

    if (strm_w_log_path == NULL) {
        return 1;
    }

    fd = open(strm_w_log_path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (fd == -1) {
        strm_w_log(STRM_W_LOG_ERR, "cannot reopen error_log \"%s\": %s",
                   strm_w_log_path, strerror(errno));
        return 1;
    }

    dup2(fd, STDERR_FILENO);
    close(fd);

    strm_w_log(STRM_W_LOG_NOTICE, "log reopened");

    return 1;
}


int
strm_w_open_log(const char *path, char *err, size_t errlen)
{
    int  fd;

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (fd == -1) {
        snprintf(err, errlen, "error_log \"%s\": %s", path, strerror(errno));
        return -1;
    }

    dup2(fd, STDERR_FILENO);
    close(fd);

    free(strm_w_log_path);
    strm_w_log_path = strdup(path);

    return 0;
}


void
strm_w_log(int level, const char *fmt, ...)
{
    int         n, len;
    time_t      now;
    va_list     args;
    struct tm   tm;
    char        buf[2048];

    if (level > strm_w_verbosity) {
        return;
    }

    if (level < STRM_W_LOG_EMERG) {
        level = STRM_W_LOG_EMERG;
    }

    now = time(NULL);
    (void) localtime_r(&now, &tm);

    len = (int) strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S", &tm);

    n = snprintf(buf + len, sizeof(buf) - len, " [%s] %ld#0: %s: ",
                 strm_w_levels[level], (long) getpid(), strm_w_name);
    if (n > 0) {
        len += n;
    }

    va_start(args, fmt);
    n = vsnprintf(buf + len, sizeof(buf) - len - 1, fmt, args);
    va_end(args);

    if (n > 0) {
        len += n;
    }

    if (len > (int) sizeof(buf) - 2) {
        len = (int) sizeof(buf) - 2;
    }

    buf[len++] = '\n';

    /* one write() per line: librdkafka's threads log too */

    if (write(STDERR_FILENO, buf, len) == -1) {
        /* nowhere to report it */
    }
}


void
strm_w_log_verbose(void)
{
    if (strm_w_verbosity < STRM_W_LOG_DEBUG) {
        strm_w_verbosity++;
    }
}


int
strm_w_log_level(void)
{
    return strm_w_verbosity;
}


int64_t
strm_w_now_ms(void)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
