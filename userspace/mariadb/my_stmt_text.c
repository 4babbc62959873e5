/* Prepared statement texts of observed MariaDB connections (see my_stmt_text.h). */
#include "my_stmt_text.h"

#include <stdlib.h>
#include <string.h>
#include "mariadb.h"
#include "my_classify.h"
#include "util.h"

void sw_my_stmt_text_budget_init(struct sw_my_stmt_text_budget *b)
{
	memset(b, 0, sizeof(*b));
	b->per_conn = SW_MY_STMT_TEXT_PER_CONN;
	b->total = SW_MY_STMT_TEXT_TOTAL;
	b->bytes = SW_MY_STMT_TEXT_BYTES;
}

struct sw_my_stmt_text *sw_my_stmt_text_find(const struct sw_my_stmt_texts *t, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

static void entry_free(struct sw_my_stmt_text *e, struct sw_my_stmt_text_budget *b)
{
	b->n--;
	b->used -= e->len;
	free(e->text);
	if (e->analyzed)
		sw_analysis_free(&e->a);
}

enum sw_my_stmt_text_put sw_my_stmt_text_put(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b, uint32_t id,
					     const char *text, size_t len, bool complete)
{
	struct sw_my_stmt_text *e = sw_my_stmt_text_find(t, id);
	size_t used = b->used - (e ? e->len : 0);

	if (id == SW_MY_LAST_STMT_ID)
		return SW_MY_STMT_TEXT_LAST;
	if (!e && t->n >= b->per_conn) {
		b->not_kept++;
		return SW_MY_STMT_TEXT_FULL_CONN;
	}
	if ((!e && b->n >= b->total) || len > b->bytes || used > b->bytes - len) {
		b->not_kept++;
		return SW_MY_STMT_TEXT_FULL;
	}
	if (e) {
		entry_free(e, b);
	} else {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->v = sw_xrealloc(t->v, t->cap * sizeof(*t->v));
		}
		e = &t->v[t->n++];
	}
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->complete = complete;
	e->text = sw_xmalloc(len + 1);
	memcpy(e->text, text, len);
	e->text[len] = 0;
	e->len = len;
	b->n++;
	b->used += len;
	return SW_MY_STMT_TEXT_KEPT;
}

bool sw_my_stmt_text_drop(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b, uint32_t id)
{
	struct sw_my_stmt_text *e = sw_my_stmt_text_find(t, id);

	if (!e)
		return false;
	entry_free(e, b);
	*e = t->v[--t->n];
	return true;
}

void sw_my_stmt_text_clear(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b)
{
	for (size_t i = 0; i < t->n; i++)
		entry_free(&t->v[i], b);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const struct sw_analysis *sw_my_stmt_text_analysis(struct sw_my_stmt_text *e, unsigned mode)
{
	if (e->analyzed && e->mode == mode)
		return &e->a;
	if (e->analyzed)
		sw_analysis_free(&e->a);
	memset(&e->a, 0, sizeof(e->a));
	e->analyzed = true;
	e->mode = mode;
	if (memchr(e->text, 0, e->len)) {
		/* The server's lexer and ours may disagree about where a NUL ends the text. */
		e->a.engine = SW_ENGINE_MYSQL;
		e->a.parse_ok = true;
		e->a.stmts = sw_xcalloc(1, sizeof(*e->a.stmts));
		e->a.n_stmts = 1;
		e->a.stmts[0].text = sw_xstrndup(e->text, e->len);
		e->a.stmts[0].cls = SW_CLASS_UNKNOWN;
		e->a.stmts[0].command = sw_xstrdup("UNKNOWN");
		sw_strv_push(&e->a.stmts[0].reasons,
			     "the statement contains a NUL byte: what the server parses after it is not judged");
	} else {
		sw_my_analyze(e->text, mode, &e->a);
	}
	for (size_t i = 0; i < e->a.n_stmts; i++)
		e->a.stmts[i].traits |= SW_TRAIT_PREPARED;
	return &e->a;
}
