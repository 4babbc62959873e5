/*
 * `sqlward plan ...`: approved plans (plan.h). Offline: build a plan from
 * migration files, show it (text, the markdown a reviewer reads in the pull
 * request, JSON), make Ed25519 keys, sign and verify. Online: the client side
 * of the daemon's plan operations on the control socket (submit, approve,
 * list, revoke, status).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cmd_plan.h"
#include "control_client.h"
#include "daemon_opts.h"
#include "engine.h"
#include "impact_text.h"
#include "my_classify.h"
#include "json_file.h"
#include "plan.h"
#include "plan_build.h"
#include "policy.h"
#include "policy_default.h"
#include "time_text.h"
#include "util.h"

#define PLAN_DEFAULT_VALIDITY_S (7 * 24 * 3600)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward plan build [--engine postgres|mysql] [--sql-mode MODES] [--policy FILE] --role PATTERN...\n"
		"                          [--database DB] [--title T] [--author NAME] [--intent TEXT|--intent-file F]\n"
		"                          [--validation TEXT] [--valid-for 7d | --valid-until TIME] [--max-runs N]\n"
		"                          [-o plan.json] FILE|DIR|-...\n"
		"       sqlward plan show [--format text|markdown|json] plan.json\n"
		"       sqlward plan keygen --private FILE --public FILE\n"
		"       sqlward plan sign --key PRIVATE_PEM --as NAME [--comment C] plan.json\n"
		"       sqlward plan verify [--key NAME=PUBLIC_PEM]... plan.json\n"
		"       sqlward plan submit [--socket PATH] plan.json\n"
		"       sqlward plan approve [--socket PATH] [--digest PREFIX] [--comment C] ID\n"
		"       sqlward plan list [--socket PATH] [--json]\n"
		"       sqlward plan revoke [--socket PATH] ID\n"
		"       sqlward plan status [--socket PATH] [--json] ID\n"
		"\n"
		"A plan is a migration reviewed once and then run exactly as reviewed: its statements in order\n"
		"(each compared by its tokens, so only layout and comments may differ), what each does, the roles\n"
		"and database it runs as, a validity window and how many runs it allows. `build` reads SQL files\n"
		"in the order given (a directory: Flyway V<version>__name.sql by version, other *.sql by name),\n"
		"or what `manage.py sqlmigrate` / `alembic upgrade --sql` print (\"-\" reads stdin), and judges\n"
		"each statement with the policy (--policy, else " SW_DEFAULT_POLICY ", else the built-in default;\n"
		"pass the policy the daemon runs with, so each step shows the verdict it will get).\n"
		"Approval: `sign` adds an offline Ed25519 signature (keys from `keygen`; the policy names each\n"
		"approver's public key), or `approve` on the daemon's control socket. `verify` exits 0 when the\n"
		"plan is unchanged since it was built and every signature named with --key is valid, 1 otherwise.\n");
}

/* ---- shared helpers ---- */

static void put_text(const char *s)
{
	char *e;
	if (!s) {
		fputs("-", stdout);
		return;
	}
	e = sw_escape_display(s, strlen(s), 0, 0, NULL);
	fputs(e, stdout);
	free(e);
}

static void utc(time_t t, char buf[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Write the plan to path whole or not at all. */
static int write_plan(const struct sw_plan *p, const char *path, char *err, size_t errlen)
{
	json_t *j = sw_plan_to_json(p);
	int rc = sw_json_save_atomic(j, path, JSON_INDENT(2), 0644, err, errlen);

	json_decref(j);
	return rc;
}

/* "7d", "12h", "30m", "2w" -> seconds; -1 when not a duration. */
static long parse_duration(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || n <= 0 || n > 100000 || !end[0] || end[1])
		return -1;
	switch (*end) {
	case 'm': return n * 60;
	case 'h': return n * 3600;
	case 'd': return n * 86400;
	case 'w': return n * 7 * 86400;
	default: return -1;
	}
}

static char *read_small_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct sw_sbuf b = { 0 };
	char buf[4096];
	size_t n;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < (1u << 20))
		sw_sbuf_add(&b, buf, n);
	fclose(f);
	if (!b.s)
		sw_sbuf_str(&b, "");
	if (strlen(b.s) != b.len) {
		snprintf(err, errlen, "%s contains a NUL byte; give the intent as text", path);
		free(b.s);
		return NULL;
	}
	while (b.len && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == '\r'))
		b.s[--b.len] = 0;
	return b.s;
}

static char *default_author(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = pw && pw->pw_name ? pw->pw_name : getenv("USER");
	return sw_xstrdup(u && u[0] ? u : "unknown");
}

