/*
 * The approval state machine of one held statement: who may decide, how
 * many distinct approvals release it, and that the requester never approves
 * their own statement (nor, when who sent it is unclear or the rule says so,
 * anyone whose process the statement's connection passed through). Pure
 * logic: the daemon serializes every call (one event loop), so "approve and
 * timeout at the same instant" is whichever call comes first; the second gets
 * SW_APPROVAL_ALREADY_DECIDED.
 *
 * A hold carries EVERY rule that held a part of its string (a multi-statement
 * string is approved under all its rules, so an easy rule first cannot carry
 * a hard one through): an approval counts only from someone every rule allows
 * (a rule without approvers: root only), the largest approvals_required is
 * needed, the shortest timeout applies, the strictest approvers_distinct_from
 * bars, and every rule's webhook is told. Denying is open to anyone one of
 * the rules allows, and always to root: stopping a statement is the safe way.
 */
#ifndef SQLWARD_APPROVAL_H
#define SQLWARD_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include "client_owner.h"
#include "policy.h"
#include "statement.h"

enum sw_approval_state { SW_HOLD_PENDING = 0, SW_HOLD_APPROVED, SW_HOLD_DENIED, SW_HOLD_TIMED_OUT };

enum sw_approval_result {
	SW_APPROVAL_RECORDED = 0,    /* approval counted; more distinct approvers needed */
	SW_APPROVAL_RELEASED,        /* enough approvals: the statement runs */
	SW_APPROVAL_DENIED,          /* denied: the statement is cancelled */
	SW_APPROVAL_TIMED_OUT,       /* nobody decided in time: cancelled */
	SW_APPROVAL_REFUSED,         /* the caller may not do this (msg says why) */
	SW_APPROVAL_ALREADY_DECIDED, /* a decision was already taken */
};

/* Who is asking, as the kernel vouches for it (SO_PEERCRED). */
struct sw_actor {
	uid_t uid;
	const char *user;            /* login name, or "uid:N" */
	const char *const *groups;   /* names of every group the user is in */
	size_t n_groups;
};

/* Is who named in list ("user" entries by login name, "group:NAME" by membership)? */
bool sw_actor_in(const struct sw_actor *who, const struct sw_strv *list);

struct sw_approval_entry {
	char *user;
	char *comment;
	struct timespec when;
};

/* One rule that held the statement, and what it asks of an approval. */
struct sw_approval_rule {
	char *id;                    /* rule id; "default" for the policy's default verdict; NULL: unnamed */
	struct sw_strv approvers;    /* "user" / "group:name"; empty: only root approves */
	unsigned required;           /* distinct approvals it needs (>= 1) */
	unsigned timeout_s;          /* its hold timeout */
	enum sw_distinct_from distinct_from;
	char *webhook;               /* notify.webhook, or NULL */
	char *webhook_secret;        /* notify.secret_file's contents, or NULL */
};

struct sw_approval {
	enum sw_approval_state state;
	unsigned required;           /* the largest approvals_required of its rules (>= 1) */
	unsigned timeout_s;          /* the shortest timeout of its rules */
	struct sw_strv approvers;    /* every rule's approvers, for display (who may approve: rules[]) */
	struct sw_approval_rule *rules;
	size_t n_rules;              /* 0: nothing added yet, decided like a rule without approvers */
	bool requester_known;        /* the client process was found on this host */
	uid_t requester_uid;
	char *requester;             /* its owner's name */
	int requester_pid;
	bool chain_known;            /* sw_approval_set_chain was called: chain decides, not requester_* */
	enum sw_distinct_from distinct_from;  /* the strictest approvers_distinct_from in force */
	struct sw_client_chain chain;         /* the connection's chain when the statement was held */
	struct sw_approval_entry *entries;
	size_t n_entries;
	char *decided_by;            /* who denied, or the approvers joined with ',' */
};

/*
 * Start an approval. With required > 0 or approvers, one unnamed rule with
 * those approvers (the single-rule form); with (0, NULL) none: add every rule
 * that held the statement with sw_approval_add_rule / sw_approval_add_judged.
 */
void sw_approval_init(struct sw_approval *a, unsigned required, const struct sw_strv *approvers);
/* Add a rule that held the statement (r NULL: the policy's `default: hold`,
 * root only, default timeout). A rule already added (same id) counts once. */
void sw_approval_add_rule(struct sw_approval *a, const struct sw_rule *r);
/*
 * Add the rule of every statement judged hold in per_stmt[0..n) (a string's
 * parts), looked up in p; when none is a hold, overall's rule. The daemon
 * calls this once when it creates a hold, after sw_approval_init(a, 0, NULL).
 */
void sw_approval_add_judged(struct sw_approval *a, const struct sw_policy *p, const struct sw_judgement *per_stmt,
			    size_t n, const struct sw_judgement *overall);
void sw_approval_set_requester(struct sw_approval *a, uid_t uid, const char *user, int pid);

/*
 * Who sent the statement, for the self-approval rule: the chain of its
 * connection (sw_client_chain, taken when the hold is created, while the
 * backend is stopped) and the rule's approvers_distinct_from (the strictest
 * of mode and the added rules' applies). Who may not approve:
 *   requester: the origin process's user when the chain is established, else
 *              every user of every process in the chain (any could be the sender);
 *   chain:     every user of every process in the chain, always.
 * Denying stays open to them. Sets requester_* to the origin when established.
 */
void sw_approval_set_chain(struct sw_approval *a, const struct sw_client_chain *chain,
			   enum sw_distinct_from mode);

/* The chain node that bars this actor from approving (they run it), or NULL. */
const struct sw_chain_node *sw_approval_barred(const struct sw_approval *a, const struct sw_actor *who);

/*
 * The dossier's view of the requester: {"established", "why", "approvers_distinct_from",
 * "may_not_approve": [users], "backend_pid", "truncated", "nodes": [...]}
 * (nodes as sw_client_chain_json); JSON null before sw_approval_set_chain.
 */
json_t *sw_approval_requester_json(const struct sw_approval *a);
/*
 * What the approval needs and has: {"state", "required", "received", "remaining",
 * "approved_by": [users], "approvers_distinct_from", "rules": [{"rule", "approvers",
 * "root_only", "approvals_required", "timeout_s", "approvers_distinct_from", "notifies"}]}.
 * Webhook URLs and secrets are not in it.
 */
json_t *sw_approval_json(const struct sw_approval *a);
void sw_approval_free(struct sw_approval *a);

/* May this actor approve (every rule allows them)? false with the reason, naming the rule, in why. */
bool sw_approval_may_decide(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len);
/* May this actor deny (root, or one of the rules allows them)? false with the reason in why. */
bool sw_approval_may_deny(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len);

enum sw_approval_result sw_approval_decide(struct sw_approval *a, const struct sw_actor *who, bool approve,
					   const char *comment, const struct timespec *now,
					   char *msg, size_t msglen);
enum sw_approval_result sw_approval_timeout(struct sw_approval *a);
const char *sw_approval_state_name(enum sw_approval_state s);

#endif
