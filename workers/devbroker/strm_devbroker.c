
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-devbroker: librdkafka's mock cluster as a small daemon, the
 * embedded default Kafka of the demo and the tests.  Never production.
 *
 * It writes its bootstrap list, control port and pid to files (each
 * atomically, the bootstrap file last: once it exists, all is ready),
 * and serves a tiny HTTP/1.0 control API on 127.0.0.1 to take brokers
 * down and up, add latency and create topics.
 *
 * Exit codes: 0 stopped (TERM/INT), 1 a failure, 78 a wrong argument.
 */


#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "strm_devbroker.h"
#include "strm_topic.h"


#define STRM_DEVBROKER_TOPICS_MAX    64
#define STRM_DEVBROKER_PARTS_MAX     1000
#define STRM_DEVBROKER_RTT_MAX       600000
/* librdkafka 2.0.2's mock: the bytes a partition keeps */
#define STRM_DEVBROKER_PART_CAP      (5 * 1024 * 1024)
#define STRM_DEVBROKER_CTL_CONNS     16
#define STRM_DEVBROKER_CTL_REQ_MAX   4096
#define STRM_DEVBROKER_CTL_BODY_MAX  1024
#define STRM_DEVBROKER_CTL_TIMEOUT   2000
#define STRM_DEVBROKER_RESP_MAX      4096


typedef struct {
    const char               *name;
    int                       partitions;
} strm_devbroker_topic_arg_t;


typedef struct {
    int                         brokers;
    int                         partitions;
    int                         ntopics;
    strm_devbroker_topic_arg_t  topics[STRM_DEVBROKER_TOPICS_MAX];
    const char                 *bootstrap_file;
    const char                 *ctl_port_file;
    const char                 *pid_file;

    /* run time */
    int                         lfd;        /* the control port's */
    int                         port;
    rd_kafka_t                 *rk;
} strm_devbroker_conf_t;


typedef struct {
    int                       fd;
    size_t                    len;
    int64_t                   deadline;
    char                      buf[STRM_DEVBROKER_CTL_REQ_MAX];
} strm_devbroker_ctl_conn_t;


static int strm_devbroker_option(strm_w_t *w, int opt, char *arg);
static int strm_devbroker_topic_arg(strm_devbroker_conf_t *cf, char *arg);
static int strm_devbroker_operands(strm_w_t *w);
static int strm_devbroker_start(strm_w_t *w);
static int strm_devbroker_cluster(strm_devbroker_conf_t *cf);
static int strm_devbroker_run(strm_w_t *w);
static int strm_devbroker_stop(strm_w_t *w);
static int strm_devbroker_parse_int(const char *s, int min, int max,
    int *v);
static int strm_devbroker_file_write(const char *path, const char *data);
static void strm_devbroker_files_remove(void);
static void strm_devbroker_rdkafka_log(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf);
static int strm_devbroker_ctl_listen(int *port);
static void strm_devbroker_ctl_accept(int lfd);
static void strm_devbroker_ctl_read(strm_devbroker_ctl_conn_t *c);
static void strm_devbroker_ctl_close(strm_devbroker_ctl_conn_t *c);
static void strm_devbroker_ctl_respond(strm_devbroker_ctl_conn_t *c,
    int status, const char *body);
static int strm_devbroker_ctl_route(const char *method, char *target,
    char *body, size_t size);
static int strm_devbroker_ctl_broker(char **seg, int nseg, char *body,
    size_t size);
static int strm_devbroker_ctl_topic(char **seg, int nseg, char *body,
    size_t size);
static const char *strm_devbroker_ctl_reason(int status);
static int64_t strm_devbroker_msec(void);


