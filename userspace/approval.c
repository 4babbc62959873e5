/* Approval state machine for one held statement (see approval.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "approval.h"
#include "util.h"

const char *sw_approval_state_name(enum sw_approval_state s)
{
	switch (s) {
	case SW_HOLD_PENDING: return "pending";
	case SW_HOLD_APPROVED: return "approved";
	case SW_HOLD_DENIED: return "denied";
	case SW_HOLD_TIMED_OUT: return "timed out";
	}
	return "?";
}

bool sw_actor_in(const struct sw_actor *who, const struct sw_strv *list)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const char *e = list->v[i];
		if (strncmp(e, "group:", 6) == 0) {
			for (size_t g = 0; g < who->n_groups; g++)
				if (strcmp(who->groups[g], e + 6) == 0)
					return true;
		} else if (strcmp(e, who->user) == 0) {
			return true;
		}
	}
	return false;
}

/* ---- the rules a hold carries ---- */

static struct sw_approval_rule *push_rule(struct sw_approval *a, const char *id)
{
	struct sw_approval_rule *r;

	a->rules = sw_xrealloc(a->rules, (a->n_rules + 1) * sizeof(*a->rules));
	r = &a->rules[a->n_rules++];
	memset(r, 0, sizeof(*r));
	r->id = id ? sw_xstrdup(id) : NULL;
	r->required = 1;
	r->timeout_s = SW_HOLD_TIMEOUT_DEFAULT_S;
	return r;
}

/* Fold the newest rule into the hold's combined requirement. */
static void combine(struct sw_approval *a, const struct sw_approval_rule *r)
{
	if (a->n_rules == 1 || r->required > a->required)
		a->required = r->required;
	if (a->n_rules == 1 || r->timeout_s < a->timeout_s)
		a->timeout_s = r->timeout_s;
	if (r->distinct_from > a->distinct_from)
		a->distinct_from = r->distinct_from;
	for (size_t i = 0; i < r->approvers.n; i++)
		sw_strv_push_unique(&a->approvers, r->approvers.v[i]);
}

void sw_approval_init(struct sw_approval *a, unsigned required, const struct sw_strv *approvers)
{
	memset(a, 0, sizeof(*a));
	a->required = 1;
	a->timeout_s = SW_HOLD_TIMEOUT_DEFAULT_S;
	if (required || approvers) {
		struct sw_approval_rule *r = push_rule(a, NULL);
		r->required = required ? required : 1;
		if (approvers)
			sw_strv_copy(&r->approvers, approvers);
		combine(a, r);
	}
}

void sw_approval_add_rule(struct sw_approval *a, const struct sw_rule *rule)
{
	const char *id = rule ? rule->id : SW_RULE_DEFAULT;
	struct sw_approval_rule *r;

	for (size_t i = 0; i < a->n_rules; i++)
		if (a->rules[i].id && strcmp(a->rules[i].id, id) == 0)
			return;
	r = push_rule(a, id);
	if (rule) {
		sw_strv_copy(&r->approvers, &rule->approvers);
		r->required = rule->approvals_required ? rule->approvals_required : 1;
		r->timeout_s = rule->timeout_s ? rule->timeout_s : SW_HOLD_TIMEOUT_DEFAULT_S;
		r->distinct_from = rule->approvers_distinct_from;
		r->webhook = rule->webhook ? sw_xstrdup(rule->webhook) : NULL;
		r->webhook_secret = rule->webhook_secret ? sw_xstrdup(rule->webhook_secret) : NULL;
	}
	combine(a, r);
}

void sw_approval_add_judged(struct sw_approval *a, const struct sw_policy *p, const struct sw_judgement *per_stmt,
			    size_t n, const struct sw_judgement *overall)
{
	size_t before = a->n_rules;

	for (size_t i = 0; per_stmt && i < n; i++)
		if (per_stmt[i].verdict == SW_VERDICT_HOLD)
			sw_approval_add_rule(a, sw_policy_rule(p, per_stmt[i].rule_id));
	if (a->n_rules == before && overall)
		sw_approval_add_rule(a, sw_policy_rule(p, overall->rule_id));
}

