/*
 * A lexer for MariaDB 10.11 SQL, written after the server's own
 * (sql/sql_lex.cc): comments, executable comments (/ *! ... * /, versioned,
 * / *M! ... * /), strings and identifiers as the session's sql_mode makes
 * them. It yields a flat token list for a whole multi-statement string;
 * my_grammar.y gives the tokens meaning. It never looks at keywords.
 */
#ifndef SQLWARD_MY_LEX_H
#define SQLWARD_MY_LEX_H

#include <stddef.h>

/* The server version executable comments are compared with (10.11.19). */
#define SW_MY_SERVER_VERSION 101119UL

/* sqlward's own sql_mode bits (my_classify.h converts the server's). */
#define SW_MY_MODE_ANSI_QUOTES          (1u << 0)
#define SW_MY_MODE_NO_BACKSLASH_ESCAPES (1u << 1)
#define SW_MY_MODE_PIPES_AS_CONCAT      (1u << 2)
#define SW_MY_MODE_IGNORE_SPACE         (1u << 3)
/* MODE_ORACLE: the server switches to another grammar (sql_yacc_ora.yy). */
#define SW_MY_MODE_ORACLE               (1u << 4)

enum my_tok_kind {
	MY_T_WORD,      /* bare word: keyword or identifier (text as written) */
	MY_T_QIDENT,    /* `quoted` (or "quoted" under ANSI_QUOTES) identifier: value unquoted */
	MY_T_STRING,    /* '...' / "..." / N'...': value decoded */
	MY_T_HEX,       /* X'..' or 0x.. */
	MY_T_BIN,       /* B'..' or 0b.. */
	MY_T_NUMBER,    /* integer or decimal/float */
	MY_T_USERVAR,   /* @name, @'name', @`name`: value is the name */
	MY_T_SYSVAR,    /* @@name or @@scope.name: value is what follows @@ up to the name's end */
	MY_T_PARAM,     /* ? */
	MY_T_OP,        /* operator or punctuation: value is its text */
	MY_T_SEMI,      /* ; */
};

struct my_token {
	enum my_tok_kind kind;
	size_t start, len;   /* byte range in the input */
	char *value;         /* malloc'd, NUL-terminated; see the kinds above */
	size_t vlen;         /* bytes in value (a decoded string may hold a NUL byte) */
	int line, col;       /* 1-based position of the token's first byte */
	int space_before;    /* whitespace or a comment precedes it */
};

struct my_lexed {
	struct my_token *t;
	size_t n, cap;
	char *error;         /* set when lexing failed */
	int err_line, err_col;
};

/* Lex the whole input. Returns 0, or -1 with out->error set (the tokens read before the error are kept). */
int sw_my_lex(const char *sql, size_t len, unsigned mode, struct my_lexed *out);
void sw_my_lexed_free(struct my_lexed *lx);

#endif
