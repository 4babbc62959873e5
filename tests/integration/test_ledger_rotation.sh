#!/usr/bin/env bash
# The ledger as an operator keeps it, with the real daemon under pgbench load:
# rotation by size into gzip segments (LEDGER.seg/), the chain continuing
# across them (`verify` and `log` read them all), signed checkpoints sent to a
# second file and a webhook, retention removing the oldest segments with a
# record first; and the attacks a host admin could try, each caught by
# `verify --checkpoints`: a truncated tail (head file rewritten), a chain
# rewritten from a record on (every hash recomputed), a deleted middle
# segment, a tampered checkpoint; plus a deleted oldest segment and a damaged
# .gz caught by `verify` itself.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
pg_loaddb
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"
# A reviewer who may read the ledger (by ACL): the segments too.
printf '\naccess:\n  ledger_readers: [%s]\n' "$SW_CLIENT_USER" >>"$POLICY"
L=$SW_TMP/ledger.jsonl
SW_LEDGER=$L

# ---- keys and checkpoint sinks -----------------------------------------------------------
KEY=$SW_TMP/checkpoint.key
PUB=$SW_TMP/checkpoint.pub
"$SQLWARD" plan keygen --private "$KEY" --public "$PUB" >/dev/null 2>&1 || sw_die "plan keygen failed"
CPF=$SW_TMP/cp-mount/checkpoints.jsonl
mkdir -p "$(dirname "$CPF")"
HOOKS=$SW_TMP/hook-checkpoints.jsonl
cat >"$SW_TMP/hook.py" <<'PY'
import http.server, sys
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.strip() + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
HOOK_PORT=$(pg_free_port)
python3 "$SW_TMP/hook.py" "$HOOK_PORT" "$HOOKS" &
HOOK_PID=$!
kill_hook() { kill "$HOOK_PID" 2>/dev/null; wait "$HOOK_PID" 2>/dev/null; }
sw_at_exit kill_hook

