/* Which client session each ledger record belongs to (log_session.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log_session.h"
#include "util.h"

struct sw_log_sessions {
	struct sw_log_session **v;
	size_t n, cap;
	json_t *by_id;     /* id -> index */
	json_t *current;   /* PostgreSQL pid (as text) -> index of its session now */
	json_t *by_seq;    /* seq of a held statement record -> index */
	json_t *by_hold;   /* hold_id (as text) -> index */
};

struct sw_log_sessions *sw_log_sessions_new(void)
{
	struct sw_log_sessions *t = sw_xcalloc(1, sizeof(*t));

	t->by_id = json_object();
	t->current = json_object();
	t->by_seq = json_object();
	t->by_hold = json_object();
	return t;
}

static const char *jstr(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static void set_str(char **dst, const char *v)
{
	if (!v || !*v || (*dst && strcmp(*dst, v) == 0))
		return;
	free(*dst);
	*dst = sw_xstrdup(v);
}

void sw_log_session_pg_key(int pid, time_t start, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&start, &tm);
	snprintf(buf, len, "%d@%04d-%02d-%02dT%02d:%02d:%02dZ", pid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static struct sw_log_session *at(struct sw_log_sessions *t, json_t *index)
{
	return json_is_integer(index) ? t->v[json_integer_value(index)] : NULL;
}

static struct sw_log_session *get_or_add(struct sw_log_sessions *t, const char *id, const char *engine, int pid,
					 long long conn_id)
{
	struct sw_log_session *s = at(t, json_object_get(t->by_id, id));

	if (s)
		return s;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = sw_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	s = sw_xcalloc(1, sizeof(*s));
	s->id = sw_xstrdup(id);
	s->engine = sw_xstrdup(engine);
	s->pid = pid;
	s->conn_id = conn_id;
	json_object_set_new(t->by_id, id, json_integer((json_int_t)t->n));
	t->v[t->n++] = s;
	return s;
}

static json_int_t index_of(struct sw_log_sessions *t, const struct sw_log_session *s)
{
	return json_integer_value(json_object_get(t->by_id, s->id));
}

/* The record time truncated to seconds, as a time_t (0 when unreadable). */
static time_t record_second(json_t *rec)
{
	const char *tm = jstr(rec, "time");
	struct tm b = { 0 };

	if (!tm || !strptime(tm, "%Y-%m-%dT%H:%M:%S", &b))
		return 0;
	return timegm(&b);
}

/* A PostgreSQL record's session: its pid's current one, or a new one when the pid has none (or its
 * client address:port changed: a reused pid in a ledger without session records). */
static struct sw_log_session *pg_session_of(struct sw_log_sessions *t, json_t *rec, int pid)
{
	char pidkey[24], id[64];
	struct sw_log_session *s;
	const char *client = jstr(rec, "client");

	snprintf(pidkey, sizeof(pidkey), "%d", pid);
	s = at(t, json_object_get(t->current, pidkey));
	if (s && !s->ended && !(client && s->client && strcmp(client, s->client) != 0))
		return s;
	if (s)
		s->ended = true;
	sw_log_session_pg_key(pid, record_second(rec), id, sizeof(id));
	s = get_or_add(t, id, "postgres", pid, -1);
	s->ended = false;
	json_object_set_new(t->current, pidkey, json_integer(index_of(t, s)));
	return s;
}

static struct sw_log_session *hold_note_session(struct sw_log_sessions *t, json_t *rec)
{
	json_t *hs = json_object_get(rec, "hold_seq"), *hid = json_object_get(rec, "hold_id");
	struct sw_log_session *s = NULL;
	char k[32];

	if (json_is_integer(hs)) {
		snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(hs));
		s = at(t, json_object_get(t->by_seq, k));
	}
	if (!s && json_is_integer(hid)) {
		snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(hid));
		s = at(t, json_object_get(t->by_hold, k));
	}
	if (!s && json_is_integer(json_object_get(rec, "pid"))) {
		snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(json_object_get(rec, "pid")));
		s = at(t, json_object_get(t->current, k));
	}
	return s;
}

