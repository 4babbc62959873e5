/*
 * Read facts from the PostgreSQL parse tree (postgres/pg_read_facts.c):
 * column references resolved through aliases, CTEs and subqueries, `*`,
 * scans with their constant-pinned columns, the outermost LIMIT, and the
 * dodges issue 14 lists (aliases, quoted identifiers, `*`, views, CTEs,
 * subqueries, UNION branches, OR tautologies, LIMIT ALL, FETCH FIRST,
 * cursors).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "unit.h"
#include "statement.h"
#include "statement_json.h"
#include "read_facts.h"
#include "pg_read_facts.h"
#include "util.h"

static struct sw_analysis an;

/* Analyse sql (one statement) and return its facts (NULL: none). Freed by the next call / done(). */
static const struct sw_read_facts *facts(const char *sql)
{
	sw_analysis_free(&an);
	sw_pg_analyze(sql, &an);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 1);
	return an.stmts[0].reads;
}

static void done(void)
{
	sw_analysis_free(&an);
}

static bool s_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const struct sw_col_ref *find_col(const struct sw_read_facts *f, const char *rel, const char *col)
{
	for (size_t i = 0; i < f->n_cols; i++)
		if (s_eq(f->cols[i].relation, rel) && strcmp(f->cols[i].column, col) == 0)
			return &f->cols[i];
	return NULL;
}

static bool has_col(const struct sw_read_facts *f, const char *rel, const char *col)
{
	return find_col(f, rel, col) != NULL;
}

/* Any reference to column col, whatever it resolved to. */
static bool names_col(const struct sw_read_facts *f, const char *col)
{
	for (size_t i = 0; i < f->n_cols; i++)
		if (strcmp(f->cols[i].column, col) == 0)
			return true;
	return false;
}

/* Any column reference attributed to relation rel (resolved or candidate). */
static bool mentions_rel(const struct sw_read_facts *f, const char *rel)
{
	for (size_t i = 0; i < f->n_cols; i++) {
		if (s_eq(f->cols[i].relation, rel) || sw_strv_contains(&f->cols[i].candidates, rel))
			return true;
	}
	return false;
}

static size_t n_scans_of(const struct sw_read_facts *f, const char *rel)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_scans; i++)
		if (strcmp(f->scans[i].relation, rel) == 0)
			n++;
	return n;
}

/* The k-th scan of rel (0-based) pins col. */
static bool scan_eq(const struct sw_read_facts *f, const char *rel, size_t k, const char *col)
{
	for (size_t i = 0; i < f->n_scans; i++)
		if (strcmp(f->scans[i].relation, rel) == 0 && k-- == 0)
			return sw_strv_contains(&f->scans[i].eq_columns, col);
	fail_msg("no scan %zu of %s", k, rel);
	return false;
}

static void assert_pinned(const char *sql, const char *rel, const char *col)
{
	const struct sw_read_facts *f = facts(sql);
	assert_non_null(f);
	if (!scan_eq(f, rel, 0, col))
		fail_msg("%s: expected %s.%s pinned by a constant", sql, rel, col);
}

static void assert_not_pinned(const char *sql, const char *rel, const char *col)
{
	const struct sw_read_facts *f = facts(sql);
	assert_non_null(f);
	if (scan_eq(f, rel, 0, col))
		fail_msg("%s: %s.%s must not count as pinned", sql, rel, col);
}

/* ---- 1. column references ---- */

static void test_alias_resolution(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT c.email, c.name FROM app.customers c WHERE c.tenant_id = 7 ORDER BY c.created_at");
	assert_non_null(f);
	assert_true(has_col(f, "app.customers", "email"));
	assert_true(has_col(f, "app.customers", "name"));
	assert_true(has_col(f, "app.customers", "tenant_id"));
	assert_true(has_col(f, "app.customers", "created_at"));
	assert_false(mentions_rel(f, "c"));
	assert_int_equal(f->n_scans, 1);
	assert_string_equal(f->scans[0].relation, "app.customers");

	/* unqualified with one relation; schema-qualified column reference */
	f = facts("SELECT email, app.customers.ssn FROM app.customers");
	assert_true(has_col(f, "app.customers", "email"));
	assert_true(has_col(f, "app.customers", "ssn"));

	/* unaliased table name as qualifier; an alias hides the table name */
	f = facts("SELECT customers.ssn FROM customers");
	assert_true(has_col(f, "customers", "ssn"));

	/* several relations: unqualified is ambiguous, candidates are the level's relations */
	f = facts("SELECT ssn FROM app.customers c JOIN app.orders o ON o.cid = c.id");
	const struct sw_col_ref *r = find_col(f, NULL, "ssn");
	assert_non_null(r);
	assert_int_equal(r->candidates.n, 2);
	assert_true(sw_strv_contains(&r->candidates, "app.customers"));
	assert_true(sw_strv_contains(&r->candidates, "app.orders"));
	assert_true(has_col(f, "app.orders", "cid"));
	assert_true(has_col(f, "app.customers", "id"));

	/* the same table twice: one candidate is the relation */
	f = facts("SELECT ssn FROM t a, t b");
	assert_true(has_col(f, "t", "ssn"));
	done();
}

