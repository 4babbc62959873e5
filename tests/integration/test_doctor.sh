#!/usr/bin/env bash
# `sqlward doctor` on this host: healthy (exit 0, JSON that parses, the test
# cluster's PostgreSQL binary and the test mariadbd found with version, build
# id and every probe symbol; a running daemon's pins read with their ABI and
# the daemon itself reported), then broken host states, each failing with the
# check named and its fix: bpffs unmounted (in a private mount namespace: the
# host's bpffs is never touched), a probe symbol missing (a copy of the server
# binary with its dynamic symbol renamed), a broken policy, a tampered ledger,
# Yama ptrace scope 3 (a file given through the test hook: the host's sysctl is
# not changed). Also: a missing policy is a warning with the install command,
# bad usage exits 2.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/lib/mariadb.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
# shellcheck disable=SC2119
my_start
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"
# Nothing of the host's own sqlward is read: pins, socket and locks are the test's.
DOC_PINS=/sys/fs/bpf/sqlward-doctor-$$
DOC_LEDGER=$SW_TMP/doctor-ledger.jsonl
DOC_SOCK=$SW_TMP/ctl/control.sock

# doctor [ARGS...]: run it on the test's cluster and server; sets DOC_OUT DOC_RC.
doctor() {
	DOC_OUT=$("$SQLWARD" doctor --pg-bin "$SW_PG_BIN" --mariadb-pid "$SW_MY_PID" --policy "$POLICY" \
		--ledger "$DOC_LEDGER" --pin-dir "$DOC_PINS" --socket "$DOC_SOCK" "$@" 2>"$SW_TMP/doctor.err")
	DOC_RC=$?
}

# field NAME KEY: KEY (status, detail, fix) of the first check NAME in $DOC_OUT (JSON).
field() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for c in d["checks"]:
    if c["name"] == sys.argv[1]:
        v = c[sys.argv[2]]
        print("" if v is None else v)
        break
else:
    print("<no check %s>" % sys.argv[1])' "$1" "$2" <<<"$DOC_OUT"
}

# ---- a healthy host -------------------------------------------------------------------------
doctor --format json
assert_rc "healthy host: doctor exits 0" 0 "$DOC_RC"
[ "$DOC_RC" -eq 0 ] || diag "$DOC_OUT" "$(cat "$SW_TMP/doctor.err")"
if python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert set(d) == {"checks", "summary", "ready"}, d.keys()
assert d["ready"] is True
assert set(d["summary"]) == {"ok", "warn", "fail", "skip"}
assert sum(d["summary"].values()) == len(d["checks"])
for c in d["checks"]:
    assert set(c) == {"name", "status", "detail", "fix"}, c
    assert c["status"] in ("ok", "warn", "fail", "skip"), c
    assert (c["fix"] is None) == (c["status"] in ("ok", "skip")), c
' <<<"$DOC_OUT"; then ok "healthy host: the JSON parses and has the documented shape"
else not_ok "healthy host: the JSON parses and has the documented shape" "$DOC_OUT"; fi
for name in privileges kernel kernel-btf kernel-config bpf-features bpf-programs uprobes bpffs postgres-binary \
	mariadb-binary policy; do
	assert_eq "healthy host: check $name is ok" ok "$(field "$name" status)"
