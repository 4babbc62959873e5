#!/usr/bin/env bash
# Everything `make test` runs: the cmocka unit tests, then the integration
# suite. Prints a final combined "N passed, N failed" line; exits non-zero
# on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

pass=0; fail=0
add_summary() {  # LOGFILE RC
	local s p f
	s=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n1)
	if [ -z "$s" ]; then
		fail=$((fail + 1)); return
	fi
	s=${s##*: }
	p=${s%% passed*}; f=${s#*, }; f=${f%% failed}
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then fail=$((fail + 1)); fi
}

log=$(mktemp /tmp/sqlward-all.XXXXXX)
trap 'rm -f "$log"' EXIT

shopt -s nullglob
units=(build/test/test_*)
shopt -u nullglob
times=""
t0=$(date +%s)
tests/run-unit.sh "${units[@]}" 2>&1 | tee "$log"
add_summary "$log" "${PIPESTATUS[0]}"
times="unit $(($(date +%s) - t0)) s"

t0=$(date +%s)
tests/run-fuzz.sh "${FUZZ_SECONDS:-20}" 2>&1 | tee "$log"
add_summary "$log" "${PIPESTATUS[0]}"
times="$times, fuzz $(($(date +%s) - t0)) s"

t0=$(date +%s)
tests/integration/run.sh 2>&1 | tee "$log"
add_summary "$log" "${PIPESTATUS[0]}"
times="$times, integration $(($(date +%s) - t0)) s"

# (The suite must stay well under 30 minutes on a 2-core machine: see where the time goes.)
echo "# time: $times"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
