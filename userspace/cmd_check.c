/*
 * `sqlward check`: classify and judge statements offline (pull-request
 * checks) with exactly the classifier and policy code the daemon uses.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "engine.h"
#include "daemon.h"
#include "my_classify.h"
#include "my_live.h"
#include "json_writer.h"
#include "policy.h"
#include "statement.h"
#include "statement_json.h"
#include "util.h"
#include "check_verify.h"
#include "impact_text.h"
#include "live_context.h"
#include "report_markdown.h"

#define CHECK_MAX_INPUT (64u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward check [--engine postgres|mysql] [--sql-mode MODES] [--policy FILE] [--role NAME]\n"
		"                     [--format text|json|markdown] [--verify --dsn DSN] [FILE...|-]\n"
		"Classifies every statement in the files (or stdin) and judges it with the policy.\n"
		"Without --role, statements are judged as a governed session that no role-specific\n"
		"rule names. Exit 0: all allowed; 1: something denied or held; 2: bad usage.\n"
		"--verify --dsn DSN runs each statement in a rolled-back transaction on a scratch\n"
		"database (ALTER DATABASE x SET sqlward.scratch = 'on') and reports where the\n"
		"predicted locks and rewrites differ from PostgreSQL's; exit 1 on any difference.\n"
		"--dsn DSN alone reads live context (table sizes, row estimates, conflicting\n"
		"transactions, NULL counts) read-only from that database before judging;\n"
		"with --engine mysql the DSN is \"host=... port=... user=... password=...\n"
		"database=... socket=...\" and each ALTER's prediction is recomputed from the\n"
		"table's real definition (information_schema).\n"
		"--engine mysql classifies MariaDB 10.11 SQL, lexed under --sql-mode MODES (MariaDB's\n"
		"sql_mode text; default " SW_MY_DEFAULT_SQL_MODE "), and predicts each ALTER's\n"
		"InnoDB online-DDL behaviour (ALGORITHM, LOCK, rebuild, metadata locks);\n"
		"--foreign-key-checks 0 predicts for a session with SET foreign_key_checks=0.\n"
		"--verify is PostgreSQL-only.\n");
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = sw_xmalloc(cap);

	for (;;) {
		size_t r;
		if (n + 1 >= cap) {
			if (cap >= CHECK_MAX_INPUT) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			buf = sw_xrealloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

struct check_ctx {
	const struct sw_policy *policy;
	const char *role;
	bool json;
	bool markdown;
	const struct sw_engine_ops *engine;       /* --engine */
	struct sw_engine_lex lex;                 /* --sql-mode, --foreign-key-checks */
	int worst;   /* 0 allow, 1 deny/hold */
	PGconn *verify;                           /* --verify: the scratch database */
	struct sw_live_conn *live;                /* --dsn: live context (PostgreSQL) */
	struct sw_my_live_conn *my_live;          /* --dsn with --engine mysql */
	unsigned verify_count[SW_VERIFY__COUNT];
	struct sw_jw out;                         /* --format json: one line at a time */
};

/* The statement's JSON, with what its engine adds (MariaDB: online DDL). */
static json_t *stmt_json(const struct check_ctx *c, const struct sw_stmt *st)
{
	json_t *o = sw_stmt_json(st);
	if (c->engine->stmt_json_add)
		c->engine->stmt_json_add(o, st);
	return o;
}

static void print_text(const struct check_ctx *c, const char *source, const struct sw_stmt *st,
		       const struct sw_judgement *j)
{
	printf("%-5s %-24s %-11s %-16s", sw_verdict_name(j->verdict), j->rule_id, sw_class_name(st->cls),
	       st->command ? st->command : "?");
	for (size_t i = 0; i < st->n_objects; i++)
		printf("%s%s", i ? "," : " ", st->objects[i].name);
	printf("  [%s]\n", source);
	printf("      ");
	for (const char *p = st->text ? st->text : ""; *p; p++)
		putchar(*p == '\n' || *p == '\t' ? ' ' : *p);
	putchar('\n');
	if (j->reason)
		printf("      rule: %s\n", j->reason);
	for (size_t i = 0; i < st->reasons.n; i++)
		printf("      note: %s\n", st->reasons.v[i]);
	if (c->engine->print_extra)
		c->engine->print_extra(stdout, st);
	if (st->impact && st->cls != SW_CLASS_TRANSACTION && st->cls != SW_CLASS_TWO_PHASE &&
	    st->cls != SW_CLASS_SESSION) {
		json_t *o = stmt_json(c, st);
		sw_impact_print(stdout, o, "      ", 9, true);
		json_decref(o);
	}
}

