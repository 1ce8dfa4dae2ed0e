/* SPDX-License-Identifier: MIT */
/* Variables and members by name -> kernel fetchargs, as `perf probe` does
 * (libdw): location expressions at the probe's address, types from DWARF. */

#ifndef SONDE_DWARF_H
#define SONDE_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct dwarf_scope;

/*
 * The scope of address pc (a vaddr of the file at path; pc_offset its file
 * offset, for globals read as "@+OFF"). The DWARF is the file's own, else
 * its separate debug file's (debuginfo.c, dirs as there; NULL = default).
 * 0, or -errno with one sentence in e: -ENODATA no debug info, -ENOENT no
 * function covers pc.
 */
int dwarf_scope_open(const char *path, const char *dirs, uint64_t pc,
		     uint64_t pc_offset, struct dwarf_scope **out,
		     struct lib_error *e);
void dwarf_scope_close(struct dwarf_scope *d);

/*
 * "name", "p->member", "s.member", "arr[2]" (and chains of them) -> kernel
 * fetch (*fetch malloc'd) and type ("s32", "x64"; "" with want_string).
 * want_string: read a char * (or the char array) as a string. 0, or -errno
 * with one sentence in e (unknown name, optimized out here and where it
 * does live, a location or type the kernel cannot fetch).
 */
int dwarf_scope_fetch(struct dwarf_scope *d, const char *expr, bool want_string,
		      char **fetch, char *type, size_t typelen,
		      struct lib_error *e);

/* The names of the function's parameters ($params): the count with *names
 * malloc'd (each malloc'd), or -errno with e. */
int dwarf_scope_params(struct dwarf_scope *d, char ***names,
		       struct lib_error *e);

/* Each function with DWARF of the file at path, as its C signature
 * ("int add(int a, int b)") and entry address. cb's non-zero return stops
 * the walk. 0, -ENODATA (no debug info) or -errno. */
int dwarf_for_each_signature(const char *path, const char *dirs,
			     int (*cb)(uint64_t addr, const char *sig,
				       void *ctx),
			     void *ctx);

struct sonde_session;
struct probe;
struct elf_file;
/* session.c: resolve p's deferred arguments (DWARF names, $params) at the
 * probe's address. 0 or -errno with the session's message. */
int dwarf_resolve_probe(struct sonde_session *s, struct probe *p,
			struct elf_file *ef);

#endif
