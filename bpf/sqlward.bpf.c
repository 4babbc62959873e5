// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * sqlward's kernel half for PostgreSQL backends.
 *
 * uprobe InitializeSessionUserId(rolename, roleid): tag the backend pid with
 *   the authenticated role and whether policy governs it.
 * uprobe pg_parse_query(query_string): every client statement (simple Query
 *   and extended-protocol Parse) reaches this before it can execute. For a
 *   governed session the backend is stopped right here (SIGSTOP) unless the
 *   verdict cache holds "allow" for this exact text; the daemon then resumes
 *   or cancels it. With no live daemon the statement is cancelled (SIGINT):
 *   the gate fails closed and nobody is left paused.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sqlward.h"
#include "shape_normalize.h"

#define SIGINT 2
#define SIGSTOP 19

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Written by the daemon through the skeleton's mmap'd .bss. */
volatile __u64 heartbeat_ns;            /* monotonic ns of the daemon's last beat */
volatile __u64 heartbeat_grace_ns;      /* beat older than this: daemon presumed dead */
volatile __u32 enforce;                 /* 0: observe only (never stop, never cancel) */
volatile __u32 n_patterns;
volatile __u32 daemon_tgid;             /* the daemon's pid: its exit closes the gate at once */
struct sw_pattern patterns[SW_GOVERN_MAX];
/* Optional scope: only backends whose parent is one of these postmasters. */
volatile __u32 n_postmasters;
__u32 postmasters[SW_POSTMASTERS_MAX];
__u64 stats[SW_STAT__COUNT];
__u64 statement_seq;

/* 8 MiB: with the daemon woken whenever an eighth of it waits (below), this
 * absorbs ~0.8 s of 20k statements/s should the daemon stall. */
#define SW_RING_BYTES (8 << 20)
#define SW_RING_WAKE_BYTES (SW_RING_BYTES / 8)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SW_RING_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct sw_session);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_CACHE_ENTRIES);
	__type(key, struct sw_cache_key);
	__type(value, struct sw_cache_val);
} verdict_cache SEC(".maps");

static __always_inline void count(enum sw_stat s)
{
	__sync_fetch_and_add(&stats[s], 1);
}

static __always_inline bool pattern_matches(const struct sw_pattern *p, const char *role, __u32 len)
{
	__u32 plen = p->len;
	__u32 base = 0;

	if (p->kind == SW_PAT_ANY)
		return true;
	if (plen > len || plen >= SW_ROLE_MAX)
		return false;
	if (p->kind == SW_PAT_EXACT && plen != len)
		return false;
	if (p->kind == SW_PAT_SUFFIX)
		base = len - plen;
	for (__u32 j = 0; j < SW_ROLE_MAX; j++) {
		if (j >= plen)
			break;
		if (role[(base + j) & (SW_ROLE_MAX - 1)] != p->text[j])
			return false;
	}
	return true;
}

static __always_inline bool role_governed(const char *role, __u32 len)
{
	__u32 n = n_patterns;

	for (__u32 i = 0; i < SW_GOVERN_MAX; i++) {
		if (i >= n)
			break;
		if (pattern_matches(&patterns[i], role, len))
			return true;
	}
	return false;
}

/* Is the current process a backend of a postmaster this daemon governs? */
static __always_inline bool in_scope(void)
{
	__u32 n = n_postmasters, ppid;
	struct task_struct *task;

	if (!n)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	ppid = BPF_CORE_READ(task, real_parent, tgid);
	for (__u32 i = 0; i < SW_POSTMASTERS_MAX; i++) {
		if (i >= n)
			break;
		if (postmasters[i] == ppid)
			return true;
	}
	return false;
}

SEC("uprobe")
int BPF_KPROBE(on_session_user, const char *rolename)
{
	struct sw_session sess = {};
	struct sw_session_event *ev;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	long n = 0;

	if (!in_scope())
		return 0;
	/* Background workers initialise by role OID (rolename NULL): no client. */
	if (rolename)
		n = bpf_probe_read_user_str(sess.role, sizeof(sess.role), rolename);
	if (n <= 0) {
		sess.role[0] = 0;
		n = 1;
	}
	sess.flags = SW_SESS_KNOWN;
	if (role_governed(sess.role, (__u32)(n - 1)))
		sess.flags |= SW_SESS_GOVERNED;
	bpf_map_update_elem(&sessions, &pid, &sess, BPF_ANY);

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(SW_STAT_RB_DROPS);
		return 0;
	}
	ev->hdr.type = SW_EV_SESSION;
	ev->hdr.pid = pid;
	ev->hdr.ktime_ns = bpf_ktime_get_ns();
	ev->flags = sess.flags;
	__builtin_memcpy(ev->role, sess.role, sizeof(ev->role));
	{
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
		ev->title_len = arg_start ? bpf_probe_read_user_str(ev->title, sizeof(ev->title),
								  (const void *)arg_start) : 0;
	}
	/* Wake the daemon now: it assigns the session's cache context before the first statement. */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Per-CPU scratch: the statement text is read here first so the hash and the
 * cache comparison can run in bpf_loop callbacks (verified once, not per word). */
