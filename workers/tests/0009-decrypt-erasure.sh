#!/usr/bin/env bash
# strm-decrypt and erasure (issue 17).
#
# 1. A running strm-decrypt stops decrypting a forgotten key link as
#    soon as its machine's store no longer has it, however warm its
#    cache of keys: a tombstone in the keys topic (strm-keys shred -b/-t)
#    that the workers' machine applies with "strm-keys sync", within a
#    generous 5 s (the old refresh was 60 s), and a shred of the
#    machine's own store at once.  Other links go on decrypting;
#    key_missing counts the events.
# 2. "rule max" (it decrypts levels the subject never consented to) is a
#    configuration error without "acknowledge_unconsented_levels"; with
#    it, a warning at -t and at start, and the audit definition says so.
# 3. A record with one field that does not decrypt gets the same outcome
#    in each derived stream whatever their order in the configuration:
#    two strm-decrypt with the same two streams in both orders.

. "$(dirname "$0")/helpers.sh"

DECRYPT=${STRM_DECRYPT:-$STRM_ROOT/build/strm-decrypt}
KEYS=$STRM_ROOT/build/strm-keys
MODULE=$STRM_ROOT/build/ngx_http_strm_module.so
NGINX=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
PY=/usr/bin/python3

for b in "$DECRYPT" "$KEYS" "$MODULE" "$STRM_DEVBROKER"; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (make all)"
        finish
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-erasure-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; strm_cleanup; [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$W"' EXIT

# --- rule max: only acknowledged (no Kafka needed) ----------------------

bad() {
    # bad "what" "expected message" config-text
    printf '%s\n' "$3" > "$W/bad.conf"
    local out rc=0
    out=$("$DECRYPT" -t -c "$W/bad.conf" 2>&1) || rc=$?
    if [ "$rc" = 78 ] && grep -qF -- "$2" <<<"$out"; then
        PASS "bad config: $1 (exit 78, $2)"
    else
        FAIL "bad config: $1: exit $rc, $out"
    fi
}

head='kafka { brokers 127.0.0.1:9; }
schemas '"$STRM_ROOT"'/conf/registry;
keys { store '"$W"'/none.mdb; kek '"$W"'/none.json; }
source demo {'

bad "rule max without its acknowledgement" \
    'bad.conf:6: "rule max" decrypts PII levels the subject never consented to' \
    "$head
    derived { type cumulative; levels 2; purpose p; owner o;
        rule max; }
}"
bad "rule max with another word" \
    'bad.conf:5: invalid "yes": "rule max" takes "acknowledge_unconsented_levels"' \
    "$head
    derived { type cumulative; levels 2; rule max yes; purpose p; owner o; }
}"
bad "rule all acknowledges nothing" \
    'bad.conf:6: "rule all" takes no "acknowledge_unconsented_levels"' \
    "$head
    derived { type cumulative; levels 2; purpose p; owner o;
              rule all acknowledge_unconsented_levels; }
}"

# --- Kafka, the gateway, a workers' machine's store ---------------------

strm_devbroker_start -n 1 -P 4 || { FAIL "devbroker"; finish; }

port=$((18595 + STRM_PORT_SHIFT))
strm_gateway_start $port || { FAIL "nginx starts"; finish; }

# events of 10 sessions, every level consented; session-S is the key
# field, so each session has one key link
post_events() {
    # $1 events per session, $2 tag
    "$PY" - "$1" "$2" "$port" <<'PY'
import http.client, json, sys
n, tag, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(n):
    for s in range(10):
        ev = {"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0",
                           "consentLevels": [0, 1, 2, 3]},
              "uniqueIdentifier": "user-%d" % s,
              "consistentValue": "session-%d" % s,
              "someSensitiveValue": "secret-%d-%d" % (s, i),
              "notSensitiveValue": "%s-%d-%d" % (tag, s, i)}
        c.request("POST", "/event", json.dumps(ev),
                  {"Content-Type": "application/json",
                   "Strm-Schema-Ref": "strmprivacy/demo/1.0.2"})
        r = c.getresponse()
        r.read()
        if r.status != 204:
            sys.exit("event %d/%d: %d" % (s, i, r.status))