done
pg_version=$("$SW_PG_BINDIR/postgres" --version | awk '{print $3}')
pg_build_id=$(readelf -n "$SW_PG_BIN" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p' | head -n1)
pg_detail=$(field postgres-binary detail)
assert_contains "the test cluster's binary is named" "$pg_detail" "$SW_PG_BIN"
assert_contains "its version is found" "$pg_detail" "PostgreSQL $pg_version"
assert_contains "its build id is found (as readelf reads it)" "$pg_detail" "build id $pg_build_id"
assert_contains "every probe symbol is present" "$pg_detail" "probe symbols present, layout verified"
my_detail=$(field mariadb-binary detail)
my_build_id=$(readelf -n "$(readlink "/proc/$SW_MY_PID/exe")" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p' | head -n1)
assert_contains "the test mariadbd is checked by pid" "$my_detail" "pid $SW_MY_PID"
assert_contains "its version is found" "$my_detail" "-MariaDB"
assert_contains "its build id is found" "$my_detail" "build id $my_build_id"
assert_eq "no ledger yet: skipped" skip "$(field ledger status)"

doctor
assert_rc "text format: exit 0" 0 "$DOC_RC"
assert_contains "text format: one aligned line per check" "$DOC_OUT" "ok    bpffs  "
assert_contains "text format: a summary line" "$DOC_OUT" "ready to deploy"

# ---- with a daemon running: its pins and ABI, the daemon reported --------------------------
gate_start "$POLICY"
sql agent_test "SELECT 1"
DOC_PINS=$SW_PIN_DIR DOC_LEDGER=$SW_LEDGER doctor --format json
assert_rc "daemon running: doctor still exits 0" 0 "$DOC_RC"
assert_eq "daemon running: pins ok" ok "$(field pins status)"
assert_contains "the daemon's gate carries our ABI" "$(field pins detail)" "bss-$SW_GATE_PID (our ABI, daemon $SW_GATE_PID running)"
assert_eq "daemon running: the ledger verifies" ok "$(field ledger status)"
assert_contains "daemon running: the ledger's records are counted" "$(field ledger detail)" "records verify"
if [ -z "${SQLWARD_LOCK_DIR:-}" ]; then
	assert_eq "daemon running: another daemon is reported" warn "$(field other-daemon status)"
	assert_contains "it names the daemon's pid" "$(field other-daemon detail)" "pid $SW_GATE_PID holds"
	assert_contains "and what it governs" "$(field other-daemon detail)" "(the server binary $(realpath "$SW_PG_BIN"), shared)"
	assert_contains "and says what to do" "$(field other-daemon fix)" "--postmaster-pid"
fi
gate_pid=$SW_GATE_PID
gate_stop
TAMPERED=$SW_TMP/tampered.jsonl
cp "$SW_LEDGER" "$TAMPERED"
TRUNCATED=$SW_TMP/truncated.jsonl
cp "$SW_LEDGER" "$TRUNCATED"
cp "$SW_LEDGER.head" "$TRUNCATED.head" 2>/dev/null

# ---- a pinned gate of another build (its ABI number rewritten, as in test_gate_abi.sh) --------
OUR_ABI=$(sed -n 's/^#define SW_ABI_VERSION \([0-9]*\).*/\1/p' bpf/sqlward.h)
# set_pinned_abi PIN NUMBER: write NUMBER into sw_abi_version of the pinned .bss map PIN.
set_pinned_abi() {
	local pin=$1 abi=$2 off
	off=$(bpftool btf dump map pinned "$pin" value | sed -n "s/.* offset=\([0-9]*\) size=4 (VAR 'sw_abi_version')/\1/p")
	[ -n "$off" ] || return 1
	bpftool -j map lookup pinned "$pin" key 0 0 0 0 | python3 -c '
import json, struct, sys
off, abi = int(sys.argv[1]), int(sys.argv[2])
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
v[off:off + 4] = list(struct.pack("<I", abi))
print(" ".join(str(b) for b in v))' "$off" "$abi" >"$SW_TMP/bss.value" || return 1
	# shellcheck disable=SC2046
	bpftool map update pinned "$pin" key 0 0 0 0 value $(cat "$SW_TMP/bss.value")
}
bss_pin=$SW_PIN_DIR/bss-$gate_pid
if set_pinned_abi "$bss_pin" $((OUR_ABI + 1)); then
	DOC_PINS=$SW_PIN_DIR doctor --format json
	assert_rc "another build's pinned gate: doctor exits 0 (a warning)" 0 "$DOC_RC"
	assert_eq "another build's pinned gate: check pins warns" warn "$(field pins status)"
	assert_contains "it is named, with its daemon gone" "$(field pins detail)" \
		"bss-$gate_pid (another build's ABI, daemon $gate_pid gone)"
	assert_contains "the fix names sqlward detach" "$(field pins fix)" "sqlward detach $SW_PIN_DIR"
else
	not_ok "the stopped daemon's pinned .bss gets another ABI number" "no $bss_pin, or bpftool failed"
fi

# ---- bpffs not mounted (a private mount namespace; the host's bpffs stays) -----------------
DOC_OUT=$(unshare -m --propagation private sh -c 'umount -l /sys/fs/bpf && exec "$@"' sh \
	"$SQLWARD" doctor --pg-bin "$SW_PG_BIN" --mariadb-pid "$SW_MY_PID" --policy "$POLICY" --ledger "$DOC_LEDGER" \
	--pin-dir /sys/fs/bpf/sqlward --socket "$DOC_SOCK" --format json 2>"$SW_TMP/doctor.err")
DOC_RC=$?
assert_rc "bpffs unmounted: doctor exits 1" 1 "$DOC_RC"
assert_eq "bpffs unmounted: check bpffs fails" fail "$(field bpffs status)"
assert_eq "bpffs unmounted: the fix mounts it" "mount -t bpf bpf /sys/fs/bpf (to keep it across reboots, add to /etc/fstab: bpf /sys/fs/bpf bpf defaults 0 0)" "$(field bpffs fix)"
check "the host's bpffs is still mounted" mountpoint -q /sys/fs/bpf

# ---- a probe symbol missing: a copy of the server binary with pg_parse_query renamed --------
BROKEN_BIN=$SW_TMP/postgres-broken
cp "$SW_PG_BIN" "$BROKEN_BIN"
if python3 - "$BROKEN_BIN" <<-'EOF'
	import struct, sys
	path = sys.argv[1]
	b = bytearray(open(path, "rb").read())
	# ELF64 section headers: find .dynstr (where pg_layout.c reads dynamic symbol names).
	shoff, = struct.unpack_from("<Q", b, 0x28)
	shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3a)
	def sh(i):
	    return struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize)
	names_off = sh(shstrndx)[4]
	for i in range(shnum):
	    s = sh(i)
	    name = bytes(b[names_off + s[0]:b.index(0, names_off + s[0])])
	    if name == b".dynstr":
	        start, size = s[4], s[5]
	        at = b.find(b"\0pg_parse_query\0", start, start + size)
	        assert at >= 0, "pg_parse_query not in .dynstr"
	        b[at + 1:at + 15] = b"pg_parse_querX"
	        open(path, "wb").write(b)
	        sys.exit(0)
	sys.exit("no .dynstr")
