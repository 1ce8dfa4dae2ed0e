/* SPDX-License-Identifier: MIT */
/*
 * The bpf backend: uprobes stream through one BPF ring buffer. Probes of
 * one file, kind and argument list share one generated program
 * (gen_stream.c) and one uprobe_multi link (kernel 6.6+), or else one
 * perf event per probe with the program on it (the uprobe PMU). Every
 * link, event, program and map belongs to a file descriptor: nothing is
 * left in the kernel however sonde ends, SIGKILL included. Records are
 * laid out as the tracefs format says (pfmt_build()), so they decode and
 * print exactly as the tracefs backend's.
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
#include "perf.h"

#define DEFAULT_RING_KB 8192

static int refuse(struct sonde_session *s, const struct probe *p, char *why,
		  size_t len)
{
	bool ret = probe_kind_is_return(p->spec.kind);

	if (!probe_kind_is_user(p->spec.kind))
		snprintf(why, len,
			 "the bpf backend streams uprobes only: probe %s is a "
			 "%s (use --backend tracefs or perf)",
			 p->name, ret ? "kretprobe" : "kprobe");
	else if (p->filter || p->trigger || p->hist)
		snprintf(why, len,
			 "probe %s has a %s, which only the tracefs backend "
			 "applies",
			 p->name,
			 p->filter    ? "filter"
			 : p->trigger ? "trigger"
				      : "hist");
	else if (s->opts.stack)
		snprintf(why, len,
			 "the bpf backend records no stacks (--backend tracefs "
			 "or perf)");
	else
		return 0;
	return -ENOTSUP;
}

/* The args perf_fmt.c compiles, minus what the program cannot fetch. */
static int args_fit(const struct probe *p, char *why, size_t len)
{
	struct pprobe pp = {0};
	struct sonde_session tmp;
	struct probe copy = *p;
	size_t i;
	int err;

	if (!pfmt_supported(p, why, len))
		return -ENOTSUP;
	/* compile into a scratch probe: pfmt_build() sets its format */
	memset(&tmp, 0, sizeof(tmp));
	copy.format_text = NULL;
	memset(&copy.fmt, 0, sizeof(copy.fmt));
	err = pfmt_build(&tmp, &copy, &pp, 1);
	for (i = 0; !err && i < pp.nargs; i++)
		if (!gen_stream_arg_ok(&pp.args[i])) {
			snprintf(
				why, len,
				"the bpf backend cannot fetch '%s' of probe %s",
				p->spec.args[i].fetch, p->name);
			err = -ENOTSUP;
		}
	if (!err && pp.fixed + 16 > STREAM_CUR_MASK) {
		snprintf(why, len, "probe %s fetches too much", p->name);
		err = -E2BIG;
	}
	if (err && !why[0])
		snprintf(why, len, "%s", tmp.errmsg);
	free(copy.format_text);
	event_format_free(&copy.fmt);
	pprobe_free(&pp);
	return err;
}

bool bpf_backend_fits(const struct sonde_session *s, char *why, size_t len)
{
	int i;

	why[0] = '\0';
	if (geteuid() != 0) {
		snprintf(why, len, "BPF needs root here");
		return false;
	}
	if (!bpfl_has_uprobe_multi()) {
		snprintf(why, len,
			 "this kernel has no uprobe_multi links (6.6+)");
		return false;
	}
	for (i = 0; i < s->nprobes; i++)
		if (refuse((struct sonde_session *)s, &s->probes[i], why,
			   len) ||
		    args_fit(&s->probes[i], why, len))
			return false;
	return true;
}

static bool same_args(const struct probe *a, const struct probe *b)
{
	size_t i;

	if (strcmp(a->path, b->path) || a->spec.kind != b->spec.kind ||
	    a->spec.nargs != b->spec.nargs)
		return false;
	for (i = 0; i < a->spec.nargs; i++) {
		const struct probe_arg *x = &a->spec.args[i],
				       *y = &b->spec.args[i];

		if (strcmp(x->name, y->name) || strcmp(x->fetch, y->fetch) ||
		    strcmp(x->type ? x->type : "", y->type ? y->type : ""))
			return false;
	}
	return true;
}

