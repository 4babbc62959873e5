/*
 * Ledger records as OCSF 1.2.0 "Datastore Activity" events (class_uid 6005,
 * category 6 Application Activity, with the security_control profile), one
 * JSON object per record, for SIEM shippers (`sqlward log --format ocsf`).
 * README "Incident review" documents every field and the ledger field it
 * comes from; tests/ocsf_validate.py checks events against that list.
 */
#ifndef SQLWARD_OCSF_H
#define SQLWARD_OCSF_H

#include <jansson.h>
#include "log_session.h"

#define SW_OCSF_SCHEMA_VERSION "1.2.0"
#define SW_OCSF_CLASS_UID 6005
#define SW_OCSF_CATEGORY_UID 6

#ifndef SQLWARD_VERSION
#define SQLWARD_VERSION "0.1.0"
#endif

/* Does a record of this type become an event? (statement, completion, session_start,
 * session_end and the hold notes do; daemon, gap and continuation records do not:
 * they are about the ledger and the daemon, which `sqlward verify` answers for.) */
bool sw_ocsf_maps_type(const char *type);
/* The event for rec (of session s, or NULL), or NULL for a type that is not mapped. */
json_t *sw_ocsf_event(json_t *rec, const struct sw_log_session *s);

#endif