EOF
then ok "a copy of the binary without pg_parse_query is made"
else not_ok "a copy of the binary without pg_parse_query is made"; fi
DOC_OUT=$("$SQLWARD" doctor --pg-bin "$BROKEN_BIN" --mariadb-pid "$SW_MY_PID" --policy "$POLICY" \
	--ledger "$DOC_LEDGER" --pin-dir "$DOC_PINS" --socket "$DOC_SOCK" --format json 2>"$SW_TMP/doctor.err")
DOC_RC=$?
assert_rc "symbol missing: doctor exits 1" 1 "$DOC_RC"
assert_eq "symbol missing: check postgres-binary fails" fail "$(field postgres-binary status)"
assert_contains "symbol missing: the symbol is named" "$(field postgres-binary detail)" "missing probe symbols: pg_parse_query;"
assert_contains "symbol missing: the version is still found" "$(field postgres-binary detail)" "PostgreSQL $pg_version"
assert_contains "symbol missing: the fix is sqlward run's own refusal" "$(field postgres-binary fix)" \
	"does not export pg_parse_query, which sqlward needs to gate it; use a server build with its dynamic symbol table intact"

# ---- a broken policy ------------------------------------------------------------------------
BAD_POLICY=$SW_TMP/bad-policy.yaml
printf 'version: 1\nrules:\n  - id: x\n    match: { class: nonsense }\n    action: deny\n' >"$BAD_POLICY"
doctor --policy "$BAD_POLICY" --format json
assert_rc "broken policy: doctor exits 1" 1 "$DOC_RC"
assert_eq "broken policy: check policy fails" fail "$(field policy status)"
assert_contains "broken policy: the loader's message names the file" "$(field policy detail)" "$BAD_POLICY:"
assert_contains "broken policy: the fix says where to look" "$(field policy fix)" "correct $BAD_POLICY"

