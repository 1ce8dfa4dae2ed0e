/* SPDX-License-Identifier: MIT */
/* sonde count and hist with the table kept in the kernel by BPF. */
#ifndef SONDE_CLI_AGG_KERNEL_H
#define SONDE_CLI_AGG_KERNEL_H

#include "agg.h"

/*
 * The library's plan for this command's aggregation (sonde_agg__plan())
 * with its options; hist: the --hist the user gave, or NULL. a->s may
 * be NULL still (before the probes are added).
 */
int agg_plan(struct agg_cli *a, enum sonde_agg_kind kind, const char *hist,
	     struct sonde_agg_plan *p);
/*
 * The plan's BPF path: the session's probes aggregated by generated BPF
 * programs (keys: the probe's name, then a->keys; with_value: a
 * histogram of a->value). Returns 1 with *out set when the kernel
 * aggregates (the session is not started), 0 to try the plan's next
 * path, or an exit status when BPF was the last (--backend bpf).
 */
int agg_kernel_open(struct agg_cli *a, bool with_value,
		    const struct sonde_agg_plan *p, bool last,
		    struct sonde_bpf_agg **out);
/* The kernel's table into g (cleared first); clear: an interval's. */
void agg_kernel_read(struct agg_cli *a, struct sonde_bpf_agg *b,
		     struct sonde_agg *g, bool clear);

#endif