PY
}
check "30 events of 10 sessions accepted by the gateway" post_events 3 ev
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min 30 > "$W/src.jsonl"

# link of session S, and one source record of it (its JSON value)
link_of() {
    "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(json.loads(line)["value"])
    if e["notSensitiveValue"].startswith("ev-%s-" % sys.argv[2]):
        print(e["strmMeta"]["keyLink"]); break' "$W/src.jsonl" "$1"
}
LINK_A=$(link_of 0)     # forgotten through the keys topic
LINK_C=$(link_of 1)     # shredded in the workers' machine's store
LINK_B=$(link_of 2)     # never forgotten
LINK_D=$(link_of 3)     # shredded in the workers' machine's store

# the workers' machine: its own store, kept by strm-keys sync
mkdir -p "$W/worker"
"$KEYS" -s "$W/worker/keys.mdb" sync -b "$BOOTSTRAP" -t src-keys \
    -X fetch.wait.max.ms=100 > "$W/sync.json" 2> "$W/sync.log" &
PIDS+=($!)
check "strm-keys sync copies the 10 key links to the workers' machine" \
    "$PY" - "$KEYS" "$W/worker/keys.mdb" <<'PY'
import json, subprocess, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    r = subprocess.run([sys.argv[1], "-s", sys.argv[2], "stats"],
                       capture_output=True, text=True)
    if r.returncode == 0 and json.loads(r.stdout)["keyLinks"] >= 10:
        sys.exit(0)
    time.sleep(0.2)
sys.exit(1)
PY

cat > "$W/decrypt.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
}
schemas $STRM_ROOT/conf/registry;
keys {
    store $W/worker/keys.mdb;
    kek $W/kek.json;
}
audit_log $W/audit.jsonl;
status_file $W/status.json;
status_interval 100ms;

source src {
    derived {
        type granular;
        levels 1 2 3;
        topic src-all;
        purpose "erasure test";
        owner "privacy team";
    }
    derived {
        type cumulative;
        levels 2;
        topic src-max;
        purpose "old producers";
        owner "web team";
        rule max acknowledge_unconsented_levels;
    }
}
CONF

# --- 2. rule max, acknowledged: warned at -t and at start, audited --------

out=$("$DECRYPT" -t -c "$W/decrypt.conf" 2>&1)
check_eq "-t accepts rule max with its acknowledgement" 0 $?
rule_line=$(grep -n 'rule max' "$W/decrypt.conf" | cut -d: -f1)
check "-t warns about it: file:line, the stream" grep -qE \
    '\[warn\] .*decrypt\.conf:'"$rule_line"': derived stream "src-max" has "rule max": it decrypts PII levels the subject never consented to' \
    <<<"$out"

"$DECRYPT" -c "$W/decrypt.conf" 2> "$W/decrypt.log" &
DPID=$!
PIDS+=($DPID)

# status: per derived stream field f, once at least n (and nothing in flight)
wait_status() {
    # $1 derived topic, $2 field, $3 minimum, [$4 seconds]
    "$PY" - "$W/status.json" "$@" <<'PY'
import json, sys, time
st, topic, field, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
deadline = time.time() + (float(sys.argv[5]) if len(sys.argv) > 5 else 60)
while time.time() < deadline:
    try:
        s = json.load(open(st))
        if s["derived"][topic][field] >= n and s["in_flight"] == 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.05)
sys.exit(1)
PY
}
check "strm-decrypt read and delivered the 30 events" wait_status src-all in 30
check "start: the rule max warning in the error log" grep -qE \
    '\[warn\] .*decrypt\.conf:'"$rule_line"': derived stream "src-max" has "rule max"' \
    "$W/decrypt.log"
check "audit: the rule max stream's definition is marked" "$PY" -c '
import json, sys
d = {l["topic"]: l for l in map(json.loads, open(sys.argv[1]))
     if l["event"] == "derived_stream"}
m, a = d["src-max"], d["src-all"]
assert m["rule"] == "max" and m["ruleMaxAcknowledged"] is True, m
assert "never consented" in m["warning"], m
assert "ruleMaxAcknowledged" not in a and "warning" not in a, a
' "$W/audit.jsonl"

