// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * MariaDB probes. dispatch_command(enum_server_command, THD *, char *packet,
 * uint length, bool) sees every client command of every connection: the
 * probe reads the connection id and the account from the THD (offsets from
 * my_layout.c), reports the command, and for a governed connection stops the
 * thread before the command runs (see mariadb.h for how).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sqlward.h"
#include "mariadb.h"

/* GPL-2.0, one of the two licenses these programs are offered under (LICENSE): the kernel
 * needs a GPL-compatible program for the helpers it calls. */
char LICENSE[] SEC("license") = "GPL";

/* Written by the daemon through the skeleton's .bss. */
volatile __u32 sw_abi_version;  /* SW_ABI_VERSION of the daemon that loaded it (gate_abi.h) */
volatile __u32 n_patterns;
struct sw_pattern patterns[SW_GOVERN_MAX];
#include "role_match.h"   /* uses n_patterns, patterns[] */
struct sw_my_config my_config;
struct sw_my_bin_layout bins[SW_MY_BINS_MAX];
struct sw_my_done_layout done_bins[SW_MY_BINS_MAX];
__u64 lost_events;            /* ring buffer full: the command was not reported */
/* 1: the daemon fills the verdict caches and the probe may trust them (mariadb.h). Off while the
 * daemon empties them, and in a daemon's pins it left behind (adopt_old_pins turns it off). */
volatile __u32 sw_my_cache_on;
__u64 cache_hits;             /* commands the verdict caches allowed */
/* Backpressure (mariadb.h, SW_MY_ACT_WAITED): on when the daemon enforces and mariadbd's threads
 * take SW_MY_WAIT_SIGNAL (neither blocked nor caught); the daemon's heartbeat (monotonic ns),
 * written every 100 ms while its loop makes progress; commands that waited. */
volatile __u32 sw_my_wait_on;
volatile __u64 sw_my_beat_ns;
volatile __u64 sw_my_beat_grace_ns;
__u64 waited;
/*
 * The server restarted (userspace/mariadb/my_successor.h): the governed server's data directory
 * and pid. Another MariaDB server process that makes that directory its working directory (early
 * in its start-up, before InnoDB and the network) is its successor: it is stopped there until the
 * daemon has gated it (my_successors), or killed when no daemon is alive to (fail closed).
 */
volatile __u64 sw_my_datadir_dev, sw_my_datadir_ino;
volatile __u32 sw_my_server_tgid;
__u64 successors_stopped, successors_killed;

/*
 * 8 MiB: an observed command takes ~200 bytes here (a nameless command event of ~130 bytes with
 * its text, and its completion's 72), so this holds ~40,000 commands, over a second of sysbench
 * at full rate on this kind of host, while the daemon is woken at 1 MiB. The daemon maps the data
 * pages twice (libbpf): 16 MiB of its resident size.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SW_MY_RING_BYTES);
} my_events SEC(".maps");

/* An event is built here, then only its used part (header + text) goes into the ring. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_my_event);
} my_scratch SEC(".maps");

/*
 * Send a built event. A held or refused command wakes the daemon at once; a
 * recorded one waits for its next pass (a tick at most) unless the ring fills.
 * Returns false when the ring is full (the command is not reported).
 */
static __always_inline bool send_event(struct sw_my_event *ev)
{
	__u64 head = (ev->flags & SW_MY_EV_NAMELESS) ? __builtin_offsetof(struct sw_my_event, user)
						     : __builtin_offsetof(struct sw_my_event, text);
	__u64 size = head + (ev->text_len & (2 * SW_MY_TEXT_CAP - 1));
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (size > sizeof(*ev))
		size = sizeof(*ev);
	if (ev->action == SW_MY_ACT_HELD || ev->action == SW_MY_ACT_KILLED || ev->action == SW_MY_ACT_WAITED ||
	    bpf_ringbuf_query(&my_events, BPF_RB_AVAIL_DATA) >= (1 << 20))
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&my_events, ev, size, flags) == 0)
		return true;
	__sync_fetch_and_add(&lost_events, 1);
	return false;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MY_SESSIONS);
	__type(key, struct sw_my_conn_key);
	__type(value, struct sw_my_session);
} my_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sw_my_conn_key);
	__type(value, struct sw_my_expect);
} my_expect SEC(".maps");

