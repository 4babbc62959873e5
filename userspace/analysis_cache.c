/* Shape-keyed classification cache (see analysis_cache.h). Direct-mapped: a collision evicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis_cache.h"
#include "shape.h"
#include "util.h"

struct slot {
	bool used;
	uint32_t len;
	unsigned char *shape;
	struct sw_stmt stmt;      /* the one statement of a shape-cacheable analysis */
	unsigned borrows;         /* analyses reading stmt now (sw_acache_borrow) */
	struct sw_stmt_memo memo; /* what the ledger rendered from stmt (statement.h) */
};

struct sw_acache {
	struct slot *slots;
	size_t n;
	uint64_t hits, misses;
};

struct sw_acache *sw_acache_new(size_t slots)
{
	struct sw_acache *c = sw_xcalloc(1, sizeof(*c));
	c->n = slots ? slots : 1;
	c->slots = sw_xcalloc(c->n, sizeof(*c->slots));
	return c;
}

static void slot_clear(struct slot *s)
{
	if (!s->used)
		return;
	if (s->borrows) {
		/* A borrower would read freed memory: a bug in the caller, never a state to run on. */
		fprintf(stderr, "sqlward: BUG: the classification cache was freed while %u analyses still borrowed "
			"from it; report this with the daemon's log\n", s->borrows);
		abort();
	}
	free(s->shape);
	sw_stmt_free(&s->stmt);
	for (int i = 0; i < SW_STMT_MEMO_WAYS; i++) {
		free(s->memo.way[i].key);
		free(s->memo.way[i].bytes);
	}
	memset(s, 0, sizeof(*s));
}

void sw_acache_free(struct sw_acache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		slot_clear(&c->slots[i]);
	free(c->slots);
	free(c);
}

/* The slot of a shape: its bytes 8 at a time (multiply-xorshift), the last 0-7 one by one. Only
 * spreads shapes over slots: a slot's shape is still compared whole. */
static uint64_t shape_hash(const unsigned char *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = n * k, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 32;
	}
	for (w = 0; n; n--)
		w = w << 8 | p[n - 1];
	h = (h ^ w) * k;
	return h ^ h >> 29;
}

static void analyze(struct sw_acache *c, const char *text, size_t len, struct sw_analysis *out, bool borrow)
{
	static unsigned char shape[SW_TEXT_CAP];
	uint32_t slen;
	struct slot *s;

	/* The key is the shape's slen bytes: nothing past them is read, so none is zero-filled. */
	if (!c || !sw_shape_normalize_key(text, len, shape, &slen)) {
		sw_pg_analyze(text, out);
		return;
	}
	s = &c->slots[shape_hash(shape, slen) % c->n];
	if (s->used && s->len == slen && memcmp(s->shape, shape, slen) == 0) {
		c->hits++;
		memset(out, 0, sizeof(*out));
		out->engine = SW_ENGINE_POSTGRES;
		out->parse_ok = true;
		out->n_stmts = 1;
		out->stmts = sw_xmalloc(sizeof(*out->stmts));   /* filled whole just below */
		if (borrow) {
			out->stmts[0] = s->stmt;
			out->borrowed = &s->borrows;
			out->memo = &s->memo;
			s->borrows++;
		} else {
			sw_stmt_copy(&out->stmts[0], &s->stmt);
			free(out->stmts[0].text);
		}
		out->stmts[0].text = sw_xstrndup(text, len);
		return;
	}
	c->misses++;
	sw_pg_analyze(text, out);
	/* A lent slot keeps its statement until it is given back. */
	if (!sw_shape_cacheable(out) || s->borrows)
		return;
	slot_clear(s);
	s->used = true;
	s->len = slen;
	s->shape = sw_xmalloc(slen);
	memcpy(s->shape, shape, slen);
	sw_stmt_copy(&s->stmt, &out->stmts[0]);
}

void sw_acache_analyze(struct sw_acache *c, const char *text, size_t len, struct sw_analysis *out)
{
	analyze(c, text, len, out, false);
}

void sw_acache_borrow(struct sw_acache *c, const char *text, size_t len, struct sw_analysis *out)
{
	analyze(c, text, len, out, true);
}

size_t sw_acache_lent(const struct sw_acache *c)
{
	size_t n = 0;

	for (size_t i = 0; c && i < c->n; i++)
		n += c->slots[i].borrows;
	return n;
}

void sw_acache_stats(const struct sw_acache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c ? c->hits : 0;
	*misses = c ? c->misses : 0;
}
