#!/usr/bin/env bash
# strm-credentials: new makes a 0600 file and prints the id and secret
# once as JSON (the file holds a salted HMAC-SHA256 of the secret, not
# the secret), duplicates are refused, revoke removes one client and
# keeps the rest of the file, list shows ids only, check finds a
# corrupted line, parallel new calls all land, token-key lines, usage
# errors.  No Kafka needed.

. "$(dirname "$0")/helpers.sh"

CRED=$STRM_ROOT/build/strm-credentials

if [ ! -x "$CRED" ]; then
    SKIP "no $CRED (make workers)"
    finish
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/strm-wtest-XXXXXX")
trap 'rm -rf "$W"; strm_cleanup' EXIT

F=$W/clients

# a permissive umask must not make the file readable by others
umask 000
out=$("$CRED" new -f "$F")
check_eq "new exits 0" 0 $?
umask 022

check_eq "the file is 0600" 600 "$(stat -c %a "$F")"
check_eq "one line of output" 1 "$(printf '%s\n' "$out" | wc -l)"

json() {
    python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
        "$out" "$1"
}
id1=$(json clientId)
check_eq "the output is JSON with clientId" 0 $?
secret1=$(json clientSecret)
check_eq "and clientSecret" 0 $?

[[ $id1 =~ ^strm-[a-z0-9]{20}$ ]]
check_eq "a generated id is strm- and 20 of [a-z0-9]" 0 $?
[[ $secret1 =~ ^[A-Za-z0-9_-]{43}$ ]]
check_eq "the secret is 43 characters of base64url" 0 $?

grep -qF -- "$secret1" "$F"
check_eq "the secret is not in the file" 1 $?

read -r f_id f_scheme f_salt f_hash f_cred f_extra < "$F"
check_eq "the line: id" "$id1" "$f_id"
check_eq "the line: scheme" hmac-sha256 "$f_scheme"
[[ $f_cred =~ ^[A-Za-z0-9_-]{22}$ ]]
check_eq "the line: a credential id, base64url of 16 bytes" 0 $?
check_eq "the line: five fields" "" "$f_extra"

# the stored hash is HMAC-SHA256(salt, secret), computed here apart
ok=$(python3 - "$f_salt" "$f_hash" "$secret1" << 'EOF'
import base64, hashlib, hmac, sys
d = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
salt, want, secret = d(sys.argv[1]), d(sys.argv[2]), sys.argv[3].encode()
print(len(salt) == 16 and hmac.compare_digest(
    hmac.new(salt, secret, hashlib.sha256).digest(), want))
EOF
)
check_eq "the hash is HMAC-SHA256 of the secret keyed by the salt" True "$ok"

out=$("$CRED" new -f "$F" -c svc.ingest-1)
check_eq "new -c" 0 $?
out2=$(printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["clientId"], len(d["clientSecret"]))')
check_eq "new -c keeps the id" "svc.ingest-1 43" "$out2"

cp "$F" "$W/before"
out=$("$CRED" new -c svc.ingest-1 -f "$F" 2> "$W/err")
check_eq "a duplicate id exits 1" 1 $?
check_eq "and prints nothing on stdout" "" "$out"
grep -q 'svc.ingest-1' "$W/err"
check_eq "saying which id" 0 $?
cmp -s "$F" "$W/before"
check_eq "the file is unchanged" 0 $?

check_eq "list: the ids" "$id1 svc.ingest-1" \
    "$("$CRED" list -f "$F" | tr '\n' ' ' | sed 's/ $//')"
"$CRED" list -f "$F" | grep -qvE '^[A-Za-z0-9._~-]+$'
check_eq "list shows nothing but ids" 1 $?
"$CRED" list -f "$F" | grep -qF -e "$f_salt" -e "$f_hash" -e hmac
check_eq "list shows no salt or hash" 1 $?

check_eq "check counts" "2 clients" "$("$CRED" check -f "$F")"

# a hand-edited file: comments, no final newline
printf '# added by hand\n%s' "$(cat "$F")" > "$F.new" && mv "$F.new" "$F"
chmod 600 "$F"
"$CRED" new -f "$F" -c third > /dev/null
check_eq "new after a line without its newline" 0 $?
check_eq "which was kept whole" "3 clients" "$("$CRED" check -f "$F")"