static void test_quoted_identifiers(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT \"C\".\"Email\", \"SSN\" FROM \"App\".\"Customers\" AS \"C\" WHERE \"C\".\"Tenant_Id\" = 1");
	assert_true(has_col(f, "App.Customers", "Email"));
	assert_true(has_col(f, "App.Customers", "SSN"));
	assert_true(scan_eq(f, "App.Customers", 0, "Tenant_Id"));
	assert_false(has_col(f, "App.Customers", "email"));

	/* unquoted names are folded to lower case by the parser */
	f = facts("SELECT EMAIL, Ssn FROM App.Customers WHERE TENANT_ID = 2");
	assert_true(has_col(f, "app.customers", "email"));
	assert_true(has_col(f, "app.customers", "ssn"));
	assert_true(scan_eq(f, "app.customers", 0, "tenant_id"));

	/* a quoted alias is not the unquoted one */
	f = facts("SELECT \"c\".ssn FROM customers \"c\"");
	assert_true(has_col(f, "customers", "ssn"));
	done();
}

static void test_everywhere(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT lower(c.email) AS e, CASE WHEN c.vip THEN c.card_number END, "
		  "sum(c.balance) OVER (PARTITION BY c.region ORDER BY c.joined) "
		  "FROM customers c JOIN orders o ON o.customer_id = c.id "
		  "WHERE coalesce(c.nickname, '') <> '' GROUP BY c.country HAVING max(o.total) > 5 "
		  "ORDER BY e, c.last_login");
	const char *want[] = { "email", "vip", "card_number", "balance", "region", "joined",
			       "id", "nickname", "country", "last_login" };
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!has_col(f, "customers", want[i]))
			fail_msg("customers.%s not reported", want[i]);
	assert_true(has_col(f, "orders", "customer_id"));
	assert_true(has_col(f, "orders", "total"));
	/* ORDER BY e names the output column, not an input column */
	assert_false(names_col(f, "e"));
	/* ... but inside an expression a name is an input column again */
	f = facts("SELECT 1 AS ssn FROM customers ORDER BY lower(ssn)");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("SELECT 1 AS ssn FROM customers ORDER BY ssn");
	assert_false(names_col(f, "ssn"));

	/* named WINDOW clause */
	f = facts("SELECT rank() OVER w FROM t WINDOW w AS (PARTITION BY t.secret)");
	assert_true(has_col(f, "t", "secret"));

	/* JOIN ... USING reads the column on both sides */
	f = facts("SELECT 1 FROM a JOIN b USING (ssn)");
	assert_true(has_col(f, "a", "ssn"));
	assert_true(has_col(f, "b", "ssn"));
	done();
}

static void test_whole_row(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	/* a bare FROM-item name is the whole row: every column */
	f = facts("SELECT row_to_json(c) FROM app.customers c WHERE c.tenant_id = 1");
	assert_true(has_col(f, "app.customers", "*"));
	f = facts("SELECT c::text FROM customers c");
	assert_true(has_col(f, "customers", "*"));
	f = facts("SELECT (c).ssn FROM customers c");
	assert_true(has_col(f, "customers", "*"));
	done();
}

