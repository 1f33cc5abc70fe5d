#!/usr/bin/env bash
# strm-decrypt: events with random consent levels and PII at levels 1, 2
# and 3 go through the real gateway (Debian's nginx with the module),
# then strm-decrypt feeds a granular {1,3} and a cumulative (0..2)
# derived stream.  A model written here in Python predicts every output
# field by field (kept set, decrypted fields, fields still encrypted
# byte for byte).  Then: a shredded key link keeps its PII encrypted;
# kill -9 mid-stream and a restart lose nothing (duplicates counted);
# the audit trail and the status file; bad configurations exit 78 with
# file:line.

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

# --- bad configurations: exit 78 with file:line, before any Kafka -----

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-decrypt-XXXXXX")
trap 'strm_cleanup; [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid" 2>/dev/null)" 2>/dev/null; [ -n "${DPID:-}" ] && kill -9 "$DPID" 2>/dev/null; rm -rf "$W"' EXIT

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

good_head='kafka { brokers 127.0.0.1:9; }
schemas '"$STRM_ROOT"'/conf/registry;
keys { store '"$W"'/keys.mdb; kek '"$W"'/kek.json; }'

bad "unknown directive" "bad.conf:4: unknown directive \"sauce\"" \
    "$good_head
sauce demo { }"
bad "a stray brace" "bad.conf:4: unexpected \"}\"" 'kafka { brokers 127.0.0.1:9; }
schemas /x
keys { store /x; kek /y; }
}'
bad "unknown type" "bad.conf:5: invalid type \"partial\"" \
    "$good_head
source demo {
    derived { type partial; levels 1; purpose p; owner o; }
}"
bad "level out of range" "bad.conf:5: invalid level \"1001\"" \
    "$good_head
source demo {
    derived { type granular; levels 1 1001; purpose p; owner o; }
}"
bad "cumulative with two levels" "bad.conf:" \
    "$good_head
source demo {
    derived { type cumulative; levels 1 2; purpose p; owner o; }
}"
bad "no purpose" "bad.conf:5: a derived stream needs \"purpose\"" \
    "$good_head
source demo {
    derived { type granular; levels 1; owner o; }
}"
bad "no derived stream" "bad.conf:4: source \"demo\" has no \"derived\"" \
    "$good_head
source demo { topic demo; }"
bad "two derived streams on one topic" "two derived streams write to \"demo-1\"" \
    "$good_head
source demo {
    derived { type granular; levels 1; purpose p; owner o; }
    derived { type cumulative; levels 1; topic demo-1; purpose p; owner o; }
}"
bad "unterminated quote" "bad.conf:" "$good_head
source \"demo {"

rc=0
"$DECRYPT" -c 2>/dev/null || rc=$?
check_eq "usage error exits 64" 64 "$rc"

# --- Kafka, the gateway, events ----------------------------------------

strm_devbroker_start -n 1 -P 4 || { FAIL "devbroker"; finish; }

port=$((18561 + STRM_PORT_SHIFT))
strm_gateway_start $port || { FAIL "nginx starts"; finish; }

# post N events of 40 sessions with random consent levels (0..3 each
# with probability 1/2) through the gateway; the sent events go to a file
post_events() {
    # $1 N, $2 first id, $3 output file
    "$PY" - "$1" "$2" "$3" "$port" <<'PY'
import http.client, json, random, sys
n, first, out, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rnd = random.Random(first)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
with open(out, "a") as f:
    for i in range(first, first + n):
        levels = sorted(l for l in range(4) if rnd.random() < 0.5)
        s = rnd.randrange(40)
        ev = {"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0",
                           "consentLevels": levels},
              "uniqueIdentifier": "user-%d-%d" % (s, rnd.randrange(5)),
              "consistentValue": "session-%d" % s,
              "someSensitiveValue": "secret-%d" % i,
              "notSensitiveValue": "ev-%d" % i}
        c.request("POST", "/event", json.dumps(ev),
                  {"Content-Type": "application/json",
                   "Strm-Schema-Ref": "strmprivacy/demo/1.0.2"})
        r = c.getresponse()
        r.read()
        if r.status != 204:
            sys.exit("event %d: %d" % (i, r.status))
        f.write(json.dumps(ev) + "\n")
