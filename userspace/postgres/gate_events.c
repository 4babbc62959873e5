/*
 * One kernel event, from capture to verdict: the statement a backend is
 * about to parse, a Bind (one execution of a prepared statement), a fastpath
 * function call, a replication command, or a setting being applied. Each is
 * read in full from the held backend when the event's copy was cut, judged
 * under the backend's own lexing settings by the same classifier and policy,
 * recorded, and then released, refused (the way that is certain for where the
 * backend stopped: see sw_pg_refuse) or held for a human.
 */
#include <ctype.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon_state.h"
#include "gate_events.h"
#include "plan_gate.h"
#include "holds.h"
#include "sessions.h"
#include "hold_id.h"
#include "hold_webhooks.h"
#include "binary_watch.h"
#include "outcome_watch.h"
#include "client_owner.h"
#include "live_context.h"
#include "pg_backend.h"
#include "pg_builtin_watch.h"
#include "pg_catalog_data.h"
#include "pg_completion.h"
#include "pg_fastpath.h"
#include "pg_functions.h"
#include "pg_hold.h"
#include "pg_params.h"
#include "pg_replication.h"
#include "pg_settings.h"
#include "pg_version_syntax.h"
#include "release_queue.h"
#include "shape.h"
#include "statement_json.h"
#include "util.h"
#include "watchdog.h"

#define PG_SQL_ASCII 0
#define PG_UTF8 6
/* GucSource names (utils/guc.h) for the sources the kernel reports. */
#define PGC_S_SESSION 13

struct sw_pending {
	uint32_t type, action, flags, ctx_id, lex, aux;
	int pid;
	uint64_t ktime_ns, text_addr, arg0, arg1, arg2;
	uint64_t seq;         /* the kernel's statement_seq of this event */
	struct timespec wall;
	char role[SW_ROLE_MAX + 1];
	char *text;           /* the statement judged (fastpath: the message body; setting: its SET form) */
	size_t len;
	bool complete;
	char *setting_name, *setting_value;   /* setting events (value NULL: RESET) */
	struct sw_analysis a;
	json_t *extra;        /* parameters, setting: appended to the record and the dossier */
	const char *via;
	bool late;            /* read from a previous gate's ring buffer after its daemon stopped */
};

#define LATE_NOTE "recorded at start-up by the next daemon, from the ring buffer of the gate whose daemon had stopped"

/* Held by this daemon's gate, stopped now and waiting for a verdict (not a previous gate's, read late). */
static bool live_hold(const struct sw_pending *p)
{
	return p->action == SW_ACT_HELD && !p->late;
}

static void pending_free(struct sw_pending *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->setting_name);
	free(p->setting_value);
	sw_analysis_free(&p->a);
	json_decref(p->extra);
	free(p);
}

static const char *via_of(uint32_t type)
{
	switch (type) {
	case SW_EV_BIND: return "bind";
	case SW_EV_FASTPATH: return "fastpath";
	case SW_EV_REPLICATION: return "replication";
	case SW_EV_SETTING: return "setting";
	case SW_EV_EXECUTE:
	case SW_EV_UTILITY:
	case SW_EV_FUNCTION: return "nested";
	default: return NULL;
	}
}

static struct sw_pg_lex lex_settings(uint32_t lex)
{
	struct sw_pg_lex l = { .standard_conforming_strings = (lex & SW_LEX_SCS) != 0,
			       .backslash_quote = (int)((lex & SW_LEX_BQ_MASK) >> SW_LEX_BQ_SHIFT) };
	return l;
}

/* ---- reading what the backend is about to do ---------------------------- */

/* A NUL-terminated string: from the event's copy when whole, else from the held backend. */
static void gather_string(struct sw_daemon *d, struct sw_pending *p, const char *cap, int32_t cap_len)
{
	size_t got;
	char *full;

	if (cap && cap_len > 0 && cap_len < SW_TEXT_CAP) {
		p->len = (size_t)cap_len - 1;
		p->text = sw_xstrndup(cap, p->len);
		p->complete = true;
		return;
	}
	if (live_hold(p) && p->text_addr && sw_proc_wait_stopped(p->pid, 200)) {
		full = sw_proc_read_string(p->pid, p->text_addr, d->opts->max_statement_bytes, &got);
		/* What the kernel saw must be what we read: the backend did not move. */
		if (full && (!cap || cap_len <= 0 || memcmp(full, cap, SW_TEXT_CAP - 1) == 0)) {
			p->len = got;
			p->text = full;
			p->complete = true;
			return;
		}
		free(full);
	}
	p->complete = false;
	p->len = cap && cap_len > 0 ? strnlen(cap, SW_TEXT_CAP - 1) : 0;
	p->text = sw_xstrndup(cap ? cap : "", p->len);
}

/* A fastpath message body: arg0 is the StringInfo, arg1 its length. */
static void gather_fastpath(struct sw_daemon *d, struct sw_pending *p, const char *cap, int32_t cap_len)
{
	struct { uint64_t data; int32_t len, maxlen, cursor; } si;

	if (live_hold(p) && sw_proc_wait_stopped(p->pid, 200) &&
	    sw_proc_read(p->pid, p->arg0, &si, sizeof(si)) && si.len >= 0 &&
	    (size_t)si.len <= d->opts->max_statement_bytes) {
		p->text = sw_xmalloc((size_t)si.len + 1);
		if (si.len == 0 || sw_proc_read(p->pid, si.data, p->text, (size_t)si.len)) {
			p->text[si.len] = 0;
			p->len = (size_t)si.len;
			p->complete = true;
			return;
		}
		free(p->text);
	}
	p->len = cap && cap_len > 0 ? (size_t)cap_len - 1 : 0;
	p->text = sw_xmalloc(p->len + 1);
	if (p->len)
		memcpy(p->text, cap, p->len);
	p->text[p->len] = 0;
	p->complete = p->len == p->arg1;
}

/* A setting: "name\0value\0" in the event, or both strings from the held backend. */
static void gather_setting(struct sw_daemon *d, struct sw_pending *p, const char *cap, int32_t cap_len)
{
	bool held = live_hold(p) && sw_proc_wait_stopped(p->pid, 200);
	size_t got, nl = 0;

	p->complete = true;
	if (cap && cap_len > 0) {
		nl = strnlen(cap, (size_t)cap_len < 256 ? (size_t)cap_len : 256);
		p->setting_name = sw_xstrndup(cap, nl);
	} else if (held) {
		p->setting_name = sw_proc_read_string(p->pid, p->arg0, 256, &got);
	}
	if (!p->setting_name) {
		p->setting_name = sw_xstrdup("");
		p->complete = false;
	}
	if (p->aux & SW_AUX_VALUE_NULL)
		return;
	if (cap && cap_len > 0 && cap_len < SW_TEXT_CAP && nl + 1 < (size_t)cap_len) {
		p->setting_value = sw_xstrndup(cap + nl + 1, (size_t)cap_len - nl - 1);
		return;
	}
	if (held)
		p->setting_value = sw_proc_read_string(p->pid, p->arg1, d->opts->max_statement_bytes, &got);
	if (!p->setting_value) {
		p->setting_value = sw_xstrdup("");
		p->complete = false;
	}
}

/* A nested statement: its own text, arg2 bytes long (0: to the end of the string it is in). */
static void gather_nested(struct sw_daemon *d, struct sw_pending *p, const char *cap, int32_t cap_len)
{
	if (p->aux & (SW_AUX_RULE_ACTION | SW_AUX_LAYOUT_BAD)) {
		p->text = sw_xstrdup("");
		p->len = 0;
		p->complete = !(p->aux & SW_AUX_LAYOUT_BAD);
		return;
	}
	if (cap && cap_len > 0 && cap_len < SW_TEXT_CAP) {
		gather_string(d, p, cap, cap_len);
		return;
	}
	if (live_hold(p) && p->text_addr && p->arg2 > 0 && p->arg2 <= d->opts->max_statement_bytes &&
	    sw_proc_wait_stopped(p->pid, 200)) {
		char *full = sw_xmalloc(p->arg2 + 1);
		if (sw_proc_read(p->pid, p->text_addr, full, p->arg2) &&
		    (!cap || cap_len <= 0 || memcmp(full, cap, SW_TEXT_CAP - 1) == 0)) {
			full[p->arg2] = 0;
			p->text = full;
			p->len = strnlen(full, p->arg2);
			p->complete = true;
			return;
		}
		free(full);
	}
	gather_string(d, p, cap, cap_len);
}

/* ---- classification ------------------------------------------------------- */

static void fail_closed(struct sw_analysis *a, const char *text, const char *why)
{
	memset(a, 0, sizeof(*a));
	a->engine = SW_ENGINE_POSTGRES;
	a->parse_ok = false;
	a->error = sw_xstrdup(why);
	a->n_stmts = 1;
	a->stmts = sw_xcalloc(1, sizeof(*a->stmts));
	a->stmts[0].text = sw_xstrdup(text ? text : "");
	a->stmts[0].cls = SW_CLASS_UNKNOWN;
	a->stmts[0].command = sw_xstrdup("UNKNOWN");
	sw_strv_push(&a->stmts[0].reasons, why);
}

