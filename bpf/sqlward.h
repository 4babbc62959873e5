/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layouts shared by the BPF programs (sqlward.bpf.c) and the daemon:
 * ring-buffer events and map keys/values. Both sides include this file, so
 * it uses only fixed-width kernel types.
 */
#ifndef SQLWARD_SHARED_H
#define SQLWARD_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SW_ROLE_MAX 64          /* PostgreSQL NAMEDATALEN */
#define SW_TEXT_CAP 4096        /* statement bytes carried in an event (incl. NUL) */
#define SW_TEXT_SMALL 512       /* short statements travel in a record this much text long */
#define SW_TEXT_WORDS (SW_TEXT_CAP / 8)
#define SW_GOVERN_MAX 32        /* role patterns the kernel can test */
#define SW_CACHE_ENTRIES 1024   /* in-kernel verdict cache (LRU) */
#define SW_POSTMASTERS_MAX 8    /* --postmaster-pid scope filter */

enum sw_event_type {
	SW_EV_SESSION = 1,      /* a backend authenticated as a role */
	SW_EV_STATEMENT = 2,    /* a statement reached the parser */
	SW_EV_EXIT = 3,         /* a backend process exited */
};

/* What the kernel did with a statement before the daemon saw it. */
enum sw_kernel_action {
	SW_ACT_OBSERVED = 0,    /* ungoverned session: not stopped */
	SW_ACT_HELD = 1,        /* governed: SIGSTOP sent from the uprobe */
	SW_ACT_CACHED_ALLOW = 2,/* governed, verdict cache said allow: not stopped */
	SW_ACT_CANCELLED = 3,   /* governed, no live daemon: SIGINT sent (fail closed) */
	SW_ACT_SHAPE_ALLOW = 4, /* governed, shape cache said allow for this statement's shape */
};

/* Session state flags (struct sw_session.flags). */
#define SW_SESS_GOVERNED 0x1
#define SW_SESS_KNOWN    0x2    /* role known (set at authentication or by the daemon) */

struct sw_session {
	char role[SW_ROLE_MAX];
	__u32 flags;
	__u32 ctx_id;           /* daemon-assigned id of (role, database); 0 = none yet */
};

/* One role pattern: exact name, "prefix*", "*suffix" or "*". */
enum sw_pattern_kind { SW_PAT_EXACT = 1, SW_PAT_PREFIX = 2, SW_PAT_SUFFIX = 3, SW_PAT_ANY = 4 };
struct sw_pattern {
	__u32 kind;
	__u32 len;
	char text[SW_ROLE_MAX];
};

/* Verdict cache: key is a hash for lookup only; the value holds the exact
 * text and it is compared byte for byte, so a hash collision never allows. */
struct sw_cache_key {
	__u64 hash;
	__u32 ctx_id;
	__u32 len;
};
struct sw_cache_val {
	__u64 text[SW_TEXT_WORDS];  /* zero-padded statement text */
};

struct sw_event_hdr {
	__u32 type;
	__u32 pid;              /* tgid of the backend */
	__u64 ktime_ns;         /* bpf_ktime_get_ns() at the probe */
};

#define SW_TITLE_MAX 256

struct sw_session_event {
	struct sw_event_hdr hdr;
	__u32 flags;            /* SW_SESS_* as decided in the kernel */
	__s32 title_len;        /* bytes read from the process title incl. NUL; <= 0: none */
	char role[SW_ROLE_MAX];
	/* The backend's process title ("postgres: ROLE DB HOST(PORT) ..."), read from its
	 * argv area in the probe, so it is known even if the backend exits at once. */
	char title[SW_TITLE_MAX];
};

struct sw_statement_event {
	struct sw_event_hdr hdr;
	__u64 text_addr;        /* address of the full text in the backend */
	__u64 hash;             /* lookup hash of the captured text */
	__u32 action;           /* enum sw_kernel_action */
	__u32 flags;            /* session flags at the time */
	__u32 ctx_id;
	__s32 text_len;         /* bytes captured incl. NUL; == SW_TEXT_CAP means truncated */
	__u64 seq;              /* per-boot statement counter */
	char role[SW_ROLE_MAX];
	/* SW_TEXT_SMALL bytes in a short record (text_len <= SW_TEXT_SMALL), else SW_TEXT_CAP. */
	char text[SW_TEXT_CAP];
};

/* Counters (array map "stats"). */
enum sw_stat {
	SW_STAT_RB_DROPS = 0,   /* events that did not fit in the ring buffer */
	SW_STAT_HELD,
	SW_STAT_CACHE_HITS,
	SW_STAT_NO_DAEMON_CANCELS,
	SW_STAT_UNKNOWN_SESSION,
	SW_STAT_SHAPE_HITS,
	SW_STAT_SHAPE_GIVE_UPS,
	SW_STAT__COUNT,
};

/* Runtime config (array map "config", one entry). */
struct sw_config {
	__u64 heartbeat_ns;     /* daemon liveness: bpf_ktime_get_ns() of last beat */
	__u64 heartbeat_grace_ns;
	__u32 n_patterns;
	__u32 enforce;          /* 0: observe only, never stop or cancel */
};

#endif
