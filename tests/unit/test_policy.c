/*
 * Policy engine tests: loading and validation (every file in
 * tests/policies/bad/ is refused at the line its header names), matching,
 * judging, and the semantics of the shipped policies. Statements are built
 * by hand so these tests do not depend on the classifier.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "policy.h"
#include "role_pattern.h"
#include "statement.h"
#include "impact.h"
#include "live_context.h"
#include "my_classify.h"
#include "read_facts.h"
#include "util.h"

/* ---- helpers ---- */

static const char *top(void)
{
	const char *t = getenv("SQLWARD_TOP");
	return t && *t ? t : ".";
}

static char *top_path(const char *rel)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", top(), rel) > 0);
	return p;
}

static struct sw_policy *load_str(const char *yaml)
{
	struct sw_policy *p = NULL;
	char err[1024];
	int rc = sw_policy_load_string(yaml, strlen(yaml), "test.yaml", &p, err, sizeof(err));
	if (rc != 0)
		fail_msg("policy refused: %s", err);
	assert_non_null(p);
	return p;
}

static struct sw_policy *load_file(const char *rel)
{
	struct sw_policy *p = NULL;
	char err[1024];
	char *path = top_path(rel);
	int rc = sw_policy_load(path, &p, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s refused: %s", path, err);
	free(path);
	return p;
}

static void refused(const char *yaml, const char *prefix, const char *phrase)
{
	struct sw_policy *p = (struct sw_policy *)1;
	char err[1024];
	assert_int_equal(sw_policy_load_string(yaml, strlen(yaml), "mem.yaml", &p, err,
					       sizeof(err)), -1);
	assert_null(p);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, phrase))
		fail_msg("expected \"%s...%s\", got \"%s\"", prefix, phrase, err);
}

/* A statement: objects/functions/columns are NULL-terminated lists (or NULL). */
static void mk(struct sw_stmt *st, enum sw_class cls, const char *command, unsigned traits,
	       const char *const *objects, const char *const *functions,
	       const char *const *columns)
{
	memset(st, 0, sizeof(*st));
	st->text = strdup("-- hand-built");
	st->cls = cls;
	st->command = strdup(command);
	st->traits = traits;
	for (; objects && *objects; objects++)
		sw_stmt_add_object(st, *objects, SW_LOCK_ACCESS_SHARE);
	for (; functions && *functions; functions++)
		sw_strv_push(&st->functions, *functions);
	for (; columns && *columns; columns++)
		sw_strv_push(&st->columns, *columns);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct sw_subject agent = { .role = "agent_x", .database = "app" };

/* Judge one hand-built statement; returns the rule id (owned by p). */
static const char *judge1(const struct sw_policy *p, const struct sw_subject *s,
			  const struct sw_stmt *st, enum sw_verdict *v)
{
	struct sw_judgement j;
	sw_policy_judge_stmt(p, s, st, &j);
	if (v)
		*v = j.verdict;
	return j.rule_id;
}

static void expect(const struct sw_policy *p, const struct sw_subject *s,
		   const struct sw_stmt *st, enum sw_verdict want, const char *rule)
{
	enum sw_verdict v;
	const char *got = judge1(p, s, st, &v);
	if (v != want || strcmp(got, rule) != 0)
		fail_msg("expected %s by %s, got %s by %s (command %s)", sw_verdict_name(want),
			 rule, sw_verdict_name(v), got, st->command);
}

/* ---- matching ---- */

static void test_first_match_wins(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: first, match: { class: write }, action: hold }\n"
		"  - { id: second, match: { class: [write, ddl] }, action: deny }\n");
	struct sw_stmt st;
	mk(&st, SW_CLASS_WRITE, "INSERT", 0, NULL, NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_HOLD, "first");
	st.cls = SW_CLASS_DDL;
	expect(p, &agent, &st, SW_VERDICT_DENY, "second");
	st.cls = SW_CLASS_READ;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static const char match_policy[] =
	"sqlward_policy: 1\n"
	"default: allow\n"
	"rules:\n"
	"  - id: role\n"
	"    match: { role: [\"ops_*\", admin] }\n"
	"    action: deny\n"
	"  - id: db\n"
	"    match: { database: \"prod*\" }\n"
	"    action: deny\n"
	"  - id: cmd\n"
	"    match: { command: [\"drop *\", \"TRUNCATE*\"] }\n"
	"    action: deny\n"
	"  - id: rel-unqualified\n"
	"    match: { relation: customers }\n"
	"    action: deny\n"
	"  - id: rel-qualified\n"
	"    match: { relation: \"secret.*\" }\n"
	"    action: deny\n"
	"  - id: fn-unqualified\n"
	"    match: { function: \"pg_read_*\" }\n"
	"    action: deny\n"
	"  - id: fn-qualified\n"
	"    match: { function: \"audit.scrub\" }\n"
	"    action: deny\n"
	"  - id: col\n"
	"    match: { column: [\"*_token\", ssn] }\n"
	"    action: deny\n"
	"  - id: trait\n"
	"    match: { trait: [no_where, executes] }\n"
	"    action: hold\n"
	"    timeout: 90s\n";

