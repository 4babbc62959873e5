/*
 * sqlward log: read the ledger (streaming, line by line, its segments
 * first: ledger_reader.h) and show the records that match the filters
 * (log_filter.h) as an aligned table, the original JSON Lines, OCSF events
 * (ocsf.h) or a session's timeline (log_session.h, log_session_view.h);
 * --follow goes on with what is appended (log_follow.h). Reading does not
 * require the chain to verify (that is `sqlward verify`'s job); lines that
 * are not JSON are reported and skipped.
 */
#include <errno.h>
#include <signal.h>
#include <libgen.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "commands.h"
#include "ledger.h"
#include "ledger_reader.h"
#include "log_filter.h"
#include "log_follow.h"
#include "log_session.h"
#include "log_session_view.h"
#include "ocsf.h"
#include "record_completion.h"
#include "statement_json.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward log [--ledger FILE] [FILTER...] [--limit N] [--format table|json|ocsf]\n"
		"       sqlward log --session ID [FILTER...] [--follow] [--format table|json|ocsf]\n"
		"       sqlward log --sessions [FILTER...] [--format table|json]\n"
		"       sqlward log --follow [FILTER...] [--limit N] [--format table|json|ocsf]\n"
		"       sqlward log --full-text SEQ [--ledger FILE] [--format table|json|raw]\n"
		"                   [--blob-base DIR]\n"
		"\n"
		"Show ledger records (statement decisions and gaps by default), oldest first, from\n"
		"its rotated segments and the live file.\n"
		"\n"
		"  --ledger FILE    ledger to read (default: $SQLWARD_LEDGER or %s)\n"
		"  --session ID     one client session's timeline: connect, statements and verdicts,\n"
		"                   holds and who decided them, completions, disconnect (every record\n"
		"                   type unless --type is given). ID: PID@START (PostgreSQL), PID:CONN\n"
		"                   (MariaDB), as --sessions shows, or a bare PID (all its sessions)\n"
		"  --sessions       list the sessions that have matching records: id, role, client,\n"
		"                   application, first/last time, counts by verdict\n"
		"  --follow         keep printing new matching records as they are written (survives\n"
		"                   rotation and copytruncate); SIGINT or SIGTERM stops it\n"
		"\n"
		"Filters (combined; each also works with --session, --sessions and --follow):\n"
		"  --role GLOB      records whose role matches GLOB (e.g. 'agent_*')\n"
		"  --verdict V      only allow, hold or deny decisions\n"
		"  --request ID     only statements of that request (ledger request_id: a leading\n"
		"                   /* sqlward: request=ID */ comment, or request=ID in application_name)\n"
		"  --application GLOB  records whose application_name matches GLOB\n"
		"  --client GLOB    records whose client address:port, address, or client program\n"
		"                   (client_exe) matches GLOB\n"
		"  --plan ID        statements run as steps of plan ID, and the plan's daemon records\n"
		"  --engine E       postgresql or mariadb\n"
		"  --since TIME     only records at or after TIME\n"
		"  --until TIME     only records at or before TIME\n"
		"                   TIME: RFC 3339 (2026-11-21T13:00:00Z; without a zone it is\n"
		"                   local time; a bare date is local midnight), 'now', or an age\n"
		"                   such as 30s, 10m, 2h, 1d, 1w (that long ago)\n"
		"  --type T         statement (with gap records, the default), daemon, gap,\n"
		"                   continuation, session (session_start and session_end), completion,\n"
		"                   approval, approval_refused, outcome, hold_unresolved, failure_mode,\n"
		"                   webhook_failed, checkpoint, plan_submitted, plan_approved,\n"
		"                   plan_revoked, plan_run_incomplete or all\n"
		"  --limit N        show only the last (most recent) N matching records\n"
		"  --format F       table (default), json (the matching ledger lines unchanged) or\n"
		"                   ocsf (OCSF 1.2.0 Datastore Activity events, one per line; README\n"
		"                   \"Incident review\" maps every field)\n"
		"\n"
		"  --full-text SEQ  the whole text of statement record SEQ, also when it was longer\n"
		"                   than the record holds (read from LEDGER.blobs/ and checked\n"
		"                   against the record's statement_sha256 and length first):\n"
		"                   table shows it escaped like every view, raw writes its exact\n"
		"                   bytes (e.g. | sha256sum), json one object with it\n"
		"  --blob-base DIR  directory statement_blob paths are relative to (default: the\n"
		"                   ledger file's own)\n"
		"\n"
		"Exit status: 0 (also when nothing matched, and --follow stopped by a signal),\n"
		"1 --full-text: no such record or its text is missing or bad, 2 usage error or\n"
		"unreadable ledger.\n",
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

