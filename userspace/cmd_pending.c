/* `sqlward pending | show ID | approve ID | deny ID | status`: the reviewer's side. */
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

struct ctl_args {
	const char *socket;
	const char *comment;
	const char *format;
	const char *id;
};

static int parse_ctl(int argc, char **argv, struct ctl_args *a, bool want_id, const char *usage)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "comment", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->format = "text";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->socket = optarg; break;
		case 'c': a->comment = optarg; break;
		case 'f': a->format = optarg; break;
		case 'h': printf("%s", usage); exit(0);
		default: fprintf(stderr, "%s", usage); return -1;
		}
	}
	if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0) {
		fprintf(stderr, "sqlward %s: --format must be text or json\n", argv[0]);
		return -1;
	}
	if (want_id) {
		char *end;
		if (optind != argc - 1 || (strtoull(argv[optind], &end, 10), *end) || !argv[optind][0]) {
			fprintf(stderr, "%s", usage);
			return -1;
		}
		a->id = argv[optind];
	} else if (optind != argc) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

/* One line, control characters shown as escapes, cut at max bytes. */
static void print_oneline(const char *s, size_t max)
{
	size_t n = 0;
	for (; *s && n < max; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (*s)
		fputs("...", stdout);
}

static void print_hold(json_t *h, bool full)
{
	const char *db = json_string_value(json_object_get(h, "database"));
	const char *client = json_string_value(json_object_get(h, "client"));
	const char *reason = json_string_value(json_object_get(h, "reason"));
	json_t *objs = json_object_get(h, "objects");
	size_t i;
	json_t *v;

	if (!full) {
		printf("%-5lld %6.1fs  %-16s %-12s %-8s %-20s ",
		       (long long)json_integer_value(json_object_get(h, "id")),
		       json_real_value(json_object_get(h, "age_s")),
		       json_string_value(json_object_get(h, "role")), db ? db : "-",
		       json_string_value(json_object_get(h, "class")),
		       json_string_value(json_object_get(h, "rule")));
		print_oneline(json_string_value(json_object_get(h, "statement")), 60);
		putchar('\n');
		return;
	}
	printf("Held statement #%lld\n", (long long)json_integer_value(json_object_get(h, "id")));
	printf("  session    pid %lld, role %s, database %s, client %s\n",
	       (long long)json_integer_value(json_object_get(h, "pid")),
	       json_string_value(json_object_get(h, "role")), db ? db : "?", client ? client : "?");
	printf("  arrived    %s (held %.1fs, timeout in %.0fs)\n", json_string_value(json_object_get(h, "time")),
	       json_real_value(json_object_get(h, "age_s")), json_real_value(json_object_get(h, "timeout_in_s")));
	printf("  held by    rule %s%s%s\n", json_string_value(json_object_get(h, "rule")),
	       reason ? ": " : "", reason ? reason : "");
	printf("  class      %s, command %s\n", json_string_value(json_object_get(h, "class")),
	       json_string_value(json_object_get(h, "command")));
	printf("  objects   ");
	json_array_foreach(objs, i, v) {
		const char *lock = json_string_value(json_object_get(json_object_get(h, "locks"), json_string_value(v)));
		printf(" %s%s%s%s", json_string_value(v), lock ? " (" : "", lock ? lock : "", lock ? ")" : "");
	}
	printf("%s\n", json_array_size(objs) ? "" : " (none)");
	sw_impact_print(stdout, h, "  ", 10, false);  /* locks and what they block, rewrite, scan, undo, safer, live */
	json_array_foreach(json_object_get(h, "reasons"), i, v)
		printf("  note       %s\n", json_string_value(v));
	{
		json_t *req = json_object_get(h, "requester");
		json_t *appr = json_object_get(h, "approvers");
		if (req)
			printf("  requested  by OS user %s (client pid %lld); they cannot approve it\n",
			       json_string_value(json_object_get(req, "user")),
			       (long long)json_integer_value(json_object_get(req, "pid")));
		else
			printf("  requested  by a client not found on this host (self-approval cannot be checked)\n");
		printf("  approval   %lld distinct approval%s needed from ",
		       (long long)json_integer_value(json_object_get(h, "approvals_required")),
		       json_integer_value(json_object_get(h, "approvals_required")) == 1 ? "" : "s");
		if (json_array_size(appr) == 0)
			printf("root");
		json_array_foreach(appr, i, v)
			printf("%s%s", i ? ", " : "", json_string_value(v));
		putchar('\n');
		json_array_foreach(json_object_get(h, "approvals"), i, v)
			printf("  approved   by %s at %s%s%s\n", json_string_value(json_object_get(v, "user")),
			       json_string_value(json_object_get(v, "time")),
			       json_object_get(v, "comment") ? ": " : "",
			       json_object_get(v, "comment") ? json_string_value(json_object_get(v, "comment")) : "");
	}
	if (json_object_get(h, "statement_timeout_ms")) {
		long long st = json_integer_value(json_object_get(h, "statement_timeout_ms"));
		long long lt = json_integer_value(json_object_get(h, "lock_timeout_ms"));
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
	if (json_array_size(json_object_get(h, "transaction"))) {
		printf("  transaction so far (this session, since BEGIN):\n");
		json_array_foreach(json_object_get(h, "transaction"), i, v)
			printf("    %zu. %s\n", i + 1, json_string_value(v));
	}
	printf("  sha256     %s\n", json_string_value(json_object_get(h, "statement_sha256")));
	printf("  statement (exact text that will run if approved):\n%s\n",
	       json_string_value(json_object_get(h, "statement")));
}

static json_t *call(const struct ctl_args *a, json_t *req)
{
	json_t *r = sw_control_call(sw_control_socket_path(a->socket), req);
	json_decref(req);
	if (r && !json_is_true(json_object_get(r, "ok"))) {
		fprintf(stderr, "sqlward: %s\n", json_string_value(json_object_get(r, "error")));
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

	if (parse_ctl(argc, argv, &a, false, "usage: sqlward pending [--socket PATH] [--format text|json]\n") < 0)
		return 2;
	r = call(&a, json_pack("{s:s}", "op", "pending"));
	if (!r)
		return 1;
	list = json_object_get(r, "pending");
	if (strcmp(a.format, "json") == 0) {
		char *s = json_dumps(list, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else if (json_array_size(list) == 0) {
		printf("no held statements\n");
	} else {
		printf("%-5s %7s  %-16s %-12s %-8s %-20s %s\n", "ID", "AGE", "ROLE", "DATABASE", "CLASS", "RULE", "STATEMENT");
		json_array_foreach(list, i, h)
			print_hold(h, false);
	}
	json_decref(r);
	return 0;
}

int sw_cmd_show(int argc, char **argv)
{
	struct ctl_args a;
	json_t *r;

	if (parse_ctl(argc, argv, &a, true, "usage: sqlward show ID [--socket PATH] [--format text|json]\n") < 0)
		return 2;
	r = call(&a, json_pack("{s:s, s:I}", "op", "show", "id", (json_int_t)strtoll(a.id, NULL, 10)));
	if (!r)
		return 1;
	if (strcmp(a.format, "json") == 0) {
		char *s = json_dumps(json_object_get(r, "hold"), JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else {
		print_hold(json_object_get(r, "hold"), true);
	}
	json_decref(r);
	return 0;
}

static int decide(int argc, char **argv, const char *op)
{
	char usage[256];
	struct ctl_args a;
	json_t *req, *r;

	snprintf(usage, sizeof(usage), "usage: sqlward %s ID [--comment TEXT] [--socket PATH]\n", op);
	if (parse_ctl(argc, argv, &a, true, usage) < 0)
		return 2;
	req = json_pack("{s:s, s:I}", "op", op, "id", (json_int_t)strtoll(a.id, NULL, 10));
	if (a.comment)
		json_object_set_new(req, "comment", json_string(a.comment));
	r = call(&a, req);
	if (!r)
		return 1;
	printf("held statement #%s: %s\n", a.id, json_string_value(json_object_get(r, "message")));
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

	if (parse_ctl(argc, argv, &a, false, "usage: sqlward status [--socket PATH]\n") < 0)
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
	} else if (json_is_true(json_object_get(r, "frozen"))) {
		printf("frozen: %s\n", json_string_value(json_object_get(r, "reason")));
	} else {
		printf("not frozen\n");
	}
	json_decref(r);
	return 0;
}
