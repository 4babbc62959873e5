/* Deriving a PostgreSQL server binary's layout for the probes and the daemon (see pg_layout.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include "elf_segments.h"
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "pg_backend.h"
#include "pg_exec_layout.h"
#include "pg_layout.h"
#include "util.h"

static const char *const fn_names[SW_FN__COUNT] = {
	[SW_FN_SESSION] = "InitializeSessionUserId",
	[SW_FN_PARSE] = "pg_parse_query",
	[SW_FN_BIND] = "GetCachedPlan",
	[SW_FN_FASTPATH] = "HandleFunctionRequest",
	[SW_FN_REPLICATION] = "exec_replication_command",
	[SW_FN_SETTING] = "set_config_option_ext",
	[SW_FN_EXECUTOR_START] = "ExecutorStart",
	[SW_FN_PROCESS_UTILITY] = "ProcessUtility",
	[SW_FN_FMGR_LOOKUP] = "fmgr_info_cxt_security",   /* static: found through fmgr_info and fmgr_info_cxt */
};

const char *sw_pg_layout_fn_name(int fn)
{
	return fn >= 0 && fn < SW_FN__COUNT ? fn_names[fn] : "?";
}

const char *sw_pg_layout_probe_name(const struct sw_pg_layout *L, int fn)
{
	if (fn == SW_FN_SETTING && L->bpf.setting_action_arg == 5)
		return "set_config_option";   /* 12-14: no set_config_option_ext */
	return sw_pg_layout_fn_name(fn);
}

/* The exported names read here, and where their values go. */
enum sym {
	S_FN0,                              /* S_FN0 + enum sw_fn */
	S_SCS = S_FN0 + SW_FN__COUNT, S_BQ, S_ACTIVE_PORTAL, S_GET_USER_ID, S_GET_AUTH_USER_ID,
	S_GET_SESSION_USER_ID, S_GET_DB_ENCODING, S_STATEMENT_TIMEOUT, S_LOCK_TIMEOUT, S_IDLE_XACT_TIMEOUT,
	S_IDLE_SESSION_TIMEOUT, S_SEARCH_PATH, S_AM_WALSENDER, S_EXECUTE_QUERY, S_EXPLAIN_EXECUTE,
	S_END_COMMAND, S_EMIT_ERROR_REPORT, S_READY_FOR_QUERY, S_GET_COMMAND_TAG_NAME, S_GETERRCODE,
	S_DEBUG_QUERY_STRING, S_CREATE_QUERY_DESC, S_PLAN_QUERIES, S_PORTAL_DEFINE,
	S_FMGR_INFO, S_FMGR_INFO_CXT, S_PROCESS_INTERRUPTS, S_INTERRUPT_PENDING, S_QUERY_CANCEL_PENDING,
	S_INTERRUPT_HOLDOFF, S_CANCEL_HOLDOFF, S_CRIT_SECTION,
	S_APPLICATION_NAME, S_SET_CONFIG_OPTION, S_MAKE_PARAM_LIST,
	S__COUNT
};
static const char *const sym_names[S__COUNT - S_SCS] = {
	"standard_conforming_strings", "backslash_quote", "ActivePortal", "GetUserId",
	"GetAuthenticatedUserId", "GetSessionUserId", "GetDatabaseEncoding", "StatementTimeout", "LockTimeout",
	"IdleInTransactionSessionTimeout", "IdleSessionTimeout", "namespace_search_path", "am_walsender",
	"ExecuteQuery", "ExplainExecuteQuery", "EndCommand", "EmitErrorReport", "ReadyForQuery",
	"GetCommandTagName", "geterrcode", "debug_query_string", "CreateQueryDesc", "pg_plan_queries",
	"PortalDefineQuery", "fmgr_info", "fmgr_info_cxt", "ProcessInterrupts", "InterruptPending", "QueryCancelPending",
	"InterruptHoldoffCount", "QueryCancelHoldoffCount", "CritSectionCount",
	"application_name", "set_config_option", "makeParamList",
};

/*
 * Statics that builds keeping their full symbol table (.symtab: the npm builds of
 * the version matrix; Debian strips it) name: what sqlward decodes from the code
 * must be exactly these, or the binary is refused (or the checkpoint turned off).
 */
enum local_sym { L_CURRENT_USER_ID, L_AUTH_USER_ID, L_SESSION_USER_ID, L_ERRORDATA, L_ERRORDATA_DEPTH,
		 L_FMGR_SECURITY, L__COUNT };
static const char *const local_names[L__COUNT] = {
	"CurrentUserId", "AuthenticatedUserId", "SessionUserId", "errordata", "errordata_stack_depth",
	"fmgr_info_cxt_security",
};
struct local_syms {
	uint64_t val[L__COUNT], size[L__COUNT];
};

/* Needed by the execution checkpoint only: without them it is not attached, the rest is. */
static bool exec_only(int k)
{
	return k == S_FN0 + SW_FN_EXECUTOR_START || k == S_FN0 + SW_FN_PROCESS_UTILITY ||
	       k == S_FN0 + SW_FN_FMGR_LOOKUP || k == S_DEBUG_QUERY_STRING || k == S_CREATE_QUERY_DESC ||
	       k == S_PLAN_QUERIES || k == S_PORTAL_DEFINE || (k >= S_FMGR_INFO && k <= S_CRIT_SECTION);
}

