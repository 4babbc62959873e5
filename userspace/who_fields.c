/* The ledger fields that say who is asking (who_fields.h). */
#include "who_fields.h"
#include "json_text.h"

static void put(json_t **extra, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	if (!*extra)
		*extra = json_object();
	json_object_set_new(*extra, key, sw_json_text(value));
}

void sw_who_fields_add(json_t **extra, const char *application, const char *client_exe, const char *client_cmdline,
		       const char *request_id)
{
	put(extra, "application_name", application);
	put(extra, "client_exe", client_exe);
	put(extra, "client_cmdline", client_cmdline);
	put(extra, "request_id", request_id);
}
