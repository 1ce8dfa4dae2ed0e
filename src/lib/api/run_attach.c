/* SPDX-License-Identifier: MIT */
/*
 * sonde run's programs on their probes: uprobes and USDT through one
 * uprobe_multi link per file where the kernel has them (6.6), else one
 * uprobe PMU event each (backend/bpf/link.c); kprobes, tracepoints;
 * interval (a cpu-clock event on CPU 0) and profile (one on every CPU);
 * BEGIN and END: uprobes of this process on two functions the runtime
 * calls, run_begin_hook() once everything is attached and run_end_hook()
 * when the run ends. Every fd made here is a link or an event that owns
 * its probe, closed by run_unload().
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "backend/bpf/bpf_int.h"
#include "backend/kernel_feature.h"
#include "backend/pmu.h"
#include "internal.h"
#include "run_int.h"

/* The functions BEGIN and END are uprobes on. noinline and noclone keep
 * one body at one address; the asm keeps the call. */
__attribute__((noinline, noclone, used)) void run_begin_hook(void *r)
{
	__asm__ volatile("" : : "r"(r) : "memory");
}

__attribute__((noinline, noclone, used)) void run_end_hook(void *r)
{
	__asm__ volatile("" : : "r"(r) : "memory");
}

/* called through these, so the calls are not folded away */
static void (*volatile begin_hook)(void *) = run_begin_hook;
static void (*volatile end_hook)(void *) = run_end_hook;

int run_add_link(struct sonde_run *r, int fd)
{
	int *grown;

	if (r->nlinks == r->caplinks) {
		int cap = r->caplinks ? 2 * r->caplinks : 16;

		grown = realloc(r->links, cap * sizeof(*grown));
		if (!grown) {
			close(fd);
			return run_err(r, ENOMEM, "out of memory");
		}
		r->links = grown;
		r->caplinks = cap;
	}
	r->links[r->nlinks++] = fd;
	return 0;
}

/* The file and file offset of code at addr in this process. */
static int self_site(void *addr, char *path, size_t len, uint64_t *off)
{
	uint64_t a = (uint64_t)(uintptr_t)addr, lo, hi, pgoff;
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096], perms[8];
	int n, err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n",
			   &lo, &hi, perms, &pgoff, &n) < 4)
			continue;
		if (a < lo || a >= hi || line[n] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s", line + n);
		*off = a - lo + pgoff;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int attach_hook(struct sonde_run *r, int prog_fd, void *fn)
{
	char path[4096];
	uint64_t off = 0;
	int fd;

	fd = self_site(fn, path, sizeof(path), &off);
	if (!fd)
		fd = bpf_attach_perf_uprobe(prog_fd, path, off, 0, false,
					    getpid(), 0);
	if (fd < 0)
		return run_err(r, -fd, "cannot attach BEGIN or END: %s",
			       strerror(-fd));
	return run_add_link(r, fd);
}

/* One link per file for the sites of rp (a glob may span a few). */
static int attach_user_multi(struct sonde_run *r, int prog_fd,
			     const struct run_probe *rp, bool ret)
{
	uint64_t *offs = calloc(rp->nsites, sizeof(*offs));
	uint64_t *refs = calloc(rp->nsites, sizeof(*refs));
	uint64_t *cookies = calloc(rp->nsites, sizeof(*cookies));
	int i, j, n, fd, err = 0;

	if (!offs || !refs || !cookies) {
		err = run_err(r, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < rp->nsites && !err; i++) {
		const char *path = rp->sites[i].path;

		for (j = 0; j < i; j++)
			if (!strcmp(rp->sites[j].path, path))
				break;
		if (j < i) /* that file's link has it */
			continue;
		for (n = 0, j = i; j < rp->nsites; j++) {
			if (strcmp(rp->sites[j].path, path))
				continue;
			offs[n] = rp->sites[j].offset;
			refs[n] = rp->sites[j].ref_ctr;
			cookies[n++] = (uint64_t)j;
		}
		fd = bpf_attach_uprobe_multi(prog_fd, path, offs, refs, cookies,
					     n, ret, r->opts.pid);
		err = fd < 0 ? run_err_at(r, -fd, rp->bp->loc,
					  "cannot attach %s to %s: %s",
					  rp->bp->spec, path, strerror(-fd))
			     : run_add_link(r, fd);
	}
out:
	free(offs);
	free(refs);
	free(cookies);
	return err;
}

static int attach_user(struct sonde_run *r, int prog_fd,
		       const struct run_probe *rp)
{
	bool ret = rp->bp->kind == BT_P_URETPROBE;
	int i, fd, err = 0;

	if (kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI))
		return attach_user_multi(r, prog_fd, rp, ret);
	for (i = 0; i < rp->nsites && !err; i++) {
		const struct run_site *s = &rp->sites[i];

		fd = bpf_attach_perf_uprobe(prog_fd, s->path, s->offset,
					    s->ref_ctr, ret, r->opts.pid,
					    (uint64_t)i);
		err = fd < 0 ? run_err_at(r, -fd, rp->bp->loc,
					  "cannot attach %s to %s: %s",
					  rp->bp->spec, s->path, strerror(-fd))
			     : run_add_link(r, fd);
	}
	return err;
}

static int attach_kernel(struct sonde_run *r, int prog_fd,
			 const struct run_probe *rp)
{
	bool ret = rp->bp->kind == BT_P_KRETPROBE;
	int i, fd, err = 0;

	for (i = 0; i < rp->nsites && !err; i++) {
		const struct run_site *s = &rp->sites[i];

		if (rp->bp->kind == BT_P_TRACEPOINT)
			fd = bpf_attach_perf_tracepoint(prog_fd, s->tp_id,
							(uint64_t)i);
		else
			fd = bpf_attach_perf_kprobe(prog_fd, s->ksym, s->offset,
						    ret, (uint64_t)i);
		err = fd < 0 ? run_err_at(r, -fd, rp->bp->loc,
					  "cannot attach %s: %s", rp->bp->spec,
					  strerror(-fd))
			     : run_add_link(r, fd);
	}
	return err;
}

/* A cpu-clock event of period ns on cpu with the program on it. */
static int attach_clock(struct sonde_run *r, int prog_fd,
			const struct run_probe *rp, int cpu)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(pa),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = rp->bp->period_ns,
		.disabled = 1, /* counts from BEGIN on: run_begin() */
	};
	int fd = perf_event_open_cloexec(&pa, -1, cpu, -1, 0);

	if (fd >= 0 && ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0) {
		int e = -errno;

		close(fd);
		fd = e;
	}
	if (fd < 0)
		return run_err_at(r, -fd, rp->bp->loc, "cannot attach %s: %s",
				  rp->bp->spec, strerror(-fd));
	return run_add_link(r, fd);
}

