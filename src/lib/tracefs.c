/* SPDX-License-Identifier: MIT */
/*
 * Everything that touches the kernel's tracing files: probe definitions in
 * {u,k}probe_events, the session's private instance, filters, triggers,
 * enable, and the sweep of dead sessions. libtracefs finds/mounts tracefs
 * and manages instances; definitions are written by hand because a line
 * must reach the kernel in one write() (two writes break its parser) and
 * libtracefs' uprobe API has no room for a ref_ctr_offset.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <tracefs.h>

#include "internal.h"

const char *tfs_root(void)
{
	return tracefs_tracing_dir();
}

/* TRACEFS_MAGIC, include/uapi/linux/magic.h */
#define TRACEFS_FS_MAGIC 0x74726163

/*
 * tracefs is not always mounted at boot: mount it where the kernel has
 * its mount point. Done by hand because libtracefs 1.6.4's
 * tracefs_tracing_dir_is_mounted() leaks the path it finds.
 */
int tfs_mount(bool mount_it)
{
	static const char dir[] = "/sys/kernel/tracing";
	struct statfs sfs;

	if (statfs(dir, &sfs) == 0 && sfs.f_type == TRACEFS_FS_MAGIC)
		return 0;
	/* the old place, through debugfs: libtracefs finds it */
	if (access("/sys/kernel/debug/tracing/uprobe_events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0)
		return 0;
	if (!mount_it)
		return -ENODEV;
	if (mount("nodev", dir, "tracefs", 0, NULL) < 0)
		return -errno;
	return 0;
}

int tfs_ensure_mounted(struct sonde_session *s)
{
	const char *path;
	int err = tfs_mount(geteuid() == 0);

	if (err == -ENODEV && geteuid() != 0)
		return set_err(s, EPERM, -1,
			       "tracefs is not mounted and only root can mount it: run sonde as root");
	if (err)
		return set_err(s, ENODEV, -1,
			       "tracefs is not mounted and could not be mounted on /sys/kernel/tracing: %s",
			       strerror(-err));
	path = tracefs_tracing_dir();
	if (!path)
		return set_err(s, ENODEV, -1, "cannot find tracefs");
	if (access(path, W_OK) != 0)
		return set_err(s, EPERM, -1,
			       "cannot write to %s: tracing needs root", path);
	return 0;
}

static int tfs_path(char *buf, size_t len, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", tfs_root(), file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* One whole line per write() (uprobetracer.rst: the parser takes a write
 * as one command). */
int tfs_write_line(const char *file, const char *line)
{
	char path[512];
	size_t len = strlen(line);
	char *buf;
	ssize_t n;
	int fd, err = 0;

	if (tfs_path(path, sizeof(path), file))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(len + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	n = write(fd, buf, len + 1);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len + 1)
		err = -EIO;
	free(buf);
	close(fd);
	return err;
}

static const char *events_file(const struct probe *p)
{
	return probe_kind_is_user(p->spec.kind) ? "uprobe_events"
						: "kprobe_events";
}

/* The kernel logs probe parse errors in the top-level error_log (not the
 * instance's): quote its last entry, caret line included. */
static int kernel_refused(struct sonde_session *s, struct probe *p, int err)
{
	char *log = tracefs_error_last(NULL);
	size_t n;

	if (log && *log) {
		n = strlen(log);
		while (n && log[n - 1] == '\n')
			log[--n] = '\0';
		set_err(s, err, -1, "the kernel refused probe '%s':\n%s",
			p->name, log);
	} else {
		set_err(s, err, -1, "the kernel refused probe '%s' (%s): %s",
			p->name, p->definition, strerror(-err));
	}
	free(log);
	return err;
}

static int load_format(struct sonde_session *s, struct probe *p)
{
	int err;

	p->format_text = tracefs_event_file_read(NULL, s->group, p->name,
						 "format", NULL);
	if (!p->format_text)
		return set_err(s, errno ? errno : EIO, -1,
			       "cannot read the format of %s/%s", s->group,
			       p->name);
	err = event_format_parse(p->format_text, &p->fmt);
	if (err)
		return set_err(s, err, -1, "cannot parse the format of %s/%s",
			       s->group, p->name);
	return 0;
}

static int create_one(struct sonde_session *s, struct probe *p)
{
	const char *file = events_file(p);
	char path[512];
	int err;

	if (tfs_path(path, sizeof(path), file) == 0 && access(path, F_OK) != 0) {
		if (probe_kind_is_user(p->spec.kind))
			return set_err(s, ENOTSUP, -1,
				       "this kernel has no uprobes (CONFIG_UPROBE_EVENTS)");
		return set_err(s, ENOTSUP, -1,
			       "this kernel has no kprobes (CONFIG_KPROBE_EVENTS)");
	}
	slog(s, SONDE_LOG_DEBUG, "%s: %s", file, p->definition);
	err = tfs_write_line(file, p->definition);
	if (err)
		return kernel_refused(s, p, err);
	p->created = true;
	return load_format(s, p);
}

/*
 * Many probes: definitions go to the kernel in blocks of whole lines, one
 * write() per block under a page (trace_parse_run_command() runs a write
 * line by line; a line cut between two writes is misparsed). The syscall
 * and file open per probe are saved; the kernel's own work per probe
 * stays. SONDE_TRACEFS_BATCH=0 writes one line per write() (for
 * measuring).
 */
static size_t batch_max(void)
{
	const char *e = getenv("SONDE_TRACEFS_BATCH");
	long page = sysconf(_SC_PAGESIZE);

	if (e && !strcmp(e, "0"))
		return 0;
	return page > 0 ? (size_t)page - 1 : 4095;
}

static int write_block(const char *file, const char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	if (tfs_path(path, sizeof(path), file))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

static bool event_exists(struct sonde_session *s, const struct probe *p)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/%s/%s", tfs_root(), s->group,
		 p->name);
	return access(path, F_OK) == 0;
}

static void progress(struct sonde_session *s, const char *what, int done,
		     int total)
{
	if (s->opts.progress && total > 1)
		s->opts.progress(what, done, total, s->opts.progress_ctx);
}

/* The lines of probes [from, *to) that fit in one block of file; a line
 * longer than a block goes alone (its own write). */
static size_t fill_block(struct sonde_session *s, char *buf, size_t max,
			 int from, int *to, bool removal)
{
	const char *file = events_file(&s->probes[from]);
	size_t len = 0, l;
	int i;

	for (i = from; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];
		char line[256];

		if (events_file(p) != file)
			break;
		if (removal && !p->created)
			continue;
		if (removal)
			snprintf(line, sizeof(line), "-:%s/%s\n", s->group,
				 p->name);
		l = removal ? strlen(line) : strlen(p->definition) + 1;
		if (len + l > max)
			break;
		if (removal) {
			memcpy(buf + len, line, l);
		} else {
			memcpy(buf + len, p->definition, l - 1);
			buf[len + l - 1] = '\n';
		}
		len += l;
	}
	*to = i;
	return len;
}

