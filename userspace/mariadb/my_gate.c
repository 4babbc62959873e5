/* The MariaDB gate: probes, holder and decisions (see my_gate.h). */
#include "my_gate.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "client_owner.h"
#include "daemon_state.h"
#include "holds.h"
#include "bpf_gate.h"   /* sw_gate_pin_owner_alive */
#include "gate_abi.h"
#include "hold_id.h"
#include "hold_webhooks.h"
#include "mariadb.h"
#include "mariadb.skel.h"
#include "my_classify.h"
#include "my_completion.h"
#include "my_holder.h"
#include "my_layout.h"
#include "my_live.h"
#include "my_names.h"
#include "my_sqlcom.h"
#include "my_stmt_text.h"
#include "my_successor.h"
#include "my_watch_stops.h"
#include "watchdog.h"
#include "pg_backend.h"   /* sw_proc_state */
#include "pg_scope.h"   /* sw_pg_scope_kdev: a device number as the kernel writes it */
#include "my_verdict_cache.h"
#include "plan_gate.h"
#include "proc_root.h"
#include "release_queue.h"
#include "request_id.h"
#include "ring_reader.h"
#include "role_pattern.h"
#include "session_record.h"
#include "tracefs_mount.h"
#include "util.h"
#include "who_fields.h"

/* A held command whose report has not come (ring buffer full) is refused after this long. */
#define UNREPORTED_DENY_NS (2000ull * 1000000ull)

/* A prepared statement id whose execution the kernel's cache allows: the text judged (for the records). */
struct my_cached_stmt {
	uint32_t id;
	char *text;
	struct sw_analysis a;      /* its analysis, made once (the entry is for one sql_mode) */
};

/* A statement a session prepared (protocol or SQL PREPARE) that policy allowed. */
struct my_prepared {
	char *name;                /* SQL PREPARE name; NULL for a protocol prepare */
	struct sw_stmt st;         /* how it was classified (class of the inner statement) */
};

struct my_session {
	uint64_t conn_id;
	uint64_t serial;           /* unique in this daemon's life: the session's key for approved plans */
	/* Code ran that can prepare statements sqlward never saw (CALL, an unresolved EXECUTE...):
	 * a protocol EXECUTE can no longer be tied to what was judged. */
	bool tainted;
	char taint_reason[160];
	struct my_prepared *prep;
	size_t n_prep, cap_prep;
	uint64_t last_ns;
	/* Who is asking: the client process, looked for once (a connection's client does not change).
	 * application_name has no MariaDB counterpart sqlward reads (program_name is a connection
	 * attribute the server keeps only in performance_schema). */
	bool client_looked;
	char client_exe[256];      /* "" not on this host or unknown */
	char client_cmdline[1024];
	struct sw_who_cache who;   /* client_exe and client_cmdline rendered once for its records */
	/* Its names from its last event that carried them (SW_MY_EV_NAMELESS events do not). */
	bool have_names;
	struct sw_my_names names;
	/* Its observed commands' extra members (event_extra), made once and updated in place: the
	 * account and login they were made for (remade when either changes). */
	json_t *obs_extra;
	char obs_account[2 * SW_MY_NAME_MAX + 8];
	char obs_login[SW_MY_NAME_MAX];
	/* Statement ids in the kernel's verdict cache (dropped with them). */
	struct my_cached_stmt *cstmt;
	size_t n_cstmt, cap_cstmt;
	/* The texts of the prepared statements its observed executions run (my_stmt_text.h), and its
	 * observed COM_STMT_EXECUTE waiting for its statement's text (NULL: none). */
	struct sw_my_stmt_texts texts;
	struct sw_my_event *parked;
};

/* A governed command: its report and its stopped thread, paired by thread id. */
struct my_pending {
	pid_t tid;
	struct sw_my_event *ev;    /* NULL until the report arrives */
	bool have_stop;
	struct sw_my_stop stop;
	uint64_t since_ns;
};

static const struct sw_hold_ops my_hold_ops;
static const struct sw_release_ops my_release_ops;
static const struct sw_engine_gate_ops my_gate_ops;
static void my_gate_close(struct sw_my_gate *g);
static pid_t stopped_successor(struct sw_my_gate *g);
static void successor_release(struct sw_my_gate *g, pid_t pid);
static void report_counters(struct sw_my_gate *g);
/* Did a gate's restart watch stop the server (sw_my_watch_stopped: 1 yes, 0 no, -1 unknown)? */
struct watch_stop {
	int r;
	uint32_t map_id;
	char err[512];
};
static void watch_stop_of(struct sw_my_gate *g, struct watch_stop *w);
static void resume_watch_stopped(struct sw_my_gate *g, const struct watch_stop *w);
static void drop_dead_watches(struct sw_my_gate *g);
static int gate_open(struct sw_daemon *d, pid_t pid, bool enforce, bool startup, struct sw_engine_gate *out,
		     char *err, size_t errlen);

/* A command the policy decided, stopped until its record allows it to move (release_queue.h). */
struct my_release {
	struct sw_my_gate *g;
	struct sw_my_event *ev;    /* its report (owned) */
	pid_t tid;
	struct sw_analysis a;      /* what it runs (owned) */
	char *text;                /* the command as read (owned; for the verdict cache) */
	size_t len;
	bool complete;
	enum sw_verdict verdict;   /* the policy's (for the verdict cache) */
	unsigned budget_ms;        /* its runtime budget */
	const char *decided_by;    /* static */
	uint64_t policy_gen;       /* d->policy_gen when judged (a reload meanwhile: not cached; an
				    * address compare could match a new policy at a freed one's address) */
	bool gate_refused;
	uint64_t seq;              /* its record's (its completion points there) */
	char msg[400];             /* refused: what the client reads */
};

/* A command held for a human: lives in a struct sw_hold (holds.c decides it). */
struct sw_my_hold {
	struct sw_my_gate *g;
	pid_t tid;
	uint64_t conn_id;
	uint32_t command;
	bool execute;              /* held at the execution checkpoint (not at its client command) */
	uint64_t start_ns;         /* the command's event time: pairs its completion */
	unsigned long inode;       /* the connection's socket (0: unknown) */
};

struct sw_my_gate {
	struct sw_daemon *d;
	struct sw_my_event *scratch;   /* the event being handled, rebuilt whole from its ring record */
	bool closing;              /* stopping: nothing new is held for a human */
	struct mariadb_bpf *skel;
	struct sw_ring *rb;
	struct bpf_link *link;
	struct bpf_link *end_link;     /* unlink_thd: connections that ended */
	struct bpf_link *exec_link;    /* mysql_execute_command: the execution checkpoint */
	struct bpf_link *ret_link;     /* dispatch_command's return: completions */
	struct bpf_link *chdir_link;   /* chdir's return: a successor stopped in the data directory */
	struct bpf_link *fchdir_link;  /* fchdir's: the same, entered through a directory fd */
	struct sw_my_completions *done;    /* completions and runtime budgets (NULL: not recorded) */
	struct sw_my_holder *holder;
	pid_t pid;
	bool enforce;
	char bin_path[512];             /* as the process names it (its /proc/PID/maps) */
	char bin_shown[4200];           /* as the host reaches it: /proc/PID/root/... in a container */
	struct sw_my_layout layout;
	struct my_session *sess;
	size_t n_sess, cap_sess;
	struct my_pending *pend;
	size_t n_pend, cap_pend;
	uint64_t decided, observed, refused_unreported;
	/* Backpressure (bpf/mariadb.h, SW_MY_ACT_WAITED): commands recorded while their thread waited. */
	uint64_t waited_recorded;
	/* How long the ring went unread: the longest time between two passes (the whole loop's
	 * work in between: ledger syncs, other gates, the control socket) and the longest pass. A
	 * stalled loop loses records, or with backpressure stalls the server's commands. */
	uint64_t last_pass_end_ns, longest_gap_ns, longest_pass_ns;
	/* The kernel's counters as last written to the ledger (report_counters). */
	uint64_t noted_lost, noted_waited, noted_refused;
	/* The kernel's verdict cache (my_verdict_cache.h): wanted unless --no-cache or observing; on
	 * while also nothing is frozen and the ledger writes. */
	struct sw_my_vcache *vc;
	/* Observed prepared statements' texts (my_stmt_text.h): the bounds and what all hold; sessions
	 * with a COM_STMT_EXECUTE waiting for its text; a bound's warning given. */
	struct sw_my_stmt_text_budget texts;
	uint64_t texts_reported;   /* text reports received */
	size_t n_parked;
	bool texts_full_noted;
	bool cache_wanted;
	bool ledger_failing;       /* as the last ledger_state said */
	uint64_t cache_recorded, cache_stored;
	/* Live context (policy `live: { mysql_dsn }`): one connection, remade when the DSN changes. */
	struct sw_my_live_conn *live;
	char *live_dsn, *live_database;
	/* The server restarted (my_successor.h): its data directory, its exit, and the successor. */
	struct sw_my_server_id server;
	bool follow;               /* server known: a restart is followed */
	int pidfd;
	bool exited;
	uint64_t exited_ns, next_scan_ns;
	pid_t tried_pid;           /* a successor that could not be gated yet, and how often */
	unsigned tries;
	uint64_t early_since_ns;   /* a successor stopped while this server still runs: since when */
	bool stopped_at_start;     /* `sqlward run` found the server stopped (state T) */
};

static const char *command_name(uint32_t c)
{
	static const char *const names[] = {
		"COM_SLEEP", "COM_QUIT", "COM_INIT_DB", "COM_QUERY", "COM_FIELD_LIST", "COM_CREATE_DB",
		"COM_DROP_DB", "COM_REFRESH", "COM_SHUTDOWN", "COM_STATISTICS", "COM_PROCESS_INFO",
		"COM_CONNECT", "COM_PROCESS_KILL", "COM_DEBUG", "COM_PING", "COM_TIME", "COM_DELAYED_INSERT",
		"COM_CHANGE_USER", "COM_BINLOG_DUMP", "COM_TABLE_DUMP", "COM_CONNECT_OUT", "COM_REGISTER_SLAVE",
		"COM_STMT_PREPARE", "COM_STMT_EXECUTE", "COM_STMT_SEND_LONG_DATA", "COM_STMT_CLOSE",
		"COM_STMT_RESET", "COM_SET_OPTION", "COM_STMT_FETCH", "COM_DAEMON", "COM_UNIMPLEMENTED",
		"COM_RESET_CONNECTION",
	};
	if (c < sizeof(names) / sizeof(names[0]))
		return names[c];
	if (c == 250)
		return "COM_STMT_BULK_EXECUTE";
	if (c == 254)
		return "COM_MULTI";
	return "COM_UNKNOWN";
}

/* ---- sessions ------------------------------------------------------------ */

static struct my_session *session_of(struct sw_my_gate *g, uint64_t conn_id)
{
	for (size_t i = 0; i < g->n_sess; i++)
		if (g->sess[i].conn_id == conn_id)
			return &g->sess[i];
	if (g->n_sess == g->cap_sess) {
		g->cap_sess = g->cap_sess ? g->cap_sess * 2 : 32;
		g->sess = sw_xrealloc(g->sess, g->cap_sess * sizeof(*g->sess));
	}
	memset(&g->sess[g->n_sess], 0, sizeof(g->sess[0]));
	g->sess[g->n_sess].conn_id = conn_id;
	g->sess[g->n_sess].serial = ++g->d->next_session_serial;
	return &g->sess[g->n_sess++];
}

static void cstmt_clear(struct my_session *s)
{
	for (size_t i = 0; i < s->n_cstmt; i++) {
		free(s->cstmt[i].text);
		sw_analysis_free(&s->cstmt[i].a);
	}
	free(s->cstmt);
	s->cstmt = NULL;
	s->n_cstmt = s->cap_cstmt = 0;
}

static struct my_cached_stmt *cstmt_find(struct my_session *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_cstmt; i++)
		if (s->cstmt[i].id == id)
			return &s->cstmt[i];
	return NULL;
}

static void cstmt_drop(struct my_session *s, uint32_t id)
{
	struct my_cached_stmt *c = cstmt_find(s, id);

	if (!c)
		return;
	free(c->text);
	sw_analysis_free(&c->a);
	*c = s->cstmt[--s->n_cstmt];
}

/* The connection's statement ids leave the kernel's cache (change of user, reset, end). */
static void forget_cached_statements(struct sw_my_gate *g, struct my_session *s)
{
	if (s->n_cstmt)
		sw_my_vcache_forget_connection(g->vc, (uint32_t)g->pid, s->conn_id);
	cstmt_clear(s);
}

/* ---- observed prepared statements' texts (my_stmt_text.h) ------------------ */

/* The kernel's map of the ids whose text the daemon holds (bpf/mariadb.h, my_stmt_known). Filled
 * after the text is kept and emptied before it goes: the kernel never skips a report the daemon
 * needs. */
static void known_set(struct sw_my_gate *g, uint64_t conn_id, uint32_t id, bool known)
{
	struct sw_my_stmt_key k = { .tgid = (uint32_t)g->pid, .stmt_id = id, .conn_id = conn_id };
	uint32_t one = 1;

	if (!g->skel)
		return;
	if (known)
		bpf_map_update_elem(bpf_map__fd(g->skel->maps.my_stmt_known), &k, &one, BPF_ANY);
	else
		bpf_map_delete_elem(bpf_map__fd(g->skel->maps.my_stmt_known), &k);
}

/* The server forgot the connection's statements (reset, change of user, its end): so do we. */
static void texts_forget(struct sw_my_gate *g, struct my_session *s)
{
	for (size_t i = 0; i < s->texts.n; i++)
		known_set(g, s->conn_id, s->texts.v[i].id, false);
	sw_my_stmt_text_clear(&s->texts, &g->texts);
}

static void parked_free(struct sw_my_gate *g, struct my_session *s)
{
	if (!s->parked)
		return;
	free(s->parked);
	s->parked = NULL;
	g->n_parked--;
}

static void session_clear(struct my_session *s)
{
	for (size_t i = 0; i < s->n_prep; i++) {
		free(s->prep[i].name);
		sw_stmt_free(&s->prep[i].st);
	}
	free(s->prep);
	s->prep = NULL;
	s->n_prep = s->cap_prep = 0;
	s->tainted = false;
	s->taint_reason[0] = 0;
}

/* A connection ended: forget what it prepared. */
static void session_end(struct sw_my_gate *g, uint64_t conn_id)
{
	for (size_t i = 0; i < g->n_sess; i++)
		if (g->sess[i].conn_id == conn_id) {
			struct sw_plan_entry *run = sw_plan_store_session_ended(g->d->plans, SW_ENGINE_MYSQL,
										 g->sess[i].serial);
			if (run) {
				/* Its run is used: the rest of the plan does not run elsewhere. */
				json_t *f = json_pack("{s:s, s:i, s:I, s:i, s:i}", "plan", run->plan->id, "pid",
						      (int)g->pid, "connection_id", (json_int_t)conn_id, "next_step",
						      (int)run->run.next + 1, "steps", (int)run->plan->n_steps);
				sw_daemon_note(g->d, "plan_run_incomplete", f);
				json_decref(f);
			}
			forget_cached_statements(g, &g->sess[i]);
			texts_forget(g, &g->sess[i]);
			parked_free(g, &g->sess[i]);
			session_clear(&g->sess[i]);
			sw_who_cache_free(&g->sess[i].who);
			json_decref(g->sess[i].obs_extra);
			g->sess[i] = g->sess[--g->n_sess];
			if (g->done)
				sw_my_completion_forget(g->d, g->done, conn_id);
			return;
		}
}

static void session_add_prepared(struct my_session *s, const char *name, const struct sw_stmt *st)
{
	if (s->n_prep == s->cap_prep) {
		s->cap_prep = s->cap_prep ? s->cap_prep * 2 : 8;
		s->prep = sw_xrealloc(s->prep, s->cap_prep * sizeof(*s->prep));
	}
	s->prep[s->n_prep].name = name ? sw_xstrdup(name) : NULL;
	sw_stmt_copy(&s->prep[s->n_prep].st, st);
	s->n_prep++;
}

static const struct my_prepared *session_find_prepared(const struct my_session *s, const char *name)
{
	/* The latest PREPARE of a name is the one EXECUTE runs. */
	for (size_t i = s->n_prep; i-- > 0;)
		if (s->prep[i].name && strcasecmp(s->prep[i].name, name) == 0)
			return &s->prep[i];
	return NULL;
}

/* ---- analysis of one command ---------------------------------------------- */

static void one_stmt(struct sw_analysis *a, const char *text, enum sw_class cls, const char *command,
		     unsigned traits, const char *reason)
{
	a->engine = SW_ENGINE_MYSQL;
	a->parse_ok = true;
	a->stmts = sw_xcalloc(1, sizeof(*a->stmts));
	a->n_stmts = 1;
	a->stmts[0].text = sw_xstrdup(text);
	a->stmts[0].cls = cls;
	a->stmts[0].command = sw_xstrdup(command);
	a->stmts[0].traits = traits;
	if (reason)
		sw_strv_push(&a->stmts[0].reasons, reason);
}

