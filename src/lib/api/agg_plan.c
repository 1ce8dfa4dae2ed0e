/* SPDX-License-Identifier: MIT */
/*
 * Which path keeps an aggregation (sonde_agg__plan()): a PMU counter per
 * probe for keyless counts (the kernel only adds, no program runs per
 * hit), a BPF map where uprobe_multi links exist or BPF is asked for, a
 * hist trigger for keyed counts of the whole run on keys the kernel has
 * (kernel/trace/trace_events_hist.c: fields, common_pid, common_cpu),
 * else the events streamed and aggregated in user space. What depends on
 * the kernel is read from struct sonde_features, so the policy is the
 * same with the features of another machine (unit tests).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sonde/sonde.h>

#include "internal.h"

struct plan_ctx {
	const struct sonde_session *s;
	struct sonde_agg_plan_opts o;
	const struct sonde_features *f; /* NULL until asked for */
	struct sonde_features own;
	bool probed;
};

/* The machine's features, probed the first time they are needed (as the
 * kernel is asked only when a path depends on it); NULL if unknown. */
static const struct sonde_features *features(struct plan_ctx *c)
{
	if (c->o.features)
		return c->o.features;
	if (!c->probed) {
		c->probed = true;
		c->own.sz = sizeof(c->own);
		c->f = sonde_features__probe(&c->own) ? NULL : &c->own;
	}
	return c->f;
}

/* Is argument name read from memory by some probe's definition: +OFF(BASE),
 * -OFF(BASE) or @ADDR (Documentation/trace/uprobetracer.rst), where a read
 * can fault? */
static bool arg_reads_memory(const struct sonde_session *s, const char *name)
{
	int i, n = s ? sonde_session__probe_count(s) : 0;
	size_t len = strlen(name), w;
	const char *def, *p;

	for (i = 0; i < n; i++) {
		def = sonde_session__probe_definition(s, i);
		for (p = def ? strchr(def, ' ') : NULL; p;
		     p = strchr(p + 1, ' ')) {
			if (strncmp(p + 1, name, len) || p[1 + len] != '=')
				continue;
			w = strcspn(p + 2 + len, " \t");
			if (memchr(p + 2 + len, '(', w) ||
			    memchr(p + 2 + len, '@', w))
				return true;
		}
	}
	return false;
}

static bool key_reads_memory(const struct plan_ctx *c,
			     const struct sonde_bpf_key *k)
{
	return k->src == SONDE_BPF_ARG && arg_reads_memory(c->s, k->arg);
}

/* The trigger's body into p->hist: the keys as the event's fields
 * (common_pid is the thread), the probes' filter its "if"; false when a
 * key is none of the event's (comm, pid) or the text would not fit. */
static bool hist_body(const struct sonde_agg_plan_opts *o,
		      struct sonde_agg_plan *p)
{
	char keys[512] = "";
	size_t len = 0;
	int i, n;

	for (i = 0; i < o->nkeys; i++) {
		const struct sonde_bpf_key *k = &o->keys[i];
		const char *name = k->src == SONDE_BPF_TID   ? "common_pid"
				   : k->src == SONDE_BPF_CPU ? "common_cpu"
				   : k->src == SONDE_BPF_ARG ? k->arg
							     : NULL;

		if (!name)
			return false;
		n = snprintf(keys + len, sizeof(keys) - len, "%s%s",
			     i ? "," : "", name);
		if (n < 0 || (size_t)n >= sizeof(keys) - len)
			return false;
		len += n;
	}
	n = snprintf(p->hist, sizeof(p->hist),
		     "keys=%s:vals=hitcount:sort=hitcount:size=16384%s%s", keys,
		     o->filter ? " if " : "", o->filter ? o->filter : "");
	if (n >= 0 && (size_t)n < sizeof(p->hist))
		return true;
	p->hist[0] = '\0';
	return false;
}

/* A hist trigger for a keyed count of the whole run, where the kernel has
 * them (CONFIG_HIST_TRIGGERS) and no key is read through a pointer. */
static bool hist_trigger(struct plan_ctx *c, struct sonde_agg_plan *p)
{
	const struct sonde_agg_plan_opts *o = &c->o;
	const struct sonde_features *f;
	int i;

	if (o->kind != SONDE_AGG_KIND_COUNT || !o->nkeys || o->in_user ||
	    o->interval || o->hist)
		return false;
	/* a hist trigger counts every task's hits: no cgroup filter */
	if (c->s && c->s->opts.cgroup)
		return false;
	/* only the tracefs backend sets triggers: another one asked for
	 * would refuse the probe */
	if (o->backend != SONDE_BACKEND_AUTO &&
	    o->backend != SONDE_BACKEND_TRACEFS)
		return false;
	f = features(c);
	if (!f || !f->hist_triggers || !hist_body(o, p))
		return false;
	/* a hit whose key faulted would be the kernel's 0 or stale bytes */
	for (i = 0; i < o->nkeys; i++) {
		if (!key_reads_memory(c, &o->keys[i]))
			continue;
		snprintf(p->reason, sizeof(p->reason),
			 "not counted by the hist trigger: '%s' is read "
			 "through a pointer, and a hist trigger cannot tell a "
			 "fault from a value",
			 o->keys[i].arg);
		p->hist[0] = '\0';
		return false;
	}
	return true;
}