static const strm_w_program_t  strm_devbroker_program = {
    "strm-devbroker",
    "n:P:t:f:c:p:vh",
    0,
    strm_devbroker_option,
    strm_devbroker_operands,
    NULL,
    NULL,
    strm_devbroker_start,
    strm_devbroker_run,
    NULL,
    strm_devbroker_stop,
    NULL,
    "strm-devbroker [-n BROKERS] [-P DEFAULT_PARTITIONS]\n"
    "           [-t TOPIC[:PARTITIONS]]... -f BOOTSTRAP_FILE\n"
    "           [-c CTL_PORT_FILE] [-p PIDFILE] [-v]...\n"
    "\n"
    "control (HTTP/1.0 on 127.0.0.1, port in CTL_PORT_FILE):\n"
    "  POST /broker/N/down, /broker/N/up, /broker/N/rtt/MS\n"
    "       (N: broker id from 1, or \"all\")\n"
    "  POST /topic/NAME/PARTITIONS\n"
    "  GET  /status   (with the records dropped by the cap below)\n"
    "\n"
    "-P is the partition count of -t topics given without one; topics\n"
    "a client merely names get the mock cluster's default (4).\n"
    "\n"
    "A partition keeps about 5 MiB (librdkafka's mock): older records\n"
    "are dropped, and each drop is logged (WARN) and counted in\n"
    "GET /status.  Size topics by partitions; never production.\n"
};


static const char               *strm_devbroker_files[3];
static int                       strm_devbroker_nfiles;

static rd_kafka_mock_cluster_t  *strm_devbroker_mc;
static char                     *strm_devbroker_bootstraps;
static int                       strm_devbroker_brokers;
static int                       strm_devbroker_partitions;

static strm_devbroker_ctl_conn_t
    strm_devbroker_ctl_conns[STRM_DEVBROKER_CTL_CONNS];


int
main(int argc, char **argv)
{
    strm_devbroker_conf_t  cf;

    memset(&cf, 0, sizeof(strm_devbroker_conf_t));
    cf.brokers = 1;
    cf.partitions = 1;
    cf.lfd = -1;

    /* a wrong option is said in the log's words */
    opterr = 0;

    return strm_w_main(&strm_devbroker_program, &cf, argc, argv);
}


static int
strm_devbroker_option(strm_w_t *w, int opt, char *arg)
{
    strm_devbroker_conf_t  *cf = w->data;

    switch (opt) {

    case 'n':
        if (strm_devbroker_parse_int(arg, 1, STRM_DEVBROKER_BROKERS_MAX,
                                     &cf->brokers)
            != 0)
        {
            strm_w_log(STRM_W_LOG_EMERG, "invalid -n \"%s\" (1..%d)", arg,
                       STRM_DEVBROKER_BROKERS_MAX);
            return STRM_W_EX_CONFIG;
        }

        return STRM_W_EX_OK;

    case 'P':
        if (strm_devbroker_parse_int(arg, 1, STRM_DEVBROKER_PARTS_MAX,
                                     &cf->partitions)
            != 0)
        {
            strm_w_log(STRM_W_LOG_EMERG, "invalid -P \"%s\" (1..%d)", arg,
                       STRM_DEVBROKER_PARTS_MAX);
            return STRM_W_EX_CONFIG;
        }

        return STRM_W_EX_OK;

    case 't':
        return strm_devbroker_topic_arg(cf, arg);

    case 'f':
        cf->bootstrap_file = arg;
        return STRM_W_EX_OK;

    case 'c':
        cf->ctl_port_file = arg;
        return STRM_W_EX_OK;

    case 'p':
        cf->pid_file = arg;
        return STRM_W_EX_OK;

    case 'v':
        strm_w_log_verbose();
        return STRM_W_EX_OK;

    case 'h':
        (void) strm_w_usage(w);
        exit(0);

    default:
        strm_w_log(STRM_W_LOG_EMERG, "invalid option \"-%c\"", optopt);
        (void) strm_w_usage(w);
        return STRM_W_EX_CONFIG;
    }
}


