/* Deriving a mariadbd binary's layout from its own machine code (see my_layout.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include "elf_segments.h"
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "my_layout.h"

static const char *const fn_names[SW_MY_FN__COUNT] = {
	[SW_MY_FN_DISPATCH] = "_Z16dispatch_command19enum_server_commandP3THDPcjb",
	[SW_MY_FN_EXECUTE] = "_Z21mysql_execute_commandP3THDb",
	[SW_MY_FN_AUTHENTICATE] = "_Z16acl_authenticateP3THDj",
	[SW_MY_FN_CONN_END] = "_Z10unlink_thdP3THD",
};

const char *sw_my_layout_fn_name(int fn)
{
	return fn >= 0 && fn < SW_MY_FN__COUNT ? fn_names[fn] : "?";
}

/* The exported accessors whose code is decoded, and the THD list. */
enum acc {
	A_THREAD_ID, A_SQL_COMMAND, A_USER_NAME, A_CLIENT_HOST, A_CLIENT_IP, A_PRIV_USER, A_PRIV_HOST,
	A_STRICT_MODE, A_CHARSET, A_QUERY_STRING, A_SCTX_INIT, A_CONTEXT_DESC, A_COLL_NAME, A_CHARSET_NAME,
	A_SET_VERSION, A_SERVER_THREADS, A_CURRENT_DB, A_IS_CONNECTED, A_VIO_FD, A_THD_CTOR, A_STATEMENT_CTOR,
	A_KILL_LEVEL, A_SET_SENT_ROWS, A_INC_SENT_ROWS, A_ROW_COUNT_ITEM, A_CURRENT_THD, A_ERROR_NUMBER,
	A_ERROR_MESSAGE, A__COUNT
};
static const char *const acc_names[A__COUNT] = {
	"thd_get_thread_id", "thd_sql_command", "thd_user_name", "thd_client_host", "thd_client_ip",
	"thd_priv_user", "thd_priv_host", "thd_is_strict_mode", "thd_charset", "thd_query_string",
	"_ZN16Security_context4initEv", "thd_get_error_context_description",
	"my_ci_get_collation_name_generic", "get_charset_name", "_Z18set_server_versionPcm", "server_threads",
	"thd_current_db", "thd_is_connected", "vio_fd", "_ZN3THDC2Eyb",
	"_ZN9StatementC1EP3LEXP11st_mem_rootN11Query_arena10enum_stateEm", "thd_kill_level",
	"_ZN3THD18set_sent_row_countEy", "_ZN3THD18inc_sent_row_countEy", "_ZN19Item_func_row_count7val_intEv",
	"_current_thd", "thd_get_error_number", "thd_get_error_message",
};

/* ---- decoders ------------------------------------------------------------------------ */

static size_t skip_endbr(const unsigned char *c, size_t n)
{
	return n >= 4 && c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa ? 4 : 0;
}

/*
 * A memory operand "disp(%base)" whose ModRM byte is at c[i]: mod 01 (disp8) or
 * 10 (disp32), rm = base (not %rsp/%rbp forms), reg as given. Sets *disp and
 * the operand's length (ModRM + displacement); a negative displacement is
 * refused (no field lives before its object).
 */
static bool mem_operand(const unsigned char *c, size_t n, size_t i, int reg, int base, uint32_t *disp, size_t *len)
{
	if (i >= n || (c[i] & 7) != base || ((c[i] >> 3) & 7) != reg)
		return false;
	if ((c[i] >> 6) == 1 && i + 2 <= n) {
		if (c[i + 1] & 0x80)
			return false;
		*disp = c[i + 1];
		*len = 2;
		return true;
	}
	if ((c[i] >> 6) == 2 && i + 5 <= n) {
		int32_t d;
		memcpy(&d, c + i + 1, 4);
		if (d < 0)
			return false;
		*disp = (uint32_t)d;
		*len = 5;
		return true;
	}
	if ((c[i] >> 6) == 0 && base != 4 && base != 5) {   /* "(%base)": displacement 0 */
		*disp = 0;
		*len = 1;
		return true;
	}
	return false;
}

enum { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSI = 6, RDI = 7 };

/* One REX.W instruction "opcode off(%rdi)" with reg %rsi: mov %rsi,off(%rdi) (0x89) or add off(%rdi),%rsi (0x03). */
static bool rsi_rdi_insn(const unsigned char *c, size_t n, unsigned char opcode, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;

	return n >= i + 3 && c[i] == 0x48 && c[i + 1] == opcode && mem_operand(c, n, i + 2, RSI, RDI, off, &l);
}