int tfs_create_probes(struct sonde_session *s)
{
	size_t max = batch_max(), len;
	char *buf = max ? malloc(max) : NULL;
	int i, j, next, werr, err = 0;

	for (i = 0; i < s->nprobes && !err; i = next) {
		struct probe *p = &s->probes[i];

		next = i + 1;
		len = buf ? fill_block(s, buf, max, i, &next, false) : 0;
		if (next - i < 2) { /* one line: the plain path */
			next = i + 1;
			err = create_one(s, p);
			progress(s, "creating", next, s->nprobes);
			continue;
		}
		slog(s, SONDE_LOG_DEBUG, "%s: %d definitions in one write",
		     events_file(p), next - i);
		werr = write_block(events_file(p), buf, len);
		/* a refused line stops the kernel there: what was made before
		 * it exists; the rest is written again line by line, so that a
		 * refusal quotes the kernel's error_log for its own line */
		for (j = i; j < next && !err; j++) {
			struct probe *q = &s->probes[j];

			if (werr && !event_exists(s, q)) {
				err = create_one(s, q);
			} else {
				q->created = true;
				err = load_format(s, q);
			}
		}
		progress(s, "creating", next, s->nprobes);
	}
	free(buf);
	return err;
}

static int remove_event(const char *group, const char *name, const char *file)
{
	char line[256];
	int err, tries;

	snprintf(line, sizeof(line), "-:%s/%s", group, name);
	/* EBUSY while a reader still holds the event: retry briefly. */
	for (tries = 0; tries < 50; tries++) {
		err = tfs_write_line(file, line);
		if (err != -EBUSY)
			break;
		usleep(20000);
	}
	return err;
}

