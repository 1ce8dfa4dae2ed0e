/* SPDX-License-Identifier: MIT */
/* The bpf backend's state, shared by backend.c and ringbuf.c. */
#ifndef SONDE_BPF_STREAM_H
#define SONDE_BPF_STREAM_H

#include "internal.h"

struct ring_buffer;
struct pprobe;

/* Probes of one file, kind and argument list: one program. */
struct bgroup {
	int first; /* its first probe: the layout of all */
	int cnt;
	int prog_fd;
};

struct bstate {
	struct pprobe *pp; /* per probe: compiled args, record layout */
	struct bgroup *groups;
	int ngroups;
	int *group_of; /* per probe */
	int *links;    /* link fds: each owns its uprobes */
	int nlinks, caplinks;
	int multi_links, perf_events;
	int ring_fd, scratch_fd, lost_fd;
	struct ring_buffer *rb;
	uint8_t *rec;	 /* a record being completed (uretprobes) */
	uint64_t *lostv; /* per CPU, read from lost_fd */
	int stop;	 /* the callback's non-zero value */
};

/* ringbuf.c */
int bring_sample(void *ctx, void *data, size_t len);
int bring_poll(struct sonde_session *s, int timeout_ms);
int bring_drain(struct sonde_session *s);

#endif