PY
}

N1=400
check "$N1 events accepted by the gateway" post_events $N1 0 "$W/sent.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $N1 > "$W/src.jsonl"
check_eq "all of them in the source topic" $N1 "$(wc -l < "$W/src.jsonl")"

# shred the key link of one session before strm-decrypt runs
shred_link=$("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(json.loads(line)["value"])
    if e["notSensitiveValue"] == "ev-3":
        print(e["strmMeta"]["keyLink"])' "$W/src.jsonl")
check "strm-keys shreds one key link (with an audit line)" \
    "$KEYS" -s "$W/keys/keys.mdb" -a "$W/audit.jsonl" shred "$shred_link"

cat > "$W/decrypt.conf" <<CONF
# derived streams of the test
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
    # a killed member leaves the group sooner (the test kills one)
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
audit_interval 1s;
status_file $W/status.json;
status_interval 200ms;

source src {
    derived {
        type granular;
        levels 1 3;
        purpose "fraud checks";
        owner "risk team";
    }
    derived {
        type cumulative;
        levels 2;
        topic src-upto-2;
        purpose "personalisation";
        owner "web team";
    }
}
CONF

check "strm-decrypt -t accepts the configuration" \
    "$DECRYPT" -t -c "$W/decrypt.conf"

"$DECRYPT" -c "$W/decrypt.conf" 2> "$W/decrypt.log" &
DPID=$!

# the status file says when every record was read and delivered
wait_status() {
    # $1 records expected in, per derived stream
    "$PY" - "$W/status.json" "$1" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if all(d["in"] >= int(sys.argv[2]) for d in s["derived"].values()) \
                and s["in_flight"] == 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}
check "strm-decrypt read and delivered all $N1 records" wait_status $N1

# the model: what each derived stream must hold, field by field
model() {
    # $1 sent.jsonl, $2 source records, $3 output records, $4 spec,
    # $5 shredded key link; prints "ok N" or the first difference
    "$PY" - "$@" <<'PY'
import json, sys
sent_f, src_f, out_f, spec, shredded = sys.argv[1:6]
LEVEL = {"uniqueIdentifier": 1, "consistentValue": 2, "someSensitiveValue": 3}
kind, levels = spec.split(":")
levels = [int(l) for l in levels.split(",")]
if kind == "granular":
    need = set(levels); wanted = set(levels)
else:
    need = set(range(levels[0] + 1)); wanted = need
sent = {}
for line in open(sent_f):
    e = json.loads(line); sent[e["notSensitiveValue"]] = e
src = {}
for line in open(src_f):
    e = json.loads(json.loads(line)["value"]); src[e["notSensitiveValue"]] = e
expect = {}
for k, e in sent.items():
    if need <= set(e["strmMeta"]["consentLevels"]):
        enc = src[k]
        want = dict(enc)
        if enc["strmMeta"]["keyLink"] != shredded:
            for f, l in LEVEL.items():
                if l in wanted:
                    want[f] = e[f]
        expect[k] = want
got = {}
dups = 0
for line in open(out_f):
    e = json.loads(json.loads(line)["value"])
    k = e["notSensitiveValue"]
    if k in got:
        dups += 1
        if got[k] != e:
            print("duplicate %s differs" % k); sys.exit(1)
    got[k] = e
if set(got) != set(expect):
    print("kept set differs: missing %s, extra %s" % (
        sorted(set(expect) - set(got))[:5], sorted(set(got) - set(expect))[:5]))
    sys.exit(1)
for k in expect:
    for f in expect[k]:
        if expect[k][f] != got[k].get(f):
            print("%s field %s: want %r got %r" % (k, f, expect[k][f], got[k].get(f)))
            sys.exit(1)
    if set(got[k]) != set(expect[k]):
        print("%s: other fields" % k); sys.exit(1)
print("ok %d %d" % (len(expect), dups))
PY
}

g_expected=$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if {1,3} <= set(json.loads(l)["strmMeta"]["consentLevels"])))' "$W/sent.jsonl")
c_expected=$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if {0,1,2} <= set(json.loads(l)["strmMeta"]["consentLevels"])))' "$W/sent.jsonl")

