// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * sqlward's kernel half for PostgreSQL backends: every door a client
 * session has into the server is a uprobe here.
 *
 * InitializeSessionUserId(rolename, roleid): tag the backend pid with the
 *   authenticated role and whether policy governs it.
 * pg_parse_query(query_string): every simple Query and extended-protocol
 *   Parse reaches this before it can execute.
 * GetCachedPlan(plansource, params): every Bind (one execution of a prepared
 *   statement) when no portal is running (ActivePortal == NULL); nested calls
 *   from inside a running statement are not client executions.
 * HandleFunctionRequest(msgBuf): fastpath function calls (message 'F', PQfn),
 *   which never reach the parser.
 * exec_replication_command(cmd): every command on a replication connection.
 * set_config_option_ext(name, value, ...): settings applied at connection
 *   start (startup packet, per-role and per-database) and SET at run time.
 *
 * For a governed session the backend is stopped right at the probe (SIGSTOP)
 * unless an in-kernel verdict cache allows the exact text (or its shape) under
 * the same lexing settings; the daemon then resumes, cancels or keeps it. With
 * no live daemon the kernel refuses on its own (SIGINT, or SIGTERM where a
 * cancel would be discarded), so nobody is left paused and nothing runs
 * unjudged. When the ring buffer is full a governed statement is still held and
 * left in the overflow map for the daemon (backpressure, never a cancel).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sqlward.h"
#include "shape_normalize.h"

#define SIGINT 2
#define SIGTERM 15
#define SIGKILL 9
#define SIGSTOP 19

/* GucSource and GucAction (utils/guc.h, PostgreSQL 15). */
#define PGC_S_GLOBAL 5
#define PGC_S_CLIENT 9
#define PGC_S_SESSION 13
#define GUC_ACTION_SAVE 2

/* GPL-2.0, one of the two licenses these programs are offered under (LICENSE): the kernel
 * needs a GPL-compatible program for the helpers it calls. */
char LICENSE[] SEC("license") = "GPL";

/* Written by the daemon through the skeleton's mmap'd .bss. */
/* SW_ABI_VERSION of the build that loaded this gate: a later daemon reads this
 * gate's pinned ring buffer and .bss only if it equals its own (bpf_gate.c). */
volatile __u32 sw_abi_version;
volatile __u64 heartbeat_ns;            /* monotonic ns of the daemon's last beat */
volatile __u64 heartbeat_grace_ns;      /* beat older than this: daemon presumed dead */
volatile __u32 enforce;                 /* 0: observe only (never stop, never cancel) */
volatile __u32 n_patterns;
volatile __u32 daemon_tgid;             /* the daemon's pid: its exit closes the gate at once */
struct sw_pattern patterns[SW_GOVERN_MAX];
#include "role_match.h"   /* uses n_patterns, patterns[] */
/* Optional scope: only backends whose parent is one of these postmasters, or
 * whose working directory is one of their data directories (scope_dirs). */
volatile __u32 n_postmasters;
__u32 postmasters[SW_POSTMASTERS_MAX];
struct sw_bin_layout bins[SW_BINS_MAX];
__u64 stats[SW_STAT__COUNT];
/* What a call of watched built-in k is judged as (written by the daemon before it attaches). */
struct sw_builtin_text builtin_texts[SW_BUILTINS_MAX];
__u64 statement_seq;

/* 8 MiB: with the daemon woken whenever an eighth of it waits (below), this
 * absorbs ~0.8 s of 20k statements/s should the daemon stall. */
#define SW_RING_BYTES (8 << 20)
#define SW_RING_WAKE_BYTES (SW_RING_BYTES / 8)
/* Kept free for completions (~100 B each) when statements wait for room (finish()). */
#define SW_RING_HEADROOM (1 << 20)

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

/* Held statements whose record did not fit in the ring buffer (key: pid). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SW_OVERFLOW_MAX);
	__type(key, __u32);
	__type(value, struct sw_overflow);
} overflow SEC(".maps");

/*
 * Settings any value of which is harmless (application_name, DateStyle, ...),
 * filled by the daemon from the shipped allowlist. With a live daemon every
 * setting is still judged by policy; with none, these are let through rather
 * than refusing every connection (clients send some of them at connect).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct sw_setting_key);
	__type(value, __u8);
} free_settings SEC(".maps");

/*
 * The data directories of the governed clusters. PostgreSQL's processes run
 * with the data directory as working directory, so a restarted cluster (a new
 * postmaster pid) stays in scope. Seeded by the daemon, learned here from the
 * named postmasters' backends (the kernel's own identity of the directory).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * SW_POSTMASTERS_MAX);
	__type(key, struct sw_dir_key);
	__type(value, __u8);
} scope_dirs SEC(".maps");

/*
 * Server binaries by place and by identity. A package upgrade puts a new file
 * (new inode) at the same path; the probes stay on the old inode. An exec of a
 * file named like a governed binary in its directory (bin_dirs) whose inode
 * carries no probes (probed_files) is stopped until the daemon has attached
 * to it (exec_stopped), or killed when no daemon is alive to do so.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * SW_BINS_MAX);
	__type(key, struct sw_dir_key);
	__type(value, struct sw_bin_name);
} bin_dirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * SW_BINS_MAX);
	__type(key, struct sw_dir_key);
	__type(value, __u8);
} probed_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct sw_exec_stop);
} exec_stopped SEC(".maps");

/* The client statement each governed backend runs and the nested statements inside it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct sw_nest);
} nest SEC(".maps");

/* A zeroed sw_nest to insert from (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_nest);
} nest_zero SEC(".maps");

/* The client statement each backend runs now, until it is idle again (every session). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct sw_running);
} running SEC(".maps");

/* Built-ins judged when a call of them is prepared: OID -> index (builtin_texts). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SW_BUILTINS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} watched_oids SEC(".maps");

/*
 * Command tag names as the backends of each probed binary name them (index: bin *
 * SW_TAGS_CACHED + tag), so a completion copies the name instead of reading the
 * backend's CommandTagBehavior table and string every time. An entry holds for the
 * binary it was read from (table, parse): another binary in that slot reads anew.
 */
#define SW_TAGS_CACHED 256
struct sw_tag_name {
	__u64 table;            /* the layout's tag_behavior when read (0: empty) */
	__u64 parse;            /* and its fn[SW_FN_PARSE] */
	char name[SW_TAG_NAME];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_BINS_MAX * SW_TAGS_CACHED);
	__type(key, __u32);
	__type(value, struct sw_tag_name);
} tag_names SEC(".maps");

/* This backend's nesting state, created empty if it has none. */
static __always_inline struct sw_nest *nest_of(__u32 pid)
{
	struct sw_nest *ns = bpf_map_lookup_elem(&nest, &pid);
	__u32 zero = 0;

	if (ns)
		return ns;
	ns = bpf_map_lookup_elem(&nest_zero, &zero);
	if (!ns)
		return NULL;
	__builtin_memset(ns, 0, sizeof(*ns));
	bpf_map_update_elem(&nest, &pid, ns, BPF_NOEXIST);
	return bpf_map_lookup_elem(&nest, &pid);
}

static __always_inline void count(enum sw_stat s)
{
	__sync_fetch_and_add(&stats[s], 1);
}

static __always_inline void cwd_of(struct task_struct *task, struct sw_dir_key *k)
{
	struct dentry *d = BPF_CORE_READ(task, fs, pwd.dentry);

	k->dev = BPF_CORE_READ(d, d_sb, s_dev);
	k->ino = BPF_CORE_READ(d, d_inode, i_ino);
}

/* Is the current process one of the clusters this daemon governs? With learn,
 * a backend of a named postmaster records its data directory. */
static __always_inline bool scoped(bool learn)
{
	__u32 n = n_postmasters, ppid;
	struct task_struct *task;
	struct sw_dir_key k = {};

	if (!n)
		return true;
	task = bpf_get_current_task_btf();
	/* A direct (BTF) load: cheaper than a probe_read per pointer on every probe hit. */
	ppid = task->real_parent->tgid;
	for (__u32 i = 0; i < SW_POSTMASTERS_MAX; i++) {
		if (i >= n)
			break;
		if (postmasters[i] == ppid) {
			if (learn) {
				__u8 one = 1;
				cwd_of(task, &k);
				bpf_map_update_elem(&scope_dirs, &k, &one, BPF_NOEXIST);
			}
			return true;
		}
	}
	cwd_of(task, &k);
	return bpf_map_lookup_elem(&scope_dirs, &k) != NULL;
}

static __always_inline bool in_scope(void)
{
	return scoped(false);
}

/* The probed binary's layout (attach cookie) and its load base in this process. */
static __always_inline const struct sw_bin_layout *layout_of(struct pt_regs *ctx, enum sw_fn fn, __u64 *base)
{
	__u64 bin = bpf_get_attach_cookie(ctx) & 0xff;   /* the multi-link program keeps the function above */
	const struct sw_bin_layout *L;

	if (bin >= SW_BINS_MAX)
		return NULL;
	L = &bins[bin];
	if (!L->fn[fn])
		return NULL;
	*base = PT_REGS_IP(ctx) - L->fn[fn];
	return L;
}