/* "-t TOPIC[:PARTITIONS]" */
static int
strm_devbroker_topic_arg(strm_devbroker_conf_t *cf, char *arg)
{
    char                        *colon;
    strm_devbroker_topic_arg_t  *t;

    if (cf->ntopics == STRM_DEVBROKER_TOPICS_MAX) {
        strm_w_log(STRM_W_LOG_EMERG, "too many -t (max %d)",
                   STRM_DEVBROKER_TOPICS_MAX);
        return STRM_W_EX_CONFIG;
    }

    t = &cf->topics[cf->ntopics];
    t->name = arg;
    t->partitions = 0;

    colon = strchr(arg, ':');

    if (colon != NULL) {
        *colon = '\0';

        if (strm_devbroker_parse_int(colon + 1, 1, STRM_DEVBROKER_PARTS_MAX,
                                     &t->partitions)
            != 0)
        {
            strm_w_log(STRM_W_LOG_EMERG,
                       "invalid partition count in -t \"%s:%s\"",
                       arg, colon + 1);
            return STRM_W_EX_CONFIG;
        }
    }

    if (!strm_topic_valid(t->name, strlen(t->name))) {
        strm_w_log(STRM_W_LOG_EMERG, "invalid topic name \"%s\"",
                   t->name);
        return STRM_W_EX_CONFIG;
    }

    cf->ntopics++;

    return STRM_W_EX_OK;
}


static int
strm_devbroker_operands(strm_w_t *w)
{
    strm_devbroker_conf_t  *cf = w->data;

    int  i;

    if (w->argc != 0) {
        strm_w_log(STRM_W_LOG_EMERG, "unexpected argument \"%s\"",
                   w->argv[0]);
        (void) strm_w_usage(w);
        return STRM_W_EX_CONFIG;
    }

    if (cf->bootstrap_file == NULL) {
        strm_w_log(STRM_W_LOG_EMERG, "-f BOOTSTRAP_FILE is required");
        (void) strm_w_usage(w);
        return STRM_W_EX_CONFIG;
    }

    for (i = 0; i < cf->ntopics; i++) {
        if (cf->topics[i].partitions == 0) {
            cf->topics[i].partitions = cf->partitions;
        }
    }

    return STRM_W_EX_OK;
}


static int
strm_devbroker_start(strm_w_t *w)
{
    strm_devbroker_conf_t  *cf = w->data;

    int   i, n;
    char  line[64], errstr[512];

    strm_devbroker_brokers = cf->brokers;
    strm_devbroker_partitions = cf->partitions;

    for (i = 0; i < STRM_DEVBROKER_CTL_CONNS; i++) {
        strm_devbroker_ctl_conns[i].fd = -1;
    }

    /* waiters poll for the files: never let them see stale ones */

    (void) unlink(cf->bootstrap_file);

    if (cf->ctl_port_file != NULL) {
        (void) unlink(cf->ctl_port_file);
    }

    if (cf->pid_file != NULL) {
        (void) unlink(cf->pid_file);
    }

    cf->lfd = strm_devbroker_ctl_listen(&cf->port);
    if (cf->lfd == -1) {
        return STRM_W_EX_FAILED;
    }

    if (strm_devbroker_cluster(cf) != 0) {
        goto failed;
    }

    if (cf->pid_file != NULL) {
        snprintf(line, sizeof(line), "%ld\n", (long) getpid());

        if (strm_devbroker_file_write(cf->pid_file, line) != 0) {
            goto failed;
        }
    }

    if (cf->ctl_port_file != NULL) {
        snprintf(line, sizeof(line), "%d\n", cf->port);

        if (strm_devbroker_file_write(cf->ctl_port_file, line) != 0) {
            goto failed;
        }
    }

    if (strm_devbroker_watch_start(strm_devbroker_bootstraps) != 0) {
        goto failed;
    }

    n = snprintf(errstr, sizeof(errstr), "%s\n", strm_devbroker_bootstraps);

    if (n < 0 || (size_t) n >= sizeof(errstr)
        || strm_devbroker_file_write(cf->bootstrap_file, errstr) != 0)
    {
        goto failed;
    }

    strm_w_log(STRM_W_LOG_NOTICE,
               "started, %d broker(s) at %s, %d default partition(s), "
               "control on 127.0.0.1:%d; a partition keeps about 5 MiB, "
               "older records are dropped (logged here, counted in "
               "GET /status)",
               cf->brokers, strm_devbroker_bootstraps, cf->partitions,
               cf->port);

    return STRM_W_EX_OK;

failed:

    close(cf->lfd);
    strm_devbroker_files_remove();
    strm_devbroker_watch_stop();

    if (strm_devbroker_mc != NULL) {
        rd_kafka_mock_cluster_destroy(strm_devbroker_mc);
    }

    if (cf->rk != NULL) {
        rd_kafka_destroy(cf->rk);
    }

    free(strm_devbroker_bootstraps);

    return STRM_W_EX_FAILED;
}


