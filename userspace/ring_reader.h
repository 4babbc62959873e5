/*
 * Reading a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) with its data area mapped once.
 *
 * libbpf's ring_buffer maps the data area twice, back to back, so that a record
 * that wraps around the end reads as one piece. The kernel inserts every page of
 * such a mapping at mmap time, so each 8 MiB ring counted 16 MiB in the daemon's
 * resident set (issue 16) although the kernel holds its pages once. This reader
 * maps the data once and copies the rare record that wraps into a buffer of its
 * own; otherwise it reads and advances as libbpf 1.1's ring_buffer does (same
 * callback contract, same consumer-position stores, so the kernel's wake-ups and
 * the BPF side's view of unread data are unchanged).
 *
 * One difference: a call reads what the kernel had committed when it began, and
 * returns. libbpf's reads on for as long as more keeps coming, so under a steady
 * load one call could keep the daemon's loop from everything else it does: taking
 * in a finished ledger sync and starting the next (a MariaDB observe run showed
 * 1.1 s without any fdatasync while the ledger's unsynced buffer grew by 50 MB),
 * its ticks, the control socket. The ring's descriptor stays readable while data
 * is left (the kernel's poll is level-triggered), so the loop comes straight back.
 */
#ifndef SW_RING_READER_H
#define SW_RING_READER_H

#include <stddef.h>
#include <stdint.h>

/* Called for every committed, non-discarded record, in order. data is valid only during the
 * call. A negative return stops the reading (that record counts as read) and is returned. */
typedef int (*sw_ring_fn)(void *ctx, void *data, size_t size);

struct sw_ring;

/* Maps the ring behind map_fd; NULL with errno set (EINVAL: not a ring buffer). */
struct sw_ring *sw_ring_new(int map_fd, sw_ring_fn fn, void *ctx);
void sw_ring_free(struct sw_ring *r);
/* Reads the records committed when called (not those that come meanwhile): their count, or a
 * callback's negative return. */
int sw_ring_consume(struct sw_ring *r);
/* A descriptor that polls readable while the ring holds unread data (an epoll fd, as libbpf's). */
int sw_ring_epoll_fd(const struct sw_ring *r);

/*
 * The reading itself, over a ring laid out as the kernel lays it out (consumer and
 * producer positions, data of mask + 1 bytes, a power of two): for tests. scratch is
 * grown to hold a wrapped record.
 */
struct sw_ring_view {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const unsigned char *data;
	unsigned long mask;
	unsigned char *scratch;
	size_t scratch_cap;
};
int64_t sw_ring_view_consume(struct sw_ring_view *v, sw_ring_fn fn, void *ctx);

#endif
