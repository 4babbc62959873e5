/*
 * A request id from a statement's leading comment or from application_name
 * (request_id.h). Where a comment starts and ends is the engine's lexer's
 * business: PostgreSQL's scanner (libpg_query) reports comment tokens, and
 * for MariaDB my_lex says where the first real token starts, so everything
 * before it is whitespace and comments the server discards.
 */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <string.h>
#include "request_id.h"
#include "my_lex.h"

static bool id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == ':' || c == '-';
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* "request=ID" at s[0..len): the ID when every byte of it is an ID character. */
static bool take_request(const char *s, size_t len, char *out)
{
	static const char key[] = "request=";
	size_t k = sizeof(key) - 1;

	if (len <= k || len - k > SW_REQUEST_ID_MAX || memcmp(s, key, k) != 0)
		return false;
	for (size_t i = k; i < len; i++)
		if (!id_char(s[i]))
			return false;
	memcpy(out, s + k, len - k);
	out[len - k] = 0;
	return true;
}

/* The first space-separated word of s[0..len) that is "request=ID". */
static bool find_request_word(const char *s, size_t len, char *out)
{
	size_t i = 0;

	while (i < len) {
		size_t w;
		while (i < len && blank(s[i]))
			i++;
		for (w = i; w < len && !blank(s[w]); w++)
			;
		if (w > i && take_request(s + i, w - i, out))
			return true;
		i = w;
	}
	return false;
}

bool sw_request_id_from_comment(const char *comment, size_t len, char *out)
{
	static const char tag[] = "sqlward:";
	const char *s = comment;
	size_t n = len;

	/* The comment's delimiters, as the lexer delimited it. */
	if (n >= 4 && s[0] == '/' && s[1] == '*' && s[n - 2] == '*' && s[n - 1] == '/') {
		s += 2;
		n -= 4;
	} else if (n >= 2 && s[0] == '-' && s[1] == '-') {
		s += 2;
		n -= 2;
	} else if (n >= 1 && s[0] == '#') {
		s += 1;
		n -= 1;
	} else {
		return false;
	}
	while (n && blank(*s)) {
		s++;
		n--;
	}
	if (n < sizeof(tag) - 1 || memcmp(s, tag, sizeof(tag) - 1) != 0)
		return false;
	return find_request_word(s + sizeof(tag) - 1, n - (sizeof(tag) - 1), out);
}

/* Does sql (after whitespace) start with something that may open a comment? Saves a scan of
 * every statement that has none; the lexers decide what it really is. */
static size_t comment_may_start(const char *sql, size_t len, bool *found)
{
	size_t i = 0;

	while (i < len && blank(sql[i]))
		i++;
	*found = i + 1 < len && ((sql[i] == '/' && sql[i + 1] == '*') || (sql[i] == '-' && sql[i + 1] == '-'));
	if (!*found)
		*found = i < len && sql[i] == '#';
	return i;
}

bool sw_request_id_pg(const char *sql, char *out)
{
	PgQueryScanResult r;
	PgQuery__ScanResult *sr;
	bool found = false, may;
	size_t len = strlen(sql);

	comment_may_start(sql, len, &may);
	if (!may)
		return false;
	r = pg_query_scan(sql);
	if (r.error) {
		pg_query_free_scan_result(r);
		return false;
	}
	sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	pg_query_free_scan_result(r);
	if (!sr)
		return false;
	for (size_t i = 0; i < sr->n_tokens && !found; i++) {
		const PgQuery__ScanToken *t = sr->tokens[i];
		if (t->token != PG_QUERY__TOKEN__SQL_COMMENT && t->token != PG_QUERY__TOKEN__C_COMMENT)
			break;   /* the first real token: no comment after it leads */
		if (t->start < 0 || t->end < t->start || (size_t)t->end > len)
			break;
		found = sw_request_id_from_comment(sql + t->start, (size_t)(t->end - t->start), out);
	}
	pg_query__scan_result__free_unpacked(sr, NULL);
	return found;
}

/*
 * MariaDB discards regular comments ("/ *" not followed by "!" or "M!", "#",
 * and "--" followed by a space or control character); everything before
 * my_lex's first token is such comments and whitespace, or the opening of an
 * executable comment (which is code, not a comment: the walk stops there).
 */
bool sw_request_id_my(const char *sql, size_t len, unsigned mode, char *out)
{
	struct my_lexed lx = { 0 };
	size_t first, i;
	bool may, found = false;

	comment_may_start(sql, len, &may);
	if (!may)
		return false;
	if (sw_my_lex(sql, len, mode, &lx) < 0 && lx.n == 0) {
		sw_my_lexed_free(&lx);
		return false;
	}
	first = lx.n ? lx.t[0].start : len;
	sw_my_lexed_free(&lx);
	i = 0;
	while (i < first && !found) {
		size_t end;
		while (i < first && blank(sql[i]))
			i++;
		if (i + 1 < first && sql[i] == '/' && sql[i + 1] == '*') {
			const char *close;
			if (i + 2 < first && (sql[i + 2] == '!' || (sql[i + 2] == 'M' && i + 3 < first && sql[i + 3] == '!')))
				break;   /* executable comment */
			close = i + 2 < first ? memmem(sql + i + 2, first - i - 2, "*/", 2) : NULL;
			if (!close)
				break;
			end = (size_t)(close - sql) + 2;
		} else if (i < first && (sql[i] == '#' || (i + 1 < first && sql[i] == '-' && sql[i + 1] == '-'))) {
			const char *nl = memchr(sql + i, '\n', first - i);
			end = nl ? (size_t)(nl - sql) : first;
		} else {
			break;
		}
		found = sw_request_id_from_comment(sql + i, end - i, out);
		i = end;
	}
	return found;
}

bool sw_request_id_from_application(const char *app, char *out)
{
	size_t len = app ? strlen(app) : 0;

	/* A word of its own: at the start or after a separator people use in labels. */
	for (size_t i = 0; i < len; i++) {
		size_t w;
		if (i > 0 && !blank(app[i - 1]) && app[i - 1] != ';' && app[i - 1] != ',' && app[i - 1] != '/')
			continue;
		for (w = i; w < len && !blank(app[w]) && app[w] != ';' && app[w] != ',' && app[w] != '/'; w++)
			;
		if (take_request(app + i, w - i, out))
			return true;
	}
	return false;
}
