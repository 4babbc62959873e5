/*
 * The daemon's state and what every part of it calls on that state: the
 * lowest of the daemon's modules. It includes neither holds.h,
 * gate_events.h nor control_server.h, and daemon_state.c calls none of
 * them. The daemon's modules in layers, each calling only layers below it
 * (scripts/module-cycles.py checks that no cycle comes back):
 *
 *   daemon.c                          main loop, start-up, stop, reload
 *   pg_engine_gate.c, my_gate.c       the engines' gates (engine_gate.h)
 *   control_server.c, gate_events.c   the control socket; PostgreSQL events
 *   daemon_freeze.c, gate_state.c     acting on a freeze change; `status`
 *   holds.c                           the hold queue
 *   pg_hold.c                         how a PostgreSQL hold moves (its hold ops)
 *   hold_json.c, sessions.c           a hold as JSON; the session table
 *   release_queue.c                   decided statements' group commit; the ledger's state
 *   daemon_state.c                    this
 *
 * Owned here (daemon_state.c): the clock, daemon and statement records,
 * the freeze as it stands, which binary layout a process runs, the
 * kernel's counters by name.
 */
#ifndef SQLWARD_DAEMON_STATE_H
#define SQLWARD_DAEMON_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include "analysis_cache.h"
#include "analysis_worker.h"
#include "approval.h"
#include "bpf_gate.h"
#include "daemon_opts.h"
#include "freeze.h"
#include "instance_lock.h"
#include "ledger.h"
#include "notify.h"
#include "pg_layout.h"
#include "pg_scope.h"
#include "policy.h"
#include "prepared.h"
#include "statement.h"
#include "engine_gate.h"

/*
 * What a SQL EXECUTE (or EXPLAIN EXECUTE) in the statement just allowed will
 * run, in statement order: the PREPARE sqlward saw it resolve to, or nothing
 * at all for a plain EXPLAIN (it only plans). Each execution inside that
 * statement is checked against the next one (gate_events.c): the session's
 * prepared statement may not be what sqlward saw prepared (a PREPARE that
 * failed, a name reused by a protocol-level Parse).
 */
struct sw_exec_expect {
	bool plan_only;
	char *name;
	char *prepared_text;
};

/* A PostgreSQL backend the daemon knows (sessions.c keeps the table). */
struct sw_session_info {
	int pid;
	uint64_t serial;        /* unique in this daemon's life (a reused pid is another session) */
	char session_key[48];   /* the ledger's "session" (PID@START, session_record.h); "" none yet */
	char role[64];
	char database[64];      /* "" if unknown */
	char client[80];        /* "" if unknown */
	bool governed;
	bool walsender;         /* a replication connection */
	bool refused;           /* a connection setting was refused: the session is being ended */
	uint32_t ctx_id;
	int encoding;           /* server encoding id read from the backend (PG_UTF8 = 6); -1 not read yet */
	bool in_txn;            /* inside BEGIN ... COMMIT/ROLLBACK as far as we saw */
	struct sw_strv txn;     /* statements run in the current transaction (for the dossier) */
	/* A human's approval of a parsed statement covers the next execution (Bind)
	 * of exactly that text in this session, and nothing after it. */
	bool token_valid;
	char token_sha256[65];
	uint64_t token_hold_id;
	struct sw_exec_expect *expect;
	size_t n_expect, next_expect;
	bool expect_approved;   /* a human approved the statement the expectations come from */
	/* Engine truth: the execution checkpoint on this backend (owned by the session, not by holds). */
	struct sw_nested_links nested_links;
	bool nested_live;
	char nested_problem[600]; /* why it is not live ("" when it is or was never needed) */
	/* The client statement now running, for its nested statements' records. */
	uint64_t statement_id;   /* kernel seq of the statement (0: none yet) */
	uint64_t statement_seq;  /* its ledger record's seq (0 while that record waits for its completion) */
	uint32_t deferred;       /* 1 + the slot of its record waiting for its completion (pg_completion.c); 0 none */
	bool trust_nested;       /* it calls trusted functions whose nested statements are recorded, not judged */
	bool statement_writes;   /* it writes: a write built-in it reaches (a serial default's nextval) is its own */
	/* Who is asking (sessions.c sw_session_who): the ledger's application_name, client_exe,
	 * client_cmdline and request_id, and policy `application:` / `client_exe:`. */
	char application[256];   /* application_name as last read from the backend */
	bool application_known;  /* false: never read (NULL to the policy) */
	bool application_stale;  /* a setting may have changed it: read again at the next statement */
	uint64_t application_read_ns;  /* monotonic, when it was last read (0: never) */
	bool client_looked;      /* the client process was looked for (once per session) */
	char client_exe[256];    /* its executable ("" not on this host or unknown) */
	char client_cmdline[1024];
	char request_id[129];    /* the client statement now running ("" none): its nested statements' too */
	/* The backend's binary layout once found (sw_session_layout; a stat of /proc/PID/exe per
	 * statement was a quarter of the daemon's work per observed statement). A backend never changes
	 * its binary; a new connection on a reused pid clears it. */
	const struct sw_pg_layout *layout;
	uint64_t layout_missed_ns;  /* monotonic, when no layout was found (looked up again a second later) */
};

