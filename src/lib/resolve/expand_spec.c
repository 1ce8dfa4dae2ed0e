/* SPDX-License-Identifier: MIT */
/*
 * Specs that name several places without a pattern in a function name:
 *  - a USDT provider or probe name pattern (usdt:T:*, usdt:T:PROV:*,
 *    usdt:T:*:NAME; fnmatch(3) on both, as bpftrace and BCC take them):
 *    one probe per matching provider:name of the note, each added as that
 *    USDT probe alone would be (its locations, its arguments, its name);
 *  - a file pattern (usdt:/path/prog*:...): each file it matches;
 *  - an empty target or "*" with -p (u::SYM, ur::SYM, usdt::[PROV:]NAME,
 *    usdt:*:PROV:NAME): every
 *    object the process maps executable (/proc/PID/maps, through
 *    /proc/PID/root), as bpftrace's uprobe::SYM with -p; a probe in each
 *    object that has the function or USDT probe.
 * The session parses the spec once; each match is a struct probe_location
 * (the object's path, the USDT provider and name), never pasted into the
 * spec text, so the one parser reads what the user wrote.
 */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sym/elf.h"
#include "expand.h"
#include "spec/spec.h"
#include "target.h"
#include "sym/usdt.h"

struct site {
	char *path;
	char *provider, *name; /* usdt */
};

struct sites {
	const struct probe_spec *sp;
	struct site *v;
	size_t n, cap;
	int objects; /* searched */
	int err;
	char why[256]; /* an object that could not be read, for the message */
};

static bool has_glob(const char *s)
{
	return s && strpbrk(s, "*?[") != NULL;
}

static int push(struct sites *w, const char *path, const char *prov,
		const char *name)
{
	struct site *nv;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;

		nv = realloc(w->v, cap * sizeof(*nv));
		if (!nv)
			return w->err = -ENOMEM;
		w->v = nv;
		w->cap = cap;
	}
	nv = &w->v[w->n];
	*nv = (struct site){.path = strdup(path)};
	if (prov)
		nv->provider = strdup(prov);
	if (name)
		nv->name = strdup(name);
	w->n++;
	if (!nv->path || (prov && !nv->provider) || (name && !nv->name))
		return w->err = -ENOMEM;
	return 0;
}

static void sites_free(struct sites *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].provider);
		free(w->v[i].name);
	}
	free(w->v);
}

static bool seen(const struct sites *w, size_t from, const char *prov,
		 const char *name)
{
	size_t i;

	for (i = from; i < w->n; i++)
		if (!strcmp(w->v[i].provider, prov) &&
		    !strcmp(w->v[i].name, name))
			return true;
	return false;
}

/* The USDT probes of path that the spec's provider and name match, each
 * provider:name once (its locations are added with it). */
static int usdt_sites(struct sites *w, const char *path)
{
	const struct probe_spec *sp = w->sp;
	const struct usdt_probe *u;
	struct usdt_file *f;
	size_t i, first = w->n;
	int err;

	err = usdt_open(path, &f);
	if (err) {
		snprintf(w->why, sizeof(w->why), "%s: %s", path,
			 strerror(-err));
		return err == -ENOMEM ? err : 0;
	}
	for (i = 0; i < usdt_count(f) && !w->err; i++) {
		u = usdt_get(f, i);
		if (fnmatch(sp->symbol, u->name, 0) ||
		    (sp->provider && fnmatch(sp->provider, u->provider, 0)) ||
		    seen(w, first, u->provider, u->name))
			continue;
		push(w, path, u->provider, u->name);
	}
	usdt_close(f);
	return w->err;
}

/* Does path define the spec's function? */
static int func_site(struct sites *w, const char *path)
{
	struct elf_file *ef = elf_file_open(path);
	struct elf_sym sym;
	int err;

	if (!ef)
		return errno == ENOMEM ? -ENOMEM : 0;
	err = elf_file_find(ef, w->sp->symbol, &sym);
	elf_file_close(ef);
	/* -EEXIST (overloads): the probe itself says which */
	return err == 0 || err == -EEXIST ? push(w, path, NULL, NULL) : 0;
}

static int object_cb(const char *path, void *ctx)
{
	struct sites *w = ctx;

	w->objects++;
	return w->sp->usdt ? usdt_sites(w, path) : func_site(w, path);
}

/* What the spec names, for messages: "PROV:NAME", "NAME", "SYM". */
static void what(const struct probe_spec *sp, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", sp->provider ? sp->provider : "",
		 sp->provider ? ":" : "", sp->symbol);
}

/* Is pid still running our own program: a child forked to run -c's
 * command that has not exec'd it yet? */
