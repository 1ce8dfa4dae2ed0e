/* SPDX-License-Identifier: MIT */
/*
 * Does this kernel have X? Each answer is probed once per process and
 * kept, as libbpf's feature_probes[] and feat_supported(): `sonde check`
 * (features.c) and the backends' choices ask here.
 */
#ifndef SONDE_KERNEL_FEATURE_H
#define SONDE_KERNEL_FEATURE_H

#include <stdbool.h>

enum kernel_feature {
	KERNEL_FEATURE_UPROBE_PMU,	 /* perf_event_open uprobes (4.17) */
	KERNEL_FEATURE_KPROBE_PMU,	 /* perf_event_open kprobes (4.17) */
	KERNEL_FEATURE_BPF,		 /* bpf() works for this process */
	KERNEL_FEATURE_BPF_RINGBUF,	 /* BPF_MAP_TYPE_RINGBUF (5.8) */
	KERNEL_FEATURE_BPF_UPROBE_MULTI, /* uprobe_multi links (6.6) */
	KERNEL_FEATURE_BPF_KPROBE_MULTI, /* kprobe_multi links (5.18, fprobe) */
	KERNEL_FEATURE_COUNT,
};

/* The answer for f, probed on the first call. */
bool kernel_feature_has(enum kernel_feature f);

#endif
