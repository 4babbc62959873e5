/* Talking to a running daemon's control socket. */
#ifndef SQLWARD_CONTROL_CLIENT_H
#define SQLWARD_CONTROL_CLIENT_H

#include <jansson.h>

/* Send one request, return the parsed reply (caller decrefs) or NULL with a message on stderr. */
json_t *sw_control_call(const char *socket_path, json_t *req);
const char *sw_control_socket_path(const char *opt);

#endif