"$KAFKA_READ" -b "$BOOTSTRAP" -t src-1-3 --min "$g_expected" > "$W/g.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-upto-2 --min "$c_expected" > "$W/c.jsonl"

out=$(model "$W/sent.jsonl" "$W/src.jsonl" "$W/g.jsonl" granular:1,3 "$shred_link")
check_eq "granular {1,3} (default topic src-1-3): the model's output" "ok $g_expected 0" "$out"
out=$(model "$W/sent.jsonl" "$W/src.jsonl" "$W/c.jsonl" cumulative:2 "$shred_link")
check_eq "cumulative 2 (0..2): the model's output" "ok $c_expected 0" "$out"

# a consumer as docs/kafka.md shows it: kcat in a consumer group; the
# key is the key link of the JSON value
kcat -C -b "$BOOTSTRAP" -G "support-$$" -o beginning -e -q \
    -X enable.partition.eof=true -f '%k\t%s\n' src-1-3 \
    > "$W/kcat.tsv" 2>/dev/null
check "kcat in a consumer group reads the derived stream, key = keyLink" \
    "$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    k, v = line.rstrip("\n").split("\t", 1)
    assert json.loads(v)["strmMeta"]["keyLink"] == k, k
    n += 1
assert n == int(sys.argv[2]), (n, sys.argv[2])' "$W/kcat.tsv" "$g_expected"

check "the shredded session's events are delivered with their PII encrypted" \
    "$PY" -c '
import json, sys
n = 0
for f in sys.argv[1:3]:
    for line in open(f):
        e = json.loads(json.loads(line)["value"])
        if e["strmMeta"]["keyLink"] == sys.argv[3]:
            n += 1
            assert not e["uniqueIdentifier"].startswith("user-"), e
            assert not e["consistentValue"].startswith("session-"), e
sys.exit(0 if n > 0 else 1)' "$W/g.jsonl" "$W/c.jsonl" "$shred_link"

check "every output keeps the source headers and names its derived stream" \
    "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    h = r["headers"]
    assert h["strm-derived"] == "src-1-3", h
    assert h["strm-schema-ref"] == "strmprivacy/demo/1.0.2", h
    assert r["key"] == json.loads(r["value"])["strmMeta"]["keyLink"], r
' "$W/g.jsonl"

check "the status file counts the key_missing events" "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
d = s["derived"].values()
sys.exit(0 if sum(x["key_missing"] for x in d) > 0
         and all(x["in"] == int(sys.argv[2]) for x in d) else 1)' \
    "$W/status.json" $N1
check "the Prometheus text beside it" \
    grep -q '^strm_decrypt_kept_total{source="src",derived="src-upto-2"} '"$c_expected"'$' \
    "$W/status.json.prom"
check "promtool check metrics accepts it" \
    bash -c "promtool check metrics < '$W/status.json.prom'"

# SIGTERM drains and exits 0
kill -TERM $DPID
rc=0
wait $DPID || rc=$?
DPID=
check_eq "SIGTERM: drained, exit 0" 0 "$rc"

check "audit: the definitions of both derived streams" "$PY" -c '
import json, sys
defs = [json.loads(l) for l in open(sys.argv[1]) if "derived_stream" in l]
t = {d["topic"]: d for d in defs}
assert t["src-1-3"]["levels"] == [1, 3] and t["src-1-3"]["type"] == "granular"
assert t["src-1-3"]["purpose"] == "fraud checks" and t["src-1-3"]["owner"] == "risk team"
assert t["src-upto-2"]["type"] == "cumulative" and t["src-upto-2"]["rule"] == "all"
' "$W/audit.jsonl"
check "audit: what was delivered adds up, per level" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
d = [l for l in lines if l["event"] == "delivered" and l["topic"] == "src-upto-2"]
assert sum(l["in"] for l in d) == int(sys.argv[2]), d
assert sum(l["kept"] for l in d) == int(sys.argv[3]), d
assert set().union(*[l["decrypted_by_level"].keys() for l in d]) == {"1", "2"}, d
assert any(l["event"] == "shred" and l["keyLink"] == sys.argv[4] for l in lines)
' "$W/audit.jsonl" $N1 "$c_expected" "$shred_link"

