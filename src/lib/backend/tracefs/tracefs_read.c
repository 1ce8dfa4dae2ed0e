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
#include "backend/tracefs/tracefs_state.h"

static int layout_load(struct sonde_session *s, struct tracefs_state *st)
{
	char *text = tracefs_instance_file_read(NULL, "events/header_page",
						NULL);
	long long kb;

	ring_layout_default(&st->layout);
	if (text)
		ring_layout_parse(text, &st->layout);
	free(text);
	/* kernels since 6.8 let sub-buffers grow (buffer_subbuf_size_kb) */
	if (tracefs_instance_file_read_number(st->inst, "buffer_subbuf_size_kb",
					      &kb) == 0 &&
	    kb > 0 && kb <= 1024)
		st->layout.page_size = kb * 1024;
	st->page = malloc(st->layout.page_size);
	return st->page ? 0 : -ENOMEM;
}

int events_map_probe(struct sonde_session *s, int i)
{
	struct tracefs_state *st = tfs_state(s);
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
	if (p->fmt.id > st->max_id || !st->id_to_probe) {
		grown = realloc(st->id_to_probe, (p->fmt.id + 1) * sizeof(int));
		if (!grown)
			return -ENOMEM;
		for (id = st->id_to_probe ? st->max_id + 1 : 0; id <= p->fmt.id;
		     id++)
			grown[id] = -1;
		st->id_to_probe = grown;
		st->max_id = p->fmt.id;
	}
	st->id_to_probe[p->fmt.id] = i;
	return 0;
}

void events_unmap_probe(struct sonde_session *s, int i)
{
	const struct probe *p = &s->probes[i];
	struct tracefs_state *st = tfs_state(s);

	if (st && st->id_to_probe && p->fmt.id >= 0 &&
	    p->fmt.id <= st->max_id && st->id_to_probe[p->fmt.id] == i)
		st->id_to_probe[p->fmt.id] = -1;
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
static int stack_formats_load(struct sonde_session *s, struct tracefs_state *st)
{
	static const char *names[] = { "kernel_stack", "user_stack" };
	struct event_format f;
	const struct field_layout *a, *b;
	char *text;
	int i, id;

	st->kstack_id = st->ustack_id = -1;
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
			st->kstack_size = *a;
			st->kstack_caller = *b;
			st->kstack_id = id;
		} else if (a && b) {
			st->ustack_caller = *b;
			st->ustack_id = id;
		}
		/* the names belong to f; only offsets and sizes are kept */
		st->kstack_size.name = st->kstack_caller.name = NULL;
		st->ustack_caller.name = NULL;
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
	struct tracefs_state *st = tfs_state(s);
	char file[64];
	int cpu, fd, err;

	err = layout_load(s, st);
	if (!err)
		err = id_map(s);
	if (err)
		return set_err(s, err, -1, "out of memory");
	st->pair_stacks = s->opts.stack || stack_trigger(s);
	if (st->pair_stacks && (err = stack_formats_load(s, st)))
		return err;
	s->ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (s->ncpus < 1)
		s->ncpus = 1;
	st->cpu_fd = malloc(s->ncpus * sizeof(int));
	s->lost = calloc(s->ncpus, sizeof(uint64_t));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!st->cpu_fd || !s->lost || s->epfd < 0)
		return set_err(s, errno, -1, "cannot set up event reading: %s",
			       strerror(errno));
	for (cpu = 0; cpu < s->ncpus; cpu++)
		st->cpu_fd[cpu] = -1;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw",
			 cpu);
		fd = tracefs_instance_file_open(
			st->inst, file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue; /* offline or absent CPU */
		st->cpu_fd[cpu] = fd;
		ev.data.u32 = cpu;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return set_err(s, errno, -1, "epoll: %s",
				       strerror(errno));
	}
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	const struct saved_ent *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static void saved_free(struct saved_copy *c)
{
	free(c->text);
	free(c->ents);
	memset(c, 0, sizeof(*c));
}

void events_close_tracefs(struct sonde_session *s)
{
	struct tracefs_state *st = tfs_state(s);
	int cpu;

	for (cpu = 0; st && st->cpu_fd && cpu < s->ncpus; cpu++)
		if (st->cpu_fd[cpu] >= 0)
			close(st->cpu_fd[cpu]);
	if (st) {
		free(st->cpu_fd);
		st->cpu_fd = NULL;
		free(st->page);
		st->page = NULL;
		free(st->id_to_probe);
		st->id_to_probe = NULL;
		saved_free(&st->cmdlines);
		saved_free(&st->tgids);
	}
	events_close(s);
}

/* "a record never exceeds a ring page" */
size_t events_max_record(const struct sonde_session *s)
{
	const struct tracefs_state *st = tfs_state(s);

	return st && st->layout.page_size ? st->layout.page_size : 4096;
}

