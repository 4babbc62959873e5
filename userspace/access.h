/*
 * Separate powers on the control socket. Reaching the socket (its group)
 * confers nothing: every request is checked against the caller's SO_PEERCRED
 * identity and the policy.
 *
 *   read the queue (pending, show, status): root and `access: queue_readers:`;
 *       an approver sees only the holds they may decide (pending lists them,
 *       show shows them), since they must read what they approve;
 *   approve: someone every rule of the hold allows (approval.h);
 *   deny: root, or an approver of one of the hold's rules;
 *   switch the freeze: root and `freeze: operators:`; read its state: those
 *       and the queue readers;
 *   read the ledger: root and `access: ledger_readers:`, by file access the
 *       daemon grants (ledger_access.h).
 */
#ifndef SQLWARD_ACCESS_H
#define SQLWARD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include "approval.h"
#include "policy.h"

enum sw_power {
	SW_POWER_READ_QUEUE,     /* every held statement, and status */
	SW_POWER_READ_FREEZE,    /* freeze status */
	SW_POWER_SWITCH_FREEZE,  /* freeze on / off */
};

/* May who use this power? false with why (who asked, what they may not do, who may). */
bool sw_access_may(const struct sw_policy *p, enum sw_power what, const struct sw_actor *who, char *why, size_t len);
/* Is who an approver named by any hold rule of p? */
bool sw_access_is_approver(const struct sw_policy *p, const struct sw_actor *who);
/* May who see this hold: a queue reader, or someone who may deny it (root, an approver of one of its rules)? */
bool sw_access_may_see_hold(const struct sw_policy *p, const struct sw_approval *a, const struct sw_actor *who);

#endif
