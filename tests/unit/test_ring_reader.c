/*
 * The ring buffer reader (ring_reader.c): records read in order from a ring laid
 * out as the kernel lays it out, a record that wraps around the end read whole,
 * discarded records skipped, an uncommitted one ends the pass, a callback's
 * error stops with that record read, a call reads what was committed when it
 * began (not what keeps coming); and, where BPF maps can be made (root), a
 * real ring buffer is mapped with its data once (issue 16: the resident set).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "unit.h"
#include "ring_reader.h"

#define RING 256   /* bytes of data: small, so records wrap often */

struct fake {
	unsigned long cons, prod;
	_Alignas(8) unsigned char data[RING];
	struct sw_ring_view v;
};

static void fake_init(struct fake *f, unsigned long start)
{
	memset(f, 0, sizeof(*f));
	f->cons = f->prod = start;
	f->v.consumer_pos = &f->cons;
	f->v.producer_pos = &f->prod;
	f->v.data = f->data;
	f->v.mask = RING - 1;
}

/* A record as the kernel writes it: header (len | flags), body (may wrap), 8-byte rounding. */
static void put(struct fake *f, const void *body, uint32_t len, uint32_t flags)
{
	uint32_t hdr[2] = { len | flags, 0 };

	assert_true(f->prod + 8 + len - f->cons <= RING);
	memcpy(f->data + (f->prod & (RING - 1)), hdr, 8);
	for (uint32_t i = 0; i < len; i++)
		f->data[(f->prod + 8 + i) & (RING - 1)] = ((const unsigned char *)body)[i];
	f->prod += (8 + len + 7) / 8 * 8;
}

struct seen {
	int n, stop_at;
	char got[16][64];
	size_t len[16];
};

static int collect(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;

	if (s->n < 16 && size < 64) {
		memcpy(s->got[s->n], data, size);
		s->len[s->n] = size;
	}
	s->n++;
	return s->n == s->stop_at ? -42 : 0;
}

static void test_in_order_and_wrapped(void **state)
{
	struct fake f;
	struct seen s = { 0 };
	/* 60 bytes of body: from position 200 the third record's body crosses the end (256). */
	char a[60], b[60], c[60];
	(void)state;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	for (size_t i = 0; i < sizeof(c); i++)
		c[i] = (char)('0' + i % 10);
	fake_init(&f, 200 - 2 * 72);   /* two 72-byte records before the one that wraps */
	put(&f, a, sizeof(a), 0);
	put(&f, b, sizeof(b), 0);
	put(&f, c, sizeof(c), 0);
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 3);
	assert_int_equal(s.n, 3);
	assert_memory_equal(s.got[0], a, sizeof(a));
	assert_memory_equal(s.got[1], b, sizeof(b));
	assert_int_equal(s.len[2], sizeof(c));
	assert_memory_equal(s.got[2], c, sizeof(c));   /* whole, though it wrapped */
	assert_int_equal(f.cons, f.prod);
	/* Many laps: every record whole, the consumer never behind. */
	for (int lap = 0; lap < 200; lap++) {
		char body[37];
		memset(&s, 0, sizeof(s));
		for (size_t i = 0; i < sizeof(body); i++)
			body[i] = (char)(lap + i);
		put(&f, body, (uint32_t)(lap % (int)sizeof(body)) + 1, 0);
		assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 1);
		assert_int_equal(s.len[0], (size_t)(lap % (int)sizeof(body)) + 1);
		assert_memory_equal(s.got[0], body, s.len[0]);
		assert_int_equal(f.cons, f.prod);
	}
	free(f.v.scratch);
}

/* Records the kernel commits while a call reads are left to the next call: one call ends. */
struct producing {
	struct fake *f;
	int n;
};

static int produce_more(void *ctx, void *data, size_t size)
{
	struct producing *p = ctx;
	(void)data;
	(void)size;
	p->n++;
	put(p->f, "more", 4, 0);
	return 0;
}