#define SW_TXN_CONTEXT_MAX 50

struct sw_analysis;
struct sw_hold;

/*
 * How a hold is moved: the engine that made it supplies these (pg_hold.c
 * for PostgreSQL, my_gate.c for MariaDB), so holds.c and the daemon decide
 * every engine's holds without knowing any engine. h->engine_ctx is the
 * engine's; while it is not NULL the hold is undecided (sw_hold_free refuses it).
 */
struct sw_hold_ops {
	/* Run (allow) or refuse the held statement (message: what the client reads, if the engine
	 * can tell it), then let go of engine_ctx. Called once, after the decision is on disk. An
	 * allowed statement's analysis (h->analysis) tells the engine's session what it now holds. */
	void (*release)(struct sw_hold *h, bool allow, const char *message);
	/* Does a refusal end the session (the ledger outcome is "terminated")? */
	bool (*refusal_ends_session)(const struct sw_hold *h);
	/* Has the client hung up while it was held? */
	bool (*client_gone)(const struct sw_hold *h);
	/* Is the server itself ending or cancelling the held session? Its outcome ("terminated",
	 * "cancelled") with *comment saying why, or NULL. NULL op: the engine cannot tell. */
	const char *(*server_ending)(const struct sw_hold *h, const char **comment);
};

/* A statement held for a human (holds.c keeps the queue). */
struct sw_hold {
	uint64_t id;
	enum sw_engine engine;     /* SW_ENGINE_POSTGRES: pid is the stopped backend; otherwise pid is the
	                            * server's process; ops/engine_ctx move the one session held (always set) */
	const struct sw_hold_ops *ops;
	void *engine_ctx;
	int pid;
	uint32_t type;             /* SW_EV_* the backend is stopped at (how it is refused) */
	uint64_t arg0;             /* the event's arg0 (fastpath message, setting name) */
	uint32_t aux;
	const char *via;           /* ledger "via" (static string) or NULL */
	json_t *extra;             /* ledger/dossier extras: "parameters", "setting", ... (owned) */
	struct sw_session_info sess;
	uint64_t start_ns;         /* monotonic, when the backend was stopped */
	struct timespec wall;      /* when the statement arrived */
	uint64_t deadline_ns;      /* monotonic; deny when reached */
	char *statement;
	size_t statement_len;
	struct sw_analysis analysis;
	struct sw_judgement *per_stmt;
	struct sw_judgement overall;
	uint64_t ledger_seq;       /* the "held" record */
	char statement_sha256[65];
	struct sw_approval approval;
	struct sw_strv txn_before; /* the session's earlier statements in this transaction */
	bool timeouts_known;       /* read from the stopped backend */
	int statement_timeout_ms;  /* the session's statement_timeout (0: none) */
	int lock_timeout_ms;
	bool release_retry;        /* approved, but the ledger could not take the record yet */
	char *retry_by, *retry_comment;
};