/* The ledger (and its segments) opened for reading, or NULL after saying why and what to do. */
static struct sw_ledger_reader *open_ledger(const char *path)
{
	struct sw_ledger_reader *r;
	char err[1024];

	if (sw_ledger_reader_open(path, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward log: %s\n", err);
		return NULL;
	}
	return r;
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

/* The record with this seq (a line starting {"seq":SEQ,), or NULL with what the ledger holds in
 * first/last; *failed when it could not be read to the end (said on stderr). */
static json_t *find_record(struct sw_ledger_reader *in, uint64_t seq, uint64_t *first, uint64_t *last, bool *failed)
{
	char prefix[40], err[1024];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "{\"seq\":%llu,", (unsigned long long)seq), n;
	const char *line;
	json_t *rec = NULL;
	int r;

	*first = *last = 0;
	*failed = false;
	while (!rec && (r = sw_ledger_reader_next(in, &line, &n, NULL, err, sizeof(err))) != 0) {
		if (r < 0) {
			fprintf(stderr, "sqlward log: %s\n", err);
			*failed = true;
			break;
		}
		uint64_t s = strncmp(line, "{\"seq\":", 7) == 0 ? strtoull(line + 7, NULL, 10) : 0;
		if (s && !*first)
			*first = s;
		if (s)
			*last = s;
		if (n > plen && memcmp(line, prefix, plen) == 0)
			rec = json_loadb(line, n, 0, NULL);
	}
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
	struct sw_ledger_reader *in = open_ledger(path);
	uint64_t first, last;
	bool failed;
	json_t *rec;
	const char *type, *rel, *sha;
	json_int_t len;
	struct sw_sbuf text = { 0 };
	char err[700], calc[65];
	int rc = 1;

	if (!in)
		return 2;
	rec = find_record(in, seq, &first, &last, &failed);
	sw_ledger_reader_close(in);
	if (!rec && failed)
		return 2;
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

enum log_format { FMT_TABLE, FMT_JSON, FMT_OCSF };

/* One run of `sqlward log`: what to show and how far it got. */
struct log_run {
	const char *path;
	struct sw_log_filter f;
	enum log_format fmt;
	bool timeline;            /* --session as a table: a timeline per session */
	bool list_sessions;       /* --sessions */
	size_t width;             /* the last column's width */
	struct sw_log_sessions *sessions;
	json_t *listed;           /* --sessions: ids of sessions with a matching record */
	const struct sw_log_session *last_session;  /* timeline: the session of the last line shown */
	size_t limit, matched, shown;
	struct ring_entry {
		char *out;
		const struct sw_log_session *session;
	} *ring;                  /* --limit: the last matching lines */
	uint64_t last_seq;        /* the last record read (--follow goes on after it) */
};

static volatile sig_atomic_t stop_following;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_following = 1;
}

/* Print one rendered line: first the table's header, or a timeline's session heading when the
 * session changes (a bare pid may name several sessions). */
static void print_line(struct log_run *run, const char *out, const struct sw_log_session *s)
{
	if (run->fmt == FMT_TABLE && !run->timeline && run->shown == 0) {
		char *h = table_header();
		puts(h);
		free(h);
	}
	if (run->timeline && s && s != run->last_session) {
		char *h = sw_log_timeline_heading(s);
		printf("%s%s\n", run->shown ? "\n" : "", h);
		free(h);
		run->last_session = s;
	}
	puts(out);
	run->shown++;
}

static void emit(struct log_run *run, char *out, const struct sw_log_session *s)
{
	if (run->limit) {
		size_t slot = (run->matched - 1) % run->limit;
		free(run->ring[slot].out);
		run->ring[slot].out = out;
		run->ring[slot].session = s;
		return;
	}
	print_line(run, out, s);
	free(out);
}

/* The line to show for a matching record, or NULL when the format has none for it. */
static char *render(struct log_run *run, const char *line, size_t n, json_t *rec, const struct sw_log_session *s)
{
	if (run->fmt == FMT_JSON)
		return sw_xstrndup(line, n);
	if (run->fmt == FMT_OCSF) {
		json_t *ev = sw_ocsf_event(rec, s);
		char *out = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
		json_decref(ev);
		return out;
	}
	if (run->timeline)
		return sw_log_timeline_line(rec, s, run->width);
	return table_row(rec, run->width);
}

/* One event of a record (the record, or the completion it carries): true when it was shown.
 * With JSON the ledger's line is shown, once (shown_line: the record's line was shown already). */
static bool take_event(struct log_run *run, const char *line, size_t n, json_t *rec, bool shown_line)
{
	const struct sw_log_session *s = sw_log_sessions_feed(run->sessions, rec);
	char *out;

	if (!sw_log_filter_match(&run->f, rec, s) ||
	    (run->fmt == FMT_OCSF && !sw_ocsf_maps_type(json_string_value(json_object_get(rec, "type")))))
		return false;
	if (run->list_sessions) {
		if (s)
			json_object_set_new(run->listed, s->id, json_true());
		return false;
	}
	if (run->fmt == FMT_JSON && shown_line)
		return false;
	run->matched++;
	out = render(run, line, n, rec, s);
	if (!out) {
		run->matched--;
		return false;
	}
	emit(run, out, s);
	return true;
}

/* One ledger line: 0, or -1 when it is not a record (said on stderr). */
static int take_line(struct log_run *run, const char *where, uint64_t lineno, const char *line, size_t n)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, n, 0, &jerr), *seq, *completion;
	bool shown;

	if (!rec || !json_is_object(rec)) {
		fprintf(stderr, "sqlward log: %s line %llu is not a JSON object%s%s%s, skipped\n", where,
			(unsigned long long)lineno, rec ? "" : " (", rec ? "" : jerr.text, rec ? "" : ")");
		json_decref(rec);
		return -1;
	}
	seq = json_object_get(rec, "seq");
	if (json_is_integer(seq) && (uint64_t)json_integer_value(seq) > run->last_seq)
		run->last_seq = (uint64_t)json_integer_value(seq);
	shown = take_event(run, line, n, rec, false);
	/* A statement and its completion in one record (record_completion.h): two events. */
	if ((completion = sw_record_embedded_completion(rec))) {
		take_event(run, line, n, completion, shown);
		json_decref(completion);
	}
	json_decref(rec);
	return 0;
}

