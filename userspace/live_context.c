/*
 * Live context over libpq (see live_context.h). Every query is read-only
 * (the session runs with default_transaction_read_only), bounded by
 * lock_timeout and statement_timeout, and takes its names as parameters or
 * as identifiers quoted by libpq; the statement text itself is only ever
 * given to EXPLAIN (without ANALYZE), inside BEGIN READ ONLY ... ROLLBACK.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "impact.h"
#include "live_context.h"
#include "pg_catalog_data.h"
#include "pg_locks.h"
#include "read_facts.h"
#include "util.h"

#define NULL_COUNT_CAP 1000001
#define REL_CACHE_MAX  256     /* relations whose columns are remembered */
#define REL_CACHE_TTL  10      /* seconds: a column added since is seen this much later at most */
#define VIEW_DEPTH_MAX 8       /* views over views followed this deep */

/* What the catalog says about one relation a read names (`*` and view expansion). */
struct rel_info {
	char *database, *relation;   /* the key: database of the connection, relation as the statement names it */
	time_t at;                   /* CLOCK_MONOTONIC seconds when read */
	bool ok;                     /* false: could not be read (the expansion stays unknown) */
	bool exists;                 /* false: no such relation (a CTE's name, or a missing table) */
	bool is_view;                /* pg_class.relkind 'v' or 'm' */
	struct sw_strv columns;      /* its own columns, in order */
	struct sw_strv under_rel, under_col;  /* a view: the table columns it reads (schema.table, column) */
};

struct sw_live_conn {
	char *dsn;
	PGconn *c;
	char *error;     /* why the last connection attempt failed */
	struct rel_info *rels;
	size_t n_rels;
};


struct sw_live_conn *sw_live_open(const char *dsn)
{
	struct sw_live_conn *lc = sw_xcalloc(1, sizeof(*lc));
	lc->dsn = sw_xstrdup(dsn);
	return lc;
}

static void rel_info_free(struct rel_info *ri)
{
	free(ri->database);
	free(ri->relation);
	sw_strv_free(&ri->columns);
	sw_strv_free(&ri->under_rel);
	sw_strv_free(&ri->under_col);
	memset(ri, 0, sizeof(*ri));
}

void sw_live_close(struct sw_live_conn *lc)
{
	if (!lc)
		return;
	for (size_t i = 0; i < lc->n_rels; i++)
		rel_info_free(&lc->rels[i]);
	free(lc->rels);
	if (lc->c)
		PQfinish(lc->c);
	free(lc->dsn);
	free(lc->error);
	free(lc);
}

static void set_err(char **dst, const char *what, const char *msg)
{
	char *m = sw_xasprintf("%s: %s", what, msg ? msg : "failed");
	m[strcspn(m, "\n")] = 0;
	free(*dst);
	*dst = m;
}

static bool ensure(struct sw_live_conn *lc)
{
	/* The policy's DSN first; the fixed settings after it win. */
	const char *const kw[] = { "dbname", "connect_timeout", "application_name", "options", NULL };
	const char *const val[] = { lc->dsn, "2", "sqlward-live",
				    "-c default_transaction_read_only=on -c statement_timeout=1000 "
				    "-c lock_timeout=200 -c idle_in_transaction_session_timeout=5000", NULL };
	if (lc->c && PQstatus(lc->c) == CONNECTION_OK)
		return true;
	if (lc->c)
		PQfinish(lc->c);
	lc->c = PQconnectdbParams(kw, val, 1);
	if (PQstatus(lc->c) != CONNECTION_OK) {
		set_err(&lc->error, "cannot connect for live context", PQerrorMessage(lc->c));
		PQfinish(lc->c);
		lc->c = NULL;
		return false;
	}
	return true;
}

const char *sw_live_database(struct sw_live_conn *lc)
{
	if (!ensure(lc))
		return NULL;
	return PQdb(lc->c);
}

