# shellcheck shell=bash
# Start/stop the sqlward daemon under test and talk to it.
# Source after tests/lib/assert.sh and tests/lib/pg.sh.
#
#   gate_start POLICY       run "$SQLWARD run" in the background; waits for
#                           "gate ready" (30 s) or dies with its log.
#                           Sets SW_GATE_PID SW_LEDGER SW_SOCK SW_GATE_LOG.
#   gate_stop               SIGTERM, wait; sets SW_GATE_RC (also run at exit)
#   gate_stop_check NAME    gate_stop + assert a clean exit, no sanitizer report
#   pending_json            print `sqlward pending --format json`
#   wait_pending [SECS] [SUBSTR]   poll until a held statement (containing
#                           SUBSTR) appears: sets PENDING_ID PENDING_PID, or
#                           returns 1 after SECS (default 15)
#   deny_all_pending        deny everything held; prints how many
#   settle HANDLE [SECS]    wait for a background client (sql_bg/cmd_bg),
#                           denying whatever it gets held on; then sql_wait.
#                           Sets SETTLE_HELD (number of held statements denied)
#                           and SETTLE_MS (wall time, ms)
#   ledger_match [K=V|K!=V|K~SUBSTR|K=V1|V2]...   0 if any ledger record matches
#                           all conditions (polls 5 s; records may lag)
#   ledger_show [K=V...]    print matching records (for diagnostics)
#   ledger_count [K=V...]   how many statement records match now

SW_TOP=${SW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SQLWARD=${SQLWARD:-$SW_TOP/build/test/sqlward}
PQ_EXTENDED=${PQ_EXTENDED:-$SW_TOP/build/tools/pq_extended}
PQ_FASTPATH=${PQ_FASTPATH:-$SW_TOP/build/tools/pq_fastpath}
MY_CLIENT=${MY_CLIENT:-$SW_TOP/build/tools/my_client}
# Approvers and clients are other OS users: from a private checkout they run copies (tests/lib/pg.sh).
sw_reachable_binaries SQLWARD PQ_EXTENDED PQ_FASTPATH MY_CLIENT
SW_CANCEL_MSG="canceling statement due to user request"
# The daemon is the ASan/UBSan build: make every report fatal and visible.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The tests' own reads of what the daemon holds and wrote (pending_json, ledger_json) run the
# build without sanitizers beside $SQLWARD (BUILD/sqlward) when it is there and no source is newer
# than it: an ASan start costs ~0.3 s against ~0.05 s, and the suite makes thousands of these
# reads. Every command a test is about runs "$SQLWARD". SQLWARD_READER names another.
if [ -z "${SQLWARD_READER:-}" ]; then
	SQLWARD_READER=$SQLWARD
	case $SQLWARD in
	*/test/sqlward)
		if [ -x "${SQLWARD%/test/sqlward}/sqlward" ] &&
			[ -z "$(find "$SW_TOP/userspace" "$SW_TOP/bpf" -newer "${SQLWARD%/test/sqlward}/sqlward" -print -quit 2>/dev/null)" ]; then
			SQLWARD_READER=${SQLWARD%/test/sqlward}/sqlward
		fi ;;
	esac
fi

SW_GATE_PID=
SW_GATE_SEQ=0

# Every gate attaches to the one postgres binary and so sees every cluster on
# the host: integration tests must not overlap. run.sh takes this lock for the
# whole suite; a test script run on its own takes it itself.
if [ -z "${SW_IT_LOCKED:-}" ]; then
	exec 9>/run/lock/sqlward-integration.lock
	if ! flock -w 900 9; then
		echo "FATAL: another sqlward integration test holds /run/lock/sqlward-integration.lock" >&2
		exit 1
	fi
	export SW_IT_LOCKED=1
fi

