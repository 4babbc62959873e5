#!/usr/bin/env bash
# `sqlward run` refuses option values it cannot use before it touches anything:
# exit 2, and a message naming the option, the value and what to give instead.
# Numbers are whole numbers and nothing else ("5x" is not 5).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh   # the scratch directory and its clean-up (no server is started)

# bad OPTION VALUE EXPECTED_TEXT
bad() {
	local out rc
	out=$("$SQLWARD" run "$1" "$2" --ledger "$SW_TMP/never.jsonl" --policy "$SW_TMP/none.yaml" 2>&1 </dev/null)
	rc=$?
	assert_eq "$1 '$2' exits 2" 2 "$rc"
	assert_contains "... and says what to give" "$out" "$1 $2: $3"
}

bad --grace-ms 5x "give milliseconds"
bad --grace-ms 50 "give milliseconds"
bad --grace-ms "" "give milliseconds"
bad --grace-ms 99999999999999999999999 "give milliseconds"
bad --max-statement-bytes 12 "give a size"
bad --max-statement-bytes 16Q "give a size"
bad --max-statement-bytes 2G "give a size"
bad --postmaster-pid 12abc "give a postmaster's pid"
bad --postmaster-pid 1 "give a postmaster's pid"
bad --postmaster-pid " 77" "give a postmaster's pid"
bad --mariadb-pid -3 "give a running mariadbd's pid"
bad --mariadb-pid 4294967297 "give a running mariadbd's pid"
bad --nice 40 "give a priority"
bad --ledger-sync sometimes "give decision"
bad --checkpoint-every 0 "give a number"
bad --ledger-rotate-size lots "give a size"
bad --ledger-retain 3weeks "give a duration"

# Values it takes get past option parsing (here to the missing policy file, which it names).
out=$("$SQLWARD" run --max-statement-bytes 16M --grace-ms 2500 --pg-bin /nonexistent/postgres --ledger "$SW_TMP/never.jsonl" \
	--policy "$SW_TMP/none.yaml" 2>&1 </dev/null)
assert_contains "good values are taken (the next complaint is the missing policy)" "$out" "none.yaml"
assert_eq "nothing was written for the refused runs" "" "$(ls "$SW_TMP"/never.jsonl* 2>/dev/null)"
finish