static __always_inline bool read_global(__u64 base, __u64 vaddr, void *dst, __u32 size)
{
	return vaddr && bpf_probe_read_user(dst, size, (const void *)(base + vaddr)) == 0;
}

/* The backend's lexing settings right now (SW_LEX_*; 0 when unreadable). */
static __always_inline __u32 lex_of(const struct sw_bin_layout *L, __u64 base)
{
	__u64 scs_at, bq_at, d;
	__u8 scs = 0;
	__s32 bq = 0;

	if (!L)
		return 0;
	scs_at = L->standard_conforming_strings;
	bq_at = L->backslash_quote;
	d = bq_at - scs_at;
	if (scs_at && bq_at > scs_at && d <= 12) {
		/* Neighbours in .data (PostgreSQL's own binaries): one read for both, of exactly
		 * their bytes (no more: the next page need not be mapped). */
		__u8 both[16] = {};
		__u32 span = (__u32)d + sizeof(bq);
		barrier_var(span);
		if (span > sizeof(both) ||
		    bpf_probe_read_user(both, span & (sizeof(both) - 1 + sizeof(both)), (const void *)(base + scs_at)) != 0)
			return 0;
		scs = both[0];
		d &= 15;
		if (d > 12)
			return 0;
		__builtin_memcpy(&bq, both + d, sizeof(bq));
	} else if (!read_global(base, scs_at, &scs, sizeof(scs)) || !read_global(base, bq_at, &bq, sizeof(bq))) {
		return 0;
	}
	if (bq < 0 || bq > 2)
		return 0;
	return SW_LEX_KNOWN | (scs ? SW_LEX_SCS : 0) | ((__u32)bq << SW_LEX_BQ_SHIFT);
}

/* SW_AUX_ROLE_DIFFERS when the effective role is not the authenticated one. */
static __always_inline __u32 role_aux(const struct sw_bin_layout *L, __u64 base)
{
	__u32 cur = 0, auth = 0;
	__u64 lo, d;

	if (!L || !L->current_user_id || !L->authenticated_user_id)
		return 0;
	lo = L->current_user_id < L->authenticated_user_id ? L->current_user_id : L->authenticated_user_id;
	d = (L->current_user_id ^ L->authenticated_user_id ^ lo) - lo;   /* the higher one's distance */
	if (d <= 12) {
		/* Neighbouring statics in .bss (miscinit.c): one read for both. */
		__u8 both[16] = {};
		__u32 at_cur, at_auth, span = (__u32)d + sizeof(cur);
		barrier_var(span);
		if (span > sizeof(both) ||
		    bpf_probe_read_user(both, span & (sizeof(both) - 1 + sizeof(both)), (const void *)(base + lo)) != 0)
			return 0;
		at_cur = (__u32)(L->current_user_id - lo) & 15;
		at_auth = (__u32)(L->authenticated_user_id - lo) & 15;
		if (at_cur > 12 || at_auth > 12)
			return 0;
		__builtin_memcpy(&cur, both + at_cur, sizeof(cur));
		__builtin_memcpy(&auth, both + at_auth, sizeof(auth));
	} else if (!read_global(base, L->current_user_id, &cur, sizeof(cur)) ||
		   !read_global(base, L->authenticated_user_id, &auth, sizeof(auth))) {
		return 0;
	}
	if (auth && cur != auth)
		return SW_AUX_ROLE_DIFFERS;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_session_user, const char *rolename)
{
	struct sw_session sess = {};
	struct sw_session_event *ev;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	long n = 0;

	if (!scoped(true))
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
	{
		__u64 base = 0;
		__u8 walsender = 0;
		const struct sw_bin_layout *L = layout_of(ctx, SW_FN_SESSION, &base);
		if (L && read_global(base, L->am_walsender, &walsender, sizeof(walsender)) && walsender)
			sess.flags |= SW_SESS_WALSENDER;
	}
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

/* One byte per callback: the normalizer's state machine unrolled even twice makes the
 * verifier explore past its limit (it tracks the states of every unrolled step). */
static long shape_step(__u32 i, struct shape_loop *c)
{
	if (i >= c->s.len)
		return 1;
	return sw_shape_step(&c->s, c->in, c->out, i);
}

/* The hash and compare loops take SW_LOOP_UNROLL words per bpf_loop callback: the
 * callback call, not the work in it, was most of their cost. */
#define SW_LOOP_UNROLL 8

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
static long hash_step(__u32 i, struct text_loop *c)
{
#pragma unroll
	for (__u32 k = 0; k < SW_LOOP_UNROLL; k++) {
		__u32 w = i * SW_LOOP_UNROLL + k;
		if (w * 8 >= c->len)
			return 1;
		c->hash ^= masked_word(c->words, w, c->len);
		c->hash *= 0x100000001b3ULL;
	}
	return 0;
}

/* Both sides masked past len: a cached text is zero-padded, a text just read is not. */
static long compare_step(__u32 i, struct text_loop *c)
{
#pragma unroll
	for (__u32 k = 0; k < SW_LOOP_UNROLL; k++) {
		__u32 w = i * SW_LOOP_UNROLL + k;
		if (w * 8 >= c->len)
			return 1;
		if (masked_word(c->words, w, c->len) != masked_word(c->other, w, c->len)) {
			c->equal = false;
			return 1;
		}
	}
	return 0;
}

/* What one probe hit knows before it decides. */
struct hit {
	__u32 type;               /* SW_EV_* */
	__u32 pid;
	__u32 flags;              /* session flags (0: session unknown) */
	__u32 ctx_id;
	__u32 lex;
	__u32 aux;
	const char *role;         /* NULL when the session is unknown */
	__u64 text_addr;
	__u64 arg0, arg1, arg2;
	const void *direct;       /* an observed hit's text: read straight into its record (not the scratch) */
	__u64 waiting;            /* ring bytes the daemon had not read when finish() looked (~0: not looked) */
	long n;                   /* text bytes captured incl. NUL (<= 0: none) */
	__u64 seq;                /* this event's statement_seq */
	bool governed;
	bool need_nested;         /* the binary has the execution checkpoint: caches only once it is on this backend */
	bool client_statement;    /* a statement the client sent: nested ones are counted from here */
};

static __always_inline bool no_daemon(void)
{
	return bpf_ktime_get_ns() - heartbeat_ns > heartbeat_grace_ns;
}

/*
 * How the kernel refuses this kind of event on its own (no live daemon, or no
 * room to tell it). A cancel (SIGINT) is only honoured where PostgreSQL checks
 * for interrupts before the work happens: after parsing and at the start of a
 * replication command. A cancel that arrives during Bind is discarded before
 * the Execute, and a connection setting takes effect before any check, so
 * those end the session (SIGTERM). A nested plannable statement is cancelled:
 * the executor checks before its first row (ExecModifyTable, ExecResult, the
 * scans) and so before any trigger. A fastpath call runs its function before
 * the first check, so it stays stopped for the daemon or its watchdog, which
 * refuse it by rewriting the message. A SQL EXECUTE inside a running statement
 * is cancelled: the executor checks before it evaluates anything.
 */
static __always_inline __u32 refusal(__u32 type, __u32 aux)
{
	switch (type) {
	case SW_EV_BIND:
		/* SQL EXECUTE inside a running statement: its executor checks before it runs. */
		if (aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE))
			return SW_ACT_CANCELLED;
		return SW_ACT_TERMINATED;
	case SW_EV_SETTING:
		return SW_ACT_TERMINATED;
	case SW_EV_FASTPATH:
		return SW_ACT_HELD;
	case SW_EV_UTILITY:
	case SW_EV_FUNCTION:
		/* A utility statement may act before any interrupt check (COPY TO PROGRAM, LOAD),
		 * a built-in acts at once: it stays stopped for the daemon or its watchdog, which
		 * make it fail before it does anything. */
		return SW_ACT_HELD;
	default:
		return SW_ACT_CANCELLED;
	}
}

static __always_inline void send_for(__u32 action)
{
	if (action == SW_ACT_HELD) {
		bpf_send_signal(SIGSTOP);
		count(SW_STAT_HELD);
	} else if (action == SW_ACT_CANCELLED) {
		bpf_send_signal(SIGINT);
		count(SW_STAT_NO_DAEMON_CANCELS);
	} else if (action == SW_ACT_TERMINATED) {
		bpf_send_signal(SIGTERM);
		count(SW_STAT_KERNEL_TERMINATIONS);
	}
}

/* Wake the daemon for this record only when records pile up (one query of the ring per hit). */
static __always_inline bool ring_piling_up(const struct hit *h, __u32 size)
{
	__u64 waiting = h->waiting != ~0ULL ? h->waiting + size : bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return waiting >= SW_RING_WAKE_BYTES;
}

