/* Exported globals of the PostgreSQL binary, read from a (stopped) backend's memory. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "pg_backend.h"
#include "util.h"

/* A symbol's address relative to the binary's first loaded page (what /proc/PID/maps' offset-0 mapping starts at). */
static bool symbol_offset(const char *bin, const char *symbol, uint64_t *off)
{
	int fd = open(bin, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	uint64_t low = UINT64_MAX, val = 0;
	bool found = false;
	size_t nph;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		close(fd);
		return false;
	}
	if (elf_getphdrnum(e, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < low)
				low = ph.p_vaddr & ~(uint64_t)4095;
		}
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && strcmp(name, symbol) == 0 && sym.st_value) {
				val = sym.st_value;
				found = true;
				break;
			}
		}
	}
	elf_end(e);
	close(fd);
	if (!found || low == UINT64_MAX)
		return false;
	*off = val - low;
	return true;
}

static bool load_base(pid_t pid, const char *bin, uint64_t *base)
{
	char path[64], line[4608];
	FILE *f;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, offset;
		char file[4096];
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*d %4095s", &start, &offset, file) == 3 && offset == 0 &&
		    strcmp(file, bin) == 0) {
			*base = start;
			ok = true;
			break;
		}
	}
	fclose(f);
	return ok;
}

bool sw_pg_read_global_int(pid_t pid, const char *bin, const char *symbol, int *out)
{
	uint64_t off, base;
	struct iovec l = { out, sizeof(*out) }, r;

	if (!symbol_offset(bin, symbol, &off) || !load_base(pid, bin, &base))
		return false;
	r.iov_base = (void *)(uintptr_t)(base + off);
	r.iov_len = sizeof(*out);
	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof(*out);
}
