/* SPDX-License-Identifier: MIT */
/*
 * The bpf backend: uprobes and kprobes stream through one BPF ring buffer.
 * Probes of one file (kprobes: none), kind and argument list share one
 * generated program (gen_stream.c) and one uprobe_multi (6.6+) or
 * kprobe_multi (5.18+, CONFIG_FPROBE) link, or else one perf event per
 * probe with the program on it (the uprobe or kprobe PMU). Every
 * link, event, program and map belongs to a file descriptor: nothing is
 * left in the kernel however sonde ends, SIGKILL included. Records are
 * laid out as the probe's fetch plan says (args/fetch_plan.h), the layout
 * of the tracefs format, so they decode and print exactly as the tracefs
 * backend's. A tracepoint has a program per event on one tracepoint perf
 * event per probe and sends the kernel's own record (tracepoint.c,
 * gen_tp.c). What the backend can take, and when --backend auto takes it:
 * bpf_fits.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_int.h"
#include "bpf_stream.h"
#include "args/fetch_plan.h"
#include "sym/ksym.h"

#define DEFAULT_RING_KB 8192

static int add_link(struct bstate *st, int fd)
{
	int *grown;

	if (st->nlinks == st->caplinks) {
		st->caplinks = st->caplinks ? 2 * st->caplinks : 64;
		grown = realloc(st->links, st->caplinks * sizeof(int));
		if (!grown) {
			close(fd);
			return -ENOMEM;
		}
		st->links = grown;
	}
	st->links[st->nlinks++] = fd;
	return 0;
}

static int load_group(struct sonde_session *s, struct bstate *st, int g)
{
	struct bgroup *gr = &st->groups[g];
	struct probe *p = &s->probes[gr->first];
	const struct fetch_plan *plan = p->plan;
	bool kernel = !probe_kind_is_user(p->spec.kind), multi = gr->multi;
	bool tp = bpf_is_tracepoint(p);
	struct gen_tp_dyn dyn[GEN_TP_MAX_DYN];
	uint8_t umem[64] = {0};
	size_t i;
	struct gen_stream gs = {
		.ring_fd = st->ring_fd,
		.scratch_fd = st->scratch_fd,
		.lost_fd = st->lost_fd,
		.retprobe = probe_kind_is_return(p->spec.kind),
		.kernel = kernel,
		.umem = umem,
		/* a kprobe's handler sees ip just past the int3 (or as if:
		 * arch/x86/kernel/kprobes/ftrace.c); kprobe_multi's entry
		 * address is bpf_get_func_ip()'s */
		.ip_bias = kernel && !multi ? 1 : 0,
		.func_ip = kernel && multi,
		.only_tgid = s->opts.pid > 0 && st->follow.map_fd < 0
				     ? s->opts.pid
				     : 0,
		.follow_fd = st->follow.map_fd,
		.skip_tgid =
			s->opts.pid <= 0 && s->opts.exclude_self ? s->self : 0,
		.by_cgroup = s->cgroup_fd >= 0,
		.cgroup_fd = s->cgroup_map_fd,
		.tracepoint = tp,
		.tp_id = p->fmt.id,
		.dyn = dyn,
	};
	struct prog_buf b = {0};
	char *log;
	int err;

	if (tp && bpf_tp_layout(p, dyn, &gs.ndyn, &gs.fixed))
		return set_err(s, E2BIG, -1, "tracepoint %s is too large",
			       p->name);
	if (!tp) {
		gs.fixed = plan->fixed;
		gs.args = plan->args;
		gs.nargs = plan->nargs;
	}
	if (gs.nargs > sizeof(umem))
		return set_err(s, E2BIG, -1, "probe %s has too many arguments",
			       p->name);
	for (i = 0; kernel && i < gs.nargs; i++)
		umem[i] = (uint8_t)bpf_kmem_of(&plan->args[i]);
	log = calloc(1, 65536);
	err = gen_stream_prog(&b, &gs);
	if (!err) {
		gr->prog_fd = bpf_new_prog_type(
			tp ? BPF_PROG_TYPE_TRACEPOINT : BPF_PROG_TYPE_KPROBE,
			&b,
			!multi	 ? 0
			: kernel ? BPF_TRACE_KPROBE_MULTI
				 : SONDE_BPF_TRACE_UPROBE_MULTI,
			log, log ? 65536 : 0);
		err = gr->prog_fd < 0 ? gr->prog_fd : 0;
	}
	prog_buf_free(&b);
	if (err) {
		size_t n = log ? strlen(log) : 0;

		set_err(s, -err, -1,
			"the kernel refused sonde's BPF program for %s: %s",
			p->name, strerror(-err));
		err_quote(s, n > 1500 ? log + n - 1500 : log);
	}
	free(log);
	return err;
}

