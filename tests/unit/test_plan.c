/*
 * Approved plans (plan.h, plan_build.h): building from migration tools'
 * output, sealing, the file format round trip, tamper detection, Ed25519
 * signatures, the statement digest's rules and Flyway file order.
 */
#include "unit.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"
#include "plan.h"
#include "plan_digest.h"
#include "plan_build.h"
#include "policy.h"
#include "sha256_hex.h"

static char top[4096];
static struct sw_policy *policy;

static const char *path_of(const char *rel)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf), "%s/%s", top, rel);
	return buf;
}

static void init_build(struct sw_plan_build *b, const char *engine, const char *role)
{
	memset(b, 0, sizeof(*b));
	b->engine = sw_engine_find(engine);
	assert_non_null(b->engine);
	b->policy = policy;
	sw_strv_push(&b->roles, role);
	b->database = "app";
	b->title = "test plan";
	b->author = "dev";
	b->created = b->valid_from = 1780000000;
	b->valid_until = b->valid_from + 7 * 86400;
	b->max_runs = 1;
}

static struct sw_plan *build_text(const char *engine, const char *sql)
{
	struct sw_plan_build b;
	struct sw_plan *p;
	char err[1024];

	init_build(&b, engine, "agent_app");
	p = sw_plan_new(&b);
	if (sw_plan_add_sql(p, &b, "mig.sql", sql, err, sizeof(err)) < 0 || sw_plan_finish(p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	sw_strv_free(&b.roles);
	return p;
}

static struct sw_plan *build_path(const char *rel, struct sw_strv *skipped)
{
	struct sw_plan_build b;
	struct sw_plan *p;
	char err[1024];

	init_build(&b, "postgres", "agent_app");
	p = sw_plan_new(&b);
	if (sw_plan_add_path(p, &b, path_of(rel), skipped, err, sizeof(err)) < 0 ||
	    sw_plan_finish(p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	sw_strv_free(&b.roles);
	return p;
}

static const char *verdict(const struct sw_plan *p, size_t i)
{
	return json_string_value(json_object_get(p->steps[i].analysis, "verdict"));
}

static const char *command(const struct sw_plan *p, size_t i)
{
	return json_string_value(json_object_get(p->steps[i].analysis, "command"));
}

/* ---- statement digest ---- */

static void digest(enum sw_engine e, const char *sql, char out[65])
{
	char err[512];
	if (sw_plan_stmt_digest(e, sql, strlen(sql), out, err, sizeof(err)) < 0)
		fail_msg("%s: %s", sql, err);
}

static void same(enum sw_engine e, const char *a, const char *b)
{
	char da[65], db[65];
	digest(e, a, da);
	digest(e, b, db);
	if (strcmp(da, db) != 0)
		fail_msg("expected the same digest:\n  %s\n  %s", a, b);
}

static void differ(enum sw_engine e, const char *a, const char *b)
{
	char da[65], db[65];
	digest(e, a, da);
	digest(e, b, db);
	if (strcmp(da, db) == 0)
		fail_msg("expected different digests:\n  %s\n  %s", a, b);
}

static void test_digest_pg(void **state)
{
	enum sw_engine pg = SW_ENGINE_POSTGRES;
	char out[65], err[256];
	(void)state;

	/* Layout, comments and a trailing ';' do not count. */
	same(pg, "ALTER TABLE t ADD COLUMN c int", "ALTER  TABLE\n\tt ADD COLUMN c int;");
	same(pg, "ALTER TABLE t ADD COLUMN c int", "-- why\nALTER TABLE t /* the table */ ADD COLUMN c int ;  \n");
	same(pg, "SELECT 1", "SELECT 1;");
	/* Tokens are compared exactly as written. */
	differ(pg, "UPDATE t SET a = 1 WHERE id = 2", "UPDATE t SET a = 1 WHERE id = 3");
	differ(pg, "UPDATE t SET a = 1", "UPDATE u SET a = 1");
	differ(pg, "UPDATE t SET a = 'x'", "UPDATE t SET a = 'x '");
	differ(pg, "SELECT 1", "select 1");                       /* keyword case: exact token text */
	differ(pg, "SELECT * FROM t", "SELECT * FROM \"t\"");     /* quoting is part of the token */
	differ(pg, "SELECT 1", "SELECT 1; SELECT 2");              /* an extra statement */
	differ(pg, "SELECT 12", "SELECT 1 2");                     /* token boundaries count */
	/* A function body is one token: its layout counts. */
	differ(pg, "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
	       "CREATE FUNCTION f() RETURNS int AS $$ SELECT  1 $$ LANGUAGE sql");
	/* What the lexer rejects fails with a reason. */
	assert_int_equal(sw_plan_stmt_digest(pg, "SELECT 'open", 12, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scanner"));
	assert_int_equal(sw_plan_stmt_digest(pg, "SELECT 1\0x", 10, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
}

static void test_digest_mysql(void **state)
{
	enum sw_engine my = SW_ENGINE_MYSQL;
	(void)state;

	same(my, "ALTER TABLE t ADD COLUMN c int", "# note\nALTER TABLE t -- x\n ADD COLUMN c int;");
	same(my, "ALTER TABLE t ADD COLUMN c int", "ALTER TABLE t /* plain */ ADD COLUMN c int");
	differ(my, "DELETE FROM t WHERE id = 1", "DELETE FROM t WHERE id = 10");
	differ(my, "DELETE FROM t WHERE id = 1", "delete FROM t WHERE id = 1");
	differ(my, "SELECT `a` FROM t", "SELECT a FROM t");
	/* An executable comment is code to the server, so it counts; a plain comment does not. */
	differ(my, "SELECT 1 /*! , 2 */", "SELECT 1 /* , 2 */");
	same(my, "SELECT 1 /* , 2 */", "SELECT 1");
	/* A versioned comment for a newer server is skipped by the server and by the digest alike. */
	same(my, "SELECT 1 /*!999999 , 2 */", "SELECT 1");
}

/* ---- building ---- */

static void test_build_from_text(void **state)
{
	struct sw_plan *p = build_text("postgres",
				       "-- add accounts\nBEGIN;\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n\n"
				       "ALTER TABLE accounts ADD COLUMN email text;\nDROP TABLE old_accounts;\nCOMMIT;\n");
	char sha[65];
	(void)state;

	assert_int_equal(p->n_steps, 5);
	assert_string_equal(command(p, 0), "BEGIN");
	assert_string_equal(command(p, 4), "COMMIT");
	assert_string_equal(p->steps[0].source, "mig.sql:2");     /* the code's line, not the comment's */
	assert_string_equal(p->steps[2].source, "mig.sql:5");
	assert_string_equal(p->steps[2].sql, "ALTER TABLE accounts ADD COLUMN email text");
	sw_sha256_hex(p->steps[2].sql, strlen(p->steps[2].sql), sha);
	assert_string_equal(p->steps[2].sha256, sha);
	for (size_t i = 0; i < p->n_steps; i++) {
		assert_int_equal(p->steps[i].n, i + 1);
		/* Each step is analysed as the string a tool sends alone: never multi_statement. */
		json_t *tr = json_object_get(p->steps[i].analysis, "traits"), *v;
		size_t k;
		json_array_foreach(tr, k, v)
			assert_string_not_equal(json_string_value(v), "multi_statement");
	}
	/* The policy's verdict at plan time (default policy: DDL held, DROP denied). */
	assert_string_equal(verdict(p, 0), "allow");
	assert_string_equal(verdict(p, 2), "hold");
	assert_string_equal(verdict(p, 3), "deny");
	assert_non_null(json_object_get(p->steps[2].analysis, "lock_set"));
	assert_string_equal(json_string_value(json_object_get(p->steps[2].analysis, "strongest_lock")),
			    "AccessExclusiveLock");
	/* id = "plan-" + the digest's first 16 hex digits. */
	assert_int_equal(strlen(p->digest), 64);
	assert_int_equal(strncmp(p->id, "plan-", 5), 0);
	assert_int_equal(strncmp(p->id + 5, p->digest, SW_PLAN_ID_HEX), 0);
	sw_plan_free(p);
}

static void test_build_refuses(void **state)
{
	struct sw_plan_build b;
	struct sw_plan *p;
	struct sw_strv notes = { 0 };
	char err[1024];
	(void)state;

	/* psql scripts: meta-commands are skipped and named, variables replaced as psql does. */
	init_build(&b, "postgres", "agent_app");
	b.notes = &notes;
	p = sw_plan_new(&b);
	assert_int_equal(sw_plan_add_sql(p, &b, "s.sql", "\\set t accounts\nSELECT 1;\nDELETE FROM :t WHERE id = 1;\n",
					 err, sizeof(err)), 0);
	assert_int_equal(p->n_steps, 2);
	assert_string_equal(p->steps[1].sql, "DELETE FROM accounts WHERE id = 1");
	assert_string_equal(p->steps[1].source, "s.sql:3");
	assert_int_equal(notes.n, 1);
	assert_non_null(strstr(notes.v[0], "s.sql:1"));
	/* A variable this input never sets: the text the server gets is unknown. */
	assert_int_equal(sw_plan_add_sql(p, &b, "v.sql", "DELETE FROM :other;\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "v.sql:1"));
	/* COPY data is not a statement a plan can bind. */
	assert_int_equal(sw_plan_add_sql(p, &b, "c.sql", "COPY t FROM STDIN;\n1\n\\.\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "COPY"));
	/* Text that does not parse. */
	assert_int_equal(sw_plan_add_sql(p, &b, "bad.sql", "SELECT 1;\nSELEC 2;\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad.sql:2"));
	sw_plan_free(p);
	sw_strv_free(&notes);

	p = sw_plan_new(&b);
	assert_int_equal(sw_plan_finish(p, err, sizeof(err)), -1);   /* no steps */
	assert_non_null(strstr(err, "no statements"));
	sw_plan_free(p);
	sw_strv_free(&b.roles);

	init_build(&b, "postgres", "a*b");
	p = sw_plan_new(&b);
	assert_int_equal(sw_plan_add_sql(p, &b, "m.sql", "SELECT 1", err, sizeof(err)), 0);
	assert_int_equal(sw_plan_finish(p, err, sizeof(err)), -1);   /* not a govern role pattern */
	sw_plan_free(p);
	sw_strv_free(&b.roles);
}

static void test_django_sqlmigrate(void **state)
{
	struct sw_plan *p = build_path("tests/corpus/migrations/django_sqlmigrate_contenttypes.sql", NULL);
	size_t drop = 0;
	(void)state;

	/* contenttypes 0001: BEGIN, CREATE TABLE, ADD CONSTRAINT, COMMIT; 0002: BEGIN, DROP NOT NULL, DROP COLUMN, COMMIT. */
	assert_int_equal(p->n_steps, 8);
	assert_string_equal(command(p, 0), "BEGIN");
	assert_string_equal(command(p, 1), "CREATE TABLE");
	assert_string_equal(command(p, 3), "COMMIT");
	assert_string_equal(command(p, 4), "BEGIN");
	for (size_t i = 0; i < p->n_steps; i++)
		if (strstr(p->steps[i].sql, "DROP COLUMN"))
			drop = i + 1;
	assert_int_equal(drop, 7);
	assert_string_equal(verdict(p, drop - 1), "deny");   /* what the policy would do without the plan */
	sw_plan_free(p);
}

static void test_alembic_upgrade_sql(void **state)
{
	struct sw_plan *p = build_path("tests/corpus/migrations/alembic_upgrade_sql.sql", NULL);
	(void)state;

	assert_int_equal(p->n_steps, 11);
	assert_string_equal(command(p, 0), "BEGIN");
	assert_string_equal(command(p, 1), "CREATE TABLE");
	assert_string_equal(command(p, 6), "INSERT");
	assert_string_equal(command(p, 10), "COMMIT");
	sw_plan_free(p);
}

static void test_liquibase_formatted(void **state)
{
	struct sw_plan *p = build_path("tests/corpus/migrations/liquibase_formatted.sql", NULL);
	(void)state;

	/* The changeset and rollback lines are comments: two statements. */
	assert_int_equal(p->n_steps, 2);
	assert_string_equal(command(p, 0), "CREATE TABLE");
	assert_string_equal(command(p, 1), "ALTER TABLE");
	sw_plan_free(p);
}

static void test_flyway_order(void **state)
{
	struct sw_strv skipped = { 0 };
	struct sw_plan *p;
	(void)state;

	assert_true(sw_plan_file_order("V1__a.sql", "V1.1__b.sql") < 0);
	assert_true(sw_plan_file_order("V2__a.sql", "V10__b.sql") < 0);
	assert_true(sw_plan_file_order("V2_1__a.sql", "V2.0.9__b.sql") > 0);
	assert_true(sw_plan_file_order("V99__a.sql", "R__b.sql") < 0);     /* repeatable after versioned */
	assert_true(sw_plan_file_order("0002_a.sql", "0010_b.sql") < 0);

	p = build_path("tests/corpus/migrations/flyway", &skipped);
	assert_int_equal(p->n_steps, 5);
	assert_non_null(strstr(p->steps[0].source, "V1__create_orders.sql:1"));
	assert_non_null(strstr(p->steps[1].source, "V1.1__order_total.sql"));
	assert_non_null(strstr(p->steps[2].source, "V2__index_placed.sql"));
	assert_non_null(strstr(p->steps[3].source, "V10__customer.sql:2"));
	assert_non_null(strstr(p->steps[4].source, "R__orders_view.sql"));
	assert_int_equal(skipped.n, 1);
	assert_non_null(strstr(skipped.v[0], "U1.1__order_total.sql"));
	sw_strv_free(&skipped);
	sw_plan_free(p);
}

static void test_mysql_plan(void **state)
{
	struct sw_plan *p = build_text("mysql", "ALTER TABLE t ADD COLUMN c int;\n/*!40101 SET NAMES utf8 */;\n");
	char d[65];
	(void)state;

	assert_int_equal(p->n_steps, 2);
	assert_int_equal(p->engine, SW_ENGINE_MYSQL);
	assert_non_null(json_object_get(p->steps[0].analysis, "online_ddl"));
	digest(SW_ENGINE_MYSQL, "ALTER TABLE t ADD COLUMN c int", d);
	assert_string_equal(p->steps[0].match, d);
	sw_plan_free(p);
}

/* ---- the file format ---- */

static void test_round_trip(void **state)
{
	struct sw_plan *p = build_path("tests/corpus/migrations/alembic_upgrade_sql.sql", NULL), *q;
	json_t *j = sw_plan_to_json(p), *k;
	char err[1024], *s;
	json_error_t je;
	(void)state;

	/* Through text and back: same plan, same JSON. */
	s = json_dumps(j, JSON_INDENT(2));
	k = json_loads(s, 0, &je);
	free(s);
	assert_int_equal(sw_plan_from_json(k, &q, err, sizeof(err)), 0);
	assert_string_equal(q->id, p->id);
	assert_string_equal(q->digest, p->digest);
	assert_int_equal(q->n_steps, p->n_steps);
	json_decref(k);
	k = sw_plan_to_json(q);
	assert_true(json_equal(j, k));
	/* Sealing again changes nothing; approvals are outside the digest. */
	sw_plan_seal(q);
	assert_string_equal(q->digest, p->digest);
	json_decref(j);
	json_decref(k);
	sw_plan_free(p);
	sw_plan_free(q);
}

/* Load the plan's JSON after edit() changed it; returns the error (or NULL when it loaded). */
static const char *tampered(const struct sw_plan *p, void (*edit)(json_t *j))
{
	static char err[1024];
	json_t *j = sw_plan_to_json(p);
	struct sw_plan *q;
	int rc;

	edit(j);
	rc = sw_plan_from_json(j, &q, err, sizeof(err));
	json_decref(j);
	sw_plan_free(q);
	return rc < 0 ? err : NULL;
}

static json_t *step(json_t *j, size_t i)
{
	return json_array_get(json_object_get(json_object_get(j, "stages"), "sql"), i);
}

static void edit_step_sql(json_t *j)
{
	json_object_set_new(step(j, 2), "sql", json_string("ALTER TABLE accounts ADD COLUMN email varchar(10)"));
}

/* A careful forger: the step is consistent in itself (sha256 and match recomputed), only the digest is not. */
static void edit_step_consistently(json_t *j)
{
	const char *sql = "ALTER TABLE accounts ADD COLUMN email varchar(10)";
	char sha[65], m[65], err[256];
	sw_sha256_hex(sql, strlen(sql), sha);
	assert_int_equal(sw_plan_stmt_digest(SW_ENGINE_POSTGRES, sql, strlen(sql), m, err, sizeof(err)), 0);
	json_object_set_new(step(j, 2), "sql", json_string(sql));
	json_object_set_new(step(j, 2), "sha256", json_string(sha));
	json_object_set_new(step(j, 2), "match", json_string(m));
}

static void edit_scope(json_t *j)
{
	json_array_append_new(json_object_get(json_object_get(j, "scope"), "roles"), json_string("admin"));
}

static void edit_database(json_t *j)
{
	json_object_set_new(json_object_get(j, "scope"), "database", json_null());
}

static void edit_window(json_t *j)
{
	json_object_set_new(j, "valid_until", json_string("2026-07-01T00:00:00Z"));
}

static void edit_runs(json_t *j)
{
	json_object_set_new(j, "max_runs", json_integer(5));
}

static void edit_verdict(json_t *j)
{
	json_object_set_new(json_object_get(step(j, 3), "analysis"), "verdict", json_string("allow"));
}

static void edit_unknown_key(json_t *j)
{
	json_object_set_new(j, "note", json_string("hi"));
}

static void edit_id(json_t *j)
{
	json_object_set_new(j, "id", json_string("plan-0000000000000000"));
}

static void edit_bad_time(json_t *j)
{
	json_object_set_new(j, "valid_from", json_string("2026-02-30T00:00:00Z"));
}

static void edit_approval(json_t *j)
{
	json_array_append_new(json_object_get(j, "approvals"),
			      json_pack("{s:s, s:s, s:n, s:n, s:s}", "approver", "carol", "via", "control", "signature",
					"comment", "when", "2026-06-01T00:00:00Z"));
}

static void test_tamper_detection(void **state)
{
	struct sw_plan *p = build_text("postgres", "BEGIN;\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n"
						   "ALTER TABLE accounts ADD COLUMN email text;\nDROP TABLE old;\nCOMMIT;\n");
	const char *e;
	(void)state;

	assert_non_null(e = tampered(p, edit_step_sql));
	assert_non_null(strstr(e, "stages.sql[2]"));
	assert_non_null(e = tampered(p, edit_step_consistently));
	assert_non_null(strstr(e, "changed after it was sealed"));
	assert_non_null(e = tampered(p, edit_scope));
	assert_non_null(strstr(e, "changed after it was sealed"));
	assert_non_null(tampered(p, edit_database));
	assert_non_null(e = tampered(p, edit_window));
	assert_non_null(strstr(e, "changed after it was sealed"));
	assert_non_null(tampered(p, edit_runs));
	assert_non_null(tampered(p, edit_verdict));
	assert_non_null(e = tampered(p, edit_unknown_key));
	assert_non_null(strstr(e, "unknown key \"note\""));
	assert_non_null(e = tampered(p, edit_id));
	if (!strstr(e, "\"id\"")) fail_msg("%s", e);
	assert_non_null(e = tampered(p, edit_bad_time));
	assert_non_null(strstr(e, "not a UTC time"));
	/* Approvals are outside the digest: adding one leaves the plan valid. */
	assert_null(tampered(p, edit_approval));
	sw_plan_free(p);
}

/* ---- signatures ---- */

static void test_sign_verify(void **state)
{
	char dir[] = "/tmp/sw-plan-keys.XXXXXX", a_priv[256], a_pub[256], b_priv[256], b_pub[256], err[1024];
	struct sw_plan *p = build_text("postgres", "CREATE TABLE a (id int);\n");
	struct sw_plan *other = build_text("postgres", "CREATE TABLE b (id int);\n");
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(a_priv, sizeof(a_priv), "%s/alice.pem", dir);
	snprintf(a_pub, sizeof(a_pub), "%s/alice.pub", dir);
	snprintf(b_priv, sizeof(b_priv), "%s/bob.pem", dir);
	snprintf(b_pub, sizeof(b_pub), "%s/bob.pub", dir);
	assert_int_equal(sw_plan_keygen(a_priv, a_pub, err, sizeof(err)), 0);
	assert_int_equal(sw_plan_keygen(b_priv, b_pub, err, sizeof(err)), 0);
	assert_int_equal(stat(a_priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites a key. */
	assert_int_equal(sw_plan_keygen(a_priv, b_pub, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));

	assert_int_equal(sw_plan_sign(p, "alice", a_priv, "reviewed in PR 12", err, sizeof(err)), 0);
	assert_int_equal(p->n_approvals, 1);
	assert_true(sw_plan_signature_valid(p, &p->approvals[0], a_pub, err, sizeof(err)));
	/* Wrong key. */
	assert_false(sw_plan_signature_valid(p, &p->approvals[0], b_pub, err, sizeof(err)));
	assert_non_null(strstr(err, "does not verify"));
	/* A private key where a public one belongs is refused, not trusted. */
	assert_false(sw_plan_signature_valid(p, &p->approvals[0], a_priv, err, sizeof(err)));
	/* One approval per approver. */
	assert_int_equal(sw_plan_sign(p, "alice", a_priv, NULL, err, sizeof(err)), -1);

	/* The signature of one plan is no signature of another. */
	assert_int_equal(sw_plan_sign(other, "alice", a_priv, NULL, err, sizeof(err)), 0);
	free(p->approvals[0].signature);
	p->approvals[0].signature = strdup(other->approvals[0].signature);
	assert_false(sw_plan_signature_valid(p, &p->approvals[0], a_pub, err, sizeof(err)));
	/* A damaged signature. */
	p->approvals[0].signature[5] = p->approvals[0].signature[5] == 'A' ? 'B' : 'A';
	assert_false(sw_plan_signature_valid(other, &p->approvals[0], a_pub, err, sizeof(err)));
	free(p->approvals[0].signature);
	p->approvals[0].signature = strdup("not base64");
	assert_false(sw_plan_signature_valid(p, &p->approvals[0], a_pub, err, sizeof(err)));

	/* Signatures survive the file format. */
	{
		json_t *j = sw_plan_to_json(other);
		struct sw_plan *q;
		assert_int_equal(sw_plan_from_json(j, &q, err, sizeof(err)), 0);
		assert_true(sw_plan_signature_valid(q, &q->approvals[0], a_pub, err, sizeof(err)));
		json_decref(j);
		sw_plan_free(q);
	}
	unlink(a_priv);
	unlink(a_pub);
	unlink(b_priv);
	unlink(b_pub);
	rmdir(dir);
	sw_plan_free(p);
	sw_plan_free(other);
}

static void test_signed_message(void **state)
{
	struct sw_plan *p = build_text("postgres", "SELECT 1;\n");
	char msg[128], want[128];
	(void)state;

	sw_plan_signed_message(p, msg);
	snprintf(want, sizeof(want), "sqlward-plan-v1\n%s\n%s\n", p->id, p->digest);
	assert_string_equal(msg, want);
	sw_plan_free(p);
}

int main(void)
{
	const char *t = getenv("SQLWARD_TOP");
	char err[1024];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_pg),
		cmocka_unit_test(test_digest_mysql),
		cmocka_unit_test(test_build_from_text),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_django_sqlmigrate),
		cmocka_unit_test(test_alembic_upgrade_sql),
		cmocka_unit_test(test_liquibase_formatted),
		cmocka_unit_test(test_flyway_order),
		cmocka_unit_test(test_mysql_plan),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper_detection),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_signed_message),
	};
	int rc;

	snprintf(top, sizeof(top), "%s", t && t[0] ? t : ".");
	if (sw_policy_load(path_of("policies/default.yaml"), &policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s (run from the repo top or set SQLWARD_TOP)\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sw_policy_free(policy);
	return rc;
}