/* ---- build ---- */

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "sql-mode", required_argument, NULL, 'M' },
		{ "policy", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "database", required_argument, NULL, 'd' },
		{ "title", required_argument, NULL, 't' },
		{ "author", required_argument, NULL, 'a' },
		{ "intent", required_argument, NULL, 'i' },
		{ "intent-file", required_argument, NULL, 'I' },
		{ "validation", required_argument, NULL, 'V' },
		{ "valid-for", required_argument, NULL, 'f' },
		{ "valid-until", required_argument, NULL, 'u' },
		{ "max-runs", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *engine = "postgres", *sql_mode = SW_MY_DEFAULT_SQL_MODE, *policy_path = getenv("SQLWARD_POLICY");
	const char *intent = NULL, *intent_file = NULL, *validation = NULL, *valid_for = NULL, *valid_until = NULL;
	const char *output = NULL;
	struct sw_plan_build b = { 0 };
	struct sw_strv skipped = { 0 };
	struct sw_policy *pol = NULL;
	struct sw_plan *p = NULL;
	char err[1024], *author = NULL, *title = NULL, *intent_text = NULL;
	long max_runs = 1;
	int ch, rc = 2;
	time_t now = time(NULL);

	optind = 1;
	while ((ch = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': engine = optarg; break;
		case 'M': sql_mode = optarg; break;
		case 'p': policy_path = optarg; break;
		case 'r': sw_strv_push(&b.roles, optarg); break;
		case 'd': b.database = optarg; break;
		case 't': b.title = optarg; break;
		case 'a': b.author = optarg; break;
		case 'i': intent = optarg; break;
		case 'I': intent_file = optarg; break;
		case 'V': validation = optarg; break;
		case 'f': valid_for = optarg; break;
		case 'u': valid_until = optarg; break;
		case 'n': {
			char *end;
			max_runs = strtol(optarg, &end, 10);
			if (*end || max_runs < 1 || max_runs > SW_PLAN_RUNS_MAX) {
				fprintf(stderr, "sqlward plan build: --max-runs must be a number from 1 to %d\n",
					SW_PLAN_RUNS_MAX);
				goto out;
			}
			break;
		}
		case 'o': output = optarg; break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "sqlward plan build: name the migration: SQL files, a directory of them, or - for "
			"stdin (e.g. `python3 manage.py sqlmigrate app 0001 | sqlward plan build --role app -`)\n");
		goto out;
	}
	if (b.roles.n == 0) {
		fprintf(stderr, "sqlward plan build: --role PATTERN is required: the role(s) the migration runs as "
			"(a name, \"prefix*\", \"*suffix\" or \"*\"; repeat for several)\n");
		goto out;
	}
	if (intent && intent_file) {
		fprintf(stderr, "sqlward plan build: give --intent or --intent-file, not both\n");
		goto out;
	}
	if (valid_for && valid_until) {
		fprintf(stderr, "sqlward plan build: give --valid-for or --valid-until, not both\n");
		goto out;
	}
	if (!(b.engine = sw_engine_find(engine))) {
		fprintf(stderr, "sqlward plan build: engine \"%s\" is not supported; use --engine postgres or mysql\n",
			engine);
		goto out;
	}
	if (b.engine->id == SW_ENGINE_MYSQL && sw_my_mode_parse(sql_mode, &b.lex.my_sql_mode, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan build: --sql-mode: %s\n", err);
		goto out;
	}
	b.created = b.valid_from = now;
	b.valid_until = now + PLAN_DEFAULT_VALIDITY_S;
	if (valid_for) {
		long s = parse_duration(valid_for);
		if (s < 0 || s > SW_PLAN_VALIDITY_MAX_S) {
			fprintf(stderr, "sqlward plan build: --valid-for \"%s\": write a duration like 12h, 7d or 2w, at "
				"most %d days\n", valid_for, SW_PLAN_VALIDITY_MAX_S / 86400);
			goto out;
		}
		b.valid_until = now + s;
	} else if (valid_until) {
		struct timespec tn = { .tv_sec = now }, t;
		if (sw_parse_time(valid_until, &tn, &t) < 0 || t.tv_sec <= now ||
		    t.tv_sec - now > SW_PLAN_VALIDITY_MAX_S) {
			fprintf(stderr, "sqlward plan build: --valid-until \"%s\": write a future time like "
				"2026-06-01T00:00:00Z, at most %d days from now\n", valid_until,
				SW_PLAN_VALIDITY_MAX_S / 86400);
			goto out;
		}
		b.valid_until = t.tv_sec;
	}
	b.max_runs = (unsigned)max_runs;
	if (sw_policy_load_default(policy_path, "plan build", &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan build: %s\n", err);
		goto out;
	}
	b.policy = pol;
	if (intent_file && !(intent_text = read_small_file(intent_file, err, sizeof(err)))) {
		fprintf(stderr, "sqlward plan build: --intent-file: %s\n", err);
		goto out;
	}
	b.intent = json_object();
	if (intent || intent_text)
		json_object_set_new(b.intent, "description", json_string(intent ? intent : intent_text));
	if (validation)
		b.validation = json_pack("{s:s}", "description", validation);
	if (!b.author)
		b.author = author = default_author();
	if (!b.title) {
		title = argc - optind > 1 ? sw_xasprintf("%s and %d more", argv[optind], argc - optind - 1)
					  : sw_xasprintf("%s", strcmp(argv[optind], "-") == 0 ? "migration from stdin"
											: argv[optind]);
		b.title = title;
	}
	b.notes = &skipped;
	p = sw_plan_new(&b);
	for (int i = optind; i < argc; i++)
		if (sw_plan_add_path(p, &b, argv[i], &skipped, err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward plan build: %s\n", err);
			goto out;
		}
	for (size_t i = 0; i < skipped.n; i++)
		fprintf(stderr, "sqlward plan build: skipped %s\n", skipped.v[i]);
	if (sw_plan_finish(p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan build: %s\n", err);
		goto out;
	}
	if (output) {
		if (write_plan(p, output, err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward plan build: %s\n", err);
			goto out;
		}
	} else {
		json_t *j = sw_plan_to_json(p);
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	}
	{
		unsigned hold = 0, deny = 0;
		for (size_t i = 0; i < p->n_steps; i++) {
			const char *v = str(p->steps[i].analysis, "verdict");
			hold += v && strcmp(v, "hold") == 0;
			deny += v && strcmp(v, "deny") == 0;
		}
		fprintf(stderr, "%s: %zu steps (%u hold, %u deny under the policy today), digest %.16s...%s%s\n", p->id,
			p->n_steps, hold, deny, p->digest, output ? ", written to " : "", output ? output : "");
	}
	rc = 0;
out:
	sw_plan_free(p);
	sw_policy_free(pol);
	sw_strv_free(&b.roles);
	sw_strv_free(&skipped);
	json_decref(b.intent);
	json_decref(b.validation);
	free(author);
	free(title);
	free(intent_text);
	return rc;
}

/* ---- show ---- */

static void step_counts(const struct sw_plan *p, unsigned n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (size_t i = 0; i < p->n_steps; i++) {
		const char *v = str(p->steps[i].analysis, "verdict");
		n[v && strcmp(v, "deny") == 0 ? 2 : v && strcmp(v, "hold") == 0 ? 1 : 0]++;
	}
}

static void print_intent_text(json_t *o, const char *label)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(o, k, v) {
		printf("  %-10s %s: ", first ? label : "", k);
		first = false;
		if (json_is_string(v)) {
			put_text(json_string_value(v));
		} else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
			put_text(s);
			free(s);
		}
		putchar('\n');
	}
}

static void show_text(const struct sw_plan *p)
{
	char a[32], b[32], c[32];
	unsigned n[3];

	step_counts(p, n);
	utc(p->created, c);
	utc(p->valid_from, a);
	utc(p->valid_until, b);
	printf("Plan %s: ", p->id);
	put_text(p->title);
	printf("\n  digest     %s\n  author     ", p->digest);
	put_text(p->author);
	printf(", created %s\n", c);
	print_intent_text(p->intent, "intent");
	printf("  scope      engine %s; roles ", sw_engine_name(p->engine));
	for (size_t i = 0; i < p->roles.n; i++) {
		fputs(i ? ", " : "", stdout);
		put_text(p->roles.v[i]);
	}
	fputs("; database ", stdout);
	if (p->database)
		put_text(p->database);
	else
		fputs("any", stdout);
	printf("\n  window     %s until %s; at most %u run%s\n", a, b, p->max_runs, p->max_runs == 1 ? "" : "s");
	printf("  steps      %zu (%u allow, %u hold, %u deny under the policy at plan time)\n", p->n_steps, n[0], n[1],
	       n[2]);
	if (p->validation)
		print_intent_text(p->validation, "validation");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct sw_plan_step *s = &p->steps[i];
		json_t *an = s->analysis, *objs = json_object_get(an, "objects"), *v;
		char *shown;
		size_t k;

		printf("\n  %u. ", s->n);
		put_text(str(an, "verdict"));
		fputs(" (rule ", stdout);
		put_text(str(an, "rule"));
		fputs(")  ", stdout);
		put_text(str(an, "class"));
		fputs("  ", stdout);
		put_text(str(an, "command"));
		json_array_foreach(objs, k, v) {
			fputs(k ? ", " : "  ", stdout);
			put_text(json_string_value(v));
		}
		fputs("  [", stdout);
		put_text(s->source);
		fputs("]\n", stdout);
		printf("     match  %.16s...  sha256 %.16s...\n", s->match, s->sha256);
		sw_impact_print(stdout, an, "     ", 9, true);
		fputs("     sql:\n       ", stdout);
		shown = sw_escape_display(s->sql, strlen(s->sql), 0, 0, NULL);
		for (const char *q = shown; *q; q++) {
			if (q[0] == '\\' && q[1] == 'n') {
				fputs("\n       ", stdout);
				q++;
			} else if (q[0] == '\\' && q[1] == '\\') {
				fputs("\\\\", stdout);
				q++;
			} else {
				putchar(*q);
			}
		}
		putchar('\n');
		free(shown);
	}
	printf("\n  approvals  %zu\n", p->n_approvals);
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *ap = &p->approvals[i];
		utc(ap->when, a);
		fputs("    ", stdout);
		put_text(ap->approver);
		printf(" (%s) at %s", ap->via == SW_PLAN_VIA_SIGNATURE ? "signature" : "control socket", a);
		if (ap->comment) {
			fputs(": ", stdout);
			put_text(ap->comment);
		}
		putchar('\n');
	}
	printf("  to approve sqlward plan approve %s --digest %.16s\n", p->id, p->digest);
}

/*
 * Markdown-safe inline text: characters that break a table or markup are
 * escaped; controls, bidi and invisible characters are shown as ⟨U+XXXX⟩
 * so a reviewer sees what is there.
 */
static bool invisible(uint32_t cp)
{
	return (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
	       cp == 0xfeff || cp == 0x00ad;
}

/* Write s; inline (prose in a table cell or a line): markup characters escaped, line breaks as spaces. */
static void md_put(FILE *out, const char *s, bool inline_text)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)u);

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = sw_utf8_decode(u + i, len - i, &cp);
		if (n == 0) {
			fprintf(out, "⟨0x%02X⟩", u[i]);
			i++;
			continue;
		}
		if (invisible(cp))
			fprintf(out, "⟨U+%04X⟩", (unsigned)cp);
		else if (inline_text && (cp == '\n' || cp == '\t'))
			fputc(' ', out);
		else if (inline_text && cp == '<')
			fputs("&lt;", out);
		else if (inline_text && cp == '>')
			fputs("&gt;", out);
		else if (inline_text && cp && strchr("|`*_[]\\#", (int)cp))
			fprintf(out, "\\%c", (char)cp);
		else
			fwrite(u + i, 1, n, out);
		i += n;
	}
}

