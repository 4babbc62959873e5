/*
 * MariaDB's kernel verdict cache, the daemon's side (my_verdict_cache.c):
 * what may be cached (a plain policy allow of a statement whose judgement
 * does not depend on the session) and what never is (approvals, plans,
 * budgets, live context, freezes, a failing ledger, truncated texts, SET,
 * USE, PREPARE/EXECUTE/DEALLOCATE, CALL, unparsed text, a prepared execution
 * the server parsed as another command); the probe's text hash; context ids
 * and database refs.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "my_classify.h"
#include "my_verdict_cache.h"
#include "statement.h"

/* A COM_QUERY the policy allowed, with everything else in order. */
static struct sw_my_cache_facts plain_allow(size_t len)
{
	return (struct sw_my_cache_facts){ .allowed = true, .decided_by = "policy", .complete = true,
					   .text_len = len, .db_len = 6, .charset = 45, .expect_known = true,
					   .sqlcom_matches = true };
}

/* Why sql (one COM_QUERY) is not cached under f, or NULL. */
static const char *refusal_of(const char *sql, struct sw_my_cache_facts f)
{
	struct sw_analysis a;
	const char *why;

	sw_my_analyze(sql, 0, &a);
	f.text_len = strlen(sql);
	why = sw_my_cache_refusal(&f, &a);
	sw_analysis_free(&a);
	return why;
}

static void test_plain_reads_are_cached(void **state)
{
	(void)state;
	assert_null(refusal_of("SELECT c FROM sbtest1 WHERE id = 7", plain_allow(0)));
	assert_null(refusal_of("SELECT 1", plain_allow(0)));
	assert_null(refusal_of("BEGIN", plain_allow(0)));
	assert_null(refusal_of("COMMIT", plain_allow(0)));
	assert_null(refusal_of("/* req-1 */ SELECT owner FROM accounts", plain_allow(0)));
}

static void test_session_dependent_never(void **state)
{
	static const char *const never[] = {
		"USE otherdb",
		"SET @a = 1",
		"SET sql_mode = 'ANSI_QUOTES'",
		"SET NAMES latin1",
		"PREPARE s FROM 'SELECT 1'",
		"EXECUTE s",
		"DEALLOCATE PREPARE s",
		"CALL p()",
		"this is not sql",
		"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		const char *why = refusal_of(never[i], plain_allow(0));
		if (!why)
			fail_msg("\"%s\" would be cached", never[i]);
	}
}

static void test_not_a_plain_policy_allow(void **state)
{
	struct sw_my_cache_facts f;
	(void)state;

	f = plain_allow(0);
	f.decided_by = "approval";   /* a human's approval covers one execution */
	assert_non_null(refusal_of("SELECT 1", f));
	f.decided_by = "plan";
	assert_non_null(refusal_of("SELECT 1", f));
	f.decided_by = NULL;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.allowed = false;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.gate_refused = true;
	assert_non_null(refusal_of("SELECT 1", f));
	/* A budget: only where the gate enforces it from the command's arrival (completions on). */
	f = plain_allow(0);
	f.budget_ms = 5000;
	assert_non_null(refusal_of("SELECT 1", f));
	f.budgets_enforced = true;
	assert_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.live = true;
	assert_non_null(refusal_of("SELECT 1", f));
}

static void test_gate_states_never(void **state)
{
	struct sw_my_cache_facts f;
	(void)state;

	f = plain_allow(0);
	f.disabled = true;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.frozen = true;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.ledger_failing = true;
	assert_non_null(refusal_of("SELECT 1", f));
}

static void test_text_and_context_limits(void **state)
{
	struct sw_my_cache_facts f = plain_allow(0);
	struct sw_analysis a;
	char *big = malloc(SW_MY_TEXT_CAP + 16);
	(void)state;

	/* A text the kernel's copy cannot hold whole. */
	memcpy(big, "SELECT '", 8);
	memset(big + 8, 'x', SW_MY_TEXT_CAP);
	memcpy(big + 8 + SW_MY_TEXT_CAP, "'", 2);
	sw_my_analyze(big, 0, &a);
	f.text_len = strlen(big);
	assert_non_null(sw_my_cache_refusal(&f, &a));
	sw_analysis_free(&a);
	free(big);

	f = plain_allow(0);
	f.complete = false;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.db_len = SW_MY_DB_CAP;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.charset = 0;
	assert_non_null(refusal_of("SELECT 1", f));
	f = plain_allow(0);
	f.expect_known = false;
	assert_non_null(refusal_of("SELECT 1", f));
}

