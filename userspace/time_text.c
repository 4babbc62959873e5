/* Times as the ledger writes them and as people type them (time_text.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "time_text.h"

void sw_format_time(const struct timespec *ts, char *buf, size_t len)
{
	/* The date and time part changes once a second: keep the last one (per thread). */
	static __thread time_t last_sec = -1;
	static __thread char base[32];
	struct tm tm;
	long us = (long)(ts->tv_nsec / 1000);

	if (ts->tv_sec != last_sec) {
		if (!gmtime_r(&ts->tv_sec, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm)) {
			last_sec = -1;
			snprintf(buf, len, "1970-01-01T00:00:00.000000Z");
			return;
		}
		last_sec = ts->tv_sec;
	}
	if (len >= 28 && us >= 0 && us < 1000000 && strlen(base) == 19) {
		memcpy(buf, base, 19);
		buf[19] = '.';
		for (int i = 25; i >= 20; i--) {
			buf[i] = (char)('0' + us % 10);
			us /= 10;
		}
		buf[26] = 'Z';
		buf[27] = 0;
		return;
	}
	snprintf(buf, len, "%s.%06ldZ", base, us);
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]]][Z|z|(+|-)HH[:]MM]; rfc3339: time and zone required. */
static int parse_absolute(const char *s, bool rfc3339, struct timespec *out)
{
	struct tm tm;
	const char *p = s;
	long nsec = 0, offset = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool zoned = false, timed = false;
	time_t t;

	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
	    parse_digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		timed = true;
		if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				long scale = 100000000;
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				for (; isdigit((unsigned char)*p); p++) {
					nsec += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zoned = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (parse_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (parse_digits(&p, 2, &om) || oh > 23 || om > 59)
				return -1;
			zoned = true;
			offset = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (rfc3339 && (!timed || !zoned))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zoned) {
		t = timegm(&tm) - offset;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
	}
	out->tv_sec = t;
	out->tv_nsec = nsec;
	return 0;
}

int sw_parse_time(const char *s, const struct timespec *now, struct timespec *out)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "now") == 0) {
		*out = *now;
		return 0;
	}
	/* Relative: "<n><unit>" ago. */
	if (isdigit((unsigned char)*s)) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno == 0 && end != s && end[0] && !end[1] && strchr("smhdw", end[0])) {
			unsigned long long unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 :
				end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 604800;
			if (now->tv_sec < 0 || n > (unsigned long long)now->tv_sec / unit)
				return -1;
			out->tv_sec = now->tv_sec - (time_t)(n * unit);
			out->tv_nsec = now->tv_nsec;
			return 0;
		}
	}
	return parse_absolute(s, false, out);
}

int sw_parse_rfc3339(const char *s, struct timespec *out)
{
	return parse_absolute(s, true, out);
}
