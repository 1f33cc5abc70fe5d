#!/usr/bin/env bash
# strm-export: events go through the real gateway (Debian's nginx with
# the module) into Kafka; strm-export writes them as JSON lines to an S3
# server that checks every SigV4 signature (@20minutes/s3rver, read back
# with curl's own SigV4) and to a local directory.  Each time the bucket
# must hold every acknowledged event exactly once, in objects whose names
# follow from topic, partition and offsets.  Then the bad days: a wrong
# secret (403, data kept), the server down (no loss), kill -9 (exactly
# once after restart), a multipart upload, gzip.  Keys: exported keysets
# decrypt the exported events, in C (the core's Tink) and in Python
# (python3-cryptography), in clear or under a customer KEK.

. "$(dirname "$0")/helpers.sh"

EXPORT=${STRM_EXPORT:-$STRM_ROOT/build/strm-export}
KEYS=$STRM_ROOT/build/strm-keys
MODULE=$STRM_ROOT/build/ngx_http_strm_module.so
NGINX=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
KSDEC=$STRM_ROOT/build/test/strm-keyset-decrypt
PYDEC=$STRM_ROOT/t/lib/strm-decrypt
S3RVER=$STRM_ROOT/t/lib/s3rver-launch
PY=/usr/bin/python3

for b in "$EXPORT" "$KEYS" "$MODULE" "$STRM_DEVBROKER" "$KSDEC" \
         "$STRM_ROOT/.npm-local/node_modules/@20minutes/s3rver"; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (scripts/setup; make all test-tools)"
        finish
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-export-XXXXXX")
XPID=
S3_PID=
trap 'strm_cleanup; [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid" 2>/dev/null)" 2>/dev/null; [ -n "$XPID" ] && kill -9 "$XPID" 2>/dev/null; [ -n "$S3_PID" ] && kill "$S3_PID" 2>/dev/null; [ -n "${STRM_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT

# --- bad configurations: exit 78 with file:line, before any Kafka -----

bad() {
    # bad "what" "expected message" config-text
    printf '%s\n' "$3" > "$W/bad.conf"
    local out rc=0
    out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
          "$EXPORT" -t -c "$W/bad.conf" 2>&1) || rc=$?
    if [ "$rc" = 78 ] && grep -qF -- "$2" <<<"$out"; then
        PASS "bad config: $1 (exit 78, $2)"
    else
        FAIL "bad config: $1: exit $rc, $out"
    fi
}