/* Probes into groups: one program (and one multi link) each. */
static int plan_groups(struct sonde_session *s, struct bstate *st)
{
	int i, g;

	st->group_of = malloc(s->nprobes * sizeof(int));
	st->groups = calloc(s->nprobes, sizeof(*st->groups));
	if (!st->group_of || !st->groups)
		return -ENOMEM;
	for (i = 0; i < s->nprobes; i++) {
		for (g = 0; g < st->ngroups; g++)
			if (same_args(&s->probes[st->groups[g].first],
				      &s->probes[i]))
				break;
		if (g == st->ngroups) {
			st->groups[g].first = i;
			st->groups[g].prog_fd = -1;
			st->ngroups++;
		}
		st->group_of[i] = g;
		st->groups[g].cnt++;
	}
	return 0;
}

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

static int load_group(struct sonde_session *s, struct bstate *st, int g,
		      bool multi)
{
	struct bgroup *gr = &st->groups[g];
	struct probe *p = &s->probes[gr->first];
	struct pprobe *pp = &st->pp[gr->first];
	struct gen_stream gs = {
		.ring_fd = st->ring_fd,
		.scratch_fd = st->scratch_fd,
		.lost_fd = st->lost_fd,
		.retprobe = probe_kind_is_return(p->spec.kind),
		.only_tgid = s->opts.pid > 0 ? s->opts.pid : 0,
		.skip_tgid =
			s->opts.pid <= 0 && s->opts.exclude_self ? getpid() : 0,
		.fixed = pp->fixed,
		.args = pp->args,
		.nargs = pp->nargs,
	};
	struct prog_buf b = {0};
	char *log = calloc(1, 65536);
	int err = gen_stream_prog(&b, &gs);

	if (!err) {
		gr->prog_fd = bpfl_prog_load(
			&b, multi ? SONDE_BPF_TRACE_UPROBE_MULTI : 0, log,
			log ? 65536 : 0);
		err = gr->prog_fd < 0 ? gr->prog_fd : 0;
	}
	prog_buf_free(&b);
	if (err) {
		size_t n = log ? strlen(log) : 0;

		set_err(s, -err, -1,
			"the kernel refused sonde's BPF program for %s: "
			"%s%s%.1500s",
			p->name, strerror(-err), n ? "\n" : "",
			n > 1500 ? log + n - 1500
			: log	 ? log
				 : "");
	}
	free(log);
	return err;
}

