/*
 * Print what my_layout.c derives from a mariadbd binary, and with --pid read
 * every connection of that running server through those offsets, so a test
 * can compare them with what the server itself reports (CONNECTION_ID(),
 * USER(), CURRENT_USER(), @@sql_mode, @@character_set_client).
 *
 *   my_layout_dump [BINARY]              key=value lines; exit 1 if not valid
 *   my_layout_dump --pid PID [BINARY]    one line per THD in server_threads:
 *     id=N user=U host=H ip=I priv_user=P priv_host=Q login_user=U0 login_priv_user=P0
 *     sql_mode=0xM charset=N csname=C sql_command=N
 *
 * The THD list walk is the test's own knowledge, not derived: server_threads
 * is an I_List<THD> (first ilink * at +0, its sentinel at +8) and a THD's
 * ilink is at its start (next at +16). A wrong guess prints nothing useful and
 * the test fails; it cannot make a wrong offset look right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "my_layout.h"

static pid_t pid;

static int rd(uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

static uint64_t u64(uint64_t addr)
{
	uint64_t v = 0;
	rd(addr, &v, sizeof(v));
	return v;
}

static void str_at(uint64_t addr, char *out, size_t n)
{
	out[0] = 0;
	if (!addr || rd(addr, out, n - 1) != 0)
		snprintf(out, n, "%s", addr ? "?" : "(null)");
	out[n - 1] = 0;
}

static uint64_t load_base(const char *bin)
{
	char path[64], line[4352], file[4096];
	uint64_t lo, off, base = 0;
	FILE *m;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(m = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), m))
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %4095s", &lo, &off, file) == 3 && off == 0 &&
		    strcmp(file, bin) == 0) {
			base = lo;
			break;
		}
	fclose(m);
	return base;
}

int main(int argc, char **argv)
{
	const char *bin = "/usr/sbin/mariadbd";
	struct sw_my_layout L;
	char err[512];
	int a = 1;

	if (a + 1 < argc && strcmp(argv[a], "--pid") == 0) {
		pid = (pid_t)atoi(argv[a + 1]);
		a += 2;
	}
	if (a < argc)
		bin = argv[a];
	if (sw_my_layout_load(bin, &L, err, sizeof(err)) != 0) {
		fprintf(stderr, "my_layout_dump: %s\n", err);
		return 2;
	}
	if (!pid) {
		const struct sw_my_bin_layout *b = &L.bpf;
		printf("version=%s suffix=%s major=%d minor=%d valid=%u problem=%s\n", L.version, L.version_suffix,
		       L.major, L.minor, b->valid, L.problem);
		for (int i = 0; i < SW_MY_FN__COUNT; i++)
			printf("fn %s vaddr=0x%lx file_off=0x%lx\n", sw_my_layout_fn_name(i), L.fn_vaddr[i],
			       L.fn_file_off[i]);
		printf("thd_thread_id=0x%x thd_lex=0x%x lex_sql_command=0x%x thd_security_ctx=0x%x "
		       "thd_main_security_ctx=0x%x thd_sql_mode=0x%x thd_charset_client=0x%x thd_query=0x%x\n",
		       b->thd_thread_id, b->thd_lex, b->lex_sql_command, b->thd_security_ctx, L.thd_main_security_ctx,
		       b->thd_sql_mode, b->thd_charset_client, b->thd_query);
		printf("sctx_host=0x%x sctx_user=0x%x sctx_ip=0x%x sctx_priv_user=0x%x[%u] sctx_proxy_user=0x%x "
		       "sctx_priv_host=0x%x[%u] sctx_priv_role=0x%x\n", b->sctx_host, b->sctx_user, b->sctx_ip,
		       b->sctx_priv_user, L.sctx_priv_user_size, L.sctx_proxy_user, b->sctx_priv_host,
		       L.sctx_priv_host_size, L.sctx_priv_role);
		printf("charset_number=0x%x charset_csname=0x%x charset_collname=0x%x server_threads=0x%lx\n",
		       b->charset_number, L.charset_csname, L.charset_collname, L.server_threads);
		return b->valid ? 0 : 1;
	}
	if (!L.bpf.valid || !L.server_threads) {
		fprintf(stderr, "my_layout_dump: %s: layout not valid: %s\n", bin, L.problem);
		return 1;
	}
	uint64_t base = load_base(bin), list = base + L.server_threads - L.load_low;
	if (!base) {
		fprintf(stderr, "my_layout_dump: process %d does not run %s\n", (int)pid, bin);
		return 1;
	}
	const struct sw_my_bin_layout *b = &L.bpf;
	uint64_t thd = u64(list);
	for (int n = 0; thd && thd != list + 8 && n < 10000; n++, thd = u64(thd + 16)) {
		uint64_t sc = u64(thd + b->thd_security_ctx), main = thd + L.thd_main_security_ctx;
		uint64_t cs = u64(thd + b->thd_charset_client), lex = u64(thd + b->thd_lex);
		char user[128], host[128], ip[64], pu[128], ph[128], lu[128], lpu[128], csname[64];
		uint32_t csnum = 0, cmd = 0;

		str_at(u64(sc + b->sctx_user), user, sizeof(user));
		str_at(u64(sc + b->sctx_host), host, sizeof(host));
		str_at(u64(sc + b->sctx_ip), ip, sizeof(ip));
		str_at(sc + b->sctx_priv_user, pu, sizeof(pu));
		str_at(sc + b->sctx_priv_host, ph, sizeof(ph));
		str_at(u64(main + b->sctx_user), lu, sizeof(lu));
		str_at(main + b->sctx_priv_user, lpu, sizeof(lpu));
		str_at(cs ? u64(cs + L.charset_csname) : 0, csname, sizeof(csname));
		if (cs)
			rd(cs + b->charset_number, &csnum, sizeof(csnum));
		if (lex)
			rd(lex + b->lex_sql_command, &cmd, sizeof(cmd));
		printf("id=%lu user=%s host=%s ip=%s priv_user=%s priv_host=%s login_user=%s login_priv_user=%s "
		       "sql_mode=0x%lx charset=%u csname=%s sql_command=%u\n", u64(thd + b->thd_thread_id), user, host,
		       ip, pu, ph, lu, lpu, u64(thd + b->thd_sql_mode), csnum, csname, cmd);
	}
	return 0;
}
