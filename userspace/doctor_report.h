/*
 * What `sqlward doctor` found: one entry per check (name, status, what was
 * found, and for warn/fail the exact fix), rendered as aligned text or as the
 * documented JSON object
 *   {"checks":[{"name","status","detail","fix"}],
 *    "summary":{"ok":N,"warn":N,"fail":N,"skip":N},"ready":bool}
 * where status is "ok", "warn", "fail" or "skip", fix is null for ok and
 * skip, and ready is true when no check failed.
 */
#ifndef SQLWARD_DOCTOR_REPORT_H
#define SQLWARD_DOCTOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

enum sw_doctor_status {
	SW_DOCTOR_OK,
	SW_DOCTOR_WARN,     /* sqlward runs, with something missing or to look at */
	SW_DOCTOR_FAIL,     /* `sqlward run` would refuse, or would not gate what it should */
	SW_DOCTOR_SKIP,     /* could not be checked here (says why) or does not apply */
	SW_DOCTOR__COUNT
};

struct sw_doctor_check {
	char *name;
	enum sw_doctor_status status;
	char *detail;
	char *fix;          /* NULL for ok and skip */
};

struct sw_doctor_report {
	struct sw_doctor_check *checks;
	size_t n;
};

/* Append a check; detail is printf-style. Returns it (to add a fix). */
struct sw_doctor_check *sw_doctor_add(struct sw_doctor_report *r, const char *name, enum sw_doctor_status status,
				      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Set (replace) a check's fix, printf-style. */
void sw_doctor_fix(struct sw_doctor_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_doctor_report_free(struct sw_doctor_report *r);

const char *sw_doctor_status_name(enum sw_doctor_status s);
size_t sw_doctor_count(const struct sw_doctor_report *r, enum sw_doctor_status s);
/* No check failed. */
bool sw_doctor_ready(const struct sw_doctor_report *r);

/* The JSON object described above (new reference). */
json_t *sw_doctor_report_json(const struct sw_doctor_report *r);
/* One aligned line per check, then the fixes, then a summary line. */
void sw_doctor_report_text(const struct sw_doctor_report *r, FILE *out);

#endif