struct sw_outcome;
struct sw_pg_completions;
struct sw_daemon;
struct sw_release;

/* How a statement the policy decided moves once its record allows it (release_queue.h); its
 * engine's. */
struct sw_release_ops {
	/* Run it (run: allowed, and its record is durable) or refuse it (a refusal, or an allowed
	 * statement whose record could not be written in time). Called once; lets go of r->ctx. */
	void (*move)(struct sw_daemon *d, const struct sw_release *r, bool run);
	/* The members of its release_refused_unrecorded record besides "pid" (may be NULL). */
	void (*describe)(const struct sw_release *r, json_t *fields);
};

struct sw_plan_store;
struct sw_daemon {
	const struct sw_daemon_opts *opts;
	struct sw_policy *policy;
	uint64_t policy_gen;         /* reloads so far (a policy's address may be reused after one) */
	struct sw_ledger *ledger;
	struct sw_gate *gate;
	struct sw_pg_scope scope;     /* the governed clusters (--postmaster-pid) */
	struct sw_instance_locks locks;  /* no other daemon governs the same backends */
	struct sw_prepared *prepared;
	struct sw_plan_store *plans;  /* approved plans and their runs (plan_store.h); NULL: none loaded */
	void *sessions;            /* tsearch tree of struct sw_session_info (sessions.c) */
	struct sw_hold **holds;
	size_t n_holds, cap_holds;
	/* Statements the policy decided: each moves once a sync that began after its record was
	 * written has finished (sw_daemon_record_safe); one sync covers all written before it began
	 * (group commit). */
	struct sw_release {
		uint64_t seq;                /* the chain's end after its record (0: not stamped yet) */
		int pid;
		bool allow;
		uint32_t type;
		uint64_t arg0;
		uint32_t aux;
		uint64_t waiting_since_ns;   /* allowed, but its record is not on disk yet (ledger failing) */
		struct timespec when;        /* the statement's time (for the correction record) */
		uint64_t drops;              /* sw_ledger_drops when queued (its record may be dropped later) */
		const struct sw_release_ops *ops;  /* how its engine moves it (release_queue.h) */
		void *ctx;                   /* the engine's (ops->move lets go of it) */
	} *releases;
	size_t n_releases, cap_releases;
	uint64_t next_hold_id;
	uint32_t next_ctx_id;
	uint64_t next_session_serial;
	json_t *contexts;          /* "role\x1fdatabase" -> ctx_id */
	int64_t mono_to_wall_ns;   /* add to a monotonic ns to get CLOCK_REALTIME ns */
	uint64_t last_stats[SW_STAT__COUNT];
	bool stopping;
	uint64_t loop_alive_ns;    /* main loop progress, read by the heartbeat thread */
	bool heartbeat_stop;
	int watchdog_fd;           /* pipe to the watchdog process; -1 if none */
	struct sw_notifier *notifier;
	struct sw_acache *acache;  /* classification by shape */
	struct sw_aworker *worker; /* classification of large statements off the loop */
	struct sw_pg_layout *layouts;  /* SW_BINS_MAX: opts->pg_bins, then files that replaced them */
	struct sw_engine_gate gates[SW_ENGINE_GATES_MAX];  /* every engine's gate, in the order opened (engine_gate.h) */
	int n_gates;
	pthread_mutex_t gates_lock;    /* the heartbeat thread's view of gates[] while one is swapped */
	struct sw_engine_gate engine_gates[SW_ENGINE_GATES_MAX];  /* MariaDB's, again: `status` lists them (gate_state.c) */
	int n_engine_gates;
	int n_layouts;
	struct { dev_t dev; ino_t ino; } bin_refused[16];  /* replacement files that could not be gated */
	int n_bin_refused;
	/* Processes stopped at exec this daemon is done with that another gate still holds (binary_watch.c):
	 * resumed once none does, killed if one holds on too long. */
	struct sw_exec_wait { int pidfd; uint32_t pid; uint64_t ktime_ns, since_ns, switches; int gates; } exec_waits[32];
	int n_exec_waits;
	bool draining_previous;    /* events being read are from a previous daemon's gate */
	/* Policies replaced by a reload while holds judged under them wait: their rule ids and
	 * reasons are the holds' own (freed once no hold up to last_hold_id remains). */
	struct sw_retired_policy { struct sw_policy *p; uint64_t last_hold_id; struct sw_retired_policy *next; } *retired;
	struct sw_outcome *outcomes;  /* released statements being watched (outcome_watch.c) */
	struct sw_pg_completions *completions; /* completions and runtime budgets (pg_completion.c) */
	uint64_t ledger_failing_since_ns;  /* 0: the ledger is writable */
	bool decisions_unsynced;   /* --ledger-sync interval: written records statements moved on, not synced */
	uint64_t ledger_retry_ns;      /* next attempt to write what waits */
	char ledger_error[256];
	uint64_t refused_unrecorded;
	bool pins_missing;         /* the pins could not be restored (see pins_error) */
	char pins_error[512];   /* allowed statements refused after waiting too long for their record */
	uint64_t overflow_seen;    /* statements taken from the kernel's overflow map */
	char *state_path;
	struct sw_freeze freeze;   /* manual freeze (persisted) */
	bool frozen;               /* freeze in force (manual or scheduled) as of the last check */
	char frozen_reason[512];
};

