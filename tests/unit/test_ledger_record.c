/* One builder per ledger record type: each record's members and their order (the hash chain covers it). */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "ledger_record.h"

/* The record's keys in order, comma-separated, and "time" checked present. */
static void assert_keys(json_t *rec, const char *want)
{
	char got[512] = "";
	const char *k;
	json_t *v;

	assert_non_null(rec);
	assert_true(json_is_string(json_object_get(rec, "time")));
	json_object_foreach(rec, k, v) {
		if (*got)
			strcat(got, ",");
		strcat(got, k);
	}
	assert_string_equal(got, want);
	json_decref(rec);
}

static const struct sw_hold_ref hold = {
	.hold_id = 7, .hold = "h-7", .hold_seq = 3, .statement_sha256 = "ab", .pid = 42, .role = "agent_x",
};

static void hold_records(void **state)
{
	json_t *cmds = json_array();
	(void)state;
	/* A NULL comment is written as null (json_pack "s?"), as it always was. */
	assert_keys(sw_hold_note_record("approval", &hold, "alice", NULL, "1 of 2"),
		    "type,time,hold_id,hold_seq,statement_sha256,pid,role,user,comment,message,hold");
	assert_keys(sw_hold_note_record("approval_refused", &hold, "bob", "no", "not an approver"),
		    "type,time,hold_id,hold_seq,statement_sha256,pid,role,user,comment,message,hold");
	assert_keys(sw_stale_refusal_record(7, "h-7", NULL, "bob", NULL, "gone"),
		    "type,time,hold_id,hold,statement_sha256,user,comment,message,stale");
	assert_keys(sw_hold_unresolved_record(3, 42, "agent_x", "ab", "2026-01-01T00:00:00.000000Z", "unknown", "w"),
		    "type,time,hold_seq,pid,role,statement_sha256,held_at,outcome,comment");
	assert_keys(sw_outcome_record(&(struct sw_outcome_facts){ .hold = &hold, .outcome = "failed", .commands = cmds,
								  .sqlstate = "57014", .message = "m", .comment = "c" }),
		    "type,time,hold_id,hold_seq,statement_sha256,pid,role,outcome,commands,rows,ran_ms,hold,"
		    "sqlstate,message,comment");
	json_decref(cmds);
}

static void other_records(void **state)
{
	struct timespec t = { 0, 0 };
	struct sw_webhook_failure f = { .when = &t, .webhook = "https://x", .event = "held", .hold_id = "h-7",
					.error = "503", .attempts = 3 };
	json_t *w;
	(void)state;
	assert_keys(sw_failure_mode_record(42, "agent_x", "cancelled", "refused", 0, ""),
		    "type,time,event,pid,role,outcome,action");
	assert_keys(sw_failure_mode_record(42, "agent_x", "cancelled", "refused", 7, "ab"),
		    "type,time,event,pid,role,outcome,action,hold_id,statement_sha256");
	w = sw_webhook_failed_record(&f, 2);
	assert_string_equal(json_string_value(json_object_get(w, "time")), "1970-01-01T00:00:00.000000Z");
	assert_keys(w, "type,time,webhook,event,hold_id,attempts,error,more_failures_not_recorded");
	assert_keys(sw_webhook_failed_record(NULL, 5), "type,time,more_failures_not_recorded");
	assert_keys(sw_gap_record(2, json_pack("{s:i}", "statement", 2), "a", "b", NULL, NULL),
		    "type,time,lost,kinds,first_time,last_time");
	assert_keys(sw_gap_record(1, json_object(), "", "", "c", "ENOSPC"), "type,time,lost,kinds,failing_since,error");
	assert_keys(sw_continuation_record(9, "ff", "moved", "n"), "type,time,continues_seq,continues_head,reason,note");
	assert_keys(sw_daemon_record("stop", json_pack("{s:s, s:s}", "event", "x", "why", "y")), "type,time,event,why");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hold_records),
		cmocka_unit_test(other_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
