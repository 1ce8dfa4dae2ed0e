/* SPDX-License-Identifier: MIT */
/*
 * The perf_event_open backend. Uprobes and uretprobes are made through the
 * uprobe PMU, arg-less kprobes through the kprobe PMU: such probes belong
 * to their file descriptors, so nothing is left in the kernel whatever way
 * sonde ends. Args are computed from sampled user registers and stack
 * (perf_user_fetch.c); what only the kernel can fetch goes through a
 * tracefs-made event opened as PERF_TYPE_TRACEPOINT (perf_tracefs_events.c). With a
 * pid, every probe is such an event, opened on each of the process's
 * threads and inherited by the threads (and, with follow_fork, the
 * children) made later: breakpoints go only into that process, and leave
 * with sonde's fds. (PMU events cannot be inherited: see plan().) One
 * ring per CPU.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "sym/ksym.h"
#include "sym/unwind.h"
#include "perf.h"
#include "backend/pmu.h"

#define DEFAULT_RING_KB 1024
/* user stack copied with each sample of a probe that reads memory: the
 * probed function's frame and its callers' (their local buffers) */
#define STACK_DUMP 2048

static int add_fd(struct perf_state *st, int fd, int cpu)
{
	if (st->nfds == st->capfds) {
		size_t cap = st->capfds ? st->capfds * 2 : 64;
		int *grown = realloc(st->fds, cap * sizeof(int));

		if (!grown)
			return -ENOMEM;
		st->fds = grown;
		grown = realloc(st->fdcpu, cap * sizeof(int));
		if (!grown)
			return -ENOMEM;
		st->fdcpu = grown;
		st->capfds = cap;
	}
	st->fdcpu[st->nfds] = cpu;
	st->fds[st->nfds++] = fd;
	return 0;
}

static int add_id(struct perf_state *st, uint64_t id, int probe)
{
	if (st->nids == st->capids) {
		size_t cap = st->capids ? st->capids * 2 : 64;
		struct pid_probe *grown = realloc(st->ids, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		st->ids = grown;
		st->capids = cap;
	}
	st->ids[st->nids++] = (struct pid_probe){ id, probe };
	return 0;
}

static uint64_t ring_bytes(const struct sonde_session *s)
{
	long page = sysconf(_SC_PAGESIZE);
	/* copied stacks take ~8 KiB a sample: 8 MiB, as the bpf ring */
	uint64_t kb = s->opts.buffer_kb			 ? s->opts.buffer_kb
		      : s->cg == SONDE_CALL_GRAPH_DWARF ? 8192
							 : DEFAULT_RING_KB;
	uint64_t pages = 1, want = (kb * 1024 + page - 1) / page;

	while (pages < want) /* the data area is 2^n pages */
		pages <<= 1;
	return pages * page;
}

static int ring_map(struct sonde_session *s, struct pring *rg, int fd,
		    int cpu)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pages = ring_bytes(s) / page;
	void *m;

	m = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (m == MAP_FAILED)
		return set_err(s, errno, -1, "cannot map the perf ring of cpu %d: %s",
			       cpu, strerror(errno));
	rg->fd = fd;
	rg->meta = m;
	rg->data = (uint8_t *)m + page;
	rg->size = pages * page;
	return 0;
}

/* The epoll fd is made last: a process that has one next to its perf
 * events has every probe in place (the tests wait for that). */
static int epoll_setup(struct sonde_session *s)
{
	struct perf_state *st = s->be_priv;
	struct epoll_event ev = { .events = EPOLLIN };
	int cpu;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return set_err(s, errno, -1, "epoll: %s", strerror(errno));
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (!st->rings[cpu].meta)
			continue;
		ev.data.u32 = cpu;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, st->rings[cpu].fd, &ev) <
		    0)
			return set_err(s, errno, -1, "epoll: %s",
				       strerror(errno));
	}
	return 0;
}

