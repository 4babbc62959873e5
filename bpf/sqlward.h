/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Layouts shared by the BPF programs (sqlward.bpf.c) and the daemon:
 * ring-buffer events and map keys/values. Both sides include this file, so
 * it uses only fixed-width kernel types. The sizes and offsets asserted at
 * the end hold in the BPF and in the userspace build alike.
 */
#ifndef SQLWARD_SHARED_H
#define SQLWARD_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * The version of everything a gate shares with a daemon other than the one
 * that loaded it. Pinned gates outlive their daemon, and the next daemon
 * (possibly a newer or older build) reads their ring buffer and their .bss
 * counters: it does so only when the gate carries this same number (variable
 * sw_abi_version in the gate's .bss, found through the map's BTF; a build
 * from before this number carries none). Bump it on ANY change to a layout
 * in this file (a struct, an enum value, a SW_AUX_/SW_SESS_/SW_LEX_ bit, a
 * size such as SW_TEXT_CAP), to the .bss variables of sqlward.bpf.c, or to
 * the set of maps and pins; the assertions at the end fail on most layout
 * changes as a reminder. Never reuse a number.
 */
#define SW_ABI_VERSION 7

#define SW_ROLE_MAX 64          /* PostgreSQL NAMEDATALEN */
#define SW_TEXT_CAP 4096        /* statement bytes carried in an event (incl. NUL) */
#define SW_TEXT_SMALL 512       /* short statements travel in a record this much text long */
#define SW_TEXT_WORDS (SW_TEXT_CAP / 8)
#define SW_GOVERN_MAX 32        /* role patterns the kernel can test */
#define SW_CACHE_ENTRIES 1024   /* in-kernel verdict cache (LRU) */
#define SW_POSTMASTERS_MAX 8    /* --postmaster-pid scope filter */
#define SW_BINS_MAX 8           /* server binaries probed at once (attach cookie = index) */
#define SW_OVERFLOW_MAX 4096    /* held statements waiting while the ring buffer is full */

enum sw_event_type {
	SW_EV_SESSION = 1,      /* a backend authenticated as a role */
	SW_EV_STATEMENT = 2,    /* a statement reached the parser (simple Query or Parse) */
	SW_EV_EXIT = 3,         /* reserved (was: a backend process exited); never sent */
	SW_EV_BIND = 4,         /* a top-level execution starts (Bind: GetCachedPlan), every session's */
	SW_EV_FASTPATH = 5,     /* a fastpath function call (message 'F'); text = message body */
	SW_EV_REPLICATION = 6,  /* a walsender received a command (exec_replication_command) */
	SW_EV_SETTING = 7,      /* a run-time setting is applied (set_config_option_ext); text = "name\0value\0" */
	SW_EV_EXEC = 8,         /* a server binary the probes are not on was executed (header only) */
	SW_EV_OUTCOME = 9,      /* what became of a released statement (struct sw_outcome_event) */
	/* Engine truth: a statement the server runs on the client's behalf (nesting level > 0). */
	SW_EV_EXECUTE = 10,     /* ExecutorStart of a nested plannable statement (or a rule action) */
	SW_EV_UTILITY = 11,     /* ProcessUtility of a nested utility statement */
	SW_EV_FUNCTION = 12,    /* a watched built-in looked up for a call (arg0: its index); text = "SELECT pg_catalog.name()" */
	SW_EV_COMPLETION = 13,  /* a client statement ended (struct sw_completion_event): one per statement */
};

#define SW_BUILTINS_MAX 256     /* built-ins watched where a call of them is prepared (map "watched_oids") */
#define SW_BUILTIN_TEXT 96
struct sw_builtin_text {
	char text[SW_BUILTIN_TEXT];
};

