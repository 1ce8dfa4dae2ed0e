/* SPDX-License-Identifier: MIT */
/*
 * Remove what sessions killed before their teardown (SIGKILL, a crash) left
 * in the kernel: their instance and their probe groups. A session's group
 * and instance are both named sonde_<pid>_<n>; a group whose pid is alive is
 * never touched.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "internal.h"

/* "sonde_<pid>_<n>" (or "sonde_<pid>") -> pid, or -1 when name is not a
 * session's. */
static int owner_pid(const char *name, size_t len)
{
	char buf[64], *end;
	long pid;

	if (len >= sizeof(buf) || len < 7 || strncmp(name, "sonde_", 6))
		return -1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	pid = strtol(buf + 6, &end, 10);
	if (end == buf + 6 || pid <= 0)
		return -1;
	if (*end == '_' && end[1]) /* sonde_<pid>_<n>, or sonde_<pid> */
		strtol(end + 1, &end, 10);
	return *end ? -1 : (int)pid;
}

static bool is_dead(int pid)
{
	return pid > 0 && pid != getpid() && kill(pid, 0) < 0 &&
	       errno == ESRCH;
}

struct sweep {
	int removed;
	sonde_log_fn log;
	void *ctx;
};

static void say(struct sweep *sw, const char *what, const char *name)
{
	char msg[160];

	if (!sw->log)
		return;
	snprintf(msg, sizeof(msg), "removed %s %s of a dead session", what,
		 name);
	sw->log(SONDE_LOG_INFO, msg, sw->ctx);
}

/* readdir, not tracefs_instances(): libtracefs 1.6.4 leaks its regex */
static void sweep_instances(struct sweep *sw)
{
	struct tracefs_instance *inst;
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", tfs_root());
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (!is_dead(owner_pid(de->d_name, strlen(de->d_name))))
			continue;
		/* rmdir of an instance disables its events and drops their
		 * triggers and filters with it (trace.c instance_rmdir). */
		inst = tracefs_instance_alloc(NULL, de->d_name);
		if (inst && tracefs_instance_destroy(inst) == 0) {
			sw->removed++;
			say(sw, "instance", de->d_name);
		}
		tracefs_instance_free(inst);
	}
	if (d)
		closedir(d);
}

static void remove_line(struct sweep *sw, const char *file, const char *ev)
{
	char line[300];

	snprintf(line, sizeof(line), "-:%s", ev);
	if (tfs_write_line(file, line) == 0) {
		sw->removed++;
		say(sw, "probe", ev);
	}
}

/* dynamic_events lists kprobes and uprobes alike: "p:GRP/EV LOCATION ...";
 * removal goes through dynamic_events too. */
static void sweep_probes(struct sweep *sw)
{
	char *text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	char *line, *save = NULL, ev[256];
	size_t n;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = strchr(line, ':'), *slash;

		if (!name)
			continue;
		name++;
		n = strcspn(name, " ");
		slash = memchr(name, '/', n);
		if (!slash || n >= sizeof(ev))
			continue;
		if (!is_dead(owner_pid(name, slash - name)))
			continue;
		memcpy(ev, name, n);
		ev[n] = '\0';
		remove_line(sw, "dynamic_events", ev);
	}
	free(text);
}

int tfs_sweep(struct sonde_session *s, sonde_log_fn log, void *ctx)
{
	struct sweep sw = { .log = log, .ctx = ctx };

	(void)s;
	if (!tfs_root())
		return -ENODEV;
	sweep_instances(&sw);
	sweep_probes(&sw);
	return sw.removed;
}

int sonde_cleanup(sonde_log_fn log, void *ctx)
{
	if (geteuid() != 0)
		return -EPERM;
	if (tfs_mount(true) || !tfs_root())
		return -ENODEV;
	return tfs_sweep(NULL, log, ctx);
}