/* SQL text under the backend's lexing settings; the shape cache only knows the defaults.
 * borrow: judge() decides whether the analysis may keep reading the cache's statement. */
static void analyze_sql(struct sw_daemon *d, struct sw_pending *p, bool borrow)
{
	struct sw_pg_lex l = lex_settings(p->lex);

	sw_pg_tree_set_lex(&l);
	if (p->lex == SW_LEX_DEFAULT && borrow)
		sw_acache_borrow(d->acache, p->text, p->len, &p->a);
	else if (p->lex == SW_LEX_DEFAULT)
		sw_acache_analyze(d->acache, p->text, p->len, &p->a);
	else
		sw_pg_analyze(p->text, &p->a);
	sw_pg_tree_set_lex(NULL);
}

static const char *setting_source_name(uint32_t source)
{
	switch (source) {
	case 5: return "ALTER ROLE ALL ... SET (every role, every database)";
	case 6: return "ALTER DATABASE ... SET";
	case 7: return "ALTER ROLE ... SET";
	case 8: return "ALTER ROLE ... IN DATABASE ... SET";
	case 9: return "the connection request (startup packet: options=-c ..., PGOPTIONS or a startup parameter)";
	case PGC_S_SESSION: return "SET or set_config() in the session";
	default: return "the server";
	}
}

/* The session's timeouts read from the held backend, for "only lower a timeout". */
static bool read_timeouts(struct sw_daemon *d, int pid, struct sw_setting_ctx *c)
{
	const struct sw_pg_layout *L = sw_session_layout(d, pid);
	int32_t v[4];
	uint64_t at[4];

	memset(c, 0, sizeof(*c));
	if (!L)
		return false;
	at[0] = sw_pg_layout_addr(L, pid, L->statement_timeout);
	at[1] = sw_pg_layout_addr(L, pid, L->lock_timeout);
	at[2] = sw_pg_layout_addr(L, pid, L->idle_in_xact_timeout);
	at[3] = sw_pg_layout_addr(L, pid, L->idle_session_timeout);
	for (int i = 0; i < 4; i++) {
		v[i] = 0;
		if (i == 3 && !L->idle_session_timeout)
			continue;   /* PostgreSQL 12 and 13 have no idle_session_timeout */
		if (!sw_proc_read(pid, at[i], &v[i], sizeof(v[i])))
			return false;
	}
	c->timeouts_known = true;
	c->statement_timeout_ms = v[0];
	c->lock_timeout_ms = v[1];
	c->idle_in_transaction_session_timeout_ms = v[2];
	c->idle_session_timeout_ms = v[3];
	return true;
}

/* 'text' with quotes doubled, for showing a setting as the SET that makes it. */
static char *quote_literal(const char *v)
{
	size_t n = strlen(v), k = 0;
	char *out = sw_xmalloc(2 * n + 3);

	out[k++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\'')
			out[k++] = '\'';
		out[k++] = v[i];
	}
	out[k++] = '\'';
	out[k] = 0;
	return out;
}

/* p's analysis: its text (just set) as one statement of class cls and command tag command. */
static struct sw_stmt *synthetic_statement(struct sw_pending *p, enum sw_class cls, const char *command)
{
	struct sw_stmt *st;

	p->len = strlen(p->text);
	memset(&p->a, 0, sizeof(p->a));
	p->a.engine = SW_ENGINE_POSTGRES;
	p->a.parse_ok = true;
	p->a.n_stmts = 1;
	p->a.stmts = sw_xcalloc(1, sizeof(*p->a.stmts));
	st = &p->a.stmts[0];
	st->text = sw_xstrdup(p->text);
	st->cls = cls;
	st->command = sw_xstrdup(command);
	return st;
}

/* A setting is judged like the SET that would make it (class session, trait unsafe_setting or session_escalation). */
static void analyze_setting(struct sw_daemon *d, struct sw_pending *p)
{
	uint32_t source = (p->aux >> SW_AUX_SETTING_SHIFT) & 0xff;
	uint32_t action = (p->aux >> (SW_AUX_SETTING_SHIFT + 8)) & 0xff;
	const char *name = p->setting_name, *value = p->setting_value;
	struct sw_setting_ctx ctx;
	struct sw_stmt *st;
	char lname[256], why[512];

	/* The name the server resolves (case, old aliases): what policy `setting:` globs see. */
	{
		char *canon = sw_pg_setting_canonical(name);
		snprintf(lname, sizeof(lname), "%s", canon ? canon : name);
		free(canon);
	}
	if (value) {
		char *q = quote_literal(value);
		p->text = sw_xasprintf("SET %s%s = %s", action == 1 ? "LOCAL " : "", name, q);
		free(q);
	} else {
		p->text = sw_xasprintf("RESET %s", name);
	}
	st = synthetic_statement(p, SW_CLASS_SESSION, value ? "SET" : "RESET");
	sw_strv_push(&st->settings, lname);
	{
		char *r = sw_xasprintf("setting %s applied from %s", lname, setting_source_name(source));
		sw_strv_push(&st->reasons, r);
		free(r);
	}
	/*
	 * A reset of role or session_authorization restores the login (RESET ROLE as a
	 * statement is refused by the classifier; DISCARD ALL resets this way); other
	 * resets are judged, since some restore PostgreSQL's built-in value rather than
	 * the DBA's (RESET transaction_read_only is off).
	 */
	if (value && sw_pg_setting_escalation(lname, value)) {
		st->traits |= SW_TRAIT_SESSION_ESCALATION | SW_TRAIT_UNSAFE_SETTING;
		sw_strv_push(&st->reasons, sw_pg_setting_escalation(lname, value));
	} else if ((value || (strcmp(lname, "role") != 0 && strcmp(lname, "session_authorization") != 0)) &&
		   !sw_pg_setting_allowed(lname, value, read_timeouts(d, p->pid, &ctx) ? &ctx : NULL, why,
					  sizeof(why))) {
		st->traits |= SW_TRAIT_UNSAFE_SETTING;
		sw_strv_push(&st->reasons, why);
	}
	if (!p->complete) {
		st->cls = SW_CLASS_UNKNOWN;
		sw_strv_push(&st->reasons, "the setting could not be read in full (judged fail-closed)");
	}
	p->extra = json_pack("{s:{s:s, s:s?, s:s}}", "setting", "name", lname, "value", value, "source",
			     setting_source_name(source));
}

static const char *cmd_type_name(uint64_t cmd)
{
	switch (cmd) {
	case 1: return "SELECT";
	case 2: return "UPDATE";
	case 3: return "INSERT";
	case 4: return "DELETE";
	case 5: return "MERGE";
	default: return "UNKNOWN";
	}
}

/*
 * A PL/pgSQL expression or assignment ("v_total > 0", "x := (SELECT ...)")
 * is run by the server as SELECT <expression>: parse it that way. The split
 * of an assignment is found with PostgreSQL's own scanner (libpg_query), at
 * the first ":=" or "=" outside parentheses.
 */
static char *plpgsql_expression_as_select(const char *text)
{
	PgQueryScanResult r = pg_query_scan(text);
	PgQuery__ScanResult *sr;
	char *out = NULL;

	if (r.error) {
		pg_query_free_scan_result(r);
		return NULL;
	}
	sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	if (sr) {
		int depth = 0;
		for (size_t i = 0; i < sr->n_tokens && !out; i++) {
			const PgQuery__ScanToken *t = sr->tokens[i];
			if (t->token == PG_QUERY__TOKEN__ASCII_40)
				depth++;
			else if (t->token == PG_QUERY__TOKEN__ASCII_41)
				depth--;
			else if (depth == 0 && i > 0 &&
				 (t->token == PG_QUERY__TOKEN__COLON_EQUALS || t->token == PG_QUERY__TOKEN__ASCII_61))
				out = sw_xasprintf("SELECT %s", text + t->end);
		}
		pg_query__scan_result__free_unpacked(sr, NULL);
	}
	pg_query_free_scan_result(r);
	return out;
}

/*
 * A nested statement's plan may have been prepared earlier in the session,
 * under the other standard_conforming_strings (PL/pgSQL prepares a statement
 * at its first run and keeps it): a text with a backslash must mean the same
 * statements under both, or it is refused.
 */
