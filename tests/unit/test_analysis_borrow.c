/*
 * Borrowing the classification cache's statement (analysis_cache.h
 * sw_acache_borrow) instead of copying it: the records are byte for byte what
 * the copying path gives, for many statements, policies and sessions; a
 * borrowed statement is given back by sw_analysis_free, made its own by
 * sw_analysis_own, and never freed under its borrower (a miss does not
 * replace a lent slot; freeing the cache while one is lent aborts). The judgement
 * members pre-rendered per shape (ledger_record.c) are byte for byte the slow path's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "analysis_cache.h"
#include "ledger_record.h"
#include "policy.h"
#include "read_facts.h"
#include "shape.h"
#include "util.h"

static const char *const statements[] = {
	"SELECT abalance FROM pgbench_accounts WHERE aid = 1",
	"SELECT abalance FROM pgbench_accounts WHERE aid = 98765",
	"SELECT * FROM app.users WHERE id = 7",
	"SELECT * FROM app.users WHERE id = 8",
	"SELECT id, email FROM app.users WHERE tenant_id = 3 AND created > '2026-01-01'",
	"SELECT id, email FROM app.users WHERE tenant_id = 4 AND created > '2025-01-01'",
	"UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 12",
	"UPDATE pgbench_accounts SET abalance = abalance + -3 WHERE aid = 13",
	"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, CURRENT_TIMESTAMP)",
	"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 6, 7, 8, CURRENT_TIMESTAMP)",
	"DELETE FROM app.sessions WHERE expires < 1700000000",
	"DELETE FROM app.sessions WHERE expires < 1800000000",
	"SELECT a.id, b.total FROM app.orders a JOIN app.totals b ON a.id = b.order_id WHERE a.id = 1",
	"SELECT a.id, b.total FROM app.orders a JOIN app.totals b ON a.id = b.order_id WHERE a.id = 2",
	"SELECT passwd FROM pg_shadow WHERE usename = 'x'",
	"SELECT passwd FROM pg_shadow WHERE usename = 'y'",
	"SELECT id FROM t WHERE name = 'caf\xc3\xa9 \"quoted\" \\\\ tab\t'",
	"SELECT id FROM t WHERE name = 'other'",
	"DELETE FROM t",                                /* uncacheable: always parsed */
	"SELECT pg_sleep(1) FROM t WHERE id = 1",
	"SELECT id FROM t WHERE id = $1",
	"SELECT id FROM t WHERE id = $1",
	"SELECT id FROM t LIMIT 10",
	"SELECT id FROM t LIMIT 5001",
};

static const char policy_governing[] =
	"sqlward_policy: 1\n"
	"govern:\n"
	"  roles: [\"agent\"]\n"
	"default: hold\n"
	"rules:\n"
	"  - id: no-star\n"
	"    match: { trait: select_star }\n"
	"    action: deny\n"
	"    reason: \"name the columns\"\n"
	"  - id: reads\n"
	"    match: { class: read }\n"
	"    action: allow\n"
	"  - id: writes-hold\n"
	"    match: { class: write }\n"
	"    action: hold\n";

static struct sw_policy *load_policy(const char *yaml_or_path, bool is_path)
{
	struct sw_policy *p = NULL;
	char err[512];
	int rc;

	if (is_path) {
		char path[4096];
		const char *top = getenv("SQLWARD_TOP");
		snprintf(path, sizeof(path), "%s/%s", top ? top : ".", yaml_or_path);
		rc = sw_policy_load(path, &p, err, sizeof(err));
	} else {
		rc = sw_policy_load_string(yaml_or_path, strlen(yaml_or_path), "test", &p, err, sizeof(err));
	}
	if (rc != 0)
		fprintf(stderr, "policy: %s\n", err);
	assert_int_equal(rc, 0);
	return p;
}

/* The statement record's members for one statement judged under policy for a session. */
static char *record_of(const struct sw_policy *pol, const struct sw_subject *subj, bool governed,
		       const struct sw_analysis *a, const char *text)
{
	static const struct sw_full_text ft = { .sha = "00" };
	struct sw_judgement *per = sw_xcalloc(a->n_stmts ? a->n_stmts : 1, sizeof(*per)), overall;
	struct sw_decision d;
	struct sw_jw w;
	char *out;

	sw_policy_judge(pol, subj, a, per, &overall);
	d = (struct sw_decision){ .time = { 1764650000, 123456789 }, .engine = SW_ENGINE_POSTGRES, .pid = 4242,
				  .role = subj->role, .database = subj->database, .client = "local",
				  .governed = governed, .statement = text, .statement_len = strlen(text),
				  .statement_complete = true, .analysis = a, .per_stmt = per, .overall = &overall,
				  .outcome = governed ? "ran" : "observed", .decided_by = "policy" };
	sw_jw_init(&w);
	sw_decision_members(&w, &d, &ft);
	out = sw_xstrndup(w.buf, w.len);
	sw_jw_free(&w);
	free(per);
	return out;
}

