# shellcheck shell=bash
# The version matrix's scripts (test_pg_versions.sh, test_pg_versions_adversarial.sh) run once
# per PostgreSQL major, each major in a process of its own (its own cluster, daemon, scratch
# directory, ledger and pins). Source this first, with the script's arguments:
#
#   . tests/lib/pg_majors.sh "$@"
#
# Without --major (the driver): fetches the builds (scripts/fetch-postgres.sh), runs
# `bash SCRIPT --major MAJOR DIR` for each, prints the time each took, sums their
# "N passed, N failed" lines and exits as finish does. The majors: SW_PG_MAJORS when set, else
# PG_MAJORS_DEFAULT (set before sourcing), else every major of tests/pg-versions/versions.txt.
# With --major MAJOR DIR (one major): sets MAJOR, SW_PG_BINDIR and SW_PG_BIN to that build,
# sources assert.sh, pg.sh and lib_gate.sh, and returns to the script.
# Either way lib_gate.sh takes the integration lock (the driver's children inherit it).

if [ "${1:-}" = --major ]; then
	# shellcheck disable=SC2034  # the sourcing script's
	MAJOR=$2
	export SW_PG_BINDIR=$3/bin
	export SW_PG_BIN=$3/bin/postgres
	unset SW_TMP SW_LEDGER SW_PIN_DIR   # this major's own scratch directory, ledger and pins
	. tests/lib/assert.sh
	. tests/lib/pg.sh
	. tests/integration/lib_gate.sh
	return 0
fi

. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh
_pgm_script=$0
# shellcheck disable=SC2086  # a list of majors
_pgm_cache=$(scripts/fetch-postgres.sh ${SW_PG_MAJORS:-${PG_MAJORS_DEFAULT:-}}) || {
	echo "FATAL: scripts/fetch-postgres.sh failed: the version matrix needs its PostgreSQL builds" >&2
	exit 1
}
_pgm_times=""
while read -r _pgm_major _pgm_dir; do
	[ -n "$_pgm_major" ] || continue
	_pgm_t0=$(date +%s)
	SW_T_NUM=$SW_T_NUM bash "$_pgm_script" --major "$_pgm_major" "$_pgm_dir" 2>&1 | tee "$SW_TMP/major-$_pgm_major.log"
	_pgm_rc=${PIPESTATUS[0]}
	_pgm_times="$_pgm_times $_pgm_major:$(($(date +%s) - _pgm_t0))s"
	_pgm_sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$SW_TMP/major-$_pgm_major.log" | tail -n1)
	if [ -z "$_pgm_sum" ]; then
		not_ok "PostgreSQL $_pgm_major: the version's run ended without a summary (rc $_pgm_rc)"
		continue
	fi
	_pgm_p=${_pgm_sum%% passed*}; _pgm_f=${_pgm_sum#*, }; _pgm_f=${_pgm_f%% failed}
	SW_T_PASS=$((SW_T_PASS + _pgm_p)); SW_T_FAIL=$((SW_T_FAIL + _pgm_f)); SW_T_NUM=$((SW_T_NUM + _pgm_p + _pgm_f))
	[ "$_pgm_f" -eq 0 ] || SW_T_FAILED_NAMES+=("PostgreSQL $_pgm_major: $_pgm_f failed")
done <<<"$_pgm_cache"
diag "time per major:$_pgm_times"
finish
exit $?
