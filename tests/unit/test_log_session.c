/* Which session each ledger record belongs to (log_session.h), and the filters that use it (log_filter.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "log_filter.h"
#include "log_session.h"
#include "session_record.h"

static json_t *rec(const char *text)
{
	json_error_t e;
	json_t *r = json_loads(text, 0, &e);

	if (!r)
		fail_msg("bad fixture %s: %s", text, e.text);
	return r;
}

/* Feed one record; the id of its session ("-" none). */
static const char *feed(struct sw_log_sessions *t, const char *text)
{
	json_t *r = rec(text);
	const struct sw_log_session *s = sw_log_sessions_feed(t, r);

	json_decref(r);
	return s ? s->id : "-";
}

static void postgres_sessions_from_records(void **state)
{
	struct sw_log_sessions *t = sw_log_sessions_new();
	(void)state;

	/* session_start names the session; the pid's records and its hold notes follow it. */
	assert_string_equal(feed(t, "{\"seq\":1,\"type\":\"session_start\",\"time\":\"2026-12-02T01:00:00.5Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"session\":\"100@2026-12-02T00:59:59Z\","
				 "\"role\":\"agent_a\",\"client\":\"10.0.0.5:4000\"}"), "100@2026-12-02T00:59:59Z");
	assert_string_equal(feed(t, "{\"seq\":2,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:01Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"role\":\"agent_a\",\"client\":\"10.0.0.5:4000\","
				 "\"verdict\":\"hold\",\"application_name\":\"app1\"}"), "100@2026-12-02T00:59:59Z");
	assert_string_equal(feed(t, "{\"seq\":3,\"type\":\"approval\",\"time\":\"2026-12-02T01:00:02Z\","
				 "\"hold_id\":9,\"hold_seq\":2,\"pid\":100,\"role\":\"agent_a\",\"user\":\"alice\"}"),
			    "100@2026-12-02T00:59:59Z");
	assert_string_equal(feed(t, "{\"seq\":4,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:01Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"role\":\"agent_a\",\"client\":\"10.0.0.5:4000\","
				 "\"verdict\":\"allow\",\"hold_id\":9,\"hold_seq\":2}"), "100@2026-12-02T00:59:59Z");
	/* A refusal after the decision names only the hold id. */
	assert_string_equal(feed(t, "{\"seq\":5,\"type\":\"approval_refused\",\"time\":\"2026-12-02T01:00:03Z\","
				 "\"hold_id\":9,\"user\":\"bob\",\"stale\":true}"), "100@2026-12-02T00:59:59Z");
	assert_string_equal(feed(t, "{\"seq\":6,\"type\":\"completion\",\"time\":\"2026-12-02T01:00:04Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"statement_seq\":2,\"outcome\":\"ran\"}"),
			    "100@2026-12-02T00:59:59Z");
	assert_string_equal(feed(t, "{\"seq\":7,\"type\":\"session_end\",\"time\":\"2026-12-02T01:00:05Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"session\":\"100@2026-12-02T00:59:59Z\"}"),
			    "100@2026-12-02T00:59:59Z");
	/* The pid reused without a session_start (an older ledger): a new session from its first record. */
	assert_string_equal(feed(t, "{\"seq\":8,\"type\":\"statement\",\"time\":\"2026-12-02T02:00:00.9Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"role\":\"analyst\",\"client\":\"local\","
				 "\"verdict\":\"allow\"}"), "100@2026-12-02T02:00:00Z");
	/* ... and again, told apart by the client's address:port. */
	assert_string_equal(feed(t, "{\"seq\":9,\"type\":\"statement\",\"time\":\"2026-12-02T03:00:00Z\","
				 "\"engine\":\"postgres\",\"pid\":100,\"role\":\"analyst\",\"client\":\"10.0.0.6:1\","
				 "\"verdict\":\"deny\"}"), "100@2026-12-02T03:00:00Z");
	/* Daemon records belong to no session. */
	assert_string_equal(feed(t, "{\"seq\":10,\"type\":\"daemon\",\"time\":\"2026-12-02T03:00:00Z\","
				 "\"event\":\"start\",\"pid\":1}"), "-");

	assert_int_equal(sw_log_sessions_count(t), 3);
	const struct sw_log_session *s = sw_log_sessions_at(t, 0);
	assert_true(s->connect_seen);
	assert_true(s->ended);
	assert_int_equal(s->statements, 1);   /* held, then approved: one statement */
	assert_int_equal(s->held, 1);
	assert_int_equal(s->allowed, 1);
	assert_int_equal(s->records, 7);
	assert_string_equal(s->application, "app1");
	assert_string_equal(s->first_time, "2026-12-02T01:00:00.5Z");
	assert_string_equal(s->last_time, "2026-12-02T01:00:05Z");
	assert_true(sw_log_sessions_at(t, 1)->ended);
	assert_int_equal(sw_log_sessions_at(t, 2)->denied, 1);
	/* A bare pid names every session of it; a whole key one. */
	assert_true(sw_log_session_is(s, "100"));
	assert_true(sw_log_session_is(s, "100@2026-12-02T00:59:59Z"));
	assert_false(sw_log_session_is(s, "10"));
	assert_false(sw_log_session_is(s, "100@2026-12-02T02:00:00Z"));
	sw_log_sessions_free(t);
}

