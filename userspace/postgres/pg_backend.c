/* PostgreSQL backends seen from /proc: titles, binaries, held statement text, signals. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "pg_backend.h"
#include "pg_layout.h"
#include "pg_raise.h"
#include "proc_root.h"
#include "sqlward.h"
#include "util.h"

static bool copy_token(char *dst, size_t len, const char *s, size_t n)
{
	if (n == 0 || n >= len)
		return false;
	memcpy(dst, s, n);
	dst[n] = 0;
	return true;
}

/* "127.0.0.1(5432)" -> "127.0.0.1:5432"; "::1(5432)" -> "[::1]:5432"; "[local]" -> "local". */
static bool parse_host(const char *s, size_t n, char *out, size_t len)
{
	const char *paren;

	if (n == 7 && memcmp(s, "[local]", 7) == 0) {
		snprintf(out, len, "local");
		return true;
	}
	paren = memchr(s, '(', n);
	if (!paren || s[n - 1] != ')' || paren == s)
		return false;
	{
		int hl = (int)(paren - s);
		int pl = (int)(n - (size_t)hl - 2);
		bool v6 = memchr(s, ':', (size_t)hl) != NULL;
		snprintf(out, len, v6 ? "[%.*s]:%.*s" : "%.*s:%.*s", hl, s, pl, paren + 1);
	}
	return true;
}

bool sw_pg_parse_title(const char *title, const char *want_role, struct sw_pg_title *out)
{
	return sw_pg_parse_title_ex(title, want_role, false, out);
}

bool sw_pg_parse_title_ex(const char *title, const char *want_role, bool walsender, struct sw_pg_title *out)
{
	const char *tok[5];
	size_t toklen[5];
	int n = 0, i = 0;
	const char *p;

	memset(out, 0, sizeof(*out));
	if (strncmp(title, "postgres: ", 10) != 0)
		return false;
	p = title + 10;
	while (*p && n < 5) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tok[n] = p;
		while (*p && *p != ' ')
			p++;
		toklen[n] = (size_t)(p - tok[n]);
		n++;
	}
	/* Optional "cluster_name:" prefix. */
	if (n > 0 && tok[0][toklen[0] - 1] == ':' && n >= 4)
		i = 1;
	if (walsender) {
		if (n - i < 3 || toklen[i] != 9 || memcmp(tok[i], "walsender", 9) != 0 ||
		    !copy_token(out->role, sizeof(out->role), tok[i + 1], toklen[i + 1]) ||
		    !parse_host(tok[i + 2], toklen[i + 2], out->client, sizeof(out->client)))
			return false;
		out->walsender = true;
		return !want_role || strcmp(want_role, out->role) == 0;
	}
	if (n - i < 3)
		return false;
	if (!copy_token(out->role, sizeof(out->role), tok[i], toklen[i]) ||
	    !copy_token(out->database, sizeof(out->database), tok[i + 1], toklen[i + 1]) ||
	    !parse_host(tok[i + 2], toklen[i + 2], out->client, sizeof(out->client)))
		return false;
	if (want_role && strcmp(want_role, out->role) != 0)
		return false;
	return true;
}

/* Read /proc/PID/NAME (one read; these files are small) into buf, NUL-terminated. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

bool sw_proc_title(pid_t pid, char *buf, size_t len)
{
	ssize_t n = read_proc(pid, "cmdline", buf, len);

	if (n <= 0)
		return false;
	/* argv separators become spaces; PostgreSQL pads its title with NULs/spaces. */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = 0;
	return true;
}

bool sw_proc_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0)
		buf[n - 10] = 0;
	return true;
}

static bool read_stat_tail(pid_t pid, char *buf, size_t len, char **tail)
{
	if (read_proc(pid, "stat", buf, len) <= 0)
		return false;
	/* The command name may contain spaces and parentheses: fields follow the last ')'. */
	*tail = strrchr(buf, ')');
	return *tail && (*tail)[1] == ' ' && (*tail)[2];
}

uint64_t sw_proc_pending_signals(pid_t pid)
{
	char buf[4096], *p;
	uint64_t mask = 0;

	if (read_proc(pid, "status", buf, sizeof(buf)) <= 0)
		return 0;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "SigPnd:", 7) == 0 || strncmp(p, "ShdPnd:", 7) == 0)
			mask |= strtoull(p + 7, NULL, 16);
	return mask;
}

