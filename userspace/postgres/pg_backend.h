/*
 * What sqlward needs to know about PostgreSQL backends from outside them:
 * where the server binary is, who a backend is (from its process title),
 * and the full statement text of a held (stopped) backend.
 */
#ifndef SQLWARD_PG_BACKEND_H
#define SQLWARD_PG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SW_PG_MAX_BINS 8

struct sw_pg_title {
	char role[64];
	char database[64];  /* "" for a replication connection */
	char client[80];   /* "127.0.0.1:5432", "[::1]:5432" or "local" */
	bool walsender;
};

/*
 * Parse a backend's process title ("postgres: [cluster: ]ROLE DB HOST(PORT) state").
 * PostgreSQL writes ROLE, DB and HOST at connection start, before
 * authentication. If want_role is given, the title must name that role.
 * Returns false for auxiliary processes (checkpointer, ...) and the postmaster.
 * A replication connection's title is "walsender ROLE HOST(PORT) ...": parsed
 * that way only when walsender is true (the kernel read am_walsender), since a
 * role named "walsender" makes the two forms look alike.
 */
bool sw_pg_parse_title(const char *title, const char *want_role, struct sw_pg_title *out);
bool sw_pg_parse_title_ex(const char *title, const char *want_role, bool walsender, struct sw_pg_title *out);
/* Read /proc/PID/cmdline into buf as one string. false if the process is gone. */
bool sw_proc_title(pid_t pid, char *buf, size_t len);
/* Does a process title name a client connection ("... HOST(PORT) ..." or "[local]"), which the
 * client cannot choose, whether or not the rest of it parses? */
bool sw_pg_title_is_client(const char *title);
/* The binary a process runs (/proc/PID/exe), without " (deleted)". */
bool sw_proc_exe(pid_t pid, char *buf, size_t len);
/* Process state letter from /proc/PID/stat ('R', 'S', 'T', ...); 0 if gone. */
char sw_proc_state(pid_t pid);
/* Signals pending for the process (SigPnd | ShdPnd of /proc/PID/status; bit N-1 = signal N). */
uint64_t sw_proc_pending_signals(pid_t pid);
/* Parent pid from /proc/PID/stat; 0 if gone. */
int sw_proc_ppid(pid_t pid);
/* Wait up to timeout_ms for the process to be stopped ('T'). */
bool sw_proc_wait_stopped(pid_t pid, int timeout_ms);

/* Distinct server binaries of running postgres processes (also in containers: /proc/PID/root/...); returns count. */
int sw_pg_find_binaries(char bins[][4096], int max);

/*
 * Read a NUL-terminated string of at most max bytes at addr in process pid.
 * Returns a malloc'd string and its length in *len, or NULL (errno set) if
 * it could not be read or no NUL was found within max bytes (*len = max).
 */
char *sw_proc_read_string(pid_t pid, unsigned long addr, size_t max, size_t *len);

/* Copy len bytes from / to address addr of process pid (process_vm_readv/writev). */
bool sw_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len);
bool sw_proc_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

struct sw_pg_layout;
/* The backend's application_name (the global char *application_name of the binary L describes), cut
 * to cap - 1 bytes; false when it cannot be read (symbol not exported, backend gone). A running
 * backend may change it while it is read: the result is then the old or the new value, or false. */
bool sw_pg_read_application_name(const struct sw_pg_layout *L, pid_t pid, char *out, size_t cap);

/* Release a held backend: allow (SIGCONT) or cancel (SIGINT, then SIGCONT). */
int sw_pg_resume(pid_t pid);
int sw_pg_cancel(pid_t pid);
struct sw_pg_layout;
/* Where sw_pg_refuse finds a backend's binary layout (refusals at a built-in's entry need it). */
void sw_pg_refuse_layouts(const struct sw_pg_layout *layouts, const int *n);
/* End a held backend's session (SIGTERM, then SIGCONT): for refusals a cancel cannot make. */
int sw_pg_terminate(pid_t pid);

/*
 * Refuse what a held backend is about to do, the way that holds for where
 * it was stopped (event type SW_EV_*; arg0 and aux as in the event):
 *   statement, replication command: cancel (PostgreSQL checks for the
 *     cancel right after parsing / at the command's start);
 *   bind: terminate the session (a cancel arriving during Bind is discarded
 *     before the Execute, so only ending the session is certain); a SQL
 *     EXECUTE inside a running statement is cancelled (its executor checks
 *     before it evaluates anything);
 *   fastpath: the function OID in the message is overwritten with 0 so the
 *     call fails ("function with OID 0 does not exist") before it runs —
 *     the server runs the function before it would notice a cancel;
 *   setting: the setting's name is blanked so PostgreSQL rejects it instead
 *     of applying it; a setting applied at connection start also ends the
 *     session (the connection is refused).
 * Returns what was done ("cancelled", "terminated"), or NULL when the
 * refusal could not be made certain (then the session was terminated too).
 */
const char *sw_pg_refuse(pid_t pid, uint32_t type, uint64_t arg0, uint32_t aux);
/* Was the setting (aux of an SW_EV_SETTING event) applied at connection start? */
bool sw_pg_setting_at_connect(uint32_t aux);
/* Does refusing this event end the session (rather than cancel the statement)? */
bool sw_pg_refusal_ends_session(uint32_t type, uint32_t aux);

#endif