struct sw_scratch {
	__u64 text[SW_TEXT_WORDS];
	__u64 shape[SW_TEXT_WORDS];   /* the normalized text (literals replaced by '?') */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_scratch);
} scratch SEC(".maps");

/* Statement-shape cache: same layout as the exact cache, keyed by the normalized text. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_CACHE_ENTRIES);
	__type(key, struct sw_cache_key);
	__type(value, struct sw_cache_val);
} shape_cache SEC(".maps");

struct shape_loop {
	const unsigned char *in;
	unsigned char *out;
	struct sw_shape s;
};

static long shape_step(__u32 i, struct shape_loop *c)
{
	if (i >= c->s.len)
		return 1;
	return sw_shape_step(&c->s, c->in, c->out, i);
}

struct text_loop {
	const __u64 *words;       /* scratch text (map value) */
	const __u64 *other;       /* cached text (map value), for comparison */
	__u32 len;                /* bytes incl. NUL */
	__u64 hash;
	bool equal;
};

/* The word at index w with the bytes past len masked off. */
static __always_inline __u64 masked_word(const __u64 *words, __u32 w, __u32 len)
{
	__u64 v = words[w & (SW_TEXT_WORDS - 1)];

	if (w * 8 + 8 > len)
		v &= (~0ULL) >> (8 * (8 - (len - w * 8)));
	return v;
}

/* FNV-1a over 64-bit words of the zero-padded text (the daemon computes the same). */
static long hash_step(__u32 w, struct text_loop *c)
{
	if (w * 8 >= c->len)
		return 1;
	c->hash ^= masked_word(c->words, w, c->len);
	c->hash *= 0x100000001b3ULL;
	return 0;
}

static long compare_step(__u32 w, struct text_loop *c)
{
	if (w * 8 >= c->len)
		return 1;
	if (masked_word(c->words, w, c->len) != c->other[w & (SW_TEXT_WORDS - 1)]) {
		c->equal = false;
		return 1;
	}
	return 0;
}

/*
 * Reserve, fill and submit a statement record carrying cap bytes of text
 * (cap is a constant at each call site). The signal is sent BEFORE the record
 * becomes visible: the daemon must never be able to resume a backend before
 * the stop reaches it. Returns -1 when the ring buffer is full.
 */
