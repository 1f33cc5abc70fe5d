
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_WORKER_MAIN_H_INCLUDED_
#define _STRM_WORKER_MAIN_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>


/*
 * The skeleton every long-running program stands on (strm-decrypt,
 * strm-export, strm-keys, strm-devbroker), in nginx's order:
 *
 *   arguments -> configuration -> -t -> log -> signals -> start -> run
 *   -> drain -> stop -> exit code
 *
 * A program is a strm_w_program_t: its name, its own options and the
 * hooks of the steps; strm_w_main() calls them in turn.  The log is
 * nginx's error-log line on stderr (or on "error_log FILE"), the signal
 * handlers only set flags, and "-X name=value" (kcat's) reaches every
 * librdkafka client of a program that talks to Kafka (STRM_W_OPT_KAFKA,
 * through strm_w_kafka_props()).  Only libc and librdkafka here:
 * strm-devbroker links nothing else.
 */

#define STRM_W_EX_OK       0
#define STRM_W_EX_FAILED   1
#define STRM_W_EX_USAGE    64
#define STRM_W_EX_CONFIG   78

/* syslog's numbers, as nginx's and librdkafka's log levels */
#define STRM_W_LOG_EMERG   0
#define STRM_W_LOG_ALERT   1
#define STRM_W_LOG_CRIT    2
#define STRM_W_LOG_ERR     3
#define STRM_W_LOG_WARN    4
#define STRM_W_LOG_NOTICE  5
#define STRM_W_LOG_INFO    6
#define STRM_W_LOG_DEBUG   7

/* strm_w_program_t.flags: the options the skeleton takes itself */
#define STRM_W_OPT_CONF    0x01             /* -c FILE (required), -t */
#define STRM_W_OPT_KAFKA   0x02             /* -X name=value ... */


typedef struct strm_w_s  strm_w_t;

/*
 * The hooks return an exit code: 0 (STRM_W_EX_OK) goes on to the next
 * step, anything else ends the program with it (after stop and free).
 */
typedef int (*strm_w_option_pt)(strm_w_t *w, int opt, char *arg);
typedef int (*strm_w_step_pt)(strm_w_t *w);


typedef struct {
    const char           *name;         /* "strm-decrypt": every line */
    const char           *options;      /* its own getopt letters */
    unsigned              flags;        /* STRM_W_OPT_* */

    /* an option of its own, or '?' for an unknown one */
    strm_w_option_pt      option;

    /* the operands after the options (w->argc, w->argv) */
    strm_w_step_pt        operands;

    /* reads w->conf_file; a failure puts "file:line: why" in w->err */
    strm_w_step_pt        conf;

    /* -t: says what the configuration holds, on stdout */
    strm_w_step_pt        test;

    /* the clients (Kafka, sockets); a failure: w->err, an exit code */
    strm_w_step_pt        start;

    /* the loop, until strm_w_stopping() (poll <= 100 ms) */
    strm_w_step_pt        run;

    /*
     * After the first TERM/INT: waits (bounded) for what is in flight;
     * returns early on a second signal (strm_w_stopping()), and the
     * skeleton then exits at once with 1, without stop
     */
    strm_w_step_pt        drain;

    /* closes the clients, writes the last status, says goodbye */
    strm_w_step_pt        stop;

    /* releases the configuration; always called last */
    void                (*free)(strm_w_t *w);

    /* printed after "usage: " on a usage error (exit 64) */
    const char           *usage;
} strm_w_program_t;


struct strm_w_s {
    const strm_w_program_t  *program;
    void                    *data;          /* the program's own */

    const char              *conf_file;     /* -c */
    unsigned                 test:1;        /* -t */

    /*
     * Set by the operands hook when the program does one thing and
     * exits (strm-keys list): no signal handlers, TERM/INT kill as
     * usual
     */
    unsigned                 oneshot:1;

    /* set by the conf hook: "error_log FILE" */
    const char              *error_log;

    int                      argc;          /* the operands */
    char                   **argv;

    int                      rc;            /* what run returned */
    char                     err[1024];
};


int strm_w_main(const strm_w_program_t *p, void *data, int argc,
    char **argv);

/* the usage line on stderr; STRM_W_EX_USAGE */
int strm_w_usage(strm_w_t *w);

/*
 * The loops' condition: in run, a TERM/INT arrived (or strm_w_stop());
 * in drain, one more did: stop waiting, the program exits at once
 */
int strm_w_stopping(void);

/* the program stops itself (a fatal error), as on a signal */
void strm_w_stop(void);

/*
 * In the run loop: after HUP or USR1, opens the error log again
 * (logrotate moved it) and returns 1, so that the program reopens its
 * own files too; else 0
 */
int strm_w_reopen(void);

/*
 * "2026/11/23 10:00:00 [notice] 4711#0: strm-export: ..." on stderr,
 * one write() per line (librdkafka's threads log too); lines above the
 * verbosity (notice, each -v of strm-devbroker one more) are dropped
 */
void strm_w_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strm_w_log_verbose(void);
int strm_w_log_level(void);

/* "error_log FILE": the lines go there instead of stderr (appended) */
int strm_w_open_log(const char *path, char *err, size_t errlen);

int64_t strm_w_now_ms(void);

/*
 * The -X properties, in their order, onto a client's configuration:
 * after the configuration file's, before the program's own essentials
 * (group.id, enable.auto.offset.store).  0, or -1 with err.
 */
int strm_w_kafka_props(rd_kafka_conf_t *conf, char *err, size_t errlen);


#endif /* _STRM_WORKER_MAIN_H_INCLUDED_ */
