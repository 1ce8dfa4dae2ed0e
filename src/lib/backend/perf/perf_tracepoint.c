/* SPDX-License-Identifier: MIT */
/*
 * The kernel's own tracepoints (t:SYSTEM:EVENT) on the perf backend:
 * PERF_TYPE_TRACEPOINT with config = the event's id, the raw sample the
 * kernel's record, decoded by the event's format (read with the spec).
 * With -p (and -c), an event per CPU for every task and a pid check on
 * each sample, not per-task events: a per-task event misses what its task
 * records late in do_exit() (sched:sched_process_exit on 6.1, as
 * `perf record -e sched:sched_process_exit -- CMD` shows), where an event
 * for every task has it. With --follow-fork the followed processes are
 * -p's and every process a followed one forks, from the fork records
 * (PERF_RECORD_FORK, read before the child's samples are delivered: the
 * rings are all read before the time-ordered delivery).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"

void perf_tp_plan(struct sonde_session *s, struct probe *p,
		  struct perf_probe_state *pp)
{
	pp->mode = PM_TRACEPOINT;
	pp->pid_check = s->opts.pid > 0;
	slog(s, SONDE_LOG_DEBUG, "probe %s: tracepoint %s:%s (id %d)%s",
	     p->name, p->spec.group, p->spec.event, p->fmt.id,
	     pp->pid_check ? ", every task, samples kept by pid" : "");
}

int perf_tp_open_error(struct sonde_session *s, struct probe *p, int err)
{
	if (err == -EACCES || err == -EPERM)
		return set_err(s, EPERM, -1,
			       "perf_event_open refused tracepoint %s:%s: it "
			       "needs CAP_PERFMON or perf_event_paranoid -1",
			       p->spec.group, p->spec.event);
	if (s->err.msg[0])
		return err;
	return set_err(s, -err, -1,
		       "perf_event_open refused tracepoint %s:%s (id %d): %s",
		       p->spec.group, p->spec.event, p->fmt.id, strerror(-err));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

bool perf_tp_followed(const struct sonde_session *s, int pid)
{
	const struct perf_state *st = s->be_priv;

	if (pid == s->opts.pid)
		return true;
	return s->opts.follow_fork && st->nfollowed &&
	       bsearch(&pid, st->followed, st->nfollowed, sizeof(int),
		       cmp_int);
}

int perf_tp_forked(struct sonde_session *s, int ppid, int pid)
{
	struct perf_state *st = s->be_priv;
	int *grown;

	if (!s->opts.follow_fork || ppid == pid ||
	    !perf_tp_followed(s, ppid) || perf_tp_followed(s, pid))
		return 0;
	if (st->nfollowed == st->capfollowed) {
		st->capfollowed = st->capfollowed ? st->capfollowed * 2 : 64;
		grown = realloc(st->followed, st->capfollowed * sizeof(int));
		if (!grown)
			return -ENOMEM;
		st->followed = grown;
	}
	st->followed[st->nfollowed++] = pid;
	qsort(st->followed, st->nfollowed, sizeof(int), cmp_int);
	return 0;
}
