/* SPDX-License-Identifier: MIT */
/* The bpf backend's state, shared by backend.c and ringbuf.c. */
#ifndef SONDE_BPF_STREAM_H
#define SONDE_BPF_STREAM_H

#include "internal.h"

struct ring_buffer;
struct fetch_arg;

/* maps_track.c: the mappings of the process of -p or -c, from the mmap
 * records of a dummy perf event on it (fd -1: none) */
struct bpf_maps_track {
	int fd;
	void *base;	 /* the mmap: the meta page, then the data area */
	size_t size;	 /* the data area, a power of 2 */
	size_t page;
};
void bpf_maps_track_open(struct sonde_session *s, struct bpf_maps_track *t);
/* The records written since: the mappings into the session's symcache. */
void bpf_maps_track_read(struct sonde_session *s, struct bpf_maps_track *t);
void bpf_maps_track_close(struct bpf_maps_track *t);

/* Probes of one file, kind and argument list: one program. */
struct bgroup {
	int first; /* its first probe: the layout of all */
	int cnt;
	int prog_fd;
	bool multi; /* a uprobe_multi / kprobe_multi link, else perf events */
};

struct bstate {
	struct bgroup *groups;
	int ngroups;
	int *group_of; /* per probe */
	int *links;    /* link fds: each owns its uprobes */
	int nlinks, caplinks;
	int multi_links, perf_events;
	int ring_fd, scratch_fd, lost_fd;
	struct ring_buffer *rb;
	uint8_t *rec;	 /* a record being completed (return probes) */
	uint64_t *kfunc; /* per probe: a kretprobe's function address */
	uint64_t *lostv; /* per CPU, read from lost_fd */
	struct bpf_follow follow; /* -c, -p with follow_fork (follow.c) */
	uint64_t frames[256];	  /* a record's unwound user stack */
	struct bpf_maps_track maps; /* --call-graph dwarf with -p, -c */
};

/* bpf_fits.c: a kprobe arg's memory (GS_UDEREF, GS_USTR), -1 when it
 * mixes user and kernel derefs; each probe checked and its record's format
 * made (0, or -errno with the session's error set); the ops' fits */
int bpf_kmem_of(const struct fetch_arg *a);
/* The bytes of user stack p's program copies before its record (struct
 * stream_ustack), 0 for none: --call-graph dwarf. */
unsigned int bpf_ustack(const struct sonde_session *s, const struct probe *p);
int bpf_plan_formats(struct sonde_session *s);
bool bpf_fits(const struct sonde_session *s, enum backend_step step, char *why,
	      size_t len);

/* plan.c: probes into groups (one program, one multi link each), then
 * each group's attach mode; why (may be NULL) gets the reason for perf
 * events where a multi link is not taken, "" when every group is one */
int bpf_plan_groups(struct sonde_session *s, struct bstate *st);
void bpf_plan_modes(struct sonde_session *s, struct bstate *st, char *why,
		    size_t len);
/* The same plan, counted into out (its counters start at zero). */
int bpf_plan_attach(struct sonde_session *s, struct sonde_attach_plan *out);

/* kprobe_multi takes functions by name, at their entry, in vmlinux (a
 * module's were added in 6.5): the rest take one kprobe PMU event each. */
static inline bool bpf_kmulti_fits(const struct probe *p)
{
	return p->spec.symbol && !p->spec.target && !p->spec.offset &&
	       !p->spec.has_addr;
}

/* backend.c: the kprobes cookies[] name (probe indexes of s), one
 * kprobe_multi link or one kprobe PMU event each, into fds. Returns how
 * many fds or -errno (with the session's error set). */
int bpf_attach_kprobes(struct sonde_session *s, int prog_fd,
		       const uint64_t *cookies, int n, bool multi, int *fds);

/* tracepoint.c: tracepoints (PROBE_TRACEPOINT), whose record is the
 * kernel's own (p->fmt, every offset the kernel's) */
bool bpf_is_tracepoint(const struct probe *p);
/* 0, or -errno with why set: the program cannot send p's record. */
int bpf_tp_fit(const struct probe *p, char *why, size_t len);
/* What gen_tp.c copies of p's record: the fixed part's bytes (the end of
 * its last field) and the dynamic fields (at most GEN_TP_MAX_DYN). */
int bpf_tp_layout(const struct probe *p, struct gen_tp_dyn *dyn, size_t *ndyn,
		  unsigned int *fixed);
/* Field name of p as an aggregation key or value (GS_CTX), and its kind
 * as the events aggregated in user space give it; -errno with why. */
int bpf_tp_field(const struct probe *p, const char *name, struct gsrc_spec *g,
		 enum sonde_agg_key_kind *kind, char *why, size_t len);
/* One tracepoint event each for the probes cookies[] names, into fds.
 * Returns n or -errno (with the session's error set). */
int bpf_attach_tracepoints(struct sonde_session *s, int prog_fd,
			   const uint64_t *cookies, int n, int *fds);

/* ringbuf.c */
int bpf_ring_sample(void *ctx, void *data, size_t len);
int bpf_ring_poll(struct sonde_session *s, int timeout_ms);
int bpf_ring_drain(struct sonde_session *s);

#endif
