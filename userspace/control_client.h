/* Talking to a running daemon's control socket. */
#ifndef SQLWARD_CONTROL_CLIENT_H
#define SQLWARD_CONTROL_CLIENT_H

#include <stddef.h>
#include <jansson.h>

/* Send one request, return the parsed reply (caller decrefs) or NULL with a message on stderr. */
json_t *sw_control_call(const char *socket_path, json_t *req);
const char *sw_control_socket_path(const char *opt);
/*
 * Why connect(2) to the socket at path failed with errno err, in words that
 * tell "you may not use it" (EACCES/EPERM: who owns the socket or the
 * directory in the way, and the group that would let you in) from "no daemon"
 * (ENOENT, ECONNREFUSED), and what to do.
 */
void sw_control_unreachable(const char *path, int err, char *msg, size_t len);

#endif
