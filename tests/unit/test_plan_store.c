/*
 * Approved plans in the daemon: what a plan may authorise under the policy
 * (plan_authorise.c), policy `plans:` and rule `plan:`, and the store's runs
 * (plan_store.c): in order, one run per session, max_runs across restarts,
 * revocation, signatures.
 */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "plan.h"
#include "plan_digest.h"
#include "plan_authorise.h"
#include "plan_gate.h"
#include "plan_store.h"
#include "policy.h"
#include "sha256_hex.h"
#include "util.h"

static char tmpdir[] = "/tmp/sw-plan-store-XXXXXX";
static char keypriv[256], keypub[256], otherpriv[256], otherpub[256];

static struct sw_policy *policy(const char *extra_rules, const char *plans)
{
	char *y = sw_xasprintf("sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: allow\n%s\nrules:\n"
			       "  - { id: no-drop-column, match: { trait: destructive }, action: deny%s }\n"
			       "  - { id: ddl-hold, match: { class: ddl }, action: hold, approvers: [daemon, bin], "
			       "approvals_required: %s }\n%s",
			       plans ? plans : "", extra_rules && strstr(extra_rules, "PLANALLOW") ? ", plan: allow" : "",
			       extra_rules && strstr(extra_rules, "TWO") ? "2" : "1",
			       extra_rules && strstr(extra_rules, "NEVER")
				       ? "  - { id: never-truncate, match: { command: TRUNCATE }, action: hold, plan: never }\n"
				       : "");
	struct sw_policy *p = NULL;
	char err[1024];
	int rc = sw_policy_load_string(y, strlen(y), "plan-test.yaml", &p, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "policy: %s\n%s\n", err, y);
	assert_int_equal(rc, 0);
	free(y);
	return p;
}

static struct sw_plan *mkplan(const char *const *sql, size_t n, const char *author, unsigned max_runs)
{
	struct sw_plan *p = sw_xcalloc(1, sizeof(*p));
	char err[128];
	time_t now = time(NULL);

	p->engine = SW_ENGINE_POSTGRES;
	sw_strv_push(&p->roles, "agent_*");
	p->created = p->valid_from = now - 10;
	p->valid_until = now + 3600;
	p->max_runs = max_runs;
	p->title = sw_xstrdup("test migration");
	p->author = sw_xstrdup(author);
	p->intent = json_pack("{s:s}", "description", "add a column");
	p->steps = sw_xcalloc(n, sizeof(*p->steps));
	p->n_steps = n;
	for (size_t i = 0; i < n; i++) {
		struct sw_plan_step *s = &p->steps[i];
		s->n = (unsigned)i + 1;
		s->sql = sw_xstrdup(sql[i]);
		sw_plan_stmt_digest(SW_ENGINE_POSTGRES, sql[i], strlen(sql[i]), s->match, err, sizeof(err));
		sw_sha256_hex(sql[i], strlen(sql[i]), s->sha256);
		s->analysis = json_pack("{s:s, s:s}", "verdict", "hold", "rule", "ddl-hold");
	}
	sw_plan_seal(p);
	return p;
}

static void digests(const char *const *sql, size_t n, char (*out)[65])
{
	char err[128];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sw_plan_stmt_digest(SW_ENGINE_POSTGRES, sql[i], strlen(sql[i]), out[i], err, sizeof(err)), 0);
}

