/* SPDX-License-Identifier: MIT */
/* What this kernel and machine support, for `sonde check` and for choosing
 * a path at run time: the kernel's own features come from the cached
 * table of kernel_feature.c, tracefs' files are looked at each time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tracefs.h>

#include "resolve/insn_boundary.h"
#include "internal.h"
#include "backend/kernel_feature.h"

/* Is name in tracefs? A permission this user lacks is noted, not taken
 * for absence. */
static bool tracing_file(const char *name, struct sonde_features *f)
{
	int err = tfs_has(name);

	if (err == -EACCES || err == -EPERM)
		f->tracefs_denied = true;
	return err == 0;
}

/* The hist trigger section of tracefs' README exists only with
 * CONFIG_HIST_TRIGGERS (kernel/trace/trace.c readme_msg). */
static bool has_hist_triggers(void)
{
	char *readme = tracefs_instance_file_read(NULL, "README", NULL);
	bool yes = readme && strstr(readme, "hist:keys=");

	free(readme);
	return yes;
}

int sonde_features__probe(struct sonde_features *f)
{
	struct sonde_features out = { .sz = sizeof(out) };
	const char *path = NULL;
	struct utsname u;

	if (!f)
		return -EINVAL;
	out.root = geteuid() == 0;
	if (uname(&u) == 0)
		snprintf(out.kernel, sizeof(out.kernel), "%s %s", u.release,
			 u.machine);
	out.uprobe_pmu = kernel_feature_has(KERNEL_FEATURE_UPROBE_PMU);
	out.kprobe_pmu = kernel_feature_has(KERNEL_FEATURE_KPROBE_PMU);
	if (tfs_mount(out.root) == 0 && (path = tfs_root()) &&
	    access(path, F_OK) == 0) {
		out.tracefs = true;
		snprintf(out.tracefs_path, sizeof(out.tracefs_path), "%s",
			 path);
		out.uprobes = tracing_file("uprobe_events", &out);
		out.kprobes = tracing_file("kprobe_events", &out);
		out.hist_triggers = has_hist_triggers();
	}
	out.bpf = kernel_feature_has(KERNEL_FEATURE_BPF);
	if (out.bpf) {
		out.bpf_ringbuf =
			kernel_feature_has(KERNEL_FEATURE_BPF_RINGBUF);
		out.bpf_uprobe_multi =
			kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI);
		out.bpf_kprobe_multi =
			kernel_feature_has(KERNEL_FEATURE_BPF_KPROBE_MULTI);
	}
	out.insn_check = insn_check_available();
	memcpy(f, &out, f->sz && f->sz < sizeof(out) ? f->sz : sizeof(out));
	return 0;
}
