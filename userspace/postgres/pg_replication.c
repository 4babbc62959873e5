/*
 * Replication-protocol commands (see pg_replication.h): a lexer that follows
 * PostgreSQL 15's repl_scanner.l rule for rule, a recursive-descent parser
 * that accepts what repl_gram.y accepts, and the reasons an approver reads.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pg_replication.h"
#include "util.h"

/* ---- lexer (repl_scanner.l) ------------------------------------------------ */

/* Token kinds: 1..255 are single characters, as the scanner returns them. */
enum repl_tok {
	TOK_EOF = 0,
	TOK_IDENT = 256,
	TOK_SCONST,
	TOK_UCONST,
	TOK_RECPTR,
	TOK_LEX_ERROR,
	K_BASE_BACKUP,
	K_IDENTIFY_SYSTEM,
	K_READ_REPLICATION_SLOT,
	K_SHOW,
	K_TIMELINE,
	K_START_REPLICATION,
	K_CREATE_REPLICATION_SLOT,
	K_DROP_REPLICATION_SLOT,
	K_TIMELINE_HISTORY,
	K_PHYSICAL,
	K_RESERVE_WAL,
	K_LOGICAL,
	K_SLOT,
	K_TEMPORARY,
	K_TWO_PHASE,
	K_EXPORT_SNAPSHOT,
	K_NOEXPORT_SNAPSHOT,
	K_USE_SNAPSHOT,
	K_WAIT,
};

struct repl_keyword {
	const char *word;   /* upper case: flex matches it case-sensitively */
	int tok;             /* enum repl_tok */
	bool starts_command; /* replication_scanner_is_replication_command() says yes */
	bool option_name;    /* in repl_gram.y's ident_or_keyword (all but READ_REPLICATION_SLOT) */
};

/* In repl_scanner.l's rule order. */
static const struct repl_keyword repl_keywords[] = {
	{ "BASE_BACKUP", K_BASE_BACKUP, true, true },
	{ "IDENTIFY_SYSTEM", K_IDENTIFY_SYSTEM, true, true },
	{ "READ_REPLICATION_SLOT", K_READ_REPLICATION_SLOT, true, false },
	{ "SHOW", K_SHOW, true, true },
	{ "TIMELINE", K_TIMELINE, false, true },
	{ "START_REPLICATION", K_START_REPLICATION, true, true },
	{ "CREATE_REPLICATION_SLOT", K_CREATE_REPLICATION_SLOT, true, true },
	{ "DROP_REPLICATION_SLOT", K_DROP_REPLICATION_SLOT, true, true },
	{ "TIMELINE_HISTORY", K_TIMELINE_HISTORY, true, true },
	{ "PHYSICAL", K_PHYSICAL, false, true },
	{ "RESERVE_WAL", K_RESERVE_WAL, false, true },
	{ "LOGICAL", K_LOGICAL, false, true },
	{ "SLOT", K_SLOT, false, true },
	{ "TEMPORARY", K_TEMPORARY, false, true },
	{ "TWO_PHASE", K_TWO_PHASE, false, true },
	{ "EXPORT_SNAPSHOT", K_EXPORT_SNAPSHOT, false, true },
	{ "NOEXPORT_SNAPSHOT", K_NOEXPORT_SNAPSHOT, false, true },
	{ "USE_SNAPSHOT", K_USE_SNAPSHOT, false, true },
	{ "WAIT", K_WAIT, false, true },
};
#define N_REPL_KEYWORDS (sizeof(repl_keywords) / sizeof(repl_keywords[0]))

/* NAMEDATALEN - 1: the server truncates identifiers to this many bytes. */
#define REPL_MAX_IDENT 63

struct repl_token {
	int kind;          /* enum repl_tok or a character */
	char *str;         /* TOK_IDENT, TOK_SCONST: the value (owned) */
	uint32_t uval;     /* TOK_UCONST */
	uint32_t lsn_hi, lsn_lo; /* TOK_RECPTR */
};

