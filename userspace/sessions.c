/*
 * The daemon's table of PostgreSQL sessions: a tsearch tree by pid, what the
 * kernel knows of each (role, governed, cache context, execution checkpoint),
 * its transaction so far and what its last allowed statement may EXECUTE.
 */
#include <search.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client_owner.h"
#include "ledger.h"
#include "log_session.h"
#include "plan_store.h"
#include "request_id.h"
#include "session_record.h"
#include "sessions.h"
#include "pg_completion.h"
#include "pg_backend.h"
#include "util.h"
#include "who_fields.h"

/* application_name is read again at most this often unless a setting may have changed it. */
#define SW_APPLICATION_REREAD_NS (1000ull * 1000000ull)

/* A session as this table keeps it: what the daemon sees, and its who fields rendered for its
 * ledger records (copies of the info, such as a hold's, carry none of it). */
struct session {
	struct sw_session_info info;   /* first: the tree holds its address */
	struct sw_who_cache who;
};

static struct session *session_of(struct sw_session_info *s)
{
	return (struct session *)((char *)s - offsetof(struct session, info));
}

/*
 * The tree is keyed by pid, the first member of struct sw_session_info: a
 * session's address is also its pid's, so a look-up's key is &pid alone (it
 * was a zero-filled 2.7 KB struct, four times per statement).
 */
_Static_assert(offsetof(struct sw_session_info, pid) == 0, "sessions.c keys its tree by the pid at offset 0");
static int sess_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct sw_session_info *sw_session_find(struct sw_daemon *d, int pid)
{
	void *r = tfind(&pid, &d->sessions, sess_cmp);
	return r ? *(struct sw_session_info **)r : NULL;
}

const struct sw_pg_layout *sw_session_layout(struct sw_daemon *d, int pid)
{
	struct sw_session_info *s = sw_session_find(d, pid);
	const struct sw_pg_layout *L;

	if (s && s->layout)
		return s->layout;
	/* None found: looked up again, but at most once a second (a replacing binary's layout may
	 * come; a stat of /proc/PID/exe per statement costs more than the rest of its record). */
	if (s && s->layout_missed_ns && sw_mono_ns() - s->layout_missed_ns < 1000000000ull)
		return NULL;
	L = sw_daemon_layout_of(d, pid);
	if (s) {
		s->layout = L;
		s->layout_missed_ns = L ? 0 : sw_mono_ns();
	}
	return L;
}

/* Distinct cache contexts kept before the table starts over (application_names can be many). */
#define SW_CONTEXTS_MAX 8192

/*
 * The kernel's verdict caches are per context: a verdict made for one context
 * is reused only by sessions of the same one. A context is everything the
 * policy may match on besides the statement: role, database, and who is
 * asking (application_name, client executable), so a verdict made for a
 * human's psql is never reused for an agent on the same login. 0 (no cache)
 * until who is asking has been read (sw_session_who).
 */
static uint32_t context_id(struct sw_daemon *d, const struct sw_session_info *s)
{
	char *k;
	json_t *v;
	uint32_t id;

	if (!s->role[0] || !s->database[0] || !s->application_read_ns)
		return 0;
	k = sw_xasprintf("%s\x1f%s\x1f%s%s\x1f%s", s->role, s->database, s->application_known ? "=" : "?",
			 s->application, s->client_exe);
	v = json_object_get(d->contexts, k);
	if (v) {
		id = (uint32_t)json_integer_value(v);
	} else {
		if (json_object_size(d->contexts) >= SW_CONTEXTS_MAX) {
			/* Start over: ids are never reused, and no verdict cached under an old one is kept. */
			sw_gate_cache_clear(d->gate);
			json_object_clear(d->contexts);
		}
		id = ++d->next_ctx_id;
		json_object_set_new(d->contexts, k, json_integer(id));
	}
	free(k);
	return id;
}

/*
 * The execution checkpoint goes on every governed backend whose binary has it
 * verified, before the kernel may allow anything of that session from its
 * caches (SW_SESS_NESTED_LIVE): what a statement runs inside functions is
 * judged there. A backend it cannot be put on stays without caches, and its
 * statements are refused (gate_requirements).
 */
