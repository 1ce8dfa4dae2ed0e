/* SPDX-License-Identifier: MIT */
/*
 * What every backend's reader shares: the task cache (tid -> pid, comm,
 * read from /proc while the thread lives, the backend asked when it is
 * gone), the hand-over of a record to the caller's callback with -p
 * filtering and the counters, and the session's epoll fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sym/unwind.h"

/* tid -> task_info, read from /proc once per thread. */
static void task_read(struct task_info *t)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	t->pid = -1;
	t->gone_ns = 0;
	snprintf(t->comm, sizeof(t->comm), "<...>");
	snprintf(path, sizeof(path), "/proc/%d/status", t->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (!strncmp(buf, "Name:\t", 6)) {
		p = buf + 6;
		n = strcspn(p, "\n");
		if (n > 15)
			n = 15;
		memcpy(t->comm, p, n);
		t->comm[n] = '\0';
	}
	p = strstr(buf, "\nTgid:\t");
	if (p)
		t->pid = atoi(p + 7);
}

/* The slot of tid in tasks (cap a power of two): its own, or the empty
 * one where it goes. */
static struct task_info *task_slot(struct task_info *tasks, size_t cap,
				   int tid)
{
	unsigned int i, mask = (unsigned int)cap - 1;
	struct task_info *t;

	for (i = ((unsigned int)tid * 2654435761u) & mask;;
	     i = (i + 1) & mask) {
		t = &tasks[i];
		if (!t->comm[0] || t->tid == tid)
			return t;
	}
}

/* Up to this many threads the table grows; past it, it is emptied (/proc
 * and the backend are the source): a drain after a storm of short-lived
 * processes looks each up twice, when read and when handed over, and a
 * thread forgotten between the two was looked up again as gone. */
#define TASKS_MAX 65536

static int tasks_room(struct sonde_session *s)
{
	struct task_info *grown;
	size_t i, cap = s->ntasks_cap ? 2 * (size_t)s->ntasks_cap : 1024;

	if (s->tasks && s->ntasks * 4 < s->ntasks_cap * 3)
		return 0;
	if (s->tasks && cap > TASKS_MAX) {
		memset(s->tasks, 0, s->ntasks_cap * sizeof(*s->tasks));
		s->ntasks = 0;
		return 0;
	}
	grown = calloc(cap, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	for (i = 0; s->tasks && i < s->ntasks_cap; i++)
		if (s->tasks[i].comm[0])
			*task_slot(grown, cap, s->tasks[i].tid) = s->tasks[i];
	free(s->tasks);
	s->tasks = grown;
	s->ntasks_cap = (unsigned int)cap;
	return 0;
}

struct task_info *task_lookup(struct sonde_session *s, int tid)
{
	struct task_info *t;

	/* under 3/4 full */
	if (tasks_room(s))
		return NULL;
	t = task_slot(s->tasks, s->ntasks_cap, tid);
	if (t->comm[0])
		return t;
	t->tid = tid;
	task_read(t);
	/* user stacks are named through the process's maps: read them now */
	if (s->opts.stack && t->pid > 0)
		symcache_prime(&s->syms, t->pid);
	/* gone: what the backend recorded of it, if anything */
	if (t->pid < 0 && s->be && s->be->task_gone)
		s->be->task_gone(s, t);
	s->ntasks++;
	return t;
}

int event_hand_over(struct sonde_session *s, struct sonde_event *ev)
{
	if (ev->faults)
		s->faults += __builtin_popcountll(ev->faults);
	if (ev->unchecked)
		s->unchecked += __builtin_popcountll(ev->unchecked);
	s->events++;
	if (s->cb) {
		s->cb_ret = s->cb(ev, s->cb_ctx);
		return s->cb_ret;
	}
	return 0;
}

int events_deliver(struct sonde_session *s, int probe, const void *rec,
		   size_t len, uint64_t ts, int cpu, int pid, int tid,
		   const char *comm, const uint64_t *frames, int nframes,
		   int kframes, uint64_t faults, uint64_t unchecked)
{
	struct task_info *t;
	struct sonde_event ev = {
		.s = s,
		.p = &s->probes[probe],
		.probe = probe,
		.rec = rec,
		.len = len,
		.ts = ts,
		.cpu = cpu,
		.frames = frames,
		.nframes = nframes,
		.kframes = kframes,
		.frames_user = kframes == 0,
		.faults = faults,
		.unchecked = unchecked,
	};

	t = task_lookup(s, tid);
	/* the backend knows better than /proc, which may be gone by now;
	 * the cached comm is rewritten only when it changed (exec) */
	if (t && pid > 0)
		t->pid = pid;
	if (t && comm && *comm && strcmp(comm, "<...>") &&
	    strncmp(t->comm, comm, sizeof(t->comm) - 1))
		snprintf(t->comm, sizeof(t->comm), "%s", comm);
	ev.task = t;
	if (s->opts.pid > 0 && !s->opts.follow_fork && ev.task &&
	    ev.task->pid > 0 && ev.task->pid != s->opts.pid)
		return 0;
	return event_hand_over(s, &ev);
}

void events_close(struct sonde_session *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	s->epfd = -1;
	if (s->oq.late)
		slog(s, SONDE_LOG_DEBUG,
		     "%llu events came after a later one had been delivered",
		     (unsigned long long)s->oq.late);
	oq_free(&s->oq);
	free(s->tasks);
	s->tasks = NULL;
	symcache_free(s->syms);
	s->syms = NULL;
	unwind_free(s->unw);
	s->unw = NULL;
	s->ntasks_cap = 0;
	/* s->lost stays: stats remain readable after the end */
}

void sonde_session__set_callback(struct sonde_session *s, sonde_event_fn fn,
				 void *ctx)
{
	s->cb = fn;
	s->cb_ctx = ctx;
}

int sonde_session__fd(const struct sonde_session *s)
{
	return s ? s->epfd : -EINVAL;
}
