/* How `sqlward log` shows sessions (log_session_view.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ledger.h"
#include "log_session_view.h"
#include "time_text.h"
#include "util.h"

static const char *jstr(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static long long jint(json_t *rec, const char *key, long long dflt)
{
	json_t *v = json_object_get(rec, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static bool eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* A record time (plus add_us) as local time with milliseconds, or the text as it is. */
static void local_time(const char *iso, long long add_us, char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	if (iso && sw_parse_rfc3339(iso, &ts) == 0) {
		long long ns = (long long)ts.tv_nsec + (add_us > 0 ? add_us : 0) * 1000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		if (localtime_r(&ts.tv_sec, &tm) && strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm)) {
			snprintf(out, len, "%.20s.%03d", base, (int)(ts.tv_nsec / 1000000 % 1000));
			return;
		}
	}
	snprintf(out, len, "%s", iso ? iso : "-");
}

static void duration(long long us, char *out, size_t len)
{
	if (us < 1000)
		snprintf(out, len, "<1 ms");
	else if (us < 10000000)
		snprintf(out, len, "%lld ms", us / 1000);
	else
		snprintf(out, len, "%.1f s", (double)us / 1e6);
}

/* text escaped for one display line, at most width columns (0: all). */
static void add_escaped(struct sw_sbuf *b, const char *text, size_t len, size_t width)
{
	char *shown = sw_escape_display(text ? text : "", text ? len : 0, width, 0, NULL);
	sw_sbuf_str(b, shown);
	free(shown);
}

static void add_field(struct sw_sbuf *b, const char *label, const char *v)
{
	if (v && *v)
		sw_sbuf_printf(b, "%s%s", label, v);
}

char *sw_log_timeline_heading(const struct sw_log_session *s)
{
	struct sw_sbuf b = { 0 }, d = { 0 };

	sw_sbuf_printf(&d, "session %s  %s pid %d", s->id, eq(s->engine, "mysql") ? "mariadb" : "postgres", s->pid);
	if (s->conn_id >= 0)
		sw_sbuf_printf(&d, " connection %lld", s->conn_id);
	add_field(&d, "  role ", s->role);
	add_field(&d, "  database ", s->database);
	add_field(&d, "  client ", s->client);
	add_field(&d, "  application ", s->application);
	add_field(&d, "  program ", s->client_exe);
	add_escaped(&b, d.s, d.len, 0);
	free(d.s);
	return b.s;
}

/* "ran SELECT, 8 rows, 1 ms" */
static void completion_text(struct sw_sbuf *d, json_t *rec)
{
	const char *outcome = jstr(rec, "outcome"), *cmd = jstr(rec, "command"), *st = jstr(rec, "sqlstate");
	long long ms = jint(rec, "duration_ms", -1), budget = jint(rec, "budget_ms", 0);

	sw_sbuf_printf(d, "%s", outcome ? outcome : "ended");
	if (cmd)
		sw_sbuf_printf(d, " %s", cmd);
	sw_sbuf_printf(d, ", %lld row%s", jint(rec, "rows", 0), jint(rec, "rows", 0) == 1 ? "" : "s");
	if (ms >= 0)
		sw_sbuf_printf(d, ", %lld ms", ms);
	if (budget)
		sw_sbuf_printf(d, " (stopped at its budget of %lld ms)", budget);
	if (st)
		sw_sbuf_printf(d, ", SQLSTATE %s", st);
	if (jint(rec, "sql_errno", 0))
		sw_sbuf_printf(d, ", error %lld", jint(rec, "sql_errno", 0));
	if (jint(rec, "statement_seq", 0))
		sw_sbuf_printf(d, "  (statement #%lld)", jint(rec, "statement_seq", 0));
}

