#!/usr/bin/env bash
# The Debian packages (issue 20), as an ops team uses them: built with
# dpkg-buildpackage from a clean copy of the checkout (tracked files, no
# build/), lintian finds no error or warning, installed with dpkg -i on
# this machine's Debian nginx: the stock "nginx -t" loads the module
# through modules-enabled with a strm server block (the package's sample)
# in conf.d; one event posted through the installed module reaches the
# installed dev broker and is read back by an independent client; the
# key store is created by nginx's workers (www-data) in /var/lib/strm,
# which belongs to the system user strm; the units are installed, not
# enabled.  Then the packages are purged: the module and its
# modules-enabled link are gone and the stock configuration still passes
# "nginx -t" and starts.  /etc/nginx is left exactly as it was.
#
# Root only (dpkg -i); refuses to run when the packages are already
# installed (it would purge an operator's installation).

. "$(dirname "$0")/helpers.sh"

PKGS=(libnginx-mod-http-strm strm-tools strm-devbroker)
PORT=$((18590 + STRM_PORT_SHIFT))
NGINX=/usr/sbin/nginx
TESTCONF=/etc/nginx/conf.d/strm-pkgtest.conf
KEK=/etc/strm/pkgtest-kek.json
STORE=/var/lib/strm/pkgtest-keys.mdb

if [ "$(id -u)" != 0 ]; then
    SKIP "not root: dpkg -i needs root (CI runs as root)"
    finish
fi
for t in dpkg-buildpackage lintian dh_nginx; do
    if ! command -v $t > /dev/null; then
        FAIL "$t is missing (scripts/setup installs it)"
        finish
    fi
done
for p in "${PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q installed; then
        FAIL "$p is installed already: purge it first (dpkg --purge $p)"
        finish
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-pkg-XXXXXX")
chmod 0755 "$W"
NGINX_PID=$W/nginx.pid
had_user=0
getent passwd strm > /dev/null && had_user=1

# what /etc/nginx holds: paths, types, modes, link targets, contents
etc_nginx_state() {
    find /etc/nginx -printf '%p %y %m %l\n' | sort
    find /etc/nginx -type f -exec md5sum {} + | sort
}
etc_nginx_state > "$W/etc-nginx.before"

nginx_stop() {
    local i pid
    [ -s "$NGINX_PID" ] || return 0
    pid=$(cat "$NGINX_PID")
    kill -QUIT "$pid" 2> /dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2> /dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null
}

