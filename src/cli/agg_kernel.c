/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation for sonde count and hist: the kernel keeps the
 * table (sonde_bpf_agg__open()), read into the same sonde_agg the
 * printers take, so the tables are those of events counted here. A
 * field read through a pointer is not aggregated there: the events are,
 * here, where a read that faulted is left out and counted.
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

int agg_kernel_open(struct agg_cli *a, bool with_value,
		    struct sonde_bpf_agg **out)
{
	struct sonde_bpf_agg_opts o = {.sz = sizeof(o)};
	struct sonde_features f = {.sz = sizeof(f)};
	struct sonde_bpf_agg_stats st = {.sz = sizeof(st)};
	bool asked = a->o.backend == SONDE_BACKEND_BPF;
	int i;

	*out = NULL;
	if (a->in_user || (!asked && a->o.backend != SONDE_BACKEND_AUTO))
		return 0;
	if (!asked && (sonde_features__probe(&f) || !f.bpf_uprobe_multi))
		return 0;
	/* The program reads registers only: a field read through a pointer
	 * is streamed, where each event says whether its read faulted, so a
	 * fault is left out of the table, never counted as a 0. */
	for (i = 0; i <= a->nkeys; i++) {
		const struct key_def *k =
			i < a->nkeys ? &a->keys[i] : &a->value;

		if (k->kind != KEY_FIELD || (i == a->nkeys && !with_value) ||
		    !agg_field_reads_memory(a, k->name))
			continue;
		if (a->o.verbose)
			fprintf(stderr,
				"%s: not aggregated in the kernel: '%s' is "
				"read through a pointer; its faults are left "
				"out here\n",
				prog, k->name);
		return 0;
	}
	o.nkeys = a->nkeys + 1;
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
	if (!*out) {
		if (asked) {
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
	for (i = 0; a->o.verbose && i < a->nprobes; i++)
		fprintf(stderr, "%s: %s: %s in the kernel (BPF, %s)\n", prog,
			sonde_session__probe_name(a->s, i),
			with_value ? "aggregated" : "counted",
			st.links ? "uprobe_multi link" : "perf event");
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
	if (!sonde_bpf_agg__stats(b, &st) && st.dropped)
		fprintf(stderr,
			"%s: %llu hits were not counted: the kernel's table is "
			"full\n",
			prog, (unsigned long long)st.dropped);
	(void)a;
}
