/*
 * The daemon's statement path (sw_gate_on_event) with the classification
 * cache lending its statements and pre-rendered judgement members, against
 * the same events with no cache (every statement parsed and owned, every
 * record rendered in full): the ledgers are the same records, byte for byte
 * but the clock; nothing stays borrowed after an event. Observed and
 * governed sessions, kernel-allowed and kernel-refused statements, many
 * shapes and literals, a policy swapped mid-run (as a reload does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "unit.h"
#include "analysis_cache.h"
#include "daemon_opts.h"
#include "daemon_state.h"
#include "gate_events.h"
#include "ledger.h"
#include "pg_completion.h"
#include "policy.h"
#include "prepared.h"
#include "sessions.h"


static const char *const texts[] = {
	"SELECT abalance FROM pgbench_accounts WHERE aid = %d;",
	"SELECT * FROM app.users WHERE id = %d",
	"UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = 5",
	"INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (1, 2, 3, %d)",
	"SELECT id FROM app.t WHERE name = 'caf\xc3\xa9 \"%d\" \\'",
	"SELECT a.id FROM app.orders a JOIN app.totals b ON a.id = b.order_id WHERE a.id = %d",
	"DELETE FROM app.t WHERE id = %d",
	"SELECT id FROM app.t LIMIT %d",
	"SELECT %d; SELECT 2",
	"SELECT pg_sleep(%d)",
	"SELECT id FROM app.t WHERE id = $1 AND k = %d",
	"SELECT passwd FROM pg_shadow WHERE usesysid = %d",
};

struct run {
	struct sw_daemon_opts opts;
	struct sw_daemon d;
	struct sw_policy *policies[2];
	char path[256];
};

static struct sw_policy *load(const char *rel)
{
	char path[4096], err[512];
	const char *top = getenv("SQLWARD_TOP");
	struct sw_policy *p = NULL;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	if (sw_policy_load(path, &p, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	assert_non_null(p);
	return p;
}

static void statement(struct run *r, uint32_t pid, const char *role, uint32_t action, bool governed,
		      const char *text, uint64_t seq, uint64_t t)
{
	static struct sw_statement_event ev;
	struct sw_completion_event done;
	size_t len = strlen(text), body = len + 1 > SW_TEXT_SMALL ? len + 1 : SW_TEXT_SMALL;

	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct sw_event_hdr){ .type = SW_EV_STATEMENT, .pid = pid, .ktime_ns = t };
	ev.action = action;
	ev.flags = SW_SESS_KNOWN | (governed ? SW_SESS_GOVERNED : 0);
	memcpy(ev.text, text, len + 1);
	ev.text_len = (int32_t)len + 1;
	ev.seq = seq;
	ev.lex = SW_LEX_DEFAULT;
	ev.aux = SW_AUX_CLIENT;
	memcpy(ev.role, role, strlen(role) + 1);
	sw_gate_on_event(&r->d, &ev, offsetof(struct sw_statement_event, text) + body);
	assert_int_equal(sw_acache_lent(r->d.acache), 0);

	memset(&done, 0, sizeof(done));
	done.hdr = (struct sw_event_hdr){ .type = SW_EV_COMPLETION, .pid = pid, .ktime_ns = t + 20000 };
	done.run = (struct sw_running){ .seq = seq, .start_ns = t, .rows = 1, .commands = 1 };
	done.end = SW_DONE_READY;
	memcpy(done.tag_name, "SELECT", 7);
	sw_gate_on_event(&r->d, &done, sizeof(done));
	assert_int_equal(sw_acache_lent(r->d.acache), 0);
}

/* The same events into a ledger, with a lending cache (with_cache) or none. */
static void run_events(struct run *r, const char *dir, bool with_cache)
{
	static const uint32_t actions[] = { SW_ACT_SHAPE_ALLOW, SW_ACT_CACHED_ALLOW, SW_ACT_SHAPE_ALLOW,
					    SW_ACT_CANCELLED, SW_ACT_TERMINATED };
	char err[1024], title[256];
	uint32_t observed_pid = (uint32_t)getpid(), governed_pid = (uint32_t)getppid();
	uint64_t seq = 0, t = 1000000000ull;

	memset(r, 0, sizeof(*r));
	r->opts.max_statement_bytes = 1 << 20;
	r->d.opts = &r->opts;
	r->d.watchdog_fd = -1;
	r->policies[0] = load("policies/default.yaml");
	r->policies[1] = load("bench/policy-allow.yaml");
	r->d.policy = r->policies[0];
	snprintf(r->path, sizeof(r->path), "%s/%s.jsonl", dir, with_cache ? "lent" : "parsed");
	assert_int_equal(sw_ledger_open(r->path, &r->d.ledger, err, sizeof(err)), 0);
	r->d.prepared = sw_prepared_new();
	r->d.contexts = json_object();
	r->d.acache = with_cache ? sw_acache_new(64) : NULL;
	sw_daemon_clock_init(&r->d);
	snprintf(title, sizeof(title), "postgres: app_user bench 127.0.0.1(40000) idle");
	sw_session_learn(&r->d, (int)observed_pid, "app_user", title, SW_SESS_KNOWN);
	snprintf(title, sizeof(title), "postgres: agent_bench bench [local] idle");
	sw_session_learn(&r->d, (int)governed_pid, "agent_bench", title, SW_SESS_KNOWN | SW_SESS_GOVERNED);

	for (int i = 0; i < 400; i++) {
		char text[512];
		const char *fmt = texts[(i * 7) % (sizeof(texts) / sizeof(texts[0]))];
		snprintf(text, sizeof(text), fmt, (i * 7919) % 100000 + 1);
		if (i == 200)
			r->d.policy = r->policies[1];   /* a reload: other rules, other reasons */
		statement(r, observed_pid, "app_user", SW_ACT_OBSERVED, false, text, ++seq, t += 50000);
		/* The same shape, another literal, judged alike: its members are replayed. */
		snprintf(text, sizeof(text), fmt, (i * 104729) % 100000 + 3);
		statement(r, observed_pid, "app_user", SW_ACT_OBSERVED, false, text, ++seq, t += 50000);
		statement(r, governed_pid, "agent_bench", actions[i % 5], true, text, ++seq, t += 50000);
		if (i % 3 == 2)
			sw_gate_release_decided(&r->d);
	}
	sw_gate_release_decided(&r->d);
	assert_int_equal(sw_ledger_flush(r->d.ledger, err, sizeof(err)), 0);
}