static uint64_t mono_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* One "TID VALUE" line into the index (v: the value, or for text its
 * offset in it). */
static void saved_add(struct saved_copy *c, const char *line, const char *base,
		      bool numeric)
{
	char *end, *vend;
	long tid, v;

	tid = strtol(line, &end, 10);
	if (end == line || *end != ' ' || tid <= 0 || tid > INT32_MAX)
		return;
	v = numeric ? strtol(end + 1, &vend, 10) : (long)(end + 1 - base);
	if (v < 0 || v > UINT32_MAX)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct saved_ent *grown = realloc(c->ents, cap * sizeof(*grown));

		if (!grown)
			return;
		c->ents = grown;
		c->cap = cap;
	}
	c->ents[c->n++] = (struct saved_ent){ .tid = (int)tid, .v = (uint32_t)v };
}

/* Read FILE ("TID VALUE" lines) again and index it by tid: a storm of gone
 * threads looks up thousands of them. saved_tgids (numeric) has a line
 * per pid ever saved (370 KB here): read line by line into the index,
 * whose memory is kept from one read to the next. saved_cmdlines' text is
 * kept for its names. */
static void saved_read(struct saved_copy *c, const char *file, bool numeric,
		       uint64_t now)
{
	char *path, *line = NULL, *nl;
	size_t len = 0;
	FILE *f;

	free(c->text);
	c->text = NULL;
	c->n = 0;
	c->ns = now;
	c->numeric = numeric;
	if (numeric) {
		path = tracefs_get_tracing_file(file);
		f = path ? fopen(path, "re") : NULL;
		tracefs_put_tracing_file(path);
		while (f && getline(&line, &len, f) > 0)
			saved_add(c, line, NULL, true);
		free(line);
		if (f)
			fclose(f);
	} else {
		c->text = tracefs_instance_file_read(NULL, file, NULL);
		for (line = c->text; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			saved_add(c, line, c->text, false);
		}
	}
	if (c->n)
		qsort(c->ents, c->n, sizeof(*c->ents), by_tid);
}

/* The value of tid in the copy into out; false when tid is not there. */
static bool saved_line(const struct saved_copy *c, int tid, char *out,
		       size_t size)
{
	struct saved_ent key = {.tid = tid}, *e;
	const char *v;

	e = c->n ? bsearch(&key, c->ents, c->n, sizeof(*e), by_tid) : NULL;
	if (!e)
		return false;
	if (c->numeric) {
		snprintf(out, size, "%u", e->v);
	} else {
		v = c->text + e->v;
		snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
	}
	return true;
}

/*
 * What the kernel saved for tid in FILE (saved_cmdlines: its comm,
 * saved_tgids: its process) when the thread was found gone at since:
 * from a copy read after since, read again when the one kept is older.
 * The kernel saves them at the thread's next switch after an event, at
 * the latest as it exits, so a copy read after the thread was found gone
 * has them (unless the table gave the slot to another since); an older
 * copy may hold what an earlier thread of that tid left (pids wrap
 * around: a 600-process test gave two of them another process's tgid).
 * The lookups are made at hand-over, after a whole read round found its
 * gone threads: one read serves them all. Indexed, not scanned: a drain
 * after a loop of short-lived processes took more than 30 s.
 */
static bool saved_since(struct saved_copy *c, const char *file, bool numeric,
			uint64_t since, int tid, char *out, size_t size)
{
	if (!c->ns || c->ns <= since)
		saved_read(c, file, numeric, mono_ns());
	return saved_line(c, tid, out, size);
}

/* Has a probe of s no comm of its own in its records? */
static bool comm_missing(const struct sonde_session *s,
			 struct tracefs_state *st)
{
	for (; st->comm_checked < s->nprobes; st->comm_checked++)
		if (s->probes[st->comm_checked].comm_field < 0)
			st->comm_missing = true;
	return st->comm_missing;
}

/* The thread ended before its events were read (on_record()): noted,
 * looked up at hand-over (resolve_gone()). */
void events_task_gone(const struct sonde_session *s, struct task_info *t)
{
	(void)s;
	t->gone_ns = mono_ns();
}

/*
 * A gone thread's comm from saved_cmdlines (only for probes whose records
 * carry none: tracepoints; the others' is fault_record_comm()'s) and its
 * process from saved_tgids (options/record-tgid, instance.c); -1 when not
 * saved.
 */
static void resolve_gone(struct sonde_session *s, struct tracefs_state *st,
			 struct task_info *t)
{
	char tgid[16];
	long v;

