#!/usr/bin/env bash
# Erasure that holds (docs/keys.md "Erasure"): two gateways (a fleet of
# two, each its own store) and a workers' machine's store (strm-keys
# sync) take 50 subjects' events in two windows.  5 subjects are
# forgotten by value, 2 by key link, on gateway a; the first window is
# purged everywhere (the workers' machine's purge writes tombstones, as
# forgets do).  Then: gateway b and the workers' store erase the links
# by themselves; the keys topic's live records (the last of each link)
# hold none of them, and a new consumer group's keys export none; no store file (LMDB's, free pages included, and
# the slot file) of any box holds a copy of an erased wrapped key
# (taken from the keys topic before the erasure), and no window of them
# unwraps with the KEK as an erased key; the other subjects' keys still
# unwrap; a forgotten subject's next event gets a new key link; the
# audit trail has one record per forget, with counts and no value.

set -u
. "$(dirname "$0")/helpers.sh"

ROTATION=${ROTATION:-6}
PORT_A=$((18581 + STRM_PORT_SHIFT))
PORT_B=$((18582 + STRM_PORT_SHIFT))
KEYS=$STRM_ROOT/build/strm-keys

T=$(mktemp -d "${TMPDIR:-/tmp}/strm-forget-XXXXXX")
chmod 0711 "$T"
trap 'for w in a b; do
          [ -f "$T/$w/nginx.pid" ] && kill -QUIT "$(cat "$T/$w/nginx.pid")"
      done 2> /dev/null
      [ -n "${XPID:-}" ] && kill "$XPID" && wait "$XPID"
      sleep 0.5; strm_cleanup; rm -rf "$T"' EXIT

strm_devbroker_start -P 3 -t src -t src-keys || { FAIL "devbroker"; finish; }
"$KEYS" new-kek > "$T/kek.json"
chmod 0600 "$T/kek.json"

for w in a b; do
    mkdir -p "$T/$w"
    W=$T/$w STRM_KEK=$T/kek.json \
        STRM_GW_HTTP="strm_key_rotation ${ROTATION}s;" \
        strm_gateway_start "$([ $w = a ] && echo $PORT_A || echo $PORT_B)" \
        "        location = /ready { strm_ready; }" \
        || { FAIL "gateway $w starts"; finish; }
done

sleep 1
check "gateway a ready" strm_wait_ready $PORT_A
check "gateway b ready" strm_wait_ready $PORT_B

post() {
    curl -s -o /dev/null -w '%{http_code}\n' -m 10 \
        -H 'Content-Type: application/json' \
        -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' \
        --data "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\",\"consentLevels\":[0,1,2]},\"uniqueIdentifier\":\"u-$2\",\"consistentValue\":\"$2\",\"someSensitiveValue\":\"s\",\"notSensitiveValue\":\"n\"}" \
        "http://127.0.0.1:$1/event"
}

# post_id PORT VALUE: one event, prints its strm-event-id
post_id() {
    curl -s -D - -o /dev/null -m 10 \
        -H 'Content-Type: application/json' \
        -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' \
        --data "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\",\"consentLevels\":[0,1,2]},\"uniqueIdentifier\":\"u\",\"consistentValue\":\"$2\",\"someSensitiveValue\":\"s\",\"notSensitiveValue\":\"n\"}" \
        "http://127.0.0.1:$1/event" \
        | tr -d '\r' | awk 'tolower($1) == "strm-event-id:" { print $2 }'
}

# link_of ID MIN: the key link of the event ID (the topic has MIN)
link_of() {
    "$KAFKA_READ" -b "$BOOTSTRAP" -t src --min "$2" \
        | /usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r["headers"].get("strm-event-id") == sys.argv[1]:
        print(json.loads(r["value"])["strmMeta"]["keyLink"])' "$1"
}

# wait for the start of a window, so that one round stays in one
sleep $(( ROTATION - $(date +%s) % ROTATION ))
: > "$T/codes"
for round in 1 2; do
    for ((i = 0; i < 50; i++)); do
        post $((i % 2 ? PORT_A : PORT_B)) "PII-forget-subject-$i" >> "$T/codes"
    done
    # the next window
    [ $round = 1 ] && sleep $(( ROTATION - $(date +%s) % ROTATION ))
