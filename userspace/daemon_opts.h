/*
 * What `sqlward run` was started with, and the defaults: read by every part
 * of the daemon (d->opts), filled by cmd_run.c. A header of its own so that
 * the daemon's lower parts (daemon_state.h) need not include daemon.h, the
 * entry point.
 */
#ifndef SQLWARD_DAEMON_OPTS_H
#define SQLWARD_DAEMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include "ledger_blob.h"
#include "ledger_upkeep.h"
#include "pg_backend.h"

#define SW_DEFAULT_POLICY "/etc/sqlward/policy.yaml"
#define SW_DEFAULT_LEDGER "/var/lib/sqlward/ledger.jsonl"
#define SW_DEFAULT_SOCKET "/run/sqlward/control.sock"
#define SW_DEFAULT_PIN_DIR "/sys/fs/bpf/sqlward"
#define SW_LOCK_DIR "/run/sqlward"          /* instance locks: one daemon per binary or cluster */

/*
 * When a statement decided in userspace may move, against its record:
 * - DECISION (default): once the record is fdatasynced. Nothing runs that a crash of the host could
 *   take out of the ledger; each decision pays the disk's flush (0.2-0.4 ms on a VM's disk).
 * - INTERVAL: once the record is written into the kernel (page cache), synced within 100 ms. A
 *   crash or kill of the daemon loses nothing; a crash of the host (power loss, kernel panic) can
 *   lose the last 100 ms of decisions whose statements ran. auditd's flush = incremental_async.
 */
enum sw_ledger_sync_mode {
	SW_LEDGER_SYNC_DECISION = 0,
	SW_LEDGER_SYNC_INTERVAL,
};

struct sw_daemon_opts {
	const char *policy_path;
	const char *ledger_path;
	const char *state_path;        /* freeze switch; default: sqlward-state.json beside the ledger */
	const char *socket_path;
	const char *socket_group;      /* group that may connect (approvers); NULL: root only */
	struct sw_ledger_access ledger_access;  /* --ledger-group: who may read the ledger */
	const char *pin_dir;           /* NULL: do not pin (gate opens when the daemon exits) */
	const char *pg_bins[SW_PG_MAX_BINS];
	int n_pg_bins;
	int postmasters[8];            /* --postmaster-pid: govern only these clusters' backends */
	int n_postmasters;
	bool observe_only;             /* never stop or cancel; record what would happen */
	bool no_cache;                 /* never use the in-kernel verdict cache */
	size_t max_statement_bytes;    /* longest statement read from a held backend */
	unsigned grace_ms;             /* heartbeat grace before the kernel cancels on its own */
	int mariadb_pids[4];           /* --mariadb-pid: mariadbd servers to gate (my_gate.c) */
	int n_mariadb_pids;
	struct sw_ledger_upkeep_opts ledger_upkeep; /* rotation, retention, signed checkpoints */
	const char *metrics_listen;    /* --metrics-listen HOST:PORT: Prometheus endpoint (NULL: none) */
	const char *metrics_textfile;  /* --metrics-textfile PATH.prom: textfile-collector output (NULL: none) */
	int nice;                      /* --nice: the daemon's scheduling priority (SW_DEFAULT_NICE) */
	enum sw_ledger_sync_mode ledger_sync;  /* --ledger-sync: when a decided statement may move */
};

/* The daemon runs ahead of the backends it records, as auditd does (priority_boost): a busy host's
 * runnable backends otherwise outweigh it, the ring buffer fills and records are lost. Its CPU is
 * bounded by the statement rate, so the boost cannot starve the server. */
#define SW_DEFAULT_NICE (-10)

#endif