/* A name as an inline code span (literal text; a pipe escaped for tables). */
static void md_code(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)u);
	int run = 0, best = 0;

	for (size_t i = 0; i < len; i++) {
		run = u[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	fprintf(out, "%.*s%s", best + 1, "``````````````````", best ? " " : "");
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = sw_utf8_decode(u + i, len - i, &cp);
		if (n == 0) {
			fprintf(out, "⟨0x%02X⟩", u[i]);
			i++;
			continue;
		}
		if (invisible(cp))
			fprintf(out, "⟨U+%04X⟩", (unsigned)cp);
		else if (cp == '\n' || cp == '\t')
			fputc(' ', out);
		else if (cp == '|')
			fputs("\\|", out);
		else
			fwrite(u + i, 1, n, out);
		i += n;
	}
	fprintf(out, "%s%.*s", best ? " " : "", best + 1, "``````````````````");
}

/* A fence longer than any run of backticks in s. */
static int fence_len(const char *s)
{
	int best = 0, run = 0;
	for (; s && *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best >= 3 ? best + 1 : 3;
}

static void md_fenced(FILE *out, const char *lang, const char *s)
{
	int f = fence_len(s);
	fprintf(out, "%.*s%s\n", f, "``````````````````````````````````", lang);
	md_put(out, s, false);
	fprintf(out, "\n%.*s\n", f, "``````````````````````````````````");
}

static void md_intent(FILE *out, const char *label, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		fprintf(out, "| %s: ", label);
		md_put(out, k, true);
		fputs(" | ", out);
		if (json_is_string(v)) {
			md_put(out, json_string_value(v), true);
		} else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			md_put(out, s, true);
			free(s);
		}
		fputs(" |\n", out);
	}
}