/* The verdict caches (mariadb.h): COM_QUERY texts per context, prepared statement ids per connection. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MY_CACHE_ENTRIES);
	__type(key, struct sw_my_cache_key);
	__type(value, struct sw_my_cache_val);
} my_text_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MY_STMT_ENTRIES);
	__type(key, struct sw_my_stmt_key);
	__type(value, struct sw_my_stmt_val);
} my_stmt_cache SEC(".maps");

/* A COM_STMT_EXECUTE in progress, per connection (struct sw_my_prep_run). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sw_my_conn_key);
	__type(value, struct sw_my_prep_run);
} my_prep SEC(".maps");

/* Prepared statement texts the daemon holds (mariadb.h, SW_MY_KNOWN_ENTRIES). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MY_KNOWN_ENTRIES);
	__type(key, struct sw_my_stmt_key);
	__type(value, __u32);
} my_stmt_known SEC(".maps");

/* Client commands in progress, per thread (struct sw_my_running). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sw_my_running);
} my_running SEC(".maps");

#define PT_PTRACED_BIT 0x1

/* Successors stopped at their chdir into the data directory (key: pid; value: when). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} my_successors SEC(".maps");

/* Commands that neither read nor change data: a governed connection may send them unjudged. */
static __always_inline bool command_inert(__u32 cmd)
{
	return cmd == SW_MY_COM_QUIT || cmd == SW_MY_COM_PING || cmd == SW_MY_COM_SLEEP ||
	       cmd == SW_MY_COM_STMT_CLOSE || cmd == SW_MY_COM_STMT_RESET ||
	       cmd == SW_MY_COM_STMT_SEND_LONG_DATA;
}

/* Is the current thread traced by the daemon's holder? */
static __always_inline bool traced_by_holder(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 holder = my_config.holder_tgid;

	if (!holder || !(BPF_CORE_READ(t, ptrace) & PT_PTRACED_BIT))
		return false;
	return BPF_CORE_READ(t, parent, tgid) == (int)holder;
}

/* Must this recorded command wait for the daemon (mariadb.h, SW_MY_ACT_WAITED)? The ring's
 * level is looked at first: below the limit, nothing else is read. */
static __always_inline bool must_wait(__u32 cmd)
{
	__u64 beat;

	if (bpf_ringbuf_query(&my_events, BPF_RB_AVAIL_DATA) < SW_MY_RING_LIMIT || !sw_my_wait_on ||
	    !my_config.enforce || command_inert(cmd))
		return false;
	beat = sw_my_beat_ns;
	return beat && bpf_ktime_get_ns() - beat < sw_my_beat_grace_ns && traced_by_holder();
}

static __always_inline __u32 read_name(char *dst, const void *src)
{
	long n = bpf_probe_read_user_str(dst, SW_MY_NAME_MAX, src);

	if (n <= 0) {
		dst[0] = 0;
		return 0;
	}
	return (__u32)n - 1;
}

/* The session's sql_mode and client charset (they change with SET: read for every command). */
static __always_inline void read_modes(struct sw_my_event *ev, void *thd, const struct sw_my_bin_layout *L)
{
	void *cs = NULL;

	ev->sql_mode = 0;
	ev->charset = 0;
	bpf_probe_read_user(&ev->sql_mode, sizeof(ev->sql_mode), thd + L->thd_sql_mode);
	if (bpf_probe_read_user(&cs, sizeof(cs), thd + L->thd_charset_client) == 0 && cs)
		bpf_probe_read_user(&ev->charset, sizeof(ev->charset), cs + L->charset_number);
}

/* The login's own security context (main_security_ctx: the effective one differs inside
 * SQL SECURITY DEFINER routines). */
static __always_inline void read_names(struct sw_my_event *ev, void *thd, const struct sw_my_bin_layout *L,
				       __u32 *ulen, __u32 *plen)
{
	void *sctx = NULL;
	const char *p = NULL;

	if (L->thd_main_sctx)
		sctx = thd + L->thd_main_sctx;
	else
		bpf_probe_read_user(&sctx, sizeof(sctx), thd + L->thd_security_ctx);
	ev->user[0] = ev->host[0] = ev->priv_user[0] = ev->priv_host[0] = 0;
	*ulen = *plen = 0;
	if (!sctx)
		return;
	if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_user) == 0 && p)
		*ulen = read_name(ev->user, p);
	p = NULL;
	if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_host) == 0 && p)
		read_name(ev->host, p);
	if (!ev->host[0]) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_ip) == 0 && p)
			read_name(ev->host, p);
	}
	*plen = read_name(ev->priv_user, sctx + L->sctx_priv_user);
	read_name(ev->priv_host, sctx + L->sctx_priv_host);
}

/* ---- the verdict caches ---------------------------------------------------------------- */

#define SW_MY_TEXT_WORDS (SW_MY_TEXT_CAP / 8)

