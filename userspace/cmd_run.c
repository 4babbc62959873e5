/* `sqlward run` and `sqlward detach`: option parsing around the daemon. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpf_gate.h"
#include "commands.h"
#include "daemon.h"
#include "proc_root.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && v[0] ? v : def;
}

/* A decimal whole number and nothing else ("5x", "", " 5", "-1" give -1). */
static long long whole_number(const char *s)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end ? -1 : v;
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward run [--policy FILE] [--ledger FILE] [--socket PATH] [--pg-bin PATH]...\n"
		"                   [--pin-dir DIR | --no-pin] [--observe-only] [--no-cache]\n"
		"                   [--max-statement-bytes SIZE] [--grace-ms N] [--postmaster-pid PID]...\n"
		"                   [--mariadb-pid PID]... [--metrics-listen HOST:PORT] [--metrics-textfile FILE]\n"
		"                   [--ledger-rotate-size SIZE] [--ledger-rotate-interval DUR]\n"
		"                   [--ledger-retain DUR] [--ledger-retain-bytes SIZE]\n"
		"                   [--checkpoint-key FILE --checkpoint-to FILE|syslog|webhook:URL...]\n"
		"                   [--checkpoint-every N] [--checkpoint-interval DUR]\n"
		"Runs the gate in the foreground until SIGTERM; SIGHUP reloads the policy.\n"
		"  --policy FILE   policy (default $SQLWARD_POLICY or %s)\n"
		"  --ledger FILE   ledger (default $SQLWARD_LEDGER or %s)\n"
		"  --socket PATH   control socket (default $SQLWARD_SOCKET or %s)\n"
		"  --socket-group G  approvers' group: may connect to the control socket (each request is\n"
		"                  still checked against the policy's approvers)\n"
		"  --ledger-group G  reviewers' group: may read the ledger, its .head and its .blobs store\n"
		"                  (files 0640, directories 0750, group G; the policy's access.ledger_readers\n"
		"                  are granted read by ACL as well)\n"
		"  --state FILE    runtime state: the freeze switch (default: sqlward-state.json beside the ledger)\n"
		"  --pg-bin PATH   PostgreSQL server binary to probe (default: the binaries the --postmaster-pid\n"
		"                  processes run, else those of every running postgres); a server in a\n"
		"                  container: /proc/PID/root/usr/lib/postgresql/15/bin/postgres (PID: any of\n"
		"                  its processes as the host sees it)\n"
		"  --pin-dir DIR   bpffs dir that keeps the gate closed while the daemon restarts (default %s)\n"
		"  --no-pin        the gate opens when the daemon exits (development only)\n"
		"  --observe-only  record verdicts but never stop or cancel a statement\n"
		"  --no-cache      judge every governed statement in userspace (no in-kernel verdict cache)\n"
		"  --postmaster-pid PID  govern only this postmaster's cluster (repeatable; it stays governed\n"
		"                  across restarts, by its data directory; default: every process running\n"
		"                  the binaries)\n"
		"  --mariadb-pid PID  gate this running mariadbd too (repeatable, at most 4): its governed\n"
		"                  accounts' commands are held and judged by the same policy\n"
		"  --metrics-listen HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics (off by\n"
		"                  default; a numeric address, e.g. 127.0.0.1:9477; a bare PORT means 127.0.0.1)\n"
		"  --metrics-textfile FILE.prom  write the same metrics to FILE.prom every 5 s (atomically),\n"
		"                  for node_exporter's textfile collector; removed when the daemon stops\n"
		"  --nice N        the daemon's scheduling priority, -20..19 (default %d: ahead of the backends it\n"
		"                  records, so a busy host does not fill the ring buffer; 0 leaves it as started)\n"
		"  --ledger-sync MODE  when a statement decided in userspace moves: decision (default: once its\n"
		"                  record is fdatasynced) or interval (once the record is written to the kernel,\n"
		"                  synced within 100 ms: a host crash can lose the last 100 ms of records; the\n"
		"                  disk's flush no longer adds to each held statement's wait)\n"
		"  --ledger-rotate-size SIZE  rotate the ledger into LEDGER.seg/ (gzip segments) once the live\n"
		"                  file holds SIZE bytes (K, M, G; default 256M; 0: never by size)\n"
		"  --ledger-rotate-interval DUR  also once its first record is DUR old (s, m, h, d; default off)\n"
		"  --ledger-retain DUR  delete segments older than DUR (a segments_removed record first; default:\n"
		"                  keep all)\n"
		"  --ledger-retain-bytes SIZE  delete the oldest segments while segments and live file exceed SIZE\n"
		"  --checkpoint-key FILE  sign checkpoints of the chain with this Ed25519 private key (PEM, owned\n"
		"                  by root, mode 0600 or 0400; make it with `sqlward plan keygen`)\n"
		"  --checkpoint-to T  where each checkpoint goes (repeatable, at most 4): FILE (one JSON line\n"
		"                  appended; put it on another mount or make it chattr +a), syslog (LOG_AUTHPRIV),\n"
		"                  webhook:URL; prove the ledger with `sqlward verify --checkpoints`\n"
		"  --checkpoint-every N  a checkpoint every N records (default 10000) ...\n"
		"  --checkpoint-interval DUR  ... or every DUR when records were added (default 60s)\n"
		"Only one daemon governs a binary (or, with --postmaster-pid, a cluster): locks in %s.\n",
		SW_DEFAULT_POLICY, SW_DEFAULT_LEDGER, SW_DEFAULT_SOCKET, SW_DEFAULT_PIN_DIR, SW_DEFAULT_NICE, SW_LOCK_DIR);
}