/* Everything of a statement event but its text (emit, emit_direct). */
static __always_inline void fill_statement_event(struct sw_statement_event *ev, const struct hit *h, __u64 hash,
						 __u32 action, __s32 text_len)
{
	ev->hdr.type = h->type;
	ev->hdr.pid = h->pid;
	ev->hdr.ktime_ns = bpf_ktime_get_ns();
	ev->text_addr = h->text_addr;
	ev->flags = h->flags;
	ev->ctx_id = h->ctx_id;
	ev->seq = h->seq;
	ev->hash = hash;
	ev->text_len = text_len;
	ev->action = action;
	ev->lex = h->lex;
	ev->aux = h->aux;
	ev->arg0 = h->arg0;
	ev->arg1 = h->arg1;
	ev->arg2 = h->arg2;
	if (h->role)
		__builtin_memcpy(ev->role, h->role, sizeof(ev->role));
	else
		ev->role[0] = 0;
}

/*
 * Reserve, fill and submit the record carrying cap bytes of text (cap is a
 * constant at each call site). The signal is sent BEFORE the record becomes
 * visible: the daemon must never resume a backend before the stop reaches it.
 * Returns -1 when the ring buffer is full (nothing sent).
 */
static __always_inline int emit(struct sw_scratch *buf, const struct hit *h, __u64 hash, __u32 action,
				const __u32 cap)
{
	struct sw_statement_event *ev;
	__u32 size = sizeof(*ev) - SW_TEXT_CAP + cap;

	ev = bpf_ringbuf_reserve(&events, size, 0);
	if (!ev)
		return -1;
	fill_statement_event(ev, h, hash, action, h->n);
	if (cap == SW_TEXT_SMALL) {
		/* Inline, and only the 64-byte blocks the text is in: every block written is a
		 * cache line of the ring taken, and the daemon reads text_len bytes. */
#pragma unroll
		for (__u32 b = 0; b < SW_TEXT_SMALL / 64; b++) {
			if (b * 64 >= (__u32)h->n)
				break;
			__builtin_memcpy(ev->text + b * 64, (const char *)buf->text + b * 64, 64);
		}
	} else {
		bpf_probe_read_kernel(ev->text, cap, buf->text);
	}
	send_for(action);
	/* Only a stopped or refused backend needs the daemon now; the rest is read on
	 * its tick, unless records pile up (a burst): then wake it before the ring fills. */
	if (action == SW_ACT_HELD || action == SW_ACT_CANCELLED || action == SW_ACT_TERMINATED ||
	    ring_piling_up(h, size))
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * An observed statement's short record, its text read from the backend straight
 * into the reservation (no scratch copy, no hash: nothing is decided on it).
 * Returns 0 when sent, -1 when the ring buffer is full, 1 when the text does
 * not fit a short record or could not be read: the caller reads it into the
 * scratch and sends it the usual way.
 */
static __always_inline int emit_direct(struct hit *h, __u32 action)
{
	struct sw_statement_event *ev;
	long n;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) - SW_TEXT_CAP + SW_TEXT_SMALL, 0);
	if (!ev)
		return -1;
	n = bpf_probe_read_user_str(ev->text, SW_TEXT_SMALL, h->direct);
	if (n <= 0 || n >= SW_TEXT_SMALL) {
		bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
		return 1;
	}
	h->n = n;
	fill_statement_event(ev, h, 0, action, n);
	/* Bytes past the NUL are not cleared (nor were they in a scratch copy): the daemon reads text_len. */
	if (ring_piling_up(h, sizeof(*ev) - SW_TEXT_CAP + SW_TEXT_SMALL))
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Exact-text cache lookup (and, for parsed statements under default lexing, the shape cache). */
static __always_inline __u32 cached(struct sw_scratch *buf, const struct hit *h, __u64 *hash)
{
	struct sw_cache_key key = {};
	struct sw_cache_val *val;
	struct text_loop c = { .words = buf->text, .len = (__u32)h->n,
			       .hash = 0xcbf29ce484222325ULL, .equal = true };

	bpf_loop(SW_TEXT_WORDS / SW_LOOP_UNROLL, hash_step, &c, 0);
	key.len = (__u32)h->n;
	key.ctx_id = h->ctx_id;
	key.lex = h->lex;
	key.kind = h->type;
	key.hash = c.hash;
	*hash = c.hash;
	val = bpf_map_lookup_elem(&verdict_cache, &key);
	if (val) {
		c.other = val->text;
		bpf_loop(SW_TEXT_WORDS / SW_LOOP_UNROLL, compare_step, &c, 0);
		if (c.equal) {
			count(SW_STAT_CACHE_HITS);
			return SW_ACT_CACHED_ALLOW;
		}
	}
	/* The shape normalizer reads strings as standard_conforming_strings = on does. */
	if (h->type != SW_EV_STATEMENT || h->lex != SW_LEX_DEFAULT)
		return 0;
	{
		struct shape_loop sl = { .in = (const unsigned char *)buf->text,
					 .out = (unsigned char *)buf->shape };
		sl.s.len = (__u32)h->n - 1;
		bpf_loop(SW_TEXT_CAP, shape_step, &sl, 0);
		if (sw_shape_finish(&sl.s) && sl.s.out_len > 0 && sl.s.out_len < SW_TEXT_CAP) {
			struct text_loop sc = { .words = buf->shape, .len = sl.s.out_len,
						.hash = 0xcbf29ce484222325ULL, .equal = true };
			bpf_loop(SW_TEXT_WORDS / SW_LOOP_UNROLL, hash_step, &sc, 0);
			key.len = sl.s.out_len;
			key.hash = sc.hash;
			val = bpf_map_lookup_elem(&shape_cache, &key);
			if (val) {
				sc.other = val->text;
				bpf_loop(SW_TEXT_WORDS / SW_LOOP_UNROLL, compare_step, &sc, 0);
				if (sc.equal) {
					count(SW_STAT_SHAPE_HITS);
					return SW_ACT_SHAPE_ALLOW;
				}
			}
		} else {
			count(SW_STAT_SHAPE_GIVE_UPS);
		}
	}
	return 0;
}

/* What the kernel does with this event before the daemon sees it. */
static __always_inline __u32 decide(struct sw_scratch *buf, const struct hit *h, __u64 *hash)
{
	*hash = 0;
	if (!h->governed)
		return SW_ACT_OBSERVED;
	if (h->flags & SW_SESS_REFUSED)
		return refusal(h->type, h->aux);
	if (h->type == SW_EV_SETTING && (h->aux & SW_AUX_FREE_SETTING) && no_daemon())
		return SW_ACT_CACHED_ALLOW;
	/* Verdict caches: only for fully captured text in a known context, judged under
	 * the same lexing, run as the role that authenticated, and (where the binary has
	 * the execution checkpoint) only once it is on this backend: what a statement
	 * runs inside functions is judged there. */
	if ((h->type == SW_EV_STATEMENT || h->type == SW_EV_BIND || h->type == SW_EV_EXECUTE ||
	     h->type == SW_EV_UTILITY || h->type == SW_EV_FUNCTION) && h->n > 0 && h->n < SW_TEXT_CAP &&
	    h->ctx_id && (h->lex & SW_LEX_KNOWN) && !(h->aux & (SW_AUX_ROLE_DIFFERS | SW_AUX_LAYOUT_BAD)) &&
	    (!h->need_nested || (h->flags & SW_SESS_NESTED_LIVE))) {
		__u32 a = cached(buf, h, hash);
		if (a)
			return a;
	}
	/* No live daemon to decide: refuse now rather than pause with nobody deciding. */
	if (no_daemon())
		return refusal(h->type, h->aux);
	return SW_ACT_HELD;
}

/* Hand a held event to the daemon through the overflow map (the ring is full). */
static __always_inline bool park(struct sw_scratch *buf, const struct hit *h)
{
	/* Staged in the scratch's shape half (not needed any more): too large for the BPF stack. */
	struct sw_overflow *op = (struct sw_overflow *)buf->shape;

	__builtin_memset(op, 0, sizeof(*op));

	op->type = h->type;
	op->flags = h->flags;
	op->ctx_id = h->ctx_id;
	op->lex = h->lex;
	op->aux = h->aux;
	op->ktime_ns = bpf_ktime_get_ns();
	op->seq = h->seq;
	op->text_addr = h->text_addr;
	op->arg0 = h->arg0;
	op->arg1 = h->arg1;
	op->arg2 = h->arg2;
	if (h->role)
		__builtin_memcpy(op->role, h->role, sizeof(op->role));
	return bpf_map_update_elem(&overflow, &h->pid, op, BPF_ANY) == 0;
}

/*
 * One record for a client statement that ended (ready for the next one, exited,
 * or superseded). base: the load base of binary r->bin in the current process
 * (0: the tag is not named, e.g. at exit, where the memory is gone).
 */
