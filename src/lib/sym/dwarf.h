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

/* A function's parameter where the function starts (dwarf_params.c) */
enum dwarf_param_class {
	DWP_INT,   /* an integer, enum, bool or char of size bytes */
	DWP_PTR,   /* a pointer (or C++ reference) */
	DWP_OTHER, /* not read: why says so */
};

struct dwarf_param {
	char name[64];	/* "" for an unnamed one */
	char ctype[64]; /* as C writes it: "int *", "char", "struct Foo" */
	enum dwarf_param_class cls;
	unsigned int size; /* DWP_INT: 1, 2, 4 or 8 */
	bool is_signed;
	/* DWP_PTR to an integer: its size (1, 2, 4, 8) and sign, else 0 */
	unsigned int pointee_size;
	bool pointee_signed;
	/* argN: 0-5 the integer registers rdi..r9, 6 and up the eightbytes
	 * of the caller's stack above the return address; -1 (why says
	 * so) where sonde cannot be sure where it is */
	int slot;
	char why[256];
};

/* The parameters of the function whose first instruction is at file
 * offset file_off of path, in order, by the x86-64 calling convention
 * checked against DWARF's locations. *out malloc'd (dwarf_params_free()).
 * 0, or -errno with one sentence in e (no debug info, not a function's
 * first instruction, not x86-64). */
int dwarf_entry_params(const char *path, const char *dirs, uint64_t file_off,
		       struct dwarf_param **out, int *n, struct lib_error *e);
void dwarf_params_free(struct dwarf_param *p, int n);

struct sonde_session;
struct probe;
struct elf_file;
/* session.c: resolve p's deferred arguments (DWARF names, $params) at the
 * probe's address. 0 or -errno with the session's message. */
int dwarf_resolve_probe(struct sonde_session *s, struct probe *p,
			struct elf_file *ef);

#endif
