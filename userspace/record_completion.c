/* A statement record's embedded completion, as a completion record (see record_completion.h). */
#include <string.h>
#include "record_completion.h"

json_t *sw_record_embedded_completion(json_t *rec)
{
	static const char *const from_statement[] = { "seq", "hash", "engine", "pid", "role", "database", "client",
						       "session" };
	json_t *c = json_object_get(rec, "completion"), *out, *seq;
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (!json_is_object(c) || !type || strcmp(type, "statement") != 0)
		return NULL;
	out = json_object();
	for (size_t i = 0; i < sizeof(from_statement) / sizeof(from_statement[0]); i++) {
		json_t *v = json_object_get(rec, from_statement[i]);
		if (v)
			json_object_set(out, from_statement[i], v);
	}
	json_object_set_new(out, "type", json_string("completion"));
	seq = json_object_get(rec, "seq");
	if (seq)
		json_object_set(out, "statement_seq", seq);
	json_object_set_new(out, "embedded", json_true());
	/* Its own members last: time, outcome, rows... are the completion's, not the statement's. */
	json_object_update(out, c);
	return out;
}
