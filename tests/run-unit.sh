#!/usr/bin/env bash
# Run every cmocka unit test binary given; print one summary line.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0
for t in "$@"; do
  echo "== unit: $(basename "$t")"
  if SQLWARD_TOP="$PWD" "$t"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAILED: $t"; fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
