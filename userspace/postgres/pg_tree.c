/* libpg_query parse trees without the protobuf round trip (see pg_tree.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pg_query.h>
#include "pg_tree.h"
#include "util.h"

/* ---- where libpg_query serializes the tree ---- */

static __thread sw_pg_tree_fn hook_fn;
static __thread void *hook_arg;
static __thread bool hook_delivered;
static __thread bool hook_empty;
static bool force_unpack;
static __thread struct sw_pg_lex lexing = { .standard_conforming_strings = true, .backslash_quote = 2 };

/* libpg_query's copies of the server's lexing settings: thread-local, read by its scanner_init. */
extern __thread bool standard_conforming_strings;
extern __thread int backslash_quote;

void sw_pg_tree_set_lex(const struct sw_pg_lex *lex)
{
	lexing = lex ? *lex : SW_PG_LEX_DEFAULTS;
}

struct sw_pg_lex sw_pg_tree_get_lex(void)
{
	return lexing;
}

size_t __real_pg_query__parse_result__get_packed_size(const PgQuery__ParseResult *message);
size_t __real_pg_query__parse_result__pack(const PgQuery__ParseResult *message, uint8_t *out);
size_t __wrap_pg_query__parse_result__get_packed_size(const PgQuery__ParseResult *message);
size_t __wrap_pg_query__parse_result__pack(const PgQuery__ParseResult *message, uint8_t *out);

size_t __wrap_pg_query__parse_result__get_packed_size(const PgQuery__ParseResult *message)
{
	sw_pg_tree_fn fn = hook_fn;

	if (!fn)
		return __real_pg_query__parse_result__get_packed_size(message);
	hook_fn = NULL;   /* once, and never for a parse the callback might start */
	hook_delivered = true;
	/* libpg_query serializes an empty result for a parse error too: an empty
	 * tree is handed over only once the caller knows there was no error. */
	if (message->n_stmts > 0)
		fn(message, hook_arg);
	else
		hook_empty = true;
	return 0;         /* nothing to serialize: pack below writes nothing */
}

size_t __wrap_pg_query__parse_result__pack(const PgQuery__ParseResult *message, uint8_t *out)
{
	if (hook_delivered)
		return 0;
	return __real_pg_query__parse_result__pack(message, out);
}

/* ---- the fallback: unpack into an arena ---- */

/*
 * A bump allocator for protobuf-c's unpack: every node of one tree comes
 * from a few large chunks and the tree is dropped at once, instead of one
 * malloc and one free per node.
 */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};
#define ARENA_CHUNK (64 * 1024)

static void *arena_alloc(void *ctx, size_t size)
{
	struct arena_chunk **head = ctx, *c = *head;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (!c || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;   /* protobuf-c reports the unpack as failed */
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

static void arena_free_one(void *ctx, void *p)
{
	(void)ctx;
	(void)p;   /* everything goes at once in arena_release */
}

static void arena_release(struct arena_chunk **head)
{
	while (*head) {
		struct arena_chunk *next = (*head)->next;
		free(*head);
		*head = next;
	}
}

int sw_pg_parse_tree(const char *sql, sw_pg_tree_fn fn, void *arg, char **error)
{
	PgQueryProtobufParseResult r;

	*error = NULL;
	hook_fn = force_unpack ? NULL : fn;
	hook_arg = arg;
	hook_delivered = false;
	hook_empty = false;
	standard_conforming_strings = lexing.standard_conforming_strings;
	backslash_quote = lexing.backslash_quote;
	r = pg_query_parse_protobuf(sql);
	hook_fn = NULL;
	if (r.error) {
		*error = sw_xstrdup(r.error->message ? r.error->message : "syntax error");
		pg_query_free_protobuf_parse_result(r);
		return -1;
	}
	if (hook_delivered && hook_empty) {
		PgQuery__ParseResult empty = PG_QUERY__PARSE_RESULT__INIT;
		fn(&empty, arg);
	} else if (!hook_delivered) {
		struct arena_chunk *arena = NULL;
		ProtobufCAllocator alloc = { .alloc = arena_alloc, .free = arena_free_one, .allocator_data = &arena };
		PgQuery__ParseResult *pr = pg_query__parse_result__unpack(&alloc, r.parse_tree.len,
									  (const uint8_t *)r.parse_tree.data);
		if (!pr) {
			arena_release(&arena);
			pg_query_free_protobuf_parse_result(r);
			*error = sw_xstrdup("could not decode the parse tree");
			return -1;
		}
		fn(pr, arg);
		arena_release(&arena);
	}
	pg_query_free_protobuf_parse_result(r);
	return 0;
}

bool sw_pg_tree_direct(void)
{
	return hook_delivered;
}

void sw_pg_tree_force_unpack(bool on)
{
	force_unpack = on;
}
