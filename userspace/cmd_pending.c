/* `sqlward pending | show ID | approve ID | deny ID | status`: the reviewer's side; show, approve and
 * deny also take a whole session (--session S, with --batch-digest to decide: see hold_batch.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "control_client.h"
#include "impact_text.h"
#include "ledger.h"
#include "util.h"

struct ctl_args {
	const char *socket;
	const char *comment;
	const char *format;
	const char *id;
	const char *sha256;      /* approve/deny: the statement's hash must start with it */
	const char *session;     /* show/approve/deny every hold of this session instead of one id */
	const char *batch_digest;  /* approve/deny --session: the batch digest must start with it */
	bool force;              /* approve: even though the server will cancel it on release */
};

/* How many operands a command takes: none, an id, or an id that --sha256 may stand in for. */
enum ctl_operand { CTL_NO_ID, CTL_ID, CTL_ID_OR_SHA };

static int parse_ctl(int argc, char **argv, struct ctl_args *a, enum ctl_operand want, const char *usage)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "comment", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "sha256", required_argument, NULL, 'x' },
		{ "force", no_argument, NULL, 'F' },
		{ "session", required_argument, NULL, 'S' },
		{ "batch-digest", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool deciding = strcmp(argv[0], "approve") == 0 || strcmp(argv[0], "deny") == 0;
	int c;

	memset(a, 0, sizeof(*a));
	a->format = "text";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->socket = optarg; break;
		case 'c': a->comment = optarg; break;
		case 'f': a->format = optarg; break;
		case 'x': a->sha256 = optarg; break;
		case 'F': a->force = true; break;
		case 'S': a->session = optarg; break;
		case 'B': a->batch_digest = optarg; break;
		case 'h': printf("%s", usage); exit(0);
		default: fprintf(stderr, "%s", usage); return -1;
		}
	}
	if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0) {
		fprintf(stderr, "sqlward %s: --format must be text or json\n", argv[0]);
		return -1;
	}
	if (a->force && strcmp(argv[0], "approve") != 0) {
		fprintf(stderr, "sqlward %s: --force goes with approve\n", argv[0]);
		return -1;
	}
	if (a->sha256 && want != CTL_ID_OR_SHA) {
		fprintf(stderr, "sqlward %s: --sha256 goes with approve and deny\n", argv[0]);
		return -1;
	}
	if (a->batch_digest && !a->session) {
		fprintf(stderr, "sqlward %s: --batch-digest goes with --session (`sqlward show --session S` prints "
			"the command)\n", argv[0]);
		return -1;
	}
	if (a->session) {
		if (want == CTL_NO_ID) {
			fprintf(stderr, "sqlward %s: --session goes with show, approve and deny\n", argv[0]);
			return -1;
		}
		if (optind != argc || a->sha256) {
			fprintf(stderr, "sqlward %s: --session decides the whole session: give no hold id and no --sha256 "
				"(the batch digest binds the statements)\n", argv[0]);
			return -1;
		}
		if (deciding && !a->batch_digest) {
			fprintf(stderr, "sqlward %s --session: give --batch-digest PREFIX as `sqlward show --session %s` "
				"prints it; it binds the decision to exactly the statements you reviewed\n", argv[0],
				a->session);
			return -1;
		}
		return 0;
	}
	if (want != CTL_NO_ID && optind == argc - 1 && argv[optind][0]) {
		a->id = argv[optind];
	} else if (!(optind == argc && (want == CTL_NO_ID || (want == CTL_ID_OR_SHA && a->sha256)))) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

/* {"op": op, "id": ID} (the daemon parses the id: "k7q2m3-12", or a number). */
static json_t *id_request(const char *op, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "op", op);
	if (a->id)
		json_object_set_new(req, "id", json_string(a->id));
	if (a->sha256)
		json_object_set_new(req, "sha256", json_string(a->sha256));
	if (a->session)
		json_object_set_new(req, "session", json_string(a->session));
	if (a->batch_digest)
		json_object_set_new(req, "batch_digest", json_string(a->batch_digest));
	return req;
}

/*
 * Every string from the daemon reaches the terminal through sw_escape_display:
 * statements, names and messages may carry ANSI sequences, bidi overrides or
 * invisible characters meant to make a reviewer misread them.
 */

/* A JSON string value, escaped; at least min_width characters (padded) and at
 * most max_cols (cut with "…"; 0: no limit). Missing values show as "-". */