bool sw_my_decode_store_rsi(const unsigned char *c, size_t n, uint32_t *off)
{
	return rsi_rdi_insn(c, n, 0x89, off);
}

bool sw_my_decode_add_rsi(const unsigned char *c, size_t n, uint32_t *off)
{
	return rsi_rdi_insn(c, n, 0x03, off);
}

bool sw_my_decode_current_thd_field(const unsigned char *c, size_t n, uint64_t at, uint64_t callee, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;
	int32_t rel;

	/* push %rbp; mov %rsp,%rbp; call rel32 */
	if (n < i + 9 || c[i] != 0x55 || c[i + 1] != 0x48 || c[i + 2] != 0x89 || c[i + 3] != 0xe5 || c[i + 4] != 0xe8)
		return false;
	memcpy(&rel, c + i + 5, 4);
	if (at + i + 9 + (uint64_t)(int64_t)rel != callee)
		return false;
	i += 9;
	if (i + 1 > n || c[i] != 0x5d)   /* pop %rbp */
		return false;
	i++;
	if (i + 3 > n || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RAX, off, &l))
		return false;
	i += 2 + l;
	return i < n && c[i] == 0xc3;
}

bool sw_my_decode_first_load(const unsigned char *c, size_t n, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;

	return n >= i + 3 && c[i] == 0x48 && c[i + 1] == 0x8b && mem_operand(c, n, i + 2, RAX, RDI, off, &l);
}

bool sw_my_decode_load_field(const unsigned char *c, size_t n, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;

	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RDI, off, &l))
		return false;
	i += 2 + l;
	return i < n && c[i] == 0xc3;
}

bool sw_my_decode_load_field_field32(const unsigned char *c, size_t n, uint32_t *off1, uint32_t *off2)
{
	size_t i = skip_endbr(c, n), l;

	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RDI, off1, &l))
		return false;
	i += 2 + l;
	if (i + 2 > n || c[i] != 0x8b || !mem_operand(c, n, i + 1, RAX, RAX, off2, &l))   /* 32-bit load */
		return false;
	i += 1 + l;
	return i < n && c[i] == 0xc3;
}

bool sw_my_decode_ctx_pointer(const unsigned char *c, size_t n, uint32_t *ctx, uint32_t *field)
{
	size_t i = skip_endbr(c, n), l, je;

	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RDI, ctx, &l))
		return false;
	i += 2 + l;
	if (i + 5 > n || c[i] != 0x48 || c[i + 1] != 0x85 || c[i + 2] != 0xc0 || c[i + 3] != 0x74)
		return false;
	je = i + 5 + c[i + 4];   /* the NULL path: straight to the ret */
	i += 5;
	if (i + 3 > n || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RAX, field, &l))
		return false;
	i += 2 + l;
	return i < n && c[i] == 0xc3 && je == i;
}

bool sw_my_decode_ctx_array(const unsigned char *c, size_t n, uint32_t *ctx, uint32_t *field)
{
	/* mov ctx(%rdi),%rbx; test %rbx,%rbx; je x; add $f,%rbx; mov %rbx,%rdi; call */
	for (size_t i = 0; i + 3 < n; i++) {
		size_t j, l;
		uint32_t d, f;

		if (c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RBX, RDI, &d, &l))
			continue;
		j = i + 2 + l;
		if (j + 5 > n || c[j] != 0x48 || c[j + 1] != 0x85 || c[j + 2] != 0xdb || c[j + 3] != 0x74)
			continue;
		j += 5;
		if (j + 4 <= n && c[j] == 0x48 && c[j + 1] == 0x83 && c[j + 2] == 0xc3 && !(c[j + 3] & 0x80)) {
			f = c[j + 3];
			j += 4;
		} else if (j + 7 <= n && c[j] == 0x48 && c[j + 1] == 0x81 && c[j + 2] == 0xc3) {
			int32_t v;
			memcpy(&v, c + j + 3, 4);
			if (v < 0)
				continue;
			f = (uint32_t)v;
			j += 7;
		} else {
			continue;
		}
		if (j + 4 > n || c[j] != 0x48 || c[j + 1] != 0x89 || c[j + 2] != 0xdf || c[j + 3] != 0xe8)
			continue;
		*ctx = d;
		*field = f;
		return true;
	}
	return false;
}

