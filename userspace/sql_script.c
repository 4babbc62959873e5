/*
 * Splitting SQL scripts into statements and client commands (see
 * sql_script.h).
 *
 * The unread input sits in one buffer (the window). Each refill splits as
 * much of the window as holds complete items and queues them; what is left
 * (an unfinished statement) stays for the next chunk. A statement is found
 * by scanning from its start to the next line that begins with a backslash
 * (a meta-command candidate): when the scan ends inside a quoted string or
 * comment, the candidate is part of the statement and the scan is extended
 * to the next one; at the end of the window, more input is read.
 */
#include "sql_script.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "my_lex.h"
#include "util.h"

#define SCRIPT_CHUNK     ((size_t)1 << 20)
#define SCRIPT_MAX_ITEM  ((size_t)64 << 20)

struct psql_var {
	char *name;
	char *value;       /* NULL: set, but to a value this input does not show (why says how) */
	char *why;
};

struct tok {               /* a scanner token, byte offsets into the window */
	size_t start, end;
	int token;         /* PgQuery__Token; 0 for a character the scanner refused */
	bool word;         /* keyword or identifier (psql's {identifier}) */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct sw_script {
	enum sw_engine engine;
	unsigned my_sql_mode;
	FILE *f;
	const char *mem;
	size_t mem_len, mem_pos;
	bool eof, stopped;
	char *read_error;
	char *nul_error;           /* the input held a NUL byte: the ERROR item after the rest */

	char *buf;                 /* the window: input not yet split */
	size_t len, cap;
	size_t done;               /* everything before it is queued */
	unsigned long base_line, base_col; /* position of buf[0] */
	unsigned long long base_offset;
	size_t cur_idx;            /* a position cache: cur_line/cur_col are buf[cur_idx]'s */
	unsigned long cur_line, cur_col;

	struct sw_script_item *q;  /* queued items */
	size_t qn, qcap, qhead;

	/* psql */
	struct psql_var *vars;
	size_t n_vars;
	unsigned long gset_line;   /* last \gset: variables it sets are unknown here */
	bool copy_data;            /* inside COPY ... FROM STDIN data */
	unsigned long copy_line;
	unsigned long long copy_offset;
	unsigned long copy_lines;
	/* MariaDB */
	char *delimiter;
};

/* ---- items and positions ---- */

static bool is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

static void advance_pos(const char *p, size_t n, unsigned long *line, unsigned long *col)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (!is_cont((unsigned char)p[i])) {
			(*col)++;
		}
	}
}

/* Line and column of buf[idx]. */
static void locate_idx(struct sw_script *s, size_t idx, unsigned long *line, unsigned long *col)
{
	if (idx < s->cur_idx) {
		s->cur_idx = 0;
		s->cur_line = s->base_line;
		s->cur_col = s->base_col;
	}
	advance_pos(s->buf + s->cur_idx, idx - s->cur_idx, &s->cur_line, &s->cur_col);
	s->cur_idx = idx;
	*line = s->cur_line;
	*col = s->cur_col;
}