int tfs_remove_probes(struct sonde_session *s)
{
	size_t max = batch_max(), len;
	char *buf = max && s->nprobes > 1 ? malloc(max) : NULL;
	int i, next, err, ret = 0, total = 0, done = 0;

	for (i = 0; i < s->nprobes; i++)
		total += s->probes[i].created;
	/* blocks first; what a failed block left (EBUSY...) goes one by one */
	for (i = 0; buf && i < s->nprobes; i = next) {
		len = fill_block(s, buf, max, i, &next, true);
		if (!len)
			continue;
		err = write_block(events_file(&s->probes[i]), buf, len);
		for (; i < next; i++) {
			struct probe *p = &s->probes[i];

			if (p->created && (!err || !event_exists(s, p))) {
				p->created = false;
				done++;
			}
		}
		progress(s, "removing", done, total);
	}
	free(buf);
	for (i = s->nprobes - 1; i >= 0; i--) {
		struct probe *p = &s->probes[i];

		if (!p->created)
			continue;
		err = remove_event(s->group, p->name, events_file(p));
		if (err) {
			slog(s, SONDE_LOG_WARN, "cannot remove %s/%s: %s",
			     s->group, p->name, strerror(-err));
			ret = err;
			continue;
		}
		p->created = false;
		progress(s, "removing", ++done, total);
	}
	return ret;
}

static int inst_write(struct sonde_session *s, const char *file,
		      const char *val)
{
	if (tracefs_instance_file_write(s->inst, file, val) < 0)
		return set_err(s, errno ? errno : EIO, -1,
			       "cannot write '%s' to %s of instance %s: %s",
			       val, file, s->group, strerror(errno));
	return 0;
}

/* All threads of pid now; event-fork adds those created later
 * (Documentation/trace/ftrace.rst, options/event-fork). */
static int set_pid_filter(struct sonde_session *s)
{
	char dir[64], buf[32];
	struct dirent *de;
	DIR *d;
	int err;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)s->opts.pid);
	d = opendir(dir);
	if (!d)
		return set_err(s, ESRCH, -1, "no process with pid %d",
			       (int)s->opts.pid);
	err = inst_write(s, "options/event-fork", "1");
	while (!err && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(buf, sizeof(buf), "%s", de->d_name);
		if (tracefs_instance_file_append(s->inst, "set_event_pid",
						 buf) < 0)
			err = set_err(s, errno, -1,
				      "cannot write set_event_pid: %s",
				      strerror(errno));
	}
	closedir(d);
	return err;
}

/* Why the kernel refused a filter or trigger: a bad filter is explained
 * in the event's filter file itself ("parse_error: ..." with a caret,
 * trace_events_filter.c), a bad trigger in the error_log, as its newest
 * entry only if it names this command. */
static char *refusal(struct sonde_session *s, struct probe *p,
		     const char *file, const char *val)
{
	char *why = NULL;

	if (!strcmp(file, "filter")) {
		why = tracefs_event_file_read(s->inst, s->group, p->name,
					      "filter", NULL);
		if (why && !strstr(why, "rror")) {
			free(why);
			why = NULL;
		}
	} else {
		why = tracefs_error_last(NULL);
		if (why && !strstr(why, val)) {
			free(why);
			why = NULL;
		}
	}
	return why;
}

static int event_write(struct sonde_session *s, struct probe *p,
		       const char *file, const char *val)
{
	char *why;
	size_t n;
	int err;

	if (tracefs_event_file_write(s->inst, s->group, p->name, file, val) >=
	    0)
		return 0;
	err = errno ? errno : EINVAL;
	why = refusal(s, p, file, val);
	n = why ? strlen(why) : 0;
	while (n && why[n - 1] == '\n')
		why[--n] = '\0';
	set_err(s, err, -1, "the kernel refused %s '%s' on %s: %s%s%s", file,
		val, p->name, strerror(err), why ? "\n" : "", why ? why : "");
	free(why);
	return -err;
}

static bool has_hist(struct sonde_session *s, const struct probe *p)
{
	char file[256];

	snprintf(file, sizeof(file), "events/%s/%s/hist", s->group, p->name);
	return tracefs_file_exists(s->inst, file);
}