static const char *verdict_icon(const char *v)
{
	return !v ? "?" : strcmp(v, "deny") == 0 ? ":no_entry: deny" : strcmp(v, "hold") == 0 ? ":hourglass: hold" :
	       ":white_check_mark: allow";
}

static void show_markdown(const struct sw_plan *p)
{
	char a[32], b[32], c[32];
	unsigned n[3];
	FILE *o = stdout;

	step_counts(p, n);
	utc(p->created, c);
	utc(p->valid_from, a);
	utc(p->valid_until, b);
	fputs("## sqlward plan: ", o);
	md_put(o, p->title, true);
	fprintf(o, "\n\nPlan **`%s`**, digest `%s`.\n\n", p->id, p->digest);
	fputs("| | |\n|---|---|\n| Author | ", o);
	md_put(o, p->author, true);
	fprintf(o, " (created %s) |\n", c);
	if (json_object_size(p->intent))
		md_intent(o, "Intent", p->intent);
	else
		fputs("| Intent | (none given: `plan build --intent TEXT`) |\n", o);
	fprintf(o, "| Scope | engine `%s`; role%s ", sw_engine_name(p->engine), p->roles.n == 1 ? "" : "s");
	for (size_t i = 0; i < p->roles.n; i++) {
		fputs(i ? ", " : "", o);
		md_code(o, p->roles.v[i]);
	}
	fputs("; database ", o);
	if (p->database)
		md_code(o, p->database);
	else
		fputs("any", o);
	fprintf(o, " |\n| Window | %s until %s |\n| Runs | at most %u |\n", a, b, p->max_runs);
	fprintf(o, "| Steps | %zu: %u allow, %u hold, %u deny under the policy at plan time |\n", p->n_steps, n[0], n[1],
		n[2]);
	if (p->validation)
		md_intent(o, "Validation", p->validation);
	fputs("\n### Steps\n\n| # | Command | Class | Objects | Strongest lock | Rewrite / scan | At plan time |\n"
	      "|---|---|---|---|---|---|---|\n", o);
	for (size_t i = 0; i < p->n_steps; i++) {
		json_t *an = p->steps[i].analysis, *objs = json_object_get(an, "objects"), *v;
		bool rw = json_is_true(json_object_get(an, "rewrite")), scan = json_is_true(json_object_get(an, "scan"));
		size_t k;

		fprintf(o, "| %u | ", p->steps[i].n);
		md_put(o, str(an, "command"), true);
		fputs(" | ", o);
		md_put(o, str(an, "class"), true);
		fputs(" | ", o);
		json_array_foreach(objs, k, v) {
			fputs(k ? ", " : "", o);
			md_code(o, json_string_value(v));
		}
		fputs(" | ", o);
		if (str(an, "strongest_lock"))
			md_put(o, str(an, "strongest_lock"), true);
		fprintf(o, " | %s | %s (", rw ? "**rewrite**" : scan ? "scan" : "", verdict_icon(str(an, "verdict")));
		md_code(o, str(an, "rule"));
		fputs(") |\n", o);
	}
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct sw_plan_step *s = &p->steps[i];
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		fprintf(o, "\n#### Step %u: ", s->n);
		md_put(o, str(s->analysis, "command"), true);
		fputs(" (", o);
		md_put(o, s->source, true);
		fprintf(o, ")\n\n%s (rule ", verdict_icon(str(s->analysis, "verdict")));
		md_code(o, str(s->analysis, "rule"));
		fputs(")", o);
		if (str(s->analysis, "rule_reason")) {
			fputs(": ", o);
			md_put(o, str(s->analysis, "rule_reason"), true);
		}
		fprintf(o, "; match `%.16s`\n\n", s->match);
		md_fenced(o, "sql", s->sql);
		if (m) {
			sw_impact_print(m, s->analysis, "", 9, true);
			fclose(m);
			if (len) {
				while (len && buf[len - 1] == '\n')
					buf[--len] = 0;
				md_fenced(o, "text", buf);
			}
			free(buf);
		}
	}
	fprintf(o, "\n### Approvals\n\n");
	if (!p->n_approvals)
		fputs("None yet.\n", o);
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *ap = &p->approvals[i];
		utc(ap->when, a);
		fputs("- ", o);
		md_put(o, ap->approver, true);
		fprintf(o, " (%s) at %s", ap->via == SW_PLAN_VIA_SIGNATURE ? "Ed25519 signature" : "control socket", a);
		if (ap->comment) {
			fputs(": ", o);
			md_put(o, ap->comment, true);
		}
		fputc('\n', o);
	}
	fprintf(o, "\nTo approve exactly this plan: `sqlward plan sign --key KEY --as NAME plan.json` (offline) or "
		"`sqlward plan approve %s --digest %.16s` (on the database host). Any change to a step, the scope or "
		"the window makes a new plan with a new id.\n", p->id, p->digest);
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = "text";
	struct sw_plan *p;
	char err[1024];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "markdown") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "sqlward plan show: --format must be text, markdown or json, not \"%s\"\n", format);
		return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: sqlward plan show [--format text|markdown|json] plan.json\n");
		return 2;
	}
	if (sw_plan_load(argv[optind], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan show: %s\n", err);
		return 1;
	}
	if (strcmp(format, "json") == 0) {
		json_t *j = sw_plan_to_json(p);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(j);
	} else if (strcmp(format, "markdown") == 0) {
		show_markdown(p);
	} else {
		show_text(p);
	}
	sw_plan_free(p);
	return 0;
}