gate_start() {
	local policy=$1
	[ -x "$SQLWARD" ] || sw_die "sqlward binary not found: $SQLWARD (make build/test/sqlward)"
	[ -f "$policy" ] || sw_die "policy not found: $policy"
	SW_GATE_SEQ=$((SW_GATE_SEQ + 1))
	SW_LEDGER=${SW_LEDGER:-$SW_TMP/ledger.jsonl}
	SW_SOCK=$SW_TMP/sqlward.$SW_GATE_SEQ.sock
	SW_GATE_LOG=$SW_TMP/sqlward.$SW_GATE_SEQ.log
	export SW_LEDGER SW_SOCK SW_GATE_LOG
	# Pinned probes outlive the daemon (that is the point in production): give
	# the test its own pin dir (bpffs names may not contain dots) and detach it at exit. Only this test's cluster
	# is governed (--postmaster-pid), never another server on the host.
	SW_PIN_DIR=${SW_PIN_DIR:-/sys/fs/bpf/sqlward-test-$$}
	local pm; pm=$(pg_postmaster_pid)
	[ -n "$pm" ] || sw_die "gate_start: no postmaster (call pg_start first)"
	if [ "$SW_GATE_SEQ" -eq 1 ]; then sw_at_exit gate_detach; sw_at_exit gate_stop; fi
	# SW_GATE_WRAP: a command (words) the daemon is exec'd through, e.g. into its own mount namespace.
	${SW_GATE_WRAP:-} "$SQLWARD" run --policy "$policy" --ledger "$SW_LEDGER" --socket "$SW_SOCK" \
		--pg-bin "$SW_PG_BIN" --postmaster-pid "$pm" --pin-dir "$SW_PIN_DIR" ${SW_GATE_EXTRA:-} \
		>"$SW_GATE_LOG" 2>&1 </dev/null 9>&- &
	SW_GATE_PID=$!
	local n=0
	while [ "$n" -lt 300 ]; do
		grep -q "gate ready" "$SW_GATE_LOG" 2>/dev/null && return 0
		if ! kill -0 "$SW_GATE_PID" 2>/dev/null; then
			wait "$SW_GATE_PID"; local rc=$?
			SW_GATE_PID=
			echo "---- sqlward run exited ($rc) before 'gate ready':" >&2
			cat "$SW_GATE_LOG" >&2
			sw_die "sqlward run did not start"
		fi
		sleep 0.1; n=$((n + 1))
	done
	echo "---- sqlward run log (no 'gate ready' after 30 s):" >&2
	cat "$SW_GATE_LOG" >&2
	sw_die "sqlward run did not become ready"
}

gate_stop() {
	SW_GATE_RC=0
	[ -n "$SW_GATE_PID" ] || return 0
	if kill -0 "$SW_GATE_PID" 2>/dev/null; then
		kill -TERM "$SW_GATE_PID" 2>/dev/null
		local n=0
		while kill -0 "$SW_GATE_PID" 2>/dev/null && [ "$n" -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
		if kill -0 "$SW_GATE_PID" 2>/dev/null; then
			echo "# sqlward run ignored SIGTERM for 15 s; killing it" >&2
			kill -KILL "$SW_GATE_PID" 2>/dev/null
		fi
	fi
	wait "$SW_GATE_PID" 2>/dev/null
	SW_GATE_RC=$?
	SW_GATE_PID=
}

# Remove this test's pinned probes (after gate_stop).
gate_detach() {
	[ -n "${SW_PIN_DIR:-}" ] || return 0
	"$SQLWARD" detach "$SW_PIN_DIR" >/dev/null 2>&1
	case $SW_PIN_DIR in /sys/fs/bpf/sqlward-test-*) rm -rf "$SW_PIN_DIR" 2>/dev/null ;; esac
	SW_PIN_DIR=
}

gate_stop_check() {
	local name=${1:-daemon stops cleanly on SIGTERM}
	gate_stop
	if [ "$SW_GATE_RC" -eq 0 ] && ! grep -q "Sanitizer\|runtime error:" "$SW_GATE_LOG"; then
		ok "$name"
	else
		not_ok "$name" "exit status $SW_GATE_RC" "$(tail -n 40 "$SW_GATE_LOG")"
	fi
}

