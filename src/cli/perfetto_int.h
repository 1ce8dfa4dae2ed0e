/* SPDX-License-Identifier: MIT */
/* The timeline writer's state, shared by perfetto.c (events, the
 * writing) and perfetto_msg.c (sonde run's messages). */
#ifndef SONDE_CLI_PERFETTO_INT_H
#define SONDE_CLI_PERFETTO_INT_H

#include <stdint.h>
#include <stdio.h>

#include "perfetto.h"

struct rec {
	uint64_t ts;
	int pid, tid, probe;
	bool ret;
	char comm[16];
	char *args; /* a JSON object, or NULL */
};

/* Per probe: the slice it opens or closes, or an instant. */
struct tl_probe {
	const char *name; /* the session's */
	int fn;		  /* the function of a pair, -1: an instant */
	bool ret;
};

struct tl_fn {
	char *name;
	struct sonde_probe_site site;
	int entry, ret;
};

struct thr {
	int tid, pid;
	char comm[16];
	uint64_t last_ts;
	int *stack; /* open slices: function indexes, innermost last */
	int depth, cap;
};

struct proc {
	int pid;
	char name[16];
	bool main_seen;	  /* name is the main thread's (tid == pid) comm */
	uint64_t *counts; /* per probe */
};

struct timeline {
	const char *path;
	FILE *own;	/* path's file, once opened */
	bool own_names; /* probes[].name strdup'd (timeline_message) */
	int nprobes;
	struct tl_probe *probes;
	struct tl_fn *fns;
	int nfns;
	struct rec *buf;
	size_t n, cap;
	uint64_t max_ts;
	void *threads, *procs; /* tsearch trees */
	bool started, failed, oom;
	unsigned long nwritten;
	/* what was not drawn as it came, for otherData and stderr */
	uint64_t orphan_returns, no_return, unfinished, late, no_pid;
	uint64_t unnamed;
};

/* A new record at the buffer's end (its fields the caller's, zeroed),
 * or NULL (t->oom set). */
struct rec *timeline_add_rec(struct timeline *t, uint64_t ts);

#endif
