/*
 * The loaded BPF side of the gate: skeleton, uprobe links (optionally
 * pinned so the gate stays closed while the daemon restarts), the sessions
 * map, the exact-text verdict cache, the ring buffer and counters.
 */
#ifndef SQLWARD_BPF_GATE_H
#define SQLWARD_BPF_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sqlward.h"

struct sw_gate;
struct sw_pg_layout;

struct sw_gate_opts {
	const char *pin_dir;          /* bpffs dir for link pins; NULL: links die with the daemon */
	bool enforce;                 /* false: observe only, never stop or cancel */
	unsigned grace_ms;            /* heartbeat older than this: the kernel cancels instead of holding */
	const int *postmasters;       /* only backends of these postmasters (none: every process of the binary) */
	int n_postmasters;
};

typedef int (*sw_gate_event_fn)(void *ctx, const void *data, size_t size);

int sw_gate_open(const struct sw_gate_opts *o, sw_gate_event_fn fn, void *ctx,
		 struct sw_gate **out, char *err, size_t errlen);
void sw_gate_close(struct sw_gate *g);

/* Role patterns ("exact", "prefix*", "*suffix", "*"); false on a pattern the kernel cannot test. */
bool sw_gate_set_patterns(struct sw_gate *g, const char *const *patterns, size_t n, char *err, size_t errlen);

/* Process-exit tracepoint: the daemon's death closes the gate at once; exited backends are forgotten. */
int sw_gate_attach_exit(struct sw_gate *g, char *err, size_t errlen);
/*
 * Binary number idx (< SW_BINS_MAX): first the session probe, then (after the
 * daemon adopted the backends already running) every checkpoint: parse, bind,
 * fastpath, replication, settings, and the completion probes (EndCommand,
 * EmitErrorReport, ReadyForQuery: one SW_EV_COMPLETION per client statement).
 * The layout tells the probes what to read.
 */
int sw_gate_attach_sessions(struct sw_gate *g, int idx, const struct sw_pg_layout *L, char *err, size_t errlen);
/* Links attached so far; undo the unpinned ones after a mark (a binary that failed half-way) and
 * forget binary idx's layout. */
int sw_gate_links_mark(const struct sw_gate *g);
void sw_gate_links_rollback(struct sw_gate *g, int mark, int idx);
int sw_gate_attach_checkpoints(struct sw_gate *g, int idx, const struct sw_pg_layout *L, char *err, size_t errlen);
/*
 * Pin the links not pinned yet under pin_dir. The first time, also pin the ring
 * buffer and counters (for the next daemon) and remove a previous daemon's links.
 */
int sw_gate_pin(struct sw_gate *g, char *err, size_t errlen);
/* What sw_gate_drain_previous found. */
struct sw_gate_previous {
	uint64_t stats[SW_STAT__COUNT];  /* counters of the gates read, summed */
	int gates;                       /* gates read (built with our SW_ABI_VERSION) */
	int foreign;                     /* gates of another build: nothing of theirs read, pins removed */
	uint32_t foreign_abi;            /* the last one's SW_ABI_VERSION (0: it carried none) */
	char foreign_error[320];         /* why the last one's number could not be read ("": it could) */
};
/*
 * What previous daemons' gates saw after their daemon stopped: the ring buffer
 * of each gate built with our SW_ABI_VERSION is read through fn (events the
 * next daemon records late) and its counters summed; a gate of another build
 * (another number, or none) is not read, since its events are not laid out as
 * our structs. Then their pins go. Returns the number of events read.
 */
int sw_gate_drain_previous(struct sw_gate *g, sw_gate_event_fn fn, void *ctx, struct sw_gate_previous *prev);
/*
 * Pins that disappeared while the daemon runs (removed by hand, bpffs remounted)
 * are made again, so the gate still survives a daemon restart. Returns how many
 * were restored (0: all in place) or -1 with err.
 */
int sw_gate_check_pins(struct sw_gate *g, char *err, size_t errlen);
/* Remove every pin under pin_dir (uninstall the gate). Returns pins removed or -1. */
int sw_gate_unpin_all(const char *pin_dir, char *err, size_t errlen);

void sw_gate_heartbeat(struct sw_gate *g);
/* Tell the kernel the daemon is going away: governed statements are cancelled, not held. */
void sw_gate_mark_dead(struct sw_gate *g);
int sw_gate_epoll_fd(struct sw_gate *g);
int sw_gate_consume(struct sw_gate *g);

int sw_gate_set_session(struct sw_gate *g, uint32_t pid, const char *role, uint32_t flags, uint32_t ctx_id);
void sw_gate_drop_session(struct sw_gate *g, uint32_t pid);

