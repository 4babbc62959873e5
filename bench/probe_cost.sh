#!/usr/bin/env bash
# What sqlward's BPF programs cost inside the backend per pgbench -S transaction
# (kernel.bpf_stats_enabled run time), for an observed role (analyst) and a governed
# one (agent_test, allowed from the kernel's verdict cache), simple and prepared protocol.
#
#   SQLWARD=build-x/sqlward bench/probe_cost.sh [SECONDS]
#   PROFILE_DIR=DIR   also perf-record the whole machine per cell (DIR/ROLE-MODE.data)
#
# Counts only this run's gate (programs using its pinned .bss or ring buffer), so a
# gate another test left loaded is not mixed in. Takes the integration lock (lib_gate.sh):
# run it when no integration test runs, or it waits for them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
: "${SQLWARD:?set SQLWARD to the sqlward binary to measure (e.g. SQLWARD=\$PWD/build/sqlward)}"
[ -x "$SQLWARD" ] || { echo "probe_cost: $SQLWARD is not an executable: build it first (make BUILD=... BUILD/sqlward)" >&2; exit 2; }
export SQLWARD
SECS=${1:-5}
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh
pg_start; pg_fixtures; pg_loaddb
POLICY=$SW_TMP/policy.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
govern:
  roles: ["agent_*"]
default: deny
rules:
  - id: allow-reads
    match: { class: [read, session, transaction] }
    action: allow
YAML
gate_start "$POLICY"
ids=$(for m in "$SW_PIN_DIR"/bss-* "$SW_PIN_DIR"/ring-*; do bpftool map show pinned "$m" -j 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; done | paste -sd,)
[ -n "$ids" ] || sw_die "probe_cost: cannot read the gate's pinned maps under $SW_PIN_DIR (bpftool map show pinned)"
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sw_at_exit "sysctl -qw kernel.bpf_stats_enabled=$old_stats"
sysctl -qw kernel.bpf_stats_enabled=1
for role in analyst agent_test; do
  for mode in simple prepared; do
    # Warm the verdict cache (the first statement of each shape is decided by the daemon).
    runuser -u "$SW_CLIENT_USER" -- "$SW_PG_BINDIR/pgbench" -n -S -M $mode -c 4 -j 2 -t 20 -h "$SW_PG_HOST" \
      -p "$SW_PG_PORT" -U $role loaddb >/dev/null 2>&1
    bpftool prog show -j > "$SW_TMP/before.json"
    if [ -n "${PROFILE_DIR:-}" ]; then
      # Where the kernel's time goes meanwhile (JIT'd programs are bpf_prog_*_NAME, helpers by name).
      mkdir -p "$PROFILE_DIR"
      perf record -q -a -g -e cpu-clock -F 2999 -o "$PROFILE_DIR/$role-$mode.data" -- sleep "$SECS" >/dev/null 2>&1 &
      perf_pid=$!
    fi
    out=$(runuser -u "$SW_CLIENT_USER" -- "$SW_PG_BINDIR/pgbench" -n -S -M $mode -c 4 -j 2 -T "$SECS" -h "$SW_PG_HOST" \
      -p "$SW_PG_PORT" -U $role loaddb 2>&1) || true
    bpftool prog show -j > "$SW_TMP/after.json"
    [ -z "${perf_pid:-}" ] || wait "$perf_pid"
    tx=$(printf '%s\n' "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    python3 - "$SW_TMP/before.json" "$SW_TMP/after.json" "$tx" "$role $mode" "$ids" <<'PY'
import json, sys
b = {p["id"]: p for p in json.load(open(sys.argv[1]))}
a = json.load(open(sys.argv[2]))
tx = int(sys.argv[3] or 0)
ours = {int(i) for i in sys.argv[5].split(",") if i}
tot = 0
rows = []
for p in a:
    if not ours & set(p.get("map_ids", [])):
        continue
    q = b.get(p["id"], {})
    dn = p.get("run_cnt", 0) - q.get("run_cnt", 0)
    dt = p.get("run_time_ns", 0) - q.get("run_time_ns", 0)
    if dn > 0:
        rows.append((p["name"], dn / max(tx, 1), dt / max(dn, 1)))
        tot += dt
print(f"{sys.argv[4]}: tx={tx}  BPF ns per tx={tot / max(tx, 1):.0f}")
for n, per, ns in sorted(rows):
    print(f"   {n:24s} hits/tx={per:5.2f}  ns/hit={ns:7.0f}")
PY
  done
done
gate_stop
finish
