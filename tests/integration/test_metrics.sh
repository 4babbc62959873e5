#!/usr/bin/env bash
# Prometheus metrics (--metrics-listen, --metrics-textfile) against a real
# cluster: scraped with curl while pgbench runs as a governed and an
# ungoverned role, every scrape parses as exposition format 0.0.4 (a small
# parser below: HELP/TYPE before samples, names, escaped labels, values,
# histogram buckets cumulative), counters never go down between scrapes, the
# statement counter agrees with the statement records in the ledger, a held
# statement shows in holds_pending and then in the hold histogram and the
# approvals once approved, an idle scraper connection does not stall the gate,
# and the textfile is written and removed at stop.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

command -v curl >/dev/null || sw_die "curl is missing: apt-get install curl (scripts/install-deps.sh)"

pg_start
pg_fixtures
pg_loaddb

POLICY=$SW_TMP/policy.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
govern:
  roles: ["agent_*"]
default: deny
rules:
  - id: allow-reads
    match: { class: read }
    action: allow
  - id: allow-session
    match: { class: [transaction, session] }
    action: allow
  - id: hold-ddl
    match: { class: ddl }
    action: hold
YAML

# A free loopback port: bound by the kernel's choice, released, handed to the daemon.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/metrics
TEXTFILE_DIR=$SW_TMP/textfile
mkdir -p "$TEXTFILE_DIR"
TEXTFILE=$TEXTFILE_DIR/sqlward.prom
SCRAPES=$SW_TMP/scrapes
mkdir -p "$SCRAPES"

# The exposition-format parser and the checks over a series of scrapes.
cat >"$SW_TMP/prom.py" <<'PY'
import math, re, sys
NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')

def parse(text, where):
    """{(name, ((label, value), ...)): float}, {family: type}; raises ValueError saying where."""
    types, helps, samples = {}, {}, {}
    if not text.endswith("\n"):
        raise ValueError(f"{where}: does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        at = f"{where}:{n}: {line!r}"
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                raise ValueError(f"{at}: malformed {parts[1]}")
            d = helps if parts[1] == "HELP" else types
            if parts[2] in d:
                raise ValueError(f"{at}: second {parts[1]} for {parts[2]}")
            if parts[1] == "TYPE" and parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise ValueError(f"{at}: unknown type")
            d[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            raise ValueError(f"{at}: stray comment or empty line")
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            raise ValueError(f"{at}: not NAME{{LABELS}} VALUE")
        name, labels = m.group(1), []
        if m.group(2):
            body, pos = m.group(3), 0
            while pos < len(body):
                lm = LABEL.match(body, pos)
                if not lm:
                    raise ValueError(f"{at}: bad label at {body[pos:]!r}")
                labels.append((lm.group(1), lm.group(2)))
                pos = lm.end()
                if pos < len(body):
                    if body[pos] != ",":
                        raise ValueError(f"{at}: labels not comma-separated")
                    pos += 1
        value = float(m.group(4))   # raises on garbage; +Inf/NaN are valid floats
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
                family = name[:-len(suffix)]
        if family not in types or family not in helps:
            raise ValueError(f"{at}: sample before its family's HELP and TYPE")
        key = (name, tuple(labels))
        if key in samples:
            raise ValueError(f"{at}: duplicate series")
        samples[key] = value
    # histogram buckets: cumulative, +Inf equal to _count
    for fam, t in types.items():
        if t != "histogram":
            continue
        buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in samples.items() if k[0] == fam + "_bucket"))
        if not buckets or buckets[-1][0] != math.inf:
            raise ValueError(f"{where}: {fam} has no +Inf bucket")
        if any(b[1] < a[1] for a, b in zip(buckets, buckets[1:])):
            raise ValueError(f"{where}: {fam} buckets are not cumulative")
        if buckets[-1][1] != samples.get((fam + "_count", ())):
            raise ValueError(f"{where}: {fam} +Inf bucket differs from _count")
    return samples, types

def load(path):
    return parse(open(path).read(), path)

def get(samples, name, **labels):
    """Sum of the series of name whose labels include labels."""
    return sum(v for (n, ls), v in samples.items() if n == name and all(dict(ls).get(k) == w for k, w in labels.items()))

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "parse":            # FILE...: all parse
        for p in sys.argv[2:]:
            load(p)
        print("ok")
    elif cmd == "monotonic":      # FILE...: no counter (nor histogram series) goes down from one to the next
        prev = None
        for p in sys.argv[2:]:
            s, types = load(p)
            if prev:
                for (name, ls), v in prev[0].items():
                    fam = re.sub(r'_(bucket|sum|count)$', '', name) if prev[1].get(name) is None else name
                    if prev[1].get(fam) in ("counter", "histogram") and (name, ls) in s and s[(name, ls)] < v:
                        print(f"{name}{dict(ls)} went down: {v} in the scrape before {p}, {s[(name, ls)]} in it")
                        sys.exit(1)
                    if prev[1].get(fam) == "counter" and (name, ls) not in s:
                        print(f"{name}{dict(ls)} disappeared in {p}")
                        sys.exit(1)
            prev = (s, types)
        print("ok")
    elif cmd == "get":            # FILE NAME [k=v...]: the (summed) value
        s, _ = load(sys.argv[2])
        v = get(s, sys.argv[3], **dict(a.split("=", 1) for a in sys.argv[4:]))
        print(int(v) if v == int(v) else v)
