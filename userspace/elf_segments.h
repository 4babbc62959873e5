/*
 * The loadable segments of a server binary, to read its code and data by ELF
 * virtual address (pg_layout.c and my_layout.c decode struct offsets and
 * globals from the accessors the binary exports).
 */
#ifndef SQLWARD_ELF_SEGMENTS_H
#define SQLWARD_ELF_SEGMENTS_H

#include <stdint.h>
#include <sys/types.h>
#include <gelf.h>

#define SW_ELF_SEGMENTS_MAX 16

struct sw_elf_segments {
	GElf_Phdr load[SW_ELF_SEGMENTS_MAX];
	size_t n;
	uint64_t low;       /* the lowest PT_LOAD vaddr (page-aligned down); UINT64_MAX when none */
};

/* The PT_LOAD headers of e (at most SW_ELF_SEGMENTS_MAX); returns how many. */
size_t sw_elf_segments_read(Elf *e, struct sw_elf_segments *s);
/* The file offset of vaddr, or -1 when no segment holds it in the file. */
off_t sw_elf_file_offset(const struct sw_elf_segments *s, uint64_t vaddr);

#endif