/* Replace each EXECUTE name by what the session prepared under it. */
static void resolve_executes(struct my_session *s, struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++) {
		struct sw_stmt *st = &a->stmts[i];
		const struct my_prepared *p;
		char *text, *name;

		if (!st->execute_name)
			continue;
		p = session_find_prepared(s, st->execute_name);
		if (!p) {
			st->cls = SW_CLASS_UNKNOWN;
			st->traits |= SW_TRAIT_UNRESOLVED;
			sw_strv_push(&st->reasons, "EXECUTE of a name this session never prepared through sqlward: "
				     "what it runs is unknown");
			continue;
		}
		text = sw_xstrdup(st->text);
		name = sw_xstrdup(st->execute_name);
		sw_stmt_free(st);
		sw_stmt_copy(st, &p->st);
		free(st->prepared_text);
		st->prepared_text = st->text;
		st->text = text;
		free(st->prepare_name);
		st->prepare_name = NULL;
		free(st->execute_name);
		st->execute_name = name;
		free(st->command);
		st->command = sw_xstrdup("EXECUTE");
		st->traits |= SW_TRAIT_PREPARED;
	}
}

/* A protocol EXECUTE may run any statement this session prepared: each one is judged. */
static void analyze_protocol_execute(struct my_session *s, uint32_t stmt_id, struct sw_analysis *a)
{
	char text[96];

	snprintf(text, sizeof(text), "(COM_STMT_EXECUTE of prepared statement %u)", stmt_id);
	if (s->tainted || s->n_prep == 0) {
		one_stmt(a, text, SW_CLASS_UNKNOWN, "EXECUTE", SW_TRAIT_UNRESOLVED,
			 s->tainted ? s->taint_reason
				    : "no statement this session prepared passed sqlward (none, or prepared before sqlward "
				      "attached): what it runs is unknown");
		return;
	}
	a->engine = SW_ENGINE_MYSQL;
	a->parse_ok = true;
	a->stmts = sw_xcalloc(s->n_prep, sizeof(*a->stmts));
	a->n_stmts = s->n_prep;
	for (size_t i = 0; i < s->n_prep; i++) {
		struct sw_stmt *st = &a->stmts[i];
		sw_stmt_copy(st, &s->prep[i].st);
		st->traits |= SW_TRAIT_PREPARED;
		sw_strv_push(&st->reasons, "a protocol EXECUTE names its statement by a number sqlward does not "
			     "map: every statement this session prepared is judged");
	}
}

static void analyze_command(struct sw_my_gate *g, struct my_session *s, const struct sw_my_event *ev,
			    const char *text, size_t len, struct sw_analysis *a, char **judged)
{
	unsigned mode = sw_my_mode_from_server(ev->sql_mode);
	char buf[256];

	(void)g;
	memset(a, 0, sizeof(*a));
	if ((ev->command == SW_MY_COM_QUERY || ev->command == SW_MY_COM_STMT_PREPARE) && memchr(text, 0, len)) {
		/* The server's lexer and ours may disagree about where a NUL ends the text. */
		*judged = sw_xstrndup(text, len);
		one_stmt(a, *judged, SW_CLASS_UNKNOWN, "UNKNOWN", 0,
			 "the statement contains a NUL byte: what the server parses after it is not judged");
		return;
	}
	switch (ev->command) {
	case SW_MY_COM_QUERY:
		*judged = sw_xstrndup(text, len);
		sw_my_analyze(*judged, mode, a);
		resolve_executes(s, a);
		return;
	case SW_MY_COM_STMT_PREPARE:
		*judged = sw_xstrndup(text, len);
		sw_my_analyze(*judged, mode, a);
		for (size_t i = 0; i < a->n_stmts; i++) {
			a->stmts[i].traits |= SW_TRAIT_PREPARED;
			sw_strv_push(&a->stmts[i].reasons, "prepared through the protocol (COM_STMT_PREPARE): "
				     "judged as the statement its executions run");
		}
		resolve_executes(s, a);
		return;
	case SW_MY_COM_STMT_EXECUTE: {
		uint32_t id = 0;
		if (len >= 4)
			id = (uint32_t)(unsigned char)text[0] | (uint32_t)(unsigned char)text[1] << 8 |
			     (uint32_t)(unsigned char)text[2] << 16 | (uint32_t)(unsigned char)text[3] << 24;
		analyze_protocol_execute(s, id, a);
		/* Not the first candidate's text: which one runs is not known here (every one was judged). */
		*judged = sw_xasprintf("(COM_STMT_EXECUTE of prepared statement %u)", id);
		return;
	}
	case 2: /* COM_INIT_DB */
		snprintf(buf, sizeof(buf), "(COM_INIT_DB %.*s)", (int)(len < 200 ? len : 200), text);
		one_stmt(a, buf, SW_CLASS_SESSION, "USE", 0, "changes the session's default database");
		break;
	case SW_MY_COM_CHANGE_USER:
		one_stmt(a, "(COM_CHANGE_USER)", SW_CLASS_SESSION, "CHANGE USER", SW_TRAIT_SESSION_ESCALATION,
			 "re-authenticates the connection as another account");
		break;
	case SW_MY_COM_RESET_CONNECTION:
		one_stmt(a, "(COM_RESET_CONNECTION)", SW_CLASS_SESSION, "RESET CONNECTION", 0,
			 "resets the session's state (variables, prepared statements, temporary tables)");
		break;
	case 27: /* COM_SET_OPTION */
		one_stmt(a, "(COM_SET_OPTION)", SW_CLASS_SESSION, "SET OPTION", 0,
			 "switches multi-statement mode for the connection");
		break;
	case 4: /* COM_FIELD_LIST */
		snprintf(buf, sizeof(buf), "(COM_FIELD_LIST %.*s)", (int)strnlen(text, len < 200 ? len : 200), text);
		one_stmt(a, buf, SW_CLASS_READ, "SHOW COLUMNS", 0, "lists a table's columns");
		break;
	case SW_MY_COM_STMT_FETCH:
		one_stmt(a, "(COM_STMT_FETCH)", SW_CLASS_READ, "FETCH", 0,
			 "fetches rows of a cursor opened by a judged execution");
		break;
	case SW_MY_COM_STATISTICS:
		one_stmt(a, "(COM_STATISTICS)", SW_CLASS_READ, "STATUS", 0, "server status summary");
		break;
	default:
		snprintf(buf, sizeof(buf), "(%s)", command_name(ev->command));
		one_stmt(a, buf, SW_CLASS_UNKNOWN, command_name(ev->command), 0,
			 "a protocol command sqlward does not judge for governed accounts");
		break;
	}
	*judged = sw_xstrdup(a->stmts[0].text);
}

/* After an allowed command: what the session can now execute. */
static void track_allowed(struct my_session *s, uint32_t command, const struct sw_analysis *a)
{
	if (command == SW_MY_COM_RESET_CONNECTION || command == SW_MY_COM_CHANGE_USER) {
		session_clear(s);
		return;
	}
	for (size_t i = 0; i < a->n_stmts; i++) {
		const struct sw_stmt *st = &a->stmts[i];
		if (command == SW_MY_COM_STMT_PREPARE)
			session_add_prepared(s, NULL, st);
		else if (st->prepare_name)
			session_add_prepared(s, st->prepare_name, st);
		if ((st->traits & (SW_TRAIT_OPAQUE_CODE | SW_TRAIT_UNRESOLVED)) && !s->tainted) {
			s->tainted = true;
			snprintf(s->taint_reason, sizeof(s->taint_reason),
				 "this session ran %s, which can prepare statements sqlward does not see: a protocol "
				 "EXECUTE cannot be tied to a judged statement", st->command ? st->command : "code");
		}
	}
}

/* ---- deciding ---------------------------------------------------------------- */

static void account_of(const struct sw_my_event *ev, char *out, size_t cap)
{
	snprintf(out, cap, "'%s'@'%s'", ev->priv_user, ev->priv_host);
}

static json_t *event_extra(const struct sw_my_event *ev, const char *database)
{
	char account[2 * SW_MY_NAME_MAX + 8];
	json_t *x;

	account_of(ev, account, sizeof(account));
	x = json_pack("{s:I, s:s, s:s, s:i, s:I}", "connection_id", (json_int_t)ev->conn_id, "account", account,
		      "protocol_command", command_name(ev->command), "thread", (int)ev->tid, "sql_mode",
		      (json_int_t)ev->sql_mode);
	if (ev->flags & SW_MY_SESS_DIFFERS)
		json_object_set_new(x, "login_user", json_string(ev->user));
	if (database)
		json_object_set_new(x, "database_at_command", json_string(database));
	if (ev->type == SW_MY_EV_EXECUTE) {
		json_object_set_new(x, "server_command", json_string(sw_my_sqlcom_name(ev->sql_command)));
		json_object_del(x, "protocol_command");
	}
	return x;
}

static const char *via_of_event(const struct sw_my_event *ev)
{
	if (ev->type == SW_MY_EV_EXECUTE)
		return ev->flags & SW_MY_EXEC_NESTED ? "nested" : "execution-check";
	return ev->command == SW_MY_COM_QUERY ? NULL
	       : ev->command == SW_MY_COM_STMT_PREPARE ? "prepare"
	       : ev->command == SW_MY_COM_STMT_EXECUTE ? "execute" : "command";
}


/* The role a governed event is judged as: whichever of its names the policy governs. */
static const char *subject_role(const struct sw_daemon *d, const struct sw_my_event *ev)
{
	if (sw_policy_governs(d->policy, ev->user))
		return ev->user;
	if (ev->priv_user[0] && sw_policy_governs(d->policy, ev->priv_user))
		return ev->priv_user;
	return ev->user;
}

/* mariadbd's memory, through the holder, or directly when nothing is traced (observe-only). */
static bool gate_read(const struct sw_my_gate *g, uint64_t addr, void *buf, size_t len)
{
	return g->holder ? sw_my_holder_read(g->holder, addr, buf, len) : sw_my_read_memory(g->pid, addr, buf, len);
}

static unsigned long connection_inode(struct sw_my_gate *g, uint64_t thd);
static void note_connect(struct sw_my_gate *g, const struct my_session *s, const struct sw_my_event *ev);

/* The session's client process (once), for the subject and the ledger; then its session_start. */
static void session_who(struct sw_my_gate *g, struct my_session *s, const struct sw_my_event *ev)
{
	struct sw_client_process cp;

	if (s->client_looked)
		return;
	s->client_looked = true;
	if (sw_client_process_of_socket((int)g->pid, connection_inode(g, ev->thd), &cp)) {
		snprintf(s->client_exe, sizeof(s->client_exe), "%s", cp.exe);
		snprintf(s->client_cmdline, sizeof(s->client_cmdline), "%s", cp.cmdline);
	}
	note_connect(g, s, ev);
}

/* The ledger's who-is-asking fields: client process, and the request id of the statement's
 * leading comment (judged: the text as classified). */
static void add_who(const struct my_session *s, const struct sw_my_event *ev, const char *judged, json_t **extra)
{
	char id[SW_REQUEST_ID_MAX + 1] = "";

	if (judged && ev->type != SW_MY_EV_EXECUTE)
		sw_request_id_my(judged, strlen(judged), sw_my_mode_from_server(ev->sql_mode), id);
	sw_who_fields_add(extra, NULL, s->client_exe, s->client_cmdline, id);
}

/*
 * event_extra(ev, NULL) of an observed client command, as the session's object updated in place
 * (the same members in the same order, so the same record bytes): an object made and freed per
 * command was a tenth of the daemon's time on the observe path. The caller does not own it.
 */
static const json_t *observed_extra(struct my_session *s, const struct sw_my_event *ev)
{
	char account[sizeof(s->obs_account)];
	const char *login = ev->flags & SW_MY_SESS_DIFFERS ? ev->user : "";
	const char *cmd = command_name(ev->command);
	json_t *pc;

	account_of(ev, account, sizeof(account));
	if (!s->obs_extra || strcmp(account, s->obs_account) != 0 || strcmp(login, s->obs_login) != 0 ||
	    json_integer_value(json_object_get(s->obs_extra, "connection_id")) != (json_int_t)ev->conn_id) {
		json_decref(s->obs_extra);
		s->obs_extra = event_extra(ev, NULL);
		snprintf(s->obs_account, sizeof(s->obs_account), "%s", account);
		snprintf(s->obs_login, sizeof(s->obs_login), "%s", login);
		return s->obs_extra;
	}
	pc = json_object_get(s->obs_extra, "protocol_command");
	if (strcmp(json_string_value(pc), cmd) != 0)
		json_string_set(pc, cmd);
	json_integer_set(json_object_get(s->obs_extra, "thread"), (json_int_t)(int)ev->tid);
	json_integer_set(json_object_get(s->obs_extra, "sql_mode"), (json_int_t)ev->sql_mode);
	return s->obs_extra;
}

