/* Hold ids unique across restarts and hosts (see hold_id.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "hold_id.h"
#include "ledger.h"

#define RUN_BITS  30
#define HOST_BITS 10
#define RAND_BITS (RUN_BITS - HOST_BITS)

/* Crockford's base32, lower case: no i, l, o, u to misread. */
static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

uint64_t sw_hold_id_make(uint32_t run, uint32_t counter)
{
	return (uint64_t)(run & ((1u << RUN_BITS) - 1)) << 32 | counter;
}

uint32_t sw_hold_id_run(uint64_t id)
{
	return (uint32_t)(id >> 32) & ((1u << RUN_BITS) - 1);
}

uint32_t sw_hold_id_counter(uint64_t id)
{
	return (uint32_t)id;
}

uint32_t sw_hold_id_host_tag(uint32_t run)
{
	return run >> RAND_BITS;
}

static void base32(uint32_t v, int chars, char *out)
{
	for (int i = chars - 1; i >= 0; i--, v >>= 5)
		out[i] = b32[v & 31];
	out[chars] = 0;
}

void sw_hold_id_run_format(uint32_t run, char *buf, size_t len)
{
	char t[SW_HOLD_RUN_TEXT_LEN + 1];
	base32(run, SW_HOLD_RUN_TEXT_LEN, t);
	snprintf(buf, len, "%s", t);
}

void sw_hold_id_host_format(uint32_t run, char *buf, size_t len)
{
	char t[SW_HOLD_HOST_TEXT_LEN + 1];
	base32(sw_hold_id_host_tag(run), SW_HOLD_HOST_TEXT_LEN, t);
	snprintf(buf, len, "%s", t);
}

void sw_hold_id_format(uint64_t id, char *buf, size_t len)
{
	char run[SW_HOLD_RUN_TEXT_LEN + 1];

	if (!sw_hold_id_run(id)) {
		snprintf(buf, len, "%u", sw_hold_id_counter(id));
		return;
	}
	base32(sw_hold_id_run(id), SW_HOLD_RUN_TEXT_LEN, run);
	snprintf(buf, len, "%s-%u", run, sw_hold_id_counter(id));
}

static int b32_value(char c)
{
	c = (char)tolower((unsigned char)c);
	if (c == 'i' || c == 'l')
		c = '1';
	else if (c == 'o')
		c = '0';
	const char *p = c ? strchr(b32, c) : NULL;
	return p ? (int)(p - b32) : -1;
}

/* A decimal counter 1..2^32-1, nothing else. */
static bool parse_counter(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int sw_hold_id_parse(const char *s, uint64_t *id, bool *bare)
{
	const char *dash = strchr(s, '-');
	uint32_t run = 0, counter;

	*bare = false;
	if (s[0] == '#')
		s++;
	if (!dash) {
		if (!parse_counter(s, &counter))
			return -1;
		*bare = true;
		*id = counter;
		return 0;
	}
	if (dash - s != SW_HOLD_RUN_TEXT_LEN || !parse_counter(dash + 1, &counter))
		return -1;
	for (const char *c = s; c < dash; c++) {
		int v = b32_value(*c);
		if (v < 0)
			return -1;
		run = run << 5 | (uint32_t)v;
	}
	if (!run)
		return -1;
	*id = sw_hold_id_make(run, counter);
	return 0;
}

uint32_t sw_hold_id_host_tag_of(const char *key)
{
	char hex[65];
	unsigned top = 0;

	sw_sha256_hex(key, strlen(key), hex);
	sscanf(hex, "%3x", &top);   /* 12 bits of the digest */
	return top >> (12 - HOST_BITS);
}

uint32_t sw_hold_id_this_host(void)
{
	char key[256] = "";
	FILE *f = fopen("/etc/machine-id", "re");

	if (f) {
		if (!fgets(key, sizeof(key), f))
			key[0] = 0;
		fclose(f);
		key[strcspn(key, "\n")] = 0;
	}
	if (!key[0] && gethostname(key, sizeof(key) - 1) != 0)
		snprintf(key, sizeof(key), "localhost");
	return sw_hold_id_host_tag_of(key);
}

static uint32_t random_bits(void)
{
	uint32_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		return r;
	/* No entropy source: the clock and pid still differ between restarts. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^ (uint32_t)getpid() << 7;
}

uint32_t sw_hold_id_new_run(uint32_t host_tag, bool (*used)(void *ctx, uint32_t run), void *ctx)
{
	uint32_t run = 0;

	for (int tries = 0; tries < 64; tries++) {
		run = (host_tag & ((1u << HOST_BITS) - 1)) << RAND_BITS | (random_bits() & ((1u << RAND_BITS) - 1));
		if (run && !(used && used(ctx, run)))
			break;
	}
	return run ? run : 1;
}
