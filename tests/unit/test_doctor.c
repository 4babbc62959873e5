/*
 * `sqlward doctor` (doctor_checks.c, doctor_report.c): the parsers of kernel
 * and /proc text (kernel version, kernel config plain and gzip, Yama ptrace
 * scope, lockdown mode, CapEff), ELF build id and dynamic symbols of the real
 * PostgreSQL 15 binary, the checks that read files given to them (ptrace
 * scope, lockdown, kernel config, policy, ledger, bpffs) failing with their
 * fix, and the documented shape of the JSON and text reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "unit.h"
#include "doctor_checks.h"
#include "ledger.h"

#define PG15 "/usr/lib/postgresql/15/bin/postgres"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/sw_doctor_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name holding text; returns its path (static buffer, one at a time). */
static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The only check in r (each test runs one). */
static const struct sw_doctor_check *only(const struct sw_doctor_report *r)
{
	assert_int_equal(r->n, 1);
	return &r->checks[0];
}

static void test_kernel_version(void **state)
{
	int major = 0, minor = 0;

	(void)state;
	assert_true(sw_doctor_kernel_version("6.18.44-fc-v669", &major, &minor));
	assert_int_equal(major, 6);
	assert_int_equal(minor, 18);
	assert_true(sw_doctor_kernel_version("5.17.0", &major, &minor));
	assert_int_equal(minor, 17);
	assert_false(sw_doctor_kernel_version("linux", &major, &minor));
	assert_false(sw_doctor_kernel_version(NULL, &major, &minor));
}

static void test_kconfig_value(void **state)
{
	const char *text = "#\n# Automatically generated file; DO NOT EDIT.\n"
			   "CONFIG_BPF=y\n"
			   "CONFIG_BPF_SYSCALL=y\n"
			   "# CONFIG_BPF_LSM is not set\n"
			   "CONFIG_UPROBE_EVENTS=m\n"
			   "CONFIG_LSM=\"lockdown,yama,apparmor\"\n"
			   "CONFIG_DEBUG_INFO_BTF=y";   /* last line without newline */
	char v[64];

	(void)state;
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_BPF_SYSCALL", v, sizeof(v)), 1);
	assert_string_equal(v, "y");
	/* A prefix of another option is not that option. */
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_BPF", v, sizeof(v)), 1);
	assert_string_equal(v, "y");
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_BPF_SYS", v, sizeof(v)), -1);
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_BPF_LSM", v, sizeof(v)), 0);
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_UPROBE_EVENTS", v, sizeof(v)), 1);
	assert_string_equal(v, "m");
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_LSM", v, sizeof(v)), 1);
	assert_string_equal(v, "lockdown,yama,apparmor");
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_DEBUG_INFO_BTF", v, sizeof(v)), 1);
	assert_string_equal(v, "y");
	assert_int_equal(sw_doctor_kconfig_value(text, strlen(text), "CONFIG_KPROBES", v, sizeof(v)), -1);
}