/* Only recorded (the ledger's application_name, policy `application:`): without it, unknown. */
static bool record_only(int k)
{
	return k == S_APPLICATION_NAME;
}

/*
 * Settings are probed at set_config_option_ext (15+). 12-14 have no _ext:
 * their set_config_option is the same function without the srole argument,
 * so action and changeVal are one argument earlier (sw_bin_layout.setting_action_arg).
 */
static void settings_function(int major, uint64_t vals[S__COUNT], uint64_t sizes[S__COUNT], struct sw_pg_layout *out)
{
	out->bpf.setting_action_arg = 6;
	if (major >= 15)
		return;
	vals[S_FN0 + SW_FN_SETTING] = vals[S_SET_CONFIG_OPTION];
	sizes[S_FN0 + SW_FN_SETTING] = sizes[S_SET_CONFIG_OPTION];
	out->bpf.setting_action_arg = 5;
}

static const char *sym_name(int i)
{
	return i < S_SCS ? fn_names[i - S_FN0] : sym_names[i - S_SCS];
}

/* CachedPlanSource (utils/plancache.h): magic, raw_parse_tree, [analyzed_parse_tree (18+)], query_string. */
#define CACHEDPLANSOURCE_MAGIC 195726186

struct major_layout {
	int major;
	uint32_t psrc_query_string;
	uint32_t params_num_off, params_array_off;
	uint32_t elevel_error;   /* utils/elog.h ERROR */
};
/*
 * Checked against each major's headers (utils/plancache.h, nodes/params.h)
 * and against the code of the binaries of the version matrix
 * (CreateCachedPlan's stores, makeParamList's size and stores). The probe
 * also checks the plan source's magic at run time and fails closed when it
 * does not match.
 */
static const struct major_layout majors[] = {
	/* ParamListInfoData 12: 6 hook/arg pointers, numParams, params[] (Datum-aligned). */
	{ 12, 16, 48, 56, 20 },
	/* 13+: paramValuesStr follows the 6 pointers. */
	{ 13, 16, 56, 64, 20 },
	/* 14+: WARNING_CLIENT_ONLY (20) moved ERROR to 21. */
	{ 14, 16, 56, 64, 21 },
	{ 15, 16, 56, 64, 21 },
	{ 16, 16, 56, 64, 21 },
	{ 17, 16, 56, 64, 21 },
	/* 18: CachedPlanSource gained analyzed_parse_tree before query_string. */
	{ 18, 24, 56, 64, 21 },
};

bool sw_pg_decode_load32(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *global)
{
	size_t i = 0;
	int32_t disp;

	if (n >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa)
		i = 4;   /* endbr64 */
	if (n < i + 7 || code[i] != 0x8b || code[i + 1] != 0x05 || code[i + 6] != 0xc3)
		return false;
	memcpy(&disp, code + i + 2, 4);
	*global = vaddr + i + 6 + (uint64_t)(int64_t)disp;
	return true;
}

bool sw_pg_decode_load_ptr_field8(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *global)
{
	static const unsigned char tail[] = { 0x8b, 0x40, 0x08, 0xc3 };
	size_t i = 0;
	int32_t disp;

	if (n >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa)
		i = 4;
	if (n < i + 11 || code[i] != 0x48 || code[i + 1] != 0x8b || code[i + 2] != 0x05 ||
	    memcmp(code + i + 7, tail, sizeof(tail)) != 0)
		return false;
	memcpy(&disp, code + i + 3, 4);
	*global = vaddr + i + 7 + (uint64_t)(int64_t)disp;
	return true;
}

static size_t skip_endbr(const unsigned char *code, size_t n)
{
	return n >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa ? 4 : 0;
}

bool sw_pg_decode_tag_name(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *table, uint32_t *size)
{
	/* mov %edi,%edi; lea T(%rip),%rax; shl $k,%rdi; mov (%rax,%rdi,1),%rax; ret */
	static const unsigned char load[] = { 0x48, 0x8b, 0x04, 0x38, 0xc3 };
	size_t i = skip_endbr(code, n);
	int32_t disp;

	if (n < i + 18 || code[i] != 0x89 || code[i + 1] != 0xff || code[i + 2] != 0x48 || code[i + 3] != 0x8d ||
	    code[i + 4] != 0x05 || code[i + 9] != 0x48 || code[i + 10] != 0xc1 || code[i + 11] != 0xe7 ||
	    code[i + 12] > 6 || memcmp(code + i + 13, load, sizeof(load)) != 0)
		return false;
	memcpy(&disp, code + i + 5, 4);
	*table = vaddr + i + 9 + (uint64_t)(int64_t)disp;
	*size = 1u << code[i + 12];
	return true;
}

