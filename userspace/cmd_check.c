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
#include "pg_catalog_data.h"
#include "pg_proc_oids.h"
#include "pg_version_syntax.h"
#include "json_writer.h"
#include "policy.h"
#include "policy_default.h"
#include "statement.h"
#include "statement_json.h"
#include "util.h"
#include "check_verify.h"
#include "impact_text.h"
#include "live_context.h"
#include "impact.h"
#include "prepared.h"
#include "report_ci.h"
#include "report_markdown.h"
#include "sql_script.h"
#include <unistd.h>


static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward check [--engine postgres|mysql] [--pg-major N] [--sql-mode MODES] [--policy FILE]\n"
		"                     [--role NAME] [--format text|json|markdown|github|sarif] [--verify --dsn DSN]\n"
		"                     [FILE...|-]\n"
		"Classifies every statement in the files (or stdin) and judges it with the policy.\n"
		"Files are read as psql (or, with --engine mysql, the mysql client) runs them:\n"
		"statement by statement, each reported at FILE:LINE:COLUMN; psql meta-commands,\n"
		"DELIMITER lines and COPY data are reported and skipped; :variables take the values\n"
		"an earlier \\set gave them (a statement using any other is judged as unknown).\n"
		"Without --policy: $SQLWARD_POLICY, else " SW_DEFAULT_POLICY " when it exists,\n"
		"else the default policy built into sqlward (stderr says which).\n"
		"--format github prints GitHub Actions annotations, --format sarif a SARIF 2.1.0 log.\n"
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
		"--pg-major N judges as the daemon does for a PostgreSQL N backend (12 to 18, default\n"
		"15, the classifier's grammar): that major's built-in functions, volatility and casts;\n"
		"syntax newer than the grammar is refused saying which major has it.\n"
		"--engine mysql classifies MariaDB 10.11 SQL, lexed under --sql-mode MODES (MariaDB's\n"
		"sql_mode text; default " SW_MY_DEFAULT_SQL_MODE "), and predicts each ALTER's\n"
		"InnoDB online-DDL behaviour (ALGORITHM, LOCK, rebuild, metadata locks);\n"
		"--foreign-key-checks 0 predicts for a session with SET foreign_key_checks=0.\n"
		"--verify is PostgreSQL-only.\n");
}

enum check_format { FMT_TEXT, FMT_JSON, FMT_MARKDOWN, FMT_GITHUB, FMT_SARIF };

/* What the statements before the current one in the same input established. */
struct check_file {
	const char *source;
	size_t index;                 /* statements judged so far */
	struct sw_md_tx tx;           /* the open transaction (begin -1: none) and the locks held in it */
	struct sw_strv created_in_tx; /* tables CREATE TABLE made in the open transaction */
	struct sw_strv created;       /* tables created anywhere earlier in the input (live context) */
	struct sw_prepared *prepared; /* PREPAREd statements, as the daemon keeps them per session */
};