/* The clock: monotonic ns, and their wall-clock time (offset taken once by sw_daemon_clock_init). */
uint64_t sw_mono_ns(void);
void sw_daemon_clock_init(struct sw_daemon *d);
void sw_mono_to_timespec(const struct sw_daemon *d, uint64_t mono_ns, struct timespec *out);

/* Write a "daemon" record (start, stop, reload, drops...) and log it. */
void sw_daemon_note(struct sw_daemon *d, const char *event, json_t *fields);
/* Counted in the metrics as a statement decision (sw_gate_record does it; a record written later
 * by other means counts when it is made). */
void sw_gate_count(const struct sw_decision *dec);
/* Write a statement record (both engines' events and holds). sync: on disk before it returns (a
 * failed one is counted as lost); otherwise queued in memory until the ledger takes it (moving the
 * statement it decides is release_queue.h's). */
void sw_gate_record(struct sw_daemon *d, const struct sw_decision *dec, bool sync, uint64_t *seq_out);
/* Make the records appended so far safe enough for the statements they decide to move: --ledger-sync
 * decision (the default): a sync asked of the ledger's sync thread, not waited for
 * (sw_daemon_record_safe says when one covers a record; a stopping daemon waits for it); interval:
 * written into the kernel, synced on the next 100 ms tick. 0, or -1 with err set (the ledger cannot
 * be written). */
int sw_daemon_decision_sync(struct sw_daemon *d, char *err, size_t errlen);
/* May a statement whose record is at or before seq (written) move now? --ledger-sync decision: once
 * the ledger's durable end reached seq (the sync thread's sync that covers it finished; with the
 * daemon stopping sw_daemon_decision_sync waits for it); interval: at once. */
bool sw_daemon_record_safe(const struct sw_daemon *d, uint64_t seq);

/* The freeze reason in force now (manual or a policy window), or NULL. (Acting on a
 * change is daemon_freeze.c's.) */
const char *sw_daemon_frozen(struct sw_daemon *d);
/* Does the policy's freeze cover any statement of a? */
bool sw_daemon_any_frozen_class(const struct sw_daemon *d, const struct sw_analysis *a);

/* The layout of the binary process pid runs, or NULL. */
const struct sw_pg_layout *sw_daemon_layout_of(const struct sw_daemon *d, int pid);
/* The kernel's counters by name (ledger "counters" records, `sqlward status`). */
json_t *sw_daemon_counters_json(const uint64_t st[SW_STAT__COUNT]);

#endif