int sw_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "pg-bin", required_argument, NULL, 'b' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "observe-only", no_argument, NULL, 'o' },
		{ "no-cache", no_argument, NULL, 'C' },
		{ "max-statement-bytes", required_argument, NULL, 'm' },
		{ "grace-ms", required_argument, NULL, 'g' },
		{ "postmaster-pid", required_argument, NULL, 'M' },
		{ "mariadb-pid", required_argument, NULL, 'D' },
		{ "state", required_argument, NULL, 'S' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "ledger-group", required_argument, NULL, 'L' },
		{ "metrics-listen", required_argument, NULL, 1001 },
		{ "metrics-textfile", required_argument, NULL, 1002 },
		{ "nice", required_argument, NULL, 1003 },
		{ "ledger-sync", required_argument, NULL, 1004 },
		{ "ledger-rotate-size", required_argument, NULL, 1101 },
		{ "ledger-rotate-interval", required_argument, NULL, 1102 },
		{ "ledger-retain", required_argument, NULL, 1103 },
		{ "ledger-retain-bytes", required_argument, NULL, 1104 },
		{ "checkpoint-key", required_argument, NULL, 1105 },
		{ "checkpoint-to", required_argument, NULL, 1106 },
		{ "checkpoint-every", required_argument, NULL, 1107 },
		{ "checkpoint-interval", required_argument, NULL, 1108 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static char found[SW_PG_MAX_BINS][4096];
	struct sw_daemon_opts o = {
		.policy_path = env_or("SQLWARD_POLICY", SW_DEFAULT_POLICY),
		.ledger_path = env_or("SQLWARD_LEDGER", SW_DEFAULT_LEDGER),
		.socket_path = env_or("SQLWARD_SOCKET", SW_DEFAULT_SOCKET),
		.pin_dir = SW_DEFAULT_PIN_DIR,
		.nice = SW_DEFAULT_NICE,
		.max_statement_bytes = 16u << 20,
		.grace_ms = 1000,
		.ledger_upkeep = { .rotate_bytes = SW_UPKEEP_DEFAULT_ROTATE_BYTES },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 'l': o.ledger_path = optarg; break;
		case 's': o.socket_path = optarg; break;
		case 'b':
			if (o.n_pg_bins == SW_PG_MAX_BINS) {
				fprintf(stderr, "sqlward run: at most %d --pg-bin\n", SW_PG_MAX_BINS);
				return 2;
			}
			o.pg_bins[o.n_pg_bins++] = optarg;
			break;
		case 'P': o.pin_dir = optarg; break;
		case 'N': o.pin_dir = NULL; break;
		case 'o': o.observe_only = true; break;
		case 'C': o.no_cache = true; break;
		case 'm': {
			uint64_t v = 0;
			if (sw_upkeep_parse_size(optarg, &v) != 0 || v < SW_TEXT_CAP || v > (1u << 30)) {
				fprintf(stderr, "sqlward run: --max-statement-bytes %s: give a size from %d bytes to 1G, "
					"such as 16M (the default)\n", optarg, SW_TEXT_CAP);
				return 2;
			}
			o.max_statement_bytes = (size_t)v;
			break;
		}
		case 'S': o.state_path = optarg; break;
		case 'G': o.socket_group = optarg; break;
		case 'L': {
			struct group *gr = getgrnam(optarg);
			if (!gr) {
				fprintf(stderr, "sqlward run: --ledger-group %s: no such group; create it (groupadd %s) "
					"or name an existing one\n", optarg, optarg);
				return 2;
			}
			o.ledger_access.set_group = true;
			o.ledger_access.group = gr->gr_gid;
			break;
		}
		case 'g': {
			long long v = whole_number(optarg);
			if (v < 100 || v > 3600000) {
				fprintf(stderr, "sqlward run: --grace-ms %s: give milliseconds from 100 to 3600000 "
					"(the default is 1000)\n", optarg);
				return 2;
			}
			o.grace_ms = (unsigned)v;
			break;
		}
		case 'M': {
			long long v = whole_number(optarg);
			if (o.n_postmasters == 8 || v <= 1 || v > INT_MAX) {
				fprintf(stderr, "sqlward run: --postmaster-pid %s: give a postmaster's pid as the host sees "
					"it (at most 8 of them)\n", optarg);
				return 2;
			}
			o.postmasters[o.n_postmasters++] = (int)v;
			break;
		}
		case 'D': {
			long long v = whole_number(optarg);
			if (o.n_mariadb_pids == 4 || v <= 1 || v > INT_MAX) {
				fprintf(stderr, "sqlward run: --mariadb-pid %s: give a running mariadbd's pid (at most 4 of "
					"them)\n", optarg);
				return 2;
			}
			o.mariadb_pids[o.n_mariadb_pids++] = (int)v;
			break;
		}
		case 1001: o.metrics_listen = optarg; break;
		case 1002: o.metrics_textfile = optarg; break;
		case 1003: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < -20 || v > 19) {
				fprintf(stderr, "sqlward run: --nice %s: give a priority from -20 to 19 (0 leaves it)\n", optarg);
				return 2;
			}
			o.nice = (int)v;
			break;
		}
		case 1004:
			if (strcmp(optarg, "decision") == 0) {
				o.ledger_sync = SW_LEDGER_SYNC_DECISION;
			} else if (strcmp(optarg, "interval") == 0) {
				o.ledger_sync = SW_LEDGER_SYNC_INTERVAL;
			} else {
				fprintf(stderr, "sqlward run: --ledger-sync %s: give decision (a statement moves once its "
					"record is on disk) or interval (once it is written; synced within 100 ms)\n",
					optarg);
				return 2;
			}
			break;
		case 1101: case 1104:
			if (sw_upkeep_parse_size(optarg, c == 1101 ? &o.ledger_upkeep.rotate_bytes
							      : &o.ledger_upkeep.retain_bytes) != 0) {
				fprintf(stderr, "sqlward run: --%s %s: give a size such as 256M, 1G or 0\n",
					c == 1101 ? "ledger-rotate-size" : "ledger-retain-bytes", optarg);
				return 2;
			}
			break;
		case 1102: case 1103: case 1108:
			if (sw_upkeep_parse_duration(optarg, c == 1102 ? &o.ledger_upkeep.rotate_interval_s :
							     c == 1103 ? &o.ledger_upkeep.retain_s :
							     &o.ledger_upkeep.checkpoint_interval_s) != 0) {
				fprintf(stderr, "sqlward run: --%s %s: give a duration such as 90d, 12h, 30m or 60s\n",
					c == 1102 ? "ledger-rotate-interval" : c == 1103 ? "ledger-retain" :
					"checkpoint-interval", optarg);
				return 2;
			}
			break;
		case 1105: o.ledger_upkeep.checkpoint_key = optarg; break;
		case 1106:
			if (o.ledger_upkeep.n_checkpoint_to == SW_UPKEEP_MAX_SINKS) {
				fprintf(stderr, "sqlward run: at most %d --checkpoint-to\n", SW_UPKEEP_MAX_SINKS);
				return 2;
			}
			o.ledger_upkeep.checkpoint_to[o.ledger_upkeep.n_checkpoint_to++] = optarg;
			break;
		case 1107: {
			char *end;
			o.ledger_upkeep.checkpoint_every = strtoull(optarg, &end, 10);
			if (*end || o.ledger_upkeep.checkpoint_every == 0) {
				fprintf(stderr, "sqlward run: --checkpoint-every %s: give a number of records >= 1\n", optarg);
				return 2;
			}
			break;
		}
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sqlward run: unexpected argument \"%s\"\n", argv[optind]);
		run_usage(stderr);
		return 2;
	}
	{
		char err[800];
		if (sw_ledger_upkeep_check(&o.ledger_upkeep, err, sizeof(err)) != 0) {
			fprintf(stderr, "sqlward run: %s\n", err);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sqlward run: must run as root (it loads BPF programs and signals database backends)\n");
		return 1;
	}
	if (o.n_pg_bins == 0) {
		/* The binaries of the named postmasters, else of every running postgres (also in containers). */
		int n = sw_find_running_binaries("postgres", o.postmasters, o.n_postmasters, found, SW_PG_MAX_BINS);
		if (n == 0 && o.n_postmasters > 0) {
			fprintf(stderr, "sqlward run: no running process has the --postmaster-pid given; pass the "
				"postmaster's pid as the host sees it (`ps` on the host; inside a container its pid "
				"differs: see NSpid in /proc/PID/status)\n");
			return 1;
		}
		if (n == 0) {
			fprintf(stderr, "sqlward run: no running PostgreSQL server found; start it first or pass "
				"--pg-bin /usr/lib/postgresql/15/bin/postgres\n");
			return 1;
		}
		for (int i = 0; i < n; i++)
			o.pg_bins[o.n_pg_bins++] = found[i];
	}
	return sw_daemon_run(&o);
}

int sw_cmd_detach(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : SW_DEFAULT_PIN_DIR;
	char err[512];
	int n;

	if (argc > 2 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: sqlward detach [PIN_DIR]\n"
			"Removes the gate's pinned probes (default %s): statements are no longer held or\n"
			"cancelled when no daemon runs. Stop the daemon first.\n", SW_DEFAULT_PIN_DIR);
		return 2;
	}
	n = sw_gate_unpin_all(dir, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "sqlward detach: %s\n", err);
		return 1;
	}
	printf("sqlward detach: removed %d pinned probe%s from %s\n", n, n == 1 ? "" : "s", dir);
	return 0;
}
