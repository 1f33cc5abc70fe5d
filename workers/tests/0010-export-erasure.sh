#!/usr/bin/env bash
# strm-export in keys mode never exports a forgotten key link, nor a
# losing candidate, whatever the keys topic's compaction state (the dev
# broker never compacts: every record stays, its tombstone after it).
# Fleet records with real keys wrapped by the KEK (AES-GCM, the key link
# as associated data, as docs/keys.md says) go to a keys topic of two
# partitions with kcat: winners, then losers (a second candidate of a
# session and window later in its partition), then tombstones of two
# forgotten links, of a third whose session got a new candidate after
# it, and of a fourth in the other partition than its record's.  A new consumer group's export holds exactly the current key
# links, with their keys; small batches put a record and its tombstone
# in different objects.  Then a forget after an export: the exporter
# that ran keeps its object (the receiver's), a new group's export and
# the same store's next run do not have the link.

. "$(dirname "$0")/helpers.sh"

EXPORT=${STRM_EXPORT:-$STRM_ROOT/build/strm-export}
KEYS=$STRM_ROOT/build/strm-keys
PY=/usr/bin/python3

for b in "$EXPORT" "$KEYS" "$STRM_DEVBROKER" /usr/bin/kcat; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (scripts/setup; make all)"
        finish
    fi
done

if ! "$PY" -c 'import cryptography' 2> /dev/null; then
    SKIP "no python3-cryptography"
    finish
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-export-erasure-XXXXXX")
XPID=
trap 'strm_cleanup; [ -n "$XPID" ] && kill -9 "$XPID" 2>/dev/null; [ -n "${STRM_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT

strm_devbroker_start -n 1 -P 2 || { FAIL "devbroker"; finish; }
check "a keys topic of two partitions" ctl_quiet topic/keys/2

"$KEYS" new-kek > "$W/kek.json"

# gen KIND ...: fleet records and tombstones as "partition TAB link TAB
# value" lines (value empty for a tombstone); the keys in $W/keys.json
gen() {
    "$PY" - "$W" "$@" <<'PY'
import base64, json, os, struct, sys, time, uuid
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if not c & 0x80:
            return v, i

def fields(b):
    i, out = 0, {}
    while i < len(b):
        tag, i = varint(b, i)
        if tag & 7 == 2:
            n, i = varint(b, i); out[tag >> 3] = b[i:i + n]; i += n
        else:
            v, i = varint(b, i); out[tag >> 3] = v
    return out

w, kind = sys.argv[1], sys.argv[2]
state_f = os.path.join(w, "keys.json")
state = json.load(open(state_f)) if os.path.exists(state_f) else \
    {"links": {}, "sessions": {}}
kek = json.load(open(os.path.join(w, "kek.json")))["key"][0]
kek_key = fields(base64.b64decode(kek["keyData"]["value"]))[3]
now = int(time.time() * 1000)
window = now // 86400000

def candidate(s):
    # session s: its hash, its partition; a new key link and key
    sess = state["sessions"].setdefault(
        s, {"hash": os.urandom(32).hex(), "partition": int(s) % 2})
    link, key = str(uuid.uuid4()), os.urandom(64)
    iv = os.urandom(12)
    wrapped = b"\x01" + struct.pack(">I", kek["keyId"]) + iv \
        + AESGCM(kek_key).encrypt(iv, key, link.encode())
    state["links"][link] = {"session": s, "key": base64.b64encode(key).decode()}
    rec = {"keyLink": link, "keyId": struct.unpack(">I", os.urandom(4))[0],
           "created": now, "expires": now + 86400000,
           "wrappedKey": base64.b64encode(wrapped).decode(),
           "sessionHash": sess["hash"], "window": window}
    print("%d\t%s\t%s" % (sess["partition"], link, json.dumps(rec)))
    return link

if kind == "candidates":
    # candidates SESSION...: the first of a session and window wins
    for s in sys.argv[3:]:
        candidate(s)
elif kind in ("tombstones", "tombstones-elsewhere"):
    # tombstones LINK...: in the partition of the link's session, or
    # in the other one (as "strm-keys shred" writes them: by link)
    for link in sys.argv[3:]:
        p = state["sessions"][state["links"][link]["session"]]["partition"]
        print("%d\t%s\t" % (p if kind == "tombstones" else 1 - p, link))
json.dump(state, open(state_f, "w"))
PY
}

# produce FILE...: each line to its partition, in order (a tombstone:
# a null value)
produce() {
    local f p
    for f in "$@"; do
        for p in 0 1; do
            awk -F'\t' -v p="$p" '$1 == p { print $2 "\t" $3 }' "$f" \
                | kcat -P -b "$BOOTSTRAP" -t keys -p "$p" -K '\t' -Z \
                    2> /dev/null || return 1
        done
    done
}

# the winners of sessions 0..9, then losers of sessions 1 and 2
gen candidates 0 1 2 3 4 5 6 7 8 9 > "$W/winners.tsv"
gen candidates 1 2 > "$W/losers.tsv"
check "10 winners and 2 losing candidates in the keys topic" \
    produce "$W/winners.tsv" "$W/losers.tsv"
