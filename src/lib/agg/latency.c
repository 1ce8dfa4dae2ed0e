/* SPDX-License-Identifier: MIT */
/*
 * Latency pairing: one stack of open entries per (function, thread), in an
 * open-addressing table. A thread's entries and returns come in time order
 * (the kernel writes them from that thread), so a return closes the newest
 * open entry of its function: recursion and nested calls pair correctly.
 *
 * Only threads inside a traced function hold state: a stack is removed
 * when its last entry returns, and sonde_latency__forget_exited() drops
 * the entries of threads that ended inside one (counted as entries
 * without return), so the table stays as small as the calls in flight,
 * however many processes come and go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"

struct open_call {
	uint64_t ts, cookie;
};

struct call_stack {
	int fn, tid; /* tid 0 = empty slot: the idle task is never probed */
	int depth, cap;
	struct open_call *calls;
	uint64_t dead_since; /* CLOCK_MONOTONIC ns it was first seen gone */
};

struct fn_stats {
	uint64_t paired, orphans;
	uint64_t gone; /* entries of threads that ended before returning */
};

struct sonde_latency {
	struct call_stack *slots;
	size_t nslots, used;
	struct fn_stats *fns;
	int nfns;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

struct sonde_latency *sonde_latency__new(void)
{
	return calloc(1, sizeof(struct sonde_latency));
}

void sonde_latency__free(struct sonde_latency *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nslots; i++)
		free(l->slots[i].calls);
	free(l->slots);
	free(l->fns);
	free(l);
}

static size_t home_slot(const struct sonde_latency *l, int fn, int tid)
{
	return mix(mix(0, fn), tid) & (l->nslots - 1);
}

static size_t stack_slot(const struct sonde_latency *l, int fn, int tid)
{
	size_t j = home_slot(l, fn, tid);

	while (l->slots[j].tid &&
	       (l->slots[j].tid != tid || l->slots[j].fn != fn))
		j = (j + 1) & (l->nslots - 1);
	return j;
}

/* Empty slot j (linear probing): later slots of the same run that would
 * not be found past the hole move back into it. */
static void remove_slot(struct sonde_latency *l, size_t j)
{
	size_t mask = l->nslots - 1, k = j, h;

	free(l->slots[j].calls);
	memset(&l->slots[j], 0, sizeof(l->slots[j]));
	l->used--;
	for (;;) {
		k = (k + 1) & mask;
		if (!l->slots[k].tid)
			return;
		h = home_slot(l, l->slots[k].fn, l->slots[k].tid);
		/* k stays when its home lies cyclically in (j, k] */
		if (j <= k ? (j < h && h <= k) : (j < h || h <= k))
			continue;
		l->slots[j] = l->slots[k];
		memset(&l->slots[k], 0, sizeof(l->slots[k]));
		j = k;
	}
}

static int grow_stacks(struct sonde_latency *l)
{
	size_t n = l->nslots ? l->nslots * 2 : 256, i, j;
	struct call_stack *old = l->slots, *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	l->slots = slots;
	i = l->nslots;
	l->nslots = n;
	while (i--) {
		if (!old[i].tid)
			continue;
		j = stack_slot(l, old[i].fn, old[i].tid);
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

static struct fn_stats *fn_stats(struct sonde_latency *l, int fn)
{
	struct fn_stats *f;

	if (fn < 0)
		return NULL;
	if (fn >= l->nfns) {
		f = realloc(l->fns, (fn + 1) * sizeof(*f));
		if (!f)
			return NULL;
		memset(f + l->nfns, 0, (fn + 1 - l->nfns) * sizeof(*f));
		l->fns = f;
		l->nfns = fn + 1;
	}
	return &l->fns[fn];
}

int sonde_latency__entry(struct sonde_latency *l, int fn, int tid, uint64_t ts,
			 uint64_t cookie)
{
	struct call_stack *cs;
	struct open_call *c;
	size_t j;

	if (!l || tid <= 0 || !fn_stats(l, fn))
		return l && tid > 0 && fn >= 0 ? -ENOMEM : -EINVAL;
	if ((l->used + 1) * 2 > l->nslots && grow_stacks(l))
		return -ENOMEM;
	j = stack_slot(l, fn, tid);
	cs = &l->slots[j];
	if (!cs->tid) {
		cs->tid = tid;
		cs->fn = fn;
		l->used++;
	}
	if (cs->depth == cs->cap) {
		c = realloc(cs->calls,
			    (cs->cap ? cs->cap * 2 : 4) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		cs->calls = c;
		cs->cap = cs->cap ? cs->cap * 2 : 4;
	}
	cs->calls[cs->depth++] = (struct open_call){ts, cookie};
	cs->dead_since = 0;
	return 0;
}

int sonde_latency__return(struct sonde_latency *l, int fn, int tid, uint64_t ts,
			  uint64_t *ns, uint64_t *cookie)
{
	struct fn_stats *f;
	struct call_stack *cs;
	struct open_call c;
	size_t j = 0;

	if (!l || tid <= 0 || !(f = fn_stats(l, fn)))
		return -EINVAL;
	if (l->nslots)
		j = stack_slot(l, fn, tid);
	cs = l->nslots ? &l->slots[j] : NULL;
	if (!cs || !cs->tid || !cs->depth) {
		f->orphans++;
		return -ENOENT;
	}
	c = cs->calls[--cs->depth];
	if (!cs->depth)
		remove_slot(l, j);
	f->paired++;
	*ns = ts > c.ts ? ts - c.ts : 0;
	if (cookie)
		*cookie = c.cookie;
	return 0;
}

/* Has the thread ended (no /proc entry, or a zombie)? */
static bool thread_gone(int tid)
{
	const char *proc = getenv("SONDE_PROC_ROOT");
	char path[128], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/stat", proc ? proc : "/proc", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "tid (comm) S ...": the comm may hold ')' (proc(5)) */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

int sonde_latency__forget_exited(struct sonde_latency *l, uint64_t paired_ns)
{
	uint64_t now = mono_ns();
	struct call_stack *cs;
	int forgotten = 0;
	size_t j;

	if (!l)
		return -EINVAL;
	for (j = 0; j < l->nslots; j++) {
		cs = &l->slots[j];
		if (!cs->tid || !thread_gone(cs->tid)) {
			if (cs->tid)
				cs->dead_since = 0;
			continue;
		}
		if (!cs->dead_since)
			cs->dead_since = now;
		/* its return, if any, came before it was seen gone: given to
		 * the pairing by paired_ns (the same clock) */
		if (cs->dead_since >= paired_ns)
			continue;
		forgotten += cs->depth;
		if (cs->fn < l->nfns)
			l->fns[cs->fn].gone += cs->depth;
		remove_slot(l, j);
		/* a slot moved back into j is looked at again */
		j--;
	}
	return forgotten;
}

int sonde_latency__stats(const struct sonde_latency *l, int fn,
			 struct sonde_latency_stats *st)
{
	struct sonde_latency_stats out = {.sz = sizeof(out)};
	size_t i;

	if (!l || !st || fn < 0)
		return -EINVAL;
	if (fn < l->nfns) {
		out.paired = l->fns[fn].paired;
		out.orphan_returns = l->fns[fn].orphans;
		out.open_entries = l->fns[fn].gone;
		out.exited_entries = l->fns[fn].gone;
	}
	for (i = 0; i < l->nslots; i++)
		if (l->slots[i].tid && l->slots[i].fn == fn)
			out.open_entries += l->slots[i].depth;
	memcpy(st, &out, st->sz < sizeof(out) ? st->sz : sizeof(out));
	return 0;
}