static __always_inline void completion_send(__u32 pid, const struct sw_running *r, __u32 end, __u64 base)
{
	struct sw_completion_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	__u64 name = 0;

	if (!ev) {
		count(SW_STAT_RB_DROPS);
		return;
	}
	ev->hdr.type = SW_EV_COMPLETION;
	ev->hdr.pid = pid;
	ev->hdr.ktime_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&ev->run, r, sizeof(*r));
	ev->end = end;
	ev->pad = 0;
	ev->tag_name[0] = 0;
	if (base && r->commands && r->bin < SW_BINS_MAX) {
		const struct sw_bin_layout *L = &bins[r->bin];
		__u32 at = r->bin * SW_TAGS_CACHED + r->tag;
		struct sw_tag_name *tn = r->tag < SW_TAGS_CACHED ? bpf_map_lookup_elem(&tag_names, &at) : NULL;

		if (tn && L->tag_behavior && tn->table == L->tag_behavior && tn->parse == L->fn[SW_FN_PARSE]) {
			__builtin_memcpy(ev->tag_name, tn->name, sizeof(ev->tag_name));
		} else if (L->tag_behavior && r->tag < 4096 &&
			   bpf_probe_read_user(&name, sizeof(name),
					       (const void *)(base + L->tag_behavior +
							      (__u64)r->tag * L->tag_behavior_size)) == 0 &&
			   name && bpf_probe_read_user_str(ev->tag_name, sizeof(ev->tag_name), (const void *)name) > 0 &&
			   tn) {
			/* Emptied first: another CPU that reads the entry meanwhile reads the backend instead. */
			tn->table = 0;
			asm volatile("" ::: "memory");
			__builtin_memcpy(tn->name, ev->tag_name, sizeof(tn->name));
			tn->parse = L->fn[SW_FN_PARSE];
			asm volatile("" ::: "memory");
			tn->table = L->tag_behavior;
		}
	}
	/* Nobody waits for it: read on the daemon's tick unless records pile up. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= SW_RING_WAKE_BYTES)
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

/* A recorded client statement begins: it is what this backend runs from now on. */
static __always_inline void running_start(struct hit *h)
{
	struct sw_running *r = bpf_map_lookup_elem(&running, &h->pid);
	struct sw_running fresh = {};

	if (r) {
		/* Extended protocol, several statements before one Sync: the one before is over. A Parse
		 * that ran nothing (its Bind follows) hands over silently, as does an idle backend. */
		if (r->seq != SW_RUN_IDLE_SEQ && (r->commands || (r->flags & SW_RUN_ERROR)))
			completion_send(h->pid, r, SW_DONE_SUPERSEDED, 0);
		else if (r->seq != SW_RUN_IDLE_SEQ && h->type == SW_EV_BIND)
			h->arg2 = r->seq + 1;   /* the Parse this Bind follows in the same round trip */
		__builtin_memset(r, 0, sizeof(*r));
		r->seq = h->seq;
		r->start_ns = bpf_ktime_get_ns();
		return;
	}
	fresh.seq = h->seq;
	fresh.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&running, &h->pid, &fresh, BPF_ANY);
}

/* Decide, record, and on a full ring buffer apply backpressure to governed work. */
static __always_inline void finish(struct sw_scratch *buf, struct hit *h)
{
	__u64 hash;
	__u32 action = decide(buf, h, &hash);
	bool wait_for_room;
	int rc;

	h->seq = __sync_fetch_and_add(&statement_seq, 1);
	if (h->client_statement)
		h->aux |= SW_AUX_CLIENT;
	if (h->client_statement && h->governed) {
		/* A new client statement: nested statements from here on belong to it. */
		struct sw_nest *ns = nest_of(h->pid);
		if (ns) {
			ns->statement_id = h->seq;
			ns->substatements = 0;
			ns->n = 0;
			ns->exec_src = 0;
		}
	}

	/* Tracked before the record is visible: the daemon may look it up at once. */
	if (h->client_statement)
		running_start(h);
	/* A statement that runs without the daemon (observed, cache-allowed) must still reach the
	 * ledger: with the ring nearly full it waits for room instead of losing its record, as the
	 * audit subsystem's backlog_wait_time does. The headroom keeps room for the completions of
	 * what already runs. Not without a live daemon to make room, nor in observe-only mode. */
	wait_for_room = action != SW_ACT_HELD && action != SW_ACT_CANCELLED && action != SW_ACT_TERMINATED &&
			enforce && !no_daemon();
	h->waiting = wait_for_room ? bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) : ~0ULL;
	if (wait_for_room && h->waiting > SW_RING_BYTES - SW_RING_HEADROOM)
		rc = -1;
	else if (h->direct && (rc = emit_direct(h, action)) <= 0)
		;   /* sent, or the ring is full */
	else {
		if (h->direct)   /* too long for a short record (or unreadable): through the scratch */
			h->n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, h->direct);
		if (h->n > 0 && h->n <= SW_TEXT_SMALL)
			rc = emit(buf, h, hash, action, SW_TEXT_SMALL);
		else
			rc = emit(buf, h, hash, action, SW_TEXT_CAP);
	}
	if (rc == 0)
		return;
	if (action == SW_ACT_CANCELLED || action == SW_ACT_TERMINATED) {
		count(SW_STAT_RB_DROPS);
		send_for(action);   /* refused in the kernel: refused, record or not */
		return;
	}
	if (action != SW_ACT_HELD && !wait_for_room) {
		count(SW_STAT_RB_DROPS);
		return;   /* observe-only or no daemon: it runs; the lost record is counted */
	}
	/* The daemon is alive but behind: hold the statement and leave it where the
	 * daemon looks on every tick (it judges it as held and records it). Allowed
	 * work waits; it is never cancelled. */
	if (park(buf, h)) {
		bpf_send_signal(SIGSTOP);
		count(SW_STAT_OVERFLOW_HELD);
		return;
	}
	count(SW_STAT_OVERFLOW_FULL);
	if (action != SW_ACT_HELD) {
		count(SW_STAT_RB_DROPS);
		return;   /* nowhere to wait either: it runs; the lost record is counted */
	}
	send_for(refusal(h->type, h->aux));
}

/* Look up the session and fill the common fields; false: out of scope. */
static __always_inline bool begin(struct hit *h, __u32 type)
{
	struct sw_session *sess;

	if (!in_scope())
		return false;
	__builtin_memset(h, 0, sizeof(*h));
	h->type = type;
	h->pid = bpf_get_current_pid_tgid() >> 32;
	sess = bpf_map_lookup_elem(&sessions, &h->pid);
	if (sess) {
		h->flags = sess->flags;
		h->ctx_id = sess->ctx_id;
		h->role = sess->role;
	}
	h->governed = enforce && sess && (h->flags & SW_SESS_GOVERNED);
	return true;
}

/* A client backend whose authentication we never saw (it connected before the gate
 * attached and was not adopted): fail closed, let the daemon look. */
static __always_inline void unknown_is_governed(struct hit *h)
{
	if (h->role)
		return;
	count(SW_STAT_UNKNOWN_SESSION);
	h->governed = enforce;
}

static __always_inline struct sw_scratch *scratch_buf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

/*
 * Several fields of one struct in the backend with a single read (each probe_read
 * has a fixed cost well above a few bytes' copy): [addr, addr + span) lands in the
 * scratch's shape half, which no caller needs until the fields are taken out.
 */
#define SW_WIN 256
static __always_inline const __u8 *read_window(__u64 addr, __u32 span)
{
	struct sw_scratch *buf = scratch_buf();

	if (!buf || !addr || span == 0 || span > SW_WIN)
		return NULL;
	barrier_var(span);   /* keep the bound in the register the helper gets */
	span &= (2 * SW_WIN - 1);
	if (bpf_probe_read_user(buf->shape, span, (const void *)addr) != 0)
		return NULL;
	return (const __u8 *)buf->shape;
}

/* A field of a window (off + size <= the span read, checked by the caller). */
static __always_inline __u64 win_get(const __u8 *w, __u32 off, __u32 size)
{
	__u64 v = 0;

	off &= SW_WIN - 1;
	if (size == 8 && off <= SW_WIN - 8)
		__builtin_memcpy(&v, w + off, 8);
	else if (size == 4 && off <= SW_WIN - 4)
		__builtin_memcpy(&v, w + off, 4);
	else if (size == 1)
		v = w[off];
	return v;
}

static __always_inline __u32 max_u32(__u32 a, __u32 b)
{
	return a > b ? a : b;
}

/* Nesting level at stack pointer sp: 1 + the nested checkpoints still running above it. */
static __always_inline __u32 nest_level(const struct sw_nest *ns, __u64 sp)
{
	__u32 live = 0;

	for (int i = 0; i < SW_NEST_DEPTH; i++) {
		if ((__u32)i >= ns->n)
			break;
		if (ns->sp[i] > sp)
			live = i + 1;
	}
	return live + 1;
}