bool sw_my_decode_test_field64(const unsigned char *c, size_t n, uint32_t *off, uint32_t *mask)
{
	static const unsigned char tail[] = { 0x0f, 0x95, 0xc0, 0xc3 };   /* setne %al; ret */
	size_t i = skip_endbr(c, n), l;

	/* REX.W F7 /0: testq $imm32, m64 */
	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0xf7 || !mem_operand(c, n, i + 2, 0, RDI, off, &l))
		return false;
	i += 2 + l;
	if (i + 4 + sizeof(tail) > n || memcmp(c + i + 4, tail, sizeof(tail)) != 0)
		return false;
	memcpy(mask, c + i, 4);
	return true;
}

bool sw_my_decode_lea_field(const unsigned char *c, size_t n, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;

	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0x8d || (c[i + 2] >> 6) == 0 ||
	    !mem_operand(c, n, i + 2, RAX, RDI, off, &l))
		return false;
	i += 2 + l;
	return i < n && c[i] == 0xc3;
}

/*
 * thd_is_connected(THD *): "if (thd->system_thread) return 1; return thd->net.vio &&
 * vio_is_connected(thd->net.vio)": the first 64-bit load from THD into %rdx
 * (`mov disp(%rdi),%rdx`) followed by an indirect call through %rdx is net.vio.
 */
bool sw_my_decode_vio_pointer(const unsigned char *c, size_t n, uint32_t *off)
{
	for (size_t i = skip_endbr(c, n); i + 3 < n; i++) {
		size_t l;
		if (c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RDX, RDI, off, &l))
			continue;
		for (size_t j = i + 2 + l; j + 1 < n; j++)
			if (c[j] == 0xff && (c[j + 1] & 0x38) == 0x10 && (c[j + 1] & 7) == RDX)   /* call *disp(%rdx) */
				return true;
		return false;
	}
	return false;
}

/* vio_fd(Vio *): `mov (%rdi),%eax; ret`: the socket's fd is Vio's first member. */
bool sw_my_decode_vio_fd(const unsigned char *c, size_t n, uint32_t *off)
{
	size_t i = skip_endbr(c, n);

	if (i + 3 <= n && c[i] == 0x8b && c[i + 1] == 0x07 && c[i + 2] == 0xc3) {
		*off = 0;
		return true;
	}
	return false;
}

/*
 * THD::THD(...) constructs its Statement base with `lex= &main_lex`: the call
 * to Statement::Statement (at vaddr `callee`) is preceded by `lea disp32(%rdi),%rax`
 * and `mov %rax,%rsi` (the LEX * argument). code is at vaddr `at`.
 */
bool sw_my_decode_main_lex(const unsigned char *c, size_t n, uint64_t at, uint64_t callee, uint32_t *off)
{
	bool have_lea = false, moved = false;
	uint32_t disp = 0;

	for (size_t i = 0; i + 5 <= n; i++) {
		if (i + 7 <= n && c[i] == 0x48 && c[i + 1] == 0x8d && c[i + 2] == 0x87) {   /* lea disp32(%rdi),%rax */
			memcpy(&disp, c + i + 3, 4);
			have_lea = true;
			moved = false;
			i += 6;
		} else if (i + 3 <= n && c[i] == 0x48 && c[i + 1] == 0x89 && c[i + 2] == 0xc6) {   /* mov %rax,%rsi */
			moved = have_lea;
			i += 2;
		} else if (c[i] == 0xe8) {   /* call rel32 */
			int32_t rel;
			memcpy(&rel, c + i + 1, 4);
			if (at + i + 5 + (int64_t)rel == callee) {
				if (!moved || disp >= 0x100000)
					return false;
				*off = disp;
				return true;
			}
			i += 4;
		}
	}
	return false;
}

/* thd_kill_level(THD *): its first 32-bit load from THD (`mov disp32(%rdi),%r32`) is THD.killed. */
bool sw_my_decode_killed(const unsigned char *c, size_t n, uint32_t *off)
{
	for (size_t i = skip_endbr(c, n); i + 7 <= n; i++) {
		size_t j = i;
		if ((c[j] & 0xf8) == 0x40 && !(c[j] & 0x08))   /* REX without W (r8d..r15d) */
			j++;
		if (j + 6 <= n && c[j] == 0x8b && (c[j + 1] & 0xc7) == 0x87) {   /* mod 10, rm %rdi */
			memcpy(off, c + j + 2, 4);
			return *off < 0x100000;
		}
	}
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

bool sw_my_decode_zeroed_bytes(const unsigned char *c, size_t n, uint32_t *offs, int max, int *count)
{
	/* Security_context::init is short straight-line code: every "movb $0,off(%rdi)"
	 * (C6 /0) in it (n = its symbol's size). Scanning bytes could see one inside
	 * another instruction; the caller cross-checks the result. */
	int k = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t d;
		size_t l;

		if (c[i] != 0xc6 || !mem_operand(c, n, i + 1, 0, RDI, &d, &l) || l == 1 || i + 1 + l >= n ||
		    c[i + 1 + l] != 0)
			continue;
		if (k == max)
			return false;
		offs[k++] = d;
		i += l + 1;
	}
	qsort(offs, (size_t)k, sizeof(*offs), cmp_u32);
	*count = k;
	return k > 0;
}