static uint32_t packet_stmt_id(const struct sw_my_event *ev)
{
	const unsigned char *t = (const unsigned char *)ev->text;
	return ev->text_len < 4 ? 0 : (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
}

/*
 * What an observed COM_STMT_EXECUTE ran: its statement's text (the text itself, and its analysis
 * as a COM_QUERY of it would be classified), or, when no text is known, why.
 */
struct exec_text {
	const struct sw_analysis *a;
	const char *text;
	size_t len;
	bool complete;
	const char *why;
};

/* No text known: a statement of class unknown saying why (with the session's judged candidates
 * instead when it has some: a governed session observed, as before). */
static void analyze_execute_unknown(struct my_session *s, uint32_t id, const char *why, struct sw_analysis *a)
{
	char text[96];

	if (s->tainted || s->n_prep) {
		analyze_protocol_execute(s, id, a);
		return;
	}
	memset(a, 0, sizeof(*a));
	snprintf(text, sizeof(text), "(COM_STMT_EXECUTE of prepared statement %u)", id);
	one_stmt(a, text, SW_CLASS_UNKNOWN, "EXECUTE", SW_TRAIT_UNRESOLVED, why);
}

/* The observed commands' shared extra object with the prepared statement's id, or without it. */
static void set_prepared_id(json_t *extra, const struct sw_my_event *ev)
{
	json_t *v = json_object_get(extra, "prepared_statement_id");

	if (ev->command != SW_MY_COM_STMT_EXECUTE || ev->text_len < 4) {
		if (v)
			json_object_del(extra, "prepared_statement_id");
	} else if (v) {
		json_integer_set(v, packet_stmt_id(ev));
	} else {
		json_object_set_new(extra, "prepared_statement_id", json_integer(packet_stmt_id(ev)));
	}
}

/* x: an observed COM_STMT_EXECUTE's text (or why it is unknown); NULL for any other command. */
static void record_observed_as(struct sw_my_gate *g, const struct sw_my_event *ev, const struct exec_text *x)
{
	struct sw_daemon *d = g->d;
	struct sw_analysis a;
	const struct sw_analysis *ap = &a;
	struct sw_judgement *per, overall;
	struct my_session *s = session_of(g, ev->conn_id);
	char *judged = NULL;
	json_t *own_extra = NULL;
	const json_t *extra;
	struct sw_decision dec;
	struct sw_subject subj = { .role = ev->user, .database = NULL, .engine = SW_ENGINE_MYSQL };
	size_t len = ev->text_len < ev->packet_len ? ev->text_len : ev->packet_len;
	char request_id[SW_REQUEST_ID_MAX + 1] = "";

	memset(&a, 0, sizeof(a));
	if (x && x->a) {
		ap = x->a;
		judged = sw_xstrndup(x->text, x->len);
	} else if (x) {
		analyze_execute_unknown(s, packet_stmt_id(ev), x->why, &a);
		judged = sw_xstrdup(a.stmts[0].text);
	} else {
		analyze_command(g, s, ev, ev->text, len, &a, &judged);
	}
	session_who(g, s, ev);
	subj.client_exe = s->client_exe[0] ? s->client_exe : NULL;
	per = sw_xcalloc(ap->n_stmts ? ap->n_stmts : 1, sizeof(*per));
	sw_policy_judge(d->policy, &subj, ap, per, &overall);
	if (ev->type == SW_MY_EV_COMMAND) {
		extra = observed_extra(s, ev);
		set_prepared_id((json_t *)extra, ev);
	} else {
		extra = own_extra = event_extra(ev, NULL);
	}
	memset(&dec, 0, sizeof(dec));
	sw_mono_to_timespec(d, ev->ktime_ns, &dec.time);
	dec.engine = SW_ENGINE_MYSQL;
	dec.pid = (int)ev->tgid;
	dec.role = ev->user;
	dec.client = ev->host[0] ? ev->host : NULL;
	dec.governed = (ev->flags & SW_MY_SESS_GOVERNED) != 0;
	dec.statement = judged;
	dec.statement_len = strlen(judged);
	dec.statement_complete = x && x->a ? x->complete : ev->command != SW_MY_COM_QUERY || ev->packet_len <= ev->text_len;
	dec.analysis = ap;
	dec.per_stmt = per;
	dec.overall = &overall;
	dec.outcome = ev->action == SW_MY_ACT_KILLED ? "server_ended" : dec.governed ? "ran" : "observed";
	dec.decided_by = ev->action == SW_MY_ACT_KILLED ? "kernel" : dec.governed ? "inert" : NULL;
	dec.via = via_of_event(ev);
	dec.extra = extra;
	/* Who is asking, as add_who would add it (after every extra member), rendered once per session. */
	if (ev->type != SW_MY_EV_EXECUTE)
		sw_request_id_my(judged, strlen(judged), sw_my_mode_from_server(ev->sql_mode), request_id);
	sw_who_cache_update(&s->who, NULL, s->client_exe, s->client_cmdline);
	dec.who = (struct sw_who_ref){ .fields = &s->who, .request_id = request_id, .at = json_object_size(extra) };
	/* A command that ran on: its record waits for its completion, to be written with it. */
	if (g->done && ev->type == SW_MY_EV_COMMAND && ev->action != SW_MY_ACT_KILLED)
		sw_my_completion_record_deferred(d, g->done, &dec, ev->conn_id, ev->ktime_ns, ev->user);
	else
		sw_gate_record(d, &dec, false, NULL);   /* (killed: nothing waits for it; kept if the ledger fails) */
	if (dec.governed)
		track_allowed(s, ev->command, ap);
	g->observed++;
	json_decref(own_extra);
	free(per);
	free(judged);
	sw_analysis_free(&a);
}

/*
 * An observed command. A COM_STMT_EXECUTE names its statement by id: recorded with the text the
 * connection's statement of that id runs when the daemon has it; otherwise it waits (parked) for
 * the probe's report of the text at the statement's execution (on_prepared_text), or for what
 * shows the report will not come (its completion, the connection's next event: parked_unknown).
 */
static void record_observed(struct sw_my_gate *g, const struct sw_my_event *ev)
{
	struct my_session *s;
	struct sw_my_stmt_text *e;
	char why[300];

	if (ev->type != SW_MY_EV_COMMAND || ev->command != SW_MY_COM_STMT_EXECUTE || ev->text_len < 4 ||
	    (ev->action != SW_MY_ACT_OBSERVED && ev->action != SW_MY_ACT_WAITED)) {
		record_observed_as(g, ev, NULL);
		return;
	}
	s = session_of(g, ev->conn_id);
	if ((e = sw_my_stmt_text_find(&s->texts, packet_stmt_id(ev)))) {
		struct exec_text x = { .a = sw_my_stmt_text_analysis(e, sw_my_mode_from_server(ev->sql_mode)),
				       .text = e->text, .len = e->len, .complete = e->complete };
		record_observed_as(g, ev, &x);
		return;
	}
	if (!g->done) {
		snprintf(why, sizeof(why), "sqlward cannot read this server's command completions, without which "
			 "the text of a prepared statement is not reported: what prepared statement %u ran is unknown",
			 packet_stmt_id(ev));
		record_observed_as(g, ev, &(struct exec_text){ .why = why });
		return;
	}
	parked_free(g, s);
	s->parked = sw_xmalloc(sizeof(*ev));
	memcpy(s->parked, ev, sizeof(*ev));
	g->n_parked++;
}

/* The connection's parked COM_STMT_EXECUTE, if any, recorded without its text, saying why (a
 * format with the statement id's %u). */
static void parked_unknown(struct sw_my_gate *g, uint64_t conn_id, const char *why_fmt, uint32_t sql_errno)
{
	struct sw_my_event *ev = NULL;
	char why[300];

	if (!g->n_parked)
		return;
	for (size_t i = 0; i < g->n_sess; i++)
		if (g->sess[i].conn_id == conn_id && g->sess[i].parked) {
			ev = g->sess[i].parked;
			g->sess[i].parked = NULL;
			g->n_parked--;
			break;
		}
	if (!ev)
		return;
	snprintf(why, sizeof(why), why_fmt, packet_stmt_id(ev), sql_errno);
	record_observed_as(g, ev, &(struct exec_text){ .why = why });
	free(ev);
}

#define WHY_NOT_REPORTED "sqlward received no report of the text prepared statement %u ran (a report lost to a " \
			 "full ring buffer is counted in lost_events): what it ran is unknown"
#define ER_UNKNOWN_STMT_HANDLER 1243
#define WHY_NO_SUCH "the server has no prepared statement %u on this connection (error %u): nothing ran"
#define WHY_ERROR "no report of the text prepared statement %u ran came, and it ended with error %u (an error " \
		  "before it ran, or a report lost to a full ring buffer, counted in lost_events): what it ran is unknown"
#define WHY_STOPPING "sqlward stopped before the text of prepared statement %u was reported: what it ran is unknown"

/*
 * The probe's report of the text an observed execution of a prepared statement runs: kept for
 * the id (the kernel then stops reporting it), and the connection's parked COM_STMT_EXECUTE of
 * that id recorded with it. A text past the bounds is used for this execution only.
 */
static void on_prepared_text(struct sw_my_gate *g, const struct sw_my_event *ev)
{
	struct my_session *s = session_of(g, ev->conn_id);
	size_t len = ev->text_len < ev->packet_len ? ev->text_len : ev->packet_len;
	bool complete = ev->packet_len <= ev->text_len;
	enum sw_my_stmt_text_put r = sw_my_stmt_text_put(&s->texts, &g->texts, ev->ref, ev->text, len, complete);
	struct sw_my_stmt_text once = { 0 }, *e = &once;
	struct sw_my_event *pe = s->parked;

	g->texts_reported++;
	if (r == SW_MY_STMT_TEXT_KEPT) {
		known_set(g, ev->conn_id, ev->ref, true);
		e = sw_my_stmt_text_find(&s->texts, ev->ref);
	} else if (r != SW_MY_STMT_TEXT_LAST && !g->texts_full_noted) {
		g->texts_full_noted = true;
		fprintf(stderr, "sqlward: warning: mariadbd %d: prepared statement texts past sqlward's bound (%zu per "
			"connection, %zu or %zu bytes in all) are not kept: each execution of such a statement reports "
			"its text again (exact records, more work per execution); close statements no longer used\n",
			(int)g->pid, g->texts.per_conn, g->texts.total, g->texts.bytes);
	}
	if (!pe || packet_stmt_id(pe) != ev->ref)
		return;
	s->parked = NULL;
	g->n_parked--;
	if (e == &once) {
		once.text = sw_xstrndup(ev->text, len);
		once.len = len;
		once.complete = complete;
	}
	record_observed_as(g, pe, &(struct exec_text){ .a = sw_my_stmt_text_analysis(e, sw_my_mode_from_server(pe->sql_mode)),
						       .text = e->text, .len = e->len, .complete = e->complete });
	if (e == &once) {
		free(once.text);
		if (once.analyzed)
			sw_analysis_free(&once.a);
	}
	free(pe);
}

/*
 * A command the kernel's verdict cache allowed (SW_MY_ACT_CACHED): it ran without stopping,
 * and is recorded like an observed one, judged under the policy in force with what the entry
 * carried (the database it was allowed in). As PostgreSQL's kernel-cache allows: decided_by
 * "cache", and a policy that now judges otherwise (an entry made just before a reload or a
 * freeze) is said so, loudly.
 */
static void record_cached(struct sw_my_gate *g, const struct sw_my_event *ev)
{
	struct sw_daemon *d = g->d;
	struct my_session *s = session_of(g, ev->conn_id);
	const char *db = sw_my_vcache_db_name(g->vc, ev->ref);
	size_t len = ev->text_len < ev->packet_len ? ev->text_len : ev->packet_len;
	struct sw_analysis own;
	const struct sw_analysis *ap = &own;
	struct sw_judgement *per, overall, enforced;
	struct sw_subject subj;
	struct sw_decision dec;
	struct sw_plan_verdict plan = { 0 };
	char *judged = NULL, idtext[96];
	json_t *extra, *plan_ref = NULL;
	const struct my_cached_stmt *cs = NULL;

	memset(&own, 0, sizeof(own));
	if (ev->command == SW_MY_COM_STMT_EXECUTE && (cs = cstmt_find(s, packet_stmt_id(ev)))) {
		/* What its execution was judged as (a protocol EXECUTE's packet holds only the id). */
		ap = &cs->a;
		/* The text the statement id was cached for: what this execution runs. */
		snprintf(idtext, sizeof(idtext), "(COM_STMT_EXECUTE of prepared statement %u)", cs->id);
		judged = sw_xstrdup(cs->text ? cs->text : idtext);
	} else {
		analyze_command(g, s, ev, ev->text, len, &own, &judged);
	}
	session_who(g, s, ev);
	subj = (struct sw_subject){ .engine = SW_ENGINE_MYSQL, .role = subject_role(d, ev),
				    .database = db && db[0] ? db : NULL,
				    .client_exe = s->client_exe[0] ? s->client_exe : NULL };
	per = sw_xcalloc(ap->n_stmts ? ap->n_stmts : 1, sizeof(*per));
	sw_policy_judge(d->policy, &subj, ap, per, &overall);
	if (d->plans && ev->command == SW_MY_COM_QUERY) {
		char err[400];
		plan_ref = sw_plan_gate_consult(d->plans, d->policy, SW_ENGINE_MYSQL, s->serial, &subj, ap, per,
						&overall, false, &plan);
		if (plan_ref && sw_plan_gate_ran(d->plans, &plan, SW_ENGINE_MYSQL, s->serial, false, err,
						 sizeof(err)) < 0)
			fprintf(stderr, "sqlward: warning: a plan run could not be counted for a statement the kernel's "
				"cache allowed: %s\n", err);
	}
	enforced = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = overall.rule_id,
					  .reason = overall.reason, .stmt_index = overall.stmt_index,
					  .budget_ms = overall.verdict == SW_VERDICT_ALLOW ? overall.budget_ms : 0 };
	if (overall.verdict != SW_VERDICT_ALLOW) {
		fprintf(stderr, "sqlward: WARNING: the kernel's verdict cache allowed a MariaDB command the policy now "
			"judges %s (mariadbd %d connection %llu); caches are flushed on policy and freeze changes, so "
			"report this\n", sw_verdict_name(overall.verdict), (int)g->pid, (unsigned long long)ev->conn_id);
		enforced.rule_id = "cache";
		enforced.reason = "allowed in the kernel by a verdict made before the policy or freeze changed";
	}
	extra = event_extra(ev, db && db[0] ? db : NULL);
	add_who(s, ev, ev->command == SW_MY_COM_QUERY ? judged : NULL, &extra);
	if (cs)
		json_object_set_new(extra, "prepared_statement_id", json_integer(cs->id));
	if (plan_ref)
		json_object_set_new(extra, "plan", plan_ref);
	memset(&dec, 0, sizeof(dec));
	sw_mono_to_timespec(d, ev->ktime_ns, &dec.time);
	dec.engine = SW_ENGINE_MYSQL;
	dec.pid = (int)ev->tgid;
	dec.role = ev->user;
	dec.database = db && db[0] ? db : NULL;
	dec.client = ev->host[0] ? ev->host : NULL;
	dec.governed = true;
	dec.statement = judged;
	dec.statement_len = strlen(judged);
	dec.statement_complete = true;
	dec.analysis = ap;
	dec.per_stmt = per;
	dec.overall = &enforced;
	dec.outcome = "ran";
	dec.decided_by = "cache";
	dec.via = via_of_event(ev);
	dec.extra = extra;
	if (g->done) {
		sw_my_completion_record_deferred(d, g->done, &dec, ev->conn_id, ev->ktime_ns, ev->user);
		/* It has been running since it arrived: its runtime budget counts from then. */
		if (overall.verdict == SW_VERDICT_ALLOW)
			sw_my_completion_budget(g->done, ev->conn_id, ev->ktime_ns, overall.budget_ms, ev->ktime_ns);
	} else {
		sw_gate_record(d, &dec, false, NULL);
	}
	track_allowed(s, ev->command, ap);
	g->cache_recorded++;
	json_decref(extra);
	free(per);
	free(judged);
	sw_analysis_free(&own);
}

/* Read the current database of a stopped thread (LEX_CSTRING THD.db). */
static bool read_database(struct sw_my_gate *g, uint64_t thd, char *out, size_t cap)
{
	struct { uint64_t str; uint64_t len; } db;

	out[0] = 0;
	if (!g->layout.bpf.thd_db || !gate_read(g, thd + g->layout.bpf.thd_db, &db, sizeof(db)) ||
	    !db.str)
		return false;
	if (db.len >= cap)
		db.len = cap - 1;
	if (!gate_read(g, db.str, out, db.len))
		return false;
	out[db.len] = 0;
	return true;
}

/* The commands the server may parse a client statement as; false when not known. */
static bool expected_commands(const struct sw_stmt *st, uint64_t mask[3])
{
	int one = -1;

	mask[0] = mask[1] = mask[2] = 0;
	if (st->command && strcmp(st->command, "EXECUTE") == 0 && st->execute_name)
		one = SW_SQLCOM_EXECUTE;
	else if (st->command && strcmp(st->command, "PREPARE") == 0 && st->prepare_name)
		one = SW_SQLCOM_PREPARE;
	else if (st->command && strcmp(st->command, "DEALLOCATE PREPARE") == 0)
		one = SW_SQLCOM_DEALLOCATE_PREPARE;
	if (one >= 0) {
		mask[one / 64] |= 1ull << (one % 64);
		return true;
	}
	return sw_my_expected_sqlcoms(st, mask);
}

static bool in_mask(const uint64_t mask[3], int sqlcom)
{
	return sqlcom >= 0 && sqlcom < SW_MY_SQLCOM_MAX && ((mask[sqlcom / 64] >> (sqlcom % 64)) & 1);
}

/* A server command that only reads (SELECT, SHOW ...). */
static bool read_only_sqlcom(int sqlcom)
{
	const char *n = sw_my_sqlcom_name(sqlcom);
	return sqlcom == SW_SQLCOM_SELECT || (n && strncmp(n, "SQLCOM_SHOW_", 12) == 0);
}

/*
 * An allowed client command: what the server will execute at the top level, so the checkpoint
 * lets exactly those commands through without stopping (bpf/mariadb.h struct sw_my_expect).
 */
static void set_expectations(struct sw_my_gate *g, uint64_t conn_id, uint32_t command, const struct sw_analysis *a)
{
	struct sw_my_conn_key key = { .tgid = (uint32_t)g->pid, .conn_id = conn_id };
	struct sw_my_expect e;

	if (command != SW_MY_COM_QUERY)
		return;   /* other commands execute nothing at the top level, or are judged there */
	memset(&e, 0, sizeof(e));
	e.n = a->n_stmts < SW_MY_EXPECT_MAX ? (uint32_t)a->n_stmts : SW_MY_EXPECT_MAX;
	for (uint32_t i = 0; i < e.n; i++)
		expected_commands(&a->stmts[i], (uint64_t *)e.mask[i]);
	bpf_map_update_elem(bpf_map__fd(g->skel->maps.my_expect), &key, &e, BPF_ANY);
}

/* The current database of a stopped thread exactly as the probe keys it ("" for none); false when
 * it cannot be read or is too long for the key. */
static bool database_for_cache(struct sw_my_gate *g, uint64_t thd, char out[SW_MY_DB_CAP])
{
	struct { uint64_t str; uint64_t len; } db;

	out[0] = 0;
	if (!g->layout.bpf.thd_db || !gate_read(g, thd + g->layout.bpf.thd_db, &db, sizeof(db)))
		return false;
	if (!db.str || !db.len)
		return true;
	if (db.len >= SW_MY_DB_CAP || !gate_read(g, db.str, out, db.len))
		return false;
	out[db.len] = 0;
	return strlen(out) == db.len;
}

/*
 * After a policy allow, with the thread still stopped: remember it in the kernel when it may be
 * (sw_my_cache_refusal). A COM_QUERY by its text in this context; a prepared statement's own
 * execution by its id on this connection.
 */
