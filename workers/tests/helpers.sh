# Helpers for workers/tests/NNNN-*.sh (bash): PASS/FAIL/SKIP counters,
# strm-devbroker start/stop, and "N passed, N failed" as the last line.
#
#   . "$(dirname "$0")/helpers.sh"
#   strm_devbroker_start -n 2        # sets BOOTSTRAP, CTL_PORT, DB_PID
#   check "what" test-command args...
#   finish                           # exit status 1 if anything failed

STRM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STRM_DEVBROKER=${STRM_DEVBROKER:-$STRM_ROOT/build/strm-devbroker}
KAFKA_READ=$STRM_ROOT/scripts/kafka-read
# the gateways' fixed ports (185xx) move by this much, so that two
# checkouts can run the worker tests side by side
STRM_PORT_SHIFT=${STRM_PORT_SHIFT:-0}

N_PASSED=0
N_FAILED=0
N_SKIPPED=0

PASS() { N_PASSED=$((N_PASSED + 1)); echo "ok - $*"; }
FAIL() { N_FAILED=$((N_FAILED + 1)); echo "FAIL - $*"; }
SKIP() { N_SKIPPED=$((N_SKIPPED + 1)); echo "skip - $*"; }

# check "description" command [args...]: PASS if the command succeeds
check() {
    local what=$1
    shift
    if "$@"; then PASS "$what"; else FAIL "$what"; fi
}

# check_eq "description" expected actual
check_eq() {
    if [ "$2" = "$3" ]; then
        PASS "$1"
    else
        FAIL "$1: expected '$2', got '$3'"
    fi
}

finish() {
    [ "$N_SKIPPED" -eq 0 ] || echo "($N_SKIPPED skipped)"
    echo "$N_PASSED passed, $N_FAILED failed"
    [ "$N_FAILED" -eq 0 ]
    exit
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for_file FILE [SECONDS]
wait_for_file() {
    local i
    for ((i = 0; i < ${2:-10} * 20; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# strm_devbroker_start [devbroker options]: a broker with its files in
# DB_DIR; sets DB_PID, BOOTSTRAP, CTL_PORT; logs to $DB_DIR/log
strm_devbroker_start() {
    DB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/strm-wtest-XXXXXX")
    "$STRM_DEVBROKER" "$@" -f "$DB_DIR/bootstrap" -c "$DB_DIR/ctl_port" \
        -p "$DB_DIR/pid" 2> "$DB_DIR/log" &
    DB_PID=$!
    if ! wait_for_file "$DB_DIR/bootstrap" 10; then
        echo "strm-devbroker did not start:" >&2
        cat "$DB_DIR/log" >&2
        return 1
    fi
    BOOTSTRAP=$(cat "$DB_DIR/bootstrap")
    CTL_PORT=$(cat "$DB_DIR/ctl_port")
}

# strm_devbroker_stop: SIGTERM, wait; returns the broker's exit status
strm_devbroker_stop() {
    local rc=0
    [ -n "${DB_PID:-}" ] || return 0
    kill -TERM "$DB_PID" 2> /dev/null
    wait "$DB_PID" || rc=$?
    DB_PID=
    return $rc
}

# ctl PATH [METHOD]: the devbroker control API; prints the JSON answer,
# fails on a non-2xx status
ctl() {
    curl -sS -f -m 5 -X "${2:-POST}" "http://127.0.0.1:$CTL_PORT/$1"
}

# ctl_quiet PATH [METHOD]: the same, for check (answer dropped)
ctl_quiet() {
    ctl "$@" > /dev/null
}

strm_cleanup() {
    if [ -n "${DB_PID:-}" ]; then
        kill -TERM "$DB_PID" 2> /dev/null
        wait "$DB_PID" 2> /dev/null
    fi
    [ -n "${DB_DIR:-}" ] && rm -rf "$DB_DIR"
}

trap strm_cleanup EXIT

# strm_gateway_start PORT [SERVER_LINES]: Debian's nginx with the module,
# its files in $W (a new KEK in $W/kek.json, or a copy of $STRM_KEK when
# set (a fleet shares its KEK), the key store in $W/keys,
# the keys topic src-keys), ingest at 127.0.0.1:PORT/event into topic
# src; SERVER_LINES go into its server block; STRM_GW_LOG_LEVEL is its
# error_log level (warn).  Needs strm_devbroker_start.
strm_gateway_start() {
    local port=$1 extra=${2:-}
    if [ -n "${STRM_KEK:-}" ]; then
        # a fleet: every gateway has the same KEK
        cp "$STRM_KEK" "$W/kek.json" || return 1
    else
        "$STRM_ROOT/build/strm-keys" new-kek > "$W/kek.json" || return 1
    fi
    chmod 0711 "$W"
    mkdir -p -m 0700 "$W/keys"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$W/keys"
    mkdir -p "$W/logs" "$W/conf"
    cat > "$W/conf/nginx.conf" <<CONF
load_module $STRM_ROOT/build/ngx_http_strm_module.so;
error_log logs/error.log ${STRM_GW_LOG_LEVEL:-warn};
pid $W/nginx.pid;
worker_processes ${STRM_WORKERS:-2};
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $W/body;
    strm_kafka_brokers_file $DB_DIR/bootstrap;
    strm_schemas $STRM_ROOT/conf/registry;
    strm_keys_store $W/keys/keys.mdb;
    strm_keys_kek $W/kek.json;
    strm_keys_topic ${STRM_KEYS_TOPIC:-src-keys};
    ${STRM_GW_HTTP:-}
    server {
        listen 127.0.0.1:$port;
        location = /event { strm_ingest src; }
$extra
    }
}
CONF
    "${TEST_NGINX_BINARY:-/usr/sbin/nginx}" -p "$W/" -c conf/nginx.conf
}


# strm_wait_gone PID SECONDS: until the process is gone (0), at most
# SECONDS (1)
strm_wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2> /dev/null || return 0
        sleep 0.1
    done
    return 1
}


# strm_term_within PID SECONDS: TERM, then until the process is gone (0);
# one still there after SECONDS is killed (1).  The caller still waits
# for its child.
strm_term_within() {
    kill -TERM "$1" 2> /dev/null
    strm_wait_gone "$1" "$2" && return 0
    kill -9 "$1" 2> /dev/null
    return 1
}


# strm_wait_ready PORT: polls the gateway's /ready (strm_ready) until it
# answers 200, at most 10 s, as a load balancer's health check would
strm_wait_ready() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' \
             "http://127.0.0.1:$1/ready")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