# Show the daemon log tail when something failed (call before finish).
gate_log_on_failure() {
	if [ "$SW_T_FAIL" -gt 0 ] && [ -n "${SW_GATE_LOG:-}" ] && [ -f "$SW_GATE_LOG" ]; then
		diag "---- tail of $SW_GATE_LOG"
		diag "$(tail -n 60 "$SW_GATE_LOG")"
	fi
}

pending_json() { "$SQLWARD_READER" pending --socket "$SW_SOCK" --format json; }

# Print "ID PID" for each held statement containing SUBSTR (all when empty).
pending_list() {
	local substr=${1:-}
	pending_json 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for p in items or []:
    if sys.argv[1] in str(p.get("statement", "")):
        print(p.get("id"), p.get("pid"))
' "$substr"
}

wait_pending() {
	local secs=${1:-15} substr=${2:-} n=0 line
	PENDING_ID="" PENDING_PID=""
	while [ "$n" -lt $((secs * 5)) ]; do
		line=$(pending_list "$substr" | head -n1)
		if [ -n "$line" ]; then
			PENDING_ID=${line%% *}; PENDING_PID=${line#* }
			return 0
		fi
		sleep 0.2; n=$((n + 1))
	done
	return 1
}

# Print the scheduler state letter of a process (R, S, T, ...).
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# ledger_tmpfs NAME: the ledger (SW_LEDGER) on a 2 MB tmpfs of its own at $LED, unmounted at exit;
# ledger_fill fills that filesystem (the ledger file's last page still takes a few records).
ledger_tmpfs() {
	LED=$SW_TMP/ledfs
	mkdir -p "$LED"
	mount -t tmpfs -o size=2m,mode=0755 "sqlward-test-$1" "$LED" || sw_die "cannot mount a tmpfs for the ledger"
	sw_at_exit "umount -l '$LED' 2>/dev/null"
	SW_LEDGER=$LED/ledger.jsonl
}
ledger_fill() { dd if=/dev/zero of="$LED/filler" bs=64k count=100 >/dev/null 2>&1; sync; }

deny_all_pending() {
	local id pid n=0
	while read -r id pid; do
		[ -n "$id" ] || continue
		"$SQLWARD" deny "$id" --socket "$SW_SOCK" >/dev/null 2>&1 && n=$((n + 1))
	done < <(pending_list "")
	echo "$n"
}

settle() {
	local h=$1 secs=${2:-30} start d
	start=$(date +%s%N)
	SETTLE_HELD=0
	# Most clients are done within a few hundred ms: wait for that cheaply
	# (up to 0.6 s) before asking the daemon what it holds (slow: ASan + python).
	local n=0
	while ! bg_done "$h" && [ "$n" -lt 12 ]; do sleep 0.05; n=$((n + 1)); done
	while ! bg_done "$h"; do
		[ $(($(date +%s%N) - start)) -gt $((secs * 1000000000)) ] && break
		if [ -n "$SW_GATE_PID" ]; then
			d=$(deny_all_pending)
			SETTLE_HELD=$((SETTLE_HELD + ${d:-0}))
			# a denied client is usually done at once: look before asking again
			if [ "${d:-0}" -gt 0 ]; then
				n=0
				while ! bg_done "$h" && [ "$n" -lt 10 ]; do sleep 0.05; n=$((n + 1)); done
				continue
			fi
		fi
		sleep 0.2
	done
	sql_wait "$h" 5
	local rc=$?
	SETTLE_MS=$((($(date +%s%N) - start) / 1000000))
	return $rc
}

ledger_json() { "$SQLWARD_READER" log --ledger "$SW_LEDGER" --format json "$@"; }

# Python: records(lines) yields the ledger records of JSON lines, and after a statement record
# that carries its completion ("completion": {...}, userspace/record_completion.h) the completion
# record it stands for, as `sqlward log` shows it (type completion, statement_seq, embedded).
_ledger_records_py='
import json
def records(lines, with_lines=False):
    for line in lines:
        line = line.strip()
        if not line: continue
        try: r = json.loads(line)
        except Exception: continue
        yield (r, line) if with_lines else r
        c = r.get("completion")
        if r.get("type") == "statement" and isinstance(c, dict):
            e = {k: r[k] for k in ("seq", "hash", "engine", "pid", "role", "database", "client", "session") if k in r}
            e.update({"type": "completion", "statement_seq": r.get("seq"), "embedded": True})
            e.update(c)
            yield (e, json.dumps(e, separators=(",", ":"))) if with_lines else e
'

_ledger_py="$_ledger_records_py"'
import json, sys
conds = []
for a in sys.argv[2:]:
    if "~" in a and ("=" not in a or a.index("~") < a.index("=")):
        k, v = a.split("~", 1); conds.append((k, "~", v))
    elif "!=" in a and a.index("!=") + 1 == a.index("="):
        k, v = a.split("!=", 1); conds.append((k, "!=", v.split("|")))
    else:
        k, v = a.split("=", 1); conds.append((k, "=", v.split("|")))
def s(v):
    if isinstance(v, bool): return "true" if v else "false"
    if v is None: return "null"
    if isinstance(v, (list, dict)): return json.dumps(v)
    return str(v)
hits = []
for r, line in records(sys.stdin, True):
    good = True
    for k, op, v in conds:
        if k not in r: good = False; break
        if op == "~" and v not in s(r[k]): good = False; break
        if op == "=" and s(r[k]) not in v: good = False; break
        if op == "!=" and s(r[k]) in v: good = False; break
    if good: hits.append(line)
if sys.argv[1] == "show":
    print("\n".join(hits))
if sys.argv[1] == "count":
    print(len(hits)); sys.exit(0)
sys.exit(0 if hits else 1)
'

ledger_show() { ledger_json 2>/dev/null | python3 -c "$_ledger_py" show "$@"; }
# ledger_count [K=V|K!=V|K~SUBSTR]...: how many statement records match now (no waiting).
ledger_count() { ledger_json 2>/dev/null | python3 -c "$_ledger_py" count "$@"; }

ledger_match() {
	local n=0
	while [ "$n" -lt 25 ]; do
		ledger_json --type all 2>/dev/null | python3 -c "$_ledger_py" match "$@" && return 0
		sleep 0.2; n=$((n + 1))
	done
	return 1
}

# completion_of TEXT: the completion of the statement record whose text contains TEXT (its own
# record, or the one its statement record carries), printed as JSON; waits for it like ledger_match.
completion_of() {
	local n=0 out
	while [ "$n" -lt 40 ]; do
		out=$(ledger_json --type all 2>/dev/null | python3 -c "$_ledger_records_py"'
import json, sys
recs = list(records(sys.stdin))
seqs = {r["seq"] for r in recs if r.get("type") == "statement" and sys.argv[1] in r.get("statement", "")}
for r in recs:
    if r.get("type") == "completion" and r.get("statement_seq") in seqs:
        print(json.dumps(r)); break
' "$1")
		[ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
		sleep 0.25; n=$((n + 1))
	done
	return 1
}

# assert_ledger NAME CONDITIONS... : one assertion on the ledger; on failure
# shows the records that matched the role/statement conditions.
assert_ledger() {
	local name=$1; shift
	if ledger_match "$@"; then ok "$name"; return; fi
	local loose=() c
	for c in "$@"; do case $c in role=* | statement~*) loose+=("$c") ;; esac; done
	not_ok "$name" "no ledger record with: $*" "records for ${loose[*]}:" "$(ledger_show "${loose[@]}" | tail -n 5)"
}