static void lexing_independent(struct sw_pending *p, const char *text)
{
	struct sw_pg_lex l = lex_settings(p->lex);
	struct sw_analysis alt;
	bool same;

	if (!p->a.parse_ok || !strchr(text, '\\'))
		return;
	l.standard_conforming_strings = !l.standard_conforming_strings;
	sw_pg_tree_set_lex(&l);
	sw_pg_analyze(text, &alt);
	sw_pg_tree_set_lex(NULL);
	same = alt.parse_ok && alt.n_stmts == p->a.n_stmts;
	for (size_t i = 0; same && i < alt.n_stmts; i++)
		same = alt.stmts[i].cls == p->a.stmts[i].cls && alt.stmts[i].traits == p->a.stmts[i].traits &&
		       alt.stmts[i].command && p->a.stmts[i].command &&
		       strcmp(alt.stmts[i].command, p->a.stmts[i].command) == 0;
	sw_analysis_free(&alt);
	if (same)
		return;
	sw_analysis_free(&p->a);
	fail_closed(&p->a, p->text, "a nested statement whose backslashes make it different statements under "
		    "standard_conforming_strings on and off; its plan may have been prepared under the other setting");
}

/*
 * What the server runs on the client's behalf. The engine's own view wins
 * where the text could mislead: a statement the executor runs as a write is a
 * write whatever its text parses to.
 */
static void analyze_nested(struct sw_daemon *d, struct sw_pending *p)
{
	if (p->aux & SW_AUX_LAYOUT_BAD) {
		fail_closed(&p->a, p->text, "the execution checkpoint could not read what the backend is about to run "
			    "(the QueryDesc/PlannedStmt checks failed at run time)");
		return;
	}
	if (p->aux & SW_AUX_RULE_ACTION) {
		const char *cmd = cmd_type_name(p->arg0);
		struct sw_stmt *st;
		free(p->text);
		p->text = sw_xasprintf("(rule action: %s)", cmd);
		st = synthetic_statement(p, p->arg0 == 1 ? SW_CLASS_READ : p->arg0 >= 2 && p->arg0 <= 5 ? SW_CLASS_WRITE
										      : SW_CLASS_UNKNOWN, cmd);
		{
			char *r = sw_xasprintf("a rule on a table the client statement uses runs this %s (a rule's action "
					       "has no text of its own)", cmd);
			sw_strv_push(&st->reasons, r);
			free(r);
		}
		return;
	}
	if (!p->complete) {
		fail_closed(&p->a, p->text, "nested statement text could not be read in full (judged fail-closed)");
		return;
	}
	analyze_sql(d, p, false);
	if (p->a.parse_ok) {
		lexing_independent(p, p->text);
	} else {
		char *sel = NULL, *expr = sw_xasprintf("SELECT %s", p->text);
		struct sw_analysis alt;
		struct sw_pg_lex l = lex_settings(p->lex);
		for (int attempt = 0; attempt < 2; attempt++) {
			const char *try = attempt == 0 ? expr : (sel = plpgsql_expression_as_select(p->text));
			if (!try)
				break;
			sw_pg_tree_set_lex(&l);
			sw_pg_analyze(try, &alt);
			sw_pg_tree_set_lex(NULL);
			if (alt.parse_ok && alt.n_stmts == 1) {
				sw_analysis_free(&p->a);
				p->a = alt;
				lexing_independent(p, try);
				sw_strv_push(&p->a.stmts[0].reasons,
					     attempt == 0 ? "a PL/pgSQL expression, run by the server as SELECT <expression>"
							  : "a PL/pgSQL assignment, its value computed as SELECT <expression>");
				break;
			}
			sw_analysis_free(&alt);
		}
		free(expr);
		free(sel);
	}
	if (p->type == SW_EV_EXECUTE && p->arg0 >= 2 && p->arg0 <= 5 && p->a.parse_ok) {
		bool writes = false;
		for (size_t i = 0; i < p->a.n_stmts; i++)
			writes |= p->a.stmts[i].cls != SW_CLASS_READ;
		if (!writes)
			for (size_t i = 0; i < p->a.n_stmts; i++) {
				char *r = sw_xasprintf("the executor runs it as %s", cmd_type_name(p->arg0));
				p->a.stmts[i].cls = SW_CLASS_WRITE;
				sw_strv_push(&p->a.stmts[i].reasons, r);
				free(r);
			}
	}
}

/* The backend's PostgreSQL major (its binary's layout), 0 when unknown. */
static int backend_major(struct sw_daemon *d, int pid)
{
	const struct sw_pg_layout *L = sw_session_layout(d, pid);

	return L ? L->major : 0;
}

static void analyze(struct sw_daemon *d, struct sw_pending *p)
{
	/* Catalog facts (function OIDs, volatility, casts) of the backend's major. */
	int major = backend_major(d, p->pid), was = sw_pg_catalog_set_major(major);

	switch (p->type) {
	case SW_EV_EXECUTE:
	case SW_EV_UTILITY:
		analyze_nested(d, p);
		break;
	case SW_EV_FUNCTION: {
		/* A watched built-in reached without a statement naming it: judged as its call,
		 * named as the function that OID is on this backend's major. */
		char call[128];
		if (sw_pg_builtin_statement_for_major(p->arg0, major, call, sizeof(call))) {
			free(p->text);
			p->text = sw_xstrdup(call);
			p->len = strlen(call);
		}
		analyze_sql(d, p, false);
		for (size_t i = 0; i < p->a.n_stmts; i++)
			sw_strv_push(&p->a.stmts[i].reasons, "the server calls this built-in on the client's behalf "
				     "(through a view, a column default, a PL/pgSQL expression, an operator, ...)");
		break;
	}
	case SW_EV_FASTPATH:
		sw_pg_fastpath_analyze((const unsigned char *)p->text, p->len, major, &p->a);
		/* What is judged, shown and hashed is the call as SQL, not the message's bytes. */
		if (p->a.n_stmts && p->a.stmts[0].text) {
			free(p->text);
			p->text = sw_xstrdup(p->a.stmts[0].text);
			p->len = strlen(p->text);
		}
		break;
	case SW_EV_SETTING:
		analyze_setting(d, p);
		break;
	case SW_EV_REPLICATION:
		/* The caller checked it is a replication command. */
		break;
	default:
		analyze_sql(d, p, true);
		break;
	}
	sw_pg_catalog_set_major(was);
	sw_pg_note_server_syntax(&p->a, major);
}

/* ---- deciding ---------------------------------------------------------------- */

/* A PostgreSQL backend moves: resumed, or refused at the point it is stopped at. */
static void pg_release_move(struct sw_daemon *d, const struct sw_release *r, bool run)
{
	(void)d;
	if (run)
		sw_pg_resume(r->pid);
	else
		sw_pg_refuse(r->pid, r->type, r->arg0, r->aux);
}

static const struct sw_release_ops pg_release_ops = { .move = pg_release_move };

/* Queue a decided backend for release after the group commit (release_queue.h). */
static void queue_release(struct sw_daemon *d, int pid, bool allow, uint32_t type, uint64_t arg0, uint32_t aux)
{
	sw_release_queue(d, &(struct sw_release){ .pid = pid, .allow = allow, .type = type, .arg0 = arg0, .aux = aux,
						  .ops = &pg_release_ops });
}

/* PostgreSQL's gate hears the ledger fail: nothing is allowed from the kernel's caches while it
 * does (every governed statement waits for its record). */
void sw_gate_ledger_failing(struct sw_daemon *d, bool failing)
{
	if (failing)
		sw_gate_cache_clear(d->gate);
}

/*
 * Group commit: one fdatasync (on the ledger's sync thread) for every statement
 * whose record was written before it began (sixteen sessions starting at once
 * wait for one sync, not sixteen), then each backend moves; the loop goes on
 * deciding while the sync runs. While the ledger cannot be written, refusals still
 * go ahead (fail closed) but an allowed statement stays held until its record
 * is on disk (backpressure), and is refused only after sw_release_wait_ns(), with a
 * record saying so once the ledger takes records again (release_queue.c, which
 * moves every engine's decided statements).
 */
void sw_gate_release_decided(struct sw_daemon *d)
{
	/* The records of this pass that waited for their completions (pg_completion.h). */
	sw_pg_deferred_write_all(d);
	/* Every pass: statements over their runtime budget are cancelled. */
	sw_pg_completion_tick(d);
	sw_release_run(d);
}

/* Shape verdicts only where the shape cannot hide a difference (see shape.c), and
 * only when the policy looks at nothing a literal can change. */
static bool shape_cacheable(const struct sw_daemon *d, const struct sw_analysis *a)
{
	return sw_shape_cacheable(a) && !sw_policy_literal_sensitive(d->policy);
}

static bool session_dependent(const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++)
		if (a->stmts[i].execute_name || a->stmts[i].prepare_name || a->stmts[i].settings.n ||
		    (a->stmts[i].traits & (SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED)))
			return true;
	return a->n_stmts == 0;
}

/*
 * A parsed statement with $n placeholders does nothing until it is bound: in
 * a simple Query it fails ("there is no parameter $1"), in the extended
 * protocol it only prepares. So a statement policy would hold is let through
 * the parser and each execution is held at Bind, where the human sees the
 * parameter values of exactly that execution. Only single plannable
 * statements, whose placeholders are resolved before anything runs.
 */
