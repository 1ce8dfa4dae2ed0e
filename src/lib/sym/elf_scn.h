/* SPDX-License-Identifier: MIT */
/* Sections of an ELF file opened with libelf. */
#ifndef SONDE_ELF_SCN_H
#define SONDE_ELF_SCN_H

#include <gelf.h>

/* The section called want (its header in *sh), or NULL. */
Elf_Scn *elf_section_named(Elf *elf, const char *want, GElf_Shdr *sh);

#endif