static void test_returning(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("UPDATE app.customers c SET name = o.name FROM app.orders o "
		  "WHERE o.cid = c.id AND c.tenant_id = $1 RETURNING c.ssn");
	assert_non_null(f);
	assert_true(has_col(f, "app.customers", "ssn"));
	assert_true(has_col(f, "app.orders", "name"));
	assert_int_equal(n_scans_of(f, "app.customers"), 1);
	assert_int_equal(n_scans_of(f, "app.orders"), 1);
	assert_true(scan_eq(f, "app.customers", 0, "tenant_id"));
	assert_false(names_col(f, "c"));   /* SET name: written, not read */

	f = facts("DELETE FROM t USING u WHERE t.uid = u.id AND u.tenant_id = 3 RETURNING *");
	assert_true(has_col(f, "t", "*"));
	assert_true(has_col(f, "u", "*"));
	assert_true(scan_eq(f, "u", 0, "tenant_id"));
	assert_false(scan_eq(f, "t", 0, "tenant_id"));

	/* INSERT: the target is not scanned; RETURNING reads it */
	f = facts("INSERT INTO t (a) VALUES (1) RETURNING secret");
	assert_non_null(f);
	assert_int_equal(f->n_scans, 0);
	assert_true(has_col(f, "t", "secret"));

	f = facts("INSERT INTO t SELECT s.ssn FROM src s WHERE s.tenant_id = 1 LIMIT 3 "
		  "ON CONFLICT (id) DO UPDATE SET v = excluded.v");
	assert_true(has_col(f, "src", "ssn"));
	assert_true(scan_eq(f, "src", 0, "tenant_id"));
	assert_true(has_col(f, "t", "v"));
	assert_true(f->limit_known);
	assert_int_equal(f->limit, 3);

	f = facts("MERGE INTO t USING s ON t.id = s.id AND t.tenant_id = 4 "
		  "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.secret)");
	assert_true(has_col(f, "s", "secret"));
	assert_true(has_col(f, "s", "v"));
	assert_true(scan_eq(f, "t", 0, "tenant_id"));
	assert_int_equal(n_scans_of(f, "s"), 1);
	done();
}

/* ---- 2. stars ---- */

static void test_stars(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT * FROM app.customers c JOIN app.orders o ON o.cid = c.id");
	assert_true(has_col(f, "app.customers", "*"));
	assert_true(has_col(f, "app.orders", "*"));

	f = facts("SELECT o.* FROM app.customers c, app.orders o");
	assert_true(has_col(f, "app.orders", "*"));
	assert_false(has_col(f, "app.customers", "*"));

	/* count(*) is not a star */
	f = facts("SELECT count(*) FROM app.customers");
	assert_int_equal(f->n_cols, 0);
	assert_int_equal(f->n_scans, 1);

	/* a view is just a relation here */
	f = facts("SELECT * FROM analytics_agent.agent_fraud_transactions_v1");
	assert_true(has_col(f, "analytics_agent.agent_fraud_transactions_v1", "*"));

	/* TABLE t is SELECT * FROM t */
	f = facts("TABLE app.customers");
	assert_true(has_col(f, "app.customers", "*"));

	/* * over a CTE or subquery: the body's own stars and columns */
	f = facts("WITH x AS (SELECT * FROM app.customers) SELECT * FROM x");
	assert_true(has_col(f, "app.customers", "*"));
	assert_false(mentions_rel(f, "x"));
	f = facts("SELECT * FROM (SELECT email FROM app.customers) s");
	assert_true(has_col(f, "app.customers", "email"));
	assert_false(has_col(f, "app.customers", "*"));
	assert_false(mentions_rel(f, "s"));
	done();
}

/* ---- CTEs and subqueries ---- */

static void test_ctes(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("WITH x AS (SELECT email FROM app.customers) SELECT email FROM x");
	assert_true(has_col(f, "app.customers", "email"));
	assert_false(mentions_rel(f, "x"));
	assert_int_equal(f->n_cols, 1);
	assert_int_equal(f->n_scans, 1);

	/* renamed through the CTE's column list and an alias */
	f = facts("WITH x(a) AS (SELECT ssn FROM app.customers) SELECT y.a FROM x y");
	assert_true(has_col(f, "app.customers", "ssn"));
	assert_false(names_col(f, "a"));

	/* a column a * of the body stands for: the body's relation */
	f = facts("WITH x AS (SELECT * FROM app.customers) SELECT x.ssn FROM x");
	assert_true(has_col(f, "app.customers", "ssn"));
	f = facts("WITH x AS (SELECT * FROM a, b) SELECT ssn FROM x");
	const struct sw_col_ref *r = find_col(f, NULL, "ssn");
	assert_non_null(r);
	assert_true(sw_strv_contains(&r->candidates, "a"));
	assert_true(sw_strv_contains(&r->candidates, "b"));

	/* CTE of CTE */
	f = facts("WITH a AS (SELECT * FROM secrets), b AS (SELECT * FROM a) SELECT token FROM b");
	assert_true(has_col(f, "secrets", "token"));

	/* a CTE name qualified by a schema is a table */
	f = facts("WITH x AS (SELECT 1 AS one) SELECT * FROM public.x");
	assert_true(has_col(f, "public.x", "*"));
	assert_int_equal(n_scans_of(f, "public.x"), 1);

	/* computed CTE columns: the body's columns are reported */
	f = facts("WITH x AS (SELECT lower(email) AS e FROM app.customers WHERE tenant_id = 1) SELECT e FROM x");
	assert_true(has_col(f, "app.customers", "email"));
	assert_true(scan_eq(f, "app.customers", 0, "tenant_id"));
	assert_false(names_col(f, "e"));

	/* a writable CTE's RETURNING */
	f = facts("WITH d AS (DELETE FROM jobs WHERE tenant_id = 1 RETURNING payload) SELECT payload FROM d");
	assert_true(has_col(f, "jobs", "payload"));
	assert_true(scan_eq(f, "jobs", 0, "tenant_id"));
	done();
}