void sw_approval_set_requester(struct sw_approval *a, uid_t uid, const char *user, int pid)
{
	free(a->requester);
	a->requester_known = true;
	a->requester_uid = uid;
	a->requester = sw_xstrdup(user);
	a->requester_pid = pid;
}

void sw_approval_set_chain(struct sw_approval *a, const struct sw_client_chain *chain,
			   enum sw_distinct_from mode)
{
	const struct sw_chain_node *origin = sw_client_chain_origin(chain);

	a->chain_known = true;
	a->chain = *chain;
	if (mode > a->distinct_from)
		a->distinct_from = mode;
	free(a->requester);
	a->requester = NULL;
	a->requester_known = origin != NULL;
	if (origin) {
		a->requester_uid = origin->uid;
		a->requester = sw_xstrdup(origin->user);
		a->requester_pid = origin->pid;
	}
}

/* Does running this chain node bar its user from approving? */
static bool node_bars(const struct sw_approval *a, const struct sw_chain_node *n)
{
	if (n->kind != SW_CHAIN_PROCESS)
		return false;
	if (a->distinct_from == SW_DISTINCT_FROM_CHAIN || !a->chain.established)
		return true;
	return n->origin;
}

static bool runs(const struct sw_chain_node *n, const struct sw_actor *who)
{
	return n->uid == who->uid || strcmp(n->user, who->user) == 0;
}

const struct sw_chain_node *sw_approval_barred(const struct sw_approval *a, const struct sw_actor *who)
{
	const struct sw_chain_node *origin;

	if (!a->chain_known)
		return NULL;
	/* The origin first: being the sender is the stronger reason to name. */
	origin = sw_client_chain_origin(&a->chain);
	if (origin && runs(origin, who))
		return origin;
	for (size_t i = 0; i < a->chain.n_nodes; i++)
		if (node_bars(a, &a->chain.nodes[i]) && runs(&a->chain.nodes[i], who))
			return &a->chain.nodes[i];
	return NULL;
}

static json_t *strv_json(const struct sw_strv *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(arr, json_string(v->v[i]));
	return arr;
}

json_t *sw_approval_requester_json(const struct sw_approval *a)
{
	struct sw_strv users = { 0 };
	json_t *o;

	if (!a->chain_known)
		return json_null();
	for (size_t i = 0; i < a->chain.n_nodes; i++)
		if (node_bars(a, &a->chain.nodes[i]))
			sw_strv_push_unique(&users, a->chain.nodes[i].user);
	o = sw_client_chain_json(&a->chain);
	json_object_set_new(o, "approvers_distinct_from", json_string(sw_distinct_from_name(a->distinct_from)));
	json_object_set_new(o, "may_not_approve", strv_json(&users));
	sw_strv_free(&users);
	return o;
}

json_t *sw_approval_json(const struct sw_approval *a)
{
	json_t *rules = json_array(), *by = json_array();

	for (size_t i = 0; i < a->n_rules; i++) {
		const struct sw_approval_rule *r = &a->rules[i];
		json_array_append_new(rules, json_pack("{s:s?, s:o, s:b, s:i, s:i, s:s, s:b}", "rule", r->id,
						       "approvers", strv_json(&r->approvers), "root_only",
						       r->approvers.n == 0, "approvals_required", (int)r->required,
						       "timeout_s", (int)r->timeout_s, "approvers_distinct_from",
						       sw_distinct_from_name(r->distinct_from), "notifies", r->webhook != NULL));
	}
	for (size_t i = 0; i < a->n_entries; i++)
		json_array_append_new(by, json_string(a->entries[i].user));
	return json_pack("{s:s, s:i, s:i, s:i, s:o, s:s, s:o}", "state", sw_approval_state_name(a->state),
			 "required", (int)a->required, "received", (int)a->n_entries, "remaining",
			 a->n_entries < a->required ? (int)(a->required - a->n_entries) : 0, "approved_by", by,
			 "approvers_distinct_from", sw_distinct_from_name(a->distinct_from), "rules", rules);
}