/* the mock cluster, its client and the -t topics */
static int
strm_devbroker_cluster(strm_devbroker_conf_t *cf)
{
    int                  i;
    rd_kafka_conf_t     *conf;
    rd_kafka_resp_err_t  err;
    char                 errstr[512];

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, strm_devbroker_rdkafka_log);

    /*
     * The mock's connections take its client's socket options: without
     * TCP_NODELAY (as a Kafka broker sets) a response written while the
     * one before is unacknowledged waits for the client's delayed ACK,
     * up to 40 ms, and producers at load see that as their ack's time.
     */
    if (rd_kafka_conf_set(conf, "client.id", "strm-devbroker", errstr,
                          sizeof(errstr))
        != RD_KAFKA_CONF_OK
        || rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                             sizeof(errstr))
           != RD_KAFKA_CONF_OK
        || (strm_w_log_level() >= STRM_W_LOG_DEBUG
            && rd_kafka_conf_set(conf, "debug", "mock", errstr,
                                 sizeof(errstr))
               != RD_KAFKA_CONF_OK))
    {
        strm_w_log(STRM_W_LOG_ALERT, "rd_kafka_conf_set() failed: %s",
                   errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }

    cf->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (cf->rk == NULL) {
        strm_w_log(STRM_W_LOG_ALERT, "rd_kafka_new() failed: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }

    strm_devbroker_mc = rd_kafka_mock_cluster_new(cf->rk, cf->brokers);
    if (strm_devbroker_mc == NULL) {
        strm_w_log(STRM_W_LOG_ALERT, "rd_kafka_mock_cluster_new() failed");
        return -1;
    }

    strm_devbroker_bootstraps =
        strdup(rd_kafka_mock_cluster_bootstraps(strm_devbroker_mc));
    if (strm_devbroker_bootstraps == NULL) {
        return -1;
    }

    if (strm_devbroker_topics_init(strm_devbroker_mc, cf->brokers) != 0) {
        return -1;
    }

    for (i = 0; i < cf->ntopics; i++) {
        err = strm_devbroker_topic_create(cf->topics[i].name,
                                          cf->topics[i].partitions);

        if (err != RD_KAFKA_RESP_ERR_NO_ERROR
            && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        {
            strm_w_log(STRM_W_LOG_ERR, "creating topic \"%s\" failed: %s",
                       cf->topics[i].name, rd_kafka_err2str(err));
            return -1;
        }

        strm_w_log(STRM_W_LOG_INFO, "topic \"%s\" created, %d partition(s)",
                   cf->topics[i].name, cf->topics[i].partitions);
    }

    return 0;
}


static int
strm_devbroker_run(strm_w_t *w)
{
    strm_devbroker_conf_t  *cf = w->data;

    int                         i, n, nfds;
    struct pollfd               pfd[STRM_DEVBROKER_CTL_CONNS + 2];
    strm_devbroker_ctl_conn_t  *c;

    while (!strm_w_stopping()) {
        (void) strm_w_reopen();

        pfd[0].fd = cf->lfd;
        pfd[0].events = POLLIN;
        nfds = 1;

        for (i = 0; i < STRM_DEVBROKER_CTL_CONNS; i++) {
            pfd[nfds].fd = strm_devbroker_ctl_conns[i].fd;
            pfd[nfds].events = POLLIN;
            nfds++;
        }

        n = poll(pfd, nfds, 100);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            strm_w_log(STRM_W_LOG_ALERT, "poll() failed (%d: %s)",
                       errno, strerror(errno));
            break;
        }

        for (i = 0; i < STRM_DEVBROKER_CTL_CONNS; i++) {
            c = &strm_devbroker_ctl_conns[i];

            if (c->fd != -1 && pfd[i + 1].revents) {
                strm_devbroker_ctl_read(c);
            }

            if (c->fd != -1 && strm_devbroker_msec() > c->deadline) {
                strm_w_log(STRM_W_LOG_INFO, "control request timed out");
                strm_devbroker_ctl_close(c);
            }
        }

        if (pfd[0].revents & POLLIN) {
            strm_devbroker_ctl_accept(cf->lfd);
        }
    }

    return STRM_W_EX_OK;
}


/* the files first: waiters must not see a broker that is going away */
static int
strm_devbroker_stop(strm_w_t *w)
{
    strm_devbroker_conf_t  *cf = w->data;

    int  i;

    strm_w_log(STRM_W_LOG_NOTICE, "exiting");

    for (i = 0; i < STRM_DEVBROKER_CTL_CONNS; i++) {
        if (strm_devbroker_ctl_conns[i].fd != -1) {
            strm_devbroker_ctl_close(&strm_devbroker_ctl_conns[i]);
        }
    }

    close(cf->lfd);
    strm_devbroker_files_remove();

    /* its client talks to the cluster: gone before the cluster */
    strm_devbroker_watch_stop();

    rd_kafka_mock_cluster_destroy(strm_devbroker_mc);
    rd_kafka_destroy(cf->rk);
    free(strm_devbroker_bootstraps);

    return STRM_W_EX_OK;
}


static int
strm_devbroker_parse_int(const char *s, int min, int max, int *v)
{
    char  *end;
    long   n;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtol(s, &end, 10);

    if (errno != 0 || *end != '\0' || n < min || n > max) {
        return -1;
    }

    *v = (int) n;

    return 0;
}


/*
 * Writes a temporary file beside path and renames it: a reader sees
 * either no file or the whole line.
 */

static int
strm_devbroker_file_write(const char *path, const char *data)
{
    int      fd;
    char     tmp[4096];
    size_t   len;
    ssize_t  n;

    n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long) getpid());

    if (n < 0 || (size_t) n >= sizeof(tmp)) {
        strm_w_log(STRM_W_LOG_ERR, "file name too long \"%s\"", path);
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        strm_w_log(STRM_W_LOG_ERR, "open(\"%s\") failed (%d: %s)",
                   tmp, errno, strerror(errno));
        return -1;
    }

    len = strlen(data);
    n = write(fd, data, len);

    if (n == -1 || (size_t) n != len) {
        strm_w_log(STRM_W_LOG_ERR, "write(\"%s\") failed (%d: %s)",
                   tmp, errno, strerror(errno));
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        strm_w_log(STRM_W_LOG_ERR, "close(\"%s\") failed (%d: %s)",
                   tmp, errno, strerror(errno));
        goto failed;
    }

    fd = -1;

    if (rename(tmp, path) == -1) {
        strm_w_log(STRM_W_LOG_ERR, "rename(\"%s\", \"%s\") failed (%d: %s)",
                   tmp, path, errno, strerror(errno));
        goto failed;
    }

    strm_devbroker_files[strm_devbroker_nfiles++] = path;

    return 0;

failed:

    if (fd != -1) {
        close(fd);
    }

    (void) unlink(tmp);

    return -1;
}