static PGresult *q(struct sw_live_conn *lc, struct sw_live *lv, const char *sql, int n,
		   const char *const *params)
{
	PGresult *r = PQexecParams(lc->c, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!lv->error)
			set_err(&lv->error, "live query failed", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* "app.t" -> "app"."t" (each part quoted by libpq), for to_regclass(). */
static char *quoted_name(PGconn *c, const char *name)
{
	const char *dot = strrchr(name, '.');
	char *rel, *out;
	if (!dot) {
		rel = PQescapeIdentifier(c, name, strlen(name));
		out = sw_xstrdup(rel ? rel : "");
	} else {
		char *sch = PQescapeIdentifier(c, name, (size_t)(dot - name));
		rel = PQescapeIdentifier(c, dot + 1, strlen(dot + 1));
		out = sw_xasprintf("%s.%s", sch ? sch : "", rel ? rel : "");
		PQfreemem(sch);
	}
	PQfreemem(rel);
	return out;
}

/* Rows of the top plan node (for UPDATE/DELETE/MERGE: the ModifyTable's input) and the
 * whole plan's total cost (cost may be NULL). */
static bool explain_plan(struct sw_live_conn *lc, struct sw_live *lv, const char *sql, double *rows, double *cost)
{
	char *text = sw_xasprintf("EXPLAIN (FORMAT JSON) %s", sql);
	PGresult *r;
	bool ok = false;

	if (!(r = q(lc, lv, "BEGIN READ ONLY", 0, NULL)))
		goto out;
	PQclear(r);
	r = PQexec(lc->c, text);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		json_t *j = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
		json_t *plan = json_object_get(json_array_get(j, 0), "Plan");
		const char *type = json_string_value(json_object_get(plan, "Node Type"));
		if (cost)
			*cost = json_is_number(json_object_get(plan, "Total Cost")) ?
				json_number_value(json_object_get(plan, "Total Cost")) : -1;
		if (type && strcmp(type, "ModifyTable") == 0)
			plan = json_array_get(json_object_get(plan, "Plans"), 0);
		if (json_is_number(json_object_get(plan, "Plan Rows"))) {
			*rows = json_number_value(json_object_get(plan, "Plan Rows"));
			ok = true;
		}
		json_decref(j);
	} else if (!lv->error) {
		set_err(&lv->error, "EXPLAIN failed", PQresultErrorMessage(r));
	}
	PQclear(r);
	PQclear(PQexec(lc->c, "ROLLBACK"));
out:
	free(text);
	return ok;
}

/* Size, rows and the oldest conflicting transaction of one relation. */
static void rel_facts(struct sw_live_conn *lc, struct sw_live *lv, struct sw_live_rel *rel)
{
	char *qn = quoted_name(lc->c, rel->name);
	const char *p1[] = { qn };
	PGresult *r;

	rel->bytes = rel->rows = rel->blocker_age_s = sw_fact_unknown;
	r = q(lc, lv, "SELECT c.oid, pg_relation_size(c.oid), c.reltuples, c.relkind IN ('r', 'm', 'p') "
		      "FROM pg_class c WHERE c.oid = to_regclass($1)", 1, p1);
	if (!r)
		goto out;
	if (PQntuples(r) == 0) {
		/* Not there (yet): the statement creates it, or fails. */
		rel->exists = false;
		rel->bytes = rel->rows = rel->blocker_age_s = sw_fact_known(0);
		PQclear(r);
		goto out;
	}
	rel->exists = true;
	char *oid = sw_xstrdup(PQgetvalue(r, 0, 0));
	rel->bytes = sw_fact_known(strtod(PQgetvalue(r, 0, 1), NULL));
	double tuples = strtod(PQgetvalue(r, 0, 2), NULL);
	bool table = PQgetvalue(r, 0, 3)[0] == 't';
	PQclear(r);
	if (tuples >= 0) {
		rel->rows = sw_fact_known(tuples);
	} else if (table) {
		/* Never analysed: the planner's own estimate from the relation's pages. */
		char *sql = sw_xasprintf("SELECT 1 FROM %s", qn);
		double est;
		if (explain_plan(lc, lv, sql, &est, NULL))
			rel->rows = sw_fact_known(est);
		free(sql);
	}
	/* Who holds or waits for a lock on it now, oldest transaction first. */
	const char *p2[] = { oid };
	r = q(lc, lv, "SELECT l.pid, l.mode, l.granted, "
		      "COALESCE(extract(epoch FROM clock_timestamp() - a.xact_start), 0) "
		      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		      "WHERE l.locktype = 'relation' AND l.relation = $1::oid "
		      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
		      "AND l.pid <> pg_backend_pid() ORDER BY 4 DESC", 1, p2);
	free(oid);
	if (!r)
		goto out;
	rel->blocker_age_s = sw_fact_known(0);
	for (int i = 0; i < PQntuples(r); i++) {
		enum sw_lockmode m = sw_lock_parse(PQgetvalue(r, i, 1));
		if (!sw_lock_conflicts((enum sw_lockmode)rel->lockmode, m))
			continue;
		rel->blocker_age_s = sw_fact_known(strtod(PQgetvalue(r, i, 3), NULL));
		rel->blocker_pid = atoi(PQgetvalue(r, i, 0));
		rel->blocker_mode = sw_xstrdup(PQgetvalue(r, i, 1));
		rel->blocker_granted = PQgetvalue(r, i, 2)[0] == 't';
		break;
	}
	PQclear(r);
out:
	free(qn);
}

static void null_count(struct sw_live_conn *lc, struct sw_live *lv, const struct sw_impact *im)
{
	char *qt = quoted_name(lc->c, im->not_null_table);
	char *qc = PQescapeIdentifier(lc->c, im->not_null_column, strlen(im->not_null_column));
	char *sql = sw_xasprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s IS NULL LIMIT %d) s",
				 qt, qc ? qc : "\"?\"", NULL_COUNT_CAP);
	PGresult *r;

	lv->null_column = sw_xstrdup(im->not_null_column);
	lv->null_rows = sw_fact_unknown;
	if ((r = q(lc, lv, sql, 0, NULL))) {
		lv->null_rows = sw_fact_known(strtod(PQgetvalue(r, 0, 0), NULL));
		PQclear(r);
	}
	free(sql);
	PQfreemem(qc);
	free(qt);
}