bool sw_my_decode_null_tests(const unsigned char *c, size_t n, uint32_t *offs, int max, int *count)
{
	int k = 0;

	/* REX.W 83 /7 ib: cmpq $0, disp32(%rbx) */
	for (size_t i = 0; i + 8 <= n; i++) {
		uint32_t d;
		size_t l;
		bool seen = false;

		if (c[i] != 0x48 || c[i + 1] != 0x83 || !mem_operand(c, n, i + 2, 7, RBX, &d, &l) || l != 5 ||
		    i + 2 + l >= n || c[i + 2 + l] != 0)
			continue;
		for (int j = 0; j < k; j++)
			seen |= offs[j] == d;
		if (seen)
			continue;
		if (k == max)
			break;
		offs[k++] = d;
		i += 2 + l;
	}
	*count = k;
	return k > 0;
}

bool sw_my_decode_lex_cstring_member(const unsigned char *c, size_t n, uint32_t *off)
{
	size_t i = skip_endbr(c, n), l;
	uint32_t len_off;

	if (n < i + 3 || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RAX, RDI, off, &l))
		return false;
	i += 2 + l;
	if (i + 3 > n || c[i] != 0x48 || c[i + 1] != 0x8b || !mem_operand(c, n, i + 2, RDX, RDI, &len_off, &l))
		return false;
	i += 2 + l;
	return i < n && c[i] == 0xc3 && len_off == *off + 8;
}

bool sw_my_decode_version_refs(const unsigned char *c, size_t n, uint64_t vaddr, uint64_t *version,
			       uint64_t *suffix)
{
	/* strxnmov(buf, len, MYSQL_SERVER_VERSION, MYSQL_SERVER_SUFFIX_STR, ...): the version is
	 * the third argument, loaded right before the call; the suffix the fourth, before it. */
	for (size_t i = 0; i + 8 <= n; i++) {
		int32_t d;

		if (c[i] != 0x48 || c[i + 1] != 0x8d || c[i + 2] != 0x15 || c[i + 7] != 0xe8)
			continue;
		memcpy(&d, c + i + 3, 4);
		*version = vaddr + i + 7 + (uint64_t)(int64_t)d;
		*suffix = 0;
		for (size_t j = i; j-- > 0;) {
			if (j + 7 <= i && c[j] == 0x48 && c[j + 1] == 0x8d && c[j + 2] == 0x0d) {
				memcpy(&d, c + j + 3, 4);
				*suffix = vaddr + j + 7 + (uint64_t)(int64_t)d;
				break;
			}
		}
		return true;
	}
	return false;
}

bool sw_my_parse_version(const char *s, int *major, int *minor)
{
	static const char tag[] = "-MariaDB";
	long part[3];
	const char *p = s;

	for (int k = 0; k < 3; k++) {
		char *end;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		part[k] = strtol(p, &end, 10);
		if (errno || end - p > 4 || (k < 2 && *end != '.'))
			return false;
		p = k < 2 ? end + 1 : end;
	}
	if (strcmp(p, tag) != 0)
		return false;
	*major = (int)part[0];
	*minor = (int)part[1];
	return true;
}

/* ---- the ELF file -------------------------------------------------------------------- */

struct elf_file {
	int fd;
	Elf *e;
	struct sw_elf_segments seg;
};

static off_t vaddr_to_off(const struct elf_file *f, uint64_t vaddr)
{
	return sw_elf_file_offset(&f->seg, vaddr);
}

/* Up to n bytes at vaddr (fewer at the end of a segment); returns how many, 0 if none. */
static size_t read_at(const struct elf_file *f, uint64_t vaddr, unsigned char *buf, size_t n)
{
	off_t off = vaddr_to_off(f, vaddr);
	ssize_t r;

	if (off < 0)
		return 0;
	r = pread(f->fd, buf, n, off);
	return r > 0 ? (size_t)r : 0;
}

