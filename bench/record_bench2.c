/*
 * Observed-statement micro-benchmark, daemon path (issue 16 profiling): what
 * the daemon does in userspace for one statement the kernel did not hold,
 * through the very functions it calls: sw_gate_on_event with the statement's
 * ring-buffer record (session lookup, who is asking, request_id, shape-cache
 * classification, judgement, metrics, the statement record), then with its
 * completion record (the second ledger record), and every BATCH statements
 * what the main loop does once per pass (sw_gate_release_decided,
 * sw_ledger_flush). No kernel, no ring buffer, no epoll: the userspace CPU
 * cost per statement. The kernel map updates a session's first statement
 * makes (sw_gate_set_session) are stubbed (link with --wrap, see below).
 *
 * usage: record_bench2 POLICY ROLE LEDGER [N [BATCH [SESSIONS [WHO]]]]
 *   ROLE governed by POLICY: the kernel allowed the statement from its shape
 *   cache (action SHAPE_ALLOW, record outcome "ran"); otherwise observed.
 *   SESSIONS > 0: also time that many session starts and ends (session_start,
 *   client lookup in /proc, session_end) and print their cost separately.
 *   WHO = 1: the session has what pgbench on the same host gives it (application_name,
 *   client_exe, client_cmdline), so every record carries the who fields.
 *
 * Build (not in `make bench`): the record_bench link with the BPF map calls stubbed,
 *   $(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $(BUILD)/tools/record_bench2 bench/record_bench2.c $(LIB_OBJ) $(LIBS)
 *         -Wl,--wrap=sw_gate_set_session -Wl,--wrap=sw_gate_drop_session -Wl,--wrap=sw_gate_cache_clear
 * (bench/PROFILE-2026-12.md has the Makefile rule and the profile made with it).
 * Prints: statements, ledger records, CPU seconds, microseconds per statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "analysis_cache.h"
#include "bench_cpu.h"
#include "bpf_gate.h"
#include "daemon_opts.h"
#include "daemon_state.h"
#include "gate_events.h"
#include "ledger.h"
#include "pg_completion.h"
#include "policy.h"
#include "prepared.h"
#include "sessions.h"

/* Stubs for the kernel's maps (no BPF object is loaded here). */
int __wrap_sw_gate_set_session(struct sw_gate *g, uint32_t pid, const char *role, uint32_t flags, uint32_t ctx_id);
void __wrap_sw_gate_drop_session(struct sw_gate *g, uint32_t pid);
void __wrap_sw_gate_cache_clear(struct sw_gate *g);
int __wrap_sw_gate_set_session(struct sw_gate *g, uint32_t pid, const char *role, uint32_t flags, uint32_t ctx_id)
{
	(void)g, (void)pid, (void)role, (void)flags, (void)ctx_id;
	return 0;
}
void __wrap_sw_gate_drop_session(struct sw_gate *g, uint32_t pid)
{
	(void)g, (void)pid;
}
void __wrap_sw_gate_cache_clear(struct sw_gate *g)
{
	(void)g;
}

/* The backend the statements come from: a live process (this one), as the daemon's backends are,
 * so that per-statement /proc look-ups cost what they cost there. */
static uint32_t bench_pid;
#define BENCH_PID bench_pid

static void title_of(const char *role, char *out, size_t n)
{
	snprintf(out, n, "postgres: %s bench 127.0.0.1(40000) idle", role);
}

/* One pass of the main loop after its events: group commit (nothing to release here); the ledger
 * is written as the daemon does now: by the ledger at 64 KiB waiting, and on the 100 ms tick. */