/* The probed functions of a server binary (index into struct sw_bin_layout.fn). */
enum sw_fn {
	SW_FN_SESSION = 0,      /* InitializeSessionUserId */
	SW_FN_PARSE,            /* pg_parse_query */
	SW_FN_BIND,             /* GetCachedPlan */
	SW_FN_FASTPATH,         /* HandleFunctionRequest */
	SW_FN_REPLICATION,      /* exec_replication_command */
	SW_FN_SETTING,          /* set_config_option_ext */
	SW_FN_EXECUTOR_START,   /* ExecutorStart (attached only when the executor layout was verified) */
	SW_FN_PROCESS_UTILITY,  /* ProcessUtility (same) */
	SW_FN_FMGR_LOOKUP,      /* fmgr_info_cxt_security: every function looked up for a call (same) */
	SW_FN__COUNT,
};

/*
 * Where the probes find what they read in a server binary, as ELF virtual
 * addresses (the load base is the probe's own address minus fn[]), derived
 * and checked by userspace (pg_layout.c). 0 means unknown: the probe then
 * treats the value as unknown and leaves the decision to the daemon.
 */
struct sw_bin_layout {
	__u64 fn[SW_FN__COUNT];
	__u64 standard_conforming_strings;  /* bool */
	__u64 backslash_quote;              /* int */
	__u64 active_portal;                /* Portal ActivePortal: non-NULL while a portal runs */
	__u64 current_user_id;              /* Oid CurrentUserId (decoded from GetUserId) */
	__u64 authenticated_user_id;        /* Oid AuthenticatedUserId (decoded from GetAuthenticatedUserId) */
	__u64 am_walsender;                 /* bool: a replication connection */
	/* SQL EXECUTE runs a prepared statement inside the running portal: GetCachedPlan
	 * called from these functions ([start, end) vaddrs) is an execution to judge. */
	__u64 execute_query, execute_query_end;
	__u64 explain_execute, explain_execute_end;
	__u32 psrc_query_string;            /* offsetof(CachedPlanSource, query_string) */
	__u32 psrc_magic;                   /* CACHEDPLANSOURCE_MAGIC */
	/* Outcome probes, attached only to a backend whose held statement was released. */
	__u64 end_command, emit_error_report, ready_for_query;  /* function vaddrs */
	__u64 tag_behavior;                 /* CommandTagBehavior[] (decoded from GetCommandTagName) */
	__u64 errordata;                    /* ErrorData errordata[] (decoded from geterrcode) */
	__u64 errordata_depth;              /* int errordata_stack_depth */
	__u32 tag_behavior_size, errordata_size;
	__u32 edata_sqlerrcode, edata_message;  /* offsets in ErrorData (elevel is at 0) */
	/* Execution checkpoint (pg_layout.c derives these from CreateQueryDesc and
	 * pg_plan_queries and checks them against the per-major table). */
	__u64 debug_query_string;           /* const char *: the client statement being run */
	__u32 qd_plannedstmt, qd_source_text;   /* QueryDesc (operation is at 0) */
	__u32 ps_tag;                       /* T_PlannedStmt */
	__u32 ps_command_type, ps_can_set_tag, ps_utility_stmt, ps_stmt_location, ps_stmt_len;
	__u32 pu_context_arg;               /* ProcessUtility's ProcessUtilityContext argument (1-based) */
	__u32 portal_source_text;           /* offsetof(PortalData, sourceText) (decoded from PortalDefineQuery) */
	/* fn[SW_FN_SETTING]'s argument number (1-based) of GucAction action; changeVal is the next one.
	 * 6 for set_config_option_ext (15+: srole comes fifth), 5 for 12-14's set_config_option. */
	__u32 setting_action_arg;
	__u32 cmd_utility;                  /* CmdType CMD_UTILITY: 5 in 12-14, 6 from 15 on (CMD_MERGE came before it) */
	/* 1: EndCommand(const char *commandTag, dest) (12: "SELECT 5", rows are its last number; no
	 * CommandTag to name it); 0: EndCommand(const QueryCompletion *qc, dest, ...) (13+). */
	__u32 end_command_text;
	__u32 elevel_error;                 /* utils/elog.h ERROR: 20 in 12-13, 21 from 14 on (WARNING_CLIENT_ONLY came first) */
};