head='kafka { brokers 127.0.0.1:9; }'
bad "unknown directive" "bad.conf:3: unknown directive \"bucket\"" "$head
export demo {
    bucket x;
    connector file://$W/out;
}"
bad "unknown connector" "bad.conf:2: invalid connector \"ftp://x\"" "$head
export demo { connector ftp://x; }"
bad "bad bucket name" "bad.conf:2: invalid connector \"s3://A\"" "$head
export demo { connector s3://A; }"
bad "s3 without credentials" "has no credentials" "$head
export demo { connector s3://bucket/p; }"
bad "half the credentials" "bad.conf:2: \"access_key_id\" and \"secret_access_key\" go together" "$head
export demo { connector s3://bucket/p; access_key_id x; }"
bad "a part below S3's 5 MiB" "bad.conf:4: invalid size \"1m\"" "$head
export demo {
    connector s3://bucket/p; access_key_id a; secret_access_key b;
    part_size 1m;
}"
bad "keys mode without the KEK" "bad.conf:2: \"mode keys\" needs \"kek\"" "$head
export demo { connector file://$W/out; mode keys; }"
bad "keys mode without its key store" "bad.conf:2: \"mode keys\" needs \"keys_store\"" "$head
export demo { connector file://$W/out; mode keys; kek $W/kek.json; }"
bad "keys mode reads one keys topic" "bad.conf:2: \"mode keys\" reads one keys topic" "$head
export demo { connector file://$W/out; mode keys; kek $W/kek.json; keys_store $W/ks.mdb; topics a b; }"
bad "a key store in events mode" "bad.conf:2: \"kek\", \"customer_kek\" and \"keys_store\" are for \"mode keys\"" "$head
export demo { connector file://$W/out; keys_store $W/ks.mdb; }"
bad "credentials on a file connector" "are for s3:// and gs://" "$head
export demo { connector file://$W/out; region eu-west-1; }"
bad "no export block" "no \"export\" block" "$head"
bad "two exports" "bad.conf:3: one \"export\" per strm-export" "$head
export a { connector file://$W/out; }
export b { connector file://$W/out; }"

rc=0
"$EXPORT" -c 2>/dev/null || rc=$?
check_eq "usage error exits 64" 64 "$rc"

# --- Kafka, the S3 server, the gateway ----------------------------------

strm_devbroker_start -n 1 -P 4 || { FAIL "devbroker"; finish; }

s3_start() {
    # $1: port (default: any); sets S3_PORT, S3_PID
    rm -f "$W/s3.port"
    S3RVER_VERBOSE=1 "$S3RVER" "$W/s3" "$W/s3.port" exports \
        ${1:+--port "$1"} >> "$W/s3.log" 2>&1 &
    S3_PID=$!
    wait_for_file "$W/s3.port" 20 || return 1
    S3_PORT=$(cat "$W/s3.port")
}
s3_stop() {
    kill "$S3_PID" 2>/dev/null
    wait "$S3_PID" 2>/dev/null
    S3_PID=
}
# curl's own SigV4: an independent reader of the bucket
s3_curl() {
    curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
# s3_fetch PREFIX DIR: every object under PREFIX into DIR/<key>
s3_fetch() {
    local keys k
    rm -rf "$2"
    mkdir -p "$2"
    keys=$(s3_curl "http://127.0.0.1:$S3_PORT/exports?list-type=2&max-keys=1000&prefix=$1" \
           | grep -o '<Key>[^<]*</Key>' | sed 's/<Key>\(.*\)<\/Key>/\1/')
    for k in $keys; do
        mkdir -p "$2/$(dirname "${k#"$1"/}")"
        s3_curl -o "$2/${k#"$1"/}" "http://127.0.0.1:$S3_PORT/exports/$k" \
            || return 1
    done
}

s3_start || { FAIL "s3rver starts"; finish; }
PASS "s3rver (SigV4 checked) listens on 127.0.0.1:$S3_PORT"
check "s3rver refuses a wrong secret (403)" bash -c \
    "curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:nope -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' http://127.0.0.1:$S3_PORT/exports | grep -qx 403"

port=$((18562 + STRM_PORT_SHIFT))
# a worker's metrics, served by nginx (docs/operations.md)
strm_gateway_start $port "        location = /metrics/export {
            alias $W/s3.status.prom;
            default_type \"text/plain; version=0.0.4\";
        }" || { FAIL "nginx starts"; finish; }
"$KEYS" new-kek > "$W/customer-kek.json"
"$KEYS" new-kek > "$W/other-kek.json"

post_events() {
    # $1 N, $2 first id, $3 output file, $4 first session, $5 sessions
    "$PY" - "$1" "$2" "$3" "$port" "${4:-0}" "${5:-40}" <<'PY'
import http.client, json, random, sys
n, first, out, port, s0, ns = int(sys.argv[1]), int(sys.argv[2]), \
    sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rnd = random.Random(first)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
with open(out, "a") as f:
    for i in range(first, first + n):
        s = s0 + rnd.randrange(ns)
        ev = {"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0",
                           "consentLevels": [0, 1, 2, 3]},
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

# verify DIR TOPIC RECORDS.jsonl [gz]: the objects under DIR hold every
# record of TOPIC exactly once, each object exactly the records from its
# first to its last offset, named after them; prints "ok OBJECTS RECORDS"
verify() {
    "$PY" - "$@" <<'PY'
import gzip, json, os, re, sys
root, topic, recs_f = sys.argv[1:4]
gz = len(sys.argv) > 4
name_re = re.compile(r"^(\d{4}/\d\d/\d\d/\d\d/)?%s-(\d+)-(\d{19})-(\d{19})\.jsonl%s$"
                     % (re.escape(topic), r"\.gz" if gz else ""))
recs = {}
for line in open(recs_f):
    r = json.loads(line)
    if r["topic"] == topic:
        recs[(r["partition"], r["offset"])] = r["value"]
seen = {}
nobj = 0
for d, _, files in os.walk(root):
    for fn in files:
        rel = os.path.relpath(os.path.join(d, fn), root)
        if fn.endswith(".tmp"):
            print("a temporary file is left: %s" % rel); sys.exit(1)
        m = name_re.match(rel)
        if not m:
            print("unexpected object name %s" % rel); sys.exit(1)
        nobj += 1
        part, first, last = int(m.group(2)), int(m.group(3)), int(m.group(4))
        data = open(os.path.join(d, fn), "rb").read()
        if gz:
            data = gzip.decompress(data)
        lines = data.decode().split("\n")
        if lines[-1] != "":
            print("%s: no final newline" % rel); sys.exit(1)
        lines = lines[:-1]
        want = [(part, o) for o in range(first, last + 1) if (part, o) in recs]
        if len(lines) != len(want):
            print("%s: %d lines for %d records" % (rel, len(lines), len(want)))
            sys.exit(1)
        for k, line in zip(want, lines):
            if line != recs[k]:
                print("%s: offset %d differs" % (rel, k[1])); sys.exit(1)
            if k in seen:
                print("offset %s twice: %s and %s" % (k, seen[k], rel))
                sys.exit(1)
            seen[k] = rel
missing = set(recs) - set(seen)
if missing:
    print("%d records missing, e.g. %s" % (len(missing), sorted(missing)[:3]))
    sys.exit(1)
print("ok %d %d" % (nobj, len(seen)))
PY
}

# wait_status FILE PYTHON-EXPRESSION [SECONDS]: until it holds for s
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

# export_conf NAME GROUP CONNECTOR [extra directives...]: $W/NAME.conf
export_conf() {
    local name=$1 group=$2 conn=$3
    shift 3
    cat > "$W/$name.conf" <<CONF
# a test exporter
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
    # a killed member leaves the group sooner (the test kills some)
    consumer_property session.timeout.ms 6000;
    consumer_property heartbeat.interval.ms 500;
}
status_file $W/$name.status;
status_interval 200ms;
error_log $W/$name.log;
export $name {
    topics src;
    group $group;
    connector $conn;
    batch_idle 500ms;
$(for d in "$@"; do printf '    %s\n' "$d"; done)
}
CONF
}
s3_conn() {
    printf '%s' "s3://exports/$1"
}
s3_creds() {
    printf '%s\n' "endpoint http://127.0.0.1:$S3_PORT;" \
        "access_key_id S3RVER;" "secret_access_key ${1:-S3RVER};"
}

wait_log() {
    local i
    for ((i = 0; i < 600; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

export_start() {
    # the status of an earlier run must not answer for this one
    rm -f "$W/$1.status"
    "$EXPORT" -c "$W/$1.conf" &
    XPID=$!
}
export_stop() {
    # TERM, then the exit status
    local rc=0
    kill -TERM "$XPID" 2>/dev/null
    wait "$XPID" || rc=$?
    XPID=
    return $rc
}

N1=600
check "$N1 events accepted by the gateway" post_events $N1 0 "$W/sent.jsonl"
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $N1 > "$W/src.jsonl"
check_eq "all of them in the topic" $N1 "$(wc -l < "$W/src.jsonl")"

# --- S3: objects with the expected names, each event exactly once ------

mapfile -t creds < <(s3_creds)
export_conf s3 g-s3 "$(s3_conn events)" "batch_events 100;" "${creds[@]}"
check "strm-export -t accepts the configuration" "$EXPORT" -t -c "$W/s3.conf"
export_start s3
check "the exporter read all $N1 records and wrote every batch" \
    wait_status "$W/s3.status" \
    "s['records'] >= $N1 and s['batches_open'] == 0 and s['batches_waiting'] == 0"
s3_fetch events "$W/dl-events"
out=$(verify "$W/dl-events" src "$W/src.jsonl")
check "S3: every acknowledged event exactly once, objects named topic-partition-first-last ($out)" \
    grep -q '^ok [0-9]* 600$' <<<"$out"
nobj=$(find "$W/dl-events" -type f | wc -l)
check "batches close at 100 events: at least 6 objects ($nobj)" test "$nobj" -ge 6
check "the status names the last object and no error" "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["last_object"].startswith("s3://exports/events/"), s
assert s["last_error"] == "" and s["objects"] >= 6 and s["lines"] == 600, s' \
    "$W/s3.status"
check "Prometheus text beside it" grep -q \
    '^strm_export_objects_total{export="s3",connector="s3://exports/events"} [1-9]' \
    "$W/s3.status.prom"
check "promtool check metrics accepts it" \
    bash -c "promtool check metrics < '$W/s3.status.prom'"
check "nginx serves it to a scraper, promtool accepts what it gets" \
    bash -c "curl -sf http://127.0.0.1:$port/metrics/export | tee '$W/scraped.prom' | promtool check metrics && grep -q '^strm_export_objects_total' '$W/scraped.prom'"
mv "$W/s3.log" "$W/s3.log.1"
kill -HUP "$XPID"
check "SIGHUP opens the error log again (logrotate moved it)" \
    wait_log "$W/s3.log" "log reopened"
mv "$W/s3.log" "$W/s3.log.2"
kill -USR1 "$XPID"
check "so does SIGUSR1, nginx's signal for it" \
    wait_log "$W/s3.log" "log reopened"
rc=0; export_stop || rc=$?
check_eq "TERM: drained, exit 0" 0 "$rc"
check "no secret in the log" bash -c "! grep -q 'S3RVER;' '$W'/s3.log*"

# --- a wrong secret: 403 said in log and status, the data kept ---------

mapfile -t creds < <(s3_creds wrong-secret)
export_conf bad g-bad "$(s3_conn bad)" "batch_events 200;" "retry_max 1s;" \
    "${creds[@]}"
export_start bad
check "a wrong secret: the status shows the 403 and waiting batches" \
    wait_status "$W/bad.status" \
    "'HTTP 403 SignatureDoesNotMatch' in s['last_error'] and s['batches_waiting'] >= 1 and s['upload_failures'] >= 2"
check "the log says so" grep -q 'HTTP 403 SignatureDoesNotMatch' "$W/bad.log"
check "the wrong secret is not in the log" bash -c "! grep -q wrong-secret '$W/bad.log'"
s3_fetch bad "$W/dl-bad"
check_eq "nothing written under the wrong secret" 0 "$(find "$W/dl-bad" -type f | wc -l)"
rc=0; export_stop || rc=$?
check_eq "TERM with batches unwritten: exit 1" 1 "$rc"
mapfile -t creds < <(s3_creds)
export_conf bad g-bad "$(s3_conn bad)" "batch_events 200;" "${creds[@]}"
export_start bad
check "with the right secret the same group writes everything" \
    wait_status "$W/bad.status" \
    "s['batches_open'] == 0 and s['batches_waiting'] == 0 and s['objects'] >= 3"
s3_fetch bad "$W/dl-bad"
out=$(verify "$W/dl-bad" src "$W/src.jsonl")
check "no event lost to the 403s, none twice ($out)" grep -q '^ok [0-9]* 600$' <<<"$out"
export_stop

# --- the server down, kill -9 meanwhile, a restart with other limits ---

mapfile -t creds < <(s3_creds)
export_conf out g-out "$(s3_conn out)" "batch_events 50;" "retry_max 1s;" \
    "${creds[@]}"
export_start out
check "the outage exporter is done with the first $N1" \
    wait_status "$W/out.status" \
    "s['lines'] >= $N1 and s['batches_open'] == 0 and s['batches_waiting'] == 0"
s3_stop
N2=200
check "$N2 more events accepted while the bucket is down" \
    post_events $N2 $N1 "$W/sent.jsonl"
check "the exporter reports the outage and keeps the batches" \
    wait_status "$W/out.status" \
    "s['batches_waiting'] >= 1 and s['upload_failures'] >= 2 and s['last_error'] != ''"
kill -9 "$XPID"; wait "$XPID" 2>/dev/null; XPID=
PASS "strm-export killed (-9) with batches committed but unwritten"
s3_start "$S3_PORT" || FAIL "s3rver restarts on port $S3_PORT"
# other limits now: the batches of the killed one must keep their bounds
sed -i 's/batch_events 50;/batch_events 100000;/' "$W/out.conf"
export_start out
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $((N1 + N2)) > "$W/src.jsonl"
for ((i = 0; i < 90; i++)); do
    s3_fetch out "$W/dl-out"
    out=$(verify "$W/dl-out" src "$W/src.jsonl")
    grep -q "^ok [0-9]* $((N1 + N2))\$" <<<"$out" && break
    sleep 1
done
check "the restarted exporter wrote the killed one's batches with their bounds" \
    grep -q "was being written: it is written again" "$W/out.log"
check "outage + kill -9: every event exactly once ($out)" \
    grep -q "^ok [0-9]* $((N1 + N2))\$" <<<"$out"
export_stop

# --- file://: kill -9 at random moments while events arrive ------------

export_conf file g-file "file://$W/files" "batch_events 37;"
export_start file
N3=300
post_events $N3 $((N1 + N2)) "$W/sent.jsonl" &
poster=$!
for delay in 1.3 2.1 0.7; do
    sleep "$delay"
    kill -9 "$XPID"; wait "$XPID" 2>/dev/null
    export_start file
    # a restart waits for the group to drop the killed member
    sleep 0.5
done
wait "$poster" && PASS "$N3 events accepted during the kills" \
    || FAIL "posting during the kills"
N=$((N1 + N2 + N3))
"$KAFKA_READ" -b "$BOOTSTRAP" -t src --min $N > "$W/src.jsonl"
# done when the directory holds them all (a restarted member first
# waits for the group to drop the killed one)
for ((i = 0; i < 120; i++)); do
    out=$(verify "$W/files" src "$W/src.jsonl")
    grep -q "^ok [0-9]* $N\$" <<<"$out" && break
    sleep 1
done
check "file://: every event exactly once after kill -9s, no temp file ($out)" \
    grep -q "^ok [0-9]* $N\$" <<<"$out"
export_stop

# --- gzip ----------------------------------------------------------------

mapfile -t creds < <(s3_creds)
export_conf gz g-gz "$(s3_conn gz)" "gzip on;" "batch_events 250;" \
    "${creds[@]}"
export_start gz
check "the gzip exporter is done" wait_status "$W/gz.status" \
    "s['lines'] >= $N and s['batches_open'] == 0 and s['batches_waiting'] == 0"
export_stop
s3_fetch gz "$W/dl-gz"
out=$(verify "$W/dl-gz" src "$W/src.jsonl" gz)
check "gzip objects (.jsonl.gz) decompress to the same lines ($out)" \
    grep -q "^ok [0-9]* $N\$" <<<"$out"

# --- multipart: one 12 MB batch in 5 MiB parts ---------------------------

# the dev broker keeps ~5 MiB per partition: the exporter reads while the
# records are produced, and the expected lines come from the generator
curl -s -X POST "http://127.0.0.1:$CTL_PORT/topic/big/1" > /dev/null
mapfile -t creds < <(s3_creds)
export_conf big g-big "$(s3_conn big)" "batch_size 64m;" \
    "batch_idle 3s;" "multipart_threshold 5m;" "part_size 5m;" \
    "${creds[@]}"
sed -i 's/topics src;/topics big;/' "$W/big.conf"
export_start big
check "the big exporter is assigned its partition" wait_log "$W/big.log" "assigned 1 partitions"
big_lines() {
    "$PY" -c '
import json, sys, time
pad = "x" * 950
for i in range(12000):
    line = json.dumps({"i": i, "pad": pad})
    if sys.argv[1] == "records":
        print(json.dumps({"topic": "big", "partition": 0, "offset": i,
                          "value": line}))
    else:
        print(line, flush=(i % 500 == 499))
        if i % 500 == 499:
            time.sleep(0.1)' "$1"
}
big_lines produce | kcat -P -b "$BOOTSTRAP" -t big -p 0 2>/dev/null
big_lines records > "$W/big.jsonl"
check "the 12 MB batch is written" wait_status "$W/big.status" \
    "s['lines'] >= 12000 and s['batches_open'] == 0 and s['batches_waiting'] == 0" 90
check "in one CreateMultipartUpload, 3 UploadPart and one Complete (5 requests)" \
    wait_status "$W/big.status" "s['requests'] == 5 and s['objects'] == 1" 5
export_stop
check "s3rver stored 3 parts of one upload" \
    test "$(grep -c 'Stored part [0-9]* of ' "$W/s3.log")" = 3
s3_fetch big "$W/dl-big"
out=$(verify "$W/dl-big" big "$W/big.jsonl")
check_eq "one object with all 12000 lines, in order" "ok 1 12000" "$out"

# --- gs://: the GCS defaults (region auto, path style), same signing ----

export_conf gcs g-gcs "gs://exports/gcs" "batch_events 300;" \
    "endpoint http://127.0.0.1:$S3_PORT;" "access_key_id S3RVER;" \
    "secret_access_key S3RVER;"
export_start gcs
check "a gs:// connector writes through the XML API's S3 signing" \
    wait_status "$W/gcs.status" \
    "s['lines'] >= $N and s['batches_open'] == 0 and s['batches_waiting'] == 0 and s['last_object'].startswith('gs://exports/gcs/')"
export_stop
s3_fetch gcs "$W/dl-gcs"
out=$(verify "$W/dl-gcs" src "$W/src.jsonl")
check "gs://: every event exactly once ($out)" grep -q "^ok [0-9]* $N\$" <<<"$out"

# --- keys: Tink keysets, in clear and under a customer KEK --------------

"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$W/keyrecs.jsonl"
nlinks=$(wc -l < "$W/keyrecs.jsonl")
check "the gateway made one key link per session ($nlinks)" test "$nlinks" -ge 30

mapfile -t creds < <(s3_creds)
export_conf keys g-keys "$(s3_conn keys)" "mode keys;" "kek $W/kek.json;" \
    "keys_store $W/export-keys.mdb;" "${creds[@]}"
sed -i 's/topics src;/topics src-keys;/' "$W/keys.conf"
export_start keys
check "the keys exporter is done" wait_status "$W/keys.status" \
    "s['lines'] >= $nlinks and s['batches_open'] == 0 and s['batches_waiting'] == 0"
export_stop
s3_fetch keys "$W/dl-keys"
find "$W/dl-keys" -type f | sort | xargs cat > "$W/keysets.jsonl"
check_eq "one keyset line per key link" "$nlinks" "$(wc -l < "$W/keysets.jsonl")"
check "lines carry keyLink, created, expires and a Tink AES-SIV keyset" \
    "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert set(r) == {"keyLink", "created", "expires", "keyset"}, r.keys()
    assert r["expires"] > r["created"] > 0
    k = r["keyset"]["key"][0]
    assert k["keyData"]["typeUrl"].endswith("AesSivKey"), k
    assert r["keyset"]["primaryKeyId"] == k["keyId"]' "$W/keysets.jsonl"

# the exported events (S3, plain) decrypted with the exported keysets
find "$W/dl-events" -type f | sort | xargs cat > "$W/events.jsonl"
"$KSDEC" "$W/keysets.jsonl" < "$W/events.jsonl" > "$W/c.out"
check "C (the core's Tink) decrypts every exported event with them" \
    test $? = 0
jq -c '{value: tojson}' "$W/events.jsonl" \
    | "$PYDEC" - "$W/keysets.jsonl" > "$W/py.out"
check "Python (python3-cryptography AES-SIV) decrypts them too" test $? = 0
same=$("$PY" - "$W/c.out" "$W/py.out" "$W/sent.jsonl" <<'PY'
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
p = [json.loads(l) for l in open(sys.argv[2])]
key = lambda r: r["event"]["notSensitiveValue"]
c.sort(key=key); p.sort(key=key)
for a, b in zip(c, p):
    a["decrypted"].sort(); b["decrypted"].sort()
assert c == p, "C and Python differ"
sent = {}
for l in open(sys.argv[3]):
    e = json.loads(l); sent[e["notSensitiveValue"]] = e
n = 0
for r in c:
    e, want = r["event"], sent[key(r)]
    assert sorted(r["decrypted"]) == ["consistentValue", "someSensitiveValue",
                                      "uniqueIdentifier"], r["decrypted"]
    for f in ("uniqueIdentifier", "consistentValue", "someSensitiveValue"):
        assert e[f] == want[f], (f, e[f], want[f])
    n += 1
print("ok %d" % n)
PY
)
check_eq "C and Python agree, and give back every PII value sent" "ok 600" "$same"

# the same keys under the customer's KEK (file connector)
cat > "$W/keys-enc.conf" <<CONF
kafka { brokers_file $DB_DIR/bootstrap; consumer_property fetch.wait.max.ms 50; }
status_file $W/keys-enc.status;
status_interval 200ms;
export keys-enc {
    mode keys;
    topics src-keys;
    connector file://$W/keys-enc;
    kek $W/kek.json;
    customer_kek $W/customer-kek.json;
    keys_store $W/export-keys-enc.mdb;
    batch_idle 500ms;
    time_prefix off;
}
CONF
"$EXPORT" -c "$W/keys-enc.conf" 2> "$W/keys-enc.log" &
XPID=$!
check "the encrypted keys exporter is done" wait_status "$W/keys-enc.status" \
    "s['lines'] >= $nlinks and s['batches_open'] == 0 and s['batches_waiting'] == 0"
export_stop
cat "$W"/keys-enc/src-keys-*.jsonl > "$W/enc-keysets.jsonl"
check "without time_prefix the objects sit at the top" \
    test -s "$W/enc-keysets.jsonl"
check "no key of the clear keysets appears in the encrypted ones" "$PY" -c '
import json, sys
enc = open(sys.argv[2]).read()
assert "\"keyset\"" not in enc
for l in open(sys.argv[1]):
    v = json.loads(l)["keyset"]["key"][0]["keyData"]["value"]
    assert v not in enc and v[8:40] not in enc' \
    "$W/keysets.jsonl" "$W/enc-keysets.jsonl"
"$KSDEC" -k "$W/customer-kek.json" "$W/enc-keysets.jsonl" \
    < "$W/events.jsonl" > "$W/c-enc.out"
check "with the customer KEK, C decrypts the events as before" \
    "$PY" -c '
import json, sys
a = sorted(open(sys.argv[1]).read().splitlines())
b = sorted(open(sys.argv[2]).read().splitlines())
assert a == b and len(a) == 600' "$W/c.out" "$W/c-enc.out"
rc=0
"$KSDEC" -k "$W/other-kek.json" "$W/enc-keysets.jsonl" < /dev/null \
    2> /dev/null || rc=$?
check_eq "another KEK cannot read them" 2 "$rc"
# Python: AES-GCM (Tink AEAD, empty associated data) opens the keyset
kek_py() {
    "$PY" - "$@" <<'PY'
import base64, json, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
def fields(b):
    i = 0
    while i < len(b):
        tag, i = varint(b, i)
        if tag & 7 == 2:
            n, i = varint(b, i); yield tag >> 3, b[i:i + n]; i += n
        else:
            v, i = varint(b, i); yield tag >> 3, v
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if not c & 0x80: return v, i
kek = json.load(open(sys.argv[1]))["key"][0]
kek_key = dict(fields(base64.b64decode(kek["keyData"]["value"])))[3]
clear = {}
for l in open(sys.argv[3]):
    r = json.loads(l); clear[r["keyLink"]] = r["keyset"]
n = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    ct = base64.b64decode(r["encryptedKeyset"]["encryptedKeyset"])
    assert ct[0] == 1 and struct.unpack(">I", ct[1:5])[0] == kek["keyId"]
    ks = AESGCM(kek_key).decrypt(ct[5:17], ct[17:], b"")
    key = [v for f, v in fields(ks) if f == 2][0]
    kd = dict(fields(key))
    value = dict(fields(kd[1]))[2]
    want = base64.b64decode(clear[r["keyLink"]]["key"][0]["keyData"]["value"])
    assert value == want, r["keyLink"]
    n += 1
print("ok %d" % n)
PY
}
out=$(kek_py "$W/customer-kek.json" "$W/enc-keysets.jsonl" "$W/keysets.jsonl" 2>&1)
check_eq "Python opens every encrypted keyset with the customer KEK" "ok $nlinks" "$out"
rc=0
kek_py "$W/other-kek.json" "$W/enc-keysets.jsonl" "$W/keysets.jsonl" \
    > /dev/null 2>&1 || rc=$?
check "and not with another KEK (the tag does not verify)" test "$rc" != 0

# incremental: only the key links made since the last export
N4=60
check "$N4 more events of 20 new sessions" \
    post_events $N4 $((N1 + N2 + N3)) "$W/sent.jsonl" 100 20
"$KAFKA_READ" -b "$BOOTSTRAP" -t src-keys > "$W/keyrecs.jsonl"
nlinks2=$(wc -l < "$W/keyrecs.jsonl")
export_start keys
check "the keys exporter runs again" wait_status "$W/keys.status" \
    "s['lines'] >= $((nlinks2 - nlinks)) and s['batches_open'] == 0 and s['batches_waiting'] == 0"
export_stop
s3_fetch keys "$W/dl-keys2"
find "$W/dl-keys2" -type f | sort | xargs cat > "$W/keysets2.jsonl"
check "the second run adds only the $((nlinks2 - nlinks)) new key links, none twice" \
    "$PY" -c '
import json, sys
links = [json.loads(l)["keyLink"] for l in open(sys.argv[1])]
old = {json.loads(l)["keyLink"] for l in open(sys.argv[2])}
assert len(links) == len(set(links)) == int(sys.argv[3]), len(links)
assert len(set(links) - old) == int(sys.argv[3]) - len(old)' \
    "$W/keysets2.jsonl" "$W/keysets.jsonl" "$nlinks2"

check "no PII value in any exporter log" bash -c \
    "! cat '$W'/*.log | grep -qE 'user-|session-|secret-'"

s3_stop
"$NGINX" -p "$W/" -c conf/nginx.conf -s stop
strm_devbroker_stop
finish
