#!/usr/bin/env bash
# A fleet of gateways on simulated hosts (issue 16), one Linux network
# namespace per host, all on one bridge (net.sh):
#
#   broker  10.200.0.10  strm-devbroker -n 3 (+ forwarders, hosts.sh)
#   gw1-3   .11-.13      Debian's nginx + the module, each its own store,
#                        the same KEK, registry, topics
#   lb      .14          nginx, http proxy, round robin, a connection of
#                        its own per request toward the gateways
#   worker  .15          strm-keys (its own store), strm-decrypt
#   client  .16          client.py: the load, one line per answer
#
# Phases (each with its accounting: every 204 in Kafka exactly once,
# matched by the strm-event-id header, read from the broker host):
#   main     FLEET_SESSIONS x FLEET_EVENTS events through lb, interleaved
#            -> one key link per session, FLEET_SESSIONS links in all,
#            one winner per session in the keys topic
#   linkcut  load through lb; gw1's cable out for FLEET_CUT_SECONDS
#   restart  load through lb; gw2 stopped, its store deleted, started:
#            not ready until rebuilt, then its sessions keep their links
#   race     FLEET_RACES new sessions, each posted to gw1 and gw2 at once
#            -> one key link per session
#   window   strm_key_rotation FLEET_WINDOW_ROTATION: one new key link
#            per session per window, fleet-wide
# then the worker host learns the keys by itself (worker_keys_learn) and
# strm-decrypt decrypts every PII field of every event (checked against
# what the client sent).  check.py prints the checks.
#
#   make test-fleet                   (root; the full run, ~2 minutes)
#   FLEET_SESSIONS=200 FLEET_EVENTS=5 FLEET_FAULT_SESSIONS=60 \
#   FLEET_RACES=20 bash workers/tests/fleet/fleet.sh     (a quick one)
#   FLEET_KEEP=1 ...                  keeps the run's files ($RUN)
#
# Part of "make test" (make check): it needs root for the namespaces.
#
# Hooks for the fleet logic: fleet_shared_setup (what every box shares:
# the KEK today, the fleet secret next), FLEET_GW_HTTP_EXTRA (more lines
# for the gateways' http block), worker_keys_learn (how the worker host
# gets its keys: "strm-keys sync -o" today, the keys daemon next), and
# SESSION_FIELDS in check.py (the key record's session field, with
# which the keys topic's winners are the first candidates per session
# and window).

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers.sh"
trap - EXIT
. "$HERE/net.sh"
. "$HERE/hosts.sh"

PY=/usr/bin/python3

FLEET_SESSIONS=${FLEET_SESSIONS:-2000}
FLEET_EVENTS=${FLEET_EVENTS:-10}
FLEET_FAULT_SESSIONS=${FLEET_FAULT_SESSIONS:-300}
FLEET_FAULT_EVENTS=${FLEET_FAULT_EVENTS:-10}
FLEET_FAULT_RATE=${FLEET_FAULT_RATE:-250}
FLEET_CUT_SECONDS=${FLEET_CUT_SECONDS:-4}
FLEET_RACES=${FLEET_RACES:-200}
FLEET_WINDOW_SESSIONS=${FLEET_WINDOW_SESSIONS:-100}
FLEET_WINDOW_ROTATION=${FLEET_WINDOW_ROTATION:-4}
FLEET_WINDOWS=${FLEET_WINDOWS:-3}
FLEET_CONCURRENCY=${FLEET_CONCURRENCY:-32}
FLEET_DEADLINE=${FLEET_DEADLINE:-150}
# the phases before "window": one rotation window, so a rotation whose
# next epoch-aligned boundary is more than 15 minutes away
for h in 24 25 23; do
    GW_ROTATION=${h}h
    [ $((h * 3600 - $(date +%s) % (h * 3600))) -gt 900 ] && break
done

T_START=$(date +%s)
NONCE=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')

for b in "$STRM_ROOT/build/ngx_http_strm_module.so" "$STRM_DEVBROKER" \
         "$STRM_ROOT/build/strm-keys" "$STRM_ROOT/build/strm-decrypt"; do
    if [ ! -e "$b" ]; then
        FAIL "no $b (make all)"
        finish
    fi
done
if [ "$(id -u)" != 0 ]; then
    FAIL "network namespaces need root (CI runs this as root)"
    finish
fi
for c in ip socat curl /usr/sbin/nginx; do
    command -v "$c" > /dev/null || { FAIL "no $c (scripts/setup)"; finish; }
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/strm-fleet-XXXXXX")
chmod 0711 "$RUN"