struct my_text_loop {
	const __u64 *words;       /* the event's text (map value) */
	const __u64 *other;       /* the cached text (map value) */
	__u32 len;
	__u64 hash;
	bool equal;
};

/* The word at index w with the bytes past len masked off (a cached text is zero-padded, an
 * event's is not). */
static __always_inline __u64 my_masked_word(const __u64 *words, __u32 w, __u32 len)
{
	__u64 v = words[w & (SW_MY_TEXT_WORDS - 1)];

	if (w * 8 + 8 > len)
		v &= (~0ULL) >> (8 * (8 - (len - w * 8)));
	return v;
}

/* FNV-1a over 64-bit words (the daemon's sw_my_text_hash computes the same). */
static long my_hash_step(__u32 w, struct my_text_loop *c)
{
	if (w * 8 >= c->len)
		return 1;
	c->hash ^= my_masked_word(c->words, w, c->len);
	c->hash *= 0x100000001b3ULL;
	return 0;
}

static long my_compare_step(__u32 w, struct my_text_loop *c)
{
	if (w * 8 >= c->len)
		return 1;
	if (my_masked_word(c->words, w, c->len) != my_masked_word(c->other, w, c->len)) {
		c->equal = false;
		return 1;
	}
	return 0;
}

/* THD.db into the key (zero-padded); false when it cannot be read or is too long to compare. */
static __always_inline bool read_db(struct sw_my_cache_key *k, void *thd, const struct sw_my_bin_layout *L)
{
	struct { const char *str; __u64 len; } db = {};

	if (!L->thd_db || bpf_probe_read_user(&db, sizeof(db), thd + L->thd_db) != 0)
		return false;
	if (!db.str || db.len == 0) {
		k->db_len = 0;
		return true;
	}
	if (db.len >= SW_MY_DB_CAP)
		return false;
	k->db_len = (__u32)db.len;
	return bpf_probe_read_user(k->db, db.len & (SW_MY_DB_CAP - 1), db.str) == 0;
}

/* A COM_QUERY whose exact text the policy allowed in this context: its expectations go to
 * my_expect (the checkpoint stops anything else the server runs). */
static __always_inline bool text_cached(struct sw_my_event *ev, void *thd, const struct sw_my_bin_layout *L,
					__u32 ctx_id, const struct sw_my_conn_key *conn)
{
	struct sw_my_cache_key k = {};
	struct sw_my_cache_val *val;
	struct my_text_loop c = { .words = (const __u64 *)ev->text, .len = ev->text_len,
				  .hash = 0xcbf29ce484222325ULL, .equal = true };

	if (!ctx_id || !ev->charset || ev->text_len == 0 || ev->text_len >= SW_MY_TEXT_CAP ||
	    ev->text_len != ev->packet_len || !read_db(&k, thd, L))
		return false;
	bpf_loop(SW_MY_TEXT_WORDS, my_hash_step, &c, 0);
	k.hash = c.hash;
	k.sql_mode = ev->sql_mode;
	k.ctx_id = ctx_id;
	k.len = ev->text_len;
	k.charset = ev->charset;
	val = bpf_map_lookup_elem(&my_text_cache, &k);
	if (!val)
		return false;
	c.other = val->text;
	bpf_loop(SW_MY_TEXT_WORDS, my_compare_step, &c, 0);
	if (!c.equal || bpf_map_update_elem(&my_expect, conn, &val->expect, BPF_ANY) != 0)
		return false;
	ev->ref = val->db_ref;
	return true;
}

/* A COM_STMT_EXECUTE: its statement's first execution is watched (my_prep); a hit when the
 * daemon cached the id's execution under the same sql_mode and charset. */
static __always_inline bool stmt_cached(struct sw_my_event *ev, __u32 ctx_id, const struct sw_my_conn_key *conn,
				        bool may_hit)
{
	struct sw_my_prep_run run = {};
	struct sw_my_stmt_key sk = {};
	struct sw_my_stmt_val *sv;
	const unsigned char *t = (const unsigned char *)ev->text;
	bool hit = false;

	if (ev->text_len < 4)
		return false;
	run.stmt_id = (__u32)t[0] | (__u32)t[1] << 8 | (__u32)t[2] << 16 | (__u32)t[3] << 24;
	sk.tgid = conn->tgid;
	sk.stmt_id = run.stmt_id;
	sk.conn_id = conn->conn_id;
	if (may_hit && sw_my_cache_on && ctx_id && run.stmt_id != SW_MY_LAST_STMT_ID) {
		sv = bpf_map_lookup_elem(&my_stmt_cache, &sk);
		if (sv && sv->sql_mode == ev->sql_mode && sv->charset == ev->charset && ev->charset) {
			run.allowed = 1;
			run.mask[0] = sv->mask[0];
			run.mask[1] = sv->mask[1];
			run.mask[2] = sv->mask[2];
			ev->ref = sv->db_ref;
			hit = true;
		}
	}
	if (bpf_map_update_elem(&my_prep, conn, &run, BPF_ANY) != 0)
		return false;
	return hit;
}