/*
 * ALTER COLUMN ... TYPE: read the column's type now and predict the rewrite
 * with the generated catalog data. Only types in pg_catalog on both sides
 * (the new type resolved by to_regtype on this database, as the ALTER would
 * resolve it); anything else keeps the static prediction (rewrite).
 */
static void type_facts(struct sw_live_conn *lc, struct sw_live *lv, struct sw_impact *im)
{
	char *qn = quoted_name(lc->c, im->type_table);
	const char *dot = strrchr(im->type_new, '.');
	const char *p[] = { qn, im->type_column, im->type_new };
	PGresult *r;

	lv->type_rewrite = sw_fact_unknown;
	r = q(lc, lv, "SELECT format_type(a.atttypid, a.atttypmod), t.typname, a.atttypmod, "
		      "n.nspname = 'pg_catalog' AND t.typtype = 'b', "
		      "COALESCE((SELECT n2.nspname = 'pg_catalog' AND t2.typtype = 'b' FROM pg_type t2 "
		      "JOIN pg_namespace n2 ON n2.oid = t2.typnamespace WHERE t2.oid = to_regtype($3)), false) "
		      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
		      "JOIN pg_namespace n ON n.oid = t.typnamespace "
		      "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 "
		      "AND NOT a.attisdropped", 3, p);
	free(qn);
	if (!r)
		return;
	if (PQntuples(r) == 1) {
		bool builtin = PQgetvalue(r, 0, 3)[0] == 't' && PQgetvalue(r, 0, 4)[0] == 't';
		bool rw = !builtin || sw_pg_alter_type_rewrites(PQgetvalue(r, 0, 1), atoi(PQgetvalue(r, 0, 2)),
								dot ? dot + 1 : im->type_new, im->type_newmod);
		lv->old_type = sw_xstrdup(PQgetvalue(r, 0, 0));
		lv->type_rewrite = sw_fact_known(rw ? 1 : 0);
		if (!rw && im->rewrite) {
			/* The only subcommand, so the only rewrite cause (impact.c). */
			char *why = sw_xasprintf("no rewrite: the column is %s now, and PostgreSQL relabels it "
						 "(tablecmds.c ATColumnChangeRequiresRewrite)", lv->old_type);
			im->rewrite = im->new_storage = false;
			free(im->rewrite_why);
			im->rewrite_why = why;
		}
	}
	PQclear(r);
}