"$CRED" revoke -f "$F" svc.ingest-1
check_eq "revoke exits 0" 0 $?
"$CRED" list -f "$F" | grep -qx svc.ingest-1
check_eq "the revoked client is gone" 1 $?
check_eq "the others stay" "$id1 third" \
    "$("$CRED" list -f "$F" | tr '\n' ' ' | sed 's/ $//')"
check_eq "the comment stays" "# added by hand" "$(head -1 "$F")"
check_eq "the file is still 0600" 600 "$(stat -c %a "$F")"
tmps=("$F".??????)
check_eq "no temporary file is left" "$F.??????" "${tmps[*]}"

"$CRED" revoke -f "$F" svc.ingest-1 2> "$W/err"
check_eq "revoking an unknown id exits 1" 1 $?
grep -q 'no client' "$W/err"
check_eq "saying so" 0 $?

"$CRED" revoke -f "$W/none" x 2> /dev/null
check_eq "revoke in a missing file exits 1" 1 $?

# a client made again under its id gets a new credential id: the
# gateway refuses the tokens of the old one (docs/credentials.md)
"$CRED" new -f "$W/again" -c again > /dev/null
cred1=$(awk '$1 == "again" {print $5}' "$W/again")
"$CRED" revoke -f "$W/again" again
"$CRED" new -f "$W/again" -c again > /dev/null
cred2=$(awk '$1 == "again" {print $5}' "$W/again")
[ -n "$cred1" ] && [ -n "$cred2" ] && [ "$cred1" != "$cred2" ]
check_eq "revoked and made again: another credential id" 0 $?
"$CRED" list -f "$W/none" 2> /dev/null
check_eq "list of a missing file exits 1" 1 $?

# parallel writers: the flock serialises them, nothing is lost
for i in $(seq 1 12); do
    "$CRED" new -f "$W/par" > "$W/par.out.$i" &
done
wait
check_eq "12 parallel new calls, 12 clients" "12 clients" \
    "$("$CRED" check -f "$W/par")"
check_eq "12 distinct ids printed" 12 \
    "$(cat "$W"/par.out.* | python3 -c 'import json, sys; print(len({json.loads(l)["clientId"] for l in sys.stdin}))')"

# revoke renames a new file into place while new calls wait for the
# lock of the old one: they must append to the new file, not the old
for i in $(seq 1 8); do
    "$CRED" new -f "$W/race" -c "old-$i" > /dev/null
done
for i in $(seq 1 8); do
    "$CRED" new -f "$W/race" -c "new-$i" > /dev/null &
    "$CRED" revoke -f "$W/race" "old-$i" &
done
wait
check_eq "new and revoke in parallel: every new client, no old one" \
    "new-1 new-2 new-3 new-4 new-5 new-6 new-7 new-8" \
    "$("$CRED" list -f "$W/race" | sort | tr '\n' ' ' | sed 's/ $//')"

# check finds a corrupted line, and new refuses to add to it
cp "$F" "$W/bad"
printf 'broken hmac-sha256 AAAA AAAA\n' >> "$W/bad"
bad_line=$(wc -l < "$W/bad")
out=$("$CRED" check -f "$W/bad" 2> "$W/err")
check_eq "check of a corrupted file exits 1" 1 $?
grep -q "line $bad_line: the salt is not base64url" "$W/err"
check_eq "naming the line and the problem" 0 $?
grep -qF -e "$f_salt" -e "$f_hash" "$W/err"
check_eq "without a salt or hash" 1 $?

cp "$W/bad" "$W/bad.before"
"$CRED" new -f "$W/bad" > /dev/null 2>&1
check_eq "new refuses to add to a corrupted file" 1 $?
cmp -s "$W/bad" "$W/bad.before"
check_eq "which stays as it was" 0 $?

sed "s/^third /$id1 /" "$F" > "$W/dup"
"$CRED" check -f "$W/dup" 2> "$W/err"
check_eq "check of a duplicate exits 1" 1 $?
grep -q "duplicate client id" "$W/err"
check_eq "saying duplicate" 0 $?

