/*
 * sqlward log: read the ledger (streaming, line by line) and show the
 * records that match the filters as an aligned table or as the original
 * JSON Lines. Reading does not require the chain to verify (that is
 * `sqlward verify`'s job); lines that are not JSON are reported and skipped.
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "commands.h"
#include "ledger.h"
#include "statement_json.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward log [--ledger FILE] [--role GLOB] [--verdict allow|hold|deny]\n"
		"                   [--request ID] [--application GLOB]\n"
		"                   [--since TIME] [--until TIME] [--type T]\n"
		"                   [--limit N] [--format table|json]\n"
		"       sqlward log --full-text SEQ [--ledger FILE] [--format table|json|raw]\n"
		"                   [--blob-base DIR]\n"
		"\n"
		"Show ledger records (statement decisions and gaps by default), oldest first.\n"
		"\n"
		"  --ledger FILE    ledger to read (default: $SQLWARD_LEDGER or %s)\n"
		"  --role GLOB      only records whose role matches GLOB (e.g. 'agent_*')\n"
		"  --verdict V      only allow, hold or deny decisions\n"
		"  --request ID     only statements of that request (ledger request_id: a leading\n"
		"                   /* sqlward: request=ID */ comment, or request=ID in application_name)\n"
		"  --application GLOB  only statements whose application_name matches GLOB\n"
		"  --since TIME     only records at or after TIME\n"
		"  --until TIME     only records at or before TIME\n"
		"                   TIME: RFC 3339 (2026-11-21T13:00:00Z; without a zone it is\n"
		"                   local time; a bare date is local midnight), 'now', or an age\n"
		"                   such as 30s, 10m, 2h, 1d, 1w (that long ago)\n"
		"  --type T         statement (with gap records, the default), daemon, gap,\n"
		"                   continuation or all\n"
		"  --limit N        show only the last (most recent) N matching records\n"
		"  --format F       table (default) or json (the matching ledger lines unchanged)\n"
		"\n"
		"  --full-text SEQ  the whole text of statement record SEQ, also when it was longer\n"
		"                   than the record holds (read from LEDGER.blobs/ and checked\n"
		"                   against the record's statement_sha256 and length first):\n"
		"                   table shows it escaped like every view, raw writes its exact\n"
		"                   bytes (e.g. | sha256sum), json one object with it\n"
		"  --blob-base DIR  directory statement_blob paths are relative to (default: the\n"
		"                   ledger file's own)\n"
		"\n"
		"Exit status: 0 (also when nothing matched), 1 --full-text: no such record or its\n"
		"text is missing or bad, 2 usage error or unreadable ledger.\n",
		SW_LEDGER_DEFAULT_PATH);
}

/* ---- display helpers ---- */

/* s as one display line of at most width characters (0: unlimited), escaped
 * like every reviewer view (sw_escape_display); padded to width if pad. */
static void cell(struct sw_sbuf *b, const char *s, size_t len, size_t width, bool pad)
{
	size_t cols;
	char *shown = sw_escape_display(s, len, width, 0, &cols);

	sw_sbuf_str(b, shown);
	free(shown);
	if (pad)
		for (; cols < width; cols++)
			sw_sbuf_add(b, " ", 1);
}

static void cell_str(struct sw_sbuf *b, const char *s, size_t width, bool pad)
{
	if (!s || !*s)
		s = "-";
	cell(b, s, strlen(s), width, pad);
}

static const char *jstr(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static void format_held(json_t *v, char *out, size_t len)
{
	long long us = json_is_integer(v) ? json_integer_value(v) : 0;

	if (us <= 0)
		snprintf(out, len, "-");
	else if (us < 1000)
		snprintf(out, len, "<1ms");
	else if (us < 1000000)
		snprintf(out, len, "%lldms", us / 1000);
	else if (us < 60000000)
		snprintf(out, len, "%.1fs", (double)us / 1e6);
	else if (us < 3600000000LL)
		snprintf(out, len, "%lldm%02llds", us / 60000000, us / 1000000 % 60);
	else
		snprintf(out, len, "%lldh%02lldm", us / 3600000000LL, us / 60000000 % 60);
}

static void format_local_time(const char *iso, char *out, size_t len)
{
	struct timespec now = { 0, 0 }, ts;
	struct tm tm;

	if (iso && sw_parse_time(iso, &now, &ts) == 0 && localtime_r(&ts.tv_sec, &tm) &&
	    strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm))
		return;
	snprintf(out, len, "%s", iso ? iso : "-");
}

