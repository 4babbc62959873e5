/*
 * The MariaDB holder: one thread of the daemon traces every thread of a
 * governed mariadbd (ptrace seize, new threads included), so the probe's
 * thread-directed hold signal stops exactly the connection's thread at
 * dispatch_command's entry (bpf/mariadb.h). At each such stop the holder
 * first sets the deny registers (the command's length to 0) and only an allow
 * restores them: if the daemon dies while a thread is stopped, the thread
 * resumes with an empty command and the statement does not run. A wait stop
 * (backpressure for a command that must be recorded, bpf/mariadb.h) sets no
 * deny state and is always released into its command.
 *
 * All ptrace calls happen on the holder's own thread (ptrace requests must come
 * from the tracer thread); the daemon's loop talks to it through queues.
 */
#ifndef SQLWARD_MY_HOLDER_H
#define SQLWARD_MY_HOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sw_my_holder;

/* Where a hold stops a thread. */
enum sw_my_stop_kind {
	SW_MY_STOP_COMMAND = 0,   /* dispatch_command: a client command (deny: its length is 0) */
	SW_MY_STOP_EXECUTE = 1,   /* mysql_execute_command: a statement about to run (deny: its LEX's
	                           * command is EMPTY_QUERY and the THD is killed with KILL_QUERY) */
};

/* What the holder must know about the traced mariadbd. */
struct sw_my_holder_cfg {
	uint64_t dispatch_entry;  /* runtime addresses of the probed functions */
	uint64_t execute_entry;   /* 0: no execution checkpoint */
	uint32_t thd_lex, lex_sql_command, thd_killed;
	uint32_t sqlcom_empty_query;  /* enum_sql_command SQLCOM_EMPTY_QUERY */
	uint32_t kill_query;      /* killed_state KILL_QUERY */
	uint32_t thd_vio;         /* THD.net.vio (0: unknown): net.buff and net.buff_end follow it, bounding the
	                           * room a refusal's text may take at the packet */
};

/* A thread the hold signal stopped at a probed function. */
struct sw_my_stop {
	pid_t tid;
	enum sw_my_stop_kind kind;
	int32_t sql_command;    /* SW_MY_STOP_EXECUTE: the server's parsed command (before the deny state) */
	bool armed;             /* the deny state is set (false: it could not be written; only ending the
	                         * server refuses it) */
	uint32_t command;       /* enum_server_command (from the registers) */
	uint64_t thd;           /* THD * */
	uint64_t packet;        /* char *packet */
	uint32_t packet_len;    /* the command's real length (restored on allow) */
	uint64_t when_ns;       /* CLOCK_MONOTONIC */
	bool gone;              /* the thread exited while stopped (nothing to decide) */
	bool wait;              /* stopped by SW_MY_WAIT_SIGNAL (bpf/mariadb.h): no deny state; it waits only
	                         * for its record, and any release lets it run */
};

/*
 * Seize every thread of mariadbd `pid`. Fails with a message that says what refused (Yama
 * ptrace_scope, another tracer, permissions).
 */
int sw_my_holder_start(pid_t pid, const struct sw_my_holder_cfg *cfg, struct sw_my_holder **out, char *err,
		       size_t errlen);
/* Readable (eventfd) when stops are waiting to be taken. */
int sw_my_holder_fd(const struct sw_my_holder *h);
/* Take up to max new stops; returns how many. */
size_t sw_my_holder_take(struct sw_my_holder *h, struct sw_my_stop *out, size_t max);
/* Let a stopped thread run its command as it arrived. */
void sw_my_holder_allow(struct sw_my_holder *h, pid_t tid);
/*
 * Refuse a stopped thread's command. Every command but a prepare becomes a
 * COM_QUERY (whatever the client sent: COM_SHUTDOWN, COM_PROCESS_KILL, ...
 * act on their packet whatever its length): with a message its packet is
 * `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT='message'` so the client reads
 * the reason (error 1644), else it arrives empty ("Query was empty"). A
 * prepare gets a text whose syntax error quotes the reason, or arrives empty.
 */
void sw_my_holder_deny(struct sw_my_holder *h, pid_t tid, const char *message);
/* Read `len` bytes of the traced process's memory at addr; false on failure. */
bool sw_my_holder_read(const struct sw_my_holder *h, uint64_t addr, void *buf, size_t len);
/* The same read of pid's memory with no holder (observe-only: nothing is traced). */
bool sw_my_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Is the holder still tracing (false once mariadbd exited or tracing failed; why says why)? */
bool sw_my_holder_alive(const struct sw_my_holder *h, char *why, size_t whylen);
size_t sw_my_holder_threads(const struct sw_my_holder *h);
/* Deny every stopped thread, stop tracing, free. */
void sw_my_holder_stop(struct sw_my_holder *h);

/* The packet text a denied COM_QUERY becomes (exposed for tests): NUL-terminated, <= cap bytes. */
size_t sw_my_deny_packet(const char *message, char *out, size_t cap);

#endif
