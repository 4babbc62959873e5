/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Layouts shared by the MariaDB probes (mariadb.bpf.c) and the daemon
 * (my_gate.c, my_holder.c): ring-buffer events, the per-binary layout and the
 * session map. Fixed-width kernel types only; both sides include this file.
 *
 * How a governed MariaDB statement is held: mariadbd runs many connections as
 * threads of one process, so the kernel cannot stop one session with SIGSTOP.
 * The daemon's holder ptrace-seizes every thread of the governed mariadbd; the
 * probe on dispatch_command sends the thread-directed SW_MY_HOLD_SIGNAL, and a
 * traced thread stops alone in signal-delivery-stop, at the function's entry,
 * with the command's arguments still in registers (my_holder.c).
 */
#ifndef SQLWARD_MARIADB_H
#define SQLWARD_MARIADB_H

#include "sqlward.h"   /* fixed-width types, struct sw_pattern, SW_ABI_* */

#define SW_MY_TEXT_CAP   4096   /* packet bytes carried in an event */
#define SW_MY_NAME_MAX   64     /* user / host bytes carried (longer login names are governed) */
#define SW_MY_BINS_MAX   4      /* mariadbd binaries probed at once (attach cookie = index) */
#define SW_MY_SESSIONS   65536  /* connections remembered (LRU; ids are never reused by a server) */

/*
 * The hold signal. Its default action terminates the process, mariadbd neither
 * catches nor blocks it, and only the holder (the tracer) ever sees it: if it
 * reaches a thread that nobody traces (the holder died between the probe and
 * the stop), the server ends instead of running the statement unjudged.
 */
#define SW_MY_HOLD_SIGNAL 16    /* SIGSTKFLT */

/*
 * Backpressure (SW_MY_ACT_WAITED): a command that runs without the daemon's decision
 * (an ungoverned connection's) must still reach the ledger. With the ring buffer nearly full
 * (above SW_MY_RING_LIMIT of unread data), the daemon alive (its heartbeat beats) and its
 * holder tracing the thread, the probe sends the command's event into the headroom kept for
 * it and stops the thread with this signal: the daemon reads the event in order, records it,
 * and lets the thread run. It waits; it is never refused. The holder sets no deny state at
 * such a stop (a daemon that dies leaves the command to run, as it would without one), and
 * the signal's default action is to ignore it: if it reaches a thread nobody traces (the
 * holder died between the probe and the stop), the command just runs. Not in observe-only
 * mode (no holder), as PostgreSQL's ungoverned statements wait only while enforcing.
 */
#define SW_MY_WAIT_SIGNAL 23    /* SIGURG */
/* Unread ring bytes above which nothing runs unrecorded without waiting (the verdict caches
 * are not used either): the rest of the 8 MiB ring is headroom for the reports of what waits
 * or is held (one per connection thread at most) and the completions of what already runs. */
#define SW_MY_RING_BYTES (8u << 20)
#define SW_MY_RING_LIMIT (6u << 20)

enum sw_my_event_type {
	SW_MY_EV_COMMAND = 1,   /* dispatch_command: a client command (COM_QUERY, COM_STMT_PREPARE, ...) */
	SW_MY_EV_EXECUTE = 2,   /* mysql_execute_command: a statement the server is about to execute */
	SW_MY_EV_END = 3,       /* unlink_thd: a connection ended (struct sw_my_end_event) */
	SW_MY_EV_DONE = 4,      /* dispatch_command returned (struct sw_my_done_event) */
};

/*
 * A client command in progress on a thread (map "my_running", key: the thread's
 * pid_tgid): written at dispatch_command's entry, removed at its return. The
 * daemon looks here before cancelling a command over its runtime budget: the
 * same start_ns means the thread still runs that very command.
 */
struct sw_my_running {
	__u64 thd;
	__u64 conn_id;
	__u64 start_ns;             /* = the SW_MY_EV_COMMAND event's ktime_ns */
	__u32 command;
	__u32 bin;
	__u32 stmt_id;              /* an observed COM_STMT_EXECUTE's statement id (its packet's) */
	__u32 stmt_first;           /* 1: its statement's own execution is still to come (see my_stmt_known) */
};

/* How a client command ended: what the THD says when dispatch_command returns. */
struct sw_my_done_event {
	__u32 type;                 /* SW_MY_EV_DONE */
	__u32 tgid;
	__u32 tid;
	__u32 command;              /* enum_server_command */
	__u64 conn_id;
	__u64 start_ns;             /* its SW_MY_EV_COMMAND event's ktime_ns */
	__u64 ktime_ns;             /* when it returned */
	__u64 sent_rows;            /* THD.m_sent_row_count: rows sent to the client (reads) */
	__s64 row_count_func;       /* THD.m_row_count_func (ROW_COUNT()): affected rows of a write, -1 for
	                             * a statement that sent a result set */
	__u32 sql_errno;            /* Diagnostics_area's error number; 0: no error */
	__s32 sql_command;          /* the last statement's enum_sql_command; -1 unknown */
};

