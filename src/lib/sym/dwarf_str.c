/* SPDX-License-Identifier: MIT */
/*
 * A check of the DWARF string sections before any name is read from them.
 * libdw returns a DW_FORM_strp, DW_FORM_line_strp or DW_FORM_strx name as a
 * pointer into .debug_str or .debug_line_str after checking only that the
 * offset lies inside the section (elfutils libdw/dwarf_formstring.c), not
 * that a NUL follows it: in a section that does not end with a NUL the last
 * string runs past the section's end. Producers always end these sections
 * with a NUL, so a file whose sections do not is refused as malformed.
 */
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "dwarf_int.h"

static bool is_str_section(const char *name)
{
	static const char *const names[] = {".debug_str", ".debug_line_str",
					    ".zdebug_str", ".zdebug_line_str"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

int dw_check_strings(Dwarf *dbg, const char **why)
{
	Elf *elf = dwarf_getelf(dbg);
	Elf_Scn *scn = NULL;
	const char *name;
	size_t shstrndx;
	Elf_Data *d;
	GElf_Shdr sh;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || !is_str_section(name))
			continue;
		/* libdw has decompressed a compressed section in place by
		 * now (dwarf_begin_elf.c check_section), so this is the
		 * data its strings point into */
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_size)
			continue;
		if (!d->d_buf || ((const char *)d->d_buf)[d->d_size - 1]) {
			*why = name;
			return -EBADMSG;
		}
	}
	return 0;
}