bool sw_pg_decode_errcode(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *depth, uint64_t *errordata,
			  uint32_t *size, uint32_t *code_off)
{
	/* movslq D(%rip),%rax; test %eax,%eax; js ...; imul $S,%rax,%rax; lea E(%rip),%rdx;
	 * mov off(%rdx,%rax,1),%eax; ret  (GCC 12). GCC 7 puts the error path inline and
	 * jumps over it: "jns L" with the same imul/lea/mov/ret at L. */
	size_t i = skip_endbr(code, n);
	int32_t disp, sz;

	if (n < i + 7 || code[i] != 0x48 || code[i + 1] != 0x63 || code[i + 2] != 0x05)
		return false;
	memcpy(&disp, code + i + 3, 4);
	*depth = vaddr + i + 7 + (uint64_t)(int64_t)disp;
	i += 7;
	if (n < i + 2 || code[i] != 0x85 || code[i + 1] != 0xc0)
		return false;
	i += 2;
	if (n >= i + 2 && code[i] == 0x78) {
		i += 2;
	} else if (n >= i + 6 && code[i] == 0x0f && code[i + 1] == 0x88) {
		i += 6;
	} else if (n >= i + 2 && code[i] == 0x79 && (int8_t)code[i + 1] > 0) {
		i += 2 + (size_t)(int8_t)code[i + 1];   /* jns over the inline error path */
	} else if (n >= i + 6 && code[i] == 0x0f && code[i + 1] == 0x89) {
		int32_t rel;
		memcpy(&rel, code + i + 2, 4);
		if (rel <= 0 || (size_t)rel > n)
			return false;
		i += 6 + (size_t)rel;
	} else {
		return false;
	}
	if (n < i + 7 || code[i] != 0x48 || code[i + 1] != 0x69 || code[i + 2] != 0xc0)
		return false;
	memcpy(&sz, code + i + 3, 4);
	i += 7;
	if (n < i + 12 || code[i] != 0x48 || code[i + 1] != 0x8d || code[i + 2] != 0x15 || code[i + 7] != 0x8b ||
	    code[i + 8] != 0x44 || code[i + 9] != 0x02 || code[i + 11] != 0xc3 || sz <= 0 || sz > 4096)
		return false;
	memcpy(&disp, code + i + 3, 4);
	*errordata = vaddr + i + 7 + (uint64_t)(int64_t)disp;
	*size = (uint32_t)sz;
	*code_off = code[i + 10];
	return true;
}

bool sw_pg_find_version(const unsigned char *bytes, size_t n, char *version, size_t vlen, int *major)
{
	static const char pfx[] = "PostgreSQL ";
	const size_t pl = sizeof(pfx) - 1;

	for (size_t i = 0; i + pl + 3 < n; i++) {
		size_t j = i + pl, k, end;
		int maj = 0;
		bool compiled = false;

		if (bytes[i] != 'P' || memcmp(bytes + i, pfx, pl) != 0)
			continue;
		for (k = j; k < n && k < j + 3 && bytes[k] >= '0' && bytes[k] <= '9'; k++)
			maj = maj * 10 + (bytes[k] - '0');
		if (k == j || k >= n || (bytes[k] != '.' && bytes[k] != 'b' && bytes[k] != 'r' && bytes[k] != 'd'))
			continue;
		for (end = k; end < n && end < j + 40 && bytes[end] > ' ' && bytes[end] < 0x7f; end++)
			;
		/* PG_VERSION_STR: "PostgreSQL 15.18 (Debian ...) on x86_64-pc-linux-gnu, compiled by ..." */
		for (size_t m = end; m < n && m < end + 200 && bytes[m]; m++)
			if (m + 12 < n && memcmp(bytes + m, ", compiled by", 12) == 0) {
				compiled = true;
				break;
			}
		if (!compiled || end - j >= vlen)
			continue;
		memcpy(version, bytes + j, end - j);
		version[end - j] = 0;
		*major = maj;
		return true;
	}
	return false;
}

struct elf_view {
	int fd;
	Elf *e;
	struct sw_elf_segments seg;
};

/* File offset of vaddr, or -1. */
static off_t file_offset(const struct elf_view *v, uint64_t vaddr)
{
	return sw_elf_file_offset(&v->seg, vaddr);
}

static bool read_code(const struct elf_view *v, uint64_t vaddr, unsigned char *buf, size_t n)
{
	off_t off = file_offset(v, vaddr);
	return off >= 0 && pread(v->fd, buf, n, off) == (ssize_t)n;
}

static void read_symbols(struct elf_view *v, uint64_t vals[S__COUNT], uint64_t sizes[S__COUNT],
			 struct local_syms *loc)
{
	Elf_Scn *scn = NULL;