static __always_inline int emit(struct sw_scratch *buf, const char *role, const char *query, __u32 pid,
				__u32 flags, __u32 ctx_id, long n, __u64 hash, __u32 action, const __u32 cap)
{
	struct sw_statement_event *ev;
	__u32 size = sizeof(*ev) - SW_TEXT_CAP + cap;

	ev = bpf_ringbuf_reserve(&events, size, 0);
	if (!ev)
		return -1;
	ev->hdr.type = SW_EV_STATEMENT;
	ev->hdr.pid = pid;
	ev->hdr.ktime_ns = bpf_ktime_get_ns();
	ev->text_addr = (__u64)query;
	ev->flags = flags;
	ev->ctx_id = ctx_id;
	ev->seq = __sync_fetch_and_add(&statement_seq, 1);
	ev->hash = hash;
	ev->text_len = n;
	ev->action = action;
	if (role)
		__builtin_memcpy(ev->role, role, sizeof(ev->role));
	else
		ev->role[0] = 0;
	bpf_probe_read_kernel(ev->text, cap, buf->text);
	if (action == SW_ACT_HELD) {
		bpf_send_signal(SIGSTOP);
		count(SW_STAT_HELD);
	} else if (action == SW_ACT_CANCELLED) {
		bpf_send_signal(SIGINT);
		count(SW_STAT_NO_DAEMON_CANCELS);
	}
	/* Only a held or cancelled statement needs the daemon now; the rest is read on its
	 * tick, unless records pile up (a burst): then wake it before the ring fills. */
	if (action == SW_ACT_HELD || action == SW_ACT_CANCELLED ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= SW_RING_WAKE_BYTES)
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

/* What the kernel does with this statement before the daemon sees it. */
static __always_inline __u32 decide(struct sw_scratch *buf, bool governed, __u32 ctx_id, long n, __u64 *hash)
{
	*hash = 0;
	if (!governed)
		return SW_ACT_OBSERVED;

	/* Exact-text verdict cache: only for fully captured text in a known context. */
	if (n > 0 && n < SW_TEXT_CAP && ctx_id) {
		struct sw_cache_key key = {};
		struct sw_cache_val *val;
		struct text_loop c = { .words = buf->text, .len = (__u32)n,
				       .hash = 0xcbf29ce484222325ULL, .equal = true };

		bpf_loop(SW_TEXT_WORDS, hash_step, &c, 0);
		key.len = (__u32)n;
		key.ctx_id = ctx_id;
		key.hash = c.hash;
		*hash = c.hash;
		val = bpf_map_lookup_elem(&verdict_cache, &key);
		if (val) {
			c.other = val->text;
			bpf_loop(SW_TEXT_WORDS, compare_step, &c, 0);
			if (c.equal) {
				count(SW_STAT_CACHE_HITS);
				return SW_ACT_CACHED_ALLOW;
			}
		}

		/* Shape cache: literals replaced by placeholders, anything not understood gives up. */
		{
			struct shape_loop sl = { .in = (const unsigned char *)buf->text,
						 .out = (unsigned char *)buf->shape };
			sl.s.len = (__u32)n - 1;
			bpf_loop(SW_TEXT_CAP, shape_step, &sl, 0);
			if (sw_shape_finish(&sl.s) && sl.s.out_len > 0 && sl.s.out_len < SW_TEXT_CAP) {
				struct text_loop sc = { .words = buf->shape, .len = sl.s.out_len,
							.hash = 0xcbf29ce484222325ULL, .equal = true };
				bpf_loop(SW_TEXT_WORDS, hash_step, &sc, 0);
				key.len = sl.s.out_len;
				key.hash = sc.hash;
				val = bpf_map_lookup_elem(&shape_cache, &key);
				if (val) {
					sc.other = val->text;
					bpf_loop(SW_TEXT_WORDS, compare_step, &sc, 0);
					if (sc.equal) {
						count(SW_STAT_SHAPE_HITS);
						return SW_ACT_SHAPE_ALLOW;
					}
				}
			} else {
				count(SW_STAT_SHAPE_GIVE_UPS);
			}
		}
	}
	/* No live daemon to decide: cancel now rather than pause with nobody deciding. */
	if (bpf_ktime_get_ns() - heartbeat_ns > heartbeat_grace_ns)
		return SW_ACT_CANCELLED;
	return SW_ACT_HELD;
}

SEC("uprobe")
int BPF_KPROBE(on_parse_query, const char *query)
{
	struct sw_session *sess;
	struct sw_scratch *buf;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 flags = 0, ctx_id = 0, zero = 0, action;
	const char *role = NULL;
	bool governed;
	__u64 hash;
	long n;
	int rc;

	if (!in_scope())
		return 0;
	sess = bpf_map_lookup_elem(&sessions, &pid);
	if (sess) {
		flags = sess->flags;
		ctx_id = sess->ctx_id;
		role = sess->role;
	} else {
		/* A backend whose authentication we never saw: fail closed, let the daemon look. */
		count(SW_STAT_UNKNOWN_SESSION);
	}
	governed = enforce && (!sess || (flags & SW_SESS_GOVERNED));

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf) {
		if (governed)
			bpf_send_signal(SIGINT);
		return 0;
	}
	n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, query);
	action = decide(buf, governed, ctx_id, n, &hash);
	if (n > 0 && n <= SW_TEXT_SMALL)
		rc = emit(buf, role, query, pid, flags, ctx_id, n, hash, action, SW_TEXT_SMALL);
	else
		rc = emit(buf, role, query, pid, flags, ctx_id, n, hash, action, SW_TEXT_CAP);
	if (rc < 0) {
		count(SW_STAT_RB_DROPS);
		/* The daemon will never see this statement: a governed one must not run. */
		if (governed) {
			bpf_send_signal(SIGINT);
			count(SW_STAT_NO_DAEMON_CANCELS);
		}
	}
	return 0;
}

/*
 * A process exits. The daemon: mark it dead now, so governed statements are
 * cancelled rather than held with nobody to decide (no waiting for the
 * heartbeat to lapse). A backend: forget its session (pids are reused).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_process_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (tid != tgid)
		return 0;   /* a thread, not the process */
	if (daemon_tgid && tgid == daemon_tgid)
		heartbeat_ns = 0;
	bpf_map_delete_elem(&sessions, &tgid);
	return 0;
}