/* The statement text for display (base64-decoded when stored that way); caller frees. */
static char *statement_text(json_t *rec, size_t *len)
{
	const char *s = jstr(rec, "statement");
	const char *enc = jstr(rec, "statement_encoding");

	if (!s) {
		*len = 0;
		return sw_xstrdup("");
	}
	if (enc && strcmp(enc, "base64") == 0) {
		size_t n = json_string_length(json_object_get(rec, "statement"));
		unsigned char *out = sw_xmalloc(n / 4 * 3 + 4);
		int r = n % 4 == 0 ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) : -1;

		if (r >= 0) {
			size_t m = (size_t)r;
			/* EVP_DecodeBlock counts padding as zero bytes. */
			if (n >= 1 && s[n - 1] == '=')
				m--;
			if (n >= 2 && s[n - 2] == '=')
				m--;
			out[m] = '\0';
			*len = m;
			return (char *)out;
		}
		free(out);
		*len = strlen("(undecodable base64 statement)");
		return sw_xstrdup("(undecodable base64 statement)");
	}
	*len = json_string_length(json_object_get(rec, "statement"));
	return sw_xstrndup(s, *len);
}

#define W_TIME 19
#define W_ROLE 16
#define W_DB 12
#define W_VERDICT 7
#define W_RULE 20
#define W_OUTCOME 9
#define W_HELD 7
#define W_PREFIX (W_TIME + W_ROLE + W_DB + W_VERDICT + W_RULE + W_OUTCOME + W_HELD + 7 * 2)

static void add_sep(struct sw_sbuf *b)
{
	sw_sbuf_add(b, "  ", 2);
}

static char *table_header(void)
{
	struct sw_sbuf b = { 0 };

	cell_str(&b, "TIME", W_TIME, true); add_sep(&b);
	cell_str(&b, "ROLE", W_ROLE, true); add_sep(&b);
	cell_str(&b, "DB", W_DB, true); add_sep(&b);
	cell_str(&b, "VERDICT", W_VERDICT, true); add_sep(&b);
	cell_str(&b, "RULE", W_RULE, true); add_sep(&b);
	cell_str(&b, "OUTCOME", W_OUTCOME, true); add_sep(&b);
	cell_str(&b, "HELD", W_HELD, true); add_sep(&b);
	sw_sbuf_str(&b, "STATEMENT");
	return b.s;
}

static char *table_row(json_t *rec, size_t stmt_width)
{
	struct sw_sbuf b = { 0 };
	const char *type = jstr(rec, "type");
	char t[64], held[32];

	format_local_time(jstr(rec, "time"), t, sizeof(t));
	cell_str(&b, t, W_TIME, true); add_sep(&b);
	if (type && strcmp(type, "statement") == 0) {
		size_t len;
		char *text;

		format_held(json_object_get(rec, "held_us"), held, sizeof(held));
		cell_str(&b, jstr(rec, "role"), W_ROLE, true); add_sep(&b);
		cell_str(&b, jstr(rec, "database"), W_DB, true); add_sep(&b);
		cell_str(&b, jstr(rec, "verdict"), W_VERDICT, true); add_sep(&b);
		cell_str(&b, jstr(rec, "rule"), W_RULE, true); add_sep(&b);
		cell_str(&b, jstr(rec, "outcome"), W_OUTCOME, true); add_sep(&b);
		cell_str(&b, held, W_HELD, true); add_sep(&b);
		text = statement_text(rec, &len);
		cell(&b, text, len, stmt_width, false);
		free(text);
	} else {
		/* Daemon and other records: the event and its fields in the last column. */
		struct sw_sbuf d = { 0 };
		const char *key;
		json_t *v;
		char said[1024];

		for (int i = 0; i < 6; i++) {
			static const int w[] = { W_ROLE, W_DB, W_VERDICT, W_RULE, W_OUTCOME, W_HELD };
			cell_str(&b, "-", (size_t)w[i], true);
			add_sep(&b);
		}
		sw_sbuf_str(&d, "[");
		sw_sbuf_str(&d, type ? type : "?");
		sw_sbuf_str(&d, "]");
		if (sw_ledger_describe_record(rec, said, sizeof(said))) {
			/* A gap or a continuation: one sentence says it (the full width: never cut). */
			sw_sbuf_str(&d, " ");
			sw_sbuf_str(&d, said);
			cell(&b, d.s, d.len, 0, false);
			free(d.s);
			return b.s;
		}
		if (jstr(rec, "event")) {
			sw_sbuf_str(&d, " ");
			sw_sbuf_str(&d, jstr(rec, "event"));
		}
		json_object_foreach(rec, key, v) {
			if (!strcmp(key, "seq") || !strcmp(key, "type") || !strcmp(key, "time") ||
			    !strcmp(key, "prev") || !strcmp(key, "hash") || !strcmp(key, "event"))
				continue;
			sw_sbuf_str(&d, " ");
			sw_sbuf_str(&d, key);
			sw_sbuf_str(&d, "=");
			if (json_is_string(v)) {
				sw_sbuf_add(&d, json_string_value(v), json_string_length(v));
			} else {
				char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				if (s)
					sw_sbuf_str(&d, s);
				free(s);
			}
		}
		cell(&b, d.s, d.len, stmt_width, false);
		free(d.s);
	}
	return b.s;
}