SEC("uprobe")
int BPF_KPROBE(on_parse_query, const char *query)
{
	const struct sw_bin_layout *L;
	struct sw_scratch *buf;
	struct hit h;
	__u64 base = 0;

	if (!begin(&h, SW_EV_STATEMENT))
		return 0;
	unknown_is_governed(&h);
	buf = scratch_buf();
	if (!buf) {
		if (h.governed)
			bpf_send_signal(SIGINT);
		return 0;
	}
	L = layout_of(ctx, SW_FN_PARSE, &base);
	h.lex = lex_of(L, base);
	h.need_nested = L && L->fn[SW_FN_EXECUTOR_START];
	{
		/* The client's statement is the one the server is running (a SQL function's body is not). */
		__u64 dqs = 0;
		if (L && read_global(base, L->debug_query_string, &dqs, sizeof(dqs)) && dqs == (__u64)query)
			h.client_statement = true;
	}
	if (!h.client_statement && h.governed && h.need_nested) {
		/* A statement parsed inside another (a SQL function's body): nested in it. */
		struct sw_nest *ns = bpf_map_lookup_elem(&nest, &h.pid);
		if (ns) {
			__u32 level = nest_level(ns, PT_REGS_SP(ctx));
			ns->substatements++;
			h.aux |= (level & 0xff) << SW_AUX_LEVEL_SHIFT | (ns->substatements & 0x7fff) << SW_AUX_SUB_SHIFT;
			h.arg1 = ns->statement_id;
		}
	}
	/* A client's statement is parsed with no portal running; a SQL function's body
	 * is parsed while one runs, as the function's owner when it is SECURITY DEFINER:
	 * only the former must run as the role that authenticated. The daemon asks this
	 * only of governed (or unknown) sessions: an observed one's record never uses it. */
	if (!h.role || (h.flags & SW_SESS_GOVERNED)) {
		__u64 portal = 0;
		if (L && (!read_global(base, L->active_portal, &portal, sizeof(portal)) || !portal))
			h.aux = role_aux(L, base);
	}
	h.text_addr = (__u64)query;
	if (h.governed)
		h.n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, query);
	else
		h.direct = query;   /* nothing to decide: read into the record itself */
	finish(buf, &h);
	return 0;
}

/*
 * A Bind: one execution of a prepared statement, with its parameters. Only
 * client sessions (a background worker's SPI has no session here) and only
 * when no portal is running: GetCachedPlan inside a running statement (SQL
 * EXECUTE, PL/pgSQL) is that statement's own work, judged with it.
 *
 * Every session's client Bind is recorded, governed or observed: an observed
 * session's executions of its prepared statements reach the ledger one record
 * each, as its simple Queries do. For an observed session that is one read of
 * ActivePortal (a nested call returns there, at the first read), the lexing
 * settings and the plan source's window, and the text read straight into its
 * record; no stack read for SQL EXECUTE (the EXECUTE's own statement is its
 * record), no role globals (nothing is judged on them).
 */
SEC("uprobe")
int BPF_KPROBE(on_bind, void *psrc, void *params)
{
	const struct sw_bin_layout *L;
	struct sw_scratch *buf;
	struct hit h;
	__u64 base = 0, portal = 0, qs = 0;
	__u32 magic = 0;
	bool observed;

	if (!begin(&h, SW_EV_BIND))
		return 0;
	/* A session whose start was never seen is judged like a governed one (as at the parser). */
	unknown_is_governed(&h);
	observed = h.role && !(h.flags & SW_SESS_GOVERNED);
	L = layout_of(ctx, SW_FN_BIND, &base);
	if (!L)
		return 0;
	if (read_global(base, L->active_portal, &portal, sizeof(portal))) {
		if (portal && observed)
			return 0;   /* its statement's work; not counted (a shared counter per PL/pgSQL plan fetch) */
		if (portal) {
			/* Inside a running statement: SQL EXECUTE's plan is an execution of its own
			 * (the session's prepared statement may not be what sqlward saw prepared);
			 * anything else (PL/pgSQL, SPI) is the running statement's work. */
			__u64 ret = 0;
			if (bpf_probe_read_user(&ret, sizeof(ret), (const void *)PT_REGS_SP(ctx)) == 0)
				ret -= base;
			if (L->execute_query && ret > L->execute_query && ret < L->execute_query_end) {
				h.aux |= SW_AUX_SQL_EXECUTE;
			} else if (L->explain_execute && ret > L->explain_execute && ret < L->explain_execute_end) {
				h.aux |= SW_AUX_EXPLAIN_EXECUTE;
			} else {
				count(SW_STAT_NESTED_SKIPPED);
				return 0;
			}
		} else {
			h.aux |= SW_AUX_NESTED_CHECKED;
			h.client_statement = true;
		}
	}
	h.need_nested = L->fn[SW_FN_EXECUTOR_START] != 0;
	buf = scratch_buf();
	if (!buf) {
		if (h.governed)
			bpf_send_signal(SIGTERM);
		return 0;
	}
	h.lex = lex_of(L, base);
	/* A client's Bind runs as the role that authenticated (SQL EXECUTE was checked when parsed).
	 * Only governed (or unknown) sessions are judged on it: an observed record never uses it. */
	if (!observed && !(h.aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE)))
		h.aux |= role_aux(L, base);
	h.arg0 = (__u64)psrc;
	h.arg1 = (__u64)params;
	/* The plan source must be what this layout says it is, or the text is not trusted. */
	{
		/* magic (at 0) and query_string: one read where they are near. */
		const __u8 *w = read_window((__u64)psrc, max_u32(4, L->psrc_query_string + 8));
		if (w) {
			magic = (__u32)win_get(w, 0, 4);
			qs = win_get(w, L->psrc_query_string, 8);
		}
	}
	if ((!qs && (bpf_probe_read_user(&magic, sizeof(magic), psrc) != 0 ||
		     bpf_probe_read_user(&qs, sizeof(qs), (const char *)psrc + L->psrc_query_string) != 0)) ||
	    magic != L->psrc_magic || !qs) {
		h.aux |= SW_AUX_LAYOUT_BAD;
		buf->text[0] = 0;
		h.n = 0;
	} else {
		h.text_addr = qs;
		if (observed)
			h.direct = (const void *)qs;   /* nothing to decide: read into the record itself */
		else
			h.n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, (const void *)qs);
	}
	finish(buf, &h);
	if ((h.aux & (SW_AUX_SQL_EXECUTE | SW_AUX_EXPLAIN_EXECUTE)) && qs) {
		/* The executor start of this plan is this execution, judged here. */
		struct sw_nest *ns = bpf_map_lookup_elem(&nest, &h.pid);
		if (ns)
			ns->exec_src = qs;
	}
	return 0;
}

/* StringInfoData (lib/stringinfo.h): the same layout in every supported version. */
struct pg_stringinfo {
	__u64 data;
	__s32 len;
	__s32 maxlen;
	__s32 cursor;
};

SEC("uprobe")
int BPF_KPROBE(on_fastpath, void *msgbuf)
{
	struct pg_stringinfo si = {};
	struct sw_scratch *buf;
	struct hit h;
	__u32 take;

	if (!begin(&h, SW_EV_FASTPATH))
		return 0;
	unknown_is_governed(&h);
	buf = scratch_buf();
	if (!buf)
		return 0;
	h.arg0 = (__u64)msgbuf;
	h.client_statement = true;
	if (bpf_probe_read_user(&si, sizeof(si), msgbuf) == 0 && si.len > 0 && si.data) {
		take = (__u32)si.len < SW_TEXT_CAP - 1 ? (__u32)si.len : SW_TEXT_CAP - 1;
		h.text_addr = si.data;
		h.arg1 = (__u64)si.len;
		if (bpf_probe_read_user(buf->text, take & (SW_TEXT_CAP - 1), (const void *)si.data) == 0)
			h.n = take + 1;
	}
	finish(buf, &h);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_replication, const char *cmd)
{
	struct sw_scratch *buf;
	struct hit h;

	if (!begin(&h, SW_EV_REPLICATION))
		return 0;
	unknown_is_governed(&h);
	buf = scratch_buf();
	if (!buf) {
		if (h.governed)
			bpf_send_signal(SIGINT);
		return 0;
	}
	h.text_addr = (__u64)cmd;
	h.n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, cmd);
	finish(buf, &h);
	return 0;
}

/*
 * set_config_option_ext(name, value, context, source, srole, action,
 * changeVal, elevel, is_reload) (15+; 12-14 probe set_config_option, which has
 * no srole: action and changeVal come one argument earlier, setting_action_arg 5):
 * judged for governed sessions when it
 * changes a value from the connection (startup packet), the catalog
 * (ALTER ROLE/DATABASE ... SET) or SET/set_config() at run time. GUC_ACTION_SAVE
 * (a function's SET clause, the server's own temporary settings) belongs to the
 * statement that runs it.
 */
