#!/usr/bin/env bash
# strm-keys: a store rebuilt from the keys topic (sync), list without key
# bytes, stats, shred with a tombstone that a second synced store
# follows, purge after a retention, the store file's mode, usage errors.
# The records are written to Kafka by kcat here, in the format the
# gateway produces (docs/kafka.md), so the test does not depend on it.

. "$(dirname "$0")/helpers.sh"

KEYS=$STRM_ROOT/build/strm-keys

if [ ! -x "$KEYS" ] || [ ! -x "$STRM_DEVBROKER" ]; then
    SKIP "no $KEYS or $STRM_DEVBROKER (make workers)"
    finish
fi

strm_devbroker_start -n 1 -t "keys:2" || { FAIL "devbroker"; finish; }

W=$DB_DIR
now=$(now_ms)
day=86400000

# three live key links and one that expired two days ago
links=()
for i in 1 2 3 4; do
    links+=("$(cat /proc/sys/kernel/random/uuid)")
done
wrapped=$(head -c 89 /dev/urandom | base64 -w0)

{
    for i in 0 1 2; do
        printf '%s\t{"keyLink":"%s","keyId":%d,"created":%d,"expires":%d,"wrappedKey":"%s"}\n' \
            "${links[$i]}" "${links[$i]}" $((3000000000 + i)) "$now" \
            $((now + day)) "$wrapped"
    done
    printf '%s\t{"keyLink":"%s","keyId":7,"created":%d,"expires":%d,"wrappedKey":"%s"}\n' \
        "${links[3]}" "${links[3]}" $((now - 3 * day)) $((now - 2 * day)) \
        "$wrapped"
    # not a key record: counted as malformed, skipped
    printf '%s\t%s\n' "${links[0]}x" 'nonsense'
} | kcat -P -b "$BOOTSTRAP" -t keys -K '\t' -z none 2> /dev/null
check_eq "5 records written to the keys topic" 0 $?

out=$("$KEYS" -s "$W/a.mdb" sync -b "$BOOTSTRAP" -t keys -o)
check_eq "sync -o copies the topic, then exits" 0 $?
check_eq "sync counts" '{"copied":4,"shredded":0,"lost":0,"malformed":1}' "$out"

mode=$(stat -c %a "$W/a.mdb")
check_eq "the store file is 0600" 600 "$mode"

n=$("$KEYS" -s "$W/a.mdb" list | wc -l)
check_eq "list shows every key link" 4 "$n"

"$KEYS" -s "$W/a.mdb" list | grep -q "$wrapped"
check_eq "list never shows the wrapped key" 1 $?

"$KEYS" -s "$W/a.mdb" list | grep -q "\"keyId\":3000000001,"
check_eq "key ids above 2^31 stay unsigned" 0 $?

out=$("$KEYS" -s "$W/a.mdb" stats)
check_eq "stats" '{"keyLinks":4,"sessions":0,"sizeBytes":1073741824}' \
    "$(sed 's/,"usedBytes":[0-9]*//' <<< "$out")"
used=$(sed -n 's/.*"usedBytes":\([0-9]*\).*/\1/p' <<< "$out")
[ "${used:-0}" -gt 4096 ] && [ "$used" -lt 1048576 ]
check_eq "stats: the bytes in use" 0 $?

"$KEYS" -S 10 -s "$W/c.mdb" stats 2> "$W/err"
check_eq "-S under 128k exits 64" 64 $?
grep -q 'invalid -S "10"' "$W/err"
check_eq "and says so" 0 $?

out=$("$KEYS" -S 512k -s "$W/c.mdb" sync -b "$BOOTSTRAP" -t keys -o)
check_eq "sync -S 512k into a new store" 0 $?
check_eq "the store keeps its size" '"sizeBytes":524288}' \
    "$("$KEYS" -s "$W/c.mdb" stats | grep -o '"sizeBytes":[0-9]*}')"

out=$("$KEYS" -s "$W/a.mdb" -b "$BOOTSTRAP" -t keys shred "${links[1]}")
check_eq "shred with a tombstone" 0 $?
check_eq "shred says so" "{\"keyLink\":\"${links[1]}\",\"shredded\":true}" "$out"

"$KEYS" -s "$W/a.mdb" shred "${links[1]}" > /dev/null
check_eq "shredding an unknown key link exits 1" 1 $?

"$KEYS" -s "$W/a.mdb" list | grep -q "${links[1]}"
check_eq "the shredded key link is gone" 1 $?

out=$("$KEYS" -s "$W/b.mdb" sync -b "$BOOTSTRAP" -t keys -o)
check_eq "a second store syncs the topic with its tombstone" \
    '{"copied":4,"shredded":1,"lost":0,"malformed":1}' "$out"
"$KEYS" -s "$W/b.mdb" list | grep -q "${links[1]}"
check_eq "and does not hold the shredded key link" 1 $?

out=$("$KEYS" -s "$W/b.mdb" purge -r 86400)
check_eq "purge removes what expired more than a day ago" \
    '{"purged":1}' "$out"
check_eq "two key links left" '"keyLinks":2,"sessions":0,' \
    "$("$KEYS" -s "$W/b.mdb" stats | grep -o '"keyLinks":[0-9]*,"sessions":[0-9]*,')"

# new-kek -o: a new file made 0600 whatever the umask ("new-kek > file"
# takes the umask: 0644 under 022), never over an existing one
(
    umask 022
    "$KEYS" new-kek -o "$W/kek-o.json"
)
check_eq "new-kek -o exits 0" 0 $?
check_eq "new-kek -o: the file is 0600 under umask 022" 600 \
    "$(stat -c %a "$W/kek-o.json")"
/usr/bin/python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))
assert k["primaryKeyId"] and k["key"][0]["keyData"]["typeUrl"].endswith("AesGcmKey")' \
    "$W/kek-o.json"
check_eq "new-kek -o: a Tink AES-GCM keyset" 0 $?
sum=$(sha256sum < "$W/kek-o.json")
"$KEYS" new-kek -o "$W/kek-o.json" 2> "$W/err"
check_eq "new-kek -o refuses an existing file" 1 $?
check_eq "and leaves it as it was" "$sum" "$(sha256sum < "$W/kek-o.json")"

"$KEYS" -s "$W/b.mdb" frobnicate 2> /dev/null
check_eq "an unknown command exits 64" 64 $?

"$KEYS" list 2> /dev/null
check_eq "no store exits 64" 64 $?

"$KEYS" -s "$W/none/x.mdb" stats 2> "$W/err"
check_eq "a store that cannot be opened exits 1" 1 $?
grep -q "$W/none/x.mdb" "$W/err"
check_eq "naming the file" 0 $?

finish
