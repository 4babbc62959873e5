/* Ledger records as OCSF Datastore Activity events: the mapping README's table documents. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "log_session.h"
#include "ocsf.h"

static json_t *rec(const char *text)
{
	json_error_t e;
	json_t *r = json_loads(text, 0, &e);

	if (!r)
		fail_msg("bad fixture %s: %s", text, e.text);
	return r;
}

/* The value at a dotted path ("actor.user.name"), or NULL. */
static json_t *at(json_t *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

static long long num(json_t *ev, const char *path)
{
	json_t *v = at(ev, path);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return (long long)json_integer_value(v);
}

static const char *str(json_t *ev, const char *path)
{
	json_t *v = at(ev, path);
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

/* Feed text to the session tracker and map it. */
static json_t *event(struct sw_log_sessions *t, const char *text)
{
	json_t *r = rec(text), *ev = sw_ocsf_event(r, sw_log_sessions_feed(t, r));
	json_decref(r);
	return ev;
}

#define START "{\"seq\":1,\"type\":\"session_start\",\"time\":\"2026-12-02T01:00:00.250Z\",\"engine\":\"postgres\"," \
	      "\"pid\":100,\"session\":\"100@2026-12-02T01:00:00Z\",\"role\":\"agent_a\",\"database\":\"db\"," \
	      "\"client\":\"10.0.0.5:4000\",\"learned\":\"connect\",\"hash\":\"h1\"}"
#define READ "{\"seq\":2,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:01.5Z\",\"engine\":\"postgres\",\"pid\":100," \
	     "\"role\":\"agent_a\",\"database\":\"db\",\"client\":\"10.0.0.5:4000\",\"governed\":true," \
	     "\"statement\":\"SELECT 1\",\"statement_sha256\":\"abc\",\"class\":\"read\",\"command\":\"SELECT\"," \
	     "\"verdict\":\"allow\",\"rule\":\"allow-read\",\"outcome\":\"ran\",\"application_name\":\"etl\"," \
	     "\"client_exe\":\"/usr/bin/psql\",\"prev\":\"h1\",\"hash\":\"h2\"}"
#define HELD "{\"seq\":3,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:02Z\",\"engine\":\"postgres\",\"pid\":100," \
	     "\"role\":\"agent_a\",\"statement\":\"UPDATE t SET v = 1\",\"statement_sha256\":\"def\",\"class\":\"write\"," \
	     "\"command\":\"UPDATE\",\"verdict\":\"hold\",\"rule\":\"hold-writes\",\"outcome\":\"held\",\"hash\":\"h3\"}"
#define APPROVED "{\"seq\":5,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:02Z\",\"engine\":\"postgres\"," \
		 "\"pid\":100,\"role\":\"agent_a\",\"statement\":\"UPDATE t SET v = 1\",\"class\":\"write\"," \
		 "\"command\":\"UPDATE\",\"verdict\":\"allow\",\"rule\":\"hold-writes\",\"outcome\":\"released\"," \
		 "\"decided_by\":\"alice\",\"hold_id\":9,\"hold\":\"x-9\",\"hold_seq\":3,\"approvals\":[]," \
		 "\"hash\":\"h5\"}"
#define REFUSED "{\"seq\":4,\"type\":\"approval_refused\",\"time\":\"2026-12-02T01:00:03Z\",\"hold_id\":9," \
		"\"hold_seq\":3,\"pid\":100,\"role\":\"agent_a\",\"user\":\"carol\",\"message\":\"carol is not an " \
		"approver\",\"hold\":\"x-9\",\"hash\":\"h4\"}"
#define DENIED "{\"seq\":6,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:04Z\",\"engine\":\"postgres\",\"pid\":100," \
	       "\"role\":\"agent_a\",\"statement\":\"DROP TABLE t\",\"class\":\"ddl\",\"command\":\"DROP TABLE\"," \
	       "\"verdict\":\"deny\",\"rule\":\"default\",\"outcome\":\"cancelled\",\"hash\":\"h6\"}"
#define OVER "{\"seq\":7,\"type\":\"completion\",\"time\":\"2026-12-02T01:00:09Z\",\"engine\":\"postgres\",\"pid\":100," \
	     "\"role\":\"agent_a\",\"statement_seq\":2,\"outcome\":\"over_budget\",\"rows\":0,\"sqlstate\":\"57014\"," \
	     "\"duration_ms\":1010,\"budget_ms\":1000,\"hash\":\"h7\"}"
#define END "{\"seq\":8,\"type\":\"session_end\",\"time\":\"2026-12-02T01:00:10Z\",\"engine\":\"postgres\",\"pid\":100," \
	    "\"session\":\"100@2026-12-02T01:00:00Z\",\"hash\":\"h8\"}"

static void a_session_maps_as_documented(void **state)
{
	struct sw_log_sessions *t = sw_log_sessions_new();
	json_t *ev;
	(void)state;

	/* session_start: Connect */
	ev = event(t, START);
	assert_int_equal(num(ev, "class_uid"), 6005);
	assert_int_equal(num(ev, "category_uid"), 6);
	assert_int_equal(num(ev, "activity_id"), 3);
	assert_int_equal(num(ev, "type_uid"), 600503);
	assert_int_equal(num(ev, "time"), 1796173200250LL);
	assert_string_equal(str(ev, "metadata.version"), "1.2.0");
	assert_string_equal(str(ev, "metadata.product.name"), "sqlward");
	assert_string_equal(str(ev, "metadata.product.vendor_name"), "sqlward");
	assert_string_equal(str(ev, "metadata.uid"), "1:h1");
	assert_int_equal(num(ev, "metadata.sequence"), 1);
	assert_string_equal(str(ev, "metadata.correlation_uid"), "100@2026-12-02T01:00:00Z");
	assert_string_equal(str(ev, "actor.session.uid"), "100@2026-12-02T01:00:00Z");
	assert_int_equal(num(ev, "actor.session.created_time"), 1796173200250LL);
	assert_true(json_is_true(at(ev, "actor.session.is_remote")));
	assert_string_equal(str(ev, "src_endpoint.ip"), "10.0.0.5");
	assert_int_equal(num(ev, "src_endpoint.port"), 4000);
	assert_int_equal(num(ev, "status_id"), 1);
	json_decref(ev);

	/* an allowed read: Query, Allowed/Allowed, the text and its digest in query_info */
	ev = event(t, READ);
	assert_int_equal(num(ev, "activity_id"), 4);
	assert_string_equal(str(ev, "activity_name"), "Query");
	assert_int_equal(num(ev, "action_id"), 1);
	assert_int_equal(num(ev, "disposition_id"), 1);
	assert_int_equal(num(ev, "severity_id"), 1);
	assert_int_equal(num(ev, "status_id"), 1);
	assert_string_equal(str(ev, "status_detail"), "ran");
	assert_string_equal(str(ev, "actor.user.name"), "agent_a");
	assert_string_equal(str(ev, "actor.app_name"), "etl");
	assert_int_equal(num(ev, "actor.process.pid"), 100);
	assert_string_equal(str(ev, "actor.process.name"), "postgres");
	assert_string_equal(str(ev, "database.name"), "db");
	assert_string_equal(str(ev, "database.type"), "PostgreSQL");
	assert_int_equal(num(ev, "database.type_id"), 1);
	assert_string_equal(str(ev, "query_info.query_string"), "SELECT 1");
	assert_string_equal(str(ev, "query_info.uid"), "abc");
	assert_string_equal(str(ev, "metadata.uid"), "2:h2");
	/* the rest in unmapped; nothing mapped twice */
	assert_string_equal(str(ev, "unmapped.rule"), "allow-read");
	assert_string_equal(str(ev, "unmapped.client_exe"), "/usr/bin/psql");
	assert_string_equal(str(ev, "unmapped.prev"), "h1");
	assert_string_equal(str(ev, "unmapped.record_type"), "statement");
	assert_null(at(ev, "unmapped.statement"));
	assert_null(at(ev, "unmapped.role"));
	assert_null(at(ev, "unmapped.hash"));
	json_decref(ev);

	/* held: Update, Allowed/Delayed, status unknown yet */
	ev = event(t, HELD);
	assert_int_equal(num(ev, "activity_id"), 2);
	assert_int_equal(num(ev, "action_id"), 1);
	assert_int_equal(num(ev, "disposition_id"), 14);
	assert_int_equal(num(ev, "status_id"), 0);
	/* a record without database or client takes its session's */
	assert_string_equal(str(ev, "database.name"), "db");
	assert_string_equal(str(ev, "src_endpoint.ip"), "10.0.0.5");
	json_decref(ev);

	/* a refused approval: done by the approver, Denied/Rejected */
	ev = event(t, REFUSED);
	assert_int_equal(num(ev, "activity_id"), 99);
	assert_string_equal(str(ev, "activity_name"), "Approval Refused");
	assert_string_equal(str(ev, "actor.user.name"), "carol");
	assert_int_equal(num(ev, "action_id"), 2);
	assert_int_equal(num(ev, "disposition_id"), 25);
	assert_string_equal(str(ev, "message"), "carol is not an approver");
	assert_string_equal(str(ev, "actor.session.uid"), "100@2026-12-02T01:00:00Z");
	json_decref(ev);

	/* approved: Allowed/Approved */
	ev = event(t, APPROVED);
	assert_int_equal(num(ev, "disposition_id"), 8);
	assert_int_equal(num(ev, "status_id"), 1);
	assert_string_equal(str(ev, "unmapped.decided_by"), "alice");
	json_decref(ev);

	/* denied DROP: Delete, Denied/Blocked, Medium, Failure */
	ev = event(t, DENIED);
	assert_int_equal(num(ev, "activity_id"), 7);
	assert_int_equal(num(ev, "action_id"), 2);
	assert_int_equal(num(ev, "disposition_id"), 2);
	assert_int_equal(num(ev, "severity_id"), 3);
	assert_int_equal(num(ev, "status_id"), 2);
	json_decref(ev);

	/* a budget kill: Failure with the SQLSTATE and duration */
	ev = event(t, OVER);
	assert_string_equal(str(ev, "activity_name"), "Completion");
	assert_int_equal(num(ev, "status_id"), 2);
	assert_string_equal(str(ev, "status_detail"), "over_budget");
	assert_string_equal(str(ev, "status_code"), "57014");
	assert_int_equal(num(ev, "duration"), 1010);
	assert_int_equal(num(ev, "unmapped.budget_ms"), 1000);
	assert_int_equal(num(ev, "severity_id"), 2);
	json_decref(ev);

	ev = event(t, END);
	assert_string_equal(str(ev, "activity_name"), "Disconnect");
	assert_int_equal(num(ev, "type_uid"), 600599);
	json_decref(ev);

	/* records about the daemon and the ledger are not database activity */
	assert_null(event(t, "{\"seq\":9,\"type\":\"daemon\",\"time\":\"2026-12-02T01:00:11Z\",\"event\":\"stop\"}"));
	assert_null(event(t, "{\"seq\":10,\"type\":\"gap\",\"time\":\"2026-12-02T01:00:11Z\",\"lost\":3}"));
	assert_false(sw_ocsf_maps_type("continuation"));
	assert_true(sw_ocsf_maps_type("completion"));
	sw_log_sessions_free(t);
}

static void endpoints_and_mariadb(void **state)
{
	struct sw_log_sessions *t = sw_log_sessions_new();
	json_t *ev;
	(void)state;

	ev = event(t, "{\"seq\":1,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\",\"engine\":\"mysql\","
		      "\"pid\":7,\"connection_id\":12,\"thread\":4242,\"role\":\"agent_a\",\"client\":\"localhost\","
		      "\"statement\":\"INSERT INTO t VALUES (1)\",\"class\":\"write\",\"command\":\"INSERT\","
		      "\"verdict\":\"allow\",\"outcome\":\"ran\"}");
	assert_int_equal(num(ev, "activity_id"), 6);
	assert_string_equal(str(ev, "src_endpoint.hostname"), "localhost");
	assert_string_equal(str(ev, "actor.process.name"), "mariadbd");
	assert_int_equal(num(ev, "actor.process.tid"), 4242);
	assert_string_equal(str(ev, "actor.session.uid"), "7:12");
	assert_string_equal(str(ev, "database.type"), "MariaDB");
	assert_string_equal(str(ev, "database.name"), "unknown");
	assert_int_equal(num(ev, "unmapped.connection_id"), 12);
	json_decref(ev);

	ev = event(t, "{\"seq\":2,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\",\"engine\":\"postgres\","
		      "\"pid\":8,\"client\":\"local\",\"statement\":\"SET x = 1\",\"class\":\"session\","
		      "\"verdict\":\"allow\",\"outcome\":\"observed\"}");
	assert_string_equal(str(ev, "src_endpoint.name"), "local");
	assert_false(json_is_true(at(ev, "actor.session.is_remote")));
	assert_int_equal(num(ev, "activity_id"), 99);
	assert_int_equal(num(ev, "disposition_id"), 17);   /* observed: Logged */
	json_decref(ev);

	ev = event(t, "{\"seq\":3,\"type\":\"statement\",\"time\":\"2026-12-02T01:00:00Z\",\"engine\":\"postgres\","
		      "\"pid\":9,\"client\":\"::1:5000\",\"statement\":\"SELECT 1\",\"class\":\"read\","
		      "\"verdict\":\"allow\",\"outcome\":\"ran\"}");
	assert_string_equal(str(ev, "src_endpoint.ip"), "::1");
	assert_int_equal(num(ev, "src_endpoint.port"), 5000);
	json_decref(ev);
	sw_log_sessions_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_session_maps_as_documented),
		cmocka_unit_test(endpoints_and_mariadb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