done
check_eq "100 events answered 204" 100 "$(grep -c '^204$' "$T/codes")"

"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min 100 > "$T/src.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$T/keys-before.jsonl"

# the workers' machine: its own store from the topic
"$KEYS" -s "$T/worker.mdb" sync -b "$BOOTSTRAP" -t src-keys -o > /dev/null
check_eq "the workers' store has every winner" 100 \
    "$("$KEYS" -s "$T/worker.mdb" list | wc -l)"

# every key record written before the erasure
/usr/bin/python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
links = {}
for l in open(T + "/keys-before.jsonl"):
    r = json.loads(l)
    if r["value"]:
        v = json.loads(r["value"])
        links[v["keyLink"]] = v
json.dump(links, open(T + "/links.json", "w"))
PY

# forget 5 subjects by value and 2 by link, on gateway a's store
: > "$T/audit"
for i in 3 7 11 19 23; do
    printf 'PII-forget-subject-%d\n' $i | "$KEYS" -s "$T/a/keys/keys.mdb" \
        -k "$T/kek.json" -b "$BOOTSTRAP" -t src-keys -a "$T/audit" \
        -c strmprivacy/example/1.3.0 forget value >> "$T/forgotten.jsonl"
done
check_eq "each forget by value finds the subject's two links" \
    "2 2 2 2 2" "$(/usr/bin/python3 -c 'import json,sys
print(" ".join(str(json.loads(l)["forgotten"]) for l in open(sys.argv[1])))' \
        "$T/forgotten.jsonl")"

# by link: a link of subjects 30 and 31 (an event's, found by its id)
n=100
for i in 30 31; do
    id=$(post_id $PORT_A "PII-forget-subject-$i")
    n=$((n + 1))
    link=$(link_of "$id" $n)
    check "an event of subject $i found in Kafka" test -n "$link"
    "$KEYS" -s "$T/a/keys/keys.mdb" -k "$T/kek.json" -b "$BOOTSTRAP" \
        -t src-keys -a "$T/audit" forget link "$link" >> "$T/forgotten.jsonl"
done

/usr/bin/python3 -c 'import json,sys
links = set()
for l in open(sys.argv[1]):
    links.update(json.loads(l)["keyLinks"])
open(sys.argv[2], "w").write("\n".join(sorted(links)) + "\n")' \
    "$T/forgotten.jsonl" "$T/forgotten.links"
nforgot=$(wc -l < "$T/forgotten.links")
check "7 subjects forgotten: at least 12 key links" test "$nforgot" -ge 12

check_eq "the audit trail: one record per forget" 7 \
    "$(grep -c '"event":"forget"' "$T/audit")"
check "the audit trail says by value or by link, with counts" \
    grep -q '"subject":"value","contract":"strmprivacy/example/1.3.0","count":2' "$T/audit"
check "no value in the audit trail or in the forget's output" \
    bash -c "! grep -q 'PII-forget' '$T/audit' '$T/forgotten.jsonl'"