static bool defer_to_bind(const struct sw_analysis *a)
{
	const struct sw_stmt *st;

	if (a->n_stmts != 1 || !a->parse_ok)
		return false;
	st = &a->stmts[0];
	if (!(st->traits & SW_TRAIT_PARAMETERIZED) || st->prepare_name || st->execute_name)
		return false;
	return st->cls == SW_CLASS_READ || st->cls == SW_CLASS_WRITE;
}

static bool has_high_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* The server encoding of a session's database, read once from a held backend. */
static int session_encoding(struct sw_daemon *d, struct sw_session_info *s)
{
	const struct sw_pg_layout *L;
	uint64_t ptr = 0;
	int32_t enc;

	if (s->encoding >= 0)
		return s->encoding;
	L = sw_session_layout(d, s->pid);
	if (L && sw_proc_read(s->pid, sw_pg_layout_addr(L, s->pid, L->database_encoding), &ptr, sizeof(ptr)) &&
	    ptr && sw_proc_read(s->pid, ptr + 8, &enc, sizeof(enc)) && enc >= 0)
		s->encoding = enc;
	return s->encoding;
}

/* Set *j to a denial by sqlward itself (not a policy rule). */
static void deny(struct sw_judgement *j, const char *rule, const char *reason)
{
	j->verdict = SW_VERDICT_DENY;
	j->rule_id = rule;
	j->reason = reason;
}

/* What the gate itself requires of a governed statement, before and beyond the policy. */
/* Who owns a function, from the policy's live context, in the session's database (trusted_functions owner:). */
struct owners_ctx {
	const char *dsn, *database;
};
static bool live_owners(void *ctx, const char *schema, const char *name, struct sw_strv *owners)
{
	const struct owners_ctx *o = ctx;
	return o->database[0] && sw_live_function_owners_dsn(o->dsn, o->database, schema, name, owners);
}

static bool nested_type(uint32_t type)
{
	return type == SW_EV_EXECUTE || type == SW_EV_UTILITY || type == SW_EV_FUNCTION;
}

static bool any_trait(const struct sw_analysis *a, unsigned traits)
{
	for (size_t i = 0; i < a->n_stmts; i++)
		if (a->stmts[i].traits & traits)
			return true;
	return false;
}

/*
 * Without the execution checkpoint on the backend nothing a statement runs
 * inside functions is seen: a backend it should be on but is not gets nothing
 * (its caches are off too), and on a binary without it, code the policy allows
 * only because its statements would be judged there is refused.
 */
static void engine_truth_requirements(struct sw_daemon *d, struct sw_session_info *s, struct sw_pending *p,
				      struct sw_judgement *overall)
{
	const struct sw_pg_layout *L;

	if (!s->governed || s->nested_live || nested_type(p->type) || p->type == SW_EV_SETTING ||
	    p->type == SW_EV_REPLICATION || overall->verdict == SW_VERDICT_DENY || d->opts->observe_only)
		return;
	L = sw_session_layout(d, s->pid);
	if (L && L->bpf.fn[SW_FN_EXECUTOR_START])
		deny(overall, "execution-checkpoint-unavailable",
		     "the execution checkpoint could not be put on this backend, so what its statements run inside "
		     "functions would not be judged; see the daemon log and `sqlward status`");
	else if (any_trait(&p->a, SW_TRAIT_OPAQUE_CODE | SW_TRAIT_RUNS_SQL))
		deny(overall, "nested-judgment-unavailable",
		     "procedural code or SQL run from a string is allowed only where the execution checkpoint judges "
		     "what it runs, and it is not live for this server binary (see `sqlward status`)");
}

static void gate_requirements(struct sw_daemon *d, struct sw_session_info *s, struct sw_pending *p,
			      struct sw_judgement *overall)
{
	bool sql = p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND || nested_type(p->type);

	if (!s->role[0])
		deny(overall, "unknown-session", "the session's role could not be determined");
	else if (!p->complete)
		deny(overall, "incomplete-text", "the statement could not be read in full");
	else if (p->aux & SW_AUX_LAYOUT_BAD)
		deny(overall, "unverified-layout",
		     "the prepared statement's plan source does not have the layout sqlward checked for this "
		     "PostgreSQL version, so what it runs cannot be read");
	else if (sql && !(p->lex & SW_LEX_KNOWN))
		deny(overall, "lexing-unknown",
		     "the backend's lexing settings (standard_conforming_strings, backslash_quote) could not be "
		     "read, so the statement cannot be parsed as the server will parse it");
	else if (p->aux & SW_AUX_ROLE_DIFFERS)
		deny(overall, "effective-role-changed",
		     "the session runs as a different role than it authenticated as; sqlward judges a governed "
		     "login only as itself");
	else if (s->refused)
		deny(overall, "connection-refused", "a setting of this connection was refused; the session is ending");
	else if (sql && has_high_bytes(p->text, p->len)) {
		int enc = session_encoding(d, s);
		if (enc != PG_UTF8 && enc != PG_SQL_ASCII)
			deny(overall, "encoding",
			     enc < 0 ? "the database encoding could not be read and the statement has non-ASCII "
				       "bytes, which lex differently per encoding"
				     : "the database is not UTF-8 and the statement has non-ASCII bytes; sqlward "
				       "lexes non-ASCII text as UTF-8 only (use ASCII or a UTF-8 database)");
	}
	engine_truth_requirements(d, s, p, overall);
}


static bool read_backend(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return sw_proc_read(*(const int *)ctx, addr, buf, len);
}

/* Parameters of a held Bind, for the human deciding this one execution. */
static void attach_parameters(struct sw_daemon *d, struct sw_pending *p)
{
	const struct sw_pg_layout *L = sw_session_layout(d, p->pid);
	struct sw_param *params = NULL;
	size_t n = 0;
	char err[256];
	json_t *arr;

	struct sw_pg_params_layout pl = sw_pg15_params_layout;

	if (L) {   /* this major's ParamListInfoData, checked against makeParamList's code at attach */
		pl.num_params_off = L->params_num_off;
		pl.params_off = L->params_array_off;
		pl.extern_size = L->param_size;
	}
	if (!L || !L->params_array_off) {
		arr = json_string("(parameters not read: the server binary's layout is unknown)");
	} else if (sw_pg_params_read(read_backend, &p->pid, p->arg1, &pl, &params, &n, err, sizeof(err)) == 0) {
		arr = sw_pg_params_json(params, n);
		sw_pg_params_free(params, n);
	} else {
		char *m = sw_xasprintf("(parameters not read: %s)", err);
		arr = json_string(m);
		free(m);
	}
	if (!p->extra)
		p->extra = json_object();
	json_object_set_new(p->extra, "parameters", arr);
}

/* Read from the stopped backend, race-free: its timeouts, and the search_path the statement
 * will resolve names with (for the reviewer). */
static void read_held_backend(const struct sw_pg_layout *L, struct sw_hold *h, struct sw_pending *p)
{
	int32_t st = 0, lt = 0;
	uint64_t ptr = 0;
	size_t got;
	char *sp;

	h->timeouts_known = sw_proc_read(h->pid, sw_pg_layout_addr(L, h->pid, L->statement_timeout), &st, 4) &&
			    sw_proc_read(h->pid, sw_pg_layout_addr(L, h->pid, L->lock_timeout), &lt, 4);
	h->statement_timeout_ms = st;
	h->lock_timeout_ms = lt;
	if (sw_proc_read(h->pid, sw_pg_layout_addr(L, h->pid, L->namespace_search_path), &ptr, sizeof(ptr)) &&
	    ptr && (sp = sw_proc_read_string(h->pid, ptr, 4096, &got))) {
		if (!p->extra)
			p->extra = json_object();
		json_object_set_new(p->extra, "search_path", sw_json_textn(sp, got));
		free(sp);
	}
}

/* Who may approve it: every rule that held a part of the string (all their approvers, the
 * largest count, the shortest timeout), and who asked, through the stopped connection. */
static void hold_approval(struct sw_daemon *d, struct sw_hold *h, const struct sw_judgement *per, size_t n,
			  const struct sw_judgement *overall)
{
	const struct sw_rule *rule = sw_policy_rule(d->policy, overall->rule_id);
	struct sw_client_chain chain;

	sw_approval_init(&h->approval, 0, NULL);
	sw_approval_add_judged(&h->approval, d->policy, per, n, overall);
	/* The backend is stopped: its connection, and whoever is behind it, hold still. */
	sw_client_chain(h->pid, &chain);
	sw_approval_set_chain(&h->approval, &chain, rule ? rule->approvers_distinct_from : SW_DISTINCT_FROM_REQUESTER);
}