/*
 * Lexing settings of the backend at the probe (struct sw_statement_event.lex
 * and the cache keys): the same bytes lex differently under them.
 */
#define SW_LEX_KNOWN        0x1     /* both settings could be read */
#define SW_LEX_SCS          0x2     /* standard_conforming_strings = on */
#define SW_LEX_BQ_SHIFT     2       /* backslash_quote: 0 off, 1 on, 2 safe_encoding */
#define SW_LEX_BQ_MASK      0xc
#define SW_LEX_DEFAULT      (SW_LEX_KNOWN | SW_LEX_SCS | (2 << SW_LEX_BQ_SHIFT))

/* struct sw_statement_event.aux bits. */
#define SW_AUX_NESTED_CHECKED 0x1   /* bind: ActivePortal was read and was NULL (a client Bind) */
#define SW_AUX_LAYOUT_BAD     0x2   /* bind: CachedPlanSource magic did not match: not judged by text */
#define SW_AUX_ROLE_DIFFERS   0x4   /* the effective role (CurrentUserId) differs from the authenticated one */
#define SW_AUX_VALUE_NULL     0x8   /* setting: value is NULL (RESET) */
#define SW_AUX_FREE_SETTING   0x10  /* setting: on the list any value of which is harmless */
#define SW_AUX_SQL_EXECUTE    0x20  /* bind: from SQL EXECUTE (ExecuteQuery), inside a running statement */
#define SW_AUX_EXPLAIN_EXECUTE 0x40 /* bind: from EXPLAIN [ANALYZE] EXECUTE (ExplainExecuteQuery) */
#define SW_AUX_RULE_ACTION    0x80  /* execute: a rule action of the client statement (no text of its own) */
#define SW_AUX_CLIENT         0x80000000 /* statement/bind/fastpath: the client's own (nested ones count from it) */
#define SW_AUX_SUB_SHIFT      16    /* nested: substatement id (15 bits) << this */
#define SW_AUX_LEVEL_SHIFT    8     /* nested (execute/utility, a statement parsed inside another): level << this */
#define SW_AUX_SETTING_SHIFT  8     /* setting: source | action << 8 | context << 16, shifted by this */

#define SW_SETTING_NAME_MAX 64
/* A directory by identity (super_block.s_dev, inode number): a governed cluster's data directory. */
struct sw_dir_key {
	__u64 dev;
	__u64 ino;
};

#define SW_BIN_NAME_MAX 64

/* A governed server binary's file name in its directory (map "bin_dirs", key: the directory). */
struct sw_bin_name {
	char name[SW_BIN_NAME_MAX];
};

/* A process stopped at exec of an unprobed server binary (map "exec_stopped", key: pid). */
struct sw_exec_stop {
	__u64 ktime_ns;
	struct sw_dir_key file;  /* the executed file as the kernel names it */
};

/* Key of the "free_settings" map: a setting name, lower case, zero-padded. */
struct sw_setting_key {
	char name[SW_SETTING_NAME_MAX];
};

/* What the kernel did with a statement before the daemon saw it. */
enum sw_kernel_action {
	SW_ACT_OBSERVED = 0,    /* ungoverned session: not stopped */
	SW_ACT_HELD = 1,        /* governed: SIGSTOP sent from the uprobe */
	SW_ACT_CACHED_ALLOW = 2,/* governed, verdict cache said allow: not stopped */
	SW_ACT_CANCELLED = 3,   /* governed, no live daemon: SIGINT sent (fail closed) */
	SW_ACT_SHAPE_ALLOW = 4, /* governed, shape cache said allow for this statement's shape */
	SW_ACT_TERMINATED = 5,  /* governed, no live daemon: SIGTERM sent (a Bind or a connection setting) */
};