static int setup(void **s)
{
	char err[256];
	(void)s;
	assert_non_null(mkdtemp(tmpdir));
	snprintf(keypriv, sizeof(keypriv), "%s/daemon.key", tmpdir);
	snprintf(keypub, sizeof(keypub), "%s/daemon.pub", tmpdir);
	snprintf(otherpriv, sizeof(otherpriv), "%s/other.key", tmpdir);
	snprintf(otherpub, sizeof(otherpub), "%s/other.pub", tmpdir);
	assert_int_equal(sw_plan_keygen(keypriv, keypub, err, sizeof(err)), 0);
	assert_int_equal(sw_plan_keygen(otherpriv, otherpub, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	char *cmd = sw_xasprintf("rm -rf %s", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* ---- policy ---- */

static void test_policy_plan_keys(void **s)
{
	(void)s;
	struct sw_policy *p;
	char err[1024];
	const char *bad[] = {
		"sqlward_policy: 1\ndefault: allow\nrules:\n  - { id: a, match: { class: read }, action: allow, plan: allow }\n",
		"sqlward_policy: 1\ndefault: allow\nrules:\n  - { id: a, match: { class: ddl }, action: deny, plan: maybe }\n",
		"sqlward_policy: 1\ndefault: allow\nplans: { keys: { alice: /nonexistent/alice.pub } }\n",
		"sqlward_policy: 1\ndefault: allow\nplans: { keys: { alice: relative.pub } }\n",
		"sqlward_policy: 1\ndefault: allow\nplans: { approvals_required: 0 }\n",
		"sqlward_policy: 1\ndefault: allow\nplans: { who: [x] }\n",
	};
	const char *why[] = { "only applies to deny and hold", "plan: allow", "cannot read the public key",
			      "absolute path", "at least 1", "unknown" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		assert_int_equal(sw_policy_load_string(bad[i], strlen(bad[i]), "bad.yaml", &p, err, sizeof(err)), -1);
		if (!strstr(err, why[i]))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, why[i]);
	}
	p = policy("NEVER", NULL);
	assert_true(sw_rule_plan_may_authorise(sw_policy_rule(p, "ddl-hold"), SW_VERDICT_ALLOW));
	assert_false(sw_rule_plan_may_authorise(sw_policy_rule(p, "no-drop-column"), SW_VERDICT_ALLOW));
	assert_false(sw_rule_plan_may_authorise(sw_policy_rule(p, "never-truncate"), SW_VERDICT_ALLOW));
	assert_true(sw_rule_plan_may_authorise(NULL, SW_VERDICT_HOLD));
	assert_false(sw_rule_plan_may_authorise(NULL, SW_VERDICT_DENY));
	assert_int_equal(sw_policy_plans(p)->approvals_required, 1);
	sw_policy_free(p);
}

/* ---- authorisation ---- */

static void test_authorise_rules(void **s)
{
	(void)s;
	struct sw_policy *p = policy("NEVER", "plans: { approvers: [sys] }");
	struct sw_strv who = { 0 };
	char why[320];
	struct sw_judgement hold = { .verdict = SW_VERDICT_HOLD, .rule_id = "ddl-hold" };
	struct sw_judgement deny = { .verdict = SW_VERDICT_DENY, .rule_id = "no-drop-column" };
	struct sw_judgement never = { .verdict = SW_VERDICT_HOLD, .rule_id = "never-truncate" };
	struct sw_judgement freeze = { .verdict = SW_VERDICT_DENY, .rule_id = "freeze" };
	struct sw_judgement allow = { .verdict = SW_VERDICT_ALLOW, .rule_id = "default" };

	assert_true(sw_plan_authorises(p, &who, &allow, why, sizeof(why)));
	assert_false(sw_plan_authorises(p, &who, &hold, why, sizeof(why)));
	assert_non_null(strstr(why, "needs 1 approval"));
	sw_strv_push(&who, "sys");        /* a plans: approver, not the hold rule's */
	assert_false(sw_plan_authorises(p, &who, &hold, why, sizeof(why)));
	sw_strv_push(&who, "daemon");     /* the rule's approver */
	assert_true(sw_plan_authorises(p, &who, &hold, why, sizeof(why)));
	/* A deny rule without plan: allow, plan: never, the freeze: nothing authorises them. */
	assert_false(sw_plan_authorises(p, &who, &deny, why, sizeof(why)));
	assert_non_null(strstr(why, "plan: allow"));
	assert_false(sw_plan_authorises(p, &who, &never, why, sizeof(why)));
	assert_non_null(strstr(why, "plan: never"));
	assert_false(sw_plan_authorises(p, &who, &freeze, why, sizeof(why)));
	assert_non_null(strstr(why, "gate itself"));
	sw_policy_free(p);

	/* plan: allow on the deny rule: the plans: approvers decide. */
	p = policy("PLANALLOW TWO", "plans: { approvers: [sys] }");
	assert_true(sw_plan_authorises(p, &who, &deny, why, sizeof(why)));
	/* Two-person rule on the hold: daemon alone is not enough; daemon and bin are. */
	assert_false(sw_plan_authorises(p, &who, &hold, why, sizeof(why)));
	assert_non_null(strstr(why, "needs 2"));
	sw_strv_push(&who, "bin");
	assert_true(sw_plan_authorises(p, &who, &hold, why, sizeof(why)));
	/* Unknown OS users never count. */
	struct sw_strv ghost = { 0 };
	sw_strv_push(&ghost, "no-such-user-sqlward");
	assert_false(sw_plan_authorises(p, &ghost, &deny, why, sizeof(why)));
	sw_strv_free(&ghost);
	sw_strv_free(&who);
	sw_policy_free(p);
}

static void test_valid_approvers(void **s)
{
	(void)s;
	static const char *sql[] = { "ALTER TABLE t ADD COLUMN c int" };
	char *plans = sw_xasprintf("plans: { keys: { daemon: %s, bin: %s } }", keypub, otherpub);
	struct sw_policy *p = policy(NULL, plans);
	struct sw_plan *pl = mkplan(sql, 1, "bin", 1);
	struct sw_strv ok = { 0 }, bad = { 0 };
	char err[256];

	assert_int_equal(sw_plan_sign(pl, "daemon", keypriv, "reviewed", err, sizeof(err)), 0);
	/* bin wrote it: its own signature never counts. A signature made with another key does not verify. */
	assert_int_equal(sw_plan_sign(pl, "bin", otherpriv, NULL, err, sizeof(err)), 0);
	assert_int_equal(sw_plan_sign(pl, "sys", otherpriv, NULL, err, sizeof(err)), 0);
	sw_plan_valid_approvers(p, pl, "root", &ok, &bad);
	assert_int_equal(ok.n, 1);
	assert_string_equal(ok.v[0], "daemon");
	assert_int_equal(bad.n, 2);
	sw_strv_free(&ok);
	sw_strv_free(&bad);
	/* The submitter never counts either. */
	sw_plan_valid_approvers(p, pl, "daemon", &ok, NULL);
	assert_int_equal(ok.n, 0);
	sw_strv_free(&ok);
	/* A signature of another plan (same key) does not carry over. */
	struct sw_plan *other = mkplan((const char *[]){ "ALTER TABLE t ADD COLUMN d int" }, 1, "bin", 1);
	other->approvals = sw_xcalloc(1, sizeof(*other->approvals));
	other->approvals[0] = (struct sw_plan_approval){ .approver = sw_xstrdup("daemon"),
							 .signature = sw_xstrdup(pl->approvals[0].signature) };
	other->n_approvals = 1;
	sw_plan_valid_approvers(p, other, NULL, &ok, &bad);
	assert_int_equal(ok.n, 0);
	sw_strv_free(&ok);
	sw_strv_free(&bad);
	sw_plan_free(other);
	sw_plan_free(pl);
	sw_policy_free(p);
	free(plans);
}

/* ---- the store and its runs ---- */

static const char *mig[] = { "BEGIN", "ALTER TABLE accounts ADD COLUMN note text", "CREATE INDEX ON accounts (note)",
			     "COMMIT" };

static struct sw_plan_store *store_with(struct sw_policy *p, unsigned max_runs, struct sw_plan_entry **e,
					const char *sub)
{
	struct sw_plan_store *st;
	struct sw_strv notes = { 0 };
	char err[1024], *dir = sw_xasprintf("%s/%s", tmpdir, sub);
	struct sw_plan *pl = mkplan(mig, 4, "bin", max_runs);
	json_t *j;

	assert_int_equal(sw_plan_store_open(dir, &st, &notes, err, sizeof(err)), 0);
	j = sw_plan_to_json(pl);
	if (sw_plan_store_submit(st, p, j, "sys", e, err, sizeof(err)) < 0)
		fail_msg("submit: %s", err);
	json_decref(j);
	sw_plan_free(pl);
	sw_strv_free(&notes);
	free(dir);
	return st;
}

/* One statement of a session; it needs the plan's approvals unless it is BEGIN/COMMIT (policy allows those). */
static bool step(struct sw_plan_store *st, uint64_t session, const char *role, const char *sql, size_t *which)
{
	bool needs = strcmp(sql, "BEGIN") != 0 && strcmp(sql, "COMMIT") != 0;
	char d[1][65], err[256];
	struct sw_plan_match m;
	digests(&sql, 1, d);
	if (!sw_plan_store_match(st, SW_ENGINE_POSTGRES, session, role, "app", (const char (*)[65])d, 1, false,
				 time(NULL), &m))
		return false;
	assert_int_equal(sw_plan_store_advance(st, &m, SW_ENGINE_POSTGRES, session, false, needs, err, sizeof(err)), 0);
	*which = m.first + 1;
	return true;
}

static void test_runs_in_order(void **s)
{
	(void)s;
	struct sw_policy *p = policy(NULL, NULL);
	struct sw_plan_entry *e;
	struct sw_plan_store *st = store_with(p, 1, &e, "runs");
	size_t k;

	/* Out of scope: another role; not step 1: no run starts. */
	assert_false(step(st, 7, "analyst", mig[0], &k));
	assert_false(step(st, 7, "agent_x", mig[1], &k));
	assert_true(step(st, 7, "agent_x", mig[0], &k));
	assert_int_equal(k, 1);
	/* BEGIN needs no approval: another session may follow the plan too (nothing is used yet). */
	assert_true(step(st, 8, "agent_x", mig[0], &k));
	assert_int_equal(e->runs_started, 0);
	/* Off-plan in between (a read) is not a step; order is kept; a skipped step is off-plan. */
	assert_false(step(st, 7, "agent_x", "SELECT 1", &k));
	assert_false(step(st, 7, "agent_x", mig[2], &k));
	/* Layout and comments do not matter; the text does. The first step that needs the plan
	 * makes session 7's the run: it is counted, and session 8 can no longer take it. */
	assert_true(step(st, 7, "agent_x", "ALTER TABLE accounts\n  ADD COLUMN note text; -- why", &k));
	assert_int_equal(k, 2);
	assert_int_equal(e->runs_started, 1);
	assert_false(step(st, 8, "agent_x", mig[1], &k));
	assert_false(step(st, 8, "agent_x", mig[0], &k));
	assert_false(step(st, 7, "agent_x", "CREATE INDEX ON accounts (note, id)", &k));
	assert_true(step(st, 7, "agent_x", mig[2], &k));
	assert_true(step(st, 7, "agent_x", mig[3], &k));
	assert_int_equal(k, 4);
	assert_int_equal(e->runs_done, 1);
	/* A second run is off-plan (max_runs 1), in this session or another. */
	assert_false(step(st, 7, "agent_x", mig[0], &k));
	assert_false(step(st, 9, "agent_x", mig[0], &k));
	json_t *j = sw_plan_entry_json(e, p, true);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "used");
	json_decref(j);
	sw_plan_store_free(st);
	sw_policy_free(p);
}

static void test_runs_survive_restart_and_revoke(void **s)
{
	(void)s;
	struct sw_policy *p = policy(NULL, NULL);
	struct sw_plan_entry *e;
	struct sw_plan_store *st = store_with(p, 2, &e, "restart");
	struct sw_strv notes = { 0 };
	char err[1024], *dir = sw_xasprintf("%s/restart", tmpdir), id[64];
	size_t k;

	snprintf(id, sizeof(id), "%s", e->plan->id);
	assert_true(step(st, 1, "agent_x", mig[0], &k));
	/* A session that only followed the tentative part and ended used nothing. */
	assert_true(step(st, 9, "agent_x", mig[0], &k));
	assert_null(sw_plan_store_session_ended(st, SW_ENGINE_POSTGRES, 9));
	assert_int_equal(e->runs_started, 0);
	assert_true(step(st, 1, "agent_x", mig[1], &k));
	/* The session ends halfway: the run is used. */
	assert_ptr_equal(sw_plan_store_session_ended(st, SW_ENGINE_POSTGRES, 1), e);
	assert_false(step(st, 1, "agent_x", mig[2], &k));
	sw_plan_store_free(st);
	/* A restarted daemon knows one of two runs is used. */
	assert_int_equal(sw_plan_store_open(dir, &st, &notes, err, sizeof(err)), 0);
	assert_int_equal(notes.n, 0);
	e = sw_plan_store_find(st, id);
	assert_non_null(e);
	assert_int_equal(e->runs_started, 1);
	assert_true(step(st, 2, "agent_x", mig[0], &k));
	assert_true(step(st, 2, "agent_x", mig[1], &k));
	sw_plan_store_session_ended(st, SW_ENGINE_POSTGRES, 2);
	assert_false(step(st, 3, "agent_x", mig[0], &k));
	sw_plan_store_free(st);

	/* Revoked: nothing starts. Approving a revoked plan is refused. */
	st = store_with(p, 5, &e, "revoke");
	assert_int_equal(sw_plan_store_revoke(st, e->plan->id, "root", err, sizeof(err)), 0);
	assert_false(step(st, 1, "agent_x", mig[0], &k));
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, e->plan->digest, "daemon", NULL, err, sizeof(err)),
			 -1);
	sw_plan_store_free(st);
	sw_strv_free(&notes);
	free(dir);
	sw_policy_free(p);
}

