# shellcheck shell=bash
# Tiny TAP-ish assertions for sqlward's shell tests.
#
#   ok NAME                       record a pass
#   not_ok NAME [DETAIL...]       record a failure (DETAIL printed as "# ..." lines)
#   check NAME CMD [ARGS...]      pass when CMD succeeds
#   assert_eq NAME EXPECTED ACTUAL
#   assert_ne NAME UNEXPECTED ACTUAL
#   assert_contains NAME HAYSTACK NEEDLE
#   assert_not_contains NAME HAYSTACK NEEDLE
#   assert_rc NAME EXPECTED_RC ACTUAL_RC
#   diag TEXT                     print a "# TEXT" comment line
#   skip NAME REASON              an assertion that cannot run here: printed as
#                                 "ok N - NAME # SKIP REASON", counted apart
#                                 (neither passed nor failed), listed by finish
#   finish                        print "N passed, N failed" alone on a line and
#                                 return non-zero if anything failed
#
# The summary line is parsed by tests/integration/run.sh and tests/run-all.sh:
# keep its format exactly.

SW_T_PASS=${SW_T_PASS:-0}
SW_T_FAIL=${SW_T_FAIL:-0}
SW_T_NUM=${SW_T_NUM:-0}
SW_T_FAILED_NAMES=()
SW_T_SKIPPED_NAMES=()

diag() {
	local line
	while IFS= read -r line; do printf '# %s\n' "$line"; done <<<"$*"
}

ok() {
	SW_T_NUM=$((SW_T_NUM + 1)); SW_T_PASS=$((SW_T_PASS + 1))
	printf 'ok %d - %s\n' "$SW_T_NUM" "$1"
}

not_ok() {
	local name=$1; shift
	SW_T_NUM=$((SW_T_NUM + 1)); SW_T_FAIL=$((SW_T_FAIL + 1))
	SW_T_FAILED_NAMES+=("$name")
	printf 'not ok %d - %s\n' "$SW_T_NUM" "$name"
	local d
	for d in "$@"; do
		# Keep failure output readable: at most 40 lines per detail.
		diag "$(printf '%s' "$d" | head -n 40)"
	done
	return 0
}

skip() {
	SW_T_NUM=$((SW_T_NUM + 1))
	SW_T_SKIPPED_NAMES+=("$1")
	printf 'ok %d - %s # SKIP %s\n' "$SW_T_NUM" "$1" "$2"
}

check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "command failed: $*"; fi
}

assert_eq() {
	if [ "$2" == "$3" ]; then ok "$1"
	else not_ok "$1" "expected: $2" "     got: $3"; fi
}

assert_ne() {
	if [ "$2" != "$3" ]; then ok "$1"
	else not_ok "$1" "expected anything but: $2"; fi
}

assert_contains() {
	if [[ "$2" == *"$3"* ]]; then ok "$1"
	else not_ok "$1" "expected to contain: $3" "in: $2"; fi
}

assert_not_contains() {
	if [[ "$2" != *"$3"* ]]; then ok "$1"
	else not_ok "$1" "expected NOT to contain: $3" "in: $2"; fi
}

assert_rc() {
	if [ "$2" -eq "$3" ] 2>/dev/null; then ok "$1"
	else not_ok "$1" "expected exit status $2, got $3"; fi
}

# Print the summary line and return 0 only when nothing failed.
finish() {
	local n
	for n in "${SW_T_FAILED_NAMES[@]}"; do diag "FAILED: $n"; done
	for n in "${SW_T_SKIPPED_NAMES[@]}"; do diag "SKIPPED: $n"; done
	echo "$SW_T_PASS passed, $SW_T_FAIL failed"
	[ "$SW_T_FAIL" -eq 0 ]
}