SEC("uprobe")
int BPF_KPROBE(on_setting, const char *name, const char *value, int context, int source)
{
	const struct sw_bin_layout *L;
	struct sw_scratch *buf;
	struct hit h;
	__u8 change_val = 0;
	__u64 base = 0;
	long nn, nv = 0;
	char *bytes;
	int action;

	if (!begin(&h, SW_EV_SETTING) || !h.role || !(h.flags & SW_SESS_GOVERNED))
		return 0;
	if (!(L = layout_of(ctx, SW_FN_SETTING, &base)))
		return 0;
	if (L->setting_action_arg == 5) {
		action = (int)PT_REGS_PARM5(ctx);
		change_val = (__u8)ctx->r9;
	} else {
		action = (int)ctx->r9;   /* the sixth argument (libbpf's macro stops at five) */
		if (bpf_probe_read_user(&change_val, 1, (const void *)(PT_REGS_SP(ctx) + 8)) != 0)
			return 0;
	}
	if (!change_val)
		return 0;
	if (!((source >= PGC_S_GLOBAL && source <= PGC_S_CLIENT) ||
	      (source == PGC_S_SESSION && action != GUC_ACTION_SAVE)))
		return 0;
	buf = scratch_buf();
	if (!buf)
		return 0;
	bytes = (char *)buf->text;
	h.arg0 = (__u64)name;
	h.arg1 = (__u64)value;
	h.aux = ((__u32)(source & 0xff) | ((__u32)(action & 0xff) << 8) | ((__u32)(context & 0xff) << 16))
		<< SW_AUX_SETTING_SHIFT;
	nn = bpf_probe_read_user_str(bytes, 256, name);
	if (nn <= 0) {
		bytes[0] = 0;
		nn = 1;
	}
	{
		/* GUC names are case-insensitive: look the lower-cased name up. */
		struct sw_setting_key key = {};
		for (int i = 0; i < SW_SETTING_NAME_MAX - 1; i++) {
			char c = bytes[i];
			if (!c)
				break;
			key.name[i] = c >= 'A' && c <= 'Z' ? c + 32 : c;
		}
		if (nn < SW_SETTING_NAME_MAX && bpf_map_lookup_elem(&free_settings, &key))
			h.aux |= SW_AUX_FREE_SETTING;
	}
	/* The value follows the name's NUL (nn is 1..256: a 256-byte name must not land at 0). */
	if (value)
		nv = bpf_probe_read_user_str(bytes + (((nn - 1) & 255) + 1), SW_TEXT_CAP - 257, value);
	else
		h.aux |= SW_AUX_VALUE_NULL;
	if (nv <= 0) {
		bytes[((nn - 1) & 255) + 1] = 0;
		nv = 1;
	}
	h.n = nn + nv;
	finish(buf, &h);
	return 0;
}

/* ---- the execution checkpoint: statements the server runs on the client's behalf ---- */

/*
 * Enter a nested checkpoint at stack pointer sp: the checkpoints still running
 * are the ones whose stack pointer is above it (the stack grows down); the
 * others have returned, or were unwound by an error. Returns the nesting level.
 */
static __always_inline __u32 nest_enter(struct sw_nest *ns, __u64 sp)
{
	__u32 n = ns->n < SW_NEST_DEPTH ? ns->n : SW_NEST_DEPTH, at;

	for (int i = 0; i < SW_NEST_DEPTH; i++) {
		if (n == 0)
			break;
		at = n - 1;
		barrier_var(at);   /* keep the bound check the verifier needs */
		if (at >= SW_NEST_DEPTH || ns->sp[at] > sp)
			break;
		n--;
	}
	at = n;
	barrier_var(at);
	if (at < SW_NEST_DEPTH) {
		ns->sp[at] = sp;
		n++;
	}
	ns->n = n;
	ns->substatements++;
	return n;
}

/* PlannedStmt fields both nested probes read. */
struct planned {
	__u32 tag, command_type;
	__s32 location, len;
	__u8 can_set_tag;
	__u64 utility;
};

static __always_inline bool read_planned(const struct sw_bin_layout *L, __u64 ps, struct planned *p)
{
	__u32 span = max_u32(max_u32(L->ps_command_type + 4, L->ps_can_set_tag + 1),
			     max_u32(max_u32(L->ps_stmt_location + 4, L->ps_stmt_len + 4), L->ps_utility_stmt + 8));
	const __u8 *w = span <= SW_WIN ? read_window(ps, span) : NULL;

	if (w) {
		p->tag = (__u32)win_get(w, 0, 4);
		p->command_type = (__u32)win_get(w, L->ps_command_type, 4);
		p->can_set_tag = (__u8)win_get(w, L->ps_can_set_tag, 1);
		p->location = (__s32)win_get(w, L->ps_stmt_location, 4);
		p->len = (__s32)win_get(w, L->ps_stmt_len, 4);
		p->utility = win_get(w, L->ps_utility_stmt, 8);
		return p->tag == L->ps_tag && p->location >= -1 && p->len >= 0;
	}
	return ps && bpf_probe_read_user(&p->tag, 4, (const void *)ps) == 0 &&
	       bpf_probe_read_user(&p->command_type, 4, (const void *)(ps + L->ps_command_type)) == 0 &&
	       bpf_probe_read_user(&p->can_set_tag, 1, (const void *)(ps + L->ps_can_set_tag)) == 0 &&
	       bpf_probe_read_user(&p->location, 4, (const void *)(ps + L->ps_stmt_location)) == 0 &&
	       bpf_probe_read_user(&p->len, 4, (const void *)(ps + L->ps_stmt_len)) == 0 &&
	       bpf_probe_read_user(&p->utility, 8, (const void *)(ps + L->ps_utility_stmt)) == 0 &&
	       p->tag == L->ps_tag && p->location >= -1 && p->len >= 0;
}

/* Judge a nested statement: its own text is src[location, location + len) (len 0: to the end). */
static __always_inline void nested(struct pt_regs *ctx, struct hit *h, const struct planned *p, bool valid,
				   __u64 src, bool rule_action)
{
	struct sw_scratch *buf = scratch_buf();
	struct sw_nest *ns;
	__u32 level;

	if (!buf) {
		/* Cannot happen (a per-CPU array at index 0); with nothing recorded, end the session
		 * rather than stop it for nobody to decide. */
		bpf_send_signal(SIGTERM);
		return;
	}
	ns = nest_of(h->pid);
	level = ns ? nest_enter(ns, PT_REGS_SP(ctx)) : 1;
	h->aux |= (level & 0xff) << SW_AUX_LEVEL_SHIFT;
	if (ns) {
		h->aux |= (ns->substatements & 0x7fff) << SW_AUX_SUB_SHIFT;
		h->arg1 = ns->statement_id;
	}
	h->arg0 = h->type == SW_EV_UTILITY ? p->utility : p->command_type;
	h->arg2 = (__u32)p->len;
	count(SW_STAT_NESTED_JUDGED);
	if (!valid || !src) {
		h->aux |= SW_AUX_LAYOUT_BAD;
		buf->text[0] = 0;
		h->n = 0;
	} else if (rule_action) {
		/* A rule's action carries no text of its own (its location is unknown). */
		h->aux |= SW_AUX_RULE_ACTION;
		buf->text[0] = 0;
		h->n = 0;
	} else {
		__u64 at = src + (__u64)(__u32)p->location;
		h->text_addr = at;
		h->n = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, (const void *)at);
		if (h->n > 0 && p->len > 0 && p->len < h->n - 1) {
			((char *)buf->text)[p->len & (SW_TEXT_CAP - 1)] = 0;
			h->n = p->len + 1;
		}
	}
	finish(buf, h);
}

/*
 * The portal being started or run is the client's own when it carries this
 * very query text (exec_bind_message hands the portal a copy of the statement
 * it binds: same text, another address). A nested query runs inside the
 * client's portal with text of its own, or in an SPI cursor of its own.
 */
static __always_inline bool client_portal(const struct sw_bin_layout *L, __u64 base, __u64 src, __u64 dqs)
{
	struct sw_scratch *buf = scratch_buf();
	__u64 portal = 0, psrc = 0;
	long n1, n2;

	if (!buf || !read_global(base, L->active_portal, &portal, sizeof(portal)) || !portal ||
	    bpf_probe_read_user(&psrc, sizeof(psrc), (const void *)(portal + L->portal_source_text)) != 0 ||
	    psrc != src)
		return false;
	n1 = bpf_probe_read_user_str(buf->text, SW_TEXT_CAP, (const void *)src);
	n2 = bpf_probe_read_user_str(buf->shape, SW_TEXT_CAP, (const void *)dqs);
	if (n1 <= 0 || n1 != n2 || n1 >= SW_TEXT_CAP)
		return false;   /* different, or too long to compare whole: judged as nested */
	{
		struct text_loop c = { .words = buf->text, .other = buf->shape, .len = (__u32)n1, .equal = true };
		bpf_loop(SW_TEXT_WORDS / SW_LOOP_UNROLL, compare_step, &c, 0);
		return c.equal;
	}
}

