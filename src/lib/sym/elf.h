/* SPDX-License-Identifier: MIT */
/* ELF symbols and address translation for uprobes (libelf). */

#ifndef SONDE_ELF_H
#define SONDE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

struct elf_sym {
	const char *name; /* owned by the elf_file */
	uint64_t addr;	  /* st_value: virtual address */
	uint64_t size;
	bool ifunc;	  /* STT_GNU_IFUNC: addr is the resolver, which runs
			   * once at load and returns the implementation */
	const char *dname; /* C++: the demangled name (owned by the
			    * elf_file), else NULL */
};

/* Open an ELF file; NULL with errno (ENOEXEC: not an ELF file). */
struct elf_file *elf_file_open(const char *path);
void elf_file_close(struct elf_file *ef);
/* The file was written to (size, mtime or ctime differ from when it was
 * opened): what was read from it may not match what is mapped now. */
bool elf_file_changed(const struct elf_file *ef);
/* ET_DYN (PIE or shared library) vs ET_EXEC. */
int elf_file_is_dyn(const struct elf_file *ef);

/* Find a function symbol by exact name in .symtab (the file's, else its
 * separate debug file's), then .dynsym. Version suffixes
 * ("malloc@@GLIBC_2.2.5") match the bare name. A C++ function also answers
 * to its demangled name, whole ("ns::f(int)") or without parameters
 * ("ns::f"). 0, -ENOENT, or -EEXIST (several overloads answer). */
int elf_file_find(struct elf_file *ef, const char *name, struct elf_sym *sym);

/* elf_data.c: a data symbol (STT_OBJECT) of the file at path by exact
 * name, its address and size into sym (name NULL), and whether the file is
 * ET_DYN. 0, -ENOENT, -ENOEXEC or -errno of open(). */
int elf_data_symbol(const char *path, const char *name, struct elf_sym *sym,
		    bool *dyn);

/* Debug dirs to search for the separate debug file (colon-separated;
 * NULL: $SONDE_DEBUG_DIR or /usr/lib/debug), before the first lookup.
 * 0, -EBUSY (too late) or -ENOMEM. */
int elf_file_set_debug_dirs(struct elf_file *ef, const char *dirs);
/* One sentence on the separate debug file: which one was refused and why
 * (CRC, build-id), or "" (none was needed, found, or refused). Valid after
 * the first lookup. */
const char *elf_file_debug_note(struct elf_file *ef);

/* Virtual address -> file offset through the PT_LOAD program headers
 * (the uprobe_events offset). 0, or -ERANGE when no segment maps it. */
int elf_file_vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr,
			     uint64_t *off);

/* File offset -> virtual address (symbolizing /proc/PID/maps entries,
 * checking raw uprobe offsets); *exec says whether the segment is
 * executable. 0, or -ERANGE when no PT_LOAD segment holds it. */
int elf_file_offset_to_vaddr(const struct elf_file *ef, uint64_t off,
			     uint64_t *vaddr, bool *exec);

/* The i-th PT_LOAD segment with file content (0-based, in header order):
 * what a uprobe's file offset can land in. 0, or -ERANGE past the last. */
struct elf_segment {
	uint64_t vaddr, size, off; /* size: p_filesz */
	bool exec;		   /* PF_X */
};
int elf_file_segment(const struct elf_file *ef, size_t i,
		     struct elf_segment *seg);

/* Up to max function names closest to name, best first: names starting
 * with it, then containing it (case aside), then within a Levenshtein
 * distance of about a third of its length. "_names" only when name starts
 * with '_'. Returns how many were stored; names are owned by ef. */
int elf_file_suggest(struct elf_file *ef, const char *name, const char **out,
		     int max);

/* Iterate function symbols by name (bare names, each name+address once).
 * cb returns non-zero to stop; returns that value, 0, or -errno. */
int elf_file_for_each_func(struct elf_file *ef,
			   int (*cb)(const struct elf_sym *sym, void *ctx),
			   void *ctx);

/* Symbol that contains vaddr, for symbolization (an unsized symbol reaches
 * up to the next one, within its segment). 0 or -ENOENT. */
int elf_file_addr_to_sym(struct elf_file *ef, uint64_t vaddr,
			 struct elf_sym *sym);

#endif