# --- 1. a forgotten key link stops decrypting ----------------------------

# replay [-v] TAG S...: one source record of each session S again, its
# clear field notSensitiveValue made "TAG-S" (the ciphertexts stay
# valid: their associated data is their own path), key = key link, as
# the gateway's.  -v writes them as a gateway would not, to catch
# strm-decrypt's scan for the key link out: decoys naming another live
# key link first (a nested strmMeta, one inside a string), strmMeta last
# with spaces around, and for session 3 its names escaped
# ("strm\u004deta", "key\u004cink": jansson reads those).
replay() {
    local variant=0 tag
    if [ "$1" = -v ]; then
        variant=1
        shift
    fi
    tag=$1
    shift
    "$PY" - "$W/src.jsonl" "$tag" "$variant" "$LINK_B" "$@" <<'PY' |
import json, sys
src, tag, variant, decoy, sessions = (sys.argv[1], sys.argv[2],
                                      sys.argv[3] == "1", sys.argv[4],
                                      sys.argv[5:])
done = set()
for line in open(src):
    e = json.loads(json.loads(line)["value"])
    s = e["notSensitiveValue"].split("-")[1]
    if s not in sessions or s in done:
        continue
    done.add(s)
    e["notSensitiveValue"] = "%s-%s" % (tag, s)
    link = e["strmMeta"]["keyLink"]
    if not variant:
        text = json.dumps(e, separators=(",", ":"))
    else:
        meta = e.pop("strmMeta")
        d = json.dumps({"strmMeta": {"keyLink": decoy}})
        body = json.dumps(e)[1:-1]
        m = json.dumps(meta, separators=(" , ", " : "))
        name = '"strmMeta"'
        if s == "3":
            m = m.replace('"keyLink"', '"key\\u004cink"')
            name = '"strm\\u004deta"'
        text = '{ "x" : %s , "decoy" : %s , %s , %s : %s }' % (
            d, json.dumps(d), body, name, m)
        assert json.loads(text)["strmMeta"]["keyLink"] == link
    print("%s\t%s" % (link, text))
PY
        kcat -b "$BOOTSTRAP" -P -t src -K $'\t' 2>/dev/null
}

# the outputs of src-all, by notSensitiveValue: 1 decrypted, 0 not
outputs() {
    "$KAFKA_READ" -b "$BOOTSTRAP" -t src-all --timeout 10 --min "$1" |
        "$PY" -c '
import json, sys
for line in sys.stdin:
    e = json.loads(json.loads(line)["value"])
    ok = e["uniqueIdentifier"].startswith("user-")
    print(e["notSensitiveValue"], 1 if ok else 0)' > "$W/outputs.txt"
}

check "before: the replayed records of sessions 0, 1, 2 decrypt" \
    replay warm 0 1 2
check "before: delivered" wait_status src-all in 33
outputs 33
check_eq "before: every key link decrypts (cache warm)" \
    "warm-0 1 warm-1 1 warm-2 1" \
    "$(grep '^warm-' "$W/outputs.txt" | sort | tr '\n' ' ' | sed 's/ $//')"

# forget A through the keys topic: the gateway's store and a tombstone;
# the workers' machine applies it by strm-keys sync.  Replays of A and B
# every 200 ms until A's events stop decrypting
t0=$(now_ms)
check "strm-keys shreds A with a tombstone in the keys topic" \
    "$KEYS" -s "$W/keys/keys.mdb" -b "$BOOTSTRAP" -t src-keys shred "$LINK_A"
k=0
t1=
while [ $(( $(now_ms) - t0 )) -lt 15000 ]; do
    replay "r$k" 0 2
    k=$((k + 1))
    sleep 0.2
    if wait_status src-all key_missing 1 0.01 2>/dev/null; then
        t1=$(now_ms)
        break
    fi
done
# two more rounds after it: A must stay forgotten, B still decrypts
replay "r$k" 0 2
replay "r$((k + 1))" 0 2
k=$((k + 2))
check "all replays delivered" wait_status src-all in $((33 + 2 * k))
outputs $((33 + 2 * k))
if [ -n "$t1" ]; then
    echo "# the workers' machine stopped decrypting A $((t1 - t0)) ms after the shred"
