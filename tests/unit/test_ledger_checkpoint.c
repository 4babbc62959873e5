/* Signed checkpoints: signing, checking, the key's ownership, and proving a chain against them. */
#include "unit.h"
#include <sys/stat.h>
#include <unistd.h>
#include "ledger_checkpoint.h"
#include "ledger_upkeep.h"
#include "util.h"
#include "verify_checkpoints.h"
#include "ledger_fixture.h"

static char priv[160], pub[160];

static void keys(void)
{
	char err[512];

	snprintf(priv, sizeof(priv), "%s/cp.key", tmpdir);
	snprintf(pub, sizeof(pub), "%s/cp.pub", tmpdir);
	if (sw_ed25519_keygen(priv, pub, err, sizeof(err)) != 0)
		fail_msg("keygen: %s", err);
}

static void fill(struct sw_checkpoint *c, uint64_t seq, char hexdigit)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->ledger_id, sizeof(c->ledger_id), "host:/var/lib/sqlward/ledger.jsonl");
	c->seq = seq;
	memset(c->head, hexdigit, 64);
	snprintf(c->time, sizeof(c->time), "2026-12-02T03:00:00.000Z");
}

static void test_sign_verify_roundtrip(void **state)
{
	struct sw_checkpoint c, back;
	EVP_PKEY *k, *p;
	char err[512];
	json_t *j;
	(void)state;

	keys();
	assert_non_null(k = sw_ed25519_read_key(priv, true, err, sizeof(err)));
	assert_non_null(p = sw_ed25519_read_key(pub, false, err, sizeof(err)));
	fill(&c, 42, 'a');
	assert_int_equal(sw_checkpoint_sign(k, &c, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.key_id), 16);
	assert_true(sw_checkpoint_valid(p, &c));
	j = sw_checkpoint_json(&c);
	assert_int_equal(sw_checkpoint_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(sw_checkpoint_valid(p, &back));
	/* Any signed field changed: the signature no longer holds. */
	back.seq = 41;
	assert_false(sw_checkpoint_valid(p, &back));
	back.seq = 42;
	back.head[0] = 'b';
	assert_false(sw_checkpoint_valid(p, &back));
	back.head[0] = 'a';
	back.time[3] = '7';
	assert_false(sw_checkpoint_valid(p, &back));
	back.time[3] = '6';
	back.signature[5] = back.signature[5] == 'A' ? 'B' : 'A';
	assert_false(sw_checkpoint_valid(p, &back));
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
}

static void test_malformed_json(void **state)
{
	struct sw_checkpoint c;
	char err[512];
	json_t *j = json_pack("{s:s, s:i}", "type", "sqlward_checkpoint", "seq", 3);
	(void)state;

	assert_int_equal(sw_checkpoint_from_json(j, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ledger_id"));
	json_decref(j);
	j = json_pack("{s:s}", "type", "other");
	assert_int_equal(sw_checkpoint_from_json(j, &c, err, sizeof(err)), -1);
	json_decref(j);
}

/* Only root may read the daemon's key: other modes are refused with the fix. */
static void test_key_mode(void **state)
{
	char err[800];
	EVP_PKEY *k;
	(void)state;

	keys();
	assert_int_equal(chmod(priv, 0644), 0);
	assert_null(sw_checkpoint_key_load(priv, err, sizeof(err)));
	assert_non_null(strstr(err, "chmod 0600"));
	assert_int_equal(chmod(priv, 0600), 0);
	k = sw_checkpoint_key_load(priv, err, sizeof(err));
	if (geteuid() == 0) {
		assert_non_null(k);
		EVP_PKEY_free(k);
	} else {
		assert_null(k); /* not owned by root */
		assert_non_null(strstr(err, "chown root"));
	}
}

static void test_parse_options(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(sw_upkeep_parse_size("256M", &v), 0);
	assert_int_equal(v, 256ull << 20);
	assert_int_equal(sw_upkeep_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(sw_upkeep_parse_size("12Q", &v), -1);
	assert_int_equal(sw_upkeep_parse_duration("90d", &v), 0);
	assert_int_equal(v, 90 * 86400);
	assert_int_equal(sw_upkeep_parse_duration("60s", &v), 0);
	assert_int_equal(v, 60);
	assert_int_equal(sw_upkeep_parse_duration("1w", &v), -1);
	assert_int_equal(sw_upkeep_parse_duration("-1", &v), -1);
}

/* Write the checkpoints for seqs to FILE, signed; one with a tampered signature when bad_sig_seq. */
static void write_checkpoints(const char *file, const uint64_t *seqs, size_t n, uint64_t bad_sig_seq)
{
	char err[512];
	EVP_PKEY *k = sw_ed25519_read_key(priv, true, err, sizeof(err));
	FILE *f = fopen(file, "w");

	assert_non_null(k);
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		struct sw_checkpoint c;
		json_t *j;
		char *s;

		fill(&c, seqs[i], (char)('0' + (seqs[i] % 10)));
		assert_int_equal(sw_checkpoint_sign(k, &c, err, sizeof(err)), 0);
		if (seqs[i] == bad_sig_seq)
			c.head[1] = c.head[1] == 'f' ? 'e' : 'f';
		j = sw_checkpoint_json(&c);
		s = json_dumps(j, JSON_COMPACT);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(j);
	}
	fclose(f);
	EVP_PKEY_free(k);
}

/* A chain of seqs 1..last whose record i has hash "i%10" repeated, except rewritten ones. */
static json_t *prove(const char *file, uint64_t first, uint64_t last, uint64_t rewrite_from, bool *ok)
{
	char err[512];
	struct sw_cp_proof *p = sw_cp_proof_load(file, pub, NULL, err, sizeof(err));
	json_t *r;

	if (!p)
		fail_msg("load: %s", err);
	for (uint64_t s = first; s <= last; s++) {
		char h[65];
		memset(h, s >= rewrite_from ? 'c' : (char)('0' + (s % 10)), 64);
		h[64] = '\0';
		sw_cp_proof_record(p, s, h);
	}
	r = sw_cp_proof_judge(p, first, last, NULL, ok);
	sw_cp_proof_free(p);
	return r;
}

static void test_prove(void **state)
{
	const uint64_t seqs[] = { 3, 7, 12 };
	char file[200];
	bool ok;
	json_t *r;
	(void)state;

	keys();
	snprintf(file, sizeof(file), "%s/checkpoints.jsonl", tmpdir);
	write_checkpoints(file, seqs, 3, 0);
	/* Clean: every checkpoint matches. */
	r = prove(file, 1, 15, UINT64_MAX, &ok);
	assert_true(ok);
	assert_int_equal(json_integer_value(json_object_get(r, "proved")), 3);
	json_decref(r);
	/* Truncated tail: the ledger ends before the last checkpoint. */
	r = prove(file, 1, 10, UINT64_MAX, &ok);
	assert_false(ok);
	{
		char *f = json_dumps(json_object_get(r, "failures"), 0);
		assert_non_null(strstr(f, "truncated"));
		free(f);
	}
	json_decref(r);
	/* Rewritten from record 5 on: checkpoints 7 and 12 fail. */
	r = prove(file, 1, 15, 5, &ok);
	assert_false(ok);
	assert_int_equal(json_array_size(json_object_get(r, "failures")), 2);
	json_decref(r);
	/* A checkpoint whose signature does not hold. */
	write_checkpoints(file, seqs, 3, 7);
	r = prove(file, 1, 15, UINT64_MAX, &ok);
	assert_false(ok);
	assert_int_equal(json_array_size(json_object_get(r, "failures")), 1);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_verify_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
