/*
 * What sqlward must know about one MariaDB server binary (mariadbd, x86-64)
 * to gate it: where the probed functions are and where, inside a connection's
 * THD, the fields the probes and the daemon read live. Every offset is decoded
 * from the machine code of an exported accessor of that same binary
 * (thd_get_thread_id, thd_sql_command, thd_user_name, ...), and each is
 * cross-checked against a second function that uses it where one exists. What
 * cannot be derived or checked is named in `problem` and bpf.valid stays 0:
 * the gate refuses to govern a server it cannot read with certainty.
 */
#ifndef SQLWARD_MY_LAYOUT_H
#define SQLWARD_MY_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "mariadb.h"

/* The probed functions (all exported C++ names of mariadbd 10.11). */
enum sw_my_fn {
	SW_MY_FN_DISPATCH,      /* dispatch_command(enum_server_command, THD *, char *, uint, bool) */
	SW_MY_FN_EXECUTE,       /* mysql_execute_command(THD *, bool) */
	SW_MY_FN_AUTHENTICATE,  /* acl_authenticate(THD *, uint) */
	SW_MY_FN_CONN_END,      /* unlink_thd(THD *): once per connection, both thread modes */
	SW_MY_FN__COUNT
};

struct sw_my_layout {
	char path[4096];
	char version[64];               /* MYSQL_SERVER_VERSION: "10.11.19-MariaDB" */
	char version_suffix[64];        /* the distribution's suffix: "-0+deb12u1" */
	int major, minor;               /* 10, 11 */
	struct sw_my_bin_layout bpf;    /* what the probes read; bpf.valid = 1 when all was derived */
	uint64_t fn_vaddr[SW_MY_FN__COUNT];     /* ELF vaddrs */
	uint64_t fn_file_off[SW_MY_FN__COUNT];  /* file offsets (uprobe attach offsets) */
	/* THD beyond what the probes read. */
	uint32_t thd_main_security_ctx; /* Security_context (embedded): the login identity; security_ctx
	                                   points elsewhere inside SQL SECURITY DEFINER routines */
	uint32_t thd_vio;               /* Vio *THD.net.vio: the connection (from thd_is_connected) */
	uint32_t vio_fd;                /* int: the socket's fd in the Vio (from vio_fd) */
	uint32_t thd_killed;            /* killed_state THD.killed (from thd_kill_level) */
	/* How a command ended (completion records); done.valid = 0 and done_problem says why when not
	 * derived: the gate still governs, completions are not recorded. */
	struct sw_my_done_layout done;
	char done_problem[200];
	/* Security_context beyond what the probes read (char[] members). */
	uint32_t sctx_proxy_user, sctx_priv_role;
	uint32_t sctx_priv_user_size, sctx_priv_host_size;   /* their array sizes (USERNAME_LENGTH, MAX_HOSTNAME) */
	/* CHARSET_INFO: LEX_CSTRING cs_name ("utf8mb4") and coll_name ("utf8mb4_general_ci"). */
	uint32_t charset_csname, charset_collname;
	uint64_t server_threads;        /* vaddr of the exported THD list (server_threads), 0 if absent */
	uint64_t load_low;              /* lowest PT_LOAD vaddr (0 for PIE) */
	char problem[320];              /* what could not be derived or checked ("" when nothing) */
	dev_t dev;                      /* the file read */
	ino_t ino;
};

/*
 * Derive the layout of the mariadbd binary at path. Returns -1 with err saying
 * what is wrong and what to do when the file cannot be read as an x86-64
 * mariadbd (no dispatch_command export); otherwise 0, with out->problem saying
 * what could not be derived (then out->bpf.valid is 0 and the gate must not
 * govern this binary).
 */
int sw_my_layout_load(const char *path, struct sw_my_layout *out, char *err, size_t errlen);

/* The function names of enum sw_my_fn (their mangled export names). */
const char *sw_my_layout_fn_name(int fn);

/*
 * Decoders of the accessors' x86-64 code, exposed for tests. code holds a
 * function's first n bytes; each returns false unless the bytes are exactly
 * the expected shape (after an optional endbr64).
 */
