#!/usr/bin/env bash
# "make install" into a scratch prefix: the workers, the module, the docs
# and the systemd units with the prefix filled in; systemd's own checker
# (systemd-analyze verify) finds nothing to say about the units, and
# reload is SIGHUP, which the workers answer by reopening their logs
# (0004, 0005 test that).

. "$(dirname "$0")/helpers.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    SKIP "no systemd-analyze (scripts/setup installs systemd)"
    finish
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-install-XXXXXX")
trap 'rm -rf "$W"' EXIT

check "make install into a scratch prefix" \
    make -s -C "$STRM_ROOT" install PREFIX="$W/usr" UNITDIR="$W/units"

for b in strm-decrypt strm-export strm-keys strm-credentials strm-devbroker; do
    check "$b installed, executable" test -x "$W/usr/bin/$b"
done
check "the module installed" \
    test -f "$W/usr/lib/nginx/modules/ngx_http_strm_module.so"
check "the docs installed" test -f "$W/usr/share/doc/ngx_strm/export.md"
check "the sample configurations installed" \
    test -f "$W/usr/share/ngx_strm/conf/decrypt.conf"
for b in strm-decrypt strm-export strm-keys strm-credentials strm-devbroker; do
    check "$b: its man page installed" test -f "$W/usr/share/man/man1/$b.1"
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$W/usr/share/man/man1/$b.1" 2>&1 > /dev/null)
    check_eq "$b: man finds nothing to say about its page" "" "$out"
done

for u in strm-decrypt@demo strm-export@events strm-devbroker strm-keys-sync; do
    f=$W/units/${u%@*}$([ "$u" != "${u%@*}" ] && echo @).service
    check "$u: @PREFIX@ and @DOCDIR@ filled in" bash -c "! grep -q '@[A-Z]*@' '$f' && grep -q '$W/usr/bin/' '$f'"
    # (verify runs man for the units' man: documentation: our pages)
    out=$(cd "$W" && MANPATH=$W/usr/share/man \
          SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
          "$W/units/$u.service" 2>&1)
    rc=$?
    check_eq "$u: systemd-analyze verify exits 0 and says nothing" "0:" "$rc:$out"
done

for u in strm-decrypt@ strm-export@; do
    check "$u: reload is SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' \
        "$W/units/$u.service"
    check "$u: no restart loop on a configuration error (78)" \
        grep -qx 'RestartPreventExitStatus=64 78' "$W/units/$u.service"
    check "$u: the configuration is checked before the start" \
        grep -q '^ExecStartPre=.* -t -c ' "$W/units/$u.service"
done

finish