static void nested_attach(struct sw_daemon *d, struct sw_session_info *s)
{
	const struct sw_pg_layout *L;
	char err[512];

	if (!s->governed || s->nested_live || d->opts->observe_only)
		return;
	L = sw_daemon_layout_of(d, s->pid);
	if (!L || !L->bpf.fn[SW_FN_EXECUTOR_START]) {
		snprintf(s->nested_problem, sizeof(s->nested_problem), "%s",
			 L ? L->exec_problem : "the backend's server binary is not known");
		return;
	}
	if (sw_gate_attach_nested(d->gate, (int)(L - d->layouts), s->pid, L, &s->nested_links, err, sizeof(err)) < 0) {
		snprintf(s->nested_problem, sizeof(s->nested_problem), "%s", err);
		if (sw_proc_state(s->pid) != 0)
			fprintf(stderr, "sqlward: %s\n", err);
		return;
	}
	s->nested_live = true;
	s->nested_problem[0] = 0;
}

void sw_session_publish(struct sw_daemon *d, struct sw_session_info *s)
{
	if (!d->gate)
		return;   /* no BPF object loaded (unit tests): there is no kernel to tell */
	nested_attach(d, s);
	sw_gate_set_session(d->gate, (uint32_t)s->pid, s->role,
			    SW_SESS_KNOWN | (s->governed ? SW_SESS_GOVERNED : 0) | (s->refused ? SW_SESS_REFUSED : 0) |
				    (s->walsender ? SW_SESS_WALSENDER : 0) | (s->nested_live ? SW_SESS_NESTED_LIVE : 0),
			    s->ctx_id);
}

static void append_session_record(struct sw_daemon *d, json_t *rec)
{
	char err[512];

	if (d->ledger && sw_ledger_append_opts(d->ledger, rec, false, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, json_string_value(json_object_get(rec, "type")), NULL);
	}
	json_decref(rec);
}

/*
 * The ledger's session_start for a session learned now (fresh) or that the
 * kernel saw authenticate (a new backend on a pid whose exit was not noticed
 * yet: that one's session_end first). Incident review keys sessions by it.
 */
static void note_session_start(struct sw_daemon *d, struct sw_session_info *s, bool fresh, bool authenticated)
{
	char key[sizeof(s->session_key)];
	time_t start;

	if (!fresh && !authenticated)
		return;
	start = sw_proc_start_time(s->pid);
	sw_log_session_pg_key(s->pid, start ? start : time(NULL), key, sizeof(key));
	if (strcmp(key, s->session_key) == 0)
		return;
	sw_pg_deferred_write_session(d, s);
	if (s->session_key[0])
		append_session_record(d, sw_session_end_record(&(struct sw_session_facts){
			.engine = "postgres", .pid = s->pid, .session = s->session_key }));
	snprintf(s->session_key, sizeof(s->session_key), "%s", key);
	append_session_record(d, sw_session_start_record(&(struct sw_session_facts){
		.engine = "postgres", .pid = s->pid, .session = s->session_key, .backend_start = start,
		.role = s->role, .database = s->database, .client = s->client,
		.application = s->application_known ? s->application : NULL, .client_exe = s->client_exe,
		.running = !authenticated }));
}

/* Learn (or refresh) a session: role from the kernel or the title, database and client
 * from the title (as the kernel read it, else from /proc). */