/* The ledger opened for reading, or NULL after saying why and what to do. */
static FILE *open_ledger(const char *path)
{
	FILE *in = fopen(path, "re");

	if (!in) {
		int e = errno;
		fprintf(stderr, "sqlward log: cannot open ledger %s: %s; %s\n", path, strerror(e),
			e == EACCES ? "run as root or as a user allowed to read it (the ledger's group)" :
			"pass --ledger FILE or set SQLWARD_LEDGER to the daemon's ledger");
	}
	return in;
}

/* ---- one statement's whole text ---- */

/* No statement is longer than PostgreSQL accepts (1 GiB): a record claiming more is not read. */
#define FULL_TEXT_MAX (1ull << 30)

enum full_format { FULL_TABLE, FULL_JSON, FULL_RAW };

static int add_to_sbuf(void *ctx, const void *data, size_t n)
{
	sw_sbuf_add(ctx, data, n);
	return 0;
}

/* The record with this seq (a line starting {"seq":SEQ,), or NULL with what the file holds in first/last. */
static json_t *find_record(FILE *in, uint64_t seq, uint64_t *first, uint64_t *last)
{
	char prefix[40], *line = NULL;
	size_t cap = 0, plen = (size_t)snprintf(prefix, sizeof(prefix), "{\"seq\":%llu,", (unsigned long long)seq);
	ssize_t n;
	json_t *rec = NULL;

	*first = *last = 0;
	while (!rec && (n = getline(&line, &cap, in)) != -1) {
		uint64_t s = strncmp(line, "{\"seq\":", 7) == 0 ? strtoull(line + 7, NULL, 10) : 0;
		if (s && !*first)
			*first = s;
		if (s)
			*last = s;
		if ((size_t)n > plen && memcmp(line, prefix, plen) == 0)
			rec = json_loadb(line, (size_t)n, 0, NULL);
	}
	free(line);
	return rec;
}

static void print_full_text(uint64_t seq, json_t *rec, const char *text, size_t len, enum full_format fmt)
{
	if (fmt == FULL_RAW) {
		fwrite(text, 1, len, stdout);
	} else if (fmt == FULL_TABLE) {
		char *shown = sw_escape_display(text, len, 0, SW_ESC_BREAK_LINES, NULL);
		printf("%s\n", shown);
		free(shown);
	} else {
		json_t *o = json_pack("{s:I, s:O, s:O}", "seq", (json_int_t)seq, "statement_length",
				      json_object_get(rec, "statement_length"), "statement_sha256",
				      json_object_get(rec, "statement_sha256"));
		char *s;

		if (sw_utf8_valid(text, len)) {
			json_object_set_new(o, "statement", json_stringn(text, len));
		} else { /* like the ledger: bytes that are not UTF-8 as base64 */
			unsigned char *b64 = sw_xmalloc(4 * ((len + 2) / 3) + 1);
			EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
			json_object_set_new(o, "statement", json_string((char *)b64));
			json_object_set_new(o, "statement_encoding", json_string("base64"));
			free(b64);
		}
		s = json_dumps(o, SW_LEDGER_LINE_FLAGS);
		printf("%s\n", s ? s : "");
		free(s);
		json_decref(o);
	}
}