SEC("uprobe")
int BPF_KPROBE(on_dispatch_command, __u32 cmd, void *thd, char *packet, __u32 len)
{
	__u32 bin = (__u32)bpf_get_attach_cookie(ctx);
	const struct sw_my_bin_layout *L;
	struct sw_my_event *ev;
	struct sw_my_conn_key key = {};
	struct sw_my_session *sess, fresh = {};
	__u32 ulen = 0, plen = 0, copy;
	bool nameless = false;
	char *text;

	if (bin >= SW_MY_BINS_MAX)
		return 0;
	L = &bins[bin];
	if (!L->valid)
		return 0;
	{
		__u32 zero = 0;
		ev = bpf_map_lookup_elem(&my_scratch, &zero);
		if (!ev)
			return 0;
	}
	ev->type = SW_MY_EV_COMMAND;
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	ev->command = cmd;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->thd = (__u64)thd;
	ev->packet = (__u64)packet;
	ev->packet_len = len;
	ev->sql_command = -1;
	ev->bin = bin;
	ev->ref = 0;
	ev->conn_id = 0;
	bpf_probe_read_user(&ev->conn_id, sizeof(ev->conn_id), thd + L->thd_thread_id);
	read_modes(ev, thd, L);

	/* Governed: decided once per connection (ids are never reused by a server), again after
	 * COM_CHANGE_USER / COM_RESET_CONNECTION (this command is judged under the old identity).
	 * An ungoverned connection's later commands go without its names (SW_MY_EV_NAMELESS): the
	 * observe path's reads and ring bytes are the command's own. */
	key.tgid = ev->tgid;
	key.conn_id = ev->conn_id;
	sess = bpf_map_lookup_elem(&my_sessions, &key);
	if (sess && !(sess->flags & SW_MY_SESS_GOVERNED)) {
		nameless = true;
	} else {
		read_names(ev, thd, L, &ulen, &plen);
	}
	if (!sess) {
		/* Both the login name and the matched account's user are tested: either one governed
		 * governs the connection (an anonymous account matches '' but logs in with a name). */
		if (ulen >= SW_MY_NAME_MAX - 1 || plen >= SW_MY_NAME_MAX - 1)
			fresh.flags |= SW_MY_SESS_LONG_NAME | SW_MY_SESS_GOVERNED;
		if (role_governed(ev->user, ulen) || role_governed(ev->priv_user, plen))
			fresh.flags |= SW_MY_SESS_GOVERNED;
		if (ulen != plen)
			fresh.flags |= SW_MY_SESS_DIFFERS;
		else
			for (__u32 i = 0; i < SW_MY_NAME_MAX; i++) {
				if (i >= ulen)
					break;
				if (ev->user[i] != ev->priv_user[i]) {
					fresh.flags |= SW_MY_SESS_DIFFERS;
					break;
				}
			}
		bpf_map_update_elem(&my_sessions, &key, &fresh, BPF_ANY);
		sess = &fresh;
	}
	ev->flags = sess->flags | (nameless ? SW_MY_EV_NAMELESS : 0);
	if (cmd == SW_MY_COM_CHANGE_USER || cmd == SW_MY_COM_RESET_CONNECTION)
		bpf_map_delete_elem(&my_sessions, &key);
	/* A new command: no top-level execution is expected until the daemon allows it, and no
	 * prepared statement runs unless this is a COM_STMT_EXECUTE (stmt_cached). */
	if (ev->flags & SW_MY_SESS_GOVERNED) {
		bpf_map_delete_elem(&my_expect, &key);
		if (cmd != SW_MY_COM_STMT_EXECUTE)
			bpf_map_delete_elem(&my_prep, &key);
	}

	/* Two constant-bounded reads: the verifier needs the size's bound in the register it checks.
	 * Without the names, the text goes where they would be (user[] .. text[] + cap fits the event). */
	ev->text_len = 0;
	text = nameless ? ev->user : ev->text;
	if (packet && len >= SW_MY_TEXT_CAP) {
		if (bpf_probe_read_user(text, SW_MY_TEXT_CAP, packet) == 0)
			ev->text_len = SW_MY_TEXT_CAP;
	} else if (packet) {
		copy = len & (SW_MY_TEXT_CAP - 1);
		if (bpf_probe_read_user(text, copy, packet) == 0)
			ev->text_len = copy;
	}

	ev->action = SW_MY_ACT_OBSERVED;
	if (my_config.enforce && (ev->flags & SW_MY_SESS_GOVERNED)) {
		bool hit = false;
		/* Only while the holder traces the thread (the daemon lives) and the ring has room for the
		 * hit's record: a hit must be recorded to run, so with the daemon behind, commands are
		 * held (and wait for it) instead of allowed and then lost. A miss is held. */
		bool traced = traced_by_holder();
		bool room = bpf_ringbuf_query(&my_events, BPF_RB_AVAIL_DATA) < SW_MY_RING_LIMIT;

		if (cmd == SW_MY_COM_STMT_EXECUTE)
			hit = stmt_cached(ev, sess->ctx_id, &key, traced && room);
		else if (cmd == SW_MY_COM_QUERY && sw_my_cache_on && traced && room)
			hit = text_cached(ev, thd, L, sess->ctx_id, &key);
		if (command_inert(cmd)) {
			ev->action = SW_MY_ACT_PASSED;
			if (cmd == SW_MY_COM_STMT_CLOSE && ev->text_len >= 4) {
				/* Its id is never used again: its cached verdict goes with it. */
				const unsigned char *t = (const unsigned char *)text;
				struct sw_my_stmt_key sk = { .tgid = key.tgid, .conn_id = key.conn_id,
							     .stmt_id = (__u32)t[0] | (__u32)t[1] << 8 |
									(__u32)t[2] << 16 | (__u32)t[3] << 24 };
				bpf_map_delete_elem(&my_stmt_cache, &sk);
			}
		} else if (hit) {
			ev->action = SW_MY_ACT_CACHED;
		} else if (traced) {
			ev->action = SW_MY_ACT_HELD;
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
		} else {
			/* Fail closed: nothing can hold this thread, so the statement must not run. The
			 * hold signal's default action ends the server (see mariadb.h). */
			ev->action = SW_MY_ACT_KILLED;
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
		}
	} else if (must_wait(cmd)) {
		ev->action = SW_MY_ACT_WAITED;
	}
	/* A command the daemon records: its return is reported (on_dispatch_return) with the same
	 * start time as this event, which pairs the two. */
	if (done_bins[bin].valid && !command_inert(cmd) && ev->action != SW_MY_ACT_KILLED) {
		struct sw_my_running run = { .thd = (__u64)thd, .conn_id = ev->conn_id, .start_ns = ev->ktime_ns,
					     .command = cmd, .bin = bin };
		__u64 id = bpf_get_current_pid_tgid();
		/* An execution nobody judges: its statement's text is reported at its own execution,
		 * unless the daemon has it (on_execute_command, my_stmt_known). */
		if (cmd == SW_MY_COM_STMT_EXECUTE && ev->text_len >= 4 &&
		    (ev->action == SW_MY_ACT_OBSERVED || ev->action == SW_MY_ACT_WAITED)) {
			const unsigned char *t = (const unsigned char *)text;
			run.stmt_id = (__u32)t[0] | (__u32)t[1] << 8 | (__u32)t[2] << 16 | (__u32)t[3] << 24;
			run.stmt_first = 1;
		}
		bpf_map_update_elem(&my_running, &id, &run, BPF_ANY);
	}
	/* Not reported (ring full): a governed command is held all the same and the daemon refuses
	 * it unjudged (it finds the thread stopped with no report); others just go uncounted but for
	 * lost_events. A cache hit must be recorded to run: unreported, it is held like a miss. A
	 * command that waits stops only once its report is in the ring (the daemon releases it when
	 * it reads it); with not even the headroom left, it runs, counted as lost. */
	if (!send_event(ev)) {
		if (ev->action == SW_MY_ACT_CACHED) {
			bpf_map_delete_elem(&my_expect, &key);
			bpf_map_delete_elem(&my_prep, &key);
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
		}
	} else if (ev->action == SW_MY_ACT_CACHED) {
		__sync_fetch_and_add(&cache_hits, 1);
	} else if (ev->action == SW_MY_ACT_WAITED) {
		bpf_send_signal_thread(SW_MY_WAIT_SIGNAL);
		__sync_fetch_and_add(&waited, 1);
	}
	return 0;
}