static void test_prepared_execution(void **state)
{
	struct sw_my_cache_facts f = plain_allow(0);
	(void)state;

	f.prepared_execution = true;
	assert_null(refusal_of("SELECT c FROM sbtest1 WHERE id=?", f));
	/* The server parsed it as another command than sqlward: the server is right, no cache. */
	f.sqlcom_matches = false;
	assert_non_null(refusal_of("SELECT c FROM sbtest1 WHERE id=?", f));
	/* Values change per execution: a policy that reads literals judges each one. */
	f = plain_allow(0);
	f.prepared_execution = true;
	f.literal_sensitive = true;
	assert_non_null(refusal_of("SELECT c FROM sbtest1 WHERE id=?", f));
	/* (A COM_QUERY's literals are part of its text: cached whatever the policy reads.) */
	f.prepared_execution = false;
	assert_null(refusal_of("SELECT c FROM sbtest1 WHERE id=5", f));
	/* A prepared statement is one statement. */
	f = plain_allow(0);
	f.prepared_execution = true;
	assert_non_null(refusal_of("SELECT 1; SELECT 2", f));
}

/* FNV-1a over little-endian 64-bit words, zero-padded: what the probe computes. */
static void test_text_hash(void **state)
{
	uint64_t h = 0xcbf29ce484222325ULL, w0 = 0, w1 = 0;
	const char *t = "SELECT 1 + 2";   /* 12 bytes: one full word and half of one */
	(void)state;

	for (int i = 0; i < 8; i++)
		w0 |= (uint64_t)(unsigned char)t[i] << (8 * i);
	for (int i = 8; i < 12; i++)
		w1 |= (uint64_t)(unsigned char)t[i] << (8 * (i - 8));
	h = (h ^ w0) * 0x100000001b3ULL;
	h = (h ^ w1) * 0x100000001b3ULL;
	assert_true(sw_my_text_hash(t, 12) == h);
	/* Bytes past len do not count; a different length is a different text. */
	assert_true(sw_my_text_hash("SELECT 1 + 2XYZ", 12) == h);
	assert_true(sw_my_text_hash(t, 11) != h);
}

static void test_contexts_and_db_refs(void **state)
{
	uint32_t on = 0;
	struct sw_my_vcache *vc = sw_my_vcache_new(-1, -1, -1, &on);
	uint32_t a, b, c, d;
	(void)state;

	a = sw_my_vcache_context(vc, "agent_a", "agent_a", "%", "127.0.0.1", "/usr/bin/python3");
	b = sw_my_vcache_context(vc, "agent_a", "agent_a", "%", "127.0.0.1", "/usr/bin/python3");
	c = sw_my_vcache_context(vc, "agent_b", "agent_b", "%", "127.0.0.1", "/usr/bin/python3");
	d = sw_my_vcache_context(vc, "agent_a", "agent_a", "%", "127.0.0.1", "/usr/bin/mariadb");
	assert_true(a != 0 && a == b);
	assert_true(c != a && d != a && d != c);

	a = sw_my_vcache_db_ref(vc, "gatedb");
	b = sw_my_vcache_db_ref(vc, "otherdb");
	c = sw_my_vcache_db_ref(vc, "");
	assert_true(a && b && c && a != b && b != c);
	assert_int_equal(sw_my_vcache_db_ref(vc, "gatedb"), a);
	assert_string_equal(sw_my_vcache_db_name(vc, a), "gatedb");
	assert_string_equal(sw_my_vcache_db_name(vc, c), "");
	assert_null(sw_my_vcache_db_name(vc, 0));
	assert_null(sw_my_vcache_db_name(vc, 999));

	/* Off: nothing is stored. */
	{
		struct sw_my_expect e;
		uint64_t mask[3] = { 1, 0, 0 };
		memset(&e, 0, sizeof(e));
		assert_false(sw_my_vcache_enabled(vc));
		assert_false(sw_my_vcache_put_text(vc, 1, 0, 45, "gatedb", "SELECT 1", 8, &e));
		assert_false(sw_my_vcache_put_stmt(vc, 1, 2, 3, 0, 45, "gatedb", mask));
		on = 1;
		/* "The last prepared statement" names no fixed statement: never cached. */
		assert_false(sw_my_vcache_put_stmt(vc, 1, 2, SW_MY_LAST_STMT_ID, 0, 45, "gatedb", mask));
	}
	sw_my_vcache_free(vc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_reads_are_cached),
		cmocka_unit_test(test_session_dependent_never),
		cmocka_unit_test(test_not_a_plain_policy_allow),
		cmocka_unit_test(test_gate_states_never),
		cmocka_unit_test(test_text_and_context_limits),
		cmocka_unit_test(test_prepared_execution),
		cmocka_unit_test(test_text_hash),
		cmocka_unit_test(test_contexts_and_db_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