static bool wants_live(const struct sw_stmt *st)
{
	return st->impact && st->cls != SW_CLASS_READ && st->cls != SW_CLASS_SESSION &&
	       st->cls != SW_CLASS_TRANSACTION && st->cls != SW_CLASS_TWO_PHASE;
}

static bool is_dml(const struct sw_stmt *st)
{
	return st->command && (strcmp(st->command, "UPDATE") == 0 || strcmp(st->command, "DELETE") == 0 ||
			       strcmp(st->command, "MERGE") == 0);
}

static void annotate_stmt(struct sw_live_conn *lc, struct sw_stmt *st, bool connected,
			  char *const *created, size_t n_created)
{
	struct sw_impact *im = st->impact;
	struct sw_live *lv = sw_xcalloc(1, sizeof(*lv));
	bool all_new = true, any_named = false;

	sw_live_free(im->live);
	im->live = lv;
	for (size_t i = 0; i < im->n_locks; i++) {
		const struct sw_lock_entry *e = &im->locks[i];
		struct sw_live_rel *r;
		if (e->via != SW_VIA_NAMED)
			continue;
		r = sw_live_rel_add(lv, e->object, (int)e->mode, created, n_created);
		any_named = true;
		if (r->created_here)
			continue;
		all_new = false;
		if (connected)
			rel_facts(lc, lv, r);
	}
	all_new = all_new && any_named;
	if (is_dml(st)) {
		double rows, cost = -1;
		lv->est_rows = sw_fact_unknown;
		lv->est_cost = sw_fact_unknown;
		if (all_new)
			lv->est_rows = sw_fact_known(0);   /* only tables this file creates: new and empty */
		else if (!connected)
			;
		else if (st->traits & (SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_DANGEROUS_FUNCTION | SW_TRAIT_PREPARED))
			set_err(&lv->error, "not EXPLAINed", "the statement calls functions sqlward does not know "
				"(planning may run them) or is a prepared statement");
		else if (explain_plan(lc, lv, st->text, &rows, &cost)) {
			lv->est_rows = sw_fact_known(rows);
			if (cost >= 0)
				lv->est_cost = sw_fact_known(cost);
		}
	}
	if (im->not_null_table && sw_live_created_in(created, n_created, im->not_null_table)) {
		lv->null_column = sw_xstrdup(im->not_null_column);
		lv->null_rows = sw_fact_known(0);
	} else if (im->not_null_table) {
		if (connected)
			null_count(lc, lv, im);
		else
			lv->null_rows = sw_fact_unknown;
	}
	if (im->type_table && connected && !sw_live_created_in(created, n_created, im->type_table))
		type_facts(lc, lv, im);
	if (!connected && !all_new)
		lv->error = sw_xstrdup(lc->error ? lc->error : "no connection for live context");
}

