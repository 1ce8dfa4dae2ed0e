/* SPDX-License-Identifier: MIT */
/*
 * Reading: one non-blocking trace_pipe_raw fd per CPU in an epoll set,
 * pages walked by ring.c, records matched to probes by event id, merged
 * across CPUs in time order (order.c) and handed to the caller as struct
 * sonde_event, decoded lazily by the accessors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "internal.h"

static int layout_load(struct sonde_session *s)
{
	char *text = tracefs_instance_file_read(NULL, "events/header_page",
						NULL);
	long long kb;

	ring_layout_default(&s->layout);
	if (text)
		ring_layout_parse(text, &s->layout);
	free(text);
	/* kernels since 6.8 let sub-buffers grow (buffer_subbuf_size_kb) */
	if (tracefs_instance_file_read_number(s->inst, "buffer_subbuf_size_kb",
					      &kb) == 0 &&
	    kb > 0 && kb <= 1024)
		s->layout.page_size = kb * 1024;
	s->page = malloc(s->layout.page_size);
	return s->page ? 0 : -ENOMEM;
}

int events_map_probe(struct sonde_session *s, int i)
{
	struct probe *p = &s->probes[i];
	int *grown, id;

	if (!p->strbuf) {
		p->strbuf = calloc(p->fmt.nfields ? p->fmt.nfields : 1,
				   sizeof(char *));
		if (!p->strbuf)
			return -ENOMEM;
	}
	if (p->fmt.id < 0 || p->fmt.id > 65535) /* common_type is a u16 */
		return 0;
	if (p->fmt.id > s->max_id || !s->id_to_probe) {
		grown = realloc(s->id_to_probe, (p->fmt.id + 1) * sizeof(int));
		if (!grown)
			return -ENOMEM;
		for (id = s->id_to_probe ? s->max_id + 1 : 0; id <= p->fmt.id;
		     id++)
			grown[id] = -1;
		s->id_to_probe = grown;
		s->max_id = p->fmt.id;
	}
	s->id_to_probe[p->fmt.id] = i;
	return 0;
}

void events_unmap_probe(struct sonde_session *s, int i)
{
	const struct probe *p = &s->probes[i];

	if (s->id_to_probe && p->fmt.id >= 0 && p->fmt.id <= s->max_id &&
	    s->id_to_probe[p->fmt.id] == i)
		s->id_to_probe[p->fmt.id] = -1;
}

static int id_map(struct sonde_session *s)
{
	int i, err;

	for (i = 0; i < s->nprobes; i++) {
		err = events_map_probe(s, i);
		if (err)
			return err;
	}
	return 0;
}

static const struct field_layout *field_named(const struct event_format *f,
					      const char *name)
{
	size_t i;

	for (i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, name))
			return &f->fields[i];
	return NULL;
}

/* ftrace/kernel_stack: "int size; unsigned long caller[]" (size = number
 * of entries, the record may be longer than the format's caller[8]);
 * ftrace/user_stack: "unsigned int tgid; unsigned long caller[8]", ended by
 * a zero entry (kernel/trace/trace_entries.h). */
static int stack_formats_load(struct sonde_session *s)
{
	static const char *names[] = { "kernel_stack", "user_stack" };
	struct event_format f;
	const struct field_layout *a, *b;
	char *text;
	int i, id;

	s->kstack_id = s->ustack_id = -1;
	for (i = 0; i < 2; i++) {
		text = tracefs_event_file_read(NULL, "ftrace", names[i],
					       "format", NULL);
		memset(&f, 0, sizeof(f));
		if (!text || event_format_parse(text, &f)) {
			free(text);
			return set_err(s, ENOTSUP, -1,
				       "this kernel cannot record stacks with events (ftrace/%s)",
				       names[i]);
		}
		free(text);
		a = field_named(&f, i ? "tgid" : "size");
		b = field_named(&f, "caller");
		id = f.id;
		if (a && b && !i) {
			s->kstack_size = *a;
			s->kstack_caller = *b;
			s->kstack_id = id;
		} else if (a && b) {
			s->ustack_caller = *b;
			s->ustack_id = id;
		}
		/* the names belong to f; only offsets and sizes are kept */
		s->kstack_size.name = s->kstack_caller.name = NULL;
		s->ustack_caller.name = NULL;
		event_format_free(&f);
	}
	return 0;
}

/* A "stacktrace" trigger also writes a kernel_stack record after the
 * event (ftrace events.rst 6.2). */
