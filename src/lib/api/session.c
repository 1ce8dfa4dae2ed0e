/* SPDX-License-Identifier: MIT */
/*
 * One tracing session: probes are described in memory by
 * sonde_session__add_probe(), made in the kernel by sonde_session__start()
 * and removed by sonde_session__close() on every path, including a failure
 * half way through start. A probe's event name and its definition line:
 * session_event.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/demangle.h"
#include "sym/elf.h"
#include "args/fetch_plan.h"
#include "internal.h"
#include "resolve/expand.h"
#include "session_add.h"
#include "sym/ksym.h"
#include "sym/usdt.h"

struct sonde_session *sonde_session__open(const struct sonde_session_opts *opts)
{
	static atomic_int counter;
	struct sonde_session *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts) {
		size_t n =
			opts->sz < sizeof(s->opts) ? opts->sz : sizeof(s->opts);
		memcpy(&s->opts, opts, n);
	}
	s->opts.sz = sizeof(s->opts);
	s->epfd = -1;
	s->err.col = -1;
	s->owner_fd = -1;
	s->cgroup_fd = s->cgroup_map_fd = -1;
	s->self = getpid();
	snprintf(s->group, sizeof(s->group), "sonde_%d_%d", (int)s->self,
		 atomic_fetch_add(&counter, 1));
	return s;
}

static void probe_free(struct probe *p)
{
	size_t i;

	if (p->strbuf) {
		for (i = 0; i < p->fmt.nfields; i++)
			free(p->strbuf[i]);
		free(p->strbuf);
	}
	spec_free(&p->spec);
	fault_free(p);
	event_format_free(&p->fmt);
	free(p->name);
	free(p->path);
	free(p->function);
	free(p->definition);
	free(p->filter);
	free(p->trigger);
	free(p->hist);
	free(p->tfs.hist_text);
	free(p->format_text);
	fetch_plan_free(p->plan);
}

/* Nothing of the group is left in tracefs (so its lock file can go). */
static bool all_removed(const struct sonde_session *s)
{
	char path[512];
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (s->probes[i].created)
			return false;
	if (!tfs_root())
		return true;
	snprintf(path, sizeof(path), "%s/instances/%s", tfs_root(), s->group);
	return access(path, F_OK) != 0;
}

/* The kernel makes and removes the probes in the task that asks: the
 * backend's start, attach and stop run in one a SIGKILL of this process
 * cannot interrupt (shield.c). */
static int stop_backend(void *arg)
{
	struct sonde_session *s = arg;

	s->be->stop(s);
	return 0;
}

static int start_backend(void *arg)
{
	struct sonde_session *s = arg;

	return s->be->start(s);
}

struct attach_call {
	struct sonde_session *s;
	int probe;
};

static int attach_backend(void *arg)
{
	struct attach_call *c = arg;

	return c->s->be->attach(c->s, c->probe);
}

static int detach_backend(void *arg)
{
	struct attach_call *c = arg;

	return c->s->be->detach(c->s, c->probe);
}

static void teardown(struct sonde_session *s)
{
	if (s->be)
		run_shielded(stop_backend, s);
	s->be = NULL;
	s->started = false;
	owner_release(s, all_removed(s));
}

void sonde_session__close(struct sonde_session *s)
{
	int i;

	if (!s)
		return;
	teardown(s);
	for (i = 0; i < s->nprobes; i++)
		probe_free(&s->probes[i]);
	free(s->probes);
	free(s->names);
	free(s->lost);
	while (s->elfs) {
		struct elf_cache *c = s->elfs;

		s->elfs = c->next;
		elf_file_close(c->ef);
		free(c);
	}
	session_cgroup_close(s);
	free(s);
	/* the kallsyms cache is ~10 MB: drop it; the next user reloads it */
	ksym_cache_free();
}