/* The hold's "held" record, its webhooks, the watchdog's note and the log line. */
static void announce_hold(struct sw_daemon *d, struct sw_session_info *s, struct sw_pending *p, struct sw_hold *h)
{
	struct sw_decision dec = {
		.time = h->wall, .engine = SW_ENGINE_POSTGRES, .pid = s->pid, .role = s->role,
		.database = s->database[0] ? s->database : NULL, .client = s->client[0] ? s->client : NULL,
		.governed = s->governed, .statement = h->statement, .statement_len = h->statement_len,
		.statement_complete = true, .analysis = &h->analysis, .per_stmt = h->per_stmt, .overall = &h->overall,
		.outcome = "held", .decided_by = "policy", .via = h->via, .extra = h->extra,
	};
	char idt[SW_HOLD_ID_TEXT_MAX];

	sw_gate_record(d, &dec, true, &h->ledger_seq);
	if ((p->aux & SW_AUX_CLIENT) && !nested_type(p->type))
		s->statement_seq = h->ledger_seq;
	sw_hold_webhooks_held(d, h);
	sw_watchdog_tell(d->watchdog_fd, "H %d %llu %s %s %u %llu %u\n", h->pid, (unsigned long long)h->id,
			 h->statement_sha256, s->role[0] ? s->role : "-", h->type, (unsigned long long)h->arg0, h->aux);
	sw_hold_id_format(h->id, idt, sizeof(idt));
	fprintf(stderr, "sqlward: holding pid %d (%s): hold %s, rule %s%s%s\n", s->pid, s->role, idt,
		h->overall.rule_id, h->via ? ", via " : "", h->via ? h->via : "");
}

/* Hold the stopped backend for a human: the hold takes p's text, analysis and extras, and per. */
static void hold(struct sw_daemon *d, struct sw_session_info *s, struct sw_pending *p, struct sw_judgement *per,
		 const struct sw_judgement *overall)
{
	struct sw_hold *h = sw_xcalloc(1, sizeof(*h));
	uint64_t now = sw_mono_ns();
	const struct sw_pg_layout *L = sw_session_layout(d, s->pid);

	sw_pg_hold_init(d, h);
	h->pid = s->pid;
	h->type = p->type;
	h->arg0 = p->arg0;
	h->aux = p->aux;
	h->via = p->via;
	h->sess = *s;
	/* The hold keeps the session's identity only: what the session owns stays with it. */
	memset(&h->sess.txn, 0, sizeof(h->sess.txn));
	h->sess.expect = NULL;
	h->sess.n_expect = h->sess.next_expect = 0;
	memset(&h->sess.nested_links, 0, sizeof(h->sess.nested_links));
	sw_strv_copy(&h->txn_before, &s->txn);
	sw_sha256_hex(p->text, p->len, h->statement_sha256);
	hold_approval(d, h, per, p->a.n_stmts, overall);
	if (L)
		read_held_backend(L, h, p);
	h->start_ns = p->ktime_ns;
	h->wall = p->wall;
	h->deadline_ns = now + (uint64_t)h->approval.timeout_s * 1000000000ull;
	h->statement = p->text;
	h->statement_len = p->len;
	sw_analysis_own(&p->a);   /* the hold outlives this call and the cache slot */
	h->analysis = p->a;
	h->per_stmt = per;
	h->overall = *overall;
	h->extra = p->extra;
	p->text = NULL;
	p->extra = NULL;
	memset(&p->a, 0, sizeof(p->a));
	sw_holds_add(d, h);
	announce_hold(d, s, p, h);
}

/* Remember "allow" in the kernel for what the policy (not a human) allowed. */
static void cache_allow(struct sw_daemon *d, struct sw_session_info *s, struct sw_pending *p)
{
	if (d->opts->no_cache || d->opts->observe_only || d->frozen || d->ledger_failing_since_ns || !p->complete ||
	    p->len + 1 >= SW_TEXT_CAP ||
	    session_dependent(&p->a) || !(p->lex & SW_LEX_KNOWN) || (p->aux & SW_AUX_ROLE_DIFFERS))
		return;
	if (p->type == SW_EV_STATEMENT) {
		sw_gate_cache_allow(d->gate, s->ctx_id, p->lex, SW_EV_STATEMENT, p->text, (uint32_t)p->len + 1);
		/* The extended protocol binds what it parsed: the execution is allowed too. */
		sw_gate_cache_allow(d->gate, s->ctx_id, p->lex, SW_EV_BIND, p->text, (uint32_t)p->len + 1);
		if (p->lex == SW_LEX_DEFAULT && shape_cacheable(d, &p->a))
			sw_gate_shape_allow(d->gate, s->ctx_id, p->text, p->len);
	} else if (p->type == SW_EV_BIND) {
		sw_gate_cache_allow(d->gate, s->ctx_id, p->lex, SW_EV_BIND, p->text, (uint32_t)p->len + 1);
	} else if (nested_type(p->type) && p->len && !(p->aux & (SW_AUX_RULE_ACTION | SW_AUX_LAYOUT_BAD))) {
		/* The same nested text allowed again runs without stopping the backend. */
		sw_gate_cache_allow(d->gate, s->ctx_id, p->lex, p->type, p->text, (uint32_t)p->len + 1);
	}
}

/* ---- SQL EXECUTE: what runs is checked, not assumed ---------------------------- */

/*
 * An execution from SQL EXECUTE inside the statement the policy (or a human)
 * allowed. Plain EXPLAIN EXECUTE only plans: allowed. Otherwise the prepared
 * statement that really runs is judged like any execution, and a human's
 * approval of the EXECUTE covers it only when it is the PREPARE the reviewer
 * was shown. Returns the note for the record, or NULL to judge as is.
 */
static const char *check_sql_execute(struct sw_session_info *s, const struct sw_pending *p,
				     struct sw_judgement *overall)
{
	const struct sw_exec_expect *e = s->next_expect < s->n_expect ? &s->expect[s->next_expect++] : NULL;

	if (!e)
		return NULL;
	if ((p->aux & SW_AUX_EXPLAIN_EXECUTE) && e->plan_only) {
		overall->verdict = SW_VERDICT_ALLOW;
		return "EXPLAIN EXECUTE without ANALYZE: the prepared statement is planned, not run";
	}
	if (!s->expect_approved || overall->verdict != SW_VERDICT_HOLD || !e->prepared_text)
		return NULL;
	for (size_t i = 0; i < p->a.n_stmts; i++) {
		const struct sw_stmt *st = &p->a.stmts[i];
		if (st->prepare_name && st->text && strcmp(st->prepare_name, e->name) == 0 &&
		    strcmp(st->text, e->prepared_text) == 0) {
			overall->verdict = SW_VERDICT_ALLOW;
			return "the prepared statement the approved EXECUTE was shown";
		}
	}
	return NULL;
}

/* Refused in the kernel while no daemon was alive (connection_refused: the session was being ended). */
static void kernel_refusal(struct sw_judgement *j, bool connection_refused)
{
	*j = (struct sw_judgement){ .verdict = SW_VERDICT_DENY, .rule_id = "no-daemon",
				    .reason = "no live sqlward daemon when the statement arrived" };
	if (connection_refused) {
		j->rule_id = "connection-refused";
		j->reason = "a setting of this connection was refused; the session is ending";
	}
}

/* What the kernel did back then, in the record (j: the judgement when it is not the policy's). */
static void late_outcome(const struct sw_pending *p, bool governed, struct sw_decision *dec, struct sw_judgement *j)
{
	switch (p->action) {
	case SW_ACT_OBSERVED:
		dec->outcome = "observed";
		dec->decided_by = "policy";
		return;
	case SW_ACT_CACHED_ALLOW:
	case SW_ACT_SHAPE_ALLOW:
		*j = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = "cache",
					    .reason = "allowed in the kernel by an earlier verdict" };
		dec->outcome = "ran";
		break;
	case SW_ACT_HELD:
		if (!governed) {   /* held only because the kernel did not know the session: it ran */
			dec->outcome = "observed";
			dec->decided_by = "policy";
			return;
		}
		*j = (struct sw_judgement){ .verdict = SW_VERDICT_DENY, .rule_id = "daemon-gone",
					    .reason = "held by a daemon that stopped before deciding; its watchdog or the "
						      "next daemon refused it" };
		dec->outcome = "cancelled";
		break;
	default:
		kernel_refusal(j, p->flags & SW_SESS_REFUSED);
		dec->outcome = p->action == SW_ACT_TERMINATED ? "terminated" : "cancelled";
		break;
	}
	dec->overall = j;
}

/*
 * A statement read from a previous gate's ring buffer: recorded as the kernel
 * handled it back then, with the role the kernel reported. Nothing about the
 * live sessions changes (the pid may since belong to another backend).
 */
static void conclude_late(struct sw_daemon *d, struct sw_pending *p)
{
	struct sw_judgement *per = sw_xcalloc(p->a.n_stmts ? p->a.n_stmts : 1, sizeof(*per)), overall, j;
	struct sw_subject subj = { .role = p->role, .engine = SW_ENGINE_POSTGRES };
	bool governed = !p->role[0] || sw_policy_governs(d->policy, p->role);
	struct sw_decision dec = {
		.time = p->wall, .engine = SW_ENGINE_POSTGRES, .pid = p->pid, .role = p->role, .governed = governed,
		.statement = p->text, .statement_len = p->len, .statement_complete = p->complete,
		.analysis = &p->a, .per_stmt = per, .overall = &overall, .via = p->via, .extra = p->extra,
		.comment = LATE_NOTE, .decided_by = "kernel",
	};

	sw_policy_judge(d->policy, &subj, &p->a, per, &overall);
	late_outcome(p, governed, &dec, &j);
	sw_gate_record(d, &dec, false, NULL);
	free(per);
	pending_free(p);
}