static void mariadb_sessions(void **state)
{
	struct sw_log_sessions *t = sw_log_sessions_new();
	(void)state;

	assert_string_equal(feed(t, "{\"seq\":1,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\","
				 "\"engine\":\"mysql\",\"pid\":7,\"connection_id\":12,\"verdict\":\"hold\"}"), "7:12");
	assert_string_equal(feed(t, "{\"seq\":2,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\","
				 "\"engine\":\"mysql\",\"pid\":7,\"connection_id\":13,\"verdict\":\"allow\"}"), "7:13");
	assert_string_equal(feed(t, "{\"seq\":3,\"type\":\"approval\",\"time\":\"2026-12-02T01:00:01Z\","
				 "\"hold_id\":4,\"hold_seq\":1,\"pid\":7,\"user\":\"alice\"}"), "7:12");
	assert_string_equal(feed(t, "{\"seq\":4,\"type\":\"completion\",\"time\":\"2026-12-02T01:00:02Z\","
				 "\"engine\":\"mysql\",\"pid\":7,\"connection_id\":12,\"outcome\":\"ran\"}"), "7:12");
	assert_string_equal(feed(t, "{\"seq\":5,\"type\":\"session_end\",\"time\":\"2026-12-02T01:00:03Z\","
				 "\"engine\":\"mysql\",\"pid\":7,\"connection_id\":12,\"session\":\"7:12\"}"), "7:12");
	assert_true(sw_log_sessions_at(t, 0)->ended);
	assert_false(sw_log_sessions_at(t, 1)->ended);
	assert_true(sw_log_session_is(sw_log_sessions_at(t, 0), "7"));
	assert_true(sw_log_session_is(sw_log_sessions_at(t, 0), "7:12"));
	assert_false(sw_log_session_is(sw_log_sessions_at(t, 0), "7:1"));
	sw_log_sessions_free(t);
}

static void filters_combine(void **state)
{
	struct sw_log_sessions *t = sw_log_sessions_new();
	json_t *st = rec("{\"seq\":1,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\",\"engine\":\"postgres\","
			 "\"pid\":5,\"role\":\"agent_a\",\"client\":\"10.1.2.3:5555\",\"verdict\":\"allow\","
			 "\"application_name\":\"etl\",\"client_exe\":\"/usr/bin/psql\",\"request_id\":\"r1\","
			 "\"plan\":{\"id\":\"plan-abc\",\"step\":1}}");
	json_t *done = rec("{\"seq\":2,\"type\":\"completion\",\"time\":\"2026-12-02T01:00:01Z\",\"engine\":\"postgres\","
			   "\"pid\":5,\"outcome\":\"ran\"}");
	const struct sw_log_session *s = sw_log_sessions_feed(t, st);
	struct sw_log_filter f = { 0 };
	(void)state;

	sw_log_sessions_feed(t, done);
	assert_true(sw_log_filter_match(&f, st, s));
	f.client = "10.1.2.3";
	assert_true(sw_log_filter_match(&f, st, s));
	f.client = "*psql";
	assert_true(sw_log_filter_match(&f, st, s));
	assert_true(sw_log_filter_match(&f, done, s));   /* the completion says it through its session */
	f.client = "10.9.*";
	assert_false(sw_log_filter_match(&f, st, s));
	f.client = NULL;
	f.plan = "abc";
	assert_true(sw_log_filter_match(&f, st, s));
	assert_false(sw_log_filter_match(&f, done, s));
	f.plan = NULL;
	f.engine = sw_log_filter_engine("postgresql");
	f.application = "et*";
	f.request = "r1";
	f.session = "5";
	assert_true(sw_log_filter_match(&f, st, s));
	f.engine = sw_log_filter_engine("mariadb");
	assert_false(sw_log_filter_match(&f, st, s));
	assert_null(sw_log_filter_engine("oracle"));
	f.engine = NULL;
	f.session = "6";
	assert_false(sw_log_filter_match(&f, st, s));
	f.session = NULL;
	f.type = "session";
	assert_false(sw_log_filter_match(&f, st, s));
	json_decref(st);
	json_decref(done);
	sw_log_sessions_free(t);
}

static void session_records(void **state)
{
	char key[64];
	struct sw_session_facts f = { .engine = "postgres", .pid = 42, .session = "42@2026-12-02T01:02:03Z",
				       .backend_start = 1764637323, .role = "agent_a", .database = "db",
				       .client = "local", .client_exe = "" };
	json_t *start = sw_session_start_record(&f), *end = sw_session_end_record(&f);
	(void)state;

	sw_log_session_pg_key(42, 1764637323, key, sizeof(key));
	assert_string_equal(key, "42@2025-12-02T01:02:03Z");
	assert_string_equal(json_string_value(json_object_get(start, "type")), "session_start");
	assert_string_equal(json_string_value(json_object_get(start, "session")), f.session);
	assert_string_equal(json_string_value(json_object_get(start, "backend_start")), "2025-12-02T01:02:03Z");
	assert_string_equal(json_string_value(json_object_get(start, "learned")), "connect");
	assert_null(json_object_get(start, "client_exe"));   /* empty: left out */
	assert_string_equal(json_string_value(json_object_get(end, "type")), "session_end");
	assert_null(json_object_get(end, "database"));
	/* Our own process has a start time after boot and not in the future. */
	time_t mine = sw_proc_start_time(getpid());
	assert_true(mine > time(NULL) - 3600 && mine <= time(NULL));
	assert_int_equal(sw_proc_start_time(-1), 0);
	json_decref(start);
	json_decref(end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postgres_sessions_from_records),
		cmocka_unit_test(mariadb_sessions),
		cmocka_unit_test(filters_combine),
		cmocka_unit_test(session_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