/* ---- reads: `*` and views (SW_LIVE_WANT_COLUMNS), EXPLAIN (SW_LIVE_WANT_READ_EST) ---- */

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* A view's table columns, through pg_rewrite's dependencies (what PostgreSQL itself records the
 * view's query reads: select list, WHERE, joins), views over views followed. */
static const char view_columns_sql[] =
	"WITH RECURSIVE deps(relid, attnum, depth) AS ("
	" SELECT d.refobjid, d.refobjsubid, 1 FROM pg_catalog.pg_rewrite r"
	"  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid"
	"  WHERE r.ev_class = to_regclass($1) AND d.refclassid = 'pg_catalog.pg_class'::regclass"
	"  AND d.refobjsubid > 0 AND d.refobjid <> r.ev_class"
	" UNION"
	" SELECT d.refobjid, d.refobjsubid, deps.depth + 1 FROM deps"
	"  JOIN pg_catalog.pg_rewrite r ON r.ev_class = deps.relid"
	"  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid"
	"  WHERE deps.depth < $2::int AND d.refclassid = 'pg_catalog.pg_class'::regclass"
	"  AND d.refobjsubid > 0 AND d.refobjid <> r.ev_class)"
	" SELECT DISTINCT n.nspname || '.' || c.relname, a.attname FROM deps"
	" JOIN pg_catalog.pg_class c ON c.oid = deps.relid AND c.relkind NOT IN ('v', 'm')"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = deps.relid AND a.attnum = deps.attnum"
	" ORDER BY 1, 2";

static void read_rel_info(struct sw_live_conn *lc, struct rel_info *ri)
{
	struct sw_live scratch = { 0 };
	char *qn = quoted_name(lc->c, ri->relation);
	char depth[8];
	const char *p[2] = { qn, depth };
	PGresult *r;

	snprintf(depth, sizeof(depth), "%d", VIEW_DEPTH_MAX);
	r = q(lc, &scratch, "SELECT c.relkind IN ('v', 'm'), a.attname FROM pg_catalog.pg_class c "
			    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
			    "AND NOT a.attisdropped WHERE c.oid = to_regclass($1) ORDER BY a.attnum", 1, p);
	if (!r)
		goto out;
	ri->exists = PQntuples(r) > 0;
	ri->is_view = ri->exists && PQgetvalue(r, 0, 0)[0] == 't';
	for (int i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, 1))
			sw_strv_push(&ri->columns, PQgetvalue(r, i, 1));
	PQclear(r);
	if (ri->is_view) {
		if (!(r = q(lc, &scratch, view_columns_sql, 2, p)))
			goto out;
		for (int i = 0; i < PQntuples(r); i++) {
			sw_strv_push(&ri->under_rel, PQgetvalue(r, i, 0));
			sw_strv_push(&ri->under_col, PQgetvalue(r, i, 1));
		}
		PQclear(r);
	}
	ri->ok = true;
out:
	free(qn);
	free(scratch.error);
}

/* The catalog facts of relation in this connection's database: cached for REL_CACHE_TTL seconds. */
static const struct rel_info *rel_info(struct sw_live_conn *lc, const char *relation)
{
	const char *db = PQdb(lc->c);
	time_t now = mono_now();
	struct rel_info *ri = NULL;

	for (size_t i = 0; i < lc->n_rels; i++) {
		struct rel_info *c = &lc->rels[i];
		if (strcmp(c->relation, relation) == 0 && strcmp(c->database, db) == 0) {
			if (c->ok && now - c->at < REL_CACHE_TTL)
				return c;
			ri = c;
			break;
		}
	}
	if (!ri && lc->n_rels < REL_CACHE_MAX) {
		lc->rels = sw_xrealloc(lc->rels, (lc->n_rels + 1) * sizeof(*lc->rels));
		ri = &lc->rels[lc->n_rels++];
		memset(ri, 0, sizeof(*ri));
	} else if (!ri) {
		ri = &lc->rels[0];   /* full: replace the oldest */
		for (size_t i = 1; i < lc->n_rels; i++)
			if (lc->rels[i].at < ri->at)
				ri = &lc->rels[i];
	}
	rel_info_free(ri);
	ri->database = sw_xstrdup(db);
	ri->relation = sw_xstrdup(relation);
	ri->at = now;
	read_rel_info(lc, ri);
	return ri;
}