static void run_free(struct run *r)
{
	sw_pg_completion_finish(&r->d);
	sw_sessions_free_all(&r->d);
	sw_ledger_close(r->d.ledger);
	sw_acache_free(r->d.acache);
	sw_prepared_free(r->d.prepared);
	json_decref(r->d.contexts);
	sw_policy_free(r->policies[0]);
	sw_policy_free(r->policies[1]);
}

/* A record without what the clock and the chain put in it. */
static char *normalized(const char *line)
{
	json_error_t e;
	json_t *o = json_loads(line, 0, &e), *c;
	char *out;

	assert_non_null(o);
	json_object_del(o, "time");
	json_object_del(o, "prev");
	json_object_del(o, "hash");
	json_object_del(o, "backend_start");
	json_object_del(o, "session");
	if ((c = json_object_get(o, "completion"))) {
		json_object_del(c, "time");
		json_object_del(c, "duration_ms");
	}
	out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}

static void test_lent_and_parsed_ledgers_match(void **state)
{
	(void)state;
	char dir[] = "/tmp/sqlward-gate-borrow-XXXXXX";
	struct run lent, parsed;
	uint64_t hits, misses;
	FILE *a, *b;
	char *la = NULL, *lb = NULL;
	size_t ca = 0, cb = 0, n = 0, statements = 0;
	int saved;

	assert_non_null(mkdtemp(dir));
	/* Kernel-allowed statements the policy denies warn on stderr (as they should): not here. */
	saved = dup(2);
	assert_non_null(freopen("/dev/null", "w", stderr));
	run_events(&lent, dir, true);
	sw_acache_stats(lent.d.acache, &hits, &misses);
	assert_true(hits > 300);
	run_events(&parsed, dir, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	a = fopen(lent.path, "r");
	b = fopen(parsed.path, "r");
	assert_non_null(a);
	assert_non_null(b);
	for (;;) {
		ssize_t ra = getline(&la, &ca, a), rb = getline(&lb, &cb, b);
		char *na, *nb;
		assert_int_equal(ra < 0, rb < 0);
		if (ra < 0)
			break;
		na = normalized(la);
		nb = normalized(lb);
		assert_string_equal(na, nb);
		statements += strstr(na, "\"type\":\"statement\"") != NULL;
		free(na);
		free(nb);
		n++;
	}
	assert_true(statements >= 1200);
	free(la);
	free(lb);
	fclose(a);
	fclose(b);
	run_free(&lent);
	run_free(&parsed);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
	(void)n;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lent_and_parsed_ledgers_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