static int attach_group(struct sonde_session *s, struct bstate *st, int g,
			bool multi)
{
	struct bgroup *gr = &st->groups[g];
	uint64_t *offs, *refs, *cookies;
	bool ret = probe_kind_is_return(s->probes[gr->first].spec.kind);
	int i, n = 0, fd, err = 0;

	offs = calloc(gr->cnt, sizeof(*offs));
	refs = calloc(gr->cnt, sizeof(*refs));
	cookies = calloc(gr->cnt, sizeof(*cookies));
	if (!offs || !refs || !cookies) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->nprobes; i++) {
		if (st->group_of[i] != g)
			continue;
		offs[n] = s->probes[i].offset;
		refs[n] = s->probes[i].spec.ref_ctr_offset;
		cookies[n++] = (uint64_t)i;
	}
	if (multi) {
		fd = bpfl_uprobe_multi(gr->prog_fd, s->probes[gr->first].path,
				       offs, refs, cookies, n, ret,
				       s->opts.pid);
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
		fd = bpfl_perf_uprobe(gr->prog_fd, s->probes[gr->first].path,
				      offs[i], refs[i], ret, 0, cookies[i]);
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

static int make_maps(struct sonde_session *s, struct bstate *st)
{
	uint64_t kb = s->opts.buffer_kb ? s->opts.buffer_kb : DEFAULT_RING_KB;
	uint64_t size = 4096;

	/* a ring buffer is a power of two pages (kernel/bpf/ringbuf.c) */
	while (size < kb * 1024 && size < (1ULL << 30))
		size <<= 1;
	st->ring_fd = bpfl_map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, size);
	st->scratch_fd =
		bpfl_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, STREAM_BUF, 1);
	st->lost_fd = bpfl_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
	if (st->ring_fd >= 0 && st->scratch_fd >= 0 && st->lost_fd >= 0)
		return 0;
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
	/* links first: no program runs once they are gone */
	for (i = 0; i < st->nlinks; i++)
		close(st->links[i]);
	for (i = 0; i < st->ngroups; i++)
		if (st->groups[i].prog_fd >= 0)
			close(st->groups[i].prog_fd);
	ring_buffer__free(st->rb);
	for (i = 0; st->pp && i < s->nprobes; i++)
		pprobe_free(&st->pp[i]);
	if (st->ring_fd >= 0)
		close(st->ring_fd);
	if (st->scratch_fd >= 0)
		close(st->scratch_fd);
	if (st->lost_fd >= 0)
		close(st->lost_fd);
	free(st->links);
	free(st->groups);
	free(st->group_of);
	free(st->pp);
	free(st->rec);
	free(st->lostv);
	free(st);
	s->be_priv = NULL;
	events_close(s);
}

static int plan_formats(struct sonde_session *s, struct bstate *st)
{
	char why[512] = "";
	int i, err;

	for (i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];

		err = refuse(s, p, why, sizeof(why));
		if (!err)
			err = args_fit(p, why, sizeof(why));
		if (err)
			return set_err(s, -err, -1, "%s", why);
		err = pfmt_build(s, p, &st->pp[i], i + 1);
		if (err)
			return err;
		p->strbuf = calloc(p->fmt.nfields ? p->fmt.nfields : 1,
				   sizeof(char *));
		if (!p->strbuf)
			return set_err(s, ENOMEM, -1, "out of memory");
	}
	return 0;
}

static int bpf_start(struct sonde_session *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct bstate *st;
	const char *nomulti;
	bool multi;
	int g, err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return set_err(s, ENOMEM, -1, "out of memory");
	s->be_priv = st;
	st->ring_fd = st->scratch_fd = st->lost_fd = -1;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus < 1)
		s->ncpus = 1;
	free(s->lost);
	s->lost = calloc(s->ncpus, sizeof(uint64_t));
	st->lostv = calloc(s->ncpus, sizeof(uint64_t));
	st->pp = calloc(s->nprobes, sizeof(*st->pp));
	st->rec = malloc(STREAM_BUF);
	/* event.c's string accessors size their copies by this */
	s->layout.page_size = 65536;
	if (!s->lost || !st->lostv || !st->pp || !st->rec)
		return set_err(s, ENOMEM, -1, "out of memory");
	err = plan_formats(s, st);
	if (!err && plan_groups(s, st))
		err = set_err(s, ENOMEM, -1, "out of memory");
	if (!err)
		err = make_maps(s, st);
	if (err)
		return err;
	nomulti = getenv("SONDE_BPF_NO_MULTI");
	multi = bpfl_has_uprobe_multi() && !(nomulti && *nomulti);
	for (g = 0; g < st->ngroups && !err; g++) {
		err = load_group(s, st, g, multi);
		if (!err)
			err = attach_group(s, st, g, multi);
	}
	if (err)
		return err;
	st->rb = ring_buffer__new(st->ring_fd, bring_sample, s, NULL);
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
	     st->ngroups == 1 ? "" : "s",
	     multi ? "uprobe_multi links"
		   : "one perf event per probe (no uprobe_multi)");
	return 0;
}

const struct backend backend_bpf = {
	.name = "bpf",
	.start = bpf_start,
	.stop = bpf_stop,
	.poll = bring_poll,
	.drain = bring_drain,
};
