/*
 * The daemon's heap: what glibc's malloc keeps of freed memory (issue 16, peak RSS).
 *
 * glibc raises its mmap threshold to the size of any mmapped block that is freed
 * (the ledger's write buffer grows to megabytes while a sync is slow) and its trim
 * threshold to twice that, so after one such burst blocks of up to that size come
 * from the heap and up to twice that of free heap stays resident. Measured on a
 * MariaDB observe run: 9.3 MB of heap for 1.4 MB in use. Fixed thresholds keep big
 * blocks in their own mappings (given back when freed) and the heap's free top
 * trimmed; a periodic malloc_trim gives back free pages inside the heap.
 */
#ifndef SW_DAEMON_MEMORY_H
#define SW_DAEMON_MEMORY_H

#include <stdint.h>

/* Once, before the daemon's threads start. */
void sw_daemon_memory_init(void);
/* From the loop's tick: gives free heap pages back at most every SW_MEMORY_TRIM_S. */
void sw_daemon_memory_tick(uint64_t now_ns);

#define SW_MEMORY_TRIM_S 5

#endif
