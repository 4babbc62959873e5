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
__u64 lost_events;            /* ring buffer full: the command was not reported */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} my_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MY_SESSIONS);
	__type(key, struct sw_my_conn_key);
	__type(value, struct sw_my_session);
} my_sessions SEC(".maps");

#define PT_PTRACED_BIT 0x1

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

static __always_inline __u32 read_name(char *dst, const void *src)
{
	long n = bpf_probe_read_user_str(dst, SW_MY_NAME_MAX, src);

	if (n <= 0) {
		dst[0] = 0;
		return 0;
	}
	return (__u32)n - 1;
}

SEC("uprobe")
int BPF_KPROBE(on_dispatch_command, __u32 cmd, void *thd, char *packet, __u32 len)
{
	__u32 bin = (__u32)bpf_get_attach_cookie(ctx);
	const struct sw_my_bin_layout *L;
	struct sw_my_event *ev;
	struct sw_my_conn_key key = {};
	struct sw_my_session *sess, fresh = {};
	void *sctx = NULL, *cs = NULL;
	const char *p = NULL;
	__u32 ulen, plen, copy;

	if (bin >= SW_MY_BINS_MAX)
		return 0;
	L = &bins[bin];
	if (!L->valid)
		return 0;
	ev = bpf_ringbuf_reserve(&my_events, sizeof(*ev), 0);
	if (!ev) {
		/* Cannot report it: a governed command still must not run unjudged, so
		 * hold it anyway when a holder exists (it finds the thread stopped with
		 * no event and denies it); lost_events tells the daemon why. */
		__sync_fetch_and_add(&lost_events, 1);
		if (my_config.enforce && traced_by_holder())
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
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
	ev->pad = 0;
	ev->conn_id = 0;
	ev->sql_mode = 0;
	ev->charset = 0;
	bpf_probe_read_user(&ev->conn_id, sizeof(ev->conn_id), thd + L->thd_thread_id);
	bpf_probe_read_user(&ev->sql_mode, sizeof(ev->sql_mode), thd + L->thd_sql_mode);
	if (bpf_probe_read_user(&cs, sizeof(cs), thd + L->thd_charset_client) == 0 && cs)
		bpf_probe_read_user(&ev->charset, sizeof(ev->charset), cs + L->charset_number);
	/* Identity: the login's own security context (a client command runs outside stored
	 * programs, where the effective one would be the same). */
	if (L->thd_main_sctx)
		sctx = thd + L->thd_main_sctx;
	else
		bpf_probe_read_user(&sctx, sizeof(sctx), thd + L->thd_security_ctx);
	ev->user[0] = ev->host[0] = ev->priv_user[0] = ev->priv_host[0] = 0;
	ulen = 0;
	if (sctx) {
		if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_user) == 0 && p)
			ulen = read_name(ev->user, p);
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_host) == 0 && p)
			read_name(ev->host, p);
		if (!ev->host[0]) {
			p = NULL;
			if (bpf_probe_read_user(&p, sizeof(p), sctx + L->sctx_ip) == 0 && p)
				read_name(ev->host, p);
		}
		plen = read_name(ev->priv_user, sctx + L->sctx_priv_user);
		read_name(ev->priv_host, sctx + L->sctx_priv_host);
	} else {
		plen = 0;
	}

	/* Governed: decided once per connection (ids are never reused by a server), again after
	 * COM_CHANGE_USER / COM_RESET_CONNECTION (this command is judged under the old identity). */
	key.tgid = ev->tgid;
	key.conn_id = ev->conn_id;
	sess = bpf_map_lookup_elem(&my_sessions, &key);
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
	ev->flags = sess->flags;
	if (cmd == SW_MY_COM_CHANGE_USER || cmd == SW_MY_COM_RESET_CONNECTION)
		bpf_map_delete_elem(&my_sessions, &key);

	/* Two constant-bounded reads: the verifier needs the size's bound in the register it checks. */
	ev->text_len = 0;
	if (packet && len >= SW_MY_TEXT_CAP) {
		if (bpf_probe_read_user(ev->text, SW_MY_TEXT_CAP, packet) == 0)
			ev->text_len = SW_MY_TEXT_CAP;
	} else if (packet) {
		copy = len & (SW_MY_TEXT_CAP - 1);
		if (bpf_probe_read_user(ev->text, copy, packet) == 0)
			ev->text_len = copy;
	}

	ev->action = SW_MY_ACT_OBSERVED;
	if (my_config.enforce && (ev->flags & SW_MY_SESS_GOVERNED)) {
		if (command_inert(cmd)) {
			ev->action = SW_MY_ACT_PASSED;
		} else if (traced_by_holder()) {
			ev->action = SW_MY_ACT_HELD;
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
		} else {
			/* Fail closed: nothing can hold this thread, so the statement must not run. The
			 * hold signal's default action ends the server (see mariadb.h). */
			ev->action = SW_MY_ACT_KILLED;
			bpf_send_signal_thread(SW_MY_HOLD_SIGNAL);
		}
	}
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
