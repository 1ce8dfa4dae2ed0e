/* SPDX-License-Identifier: MIT */
/*
 * Wildcard probes: "u:TARGET:GLOB ARGS" and "k:GLOB ARGS" (also ur:, kr:,
 * k:MOD:GLOB) become one probe per matching function, each added as if
 * its name had been written in place of the pattern. The text as written
 * (pattern included) goes through the same parser and checks as a
 * hand-written one; the matched name is handed over as data (struct
 * probe_resolved), never pasted into the text, so a symbol named
 * "f arg1=\1" cannot add or rename arguments. User functions match by their
 * name or, for C++, their demangled name with or without parameters
 * (fnmatch(3)); the target's ELF file is read once, not once per match.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
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

/* What the pattern is and where it looks. */
struct loc {
	bool user, ret;
	char target[PATH_MAX];
	char glob[512];
};

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

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

/* "u:T:G", "ur:T:G", "k:G", "k:M:G", "kr:G", "krN:G", then +OFF or space */
static bool locate(const char *text, struct loc *l)
{
	const char *p = text, *colon, *tok_end, *g;
	size_t n;

	if (!strncmp(p, "u:", 2) || !strncmp(p, "ur:", 3)) {
		l->user = true;
		l->ret = p[1] == 'r';
	} else if (p[0] == 'k' && (p[1] == ':' || p[1] == 'r')) {
		l->ret = p[1] == 'r';
		p += 1 + l->ret;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != ':')
			return false;
	} else {
		return false;
	}
	p = strchr(text, ':') + 1;
	tok_end = p + strcspn(p, " \t");
	if (l->user) {
		colon = memchr(p, ':', (size_t)(tok_end - p));
		if (!colon || (size_t)(colon - p) >= sizeof(l->target))
			return false;
		snprintf(l->target, sizeof(l->target), "%.*s",
			 (int)(colon - p), p);
		g = colon + 1;
	} else {
		/* k:MOD:FUNC: the function is after the last colon */
		g = p;
		while ((colon = memchr(g, ':', (size_t)(tok_end - g))))
			g = colon + 1;
		snprintf(l->target, sizeof(l->target), "%.*s",
			 g > p ? (int)(g - p - 1) : 0, p);
	}
	/* a trailing +OFF (digits) is kept after each name */
	n = (size_t)(tok_end - g);
	for (colon = tok_end; colon > g; colon--)
		if (colon[-1] == '+' && isdigit((unsigned char)*colon)) {
			n = (size_t)(colon - 1 - g);
			break;
		}
	if (!n || n >= sizeof(l->glob))
		return false;
	snprintf(l->glob, sizeof(l->glob), "%.*s", (int)n, g);
	/* a C++ name without parameters may name several overloads */
	return has_glob(l->glob) ||
	       (l->user && strstr(l->glob, "::") && !strchr(l->glob, '('));
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

static int collect(struct sonde_session *s, struct loc *l, struct matches *m,
		   char *path, size_t pathlen, struct elf_file **efp)
{
	int err;

	if (!l->user) {
		m->mod = l->target;
		err = ksym_glob(l->glob, kernel_match, m);
		if (m->err)
			return set_err(s, ENOMEM, -1, "out of memory");
		if (err < 0)
			return set_err(s, -err, -1,
				       "cannot list kernel functions for '%s': %s",
				       l->glob, strerror(-err));
		return 0;
	}
	if (target_resolve(l->target, s->opts.pid, path, pathlen, NULL))
		return 1; /* the plain path reports it */
	*efp = elf_file_open(path);
	if (!*efp)
		return 1;
	elf_file_set_debug_dirs(*efp, s->opts.debug_dir);
	err = elf_file_for_each_func(*efp, user_match, m);
	if (m->err || err < 0)
		return set_err(s, m->err ? -m->err : -err, -1,
			       "cannot read the functions of %s: %s", path,
			       strerror(m->err ? -m->err : -err));
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), by_addr);
	return 0;
}

/* Add the probe of one match; 0 or -errno (skipped). */
static int add_match(struct sonde_session *s, const char *text,
		     const struct loc *l, const struct match *mt,
		     struct elf_file *ef, const char *path,
		     const struct sonde_probe_opts *opts, int *first)
{
	struct probe_resolved r = {.symbol = mt->name};
	char *ev = NULL;
	int idx;

	if (ef) {
		if (mt->ifunc)
			return -EINVAL; /* the resolver, not the function */
		if (elf_file_vaddr_to_offset(ef, mt->vaddr, &r.offset))
			return -ERANGE;
		r.path = path;
		r.sym_vaddr = mt->vaddr;
	}
	if (mt->event && asprintf(&ev, "%s%s", mt->event,
				  l->ret ? "__return" : "") < 0)
		return -ENOMEM;
	r.event = ev;
	idx = session_add_one(s, text, opts, &r);
	free(ev);
	if (idx < 0)
		return idx;
	if (*first < 0)
		*first = idx;
	return 0;
}

int expand_probe(struct sonde_session *s, const char *text,
		 const struct sonde_probe_opts *opts, bool *done)
{
	struct matches m = { .v = NULL };
	struct elf_file *ef = NULL;
	char path[PATH_MAX] = "", last[256] = "";
	int max = s->opts.max_probes > 0 ? s->opts.max_probes
					  : EXPAND_DEFAULT_MAX;
	int err, first = -1, skipped = 0, n = 0;
	struct loc l = { .user = false };
	size_t i;

	*done = false;
	if (!locate(text, &l))
		return 0;
	m.glob = l.glob;
	err = collect(s, &l, &m, path, sizeof(path), &ef);
	if (err > 0) { /* not resolvable: the one-probe path says why */
		matches_free(&m);
		return 0;
	}
	*done = true;
	if (err)
		goto out;
	for (i = 0; i < m.n; i++)
		n += !(i && ef && m.v[i].vaddr == m.v[i - 1].vaddr);
	if (!n) {
		err = set_err(s, ENOENT, -1, "no function matches '%s' in %s",
			      l.glob, l.user ? path : "the kernel");
		goto out;
	}
	if (n > max) {
		err = set_err(s, E2BIG, -1,
			      "'%s' matches %d functions, more than the limit of %d probes: narrow the pattern or raise the limit (--max-probes)",
			      l.glob, n, max);
		goto out;
	}
	for (i = 0; i < m.n; i++) {
		/* aliases of one address: one probe */
		if (i && ef && m.v[i].vaddr == m.v[i - 1].vaddr)
			continue;
		err = add_match(s, text, &l, &m.v[i], ef, path, opts, &first);
		if (err == -ENOMEM)
			goto out;
		if (err) {
			skipped++;
			snprintf(last, sizeof(last), "%.100s: %.150s", m.v[i].name,
				 s->err.msg[0] ? s->err.msg : strerror(-err));
			slog(s, SONDE_LOG_DEBUG, "skipped %s", last);
		}
	}
	if (first < 0) {
		err = set_err(s, EINVAL, -1,
			      "none of the %d functions matching '%s' can be probed (%s)",
			      n, l.glob, last);
		goto out;
	}
	lib_error_clear(&s->err);
	slog(s, SONDE_LOG_INFO,
	     "'%s': %d probe%s on %d matching function%s, %d skipped (cannot be probed)",
	     l.glob, n - skipped, n - skipped == 1 ? "" : "s", n,
	     n == 1 ? "" : "s", skipped);
	err = first;
out:
	matches_free(&m);
	elf_file_close(ef);
	return err;
}