/* A `*`: the columns of its relation (or of every candidate), all or nothing. */
static void expand_star(struct sw_live_conn *lc, struct sw_col_ref *c)
{
	struct sw_strv cols = { 0 };
	size_t n = c->relation ? 1 : c->candidates.n;
	bool ok = n > 0;

	for (size_t i = 0; i < n && ok; i++) {
		const struct rel_info *ri = rel_info(lc, c->relation ? c->relation : c->candidates.v[i]);
		ok = ri->ok && ri->exists && ri->columns.n > 0;
		for (size_t k = 0; ok && k < ri->columns.n; k++)
			sw_strv_push_unique(&cols, ri->columns.v[k]);
	}
	if (ok) {
		sw_strv_free(&c->expanded);
		c->expanded = cols;
	} else {
		sw_strv_free(&cols);
	}
}

/* Add the table columns behind a view the statement names, once per view. */
static void view_columns(struct sw_live_conn *lc, struct sw_read_facts *rf, const char *relation,
			 struct sw_strv *seen)
{
	const struct rel_info *ri;

	if (!relation || sw_strv_contains(seen, relation))
		return;
	sw_strv_push(seen, relation);
	ri = rel_info(lc, relation);
	if (!ri->ok || !ri->is_view)
		return;
	for (size_t i = 0; i < ri->under_rel.n; i++)
		sw_read_facts_add_col(rf, ri->under_rel.v[i], ri->under_col.v[i], NULL);
}

static void annotate_columns(struct sw_live_conn *lc, struct sw_read_facts *rf)
{
	struct sw_strv seen = { 0 };
	size_t n_cols = rf->n_cols;   /* view columns are appended below: not walked again */

	for (size_t i = 0; i < n_cols; i++)
		if (rf->cols[i].column && strcmp(rf->cols[i].column, "*") == 0 && rf->cols[i].expanded.n == 0)
			expand_star(lc, &rf->cols[i]);
	for (size_t i = 0; i < n_cols; i++) {
		view_columns(lc, rf, rf->cols[i].relation, &seen);
		for (size_t k = 0; k < rf->cols[i].candidates.n; k++)
			view_columns(lc, rf, rf->cols[i].candidates.v[k], &seen);
	}
	for (size_t i = 0; i < rf->n_scans; i++)
		view_columns(lc, rf, rf->scans[i].relation, &seen);
	sw_strv_free(&seen);
}

static bool wants_read(const struct sw_stmt *st, unsigned wants)
{
	return ((wants & SW_LIVE_WANT_COLUMNS) && st->reads) ||
	       ((wants & SW_LIVE_WANT_READ_EST) && st->cls == SW_CLASS_READ);
}

/* est_rows and est_cost of a read: EXPLAIN (no ANALYZE) of a SELECT that calls no unknown function. */
static void read_estimates(struct sw_live_conn *lc, struct sw_stmt *st, bool connected)
{
	struct sw_live *lv;
	double rows, cost = -1;

	if (!st->impact)
		sw_stmt_attach_impact(st, sw_xcalloc(1, sizeof(struct sw_impact)));
	if (!st->impact->live)
		st->impact->live = sw_xcalloc(1, sizeof(struct sw_live));
	lv = st->impact->live;
	lv->est_rows = lv->est_cost = sw_fact_unknown;
	if (!connected)
		set_err(&lv->error, "no live context", lc->error ? lc->error : "no connection");
	else if (!st->command || strcmp(st->command, "SELECT") != 0)
		set_err(&lv->error, "not EXPLAINed", "only SELECT reads are estimated");
	else if (st->traits & (SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_DANGEROUS_FUNCTION | SW_TRAIT_PREPARED |
			       SW_TRAIT_EXECUTES | SW_TRAIT_SELECT_INTO))
		set_err(&lv->error, "not EXPLAINed", "the statement calls functions sqlward does not know "
			"(planning may run them), is a prepared statement or would write");
	else if (explain_plan(lc, lv, st->text, &rows, &cost)) {
		lv->est_rows = sw_fact_known(rows);
		if (cost >= 0)
			lv->est_cost = sw_fact_known(cost);
	}
}