static void test_read_maybe_gz(void **state)
{
	const char *text = "CONFIG_BPF_SYSCALL=y\n# CONFIG_BPF_LSM is not set\n";
	char gz[256], err[256];
	gzFile f;
	size_t len = 0;
	char *got;

	(void)state;
	snprintf(gz, sizeof(gz), "%s/config.gz", tmpdir);
	f = gzopen(gz, "wb");
	assert_non_null(f);
	assert_int_equal(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
	gzclose(f);
	got = sw_doctor_read_maybe_gz(gz, &len, err, sizeof(err));
	assert_non_null(got);
	assert_int_equal(len, strlen(text));
	assert_string_equal(got, text);
	free(got);
	/* A plain file reads as it is (/boot/config-RELEASE). */
	got = sw_doctor_read_maybe_gz(write_tmp("config", text), &len, err, sizeof(err));
	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
	assert_null(sw_doctor_read_maybe_gz("/nonexistent/config.gz", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/config.gz"));
}

static void test_parse_ptrace_scope(void **state)
{
	(void)state;
	assert_int_equal(sw_doctor_parse_ptrace_scope("0\n"), 0);
	assert_int_equal(sw_doctor_parse_ptrace_scope("1\n"), 1);
	assert_int_equal(sw_doctor_parse_ptrace_scope(" 2 \n"), 2);
	assert_int_equal(sw_doctor_parse_ptrace_scope("3"), 3);
	assert_int_equal(sw_doctor_parse_ptrace_scope("4\n"), -1);
	assert_int_equal(sw_doctor_parse_ptrace_scope("-1\n"), -1);
	assert_int_equal(sw_doctor_parse_ptrace_scope("1x\n"), -1);
	assert_int_equal(sw_doctor_parse_ptrace_scope(""), -1);
	assert_int_equal(sw_doctor_parse_ptrace_scope(NULL), -1);
}

static void test_parse_lockdown_capeff(void **state)
{
	char mode[32];
	uint64_t caps = 0;

	(void)state;
	assert_true(sw_doctor_parse_lockdown("none [integrity] confidentiality\n", mode, sizeof(mode)));
	assert_string_equal(mode, "integrity");
	assert_true(sw_doctor_parse_lockdown("[none] integrity confidentiality\n", mode, sizeof(mode)));
	assert_string_equal(mode, "none");
	assert_false(sw_doctor_parse_lockdown("none integrity confidentiality\n", mode, sizeof(mode)));
	assert_false(sw_doctor_parse_lockdown("[]", mode, sizeof(mode)));

	assert_true(sw_doctor_parse_capeff("Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n", &caps));
	assert_int_equal(caps, 0x1ffffffffffull);
	assert_false(sw_doctor_parse_capeff("Name:\tx\n", &caps));
}

static void test_real_binary(void **state)
{
	const char *names[] = { "pg_parse_query", "InitializeSessionUserId", "exec_simple_query", "no_such_symbol" };
	bool missing[4];
	char bid[128];

	(void)state;
	if (access(PG15, R_OK) != 0)
		skip();
	assert_true(sw_doctor_build_id(PG15, bid, sizeof(bid)));
	assert_int_equal(strlen(bid), 40);   /* SHA-1 build id */
	assert_int_equal(strspn(bid, "0123456789abcdef"), 40);
	/* exec_simple_query is static in Debian's build: not in the dynamic table. */
	assert_int_equal(sw_doctor_missing_dynsyms(PG15, names, 4, missing), 2);
	assert_false(missing[0]);
	assert_false(missing[1]);
	assert_true(missing[2]);
	assert_true(missing[3]);
	assert_int_equal(sw_doctor_missing_dynsyms(write_tmp("notelf", "hello\n"), names, 4, missing), -1);
	assert_false(sw_doctor_build_id("/nonexistent", bid, sizeof(bid)));
}

static void test_check_ptrace_scope(void **state)
{
	struct sw_doctor_report r = { 0 };

	(void)state;
	sw_doctor_check_ptrace_scope(&r, write_tmp("ptrace_scope", "3\n"));
	assert_string_equal(only(&r)->name, "ptrace-scope");
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->fix, "kernel.yama.ptrace_scope=2"));
	sw_doctor_report_free(&r);

	sw_doctor_check_ptrace_scope(&r, write_tmp("ptrace_scope", "1\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_OK);
	sw_doctor_report_free(&r);

	sw_doctor_check_ptrace_scope(&r, write_tmp("ptrace_scope", "garbage\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_WARN);
	assert_non_null(only(&r)->fix);
	sw_doctor_report_free(&r);
}

static void test_check_lockdown_and_config(void **state)
{
	struct sw_doctor_report r = { 0 };

	(void)state;
	sw_doctor_check_lockdown(&r, write_tmp("lockdown", "none integrity [confidentiality]\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->fix, "lockdown=integrity"));
	sw_doctor_report_free(&r);
	sw_doctor_check_lockdown(&r, write_tmp("lockdown", "none [integrity] confidentiality\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_OK);
	sw_doctor_report_free(&r);

	sw_doctor_check_kernel_config(&r, write_tmp("config", "CONFIG_BPF_SYSCALL=y\nCONFIG_UPROBE_EVENTS=y\n"
							   "# CONFIG_DEBUG_INFO_BTF is not set\nCONFIG_BPF_EVENTS=y\n"));
	assert_string_equal(only(&r)->name, "kernel-config");
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->fix, "CONFIG_DEBUG_INFO_BTF=y"));
	assert_null(strstr(only(&r)->fix, "CONFIG_BPF_SYSCALL"));
	sw_doctor_report_free(&r);
	sw_doctor_check_kernel_config(&r, write_tmp("config", "CONFIG_BPF_SYSCALL=y\nCONFIG_UPROBE_EVENTS=y\n"
							   "CONFIG_DEBUG_INFO_BTF=y\nCONFIG_BPF_EVENTS=y\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_OK);
	sw_doctor_report_free(&r);
}

static void test_check_bpffs(void **state)
{
	struct sw_doctor_report r = { 0 };
	char pins[128];

	(void)state;
	snprintf(pins, sizeof(pins), "%s/sqlward", tmpdir);   /* /tmp is not bpffs */
	sw_doctor_check_bpffs(&r, pins);
	assert_string_equal(only(&r)->name, "bpffs");
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->fix, "mount -t bpf bpf "));
	assert_non_null(strstr(only(&r)->fix, tmpdir));
	sw_doctor_report_free(&r);
}

static void test_check_policy(void **state)
{
	struct sw_doctor_report r = { 0 };
	char missing[128];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/policy.yaml", tmpdir);
	sw_doctor_check_policy(&r, missing);
	assert_int_equal(only(&r)->status, SW_DOCTOR_WARN);
	assert_non_null(strstr(only(&r)->fix, "install -m 0640 policies/default.yaml"));
	sw_doctor_report_free(&r);

	sw_doctor_check_policy(&r, write_tmp("bad.yaml", "version: 1\nrules: [ { id: x, match: { class: nonsense } ]\n"));
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->detail, "bad.yaml"));
	assert_non_null(only(&r)->fix);
	sw_doctor_report_free(&r);
}

static void test_check_ledger(void **state)
{
	struct sw_doctor_report r = { 0 };
	struct sw_ledger *l;
	char path[128], err[512], cmd[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/ledger.jsonl", tmpdir);
	sw_doctor_check_ledger(&r, path);
	assert_int_equal(only(&r)->status, SW_DOCTOR_SKIP);
	sw_doctor_report_free(&r);

	assert_int_equal(sw_ledger_open(path, &l, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		json_t *rec = json_pack("{s:s, s:s, s:s, s:i}", "type", "daemon", "time", "2026-12-02T03:00:00Z",
					"event", "doctor_test", "n", i);
		assert_int_equal(sw_ledger_append(l, rec, err, sizeof(err)), 0);
		json_decref(rec);
	}
	sw_ledger_close(l);
	sw_doctor_check_ledger(&r, path);
	assert_int_equal(only(&r)->status, SW_DOCTOR_OK);
	assert_non_null(strstr(only(&r)->detail, "3 records verify"));

	assert_non_null(strstr(only(&r)->detail, ".head file is in the chain"));
	sw_doctor_report_free(&r);

	/* The last record deleted: the chain still verifies, but PATH.head says it went further. */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.full' && sed -i '$d' '%s'", path, path, path);
	assert_int_equal(system(cmd), 0);
	sw_doctor_check_ledger(&r, path);
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->detail, "ends at seq 2"));
	assert_non_null(strstr(only(&r)->fix, ".truncated"));
	sw_doctor_report_free(&r);
	snprintf(cmd, sizeof(cmd), "mv '%s.full' '%s'", path, path);
	assert_int_equal(system(cmd), 0);

	/* Rewrite a field of record 2: its hash no longer covers it. */
	snprintf(cmd, sizeof(cmd), "sed -i '2s/\"n\":1/\"n\":7/' '%s'", path);
	assert_int_equal(system(cmd), 0);
	sw_doctor_check_ledger(&r, path);
	assert_int_equal(only(&r)->status, SW_DOCTOR_FAIL);
	assert_non_null(strstr(only(&r)->detail, "line 2"));
	assert_non_null(strstr(only(&r)->fix, "sqlward verify --ledger"));
	sw_doctor_report_free(&r);
}

static void test_report_json_and_text(void **state)
{
	struct sw_doctor_report r = { 0 };
	json_t *j, *checks, *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sw_doctor_add(&r, "kernel", SW_DOCTOR_OK, "Linux %s", "6.18");
	sw_doctor_fix(sw_doctor_add(&r, "bpffs", SW_DOCTOR_FAIL, "not mounted"), "mount -t bpf bpf %s", "/sys/fs/bpf");
	sw_doctor_fix(sw_doctor_add(&r, "policy", SW_DOCTOR_WARN, "missing"), "install it");
	sw_doctor_add(&r, "pins", SW_DOCTOR_SKIP, "needs root");
	assert_false(sw_doctor_ready(&r));

	j = sw_doctor_report_json(&r);
	checks = json_object_get(j, "checks");
	assert_int_equal(json_array_size(checks), 4);
	c = json_array_get(checks, 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")), "kernel");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(c, "detail")), "Linux 6.18");
	assert_true(json_is_null(json_object_get(c, "fix")));
	c = json_array_get(checks, 1);
	assert_string_equal(json_string_value(json_object_get(c, "status")), "fail");
	assert_string_equal(json_string_value(json_object_get(c, "fix")), "mount -t bpf bpf /sys/fs/bpf");
	assert_int_equal(json_object_size(c), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "ok")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "warn")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "fail")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "skip")), 1);
	assert_true(json_is_false(json_object_get(j, "ready")));
	json_decref(j);

	f = open_memstream(&text, &len);
	sw_doctor_report_text(&r, f);
	fclose(f);
	assert_non_null(strstr(text, "ok    kernel  Linux 6.18\n"));
	assert_non_null(strstr(text, "fail  bpffs   not mounted\n"));
	assert_non_null(strstr(text, "fixes:\n  bpffs (fail): mount -t bpf bpf /sys/fs/bpf\n  policy (warn): install it\n"));
	assert_non_null(strstr(text, "4 checks: 1 ok, 1 warn, 1 fail, 1 skipped: NOT ready"));
	free(text);
	sw_doctor_report_free(&r);

	sw_doctor_add(&r, "kernel", SW_DOCTOR_OK, "fine");
	sw_doctor_fix(sw_doctor_add(&r, "policy", SW_DOCTOR_WARN, "missing"), "install it");
	assert_true(sw_doctor_ready(&r));
	j = sw_doctor_report_json(&r);
	assert_true(json_is_true(json_object_get(j, "ready")));
	json_decref(j);
	sw_doctor_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_version),
		cmocka_unit_test(test_kconfig_value),
		cmocka_unit_test_setup_teardown(test_read_maybe_gz, setup, teardown),
		cmocka_unit_test(test_parse_ptrace_scope),
		cmocka_unit_test(test_parse_lockdown_capeff),
		cmocka_unit_test_setup_teardown(test_real_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_ptrace_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_lockdown_and_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_bpffs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_ledger, setup, teardown),
		cmocka_unit_test(test_report_json_and_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