pkg_cleanup() {
    nginx_stop
    rm -f "$TESTCONF" "$KEK" "$STORE" "$STORE.slots" "$STORE-lock"
    local installed=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q installed \
            && installed+=("$p")
    done
    [ ${#installed[@]} -eq 0 ] || dpkg --purge "${installed[@]}" > /dev/null 2>&1
    rmdir /var/lib/strm /etc/strm 2> /dev/null
    if [ $had_user = 0 ] && getent passwd strm > /dev/null; then
        deluser --quiet --system strm > /dev/null 2>&1
        delgroup --quiet --system strm > /dev/null 2>&1
    fi
    strm_cleanup
    rm -rf "$W"
}
trap pkg_cleanup EXIT

# 1. build from a clean copy: the tracked files (and new ones not
# ignored), as a fresh clone has them
SRC=$W/src/ngx-strm
mkdir -p "$SRC"
(cd "$STRM_ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 cp -a --parents -t "$SRC" 2> /dev/null)
check "the clean copy has debian/ and no build/" \
    bash -c "test -x '$SRC/debian/rules' && ! test -e '$SRC/build'"

t0=$(date +%s)
# (no -dbgsym packages: the test does not use them)
if (cd "$SRC" && DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -b -uc -us -j2) > "$W/build.log" 2>&1; then
    PASS "dpkg-buildpackage -b -uc -us builds ($(( $(date +%s) - t0 )) s)"
else
    FAIL "dpkg-buildpackage -b -uc -us"
    tail -30 "$W/build.log"
    finish
fi
DEBS=()
for p in "${PKGS[@]}"; do
    f=$(ls "$W"/src/${p}_*_*.deb 2> /dev/null)
    check "$p built" test -f "$f"
    DEBS+=("$f")
done

out=$(lintian --fail-on error,warning "$W"/src/ngx-strm_*.changes 2>&1 \
      | grep -v 'running with root privileges')
rc=$?
check_eq "lintian: no error, no warning" "" "$out"

# the exact ABI of the nginx the module was built against, as Debian's
# own libnginx-mod-* packages say it (dh_nginx reads nginx-dev's file)
abi=$(sed -n 's/^nginx:abi=//p' /usr/share/nginx/src/debian/libnginx-mod.abisubstvars)
deps=$(dpkg-deb -f "${DEBS[0]}" Depends)
check "the module depends on $abi exactly" \
    grep -qE "(^|, )$abi(,|$)" <<< "$deps"
check "the installed nginx provides $abi" \
    bash -c "dpkg-query -W -f='\${Provides}\n' nginx | grep -qw '$abi'"

# 2. install
if dpkg -i "${DEBS[@]}" > "$W/install.log" 2>&1; then
    PASS "dpkg -i of the three packages"
else
    FAIL "dpkg -i"
    cat "$W/install.log"
    finish
fi

link=/etc/nginx/modules-enabled/50-mod-http-strm.conf
check "modules-enabled links the module's load file" \
    test "$(readlink "$link")" = /usr/share/nginx/modules-available/mod-http-strm.conf
check_eq "the load file loads modules/ngx_http_strm_module.so" \
    "load_module modules/ngx_http_strm_module.so;" "$(cat "$link")"
check "the module is in /usr/lib/nginx/modules" \
    test -f /usr/lib/nginx/modules/ngx_http_strm_module.so

check "the system user strm" \
    bash -c '[ "$(id -u strm)" -lt 1000 ] && [ "$(id -gn strm)" = strm ]'
check "www-data is in the group strm" \
    bash -c 'id -nG www-data | grep -qw strm'
check_eq "/var/lib/strm: strm:strm 2770" "strm:strm 2770" \
    "$(stat -c '%U:%G %a' /var/lib/strm)"
check_eq "/var/log/strm: strm:strm 2770" "strm:strm 2770" \
    "$(stat -c '%U:%G %a' /var/log/strm)"
check_eq "/etc/strm: root:strm 750" "root:strm 750" \
    "$(stat -c '%U:%G %a' /etc/strm)"
check "/etc/strm/keys-sync.env is a conffile" \
    bash -c "dpkg-query -W -f='\${Conffiles}' strm-tools | grep -q ' /etc/strm/keys-sync.env '"
check "/etc/logrotate.d/strm is a conffile" \
    bash -c "dpkg-query -W -f='\${Conffiles}' strm-tools | grep -q ' /etc/logrotate.d/strm '"
# an admin's change to a conffile survives a reinstall (and its
# maintainer scripts run again without harm)
echo 'STRM_KEYS_TOPIC=pkgtest-keys' >> /etc/strm/keys-sync.env
check "dpkg -i strm-tools again" bash -c "dpkg -i '${DEBS[1]}' > '$W/reinstall.log' 2>&1"
check "the changed conffile is kept" \
    grep -qx 'STRM_KEYS_TOPIC=pkgtest-keys' /etc/strm/keys-sync.env
check_eq "/var/lib/strm still strm:strm 2770" "strm:strm 2770" \
    "$(stat -c '%U:%G %a' /var/lib/strm)"

if command -v logrotate > /dev/null; then
    # a log as strm-decrypt (www-data) leaves it; logrotate refuses a
    # group-writable directory unless told which user to work as
    echo line > /var/log/strm/pkgtest.log
    chown www-data:strm /var/log/strm/pkgtest.log
    chmod 0640 /var/log/strm/pkgtest.log
    check "logrotate -d -f /etc/logrotate.d/strm: no error" \
        bash -c "logrotate -d -f /etc/logrotate.d/strm > '$W/logrotate.log' 2>&1"
    grep -q 'error' "$W/logrotate.log" && grep error "$W/logrotate.log"
    rm -f /var/log/strm/pkgtest.log
else
    SKIP "logrotate -d /etc/logrotate.d/strm: no logrotate here"
fi
for u in strm-keys-sync.service strm-devbroker.service; do
    check_eq "$u installed, not enabled" disabled \
        "$(systemctl is-enabled "$u" 2> /dev/null)"
done
for u in strm-decrypt@ strm-export@; do
    check "$u.service installed, no instance enabled" bash -c \
        "test -f /lib/systemd/system/$u.service && ! ls /etc/systemd/system/*.wants/$u* > /dev/null 2>&1"
done
# (the man pages are checked in the packages: a dpkg path-exclude, as in
# some container images, may keep /usr/share/man empty)
for b in strm-decrypt strm-export strm-keys strm-credentials strm-devbroker; do
    deb=${DEBS[1]}
    [ $b = strm-devbroker ] && deb=${DEBS[2]}
    check "$b in /usr/bin, its man page in the package" \
        bash -c "test -x /usr/bin/$b && dpkg-deb -c '$deb' | grep ' ./usr/share/man/man1/$b.1.gz$' > /dev/null"
done

out=$($NGINX -T 2>&1)
rc=$?
check "stock nginx -t loads the module through modules-enabled" bash -c \
    "[ $rc = 0 ] && grep -q '^load_module modules/ngx_http_strm_module.so;' <<< \"\$1\"" _ "$out"

# 3. the stock configuration with the package's sample server block,
# on the dev broker of the strm-devbroker package
STRM_DEVBROKER=/usr/bin/strm-devbroker
check "the installed strm-devbroker starts" strm_devbroker_start -n 1 -P 1
/usr/bin/strm-keys new-kek > "$KEK"
chgrp strm "$KEK"
chmod 0640 "$KEK"
sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$PORT;|" \
    -e "s|^strm_kafka_brokers_file .*|strm_kafka_brokers_file $DB_DIR/bootstrap;|" \
    -e "s|^strm_keys_store .*|strm_keys_store $STORE;|" \
    -e "s|^strm_keys_kek .*|strm_keys_kek $KEK;|" \
    /usr/share/doc/libnginx-mod-http-strm/examples/strm-gateway.conf \
    > "$TESTCONF"
out=$($NGINX -t 2>&1)
rc=$?
check "stock nginx -t with the strm server block in conf.d" \
    test "$rc" = 0
[ "$rc" = 0 ] || echo "$out"

# running it: the stock nginx.conf (modules-enabled, conf.d) without
# sites-enabled (its :80 is not ours to take) and with our pid and logs
sed -e "s|^pid .*|pid $NGINX_PID;|" \
    -e "s|include /etc/nginx/sites-enabled/\*;|include $W/site.conf;|" \
    -e "s|error_log .*|error_log $W/error.log;|" \
    -e "s|access_log .*|access_log $W/access.log;|" \
    /etc/nginx/nginx.conf > "$W/nginx.conf"
: > "$W/site.conf"
check "the stock configuration starts" $NGINX -c "$W/nginx.conf"
check "/ready answers 200" strm_wait_ready "$PORT"

ev='{"strmMeta":{"eventContractRef":"strmprivacy/example/1.3.0","consentLevels":[0,1]},"uniqueIdentifier":"pkg-1","consistentValue":"session-pkg","someSensitiveValue":"sensitive-pkg","notSensitiveValue":"not-sensitive-pkg"}'
hdrs=$(curl -sS -o /dev/null -D - -m 20 -H 'Content-Type: application/json' \
       -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' --data "$ev" \
       "http://127.0.0.1:$PORT/event")
check_eq "the event is acknowledged: 204" 204 \
    "$(awk 'NR == 1 { print $2 }' <<< "$hdrs")"
id=$(tr -d '\r' <<< "$hdrs" | sed -n 's/^strm-event-id: //ip')

rec=$("$KAFKA_READ" -b "@$DB_DIR/bootstrap" -t events --min 1 --timeout 20)
check_eq "Kafka holds one record" 1 "$(grep -c . <<< "$rec")"
check "read back: the event, its id, the plain field" bash -c \
    "jq -e --arg id '$id' '.headers[\"strm-event-id\"] == \$id and (\$id | length) == 36 and (.value | fromjson | .notSensitiveValue == \"not-sensitive-pkg\")' <<< '$rec' > /dev/null"
check "read back: its PII field encrypted" bash -c \
    "jq -e '.value | fromjson | .someSensitiveValue != \"sensitive-pkg\" and (.strmMeta.keyLink | length) == 36' <<< '$rec' > /dev/null"
check_eq "the key store: made by nginx's workers in /var/lib/strm" \
    "www-data:strm 600" "$(stat -c '%U:%G %a' "$STORE" 2> /dev/null)"
if grep -q '\[\(alert\|emerg\|crit\)\]' "$W/error.log"; then
    FAIL "nginx's error log has alerts"
    grep '\[\(alert\|emerg\|crit\)\]' "$W/error.log" | head -5
else
    PASS "nginx's error log has no alert"
fi
nginx_stop
rm -f "$TESTCONF" "$KEK"

# 4. purge: nginx without the module, as before
if dpkg --purge "${PKGS[@]}" > "$W/purge.log" 2>&1; then
    PASS "dpkg --purge of the three packages"
else
    FAIL "dpkg --purge"
    cat "$W/purge.log"
fi
check "no modules-enabled link left" \
    bash -c '! ls /etc/nginx/modules-enabled/*strm* > /dev/null 2>&1'
check "the module is gone" \
    test ! -e /usr/lib/nginx/modules/ngx_http_strm_module.so
check "the key store outlives the purge (erasing keys is strm-keys' job)" \
    test -f "$STORE"
check "the logs directory is gone" test ! -e /var/log/strm
check "the conffiles and /etc/strm are gone" test ! -e /etc/strm
check "www-data left the group strm" \
    bash -c '! id -nG www-data | grep -qw strm'
rm -f "$STORE" "$STORE.slots" "$STORE-lock"

out=$($NGINX -t 2>&1)
rc=$?
check "stock nginx -t after the purge" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out"
echo "server { listen 127.0.0.1:$PORT; location / { return 204; } }" \
    > "$W/site.conf"
check "the stock configuration starts after the purge" \
    $NGINX -c "$W/nginx.conf"
check_eq "and answers" 204 "$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
    "http://127.0.0.1:$PORT/")"
nginx_stop

etc_nginx_state > "$W/etc-nginx.after"
if cmp -s "$W/etc-nginx.before" "$W/etc-nginx.after"; then
    PASS "/etc/nginx is as it was"
else
    FAIL "/etc/nginx is as it was"
    diff "$W/etc-nginx.before" "$W/etc-nginx.after" | head
fi

finish