/* "mov off(%rdi),%rax; ret" (thd_get_thread_id, thd_charset). */
bool sw_my_decode_load_field(const unsigned char *code, size_t n, uint32_t *off);
/* "mov off1(%rdi),%rax; mov off2(%rax),%eax; ret" (thd_sql_command). */
bool sw_my_decode_load_field_field32(const unsigned char *code, size_t n, uint32_t *off1, uint32_t *off2);
/* "mov ctx(%rdi),%rax; test %rax,%rax; je 1f; mov f(%rax),%rax; 1: ret"
 * (thd_user_name, thd_client_host, thd_client_ip). */
bool sw_my_decode_ctx_pointer(const unsigned char *code, size_t n, uint32_t *ctx, uint32_t *field);
/* The frame of thd_priv_user/thd_priv_host: "mov ctx(%rdi),%rbx; test %rbx,%rbx; je;
 * add $f,%rbx; mov %rbx,%rdi; call strlen" (any prologue before it). */
bool sw_my_decode_ctx_array(const unsigned char *code, size_t n, uint32_t *ctx, uint32_t *field);
/* "testq $mask,off(%rdi); setne %al; ret" (thd_is_strict_mode). */
bool sw_my_decode_test_field64(const unsigned char *code, size_t n, uint32_t *off, uint32_t *mask);
/* "lea off(%rdi),%rax; ret" (thd_query_string). */
bool sw_my_decode_lea_field(const unsigned char *code, size_t n, uint32_t *off);
/* thd_is_connected: the 64-bit load of net.vio into %rdx before `call *disp(%rdx)`. */
bool sw_my_decode_vio_pointer(const unsigned char *code, size_t n, uint32_t *off);
/* vio_fd: `mov (%rdi),%eax; ret` (the fd is at 0). */
bool sw_my_decode_vio_fd(const unsigned char *code, size_t n, uint32_t *off);
/* THD::THD: the LEX * passed to Statement::Statement (at callee) is &main_lex = this + *off. */
bool sw_my_decode_main_lex(const unsigned char *code, size_t n, uint64_t at, uint64_t callee, uint32_t *off);
/* "mov %rsi,off(%rdi)" (THD::set_sent_row_count) or "add off(%rdi),%rsi" (THD::inc_sent_row_count). */
bool sw_my_decode_store_rsi(const unsigned char *code, size_t n, uint32_t *off);
bool sw_my_decode_add_rsi(const unsigned char *code, size_t n, uint32_t *off);
/* "push %rbp; mov %rsp,%rbp; call _current_thd; pop %rbp; mov off(%rax),%rax; ret"
 * (Item_func_row_count::val_int at vaddr at; callee: _current_thd's vaddr). */
bool sw_my_decode_current_thd_field(const unsigned char *code, size_t n, uint64_t at, uint64_t callee, uint32_t *off);
/* "mov off(%rdi),%rax; ..." : the first 64-bit load from THD (thd_get_error_message). */
bool sw_my_decode_first_load(const unsigned char *code, size_t n, uint32_t *off);
/* thd_kill_level: its first 32-bit load from THD is THD.killed. */
bool sw_my_decode_killed(const unsigned char *code, size_t n, uint32_t *off);
/* Security_context::init: the offsets of every "movb $0,off(%rdi)" up to its ret, sorted;
 * *count of them (at most max). */
bool sw_my_decode_zeroed_bytes(const unsigned char *code, size_t n, uint32_t *offs, int max, int *count);
/* thd_get_error_context_description: the THD offsets its "cmpq $0,off(%rbx)" tests, in order of
 * appearance, distinct (main_security_ctx's host, ip, user); *count of them (at most max). */
bool sw_my_decode_null_tests(const unsigned char *code, size_t n, uint32_t *offs, int max, int *count);
/* my_ci_get_collation_name_generic: "mov f(%rdi),%rax; mov f+8(%rdi),%rdx; ret" (a LEX_CSTRING member). */
bool sw_my_decode_lex_cstring_member(const unsigned char *code, size_t n, uint32_t *off);
/* set_server_version: the vaddrs of MYSQL_SERVER_VERSION ("lea X(%rip),%rdx" right before the
 * first call) and of the suffix (the "lea Y(%rip),%rcx" before it, 0 if none). */
bool sw_my_decode_version_refs(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *version,
			       uint64_t *suffix);
/* "10.11.19-MariaDB" -> 10, 11 (false for anything that is not N.N.N-MariaDB). */
bool sw_my_parse_version(const char *s, int *major, int *minor);

#endif
