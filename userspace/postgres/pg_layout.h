/*
 * What sqlward must know about one PostgreSQL server binary to gate it:
 * where the probed functions are, where the globals the probes read live,
 * and the struct layouts the daemon reads from a held backend. Everything
 * comes from the binary itself (ELF dynamic symbols, and for statics that
 * only an exported accessor reaches, that accessor's machine code, matched
 * byte for byte) plus a per-major-version table of struct offsets. Nothing
 * is guessed: what cannot be derived or checked is reported as missing and
 * the daemon refuses to attach rather than misread.
 */
#ifndef SQLWARD_PG_LAYOUT_H
#define SQLWARD_PG_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sqlward.h"

struct sw_pg_layout {
	char path[4096];
	char version[64];              /* "15.18" */
	int major;                     /* 15 */
	struct sw_bin_layout bpf;      /* what the probes read (ELF vaddrs) */
	/* ELF vaddrs the daemon reads from a stopped backend (0 = unknown). */
	uint64_t statement_timeout, lock_timeout, idle_in_xact_timeout, idle_session_timeout;
	uint64_t namespace_search_path;  /* char * */
	uint64_t application_name;       /* char * (0: not exported; the session's application_name is unknown) */
	uint64_t database_encoding;      /* const pg_enc2name * (decoded from GetDatabaseEncoding) */
	uint64_t session_user_id;        /* Oid SessionUserId (decoded from GetSessionUserId) */
	/* ParamListInfoData / ParamExternData (nodes/params.h) for this major. */
	uint32_t params_num_off, params_array_off, param_size, param_value_off, param_isnull_off,
		 param_ptype_off;
	uint64_t load_low;               /* lowest PT_LOAD vaddr (0 for PIE) */
	char outcome_problem[160];       /* why released statements' outcomes are not fully seen ("" if they are) */
	/* The execution checkpoint (bpf.fn[SW_FN_EXECUTOR_START] != 0 when verified): file offsets of
	 * ExecutorStart and ProcessUtility (attached per governed backend), or why it is off. */
	uint64_t exec_file_off[3];       /* ExecutorStart, ProcessUtility, fmgr_info_cxt_security */
	char exec_problem[320];
	/* The function checkpoint (pg_builtin_watch.h) is bpf.fn[SW_FN_FMGR_LOOKUP]; or why it is off. */
	char function_problem[200];
	/* Raising a cancel at a built-in's entry (pg_raise.c). */
	uint64_t process_interrupts, interrupt_pending, query_cancel_pending, interrupt_holdoff, cancel_holdoff,
		 crit_section;
	dev_t dev;                       /* the file read (a package upgrade puts a new one at path) */
	ino_t ino;
};

/*
 * Derive the layout of the server binary at path. Returns 0, or -1 with err
 * saying what is missing and what to do (e.g. a major version whose layouts
 * sqlward does not know, or a stripped export).
 */
int sw_pg_layout_load(const char *path, struct sw_pg_layout *out, char *err, size_t errlen);

/* One line naming the per-version facts checked at attach and which checkpoints are live (the log). */
void sw_pg_layout_describe(const struct sw_pg_layout *L, char *buf, size_t n);

/* The layout of the binary process pid runs (by file identity, so a replaced
 * binary's old processes still find theirs), or NULL. */
const struct sw_pg_layout *sw_pg_layout_of_pid(const struct sw_pg_layout *layouts, int n, pid_t pid);

/* Probed function names, indexed by enum sw_fn. */
const char *sw_pg_layout_fn_name(int fn);
/* The symbol probed for fn in this binary (12-14 name the settings function differently). */
const char *sw_pg_layout_probe_name(const struct sw_pg_layout *L, int fn);

/* The runtime address of vaddr in process pid (which runs the layout's binary); 0 if unknown. */
uint64_t sw_pg_layout_addr(const struct sw_pg_layout *L, pid_t pid, uint64_t vaddr);

struct sw_pg_title;
/* Who a backend of this binary is, from its process title; a replication
 * connection (am_walsender, read from the process) has its own title form. */
bool sw_pg_backend_title(const struct sw_pg_layout *L, pid_t pid, struct sw_pg_title *out);

/*
 * Decode "mov disp32(%rip),%eax; ret" (optionally after endbr64) at the start
 * of an accessor's code: the vaddr of the global it returns. Exposed for
 * tests; code is the function's first bytes, vaddr its address.
 */
bool sw_pg_decode_load32(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *global);
/* Decode "mov disp32(%rip),%rax; mov 8(%rax),%eax; ret": the pointer variable's vaddr. */
bool sw_pg_decode_load_ptr_field8(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *global);
/* GetCommandTagName: the CommandTagBehavior table and its element size. */
bool sw_pg_decode_tag_name(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *table, uint32_t *size);
/* geterrcode: errordata_stack_depth, errordata[], sizeof(ErrorData), offsetof(ErrorData, sqlerrcode). */
bool sw_pg_decode_errcode(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *depth, uint64_t *errordata,
			  uint32_t *size, uint32_t *code_off);
/* fmgr_info / fmgr_info_cxt: "[mov CurrentMemoryContext,%rdx;] xor %ecx,%ecx; jmp T": T. */
bool sw_pg_decode_fmgr_wrapper(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *target);
/*
 * ProcessUtility's hook check, "mov ProcessUtility_hook(%rip),%rax; [movzbl %dl,%edx;] test %rax,%rax;
 * je +d" with the jump short enough that the backend stops within 16 bytes of it: the offset of
 * the je, or 0 (probe the entry). A uprobe on the entry's RIP-relative mov is single-stepped out
 * of line (two traps, ~20 us on a VM), one on the je is emulated (~1.3 us); the instructions before
 * it change no argument the probe reads. context_arg: ProcessUtility's argument that is the
 * ProcessUtilityContext (3 before PostgreSQL 14, where %rdx must not be narrowed).
 */
uint32_t sw_pg_decode_utility_probe_site(const unsigned char *code, size_t n, int context_arg);
/* makeParamList: offsetof(ParamListInfoData, numParams), offsetof(.., params), sizeof(ParamExternData). */
bool sw_pg_decode_make_param_list(const unsigned char *code, size_t n, uint32_t *num_off, uint32_t *array_off,
				  uint32_t *elem_size);
/* Find the server version in a PG_VERSION_STR ("PostgreSQL 15.18 ... on x86_64..."), e.g. "15.18" and 15. */
bool sw_pg_find_version(const unsigned char *bytes, size_t n, char *version, size_t vlen, int *major);

#endif
