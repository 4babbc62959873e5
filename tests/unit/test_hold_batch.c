/* A session's holds decided as one batch (hold_batch.h): the session key, the batch digest
 * (order and every hold id and hash count), the digest prefix, and all-or-nothing decisions
 * that leave a refused batch exactly as it was. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "approval.h"
#include "hold_batch.h"

static const struct timespec t0 = { 100, 0 };
static const char *dba_groups[] = { "dba" };
static const struct sw_actor alice = { 1001, "alice", dba_groups, 1 };
static const struct sw_actor bob = { 1002, "bob", dba_groups, 1 };
static const struct sw_actor carol = { 1003, "carol", NULL, 0 };

static const char *sha_a = "9f2c41d0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *sha_b = "0123456789bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void init(struct sw_approval *a, unsigned required, const char *approver)
{
	struct sw_strv v = { 0 };
	if (approver)
		sw_strv_push(&v, approver);
	sw_approval_init(a, required, &v);
	sw_strv_free(&v);
}

static void test_session_key(void **s)
{
	(void)s;
	char k[SW_SESSION_KEY_MAX];
	sw_hold_batch_session_key(SW_ENGINE_POSTGRES, 4242, 17, k, sizeof(k));
	assert_string_equal(k, "4242");
	sw_hold_batch_session_key(SW_ENGINE_MYSQL, 900, 17, k, sizeof(k));
	assert_string_equal(k, "900:17");
	sw_hold_batch_session_key(SW_ENGINE_MYSQL, 900, -1, k, sizeof(k));
	assert_string_equal(k, "900:?");
	assert_true(sw_hold_batch_session_valid("4242"));
	assert_true(sw_hold_batch_session_valid("900:17"));
	assert_false(sw_hold_batch_session_valid("900:?"));   /* an unknown connection is never decided by key */
	assert_false(sw_hold_batch_session_valid(""));
	assert_false(sw_hold_batch_session_valid("0"));
	assert_false(sw_hold_batch_session_valid("-1"));
	assert_false(sw_hold_batch_session_valid("12 "));
	assert_false(sw_hold_batch_session_valid("12:"));
	assert_false(sw_hold_batch_session_valid("12:3:4"));
	assert_false(sw_hold_batch_session_valid("99999999999999999999"));
	assert_false(sw_hold_batch_session_valid(NULL));
}

