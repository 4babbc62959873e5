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

void sw_approval_init(struct sw_approval *a, unsigned required, const struct sw_strv *approvers)
{
	memset(a, 0, sizeof(*a));
	a->required = required ? required : 1;
	if (approvers)
		sw_strv_copy(&a->approvers, approvers);
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

json_t *sw_approval_requester_json(const struct sw_approval *a)
{
	json_t *o, *users = json_array();

	if (!a->chain_known) {
		json_decref(users);
		return json_null();
	}
	for (size_t i = 0; i < a->chain.n_nodes; i++) {
		const struct sw_chain_node *n = &a->chain.nodes[i];
		bool seen = false;
		if (!node_bars(a, n))
			continue;
		for (size_t j = 0; j < json_array_size(users); j++)
			seen |= strcmp(json_string_value(json_array_get(users, j)), n->user) == 0;
		if (!seen)
			json_array_append_new(users, json_string(n->user));
	}
	o = sw_client_chain_json(&a->chain);
	json_object_set_new(o, "approvers_distinct_from", json_string(sw_distinct_from_name(a->distinct_from)));
	json_object_set_new(o, "may_not_approve", users);
	return o;
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
	sw_strv_free(&a->approvers);
	free(a->requester);
	free(a->decided_by);
	memset(a, 0, sizeof(*a));
}

static bool actor_listed(const struct sw_approval *a, const struct sw_actor *who)
{
	for (size_t i = 0; i < a->approvers.n; i++) {
		const char *e = a->approvers.v[i];
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

static void join_approvers(const struct sw_approval *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < a->approvers.n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", a->approvers.v[i]);
}

bool sw_approval_may_decide(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len)
{
	char list[512];

	if (a->approvers.n == 0) {
		if (who->uid == 0)
			return true;
		snprintf(why, len, "%s may not decide this hold: its rule names no approvers, so only root may "
			 "(name approvers in the rule's `approvers:` to delegate)", who->user);
		return false;
	}
	if (actor_listed(a, who))
		return true;
	join_approvers(a, list, sizeof(list));
	snprintf(why, len, "%s is not an approver for this hold (approvers: %s)", who->user, list);
	return false;
}

static void set_decided_by(struct sw_approval *a, const char *who)
{
	free(a->decided_by);
	a->decided_by = sw_xstrdup(who);
}

enum sw_approval_result sw_approval_decide(struct sw_approval *a, const struct sw_actor *who, bool approve,
					   const char *comment, const struct timespec *now,
					   char *msg, size_t msglen)
{
	const struct sw_chain_node *barred;
	struct sw_approval_entry *e;

	msg[0] = 0;
	if (a->state != SW_HOLD_PENDING) {
		snprintf(msg, msglen, "this hold was already decided (%s)", sw_approval_state_name(a->state));
		return SW_APPROVAL_ALREADY_DECIDED;
	}
	if (!sw_approval_may_decide(a, who, msg, msglen))
		return SW_APPROVAL_REFUSED;
	if (!approve) {
		a->state = SW_HOLD_DENIED;
		set_decided_by(a, who->user);
		snprintf(msg, msglen, "denied by %s", who->user);
		return SW_APPROVAL_DENIED;
	}
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
			snprintf(msg, msglen, "%s already approved this statement; %u more distinct approver%s needed",
				 who->user, a->required - (unsigned)a->n_entries,
				 a->required - a->n_entries == 1 ? " is" : "s are");
			return SW_APPROVAL_REFUSED;
		}
	a->entries = sw_xrealloc(a->entries, (a->n_entries + 1) * sizeof(*a->entries));
	e = &a->entries[a->n_entries++];
	e->user = sw_xstrdup(who->user);
	e->comment = comment ? sw_xstrdup(comment) : NULL;
	e->when = *now;
	if (a->n_entries < a->required) {
		snprintf(msg, msglen, "approval by %s recorded; %u more distinct approver%s needed", who->user,
			 a->required - (unsigned)a->n_entries, a->required - a->n_entries == 1 ? " is" : "s are");
		return SW_APPROVAL_RECORDED;
	}
	a->state = SW_HOLD_APPROVED;
	{
		char buf[1024];
		size_t off = 0;
		buf[0] = 0;
		for (size_t i = 0; i < a->n_entries && off < sizeof(buf); i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "", a->entries[i].user);
		set_decided_by(a, buf);
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