static struct sw_script_item *queue_item(struct sw_script *s, enum sw_script_kind kind, size_t at)
{
	struct sw_script_item *it;
	if (s->qn == s->qcap) {
		s->qcap = s->qcap ? 2 * s->qcap : 16;
		s->q = sw_xrealloc(s->q, s->qcap * sizeof(*s->q));
	}
	it = &s->q[s->qn++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	locate_idx(s, at, &it->line, &it->col);
	it->offset = s->base_offset + at;
	return it;
}

static void queue_error(struct sw_script *s, size_t at, char *note)
{
	struct sw_script_item *it = queue_item(s, SW_SCRIPT_ERROR, at);
	it->note = note;
	s->stopped = true;
}

void sw_script_item_free(struct sw_script_item *it)
{
	if (!it)
		return;
	free(it->text);
	free(it->sql);
	free(it->note);
	free(it->command);
	memset(it, 0, sizeof(*it));
}

void sw_script_locate(const struct sw_script_item *it, size_t chars, unsigned long *line, unsigned long *col)
{
	const char *p = it->text ? it->text : "";
	*line = it->line;
	*col = it->col;
	for (; *p; p++) {
		if (!is_cont((unsigned char)*p)) {
			if (chars == 0)
				break;
			chars--;
		}
		advance_pos(p, 1, line, col);
	}
}

/* ---- psql variables ---- */

static struct psql_var *var_find(struct sw_script *s, const char *name, size_t n)
{
	for (size_t i = 0; i < s->n_vars; i++)
		if (strlen(s->vars[i].name) == n && memcmp(s->vars[i].name, name, n) == 0)
			return &s->vars[i];
	return NULL;
}

static void var_set(struct sw_script *s, const char *name, const char *value, const char *why)
{
	struct psql_var *v = var_find(s, name, strlen(name));
	if (!v) {
		s->vars = sw_xrealloc(s->vars, (s->n_vars + 1) * sizeof(*s->vars));
		v = &s->vars[s->n_vars++];
		v->name = sw_xstrdup(name);
	} else {
		free(v->value);
		free(v->why);
	}
	v->value = value ? sw_xstrdup(value) : NULL;
	v->why = why ? sw_xstrdup(why) : NULL;
}

static void var_unset(struct sw_script *s, const char *name)
{
	struct psql_var *v = var_find(s, name, strlen(name));
	if (!v)
		return;
	free(v->name);
	free(v->value);
	free(v->why);
	*v = s->vars[--s->n_vars];
}

/* psql's variable_char: [A-Za-z\200-\377_0-9]. */
static bool var_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = sw_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void sb_addc(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

/* As psql's :'name' (PQescapeLiteral): ' doubled; with a backslash, E'' with \ doubled. */
static void add_literal(struct sbuf *b, const char *v)
{
	bool bs = strchr(v, '\\') != NULL;
	sb_add(b, bs ? " E'" : "'", bs ? 3 : 1);
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			sb_addc(b, *v);
		sb_addc(b, *v);
	}
	sb_addc(b, '\'');
}

/* As psql's :"name" (PQescapeIdentifier): " doubled. */
static void add_identifier(struct sbuf *b, const char *v)
{
	sb_addc(b, '"');
	for (; *v; v++) {
		if (*v == '"')
			sb_addc(b, '"');
		sb_addc(b, *v);
	}
	sb_addc(b, '"');
}

/* Why the variable named name[0..n) has no value here (malloc'd). */
static char *var_unknown_why(struct sw_script *s, const char *name, size_t n, const struct psql_var *v)
{
	if (v && v->why)
		return sw_xasprintf("it uses psql variable :%.*s, %s", (int)n, name, v->why);
	if (s->gset_line)
		return sw_xasprintf("it uses psql variable :%.*s, which no earlier \\set in this input defines "
				    "(\\gset on line %lu may set it from a query result; psql -v values are not "
				    "known here either)", (int)n, name, s->gset_line);
	return sw_xasprintf("it uses psql variable :%.*s, which no earlier \\set in this input defines "
			    "(a value given with psql -v or --set is not known here); \\set it in the "
			    "file or check the statement with the value written out", (int)n, name);
}

/*
 * The statement [from, to) with psql variables replaced, from its tokens
 * [t0, t1). Returns the text, or NULL with *why set when a variable's value
 * is not known. *changed: something was replaced.
 */
static char *substitute(struct sw_script *s, size_t from, size_t to, const struct toks *tk, size_t t0, size_t t1,
			char **why, bool *changed)
{
	struct sbuf b = { 0 };
	size_t copied = from;

	*why = NULL;
	*changed = false;
	sb_add(&b, "", 0);
	for (size_t k = t0; k + 1 < t1; k++) {
		const struct tok *c = &tk->v[k], *n = &tk->v[k + 1];
		const char *np = s->buf + n->start;
		size_t name_at, name_len, end;
		int quote = 0;
		struct psql_var *v;

		if (c->token != PG_QUERY__TOKEN__ASCII_58 || n->start != c->end)
			continue;
		if (n->token == PG_QUERY__TOKEN__SCONST && *np == '\'') {
			quote = '\'';
		} else if (n->token == PG_QUERY__TOKEN__IDENT && *np == '"') {
			quote = '"';
		} else if (!n->word && n->token != PG_QUERY__TOKEN__ICONST) {
			continue;
		}
		name_at = n->start + (quote ? 1 : 0);
		name_len = 0;
		while (name_at + name_len < n->end && var_char((unsigned char)s->buf[name_at + name_len]))
			name_len++;
		if (!name_len)
			continue;
		end = name_at + name_len;
		if (quote) {
			/* :'name' and :"name" only with a plain name inside the quotes. */
			if (end + 1 != n->end || s->buf[end] != quote)
				continue;
			end++;
		}
		v = var_find(s, s->buf + name_at, name_len);
		if (!v || !v->value) {
			if (!v && isdigit((unsigned char)s->buf[name_at]))
				continue;   /* arr[1:2]: psql leaves an undefined :2 as written */
			*why = var_unknown_why(s, s->buf + name_at, name_len, v);
			free(b.s);
			return NULL;
		}
		sb_add(&b, s->buf + copied, c->start - copied);
		if (quote == '\'')
			add_literal(&b, v->value);
		else if (quote == '"')
			add_identifier(&b, v->value);
		else
			sb_add(&b, v->value, strlen(v->value));
		copied = end;
		*changed = true;
		k++;
	}
	sb_add(&b, s->buf + copied, to - copied);
	return b.s;
}

/* ---- psql meta-commands ---- */

/* One \set argument at *p (psql's OT_NORMAL lexing, simplified); NULL when none is left. */
static char *meta_arg(struct sw_script *s, const char **pp, const char *end, char **why)
{
	const char *p = *pp;
	struct sbuf b = { 0 };

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= end || (*p == '\\' && p + 1 < end && p[1] == '\\'))
		return NULL;
	sb_add(&b, "", 0);
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r') {
		if (*p == '\'') {
			for (p++; p < end; p++) {
				if (*p == '\'' && p + 1 < end && p[1] == '\'') {
					sb_addc(&b, '\'');
					p++;
				} else if (*p == '\'') {
					p++;
					break;
				} else if (*p == '\\' && p + 1 < end) {
					char c = *++p;
					sb_addc(&b, c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' :
						c == 'b' ? '\b' : c == 'f' ? '\f' : c);
				} else {
					sb_addc(&b, *p);
				}
			}
		} else if (*p == '`') {
			if (!*why)
				*why = sw_xstrdup("set from a shell command (`...`) that sqlward does not run");
			for (p++; p < end && *p != '`'; p++)
				;
			p += p < end;
		} else if (*p == ':' && p + 1 < end && (var_char((unsigned char)p[1]) || p[1] == '\'' || p[1] == '"')) {
			int quote = p[1] == '\'' || p[1] == '"' ? p[1] : 0;
			const char *n = p + 1 + (quote ? 1 : 0), *e = n;
			struct psql_var *v;
			while (e < end && var_char((unsigned char)*e))
				e++;
			if (quote && (e >= end || *e != quote)) {
				sb_addc(&b, *p++);
				continue;
			}
			v = var_find(s, n, (size_t)(e - n));
			if (v && v->value) {
				if (quote == '\'')
					add_literal(&b, v->value);
				else if (quote == '"')
					add_identifier(&b, v->value);
				else
					sb_add(&b, v->value, strlen(v->value));
			} else if (!*why) {
				char *w = var_unknown_why(s, n, (size_t)(e - n), v);
				*why = sw_xasprintf("set from another variable: %s", w);
				free(w);
			}
			p = e + (quote ? 1 : 0);
		} else {
			sb_addc(&b, *p++);
		}
	}
	*pp = p;
	return b.s;
}