static void test_subqueries(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT (SELECT max(o.total) FROM orders o WHERE o.cid = c.id AND o.tenant_id = 1) "
		  "FROM customers c "
		  "WHERE c.tenant_id = 1 AND c.id IN (SELECT cid FROM payments WHERE tenant_id = 1) "
		  "AND EXISTS (SELECT 1 FROM refunds r WHERE r.cid = c.id)");
	assert_true(has_col(f, "orders", "total"));
	assert_true(has_col(f, "customers", "id"));    /* correlated: the outer alias */
	assert_int_equal(f->n_scans, 4);
	assert_true(scan_eq(f, "customers", 0, "tenant_id"));
	assert_true(scan_eq(f, "orders", 0, "tenant_id"));
	assert_false(scan_eq(f, "refunds", 0, "tenant_id"));
	/* an unqualified column in a subquery: its FROM item, or an outer one */
	const struct sw_col_ref *r = find_col(f, NULL, "cid");
	assert_non_null(r);
	assert_true(sw_strv_contains(&r->candidates, "payments"));
	assert_true(sw_strv_contains(&r->candidates, "customers"));
	/* with a single relation in its own level the tenant column still counts for that scan */
	assert_true(scan_eq(f, "payments", 0, "tenant_id"));

	/* the outer WHERE does not constrain the scan inside a derived table */
	f = facts("SELECT * FROM (SELECT * FROM customers) s WHERE s.tenant_id = 1");
	assert_false(scan_eq(f, "customers", 0, "tenant_id"));
	assert_true(has_col(f, "customers", "tenant_id"));

	/* LATERAL sees the earlier FROM items */
	f = facts("SELECT * FROM customers c, LATERAL (SELECT o.total FROM orders o WHERE o.cid = c.id) x");
	assert_true(has_col(f, "customers", "id"));
	assert_true(has_col(f, "orders", "total"));
	done();
}

static void test_set_operations(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	const char *ops[] = { "UNION", "UNION ALL", "INTERSECT", "EXCEPT" };
	for (size_t i = 0; i < 4; i++) {
		char *sql = sw_xasprintf("SELECT email FROM a WHERE tenant_id = 1 %s SELECT email FROM b "
					 "ORDER BY email LIMIT 5", ops[i]);
		f = facts(sql);
		free(sql);
		assert_int_equal(f->n_scans, 2);
		assert_true(scan_eq(f, "a", 0, "tenant_id"));
		assert_false(scan_eq(f, "b", 0, "tenant_id"));
		assert_true(has_col(f, "a", "email"));
		assert_true(has_col(f, "b", "email"));
		assert_true(f->limit_known);
		assert_int_equal(f->limit, 5);
	}
	/* a branch's own LIMIT does not bound the union */
	f = facts("(SELECT email FROM a LIMIT 5) UNION ALL SELECT email FROM b");
	assert_true(f->limit_known);
	assert_int_equal(f->limit, -1);

	/* UNION inside a CTE: the second branch's * still counts */
	f = facts("WITH x AS (SELECT id FROM a UNION SELECT * FROM secrets) SELECT token FROM x");
	assert_true(has_col(f, "secrets", "*"));
	done();
}

/* ---- 3. constrained columns ---- */

