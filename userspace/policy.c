/* Policy lifetime, accessors and verdict names (loading: policy_load.c, matching: policy_match.c). */
#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <string.h>
#include "pg_functions.h"
#include "policy_internal.h"
#include "util.h"

static const char *const verdict_names[] = { "allow", "hold", "deny" };

const char *sw_verdict_name(enum sw_verdict v)
{
	return (unsigned)v <= SW_VERDICT_DENY ? verdict_names[v] : "deny";
}

bool sw_verdict_parse(const char *name, enum sw_verdict *out)
{
	for (unsigned i = 0; i <= SW_VERDICT_DENY; i++)
		if (strcmp(name, verdict_names[i]) == 0) {
			*out = (enum sw_verdict)i;
			return true;
		}
	return false;
}

bool sw_rule_id_reserved(const char *id)
{
	return strcmp(id, SW_RULE_DEFAULT) == 0 || strcmp(id, SW_RULE_UNGOVERNED) == 0 ||
	       strcmp(id, SW_RULE_EMPTY) == 0 || strcmp(id, SW_RULE_PLAN) == 0;
}

void sw_match_free(struct sw_match *m)
{
	if (!m)
		return;
	sw_strv_free(&m->role);
	sw_strv_free(&m->database);
	sw_strv_free(&m->command);
	sw_strv_free(&m->relation);
	sw_strv_free(&m->relation_outside);
	sw_strv_free(&m->function);
	sw_strv_free(&m->column);
	sw_strv_free(&m->application);
	sw_strv_free(&m->client_exe);
	sw_strv_free(&m->tenant_relations);
	free(m->tenant_column);
	sw_strv_free(&m->range_relations);
	free(m->range_column);
	sw_match_free(m->not);
	free(m);
}

void sw_policy_free(struct sw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		struct sw_rule *r = &p->rules[i];
		free(r->id);
		free(r->description);
		free(r->reason);
		sw_strv_free(&r->approvers);
		free(r->webhook);
		free(r->webhook_secret_file);
		if (r->webhook_secret) {
			explicit_bzero(r->webhook_secret, strlen(r->webhook_secret));
			free(r->webhook_secret);
		}
		sw_match_free(r->match);
	}
	free(p->rules);
	for (size_t i = 0; i < p->n_freeze_windows; i++)
		free(p->freeze_windows[i].reason);
	free(p->freeze_windows);
	sw_strv_free(&p->freeze_operators);
	sw_strv_free(&p->queue_readers);
	sw_strv_free(&p->ledger_readers);
	sw_strv_free(&p->plans.approvers);
	for (size_t i = 0; i < p->plans.n_keys; i++) {
		free(p->plans.keys[i].name);
		free(p->plans.keys[i].path);
	}
	free(p->plans.keys);
	for (size_t i = 0; i < p->n_govern; i++)
		free((char *)p->govern_text[i]);
	free(p->govern_text);
	free(p->govern);
	free(p->path);
	free(p->description);
	free(p->live_dsn);
	free(p->live_mysql_dsn);
	for (size_t i = 0; i < p->n_trusted; i++) {
		free(p->trusted[i].schema);
		free(p->trusted[i].name);
		free(p->trusted[i].owner);
	}
	free(p->trusted);
	free(p);
}

const char *sw_policy_digest(const struct sw_policy *p)
{
	return p->digest;
}

const char *sw_policy_path(const struct sw_policy *p)
{
	return p->path;
}

/* Does every function schema.name belong to a role matching glob? */
static bool owned_by(const char *glob, const char *schema, const char *name, sw_owner_fn owners, void *ctx, char *why,
		     size_t whylen)
{
	struct sw_strv o = { 0 };
	bool ok;

	if (!owners || !owners(ctx, schema, name, &o)) {
		if (why)
			snprintf(why, whylen, "%s.%s is not trusted: who owns it could not be read from the live catalog",
				 schema, name);
		sw_strv_free(&o);
		return false;
	}
	ok = o.n > 0;
	for (size_t i = 0; i < o.n && ok; i++)
		if (fnmatch(glob, o.v[i], 0) != 0) {
			ok = false;
			if (why)
				snprintf(why, whylen, "%s.%s is not trusted: it is owned by %s, not by \"%s\"", schema, name,
					 o.v[i], glob);
		}
	if (!o.n && why)
		snprintf(why, whylen, "%s.%s is not trusted: no such function in the live catalog", schema, name);
	sw_strv_free(&o);
	return ok;
}