int sw_proc_ppid(pid_t pid)
{
	char buf[512], *t;
	if (!read_stat_tail(pid, buf, sizeof(buf), &t))
		return 0;
	return atoi(t + 4);   /* ") S PPID ..." */
}

char sw_proc_state(pid_t pid)
{
	char buf[512], *t;
	return read_stat_tail(pid, buf, sizeof(buf), &t) ? t[2] : 0;
}

bool sw_proc_wait_stopped(pid_t pid, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited++) {
		char st = sw_proc_state(pid);
		if (st == 'T' || st == 't')
			return true;
		if (st == 0)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

int sw_pg_find_binaries(char bins[][4096], int max)
{
	/* One path per file, a container's as /proc/PID/root/... (proc_root.h). */
	return sw_find_running_binaries("postgres", NULL, 0, bins, max);
}

char *sw_proc_read_string(pid_t pid, unsigned long addr, size_t max, size_t *len)
{
	size_t cap = 0, have = 0;
	char *buf = NULL;

	*len = 0;
	while (have < max) {
		size_t want = 64 * 1024;
		struct iovec local, remote;
		ssize_t got;
		char *nul;

		/* Read to the end of the page first so no read crosses into an unmapped page. */
		if (have == 0)
			want = 4096 - (addr & 4095);
		if (want > max - have)
			want = max - have;
		if (have + want + 1 > cap) {
			cap = have + want + 1;
			buf = sw_xrealloc(buf, cap);
		}
		local.iov_base = buf + have;
		local.iov_len = want;
		remote.iov_base = (void *)(addr + have);
		remote.iov_len = want;
		got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (got <= 0) {
			int e = errno;
			free(buf);
			errno = got == 0 ? EIO : e;
			return NULL;
		}
		nul = memchr(buf + have, 0, (size_t)got);
		if (nul) {
			*len = (size_t)(nul - buf);
			return buf;
		}
		have += (size_t)got;
	}
	free(buf);
	*len = max;
	errno = E2BIG;
	return NULL;
}

int sw_pg_resume(pid_t pid)
{
	return kill(pid, SIGCONT);
}

int sw_pg_cancel(pid_t pid)
{
	/* SIGINT is queued while stopped; SIGCONT lets the backend see it before
	 * the statement executes: "canceling statement due to user request". */
	if (kill(pid, SIGINT) < 0)
		return -1;
	return kill(pid, SIGCONT);
}

bool sw_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	return addr && process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

bool sw_proc_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };
	return addr && process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

bool sw_pg_read_application_name(const struct sw_pg_layout *L, pid_t pid, char *out, size_t cap)
{
	uint64_t ptr = 0;
	size_t got;
	char *v;

	if (!cap || !L->application_name ||
	    !sw_proc_read(pid, sw_pg_layout_addr(L, pid, L->application_name), &ptr, sizeof(ptr)))
		return false;
	if (!ptr) {   /* not set yet (before the GUCs are initialised) */
		out[0] = 0;
		return true;
	}
	/* The GUC itself is not length-limited (pg_stat_activity cuts it at NAMEDATALEN). */
	v = sw_proc_read_string(pid, ptr, 4096, &got);
	if (!v)
		return false;
	snprintf(out, cap, "%.*s", (int)(got < cap ? got : cap - 1), v);
	free(v);
	return true;
}

int sw_pg_terminate(pid_t pid)
{
	if (kill(pid, SIGTERM) < 0)
		return -1;
	return kill(pid, SIGCONT);
}

/* GucSource values (utils/guc.h): PGC_S_GLOBAL .. PGC_S_CLIENT are applied at connection start. */
#define PGC_S_GLOBAL 5
#define PGC_S_CLIENT 9

bool sw_pg_setting_at_connect(uint32_t aux)
{
	uint32_t source = (aux >> SW_AUX_SETTING_SHIFT) & 0xff;
	return source >= PGC_S_GLOBAL && source <= PGC_S_CLIENT;
}

bool sw_pg_refusal_ends_session(uint32_t type, uint32_t aux)
{
	if (type == SW_EV_BIND)
		return !(aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE));
	return type == SW_EV_SETTING && sw_pg_setting_at_connect(aux);
}

/* StringInfoData (lib/stringinfo.h): char *data; int len, maxlen, cursor. */
struct pg_stringinfo {
	uint64_t data;
	int32_t len, maxlen, cursor;
};