static void
strm_devbroker_files_remove(void)
{
    int  i;

    for (i = 0; i < strm_devbroker_nfiles; i++) {
        if (unlink(strm_devbroker_files[i]) == -1 && errno != ENOENT) {
            strm_w_log(STRM_W_LOG_WARN, "unlink(\"%s\") failed (%d: %s)",
                       strm_devbroker_files[i], errno, strerror(errno));
        }
    }

    strm_devbroker_nfiles = 0;
}


static void
strm_devbroker_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
    (void) rk;

    /* the mock's own client has no brokers and says so: not news */

    if (strcmp(fac, "CONFWARN") == 0) {
        level = STRM_W_LOG_DEBUG;
    }

    strm_w_log(level, "rdkafka %s: %s", fac, buf);
}


static int
strm_devbroker_ctl_listen(int *port)
{
    int                 fd, on;
    socklen_t           len;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        strm_w_log(STRM_W_LOG_ALERT, "socket() failed (%d: %s)",
                   errno, strerror(errno));
        return -1;
    }

    on = 1;
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;

    if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1
        || listen(fd, 64) == -1)
    {
        strm_w_log(STRM_W_LOG_ALERT, "bind() or listen() failed (%d: %s)",
                   errno, strerror(errno));
        close(fd);
        return -1;
    }

    len = sizeof(sin);

    if (getsockname(fd, (struct sockaddr *) &sin, &len) == -1) {
        strm_w_log(STRM_W_LOG_ALERT, "getsockname() failed (%d: %s)",
                   errno, strerror(errno));
        close(fd);
        return -1;
    }

    *port = ntohs(sin.sin_port);

    return fd;
}


