/*
 * A statement record's exact bytes (ledger_record.c sw_decision_members and
 * sw_completion_members through json_writer.c): the expected strings were
 * written by the record path of phase 2 (commit 991a69e), before the phase 3
 * rewrite of the writer, and the hash chain covers these bytes, so any
 * change to them is a ledger-format change, not an optimisation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "ledger_record.h"

static char *strv_item(const char *s)
{
	return strdup(s);
}

/* Two statements: a read and a destructive one, objects and reasons with characters to escape. */
static void make_analysis(struct sw_analysis *a, struct sw_stmt st[2])
{
	static struct sw_object objs0[2], objs1[1];
	static char *reasons0[2], *reasons1[1];

	memset(a, 0, sizeof(*a));
	memset(st, 0, 2 * sizeof(*st));
	objs0[0].name = "public.t\"q";
	objs0[1].name = "s.caf\xC3\xA9";
	objs1[0].name = "public.t\"q";
	reasons0[0] = strv_item("returns rows with no LIMIT");
	reasons0[1] = strv_item("tab\there \\ back");
	reasons1[0] = strv_item("drops \xE2\x80\xAE a table");
	st[0].cls = SW_CLASS_READ;
	st[0].command = "SELECT";
	st[0].objects = objs0;
	st[0].n_objects = 2;
	st[0].traits = SW_TRAIT_NO_LIMIT;
	st[0].reasons = (struct sw_strv){ .v = reasons0, .n = 2 };
	st[1].cls = SW_CLASS_DDL;
	st[1].command = "DROP TABLE";
	st[1].objects = objs1;
	st[1].n_objects = 1;
	st[1].traits = SW_TRAIT_DESTRUCTIVE;
	st[1].reasons = (struct sw_strv){ .v = reasons1, .n = 1 };
	a->engine = SW_ENGINE_POSTGRES;
	a->parse_ok = true;
	a->stmts = st;
	a->n_stmts = 2;
}

static void free_reasons(struct sw_stmt st[2])
{
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < st[i].reasons.n; k++)
			free(st[i].reasons.v[k]);
}

static char *members(const struct sw_decision *d, const struct sw_completion_facts *c)
{
	struct sw_jw w;
	char *out;

	sw_jw_init(&w);
	sw_decision_members(&w, d, NULL);
	if (c) {
		sw_jw_key(&w, "completion");
		sw_jw_object(&w);
		sw_completion_members(&w, c);
		sw_jw_object_end(&w);
	}
	out = strndup(w.buf, w.len);
	sw_jw_free(&w);
	return out;
}