/* Why who (running node n of the chain) may not approve, in msg. */
static void barred_message(const struct sw_approval *a, const struct sw_actor *who, const struct sw_chain_node *n,
			   char *msg, size_t len)
{
	char path[640], proc[192];

	sw_client_chain_describe(&a->chain, path, sizeof(path));
	sw_chain_node_describe(n, proc, sizeof(proc));
	if (a->chain.established && n->origin)
		snprintf(msg, len, "%s cannot approve this statement: %s owns the client process that sent it, %s "
			 "(connection: %s); another approver must decide", who->user, n->user, proc, path);
	else if (a->chain.established)
		snprintf(msg, len, "%s cannot approve this statement: its rule has approvers_distinct_from: chain "
			 "and the statement's connection passed through %s (connection: %s); another approver must "
			 "decide", who->user, proc, path);
	else
		snprintf(msg, len, "%s cannot approve this statement: who sent it could not be established (%s), "
			 "so every OS user whose process its connection passed through counts as the requester, and "
			 "%s runs %s (connection: %s); another approver must decide", who->user, a->chain.why,
			 who->user, proc, path);
}

void sw_approval_free(struct sw_approval *a)
{
	for (size_t i = 0; i < a->n_entries; i++) {
		free(a->entries[i].user);
		free(a->entries[i].comment);
	}
	free(a->entries);
	for (size_t i = 0; i < a->n_rules; i++) {
		free(a->rules[i].id);
		sw_strv_free(&a->rules[i].approvers);
		free(a->rules[i].webhook);
		if (a->rules[i].webhook_secret) {
			explicit_bzero(a->rules[i].webhook_secret, strlen(a->rules[i].webhook_secret));
			free(a->rules[i].webhook_secret);
		}
	}
	free(a->rules);
	sw_strv_free(&a->approvers);
	free(a->requester);
	free(a->decided_by);
	memset(a, 0, sizeof(*a));
}

/* ---- who may decide ---- */

static bool rule_allows(const struct sw_approval_rule *r, const struct sw_actor *who)
{
	return r->approvers.n ? sw_actor_in(who, &r->approvers) : who->uid == 0;
}

static void join(const struct sw_strv *v, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < v->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", v->v[i]);
}

/* "hold-writes, hold-ddl" */
static void rule_ids(const struct sw_approval *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < a->n_rules && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					a->rules[i].id ? a->rules[i].id : "?");
}

/* Why rule r does not let who approve. */
static void not_allowed(const struct sw_approval *a, const struct sw_approval_rule *r, const struct sw_actor *who,
			char *why, size_t len)
{
	char list[512], ids[512];
	int n;

	join(&r->approvers, list, sizeof(list));
	if (!r->id && r->approvers.n == 0)
		n = snprintf(why, len, "%s may not decide this hold: its rule names no approvers, so only root may "
			     "(name approvers in the rule's `approvers:` to delegate)", who->user);
	else if (!r->id)
		n = snprintf(why, len, "%s is not an approver for this hold (approvers: %s)", who->user, list);
	else if (r->approvers.n == 0)
		n = snprintf(why, len, "%s may not approve under rule %s: it names no approvers, so only root may "
			     "(name approvers in the rule's `approvers:` to delegate)", who->user, r->id);
	else
		n = snprintf(why, len, "%s is not an approver of rule %s (approvers: %s)", who->user, r->id, list);
	if (a->n_rules > 1 && n > 0 && (size_t)n < len) {
		rule_ids(a, ids, sizeof(ids));
		snprintf(why + n, len - (size_t)n, "; this statement was held by %zu rules (%s) and every approval "
			 "must come from an approver of each of them", a->n_rules, ids);
	}
}

bool sw_approval_may_decide(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len)
{
	if (a->n_rules == 0) {
		/* Nothing says who may: like a rule without approvers. */
		if (who->uid == 0)
			return true;
		snprintf(why, len, "%s may not decide this hold: it names no approvers, so only root may", who->user);
		return false;
	}
	for (size_t i = 0; i < a->n_rules; i++)
		if (!rule_allows(&a->rules[i], who)) {
			not_allowed(a, &a->rules[i], who, why, len);
			return false;
		}
	return true;
}

