/* SPDX-License-Identifier: MIT */
/* What this kernel and machine support, for `sonde check` and for choosing
 * a path at run time. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tracefs.h>

#include "bpf/bpf_int.h"
#include "insn.h"
#include "internal.h"

/* Is name in tracefs? A permission this user lacks is noted, not taken
 * for absence. */
static bool tracing_file(const char *name, struct sonde_features *f)
{
	int err = tfs_has(name);

	if (err == -EACCES || err == -EPERM)
		f->tracefs_denied = true;
	return err == 0;
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
	out.uprobe_pmu =
		access("/sys/bus/event_source/devices/uprobe/type", F_OK) == 0;
	out.kprobe_pmu =
		access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
	if (tfs_mount(out.root) == 0 && (path = tfs_root()) &&
	    access(path, F_OK) == 0) {
		out.tracefs = true;
		snprintf(out.tracefs_path, sizeof(out.tracefs_path), "%s",
			 path);
		out.uprobes = tracing_file("uprobe_events", &out);
		out.kprobes = tracing_file("kprobe_events", &out);
		out.hist_triggers = has_hist_triggers();
	}
	out.bpf = bpf_works();
	if (out.bpf) {
		int fd = bpfl_map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);

		out.bpf_ringbuf = fd >= 0;
		if (fd >= 0)
			close(fd);
		out.bpf_uprobe_multi = bpfl_has_uprobe_multi();
		out.bpf_kprobe_multi = bpfl_has_kprobe_multi();
	}
	out.insn_check = insn_check_available();
	memcpy(f, &out, f->sz && f->sz < sizeof(out) ? f->sz : sizeof(out));
	return 0;
}
