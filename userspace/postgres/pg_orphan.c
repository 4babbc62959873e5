/* Refusing what a backend stopped at a probe was doing, with no record of it (see pg_orphan.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pg_backend.h"
#include "pg_orphan.h"

/* The probe fires at the entry; the stop lands after the first instruction (at most 15 bytes). */
#define ENTRY_SLACK 16

uint32_t sw_pg_probe_at(const struct sw_pg_layout *L, uint64_t base, uint64_t pc)
{
	static const uint32_t type_of[SW_FN__COUNT] = {
		[SW_FN_PARSE] = SW_EV_STATEMENT, [SW_FN_BIND] = SW_EV_BIND, [SW_FN_FASTPATH] = SW_EV_FASTPATH,
		[SW_FN_REPLICATION] = SW_EV_REPLICATION, [SW_FN_SETTING] = SW_EV_SETTING,
		[SW_FN_EXECUTOR_START] = SW_EV_EXECUTE, [SW_FN_PROCESS_UTILITY] = SW_EV_UTILITY,
		[SW_FN_FMGR_LOOKUP] = SW_EV_FUNCTION,
	};

	for (int f = 0; f < SW_FN__COUNT; f++) {
		uint64_t at = base + L->bpf.fn[f];
		if (type_of[f] && L->bpf.fn[f] && pc >= at && pc <= at + ENTRY_SLACK)
			return type_of[f];
	}
	return 0;
}

bool sw_proc_stopped_pc(pid_t pid, uint64_t *pc)
{
	char path[64], buf[256];
	unsigned long long sp, p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	/* "-1 SP PC": blocked outside a system call (a stop after a probe). */
	if (sscanf(buf, "-1 %llx %llx", &sp, &p) != 2)
		return false;
	*pc = p;
	return true;
}

/* The first two argument registers (rdi, rcx) of a stopped process, through ptrace. */
static bool stopped_args(pid_t pid, uint64_t *rdi, uint64_t *rcx)
{
	struct user_regs_struct r;
	int st;
	bool ok = false;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0)
		return false;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 && waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st) &&
	    ptrace(PTRACE_GETREGS, pid, 0, &r) == 0) {
		*rdi = r.rdi;
		*rcx = r.rcx;
		ok = true;
	}
	/* Detached in group-stop, the backend stays stopped until we decide. */
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return ok;
}

bool sw_pg_refuse_stopped(pid_t pid, const struct sw_pg_layout *layouts, int n, char *what, size_t len)
{
	const struct sw_pg_layout *L = NULL;
	uint64_t pc = 0, base, rdi = 0, rcx = 0;
	uint32_t type = 0;
	bool located = false;
	const char *done;

	L = sw_pg_layout_of_pid(layouts, n, pid);
	if (L && sw_proc_stopped_pc(pid, &pc)) {
		uint64_t at = sw_pg_layout_addr(L, pid, L->bpf.fn[SW_FN_PARSE]);
		if (at) {
			base = at - L->bpf.fn[SW_FN_PARSE];
			type = sw_pg_probe_at(L, base, pc);
			located = true;
		}
	}
	switch (type) {
	case SW_EV_FASTPATH:
	case SW_EV_SETTING:
		if (!stopped_args(pid, &rdi, &rcx)) {
			sw_pg_terminate(pid);
			snprintf(what, len, "terminated the session: stopped at %s but its argument could not be read "
				 "(ptrace: %s); the call may have run", type == SW_EV_FASTPATH ? "a fastpath call" :
				 "a setting", strerror(errno));
			return false;
		}
		done = sw_pg_refuse(pid, type, rdi,
				    type == SW_EV_SETTING ? (uint32_t)(rcx & 0xff) << SW_AUX_SETTING_SHIFT : 0);
		snprintf(what, len, "%s a %s", done ? done : "terminated (uncertain)",
			 type == SW_EV_FASTPATH ? "fastpath function call" : "setting");
		return done != NULL;
	case SW_EV_UTILITY: {
		/* ProcessUtility(pstmt, ...): the utility statement's node is pstmt->utilityStmt. */
		uint64_t node = 0;
		if (!stopped_args(pid, &rdi, &rcx) ||
		    !sw_proc_read(pid, rdi + L->bpf.ps_utility_stmt, &node, sizeof(node)) || !node) {
			sw_pg_terminate(pid);
			snprintf(what, len, "terminated the session: stopped at a nested utility statement whose node "
				 "could not be read");
			return false;
		}
		done = sw_pg_refuse(pid, type, node, 0);
		snprintf(what, len, "%s a nested utility statement", done ? done : "terminated (uncertain)");
		return done != NULL;
	}
	case SW_EV_EXECUTE:
		sw_pg_refuse(pid, type, 0, 0);
		snprintf(what, len, "cancelled a nested statement");
		return true;
	case SW_EV_FUNCTION:
		done = sw_pg_refuse(pid, type, 0, 0);
		snprintf(what, len, "%s a call of a watched built-in", done ? done : "terminated (uncertain)");
		return done != NULL;
	case SW_EV_BIND:
		sw_pg_refuse(pid, type, 0, 0);
		snprintf(what, len, "terminated the session of an execution (Bind)");
		return true;
	case SW_EV_STATEMENT:
	case SW_EV_REPLICATION:
		sw_pg_refuse(pid, type, 0, 0);
		snprintf(what, len, "cancelled a %s", type == SW_EV_STATEMENT ? "statement" : "replication command");
		return true;
	default:
		if (located) {
			/* Stopped elsewhere, not by a probe: a cancel is all a statement there needs. */
			sw_pg_cancel(pid);
			snprintf(what, len, "cancelled (stopped outside sqlward's probes)");
			return true;
		}
		/* Where it stopped cannot be read: end the session rather than guess. */
		sw_pg_terminate(pid);
		snprintf(what, len, "terminated the session (where it was stopped could not be read)");
		return true;
	}
}