bool sw_policy_function_trusted(const struct sw_policy *p, const char *function, bool *record, sw_owner_fn owners,
				void *ctx, char *why, size_t whylen)
{
	const char *dot = function ? strrchr(function, '.') : NULL;
	char schema[128];

	*record = false;
	if (why && whylen)
		why[0] = 0;
	if (!dot || dot == function || (size_t)(dot - function) >= sizeof(schema))
		return false;   /* only a schema-qualified call names the code that was vetted */
	memcpy(schema, function, (size_t)(dot - function));
	schema[dot - function] = 0;
	for (size_t i = 0; i < p->n_trusted; i++) {
		if (fnmatch(p->trusted[i].schema, schema, FNM_CASEFOLD) != 0 ||
		    fnmatch(p->trusted[i].name, dot + 1, FNM_CASEFOLD) != 0)
			continue;
		if (p->trusted[i].owner && !owned_by(p->trusted[i].owner, schema, dot + 1, owners, ctx, why, whylen))
			continue;
		*record = p->trusted[i].record;
		return true;
	}
	return false;
}

/*
 * `trusted_functions`: a statement whose only unknown functions are trusted
 * ones is not unknown_function. Returns true when every one of them is trusted
 * with `nested: record` (what they run is recorded without judgment).
 */
bool sw_policy_apply_trust(const struct sw_policy *policy, struct sw_analysis *a, sw_owner_fn owners, void *ctx)
{
	bool any = false, all_record = true;

	/* PostgreSQL only: the MariaDB gate judges without trusted_functions, and PostgreSQL's catalog
	 * (which clears its own builtins below) names nothing of MariaDB's: `check --engine mysql` and
	 * plans must judge as that gate does (a MariaDB CURRENT_USER() or VERSION() is unknown there). */
	if (a->engine != SW_ENGINE_POSTGRES)
		return false;
	for (size_t i = 0; i < a->n_stmts; i++) {
		struct sw_stmt *st = &a->stmts[i];
		bool all_trusted = true;
		if (!(st->traits & SW_TRAIT_UNKNOWN_FUNCTION))
			continue;
		for (size_t k = 0; k < st->functions.n; k++) {
			const char *f = st->functions.v[k], *dot = strrchr(f, '.');
			char schema[128] = "", why[256];
			bool record;
			if (dot && (size_t)(dot - f) < sizeof(schema)) {
				memcpy(schema, f, (size_t)(dot - f));
				schema[dot - f] = 0;
			}
			if (sw_pg_func_lookup(dot ? schema : NULL, dot ? dot + 1 : f))
				continue;   /* known to the classifier: not what made it unknown */
			if (!sw_policy_function_trusted(policy, f, &record, owners, ctx, why, sizeof(why))) {
				if (why[0])
					sw_strv_push(&st->reasons, why);
				all_trusted = false;
				continue;
			}
			any = true;
			all_record &= record;
			{
				char *r = sw_xasprintf("calls %s, trusted by the policy (trusted_functions%s)", f,
						       record ? ", nested: record" : "");
				sw_strv_push(&st->reasons, r);
				free(r);
			}
		}
		if (all_trusted)
			st->traits &= ~(unsigned)SW_TRAIT_UNKNOWN_FUNCTION;
		else
			all_record = false;
	}
	return any && all_record;
}

const char *sw_policy_live_dsn(const struct sw_policy *p)
{
	return p->live_dsn;
}

const char *sw_policy_live_mysql_dsn(const struct sw_policy *p)
{
	return p->live_mysql_dsn;
}

const char *sw_policy_description(const struct sw_policy *p)
{
	return p->description;
}

enum sw_verdict sw_policy_default(const struct sw_policy *p)
{
	return p->dflt;
}

size_t sw_policy_n_rules(const struct sw_policy *p)
{
	return p->n_rules;
}

const struct sw_rule *sw_policy_rule_at(const struct sw_policy *p, size_t i)
{
	return i < p->n_rules ? &p->rules[i] : NULL;
}

const struct sw_rule *sw_policy_rule(const struct sw_policy *p, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].id, id) == 0)
			return &p->rules[i];
	return NULL;
}

bool sw_policy_governs(const struct sw_policy *p, const char *role)
{
	if (!role)
		return false;
	for (size_t i = 0; i < p->n_govern; i++)
		if (sw_role_pattern_match(&p->govern[i], role))
			return true;
	return false;
}

size_t sw_policy_govern_patterns(const struct sw_policy *p, const char *const **patterns)
{
	if (patterns)
		*patterns = p->govern_text;
	return p->n_govern;
}

bool sw_policy_literal_sensitive(const struct sw_policy *p)
{
	/* Set at load when a rule uses a live-context key (est_rows, table_size, ...); the
	 * other keys read identifiers and statement structure only, never a literal's value. */
	/* Without a `live:` DSN no live fact is ever known, so those rules never match. */
	return p->literal_sensitive_always || (p->literal_sensitive && p->live_dsn);
}