struct check_ctx {
	const struct sw_policy *policy;
	const char *role;
	enum check_format format;
	struct sw_sarif *sarif;                   /* --format sarif: findings until the end */
	const struct sw_engine_ops *engine;       /* --engine */
	struct sw_engine_lex lex;                 /* --sql-mode, --foreign-key-checks */
	int pg_major;                             /* --pg-major */
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

static void print_text(const struct check_ctx *c, const struct sw_check_where *w, const struct sw_stmt *st,
		       const struct sw_judgement *j)
{
	printf("%-5s %-24s %-11s %-16s", sw_verdict_name(j->verdict), j->rule_id, sw_class_name(st->cls),
	       st->command ? st->command : "?");
	for (size_t i = 0; i < st->n_objects; i++)
		printf("%s%s", i ? "," : " ", st->objects[i].name);
	printf("  [%s:%lu:%lu]\n", w->source, w->line, w->col);
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

static bool is_command(const struct sw_stmt *st, const char *tag)
{
	return st->command && strcmp(st->command, tag) == 0;
}

static void tx_reset(struct check_file *f)
{
	f->tx.begin = -1;
	sw_strv_free(&f->tx.held_objects);
	sw_strv_free(&f->tx.held_modes);
	sw_strv_free(&f->created_in_tx);
}

/* Follow BEGIN/COMMIT/ROLLBACK, the tables created and the locks held, after statement st ran. */
static void track_transaction(struct check_ctx *c, struct check_file *f, const struct sw_stmt *st,
			      unsigned long line)
{
	const struct sw_impact *im = st->impact;

	if (st->cls == SW_CLASS_TRANSACTION || st->cls == SW_CLASS_TWO_PHASE) {
		if (is_command(st, "BEGIN") || is_command(st, "START TRANSACTION")) {
			tx_reset(f);
			f->tx.begin = (long)f->index;
			f->tx.begin_line = line;
		} else if (is_command(st, "COMMIT") || is_command(st, "ROLLBACK") ||
			   is_command(st, "PREPARE TRANSACTION")) {
			tx_reset(f);
		}
		return;
	}
	/* MariaDB commits the open transaction before (and after) DDL. */
	if (c->engine->id == SW_ENGINE_MYSQL && st->cls == SW_CLASS_DDL) {
		tx_reset(f);
		return;
	}
	if (!im)
		return;
	if (im->created_table) {
		sw_strv_push_unique(&f->created, im->created_table);
		if (f->tx.begin >= 0)
			sw_strv_push_unique(&f->created_in_tx, im->created_table);
	}
	for (size_t k = 0; f->tx.begin >= 0 && k < im->n_locks; k++) {
		const struct sw_lock_entry *e = &im->locks[k];
		if (e->via != SW_VIA_NAMED || e->mode < SW_LOCK_SHARE)
			continue;
		sw_strv_push(&f->tx.held_objects, e->object);
		sw_strv_push(&f->tx.held_modes, sw_lock_name(e->mode));
	}
}

/*
 * CONCURRENTLY advice for a table created earlier in the same transaction is
 * moot: no other session can see the table before COMMIT (and CONCURRENTLY
 * is refused inside the transaction anyway).
 */
static void drop_moot_concurrently(const struct check_file *f, struct sw_stmt *st)
{
	struct sw_impact *im = st->impact;
	const char *table = NULL;
	char *why;

	if (!im || !im->safer || !im->safer_concurrently || f->tx.begin < 0)
		return;
	for (size_t k = 0; k < im->n_locks; k++) {
		if (im->locks[k].via != SW_VIA_NAMED)
			continue;
		if (!sw_strv_contains(&f->created_in_tx, im->locks[k].object))
			return;
		table = im->locks[k].object;
	}
	if (!table)
		return;
	free(im->safer);
	im->safer = NULL;
	im->safer_concurrently = false;
	why = sw_xasprintf("%s was created earlier in this transaction: no other session sees it before COMMIT, "
			   "so the CONCURRENTLY variant brings nothing", table);
	sw_strv_push_unique(&st->reasons, why);
	free(why);
}

/* Live context that knows the tables created earlier in the file (new and empty: not looked up). */
static void live_annotate(struct check_ctx *c, const struct check_file *f, struct sw_analysis *a)
{
	struct sw_analysis ctx = *a;
	size_t n = f->created.n;

	if (!c->live && !c->my_live)
		return;
	/* The analysis seen by live context: one read-only stand-in per created table, then the statement. */
	ctx.stmts = sw_xcalloc(n + a->n_stmts, sizeof(*ctx.stmts));
	ctx.n_stmts = n + a->n_stmts;
	for (size_t i = 0; i < n; i++) {
		struct sw_impact *im = sw_xcalloc(1, sizeof(*im));
		im->created_table = sw_xstrdup(f->created.v[i]);
		ctx.stmts[i].cls = SW_CLASS_READ;
		sw_stmt_attach_impact(&ctx.stmts[i], im);
	}
	memcpy(ctx.stmts + n, a->stmts, a->n_stmts * sizeof(*a->stmts));
	if (c->live)
		sw_live_annotate_wants(c->live, &ctx, sw_policy_live_wants(c->policy));
	if (c->my_live)
		sw_my_live_annotate(c->my_live, &ctx);
	memcpy(a->stmts, ctx.stmts + n, a->n_stmts * sizeof(*a->stmts));
	for (size_t i = 0; i < n; i++)
		sw_stmt_free(&ctx.stmts[i]);
	free(ctx.stmts);
}

/* A statement that cannot be checked (unknown psql variable, unreadable input): class unknown. */
static void unknown_analysis(struct check_ctx *c, const char *text, const char *why, struct sw_analysis *a)
{
	memset(a, 0, sizeof(*a));
	a->engine = c->engine->id;
	a->parse_ok = false;
	a->error = sw_xstrdup(why);
	a->stmts = sw_xcalloc(1, sizeof(*a->stmts));
	a->n_stmts = 1;
	a->stmts[0].text = sw_xstrdup(text ? text : "");
	a->stmts[0].cls = SW_CLASS_UNKNOWN;
	a->stmts[0].command = sw_xstrdup("UNKNOWN");
	sw_strv_push(&a->stmts[0].reasons, why);
}

/* Where the parser stopped, as a position in the input (the statement's start when unknown). */
static void error_position(const struct check_ctx *c, const struct sw_script_item *it, const struct sw_analysis *a,
			   struct sw_check_where *w)
{
	unsigned long l, col;

	if (a->parse_ok || !it->sql || it->substituted)
		return;
	if (c->engine->id == SW_ENGINE_POSTGRES) {
		long off = sw_script_pg_error_offset(it->sql);
		if (off >= 0)
			sw_script_locate(it, (size_t)off, &w->line, &w->col);
	} else if (a->error && sscanf(a->error, "line %lu, column %lu", &l, &col) == 2 && l >= 1 && col >= 1) {
		/* my_classify.c: "line L, column C: ..." within the statement */
		w->col = l == 1 ? it->col + col - 1 : col;
		w->line = it->line + l - 1;
	}
}

static void report_stmt(struct check_ctx *c, struct check_file *f, const struct sw_check_where *w,
			const struct sw_analysis *a, const struct sw_stmt *st, const struct sw_judgement *j)
{
	switch (c->format) {
	case FMT_MARKDOWN:
		sw_md_stmt(stdout, w, st, j, &f->tx);
		break;
	case FMT_GITHUB:
		sw_gh_stmt(stdout, w, st, j);
		break;
	case FMT_SARIF:
		sw_sarif_stmt(c->sarif, w, st, j);
		break;
	case FMT_JSON: {
		json_t *o = stmt_json(c, st);
		json_t *reasons = json_object_get(o, "reasons");
		if (j->reason && json_is_array(reasons))
			json_array_insert_new(reasons, 0, json_string(j->reason));
		json_object_set_new(o, "statement", json_string(st->text ? st->text : ""));
		json_object_set_new(o, "engine", json_string(sw_engine_name(a->engine)));
		json_object_set_new(o, "verdict", json_string(sw_verdict_name(j->verdict)));
		json_object_set_new(o, "rule", json_string(j->rule_id));
		json_object_set_new(o, "source", json_string(w->source));
		json_object_set_new(o, "index", json_integer((json_int_t)w->index));
		json_object_set_new(o, "line", json_integer((json_int_t)w->line));
		json_object_set_new(o, "column", json_integer((json_int_t)w->col));
		if (!a->parse_ok && a->error)
			json_object_set_new(o, "error", json_string(a->error));
		/* The writer, not json_dumps: output was most of check's time on big files. */
		sw_jw_reset(&c->out);
		sw_jw_value(&c->out, o);
		fwrite(c->out.buf, 1, c->out.len, stdout);
		putchar('\n');
		json_decref(o);
		break;
	}
	case FMT_TEXT:
		print_text(c, w, st, j);
		break;
	}
}

/* A client command or data that is not sent to the server: reported, not judged. */
static void report_skipped(struct check_ctx *c, const struct sw_check_where *w, const char *note)
{
	switch (c->format) {
	case FMT_TEXT:
		printf("skip  %s  [%s:%lu:%lu]\n", note, w->source, w->line, w->col);
		break;
	case FMT_MARKDOWN:
		sw_md_skipped(stdout, w, note);
		break;
	case FMT_GITHUB:
		sw_gh_note(stdout, w, note);
		break;
	case FMT_JSON:
	case FMT_SARIF:
		/* stdout carries only statements (JSON lines) or the one SARIF log */
		fprintf(stderr, "sqlward check: %s:%lu:%lu: %s\n", w->source, w->line, w->col, note);
		break;
	}
}

/* Judge one statement item (or an ERROR item, as an unknown statement). */
static void check_item(struct check_ctx *c, struct check_file *f, const struct sw_script_item *it)
{
	struct sw_analysis a;
	struct sw_judgement *per, overall;
	struct sw_subject subj = { .role = c->role ? c->role : "", .database = NULL, .engine = c->engine->id };
	struct sw_check_where w = { .source = f->source, .line = it->line, .col = it->col };

	if (it->kind == SW_SCRIPT_STATEMENT && it->sql) {
		/* As the daemon for a backend of that major (gate_events.c analyze()). */
		int was = sw_pg_catalog_set_major(c->pg_major);
		c->engine->analyze(it->sql, &c->lex, &a);
		sw_pg_catalog_set_major(was);
		if (c->engine->id == SW_ENGINE_POSTGRES)
			sw_pg_note_server_syntax(&a, c->pg_major);
	} else {
		char *why = sw_xasprintf("not checkable: %s", it->note ? it->note : "the input could not be read");
		unknown_analysis(c, it->text, why, &a);
		free(why);
	}
	a.engine = c->engine->id;
	/* EXECUTE of a statement PREPAREd earlier in the input, resolved as the daemon does for a session. */
	sw_prepared_resolve(f->prepared, 0, &a);
	sw_prepared_commit(f->prepared, 0, &a);
	for (size_t i = 0; i < a.n_stmts; i++)
		drop_moot_concurrently(f, &a.stmts[i]);
	live_annotate(c, f, &a);
	per = sw_xcalloc(a.n_stmts ? a.n_stmts : 1, sizeof(*per));
	sw_policy_apply_trust(c->policy, &a, c->live ? check_owners : NULL, c->live);
	if (c->role) {
		sw_policy_judge(c->policy, &subj, &a, per, &overall);
	} else {
		for (size_t i = 0; i < a.n_stmts; i++)
			sw_policy_judge_stmt(c->policy, &subj, &a.stmts[i], &per[i]);
	}
	error_position(c, it, &a, &w);
	for (size_t i = 0; i < a.n_stmts; i++) {
		const struct sw_stmt *st = &a.stmts[i];
		w.index = f->index;
		if (c->verify) {
			char *where = sw_xasprintf("%s:%lu", f->source, it->line);
			c->verify_count[sw_verify_stmt(c->verify, st, where, stdout)]++;
			free(where);
		} else {
			if (per[i].verdict != SW_VERDICT_ALLOW)
				c->worst = 1;
			report_stmt(c, f, &w, &a, st, &per[i]);
		}
		track_transaction(c, f, st, it->line);
		f->index++;
	}
	free(per);
	sw_analysis_free(&a);
}

/* Every item of one input, in order. Returns 0, or 2 when the input could not be read. */
static int check_input(struct check_ctx *c, const char *source, FILE *in)
{
	struct check_file f = { .source = source, .tx = { .begin = -1 } };
	struct sw_script *s = sw_script_open_file(in, c->engine->id, c->lex.my_sql_mode);
	struct sw_script_item it;
	int rc = 0;

	f.prepared = sw_prepared_new();
	while (sw_script_next(s, &it) > 0) {
		struct sw_check_where w = { .source = source, .line = it.line, .col = it.col, .index = f.index };
		if (it.kind == SW_SCRIPT_META || it.kind == SW_SCRIPT_DATA)
			report_skipped(c, &w, it.note);
		else
			check_item(c, &f, &it);
		sw_script_item_free(&it);
	}
	if (sw_script_error(s)) {
		fprintf(stderr, "sqlward check: cannot read %s: %s; the statements after the last one reported were "
			"not checked\n", source, sw_script_error(s));
		rc = 2;
	}
	sw_script_close(s);
	tx_reset(&f);
	sw_strv_free(&f.created);
	sw_prepared_free(f.prepared);
	return rc;
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
		{ "pg-major", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *policy_path = getenv("SQLWARD_POLICY");
	const char *engine = "postgres", *format = "text", *dsn = NULL, *sql_mode = SW_MY_DEFAULT_SQL_MODE;
	const char *pg_major = NULL;
	bool verify = false;
	struct check_ctx c = { 0 };
	struct sw_policy *p;
	char err[1024];
	int ch, rc = 0;

	if (policy_path && !policy_path[0])
		policy_path = NULL;
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
		case 'P': pg_major = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(format, "text") == 0) {
		c.format = FMT_TEXT;
	} else if (strcmp(format, "json") == 0) {
		c.format = FMT_JSON;
	} else if (strcmp(format, "markdown") == 0) {
		c.format = FMT_MARKDOWN;
	} else if (strcmp(format, "github") == 0) {
		c.format = FMT_GITHUB;
	} else if (strcmp(format, "sarif") == 0) {
		c.format = FMT_SARIF;
	} else {
		fprintf(stderr, "sqlward check: --format must be text, json, markdown, github or sarif, not \"%s\"\n",
			format);
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
	c.pg_major = SW_PG_GRAMMAR_MAJOR;
	if (pg_major) {
		char *end;
		long m = strtol(pg_major, &end, 10);
		if (c.engine->id != SW_ENGINE_POSTGRES) {
			fprintf(stderr, "sqlward check: --pg-major is for --engine postgres; drop it for --engine %s\n",
				c.engine->name);
			return 2;
		}
		if (end == pg_major || *end || m < SW_PG_MAJOR_MIN || m > SW_PG_MAJOR_MAX ||
		    !sw_pg_catalog_has_major((int)m)) {
			fprintf(stderr, "sqlward check: --pg-major must be a PostgreSQL major from %d to %d (the "
				"server's SHOW server_version_num / 10000), not \"%s\"\n",
				SW_PG_MAJOR_MIN, SW_PG_MAJOR_MAX, pg_major);
			return 2;
		}
		c.pg_major = (int)m;
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
	if (sw_policy_load_default(policy_path, "check", &p, err, sizeof(err)) < 0) {
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
	if (c.format == FMT_MARKDOWN)
		sw_md_begin(stdout);
	if (c.format == FMT_SARIF)
		c.sarif = sw_sarif_new();
	if (optind == argc)
		argv[--optind] = "-";
	for (int i = optind; i < argc && !rc; i++) {
		bool is_stdin = strcmp(argv[i], "-") == 0;
		FILE *f = is_stdin ? stdin : fopen(argv[i], "r");

		if (!f) {
			fprintf(stderr, "sqlward check: cannot open %s: %s\n", argv[i], strerror(errno));
			rc = 2;
			break;
		}
		rc = check_input(&c, is_stdin ? "<stdin>" : argv[i], f);
		if (!is_stdin)
			fclose(f);
	}
	if (c.format == FMT_MARKDOWN)
		sw_md_end(stdout);
	if (c.format == FMT_SARIF)
		sw_sarif_end(c.sarif, stdout);
	if (c.verify) {
		const unsigned *n = c.verify_count;
		/* A conservative prediction (an upper bound, said so) and a refusal the prediction named
		 * are measured and right; only a mismatch is wrong. */
		unsigned right = n[SW_VERIFY_AGREE] + n[SW_VERIFY_CONSERVATIVE] + n[SW_VERIFY_REFUSED];
		unsigned measured = right + n[SW_VERIFY_MISMATCH];
		printf("verify: %u agree, %u conservative (an upper bound, marked), %u refused as predicted, "
		       "%u mismatch, %u cited (cannot run in a transaction block), %u skipped, %u errors; "
		       "agreement %u/%u (%.1f%%)\n", n[SW_VERIFY_AGREE], n[SW_VERIFY_CONSERVATIVE],
		       n[SW_VERIFY_REFUSED], n[SW_VERIFY_MISMATCH], n[SW_VERIFY_CITED], n[SW_VERIFY_SKIPPED],
		       n[SW_VERIFY_ERROR], right, measured, measured ? 100.0 * right / measured : 100.0);
		c.worst = n[SW_VERIFY_MISMATCH] || n[SW_VERIFY_ERROR] ? 1 : 0;
		sw_verify_close(c.verify);
	}
	sw_live_close(c.live);
	sw_my_live_close(c.my_live);
	sw_jw_free(&c.out);
	sw_policy_free(p);
	return rc ? rc : c.worst;
}
