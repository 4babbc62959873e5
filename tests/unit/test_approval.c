/* The approval state machine: who may decide, two-person rule, self-approval
 * (also through relays: the requester chain), races; approvers_distinct_from;
 * a hold under several rules (every rule's approvers, the largest count, the
 * shortest timeout); who may do what on the control socket (access.h); the
 * policy keys access:, notify.secret_file; when a freeze window ends. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "access.h"
#include "approval.h"
#include "policy.h"

static const struct timespec t0 = { 100, 0 };
static const char *dba_groups[] = { "staff", "dba" };
static const struct sw_actor root = { 0, "root", NULL, 0 };
static const struct sw_actor alice = { 1001, "alice", dba_groups, 2 };
static const struct sw_actor bob = { 1002, "bob", dba_groups, 2 };
static const struct sw_actor carol = { 1003, "carol", NULL, 0 };
static const struct sw_actor agent = { 1004, "agentsvc", NULL, 0 };

static void init(struct sw_approval *a, unsigned required, const char *const *approvers, size_t n)
{
	struct sw_strv v = { 0 };
	for (size_t i = 0; i < n; i++)
		sw_strv_push(&v, approvers[i]);
	sw_approval_init(a, required, &v);
	sw_strv_free(&v);
}

static void test_no_approvers_means_root_only(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	init(&a, 1, NULL, 0);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "only root"));
	assert_int_equal(a.state, SW_HOLD_PENDING);
	assert_int_equal(sw_approval_decide(&a, &root, true, "ok", &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_int_equal(a.state, SW_HOLD_APPROVED);
	assert_string_equal(a.decided_by, "root");
	sw_approval_free(&a);
}

static void test_group_and_user_approvers(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	const char *ap[] = { "group:dba", "carol" };
	init(&a, 1, ap, 2);
	assert_int_equal(sw_approval_decide(&a, &agent, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "not an approver"));
	assert_non_null(strstr(msg, "group:dba"));
	/* root is not implicitly an approver once the rule names approvers. */
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_int_equal(sw_approval_decide(&a, &carol, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);

	init(&a, 1, ap, 2);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);
}

static void test_two_person_rule(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	const char *ap[] = { "group:dba" };
	init(&a, 2, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &alice, true, "first", &t0, msg, sizeof(msg)), SW_APPROVAL_RECORDED);
	assert_non_null(strstr(msg, "1 more distinct approver"));
	/* The same person twice does not count twice. */
	assert_int_equal(sw_approval_decide(&a, &alice, true, "again", &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "already approved"));
	assert_int_equal(a.state, SW_HOLD_PENDING);
	assert_int_equal(sw_approval_decide(&a, &bob, true, "second", &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_int_equal(a.state, SW_HOLD_APPROVED);
	assert_string_equal(a.decided_by, "alice,bob");
	assert_int_equal(a.n_entries, 2);
	assert_string_equal(a.entries[0].comment, "first");
	sw_approval_free(&a);
}

static void test_requester_cannot_approve(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	const char *ap[] = { "group:dba" };
	init(&a, 1, ap, 1);
	sw_approval_set_requester(&a, alice.uid, "alice", 4242);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "owns the client process"));
	assert_non_null(strstr(msg, "4242"));
	/* ... but may deny (withdraw) it as an approver. */
	assert_int_equal(sw_approval_decide(&a, &alice, false, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	sw_approval_free(&a);

	/* Root requesting its own statement cannot approve it either. */
	init(&a, 1, NULL, 0);
	sw_approval_set_requester(&a, 0, "root", 7);
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	sw_approval_free(&a);
}

static void test_races(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	const char *ap[] = { "group:dba" };

	/* Timeout first, approval a moment later: the approval is refused. */
	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_timeout(&a), SW_APPROVAL_TIMED_OUT);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_ALREADY_DECIDED);
	assert_non_null(strstr(msg, "timed out"));
	assert_int_equal(a.state, SW_HOLD_TIMED_OUT);
	sw_approval_free(&a);

	/* Approval first, timeout at the same instant: the timeout is a no-op. */
	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_int_equal(sw_approval_timeout(&a), SW_APPROVAL_ALREADY_DECIDED);
	assert_int_equal(a.state, SW_HOLD_APPROVED);
	sw_approval_free(&a);

	/* Approve of an already denied request. */
	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &bob, false, "no", &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_ALREADY_DECIDED);
	assert_non_null(strstr(msg, "denied"));
	sw_approval_free(&a);

	/* Two approvers at once on a one-approval rule: the first releases, the second is told. */
	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_int_equal(sw_approval_decide(&a, &bob, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_ALREADY_DECIDED);
	assert_string_equal(a.decided_by, "alice");
	sw_approval_free(&a);

	/* A deny from someone not allowed does not decide anything. */
	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &carol, false, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_int_equal(a.state, SW_HOLD_PENDING);
	sw_approval_free(&a);
}

