/* SPDX-License-Identifier: MIT */
/*
 * Dynamic PMUs and perf_event_open(2): the type of the uprobe and kprobe
 * PMUs and the config bits of their formats, read from sysfs once
 * (kernel/events/core.c: PMU_FORMAT_ATTR(retprobe, "config:0"),
 * PMU_FORMAT_ATTR(ref_ctr_offset, "config:32-63")), and the one syscall
 * wrapper.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pmu.h"

int pmu_format_parse(const char *text, struct pmu_format *f)
{
	static const char *const words[] = {"config:", "config1:", "config2:"};
	const char *p = NULL;
	char *end;
	long lo, hi;
	int w;

	for (w = 0; w < 3 && !p; w++)
		if (!strncmp(text, words[w], strlen(words[w])))
			p = text + strlen(words[w]);
	if (!p)
		return -EINVAL;
	errno = 0;
	lo = hi = strtol(p, &end, 10);
	if (end == p || errno)
		return -EINVAL;
	if (*end == '-') {
		p = end + 1;
		hi = strtol(p, &end, 10);
		if (end == p || errno)
			return -EINVAL;
	}
	if (*end && *end != '\n')
		return -EINVAL;
	if (lo < 0 || hi < lo || hi > 63)
		return -EINVAL;
	f->word = w - 1;
	f->lo = (int)lo;
	f->hi = (int)hi;
	return 0;
}

/* The first line of dir/name/file, without its newline. */
static int read_line(const char *dir, const char *name, const char *file,
		     char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir, name, file) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? (int)n : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A format that is a single bit of config, as retprobe is. */
static int config_bit(const char *dir, const char *name, const char *file)
{
	struct pmu_format f;
	char buf[64];

	if (read_line(dir, name, file, buf, sizeof(buf)) ||
	    pmu_format_parse(buf, &f) || f.word != 0)
		return -1;
	return f.lo;
}

int pmu_read(const char *dir, const char *name, struct pmu_info *out)
{
	char buf[64], *end;
	long type;
	int err;

	out->type = -ENOENT;
	out->retprobe_bit = 0;
	out->ref_ctr_shift = -1;
	err = read_line(dir, name, "type", buf, sizeof(buf));
	if (err)
		return out->type = err;
	errno = 0;
	type = strtol(buf, &end, 10);
	if (end == buf || *end || errno || type < 0 || type > 0x7fffffff)
		return out->type = -EINVAL;
	out->type = (int)type;
	out->retprobe_bit = config_bit(dir, name, "format/retprobe");
	if (out->retprobe_bit < 0)
		out->retprobe_bit = 0;
	out->ref_ctr_shift = config_bit(dir, name, "format/ref_ctr_offset");
	return 0;
}

struct pmu_cached {
	char name[32];
	struct pmu_info info;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pmu_cached cache[8];
static int ncached;

const struct pmu_info *pmu_get(const char *name)
{
	static const struct pmu_info uncached = {.type = -ENOMEM,
						 .ref_ctr_shift = -1};
	const struct pmu_info *found = NULL;
	int i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ncached && !found; i++)
		if (!strcmp(cache[i].name, name))
			found = &cache[i].info;
	if (!found && ncached < (int)(sizeof(cache) / sizeof(cache[0])) &&
	    strlen(name) < sizeof(cache[0].name)) {
		snprintf(cache[ncached].name, sizeof(cache[0].name), "%s",
			 name);
		pmu_read(PMU_SYSFS_DIR, name, &cache[ncached].info);
		found = &cache[ncached++].info;
	}
	pthread_mutex_unlock(&cache_lock);
	return found ? found : &uncached;
}

void perf_dummy_attr(struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_DUMMY;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
}

int perf_event_open_cloexec(struct perf_event_attr *attr, pid_t pid, int cpu,
			    int group_fd, unsigned long flags)
{
	long fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd,
			  flags | PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}
