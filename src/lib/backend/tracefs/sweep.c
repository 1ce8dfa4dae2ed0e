/* SPDX-License-Identifier: MIT */
/*
 * Remove what sessions killed before their teardown (SIGKILL, a crash) left
 * in the kernel: their instance and their probe groups, both named
 * sonde_<pid>_<n>. Only a group whose owner is proven dead is touched: its
 * lock file (owner.c) exists and its lock can be taken. The pid in the
 * name says nothing from another pid namespace, and a group without a lock
 * file cannot be proven dead; both are left alone (sonde_cleanup() says
 * so), unless named by sonde_cleanup_group().
 */
#include <dirent.h>
#include <errno.h>
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

struct sweep {
	int removed;
	bool report; /* sonde_cleanup(): say which groups are left, why */
	int left; /* of the group being swept: what the kernel refused */
	sonde_log_fn log;
	void *ctx;
	char **names; /* candidate groups, each once */
	size_t n, cap;
	const char *group; /* sonde_cleanup_group()'s */
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

/* A candidate: a session's group name, each kept once. */
static int note(const char *name, size_t len, void *ctx)
{
	struct sweep *sw = ctx;
	char **grown;
	size_t i;

	if (owner_pid(name, len) < 0)
		return 0;
	for (i = 0; i < sw->n; i++)
		if (strlen(sw->names[i]) == len &&
		    !memcmp(sw->names[i], name, len))
			return 0;
	if (sw->n == sw->cap) {
		sw->cap = sw->cap ? 2 * sw->cap : 16;
		grown = realloc(sw->names, sw->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		sw->names = grown;
	}
	sw->names[sw->n] = strndup(name, len);
	if (!sw->names[sw->n])
		return -ENOMEM;
	sw->n++;
	return 0;
}

/* readdir, not tracefs_instances(): libtracefs 1.6.4 leaks its regex */
static void note_instances(struct sweep *sw)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", tfs_root());
	d = opendir(path);
	while (d && (de = readdir(d)))
		note(de->d_name, strlen(de->d_name), sw);
	if (d)
		closedir(d);
}

/* dynamic_events lists kprobes and uprobes alike: "p:GRP/EV LOCATION ..."
 * (or, with group set, each probe of group: name is its event). */
static void each_probe(struct sweep *sw, char *text, const char *group)
{
	char *line, *save = NULL, ev[256], rm[300];
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
		if (!group) {
			note(name, slash - name, sw);
			continue;
		}
		if ((size_t)(slash - name) != strlen(group) ||
		    memcmp(name, group, slash - name))
			continue;
		memcpy(ev, name, n);
		ev[n] = '\0';
		/* removal goes through dynamic_events too */
		snprintf(rm, sizeof(rm), "-:%s", ev);
		if (tfs_write_line("dynamic_events", rm) == 0) {
			sw->removed++;
			say(sw, "probe", ev);
		} else {
			sw->left++;
		}
	}
}

/* The group of a dead owner: its instance (rmdir disables its events and
 * drops their triggers and filters, trace.c instance_rmdir), then its
 * probes. */
static void sweep_group(struct sweep *sw, const char *group)
{
	struct tracefs_instance *inst;
	char path[512], *text;

	snprintf(path, sizeof(path), "%s/instances/%s", tfs_root(), group);
	if (access(path, F_OK) == 0) {
		inst = tracefs_instance_alloc(NULL, group);
		if (inst && tracefs_instance_destroy(inst) == 0) {
			sw->removed++;
			say(sw, "instance", group);
		} else {
			sw->left++;
		}
		tracefs_instance_free(inst);
	}
	text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	each_probe(sw, text, group);
	free(text);
}

/* A group sonde_cleanup() leaves because nothing proves its owner dead. */
static void say_unproven(struct sweep *sw, const char *group)
{
	char msg[400];

	if (!sw->report || !sw->log)
		return;
	snprintf(msg, sizeof(msg),
		 "left %s: it has no lock file in " OWNER_DIR
		 ", so its owner cannot be proven dead (a session of another "
		 "container, or of a sonde without lock files); if you know it "
		 "is dead: sonde cleanup %s",
		 group, group);
	sw->log(SONDE_LOG_WARN, msg, sw->ctx);
}

static int sweep_all(struct sweep *sw)
{
	char *text;
	size_t i;
	int fd;

	if (!tfs_root())
		return -ENODEV;
	note_instances(sw);
	text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	each_probe(sw, text, NULL);
	free(text);
	owner_list(note, sw);
	for (i = 0; i < sw->n; i++) {
		fd = owner_dead_lock(sw->names[i]);
		if (fd >= 0) {
			sw->left = 0;
			sweep_group(sw, sw->names[i]);
			/* a probe still busy (a dead perf session's events the
			 * kernel is letting go of): the lock file stays, so
			 * that the next sweep may finish the group */
			if (sw->left)
				close(fd);
			else
				owner_dead_done(sw->names[i], fd);
		} else if (fd == -ENOENT) {
			say_unproven(sw, sw->names[i]);
		}
		free(sw->names[i]);
	}
	free(sw->names);
	return sw->removed;
}

/* A dead group's enabled events are disabled (their uprobes removed) in
 * the task that removes them: one a SIGKILL of ours does not reach
 * (shield.c). tfs_sweep() runs in a backend's start, shielded already. */
static int sweep_all_shielded(void *arg)
{
	return sweep_all(arg);
}

static int sweep_group_shielded(void *arg)
{
	struct sweep *sw = arg;

	sweep_group(sw, sw->group);
	return 0;
}

int tfs_sweep(struct sonde_session *s, sonde_log_fn log, void *ctx)
{
	struct sweep sw = {.log = log, .ctx = ctx};

	(void)s;
	return sweep_all(&sw);
}

static int cleanup_ready(void)
{
	if (geteuid() != 0)
		return -EPERM;
	if (tfs_mount(true) || !tfs_root())
		return -ENODEV;
	return 0;
}

int sonde_cleanup(sonde_log_fn log, void *ctx)
{
	struct sweep sw = {.log = log, .ctx = ctx, .report = true};
	int err = cleanup_ready();

	return err ? err : run_shielded(sweep_all_shielded, &sw);
}

int sonde_cleanup_group(const char *group, sonde_log_fn log, void *ctx)
{
	struct sweep sw = {.log = log, .ctx = ctx};
	int err = cleanup_ready(), fd;

	if (err)
		return err;
	if (!group || owner_pid(group, strlen(group)) < 0)
		return -EINVAL;
	fd = owner_dead_lock(group);
	if (fd == -EBUSY)
		return -EBUSY; /* its owner is alive: never */
	sw.group = group;
	run_shielded(sweep_group_shielded, &sw);
	if (fd >= 0) {
		if (sw.left)
			close(fd);
		else
			owner_dead_done(group, fd);
	}
	if (sw.left)
		return -EBUSY;
	return sw.removed ? sw.removed : -ENOENT;
}