/* ---- the requester chain ---- */

static const struct sw_actor fwd = { 2000, "fwd", dba_groups, 2 };
static const struct sw_actor client = { 3000, "client", dba_groups, 2 };

static struct sw_chain_node proc_node(int pid, uid_t uid, const char *user, const char *exe, int depth, int via,
				      bool origin)
{
	struct sw_chain_node n = { .kind = SW_CHAIN_PROCESS, .pid = pid, .uid = uid, .depth = depth, .via = via,
				   .origin = origin };
	snprintf(n.user, sizeof(n.user), "%s", user);
	snprintf(n.exe, sizeof(n.exe), "%s", exe);
	return n;
}

/* psql (client) -> python3 relay (fwd) -> backend 99; a second client through the same relay when two. */
static void relay_chain(struct sw_client_chain *c, bool two_clients)
{
	memset(c, 0, sizeof(*c));
	c->backend_pid = 99;
	c->nodes[c->n_nodes++] = proc_node(77, 2000, "fwd", "python3", 0, -1, false);
	c->nodes[c->n_nodes++] = proc_node(4242, 3000, "client", "psql", 1, 0, true);
	c->n_origins = 1;
	if (two_clients) {
		c->nodes[c->n_nodes++] = proc_node(4250, 1001, "alice", "psql", 1, 0, true);
		c->n_origins = 2;
		snprintf(c->why, sizeof(c->why), "2 client processes reach the backend through a relay or pooler, "
			 "so which of them sent this statement is not known");
	}
	c->established = !two_clients;
}

/* A hold of the relay chain for the given approvers and rule mode. */
static void chain_hold(struct sw_approval *a, bool two_clients, enum sw_distinct_from mode, const char *const *ap,
		       size_t n)
{
	struct sw_client_chain c;

	relay_chain(&c, two_clients);
	init(a, 1, ap, n);
	sw_approval_set_chain(a, &c, mode);
}

static void test_chain_origin_known(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[2048];
	const char *ap[] = { "group:dba" };

	chain_hold(&a, false, SW_DISTINCT_FROM_REQUESTER, ap, 1);
	assert_true(a.requester_known);
	assert_string_equal(a.requester, "client");
	assert_int_equal(a.requester_pid, 4242);
	/* The origin's user is refused; the message names the process and the chain. */
	assert_int_equal(sw_approval_decide(&a, &client, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "client cannot approve"));
	assert_non_null(strstr(msg, "owns the client process that sent it, psql (pid 4242, user client)"));
	assert_non_null(strstr(msg, "psql (pid 4242, user client) -> python3 (pid 77, user fwd) -> backend pid 99"));
	assert_int_equal(a.state, SW_HOLD_PENDING);
	/* The relay's user is not the requester: with the default rule they may approve. */
	assert_null(sw_approval_barred(&a, &fwd));
	assert_int_equal(sw_approval_decide(&a, &fwd, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);
}

static void test_chain_distinct_from_chain(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[2048];
	const char *ap[] = { "group:dba" };

	chain_hold(&a, false, SW_DISTINCT_FROM_CHAIN, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &fwd, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "fwd cannot approve"));
	assert_non_null(strstr(msg, "approvers_distinct_from: chain"));
	assert_non_null(strstr(msg, "python3 (pid 77, user fwd)"));
	assert_int_equal(sw_approval_decide(&a, &client, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "owns the client process"));
	/* Someone outside the chain approves; a barred user may still deny. */
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);

	chain_hold(&a, false, SW_DISTINCT_FROM_CHAIN, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &fwd, false, "no", &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	sw_approval_free(&a);
}

