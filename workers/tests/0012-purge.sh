#!/usr/bin/env bash
# Purge on a schedule: a gateway (strm_keys_retention), a workers'
# machine's strm-keys sync (-r) and strm-export's own store in keys mode
# (keys_retention) purge the key links that expired longer ago than
# their retention, by themselves, so that no store grows without bound;
# a purge is an erasure (no copy of a purged key is left in the store
# files), and sync's is the fleet's: it writes the purged links'
# tombstones to the keys topic, so that compaction removes them there.

set -u
. "$(dirname "$0")/helpers.sh"

PORT=$((18583 + STRM_PORT_SHIFT))
KEYS=$STRM_ROOT/build/strm-keys

T=$(mktemp -d "${TMPDIR:-/tmp}/strm-purge-XXXXXX")
chmod 0711 "$T"
trap '[ -f "$T/gw/nginx.pid" ] && kill -QUIT "$(cat "$T/gw/nginx.pid")"
      [ -n "${SYNC_PID:-}" ] && kill "$SYNC_PID"
      [ -n "${XPID:-}" ] && kill "$XPID" && wait "$XPID"
      sleep 0.5; strm_cleanup; rm -rf "$T"' EXIT

strm_devbroker_start -P 2 -t src -t src-keys || { FAIL "devbroker"; finish; }

mkdir -p "$T/gw"
W=$T/gw STRM_GW_HTTP="strm_key_rotation 2s; strm_keys_retention 1s;" \
    strm_gateway_start $PORT "        location = /ready { strm_ready; }" \
    || { FAIL "gateway starts"; finish; }

# sync's retention is longer than the exporter's: its purge writes
# tombstones, which would empty the exporter's store before the
# exporter's own keys_retention could show that it purges
"$KEYS" -s "$T/worker.mdb" sync -b "$BOOTSTRAP" -t src-keys -r 7 \
    2> "$T/sync.log" &
SYNC_PID=$!

cat > "$T/export.conf" <<CONF
kafka { brokers_file $DB_DIR/bootstrap; }
status_file $T/export.status;
status_interval 200ms;
error_log $T/export.log;
export keys {
    mode keys;
    topics src-keys;
    group g-purge;
    connector file://$T/out;
    kek $T/gw/kek.json;
    keys_store $T/export.mdb;
    keys_retention 3s;
    batch_idle 300ms;
}
CONF
"$STRM_ROOT/build/strm-export" -c "$T/export.conf" &
XPID=$!

check "the gateway is ready" strm_wait_ready $PORT

# the exporter keeps a link 3 s past its window (keys_retention): it is
# in its group, its store following the topic, before the links are made
for ((i = 0; i < 150; i++)); do
    grep -q 'assigned [0-9]* partitions' "$T/export.log" 2>/dev/null && break
    sleep 0.1
done
check "strm-export joined its group" \
    grep -q 'assigned [0-9]* partitions' "$T/export.log"

: > "$T/codes"
for ((i = 0; i < 5; i++)); do
    curl -s -o /dev/null -w '%{http_code}\n' -m 10 \
        -H 'Content-Type: application/json' \
        -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' \
        --data "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\",\"consentLevels\":[0]},\"uniqueIdentifier\":\"u\",\"consistentValue\":\"purge-$i\",\"someSensitiveValue\":\"s\",\"notSensitiveValue\":\"n\"}" \
        "http://127.0.0.1:$PORT/event" >> "$T/codes"
done
check_eq "5 new sessions answered 204" 5 "$(grep -c '^204$' "$T/codes")"

"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys --min 5 > "$T/keys.jsonl"

links_in() { "$KEYS" -s "$1" list | wc -l; }

# the links are in both stores first
for ((i = 0; i < 30; i++)); do
    [ "$(links_in "$T/worker.mdb")" -ge 5 ] && break
    sleep 0.1
done
check "the workers' store learnt the links" \
    test "$(links_in "$T/worker.mdb")" -ge 5
for ((i = 0; i < 50; i++)); do
    [ "$(links_in "$T/export.mdb")" -ge 5 ] && break
    sleep 0.1
done
check "strm-export's store learnt them" \
    test "$(links_in "$T/export.mdb")" -ge 5

# expired within 2 s, purged 1 s (the gateway), 3 s (the exporter) or
# 7 s (sync) after that, each in its next step
gone() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ "$(links_in "$1")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}
check "the gateway purged its store by itself" gone "$T/gw/keys/keys.mdb"
check "strm-export's keys_retention purged its store by itself" \
    gone "$T/export.mdb"
check "and said so" grep -q 'keys_store: [0-9]* key links purged' \
    "$T/export.log"
check "strm-keys sync -r purged the workers' store by itself" \
    gone "$T/worker.mdb"
check "and said so" grep -q 'key links purged' "$T/sync.log"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys --min 10 > "$T/keys-after.jsonl"
check_eq "sync's purge wrote a tombstone per purged link to the topic" 5 \
    "$(/usr/bin/python3 -c 'import json, sys
links = set(json.loads(json.loads(l)["value"])["keyLink"]
            for l in open(sys.argv[1]) if json.loads(l)["value"])
print(len(set(json.loads(l)["key"] for l in open(sys.argv[2])
              if json.loads(l)["value"] is None) & links))' \
        "$T/keys.jsonl" "$T/keys-after.jsonl")"

/usr/bin/python3 - "$T" > "$T/scan" <<'PY'
import base64, glob, json, sys
T = sys.argv[1]
wrapped = [base64.b64decode(json.loads(json.loads(l)["value"])["wrappedKey"])
           for l in open(T + "/keys.jsonl") if json.loads(l)["value"]]
n = 0
for f in (glob.glob(T + "/gw/keys/keys.mdb*") + glob.glob(T + "/worker.mdb*")
          + glob.glob(T + "/export.mdb*")):
    data = open(f, "rb").read()
    n += sum(data.count(w) for w in wrapped)
print(len(wrapped), n)
PY
check_eq "a purge is an erasure: no copy of the 5 keys in the store files" \
    "5 0" "$(cat "$T/scan")"

finish