/* Where the completion probe reads (my_layout.c derives them; valid = 0: no completions). */
struct sw_my_done_layout {
	__u32 thd_sent_row_count;   /* ha_rows (u64), from THD::set_sent_row_count / inc_sent_row_count */
	__u32 thd_row_count_func;   /* longlong, from Item_func_row_count::val_int */
	__u32 thd_stmt_da;          /* Diagnostics_area *, from thd_get_error_number / thd_get_error_message */
	__u32 da_sql_errno;         /* uint, from thd_get_error_number */
	__u32 valid;
	__u32 pad;
};

struct sw_my_end_event {
	__u32 type;                 /* SW_MY_EV_END */
	__u32 tgid;
	__u64 conn_id;
	__u64 ktime_ns;
};

/* What the kernel did with a command before the daemon saw it. */
enum sw_my_action {
	SW_MY_ACT_OBSERVED = 0, /* ungoverned (or observe-only gate): not stopped */
	SW_MY_ACT_HELD = 1,     /* governed: the hold signal was sent; the holder has the thread stopped */
	SW_MY_ACT_PASSED = 2,   /* governed, but a command that changes nothing (COM_PING, COM_QUIT, ...) */
	SW_MY_ACT_KILLED = 3,   /* governed, and no holder traces the thread: the server was ended (fail closed) */
	SW_MY_ACT_CACHED = 4,   /* governed: the kernel's verdict cache allowed it (a policy allow made earlier
	                         * for the same text in the same context, or for the same prepared statement);
	                         * not stopped, recorded by the daemon like an observed command */
	SW_MY_ACT_WAITED = 5,   /* would have run unstopped (observed), but the ring buffer was nearly full:
	                         * stopped with SW_MY_WAIT_SIGNAL until the daemon recorded it (backpressure) */
};

/* Session flags (struct sw_my_session.flags, struct sw_my_event.flags). */
#define SW_MY_SESS_GOVERNED  0x1
#define SW_MY_SESS_LONG_NAME 0x2  /* a user name longer than SW_MY_NAME_MAX - 1 bytes: governed */
#define SW_MY_SESS_DIFFERS   0x4  /* the login name differs from the matched account's user name */
/*
 * (struct sw_my_event.flags) An ungoverned connection's command after its first: the names
 * (user, host, priv_user, priv_host) were not read and the text starts where user[] does, so the
 * event is 256 bytes shorter (the daemon keeps each connection's names from its first event, and
 * reads them from the THD when it has none). The first command after COM_CHANGE_USER or
 * COM_RESET_CONNECTION carries them again (the session is decided anew then).
 */
#define SW_MY_EV_NAMELESS    0x1000
/* Execution checkpoint (SW_MY_EV_EXECUTE, struct sw_my_event.flags). */
#define SW_MY_EXEC_NESTED    0x100  /* run inside another statement: a stored program or a prepared statement */
#define SW_MY_EXEC_MISMATCH  0x200  /* a client statement the server parsed as a command sqlward did not expect */
/* The first execution after a COM_STMT_EXECUTE: the prepared statement's own (its id in
 * struct sw_my_event.ref). Its policy allow may be cached for that id (struct sw_my_stmt_key). */
#define SW_MY_EXEC_PREPARED  0x400

/*
 * What the daemon expects the server to parse each statement of an allowed
 * client command as (map "my_expect", key: the connection): for the k-th
 * top-level execution, the set of enum_sql_command values (192 bits). A
 * top-level execution in the set runs without stopping; any other stops and
 * is judged (the server is right when they disagree).
 */
#define SW_MY_EXPECT_MAX 16
#define SW_MY_SQLCOM_MAX 192
struct sw_my_expect {
	__u32 n;                    /* statements expected */
	__u32 next;                 /* top-level executions seen */
	__u64 mask[SW_MY_EXPECT_MAX][3];
};

/* MariaDB's enum_server_command values the probe must know (sql/sql_class.h / include/mysql_com.h). */
#define SW_MY_COM_SLEEP            0
#define SW_MY_COM_QUIT             1
#define SW_MY_COM_QUERY            3
#define SW_MY_COM_STATISTICS       9
#define SW_MY_COM_PING            14
#define SW_MY_COM_CHANGE_USER     17
#define SW_MY_COM_STMT_PREPARE    22
#define SW_MY_COM_STMT_EXECUTE    23
#define SW_MY_COM_STMT_SEND_LONG_DATA 24
#define SW_MY_COM_STMT_CLOSE      25
#define SW_MY_COM_STMT_RESET      26
#define SW_MY_COM_STMT_FETCH      28
#define SW_MY_COM_RESET_CONNECTION 31

