# The services of workers/tests/fleet/fleet.sh (bash, sourced after
# net.sh): what runs on which simulated host.  Files under $RUN/HOST/.
#
#   broker_start             strm-devbroker -n 3 on the broker host, and
#                            its ports reachable from the other hosts
#   kafka_reach HOST         HOST's forwarders to the brokers
#   gw_start N [ROTATION]    gateway gwN (Debian's nginx + the module)
#   gw_stop N, gw_reload N ROTATION, gw_ready_code N, gw_wait_ready N
#   lb_start                 nginx proxying round robin to the gateways
#   worker_keys_learn        the worker host's key store made current
#   decrypt_start/_stop      strm-decrypt on the worker host
#   kafka_dump TOPIC FILE    the topic read from the broker host by an
#                            independent client (kafka-python)
#
# The mock cluster listens on 127.0.0.1 only and advertises
# 127.0.0.1:PORT in its metadata.  So: on the broker host, for each
# broker port P, a forwarder BROKER_ADDR:P -> 127.0.0.1:P; on every host
# that speaks Kafka, a forwarder 127.0.0.1:P -> BROKER_ADDR:P.  Then one
# bootstrap list (127.0.0.1:P1,...) is right on every host.

GW_PORT=8080
LB_PORT=8080
KEYS_TOPIC=strm-keys
EVENTS_TOPIC=events
DERIVED_TOPIC=events-all

broker_start() {
    local d=$RUN/broker p
    mkdir -p "$d"
    on_bg broker "$STRM_DEVBROKER" -n 3 -t "$EVENTS_TOPIC:12" \
        -t "$DERIVED_TOPIC:12" -f "$d/bootstrap" -c "$d/ctl_port" \
        -p "$d/pid" 2> "$d/log"
    if ! wait_for_file "$d/bootstrap" 10; then
        cat "$d/log" >&2
        return 1
    fi
    BOOTSTRAP=$(cat "$d/bootstrap")
    CTL_PORT=$(cat "$d/ctl_port")
    BROKER_PORTS=$(tr ',' '\n' <<<"$BOOTSTRAP" | sed 's/.*://')
    for p in $BROKER_PORTS; do
        forward broker "$(net_addr broker)" "$p" 127.0.0.1
    done
    for p in $BROKER_PORTS; do
        wait_port broker "$(net_addr broker)" "$p" || return 1
    done
}

# broker_ctl PATH [METHOD]: the devbroker's control API (it can take
# brokers down: broker/N/down, broker/N/up)
broker_ctl() {
    on broker curl -sS -f -m 5 -X "${2:-POST}" \
        "http://127.0.0.1:$CTL_PORT/$1"
}

kafka_reach() {
    local p
    for p in $BROKER_PORTS; do
        forward "$1" 127.0.0.1 "$p" "$(net_addr broker)"
    done
    for p in $BROKER_PORTS; do
        wait_port "$1" 127.0.0.1 "$p" || return 1
    done
}

# What every box of the fleet shares (the KEK today; later the fleet
# secret too): made once, before the first gateway starts.
fleet_shared_setup() {
    mkdir -p "$RUN/shared"
    "$STRM_ROOT/build/strm-keys" new-kek > "$RUN/shared/kek.json"
}

# gw_conf N ROTATION: gateway N's nginx.conf.  FLEET_GW_HTTP_EXTRA: more
# lines for its http block (the fleet logic's directives, when it comes)
gw_conf() {
    local g=$RUN/gw$1
    mkdir -p "$g/conf" "$g/logs"
    cat > "$g/conf/nginx.conf.tmp" <<CONF
load_module $STRM_ROOT/build/ngx_http_strm_module.so;
error_log logs/error.log warn;
pid $g/nginx.pid;
worker_processes ${FLEET_GW_WORKERS:-2};
events { worker_connections 1024; }
http {
    log_format fleet '\$remote_addr \$status \$strm_event_id \$strm_status'
                     ' \$request_time';
    access_log logs/access.log fleet;
    client_body_temp_path $g/body;
    strm_kafka_brokers_file $RUN/broker/bootstrap;
    strm_schemas $STRM_ROOT/conf/registry;
    strm_keys_store $g/keys/keys.mdb;
    strm_keys_kek $RUN/shared/kek.json;
    strm_keys_topic $KEYS_TOPIC;
    strm_key_rotation $2;
${FLEET_GW_HTTP_EXTRA:-}
    server {
        listen $(net_addr "gw$1"):$GW_PORT;
        location = /event { strm_ingest $EVENTS_TOPIC; }
        location = /ready { strm_ready; }
    }
}
CONF
    mv "$g/conf/nginx.conf.tmp" "$g/conf/nginx.conf"
}

# gw_store_new N: an empty key store directory for gateway N
gw_store_new() {
    local g=$RUN/gw$1
    rm -rf "$g/keys"
    mkdir -p "$g"
    mkdir -m 0700 "$g/keys"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$g/keys"
}

gw_start() {
    local g=$RUN/gw$1
    [ -d "$g/keys" ] || gw_store_new "$1"
    gw_conf "$1" "${2:-${GW_ROTATION:-24h}}"
    on "gw$1" /usr/sbin/nginx -p "$g/" -c conf/nginx.conf || return 1
    wait_port client "$(net_addr "gw$1")" $GW_PORT 10
}

gw_pid() { cat "$RUN/gw$1/nginx.pid" 2> /dev/null; }