/* ---- keys and signatures ---- */

static int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "private", required_argument, NULL, 'k' },
		{ "public", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *priv = NULL, *pub = NULL;
	char err[1024];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': priv = optarg; break;
		case 'P': pub = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!priv || !pub || optind != argc) {
		fprintf(stderr, "usage: sqlward plan keygen --private FILE --public FILE\n");
		return 2;
	}
	if (sw_plan_keygen(priv, pub, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan keygen: %s\n", err);
		return 1;
	}
	printf("wrote the private key to %s (mode 0600: keep it with its approver, e.g. a CI secret) and the "
	       "public key to %s (name it in the policy: plans: { keys: { NAME: %s } })\n", priv, pub, pub);
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "as", required_argument, NULL, 'a' },
		{ "comment", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key = NULL, *as = NULL, *comment = NULL;
	struct sw_plan *p;
	char err[1024];
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'a': as = optarg; break;
		case 'c': comment = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!key || !as || optind != argc - 1) {
		fprintf(stderr, "usage: sqlward plan sign --key PRIVATE_PEM --as NAME [--comment C] plan.json\n");
		return 2;
	}
	if (sw_plan_load(argv[optind], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan sign: %s\n", err);
		return 1;
	}
	if (strcmp(p->author, as) == 0)
		fprintf(stderr, "sqlward plan sign: note: %s is the plan's author; the daemon does not count an "
			"author's approval of their own plan\n", as);
	if (sw_plan_sign(p, as, key, comment, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan sign: %s\n", err);
	} else if (write_plan(p, argv[optind], err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan sign: %s\n", err);
	} else {
		printf("%s signed %s (digest %.16s...) in %s\n", as, p->id, p->digest, argv[optind]);
		rc = 0;
	}
	sw_plan_free(p);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sw_strv keys = { 0 };
	struct sw_plan *p = NULL;
	char err[1024];
	int ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (!strchr(optarg, '=') || optarg[0] == '=' || !strchr(optarg, '=')[1]) {
				fprintf(stderr, "sqlward plan verify: --key takes NAME=PUBLIC_PEM (the approver's name "
					"and public key file), not \"%s\"\n", optarg);
				goto out;
			}
			sw_strv_push(&keys, optarg);
			break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: sqlward plan verify [--key NAME=PUBLIC_PEM]... plan.json\n");
		goto out;
	}
	if (sw_plan_load(argv[optind], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan verify: INVALID: %s\n", err);
		rc = 1;
		goto out;
	}
	printf("%s: content matches its digest %.16s... (%zu steps)\n", p->id, p->digest, p->n_steps);
	rc = 0;
	for (size_t k = 0; k < keys.n; k++) {
		char *name = sw_xstrndup(keys.v[k], (size_t)(strchr(keys.v[k], '=') - keys.v[k]));
		const char *pem = strchr(keys.v[k], '=') + 1;
		bool found = false;

		for (size_t i = 0; i < p->n_approvals; i++) {
			const struct sw_plan_approval *a = &p->approvals[i];
			if (strcmp(a->approver, name) != 0 || a->via != SW_PLAN_VIA_SIGNATURE)
				continue;
			found = true;
			if (sw_plan_signature_valid(p, a, pem, err, sizeof(err))) {
				printf("  %s: signature valid\n", name);
			} else {
				printf("  %s: INVALID: %s\n", name, err);
				rc = 1;
			}
		}
		if (!found) {
			printf("  %s: INVALID: the plan carries no signature by %s\n", name, name);
			rc = 1;
		}
		free(name);
	}
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *a = &p->approvals[i];
		bool named = false;
		for (size_t k = 0; k < keys.n && !named; k++)
			named = strncmp(keys.v[k], a->approver, strlen(a->approver)) == 0 &&
				keys.v[k][strlen(a->approver)] == '=';
		if (named)
			continue;
		printf("  ");
		put_text(a->approver);
		printf(": %s\n", a->via == SW_PLAN_VIA_SIGNATURE ? "signed, not checked (no --key NAME=PUBLIC_PEM for it)"
								 : "approved on the control socket (the daemon checked who)");
	}
	if (rc)
		printf("%s: verification FAILED\n", p->id);
out:
	sw_plan_free(p);
	sw_strv_free(&keys);
	return rc;
}

/* ---- the daemon's plan operations ---- */

struct ctl {
	const char *socket, *digest, *comment;
	bool json;
	const char *arg;
};

static int parse_ctl(int argc, char **argv, struct ctl *c, bool want_arg, const char *use)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "digest", required_argument, NULL, 'd' },
		{ "comment", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	memset(c, 0, sizeof(*c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': c->socket = optarg; break;
		case 'd': c->digest = optarg; break;
		case 'c': c->comment = optarg; break;
		case 'j': c->json = true; break;
		case 'h': printf("%s", use); exit(0);
		default: fprintf(stderr, "%s", use); return -1;
		}
	}
	if ((c->digest || c->comment) && strcmp(argv[0], "approve") != 0) {
		fprintf(stderr, "sqlward plan %s: --digest and --comment go with approve\n%s", argv[0], use);
		return -1;
	}
	if (want_arg ? optind != argc - 1 || !argv[optind][0] : optind != argc) {
		fprintf(stderr, "%s", use);
		return -1;
	}
	c->arg = want_arg ? argv[optind] : NULL;
	return 0;
}