int sonde_session__add_probe(struct sonde_session *s, const char *text,
			     const struct sonde_probe_opts *opts)
{
	struct lib_error perr = LIB_ERROR_SPEC_INIT;
	struct expand_opts eo;
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	int err;

	if (!s || !text)
		return -EINVAL;
	if (s->started && (!s->be || !s->be->attach))
		return set_err(
			s, ENOTSUP, -1,
			"the %s backend cannot add probes to a running session",
			s->be ? s->be->name : "session's");
	/* parsed once: every probe of the spec is made from this struct */
	if (s->opts.cgroup && s->cgroup_fd < 0) {
		err = session_cgroup_open(s);
		if (err)
			return err;
	}
	if (spec_parse_pattern(text, &sp, &perr))
		return set_err(s, EINVAL, perr.col, "%s", perr.msg);
	if (sp.kind == PROBE_TRACEPOINT) {
		err = session_add_tracepoints(s, text, &sp, opts);
		spec_free(&sp);
		return err;
	}
	eo = (struct expand_opts){.pid = s->opts.pid,
				  .debug_dir = s->opts.debug_dir,
				  .max_probes = s->opts.max_probes};
	err = probe_expand(&sp, &eo, &l, &e);
	if (err)
		err = set_err(s, err, e.col, "%s", e.msg);
	else if (l.kind == EXPAND_NONE)
		err = session_add_at(s, &sp, NULL, opts);
	else
		err = session_add_expanded(s, text, &sp, &l, opts);
	probe_locations_free(&l);
	spec_free(&sp);
	return err;
}

static int add_one(struct sonde_session *s, const struct probe_spec *sp,
		   const struct sonde_probe_opts *opts,
		   const struct probe_location *r, int usdt_loc);

/* r: one location of an expanded spec (resolve/expand.c), or NULL. */
int session_add_at(struct sonde_session *s, const struct probe_spec *sp,
		   const struct probe_location *r,
		   const struct sonde_probe_opts *opts)
{
	return add_one(s, sp, opts, r, 0);
}

/* p's spec: a copy of sp with what location r (or NULL) found in place
 * of the pattern, as data (memory only). 0 or -ENOMEM. */
static int probe_describe(struct probe *p, const struct probe_spec *sp,
			  const struct probe_location *r, int usdt_loc)
{
	struct probe_spec *ps = &p->spec;

	if (spec_copy(ps, sp))
		return -ENOMEM;
	ps->usdt_loc = usdt_loc;
	if (!r)
		return 0;
	if (r->event) {
		free(ps->event);
		if (!(ps->event = strdup(r->event)))
			return -ENOMEM;
	}
	if (r->symbol) { /* a function pattern's match */
		free(ps->symbol);
		ps->pattern = false;
		if (!(ps->symbol = strdup(r->symbol)))
			return -ENOMEM;
	}
	if (r->usdt_name) { /* a USDT pattern's match */
		free(ps->symbol);
		free(ps->provider);
		ps->symbol = strdup(r->usdt_name);
		ps->provider =
			r->usdt_provider ? strdup(r->usdt_provider) : NULL;
		if (!ps->symbol || (r->usdt_provider && !ps->provider))
			return -ENOMEM;
	}
	if (r->path && !(p->path = strdup(r->path)))
		return -ENOMEM;
	return 0;
}