static void put_json(json_t *v, size_t min_width, size_t max_cols, unsigned flags)
{
	const char *s = json_string_value(v);
	size_t cols, len = s ? json_string_length(v) : 1;
	char *shown = sw_escape_display(s ? s : "-", len, max_cols, flags, &cols);

	fputs(shown, stdout);
	for (; cols < min_width; cols++)
		putchar(' ');
	free(shown);
}

static void put_key(json_t *o, const char *key)
{
	put_json(json_object_get(o, key), 0, 0, 0);
}

/* "objects    a (RowExclusiveLock) b" for one statement's JSON. */
static void print_objects(json_t *st, const char *indent)
{
	json_t *objs = json_object_get(st, "objects"), *locks = json_object_get(st, "locks"), *v;
	size_t i;

	printf("%sobjects   ", indent);
	json_array_foreach(objs, i, v) {
		json_t *lock = json_object_get(locks, json_string_value(v));
		putchar(' ');
		put_json(v, 0, 0, 0);
		if (json_is_string(lock)) {
			fputs(" (", stdout);
			put_json(lock, 0, 0, 0);
			putchar(')');
		}
	}
	printf("%s\n", json_array_size(objs) ? "" : " (none)");
}

/* Each part of a multi-statement string: what it touches and how it was judged. */
static void print_statements(json_t *parts)
{
	size_t i;
	json_t *st;

	printf("  statements %zu in this string, each judged on its own; the most severe decided:\n",
	       json_array_size(parts));
	json_array_foreach(parts, i, st) {
		printf("    %zu. ", i + 1);
		put_key(st, "class");
		fputs(", command ", stdout);
		put_key(st, "command");
		fputs(": ", stdout);
		put_key(st, "verdict");
		fputs(" (rule ", stdout);
		put_key(st, "rule");
		fputs(")\n", stdout);
		print_objects(st, "       ");
		sw_impact_print(stdout, st, "       ", 10, true);
	}
}

/* The connection, backend first: each node under the one it connects to. */
static void print_chain_node(json_t *nodes, size_t i, int depth)
{
	json_t *n = json_array_get(nodes, i), *m;
	const char *kind = json_string_value(json_object_get(n, "kind"));
	size_t j;

	printf("  %-10s %*s<- ", "", 2 * depth, "");
	if (kind && strcmp(kind, "process") == 0) {
		put_key(n, "exe");
		printf(" (pid %lld, user ", (long long)json_integer_value(json_object_get(n, "pid")));
		put_key(n, "user");
		printf(")%s\n", json_is_true(json_object_get(n, "origin")) ? ", where the connection starts"
									  : ", relaying for the processes below");
	} else if (kind && strcmp(kind, "remote") == 0) {
		fputs("remote client ", stdout);
		put_key(n, "addr");
		fputs(", not on this host\n", stdout);
	} else {
		fputs("unknown: ", stdout);
		put_key(n, "addr");
		putchar('\n');
	}
	json_array_foreach(nodes, j, m)
		if (json_integer_value(json_object_get(m, "via")) == (json_int_t)i)
			print_chain_node(nodes, j, depth + 1);
}

static void print_requested_by(json_t *req)
{
	fputs("  requested  by OS user ", stdout);
	put_key(req, "user");
	printf(" (client pid %lld); they cannot approve it\n", (long long)json_integer_value(json_object_get(req, "pid")));
}

