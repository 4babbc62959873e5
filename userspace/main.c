/* sqlward: one binary, one subcommand per job. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "cmd_plan.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcommand commands[] = {
	{ "run", sw_cmd_run, "run the gate daemon in the foreground" },
	{ "check", sw_cmd_check, "classify and judge statements offline" },
	{ "pending", sw_cmd_pending, "list statements held for approval" },
	{ "show", sw_cmd_show, "show one held statement as a review dossier" },
	{ "approve", sw_cmd_approve, "let one held statement run" },
	{ "deny", sw_cmd_deny, "cancel one held statement" },
	{ "freeze", sw_cmd_freeze, "deny frozen classes at once: freeze on --reason T [--until T] | off | status" },
	{ "status", sw_cmd_status, "daemon counters (ring-buffer drops, holds, cache hits)" },
	{ "plan", sw_cmd_plan, "approved plans: build, show, sign, verify; submit/approve/list/revoke/status on the daemon" },
	{ "log", sw_cmd_log, "print ledger records" },
	{ "verify", sw_cmd_verify, "verify the ledger's hash chain" },
	{ "detach", sw_cmd_detach, "remove the gate's pinned probes" },
	{ "doctor", sw_cmd_doctor, "check this host before deploying; says how to fix each problem" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sqlward COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`sqlward COMMAND --help` describes each command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sqlward: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