struct sw_session_info *sw_session_learn(struct sw_daemon *d, int pid, const char *role, const char *kernel_title,
					 uint32_t kflags)
{
	struct sw_session_info *s = sw_session_find(d, pid);
	struct sw_pg_title t;
	char title[4096];
	bool have_title, fresh = !s;

	if (!s) {
		s = &((struct session *)sw_xcalloc(1, sizeof(struct session)))->info;
		s->pid = pid;
		s->serial = ++d->next_session_serial;
		s->encoding = -1;
		tsearch(s, &d->sessions, sess_cmp);
	}
	if (kflags & SW_SESS_WALSENDER)
		s->walsender = true;
	if (kernel_title) {
		/* The kernel saw the backend authenticate: a new connection, whoever had the pid before. */
		s->client_looked = false;
		s->layout = NULL;
		s->layout_missed_ns = 0;
		s->client_exe[0] = s->client_cmdline[0] = 0;
		s->application_known = false;
		s->application_read_ns = 0;
		s->request_id[0] = 0;
		sw_who_cache_free(&session_of(s)->who);
	}
	have_title = (kernel_title && sw_pg_parse_title_ex(kernel_title, role && role[0] ? role : NULL, s->walsender, &t)) ||
		     (sw_proc_title(pid, title, sizeof(title)) &&
		      sw_pg_parse_title_ex(title, role && role[0] ? role : NULL, s->walsender, &t));
	snprintf(s->role, sizeof(s->role), "%s", role && role[0] ? role : (have_title ? t.role : ""));
	snprintf(s->database, sizeof(s->database), "%s", have_title ? t.database : "");
	snprintf(s->client, sizeof(s->client), "%s", have_title ? t.client : "");
	s->governed = !s->role[0] || sw_policy_governs(d->policy, s->role);
	/* A new connection: who is asking is read now, before its first statement, so that statement
	 * may already be allowed from the caches. Settings its client sends come after this (each a
	 * setting event, which corrects application_name). */
	if (kernel_title) {
		sw_session_who(d, s);
		/* ... and read again at its first statement: an ungoverned session reports no settings. */
		s->application_stale = true;
	}
	s->ctx_id = context_id(d, s);
	sw_session_publish(d, s);
	note_session_start(d, s, fresh, kernel_title != NULL);
	return s;
}

static void sess_free(struct sw_session_info *s)
{
	/* At a stop the checkpoint stays through its pins; a session that ended was detached first. */
	sw_gate_close_nested(&s->nested_links);
	sw_session_expect_clear(s);
	sw_strv_free(&s->txn);
	sw_who_cache_free(&session_of(s)->who);
	free(session_of(s));
}

void sw_session_forget(struct sw_daemon *d, struct sw_session_info *s)
{
	struct sw_plan_entry *run = sw_plan_store_session_ended(d->plans, SW_ENGINE_POSTGRES, s->serial);
	if (run) {
		/* Its run is used: the rest of the plan does not run elsewhere. */
		json_t *f = json_pack("{s:s, s:i, s:i, s:i}", "plan", run->plan->id, "pid", s->pid, "next_step",
				      (int)run->run.next + 1, "steps", (int)run->plan->n_steps);
		sw_daemon_note(d, "plan_run_incomplete", f);
		json_decref(f);
	}
	sw_pg_deferred_write_session(d, s);
	if (s->session_key[0])
		append_session_record(d, sw_session_end_record(&(struct sw_session_facts){
			.engine = "postgres", .pid = s->pid, .session = s->session_key, .role = s->role }));
	sw_gate_detach_nested(&s->nested_links);
	if (d->gate)
		sw_gate_drop_session(d->gate, (uint32_t)s->pid);
	sw_prepared_drop_session(d->prepared, s->pid);
	tdelete(s, &d->sessions, sess_cmp);
	sess_free(s);
}

/* Where a command tag leaves its session's transaction. */
enum txn_edge { TXN_NONE, TXN_BEGIN, TXN_END };
static enum txn_edge txn_edge(const char *cmd)
{
	/* Its first letter leaves at most one tag to compare (a statement's own tag, every statement). */
	switch (cmd[0]) {
	case 'B':
		return strcmp(cmd, "BEGIN") == 0 ? TXN_BEGIN : TXN_NONE;
	case 'S':
		return strcmp(cmd, "START TRANSACTION") == 0 ? TXN_BEGIN : TXN_NONE;
	case 'C':
		return strcmp(cmd, "COMMIT") == 0 ? TXN_END : TXN_NONE;
	case 'R':
		return strcmp(cmd, "ROLLBACK") == 0 ? TXN_END : TXN_NONE;
	case 'P':
		return strcmp(cmd, "PREPARE TRANSACTION") == 0 ? TXN_END : TXN_NONE;
	}
	return TXN_NONE;
}

