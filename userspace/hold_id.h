/*
 * Hold ids that name one held statement across daemon restarts and hosts,
 * so `sqlward approve ID` can never reach a statement the reviewer did not see.
 *
 * An id is a 62-bit number: a 30-bit run tag above a 32-bit counter that
 * starts at 1 in every daemon run. The run tag is this host's 10-bit tag
 * (from /etc/machine-id, else the host name) and 20 bits drawn at random when
 * the daemon starts, never a tag this host's ledger remembers (random rather
 * than a start time: a fleet restarted in the same second must not share
 * tags). Written "k7q2m3-12": the run tag as 6 lower-case Crockford base32
 * characters (the first two are the host tag), a dash, the counter. Ids whose
 * run tag is 0 are the plain counters of older daemons, written "12".
 */
#ifndef SQLWARD_HOLD_ID_H
#define SQLWARD_HOLD_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_HOLD_ID_TEXT_MAX   24  /* "k7q2m3-4294967295" and its NUL fit */
#define SW_HOLD_RUN_TEXT_LEN  6   /* characters of a run tag */
#define SW_HOLD_HOST_TEXT_LEN 2   /* of which the host tag */

uint64_t sw_hold_id_make(uint32_t run, uint32_t counter);
uint32_t sw_hold_id_run(uint64_t id);           /* 0: a plain counter */
uint32_t sw_hold_id_counter(uint64_t id);
uint32_t sw_hold_id_host_tag(uint32_t run);     /* its top 10 bits */

/* "k7q2m3-12", or "12" for a plain counter. */
void sw_hold_id_format(uint64_t id, char *buf, size_t len);
/* "k7q2m3" (run tag), "k7" (host tag of a run). */
void sw_hold_id_run_format(uint32_t run, char *buf, size_t len);
void sw_hold_id_host_format(uint32_t run, char *buf, size_t len);

/*
 * Parse "k7q2m3-12" (case-insensitive; Crockford's i, l -> 1 and o -> 0) or a
 * bare counter "12" / "#12" (*bare set: the caller decides which run it means).
 * 0, or -1 when s is neither.
 */
int sw_hold_id_parse(const char *s, uint64_t *id, bool *bare);

/* The 10-bit tag of a host key (its machine id or name), and of this host. */
uint32_t sw_hold_id_host_tag_of(const char *key);
uint32_t sw_hold_id_this_host(void);

/*
 * A fresh run tag for host_tag: random low bits, retried while used(ctx, tag)
 * says this host already had a run with it (used may be NULL). Never 0.
 */
uint32_t sw_hold_id_new_run(uint32_t host_tag, bool (*used)(void *ctx, uint32_t run), void *ctx);

#endif
