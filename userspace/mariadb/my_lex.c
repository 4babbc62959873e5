/*
 * MariaDB 10.11 lexer (see my_lex.h). Where the server's lexer
 * (sql/sql_lex.cc, Lex_input_stream::lex_one_token) has a rule that decides
 * where a statement, string or comment ends, this follows it; anything it
 * is not sure of is a lex error, so the statement is judged unknown.
 * The connection character set is assumed to be ASCII-compatible with no
 * multi-byte character whose later bytes can be a quote or a backslash
 * (utf8mb4, utf8mb3, latin1, ascii, binary).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "my_lex.h"
#include "util.h"

struct lexer {
	const char *s;
	size_t len, p;
	unsigned mode;
	int line;
	size_t line_start;
	bool in_exec;          /* inside a live executable comment */
	bool space;            /* whitespace/comment seen since the last token */
	struct my_lexed *out;
};

static bool is_ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int peek(const struct lexer *l, size_t k)
{
	return l->p + k < l->len ? (unsigned char)l->s[l->p + k] : -1;
}

/* Advance over n bytes, counting lines. */
static void skip(struct lexer *l, size_t n)
{
	while (n-- && l->p < l->len) {
		if (l->s[l->p] == '\n') {
			l->line++;
			l->line_start = l->p + 1;
		}
		l->p++;
	}
}

static int fail(struct lexer *l, size_t at, const char *msg)
{
	int line = 1;
	size_t ls = 0;
	for (size_t i = 0; i < at && i < l->len; i++)
		if (l->s[i] == '\n') {
			line++;
			ls = i + 1;
		}
	l->out->error = sw_xstrdup(msg);
	l->out->err_line = line;
	l->out->err_col = (int)(at - ls) + 1;
	return -1;
}

static struct my_token *emit(struct lexer *l, enum my_tok_kind kind, size_t start, char *value, size_t vlen)
{
	struct my_lexed *o = l->out;
	struct my_token *t;
	int line = 1;
	size_t ls = 0;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->t = sw_xrealloc(o->t, o->cap * sizeof(*o->t));
	}
	/* Line of the token's start: recount from the current line backwards. */
	line = l->line;
	ls = l->line_start;
	if (start < ls) {
		line = 1;
		ls = 0;
		for (size_t i = 0; i < start; i++)
			if (l->s[i] == '\n') {
				line++;
				ls = i + 1;
			}
	}
	t = &o->t[o->n++];
	t->kind = kind;
	t->start = start;
	t->len = l->p - start;
	t->value = value ? value : sw_xstrndup(l->s + start, l->p - start);
	t->vlen = value ? vlen : l->p - start;
	t->line = line;
	t->col = (int)(start - ls) + 1;
	t->space_before = l->space;
	l->space = false;
	return t;
}

/*
 * A quoted run starting at l->p (the opening quote q). Doubling the quote
 * puts one in the value; a backslash escapes the next byte unless
 * NO_BACKSLASH_ESCAPES or the quote is a backtick. Returns false when
 * unterminated.
 */
static bool scan_quoted(struct lexer *l, char q, bool backslash, char **value, size_t *vlen)
{
	size_t cap = 16, n = 0;
	char *v = sw_xmalloc(cap);

	skip(l, 1);
	for (;;) {
		int c = peek(l, 0);
		if (c < 0) {
			free(v);
			return false;
		}
		if (n + 3 >= cap) {
			cap *= 2;
			v = sw_xrealloc(v, cap);
		}
		if (c == q) {
			if (peek(l, 1) == q) {
				v[n++] = q;
				skip(l, 2);
				continue;
			}
			skip(l, 1);
			break;
		}
		if (c == '\\' && backslash) {
			int e = peek(l, 1);
			if (e < 0) {
				free(v);
				return false;
			}
			switch (e) {
			case '0': v[n++] = 0; break;
			case 'b': v[n++] = '\b'; break;
			case 'n': v[n++] = '\n'; break;
			case 'r': v[n++] = '\r'; break;
			case 't': v[n++] = '\t'; break;
			case 'Z': v[n++] = 0x1a; break;
			case '%': case '_': v[n++] = '\\'; v[n++] = (char)e; break;
			default: v[n++] = (char)e; break;
			}
			skip(l, 2);
			continue;
		}
		v[n++] = (char)c;
		skip(l, 1);
	}
	v[n] = 0;
	*value = v;
	*vlen = n;
	return true;
}