# gw_stop N: graceful (QUIT: answers in flight are sent), then waits
gw_stop() {
    local pid i
    pid=$(gw_pid "$1")
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2> /dev/null
    for ((i = 0; i < 400; i++)); do
        kill -0 "$pid" 2> /dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2> /dev/null
    return 1
}

# gw_reload N ROTATION: new configuration, HUP, waits for new workers
gw_reload() {
    local pid old new i
    pid=$(gw_pid "$1")
    old=$(pgrep -P "$pid" | sort)
    gw_conf "$1" "$2"
    kill -HUP "$pid" || return 1
    for ((i = 0; i < 200; i++)); do
        new=$(pgrep -P "$pid" | sort)
        if [ -n "$new" ] && [ -z "$(comm -12 <(echo "$old") <(echo "$new"))" ]
        then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# gw_ready_code N: the HTTP status of gwN's /ready seen from the client
# host (000: no answer)
gw_ready_code() {
    on client curl -s -o /dev/null -m 2 -w '%{http_code}' \
        "http://$(net_addr "gw$1"):$GW_PORT/ready"
}

# gw_wait_ready N [SECONDS]: until gwN's /ready answers 200
gw_wait_ready() {
    local i
    for ((i = 0; i < ${2:-30} * 10; i++)); do
        [ "$(gw_ready_code "$1")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# gw_store_links N: the key links in gateway N's store, one per line
gw_store_links() {
    "$STRM_ROOT/build/strm-keys" -s "$RUN/gw$1/keys/keys.mdb" list \
        2> /dev/null | sed 's/^{"keyLink":"\([^"]*\)".*/\1/'
}

lb_start() {
    local d=$RUN/lb n servers=
    mkdir -p "$d/conf" "$d/logs"
    for n in 1 2 3; do
        servers+="        server $(net_addr "gw$n"):$GW_PORT"
        servers+=" max_fails=1 fail_timeout=2s;"$'\n'
    done
    # no keepalive toward the gateways: every request is proxied on a
    # connection of its own, to the next gateway in round-robin order;
    # a gateway that does not accept the connection within 1s is
    # skipped (POST is never sent twice: non_idempotent is not set)
    cat > "$d/conf/nginx.conf" <<CONF
error_log logs/error.log warn;
pid $d/nginx.pid;
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    upstream gateways {
$servers    }
    server {
        listen $(net_addr lb):$LB_PORT;
        keepalive_requests 1000000;
        location / {
            proxy_pass http://gateways;
            proxy_connect_timeout 1s;
            proxy_send_timeout 30s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
    on lb /usr/sbin/nginx -p "$d/" -c conf/nginx.conf || return 1
    wait_port client "$(net_addr lb)" $LB_PORT 10
}

# worker_keys_learn: the worker host's store gets every key of the keys
# topic, by the host itself.  Today that is "strm-keys sync" to the end
# of the topic; the keys daemon of the fleet work replaces this function.
worker_keys_learn() {
    mkdir -p "$RUN/worker"
    [ -d "$RUN/worker/keys" ] || mkdir -m 0700 "$RUN/worker/keys"
    on worker "$STRM_ROOT/build/strm-keys" -s "$RUN/worker/keys/keys.mdb" \
        sync -b "$BOOTSTRAP" -t "$KEYS_TOPIC" -o \
        > "$RUN/worker/sync.json" 2> "$RUN/worker/sync.log"
}

decrypt_start() {
    local d=$RUN/worker
    mkdir -p "$d"
    cat > "$d/decrypt.conf" <<CONF
kafka {
    brokers_file $RUN/broker/bootstrap;
    consumer_property fetch.wait.max.ms 50;
}
schemas $STRM_ROOT/conf/registry;
keys {
    store $d/keys/keys.mdb;
    kek $RUN/shared/kek.json;
    refresh 1s;
}
dead_letter $EVENTS_TOPIC-dead;
audit_log $d/audit.jsonl;
status_file $d/status.json;
status_interval 200ms;

source $EVENTS_TOPIC {
    derived {
        type granular;
        levels 1 2 3;
        topic $DERIVED_TOPIC;
        purpose "fleet test: every PII field";
        owner "fleet test";
    }
}
CONF
    on_bg worker "$STRM_ROOT/build/strm-decrypt" -c "$d/decrypt.conf" \
        2> "$d/decrypt.log"
    DECRYPT_PID=$BG_PID
}

# decrypt_wait N [SECONDS]: until strm-decrypt read N records and has
# nothing in flight
decrypt_wait() {
    "$PY" - "$RUN/worker/status.json" "$1" "${2:-90}" <<'PY'
import json, sys, time
deadline = time.time() + float(sys.argv[3])
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        d = list(s["derived"].values())
        if d and all(x["in"] >= int(sys.argv[2]) for x in d) \
                and s["in_flight"] == 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

decrypt_stop() {
    [ -n "${DECRYPT_PID:-}" ] || return 0
    kill -TERM "$DECRYPT_PID" 2> /dev/null
    wait "$DECRYPT_PID" 2> /dev/null
    DECRYPT_PID=
}

# kafka_dump TOPIC FILE [MIN]: every record, from the broker host
kafka_dump() {
    on broker "$KAFKA_READ" -b "$BOOTSTRAP" -t "$1" --timeout 60 \
        --min "${3:-0}" > "$2"
}
