#!/usr/bin/env bash
# What one uprobe hit costs on this machine, before any BPF program runs: a
# loop calls a function 200,000 times with and without a uprobe (a tracefs
# probe event made by `perf probe`) on it. Three kinds of probe site:
# - an entry whose first instruction the kernel emulates (push %rbp: PostgreSQL's
#   and MariaDB's probed functions mostly start so);
# - an entry whose first instruction must be single-stepped out of line (a
#   RIP-relative mov, as PostgreSQL 15's ProcessUtility starts): two traps;
# - a return probe (uretprobe), as MariaDB's completion uses.
# Usage: bench/uprobe_cost.sh   (root; needs gcc and perf)
set -euo pipefail
command -v perf >/dev/null || { echo "uprobe_cost: needs perf (apt-get install linux-perf)" >&2; exit 2; }
T=$(mktemp -d)
trap 'perf probe -q -d "probe_uprobe_loop:*" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
cat >"$T/uprobe_loop.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static volatile long hook;
/* Emulated first instruction: push %rbp. */
__attribute__((noinline)) int emulated(int x)
{
	__asm__ volatile("push %%rbp\n\tpop %%rbp" ::: "memory");
	return x + 1;
}
/* Single-stepped first instruction: a RIP-relative load (ProcessUtility's hook check). */
__attribute__((noinline, naked)) int stepped(int x)
{
	__asm__ volatile("mov hook(%%rip), %%rax\n\tlea 1(%%rdi), %%eax\n\tret" ::: "memory");
}
int main(int argc, char **argv)
{
	long n = atol(argv[2]);
	int (*f)(int) = argv[1][0] == 's' ? stepped : emulated, s = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		s = f(s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1e3 + 0 * s);
	return 0;
}
C
gcc -O2 -fno-omit-frame-pointer -o "$T/uprobe_loop" "$T/uprobe_loop.c"
# The push must be the function's first instruction for the first case.
objdump -d "$T/uprobe_loop" --no-show-raw-insn | grep -A1 "<emulated>:" | tail -1 | grep -q push ||
	{ echo "uprobe_cost: the compiler did not start emulated() with push; adjust the loop" >&2; exit 1; }
N=200000
measure() {  # FUNC PROBE-SPEC LABEL
	local base with
	base=$("$T/uprobe_loop" "$1" $N)
	perf probe -q -x "$T/uprobe_loop" "$2" >/dev/null
	echo 1 >/sys/kernel/tracing/events/probe_uprobe_loop/enable
	with=$("$T/uprobe_loop" "$1" $N)
	echo 0 >/sys/kernel/tracing/events/probe_uprobe_loop/enable
	perf probe -q -d "probe_uprobe_loop:*" >/dev/null
	python3 -c "import sys; print(f'{sys.argv[1]:44s} {float(sys.argv[3]) - float(sys.argv[2]):6.2f} us per hit')" "$3" "$base" "$with"
}
echo "uprobe cost on $(uname -r), $(nproc) CPUs ($N calls each):"
measure e emulated "entry, emulated first instruction (push)"
measure s stepped "entry, single-stepped first instruction"
measure e 'emulated%return' "return probe (uretprobe) with its entry"