static int lex_string(struct lexer *l, enum my_tok_kind kind, size_t start, char q)
{
	char *v;
	size_t vn;
	bool backslash = q != '`' && kind != MY_T_QIDENT && !(l->mode & SW_MY_MODE_NO_BACKSLASH_ESCAPES);

	if (!scan_quoted(l, q, backslash, &v, &vn))
		return fail(l, start, q == '`' || kind == MY_T_QIDENT ? "unterminated quoted identifier"
								      : "unterminated string literal");
	if (kind == MY_T_QIDENT && vn == 0) {
		free(v);
		return fail(l, start, "empty quoted identifier");
	}
	emit(l, kind, start, v, vn);
	return 0;
}

/*
 * A comment the server discards: "/ *" already at l->p. nest_ok: a
 * versioned comment for another server version may hold one level of
 * regular comment (consume_comment(1) in the server).
 */
static int skip_block_comment(struct lexer *l, size_t start, size_t prefix, bool nest_ok)
{
	int depth = 0;
	skip(l, prefix);
	for (;;) {
		int c = peek(l, 0);
		if (c < 0)
			return fail(l, start, "unterminated comment (/* without */)");
		if (nest_ok && depth == 0 && c == '/' && peek(l, 1) == '*') {
			depth++;
			skip(l, 2);
			continue;
		}
		if (c == '*' && peek(l, 1) == '/') {
			skip(l, 2);
			if (depth == 0)
				return 0;
			depth--;
			continue;
		}
		skip(l, 1);
	}
}

static int lex_comment_open(struct lexer *l)
{
	size_t start = l->p;
	bool maria = peek(l, 2) == 'M' && peek(l, 3) == '!';
	size_t marker = maria ? 4 : 3;

	if (peek(l, 2) != '!' && !maria) {
		/* Regular comment (also optimizer hints / *+ ... * /). Inside a live executable comment its own * / ends it. */
		return skip_block_comment(l, start, 2, false);
	}
	if (l->in_exec)
		return fail(l, start, "executable comment inside an executable comment");
	bool versioned = true;
	for (size_t k = 0; k < 5; k++)
		if (!is_digit((unsigned char)(peek(l, marker + k) < 0 ? 0 : peek(l, marker + k))))
			versioned = false;
	if (!versioned) {
		skip(l, marker);
		l->in_exec = true;
		return 0;
	}
	size_t ndig = peek(l, marker + 5) >= 0 && is_digit((unsigned char)peek(l, marker + 5)) ? 6 : 5;
	unsigned long version = 0;
	for (size_t k = 0; k < ndig; k++)
		version = version * 10 + (unsigned long)(peek(l, marker + k) - '0');
	if (version <= SW_MY_SERVER_VERSION && (version < 50700 || version > 99999 || maria)) {
		skip(l, marker + ndig);
		l->in_exec = true;
		return 0;
	}
	return skip_block_comment(l, start, marker + ndig, true);
}

