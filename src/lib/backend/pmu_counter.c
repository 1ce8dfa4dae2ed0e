/* SPDX-License-Identifier: MIT */
/*
 * Counting in the kernel: a uprobe or kprobe made on the PMU of the same
 * name (perf_event_open, no sampling: the kernel only adds to a counter,
 * nothing is recorded), and the parser of the ftrace hist file.
 */
#include <ctype.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg/agg.h"
#include "internal.h"
#include "pmu.h"

struct sonde_counter {
	int *fds;
	int nfds;
	struct perf_event_attr *attr; /* while opening */
	int cgroup_fd;		      /* --cgroup's directory, or -1 */
};

static int add_fd(struct sonde_counter *c, int fd)
{
	int *fds = realloc(c->fds, (c->nfds + 1) * sizeof(*fds));

	if (!fds) {
		close(fd);
		return -ENOMEM;
	}
	c->fds = fds;
	c->fds[c->nfds++] = fd;
	return 0;
}

/* One counter per CPU: system-wide only. A per-task PMU probe cannot
 * follow the task's new threads: an inherited event is set up again in the
 * new thread (kernel/events/core.c inherit_event -> perf_uprobe_init),
 * which reads uprobe_path through our pointer in the traced process's
 * memory, and clone() fails there (seen on 6.18). */
static int open_all(void *arg)
{
	struct sonde_counter *c = arg;
	int fd, err = 0, cpu, ncpus = sysconf(_SC_NPROCESSORS_CONF);

	for (cpu = 0; cpu < ncpus && !err; cpu++) {
		/* --cgroup: counted only while its tasks run */
		fd = c->cgroup_fd >= 0
			     ? perf_event_open_cloexec(c->attr, c->cgroup_fd,
						       cpu, -1,
						       PERF_FLAG_PID_CGROUP)
			     : perf_event_open_cloexec(c->attr, -1, cpu, -1, 0);
		if (fd == -ENODEV) /* offline CPU */
			continue;
		err = fd < 0 ? fd : add_fd(c, fd);
	}
	return err ? err : c->nfds ? 0 : -ENODEV;
}

struct sonde_counter *sonde_counter__open(struct sonde_session *s, int i)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	struct sonde_counter *c;
	const struct probe *p;
	bool user;
	const struct pmu_info *pmu;
	int err;

	if (!s || i < 0 || i >= s->nprobes) {
		errno = EINVAL;
		return NULL;
	}
	p = &s->probes[i];
	user = probe_kind_is_user(p->spec.kind);
	/* a filter or a trigger needs the trace event; USDT semaphores need
	 * ref_ctr_offset in config, which we do not set */
	if (s->opts.pid > 0 || (s->opts.cgroup && s->cgroup_fd < 0) ||
	    p->filter || p->trigger || p->hist || p->spec.ref_ctr_offset ||
	    (user && !p->path) || (!user && p->spec.target) ||
	    (!user && !p->spec.symbol && !p->spec.has_addr)) {
		errno = ENOTSUP;
		return NULL;
	}
	pmu = pmu_get(user ? "uprobe" : "kprobe");
	if (pmu->type < 0) {
		errno = pmu->type == -ENOENT ? ENOTSUP : -pmu->type;
		return NULL;
	}
	attr.type = pmu->type;
	if (probe_kind_is_return(p->spec.kind))
		attr.config |= 1ULL << pmu->retprobe_bit;
	/* include/uapi/linux/perf_event.h: uprobe_path/kprobe_func in
	 * config1, probe_offset/kprobe_addr in config2 */
	if (user) {
		attr.config1 = (uint64_t)(uintptr_t)p->path;
		attr.config2 = p->offset;
	} else if (p->spec.symbol) {
		attr.config1 = (uint64_t)(uintptr_t)p->spec.symbol;
		attr.config2 = p->spec.offset;
	} else {
		attr.config2 = p->spec.addr;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* in a task a SIGKILL of ours does not reach (shield.c) */
	c->attr = &attr;
	c->cgroup_fd = s->cgroup_fd;
	err = run_shielded(open_all, c);
	c->attr = NULL;
	if (err) {
		sonde_counter__close(c);
		errno = -err;
		return NULL;
	}
	slog(s, SONDE_LOG_DEBUG, "%s: counted by the %s PMU (%d counters)",
	     p->name, user ? "uprobe" : "kprobe", c->nfds);
	return c;
}

int sonde_counter__read(struct sonde_counter *c, uint64_t *count)
{
	uint64_t v, sum = 0;
	int i;

	if (!c || !count)
		return -EINVAL;
	for (i = 0; i < c->nfds; i++) {
		if (read(c->fds[i], &v, sizeof(v)) != sizeof(v))
			return -errno ?: -EIO;
		sum += v;
	}
	*count = sum;
	return 0;
}

void sonde_counter__close(struct sonde_counter *c)
{
	if (!c)
		return;
	/* the probes go in a kernel worker, or in a shielded task
	 * (release.c, shield.c), never cut short by a SIGKILL */
	fds_let_go_shielded(c->fds, c->nfds);
	free(c->fds);
	free(c);
}

/*
 * The hist file (Documentation/trace/histogram.rst):
 *   { k1:       value, k2: string padded       } hitcount:          N
 * then "Totals:" with "Hits:", "Entries:", "Dropped:". Values are given
 * as the kernel shows them, trimmed (a modifier's text included).
 */
static char *trim(char *p, char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return p;
}

static int parse_entry(char *line, sonde_hist_entry_fn cb, void *ctx)
{
	const char *names[SONDE_AGG_MAX_KEYS], *vals[SONDE_AGG_MAX_KEYS];
	char *close = strstr(line, "} hitcount:"), *p = line + 1, *next, *c;
	int n = 0;

	if (!close)
		return -EINVAL;
	*close = '\0';
	while (p < close && n < SONDE_AGG_MAX_KEYS) {
		c = strchr(p, ':');
		if (!c)
			return -EINVAL;
		/* the next key starts at ", NAME:" (strings may hold ", ") */
		next = c + 1;
		while ((next = strstr(next, ", ")) && next < close) {
			char *q = next + 2;

			while (*q == '_' || isalnum((unsigned char)*q))
				q++;
			if (*q == ':' && q > next + 2)
				break;
			next += 2;
		}
		if (!next)
			next = close;
		names[n] = trim(p, c);
		vals[n++] = trim(c + 1, next);
		p = next + (next < close ? 2 : 0);
	}
	return cb(n, names, vals, strtoull(close + 11, NULL, 10), ctx);
}

int sonde_hist__parse(const char *text, sonde_hist_entry_fn cb, void *ctx,
		      uint64_t *dropped)
{
	char *copy, *line, *save = NULL;
	int n = 0, err = 0;
	bool header = false;

	if (!text || !cb)
		return -EINVAL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	if (dropped)
		*dropped = 0;
	for (line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (!strncmp(line, "# event histogram", 17))
			header = true;
		else if (*line == '{' && (err = parse_entry(line, cb, ctx)) == 0)
			n++;
		else if (!strncmp(line, "Dropped:", 8) && dropped)
			*dropped = strtoull(line + 8, NULL, 10);
	}
	free(copy);
	if (err)
		return err;
	return header || n ? n : -EINVAL;
}