/* Who sent it, the connection it came through, and who may not approve it. */
static void print_requester(json_t *h)
{
	json_t *rc = json_object_get(h, "requester_chain"), *req = json_object_get(h, "requester");
	json_t *nodes = json_object_get(rc, "nodes"), *users = json_object_get(rc, "may_not_approve"), *v;
	const char *mode = json_string_value(json_object_get(rc, "approvers_distinct_from"));
	bool established = json_is_true(json_object_get(rc, "established"));
	size_t i;

	if (!json_is_object(rc)) {
		/* A daemon that does not report the chain: only the direct peer. */
		if (req)
			print_requested_by(req);
		else
			printf("  requested  by a client not found on this host (self-approval cannot be checked)\n");
		return;
	}
	if (established && req) {
		print_requested_by(req);
	} else if (json_array_size(users)) {
		fputs("  requested  by UNKNOWN: who sent it could not be established (", stdout);
		put_key(rc, "why");
		fputs(");\n             every OS user in its connection counts as the requester and may not approve it\n",
		      stdout);
	} else {
		fputs("  requested  by a client not found on this host (", stdout);
		put_key(rc, "why");
		fputs("); self-approval cannot be checked\n", stdout);
	}
	if (json_array_size(nodes)) {
		printf("  connection backend pid %lld\n", (long long)json_integer_value(json_object_get(rc, "backend_pid")));
		json_array_foreach(nodes, i, v)
			if (json_integer_value(json_object_get(v, "via")) < 0)
				print_chain_node(nodes, i, 0);
	}
	/* The requester line above already names the one barred user in the common case. */
	if (json_array_size(users) && !(established && mode && strcmp(mode, "requester") == 0)) {
		fputs("  barred     ", stdout);
		json_array_foreach(users, i, v) {
			fputs(i ? ", " : "", stdout);
			put_json(v, 0, 0, 0);
		}
		fputs(" may not approve it (approvers_distinct_from: ", stdout);
		put_json(json_object_get(rc, "approvers_distinct_from"), 0, 0, 0);
		fputs(")\n", stdout);
	}
}

/* "group:dba, carol" or "root". */
static void print_approvers(json_t *list)
{
	json_t *v;
	size_t i;

	if (json_array_size(list) == 0)
		fputs("root", stdout);
	json_array_foreach(list, i, v) {
		fputs(i ? ", " : "", stdout);
		put_json(v, 0, 0, 0);
	}
}

static void print_approval(json_t *h)
{
	json_t *rules = json_object_get(json_object_get(h, "approval"), "rules"), *v;
	long long required = json_integer_value(json_object_get(h, "approvals_required"));
	size_t i;

	printf("  approval   %lld distinct approval%s needed from ", required, required == 1 ? "" : "s");
	if (json_array_size(rules) > 1) {
		/* Held by several rules: every approval must satisfy each of them. */
		printf("people who are approvers of every rule below:\n");
		json_array_foreach(rules, i, v) {
			long long n = json_integer_value(json_object_get(v, "approvals_required"));
			printf("  %-10s rule ", "");
			put_key(v, "rule");
			printf(" (%lld approval%s, timeout %llds): ", n, n == 1 ? "" : "s",
			       (long long)json_integer_value(json_object_get(v, "timeout_s")));
			print_approvers(json_object_get(v, "approvers"));
			putchar('\n');
		}
	} else {
		print_approvers(json_object_get(h, "approvers"));
		putchar('\n');
	}
	json_array_foreach(json_object_get(h, "approvals"), i, v) {
		fputs("  approved   by ", stdout);
		put_key(v, "user");
		fputs(" at ", stdout);
		put_key(v, "time");
		if (json_object_get(v, "comment")) {
			fputs(": ", stdout);
			put_key(v, "comment");
		}
		putchar('\n');
	}
}

/* The exact commands to decide it, bound to the statement's hash. */
static void print_commands(json_t *h)
{
	json_t *cmds = json_object_get(h, "commands");

	if (!json_is_object(cmds))
		return;
	fputs("  to approve ", stdout);
	put_key(cmds, "approve");
	fputs("\n  to deny    ", stdout);
	put_key(cmds, "deny");
	putchar('\n');
}

static void print_timeouts(json_t *h)
{
	long long st = json_integer_value(json_object_get(h, "statement_timeout_ms"));
	long long lt = json_integer_value(json_object_get(h, "lock_timeout_ms"));

	if (!json_object_get(h, "statement_timeout_ms"))
		return;
	if (st > 0)
		printf("  timeouts   statement_timeout %lld ms: %s\n", st,
		       json_is_true(json_object_get(h, "server_cancels_on_release"))
			       ? "ALREADY EXCEEDED - PostgreSQL will cancel this statement as soon as it is released"
			       : "if the hold lasts longer, PostgreSQL cancels it on release");
	else
		printf("  timeouts   no statement_timeout");
	if (st <= 0)
		printf("; lock_timeout %lld ms\n", lt);
	else if (lt > 0)
		printf("             lock_timeout %lld ms (counts only while it waits for a lock after release)\n", lt);
}

