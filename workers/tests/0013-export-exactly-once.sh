#!/usr/bin/env bash
# strm-export's exactly-once at its edges, each a defect seen before
# (issue 18), each with the file:// connector and kcat-made records:
#
#  - lag: a member that is assigned partitions committed at their end
#    reports lag 0 (high watermark - committed offset), not the whole
#    log; a batch committed but not written counts as lag;
#  - a stalled partition: a partition paused by a failing write, then
#    given back to the same member by two rebalances (another consumer
#    joins the group and leaves), is resumed: once the directory is
#    back, the batch is written;
#  - a graceful stop during a re-read: a member wrote the batch
#    first..L, the broker went down before its commit (devbroker
#    control) and it was killed (-9): the commit metadata says L.  The
#    next member re-reads slowly (the broker answers late) and is
#    stopped (TERM) in the middle: it must not write first..k; the one
#    after it writes first..L again, under the same name, and every
#    record is in the directory exactly once.

. "$(dirname "$0")/helpers.sh"

EXPORT=${STRM_EXPORT:-$STRM_ROOT/build/strm-export}
PY=/usr/bin/python3

for b in "$EXPORT" "$STRM_DEVBROKER" /usr/bin/kcat; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (scripts/setup; make all)"
        finish
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-export-eo-XXXXXX")
XPID=
KPID=
trap 'strm_cleanup; [ -n "$XPID" ] && kill -9 "$XPID" 2>/dev/null; [ -n "$KPID" ] && kill -9 "$KPID" 2>/dev/null; [ -n "${STRM_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT

strm_devbroker_start -n 1 || { FAIL "devbroker"; finish; }
for t in lagt stall drain other; do
    ctl_quiet topic/$t/1 || FAIL "topic $t"
done

# produce TOPIC FIRST N: N JSON records, one record per message set (so
# that one fetch of the dev broker returns one record)
produce() {
    seq "$2" $(($2 + $3 - 1)) | sed 's/.*/{"n":&}/' \
        | kcat -P -b "$BOOTSTRAP" -t "$1" -p 0 -X batch.num.messages=1 \
               -X linger.ms=0 2>/dev/null
}

# export_conf NAME GROUP TOPIC [directives...]: $W/NAME.conf, objects in
# $W/NAME (no time prefix)
export_conf() {
    local name=$1 group=$2 topic=$3
    shift 3
    cat > "$W/$name.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
    consumer_property session.timeout.ms 6000;
    consumer_property heartbeat.interval.ms 500;
}
status_file $W/$name.status;
status_interval 200ms;
error_log $W/$name.log;
export $name {
    topics $topic;
    group $group;
    connector file://$W/$name;
    time_prefix off;
    retry_max 1s;
$(printf '    %s\n' "$@")
}
CONF
}

export_start() {
    rm -f "$W/$1.status"
    "$EXPORT" -c "$W/$1.conf" &
    XPID=$!
}

export_stop() {
    local rc=0
    kill -TERM "$XPID" 2>/dev/null
    wait "$XPID" || rc=$?
    XPID=
    return $rc
}

# wait_status FILE PYTHON-EXPRESSION [SECONDS]
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

status() {
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$W/$1.status" "$2" 2>/dev/null
}