static void test_one_call_reads_what_was_there(void **state)
{
	struct fake f;
	struct producing p = { .f = &f };
	(void)state;

	fake_init(&f, 0);
	put(&f, "first", 5, 0);
	put(&f, "second", 6, 0);
	assert_int_equal(sw_ring_view_consume(&f.v, produce_more, &p), 2);
	assert_int_equal(p.n, 2);
	assert_true(f.cons < f.prod);   /* the two records made meanwhile wait */
	assert_int_equal(sw_ring_view_consume(&f.v, produce_more, &p), 2);
	assert_int_equal(p.n, 4);
	free(f.v.scratch);
}

static void test_discard_busy_and_error(void **state)
{
	struct fake f;
	struct seen s = { 0 };
	unsigned long busy_at;
	(void)state;

	fake_init(&f, 0);
	put(&f, "one", 3, 0);
	put(&f, "gone", 4, BPF_RINGBUF_DISCARD_BIT);
	put(&f, "two", 3, 0);
	busy_at = f.prod;
	put(&f, "later", 5, BPF_RINGBUF_BUSY_BIT);
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 2);
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.got[0], "one", 3);
	assert_memory_equal(s.got[1], "two", 3);
	assert_int_equal(f.cons, busy_at);   /* stopped at the uncommitted record */
	/* Committed now: read on the next pass. */
	((uint32_t *)(f.data + (busy_at & (RING - 1))))[0] &= ~(uint32_t)BPF_RINGBUF_BUSY_BIT;
	memset(&s, 0, sizeof(s));
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 1);
	assert_memory_equal(s.got[0], "later", 5);
	/* A callback's error: returned, with that record read and the next one left. */
	put(&f, "x", 1, 0);
	put(&f, "y", 1, 0);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), -42);
	assert_int_equal(s.n, 1);
	s.stop_at = 0;
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 1);
	assert_memory_equal(s.got[1], "y", 1);
	assert_int_equal(f.cons, f.prod);
	/* Nothing new: nothing read. */
	assert_int_equal(sw_ring_view_consume(&f.v, collect, &s), 0);
	free(f.v.scratch);
}

/* Rss of this process's BPF map mappings (kB), from smaps. */
static long bpf_map_rss_kb(void)
{
	FILE *fp = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = 0, v;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3)   /* a mapping's first line */
			in = strstr(line, "anon_inode:bpf-map") != NULL;
		else if (in && strncmp(line, "Rss:", 4) == 0 && sscanf(line + 4, "%ld", &v) == 1)
			kb += v;
	}
	fclose(fp);
	return kb;
}

static void test_real_ring_mapped_once(void **state)
{
	const unsigned size = 1u << 20;
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sw_unit_ring", 0, 0, size, NULL), other;
	long before, after;
	struct seen s = { 0 };
	struct sw_ring *r;
	(void)state;

	if (fd < 0) {
		printf("(skipped: cannot create a BPF ring buffer here: %s)\n", strerror(errno));
		skip();
	}
	before = bpf_map_rss_kb();
	r = sw_ring_new(fd, collect, &s);
	assert_non_null(r);
	after = bpf_map_rss_kb();
	/* The consumer page, the producer page and the data once: not the data twice (libbpf). */
	assert_true(after - before >= (long)size / 1024);
	assert_true(after - before <= (long)size / 1024 + 2 * (sysconf(_SC_PAGESIZE) / 1024));
	assert_true(sw_ring_epoll_fd(r) >= 0);
	assert_int_equal(sw_ring_consume(r), 0);
	sw_ring_free(r);
	close(fd);
	/* Not a ring buffer: refused. */
	other = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sw_unit_arr", 4, 4, 1, NULL);
	assert_true(other >= 0);
	errno = 0;
	assert_null(sw_ring_new(other, collect, &s));
	assert_int_equal(errno, EINVAL);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_wrapped),
		cmocka_unit_test(test_one_call_reads_what_was_there),
		cmocka_unit_test(test_discard_busy_and_error),
		cmocka_unit_test(test_real_ring_mapped_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