# --- kill -9 mid-stream: a restart loses nothing -------------------------

N2=1500
check "$N2 more events accepted" post_events $N2 $N1 "$W/sent.jsonl"
N=$((N1 + N2))
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $N > "$W/src.jsonl"

# a slow broker (50 ms a round trip) and small fetches stretch the run,
# so that the kill finds records read, outputs acknowledged and more to go
check "the broker slows down" ctl_quiet broker/1/rtt/50
sed 's/^kafka {$/kafka {\n    consumer_property max.partition.fetch.bytes 4096;/' \
    "$W/decrypt.conf" > "$W/slow.conf"
rm -f "$W/status.json"
"$DECRYPT" -c "$W/slow.conf" 2>> "$W/decrypt.log" &
DPID=$!
# let it get somewhere, not everywhere
for _ in $(seq 100); do
    "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["acked"] > 100 else 1)' "$W/status.json" 2>/dev/null && break
    sleep 0.05
done
kill -9 $DPID
wait $DPID 2>/dev/null
DPID=
ctl_quiet broker/1/rtt/0
before=$(wc -l < "$W/g.jsonl")
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-1-3 --timeout 5 > "$W/g-killed.jsonl"
part=$(( $(wc -l < "$W/g-killed.jsonl") - before ))
g_expected=$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if {1,3} <= set(json.loads(l)["strmMeta"]["consentLevels"])))' "$W/sent.jsonl")
check "kill -9 came mid-stream: $part of $((g_expected - before)) outputs were out" \
    test "$part" -gt 0 -a "$part" -lt $((g_expected - before))

"$DECRYPT" -c "$W/decrypt.conf" 2>> "$W/decrypt.log" &
DPID=$!
# done: the restarted process read up to the end and delivered it all
wait_done() {
    "$PY" - "$W/status.json" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if s["lag"] == 0 and s["in_flight"] == 0 \
                and s["derived"]["src-1-3"]["in"] > 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}
rm -f "$W/status.json"
check "after kill -9 and a restart, strm-decrypt reads on to the end" \
    wait_done

g_expected=$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if {1,3} <= set(json.loads(l)["strmMeta"]["consentLevels"])))' "$W/sent.jsonl")
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-1-3 --min "$g_expected" > "$W/g.jsonl"
out=$(model "$W/sent.jsonl" "$W/src.jsonl" "$W/g.jsonl" granular:1,3 "$shred_link")
check "kill -9: every expected output present, as the model says ($out)" \
    grep -q "^ok $g_expected " <<<"$out"
echo "# duplicates after kill -9 and a restart: ${out##* }"

kill -TERM $DPID
wait $DPID
DPID=

# --- two members of the group: a rebalance, SIGHUP, a second SIGTERM ---

N3=800
check "$N3 more events accepted" post_events $N3 $N "$W/sent.jsonl"
N=$((N + N3))
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $N > "$W/src.jsonl"
ctl_quiet broker/1/rtt/50
for m in a b; do
    sed -e "s|status_file .*|status_file $W/status-$m.json;|" \
        -e "s|audit_log .*|audit_log $W/audit-$m.jsonl;|" \
        "$W/slow.conf" > "$W/$m.conf"
done
"$DECRYPT" -c "$W/a.conf" 2> "$W/a.log" &
APID=$!
"$DECRYPT" -c "$W/b.conf" 2> "$W/b.log" &
BPID=$!
for _ in $(seq 200); do
    grep -q assigned "$W/a.log" && grep -q assigned "$W/b.log" && break
    sleep 0.1