static void test_tenant_predicate_shapes(void **state)
{
	(void)state;

	assert_pinned("SELECT * FROM t WHERE tenant_id = 42", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE 42 = tenant_id", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE tenant_id = $1", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE tenant_id IN (42)", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE tenant_id = '42'::bigint", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE tenant_id = CAST($1 AS int)", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE a > 1 AND (b < 2 AND tenant_id = 42)", "t", "tenant_id");
	assert_pinned("SELECT * FROM t x WHERE x.tenant_id = 42", "t", "tenant_id");
	/* A custom setting the session cannot change (the article's binding); not one it can. */
	assert_pinned("SELECT * FROM t WHERE tenant_id = current_setting('app.tenant_id')::bigint", "t", "tenant_id");
	assert_pinned("SELECT * FROM t WHERE tenant_id = pg_catalog.current_setting('app.tenant_id')", "t", "tenant_id");

	assert_not_pinned("SELECT * FROM t WHERE tenant_id = 1 OR true", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE (tenant_id = 1 OR 1 = 1) AND a = 2", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = 1 AND a = 2 OR true", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE CASE WHEN true THEN tenant_id = 1 END", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE NOT (tenant_id <> 1)", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE NOT NOT tenant_id = 1", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = other_id", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = (SELECT 1)", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id IN (SELECT id FROM tenants)", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id IN (1, 2)", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id IS NOT DISTINCT FROM 1", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = NULL", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id <> 1", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = 1 + 0", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = abs(1)", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = current_setting('application_name')::bigint", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = current_setting(name)::bigint", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = myschema.current_setting('app.tenant_id')", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id = current_setting('app.tenant_id', true)::bigint", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE (tenant_id = 1) IS TRUE", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE tenant_id >= 1 AND tenant_id <= 1", "t", "tenant_id");
	assert_not_pinned("SELECT * FROM t WHERE t.tenant_id OPERATOR(myschema.=) 1", "t", "tenant_id");
	/* HAVING is not the scan's WHERE */
	assert_not_pinned("SELECT tenant_id FROM t GROUP BY tenant_id HAVING tenant_id = 1", "t", "tenant_id");
	done();
}

static bool scan_range(const struct sw_read_facts *f, const char *rel, const char *col)
{
	for (size_t i = 0; i < f->n_scans; i++)
		if (strcmp(f->scans[i].relation, rel) == 0)
			for (size_t k = 0; k < f->scans[i].range_columns.n; k++)
				if (strcmp(f->scans[i].range_columns.v[k], col) == 0)
					return true;
	return false;
}