PY
prom() { python3 "$SW_TMP/prom.py" "$@"; }
N=0
scrape() {  # -> path of the saved scrape in SCRAPE
	N=$((N + 1))
	SCRAPE=$SCRAPES/$(printf '%03d' "$N").prom
	curl -sf --max-time 5 "$URL" -o "$SCRAPE" || { rm -f "$SCRAPE"; return 1; }
}
# Statement records in the ledger (a decided hold's record repeats its statement: not counted).
ledger_statements() {
	python3 - "$SW_LEDGER" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)] if r.get("type") == "statement" and "hold_id" not in r))
PY
}
pgbench_bg() {  # NAME ROLE ARGS...: in the background; pid in PGB_PID
	local name=$1 role=$2; shift 2
	"${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$role" "$@" loaddb \
		>"$SW_TMP/pgbench.$name.out" 2>&1 &
	PGB_PID=$!
}
pgbench_n() { awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]}' "$SW_TMP/pgbench.$1.out"; }

# ---- off by default ------------------------------------------------------------------
gate_start "$POLICY"
curl -s --max-time 2 "$URL" >/dev/null 2>&1
assert_ne "without --metrics-listen nothing listens" 0 $?
gate_stop_check "daemon without metrics stops cleanly"
rm -f "$SW_LEDGER"

# ---- a bad address refuses the start, saying what to do -------------------------------
out=$("$SQLWARD" run --policy "$POLICY" --ledger "$SW_TMP/bad.jsonl" --socket "$SW_TMP/bad.sock" --pg-bin "$SW_PG_BIN" \
	--postmaster-pid "$(pg_postmaster_pid)" --no-pin --metrics-listen db.example:9477 2>&1)
assert_contains "a host name is refused with a fix" "$out" "not a numeric IPv4 or IPv6 address"
out=$("$SQLWARD" run --policy "$POLICY" --ledger "$SW_TMP/bad.jsonl" --socket "$SW_TMP/bad.sock" --pg-bin "$SW_PG_BIN" \
	--postmaster-pid "$(pg_postmaster_pid)" --no-pin --metrics-textfile "$SW_TMP/metrics.txt" 2>&1)
assert_contains "a textfile not named *.prom is refused with a fix" "$out" "name a file ending in .prom"

# ---- scraped while pgbench runs -------------------------------------------------------
SW_GATE_EXTRA="--metrics-listen 127.0.0.1:$PORT --metrics-textfile $TEXTFILE" gate_start "$POLICY"
SW_GATE_EXTRA=
check "the daemon says where the metrics are" grep -q "metrics at http://127.0.0.1:$PORT/metrics" "$SW_GATE_LOG"
scrape
check "the first scrape answers" test -s "$SCRAPE"
hdr=$(curl -s -D - -o /dev/null --max-time 5 "$URL")
assert_contains "Content-Type is the text format 0.0.4" "$hdr" "text/plain; version=0.0.4"
assert_contains "a 404 for any other path" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/")" 404
assert_contains "a 405 for another method" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "$URL")" 405

# The governed run is a number of transactions, not a time: on a loaded machine each governed
# session's first statements wait for the daemon, and a 4 s run may end before they are cached.
pgbench_bg governed agent_test -S -c 2 -j 2 -t 150; gov_pid=$PGB_PID
pgbench_bg observed analyst -S -c 2 -j 2 -T 4; obs_pid=$PGB_PID
failed_scrapes=0
for i in $(seq 10); do
	sleep 0.5
	scrape || failed_scrapes=$((failed_scrapes + 1))
done
wait "$gov_pid"; gov_rc=$?
wait "$obs_pid"; obs_rc=$?
assert_eq "both pgbench runs finish" "0/0" "$gov_rc/$obs_rc"
assert_eq "every scrape during the load is answered" 0 "$failed_scrapes"
gov_n=$(pgbench_n governed); obs_n=$(pgbench_n observed)
check "pgbench ran (governed $gov_n of 300, observed $obs_n transactions)" test "${gov_n:-0}" -eq 300 -a "${obs_n:-0}" -gt 100
sleep 1.5   # records of the last pass reach the file (flushed every pass, synced every second)
scrape; final=$SCRAPE
ledger_n=$(ledger_statements)