static void test_chain_origin_unknown(void **s)
{
	(void)s;
	struct sw_approval a;
	struct sw_client_chain c;
	char msg[2048];
	const char *ap[] = { "group:dba", "fwd", "client" };

	/* Two clients behind one relay: any of them could have sent it. */
	chain_hold(&a, true, SW_DISTINCT_FROM_REQUESTER, ap, 3);
	assert_false(a.requester_known);
	assert_int_equal(sw_approval_decide(&a, &fwd, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "could not be established (2 client processes"));
	assert_non_null(strstr(msg, "fwd runs python3 (pid 77, user fwd)"));
	assert_int_equal(sw_approval_decide(&a, &client, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "alice runs psql (pid 4250, user alice)"));
	/* bob is in group dba and nowhere in the chain. */
	assert_int_equal(sw_approval_decide(&a, &bob, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);

	/* A uid match counts even under another name (a renamed account). */
	chain_hold(&a, true, SW_DISTINCT_FROM_REQUESTER, NULL, 0);
	{
		const struct sw_actor renamed = { 2000, "fwd-renamed", NULL, 0 };
		assert_non_null(sw_approval_barred(&a, &renamed));
	}
	assert_null(sw_approval_barred(&a, &root));
	sw_approval_free(&a);

	/* A client that is not on this host: nobody here to refuse. */
	memset(&c, 0, sizeof(c));
	c.backend_pid = 99;
	c.nodes[0].kind = SW_CHAIN_REMOTE;
	c.nodes[0].via = -1;
	snprintf(c.nodes[0].addr, sizeof(c.nodes[0].addr), "10.0.0.5:51234");
	c.n_nodes = 1;
	snprintf(c.why, sizeof(c.why), "the client connects from 10.0.0.5:51234, not from this host");
	init(&a, 1, NULL, 0);
	sw_approval_set_chain(&a, &c, SW_DISTINCT_FROM_CHAIN);
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);
}

static void test_requester_json(void **s)
{
	(void)s;
	struct sw_approval a;
	struct sw_client_chain c;
	json_t *j, *users;

	init(&a, 1, NULL, 0);
	j = sw_approval_requester_json(&a);
	assert_true(json_is_null(j));   /* before the daemon sets the chain */
	json_decref(j);

	relay_chain(&c, false);
	sw_approval_set_chain(&a, &c, SW_DISTINCT_FROM_REQUESTER);
	j = sw_approval_requester_json(&a);
	assert_true(json_is_true(json_object_get(j, "established")));
	assert_string_equal(json_string_value(json_object_get(j, "approvers_distinct_from")), "requester");
	users = json_object_get(j, "may_not_approve");
	assert_int_equal(json_array_size(users), 1);
	assert_string_equal(json_string_value(json_array_get(users, 0)), "client");
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 2);
	json_decref(j);

	sw_approval_set_chain(&a, &c, SW_DISTINCT_FROM_CHAIN);
	j = sw_approval_requester_json(&a);
	users = json_object_get(j, "may_not_approve");
	assert_int_equal(json_array_size(users), 2);
	assert_string_equal(json_string_value(json_array_get(users, 0)), "fwd");
	assert_string_equal(json_string_value(json_array_get(users, 1)), "client");
	json_decref(j);

	relay_chain(&c, true);
	sw_approval_set_chain(&a, &c, SW_DISTINCT_FROM_REQUESTER);
	j = sw_approval_requester_json(&a);
	assert_false(json_is_true(json_object_get(j, "established")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "why")), "2 client processes"));
	assert_int_equal(json_array_size(json_object_get(j, "may_not_approve")), 3);
	json_decref(j);
	sw_approval_free(&a);
}

/* ---- the rule key ---- */

static int load(const char *rule_extra, struct sw_policy **p, char *err, size_t len)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "sqlward_policy: 1\n"
		 "govern: { roles: [\"agent_*\"] }\n"
		 "default: deny\n"
		 "rules:\n"
		 "  - id: r\n"
		 "    match: { class: write }\n"
		 "%s", rule_extra);
	return sw_policy_load_string(yaml, strlen(yaml), "test.yaml", p, err, len);
}

