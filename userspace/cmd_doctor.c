/* `sqlward doctor`: check a host before deploying (option parsing and output; the checks are doctor_checks.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "daemon_opts.h"
#include "doctor_checks.h"
#include "ledger.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && v[0] ? v : def;
}

static void doctor_usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward doctor [--pg-bin PATH]... [--mariadb-pid PID]... [--policy FILE] [--ledger FILE]\n"
		"                      [--pin-dir DIR] [--socket PATH] [--format text|json]\n"
		"Checks this host before deploying sqlward and says how to fix each problem: kernel (version,\n"
		"BTF, config, BPF features, the gate's programs, uprobes), lockdown, bpffs, pinned gates and\n"
		"their ABI, the database server binaries (version, build id, probe symbols, layout), Yama\n"
		"ptrace scope, the policy, the ledger, privileges, the control socket directory, and whether\n"
		"a daemon already runs. Run it as root with the options you give sqlward run.\n"
		"  --pg-bin PATH      PostgreSQL server binary (repeatable; default: those of running postgres)\n"
		"  --mariadb-pid PID  a running mariadbd (repeatable, at most %d; default: running mariadbd)\n"
		"  --policy FILE      policy (default $SQLWARD_POLICY or %s)\n"
		"  --ledger FILE      ledger (default $SQLWARD_LEDGER or %s)\n"
		"  --pin-dir DIR      the gate's pin directory (default %s)\n"
		"  --socket PATH      control socket (default $SQLWARD_SOCKET or %s)\n"
		"  --format text|json text (default): one line per check, then the fixes; json: {\"checks\":\n"
		"                     [{\"name\",\"status\",\"detail\",\"fix\"}],\"summary\":{\"ok\",\"warn\",\"fail\",\n"
		"                     \"skip\"},\"ready\":bool}\n"
		"Exit status: 0 no check failed (warnings allowed), 1 a check failed, 2 bad usage.\n",
		SW_DOCTOR_MARIADB_MAX, SW_DEFAULT_POLICY, SW_LEDGER_DEFAULT_PATH, SW_DEFAULT_PIN_DIR, SW_DEFAULT_SOCKET);
}

int sw_cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pg-bin", required_argument, NULL, 'b' },
		{ "mariadb-pid", required_argument, NULL, 'D' },
		{ "policy", required_argument, NULL, 'p' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sw_doctor_opts o = {
		.pin_dir = SW_DEFAULT_PIN_DIR,
		.policy_path = env_or("SQLWARD_POLICY", SW_DEFAULT_POLICY),
		.ledger_path = sw_ledger_default_path(),
		.socket_path = env_or("SQLWARD_SOCKET", SW_DEFAULT_SOCKET),
		.lock_dir = env_or("SQLWARD_LOCK_DIR", SW_LOCK_DIR),
		/* Test hooks: files read in place of the host's (a test must not change the host's sysctl). */
		.ptrace_scope_path = getenv("SQLWARD_DOCTOR_PTRACE_SCOPE"),
		.lockdown_path = getenv("SQLWARD_DOCTOR_LOCKDOWN"),
	};
	struct sw_doctor_report r = { 0 };
	bool json = false;
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (o.n_pg_bins == SW_DOCTOR_BINS_MAX) {
				fprintf(stderr, "sqlward doctor: at most %d --pg-bin\n", SW_DOCTOR_BINS_MAX);
				return 2;
			}
			o.pg_bins[o.n_pg_bins++] = optarg;
			break;
		case 'D': {
			char *end;
			long pid = strtol(optarg, &end, 10);
			if (*end || pid <= 1 || o.n_mariadb_pids == SW_DOCTOR_MARIADB_MAX) {
				fprintf(stderr, "sqlward doctor: --mariadb-pid takes a running mariadbd's pid (at most %d); "
					"find it with pidof mariadbd\n", SW_DOCTOR_MARIADB_MAX);
				return 2;
			}
			o.mariadb_pids[o.n_mariadb_pids++] = (int)pid;
			break;
		}
		case 'p': o.policy_path = optarg; break;
		case 'l': o.ledger_path = optarg; break;
		case 'P': o.pin_dir = optarg; break;
		case 's': o.socket_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				json = true;
			} else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "sqlward doctor: --format takes text or json, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'h': doctor_usage(stdout); return 0;
		default: doctor_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sqlward doctor: unexpected argument \"%s\"\n", argv[optind]);
		doctor_usage(stderr);
		return 2;
	}

	sw_doctor_run_all(&r, &o);
	if (json) {
		json_t *j = sw_doctor_report_json(&r);
		char *s = json_dumps(j, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		sw_doctor_report_text(&r, stdout);
	}
	status = sw_doctor_ready(&r) ? 0 : 1;
	sw_doctor_report_free(&r);
	return status;
}