int bpf_attach_kprobes(struct sonde_session *s, int prog_fd,
		       const uint64_t *cookies, int n, bool multi, int *fds)
{
	bool ret = probe_kind_is_return(s->probes[cookies[0]].spec.kind);
	const char **syms;
	int i, fd;

	if (multi) {
		syms = calloc(n, sizeof(*syms));
		if (!syms)
			return set_err(s, ENOMEM, -1, "out of memory");
		for (i = 0; i < n; i++)
			syms[i] = s->probes[cookies[i]].spec.symbol;
		fd = bpf_attach_kprobe_multi(prog_fd, syms, cookies, n, ret);
		free(syms);
		if (fd < 0)
			return set_err(
				s, -fd, -1,
				"cannot attach %d kprobe%s (%s%s) through "
				"a kprobe_multi link: %s",
				n, n == 1 ? "" : "s",
				s->probes[cookies[0]].spec.symbol,
				n > 1 ? ", ..." : "", strerror(-fd));
		fds[0] = fd;
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct probe *p = &s->probes[cookies[i]];
		char sym[512];

		/* a module's function as the kprobe takes it: MOD:FUNC */
		if (p->spec.symbol)
			snprintf(sym, sizeof(sym), "%s%s%s",
				 p->spec.target ? p->spec.target : "",
				 p->spec.target ? ":" : "", p->spec.symbol);
		fd = bpf_attach_perf_kprobe(
			prog_fd, p->spec.symbol ? sym : NULL,
			p->spec.symbol ? p->spec.offset : p->spec.addr, ret,
			cookies[i]);
		if (fd < 0) {
			while (i--)
				close(fds[i]);
			return set_err(s, -fd, -1,
				       "cannot attach probe %s through the "
				       "kprobe PMU: %s",
				       p->name, strerror(-fd));
		}
		fds[i] = fd;
	}
	return n;
}

/* kprobes: one kprobe_multi link, or one kprobe PMU event each;
 * tracepoints: one tracepoint event each */
static int attach_kgroup(struct sonde_session *s, struct bstate *st, int g,
			 const uint64_t *cookies, int n)
{
	struct bgroup *gr = &st->groups[g];
	int *fds = calloc(n, sizeof(int));
	int i, got, err = 0;

	if (!fds)
		return set_err(s, ENOMEM, -1, "out of memory");
	if (bpf_is_tracepoint(&s->probes[gr->first]))
		got = bpf_attach_tracepoints(s, gr->prog_fd, cookies, n, fds);
	else
		got = bpf_attach_kprobes(s, gr->prog_fd, cookies, n, gr->multi,
					 fds);
	for (i = 0; i < got; i++)
		if (!err)
			err = add_link(st, fds[i]);
		else
			close(fds[i]);
	if (got > 0 && gr->multi)
		st->multi_links++;
	else if (got > 0)
		st->perf_events += got;
	free(fds);
	return got < 0 ? got : err;
}

static int attach_group(struct sonde_session *s, struct bstate *st, int g)
{
	struct bgroup *gr = &st->groups[g];
	uint64_t *offs, *refs, *cookies;
	bool ret = probe_kind_is_return(s->probes[gr->first].spec.kind);
	bool multi = gr->multi;
	int i, k, n = 0, fd, err = 0;

	offs = calloc(gr->cnt, sizeof(*offs));
	refs = calloc(gr->cnt, sizeof(*refs));
	cookies = calloc(gr->cnt, sizeof(*cookies));
	if (!offs || !refs || !cookies) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < s->nprobes; k++) {
		i = register_order(s, k); /* order.c */
		if (st->group_of[i] != g)
			continue;
		offs[n] = s->probes[i].offset;
		refs[n] = s->probes[i].spec.ref_ctr_offset;
		cookies[n++] = (uint64_t)i;
	}
	if (!probe_kind_is_user(s->probes[gr->first].spec.kind)) {
		err = attach_kgroup(s, st, g, cookies, n);
		goto out;
	}
	if (multi) {
		fd = bpf_attach_uprobe_multi(
			gr->prog_fd, s->probes[gr->first].path, offs, refs,
			cookies, n, ret,
			st->follow.map_fd >= 0 ? 0 : s->opts.pid);
		err = fd < 0 ? set_err(s, -fd, -1,
				       "cannot attach %d uprobe%s to %s: %s", n,
				       n == 1 ? "" : "s",
				       s->probes[gr->first].path, strerror(-fd))
			     : add_link(st, fd);
		st->multi_links += fd >= 0;
		goto out;
	}
	/* a perf event per probe, system-wide: a per-task uprobe PMU event
	 * is not inherited by the threads to come; the program filters the
	 * process instead */
	for (i = 0; !err && i < n; i++) {
		fd = bpf_attach_perf_uprobe(gr->prog_fd,
					    s->probes[gr->first].path, offs[i],
					    refs[i], ret, 0, cookies[i]);
		if (fd < 0)
			err = set_err(s, -fd, -1,
				      "cannot attach probe %s through the "
				      "uprobe PMU: %s",
				      s->probes[cookies[i]].name,
				      strerror(-fd));
		else
			err = add_link(st, fd);
		st->perf_events += fd >= 0;
		if (s->opts.progress && n > 100)
			s->opts.progress("creating", i + 1, n,
					 s->opts.progress_ctx);
	}