static void statement_record_bytes(void **state)
{
	static const char text[] = "SELECT * FROM \"t\"\"q\" -- caf\xC3\xA9 \xF0\x9F\x98\x80\n\t; DROP TABLE t";
	static const char want[] =
		"\"type\":\"statement\",\"time\":\"2025-12-02T09:00:00.123456Z\",\"engine\":\"postgres\","
		"\"pid\":4242,\"role\":\"agent_x\",\"client\":\"127.0.0.1:40000\",\"governed\":true,"
		"\"statement\":\"SELECT * FROM \\\"t\\\"\\\"q\\\" -- caf\\u00E9 \\uD83D\\uDE00\\n\\t; DROP TABLE t\","
		"\"statement_length\":50,"
		"\"statement_sha256\":\"cc0cc2b285838df295cc26344def3b062e9bdd371cc6e3652558987c74892e39\","
		"\"statement_complete\":true,\"class\":\"ddl\",\"command\":\"DROP TABLE\","
		"\"objects\":[\"public.t\\\"q\",\"s.caf\\u00E9\"],\"traits\":[\"destructive\",\"no_limit\"],"
		"\"verdict\":\"deny\",\"rule\":\"no-drop\","
		"\"reason\":\"dropping \\\"tables\\\" is\\u0001 refused\","
		"\"reasons\":[\"drops \\u202E a table\"],\"statements\":[{\"class\":\"read\","
		"\"command\":\"SELECT\",\"objects\":[\"public.t\\\"q\",\"s.caf\\u00E9\"],"
		"\"verdict\":\"allow\",\"rule\":\"reads\"},{\"class\":\"ddl\",\"command\":\"DROP TABLE\","
		"\"objects\":[\"public.t\\\"q\"],\"verdict\":\"deny\",\"rule\":\"no-drop\"}],\"held_us\":17,"
		"\"outcome\":\"cancelled\",\"decided_by\":\"policy\",\"via\":\"bind\","
		"\"parameters\":[\"x\x7f" "\",1,null],\"application_name\":\"pgbench \\u00E9\","
		"\"request_id\":\"r-1\",\"setting\":{\"k\\\"\":true},"
		"\"completion\":{\"time\":\"2025-12-02T09:00:01.000001Z\",\"outcome\":\"cancelled\","
		"\"rows\":0,\"commands\":0,\"command\":\"DROP TABLE\",\"sqlstate\":\"57014\","
		"\"duration_ms\":-3,\"budget_ms\":5}";
	struct sw_analysis a;
	struct sw_stmt st[2];
	struct sw_judgement per[2] = {
		{ .verdict = SW_VERDICT_ALLOW, .rule_id = "reads" },
		{ .verdict = SW_VERDICT_DENY, .rule_id = "no-drop" },
	};
	struct sw_judgement overall = { .verdict = SW_VERDICT_DENY, .rule_id = "no-drop",
					.reason = "dropping \"tables\" is\x01 refused", .stmt_index = 1 };
	struct sw_who_cache who = { 0 };
	json_t *extra = json_pack("{s:[s, i, n], s:{s:b}}", "parameters", "x\x7f", 1, "setting", "k\"", 1);
	struct sw_decision d = {
		.time = { 1764666000, 123456000 }, .engine = SW_ENGINE_POSTGRES, .pid = 4242, .role = "agent_x",
		.client = "127.0.0.1:40000", .governed = true, .statement = text, .statement_len = sizeof(text) - 1,
		.statement_complete = true, .per_stmt = per, .overall = &overall, .outcome = "cancelled",
		.held_us = 17, .decided_by = "policy", .via = "bind", .extra = extra,
		.who = { .fields = &who, .request_id = "r-1", .at = 1 },
	};
	struct sw_completion_facts c = {
		.time = { 1764666001, 1000 }, .engine = SW_ENGINE_POSTGRES, .outcome = "cancelled", .command = "DROP TABLE",
		.sqlstate = "57014", .duration_ms = -3, .budget_ms = 5, .embedded = true,
	};
	char *got;
	(void)state;

	make_analysis(&a, st);
	d.analysis = &a;
	sw_who_cache_update(&who, "pgbench \xC3\xA9", NULL, "");
	got = members(&d, &c);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "got:  %s\nwant: %s\n", got, want);
	assert_string_equal(got, want);
	free(got);
	sw_who_cache_free(&who);
	json_decref(extra);
	free_reasons(st);
}

/* Text that is not UTF-8: base64, and a completion record of its own. */
static void invalid_text_and_completion_bytes(void **state)
{
	static const char text[] = "SELECT '\xFF\xFE' \x00 x";
	static const char want[] =
		"\"type\":\"statement\",\"time\":\"1970-01-01T00:00:00.000000Z\",\"engine\":\"mysql\",\"pid\":-1,"
		"\"role\":\"r\",\"database\":\"d\",\"governed\":false,\"statement\":\"U0VMRUNUICf//icgACB4\","
		"\"statement_encoding\":\"base64\",\"statement_length\":15,"
		"\"statement_sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"statement_complete\":false,\"class\":\"unknown\",\"objects\":[],\"traits\":[],\"verdict\":\"none\","
		"\"reasons\":[],\"held_us\":0,\"outcome\":\"observed\"";
	static const char want_completion[] =
		"\"type\":\"completion\",\"time\":\"2025-12-02T09:00:01.999999Z\",\"engine\":\"mysql\","
		"\"pid\":7,\"statement_seq\":-1,\"statement_id\":0,\"outcome\":\"ran\","
		"\"rows\":-9223372036854775808,\"commands\":9223372036854775807,\"duration_ms\":0";
	struct sw_decision d = {
		.engine = SW_ENGINE_MYSQL, .pid = -1, .role = "r", .database = "d", .statement = text,
		.statement_len = sizeof(text) - 1, .outcome = "observed",
	};
	struct sw_full_text ft;
	struct sw_completion_facts c = {
		.time = { 1764666001, 999999999 }, .engine = SW_ENGINE_MYSQL, .pid = 7,
		.statement_seq = UINT64_MAX, .outcome = "ran", .rows = INT64_MIN, .commands = INT64_MAX,
	};
	struct sw_jw w;
	(void)state;

	memset(&ft, 0, sizeof(ft));
	memset(ft.sha, '0', 64);
	sw_jw_init(&w);
	sw_decision_members(&w, &d, &ft);
	if (strcmp(w.buf, want) != 0)
		fprintf(stderr, "got:  %s\nwant: %s\n", w.buf, want);
	assert_string_equal(w.buf, want);
	sw_jw_reset(&w);
	sw_completion_members(&w, &c);
	if (strcmp(w.buf, want_completion) != 0)
		fprintf(stderr, "got:  %s\nwant: %s\n", w.buf, want_completion);
	assert_string_equal(w.buf, want_completion);
	sw_jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statement_record_bytes),
		cmocka_unit_test(invalid_text_and_completion_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