	memset(loc, 0, sizeof(*loc));
	while ((scn = elf_nextscn(v->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_value)
				continue;
			name = elf_strptr(v->e, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			if (sh.sh_type == SHT_SYMTAB) {
				/* A name that occurs once (a static of that name in two files would be ambiguous). */
				for (int k = 0; k < L__COUNT; k++)
					if (strcmp(name, local_names[k]) == 0) {
						loc->val[k] = loc->val[k] ? UINT64_MAX : sym.st_value;
						loc->size[k] = sym.st_size;
					}
				continue;
			}
			for (int k = 0; k < S__COUNT; k++)
				if (!vals[k] && strcmp(name, sym_name(k)) == 0) {
					vals[k] = sym.st_value;
					sizes[k] = sym.st_size;
				}
		}
	}
}

/* Does the full symbol table (when the binary has one) name the decoded address? */
static bool symtab_agrees(const struct local_syms *loc, int k, uint64_t decoded)
{
	return !loc->val[k] || loc->val[k] == decoded;
}

bool sw_pg_decode_make_param_list(const unsigned char *code, size_t n, uint32_t *num_off, uint32_t *array_off,
				  uint32_t *elem_size)
{
	/* palloc(offsetof(ParamListInfoData, params) + numParams * sizeof(ParamExternData)) as
	 * "add $k,%rdi; shl $4,%rdi" ((n + k) * 16) or "shl $4,%rdi; add $k,%rdi" (n * 16 + k); numParams
	 * kept in %rbx ("mov %rdi,%rbx") and stored as "mov %ebx,disp8(%rax)" after the call. */
	static const unsigned char shl4[] = { 0x48, 0xc1, 0xe7, 0x04 }, keep[] = { 0x48, 0x89, 0xfb };
	bool kept = false;
	size_t i;

	for (i = 0; i + 4 <= n && memcmp(code + i, shl4, 4) != 0; i++)
		kept |= i + 3 <= n && memcmp(code + i, keep, 3) == 0;
	if (i + 4 > n || !kept)
		return false;
	if (i >= 4 && code[i - 4] == 0x48 && code[i - 3] == 0x83 && code[i - 2] == 0xc7 && (int8_t)code[i - 1] > 0)
		*array_off = (uint32_t)code[i - 1] * 16;
	else if (i + 8 <= n && code[i + 4] == 0x48 && code[i + 5] == 0x83 && code[i + 6] == 0xc7 &&
		 (int8_t)code[i + 7] > 0)
		*array_off = code[i + 7];
	else
		return false;
	*elem_size = 16;
	for (i += 4; i + 3 <= n; i++)
		if (code[i] == 0x89 && code[i + 1] == 0x58 && (int8_t)code[i + 2] > 0) {   /* mov %ebx,d8(%rax) */
			*num_off = code[i + 2];
			return true;
		}
	return false;
}

/*
 * The version string lives in read-only data: scan the non-executable loads
 * first; older linkers (the GCC 7.5 / Ubuntu 18.04 builds of the npm packages)
 * put .rodata in the one executable load, so that comes second.
 */
static bool find_version_in(const struct elf_view *v, char *version, size_t vlen, int *major)
{
	for (size_t j = 0; j < 2 * v->seg.n; j++) {
		size_t i = j % v->seg.n, n = v->seg.load[i].p_filesz;
		unsigned char *buf;
		bool ok;
		if (!!(v->seg.load[i].p_flags & PF_X) != (j >= v->seg.n) || n == 0 || n > (256u << 20))
			continue;
		buf = sw_xmalloc(n);
		ok = pread(v->fd, buf, n, (off_t)v->seg.load[i].p_offset) == (ssize_t)n &&
		     sw_pg_find_version(buf, n, version, vlen, major);
		free(buf);
		if (ok)
			return true;
	}
	return false;
}

static bool read_vaddr(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	const struct elf_view *v = ctx;
	off_t off = file_offset(v, vaddr);
	return off >= 0 && pread(v->fd, buf, len, off) == (ssize_t)len;
}

/*
 * The execution checkpoint: its offsets derived from the binary's code and
 * checked against the verified table, or exec_problem says why it stays off.
 */
static void exec_checkpoint(const struct elf_view *v, const uint64_t vals[S__COUNT], struct sw_pg_layout *out)
{
	struct sw_pg_exec_layout x;
	unsigned char code[256];
	const struct sw_pg_exec_layout *k = sw_pg_exec_layout_known(out->major);
	char why[sizeof(out->exec_problem)];
	off_t es, pu;

	if (!vals[S_FN0 + SW_FN_EXECUTOR_START] || !vals[S_FN0 + SW_FN_PROCESS_UTILITY] ||
	    !vals[S_DEBUG_QUERY_STRING] || !vals[S_CREATE_QUERY_DESC] || !vals[S_PLAN_QUERIES] ||
	    !vals[S_PORTAL_DEFINE]) {
		snprintf(out->exec_problem, sizeof(out->exec_problem), "the binary does not export ExecutorStart, "
			 "ProcessUtility, debug_query_string, CreateQueryDesc, pg_plan_queries and PortalDefineQuery");
		return;
	}
	memset(&x, 0, sizeof(x));
	if (!read_code(v, vals[S_CREATE_QUERY_DESC], code, 160) ||
	    !sw_pg_decode_create_query_desc(code, 160, &x.qd_plannedstmt, &x.qd_source_text, &x.ps_command_type)) {
		snprintf(out->exec_problem, sizeof(out->exec_problem), "CreateQueryDesc's code is not the field copy "
			 "sqlward checks, so QueryDesc's layout cannot be verified");
		return;
	}
	{
		struct sw_pg_exec_layout p;
		if (!read_code(v, vals[S_PLAN_QUERIES], code, sizeof(code)) ||
		    !sw_pg_decode_plan_queries(code, sizeof(code), vals[S_PLAN_QUERIES], read_vaddr, (void *)v, &p)) {
			snprintf(out->exec_problem, sizeof(out->exec_problem), "pg_plan_queries' code is not the "
				 "field copy sqlward checks, so PlannedStmt's layout cannot be verified");
			return;
		}
		p.qd_plannedstmt = x.qd_plannedstmt;
		p.qd_source_text = x.qd_source_text;
		if (!read_code(v, vals[S_PORTAL_DEFINE], code, 64) ||
		    !sw_pg_decode_portal_define(code, 64, &p.portal_source_text)) {
			snprintf(out->exec_problem, sizeof(out->exec_problem), "PortalDefineQuery's code is not the "
				 "field copy sqlward checks, so a portal's query text cannot be found");
			return;
		}
		if (p.ps_command_type != x.ps_command_type) {
			snprintf(out->exec_problem, sizeof(out->exec_problem), "CreateQueryDesc and pg_plan_queries "
				 "disagree on where PlannedStmt.commandType is");
			return;
		}
		x = p;
	}
	if (!sw_pg_exec_layout_check(out->major, &x, why, sizeof(why))) {
		snprintf(out->exec_problem, sizeof(out->exec_problem), "%s", why);
		return;
	}
	es = file_offset(v, vals[S_FN0 + SW_FN_EXECUTOR_START]);
	pu = file_offset(v, vals[S_FN0 + SW_FN_PROCESS_UTILITY]);
	if (es < 0 || pu < 0) {
		snprintf(out->exec_problem, sizeof(out->exec_problem), "ExecutorStart/ProcessUtility are outside the "
			 "binary's loaded segments");
		return;
	}
	/* ProcessUtility's probe goes on its hook check's je where that is what the code is (see
	 * sw_pg_decode_utility_probe_site): every utility statement of a governed session hits it. */
	{
		unsigned char head[32];
		uint32_t site = read_code(v, vals[S_FN0 + SW_FN_PROCESS_UTILITY], head, sizeof(head))
					? sw_pg_decode_utility_probe_site(head, sizeof(head), k ? k->pu_context_arg : 3)
					: 0;
		pu += site;
		out->exec_file_off[0] = (uint64_t)es;
		out->exec_file_off[1] = (uint64_t)pu;
		out->bpf.fn[SW_FN_EXECUTOR_START] = vals[S_FN0 + SW_FN_EXECUTOR_START];
		out->bpf.fn[SW_FN_PROCESS_UTILITY] = vals[S_FN0 + SW_FN_PROCESS_UTILITY] + site;
	}
	out->bpf.debug_query_string = vals[S_DEBUG_QUERY_STRING];
	out->bpf.qd_plannedstmt = x.qd_plannedstmt;
	out->bpf.qd_source_text = x.qd_source_text;
	out->bpf.ps_tag = x.ps_tag;
	out->bpf.ps_command_type = x.ps_command_type;
	out->bpf.ps_can_set_tag = x.ps_can_set_tag;
	out->bpf.ps_utility_stmt = x.ps_utility_stmt;
	out->bpf.ps_stmt_location = x.ps_stmt_location;
	out->bpf.ps_stmt_len = x.ps_stmt_len;
	out->bpf.pu_context_arg = k->pu_context_arg;
	out->bpf.portal_source_text = x.portal_source_text;
	out->bpf.cmd_utility = x.cmd_utility;
}

uint32_t sw_pg_decode_utility_probe_site(const unsigned char *code, size_t n, int context_arg)
{
	size_t i = skip_endbr(code, n);

	if (n < i + 7 || code[i] != 0x48 || code[i + 1] != 0x8b || code[i + 2] != 0x05)
		return 0;                          /* mov disp32(%rip),%rax: writes %rax only */
	i += 7;
	if (n >= i + 3 && code[i] == 0x0f && code[i + 1] == 0xb6 && code[i + 2] == 0xd2) {
		if (context_arg == 3)
			return 0;                  /* movzbl %dl,%edx would narrow the context */
		i += 3;                            /* readOnlyTree is a bool: its value stays */
	}
	if (n < i + 5 || code[i] != 0x48 || code[i + 1] != 0x85 || code[i + 2] != 0xc0)
		return 0;                          /* test %rax,%rax */
	i += 3;
	/* je rel8 (emulated), forward and landing within the 16 bytes refusals look in (pg_raise.c). */
	if (code[i] != 0x74 || code[i + 1] > 14)
		return 0;
	return (uint32_t)i;
}

bool sw_pg_decode_fmgr_wrapper(const unsigned char *code, size_t n, uint64_t vaddr, uint64_t *target)
{
	/* [mov CurrentMemoryContext(%rip),%rdx;] xor %ecx,%ecx; jmp fmgr_info_cxt_security */
	size_t i = skip_endbr(code, n);
	int32_t rel;

	if (n >= i + 7 && code[i] == 0x48 && code[i + 1] == 0x8b && code[i + 2] == 0x15)
		i += 7;
	if (n < i + 7 || code[i] != 0x31 || code[i + 1] != 0xc9 || code[i + 2] != 0xe9)
		return false;
	memcpy(&rel, code + i + 3, 4);
	*target = vaddr + i + 7 + (uint64_t)(int64_t)rel;
	return true;
}

/*
 * The function checkpoint: fmgr_info and fmgr_info_cxt both hand over to the
 * static fmgr_info_cxt_security, where every function call is prepared; it is
 * found from their code (they must agree), plus the globals a refusal there
 * needs (it makes the backend raise "canceling statement" before any call).
 */
static void function_checkpoint(const struct elf_view *v, const uint64_t vals[S__COUNT], struct sw_pg_layout *out)
{
	unsigned char code[32];
	uint64_t a = 0, b = 0;
	off_t off;

	if (!out->bpf.fn[SW_FN_EXECUTOR_START])
		return;   /* the execution checkpoint is off: it goes with it */
	for (int k = S_FMGR_INFO; k < S__COUNT; k++)
		if (!vals[k]) {
			snprintf(out->function_problem, sizeof(out->function_problem), "the binary does not export %s",
				 sym_name(k));
			return;
		}
	if (!read_code(v, vals[S_FMGR_INFO], code, sizeof(code)) ||
	    !sw_pg_decode_fmgr_wrapper(code, sizeof(code), vals[S_FMGR_INFO], &a) ||
	    !read_code(v, vals[S_FMGR_INFO_CXT], code, sizeof(code)) ||
	    !sw_pg_decode_fmgr_wrapper(code, sizeof(code), vals[S_FMGR_INFO_CXT], &b) || a != b ||
	    (off = file_offset(v, a)) < 0) {
		snprintf(out->function_problem, sizeof(out->function_problem), "fmgr_info and fmgr_info_cxt are not "
			 "the tail calls sqlward checks for, so where function calls are prepared cannot be found");
		return;
	}
	out->bpf.fn[SW_FN_FMGR_LOOKUP] = a;
	out->exec_file_off[2] = (uint64_t)off;
	out->process_interrupts = vals[S_PROCESS_INTERRUPTS];
	out->interrupt_pending = vals[S_INTERRUPT_PENDING];
	out->query_cancel_pending = vals[S_QUERY_CANCEL_PENDING];
	out->interrupt_holdoff = vals[S_INTERRUPT_HOLDOFF];
	out->cancel_holdoff = vals[S_CANCEL_HOLDOFF];
	out->crit_section = vals[S_CRIT_SECTION];
}

int sw_pg_layout_load(const char *path, struct sw_pg_layout *out, char *err, size_t errlen)
{
	struct elf_view v = { .fd = -1 };
	uint64_t vals[S__COUNT] = { 0 }, sizes[S__COUNT] = { 0 };
	const struct major_layout *ml = NULL;
	struct local_syms loc;
	unsigned char code[128];   /* GCC 7's geterrcode jumps over ~70 bytes */
	size_t nph;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	v.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v.fd < 0) {
		snprintf(err, errlen, "cannot read the PostgreSQL server binary %s: %s; pass the right path with --pg-bin",
			 path, strerror(errno));
		return -1;
	}
	{
		struct stat st;
		if (fstat(v.fd, &st) == 0) {
			out->dev = st.st_dev;
			out->ino = st.st_ino;
		}
	}
	elf_version(EV_CURRENT);
	v.e = elf_begin(v.fd, ELF_C_READ, NULL);
	if (!v.e || elf_getphdrnum(v.e, &nph) != 0) {
		snprintf(err, errlen, "%s is not an ELF executable (%s)", path, elf_errmsg(-1));
		goto out;
	}
	sw_elf_segments_read(v.e, &v.seg);
	out->load_low = v.seg.low;
	if (!find_version_in(&v, out->version, sizeof(out->version), &out->major)) {
		snprintf(err, errlen, "%s: no PostgreSQL version string found; is this a PostgreSQL server binary?", path);
		goto out;
	}
	for (size_t i = 0; i < sizeof(majors) / sizeof(majors[0]); i++)
		if (majors[i].major == out->major)
			ml = &majors[i];
	if (!ml) {
		snprintf(err, errlen, "%s is PostgreSQL %s; this sqlward knows the internal layouts of PostgreSQL "
			 "12 to 18 only and will not guess at others (it would misread what a backend runs); "
			 "run a supported major version",
			 path, out->version);
		goto out;
	}
	read_symbols(&v, vals, sizes, &loc);
	settings_function(out->major, vals, sizes, out);
	for (int k = 0; k < S__COUNT; k++) {
		if (vals[k] || exec_only(k) || record_only(k) || k == S_SET_CONFIG_OPTION ||
		    (k == S_IDLE_SESSION_TIMEOUT && out->major < 14) ||   /* idle_session_timeout came in 14 */
		    (k == S_GET_COMMAND_TAG_NAME && out->major < 13))     /* CommandTag came in 13 */
			continue;
		snprintf(err, errlen, "%s (PostgreSQL %s) does not export %s, which sqlward needs to gate it; "
			 "use a server build with its dynamic symbol table intact", path, out->version, sym_name(k));
		goto out;
	}
	for (int f = 0; f < SW_FN__COUNT; f++)
		if (f != SW_FN_EXECUTOR_START && f != SW_FN_PROCESS_UTILITY && f != SW_FN_FMGR_LOOKUP)
			out->bpf.fn[f] = vals[S_FN0 + f];
	out->bpf.standard_conforming_strings = vals[S_SCS];
	out->bpf.backslash_quote = vals[S_BQ];
	out->bpf.active_portal = vals[S_ACTIVE_PORTAL];
	out->bpf.am_walsender = vals[S_AM_WALSENDER];
	if (!sizes[S_EXECUTE_QUERY] || !sizes[S_EXPLAIN_EXECUTE]) {
		snprintf(err, errlen, "%s (PostgreSQL %s): ExecuteQuery/ExplainExecuteQuery have no size in the "
			 "symbol table, so SQL EXECUTE cannot be told from other nested plans", path, out->version);
		goto out;
	}
	out->bpf.execute_query = vals[S_EXECUTE_QUERY];
	out->bpf.execute_query_end = vals[S_EXECUTE_QUERY] + sizes[S_EXECUTE_QUERY];
	out->bpf.explain_execute = vals[S_EXPLAIN_EXECUTE];
	out->bpf.explain_execute_end = vals[S_EXPLAIN_EXECUTE] + sizes[S_EXPLAIN_EXECUTE];
	out->bpf.psrc_query_string = ml->psrc_query_string;
	out->bpf.elevel_error = ml->elevel_error;
	out->bpf.psrc_magic = CACHEDPLANSOURCE_MAGIC;
	out->statement_timeout = vals[S_STATEMENT_TIMEOUT];
	out->lock_timeout = vals[S_LOCK_TIMEOUT];
	out->idle_in_xact_timeout = vals[S_IDLE_XACT_TIMEOUT];
	out->idle_session_timeout = vals[S_IDLE_SESSION_TIMEOUT];
	out->namespace_search_path = vals[S_SEARCH_PATH];
	out->application_name = vals[S_APPLICATION_NAME];
	out->params_num_off = ml->params_num_off;
	out->params_array_off = ml->params_array_off;
	out->param_size = 16;       /* ParamExternData: Datum value; bool isnull; uint16 pflags; Oid ptype */
	out->param_value_off = 0;
	out->param_isnull_off = 8;
	out->param_ptype_off = 12;
	/* Bound parameters are read with this layout: makeParamList's code must build exactly it. */
	{
		uint32_t num = 0, arr = 0, size = 0;
		if (!read_code(&v, vals[S_MAKE_PARAM_LIST], code, 96) ||
		    !sw_pg_decode_make_param_list(code, 96, &num, &arr, &size) || num != out->params_num_off ||
		    arr != out->params_array_off || size != out->param_size) {
			snprintf(err, errlen, "%s (PostgreSQL %s): makeParamList's code does not build the ParamListInfo "
				 "sqlward verified for PostgreSQL %d (numParams at %u, params at %u, 16-byte entries), "
				 "so bound parameters could be misread; report this binary", path, out->version,
				 out->major, out->params_num_off, out->params_array_off);
			goto out;
		}
	}
	/* Statics reached only through an accessor: decode the accessor, or refuse. */
	{
		uint64_t cur = 0, auth = 0;
		if (!read_code(&v, vals[S_GET_USER_ID], code, sizeof(code)) ||
		    !sw_pg_decode_load32(code, sizeof(code), vals[S_GET_USER_ID], &cur) ||
		    !read_code(&v, vals[S_GET_AUTH_USER_ID], code, sizeof(code)) ||
		    !sw_pg_decode_load32(code, sizeof(code), vals[S_GET_AUTH_USER_ID], &auth) ||
		    !read_code(&v, vals[S_GET_SESSION_USER_ID], code, sizeof(code)) ||
		    !sw_pg_decode_load32(code, sizeof(code), vals[S_GET_SESSION_USER_ID], &out->session_user_id) ||
		    !read_code(&v, vals[S_GET_DB_ENCODING], code, sizeof(code)) ||
		    !sw_pg_decode_load_ptr_field8(code, sizeof(code), vals[S_GET_DB_ENCODING], &out->database_encoding)) {
			snprintf(err, errlen, "%s (PostgreSQL %s): the machine code of GetUserId, GetAuthenticatedUserId, "
				 "GetSessionUserId or GetDatabaseEncoding is not the plain load sqlward checks for, so it "
				 "cannot find the effective role or the database encoding; report this binary", path,
				 out->version);
			goto out;
		}
		if (!symtab_agrees(&loc, L_CURRENT_USER_ID, cur) || !symtab_agrees(&loc, L_AUTH_USER_ID, auth) ||
		    !symtab_agrees(&loc, L_SESSION_USER_ID, out->session_user_id)) {
			snprintf(err, errlen, "%s (PostgreSQL %s): GetUserId, GetAuthenticatedUserId or GetSessionUserId "
				 "load another variable than the symbol table's CurrentUserId, AuthenticatedUserId, "
				 "SessionUserId, so the session's role cannot be read with certainty; report this binary",
				 path, out->version);
			goto out;
		}
		out->bpf.current_user_id = cur;
		out->bpf.authenticated_user_id = auth;
	}
	/* What a released statement did: reporting only, so a binary whose code differs still runs gated. */
	out->bpf.end_command = vals[S_END_COMMAND];
	out->bpf.emit_error_report = vals[S_EMIT_ERROR_REPORT];
	out->bpf.ready_for_query = vals[S_READY_FOR_QUERY];
	uint64_t table = 0, depth = 0, edata = 0;
	if (out->major < 13)   /* EndCommand gets the tag as text ("SELECT 5"): rows from it, no tag name */
		out->bpf.end_command_text = 1;
	else if (!read_code(&v, vals[S_GET_COMMAND_TAG_NAME], code, sizeof(code)) ||
	    !sw_pg_decode_tag_name(code, sizeof(code), vals[S_GET_COMMAND_TAG_NAME], &table,
				   &out->bpf.tag_behavior_size))
		snprintf(out->outcome_problem, sizeof(out->outcome_problem),
			 "GetCommandTagName is not the table lookup sqlward checks for: command tags are not named");
	out->bpf.tag_behavior = table;
	if (!read_code(&v, vals[S_GETERRCODE], code, sizeof(code)) ||
	    !sw_pg_decode_errcode(code, sizeof(code), vals[S_GETERRCODE], &depth, &edata,
				  &out->bpf.errordata_size, &out->bpf.edata_sqlerrcode)) {
		snprintf(out->outcome_problem, sizeof(out->outcome_problem),
			 "geterrcode is not the plain load sqlward checks for: errors of released statements are not seen");
	} else if (!symtab_agrees(&loc, L_ERRORDATA, edata) || !symtab_agrees(&loc, L_ERRORDATA_DEPTH, depth) ||
		   (loc.val[L_ERRORDATA] && loc.size[L_ERRORDATA] != 5ull * out->bpf.errordata_size)) {
		/* ERRORDATA_STACK_SIZE is 5 in every supported major */
		snprintf(out->outcome_problem, sizeof(out->outcome_problem),
			 "geterrcode reads another array than the symbol table's errordata[5]: errors of released "
			 "statements are not seen");
	} else {
		out->bpf.errordata_depth = depth;
		out->bpf.errordata = edata;
		/* ErrorData (utils/elog.h): char *message follows int sqlerrcode, pointer-aligned. */
		out->bpf.edata_message = (out->bpf.edata_sqlerrcode + 4 + 7) & ~7u;
	}
	exec_checkpoint(&v, vals, out);
	function_checkpoint(&v, vals, out);
	if (out->bpf.fn[SW_FN_FMGR_LOOKUP] && !symtab_agrees(&loc, L_FMGR_SECURITY, out->bpf.fn[SW_FN_FMGR_LOOKUP])) {
		out->bpf.fn[SW_FN_FMGR_LOOKUP] = 0;
		snprintf(out->function_problem, sizeof(out->function_problem), "fmgr_info's tail call goes elsewhere than "
			 "the symbol table's fmgr_info_cxt_security, so where function calls are prepared is not certain");
	}
	rc = 0;
out:
	if (v.e)
		elf_end(v.e);
	close(v.fd);
	return rc;
}