static void attr_fill(struct sonde_session *s, int i, const struct pmu_info *up,
		      const struct pmu_info *kp, struct perf_event_attr *a,
		      bool track)
{
	struct perf_state *st = s->be_priv;
	struct probe *p = &s->probes[i];
	struct perf_probe_state *pp = &st->pp[i];
	bool ret = probe_kind_is_return(p->spec.kind);

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	switch (pp->mode) {
	case PM_UPROBE_PMU:
		/* kernel/events/core.c perf_uprobe_init(): config1 the path,
		 * config2 the offset */
		a->type = up->type;
		/* config:32-63 where sysfs does not say (kernel/events/core.c) */
		a->config =
			(ret ? 1ull << up->retprobe_bit : 0) |
			p->spec.ref_ctr_offset
				<< (up->ref_ctr_shift >= 0 ? up->ref_ctr_shift
							   : 32);
		a->config1 = (uint64_t)(uintptr_t)p->path;
		a->config2 = p->offset;
		break;
	case PM_KPROBE_PMU:
		a->type = kp->type;
		a->config = ret ? 1ull << kp->retprobe_bit : 0;
		if (p->spec.symbol) {
			a->config1 = (uint64_t)(uintptr_t)p->spec.symbol;
			a->config2 = p->spec.offset;
		} else {
			a->config2 = p->spec.addr;
		}
		break;
	case PM_TRACEPOINT:
		a->type = PERF_TYPE_TRACEPOINT;
		a->config = p->fmt.id;
		break;
	}
	a->sample_period = 1;
	a->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP |
			 PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
	if (s->opts.stack)
		a->sample_type |= PERF_SAMPLE_CALLCHAIN;
	/* --call-graph dwarf: user frames come from the copied stack */
	if (s->opts.stack && s->cg == SONDE_CALL_GRAPH_DWARF &&
	    probe_kind_is_user(s->probes[i].spec.kind))
		a->exclude_callchain_user = 1;
	if (pp->mode == PM_TRACEPOINT)
		a->sample_type |= PERF_SAMPLE_RAW;
	if (pp->need_regs) {
		a->sample_type |= PERF_SAMPLE_REGS_USER;
		a->sample_regs_user = PR_MASK;
	}
	if (pp->stack_dump) {
		a->sample_type |= PERF_SAMPLE_STACK_USER;
		a->sample_stack_user = pp->stack_dump;
	}
	/* wake the reader when a ring is an eighth full, not at each sample
	 * (a wakeup per hit triples the cost of a uprobe hit here); the
	 * reader also reads at each poll timeout */
	a->watermark = 1;
	a->wakeup_watermark = ring_bytes(s) / 8;
	/* read(): the samples this event lost (a full ring writes its
	 * PERF_RECORD_LOST only with the next sample that fits) */
	a->read_format = PERF_FORMAT_ID | PERF_FORMAT_LOST;
	/* the tracefs backend's trace_clock mono */
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if (s->opts.pid > 0 && !pp->pid_check) {
		a->inherit = 1;
		a->inherit_thread = !s->opts.follow_fork;
	}
	/* one event per thread and CPU reports mmaps, comms and forks, each
	 * with its time (sample_id_all: perf_comm.c) */
	a->mmap = a->mmap2 = a->comm = track;
	a->sample_id_all = track;
	/* and, when children are followed, forks: they are counted, see
	 * perf_ring_drain() */
	a->task = s->opts.pid > 0 && s->opts.follow_fork &&
		  i == register_order(s, 0);
	st->stype[i] = a->sample_type;
}

static int open_one(struct sonde_session *s, int i, int tid, int cpu,
		    const struct pmu_info *up, const struct pmu_info *kp,
		    bool track)
{
	struct perf_state *st = s->be_priv;
	struct perf_event_attr a;
	uint64_t id;
	int fd, err;

	attr_fill(s, i, up, kp, &a, track);
	/* --cgroup: the cgroup's fd for the pid, events per CPU (tid -1) */
	if (s->cgroup_fd >= 0)
		fd = perf_event_open_cloexec(&a, s->cgroup_fd, cpu, -1,
					     PERF_FLAG_PID_CGROUP);
	else
		fd = perf_event_open_cloexec(&a, tid, cpu, -1, 0);
	if (fd < 0)
		return fd;
	err = add_fd(st, fd, cpu);
	if (err) {
		close(fd);
		return err;
	}
	if (!st->rings[cpu].meta)
		err = ring_map(s, &st->rings[cpu], fd, cpu);
	else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, st->rings[cpu].fd) < 0)
		err = set_err(s, errno, -1, "perf: cannot share cpu %d's ring: %s",
			      cpu, strerror(errno));
	if (!err && ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0)
		err = set_err(s, errno, -1, "perf: no event id: %s",
			      strerror(errno));
	if (!err)
		err = add_id(st, id, i);
	if (!err && s->probes[i].filter && st->pp[i].mode == PM_TRACEPOINT &&
	    ioctl(fd, PERF_EVENT_IOC_SET_FILTER, s->probes[i].filter) < 0)
		err = set_err(s, errno, -1, "the kernel refused filter '%s' on %s: %s",
			      s->probes[i].filter, s->probes[i].name,
			      strerror(errno));
	return err;
}

