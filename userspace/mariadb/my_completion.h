/*
 * How every recorded MariaDB client command ended, and runtime budgets.
 *
 * The probe on dispatch_command's return (bpf/mariadb.bpf.c) reports each
 * command the gate records with its connection, its THD's row counters and
 * error number, and the start time of its SW_MY_EV_COMMAND event, which pairs
 * the two. An observed command's record waits for its completion until the end
 * of the gate's poll (sw_my_completion_record_deferred), and both are written
 * as one record: the statement record with a "completion" object, as
 * PostgreSQL does (pg_completion.h; readers: record_completion.h). Otherwise
 * the completion is a "completion" ledger record (the same type as
 * PostgreSQL's, ledger_record.c) pointing at the command's record.
 *
 * A governed command allowed by a rule with `budget:` that still runs at its
 * deadline is stopped the way KILL QUERY stops it: THD.killed = KILL_QUERY,
 * written only while the kernel's map of running commands says that thread
 * still runs that very command; its completion then says "over_budget".
 */
#ifndef SQLWARD_MY_COMPLETION_H
#define SQLWARD_MY_COMPLETION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sw_daemon;
struct sw_decision;
struct sw_my_done_event;
struct sw_my_completions;

struct sw_my_completions *sw_my_completions_new(void);
void sw_my_completions_free(struct sw_my_completions *c);

/* The command that started at start_ns on connection conn_id was recorded as seq (0: its record's
 * seq is not known) and is let run: its completion is written when it ends. */
void sw_my_completion_expect(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id, uint64_t start_ns,
			     uint64_t seq, const char *role);
/* The same for a command that ran without waiting for the daemon (observed), with its decision: its
 * record waits for the completion until sw_my_completion_write_deferred (the end of the poll) and
 * is written with it as one record, else alone then. Counted like sw_gate_record counts. */
void sw_my_completion_record_deferred(struct sw_daemon *d, struct sw_my_completions *c, const struct sw_decision *dec,
				      uint64_t conn_id, uint64_t start_ns, const char *role);
/* Connection conn_id records something else: its waiting record is written first (order kept). */
void sw_my_completion_write_conn(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id);
/* The end of a poll: every waiting record is written (alone where its completion did not come). */
void sw_my_completion_write_deferred(struct sw_daemon *d, struct sw_my_completions *c);
/* ... and it runs under a runtime budget counted from now_ns (monotonic). */
void sw_my_completion_budget(struct sw_my_completions *c, uint64_t conn_id, uint64_t start_ns, unsigned budget_ms,
			     uint64_t now_ns);
/* A connection ended: its waiting record is written, what it still had open is forgotten. */
void sw_my_completion_forget(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id);

/* A SW_MY_EV_DONE from the ring buffer: write its completion if its command was expected. */
void sw_my_completion_on_done(struct sw_daemon *d, struct sw_my_completions *c, const struct sw_my_done_event *ev);

/*
 * Every pass: kill (KILL_QUERY) what is over its budget in mariadbd `pid`.
 * running_fd: the kernel's map "my_running"; thd_killed: THD.killed's offset.
 */
void sw_my_completion_budgets(struct sw_my_completions *c, pid_t pid, int running_fd, uint32_t thd_killed,
			      uint64_t now_ns);

/* Exposed for unit tests: the outcome of an ended command, and its rows (affected rows of a write,
 * else the rows sent to the client). */
const char *sw_my_completion_outcome(uint32_t sql_errno, bool budget_killed);
int64_t sw_my_completion_rows(const struct sw_my_done_event *ev);

#endif