static bool stack_trigger(const struct sonde_session *s)
{
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (s->probes[i].trigger &&
		    strstr(s->probes[i].trigger, "stacktrace"))
			return true;
	return false;
}

int events_open(struct sonde_session *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char file[64];
	int cpu, fd, err;

	err = layout_load(s);
	if (!err)
		err = id_map(s);
	if (err)
		return set_err(s, err, -1, "out of memory");
	s->pair_stacks = s->opts.stack || stack_trigger(s);
	if (s->pair_stacks && (err = stack_formats_load(s)))
		return err;
	s->ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (s->ncpus < 1)
		s->ncpus = 1;
	s->cpu_fd = malloc(s->ncpus * sizeof(int));
	s->lost = calloc(s->ncpus, sizeof(uint64_t));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->cpu_fd || !s->lost || s->epfd < 0)
		return set_err(s, errno, -1, "cannot set up event reading: %s",
			       strerror(errno));
	for (cpu = 0; cpu < s->ncpus; cpu++)
		s->cpu_fd[cpu] = -1;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw",
			 cpu);
		fd = tracefs_instance_file_open(s->inst, file,
						O_RDONLY | O_NONBLOCK |
							O_CLOEXEC);
		if (fd < 0)
			continue; /* offline or absent CPU */
		s->cpu_fd[cpu] = fd;
		ev.data.u32 = cpu;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return set_err(s, errno, -1, "epoll: %s",
				       strerror(errno));
	}
	return 0;
}

void events_close(struct sonde_session *s)
{
	int cpu;

	for (cpu = 0; s->cpu_fd && cpu < s->ncpus; cpu++)
		if (s->cpu_fd[cpu] >= 0)
			close(s->cpu_fd[cpu]);
	free(s->cpu_fd);
	s->cpu_fd = NULL;
	if (s->epfd >= 0)
		close(s->epfd);
	s->epfd = -1;
	free(s->page);
	s->page = NULL;
	if (s->oq.late)
		slog(s, SONDE_LOG_DEBUG,
		     "%llu events came after a later one had been delivered",
		     (unsigned long long)s->oq.late);
	oq_free(&s->oq);
	free(s->id_to_probe);
	s->id_to_probe = NULL;
	free(s->tasks);
	s->tasks = NULL;
	symcache_free(s->syms);
	s->syms = NULL;
	s->ntasks_cap = 0;
	/* s->lost stays: stats remain readable after the end */
}

/* tid -> task_info, read from /proc once per thread. */
static void task_read(struct task_info *t)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	t->pid = -1;
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

/*
 * The process of a thread that ended, as the kernel saved it when the
 * thread hit an event (options/record-tgid, set with -p and no
 * --follow-fork: instance.c); -1 when not saved.
 */
static int saved_tgid(int tid)
{
	char *text = tracefs_instance_file_read(NULL, "saved_tgids", NULL);
	char *line, *save = NULL, *end;
	int tgid = -1;
	long v;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strtol(line, &end, 10) != tid || *end != ' ')
			continue;
		v = strtol(end + 1, &end, 10);
		if (v > 0 && v <= INT32_MAX)
			tgid = (int)v;
		break;
	}
	free(text);
	return tgid;
}

/*
 * The thread ended before its events were read. Its comm is in tracefs'
 * saved_cmdlines (recorded for tasks that hit an enabled event). Its
 * process: with -p and no --follow-fork the saved tgid (children come
 * through event-fork too); otherwise unknown (-1).
 */
static void task_gone(struct sonde_session *s, struct task_info *t)
{
	char *text, *line, *save = NULL, *end;

	/* another backend's events never wrote that table: what it holds
	 * for this pid may be an older process's (the comm stays <...>) */
	if (!s->be || !s->be->saved_cmdlines)
		return;
	text = tracefs_instance_file_read(NULL, "saved_cmdlines", NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strtol(line, &end, 10) != t->tid || *end != ' ')
			continue;
		snprintf(t->comm, sizeof(t->comm), "%s", end + 1);
		break;
	}
	free(text);
	if (s->opts.pid > 0 && !s->opts.follow_fork)
		t->pid = saved_tgid(t->tid);
}

static struct task_info *task_lookup(struct sonde_session *s, int tid)
{
	unsigned int i, mask;
	struct task_info *t;

