// SPDX-License-Identifier: MIT
/*
 * The functions of a uprobe TARGET, for `sonde list u:TARGET[:PATTERN]`:
 * TARGET resolved as a probe's is (target.c), symbols from elf.c, sorted
 * by address, each (address, name) once (.symtab and .dynsym repeat).
 * C++ functions are listed and matched by their demangled names (the
 * pattern may also name the mangled one, or leave the parameters out).
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#include "sym/demangle.h"
#include "sym/elf.h"
#include "resolve/target.h"

struct funcs {
	struct elf_sym *v;
	size_t n, cap;
	const char *glob;
	int err;
};

static int add(const struct elf_sym *sym, void *ctx)
{
	struct funcs *f = ctx;
	struct elf_sym *nv;
	char base[512];

	if (!sym->name || !*sym->name)
		return 0;
	if (f->glob && fnmatch(f->glob, sym->name, 0)) {
		if (!sym->dname)
			return 0;
		snprintf(base, sizeof(base), "%.*s",
			 (int)demangle_base_len(sym->dname), sym->dname);
		if (fnmatch(f->glob, sym->dname, 0) &&
		    fnmatch(f->glob, base, 0))
			return 0;
	}
	if (f->n == f->cap) {
		nv = realloc(f->v, (f->cap ? f->cap * 2 : 256) * sizeof(*nv));
		if (!nv) {
			f->err = -ENOMEM;
			return f->err;
		}
		f->v = nv;
		f->cap = f->cap ? f->cap * 2 : 256;
	}
	f->v[f->n] = *sym;
	if (sym->dname) /* output shows the demangled name */
		f->v[f->n].name = sym->dname;
	f->n++;
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

int sonde_ufuncs__list(const char *target, pid_t pid, const char *glob,
		       int (*cb)(const char *name, uint64_t addr, uint64_t size,
				 void *ctx),
		       void *ctx)
{
	struct funcs f = {.glob = glob};
	char path[PATH_MAX];
	struct elf_file *ef;
	size_t i;
	int err, n = 0;

	if (!target || !*target || !cb)
		return -EINVAL;
	err = target_resolve(target, pid, path, sizeof(path), NULL);
	if (err)
		return err;
	ef = elf_file_open(path);
	if (!ef)
		return errno ? -errno : -ENOEXEC;
	/* sonde_ufuncs__list() has no options: the CLI's --debug-dir reaches
	 * it through $SONDE_DEBUG_DIR (debuginfo.c) */
	err = elf_file_for_each_func(ef, add, &f);
	if (f.err)
		err = f.err;
	if (err < 0)
		goto out;
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), by_addr);
	err = 0;
	for (i = 0; i < f.n && !err; i++) {
		if (i && f.v[i].addr == f.v[i - 1].addr &&
		    !strcmp(f.v[i].name, f.v[i - 1].name))
			continue;
		err = cb(f.v[i].name, f.v[i].addr, f.v[i].size, ctx);
		if (!err)
			n++;
	}
	if (!err)
		err = n;
out:
	free(f.v);
	elf_file_close(ef);
	return err;
}
