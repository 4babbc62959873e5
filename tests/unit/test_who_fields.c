/*
 * The who fields (who_fields.c, sessions.c sw_session_who_ref): rendered once
 * per session, they must give records byte for byte what the jansson path
 * (sw_who_fields_add into the record's extras, per statement) gave, for every
 * combination of fields, request ids and extras around them, after the fields
 * change mid-session, and never carry over to a new connection on the same pid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "ledger_record.h"
#include "policy.h"
#include "prepared.h"
#include "request_id.h"
#include "sessions.h"
#include "util.h"
#include "who_fields.h"

/* The statement record's members for d, as the ledger writes them. */
static char *members(const struct sw_decision *d)
{
	static const struct sw_full_text ft = { .sha = "00" };
	struct sw_jw w;
	char *out;

	sw_jw_init(&w);
	sw_decision_members(&w, d, &ft);
	out = sw_xstrndup(w.buf, w.len);
	sw_jw_free(&w);
	return out;
}

static struct sw_decision decision(const json_t *extra, const struct sw_who_ref *who)
{
	static const struct sw_judgement overall = { .verdict = SW_VERDICT_ALLOW, .rule_id = "ungoverned" };
	struct sw_decision d = {
		.time = { 1700000000, 5000 }, .engine = SW_ENGINE_POSTGRES, .pid = 42, .role = "app_user",
		.database = "bench", .client = "local", .statement = "SELECT 1", .statement_len = 8,
		.statement_complete = true, .overall = &overall, .outcome = "observed", .extra = extra,
	};
	if (who)
		d.who = *who;
	return d;
}

/* Extras a record may have before the who fields are taken (setting, nesting) and after (plan, parameters). */
static json_t *extras_before(int k)
{
	switch (k) {
	case 1: return json_pack("{s:{s:s, s:s, s:s}}", "setting", "name", "application_name", "value", "x", "source",
				 "session");
	case 2: return json_pack("{s:{s:i, s:i}, s:i}", "nesting", "level", 1, "statement_id", 7, "top_level_seq", 3);
	case 3: return json_pack("{s:i}", "statement_id", 9);
	default: return NULL;
	}
}

static void add_after(json_t **extra, int k)
{
	if (!k)
		return;
	if (!*extra)
		*extra = json_object();
	if (k == 1)
		json_object_set_new(*extra, "plan", json_pack("{s:s, s:i}", "plan", "p-1", "step", 2));
	if (k == 2)
		json_object_set_new(*extra, "parameters", json_pack("[s, n]", "caf\xc3\xa9", NULL));
}

static const char *const applications[] = { NULL, "", "pgbench", "agent-7 request=q-42",
					    "caf\xc3\xa9 \"quoted\"\\ \t\x01 \xe2\x80\xae", "bad \xff\xfe utf8" };
static const char *const exes[] = { "", "/usr/lib/postgresql/15/bin/pgbench", "/opt/\xc3\xa9t\xc3\xa9/psql\n" };
static const char *const cmdlines[] = { "", "pgbench -S -c 16 bench", "psql -c 'SELECT \"x\"'\x7f \xf0\x9f\x98\x80 \xc0" };
static const char *const request_ids[] = { NULL, "", "r-1", "q.2:x_y-z" };

/* Every combination: the jansson path and the rendered one write the same bytes, and a hold's
 * extras (sw_who_ref_into_extra) are the jansson path's object, in order. */
static void same_bytes_as_jansson(void **state)
{
	size_t n = 0;
	(void)state;
	for (size_t a = 0; a < sizeof(applications) / sizeof(*applications); a++)
	for (size_t e = 0; e < sizeof(exes) / sizeof(*exes); e++)
	for (size_t c = 0; c < sizeof(cmdlines) / sizeof(*cmdlines); c++)
	for (size_t r = 0; r < sizeof(request_ids) / sizeof(*request_ids); r++)
	for (int before = 0; before < 4; before++)
	for (int after = 0; after < 3; after++) {
		struct sw_who_cache cache = { 0 };
		json_t *old = extras_before(before), *new = extras_before(before), *held;
		struct sw_who_ref ref;
		struct sw_decision d_old, d_new, d_held;
		char *m_old, *m_new, *m_held;

		/* Before: a jansson object per statement. */
		sw_who_fields_add(&old, applications[a], exes[e], cmdlines[c], request_ids[r]);
		add_after(&old, after);
		/* Now: rendered once, placed where they were taken. */
		sw_who_cache_update(&cache, applications[a], exes[e], cmdlines[c]);
		ref = (struct sw_who_ref){ .fields = &cache, .request_id = request_ids[r],
					   .at = new ? json_object_size(new) : 0 };
		add_after(&new, after);
		d_old = decision(old, NULL);
		d_new = decision(new, &ref);
		m_old = members(&d_old);
		m_new = members(&d_new);
		assert_string_equal(m_new, m_old);
		/* A hold: the same members as an object of its own. */
		held = new ? json_deep_copy(new) : NULL;
		sw_who_ref_into_extra(&held, &ref);
		d_held = decision(held, NULL);
		m_held = members(&d_held);
		assert_string_equal(m_held, m_old);
		if (old || held)
			assert_true(json_equal(old, held));
		free(m_old);
		free(m_new);
		free(m_held);
		json_decref(old);
		json_decref(new);
		json_decref(held);
		sw_who_cache_free(&cache);
		n++;
	}
	assert_true(n > 1000);
}

