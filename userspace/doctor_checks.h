/*
 * `sqlward doctor`'s checks of a host before deploying: one function per
 * check, each adding its findings (with the fix for what fails) to a report.
 * Where a check can reuse what `sqlward run` itself does (the server binary
 * loaders, the BPF skeleton load, the policy loader, the ledger verifier, the
 * pinned gate's ABI read), it does, so doctor refuses exactly what run would.
 * The parsers of kernel and /proc text are exposed for tests.
 */
#ifndef SQLWARD_DOCTOR_CHECKS_H
#define SQLWARD_DOCTOR_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "doctor_report.h"

#define SW_DOCTOR_BINS_MAX 8
#define SW_DOCTOR_MARIADB_MAX 4

struct sw_doctor_opts {
	const char *pg_bins[SW_DOCTOR_BINS_MAX];   /* none: the binaries of running postgres processes */
	int n_pg_bins;
	int mariadb_pids[SW_DOCTOR_MARIADB_MAX];   /* none: running mariadbd processes */
	int n_mariadb_pids;
	const char *pin_dir;
	const char *policy_path;
	const char *ledger_path;
	const char *socket_path;
	const char *lock_dir;
	/* Files read in place of the host's (NULL: the host's own). */
	const char *ptrace_scope_path;   /* /proc/sys/kernel/yama/ptrace_scope */
	const char *lockdown_path;       /* /sys/kernel/security/lockdown */
	const char *kconfig_path;        /* /proc/config.gz, else /boot/config-RELEASE */
};

/* Every check below, in order. */
void sw_doctor_run_all(struct sw_doctor_report *r, const struct sw_doctor_opts *o);

void sw_doctor_check_privileges(struct sw_doctor_report *r);
void sw_doctor_check_kernel(struct sw_doctor_report *r);
void sw_doctor_check_btf(struct sw_doctor_report *r);
void sw_doctor_check_kernel_config(struct sw_doctor_report *r, const char *path);
void sw_doctor_check_lockdown(struct sw_doctor_report *r, const char *path);
void sw_doctor_check_bpf_features(struct sw_doctor_report *r);
void sw_doctor_check_bpf_programs(struct sw_doctor_report *r);
void sw_doctor_check_uprobes(struct sw_doctor_report *r);
void sw_doctor_check_bpffs(struct sw_doctor_report *r, const char *pin_dir);
void sw_doctor_check_tracefs(struct sw_doctor_report *r);
void sw_doctor_check_pins(struct sw_doctor_report *r, const char *pin_dir);
void sw_doctor_check_postgres(struct sw_doctor_report *r, const char *const *bins, int n);
void sw_doctor_check_mariadb(struct sw_doctor_report *r, const int *pids, int n);
void sw_doctor_check_ptrace_scope(struct sw_doctor_report *r, const char *path);
void sw_doctor_check_policy(struct sw_doctor_report *r, const char *path);
void sw_doctor_check_ledger(struct sw_doctor_report *r, const char *path);
void sw_doctor_check_control_socket(struct sw_doctor_report *r, const char *socket_path);
/* bins: the server binaries run would govern (to name what a held lock stands for). */
void sw_doctor_check_other_daemon(struct sw_doctor_report *r, const char *lock_dir, const char *const *bins,
				  int n_bins);

/* ---- parsers (tests) ---- */

/* "6.18.0-1-amd64" -> 6, 18. */
bool sw_doctor_kernel_version(const char *release, int *major, int *minor);
/*
 * A kernel config option in config text: 1 and its value ("y", "m", a
 * string's text without quotes) when set, 0 when "# KEY is not set", -1 when
 * the text does not mention it.
 */
int sw_doctor_kconfig_value(const char *text, size_t len, const char *key, char *val, size_t vlen);
/* The whole file, gunzipped when it is gzip (zlib reads plain files as they are). NUL-terminated. */
char *sw_doctor_read_maybe_gz(const char *path, size_t *len, char *err, size_t errlen);
/* Yama's ptrace_scope (0..3) from its file's text; -1 when it is not one. */
int sw_doctor_parse_ptrace_scope(const char *text);
/* The active lockdown mode from "none [integrity] confidentiality": false when none is bracketed. */
bool sw_doctor_parse_lockdown(const char *text, char *mode, size_t len);
/* CapEff from /proc/PID/status text. */
bool sw_doctor_parse_capeff(const char *status, uint64_t *caps);
/* The ELF GNU build id of path as hex; false when it has none or cannot be read. */
bool sw_doctor_build_id(const char *path, char *hex, size_t len);
/*
 * Which of names the ELF file at path defines in its dynamic symbol table
 * (where sqlward's loaders look): missing[i] set for each absent one. Returns
 * how many are missing, or -1 when the file cannot be read as ELF.
 */
int sw_doctor_missing_dynsyms(const char *path, const char *const *names, size_t n, bool *missing);

#endif