# shellcheck disable=SC2317 # called by the trap
cleanup() {
    trap - EXIT INT TERM
    decrypt_stop
    net_down
    if [ -n "${FLEET_KEEP:-}" ]; then
        echo "# run files kept in $RUN"
    else
        rm -rf "$RUN"
    fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT TERM

say() { echo "# $(date +%T) $*"; }

# client.py on the client host
client() {
    on client "$PY" "$HERE/client.py" "$@" --nonce "$NONCE"
}
client_bg() {
    on_bg client "$PY" "$HERE/client.py" "$@" --nonce "$NONCE"
}

# wait_progress FILE N [SECONDS]: until the client answered N requests
wait_progress() {
    local i
    for ((i = 0; i < ${3:-60} * 20; i++)); do
        [ "$(cat "$1" 2> /dev/null || echo 0)" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

now_s() { date +%s.%N; }

# keys_snapshot NAME: the keys topic as it is after a phase
keys_snapshot() {
    kafka_dump "$KEYS_TOPIC" "$RUN/keys-$1.jsonl"
}

# --- the hosts ------------------------------------------------------------

say "hosts in network namespaces $NET_PREFIX-*, files in $RUN"
if ! net_up broker gw1 gw2 gw3 lb worker client 2> "$RUN/net.log"; then
    FAIL "network namespaces: cannot set up the hosts: $(cat "$RUN/net.log")"
    finish
fi
PASS "network namespaces: 7 hosts and a switch"

if ! broker_start; then
    FAIL "strm-devbroker -n 3 on the broker host"
    finish
fi
for h in gw1 gw2 gw3 worker; do
    kafka_reach "$h" || { FAIL "forwarders to the brokers on $h"; finish; }
done
fleet_shared_setup
for n in 1 2 3; do
    gw_start $n || { FAIL "gateway gw$n starts"; finish; }
done
lb_start || { FAIL "the load balancer starts"; finish; }
for n in 1 2 3; do
    gw_wait_ready $n 30 ||
        { FAIL "gw$n /ready: $(gw_ready_code $n) after 30s"; finish; }
done
PASS "broker, 3 gateways, load balancer up ($BOOTSTRAP)"

LB=$(net_addr lb):$LB_PORT

# --- main: sessions x events through the load balancer --------------------

say "main: $FLEET_SESSIONS sessions x $FLEET_EVENTS events through lb"
t0=$(now_ms)
client load --phase main --target "$LB" --sessions "$FLEET_SESSIONS" \
    --events "$FLEET_EVENTS" --concurrency "$FLEET_CONCURRENCY" \
    --deadline "$FLEET_DEADLINE" --out "$RUN/answers-main.jsonl"
say "main: done in $(($(now_ms) - t0)) ms"
keys_snapshot main

# --- linkcut: gw1's cable out mid-run, and back ---------------------------

n_fault=$((FLEET_FAULT_SESSIONS * FLEET_FAULT_EVENTS))
# the fault phases last at least 2 x cut + 4 s (a lower rate for small
# loads): the cut starts at 30% of the load and ends 2 s (the balancer's
# fail_timeout) and more before its end, so that the gateway gets events
# again after its link is back
rate=$(awk -v c="$FLEET_CUT_SECONDS" -v n="$n_fault" \
    -v r="$FLEET_FAULT_RATE" \
    'BEGIN { m = n / (2 * c + 4); printf "%d", (r < m ? r : m) + 1 }')
cut=$FLEET_CUT_SECONDS
say "linkcut: $FLEET_FAULT_SESSIONS sessions x $FLEET_FAULT_EVENTS events" \
    "at $rate/s, gw1 cut for ${cut}s"
client_bg load --phase linkcut --target "$LB" \
    --sessions "$FLEET_FAULT_SESSIONS" --events "$FLEET_FAULT_EVENTS" \
    --rate "$rate" --concurrency "$FLEET_CONCURRENCY" \
    --deadline "$FLEET_DEADLINE" --out "$RUN/answers-linkcut.jsonl" \
    --progress "$RUN/progress-linkcut"
cpid=$BG_PID
wait_progress "$RUN/progress-linkcut" $((n_fault * 3 / 10))
# brokers 100 ms slower around the cut, so that it catches events in
# flight at gw1 (requests to answer, records to acknowledge)
broker_ctl broker/all/rtt/100 > /dev/null || FAIL "broker rtt 100 ms"
sleep 0.5
t_cut=$(now_s)
link_down gw1
sleep "$cut"
link_up gw1
t_back=$(now_s)
broker_ctl broker/all/rtt/0 > /dev/null || FAIL "broker rtt back to 0"
wait "$cpid"
echo "{\"cut\": $t_cut, \"back\": $t_back, \"host\": \"$(net_addr gw1)\"}" \
    > "$RUN/linkcut.json"
keys_snapshot linkcut

# --- restart: gw2 stopped, store deleted, started again -------------------

say "restart: the same load, gw2 restarted with an empty store"
client_bg load --phase restart --target "$LB" \
    --sessions "$FLEET_FAULT_SESSIONS" --events "$FLEET_FAULT_EVENTS" \
    --rate "$rate" --concurrency "$FLEET_CONCURRENCY" \
    --deadline "$FLEET_DEADLINE" --out "$RUN/answers-restart.jsonl" \
    --progress "$RUN/progress-restart"
cpid=$BG_PID
wait_progress "$RUN/progress-restart" $((n_fault * 3 / 10))
keys_snapshot before-restart
t_stop=$(now_s)
gw_stop 2 || say "gw2 did not stop in 20s: killed"
# gw2's sessions so far: the ones it answered 204 before its stop
"$PY" - "$RUN/answers-restart.jsonl" "$(net_addr gw2):$GW_PORT" "$t_stop" \
    > "$RUN/restart-sessions" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try:
        a = json.loads(line)
    except ValueError:
        continue                # a line being written
    if a.get("status") == 204 and a.get("up") == sys.argv[2] \
            and a["t1"] < float(sys.argv[3]):
        seen.add(a["s"])
for s in sorted(seen)[:100]:
    print(s)
PY
gw_store_new 2
t_start=$(now_s)
gw_start 2 || FAIL "gw2 starts again"
# /ready, every 50 ms from the client host until 200; then what the
# store holds at that moment
codes=
for ((i = 0; i < 600; i++)); do
    code=$(gw_ready_code 2)
    codes+="$code "
    [ "$code" = 200 ] && break
    sleep 0.05
done
t_ready=$(now_s)
gw_store_links 2 > "$RUN/restart-store-links"
echo "{\"stop\": $t_stop, \"start\": $t_start, \"ready\": $t_ready," \
    "\"codes\": \"$codes\"}" > "$RUN/restart.json"
# the sessions gw2 had seen, posted to gw2 again, directly
client load --phase restart --target "$(net_addr gw2):$GW_PORT" \
    --sessions-file "$RUN/restart-sessions" --first-event 100 --events 1 \
    --concurrency 8 --deadline 60 --out "$RUN/answers-restart-probe.jsonl"
wait "$cpid"
keys_snapshot restart

# --- race: gw1 and gw2 meet the same new session at once ------------------

say "race: $FLEET_RACES new sessions, each to gw1 and gw2 at once"
client race --phase race --target "$(net_addr gw1):$GW_PORT" \
    --target "$(net_addr gw2):$GW_PORT" --sessions "$FLEET_RACES" \
    --out "$RUN/answers-race.jsonl"
keys_snapshot race

# --- window: rotation of a few seconds ------------------------------------

say "window: strm_key_rotation ${FLEET_WINDOW_ROTATION}s, $FLEET_WINDOWS" \
    "windows, $FLEET_WINDOW_SESSIONS sessions"
for n in 1 2 3; do
    gw_reload $n "${FLEET_WINDOW_ROTATION}s" || FAIL "gw$n reloads"
    gw_wait_ready $n 30 || FAIL "gw$n ready after its reload"
done
# new workers: their producers' first events wait for connections and
# metadata; a few events first (not checked), so that the window load
# keeps its schedule
for n in 1 2 3; do
    client load --phase warmup$n --target "$(net_addr "gw$n"):$GW_PORT" \
        --sessions 8 --concurrency 8 --deadline 30 \
        --out "$RUN/warmup.jsonl"
done
keys_snapshot warmup
client window --phase window --target "$LB" \
    --sessions "$FLEET_WINDOW_SESSIONS" --rotation "$FLEET_WINDOW_ROTATION" \
    --windows "$FLEET_WINDOWS" --concurrency "$FLEET_CONCURRENCY" \
    --out "$RUN/answers-window.jsonl"
keys_snapshot window
echo "{\"rotation\": $FLEET_WINDOW_ROTATION}" > "$RUN/window.json"

# --- the worker host: keys by itself, strm-decrypt ------------------------

say "Kafka read back from the broker host"
kafka_dump "$EVENTS_TOPIC" "$RUN/events.jsonl"
n_events=$(wc -l < "$RUN/events.jsonl")
say "worker: keys learned by the worker host, strm-decrypt over $n_events"
worker_keys_learn ||
    FAIL "the worker host learns the keys: $(cat "$RUN/worker/sync.log")"
decrypt_start
decrypt_wait "$n_events" 120 || FAIL "strm-decrypt read all $n_events events"
kafka_dump "$DERIVED_TOPIC" "$RUN/derived.jsonl"
decrypt_stop

# --- the checks -----------------------------------------------------------

say "checks"
while IFS=$'\t' read -r verdict text; do
    case $verdict in
        PASS) PASS "$text" ;;
        FAIL) FAIL "$text" ;;
        *)    echo "# $verdict $text" ;;
    esac
done < <("$PY" "$HERE/check.py" "$RUN" "$FLEET_SESSIONS" 2>&1 \
         || echo "FAIL	check.py failed")

say "run time $(($(date +%s) - T_START))s"
finish