static void test_match_role_database(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(match_policy);
	struct sw_stmt st;
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, NULL);
	struct sw_subject s = { .role = "ops_bob", .database = "app" };
	expect(p, &s, &st, SW_VERDICT_DENY, "role");
	s.role = "admin";
	expect(p, &s, &st, SW_VERDICT_DENY, "role");
	s.role = "administrator";   /* exact name, not a prefix */
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	s.role = "Ops_bob";         /* role names are case-sensitive */
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	s.database = "prod_eu";
	expect(p, &s, &st, SW_VERDICT_DENY, "db");
	s.database = NULL;          /* unknown database: a database rule never matches */
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	s.role = NULL;
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_command(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(match_policy);
	struct sw_stmt st;
	mk(&st, SW_CLASS_DDL, "DROP TABLE", 0, NULL, NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "cmd");
	free(st.command);
	st.command = strdup("truncate table");
	expect(p, &agent, &st, SW_VERDICT_DENY, "cmd");
	free(st.command);
	st.command = strdup("DROPPED");     /* "drop *" needs the space */
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	free(st.command);
	st.command = NULL;                  /* no command tag: no match, no crash */
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_relation(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(match_policy);
	struct sw_stmt st;
	/* A glob without '.' matches the last component, qualified or not. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.orders", "app.customers"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "rel-unqualified");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("customers"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "rel-unqualified");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.customers_archive"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	/* A glob with '.' matches the name as written. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("secret.keys"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "rel-qualified");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("keys"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("Secret.keys"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);   /* quoted: different schema */
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_relation_outside(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - id: outside\n"
		"    match: { relation_outside: [\"analytics.*\", \"public.lookup_*\", dual] }\n"
		"    action: deny\n");
	struct sw_stmt st;
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("analytics.v1", "public.lookup_country"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("analytics.v1", "app.customers"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "outside");
	sw_stmt_free(&st);
	/* Unqualified names are not inside a qualified allowlist entry. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("v1"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "outside");
	sw_stmt_free(&st);
	/* An entry without '.' allows that last component anywhere. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("x.dual"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	/* No objects at all: relation_outside does not match. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_function(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(match_policy);
	struct sw_stmt st;
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("now", "pg_read_file"), NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "fn-unqualified");
	sw_stmt_free(&st);
	/* An unqualified glob also matches the last component of a qualified call. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("pg_catalog.pg_read_binary_file"), NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "fn-unqualified");
	sw_stmt_free(&st);
	/* Case-insensitive. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("PG_READ_FILE"), NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "fn-unqualified");
	sw_stmt_free(&st);
	/* A qualified glob matches the full name only. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("audit.scrub"), NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "fn-qualified");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("scrub"), NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, L("other.scrub"), NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_column_trait(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(match_policy);
	struct sw_stmt st;
	struct sw_judgement j;
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, L("id", "access_token"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "col");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, L("ssn_hash"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_WRITE, "UPDATE", SW_TRAIT_NO_WHERE | SW_TRAIT_DESTRUCTIVE, NULL, NULL, NULL);
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_int_equal(j.verdict, SW_VERDICT_HOLD);
	assert_string_equal(j.rule_id, "trait");
	assert_int_equal(j.hold_timeout_s, 90);
	st.traits = SW_TRAIT_EXECUTES;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "trait");
	st.traits = SW_TRAIT_DESTRUCTIVE;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_and_not(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - id: writes-by-non-etl\n"
		"    match:\n"
		"      class: write\n"
		"      relation: \"app.*\"\n"
		"      not: { role: \"etl_*\" }\n"
		"    action: deny\n"
		"  - id: not-in-staging\n"
		"    match:\n"
		"      class: ddl\n"
		"      not: { database: staging, not: { role: root } }\n"
		"    action: deny\n");
	struct sw_stmt st;
	struct sw_subject s = { .role = "agent_x", .database = "app" };
	mk(&st, SW_CLASS_WRITE, "INSERT", 0, L("app.orders"), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "writes-by-non-etl");
	s.role = "etl_nightly";
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	s.role = "agent_x";
	st.cls = SW_CLASS_READ;                   /* AND: class must match too */
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_WRITE, "INSERT", 0, L("other.orders"), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);

	mk(&st, SW_CLASS_DDL, "CREATE TABLE", 0, NULL, NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "not-in-staging");
	s.database = "staging";
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	s.role = "root";                          /* not (staging and not root) */
	expect(p, &s, &st, SW_VERDICT_DENY, "not-in-staging");
	/* Unknown database: a rule mentioning database (even under not:) never matches. */
	s.database = NULL;
	s.role = "agent_x";
	expect(p, &s, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

/* ---- settings ---- */

/* A hand-built SET-like statement changing the given settings. */
static void mk_set(struct sw_stmt *st, enum sw_class cls, const char *command, unsigned traits,
		   const char *const *settings)
{
	mk(st, cls, command, traits, NULL, NULL, NULL);
	for (; settings && *settings; settings++)
		sw_strv_push(&st->settings, *settings);
}

static const char setting_policy[] =
	"sqlward_policy: 1\n"
	"default: allow\n"
	"rules:\n"
	"  - id: deny-read-write\n"
	"    match: { setting: transaction_read_only, class: [transaction, session] }\n"
	"    action: deny\n"
	"  - id: allow-extended\n"
	"    match: { setting: [Work_Mem, \"myapp.*\", transaction_isolation] }\n"
	"    action: allow\n"
	"  - id: deny-unsafe\n"
	"    match: { trait: unsafe_setting }\n"
	"    action: deny\n";

static void test_match_setting(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(setting_policy);
	struct sw_stmt st;

	/* The allowlist is extended by an allow rule before the deny rule; names case-insensitive. */
	mk_set(&st, SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING, L("work_mem"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "allow-extended");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING, L("myapp.tenant_id"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "allow-extended");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING, L("maintenance_work_mem"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-unsafe");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING, L("myapp"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-unsafe");
	sw_stmt_free(&st);

	/* Deny rule: ANY setting matching is enough. */
	mk_set(&st, SW_CLASS_TRANSACTION, "BEGIN", SW_TRAIT_UNSAFE_SETTING,
	       L("transaction_isolation", "transaction_read_only"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-read-write");
	/* Allow rule: EVERY setting must match, so one allowed name cannot carry another. */
	st.cls = SW_CLASS_UTILITY;  /* past deny-read-write */
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-unsafe");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_TRANSACTION, "BEGIN", 0, L("transaction_isolation"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "allow-extended");
	sw_stmt_free(&st);

	/* A statement that changes no setting never matches `setting:`. */
	mk_set(&st, SW_CLASS_SESSION, "RESET", SW_TRAIT_UNSAFE_SETTING, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-unsafe");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

/* Under `not:` the every/any reading swaps, so a negation errs to the stricter verdict too. */
static void test_match_setting_under_not(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - id: deny-all-but-isolation\n"
		"    match: { class: session, not: { setting: transaction_isolation } }\n"
		"    action: deny\n"
		"  - id: allow-unless-read-only\n"
		"    match: { class: transaction, not: { setting: \"*read_only\" } }\n"
		"    action: allow\n"
		"  - id: hold-rest\n"
		"    match: { class: transaction }\n"
		"    action: hold\n");
	struct sw_stmt st;

	mk_set(&st, SW_CLASS_SESSION, "SET", 0, L("transaction_isolation"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	/* Deny rule, under not: EVERY. Isolation alone does not cover read_only: denied. */
	mk_set(&st, SW_CLASS_SESSION, "SET", 0, L("transaction_isolation", "transaction_read_only"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-all-but-isolation");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_SESSION, "SET", 0, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-all-but-isolation");
	sw_stmt_free(&st);
	/* Allow rule, under not: ANY. One read_only setting among others keeps it from allowing. */
	mk_set(&st, SW_CLASS_TRANSACTION, "BEGIN", 0, L("transaction_isolation", "transaction_read_only"));
	expect(p, &agent, &st, SW_VERDICT_HOLD, "hold-rest");
	sw_stmt_free(&st);
	mk_set(&st, SW_CLASS_TRANSACTION, "BEGIN", 0, L("transaction_isolation"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "allow-unless-read-only");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_setting_key_refused(void **state)
{
	(void)state;
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { setting: \"work mem\" }\n"
		"    action: allow\n", "mem.yaml:5:23: ", "contains ' '");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { setting: [] }\n"
		"    action: allow\n", "mem.yaml:5:23: ", "setting is an empty list");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { setting: \"x;y\" }\n"
		"    action: deny\n", "mem.yaml:5:", "which setting names do not use");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { settings: x }\n"
		"    action: deny\n", "mem.yaml:5:14: ", "unknown match key \"settings\"");
	/* 16 patterns of 63 bytes fit. */
	char yaml[2048] = "sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match:\n      setting: [";
	for (int i = 0; i < 16; i++) {
		char item[80];
		snprintf(item, sizeof(item), "%sx%02d_%.59s", i ? ", " : "", i,
			 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk");
		strcat(yaml, item);
	}
	strcat(yaml, "]\n    action: deny\n");
	struct sw_policy *p = load_str(yaml);
	struct sw_stmt st;
	mk_set(&st, SW_CLASS_SESSION, "SET", 0, L("x15_abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefg"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "a");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

/* ---- govern ---- */

static void test_role_patterns(void **state)
{
	(void)state;
	struct sw_role_pattern rp;
	char why[256];

	assert_true(sw_role_pattern_parse("agent_bob", &rp, why, sizeof(why)));
	assert_int_equal(rp.kind, SW_ROLE_PAT_EXACT);
	assert_true(sw_role_pattern_match(&rp, "agent_bob"));
	assert_false(sw_role_pattern_match(&rp, "agent_bobby"));
	assert_false(sw_role_pattern_match(&rp, "agent_bo"));

	assert_true(sw_role_pattern_parse("agent_*", &rp, why, sizeof(why)));
	assert_int_equal(rp.kind, SW_ROLE_PAT_PREFIX);
	assert_string_equal(rp.text, "agent_");
	assert_int_equal(rp.len, 6);
	assert_true(sw_role_pattern_match(&rp, "agent_x"));
	assert_true(sw_role_pattern_match(&rp, "agent_"));
	assert_false(sw_role_pattern_match(&rp, "agent"));
	assert_false(sw_role_pattern_match(&rp, "xagent_x"));
	assert_false(sw_role_pattern_match(&rp, NULL));

	assert_true(sw_role_pattern_parse("*_bot", &rp, why, sizeof(why)));
	assert_int_equal(rp.kind, SW_ROLE_PAT_SUFFIX);
	assert_string_equal(rp.text, "_bot");
	assert_true(sw_role_pattern_match(&rp, "sales_bot"));
	assert_false(sw_role_pattern_match(&rp, "sales_bot2"));
	assert_false(sw_role_pattern_match(&rp, "bot"));

	assert_true(sw_role_pattern_parse("*", &rp, why, sizeof(why)));
	assert_int_equal(rp.kind, SW_ROLE_PAT_ANY);
	assert_true(sw_role_pattern_match(&rp, "anyone"));
	assert_true(sw_role_pattern_match(&rp, ""));

	assert_false(sw_role_pattern_parse("a*b", &rp, why, sizeof(why)));
	assert_non_null(strstr(why, "\"a*b\" is not supported"));
	assert_false(sw_role_pattern_parse("**", &rp, why, sizeof(why)));
	assert_false(sw_role_pattern_parse("*a*", &rp, why, sizeof(why)));
	assert_false(sw_role_pattern_parse("agent_?", &rp, why, sizeof(why)));
	assert_non_null(strstr(why, "glob syntax"));
	assert_false(sw_role_pattern_parse("agent_[ab]", &rp, why, sizeof(why)));
	assert_false(sw_role_pattern_parse("", &rp, why, sizeof(why)));
	assert_false(sw_role_pattern_parse("x\ty", &rp, NULL, 0));
	char longp[80];
	memset(longp, 'a', 64);
	strcpy(longp + 64, "*");
	assert_false(sw_role_pattern_parse(longp, &rp, why, sizeof(why)));
	assert_non_null(strstr(why, "63 bytes"));
	longp[63] = '*';
	longp[64] = '\0';
	assert_true(sw_role_pattern_parse(longp, &rp, why, sizeof(why)));
	assert_int_equal(rp.len, 63);

	assert_true(sw_role_pattern_match_str("ai_*", "ai_helper"));
	assert_false(sw_role_pattern_match_str("a*b", "ab"));
}

static void test_governs(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"govern:\n"
		"  roles: [\"agent_*\", \"*_bot\", exact_one]\n"
		"default: deny\n");
	const char *const *pats;
	assert_int_equal(sw_policy_govern_patterns(p, &pats), 3);
	assert_string_equal(pats[0], "agent_*");
	assert_string_equal(pats[1], "*_bot");
	assert_string_equal(pats[2], "exact_one");
	assert_true(sw_policy_governs(p, "agent_1"));
	assert_true(sw_policy_governs(p, "sales_bot"));
	assert_true(sw_policy_governs(p, "exact_one"));
	assert_false(sw_policy_governs(p, "exact_one_more"));
	assert_false(sw_policy_governs(p, "postgres"));
	assert_false(sw_policy_governs(p, NULL));
	sw_policy_free(p);

	p = load_str("sqlward_policy: 1\ngovern: { roles: \"*\" }\ndefault: deny\n");
	assert_true(sw_policy_governs(p, "postgres"));
	sw_policy_free(p);

	/* No govern section: nobody is governed. */
	p = load_str("sqlward_policy: 1\ndefault: deny\n");
	assert_int_equal(sw_policy_govern_patterns(p, NULL), 0);
	assert_false(sw_policy_governs(p, "agent_x"));
	sw_policy_free(p);

	refused("sqlward_policy: 1\ngovern:\n  roles: [agent_*, \"a*b\"]\ndefault: deny\n",
		"mem.yaml:3:20: ", "\"a*b\" is not supported");
}

static void test_too_many_govern_patterns(void **state)
{
	(void)state;
	char buf[2048];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "sqlward_policy: 1\ndefault: deny\ngovern:\n  roles:\n");
	for (int i = 0; i < SW_ROLE_PATTERNS_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "    - role%d\n", i);
	refused(buf, "mem.yaml:5:5: ", "the kernel tests at most 32");
}

/* ---- judging ---- */

static void free_analysis_stmts(struct sw_analysis *a)
{
	sw_analysis_free(a);
}

static void test_ungoverned_and_empty(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/default.yaml");
	struct sw_analysis a = { .parse_ok = true };
	struct sw_judgement per[2], all;
	struct sw_subject human = { .role = "alice", .database = "app" };

	a.n_stmts = 2;
	a.stmts = calloc(2, sizeof(*a.stmts));
	mk(&a.stmts[0], SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_DESTRUCTIVE, L("app.t"), NULL, NULL);
	mk(&a.stmts[1], SW_CLASS_PRIVILEGE, "GRANT", 0, NULL, NULL, NULL);
	sw_policy_judge(p, &human, &a, per, &all);
	assert_int_equal(all.verdict, SW_VERDICT_ALLOW);
	assert_string_equal(all.rule_id, SW_RULE_UNGOVERNED);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(per[i].verdict, SW_VERDICT_ALLOW);
		assert_string_equal(per[i].rule_id, SW_RULE_UNGOVERNED);
		assert_int_equal(per[i].stmt_index, (size_t)i);
	}
	/* Same statements from an agent: denied by the first one. */
	sw_policy_judge(p, &agent, &a, per, &all);
	assert_int_equal(all.verdict, SW_VERDICT_DENY);
	assert_string_equal(all.rule_id, "deny-destructive");
	assert_int_equal(all.stmt_index, 0);
	assert_string_equal(per[1].rule_id, "deny-privilege");
	free_analysis_stmts(&a);

	/* No statements at all (empty string, only comments): allow, rule "empty". */
	struct sw_analysis empty = { .parse_ok = true };
	sw_policy_judge(p, &agent, &empty, NULL, &all);
	assert_int_equal(all.verdict, SW_VERDICT_ALLOW);
	assert_string_equal(all.rule_id, SW_RULE_EMPTY);
	sw_policy_judge(p, &human, &empty, NULL, &all);
	assert_string_equal(all.rule_id, SW_RULE_UNGOVERNED);
	sw_policy_free(p);
}

static void test_most_severe(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"govern: { roles: \"agent_*\" }\n"
		"default: deny\n"
		"rules:\n"
		"  - { id: r, match: { class: read }, action: allow }\n"
		"  - { id: w, match: { class: write }, action: hold, timeout: 2h }\n"
		"  - { id: d, match: { class: ddl }, action: hold, timeout: 1m }\n");
	struct sw_analysis a = { .parse_ok = true };
	struct sw_judgement per[4], all;
	a.n_stmts = 4;
	a.stmts = calloc(4, sizeof(*a.stmts));
	mk(&a.stmts[0], SW_CLASS_READ, "SELECT", SW_TRAIT_MULTI_STATEMENT, NULL, NULL, NULL);
	mk(&a.stmts[1], SW_CLASS_WRITE, "INSERT", SW_TRAIT_MULTI_STATEMENT, NULL, NULL, NULL);
	mk(&a.stmts[2], SW_CLASS_DDL, "CREATE TABLE", SW_TRAIT_MULTI_STATEMENT, NULL, NULL, NULL);
	mk(&a.stmts[3], SW_CLASS_READ, "SELECT", SW_TRAIT_MULTI_STATEMENT, NULL, NULL, NULL);
	sw_policy_judge(p, &agent, &a, per, &all);
	/* Two holds: the first at that severity decides (with its timeout). */
	assert_int_equal(all.verdict, SW_VERDICT_HOLD);
	assert_string_equal(all.rule_id, "w");
	assert_int_equal(all.stmt_index, 1);
	assert_int_equal(all.hold_timeout_s, 7200);
	assert_int_equal(per[2].hold_timeout_s, 60);
	assert_int_equal(per[0].hold_timeout_s, 0);
	/* A statement no rule matches -> default deny beats the holds. */
	a.stmts[3].cls = SW_CLASS_UTILITY;
	sw_policy_judge(p, &agent, &a, NULL, &all);
	assert_int_equal(all.verdict, SW_VERDICT_DENY);
	assert_string_equal(all.rule_id, SW_RULE_DEFAULT);
	assert_null(all.reason);
	assert_int_equal(all.stmt_index, 3);
	sw_analysis_free(&a);
	sw_policy_free(p);
}

static void test_default_verdicts(void **state)
{
	(void)state;
	struct sw_policy *p = load_str("sqlward_policy: 1\ndefault: hold\n");
	struct sw_stmt st;
	struct sw_judgement j;
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, NULL);
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_int_equal(j.verdict, SW_VERDICT_HOLD);
	assert_string_equal(j.rule_id, SW_RULE_DEFAULT);
	assert_int_equal(j.hold_timeout_s, SW_HOLD_TIMEOUT_DEFAULT_S);
	assert_int_equal(sw_policy_default(p), SW_VERDICT_HOLD);
	assert_int_equal(sw_policy_n_rules(p), 0);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

/* ---- impact and live-context keys ---- */

static struct sw_impact *with_impact(struct sw_stmt *st)
{
	sw_stmt_attach_impact(st, sw_xcalloc(1, sizeof(*st->impact)));
	return st->impact;
}

static struct sw_live *with_live(struct sw_stmt *st)
{
	if (!st->impact)
		with_impact(st);
	st->impact->live = sw_xcalloc(1, sizeof(*st->impact->live));
	return st->impact->live;
}

static void live_rel(struct sw_live *lv, const char *name, enum sw_lockmode mode, double bytes,
		     double rows, double blocker_age)
{
	struct sw_live_rel *r;
	lv->rels = sw_xrealloc(lv->rels, (lv->n_rels + 1) * sizeof(*lv->rels));
	r = &lv->rels[lv->n_rels++];
	memset(r, 0, sizeof(*r));
	r->name = sw_xstrdup(name);
	r->lockmode = (int)mode;
	r->exists = true;
	r->bytes = (struct sw_fact){ bytes < 0 ? SW_FACT_UNKNOWN : SW_FACT_KNOWN, bytes };
	r->rows = (struct sw_fact){ rows < 0 ? SW_FACT_UNKNOWN : SW_FACT_KNOWN, rows };
	r->blocker_age_s = (struct sw_fact){ blocker_age < 0 ? SW_FACT_UNKNOWN : SW_FACT_KNOWN, blocker_age };
}

static void test_match_impact(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: ael, match: { lock: AccessExclusiveLock }, action: deny }\n"
		"  - { id: blocks-writes, match: { lock: \"share\" }, action: hold }\n"
		"  - { id: rewrite, match: { rewrite: true }, action: deny }\n"
		"  - { id: scan-no, match: { scan: false, reversibility: backup_only }, action: hold }\n"
		"  - { id: scan, match: { scan: true }, action: hold }\n"
		"  - { id: rev, match: { reversibility: [unknown] }, action: hold }\n");
	struct sw_stmt st;
	struct sw_impact *im;

	/* The strongest lock may be on a relation found through the catalog. */
	mk(&st, SW_CLASS_DDL, "DROP INDEX", 0, NULL, NULL, NULL);
	im = with_impact(&st);
	sw_impact_add_lock(im, "i", SW_VIA_NAMED, NULL, SW_LOCK_SHARE_UPDATE_EXCLUSIVE, "x");
	sw_impact_add_lock(im, "i", SW_VIA_TABLE_OF_INDEX, NULL, SW_LOCK_ACCESS_EXCLUSIVE, "x");
	expect(p, &agent, &st, SW_VERDICT_DENY, "ael");
	sw_stmt_free(&st);

	/* ShareLock or stronger: ShareRowExclusiveLock matches `lock: share`. */
	mk(&st, SW_CLASS_DDL, "CREATE TRIGGER", 0, NULL, NULL, NULL);
	im = with_impact(&st);
	sw_impact_add_lock(im, "t", SW_VIA_NAMED, NULL, SW_LOCK_SHARE_ROW_EXCLUSIVE, "x");
	im->reversibility = SW_REV_REVERSIBLE;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "blocks-writes");
	sw_stmt_free(&st);

	/* Weaker than ShareLock: falls through to rewrite/scan/reversibility. */
	mk(&st, SW_CLASS_UTILITY, "VACUUM", 0, NULL, NULL, NULL);
	im = with_impact(&st);
	sw_impact_add_lock(im, "t", SW_VIA_NAMED, NULL, SW_LOCK_SHARE_UPDATE_EXCLUSIVE, "x");
	im->scan = true;
	im->reversibility = SW_REV_NONE_NEEDED;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "scan");
	im->scan = false;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	im->rewrite = true;
	expect(p, &agent, &st, SW_VERDICT_DENY, "rewrite");
	im->rewrite = false;
	im->reversibility = SW_REV_BACKUP_ONLY;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "scan-no");
	im->reversibility = SW_REV_UNKNOWN;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "rev");
	sw_stmt_free(&st);

	/* Without an impact: locks from the objects, rewrite from rewrites_table,
	 * reversibility unknown. */
	mk(&st, SW_CLASS_WRITE, "SELECT", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_HOLD, "rev");
	st.rewrites_table = true;
	expect(p, &agent, &st, SW_VERDICT_DENY, "rewrite");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_match_live(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: queue, match: { blocked_by_xact_older_than: 30s }, action: deny }\n"
		"  - { id: big-delete, match: { command: DELETE, est_rows: \">10000\" }, action: deny }\n"
		"  - { id: nulls, match: { null_rows: \">0\" }, action: deny, reason: r }\n"
		"  - id: big-ael\n"
		"    match: { lock: AccessExclusiveLock, table_size: \">=1GB\", when_unknown: ignore }\n"
		"    action: hold\n"
		"  - { id: many-rows, match: { table_rows: \">1000000\" }, action: allow }\n");
	struct sw_stmt st;
	struct sw_live *lv;

	/* No live context: no live rule matches. */
	mk(&st, SW_CLASS_WRITE, "DELETE", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* Live context with facts. */
	lv = with_live(&st);
	live_rel(lv, "t", SW_LOCK_ROW_EXCLUSIVE, 8192, 10, 0);
	lv->est_rows = (struct sw_fact){ SW_FACT_KNOWN, 10000 };
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv->est_rows.v = 10001;
	expect(p, &agent, &st, SW_VERDICT_DENY, "big-delete");
	lv->rels[0].blocker_age_s.v = 31;
	expect(p, &agent, &st, SW_VERDICT_DENY, "queue");
	lv->rels[0].blocker_age_s.v = 30;
	expect(p, &agent, &st, SW_VERDICT_DENY, "big-delete");
	/* Unknown facts match deny/hold rules by default... */
	lv->est_rows.state = SW_FACT_UNKNOWN;
	lv->rels[0].blocker_age_s.state = SW_FACT_UNKNOWN;
	expect(p, &agent, &st, SW_VERDICT_DENY, "queue");
	lv->rels[0].blocker_age_s.state = SW_FACT_KNOWN;
	expect(p, &agent, &st, SW_VERDICT_DENY, "big-delete");
	/* ...a fact that does not apply never matches. */
	lv->est_rows.state = SW_FACT_NA;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv->null_rows = (struct sw_fact){ SW_FACT_KNOWN, 3 };
	expect(p, &agent, &st, SW_VERDICT_DENY, "nulls");
	lv->null_rows.state = SW_FACT_NA;
	/* table_size with lock: only relations locked at that mode or stronger. */
	lv->rels[0].bytes.v = 2.0 * 1024 * 1024 * 1024;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	live_rel(lv, "u", SW_LOCK_ACCESS_EXCLUSIVE, 1024, 0, 0);
	sw_impact_add_lock(st.impact, "t", SW_VIA_NAMED, NULL, SW_LOCK_ROW_EXCLUSIVE, "x");
	sw_impact_add_lock(st.impact, "u", SW_VIA_NAMED, NULL, SW_LOCK_ACCESS_EXCLUSIVE, "x");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv->rels[1].bytes.v = 1024.0 * 1024 * 1024;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "big-ael");
	/* when_unknown: ignore */
	lv->rels[1].bytes.state = SW_FACT_UNKNOWN;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* Allow rules ignore unknown facts by default (no silent allow). */
	lv->rels[0].rows.state = SW_FACT_UNKNOWN;
	lv->rels[1].rows.state = SW_FACT_UNKNOWN;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv->rels[1].rows = (struct sw_fact){ SW_FACT_KNOWN, 2e6 };
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "many-rows");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_impact_keys_refused(void **state)
{
	(void)state;
	const char *head = "sqlward_policy: 1\ndefault: allow\nrules:\n  - id: a\n    action: deny\n    match: ";
	struct { const char *match, *prefix, *phrase; } cases[] = {
		{ "{ lock: Exclusive_ish }", "mem.yaml:6:", "unknown lock mode \"Exclusive_ish\"" },
		{ "{ rewrite: maybe }", "mem.yaml:6:", "rewrite must be true or false" },
		{ "{ scan: [true] }", "mem.yaml:6:", "scan must be a single value" },
		{ "{ reversibility: gone }", "mem.yaml:6:", "unknown reversibility \"gone\"" },
		{ "{ est_rows: 10000 }", "mem.yaml:6:", "has no comparison" },
		{ "{ est_rows: \"~10\" }", "mem.yaml:6:", "bad est_rows" },
		{ "{ est_rows: \">10GB\" }", "mem.yaml:6:", "bad est_rows" },
		{ "{ table_size: \">1 PB\" }", "mem.yaml:6:", "units B, kB, MB, GB, TB" },
		{ "{ blocked_by_xact_older_than: 30 }", "mem.yaml:6:", "has no unit" },
		{ "{ blocked_by_xact_older_than: 200h }", "mem.yaml:6:", "out of range" },
		{ "{ class: ddl, when_unknown: match }", "mem.yaml:6:", "when_unknown only applies" },
		{ "{ est_rows: \">1\", when_unknown: maybe }", "mem.yaml:6:", "match or ignore" },
		{ "{ class: write, not: { est_rows: \">1\" } }", "mem.yaml:6:", "cannot be used under `not:`" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *y = NULL;
		assert_true(asprintf(&y, "%s%s\n", head, cases[i].match) > 0);
		refused(y, cases[i].prefix, cases[i].phrase);
		free(y);
	}
	refused("sqlward_policy: 1\ndefault: deny\nlive: { dsn: \"host=x password=secret\" }\n",
		"mem.yaml:3:", "contains a password");
	refused("sqlward_policy: 1\ndefault: deny\nlive: { dsn: \"host\" }\n",
		"mem.yaml:3:", "not a libpq connection string");
	refused("sqlward_policy: 1\ndefault: deny\nlive: { url: x }\n", "mem.yaml:3:", "unknown live key");
	refused("sqlward_policy: 1\ndefault: deny\ngovern: { roles: \"agent_*\" }\n"
		"live: { dsn: \"user=agent_live\" }\n", "mem.yaml:4:", "a governed role");
	struct sw_policy *p = load_str("sqlward_policy: 1\ndefault: deny\nlive: { dsn: \"dbname=app user=sqlward_live\" }\n");
	assert_string_equal(sw_policy_live_dsn(p), "dbname=app user=sqlward_live");
	assert_null(sw_policy_live_mysql_dsn(p));
	sw_policy_free(p);
	/* MariaDB's DSN: no password, no governed account, its own syntax; `dsn` becomes optional. */
	refused("sqlward_policy: 1\ndefault: deny\nlive: { mysql_dsn: \"user=x password=secret\" }\n",
		"mem.yaml:3:", "contains a password");
	refused("sqlward_policy: 1\ndefault: deny\nlive: { mysql_dsn: \"colour=blue\" }\n",
		"mem.yaml:3:", "unknown key");
	refused("sqlward_policy: 1\ndefault: deny\ngovern: { roles: \"agent_*\" }\n"
		"live: { mysql_dsn: \"user=agent_live socket=/run/mysqld/mysqld.sock\" }\n", "mem.yaml:4:",
		"a governed account");
	p = load_str("sqlward_policy: 1\ndefault: deny\nlive: { mysql_dsn: \"socket=/run/mysqld/mysqld.sock user=root "
		     "database=app\" }\n");
	assert_null(sw_policy_live_dsn(p));
	assert_string_equal(sw_policy_live_mysql_dsn(p), "socket=/run/mysqld/mysqld.sock user=root database=app");
	sw_policy_free(p);
}

/* ---- loading ---- */

static void test_bad_policies(void **state)
{
	(void)state;
	char *dir = top_path("tests/policies/bad");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		fail_msg("cannot open %s (run from the repo top or set SQLWARD_TOP)", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		char *path = NULL, line[512], phrase[512] = "", prefix[600];
		unsigned expect_line = 0;
		assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
		/* Header: "# expect-line: N" then "# expect: phrase". */
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) && line[0] == '#') {
			line[strcspn(line, "\n")] = '\0';
			if (sscanf(line, "# expect-line: %u", &expect_line) == 1)
				continue;
			if (strncmp(line, "# expect: ", 10) == 0)
				strcpy(phrase, line + 10);
		}
		fclose(f);
		if (!expect_line || !phrase[0])
			fail_msg("%s: missing # expect-line / # expect header", path);

		struct sw_policy *p = NULL;
		char err[1024];
		if (sw_policy_load(path, &p, err, sizeof(err)) != -1)
			fail_msg("%s was accepted", path);
		assert_null(p);
		snprintf(prefix, sizeof(prefix), "%s:%u:", path, expect_line);
		if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, phrase))
			fail_msg("%s: expected \"%s ... %s\", got \"%s\"", e->d_name, prefix,
				 phrase, err);
		/* Every message says what to do after what is wrong. */
		if (!strchr(err + strlen(prefix), ';'))
			fail_msg("%s: message has no advice: %s", e->d_name, err);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 30);
}

