/*
 * `sqlward check --verify --dsn DSN FILE`: keep the static lock table honest.
 *
 * Each statement runs inside its own transaction on a scratch database; the
 * locks its backend really holds afterwards are read from pg_locks, the
 * relfilenode of every relation is compared before and after (a rewrite or
 * TRUNCATE gives the table new storage), and the transaction is rolled back.
 * Differences from the static prediction (impact.h) are reported.
 *
 * Only a database explicitly marked as scratch is used:
 *   ALTER DATABASE name SET sqlward.scratch = 'on';
 * Statements PostgreSQL refuses inside a transaction block (CONCURRENTLY,
 * VACUUM, ...) are not run; the report cites the source that forbids it.
 *
 * Comparison rules: every relation the prediction names (or finds through
 * the catalog, impact.h sw_via) must be held in exactly the predicted mode
 * (the strongest mode the backend holds on it); a lock marked if_rows may
 * also be absent. A lock marked conservative (an upper bound: catalog-found
 * relation sets, conditional locks) may be weaker or absent; the statement
 * is then reported "conservative", not "agree" (and not a mismatch). A
 * statement whose prediction says when PostgreSQL refuses it (fails_if)
 * and that fails is reported "refused". A table, view, materialized view or foreign table locked
 * but not predicted is a mismatch; indexes, sequences and TOAST tables that
 * PostgreSQL opens implicitly are compared only when predicted. Relations
 * the statement creates are not compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "check_verify.h"
#include "impact.h"
#include "pg_locks.h"
#include "util.h"

#define FIRST_NORMAL_OID 16384  /* access/transam.h FirstNormalObjectId */

struct rel {
	unsigned oid;
	char kind;
	unsigned filenode_before, filenode_after;
	bool gone;
	char *name;
	enum sw_lockmode held;
	enum sw_lockmode predicted;
	bool predicted_if_rows;
	bool predicted_conservative;
	bool is_predicted;
};

struct relset {
	struct rel *v;
	size_t n;
};

static struct rel *rel_find(struct relset *rs, unsigned oid)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].oid == oid)
			return &rs->v[i];
	return NULL;
}

static void relset_free(struct relset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].name);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static PGresult *q(PGconn *c, const char *sql, int nparams, const char *const *params, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = 0;
		PQclear(r);
		return NULL;
	}
	return r;
}