out:
	free(offs);
	free(refs);
	free(cookies);
	return err;
}

/*
 * SONDE_BPF_HELD_SLOTS=N (tests only): mark the first N scratch buffers of
 * every CPU busy, as runs preempted in the middle would hold them, so the
 * programs must build their records in the others or count them lost.
 */
static int hold_slots(struct sonde_session *s, int fd)
{
	const char *env = getenv("SONDE_BPF_HELD_SLOTS");
	size_t stride = (STREAM_SLOT_SIZE + 7) & ~(size_t)7;
	uint32_t i, n = env ? (uint32_t)atoi(env) : 0;
	char *v;
	int c, err = 0;

	if (!n)
		return 0;
	v = calloc(s->ncpus, stride);
	if (!v)
		return -ENOMEM;
	for (c = 0; c < s->ncpus; c++)
		*(uint64_t *)(v + c * stride + STREAM_BUSY) = 1;
	for (i = 0; i < n && i < STREAM_SLOTS && !err; i++)
		err = bpf_map_update_elem(fd, &i, v, BPF_ANY) ? -errno : 0;
	free(v);
	return err;
}

static int make_maps(struct sonde_session *s, struct bstate *st)
{
	uint64_t kb = s->opts.buffer_kb ? s->opts.buffer_kb : DEFAULT_RING_KB;
	uint64_t size = 4096;

	/* a ring buffer is a power of two pages (kernel/bpf/ringbuf.c) */
	while (size < kb * 1024 && size < (1ULL << 30))
		size <<= 1;
	st->ring_fd = bpf_new_map(BPF_MAP_TYPE_RINGBUF, 0, 0, size);
	st->scratch_fd = bpf_new_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4,
				     STREAM_SLOT_SIZE, STREAM_SLOTS);
	st->lost_fd = bpf_new_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
	if (st->ring_fd >= 0 && st->scratch_fd >= 0 && st->lost_fd >= 0)
		return hold_slots(s, st->scratch_fd);
	if (st->ring_fd < 0)
		return set_err(s, -st->ring_fd, -1,
			       "cannot create the BPF ring buffer: %s%s",
			       strerror(-st->ring_fd),
			       st->ring_fd == -EINVAL
				       ? " (BPF ring buffers need Linux 5.8)"
				       : "");
	return set_err(
		s, EPERM, -1, "cannot create BPF maps: %s",
		strerror(-(st->scratch_fd < 0 ? st->scratch_fd : st->lost_fd)));
}

static void bpf_stop(struct sonde_session *s)
{
	struct bstate *st = s->be_priv;
	int i;

	if (!st)
		return;
	/* links first: no program runs once they are gone; the kernel
	 * removes their uprobes in a worker, out of reach of a SIGKILL that
	 * would leave int3s behind (release.c) */
	fds_let_go(st->links, st->nlinks);
	bpf_follow_close(&st->follow);
	for (i = 0; i < st->ngroups; i++)
		if (st->groups[i].prog_fd >= 0)
			close(st->groups[i].prog_fd);
	ring_buffer__free(st->rb);
	if (st->ring_fd >= 0)
		close(st->ring_fd);
	if (st->scratch_fd >= 0)
		close(st->scratch_fd);
	if (st->lost_fd >= 0)
		close(st->lost_fd);
	free(st->links);
	free(st->groups);
	free(st->group_of);
	free(st->rec);
	free(st->kfunc);
	free(st->lostv);
	free(st);
	s->be_priv = NULL;
	events_close(s);
}

/* How the probes are attached, for -v. */
static const char *how(const struct sonde_session *s, const struct bstate *st)
{
	bool um = false, km = false, kern = false, tp = false;
	int g;

	for (g = 0; g < st->ngroups; g++) {
		const struct probe *p = &s->probes[st->groups[g].first];
		bool k = !probe_kind_is_user(p->spec.kind) &&
			 !bpf_is_tracepoint(p);

		tp |= bpf_is_tracepoint(p);
		kern |= k;
		um |= st->groups[g].multi && !k;
		km |= st->groups[g].multi && k;
	}
	if (!st->perf_events)
		return um && km ? "uprobe_multi and kprobe_multi links"
		       : km	? "kprobe_multi links"
				: "uprobe_multi links";
	if (um || km)
		return "multi links, and one perf event per probe the links "
		       "cannot take";
	if (tp && !kern && !st->multi_links)
		return "one tracepoint event per probe";
	return kern ? "one perf event per probe (no kprobe_multi)"
		    : "one perf event per probe (no uprobe_multi)";
}