static void maybe_cache(struct sw_my_gate *g, struct my_session *s, const struct sw_my_event *ev,
			const struct sw_analysis *a, const struct sw_judgement *overall, const char *decided_by,
			bool gate_refused, const char *text, size_t len, bool complete)
{
	struct sw_daemon *d = g->d;
	bool prepared = ev->type == SW_MY_EV_EXECUTE && (ev->flags & SW_MY_EXEC_PREPARED);
	struct sw_my_cache_facts f = {
		.prepared_execution = prepared, .disabled = !g->cache_wanted, .frozen = d->frozen,
		.ledger_failing = d->ledger_failing_since_ns != 0, .allowed = overall->verdict == SW_VERDICT_ALLOW,
		.decided_by = decided_by, .gate_refused = gate_refused, .budget_ms = overall->budget_ms,
		.budgets_enforced = g->done != NULL && g->enforce,
		.live = sw_policy_live_mysql_dsn(d->policy) != NULL,
		.literal_sensitive = sw_policy_literal_sensitive(d->policy), .complete = complete, .text_len = len,
		.charset = ev->charset, .expect_known = true,
	};
	struct sw_my_expect e;
	char db[SW_MY_DB_CAP];
	uint32_t ctx;

	if (!g->vc || !sw_my_vcache_enabled(g->vc))
		return;
	if (ev->type == SW_MY_EV_COMMAND ? ev->command != SW_MY_COM_QUERY : !prepared)
		return;
	if (!database_for_cache(g, ev->thd, db))
		return;
	f.db_len = strlen(db);
	memset(&e, 0, sizeof(e));
	e.n = a->n_stmts < SW_MY_EXPECT_MAX ? (uint32_t)a->n_stmts : SW_MY_EXPECT_MAX;
	for (uint32_t i = 0; i < e.n; i++)
		if (!expected_commands(&a->stmts[i], (uint64_t *)e.mask[i]))
			f.expect_known = false;
	f.sqlcom_matches = e.n == 1 && in_mask((const uint64_t *)e.mask[0], ev->sql_command);
	if (sw_my_cache_refusal(&f, a))
		return;
	ctx = sw_my_vcache_context(g->vc, ev->user, ev->priv_user, ev->priv_host, ev->host, s->client_exe);
	if (!sw_my_vcache_set_session_context(g->vc, (uint32_t)g->pid, ev->conn_id, ctx))
		return;
	if (!prepared) {
		if (sw_my_vcache_put_text(g->vc, ctx, ev->sql_mode, ev->charset, db, text, len, &e))
			g->cache_stored++;
		return;
	}
	if (!sw_my_vcache_put_stmt(g->vc, (uint32_t)g->pid, ev->conn_id, ev->ref, ev->sql_mode, ev->charset, db,
				   (const uint64_t *)e.mask[0]))
		return;
	g->cache_stored++;
	cstmt_drop(s, ev->ref);
	if (s->n_cstmt == s->cap_cstmt) {
		s->cap_cstmt = s->cap_cstmt ? s->cap_cstmt * 2 : 8;
		s->cstmt = sw_xrealloc(s->cstmt, s->cap_cstmt * sizeof(*s->cstmt));
	}
	s->cstmt[s->n_cstmt] = (struct my_cached_stmt){ .id = ev->ref, .text = sw_xstrndup(text, len) };
	sw_my_analyze(s->cstmt[s->n_cstmt].text, sw_my_mode_from_server(ev->sql_mode), &s->cstmt[s->n_cstmt].a);
	for (size_t i = 0; i < s->cstmt[s->n_cstmt].a.n_stmts; i++)
		s->cstmt[s->n_cstmt].a.stmts[i].traits |= SW_TRAIT_PREPARED;
	s->n_cstmt++;
}

/* A refused command (any but a prepare: the holder makes it a COM_QUERY) arrives as sqlward's
 * own SIGNAL: the one top-level execution expected. */
static void expect_refusal(struct sw_my_gate *g, uint64_t conn_id, uint32_t command)
{
	struct sw_my_conn_key key = { .tgid = (uint32_t)g->pid, .conn_id = conn_id };
	struct sw_my_expect e;

	if (command == SW_MY_COM_STMT_PREPARE)
		return;
	memset(&e, 0, sizeof(e));
	e.n = 1;
	e.mask[0][SW_SQLCOM_SIGNAL / 64] = 1ull << (SW_SQLCOM_SIGNAL % 64);
	bpf_map_update_elem(bpf_map__fd(g->skel->maps.my_expect), &key, &e, BPF_ANY);
}

/*
 * A statement stopped at the execution checkpoint: its own text (a routine's
 * statement, a prepared statement's, or a client statement the server parsed
 * as another command than expected) classified under the sql_mode in force
 * there, and checked against what the server parsed. Returns why it must be
 * refused whatever the policy says, or NULL.
 */
static const char *analyze_execution(struct my_session *s, const struct sw_my_event *ev, const char *text, size_t len,
				     struct sw_analysis *a, char **judged)
{
	static char why[300];
	uint64_t mask[3];
	int sqlcom = ev->sql_command;
	bool known;

	(void)s;
	*judged = sw_xstrndup(text, len);
	memset(a, 0, sizeof(*a));
	if (memchr(text, 0, len)) {
		one_stmt(a, *judged, SW_CLASS_UNKNOWN, "UNKNOWN", 0, "the statement contains a NUL byte");
		return "the statement contains a NUL byte";
	}
	sw_my_analyze(*judged, sw_my_mode_from_server(ev->sql_mode), a);
	/* A client statement's text runs on past it (the rest of a multi-statement string): only its
	 * first statement is this execution. */
	while (!(ev->flags & SW_MY_EXEC_NESTED) && a->n_stmts > 1)
		sw_stmt_free(&a->stmts[--a->n_stmts]);
	for (size_t i = 0; i < a->n_stmts; i++)
		sw_strv_push(&a->stmts[i].reasons, ev->flags & SW_MY_EXEC_NESTED
				     ? "run inside another statement (a stored program, trigger, function or prepared "
				       "statement): judged at the execution checkpoint"
				     : "a client statement the server parsed as another command than sqlward expected");
	if (a->n_stmts != 1 || !a->parse_ok)
		return NULL;   /* unknown or several: the policy refuses (class unknown, multi_statement) */
	known = expected_commands(&a->stmts[0], mask);
	if (known && !in_mask(mask, sqlcom)) {
		snprintf(why, sizeof(why), "the server parsed this statement as %s, sqlward as %s: the server is "
			 "right, so it is refused", sw_my_sqlcom_name(sqlcom), a->stmts[0].command);
		return why;
	}
	if (!known && !read_only_sqlcom(sqlcom)) {
		snprintf(why, sizeof(why), "the server parsed this statement as %s, which sqlward cannot match to "
			 "its own reading (%s): refused", sw_my_sqlcom_name(sqlcom), a->stmts[0].command);
		return why;
	}
	return NULL;
}

/* The connection's socket inode: THD.net.vio -> fd -> /proc/PID/fd/FD. */
static unsigned long connection_inode(struct sw_my_gate *g, uint64_t thd)
{
	uint64_t vio = 0;
	int32_t fd = -1;
	char path[64], link[64];
	ssize_t n;
	unsigned long ino = 0;

	if (!g->layout.thd_vio || !gate_read(g, thd + g->layout.thd_vio, &vio, sizeof(vio)) || !vio ||
	    !gate_read(g, vio + g->layout.vio_fd, &fd, sizeof(fd)) || fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)g->pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	if (sscanf(link, "socket:[%lu]", &ino) != 1)
		return 0;
	return ino;
}

/* A governed command a rule holds for a human: a hold like PostgreSQL's, its thread stays stopped. */
static void hold_for_human(struct sw_my_gate *g, struct my_pending *p, struct my_session *s, struct sw_analysis *a,
			   struct sw_judgement *per, const struct sw_judgement *overall, const char *text, size_t len,
			   char *judged, const char *dbname)
{
	struct sw_daemon *d = g->d;
	const struct sw_my_event *ev = p->ev;
	const struct sw_rule *rule = sw_policy_rule(d->policy, overall->rule_id);
	struct sw_hold *h = sw_xcalloc(1, sizeof(*h));
	struct sw_my_hold *mh = sw_xcalloc(1, sizeof(*mh));
	struct sw_client_chain *chain = sw_xcalloc(1, sizeof(*chain));
	struct sw_decision dec;

	(void)text;
	(void)len;
	mh->g = g;
	mh->tid = p->tid;
	mh->conn_id = ev->conn_id;
	mh->command = ev->command;
	mh->execute = ev->type == SW_MY_EV_EXECUTE;
	mh->start_ns = ev->ktime_ns;
	mh->inode = connection_inode(g, ev->thd);
	h->engine = SW_ENGINE_MYSQL;
	h->ops = &my_hold_ops;
	h->engine_ctx = mh;
	h->pid = (int)ev->tgid;
	snprintf(h->sess.role, sizeof(h->sess.role), "%s", ev->user);
	snprintf(h->sess.database, sizeof(h->sess.database), "%.63s", dbname);
	snprintf(h->sess.client, sizeof(h->sess.client), "%s", ev->host);
	h->sess.pid = (int)ev->tgid;
	h->sess.governed = true;
	sw_sha256_hex(judged, strlen(judged), h->statement_sha256);
	sw_approval_init(&h->approval, 0, NULL);
	sw_approval_add_judged(&h->approval, d->policy, per, a->n_stmts, overall);
	/* The thread is stopped: its connection, and whoever is behind it, hold still. */
	if (mh->inode)
		sw_client_chain_socket(g->pid, mh->inode, chain);
	else
		snprintf(chain->why, sizeof(chain->why), "the connection's socket could not be read from mariadbd");
	sw_approval_set_chain(&h->approval, chain, rule ? rule->approvers_distinct_from : SW_DISTINCT_FROM_REQUESTER);
	free(chain);
	h->start_ns = p->stop.when_ns;
	sw_mono_to_timespec(d, ev->ktime_ns, &h->wall);
	h->deadline_ns = sw_mono_ns() + (uint64_t)h->approval.timeout_s * 1000000000ull;
	h->statement = judged;
	h->statement_len = strlen(judged);
	h->analysis = *a;
	memset(a, 0, sizeof(*a));
	h->per_stmt = per;
	h->overall = *overall;
	h->via = via_of_event(ev);
	h->extra = event_extra(ev, dbname[0] ? dbname : NULL);
	add_who(s, ev, judged, &h->extra);
	sw_holds_add(d, h);
	dec = (struct sw_decision){
		.time = h->wall, .engine = SW_ENGINE_MYSQL, .pid = h->pid, .role = h->sess.role,
		.database = dbname[0] ? dbname : NULL, .client = ev->host[0] ? ev->host : NULL, .governed = true,
		.statement = h->statement, .statement_len = h->statement_len, .statement_complete = true,
		.analysis = &h->analysis, .per_stmt = per, .overall = &h->overall, .outcome = "held",
		.decided_by = "policy", .via = h->via, .extra = h->extra,
	};
	sw_gate_record(d, &dec, true, &h->ledger_seq);
	sw_hold_webhooks_held(d, h);
	{
		char idt[SW_HOLD_ID_TEXT_MAX];
		sw_hold_id_format(h->id, idt, sizeof(idt));
		fprintf(stderr, "sqlward: holding mariadbd %d connection %llu (thread %d, %s): hold %s, rule %s\n",
			(int)g->pid, (unsigned long long)ev->conn_id, (int)p->tid, ev->user, idt, overall->rule_id);
	}
}

static void my_hold_release(struct sw_hold *h, bool allow, const char *message)
{
	struct sw_my_hold *mh = h->engine_ctx;
	const struct sw_analysis *a = &h->analysis;
	struct sw_my_gate *g;

	if (!mh)
		return;
	g = mh->g;
	if (allow) {
		/* (An approval covers one execution: nothing is cached from here.) */
		if (!mh->execute && (mh->command == SW_MY_COM_CHANGE_USER || mh->command == SW_MY_COM_RESET_CONNECTION))
			forget_cached_statements(g, session_of(g, mh->conn_id));
		if (!mh->execute) {
			track_allowed(session_of(g, mh->conn_id), mh->command, a);
			set_expectations(g, mh->conn_id, mh->command, a);
			if (g->done)
				sw_my_completion_expect(g->d, g->done, mh->conn_id, mh->start_ns, h->ledger_seq, h->sess.role);
		}
		sw_my_holder_allow(g->holder, mh->tid);
	} else {
		if (!mh->execute)
			expect_refusal(g, mh->conn_id, mh->command);
		sw_my_holder_deny(g->holder, mh->tid, message);
	}
	g->decided++;
	free(mh);
}

/* (Asked after the release too, for the webhooks: the session is gone from the hold then.) */
static bool my_hold_refusal_ends_session(const struct sw_hold *h)
{
	const struct sw_my_hold *mh = h->engine_ctx;
	return mh && mh->execute;
}

static bool my_hold_client_gone(const struct sw_hold *h)
{
	const struct sw_my_hold *mh = h->engine_ctx;
	return mh && mh->inode && sw_client_gone_socket(mh->g->pid, mh->inode);
}

/* (server_ending: KILL QUERY of a held thread is not seen; its hold times out or is decided.) */
static const struct sw_hold_ops my_hold_ops = {
	.release = my_hold_release,
	.refusal_ends_session = my_hold_refusal_ends_session,
	.client_gone = my_hold_client_gone,
};

/* The MariaDB hold of a hold, when it is one of gate g's. */
static struct sw_my_hold *my_hold_of(const struct sw_hold *h, const struct sw_my_gate *g)
{
	struct sw_my_hold *mh = h->ops == &my_hold_ops ? h->engine_ctx : NULL;
	return mh && mh->g == g ? mh : NULL;
}

/* The hold on thread tid of this gate, if any. */
static struct sw_hold *hold_of_thread(struct sw_my_gate *g, pid_t tid)
{
	for (size_t i = 0; i < g->d->n_holds; i++) {
		struct sw_hold *h = g->d->holds[i];
		if (my_hold_of(h, g) && my_hold_of(h, g)->tid == tid)
			return h;
	}
	return NULL;
}

/*
 * The client character set of a stopped thread, by name (CHARSET_INFO.cs_name). In big5, cp932, gbk
 * and sjis a multi-byte character's second byte can be 0x5c, a backslash: the server's lexer and
 * sqlward's (which reads bytes) would end a string in different places, so such a session's
 * statements are not judged by text.
 */
static const char *unsafe_charset(struct sw_my_gate *g, uint64_t thd, char *name, size_t cap)
{
	static const char *const bad[] = { "big5", "cp932", "gbk", "sjis", "gb18030" };
	uint64_t cs = 0, str = 0;

	name[0] = 0;
	if (!g->layout.charset_csname ||
	    !gate_read(g, thd + g->layout.bpf.thd_charset_client, &cs, sizeof(cs)) || !cs ||
	    !gate_read(g, cs + g->layout.charset_csname, &str, sizeof(str)) || !str ||
	    !gate_read(g, str, name, cap - 1))
		return "the session's client character set could not be read";
	name[cap - 1] = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strcmp(name, bad[i]) == 0)
			return "the session's client character set lets a multi-byte character end in a backslash "
			       "(big5, cp932, gbk, sjis): statements are not judged by text under it; use utf8mb4";
	return NULL;
}

/*
 * Live facts for a governed statement (sizes, rows, EXPLAIN estimates, the real table definition
 * behind an ALTER's prediction), read over the policy's `live: { mysql_dsn }`, only when the
 * session works in the database that DSN names: elsewhere bare names would mean other tables, and
 * the facts stay unknown (`when_unknown` decides).
 */
static void annotate_live(struct sw_my_gate *g, const char *database, struct sw_analysis *a)
{
	const char *dsn = sw_policy_live_mysql_dsn(g->d->policy);

	if (!dsn || !database[0])
		return;
	if (!g->live_dsn || strcmp(g->live_dsn, dsn) != 0) {
		struct sw_my_dsn parsed;
		char err[256];
		sw_my_live_close(g->live);
		free(g->live_dsn);
		free(g->live_database);
		g->live = sw_my_live_open(dsn);
		g->live_dsn = sw_xstrdup(dsn);
		g->live_database = NULL;
		if (sw_my_dsn_parse(dsn, &parsed, err, sizeof(err)) == 0) {
			g->live_database = parsed.database ? sw_xstrdup(parsed.database) : NULL;
			sw_my_dsn_free(&parsed);
		}
	}
	if (!g->live_database || strcmp(g->live_database, database) != 0)
		return;
	sw_my_live_annotate(g->live, a);
}

