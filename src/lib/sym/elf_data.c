// SPDX-License-Identifier: MIT
/*
 * Data symbols of an ELF file by name (bpftrace's uaddr("GLOBAL")): the
 * STT_OBJECT entries of the file's own .symtab, then .dynsym (elf.c keeps
 * functions only). Read once per call: uaddr() is resolved when a program
 * is generated. ELF layout: elf(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"

static int find_in(Elf *e, Elf64_Word type, const char *name,
		   struct elf_sym *out)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, (int)i, &s) ||
			    GELF_ST_TYPE(s.st_info) != STT_OBJECT ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			n = elf_strptr(e, sh.sh_link, s.st_name);
			if (n && !strcmp(n, name)) {
				out->addr = s.st_value;
				out->size = s.st_size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int elf_data_symbol(const char *path, const char *name, struct elf_sym *sym,
		    bool *dyn)
{
	GElf_Ehdr eh;
	Elf *e;
	int fd, err;

	memset(sym, 0, sizeof(*sym));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || !gelf_getehdr(e, &eh)) {
		err = -ENOEXEC;
		goto out;
	}
	*dyn = eh.e_type == ET_DYN;
	err = find_in(e, SHT_SYMTAB, name, sym);
	if (err)
		err = find_in(e, SHT_DYNSYM, name, sym);
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}