static bool cmd(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

/* All user relations with their storage, before the statement. */
static int snapshot(PGconn *c, struct relset *rs, char *err, size_t errlen)
{
	PGresult *r = q(c, "SELECT c.oid, c.relkind, c.relfilenode, format('%I.%I', n.nspname, c.relname) "
			"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid >= 16384",
			0, NULL, err, errlen);
	if (!r)
		return -1;
	rs->n = (size_t)PQntuples(r);
	rs->v = sw_xcalloc(rs->n ? rs->n : 1, sizeof(*rs->v));
	for (size_t i = 0; i < rs->n; i++) {
		rs->v[i].oid = (unsigned)strtoul(PQgetvalue(r, (int)i, 0), NULL, 10);
		rs->v[i].kind = PQgetvalue(r, (int)i, 1)[0];
		rs->v[i].filenode_before = (unsigned)strtoul(PQgetvalue(r, (int)i, 2), NULL, 10);
		rs->v[i].name = sw_xstrdup(PQgetvalue(r, (int)i, 3));
		rs->v[i].gone = true;
	}
	PQclear(r);
	return 0;
}

static const char *via_sql(enum sw_via v)
{
	switch (v) {
	case SW_VIA_TABLE_OF_INDEX:
		return "SELECT indrelid FROM pg_index WHERE indexrelid = $1::oid";
	case SW_VIA_INDEXES_OF:
		return "SELECT indexrelid FROM pg_index WHERE indrelid = $1::oid";
	case SW_VIA_FK_REFERENCED:
		return "SELECT DISTINCT confrelid FROM pg_constraint WHERE conrelid = $1::oid AND contype = 'f' "
		       "AND confrelid <> conrelid";
	case SW_VIA_FK_REFERENCING:
		return "SELECT DISTINCT conrelid FROM pg_constraint WHERE confrelid = $1::oid AND contype = 'f' "
		       "AND confrelid <> conrelid";
	case SW_VIA_DEFAULT_PARTITION:
		return "SELECT partdefid FROM pg_partitioned_table WHERE partrelid = $1::oid AND partdefid <> 0";
	case SW_VIA_DEPENDENT_VIEWS:
		return "SELECT DISTINCT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
		       "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
		       "AND d.refobjid = $1::oid AND r.ev_class <> $1::oid";
	case SW_VIA_FK_OF_CONSTRAINT:
		return "SELECT confrelid FROM pg_constraint WHERE conrelid = $1::oid AND conname = $2 "
		       "AND contype = 'f' AND confrelid <> conrelid";
	case SW_VIA_CHILDREN:
		return "WITH RECURSIVE k(oid) AS (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::oid "
		       "UNION SELECT i.inhrelid FROM pg_inherits i JOIN k ON i.inhparent = k.oid) SELECT oid FROM k";
	case SW_VIA_VIEW_BASE:
	case SW_VIA_MATVIEW_BASE:
		return "SELECT DISTINCT d.refobjid FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid "
		       "JOIN pg_class v ON v.oid = r.ev_class "
		       "WHERE r.ev_class = $1::oid AND d.classid = 'pg_rewrite'::regclass "
		       "AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> $1::oid "
		       "AND v.relkind = CASE WHEN $2 = 'm' THEN 'm' ELSE 'v' END";
	case SW_VIA_PARENT:
		return "SELECT i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
		       "WHERE i.inhrelid = $1::oid AND c.relispartition";
	case SW_VIA_DOMAIN_TABLES:
		/* typecmds.c get_rels_with_domain: pg_depend rows of relation columns on the type */
		return "SELECT DISTINCT objid FROM pg_depend WHERE classid = 'pg_class'::regclass "
		       "AND refclassid = 'pg_type'::regclass AND refobjid = $1::oid AND objsubid > 0";
	case SW_VIA_CLUSTERED_TABLES:
		return "SELECT DISTINCT i.indrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
		       "WHERE i.indisclustered AND pg_has_role(c.relowner, 'USAGE') AND $1::oid IS NOT NULL";
	case SW_VIA_PARENT_DEFAULT:
		return "SELECT pt.partdefid FROM pg_inherits i JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent "
		       "WHERE i.inhrelid = $1::oid AND pt.partdefid <> 0 AND pt.partdefid <> $1::oid";
	default:
		return NULL;
	}
}

static void predict(struct relset *rs, unsigned oid, enum sw_lockmode m, bool if_rows, bool conservative)
{
	struct rel *r = rel_find(rs, oid);
	if (!r)
		return;  /* created by the statement: not compared */
	if (!r->is_predicted) {
		r->predicted = m;
		r->predicted_if_rows = if_rows;
		r->predicted_conservative = conservative;
	} else if (conservative) {
		/* An upper bound never weakens an exact prediction of the same relation. */
		if (r->predicted_conservative && m > r->predicted)
			r->predicted = m;
	} else if (r->predicted_conservative || m > r->predicted) {
		if (r->predicted_conservative && r->predicted > m) {
			/* exact lower bound under a conservative upper one: keep the bound */
		} else {
			r->predicted = m;
			r->predicted_if_rows = if_rows;
			r->predicted_conservative = false;
		}
	} else if (m == r->predicted) {
		r->predicted_if_rows &= if_rows;
	}
	r->is_predicted = true;
}

/* Per statement category (impact.h category): how each statement came out. */
struct category_count {
	const char *name;   /* static (pg_lock_table.c) */
	unsigned n[SW_VERIFY__COUNT];
};
static struct category_count categories[64];
static size_t n_categories;

static void count_category(const char *name, enum sw_verify_result r)
{
	size_t i;
	if (!name)
		name = "other";
	for (i = 0; i < n_categories; i++)
		if (strcmp(categories[i].name, name) == 0)
			break;
	if (i == n_categories) {
		if (n_categories == sizeof(categories) / sizeof(categories[0]))
			i = n_categories - 1;  /* full: the last slot collects the rest */
		else
			categories[n_categories++].name = name;
	}
	categories[i].n[r]++;
}

void sw_verify_print_categories(FILE *out)
{
	for (size_t i = 0; i < n_categories; i++) {
		const unsigned *n = categories[i].n;
		unsigned measured = n[SW_VERIFY_AGREE] + n[SW_VERIFY_MISMATCH] + n[SW_VERIFY_CONSERVATIVE];
		fprintf(out, "verify category %s: %u/%u agree", categories[i].name, n[SW_VERIFY_AGREE], measured);
		if (n[SW_VERIFY_CONSERVATIVE])
			fprintf(out, ", %u conservative (upper bound held)", n[SW_VERIFY_CONSERVATIVE]);
		if (n[SW_VERIFY_MISMATCH])
			fprintf(out, ", %u MISMATCH", n[SW_VERIFY_MISMATCH]);
		if (n[SW_VERIFY_CITED])
			fprintf(out, ", %u cited", n[SW_VERIFY_CITED]);
		if (n[SW_VERIFY_REFUSED])
			fprintf(out, ", %u refused as predicted", n[SW_VERIFY_REFUSED]);
		if (n[SW_VERIFY_SKIPPED])
			fprintf(out, ", %u skipped", n[SW_VERIFY_SKIPPED]);
		if (n[SW_VERIFY_ERROR])
			fprintf(out, ", %u errors", n[SW_VERIFY_ERROR]);
		fputc('\n', out);
	}
}

/* Resolve the prediction to relation oids (before the statement runs). */
static int resolve(PGconn *c, const struct sw_impact *im, struct relset *rs, char *err, size_t errlen)
{
	for (size_t i = 0; i < im->n_locks; i++) {
		const struct sw_lock_entry *e = &im->locks[i];
		const char *p1[1] = { e->object };
		/* A domain is a type; CLUSTER without a table has no object to resolve. */
		PGresult *r = q(c, e->via == SW_VIA_DOMAIN_TABLES ?
				"SELECT to_regtype(array_to_string(ARRAY(SELECT quote_ident(x) FROM "
				"unnest(string_to_array($1, '.')) x), '.'))::oid" :
				e->via == SW_VIA_CLUSTERED_TABLES ? "SELECT 0::oid WHERE $1 IS NOT NULL" :
				"SELECT to_regclass(array_to_string(ARRAY(SELECT quote_ident(x) FROM "
				"unnest(string_to_array($1, '.')) x), '.'))::oid", 1, p1, err, errlen);
		char oidbuf[16];
		const char *sql;
		if (!r)
			return -1;
		if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
			PQclear(r);
			continue;  /* does not exist yet: the statement creates it */
		}
		snprintf(oidbuf, sizeof(oidbuf), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (e->via == SW_VIA_NAMED) {
			predict(rs, (unsigned)strtoul(oidbuf, NULL, 10), e->mode, e->if_rows, e->conservative != NULL);
			continue;
		}
		sql = via_sql(e->via);
		if (!sql)
			continue;
		{
			const char *p2[2] = { oidbuf, e->via == SW_VIA_MATVIEW_BASE ? "m" : e->detail ? e->detail : "" };
			int np = e->via == SW_VIA_FK_OF_CONSTRAINT || e->via == SW_VIA_VIEW_BASE ||
				 e->via == SW_VIA_MATVIEW_BASE ? 2 : 1;
			r = q(c, sql, np, p2, err, errlen);
			if (!r)
				return -1;
			for (int k = 0; k < PQntuples(r); k++)
				predict(rs, (unsigned)strtoul(PQgetvalue(r, k, 0), NULL, 10), e->mode, e->if_rows,
					e->conservative != NULL);
			PQclear(r);
		}
	}
	return 0;
}

static int observe(PGconn *c, struct relset *rs, char *err, size_t errlen)
{
	PGresult *r = q(c, "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
			"AND locktype = 'relation' AND relation >= 16384 "
			"AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
			0, NULL, err, errlen);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rel *x = rel_find(rs, (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10));
		enum sw_lockmode m = sw_lock_parse(PQgetvalue(r, i, 1));
		if (x && m > x->held)
			x->held = m;
	}
	PQclear(r);
	r = q(c, "SELECT oid, relfilenode FROM pg_class WHERE oid >= 16384", 0, NULL, err, errlen);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rel *x = rel_find(rs, (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10));
		if (x) {
			x->gone = false;
			x->filenode_after = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		}
	}
	PQclear(r);
	return 0;
}