static void count_statement(struct sw_log_sessions *t, struct sw_log_session *s, json_t *rec)
{
	const char *v = jstr(rec, "verdict");
	json_t *seq = json_object_get(rec, "seq"), *hid = json_object_get(rec, "hold_id");
	bool decided_hold = json_object_get(rec, "hold_seq") != NULL;
	char k[32];

	if (v && strcmp(v, "hold") == 0) {
		s->held++;
		s->statements++;
		/* Notes about this hold name its record's seq and its id. */
		if (json_is_integer(seq)) {
			snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(seq));
			json_object_set_new(t->by_seq, k, json_integer(index_of(t, s)));
		}
		return;
	}
	if (json_is_integer(hid)) {
		snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(hid));
		json_object_set_new(t->by_hold, k, json_integer(index_of(t, s)));
	}
	if (!decided_hold)
		s->statements++;
	if (v && strcmp(v, "allow") == 0)
		s->allowed++;
	else if (v && strcmp(v, "deny") == 0)
		s->denied++;
	else
		s->other++;
}

struct sw_log_session *sw_log_sessions_feed(struct sw_log_sessions *t, json_t *rec)
{
	const char *type = jstr(rec, "type"), *engine = jstr(rec, "engine"), *time = jstr(rec, "time");
	json_t *pidv = json_object_get(rec, "pid"), *conn = json_object_get(rec, "connection_id");
	int pid = json_is_integer(pidv) ? (int)json_integer_value(pidv) : 0;
	struct sw_log_session *s = NULL;
	bool is_stmt;

	if (!type)
		return NULL;
	is_stmt = strcmp(type, "statement") == 0;
	if (strcmp(type, "session_start") == 0 || strcmp(type, "session_end") == 0) {
		const char *id = jstr(rec, "session");
		char pidkey[24];
		if (!id || !pid)
			return NULL;
		s = get_or_add(t, id, engine ? engine : "postgres", pid,
			       json_is_integer(conn) ? (long long)json_integer_value(conn) : -1);
		snprintf(pidkey, sizeof(pidkey), "%d", pid);
		if (type[8] == 's') {   /* session_start */
			struct sw_log_session *before = at(t, json_object_get(t->current, pidkey));
			if (before && before != s)
				before->ended = true;
			s->connect_seen = true;
			s->ended = false;
			if (s->conn_id < 0)
				json_object_set_new(t->current, pidkey, json_integer(index_of(t, s)));
		} else {
			s->ended = true;
			if (s->conn_id < 0 && at(t, json_object_get(t->current, pidkey)) == s)
				json_object_del(t->current, pidkey);
		}
	} else if (engine && pid && json_is_integer(conn)) {
		char id[64];
		snprintf(id, sizeof(id), "%d:%lld", pid, (long long)json_integer_value(conn));
		s = get_or_add(t, id, engine, pid, (long long)json_integer_value(conn));
	} else if (engine && pid && strcmp(engine, "postgres") == 0) {
		s = pg_session_of(t, rec, pid);
	} else if (!engine && (json_object_get(rec, "hold_id") || json_object_get(rec, "hold_seq") ||
			       strcmp(type, "failure_mode") == 0)) {
		s = hold_note_session(t, rec);
	}
	if (!s)
		return NULL;
	s->records++;
	set_str(&s->role, jstr(rec, "role"));
	if (is_stmt || type[0] == 's') {  /* statement, session_start, session_end: the session's own fields */
		set_str(&s->database, jstr(rec, "database"));
		set_str(&s->client, jstr(rec, "client"));
		set_str(&s->application, jstr(rec, "application_name"));
		set_str(&s->client_exe, jstr(rec, "client_exe"));
	}
	if (time && (!s->first_time || strcmp(time, s->first_time) < 0))
		set_str(&s->first_time, time);
	if (time && (!s->last_time || strcmp(time, s->last_time) > 0))
		set_str(&s->last_time, time);
	if (is_stmt)
		count_statement(t, s, rec);
	return s;
}

size_t sw_log_sessions_count(const struct sw_log_sessions *t)
{
	return t->n;
}

const struct sw_log_session *sw_log_sessions_at(const struct sw_log_sessions *t, size_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

bool sw_log_session_is(const struct sw_log_session *s, const char *id)
{
	size_t n = strlen(id);

	if (strcmp(s->id, id) == 0)
		return true;
	/* A bare pid: every session of it. */
	return n && strspn(id, "0123456789") == n && strncmp(s->id, id, n) == 0 &&
	       (s->id[n] == '@' || s->id[n] == ':');
}

void sw_log_sessions_free(struct sw_log_sessions *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct sw_log_session *s = t->v[i];
		free(s->id);
		free(s->engine);
		free(s->role);
		free(s->database);
		free(s->client);
		free(s->application);
		free(s->client_exe);
		free(s->first_time);
		free(s->last_time);
		free(s);
	}
	free(t->v);
	json_decref(t->by_id);
	json_decref(t->current);
	json_decref(t->by_seq);
	json_decref(t->by_hold);
	free(t);
}