/* Everything the ledger holds now: 0, or 2 when it cannot be read. */
static int read_ledger(struct log_run *run, bool follow)
{
	struct sw_ledger_reader *in = open_ledger(run->path);
	const char *line;
	size_t n;
	bool partial;
	char err[1024];
	int r;

	if (!in)
		return 2;
	while ((r = sw_ledger_reader_next(in, &line, &n, &partial, err, sizeof(err))) > 0) {
		if (partial && follow)
			break;   /* still being written: --follow reads it when it is whole */
		take_line(run, sw_ledger_reader_file(in), sw_ledger_reader_lineno(in), line, n);
	}
	if (r < 0)
		fprintf(stderr, "sqlward log: %s\n", err);
	sw_ledger_reader_close(in);
	return r < 0 ? 2 : 0;
}

/* --limit: the last matching lines, oldest first. */
static void flush_ring(struct log_run *run)
{
	size_t count = run->matched < run->limit ? run->matched : run->limit;
	size_t start = run->matched < run->limit ? 0 : run->matched % run->limit;

	for (size_t i = 0; i < count; i++) {
		size_t slot = (start + i) % run->limit;
		print_line(run, run->ring[slot].out, run->ring[slot].session);
	}
	for (size_t i = 0; i < run->limit; i++)
		free(run->ring[i].out);
	free(run->ring);
	run->ring = NULL;
	run->limit = 0;
}