static bool compared_kind(char k)
{
	return k == 'r' || k == 'p' || k == 'm' || k == 'v' || k == 'f';
}

static void line_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\t' ? ' ' : *s, out);
}

/* COPY TO STDOUT / FROM STDIN: drain or end the data; return the final result. */
static PGresult *finish_copy(PGconn *c, PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	PGresult *next, *last = NULL;
	if (s != PGRES_COPY_OUT && s != PGRES_COPY_IN)
		return r;
	PQclear(r);
	if (s == PGRES_COPY_OUT) {
		char *buf;
		while (PQgetCopyData(c, &buf, 0) > 0)
			PQfreemem(buf);
	} else {
		PQputCopyEnd(c, NULL);
	}
	while ((next = PQgetResult(c))) {
		PQclear(last);
		last = next;
	}
	return last ? last : PQmakeEmptyPGresult(c, PGRES_FATAL_ERROR);
}

static void mismatch_head(FILE *out, const char *where, const char *text)
{
	fprintf(out, "MISMATCH  %s  ", where);
	line_text(out, text);
	fputc('\n', out);
}

int sw_verify_open(const char *dsn, PGconn **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(dsn);
	PGresult *r;

	*out = NULL;
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to %s: %s; check --dsn", dsn, PQerrorMessage(c));
		err[strcspn(err, "\n")] = 0;
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, "SELECT current_setting('sqlward.scratch', true), current_database()");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    strcmp(PQgetvalue(r, 0, 0), "on") != 0) {
		snprintf(err, errlen, "database \"%s\" is not marked as a scratch database; --verify runs every "
			 "statement against it, so it refuses any other. Mark a throwaway copy with: "
			 "ALTER DATABASE %s SET sqlward.scratch = 'on'",
			 PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 1) : "?",
			 PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 1) : "<name>");
		PQclear(r);
		PQfinish(c);
		return -1;
	}
	PQclear(r);
	/* Never wait on someone else's lock: a scratch database should be idle. */
	cmd(c, "SET lock_timeout = '5s'");
	cmd(c, "SET statement_timeout = '60s'");
	*out = c;
	return 0;
}