/* A decided hold: who approved or denied it, when, and what then happened. */
static void decision_text(struct sw_sbuf *d, json_t *rec)
{
	json_t *approvals = json_object_get(rec, "approvals"), *a;
	const char *by = jstr(rec, "decided_by"), *comment = jstr(rec, "comment");
	char held[32];
	size_t i;

	duration(jint(rec, "held_us", 0), held, sizeof(held));
	sw_sbuf_printf(d, "hold %s (#%lld) ", jstr(rec, "hold") ? jstr(rec, "hold") : "?", jint(rec, "hold_seq", 0));
	sw_sbuf_printf(d, "%s by %s", eq(jstr(rec, "verdict"), "allow") ? "approved" : "denied", by ? by : "?");
	if (comment)
		sw_sbuf_printf(d, " \"%s\"", comment);
	json_array_foreach(approvals, i, a) {
		char t[40];
		local_time(jstr(a, "time"), 0, t, sizeof(t));
		sw_sbuf_printf(d, "%s%s at %s", i ? ", " : "; approvals: ", jstr(a, "user") ? jstr(a, "user") : "?", t);
	}
	sw_sbuf_printf(d, "; held %s, %s", held, jstr(rec, "outcome") ? jstr(rec, "outcome") : "-");
}

char *sw_log_timeline_line(json_t *rec, const struct sw_log_session *s, size_t width)
{
	const char *type = jstr(rec, "type"), *event = type ? type : "?";
	struct sw_sbuf b = { 0 }, d = { 0 };
	long long add_us = 0;
	char t[40], said[1024];
	(void)s;

	if (eq(type, "statement")) {
		const char *v = jstr(rec, "verdict");
		size_t len = json_string_length(json_object_get(rec, "statement"));
		if (json_object_get(rec, "hold_seq")) {
			/* The decided record repeats the statement's time: show when it was decided. */
			event = eq(v, "allow") ? "approved" : "denied";
			add_us = jint(rec, "held_us", 0);
			decision_text(&d, rec);
		} else {
			event = v ? v : "statement";
			sw_sbuf_printf(&d, "#%lld ", jint(rec, "seq", 0));
			if (eq(jstr(rec, "statement_encoding"), "base64"))
				sw_sbuf_str(&d, "(base64) ");
			sw_sbuf_add(&d, jstr(rec, "statement") ? jstr(rec, "statement") : "", len);
			sw_sbuf_printf(&d, "  [%s, rule %s, %s]", jstr(rec, "class") ? jstr(rec, "class") : "?",
				       jstr(rec, "rule") ? jstr(rec, "rule") : "-",
				       jstr(rec, "outcome") ? jstr(rec, "outcome") : "-");
			if (jstr(rec, "reason"))
				sw_sbuf_printf(&d, " %s", jstr(rec, "reason"));
		}
	} else if (eq(type, "completion")) {
		event = eq(jstr(rec, "outcome"), "over_budget") ? "over budget" : "completion";
		completion_text(&d, rec);
	} else if (eq(type, "session_start")) {
		event = "connect";
		sw_sbuf_printf(&d, "%s", eq(jstr(rec, "learned"), "running") ?
			       "(already connected when the daemon started)" : "authenticated");
		add_field(&d, " as ", jstr(rec, "role"));
		add_field(&d, " to ", jstr(rec, "database"));
		add_field(&d, " from ", jstr(rec, "client"));
		add_field(&d, ", backend started ", jstr(rec, "backend_start"));
	} else if (eq(type, "session_end")) {
		event = "disconnect";
		sw_sbuf_str(&d, json_object_get(rec, "connection_id") ? "the connection ended" : "the backend ended");
	} else if (eq(type, "approval") || eq(type, "approval_refused")) {
		event = eq(type, "approval") ? "approval" : "refused";
		sw_sbuf_printf(&d, "hold %s by %s: %s", jstr(rec, "hold") ? jstr(rec, "hold") : "?",
			       jstr(rec, "user") ? jstr(rec, "user") : "?", jstr(rec, "message") ? jstr(rec, "message") : "");
		if (jstr(rec, "comment"))
			sw_sbuf_printf(&d, " \"%s\"", jstr(rec, "comment"));
	} else if (eq(type, "outcome")) {
		event = "outcome";
		sw_sbuf_printf(&d, "hold %s: %s, %lld row%s in %lld ms", jstr(rec, "hold") ? jstr(rec, "hold") : "?",
			       jstr(rec, "outcome") ? jstr(rec, "outcome") : "?", jint(rec, "rows", 0),
			       jint(rec, "rows", 0) == 1 ? "" : "s", jint(rec, "ran_ms", 0));
		add_field(&d, ", SQLSTATE ", jstr(rec, "sqlstate"));
		add_field(&d, ": ", jstr(rec, "message"));
	} else if (eq(type, "hold_unresolved") || eq(type, "failure_mode")) {
		event = eq(type, "failure_mode") ? "failure" : "unresolved";
		sw_sbuf_printf(&d, "%s", jstr(rec, "outcome") ? jstr(rec, "outcome") : "");
		add_field(&d, ": ", jstr(rec, "action"));
		add_field(&d, ": ", jstr(rec, "comment"));
	} else if (sw_ledger_describe_record(rec, said, sizeof(said))) {
		sw_sbuf_str(&d, said);
	} else {
		add_field(&d, "", jstr(rec, "event"));
	}
	local_time(jstr(rec, "time"), add_us, t, sizeof(t));
	sw_sbuf_printf(&b, "%-23s  %-11s  ", t, event);
	add_escaped(&b, d.s ? d.s : "", d.len, width);
	free(d.s);
	return b.s;
}

