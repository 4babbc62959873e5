/*
 * Completions (pg_completion.c, ledger_record.c): the outcome read from what
 * the kernel added up for a statement, and the "completion" record's members
 * as the ledger writes them.
 */
#include <string.h>
#include "unit.h"
#include "ledger_record.h"
#include "json_writer.h"
#include "pg_completion.h"
#include "record_completion.h"
#include "sqlward.h"

/* PostgreSQL's MAKE_SQLSTATE: five 6-bit characters offset from '0', first in the low bits. */
static uint32_t pack(const char *s)
{
	uint32_t code = 0;
	for (int i = 4; i >= 0; i--)
		code = (code << 6) | (uint32_t)((s[i] - '0') & 0x3f);
	return code;
}

static struct sw_completion_event ended(uint32_t end, const char *sqlstate, int elevel, uint32_t commands)
{
	struct sw_completion_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SW_EV_COMPLETION;
	ev.end = end;
	ev.run.commands = commands;
	if (sqlstate) {
		ev.run.flags = SW_RUN_ERROR;
		ev.run.sqlerrcode = pack(sqlstate);
		ev.run.elevel = elevel;
	}
	return ev;
}

static void test_outcomes(void **state)
{
	struct sw_completion_event ev;

	(void)state;
	ev = ended(SW_DONE_READY, NULL, 0, 1);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "ran");
	ev = ended(SW_DONE_READY, "22012", 21, 0);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "error");
	ev = ended(SW_DONE_READY, "57014", 21, 0);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "cancelled");
	/* Only a cancel the gate sent for the budget is over_budget. */
	assert_string_equal(sw_pg_completion_outcome(&ev, 1), "over_budget");
	ev = ended(SW_DONE_READY, "22012", 21, 0);
	assert_string_equal(sw_pg_completion_outcome(&ev, 1), "error");
	ev = ended(SW_DONE_EXITED, "57P01", 22, 0);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "terminated");
	ev = ended(SW_DONE_EXITED, "XX000", 22, 0);   /* FATAL of any SQLSTATE ends the session */
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "terminated");
	ev = ended(SW_DONE_EXITED, NULL, 0, 0);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "client_gone");
	ev = ended(SW_DONE_SUPERSEDED, NULL, 0, 2);
	assert_string_equal(sw_pg_completion_outcome(&ev, 0), "ran");
}

static void test_record(void **state)
{
	struct sw_completion_facts f = {
		.time = { .tv_sec = 1700000000, .tv_nsec = 0 }, .engine = SW_ENGINE_POSTGRES, .pid = 42,
		.role = "agent_test", .statement_seq = 17, .statement_id = 9, .outcome = "over_budget", .rows = 0,
		.commands = 0, .command = NULL, .sqlstate = "57014", .duration_ms = 2003, .budget_ms = 2000,
	};
	json_t *o = sw_completion_record(&f);
	const char *k;
	json_t *v;
	static const char *const order[] = { "type", "time", "engine", "pid", "role", "statement_seq", "statement_id",
					     "outcome", "rows", "commands", "sqlstate", "duration_ms", "budget_ms" };
	size_t i = 0;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(o, "type")), "completion");
	assert_int_equal(json_integer_value(json_object_get(o, "statement_seq")), 17);
	assert_int_equal(json_integer_value(json_object_get(o, "budget_ms")), 2000);
	assert_null(json_object_get(o, "command"));   /* unknown: left out */
	json_object_foreach(o, k, v) {
		(void)v;
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(k, order[i]);
		i++;
	}
	json_decref(o);

	/* No record for the statement: no statement_seq; no budget: no budget_ms. */
	f.statement_seq = 0;
	f.budget_ms = 0;
	f.outcome = "ran";
	f.sqlstate = NULL;
	f.command = "SELECT";
	f.rows = 5;
	o = sw_completion_record(&f);
	assert_null(json_object_get(o, "statement_seq"));
	assert_null(json_object_get(o, "budget_ms"));
	assert_null(json_object_get(o, "sqlstate"));
	assert_string_equal(json_string_value(json_object_get(o, "command")), "SELECT");
	assert_int_equal(json_integer_value(json_object_get(o, "rows")), 5);
	json_decref(o);
}

/* A statement record that carries its completion: the embedded members, and the completion record
 * readers make of it (record_completion.c) equal to the record the daemon writes otherwise. */
static void test_embedded(void **state)
{
	struct sw_completion_facts f = {
		.time = { .tv_sec = 1700000000, .tv_nsec = 0 }, .engine = SW_ENGINE_POSTGRES, .pid = 42,
		.role = "agent_test", .statement_id = 9, .outcome = "ran", .rows = 5, .commands = 1,
		.command = "SELECT", .duration_ms = 3,
	};
	static const char *const order[] = { "time", "outcome", "rows", "commands", "command", "duration_ms" };
	struct sw_jw w;
	json_t *rec, *c, *own, *v;
	const char *k;
	size_t i = 0;

	(void)state;
	sw_jw_init(&w);
	sw_jw_object(&w);
	sw_jw_kv_int(&w, "seq", 17);
	sw_jw_kv_str(&w, "type", "statement");
	sw_jw_kv_str(&w, "time", "2023-11-14T22:13:19.000000Z");
	sw_jw_kv_str(&w, "engine", "postgres");
	sw_jw_kv_int(&w, "pid", 42);
	sw_jw_kv_str(&w, "role", "agent_test");
	sw_jw_kv_str(&w, "statement", "SELECT 1");
	sw_jw_kv_str(&w, "outcome", "observed");
	f.embedded = true;
	sw_jw_key(&w, "completion");
	sw_jw_object(&w);
	sw_completion_members(&w, &f);
	sw_jw_object_end(&w);
	sw_jw_kv_str(&w, "hash", "ab");
	sw_jw_object_end(&w);
	rec = json_loadb(w.buf, w.len, 0, NULL);
	assert_non_null(rec);
	json_object_foreach(json_object_get(rec, "completion"), k, v) {
		(void)v;
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(k, order[i]);
		i++;
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));

	c = sw_record_embedded_completion(rec);
	assert_non_null(c);
	f.embedded = false;
	f.statement_seq = 17;
	own = sw_completion_record(&f);
	/* Every member of the completion's own record, with the same value. */
	json_object_foreach(own, k, v) {
		if (strcmp(k, "statement_id") == 0)
			continue;   /* the statement's record has it (governed sessions) */
		assert_non_null(json_object_get(c, k));
		assert_true(json_equal(json_object_get(c, k), v));
	}
	assert_true(json_is_true(json_object_get(c, "embedded")));
	assert_int_equal(json_integer_value(json_object_get(c, "seq")), 17);
	/* The statement's own outcome stays the statement's. */
	assert_string_equal(json_string_value(json_object_get(rec, "outcome")), "observed");
	json_decref(own);
	json_decref(c);

	/* Records that carry none: no completion. */
	json_object_del(rec, "completion");
	assert_null(sw_record_embedded_completion(rec));
	json_decref(rec);
	sw_jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_embedded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