static void decide_held(struct sw_my_gate *g, struct my_pending *p)
{
	struct sw_daemon *d = g->d;
	const struct sw_my_event *ev = p->ev;
	struct my_session *s = session_of(g, ev->conn_id);
	struct sw_analysis a;
	struct sw_judgement *per, overall;
	char *text = NULL, *judged = NULL, dbname[128];
	size_t len = ev->packet_len;
	bool complete = true, allow;
	const char *frozen, *why = NULL, *why_rule = NULL;
	json_t *extra, *plan_ref = NULL;
	struct sw_decision dec;
	struct sw_subject subj;
	struct sw_plan_verdict plan = { 0 };
	static char plan_err[512];
	uint64_t seq = 0;

	/* The thread stopped where the report says: same THD, same packet. */
	bool execute = ev->type == SW_MY_EV_EXECUTE;

	if (p->stop.kind != (execute ? SW_MY_STOP_EXECUTE : SW_MY_STOP_COMMAND) || p->stop.thd != ev->thd ||
	    (!execute && (p->stop.packet != ev->packet || p->stop.packet_len != ev->packet_len)) ||
	    (execute && (!p->stop.armed || p->stop.sql_command != ev->sql_command))) {
		why = "the stopped thread is not at the command the probe reported";
		why_rule = "stop-mismatch";
	}
	/* The packet is bytes (a COM_STMT_EXECUTE's starts with a binary statement id). */
	if (len <= ev->text_len) {
		text = sw_xmalloc(len + 1);
		memcpy(text, ev->text, len);
		text[len] = 0;
	} else if (len <= d->opts->max_statement_bytes) {
		text = sw_xmalloc(len + 1);
		if (!gate_read(g, ev->packet, text, len)) {
			len = ev->text_len;
			memcpy(text, ev->text, len);
			complete = false;
		}
		text[len] = 0;
	} else {
		len = ev->text_len;
		text = sw_xmalloc(len + 1);
		memcpy(text, ev->text, len);
		text[len] = 0;
		complete = false;
	}
	if (execute) {
		const char *w = analyze_execution(s, ev, text, len, &a, &judged);
		if (w && !why) {
			why = w;
			why_rule = "engine-truth";
		}
	} else {
		analyze_command(g, s, ev, text, len, &a, &judged);
	}
	if ((ev->command == SW_MY_COM_QUERY || ev->command == SW_MY_COM_STMT_PREPARE) && !why) {
		char csname[32];
		if ((why = unsafe_charset(g, ev->thd, csname, sizeof(csname))))
			why_rule = "encoding";
	}
	read_database(g, ev->thd, dbname, sizeof(dbname));
	sw_my_judge_database(&a, dbname);
	annotate_live(g, dbname, &a);
	session_who(g, s, ev);
	subj.engine = SW_ENGINE_MYSQL;
	subj.role = subject_role(d, ev);
	subj.database = dbname[0] ? dbname : NULL;
	subj.application = NULL;
	subj.client_exe = s->client_exe[0] ? s->client_exe : NULL;
	per = sw_xcalloc(a.n_stmts ? a.n_stmts : 1, sizeof(*per));
	sw_policy_judge(d->policy, &subj, &a, per, &overall);
	frozen = sw_daemon_frozen(d);
	if (!why && !complete) {
		why = "the statement is longer than sqlward reads (--max-statement-bytes): refused unjudged";
		why_rule = "incomplete-text";
	}
	if (!why && frozen && overall.verdict != SW_VERDICT_DENY && sw_daemon_any_frozen_class(d, &a)) {
		why = frozen;
		why_rule = "freeze";
	}
	if (!why && overall.verdict == SW_VERDICT_HOLD && g->closing) {
		why = "needs a human approval, and sqlward is stopping";
		why_rule = "stopping";
	}
	/* What the gate itself refuses is recorded as a deny under its own rule id, like PostgreSQL's. */
	if (why)
		overall = (struct sw_judgement){ .verdict = SW_VERDICT_DENY, .rule_id = why_rule, .reason = why,
						 .stmt_index = overall.stmt_index };
	/* A step of an approved plan (plan_gate.h): its approvals may authorise what the policy holds. */
	if (d->plans && !execute && ev->command == SW_MY_COM_QUERY) {
		char err[400];
		plan_ref = sw_plan_gate_consult(d->plans, d->policy, SW_ENGINE_MYSQL, s->serial, &subj, &a, per,
						&overall, false, &plan);
		if (plan_ref && sw_plan_gate_ran(d->plans, &plan, SW_ENGINE_MYSQL, s->serial, false, err,
						 sizeof(err)) < 0) {
			snprintf(plan_err, sizeof(plan_err), "the plan run could not be counted (%s); refused so "
				 "that no run goes uncounted", err);
			overall = (struct sw_judgement){ .verdict = SW_VERDICT_DENY, .rule_id = "plan-store",
							 .reason = plan_err, .stmt_index = overall.stmt_index };
		}
	}
	allow = overall.verdict == SW_VERDICT_ALLOW;
	if (!allow && !why && overall.verdict == SW_VERDICT_HOLD) {
		json_decref(plan_ref);
		hold_for_human(g, p, s, &a, per, &overall, text, len, judged, dbname);
		free(text);
		return;   /* the hold owns the analysis, judgements and texts now */
	}
	extra = event_extra(ev, dbname[0] ? dbname : NULL);
	add_who(s, ev, judged, &extra);
	if (plan_ref)
		json_object_set_new(extra, "plan", plan_ref);
	memset(&dec, 0, sizeof(dec));
	sw_mono_to_timespec(d, ev->ktime_ns, &dec.time);
	dec.engine = SW_ENGINE_MYSQL;
	dec.pid = (int)ev->tgid;
	dec.role = ev->user;
	dec.database = dbname[0] ? dbname : NULL;
	dec.client = ev->host[0] ? ev->host : NULL;
	dec.governed = true;
	dec.statement = judged;
	dec.statement_len = strlen(judged);
	dec.statement_complete = complete;
	dec.analysis = &a;
	dec.per_stmt = per;
	dec.overall = &overall;
	/* Refused at the execution checkpoint, the statement runs as an empty one and its connection is
	 * killed (the holder's deny state): nothing ran, and the session ends. */
	dec.outcome = allow ? "ran" : execute ? "terminated" : "cancelled";
	dec.held_us = (sw_mono_ns() - p->stop.when_ns) / 1000;
	dec.decided_by = plan.authorised && plan_ref && strcmp(overall.rule_id, SW_RULE_PLAN) == 0 ? "plan" : "policy";
	dec.via = via_of_event(ev);
	dec.extra = extra;
	/* Queued, not synced here: the thread stays stopped until a sync covers its record (one sync
	 * for every command decided before it), and moves then (my_release_move). */
	sw_gate_record(d, &dec, false, &seq);
	{
		struct my_release *m = sw_xcalloc(1, sizeof(*m));
		*m = (struct my_release){ .g = g, .ev = p->ev, .tid = p->tid, .a = a, .text = text, .len = len,
					  .complete = complete, .verdict = overall.verdict, .budget_ms = overall.budget_ms,
					  .decided_by = dec.decided_by, .policy_gen = d->policy_gen, .gate_refused = why != NULL,
					  .seq = seq };
		if (!allow)
			snprintf(m->msg, sizeof(m->msg), "sqlward: %s (rule %s)",
				 overall.reason ? overall.reason : "refused by policy",
				 overall.rule_id ? overall.rule_id : "default");
		p->ev = NULL;                /* the queued release owns the report, analysis and text now */
		memset(&a, 0, sizeof(a));
		text = NULL;
		sw_release_queue(d, &(struct sw_release){ .pid = (int)ev->tgid, .allow = allow, .when = dec.time,
							  .ops = &my_release_ops, .ctx = m });
	}
	g->decided++;
	json_decref(extra);
	free(per);
	free(judged);
	free(text);
	sw_analysis_free(&a);
}

/* Let go of a queued command without moving it. */
static void my_release_free(struct my_release *m)
{
	free(m->ev);
	free(m->text);
	sw_analysis_free(&m->a);
	free(m);
}

/*
 * A decided command moves (release_queue.h): allowed, once its record is durable, it runs and
 * what it leaves behind is kept (cached verdict, prepared names, expected executions, the
 * completion that points at its record); refused (by the policy, or because its record could
 * not be written in time) it does not run.
 */
static void my_release_move(struct sw_daemon *d, const struct sw_release *r, bool run)
{
	struct my_release *m = r->ctx;
	struct sw_my_gate *g = m->g;
	const struct sw_my_event *ev = m->ev;
	bool execute = ev->type == SW_MY_EV_EXECUTE;

	if (run) {
		struct my_session *s = session_of(g, ev->conn_id);
		struct sw_judgement overall = { .verdict = m->verdict, .budget_ms = m->budget_ms };
		/* A new identity or a reset session: its statement ids start over. */
		if (!execute && (ev->command == SW_MY_COM_CHANGE_USER || ev->command == SW_MY_COM_RESET_CONNECTION))
			forget_cached_statements(g, s);
		/* (A verdict of a policy replaced while it waited is not the kernel's to repeat.) */
		if (m->policy_gen == d->policy_gen)
			maybe_cache(g, s, ev, &m->a, &overall, m->decided_by, m->gate_refused, m->text, m->len,
				    m->complete);
		if (!execute) {
			track_allowed(s, ev->command, &m->a);
			set_expectations(g, ev->conn_id, ev->command, &m->a);
			/* Its completion points at its record; a runtime budget counts from the release. */
			if (g->done) {
				sw_my_completion_expect(g->d, g->done, ev->conn_id, ev->ktime_ns, m->seq, ev->user);
				sw_my_completion_budget(g->done, ev->conn_id, ev->ktime_ns, m->budget_ms, sw_mono_ns());
			}
		}
		sw_my_holder_allow(g->holder, m->tid);
	} else {
		if (r->allow)
			snprintf(m->msg, sizeof(m->msg), "sqlward: allowed, but its record could not be written to the "
				 "ledger in time (the ledger is unwritable): refused, it did not run");
		if (!execute)
			expect_refusal(g, ev->conn_id, ev->command);
		sw_my_holder_deny(g->holder, m->tid, m->msg);
	}
	my_release_free(m);
}

/* Its correction record names the command: server, thread, connection and its "ran" record. */
static void my_release_describe(const struct sw_release *r, json_t *f)
{
	const struct my_release *m = r->ctx;

	json_object_set_new(f, "engine", json_string("mysql"));
	json_object_set_new(f, "thread", json_integer((json_int_t)m->tid));
	json_object_set_new(f, "connection_id", json_integer((json_int_t)m->ev->conn_id));
	json_object_set_new(f, "statement_seq", json_integer((json_int_t)m->seq));
	json_object_set_new(f, "reason", json_string("allowed by policy, but its record could not be written to the "
						     "ledger in time: the command was refused instead and did not "
						     "run (its record, statement_seq, says ran)"));
}

static const struct sw_release_ops my_release_ops = { .move = my_release_move, .describe = my_release_describe };

/*
 * This gate's queued commands taken out of the queue: every one (tid 0; closing: refused now, so
 * nothing stays stopped and nothing points at the freed gate; none is left once a stopping
 * daemon's run is done), or thread tid's, which ended while it waited: nothing to move (a
 * reused thread id must not be released by it), and an allowed one's record says "ran", so the
 * ledger says it did not.
 */
static void release_take(struct sw_my_gate *g, pid_t tid)
{
	struct sw_daemon *d = g->d;

	for (size_t i = 0; i < d->n_releases;) {
		struct sw_release r = d->releases[i];
		struct my_release *m = r.ops == &my_release_ops ? r.ctx : NULL;
		if (!m || m->g != g || (tid && m->tid != tid)) {
			i++;
			continue;
		}
		memmove(&d->releases[i], &d->releases[i + 1], (d->n_releases - i - 1) * sizeof(r));
		d->n_releases--;
		if (!tid) {
			if (r.allow)
				d->refused_unrecorded++;
			my_release_move(d, &r, false);
			continue;
		}
		if (r.allow) {
			json_t *f = json_pack("{s:s, s:i, s:i, s:I, s:I, s:s}", "engine", "mysql", "mariadbd", (int)g->pid,
					      "thread", (int)tid, "connection_id", (json_int_t)m->ev->conn_id,
					      "statement_seq", (json_int_t)m->seq, "reason",
					      "the server thread ended while its command waited for its record to reach "
					      "the ledger: it did not run (its record, statement_seq, says ran)");
			sw_daemon_note(d, "release_abandoned", f);
			json_decref(f);
		}
		my_release_free(m);
	}
}

static struct my_pending *pending_of(struct sw_my_gate *g, pid_t tid)
{
	for (size_t i = 0; i < g->n_pend; i++)
		if (g->pend[i].tid == tid)
			return &g->pend[i];
	if (g->n_pend == g->cap_pend) {
		g->cap_pend = g->cap_pend ? g->cap_pend * 2 : 16;
		g->pend = sw_xrealloc(g->pend, g->cap_pend * sizeof(*g->pend));
	}
	memset(&g->pend[g->n_pend], 0, sizeof(g->pend[0]));
	g->pend[g->n_pend].tid = tid;
	g->pend[g->n_pend].since_ns = sw_mono_ns();
	return &g->pend[g->n_pend++];
}

static void pending_done(struct sw_my_gate *g, struct my_pending *p)
{
	free(p->ev);
	*p = g->pend[--g->n_pend];
}

static void try_decide(struct sw_my_gate *g)
{
	uint64_t now = sw_mono_ns();

	for (size_t i = 0; i < g->n_pend;) {
		struct my_pending *p = &g->pend[i];
		if (p->ev && p->ev->action == SW_MY_ACT_WAITED && p->have_stop && !p->stop.wait) {
			/* Not its stop (a hold whose own report was lost): that one is refused below. */
			free(p->ev);
			p->ev = NULL;
		}
		if (p->have_stop && !p->stop.gone && p->stop.wait) {
			/* A command that waited for its record: recorded when its report was read (a stop
			 * whose report never comes, which the probe does not make, runs too). */
			if (p->ev || now - p->since_ns > UNREPORTED_DENY_NS) {
				sw_my_holder_allow(g->holder, p->tid);
				pending_done(g, p);
				continue;
			}
			i++;
			continue;
		}
		if (p->ev && p->have_stop && !p->stop.gone) {
			decide_held(g, p);
			pending_done(g, p);
			continue;
		}
		if (p->have_stop && p->stop.gone) {
			pending_done(g, p);
			continue;
		}
		if (p->have_stop && !p->ev && now - p->since_ns > UNREPORTED_DENY_NS) {
			/* Stopped, but its report was lost (ring buffer full): refuse it unjudged. The connection
			 * id is not known here: an unexpected SIGNAL then stops at the checkpoint and is refused
			 * there as well (the client reads OK instead of the message). */
			sw_my_holder_deny(g->holder, p->tid, "sqlward: the gate lost this statement's report; retry it");
			g->refused_unreported++;
			{
				json_t *f = json_pack("{s:s, s:i, s:i}", "engine", "mysql", "mariadbd", (int)g->pid,
						      "thread", (int)p->tid);
				sw_daemon_note(g->d, "refused_unreported", f);
				json_decref(f);
			}
			pending_done(g, p);
			continue;
		}
		i++;
	}
}