/* Time windows (policy range:): a bound on one side, BETWEEN, or a pin; never inside OR, never a column. */
static void test_range_shapes(void **state)
{
	(void)state;
	const char *yes[] = {
		"SELECT 1 FROM e WHERE created_at >= '2025-04-01' AND tenant_id = 1",
		"SELECT 1 FROM e WHERE created_at < $1",
		"SELECT 1 FROM e WHERE TIMESTAMPTZ '2025-01-01 00:00:00+00' <= created_at",
		"SELECT 1 FROM e WHERE created_at BETWEEN '2025-01-01' AND '2025-02-01'",
		"SELECT 1 FROM e WHERE created_at = '2025-01-01'",
	};
	const char *no[] = {
		"SELECT 1 FROM e WHERE created_at >= '2025-04-01' OR true",
		"SELECT 1 FROM e WHERE created_at > updated_at",
		"SELECT 1 FROM e WHERE created_at NOT BETWEEN '2025-01-01' AND '2025-02-01'",
		"SELECT 1 FROM e WHERE created_at <> '2025-01-01'",
		"SELECT 1 FROM e WHERE NOT (created_at < '2025-01-01')",
		"SELECT 1 FROM e WHERE created_at > (SELECT max(created_at) FROM e2)",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!scan_range(facts(yes[i]), "e", "created_at"))
			fail_msg("%s: expected e.created_at bounded", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (scan_range(facts(no[i]), "e", "created_at"))
			fail_msg("%s: must not count as a range", no[i]);
	assert_false(scan_eq(facts("SELECT 1 FROM e WHERE created_at >= '2025-04-01'"), "e", 0, "created_at"));
	done();
}

static void test_tenant_joins(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	/* qualified columns count for their scan; unqualified only with one relation */
	f = facts("SELECT * FROM a JOIN b ON a.id = b.aid WHERE a.tenant_id = 1 AND tenant_id = 2");
	assert_true(scan_eq(f, "a", 0, "tenant_id"));
	assert_false(scan_eq(f, "b", 0, "tenant_id"));

	/* an inner JOIN's ON counts; an outer join's does not */
	f = facts("SELECT * FROM a JOIN b ON b.aid = a.id AND b.tenant_id = 1 WHERE a.tenant_id = 1");
	assert_true(scan_eq(f, "a", 0, "tenant_id"));
	assert_true(scan_eq(f, "b", 0, "tenant_id"));
	f = facts("SELECT * FROM a LEFT JOIN b ON b.aid = a.id AND a.tenant_id = 1");
	assert_false(scan_eq(f, "a", 0, "tenant_id"));
	assert_false(scan_eq(f, "b", 0, "tenant_id"));

	/* each scan of the same table is judged on its own */
	f = facts("SELECT * FROM t x JOIN t y ON x.id = y.pid WHERE x.tenant_id = 1");
	assert_int_equal(n_scans_of(f, "t"), 2);
	assert_true(scan_eq(f, "t", 0, "tenant_id"));
	assert_false(scan_eq(f, "t", 1, "tenant_id"));

	/* an outer level's alias inside a subquery does not pin the subquery's scan */
	f = facts("SELECT * FROM a WHERE a.tenant_id = 1 AND EXISTS (SELECT 1 FROM b WHERE a.tenant_id = 1)");
	assert_true(scan_eq(f, "a", 0, "tenant_id"));
	assert_false(scan_eq(f, "b", 0, "tenant_id"));

	/* each CTE body and UNION branch has its own WHERE */
	f = facts("WITH x AS (SELECT * FROM t WHERE tenant_id = 1) SELECT * FROM x JOIN t ON t.id = x.id");
	assert_int_equal(n_scans_of(f, "t"), 2);
	assert_true(scan_eq(f, "t", 0, "tenant_id"));
	assert_false(scan_eq(f, "t", 1, "tenant_id"));
	done();
}

/* ---- 4. the outermost LIMIT ---- */

static void assert_limit(const char *sql, bool known, long long limit, bool param)
{
	const struct sw_read_facts *f = facts(sql);
	assert_non_null(f);
	if (f->limit_known != known || f->limit != limit || f->limit_param != param)
		fail_msg("%s: limit_known %d limit %lld limit_param %d, want %d %lld %d", sql, f->limit_known,
			 f->limit, f->limit_param, known, limit, param);
}

static void test_limits(void **state)
{
	(void)state;

	assert_limit("SELECT * FROM t", true, -1, false);
	assert_limit("SELECT * FROM t LIMIT 10", true, 10, false);
	assert_limit("SELECT * FROM t LIMIT 0", true, 0, false);
	assert_limit("SELECT * FROM t LIMIT ALL", true, -1, false);
	assert_limit("SELECT * FROM t LIMIT NULL", true, -1, false);
	assert_limit("SELECT * FROM t LIMIT NULL::int", true, -1, false);
	assert_limit("SELECT * FROM t FETCH FIRST 5 ROWS ONLY", true, 5, false);
	assert_limit("SELECT * FROM t FETCH NEXT ROW ONLY", true, 1, false);
	assert_limit("SELECT * FROM t OFFSET 5 ROWS FETCH FIRST 7 ROWS ONLY", true, 7, false);
	assert_limit("SELECT * FROM t ORDER BY a FETCH FIRST 5 ROWS WITH TIES", false, -1, false);
	assert_limit("SELECT * FROM t LIMIT $1", false, -1, true);
	assert_limit("SELECT * FROM t LIMIT 10 + 0", false, -1, false);
	assert_limit("SELECT * FROM t LIMIT (SELECT 5)", false, -1, false);
	assert_limit("SELECT * FROM t LIMIT '20'", true, 20, false);
	assert_limit("SELECT * FROM t LIMIT 20::bigint", true, 20, false);
	assert_limit("SELECT * FROM t LIMIT 1e3", true, 1000, false);
	assert_limit("SELECT * FROM (SELECT * FROM t LIMIT 5) s", true, -1, false);
	assert_limit("SELECT * FROM t WHERE id IN (SELECT id FROM u LIMIT 1)", true, -1, false);
	assert_limit("VALUES (1), (2)", true, -1, false);
	/* cursors, EXPLAIN, COPY and CREATE TABLE AS: the inner query's */
	assert_limit("DECLARE c CURSOR FOR SELECT * FROM t LIMIT 5", true, 5, false);
	assert_limit("DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t", true, -1, false);
	assert_limit("EXPLAIN ANALYZE SELECT * FROM t FETCH FIRST 3 ROWS ONLY", true, 3, false);
	assert_limit("COPY (SELECT * FROM t LIMIT ALL) TO STDOUT", true, -1, false);
	assert_limit("CREATE TABLE x AS SELECT * FROM t LIMIT 4", true, 4, false);
	assert_limit("SELECT * INTO x FROM t LIMIT 4", true, 4, false);
	assert_limit("PREPARE p AS SELECT * FROM t WHERE id = $1 LIMIT 9", true, 9, false);
	done();
}

static void test_recursive(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r");
	assert_true(f->recursive_unbounded);
	assert_int_equal(f->n_scans, 0);
	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 10");
	assert_false(f->recursive_unbounded);
	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT ALL");
	assert_true(f->recursive_unbounded);
	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT $1");
	assert_true(f->recursive_unbounded);
	/* What stops a recursion: a WHERE on the recursive term, or walking a table (regression: the
	 * default policy refused a bounded sum over 1..10). A WITH RECURSIVE of plain CTEs is not one. */
	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) FROM r");
	assert_false(f->recursive_unbounded);
	f = facts("WITH RECURSIVE t(id) AS (SELECT id FROM tree WHERE parent IS NULL UNION ALL "
		  "SELECT c.id FROM tree c JOIN t ON c.parent = t.id) SELECT count(*) FROM t");
	assert_false(f->recursive_unbounded);
	f = facts("WITH RECURSIVE x AS (SELECT 1 AS a) SELECT a FROM x");
	assert_false(f->recursive_unbounded);
	f = facts("WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT n FROM r");
	assert_true(f->recursive_unbounded);
	/* nested in a subquery: still the outermost query's LIMIT that counts */
	f = facts("SELECT * FROM (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
		  "SELECT n FROM r LIMIT 5) s");
	assert_true(f->recursive_unbounded);
	/* the body's base relations are read; the CTE itself is not a relation */
	f = facts("WITH RECURSIVE tree AS (SELECT id, parent FROM nodes WHERE id = 1 "
		  "UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree ON n.parent = tree.id) SELECT * FROM tree");
	assert_int_equal(n_scans_of(f, "nodes"), 2);
	assert_true(scan_eq(f, "nodes", 0, "id"));
	assert_false(mentions_rel(f, "tree"));
	assert_true(has_col(f, "nodes", "parent"));
	f = facts("WITH x AS (SELECT 1) SELECT * FROM x");
	assert_false(f->recursive_unbounded);
	done();
}