/* --follow: what is appended from now on, until SIGINT or SIGTERM. */
static int follow(struct log_run *run)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };   /* no SA_RESTART: a signal ends the sleep */
	struct sw_log_follow *fl = sw_log_follow_open(run->path, run->last_seq);
	uint64_t lineno = 0;
	bool warned = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(stdout);
	while (!stop_following) {
		const char *line;
		size_t n;
		char err[1024];
		int r = sw_log_follow_next(fl, &line, &n, err, sizeof(err));

		if (r > 0) {
			warned = false;
			take_line(run, run->path, ++lineno, line, n);
			fflush(stdout);
			continue;
		}
		if (r < 0 && !warned) {
			fprintf(stderr, "sqlward log: %s (still trying)\n", err);
			warned = true;
		}
		nanosleep(&(struct timespec){ 0, 200 * 1000000 }, NULL);
	}
	sw_log_follow_close(fl);
	return 0;
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

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

int sw_cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'L' },
		{ "role", required_argument, NULL, 'r' },
		{ "verdict", required_argument, NULL, 'v' },
		{ "request", required_argument, NULL, 'R' },
		{ "application", required_argument, NULL, 'A' },
		{ "client", required_argument, NULL, 'C' },
		{ "plan", required_argument, NULL, 'P' },
		{ "engine", required_argument, NULL, 'E' },
		{ "session", required_argument, NULL, 'S' },
		{ "sessions", no_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'w' },
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
	struct log_run run = { .f = { .type = "statement" } };
	const char *blob_base = NULL;
	bool json = false, raw = false, ocsf = false, filtered = false, full_text = false, type_given = false;
	bool follow_on = false;
	uint64_t full_seq = 0;
	struct timespec now;
	int c, rc;

	clock_gettime(CLOCK_REALTIME, &now);
	optind = 0; /* glibc: full re-initialisation, so the command can run more than once */
	opterr = 0;
	stop_following = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			run.path = optarg;
			break;
		case 'r':
			filtered = true;
			run.f.role = optarg;
			break;
		case 'v':
			filtered = true;
			if (strcmp(optarg, "allow") && strcmp(optarg, "hold") && strcmp(optarg, "deny")) {
				fprintf(stderr, "sqlward log: unknown --verdict '%s' (use allow, hold or deny)\n", optarg);
				return 2;
			}
			run.f.verdict = optarg;
			break;
		case 'R':
			filtered = true;
			run.f.request = optarg;
			break;
		case 'A':
			filtered = true;
			run.f.application = optarg;
			break;
		case 'C':
			filtered = true;
			run.f.client = optarg;
			break;
		case 'P':
			filtered = true;
			run.f.plan = optarg;
			break;
		case 'E':
			filtered = true;
			run.f.engine = sw_log_filter_engine(optarg);
			if (!run.f.engine) {
				fprintf(stderr, "sqlward log: unknown --engine '%s' (use postgresql or mariadb)\n", optarg);
				return 2;
			}
			break;
		case 'S':
			filtered = true;
			run.f.session = optarg;
			break;
		case 'l':
			filtered = true;
			run.list_sessions = true;
			break;
		case 'w':
			filtered = true;
			follow_on = true;
			break;
		case 's':
		case 'u': {
			struct timespec *ts = c == 's' ? &run.f.since : &run.f.until;
			filtered = true;
			if (sw_parse_time(optarg, &now, ts) != 0) {
				fprintf(stderr, "sqlward log: cannot read --%s '%s': use RFC 3339 "
					"(2026-11-21T13:00:00Z) or an age such as 10m, 2h, 1d\n",
					c == 's' ? "since" : "until", optarg);
				return 2;
			}
			if (c == 's')
				run.f.has_since = true;
			else
				run.f.has_until = true;
			break;
		}
		case 't': {
			static const char *const types[] = {
				"statement", "daemon", "gap", "continuation", "session", "completion", "approval",
				"approval_refused", "outcome", "hold_unresolved", "failure_mode", "webhook_failed",
				"checkpoint", "plan_submitted", "plan_approved", "plan_revoked", "plan_run_incomplete",
			};
			bool known = strcmp(optarg, "all") == 0;
			for (size_t i = 0; !known && i < sizeof(types) / sizeof(types[0]); i++)
				known = strcmp(optarg, types[i]) == 0;
			if (!known) {
				fprintf(stderr, "sqlward log: unknown --type '%s' (use statement, daemon, gap, continuation, "
					"session, completion, approval, approval_refused, outcome, hold_unresolved, "
					"failure_mode, webhook_failed, checkpoint, plan_submitted, plan_approved, plan_revoked, "
					"plan_run_incomplete or all)\n", optarg);
				return 2;
			}
			filtered = true;
			type_given = true;
			run.f.type = strcmp(optarg, "all") == 0 ? NULL : optarg;
			break;
		}
		case 'n': {
			char *end;
			filtered = true;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 || v > 100000000ULL) {
				fprintf(stderr, "sqlward log: --limit needs a positive number, not '%s'\n", optarg);
				return 2;
			}
			run.limit = (size_t)v;
			break;
		}
		case 'f':
			json = strcmp(optarg, "json") == 0;
			raw = strcmp(optarg, "raw") == 0;
			ocsf = strcmp(optarg, "ocsf") == 0;
			if (!json && !raw && !ocsf && strcmp(optarg, "table") != 0) {
				fprintf(stderr, "sqlward log: unknown --format '%s' (use table, json or ocsf; raw with "
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
		fprintf(stderr, "sqlward log: --full-text shows one record: it takes no filters, --sessions, --follow "
			"or --limit\n");
		return 2;
	}
	if ((raw || blob_base) && !full_text) {
		fprintf(stderr, "sqlward log: %s goes with --full-text SEQ\n", raw ? "--format raw" : "--blob-base");
		return 2;
	}
	if (full_text && ocsf) {
		fprintf(stderr, "sqlward log: --full-text shows text as table, json or raw, not ocsf\n");
		return 2;
	}
	if (full_text)
		return show_full_text(run.path ? run.path : sw_ledger_default_path(), full_seq, blob_base,
				      raw ? FULL_RAW : json ? FULL_JSON : FULL_TABLE);
	if (run.f.has_since && run.f.has_until && ts_cmp(&run.f.since, &run.f.until) > 0) {
		fprintf(stderr, "sqlward log: --since is later than --until; nothing could match\n");
		return 2;
	}
	if (run.list_sessions && (follow_on || run.f.session || run.limit || ocsf)) {
		fprintf(stderr, "sqlward log: --sessions lists the sessions once: it takes no --follow, --session, "
			"--limit or --format ocsf (use --session ID for one session's records)\n");
		return 2;
	}
	/* A session's timeline, the session list and OCSF export are about every kind of record. */
	if (!type_given && (run.f.session || run.list_sessions || ocsf))
		run.f.type = NULL;
	run.fmt = json ? FMT_JSON : ocsf ? FMT_OCSF : FMT_TABLE;
	run.timeline = run.f.session && run.fmt == FMT_TABLE;
	if (!run.path)
		run.path = sw_ledger_default_path();
	run.width = run.timeline ? (statement_width() + W_PREFIX > 40 ? statement_width() + W_PREFIX - 40 : 40)
				 : statement_width();
	run.sessions = sw_log_sessions_new();
	run.listed = json_object();
	if (run.limit)
		run.ring = sw_xcalloc(run.limit, sizeof(*run.ring));

	rc = read_ledger(&run, follow_on);
	if (run.limit)
		flush_ring(&run);
	if (rc == 0 && run.list_sessions) {
		if (json_object_size(run.listed))
			sw_log_sessions_print(stdout, run.sessions, run.listed, json);
		else
			fprintf(stderr, "sqlward log: no sessions with matching records in %s\n", run.path);
	} else if (rc == 0 && follow_on) {
		rc = follow(&run);
	} else if (rc == 0 && run.fmt == FMT_TABLE && run.shown == 0) {
		fprintf(stderr, "sqlward log: no matching records in %s\n", run.path);
	}
	fflush(stdout);
	sw_log_sessions_free(run.sessions);
	json_decref(run.listed);
	return rc;
}