static void append_session_record(struct sw_my_gate *g, json_t *rec, const char *type)
{
	char err[512];

	if (sw_ledger_append_opts(g->d->ledger, rec, false, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(g->d->ledger, type, NULL);
	}
	json_decref(rec);
}

/*
 * The ledger's session_start for a connection, at its first command the gate sees (before that
 * command's record): MariaDB has no probe at authentication, so "learned" says "first_command"
 * (the connection may be older, e.g. open before the daemon started).
 */
static void note_connect(struct sw_my_gate *g, const struct my_session *s, const struct sw_my_event *ev)
{
	char key[48], account[2 * SW_MY_NAME_MAX + 8];
	json_t *rec, *o;

	if (!g->d->ledger)
		return;
	snprintf(key, sizeof(key), "%d:%llu", (int)g->pid, (unsigned long long)s->conn_id);
	account_of(ev, account, sizeof(account));
	rec = sw_session_start_record(&(struct sw_session_facts){ .engine = "mysql", .pid = (int)g->pid,
		.connection_id = s->conn_id, .session = key, .role = ev->user, .client = ev->host,
		.client_exe = s->client_exe });
	o = json_object_get(rec, "learned");
	if (o)
		json_string_set(o, "first_command");
	json_object_set_new(rec, "account", json_string(account));
	append_session_record(g, rec, "session_start");
}

/* The ledger's session_end for a connection that ended (incident review's disconnect). */
static void note_disconnect(struct sw_my_gate *g, uint64_t conn_id)
{
	char key[48];

	if (!g->d->ledger)
		return;
	snprintf(key, sizeof(key), "%d:%llu", (int)g->pid, (unsigned long long)conn_id);
	append_session_record(g, sw_session_end_record(&(struct sw_session_facts){ .engine = "mysql",
		.pid = (int)g->pid, .connection_id = conn_id, .session = key }), "session_end");
}

/*
 * Rebuild the whole struct from its ring record: text bounded by the record; a nameless event's
 * text moved to text[] and its names taken from its connection. False: not a command event.
 */
static bool event_of_record(struct sw_my_gate *g, const void *data, size_t size, struct sw_my_event *ev)
{
	const size_t head = offsetof(struct sw_my_event, text), names = offsetof(struct sw_my_event, user);
	struct my_session *s;

	if (size < names || size > sizeof(*ev))
		return false;
	memcpy(ev, data, names);
	if (ev->type != SW_MY_EV_COMMAND && ev->type != SW_MY_EV_EXECUTE)
		return false;
	if (ev->flags & SW_MY_EV_NAMELESS) {
		size_t n = size - names;
		if (n > SW_MY_TEXT_CAP)
			n = SW_MY_TEXT_CAP;
		memcpy(ev->text, (const char *)data + names, n);
		if (ev->text_len > n)
			ev->text_len = (uint32_t)n;
		s = session_of(g, ev->conn_id);
		/* None seen for it (its first event was lost): read as the probe reads them. */
		if (!s->have_names)
			s->have_names = sw_my_names_read(g->pid, &g->layout.bpf, ev->thd, &s->names);
		sw_my_names_to_event(&s->names, ev);
		return true;
	}
	if (size < head)
		return false;
	memcpy(ev, data, size);
	if (ev->text_len > size - head)
		ev->text_len = (uint32_t)(size - head);
	if (ev->type == SW_MY_EV_COMMAND) {
		/* The names of its later commands, which may come without them. */
		s = session_of(g, ev->conn_id);
		sw_my_names_of_event(ev, &s->names);
		s->have_names = true;
	}
	return true;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct sw_my_gate *g = ctx;
	struct sw_my_event *ev = g->scratch;

	if (size >= sizeof(struct sw_my_done_event) && ((const struct sw_my_done_event *)data)->type == SW_MY_EV_DONE) {
		struct sw_my_done_event done;
		memcpy(&done, data, sizeof(done));
		/* A parked COM_STMT_EXECUTE ended with no report of its text (which comes before this). */
		if (done.command == SW_MY_COM_STMT_EXECUTE)
			parked_unknown(g, done.conn_id, done.sql_errno == ER_UNKNOWN_STMT_HANDLER ? WHY_NO_SUCH
							: done.sql_errno ? WHY_ERROR : WHY_NOT_REPORTED, done.sql_errno);
		if (g->done)
			sw_my_completion_on_done(g->d, g->done, &done);
		return 0;
	}
	if (size >= sizeof(struct sw_my_end_event) && ((const struct sw_my_end_event *)data)->type == SW_MY_EV_END) {
		parked_unknown(g, ((const struct sw_my_end_event *)data)->conn_id, WHY_NOT_REPORTED, 0);
		/* session_end writes the connection's record still waiting for its completion. */
		session_end(g, ((const struct sw_my_end_event *)data)->conn_id);
		note_disconnect(g, ((const struct sw_my_end_event *)data)->conn_id);
		return 0;
	}
	/* Events carry only the text they hold (and an ungoverned connection's later ones no names). */
	if (!event_of_record(g, data, size, ev))
		return 0;
	/* An observed execution's prepared statement text (the kernel sends no other observed execution). */
	if (ev->type == SW_MY_EV_EXECUTE && ev->action == SW_MY_ACT_OBSERVED) {
		on_prepared_text(g, ev);
		return 0;
	}
	/* The connection's next command: a parked COM_STMT_EXECUTE's report will not come. */
	parked_unknown(g, ev->conn_id, WHY_NOT_REPORTED, 0);
	/* The connection's record still waiting for its completion goes first: its records stay in order. */
	if (g->done)
		sw_my_completion_write_conn(g->d, g->done, ev->conn_id);
	/* The server forgets statements: their texts go (the kernel reports an id's text again if it
	 * ever came back). */
	if (ev->type == SW_MY_EV_COMMAND && (ev->command == SW_MY_COM_RESET_CONNECTION ||
					       ev->command == SW_MY_COM_CHANGE_USER))
		texts_forget(g, session_of(g, ev->conn_id));
	if (ev->type == SW_MY_EV_COMMAND && ev->command == SW_MY_COM_STMT_CLOSE && ev->text_len >= 4 &&
	    sw_my_stmt_text_drop(&session_of(g, ev->conn_id)->texts, &g->texts, packet_stmt_id(ev)))
		known_set(g, ev->conn_id, packet_stmt_id(ev), false);   /* (only a kept id is in the map) */
	if (ev->action == SW_MY_ACT_HELD) {
		struct my_pending *p = pending_of(g, (pid_t)ev->tid);
		if (p->ev) {
			/* A second report for a thread that is still pending cannot be: the first was
			 * never stopped. Record it as it came and keep the newer one. */
			free(p->ev);
		}
		p->ev = sw_xmalloc(sizeof(*ev));
		memcpy(p->ev, ev, sizeof(*ev));
		return 0;
	}
	if (ev->action == SW_MY_ACT_CACHED) {
		record_cached(g, ev);
		return 0;
	}
	if (ev->action == SW_MY_ACT_WAITED) {
		/* Its thread waits for this record (backpressure): recorded like any observed command,
		 * then released by try_decide once the holder reports the stop. */
		struct my_pending *p = pending_of(g, (pid_t)ev->tid);
		record_observed(g, ev);
		g->waited_recorded++;
		free(p->ev);
		p->ev = sw_xcalloc(1, sizeof(*ev));
		memcpy(p->ev, ev, offsetof(struct sw_my_event, user));
		return 0;
	}
	/* (The probe dropped a closed statement's cached verdict; its text for the records goes too.) */
	if (ev->command == SW_MY_COM_STMT_CLOSE && (ev->flags & SW_MY_SESS_GOVERNED))
		cstmt_drop(session_of(g, ev->conn_id), packet_stmt_id(ev));
	/* Inert commands (ping, quit, statement close) are not records. */
	if (ev->command == SW_MY_COM_PING || ev->command == SW_MY_COM_QUIT || ev->command == SW_MY_COM_SLEEP ||
	    ev->command == SW_MY_COM_STMT_CLOSE || ev->command == SW_MY_COM_STMT_RESET ||
	    ev->command == SW_MY_COM_STMT_SEND_LONG_DATA)
		return 0;
	record_observed(g, ev);
	return 0;
}

/*
 * The kernel may allow from its verdict cache only while nothing is frozen and the ledger
 * writes (PostgreSQL empties its caches on the same changes): checked on every pass, before
 * anything is decided, and when the ledger's state changes.
 */
static void cache_upkeep(struct sw_my_gate *g)
{
	bool want = g->cache_wanted && !g->d->frozen && !g->d->ledger_failing_since_ns && !g->ledger_failing;

	if (g->vc && want != sw_my_vcache_enabled(g->vc))
		sw_my_vcache_enable(g->vc, want);
}

static void my_gate_poll(struct sw_my_gate *g)
{
	struct sw_my_stop stops[64];
	size_t n;
	uint64_t start = sw_mono_ns();

	if (g->last_pass_end_ns && start - g->last_pass_end_ns > g->longest_gap_ns)
		g->longest_gap_ns = start - g->last_pass_end_ns;
	cache_upkeep(g);
	sw_ring_consume(g->rb);
	/* Records whose completion did not come in this read are written alone now. */
	if (g->done)
		sw_my_completion_write_deferred(g->d, g->done);
	while (g->holder && (n = sw_my_holder_take(g->holder, stops, 64)) > 0)
		for (size_t i = 0; i < n; i++) {
			struct sw_hold *h = stops[i].gone ? hold_of_thread(g, stops[i].tid) : NULL;
			struct my_pending *p;
			if (stops[i].gone)
				release_take(g, stops[i].tid);   /* (ended while its record was on its way) */
			if (h) {
				/* The thread ended while a human was deciding (server shutdown or crash, KILL
				 * CONNECTION): said as such, so a late `sqlward approve` explains why it cannot. */
				sw_holds_release(g->d, h, SW_VERDICT_DENY, "server",
						 sw_my_server_ending(g->pid, g->pidfd) ? "mariadbd exited while it was held"
										      : "the server thread ended while held",
						 "abandoned");
				continue;
			}
			p = pending_of(g, stops[i].tid);
			p->have_stop = true;
			p->stop = stops[i];
		}
	try_decide(g);
	/* What was decided moves once its record is durable (the same queue as PostgreSQL's). */
	sw_release_run(g->d);
	if (g->done && g->enforce)
		sw_my_completion_budgets(g->done, g->pid, bpf_map__fd(g->skel->maps.my_running), g->layout.thd_killed,
					 sw_mono_ns());
	g->last_pass_end_ns = sw_mono_ns();
	if (g->last_pass_end_ns - start > g->longest_pass_ns)
		g->longest_pass_ns = g->last_pass_end_ns - start;
}

/* ---- setup ---------------------------------------------------------------------- */

static bool read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)cap, f);

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/*
 * What would keep the holder from tracing mariadbd, said before trying: Yama's ptrace_scope 3 (no
 * ptrace at all), another tracer on one of its threads (a debugger, strace: ptrace is exclusive),
 * and an AppArmor profile on either side (named, so a refusal can be traced to it). wait_ok: no
 * thread blocks SW_MY_WAIT_SIGNAL and the server does not catch it, so a backpressure stop reaches
 * the holder (bpf/mariadb.h); new threads inherit their creator's mask.
 */
/* Task tid of pid is a kernel I/O worker (PF_IO_WORKER in /proc/.../stat's flags field). */
static bool io_worker(pid_t pid, const char *tid)
{
	char path[96], line[512], *p;
	unsigned long flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%.20s/stat", (int)pid, tid);
	if (!read_line(path, line, sizeof(line)) || !(p = strrchr(line, ')')))
		return false;
	/* ") state ppid pgrp session tty_nr tpgid flags": flags is the 7th field after the name. */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x10;   /* PF_IO_WORKER (include/linux/sched.h) */
}

static int preflight(pid_t pid, bool *wait_ok, char *why, size_t whylen, char *err, size_t errlen)
{
	char path[96], line[256], label[256];
	const unsigned long long wait_bit = 1ull << (SW_MY_WAIT_SIGNAL - 1);
	DIR *dd;
	struct dirent *de;

	*wait_ok = true;

	if (read_line("/proc/sys/kernel/yama/ptrace_scope", line, sizeof(line)) && atoi(line) >= 3) {
		snprintf(err, errlen, "kernel.yama.ptrace_scope is %s: no process may trace another, so sqlward cannot "
			 "hold a MariaDB session; it can only be lowered by a reboot with the sysctl set to 2 or less "
			 "(or run with --observe-only)", line);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dd = opendir(path))) {
		while ((de = readdir(dd))) {
			FILE *f;
			int tracer = 0;
			unsigned long long mask = 0;
			if (de->d_name[0] == '.')
				continue;
			/* The kernel's io_uring workers (InnoDB's asynchronous I/O) block every signal and
			 * never run a command: not the server's threads for this. */
			if (io_worker(pid, de->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%.20s/status", (int)pid, de->d_name);
			/* A handler for it is for good; a block may be a moment's (glibc blocks every signal
			 * in a thread while it creates another): blocked only if it stays so a while. */
			for (int look = 0; look < 5; look++) {
				bool caught = false, blocked = false;
				if (look)
					nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000 }, NULL);
				if (!(f = fopen(path, "re")))
					break;
				while (fgets(line, sizeof(line), f))
					if (sscanf(line, "TracerPid: %d", &tracer) == 1)
						continue;
					else if (sscanf(line, "SigBlk: %llx", &mask) == 1)
						blocked = mask & wait_bit;
					else if (sscanf(line, "SigCgt: %llx", &mask) == 1)
						caught = mask & wait_bit;
				fclose(f);
				if (caught || (blocked && look == 4)) {
					if (*wait_ok)
						snprintf(why, whylen, "thread %.20s %s it", de->d_name,
							 caught ? "catches" : "blocks");
					*wait_ok = false;
				}
				if (caught || !blocked)
					break;
			}
			if (tracer && tracer != (int)getpid()) {
				char comm[64] = "?";
				snprintf(path, sizeof(path), "/proc/%d/comm", tracer);
				read_line(path, comm, sizeof(comm));
				snprintf(err, errlen, "thread %s of mariadbd %d is traced by process %d (%s): a debugger or "
					 "tracing tool holds it, and a thread has one tracer; detach it, then start sqlward",
					 de->d_name, (int)pid, tracer, comm);
				closedir(dd);
				return -1;
			}
		}
		closedir(dd);
	}
	snprintf(path, sizeof(path), "/proc/%d/attr/current", (int)pid);
	if (read_line(path, label, sizeof(label)) && label[0] && strcmp(label, "unconfined") != 0)
		fprintf(stderr, "sqlward: mariadbd %d runs under the security label \"%s\": if tracing it is refused, "
			"that profile must let sqlward trace it (AppArmor: ptrace (tracedby))\n", (int)pid, label);
	return 0;
}

/* Where file offset `off` of the binary is mapped in process pid. */
static bool runtime_addr(pid_t pid, const char *bin, uint64_t off, uint64_t *out)
{
	char path[64], line[1024];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, foff;
		char perms[8], file[512];
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %511s", &lo, &hi, perms, &foff, file) != 5)
			continue;
		if (strcmp(file, bin) != 0 || perms[2] != 'x' || off < foff || off >= foff + (hi - lo))
			continue;
		*out = lo + (off - foff);
		found = true;
	}
	fclose(f);
	return found;
}

static void my_gate_set_patterns(struct sw_my_gate *g, const char *const *patterns, size_t n)
{
	struct sw_pattern tmp[SW_GOVERN_MAX];
	char err[256];

	if (!sw_kernel_patterns(patterns, n, tmp, err, sizeof(err))) {
		fprintf(stderr, "sqlward: MariaDB gate: %s\n", err);
		return;
	}
	g->skel->bss->n_patterns = 0;
	__sync_synchronize();
	memcpy(g->skel->bss->patterns, tmp, n * sizeof(tmp[0]));
	__sync_synchronize();
	g->skel->bss->n_patterns = (uint32_t)n;
	/* Verdicts were made under the old policy (a reload), or none yet (open). */
	if (g->vc) {
		sw_my_vcache_enable(g->vc, false);
		cache_upkeep(g);
	}
	/* Sessions are re-matched under the new patterns at their next command. */
	{
		struct sw_my_conn_key k, next;
		int fd = bpf_map__fd(g->skel->maps.my_sessions);
		while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
			k = next;
			bpf_map_delete_elem(fd, &k);
		}
	}
}

/*
 * Pins: the probe and its .bss outlive the daemon, so a governed command that
 * arrives while no daemon traces the server is refused (the hold signal reaches
 * an untraced thread: see mariadb.h), never run unjudged. Names:
 * mariadb-DAEMONPID-MARIADBPID-{link,bss}.
 */
#define MAX_OLD_PINS 16

/* A previous daemon's pins for this server: point its probe at our holder (so it does not end the
 * server once we trace it) and remember the names, removed once our own probe is live. */
static int adopt_old_pins(struct sw_my_gate *g, const char *dir, char old[][512], char *err, size_t errlen)
{
	DIR *dd = opendir(dir);
	struct dirent *de;
	int n = 0;
	size_t our = bpf_map__value_size(g->skel->maps.bss);

	if (!dd)
		return 0;
	while ((de = readdir(dd)) && n < MAX_OLD_PINS) {
		int dpid, mpid, fd;
		char kind[8] = "";
		if (sscanf(de->d_name, "mariadb-%d-%d-%7s", &dpid, &mpid, kind) != 3 || mpid != (int)g->pid ||
		    dpid == (int)getpid())
			continue;
		snprintf(old[n++], 512, "%.250s/%.250s", dir, de->d_name);
		if (strcmp(kind, "bss") != 0)
			continue;
		fd = bpf_obj_get(old[n - 1]);
		if (fd >= 0) {
			struct bpf_map_info info;
			uint32_t len = sizeof(info), zero = 0, abi = 0;
			char aerr[256];
			enum sw_abi_state as = sw_gate_map_abi(fd, &abi, aerr, sizeof(aerr));
			memset(&info, 0, sizeof(info));
			if (sw_abi_readable(as, abi) && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
			    info.value_size == our) {
				struct mariadb_bpf__bss *b = sw_xcalloc(1, our);
				if (bpf_map_lookup_elem(fd, &zero, b) == 0) {
					b->my_config.holder_tgid = (uint32_t)getpid();
					/* Its verdicts were another daemon's (and its events go to no one). */
					b->sw_my_cache_on = 0;
					bpf_map_update_elem(fd, &zero, b, BPF_ANY);
				}
				free(b);
			} else {
				snprintf(err, errlen, "the probe a previous sqlward left on mariadbd %d (%s) is from another "
					 "build: stop governed MariaDB clients, run `sqlward detach %s`, then start again",
					 (int)g->pid, old[n - 1], dir);
				close(fd);
				closedir(dd);
				return -1;
			}
			close(fd);
		}
	}
	closedir(dd);
	return n;
}