/* One live statement being concluded: what its judging and every outcome share. */
struct conclusion {
	struct sw_pending *p;
	struct sw_session_info *s;
	bool nested;             /* run inside a client statement (execution checkpoint) */
	bool client;             /* a client's own statement */
	bool parsed_inside;      /* parsed inside another statement (a SQL function's body) */
	bool deferred;           /* parameterized: each execution is judged at Bind instead */
	struct sw_judgement *per, overall;
	const char *decided_by, *comment;
	char token_note[128];
	struct sw_plan_verdict plan;  /* a step of an approved plan (plan_gate.h) */
	struct sw_decision dec;  /* its record; each outcome sets outcome, decided_by, what was enforced */
};

/* Where a client statement's record seq goes (its nested statements' records point at it). */
static uint64_t *client_seq(struct conclusion *c)
{
	return c->client ? &c->s->statement_seq : NULL;
}

/* Which client statement it runs inside and how deep; or, for a client statement, its id. */
static void note_nesting(struct conclusion *c, bool trust_record)
{
	struct sw_pending *p = c->p;
	struct sw_session_info *s = c->s;

	if (c->nested || c->parsed_inside) {
		json_t *n = json_pack("{s:i, s:I, s:i, s:s}", "level", (int)((p->aux >> SW_AUX_LEVEL_SHIFT) & 0xff),
				      "statement_id", (json_int_t)p->arg1,
				      "substatement_id", (int)((p->aux >> SW_AUX_SUB_SHIFT) & 0x7fff),
				      "checkpoint", c->parsed_inside ? "parse" : p->aux & SW_AUX_RULE_ACTION ? "rule" :
						    p->type == SW_EV_UTILITY ? "utility" :
						    p->type == SW_EV_FUNCTION ? "function" : "executor");
		if (!p->extra)
			p->extra = json_object();
		json_object_set_new(p->extra, "nesting", n);
		if (p->arg1 && p->arg1 == s->statement_id && s->statement_seq)
			json_object_set_new(p->extra, "top_level_seq", json_integer((json_int_t)s->statement_seq));
		if (p->type == SW_EV_FUNCTION && p->arg1 && p->arg1 == s->statement_id && s->statement_writes &&
		    sw_pg_builtin_part_of_write(p->arg0) && c->overall.verdict != SW_VERDICT_DENY) {
			/* nextval for a serial column's default (or an xid) inside a write that was
			 * allowed or approved (it runs): the same write, not a second decision. Reached
			 * from a read (a view's column), it is judged as the write it is. */
			c->overall = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = "inside-allowed-write",
							    .reason = "a write built-in run by the write it is part of "
								      "(a column default, a trigger), which was allowed" };
			c->decided_by = "inside-allowed-write";   /* (not "policy": never cached by its text) */
		}
		if (s->trust_nested && p->arg1 && p->arg1 == s->statement_id) {
			c->overall = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = "trusted-function",
							    .reason = "run by a function the policy trusts with nested: record" };
			c->decided_by = "trusted-function";
		}
	} else if (c->client) {
		s->statement_id = p->seq;
		s->statement_seq = 0;
		s->trust_nested = trust_record;
		s->statement_writes = false;
		for (size_t i = 0; i < p->a.n_stmts; i++) {
			enum sw_class k = p->a.stmts[i].cls;
			s->statement_writes |= k == SW_CLASS_WRITE || k == SW_CLASS_DDL || k == SW_CLASS_PROCEDURAL ||
					       k == SW_CLASS_UTILITY;
		}
		if (s->governed) {
			if (!p->extra)
				p->extra = json_object();
			json_object_set_new(p->extra, "statement_id", json_integer((json_int_t)p->seq));
		}
	}
}

/*
 * An execution (Bind) that follows its Parse in the same round trip (the unnamed
 * statement, PQexecParams, a driver's one-shot query): the Parse has a record of its
 * own, which ran nothing; the execution's record points at it. Called before the Bind
 * becomes the session's client statement.
 */
static void note_parse(struct conclusion *c)
{
	struct sw_pending *p = c->p;
	struct sw_session_info *s = c->s;

	if (p->type != SW_EV_BIND || !c->client || !p->arg2 || s->statement_id != p->arg2 - 1 || !s->statement_seq)
		return;
	if (!p->extra)
		p->extra = json_object();
	json_object_set_new(p->extra, "parse_seq", json_integer((json_int_t)s->statement_seq));
}

/* What a human approved earlier: the parse's approval covers its first execution, and an
 * approved EXECUTE the prepared statement the reviewer was shown. */
static void carry_approvals(struct conclusion *c)
{
	struct sw_pending *p = c->p;
	struct sw_session_info *s = c->s;

	if (s->governed && s->token_valid && p->type == SW_EV_BIND && !c->nested) {
		char sha[65];
		sw_sha256_hex(p->text, p->len, sha);
		if (c->overall.verdict == SW_VERDICT_HOLD && strcmp(sha, s->token_sha256) == 0) {
			c->overall.verdict = SW_VERDICT_ALLOW;
			c->decided_by = "approval";
			char idt[SW_HOLD_ID_TEXT_MAX];
			sw_hold_id_format(s->token_hold_id, idt, sizeof(idt));
			snprintf(c->token_note, sizeof(c->token_note), "the first execution approved with hold %s", idt);
			c->comment = c->token_note;
		}
	}
	if (s->governed && !c->nested && !c->parsed_inside)
		s->token_valid = false;
	/* A new statement: the EXECUTE expectations of the previous one are over. */
	if (p->type == SW_EV_STATEMENT)
		sw_session_expect_clear(s);
	if (s->governed && p->type == SW_EV_BIND && (p->aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE)) &&
	    c->overall.verdict != SW_VERDICT_DENY) {
		const char *note = check_sql_execute(s, p, &c->overall);
		if (note) {
			c->decided_by = "approval";
			c->comment = note;
		}
	}
}

/*
 * A governed client statement that is the next step of an approved plan: the
 * plan's approvals may authorise what the policy holds or denies, and the
 * record carries the plan id and step. The run moves on when the step is
 * tried; a run that cannot be counted on disk refuses the step.
 */
static void consult_plan(struct sw_daemon *d, struct conclusion *c, const struct sw_subject *subj)
{
	static char store_err[512];
	struct sw_pending *p = c->p;
	char err[400];
	json_t *ref = sw_plan_gate_consult(d->plans, d->policy, SW_ENGINE_POSTGRES, c->s->serial, subj, &p->a,
					   c->per, &c->overall, p->type == SW_EV_BIND, &c->plan);

	if (!ref)
		return;
	if (!p->extra)
		p->extra = json_object();
	json_object_set_new(p->extra, "plan", ref);
	if (c->plan.authorised && strcmp(c->overall.rule_id, SW_RULE_PLAN) == 0)
		c->decided_by = "plan";
	if (sw_plan_gate_ran(d->plans, &c->plan, SW_ENGINE_POSTGRES, c->s->serial, p->type == SW_EV_STATEMENT, err,
			     sizeof(err)) < 0) {
		snprintf(store_err, sizeof(store_err), "the plan run could not be counted (%s); refused so that no "
			 "run goes uncounted", err);
		deny(&c->overall, "plan-store", store_err);
		c->decided_by = "policy";
	}
}

/*
 * Whether p's borrowed classification (analysis_cache.h) can stay borrowed: only when
 * judging and concluding p here only read it. Observed, kernel-allowed and kernel-refused
 * statements are recorded in this call (a deferred record is rendered at once) and their
 * analysis freed with p. What changes an analysis (the live context, trusted functions,
 * resolving EXECUTE) or keeps it (a hold) needs its own.
 */
static bool may_stay_borrowed(const struct sw_daemon *d, const struct sw_pending *p,
			      const struct sw_session_info *s)
{
	const struct sw_stmt *st = &p->a.stmts[0];
	bool concluded_here = p->action == SW_ACT_OBSERVED || (p->action == SW_ACT_HELD && !s->governed) ||
			      p->action == SW_ACT_CACHED_ALLOW || p->action == SW_ACT_SHAPE_ALLOW ||
			      p->action == SW_ACT_CANCELLED || p->action == SW_ACT_TERMINATED;
	const char *dsn = sw_policy_live_dsn(d->policy);

	return concluded_here && p->a.n_stmts == 1 && !st->prepare_name && !st->execute_name &&
	       !(st->traits & SW_TRAIT_UNKNOWN_FUNCTION) && !(s->governed && dsn && *dsn);
}

