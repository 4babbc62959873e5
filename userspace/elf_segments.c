/* Loadable segments of an ELF file (elf_segments.h). */
#include "elf_segments.h"

#include <string.h>

size_t sw_elf_segments_read(Elf *e, struct sw_elf_segments *s)
{
	size_t nph = 0;

	memset(s, 0, sizeof(*s));
	s->low = UINT64_MAX;
	if (elf_getphdrnum(e, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph && s->n < SW_ELF_SEGMENTS_MAX; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
			s->load[s->n++] = ph;
			if ((ph.p_vaddr & ~(uint64_t)4095) < s->low)
				s->low = ph.p_vaddr & ~(uint64_t)4095;
		}
	}
	return s->n;
}

off_t sw_elf_file_offset(const struct sw_elf_segments *s, uint64_t vaddr)
{
	for (size_t i = 0; i < s->n; i++)
		if (vaddr >= s->load[i].p_vaddr && vaddr < s->load[i].p_vaddr + s->load[i].p_filesz)
			return (off_t)(vaddr - s->load[i].p_vaddr + s->load[i].p_offset);
	return -1;
}
