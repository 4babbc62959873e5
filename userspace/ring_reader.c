/* Reading a BPF ring buffer with its data area mapped once (ring_reader.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "ring_reader.h"
#include "util.h"

struct sw_ring {
	struct sw_ring_view v;
	sw_ring_fn fn;
	void *ctx;
	void *consumer_map;        /* one page, read-write: the consumer position */
	void *producer_map;        /* the producer page, then the data once, read-only */
	size_t page_size, producer_map_len;
	int epoll_fd;
};

/* A record's header and body, rounded up to 8 bytes as the kernel lays records out. */
static unsigned long record_span(uint32_t len)
{
	len &= ~(uint32_t)(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
	return ((unsigned long)len + BPF_RINGBUF_HDR_SZ + 7) / 8 * 8;
}

/* The record's body at off (len bytes): in place, or copied into scratch when it wraps. */
static void *record_body(struct sw_ring_view *v, unsigned long off, uint32_t len)
{
	unsigned long size = v->mask + 1, first;

	if (off + len <= size)
		return (void *)(v->data + off);
	if (v->scratch_cap < len) {
		free(v->scratch);
		v->scratch = sw_xmalloc(len);
		v->scratch_cap = len;
	}
	first = size - off;
	memcpy(v->scratch, v->data + off, first);
	memcpy(v->scratch + first, v->data, len - first);
	return v->scratch;
}

int64_t sw_ring_view_consume(struct sw_ring_view *v, sw_ring_fn fn, void *ctx)
{
	unsigned long cons = __atomic_load_n(v->consumer_pos, __ATOMIC_ACQUIRE);
	/* What the kernel had sent when called, not what keeps coming meanwhile (ring_reader.h). */
	unsigned long prod = __atomic_load_n(v->producer_pos, __ATOMIC_ACQUIRE);
	int64_t n = 0;

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(v->data + (cons & v->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE), body_len;

		if (len & BPF_RINGBUF_BUSY_BIT)   /* reserved, not committed yet: later */
			break;
		body_len = len & ~(uint32_t)BPF_RINGBUF_DISCARD_BIT;
		if (body_len > v->mask + 1 - BPF_RINGBUF_HDR_SZ)   /* no record is longer than the ring */
			return -EBADMSG;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			void *body = record_body(v, (cons + BPF_RINGBUF_HDR_SZ) & v->mask, body_len);
			int rc = fn(ctx, body, body_len);
			cons += record_span(len);
			if (rc < 0) {
				__atomic_store_n(v->consumer_pos, cons, __ATOMIC_RELEASE);
				return rc;
			}
			n++;
		} else {
			cons += record_span(len);
		}
		__atomic_store_n(v->consumer_pos, cons, __ATOMIC_RELEASE);
	}
	return n;
}

struct sw_ring *sw_ring_new(int map_fd, sw_ring_fn fn, void *ctx)
{
	struct bpf_map_info info;
	uint32_t info_len = sizeof(info);
	struct sw_ring *r;
	int saved;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len) != 0)
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || info.max_entries == 0 ||
	    (info.max_entries & (info.max_entries - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	r = sw_xcalloc(1, sizeof(*r));
	r->fn = fn;
	r->ctx = ctx;
	r->page_size = (size_t)sysconf(_SC_PAGESIZE);
	r->consumer_map = r->producer_map = MAP_FAILED;
	r->epoll_fd = -1;
	r->consumer_map = mmap(NULL, r->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->consumer_map == MAP_FAILED)
		goto fail;
	/* The producer page and the data, once (libbpf maps the data twice: see ring_reader.h). */
	r->producer_map_len = r->page_size + info.max_entries;
	r->producer_map = mmap(NULL, r->producer_map_len, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page_size);
	if (r->producer_map == MAP_FAILED)
		goto fail;
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0 ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fd, &(struct epoll_event){ .events = EPOLLIN }) != 0)
		goto fail;
	r->v.consumer_pos = r->consumer_map;
	r->v.producer_pos = r->producer_map;
	r->v.data = (const unsigned char *)r->producer_map + r->page_size;
	r->v.mask = info.max_entries - 1;
	return r;
fail:
	saved = errno;
	sw_ring_free(r);
	errno = saved;
	return NULL;
}

void sw_ring_free(struct sw_ring *r)
{
	if (!r)
		return;
	if (r->consumer_map != MAP_FAILED)
		munmap(r->consumer_map, r->page_size);
	if (r->producer_map != MAP_FAILED)
		munmap(r->producer_map, r->producer_map_len);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	free(r->v.scratch);
	free(r);
}

int sw_ring_consume(struct sw_ring *r)
{
	int64_t n = sw_ring_view_consume(&r->v, r->fn, r->ctx);

	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int sw_ring_epoll_fd(const struct sw_ring *r)
{
	return r->epoll_fd;
}