static bool read_cstr(const struct elf_file *f, uint64_t vaddr, char *out, size_t outlen)
{
	size_t n = read_at(f, vaddr, (unsigned char *)out, outlen);

	if (!n || !memchr(out, 0, n))
		return false;
	return true;
}

/* The dynamic symbols named in names[] (values 0 when absent). */
static void find_symbols(const struct elf_file *f, const char *const *names, int count, uint64_t *vals,
			 uint64_t *sizes)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(f->e, sh.sh_link, sym.st_name);
			for (int k = 0; name && k < count; k++)
				if (!vals[k] && strcmp(name, names[k]) == 0) {
					vals[k] = sym.st_value;
					sizes[k] = sym.st_size;
				}
		}
	}
}

/* ---- deriving ------------------------------------------------------------------------ */

struct derive {
	const struct elf_file *f;
	uint64_t vals[A__COUNT], sizes[A__COUNT];
	struct sw_my_layout *out;
};

static void problem(struct sw_my_layout *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct sw_my_layout *out, const char *fmt, ...)
{
	size_t used = strlen(out->problem);
	va_list ap;

	if (used + 3 >= sizeof(out->problem))
		return;
	if (used)
		used += (size_t)snprintf(out->problem + used, sizeof(out->problem) - used, "; ");
	va_start(ap, fmt);
	vsnprintf(out->problem + used, sizeof(out->problem) - used, fmt, ap);
	va_end(ap);
}

/* The code of accessor a (at most cap bytes, its symbol size when known); 0 if absent. */
static size_t code_of(struct derive *d, int a, unsigned char *buf, size_t cap)
{
	size_t n = cap;

	if (!d->vals[a]) {
		problem(d->out, "%s is not exported", acc_names[a]);
		return 0;
	}
	if (d->sizes[a] && d->sizes[a] < n)
		n = (size_t)d->sizes[a];
	n = read_at(d->f, d->vals[a], buf, n);
	if (!n)
		problem(d->out, "%s's code is not in the file", acc_names[a]);
	return n;
}

static void shape_problem(struct derive *d, int a)
{
	problem(d->out, "%s's code is not the shape sqlward decodes", acc_names[a]);
}

/* THD.thread_id, THD.lex + LEX.sql_command, THD.variables.{sql_mode,character_set_client}, THD.query_string. */
static void derive_thd(struct derive *d)
{
	struct sw_my_bin_layout *b = &d->out->bpf;
	unsigned char c[64];
	size_t n;
	uint32_t mask;

	if ((n = code_of(d, A_THREAD_ID, c, sizeof(c))) && !sw_my_decode_load_field(c, n, &b->thd_thread_id))
		shape_problem(d, A_THREAD_ID);
	if ((n = code_of(d, A_SQL_COMMAND, c, sizeof(c))) &&
	    !sw_my_decode_load_field_field32(c, n, &b->thd_lex, &b->lex_sql_command))
		shape_problem(d, A_SQL_COMMAND);
	/* thd_is_strict_mode tests MODE_STRICT_TRANS_TABLES | MODE_STRICT_ALL_TABLES: the mask
	 * proves the field is sql_mode. */
	if ((n = code_of(d, A_STRICT_MODE, c, sizeof(c)))) {
		if (!sw_my_decode_test_field64(c, n, &b->thd_sql_mode, &mask))
			shape_problem(d, A_STRICT_MODE);
		else if (mask != ((1u << 21) | (1u << 22))) {
			problem(d->out, "thd_is_strict_mode tests sql_mode bits 0x%x, not STRICT_TRANS_TABLES|"
				"STRICT_ALL_TABLES (0x600000)", mask);
			b->thd_sql_mode = 0;
		}
	}
	if ((n = code_of(d, A_CHARSET, c, sizeof(c))) && !sw_my_decode_load_field(c, n, &b->thd_charset_client))
		shape_problem(d, A_CHARSET);
	if ((n = code_of(d, A_QUERY_STRING, c, sizeof(c))) && !sw_my_decode_lea_field(c, n, &b->thd_query))
		shape_problem(d, A_QUERY_STRING);
	/* The session's database (LEX_CSTRING THD.db) and its connection's socket (THD.net.vio -> fd). */
	if ((n = code_of(d, A_CURRENT_DB, c, sizeof(c))) && !sw_my_decode_lea_field(c, n, &b->thd_db))
		shape_problem(d, A_CURRENT_DB);
	if ((n = code_of(d, A_IS_CONNECTED, c, sizeof(c))) && !sw_my_decode_vio_pointer(c, n, &d->out->thd_vio))
		shape_problem(d, A_IS_CONNECTED);
	if ((n = code_of(d, A_VIO_FD, c, sizeof(c))) && !sw_my_decode_vio_fd(c, n, &d->out->vio_fd))
		shape_problem(d, A_VIO_FD);
	/* The execution checkpoint: a statement whose LEX is not THD.main_lex runs inside another
	 * (a stored program, a prepared statement); THD.killed refuses one there. */
	if ((n = code_of(d, A_KILL_LEVEL, c, sizeof(c))) && !sw_my_decode_killed(c, n, &d->out->thd_killed))
		shape_problem(d, A_KILL_LEVEL);
	{
		unsigned char ctor[256];
		if (!d->vals[A_STATEMENT_CTOR])
			problem(d->out, "%s is not exported", acc_names[A_STATEMENT_CTOR]);
		else if ((n = code_of(d, A_THD_CTOR, ctor, sizeof(ctor))) &&
			 !sw_my_decode_main_lex(ctor, n, d->vals[A_THD_CTOR], d->vals[A_STATEMENT_CTOR],
						&d->out->bpf.thd_main_lex))
			shape_problem(d, A_THD_CTOR);
	}
}

