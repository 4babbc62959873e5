/*
 * The SHA-256 helpers (sha256_hex.c): published test vectors, the same
 * digests as libcrypto's one-shot EVP_Digest (what the helpers used before
 * they reused contexts) for every length around the block boundaries, any
 * split into parts, reuse of a thread's contexts across calls of both
 * helpers, and threads hashing at the same time with their own contexts.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "unit.h"
#include "sha256_hex.h"

/* The reference: libcrypto's one-shot digest, hex ("" if it failed). No cmocka assert: threads call it. */
static void reference(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Bytes that differ from position to position (so a misplaced part changes the digest). */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131u + seed * 7u + (i >> 8));
}

static void test_known_vectors(void **state)
{
	/* FIPS 180-2 appendix B and the empty message. */
	static const struct {
		const char *msg, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char out[65];
	char *million;
	(void)state;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sw_sha256_hex(v[i].msg, strlen(v[i].msg), out);
		assert_string_equal(out, v[i].hex);
	}
	/* NULL with length 0 is the empty message. */
	sw_sha256_hex(NULL, 0, out);
	assert_string_equal(out, v[0].hex);
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sw_sha256_hex(million, 1000000, out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* Every length from 0 to 300 (the 55/56/64-byte padding edges and several blocks), and record-sized ones. */
static void test_same_as_one_shot(void **state)
{
	static unsigned char buf[5000];
	static const size_t big[] = { 511, 512, 513, 733, 872, 1024, 4095, 4096, 4999 };
	char got[65], want[65];
	(void)state;

	fill(buf, sizeof(buf), 1);
	for (size_t len = 0; len <= 300; len++) {
		sw_sha256_hex(buf, len, got);
		reference(buf, len, want);
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		sw_sha256_hex(buf, big[i], got);
		reference(buf, big[i], want);
		assert_string_equal(got, want);
	}
}

/* Parts hash as their concatenation, wherever the cuts fall (empty parts included). */
static void test_multi_part(void **state)
{
	unsigned char buf[200];
	char got[65], want[65];
	(void)state;

	fill(buf, sizeof(buf), 2);
	reference(buf, sizeof(buf), want);
	for (size_t a = 0; a <= sizeof(buf); a++) {
		const void *parts[] = { buf, buf + a };
		size_t lens[] = { a, sizeof(buf) - a };
		sw_sha256_parts_hex(parts, lens, 2, got);
		assert_string_equal(got, want);
	}
	for (size_t a = 0; a <= sizeof(buf); a += 7)
		for (size_t b = a; b <= sizeof(buf); b += 13) {
			const void *parts[] = { buf, "", buf + a, buf + b };
			size_t lens[] = { a, 0, b - a, sizeof(buf) - b };
			sw_sha256_parts_hex(parts, lens, 4, got);
			assert_string_equal(got, want);
		}
	/* No parts: the empty message. */
	sw_sha256_parts_hex(NULL, NULL, 0, got);
	assert_string_equal(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* The ledger's own recipe: {"seq":N, + members + ,"prev":"..." + } */
	{
		const char *first = "{\"seq\":1,", *body = "\"type\":\"daemon\",\"time\":\"t\"",
			   *last = ",\"prev\":\"" "0000000000000000000000000000000000000000000000000000000000000000\"";
		const void *parts[] = { first, body, last, "}" };
		size_t lens[] = { strlen(first), strlen(body), strlen(last), 1 };
		char whole[256];
		snprintf(whole, sizeof(whole), "%s%s%s}", first, body, last);
		sw_sha256_parts_hex(parts, lens, 4, got);
		reference(whole, strlen(whole), want);
		assert_string_equal(got, want);
	}
}

/* A thread's contexts are reused call after call: no state leaks from one digest into the next. */
static void test_reuse_across_calls(void **state)
{
	static unsigned char buf[3000];
	char got[65], want_small[65], want_big[65], first_small[65];
	(void)state;

	fill(buf, sizeof(buf), 3);
	reference(buf, 10, want_small);
	reference(buf, sizeof(buf), want_big);
	sw_sha256_hex(buf, 10, first_small);
	assert_string_equal(first_small, want_small);
	for (int i = 0; i < 2000; i++) {
		const void *parts[] = { buf, buf + 1000 };
		size_t lens[] = { 1000, sizeof(buf) - 1000 };
		sw_sha256_parts_hex(parts, lens, 2, got);
		assert_string_equal(got, want_big);
		sw_sha256_hex(buf, 10, got);
		assert_string_equal(got, want_small);
		/* A digest of a different length in between changes nothing for the next. */
		sw_sha256_hex(buf, (size_t)i % 300, got);
	}
	sw_sha256_hex(buf, 10, got);
	assert_string_equal(got, first_small);
}

/* Threads hash at the same time, each with its own contexts (freed when it ends: ASan's leak check). */
#define THREADS 4
#define ROUNDS 3000

struct worker {
	unsigned seed;
	int bad;
};

static void *hash_a_lot(void *arg)
{
	struct worker *w = arg;
	unsigned char buf[900];
	char want[THREADS][65], got[65];

	fill(buf, sizeof(buf), w->seed);
	for (int k = 0; k < THREADS; k++)
		reference(buf, 100 + 200 * (size_t)k, want[k]);
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % THREADS;
		const void *parts[] = { buf, buf + 50 };
		size_t lens[] = { 50, 50 + 200 * (size_t)k };
		if (i & 1)
			sw_sha256_hex(buf, 100 + 200 * (size_t)k, got);
		else
			sw_sha256_parts_hex(parts, lens, 2, got);
		if (strcmp(got, want[k]) != 0)
			w->bad++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];
	struct worker w[THREADS];
	(void)state;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .seed = 10 + (unsigned)i };
		assert_int_equal(pthread_create(&t[i], NULL, hash_a_lot, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_same_as_one_shot),
		cmocka_unit_test(test_multi_part),
		cmocka_unit_test(test_reuse_across_calls),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