/* Where the probes find what they read in a mariadbd binary (my_layout.c derives and checks them). */
struct sw_my_bin_layout {
	__u64 dispatch_command;     /* ELF vaddr of the probed functions (load base = probe ip - this) */
	__u64 execute_command;
	__u32 thd_thread_id;        /* my_thread_id (u64): the connection id */
	__u32 thd_security_ctx;     /* Security_context *: the effective context */
	__u32 sctx_host, sctx_user, sctx_ip;   /* const char * in Security_context */
	__u32 sctx_priv_user, sctx_priv_host;  /* char[] in Security_context: the matched account */
	__u32 thd_sql_mode;         /* u64 variables.sql_mode */
	__u32 thd_charset_client;   /* CHARSET_INFO *variables.character_set_client */
	__u32 charset_number;       /* uint CHARSET_INFO.number */
	__u32 thd_lex, lex_sql_command;
	__u32 thd_query;            /* LEX_CSTRING query_string: { const char *str; size_t length; } */
	__u32 valid;                /* 1 when every offset above was derived and checked */
	/* Filled by the gate from struct sw_my_layout (my_layout.c derives them too). */
	__u32 thd_main_sctx;        /* embedded Security_context: the login (security_ctx differs in routines) */
	__u32 thd_db;               /* LEX_CSTRING db: the session's current database */
	__u32 thd_main_lex;         /* LEX THD.main_lex: thd->lex points elsewhere inside stored programs
	                             * and prepared statements */
	__u32 pad;
};

struct sw_my_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn_id;
};

struct sw_my_session {
	__u32 flags;                /* SW_MY_SESS_* */
	__u32 ctx_id;               /* the daemon's id of who is asking (account, login, host, client program);
	                             * 0: none yet, nothing is allowed from the verdict cache. Written by the
	                             * daemon while the thread is stopped; a fresh entry (first command, change
	                             * of user, reset) starts at 0 */
};

/*
 * The kernel's verdict cache (my_text_cache, my_stmt_cache): what the policy
 * (never a human: an approval covers one execution) allowed, run again
 * without stopping the thread. Filled by the daemon (my_verdict_cache.c),
 * used only while enforcing, with the holder tracing the thread and
 * sw_my_cache_on set; emptied on policy reload, freeze and a failing ledger.
 * A hit still sends its event (every command is recorded) and writes the
 * sql_command set the daemon expects into my_expect / my_prep, so the
 * execution checkpoint still stops anything else the server runs.
 *
 * COM_QUERY: the exact text in the same context, under the same sql_mode and
 * client charset, in the same current database (compared whole: it is in the
 * key); the text's hash finds the entry and the text is compared byte for byte.
 */
#define SW_MY_CACHE_ENTRIES 2048
#define SW_MY_DB_CAP 64             /* current database bytes in the key (a longer name is never cached) */
struct sw_my_cache_key {
	__u64 hash;                 /* FNV-1a over the text's 64-bit words, zero-padded (sw_my_text_hash) */
	__u64 sql_mode;
	__u32 ctx_id;
	__u32 len;                  /* text bytes (< SW_MY_TEXT_CAP) */
	__u32 charset;              /* character_set_client number (never 0) */
	__u32 db_len;               /* 0: no current database */
	char db[SW_MY_DB_CAP];      /* zero-padded */
};
struct sw_my_cache_val {
	struct sw_my_expect expect; /* written into my_expect on a hit */
	__u32 db_ref;               /* the daemon's id of the database name (into the event's ref) */
	__u32 pad;
	__u64 text[SW_MY_TEXT_CAP / 8];   /* zero-padded */
};

/*
 * COM_STMT_EXECUTE: a statement id of one connection whose own execution the
 * daemon judged at the checkpoint and the policy allowed. A connection's
 * statement ids are never reused (THD.statement_id_counter only grows); the
 * entry goes on COM_STMT_CLOSE of the id, when the connection ends, and (by
 * the daemon, the thread stopped) on COM_CHANGE_USER / COM_RESET_CONNECTION.
 */
#define SW_MY_STMT_ENTRIES 8192
#define SW_MY_LAST_STMT_ID 0xffffffffu   /* "the last prepared statement": never cached */
struct sw_my_stmt_key {
	__u32 tgid;
	__u32 stmt_id;
	__u64 conn_id;
};
struct sw_my_stmt_val {
	__u64 sql_mode;             /* as judged: another sql_mode is judged again */
	__u64 mask[3];              /* the sql_command set of its execution */
	__u32 charset;
	__u32 db_ref;
};