/* The cache follows its values: a changed field is rendered again, an unchanged one is not. */
static void cache_follows_values(void **state)
{
	struct sw_who_cache c = { 0 };
	const char *json;
	(void)state;
	sw_who_cache_update(&c, "pgbench", "/usr/bin/pgbench", "");
	assert_true(c.valid);
	assert_string_equal(c.app_request_id, "");
	assert_null(c.json[SW_WHO_CLIENT_CMDLINE]);
	json = c.json[SW_WHO_APPLICATION];
	sw_who_cache_update(&c, "pgbench", "/usr/bin/pgbench", NULL);
	assert_ptr_equal(c.json[SW_WHO_APPLICATION], json);   /* unchanged: not rendered again */
	sw_who_cache_update(&c, "w request=abc", "/usr/bin/pgbench", NULL);
	assert_string_equal(c.json[SW_WHO_APPLICATION], "\"w request=abc\"");
	assert_string_equal(c.app_request_id, "abc");
	sw_who_cache_update(&c, NULL, NULL, NULL);
	assert_null(c.json[SW_WHO_APPLICATION]);
	assert_string_equal(c.app_request_id, "");
	sw_who_cache_free(&c);
	sw_who_cache_free(&c);   /* twice: harmless */
}

/* ---- a session of the table ------------------------------------------------- */

static const char policy_yaml[] =
	"sqlward_policy: 1\n"
	"govern:\n"
	"  roles: [\"agent_*\"]\n"
	"default: deny\n"
	"rules:\n"
	"  - id: allow-read\n"
	"    match: { class: read }\n"
	"    action: allow\n";

