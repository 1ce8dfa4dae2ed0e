/* SPDX-License-Identifier: MIT */
/*
 * Specs that name several places without a pattern in a function name:
 *  - a USDT provider or probe name pattern (usdt:T:*, usdt:T:PROV:*,
 *    usdt:T:*:NAME; fnmatch(3) on both, as bpftrace and BCC take them):
 *    one probe per matching provider:name of the note, each added as that
 *    USDT probe alone would be (its locations, its arguments, its name);
 *  - an empty target with -p (u::SYM, ur::SYM, usdt::[PROV:]NAME): every
 *    object the process maps executable (/proc/PID/maps, through
 *    /proc/PID/root), as bpftrace's uprobe::SYM with -p; a probe in each
 *    object that has the function or USDT probe.
 * The spec is parsed once here; each match goes to session_add_one() as a
 * struct (the object's path, the USDT provider and name), never pasted
 * into the spec text, so the one parser reads what the user wrote.
 */
#include <errno.h>
#include <fnmatch.h>
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

static int collect(struct sonde_session *s, const struct probe_spec *sp,
		   struct sites *w)
{
	char path[4096], name[512];
	int err;

	what(sp, name, sizeof(name));
	if (*sp->target) {
		/* a pattern in one file: an unresolvable target is the
		 * one-probe path's to report */
		if (target_resolve(sp->target, s->opts.pid, path, sizeof(path),
				   NULL))
			return 1;
		err = usdt_sites(w, path);
		if (!err && !w->n)
			err = set_err(s, ENOENT, sp->symbol_col,
				      "no USDT probe matches '%s' in %s%s%s",
				      name, path, *w->why ? ": " : "",
				      *w->why ? w->why : "");
		return err == -ENOMEM ? set_err(s, ENOMEM, -1, "out of memory")
				      : err;
	}
	if (s->opts.pid <= 0)
		return set_err(s, EINVAL, sp->target_col,
			       "an empty target means every object of a "
			       "process: give its -p PID, or name the object "
			       "(%s:PATH:%s)",
			       sp->usdt ? "usdt" : "u", name);
	if (own_fork(s->opts.pid))
		return set_err(s, EINVAL, sp->target_col,
			       "an empty target means the objects of process "
			       "%d, which has not started its program yet "
			       "(-c): name the object (%s:PATH:%s), or start "
			       "the program and attach with -p",
			       (int)s->opts.pid, sp->usdt ? "usdt" : "u", name);
	err = target_for_each_object(s->opts.pid, object_cb, w);
	if (err == -ENOMEM || w->err)
		return set_err(s, ENOMEM, -1, "out of memory");
	if (err)
		return set_err(s, -err, sp->target_col,
			       "cannot read the maps of pid %d: %s",
			       (int)s->opts.pid, strerror(-err));
	if (!w->n)
		return set_err(s, ENOENT, sp->symbol_col,
			       "none of the %d objects mapped by pid %d has "
			       "%s '%s'",
			       w->objects, (int)s->opts.pid,
			       sp->usdt ? "a USDT probe" : "a function", name);
	return 0;
}

/* Is sp ours? An error for what an empty target cannot take. */
static int claim(struct sonde_session *s, const struct probe_spec *sp)
{
	if (!probe_kind_is_user(sp->kind) || !sp->target)
		return 0;
	if (*sp->target &&
	    !(sp->usdt && (has_glob(sp->symbol) || has_glob(sp->provider))))
		return 0;
	if (!*sp->target && sp->has_addr)
		return set_err(s, EINVAL, sp->symbol_col,
			       "an address belongs to one file: name it "
			       "(u:PATH:0x%llx)",
			       (unsigned long long)sp->addr);
	if (!*sp->target && !sp->usdt && has_glob(sp->symbol))
		return set_err(s, EINVAL, sp->target_col,
			       "a function pattern needs its object: name it "
			       "(u:libc:%s)",
			       sp->symbol);
	return 1;
}

int expand_spec(struct sonde_session *s, const char *text,
		const struct sonde_probe_opts *opts, bool *done)
{
	int max = s->opts.max_probes > 0 ? s->opts.max_probes
					 : EXPAND_DEFAULT_MAX;
	struct probe_spec sp;
	struct sites w = {.sp = &sp};
	struct probe_resolved r;
	int err, idx = -EINVAL, first = -1, skipped = 0;
	char last[640] = "";
	size_t i;

	*done = false;
	if (spec_parse(text, &sp, NULL))
		return 0; /* the one-probe path reports it */
	err = claim(s, &sp);
	if (err <= 0)
		goto out;
	err = collect(s, &sp, &w);
	if (err > 0) {
		err = 0;
		goto out;
	}
	*done = true;
	if (err)
		goto out;
	if (w.n > (size_t)max) {
		err = set_err(s, E2BIG, sp.symbol_col,
			      "'%s' matches %zu probes, more than the limit of "
			      "%d: narrow the pattern or raise the limit "
			      "(--max-probes)",
			      sp.symbol, w.n, max);
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		r = (struct probe_resolved){.object = w.v[i].path,
					    .usdt_provider = w.v[i].provider,
					    .usdt_name = w.v[i].name};
		idx = session_add_one(s, text, opts, &r);
		if (idx == -ENOMEM) {
			err = idx;
			goto out;
		}
		if (idx >= 0 && first < 0)
			first = idx;
		if (idx >= 0)
			continue;
		/* what cannot be probed is skipped, as for function globs */
		skipped++;
		snprintf(last, sizeof(last), "%.60s%s%.60s in %.200s: %.300s",
			 w.v[i].provider ? w.v[i].provider : "",
			 w.v[i].provider ? ":" : "",
			 w.v[i].name ? w.v[i].name : sp.symbol, w.v[i].path,
			 s->err.msg);
		slog(s, SONDE_LOG_DEBUG, "skipped %s", last);
	}
	if (first < 0) {
		/* one match: its own message says why */
		err = w.n == 1 ? idx
			       : set_err(s, EINVAL, sp.symbol_col,
					 "none of the %zu matches of '%s' can "
					 "be probed (%s)",
					 w.n, sp.symbol, last);
		goto out;
	}
	lib_error_clear(&s->err);
	slog(s, SONDE_LOG_INFO,
	     "'%s': %zu probe%s, %d skipped (cannot be probed)", text,
	     w.n - skipped, w.n - skipped == 1 ? "" : "s", skipped);
	err = first;
out:
	*done = *done || err < 0;
	sites_free(&w);
	spec_free(&sp);
	return err;
}
