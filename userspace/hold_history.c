/* Decided holds, read from the ledger (see hold_history.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "hold_history.h"
#include "hold_id.h"
#include "ledger.h"
#include "util.h"

struct sw_hold_history {
	struct sw_hold_fate *ring;     /* SW_HOLD_HISTORY_MAX, allocated as it fills */
	size_t n, next;                /* entries held; where the next one goes */
	uint32_t run_tags[SW_HOLD_HISTORY_RUNS];
	size_t n_run_tags, next_run_tag;
	unsigned runs;                 /* daemon start records read */
	/* Where reading stopped, and which file that was. */
	off_t offset;
	dev_t dev;
	ino_t ino;
};

struct sw_hold_history *sw_hold_history_new(void)
{
	return sw_xcalloc(1, sizeof(struct sw_hold_history));
}

void sw_hold_history_free(struct sw_hold_history *h)
{
	if (!h)
		return;
	free(h->ring);
	free(h);
}

static void remember_run_tag(struct sw_hold_history *h, uint32_t tag)
{
	if (!tag || sw_hold_history_run_seen(h, tag))
		return;
	h->run_tags[h->next_run_tag] = tag;
	h->next_run_tag = (h->next_run_tag + 1) % SW_HOLD_HISTORY_RUNS;
	if (h->n_run_tags < SW_HOLD_HISTORY_RUNS)
		h->n_run_tags++;
}

void sw_hold_history_add(struct sw_hold_history *h, const struct sw_hold_fate *f)
{
	if (!h->ring)
		h->ring = sw_xcalloc(SW_HOLD_HISTORY_MAX, sizeof(*h->ring));
	h->ring[h->next] = *f;
	h->next = (h->next + 1) % SW_HOLD_HISTORY_MAX;
	if (h->n < SW_HOLD_HISTORY_MAX)
		h->n++;
	remember_run_tag(h, sw_hold_id_run(f->id));
}

const struct sw_hold_fate *sw_hold_history_find(const struct sw_hold_history *h, uint64_t id)
{
	/* Newest first: an old run's plain counter may have been reused. */
	for (size_t k = 1; k <= h->n; k++) {
		const struct sw_hold_fate *f = &h->ring[(h->next + SW_HOLD_HISTORY_MAX - k) % SW_HOLD_HISTORY_MAX];
		if (f->id == id)
			return f;
	}
	return NULL;
}

unsigned sw_hold_history_runs(const struct sw_hold_history *h)
{
	return h->runs;
}

size_t sw_hold_history_size(const struct sw_hold_history *h)
{
	return h->n;
}

bool sw_hold_history_run_seen(const struct sw_hold_history *h, uint32_t run_tag)
{
	for (size_t i = 0; i < h->n_run_tags; i++)
		if (h->run_tags[i] == run_tag)
			return true;
	return false;
}

static void copy_str(char *dst, size_t len, json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	snprintf(dst, len, "%s", s ? s : "");
}

/* A record's "hold_id": a number, or an id in text. */
static bool record_hold_id(json_t *rec, uint64_t *id)
{
	json_t *v = json_object_get(rec, "hold_id");
	bool bare;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*id = (uint64_t)json_integer_value(v);
		return true;
	}
	return json_is_string(v) && sw_hold_id_parse(json_string_value(v), id, &bare) == 0;
}