static int pin_ours(struct sw_my_gate *g, const char *dir, char *err, size_t errlen)
{
	char path[512];

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create pin directory %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mariadb-%d-%d-link", dir, (int)getpid(), (int)g->pid);
	if (bpf_link__pin(g->link, path) != 0) {
		snprintf(err, errlen, "cannot pin the MariaDB probe at %s: %s; is %s on a bpffs mount?", path,
			 strerror(errno), dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mariadb-%d-%d-exec", dir, (int)getpid(), (int)g->pid);
	if (bpf_link__pin(g->exec_link, path) != 0) {
		snprintf(err, errlen, "cannot pin the MariaDB execution checkpoint at %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mariadb-%d-%d-chdir", dir, (int)getpid(), (int)g->pid);
	if (g->chdir_link && bpf_link__pin(g->chdir_link, path) != 0) {
		snprintf(err, errlen, "cannot pin the MariaDB restart watch at %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mariadb-%d-%d-fchdir", dir, (int)getpid(), (int)g->pid);
	if (g->fchdir_link && bpf_link__pin(g->fchdir_link, path) != 0) {
		snprintf(err, errlen, "cannot pin the MariaDB restart watch at %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mariadb-%d-%d-bss", dir, (int)getpid(), (int)g->pid);
	if (bpf_map__pin(g->skel->maps.bss, path) != 0) {
		snprintf(err, errlen, "cannot pin the MariaDB probe's state at %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int sw_my_gate_open(struct sw_daemon *d, pid_t pid, bool enforce, struct sw_engine_gate *out, char *err,
		    size_t errlen)
{
	return gate_open(d, pid, enforce, true, out, err, errlen);
}

/* startup: `sqlward run` opens it (false: ops_follow, on a successor it resumes itself). */
static int gate_open(struct sw_daemon *d, pid_t pid, bool enforce, bool startup, struct sw_engine_gate *out,
		     char *err, size_t errlen)
{
	char old[MAX_OLD_PINS][512];
	int n_old = 0;
	struct sw_my_gate *g = sw_xcalloc(1, sizeof(*g));
	char exe[64], lerr[512];
	ssize_t n;
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = 0);

	g->pidfd = -1;
	uint64_t base;

	g->d = d;
	g->scratch = sw_xcalloc(1, sizeof(*g->scratch));
	sw_my_stmt_text_budget_init(&g->texts);
	g->pid = pid;
	g->enforce = enforce;
	/* (Read before the holder traces it: a stop a restart watch left is resumed once gated.) */
	g->stopped_at_start = startup && sw_proc_state(pid) == 'T';
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	n = readlink(exe, g->bin_path, sizeof(g->bin_path) - 1);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read %s (%s): is %d a running mariadbd?", exe, strerror(errno), (int)pid);
		goto fail;
	}
	g->bin_path[n] = 0;
	/* Known by its data directory, so a restart (a new pid) is followed. */
	g->follow = sw_my_server_id_of(pid, &g->server, lerr, sizeof(lerr));
	if (!g->follow)
		fprintf(stderr, "sqlward: warning: %s; a restart of this server will not be followed\n", lerr);
	g->pidfd = sw_my_pidfd(pid);
	if (!sw_proc_exe_path(pid, g->bin_shown, sizeof(g->bin_shown)))
		snprintf(g->bin_shown, sizeof(g->bin_shown), "%s", g->bin_path);
	/* The probes read through /proc/PID/exe: the very file the process runs, even if replaced on disk. */
	if (sw_my_layout_load(exe, &g->layout, lerr, sizeof(lerr)) < 0) {
		snprintf(err, errlen, "cannot govern mariadbd %d (%s): %s", (int)pid, g->bin_shown, lerr);
		goto fail;
	}
	if (!g->layout.bpf.valid || g->layout.problem[0]) {
		snprintf(err, errlen, "cannot govern mariadbd %d (%s, %s): %s; sqlward gates only servers whose "
			 "layout it could verify", (int)pid, g->bin_shown, g->layout.version, g->layout.problem);
		goto fail;
	}
	g->layout.bpf.thd_main_sctx = g->layout.thd_main_security_ctx;
	g->skel = mariadb_bpf__open_and_load();
	if (!g->skel) {
		snprintf(err, errlen, "cannot load the MariaDB BPF programs: %s", strerror(errno));
		goto fail;
	}
	g->skel->bss->bins[0] = g->layout.bpf;
	g->skel->bss->done_bins[0] = g->layout.done;
	g->skel->bss->sw_abi_version = SW_ABI_VERSION;
	g->skel->bss->my_config.enforce = enforce;
	g->skel->bss->my_config.holder_tgid = (uint32_t)getpid();
	g->skel->bss->sw_my_cache_on = 0;
	g->vc = sw_my_vcache_new(bpf_map__fd(g->skel->maps.my_text_cache), bpf_map__fd(g->skel->maps.my_stmt_cache),
				 bpf_map__fd(g->skel->maps.my_sessions), &g->skel->bss->sw_my_cache_on);
	g->cache_wanted = enforce && !d->opts->no_cache && !d->opts->observe_only;
	{
		const char *const *pats;
		size_t np = sw_policy_govern_patterns(d->policy, &pats);
		my_gate_set_patterns(g, pats, np);
	}
	if (!runtime_addr(pid, g->bin_path, g->layout.fn_file_off[SW_MY_FN_DISPATCH], &base)) {
		snprintf(err, errlen, "cannot find where mariadbd %d maps %s (its /proc/%d/maps)", (int)pid, g->bin_path,
			 (int)pid);
		goto fail;
	}
	if (enforce && d->opts->pin_dir && (n_old = adopt_old_pins(g, d->opts->pin_dir, old, err, errlen)) < 0)
		goto fail;
	{
		struct sw_my_holder_cfg hc = {
			.dispatch_entry = base, .thd_lex = g->layout.bpf.thd_lex,
			.lex_sql_command = g->layout.bpf.lex_sql_command, .thd_killed = g->layout.thd_killed,
			.sqlcom_empty_query = SW_SQLCOM_EMPTY_QUERY, .kill_query = 12 /* killed_state KILL_CONNECTION */,
			.thd_vio = g->layout.thd_vio,
		};
		if (!runtime_addr(pid, g->bin_path, g->layout.fn_file_off[SW_MY_FN_EXECUTE], &hc.execute_entry)) {
			snprintf(err, errlen, "cannot find mysql_execute_command in mariadbd %d's memory", (int)pid);
			goto fail;
		}
		bool wait_ok = false;
		char why[96] = "";
		if (enforce && (preflight(pid, &wait_ok, why, sizeof(why), err, errlen) < 0 ||
				sw_my_holder_start(pid, &hc, &g->holder, err, errlen) < 0))
			goto fail;
		/* Backpressure for what must be recorded (bpf/mariadb.h): only while enforcing. */
		g->skel->bss->sw_my_beat_grace_ns = (uint64_t)(d->opts->grace_ms ? d->opts->grace_ms : 1000) * 1000000ull;
		g->skel->bss->sw_my_beat_ns = sw_mono_ns();
		g->skel->bss->sw_my_wait_on = enforce && wait_ok;
		if (enforce && !wait_ok)
			fprintf(stderr, "sqlward: warning: mariadbd %d blocks or catches signal %d (%s), so its observed "
				"commands cannot wait for room in the ring buffer: a daemon that falls behind loses their "
				"records (counted in lost_events)\n", (int)pid, SW_MY_WAIT_SIGNAL, why);
	}
	uo.bpf_cookie = 0;
	g->link = bpf_program__attach_uprobe_opts(g->skel->progs.on_dispatch_command, pid, exe,
						  g->layout.fn_file_off[SW_MY_FN_DISPATCH], &uo);
	if (!g->link) {
		snprintf(err, errlen, "cannot attach the probe on dispatch_command in %s: %s", g->bin_shown, strerror(errno));
		goto fail;
	}
	/* The execution checkpoint: statements inside stored programs and prepared statements. */
	g->exec_link = bpf_program__attach_uprobe_opts(g->skel->progs.on_execute_command, pid, exe,
						       g->layout.fn_file_off[SW_MY_FN_EXECUTE], &uo);
	if (!g->exec_link) {
		snprintf(err, errlen, "cannot attach the probe on mysql_execute_command in %s: %s", g->bin_shown,
			 strerror(errno));
		goto fail;
	}
	/* A restart: the successor stops where it enters the data directory, until it is gated. */
	if (g->follow) {
		g->skel->bss->sw_my_datadir_dev = sw_pg_scope_kdev(g->server.dev);
		g->skel->bss->sw_my_datadir_ino = g->server.ino;
		g->skel->bss->sw_my_server_tgid = (uint32_t)pid;
		/* Entered by chdir(2) (mariadbd's my_setwd) or fchdir(2): both watched, or neither trusted. The
		 * tracepoints need tracefs, which a host or container may never have mounted. */
		char terr[256] = "";
		int tmounted = sw_tracefs_ensure(terr, sizeof(terr));

		if (tmounted > 0)
			fprintf(stderr, "sqlward: mounted tracefs at %s for the restart watch of mariadbd %d\n",
				sw_tracefs_dir(), (int)pid);
		g->chdir_link = tmounted < 0 ? NULL : bpf_program__attach_tracepoint(g->skel->progs.on_chdir_exit, "syscalls",
								 "sys_exit_chdir");
		g->fchdir_link = g->chdir_link ? bpf_program__attach_tracepoint(g->skel->progs.on_chdir_exit, "syscalls",
										 "sys_exit_fchdir")
					       : NULL;
		if (g->chdir_link && !g->fchdir_link) {
			bpf_link__destroy(g->chdir_link);
			g->chdir_link = NULL;
		}
		/* The watchdog kills a server stopped here should this daemon die before gating it (resumes
		 * it, observing). */
		if (g->chdir_link)
			sw_watchdog_tell(d->watchdog_fd, "M %llu %llu %d%s\n", (unsigned long long)g->server.dev,
					 (unsigned long long)g->server.ino, (int)pid, enforce ? "" : " observe");
		if (!g->chdir_link)
			fprintf(stderr, "sqlward: warning: cannot watch chdir(2) for a restart of mariadbd %d (%s): a "
				"restarted server is gated only once it is found in %s, not before it serves; "
				"run sqlward doctor\n",
				(int)pid, terr[0] ? terr : strerror(errno), g->server.path);
	}
	if (enforce && d->opts->pin_dir) {
		if (pin_ours(g, d->opts->pin_dir, err, errlen) < 0)
			goto fail;
		for (int i = 0; i < n_old; i++)
			unlink(old[i]);
	}
	/* Connection ends keep the session table as small as the server's; they are not needed to be
	 * safe (connection ids are never reused), so a server without the symbol is still gated. */
	if (g->layout.fn_file_off[SW_MY_FN_CONN_END]) {
		g->end_link = bpf_program__attach_uprobe_opts(g->skel->progs.on_connection_end, pid, exe,
							      g->layout.fn_file_off[SW_MY_FN_CONN_END], &uo);
		if (g->end_link && enforce && d->opts->pin_dir) {
			char path[512];
			snprintf(path, sizeof(path), "%s/mariadb-%d-%d-end", d->opts->pin_dir, (int)getpid(), (int)pid);
			bpf_link__pin(g->end_link, path);
		}
	}
	/* Completions (rows, outcome, runtime budgets): a record of how each command ended, not needed
	 * to be safe, so a server whose counters sqlward cannot read is still gated without them. */
	if (g->layout.done.valid) {
		uo.retprobe = true;
		g->ret_link = bpf_program__attach_uprobe_opts(g->skel->progs.on_dispatch_return, pid, exe,
							      g->layout.fn_file_off[SW_MY_FN_DISPATCH], &uo);
		uo.retprobe = false;
		if (g->ret_link)
			g->done = sw_my_completions_new();
		else
			fprintf(stderr, "sqlward: warning: mariadbd %d: completions are not recorded: cannot attach "
				"to dispatch_command's return: %s\n", (int)pid, strerror(errno));
	} else {
		fprintf(stderr, "sqlward: warning: mariadbd %d: %s\n", (int)pid, g->layout.done_problem);
	}
	g->rb = sw_ring_new(bpf_map__fd(g->skel->maps.my_events), on_event, g);
	if (!g->rb) {
		snprintf(err, errlen, "cannot open the MariaDB ring buffer: %s", strerror(errno));
		goto fail;
	}
	out->ops = &my_gate_ops;
	out->gate = g;
	/* Whose watch stopped it is read before a dead daemon's watch is removed (its map goes with it). */
	struct watch_stop ws = { 0 };
	if (g->stopped_at_start)
		watch_stop_of(g, &ws);
	if (enforce && d->opts->pin_dir && g->chdir_link)
		drop_dead_watches(g);
	if (g->stopped_at_start)
		resume_watch_stopped(g, &ws);
	return 0;
fail:
	my_gate_close(g);
	return -1;
}

/* The ring buffer's epoll fd, and the holder's when it runs. */
static int my_gate_fds(const struct sw_my_gate *g, int out[SW_ENGINE_GATE_FDS])
{
	int n = 0;
	out[n++] = sw_ring_epoll_fd(g->rb);
	if (g->holder)
		out[n++] = sw_my_holder_fd(g->holder);
	return n;
}

static json_t *my_gate_state(const struct sw_my_gate *g)
{
	char why[256] = "";
	bool alive = g->holder && sw_my_holder_alive(g->holder, why, sizeof(why));
	json_t *st = json_pack("{s:s, s:i, s:s, s:s, s:b, s:b, s:s?, s:i, s:I, s:I, s:I, s:I}", "engine", "mysql",
			       "pid", (int)g->pid, "binary", g->bin_shown, "version", g->layout.version, "enforce",
			       g->enforce, "holder_alive", alive, "holder_error", why[0] ? why : NULL, "threads_traced",
			       g->holder ? (int)sw_my_holder_threads(g->holder) : 0, "decided", (json_int_t)g->decided,
			       "observed", (json_int_t)g->observed, "refused_unreported",
			       (json_int_t)g->refused_unreported, "lost_events",
			       (json_int_t)(g->skel ? g->skel->bss->lost_events : 0));
	/* The server itself: running, or exited with no successor in its data directory yet. */
	json_object_set_new(st, "server", json_string(g->exited ? "exited" : "running"));
	if (g->follow) {
		json_object_set_new(st, "data_directory", json_string(g->server.path));
		/* kernel: a restarted server is stopped at its chdir until gated; proc: found by a /proc look (a race). */
		json_object_set_new(st, "restart_watch", json_string(g->chdir_link ? "kernel" : "proc"));
	}
	/* Backpressure: commands that waited for room in the ring (kernel), recorded so (daemon). */
	json_object_set_new(st, "waited", json_pack("{s:b, s:I, s:I}", "on", g->skel && g->skel->bss->sw_my_wait_on,
						    "commands", (json_int_t)(g->skel ? g->skel->bss->waited : 0),
						    "recorded", (json_int_t)g->waited_recorded));
	/* The loop's longest absence from the ring: a stalled gate is an operator's concern. */
	json_object_set_new(st, "longest_gap_ms", json_real((double)g->longest_gap_ns / 1e6));
	json_object_set_new(st, "longest_pass_ms", json_real((double)g->longest_pass_ns / 1e6));
	/* The kernel's verdict cache: on now, hits (commands it allowed), entries stored. */
	json_object_set_new(st, "verdict_cache", json_pack("{s:b, s:I, s:I, s:I}", "on", sw_my_vcache_enabled(g->vc),
							   "hits", (json_int_t)(g->skel ? g->skel->bss->cache_hits : 0),
							   "recorded", (json_int_t)g->cache_recorded, "stored",
							   (json_int_t)g->cache_stored));
	/* Observed prepared statements' texts held (my_stmt_text.h), and those a bound turned away. */
	json_object_set_new(st, "prepared_texts", json_pack("{s:I, s:I, s:I, s:I}", "kept", (json_int_t)g->texts.n,
							    "bytes", (json_int_t)g->texts.used, "not_kept",
							    (json_int_t)g->texts.not_kept, "reported",
							    (json_int_t)g->texts_reported));
	return st;
}

static struct sw_hold *first_hold_of(struct sw_my_gate *g)
{
	for (size_t i = 0; i < g->d->n_holds; i++)
		if (my_hold_of(g->d->holds[i], g))
			return g->d->holds[i];
	return NULL;
}

static void my_gate_close(struct sw_my_gate *g)
{
	if (!g)
		return;
	g->closing = true;
	if (g->rb && g->holder) {
		/* Decide what already arrived (nothing new waits for a human), refuse what waits, and
		 * the holder refuses whatever is still stopped. */
		my_gate_poll(g);
		for (struct sw_hold *h; (h = first_hold_of(g));)
			sw_holds_release(g->d, h, SW_VERDICT_DENY, "sqlward", "sqlward daemon stopping", "cancelled");
	}
	release_take(g, 0);
	/* A successor stopped in the data directory that no gate will take over: it would serve ungated
	 * (observing, it is resumed: observe-only never keeps a server from serving). */
	for (pid_t np; g->skel && (np = stopped_successor(g)) > 0;) {
		json_t *f = json_pack("{s:s, s:i, s:i, s:s, s:s}", "engine", "mysql", "mariadbd", (int)g->pid,
				      g->enforce ? "killed_pid" : "resumed_pid", (int)np, "data_directory", g->server.path,
				      "reason", g->enforce ? "sqlward stopped before it could gate this server"
							   : "sqlward (observe-only) stopped before it could follow this "
							     "server: it serves unobserved");
		if (g->d->ledger)
			sw_daemon_note(g->d, g->enforce ? "mariadbd_refused" : "mariadbd_resumed", f);
		json_decref(f);
		kill(np, g->enforce ? SIGKILL : SIGCONT);
		successor_release(g, np);
	}
	/* An execution still waiting for its text will not get it. */
	for (size_t i = 0; g->n_parked && g->d->ledger && i < g->n_sess; i++)
		if (g->sess[i].parked)
			parked_unknown(g, g->sess[i].conn_id, WHY_STOPPING, 0);
	if (g->skel && g->rb && g->d->ledger)
		report_counters(g);
	if (g->skel) {
		g->skel->bss->sw_my_cache_on = 0;
		g->skel->bss->sw_my_wait_on = 0;
		g->skel->bss->my_config.holder_tgid = 0;
	}
	bpf_link__destroy(g->link);
	bpf_link__destroy(g->end_link);
	bpf_link__destroy(g->exec_link);
	bpf_link__destroy(g->ret_link);
	bpf_link__destroy(g->chdir_link);
	bpf_link__destroy(g->fchdir_link);
	sw_my_holder_stop(g->holder);
	sw_ring_free(g->rb);
	mariadb_bpf__destroy(g->skel);
	sw_my_vcache_free(g->vc);
	for (size_t i = 0; i < g->n_sess; i++) {
		cstmt_clear(&g->sess[i]);
		sw_my_stmt_text_clear(&g->sess[i].texts, &g->texts);
		parked_free(g, &g->sess[i]);
		session_clear(&g->sess[i]);
		sw_who_cache_free(&g->sess[i].who);
		json_decref(g->sess[i].obs_extra);
	}
	free(g->sess);
	for (size_t i = 0; i < g->n_pend; i++)
		free(g->pend[i].ev);
	free(g->pend);
	free(g->scratch);
	if (g->done && g->d->ledger)
		sw_my_completion_write_deferred(g->d, g->done);   /* none after a poll; kept safe */
	sw_my_completions_free(g->done);
	sw_my_live_close(g->live);
	free(g->live_dsn);
	free(g->live_database);
	if (g->pidfd >= 0)
		close(g->pidfd);
	/* A server that exited: its pins can never fire again. */
	if (g->exited && g->enforce && g->d->opts->pin_dir)
		sw_my_unpin_server(g->d->opts->pin_dir, g->pid);
	free(g);
}

/*
 * Every change in what the kernel could not report (lost_events: its record is missing from the
 * ledger), in what waited for room, and in what was refused unreported goes into the ledger, as
 * PostgreSQL's counters do, under the same names: a gap in the ledger is itself recorded.
 */
static void report_counters(struct sw_my_gate *g)
{
	uint64_t lost = g->skel->bss->lost_events, waited = g->skel->bss->waited;
	json_t *f;

	if (lost == g->noted_lost && waited == g->noted_waited && g->refused_unreported == g->noted_refused)
		return;
	g->noted_lost = lost;
	g->noted_waited = waited;
	g->noted_refused = g->refused_unreported;
	f = json_pack("{s:s, s:i, s:I, s:I, s:I, s:f}", "engine", "mysql", "mariadbd", (int)g->pid, "ring_buffer_drops",
		      (json_int_t)lost, "held_while_ring_full", (json_int_t)waited, "refused_unreported",
		      (json_int_t)g->refused_unreported, "longest_gap_ms", (double)g->longest_gap_ns / 1e6);
	sw_daemon_note(g->d, "counters", f);
	json_decref(f);
}

static void ops_tick(void *gate, unsigned ticks)
{
	if (ticks % SW_ENGINE_TICKS_PER_S == 0)
		report_counters(gate);
}

/* ---- a restarted server ----------------------------------------------------------- */

/* How often a successor is looked for (a /proc walk) while none is found. */
#define SUCCESSOR_SCAN_NS (50ull * 1000000ull)
/* A successor that cannot be gated: tried this often (start-up may be under way) before it is given up. */
#define SUCCESSOR_TRIES 5
/* How long a server stopped in the data directory of one still running waits for its exit. */
#define SUCCESSOR_EARLY_NS (30ull * 1000000000ull)

/* The server exited: decide what it had sent, drop its holds (their threads are gone), and say so. */
static void server_gone(struct sw_my_gate *g)
{
	json_t *f;

	g->exited = true;
	g->exited_ns = sw_mono_ns();
	my_gate_poll(g);
	for (struct sw_hold *h; (h = first_hold_of(g));)
		sw_holds_release(g->d, h, SW_VERDICT_DENY, "sqlward", "mariadbd exited", "cancelled");
	report_counters(g);
	f = json_pack("{s:s, s:i, s:s, s:b}", "engine", "mysql", "mariadbd", (int)g->pid, "data_directory",
		      g->follow ? g->server.path : "", "followed", g->follow);
	sw_daemon_note(g->d, "mariadbd_exited", f);
	json_decref(f);
	fprintf(stderr, "sqlward: mariadbd %d exited; %s\n", (int)g->pid,
		g->follow ? "waiting for a server in its data directory" : "its restart cannot be followed");
}

/* A successor that could not be gated after SUCCESSOR_TRIES: enforcing, it is killed (it would serve
 * governed accounts with no gate); observing, it is left alone and recorded. */
static void successor_refused(struct sw_my_gate *g, pid_t next, const char *err)
{
	json_t *f = json_pack("{s:s, s:i, s:i, s:s, s:s, s:b}", "engine", "mysql", "previous_pid", (int)g->pid,
			      "mariadbd", (int)next, "data_directory", g->server.path, "error", err, "killed",
			      g->enforce);

	sw_daemon_note(g->d, "mariadbd_refused", f);
	json_decref(f);
	fprintf(stderr, "sqlward: cannot gate mariadbd %d, which took the place of %d in %s: %s%s\n", (int)next,
		(int)g->pid, g->server.path, err, g->enforce ? "; killed (fix the cause and restart it)" : "");
	if (g->enforce)
		kill(next, SIGKILL);
}

static void successor_release(struct sw_my_gate *g, pid_t pid)
{
	uint32_t key = (uint32_t)pid;

	if (g->chdir_link)
		bpf_map__delete_elem(g->skel->maps.my_successors, &key, sizeof(key), 0);
}

/* A successor the kernel stopped in the data directory (bpf on_chdir_exit); 0: none. */
static pid_t stopped_successor(struct sw_my_gate *g)
{
	uint32_t pid;

	if (!g->chdir_link || bpf_map__get_next_key(g->skel->maps.my_successors, NULL, &pid, sizeof(pid)) != 0)
		return 0;
	if (kill((pid_t)pid, 0) != 0) {   /* gone meanwhile */
		successor_release(g, (pid_t)pid);
		return 0;
	}
	return (pid_t)pid;
}

/*
 * A server stopped entering the data directory while the governed one still runs (a second
 * server on it, or a restart that began before the old one was gone). It waits for the old
 * one's exit (then it is the successor); one gate per server, so after SUCCESSOR_EARLY_NS it is
 * killed: it could not take the data directory of a running server anyway.
 */
static void early_successor(struct sw_my_gate *g, pid_t np, uint64_t now)
{
	json_t *f;

	if (np <= 0) {
		g->early_since_ns = 0;
		return;
	}
	if (!g->early_since_ns)
		g->early_since_ns = now;
	if (now - g->early_since_ns < SUCCESSOR_EARLY_NS)
		return;
	/* (Observing, it is resumed: it will fail on the data directory's lock, or serve unobserved.) */
	f = json_pack("{s:s, s:i, s:i, s:s, s:s}", "engine", "mysql", "mariadbd", (int)g->pid,
		      g->enforce ? "killed_pid" : "resumed_pid", (int)np, "data_directory", g->server.path, "reason",
		      "another server entered the data directory of the running governed server");
	sw_daemon_note(g->d, g->enforce ? "mariadbd_refused" : "mariadbd_resumed", f);
	json_decref(f);
	kill(np, g->enforce ? SIGKILL : SIGCONT);
	successor_release(g, np);
	g->early_since_ns = 0;
}

/*
 * The pins of a dead daemon's gate on a server that is gone too, watching this data directory: with
 * no daemon beating, that watch kills every server entering the directory, so this server's next
 * restart would be killed though this gate follows it. This gate's own watch (pinned: it fails
 * closed the same way should this daemon die) now guards the directory; the dead one is removed.
 */
static void drop_dead_watches(struct sw_my_gate *g)
{
	const char *dir = g->d->opts->pin_dir;
	size_t our = bpf_map__value_size(g->skel->maps.bss);
	struct mariadb_bpf__bss *b = sw_xcalloc(1, our);
	DIR *dd = opendir(dir);
	struct dirent *de;

	while (dd && (de = readdir(dd))) {
		int dpid, mpid, fd;
		char kind[8] = "", path[PATH_MAX];
		struct bpf_map_info info;
		uint32_t len = sizeof(info), zero = 0, abi = 0;
		char aerr[256];
		enum sw_abi_state as;
		bool same = false;
		json_t *f;

		if (sscanf(de->d_name, "mariadb-%d-%d-%7s", &dpid, &mpid, kind) != 3 || strcmp(kind, "bss") != 0 ||
		    dpid == (int)getpid() || mpid == (int)g->pid || sw_gate_pin_owner_alive(dpid) ||
		    kill(mpid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fd = bpf_obj_get(path)) < 0)
			continue;
		memset(&info, 0, sizeof(info));
		as = sw_gate_map_abi(fd, &abi, aerr, sizeof(aerr));
		if (sw_abi_readable(as, abi) && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.value_size == our && bpf_map_lookup_elem(fd, &zero, b) == 0)
			same = b->sw_my_datadir_ino == g->skel->bss->sw_my_datadir_ino &&
			       b->sw_my_datadir_dev == g->skel->bss->sw_my_datadir_dev;
		close(fd);
		if (!same)
			continue;
		sw_my_unpin_server(dir, mpid);
		f = json_pack("{s:s, s:i, s:i, s:i, s:s, s:s}", "engine", "mysql", "mariadbd", (int)g->pid, "previous_pid",
			      mpid, "previous_daemon", dpid, "data_directory", g->server.path, "reason",
			      "a dead daemon's restart watch of this data directory (it would kill this server's next "
			      "restart); this gate's watch replaces it");
		sw_daemon_note(g->d, "mariadb_restart_watch_removed", f);
		json_decref(f);
	}
	if (dd)
		closedir(dd);
	free(b);
}

static void watch_stop_of(struct sw_my_gate *g, struct watch_stop *w)
{
	w->r = g->enforce ? sw_my_watch_stopped(g->pid, 0, true, &w->map_id, w->err, sizeof(w->err)) : 0;
}

/*
 * `sqlward run` started on a server stopped in its data directory by a gate's restart watch whose
 * daemon and watchdog both died before gating it (found in that gate's my_successors map, which the
 * dead daemon's pinned links keep, read before drop_dead_watches removes them): gated now, it goes
 * on, and the ledger says so. A server stopped by anything else (an operator's SIGSTOP, a
 * debugger) is left stopped: not ours to resume.
 */
static void resume_watch_stopped(struct sw_my_gate *g, const struct watch_stop *w)
{
	int r = w->r;
	uint32_t map_id = w->map_id;
	const char *err = w->err;
	json_t *f;

	if (!g->enforce) {
		fprintf(stderr, "sqlward: warning: mariadbd %d is stopped (state T) and this daemon only observes: it is "
			"left stopped; run sqlward without --observe-only to gate and resume it, or resume it with "
			"`kill -CONT %d` to let it serve ungated\n", (int)g->pid, (int)g->pid);
		return;
	}
	if (r <= 0) {
		fprintf(stderr, "sqlward: warning: mariadbd %d is stopped (state T), %s%s: it is gated, and left "
			"stopped; whoever stopped it resumes it (`kill -CONT %d`)\n", (int)g->pid,
			r < 0 ? "and whether a MariaDB restart watch stopped it is unknown: " :
				"and not by a sqlward restart watch (an operator's SIGSTOP or a debugger?)",
			r < 0 ? err : "", (int)g->pid);
		return;
	}
	if (sw_my_pidfd_signal(g->pid, g->pidfd, SIGCONT) != 0) {
		fprintf(stderr, "sqlward: warning: cannot resume mariadbd %d, stopped by the restart watch of a sqlward "
			"that died before gating it: %s; it is gated: resume it with `kill -CONT %d`\n", (int)g->pid,
			strerror(errno), (int)g->pid);
		return;
	}
	f = json_pack("{s:s, s:i, s:s, s:I, s:s}", "engine", "mysql", "mariadbd", (int)g->pid, "data_directory",
		      g->follow ? g->server.path : "", "watch_map_id", (json_int_t)map_id, "reason",
		      "stopped entering its data directory by a restart watch whose daemon and watchdog died before "
		      "gating it; resumed once gated");
	sw_daemon_note(g->d, "mariadbd_resumed", f);
	json_decref(f);
	fprintf(stderr, "sqlward: mariadbd %d was stopped by the restart watch of a sqlward that died before gating "
		"it: gated, and resumed\n", (int)g->pid);
}

/*
 * While the server is down, its data directory may be replaced at its path (a restore: the old
 * directory moved aside, a copy put in its place): the server is the one at the path, so the watch
 * follows the path's new directory (checked every tick, before a successor could enter it).
 */
static void directory_replaced(struct sw_my_gate *g)
{
	struct stat st;
	json_t *f;

	if (!g->server.path[0] || stat(g->server.path, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_dev == g->server.dev && st.st_ino == g->server.ino))
		return;
	g->server.dev = st.st_dev;
	g->server.ino = st.st_ino;
	if (g->chdir_link) {
		g->skel->bss->sw_my_datadir_ino = 0;   /* never a half-written key */
		g->skel->bss->sw_my_datadir_dev = sw_pg_scope_kdev(st.st_dev);
		g->skel->bss->sw_my_datadir_ino = st.st_ino;
		sw_watchdog_tell(g->d->watchdog_fd, "M %llu %llu %d%s\n", (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino, (int)g->pid, g->enforce ? "" : " observe");
	}
	f = json_pack("{s:s, s:i, s:s, s:I}", "engine", "mysql", "mariadbd", (int)g->pid, "data_directory",
		      g->server.path, "inode", (json_int_t)st.st_ino);
	sw_daemon_note(g->d, "mariadbd_data_directory_replaced", f);
	json_decref(f);
}

/*
 * Every tick: has the server exited, and has another taken its place? 1: *next is a gate on the
 * successor (the daemon swaps it in and closes this one); 0: nothing to do.
 */
static int ops_follow(void *gate, struct sw_engine_gate *next, char *err, size_t errlen)
{
	struct sw_my_gate *g = gate;
	uint64_t now;
	pid_t np, stopped;

	now = sw_mono_ns();
	np = stopped = stopped_successor(g);
	if (!g->exited) {
		if (sw_my_server_alive(g->pid, g->pidfd)) {
			early_successor(g, np, now);
			return 0;
		}
		server_gone(g);
	}
	if (np <= 0 && g->follow)
		directory_replaced(g);
	if (np <= 0) {
		if (!g->follow || now < g->next_scan_ns)
			return 0;
		g->next_scan_ns = now + SUCCESSOR_SCAN_NS;
		np = sw_my_find_successor(&g->server, g->pid);
		/* (Stopped by the kernel since the look at its map above: say so.) */
		if (np > 0 && stopped_successor(g) == np)
			stopped = np;
	}
	if (np <= 0 || (np == g->tried_pid && g->tries >= SUCCESSOR_TRIES))
		return 0;
	if (np != g->tried_pid) {
		g->tried_pid = np;
		g->tries = 0;
	}
	g->tries++;
	if (gate_open(g->d, np, g->enforce, false, next, err, errlen) < 0) {
		if (g->tries >= SUCCESSOR_TRIES) {
			successor_refused(g, np, err);
			successor_release(g, np);
		}
		return 0;
	}
	/* Gated: a successor the kernel stopped goes on (this gate's watch off first: a chdir of it
	 * before this gate is closed must not stop it again with nobody to resume it). */
	g->skel->bss->sw_my_datadir_ino = 0;
	successor_release(g, np);
	kill(np, SIGCONT);
	/* (And out of any other gate's map, a dead daemon's watch that stopped it too: an entry left
	 * there would later pass an operator's SIGSTOP of it off as that watch's.) */
	{
		char werr[256];
		sw_my_watch_stopped(np, 0, true, NULL, werr, sizeof(werr));
	}
	{
		struct sw_my_gate *n = next->gate;
		/* stopped_in_data_directory: the kernel held it from its chdir there until now (nothing it
		 * served was ungated); false: found by a look at /proc (the watch was not available). */
		json_t *f = json_pack("{s:s, s:i, s:i, s:s, s:s, s:f, s:b}", "engine", "mysql", "previous_pid",
				      (int)g->pid, "mariadbd", (int)np, "data_directory", g->server.path, "binary",
				      n->bin_shown, "after_exit_ms", (double)(now - g->exited_ns) / 1e6,
				      "stopped_in_data_directory", stopped == np);
		sw_daemon_note(g->d, "mariadbd_followed", f);
		json_decref(f);
		fprintf(stderr, "sqlward: mariadbd %d took the place of %d in %s: gated\n", (int)np, (int)g->pid,
			g->server.path);
	}
	return 1;
}

static int ops_fds(const void *g, int out[SW_ENGINE_GATE_FDS]) { return my_gate_fds(g, out); }
static void ops_poll(void *g) { my_gate_poll(g); }
static void ops_set_patterns(void *g, const char *const *p, size_t n) { my_gate_set_patterns(g, p, n); }
static json_t *ops_state(const void *g) { return my_gate_state(g); }
static void ops_close(void *g) { my_gate_close(g); }
/* From the heartbeat thread while the loop makes progress: observed commands may wait. */
static void ops_heartbeat(void *gate)
{
	struct sw_my_gate *g = gate;
	g->skel->bss->sw_my_beat_ns = sw_mono_ns();
}

/* A policy reload is about to switch: the kernel stops allowing from the old policy's verdicts,
 * and what it already sent is decided and recorded under the old one. */
static void ops_settle(void *gate)
{
	struct sw_my_gate *g = gate;
	sw_my_vcache_enable(g->vc, false);
	my_gate_poll(g);
	sw_my_vcache_enable(g->vc, false);   /* (the poll's upkeep may have turned it back on) */
}

static void ops_ledger_state(void *gate, bool failing, const char *err)
{
	struct sw_my_gate *g = gate;
	(void)err;
	g->ledger_failing = failing;
	cache_upkeep(g);
}

/* A freeze went on or off: the cache goes off (and empty) at once, not on the next pass. */
static void ops_freeze_changed(void *gate)
{
	cache_upkeep(gate);
}

static const struct sw_engine_gate_ops my_gate_ops = {
	.engine = "mysql", .fds = ops_fds, .poll = ops_poll, .set_patterns = ops_set_patterns,
	.tick = ops_tick, .follow = ops_follow, .heartbeat = ops_heartbeat, .settle = ops_settle, .freeze_changed = ops_freeze_changed,
	.ledger_state = ops_ledger_state, .state = ops_state, .close = ops_close,
};
