/* The approval state machine: who may decide, two-person rule, self-approval, races. */
#include "unit.h"
#include <string.h>
#include "approval.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_approvers_means_root_only),
		cmocka_unit_test(test_group_and_user_approvers),
		cmocka_unit_test(test_two_person_rule),
		cmocka_unit_test(test_requester_cannot_approve),
		cmocka_unit_test(test_races),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