/*
 * dispatch_command's return: how the command recorded at its entry ended, read
 * from its THD (the Diagnostics_area and the row counters are still the
 * command's: the next command resets them).
 */
SEC("uretprobe")
int BPF_KRETPROBE(on_dispatch_return)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sw_my_running *r = bpf_map_lookup_elem(&my_running, &id);
	struct sw_my_running run;
	const struct sw_my_done_layout *D;
	struct sw_my_done_event *ev;
	void *thd, *da = NULL, *lex = NULL;
	__u32 sqlcom = 0xffffffff;

	if (!r)
		return 0;
	run = *r;
	bpf_map_delete_elem(&my_running, &id);
	if (run.bin >= SW_MY_BINS_MAX)
		return 0;
	D = &done_bins[run.bin];
	if (!D->valid)
		return 0;
	ev = bpf_ringbuf_reserve(&my_events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	thd = (void *)run.thd;
	ev->type = SW_MY_EV_DONE;
	ev->tgid = id >> 32;
	ev->tid = (__u32)id;
	ev->command = run.command;
	ev->conn_id = run.conn_id;
	ev->start_ns = run.start_ns;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->sent_rows = 0;
	ev->row_count_func = -1;
	ev->sql_errno = 0;
	bpf_probe_read_user(&ev->sent_rows, sizeof(ev->sent_rows), thd + D->thd_sent_row_count);
	bpf_probe_read_user(&ev->row_count_func, sizeof(ev->row_count_func), thd + D->thd_row_count_func);
	if (bpf_probe_read_user(&da, sizeof(da), thd + D->thd_stmt_da) == 0 && da)
		bpf_probe_read_user(&ev->sql_errno, sizeof(ev->sql_errno), da + D->da_sql_errno);
	if (bpf_probe_read_user(&lex, sizeof(lex), thd + bins[run.bin].thd_lex) == 0 && lex)
		bpf_probe_read_user(&sqlcom, sizeof(sqlcom), lex + bins[run.bin].lex_sql_command);
	ev->sql_command = (__s32)sqlcom;
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&my_events, BPF_RB_AVAIL_DATA) >= (1 << 20) ? BPF_RB_FORCE_WAKEUP
											      : BPF_RB_NO_WAKEUP);
	return 0;
}