	/* keep the table under 3/4 full: forget all, /proc is the source */
	if (!s->tasks || s->ntasks * 4 >= s->ntasks_cap * 3) {
		if (!s->tasks)
			s->tasks = calloc(1024, sizeof(*s->tasks));
		else
			memset(s->tasks, 0, s->ntasks_cap * sizeof(*t));
		if (!s->tasks)
			return NULL;
		s->ntasks_cap = 1024;
		s->ntasks = 0;
	}
	mask = s->ntasks_cap - 1;
	for (i = ((unsigned int)tid * 2654435761u) & mask;; i = (i + 1) & mask) {
		t = &s->tasks[i];
		if (t->comm[0] && t->tid == tid)
			return t;
		if (!t->comm[0])
			break;
	}
	t->tid = tid;
	task_read(t);
	/* user stacks are named through the process's maps: read them now */
	if (s->opts.stack && t->pid > 0)
		symcache_prime(&s->syms, t->pid);
	if (t->pid < 0)
		task_gone(s, t);
	s->ntasks++;
	return t;
}

struct read_ctx {
	struct sonde_session *s;
	int cpu;
	int delivered;
};

static int deliver(struct read_ctx *rc, struct sonde_event *ev)
{
	struct sonde_session *s = rc->s;

	if (ev->faults)
		s->faults += __builtin_popcountll(ev->faults);
	if (ev->unchecked)
		s->unchecked += __builtin_popcountll(ev->unchecked);
	s->events++;
	rc->delivered++;
	if (s->cb) {
		s->cb_ret = s->cb(ev, s->cb_ctx);
		return s->cb_ret;
	}
	return 0;
}

int events_deliver(struct sonde_session *s, int probe, const void *rec,
		   size_t len, uint64_t ts, int cpu, int pid, int tid,
		   const char *comm, const uint64_t *frames, int nframes,
		   bool user_frames, uint64_t faults, uint64_t unchecked)
{
	struct read_ctx rc = { .s = s, .cpu = cpu };
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
		.frames_user = user_frames,
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
	return deliver(&rc, &ev);
}

/* How long events gather after a wake-up once they flow (the previous
 * wake-up was less than two such periods ago): 100 reads a second. */
#define BATCH_NS 10000000L

/* A stack record follows its event on the same CPU (the kernel writes it
 * right after, in the same handler): it joins the event in the queue. */
static int on_record(uint64_t ts, const void *data, size_t len, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct sonde_session *s = rc->s;
	const struct task_info *t;
	const struct probe *p;
	uint64_t faults = 0, unchecked = 0;
	int type = record_type(data, len), idx;

	if (s->pair_stacks && type >= 0 &&
	    (type == s->kstack_id || type == s->ustack_id))
		return oq_attach(&s->oq, rc->cpu, data, len, type) < 0 ? -ENOMEM
								       : 0;
	if (type < 0 || type > s->max_id || (idx = s->id_to_probe[type]) < 0)
		goto dropped;
	/* the thread is looked up now, while it lives (its comm, pid and
	 * maps), and again from the cache when the event is handed over */
	p = &s->probes[idx];
	t = task_lookup(s, record_pid(&p->fmt, data, len));
	/* event-fork follows children too; keep them only when asked */
	if (s->opts.pid > 0 && !s->opts.follow_fork && t && t->pid > 0 &&
	    t->pid != s->opts.pid)
		goto dropped;
	/* faults now: a value may have to be read again from the process */
	if (p->check_faults)
		faults = fault_mask(p, data, len, &unchecked);
	if (oq_push(&s->oq, ts, rc->cpu, data, len, faults))
		return -ENOMEM;
	oq_last(&s->oq)->tag = idx;
	oq_last(&s->oq)->unchecked = unchecked;
	return 0;
dropped:
	/* the stack record that follows is this one's */
	if (s->pair_stacks)
		oq_close_attach(&s->oq, rc->cpu);
	return 0;
}

static int hand_over(const struct oq_item *it, const uint8_t *rec,
		     const uint8_t *aux, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct sonde_session *s = rc->s;
	struct sonde_event ev = { 0 };
	int idx = it->tag;

	/* detached meanwhile: no more of its events, as when unmapped */
	if (s->probes[idx].detached)
		return 0;
	ev.s = s;
	ev.p = &s->probes[idx];
	ev.probe = idx;
	ev.rec = rec;
	ev.len = it->len;
	ev.ts = it->ts;
	ev.cpu = it->cpu;
	ev.faults = it->faults;
	ev.unchecked = it->unchecked;
	ev.task = task_lookup(s, record_pid(&ev.p->fmt, rec, it->len));
	if (aux) {
		ev.stack = aux;
		ev.stack_len = it->aux_len;
		ev.stack_user = it->aux_kind == s->ustack_id;
	}
	return deliver(rc, &ev);
}