/* psql's commands that send the query buffer (and so end the statement before them). */
static bool sends_buffer(const char *cmd)
{
	static const char *const send[] = { "\\g", "\\gx", "\\gset", "\\gexec", "\\gdesc", "\\watch",
					    "\\crosstabview", NULL };
	for (size_t i = 0; send[i]; i++)
		if (strcmp(cmd, send[i]) == 0)
			return true;
	return false;
}

/* The command word of the meta-command at buf[at] ("\set"), malloc'd. */
static char *meta_word(const char *p, const char *end)
{
	const char *e = p + 1;
	while (e < end && (isalnum((unsigned char)*e) || *e == '_' || *e == '?' || *e == '!' || *e == '.' ||
			   *e == '+' || *e == '\\' || *e == ';'))
		e++;
	if (e == p + 1 && e < end)
		e++;
	return sw_xstrndup(p, (size_t)(e - p));
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

/* Apply what the meta-command [at, eol) does to this reader's state, and queue it. */
static void psql_meta(struct sw_script *s, size_t at, size_t eol)
{
	const char *p = s->buf + at, *end = s->buf + eol;
	char *cmd = meta_word(p, end), *why = NULL;
	struct sw_script_item *it;
	const char *args = p + strlen(cmd);

	if (eol > at && s->buf[eol - 1] == '\r')
		end--;
	it = queue_item(s, SW_SCRIPT_META, at);
	it->text = sw_xstrndup(p, (size_t)(end - p));
	it->command = cmd;
	if (strcmp(cmd, "\\set") == 0) {
		char *name = meta_arg(s, &args, end, &why), *a;
		struct sbuf val = { 0 };
		sb_add(&val, "", 0);
		while ((a = meta_arg(s, &args, end, &why))) {
			sb_add(&val, a, strlen(a));
			free(a);
		}
		if (name && *name)
			var_set(s, name, why ? NULL : val.s, why);
		free(name);
		free(val.s);
		free(why);
	} else if (strcmp(cmd, "\\unset") == 0) {
		char *name = meta_arg(s, &args, end, &why);
		if (name)
			var_unset(s, name);
		free(name);
		free(why);
	} else if (strcmp(cmd, "\\gset") == 0) {
		s->gset_line = it->line;
	} else if (strcmp(cmd, "\\copy") == 0) {
		/* \copy ... from stdin reads its data from the lines after it, as COPY FROM STDIN does. */
		const char *w = args;
		bool from = false;
		while (w < end) {
			const char *e;
			while (w < end && isspace((unsigned char)*w))
				w++;
			for (e = w; e < end && !isspace((unsigned char)*e); e++)
				;
			if (from && (word_is(w, (size_t)(e - w), "stdin") || word_is(w, (size_t)(e - w), "pstdin")))
				s->copy_data = word_is(w, (size_t)(e - w), "stdin");
			from = word_is(w, (size_t)(e - w), "from");
			w = e;
		}
	}
	if (strcmp(cmd, "\\i") == 0 || strcmp(cmd, "\\ir") == 0 || strcmp(cmd, "\\include") == 0 ||
	    strcmp(cmd, "\\include_relative") == 0)
		it->note = sw_xasprintf("skipped psql meta-command %s on line %lu (the file it includes is not read: "
					"check that file too)", cmd, it->line);
	else if (strcmp(cmd, "\\gexec") == 0)
		it->note = sw_xasprintf("skipped psql meta-command %s on line %lu (it runs each value of the "
					"query's result as SQL, which cannot be checked here)", cmd, it->line);
	else
		it->note = sw_xasprintf("skipped psql meta-command %s on line %lu", cmd, it->line);
}

/* ---- PostgreSQL statements ---- */

static bool utf8_len_ok(const char *p, size_t *n)
{
	unsigned char c = (unsigned char)*p;
	*n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return true;
}

/* Byte offset of character chars (0-based) in p[0..n). */
static size_t char_to_byte(const char *p, size_t n, size_t chars)
{
	size_t i = 0;
	while (i < n && chars > 0) {
		i++;
		while (i < n && is_cont((unsigned char)p[i]))
			i++;
		chars--;
	}
	return i;
}

static void toks_push(struct toks *t, size_t start, size_t end, int token, bool word)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->v = sw_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct tok){ .start = start, .end = end, .token = token, .word = word };
}

