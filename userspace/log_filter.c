/* Which ledger records `sqlward log` shows (log_filter.h). */
#include <fnmatch.h>
#include <string.h>
#include "log_filter.h"
#include "time_text.h"

static const char *jstr(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

const char *sw_log_filter_engine(const char *arg)
{
	if (strcmp(arg, "postgresql") == 0 || strcmp(arg, "postgres") == 0)
		return "postgres";
	if (strcmp(arg, "mariadb") == 0 || strcmp(arg, "mysql") == 0)
		return "mysql";
	return NULL;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

static bool in_time(json_t *rec, const struct sw_log_filter *f)
{
	struct timespec now = { 0, 0 }, ts;
	const char *t = jstr(rec, "time");

	if (!f->has_since && !f->has_until)
		return true;
	if (!t || sw_parse_time(t, &now, &ts) != 0)
		return false;
	if (f->has_since && ts_cmp(&ts, &f->since) < 0)
		return false;
	if (f->has_until && ts_cmp(&ts, &f->until) > 0)
		return false;
	return true;
}

static bool type_matches(const char *want, const char *type)
{
	if (!want)
		return true;
	if (!type)
		return false;
	if (strcmp(want, type) == 0)
		return true;
	if (strcmp(want, "statement") == 0)
		return strcmp(type, "gap") == 0;
	if (strcmp(want, "session") == 0)
		return strcmp(type, "session_start") == 0 || strcmp(type, "session_end") == 0;
	return false;
}

static bool glob(const char *pattern, const char *value)
{
	return value && fnmatch(pattern, value, 0) == 0;
}

/* The client as address:port, as the address alone, or the client program. */
static bool client_matches(const char *pattern, const char *client, const char *exe)
{
	if (glob(pattern, client) || glob(pattern, exe))
		return true;
	if (client) {
		const char *colon = strrchr(client, ':');
		if (colon && colon != client) {
			char addr[128];
			size_t n = (size_t)(colon - client) < sizeof(addr) - 1 ? (size_t)(colon - client) : sizeof(addr) - 1;
			memcpy(addr, client, n);
			addr[n] = 0;
			return glob(pattern, addr);
		}
	}
	return false;
}

static bool plan_matches(const char *want, json_t *rec)
{
	json_t *p = json_object_get(rec, "plan");
	const char *id = json_is_object(p) ? jstr(p, "id") : json_string_value(p);

	if (!id)
		return false;
	if (strcmp(id, want) == 0)
		return true;
	return strncmp(id, "plan-", 5) == 0 && strcmp(id + 5, want) == 0;
}

bool sw_log_filter_match(const struct sw_log_filter *f, json_t *rec, const struct sw_log_session *s)
{
	const char *type = jstr(rec, "type");
	/* A statement says who sent it; other records of a session (completions, hold notes) say it
	 * through their session. */
	const struct sw_log_session *who = type && strcmp(type, "statement") == 0 ? NULL : s;

	if (!type_matches(f->type, type))
		return false;
	if (type && strcmp(type, "gap") == 0)
		/* a gap belongs to no session, role, verdict, request, application, client, plan or engine */
		return !f->role && !f->verdict && !f->request && !f->application && !f->client && !f->plan &&
		       !f->engine && !f->session && in_time(rec, f);
	if (f->session && !(s && sw_log_session_is(s, f->session)))
		return false;
	if (f->engine) {
		const char *e = jstr(rec, "engine");
		if (!e && s)
			e = s->engine;
		if (!e || strcmp(e, f->engine) != 0)
			return false;
	}
	if (f->role && !glob(f->role, jstr(rec, "role") ? jstr(rec, "role") : s ? s->role : NULL))
		return false;
	if (f->verdict) {
		const char *v = jstr(rec, "verdict");
		if (!v || strcmp(v, f->verdict) != 0)
			return false;
	}
	if (f->request) {
		const char *r = jstr(rec, "request_id");
		if (!r || strcmp(r, f->request) != 0)
			return false;
	}
	if (f->application) {
		const char *a = jstr(rec, "application_name");
		if (!glob(f->application, a ? a : who ? who->application : NULL))
			return false;
	}
	if (f->client) {
		const char *c = jstr(rec, "client"), *exe = jstr(rec, "client_exe");
		if (!client_matches(f->client, c ? c : who ? who->client : NULL, exe ? exe : who ? who->client_exe : NULL))
			return false;
	}
	if (f->plan && !plan_matches(f->plan, rec))
		return false;
	return in_time(rec, f);
}
