/* `sqlward run`: the gate daemon. */
#ifndef SQLWARD_DAEMON_H
#define SQLWARD_DAEMON_H

#include "daemon_opts.h"

int sw_daemon_run(const struct sw_daemon_opts *o);

#endif
