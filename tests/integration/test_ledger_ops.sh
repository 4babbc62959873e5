#!/usr/bin/env bash
# The ledger in operation, with the real daemon: a governed statement longer than
# a record holds is kept whole beside the ledger and verified; rotations by
# outside tools (logrotate copytruncate, mv) while statements flow leave files
# that each verify and link into one chain; a full file system (a small tmpfs)
# damages nothing, and what was decided meanwhile is recorded once space returns.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"

# Records of every file given, as JSON lines (for python checks across rotated files).
records() { cat "$@" 2>/dev/null; }
# seq of the statement record whose statement_sha256 is $1, in files $2...
seq_of_sha() {
	local sha=$1; shift
	records "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    try: r = json.loads(line)
    except Exception: continue
    if r.get("type") == "statement" and r.get("statement_sha256") == sys.argv[1]:
        print(r["seq"]); break' "$sha"
}
# "TYPE REASON" of a file's first record.
first_record() { head -n1 "$1" | python3 -c 'import json, sys; r = json.loads(sys.stdin.readline()); print(r.get("type"), r.get("reason"))' 2>/dev/null; }
field_of_seq() {  # SEQ FIELD FILE...
	local seq=$1 field=$2; shift 2
	records "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    try: r = json.loads(line)
    except Exception: continue
    if r.get("seq") == int(sys.argv[1]):
        v = r.get(sys.argv[2]); print("" if v is None else v); break' "$seq" "$field"
}

# ---- a 100 KiB governed SELECT whose predicate is at the very end -------------------
gate_start "$POLICY"
pad=$(head -c 102400 /dev/zero | tr '\0' 'x')
needle="ledger_ops_$$"
big="SELECT count(*) FROM app.transactions /* $pad */ WHERE '$needle' = '$needle'"
big_sha=$(printf '%s' "$big" | sha256sum | cut -d' ' -f1)
sql agent_test "$big"
assert_eq "a 100 KiB governed SELECT runs" "0:200" "$SQL_RC:$SQL_OUT"
n=0; seq=
while [ -z "$seq" ] && [ "$n" -lt 25 ]; do seq=$(seq_of_sha "$big_sha" "$SW_LEDGER"); sleep 0.2; n=$((n + 1)); done
check "the statement is recorded with the SHA-256 of its full text" test -n "$seq"
blob=$(field_of_seq "$seq" statement_blob "$SW_LEDGER")
assert_eq "its record is truncated to what a record holds" "True" "$(field_of_seq "$seq" statement_truncated "$SW_LEDGER")"
assert_contains "its record names the full text beside the ledger" "$blob" "$(basename "$SW_LEDGER").blobs/${big_sha:0:2}/$big_sha.z"
got_sha=$("$SQLWARD" log --ledger "$SW_LEDGER" --full-text "$seq" --format raw | sha256sum | cut -d' ' -f1)
assert_eq "sqlward log --full-text gives back the exact statement" "$big_sha" "$got_sha"
tail_shown=$("$SQLWARD" log --ledger "$SW_LEDGER" --full-text "$seq" | tail -c 80)
assert_contains "the predicate at the end is in the ledger's record of it" "$tail_shown" "WHERE '$needle' = '$needle'"
py_sha=$(python3 -c 'import hashlib, sys, zlib; print(hashlib.sha256(zlib.decompress(open(sys.argv[1], "rb").read())).hexdigest())' \
	"$(dirname "$SW_LEDGER")/$blob" 2>&1)
assert_eq "the kept text is a plain zlib stream (no sqlward needed to read it)" "$big_sha" "$py_sha"
assert_eq "the kept text is 0640, its directory 0750" "640 750" \
	"$(stat -c %a "$(dirname "$SW_LEDGER")/$blob") $(stat -c %a "$(dirname "$(dirname "$SW_LEDGER")/$blob")")"
out=$("$SQLWARD" verify --ledger "$SW_LEDGER" 2>&1); rc=$?
assert_rc "verify checks the kept text" 0 "$rc"
assert_contains "verify counts it" "$out" "1 full statement text checked"
# A kept text that goes missing fails verify, naming the record.
mv "$(dirname "$SW_LEDGER")/$blob" "$SW_TMP/blob.aside"
out=$("$SQLWARD" verify --ledger "$SW_LEDGER" 2>&1); rc=$?
assert_rc "verify fails when a kept text is missing" 1 "$rc"
assert_contains "and names the record" "$out" "(seq $seq): statement blob"
mv "$SW_TMP/blob.aside" "$(dirname "$SW_LEDGER")/$blob"

