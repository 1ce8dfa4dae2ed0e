/* SPDX-License-Identifier: MIT */
/*
 * Function patterns: "u:TARGET:GLOB ARGS" and "k:GLOB ARGS" (also ur:, kr:,
 * k:MOD:GLOB) name one place per matching function. The spec is parsed
 * once by the session (spec_parse_pattern()); each match is a struct
 * probe_location whose symbol is handed over as data, never pasted into
 * spec text, so a symbol named "f arg1=\1" cannot add or rename
 * arguments. User functions match by their name or, for C++, their
 * demangled name with or without parameters (fnmatch(3)); the target's
 * ELF file is read once, not once per match.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym/demangle.h"
#include "sym/elf.h"
#include "expand.h"
#include "sym/ksym.h"
#include "target.h"

struct match {
	char *name;  /* the symbol, handed over in place of the pattern */
	char *event; /* event name base (C++: demangled), or NULL */
	uint64_t vaddr;
	bool ifunc;
};

struct matches {
	struct match *v;
	size_t n, cap;
	const char *glob, *mod;
	int err;
};

static int push(struct matches *m, const char *name, const char *event,
		uint64_t vaddr, bool ifunc)
{
	struct match *nv;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;

		nv = realloc(m->v, cap * sizeof(*nv));
		if (!nv)
			return m->err = -ENOMEM;
		m->v = nv;
		m->cap = cap;
	}
	nv = &m->v[m->n];
	nv->name = strdup(name);
	nv->event = event ? strdup(event) : NULL;
	nv->vaddr = vaddr;
	nv->ifunc = ifunc;
	if (!nv->name || (event && !nv->event)) {
		free(nv->name);
		free(nv->event);
		return m->err = -ENOMEM;
	}
	m->n++;
	return 0;
}

static void matches_free(struct matches *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].event);
	}
	free(m->v);
}

static int user_match(const struct elf_sym *sym, void *ctx)
{
	struct matches *m = ctx;
	char base[512];
	size_t blen;

	if (!fnmatch(m->glob, sym->name, 0))
		return push(m, sym->name,
			    sym->dname ? sym->dname : NULL, sym->addr,
			    sym->ifunc);
	if (!sym->dname)
		return 0;
	blen = demangle_base_len(sym->dname);
	snprintf(base, sizeof(base), "%.*s", (int)blen, sym->dname);
	if (!fnmatch(m->glob, sym->dname, 0) || !fnmatch(m->glob, base, 0))
		return push(m, sym->name, base, sym->addr, sym->ifunc);
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	/* aliases: the plain name before the reserved "_name" */
	if ((x->name[0] == '_') != (y->name[0] == '_'))
		return x->name[0] == '_' ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int kernel_match(const char *name, const char *mod, void *ctx)
{
	struct matches *m = ctx;

	if (m->mod && *m->mod && !ksym_same_mod(mod, m->mod))
		return 0;
	return push(m, name, NULL, 0, false);
}

struct probe_location *probe_locations_add(struct probe_locations *l)
{
	struct probe_location *nv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = cap;
	}
	nv = &l->v[l->n++];
	memset(nv, 0, sizeof(*nv));
	return nv;
}

void probe_locations_free(struct probe_locations *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].symbol);
		free(l->v[i].event);
		free(l->v[i].usdt_provider);
		free(l->v[i].usdt_name);
	}
	free(l->v);
	free(l->where);
	memset(l, 0, sizeof(*l));
}

/* The matches of sp's pattern: 0, 1 (the target cannot be read: the
 * one-probe path says why), or -errno with e. */
static int collect(const struct probe_spec *sp, const struct expand_opts *o,
		   struct matches *m, char *path, size_t pathlen,
		   struct elf_file **efp, struct lib_error *e)
{
	int err;