/*
 * Scan buf[from, to) with libpg_query's scanner, appending its tokens.
 * Returns true when the range ends inside a quoted string, dollar quote or
 * comment (*open_at: where that starts; the tokens before it are kept). A
 * character the scanner refuses becomes a token of its own (token 0).
 */
static bool pg_scan(struct sw_script *s, size_t from, size_t to, struct toks *out, size_t *open_at)
{
	while (from < to) {
		char saved = s->buf[to];
		PgQueryScanResult r;

		s->buf[to] = 0;
		r = pg_query_scan(s->buf + from);
		s->buf[to] = saved;
		if (!r.error) {
			PgQuery__ScanResult *sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
			for (size_t i = 0; sr && i < sr->n_tokens; i++) {
				const PgQuery__ScanToken *k = sr->tokens[i];
				toks_push(out, from + (size_t)k->start, from + (size_t)k->end, k->token,
					  k->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD ||
					  k->token == PG_QUERY__TOKEN__IDENT);
			}
			if (sr)
				pg_query__scan_result__free_unpacked(sr, NULL);
			pg_query_free_scan_result(r);
			return false;
		}
		{
			size_t at = from + char_to_byte(s->buf + from, to - from,
							 r.error->cursorpos > 0 ? (size_t)r.error->cursorpos - 1 : 0);
			bool open = strncmp(r.error->message, "unterminated", 12) == 0;
			size_t n;
			pg_query_free_scan_result(r);
			if (at > from)
				pg_scan(s, from, at, out, open_at);   /* the tokens before it (an error there is earlier) */
			if (open) {
				*open_at = at;
				return true;
			}
			if (at >= to)
				return false;
			utf8_len_ok(s->buf + at, &n);
			if (at + n > to)
				n = to - at;
			toks_push(out, at, at + n, 0, false);
			from = at + n;
		}
	}
	return false;
}

/* The next line at or after from (in the window) whose first non-blank is a backslash: its backslash, or len. */
static size_t next_meta_candidate(const struct sw_script *s, size_t from)
{
	size_t i = from;
	/* from itself counts only when it starts a line */
	if (i > 0 && s->buf[i - 1] != '\n') {
		const char *nl = memchr(s->buf + i, '\n', s->len - i);
		if (!nl)
			return s->len;
		i = (size_t)(nl - s->buf) + 1;
	}
	while (i < s->len) {
		size_t j = i;
		const char *nl;
		while (j < s->len && (s->buf[j] == ' ' || s->buf[j] == '\t'))
			j++;
		if (j < s->len && s->buf[j] == '\\')
			return j;
		nl = memchr(s->buf + j, '\n', s->len - j);
		if (!nl)
			return s->len;
		i = (size_t)(nl - s->buf) + 1;
	}
	return s->len;
}

/* End of the line at at: the '\n' index, or len (*complete false when the input may continue it). */
static size_t line_end(const struct sw_script *s, size_t at, bool *complete)
{
	const char *nl = memchr(s->buf + at, '\n', s->len - at);
	*complete = nl || s->eof;
	return nl ? (size_t)(nl - s->buf) : s->len;
}

/* COPY ... FROM STDIN among the statement's tokens (psql then sends the lines after it as data). */
static bool copy_from_stdin(const struct toks *tk, size_t t0, size_t t1)
{
	size_t k = t0;
	while (k < t1 && (tk->v[k].token == PG_QUERY__TOKEN__SQL_COMMENT || tk->v[k].token == PG_QUERY__TOKEN__C_COMMENT))
		k++;
	if (k >= t1 || tk->v[k].token != PG_QUERY__TOKEN__COPY)
		return false;
	for (; k + 1 < t1; k++)
		if (tk->v[k].token == PG_QUERY__TOKEN__FROM && tk->v[k + 1].token == PG_QUERY__TOKEN__STDIN)
			return true;
	return false;
}