fi
check "A stops decrypting within 5 s of its tombstone (was up to 60 s)" \
    test -n "$t1" -a $(( ${t1:-0} - t0 )) -le 5000
check "once A stops decrypting it never decrypts again; B always does" \
    "$PY" - "$W/outputs.txt" "$k" <<'PY'
import sys
got = dict(l.split() for l in open(sys.argv[1]))
stopped = None
for i in range(int(sys.argv[2])):
    assert got["r%d-2" % i] == "1", ("B", i)
    a = got["r%d-0" % i]
    if a == "0" and stopped is None:
        stopped = i
    assert stopped is None or a == "0", ("A decrypts again", i)
assert stopped is not None
PY
check "the workers' machine's store no longer has A" bash -c \
    "! '$KEYS' -s '$W/worker/keys.mdb' list | grep -qF '$LINK_A'"

# shred C and D in the workers' machine's own store: the very next
# record of each keeps its PII encrypted, even written so that a
# careless scan for the key link would find B's first
check "before: records written unusually decrypt too (cache warm)" \
    replay -v vwarm 1 3
check "delivered" wait_status src-all in $((35 + 2 * k))
outputs $((35 + 2 * k))
check_eq "before: C and D decrypt" "vwarm-1 1 vwarm-3 1" \
    "$(grep '^vwarm-' "$W/outputs.txt" | sort | tr '\n' ' ' | sed 's/ $//')"
