/*
 * MariaDB's one record per command (my_completion.c): an observed command's
 * record waits for its completion within the gate's poll and both become one
 * statement record with a "completion" object (MariaDB's connection_id and
 * sql_errno included); a completion that comes in a later poll is a record of
 * its own pointing at the statement's; a connection's records stay in order;
 * the ledger verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "daemon_state.h"
#include "ledger.h"
#include "ledger_record.h"
#include "mariadb.h"
#include "my_completion.h"
#include "record_completion.h"
#include "statement.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
	struct sw_daemon *d;
	struct sw_my_completions *c;
	struct sw_stmt st;
	struct sw_analysis a;
	struct sw_judgement per, overall;
	struct sw_decision dec;
	json_t *extra;
};

static struct fixture F;

static int setup(void **state)
{
	char err[512];

	(void)state;
	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "/tmp/sw-unit-mydefer-XXXXXX");
	if (!mkdtemp(F.dir))
		return -1;
	snprintf(F.path, sizeof(F.path), "%s/ledger.jsonl", F.dir);
	F.d = sw_xcalloc(1, sizeof(*F.d));
	if (sw_ledger_open(F.path, &F.d->ledger, err, sizeof(err)) != 0) {
		fprintf(stderr, "ledger: %s\n", err);
		return -1;
	}
	F.c = sw_my_completions_new();
	F.st.text = sw_xstrdup("SELECT c FROM sbtest1 WHERE id=?");
	F.st.cls = SW_CLASS_READ;
	F.st.command = sw_xstrdup("SELECT");
	F.a.engine = SW_ENGINE_MYSQL;
	F.a.parse_ok = true;
	F.a.stmts = &F.st;
	F.a.n_stmts = 1;
	F.per.verdict = SW_VERDICT_ALLOW;
	F.per.rule_id = "ungoverned";
	F.overall = F.per;
	F.extra = json_pack("{s:I, s:s}", "connection_id", (json_int_t)7, "protocol_command", "COM_STMT_EXECUTE");
	F.dec = (struct sw_decision){
		.time = { .tv_sec = 1795784400, .tv_nsec = 5000 }, .engine = SW_ENGINE_MYSQL, .pid = 99,
		.role = "bench_app", .client = "127.0.0.1", .statement = F.st.text,
		.statement_len = strlen(F.st.text), .statement_complete = true, .analysis = &F.a,
		.per_stmt = &F.per, .overall = &F.overall, .outcome = "observed", .via = "execute",
		.extra = F.extra,
	};
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	sw_my_completions_free(F.c);
	sw_ledger_close(F.d->ledger);
	free(F.d);
	sw_stmt_free(&F.st);
	json_decref(F.extra);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", F.dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

static struct sw_my_done_event done_of(uint64_t conn, uint64_t start_ns, uint32_t sql_errno)
{
	struct sw_my_done_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SW_MY_EV_DONE;
	ev.tgid = 99;
	ev.conn_id = conn;
	ev.start_ns = start_ns;
	ev.ktime_ns = start_ns + 3000000;
	ev.sent_rows = 1;
	ev.row_count_func = -1;
	ev.sql_errno = sql_errno;
	ev.sql_command = -1;
	return ev;
}

/* The ledger's records, in order (flushed first). */
static json_t *records(void)
{
	char err[512], line[65536];
	json_t *all = json_array();
	FILE *f;

	assert_int_equal(sw_ledger_flush(F.d->ledger, err, sizeof(err)), 0);
	f = fopen(F.path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		json_array_append_new(all, json_loads(line, 0, NULL));
	fclose(f);
	return all;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_one_record(void **state)
{
	struct sw_my_done_event ok = done_of(7, 1000, 0), bad = done_of(8, 2000, 1054);
	struct sw_verify_result res;
	json_t *all, *r, *c, *own;

	(void)state;
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 7, 1000, "bench_app");
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 8, 2000, "bench_app");
	sw_my_completion_on_done(F.d, F.c, &ok);
	sw_my_completion_on_done(F.d, F.c, &bad);
	sw_my_completion_write_deferred(F.d, F.c);
	all = records();
	assert_int_equal(json_array_size(all), 2);

	r = json_array_get(all, 0);
	c = json_object_get(r, "completion");
	assert_true(json_is_object(c));
	assert_string_equal(str(r, "type"), "statement");
	assert_string_equal(str(r, "outcome"), "observed");   /* the statement's own */
	assert_string_equal(str(c, "outcome"), "ran");
	assert_int_equal(json_integer_value(json_object_get(c, "rows")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "connection_id")), 7);
	assert_int_equal(json_integer_value(json_object_get(c, "duration_ms")), 3);
	assert_null(json_object_get(c, "sql_errno"));
	/* The statement record itself is what sw_gate_record writes: the members before "completion". */
	own = sw_decision_record(&F.dec);
	{
		const char *k;
		json_t *v;
		json_object_foreach(own, k, v)
			assert_true(json_equal(json_object_get(r, k), v));
	}
	json_decref(own);
	/* Readers expand it into the completion record it stands for, MariaDB's members included. */
	c = sw_record_embedded_completion(json_array_get(all, 1));
	assert_non_null(c);
	assert_string_equal(str(c, "type"), "completion");
	assert_string_equal(str(c, "outcome"), "error");
	assert_int_equal(json_integer_value(json_object_get(c, "sql_errno")), 1054);
	assert_int_equal(json_integer_value(json_object_get(c, "connection_id")), 8);
	assert_int_equal(json_integer_value(json_object_get(c, "statement_seq")),
			 json_integer_value(json_object_get(json_array_get(all, 1), "seq")));
	json_decref(c);
	json_decref(all);
	assert_int_equal(sw_ledger_verify(F.path, &res), 0);
	assert_true(res.ok);
}