/*
 * A COM_STMT_EXECUTE in progress on a connection (map "my_prep"): its first
 * execution is the prepared statement's own; when the dispatch was a cache
 * hit, that execution runs without stopping if the server's sql_command is in
 * mask. Written at every COM_STMT_EXECUTE, removed at every other command.
 */
struct sw_my_prep_run {
	__u32 stmt_id;
	__u32 seen;                 /* executions seen since the dispatch */
	__u32 allowed;              /* 1: the dispatch was a cache hit */
	__u32 pad;
	__u64 mask[3];
};

/*
 * The texts of prepared statements the daemon knows, for executions nobody judges (an ungoverned
 * connection's, or any in observe-only mode). A COM_STMT_EXECUTE packet holds only the statement
 * id, so at the statement's own execution (the first mysql_execute_command of the dispatch) the
 * probe reports THD.query_string, the prepared text the server runs, as a SW_MY_EV_EXECUTE event
 * with action SW_MY_ACT_OBSERVED, flags SW_MY_EXEC_PREPARED and the id in ref, unless this map
 * (key struct sw_my_stmt_key) says the daemon has that id's text already. The daemon fills it once
 * it holds the text and empties it as the server forgets the id (COM_STMT_CLOSE,
 * COM_RESET_CONNECTION, COM_CHANGE_USER, the connection's end). An LRU: an entry it drops only
 * makes the next execution report its text again. The id SW_MY_LAST_STMT_ID is never in it.
 */
#define SW_MY_KNOWN_ENTRIES 16384

/* Written by the daemon through the skeleton's .bss. */
struct sw_my_config {
	__u32 holder_tgid;          /* the process whose thread traces mariadbd (the daemon) */
	__u32 enforce;              /* 0: observe only */
};

struct sw_my_event {
	__u32 type;                 /* SW_MY_EV_* */
	__u32 tgid;                 /* mariadbd */
	__u32 tid;                  /* the thread running the connection now */
	__u32 command;              /* enum_server_command (SW_MY_EV_COMMAND) */
	__u64 ktime_ns;
	__u64 conn_id;
	__u64 thd;                  /* the THD's address (the holder reads the session from it) */
	__u64 packet;               /* the packet's address (SW_MY_EV_COMMAND) */
	__u64 sql_mode;             /* the session's sql_mode when the command arrived */
	__u32 packet_len;           /* the whole packet's length */
	__u32 text_len;             /* bytes in text[] */
	__u32 flags;                /* SW_MY_SESS_* */
	__u32 action;               /* enum sw_my_action */
	__u32 charset;              /* character_set_client number; 0 unknown */
	__s32 sql_command;          /* the server's parsed command (SW_MY_EV_EXECUTE); -1 unknown */
	__u32 bin;                  /* index of the binary's layout */
	__u32 ref;                  /* SW_MY_ACT_CACHED: the entry's db_ref; SW_MY_EXEC_PREPARED: the statement id */
	char user[SW_MY_NAME_MAX];      /* the login name */
	char host[SW_MY_NAME_MAX];      /* the client's host or address */
	char priv_user[SW_MY_NAME_MAX]; /* the account matched: user part */
	char priv_host[SW_MY_NAME_MAX]; /* the account matched: host part ('%', 'localhost') */
	char text[SW_MY_TEXT_CAP];
};

/* The shared layouts as both compilers lay them out (SW_ABI_* from sqlward.h: a change here
 * bumps SW_ABI_VERSION too). */
SW_ABI_SIZE(sw_my_bin_layout, 88);
SW_ABI_AT(sw_my_bin_layout, thd_thread_id, 16);
SW_ABI_AT(sw_my_bin_layout, valid, 68);
SW_ABI_AT(sw_my_bin_layout, thd_db, 76);
SW_ABI_SIZE(sw_my_conn_key, 16);
SW_ABI_SIZE(sw_my_end_event, 24);
SW_ABI_SIZE(sw_my_expect, 392);
SW_ABI_SIZE(sw_my_session, 8);
SW_ABI_SIZE(sw_my_running, 40);
SW_ABI_SIZE(sw_my_done_event, 64);
SW_ABI_SIZE(sw_my_done_layout, 24);
SW_ABI_SIZE(sw_my_config, 8);
SW_ABI_SIZE(sw_my_cache_key, 96);
SW_ABI_SIZE(sw_my_cache_val, 4496);
SW_ABI_SIZE(sw_my_stmt_key, 16);
SW_ABI_SIZE(sw_my_stmt_val, 40);
SW_ABI_SIZE(sw_my_prep_run, 40);
SW_ABI_SIZE(sw_my_event, 4440);
SW_ABI_AT(sw_my_event, ktime_ns, 16);
SW_ABI_AT(sw_my_event, packet_len, 56);
SW_ABI_AT(sw_my_event, user, 88);
SW_ABI_AT(sw_my_event, text, 344);

#endif