/* Golden: for every statement (twice, so the second round hits), policy and session, the
 * borrowed analysis gives the record the copying path gives, and both match a fresh parse. */
static void test_borrowed_records_match_copied(void **state)
{
	(void)state;
	struct sw_policy *policies[3];
	const struct sw_subject subjects[] = {
		{ .role = "app_user", .database = "app", .engine = SW_ENGINE_POSTGRES },
		{ .role = "agent", .database = "app", .engine = SW_ENGINE_POSTGRES },
		{ .role = "agent_bench", .database = NULL, .engine = SW_ENGINE_POSTGRES },
	};
	size_t compared = 0;

	policies[0] = load_policy("policies/default.yaml", true);
	policies[1] = load_policy("bench/policy-allow.yaml", true);
	policies[2] = load_policy(policy_governing, false);
	for (size_t pi = 0; pi < 3; pi++)
		for (size_t si = 0; si < sizeof(subjects) / sizeof(subjects[0]); si++) {
			struct sw_acache *copying = sw_acache_new(64), *lending = sw_acache_new(64);
			bool governed = sw_policy_governs(policies[pi], subjects[si].role);
			for (int round = 0; round < 2; round++)
				for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
					const char *t = statements[i];
					struct sw_analysis copied, borrowed, fresh;
					char *rc, *rb, *rf;
					sw_acache_analyze(copying, t, strlen(t), &copied);
					sw_acache_borrow(lending, t, strlen(t), &borrowed);
					sw_pg_analyze(t, &fresh);
					if (round == 1 && i % 2 == 1 && copied.n_stmts == 1 &&
					    sw_shape_cacheable(&copied))
						assert_non_null(borrowed.borrowed);
					rc = record_of(policies[pi], &subjects[si], governed, &copied, t);
					rb = record_of(policies[pi], &subjects[si], governed, &borrowed, t);
					rf = record_of(policies[pi], &subjects[si], governed, &fresh, t);
					assert_string_equal(rb, rc);
					assert_string_equal(rb, rf);
					compared++;
					free(rc);
					free(rb);
					free(rf);
					sw_analysis_free(&copied);
					sw_analysis_free(&borrowed);
					sw_analysis_free(&fresh);
					assert_int_equal(sw_acache_lent(lending), 0);
				}
			sw_acache_free(copying);
			sw_acache_free(lending);
		}
	assert_true(compared == 3 * 3 * 2 * sizeof(statements) / sizeof(statements[0]));
	for (size_t pi = 0; pi < 3; pi++)
		sw_policy_free(policies[pi]);
}

/* The judgement members as one writer renders them (no memo: an analysis of its own). */
static char *record_judged(const struct sw_analysis *a, const char *text, const struct sw_judgement *overall,
			   const struct sw_judgement *per, const char *role, bool governed)
{
	static const struct sw_full_text ft = { .sha = "00" };
	struct sw_decision d = { .time = { 1764650000, 5 }, .engine = SW_ENGINE_POSTGRES, .pid = 77, .role = role,
				 .governed = governed, .statement = text, .statement_len = strlen(text),
				 .statement_complete = true, .analysis = a, .per_stmt = per, .overall = overall,
				 .outcome = "ran", .decided_by = "cache" };
	struct sw_jw w;
	char *out;

	sw_jw_init(&w);
	sw_jw_object(&w);
	sw_decision_members(&w, &d, &ft);
	sw_jw_object_end(&w);
	out = sw_xstrndup(w.buf, w.len);
	sw_jw_free(&w);
	return out;
}

/*
 * Golden for the pre-rendered judgement members: one lending cache (one memo per shape) shared by
 * every policy, session and judgement, interleaved so the memo's key changes from statement to
 * statement: each record equals the one rendered from a fresh parse, with the same judgement.
 */