/* ExecutorStart(QueryDesc *): every plannable statement, nested ones included. */
static __always_inline int executor_start(struct pt_regs *ctx, void *qd)
{
	const struct sw_bin_layout *L;
	struct planned p = {};
	struct hit h;
	__u64 base = 0, ps = 0, src = 0, dqs = 0;
	__u32 op = 0;
	bool valid;

	if (!begin(&h, SW_EV_EXECUTE))
		return 0;
	unknown_is_governed(&h);
	if (!h.governed || !(L = layout_of(ctx, SW_FN_EXECUTOR_START, &base)))
		return 0;
	h.need_nested = true;
	{
		/* QueryDesc's operation (at 0), plannedstmt and sourceText: one read where they are near. */
		const __u8 *w = read_window((__u64)qd, max_u32(4, max_u32(L->qd_plannedstmt + 8, L->qd_source_text + 8)));
		if (w) {
			op = (__u32)win_get(w, 0, 4);
			ps = win_get(w, L->qd_plannedstmt, 8);
			src = win_get(w, L->qd_source_text, 8);
			valid = true;
		} else {
			valid = bpf_probe_read_user(&op, 4, qd) == 0 &&
				bpf_probe_read_user(&ps, 8, (const char *)qd + L->qd_plannedstmt) == 0 &&
				bpf_probe_read_user(&src, 8, (const char *)qd + L->qd_source_text) == 0;
		}
	}
	valid = valid && read_planned(L, ps, &p) && p.command_type == op && op >= 1 && op < L->cmd_utility &&
		read_global(base, L->debug_query_string, &dqs, sizeof(dqs));
	if (valid && src && src == dqs && p.location >= 0) {
		/* The client's own statement (or a query its utility statement runs): judged at parse or Bind. */
		count(SW_STAT_EXEC_TOP_LEVEL);
		return 0;
	}
	if (valid && src && dqs && p.location >= 0 && client_portal(L, base, src, dqs)) {
		/* The extended protocol's portal: its own copy of the statement the client bound. */
		count(SW_STAT_EXEC_TOP_LEVEL);
		return 0;
	}
	if (valid && src) {
		struct sw_nest *ns = bpf_map_lookup_elem(&nest, &h.pid);
		__u64 judged = ns ? ns->exec_src : 0;
		if (judged && (judged == src || client_portal(L, base, src, judged))) {
			/* SQL EXECUTE's plan (its portal holds a copy of the text), judged at its Bind a moment ago. */
			if (ns)
				ns->exec_src = 0;
			count(SW_STAT_EXEC_TOP_LEVEL);
			return 0;
		}
	}
	/* Judged here: the lexing it runs under (read only now: the client's own statement above needs none). */
	h.lex = lex_of(L, base);
	/* A rule action (the client's, or one a nested statement sets off) has no location: no text of its own. */
	nested(ctx, &h, &p, valid, src, valid && p.location < 0);
	return 0;
}

/*
 * ProcessUtility(pstmt, queryString, [readOnlyTree,] context, ...): a utility
 * statement. PROCESS_UTILITY_TOPLEVEL is the client's (judged at parse) and
 * PROCESS_UTILITY_SUBCOMMAND part of one; QUERY and QUERY_NONATOMIC come from
 * functions and procedures.
 */
static __always_inline int process_utility(struct pt_regs *ctx, void *pstmt, const char *query_string, long a3,
					   long a4)
{
	const struct sw_bin_layout *L;
	struct planned p = {};
	struct hit h;
	__u64 base = 0;
	long context;
	bool valid;

	if (!begin(&h, SW_EV_UTILITY))
		return 0;
	unknown_is_governed(&h);
	if (!h.governed || !(L = layout_of(ctx, SW_FN_PROCESS_UTILITY, &base)))
		return 0;
	context = L->pu_context_arg == 3 ? a3 : a4;
	if (context == 0 /* TOPLEVEL */ || context == 3 /* SUBCOMMAND */)
		return 0;
	h.lex = lex_of(L, base);
	h.need_nested = true;
	valid = read_planned(L, (__u64)pstmt, &p) && p.command_type == L->cmd_utility && p.utility &&
		(context == 1 || context == 2);
	nested(ctx, &h, &p, valid, (__u64)query_string, false);
	return 0;
}

/*
 * fmgr_info_cxt_security(functionId, ...): every call of a function is
 * prepared here first (the executor's expressions, PL/pgSQL's simple
 * expressions, views, column defaults, index expressions, operators, casts).
 * A watched built-in is judged before anything can call it.
 */
static __always_inline int function_lookup(struct pt_regs *ctx, __u32 oid)
{
	struct sw_scratch *buf;
	struct sw_nest *ns;
	struct hit h;
	__u32 *k = bpf_map_lookup_elem(&watched_oids, &oid);

	if (!k || !begin(&h, SW_EV_FUNCTION))
		return 0;
	unknown_is_governed(&h);
	if (!h.governed)
		return 0;
	buf = scratch_buf();
	if (!buf || *k >= SW_BUILTINS_MAX) {
		/* Cannot happen (a per-CPU array; indexes the daemon wrote): end the session
		 * rather than stop it with nothing recorded for anyone to decide. */
		bpf_send_signal(SIGTERM);
		return 0;
	}
	h.lex = SW_LEX_DEFAULT;
	h.need_nested = true;
	h.arg0 = *k;
	ns = bpf_map_lookup_elem(&nest, &h.pid);
	if (ns) {
		__u32 level = nest_level(ns, PT_REGS_SP(ctx));
		ns->substatements++;
		h.aux |= (level & 0xff) << SW_AUX_LEVEL_SHIFT | (ns->substatements & 0x7fff) << SW_AUX_SUB_SHIFT;
		h.arg1 = ns->statement_id;
	}
	h.n = bpf_probe_read_kernel_str(buf->text, SW_BUILTIN_TEXT, builtin_texts[*k & (SW_BUILTINS_MAX - 1)].text);
	finish(buf, &h);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_executor_start, void *qd)
{
	return executor_start(ctx, qd);
}

SEC("uprobe")
int BPF_KPROBE(on_process_utility, void *pstmt, const char *query_string, long a3, long a4)
{
	return process_utility(ctx, pstmt, query_string, a3, a4);
}

SEC("uprobe")
int BPF_KPROBE(on_function_lookup, __u32 oid)
{
	return function_lookup(ctx, oid);
}

/*
 * The three execution checkpoints as one program, attached per governed
 * backend as ONE uprobe-multi link (attach cookie = bin | fn << 8): ending a
 * session then costs one RCU grace period, not one per probe, and such
 * detaches overlap (perf-event uprobes detach one at a time under a global
 * lock). Loaded only where the kernel has uprobe-multi links (6.6+).
 */
SEC("uprobe")
int on_nested(struct pt_regs *ctx)
{
	__u64 fn = bpf_get_attach_cookie(ctx) >> 8;

	if (fn == SW_FN_EXECUTOR_START)
		return executor_start(ctx, (void *)PT_REGS_PARM1(ctx));
	if (fn == SW_FN_PROCESS_UTILITY)
		return process_utility(ctx, (void *)PT_REGS_PARM1(ctx), (const char *)PT_REGS_PARM2(ctx),
				       (long)PT_REGS_PARM3(ctx), (long)PT_REGS_PARM4(ctx));
	if (fn == SW_FN_FMGR_LOOKUP)
		return function_lookup(ctx, (__u32)PT_REGS_PARM1(ctx));
	return 0;
}

/* ---- outcome probes (per process: attached for a released statement only) ---- */

static __always_inline const struct sw_bin_layout *outcome_layout(struct pt_regs *ctx, __u64 fn_vaddr_off,
								   __u64 *base)
{
	__u64 bin = bpf_get_attach_cookie(ctx);
	const struct sw_bin_layout *L;
	__u64 fn;

	if (bin >= SW_BINS_MAX)
		return NULL;
	L = &bins[bin];
	fn = fn_vaddr_off == 0 ? L->end_command : fn_vaddr_off == 1 ? L->emit_error_report : L->ready_for_query;
	if (!fn)
		return NULL;
	*base = PT_REGS_IP(ctx) - fn;
	return L;
}

static __always_inline struct sw_outcome_event *outcome_begin(__u32 kind)
{
	struct sw_outcome_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(SW_STAT_RB_DROPS);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = SW_EV_OUTCOME;
	ev->hdr.pid = bpf_get_current_pid_tgid() >> 32;
	ev->hdr.ktime_ns = bpf_ktime_get_ns();
	ev->kind = kind;
	return ev;
}

