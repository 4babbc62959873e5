/*
 * The daemon's seam for an engine's gate beside PostgreSQL's (MariaDB:
 * my_gate.c). The engine opens its gate with its own options; from then on
 * the daemon only polls it, tells it the governed roles, reports it and closes
 * it through these ops. Its statements reach the neutral layers as decisions
 * (sw_gate_record), holds (struct sw_hold with struct sw_hold_ops) and
 * daemon records, so a further engine is one more open function and table.
 */
#ifndef SQLWARD_ENGINE_GATE_H
#define SQLWARD_ENGINE_GATE_H

#include <stddef.h>
#include <jansson.h>

#define SW_ENGINE_GATE_FDS 4
#define SW_ENGINE_GATES_MAX 8

struct sw_engine_gate_ops {
	const char *engine;        /* "mysql" */
	/* The fds the daemon's loop waits on (a readable one means: poll); returns how many. */
	int (*fds)(const void *gate, int out[SW_ENGINE_GATE_FDS]);
	/* Take what the kernel and the engine's helpers reported and decide it; called when one of
	 * its fds is readable and on every pass of the loop (timeouts). */
	void (*poll)(void *gate);
	/* The governed role patterns changed (policy load or reload). */
	void (*set_patterns)(void *gate, const char *const *patterns, size_t n);
	/* For `sqlward status`. */
	json_t *(*state)(const void *gate);
	/* Decide what is pending, refuse what waits, stop and free. */
	void (*close)(void *gate);
};

struct sw_engine_gate {
	const struct sw_engine_gate_ops *ops;
	void *gate;
};

#endif