/* What the completion probe reads, each from two functions where there are two. Failing here
 * only turns completions off (done_problem), never the gate. */
static void done_problem(struct sw_my_layout *L, const char *what)
{
	if (!L->done_problem[0])
		snprintf(L->done_problem, sizeof(L->done_problem), "completions are not recorded: %s", what);
}

static void derive_done(struct derive *d)
{
	struct sw_my_done_layout *o = &d->out->done;
	unsigned char c[64];
	size_t n;
	uint32_t a = 0, b = 0;

#define CODE(acc) (d->vals[acc] && (n = read_at(d->f, d->vals[acc], c, \
		   d->sizes[acc] && d->sizes[acc] < sizeof(c) ? (size_t)d->sizes[acc] : sizeof(c))))
	memset(o, 0, sizeof(*o));
	if (!CODE(A_SET_SENT_ROWS) || !sw_my_decode_store_rsi(c, n, &a) || !CODE(A_INC_SENT_ROWS) ||
	    !sw_my_decode_add_rsi(c, n, &b) || a != b || !a)
		done_problem(d->out, "THD::set_sent_row_count/inc_sent_row_count are not the shape sqlward decodes");
	else
		o->thd_sent_row_count = a;
	if (!d->vals[A_CURRENT_THD] || !CODE(A_ROW_COUNT_ITEM) ||
	    !sw_my_decode_current_thd_field(c, n, d->vals[A_ROW_COUNT_ITEM], d->vals[A_CURRENT_THD],
					    &o->thd_row_count_func) || !o->thd_row_count_func)
		done_problem(d->out, "Item_func_row_count::val_int is not the shape sqlward decodes");
	if (!CODE(A_ERROR_NUMBER) || !sw_my_decode_load_field_field32(c, n, &a, &o->da_sql_errno) ||
	    !CODE(A_ERROR_MESSAGE) || !sw_my_decode_first_load(c, n, &b) || a != b || !a)
		done_problem(d->out, "thd_get_error_number/thd_get_error_message are not the shape sqlward decodes");
	else
		o->thd_stmt_da = a;
#undef CODE
	o->valid = !d->out->done_problem[0];
}

