#!/usr/bin/env bash
# Run the shape-normalizer differential fuzzer for SECONDS (default 60) from the
# seed corpus; print one "fuzz: N passed, N failed" line. A crash (two statements
# that share a kernel shape but not a parse tree modulo constants) leaves its
# input in build/fuzz/ for a regression test.
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
bin=build/fuzz/fuzz_shape
work=build/fuzz/corpus
mkdir -p "$work"
cp -n tests/fuzz/seeds/* "$work"/ 2>/dev/null
echo "== fuzz: fuzz_shape for ${secs}s"
if "$bin" -max_total_time="$secs" -max_len=512 -artifact_prefix=build/fuzz/ -print_final_stats=1 \
	"$work" >build/fuzz/fuzz.log 2>&1; then
	grep -E "stat::number_of_executed_units|Done" build/fuzz/fuzz.log | tail -2
	echo "fuzz: 1 passed, 0 failed"
else
	tail -n 30 build/fuzz/fuzz.log
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