/* The layouts a refusal at a built-in's entry looks the backend's binary up in (daemon, watchdog). */
static const struct sw_pg_layout *refuse_layouts;
static const int *refuse_n_layouts;

void sw_pg_refuse_layouts(const struct sw_pg_layout *layouts, const int *n)
{
	refuse_layouts = layouts;
	refuse_n_layouts = n;
}

const char *sw_pg_refuse(pid_t pid, uint32_t type, uint64_t arg0, uint32_t aux)
{
	switch (type) {
	case SW_EV_FUNCTION: {
		/* A built-in acts before any interrupt check: it fails at its entry instead (pg_raise.h). */
		const struct sw_pg_layout *L =
			refuse_layouts ? sw_pg_layout_of_pid(refuse_layouts, *refuse_n_layouts, pid) : NULL;
		char why[256];
		if (L && sw_pg_raise_cancel(pid, L, why, sizeof(why))) {
			sw_pg_resume(pid);
			return "cancelled";
		}
		fprintf(stderr, "sqlward: cannot fail pid %d at the built-in it is stopped at (%s): ending the "
			"session instead\n", (int)pid, L ? why : "its server binary is not known");
		sw_pg_terminate(pid);
		return NULL;
	}
	case SW_EV_BIND:
		/* SQL EXECUTE runs inside a statement: the executor honours a cancel before it evaluates anything. */
		if (aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE)) {
			sw_pg_cancel(pid);
			return "cancelled";
		}
		sw_pg_terminate(pid);
		return "terminated";
	case SW_EV_FASTPATH: {
		struct pg_stringinfo si;
		uint32_t zero = 0;
		/* HandleFunctionRequest reads the OID at data[cursor] first (fastpath.c). */
		if (sw_proc_read(pid, arg0, &si, sizeof(si)) && si.cursor >= 0 && si.len - si.cursor >= 4 &&
		    sw_proc_write(pid, si.data + (uint64_t)si.cursor, &zero, sizeof(zero))) {
			sw_pg_resume(pid);
			return "cancelled";
		}
		sw_pg_terminate(pid);
		return NULL;
	}
	case SW_EV_UTILITY: {
		/*
		 * ProcessUtility runs some statements before any interrupt check (COPY TO
		 * PROGRAM, LOAD): the backend raises a cancel at ProcessUtility's entry
		 * (pg_raise.h). Where it cannot (no ptrace), the statement's node gets tag
		 * 0, so the server stops at its first look at it ("unrecognized node type:
		 * 0") before doing anything; that plan of this session then fails the same
		 * way until it is rebuilt (never restored: its memory may be reused by then).
		 */
		const struct sw_pg_layout *L =
			refuse_layouts ? sw_pg_layout_of_pid(refuse_layouts, *refuse_n_layouts, pid) : NULL;
		uint32_t tag = 0, zero = 0;
		char why[256];
		if (L && sw_pg_raise_cancel(pid, L, why, sizeof(why))) {
			sw_pg_resume(pid);
			return "cancelled";
		}
		if (arg0 && sw_proc_read(pid, arg0, &tag, sizeof(tag)) &&
		    (tag == 0 || sw_proc_write(pid, arg0, &zero, sizeof(zero)))) {
			sw_pg_cancel(pid);
			return "cancelled";
		}
		sw_pg_terminate(pid);
		return NULL;
	}
	case SW_EV_SETTING: {
		bool blanked = sw_proc_write(pid, arg0, "", 1);
		if (sw_pg_setting_at_connect(aux)) {
			sw_pg_terminate(pid);
			return blanked ? "terminated" : NULL;
		}
		if (blanked) {
			sw_pg_resume(pid);
			return "cancelled";
		}
		sw_pg_cancel(pid);
		return NULL;
	}
	default:
		sw_pg_cancel(pid);
		return "cancelled";
	}
}

bool sw_pg_title_is_client(const char *title)
{
	if (strncmp(title, "postgres: ", 10) != 0)
		return false;
	if (strstr(title, " [local]"))
		return true;
	/* " HOST(PORT)": digits in parentheses right after a host name or address. */
	for (const char *p = strchr(title, '('); p; p = strchr(p + 1, '(')) {
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p + 1 && *q == ')' && p[-1] != ' ')
			return true;
	}
	return false;
}