	if (comm_missing(s, st))
		saved_since(&st->cmdlines, "saved_cmdlines", false, t->gone_ns,
			    t->tid, t->comm, sizeof(t->comm));
	if (saved_since(&st->tgids, "saved_tgids", true, t->gone_ns, t->tid,
			tgid, sizeof(tgid)) &&
	    (v = strtol(tgid, NULL, 10)) > 0 && v <= INT32_MAX)
		t->pid = (int)v;
	t->gone_ns = 0;
}

struct read_ctx {
	struct sonde_session *s;
	int cpu;
	int delivered;
};

/* How long events gather after a wake-up once they flow (the previous
 * wake-up was less than two such periods ago): 100 reads a second. */
#define BATCH_NS 10000000L

/* A stack record follows its event on the same CPU (the kernel writes it
 * right after, in the same handler): it joins the event in the queue. */
static int on_record(uint64_t ts, const void *data, size_t len, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct sonde_session *s = rc->s;
	struct tracefs_state *st = tfs_state(s);
	const struct task_info *t;
	const struct probe *p;
	uint64_t faults = 0, unchecked = 0;
	int type = record_type(data, len), idx;

	if (st->pair_stacks && type >= 0 &&
	    (type == st->kstack_id || type == st->ustack_id))
		return oq_attach(&s->oq, rc->cpu, data, len, type) < 0 ? -ENOMEM
								       : 0;
	if (type < 0 || type > st->max_id || (idx = st->id_to_probe[type]) < 0)
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
	if (st->pair_stacks)
		oq_close_attach(&s->oq, rc->cpu);
	return 0;
}

static int hand_over(const struct oq_item *it, const uint8_t *rec,
		     const uint8_t *aux, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct sonde_session *s = rc->s;
	struct tracefs_state *st = tfs_state(s);
	struct sonde_event ev = { 0 };
	struct task_info at_hit, *task;
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
	task = task_lookup(s, record_pid(&ev.p->fmt, rec, it->len));
	if (task && task->gone_ns)
		resolve_gone(s, st, task);
	/* -p without --follow-fork: a child's events (event-fork) are left
	 * out; one of a thread gone before they were read only now */
	if (s->opts.pid > 0 && !s->opts.follow_fork && task && task->pid > 0 &&
	    task->pid != s->opts.pid)
		return 0;
	ev.task = task;
	/* the comm the task had at the hit, not the one it has now */
	if (ev.p->comm_field >= 0) {
		at_hit = ev.task ? *ev.task
				 : (struct task_info){
					   .tid = record_pid(&ev.p->fmt, rec,
							     it->len),
					   .pid = -1,
				   };
		if (fault_record_comm(ev.p, rec, it->len, at_hit.comm,
				      sizeof(at_hit.comm)))
			ev.task = &at_hit;
	}
	if (aux) {
		ev.stack = aux;
		ev.stack_len = it->aux_len;
		ev.stack_user = it->aux_kind == st->ustack_id;
		ev.stack_caller =
			ev.stack_user ? &st->ustack_caller : &st->kstack_caller;
		ev.stack_size = ev.stack_user ? NULL : &st->kstack_size;
	}
	rc->delivered++;
	return event_hand_over(s, &ev);
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
	struct tracefs_state *st = tfs_state(s);
	struct ring_page_info info;
	ssize_t n;
	int ret;

	*more = false;
	n = read(st->cpu_fd[cpu], st->page, st->layout.page_size);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	*more = true;
	ret = ring_page_walk(&st->layout, st->page, n, &info, on_record, &rc);

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
		if (tfs_state(s)->cpu_fd[cpu] < 0)
			continue;
		err = read_cpu_all(s, cpu);
		if (err)
			return err;
	}
	return 0;
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

	if (!s || s->epfd < 0 || !tfs_state(s))
		return -EINVAL;
	/* held-back events are due within ORDER_HOLD_NS */
	if (!oq_empty(&s->oq) &&
	    (timeout_ms < 0 || timeout_ms > (int)(ORDER_HOLD_NS / 1000000)))
		timeout_ms = ORDER_HOLD_NS / 1000000;
	n = epoll_wait(s->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return -errno;
	now = n > 0 ? order_now() : 0;
	if (n > 0 && now - tfs_state(s)->last_wake < 2 * BATCH_NS) {
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
		tfs_state(s)->last_wake = now;
	if (err)
		return delivered_or_stop(s, err);
	return total;
}

int events_drain(struct sonde_session *s)
{
	uint64_t overrun;
	int cpu, err, total = 0;

	if (!s || !tfs_state(s) || !tfs_state(s)->cpu_fd)
		return -EINVAL;
	err = read_all(s);
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		/* a page's lost count is not always stored (bit 30 clear):
		 * the per-CPU overrun counter is exact */
		if (tfs_state(s)->cpu_fd[cpu] >= 0 &&
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