static bool own_fork(pid_t pid)
{
	const char *proc = getenv("SONDE_PROC_ROOT");
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "%s/%d/exe", proc ? proc : "/proc",
		 (int)pid);
	return !stat(path, &a) && !stat("/proc/self/exe", &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Every object of the process: an empty target, or bpftrace's "*" with
 * -p (usdt:*:PROV:NAME, uprobe:*:SYM). */
static bool every_object(const struct probe_spec *sp,
			 const struct expand_opts *o)
{
	return !*sp->target || (!strcmp(sp->target, "*") && o->pid > 0);
}

/* A file pattern (usdt:/path/prog*:...): the USDT probes of each file it
 * matches (a file without notes has none). */
static int glob_sites(const struct probe_spec *sp, struct sites *w,
		      struct lib_error *e)
{
	char name[512];
	glob_t g;
	size_t i;
	int err = 0;

	what(sp, name, sizeof(name));
	err = glob(sp->target, GLOB_NOSORT, NULL, &g);
	if (err == GLOB_NOSPACE)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	if (err)
		return lib_error_set(e, ENOENT, sp->target_col,
				     "no file matches '%s'", sp->target);
	for (i = 0; i < g.gl_pathc && !err; i++) {
		struct stat st;

		if (stat(g.gl_pathv[i], &st) || !S_ISREG(st.st_mode))
			continue;
		w->objects++;
		err = usdt_sites(w, g.gl_pathv[i]);
	}
	globfree(&g);
	if (err == -ENOMEM)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	if (!err && !w->n)
		err = lib_error_set(e, ENOENT, sp->symbol_col,
				    "no USDT probe matches '%s' in the %d "
				    "file%s matching '%s'",
				    name, w->objects,
				    w->objects == 1 ? "" : "s", sp->target);
	return err;
}

static int collect(const struct probe_spec *sp, const struct expand_opts *o,
		   struct sites *w, struct lib_error *e)
{
	char path[4096], name[512];
	int err;

	what(sp, name, sizeof(name));
	if (!every_object(sp, o) && sp->usdt && has_glob(sp->target))
		return glob_sites(sp, w, e);
	if (!every_object(sp, o)) {
		/* a pattern in one file: an unresolvable target is the
		 * one-probe path's to report */
		if (target_resolve(sp->target, o->pid, path, sizeof(path), NULL))
			return 1;
		err = usdt_sites(w, path);
		if (!err && !w->n)
			err = lib_error_set(e, ENOENT, sp->symbol_col,
					 "no USDT probe matches '%s' in %s%s%s",
					 name, path, *w->why ? ": " : "",
					 *w->why ? w->why : "");
		return err == -ENOMEM
			       ? lib_error_set(e, ENOMEM, -1, "out of memory")
			       : err;
	}
	if (o->pid <= 0)
		return lib_error_set(
			e, EINVAL, sp->target_col,
			"an empty target means every object of a "
			"process: give its -p PID, or name the object "
			"(%s:PATH:%s)",
			sp->usdt ? "usdt" : "u", name);
	if (own_fork(o->pid))
		return lib_error_set(
			e, EINVAL, sp->target_col,
			"an empty target means the objects of process "
			"%d, which has not started its program yet "
			"(-c): name the object (%s:PATH:%s), or start "
			"the program and attach with -p",
			(int)o->pid, sp->usdt ? "usdt" : "u", name);
	err = target_for_each_object(o->pid, object_cb, w);
	if (err == -ENOMEM || w->err)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	if (err)
		return lib_error_set(e, -err, sp->target_col,
				  "cannot read the maps of pid %d: %s",
				  (int)o->pid, strerror(-err));
	if (!w->n)
		return lib_error_set(e, ENOENT, sp->symbol_col,
				  "none of the %d objects mapped by pid %d has "
				  "%s '%s'",
				  w->objects, (int)o->pid,
				  sp->usdt ? "a USDT probe" : "a function",
				  name);
	return 0;
}

/* Is sp ours? An error for what an empty target cannot take. */
static int claim(const struct probe_spec *sp, const struct expand_opts *o,
		 struct lib_error *e)
{
	bool every;

	if (!probe_kind_is_user(sp->kind) || !sp->target)
		return 0;
	every = every_object(sp, o);
	if (!every && !strcmp(sp->target, "*"))
		return lib_error_set(e, EINVAL, sp->target_col,
				     "the target '*' means every object of a "
				     "process: give its -p PID, or name the "
				     "object");
	if (!every &&
	    !(sp->usdt && (has_glob(sp->symbol) || has_glob(sp->provider) ||
			   has_glob(sp->target))))
		return 0;
	if (every && sp->has_addr)
		return lib_error_set(e, EINVAL, sp->symbol_col,
				  "an address belongs to one file: name it "
				  "(u:PATH:0x%llx)",
				  (unsigned long long)sp->addr);
	if (every && !sp->usdt && has_glob(sp->symbol))
		return lib_error_set(e, EINVAL, sp->target_col,
				  "a function pattern needs its object: name "
				  "it (u:libc:%s)",
				  sp->symbol);
	return 1;
}

int expand_sites(const struct probe_spec *sp, const struct expand_opts *o,
		 struct probe_locations *l, struct lib_error *e)
{
	int max = o->max_probes > 0 ? o->max_probes : EXPAND_DEFAULT_MAX;
	struct sites w = {.sp = sp};
	struct probe_location *loc;
	int err;
	size_t i;

	err = claim(sp, o, e);
	if (err <= 0)
		return err ? err : 1;
	err = collect(sp, o, &w, e);
	if (err)
		goto out;
	if (w.n > (size_t)max) {
		err = lib_error_set(e, E2BIG, sp->symbol_col,
				 "'%s' matches %zu probes, more than the limit "
				 "of %d: narrow the pattern or raise the limit "
				 "(--max-probes)",
				 sp->symbol, w.n, max);
		goto out;
	}
	l->kind = EXPAND_SITES;
	for (i = 0; i < w.n; i++) {
		if (!(loc = probe_locations_add(l))) {
			err = lib_error_set(e, ENOMEM, -1, "out of memory");
			goto out;
		}
		/* the strings move to the list */
		loc->path = w.v[i].path;
		loc->usdt_provider = w.v[i].provider;
		loc->usdt_name = w.v[i].name;
		w.v[i] = (struct site){0};
	}
out:
	sites_free(&w);
	return err;
}