/* sqlward log --full-text SEQ: 0 shown, 1 no such statement or its text is missing or bad, 2 unreadable. */
static int show_full_text(const char *path, uint64_t seq, const char *blob_base, enum full_format fmt)
{
	FILE *in = open_ledger(path);
	uint64_t first, last;
	json_t *rec;
	const char *type, *rel, *sha;
	json_int_t len;
	struct sw_sbuf text = { 0 };
	char err[700], calc[65];
	int rc = 1;

	if (!in)
		return 2;
	rec = find_record(in, seq, &first, &last);
	fclose(in);
	if (!rec) {
		if (first)
			fprintf(stderr, "sqlward log: no record with seq %llu in %s (it holds seq %llu to %llu)\n",
				(unsigned long long)seq, path, (unsigned long long)first, (unsigned long long)last);
		else
			fprintf(stderr, "sqlward log: no record with seq %llu in %s (it holds no records)\n",
				(unsigned long long)seq, path);
		return 1;
	}
	type = jstr(rec, "type");
	rel = jstr(rec, "statement_blob");
	sha = jstr(rec, "statement_sha256");
	len = json_integer_value(json_object_get(rec, "statement_length"));
	if (!type || strcmp(type, "statement") != 0 || !sha) {
		fprintf(stderr, "sqlward log: record %llu is a %s record, not a statement\n", (unsigned long long)seq,
			type ? type : "malformed");
		goto out;
	}
	if (rel) {
		char *copy = sw_xstrdup(path);
		if (len < 0 || (uint64_t)len > FULL_TEXT_MAX)
			snprintf(err, sizeof(err), "its statement_length %lld is not a statement's", (long long)len);
		int r = len < 0 || (uint64_t)len > FULL_TEXT_MAX ? -1 :
			sw_blob_read(blob_base ? blob_base : dirname(copy), rel, sha, (uint64_t)len, add_to_sbuf, &text,
				     err, sizeof(err));
		free(copy);
		if (r != 0) {
			fprintf(stderr, "sqlward log: the full text of record %llu cannot be shown: %s (sqlward verify "
				"checks every kept text; pass --blob-base DIR if the .blobs directory was moved)\n",
				(unsigned long long)seq, err);
			goto out;
		}
	} else if (json_is_true(json_object_get(rec, "statement_truncated"))) {
		const char *why = jstr(rec, "statement_blob_error");
		fprintf(stderr, "sqlward log: record %llu holds only the first bytes of its %lld-byte statement: %s%s\n",
			(unsigned long long)seq, (long long)len,
			why ? "the full text could not be kept when it was recorded: " :
			      "it was recorded before sqlward kept full texts",
			why ? why : "");
		goto out;
	} else {
		size_t n;
		char *t = statement_text(rec, &n);
		sw_sbuf_add(&text, t, n);
		free(t);
		sw_sha256_hex(text.s ? text.s : "", text.len, calc);
		if (strcmp(calc, sha) != 0) {
			fprintf(stderr, "sqlward log: record %llu's statement does not match its statement_sha256: the "
				"record was edited (run sqlward verify)\n", (unsigned long long)seq);
			goto out;
		}
	}
	print_full_text(seq, rec, text.s ? text.s : "", text.len, fmt);
	rc = 0;
out:
	free(text.s);
	json_decref(rec);
	return rc;
}

/* ---- the command ---- */

struct filter {
	const char *role;
	const char *verdict;
	const char *request;      /* request_id, exactly */
	const char *application;  /* application_name glob */
	const char *type; /* NULL: all; "statement" also shows gap records (what is missing between them) */
	bool has_since, has_until;
	struct timespec since, until;
};

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