struct repl_lexer {
	const char *s;
	size_t pos;
	char *error;       /* set with TOK_LEX_ERROR */
};

/* The scanner's classes are plain ASCII, whatever the process locale says. */
static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hexdigit(unsigned char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static bool is_repl_space(unsigned char c)
{
	/* {space} is [ \t\n\r\f]: no \v, unlike isspace(). */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80 || c == '_';
}

static bool is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

static size_t run_length(const char *s, bool (*in_class)(unsigned char))
{
	size_t n = 0;
	while (s[n] && in_class((unsigned char)s[n]))
		n++;
	return n;
}

/*
 * strtoul() into a uint32, as the scanner's actions do: strtoul saturates at
 * ULONG_MAX (64 bits here) and the assignment keeps the low 32 bits.
 */
static uint32_t scanner_uint32(const char *digits, size_t n, int base)
{
	char *copy = sw_xstrndup(digits, n);
	unsigned long v = strtoul(copy, NULL, base);

	free(copy);
	return (uint32_t)v;
}

/* Back off so that a cut at n bytes does not split a UTF-8 sequence (pg_mbcliplen). */
static size_t utf8_clip(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* truncate_identifier(): at most 63 bytes (the server also warns). */
static char *make_identifier(const char *s, size_t n, bool downcase)
{
	char *id;

	if (n > REPL_MAX_IDENT)
		n = utf8_clip(s, REPL_MAX_IDENT);
	id = sw_xstrndup(s, n);
	/* downcase_truncate_identifier: ASCII letters only (UTF-8 database). */
	for (char *p = id; downcase && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return id;
}

/* <xq>: '' is a quote; no backslash escapes. */
static bool lex_single_quoted(struct repl_lexer *lx, struct repl_token *t)
{
	const char *s = lx->s;
	size_t i = lx->pos + 1, len = 0, cap = 16;
	char *buf = sw_xmalloc(cap);

	for (;;) {
		if (!s[i]) {
			free(buf);
			lx->error = sw_xstrdup("unterminated quoted string");
			lx->pos = i;
			return false;
		}
		if (s[i] == '\'') {
			if (s[i + 1] != '\'')
				break;
			i++;  /* '' stands for one quote */
		}
		if (len + 2 > cap)
			buf = sw_xrealloc(buf, cap *= 2);
		buf[len++] = s[i++];
	}
	buf[len] = '\0';
	t->kind = TOK_SCONST;
	t->str = buf;
	lx->pos = i + 1;
	return true;
}

/* <xd>: everything up to the next double quote ("" is NOT an escape here). */
static bool lex_double_quoted(struct repl_lexer *lx, struct repl_token *t)
{
	const char *start = lx->s + lx->pos + 1;
	const char *end = strchr(start, '"');

	if (!end) {
		lx->error = sw_xstrdup("unterminated quoted string");
		lx->pos += 1 + strlen(start);
		return false;
	}
	t->kind = TOK_IDENT;
	t->str = make_identifier(start, (size_t)(end - start), false);
	lx->pos = (size_t)(end - lx->s) + 1;
	return true;
}

/*
 * The next token. Flex takes the longest match and, among equally long
 * ones, the earliest rule: keywords, {space}, {digit}+, RECPTR, quotes,
 * {identifier}, then any single character.
 */
static void lex_next(struct repl_lexer *lx, struct repl_token *t)
{
	const char *p;
	size_t kw_len = 0, digit_len, hex_len, recptr_len = 0, ident_len = 0;
	int kw_tok = 0;

	memset(t, 0, sizeof(*t));
	while (is_repl_space((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	p = lx->s + lx->pos;
	if (!*p) {
		t->kind = TOK_EOF;
		return;
	}
	if (*p == '\'' || *p == '"') {
		if (!(*p == '\'' ? lex_single_quoted(lx, t) : lex_double_quoted(lx, t)))
			t->kind = TOK_LEX_ERROR;
		return;
	}
	for (size_t k = 0; k < N_REPL_KEYWORDS; k++) {
		size_t n = strlen(repl_keywords[k].word);
		if (n > kw_len && strncmp(p, repl_keywords[k].word, n) == 0) {
			kw_len = n;
			kw_tok = repl_keywords[k].tok;
		}
	}
	digit_len = run_length(p, is_digit);
	hex_len = run_length(p, is_hexdigit);
	if (hex_len && p[hex_len] == '/') {
		size_t lo_len = run_length(p + hex_len + 1, is_hexdigit);
		if (lo_len)
			recptr_len = hex_len + 1 + lo_len;
	}
	if (is_ident_start((unsigned char)*p)) {
		ident_len = 1;
		while (is_ident_cont((unsigned char)p[ident_len]))
			ident_len++;
	}

	if (kw_len && kw_len >= digit_len && kw_len >= recptr_len && kw_len >= ident_len) {
		t->kind = kw_tok;
		lx->pos += kw_len;
	} else if (digit_len && digit_len >= recptr_len && digit_len >= ident_len) {
		t->kind = TOK_UCONST;
		t->uval = scanner_uint32(p, digit_len, 10);
		lx->pos += digit_len;
	} else if (recptr_len && recptr_len >= ident_len) {
		/* sscanf("%X/%X") into uint32s: strtoul each half, keep the low 32 bits. */
		t->kind = TOK_RECPTR;
		t->lsn_hi = scanner_uint32(p, hex_len, 16);
		t->lsn_lo = scanner_uint32(p + hex_len + 1, recptr_len - hex_len - 1, 16);
		lx->pos += recptr_len;
	} else if (ident_len) {
		t->kind = TOK_IDENT;
		t->str = make_identifier(p, ident_len, true);
		lx->pos += ident_len;
	} else {
		t->kind = (unsigned char)*p;
		lx->pos++;
	}
}

static bool starts_command(int kind)
{
	for (size_t k = 0; k < N_REPL_KEYWORDS; k++)
		if (repl_keywords[k].tok == kind)
			return repl_keywords[k].starts_command;
	return false;
}

static bool is_option_keyword(int kind)
{
	for (size_t k = 0; k < N_REPL_KEYWORDS; k++)
		if (repl_keywords[k].tok == kind)
			return repl_keywords[k].option_name;
	return false;
}

static const char *keyword_text(int kind)
{
	for (size_t k = 0; k < N_REPL_KEYWORDS; k++)
		if (repl_keywords[k].tok == kind)
			return repl_keywords[k].word;
	return NULL;
}

/* ---- parser (repl_gram.y) ----------------------------------------------------- */

enum repl_value_kind { VALUE_NONE, VALUE_IDENT, VALUE_STRING, VALUE_NUMBER };

/* A DefElem: generic_option, plugin_opt_elem or a legacy slot option. */
struct repl_option {
	char *name;
	enum repl_value_kind kind;
	char *value;       /* NULL for VALUE_NONE; decimal text for VALUE_NUMBER */
};

/* What the command says, filled while parsing. */
struct repl_cmd {
	int command;       /* the first keyword */
	char *name;        /* slot (CREATE/DROP/READ/START ... SLOT) or SHOW's setting */
	char *plugin;      /* CREATE ... LOGICAL plugin */
	bool logical, temporary, wait;
	bool has_lsn;
	uint32_t lsn_hi, lsn_lo;
	uint32_t timeline; /* 0: not given */
	struct repl_option *options;
	size_t n_options;
};

struct repl_parser {
	struct repl_lexer lx;
	struct repl_token tok;  /* lookahead */
	struct repl_cmd cmd;
	char *error;            /* first error: why the command does not parse */
};

static void advance(struct repl_parser *ps)
{
	free(ps->tok.str);
	lex_next(&ps->lx, &ps->tok);
}

/* What the lookahead token looks like, for error messages. */
static char *describe_token(const struct repl_token *t)
{
	const char *kw = keyword_text(t->kind);

	if (kw)
		return sw_xstrdup(kw);
	switch (t->kind) {
	case TOK_EOF: return sw_xstrdup("end of command");
	case TOK_IDENT: return sw_xasprintf("name \"%s\"", t->str);
	case TOK_SCONST: return sw_xasprintf("string '%s'", t->str);
	case TOK_UCONST: return sw_xasprintf("number %" PRIu32, t->uval);
	case TOK_RECPTR: return sw_xasprintf("WAL location %" PRIX32 "/%" PRIX32, t->lsn_hi, t->lsn_lo);
	default:
		if (t->kind > ' ' && t->kind < 0x7F)
			return sw_xasprintf("\"%c\"", t->kind);
		return sw_xasprintf("character \\x%02X", (unsigned)t->kind);
	}
}

/* Record the first syntax error; always returns false. */
static bool syntax_error(struct repl_parser *ps, const char *expected)
{
	if (!ps->error) {
		if (ps->tok.kind == TOK_LEX_ERROR) {
			ps->error = sw_xstrdup(ps->lx.error);
		} else {
			char *got = describe_token(&ps->tok);
			ps->error = sw_xasprintf("expected %s, found %s", expected, got);
			free(got);
		}
	}
	return false;
}

static bool accept(struct repl_parser *ps, int kind)
{
	if (ps->tok.kind != kind)
		return false;
	advance(ps);
	return true;
}

static bool expect(struct repl_parser *ps, int kind, const char *what)
{
	return accept(ps, kind) || syntax_error(ps, what);
}

/* Take the lookahead's string (IDENT, SCONST) and move on. */
static char *take_string(struct repl_parser *ps)
{
	char *s = ps->tok.str;
	ps->tok.str = NULL;
	advance(ps);
	return s;
}

static bool expect_ident(struct repl_parser *ps, char **out, const char *what)
{
	*out = NULL;
	if (ps->tok.kind != TOK_IDENT)
		return syntax_error(ps, what);
	*out = take_string(ps);
	return true;
}

static void add_option(struct repl_cmd *c, char *name, enum repl_value_kind kind, char *value)
{
	c->options = sw_xrealloc(c->options, (c->n_options + 1) * sizeof(*c->options));
	c->options[c->n_options++] = (struct repl_option){ name, kind, value };
}

/* var_name: IDENT ('.' IDENT)* */
static bool parse_var_name(struct repl_parser *ps)
{
	char *name = NULL;

	if (!expect_ident(ps, &name, "a name"))
		return false;
	while (accept(ps, '.')) {
		char *part = NULL, *joined;
		if (!expect_ident(ps, &part, "a name after \".\"")) {
			free(name);
			return false;
		}
		joined = sw_xasprintf("%s.%s", name, part);
		free(name);
		free(part);
		name = joined;
	}
	ps->cmd.name = name;
	return true;
}

/* generic_option: ident_or_keyword [IDENT | SCONST | UCONST] */
static bool parse_generic_option(struct repl_parser *ps)
{
	char *name, *value = NULL;
	enum repl_value_kind kind = VALUE_NONE;
	const char *kw = keyword_text(ps->tok.kind);

	if (ps->tok.kind == TOK_IDENT) {
		name = take_string(ps);
	} else if (is_option_keyword(ps->tok.kind)) {
		/* ident_or_keyword: a keyword stands for its lower-case name. */
		name = make_identifier(kw, strlen(kw), true);
		advance(ps);
	} else {
		return syntax_error(ps, "an option name");
	}
	if (ps->tok.kind == TOK_IDENT || ps->tok.kind == TOK_SCONST) {
		kind = ps->tok.kind == TOK_IDENT ? VALUE_IDENT : VALUE_STRING;
		value = take_string(ps);
	} else if (ps->tok.kind == TOK_UCONST) {
		/* makeInteger() of the uint32: the server sees it as a signed int. */
		kind = VALUE_NUMBER;
		value = sw_xasprintf("%d", (int)ps->tok.uval);
		advance(ps);
	}
	add_option(&ps->cmd, name, kind, value);
	return true;
}

/* '(' generic_option (',' generic_option)* ')', the '(' already read. */
static bool parse_generic_option_list(struct repl_parser *ps)
{
	do {
		if (!parse_generic_option(ps))
			return false;
	} while (accept(ps, ','));
	return expect(ps, ')', "\",\" or \")\"");
}

/* BASE_BACKUP [ '(' generic_option_list ')' ] */
static bool parse_base_backup(struct repl_parser *ps)
{
	if (accept(ps, '('))
		return parse_generic_option_list(ps);
	if (ps->tok.kind == TOK_EOF || ps->tok.kind == ';')
		return true;
	return syntax_error(ps, "\"(\" (PostgreSQL 15 takes BASE_BACKUP options only in parentheses: "
			    "BASE_BACKUP (LABEL 'x', PROGRESS); the older BASE_BACKUP LABEL 'x' PROGRESS form was removed)");
}

/* create_slot_options: '(' generic_option_list ')' | legacy options */
static bool parse_create_slot_options(struct repl_parser *ps)
{
	if (accept(ps, '('))
		return parse_generic_option_list(ps);
	for (;;) {
		switch (ps->tok.kind) {
		case K_EXPORT_SNAPSHOT:
			add_option(&ps->cmd, sw_xstrdup("snapshot"), VALUE_STRING, sw_xstrdup("export"));
			break;
		case K_NOEXPORT_SNAPSHOT:
			add_option(&ps->cmd, sw_xstrdup("snapshot"), VALUE_STRING, sw_xstrdup("nothing"));
			break;
		case K_USE_SNAPSHOT:
			add_option(&ps->cmd, sw_xstrdup("snapshot"), VALUE_STRING, sw_xstrdup("use"));
			break;
		case K_RESERVE_WAL:
			add_option(&ps->cmd, sw_xstrdup("reserve_wal"), VALUE_NONE, NULL);
			break;
		case K_TWO_PHASE:
			add_option(&ps->cmd, sw_xstrdup("two_phase"), VALUE_NONE, NULL);
			break;
		default:
			return true;
		}
		advance(ps);
	}
}

/* CREATE_REPLICATION_SLOT slot [TEMPORARY] (PHYSICAL | LOGICAL plugin) options */
static bool parse_create_slot(struct repl_parser *ps)
{
	if (!expect_ident(ps, &ps->cmd.name, "a slot name"))
		return false;
	ps->cmd.temporary = accept(ps, K_TEMPORARY);
	if (accept(ps, K_LOGICAL)) {
		ps->cmd.logical = true;
		if (!expect_ident(ps, &ps->cmd.plugin, "an output plugin name"))
			return false;
	} else if (!expect(ps, K_PHYSICAL, "PHYSICAL or LOGICAL")) {
		return false;
	}
	return parse_create_slot_options(ps);
}

/* TIMELINE n / TIMELINE_HISTORY n: the grammar rejects timeline 0. */
static bool parse_timeline(struct repl_parser *ps)
{
	if (ps->tok.kind != TOK_UCONST)
		return syntax_error(ps, "a timeline number");
	if (ps->tok.uval == 0) {
		ps->error = sw_xstrdup("invalid timeline 0 (timelines start at 1)");
		return false;
	}
	ps->cmd.timeline = ps->tok.uval;
	advance(ps);
	return true;
}

static bool parse_lsn(struct repl_parser *ps)
{
	if (ps->tok.kind != TOK_RECPTR)
		return syntax_error(ps, "a WAL location such as 0/3000000");
	ps->cmd.has_lsn = true;
	ps->cmd.lsn_hi = ps->tok.lsn_hi;
	ps->cmd.lsn_lo = ps->tok.lsn_lo;
	advance(ps);
	return true;
}

/* plugin_options: [ '(' IDENT [SCONST] (',' IDENT [SCONST])* ')' ] */
static bool parse_plugin_options(struct repl_parser *ps)
{
	if (!accept(ps, '('))
		return true;
	do {
		char *name = NULL, *value = NULL;
		if (!expect_ident(ps, &name, "a plugin option name"))
			return false;
		if (ps->tok.kind == TOK_SCONST)
			value = take_string(ps);
		add_option(&ps->cmd, name, value ? VALUE_STRING : VALUE_NONE, value);
	} while (accept(ps, ','));
	return expect(ps, ')', "\",\" or \")\"");
}

/*
 * START_REPLICATION [SLOT slot] [PHYSICAL] X/X [TIMELINE n]
 * START_REPLICATION SLOT slot LOGICAL X/X [plugin options]
 */
static bool parse_start_replication(struct repl_parser *ps)
{
	if (accept(ps, K_SLOT)) {
		if (!expect_ident(ps, &ps->cmd.name, "a slot name"))
			return false;
		if (accept(ps, K_LOGICAL)) {
			ps->cmd.logical = true;
			return parse_lsn(ps) && parse_plugin_options(ps);
		}
	}
	accept(ps, K_PHYSICAL);  /* the default kind */
	if (!parse_lsn(ps))
		return false;
	if (accept(ps, K_TIMELINE))
		return parse_timeline(ps);
	return true;
}

/* firstcmd: command [';'] */
static bool parse_command(struct repl_parser *ps)
{
	bool ok;

	ps->cmd.command = ps->tok.kind;
	advance(ps);
	switch (ps->cmd.command) {
	case K_IDENTIFY_SYSTEM:
		ok = true;
		break;
	case K_READ_REPLICATION_SLOT:
	case K_SHOW:
		ok = parse_var_name(ps);
		break;
	case K_BASE_BACKUP:
		ok = parse_base_backup(ps);
		break;
	case K_CREATE_REPLICATION_SLOT:
		ok = parse_create_slot(ps);
		break;
	case K_DROP_REPLICATION_SLOT:
		ok = expect_ident(ps, &ps->cmd.name, "a slot name");
		if (ok)
			ps->cmd.wait = accept(ps, K_WAIT);
		break;
	case K_START_REPLICATION:
		ok = parse_start_replication(ps);
		break;
	default: /* K_TIMELINE_HISTORY */
		ok = parse_timeline(ps);
		break;
	}
	if (!ok)
		return false;
	accept(ps, ';');
	return expect(ps, TOK_EOF, "the end of the command");
}

static void repl_cmd_free(struct repl_cmd *c)
{
	free(c->name);
	free(c->plugin);
	for (size_t i = 0; i < c->n_options; i++) {
		free(c->options[i].name);
		free(c->options[i].value);
	}
	free(c->options);
}

/* ---- reasons -------------------------------------------------------------- */

static const struct repl_option *find_option(const struct repl_cmd *c, const char *name)
{
	for (size_t i = 0; i < c->n_options; i++)
		if (strcmp(c->options[i].name, name) == 0)
			return &c->options[i];
	return NULL;
}

/*
 * "label 'nightly', progress, max_rate 1024": the options as the server
 * compares them (names down-cased unless quoted, values as given).
 */
static char *format_options(const struct repl_cmd *c)
{
	char *out = sw_xstrdup("");

	for (size_t i = 0; i < c->n_options; i++) {
		const struct repl_option *o = &c->options[i];
		const char *sep = i ? ", " : "";
		char *next;

		if (o->kind == VALUE_STRING)
			next = sw_xasprintf("%s%s%s '%s'", out, sep, o->name, o->value);
		else if (o->kind != VALUE_NONE)
			next = sw_xasprintf("%s%s%s %s", out, sep, o->name, o->value);
		else
			next = sw_xasprintf("%s%s%s", out, sep, o->name);
		free(out);
		out = next;
	}
	return out;
}

static void add_reason(struct sw_stmt *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(struct sw_stmt *st, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sw_xvasprintf(fmt, ap);
	va_end(ap);
	sw_strv_push(&st->reasons, s);
	free(s);
}

static void add_options_reason(struct sw_stmt *st, const struct repl_cmd *c, const char *what)
{
	char *opts;

	if (!c->n_options)
		return;
	opts = format_options(c);
	add_reason(st, "%s: %s", what, opts);
	free(opts);
}

static const char EXPOSES_LOGICAL[] =
	"a logical stream carries every committed change of every role in the database";
static const char EXPOSES_PHYSICAL[] =
	"a physical WAL stream carries every change to every database of the cluster, "
	"including other roles' data and credentials (pg_authid)";

static void describe_base_backup(struct sw_stmt *st, const struct repl_cmd *c)
{
	const struct repl_option *target = find_option(c, "target");
	const struct repl_option *detail = find_option(c, "target_detail");
	const struct repl_option *checkpoint = find_option(c, "checkpoint");

	add_reason(st, "BASE_BACKUP: a base backup copies every file of the cluster, "
		   "including other databases and credentials");
	add_options_reason(st, c, "BASE_BACKUP options");
	/* Values are compared case-sensitively by the server (strcmp). */
	if (!target || (target->value && strcmp(target->value, "client") == 0)) {
		add_reason(st, "the backup is sent to the client over this connection");
	} else if (target->value && strcmp(target->value, "blackhole") == 0) {
		add_reason(st, "TARGET 'blackhole': the server reads every file and discards the backup");
	} else if (target->value && strcmp(target->value, "server") == 0) {
		st->traits |= SW_TRAIT_FILE_ACCESS;
		if (detail && detail->value)
			add_reason(st, "TARGET 'server': writes the backup as files into directory '%s' "
				   "on the database host", detail->value);
		else
			add_reason(st, "TARGET 'server': writes the backup as files on the database host "
				   "(no TARGET_DETAIL directory given: the server rejects it)");
	} else {
		/* basebackup_to_shell registers 'shell', which runs a configured command. */
		st->traits |= SW_TRAIT_FILE_ACCESS;
		add_reason(st, "TARGET '%s' is not built in: an extension's backup target, which acts on the "
			   "database host (basebackup_to_shell's 'shell' runs a shell command there)%s%s",
			   target->value ? target->value : "", detail && detail->value ? "; TARGET_DETAIL " : "",
			   detail && detail->value ? detail->value : "");
	}
	if (checkpoint && checkpoint->value && strcasecmp(checkpoint->value, "fast") == 0)
		add_reason(st, "CHECKPOINT 'fast': forces an immediate checkpoint (an I/O burst on the server)");
}

static void describe_create_slot(struct sw_stmt *st, const struct repl_cmd *c)
{
	const struct repl_option *snapshot = find_option(c, "snapshot");

	if (c->logical)
		add_reason(st, "creates LOGICAL replication slot \"%s\" with output plugin \"%s\"", c->name, c->plugin);
	else
		add_reason(st, "creates PHYSICAL replication slot \"%s\"", c->name);
	if (c->temporary)
		add_reason(st, "TEMPORARY: the slot is dropped when this session ends");
	else
		add_reason(st, "permanent slot: it outlives this session and keeps the server from removing WAL%s "
			   "until it is dropped, which can fill the disk",
			   c->logical ? " and old catalog rows" : "");
	add_options_reason(st, c, "slot options");
	if (c->logical) {
		const char *action = snapshot && snapshot->value ? snapshot->value : "export";
		if (strcmp(action, "export") == 0)
			add_reason(st, "snapshot action export%s: other sessions can import the slot's starting "
				   "snapshot (SET TRANSACTION SNAPSHOT) and read the whole database as of that point",
				   snapshot ? "" : " (the default)");
		else if (strcmp(action, "use") == 0)
			add_reason(st, "snapshot action use: this transaction reads the database as of the slot's start");
		else
			add_reason(st, "snapshot action %s", action);
		if (find_option(c, "two_phase"))
			add_reason(st, "TWO_PHASE: prepared transactions are decoded at PREPARE TRANSACTION");
		add_reason(st, "%s", EXPOSES_LOGICAL);
	} else {
		if (find_option(c, "reserve_wal"))
			add_reason(st, "RESERVE_WAL: the slot holds WAL from now on, before any client streams it");
		add_reason(st, "%s", EXPOSES_PHYSICAL);
	}
}

static void describe_start_replication(struct sw_stmt *st, const struct repl_cmd *c)
{
	if (c->logical) {
		add_reason(st, "starts LOGICAL streaming through slot \"%s\" from WAL location %" PRIX32 "/%" PRIX32,
			   c->name, c->lsn_hi, c->lsn_lo);
		add_options_reason(st, c, "output plugin options");
		add_reason(st, "%s", EXPOSES_LOGICAL);
		return;
	}
	if (c->name)
		add_reason(st, "starts PHYSICAL streaming of the cluster's WAL through slot \"%s\" from WAL location "
			   "%" PRIX32 "/%" PRIX32, c->name, c->lsn_hi, c->lsn_lo);
	else
		add_reason(st, "starts PHYSICAL streaming of the cluster's WAL (no slot) from WAL location "
			   "%" PRIX32 "/%" PRIX32, c->lsn_hi, c->lsn_lo);
	if (c->timeline)
		add_reason(st, "on timeline %" PRIu32, c->timeline);
	add_reason(st, "%s", EXPOSES_PHYSICAL);
}

static void describe(struct sw_stmt *st, const struct repl_cmd *c)
{
	switch (c->command) {
	case K_IDENTIFY_SYSTEM:
		add_reason(st, "IDENTIFY_SYSTEM: reports the system identifier, timeline, current WAL location "
			   "and database; reads no table data");
		break;
	case K_SHOW:
		if (strcmp(c->name, "all") == 0)
			add_reason(st, "SHOW ALL in a replication connection: shows every setting the role may see");
		else
			add_reason(st, "SHOW in a replication connection: shows setting \"%s\"", c->name);
		break;
	case K_READ_REPLICATION_SLOT:
		add_reason(st, "reads replication slot \"%s\": its type, restart WAL location and timeline", c->name);
		break;
	case K_TIMELINE_HISTORY:
		add_reason(st, "sends the history file of timeline %" PRIu32, c->timeline);
		break;
	case K_DROP_REPLICATION_SLOT:
		add_reason(st, "drops replication slot \"%s\": a standby or subscriber using it loses its place and "
			   "must be resynchronized", c->name);
		if (c->wait)
			add_reason(st, "WAIT: waits until the slot is no longer in use, then drops it");
		break;
	case K_CREATE_REPLICATION_SLOT:
		describe_create_slot(st, c);
		break;
	case K_START_REPLICATION:
		describe_start_replication(st, c);
		break;
	default: /* K_BASE_BACKUP */
		describe_base_backup(st, c);
		break;
	}
}

/* ---- entry point ------------------------------------------------------------ */

bool sw_pg_replication_analyze(const char *cmd, struct sw_analysis *out)
{
	struct repl_parser ps;
	struct sw_stmt *st;
	const char *keyword;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.lx.s = cmd;
	lex_next(&ps.lx, &ps.tok);
	if (!starts_command(ps.tok.kind)) {
		/* replication_scanner_is_replication_command(): no. */
		free(ps.tok.str);
		free(ps.lx.error);
		return false;
	}
	keyword = keyword_text(ps.tok.kind);

	out->engine = SW_ENGINE_POSTGRES;
	out->stmts = sw_xcalloc(1, sizeof(*out->stmts));
	out->n_stmts = 1;
	st = &out->stmts[0];
	st->text = sw_xstrdup(cmd);
	st->cls = SW_CLASS_REPLICATION;
	st->command = sw_xstrdup(keyword);

	out->parse_ok = parse_command(&ps);
	if (out->parse_ok) {
		describe(st, &ps.cmd);
	} else {
		out->error = sw_xasprintf("replication command %s does not parse: %s", keyword, ps.error);
		add_reason(st, "%s; the walsender takes it as a replication command and rejects it with a syntax "
			   "error (fix the command; see PostgreSQL 15's replication protocol documentation)",
			   out->error);
	}
	free(ps.tok.str);
	free(ps.lx.error);
	free(ps.error);
	repl_cmd_free(&ps.cmd);
	return true;
}
