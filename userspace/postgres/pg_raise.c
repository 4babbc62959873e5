/* Raising a cancel in a backend stopped at a function's entry (see pg_raise.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "pg_backend.h"
#include "pg_raise.h"

/* How far past a watched entry a stop lands (the first instruction, single-stepped by the uprobe). */
#define ENTRY_SLACK 16
#define RED_ZONE 128

/* Is pc at the entry of a checkpoint where raising is clean (nothing done yet): where function
 * calls are prepared, or where a utility statement starts? */
static bool at_watched_entry(const struct sw_pg_layout *L, pid_t pid, uint64_t pc)
{
	static const int fns[] = { SW_FN_FMGR_LOOKUP, SW_FN_PROCESS_UTILITY };

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		uint64_t at = L->bpf.fn[fns[i]] ? sw_pg_layout_addr(L, pid, L->bpf.fn[fns[i]]) : 0;
		if (at && pc >= at && pc <= at + ENTRY_SLACK)
			return true;
	}
	return false;
}

bool sw_pg_raise_cancel(pid_t pid, const struct sw_pg_layout *L, char *why, size_t len)
{
	uint64_t pi = sw_pg_layout_addr(L, pid, L->process_interrupts);
	uint64_t ip = sw_pg_layout_addr(L, pid, L->interrupt_pending);
	uint64_t qc = sw_pg_layout_addr(L, pid, L->query_cancel_pending);
	uint64_t counters[3] = { sw_pg_layout_addr(L, pid, L->interrupt_holdoff),
				 sw_pg_layout_addr(L, pid, L->cancel_holdoff), sw_pg_layout_addr(L, pid, L->crit_section) };
	struct user_regs_struct r;
	int32_t one = 1;
	uint64_t nsp;
	bool ok = false;
	int st;

	if (!pi || !ip || !qc) {
		snprintf(why, len, "ProcessInterrupts or the interrupt flags are not known for this binary");
		return false;
	}
	if (!sw_proc_wait_stopped(pid, 500)) {
		snprintf(why, len, "the backend is not stopped");
		return false;
	}
	/* ProcessInterrupts does nothing while interrupts are held off: then it would return into nowhere. */
	for (int i = 0; i < 3; i++) {
		uint32_t c = 1;
		if (!sw_proc_read(pid, counters[i], &c, sizeof(c)) || c != 0) {
			snprintf(why, len, "interrupts are held off in the backend right now");
			return false;
		}
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
		snprintf(why, len, "ptrace: %s", strerror(errno));
		return false;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0 || waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) {
		snprintf(why, len, "ptrace: cannot read the registers: %s", strerror(errno));
		goto out;
	}
	if (!at_watched_entry(L, pid, r.rip)) {
		snprintf(why, len, "the backend is not stopped where function calls are prepared or a utility "
			 "statement starts");
		goto out;
	}
	/* A call frame below the red zone, aligned as at a function's entry; the return address is never used. */
	nsp = ((r.rsp - RED_ZONE) & ~(uint64_t)15) - 8;
	if (!sw_proc_write(pid, nsp, &r.rip, sizeof(r.rip)) || !sw_proc_write(pid, qc, &one, sizeof(one)) ||
	    !sw_proc_write(pid, ip, &one, sizeof(one))) {
		snprintf(why, len, "cannot write the backend's memory: %s", strerror(errno));
		goto out;
	}
	r.rsp = nsp;
	r.rip = pi;
	r.orig_rax = (uint64_t)-1;   /* not in a system call: nothing to restart */
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) != 0) {
		snprintf(why, len, "ptrace: cannot set the registers: %s", strerror(errno));
		goto out;
	}
	ok = true;
out:
	/* Detached in group-stop: the backend stays stopped until the caller resumes it. */
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return ok;
}