static void test_control_approvals(void **s)
{
	(void)s;
	struct sw_policy *p = policy(NULL, NULL);
	struct sw_plan_entry *e;
	struct sw_plan_store *st = store_with(p, 1, &e, "approve");
	char err[1024];

	/* Self-approval (author bin, submitter sys), a wrong digest, twice the same person: refused. */
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, e->plan->digest, "bin", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no self-approval"));
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, e->plan->digest, "sys", NULL, err, sizeof(err)), -1);
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, "00000000", "daemon", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match"));
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, e->plan->digest, "daemon", "ok", err, sizeof(err)), 0);
	assert_int_equal(sw_plan_store_approve(st, p, e->plan->id, e->plan->digest, "daemon", "ok", err, sizeof(err)), -1);
	assert_int_equal(e->approvers.n, 1);
	/* The consult: a held DDL step becomes allow with rule "plan"; the record names the plan and step. */
	struct sw_analysis a = { 0 };
	struct sw_subject subj = { .role = "agent_x", .database = "app", .engine = SW_ENGINE_POSTGRES };
	struct sw_plan_verdict v;
	struct sw_judgement per[1], overall;
	sw_pg_analyze(mig[0], &a);
	per[0] = overall = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = "default" };
	json_t *ref = sw_plan_gate_consult(st, p, SW_ENGINE_POSTGRES, 5, &subj, &a, per, &overall, false, &v);
	assert_non_null(ref);
	assert_int_equal(json_integer_value(json_object_get(ref, "step")), 1);
	assert_int_equal(sw_plan_gate_ran(st, &v, SW_ENGINE_POSTGRES, 5, false, err, sizeof(err)), 0);
	json_decref(ref);
	sw_analysis_free(&a);
	sw_pg_analyze(mig[1], &a);
	per[0] = overall = (struct sw_judgement){ .verdict = SW_VERDICT_HOLD, .rule_id = "ddl-hold" };
	ref = sw_plan_gate_consult(st, p, SW_ENGINE_POSTGRES, 5, &subj, &a, per, &overall, false, &v);
	assert_non_null(ref);
	assert_true(v.authorised);
	assert_int_equal(overall.verdict, SW_VERDICT_ALLOW);
	assert_string_equal(overall.rule_id, "plan");
	assert_string_equal(json_string_value(json_object_get(ref, "policy_rule")), "ddl-hold");
	json_decref(ref);
	sw_analysis_free(&a);
	sw_plan_store_free(st);
	sw_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_plan_keys),
		cmocka_unit_test(test_authorise_rules),
		cmocka_unit_test(test_valid_approvers),
		cmocka_unit_test(test_runs_in_order),
		cmocka_unit_test(test_runs_survive_restart_and_revoke),
		cmocka_unit_test(test_control_approvals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