bool sw_approval_may_deny(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len)
{
	char lists[768];
	size_t off = 0;

	if (who->uid == 0)
		return true;
	for (size_t i = 0; i < a->n_rules; i++)
		if (rule_allows(&a->rules[i], who))
			return true;
	if (a->n_rules == 1) {
		sw_approval_may_decide(a, who, why, len);   /* names the rule and its approvers */
		return false;
	}
	lists[0] = 0;
	for (size_t i = 0; i < a->n_rules && off < sizeof(lists); i++) {
		char list[256];
		join(&a->rules[i].approvers, list, sizeof(list));
		off += (size_t)snprintf(lists + off, sizeof(lists) - off, "%s%s: %s", i ? "; " : "",
					a->rules[i].id ? a->rules[i].id : "?", list[0] ? list : "root only");
	}
	snprintf(why, len, "%s may not deny this hold: they are not an approver of any of its rules (%s); "
		 "only root or an approver of one of them may stop it", who->user, a->n_rules ? lists : "none");
	return false;
}

static void set_decided_by(struct sw_approval *a, const char *who)
{
	free(a->decided_by);
	a->decided_by = sw_xstrdup(who);
}

static void more_needed(const struct sw_approval *a, char *buf, size_t len)
{
	unsigned more = a->required - (unsigned)a->n_entries;
	snprintf(buf, len, "%u more distinct approver%s needed", more, more == 1 ? " is" : "s are");
}

enum sw_approval_result sw_approval_decide(struct sw_approval *a, const struct sw_actor *who, bool approve,
					   const char *comment, const struct timespec *now,
					   char *msg, size_t msglen)
{
	const struct sw_chain_node *barred;
	struct sw_approval_entry *e;
	char more[64];

	msg[0] = 0;
	if (a->state != SW_HOLD_PENDING) {
		snprintf(msg, msglen, "this hold was already decided (%s)", sw_approval_state_name(a->state));
		return SW_APPROVAL_ALREADY_DECIDED;
	}
	if (!approve) {
		if (!sw_approval_may_deny(a, who, msg, msglen))
			return SW_APPROVAL_REFUSED;
		a->state = SW_HOLD_DENIED;
		set_decided_by(a, who->user);
		snprintf(msg, msglen, "denied by %s", who->user);
		return SW_APPROVAL_DENIED;
	}
	if (!sw_approval_may_decide(a, who, msg, msglen))
		return SW_APPROVAL_REFUSED;
	if ((barred = sw_approval_barred(a, who))) {
		barred_message(a, who, barred, msg, msglen);
		return SW_APPROVAL_REFUSED;
	}
	if (!a->chain_known && a->requester_known &&
	    (who->uid == a->requester_uid || strcmp(who->user, a->requester) == 0)) {
		snprintf(msg, msglen, "%s cannot approve this statement: %s owns the client process that sent it "
			 "(pid %d); another approver must decide", who->user, a->requester, a->requester_pid);
		return SW_APPROVAL_REFUSED;
	}
	for (size_t i = 0; i < a->n_entries; i++)
		if (strcmp(a->entries[i].user, who->user) == 0) {
			more_needed(a, more, sizeof(more));
			snprintf(msg, msglen, "%s already approved this statement; %s", who->user, more);
			return SW_APPROVAL_REFUSED;
		}
	a->entries = sw_xrealloc(a->entries, (a->n_entries + 1) * sizeof(*a->entries));
	e = &a->entries[a->n_entries++];
	e->user = sw_xstrdup(who->user);
	e->comment = comment ? sw_xstrdup(comment) : NULL;
	e->when = *now;
	if (a->n_entries < a->required) {
		more_needed(a, more, sizeof(more));
		snprintf(msg, msglen, "approval by %s recorded; %s", who->user, more);
		return SW_APPROVAL_RECORDED;
	}
	a->state = SW_HOLD_APPROVED;
	{
		struct sw_sbuf b = { 0 };
		for (size_t i = 0; i < a->n_entries; i++)
			sw_sbuf_printf(&b, "%s%s", i ? "," : "", a->entries[i].user);
		set_decided_by(a, b.s);
		free(b.s);
	}
	snprintf(msg, msglen, "approved by %s", a->decided_by);
	return SW_APPROVAL_RELEASED;
}

enum sw_approval_result sw_approval_timeout(struct sw_approval *a)
{
	if (a->state != SW_HOLD_PENDING)
		return SW_APPROVAL_ALREADY_DECIDED;
	a->state = SW_HOLD_TIMED_OUT;
	set_decided_by(a, "sqlward");
	return SW_APPROVAL_TIMED_OUT;
}
