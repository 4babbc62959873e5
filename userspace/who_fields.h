/*
 * The ledger fields that say who is asking, the same for every engine:
 * "application_name", "client_exe", "client_cmdline" and "request_id"
 * (README, "The ledger"). Each is left out when unknown or empty.
 */
#ifndef SQLWARD_WHO_FIELDS_H
#define SQLWARD_WHO_FIELDS_H

#include <jansson.h>

/* Add the known fields to *extra (an object, made when NULL and a field is known). NULL or "": unknown. */
void sw_who_fields_add(json_t **extra, const char *application, const char *client_exe, const char *client_cmdline,
		       const char *request_id);

#endif