static void
strm_devbroker_ctl_accept(int lfd)
{
    int                         i, fd;
    strm_devbroker_ctl_conn_t  *c;

    for ( ;; ) {
        c = NULL;

        for (i = 0; i < STRM_DEVBROKER_CTL_CONNS; i++) {
            if (strm_devbroker_ctl_conns[i].fd == -1) {
                c = &strm_devbroker_ctl_conns[i];
                break;
            }
        }

        if (c == NULL) {
            /* all slots busy: the backlog keeps the rest */
            return;
        }

        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
                && errno != ECONNABORTED)
            {
                strm_w_log(STRM_W_LOG_ALERT, "accept4() failed (%d: %s)",
                           errno, strerror(errno));
            }

            return;
        }

        c->fd = fd;
        c->len = 0;
        c->deadline = strm_devbroker_msec() + STRM_DEVBROKER_CTL_TIMEOUT;
    }
}


/*
 * One request per connection: the request line and headers, and a
 * small body if Content-Length announces one (read and ignored, so
 * that closing does not reset the connection under the answer).
 */

static void
strm_devbroker_ctl_read(strm_devbroker_ctl_conn_t *c)
{
    int       status;
    char     *p, *hend, *method, *target, *sp, body[STRM_DEVBROKER_RESP_MAX];
    long      clen;
    size_t    hlen;
    ssize_t   n;

    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);

    if (n == -1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }

        strm_devbroker_ctl_close(c);
        return;
    }

    if (n == 0) {
        /* the client closed before a whole request */
        strm_devbroker_ctl_close(c);
        return;
    }

    c->len += n;
    c->buf[c->len] = '\0';

    hend = strstr(c->buf, "\r\n\r\n");

    if (hend != NULL) {
        hlen = hend + 4 - c->buf;

    } else {
        hend = strstr(c->buf, "\n\n");

        if (hend == NULL) {
            if (c->len == sizeof(c->buf) - 1) {
                strm_devbroker_ctl_respond(c, 400,
                                           "{\"error\":\"request too large\"}");
            }

            return;
        }

        hlen = hend + 2 - c->buf;
    }

    /* Content-Length, if any */

    clen = 0;

    for (p = strchr(c->buf, '\n'); p != NULL && p < hend;
         p = strchr(p, '\n'))
    {
        p++;

        if (strncasecmp(p, "content-length:", 15) == 0) {
            clen = strtol(p + 15, NULL, 10);
        }
    }

    if (clen < 0 || clen > STRM_DEVBROKER_CTL_BODY_MAX) {
        strm_devbroker_ctl_respond(c, 400, "{\"error\":\"body too large\"}");
        return;
    }

    if (c->len < hlen + (size_t) clen) {
        return;
    }

    /* the request line: METHOD SP TARGET [SP VERSION] */

    *hend = '\0';

    p = strchr(c->buf, '\r');
    if (p != NULL) {
        *p = '\0';
    }

    p = strchr(c->buf, '\n');
    if (p != NULL) {
        *p = '\0';
    }

    method = c->buf;
    target = strchr(method, ' ');

    if (target == NULL) {
        strm_devbroker_ctl_respond(c, 400, "{\"error\":\"bad request line\"}");
        return;
    }

    *target++ = '\0';

    sp = strchr(target, ' ');
    if (sp != NULL) {
        *sp = '\0';
    }

    status = strm_devbroker_ctl_route(method, target, body, sizeof(body));

    strm_devbroker_ctl_respond(c, status, body);
}