# syslog: with no syslog daemon on the host (no /dev/log), the test listens there itself for the
# run's lifetime; with one, its journal is not read and the syslog copy is not checked.
SYSLOG_CAP=$SW_TMP/syslog.txt
SYSLOG_PID=
if [ ! -e /dev/log ]; then
	python3 - "$SYSLOG_CAP" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log"); os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
	SYSLOG_PID=$!
	stop_syslog() { kill "$SYSLOG_PID" 2>/dev/null; wait "$SYSLOG_PID" 2>/dev/null; rm -f /dev/log; }
	sw_at_exit stop_syslog
	n=0; while [ ! -S /dev/log ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
fi

# The key must be root's alone: a readable key is refused, with the fix.
chmod 0644 "$KEY"
out=$("$SQLWARD" run --ledger "$L" --checkpoint-key "$KEY" --checkpoint-to "$CPF" 2>&1); rc=$?
assert_rc "a checkpoint key readable by others is refused" 2 "$rc"
assert_contains "with the fix" "$out" "chmod 0600"
chmod 0600 "$KEY"
out=$("$SQLWARD" run --ledger "$L" --checkpoint-key "$KEY" 2>&1); rc=$?
assert_rc "a checkpoint key without a place to send checkpoints is refused" 2 "$rc"

load() {  # SECONDS: ungoverned pgbench reads (1000/s), each one an observed record
	"${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -S -c 2 -j 2 -R 1000 -T "$1" -h "$SW_PG_HOST" -p "$SW_PG_PORT" \
		-U analyst loaddb >"$SW_TMP/pgbench.log" 2>&1 || diag "pgbench: $(tail -n 3 "$SW_TMP/pgbench.log")"
}
compressed() {  # wait (20 s) until no segment waits for compression
	local n=0
	while ls "$L".seg/*.jsonl >/dev/null 2>&1 && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
}
all_records() {  # every line of every segment, then the live file
	local f
	for f in "$1".seg/*.jsonl.gz; do [ -e "$f" ] && zcat "$f"; done
	for f in "$1".seg/*.jsonl; do [ -e "$f" ] && cat "$f"; done
	cat "$1"
}

# ---- rotation under load -------------------------------------------------------------------
SW_GATE_EXTRA="--ledger-rotate-size 256K --checkpoint-key $KEY --checkpoint-to $CPF \
--checkpoint-to webhook:http://127.0.0.1:$HOOK_PORT/checkpoint --checkpoint-to syslog --checkpoint-every 300 \
--checkpoint-interval 1s"
gate_start "$POLICY"
load 8
sleep 1.5   # a last interval checkpoint
compressed
n_gz=$(ls "$L".seg/*.jsonl.gz 2>/dev/null | wc -l)
check "the live file was rotated into several gzip segments (got $n_gz)" test "$n_gz" -ge 3
first=$(ls "$L".seg/ | head -n1)
assert_eq "segment names say the seq range they hold" "00000000000000000001-" "${first:0:21}"
check "segments are gzip (gzip -t)" gzip -t "$L".seg/*.jsonl.gz
assert_eq "segments are 0640, their directory 0750" "640 750" \
	"$(stat -c %a "$L.seg/$first") $(stat -c %a "$L.seg")"
assert_eq "no uncompressed segment is left behind" "0" "$(ls "$L".seg/*.jsonl 2>/dev/null | wc -l)"
assert_eq "the live file starts with a continuation record (rotated)" "continuation rotated" \
	"$(head -n1 "$L" | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); print(r["type"], r["reason"])')"
out=$(runuser -u "$SW_CLIENT_USER" -- "$SQLWARD" verify --ledger "$L" --no-blobs 2>&1); rc=$?
assert_rc "a ledger reader (policy ledger_readers) can verify across the segments" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
gate_stop_check "the daemon stops cleanly after rotating"
check "checkpoints were appended to the second path" test -s "$CPF"
n_cp=$(wc -l <"$CPF")
n=0; while [ "$(wc -l <"$HOOKS" 2>/dev/null || echo 0)" -lt "$n_cp" ] && [ "$n" -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "every checkpoint also reached the webhook" "$n_cp" "$(wc -l <"$HOOKS" 2>/dev/null)"
check "the ledger records its checkpoints" ledger_match type=checkpoint

out=$("$SQLWARD" verify --ledger "$L" 2>&1); rc=$?
assert_rc "verify passes across the segments and the live file" 0 "$rc"
assert_contains "and says each file continues the one before" "$out" "each file continues the one before it"
out=$("$SQLWARD" verify --ledger "$L" --checkpoints "$CPF" --checkpoint-pubkey "$PUB" 2>&1); rc=$?
assert_rc "verify --checkpoints passes on the clean ledger" 0 "$rc"
assert_contains "every checkpoint proved" "$out" "$n_cp proved against the ledger"
out=$("$SQLWARD" verify --ledger "$L" --checkpoints "$HOOKS" --checkpoint-pubkey "$PUB" 2>&1); rc=$?
assert_rc "the webhook's copy of the checkpoints proves it too" 0 "$rc"
if [ -n "$SYSLOG_PID" ]; then
	# "<PRI>TIMESTAMP sqlward[PID]: ledger checkpoint {...}": LOG_AUTHPRIV (10) | LOG_NOTICE (5) = 85.
	grep -o 'ledger checkpoint {.*}' "$SYSLOG_CAP" | sed 's/^ledger checkpoint //' >"$SW_TMP/syslog-checkpoints.jsonl"
	assert_eq "every checkpoint also went to syslog" "$n_cp" "$(wc -l <"$SW_TMP/syslog-checkpoints.jsonl")"
	# (/dev/log is the host's while this runs: other processes' messages may be in the capture too)
	assert_eq "as authpriv.notice" "$n_cp" "$(grep -c '^<85>.* sqlward\[[0-9]*\]: ledger checkpoint {' "$SYSLOG_CAP")"
	out=$("$SQLWARD" verify --ledger "$L" --checkpoints "$SW_TMP/syslog-checkpoints.jsonl" --checkpoint-pubkey "$PUB" 2>&1); rc=$?
	assert_rc "syslog's copy of the checkpoints proves it too" 0 "$rc"
else
	skip "syslog copy of the checkpoints" "this host runs a syslog daemon (/dev/log); its journal is not read"
fi
json=$("$SQLWARD" verify --ledger "$L" --format json --checkpoints "$CPF" --checkpoint-pubkey "$PUB" 2>&1)
assert_eq "verify's JSON says ok, with the segments and checkpoints" "True $n_gz True" \
	"$(printf '%s' "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["ok"], r["segments"], r["checkpoints"]["ok"])' 2>&1)"
total=$(all_records "$L" | wc -l)
logged=$("$SQLWARD" log --ledger "$L" --format json --type all 2>/dev/null | wc -l)
assert_eq "sqlward log reads every record across the segments" "$total" "$logged"
assert_eq "the records are seq 1..N without a hole" "$total" \
	"$(all_records "$L" | python3 -c 'import json,sys; s=[json.loads(l)["seq"] for l in sys.stdin]; print(len(s) if s == list(range(1, len(s)+1)) else "hole")')"

# ---- attacks, each on a copy ---------------------------------------------------------------
copy() { rm -rf "$SW_TMP/atk"; mkdir "$SW_TMP/atk"; cp -a "$L" "$L.head" "$L.seg" "$SW_TMP/atk/"; A=$SW_TMP/atk/ledger.jsonl; }
verify_cp() { "$SQLWARD" verify --ledger "$A" --no-blobs --checkpoints "${CP:-$CPF}" --checkpoint-pubkey "$PUB" 2>&1; }

# Truncated tail, head file rewritten to match: the chain alone still verifies.
copy
python3 - "$A" <<'PY'
import json, sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
keep = lines[:-3]
open(p, "w").writelines(keep)
r = json.loads(keep[-1])
open(p + ".head", "w").write(json.dumps({"seq": r["seq"], "head": r["hash"]}) + "\n")
PY
"$SQLWARD" verify --ledger "$A" --no-blobs >/dev/null 2>&1; rc=$?
assert_rc "a truncated tail with its head file rewritten passes the chain check alone" 0 "$rc"
out=$(verify_cp); rc=$?
assert_rc "verify --checkpoints catches the truncated tail" 1 "$rc"
assert_contains "and says records were removed from its end" "$out" "truncated"

# The chain rewritten from a record on, every hash after it recomputed.
copy
python3 - "$A" <<'PY'
import hashlib, json, sys
p = sys.argv[1]
lines = open(p).read().splitlines()
prev = None
out = []
for i, l in enumerate(lines):
    if i == 3:  # an early record of the live file: change what it says
        r = json.loads(l)
        l = l.replace('"type":"%s"' % r["type"], '"type":"%s","forged":true' % r["type"], 1)
    if prev is not None and i >= 3:
        body = l[:l.rindex(',"prev":')]
        l = body + ',"prev":"%s"}' % prev
        l = l[:-1] + ',"hash":"%s"}' % hashlib.sha256((l[:-1] + "}").encode()).hexdigest()
    r = json.loads(l)
    prev = r["hash"]
    out.append(l)
open(p, "w").write("\n".join(out) + "\n")
open(p + ".head", "w").write(json.dumps({"seq": r["seq"], "head": r["hash"]}) + "\n")
PY
"$SQLWARD" verify --ledger "$A" --no-blobs >/dev/null 2>&1; rc=$?
assert_rc "a chain rewritten with every hash recomputed passes the chain check alone" 0 "$rc"
out=$(verify_cp); rc=$?
assert_rc "verify --checkpoints catches the rewritten chain" 1 "$rc"
assert_contains "and names it" "$out" "the chain was rewritten"

# A deleted segment in the middle.
copy
mid=$(ls "$A".seg/*.jsonl.gz | sed -n 2p)
range=$(basename "$mid" .jsonl.gz)
rm -f "$mid"
out=$("$SQLWARD" verify --ledger "$A" --no-blobs 2>&1); rc=$?
assert_rc "verify fails when a middle segment is deleted" 1 "$rc"
assert_contains "and names the records missing" "$out" "records $((10#${range%-*})) to $((10#${range#*-}))"
out=$(verify_cp); rc=$?
assert_rc "verify --checkpoints fails too" 1 "$rc"

# The oldest segment deleted without a retention record.
copy
rm -f "$(ls "$A".seg/*.jsonl.gz | head -n1)"
out=$("$SQLWARD" verify --ledger "$A" --no-blobs 2>&1); rc=$?
assert_rc "verify fails when the oldest segment is deleted outside retention" 1 "$rc"
assert_contains "and says no record accounts for it" "$out" "no segments_removed record accounts for them"

# A damaged .gz.
copy
seg=$(ls "$A".seg/*.jsonl.gz | sed -n 2p)
size=$(stat -c %s "$seg")
printf 'garbage-garbage-garbage' | dd of="$seg" bs=1 seek=$((size / 2)) conv=notrunc status=none
out=$("$SQLWARD" verify --ledger "$A" --no-blobs 2>&1); rc=$?
assert_rc "verify fails on a damaged segment" 1 "$rc"
assert_contains "and names the file" "$out" "$(basename "$seg")"

# A tampered checkpoint.
copy
CP=$SW_TMP/tampered.jsonl
python3 - "$CPF" "$CP" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
r = json.loads(lines[0]); r["seq"] = r["seq"] + 1
lines[0] = json.dumps(r, separators=(",", ":"))
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
out=$(verify_cp); rc=$?
assert_rc "verify --checkpoints fails on a tampered checkpoint" 1 "$rc"
assert_contains "and says its signature does not verify" "$out" "does not verify with the public key"
CP=

# ---- retention ------------------------------------------------------------------------------
oldest_before=$(ls "$L".seg/ | head -n1)
SW_GATE_EXTRA="--ledger-rotate-size 256K --ledger-retain-bytes 400K --checkpoint-key $KEY --checkpoint-to $CPF \
--checkpoint-every 300 --checkpoint-interval 1s"
gate_start "$POLICY"
load 6
compressed
sleep 1.5   # retention's once-a-second pass over the last compressed segment
gate_stop_check "the daemon stops cleanly after retention"
oldest_after=$(ls "$L".seg/ | head -n1)
check "retention removed the oldest segments ($oldest_before -> $oldest_after)" test "$oldest_before" != "$oldest_after"
check "a segments_removed record says so" ledger_match type=daemon event=segments_removed
used=$(( $(cat "$L".seg/* "$L" | wc -c) ))
check "segments and live file stay near --ledger-retain-bytes (got $used bytes)" test "$used" -le $((400 * 1024 + 200 * 1024))
out=$("$SQLWARD" verify --ledger "$L" 2>&1); rc=$?
assert_rc "verify passes after retention" 0 "$rc"
assert_contains "and reports what retention removed" "$out" "removed by retention"
out=$("$SQLWARD" verify --ledger "$L" --checkpoints "$CPF" --checkpoint-pubkey "$PUB" 2>&1); rc=$?
assert_rc "verify --checkpoints passes after retention (checkpoints in removed segments accepted)" 0 "$rc"
assert_contains "and counts them" "$out" "in removed segments"

gate_log_on_failure
finish
