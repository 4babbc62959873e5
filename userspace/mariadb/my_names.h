/*
 * A MariaDB connection's names (login user, client host, matched account) as
 * the probe reports them, kept per connection by the gate: an ungoverned
 * connection's commands after its first come without them
 * (SW_MY_EV_NAMELESS, bpf/mariadb.h). When the gate has none for a
 * connection (its first event was lost to a full ring buffer), they are read
 * from the THD in mariadbd's memory the way the probe reads them.
 */
#ifndef SQLWARD_MY_NAMES_H
#define SQLWARD_MY_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "mariadb.h"

struct sw_my_names {
	char user[SW_MY_NAME_MAX];
	char host[SW_MY_NAME_MAX];
	char priv_user[SW_MY_NAME_MAX];
	char priv_host[SW_MY_NAME_MAX];
};

/* The names in an event that carries them (NUL-terminated whatever the event holds). */
void sw_my_names_of_event(const struct sw_my_event *ev, struct sw_my_names *out);
/* Into an event that came without them. */
void sw_my_names_to_event(const struct sw_my_names *n, struct sw_my_event *ev);
/* Read from the THD at `thd` in process `pid` (offsets: L). False (names empty) when the login's
 * security context cannot be read; a name that cannot be read is empty. */
bool sw_my_names_read(pid_t pid, const struct sw_my_bin_layout *L, uint64_t thd, struct sw_my_names *out);

#endif