	if (!probe_kind_is_user(sp->kind)) {
		m->mod = sp->target;
		err = ksym_glob(sp->symbol, kernel_match, m);
		if (m->err)
			return lib_error_set(e, ENOMEM, -1, "out of memory");
		if (err < 0)
			return lib_error_set(
				e, -err, -1,
				"cannot list kernel functions for '%s': %s",
				sp->symbol, strerror(-err));
		return 0;
	}
	if (target_resolve(sp->target, o->pid, path, pathlen, NULL))
		return 1;
	*efp = elf_file_open(path);
	if (!*efp)
		return 1;
	elf_file_set_debug_dirs(*efp, o->debug_dir);
	err = elf_file_for_each_func(*efp, user_match, m);
	if (m->err || err < 0)
		return lib_error_set(e, m->err ? -m->err : -err, -1,
				  "cannot read the functions of %s: %s", path,
				  strerror(m->err ? -m->err : -err));
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), by_addr);
	return 0;
}

/* The location of one match: its file offset where the file is known. */
static int locate_match(const struct probe_spec *sp, const struct match *mt,
			struct elf_file *ef, const char *path,
			struct probe_location *loc)
{
	if (!(loc->symbol = strdup(mt->name)))
		return -ENOMEM;
	if (mt->event &&
	    asprintf(&loc->event, "%s%s", mt->event,
		     probe_kind_is_return(sp->kind) ? "__return" : "") < 0) {
		loc->event = NULL;
		return -ENOMEM;
	}
	if (!ef)
		return 0;
	if (!(loc->path = strdup(path)))
		return -ENOMEM;
	if (mt->ifunc)
		loc->unprobeable = -EINVAL; /* the resolver, not the function */
	else if (elf_file_vaddr_to_offset(ef, mt->vaddr, &loc->offset))
		loc->unprobeable = -ERANGE;
	loc->at_offset = !loc->unprobeable;
	loc->sym_vaddr = mt->vaddr;
	return 0;
}

int expand_functions(const struct probe_spec *sp, const struct expand_opts *o,
		     struct probe_locations *l, struct lib_error *e)
{
	int max = o->max_probes > 0 ? o->max_probes : EXPAND_DEFAULT_MAX;
	struct matches m = {.glob = sp->symbol};
	struct elf_file *ef = NULL;
	char path[PATH_MAX] = "";
	bool user = probe_kind_is_user(sp->kind);
	int err, n = 0;
	size_t i;

	if (!sp->pattern || sp->usdt)
		return 1;
	err = collect(sp, o, &m, path, sizeof(path), &ef, e);
	if (err)
		goto out;
	for (i = 0; i < m.n; i++)
		n += !(i && ef && m.v[i].vaddr == m.v[i - 1].vaddr);
	if (!n) {
		err = lib_error_set(e, ENOENT, -1,
				 "no function matches '%s' in %s", sp->symbol,
				 user ? path : "the kernel");
		goto out;
	}
	if (n > max) {
		err = lib_error_set(e, E2BIG, -1,
				 "'%s' matches %d functions, more than the "
				 "limit of %d probes: narrow the pattern or "
				 "raise the limit (--max-probes)",
				 sp->symbol, n, max);
		goto out;
	}
	l->kind = EXPAND_FUNCTIONS;
	if (user && !(l->where = strdup(path)))
		err = -ENOMEM;
	for (i = 0; !err && i < m.n; i++) {
		struct probe_location *loc;

		/* aliases of one address: one probe */
		if (i && ef && m.v[i].vaddr == m.v[i - 1].vaddr)
			continue;
		loc = probe_locations_add(l);
		err = loc ? locate_match(sp, &m.v[i], ef, path, loc) : -ENOMEM;
	}
	if (err)
		err = lib_error_set(e, ENOMEM, -1, "out of memory");
out:
	matches_free(&m);
	elf_file_close(ef);
	return err;
}

int probe_expand(const struct probe_spec *sp, const struct expand_opts *o,
		 struct probe_locations *l, struct lib_error *e)
{
	int err;

	memset(l, 0, sizeof(*l));
	e->err = 0;
	e->col = -1;
	lib_error_clear(e);
	err = expand_sites(sp, o, l, e);
	if (err == 1)
		err = expand_functions(sp, o, l, e);
	if (err)
		probe_locations_free(l);
	return err < 0 ? err : 0;
}