/* Session state flags (struct sw_session.flags). */
#define SW_SESS_GOVERNED 0x1
#define SW_SESS_KNOWN    0x2    /* role known (set at authentication or by the daemon) */
#define SW_SESS_REFUSED  0x4    /* the daemon refused the connection: cancel everything it sends */
#define SW_SESS_WALSENDER 0x8   /* a replication connection (am_walsender at authentication) */
#define SW_SESS_NESTED_LIVE 0x10 /* the execution checkpoint is attached to this backend */

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
	__u32 lex;              /* SW_LEX_* the verdict was made under */
	__u32 kind;             /* SW_EV_* of the event: STATEMENT, BIND, or a nested EXECUTE/UTILITY/FUNCTION */
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

/*
 * Every event but SW_EV_SESSION, SW_EV_OUTCOME (struct sw_outcome_event) and
 * SW_EV_EXEC (a bare struct sw_event_hdr); hdr.type says which.
 */
struct sw_statement_event {
	struct sw_event_hdr hdr;
	__u64 text_addr;        /* address of the full text in the backend (fastpath: the message body) */
	__u64 hash;             /* lookup hash of the captured text */
	__u32 action;           /* enum sw_kernel_action */
	__u32 flags;            /* session flags at the time */
	__u32 ctx_id;
	__s32 text_len;         /* bytes captured incl. NUL; == SW_TEXT_CAP means truncated */
	__u64 seq;              /* this gate's event counter (from 0 when the gate was loaded) */
	__u32 lex;              /* SW_LEX_* at the probe */
	__u32 aux;              /* SW_AUX_* */
	__u64 arg0;             /* bind: CachedPlanSource *; fastpath: StringInfo; setting: name;
				 * utility: the utility statement's node; execute: its CmdType */
	__u64 arg1;             /* bind: ParamListInfo; fastpath: message length; setting: value;
				 * execute/utility: statement_id (seq of the client statement) */
	__u64 arg2;             /* execute/utility: the statement's length in the text (0: to its end);
				 * bind: 1 + seq of the client statement it follows in the same round trip
				 * that ran nothing (its Parse: unnamed statement, Parse/Bind/Execute/Sync);
				 * 0: none (the backend was idle: a statement prepared earlier) */
	char role[SW_ROLE_MAX];
	/* SW_TEXT_SMALL bytes in a short record (text_len <= SW_TEXT_SMALL), else SW_TEXT_CAP. */
	char text[SW_TEXT_CAP];
};

/* What a released statement did (SW_EV_OUTCOME). */
enum sw_outcome_kind {
	SW_OUT_COMMAND = 1,     /* EndCommand: a command completed (tag, rows) */
	SW_OUT_ERROR = 2,       /* EmitErrorReport at ERROR or above (SQLSTATE, message) */
	SW_OUT_READY = 3,       /* ReadyForQuery: the backend is idle again */
};

#define SW_OUTCOME_TEXT 160

struct sw_outcome_event {
	struct sw_event_hdr hdr;
	__u32 kind;             /* enum sw_outcome_kind */
	__s32 elevel;
	__u32 sqlerrcode;       /* PostgreSQL's packed SQLSTATE */
	__u32 tag;              /* CommandTag */
	__u64 rows;
	char text[SW_OUTCOME_TEXT];  /* command tag name, or the error message */
};

/*
 * Per backend: the client statement it runs now (map "running", key: pid),
 * from its statement event (parse, Bind or fastpath, any session) until the
 * backend is idle again (ReadyForQuery: seq becomes SW_RUN_IDLE_SEQ), exits, or
 * starts the next one. The completion probes add up what it did; the daemon
 * reads it to know whether a backend still runs THAT statement (runtime budget).
 */
#define SW_RUN_ERROR 0x1        /* an error at ERROR or above was reported (the first one is kept) */
/* seq of an idle backend's entry: kept (zeroed) from ReadyForQuery to its next statement,
 * so a statement costs no map insert and delete; never an event's seq. */