static void
strm_devbroker_ctl_close(strm_devbroker_ctl_conn_t *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}


static void
strm_devbroker_ctl_respond(strm_devbroker_ctl_conn_t *c, int status,
    const char *body)
{
    int            n;
    char           buf[STRM_DEVBROKER_RESP_MAX + 256];
    size_t         off;
    ssize_t        w;
    struct pollfd  pfd;

    n = snprintf(buf, sizeof(buf),
                 "HTTP/1.0 %d %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %d\r\n"
                 "Connection: close\r\n"
                 "\r\n"
                 "%s\n",
                 status, strm_devbroker_ctl_reason(status),
                 (int) strlen(body) + 1, body);

    if (n < 0 || (size_t) n >= sizeof(buf)) {
        strm_devbroker_ctl_close(c);
        return;
    }

    off = 0;

    while (off < (size_t) n) {
        w = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);

        if (w >= 0) {
            off += w;
            continue;
        }

        if (errno == EINTR) {
            continue;
        }

        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            break;
        }

        /* a few hundred bytes: only a stuck client makes us wait */

        pfd.fd = c->fd;
        pfd.events = POLLOUT;

        if (poll(&pfd, 1, 100) <= 0) {
            break;
        }
    }

    (void) shutdown(c->fd, SHUT_WR);
    strm_devbroker_ctl_close(c);
}


/*
 * Writes the JSON answer to body, returns the HTTP status.
 */

static int
strm_devbroker_ctl_route(const char *method, char *target, char *body,
    size_t size)
{
    int     nseg, get, status;
    char   *p, *seg[6], path[256];
    size_t  n;

    p = strchr(target, '?');
    if (p != NULL) {
        *p = '\0';
    }

    /* strtok() below cuts target up: keep it whole for the log */

    snprintf(path, sizeof(path), "%s", target);

    get = (strcmp(method, "GET") == 0);

    nseg = 0;

    for (p = strtok(target, "/"); p != NULL; p = strtok(NULL, "/")) {
        if (nseg == 6) {
            nseg++;
            break;
        }

        seg[nseg++] = p;
    }

    status = 404;

    if (nseg == 1 && strcmp(seg[0], "status") == 0) {
        if (!get) {
            status = 405;

        } else {
            n = snprintf(body, size,
                         "{\"bootstrap\":\"%s\",\"brokers\":%d,"
                         "\"default_partitions\":%d,"
                         "\"partition_cap_bytes\":%d,",
                         strm_devbroker_bootstraps, strm_devbroker_brokers,
                         strm_devbroker_partitions,
                         STRM_DEVBROKER_PART_CAP);

            /* the watcher's members, or none: the ',' becomes the '}' */

            if (n < size) {
                n += strm_devbroker_watch_status(body + n, size - n - 1);
            }

            if (n < size - 1 && n > 0) {
                if (body[n - 1] == ',') {
                    n--;
                }

                body[n++] = '}';
                body[n] = '\0';
            }

            strm_w_log(STRM_W_LOG_INFO, "control: %s %s: 200", method, path);

            return 200;
        }

    } else if (nseg >= 3 && nseg <= 4 && strcmp(seg[0], "broker") == 0) {
        status = (strcmp(method, "POST") == 0)
                 ? strm_devbroker_ctl_broker(seg, nseg, body, size) : 405;

    } else if (nseg == 3 && strcmp(seg[0], "topic") == 0) {
        status = (strcmp(method, "POST") == 0)
                 ? strm_devbroker_ctl_topic(seg, nseg, body, size) : 405;
    }

    if (status == 200 || status == 400 || status == 409 || status == 500) {
        return status;
    }

    snprintf(body, size, "{\"error\":\"%s\"}",
             status == 405 ? "method not allowed" : "not found");

    strm_w_log(STRM_W_LOG_INFO, "control: %s %s: %d", method, path, status);

    return status;
}


