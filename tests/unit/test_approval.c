/* The approval state machine: who may decide, two-person rule, self-approval
 * (also through relays: the requester chain), races; approvers_distinct_from. */
#include "unit.h"
#include <stdio.h>
#include <string.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
