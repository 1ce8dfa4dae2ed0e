/* SPDX-License-Identifier: MIT */
/*
 * The one place that reads the dynamic PMUs' descriptions under
 * /sys/bus/event_source/devices (perf_event_attr.type and the config bits
 * of their formats) and that calls perf_event_open(2). A PMU's
 * description is read once and kept for the life of the process.
 */
#ifndef SONDE_PMU_H
#define SONDE_PMU_H

#include <stdbool.h>
#include <sys/types.h>

#include <linux/perf_event.h>

#define PMU_SYSFS_DIR "/sys/bus/event_source/devices"

/* A format file's text, "config:0" or "config1:32-63"
 * (Documentation/ABI/testing/sysfs-bus-event_source-devices-format):
 * which config word of perf_event_attr and which bits of it. */
struct pmu_format {
	int word; /* 0: config, 1: config1, 2: config2 */
	int lo, hi;
};

/* What sonde needs of a dynamic PMU ("uprobe", "kprobe"). */
struct pmu_info {
	int type;	   /* perf_event_attr.type, or -errno: no such PMU */
	int retprobe_bit;  /* bit of config for a return probe; 0 if absent */
	int ref_ctr_shift; /* format/ref_ctr_offset's lowest bit in config
			     * (kernel/trace/trace_uprobe.c, 4.20), or -1:
			     * this kernel has no such format */
};

/* Parse one format file's text. 0 or -EINVAL. */
int pmu_format_parse(const char *text, struct pmu_format *f);

/* Read the PMU called name under dir (PMU_SYSFS_DIR, or a copy of it for
 * tests), uncached. Always fills *out; returns 0 or out->type (-errno). */
int pmu_read(const char *dir, const char *name, struct pmu_info *out);

/* The PMU called name under PMU_SYSFS_DIR, read once per process; never
 * NULL: a PMU the kernel lacks has a negative type (-ENOMEM past the few
 * names the cache holds). */
const struct pmu_info *pmu_get(const char *name);

/* A dummy software event's attr (side records only: mmap, comm), stamped
 * with CLOCK_MONOTONIC as the probes' events; the caller sets which
 * records. */
void perf_dummy_attr(struct perf_event_attr *a);

/* perf_event_open(2), the fd always close-on-exec. The fd or -errno. */
int perf_event_open_cloexec(struct perf_event_attr *attr, pid_t pid, int cpu,
			    int group_fd, unsigned long flags);

#endif