/* Send req; NULL (message printed) unless the daemon answered ok. */
static json_t *call(const struct ctl *c, json_t *req)
{
	json_t *r = sw_control_call(sw_control_socket_path(c->socket), req);
	json_decref(req);
	if (r && !json_is_true(json_object_get(r, "ok"))) {
		fputs("sqlward plan: ", stderr);
		{
			const char *e = str(r, "error");
			char *shown = sw_escape_display(e ? e : "the daemon refused without saying why",
							strlen(e ? e : "the daemon refused without saying why"), 0, 0,
							NULL);
			fprintf(stderr, "%s\n", shown);
			free(shown);
		}
		json_decref(r);
		return NULL;
	}
	return r;
}

static void dump_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	printf("%s\n", s ? s : "null");
	free(s);
}

/* One value for people: strings escaped, numbers and booleans as JSON, arrays joined. */
static void put_value(json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		put_text(json_string_value(v));
	} else if (json_is_array(v)) {
		if (!json_array_size(v))
			fputs("-", stdout);
		json_array_foreach(v, i, e) {
			fputs(i ? ", " : "", stdout);
			put_value(e);
		}
	} else if (json_is_null(v) || !v) {
		fputs("-", stdout);
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		put_text(s);
		free(s);
	}
}

/* Every member of a plan entry (plan_store's view) as "key  value", steps listed one a line. */
static void print_entry(json_t *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(e, k, v) {
		if (strcmp(k, "steps") == 0 && json_is_array(v))
			continue;
		printf("  %-22s ", k);
		put_value(v);
		putchar('\n');
	}
	if (json_is_array(json_object_get(e, "steps"))) {
		size_t i;
		json_t *s;
		printf("  steps:\n");
		json_array_foreach(json_object_get(e, "steps"), i, s) {
			const char *sk;
			json_t *sv;
			printf("    %lld.", (long long)json_integer_value(json_object_get(s, "n")));
			json_object_foreach(s, sk, sv) {
				if (strcmp(sk, "n") == 0)
					continue;
				printf(" %s=", sk);
				put_value(sv);
			}
			putchar('\n');
		}
	}
}

