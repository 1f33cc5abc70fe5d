#!/usr/bin/env bash
# -X name=value (kcat's) reaches librdkafka in strm-keys sync and in
# strm-export: a wrong name or value exits 64 naming it, before any
# Kafka; a right one is in the client's own debug lines (client.id names
# the client, debug= makes librdkafka say so on stderr).

. "$(dirname "$0")/helpers.sh"

KEYS=$STRM_ROOT/build/strm-keys
EXPORT=$STRM_ROOT/build/strm-export

for b in "$KEYS" "$EXPORT" "$STRM_DEVBROKER"; do
    if [ ! -x "$b" ]; then
        SKIP "no $b (make workers)"
        finish
    fi
done

strm_devbroker_start -n 1 -t "keys:1" -t "events:1" \
    || { FAIL "devbroker"; finish; }
W=$DB_DIR

# usage_error "what" "expected name" command...: exit 64, the name said
usage_error() {
    local what=$1 name=$2 out rc=0
    shift 2
    out=$("$@" 2>&1 < /dev/null) || rc=$?
    if [ "$rc" = 64 ] && grep -qF -- "invalid -X \"$name\"" <<<"$out"; then
        PASS "$what (exit 64, names \"$name\")"
    else
        FAIL "$what: exit $rc, $out"
    fi
}

# --- strm-keys sync ---------------------------------------------------

usage_error "strm-keys sync: an unknown property" no.such.property \
    "$KEYS" -s "$W/k.mdb" sync -b "$BOOTSTRAP" -t keys -o \
    -X no.such.property=1
usage_error "strm-keys sync: an invalid value" socket.timeout.ms \
    "$KEYS" -s "$W/k.mdb" sync -b "$BOOTSTRAP" -t keys -o \
    -X socket.timeout.ms=soon
usage_error "strm-keys sync: no '='" client.id \
    "$KEYS" -s "$W/k.mdb" sync -b "$BOOTSTRAP" -t keys -o -X client.id
check "strm-keys: nothing was opened on a usage error" test ! -e "$W/k.mdb"

printf '%s\n' "$(cat /proc/sys/kernel/random/uuid)"$'\t''nonsense' |
    kcat -P -b "$BOOTSTRAP" -t keys -K $'\t' 2> /dev/null

out=$("$KEYS" -s "$W/k.mdb" sync -b "$BOOTSTRAP" -t keys -o \
      -X client.id=strm-keys-x7 -X debug=metadata 2> "$W/keys.err")
check_eq "strm-keys sync -X client.id=...: exits 0" 0 $?
check_eq "strm-keys sync -X: reads the topic" \
    '{"copied":0,"shredded":0,"lost":0,"malformed":1}' "$out"
check "strm-keys sync -X: librdkafka's client is named by it" \
    grep -q 'strm-keys-x7#consumer-' "$W/keys.err"

# --- strm-export -------------------------------------------------------

cat > "$W/export.conf" <<CONF
kafka { brokers $BOOTSTRAP; }
export x7 {
    topics events;
    connector file://$W/out;
    batch_idle 1s;
}
CONF
mkdir -p "$W/out"

usage_error "strm-export: an unknown property" no.such.property \
    "$EXPORT" -c "$W/export.conf" -X no.such.property=1
usage_error "strm-export -t: an invalid value" fetch.wait.max.ms \
    "$EXPORT" -t -c "$W/export.conf" -X fetch.wait.max.ms=-5

"$EXPORT" -t -c "$W/export.conf" -X client.id=strm-export-x7 > /dev/null
check_eq "strm-export -t with a right -X: exit 0" 0 $?

echo '{"n":1}' | kcat -P -b "$BOOTSTRAP" -t events 2> /dev/null

"$EXPORT" -c "$W/export.conf" -X client.id=strm-export-x7 \
    -X debug=cgrp 2> "$W/export.err" &
xpid=$!
check "strm-export -X: the record is written" bash -c "
    for i in \$(seq 100); do
        grep -rqF '\"n\":1' '$W/out' && exit 0
        sleep 0.2
    done
    exit 1"
kill -TERM "$xpid"
wait "$xpid"
check_eq "strm-export -X: SIGTERM drains, exit 0" 0 $?
check "strm-export -X: librdkafka's client is named by it" \
    grep -q 'strm-export-x7#consumer-' "$W/export.err"
check "strm-export: nginx error-log lines" grep -Eq \
    '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \[notice\] [0-9]+#0: strm-export: stopped' \
    "$W/export.err"

finish
