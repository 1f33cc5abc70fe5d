#!/usr/bin/env bash
# strm-devbroker's cap is never silent.  librdkafka's mock keeps about
# 5 MiB per partition and deletes the oldest records beyond: the
# devbroker watches every partition's start offset, logs each drop (how
# many, the offsets, the new start) and counts them in GET /status.
# Records past the cap are produced with kcat and the first offset that
# remains is read back with kcat (an independent client).

. "$(dirname "$0")/helpers.sh"

for b in "$STRM_DEVBROKER" /usr/bin/kcat; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (scripts/setup; make all)"
        finish
    fi
done

strm_devbroker_start -t small:1 -t cap:1 || { FAIL "devbroker"; finish; }

status() {
    curl -sS -m 5 "http://127.0.0.1:$CTL_PORT/status"
}

field() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# produce TOPIC N FIRST: N records of about 1 KB
produce() {
    /usr/bin/python3 -c '
import json, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + n):
    print(json.dumps({"i": i, "pad": "x" * 1000}))' "$2" "$3" \
        | kcat -P -b "$BOOTSTRAP" -t "$1" -p 0 2>/dev/null
}

first_offset() {
    kcat -C -b "$BOOTSTRAP" -t "$1" -p 0 -o beginning -c 1 -q -f '%o\n' \
        2>/dev/null
}

# wait_status PYTHON-EXPRESSION: until it holds for s (GET /status), 20 s
wait_status() {
    local i
    for ((i = 0; i < 100; i++)); do
        status | /usr/bin/python3 -c "import json, sys; s = json.load(sys.stdin); sys.exit(0 if ($1) else 1)" \
            2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

check "GET /status says the cap, nothing dropped yet" \
    wait_status "s['partition_cap_bytes'] == 5242880 and s['dropped_records'] == 0 and s['watermark_checks'] >= 1"
check "the start notice says the cap" \
    grep -q "a partition keeps about 5 MiB, older records are dropped" \
    "$DB_DIR/log"

produce small 1000 0
produce cap 3000 0
check "3000 records of 1 KB: under the cap, none dropped" \
    wait_status "s['watermark_checks'] >= 3 and s['dropped_records'] == 0"
check_eq "the first record is still offset 0" 0 "$(first_offset cap)"

produce cap 4000 3000
first=$(first_offset cap)
check "4000 more: past the cap, the oldest records are gone ($first)" \
    test "${first:-0}" -gt 0
check "GET /status counts them: dropped_records $first, start_offset $first" \
    wait_status "s['dropped_records'] == $first and s['partitions_dropped'] == 1 and s['dropped'] == [{'topic': 'cap', 'partition': 0, 'start_offset': $first, 'end_offset': 7000}]"
echo "# $(status)"
# the drops of one burst may be seen in one check or a few
logged=$(grep -o 'topic "cap" \[0\]: [0-9]* records DROPPED (offsets [0-9]*\.\.[0-9]*)' \
         "$DB_DIR/log" | sed 's/.*: \([0-9]*\) records DROPPED (offsets \([0-9]*\)\.\.\([0-9]*\))/\1 \2 \3/')
check "the log says each drop: how many and which offsets, $first in all" \
    /usr/bin/python3 -c '
import sys
rows = [list(map(int, l.split())) for l in sys.argv[1].splitlines()]
start = 0
for n, a, b in rows:
    assert a == start and b == a + n - 1, rows
    start = b + 1
assert start == int(sys.argv[2]), rows' "$logged" "$first"
check "and where the partition now starts" \
    bash -c "grep 'topic \"cap\" \\[0\\]' '$DB_DIR/log' | tail -1 | grep -q 'now starts at offset $first, ends at'"

produce cap 2000 7000
first2=$(first_offset cap)
check "2000 more: another $((first2 - first)) dropped, said again" \
    wait_status "s['dropped_records'] == $first2"
check "logged with the offsets of this drop" \
    grep -q "topic \"cap\" \\[0\\]: $((first2 - first)) records DROPPED (offsets $first..$((first2 - 1)))" \
    "$DB_DIR/log"
check_eq "the small topic lost nothing" 0 "$(first_offset small)"

# a broker taken down: the watcher waits, says nothing, resumes
ctl_quiet broker/all/down
sleep 3
ctl_quiet broker/all/up
n=$(status | field watermark_checks)
check "after a broker outage the watermarks are checked again" \
    wait_status "s['watermark_checks'] > $n"
check "the outage put no error of the watcher in the log" \
    bash -c "! grep -E '\\[(error|crit|alert)\\]' '$DB_DIR/log'"

check "TERM: exit 0" strm_devbroker_stop
check "its exit is logged" grep -q "exiting" "$DB_DIR/log"
finish