/* The threads of pid now (-1 alone: every process). */
static int thread_list(struct sonde_session *s, int **tids)
{
	char dir[64];
	struct dirent *de;
	int n = 0, cap = 16, *grown;
	DIR *d;

	*tids = malloc(cap * sizeof(int));
	if (!*tids)
		return -ENOMEM;
	if (s->opts.pid <= 0) {
		(*tids)[0] = -1;
		return 1;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)s->opts.pid);
	d = opendir(dir);
	if (!d)
		return set_err(s, ESRCH, -1, "no process with pid %d",
			       (int)s->opts.pid);
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == cap) {
			grown = realloc(*tids, (cap *= 2) * sizeof(int));
			if (!grown)
				break;
			*tids = grown;
		}
		(*tids)[n++] = atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static int open_probe_error(struct sonde_session *s, struct probe *p,
			    int err)
{
	/* kernel/events/core.c perf_cgroup_connect() ->
	 * css_tryget_online_from_dir(): the cgroup has no perf_event state
	 * (-ENOENT: the controller is bound to a v1 hierarchy) */
	if (s->cgroup_fd >= 0 && (err == -EBADF || err == -ENOENT))
		return set_err(s, ENOTSUP, -1,
			       "perf_event_open refused --cgroup %s for probe %s (%s): is the perf_event controller on a cgroup v1 hierarchy? The bpf backend filters by cgroup without it",
			       s->opts.cgroup, p->name, strerror(-err));
	if (probe_is_tracepoint(p))
		return perf_tp_open_error(s, p, err);
	if (err == -EACCES || err == -EPERM)
		return set_err(s, EPERM, -1,
			       "perf_event_open refused probe %s: the uprobe and kprobe PMUs need CAP_SYS_ADMIN",
			       p->name);
	/* kernel/kprobes.c check_kprobe_address_safe() */
	if (err == -EILSEQ)
		return set_err(s, EILSEQ, -1,
			       "the kernel refused probe %s (%s): the address is not on an instruction boundary",
			       p->name, p->definition);
	if (s->err.msg[0] && err != -ENOENT && err != -EINVAL)
		return err;
	return set_err(s, err, -1, "perf_event_open refused probe %s (%s): %s",
		       p->name, p->definition, strerror(-err));
}

/*
 * System-wide, comm records (at exec) name processes that are gone before
 * their samples are read. They come from a dummy software event per CPU
 * sharing the CPU's ring, so that side records lost when the ring is full
 * are not counted as lost samples (PERF_RECORD_LOST names the event whose
 * output failed; perf_ring.c counts only the probes'). Best effort.
 */
static void open_comm_tracker(struct sonde_session *s)
{
	struct perf_state *st = s->be_priv;
	struct perf_event_attr a;
	int cpu, fd;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (!st->rings[cpu].meta)
			continue;
		perf_dummy_attr(&a);
		a.comm = 1;
		a.comm_exec = 1;
		/* its records' sample_id as the probes' (perf_ring.c on_comm) */
		a.sample_id_all = 1;
		a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
				PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
		fd = perf_event_open_cloexec(&a, -1, cpu, -1, 0);
		if (fd < 0)
			continue;
		/* cpu -1: closed with the others, not summed as lost */
		if (add_fd(st, fd, -1)) {
			close(fd);
			continue;
		}
		ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, st->rings[cpu].fd);
	}
}

static bool pc(const struct sonde_session *s, int i)
{
	return ((struct perf_state *)s->be_priv)->pp[i].pid_check;
}