done
check "two members share the partitions" \
    bash -c "grep -q 'assigned [1-3] partitions' '$W/a.log' && grep -q 'assigned [1-3] partitions' '$W/b.log'"
kill -TERM $APID
rc=0
wait $APID || rc=$?
check_eq "member a leaves on SIGTERM, drained, exit 0" 0 "$rc"
ctl_quiet broker/1/rtt/0
for _ in $(seq 200); do
    grep -q 'assigned 4 partitions' "$W/b.log" && break
    sleep 0.1
done
check "after the rebalance member b has all 4 partitions" \
    grep -q 'assigned 4 partitions' "$W/b.log"

mv "$W/audit-b.jsonl" "$W/audit-b.1"
kill -HUP $BPID
# the new file exists at once (its first line waits for new events)
check "SIGHUP: b opens a new audit log (logrotate)" bash -c \
    "for i in \$(seq 100); do [ -e '$W/audit-b.jsonl' ] && exit 0; sleep 0.1; done; exit 1"

DPID=$BPID
"$PY" - "$W/status-b.json" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if s["lag"] == 0 and s["in_flight"] == 0:
            break
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
PY
g_expected=$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if {1,3} <= set(json.loads(l)["strmMeta"]["consentLevels"])))' "$W/sent.jsonl")
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-1-3 --min "$g_expected" > "$W/g.jsonl"
out=$(model "$W/sent.jsonl" "$W/src.jsonl" "$W/g.jsonl" granular:1,3 "$shred_link")
check "a rebalance loses nothing either, as the model says ($out)" \
    grep -q "^ok $g_expected " <<<"$out"

# malformed records: to the dead-letter topic, counted, the partition
# goes on (the records after them are delivered)
printf 'not json at all\n{"no":"strmMeta"}\n' |
    kcat -b "$BOOTSTRAP" -P -t src -p 0
check "a record after the malformed ones" post_events 20 $((N + 1000)) "$W/sent.jsonl"
check "two malformed records in the dead-letter topic, with their reasons" \
    "$PY" - "$("$KAFKA_READ" -b "$BOOTSTRAP" -t src-decrypt-dead --min 2 | base64 -w0)" <<'PY'
import base64, json, sys
recs = [json.loads(json.loads(l)["value"])
        for l in base64.b64decode(sys.argv[1]).decode().splitlines()]
codes = sorted(r["code"] for r in recs)
assert codes == ["invalid_json", "invalid_strm_meta"], codes
assert all(r["topic"] == "src" and r["partition"] == 0 and r["reason"]
           for r in recs), recs
assert base64.b64decode(recs[0]["value_b64"]) in (b"not json at all",
                                                   b'{"no":"strmMeta"}')
PY
check "the status file counts them and names the last error (no value)" \
    "$PY" - "$W/status-b.json" <<'PY'
import json, re, sys, time
for _ in range(100):
    s = json.load(open(sys.argv[1]))
    if s["malformed"] == 2 and re.fullmatch(
            r"partition 0 offset \d+: (invalid_json|invalid_strm_meta)",
            s["last_error"]):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
check "the Prometheus text says an error happened" \
    grep -q '^strm_decrypt_last_error{source="src"} 1$' "$W/status-b.json.prom"
check "and the events after them are delivered" \
    "$PY" - "$BOOTSTRAP" "$KAFKA_READ" "$W/sent.jsonl" <<'PY'
import json, subprocess, sys, time
sent = [json.loads(l) for l in open(sys.argv[3])][-20:]
time.sleep(2)
out = subprocess.run([sys.argv[2], "-b", sys.argv[1], "-t", "src-upto-2",
                      "--timeout", "5"], capture_output=True, text=True).stdout
ids = {json.loads(json.loads(l)["value"])["notSensitiveValue"] for l in out.splitlines()}
want = {e["notSensitiveValue"] for e in sent
        if {0, 1, 2} <= set(e["strmMeta"]["consentLevels"])}
sys.exit(0 if want <= ids else 1)
PY