static bool has_kind(const struct sonde_session *s, bool user)
{
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (probe_kind_is_user(s->probes[i].spec.kind) == user)
			return true;
	return false;
}

/* The probe's filter, trigger and hist trigger in the instance. */
static int probe_setup(struct sonde_session *s, struct probe *p)
{
	int err = 0;

	if (p->filter)
		err = event_write(s, p, "filter", p->filter);
	if (!err && p->trigger) {
		err = event_write(s, p, "trigger", p->trigger);
		p->triggered = !err;
	}
	if (!err && p->hist && !has_hist(s, p))
		err = set_err(s, ENOTSUP, -1,
			      "this kernel has no hist triggers (CONFIG_HIST_TRIGGERS)");
	if (!err && p->hist) {
		err = event_write(s, p, "trigger", p->hist);
		p->hist_set = !err;
	}
	return err;
}

static void untrigger(struct sonde_session *s, struct probe *p)
{
	char *trig;

	/* "!" + the trigger removes it (ftrace events.rst 6.1). */
	if (p->triggered && asprintf(&trig, "!%s", p->trigger) > 0) {
		tracefs_event_file_write(s->inst, s->group, p->name, "trigger",
					 trig);
		free(trig);
	}
	if (p->hist_set && asprintf(&trig, "!%s", p->hist) > 0) {
		tracefs_event_file_write(s->inst, s->group, p->name, "trigger",
					 trig);
		free(trig);
	}
	p->triggered = p->hist_set = false;
}

static int enable_one(struct sonde_session *s, struct probe *p, bool on)
{
	if (tracefs_event_file_write(s->inst, s->group, p->name, "enable",
				     on ? "1" : "0") >= 0)
		return 0;
	if (!on)
		return -errno;
	if (probe_kind_is_user(p->spec.kind))
		return set_err(s, errno, -1,
			       "the kernel could not place uprobe %s at %s:0x%llx (%s): is the offset on an instruction of an executable segment?",
			       p->name, p->path, (unsigned long long)p->offset,
			       strerror(errno));
	return set_err(s, errno, -1, "the kernel could not enable %s: %s",
		       p->name, strerror(errno));
}

int tfs_instance_setup(struct sonde_session *s)
{
	char buf[32];
	int i, err;

	s->inst = tracefs_instance_create(s->group);
	if (!s->inst)
		return set_err(s, errno ? errno : EIO, -1,
			       "cannot create tracing instance %s: %s",
			       s->group, strerror(errno));
	s->inst_created = true;
	/* Wake readers at the first event, not when half full (ftrace.rst:
	 * buffer_percent). */
	err = inst_write(s, "buffer_percent", "0");
	if (!err)
		err = inst_write(s, "trace_clock", "mono");
	if (!err && s->opts.buffer_kb) {
		snprintf(buf, sizeof(buf), "%u", s->opts.buffer_kb);
		err = inst_write(s, "buffer_size_kb", buf);
	}
	/* A stack record follows each event in the same CPU buffer
	 * (ftrace.rst: options stacktrace, userstacktrace). */
	if (!err && s->opts.stack && has_kind(s, false))
		err = inst_write(s, "options/stacktrace", "1");
	if (!err && s->opts.stack && has_kind(s, true))
		err = inst_write(s, "options/userstacktrace", "1");
	if (!err && s->opts.pid > 0)
		err = set_pid_filter(s);
	/* system-wide: not the tracer's own events when asked (sonde trace
	 * u:libc:malloc would feed on the printing of its own events);
	 * kernels before 5.8 lack the file */
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (!err && s->opts.pid <= 0 && s->opts.exclude_self &&
	    tracefs_file_exists(s->inst, "set_event_notrace_pid"))
		err = inst_write(s, "set_event_notrace_pid", buf);
	for (i = 0; !err && i < s->nprobes; i++)
		err = probe_setup(s, &s->probes[i]);
	return err;
}