/* May a BPF program keep the table? Asked for, or auto where the kernel
 * has uprobe_multi links (6.6). */
static bool bpf_path(struct plan_ctx *c)
{
	const struct sonde_features *f;

	if (c->o.in_user)
		return false;
	if (c->o.backend == SONDE_BACKEND_BPF)
		return true;
	if (c->o.backend != SONDE_BACKEND_AUTO)
		return false;
	f = features(c);
	return f && f->bpf_uprobe_multi;
}

static void add(struct sonde_agg_plan *p, enum sonde_agg_path path)
{
	if (p->npaths < SONDE_AGG_PLAN_MAX_PATHS)
		p->paths[p->npaths++] = path;
}

/* Keyed: BPF first, else a hist trigger checked against the events, else
 * the events; keyless: PMU counters first, unless BPF is asked for or a
 * backend streams. BPF asked for is the only path, unless a key faults:
 * its hits are streamed then, where each event tells a fault. */
static void plan_count(struct plan_ctx *c, struct sonde_agg_plan *p)
{
	const struct sonde_agg_plan_opts *o = &c->o;
	bool asked = o->backend == SONDE_BACKEND_BPF;
	bool hist = hist_trigger(c, p);

	if ((o->nkeys || asked) && bpf_path(c)) {
		add(p, SONDE_AGG_PATH_BPF);
		if (asked && !p->reads_memory)
			return;
	}
	if (o->nkeys) {
		add(p,
		    hist ? SONDE_AGG_PATH_HIST_TRIGGER : SONDE_AGG_PATH_USER);
		return;
	}
	if (o->in_user || asked || o->backend == SONDE_BACKEND_TRACEFS) {
		add(p, SONDE_AGG_PATH_USER);
		return;
	}
	add(p, SONDE_AGG_PATH_PMU_COUNTER);
	/* no PMU counter: BPF keeps the count in the kernel then */
	if (bpf_path(c))
		add(p, SONDE_AGG_PATH_BPF);
	add(p, SONDE_AGG_PATH_USER);
}

static void plan_hist(struct plan_ctx *c, struct sonde_agg_plan *p)
{
	if (bpf_path(c)) {
		add(p, SONDE_AGG_PATH_BPF);
		if (c->o.backend == SONDE_BACKEND_BPF && !p->reads_memory)
			return;
	}
	add(p, SONDE_AGG_PATH_USER);
}

static int check_key(const struct sonde_bpf_key *k)
{
	switch (k->src) {
	case SONDE_BPF_COMM:
	case SONDE_BPF_PID:
	case SONDE_BPF_TID:
	case SONDE_BPF_CPU:
		return 0;
	case SONDE_BPF_ARG:
		return k->arg && *k->arg ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

int sonde_agg__plan(const struct sonde_session *s,
		    const struct sonde_agg_plan_opts *opts,
		    struct sonde_agg_plan *plan)
{
	struct sonde_agg_plan out = {.sz = sizeof(out)};
	struct plan_ctx c = {.s = s};
	int i;

	if (!opts || !plan || !opts->sz || !plan->sz)
		return -EINVAL;
	memcpy(&c.o, opts, opts->sz < sizeof(c.o) ? opts->sz : sizeof(c.o));
	if (c.o.nkeys < 0 || c.o.nkeys > SONDE_AGG_MAX_KEYS - 1 ||
	    c.o.kind > SONDE_AGG_KIND_LATENCY ||
	    c.o.backend > SONDE_BACKEND_BPF)
		return -EINVAL;
	for (i = 0; i < c.o.nkeys; i++)
		if (check_key(&c.o.keys[i]))
			return -EINVAL;
	if (c.o.kind == SONDE_AGG_KIND_HIST &&
	    (c.o.value.src != SONDE_BPF_ARG || check_key(&c.o.value)))
		return -EINVAL;
	for (i = 0; i < c.o.nkeys; i++)
		out.reads_memory |= key_reads_memory(&c, &c.o.keys[i]);
	if (c.o.kind == SONDE_AGG_KIND_HIST)
		out.reads_memory |= key_reads_memory(&c, &c.o.value);
	if (c.o.kind == SONDE_AGG_KIND_COUNT)
		plan_count(&c, &out);
	else if (c.o.kind == SONDE_AGG_KIND_HIST)
		plan_hist(&c, &out);
	else
		add(&out, SONDE_AGG_PATH_USER); /* pairing is done here */
	memcpy(plan, &out, plan->sz < sizeof(out) ? plan->sz : sizeof(out));
	return 0;
}