link_of() {
    # link_of FILE SESSION
    "$PY" -c '
import json, sys
st = json.load(open(sys.argv[1] + "/keys.json"))
for l in open(sys.argv[2]):
    p, link, v = l.rstrip("\n").split("\t")
    if st["links"][link]["session"] == sys.argv[3]:
        print(link)' "$W" "$1" "$2"
}
L3=$(link_of "$W/winners.tsv" 3)
L4=$(link_of "$W/winners.tsv" 4)
L6=$(link_of "$W/winners.tsv" 6)
# forget sessions 3 and 4 (their only links); session 6 is forgotten
# and its next event makes a new candidate, which wins
gen tombstones "$L3" "$L4" "$L6" > "$W/forget.tsv"
gen candidates 6 > "$W/renewed.tsv"
check "tombstones of 3 links, then a new candidate of session 6" \
    produce "$W/forget.tsv" "$W/renewed.tsv"
# session 5's tombstone lands in the other partition: it may be read
# before its record
L5=$(link_of "$W/winners.tsv" 5)
gen tombstones-elsewhere "$L5" > "$W/elsewhere.tsv"
check "a tombstone of session 5's link in the other partition" \
    produce "$W/elsewhere.tsv"
cat "$W/elsewhere.tsv" >> "$W/forget.tsv"
NREC=$(cat "$W"/winners.tsv "$W"/losers.tsv "$W"/forget.tsv "$W"/renewed.tsv | wc -l)
check_eq "17 records in the topic, none compacted" 17 \
    "$("$KAFKA_READ" -b "$BOOTSTRAP" -t keys | wc -l)"

