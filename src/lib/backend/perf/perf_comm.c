/* SPDX-License-Identifier: MIT */
/*
 * The perf backend's thread names over time. A sample carries a tid, not
 * a comm, and is delivered after every ring was read (time order,
 * order.c): by then its thread may have renamed itself (prctl, exec) or be
 * gone. So each thread keeps a short history of (time, name): from
 * PERF_RECORD_COMM (a rename or an exec, the new name), PERF_RECORD_FORK
 * (a new thread or process starts with its parent's name then) and
 * /proc/PID/task/TID/comm read when the thread is first seen (the name
 * at that instant). A sample takes the last name given at or before its
 * time. One older than every entry of its thread takes the name read
 * from /proc if no rename came between (the first entry is that read);
 * when a rename came first, the name before it is unknown: "<...>", as
 * for a thread never seen, never another name.
 * perf's own tools do the same (tools/perf/util/thread.c: comm lists).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "perf.h"

static struct pcomm *slot(struct perf_state *st, int tid)
{
	return &st->comms[(unsigned int)tid % PCOMMS];
}

/* The thread's history, or NULL when its slot holds another's. */
static struct pcomm *history(struct perf_state *st, int tid)
{
	struct pcomm *c = slot(st, tid);

	return c->n && c->tid == tid ? c : NULL;
}

/* Add (ts, name) in time order; the oldest goes when full. A slot that
 * held another thread is taken over. */
static void add(struct perf_state *st, int tid, uint64_t ts, const char *name,
		size_t len, enum pcomm_src src)
{
	struct pcomm *c = slot(st, tid);
	int i;

	if (c->tid != tid)
		c->n = 0;
	c->tid = tid;
	if (c->n == PCOMM_HIST) {
		memmove(&c->e[0], &c->e[1], (PCOMM_HIST - 1) * sizeof(c->e[0]));
		c->n--;
	}
	for (i = c->n; i > 0 && c->e[i - 1].ts > ts; i--)
		c->e[i] = c->e[i - 1];
	c->e[i].ts = ts;
	c->e[i].src = src;
	snprintf(c->e[i].comm, sizeof(c->e[i].comm), "%.*s", (int)len, name);
	c->n++;
}

static uint64_t mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void pcomm_seen(struct perf_state *st, int pid, int tid)
{
	char path[64], name[16];
	uint64_t now;
	ssize_t n;
	int fd;

	if (history(st, tid))
		return;
	/* read, then stamped: a rename stamped before now came before the
	 * read and so is in what it gave */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, name, sizeof(name) - 1);
	close(fd);
	now = mono_now();
	if (n > 0 && name[n - 1] == '\n')
		n--;
	if (n > 0)
		add(st, tid, now, name, (size_t)n, PC_PROC);
}

void pcomm_renamed(struct perf_state *st, int tid, uint64_t ts,
		   const char *name, size_t len)
{
	add(st, tid, ts, name, strnlen(name, len), PC_COMM);
}

void pcomm_forked(struct perf_state *st, int ptid, int tid, uint64_t ts)
{
	const char *name = pcomm_at(st, ptid, ptid, ts);

	if (strcmp(name, PCOMM_UNKNOWN))
		add(st, tid, ts, name, strlen(name), PC_FORK);
}

const char *pcomm_at(struct perf_state *st, int pid, int tid, uint64_t ts)
{
	struct pcomm *c = history(st, tid);
	int i;

	if (!c) { /* never seen: the name now, if it still runs */
		pcomm_seen(st, pid, tid);
		c = history(st, tid);
		if (!c)
			return PCOMM_UNKNOWN;
	}
	for (i = c->n - 1; i >= 0; i--)
		if (c->e[i].ts <= ts)
			return c->e[i].comm;
	return c->e[0].src == PC_PROC ? c->e[0].comm : PCOMM_UNKNOWN;
}