/* One ledger line: a daemon start, a decision of a hold, or nothing we keep. */
static void feed_line(struct sw_hold_history *h, const char *line, size_t len)
{
	struct sw_hold_fate f = { .run = h->runs };
	struct timespec now = { 0 };
	const char *type, *outcome, *time_s;
	json_t *rec;

	/* Most lines are statements that were never held: skip them without parsing. */
	if (memmem(line, len, "\"type\":\"daemon\"", 15) && memmem(line, len, "\"event\":\"start\"", 15)) {
		h->runs++;
		return;
	}
	if (!memmem(line, len, "\"hold_id\":", 10) || !(rec = json_loadb(line, len, JSON_DISABLE_EOF_CHECK, NULL)))
		return;
	type = json_string_value(json_object_get(rec, "type"));
	outcome = json_string_value(json_object_get(rec, "outcome"));
	time_s = json_string_value(json_object_get(rec, "time"));
	if (type && outcome && strcmp(type, "outcome") == 0 && record_hold_id(rec, &f.id)) {
		/* What an approved statement then did (completed, cancelled by the server, ...). */
		const struct sw_hold_fate *old = sw_hold_history_find(h, f.id);
		if (old) {
			struct sw_hold_fate n = *old;
			copy_str(n.outcome, sizeof(n.outcome), rec, "outcome");
			sw_hold_history_add(h, &n);
		}
		goto out;
	}
	if (!type || !outcome || !time_s || strcmp(outcome, "held") == 0 || !record_hold_id(rec, &f.id) ||
	    (strcmp(type, "statement") != 0 && strcmp(type, "failure_mode") != 0))
		goto out;
	f.daemon_died = strcmp(type, "failure_mode") == 0;
	copy_str(f.sha256, sizeof(f.sha256), rec, "statement_sha256");
	copy_str(f.outcome, sizeof(f.outcome), rec, "outcome");
	copy_str(f.rule, sizeof(f.rule), rec, "rule");
	if (f.daemon_died) {
		snprintf(f.decided_by, sizeof(f.decided_by), "sqlward watchdog");
		copy_str(f.comment, sizeof(f.comment), rec, "action");
	} else {
		const char *v = json_string_value(json_object_get(rec, "verdict"));
		f.approved = v && strcmp(v, "allow") == 0;
		copy_str(f.decided_by, sizeof(f.decided_by), rec, "decided_by");
		copy_str(f.comment, sizeof(f.comment), rec, "comment");
	}
	if (sw_parse_time(time_s, &now, &f.when) == 0 && !f.daemon_died) {
		/* A decision record carries the statement's arrival time; it was decided held_us later. */
		json_int_t us = json_integer_value(json_object_get(rec, "held_us"));
		f.when.tv_sec += (time_t)(us / 1000000);
		f.when.tv_nsec += (long)(us % 1000000) * 1000;
		if (f.when.tv_nsec >= 1000000000) {
			f.when.tv_sec++;
			f.when.tv_nsec -= 1000000000;
		}
	}
	sw_hold_history_add(h, &f);
out:
	json_decref(rec);
}

int sw_hold_history_update(struct sw_hold_history *h, const char *ledger_path, char *err, size_t errlen)
{
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(ledger_path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the ledger %s for the history of decided holds: %s", ledger_path,
			 strerror(errno));
		return -1;
	}
	/* Another file (rotated: its first record continues the chain) or a truncated one:
	 * read it from the start. What was read before stays remembered. */
	if (fstat(fileno(f), &st) == 0 &&
	    (st.st_dev != h->dev || st.st_ino != h->ino || st.st_size < h->offset)) {
		h->offset = 0;
		h->dev = st.st_dev;
		h->ino = st.st_ino;
	}
	if (fseeko(f, h->offset, SEEK_SET) != 0) {
		snprintf(err, errlen, "cannot seek in the ledger %s: %s", ledger_path, strerror(errno));
		fclose(f);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;   /* being written: read it next time */
		h->offset += n;
		feed_line(h, line, (size_t)n - 1);
	}
	free(line);
	fclose(f);
	return 0;
}

void sw_hold_fate_describe(const struct sw_hold_fate *f, unsigned current_run, char *buf, size_t len)
{
	char id[SW_HOLD_ID_TEXT_MAX], at[32];
	struct tm tm;
	bool earlier = current_run && f->run && f->run < current_run;
	int n;

	sw_hold_id_format(f->id, id, sizeof(id));
	gmtime_r(&f->when.tv_sec, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (f->daemon_died) {
		snprintf(buf, len, "hold %s belonged to a previous daemon run that died; its watchdog refused it at "
			 "%s (outcome %s)", id, at, f->outcome);
		return;
	}
	if (strncmp(f->comment, "sqlward daemon stopping", 23) == 0) {
		snprintf(buf, len, "hold %s belonged to a previous daemon run and was refused when it stopped, at %s "
			 "(outcome %s)", id, at, f->outcome);
		return;
	}
	if (f->approved)
		n = snprintf(buf, len, "hold %s was approved by %s at %s (outcome %s)", id, f->decided_by, at,
			     f->outcome);
	else if (strcmp(f->outcome, "timed_out") == 0)
		n = snprintf(buf, len, "hold %s timed out at %s: nobody decided before its rule's timeout, so it was "
			     "refused", id, at);
	else if (strcmp(f->outcome, "abandoned") == 0 && strcmp(f->decided_by, "server") == 0)
		n = snprintf(buf, len, "hold %s was abandoned at %s: %s", id, at,
			     f->comment[0] ? f->comment : "the server thread ended while it was held");
	else if (strcmp(f->outcome, "abandoned") == 0)
		n = snprintf(buf, len, "hold %s was abandoned at %s: its client disconnected while it was held", id, at);
	else if (strcmp(f->decided_by, "sqlward") == 0 || !f->decided_by[0])
		n = snprintf(buf, len, "hold %s was refused by sqlward at %s (%s; outcome %s)", id, at,
			     f->comment[0] ? f->comment : "no reason recorded", f->outcome);
	else
		n = snprintf(buf, len, "hold %s was denied by %s at %s (outcome %s)", id, f->decided_by, at, f->outcome);
	if (earlier && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", in a previous daemon run");
}