static void test_policy_key(void **s)
{
	(void)s;
	struct sw_policy *p;
	char err[512];

	assert_int_equal(load("    action: hold\n", &p, err, sizeof(err)), 0);
	assert_int_equal(sw_policy_rule(p, "r")->approvers_distinct_from, SW_DISTINCT_FROM_REQUESTER);
	sw_policy_free(p);
	assert_int_equal(load("    action: hold\n    approvers_distinct_from: chain\n", &p, err, sizeof(err)), 0);
	assert_int_equal(sw_policy_rule(p, "r")->approvers_distinct_from, SW_DISTINCT_FROM_CHAIN);
	assert_string_equal(sw_distinct_from_name(SW_DISTINCT_FROM_CHAIN), "chain");
	sw_policy_free(p);
	assert_int_equal(load("    action: hold\n    approvers_distinct_from: requester\n", &p, err, sizeof(err)), 0);
	assert_int_equal(sw_policy_rule(p, "r")->approvers_distinct_from, SW_DISTINCT_FROM_REQUESTER);
	sw_policy_free(p);

	assert_int_equal(load("    action: hold\n    approvers_distinct_from: everyone\n", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.yaml:8:"));
	assert_non_null(strstr(err, "unknown approvers_distinct_from \"everyone\"; use requester"));
	assert_int_equal(load("    action: deny\n    approvers_distinct_from: chain\n", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "`approvers_distinct_from` only applies to hold rules"));
	assert_int_equal(load("    action: hold\n    approvers_distinct_from: [chain]\n", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "approvers_distinct_from"));
}

/* ---- a hold under several rules ---- */

static struct sw_rule rule(const char *id, unsigned required, unsigned timeout_s, const char *const *approvers,
			   size_t n)
{
	struct sw_rule r = { .id = (char *)id, .action = SW_VERDICT_HOLD, .approvals_required = required,
			     .timeout_s = timeout_s };
	for (size_t i = 0; i < n; i++)
		sw_strv_push(&r.approvers, approvers[i]);
	return r;
}

static const char *ops_groups[] = { "ops" };
static const struct sw_actor dave = { 1005, "dave", ops_groups, 1 };     /* ops only */
static const char *both_groups[] = { "ops", "dba" };
static const struct sw_actor erin = { 1006, "erin", both_groups, 2 };    /* ops and dba */
static const struct sw_actor frank = { 1007, "frank", both_groups, 2 };

static void test_multi_rule_strictest(void **s)
{
	(void)s;
	const char *ops[] = { "group:ops" }, *dba[] = { "group:dba" };
	struct sw_rule writes = rule("hold-writes", 1, 900, ops, 1), ddl = rule("hold-ddl", 2, 120, dba, 1);
	struct sw_approval a;
	char msg[1024];
	json_t *j;

	sw_approval_init(&a, 0, NULL);
	assert_int_equal(a.n_rules, 0);
	sw_approval_add_rule(&a, &writes);
	sw_approval_add_rule(&a, &ddl);
	sw_approval_add_rule(&a, &writes);   /* the same rule twice in a string counts once */
	assert_int_equal(a.n_rules, 2);
	assert_int_equal(a.required, 2);     /* the largest approvals_required */
	assert_int_equal(a.timeout_s, 120);  /* the shortest timeout */

	/* dave may approve the UPDATE's rule but not the ALTER's: refused, naming the rule. */
	assert_int_equal(sw_approval_decide(&a, &dave, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "dave is not an approver of rule hold-ddl (approvers: group:dba)"));
	assert_non_null(strstr(msg, "held by 2 rules (hold-writes, hold-ddl)"));
	/* alice (dba, not ops) is refused by the other rule. */
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "alice is not an approver of rule hold-writes (approvers: group:ops)"));
	/* Two people in both groups: the first is recorded, the second releases. */
	assert_int_equal(sw_approval_decide(&a, &erin, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RECORDED);
	assert_non_null(strstr(msg, "1 more distinct approver is needed"));
	j = sw_approval_json(&a);
	assert_int_equal(json_integer_value(json_object_get(j, "required")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "remaining")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "rules")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "rules"), 1), "rule")),
			    "hold-ddl");
	json_decref(j);
	assert_int_equal(sw_approval_decide(&a, &frank, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_string_equal(a.decided_by, "erin,frank");
	sw_approval_free(&a);

	/* Denying: an approver of either rule may stop it; someone of neither may not. */
	sw_approval_init(&a, 0, NULL);
	sw_approval_add_rule(&a, &writes);
	sw_approval_add_rule(&a, &ddl);
	assert_int_equal(sw_approval_decide(&a, &carol, false, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "carol may not deny this hold"));
	assert_non_null(strstr(msg, "hold-writes: group:ops; hold-ddl: group:dba"));
	assert_int_equal(sw_approval_decide(&a, &dave, false, "no", &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	sw_approval_free(&a);
	sw_strv_free(&writes.approvers);
	sw_strv_free(&ddl.approvers);
}

static void test_multi_rule_root_only_and_default(void **s)
{
	(void)s;
	const char *ops[] = { "group:ops" };
	struct sw_rule writes = rule("hold-writes", 1, 900, ops, 1), rootonly = rule("hold-root", 1, 600, NULL, 0);
	struct sw_approval a;
	char msg[1024];

	/* A rule without approvers is root's: nobody else can satisfy it. */
	sw_approval_init(&a, 0, NULL);
	sw_approval_add_rule(&a, &writes);
	sw_approval_add_rule(&a, &rootonly);
	assert_int_equal(sw_approval_decide(&a, &dave, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "dave may not approve under rule hold-root: it names no approvers, so only root"));
	/* ... and root is not an approver of hold-writes. */
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "root is not an approver of rule hold-writes"));
	/* Root may always stop a statement. */
	assert_int_equal(sw_approval_decide(&a, &root, false, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	sw_approval_free(&a);

	/* The policy's `default: hold` (no rule): root only, default timeout. */
	sw_approval_init(&a, 0, NULL);
	sw_approval_add_rule(&a, NULL);
	assert_string_equal(a.rules[0].id, "default");
	assert_int_equal(a.timeout_s, SW_HOLD_TIMEOUT_DEFAULT_S);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	sw_approval_free(&a);

	/* Nothing added at all: like a rule without approvers (fail closed). */
	sw_approval_init(&a, 0, NULL);
	assert_int_equal(sw_approval_decide(&a, &alice, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_non_null(strstr(msg, "only root"));
	sw_approval_free(&a);
	sw_strv_free(&writes.approvers);
}

/* Root denies under a rule whose approvers do not include root (it may not approve). */
static void test_root_may_always_deny(void **s)
{
	(void)s;
	struct sw_approval a;
	char msg[512];
	const char *ap[] = { "group:dba" };

	init(&a, 1, ap, 1);
	assert_int_equal(sw_approval_decide(&a, &root, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_REFUSED);
	assert_int_equal(sw_approval_decide(&a, &root, false, "incident", &t0, msg, sizeof(msg)), SW_APPROVAL_DENIED);
	assert_string_equal(a.decided_by, "root");
	sw_approval_free(&a);
}

static const char multi_policy[] =
	"sqlward_policy: 1\n"
	"govern: { roles: [\"agent_*\"] }\n"
	"default: deny\n"
	"rules:\n"
	"  - id: hold-ddl\n"
	"    match: { class: ddl }\n"
	"    action: hold\n"
	"    timeout: 2m\n"
	"    approvers: [\"group:dba\"]\n"
	"    approvals_required: 2\n"
	"  - id: hold-writes\n"
	"    match: { class: write }\n"
	"    action: hold\n"
	"    approvers: [\"group:ops\"]\n";

/* What the daemon does when it holds a string: every held part's rule. */
static void test_add_judged(void **s)
{
	(void)s;
	struct sw_policy *p;
	struct sw_approval a;
	char err[512];
	struct sw_judgement per[3] = {
		{ .verdict = SW_VERDICT_HOLD, .rule_id = "hold-writes" },
		{ .verdict = SW_VERDICT_ALLOW, .rule_id = "allow-read" },
		{ .verdict = SW_VERDICT_HOLD, .rule_id = "hold-ddl" },
	};

	assert_int_equal(sw_policy_load_string(multi_policy, strlen(multi_policy), "m.yaml", &p, err, sizeof(err)), 0);
	sw_approval_init(&a, 0, NULL);
	sw_approval_add_judged(&a, p, per, 3, &per[0]);
	assert_int_equal(a.n_rules, 2);
	assert_string_equal(a.rules[0].id, "hold-writes");
	assert_string_equal(a.rules[1].id, "hold-ddl");
	assert_int_equal(a.required, 2);
	assert_int_equal(a.timeout_s, 120);
	sw_approval_free(&a);

	/* No part judged hold (a Bind judged as a whole): the overall rule. */
	sw_approval_init(&a, 0, NULL);
	sw_approval_add_judged(&a, p, NULL, 0, &per[2]);
	assert_int_equal(a.n_rules, 1);
	assert_string_equal(a.rules[0].id, "hold-ddl");
	sw_approval_free(&a);
	sw_policy_free(p);
}

/* ---- who may do what on the control socket ---- */

static const char access_policy[] =
	"sqlward_policy: 1\n"
	"default: deny\n"
	"access:\n"
	"  queue_readers: [quinn, \"group:audit\"]\n"
	"  ledger_readers: [lena]\n"
	"freeze: { operators: [\"group:sre\"] }\n"
	"rules:\n"
	"  - id: hold-writes\n"
	"    match: { class: write }\n"
	"    action: hold\n"
	"    approvers: [\"group:dba\"]\n";

static void test_access_powers(void **s)
{
	(void)s;
	static const char *audit[] = { "audit" }, *sre[] = { "sre" };
	const struct sw_actor quinn = { 2001, "quinn", NULL, 0 }, auditor = { 2002, "ann", audit, 1 },
			      oscar = { 2003, "oscar", sre, 1 }, lena = { 2004, "lena", NULL, 0 };
	struct sw_policy *p;
	struct sw_approval a;
	char err[512], why[512];
	const char *dba[] = { "group:dba" };

	assert_int_equal(sw_policy_load_string(access_policy, strlen(access_policy), "a.yaml", &p, err, sizeof(err)), 0);
	assert_int_equal(sw_policy_queue_readers(p)->n, 2);
	assert_string_equal(sw_policy_ledger_readers(p)->v[0], "lena");

	/* The queue: root, queue readers (by name and by group); nobody else in full. */
	assert_true(sw_access_may(p, SW_POWER_READ_QUEUE, &root, why, sizeof(why)));
	assert_true(sw_access_may(p, SW_POWER_READ_QUEUE, &quinn, why, sizeof(why)));
	assert_true(sw_access_may(p, SW_POWER_READ_QUEUE, &auditor, why, sizeof(why)));
	assert_false(sw_access_may(p, SW_POWER_READ_QUEUE, &alice, why, sizeof(why)));
	assert_non_null(strstr(why, "alice may not read the queue of held statements"));
	assert_non_null(strstr(why, "reaching the control socket is not permission"));
	assert_false(sw_access_may(p, SW_POWER_READ_QUEUE, &oscar, why, sizeof(why)));
	assert_false(sw_access_may(p, SW_POWER_READ_QUEUE, &lena, why, sizeof(why)));

	/* The freeze: operators switch it; operators and readers see it. */
	assert_true(sw_access_may(p, SW_POWER_SWITCH_FREEZE, &oscar, why, sizeof(why)));
	assert_false(sw_access_may(p, SW_POWER_SWITCH_FREEZE, &quinn, why, sizeof(why)));
	assert_non_null(strstr(why, "quinn may not switch the freeze"));
	assert_false(sw_access_may(p, SW_POWER_SWITCH_FREEZE, &alice, why, sizeof(why)));
	assert_true(sw_access_may(p, SW_POWER_READ_FREEZE, &quinn, why, sizeof(why)));
	assert_true(sw_access_may(p, SW_POWER_READ_FREEZE, &oscar, why, sizeof(why)));
	assert_false(sw_access_may(p, SW_POWER_READ_FREEZE, &lena, why, sizeof(why)));

	/* An approver sees the holds they may decide, and no other. */
	assert_true(sw_access_is_approver(p, &alice));
	assert_false(sw_access_is_approver(p, &quinn));
	init(&a, 1, dba, 1);
	assert_true(sw_access_may_see_hold(p, &a, &alice));
	assert_true(sw_access_may_see_hold(p, &a, &quinn));
	assert_true(sw_access_may_see_hold(p, &a, &root));
	assert_false(sw_access_may_see_hold(p, &a, &oscar));
	assert_false(sw_access_may_see_hold(p, &a, &lena));
	/* A queue reader is not an approver. */
	assert_int_equal(sw_approval_decide(&a, &quinn, true, NULL, &t0, why, sizeof(why)), SW_APPROVAL_REFUSED);
	assert_int_equal(sw_approval_decide(&a, &quinn, false, NULL, &t0, why, sizeof(why)), SW_APPROVAL_REFUSED);
	sw_approval_free(&a);
	sw_policy_free(p);

	{
		static const char bad_name[] = "sqlward_policy: 1\ndefault: deny\naccess: { queue_readers: [\"a b\"] }\n";
		static const char bad_key[] = "sqlward_policy: 1\ndefault: deny\naccess: { readers: [x] }\n";
		assert_int_equal(sw_policy_load_string(bad_name, strlen(bad_name), "b.yaml", &p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "bad queue reader \"a b\""));
		assert_int_equal(sw_policy_load_string(bad_key, strlen(bad_key), "c.yaml", &p, err, sizeof(err)), -1);
	}
	assert_non_null(strstr(err, "unknown access key \"readers\"; valid keys are queue_readers, ledger_readers"));
}

/* notify.secret_file: read at load; a file others can read is refused. */
static void test_secret_file(void **s)
{
	(void)s;
	char dir[] = "/tmp/sqlward-unit-XXXXXX", path[64], extra[256], err[512];
	struct sw_policy *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hook.secret", dir);
	f = fopen(path, "w");
	fputs("s3cret-key\n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(extra, sizeof(extra), "    action: hold\n    notify: { webhook: \"http://127.0.0.1:9/h\", "
		 "secret_file: \"%s\" }\n", path);
	assert_int_equal(load(extra, &p, err, sizeof(err)), 0);
	assert_string_equal(sw_policy_rule(p, "r")->webhook_secret, "s3cret-key");   /* trailing newline cut */
	assert_string_equal(sw_policy_rule(p, "r")->webhook_secret_file, path);
	sw_policy_free(p);

	chmod(path, 0644);
	assert_int_equal(load(extra, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is readable by every user (mode 0644)"));
	assert_non_null(strstr(err, "chmod o-rw"));

	chmod(path, 0600);
	snprintf(extra, sizeof(extra), "    action: hold\n    notify: { webhook: \"http://x/h\", secret_file: rel.key }\n");
	assert_int_equal(load(extra, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not an absolute path"));
	snprintf(extra, sizeof(extra), "    action: hold\n    notify: { webhook: \"http://x/h\", secret_file: "
		 "\"%s/none\" }\n", dir);
	assert_int_equal(load(extra, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open secret_file"));
	unlink(path);
	rmdir(dir);
}

/* `freeze off` inside a window says until when: contiguous windows count as one. */
static void test_freeze_window_until(void **s)
{
	(void)s;
	static const char yaml[] =
		"sqlward_policy: 1\n"
		"default: deny\n"
		"freeze:\n"
		"  windows:\n"
		"    - { days: [sat], from: \"00:00\", to: \"24:00\", reason: weekend }\n"
		"    - { days: [sun], from: \"00:00\", to: \"06:00\" }\n"
		"    - { days: [wed], from: \"22:00\", to: \"02:00\", reason: nightly }\n"
		"    - { start: \"2026-12-24T00:00:00Z\", end: \"2026-12-27T00:00:00Z\", reason: holiday }\n";
	struct sw_policy *p;
	char err[512];

	assert_int_equal(sw_policy_load_string(yaml, strlen(yaml), "w.yaml", &p, err, sizeof(err)), 0);
	/* Saturday 2026-11-28 10:00 UTC: until Sunday 06:00. */
	assert_string_equal(sw_policy_freeze_window(p, 1795860000), "weekend");
	assert_int_equal(sw_policy_freeze_window_until(p, 1795860000), 1795932000);
	/* Thursday 2026-11-26 01:00, the morning part of Wednesday's wrapping window: until 02:00. */
	assert_string_equal(sw_policy_freeze_window(p, 1795654800), "nightly");
	assert_int_equal(sw_policy_freeze_window_until(p, 1795654800), 1795658400);
	/* The holiday (a Thursday to Sunday): runs on into Saturday's and Sunday's windows. */
	assert_int_equal(sw_policy_freeze_window_until(p, 1798070400), 1798351200);
	/* Monday noon: no window. */
	assert_null(sw_policy_freeze_window(p, 1796040000));
	assert_int_equal(sw_policy_freeze_window_until(p, 1796040000), 0);
	sw_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_approvers_means_root_only),
		cmocka_unit_test(test_group_and_user_approvers),
		cmocka_unit_test(test_two_person_rule),
		cmocka_unit_test(test_requester_cannot_approve),
		cmocka_unit_test(test_races),
		cmocka_unit_test(test_chain_origin_known),
		cmocka_unit_test(test_chain_distinct_from_chain),
		cmocka_unit_test(test_chain_origin_unknown),
		cmocka_unit_test(test_requester_json),
		cmocka_unit_test(test_policy_key),
		cmocka_unit_test(test_multi_rule_strictest),
		cmocka_unit_test(test_multi_rule_root_only_and_default),
		cmocka_unit_test(test_root_may_always_deny),
		cmocka_unit_test(test_add_judged),
		cmocka_unit_test(test_access_powers),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_freeze_window_until),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