before=$("$PY" -c '
import json, sys
print(json.load(open(sys.argv[1]))["derived"]["src-all"]["key_missing"])' \
    "$W/status.json")
check "strm-keys shreds C in the workers' machine's store" \
    "$KEYS" -s "$W/worker/keys.mdb" shred "$LINK_C"
check "strm-keys shreds D in the workers' machine's store" \
    "$KEYS" -s "$W/worker/keys.mdb" shred "$LINK_D"
replay -v vnow 1 3
replay now 2
check "delivered" wait_status src-all in $((38 + 2 * k))
outputs $((38 + 2 * k))
check_eq "the next records of C and D after their shred are not decrypted, B's is" \
    "now-2 1 vnow-1 0 vnow-3 0" \
    "$(grep -E '^v?now-' "$W/outputs.txt" | sort | tr '\n' ' ' | sed 's/ $//')"
check "key_missing counts them" wait_status src-all key_missing $((before + 2))
check "strm-decrypt logged the dropped cache, no key link in the log" \
    bash -c "grep -q 'a key link left the key store' '$W/decrypt.log' && ! grep -qF -e '$LINK_A' -e '$LINK_C' -e '$LINK_D' '$W/decrypt.log'"

kill -TERM $DPID
rc=0
wait $DPID || rc=$?
check_eq "SIGTERM: exit 0" 0 "$rc"

# --- 3. one undecryptable field: the same outcome in any order -----------

# records of session B (still decrypting) into topic bad: a good one,
# one with its level-3 field corrupted, one with its level-1 field
# corrupted (one byte of the SIV changed: still base64, no longer
# authentic), then a good one again
"$PY" - "$W/src.jsonl" <<'PY' | kcat -b "$BOOTSTRAP" -P -t bad -K $'\t' 2>/dev/null
import base64, json, sys
recs = [json.loads(json.loads(l)["value"]) for l in open(sys.argv[1])]
e = next(r for r in recs if r["notSensitiveValue"].startswith("ev-2-"))

def corrupt(v):
    b = bytearray(base64.b64decode(v))
    b[8] ^= 1
    return base64.b64encode(bytes(b)).decode()

def out(tag, field=None):
    r = json.loads(json.dumps(e))
    r["notSensitiveValue"] = tag
    if field:
        r[field] = corrupt(r[field])
    print("%s\t%s" % (r["strmMeta"]["keyLink"],
                      json.dumps(r, separators=(",", ":"))))

out("good-1")
out("bad-level-3", "someSensitiveValue")
out("bad-level-1", "uniqueIdentifier")
out("good-2")
PY

# stream P decrypts levels 1 and 2 only; stream Q levels 0..3
stream_p='derived { type granular; levels 1 2; topic ORDER-p; purpose p; owner o; }'
stream_q='derived { type cumulative; levels 3; topic ORDER-q; purpose q; owner o; }'
for order in pq qp; do
    if [ $order = pq ]; then
        streams="${stream_p//ORDER/$order}
    ${stream_q//ORDER/$order}"
    else
        streams="${stream_q//ORDER/$order}
    ${stream_p//ORDER/$order}"
    fi
    cat > "$W/$order.conf" <<CONF
kafka { brokers_file $DB_DIR/bootstrap; consumer_property fetch.wait.max.ms 50; }
schemas $STRM_ROOT/conf/registry;
keys { store $W/worker/keys.mdb; kek $W/kek.json; }
dead_letter $order-dead;
status_file $W/$order.json;
status_interval 100ms;
source bad {
    group order-$order;
    $streams
}
CONF
    "$DECRYPT" -c "$W/$order.conf" 2> "$W/$order.log" &
    pid=$!
    PIDS+=($pid)
    check "order $order: strm-decrypt reads the 4 records" "$PY" - \
        "$W/$order.json" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if all(d["in"] >= 4 for d in s["derived"].values()) \
                and s["in_flight"] == 0 and len(s["derived"]) == 2:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.05)
sys.exit(1)
PY
    kill -TERM $pid
    wait $pid
    # what each stream did: counters, outputs, dead letters
    "$PY" - "$W/$order.json" "$order" "$BOOTSTRAP" "$KAFKA_READ" \
        > "$W/$order.outcome" <<'PY'
import json, subprocess, sys
st, order, bootstrap, kread = sys.argv[1:5]
s = json.load(open(st))

def read(topic):
    r = subprocess.run([kread, "-b", bootstrap, "-t", topic, "--timeout",
                        "5"], capture_output=True, text=True)
    return [json.loads(json.loads(l)["value"]) for l in r.stdout.splitlines()]

for name in ("p", "q"):
    d = s["derived"]["%s-%s" % (order, name)]
    print(name, "in", d["in"], "kept", d["kept"], "failures",
          d["decrypt_failures"])
    for e in sorted(read("%s-%s" % (order, name)),
                    key=lambda e: e["notSensitiveValue"]):
        print(name, e["notSensitiveValue"],
              "uniqueIdentifier" , e["uniqueIdentifier"].startswith("user-"),
              "consistentValue", e["consistentValue"].startswith("session-"),
              "someSensitiveValue", e["someSensitiveValue"].startswith("secret-"))
for r in sorted(read("%s-dead" % order), key=lambda r: r["offset"]):
    v = json.loads(__import__("base64").b64decode(r["value_b64"]))
    print("dead", v["notSensitiveValue"], r["code"],
          " ".join(sorted(t.split("-")[1] for t in r["derived"])))
PY
done
sed 's/^/# pq: /' "$W/pq.outcome"
check "both orders: the same outcome for each derived stream" \
    cmp -s "$W/pq.outcome" "$W/qp.outcome"
check_eq "that outcome: P keeps the record whose level 3 is corrupt, both fail on level 1" \
    "p in 4 kept 3 failures 1
p bad-level-3 uniqueIdentifier True consistentValue True someSensitiveValue False
p good-1 uniqueIdentifier True consistentValue True someSensitiveValue False
p good-2 uniqueIdentifier True consistentValue True someSensitiveValue False
q in 4 kept 2 failures 2
q good-1 uniqueIdentifier True consistentValue True someSensitiveValue True
q good-2 uniqueIdentifier True consistentValue True someSensitiveValue True
dead bad-level-3 bad_request q
dead bad-level-1 bad_request p q" \
    "$(cat "$W/qp.outcome")"

"$NGINX" -p "$W/" -c conf/nginx.conf -s quit
if [ "$N_FAILED" -gt 0 ]; then
    for f in decrypt pq qp; do
        echo "# $f.log:"
        sed 's/^/#   /' "$W/$f.log" 2>/dev/null | tail -20
    done
    [ -f "$W/qp.outcome" ] && sed 's/^/# qp: /' "$W/qp.outcome"
fi
finish
