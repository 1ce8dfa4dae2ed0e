/* SPDX-License-Identifier: MIT */
/*
 * Events in time order across per-CPU buffers (order.c), and the order in
 * which probes on one site are registered so that one hit gives their
 * events in spec order.
 */
#ifndef SONDE_ORDER_H
#define SONDE_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How long a record is held back for records of other CPUs that may still
 * precede it: what is not in a buffer when the reader starts a round was
 * reserved (and time-stamped) less than this before, or it is late.
 */
#define ORDER_HOLD_NS 10000000ull

struct oq_item {
	uint64_t ts;
	uint64_t seq; /* arrival: equal times keep it */
	size_t off;   /* the record, in the queue's arena */
	uint32_t len;
	int cpu;
	size_t aux_off; /* an attachment (a stack record), aux_len 0 if none */
	uint32_t aux_len;
	int aux_kind;
	uint64_t faults;    /* fault.c's mask, taken when the record was read */
	uint64_t unchecked; /* fault.c's: 0s it could not check */
	int tag;	    /* the reader's (the probe), 0 unless set */
};

struct oqueue {
	uint8_t *buf, *spare; /* arena, and the one compaction moves to */
	size_t len, cap, spare_cap;
	struct oq_item *items;
	size_t n, cap_items;
	uint64_t seq;
	uint64_t flushed; /* everything up to this time was delivered */
	uint64_t late;	  /* records that came after a later one was out */
};

/* Copy a record in (faults: its fault mask). 0 or -ENOMEM. */
int oq_push(struct oqueue *q, uint64_t ts, int cpu, const void *rec, size_t len,
	    uint64_t faults);
/* Attach data to cpu's last record when it has no attachment yet (a stack
 * record follows its event on the same CPU). 1 if attached, 0 if not,
 * -ENOMEM. */
int oq_attach(struct oqueue *q, int cpu, const void *data, size_t len,
	      int kind);
/* A record of cpu that is not queued came: what follows is not for the
 * last queued one. */
void oq_close_attach(struct oqueue *q, int cpu);
typedef int (*oq_fn)(const struct oq_item *it, const uint8_t *rec,
		     const uint8_t *aux, void *ctx);
/* Hand over, in (time, arrival) order, every record stamped at or before
 * upto; the others stay. Stops at fn's non-zero value, which it returns
 * (what was not handed over stays). */
int oq_flush(struct oqueue *q, uint64_t upto, oq_fn fn, void *ctx);
/* The record pushed last (after oq_push() returned 0). */
static inline struct oq_item *oq_last(struct oqueue *q)
{
	return &q->items[q->n - 1];
}
static inline bool oq_empty(const struct oqueue *q)
{
	return q->n == 0;
}
void oq_free(struct oqueue *q);

/* CLOCK_MONOTONIC in ns: the clock of trace_clock "mono" and of perf's
 * clockid CLOCK_MONOTONIC. */
uint64_t order_now(void);

struct sonde_session;
/* Do two probes of s share a site (one kernel uprobe or kprobe)? */
bool probes_share_site(const struct sonde_session *s);
/* The index of the n-th probe of s to register with the kernel, so that
 * one hit gives the probes of a site in spec order (see order.c). */
int register_order(const struct sonde_session *s, int n);

#endif