static bool is_comment(const struct tok *t)
{
	return t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
}

static void queue_statement(struct sw_script *s, const struct toks *tk, size_t t0, size_t t1)
{
	size_t from, to;
	struct sw_script_item *it;
	char *why;

	while (t0 < t1 && is_comment(&tk->v[t0]))
		t0++;
	if (t0 >= t1)
		return;
	from = tk->v[t0].start;
	to = tk->v[t1 - 1].end;
	it = queue_item(s, SW_SCRIPT_STATEMENT, from);
	it->text = sw_xstrndup(s->buf + from, to - from);
	it->sql = substitute(s, from, to, tk, t0, t1, &why, &it->substituted);
	it->note = why;
}

/* psql's heuristic for CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END (psqlscan.l). */
struct atomic_track {
	char ids[4];
	unsigned n_ids;
	int begin_depth;
};

static void atomic_track(struct atomic_track *a, const struct tok *t, int paren_depth)
{
	char c = 0;
	if (!t->word)
		return;
	switch (t->token) {
	case PG_QUERY__TOKEN__CREATE: c = 'c'; break;
	case PG_QUERY__TOKEN__FUNCTION: c = 'f'; break;
	case PG_QUERY__TOKEN__PROCEDURE: c = 'p'; break;
	case PG_QUERY__TOKEN__OR: c = 'o'; break;
	case PG_QUERY__TOKEN__REPLACE: c = 'r'; break;
	default: break;
	}
	if (a->n_ids < sizeof(a->ids))
		a->ids[a->n_ids] = c;
	a->n_ids++;
	if (a->ids[0] == 'c' && (a->ids[1] == 'f' || a->ids[1] == 'p' ||
				 (a->ids[1] == 'o' && a->ids[2] == 'r' && (a->ids[3] == 'f' || a->ids[3] == 'p'))) &&
	    paren_depth == 0) {
		if (t->token == PG_QUERY__TOKEN__BEGIN_P)
			a->begin_depth++;
		else if (t->token == PG_QUERY__TOKEN__CASE && a->begin_depth >= 1)
			a->begin_depth++;
		else if (t->token == PG_QUERY__TOKEN__END_P && a->begin_depth > 0)
			a->begin_depth--;
	}
}

/* Blank out the meta-command [at, eol) inside a statement: psql runs it and keeps the statement going. */
static void blank(struct sw_script *s, size_t at, size_t eol)
{
	for (size_t i = at; i < eol; i++)
		if (s->buf[i] != '\n' && s->buf[i] != '\r')
			s->buf[i] = ' ';
}

enum step { STEP_DONE, STEP_MORE };

/* After the statement just queued (ending at *next): enter COPY data mode when it asks for it. */
static void after_statement(struct sw_script *s, const struct toks *tk, size_t t0, size_t t1, size_t *next)
{
	bool complete;
	if (!copy_from_stdin(tk, t0, t1))
		return;
	s->copy_data = true;
	*next = line_end(s, *next, &complete);
	if (*next < s->len)
		(*next)++;
}

/*
 * One statement (and the meta-commands inside or right after it) from
 * buf[p], which is not blank and not a backslash. STEP_MORE: the window
 * ends inside it, read more input.
 */
static enum step pg_statement(struct sw_script *s, size_t p, size_t *next)
{
	size_t cand = next_meta_candidate(s, p);
	struct toks tk = { 0 };
	enum step res = STEP_MORE;

