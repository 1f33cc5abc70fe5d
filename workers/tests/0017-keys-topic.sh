#!/usr/bin/env bash
# The keys topic's compaction settings (docs/keys.md "Erasure"): they
# bound how long a forgotten key stays readable in Kafka, so they are
# checked.  `strm-keys topic` reads them (and creates the topic with
# them); a gateway's worker 0 asks for them at start, in the event
# loop, and logs the bound, a warning per problem, or that they cannot
# be checked.  The dev broker (librdkafka's mock cluster) answers no
# admin request: both must say so and never take it for "checked".
# (What makes a problem is t/unit/test_core.c's, with Kafka's defaults.)

set -u
. "$(dirname "$0")/helpers.sh"

PORT=$((18584 + STRM_PORT_SHIFT))
KEYS=$STRM_ROOT/build/strm-keys

T=$(mktemp -d "${TMPDIR:-/tmp}/strm-topic-XXXXXX")
chmod 0711 "$T"
trap '[ -f "$T/gw/nginx.pid" ] && kill -QUIT "$(cat "$T/gw/nginx.pid")"
      sleep 0.5; strm_cleanup; rm -rf "$T"' EXIT

strm_devbroker_start -P 2 -t src -t src-keys || { FAIL "devbroker"; finish; }

"$KEYS" -b "$BOOTSTRAP" -t src-keys topic > "$T/topic.json" 2> "$T/topic.log"
rc=$?
check_eq "strm-keys topic fails when the brokers cannot say" 1 "$rc"
check "it prints \"checked\":false with the reason" \
    grep -q '^{"topic":"src-keys","created":false,"checked":false,"error":"[^"]' \
    "$T/topic.json"
check "and logs why" grep -q 'topic "src-keys": its settings cannot be read' \
    "$T/topic.log"

"$KEYS" -b "$BOOTSTRAP" -t src-keys topic create 0 1 > /dev/null 2>&1
check_eq "topic create needs partitions and replicas above 0" 64 "$?"

mkdir -p "$T/gw"
W=$T/gw STRM_WORKERS=2 STRM_GW_LOG_LEVEL=notice \
    strm_gateway_start $PORT "        location = /ready { strm_ready; }" \
    || { FAIL "gateway starts"; finish; }

check "the gateway is ready (the check does not hold it)" \
    strm_wait_ready $PORT

# the admin request times out after 10 s at the dev broker
said() {
    grep -c 'strm keys topic "src-keys": its compaction settings cannot be checked' \
        "$T/gw/logs/error.log"
}
for ((i = 0; i < 150; i++)); do
    [ "$(said)" -ge 1 ] && break
    sleep 0.1
done
check_eq "one worker says the settings cannot be checked" 1 "$(said)"
check "as a notice, not a warning" bash -c \
    "grep 'strm keys topic' '$T/gw/logs/error.log' | grep -q '\[notice\]' \
     && ! grep 'strm keys topic' '$T/gw/logs/error.log' | grep -q '\[warn\]'"

# a reload asks again; the request in flight does not hold the old
# workers back
kill -HUP "$(cat "$T/gw/nginx.pid")"
sleep 1
kill -QUIT "$(cat "$T/gw/nginx.pid")"
for ((i = 0; i < 100; i++)); do
    kill -0 "$(cat "$T/gw/nginx.pid" 2> /dev/null)" 2> /dev/null || break
    sleep 0.1
done
check "nginx quits with an admin request in flight" \
    bash -c "! kill -0 \$(cat '$T/gw/nginx.pid' 2> /dev/null) 2> /dev/null"
check "no alert or crash in the log" bash -c \
    "! grep -Eq '\[(alert|emerg|crit)\]|signal 11' '$T/gw/logs/error.log'"

finish