out=$(prom parse "$SCRAPES"/*.prom 2>&1)
assert_eq "every scrape parses as exposition format 0.0.4 (HELP/TYPE, labels, histogram)" ok "$out"
out=$(prom monotonic "$SCRAPES"/*.prom 2>&1)
assert_eq "no counter goes down from one scrape to the next" ok "$out"

gov=$(prom get "$final" sqlward_statements_total engine=postgresql governed=true class=read verdict=allow)
obs=$(prom get "$final" sqlward_statements_total engine=postgresql governed=false)
check "governed reads counted ($gov) >= pgbench's governed transactions ($gov_n)" test "$gov" -ge "${gov_n:-0}"
check "observed statements counted ($obs) >= pgbench's ungoverned transactions ($obs_n)" test "$obs" -ge "${obs_n:-0}"
total=$(prom get "$final" sqlward_statements_total)
lost=$(prom get "$final" sqlward_ledger_records_lost_total)
check "statements counted ($total) >= statement records in the ledger ($ledger_n)" test "$total" -ge "$ledger_n"
check "... and no more than those plus the records counted lost ($lost)" test "$total" -le $((ledger_n + lost))
hits=$(prom get "$final" sqlward_kernel_verdict_cache_hits_total)
check "the kernel's verdict cache hits are exported ($hits)" test "$hits" -gt 0
check "ring-buffer drops are exported" grep -q '^sqlward_ringbuf_drops_total{engine="postgresql"} ' "$final"
check "daemon CPU seconds > 0" python3 -c "import sys; sys.exit(not float('$(prom get "$final" process_cpu_seconds_total)') > 0)"
check "resident memory > 1 MB" test "$(prom get "$final" process_resident_memory_bytes)" -gt 1000000
check "open fds > 3" test "$(prom get "$final" process_open_fds)" -gt 3
check "start time is the daemon's (within a minute of now)" python3 -c "
import sys, time; sys.exit(not abs(float('$(prom get "$final" process_start_time_seconds)') - time.time()) < 60)"
check "ledger bytes > 0" test "$(prom get "$final" sqlward_ledger_bytes)" -gt 0
assert_eq "no checkpoint yet: last checkpoint time 0" 0 "$(prom get "$final" sqlward_ledger_last_checkpoint_timestamp_seconds)"

# ---- a held statement: pending, then in the histogram once approved ------------------
scrape; before=$SCRAPE
sql_bg agent_test "CREATE TEMP TABLE metrics_hold (x int)"
h=$SQL_BG
if wait_pending 15 "metrics_hold"; then
	scrape
	assert_eq "the held statement shows in sqlward_holds_pending" 1 "$(prom get "$SCRAPE" sqlward_holds_pending)"
	assert_eq "... and was counted with verdict hold" \
		$(($(prom get "$before" sqlward_statements_total verdict=hold class=ddl) + 1)) \
		"$(prom get "$SCRAPE" sqlward_statements_total verdict=hold class=ddl)"
	sleep 1.2   # held longer than the first bucket
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >"$SW_TMP/approve.out" 2>&1
	assert_rc "approve the held statement" 0 $?
	sql_wait "$h" 30
	assert_eq "the approved statement ran" 0 "$(cat "$h.rc")"
	scrape; after=$SCRAPE
	assert_eq "holds_pending back to 0" 0 "$(prom get "$after" sqlward_holds_pending)"
	assert_eq "one more hold in the histogram" $(($(prom get "$before" sqlward_hold_duration_seconds_count) + 1)) \
		"$(prom get "$after" sqlward_hold_duration_seconds_count)"
	assert_eq "... not in the le=1 bucket (held > 1 s)" "$(prom get "$before" sqlward_hold_duration_seconds_bucket le=1)" \
		"$(prom get "$after" sqlward_hold_duration_seconds_bucket le=1)"
	check "... its duration in _sum" python3 -c "import sys; sys.exit(not float('$(prom get "$after" sqlward_hold_duration_seconds_sum)') >= 1.2)"
	assert_eq "one more approval" $(($(prom get "$before" sqlward_hold_decisions_total decision=approved) + 1)) \
		"$(prom get "$after" sqlward_hold_decisions_total decision=approved)"
else
	not_ok "the CREATE TEMP TABLE was held" "$(pending_json 2>&1)"
fi

# ---- an idle scraper connection does not stall the gate -------------------------------
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
t0=$(date +%s%N)
sql agent_test "SELECT 1" >/dev/null
assert_eq "a governed statement is decided while a scraper connection sits idle" 0 "$SQL_RC"
check "... at once (under 2 s)" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000
scrape
check "another scraper is served meanwhile" test -s "$SCRAPE"
exec 7>&-

# ---- the textfile ------------------------------------------------------------------
sleep 5.5   # rewritten every 5 s
check "the textfile exists" test -s "$TEXTFILE"
out=$(prom parse "$TEXTFILE" 2>&1)
assert_eq "the textfile parses" ok "$out"
check "the textfile has the statement counter" grep -q '^sqlward_statements_total{' "$TEXTFILE"
check "no temporary file is left beside it" test -z "$(ls "$TEXTFILE_DIR" | grep -v '^sqlward.prom$')"

gate_stop_check
check "the textfile is removed when the daemon stops" test ! -e "$TEXTFILE"
curl -s --max-time 2 "$URL" >/dev/null 2>&1
assert_ne "the endpoint is gone with the daemon" 0 $?
gate_log_on_failure
finish