/* THD.security_ctx and the Security_context members, each from two functions that use it. */
static void derive_security(struct derive *d)
{
	struct sw_my_layout *L = d->out;
	struct sw_my_bin_layout *b = &L->bpf;
	unsigned char c[512];
	size_t n;
	uint32_t ctx[5] = { 0 }, zeroed[8], tests[4];
	int nz = 0, nt = 0;
	bool ok = true;

	if ((n = code_of(d, A_USER_NAME, c, sizeof(c))) && !sw_my_decode_ctx_pointer(c, n, &ctx[0], &b->sctx_user))
		shape_problem(d, A_USER_NAME), ok = false;
	if ((n = code_of(d, A_CLIENT_HOST, c, sizeof(c))) && !sw_my_decode_ctx_pointer(c, n, &ctx[1], &b->sctx_host))
		shape_problem(d, A_CLIENT_HOST), ok = false;
	if ((n = code_of(d, A_CLIENT_IP, c, sizeof(c))) && !sw_my_decode_ctx_pointer(c, n, &ctx[2], &b->sctx_ip))
		shape_problem(d, A_CLIENT_IP), ok = false;
	if ((n = code_of(d, A_PRIV_USER, c, 128)) && !sw_my_decode_ctx_array(c, n, &ctx[3], &b->sctx_priv_user))
		shape_problem(d, A_PRIV_USER), ok = false;
	if ((n = code_of(d, A_PRIV_HOST, c, 128)) && !sw_my_decode_ctx_array(c, n, &ctx[4], &b->sctx_priv_host))
		shape_problem(d, A_PRIV_HOST), ok = false;
	for (int i = 1; i < 5; i++)
		if (ctx[i] != ctx[0])
			ok = false;
	if (!ok || !ctx[0] || ctx[0] % 8) {
		problem(L, "the accessors disagree on where THD.security_ctx is");
		return;
	}
	b->thd_security_ctx = ctx[0];

	/* Security_context::init zeroes the first byte of each char[] member, declared in the
	 * order priv_user, proxy_user, priv_host, priv_role (10.11's sql_class.h), and of the
	 * bool password_expired after them. proxy_user is char[USERNAME_LENGTH + MAX_HOSTNAME
	 * + 5]: its size, from where priv_host starts, must agree with the sizes of priv_user
	 * (USERNAME_LENGTH) and priv_host (MAX_HOSTNAME). */
	n = d->sizes[A_SCTX_INIT] ? code_of(d, A_SCTX_INIT, c, 256) : 0;
	if (!n && d->vals[A_SCTX_INIT])
		problem(L, "Security_context::init has no symbol size to bound its code");
	if (n && sw_my_decode_zeroed_bytes(c, n, zeroed, 8, &nz)) {
		int i = 0;
		while (i < nz && zeroed[i] != b->sctx_priv_user)
			i++;
		if (i + 3 < nz && zeroed[i + 2] == b->sctx_priv_host &&
		    zeroed[i + 2] - zeroed[i + 1] ==
			    (zeroed[i + 1] - zeroed[i]) + (zeroed[i + 3] - zeroed[i + 2]) + 5) {
			L->sctx_proxy_user = zeroed[i + 1];
			L->sctx_priv_role = zeroed[i + 3];
			L->sctx_priv_user_size = zeroed[i + 1] - zeroed[i];
			L->sctx_priv_host_size = zeroed[i + 3] - zeroed[i + 2];
		} else {
			problem(L, "Security_context::init's char[] members do not match thd_priv_user/"
				"thd_priv_host");
			b->sctx_priv_user = b->sctx_priv_host = 0;
		}
	} else if (n) {
		shape_problem(d, A_SCTX_INIT);
	}

	/* thd_get_error_context_description prints main_security_ctx's host, ip and user:
	 * where main_security_ctx is, and a second reading of host/ip/user's offsets. */
	if ((n = code_of(d, A_CONTEXT_DESC, c, sizeof(c))) && sw_my_decode_null_tests(c, n, tests, 4, &nt) &&
	    nt >= 3) {
		uint32_t main = tests[0];
		if (b->sctx_host == 0 && tests[1] == main + b->sctx_ip && tests[2] == main + b->sctx_user &&
		    main + L->sctx_priv_role + L->sctx_priv_user_size <= b->thd_security_ctx)
			L->thd_main_security_ctx = main;
		else
			problem(L, "thd_get_error_context_description reads a Security_context unlike "
				"thd_client_host/thd_client_ip/thd_user_name");
	} else if (n) {
		shape_problem(d, A_CONTEXT_DESC);
	}
}

/* CHARSET_INFO.number and its names. */
static void derive_charset(struct derive *d)
{
	struct sw_my_layout *L = d->out;
	unsigned char c[128];
	size_t n;

	/* get_charset_name: "cmp %ebx,(%rdx)" checks the table entry's number (at offset 0). */
	if ((n = code_of(d, A_CHARSET_NAME, c, sizeof(c)))) {
		bool found = false;
		for (size_t i = 0; i + 1 < n && !found; i++)
			found = c[i] == 0x39 && c[i + 1] == 0x1a;
		if (found)
			L->bpf.charset_number = 0;
		else
			shape_problem(d, A_CHARSET_NAME);
	}
	/* coll_name is a LEX_CSTRING; cs_name is the LEX_CSTRING declared right before it. */
	if ((n = code_of(d, A_COLL_NAME, c, sizeof(c)))) {
		if (sw_my_decode_lex_cstring_member(c, n, &L->charset_collname) && L->charset_collname >= 16 + 16)
			L->charset_csname = L->charset_collname - 16;
		else
			shape_problem(d, A_COLL_NAME);
	}
}