static bool check_owners(void *ctx, const char *schema, const char *name, struct sw_strv *owners)
{
	return sw_live_function_owners(ctx, schema, name, owners);
}

static void check_text(struct check_ctx *c, const char *source, const char *sql)
{
	struct sw_analysis a;
	struct sw_judgement *per, overall;
	struct sw_subject subj = { .role = c->role ? c->role : "", .database = NULL, .engine = c->engine->id };

	c->engine->analyze(sql, &c->lex, &a);
	if (c->live)
		sw_live_annotate(c->live, &a);
	if (c->my_live)
		sw_my_live_annotate(c->my_live, &a);
	per = sw_xcalloc(a.n_stmts ? a.n_stmts : 1, sizeof(*per));
	sw_policy_apply_trust(c->policy, &a, c->live ? check_owners : NULL, c->live);
	if (c->role) {
		sw_policy_judge(c->policy, &subj, &a, per, &overall);
	} else {
		for (size_t i = 0; i < a.n_stmts; i++)
			sw_policy_judge_stmt(c->policy, &subj, &a.stmts[i], &per[i]);
	}
	for (size_t i = 0; i < a.n_stmts; i++) {
		const struct sw_stmt *st = &a.stmts[i];
		if (c->verify) {
			char *where = sw_xasprintf("%s:%zu", source, i + 1);
			c->verify_count[sw_verify_stmt(c->verify, st, where, stdout)]++;
			free(where);
			continue;
		}
		if (per[i].verdict != SW_VERDICT_ALLOW)
			c->worst = 1;
		if (c->markdown) {
			sw_md_stmt(stdout, source, i, &a, &per[i]);
		} else if (c->json) {
			json_t *o = stmt_json(c, st);
			json_t *reasons = json_object_get(o, "reasons");
			if (per[i].reason && json_is_array(reasons))
				json_array_insert_new(reasons, 0, json_string(per[i].reason));
			json_object_set_new(o, "statement", json_string(st->text ? st->text : ""));
			json_object_set_new(o, "engine", json_string(sw_engine_name(a.engine)));
			json_object_set_new(o, "verdict", json_string(sw_verdict_name(per[i].verdict)));
			json_object_set_new(o, "rule", json_string(per[i].rule_id));
			json_object_set_new(o, "source", json_string(source));
			json_object_set_new(o, "index", json_integer((json_int_t)i));
			if (!a.parse_ok && a.error)
				json_object_set_new(o, "error", json_string(a.error));
			/* The writer, not json_dumps: output was most of check's time on big files. */
			sw_jw_reset(&c->out);
			sw_jw_value(&c->out, o);
			fwrite(c->out.buf, 1, c->out.len, stdout);
			putchar('\n');
			json_decref(o);
		} else {
			print_text(c, source, st, &per[i]);
		}
	}
	free(per);
	sw_analysis_free(&a);
}