static bool in_time(json_t *rec, const struct filter *f)
{
	struct timespec now = { 0, 0 }, ts;
	const char *t = jstr(rec, "time");

	if (!f->has_since && !f->has_until)
		return true;
	if (!t || sw_parse_time(t, &now, &ts) != 0)
		return false;
	if (f->has_since && ts_cmp(&ts, &f->since) < 0)
		return false;
	if (f->has_until && ts_cmp(&ts, &f->until) > 0)
		return false;
	return true;
}

static bool matches(json_t *rec, const struct filter *f)
{
	const char *type = jstr(rec, "type");

	if (f->type && (!type || strcmp(type, f->type) != 0) &&
	    !(type && strcmp(f->type, "statement") == 0 && strcmp(type, "gap") == 0))
		return false;
	if (type && strcmp(type, "gap") == 0)
		/* a gap belongs to no role, verdict, request or application */
		return !f->role && !f->verdict && !f->request && !f->application && in_time(rec, f);
	if (f->role) {
		const char *role = jstr(rec, "role");
		if (!role || fnmatch(f->role, role, 0) != 0)
			return false;
	}
	if (f->verdict) {
		const char *v = jstr(rec, "verdict");
		if (!v || strcmp(v, f->verdict) != 0)
			return false;
	}
	if (f->request) {
		const char *r = jstr(rec, "request_id");
		if (!r || strcmp(r, f->request) != 0)
			return false;
	}
	if (f->application) {
		const char *a = jstr(rec, "application_name");
		if (!a || fnmatch(f->application, a, 0) != 0)
			return false;
	}
	return in_time(rec, f);
}

static size_t statement_width(void)
{
	struct winsize ws;
	size_t cols = 0;
	const char *env = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	else if (env && atoi(env) > 0)
		cols = (size_t)atoi(env);
	if (!cols)
		return 80;
	return cols > W_PREFIX + 20 ? cols - W_PREFIX : 20;
}