struct fixture {
	struct sw_daemon d;
	struct sw_daemon_opts opts;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	f->d.opts = &f->opts;
	f->d.watchdog_fd = -1;
	f->d.contexts = json_object();
	f->d.prepared = sw_prepared_new();
	if (sw_policy_load_string(policy_yaml, strlen(policy_yaml), "who.yaml", &f->d.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "policy: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sw_sessions_free_all(&f->d);
	sw_prepared_free(f->d.prepared);
	json_decref(f->d.contexts);
	sw_policy_free(f->d.policy);
	free(f);
	return 0;
}

/* What the removed per-statement path (sw_session_who_extra) put into the record's extras. */
static json_t *old_who_extra(struct sw_session_info *s, const char *text, enum sw_who_stmt kind, json_t *extra)
{
	char id[SW_REQUEST_ID_MAX + 1] = "";
	const char *app = s->application_known ? s->application : NULL;

	if (kind == SW_WHO_CLIENT) {
		if (!text || !sw_request_id_pg(text, s->request_id))
			s->request_id[0] = 0;
		snprintf(id, sizeof(id), "%s", s->request_id);
	} else if (kind == SW_WHO_INSIDE) {
		snprintf(id, sizeof(id), "%s", s->request_id);
	}
	if (!id[0] && app)
		sw_request_id_from_application(app, id);
	sw_who_fields_add(&extra, app, s->client_exe, s->client_cmdline, id);
	return extra;
}

/* One statement of s recorded both ways: the bytes must be the same. Returns the new path's members. */
static char *record_both(struct sw_session_info *s, const char *text, enum sw_who_stmt kind)
{
	struct sw_session_info copy = *s;   /* the old path's own request id state */
	json_t *old = old_who_extra(&copy, text, kind, NULL), *extra = json_pack("{s:i}", "statement_id", 1);
	json_t *old_full = json_pack("{s:i}", "statement_id", 1);
	struct sw_who_ref ref;
	struct sw_decision d_old, d_new;
	char *m_old, *m_new;

	if (old)
		json_object_update(old_full, old);
	json_decref(old);
	sw_session_who_ref(s, text, kind, extra, &ref);
	json_object_set_new(extra, "plan", json_string("p"));
	json_object_set_new(old_full, "plan", json_string("p"));
	assert_string_equal(s->request_id, copy.request_id);
	d_old = decision(old_full, NULL);
	d_new = decision(extra, &ref);
	m_old = members(&d_old);
	m_new = members(&d_new);
	assert_string_equal(m_new, m_old);
	free(m_old);
	json_decref(old_full);
	json_decref(extra);
	return m_new;
}

static bool has(const char *m, const char *needle)
{
	return strstr(m, needle) != NULL;
}

static void session_who_follows_changes(void **state)
{
	struct fixture *f = *state;
	int pid = (int)getpid();
	const char *title = "postgres: app_user bench 127.0.0.1(40000) idle";
	struct sw_session_info *s = sw_session_learn(&f->d, pid, "app_user", title, SW_SESS_KNOWN);
	char *m;

	/* The look-up of the client is done (as sw_session_who leaves it). */
	s->client_looked = true;
	m = record_both(s, "SELECT 1", SW_WHO_CLIENT);
	assert_false(has(m, "application_name") || has(m, "client_exe") || has(m, "request_id"));
	free(m);

	/* application_name read, the client process found. */
	snprintf(s->application, sizeof(s->application), "pgbench");
	s->application_known = true;
	snprintf(s->client_exe, sizeof(s->client_exe), "/usr/lib/postgresql/15/bin/pgbench");
	snprintf(s->client_cmdline, sizeof(s->client_cmdline), "pgbench -S bench");
	m = record_both(s, "SELECT 1", SW_WHO_CLIENT);
	assert_true(has(m, "\"application_name\":\"pgbench\",\"client_exe\":\"/usr/lib/postgresql/15/bin/pgbench\","
			   "\"client_cmdline\":\"pgbench -S bench\",\"plan\":\"p\""));
	free(m);

	/* A request id in the statement's comment, carried by what runs inside it, not by others. */
	m = record_both(s, "/* sqlward: request=r-9 */ SELECT 1", SW_WHO_CLIENT);
	assert_true(has(m, "\"request_id\":\"r-9\""));
	free(m);
	m = record_both(s, NULL, SW_WHO_INSIDE);
	assert_true(has(m, "\"request_id\":\"r-9\""));
	free(m);
	m = record_both(s, NULL, SW_WHO_OTHER);
	assert_false(has(m, "request_id"));
	free(m);

	/* SET application_name mid-session: the next record has the new value and its request id. */
	sw_session_setting_applied(&f->d, s, "application_name", "agent-7 request=q-42 \x01");
	m = record_both(s, "SELECT 2", SW_WHO_CLIENT);
	assert_true(has(m, "\"application_name\":\"agent-7 request=q-42 ?\""));
	assert_true(has(m, "\"request_id\":\"q-42\""));
	free(m);
	m = record_both(s, "-- sqlward: request=c-1\nSELECT 2", SW_WHO_CLIENT);   /* the comment wins */
	assert_true(has(m, "\"request_id\":\"c-1\""));
	free(m);
	m = record_both(s, NULL, SW_WHO_OTHER);
	assert_true(has(m, "\"request_id\":\"q-42\""));
	free(m);
	sw_session_setting_applied(&f->d, s, "application_name", "");
	m = record_both(s, "SELECT 3", SW_WHO_CLIENT);
	assert_false(has(m, "application_name") || has(m, "request_id"));
	assert_true(has(m, "client_exe"));
	free(m);

	/* A new connection on the same pid (the kernel saw it authenticate): nothing carried over. */
	s = sw_session_learn(&f->d, pid, "app_user", title, SW_SESS_KNOWN);
	s->client_looked = true;
	m = record_both(s, "SELECT 4", SW_WHO_CLIENT);
	assert_false(has(m, "application_name") || has(m, "client_exe") || has(m, "client_cmdline"));
	free(m);
	snprintf(s->client_exe, sizeof(s->client_exe), "/usr/bin/psql");
	m = record_both(s, "SELECT 5", SW_WHO_CLIENT);
	assert_true(has(m, "\"client_exe\":\"/usr/bin/psql\""));
	free(m);
	/* ... and after the old session was forgotten, on a new one. */
	sw_session_forget(&f->d, s);
	assert_null(sw_session_find(&f->d, pid));
	s = sw_session_learn(&f->d, pid, "app_user", title, SW_SESS_KNOWN);
	s->client_looked = true;
	m = record_both(s, "SELECT 6", SW_WHO_CLIENT);
	assert_false(has(m, "client_exe"));
	free(m);
}

/* The table keyed by pid alone: look-ups find each session, a forgotten one is gone. */
static void find_by_pid(void **state)
{
	struct fixture *f = *state;
	static const int pids[] = { 5, 3, 900000, 7, 1, 65536, 4 };
	struct sw_session_info *s[sizeof(pids) / sizeof(*pids)];
	const size_t n = sizeof(pids) / sizeof(*pids);

	for (size_t i = 0; i < n; i++)
		s[i] = sw_session_learn(&f->d, pids[i], "app_user", "postgres: app_user bench [local] idle", SW_SESS_KNOWN);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(sw_session_find(&f->d, pids[i]), s[i]);
	assert_null(sw_session_find(&f->d, 2));
	assert_null(sw_session_find(&f->d, -1));
	sw_session_forget(&f->d, s[3]);
	assert_null(sw_session_find(&f->d, 7));
	for (size_t i = 0; i < n; i++)
		if (i != 3)
			assert_ptr_equal(sw_session_find(&f->d, pids[i]), s[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_bytes_as_jansson),
		cmocka_unit_test(cache_follows_values),
		cmocka_unit_test_setup_teardown(session_who_follows_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(find_by_pid, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