int tfs_enable(struct sonde_session *s, bool on)
{
	char file[128];
	int i, err, ret = 0;

	if (!s->inst)
		return 0;
	/* on: the group's enable file, one write for every probe (ftrace
	 * events.rst); probe by probe when it fails, to name the one.
	 * off: probe by probe, for the progress callback: the kernel takes
	 * ~50 ms to unregister each uprobe here (a synchronize per event in
	 * trace_uprobe.c), however the writes are grouped. */
	snprintf(file, sizeof(file), "events/%s/enable", s->group);
	if (on && s->nprobes > 1 &&
	    tracefs_instance_file_write(s->inst, file, "1") > 0)
		return 0;
	for (i = 0; i < s->nprobes; i++) {
		if (!on)
			progress(s, "detaching", i, s->nprobes);
		if (!s->probes[i].created || s->probes[i].detached)
			continue;
		err = enable_one(s, &s->probes[i], on);
		if (err && on)
			return err;
		if (err)
			ret = err;
	}
	if (!on)
		progress(s, "detaching", s->nprobes, s->nprobes);
	return ret;
}

int tfs_instance_teardown(struct sonde_session *s)
{
	int i, ret = 0;

	if (!s->inst)
		return 0;
	tfs_enable(s, false);
	for (i = 0; i < s->nprobes; i++)
		untrigger(s, &s->probes[i]);
	if (s->inst_created && tracefs_instance_destroy(s->inst) < 0) {
		slog(s, SONDE_LOG_WARN, "cannot remove instance %s: %s",
		     s->group, strerror(errno));
		ret = -errno;
	}
	tracefs_instance_free(s->inst);
	s->inst = NULL;
	s->inst_created = false;
	return ret;
}

int tfs_read_lost_stats(struct sonde_session *s, int cpu, uint64_t *overrun)
{
	char file[64], *text, *p;

	snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
	text = tracefs_instance_file_read(s->inst, file, NULL);
	if (!text)
		return -errno;
	p = strstr(text, "overrun:");
	*overrun = p ? strtoull(p + 8, NULL, 10) : 0;
	free(text);
	return 0;
}

const char *sonde_session__probe_hist(struct sonde_session *s, int i)
{
	struct probe *p;

	if (!s || i < 0 || i >= s->nprobes || !s->inst)
		return NULL;
	p = &s->probes[i];
	if (!p->hist_set)
		return NULL;
	free(p->hist_text);
	p->hist_text = tracefs_event_file_read(s->inst, s->group, p->name,
					       "hist", NULL);
	return p->hist_text;
}

static int tracefs_start(struct sonde_session *s)
{
	int err = tfs_ensure_mounted(s);

	if (err)
		return err;
	tfs_sweep(s, s->opts.log, s->opts.log_ctx);
	err = tfs_create_probes(s);
	if (!err)
		err = tfs_instance_setup(s);
	if (!err)
		err = events_open(s);
	if (!err)
		err = tfs_enable(s, true);
	if (!err)
		slog(s, SONDE_LOG_INFO, "tracing %d probe%s in group %s",
		     s->nprobes, s->nprobes == 1 ? "" : "s", s->group);
	return err;
}

static void tracefs_stop(struct sonde_session *s)
{
	if (s->inst)
		tfs_enable(s, false);
	/* The instance cannot be removed while its trace_pipe_raw files are
	 * open; the probes cannot be removed while an instance uses them. */
	events_close(s);
	tfs_instance_teardown(s);
	tfs_remove_probes(s);
}


/* A probe added to a running session: made, set up and enabled now. */
static int tracefs_detach(struct sonde_session *s, int i);

static int tracefs_attach(struct sonde_session *s, int i)
{
	struct probe *p = &s->probes[i];
	int err = create_one(s, p);

	if (!err)
		err = events_map_probe(s, i);
	if (!err)
		err = probe_setup(s, p);
	if (!err)
		err = enable_one(s, p, true);
	if (err)
		tracefs_detach(s, i);
	return err;
}

/* Disabled everywhere, the event can be removed while the instance stays
 * (trace_dynevent.c refuses only events in use). */
static int tracefs_detach(struct sonde_session *s, int i)
{
	struct probe *p = &s->probes[i];
	int err;

	if (s->inst && p->created)
		enable_one(s, p, false);
	if (s->inst)
		untrigger(s, p);
	events_unmap_probe(s, i);
	if (!p->created)
		return 0;
	err = remove_event(s->group, p->name, events_file(p));
	if (!err)
		p->created = false;
	return err;
}

const struct backend backend_tracefs = {
	.name = "tracefs",
	.attach = tracefs_attach,
	.detach = tracefs_detach,
	.start = tracefs_start,
	.stop = tracefs_stop,
	.poll = events_poll,
	.drain = events_drain,
};