static int bpf_start(struct sonde_session *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct bstate *st;
	int g, n, err;
	bool *done;

	st = calloc(1, sizeof(*st));
	if (!st)
		return set_err(s, ENOMEM, -1, "out of memory");
	s->be_priv = st;
	st->ring_fd = st->scratch_fd = st->lost_fd = -1;
	st->follow.map_fd = -1;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus < 1)
		s->ncpus = 1;
	free(s->lost);
	s->lost = calloc(s->ncpus, sizeof(uint64_t));
	st->lostv = calloc(s->ncpus, sizeof(uint64_t));
	st->rec = malloc(STREAM_BUF);
	st->kfunc = calloc(s->nprobes, sizeof(*st->kfunc));
	if (!s->lost || !st->lostv || !st->rec || !st->kfunc)
		return set_err(s, ENOMEM, -1, "out of memory");
	err = bpf_plan_formats(s);
	if (!err && bpf_plan_groups(s, st))
		err = set_err(s, ENOMEM, -1, "out of memory");
	if (!err)
		err = make_maps(s, st);
	if (!err && s->cgroup_fd >= 0) {
		int map = bpf_cgroup_map(s);

		err = map < 0 ? map : 0;
	}
	/* the children are followed from before the probes exist */
	if (!err)
		err = bpf_follow_open(s, &st->follow, st->lost_fd);
	if (err)
		return err;
	/* a kretprobe record's __probe_func, which the program cannot see
	 * (trace_kprobe.c: the kprobe's address); 0 when not in kallsyms */
	for (g = 0; g < s->nprobes; g++) {
		const struct probe *p = &s->probes[g];

		if (!probe_kind_is_user(p->spec.kind) &&
		    probe_kind_is_return(p->spec.kind))
			st->kfunc[g] = p->spec.symbol ? 0 : p->spec.addr;
		if (st->kfunc[g] || !p->spec.symbol ||
		    probe_kind_is_user(p->spec.kind) ||
		    !probe_kind_is_return(p->spec.kind) ||
		    ksym_name_to_addr(p->spec.target, p->spec.symbol,
				      &st->kfunc[g]))
			continue;
		st->kfunc[g] += p->spec.offset;
	}
	bpf_plan_modes(s, st, NULL, 0);
	/* groups, and the probes in each, in register_order(): one hit then
	 * gives the probes of one site in spec order (order.c) */
	done = calloc(st->ngroups ? st->ngroups : 1, sizeof(*done));
	if (!done)
		return set_err(s, ENOMEM, -1, "out of memory");
	for (n = 0; n < s->nprobes && !err; n++) {
		g = st->group_of[register_order(s, n)];
		if (g < 0 || done[g])
			continue;
		done[g] = true;
		err = load_group(s, st, g);
		if (!err)
			err = attach_group(s, st, g);
	}
	free(done);
	if (!err)
		err = bpf_follow_arm_exit(s, &st->follow);
	if (err)
		return err;
	st->rb = ring_buffer__new(st->ring_fd, bpf_ring_sample, s, NULL);
	if (!st->rb)
		return set_err(s, errno, -1,
			       "cannot read the BPF ring buffer: %s",
			       strerror(errno));
	/* the ring's own epoll fd inside the session's: sonde_session__fd()
	 * is the session's whatever the backend */
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD,
				     ring_buffer__epoll_fd(st->rb), &ev) < 0)
		return set_err(s, errno, -1, "epoll: %s", strerror(errno));
	slog(s, SONDE_LOG_INFO, "bpf: %d probe%s, %d program%s, %s", s->nprobes,
	     s->nprobes == 1 ? "" : "s", st->ngroups,
	     st->ngroups == 1 ? "" : "s", how(s, st));
	return 0;
}

/* The records the generated programs write are at most STREAM_BUF bytes
 * (bpf_int.h), under this bound. */
static size_t bpf_max_record(const struct sonde_session *s)
{
	(void)s;
	return 65536;
}

const struct backend backend_bpf = {
	.name = "bpf",
	.id = SONDE_BACKEND_BPF,
	.by_cgroup = true,
	.fits = bpf_fits,
	.start = bpf_start,
	.stop = bpf_stop,
	.poll = bpf_ring_poll,
	.drain = bpf_ring_drain,
	.max_record = bpf_max_record,
};
