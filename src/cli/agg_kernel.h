/* SPDX-License-Identifier: MIT */
/* sonde count and hist with the table kept in the kernel by BPF. */
#ifndef SONDE_CLI_AGG_KERNEL_H
#define SONDE_CLI_AGG_KERNEL_H

#include "agg.h"

/*
 * For --backend bpf, or auto where uprobe_multi links exist: the session's
 * probes aggregated by generated BPF programs (keys: the probe's name,
 * then a->keys; with_value: a histogram of a->value). Returns 1 with *out
 * set when the kernel aggregates (the session is not started), 0 to
 * stream instead, or an exit status (--backend bpf that cannot).
 */
int agg_kernel_open(struct agg_cli *a, bool with_value,
		    struct sonde_bpf_agg **out);
/* The kernel's table into g (cleared first); clear: an interval's. */
void agg_kernel_read(struct agg_cli *a, struct sonde_bpf_agg *b,
		     struct sonde_agg *g, bool clear);

#endif