/* Hand over what is older than upto; the callback's value stops it. */
static int flush_upto(struct sonde_session *s, uint64_t upto, int *total)
{
	struct read_ctx rc = {.s = s};
	int ret;

	s->cb_ret = 0;
	ret = oq_flush(&s->oq, upto, hand_over, &rc);
	*total += rc.delivered;
	return s->cb_ret ? -ECANCELED : ret;
}

/* Read and walk one page of cpu into the queue. *more is false when the
 * buffer is empty. */
static int read_cpu(struct sonde_session *s, int cpu, bool *more)
{
	struct read_ctx rc = { .s = s, .cpu = cpu };
	struct ring_page_info info;
	ssize_t n;
	int ret;

	*more = false;
	n = read(s->cpu_fd[cpu], s->page, s->layout.page_size);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	*more = true;
	ret = ring_page_walk(&s->layout, s->page, n, &info, on_record, &rc);

	if (info.missed)
		s->lost[cpu] += info.lost;
	if (ret == -EBADMSG)
		slog(s, SONDE_LOG_WARN, "cpu %d: a malformed ring page skipped",
		     cpu);
	else if (ret)
		return ret < 0 ? ret : -EIO;
	return 0;
}

static int read_cpu_all(struct sonde_session *s, int cpu)
{
	bool more = true;
	int err = 0;

	while (more && !err)
		err = read_cpu(s, cpu, &more);
	return err;
}

static int read_all(struct sonde_session *s)
{
	int cpu, err;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (s->cpu_fd[cpu] < 0)
			continue;
		err = read_cpu_all(s, cpu);
		if (err)
			return err;
	}
	return 0;
}

void sonde_session__set_callback(struct sonde_session *s, sonde_event_fn fn,
				 void *ctx)
{
	s->cb = fn;
	s->cb_ctx = ctx;
}

static int delivered_or_stop(struct sonde_session *s, int n)
{
	return n == -ECANCELED ? s->cb_ret : n;
}

int events_poll(struct sonde_session *s, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, err, total = 0;
	uint64_t now, start;

	if (!s || s->epfd < 0)
		return -EINVAL;
	/* held-back events are due within ORDER_HOLD_NS */
	if (!oq_empty(&s->oq) &&
	    (timeout_ms < 0 || timeout_ms > (int)(ORDER_HOLD_NS / 1000000)))
		timeout_ms = ORDER_HOLD_NS / 1000000;
	n = epoll_wait(s->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return -errno;
	now = n > 0 ? order_now() : 0;
	if (n > 0 && now - s->last_wake < 2 * BATCH_NS) {
		/* Events are flowing: let them gather before reading. A
		 * reader woken for each event costs the traced thread a
		 * wake-up per hit (buffer_percent 0 wakes waiters at every
		 * commit) and the reader a syscall round per event; nobody
		 * waits meanwhile, so the kernel skips the wake-ups. Sparse
		 * events are read at once: their process may be about to
		 * exit, and its comm, pid and maps are read while it lives. */
		struct timespec gather = { 0, BATCH_NS };

		nanosleep(&gather, NULL);
	}
	if (n == 0 && oq_empty(&s->oq))
		return 0;
	/* What no CPU had when the round started was time-stamped after
	 * start - ORDER_HOLD_NS (or is late): up to there the merge is
	 * complete. */
	start = order_now();
	err = read_all(s);
	if (!err)
		err = flush_upto(s, start - ORDER_HOLD_NS, &total);
	if (n > 0)
		s->last_wake = now;
	if (err)
		return delivered_or_stop(s, err);
	return total;
}

int events_drain(struct sonde_session *s)
{
	uint64_t overrun;
	int cpu, err, total = 0;

	if (!s || !s->cpu_fd)
		return -EINVAL;
	err = read_all(s);
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		/* a page's lost count is not always stored (bit 30 clear):
		 * the per-CPU overrun counter is exact */
		if (s->cpu_fd[cpu] >= 0 &&
		    tfs_read_lost_stats(s, cpu, &overrun) == 0 &&
		    overrun > s->lost[cpu])
			s->lost[cpu] = overrun;
	}
	/* the end: everything, in order */
	if (!err)
		err = flush_upto(s, UINT64_MAX, &total);
	if (err)
		return delivered_or_stop(s, err);
	return total;
}

int sonde_session__fd(const struct sonde_session *s)
{
	return s ? s->epfd : -EINVAL;
}