# gateway b and the workers' machine erase by themselves
"$KEYS" -s "$T/worker.mdb" sync -b "$BOOTSTRAP" -t src-keys -o > /dev/null
gone_from() {
    local i
    for ((i = 0; i < 50; i++)); do
        if ! "$KEYS" -s "$1" list | grep -qFf "$T/forgotten.links"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
check "gateway b erased the forgotten links within 5 s" \
    gone_from "$T/b/keys/keys.mdb"
check "the workers' store erased them on sync" gone_from "$T/worker.mdb"

# the first window is over: purge it everywhere
sleep $(( ROTATION - $(date +%s) % ROTATION ))
# retention: SECONDS such that the first window expired longer ago and
# the second did not (a load that made the steps above slow may have
# let both expire: the retention keeps the second whatever the time)
retention() {
    /usr/bin/python3 -c 'import json, sys, time
exp = max(r["expires"] for r in json.load(open(sys.argv[1])).values())
print(max(0, int(time.time() * 1000) - exp) // 1000 + 3)' "$T/links.json"
}
for s in a/keys/keys.mdb b/keys/keys.mdb; do
    "$KEYS" -s "$T/$s" purge -r "$(retention)" >> "$T/purged.jsonl"
done
# the workers' machine purges for the fleet: tombstones to the topic
"$KEYS" -s "$T/worker.mdb" -b "$BOOTSTRAP" -t src-keys \
    purge -r "$(retention)" >> "$T/purged.jsonl"
check "a purge removed the first window's links" \
    grep -q '"purged":[1-9]' "$T/purged.jsonl"

# a forgotten subject's next event: a fresh key link, on either box
: > "$T/relinked"
for p in $PORT_A $PORT_B; do
    id=$(post_id $p "PII-forget-subject-3")
    n=$((n + 1))
    link_of "$id" $n >> "$T/relinked"
done
check "a forgotten subject gets a new key link" \
    bash -c "! grep -qFf '$T/forgotten.links' '$T/relinked'"
check_eq "one new link on both boxes" "1 2" \
    "$(sort -u "$T/relinked" | wc -l) $(wc -l < "$T/relinked")"
check "the value is in no store file and no log" \
    bash -c "! grep -rqa 'PII-forget-subject' '$T/a/keys' '$T/b/keys' \
              '$T'/worker.mdb* '$T/a/logs' '$T/b/logs' '$T/audit'"

# the keys topic's live records, as compaction leaves them (the last
# record of each key link; the dev broker never compacts, so this is
# what a compacting cluster keeps): no erased key
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$T/keys-after.jsonl"
/usr/bin/python3 - "$T" > "$T/live" <<'PY'
import json, sys
T = sys.argv[1]
links = json.load(open(T + "/links.json"))
forgotten = set(open(T + "/forgotten.links").read().split())
first = min(r["window"] for r in links.values())
erased = {l for l, r in links.items() if l in forgotten or r["window"] == first}
last = {}
for l in open(T + "/keys-after.jsonl"):
    r = json.loads(l)
    last[r["key"]] = r["value"]
live = {k for k, v in last.items() if v is not None}
print(len(erased), len(erased & live), len(live - erased) > 30)
PY
check "no erased key link is live in the keys topic (its tombstone last)" \
    grep -Eq '^[0-9]+ 0 True$' "$T/live"

# a new consumer group's keys export after the erasure: none of them
cat > "$T/export.conf" <<CONF
kafka { brokers_file $DB_DIR/bootstrap; }
status_file $T/export.status;
status_interval 200ms;
error_log $T/export.log;
export keys {
    mode keys;
    topics src-keys;
    group g-after-erasure;
    connector file://$T/out;
    kek $T/kek.json;
    keys_store $T/export.mdb;
    batch_idle 300ms;
    time_prefix off;
}
CONF
nkeys=$(wc -l < "$T/keys-after.jsonl")
"$STRM_ROOT/build/strm-export" -c "$T/export.conf" &
XPID=$!
for ((i = 0; i < 300; i++)); do
    /usr/bin/python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["records"] >= int(sys.argv[2]) and s["batches_open"] == 0
         and s["batches_waiting"] == 0 else 1)' "$T/export.status" "$nkeys" \
        2> /dev/null && break
    sleep 0.1
done
kill -TERM "$XPID" && wait "$XPID"
XPID=
cat "$T"/out/*.jsonl 2> /dev/null | jq -r .keyLink | sort > "$T/exported"
check "the export has the kept key links (more than 30)" \
    test "$(wc -l < "$T/exported")" -gt 30
check "and none of the erased ones" bash -c "/usr/bin/python3 -c '
import json, sys
T = sys.argv[1]
links = json.load(open(T + \"/links.json\"))
forgotten = set(open(T + \"/forgotten.links\").read().split())
first = min(r[\"window\"] for r in links.values())
erased = {l for l, r in links.items() if l in forgotten or r[\"window\"] == first}
sys.exit(1 if erased & set(open(T + \"/exported\").read().split()) else 0)' '$T'"

# the forensic scan of every store file of every box
for w in a b; do
    kill -QUIT "$(cat "$T/$w/nginx.pid")" 2> /dev/null
done
sleep 1

/usr/bin/python3 - "$T" > "$T/scan" <<'PY'
import base64, glob, json, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
T = sys.argv[1]
links = json.load(open(T + "/links.json"))
forgotten = set(open(T + "/forgotten.links").read().split())
kek = json.load(open(T + "/kek.json"))
keys = {}
for k in kek["key"]:
    v = base64.b64decode(k["keyData"]["value"])
    # AesGcmKey proto: field 3, length-delimited, the key
    i = 0
    while i < len(v):
        tag, i = v[i], i + 1
        if tag & 7 == 2:
            n, i = v[i], i + 1
            if tag >> 3 == 3:
                keys[k["keyId"]] = v[i:i + n]
            i += n
        else:
            while v[i] & 0x80:
                i += 1
            i += 1
first = min(r["window"] for r in links.values())
erased = {l: r for l, r in links.items()
          if l in forgotten or r["window"] == first}
kept = {l: r for l, r in links.items() if l not in erased}
files = sorted(glob.glob(T + "/a/keys/keys.mdb*") +
               glob.glob(T + "/b/keys/keys.mdb*") +
               glob.glob(T + "/worker.mdb*") +
               glob.glob(T + "/export.mdb*") +
               glob.glob(T + "/out/*"))
copies = 0
tried = ok = 0
kept_found = set()
kept_unwrapped = set()
for f in files:
    data = open(f, "rb").read()
    for l, r in erased.items():
        copies += data.count(base64.b64decode(r["wrappedKey"]))
    for l, r in kept.items():
        if base64.b64decode(r["wrappedKey"]) in data:
            kept_found.add(l)
    # every window (48 to 128 bytes: ours are 97) that starts as a
    # wrapped key of this KEK does
    for kid, key in keys.items():
        prefix = b"\x01" + struct.pack(">I", kid)
        at = data.find(prefix)
        while at != -1:
            for l in erased:
                for n in range(48, 129):
                    w = data[at:at + n]
                    if len(w) < n:
                        break
                    tried += 1
                    try:
                        AESGCM(key).decrypt(w[5:17], w[17:], l.encode())
                        ok += 1
                    except Exception:
                        pass
            # the same scan finds what is there: the kept keys unwrap
            for l, r in kept.items():
                n = len(base64.b64decode(r["wrappedKey"]))
                w = data[at:at + n]
                try:
                    AESGCM(key).decrypt(w[5:17], w[17:], l.encode())
                    kept_unwrapped.add(l)
                except Exception:
                    pass
            at = data.find(prefix, at + 1)
print("files", len(files))
print("kept_unwrapped", len(kept_unwrapped))
print("erased", len(erased))
print("kept", len(kept))
print("copies", copies)
print("unwrapped", ok)
print("tried", tried)
print("kept_found", len(kept_found))
PY

fact() { awk -v k="$1" '$1 == k { print $2 }' "$T/scan"; }
echo "# $(tr '\n' ' ' < "$T/scan")"
check "the store files of four stores (LMDB, its lock, the slots) and the export scanned" \
    test "$(fact files)" -ge 13
check "erased: the forgotten and the purged links" \
    test "$(fact erased)" -gt 50
check_eq "no copy of an erased wrapped key in any store file" 0 \
    "$(fact copies)"
check_eq "no window of any store file unwraps as an erased key" 0 \
    "$(fact unwrapped)"
check "the second window's other subjects are kept (more than 30)" \
    test "$(fact kept)" -gt 30
check_eq "every kept key is still in the stores" "$(fact kept)" \
    "$(fact kept_found)"
check_eq "and the same scan unwraps every kept key" "$(fact kept)" \
    "$(fact kept_unwrapped)"

finish