static void test_memo_records_match_slow_path(void **state)
{
	(void)state;
	static char long_reason[3000];
	struct sw_policy *policies[3];
	const struct sw_subject subjects[] = {
		{ .role = "app_user", .database = "app", .engine = SW_ENGINE_POSTGRES },
		{ .role = "agent", .database = "app", .engine = SW_ENGINE_POSTGRES },
		{ .role = "agent_bench", .database = "bench", .engine = SW_ENGINE_POSTGRES },
	};
	/* Judgements the daemon writes besides the policy's: the kernel's cache, a refusal with no
	 * daemon, a freeze, a missing rule or reason, none at all, and a reason too long for a key. */
	struct sw_judgement extra[] = {
		{ .verdict = SW_VERDICT_ALLOW, .rule_id = "cache", .reason = "allowed in the kernel by an earlier verdict" },
		{ .verdict = SW_VERDICT_DENY, .rule_id = "no-daemon", .reason = "no live sqlward daemon" },
		{ .verdict = SW_VERDICT_DENY, .rule_id = "freeze", .reason = "change freeze: \"release\" \xe2\x80\x94 night" },
		{ .verdict = SW_VERDICT_ALLOW, .rule_id = "cache", .reason = NULL },
		{ .verdict = SW_VERDICT_HOLD, .rule_id = NULL, .reason = "" },
		{ .verdict = SW_VERDICT_ALLOW, .rule_id = "long", .reason = long_reason },
	};
	struct sw_acache *lending = sw_acache_new(8);
	size_t replayed = 0;

	memset(long_reason, 'r', sizeof(long_reason) - 1);
	policies[0] = load_policy("policies/default.yaml", true);
	policies[1] = load_policy("bench/policy-allow.yaml", true);
	policies[2] = load_policy(policy_governing, false);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
			for (size_t k = 0; k < 3 * 3 + sizeof(extra) / sizeof(extra[0]) + 1; k++) {
				const char *t = statements[(i + k) % (sizeof(statements) / sizeof(statements[0]))];
				struct sw_analysis borrowed, fresh;
				struct sw_judgement per[4], overall, *j = &overall;
				const struct sw_subject *subj = &subjects[k % 3];
				char *rb, *rf;
				sw_acache_borrow(lending, t, strlen(t), &borrowed);
				sw_pg_analyze(t, &fresh);
				assert_true(fresh.n_stmts <= 4);
				if (k < 9)
					sw_policy_judge(policies[k / 3], subj, &fresh, per, &overall);
				else if (k < 9 + sizeof(extra) / sizeof(extra[0]))
					j = &extra[k - 9];
				else
					j = NULL;
				replayed += borrowed.memo && borrowed.memo->way[0].bytes;
				rb = record_judged(&borrowed, t, j, per, subj->role, k % 3 != 0);
				rf = record_judged(&fresh, t, j, per, subj->role, k % 3 != 0);
				assert_string_equal(rb, rf);
				/* Twice in a row: the second is replayed from the memo. */
				free(rb);
				rb = record_judged(&borrowed, t, j, per, subj->role, k % 3 != 0);
				assert_string_equal(rb, rf);
				free(rb);
				free(rf);
				sw_analysis_free(&borrowed);
				sw_analysis_free(&fresh);
			}
	assert_true(replayed > 100);
	assert_int_equal(sw_acache_lent(lending), 0);
	sw_acache_free(lending);
	for (size_t pi = 0; pi < 3; pi++)
		sw_policy_free(policies[pi]);
}

/* A memo belongs to the slot's statement: owning the analysis drops it, and a replaced slot
 * starts without one. */
static void test_memo_follows_its_slot(void **state)
{
	(void)state;
	struct sw_acache *c = sw_acache_new(1);
	const char *a1 = "SELECT v FROM app.t WHERE id = 1", *a2 = "SELECT v FROM app.t WHERE id = 2";
	const char *b1 = "SELECT w FROM app.u WHERE k = 1", *b2 = "SELECT w FROM app.u WHERE k = 2";
	struct sw_judgement j = { .verdict = SW_VERDICT_ALLOW, .rule_id = "r", .reason = "why" };
	struct sw_analysis x;
	char *r;

	sw_acache_borrow(c, a1, strlen(a1), &x);
	sw_analysis_free(&x);
	sw_acache_borrow(c, a2, strlen(a2), &x);
	assert_non_null(x.memo);
	r = record_judged(&x, a2, &j, NULL, "app_user", false);
	free(r);
	assert_non_null(x.memo->way[0].bytes);
	assert_non_null(strstr(x.memo->way[0].bytes, "app.t"));
	sw_analysis_own(&x);
	assert_null(x.memo);
	sw_analysis_free(&x);
	sw_acache_borrow(c, b1, strlen(b1), &x);   /* miss: replaces the slot, memo and all */
	sw_analysis_free(&x);
	sw_acache_borrow(c, b2, strlen(b2), &x);
	assert_non_null(x.memo);
	assert_null(x.memo->way[0].bytes);
	r = record_judged(&x, b2, &j, NULL, "app_user", false);
	assert_non_null(strstr(r, "\"objects\":[\"app.u\"]"));
	free(r);
	sw_analysis_free(&x);
	sw_acache_free(c);
}

