/*
 * The ledger fields that say who is asking, the same for every engine:
 * "application_name", "client_exe", "client_cmdline" and "request_id"
 * (README, "The ledger"). Each is left out when unknown or empty.
 */
#ifndef SQLWARD_WHO_FIELDS_H
#define SQLWARD_WHO_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "json_writer.h"
#include "request_id.h"

/* Add the known fields to *extra (an object, made when NULL and a field is known). NULL or "": unknown. */
void sw_who_fields_add(json_t **extra, const char *application, const char *client_exe, const char *client_cmdline,
		       const char *request_id);

/*
 * A session's application_name, client_exe and client_cmdline rendered once
 * for all its records (a jansson object per statement was ~13k instructions of
 * an observed statement's ~93k, bench/PROFILE-2026-12.md): each value exactly
 * as sw_who_fields_add + the record writer would write it. It keeps the values
 * it was rendered from, so sw_who_cache_update notices a change however the
 * field was changed. Zero-initialised: empty, rendered at the first update.
 */
enum { SW_WHO_APPLICATION, SW_WHO_CLIENT_EXE, SW_WHO_CLIENT_CMDLINE, SW_WHO__COUNT };
struct sw_who_cache {
	bool valid;                         /* rendered from value[] */
	char *value[SW_WHO__COUNT];         /* what was rendered ("" for unknown) */
	char *json[SW_WHO__COUNT];          /* the JSON string written for it; NULL: left out */
	size_t json_len[SW_WHO__COUNT];
	char app_request_id[SW_REQUEST_ID_MAX + 1];   /* "request=ID" in application_name; "" none */
};
/* Render again if any value differs from what is cached (NULL or "": unknown). */
void sw_who_cache_update(struct sw_who_cache *c, const char *application, const char *client_exe,
			 const char *client_cmdline);
/* Forget it (a new connection on the same pid starts empty). */
void sw_who_cache_free(struct sw_who_cache *c);

/*
 * The who fields of one record: a session's rendered values and the
 * statement's request id, written among the record's other extra members
 * where sw_who_fields_add would have put them: before the extra member
 * numbered `at` (the extras there when they were taken), after all when
 * there are fewer. Zero-initialised: none.
 */
struct sw_who_ref {
	const struct sw_who_cache *fields;  /* NULL: none */
	const char *request_id;             /* NULL or "": none */
	size_t at;
};
/* Its members into an object being written. */
void sw_who_ref_write(struct sw_jw *w, const struct sw_who_ref *r);
/* The same members as jansson values, inserted into *extra at r->at (made when NULL and any is known):
 * for what keeps its extras as an object (a hold). */
void sw_who_ref_into_extra(json_t **extra, const struct sw_who_ref *r);

#endif
