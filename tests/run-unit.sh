#!/usr/bin/env bash
# Run every cmocka unit test binary given; sum their cases into one
# "N passed, N failed" line. A binary that crashes or exits non-zero
# without a cmocka summary counts as one failure.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0
for t in "$@"; do
  # The build writes dependency files (.d) beside the test binaries.
  case $t in *.d) continue ;; esac
  echo "== unit: $(basename "$t")"
  out=$(SQLWARD_TOP="$PWD" "$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' | tail -n1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p' | tail -n1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAILED: $t exited $rc"; fi
  pass=$((pass + p)); fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
