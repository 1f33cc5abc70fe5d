#!/usr/bin/env bash
# Two gateways (two nginx, each its own key store, the same KEK and
# Kafka) take the events of the same sessions: the keys topic decides
# one key link per session and window, whichever box meets it first,
# and both boxes encrypt every event of a session under it.  Two boxes
# meeting a new session at the same moment agree too.  (DESIGN.md §3;
# the multi-host version with faults is workers/tests/fleet/.)

set -u
. "$(dirname "$0")/helpers.sh"

SESSIONS=${SESSIONS:-20}
RACES=${RACES:-20}
PORT_A=$((18571 + STRM_PORT_SHIFT))
PORT_B=$((18572 + STRM_PORT_SHIFT))

T=$(mktemp -d "${TMPDIR:-/tmp}/strm-2gw-XXXXXX")
trap 'for w in a b; do
          [ -f "$T/$w/nginx.pid" ] && kill -QUIT "$(cat "$T/$w/nginx.pid")"
      done 2> /dev/null; sleep 0.5; strm_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

chmod 0711 "$T"
strm_devbroker_start -P 4 -t src -t src-keys || { FAIL "devbroker"; finish; }

"$STRM_ROOT/build/strm-keys" new-kek > "$T/kek.json"
chmod 0600 "$T/kek.json"

for w in a b; do
    mkdir -p "$T/$w"
    W=$T/$w STRM_KEK=$T/kek.json \
        strm_gateway_start "$([ $w = a ] && echo $PORT_A || echo $PORT_B)" \
        "        location = /ready { strm_ready; }" \
        || { FAIL "gateway $w starts"; finish; }
done


check "gateway a is ready (its keys consumer read the topic)" strm_wait_ready $PORT_A
check "gateway b is ready" strm_wait_ready $PORT_B

# post PORT SESSION N: one event of SESSION; prints "status event-id"
post() {
    curl -s -o /dev/null -D - -m 10 \
        -H 'Content-Type: application/json' \
        -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' \
        --data "{\"strmMeta\":{\"eventContractRef\":\"strmprivacy/example/1.3.0\",\"consentLevels\":[0,1,2]},\"uniqueIdentifier\":\"u-$2-$3\",\"consistentValue\":\"$2\",\"someSensitiveValue\":\"s-$3\",\"notSensitiveValue\":\"n\"}" \
        "http://127.0.0.1:$1/event" \
        | awk -v s="$2" 'NR == 1 { code = $2 }
                         tolower($1) == "strm-event-id:" { id = $2 }
                         END { sub(/\r/, "", id); print code, id, s }'
}

# every session's events alternate between the boxes; half the
# sessions meet box b first
: > "$T/answers"
for ((i = 0; i < SESSIONS; i++)); do
    for ((n = 0; n < 4; n++)); do
        if (( (i + n) % 2 == 0 )); then port=$PORT_A; else port=$PORT_B; fi
        post $port "PII-2gw-session-$i" $n >> "$T/answers"
    done
done

# the race: both boxes meet a new session at the same moment
for ((i = 0; i < RACES; i++)); do
    post $PORT_A "PII-2gw-race-$i" 0 >> "$T/race.a" &
    pa=$!
    post $PORT_B "PII-2gw-race-$i" 1 >> "$T/race.b" &
    wait $pa $!
done
cat "$T/race.a" "$T/race.b" >> "$T/answers"

total=$((SESSIONS * 4 + RACES * 2))
check_eq "every event answered 204" "$total" \
    "$(awk '$1 == 204' "$T/answers" | wc -l)"

"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min "$total" --timeout 30 \
    > "$T/src.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$T/keys.jsonl"

/usr/bin/python3 - "$T/answers" "$T/src.jsonl" "$T/keys.jsonl" \
    "$SESSIONS" "$RACES" > "$T/facts" <<'PY'
import json, sys
answers, src, keys, sessions, races = sys.argv[1:6]
session_of = {}
for line in open(answers):
    code, eid, s = line.split()
    session_of[eid] = s
links = {}
seen = 0
for line in open(src):
    r = json.loads(line)
    eid = r["headers"].get("strm-event-id")
    if eid not in session_of:
        continue
    seen += 1
    ev = json.loads(r["value"])
    links.setdefault(session_of[eid], set()).add(ev["strmMeta"]["keyLink"])
    if r["key"] != ev["strmMeta"]["keyLink"]:
        print("key_mismatch 1")
one = sum(1 for s in links.values() if len(s) == 1)
distinct = len(set().union(*links.values())) if links else 0
records = [json.loads(l) for l in open(keys)]
cands = [r for r in records if r["value"] is not None]
tombs = [r for r in records if r["value"] is None]
withdrawn = set(r["key"] for r in tombs)
winners = set(json.loads(r["value"])["keyLink"] for r in cands) - withdrawn
used = set().union(*links.values()) if links else set()
print("events_in_kafka", seen)
print("sessions", len(links))
print("sessions_one_link", one)
print("distinct_links", distinct)
print("candidates", len(cands))
print("withdrawn", len(withdrawn))
print("winners", len(winners))
print("used_links_are_winners", int(used <= winners))
print("fleet_records", sum(1 for r in cands
                           if "sessionHash" in json.loads(r["value"])))
PY

fact() { awk -v k="$1" '$1 == k { print $2 }' "$T/facts"; }

sessions=$((SESSIONS + RACES))
check_eq "every acknowledged event is in Kafka" "$total" \
    "$(fact events_in_kafka)"
check_eq "every session has one key link, on both boxes" "$sessions" \
    "$(fact sessions_one_link)"
check_eq "one key link per session fleet-wide" "$sessions" \
    "$(fact distinct_links)"
check_eq "the keys topic's winners: one per session" "$sessions" \
    "$(fact winners)"
check_eq "every link used to encrypt is a winner" 1 \
    "$(fact used_links_are_winners)"
check_eq "every candidate names its session and window" \
    "$(fact candidates)" "$(fact fleet_records)"
check_eq "every losing candidate was withdrawn" \
    "$(( $(fact candidates) - sessions ))" "$(fact withdrawn)"
check "the message key is the key link" \
    test -z "$(fact key_mismatch)"

echo "# $(tr '\n' ' ' < "$T/facts")"

# a box's known sessions never wait: no new candidate for them
before=$(fact candidates)
for ((i = 0; i < SESSIONS; i++)); do
    post $PORT_B "PII-2gw-session-$i" 9 >> "$T/again"
done
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$T/keys2.jsonl"
check_eq "known sessions make no candidate" "$before" \
    "$(/usr/bin/python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["value"] is not None))' \
        "$T/keys2.jsonl")"
check_eq "and are answered 204" "$SESSIONS" \
    "$(awk '$1 == 204' "$T/again" | wc -l)"

finish
