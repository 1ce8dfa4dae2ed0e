/* SPDX-License-Identifier: MIT */
/* The tracefs backend's own state, on s->be_priv from its start to its
 * stop: the session's instance and the reader of its trace_pipe_raw. */
#ifndef SONDE_TRACEFS_STATE_H
#define SONDE_TRACEFS_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/tracefs/ring.h"
#include "internal.h"

struct tracefs_instance;

struct tracefs_state {
	struct tracefs_instance *inst;
	bool inst_created;
	/* reading (tracefs_read.c) */
	int *cpu_fd; /* per CPU trace_pipe_raw, -1 when absent */
	struct ring_layout layout;
	uint8_t *page;	  /* one ring page, as read */
	int *id_to_probe; /* event id -> probe index, -1 */
	int max_id;
	uint64_t last_wake; /* when the reader last woke for events */
	/* threads gone before their events were read (tracefs_read.c) */
	/* saved_cmdlines and saved_tgids as last read ("TID VALUE" lines):
	 * the comm and the process of threads gone before their events
	 * were read (tracefs_read.c saved_of()) */
	struct saved_copy {
		char *text;   /* or NULL (and for a numeric one) */
		uint64_t ns;  /* when it was read (CLOCK_MONOTONIC), 0: never */
		bool numeric; /* values are numbers, kept in ents */
		struct saved_ent {
			int tid;
			uint32_t v; /* the value, or its offset in text */
		} *ents;	/* by tid */
		size_t n, cap;
	} cmdlines, tgids;
	/* saved_cmdlines is read only for probes whose records carry no
	 * comm (tracepoints): so many of the session's probes were looked
	 * at, and whether one of them had none */
	int comm_checked;
	bool comm_missing;
	/* stacks (opts.stack): ftrace/kernel_stack and user_stack records */
	bool pair_stacks; /* opts.stack, or a stacktrace trigger */
	int kstack_id, ustack_id;
	struct field_layout kstack_size, kstack_caller, ustack_caller;
};

static inline struct tracefs_state *tfs_state(const struct sonde_session *s)
{
	return s->be_priv;
}

/* The session's instance, or NULL (not made yet, or removed). */
static inline struct tracefs_instance *tfs_inst(const struct sonde_session *s)
{
	return tfs_state(s) ? tfs_state(s)->inst : NULL;
}

#endif
