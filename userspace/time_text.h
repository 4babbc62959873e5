/* Times as ledger records write them ("time") and as people type them (--since). */
#ifndef SQLWARD_TIME_TEXT_H
#define SQLWARD_TIME_TEXT_H

#include <stddef.h>
#include <time.h>

/* RFC 3339 UTC with microseconds: 2026-11-21T13:20:00.123456Z */
void sw_format_time(const struct timespec *ts, char *buf, size_t len);
/*
 * Parse a time: RFC 3339 ("2026-11-21T13:00:00Z", optional fraction, "Z" or
 * "+HH:MM"; without a zone it is local time; ' ' may replace 'T'; a bare date
 * is local midnight), "now", or a relative age "30s", "10m", "2h", "1d", "1w"
 * meaning that long before now. 0 or -1.
 */
int sw_parse_time(const char *s, const struct timespec *now, struct timespec *out);
/* Strict form a record's "time" must have: date, time and zone. 0 or -1. */
int sw_parse_rfc3339(const char *s, struct timespec *out);

#endif
