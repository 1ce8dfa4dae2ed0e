/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation through generated BPF programs: the same counts,
 * keyed counts, histograms and latencies as the user-space engine
 * (sonde_agg, sonde.h), kept in BPF maps and read back into a struct
 * sonde_agg, so the printers are shared. Meant for sonde.h's
 * "Aggregations" section; ownership rules are sonde.h's.
 *
 * The probes are a session's (sonde_session__add_probe()), used instead of
 * starting the session: the session is never started. Every probe of one
 * file is one uprobe_multi link where the kernel has them (6.6+), else one
 * perf event per probe; links and maps belong to file descriptors, so
 * nothing is left in the kernel when the process ends, however it ends.
 */
#ifndef SONDE_BPF_H
#define SONDE_BPF_H

#include <sonde/sonde.h>

enum sonde_bpf_src {
	SONDE_BPF_NONE = 0,
	SONDE_BPF_PROBE,   /* key: the probe's index in the session */
	SONDE_BPF_PID,	   /* key: process id */
	SONDE_BPF_TID,	   /* key: thread id */
	SONDE_BPF_COMM,	   /* key: the thread's comm (a string) */
	SONDE_BPF_CPU,	   /* key: CPU number */
	SONDE_BPF_ARG,	   /* key or value: the probe argument named arg
			    * (a register or $retval fetch, any integer type) */
	SONDE_BPF_LATENCY, /* value: ns from entry to return of each call
			    * (the probes are entry probes; their returns
			    * are probed too; recursion nests per thread) */
};

struct sonde_bpf_key {
	enum sonde_bpf_src src;
	const char *arg; /* SONDE_BPF_ARG: the argument's name (borrowed) */
};

struct sonde_bpf_agg_opts {
	size_t sz;
	int nkeys; /* 0..SONDE_AGG_MAX_KEYS */
	struct sonde_bpf_key keys[SONDE_AGG_MAX_KEYS];
	struct sonde_bpf_key value; /* SONDE_BPF_NONE: plain counts */
	enum sonde_agg_hist hist;   /* with a value: LOG2 or LINEAR */
	int64_t min, max, step;	    /* SONDE_AGG_LINEAR */
	unsigned int max_entries;   /* distinct keys (x buckets); 0 = 10240 */
	/* use one perf event per probe even where uprobe_multi exists */
	bool no_multi;
};

struct sonde_bpf_agg;

/*
 * Build the programs and maps for the session's probes and attach them.
 * NULL with errno set: ENOTSUP (a kprobe, an argument BPF cannot fetch,
 * no BPF), EINVAL (bad options); sonde_session__errmsg(s) then holds one
 * sentence saying why.
 */
struct sonde_bpf_agg *sonde_bpf_agg__open(struct sonde_session *s,
					  const struct sonde_bpf_agg_opts *opts);
/* Detach, free the maps (the fds' close does it in the kernel). */
void sonde_bpf_agg__close(struct sonde_bpf_agg *a);

/*
 * Add what the kernel counted into out, which must have been made with
 * nkeys = opts.nkeys and the same hist/min/max/step. Counts, buckets, sum,
 * min and max come out exactly as sonde_agg__add() of each value would
 * give. clear: take the rows out of the kernel while reading (intervals).
 * Returns the number of kernel entries read or -errno.
 */
int sonde_bpf_agg__read(struct sonde_bpf_agg *a, struct sonde_agg *out,
			bool clear);

struct sonde_bpf_agg_stats {
	size_t sz;
	uint64_t dropped; /* hits lost to a full map (raise max_entries) */
	uint64_t orphans; /* latency: returns whose entry was not seen */
	int links;	  /* multi-probe links made */
	int perf_events;  /* per-probe perf events made (fallback) */
};
int sonde_bpf_agg__stats(const struct sonde_bpf_agg *a,
			 struct sonde_bpf_agg_stats *st);

#endif