static int lex_number_or_word(struct lexer *l)
{
	size_t start = l->p;
	int c0 = peek(l, 0), c1 = peek(l, 1);

	if (c0 == '0' && (c1 == 'x' || c1 == 'b')) {
		size_t k = 2;
		bool hex = c1 == 'x';
		while (peek(l, k) >= 0 && (hex ? strchr("0123456789abcdefABCDEF", peek(l, k)) != NULL
					       : (peek(l, k) == '0' || peek(l, k) == '1')))
			k++;
		if (k > 2 && (peek(l, k) < 0 || !is_ident_char((unsigned char)peek(l, k)))) {
			skip(l, k);
			emit(l, hex ? MY_T_HEX : MY_T_BIN, start, NULL, 0);
			return 0;
		}
	}
	size_t k = 0;
	while (peek(l, k) >= 0 && is_digit((unsigned char)peek(l, k)))
		k++;
	bool number = true;
	if (peek(l, k) == '.' ) {
		k++;
		while (peek(l, k) >= 0 && is_digit((unsigned char)peek(l, k)))
			k++;
	}
	if ((peek(l, k) == 'e' || peek(l, k) == 'E') &&
	    (is_digit((unsigned char)(peek(l, k + 1) < 0 ? 0 : peek(l, k + 1))) ||
	     ((peek(l, k + 1) == '+' || peek(l, k + 1) == '-') &&
	      is_digit((unsigned char)(peek(l, k + 2) < 0 ? 0 : peek(l, k + 2)))))) {
		k += 2;
		while (peek(l, k) >= 0 && is_digit((unsigned char)peek(l, k)))
			k++;
	}
	if (peek(l, k) >= 0 && is_ident_char((unsigned char)peek(l, k))) {
		/* 1abc: an identifier that starts with digits (only when no '.' was taken). */
		if (memchr(l->s + start, '.', k) != NULL)
			return fail(l, start, "malformed number");
		number = false;
		while (peek(l, k) >= 0 && is_ident_char((unsigned char)peek(l, k)))
			k++;
	}
	skip(l, k);
	emit(l, number ? MY_T_NUMBER : MY_T_WORD, start, NULL, 0);
	return 0;
}

static int lex_word(struct lexer *l)
{
	size_t start = l->p, k = 0;
	while (peek(l, k) >= 0 && is_ident_char((unsigned char)peek(l, k)))
		k++;
	if (k == 1 && peek(l, 1) == '\'') {
		int c = peek(l, 0) | 0x20;
		if (c == 'n') {
			skip(l, 1);
			return lex_string(l, MY_T_STRING, start, '\'');
		}
		if (c == 'x' || c == 'b') {
			char *v;
			size_t vn;
			skip(l, 1);
			if (!scan_quoted(l, '\'', false, &v, &vn))
				return fail(l, start, "unterminated hex/bit literal");
			for (size_t i = 0; i < vn; i++)
				if (c == 'x' ? !strchr("0123456789abcdefABCDEF", v[i]) || !v[i] : (v[i] != '0' && v[i] != '1')) {
					free(v);
					return fail(l, start, "malformed hex/bit literal");
				}
			emit(l, c == 'x' ? MY_T_HEX : MY_T_BIN, start, v, vn);
			return 0;
		}
	}
	skip(l, k);
	emit(l, MY_T_WORD, start, NULL, 0);
	return 0;
}

static int lex_at(struct lexer *l)
{
	size_t start = l->p;
	if (peek(l, 1) == '@') {
		size_t k = 2;
		while (peek(l, k) >= 0 && is_ident_char((unsigned char)peek(l, k)))
			k++;
		if (peek(l, k) == '.' && k > 2) {
			k++;
			size_t before = k;
			while (peek(l, k) >= 0 && is_ident_char((unsigned char)peek(l, k)))
				k++;
			if (k == before)
				return fail(l, start, "system variable name missing after the scope");
		}
		if (k == 2)
			return fail(l, start, "system variable name missing after @@");
		skip(l, k);
		emit(l, MY_T_SYSVAR, start, sw_xstrndup(l->s + start + 2, k - 2), k - 2);
		return 0;
	}
	int c = peek(l, 1);
	if (c == '\'' || c == '"' || c == '`') {
		char *v;
		size_t vn;
		skip(l, 1);
		if (!scan_quoted(l, (char)c, c != '`' && !(l->mode & SW_MY_MODE_NO_BACKSLASH_ESCAPES), &v, &vn))
			return fail(l, start, "unterminated quoted user variable name");
		emit(l, MY_T_USERVAR, start, v, vn);
		return 0;
	}
	size_t k = 1;
	while (peek(l, k) >= 0 && (is_ident_char((unsigned char)peek(l, k)) || peek(l, k) == '.'))
		k++;
	skip(l, k);
	if (k == 1) {
		emit(l, MY_T_OP, start, NULL, 0);
		return 0;
	}
	emit(l, MY_T_USERVAR, start, sw_xstrndup(l->s + start + 1, k - 1), k - 1);
	return 0;
}

