/* `sqlward doctor`'s findings and their text and JSON forms (see doctor_report.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "doctor_report.h"
#include "util.h"

static const char *const status_names[SW_DOCTOR__COUNT] = { "ok", "warn", "fail", "skip" };

const char *sw_doctor_status_name(enum sw_doctor_status s)
{
	return s < SW_DOCTOR__COUNT ? status_names[s] : "?";
}

struct sw_doctor_check *sw_doctor_add(struct sw_doctor_report *r, const char *name, enum sw_doctor_status status,
				      const char *fmt, ...)
{
	struct sw_doctor_check *c;
	va_list ap;

	r->checks = sw_xrealloc(r->checks, (r->n + 1) * sizeof(*r->checks));
	c = &r->checks[r->n++];
	c->name = sw_xstrdup(name);
	c->status = status;
	va_start(ap, fmt);
	c->detail = sw_xvasprintf(fmt, ap);
	va_end(ap);
	c->fix = NULL;
	return c;
}

void sw_doctor_fix(struct sw_doctor_check *c, const char *fmt, ...)
{
	va_list ap;

	free(c->fix);
	va_start(ap, fmt);
	c->fix = sw_xvasprintf(fmt, ap);
	va_end(ap);
}

void sw_doctor_report_free(struct sw_doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].name);
		free(r->checks[i].detail);
		free(r->checks[i].fix);
	}
	free(r->checks);
	r->checks = NULL;
	r->n = 0;
}

size_t sw_doctor_count(const struct sw_doctor_report *r, enum sw_doctor_status s)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->checks[i].status == s;
	return n;
}

bool sw_doctor_ready(const struct sw_doctor_report *r)
{
	return sw_doctor_count(r, SW_DOCTOR_FAIL) == 0;
}

/* A fix is shown only where something is to be done. */
static const char *shown_fix(const struct sw_doctor_check *c)
{
	return (c->status == SW_DOCTOR_WARN || c->status == SW_DOCTOR_FAIL) && c->fix && c->fix[0] ? c->fix : NULL;
}

json_t *sw_doctor_report_json(const struct sw_doctor_report *r)
{
	json_t *checks = json_array(), *summary = json_object();

	for (size_t i = 0; i < r->n; i++) {
		const struct sw_doctor_check *c = &r->checks[i];
		const char *fix = shown_fix(c);
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:o}", "name", c->name, "status",
							sw_doctor_status_name(c->status), "detail", c->detail, "fix",
							fix ? json_string(fix) : json_null()));
	}
	for (int s = 0; s < SW_DOCTOR__COUNT; s++)
		json_object_set_new(summary, status_names[s], json_integer((json_int_t)sw_doctor_count(r, s)));
	return json_pack("{s:o, s:o, s:b}", "checks", checks, "summary", summary, "ready", sw_doctor_ready(r));
}

void sw_doctor_report_text(const struct sw_doctor_report *r, FILE *out)
{
	int width = 4;
	size_t fixes = 0;

	for (size_t i = 0; i < r->n; i++) {
		int len = (int)strlen(r->checks[i].name);
		if (len > width)
			width = len;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct sw_doctor_check *c = &r->checks[i];
		fprintf(out, "%-4s  %-*s  %s\n", sw_doctor_status_name(c->status), width, c->name, c->detail);
		fixes += shown_fix(c) != NULL;
	}
	if (fixes) {
		fprintf(out, "\nfixes:\n");
		for (size_t i = 0; i < r->n; i++) {
			const char *fix = shown_fix(&r->checks[i]);
			if (fix)
				fprintf(out, "  %s (%s): %s\n", r->checks[i].name,
					sw_doctor_status_name(r->checks[i].status), fix);
		}
	}
	fprintf(out, "\n%zu checks: %zu ok, %zu warn, %zu fail, %zu skipped: %s\n", r->n,
		sw_doctor_count(r, SW_DOCTOR_OK), sw_doctor_count(r, SW_DOCTOR_WARN), sw_doctor_count(r, SW_DOCTOR_FAIL),
		sw_doctor_count(r, SW_DOCTOR_SKIP),
		sw_doctor_ready(r) ? "ready to deploy" : "NOT ready: apply the fixes above, then run sqlward doctor again");
}