# wait_count FILE PATTERN N: until PATTERN is in FILE N times (60 s)
wait_count() {
    local i
    for ((i = 0; i < 600; i++)); do
        [ "$(grep -c "$2" "$1" 2>/dev/null || true)" -ge "$3" ] 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# verify DIR TOPIC N: the objects in DIR hold offsets 0..N-1 of TOPIC
# (the records produce made: {"n":offset+1}) exactly once, each object
# its first..last as named; prints "ok OBJECTS RECORDS" or the fault
verify() {
    "$PY" - "$@" <<'PY'
import json, os, re, sys
d, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
name_re = re.compile(r"^%s-0-(\d{19})-(\d{19})\.jsonl$" % re.escape(topic))
seen = {}
for fn in sorted(os.listdir(d)):
    m = name_re.match(fn)
    if not m:
        print("unexpected file %s" % fn); sys.exit(1)
    first, last = int(m.group(1)), int(m.group(2))
    lines = open(os.path.join(d, fn)).read().splitlines()
    if [json.loads(l)["n"] - 1 for l in lines] != list(range(first, last + 1)):
        print("%s does not hold %d..%d" % (fn, first, last)); sys.exit(1)
    for o in range(first, last + 1):
        if o in seen:
            print("offset %d twice: %s and %s" % (o, seen[o], fn))
            sys.exit(1)
        seen[o] = fn
missing = set(range(n)) - set(seen)
if missing:
    print("%d records missing" % len(missing)); sys.exit(1)
print("ok %d %d" % (len(set(seen.values())), len(seen)))
PY
}

# --- lag: high watermark - committed offset -----------------------------

produce lagt 1 200
export_conf lag g-lag lagt "batch_events 50;"
export_start lag
check "the lag exporter writes 200 records" wait_status "$W/lag.status" \
    "s['objects'] == 4 and s['batches_open'] == 0 and s['lag'] == 0"
export_stop
export_start lag
check "restarted, it is assigned the partition it committed at its end" \
    wait_count "$W/lag.log" "assigned 1 partitions" 2
sleep 1.5
check_eq "a member that has nothing to read reports lag 0" 0 \
    "$(status lag lag)"
check_eq "and read nothing" 0 "$(status lag records)"
export_stop

# --- a partition paused by a failing write, given back by a rebalance ---

export_conf stall g-stall stall "batch_events 20;"
export_start stall
check "the stall exporter is assigned its partition" \
    wait_count "$W/stall.log" "assigned 1 partitions" 1
# its directory becomes a file: every write fails (ENOTDIR)
rm -rf "$W/stall"
touch "$W/stall"
produce stall 1 20
check "the batch's write fails, the partition is paused" \
    wait_status "$W/stall.status" \
    "s['batches_waiting'] == 1 and s['upload_failures'] >= 1"
check_eq "a batch committed but not written is lag" 20 "$(status stall lag)"
# another consumer joins the group (another topic: the exporter gets its
# partition back) and leaves
kcat -b "$BOOTSTRAP" -G g-stall -X session.timeout.ms=6000 other \
    > /dev/null 2>&1 &
KPID=$!
check "a rebalance gives the partition back (revoked, assigned)" \
    wait_count "$W/stall.log" "assigned 1 partitions" 2
kill -TERM "$KPID"; wait "$KPID" 2>/dev/null; KPID=
check "the consumer leaves: assigned again" \
    wait_count "$W/stall.log" "assigned 1 partitions" 3
rm -f "$W/stall"
mkdir "$W/stall"
check "once the directory is back, the batch is written (not stalled)" \
    wait_status "$W/stall.status" \
    "s['objects'] >= 1 and s['batches_open'] == 0 and s['batches_waiting'] == 0 and s['lag'] == 0" 30
out=$(verify "$W/stall" stall 20)
check_eq "the 20 records once, in one object" "ok 1 20" "$out"
export_stop

# --- a graceful stop while re-reading a batch bound by its commit -------

N=60
export_conf drain g-drain drain "batch_events $N;"
export_start drain
check "the drain exporter is assigned its partition" \
    wait_count "$W/drain.log" "assigned 1 partitions" 1
rm -rf "$W/drain"
touch "$W/drain"
produce drain 1 $N
check "the batch 0..$((N - 1)) is committed as bound, its write fails" \
    wait_status "$W/drain.status" "s['batches_waiting'] == 1"
ctl_quiet broker/all/down
rm -f "$W/drain"
mkdir "$W/drain"
obj=$(printf 'drain-0-%019d-%019d.jsonl' 0 $((N - 1)))
for ((i = 0; i < 100; i++)); do
    [ -e "$W/drain/$obj" ] && break
    sleep 0.1
done
check "written while the broker is down: its commit fails" \
    test -e "$W/drain/$obj"
sleep 0.5
kill -9 "$XPID"; wait "$XPID" 2>/dev/null; XPID=
ctl_quiet broker/all/up
# the next member re-reads one record per answer, 300 ms each
ctl_quiet broker/all/rtt/300
export_start drain
check "the next member re-reads the batch bound at $((N - 1))" \
    wait_count "$W/drain.log" "was being written: it is written again" 1
check "and is stopped in the middle of it" \
    wait_status "$W/drain.status" "5 <= s['records'] < $N" 60
rc=0; export_stop || rc=$?
check_eq "stopped (TERM): exit 0" 0 "$rc"
ctl_quiet broker/all/rtt/0
check_eq "it wrote no part of the bound batch" "$obj" \
    "$(ls "$W/drain" | tr '\n' ' ' | sed 's/ $//')"
export_start drain
check "the member after it writes the batch at its bound" \
    wait_status "$W/drain.status" \
    "s['objects'] >= 1 and s['batches_open'] == 0 and s['lag'] == 0" 60
export_stop
out=$(verify "$W/drain" drain $N)
check_eq "every record once, in the one object $obj" "ok 1 $N" "$out"

strm_devbroker_stop
finish
