// SPDX-License-Identifier: MIT
/*
 * Questions to the kernel symbol cache (ksym.c loads it): can a kprobe go
 * on FUNC+OFF, what is at an address, which functions match a glob; and
 * the closest names when a function is not found.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#include "ksym.h"

#define MAX_SUGGEST 3

static bool listable(const struct kcache *c, const struct ksym *k)
{
	if ((k->flags & (KS_TEXT | KS_BLACK | KS_INIT)) != KS_TEXT)
		return false;
	return !c->have_aff || (k->flags & KS_AFF);
}

/* The size of text symbol byaddr[j]: up to the next higher text address of
 * the same module (the kernel's kallsyms_lookup_size_offset() rule);
 * 0 when unknown (the last symbol of an area). */
static uint64_t sym_size(const struct kcache *c, uint32_t j)
{
	const struct ksym *k = &c->syms[c->byaddr[j]], *n;

	for (j++; j < c->ntext; j++) {
		n = &c->syms[c->byaddr[j]];
		if (!ksym_same_mod(n->mod, k->mod))
			return 0;
		if (n->addr > k->addr)
			return n->addr - k->addr;
	}
	return 0;
}

/* Index in byaddr of symbol i (a text symbol), for its size. */
static uint32_t byaddr_pos(const struct kcache *c, uint32_t i)
{
	uint32_t lo = 0, hi = c->ntext, mid;

	while (lo < hi) { /* first entry with addr >= syms[i].addr */
		mid = lo + (hi - lo) / 2;
		if (c->syms[c->byaddr[mid]].addr < c->syms[i].addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ntext && c->byaddr[lo] != i; lo++)
		;
	return lo;
}

int ksym_addr_to_name(uint64_t addr, char *buf, size_t len)
{
	uint32_t lo = 0, hi, mid, j;
	const struct ksym *k;
	struct kcache *c;
	uint64_t size, off;
	int n, err;

	err = ksym_cache_get(&c);
	if (err)
		return err;
	err = -EACCES;
	if (!c->have_addrs)
		goto out;
	hi = c->ntext;
	while (lo < hi) { /* first entry with addr > the address */
		mid = lo + (hi - lo) / 2;
		if (c->syms[c->byaddr[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	err = -ENOENT;
	if (lo == 0)
		goto out;
	/* the first of the aliases at that address, as the kernel prints */
	for (j = lo - 1; j > 0 && c->syms[c->byaddr[j - 1]].addr ==
					  c->syms[c->byaddr[j]].addr;
	     j--)
		;
	k = &c->syms[c->byaddr[j]];
	off = addr - k->addr;
	size = sym_size(c, j);
	if (size && off >= size)
		goto out;
	if (!size && off && !k->mod)
		goto out; /* past the end of the kernel's text */
	if (size)
		n = snprintf(buf, len, "%s+0x%" PRIx64 "/0x%" PRIx64 "%s%s%s",
			     k->name, off, size, k->mod ? " [" : "",
			     k->mod ? k->mod : "", k->mod ? "]" : "");
	else
		n = snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", k->name, off,
			     k->mod ? k->mod : "");
	err = n < 0 || (size_t)n >= len ? -ENOSPC : 0;
out:
	ksym_cache_put();
	return err;
}

int ksym_name_to_addr(const char *mod, const char *func, uint64_t *addr)
{
	struct kcache *c;
	uint32_t i;
	int err;

	err = ksym_cache_get(&c);
	if (err)
		return err;
	for (i = ksym_find(c, func, mod, !mod, NONE); i != NONE;
	     i = ksym_find(c, func, mod, !mod, i))
		if (c->syms[i].flags & KS_TEXT)
			break;
	if (i == NONE)
		err = -ENOENT;
	else if (!c->have_addrs)
		err = -EACCES;
	else
		*addr = c->syms[i].addr;
	ksym_cache_put();
	return err;
}

int ksym_symbol_addr(const char *name, uint64_t *addr)
{
	struct kcache *c;
	uint32_t i;
	int err;

	err = ksym_cache_get(&c);
	if (err)
		return err;
	i = ksym_find(c, name, NULL, true, NONE);
	if (i == NONE)
		err = -ENOENT;
	else if (!c->have_addrs)
		err = -EACCES;
	else
		*addr = c->syms[i].addr;
	ksym_cache_put();
	return err;
}

/*
 * Edit distance from what was typed (a) to a candidate (b), weighted as
 * git's "did you mean" (help.c): inserting a character costs 1,
 * substituting 2, deleting 3, so completions of a partial or misspelt name
 * rank first. Returns bound + 1 once the distance must exceed bound.
 */
enum { INS = 1, SUB = 2, DEL = 3 };

static int distance(const char *a, const char *b, int bound)
{
	int la = strlen(a), lb = strlen(b), i, j, best, v;
	int row[256], prev, tmp;

	if (la > 255 || lb > 255 ||
	    (lb >= la ? (lb - la) * INS : (la - lb) * DEL) > bound)
		return bound + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j * INS;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i * DEL;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			v = prev + (a[i - 1] != b[j - 1]) * SUB;
			if (row[j] + DEL < v)
				v = row[j] + DEL;
			if (row[j - 1] + INS < v)
				v = row[j - 1] + INS;
			tmp = row[j];
			row[j] = v;
			prev = tmp;
			if (v < best)
				best = v;
		}
		if (best > bound)
			return bound + 1;
	}
	return row[lb];
}

struct suggestion {
	const char *name;
	int dist;
	bool bad; /* not probe-able: ranked after the probe-able ones */
};

static bool better(const struct suggestion *a, const struct suggestion *b)
{
	if (a->dist != b->dist)
		return a->dist < b->dist;
	if (a->bad != b->bad)
		return !a->bad;
	return strcmp(a->name, b->name) < 0;
}

/* Up to MAX_SUGGEST text symbols (of mod, when given) closest to name,
 * within a weighted distance of 2/3 of its length (at least 3). */
static int suggest(const struct kcache *c, const char *name, const char *mod,
		   struct suggestion *out)
{
	int n = 0, bound = strlen(name) * 2 / 3, i, d;
	struct suggestion s;
	const struct ksym *k;
	uint32_t j;

	if (bound < 3)
		bound = 3;
	for (j = 0; j < c->nsyms; j++) {
		k = &c->syms[j];
		if (!(k->flags & KS_TEXT) ||
		    (mod && !ksym_same_mod(k->mod, mod)))
			continue;
		d = distance(name, k->name,
			     n == MAX_SUGGEST ? out[n - 1].dist : bound);
		if (d > bound || (n == MAX_SUGGEST && d > out[n - 1].dist))
			continue;
		s = (struct suggestion){k->name, d,
					(k->flags & (KS_BLACK | KS_INIT))};
		for (i = 0; i < n && strcmp(out[i].name, s.name); i++)
			;
		if (i < n) { /* the same name again: keep its better rank */
			if (better(&s, &out[i]))
				out[i].bad = s.bad;
			continue;
		}
		if (n == MAX_SUGGEST && !better(&s, &out[n - 1]))
			continue;
		if (n < MAX_SUGGEST)
			n++;
		for (i = n - 1; i > 0 && better(&s, &out[i - 1]); i--)
			out[i] = out[i - 1];
		out[i] = s;
	}
	return n;
}

static bool mod_loaded(const struct kcache *c, const char *mod)
{
	uint32_t i;

	for (i = 0; i < c->nsyms; i++)
		if (c->syms[i].mod && !strcmp(c->syms[i].mod, mod))
			return true;
	return false;
}

static int not_found(const struct kcache *c, const char *mod, const char *func,
		     char *msg, size_t msglen)
{
	struct suggestion s[MAX_SUGGEST];
	size_t used;
	int n, i;

	if (mod && !mod_loaded(c, mod)) {
		snprintf(msg, msglen,
			 "module '%s' is not loaded (no [%s] symbols in "
			 "/proc/kallsyms)",
			 mod, mod);
		return -ENOENT;
	}
	snprintf(msg, msglen, "no kernel function '%s'%s%s%s", func,
		 mod ? " in module '" : "", mod ? mod : "", mod ? "'" : "");
	n = suggest(c, func, mod, s);
	for (i = 0; i < n; i++) {
		used = strlen(msg);
		if (used < msglen)
			snprintf(msg + used, msglen - used, "%s%s",
				 i ? ", " : "; closest: ", s[i].name);
	}
	return -ENOENT;
}

int ksym_check_probe(const char *mod, const char *func, uint64_t off, char *msg,
		     size_t msglen)
{
	uint32_t i, first = NONE, ntext = 0, nany = 0;
	const struct ksym *k;
	struct kcache *c;
	uint64_t size;
	int err;

	if (msglen)
		msg[0] = '\0';
	if (!func || !*func) {
		snprintf(msg, msglen, "no kernel function given");
		return -EINVAL;
	}
	err = ksym_cache_get(&c);
	if (err) {
		snprintf(msg, msglen, "cannot read /proc/kallsyms: %s",
			 strerror(-err));
		/* "cannot tell", never to be mistaken for "no such function" */
		return err == -ENOMEM ? err : -ENODATA;
	}
	for (i = ksym_find(c, func, mod, !mod, NONE); i != NONE;
	     i = ksym_find(c, func, mod, !mod, i)) {
		nany++;
		if ((c->syms[i].flags & KS_TEXT) && !ntext++)
			first = i;
	}
	if (!nany) {
		err = not_found(c, mod, func, msg, msglen);
		goto out;
	}
	err = -EINVAL;
	if (!ntext) {
		snprintf(msg, msglen,
			 "'%s' is a data symbol, not a function: kprobes go on "
			 "code",
			 func);
		goto out;
	}
	/* the kernel resolves a name to its first kallsyms entry */
	k = &c->syms[first];
	if (k->flags & KS_BLACK) {
		snprintf(msg, msglen,
			 "'%s' is on the kprobe blacklist: the kernel refuses "
			 "probes there",
			 func);
		err = -EPERM;
		goto out;
	}
	if (k->flags & KS_INIT) {
		snprintf(msg, msglen,
			 "'%s' cannot be probed: it is init code, freed after "
			 "boot",
			 func);
		goto out;
	}
	size = c->have_addrs ? sym_size(c, byaddr_pos(c, first)) : 0;
	if (size && off >= size) {
		snprintf(msg, msglen,
			 "offset 0x%" PRIx64
			 " is beyond the end of '%s' (0x%" PRIx64 " bytes)",
			 off, func, size);
		goto out;
	}
	err = 0;
	if (ntext > 1)
		snprintf(msg, msglen,
			 "'%s' names %u functions in /proc/kallsyms: the probe "
			 "goes on the first",
			 func, ntext);
	else if (c->have_aff && !(k->flags & KS_AFF))
		snprintf(msg, msglen,
			 "'%s' is not in available_filter_functions (notrace): "
			 "the kprobe uses a breakpoint, not ftrace",
			 func);
out:
	ksym_cache_put();
	return err;
}

int ksym_glob(const char *glob,
	      int (*cb)(const char *name, const char *mod, void *ctx),
	      void *ctx)
{
	const struct ksym *k, *prev = NULL;
	uint32_t i, nmatch = 0, *match;
	struct kcache *c;
	int err, n = 0;

	err = ksym_cache_get(&c);
	if (err)
		return err;
	/* match first, sort only the matches: a narrow glob stays cheap */
	match = malloc((c->nsyms + 1) * sizeof(*match));
	if (!match) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nsyms; i++)
		if (listable(c, &c->syms[i]) &&
		    (!glob || !fnmatch(glob, c->syms[i].name, 0)))
			match[nmatch++] = i;
	ksym_sort_ctx = c;
	if (nmatch)
		qsort(match, nmatch, sizeof(*match), ksym_cmp_name);
	for (i = 0; i < nmatch; i++) {
		k = &c->syms[match[i]];
		if (prev && !strcmp(prev->name, k->name) &&
		    ksym_same_mod(prev->mod, k->mod))
			continue;
		prev = k;
		err = cb(k->name, k->mod, ctx);
		if (err)
			break;
		n++;
	}
	free(match);
	if (!err)
		err = n;
out:
	ksym_cache_put();
	return err;
}

int sonde_kfunc__check(const char *mod, const char *func, char *msg, size_t len)
{
	return ksym_check_probe(mod, func, 0, msg, len);
}

int sonde_kfuncs__list(const char *glob,
		       int (*cb)(const char *name, const char *mod, void *ctx),
		       void *ctx)
{
	return ksym_glob(glob, cb, ctx);
}

int sonde_ksym__name(uint64_t addr, char *buf, size_t len)
{
	return ksym_addr_to_name(addr, buf, len);
}