# a second SIGTERM while Kafka is slow to acknowledge: out at once.  The
# broker is slowed first, then events the gateway made are written to the
# source again (kcat), so that their outputs wait for acknowledgements
ctl_quiet broker/1/rtt/2000
"$PY" -c '
import json, sys
for line in list(open(sys.argv[1]))[:50]:
    print(json.loads(line)["value"])' "$W/src.jsonl" |
    kcat -b "$BOOTSTRAP" -P -t src -p 1 2>/dev/null &
check "strm-decrypt has outputs in flight" "$PY" - "$W/status-b.json" <<'PY'
import json, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        if json.load(open(sys.argv[1]))["in_flight"] > 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.05)
sys.exit(1)
PY
kill -TERM $BPID
sleep 0.2
kill -TERM $BPID
rc=0
wait $BPID || rc=$?
DPID=
ctl_quiet broker/1/rtt/0
check_eq "a second SIGTERM exits at once, without draining (exit 1)" 1 "$rc"
cat "$W/a.log" "$W/b.log" >> "$W/decrypt.log"

# --- one derived stream: its outputs take the records' own headers -----
sed -e '/^source src {/,$d' -e "s|$W/status.json|$W/status-one.json|" \
    "$W/decrypt.conf" > "$W/one.conf"
cat >> "$W/one.conf" <<CONF
source src {
    group one-$$;
    derived { type granular; levels 1; topic one-1; purpose p; owner o; }
}
CONF
# an operator's linger.ms holds (-X here), as the kafka { } block's
"$DECRYPT" -c "$W/one.conf" -X linger.ms=20 2> "$W/one.log" &
OPID=$!
check "one derived stream: strm-decrypt reads src to its end" \
    "$PY" - "$W/status-one.json" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = json.load(open(sys.argv[1]))
        if s["lag"] == 0 and s["in_flight"] == 0 \
                and s["derived"]["one-1"]["kept"] > 0:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
kill -TERM $OPID
wait $OPID || true
check "the start log gives the fetch and batch settings, the operator's among them" \
    grep -qE 'librdkafka: consumer fetch.wait.max.ms 50, .*; producer linger.ms 20, batch.num.messages [0-9]+' "$W/one.log"
cat "$W/one.log" >> "$W/decrypt.log"
"$KAFKA_READ" -b "$BOOTSTRAP" -t one-1 --min 1 > "$W/one.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min 1 > "$W/src-all.jsonl"
check "one derived stream: each output has its record's headers and strm-derived, level 1 decrypted" \
    "$PY" -c '
import json, sys
src = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    try:
        e = json.loads(r["value"])
    except (TypeError, ValueError):
        continue
    if isinstance(e, dict) and "notSensitiveValue" in e:
        src.setdefault(e["notSensitiveValue"], []).append(r["headers"] or {})
n = gateway = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    h, e = dict(r["headers"] or {}), json.loads(r["value"])
    assert h.pop("strm-derived") == "one-1", r
    assert h in src[e["notSensitiveValue"]], r
    if h.get("strm-schema-ref") == "strmprivacy/demo/1.0.2":
        # the gateway wrote it (kcat wrote some again without headers)
        gateway += 1
        assert r["key"] == e["strmMeta"]["keyLink"], r
    assert 1 in e["strmMeta"]["consentLevels"], e
    plain = e["strmMeta"]["keyLink"] != sys.argv[3]
    assert e["uniqueIdentifier"].startswith("user-") == plain, e
    assert not e["consistentValue"].startswith("session-"), e
    n += 1
assert n > 0 and gateway > 0, (n, gateway)' "$W/one.jsonl" "$W/src-all.jsonl" \
    "$shred_link"

check "no PII value in strm-decrypt's log" \
    bash -c "! grep -qE 'user-|session-|secret-' '$W/decrypt.log'"

"$NGINX" -p "$W/" -c conf/nginx.conf -s quit
if [ "$N_FAILED" -gt 0 ]; then
    echo "# strm-decrypt's log:"
    sed 's/^/#   /' "$W/decrypt.log" | tail -40
fi
finish
