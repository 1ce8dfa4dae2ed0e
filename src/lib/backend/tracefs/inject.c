/* SPDX-License-Identifier: MIT */
/*
 * Records written into an event through its inject file
 * (CONFIG_TRACE_EVENT_INJECT; Documentation/trace/events.rst, "Event
 * injection"; kernel/trace/trace_events_inject.c). Each instance has its
 * own events/SYS/EV/inject; a record written there goes into that
 * instance's buffer through the event's filter and triggers, whether the
 * event is enabled there or not. The kernel answers a write it dropped
 * (a pid filter, tracing off) as one it kept, so those are refused here.
 * SONDE_TRACEFS_ROOT points these paths at a copy of tracefs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/tracefs/inject.h"
#include "internal.h"

static const char *root(void)
{
	const char *r = getenv("SONDE_TRACEFS_ROOT");

	if (r && *r)
		return r;
	tfs_mount(true);
	return tfs_root();
}

/* ROOT[/instances/INST]/REST */
static int path_of(char *buf, size_t len, const char *inst, const char *rest)
{
	const char *r = root();
	int n;

	if (!r)
		return -ENODEV;
	n = inst ? snprintf(buf, len, "%s/instances/%s/%s", r, inst, rest)
		 : snprintf(buf, len, "%s/%s", r, rest);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The first bytes of a small file, NUL-terminated; -errno. */
static int read_head(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static char *read_all(const char *path)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap), *grown;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + used, cap - used - 1)) > 0) {
		used += (size_t)n;
		if (used + 1 == cap) {
			grown = realloc(buf, cap *= 2);
			if (!grown)
				goto fail;
			buf = grown;
		}
	}
	if (n < 0)
		goto fail;
	buf[used] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int tfs_inject_format(const char *sys, const char *ev, char **text,
		      struct lib_error *err)
{
	char rest[320], path[640];
	int ret;

	*text = NULL;
	snprintf(rest, sizeof(rest), "events/%s/%s", sys, ev);
	ret = path_of(path, sizeof(path), NULL, rest);
	if (ret == -ENODEV)
		return lib_error_set(err, ENODEV, -1,
				     "tracefs is not mounted, and cannot be");
	if (ret || access(path, F_OK))
		return lib_error_set(err, ENOENT, -1,
				     "no event %s:%s (no %s in tracefs)", sys,
				     ev, rest);
	strcat(path, "/inject");
	if (access(path, F_OK))
		return lib_error_set(err, ENOTSUP, -1,
				     "this kernel has no inject files "
				     "(CONFIG_TRACE_EVENT_INJECT), so no "
				     "record can be written into %s:%s",
				     sys, ev);
	strcpy(strrchr(path, '/'), "/format");
	*text = read_all(path);
	if (!*text)
		return lib_error_set(err, errno ? errno : EIO, -1,
				     "cannot read %s: %s", path,
				     strerror(errno ? errno : EIO));
	return 0;
}

static bool enabled_in(const char *inst, const char *sys, const char *ev)
{
	char rest[320], path[640], buf[8];

	snprintf(rest, sizeof(rest), "events/%s/%s/enable", sys, ev);
	if (path_of(path, sizeof(path), inst, rest))
		return false;
	/* "1", or "1*" when soft-enabled (trace_events.c, event_enable_read) */
	return read_head(path, buf, sizeof(buf)) > 0 && buf[0] == '1';
}

int tfs_inject_enabled(const char *sys, const char *ev,
		       int (*cb)(const char *inst, void *ctx), void *ctx)
{
	char path[512];
	struct dirent *de;
	int n = 0, ret = 0;
	DIR *d;

	if (path_of(path, sizeof(path), NULL, "instances"))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		if (strncmp(de->d_name, "sonde_", 6) ||
		    !enabled_in(de->d_name, sys, ev))
			continue;
		n++;
		ret = cb(de->d_name, ctx);
	}
	closedir(d);
	return ret ? ret : n;
}

static const char *where(const char *inst, char *buf, size_t len)
{
	if (!inst)
		return "the top-level instance";
	snprintf(buf, len, "instance %s", inst);
	return buf;
}

int tfs_inject_check(const char *inst, struct lib_error *err)
{
	char path[512], buf[64], w[96];
	int n;

	where(inst, w, sizeof(w));
	if (inst &&
	    (path_of(path, sizeof(path), inst, "") || access(path, F_OK)))
		return lib_error_set(err, ENOENT, -1, "no tracing instance %s",
				     inst);
	if (!path_of(path, sizeof(path), inst, "tracing_on") &&
	    read_head(path, buf, sizeof(buf)) > 0 && buf[0] == '0')
		return lib_error_set(err, EINVAL, -1,
				     "tracing is off in %s (tracing_on is 0): "
				     "the kernel would drop the record",
				     w);
	if (path_of(path, sizeof(path), inst, "set_event_pid"))
		return 0;
	n = read_head(path, buf, sizeof(buf));
	if (n > 0 && buf[strspn(buf, " \n")])
		return lib_error_set(err, EINVAL, -1,
				     "%s records only the processes in its "
				     "set_event_pid (a session with -p or "
				     "-c): the kernel would drop a record "
				     "written by sonde inject",
				     w);
	return 0;
}

int tfs_inject_write(const char *inst, const char *sys, const char *ev,
		     const char *line, struct lib_error *err)
{
	char rest[320], path[640], w[96];
	size_t len = strlen(line);
	ssize_t n;
	int fd, ret;

	ret = tfs_inject_check(inst, err);
	if (ret)
		return ret;
	where(inst, w, sizeof(w));
	snprintf(rest, sizeof(rest), "events/%s/%s/inject", sys, ev);
	if (path_of(path, sizeof(path), inst, rest))
		return lib_error_set(err, ENAMETOOLONG, -1, "path too long");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return lib_error_set(err, ENOENT, -1, "%s has no event %s:%s",
				     w, sys, ev);
	if (fd < 0)
		return lib_error_set(err, errno, -1,
				     "cannot open the inject file of %s:%s in "
				     "%s: %s",
				     sys, ev, w, strerror(errno));
	/* one write: the kernel parses each write as one whole record */
	n = write(fd, line, len);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return lib_error_set(err, -ret, -1,
				     "the kernel refused the record '%s' for "
				     "%s:%s in %s: %s",
				     line, sys, ev, w, strerror(-ret));
	if ((size_t)n != len)
		return lib_error_set(err, EIO, -1,
				     "the kernel took %zd of the record's %zu "
				     "bytes",
				     n, len);
	return 0;
}