void sw_session_track(struct sw_session_info *s, const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++) {
		enum txn_edge e = txn_edge(a->stmts[i].command ? a->stmts[i].command : "");
		if (e == TXN_BEGIN) {
			sw_strv_free(&s->txn);
			s->in_txn = true;
		} else if (e == TXN_END) {
			sw_strv_free(&s->txn);
			s->in_txn = false;
			continue;
		}
		if (!s->in_txn)
			continue;
		if (s->txn.n == SW_TXN_CONTEXT_MAX) {
			free(s->txn.v[0]);
			memmove(s->txn.v, s->txn.v + 1, (s->txn.n - 1) * sizeof(*s->txn.v));
			s->txn.n--;
		}
		sw_strv_push(&s->txn, a->stmts[i].text ? a->stmts[i].text : "");
	}
}

/* twalk has no context argument: collect into a static list. */
static struct sw_session_info **walk_list;
static size_t walk_n, walk_cap;
static void walk_collect(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which != postorder && which != leaf)
		return;
	if (walk_n == walk_cap) {
		walk_cap = walk_cap ? walk_cap * 2 : 64;
		walk_list = sw_xrealloc(walk_list, walk_cap * sizeof(*walk_list));
	}
	walk_list[walk_n++] = *(struct sw_session_info *const *)node;
}

size_t sw_sessions_all(struct sw_daemon *d, struct sw_session_info ***out)
{
	walk_n = 0;
	if (d->sessions)
		twalk(d->sessions, walk_collect);
	*out = walk_list;
	return walk_n;
}

void sw_sessions_free_all(struct sw_daemon *d)
{
	struct sw_session_info **all;
	size_t n = sw_sessions_all(d, &all);
	for (size_t i = 0; i < n; i++) {
		tdelete(all[i], &d->sessions, sess_cmp);
		sess_free(all[i]);
	}
	free(walk_list);
	walk_list = NULL;
	walk_n = walk_cap = 0;
}

/* ---- SQL EXECUTE: what runs is checked, not assumed ---------------------------- */

void sw_session_expect_clear(struct sw_session_info *s)
{
	for (size_t i = 0; i < s->n_expect; i++) {
		free(s->expect[i].name);
		free(s->expect[i].prepared_text);
	}
	free(s->expect);
	s->expect = NULL;
	s->n_expect = s->next_expect = 0;
	s->expect_approved = false;
}

void sw_session_expect_executes(struct sw_session_info *s, const struct sw_analysis *a, bool approved)
{
	sw_session_expect_clear(s);
	for (size_t i = 0; i < a->n_stmts; i++) {
		const struct sw_stmt *st = &a->stmts[i];
		struct sw_exec_expect *e;
		if (!st->execute_name)
			continue;
		s->expect = sw_xrealloc(s->expect, (s->n_expect + 1) * sizeof(*s->expect));
		e = &s->expect[s->n_expect++];
		/* EXPLAIN without ANALYZE plans the prepared statement and runs nothing. */
		e->plan_only = st->command && strncmp(st->command, "EXPLAIN", 7) == 0 && !(st->traits & SW_TRAIT_EXECUTES);
		e->name = sw_xstrdup(st->execute_name);
		e->prepared_text = st->prepared_text ? sw_xstrdup(st->prepared_text) : NULL;
	}
	s->expect_approved = approved;
}

/* ---- who is asking -------------------------------------------------------- */