static int lex_operator(struct lexer *l)
{
	static const char *const multi[] = { "<=>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", NULL };
	static const char single[] = "()+-*/%=<>!~^&|:,.{}";
	size_t start = l->p;

	for (size_t i = 0; multi[i]; i++) {
		size_t n = strlen(multi[i]);
		if (l->p + n <= l->len && memcmp(l->s + l->p, multi[i], n) == 0) {
			skip(l, n);
			emit(l, MY_T_OP, start, NULL, 0);
			return 0;
		}
	}
	if (l->s[l->p] && strchr(single, l->s[l->p])) {
		skip(l, 1);
		emit(l, MY_T_OP, start, NULL, 0);
		return 0;
	}
	/* \N outside a string is NULL (the server's MY_LEX_ESCAPE; upper-case N only). */
	if (l->s[l->p] == '\\' && peek(l, 1) == 'N') {
		skip(l, 2);
		emit(l, MY_T_WORD, start, sw_xstrdup("NULL"), 4);
		return 0;
	}
	return fail(l, start, "unexpected character");
}

int sw_my_lex(const char *sql, size_t len, unsigned mode, struct my_lexed *out)
{
	struct lexer l = { .s = sql, .len = len, .mode = mode, .line = 1, .out = out };

	memset(out, 0, sizeof(*out));
	while (l.p < l.len) {
		unsigned char c = (unsigned char)sql[l.p];
		int rc = 0;

		if (is_space(c)) {
			skip(&l, 1);
			l.space = true;
			continue;
		}
		if (c == 0)
			return fail(&l, l.p, "NUL byte in the statement text");
		if (c == '#' || (c == '-' && peek(&l, 1) == '-' &&
				 (peek(&l, 2) < 0 || is_space((unsigned char)peek(&l, 2)) || peek(&l, 2) < 0x20))) {
			while (l.p < l.len && sql[l.p] != '\n')
				skip(&l, 1);
			l.space = true;
			continue;
		}
		if (c == '/' && peek(&l, 1) == '*') {
			rc = lex_comment_open(&l);
			l.space = true;
		} else if (c == '*' && peek(&l, 1) == '/' && l.in_exec) {
			skip(&l, 2);
			l.in_exec = false;
			l.space = true;
		} else if (c == '\'') {
			rc = lex_string(&l, MY_T_STRING, l.p, '\'');
		} else if (c == '"') {
			rc = lex_string(&l, (mode & SW_MY_MODE_ANSI_QUOTES) ? MY_T_QIDENT : MY_T_STRING, l.p, '"');
		} else if (c == '`') {
			rc = lex_string(&l, MY_T_QIDENT, l.p, '`');
		} else if (is_digit(c) || (c == '.' && is_digit((unsigned char)(peek(&l, 1) < 0 ? 0 : peek(&l, 1))) &&
					   !(l.out->n && l.out->t[l.out->n - 1].kind != MY_T_OP &&
					     l.out->t[l.out->n - 1].kind != MY_T_SEMI && !l.space))) {
			rc = lex_number_or_word(&l);
		} else if (is_ident_char(c)) {
			rc = lex_word(&l);
		} else if (c == '@') {
			rc = lex_at(&l);
		} else if (c == '?') {
			skip(&l, 1);
			emit(&l, MY_T_PARAM, l.p - 1, NULL, 0);
		} else if (c == ';') {
			skip(&l, 1);
			emit(&l, MY_T_SEMI, l.p - 1, NULL, 0);
		} else {
			rc = lex_operator(&l);
		}
		if (rc < 0)
			return -1;
	}
	if (l.in_exec)
		return fail(&l, l.len, "unterminated executable comment (/*! without */)");
	return 0;
}

void sw_my_lexed_free(struct my_lexed *lx)
{
	for (size_t i = 0; i < lx->n; i++)
		free(lx->t[i].value);
	free(lx->t);
	free(lx->error);
	memset(lx, 0, sizeof(*lx));
}
