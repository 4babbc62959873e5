/*
 * Which local process (and OS user) is on the other end of a backend's
 * client connection: used so nobody approves their own statement.
 */
#ifndef SQLWARD_CLIENT_OWNER_H
#define SQLWARD_CLIENT_OWNER_H

#include <stdbool.h>
#include <sys/types.h>

struct sw_client_owner {
	int pid;          /* the client process on this host */
	uid_t uid;        /* its real uid */
	char user[64];    /* its login name, or "uid:N" */
};

/*
 * Find the client process of backend_pid's connection (TCP over loopback or
 * a Unix socket). false when the client is not on this host or cannot be found.
 */
bool sw_client_owner(int backend_pid, struct sw_client_owner *out);

/* Has the client closed the backend's TCP connection (CLOSE_WAIT)? Unix sockets: not detected. */
bool sw_client_gone(int backend_pid);

#endif