/* The session, the policy's verdict and the gate's own requirements; the record to write. */
static void judge(struct sw_daemon *d, struct sw_pending *p, struct conclusion *c)
{
	struct sw_session_info *s = sw_session_find(d, p->pid);
	struct sw_subject subj;
	struct owners_ctx oc;
	struct sw_who_ref who;
	bool trust_record;

	if (!s)
		s = sw_session_learn(d, p->pid, p->role[0] ? p->role : NULL, NULL, p->flags);
	*c = (struct conclusion){ .p = p, .s = s, .decided_by = "policy", .nested = nested_type(p->type) };
	if (p->a.borrowed && !may_stay_borrowed(d, p, s))
		sw_analysis_own(&p->a);
	c->client = (p->aux & SW_AUX_CLIENT) && !c->nested;
	/* A statement parsed inside another one (a SQL function's body) is nested in it too. */
	c->parsed_inside = p->type == SW_EV_STATEMENT && !c->client && p->arg1;
	if (c->parsed_inside)
		p->via = "nested";
	if (p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND || p->type == SW_EV_UTILITY)
		sw_prepared_resolve(d->prepared, s->pid, &p->a);
	sw_session_who(d, s);
	subj = (struct sw_subject){ .role = s->role, .database = s->database[0] ? s->database : NULL,
				    .engine = SW_ENGINE_POSTGRES,
				    .application = s->application_known ? s->application : NULL,
				    .client_exe = s->client_exe[0] ? s->client_exe : NULL };
	c->per = sw_xcalloc(p->a.n_stmts ? p->a.n_stmts : 1, sizeof(*c->per));
	/* Live context (policy `live:`) for governed statements: only what the rules ask for (writes' row
	 * estimates, reads' plan cost, the columns a `*` or a view stands for). */
	if (s->governed && (p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND || c->nested))
		sw_live_annotate_dsn_wants(sw_policy_live_dsn(d->policy), subj.database,
					   sw_policy_live_wants(d->policy), &p->a);
	oc = (struct owners_ctx){ sw_policy_live_dsn(d->policy), s->database };
	trust_record = sw_policy_apply_trust(d->policy, &p->a, live_owners, &oc);
	sw_policy_judge(d->policy, &subj, &p->a, c->per, &c->overall);
	note_parse(c);
	note_nesting(c, trust_record);
	sw_session_who_ref(s, p->text,
			   c->client && (p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND) ? SW_WHO_CLIENT
			   : c->nested || c->parsed_inside || p->type == SW_EV_SETTING ? SW_WHO_INSIDE : SW_WHO_OTHER,
			   p->extra, &who);
	sw_session_note_settings(d, s, p->type == SW_EV_SETTING ? p->setting_name : NULL,
				 p->type == SW_EV_SETTING ? NULL : &p->a);
	if (s->governed || !s->role[0]) {
		gate_requirements(d, s, p, &c->overall);
		if (c->overall.verdict != SW_VERDICT_DENY && d->frozen && sw_daemon_any_frozen_class(d, &p->a))
			deny(&c->overall, "freeze", d->frozen_reason);
	}
	carry_approvals(c);
	if (d->plans && c->client && s->governed && (p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND))
		consult_plan(d, c, &subj);
	if (p->type == SW_EV_STATEMENT && c->overall.verdict == SW_VERDICT_HOLD && defer_to_bind(&p->a)) {
		c->overall.verdict = SW_VERDICT_ALLOW;
		c->deferred = true;
		c->comment = "a parameterized statement: each execution is judged at Bind, with its parameter values";
	}
	c->dec = (struct sw_decision){
		.time = p->wall, .engine = SW_ENGINE_POSTGRES, .pid = s->pid, .role = s->role,
		.database = s->database[0] ? s->database : NULL, .client = s->client[0] ? s->client : NULL,
		.governed = s->governed, .statement = p->text, .statement_len = p->len,
		.statement_complete = p->complete, .analysis = &p->a, .per_stmt = c->per, .overall = &c->overall,
		.via = p->via, .extra = p->extra, .who = who,
	};
}

/* The record of a statement that ran without waiting for the daemon: a client statement's waits
 * for its completion, to be one record with it (pg_completion.h). */
static void record_ran(struct sw_daemon *d, struct conclusion *c)
{
	if (c->client)
		sw_pg_record_deferred(d, c->s, &c->dec, c->p->seq);
	else
		sw_gate_record(d, &c->dec, false, NULL);
}

/* Ungoverned (or held only because the session was unknown to the kernel): recorded, never stopped. */
static void conclude_observed(struct sw_daemon *d, struct conclusion *c)
{
	struct sw_pending *p = c->p;

	if (p->action == SW_ACT_HELD)
		sw_pg_resume(c->s->pid);
	c->dec.outcome = "observed";
	record_ran(d, c);
	if (p->complete && p->type == SW_EV_STATEMENT) {
		sw_prepared_commit(d->prepared, c->s->pid, &p->a);
		sw_session_track(c->s, &p->a);
	}
}

/* Allowed in the kernel by a verdict made earlier: the record says what was enforced. */
static void conclude_cached(struct sw_daemon *d, struct conclusion *c)
{
	struct sw_pending *p = c->p;
	struct sw_judgement enforced = { .verdict = SW_VERDICT_ALLOW, .rule_id = c->overall.rule_id,
					 .reason = c->overall.reason };

	if (c->overall.verdict != SW_VERDICT_ALLOW) {
		fprintf(stderr, "sqlward: WARNING: the kernel's %s cache allowed a statement the policy now "
			"judges %s (pid %d); caches are flushed on policy and freeze changes, so report this\n",
			p->action == SW_ACT_SHAPE_ALLOW ? "shape" : "verdict", sw_verdict_name(c->overall.verdict),
			c->s->pid);
		enforced.rule_id = "cache";
		enforced.reason = "allowed in the kernel by a verdict made before the policy or freeze changed";
	}
	c->dec.overall = &enforced;
	c->dec.outcome = "ran";
	c->dec.decided_by = p->action == SW_ACT_SHAPE_ALLOW ? "shape-cache" : "cache";
	record_ran(d, c);
	/* It has been running since it arrived: its budget counts from then. */
	if (c->client && c->s->governed && c->overall.verdict == SW_VERDICT_ALLOW)
		sw_pg_budget_start(d, c->s->pid, p->seq, p->ktime_ns, c->overall.budget_ms);
	if (p->type == SW_EV_STATEMENT) {
		sw_prepared_commit(d->prepared, c->s->pid, &p->a);
		sw_session_expect_executes(c->s, &p->a, false);
	}
	sw_session_track(c->s, &p->a);
}

/* Refused in the kernel: no daemon was alive when it arrived. */
static void conclude_kernel_refused(struct sw_daemon *d, struct conclusion *c)
{
	struct sw_judgement j;

	kernel_refusal(&j, c->s->refused || (c->p->flags & SW_SESS_REFUSED));
	c->dec.overall = &j;
	c->dec.outcome = c->p->action == SW_ACT_TERMINATED ? "terminated" : "cancelled";
	c->dec.decided_by = "kernel";
	sw_gate_record(d, &c->dec, false, client_seq(c));
}

/* Held for a human: the hold takes the text, analysis, judgements and extras. */
static void conclude_held(struct sw_daemon *d, struct conclusion *c)
{
	if (c->p->type == SW_EV_BIND)
		attach_parameters(d, c->p);
	/* A hold keeps its who fields in its extras (its records, `sqlward pending`). */
	sw_who_ref_into_extra(&c->p->extra, &c->dec.who);
	hold(d, c->s, c->p, c->per, &c->overall);
	c->per = NULL;
}

/* What an allowed statement leaves behind: prepared names, EXECUTE expectations, the
 * transaction so far, and the kernel's cache for what the policy allowed. */
static void after_allowed(struct sw_daemon *d, struct conclusion *c)
{
	struct sw_pending *p = c->p;

	if (p->type == SW_EV_STATEMENT) {
		sw_prepared_commit(d->prepared, c->s->pid, &p->a);
		sw_session_expect_executes(c->s, &p->a, false);
	}
	if (!c->deferred)
		sw_session_track(c->s, &p->a);
	if (!c->deferred && strcmp(c->decided_by, "policy") == 0)
		cache_allow(d, c->s, p);
}

/*
 * Allowed or refused now (by the policy, the gate, or an approval given
 * earlier). The record reaches the disk before the backend moves: queued,
 * synced and released with the others decided in this pass
 * (sw_gate_release_decided).
 */
