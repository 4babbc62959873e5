/*
 * A hold as JSON (`sqlward pending`/`show`, the dossier) and what can be
 * told of it without moving it. Reads a struct sw_hold only: below holds.c,
 * so hold_view.c can show a hold without depending on the queue.
 */
#ifndef SQLWARD_HOLD_JSON_H
#define SQLWARD_HOLD_JSON_H

#include "daemon_state.h"

json_t *sw_hold_json(const struct sw_daemon *d, const struct sw_hold *h, uint64_t now_ns);
/* The approvals given so far: [{"user", "time", "comment"}]. */
json_t *sw_hold_approvals_json(const struct sw_approval *a);
/* Will PostgreSQL cancel it the moment it is released (its statement_timeout ran out while held)? */
bool sw_hold_server_cancels(const struct sw_hold *h, uint64_t now_ns);

#endif