# ---- a missing policy: a warning with the install command -----------------------------------
doctor --policy "$SW_TMP/no-such-policy.yaml" --format json
assert_rc "missing policy: doctor exits 0 (a warning)" 0 "$DOC_RC"
assert_eq "missing policy: check policy warns" warn "$(field policy status)"
assert_contains "missing policy: the fix installs the default" "$(field policy fix)" \
	"install -m 0640 policies/default.yaml $SW_TMP/no-such-policy.yaml"

# ---- a tampered ledger ----------------------------------------------------------------------
lines=$(wc -l <"$TAMPERED")
if [ "$lines" -ge 2 ]; then
	# Change one character inside the first record's "time" value: its hash no longer covers it.
	sed -i '1s/"time":"\([0-9]\)/"time":"9/' "$TAMPERED"
	doctor --ledger "$TAMPERED" --format json
	assert_rc "tampered ledger: doctor exits 1" 1 "$DOC_RC"
	assert_eq "tampered ledger: check ledger fails" fail "$(field ledger status)"
	assert_contains "tampered ledger: the bad line is named" "$(field ledger detail)" "does not verify: line 1"
	assert_contains "tampered ledger: the fix" "$(field ledger fix)" "sqlward verify --ledger $TAMPERED"
else
	not_ok "the daemon wrote a ledger to tamper with" "$lines lines in $SW_LEDGER"
fi

# ---- a ledger whose last record was deleted (its .head file says the chain went further) -----
if [ -f "$TRUNCATED.head" ]; then
	sed -i '$d' "$TRUNCATED"
	doctor --ledger "$TRUNCATED" --format json
	assert_rc "truncated ledger: doctor exits 1" 1 "$DOC_RC"
	assert_eq "truncated ledger: check ledger fails" fail "$(field ledger status)"
	assert_contains "truncated ledger: says records were deleted" "$(field ledger detail)" \
		"records were deleted from its end"
	assert_contains "truncated ledger: the fix" "$(field ledger fix)" "mv $TRUNCATED $TRUNCATED.truncated"
else
	not_ok "the daemon keeps a .head file beside its ledger" "no $SW_LEDGER.head"
fi

# ---- Yama ptrace scope 3 (test hook: the host's sysctl is not touched) ----------------------
echo 3 >"$SW_TMP/ptrace_scope"
DOC_OUT=$(SQLWARD_DOCTOR_PTRACE_SCOPE=$SW_TMP/ptrace_scope "$SQLWARD" doctor --pg-bin "$SW_PG_BIN" \
	--mariadb-pid "$SW_MY_PID" --policy "$POLICY" --ledger "$DOC_LEDGER" --pin-dir "$DOC_PINS" \
	--socket "$DOC_SOCK" 2>"$SW_TMP/doctor.err")
DOC_RC=$?
assert_rc "ptrace_scope 3: doctor exits 1" 1 "$DOC_RC"
assert_contains "ptrace_scope 3: check ptrace-scope fails (text)" "$DOC_OUT" "fail  ptrace-scope"
assert_contains "ptrace_scope 3: the fix (text)" "$DOC_OUT" \
	"ptrace-scope (fail): set kernel.yama.ptrace_scope=2 (or 1) in /etc/sysctl.d/ and reboot"
assert_contains "ptrace_scope 3: the summary says not ready" "$DOC_OUT" "NOT ready"
echo 1 >"$SW_TMP/ptrace_scope"
DOC_OUT=$(SQLWARD_DOCTOR_PTRACE_SCOPE=$SW_TMP/ptrace_scope "$SQLWARD" doctor --pg-bin "$SW_PG_BIN" \
	--mariadb-pid "$SW_MY_PID" --policy "$POLICY" --ledger "$DOC_LEDGER" --pin-dir "$DOC_PINS" \
	--socket "$DOC_SOCK" --format json 2>/dev/null)
assert_eq "ptrace_scope 1: ok" ok "$(field ptrace-scope status)"

# ---- bad usage ------------------------------------------------------------------------------
"$SQLWARD" doctor --format xml >/dev/null 2>"$SW_TMP/usage.err"
assert_rc "bad --format: exit 2" 2 $?
assert_contains "bad --format: says what is allowed" "$(cat "$SW_TMP/usage.err")" "--format takes text or json"
"$SQLWARD" doctor --mariadb-pid nope >/dev/null 2>&1
assert_rc "bad --mariadb-pid: exit 2" 2 $?

finish
