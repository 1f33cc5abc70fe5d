#!/usr/bin/env bash
# The monitoring that ships (issue 20): conf/prometheus/strm-alerts.yml
# passes promtool's rule check and its unit tests
# (strm-alerts.test.yml: series in, alerts out), and every metric that
# the Grafana dashboard (conf/grafana/strm-dashboard.json) and the alert
# rules query is one the project exports, compared with a real run: a
# gateway (Debian's nginx with the module) that took events, its
# strm_status?format=prometheus, and the .prom status files of a
# strm-decrypt and a strm-export that read them (scripts/check-metrics).

. "$(dirname "$0")/helpers.sh"

PORT=$((18597 + STRM_PORT_SHIFT))
DECRYPT=$STRM_ROOT/build/strm-decrypt
EXPORT=$STRM_ROOT/build/strm-export
RULES=$STRM_ROOT/conf/prometheus/strm-alerts.yml
DASH=$STRM_ROOT/conf/grafana/strm-dashboard.json
CHECK=$STRM_ROOT/scripts/check-metrics

for b in promtool jq; do
    if ! command -v $b > /dev/null; then
        FAIL "$b is missing (scripts/setup installs it)"
        finish
    fi
done
for b in "$DECRYPT" "$EXPORT" "$STRM_ROOT/build/ngx_http_strm_module.so" \
         "$STRM_DEVBROKER"; do
    if [ ! -e "$b" ]; then
        SKIP "no $b (make all)"
        finish
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-mon-XXXXXX")
PIDS=()
mon_cleanup() {
    local p
    [ -s "$W/nginx.pid" ] && kill -QUIT "$(cat "$W/nginx.pid")" 2> /dev/null
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2> /dev/null
        wait "$p" 2> /dev/null
    done
    strm_cleanup
    rm -rf "$W"
}
trap mon_cleanup EXIT

# --- the alert rules --------------------------------------------------

check "promtool check rules" promtool check rules "$RULES"
out=$(cd "$(dirname "$RULES")" && promtool test rules strm-alerts.test.yml 2>&1)
rc=$?
check "promtool test rules: every alert's unit test passes" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | head -40
nalerts=$(grep -c '^ *- alert:' "$RULES")
ntested=$(grep -o 'alertname: [A-Za-z]*' \
          "$(dirname "$RULES")/strm-alerts.test.yml" | sort -u | wc -l)
check_eq "every alert has a unit test" "$nalerts" "$ntested"

check "the dashboard is JSON with a uid and panels" \
    jq -e '.uid == "ngx-strm" and (.panels | length) > 10' "$DASH" > /dev/null
check "its panels ask for the datasource variable" \
    jq -e '[.panels[] | select(.type != "row") | .datasource.uid]
           | all(. == "${datasource}")' "$DASH" > /dev/null

# --- a real run ---------------------------------------------------------

check "strm-devbroker starts" strm_devbroker_start -n 1 -P 1
check "the gateway starts" strm_gateway_start "$PORT" \
    'location = /strm_status { strm_status; }
     location = /ready { strm_ready; }'
check "the gateway is ready" strm_wait_ready "$PORT"

post() {
    curl -s -o /dev/null -w '%{http_code}' -m 20 \
        -H 'Content-Type: application/json' \
        -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' --data "$1" \
        "http://127.0.0.1:$PORT/event"
}
ev='{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","consentLevels":[0,1]},"uniqueIdentifier":"m-1","consistentValue":"session-m","someSensitiveValue":"s","notSensitiveValue":"n"}'
check_eq "an event is accepted" 204 "$(post "$ev")"
check_eq "one that breaks its schema is refused" 400 "$(post '{"x":1}')"

cat > "$W/decrypt.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
}
schemas $STRM_ROOT/conf/registry;
keys {
    store $W/keys/keys.mdb;
    kek $W/kek.json;
}
dead_letter src-decrypt-dead;
audit_log $W/audit.jsonl;
status_file $W/decrypt.status;
status_interval 200ms;
error_log $W/decrypt.log;
source src {
    derived {
        type granular;
        levels 1;
        purpose "monitoring test";
        owner "ops";
    }
}
CONF
cat > "$W/export.conf" <<CONF
kafka {
    brokers_file $DB_DIR/bootstrap;
    consumer_property fetch.wait.max.ms 50;
}
status_file $W/export.status;
status_interval 200ms;
error_log $W/export.log;
export events {
    topics src;
    connector file://$W/out;
    batch_idle 200ms;
}
CONF
mkdir -p "$W/out"
"$DECRYPT" -c "$W/decrypt.conf" 2>> "$W/decrypt.log" &
PIDS+=($!)
"$EXPORT" -c "$W/export.conf" 2>> "$W/export.log" &
PIDS+=($!)

# both have read the event once their status files count it
wait_prom() {
    local i
    for ((i = 0; i < 300; i++)); do
        grep -qE "^$2\{[^}]*\} [1-9]" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}
check "strm-decrypt's .prom counts the event" \
    wait_prom "$W/decrypt.status.prom" strm_decrypt_in_total
check "strm-export's .prom counts the event" \
    wait_prom "$W/export.status.prom" strm_export_records_total

curl -s -m 10 -o "$W/gateway.prom" \
    "http://127.0.0.1:$PORT/strm_status?format=prometheus"
check "the gateway's strm_status has its counters" \
    grep -q '^strm_accepted_total{' "$W/gateway.prom"
for f in gateway.prom decrypt.status.prom export.status.prom; do
    out=$(promtool check metrics < "$W/$f" 2>&1)
    rc=$?
    check_eq "promtool check metrics: $f parses, no lint finding" "0:" "$rc:$out"
done

# the checker itself fails on a metric nobody exports
jq '.panels[1].targets[0].expr = "rate(strm_no_such_metric_total[5m])"' \
    "$DASH" > "$W/bad-dashboard.json"
out=$("$CHECK" --dashboard "$W/bad-dashboard.json" "$W/gateway.prom" \
      "$W/decrypt.status.prom" "$W/export.status.prom")
rc=$?
check "check-metrics fails on a metric that is not exported" \
    bash -c "[ $rc = 1 ] && grep -q '^missing: strm_no_such_metric_total ' <<< '$out'"

# and on a label the metric does not have
jq '.panels[1].targets[0].expr = "rate(strm_rejected_total{reason=\"x\"}[5m])"' \
    "$DASH" > "$W/bad-dashboard.json"
out=$("$CHECK" --dashboard "$W/bad-dashboard.json" "$W/gateway.prom" \
      "$W/decrypt.status.prom" "$W/export.status.prom")
rc=$?
check "check-metrics fails on a label the metric does not have" \
    bash -c "[ $rc = 1 ] && grep -q '^no such label: strm_rejected_total{reason}' <<< '$out'"

out=$("$CHECK" --dashboard "$DASH" --rules "$RULES" "$W/gateway.prom" \
      "$W/decrypt.status.prom" "$W/export.status.prom")
rc=$?
echo "$out" | sed 's/^/    /'
check "every metric of the dashboard and the alert rules is exported" \
    test "$rc" = 0

finish