static void conclude_decided(struct sw_daemon *d, struct conclusion *c)
{
	struct sw_pending *p = c->p;
	bool allow = c->overall.verdict == SW_VERDICT_ALLOW || d->opts->observe_only;
	uint64_t held_us = (sw_mono_ns() - p->ktime_ns) / 1000;

	if (!allow && p->type == SW_EV_BIND)
		attach_parameters(d, p);
	c->dec.extra = p->extra;
	c->dec.held_us = held_us;
	c->dec.decided_by = c->decided_by;
	c->dec.comment = c->comment;
	c->dec.outcome = allow ? (c->deferred ? "deferred" : p->type == SW_EV_SETTING ? "applied" : "ran")
			       : sw_pg_refusal_ends_session(p->type, p->aux) ? "terminated" : "cancelled";
	sw_gate_record(d, &c->dec, false, client_seq(c));
	queue_release(d, c->s->pid, allow, p->type, p->arg0, p->aux);
	if (!allow && p->type == SW_EV_SETTING && sw_pg_setting_at_connect(p->aux)) {
		/* A refused connection: everything it sends until it ends is refused in the kernel. */
		c->s->refused = true;
		sw_session_publish(d, c->s);
	}
	if (allow && p->type == SW_EV_SETTING)
		sw_session_setting_applied(d, c->s, p->setting_name, p->setting_value);
	if (allow)
		after_allowed(d, c);
	/* A runtime budget (the allowing rule's `budget:`) counts from its release. */
	if (allow && c->client && c->s->governed && !c->deferred && c->overall.verdict == SW_VERDICT_ALLOW)
		sw_pg_budget_start(d, c->s->pid, p->seq, sw_mono_ns(), c->overall.budget_ms);
}

/* One statement from capture to verdict: judged once, then concluded by what the kernel did with it. */
static void conclude(struct sw_daemon *d, struct sw_pending *p)
{
	struct conclusion c;

	if (p->late) {
		conclude_late(d, p);
		return;
	}
	/* The session's record waiting for its completion goes first: this statement's record may
	 * point at it (a nested statement's top_level_seq). */
	sw_pg_deferred_write_pid(d, p->pid);
	judge(d, p, &c);
	if (p->action == SW_ACT_OBSERVED || (p->action == SW_ACT_HELD && !c.s->governed))
		conclude_observed(d, &c);
	else if (p->action == SW_ACT_CACHED_ALLOW || p->action == SW_ACT_SHAPE_ALLOW)
		conclude_cached(d, &c);
	else if (p->action == SW_ACT_CANCELLED || p->action == SW_ACT_TERMINATED)
		conclude_kernel_refused(d, &c);
	else if (c.overall.verdict == SW_VERDICT_HOLD && !d->opts->observe_only && !d->stopping)
		conclude_held(d, &c);
	else
		conclude_decided(d, &c);
	/* A completion that came before this record was written follows it now. */
	if (c.client)
		sw_pg_completion_recorded(d, c.s);
	free(c.per);
	pending_free(p);
}

/* ---- entry points ----------------------------------------------------------- */

static void process(struct sw_daemon *d, struct sw_pending *p, const char *cap, int32_t cap_len)
{
	struct sw_session_info *s = p->late ? NULL : sw_session_find(d, p->pid);

	if (!p->late && (!s || !(p->flags & SW_SESS_KNOWN)))
		s = sw_session_learn(d, p->pid, p->role[0] ? p->role : NULL, NULL, p->flags);
	sw_mono_to_timespec(d, p->ktime_ns, &p->wall);
	p->via = via_of(p->type);
	switch (p->type) {
	case SW_EV_FASTPATH:
		gather_fastpath(d, p, cap, cap_len);
		break;
	case SW_EV_SETTING:
		gather_setting(d, p, cap, cap_len);
		break;
	case SW_EV_EXECUTE:
	case SW_EV_UTILITY:
		gather_nested(d, p, cap, cap_len);
		break;
	default:
		gather_string(d, p, cap, cap_len);
		break;
	}
	if (p->type == SW_EV_REPLICATION) {
		bool complete = p->complete;
		if (!sw_pg_replication_analyze(p->text, &p->a)) {
			/* SQL on a database walsender: the parser probe judges it next. */
			if (live_hold(p))
				sw_pg_resume(p->pid);
			pending_free(p);
			return;
		}
		if (!complete) {
			sw_analysis_free(&p->a);
			fail_closed(&p->a, p->text, "replication command could not be read in full (judged fail-closed)");
		}
		if (s)
			s->walsender = true;
		conclude(d, p);
		return;
	}
	if ((p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND) && !p->complete) {
		fail_closed(&p->a, p->text, "statement text could not be read in full (judged fail-closed)");
		conclude(d, p);
		return;
	}
	if ((p->type == SW_EV_STATEMENT || p->type == SW_EV_BIND) && p->len >= SW_AWORKER_MIN_BYTES && d->worker) {
		struct sw_pg_lex l = lex_settings(p->lex);
		sw_aworker_submit(d->worker, p->text, &l, p);
		return;
	}
	analyze(d, p);
	conclude(d, p);
}

void sw_gate_worker_done(struct sw_daemon *d)
{
	struct sw_analysis a;
	struct sw_pending *p;

	while (d->worker && (p = sw_aworker_take(d->worker, &a))) {
		p->a = a;
		sw_pg_note_server_syntax(&p->a, backend_major(d, p->pid));
		conclude(d, p);
	}
}

/* A statement to conclude, from the kernel's fields (an event or an overflow entry) and role. */
static struct sw_pending *pending_new(struct sw_daemon *d, const struct sw_pending *fields, const char *role)
{
	struct sw_pending *p = sw_xcalloc(1, sizeof(*p));

	*p = *fields;
	p->late = d->draining_previous;
	memcpy(p->role, role, SW_ROLE_MAX);
	p->role[SW_ROLE_MAX] = 0;
	return p;
}

int sw_gate_on_event(void *ctx, const void *data, size_t size)
{
	struct sw_daemon *d = ctx;
	const struct sw_event_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	if (h->type == SW_EV_EXEC) {
		sw_binaries_check(d);
	} else if (h->type == SW_EV_COMPLETION) {
		/* A previous gate's completions belong to sessions this daemon never saw. */
		if (!d->draining_previous)
			sw_pg_completion_on_event(d, data, size);
	} else if (h->type == SW_EV_OUTCOME) {
		if (!d->draining_previous)
			sw_outcome_on_event(d, data, size);
	} else if (h->type == SW_EV_SESSION && size >= sizeof(struct sw_session_event)) {
		const struct sw_session_event *ev = data;
		char role[SW_ROLE_MAX + 1], title[SW_TITLE_MAX + 1];
		memcpy(role, ev->role, SW_ROLE_MAX);
		role[SW_ROLE_MAX] = 0;
		memcpy(title, ev->title, SW_TITLE_MAX);
		title[ev->title_len > 0 && ev->title_len <= SW_TITLE_MAX ? ev->title_len : 0] = 0;
		/* A previous gate's session events are history: the pid may be another backend now. */
		if (role[0] && !d->draining_previous)
			sw_session_learn(d, (int)h->pid, role, title[0] ? title : NULL, ev->flags);
		if (!d->draining_previous) {
			/* A restarted cluster: its new postmaster is governed like the old (same data directory). */
			int previous = 0, i = sw_pg_scope_follow(&d->scope, (pid_t)h->pid, &previous);
			if (i >= 0) {
				json_t *f = json_pack("{s:s, s:i, s:i}", "data_directory", d->scope.clusters[i].dir,
						      "postmaster_pid", d->scope.clusters[i].postmaster,
						      "previous_postmaster_pid", previous);
				sw_daemon_note(d, "postmaster_restarted", f);
				json_decref(f);
			}
		}
	} else if (h->type != SW_EV_SESSION && size >= offsetof(struct sw_statement_event, text) + SW_TEXT_SMALL) {
		/* Short statements travel in short records: widen to the full layout. */
		static struct sw_statement_event full;
		size_t take = size < sizeof(full) ? size : sizeof(full);
		struct sw_pending *p;

		memcpy(&full, data, take);
		memset((char *)&full + take, 0, sizeof(full) - take);
		p = pending_new(d, &(struct sw_pending){ .type = full.hdr.type, .pid = (int)full.hdr.pid,
			.ktime_ns = full.hdr.ktime_ns, .action = full.action, .flags = full.flags, .ctx_id = full.ctx_id,
			.lex = full.lex, .aux = full.aux, .text_addr = full.text_addr, .arg0 = full.arg0,
			.arg1 = full.arg1, .arg2 = full.arg2, .seq = full.seq }, full.role);
		process(d, p, full.text, full.text_len);
	}
	return 0;
}

void sw_gate_take_overflow(struct sw_daemon *d)
{
	uint32_t pids[64];
	struct sw_overflow o[64];
	size_t n;

	while ((n = sw_gate_overflow_take(d->gate, pids, o, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct sw_pending *p = pending_new(d, &(struct sw_pending){ .type = o[i].type, .pid = (int)pids[i],
				.ktime_ns = o[i].ktime_ns, .action = SW_ACT_HELD, .flags = o[i].flags, .ctx_id = o[i].ctx_id,
				.lex = o[i].lex, .aux = o[i].aux, .text_addr = o[i].text_addr, .arg0 = o[i].arg0,
				.arg1 = o[i].arg1, .arg2 = o[i].arg2, .seq = o[i].seq }, o[i].role);
			d->overflow_seen++;
			process(d, p, NULL, 0);
		}
		if (n < 64)
			break;
	}
}