/* unlink_thd(THD *): once per connection in both thread modes, whatever ended it. */
SEC("uprobe")
int BPF_KPROBE(on_connection_end, void *thd)
{
	__u32 bin = (__u32)bpf_get_attach_cookie(ctx);
	struct sw_my_conn_key key = {};
	struct sw_my_end_event *ev;

	if (bin >= SW_MY_BINS_MAX || !bins[bin].valid)
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_probe_read_user(&key.conn_id, sizeof(key.conn_id), thd + bins[bin].thd_thread_id) != 0)
		return 0;
	bpf_map_delete_elem(&my_sessions, &key);
	bpf_map_delete_elem(&my_prep, &key);
	ev = bpf_ringbuf_reserve(&my_events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	ev->type = SW_MY_EV_END;
	ev->tgid = key.tgid;
	ev->conn_id = key.conn_id;
	ev->ktime_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* THD.query_string into dst (ev->text, or ev->user for a nameless event: either has room for
 * SW_MY_TEXT_CAP bytes). Two constant-bounded reads, as the dispatch probe's. */
static __always_inline void read_query(struct sw_my_event *ev, void *thd, const struct sw_my_bin_layout *L, char *dst)
{
	struct { const char *str; __u64 len; } q = {};

	ev->text_len = 0;
	ev->packet_len = 0;
	ev->packet = 0;
	if (bpf_probe_read_user(&q, sizeof(q), thd + L->thd_query) != 0 || !q.str)
		return;
	ev->packet = (__u64)q.str;
	ev->packet_len = q.len > 0xffffffff ? 0xffffffff : (__u32)q.len;
	if (q.len >= SW_MY_TEXT_CAP) {
		if (bpf_probe_read_user(dst, SW_MY_TEXT_CAP, q.str) == 0)
			ev->text_len = SW_MY_TEXT_CAP;
	} else {
		__u32 n = (__u32)q.len & (SW_MY_TEXT_CAP - 1);
		if (bpf_probe_read_user(dst, n, q.str) == 0)
			ev->text_len = n;
	}
}

/*
 * An observed COM_STMT_EXECUTE's first execution (the dispatch marked it in my_running): the
 * prepared statement's own, run under its own LEX. Its text goes to the daemon unless the daemon
 * has it already (my_stmt_known); without it, the daemon records the execution as unknown.
 */
static __always_inline void report_prepared_text(void *thd, const struct sw_my_bin_layout *L, __u32 bin,
						 const struct sw_my_running *run)
{
	struct sw_my_stmt_key sk = { .tgid = bpf_get_current_pid_tgid() >> 32, .stmt_id = run->stmt_id,
				     .conn_id = run->conn_id };
	struct sw_my_event *ev;
	void *lex = NULL;
	__u32 sqlcom = 0xffffffff, zero = 0;

	if (!L->thd_main_lex || bpf_probe_read_user(&lex, sizeof(lex), thd + L->thd_lex) != 0 || !lex ||
	    lex == thd + L->thd_main_lex)
		return;   /* not a prepared statement's own execution */
	if (sk.stmt_id != SW_MY_LAST_STMT_ID && bpf_map_lookup_elem(&my_stmt_known, &sk))
		return;
	ev = bpf_map_lookup_elem(&my_scratch, &zero);
	if (!ev)
		return;
	bpf_probe_read_user(&sqlcom, sizeof(sqlcom), lex + L->lex_sql_command);
	ev->type = SW_MY_EV_EXECUTE;
	ev->tgid = sk.tgid;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	ev->command = SW_MY_COM_STMT_EXECUTE;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->conn_id = run->conn_id;
	ev->thd = (__u64)thd;
	ev->sql_mode = 0;
	ev->charset = 0;
	ev->sql_command = (__s32)sqlcom;
	ev->bin = bin;
	ev->ref = sk.stmt_id;
	ev->flags = SW_MY_EV_NAMELESS | SW_MY_EXEC_NESTED | SW_MY_EXEC_PREPARED;
	ev->action = SW_MY_ACT_OBSERVED;
	read_query(ev, thd, L, ev->user);
	send_event(ev);   /* lost (ring full): the daemon records the execution as unknown */
}

/*
 * mysql_execute_command(THD *, bool): every statement the server executes, on a
 * governed connection: a client statement whose parsed command is what the
 * daemon expected runs on; anything else (a statement inside a stored program,
 * trigger or function, a prepared statement's execution, a client statement
 * the server parsed differently) stops its thread and is judged by its text
 * and the server's own command. On any connection, an observed COM_STMT_EXECUTE's
 * statement reports its text here (report_prepared_text).
 */
SEC("uprobe")
int BPF_KPROBE(on_execute_command, void *thd)
{
	__u32 bin = (__u32)bpf_get_attach_cookie(ctx);
	const struct sw_my_bin_layout *L;
	struct sw_my_conn_key key = {};
	struct sw_my_session *sess;
	struct sw_my_expect *exp;
	struct sw_my_prep_run *prep;
	struct sw_my_event *ev;
	void *lex = NULL;
	struct sw_my_running *run;
	__u32 sqlcom = 0xffffffff, ulen, plen, flags, xflags = 0, ref = 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	bool nested;

	if (bin >= SW_MY_BINS_MAX)
		return 0;
	L = &bins[bin];
	if (!L->valid)
		return 0;
	/* An observed COM_STMT_EXECUTE's first execution: nothing to judge, its text to report. */
	run = bpf_map_lookup_elem(&my_running, &pid_tgid);
	if (run && run->stmt_first) {
		run->stmt_first = 0;
		report_prepared_text(thd, L, bin, run);
		return 0;
	}
	if (!L->thd_main_lex || !my_config.enforce)
		return 0;
	key.tgid = pid_tgid >> 32;
	if (bpf_probe_read_user(&key.conn_id, sizeof(key.conn_id), thd + L->thd_thread_id) != 0)
		return 0;
	sess = bpf_map_lookup_elem(&my_sessions, &key);
	if (!sess || !(sess->flags & SW_MY_SESS_GOVERNED))
		return 0;
	flags = sess->flags;
	bpf_probe_read_user(&lex, sizeof(lex), thd + L->thd_lex);
	if (lex)
		bpf_probe_read_user(&sqlcom, sizeof(sqlcom), lex + L->lex_sql_command);
	nested = lex != thd + L->thd_main_lex;
	/* The first execution after a COM_STMT_EXECUTE is its prepared statement's own; a cache hit
	 * lets it run when the server parsed the command the daemon judged. Everything it runs
	 * inside (a stored function, a trigger) comes after, and stops. */
	prep = bpf_map_lookup_elem(&my_prep, &key);
	if (prep) {
		__u32 k = prep->seen;
		prep->seen = k + 1;
		if (k == 0 && nested) {
			__u64 m = 0;
			/* (Three branches: an index the verifier can bound.) */
			if (sqlcom < 64)
				m = prep->mask[0];
			else if (sqlcom < 128)
				m = prep->mask[1];
			else if (sqlcom < SW_MY_SQLCOM_MAX)
				m = prep->mask[2];
			if (prep->allowed && ((m >> (sqlcom & 63)) & 1))
				return 0;
			xflags = SW_MY_EXEC_PREPARED;
			ref = prep->stmt_id;
		}
	}
	if (!nested) {
		exp = bpf_map_lookup_elem(&my_expect, &key);
		if (exp) {
			/* One connection runs one statement at a time: no other writer. */
			__u32 k = exp->next;
			exp->next = k + 1;
			/* mask[] as one flat array: one bounded index the verifier can follow. */
			__u32 idx = k * 3 + (sqlcom >> 6);
			if (k < exp->n && sqlcom < SW_MY_SQLCOM_MAX && idx < SW_MY_EXPECT_MAX * 3 &&
			    ((((__u64 *)exp->mask)[idx] >> (sqlcom & 63)) & 1))
				return 0;
		}
	}
	{
		__u32 zero = 0;
		ev = bpf_map_lookup_elem(&my_scratch, &zero);
		if (!ev)
			return 0;
	}
	ev->type = SW_MY_EV_EXECUTE;
	ev->tgid = key.tgid;
	ev->tid = (__u32)pid_tgid;
	ev->command = SW_MY_COM_QUERY;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->conn_id = key.conn_id;
	ev->thd = (__u64)thd;
	ev->sql_command = (__s32)sqlcom;
	ev->bin = bin;
	ev->ref = ref;
	read_modes(ev, thd, L);
	read_names(ev, thd, L, &ulen, &plen);
	ev->flags = flags | (nested ? SW_MY_EXEC_NESTED : SW_MY_EXEC_MISMATCH) | xflags;
	/* The statement's own text: THD.query_string (a routine statement's, a prepared one's). */
	read_query(ev, thd, L, ev->text);
	if (traced_by_holder()) {
		ev->action = SW_MY_ACT_HELD;
	} else {
		ev->action = SW_MY_ACT_KILLED;   /* fail closed: see mariadb.h */
	}
	bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
	send_event(ev);   /* not reported: the daemon refuses the stopped thread unjudged */
	return 0;
}

#define SIGKILL 9
#define SIGSTOP 19

/* Is the current process a MariaDB server (by its command name, as its binary file names it)? */
static __always_inline bool server_process(void)
{
	char comm[16] = {};

	bpf_get_current_comm(comm, sizeof(comm));
	return (comm[0] == 'm' && comm[1] == 'a' && comm[2] == 'r' && comm[3] == 'i' && comm[4] == 'a' &&
		comm[5] == 'd' && comm[6] == 'b' && comm[7] == 'd' && comm[8] == 0) ||
	       (comm[0] == 'm' && comm[1] == 'y' && comm[2] == 's' && comm[3] == 'q' && comm[4] == 'l' &&
		comm[5] == 'd' && comm[6] == 0);
}

/* Attached to sys_exit_chdir and sys_exit_fchdir (the same check after either). */
SEC("tp/syscalls/sys_exit_chdir")
int on_chdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *t;
	struct dentry *d;
	__u64 now, beat;

	if (ctx->ret != 0 || !sw_my_datadir_ino || pid == sw_my_server_tgid)
		return 0;
	t = bpf_get_current_task_btf();
	d = BPF_CORE_READ(t, fs, pwd.dentry);
	if (BPF_CORE_READ(d, d_inode, i_ino) != sw_my_datadir_ino || BPF_CORE_READ(d, d_sb, s_dev) != sw_my_datadir_dev ||
	    !server_process())
		return 0;
	now = bpf_ktime_get_ns();
	beat = sw_my_beat_ns;
	/* No daemon beating to gate it (or nowhere to tell it): it would serve ungated. Observing
	 * (nothing enforced), it serves on: stopped only while a live daemon follows it, so that
	 * nothing it serves goes unrecorded. */
	if (!my_config.holder_tgid || !beat || now - beat >= sw_my_beat_grace_ns ||
	    bpf_map_update_elem(&my_successors, &pid, &now, BPF_ANY) != 0) {
		if (!my_config.enforce)
			return 0;
		__sync_fetch_and_add(&successors_killed, 1);
		bpf_send_signal(SIGKILL);
		return 0;
	}
	__sync_fetch_and_add(&successors_stopped, 1);
	bpf_send_signal(SIGSTOP);
	return 0;
}
