/*
 * Completions (pg_completion.c, ledger_record.c): the outcome read from what
 * the kernel added up for a statement, and the "completion" record's members
 * as the ledger writes them.
 */
#include <string.h>
#include "unit.h"
#include "ledger_record.h"
#include "pg_completion.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
