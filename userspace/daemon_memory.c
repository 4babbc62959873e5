/* The daemon's heap: fixed malloc thresholds and a periodic trim (daemon_memory.h). */
#include <malloc.h>
#include "daemon_memory.h"

/* Blocks from this size get a mapping of their own (glibc's default before it adapts). */
#define MMAP_THRESHOLD (128 * 1024)
/* Free heap top beyond this goes back to the system at free(). */
#define TRIM_THRESHOLD (256 * 1024)

void sw_daemon_memory_init(void)
{
	/* Setting either stops glibc from raising both after a large free. */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

void sw_daemon_memory_tick(uint64_t now_ns)
{
	static uint64_t last_ns;

	if (last_ns && now_ns - last_ns < (uint64_t)SW_MEMORY_TRIM_S * 1000000000ull)
		return;
	last_ns = now_ns;
	malloc_trim(0);
}
