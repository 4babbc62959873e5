#!/usr/bin/env bash
# Run every cmocka unit test binary given; sum their cases into one
# "N passed, N failed" line. A binary that crashes or exits non-zero
# without a cmocka summary counts as one failure.
#   SW_UNIT_JOBS=N   run N binaries at a time (default 2; 1: one after another). Each binary's
#                    output is printed whole when it ends, in the order given.
set -u
cd "$(dirname "$0")/.."
jobs=${SW_UNIT_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "unit: SW_UNIT_JOBS must be a number >= 1, not '$jobs'" >&2; exit 2 ;; esac
out_dir=$(mktemp -d /tmp/sqlward-unit.XXXXXX) || { echo "unit: mktemp failed" >&2; exit 2; }
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$out_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tests=()
for t in "$@"; do
  # The build writes dependency files (.d) beside the test binaries.
  case $t in *.d) continue ;; esac
  tests+=("$t")
done

# One binary: its output in $out_dir/I.out, its exit status in $out_dir/I.rc.
run_one() {
  SQLWARD_TOP="$PWD" "$1" >"$out_dir/$2.out" 2>&1
  echo $? >"$out_dir/$2.rc.tmp" && mv "$out_dir/$2.rc.tmp" "$out_dir/$2.rc"
}

pass=0; fail=0; next=0
report() {  # I: print binary I's output and count it
  local t=${tests[$1]} out rc p f
  out=$(cat "$out_dir/$1.out"); rc=$(cat "$out_dir/$1.rc")
  echo "== unit: $(basename "$t")"
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' | tail -n1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p' | tail -n1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAILED: $t exited $rc"; fi
  pass=$((pass + p)); fail=$((fail + f))
}
for ((i = 0; i < ${#tests[@]}; i++)); do
  while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_one "${tests[i]}" "$i" &
  # Print, in order, every binary that has ended.
  while [ "$next" -lt "$i" ] && [ -f "$out_dir/$next.rc" ]; do report "$next"; next=$((next + 1)); done
done
wait
while [ "$next" -lt "${#tests[@]}" ]; do report "$next"; next=$((next + 1)); done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
