/* SPDX-License-Identifier: MIT */
/*
 * --cgroup PATH: the cgroup whose tasks alone the session's probes see.
 * Only the v2 hierarchy (cgroup2, statfs(2) CGROUP2_SUPER_MAGIC) has one
 * cgroup per task for every controller, which both kernel filters take:
 * the perf backend passes the directory's fd to perf_event_open(2) with
 * PERF_FLAG_PID_CGROUP, the bpf backend puts it in a cgroup array for
 * bpf_current_task_under_cgroup(). Both count the tasks of the cgroup and
 * of its descendants (kernel/events/core.c perf_cgroup_match() and
 * kernel/trace/bpf_trace.c, both cgroup_is_descendant()). The cgroup's
 * id, logged at -v, is its kernfs node id, the file handle that
 * name_to_handle_at(2) gives for the directory (kernel/cgroup/cgroup.c
 * cgroup_get_from_id(), fs/kernfs/mount.c kernfs_encode_fh()), the value
 * of bpftrace's cgroupid() and of bpf_get_current_cgroup_id().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

static uint64_t cgroup_id(int fd)
{
	struct {
		struct file_handle h;
		unsigned char id[8];
	} fh = {.h.handle_bytes = 8};
	uint64_t id = 0;
	int mount_id;

	if (!name_to_handle_at(fd, "", &fh.h, &mount_id, AT_EMPTY_PATH) &&
	    fh.h.handle_bytes == 8)
		memcpy(&id, fh.h.f_handle, sizeof(id));
	return id;
}

int session_cgroup_open(struct sonde_session *s)
{
	const char *path = s->opts.cgroup;
	struct statfs sf = {0};
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return set_err(s, errno == ENOTDIR ? EINVAL : errno, -1,
			       "--cgroup %s: %s", path,
			       errno == ENOTDIR ? "not a directory"
						: strerror(errno));
	if (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		if (sf.f_type == CGROUP_SUPER_MAGIC)
			return set_err(s, EINVAL, -1,
				       "--cgroup %s is a cgroup v1 directory: probes can be limited to a cgroup of the v2 hierarchy only (cgroup2, usually /sys/fs/cgroup)",
				       path);
		return set_err(s, EINVAL, -1,
			       "--cgroup %s is not a cgroup: not on a cgroup2 file system (usually /sys/fs/cgroup)",
			       path);
	}
	s->cgroup_fd = fd;
	s->cgroup_id = cgroup_id(fd);
	slog(s, SONDE_LOG_INFO, "--cgroup %s: cgroup id %llu", path,
	     (unsigned long long)s->cgroup_id);
	return 0;
}

void session_cgroup_close(struct sonde_session *s)
{
	if (s->cgroup_map_fd >= 0)
		close(s->cgroup_map_fd);
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	s->cgroup_map_fd = s->cgroup_fd = -1;
}