static void derive_version(struct derive *d)
{
	struct sw_my_layout *L = d->out;
	unsigned char c[256];
	uint64_t v, s;
	size_t n;

	if (!(n = code_of(d, A_SET_VERSION, c, sizeof(c))))
		return;
	if (!sw_my_decode_version_refs(c, n, d->vals[A_SET_VERSION], &v, &s) ||
	    !read_cstr(d->f, v, L->version, sizeof(L->version)) ||
	    !sw_my_parse_version(L->version, &L->major, &L->minor)) {
		L->version[0] = 0;
		problem(L, "no MariaDB version found through set_server_version");
		return;
	}
	if (s && !read_cstr(d->f, s, L->version_suffix, sizeof(L->version_suffix)))
		L->version_suffix[0] = 0;
	if (L->major != 10 || L->minor != 11)
		problem(L, "MariaDB %d.%d: sqlward's MariaDB layouts are verified for 10.11 only", L->major, L->minor);
}

static bool all_derived(const struct sw_my_layout *L)
{
	const struct sw_my_bin_layout *b = &L->bpf;

	return !L->problem[0] && b->dispatch_command && b->execute_command && b->thd_thread_id &&
	       b->thd_security_ctx && b->sctx_user && b->sctx_ip && b->sctx_priv_user && b->sctx_priv_host &&
	       b->thd_sql_mode && b->thd_charset_client && b->thd_lex && b->lex_sql_command && b->thd_query &&
	       L->thd_main_security_ctx && L->sctx_proxy_user && L->charset_csname && b->thd_db && L->thd_vio &&
	       b->thd_main_lex && L->thd_killed;
}

int sw_my_layout_load(const char *path, struct sw_my_layout *out, char *err, size_t errlen)
{
	struct elf_file f = { .fd = -1 };
	struct derive d = { .f = &f, .out = out };
	uint64_t fv[SW_MY_FN__COUNT] = { 0 }, fs[SW_MY_FN__COUNT];
	GElf_Ehdr eh;
	struct stat st;
	size_t nph;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	f.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0 || fstat(f.fd, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s (is MariaDB installed? give the mariadbd path)", path,
			 strerror(errno));
		goto out;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	elf_version(EV_CURRENT);
	f.e = elf_begin(f.fd, ELF_C_READ, NULL);
	if (!f.e || !gelf_getehdr(f.e, &eh) || elf_getphdrnum(f.e, &nph) != 0) {
		snprintf(err, errlen, "%s is not an ELF executable (%s)", path, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_machine != EM_X86_64) {
		snprintf(err, errlen, "%s is not an x86-64 binary: sqlward decodes mariadbd's layout on x86-64 only",
			 path);
		goto out;
	}
	sw_elf_segments_read(f.e, &f.seg);
	out->load_low = f.seg.low;
	if (!f.seg.n) {
		snprintf(err, errlen, "%s has no loadable segments", path);
		goto out;
	}

	find_symbols(&f, fn_names, SW_MY_FN__COUNT, fv, fs);
	if (!fv[SW_MY_FN_DISPATCH]) {
		snprintf(err, errlen, "%s does not export %s: not a MariaDB server binary sqlward knows "
			 "(MariaDB 10.11's mariadbd, not stripped of its dynamic symbols)", path,
			 fn_names[SW_MY_FN_DISPATCH]);
		goto out;
	}
	for (int i = 0; i < SW_MY_FN__COUNT; i++) {
		off_t off = fv[i] ? vaddr_to_off(&f, fv[i]) : -1;
		if (off < 0) {
			problem(out, "%s is not exported", fn_names[i]);
			continue;
		}
		out->fn_vaddr[i] = fv[i];
		out->fn_file_off[i] = (uint64_t)off;
	}
	out->bpf.dispatch_command = out->fn_vaddr[SW_MY_FN_DISPATCH];
	out->bpf.execute_command = out->fn_vaddr[SW_MY_FN_EXECUTE];

	find_symbols(&f, acc_names, A__COUNT, d.vals, d.sizes);
	out->server_threads = d.vals[A_SERVER_THREADS];
	derive_version(&d);
	derive_thd(&d);
	derive_security(&d);
	derive_charset(&d);
	derive_done(&d);
	if (all_derived(out))
		out->bpf.valid = 1;
	else if (!out->problem[0])
		problem(out, "some offsets could not be derived");
	rc = 0;
out:
	if (f.e)
		elf_end(f.e);
	if (f.fd >= 0)
		close(f.fd);
	return rc;
}