	for (;;) {
		size_t open_at = 0, start_tok = SIZE_MAX;
		bool open;
		int depth = 0;
		struct atomic_track at = { 0 };

		tk.n = 0;
		open = pg_scan(s, p, cand, &tk, &open_at);
		for (size_t k = 0; k < tk.n; k++) {
			const struct tok *t = &tk.v[k];
			if (t->token == PG_QUERY__TOKEN__ASCII_92) {
				/* A backslash in the middle of a line: a meta-command to the end of it. */
				bool complete;
				size_t eol = line_end(s, t->start, &complete);
				char *cmd;
				if (!complete)
					goto out;
				cmd = meta_word(s->buf + t->start, s->buf + eol);
				if (start_tok == SIZE_MAX || sends_buffer(cmd)) {
					if (start_tok != SIZE_MAX)
						queue_statement(s, &tk, start_tok, k);
					psql_meta(s, t->start, eol);
					*next = eol < s->len ? eol + 1 : eol;
					free(cmd);
					res = STEP_DONE;
					goto out;
				}
				free(cmd);
				psql_meta(s, t->start, eol);
				blank(s, t->start, eol);
				if (res == STEP_DONE)
					goto out;   /* the caller comes back to the statement, now without the meta-command */
				goto rescan;
			}
			if (is_comment(t))
				continue;
			if (start_tok == SIZE_MAX)
				start_tok = k;
			if (t->token == PG_QUERY__TOKEN__ASCII_40)
				depth++;
			else if (t->token == PG_QUERY__TOKEN__ASCII_41 && depth > 0)
				depth--;
			atomic_track(&at, t, depth);
			if (t->token == PG_QUERY__TOKEN__ASCII_59 && depth == 0 && at.begin_depth == 0) {
				bool copy = copy_from_stdin(&tk, start_tok, k);
				queue_statement(s, &tk, start_tok, k);
				*next = t->end;
				res = STEP_DONE;
				if (copy) {
					after_statement(s, &tk, start_tok, k, next);
					goto out;
				}
				/* The tokens after it are valid: go on with the next statement without rescanning. */
				start_tok = SIZE_MAX;
				depth = 0;
				memset(&at, 0, sizeof(at));
			}
		}
		/* Statements were queued: the caller continues after the last one (rescanning only the rest). */
		if (res == STEP_DONE)
			goto out;
		if (open) {
			if (cand < s->len) {
				cand = next_meta_candidate(s, cand + 1);   /* that backslash is inside a literal */
				continue;
			}
			if (!s->eof)
				goto out;
			/* Unterminated at the end of the input: the server gets it as it is (and rejects it). */
			toks_push(&tk, open_at, s->len, 0, false);
			if (start_tok == SIZE_MAX)
				start_tok = tk.n - 1;
			queue_statement(s, &tk, start_tok, tk.n);
			*next = s->len;
			res = STEP_DONE;
			goto out;
		}
		if (cand < s->len) {
			/* A meta-command line at top level. */
			bool complete;
			size_t eol = line_end(s, cand, &complete);
			char *cmd;
			if (!complete)
				goto out;
			cmd = meta_word(s->buf + cand, s->buf + eol);
			if (start_tok == SIZE_MAX || sends_buffer(cmd)) {
				if (start_tok != SIZE_MAX)
					queue_statement(s, &tk, start_tok, tk.n);
				psql_meta(s, cand, eol);
				*next = eol < s->len ? eol + 1 : eol;
				free(cmd);
				res = STEP_DONE;
				goto out;
			}
			free(cmd);
			psql_meta(s, cand, eol);
			blank(s, cand, eol);
			cand = next_meta_candidate(s, eol);
			continue;
		}
		if (!s->eof)
			goto out;
		/* psql sends what is left at the end of a file without a semicolon. */
		if (start_tok != SIZE_MAX)
			queue_statement(s, &tk, start_tok, tk.n);
		*next = s->len;
		res = STEP_DONE;
		goto out;
rescan:
		cand = next_meta_candidate(s, p);
	}
out:
	free(tk.v);
	return res;
}

/* COPY data lines up to "\." (psql's end-of-data marker). */
static enum step copy_lines(struct sw_script *s, size_t p, size_t *next)
{
	while (p < s->len || s->eof) {
		bool complete;
		size_t eol;
		if (p >= s->len) {
			*next = p;
			goto end;
		}
		eol = line_end(s, p, &complete);
		if (!complete)
			return STEP_MORE;
		if (!s->copy_lines && !s->copy_offset) {
			unsigned long col;
			locate_idx(s, p, &s->copy_line, &col);
			s->copy_offset = s->base_offset + p + 1;
		}
		if ((eol - p == 2 && memcmp(s->buf + p, "\\.", 2) == 0) ||
		    (eol - p == 3 && memcmp(s->buf + p, "\\.\r", 3) == 0)) {
			*next = eol < s->len ? eol + 1 : eol;
			goto end;
		}
		s->copy_lines++;
		p = eol < s->len ? eol + 1 : eol;
		*next = p;
	}
	return STEP_MORE;
end:
	{
		struct sw_script_item *it = queue_item(s, SW_SCRIPT_DATA, 0);
		it->line = s->copy_line;
		it->col = 1;
		it->offset = s->copy_offset ? s->copy_offset - 1 : s->base_offset + *next;
		it->note = sw_xasprintf("skipped %lu line%s of COPY data from line %lu", s->copy_lines,
					s->copy_lines == 1 ? "" : "s", s->copy_line);
		s->copy_data = false;
		s->copy_lines = 0;
		s->copy_offset = 0;
		return STEP_DONE;
	}
}

static size_t skip_blank(const struct sw_script *s, size_t p)
{
	while (p < s->len && isspace((unsigned char)s->buf[p]))
		p++;
	return p;
}

static void pg_split(struct sw_script *s)
{
	size_t p = s->done;
	for (;;) {
		size_t next = p;
		enum step r;
		if (s->copy_data) {
			size_t before = s->qn;
			r = copy_lines(s, p, &next);
			/* Consumed data lines need not stay in the window. */
			s->done = next;
			p = next;
			if (r == STEP_MORE || s->qn == before)
				return;
			continue;
		}
		p = skip_blank(s, p);
		if (p >= s->len) {
			s->done = p;
			return;
		}
		if (s->buf[p] == '\\') {
			bool complete;
			size_t eol = line_end(s, p, &complete);
			if (!complete)
				return;
			psql_meta(s, p, eol);
			next = eol < s->len ? eol + 1 : eol;
		} else if (pg_statement(s, p, &next) == STEP_MORE) {
			return;
		}
		s->done = p = next;
	}
}