/* trusted_functions: schema-qualified calls of vetted code are not unknown_function; record mode reported. */
static void test_trusted_functions(void **state)
{
	struct sw_policy *p = load_str("sqlward_policy: 1\ndefault: deny\ntrusted_functions:\n"
				       "  - { schema: app, name: \"report_*\" }\n"
				       "  - { schema: \"aud*\", nested: record }\n");
	struct sw_analysis a;
	bool record;

	(void)state;
	assert_true(sw_policy_function_trusted(p, "app.report_monthly", &record, NULL, NULL, NULL, 0));
	assert_false(record);
	assert_true(sw_policy_function_trusted(p, "APP.Report_x", &record, NULL, NULL, NULL, 0));
	assert_true(sw_policy_function_trusted(p, "audit.log_it", &record, NULL, NULL, NULL, 0));
	assert_true(record);
	/* Unqualified: resolution depends on search_path, never trusted. Other names/schemas: not. */
	assert_false(sw_policy_function_trusted(p, "report_monthly", &record, NULL, NULL, NULL, 0));
	assert_false(sw_policy_function_trusted(p, "app.purge", &record, NULL, NULL, NULL, 0));
	assert_false(sw_policy_function_trusted(p, "public.report_x", &record, NULL, NULL, NULL, 0));

	sw_pg_analyze("SELECT app.report_monthly(1), lower('x')", &a);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_false(sw_policy_apply_trust(p, &a, NULL, NULL));   /* trusted, but nested: judge */
	assert_false(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	sw_analysis_free(&a);
	sw_pg_analyze("SELECT audit.log_it(), app.purge()", &a);
	assert_false(sw_policy_apply_trust(p, &a, NULL, NULL));   /* one untrusted call: stays unknown, not record */
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	sw_analysis_free(&a);
	sw_pg_analyze("SELECT audit.log_it(1)", &a);
	assert_true(sw_policy_apply_trust(p, &a, NULL, NULL));
	sw_analysis_free(&a);
	/* MariaDB: judged as its gate judges (no trust; PostgreSQL's builtins are not MariaDB's): a
	 * CURRENT_USER() or VERSION() that PostgreSQL also knows stays unknown (check once allowed it). */
	sw_my_analyze("SELECT CURRENT_USER(), VERSION(), audit.log_it(1)", 0, &a);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_false(sw_policy_apply_trust(p, &a, NULL, NULL));
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	sw_analysis_free(&a);
	sw_policy_free(p);

	refused("sqlward_policy: 1\ndefault: deny\ntrusted_functions:\n  - { name: x }\n", "mem.yaml:4:",
		"needs `schema:`");
	refused("sqlward_policy: 1\ndefault: deny\ntrusted_functions:\n  - { schema: pg_catalog }\n", "mem.yaml:4:",
		"would trust every schema");
	refused("sqlward_policy: 1\ndefault: deny\ntrusted_functions:\n  - { schema: app, nested: yes }\n",
		"mem.yaml:4:", "is not judge or record");
	refused("sqlward_policy: 1\ndefault: deny\ntrusted_functions: app\n", "mem.yaml:3:", "must be a list");
	refused("sqlward_policy: 1\ndefault: deny\ntrusted_functions:\n  - { schema: app, owner: vetted }\n",
		"mem.yaml:4:", "owner needs the live catalog");
}

static void test_load_edge_cases(void **state)
{
	(void)state;
	struct sw_policy *p = (struct sw_policy *)1;
	char err[256];

	assert_int_equal(sw_policy_load_string("", 0, "zero.yaml", &p, err, sizeof(err)), -1);
	assert_null(p);
	assert_non_null(strstr(err, "zero.yaml:1:1: policy is empty"));
	refused("   \n\n", "mem.yaml:", "policy is empty");
	refused("~\n", "mem.yaml:1:1: ", "no content");
	refused("sqlward_policy: \"1\"\ndefault: deny\n", "mem.yaml:1:17: ", "unquoted");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - { id: a, match: { class: read }, action: allow }\n"
		"  - { id: b, match: { class: read, trait: [no_limit, bogus] }, action: allow }\n",
		"mem.yaml:5:54: ", "unknown trait \"bogus\"");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { not: { not: { not: { not: { not: { class: read } } } } } }\n    action: allow\n",
		"mem.yaml:5:", "nested more than");
	refused("sqlward_policy: 1\ndefault: deny\ndescription: \"\xc3\x28\"\n", "mem.yaml:3:", "not valid UTF-8");
	refused("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { class: read }\n    action: allow\n    approvals_required: 1\n",
		"mem.yaml:7:5: ", "only applies to hold rules");
	/* A tiny error buffer truncates safely. */
	char tiny[8];
	assert_int_equal(sw_policy_load_string("x: [", 4, "t.yaml", &p, tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "t.yaml:");
	/* A missing file. */
	assert_int_equal(sw_policy_load("/nonexistent/policy.yaml", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/policy.yaml: cannot open policy"));
	assert_int_equal(sw_policy_load("/", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_shipped_policies_load(void **state)
{
	(void)state;
	char *dir = top_path("policies/examples");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	struct sw_policy *p = load_file("policies/default.yaml");
	assert_true(sw_policy_n_rules(p) > 10);
	assert_int_equal(sw_policy_default(p), SW_VERDICT_DENY);
	sw_policy_free(p);

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		char *rel = NULL;
		assert_true(asprintf(&rel, "policies/examples/%s", e->d_name) > 0);
		p = load_file(rel);
		sw_policy_free(p);
		free(rel);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 3);
}

static void test_digest_and_path(void **state)
{
	(void)state;
	const char *y = "sqlward_policy: 1\ndefault: deny\n";
	struct sw_policy *p = load_str(y);
	assert_int_equal(strlen(sw_policy_digest(p)), 64);
	assert_string_equal(sw_policy_path(p), "test.yaml");
	char first[65];
	strcpy(first, sw_policy_digest(p));
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: deny\n# changed\n");
	assert_string_not_equal(sw_policy_digest(p), first);
	sw_policy_free(p);
}

static void test_digest_known(void **state)
{
	(void)state;
	struct sw_policy *p = NULL;
	char err[256];
	/* printf 'sqlward_policy: 1\ndefault: allow\n' | sha256sum */
	const char *y = "sqlward_policy: 1\ndefault: allow\n";
	assert_int_equal(sw_policy_load_string(y, strlen(y), NULL, &p, err, sizeof(err)), 0);
	assert_string_equal(sw_policy_digest(p),
			    "5295c7e017ef5ed2557d889649735c2ca1f83658a75725d1a002f6f7002a829f");
	sw_policy_free(p);
}

static void test_hold_fields(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"description: \"test policy\"\n"
		"default: deny\n"
		"rules:\n"
		"  - id: hold-ddl\n"
		"    description: schema changes\n"
		"    match: { class: ddl }\n"
		"    action: hold\n"
		"    timeout: 2h\n"
		"    reason: \"needs a DBA\"\n"
		"    approvers: [alice, \"group:dba\", bob]\n"
		"    approvals_required: 2\n"
		"  - id: hold-write\n"
		"    match: { class: write }\n"
		"    action: hold\n"
		"  - id: hold-short\n"
		"    match: { class: utility }\n"
		"    action: hold\n"
		"    timeout: 45s\n"
		"    approvers: carol\n"
		"  - id: allow-read\n"
		"    match: { class: read }\n"
		"    action: allow\n");
	assert_string_equal(sw_policy_description(p), "test policy");
	assert_int_equal(sw_policy_n_rules(p), 4);
	const struct sw_rule *r = sw_policy_rule(p, "hold-ddl");
	assert_non_null(r);
	assert_ptr_equal(r, sw_policy_rule_at(p, 0));
	assert_string_equal(r->description, "schema changes");
	assert_string_equal(r->reason, "needs a DBA");
	assert_int_equal(r->action, SW_VERDICT_HOLD);
	assert_int_equal(r->timeout_s, 7200);
	assert_int_equal(r->approvers.n, 3);
	assert_string_equal(r->approvers.v[0], "alice");
	assert_string_equal(r->approvers.v[1], "group:dba");
	assert_int_equal(r->approvals_required, 2);
	assert_int_equal(r->line, 5);
	assert_int_equal(r->column, 5);

	r = sw_policy_rule(p, "hold-write");
	assert_int_equal(r->timeout_s, SW_HOLD_TIMEOUT_DEFAULT_S);
	assert_int_equal(r->approvers.n, 0);
	assert_int_equal(r->approvals_required, 1);
	assert_null(r->reason);
	assert_null(r->description);

	r = sw_policy_rule(p, "hold-short");
	assert_int_equal(r->timeout_s, 45);
	assert_int_equal(r->approvers.n, 1);
	assert_string_equal(r->approvers.v[0], "carol");

	r = sw_policy_rule(p, "allow-read");
	assert_int_equal(r->timeout_s, 0);
	assert_int_equal(r->approvals_required, 0);

	assert_null(sw_policy_rule(p, "default"));
	assert_null(sw_policy_rule(p, "nope"));
	assert_null(sw_policy_rule(p, NULL));
	assert_null(sw_policy_rule_at(p, 4));

	struct sw_stmt st;
	struct sw_judgement j;
	mk(&st, SW_CLASS_DDL, "ALTER TABLE", 0, NULL, NULL, NULL);
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_string_equal(j.rule_id, "hold-ddl");
	assert_string_equal(j.reason, "needs a DBA");
	assert_int_equal(j.hold_timeout_s, 7200);
	sw_stmt_free(&st);
	sw_policy_free(p);

	/* 24h is the longest hold; group approvers allow more approvals than names. */
	p = load_str("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { class: ddl }\n"
		     "    action: hold\n    timeout: 24h\n    approvers: \"group:dba\"\n    approvals_required: 3\n");
	assert_int_equal(sw_policy_rule_at(p, 0)->timeout_s, 86400);
	assert_int_equal(sw_policy_rule_at(p, 0)->approvals_required, 3);
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: deny\nrules:\n  - id: a\n    match: { class: ddl }\n"
		     "    action: hold\n    timeout: 1440m\n");
	assert_int_equal(sw_policy_rule_at(p, 0)->timeout_s, 86400);
	sw_policy_free(p);
}

static void test_verdict_names(void **state)
{
	(void)state;
	enum sw_verdict v;
	assert_string_equal(sw_verdict_name(SW_VERDICT_ALLOW), "allow");
	assert_string_equal(sw_verdict_name(SW_VERDICT_HOLD), "hold");
	assert_string_equal(sw_verdict_name(SW_VERDICT_DENY), "deny");
	assert_true(sw_verdict_parse("hold", &v));
	assert_int_equal(v, SW_VERDICT_HOLD);
	assert_false(sw_verdict_parse("Deny", &v));
	assert_true(sw_rule_id_reserved("default"));
	assert_true(sw_rule_id_reserved("ungoverned"));
	assert_true(sw_rule_id_reserved("empty"));
	assert_false(sw_rule_id_reserved("deny-all"));
}

/* ---- shipped policy semantics ---- */

static void test_default_policy_semantics(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/default.yaml");
	struct sw_stmt st;
	struct sw_subject ai = { .role = "ai_helper", .database = "app" };

	assert_true(sw_policy_governs(p, "agent_sql"));
	assert_true(sw_policy_governs(p, "ai_helper"));
	assert_false(sw_policy_governs(p, "postgres"));
	assert_false(sw_policy_governs(p, "app_agent"));

	struct {
		enum sw_class cls;
		const char *cmd;
		unsigned traits;
		enum sw_verdict v;
		const char *rule;
	} cases[] = {
		{ SW_CLASS_READ, "SELECT", 0, SW_VERDICT_ALLOW, "allow-read" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_STAR | SW_TRAIT_NO_LIMIT, SW_VERDICT_ALLOW, "allow-read" },
		{ SW_CLASS_READ, "EXPLAIN", SW_TRAIT_EXECUTES, SW_VERDICT_ALLOW, "allow-read" },
		{ SW_CLASS_WRITE, "EXPLAIN", SW_TRAIT_EXECUTES, SW_VERDICT_HOLD, "hold-writes" },
		{ SW_CLASS_WRITE, "INSERT", 0, SW_VERDICT_HOLD, "hold-writes" },
		{ SW_CLASS_WRITE, "UPDATE", 0, SW_VERDICT_HOLD, "hold-writes" },
		{ SW_CLASS_DDL, "CREATE INDEX", 0, SW_VERDICT_HOLD, "hold-writes" },
		{ SW_CLASS_WRITE, "DELETE", SW_TRAIT_DESTRUCTIVE | SW_TRAIT_NO_WHERE, SW_VERDICT_DENY, "deny-destructive" },
		{ SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_DESTRUCTIVE, SW_VERDICT_DENY, "deny-destructive" },
		{ SW_CLASS_DDL, "TRUNCATE TABLE", SW_TRAIT_DESTRUCTIVE, SW_VERDICT_DENY, "deny-destructive" },
		{ SW_CLASS_PRIVILEGE, "GRANT", 0, SW_VERDICT_DENY, "deny-privilege" },
		{ SW_CLASS_PRIVILEGE, "ALTER ROLE", 0, SW_VERDICT_DENY, "deny-privilege" },
		{ SW_CLASS_WRITE, "COPY", SW_TRAIT_FILE_ACCESS, SW_VERDICT_DENY, "deny-file-access" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_FILE_ACCESS | SW_TRAIT_DANGEROUS_FUNCTION, SW_VERDICT_DENY, "deny-file-access" },
		{ SW_CLASS_SESSION, "SET", SW_TRAIT_SESSION_ESCALATION, SW_VERDICT_DENY, "deny-session-escalation" },
		{ SW_CLASS_SESSION, "SET", 0, SW_VERDICT_ALLOW, "allow-session" },
		{ SW_CLASS_SESSION, "SHOW", 0, SW_VERDICT_ALLOW, "allow-session" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_DANGEROUS_FUNCTION, SW_VERDICT_DENY, "deny-dangerous-function" },
		{ SW_CLASS_PROCEDURAL, "DO", SW_TRAIT_OPAQUE_CODE, SW_VERDICT_DENY, "deny-opaque-code" },
		{ SW_CLASS_DDL, "CREATE FUNCTION", SW_TRAIT_OPAQUE_CODE, SW_VERDICT_DENY, "deny-opaque-code" },
		{ SW_CLASS_PROCEDURAL, "CALL", 0, SW_VERDICT_DENY, "deny-procedural" },
		{ SW_CLASS_UNKNOWN, "???", 0, SW_VERDICT_DENY, "deny-unparseable" },
		{ SW_CLASS_READ, "EXECUTE", SW_TRAIT_UNRESOLVED, SW_VERDICT_DENY, "deny-unresolved-execute" },
		{ SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING, SW_VERDICT_DENY, "deny-unsafe-setting" },
		{ SW_CLASS_TRANSACTION, "BEGIN", SW_TRAIT_UNSAFE_SETTING, SW_VERDICT_DENY, "deny-unsafe-setting" },
		{ SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING | SW_TRAIT_SESSION_ESCALATION, SW_VERDICT_DENY,
		  "deny-session-escalation" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_SENSITIVE_CATALOG, SW_VERDICT_DENY, "deny-sensitive-catalog" },
		{ SW_CLASS_SESSION, "SHOW", SW_TRAIT_SENSITIVE_CATALOG, SW_VERDICT_DENY, "deny-sensitive-catalog" },
		{ SW_CLASS_TWO_PHASE, "PREPARE TRANSACTION", 0, SW_VERDICT_DENY, "deny-two-phase" },
		{ SW_CLASS_TWO_PHASE, "COMMIT PREPARED", 0, SW_VERDICT_DENY, "deny-two-phase" },
		{ SW_CLASS_REPLICATION, "START_REPLICATION", 0, SW_VERDICT_DENY, "deny-replication" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_PARAMETERIZED, SW_VERDICT_ALLOW, "allow-read" },
		{ SW_CLASS_UTILITY, "VACUUM", 0, SW_VERDICT_HOLD, "hold-utility" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_UNKNOWN_FUNCTION, SW_VERDICT_HOLD, "hold-unknown-function" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_WRITABLE_CTE, SW_VERDICT_HOLD, "hold-hidden-writes" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_INTO, SW_VERDICT_HOLD, "hold-hidden-writes" },
		{ SW_CLASS_READ, "SELECT", SW_TRAIT_LOCKING_READ, SW_VERDICT_HOLD, "hold-locking-read" },
		{ SW_CLASS_TRANSACTION, "BEGIN", 0, SW_VERDICT_ALLOW, "allow-transaction" },
		{ SW_CLASS_TRANSACTION, "COMMIT", 0, SW_VERDICT_ALLOW, "allow-transaction" },
		{ SW_CLASS_READ, "PREPARE", SW_TRAIT_PREPARED, SW_VERDICT_ALLOW, "allow-read" },
		{ SW_CLASS_WRITE, "EXECUTE", SW_TRAIT_PREPARED, SW_VERDICT_HOLD, "hold-writes" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk(&st, cases[i].cls, cases[i].cmd, cases[i].traits, L("app.t"), NULL, NULL);
		expect(p, &ai, &st, cases[i].v, cases[i].rule);
		sw_stmt_free(&st);
	}
	/* Every hold in the default policy carries a timeout; every deny a reason. */
	for (size_t i = 0; i < sw_policy_n_rules(p); i++) {
		const struct sw_rule *r = sw_policy_rule_at(p, i);
		if (r->action == SW_VERDICT_HOLD)
			assert_int_equal(r->timeout_s, 15 * 60);
		if (r->action != SW_VERDICT_ALLOW)
			assert_non_null(r->reason);
	}

	/* An unparseable string: parse_ok false, one unknown statement. */
	struct sw_analysis a = { .parse_ok = false };
	struct sw_judgement all;
	a.error = strdup("syntax error at or near \"SELEC\"");
	a.n_stmts = 1;
	a.stmts = calloc(1, sizeof(*a.stmts));
	mk(&a.stmts[0], SW_CLASS_UNKNOWN, "???", 0, NULL, NULL, NULL);
	sw_policy_judge(p, &ai, &a, NULL, &all);
	assert_int_equal(all.verdict, SW_VERDICT_DENY);
	assert_string_equal(all.rule_id, "deny-unparseable");
	assert_non_null(all.reason);
	sw_analysis_free(&a);
	sw_policy_free(p);
}

/* The default policy's impact and live-context rules. */
static void test_default_policy_impact(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/default.yaml");
	struct sw_stmt st;
	struct sw_live *lv;

	/* A DELETE with WHERE: held without live context, denied when the
	 * planner expects more than 10,000 rows, held when the estimate is unknown. */
	mk(&st, SW_CLASS_WRITE, "DELETE", 0, L("app.t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_HOLD, "hold-writes");
	lv = with_live(&st);
	live_rel(lv, "app.t", SW_LOCK_ROW_EXCLUSIVE, 1e6, 1e5, 0);
	lv->est_rows = (struct sw_fact){ SW_FACT_KNOWN, 50000 };
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-large-write");
	lv->est_rows.state = SW_FACT_UNKNOWN;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "hold-writes");
	lv->rels[0].blocker_age_s.v = 120;
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-queue-behind-old-transaction");
	sw_stmt_free(&st);

	/* A rewrite of a 2 GB table under AccessExclusiveLock. */
	mk(&st, SW_CLASS_DDL, "ALTER TABLE", 0, NULL, NULL, NULL);
	lv = with_live(&st);
	sw_impact_add_lock(st.impact, "big", SW_VIA_NAMED, NULL, SW_LOCK_ACCESS_EXCLUSIVE, "x");
	st.impact->rewrite = true;
	live_rel(lv, "big", SW_LOCK_ACCESS_EXCLUSIVE, 2.0 * 1024 * 1024 * 1024, 1e7, 0);
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-rewrite-large-table");
	st.impact->rewrite = false;
	expect(p, &agent, &st, SW_VERDICT_HOLD, "hold-writes");
	lv->null_rows = (struct sw_fact){ SW_FACT_KNOWN, 12 };
	expect(p, &agent, &st, SW_VERDICT_DENY, "deny-set-not-null-with-nulls");
	sw_stmt_free(&st);

	/* A read that somehow takes a write-blocking lock is held, not allowed. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, NULL);
	sw_impact_add_lock(with_impact(&st), "t", SW_VIA_NAMED, NULL, SW_LOCK_SHARE, "x");
	expect(p, &agent, &st, SW_VERDICT_HOLD, "hold-blocking-lock");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_analytics_views(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/examples/analytics-views.yaml");
	struct sw_subject s = { .role = "analytics_agent_runtime", .database = "app" };
	const char *v1 = "analytics_agent.agent_fraud_transactions_v1";
	struct sw_stmt st;

	assert_true(sw_policy_governs(p, "analytics_agent_runtime"));
	assert_false(sw_policy_governs(p, "agent_runtime"));

	/* DELETE FROM app.transactions WHERE tenant_id = 42; */
	mk(&st, SW_CLASS_WRITE, "DELETE", 0, L("app.transactions"), NULL, L("tenant_id"));
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-not-read");
	sw_stmt_free(&st);
	/* SELECT * FROM app.customers; */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_STAR | SW_TRAIT_NO_LIMIT,
	   L("app.customers"), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-outside-views");
	sw_stmt_free(&st);
	/* SELECT email, card_number FROM analytics_agent.agent_fraud_transactions_v1; */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_NO_LIMIT, L(v1), NULL, L("email", "card_number"));
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-sensitive-columns");
	sw_stmt_free(&st);
	/* SELECT * FROM ..._v1 WHERE amount_cents > 1000000; */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_STAR | SW_TRAIT_NO_LIMIT, L(v1), NULL,
	   L("amount_cents"));
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-select-star");
	sw_stmt_free(&st);
	/* SELECT pg_sleep(30); -- with or without the classifier's dangerous_function trait */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_DANGEROUS_FUNCTION, NULL, L("pg_sleep"), NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-dangerous-function");
	st.traits = 0;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-sleep-and-admin-functions");
	sw_stmt_free(&st);
	/* SELECT * FROM ..._v1; */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_STAR | SW_TRAIT_NO_LIMIT, L(v1), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-select-star");
	sw_stmt_free(&st);
	/* DROP TABLE app.transactions; */
	mk(&st, SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_DESTRUCTIVE, L("app.transactions"), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-not-read");
	sw_stmt_free(&st);
	/* SELECT * FROM pg_show_all_settings() LIMIT 1; -- names no relation */
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_SELECT_STAR | SW_TRAIT_SENSITIVE_CATALOG, NULL,
	   L("pg_show_all_settings"), NULL);
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-sensitive-catalog");
	sw_stmt_free(&st);
	/* A bounded read of the view without sensitive columns is allowed. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L(v1), L("sum"), L("tenant_id", "amount_cents"));
	expect(p, &s, &st, SW_VERDICT_ALLOW, "allow-bounded-view-read");
	/* ...but not without LIMIT, nor unqualified, nor through EXPLAIN ANALYZE. */
	st.traits = SW_TRAIT_NO_LIMIT;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-no-limit");
	st.traits = SW_TRAIT_EXECUTES;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-hidden-writes");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("agent_fraud_transactions_v1"), NULL, L("tenant_id"));
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-outside-views");
	sw_stmt_free(&st);

	/* The whole rejection suite as one string: denied (multi_statement first). */
	struct sw_analysis a = { .parse_ok = true };
	struct sw_judgement all;
	a.n_stmts = 2;
	a.stmts = calloc(2, sizeof(*a.stmts));
	mk(&a.stmts[0], SW_CLASS_READ, "SELECT", SW_TRAIT_MULTI_STATEMENT, L(v1), NULL, L("tenant_id"));
	mk(&a.stmts[1], SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_MULTI_STATEMENT | SW_TRAIT_DESTRUCTIVE,
	   L("app.transactions"), NULL, NULL);
	sw_policy_judge(p, &s, &a, NULL, &all);
	assert_int_equal(all.verdict, SW_VERDICT_DENY);
	assert_string_equal(all.rule_id, "deny-multi-statement");
	assert_int_equal(all.stmt_index, 0);
	sw_analysis_free(&a);
	sw_policy_free(p);
}

static void test_strict_read_only(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/examples/strict-read-only.yaml");
	struct sw_subject s = { .role = "sales_readonly", .database = "app" };
	struct sw_stmt st;
	assert_true(sw_policy_governs(p, "report_daily"));
	assert_true(sw_policy_governs(p, "bi_agent"));
	assert_false(sw_policy_governs(p, "bi_agent2"));
	mk(&st, SW_CLASS_READ, "SELECT", SW_TRAIT_NO_LIMIT, L("app.t"), NULL, NULL);
	expect(p, &s, &st, SW_VERDICT_ALLOW, "allow-read");
	st.cls = SW_CLASS_WRITE;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-non-read");
	st.cls = SW_CLASS_UTILITY;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-non-read");
	st.cls = SW_CLASS_READ;
	st.traits = SW_TRAIT_UNKNOWN_FUNCTION;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-risky-functions");
	st.traits = SW_TRAIT_LOCKING_READ;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-read-side-effects");
	st.cls = SW_CLASS_SESSION;
	st.traits = SW_TRAIT_SESSION_ESCALATION;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-read-side-effects");
	st.traits = SW_TRAIT_UNSAFE_SETTING;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-unsafe-setting");
	st.traits = SW_TRAIT_SENSITIVE_CATALOG;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-sensitive-catalog");
	st.traits = 0;
	expect(p, &s, &st, SW_VERDICT_ALLOW, "allow-read");
	st.cls = SW_CLASS_TWO_PHASE;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-non-read");
	st.cls = SW_CLASS_REPLICATION;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-non-read");
	st.cls = SW_CLASS_SESSION;
	st.cls = SW_CLASS_UNKNOWN;
	expect(p, &s, &st, SW_VERDICT_DENY, "deny-unparseable");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_observe_only(void **state)
{
	(void)state;
	struct sw_policy *p = load_file("policies/examples/observe-only.yaml");
	struct sw_analysis a = { .parse_ok = true };
	struct sw_judgement all;
	struct sw_subject s = { .role = "agent_x", .database = "app" };
	a.n_stmts = 1;
	a.stmts = calloc(1, sizeof(*a.stmts));
	mk(&a.stmts[0], SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_DESTRUCTIVE, L("app.t"), NULL, NULL);
	sw_policy_judge(p, &s, &a, NULL, &all);
	assert_int_equal(all.verdict, SW_VERDICT_ALLOW);
	assert_string_equal(all.rule_id, SW_RULE_UNGOVERNED);
	sw_analysis_free(&a);
	sw_policy_free(p);
}

/* Scheduled freeze windows: absolute, weekly, and weekly across midnight (UTC). */
static void test_freeze_windows(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: deny\n"
		"freeze:\n  classes: [write]\n  windows:\n"
		"    - { start: \"2026-12-24T00:00:00Z\", end: \"2026-12-27T00:00:00Z\", reason: holidays }\n"
		"    - { days: [sat], from: \"22:00\", to: \"06:00\", reason: night }\n"
		"    - { days: [mon], from: \"09:00\", to: \"10:00\", reason: standup }\n");
	/* 2026-12-25 12:00 UTC is a Friday inside the absolute window. */
	assert_string_equal(sw_policy_freeze_window(p, 1798200000 - 1798200000 % 86400 + 12 * 3600), "holidays");
	assert_null(sw_policy_freeze_window(p, 1798200000 - 1798200000 % 86400 + 3 * 86400 + 12 * 3600));
	const time_t sat = 1795219200;   /* 2026-11-21 00:00 UTC, a Saturday */
	/* Saturday 23:00 frozen (night), 21:00 not. */
	assert_string_equal(sw_policy_freeze_window(p, sat + 23 * 3600), "night");
	assert_null(sw_policy_freeze_window(p, sat + 21 * 3600));
	/* Sunday 05:00 still inside Saturday's night window; 07:00 not. */
	assert_string_equal(sw_policy_freeze_window(p, sat + 86400 + 5 * 3600), "night");
	assert_null(sw_policy_freeze_window(p, sat + 86400 + 7 * 3600));
	/* Monday 09:30 standup; 10:00 is the end (exclusive). */
	assert_string_equal(sw_policy_freeze_window(p, sat + 2 * 86400 + 9 * 3600 + 1800), "standup");
	assert_null(sw_policy_freeze_window(p, sat + 2 * 86400 + 10 * 3600));
	assert_true(sw_policy_freezes(p, SW_CLASS_WRITE));
	assert_false(sw_policy_freezes(p, SW_CLASS_DDL));
	sw_policy_free(p);
	/* Defaults: write, ddl and privilege are frozen. */
	p = load_str("sqlward_policy: 1\ndefault: deny\n");
	assert_true(sw_policy_freezes(p, SW_CLASS_DDL) && sw_policy_freezes(p, SW_CLASS_PRIVILEGE));
	assert_false(sw_policy_freezes(p, SW_CLASS_READ));
	sw_policy_free(p);
}

/* Shape caching is off exactly when a verdict could depend on a literal's value. */
static void test_literal_sensitive(void **state)
{
	(void)state;
	struct sw_policy *p = load_str("sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: deny\n"
				       "rules:\n  - id: r\n    match: { class: read }\n    action: allow\n");
	assert_false(sw_policy_literal_sensitive(p));
	sw_policy_free(p);
	/* Live keys without a DSN never match: still not sensitive. */
	p = load_str("sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: deny\n"
		     "rules:\n  - id: big\n    match: { class: write, est_rows: \">10\" }\n    action: deny\n");
	assert_false(sw_policy_literal_sensitive(p));
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: deny\n"
		     "live: { dsn: \"host=127.0.0.1 dbname=x user=sqlward_reader\" }\n"
		     "rules:\n  - id: big\n    match: { class: write, est_rows: \">10\" }\n    action: deny\n");
	assert_true(sw_policy_literal_sensitive(p));
	sw_policy_free(p);
}

/* ---- read-agent keys (issue 14): column, tenant, limit_over, recursive_unbounded,
 * est_cost, application, client_exe, budget ---- */

/* Read facts with a known row bound (limit -1: none), attached to st. */
static struct sw_read_facts *with_reads(struct sw_stmt *st, long long limit)
{
	struct sw_read_facts *rf = sw_xcalloc(1, sizeof(*rf));
	rf->limit_known = true;
	rf->limit = limit;
	sw_read_facts_free(st->reads);
	st->reads = rf;
	return rf;
}

/* One read referencing relation.column (relation NULL: unresolved among candidates, NULL-terminated). */
static void read_col(struct sw_stmt *st, const char *relation, const char *column,
		     const char *const *candidates)
{
	struct sw_strv c = { 0 };
	struct sw_read_facts *rf;

	mk(st, SW_CLASS_READ, "SELECT", 0, NULL, NULL, NULL);
	rf = with_reads(st, 10);
	for (; candidates && *candidates; candidates++)
		sw_strv_push(&c, *candidates);
	sw_read_facts_add_col(rf, relation, column, &c);
	sw_strv_free(&c);
}

static void expect_col(const struct sw_policy *p, const char *relation, const char *column,
		       const char *const *candidates, enum sw_verdict want, const char *rule)
{
	struct sw_stmt st;
	read_col(&st, relation, column, candidates);
	expect(p, &agent, &st, want, rule);
	sw_stmt_free(&st);
}

static void test_read_columns(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: email, match: { column: \"app.customers.email\" }, action: deny }\n"
		"  - { id: ssn, match: { column: \"*.ssn\" }, action: deny }\n"
		"  - { id: card, match: { column: \"customers.card_*\" }, action: deny }\n"
		"  - { id: pw, match: { column: [\"*password*\", token] }, action: deny }\n");
	struct sw_stmt st;

	/* RELATION.COLUMN: the relation as the statement resolves it. */
	expect_col(p, "app.customers", "email", NULL, SW_VERDICT_DENY, "email");
	expect_col(p, "app.orders", "email", NULL, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	expect_col(p, "customers", "email", NULL, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* Unresolved: any candidate relation that matches (conservative). */
	expect_col(p, NULL, "email", L("app.orders", "app.customers"), SW_VERDICT_DENY, "email");
	expect_col(p, NULL, "email", L("app.orders"), SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* "*.ssn": ssn in any relation, even without one. */
	expect_col(p, "hr.people", "ssn", NULL, SW_VERDICT_DENY, "ssn");
	expect_col(p, NULL, "ssn", NULL, SW_VERDICT_DENY, "ssn");
	/* A relation glob without '.' matches the last name, as relation: does. */
	expect_col(p, "app.customers", "card_number", NULL, SW_VERDICT_DENY, "card");
	expect_col(p, "customers", "card_number", NULL, SW_VERDICT_DENY, "card");
	expect_col(p, "app.vendors", "card_number", NULL, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* A glob without '.': the column name in any relation. */
	expect_col(p, "app.users", "user_password", NULL, SW_VERDICT_DENY, "pw");
	expect_col(p, NULL, "token", L("a", "b"), SW_VERDICT_DENY, "pw");
	expect_col(p, "app.users", "name", NULL, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* Column names of the statement (no read facts: MariaDB, writes) keep working... */
	mk(&st, SW_CLASS_WRITE, "UPDATE", 0, L("app.users"), NULL, L("password_hash"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "pw");
	sw_stmt_free(&st);
	/* ...and RELATION.COLUMN globs match there when a named object matches the relation part. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.customers"), NULL, L("email"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "email");
	sw_stmt_free(&st);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.orders"), NULL, L("email"));
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_read_star(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: email, match: { column: \"app.customers.email\" }, action: deny }\n"
		"  - { id: card, match: { column: \"customers.card_*\" }, action: deny }\n");
	struct sw_stmt st;

	/* Not expanded (no live context): unknown, so a deny rule matches by default... */
	read_col(&st, "app.customers", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "email");
	/* ...expanded: judged by its columns. */
	sw_strv_push(&st.reads->cols[0].expanded, "id");
	sw_strv_push(&st.reads->cols[0].expanded, "name");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_strv_push(&st.reads->cols[0].expanded, "card_number");
	expect(p, &agent, &st, SW_VERDICT_DENY, "card");
	sw_stmt_free(&st);
	/* A RELATION.COLUMN glob naming another table does not make `*` on this one unknown. */
	read_col(&st, "app.orders", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	/* An unresolved `*` (a join): any candidate counts. */
	read_col(&st, NULL, "*", L("app.orders", "app.customers"));
	expect(p, &agent, &st, SW_VERDICT_DENY, "email");
	sw_strv_push(&st.reads->cols[0].expanded, "id");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	/* A view's table columns, added by live context as further references. */
	read_col(&st, "analytics.v_customers", "*", NULL);
	sw_strv_push(&st.reads->cols[0].expanded, "cn");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_read_facts_add_col(st.reads, "app.customers", "card_number", NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "card");
	sw_stmt_free(&st);
	sw_policy_free(p);

	/* A column-name glob applies to every relation: an unexpanded `*` is always unknown. */
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: ssn, match: { column: ssn }, action: deny }\n"
		     "  - { id: ssn-ignore, match: { column: ssn2, when_unknown: ignore }, action: deny }\n");
	read_col(&st, "app.anything", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "ssn");
	sw_stmt_free(&st);
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: ssn-ignore, match: { column: ssn, when_unknown: ignore }, action: deny }\n");
	read_col(&st, "app.anything", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);

	/* Under `not:` an unknown stays unknown: an allow rule does not let an unexpanded `*` through. */
	p = load_str("sqlward_policy: 1\ndefault: deny\nrules:\n"
		     "  - { id: reads, match: { class: read, not: { column: ssn } }, action: allow }\n");
	read_col(&st, "app.anything", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	sw_strv_push(&st.reads->cols[0].expanded, "id");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "reads");
	sw_strv_push(&st.reads->cols[0].expanded, "ssn");
	expect(p, &agent, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
	/* ...and a deny rule with `not:` matches it. */
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: only-safe, match: { class: read, not: { not: { column: ssn } } }, action: deny }\n");
	read_col(&st, "app.anything", "*", NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "only-safe");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_read_tenant(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - id: tenant\n"
		"    match: { class: read, tenant: { column: tenant_id, relations: [\"app.*\", \"analytics_agent.*\"] } }\n"
		"    action: deny\n");
	struct sw_stmt st;
	struct sw_scan *sc;

	/* No read facts: unknown, denied. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.orders"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "tenant");
	/* Every scan of a listed relation constrained: allowed. */
	with_reads(&st, 10);
	sc = sw_read_facts_add_scan(st.reads, "app.orders");
	sw_strv_push(&sc->eq_columns, "status");
	expect(p, &agent, &st, SW_VERDICT_DENY, "tenant");
	sw_strv_push(&sc->eq_columns, "tenant_id");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* A relation outside the list needs no predicate. */
	sw_read_facts_add_scan(st.reads, "public.currencies");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	/* One unconstrained scan (a subquery, a UNION branch) is enough. */
	sw_read_facts_add_scan(st.reads, "analytics_agent.v_sales");
	expect(p, &agent, &st, SW_VERDICT_DENY, "tenant");
	sw_stmt_free(&st);
	/* Not a read: the rule's class does not match. */
	mk(&st, SW_CLASS_WRITE, "INSERT", 0, L("app.orders"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
	/* when_unknown: ignore lets statements without read facts through. */
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: t, match: { tenant: { column: tenant_id, relations: app.orders }, when_unknown: ignore }, "
		     "action: deny }\n");
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.orders"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	with_reads(&st, 10);
	sw_read_facts_add_scan(st.reads, "app.orders");
	expect(p, &agent, &st, SW_VERDICT_DENY, "t");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

/* range: a time window on event relations: a bound on either side counts; a pin counts too. */
static void test_read_range(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - id: window\n"
		"    match: { class: read, range: { column: created_at, relations: [\"app.events\"] } }\n"
		"    action: deny\n");
	struct sw_stmt st;
	struct sw_scan *sc;

	mk(&st, SW_CLASS_READ, "SELECT", 0, L("app.events"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "window");     /* no facts: unknown */
	with_reads(&st, 10);
	sc = sw_read_facts_add_scan(st.reads, "app.events");
	sw_strv_push(&sc->eq_columns, "created_at");           /* pinned only: not a range fact */
	expect(p, &agent, &st, SW_VERDICT_DENY, "window");
	sw_strv_push(&sc->range_columns, "created_at");
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	sw_read_facts_add_scan(st.reads, "app.events");        /* a second scan (self join) without one */
	expect(p, &agent, &st, SW_VERDICT_DENY, "window");
	sw_stmt_free(&st);
	sw_policy_free(p);
	{
		struct sw_policy *bad = NULL;
		char err[512];
		const char *y = "sqlward_policy: 1\ndefault: allow\nrules:\n"
				"  - { id: w, match: { range: { column: created_at } }, action: deny }\n";
		assert_int_equal(sw_policy_load_string(y, strlen(y), "mem.yaml", &bad, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "range needs `column:`"));
	}
}

static void test_read_limit(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: recursive, match: { class: read, recursive_unbounded: true }, action: deny }\n"
		"  - { id: limit, match: { class: read, limit_over: 1000 }, action: deny }\n");
	struct sw_stmt st;

	mk(&st, SW_CLASS_READ, "SELECT", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "recursive");   /* no read facts: unknown */
	with_reads(&st, -1);
	expect(p, &agent, &st, SW_VERDICT_DENY, "limit");       /* no LIMIT, LIMIT ALL */
	st.reads->limit = 1000;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	st.reads->limit = 0;
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	st.reads->limit = 1001;
	expect(p, &agent, &st, SW_VERDICT_DENY, "limit");
	st.reads->limit = 5;
	st.reads->limit_param = true;                            /* LIMIT $1 */
	expect(p, &agent, &st, SW_VERDICT_DENY, "limit");
	st.reads->limit_param = false;
	st.reads->limit_known = false;                           /* LIMIT (SELECT ...) */
	expect(p, &agent, &st, SW_VERDICT_DENY, "limit");
	st.reads->limit_known = true;
	st.reads->recursive_unbounded = true;
	expect(p, &agent, &st, SW_VERDICT_DENY, "recursive");
	sw_stmt_free(&st);
	sw_policy_free(p);
	/* An allow rule asks the opposite and never takes an unknown bound. */
	p = load_str("sqlward_policy: 1\ndefault: deny\nrules:\n"
		     "  - { id: bounded, match: { class: read, not: { limit_over: 100 } }, action: allow }\n");
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	with_reads(&st, 100);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, "bounded");
	st.reads->limit_param = true;
	expect(p, &agent, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_read_estimates(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: cost, match: { class: read, est_cost: \">1e6\" }, action: deny }\n"
		"  - { id: rows, match: { class: read, est_rows: \">100000\" }, action: hold }\n"
		"  - { id: wcost, match: { class: write, est_cost: \">1e6\" }, action: deny }\n");
	struct sw_stmt st;
	struct sw_live *lv;

	/* A read without live context: unknown (no DSN is no excuse), so the deny rule matches. */
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_DENY, "cost");
	lv = with_live(&st);
	lv->est_cost = sw_fact_known(1000);
	lv->est_rows = sw_fact_known(10);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv->est_cost = sw_fact_known(2e6);
	expect(p, &agent, &st, SW_VERDICT_DENY, "cost");
	lv->est_cost = sw_fact_known(1e6);
	lv->est_rows = sw_fact_known(200000);
	expect(p, &agent, &st, SW_VERDICT_HOLD, "rows");
	lv->est_cost = sw_fact_unknown;                          /* EXPLAIN failed */
	expect(p, &agent, &st, SW_VERDICT_DENY, "cost");
	sw_stmt_free(&st);
	/* A write without live context: live keys never match (as before). */
	mk(&st, SW_CLASS_WRITE, "DELETE", 0, L("t"), NULL, NULL);
	expect(p, &agent, &st, SW_VERDICT_ALLOW, SW_RULE_DEFAULT);
	lv = with_live(&st);
	lv->est_cost = sw_fact_known(5e6);
	expect(p, &agent, &st, SW_VERDICT_DENY, "wcost");
	sw_stmt_free(&st);
	sw_policy_free(p);

	/* What live context the policy asks for, and shape caching. */
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: big, match: { command: [UPDATE, DELETE], est_rows: \">10\" }, action: deny }\n");
	assert_int_equal(sw_policy_live_wants(p), 0);             /* writes only: reads cost no round trip */
	assert_false(sw_policy_literal_sensitive(p));
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: big, match: { class: read, est_rows: \">10\" }, action: deny }\n"
		     "  - { id: col, match: { column: ssn }, action: deny }\n");
	assert_int_equal(sw_policy_live_wants(p), SW_LIVE_WANT_READ_EST | SW_LIVE_WANT_COLUMNS);
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: cost, match: { est_cost: \">10\" }, action: deny }\n");
	assert_int_equal(sw_policy_live_wants(p), SW_LIVE_WANT_READ_EST);
	sw_policy_free(p);
	/* LIMIT 10 and LIMIT 100000 share a shape: limit_over is literal-sensitive, DSN or not. */
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: lim, match: { class: read, limit_over: 10 }, action: deny }\n");
	assert_true(sw_policy_literal_sensitive(p));
	assert_int_equal(sw_policy_live_wants(p), 0);
	sw_policy_free(p);
}

static void test_subject_keys(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: deny\n"
		"rules:\n"
		"  - { id: psql, match: { client_exe: [\"/usr/bin/psql\", \"*/psql\"] }, action: hold }\n"
		"  - { id: agent-reads, match: { class: read, application: \"analytics-agent*\" }, action: allow }\n");
	struct sw_subject s = agent;
	struct sw_stmt st;

	mk(&st, SW_CLASS_READ, "SELECT", 0, L("t"), NULL, NULL);
	/* Neither known: the hold rule matches (unknown, fail closed), the allow rule never does. */
	expect(p, &s, &st, SW_VERDICT_HOLD, "psql");
	s.client_exe = "/opt/agent/bin/python3";
	expect(p, &s, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	s.application = "analytics-agent/2.1";
	expect(p, &s, &st, SW_VERDICT_ALLOW, "agent-reads");
	s.application = "Analytics-Agent";                       /* case-sensitive */
	expect(p, &s, &st, SW_VERDICT_DENY, SW_RULE_DEFAULT);
	s.application = "analytics-agent";
	s.client_exe = "/usr/local/bin/psql";
	expect(p, &s, &st, SW_VERDICT_HOLD, "psql");
	sw_stmt_free(&st);
	sw_policy_free(p);
}

static void test_budget(void **state)
{
	(void)state;
	struct sw_policy *p = load_str(
		"sqlward_policy: 1\n"
		"default: allow\n"
		"rules:\n"
		"  - { id: reads, match: { class: read }, action: allow, budget: 30s }\n"
		"  - { id: writes, match: { class: write }, action: allow }\n");
	struct sw_stmt st;
	struct sw_judgement j;

	assert_int_equal(sw_policy_rule(p, "reads")->budget_ms, 30000);
	assert_int_equal(sw_policy_rule(p, "writes")->budget_ms, 0);
	mk(&st, SW_CLASS_READ, "SELECT", 0, L("t"), NULL, NULL);
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_string_equal(j.rule_id, "reads");
	assert_int_equal(j.budget_ms, 30000);
	st.cls = SW_CLASS_WRITE;
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_int_equal(j.budget_ms, 0);
	st.cls = SW_CLASS_DDL;
	sw_policy_judge_stmt(p, &agent, &st, &j);
	assert_string_equal(j.rule_id, SW_RULE_DEFAULT);
	assert_int_equal(j.budget_ms, 0);
	sw_stmt_free(&st);
	sw_policy_free(p);
	p = load_str("sqlward_policy: 1\ndefault: allow\nrules:\n"
		     "  - { id: r, match: { class: read }, action: allow, budget: 24h }\n");
	assert_int_equal(sw_policy_rule(p, "r")->budget_ms, 24u * 3600 * 1000);
	sw_policy_free(p);
}

static void test_read_keys_refused(void **state)
{
	(void)state;
	const char *head = "sqlward_policy: 1\ndefault: allow\nrules:\n  - id: a\n    action: deny\n    match: ";
	struct { const char *match, *prefix, *phrase; } cases[] = {
		{ "{ column: \"customers.\" }", "mem.yaml:6:", "empty column part" },
		{ "{ column: [ok, \".ssn\"] }", "mem.yaml:6:", "empty relation part" },
		{ "{ tenant: tenant_id }", "mem.yaml:6:", "tenant must be a mapping" },
		{ "{ tenant: { column: tenant_id } }", "mem.yaml:6:", "tenant needs `column:`" },
		{ "{ tenant: { column: \"tenant_*\", relations: app.t } }", "mem.yaml:6:", "must be one column name" },
		{ "{ tenant: { column: t, relations: [] } }", "mem.yaml:6:", "empty list" },
		{ "{ tenant: { column: t, relations: x, schema: y } }", "mem.yaml:6:", "unknown tenant key \"schema\"" },
		{ "{ limit_over: ten }", "mem.yaml:6:", "limit_over must be a whole number" },
		{ "{ limit_over: \"100\" }", "mem.yaml:6:", "limit_over must be a whole number" },
		{ "{ recursive_unbounded: sometimes }", "mem.yaml:6:", "recursive_unbounded must be true or false" },
		{ "{ est_cost: 1000 }", "mem.yaml:6:", "has no comparison" },
		{ "{ est_cost: \">1MB\" }", "mem.yaml:6:", "bad est_cost" },
		{ "{ class: read, not: { est_cost: \">1\" } }", "mem.yaml:6:", "cannot be used under `not:`" },
		{ "{ class: read, not: { column: x, when_unknown: match } }", "mem.yaml:6:", "move it out of `not:`" },
		{ "{ application: [] }", "mem.yaml:6:", "empty list" },
		{ "{ client_exe: { a: b } }", "mem.yaml:6:", "client_exe must be a value or a list" },
		{ "{ tables: x }", "mem.yaml:6:", "application, client_exe, tenant, limit_over" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *yaml = NULL;
		assert_true(asprintf(&yaml, "%s%s\n", head, cases[i].match) > 0);
		refused(yaml, cases[i].prefix, cases[i].phrase);
		free(yaml);
	}
	/* when_unknown is accepted with every key whose fact can be unknown. */
	const char *ok[] = { "{ column: ssn, when_unknown: ignore }", "{ application: x, when_unknown: ignore }",
			     "{ limit_over: 5, when_unknown: match }", "{ class: read, not: { column: x }, when_unknown: ignore }" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *yaml = NULL;
		assert_true(asprintf(&yaml, "%s%s\n", head, ok[i]) > 0);
		sw_policy_free(load_str(yaml));
		free(yaml);
	}
	/* budget: allow rules only, 1s..24h, with a unit. */
	struct { const char *rule, *prefix, *phrase; } rcases[] = {
		{ "  - { id: a, match: { class: read }, action: deny, budget: 30s }\n", "mem.yaml:4:",
		  "`budget:` only applies to allow rules" },
		{ "  - { id: a, match: { class: read }, action: allow, budget: 30 }\n", "mem.yaml:4:", "has no unit" },
		{ "  - { id: a, match: { class: read }, action: allow, budget: 25h }\n", "mem.yaml:4:", "a budget is 1s to 24h" },
		{ "  - { id: a, match: { class: read }, action: allow, budget: 0s }\n", "mem.yaml:4:", "out of range" },
		{ "  - { id: a, match: { class: read }, action: allow, budget: 1.5s }\n", "mem.yaml:4:", "bad budget" },
	};
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		char *yaml = NULL;
		assert_true(asprintf(&yaml, "sqlward_policy: 1\ndefault: allow\nrules:\n%s", rcases[i].rule) > 0);
		refused(yaml, rcases[i].prefix, rcases[i].phrase);
		free(yaml);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_sensitive),
		cmocka_unit_test(test_read_columns),
		cmocka_unit_test(test_read_star),
		cmocka_unit_test(test_read_tenant),
		cmocka_unit_test(test_read_range),
		cmocka_unit_test(test_read_limit),
		cmocka_unit_test(test_read_estimates),
		cmocka_unit_test(test_subject_keys),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_read_keys_refused),
		cmocka_unit_test(test_trusted_functions),
		cmocka_unit_test(test_freeze_windows),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_match_role_database),
		cmocka_unit_test(test_match_command),
		cmocka_unit_test(test_match_relation),
		cmocka_unit_test(test_match_relation_outside),
		cmocka_unit_test(test_match_function),
		cmocka_unit_test(test_match_column_trait),
		cmocka_unit_test(test_match_and_not),
		cmocka_unit_test(test_match_setting),
		cmocka_unit_test(test_match_setting_under_not),
		cmocka_unit_test(test_setting_key_refused),
		cmocka_unit_test(test_match_impact),
		cmocka_unit_test(test_match_live),
		cmocka_unit_test(test_impact_keys_refused),
		cmocka_unit_test(test_role_patterns),
		cmocka_unit_test(test_governs),
		cmocka_unit_test(test_too_many_govern_patterns),
		cmocka_unit_test(test_ungoverned_and_empty),
		cmocka_unit_test(test_most_severe),
		cmocka_unit_test(test_default_verdicts),
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_load_edge_cases),
		cmocka_unit_test(test_shipped_policies_load),
		cmocka_unit_test(test_digest_and_path),
		cmocka_unit_test(test_digest_known),
		cmocka_unit_test(test_hold_fields),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_default_policy_semantics),
		cmocka_unit_test(test_default_policy_impact),
		cmocka_unit_test(test_analytics_views),
		cmocka_unit_test(test_strict_read_only),
		cmocka_unit_test(test_observe_only),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
