/*
 * Acting on a change of the freeze (manual switch, policy window, reload):
 * above holds.c, since a freeze refuses the holds it covers. The freeze as
 * it stands is read with sw_daemon_frozen (daemon_state.h).
 */
#ifndef SQLWARD_DAEMON_FREEZE_H
#define SQLWARD_DAEMON_FREEZE_H

struct sw_daemon;

/* Re-evaluate the freeze: on a change, flush the kernel cache, deny frozen holds, record it
 * (source: "start", "manual", "schedule", "policy reload"). */
void sw_daemon_freeze_changed(struct sw_daemon *d, const char *source);

#endif