/* EndCommand(const QueryCompletion *qc, CommandDest dest, ...): QueryCompletion is {CommandTag; uint64}. */
SEC("uprobe")
int BPF_KPROBE(on_end_command, const void *qc, int dest)
{
	const struct sw_bin_layout *L;
	struct sw_outcome_event *ev;
	__u64 base = 0, name = 0;
	__u32 tag = 0;

	/* DestRemote, DestRemoteExecute, DestRemoteSimple: what the client is told. */
	if (dest < 2 || dest > 4 || !(L = outcome_layout(ctx, 0, &base)))
		return 0;
	if (!(ev = outcome_begin(SW_OUT_COMMAND)))
		return 0;
	if (L->end_command_text) {
		/* 12: the tag text ("UPDATE 2"): its words name the command, its last number is the rows. */
		__u64 rows = 0;
		int cut = -1;
		bpf_probe_read_user_str(ev->text, sizeof(ev->text), qc);
		for (int i = 0; i < 24; i++) {
			char c = ev->text[i];
			if (!c)
				break;
			if (c == ' ' && cut < 0 && ev->text[i + 1] >= '0' && ev->text[i + 1] <= '9')
				cut = i;   /* "INSERT 0 1" is named INSERT, like 13+'s tag names */
			rows = c >= '0' && c <= '9' ? rows * 10 + (__u64)(c - '0') : 0;
		}
		if (cut >= 0 && cut < 24)
			ev->text[cut] = 0;
		ev->rows = rows;
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
		return 0;
	}
	bpf_probe_read_user(&tag, sizeof(tag), qc);
	bpf_probe_read_user(&ev->rows, sizeof(ev->rows), (const char *)qc + 8);
	ev->tag = tag;
	if (L->tag_behavior && tag < 4096 &&
	    bpf_probe_read_user(&name, sizeof(name),
				(const void *)(base + L->tag_behavior + (__u64)tag * L->tag_behavior_size)) == 0 && name)
		bpf_probe_read_user_str(ev->text, sizeof(ev->text), (const void *)name);
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* EmitErrorReport(void): the report is errordata[errordata_stack_depth]. */
SEC("uprobe")
int BPF_KPROBE(on_error_report)
{
	const struct sw_bin_layout *L;
	struct sw_outcome_event *ev;
	__u64 base = 0, edata, msg = 0;
	__s32 depth = -1, elevel = 0;

	if (!(L = outcome_layout(ctx, 1, &base)) || !L->errordata || !L->errordata_depth)
		return 0;
	if (bpf_probe_read_user(&depth, sizeof(depth), (const void *)(base + L->errordata_depth)) || depth < 0 ||
	    depth >= 5 /* ERRORDATA_STACK_SIZE */)
		return 0;
	edata = base + L->errordata + (__u64)depth * L->errordata_size;
	if (bpf_probe_read_user(&elevel, sizeof(elevel), (const void *)edata) || elevel < (__s32)L->elevel_error)
		return 0;
	if (!(ev = outcome_begin(SW_OUT_ERROR)))
		return 0;
	ev->elevel = elevel + 21 - (__s32)L->elevel_error;   /* in 14+'s numbering: ERROR 21, FATAL 22 */
	bpf_probe_read_user(&ev->sqlerrcode, sizeof(ev->sqlerrcode), (const void *)(edata + L->edata_sqlerrcode));
	if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)(edata + L->edata_message)) == 0 && msg)
		bpf_probe_read_user_str(ev->text, sizeof(ev->text), (const void *)msg);
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_ready_for_query)
{
	struct sw_outcome_event *ev;
	__u64 base = 0;

	if (!outcome_layout(ctx, 2, &base) || !(ev = outcome_begin(SW_OUT_READY)))
		return 0;
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* ---- completion probes (every backend of a probed binary): one record per client statement ---- */

static __always_inline __u64 completion_base(struct pt_regs *ctx, __u32 which, const struct sw_bin_layout **Lp)
{
	__u64 bin = bpf_get_attach_cookie(ctx), fn;
	const struct sw_bin_layout *L;

	if (bin >= SW_BINS_MAX)
		return 0;
	L = &bins[bin];
	fn = which == 0 ? L->end_command : which == 1 ? L->emit_error_report : L->ready_for_query;
	if (!fn)
		return 0;
	*Lp = L;
	return PT_REGS_IP(ctx) - fn;
}

SEC("uprobe")
int BPF_KPROBE(on_complete_command, const void *qc, int dest)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct sw_running *r;
	__u64 rows = 0;
	__u32 tag = 0;

	__u32 bin = (__u32)bpf_get_attach_cookie(ctx);

	/* What the client is told (DestRemote, DestRemoteExecute, DestRemoteSimple). */
	if (dest < 2 || dest > 4 || !(r = bpf_map_lookup_elem(&running, &pid)) || r->seq == SW_RUN_IDLE_SEQ ||
	    bin >= SW_BINS_MAX)
		return 0;
	if (bins[bin].end_command_text) {
		/* 12: the tag text, "SELECT 5", "INSERT 0 1", "CREATE TABLE": rows are its last number. */
		char t[24] = {};
		bpf_probe_read_user_str(t, sizeof(t), qc);
		for (int i = 0; i < (int)sizeof(t); i++) {
			char c = t[i];
			if (!c)
				break;
			rows = c >= '0' && c <= '9' ? rows * 10 + (__u64)(c - '0') : 0;
		}
	} else {
		/* QueryCompletion {CommandTag commandTag; uint64 nprocessed}: one read. */
		__u64 qcv[2] = {};
		bpf_probe_read_user(qcv, sizeof(qcv), qc);
		tag = (__u32)qcv[0];
		rows = qcv[1];
	}
	r->rows += rows;
	r->commands++;
	r->tag = tag;
	r->bin = bin;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_complete_error)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	const struct sw_bin_layout *L = NULL;
	struct sw_running *r;
	__u64 base, edata;
	__s32 depth = -1, elevel = 0;
	__u32 code = 0;

	if (!(r = bpf_map_lookup_elem(&running, &pid)) || r->seq == SW_RUN_IDLE_SEQ || (r->flags & SW_RUN_ERROR))
		return 0;
	if (!(base = completion_base(ctx, 1, &L)) || !L->errordata || !L->errordata_depth)
		return 0;
	if (bpf_probe_read_user(&depth, sizeof(depth), (const void *)(base + L->errordata_depth)) || depth < 0 ||
	    depth >= 5 /* ERRORDATA_STACK_SIZE */)
		return 0;
	edata = base + L->errordata + (__u64)depth * L->errordata_size;
	if (bpf_probe_read_user(&elevel, sizeof(elevel), (const void *)edata) || elevel < (__s32)L->elevel_error)
		return 0;
	bpf_probe_read_user(&code, sizeof(code), (const void *)(edata + L->edata_sqlerrcode));
	r->sqlerrcode = code;
	r->elevel = elevel + 21 - (__s32)L->elevel_error;   /* in 14+'s numbering: ERROR 21, FATAL 22 */
	r->flags |= SW_RUN_ERROR;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_complete_ready)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	const struct sw_bin_layout *L = NULL;
	struct sw_running *r = bpf_map_lookup_elem(&running, &pid);

	if (!r || r->seq == SW_RUN_IDLE_SEQ)
		return 0;
	completion_send(pid, r, SW_DONE_READY, completion_base(ctx, 2, &L));
	/* Idle: the entry stays for the next statement (deleted when the backend exits). seq
	 * first: the daemon may read the entry meanwhile, and must not see a statement's seq. */
	r->seq = SW_RUN_IDLE_SEQ;
	r->start_ns = 0;
	r->rows = 0;
	r->commands = 0;
	r->tag = 0;
	r->sqlerrcode = 0;
	r->elevel = 0;
	r->flags = 0;
	r->bin = 0;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct dentry *file = BPF_CORE_READ(bprm, file, f_path.dentry), *dir;
	struct sw_dir_key fk = {}, dk = {};
	struct sw_bin_name *want, got = {};
	struct sw_event_hdr *ev;
	struct sw_exec_stop stop = {};
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	const unsigned char *name;

	fk.dev = BPF_CORE_READ(file, d_sb, s_dev);
	fk.ino = BPF_CORE_READ(file, d_inode, i_ino);
	if (bpf_map_lookup_elem(&probed_files, &fk))
		return 0;
	dir = BPF_CORE_READ(file, d_parent);
	dk.dev = BPF_CORE_READ(dir, d_sb, s_dev);
	dk.ino = BPF_CORE_READ(dir, d_inode, i_ino);
	want = bpf_map_lookup_elem(&bin_dirs, &dk);
	if (!want)
		return 0;
	name = BPF_CORE_READ(file, d_name.name);
	if (bpf_probe_read_kernel_str(got.name, sizeof(got.name), name) <= 0)
		return 0;
	for (int i = 0; i < SW_BIN_NAME_MAX; i++) {
		if (got.name[i] != want->name[i])
			return 0;
		if (!got.name[i])
			break;
	}
	/* A governed server binary the probes are not on (replaced on disk). */
	if (!enforce)
		goto tell;
	if (no_daemon()) {
		count(SW_STAT_UNPROBED_EXEC_KILLED);
		bpf_send_signal(SIGKILL);
		return 0;
	}
	count(SW_STAT_UNPROBED_EXEC_STOPPED);
	stop.ktime_ns = bpf_ktime_get_ns();
	stop.file = fk;
	if (bpf_map_update_elem(&exec_stopped, &pid, &stop, BPF_ANY) != 0) {
		/* Nowhere to tell the daemon to resume it: refuse rather than stop it for good. */
		count(SW_STAT_UNPROBED_EXEC_KILLED);
		bpf_send_signal(SIGKILL);
		return 0;
	}
	bpf_send_signal(SIGSTOP);
tell:
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(SW_STAT_RB_DROPS);
		return 0;
	}
	ev->type = SW_EV_EXEC;
	ev->pid = pid;
	ev->ktime_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * A process exits. The daemon: mark it dead now, so governed statements are
 * refused rather than held with nobody to decide (no waiting for the
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
	{
		struct sw_running *r = bpf_map_lookup_elem(&running, &tgid);
		if (r) {
			if (r->seq != SW_RUN_IDLE_SEQ)
				completion_send(tgid, r, SW_DONE_EXITED, 0);
			bpf_map_delete_elem(&running, &tgid);
		}
	}
	bpf_map_delete_elem(&nest, &tgid);
	bpf_map_delete_elem(&overflow, &tgid);
	bpf_map_delete_elem(&exec_stopped, &tgid);
	return 0;
}
