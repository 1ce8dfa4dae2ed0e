/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation for sonde count and hist: the kernel keeps the
 * table (sonde_bpf_agg__open()), read into the same sonde_agg the
 * printers take, so the tables are those of events counted here. A
 * key or value read through a pointer that faults leaves its hit out of
 * the kernel's table, counted (the faults of sonde_bpf_agg__stats()); a
 * fetch the program cannot read is streamed instead, where each event
 * says whether its read faulted.
 */
#include <errno.h>
#include <string.h>

#include "agg_kernel.h"

static void key_src(const struct key_def *k, struct sonde_bpf_key *b)
{
	static const enum sonde_bpf_src srcs[] = {
		[KEY_COMM] = SONDE_BPF_COMM, [KEY_PID] = SONDE_BPF_PID,
		[KEY_TID] = SONDE_BPF_TID,   [KEY_CPU] = SONDE_BPF_CPU,
		[KEY_FIELD] = SONDE_BPF_ARG,
	};

	b->src = srcs[k->kind];
	b->arg = k->kind == KEY_FIELD ? k->name : NULL;
}

int agg_plan(struct agg_cli *a, enum sonde_agg_kind kind, const char *hist,
	     struct sonde_agg_plan *p)
{
	struct sonde_agg_plan_opts o = {
		.sz = sizeof(o),
		.kind = kind,
		.nkeys = a->nkeys,
		.backend = a->o.backend,
		.in_user = a->in_user,
		.interval = a->interval != 0,
		.filter = a->o.filter,
		.hist = hist,
	};
	int i;

	for (i = 0; i < a->nkeys; i++)
		key_src(&a->keys[i], &o.keys[i]);
	if (kind == SONDE_AGG_KIND_HIST)
		key_src(&a->value, &o.value);
	p->sz = sizeof(*p);
	return sonde_agg__plan(a->s, &o, p);
}

int agg_kernel_open(struct agg_cli *a, bool with_value,
		    const struct sonde_agg_plan *p, bool last,
		    struct sonde_bpf_agg **out)
{
	struct sonde_bpf_agg_opts o = {.sz = sizeof(o)};
	struct sonde_bpf_agg_stats st = {.sz = sizeof(st)};
	const char *how;
	int i;

	o.nkeys = a->nkeys + 1;
	/* the kernel's map holds --max-keys entries too (a histogram's:
	 * keys x buckets); without a limit, its default */
	o.max_entries = (unsigned int)a->max_keys;
	o.keys[0].src = SONDE_BPF_PROBE_NAME;
	for (i = 0; i < a->nkeys; i++)
		key_src(&a->keys[i], &o.keys[i + 1]);
	if (with_value) {
		key_src(&a->value, &o.value);
		o.hist = a->linear ? SONDE_AGG_LINEAR : SONDE_AGG_LOG2;
		o.min = a->min;
		o.max = a->max;
		o.step = a->step;
	}
	*out = sonde_bpf_agg__open(a->s, &o);
	if (!*out && p->reads_memory) {
		/* streamed then, where each event says whether its read
		 * faulted: a fault is left out, never counted as a 0 */
		if (a->o.verbose)
			fprintf(stderr,
				"%s: not aggregated in the kernel: %s; the "
				"events are, here, without their faults\n",
				prog, sonde_session__errmsg(a->s));
		return 0;
	}
	if (!*out) {
		if (last) {
			print_error(NULL, sonde_session__errmsg(a->s), -1);
			return error_status(-errno);
		}
		if (a->o.verbose)
			fprintf(stderr,
				"%s: not aggregated in the kernel: %s\n", prog,
				sonde_session__errmsg(a->s));
		return 0;
	}
	sonde_bpf_agg__stats(*out, &st);
	how = !st.links		       ? "one perf event per probe"
	      : !st.kprobe_multi_links ? "uprobe_multi link"
	      : st.kprobe_multi_links == st.links
		      ? "kprobe_multi link"
		      : "uprobe_multi and kprobe_multi links";
	if (st.links && st.perf_events)
		how = "multi links, and one perf event per probe the links "
		      "cannot take";
	for (i = 0; a->o.verbose && i < a->nprobes; i++)
		fprintf(stderr, "%s: %s: %s in the kernel (BPF, %s)\n", prog,
			sonde_session__probe_name(a->s, i),
			with_value ? "aggregated" : "counted", how);
	return 1;
}

void agg_kernel_read(struct agg_cli *a, struct sonde_bpf_agg *b,
		     struct sonde_agg *g, bool clear)
{
	struct sonde_bpf_agg_stats st = {.sz = sizeof(st)};
	int err;

	sonde_agg__clear(g);
	err = sonde_bpf_agg__read(b, g, clear);
	if (err < 0)
		fprintf(stderr, "%s: reading the kernel's table: %s\n", prog,
			strerror(-err));
	/* hits the kernel's full map dropped are in g's dropped (printed
	 * with the table and in the summary) */
	if (sonde_bpf_agg__stats(b, &st))
		return;
	/* the kernel's count grows: the table's are those since the last */
	if (st.faults > a->faults) {
		a->table_faults += st.faults - a->faults;
		a->faults = st.faults;
	}
}