/* ---- statements that read through another ---- */

static void test_wrappers(void **state)
{
	const struct sw_read_facts *f;
	(void)state;

	f = facts("DECLARE cur CURSOR FOR SELECT c.ssn FROM app.customers c WHERE c.tenant_id = 1");
	assert_non_null(f);
	assert_true(has_col(f, "app.customers", "ssn"));
	assert_true(scan_eq(f, "app.customers", 0, "tenant_id"));

	f = facts("EXPLAIN SELECT ssn FROM customers");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t WHERE tenant_id = 1");
	assert_true(scan_eq(f, "t", 0, "tenant_id"));

	f = facts("COPY (SELECT ssn FROM customers) TO STDOUT");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("COPY app.customers TO STDOUT");
	assert_true(has_col(f, "app.customers", "*"));
	assert_int_equal(n_scans_of(f, "app.customers"), 1);
	f = facts("COPY app.customers (email, ssn) TO STDOUT");
	assert_true(has_col(f, "app.customers", "ssn"));
	assert_false(has_col(f, "app.customers", "*"));
	assert_null(facts("COPY app.customers FROM STDIN"));

	f = facts("CREATE TABLE x AS SELECT ssn FROM customers");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("CREATE MATERIALIZED VIEW mv AS SELECT ssn FROM customers");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("SELECT ssn INTO x FROM customers");
	assert_true(has_col(f, "customers", "ssn"));
	f = facts("PREPARE p(int) AS SELECT ssn FROM customers WHERE tenant_id = $1");
	assert_true(has_col(f, "customers", "ssn"));
	assert_true(scan_eq(f, "customers", 0, "tenant_id"));

	f = facts("VALUES (1, 'a')");
	assert_non_null(f);
	assert_int_equal(f->n_cols, 0);
	assert_int_equal(f->n_scans, 0);

	/* statements that read no rows */
	assert_null(facts("FETCH 10 FROM cur"));
	assert_null(facts("CREATE TABLE t (a int)"));
	assert_null(facts("SET work_mem = '4MB'"));
	assert_null(facts("EXECUTE p(1)"));
	assert_null(facts("CREATE VIEW v AS SELECT ssn FROM customers"));
	done();
}