json_t *sw_log_session_json(const struct sw_log_session *s)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "session", s->id, "engine", s->engine, "pid", s->pid);

	if (s->conn_id >= 0)
		json_object_set_new(o, "connection_id", json_integer((json_int_t)s->conn_id));
	json_object_update_new(o, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:b}", "role", s->role,
					    "database", s->database, "client", s->client, "application_name",
					    s->application, "client_exe", s->client_exe, "first_time", s->first_time,
					    "last_time", s->last_time, "connect_recorded", s->connect_seen, "ended",
					    s->ended));
	json_object_update_new(o, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "statements", (json_int_t)s->statements,
					    "allowed", (json_int_t)s->allowed, "held", (json_int_t)s->held, "denied",
					    (json_int_t)s->denied, "other", (json_int_t)s->other, "records",
					    (json_int_t)s->records));
	return o;
}

void sw_log_sessions_print(FILE *out, const struct sw_log_sessions *t, const json_t *only, bool json)
{
	size_t n = sw_log_sessions_count(t);

	if (!json)
		fprintf(out, "%-30s  %-8s  %-16s  %-21s  %-12s  %-23s  %-23s  %5s %5s %5s %5s\n", "SESSION", "ENGINE",
			"ROLE", "CLIENT", "APPLICATION", "FIRST", "LAST", "STMTS", "ALLOW", "HELD", "DENY");
	for (size_t i = 0; i < n; i++) {
		const struct sw_log_session *s = sw_log_sessions_at(t, i);
		if (only && !json_object_get(only, s->id))
			continue;
		/* A connection that ended without one recorded command (MariaDB reports every
		 * disconnect, the daemon's own live-context connections too): nothing to review. */
		if (s->records == 1 && s->ended && !s->connect_seen)
			continue;
		if (json) {
			json_t *o = sw_log_session_json(s);
			char *line = json_dumps(o, JSON_COMPACT);
			fprintf(out, "%s\n", line ? line : "{}");
			free(line);
			json_decref(o);
		} else {
			char first[40], last[40], row[1024];
			struct sw_sbuf b = { 0 };
			local_time(s->first_time, 0, first, sizeof(first));
			local_time(s->last_time, 0, last, sizeof(last));
			snprintf(row, sizeof(row), "%-30s  %-8s  %-16.16s  %-21.21s  %-12.12s  %-23s  %-23s  %5zu %5zu %5zu %5zu",
				 s->id, eq(s->engine, "mysql") ? "mariadb" : "postgres", s->role ? s->role : "-",
				 s->client ? s->client : "-", s->application ? s->application : "-", first, last,
				 s->statements, s->allowed, s->held, s->denied);
			add_escaped(&b, row, strlen(row), 0);
			fprintf(out, "%s\n", b.s);
			free(b.s);
		}
	}
}