#define SW_RUN_IDLE_SEQ (~0ULL)
struct sw_running {
	__u64 seq;              /* the statement event's seq */
	__u64 start_ns;         /* its ktime */
	__u64 rows;             /* QueryCompletion.nprocessed summed over its commands */
	__u32 commands;         /* EndCommand calls to the client */
	__u32 tag;              /* the last command's CommandTag */
	__u32 sqlerrcode;       /* the first error's packed SQLSTATE */
	__s32 elevel;
	__u32 flags;            /* SW_RUN_* */
	__u32 bin;              /* binary index (names the tag) */
};

/* Why a completion was sent (struct sw_completion_event.end). */
enum sw_completion_end {
	SW_DONE_READY = 1,      /* ReadyForQuery: the backend is idle again */
	SW_DONE_EXITED = 2,     /* the backend exited before it was idle again */
	SW_DONE_SUPERSEDED = 3, /* the next client statement began first (pipelined extended protocol) */
};

#define SW_TAG_NAME 32
struct sw_completion_event {
	struct sw_event_hdr hdr;        /* hdr.ktime_ns: when it ended */
	struct sw_running run;
	__u32 end;                      /* enum sw_completion_end */
	__u32 pad;
	char tag_name[SW_TAG_NAME];     /* the last command's tag name ("" unknown) */
};

/*
 * A governed statement held (stopped) while the ring buffer was full: the
 * daemon finds it here (map "overflow", key: pid) and reads the rest from
 * the stopped backend. Backpressure instead of cancelling allowed work.
 */
struct sw_overflow {
	__u32 type;             /* SW_EV_* */
	__u32 flags;
	__u32 ctx_id;
	__u32 lex;
	__u32 aux;
	__u32 pad;
	__u64 ktime_ns;
	__u64 seq;
	__u64 text_addr;
	__u64 arg0, arg1, arg2;
	char role[SW_ROLE_MAX];
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
	SW_STAT_OVERFLOW_HELD,  /* statements held in the overflow map (ring full): governed ones, and others waiting for room for their record */
	SW_STAT_OVERFLOW_FULL,  /* ... and the overflow map full too: governed ones cancelled, others run unrecorded */
	SW_STAT_NESTED_SKIPPED, /* executions inside a running portal (not a client Bind) */
	SW_STAT_KERNEL_TERMINATIONS, /* SIGTERM sent with no live daemon */
	SW_STAT_UNPROBED_EXEC_STOPPED, /* an unprobed server binary stopped at exec for the daemon */
	SW_STAT_UNPROBED_EXEC_KILLED,  /* ... killed at exec: no live daemon to attach the probes */
	SW_STAT_NESTED_JUDGED,  /* nested statements sent to the daemon or allowed by a cache */
	SW_STAT_EXEC_TOP_LEVEL, /* executor starts of the client's own statement (judged at parse/Bind) */
	SW_STAT__COUNT,
};

/* Per backend: the client statement being run and the nested ones inside it (map "nest", key: pid). */
#define SW_NEST_DEPTH 16
struct sw_nest {
	__u64 statement_id;     /* seq of the client statement (parse, Bind or fastpath event) */
	__u64 exec_src;         /* a SQL EXECUTE's query string judged at Bind: its executor start is that execution */
	__u32 substatements;    /* nested statements seen in it so far */
	__u32 n;                /* live entries in sp[] */
	__u64 sp[SW_NEST_DEPTH];/* stack pointers of the nested checkpoints still running (outermost first) */
};

/*
 * The layouts above as both compilers lay them out (the daemon and the BPF
 * programs must agree byte for byte). A failure here means a shared layout
 * changed: bump SW_ABI_VERSION, then update the number here.
 */