/* EXECUTE takes the facts of the statement it was prepared as (prepared.c copies them). */
static void test_copy_free(void **state)
{
	struct sw_stmt copy;
	const struct sw_read_facts *f;
	(void)state;

	f = facts("SELECT c.ssn FROM customers c WHERE c.tenant_id = 1 LIMIT 3");
	sw_stmt_copy(&copy, &an.stmts[0]);
	assert_non_null(copy.reads);
	assert_true(copy.reads != f);
	assert_int_equal(copy.reads->n_cols, f->n_cols);
	assert_string_equal(copy.reads->cols[0].column, "ssn");
	assert_true(sw_strv_contains(&copy.reads->scans[0].eq_columns, "tenant_id"));
	assert_int_equal(copy.reads->limit, 3);
	sw_stmt_free(&copy);
	done();
}

/* ---- bounded work ---- */

static void test_dedupe_and_cap(void **state)
{
	const struct sw_read_facts *f;
	char *sql;
	size_t len = 0, cap = 64 + 1200 * 16;
	(void)state;

	f = facts("SELECT a, a, t.a, a FROM t WHERE a = 1 ORDER BY a");
	assert_int_equal(f->n_cols, 1);
	assert_false(f->truncated);

	sql = sw_xmalloc(cap);
	len += (size_t)snprintf(sql + len, cap - len, "SELECT c0");
	for (int i = 1; i < 1200; i++)
		len += (size_t)snprintf(sql + len, cap - len, ", c%d", i);
	snprintf(sql + len, cap - len, " FROM t");
	f = facts(sql);
	free(sql);
	assert_int_equal(f->n_cols, SW_PG_READ_MAX_COLS);
	assert_true(f->truncated);
	assert_int_equal(f->n_scans, 1);
	done();
}

/* ---- 5. JSON ---- */

static void test_json(void **state)
{
	json_t *o, *reads, *cols, *scans;
	(void)state;

	facts("SELECT c.email, ssn FROM app.customers c JOIN app.orders o ON o.cid = c.id "
	      "WHERE c.tenant_id = 1 LIMIT 10");
	o = sw_stmt_json(&an.stmts[0]);
	reads = json_object_get(o, "reads");
	assert_true(json_is_object(reads));
	cols = json_object_get(reads, "columns");
	assert_true(json_is_array(cols));
	{
		json_t *email = NULL, *ssn = NULL, *c;
		size_t i;
		json_array_foreach(cols, i, c) {
			const char *name = json_string_value(json_object_get(c, "column"));
			if (name && strcmp(name, "email") == 0)
				email = c;
			if (name && strcmp(name, "ssn") == 0)
				ssn = c;
		}
		assert_non_null(email);
		assert_non_null(ssn);
		assert_string_equal(json_string_value(json_object_get(email, "relation")), "app.customers");
		assert_null(json_object_get(email, "candidates"));
		assert_true(json_is_null(json_object_get(ssn, "relation")));
		assert_int_equal(json_array_size(json_object_get(ssn, "candidates")), 2);
	}
	scans = json_object_get(reads, "scans");
	assert_int_equal(json_array_size(scans), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(scans, 0), "eq"), 0)),
			    "tenant_id");
	assert_null(json_object_get(json_array_get(scans, 1), "eq"));
	assert_int_equal(json_integer_value(json_object_get(reads, "limit")), 10);
	assert_null(json_object_get(reads, "limit_known"));
	assert_null(json_object_get(reads, "recursive_unbounded"));
	json_decref(o);

	facts("SELECT * FROM t LIMIT $1");
	o = sw_stmt_json(&an.stmts[0]);
	reads = json_object_get(o, "reads");
	assert_true(json_is_null(json_object_get(reads, "limit")));
	assert_true(json_is_false(json_object_get(reads, "limit_known")));
	assert_true(json_is_true(json_object_get(reads, "limit_param")));
	json_decref(o);

	facts("CREATE TABLE t (a int)");
	o = sw_stmt_json(&an.stmts[0]);
	assert_null(json_object_get(o, "reads"));
	json_decref(o);
	done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alias_resolution),
		cmocka_unit_test(test_quoted_identifiers),
		cmocka_unit_test(test_everywhere),
		cmocka_unit_test(test_whole_row),
		cmocka_unit_test(test_returning),
		cmocka_unit_test(test_stars),
		cmocka_unit_test(test_ctes),
		cmocka_unit_test(test_subqueries),
		cmocka_unit_test(test_set_operations),
		cmocka_unit_test(test_tenant_predicate_shapes),
		cmocka_unit_test(test_range_shapes),
		cmocka_unit_test(test_tenant_joins),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_recursive),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_copy_free),
		cmocka_unit_test(test_dedupe_and_cap),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