/* ---- MariaDB statements ---- */

/* A mysql-client DELIMITER command at buf[p] (the start of a statement)? */
static bool is_delimiter_cmd(const struct sw_script *s, size_t p)
{
	return s->len - p >= 10 && strncasecmp(s->buf + p, "delimiter", 9) == 0 &&
	       (s->buf[p + 9] == ' ' || s->buf[p + 9] == '\t');
}

static void my_delimiter(struct sw_script *s, size_t p, size_t eol)
{
	struct sw_script_item *it = queue_item(s, SW_SCRIPT_META, p);
	const char *a = s->buf + p + 9, *end = s->buf + eol, *e;

	while (end > a && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	it->text = sw_xstrndup(s->buf + p, (size_t)(end - (s->buf + p)));
	it->command = sw_xstrndup(s->buf + p, 9);
	while (a < end && (*a == ' ' || *a == '\t'))
		a++;
	for (e = a; e < end && *e != ' ' && *e != '\t'; e++)
		;
	if (e > a) {
		free(s->delimiter);
		s->delimiter = sw_xstrndup(a, (size_t)(e - a));
		it->note = sw_xasprintf("DELIMITER on line %lu: statements now end with %s", it->line, s->delimiter);
	} else {
		it->note = sw_xasprintf("DELIMITER on line %lu without a delimiter: ignored, as the mysql client "
					"does", it->line);
	}
}

static void my_queue_statement(struct sw_script *s, size_t from, size_t to)
{
	struct sw_script_item *it;
	while (to > from && isspace((unsigned char)s->buf[to - 1]))
		to--;
	if (to <= from)
		return;
	it = queue_item(s, SW_SCRIPT_STATEMENT, from);
	it->text = sw_xstrndup(s->buf + from, to - from);
	it->sql = sw_xstrdup(it->text);
}

/* Where the delimiter starts at or inside token t (not in strings or quoted names), or SIZE_MAX. */
static size_t delimiter_in(const struct sw_script *s, size_t base, const struct my_token *t)
{
	const char *d = s->delimiter;
	size_t dl = strlen(d);
	if (strcmp(d, ";") == 0)
		return t->kind == MY_T_SEMI ? base + t->start : SIZE_MAX;
	if (t->kind == MY_T_STRING || t->kind == MY_T_QIDENT || t->kind == MY_T_HEX || t->kind == MY_T_BIN ||
	    t->kind == MY_T_USERVAR)
		return SIZE_MAX;
	for (size_t i = 0; i < t->len; i++)
		if (base + t->start + i + dl <= s->len && memcmp(s->buf + base + t->start + i, d, dl) == 0)
			return base + t->start + i;
	return SIZE_MAX;
}

static void my_split(struct sw_script *s)
{
	size_t p = s->done;
	for (;;) {
		struct my_lexed lx = { 0 };
		bool relex = false;
		size_t k = 0, rest;

		p = skip_blank(s, p);
		if (p >= s->len) {
			s->done = p;
			return;
		}
		if (is_delimiter_cmd(s, p)) {
			bool complete;
			size_t eol = line_end(s, p, &complete);
			if (!complete)
				return;
			my_delimiter(s, p, eol);
			s->done = p = eol < s->len ? eol + 1 : eol;
			continue;
		}
		/* Tokens before a lexing error (an unfinished string at the window's end) are kept. */
		sw_my_lex(s->buf + p, s->len - p, s->my_sql_mode, &lx);
		while (k < lx.n) {
			size_t start = p + lx.t[k].start, at = SIZE_MAX, next;
			if (is_delimiter_cmd(s, start)) {
				s->done = start;   /* handled before lexing, on the next round */
				relex = true;
				break;
			}
			for (; k < lx.n && at == SIZE_MAX; k++)
				at = delimiter_in(s, p, &lx.t[k]);
			if (at == SIZE_MAX)
				break;
			my_queue_statement(s, start, at);
			next = at + strlen(s->delimiter);
			s->done = next;
			/* Keep walking when the delimiter ended on a token boundary; else lex again after it. */
			if (p + lx.t[k - 1].start + lx.t[k - 1].len > next) {
				relex = true;
				break;
			}
			while (k < lx.n && p + lx.t[k].start < next)
				k++;
		}
		sw_my_lexed_free(&lx);
		if (relex) {
			p = s->done;
			continue;
		}
		/* No delimiter after s->done in this window. */
		if (!s->eof)
			return;
		/* The end of the input ends the last statement, as the mysql client sends it. */
		rest = skip_blank(s, s->done);
		if (rest < s->len)
			my_queue_statement(s, rest, s->len);
		s->done = s->len;
		return;
	}
}

/* ---- reading ---- */

static struct sw_script *script_new(enum sw_engine engine, unsigned my_sql_mode)
{
	struct sw_script *s = sw_xcalloc(1, sizeof(*s));
	s->engine = engine;
	s->my_sql_mode = my_sql_mode;
	s->base_line = s->base_col = s->cur_line = s->cur_col = 1;
	s->delimiter = sw_xstrdup(";");
	return s;
}

struct sw_script *sw_script_open_file(FILE *f, enum sw_engine engine, unsigned my_sql_mode)
{
	struct sw_script *s = script_new(engine, my_sql_mode);
	s->f = f;
	return s;
}

struct sw_script *sw_script_open_mem(const char *text, size_t len, enum sw_engine engine, unsigned my_sql_mode)
{
	struct sw_script *s = script_new(engine, my_sql_mode);
	s->mem = text ? text : "";
	s->mem_len = text ? len : 0;
	return s;
}

/* Drop what is split from the window and read more input into it. */
static void refill(struct sw_script *s)
{
	size_t want, got;
	char *nul;

	if (s->done) {
		unsigned long line, col;
		locate_idx(s, s->done, &line, &col);
		s->base_line = line;
		s->base_col = col;
		s->base_offset += s->done;
		memmove(s->buf, s->buf + s->done, s->len - s->done);
		s->len -= s->done;
		s->done = 0;
		s->cur_idx = 0;
		s->cur_line = line;
		s->cur_col = col;
	}
	if (s->len >= SCRIPT_MAX_ITEM) {
		queue_error(s, 0, sw_xasprintf("a statement longer than %zu MiB starts on line %lu; the rest of the "
					       "input is not checked (split it into smaller statements)",
					       SCRIPT_MAX_ITEM >> 20, s->base_line));
		return;
	}
	/* Grow the chunk with the statement, so a long one is rescanned only a few times. */
	want = s->len > SCRIPT_CHUNK ? s->len : SCRIPT_CHUNK;
	if (s->len + want + 1 > s->cap) {
		s->cap = s->len + want + 1;
		s->buf = sw_xrealloc(s->buf, s->cap);
	}
	if (s->f) {
		got = fread(s->buf + s->len, 1, want, s->f);
		if (got < want) {
			if (ferror(s->f)) {
				s->read_error = sw_xstrdup(strerror(errno ? errno : EIO));
				s->stopped = true;
			}
			s->eof = true;
		}
	} else {
		got = s->mem_len - s->mem_pos < want ? s->mem_len - s->mem_pos : want;
		memcpy(s->buf + s->len, s->mem + s->mem_pos, got);
		s->mem_pos += got;
		s->eof = s->mem_pos >= s->mem_len;
	}
	nul = memchr(s->buf + s->len, 0, got);
	s->len += got;
	s->buf[s->len] = 0;
	if (nul) {
		/* Split what comes before it; then one ERROR item ends the input. */
		size_t at = (size_t)(nul - s->buf);
		unsigned long line, col;
		locate_idx(s, at, &line, &col);
		s->nul_error = sw_xasprintf("the input holds a NUL byte on line %lu, column %lu; a client never sends "
					    "it as part of a statement, so the rest of the input is not checked "
					    "(remove the NUL byte)", line, col);
		s->len = at;
		s->buf[at] = 0;
		s->eof = true;
	}
}

int sw_script_next(struct sw_script *s, struct sw_script_item *it)
{
	while (s->qhead == s->qn) {
		s->qhead = s->qn = 0;
		if (s->stopped)
			return 0;
		if (s->eof && s->done >= s->len && !s->copy_data) {
			if (!s->nul_error)
				return 0;
			queue_error(s, s->len, s->nul_error);
			s->nul_error = NULL;
			break;
		}
		if (!s->eof) {
			refill(s);
			if (s->stopped)
				continue;
		}
		if (s->engine == SW_ENGINE_MYSQL)
			my_split(s);
		else
			pg_split(s);
		if (s->eof && s->qn == 0 && !s->copy_data)
			s->done = s->len;   /* nothing more can come out of the window */
	}
	*it = s->q[s->qhead++];
	return 1;
}

const char *sw_script_error(const struct sw_script *s)
{
	return s->read_error;
}

void sw_script_close(struct sw_script *s)
{
	if (!s)
		return;
	for (size_t i = s->qhead; i < s->qn; i++)
		sw_script_item_free(&s->q[i]);
	for (size_t i = 0; i < s->n_vars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
		free(s->vars[i].why);
	}
	free(s->vars);
	free(s->q);
	free(s->buf);
	free(s->delimiter);
	free(s->read_error);
	free(s->nul_error);
	free(s);
}

long sw_script_pg_error_offset(const char *sql)
{
	/* The raw parser alone: its error carries the position, and success builds no output tree. */
	PgQuerySplitResult r = pg_query_split_with_parser(sql ? sql : "");
	long off = -1;
	if (r.error && r.error->cursorpos > 0)
		off = r.error->cursorpos - 1;
	pg_query_free_split_result(r);
	return off;
}