#define SW_ABI_SIZE(t, n) \
	_Static_assert(sizeof(struct t) == (n), "struct " #t " changed size: bump SW_ABI_VERSION, then update it here")
#define SW_ABI_AT(t, f, o) \
	_Static_assert(__builtin_offsetof(struct t, f) == (o), \
		       "struct " #t "." #f " moved: bump SW_ABI_VERSION, then update it here")

_Static_assert(SW_FN__COUNT == 9 && SW_STAT__COUNT == 15 && SW_EV_COMPLETION == 13,
	       "a shared enum changed: bump SW_ABI_VERSION, then update it here");
SW_ABI_SIZE(sw_builtin_text, 96);
SW_ABI_SIZE(sw_bin_layout, 288);
SW_ABI_AT(sw_bin_layout, setting_action_arg, 272);
SW_ABI_AT(sw_bin_layout, standard_conforming_strings, 72);
SW_ABI_AT(sw_bin_layout, psrc_query_string, 152);
SW_ABI_AT(sw_bin_layout, end_command, 160);
SW_ABI_AT(sw_bin_layout, debug_query_string, 224);
SW_ABI_AT(sw_bin_layout, portal_source_text, 268);
SW_ABI_SIZE(sw_dir_key, 16);
SW_ABI_SIZE(sw_bin_name, 64);
SW_ABI_SIZE(sw_exec_stop, 24);
SW_ABI_AT(sw_exec_stop, file, 8);
SW_ABI_SIZE(sw_setting_key, 64);
SW_ABI_SIZE(sw_session, 72);
SW_ABI_AT(sw_session, flags, 64);
SW_ABI_AT(sw_session, ctx_id, 68);
SW_ABI_SIZE(sw_pattern, 72);
SW_ABI_AT(sw_pattern, text, 8);
SW_ABI_SIZE(sw_cache_key, 24);
SW_ABI_AT(sw_cache_key, ctx_id, 8);
SW_ABI_AT(sw_cache_key, kind, 20);
SW_ABI_SIZE(sw_cache_val, 4096);
SW_ABI_SIZE(sw_event_hdr, 16);
SW_ABI_AT(sw_event_hdr, ktime_ns, 8);
SW_ABI_SIZE(sw_session_event, 344);
SW_ABI_AT(sw_session_event, flags, 16);
SW_ABI_AT(sw_session_event, role, 24);
SW_ABI_AT(sw_session_event, title, 88);
SW_ABI_SIZE(sw_statement_event, 4248);
SW_ABI_AT(sw_statement_event, text_addr, 16);
SW_ABI_AT(sw_statement_event, seq, 48);
SW_ABI_AT(sw_statement_event, lex, 56);
SW_ABI_AT(sw_statement_event, arg0, 64);
SW_ABI_AT(sw_statement_event, role, 88);
SW_ABI_AT(sw_statement_event, text, 152);
SW_ABI_SIZE(sw_outcome_event, 200);
SW_ABI_AT(sw_outcome_event, kind, 16);
SW_ABI_AT(sw_outcome_event, rows, 32);
SW_ABI_AT(sw_outcome_event, text, 40);
SW_ABI_SIZE(sw_running, 48);
SW_ABI_AT(sw_running, commands, 24);
SW_ABI_AT(sw_running, bin, 44);
SW_ABI_SIZE(sw_completion_event, 104);
SW_ABI_AT(sw_completion_event, run, 16);
SW_ABI_AT(sw_completion_event, end, 64);
SW_ABI_AT(sw_completion_event, tag_name, 72);
SW_ABI_SIZE(sw_overflow, 136);
SW_ABI_AT(sw_overflow, ktime_ns, 24);
SW_ABI_AT(sw_overflow, arg0, 48);
SW_ABI_AT(sw_overflow, role, 72);
SW_ABI_SIZE(sw_nest, 152);
SW_ABI_AT(sw_nest, substatements, 16);
SW_ABI_AT(sw_nest, sp, 24);

#endif