void sw_pg_layout_describe(const struct sw_pg_layout *L, char *buf, size_t n)
{
	snprintf(buf, n, "PostgreSQL %s at %s: checked at attach: ParamListInfo numParams %u params %u; "
		 "CachedPlanSource.query_string %u; settings at %s (action is argument %u); EndCommand %s; "
		 "ErrorData %u bytes, sqlerrcode at %u, ERROR is level %u; execution checkpoint %s%s (PlannedStmt tag %u, utilityStmt %u, "
		 "CMD_UTILITY %u, ProcessUtility context argument %u, Portal.sourceText %u); function checkpoint %s%s; "
		 "outcomes %s%s",
		 L->version, L->path, L->params_num_off, L->params_array_off, L->bpf.psrc_query_string,
		 sw_pg_layout_probe_name(L, SW_FN_SETTING), L->bpf.setting_action_arg,
		 L->bpf.end_command_text ? "tag text (rows from it)" : "QueryCompletion", L->bpf.errordata_size,
		 L->bpf.edata_sqlerrcode, L->bpf.elevel_error, L->bpf.fn[SW_FN_EXECUTOR_START] ? "live" : "off: ", L->exec_problem,
		 L->bpf.ps_tag, L->bpf.ps_utility_stmt, L->bpf.cmd_utility, L->bpf.pu_context_arg,
		 L->bpf.portal_source_text, L->bpf.fn[SW_FN_FMGR_LOOKUP] ? "live" : "off: ",
		 L->bpf.fn[SW_FN_FMGR_LOOKUP] ? "" : L->function_problem[0] ? L->function_problem : L->exec_problem,
		 L->outcome_problem[0] ? "partial: " : "complete", L->outcome_problem);
}