/*
 * Remember "allow" for this exact text (len includes the NUL, < SW_TEXT_CAP) in
 * context ctx_id, judged under lexing settings lex (SW_LEX_*), for events of
 * kind SW_EV_STATEMENT (parse) or SW_EV_BIND (execution).
 */
int sw_gate_cache_allow(struct sw_gate *g, uint32_t ctx_id, uint32_t lex, uint32_t kind, const char *text,
			uint32_t len);
/* Remember "allow" for every parsed statement with this text's shape (literals
 * replaced) under default lexing; -1 if it has none. */
int sw_gate_shape_allow(struct sw_gate *g, uint32_t ctx_id, const char *text, size_t len);
/* A governed cluster's data directory (kernel device encoding, inode): its processes are in scope. */
int sw_gate_scope_dir(struct sw_gate *g, uint64_t kdev, uint64_t ino);
/*
 * Outcome probes (EndCommand, EmitErrorReport, ReadyForQuery) on one backend
 * only, binary number idx: what its released statement did. The caller owns
 * the three links (bpf_link__destroy); they are never pinned.
 */
struct bpf_link;
int sw_gate_attach_outcome(struct sw_gate *g, int idx, int pid, struct bpf_link *out[3], char *err, size_t errlen);
/* The client statement backend pid runs now (map "running"): 0, or -1 when it runs none. */
int sw_gate_running(struct sw_gate *g, uint32_t pid, struct sw_running *out);
/* Exec tracepoint: a server binary replaced on disk is stopped at exec until attached. */
int sw_gate_attach_exec(struct sw_gate *g, char *err, size_t errlen);
/*
 * The execution checkpoint (ExecutorStart, ProcessUtility, the watched
 * built-ins' entries) on one governed backend, pinned under the pin directory
 * when there is one (so it outlives the daemon and refuses on its own).
 */
struct sw_nested_links {
	struct bpf_link **l;    /* perf-event uprobes (kernels without uprobe-multi links) */
	size_t n;
	bool has_m;             /* mfd: the uprobe-multi link */
	int mfd;
	char *mpin;             /* its pin */
};
int sw_gate_attach_nested(struct sw_gate *g, int idx, int pid, const struct sw_pg_layout *L,
			  struct sw_nested_links *out, char *err, size_t errlen);
/* The backend ended: detach and unpin. */
void sw_gate_detach_nested(struct sw_nested_links *links);
/* Is pid (the daemon pid in a pin's name) a running sqlward daemon other than this process? */
bool sw_gate_pin_owner_alive(int pid);
/* Let go of the links but leave pinned ones attached (the daemon stops). */
void sw_gate_close_nested(struct sw_nested_links *links);
/* The watched built-ins (pg_builtin_watch.h) for the kernel: their OIDs and what a call is judged as. */
int sw_gate_set_builtins(struct sw_gate *g);
/* Governed binaries by place (directory identity + file name) and by identity (probed files). */
int sw_gate_bin_dir(struct sw_gate *g, uint64_t kdev, uint64_t ino, const char *name);
int sw_gate_probed_file(struct sw_gate *g, uint64_t kdev, uint64_t ino);
/* Processes the kernel stopped at exec of an unprobed binary; release forgets one. */
size_t sw_gate_exec_stopped(struct sw_gate *g, uint32_t *pids, struct sw_exec_stop *stops, size_t max);
void sw_gate_exec_release(struct sw_gate *g, uint32_t pid);
/* Does this gate still hold pid's stop made at ktime_ns? */
bool sw_gate_exec_holds(struct sw_gate *g, uint32_t pid, uint64_t ktime_ns);
/*
 * How many other sqlward gates on the host still hold that stop (exec_stop_peers.h):
 * 0 when none (the last to release resumes the process); -1 with err when unknown.
 */
int sw_gate_exec_held_elsewhere(struct sw_gate *g, uint32_t pid, uint64_t ktime_ns, char *err, size_t errlen);
/* Settings any value of which is harmless (refused-connection fallback with no daemon). */
int sw_gate_set_free_settings(struct sw_gate *g, const char *const *names, size_t n);
/* Take (and remove) up to max statements the kernel held while the ring buffer was full. */
size_t sw_gate_overflow_take(struct sw_gate *g, uint32_t *pids, struct sw_overflow *out, size_t max);
/* Forget every cached verdict (exact and shape): policy or freeze changed. */
void sw_gate_cache_clear(struct sw_gate *g);
uint64_t sw_text_hash(const char *text, uint32_t len);

void sw_gate_stats(struct sw_gate *g, uint64_t out[SW_STAT__COUNT]);
/* Subtract counts already recorded (at a clean stop: the next daemon reads only what came after). */
void sw_gate_stats_take(struct sw_gate *g, const uint64_t seen[SW_STAT__COUNT]);

#endif
