/* A MariaDB connection's names, from its events or from its THD (see my_names.h). */
#include <string.h>
#include <sys/uio.h>
#include "my_names.h"

static void copy_name(char *dst, const char *src)
{
	memcpy(dst, src, SW_MY_NAME_MAX);
	dst[SW_MY_NAME_MAX - 1] = 0;
}

void sw_my_names_of_event(const struct sw_my_event *ev, struct sw_my_names *out)
{
	copy_name(out->user, ev->user);
	copy_name(out->host, ev->host);
	copy_name(out->priv_user, ev->priv_user);
	copy_name(out->priv_host, ev->priv_host);
}

void sw_my_names_to_event(const struct sw_my_names *n, struct sw_my_event *ev)
{
	memcpy(ev->user, n->user, sizeof(ev->user));
	memcpy(ev->host, n->host, sizeof(ev->host));
	memcpy(ev->priv_user, n->priv_user, sizeof(ev->priv_user));
	memcpy(ev->priv_host, n->priv_host, sizeof(ev->priv_host));
}

static bool read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	return addr && process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* A C string of at most SW_MY_NAME_MAX - 1 bytes at addr (empty when unreadable). */
static void read_name(pid_t pid, uint64_t addr, char *out)
{
	size_t want = SW_MY_NAME_MAX - 1;

	out[0] = 0;
	if (!addr)
		return;
	/* A short name may end near the end of its page, the next one unmapped: read up to it then. */
	if (!read_mem(pid, addr, out, want)) {
		size_t room = 4096 - (size_t)(addr & 4095);
		if (room >= want || !read_mem(pid, addr, out, room)) {
			out[0] = 0;
			return;
		}
		want = room;
	}
	out[want] = 0;
}

bool sw_my_names_read(pid_t pid, const struct sw_my_bin_layout *L, uint64_t thd, struct sw_my_names *out)
{
	uint64_t sctx = 0, p = 0;

	memset(out, 0, sizeof(*out));
	/* The login's own context (main_security_ctx), as the probe reads it. */
	if (L->thd_main_sctx)
		sctx = thd + L->thd_main_sctx;
	else if (!read_mem(pid, thd + L->thd_security_ctx, &sctx, sizeof(sctx)))
		sctx = 0;
	if (!thd || !sctx)
		return false;
	if (read_mem(pid, sctx + L->sctx_user, &p, sizeof(p)))
		read_name(pid, p, out->user);
	if (read_mem(pid, sctx + L->sctx_host, &p, sizeof(p)))
		read_name(pid, p, out->host);
	if (!out->host[0] && read_mem(pid, sctx + L->sctx_ip, &p, sizeof(p)))
		read_name(pid, p, out->host);
	read_name(pid, sctx + L->sctx_priv_user, out->priv_user);
	read_name(pid, sctx + L->sctx_priv_host, out->priv_host);
	return true;
}