void sw_session_who(struct sw_daemon *d, struct sw_session_info *s)
{
	uint64_t now = sw_mono_ns();
	bool changed = !s->ctx_id;   /* no context yet, or dropped until this read */

	if (s->application_stale || !s->application_read_ns ||
	    now - s->application_read_ns >= SW_APPLICATION_REREAD_NS) {
		const struct sw_pg_layout *L = sw_daemon_layout_of(d, s->pid);
		char app[sizeof(s->application)];
		s->application_read_ns = now ? now : 1;
		s->application_stale = false;
		if (L && sw_pg_read_application_name(L, s->pid, app, sizeof(app)) &&
		    (!s->application_known || strcmp(app, s->application) != 0)) {
			memcpy(s->application, app, sizeof(app));
			s->application_known = true;
			changed = true;
		}
	}
	if (!s->client_looked) {
		/* Once: a connection's client does not change, and finding it reads every process's sockets. */
		struct sw_client_process cp;
		s->client_looked = true;
		changed = true;
		if (sw_client_process_of(s->pid, &cp)) {
			snprintf(s->client_exe, sizeof(s->client_exe), "%s", cp.exe);
			snprintf(s->client_cmdline, sizeof(s->client_cmdline), "%s", cp.cmdline);
		}
	}
	if (changed) {
		uint32_t ctx = context_id(d, s);
		if (ctx != s->ctx_id) {
			s->ctx_id = ctx;
			sw_session_publish(d, s);
		}
	}
}

void sw_session_note_settings(struct sw_daemon *d, struct sw_session_info *s, const char *setting_name,
			      const struct sw_analysis *a)
{
	if (setting_name && strcasecmp(setting_name, "application_name") == 0)
		s->application_stale = true;
	for (size_t i = 0; a && i < a->n_stmts && !s->application_stale; i++) {
		const struct sw_stmt *st = &a->stmts[i];
		if (st->cls == SW_CLASS_SESSION || st->settings.n)
			s->application_stale = true;
		for (size_t f = 0; f < st->functions.n && !s->application_stale; f++) {
			/* set_config() with arguments computed at run time ("set_config", "pg_catalog.set_config") */
			const char *fn = st->functions.v[f], *dot = strrchr(fn, '.');
			if (strcmp(dot ? dot + 1 : fn, "set_config") == 0)
				s->application_stale = true;
		}
	}
	/* Until it is read again, nothing of the session is allowed from the kernel's caches. */
	if (s->application_stale && s->ctx_id) {
		s->ctx_id = 0;
		sw_session_publish(d, s);
	}
}

void sw_session_who_ref(struct sw_session_info *s, const char *text, enum sw_who_stmt kind, const json_t *extra,
			struct sw_who_ref *out)
{
	struct sw_who_cache *who = &session_of(s)->who;

	/* A client statement's own leading comment; its nested statements carry the same. */
	if (kind == SW_WHO_CLIENT && (!text || !sw_request_id_pg(text, s->request_id)))
		s->request_id[0] = 0;
	/* Rendered again only when a value changed (sw_session_who, a SET, a new connection). */
	sw_who_cache_update(who, s->application_known ? s->application : NULL, s->client_exe, s->client_cmdline);
	*out = (struct sw_who_ref){
		.fields = who,
		/* The comment wins over application_name. */
		.request_id = kind != SW_WHO_OTHER && s->request_id[0] ? s->request_id : who->app_request_id,
		.at = json_is_object(extra) ? json_object_size(extra) : 0,
	};
}

void sw_session_setting_applied(struct sw_daemon *d, struct sw_session_info *s, const char *name,
				const char *value)
{
	size_t i;

	if (!name || !value || strcasecmp(name, "application_name") != 0)
		return;
	/* What PostgreSQL 15 stores (check_application_name: pg_clean_ascii), known before it runs:
	 * the backend is stopped until this verdict is carried out. */
	for (i = 0; value[i] && i + 1 < sizeof(s->application); i++)
		s->application[i] = value[i] >= 32 && value[i] <= 126 ? value[i] : '?';
	s->application[i] = 0;
	s->application_known = true;
	s->application_stale = false;
	s->application_read_ns = sw_mono_ns();
	{
		uint32_t ctx = context_id(d, s);
		if (ctx != s->ctx_id) {
			s->ctx_id = ctx;
			sw_session_publish(d, s);
		}
	}
}