# ---- rotations while statements flow ---------------------------------------------------
L=$SW_LEDGER
FLOW_N=160
(
	_sql_argv agent_test "$SW_PG_DB" "SELECT 1"
	for i in $(seq 1 "$FLOW_N"); do
		argv=("${SW_PSQL_ARGV[@]}")
		argv[-1]="SELECT 'flow-$i'"
		PGCONNECT_TIMEOUT=10 timeout -k 5 30 "${argv[@]}" >/dev/null 2>>"$SW_TMP/flow.err" </dev/null ||
			echo "flow-$i failed" >>"$SW_TMP/flow.err"
	done
	touch "$SW_TMP/flow.done"
) &
flow_pid=$!
sw_at_exit "kill $flow_pid 2>/dev/null"
sleep 1.5
# logrotate copytruncate: copy, then empty the live file under the daemon.
cp "$L" "$L.1" && truncate -s 0 "$L"
sleep 1.5
# logrotate (create): rename, put an empty file in place, tell the daemon.
mv "$L" "$L.2" && install -m 0640 /dev/null "$L"
kill -HUP "$SW_GATE_PID"
n=0
while [ ! -e "$SW_TMP/flow.done" ] && [ "$n" -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
check "the statement flow finished" test -e "$SW_TMP/flow.done"
fails=$(grep -c failed "$SW_TMP/flow.err" 2>/dev/null)
assert_eq "every statement of the flow ran" 0 "${fails:-0}"
sql agent_test "SELECT 'after-rotations'"
assert_eq "the gate still answers after the rotations" "0:after-rotations" "$SQL_RC:$SQL_OUT"
sleep 1.5
check "the daemon is alive" kill -0 "$SW_GATE_PID"
assert_eq "the emptied file starts with a copytruncate continuation" "continuation copytruncate" "$(first_record "$L.2")"
assert_eq "the new file starts with a continuation of the moved one" "continuation moved" "$(first_record "$L")"
for f in "$L.1" "$L.2" "$L"; do
	"$SQLWARD" verify --ledger "$f" >"$SW_TMP/v.out" 2>&1
	assert_rc "$(basename "$f") verifies on its own" 0 $?
done
"$SQLWARD" verify "$L.2" "$L" >"$SW_TMP/v.out" 2>&1
assert_rc "the moved file and the new one form one chain (mv loses nothing)" 0 $?
"$SQLWARD" verify "$L.1" "$L.2" "$L" >"$SW_TMP/v.out" 2>&1; rc=$?
missing=0
if [ "$rc" -eq 0 ]; then
	ok "the copy, the emptied file and the new one form one chain"
elif grep -q "a copytruncate rotation loses what is written between its copy and its truncate" "$SW_TMP/v.out"; then
	# A record written between cp and truncate is in neither file: verify must say exactly that.
	range=$(sed -n 's/.*records \([0-9]*\) to \([0-9]*\) are missing.*/\1 \2/p' "$SW_TMP/v.out")
	missing=$(( ${range#* } - ${range% *} + 1 ))
	ok "the copytruncate race lost records $range and verify names them"
else
	not_ok "the rotated files link into one chain" "$(cat "$SW_TMP/v.out")"
fi
flows=$(records "$L.1" "$L.2" "$L" | python3 -c '
import json, re, sys
seen = set()
for line in sys.stdin:
    try: r = json.loads(line)
    except Exception: continue
    m = re.fullmatch(r"SELECT '"'"'flow-(\d+)'"'"'", r.get("statement", "") or "")
    if r.get("type") == "statement" and m: seen.add(int(m.group(1)))
print(len(seen))')
check "every flow statement is recorded in one of the files (but for a reported copytruncate loss)" \
	test "$flows" -ge $((FLOW_N - missing))
check "the statement after the rotations is in the new file" \
	grep -q "SELECT 'after-rotations'" "$L"
gate_stop_check "daemon stops cleanly after the rotations"

# ---- a full file system ------------------------------------------------------------------
MNT=$SW_TMP/small
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$MNT"; then
	not_ok "full file system" "cannot mount a tmpfs here"
	gate_log_on_failure
	finish
	exit $?
fi
sw_at_exit "gate_stop; umount -l '$MNT' 2>/dev/null"
SW_LEDGER=$MNT/ledger.jsonl
gate_start "$POLICY"
sql agent_test "SELECT 'before-full'"
assert_eq "a statement before the disk fills" "0:before-full" "$SQL_RC:$SQL_OUT"
sleep 1.5
dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1
# The ledger file's last, partly used tmpfs page still takes a few records: use it up with
# ungoverned reads (observed records), so that the daemon's writes fail from here on.
for i in $(seq 1 40); do sql analyst "SELECT $i"; done
sleep 1.5
size_before=$(stat -c %s "$SW_LEDGER")
sum_before=$(sha256sum <"$SW_LEDGER")
# Statements while nothing can be written: in the background (the daemon may hold them).
sql_bg agent_test "SELECT 'during-full'"
h_small=$SQL_BG
big2="SELECT count(*) FROM app.transactions /* $pad */ WHERE 'full-$needle' = 'full-$needle'"
big2_sha=$(printf '%s' "$big2" | sha256sum | cut -d' ' -f1)
sql_bg agent_test "$big2"
h_big=$SQL_BG
sleep 3
check "the daemon stays up while the ledger cannot be written" kill -0 "$SW_GATE_PID"
assert_eq "nothing already in the ledger was changed" "$sum_before" "$(head -c "$size_before" "$SW_LEDGER" | sha256sum)"
"$SQLWARD" verify --ledger "$SW_LEDGER" >"$SW_TMP/v.out" 2>&1
rc=$?
assert_rc "the ledger verifies while the disk is full" 0 "$rc"
[ "$rc" -eq 0 ] || diag "verify: $(tail -n 5 "$SW_TMP/v.out"); head: $(cat "$SW_LEDGER.head" 2>&1 | head -c 400); tail: $(tail -c 300 "$SW_LEDGER")"
# A governed statement waits (held) while its record cannot be written.
if bg_done "$h_small"; then
	not_ok "a governed statement is held while the ledger cannot be written" \
		"it ran while its record could not be written"
	held_while_full=0
else
	ok "a governed statement is held while the ledger cannot be written"
	held_while_full=1
fi
rm -f "$MNT/filler"
sql_wait "$h_small" 30
assert_eq "once space returns the statement has its answer" "0:during-full" "$SQL_RC:$SQL_OUT"
sql_wait "$h_big" 30
assert_eq "and so has the long one" "0:200" "$SQL_RC:$SQL_OUT"
sql agent_test "SELECT 'after-full'"
sleep 1.5
assert_eq "the bytes from before are untouched at the start of the file" "$sum_before" \
	"$(head -c "$size_before" "$SW_LEDGER" | sha256sum)"
check "the statement decided while the disk was full is recorded" grep -q "SELECT 'during-full'" "$SW_LEDGER"
check "the statement after space returned is recorded" grep -q "SELECT 'after-full'" "$SW_LEDGER"
seq2=$(seq_of_sha "$big2_sha" "$SW_LEDGER")
check "the long statement decided while the disk was full is recorded" test -n "$seq2"
if [ -n "$(field_of_seq "$seq2" statement_blob "$SW_LEDGER")" ]; then
	got=$("$SQLWARD" log --ledger "$SW_LEDGER" --full-text "$seq2" --format raw | sha256sum | cut -d' ' -f1)
	assert_eq "its full text was kept after all" "$big2_sha" "$got"
else
	assert_contains "its record says why its full text could not be kept" \
		"$(field_of_seq "$seq2" statement_blob_error "$SW_LEDGER")" "No space left on device"
fi
"$SQLWARD" verify --ledger "$SW_LEDGER" >"$SW_TMP/v.out" 2>&1
assert_rc "the ledger verifies after the disk was full" 0 $?
# A gap record appears only for records that were lost. ledger.c keeps what waits and
# writes it later, so only the daemon's own synced records that failed can be lost
# (counted with sw_ledger_note_lost).
gap=$(records "$SW_LEDGER" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("type") == "gap": print(r["lost"], json.dumps(r.get("kinds")), r.get("error", "")); break')
if [ -n "$gap" ]; then
	check "the gap record counts what was lost ($gap)" test "${gap%% *}" -ge 1
	assert_contains "verify reports the gap" "$(cat "$SW_TMP/v.out")" "gap:"
elif [ "$held_while_full" = 1 ]; then
	ok "nothing was lost while the disk was full (no gap record needed)"
else
	not_ok "a gap record counts the daemon records that could not be written" \
		"no gap record, although a governed statement was not held while the disk was full"
fi
gate_stop_check "daemon stops cleanly after the full disk"
umount -l "$MNT" 2>/dev/null

gate_log_on_failure
finish
