/*
 * The approval state machine of one held statement: who may decide, how
 * many distinct approvals release it, and that the requester never approves
 * their own statement (nor, when who sent it is unclear or the rule says so,
 * anyone whose process the statement's connection passed through). Pure
 * logic: the daemon serializes every call (one event loop), so "approve and
 * timeout at the same instant" is whichever call comes first; the second gets
 * SW_APPROVAL_ALREADY_DECIDED.
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

struct sw_approval_entry {
	char *user;
	char *comment;
	struct timespec when;
};

struct sw_approval {
	enum sw_approval_state state;
	unsigned required;           /* distinct approvals needed (>= 1) */
	struct sw_strv approvers;    /* "user" / "group:name"; empty: only root decides */
	bool requester_known;        /* the client process was found on this host */
	uid_t requester_uid;
	char *requester;             /* its owner's name */
	int requester_pid;
	bool chain_known;            /* sw_approval_set_chain was called: chain decides, not requester_* */
	enum sw_distinct_from distinct_from;  /* the rule's approvers_distinct_from */
	struct sw_client_chain chain;         /* the connection's chain when the statement was held */
	struct sw_approval_entry *entries;
	size_t n_entries;
	char *decided_by;            /* who denied, or the approvers joined with ',' */
};

void sw_approval_init(struct sw_approval *a, unsigned required, const struct sw_strv *approvers);
void sw_approval_set_requester(struct sw_approval *a, uid_t uid, const char *user, int pid);

/*
 * Who sent the statement, for the self-approval rule: the chain of its
 * connection (sw_client_chain, taken when the hold is created, while the
 * backend is stopped) and the rule's approvers_distinct_from. Who may not approve:
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
void sw_approval_free(struct sw_approval *a);

/* May this actor decide at all? false with the reason in why. */
bool sw_approval_may_decide(const struct sw_approval *a, const struct sw_actor *who, char *why, size_t len);

enum sw_approval_result sw_approval_decide(struct sw_approval *a, const struct sw_actor *who, bool approve,
					   const char *comment, const struct timespec *now,
					   char *msg, size_t msglen);
enum sw_approval_result sw_approval_timeout(struct sw_approval *a);
const char *sw_approval_state_name(enum sw_approval_state s);

#endif