static int
strm_devbroker_ctl_broker(char **seg, int nseg, char *body, size_t size)
{
    int                  id, rtt;
    const char          *action;
    rd_kafka_resp_err_t  err;

    if (strcmp(seg[1], "all") == 0 || strcmp(seg[1], "-1") == 0) {
        id = -1;

    } else if (strm_devbroker_parse_int(seg[1], 1, strm_devbroker_brokers,
                                        &id)
               != 0)
    {
        return 404;
    }

    action = seg[2];
    rtt = 0;

    if (nseg == 3 && strcmp(action, "down") == 0) {
        err = rd_kafka_mock_broker_set_down(strm_devbroker_mc, id);

    } else if (nseg == 3 && strcmp(action, "up") == 0) {
        err = rd_kafka_mock_broker_set_up(strm_devbroker_mc, id);

    } else if (nseg == 4 && strcmp(action, "rtt") == 0) {
        if (strm_devbroker_parse_int(seg[3], 0, STRM_DEVBROKER_RTT_MAX,
                                     &rtt)
            != 0)
        {
            snprintf(body, size, "{\"error\":\"invalid rtt, 0..%d ms\"}",
                     STRM_DEVBROKER_RTT_MAX);
            return 400;
        }

        err = rd_kafka_mock_broker_set_rtt(strm_devbroker_mc, id, rtt);

    } else {
        return 404;
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "broker %d %s failed: %s",
                   id, action, rd_kafka_err2str(err));
        snprintf(body, size, "{\"error\":\"%s\"}", rd_kafka_err2name(err));
        return 500;
    }

    if (nseg == 4) {
        strm_w_log(STRM_W_LOG_NOTICE, "broker %d rtt %d ms", id, rtt);
        snprintf(body, size, "{\"ok\":true,\"broker\":%d,\"rtt_ms\":%d}",
                 id, rtt);

    } else {
        strm_w_log(STRM_W_LOG_NOTICE, "broker %d %s", id, action);
        snprintf(body, size, "{\"ok\":true,\"broker\":%d,\"state\":\"%s\"}",
                 id, action);
    }

    return 200;
}


static int
strm_devbroker_ctl_topic(char **seg, int nseg, char *body, size_t size)
{
    int                  partitions;
    rd_kafka_resp_err_t  err;

    (void) nseg;

    if (!strm_topic_valid(seg[1], strlen(seg[1]))) {
        snprintf(body, size, "{\"error\":\"invalid topic name\"}");
        return 400;
    }

    if (strm_devbroker_parse_int(seg[2], 1, STRM_DEVBROKER_PARTS_MAX,
                                 &partitions)
        != 0)
    {
        snprintf(body, size, "{\"error\":\"invalid partition count, 1..%d\"}",
                 STRM_DEVBROKER_PARTS_MAX);
        return 400;
    }

    err = strm_devbroker_topic_create(seg[1], partitions);

    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        snprintf(body, size, "{\"error\":\"topic already exists\","
                 "\"topic\":\"%s\"}", seg[1]);
        return 409;
    }

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        strm_w_log(STRM_W_LOG_ERR, "creating topic \"%s\" failed: %s",
                   seg[1], rd_kafka_err2str(err));
        snprintf(body, size, "{\"error\":\"%s\"}", rd_kafka_err2name(err));
        return 500;
    }

    strm_w_log(STRM_W_LOG_NOTICE, "topic \"%s\" created, %d partition(s)",
               seg[1], partitions);

    snprintf(body, size, "{\"ok\":true,\"topic\":\"%s\",\"partitions\":%d}",
             seg[1], partitions);

    return 200;
}


static const char *
strm_devbroker_ctl_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    default:
        return "Internal Server Error";
    }
}


static int64_t
strm_devbroker_msec(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