static int ctl_submit(int argc, char **argv)
{
	struct ctl c;
	struct sw_plan *p;
	char err[1024];
	json_t *r, *j;

	if (parse_ctl(argc, argv, &c, true, "usage: sqlward plan submit [--socket PATH] [--json] plan.json\n") < 0)
		return 2;
	/* Checked here too, so a changed file is refused with the same words before it is sent. */
	if (sw_plan_load(c.arg, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward plan submit: %s\n", err);
		return 1;
	}
	j = sw_plan_to_json(p);
	r = call(&c, json_pack("{s:s, s:o}", "op", "plan_submit", "plan", j));
	if (!r) {
		sw_plan_free(p);
		return 1;
	}
	if (c.json) {
		dump_json(r);
	} else {
		json_t *e = json_object_get(r, "plan");
		printf("submitted %s (%zu steps, %zu approvals in the file)\n", p->id, p->n_steps, p->n_approvals);
		if (json_is_object(e))
			print_entry(e);
	}
	json_decref(r);
	sw_plan_free(p);
	return 0;
}

static int ctl_approve(int argc, char **argv)
{
	struct ctl c;
	json_t *req, *r;

	if (parse_ctl(argc, argv, &c, true,
		      "usage: sqlward plan approve [--socket PATH] [--digest PREFIX] [--comment C] [--json] ID\n") < 0)
		return 2;
	req = json_pack("{s:s, s:s}", "op", "plan_approve", "id", c.arg);
	if (c.digest)
		json_object_set_new(req, "digest", json_string(c.digest));
	if (c.comment)
		json_object_set_new(req, "comment", json_string(c.comment));
	if (!(r = call(&c, req)))
		return 1;
	if (c.json) {
		dump_json(r);
	} else {
		json_t *e = json_object_get(r, "plan");
		printf("approved ");
		put_text(c.arg);
		putchar('\n');
		if (json_is_object(e))
			print_entry(e);
	}
	json_decref(r);
	return 0;
}

static int ctl_list(int argc, char **argv)
{
	struct ctl c;
	json_t *r, *list, *e;
	size_t i;

	if (parse_ctl(argc, argv, &c, false, "usage: sqlward plan list [--socket PATH] [--json]\n") < 0)
		return 2;
	if (!(r = call(&c, json_pack("{s:s}", "op", "plan_list"))))
		return 1;
	list = json_object_get(r, "plans");
	if (c.json) {
		dump_json(list ? list : r);
	} else if (json_array_size(list) == 0) {
		printf("no plans\n");
	} else {
		printf("%-21s %-13s %-7s %-9s %-20s %-16s %s\n", "ID", "STATE", "STEPS", "RUNS", "VALID UNTIL",
		       "APPROVED BY", "TITLE");
		json_array_foreach(list, i, e) {
			char runs[32];
			snprintf(runs, sizeof(runs), "%lld/%lld", (long long)json_integer_value(json_object_get(e, "runs_started")),
				 (long long)json_integer_value(json_object_get(e, "max_runs")));
			put_value(json_object_get(e, "id"));
			printf(" %-13s %-7lld %-9s %-20s ", str(e, "state") ? str(e, "state") : "?",
			       (long long)json_integer_value(json_object_get(e, "steps_total")), runs,
			       str(e, "valid_until") ? str(e, "valid_until") : "?");
			put_value(json_object_get(e, "approved_by"));
			fputs("  ", stdout);
			{
				const char *t = str(e, "title");
				char *shown = sw_escape_display(t ? t : "-", strlen(t ? t : "-"), 50, 0, NULL);
				fputs(shown, stdout);
				free(shown);
			}
			putchar('\n');
		}
	}
	json_decref(r);
	return 0;
}

static int ctl_revoke(int argc, char **argv)
{
	struct ctl c;
	json_t *r;

	if (parse_ctl(argc, argv, &c, true, "usage: sqlward plan revoke [--socket PATH] [--json] ID\n") < 0)
		return 2;
	if (!(r = call(&c, json_pack("{s:s, s:s}", "op", "plan_revoke", "id", c.arg))))
		return 1;
	if (c.json) {
		dump_json(r);
	} else {
		printf("revoked ");
		put_text(c.arg);
		printf(": it no longer starts a run\n");
	}
	json_decref(r);
	return 0;
}

static int ctl_status(int argc, char **argv)
{
	struct ctl c;
	json_t *r, *e;

	if (parse_ctl(argc, argv, &c, true, "usage: sqlward plan status [--socket PATH] [--json] ID\n") < 0)
		return 2;
	if (!(r = call(&c, json_pack("{s:s, s:s}", "op", "plan_show", "id", c.arg))))
		return 1;
	e = json_object_get(r, "plan");
	if (c.json) {
		dump_json(e ? e : r);
	} else {
		printf("Plan ");
		put_text(c.arg);
		putchar('\n');
		print_entry(json_is_object(e) ? e : r);
	}
	json_decref(r);
	return 0;
}

int sw_cmd_plan(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "build", cmd_build },   { "show", cmd_show },     { "keygen", cmd_keygen }, { "sign", cmd_sign },
		{ "verify", cmd_verify }, { "submit", ctl_submit }, { "approve", ctl_approve }, { "list", ctl_list },
		{ "revoke", ctl_revoke }, { "status", ctl_status },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sqlward plan: unknown subcommand \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
