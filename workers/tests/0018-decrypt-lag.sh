#!/usr/bin/env bash
# strm-decrypt's lag does not lie: it is the high watermark minus where
# the member stands, and for a partition it has read nothing from yet,
# where its group committed (issue "operating honestly": a member that
# had consumed nothing reported the whole log as lag).  Records that
# are not events go to the dead-letter topic and are committed like
# the others; a restarted member then has nothing to read: lag 0.

set -u
. "$(dirname "$0")/helpers.sh"

DECRYPT=$STRM_ROOT/build/strm-decrypt
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/strm-decrypt-lag-XXXXXX")
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2> /dev/null && wait "$DPID"
      strm_cleanup; [ -n "${STRM_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT

strm_devbroker_start -P 2 -t src -t src-decrypt-dead \
    || { FAIL "devbroker"; finish; }
"$STRM_ROOT/build/strm-keys" new-kek -o "$W/kek.json"
mkdir -p "$W/keys"
# an empty store (a workers' machine's, kept by strm-keys sync)
"$STRM_ROOT/build/strm-keys" -s "$W/keys/keys.mdb" purge -r 0 > /dev/null

cat > "$W/decrypt.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
    consumer_property session.timeout.ms 6000;
    consumer_property heartbeat.interval.ms 500;
}
schemas $STRM_ROOT/conf/registry;
keys {
    store $W/keys/keys.mdb;
    kek $W/kek.json;
}
dead_letter src-decrypt-dead;
audit_log $W/audit.jsonl;
status_file $W/status.json;
status_interval 200ms;
error_log $W/decrypt.log;

source src {
    derived {
        type granular;
        levels 1;
        purpose "lag test";
        owner "ops";
    }
}
CONF

for p in 0 1; do
    for ((i = 0; i < 25; i++)); do echo "not an event $p $i"; done \
        | kcat -b "$BOOTSTRAP" -P -t src -p $p 2> /dev/null
done

# wait_status EXPR: until the status file says so (30 s)
wait_status() {
    "$PY" - "$W/status.json" "$1" <<'PY'
import json, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if eval(sys.argv[2], {}, {"s": s}):
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

"$DECRYPT" -c "$W/decrypt.conf" &
DPID=$!
check "the first member reads the 50 records and is not behind" \
    wait_status "s['malformed'] == 50 and s['lag'] == 0"
kill -TERM "$DPID" && wait "$DPID"
DPID=

# the group committed both partitions at their end; a new member is
# given them and has nothing to read
rm -f "$W/status.json"
"$DECRYPT" -c "$W/decrypt.conf" &
DPID=$!
for ((i = 0; i < 300; i++)); do
    [ "$(grep -c 'assigned 2 partitions' "$W/decrypt.log")" -ge 2 ] && break
    sleep 0.1
done
check "the restarted member is assigned both partitions" \
    test "$(grep -c 'assigned 2 partitions' "$W/decrypt.log")" -ge 2
sleep 1
check "it reports lag 0, not the whole log (50)" \
    wait_status "s['lag'] == 0 and s['malformed'] == 0"
check_eq "its status says so" 0 \
    "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["lag"])' "$W/status.json")"

# and a real lag is still counted: 10 more records while it is paused
kill -STOP "$DPID"
for ((i = 0; i < 10; i++)); do echo "not an event late $i"; done \
    | kcat -b "$BOOTSTRAP" -P -t src -p 0 2> /dev/null
kill -CONT "$DPID"
check "the 10 new records are read and the lag back to 0" \
    wait_status "s['malformed'] == 10 and s['lag'] == 0"
kill -TERM "$DPID" && wait "$DPID"
DPID=

# A stop with Kafka gone is bounded: librdkafka's commit and close wait
# as long as the group's session (45 s by default, as here) each
sed -e '/session.timeout.ms/d' -e '/heartbeat.interval.ms/d' \
    "$W/decrypt.conf" > "$W/default.conf"
rm -f "$W/status.json"
: > "$W/decrypt.log"
"$DECRYPT" -c "$W/default.conf" &
DPID=$!
check "a member with the default session joins" \
    wait_status "s['lag'] == 0"
for ((i = 0; i < 150; i++)); do
    grep -q 'assigned 2 partitions' "$W/decrypt.log" && break
    sleep 0.1
done
for ((i = 0; i < 5; i++)); do echo "not an event gone $i"; done \
    | kcat -b "$BOOTSTRAP" -P -t src -p 1 2> /dev/null
check "it reads 5 more records, their dead letters acked" \
    wait_status "s['malformed'] == 5 and s['in_flight'] == 0"
strm_devbroker_stop
check "TERM with the broker gone: strm-decrypt is gone within 30 s" \
    strm_term_within "$DPID" 30
wait "$DPID"
DPID=
check "it says that what was not committed is read again" \
    grep -q 'what was not committed is read again' "$W/decrypt.log"

finish
