/*
 * sw_plan_stmt_digest (plan_digest.h): what a running statement is compared with
 * to be a plan's step. SHA-256 over the statement's tokens as the engine's
 * own lexer finds them: each token's exact source bytes, each followed by a
 * 0x00 byte (no token holds one: both lexers stop at a NUL), comments and
 * white space left out, a final ';' dropped.
 *
 * Exact token text means keyword case counts too: "select" and "SELECT" give
 * different digests. A migration tool sends the text it read from the file
 * that was reviewed, so only layout and comments may differ; anything a
 * person could have changed on purpose makes a different statement.
 *
 * MariaDB: executable comments (/ *! ... * /, / *M! ... * / for this server
 * version) are code to the server, so my_lex yields their tokens like any
 * other and they count; their markers are not tokens. A versioned comment for
 * a newer server is skipped by the server and by my_lex alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "my_lex.h"
#include "plan_digest.h"
#include "util.h"

struct tok_range {
	size_t start, end;
};

static void hex_of(const unsigned char *md, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = 0;
}

/* Hash the ranges of sql (the last one dropped when it is a lone ';'). */
static void digest_ranges(const char *sql, const struct tok_range *r, size_t n, bool last_is_semi, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;
	static const unsigned char sep = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "sqlward: OpenSSL cannot compute SHA-256\n");
		abort();
	}
	if (n && last_is_semi)
		n--;
	for (size_t i = 0; i < n; i++) {
		EVP_DigestUpdate(ctx, sql + r[i].start, r[i].end - r[i].start);
		EVP_DigestUpdate(ctx, &sep, 1);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	hex_of(md, out);
}

/* The code tokens of sql (NUL-terminated, len bytes): *out malloc'd, *semi when the last is ';'. */
static long pg_tokens(const char *sql, size_t len, struct tok_range **out, bool *semi, char *err, size_t errlen)
{
	PgQueryScanResult r = pg_query_scan(sql);
	PgQuery__ScanResult *sr;
	struct tok_range *ranges;
	size_t n = 0;

	if (r.error) {
		snprintf(err, errlen, "PostgreSQL's scanner rejects the statement at byte %d: %s",
			 r.error->cursorpos, r.error->message);
		pg_query_free_scan_result(r);
		return -1;
	}
	sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	pg_query_free_scan_result(r);
	if (!sr) {
		snprintf(err, errlen, "cannot read libpg_query's scan result");
		return -1;
	}
	*semi = false;
	ranges = sw_xcalloc(sr->n_tokens ? sr->n_tokens : 1, sizeof(*ranges));
	for (size_t i = 0; i < sr->n_tokens; i++) {
		const PgQuery__ScanToken *t = sr->tokens[i];
		if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT)
			continue;
		if (t->start < 0 || t->end < t->start || (size_t)t->end > len) {
			snprintf(err, errlen, "libpg_query reported a token outside the statement (%d..%d)", t->start,
				 t->end);
			free(ranges);
			pg_query__scan_result__free_unpacked(sr, NULL);
			return -1;
		}
		ranges[n].start = (size_t)t->start;
		ranges[n].end = (size_t)t->end;
		*semi = t->token == PG_QUERY__TOKEN__ASCII_59;
		n++;
	}
	pg_query__scan_result__free_unpacked(sr, NULL);
	*out = ranges;
	return (long)n;
}

static long my_tokens(const char *sql, size_t len, struct tok_range **out, bool *semi, char *err, size_t errlen)
{
	struct my_lexed lx = { 0 };
	struct tok_range *ranges;
	size_t n;

	/* The default sql_mode's lexing (no ANSI_QUOTES, backslash escapes on): what a session starts with. */
	if (sw_my_lex(sql, len, 0, &lx) < 0) {
		snprintf(err, errlen, "MariaDB's lexer rejects the statement at line %d, column %d: %s", lx.err_line,
			 lx.err_col, lx.error ? lx.error : "?");
		sw_my_lexed_free(&lx);
		return -1;
	}
	ranges = sw_xcalloc(lx.n ? lx.n : 1, sizeof(*ranges));
	for (size_t i = 0; i < lx.n; i++) {
		ranges[i].start = lx.t[i].start;
		ranges[i].end = lx.t[i].start + lx.t[i].len;
	}
	*semi = lx.n && lx.t[lx.n - 1].kind == MY_T_SEMI;
	n = lx.n;
	sw_my_lexed_free(&lx);
	*out = ranges;
	return (long)n;
}

static long tokens(enum sw_engine e, const char *sql, size_t len, struct tok_range **out, bool *semi, char *err,
		   size_t errlen)
{
	char *copy;
	long n;

	if (memchr(sql, 0, len)) {
		snprintf(err, errlen, "the statement contains a NUL byte; no server receives that as one statement");
		return -1;
	}
	copy = sw_xstrndup(sql, len);   /* both lexers read a NUL-terminated string */
	n = e == SW_ENGINE_MYSQL ? my_tokens(copy, len, out, semi, err, errlen)
				 : pg_tokens(copy, len, out, semi, err, errlen);
	free(copy);
	return n;
}

int sw_plan_stmt_digest(enum sw_engine e, const char *sql, size_t len, char out[65], char *err, size_t errlen)
{
	struct tok_range *r;
	bool semi;
	long n = tokens(e, sql, len, &r, &semi, err, errlen);

	if (n < 0)
		return -1;
	digest_ranges(sql, r, (size_t)n, semi, out);
	free(r);
	return 0;
}

long sw_plan_stmt_code_offset(enum sw_engine e, const char *sql, size_t len)
{
	struct tok_range *r;
	bool semi;
	char err[8];
	long n = tokens(e, sql, len, &r, &semi, err, sizeof(err)), off;

	if (n < 0)
		return -1;
	off = n > 0 ? (long)r[0].start : 0;
	free(r);
	return off;
}