static void test_digest_binds_ids_hashes_and_order(void **s)
{
	(void)s;
	struct sw_batch_item ab[] = { { "k7q2m3-1", sha_a }, { "k7q2m3-2", sha_b } };
	struct sw_batch_item ba[] = { { "k7q2m3-2", sha_b }, { "k7q2m3-1", sha_a } };
	struct sw_batch_item a_only[] = { { "k7q2m3-1", sha_a } };
	struct sw_batch_item other_id[] = { { "k7q2m3-3", sha_a }, { "k7q2m3-2", sha_b } };
	struct sw_batch_item other_sha[] = { { "k7q2m3-1", sha_b }, { "k7q2m3-2", sha_b } };
	char d1[65], d2[65], d3[65], d4[65], d5[65], again[65], none[65];

	sw_hold_batch_digest(ab, 2, d1);
	sw_hold_batch_digest(ab, 2, again);
	sw_hold_batch_digest(ba, 2, d2);
	sw_hold_batch_digest(a_only, 1, d3);
	sw_hold_batch_digest(other_id, 2, d4);
	sw_hold_batch_digest(other_sha, 2, d5);
	sw_hold_batch_digest(NULL, 0, none);
	assert_int_equal(strlen(d1), 64);
	assert_string_equal(d1, again);
	assert_string_not_equal(d1, d2);   /* order counts */
	assert_string_not_equal(d1, d3);   /* a hold more or less */
	assert_string_not_equal(d1, d4);   /* another hold with the same text */
	assert_string_not_equal(d1, d5);   /* another statement under the same id */
	/* The format is fixed (hold_batch.h): SHA-256 of "k7q2m3-1 <sha_a>\n"; no holds: of nothing. */
	assert_string_equal(d3, "133c4fb0223f55fe0fa3df625b2d7a62abda6606b0271eaf644d87e00aa8251f");
	assert_string_equal(none, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_digest_prefix(void **s)
{
	(void)s;
	char p[65];
	const char *digest = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

	assert_false(sw_hold_batch_parse_prefix("abcdef01", p));            /* 8: too short without an id */
	assert_false(sw_hold_batch_parse_prefix("abcdef0123456789x", p));   /* not hex */
	assert_false(sw_hold_batch_parse_prefix(NULL, p));
	assert_true(sw_hold_batch_parse_prefix("ABCDEF0123456789", p));
	assert_string_equal(p, "abcdef0123456789");
	assert_true(sw_hold_batch_digest_matches(p, digest));
	assert_true(sw_hold_batch_parse_prefix(digest, p));
	assert_true(sw_hold_batch_digest_matches(p, digest));
	assert_true(sw_hold_batch_parse_prefix("abcdef0123456780", p));
	assert_false(sw_hold_batch_digest_matches(p, digest));
}

static void test_approve_all(void **s)
{
	(void)s;
	struct sw_approval a, b;
	struct sw_approval *batch[] = { &a, &b };
	struct sw_batch_outcome out[2];
	size_t failed = 99;

	init(&a, 1, "group:dba");
	init(&b, 1, "alice");
	assert_true(sw_hold_batch_decide(batch, 2, &alice, true, "OPS-1", &t0, out, &failed));
	assert_int_equal(out[0].result, SW_APPROVAL_RELEASED);
	assert_int_equal(out[1].result, SW_APPROVAL_RELEASED);
	assert_string_equal(out[1].message, "approved by alice");
	assert_int_equal(a.state, SW_HOLD_APPROVED);
	assert_string_equal(b.entries[0].comment, "OPS-1");
	sw_approval_free(&a);
	sw_approval_free(&b);
}

/* bob may approve the first hold but not the second: nothing is approved, and the first is
 * exactly as before (no entry, pending), so a later single approval by bob still counts. */
static void test_barred_on_one_refuses_all(void **s)
{
	(void)s;
	struct sw_approval a, b, c;
	struct sw_approval *batch[] = { &a, &b, &c };
	struct sw_batch_outcome out[3];
	size_t failed = 99;
	char msg[512];

	init(&a, 1, "group:dba");
	init(&b, 2, "group:dba");   /* two-person: bob's approval would be recorded */
	init(&c, 1, "alice");
	assert_false(sw_hold_batch_decide(batch, 3, &bob, true, NULL, &t0, out, &failed));
	assert_int_equal(failed, 2);
	assert_int_equal(out[2].result, SW_APPROVAL_REFUSED);
	assert_non_null(strstr(out[2].message, "bob is not an approver"));
	assert_int_equal(a.state, SW_HOLD_PENDING);
	assert_int_equal(a.n_entries, 0);
	assert_null(a.decided_by);
	assert_int_equal(b.state, SW_HOLD_PENDING);
	assert_int_equal(b.n_entries, 0);
	assert_int_equal(sw_approval_decide(&a, &bob, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RELEASED);
	assert_int_equal(sw_approval_decide(&b, &bob, true, NULL, &t0, msg, sizeof(msg)), SW_APPROVAL_RECORDED);
	sw_approval_free(&a);
	sw_approval_free(&b);
	sw_approval_free(&c);
}

/* The requester may not approve their own statement: in a batch that refuses the whole batch. */
static void test_self_approval_refuses_all(void **s)
{
	(void)s;
	struct sw_approval a, b;
	struct sw_approval *batch[] = { &a, &b };
	struct sw_batch_outcome out[2];
	size_t failed = 99;

	init(&a, 1, "group:dba");
	init(&b, 1, "group:dba");
	sw_approval_set_requester(&b, alice.uid, alice.user, 4711);
	assert_false(sw_hold_batch_decide(batch, 2, &alice, true, NULL, &t0, out, &failed));
	assert_int_equal(failed, 1);
	assert_non_null(strstr(out[1].message, "owns the client process"));
	assert_int_equal(a.state, SW_HOLD_PENDING);
	assert_int_equal(a.n_entries, 0);
	sw_approval_free(&a);
	sw_approval_free(&b);
}

/* A second approval by the same person counts once: in a batch, a hold they already approved refuses it. */
static void test_already_approved_refuses_all(void **s)
{
	(void)s;
	struct sw_approval a, b;
	struct sw_approval *batch[] = { &a, &b };
	struct sw_batch_outcome out[2];
	size_t failed = 99;
	char msg[512];

	init(&a, 2, "group:dba");
	init(&b, 2, "group:dba");
	assert_int_equal(sw_approval_decide(&b, &alice, true, "first", &t0, msg, sizeof(msg)), SW_APPROVAL_RECORDED);
	assert_false(sw_hold_batch_decide(batch, 2, &alice, true, NULL, &t0, out, &failed));
	assert_int_equal(failed, 1);
	assert_non_null(strstr(out[1].message, "already approved"));
	assert_int_equal(a.n_entries, 0);
	assert_int_equal(b.n_entries, 1);            /* the earlier single approval stays */
	assert_string_equal(b.entries[0].comment, "first");
	assert_true(sw_hold_batch_decide(batch, 2, &bob, true, NULL, &t0, out, &failed));
	assert_int_equal(out[0].result, SW_APPROVAL_RECORDED);
	assert_int_equal(out[1].result, SW_APPROVAL_RELEASED);
	assert_string_equal(b.decided_by, "alice,bob");
	sw_approval_free(&a);
	sw_approval_free(&b);
}

static void test_deny_all_and_refused_deny(void **s)
{
	(void)s;
	struct sw_approval a, b;
	struct sw_approval *batch[] = { &a, &b };
	struct sw_batch_outcome out[2];
	size_t failed = 99;

	init(&a, 1, "group:dba");
	init(&b, 1, "alice");
	/* carol is no approver of either: she may not stop them, and neither is denied */
	assert_false(sw_hold_batch_decide(batch, 2, &carol, false, NULL, &t0, out, &failed));
	assert_int_equal(failed, 0);
	assert_int_equal(a.state, SW_HOLD_PENDING);
	/* bob may deny the first (an approver of its rule) but not the second: nothing is denied */
	assert_false(sw_hold_batch_decide(batch, 2, &bob, false, NULL, &t0, out, &failed));
	assert_int_equal(failed, 1);
	assert_int_equal(a.state, SW_HOLD_PENDING);
	assert_null(a.decided_by);
	assert_true(sw_hold_batch_decide(batch, 2, &alice, false, "no", &t0, out, &failed));
	assert_int_equal(out[0].result, SW_APPROVAL_DENIED);
	assert_int_equal(out[1].result, SW_APPROVAL_DENIED);
	assert_string_equal(a.decided_by, "alice");
	sw_approval_free(&a);
	sw_approval_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_key),
		cmocka_unit_test(test_digest_binds_ids_hashes_and_order),
		cmocka_unit_test(test_digest_prefix),
		cmocka_unit_test(test_approve_all),
		cmocka_unit_test(test_barred_on_one_refuses_all),
		cmocka_unit_test(test_self_approval_refuses_all),
		cmocka_unit_test(test_already_approved_refuses_all),
		cmocka_unit_test(test_deny_all_and_refused_deny),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