static int end_of_pass(struct sw_daemon *d)
{
	static uint64_t last_flush_ns;
	char err[512];
	uint64_t now = sw_mono_ns();

	sw_gate_release_decided(d);
	if (now - last_flush_ns < 100000000ull)
		return 0;
	last_flush_ns = now;
	if (sw_ledger_flush(d->ledger, err, sizeof(err)) < 0) {
		fprintf(stderr, "record_bench2: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sw_statement_event ev;
	struct sw_completion_event done;
	struct sw_daemon_opts opts = { .max_statement_bytes = 1 << 20 };
	struct sw_daemon d = { .opts = &opts, .watchdog_fd = -1 };
	char err[1024], title[256];
	long n = argc > 4 ? atol(argv[4]) : 200000, batch = argc > 5 ? atol(argv[5]) : 8;
	long sessions = argc > 6 ? atol(argv[6]) : 0;
	bool who = argc > 7 && atoi(argv[7]) == 1;
	uint64_t seq0;
	bool governed;
	double c0, c1;

	if (argc < 4 || batch < 1) {
		fprintf(stderr, "usage: record_bench2 POLICY ROLE LEDGER [N [BATCH [SESSIONS [WHO]]]]\n");
		return 2;
	}
	if (sw_policy_load(argv[1], &d.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "record_bench2: %s\n", err);
		return 2;
	}
	unlink(argv[3]);
	if (sw_ledger_open(argv[3], &d.ledger, err, sizeof(err)) < 0) {
		fprintf(stderr, "record_bench2: %s\n", err);
		return 2;
	}
	d.prepared = sw_prepared_new();
	d.contexts = json_object();
	d.acache = sw_acache_new(4096);
	sw_daemon_clock_init(&d);
	governed = sw_policy_governs(d.policy, argv[2]);
	bench_pid = (uint32_t)getpid();

	/* Session start and end, as the kernel reports them (once per connection). */
	if (sessions > 0) {
		title_of(argv[2], title, sizeof(title));
		c0 = bench_cpu_s();
		for (long i = 0; i < sessions; i++) {
			struct sw_session_info *s = sw_session_learn(&d, getpid(), argv[2], title, SW_SESS_KNOWN);
			sw_session_who(&d, s);
			sw_session_forget(&d, s);
			if (end_of_pass(&d) < 0)
				return 1;
		}
		c1 = bench_cpu_s();
		printf("sessions=%ld cpu_s=%.3f us_per_session=%.1f\n", sessions, c1 - c0, (c1 - c0) * 1e6 / sessions);
	}

	/* The connection the statements come from: learned at authentication. */
	title_of(argv[2], title, sizeof(title));
	{
		struct sw_session_info *s = sw_session_learn(&d, (int)BENCH_PID, argv[2], title,
							     SW_SESS_KNOWN | (governed ? SW_SESS_GOVERNED : 0));
		if (who) {
			/* As read from a local pgbench (the look-up itself is the session cost above). */
			snprintf(s->application, sizeof(s->application), "pgbench");
			s->application_known = true;
			s->application_read_ns = sw_mono_ns();
			snprintf(s->client_exe, sizeof(s->client_exe), "/usr/lib/postgresql/15/bin/pgbench");
			snprintf(s->client_cmdline, sizeof(s->client_cmdline), "pgbench -S -c 16 -j 2 -T 60 -P 5 bench");
		}
	}
	seq0 = sw_ledger_seq(d.ledger);

	c0 = bench_cpu_s();
	for (long i = 0; i < n; i++) {
		int len = snprintf(ev.text, sizeof(ev.text), "SELECT abalance FROM pgbench_accounts WHERE aid = %ld;",
				   (i * 7919) % 1000000 + 1);
		uint64_t now = sw_mono_ns();

		ev.hdr = (struct sw_event_hdr){ .type = SW_EV_STATEMENT, .pid = BENCH_PID, .ktime_ns = now };
		ev.action = governed ? SW_ACT_SHAPE_ALLOW : SW_ACT_OBSERVED;
		ev.flags = SW_SESS_KNOWN | (governed ? SW_SESS_GOVERNED : 0);
		ev.text_len = len + 1;
		ev.seq = (uint64_t)i + 1;
		ev.lex = SW_LEX_DEFAULT;
		ev.aux = SW_AUX_CLIENT;
		memcpy(ev.role, argv[2], strnlen(argv[2], SW_ROLE_MAX - 1) + 1);
		/* A short record, as the kernel sends it. */
		sw_gate_on_event(&d, &ev, offsetof(struct sw_statement_event, text) + SW_TEXT_SMALL);

		memset(&done, 0, sizeof(done));
		done.hdr = (struct sw_event_hdr){ .type = SW_EV_COMPLETION, .pid = BENCH_PID, .ktime_ns = now + 20000 };
		done.run = (struct sw_running){ .seq = (uint64_t)i + 1, .start_ns = now, .rows = 1, .commands = 1 };
		done.end = SW_DONE_READY;
		memcpy(done.tag_name, "SELECT", 7);
		sw_gate_on_event(&d, &done, sizeof(done));

		if ((i + 1) % batch == 0 && end_of_pass(&d) < 0)
			return 1;
	}
	if (end_of_pass(&d) < 0)
		return 1;
	c1 = bench_cpu_s();

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("statements=%ld records=%llu governed=%d who=%d batch=%ld cpu_s=%.3f us_per_statement=%.2f peak_rss_kb=%ld\n",
	       n, (unsigned long long)(sw_ledger_seq(d.ledger) - seq0), governed, who, batch, c1 - c0,
	       (c1 - c0) * 1e6 / n, ru.ru_maxrss);
	sw_pg_completion_finish(&d);
	sw_sessions_free_all(&d);
	sw_ledger_close(d.ledger);
	sw_acache_free(d.acache);
	sw_prepared_free(d.prepared);
	json_decref(d.contexts);
	sw_policy_free(d.policy);
	return 0;
}