/* Given back on free; made its own by sw_analysis_own, whose changes never reach the cache. */
static void test_free_gives_back_and_own_copies(void **state)
{
	(void)state;
	struct sw_acache *c = sw_acache_new(16);
	const char *t1 = "SELECT v FROM app.t WHERE id = 1", *t2 = "SELECT v FROM app.t WHERE id = 2";
	struct sw_analysis a, b, again;

	sw_acache_borrow(c, t1, strlen(t1), &a);          /* miss: its own */
	assert_null(a.borrowed);
	sw_acache_borrow(c, t2, strlen(t2), &b);          /* hit: borrowed */
	assert_non_null(b.borrowed);
	assert_int_equal(sw_acache_lent(c), 1);
	assert_string_equal(b.stmts[0].text, t2);
	assert_ptr_not_equal(b.stmts[0].text, a.stmts[0].text);
	sw_acache_borrow(c, t2, strlen(t2), &again);      /* two borrowers of one slot */
	assert_int_equal(sw_acache_lent(c), 2);
	sw_analysis_free(&again);
	assert_int_equal(sw_acache_lent(c), 1);

	sw_analysis_own(&b);
	assert_null(b.borrowed);
	assert_int_equal(sw_acache_lent(c), 0);
	assert_string_equal(b.stmts[0].text, t2);
	sw_analysis_own(&b);                              /* owning twice: nothing */
	sw_strv_push(&b.stmts[0].reasons, "changed after owning");
	b.stmts[0].traits |= SW_TRAIT_UNKNOWN_FUNCTION;
	sw_analysis_free(&b);

	sw_acache_borrow(c, t2, strlen(t2), &b);
	assert_non_null(b.borrowed);
	assert_false(sw_strv_contains(&b.stmts[0].reasons, "changed after owning"));
	assert_false(b.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_int_equal(b.stmts[0].reasons.n, a.stmts[0].reasons.n);
	sw_analysis_free(&b);
	sw_analysis_free(&a);
	assert_int_equal(sw_acache_lent(c), 0);
	sw_acache_free(c);
}

/* One slot: a miss of another shape while the slot is lent leaves the borrower's statement
 * alone (ASan would report the read after free); once given back, the slot is replaced. */
static void test_miss_never_replaces_lent_slot(void **state)
{
	(void)state;
	struct sw_acache *c = sw_acache_new(1);
	const char *a1 = "SELECT v FROM app.t WHERE id = 1", *a2 = "SELECT v FROM app.t WHERE id = 2";
	const char *b1 = "SELECT w, x FROM app.u WHERE k = 'a'", *b2 = "SELECT w, x FROM app.u WHERE k = 'b'";
	struct sw_analysis a, b, x;
	uint64_t hits, misses;

	sw_acache_borrow(c, a1, strlen(a1), &x);
	sw_analysis_free(&x);
	sw_acache_borrow(c, a2, strlen(a2), &a);
	assert_non_null(a.borrowed);
	sw_acache_borrow(c, b1, strlen(b1), &b);          /* miss, slot lent: not cached */
	assert_null(b.borrowed);
	assert_string_equal(a.stmts[0].objects[0].name, "app.t");
	assert_string_equal(b.stmts[0].objects[0].name, "app.u");
	sw_analysis_free(&b);
	sw_acache_borrow(c, b2, strlen(b2), &b);          /* still a miss */
	assert_null(b.borrowed);
	sw_analysis_free(&b);
	assert_string_equal(a.stmts[0].command, "SELECT");
	sw_analysis_free(&a);

	sw_acache_borrow(c, b1, strlen(b1), &b);          /* miss: now replaces */
	sw_analysis_free(&b);
	sw_acache_borrow(c, b2, strlen(b2), &b);          /* hit */
	assert_non_null(b.borrowed);
	assert_string_equal(b.stmts[0].objects[0].name, "app.u");
	sw_analysis_free(&b);
	sw_acache_stats(c, &hits, &misses);
	assert_int_equal(hits, 2);
	assert_int_equal(misses, 4);
	sw_acache_free(c);
}

/* Freeing the cache under a borrower is a bug the daemon must not run on: it aborts. */
static void test_free_while_lent_aborts(void **state)
{
	(void)state;
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sw_acache *c = sw_acache_new(4);
		struct sw_analysis a;
		const char *t1 = "SELECT v FROM app.t WHERE id = 1", *t2 = "SELECT v FROM app.t WHERE id = 2";
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		sw_acache_borrow(c, t1, strlen(t1), &a);
		sw_analysis_free(&a);
		sw_acache_borrow(c, t2, strlen(t2), &a);
		sw_acache_free(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_borrowed_records_match_copied),
		cmocka_unit_test(test_memo_records_match_slow_path),
		cmocka_unit_test(test_memo_follows_its_slot),
		cmocka_unit_test(test_free_gives_back_and_own_copies),
		cmocka_unit_test(test_miss_never_replaces_lent_slot),
		cmocka_unit_test(test_free_while_lent_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