void sw_verify_close(PGconn *c)
{
	/* cmd_check.c prints the overall line, then closes: the categories follow it. */
	if (n_categories) {
		sw_verify_print_categories(stdout);
		n_categories = 0;
		memset(categories, 0, sizeof(categories));
	}
	if (c)
		PQfinish(c);
}

static enum sw_verify_result verify_one(PGconn *c, const struct sw_stmt *st, const char *where, FILE *out)
{
	const struct sw_impact *im = st->impact;
	struct relset rs = { 0 };
	char err[512] = "";
	PGresult *r;
	enum sw_verify_result res = SW_VERIFY_AGREE;
	bool storage_changed = false;
	int mismatches = 0, conservative = 0;

	if (!im || st->cls == SW_CLASS_TRANSACTION || st->cls == SW_CLASS_TWO_PHASE) {
		fprintf(out, "skip      %s  ", where);
		line_text(out, st->text ? st->text : "");
		fprintf(out, "\n          not measured: %s\n", im ? "a transaction statement" : "not analysed");
		return SW_VERIFY_SKIPPED;
	}
	if (im->no_transaction_block) {
		fprintf(out, "cited     %s  ", where);
		line_text(out, st->text ? st->text : "");
		fprintf(out, "\n          cannot run inside a transaction block (%s); static prediction stands:",
			im->no_tx_source ? im->no_tx_source : "PreventInTransactionBlock");
		for (size_t i = 0; i < im->n_locks; i++)
			fprintf(out, " %s%s%s=%s", im->locks[i].via == SW_VIA_NAMED ? "" : sw_via_name(im->locks[i].via),
				im->locks[i].via == SW_VIA_NAMED ? "" : ":", im->locks[i].object,
				sw_lock_name(im->locks[i].mode));
		fputc('\n', out);
		return SW_VERIFY_CITED;
	}
	if (!cmd(c, "BEGIN")) {
		fprintf(out, "error     %s  BEGIN failed: %s", where, PQerrorMessage(c));
		return SW_VERIFY_ERROR;
	}
	if (snapshot(c, &rs, err, sizeof(err)) < 0 || resolve(c, im, &rs, err, sizeof(err)) < 0) {
		res = SW_VERIFY_ERROR;
		goto out;
	}
	r = PQexec(c, st->text);
	r = finish_copy(c, r);
	if ((PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) && im->fails_if) {
		fprintf(out, "refused   %s  ", where);
		line_text(out, st->text);
		fprintf(out, "\n          as predicted (fails if %s): ", im->fails_if);
		line_text(out, PQresultErrorMessage(r));
		fputc('\n', out);
		PQclear(r);
		res = SW_VERIFY_REFUSED;
		goto out;
	}
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, sizeof(err), "the statement failed: %s", PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = 0;
		PQclear(r);
		res = SW_VERIFY_ERROR;
		goto out;
	}
	PQclear(r);
	if (observe(c, &rs, err, sizeof(err)) < 0) {
		res = SW_VERIFY_ERROR;
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++) {
		struct rel *x = &rs.v[i];
		if (x->is_predicted && (x->kind == 'r' || x->kind == 'm') && !x->gone &&
		    x->filenode_after != x->filenode_before && x->predicted >= SW_LOCK_SHARE_UPDATE_EXCLUSIVE)
			storage_changed = true;
	}
	for (size_t i = 0; i < rs.n; i++) {
		struct rel *x = &rs.v[i];
		if (x->is_predicted) {
			if (x->held == x->predicted || (x->predicted_if_rows && x->held == SW_LOCK_NONE))
				continue;
			if (x->predicted_conservative && x->held < x->predicted) {
				conservative++;
				continue;
			}
			if (!mismatches++)
				mismatch_head(out, where, st->text);
			fprintf(out, "          %s: predicted %s, PostgreSQL took %s\n", x->name,
				sw_lock_name(x->predicted), x->held ? sw_lock_name(x->held) : "no lock");
		} else if (x->held && compared_kind(x->kind)) {
			if (!mismatches++)
				mismatch_head(out, where, st->text);
			fprintf(out, "          %s: not predicted, PostgreSQL took %s\n", x->name, sw_lock_name(x->held));
		}
	}
	if (storage_changed != im->new_storage) {
		if (!mismatches++)
			mismatch_head(out, where, st->text);
		fprintf(out, "          rewrite: predicted %s, relfilenode %s\n",
			im->new_storage ? "new storage" : "none", storage_changed ? "changed" : "unchanged");
	}
	res = mismatches ? SW_VERIFY_MISMATCH : conservative ? SW_VERIFY_CONSERVATIVE : SW_VERIFY_AGREE;
	if (!mismatches) {
		fprintf(out, "%s %s  ", conservative ? "conservative" : "agree    ", where);
		line_text(out, st->text);
		fputc('\n', out);
		if (conservative) {
			fprintf(out, "          upper bound held: ");
			line_text(out, im->conservative ? im->conservative : "a lock marked conservative was weaker");
			fputc('\n', out);
		}
	}
out:
	if (res == SW_VERIFY_ERROR) {
		fprintf(out, "error     %s  ", where);
		line_text(out, st->text ? st->text : "");
		fprintf(out, "\n          %s; fix the fixture or the statement\n", err);
	}
	if (!cmd(c, "ROLLBACK"))
		res = SW_VERIFY_ERROR;
	relset_free(&rs);
	return res;
}

enum sw_verify_result sw_verify_stmt(PGconn *c, const struct sw_stmt *st, const char *where, FILE *out)
{
	enum sw_verify_result r = verify_one(c, st, where, out);
	count_category(st->impact ? st->impact->category : NULL, r);
	return r;
}
