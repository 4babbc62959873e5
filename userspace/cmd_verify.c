/* sqlward verify: check a ledger's hash chain from the first record to the last. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "ledger.h"
#include "statement_json.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward verify [--ledger FILE] [--format text|json]\n"
		"\n"
		"Check every record of the ledger: valid JSON, consecutive seq, each\n"
		"record's prev equal to the previous record's hash, and each hash\n"
		"matching the record's content.\n"
		"\n"
		"  --ledger FILE   ledger to check (default: $SQLWARD_LEDGER or %s)\n"
		"  --format FMT    text (default) or json\n"
		"\n"
		"Exit status: 0 chain intact, 1 a record is bad, 2 usage error or unreadable ledger.\n",
		SW_LEDGER_DEFAULT_PATH);
}

int sw_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool json = false;
	struct sw_verify_result res;
	int c;

	optind = 0; /* glibc: full re-initialisation, so the command can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else {
				fprintf(stderr, "sqlward verify: unknown --format '%s' (use text or json)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "sqlward verify: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			fprintf(stderr, "sqlward verify: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sqlward verify: unexpected argument '%s' (the ledger is given with --ledger FILE)\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!path)
		path = sw_ledger_default_path();

	if (sw_ledger_verify(path, &res) != 0) {
		fprintf(stderr, "sqlward verify: cannot read ledger %s: %s; %s\n", path, res.reason,
			strstr(res.reason, "ermission") ?
			"run as root or as a user allowed to read it" :
			"pass --ledger FILE or set SQLWARD_LEDGER to the daemon's ledger");
		return 2;
	}

	if (json) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "ledger", sw_json_text(path));
		json_object_set_new(o, "ok", json_boolean(res.ok));
		json_object_set_new(o, "records", json_integer((json_int_t)res.records));
		json_object_set_new(o, "head", json_string(res.head));
		if (!res.ok) {
			json_object_set_new(o, "bad_line", json_integer((json_int_t)res.bad_line));
			json_object_set_new(o, "reason", json_string(res.reason));
		}
		s = json_dumps(o, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	} else if (res.ok) {
		printf("ledger %s: %zu records, chain intact, head %s\n", path, res.records, res.head);
	} else {
		printf("ledger %s: record at line %zu is bad: %s (%zu records before it verified)\n",
		       path, res.bad_line, res.reason, res.records);
	}
	return res.ok ? 0 : 1;
}