static void annotate_read(struct sw_live_conn *lc, struct sw_stmt *st, bool connected, unsigned wants)
{
	if ((wants & SW_LIVE_WANT_COLUMNS) && st->reads && connected)
		annotate_columns(lc, st->reads);
	if ((wants & SW_LIVE_WANT_READ_EST) && st->cls == SW_CLASS_READ)
		read_estimates(lc, st, connected);
}

void sw_live_annotate(struct sw_live_conn *lc, struct sw_analysis *a)
{
	sw_live_annotate_wants(lc, a, 0);
}

void sw_live_annotate_wants(struct sw_live_conn *lc, struct sw_analysis *a, unsigned wants)
{
	bool any = false, connected;
	for (size_t i = 0; i < a->n_stmts; i++)
		any |= wants_live(&a->stmts[i]) || wants_read(&a->stmts[i], wants);
	if (!any)
		return;
	connected = ensure(lc);
	/* Tables created so far in this analysis (a migration file): exempt from size lookups. */
	char **created = sw_xcalloc(a->n_stmts ? a->n_stmts : 1, sizeof(*created));
	size_t n_created = 0;
	for (size_t i = 0; i < a->n_stmts; i++) {
		const struct sw_impact *im = a->stmts[i].impact;
		if (im && im->created_table)
			created[n_created++] = im->created_table;
		if (wants_live(&a->stmts[i]))
			annotate_stmt(lc, &a->stmts[i], connected, created, n_created);
		/* Writes read too (INSERT ... SELECT *, RETURNING *): their columns are expanded as well. */
		if (wants_read(&a->stmts[i], wants))
			annotate_read(lc, &a->stmts[i], connected, wants);
	}
	free(created);
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sw_live_conn *cached;

bool sw_live_function_owners(struct sw_live_conn *lc, const char *schema, const char *name, struct sw_strv *owners)
{
	const char *params[2] = { schema, name };
	PGresult *r;
	bool ok = false;

	if (!lc || !ensure(lc))
		return false;
	r = PQexecParams(lc->c, "SELECT DISTINCT pg_catalog.pg_get_userbyid(p.proowner) "
			 "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
			 "WHERE n.nspname = $1 AND p.proname = $2", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r); i++)
			sw_strv_push(owners, PQgetvalue(r, i, 0));
		ok = true;
	}
	PQclear(r);
	return ok;
}

/* The cached connection for dsn (made, or remade when the DSN changed); its database. Under cache_lock. */
static const char *cached_database(const char *dsn)
{
	if (cached && strcmp(cached->dsn, dsn) != 0) {
		sw_live_close(cached);
		cached = NULL;
	}
	if (!cached)
		cached = sw_live_open(dsn);
	return sw_live_database(cached);
}

bool sw_live_function_owners_dsn(const char *dsn, const char *database, const char *schema, const char *name,
				 struct sw_strv *owners)
{
	const char *db;
	bool ok = false;

	if (!dsn || !*dsn || !database)
		return false;
	pthread_mutex_lock(&cache_lock);
	db = cached_database(dsn);
	if (db && strcmp(db, database) == 0)
		ok = sw_live_function_owners(cached, schema, name, owners);
	pthread_mutex_unlock(&cache_lock);
	return ok;
}

void sw_live_annotate_dsn(const char *dsn, const char *database, struct sw_analysis *a)
{
	sw_live_annotate_dsn_wants(dsn, database, 0, a);
}

void sw_live_annotate_dsn_wants(const char *dsn, const char *database, unsigned wants, struct sw_analysis *a)
{
	const char *db;
	if (!dsn || !*dsn || !database)
		return;
	pthread_mutex_lock(&cache_lock);
	db = cached_database(dsn);
	/* Unknown database (cannot connect): annotate, so the facts are unknown, not absent. */
	if (!db || strcmp(db, database) == 0)
		sw_live_annotate_wants(cached, a, wants);
	pthread_mutex_unlock(&cache_lock);
}