/* usdt_loc: which location of a USDT probe (the first adds the others). */
static int add_one(struct sonde_session *s, const struct probe_spec *sp,
		   const struct sonde_probe_opts *opts,
		   const struct probe_location *r, int usdt_loc)
{
	struct probe *p, *grown;
	int err, nlocs, loc;

	grown = realloc(s->probes, (s->nprobes + 1) * sizeof(*grown));
	if (!grown)
		return set_err(s, ENOMEM, -1, "out of memory");
	s->probes = grown;
	p = &s->probes[s->nprobes];
	memset(p, 0, sizeof(*p));
	if (probe_describe(p, sp, r, usdt_loc)) {
		err = set_err(s, ENOMEM, -1, "out of memory");
		goto fail;
	}
	if (p->spec.kind == PROBE_TRACEPOINT) {
		err = resolve_tracepoint(s, p);
		if (err)
			goto fail;
	} else if (r && r->at_offset && probe_kind_is_user(p->spec.kind)) {
		p->offset = r->offset;
		p->sym_vaddr = r->sym_vaddr;
		err = resolve_uprobe_args(s, p);
		if (!err)
			err = check_insn(s, p);
		if (err)
			goto fail;
	} else if (probe_kind_is_user(p->spec.kind)) {
		err = resolve_uprobe(s, p);
		if (err)
			goto fail;
	} else {
		err = resolve_kprobe(s, p);
		if (err)
			goto fail;
	}
	if (p->spec.symbol && demangle_is_mangled(p->spec.symbol))
		p->function = demangle(p->spec.symbol);
	p->name = session_event_name(s, &p->spec, p->path);
	if (!p->name) {
		err = set_err(s, ENOMEM, -1, "out of memory");
		goto fail;
	}
	/* a tracepoint has no definition: the kernel made its event */
	err = p->spec.kind == PROBE_TRACEPOINT ? 0
					       : session_event_definition(s, p);
	if (err)
		goto fail;
	nlocs = p->spec.usdt ? p->spec.usdt_nlocs : 1;
	if (opts && opts->sz > offsetof(struct sonde_probe_opts, filter) &&
	    opts->filter)
		p->filter = strdup(opts->filter);
	if (opts && opts->sz > offsetof(struct sonde_probe_opts, trigger) &&
	    opts->trigger)
		p->trigger = strdup(opts->trigger);
	if (opts && opts->sz > offsetof(struct sonde_probe_opts, hist) &&
	    opts->hist &&
	    asprintf(&p->hist, "hist:%s",
		     opts->hist + (strncmp(opts->hist, "hist:", 5) ? 0 : 5)) <
		    0)
		p->hist = NULL;
	if (session_event_name_add(s, s->nprobes)) {
		err = set_err(s, ENOMEM, -1, "out of memory");
		goto fail;
	}
	if (s->started) {
		struct attach_call c = {.s = s, .probe = s->nprobes};

		s->nprobes++;
		err = run_shielded(attach_backend, &c);
		if (err) {
			s->nprobes--;
			goto fail;
		}
		err = s->nprobes - 1;
		goto more_locations;
	}
	err = s->nprobes++;
more_locations:
	/* a USDT probe: one uprobe per location, the first one's index */
	for (loc = 1; loc < nlocs && !usdt_loc; loc++) {
		int e = add_one(s, sp, opts, r, loc);

		if (e < 0)
			return e;
	}
	return err;
fail:
	probe_free(p);
	return err;
}

int sonde_session__start(struct sonde_session *s)
{
	int err;

	if (!s || s->started)
		return -EINVAL;
	if (!s->nprobes)
		return set_err(s, EINVAL, -1, "no probes to trace");
	s->be = backend_choose(s, sonde_backends, sonde_nbackends);
	slog(s, SONDE_LOG_INFO, "backend: %s", s->be->name);
	if (s->opts.cgroup && !s->be->by_cgroup) {
		err = set_err(s, ENOTSUP, -1,
			      "--cgroup: the %s backend cannot limit probes to a cgroup (the kernel's trace event filters have no cgroup field); the perf and bpf backends can",
			      s->be->name);
		s->be = NULL;
		return err;
	}
	s->started = true;
	err = run_shielded(start_backend, s);
	if (err) {
		struct lib_error keep = s->err;

		/* teardown may log; keep the first error for the caller */
		teardown(s);
		s->err = keep;
		return err;
	}
	return 0;
}

int sonde_session__poll(struct sonde_session *s, int timeout_ms)
{
	if (!s || !s->be)
		return -EINVAL;
	return s->be->poll(s, timeout_ms);
}

