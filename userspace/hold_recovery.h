/*
 * Holds a previous daemon left undecided. When daemon and watchdog die
 * together, a "held" record has no decision after it. At start the daemon
 * finds those in the ledger's recent records (a held statement record whose
 * seq no decision names as its hold_seq, and that no watchdog record with its
 * pid and hash resolved) and writes what became of each.
 */
#ifndef SQLWARD_HOLD_RECOVERY_H
#define SQLWARD_HOLD_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

struct sw_dangling_hold {
	uint64_t seq;            /* the held record */
	int pid;
	char role[64];
	char sha256[65];
	char time[40];           /* when it was held */
};

/* Scan the last max_bytes of the ledger. Returns how many (*out: malloc'd), or -1 with err. */
int sw_hold_recovery_scan(const char *ledger_path, size_t max_bytes, struct sw_dangling_hold **out, char *err,
			  size_t errlen);

#endif
