/* Policy lifetime, accessors and verdict names (loading: policy_load.c, matching: policy_match.c). */
#include <stdlib.h>
#include <string.h>
#include "policy_internal.h"

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
	       strcmp(id, SW_RULE_EMPTY) == 0;
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
	for (size_t i = 0; i < p->n_govern; i++)
		free((char *)p->govern_text[i]);
	free(p->govern_text);
	free(p->govern);
	free(p->path);
	free(p->description);
	free(p->live_dsn);
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

const char *sw_policy_live_dsn(const struct sw_policy *p)
{
	return p->live_dsn;
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
	return p->literal_sensitive && p->live_dsn;
}
