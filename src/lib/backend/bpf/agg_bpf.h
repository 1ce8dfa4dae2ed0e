/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel aggregation's handle (sonde_bpf_agg__*), shared by
 * agg_bpf.c, which plans, loads and attaches its programs, and
 * agg_bpf_read.c, which reads its maps back into a sonde_agg.
 */
#ifndef SONDE_AGG_BPF_H
#define SONDE_AGG_BPF_H

#include "bpf_int.h"
#include "internal.h"
#include "sonde_bpf.h"

struct group; /* agg_bpf.c: probes of one program and one link */

struct sonde_bpf_agg {
	struct sonde_session *s;
	struct sonde_bpf_agg_opts o;
	struct gen_agg gen; /* the template's parameters (fds filled) */
	int key_slots;
	int ncpus;
	struct group *groups;
	int ngroups;
	int *links;
	int nlinks, cap_links;
	int multi_links, kmulti_links, perf_events;
	char arg_kind[SONDE_AGG_MAX_KEYS]; /* agg key kind of ARG keys */
	uint64_t dropped_read;	  /* AST_DROPPED at the last clearing read */
	struct bpf_follow follow; /* -c, -p with follow_fork (follow.c) */
};

#endif