int sonde_session__drain(struct sonde_session *s)
{
	if (!s || !s->be)
		return -EINVAL;
	return s->be->drain(s);
}

int sonde_session__detach(struct sonde_session *s, int i)
{
	struct probe *p;
	int err = 0;

	if (!s || i < 0 || i >= s->nprobes)
		return -EINVAL;
	p = &s->probes[i];
	if (p->detached)
		return 0;
	if (s->started && s->be && s->be->detach) {
		struct attach_call c = {.s = s, .probe = i};

		err = run_shielded(detach_backend, &c);
	} else if (s->started)
		return set_err(s, ENOTSUP, -1,
			       "the %s backend cannot remove one probe of a "
			       "running session",
			       s->be ? s->be->name : "session's");
	p->detached = !err;
	return err;
}

const char *sonde_session__probe_hist(struct sonde_session *s, int i)
{
	if (!s || !s->be || !s->be->probe_hist)
		return NULL;
	return s->be->probe_hist(s, i);
}

int sonde_session__probe_count(const struct sonde_session *s)
{
	return s ? s->nprobes : 0;
}

const char *sonde_session__probe_name(const struct sonde_session *s, int i)
{
	return s && i >= 0 && i < s->nprobes ? s->probes[i].name : NULL;
}

const char *sonde_session__probe_definition(const struct sonde_session *s,
					    int i)
{
	return s && i >= 0 && i < s->nprobes ? s->probes[i].definition : NULL;
}

const char *sonde_session__probe_format(const struct sonde_session *s, int i)
{
	return s && i >= 0 && i < s->nprobes ? s->probes[i].format_text : NULL;
}

int sonde_session__probe_field_count(const struct sonde_session *s, int i)
{
	if (!s || i < 0 || i >= s->nprobes)
		return -EINVAL;
	return (int)s->probes[i].fmt.nfields;
}

const char *sonde_session__probe_field_name(const struct sonde_session *s,
					    int i, int f)
{
	if (sonde_session__probe_field_count(s, i) <= f || f < 0)
		return NULL;
	return s->probes[i].fmt.fields[f].name;
}

int sonde_session__probe_site(const struct sonde_session *s, int i,
			      struct sonde_probe_site *site)
{
	struct sonde_probe_site out = {.sz = sizeof(out)};
	const struct probe *p;

	if (!s || i < 0 || i >= s->nprobes || !site)
		return -EINVAL;
	p = &s->probes[i];
	out.is_return = probe_kind_is_return(p->spec.kind);
	out.symbol = p->spec.symbol;
	out.function = p->function ? p->function : p->spec.symbol;
	/* syscalls:sys_enter_X and sys_exit_X: the site is syscall X */
	if (probe_is_tracepoint(p)) {
		out.symbol = spec_tp_syscall(&p->spec, &out.is_return);
		out.function = out.symbol ? out.symbol : p->spec.event;
		if (!out.symbol)
			out.symbol = p->spec.event;
	}
	if (probe_kind_is_user(p->spec.kind)) {
		out.path = p->path;
		out.offset = p->offset;
	} else {
		out.path = p->spec.target;
		out.offset = p->spec.offset;
	}
	memcpy(site, &out, site->sz < sizeof(out) ? site->sz : sizeof(out));
	return 0;
}

int sonde_session__stats(const struct sonde_session *s, struct sonde_stats *st)
{
	struct sonde_stats out = {.sz = sizeof(out)};
	int i;

	if (!s || !st)
		return -EINVAL;
	out.events = s->events;
	out.faults = s->faults;
	out.unchecked = s->unchecked;
	out.ncpus = s->ncpus;
	out.lost_per_cpu = s->lost;
	for (i = 0; i < s->ncpus; i++)
		out.lost += s->lost[i];
	memcpy(st, &out, st->sz < sizeof(out) ? st->sz : sizeof(out));
	return 0;
}