uint64_t sw_pg_layout_addr(const struct sw_pg_layout *L, pid_t pid, uint64_t vaddr)
{
	char path[64], line[4608];
	uint64_t addr = 0;
	FILE *f;

	if (!vaddr)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, offset, ino;
		char file[4096];
		if (sscanf(line, "%lx-%*x %*s %lx %*s %lu %4095[^\n]", &start, &offset, &ino, file) == 4 && offset == 0) {
			size_t fl = strlen(file);
			if (fl > 10 && strcmp(file + fl - 10, " (deleted)") == 0)
				file[fl - 10] = 0;
			/* The file by identity (a replaced binary's old file shares its path), else by name. */
			if ((L->ino && ino == (unsigned long)L->ino) || (!L->ino && strcmp(file, L->path) == 0)) {
				addr = start - L->load_low + vaddr;
				break;
			}
		}
	}
	fclose(f);
	return addr;
}

bool sw_pg_backend_title(const struct sw_pg_layout *L, pid_t pid, struct sw_pg_title *out)
{
	char title[4096];
	uint8_t ws = 0;

	if (!sw_proc_title(pid, title, sizeof(title)))
		return false;
	if (L)
		sw_proc_read(pid, sw_pg_layout_addr(L, pid, L->bpf.am_walsender), &ws, 1);
	return sw_pg_parse_title_ex(title, NULL, ws != 0, out);
}

const struct sw_pg_layout *sw_pg_layout_of_pid(const struct sw_pg_layout *layouts, int n, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) != 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (layouts[i].ino == st.st_ino && layouts[i].dev == st.st_dev)
			return &layouts[i];
	return NULL;
}