chmod 644 "$F"
"$CRED" check -f "$F" > /dev/null 2> "$W/err"
check_eq "check of a 0644 file still exits 0" 0 $?
grep -q warning "$W/err"
check_eq "with a warning" 0 $?

# token keys
line=$("$CRED" token-key)
check_eq "token-key exits 0" 0 $?
[[ $line =~ ^k-[a-z0-9]{12}\ [A-Za-z0-9_-]{43}$ ]]
check_eq "token-key: \"k-<12> <43 base64url>\"" 0 $?
n=$(python3 -c 'import base64, sys; s = sys.argv[1]; print(len(base64.urlsafe_b64decode(s + "=")))' "${line#* }")
check_eq "the key is 32 bytes" 32 "$n"
[ "$line" != "$("$CRED" token-key)" ]
check_eq "two keys differ" 0 $?
line=$("$CRED" token-key -k tk-2024.06)
[[ $line =~ ^tk-2024\.06\ [A-Za-z0-9_-]{43}$ ]]
check_eq "token-key -k" 0 $?

# -o: secrets go to a new file made 0600 whatever the umask (a shell
# redirection takes the umask: 0644 under 022), never over a file
umask 022
"$CRED" token-key -k k-o -o "$W/token.keys"
check_eq "token-key -o exits 0" 0 $?
check_eq "token-key -o: the file is 0600 under umask 022" 600 \
    "$(stat -c %a "$W/token.keys")"
grep -Eq '^k-o [A-Za-z0-9_-]{43}$' "$W/token.keys"
check_eq "token-key -o: the key line is in the file" 0 $?
"$CRED" token-key -o "$W/token.keys" 2> "$W/err"
check_eq "token-key -o refuses an existing file" 1 $?
grep -q "already exists" "$W/err" && grep -Eq '^k-o ' "$W/token.keys"
check_eq "saying so, the file untouched" 0 $?
ln -s "$W/elsewhere" "$W/link"
"$CRED" token-key -o "$W/link" 2> /dev/null
check_eq "token-key -o does not write through a symbolic link" \
    "1 no" "$? $([ -e "$W/elsewhere" ] && echo yes || echo no)"

"$CRED" new -f "$W/o.clients" -c o-client -o "$W/o-secret.json" > "$W/out"
check_eq "new -o exits 0" 0 $?
check_eq "new -o: the secret file is 0600 under umask 022" 600 \
    "$(stat -c %a "$W/o-secret.json")"
check_eq "new -o: nothing on stdout" 0 "$(wc -c < "$W/out")"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clientId"] == "o-client" and len(d["clientSecret"]) == 43' \
    "$W/o-secret.json"
check_eq "new -o: the id and secret as JSON" 0 $?
"$CRED" new -f "$W/o.clients" -c o-two -o "$W/o-secret.json" 2> "$W/err"
check_eq "new -o refuses an existing file" 1 $?
check_eq "and adds no client whose secret would be lost" "o-client" \
    "$("$CRED" list -f "$W/o.clients")"

# usage errors (is_usage runs through check, which shellcheck cannot see)
# shellcheck disable=SC2317
is_usage() {
    "$CRED" "$@" > /dev/null 2> "$W/err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q usage "$W/err"
}
check "no subcommand: usage, exit 2" is_usage
check "an unknown subcommand" is_usage frobnicate -f "$F"
check "new without -f" is_usage new
check "new with an argument" is_usage new -f "$F" extra
check "revoke without an id" is_usage revoke -f "$F"
check "revoke with two ids" is_usage revoke -f "$F" a b
check "list with -c" is_usage list -f "$F" -c x
check "token-key with -f" is_usage token-key -f "$F"
check "an unknown option" is_usage list -f "$F" -z

"$CRED" new -f "$F" -c 'bad id' > /dev/null 2>&1
check_eq "an invalid client id exits 2" 2 $?
"$CRED" token-key -k 'k/1' > /dev/null 2>&1
check_eq "an invalid key id exits 2" 2 $?

finish