# export_conf NAME GROUP STORE: a keys exporter, file connector
export_conf() {
    cat > "$W/$1.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
    consumer_property session.timeout.ms 6000;
    consumer_property heartbeat.interval.ms 500;
}
status_file $W/$1.status;
status_interval 200ms;
error_log $W/$1.log;
export $1 {
    mode keys;
    topics keys;
    group $2;
    connector file://$W/out-$1;
    kek $W/kek.json;
    keys_store $3;
    batch_events 2;
    batch_idle 300ms;
    time_prefix off;
}
CONF
}
wait_status() {
    "$PY" - "$1" "$2" "${3:-60}" <<'PY'
import json, sys, time
deadline = time.time() + float(sys.argv[3])
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
# run NAME NRECORDS: until every record is read and every batch written
run() {
    rm -f "$W/$1.status"
    "$EXPORT" -c "$W/$1.conf" &
    XPID=$!
    wait_status "$W/$1.status" "s['records'] >= $2 and s['batches_open'] == 0 and s['batches_waiting'] == 0"
    local rc=$?
    kill -TERM "$XPID" 2> /dev/null
    wait "$XPID" || rc=$?
    XPID=
    return $rc
}
# exported NAME: the key links in its objects, sorted
exported() {
    cat "$W"/out-"$1"/keys-*.jsonl 2> /dev/null \
        | jq -r .keyLink | sort
}
# expect NAME SESSION...: the current links of these sessions, exactly,
# each with the key it was made with
expect() {
    local name=$1
    shift
    "$PY" - "$W" "$name" "$@" <<'PY'
import base64, glob, json, sys
w, name, sessions = sys.argv[1], sys.argv[2], set(sys.argv[3:])
st = json.load(open(w + "/keys.json"))
gone = set()
for f in ("losers", "forget"):
    for l in open("%s/%s.tsv" % (w, f)):
        gone.add(l.split("\t")[1])
for l in open(w + "/late.tsv") if glob.glob(w + "/late.tsv") else []:
    gone.add(l.split("\t")[1])
want = {k for k, v in st["links"].items()
        if v["session"] in sessions and k not in gone}
got = {}
for f in glob.glob("%s/out-%s/keys-*.jsonl" % (w, name)):
    for l in open(f):
        r = json.loads(l)
        assert r["keyLink"] not in got, "twice: " + r["keyLink"]
        got[r["keyLink"]] = r
bad = set(got) & gone
assert not bad, "forgotten or losing links exported: %s" % sorted(bad)
assert set(got) == want, (sorted(set(got) - want), sorted(want - set(got)))
for link, r in got.items():
    k = r["keyset"]["key"][0]
    v = base64.b64decode(k["keyData"]["value"])
    # AesSivKey: field 2, the key bytes (64)
    assert v[-64:] == base64.b64decode(st["links"][link]["key"]), link
print("ok %d" % len(got))
PY
}

export_conf first g-first "$W/first.mdb"
check "a new consumer group's keys export reads all $NREC records" \
    run first "$NREC"
out=$(expect first 0 1 2 6 7 8 9 2>&1)
check_eq "exactly the 7 current key links, with their keys (no forgotten link, no loser)" "ok 7" "$out"
for l in "$L3" "$L4" "$L5" "$L6"; do
    check "forgotten $l is in no object" bash -c "! grep -rqF '$l' '$W/out-first'"
done
check "the losers are in no object" bash -c "! cut -f2 '$W/losers.tsv' | grep -qFf - <(cat '$W'/out-first/*)"
check "objects are named after their records (several per partition)" \
    test "$(ls "$W/out-first" | wc -l)" -ge 4
check "the status counts 4 tombstones and 6 links withheld" \
    wait_status "$W/first.status" "s['tombstones'] == 4 and s['withheld'] == 6 and s['lines'] == 7" 1

# forget session 0 after that export: what was exported stays with its
# receiver; no later export has it
L0=$(link_of "$W/winners.tsv" 0)
gen tombstones "$L0" > "$W/late.tsv"
check "a tombstone of session 0's link, after the export" \
    produce "$W/late.tsv"
check "the first export keeps it (the receiver's responsibility)" \
    grep -rqF "$L0" "$W/out-first"
export_conf second g-second "$W/second.mdb"
check "another new group's export reads all $((NREC + 1)) records" \
    run second $((NREC + 1))
out=$(expect second 1 2 6 7 8 9 2>&1)
check_eq "it has the 6 current key links, not session 0's" "ok 6" "$out"
# the same store as the first run, a new group: the store applies the
# tombstone it had not seen
export_conf third g-third "$W/first.mdb"
check "a new group on the first run's store reads them all" \
    run third $((NREC + 1))
out=$(expect third 1 2 6 7 8 9 2>&1)
check_eq "it has the 6 current key links too" "ok 6" "$out"
before=$(exported first | wc -l)
check "the first group runs again: nothing new to export" \
    run first 1
check_eq "and writes no line" "$before" "$(exported first | wc -l)"

check "no key material in any exporter log" bash -c \
    "! cat '$W'/*.log | grep -qE 'wrappedKey|keyData'"

# A stop with Kafka gone is bounded: 8 open batches, each would wait
# for a commit as long as the group's session (45 s) and the consumer's
# close as long again; the exporter goes within the drain's 30 s, the
# batches left to the next owner
check "a keys topic of 8 partitions" ctl_quiet topic/keys8/8
gen candidates 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 \
    > "$W/spread.tsv"
for p in 0 1 2 3 4 5 6 7; do
    awk -F'\t' -v p="$p" 'NR % 8 == p { print $2 "\t" $3 }' "$W/spread.tsv" \
        | kcat -P -b "$BOOTSTRAP" -t keys8 -p "$p" -K '\t' -Z 2> /dev/null
done
export_conf stuck g-stuck "$W/stuck.mdb"
sed -i -e 's/topics keys;/topics keys8;/' -e 's/batch_events 2;/batch_events 1000;/' \
    -e 's/batch_idle 300ms;/batch_idle 600s;/' \
    -e '/session.timeout.ms/d' -e '/heartbeat.interval.ms/d' "$W/stuck.conf"
"$EXPORT" -c "$W/stuck.conf" &
XPID=$!
check "8 batches open, one in each partition" \
    wait_status "$W/stuck.status" "s['batches_open'] == 8 and s['records'] == 16"
strm_devbroker_stop
check "TERM with the broker gone: the exporter is gone within 40 s" \
    strm_term_within "$XPID" 40
wait "$XPID"
check "it exits saying the batch it could not commit was not written" \
    test $? -ne 0
XPID=
check "and that the others are read again at the next start" \
    grep -q '7 more batches not closed: they are read again' "$W/stuck.log"
check "nothing was written" test -z "$(ls -A "$W/out-stuck" 2> /dev/null)"

# A broker that stops answering (frozen, its connections open) while a
# batch is retried: each retry asks the keys topic's ends first, and
# librdkafka's rd_kafka_query_watermark_offsets() did not keep to its
# timeout then (the demo's exporter hung there for minutes); the stop
# still ends within the drain's 30 s
strm_devbroker_start -n 1 -P 2 || { FAIL "devbroker again"; finish; }
check "a keys topic of 2 partitions on a new broker" ctl_quiet topic/keys/2
export_conf frozen g-frozen "$W/frozen.mdb"
sed -i -e '/session.timeout.ms/d' -e '/heartbeat.interval.ms/d' "$W/frozen.conf"
"$EXPORT" -c "$W/frozen.conf" &
XPID=$!
check "an exporter joins" \
    wait_status "$W/frozen.status" "s['records'] == 0 and s['lag'] == 0"
# its directory becomes a file: no object can be written
rmdir "$W/out-frozen" && : > "$W/out-frozen"
gen candidates 40 41 > "$W/frozen.tsv"
check "2 key records" produce "$W/frozen.tsv"
check "a batch that cannot be written is retried" \
    wait_status "$W/frozen.status" "s['batches_waiting'] >= 1 and s['records'] == 2"
kill -STOP "$DB_PID"
sleep 2
check "TERM with the broker frozen: the exporter is gone within 40 s" \
    strm_term_within "$XPID" 40
wait "$XPID"
XPID=
kill -CONT "$DB_PID"

finish