int sw_cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'L' },
		{ "role", required_argument, NULL, 'r' },
		{ "verdict", required_argument, NULL, 'v' },
		{ "request", required_argument, NULL, 'R' },
		{ "application", required_argument, NULL, 'A' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "type", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "full-text", required_argument, NULL, 'F' },
		{ "blob-base", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct filter f = { .type = "statement" };
	const char *path = NULL, *blob_base = NULL;
	bool json = false, raw = false, filtered = false, full_text = false;
	uint64_t full_seq = 0;
	size_t limit = 0, stmt_width, lineno = 0, shown = 0, matched = 0;
	struct timespec now;
	char **ring = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in;
	int c;

	clock_gettime(CLOCK_REALTIME, &now);
	optind = 0; /* glibc: full re-initialisation, so the command can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			path = optarg;
			break;
		case 'r':
			filtered = true;
			f.role = optarg;
			break;
		case 'v':
			filtered = true;
			if (strcmp(optarg, "allow") && strcmp(optarg, "hold") && strcmp(optarg, "deny")) {
				fprintf(stderr, "sqlward log: unknown --verdict '%s' (use allow, hold or deny)\n", optarg);
				return 2;
			}
			f.verdict = optarg;
			break;
		case 'R':
			filtered = true;
			f.request = optarg;
			break;
		case 'A':
			filtered = true;
			f.application = optarg;
			break;
		case 's':
		case 'u': {
			struct timespec *ts = c == 's' ? &f.since : &f.until;
			filtered = true;
			if (sw_parse_time(optarg, &now, ts) != 0) {
				fprintf(stderr, "sqlward log: cannot read --%s '%s': use RFC 3339 "
					"(2026-11-21T13:00:00Z) or an age such as 10m, 2h, 1d\n",
					c == 's' ? "since" : "until", optarg);
				return 2;
			}
			if (c == 's')
				f.has_since = true;
			else
				f.has_until = true;
			break;
		}
		case 't':
			filtered = true;
			if (strcmp(optarg, "all") == 0)
				f.type = NULL;
			else if (strcmp(optarg, "statement") == 0 || strcmp(optarg, "daemon") == 0 ||
				 strcmp(optarg, "gap") == 0 || strcmp(optarg, "continuation") == 0)
				f.type = optarg;
			else {
				fprintf(stderr, "sqlward log: unknown --type '%s' (use statement, daemon, gap, continuation "
					"or all)\n", optarg);
				return 2;
			}
			break;
		case 'n': {
			char *end;
			filtered = true;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 || v > 100000000ULL) {
				fprintf(stderr, "sqlward log: --limit needs a positive number, not '%s'\n", optarg);
				return 2;
			}
			limit = (size_t)v;
			break;
		}
		case 'f':
			json = strcmp(optarg, "json") == 0;
			raw = strcmp(optarg, "raw") == 0;
			if (!json && !raw && strcmp(optarg, "table") != 0) {
				fprintf(stderr, "sqlward log: unknown --format '%s' (use table or json; raw with "
					"--full-text)\n", optarg);
				return 2;
			}
			break;
		case 'F': {
			char *end;
			errno = 0;
			full_seq = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || full_seq == 0) {
				fprintf(stderr, "sqlward log: --full-text needs a record's seq (a positive number, as "
					"`sqlward log --format json` shows), not '%s'\n", optarg);
				return 2;
			}
			full_text = true;
			break;
		}
		case 'B':
			blob_base = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "sqlward log: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			fprintf(stderr, "sqlward log: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sqlward log: unexpected argument '%s' (the ledger is given with --ledger FILE)\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (full_text && filtered) {
		fprintf(stderr, "sqlward log: --full-text shows one record: it takes no --role, --verdict, --request, "
			"--application, --since, --until, --type or --limit\n");
		return 2;
	}
	if ((raw || blob_base) && !full_text) {
		fprintf(stderr, "sqlward log: %s goes with --full-text SEQ\n", raw ? "--format raw" : "--blob-base");
		return 2;
	}
	if (full_text)
		return show_full_text(path ? path : sw_ledger_default_path(), full_seq, blob_base,
				      raw ? FULL_RAW : json ? FULL_JSON : FULL_TABLE);
	if (f.has_since && f.has_until && ts_cmp(&f.since, &f.until) > 0) {
		fprintf(stderr, "sqlward log: --since is later than --until; nothing could match\n");
		return 2;
	}
	if (!path)
		path = sw_ledger_default_path();
	in = open_ledger(path);
	if (!in)
		return 2;

	stmt_width = statement_width();
	if (limit)
		ring = sw_xcalloc(limit, sizeof(*ring));

	while ((n = getline(&line, &cap, in)) != -1) {
		json_error_t jerr;
		json_t *rec;
		char *out;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		rec = json_loadb(line, (size_t)n, 0, &jerr);
		if (!rec || !json_is_object(rec)) {
			fprintf(stderr, "sqlward log: %s line %zu is not a JSON object%s%s%s, skipped\n",
				path, lineno, rec ? "" : " (", rec ? "" : jerr.text, rec ? "" : ")");
			json_decref(rec);
			continue;
		}
		if (!matches(rec, &f)) {
			json_decref(rec);
			continue;
		}
		matched++;
		out = json ? sw_xstrndup(line, (size_t)n) : table_row(rec, stmt_width);
		json_decref(rec);
		if (limit) {
			size_t slot = (matched - 1) % limit;
			free(ring[slot]);
			ring[slot] = out;
			continue;
		}
		if (!json && shown == 0) {
			char *h = table_header();
			puts(h);
			free(h);
		}
		puts(out);
		shown++;
		free(out);
	}
	if (ferror(in))
		fprintf(stderr, "sqlward log: read error in %s after line %zu: %s\n", path, lineno, strerror(errno));
	free(line);
	fclose(in);

	if (limit) {
		size_t count = matched < limit ? matched : limit;
		size_t start = matched < limit ? 0 : matched % limit;
		if (!json && count) {
			char *h = table_header();
			puts(h);
			free(h);
		}
		for (size_t i = 0; i < count; i++) {
			size_t slot = (start + i) % limit;
			puts(ring[slot]);
			shown++;
		}
		for (size_t i = 0; i < limit; i++)
			free(ring[i]);
		free(ring);
	}
	if (!json && shown == 0)
		fprintf(stderr, "sqlward log: no matching records in %s\n", path);
	fflush(stdout);
	return 0;
}
