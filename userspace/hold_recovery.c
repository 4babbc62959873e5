/* Holds a previous daemon left undecided (see hold_recovery.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "hold_recovery.h"
#include "util.h"

static void copy(char *dst, size_t len, json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	snprintf(dst, len, "%s", v ? v : "");
}

int sw_hold_recovery_scan(const char *ledger_path, size_t max_bytes, struct sw_dangling_hold **out, char *err,
			  size_t errlen)
{
	FILE *f = fopen(ledger_path, "r");
	struct sw_dangling_hold *v = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	ssize_t len;
	struct stat st;
	bool skip_partial = false;

	*out = NULL;
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", ledger_path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size > max_bytes) {
		fseeko(f, st.st_size - (off_t)max_bytes, SEEK_SET);
		skip_partial = true;
	}
	while ((len = getline(&line, &lcap, f)) > 0) {
		json_t *rec;
		const char *type, *outcome;
		if (skip_partial) {
			skip_partial = false;
			continue;
		}
		/* Only records about holds: held, decided, resolved by a watchdog. */
		if (!strstr(line, "\"held\"") && !strstr(line, "\"hold_seq\"") && !strstr(line, "failure_mode"))
			continue;
		if (!(rec = json_loadb(line, (size_t)len, JSON_DISABLE_EOF_CHECK, NULL)))
			continue;
		type = json_string_value(json_object_get(rec, "type"));
		outcome = json_string_value(json_object_get(rec, "outcome"));
		if (type && strcmp(type, "statement") == 0 && outcome && strcmp(outcome, "held") == 0) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				v = sw_xrealloc(v, cap * sizeof(*v));
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
			v[n].pid = (int)json_integer_value(json_object_get(rec, "pid"));
			copy(v[n].role, sizeof(v[n].role), rec, "role");
			copy(v[n].sha256, sizeof(v[n].sha256), rec, "statement_sha256");
			copy(v[n].time, sizeof(v[n].time), rec, "time");
			n++;
		} else if (json_is_integer(json_object_get(rec, "hold_seq"))) {
			/* A decision (or a note) about the hold whose held record has this seq. */
			uint64_t s = (uint64_t)json_integer_value(json_object_get(rec, "hold_seq"));
			const char *t = type ? type : "";
			if (strcmp(t, "statement") == 0 || strcmp(t, "hold_unresolved") == 0)
				for (size_t i = 0; i < n; i++)
					if (v[i].seq == s) {
						v[i] = v[--n];
						break;
					}
		} else if (type && strcmp(type, "failure_mode") == 0) {
			/* The watchdog refused what this pid was held at. */
			int pid = (int)json_integer_value(json_object_get(rec, "pid"));
			const char *sha = json_string_value(json_object_get(rec, "statement_sha256"));
			for (size_t i = 0; i < n;) {
				if (v[i].pid == pid && (!sha || strcmp(sha, v[i].sha256) == 0))
					v[i] = v[--n];
				else
					i++;
			}
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	*out = v;
	return (int)n;
}