static int open_all(struct sonde_session *s, const struct pmu_info *up,
		    const struct pmu_info *kp)
{
	int *tids, nt, i, n, t, cpu, err = 0, opened;
	bool track;

	nt = thread_list(s, &tids);
	if (nt < 0)
		return nt;
	/* in register_order(): one hit then gives the probes of one site
	 * in spec order (order.c) */
	for (n = 0; !err && n < s->nprobes; n++) {
		i = register_order(s, n);
		opened = 0;
		/* pid_check: every task, the samples kept by pid */
		for (t = 0; !err && t < (pc(s, i) ? 1 : nt); t++) {
			for (cpu = 0; !err && cpu < s->ncpus; cpu++) {
				/* mmap and comm records serve stacks, and
				 * with -p/-c name the threads that rename
				 * themselves and are gone before their samples
				 * are read; system-wide comms come from a
				 * dummy event of their own (open_comm_tracker) */
				track = i == 0 &&
					(s->opts.stack || s->opts.pid > 0);
				err = open_one(s, i, pc(s, i) ? -1 : tids[t],
					       cpu, up, kp, track);
				if (err == -ENODEV || err == -ESRCH)
					err = 0; /* offline CPU, thread gone */
				else if (!err)
					opened++;
			}
		}
		if (!err && !opened)
			err = -ESRCH;
		if (err)
			err = open_probe_error(s, &s->probes[i], err);
	}
	free(tids);
	if (!err && !s->opts.stack && s->opts.pid <= 0)
		open_comm_tracker(s);
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct pid_probe *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A PMU probe's record: laid out as its plan says, with the format
 * the kernel would give the same definition. */
static int format_from_plan(struct sonde_session *s, struct probe *p,
			    struct perf_probe_state *pp, int id)
{
	struct lib_error e = LIB_ERROR_INIT(256);
	int err = probe_format_from_plan(p, id, &e);

	if (err && p->plan && p->plan->error.err)
		return set_err(s, err == -ENOTSUP ? ENOTSUP : EINVAL, e.col,
			       "the perf backend cannot compute '%s' of probe %s",
			       p->spec.args[p->plan->error_arg].fetch, p->name);
	if (err)
		return set_err(s, -err, -1, "%s", e.msg);
	pp->plan = p->plan;
	return 0;
}

/* How probe i (not a tracepoint of the kernel's) is made, and what its
 * samples must carry; *strs counts its strings. */
static int plan_probe(struct sonde_session *s, int i, const struct pmu_info *up,
		      const struct pmu_info *kp, size_t *strs)
{
	struct perf_state *st = s->be_priv;
	struct probe *p = &s->probes[i];
	struct perf_probe_state *pp = &st->pp[i];
	bool user = probe_kind_is_user(p->spec.kind);
	char why[256];
	size_t j;
	int err;

	if (p->trigger || p->hist)
		return set_err(s, ENOTSUP, -1,
			       "--trigger and --hist need the tracefs backend (probe %s)",
			       p->name);
	/* an inherited PMU event re-reads its path (config1) from the
	 * forking task's memory (perf_uprobe_init(): strndup_user),
	 * where it is not: the target's fork() would fail. Threads and
	 * children to come need an event made by id. */
	if (s->opts.pid > 0)
		snprintf(why, sizeof(why), "a pid's later threads inherit only tracepoint events");
	if (s->opts.pid <= 0 && pmu_can(p, up, kp, why, sizeof(why)))
		pp->mode = user ? PM_UPROBE_PMU : PM_KPROBE_PMU;
	else
		pp->mode = PM_TRACEPOINT;
	slog(s, SONDE_LOG_DEBUG, "probe %s: %s", p->name,
	     pp->mode == PM_UPROBE_PMU   ? "uprobe PMU"
	     : pp->mode == PM_KPROBE_PMU ? "kprobe PMU"
					 : "tracepoint (tracefs-made)");
	if (pp->mode == PM_TRACEPOINT) {
		if ((err = tfs_ensure_mounted(s)))
			return err;
		err = perf_tp_create(s, p, pp);
	} else {
		err = format_from_plan(s, p, pp, i + 1);
	}
	if (err)
		return err;
	if (pp->mode == PM_KPROBE_PMU && p->spec.symbol &&
	    ksym_name_to_addr(p->spec.target, p->spec.symbol, &pp->kaddr) == 0 &&
	    !probe_kind_is_return(p->spec.kind))
		pp->kaddr += p->spec.offset;
	else if (pp->mode == PM_KPROBE_PMU && !p->spec.symbol)
		pp->kaddr = p->spec.addr;
	for (j = 0; pp->plan && j < pp->plan->nargs; j++) {
		const struct fetch_arg *a = &pp->plan->args[j];
		unsigned int need = 0;

		pp->need_regs = true;
		*strs += a->is_string;
		if (a->base == FETCH_STACKN)
			need = 8 * (a->imm + 1);
		if (a->nderef || (a->is_string && a->base != FETCH_COMM &&
				  a->base != FETCH_IMMSTR))
			need = STACK_DUMP;
		need = (need + 7) & ~7u;
		if (need > pp->stack_dump)
			pp->stack_dump = need;
	}
	pentry_plan(s, p, pp);
	return 0;
}

/* How each probe is made, and what its samples must carry. */
static int plan(struct sonde_session *s, const struct pmu_info *up,
		const struct pmu_info *kp)
{
	struct perf_state *st = s->be_priv;
	int i, n, err;
	size_t strs = 0, maxfixed = 0;

	/* in register_order(): a tracefs-made kprobe is registered when it
	 * is made (order.c) */
	for (n = 0; n < s->nprobes; n++) {
		struct probe *p = &s->probes[i = register_order(s, n)];
		struct perf_probe_state *pp = &st->pp[i];

		/* the kernel's tracepoint: opened by its id, its record
		 * decoded by its format (read with the spec) */
		if (probe_is_tracepoint(p) && !p->trigger && !p->hist)
			perf_tp_plan(s, p, pp);
		else if ((err = plan_probe(s, i, up, kp, &strs)))
			return err;
		st->inheriting |= s->opts.pid > 0 && !pp->pid_check;
		if (pp->plan && pp->plan->fixed > maxfixed)
			maxfixed = pp->plan->fixed;
		p->strbuf = calloc(p->fmt.nfields ? p->fmt.nfields : 1,
				   sizeof(char *));
		if (!p->strbuf)
			return set_err(s, ENOMEM, -1, "out of memory");
	}
	st->reccap = maxfixed + (strs ? strs : 1) * 4096 + 64;
	st->rec = malloc(st->reccap);
	st->wrap = malloc(65536);
	return st->rec && st->wrap ? 0 : set_err(s, ENOMEM, -1, "out of memory");
}

static void perf_stop(struct sonde_session *s)
{
	struct perf_state *st = s->be_priv;
	long page = sysconf(_SC_PAGESIZE);
	int cpu;

	if (!st)
		return;
	/* a mapping holds its event's file: unmapped first, so that the
	 * last references are the fds; closing them removes the PMU probes
	 * from the kernel, here in a worker no SIGKILL reaches (release.c) */
	for (cpu = 0; st->rings && cpu < s->ncpus; cpu++)
		if (st->rings[cpu].meta)
			munmap(st->rings[cpu].meta,
			       st->rings[cpu].size + page);
	fds_let_go(st->fds, (int)st->nfds);
	if (st->pp)
		perf_tp_remove_all(s, st->pp);
	free(st->fds);
	free(st->fdcpu);
	free(st->ids);
	free(st->followed);
	free(st->rings);
	free(st->pp);
	free(st->stype);
	free(st->rec);
	free(st->wrap);
	free(st);
	s->be_priv = NULL;
	events_close(s); /* epoll fd, task and symbol caches */
}

static int perf_start(struct sonde_session *s)
{
	const struct pmu_info *up = pmu_get("uprobe"), *kp = pmu_get("kprobe");
	struct perf_state *st;
	int i, err;

	if (s->cgroup_fd >= 0 && s->opts.pid > 0)
		return set_err(s, ENOTSUP, -1, "%s", PERF_CGROUP_PID);
	st = calloc(1, sizeof(*st));
	if (!st)
		return set_err(s, ENOMEM, -1, "out of memory");
	s->be_priv = st;
	st->self = s->self;
	s->ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (s->ncpus < 1)
		s->ncpus = 1;
	free(s->lost);
	s->lost = calloc(s->ncpus, sizeof(uint64_t));
	st->pp = calloc(s->nprobes, sizeof(*st->pp));
	st->stype = calloc(s->nprobes, sizeof(*st->stype));
	st->rings = calloc(s->ncpus, sizeof(*st->rings));
	if (!s->lost || !st->pp || !st->stype || !st->rings)
		return set_err(s, ENOMEM, -1, "out of memory");
	for (i = 0; i < s->ncpus; i++)
		st->rings[i].fd = -1;
	err = unwind_choose(s, "perf", true);
	if (!err)
		err = plan(s, up, kp);
	if (!err && s->opts.pid > 0 && s->opts.stack)
		symcache_track(&s->syms, s->opts.pid);
	if (!err)
		err = open_all(s, up, kp);
	if (!err)
		err = epoll_setup(s);
	if (err)
		return err;
	if (st->nids)
		qsort(st->ids, st->nids, sizeof(*st->ids), by_id);
	slog(s, SONDE_LOG_INFO, "tracing %d probe%s with %zu perf events",
	     s->nprobes, s->nprobes == 1 ? "" : "s", st->nfds);
	return 0;
}

/* A sample's size is a u16 (struct perf_event_header): no record it
 * makes, raw or built from one, is longer. */
static size_t perf_max_record(const struct sonde_session *s)
{
	(void)s;
	return 65536;
}

const struct backend backend_perf = {
	.name = "perf",
	.id = SONDE_BACKEND_PERF,
	.by_cgroup = true,
	.fits = perf_fits, /* perf_fits.c */
	.start = perf_start,
	.stop = perf_stop,
	.poll = perf_ring_poll,
	.drain = perf_ring_drain,
	.max_record = perf_max_record,
};