static int attach_one(struct sonde_run *r, int i)
{
	const struct bt_cprog *cp = &r->comp->progs[i];
	const struct run_probe *rp = run_probe_of(r, cp->block, cp->probe);
	int fd = r->prog_fds[i], cpu, err = 0;

	if (!rp)
		return run_err(r, EINVAL, "a program of no probe");
	switch (rp->bp->kind) {
	case BT_P_BEGIN:
		return attach_hook(r, fd, (void *)run_begin_hook);
	case BT_P_END:
		r->end_link = r->nlinks;
		return attach_hook(r, fd, (void *)run_end_hook);
	case BT_P_UPROBE:
	case BT_P_URETPROBE:
	case BT_P_USDT:
		return attach_user(r, fd, rp);
	case BT_P_KPROBE:
	case BT_P_KRETPROBE:
	case BT_P_TRACEPOINT:
		return attach_kernel(r, fd, rp);
	case BT_P_INTERVAL:
		return attach_clock(r, fd, rp, 0);
	case BT_P_PROFILE:
		for (cpu = 0; cpu < r->ncpus && !err; cpu++)
			err = attach_clock(r, fd, rp, cpu);
		/* a possible CPU that is not online has no clock */
		return err == -ENODEV && cpu > 1 ? 0 : err;
	}
	return run_err(r, EINVAL, "unknown probe kind");
}

static bool is_clock(struct sonde_run *r, int i)
{
	const struct bt_cprog *cp = &r->comp->progs[i];
	const struct run_probe *rp = run_probe_of(r, cp->block, cp->probe);

	return rp && (rp->bp->kind == BT_P_INTERVAL ||
		      rp->bp->kind == BT_P_PROFILE);
}

/* The clocks last, so that their links are one run of links[]. */
int run_attach(struct sonde_run *r)
{
	int i, err;

	for (i = 0; i < r->comp->nprogs; i++)
		if (!is_clock(r, i) && (err = attach_one(r, i)))
			return err;
	r->clock_links = r->nlinks;
	for (i = 0; i < r->comp->nprogs; i++)
		if (is_clock(r, i) && (err = attach_one(r, i)))
			return err;
	r->nclock_links = r->nlinks - r->clock_links;
	return 0;
}

/* elapsed counts from here: bpf_ktime_get_ns() is CLOCK_MONOTONIC */
static void set_elapsed(struct sonde_run *r)
{
	struct timespec ts;
	uint32_t zero = 0;
	uint64_t now;

	if (r->comp->elapsed < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	bpf_map_update_elem(r->comp->maps[r->comp->elapsed].fd, &zero, &now,
			    BPF_ANY);
}

/* BEGIN runs before any other probe can: interval and profile clocks
 * start counting after it (bpftrace's `i:s:1` then fires a full second
 * after BEGIN, never sooner). */
void run_begin(struct sonde_run *r)
{
	int i;

	set_elapsed(r);
	begin_hook(r);
	for (i = r->clock_links; i < r->clock_links + r->nclock_links; i++)
		ioctl(r->links[i], PERF_EVENT_IOC_ENABLE, 0);
}

/* The probes' links go before END runs, as bpftrace detaches them: what
 * END prints is not mixed with later events, and END's link stays. */
void run_detach_probes(struct sonde_run *r)
{
	int i, n = 0, end = -1;

	for (i = 0; i < r->nlinks; i++)
		if (i == r->end_link)
			end = r->links[i];
		else
			r->links[n++] = r->links[i];
	fds_let_go_shielded(r->links, n);
	r->nlinks = 0;
	r->end_link = -1;
	if (end >= 0) {
		r->end_link = 0;
		r->links[r->nlinks++] = end;
	}
}

void run_end_probe(struct sonde_run *r)
{
	end_hook(r);
}
