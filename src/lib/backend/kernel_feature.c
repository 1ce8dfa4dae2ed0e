/* SPDX-License-Identifier: MIT */
/*
 * The kernel feature table: one probe per feature, its answer cached
 * (kernel_feature.h). The BPF link probes themselves are in bpf/link.c,
 * beside the links they try.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/bpf/bpf_int.h"
#include "kernel_feature.h"
#include "pmu.h"

static bool uprobe_pmu(void)
{
	return pmu_get("uprobe")->type >= 0;
}

static bool kprobe_pmu(void)
{
	return pmu_get("kprobe")->type >= 0;
}

/* A one-entry array map: the cheapest proof that bpf() works for us. */
static bool bpf_works(void)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool bpf_ringbuf(void)
{
	int fd = bpf_new_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool (*const probes[KERNEL_FEATURE_COUNT])(void) = {
	[KERNEL_FEATURE_UPROBE_PMU] = uprobe_pmu,
	[KERNEL_FEATURE_KPROBE_PMU] = kprobe_pmu,
	[KERNEL_FEATURE_BPF] = bpf_works,
	[KERNEL_FEATURE_BPF_RINGBUF] = bpf_ringbuf,
	[KERNEL_FEATURE_BPF_UPROBE_MULTI] = bpf_has_uprobe_multi,
	[KERNEL_FEATURE_BPF_KPROBE_MULTI] = bpf_has_kprobe_multi,
};

/* -1 not probed yet, else 0 or 1. Two threads asking at once may both
 * probe; they get the same answer. */
static int answers[KERNEL_FEATURE_COUNT] = {
	[0 ... KERNEL_FEATURE_COUNT - 1] = -1,
};

bool kernel_feature_has(enum kernel_feature f)
{
	int v;

	if ((unsigned)f >= KERNEL_FEATURE_COUNT)
		return false;
	v = __atomic_load_n(&answers[f], __ATOMIC_ACQUIRE);
	if (v < 0) {
		v = probes[f]() ? 1 : 0;
		__atomic_store_n(&answers[f], v, __ATOMIC_RELEASE);
	}
	return v;
}
