/*
 * The daemon's seam for an engine's gate (PostgreSQL: pg_engine_gate.c,
 * MariaDB: my_gate.c). Each engine opens its gate with its own open function
 * and options; from then on daemon.c knows it only through these ops: it
 * waits on its fds, calls it on every pass and tick of the loop, lets it beat,
 * tells it the governed roles and the ledger's state, and stops and closes
 * it. Its statements reach the neutral layers as decisions (sw_gate_record;
 * the stopped statement then moves through release_queue.h's group commit),
 * holds (struct sw_hold with struct sw_hold_ops, daemon_state.h) and daemon
 * records, so a further engine is one more open function and table.
 *
 * Ops marked "may be NULL" are left out by an engine that has nothing to do
 * there. What each engine implements (README.md, "Engines"):
 *
 *   op              PostgreSQL                          MariaDB
 *   fds, ready      ring buffer, analysis worker        ring buffer, holder (poll does the work)
 *   poll            group commit of the pass            holder's stops, timeouts, group commit
 *   tick            unwoken records, overflow, binaries, counters
 *                   outcomes, sweep, pins, counters
 *   follow          - (the data directory keeps scope)  the server restarted: a gate on its successor
 *   heartbeat       the kernel's liveness stamp         the kernel's liveness stamp (waits)
 *   set_patterns    kernel patterns, sessions' governed  kernel patterns
 *   settle          caches off, decide what was sent    -
 *   ledger_state    cache off, allowed ones wait        cache off, allowed ones wait
 *   drain_previous  the previous daemon's ring buffer   -
 *   stopping        kernel marked dead, decide the rest -
 *   state           - (status reads struct sw_daemon)   `status` "mariadb"
 *   close           last records, counters; free        decide, refuse what waits; free
 */
#ifndef SQLWARD_ENGINE_GATE_H
#define SQLWARD_ENGINE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define SW_ENGINE_GATE_FDS 4
#define SW_ENGINE_GATES_MAX 8
/* The loop's tick: short, so the records the kernel did not wake the daemon for are read in
 * small batches and the daemon never takes a core away from the database for long. */
#define SW_ENGINE_TICK_MS 10
#define SW_ENGINE_TICKS_PER_S (1000 / SW_ENGINE_TICK_MS)

struct sw_engine_gate;

struct sw_engine_gate_ops {
	const char *engine;        /* "postgres", "mysql" */
	/* The fds the daemon's loop waits on; returns how many. */
	int (*fds)(const void *gate, int out[SW_ENGINE_GATE_FDS]);
	/* fd, one of its fds, is readable. May be NULL (poll takes what they report). */
	void (*ready)(void *gate, int fd);
	/* Every pass of the loop (a tick's too), after the readable fds were handled: decide what
	 * arrived and move what was decided (records a backend waits for are synced first; the
	 * others are written on the 100 ms tick or at SW_LEDGER_FLUSH_BYTES). */
	void (*poll)(void *gate);
	/* Every tick, after the daemon's own tick work (holds, ledger sync, freeze); ticks counts
	 * them from 1 (SW_ENGINE_TICKS_PER_S a second). May be NULL. */
	void (*tick)(void *gate, unsigned ticks);
	/* Every tick: the server process this gate governs exited and another took its place (a
	 * restart): fill *next with a gate opened on it and return 1; the daemon swaps it in and
	 * closes this one. 0: nothing to do (errors are the gate's to record). May be NULL. */
	int (*follow)(void *gate, struct sw_engine_gate *next, char *err, size_t errlen);
	/* From the heartbeat thread (not the loop's), every 100 ms while the loop makes progress:
	 * the kernel holds governed statements only while this beats. May be NULL. */
	void (*heartbeat)(void *gate);
	/* The governed role patterns: at open (the engine reads the policy itself) and at a reload. */
	void (*set_patterns)(void *gate, const char *const *patterns, size_t n);
	/* A policy reload is about to switch: stop the kernel's caches and decide everything
	 * already sent under the policy in force. May be NULL. */
	void (*settle)(void *gate);
	/* A freeze went on or off (d->frozen says which): verdicts cached without it must stop at
	 * once, before the next pass. May be NULL. */
	void (*freeze_changed)(void *gate);
	/* The ledger's state changed (failing: err says why; release_queue.c tells every gate once per
	 * change). May be NULL. */
	void (*ledger_state)(void *gate, bool failing, const char *err);
	/* Once, after the daemon's "start" record and before its threads: record what the gate
	 * did while no daemon ran. May be NULL. */
	void (*drain_previous)(void *gate);
	/* The daemon stops (d->stopping is set, the heartbeat has stopped): from now on the kernel
	 * refuses on its own; decide what it already sent. Called before the holds are released.
	 * May be NULL. */
	void (*stopping)(void *gate);
	/* For `sqlward status` (gate_state.c lists MariaDB's gates, d->engine_gates). May be NULL. */
	json_t *(*state)(const void *gate);
	/* Decide what is pending, refuse what waits, write the last records, stop and free. After
	 * a start-up that failed once the gate was open (stopping was not called), refuse whatever
	 * the gate already stopped. */
	void (*close)(void *gate);
};

struct sw_engine_gate {
	const struct sw_engine_gate_ops *ops;
	void *gate;
};

#endif
