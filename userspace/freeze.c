/* The manual freeze and its state file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "freeze.h"
#include "json_file.h"
#include "ledger.h"
#include "util.h"

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct timespec ts = { .tv_sec = t };
	sw_format_time(&ts, buf, len);
}

json_t *sw_freeze_json(const struct sw_freeze *f)
{
	char since[64], until[64];
	fmt_time(f->since, since, sizeof(since));
	fmt_time(f->until, until, sizeof(until));
	return json_pack("{s:b, s:s, s:s, s:s, s:s?}", "on", f->on, "reason", f->reason, "by", f->by,
			 "since", since, "until", f->until ? until : NULL);
}

bool sw_freeze_active(const struct sw_freeze *f, time_t t)
{
	return f->on && (!f->until || t < f->until);
}

int sw_freeze_load(const char *path, struct sw_freeze *f, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *fr;
	struct timespec now = { 0 }, ts;

	memset(f, 0, sizeof(*f));
	if (access(path, F_OK) != 0)
		return 0;
	j = json_load_file(path, 0, &je);
	if (!j) {
		snprintf(err, errlen, "state file %s is unreadable (%s, line %d); fix or remove it "
			 "(it only holds the freeze switch)", path, je.text, je.line);
		return -1;
	}
	fr = json_object_get(j, "freeze");
	if (json_is_object(fr)) {
		const char *s;
		f->on = json_is_true(json_object_get(fr, "on"));
		snprintf(f->reason, sizeof(f->reason), "%s", (s = json_string_value(json_object_get(fr, "reason"))) ? s : "");
		snprintf(f->by, sizeof(f->by), "%s", (s = json_string_value(json_object_get(fr, "by"))) ? s : "");
		if ((s = json_string_value(json_object_get(fr, "since"))) && sw_parse_time(s, &now, &ts) == 0)
			f->since = ts.tv_sec;
		if ((s = json_string_value(json_object_get(fr, "until"))) && sw_parse_time(s, &now, &ts) == 0)
			f->until = ts.tv_sec;
	}
	json_decref(j);
	return 0;
}

int sw_freeze_save(const char *path, const struct sw_freeze *f, char *err, size_t errlen)
{
	json_t *j = json_pack("{s:o}", "freeze", sw_freeze_json(f));
	char why[512];
	int rc = sw_json_save_atomic(j, path, JSON_INDENT(2), 0640, why, sizeof(why));

	if (rc < 0)
		snprintf(err, errlen, "cannot save the state file: %s", why);
	json_decref(j);
	return rc;
}