/* A held Bind's parameters: each as an SQL literal (quotes doubled), escaped. */
static void print_parameters(json_t *h)
{
	json_t *params = json_object_get(h, "parameters"), *v;
	size_t i;

	if (json_is_string(params)) {   /* why they could not be read */
		fputs("  parameters ", stdout);
		put_json(params, 0, 0, 0);
		putchar('\n');
	}
	json_array_foreach(params, i, v) {
		json_t *val = json_object_get(v, "value");
		printf("  %-10s $%lld ", i ? "" : "parameters", (long long)json_integer_value(json_object_get(v, "index")));
		put_key(v, "type");
		fputs(" = ", stdout);
		if (json_is_string(val)) {
			char *shown = sw_escape_display(json_string_value(val), json_string_length(val), 0, 0, NULL);
			putchar('\'');
			for (const char *c = shown; *c; c++) {
				if (*c == '\'')
					putchar('\'');
				putchar(*c);
			}
			fputs("'\n", stdout);
			free(shown);
		} else {
			fputs("NULL\n", stdout);
		}
	}
}

/* "14m05s" */
static void format_left(double s, char *buf, size_t len)
{
	long t = s > 0 ? (long)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

/* The hold's id as the daemon wrote it (text, or a number from an older daemon). */
static void put_id(json_t *h, size_t width)
{
	json_t *id = json_object_get(h, "id");
	char num[32];

	if (json_is_string(id)) {
		put_json(id, width, 0, 0);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(id));
	printf("%-*s", (int)width, num);
}

/* "sqlward-client", or "?" with the users that may have sent it. */
static void put_requester(json_t *h, size_t width)
{
	json_t *user = json_object_get(h, "requester_user");
	json_t *barred = json_object_get(json_object_get(h, "requester_chain"), "may_not_approve");
	struct sw_sbuf b = { 0 };
	size_t i;
	json_t *v;

	if (!json_is_string(user))
		user = json_object_get(json_object_get(h, "requester"), "user");   /* an older daemon */
	if (json_is_string(user)) {
		put_json(user, width, width, 0);
		return;
	}
	sw_sbuf_str(&b, "?");
	json_array_foreach(barred, i, v)
		sw_sbuf_printf(&b, "%s%s", i ? "," : "(", json_is_string(v) ? json_string_value(v) : "?");
	if (json_array_size(barred))
		sw_sbuf_str(&b, ")");
	{
		json_t *s = json_string(b.s);
		put_json(s, width, width, 0);
		json_decref(s);
	}
	free(b.s);
}

/* "1/2 alice" */
static void put_approvals(json_t *h, size_t width)
{
	json_t *by = json_object_get(h, "approved_by"), *v, *s;
	struct sw_sbuf b = { 0 };
	size_t i;

	if (!by)
		by = json_object_get(h, "approvals");
	sw_sbuf_printf(&b, "%zu/%lld", json_array_size(by),
		       (long long)json_integer_value(json_object_get(h, "approvals_required")));
	json_array_foreach(by, i, v) {
		const char *u = json_is_string(v) ? json_string_value(v) : json_string_value(json_object_get(v, "user"));
		sw_sbuf_printf(&b, "%s%s", i ? "," : " ", u ? u : "?");
	}
	s = json_string(b.s);
	put_json(s, width, width, 0);
	json_decref(s);
	free(b.s);
}

static void print_row(json_t *h)
{
	json_t *left = json_object_get(h, "time_left_s");
	char age[32], lefts[48];

	if (!left)
		left = json_object_get(h, "timeout_in_s");
	snprintf(age, sizeof(age), "%.1fs", json_real_value(json_object_get(h, "age_s")));
	format_left(json_real_value(left), lefts, sizeof(lefts));
	put_id(h, 12);
	printf(" %7s %7s  ", age, lefts);
	put_json(json_object_get(h, "role"), 14, 0, 0);
	putchar(' ');
	put_json(json_object_get(h, "database"), 10, 0, 0);
	putchar(' ');
	put_json(json_object_get(h, "client"), 21, 0, 0);
	printf(" %-7lld ", (long long)json_integer_value(json_object_get(h, "pid")));
	put_requester(h, 16);
	putchar(' ');
	put_approvals(h, 14);
	putchar(' ');
	put_json(json_object_get(h, "class"), 8, 0, 0);
	putchar(' ');
	put_json(json_object_get(h, "rule"), 18, 0, 0);
	putchar(' ');
	put_json(json_object_get(h, "statement"), 0, 60, 0);
	putchar('\n');
}

static void print_dossier(json_t *h)
{
	json_t *parts = json_object_get(h, "statements"), *v;
	size_t i;

	fputs("Held statement ", stdout);
	put_id(h, 0);
	if (json_is_string(json_object_get(h, "host"))) {
		fputs(" on ", stdout);
		put_key(h, "host");
	}
	putchar('\n');
	printf("  session    pid %lld, role ", (long long)json_integer_value(json_object_get(h, "pid")));
	put_key(h, "role");
	fputs(", database ", stdout);
	put_key(h, "database");
	fputs(", client ", stdout);
	put_key(h, "client");
	if (json_is_string(json_object_get(h, "session"))) {
		fputs(" (session ", stdout);
		put_key(h, "session");
		putchar(')');
	}
	fputs("\n  arrived    ", stdout);
	put_key(h, "time");
	printf(" (held %.1fs, timeout in %.0fs", json_real_value(json_object_get(h, "age_s")),
	       json_real_value(json_object_get(h, "timeout_in_s")));
	if (json_is_string(json_object_get(h, "expires_at"))) {
		fputs(", at ", stdout);
		put_key(h, "expires_at");
	}
	fputs(")\n", stdout);
	fputs("  held by    rule ", stdout);
	put_key(h, "rule");
	if (json_is_string(json_object_get(h, "reason"))) {
		fputs(": ", stdout);
		put_key(h, "reason");
	}
	fputs("\n  class      ", stdout);
	put_key(h, "class");
	fputs(", command ", stdout);
	put_key(h, "command");
	if (json_is_string(json_object_get(h, "via"))) {
		fputs(", via ", stdout);
		put_key(h, "via");
	}
	putchar('\n');
	print_parameters(h);
	if (json_array_size(parts)) {
		print_statements(parts);
	} else {
		print_objects(h, "  ");
		sw_impact_print(stdout, h, "  ", 10, false);  /* locks and what they block, rewrite, scan, undo, safer, live */
	}
	json_array_foreach(json_object_get(h, "reasons"), i, v) {
		fputs("  note       ", stdout);
		put_json(v, 0, 0, 0);
		putchar('\n');
	}
	print_requester(h);
	print_approval(h);
	print_timeouts(h);
	if (json_array_size(json_object_get(h, "transaction"))) {
		printf("  transaction so far (this session, since BEGIN):\n");
		json_array_foreach(json_object_get(h, "transaction"), i, v) {
			printf("    %zu. ", i + 1);
			put_json(v, 0, 0, 0);
			putchar('\n');
		}
	}
	fputs("  sha256     ", stdout);
	put_key(h, "statement_sha256");
	printf("\n  statement (exact text that will run if approved; control and invisible characters "
	       "shown as \\ escapes, \\\\ is one backslash):\n");
	put_json(json_object_get(h, "statement"), 0, 0, SW_ESC_BREAK_LINES);
	putchar('\n');
	print_commands(h);
}

static json_t *call(const struct ctl_args *a, json_t *req)
{
	json_t *r = sw_control_call(sw_control_socket_path(a->socket), req);
	json_decref(req);
	if (r && !json_is_true(json_object_get(r, "ok"))) {
		char *shown = sw_escape_display(json_string_value(json_object_get(r, "error")),
						json_string_length(json_object_get(r, "error")), 0, 0, NULL);
		fprintf(stderr, "sqlward: %s\n", shown);
		free(shown);
		json_decref(r);
		return NULL;
	}
	return r;
}

int sw_cmd_pending(int argc, char **argv)
{
	struct ctl_args a;
	json_t *r, *list, *h;
	size_t i;

	if (parse_ctl(argc, argv, &a, CTL_NO_ID, "usage: sqlward pending [--socket PATH] [--format text|json]\n") < 0)
		return 2;
	r = call(&a, json_pack("{s:s}", "op", "pending"));
	if (!r)
		return 1;
	list = json_object_get(r, "pending");
	if (strcmp(a.format, "json") == 0) {
		/* Exact text; ASCII only, so no raw bidi or invisible character reaches a terminal. */
		char *s = json_dumps(list, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
	} else if (json_array_size(list) == 0) {
		printf("no held statements\n");
	} else {
		printf("%-12s %7s %7s  %-14s %-10s %-21s %-7s %-16s %-14s %-8s %-18s %s\n", "ID", "AGE", "LEFT", "ROLE",
		       "DATABASE", "CLIENT", "PID", "REQUESTER", "APPROVALS", "CLASS", "RULE", "STATEMENT");
		json_array_foreach(list, i, h)
			print_row(h);
	}
	json_decref(r);
	return 0;
}

/* One dossier for every hold waiting in a session, ending with the commands that decide exactly them. */
static void print_session_dossier(json_t *r)
{
	json_t *holds = json_object_get(r, "holds"), *h, *cmds = json_object_get(r, "commands");
	size_t i, n = json_array_size(holds);

	fputs("Session ", stdout);
	put_key(r, "session");
	fputs(" on ", stdout);
	put_key(r, "host");
	printf(": %zu held statement%s waiting, decided together (all or nothing)\n", n, n == 1 ? "" : "s");
	json_array_foreach(holds, i, h) {
		printf("\n[%zu of %zu] ", i + 1, n);
		print_dossier(h);
	}
	fputs("\nbatch digest ", stdout);
	put_key(r, "batch_digest");
	printf("\n  (SHA-256 over each hold's id and statement sha256, in order: a hold arriving or decided "
	       "changes it, and a decision bound to the old one decides nothing)\n");
	fputs("  to approve all ", stdout);
	put_key(cmds, "approve");
	fputs("\n  to deny all    ", stdout);
	put_key(cmds, "deny");
	putchar('\n');
}

int sw_cmd_show(int argc, char **argv)
{
	struct ctl_args a;
	json_t *r;

	if (parse_ctl(argc, argv, &a, CTL_ID, "usage: sqlward show ID [--socket PATH] [--format text|json]\n"
					      "       sqlward show --session SESSION [--socket PATH] [--format text|json]\n"
					      "SESSION as `sqlward pending --format json` gives it (\"session\"): a PostgreSQL "
					      "backend pid,\nor mariadbd-pid:connection-id for MariaDB.\n") < 0)
		return 2;
	r = call(&a, id_request("show", &a));
	if (!r)
		return 1;
	if (a.session) {
		if (strcmp(a.format, "json") == 0) {
			char *s;
			json_object_del(r, "ok");
			s = json_dumps(r, JSON_INDENT(2) | JSON_ENSURE_ASCII);
			printf("%s\n", s);
			free(s);
		} else {
			print_session_dossier(r);
		}
	} else if (strcmp(a.format, "json") == 0) {
		char *s = json_dumps(json_object_get(r, "hold"), JSON_INDENT(2) | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
	} else {
		print_dossier(json_object_get(r, "hold"));
	}
	json_decref(r);
	return 0;
}

static int decide(int argc, char **argv, const char *op)
{
	char usage[1024];
	struct ctl_args a;
	json_t *req, *r;

	snprintf(usage, sizeof(usage),
		 "usage: sqlward %s ID [--sha256 PREFIX] [--comment TEXT] [--socket PATH]%s\n"
		 "       sqlward %s --sha256 PREFIX [--comment TEXT] [--socket PATH]%s\n"
		 "       sqlward %s --session SESSION --batch-digest PREFIX [--comment TEXT] [--socket PATH]%s\n"
		 "ID as `sqlward pending` shows it (k7q2m3-12). --sha256: only if the held statement's SHA-256\n"
		 "starts with PREFIX (8 to 64 hex digits; `sqlward show ID` prints the command).\n"
		 "--session: every hold waiting in the session, all or nothing, only if their batch digest starts\n"
		 "with PREFIX (16 to 64 hex digits; `sqlward show --session SESSION` prints the command).%s\n", op,
		 strcmp(op, "approve") == 0 ? " [--force]" : "", op, strcmp(op, "approve") == 0 ? " [--force]" : "",
		 op, strcmp(op, "approve") == 0 ? " [--force]" : "",
		 strcmp(op, "approve") == 0 ? "\n--force: release it even though PostgreSQL will cancel it at once (its "
					      "statement_timeout ran out while it was held)." : "");
	if (parse_ctl(argc, argv, &a, CTL_ID_OR_SHA, usage) < 0)
		return 2;
	req = id_request(op, &a);
	if (a.comment)
		json_object_set_new(req, "comment", json_string(a.comment));
	if (a.force)
		json_object_set_new(req, "force", json_true());
	r = call(&a, req);
	if (!r)
		return 1;
	if (a.session) {
		json_t *h;
		size_t i;
		json_array_foreach(json_object_get(r, "holds"), i, h) {
			fputs("held statement ", stdout);
			put_key(h, "id");
			fputs(": ", stdout);
			put_key(h, "message");
			putchar('\n');
		}
		put_key(r, "message");
		putchar('\n');
		json_decref(r);
		return 0;
	}
	fputs("held statement ", stdout);
	put_key(r, "id");
	fputs(": ", stdout);
	put_key(r, "message");
	putchar('\n');
	json_decref(r);
	return 0;
}

int sw_cmd_approve(int argc, char **argv) { return decide(argc, argv, "approve"); }
int sw_cmd_deny(int argc, char **argv) { return decide(argc, argv, "deny"); }

int sw_cmd_status(int argc, char **argv)
{
	struct ctl_args a;
	json_t *r;
	char *s;

	if (parse_ctl(argc, argv, &a, CTL_NO_ID, "usage: sqlward status [--socket PATH]\n") < 0)
		return 2;
	r = call(&a, json_pack("{s:s}", "op", "status"));
	if (!r)
		return 1;
	json_object_del(r, "ok");
	s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", s);
	free(s);
	json_decref(r);
	return 0;
}

/* "2h", "+30m", "1d" from now, or an RFC 3339 time. */
static bool parse_until(const char *s, time_t *out)
{
	struct timespec now, t;
	char *end;
	double n;

	clock_gettime(CLOCK_REALTIME, &now);
	n = strtod(s[0] == '+' ? s + 1 : s, &end);
	if (end != s && n > 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
		double mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;
		*out = now.tv_sec + (time_t)(n * mult);
		return true;
	}
	if (sw_parse_time(s, &now, &t) != 0 || t.tv_sec <= now.tv_sec)
		return false;
	*out = t.tv_sec;
	return true;
}

int sw_cmd_freeze(int argc, char **argv)
{
	static const char usage[] =
		"usage: sqlward freeze on --reason TEXT [--until TIME] [--socket PATH]\n"
		"       sqlward freeze off [--socket PATH]\n"
		"       sqlward freeze status [--socket PATH] [--format text|json]\n"
		"While frozen, governed statements of the policy's frozen classes (default: write, ddl,\n"
		"privilege) are denied at once; reads go on. TIME: 2h, 30m, 1d from now, or RFC 3339.\n";
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl_args a = { .format = "text" };
	const char *reason = NULL, *until = NULL, *mode;
	time_t until_t = 0;
	json_t *req, *r;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a.socket = optarg; break;
		case 'r': reason = optarg; break;
		case 'u': until = optarg; break;
		case 'f': a.format = optarg; break;
		case 'h': printf("%s", usage); return 0;
		default: fprintf(stderr, "%s", usage); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	mode = argv[optind];
	if (strcmp(mode, "on") == 0) {
		if (!reason || !reason[0]) {
			fprintf(stderr, "sqlward freeze on: give a --reason; it is recorded and shown to everyone it stops\n");
			return 2;
		}
		if (until && !parse_until(until, &until_t)) {
			fprintf(stderr, "sqlward freeze on: --until \"%s\" is not a future time (2h, 30m, 1d, or RFC 3339)\n", until);
			return 2;
		}
		req = json_pack("{s:s, s:b, s:s}", "op", "freeze", "on", 1, "reason", reason);
		if (until_t)
			json_object_set_new(req, "until", json_integer((json_int_t)until_t));
	} else if (strcmp(mode, "off") == 0) {
		req = json_pack("{s:s, s:b, s:s}", "op", "freeze", "on", 0, "reason", reason ? reason : "");
	} else if (strcmp(mode, "status") == 0) {
		req = json_pack("{s:s}", "op", "freeze");
	} else {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	r = call(&a, req);
	if (!r)
		return 1;
	if (strcmp(a.format, "json") == 0) {
		char *s;
		json_object_del(r, "ok");
		s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	} else {
		json_t *window = json_object_get(r, "window");
		if (json_is_string(json_object_get(r, "message"))) {
			put_key(r, "message");
			putchar('\n');
		} else if (json_is_true(json_object_get(r, "frozen"))) {
			fputs("frozen: ", stdout);
			put_key(r, "reason");
			putchar('\n');
		} else {
			printf("not frozen\n");
		}
		if (json_is_object(window) && !json_is_string(json_object_get(r, "message"))) {
			fputs("scheduled window in force: ", stdout);
			put_key(window, "reason");
			fputs(", until ", stdout);
			put_key(window, "until");
			putchar('\n');
		}
	}
	json_decref(r);
	return 0;
}