static void test_late_completion(void **state)
{
	struct sw_my_done_event late = done_of(7, 5000, 1317);
	json_t *all, *st, *c;

	(void)state;
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 7, 5000, "bench_app");
	sw_my_completion_write_deferred(F.d, F.c);   /* the poll ends before it returns */
	sw_my_completion_on_done(F.d, F.c, &late);
	all = records();
	assert_int_equal(json_array_size(all), 2);
	st = json_array_get(all, 0);
	c = json_array_get(all, 1);
	assert_null(json_object_get(st, "completion"));
	assert_string_equal(str(c, "type"), "completion");
	assert_int_equal(json_integer_value(json_object_get(c, "statement_seq")),
			 json_integer_value(json_object_get(st, "seq")));
	assert_int_equal(json_integer_value(json_object_get(c, "statement_id")), 5000);
	assert_int_equal(json_integer_value(json_object_get(c, "sql_errno")), 1317);
	assert_int_equal(json_integer_value(json_object_get(c, "connection_id")), 7);
	json_decref(all);
}

/* A connection's records stay in order; a slot written is used again; an ended connection's record
 * is written. */
static void test_order_and_reuse(void **state)
{
	struct sw_my_done_event ev;
	json_t *all;
	struct sw_verify_result res;

	(void)state;
	/* The next command of connection 7 comes before the previous one's completion (lost): the
	 * previous record is written first, alone. */
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 7, 100, "bench_app");
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 7, 200, "bench_app");
	ev = done_of(7, 200, 0);
	sw_my_completion_on_done(F.d, F.c, &ev);
	/* Many commands in one poll, each with its completion. */
	for (uint64_t i = 0; i < 1000; i++) {
		sw_my_completion_record_deferred(F.d, F.c, &F.dec, 9 + (i & 1), 1000 + i, "bench_app");
		ev = done_of(9 + (i & 1), 1000 + i, 0);
		sw_my_completion_on_done(F.d, F.c, &ev);
	}
	/* Connection 11 ends while its record waits. */
	sw_my_completion_record_deferred(F.d, F.c, &F.dec, 11, 3000, "bench_app");
	sw_my_completion_forget(F.d, F.c, 11);
	sw_my_completion_write_deferred(F.d, F.c);
	all = records();
	assert_int_equal(json_array_size(all), 1003);
	assert_null(json_object_get(json_array_get(all, 0), "completion"));
	assert_non_null(json_object_get(json_array_get(all, 1), "completion"));
	for (size_t i = 2; i < 1002; i++)
		assert_non_null(json_object_get(json_array_get(all, i), "completion"));
	assert_null(json_object_get(json_array_get(all, 1002), "completion"));
	json_decref(all);
	assert_int_equal(sw_ledger_verify(F.path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 1003);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_reuse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
