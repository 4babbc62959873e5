/*
 * Backends the kernel stopped at one of sqlward's probes with no daemon
 * left to say what they were doing (the daemon crashed, or died with its
 * watchdog): the watchdog and the next daemon refuse what each was about to
 * do, found from where it is stopped. A stopped process's user program
 * counter is in /proc/PID/syscall ("-1 SP PC"); the probe it stopped at is
 * the function whose first bytes hold PC. Refusing a fastpath call or a
 * setting needs the message or the name the function was called with: its
 * first argument register, read with ptrace.
 */
#ifndef SQLWARD_PG_ORPHAN_H
#define SQLWARD_PG_ORPHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pg_layout.h"

/*
 * Which probe (SW_EV_* event type) process pid is stopped at, given its
 * user program counter pc and its binary's layout (base: the load address of
 * vaddr 0). 0 when pc is not at a probed function's entry.
 */
uint32_t sw_pg_probe_at(const struct sw_pg_layout *L, uint64_t base, uint64_t pc);

/* The user program counter of a stopped process (not inside a system call). */
bool sw_proc_stopped_pc(pid_t pid, uint64_t *pc);

/*
 * Refuse what stopped backend pid was about to do (see sw_pg_refuse), among
 * n server binaries. Writes what was done into what (for the ledger) and
 * returns true when the refusal is certain.
 */
bool sw_pg_refuse_stopped(pid_t pid, const struct sw_pg_layout *layouts, int n, char *what, size_t len);

#endif
