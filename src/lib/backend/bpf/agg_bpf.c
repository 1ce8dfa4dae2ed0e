/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation (sonde_bpf.h): the session's probes, grouped by
 * file (kprobes: none) and by what their program fetches, each group one
 * program and one uprobe_multi or kprobe_multi link (or one perf event per
 * probe; tracepoints: one tracepoint event per probe, their fields read
 * from the record, tracepoint.c), all writing one counts map keyed
 * [probe][keys][bucket]. Reading the maps back: agg_bpf_read.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agg_bpf.h"
#include "bpf_int.h"
#include "bpf_stream.h"
#include "internal.h"
#include "backend/kernel_feature.h"
#include "sonde_bpf.h"

struct group {
	const char *path; /* uprobes; "" for kprobes */
	bool kernel;
	bool tracepoint; /* BPF_PROG_TYPE_TRACEPOINT, one event a probe */
	bool multi;	 /* one multi link, else one perf event a probe */
	bool retprobe;
	bool lat_entry; /* the entry half of a latency */
	struct gsrc_spec keys[GEN_MAX_KEYS], value;
	uint64_t *offsets, *ref_ctrs, *cookies;
	uint32_t cnt;
	int prog_fd;
};

/* keys that are the probe: the cookie, in slot 0 */
static bool is_probe_key(enum sonde_bpf_src src)
{
	return src == SONDE_BPF_PROBE || src == SONDE_BPF_PROBE_NAME;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The fetch of probe p's argument name, as a register read. */
static int resolve_arg(struct sonde_session *s, const struct probe *p,
		       const char *name, struct gsrc_spec *g,
		       enum sonde_agg_key_kind *kind)
{
	const struct probe_arg *a = NULL;
	const char *t;
	char why[256];
	size_t i;
	int bits, err;

	if (bpf_is_tracepoint(p)) { /* a field of its format */
		err = bpf_tp_field(p, name, g, kind, why, sizeof(why));
		return err ? set_err(s, -err, -1, "%s", why) : 0;
	}
	for (i = 0; name && i < p->spec.nargs; i++)
		if (!strcmp(p->spec.args[i].name, name))
			a = &p->spec.args[i];
	if (!a)
		return set_err(s, EINVAL, -1, "probe %s has no argument '%s'",
			       p->name, name ? name : "");
	g->src = GS_REG;
	/* a uprobe's pointers are read from the process (a kprobe's would
	 * be the kernel's: not done here) */
	if (gen_parse_chain(a->fetch, strlen(a->fetch), g) ||
	    (g->nderef && !probe_kind_is_user(p->spec.kind)))
		return set_err(s, ENOTSUP, a->col,
			       "the bpf backend reads registers and $retval, "
			       "and through them in a process, only, not '%s'",
			       a->fetch);
	/* the kernel's default type for a fetcharg is x64 (trace_probe.h
	 * DEFAULT_FETCH_TYPE on x86-64): shown in hex, as tracefs does */
	t = a->type ? a->type : "x64";
	if ((t[0] != 'u' && t[0] != 's' && t[0] != 'x') ||
	    sscanf(t + 1, "%d", &bits) != 1 ||
	    (bits != 8 && bits != 16 && bits != 32 && bits != 64) ||
	    strspn(t + 1, "0123456789") != strlen(t + 1))
		return set_err(
			s, ENOTSUP, a->col,
			"the bpf backend aggregates integers, not type %s", t);
	g->size = bits / 8;
	g->is_signed = t[0] == 's';
	*kind = t[0] == 's'   ? SONDE_AGG_KEY_SIGNED
		: t[0] == 'x' ? SONDE_AGG_KEY_HEX
			      : SONDE_AGG_KEY_UNSIGNED;
	return 0;
}

static int resolve_src(struct sonde_bpf_agg *a, const struct probe *p,
		       const struct sonde_bpf_key *k, struct gsrc_spec *g,
		       enum sonde_agg_key_kind *kind)
{
	static const enum gsrc map[] = {
		[SONDE_BPF_PID] = GS_PID,	  [SONDE_BPF_TID] = GS_TID,
		[SONDE_BPF_COMM] = GS_COMM,	  [SONDE_BPF_CPU] = GS_CPU,
		[SONDE_BPF_LATENCY] = GS_LATENCY,
	};

	memset(g, 0, sizeof(*g));
	*kind = k->src == SONDE_BPF_COMM ? SONDE_AGG_KEY_STRING
					 : SONDE_AGG_KEY_UNSIGNED;
	switch (k->src) {
	case SONDE_BPF_NONE:
	case SONDE_BPF_PROBE: /* the cookie: slot 0 */
	case SONDE_BPF_PROBE_NAME:
		return 0;
	case SONDE_BPF_ARG:
		return resolve_arg(a->s, p, k->arg, g, kind);
	case SONDE_BPF_PID:
	case SONDE_BPF_TID:
	case SONDE_BPF_COMM:
	case SONDE_BPF_CPU:
	case SONDE_BPF_LATENCY:
		g->src = map[k->src];
		return 0;
	}
	return set_err(a->s, EINVAL, -1, "unknown aggregation key");
}

static bool same_group(const struct group *g, const char *path, bool kernel,
		       bool tp, bool ret, bool lat_entry,
		       const struct gsrc_spec *keys,
		       const struct gsrc_spec *value, int nkeys)
{
	return !strcmp(g->path, path) && g->kernel == kernel &&
	       g->tracepoint == tp && g->retprobe == ret &&
	       g->lat_entry == lat_entry &&
	       !memcmp(g->keys, keys, nkeys * sizeof(*keys)) &&
	       !memcmp(&g->value, value, sizeof(*value));
}

static int group_add(struct sonde_bpf_agg *a, const struct probe *p, int idx,
		     bool ret, bool lat_entry, const struct gsrc_spec *keys,
		     const struct gsrc_spec *value)
{
	struct group *g = NULL, *grown;
	bool kernel = !probe_kind_is_user(p->spec.kind);
	bool tp = bpf_is_tracepoint(p);
	const char *path = p->path && !kernel ? p->path : "";
	uint32_t n;
	int i;

	for (i = 0; i < a->ngroups; i++)
		if (same_group(&a->groups[i], path, kernel, tp, ret, lat_entry,
			       keys, value, a->o.nkeys))
			g = &a->groups[i];
	if (!g) {
		grown = realloc(a->groups, (a->ngroups + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		a->groups = grown;
		g = &a->groups[a->ngroups++];
		memset(g, 0, sizeof(*g));
		g->path = path;
		g->kernel = kernel;
		g->tracepoint = tp;
		g->retprobe = ret;
		g->lat_entry = lat_entry;
		memcpy(g->keys, keys, sizeof(g->keys));
		g->value = *value;
		g->prog_fd = -1;
	}
	n = g->cnt + 1;
	if (!(n & (n - 1)) || n == 1) { /* grow at powers of two */
		size_t cap = n < 2 ? 2 : 2 * n;
		uint64_t *o = realloc(g->offsets, cap * sizeof(*o));

		if (o)
			g->offsets = o;
		o = o ? realloc(g->ref_ctrs, cap * sizeof(*o)) : NULL;
		if (o)
			g->ref_ctrs = o;
		o = o ? realloc(g->cookies, cap * sizeof(*o)) : NULL;
		if (!o)
			return -ENOMEM;
		g->cookies = o;
	}
	g->offsets[g->cnt] = p->offset;
	g->ref_ctrs[g->cnt] = p->spec.ref_ctr_offset;
	g->cookies[g->cnt] = (uint64_t)idx;
	g->cnt = n;
	return 0;
}

static int plan(struct sonde_bpf_agg *a)
{
	struct sonde_session *s = a->s;
	struct gsrc_spec keys[GEN_MAX_KEYS], value;
	enum sonde_agg_key_kind kind;
	bool lat = a->o.value.src == SONDE_BPF_LATENCY;
	int i, k, nk, err;

	for (i = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i];
		bool ret = probe_kind_is_return(p->spec.kind);

		if (p->filter || p->trigger)
			return set_err(s, ENOTSUP, -1,
				       "probe %s has a %s, which only the "
				       "tracefs backend applies",
				       p->name,
				       p->filter ? "filter" : "trigger");
		if (lat && ret)
			return set_err(s, EINVAL, p->spec.target_col,
				       "a latency is measured on entry probes "
				       "(their returns are probed too)");
		if (lat && bpf_is_tracepoint(p))
			return set_err(s, EINVAL, p->spec.target_col,
				       "a latency is measured on function "
				       "probes, and %s is a tracepoint",
				       p->name);
		memset(keys, 0, sizeof(keys));
		for (k = nk = 0; k < a->o.nkeys; k++) {
			if (is_probe_key(a->o.keys[k].src))
				continue; /* the cookie, always slot 0 */
			err = resolve_src(a, p, &a->o.keys[k], &keys[nk++],
					  &kind);
			if (err)
				return err;
			a->arg_kind[k] = (char)kind;
		}
		err = resolve_src(a, p, &a->o.value, &value, &kind);
		if (err)
			return err;
		err = group_add(a, p, i, ret || lat, false, keys, &value);
		if (!err && lat)
			err = group_add(a, p, i, false, true, keys, &value);
		if (err)
			return set_err(s, -err, -1, "out of memory");
	}
	return 0;
}

static int add_link(struct sonde_bpf_agg *a, int fd)
{
	int *grown;

	if (a->nlinks == a->cap_links) {
		grown = realloc(a->links,
				(a->cap_links ? 2 * a->cap_links : 16) *
					sizeof(*grown));
		if (!grown) {
			close(fd);
			return -ENOMEM;
		}
		a->links = grown;
		a->cap_links = a->cap_links ? 2 * a->cap_links : 16;
	}
	a->links[a->nlinks++] = fd;
	return 0;
}

/* Each group's attach mode: a multi link where the kernel has one and it
 * takes every probe of the group (bpf_kmulti_fits()). */
static void plan_modes(struct sonde_bpf_agg *a)
{
	/* SONDE_BPF_NO_MULTI=1 as for streaming (plan.c) */
	const char *env = getenv("SONDE_BPF_NO_MULTI");
	bool no = a->o.no_multi || (env && *env);
	bool umulti =
		!no && kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI);
	bool kmulti =
		!no && kernel_feature_has(KERNEL_FEATURE_BPF_KPROBE_MULTI);
	struct group *g;
	uint32_t j;
	int i;

	for (i = 0; i < a->ngroups; i++) {
		g = &a->groups[i];
		g->multi = g->tracepoint ? false : g->kernel ? kmulti : umulti;
		for (j = 0; g->kernel && j < g->cnt; j++)
			if (!bpf_kmulti_fits(&a->s->probes[g->cookies[j]]))
				g->multi = false;
	}
}

static int load_group(struct sonde_bpf_agg *a, struct group *g)
{
	bool multi = g->multi;
	struct gen_agg gen = a->gen;
	struct prog_buf b = {0};
	char *log;
	int err;

	/* the group's keys are the template's, without the probe (slot 0) */
	memcpy(gen.keys, g->keys, sizeof(gen.keys));
	if (g->kernel && a->s->opts.pid > 0)
		gen.only_tgid = a->s->opts.pid;
	/* a tracepoint fires in the tracer too (its own writes) */
	if (g->tracepoint && a->s->opts.pid <= 0 && a->s->opts.exclude_self)
		gen.skip_tgid = a->s->self;
	gen.tracepoint = g->tracepoint;
	gen.value = g->value;
	err = g->lat_entry ? gen_lat_entry_prog(&b, &gen)
			   : gen_agg_prog(&b, &gen);
	if (err) {
		prog_buf_free(&b);
		return set_err(a->s, -err, -1,
			       "cannot build the BPF program: %s",
			       strerror(-err));
	}
	log = calloc(1, 65536);
	g->prog_fd = bpf_new_prog_type(
		g->tracepoint ? BPF_PROG_TYPE_TRACEPOINT : BPF_PROG_TYPE_KPROBE,
		&b,
		!multi	    ? 0
		: g->kernel ? BPF_TRACE_KPROBE_MULTI
			    : SONDE_BPF_TRACE_UPROBE_MULTI,
		log, log ? 65536 : 0);
	prog_buf_free(&b);
	if (g->prog_fd < 0) {
		err = g->prog_fd;
		/* the verifier's last lines say why */
		set_err(a->s, -err, -1,
			"the kernel refused sonde's BPF program: %s",
			strerror(-err));
		err_quote(a->s, log && strlen(log) > 1500
					? log + strlen(log) - 1500
					: log);
		free(log);
		return err;
	}
	free(log);
	return 0;
}

/* kprobes: system-wide (the kprobe PMU and kprobe_multi take no pid);
 * tracepoints: one event each, the program's wherever it fires */
static int attach_kgroup(struct sonde_bpf_agg *a, struct group *g)
{
	int *fds = calloc(g->cnt, sizeof(int));
	int i, got, err = 0;

	if (!fds)
		return set_err(a->s, ENOMEM, -1, "out of memory");
	if (g->tracepoint)
		got = bpf_attach_tracepoints(a->s, g->prog_fd, g->cookies,
					     (int)g->cnt, fds);
	else
		got = bpf_attach_kprobes(a->s, g->prog_fd, g->cookies,
					 (int)g->cnt, g->multi, fds);
	for (i = 0; i < got; i++)
		if (!err)
			err = add_link(a, fds[i]);
		else
			close(fds[i]);
	if (got > 0 && g->multi)
		a->multi_links++, a->kmulti_links++;
	else if (got > 0)
		a->perf_events += got;
	free(fds);
	if (err)
		return set_err(a->s, ENOMEM, -1, "out of memory");
	return got < 0 ? got : 0;
}

static int attach_group(struct sonde_bpf_agg *a, struct group *g)
{
	pid_t pid = a->follow.map_fd >= 0 ? 0 : a->s->opts.pid;
	uint32_t i;
	int fd;

	if (g->kernel)
		return attach_kgroup(a, g);
	if (g->multi) {
		fd = bpf_attach_uprobe_multi(g->prog_fd, g->path, g->offsets,
					     g->ref_ctrs, g->cookies, g->cnt,
					     g->retprobe, pid);
		if (fd < 0)
			return set_err(a->s, -fd, -1,
				       "cannot attach %u uprobes to %s: %s",
				       g->cnt, g->path, strerror(-fd));
		a->multi_links++;
		return add_link(a, fd);
	}
	for (i = 0; i < g->cnt; i++) {
		fd = bpf_attach_perf_uprobe(g->prog_fd, g->path, g->offsets[i],
					    g->ref_ctrs[i], g->retprobe, pid,
					    g->cookies[i]);
		if (fd < 0)
			return set_err(
				a->s, -fd, -1,
				"cannot attach a uprobe to %s:0x%llx: %s",
				g->path, (unsigned long long)g->offsets[i],
				strerror(-fd));
		a->perf_events++;
		if (add_link(a, fd))
			return set_err(a->s, ENOMEM, -1, "out of memory");
	}
	return 0;
}

static int make_maps(struct sonde_bpf_agg *a)
{
	unsigned int n = a->o.max_entries ? a->o.max_entries : 10240;
	struct gen_agg *g = &a->gen;
	int err;

	g->counts_fd = bpf_new_map(BPF_MAP_TYPE_PERCPU_HASH, 8 * a->key_slots,
				   sizeof(struct agg_val), n);
	g->stats_fd = bpf_new_map(BPF_MAP_TYPE_ARRAY, 4, 8, AST_NSTATS);
	err = g->counts_fd < 0 ? g->counts_fd : g->stats_fd;

	if (err >= 0 && a->o.value.src == SONDE_BPF_LATENCY) {
		g->depth_fd = bpf_new_map(BPF_MAP_TYPE_HASH, 8, 8, n);
		g->ts_fd = bpf_new_map(BPF_MAP_TYPE_HASH, 16, 8, n);
		err = g->depth_fd < 0 ? g->depth_fd : g->ts_fd;
	}
	if (err < 0) {

		return set_err(
			a->s, -err, -1, "cannot create BPF maps: %s%s",
			strerror(-err),
			err == -EPERM
				? " (BPF needs root or CAP_BPF + CAP_PERFMON)"
				: "");
	}
	return 0;
}

static int check_opts(struct sonde_bpf_agg *a)
{
	const struct sonde_bpf_agg_opts *o = &a->o;
	struct gen_agg *g = &a->gen;
	int64_t span;

	if (o->nkeys < 0 || o->nkeys > SONDE_AGG_MAX_KEYS)
		return set_err(a->s, EINVAL, -1, "too many keys");
	g->hist = o->value.src == SONDE_BPF_NONE ? GH_NONE
		  : o->hist == SONDE_AGG_LINEAR	 ? GH_LINEAR
						 : GH_LOG2;
	if (g->hist == GH_LINEAR) {
		span = o->max - o->min;
		if (o->step <= 0 || span <= 0 || span / o->step > 100000)
			return set_err(a->s, EINVAL, -1,
				       "a linear histogram needs min < max and "
				       "a step > 0");
		/* as agg.c counts them: the open ends and ceil(span / step) */
		g->nbuckets = (int)((span + o->step - 1) / o->step + 2);
		g->min = o->min;
		g->step = o->step;
	}
	g->nkeys = 0;
	return 0;
}

/* Loaded and attached in a task a SIGKILL of this process does not reach:
 * a registration cut short leaves its int3s (shield.c). */
static int load_and_attach(void *arg)
{
	struct sonde_bpf_agg *a = arg;
	int i, err = 0;

	for (i = 0; !err && i < a->ngroups; i++) {
		err = load_group(a, &a->groups[i]);
		if (!err)
			err = attach_group(a, &a->groups[i]);
	}
	return err ? err : bpf_follow_arm_exit(a->s, &a->follow);
}

struct sonde_bpf_agg *sonde_bpf_agg__open(struct sonde_session *s,
					  const struct sonde_bpf_agg_opts *opts)
{
	struct sonde_bpf_agg *a;
	int k, err;

	if (!s || !opts || !s->nprobes) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	a->s = s;
	memcpy(&a->o, opts, opts->sz < sizeof(a->o) ? opts->sz : sizeof(a->o));
	a->gen.counts_fd = a->gen.stats_fd = -1;
	a->gen.depth_fd = a->gen.ts_fd = -1;
	a->gen.follow_fd = a->follow.map_fd = -1;
	a->ncpus = libbpf_num_possible_cpus();
	err = check_opts(a);
	if (err)
		goto fail;
	for (k = 0; k < a->o.nkeys; k++)
		if (!is_probe_key(a->o.keys[k].src))
			a->gen.nkeys++;
	err = plan(a);
	if (err)
		goto fail;
	/* the key's slots, from the first group's template (all alike) */
	for (k = 0; k < a->gen.nkeys; k++)
		a->gen.keys[k] = a->groups[0].keys[k];
	a->key_slots = gen_key_slots(&a->gen);
	err = make_maps(a);
	/* a child the followed set cannot take counts as dropped (index 0) */
	if (!err)
		err = bpf_follow_open(s, &a->follow, a->gen.stats_fd);
	if (err)
		goto fail;
	a->gen.follow_fd = a->follow.map_fd;
	if (s->cgroup_fd >= 0) {
		a->gen.cgroup_fd = bpf_cgroup_map(s);
		a->gen.by_cgroup = true;
		if (a->gen.cgroup_fd < 0) {
			err = a->gen.cgroup_fd;
			goto fail;
		}
	}
	plan_modes(a);
	err = run_shielded(load_and_attach, a);
	if (err)
		goto fail;
	return a;
fail:
	sonde_bpf_agg__close(a);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

void sonde_bpf_agg__close(struct sonde_bpf_agg *a)
{
	int i;

	if (!a)
		return;
	/* links first: no program runs once they are gone */
	/* their uprobes are removed in a kernel worker, or on kernels
	 * whose unix collector runs in the closing task, in a shielded one:
	 * out of reach of a SIGKILL that would leave int3s (release.c) */
	fds_let_go_shielded(a->links, a->nlinks);
	bpf_follow_close(&a->follow);
	for (i = 0; i < a->ngroups; i++) {
		close_fd(&a->groups[i].prog_fd);
		free(a->groups[i].offsets);
		free(a->groups[i].ref_ctrs);
		free(a->groups[i].cookies);
	}
	close_fd(&a->gen.counts_fd);
	close_fd(&a->gen.stats_fd);
	close_fd(&a->gen.depth_fd);
	close_fd(&a->gen.ts_fd);
	free(a->links);
	free(a->groups);
	free(a);
}