int sw_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "sql-mode", required_argument, NULL, 'M' },
		{ "policy", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "verify", no_argument, NULL, 'V' },
		{ "dsn", required_argument, NULL, 'D' },
		{ "foreign-key-checks", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *policy_path = getenv("SQLWARD_POLICY");
	const char *engine = "postgres", *format = "text", *dsn = NULL, *sql_mode = SW_MY_DEFAULT_SQL_MODE;
	bool verify = false;
	struct check_ctx c = { 0 };
	struct sw_policy *p;
	char err[1024];
	int ch, rc = 0;

	if (!policy_path || !policy_path[0])
		policy_path = SW_DEFAULT_POLICY;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': engine = optarg; break;
		case 'M': sql_mode = optarg; break;
		case 'p': policy_path = optarg; break;
		case 'r': c.role = optarg; break;
		case 'f': format = optarg; break;
		case 'V': verify = true; break;
		case 'D': dsn = optarg; break;
		case 'F':
			if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0) {
				fprintf(stderr, "sqlward check: --foreign-key-checks must be 0 or 1, not \"%s\"\n", optarg);
				return 2;
			}
			c.lex.my_fk_checks_off = strcmp(optarg, "0") == 0;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "markdown") != 0) {
		fprintf(stderr, "sqlward check: --format must be text, json or markdown, not \"%s\"\n", format);
		return 2;
	}
	if (verify && !dsn) {
		fprintf(stderr, "sqlward check: --verify needs --dsn DSN (a scratch database it may run the statements on)\n");
		return 2;
	}
	c.engine = sw_engine_find(engine);
	if (!c.engine) {
		fprintf(stderr, "sqlward check: engine \"%s\" is not supported; use --engine postgres or --engine mysql\n",
			engine);
		return 2;
	}
	if (c.engine->id == SW_ENGINE_MYSQL) {
		if (sw_my_mode_parse(sql_mode, &c.lex.my_sql_mode, err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward check: --sql-mode: %s\n", err);
			return 2;
		}
		if (verify) {
			fprintf(stderr, "sqlward check: --verify runs statements on a PostgreSQL scratch database; it "
				"does not apply to --engine mysql (use --dsn alone for MariaDB live context)\n");
			return 2;
		}
		if (dsn) {
			struct sw_my_dsn d;
			if (sw_my_dsn_parse(dsn, &d, err, sizeof(err)) < 0) {
				fprintf(stderr, "sqlward check: --dsn: %s\n", err);
				return 2;
			}
			sw_my_dsn_free(&d);
		}
	}
	c.json = strcmp(format, "json") == 0;
	c.markdown = strcmp(format, "markdown") == 0;
	if (sw_policy_load(policy_path, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward check: %s\n", err);
		return 2;
	}
	c.policy = p;
	if (verify && sw_verify_open(dsn, &c.verify, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward check: --verify: %s\n", err);
		sw_policy_free(p);
		return 2;
	}
	/* With --verify too: the prediction checked is the one live context refines (ALTER COLUMN TYPE). */
	if (dsn && c.engine->id == SW_ENGINE_MYSQL)
		c.my_live = sw_my_live_open(dsn);
	else if (dsn)
		c.live = sw_live_open(dsn);
	if (c.markdown)
		sw_md_begin(stdout);
	if (optind == argc)
		argv[--optind] = "-";
	for (int i = optind; i < argc; i++) {
		bool is_stdin = strcmp(argv[i], "-") == 0;
		FILE *f = is_stdin ? stdin : fopen(argv[i], "r");
		size_t len;
		char *sql;

		if (!f) {
			fprintf(stderr, "sqlward check: cannot open %s: %s\n", argv[i], strerror(errno));
			rc = 2;
			break;
		}
		sql = read_all(f, &len);
		if (!is_stdin)
			fclose(f);
		if (!sql) {
			fprintf(stderr, "sqlward check: cannot read %s: %s\n", argv[i],
				errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
			rc = 2;
			break;
		}
		if (strlen(sql) != len) {
			fprintf(stderr, "sqlward check: %s contains a NUL byte; a server would never receive it as one "
				"statement; judged as unknown\n", argv[i]);
		}
		check_text(&c, is_stdin ? "<stdin>" : argv[i], sql);
		free(sql);
	}
	if (c.markdown)
		sw_md_end(stdout);
	if (c.verify) {
		const unsigned *n = c.verify_count;
		unsigned measured = n[SW_VERIFY_AGREE] + n[SW_VERIFY_MISMATCH];
		printf("verify: %u agree, %u mismatch, %u cited (cannot run in a transaction block), %u skipped, "
		       "%u errors; agreement %u/%u (%.1f%%)\n", n[SW_VERIFY_AGREE], n[SW_VERIFY_MISMATCH],
		       n[SW_VERIFY_CITED], n[SW_VERIFY_SKIPPED], n[SW_VERIFY_ERROR], n[SW_VERIFY_AGREE], measured,
		       measured ? 100.0 * n[SW_VERIFY_AGREE] / measured : 100.0);
		c.worst = n[SW_VERIFY_MISMATCH] || n[SW_VERIFY_ERROR] ? 1 : 0;
		sw_verify_close(c.verify);
	}
	sw_live_close(c.live);
	sw_my_live_close(c.my_live);
	sw_jw_free(&c.out);
	sw_policy_free(p);
	return rc ? rc : c.worst;
}
