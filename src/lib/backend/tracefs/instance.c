/* SPDX-License-Identifier: MIT */
/*
 * The session's private tracefs instance: its buffer settings, the pid
 * filter, each probe's filter, trigger and hist trigger, enabling, and
 * teardown (libtracefs for the instance and its files).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "internal.h"
#include "backend/tracefs/tracefs_state.h"
#include "decode/order.h"

static int inst_write(struct sonde_session *s, const char *file,
		      const char *val)
{
	if (tracefs_instance_file_write(tfs_inst(s), file, val) < 0)
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
	/* event-fork adds children too: without follow_fork their events are
	 * left out, by the tgid the kernel saves as it records them
	 * (saved_tgids, options/record-tgid: tfs_instance_setup()), as the
	 * child may be gone when they are read */
	err = inst_write(s, "options/event-fork", "1");
	while (!err && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(buf, sizeof(buf), "%s", de->d_name);
		if (tracefs_instance_file_append(tfs_inst(s), "set_event_pid",
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
 * entry only if it appeared since mark and names this command. */
static char *refusal(struct sonde_session *s, struct probe *p, const char *file,
		     const char *val, const char *mark)
{
	char *why;

	if (strcmp(file, "filter"))
		return tfs_error_since(mark, val);
	why = tracefs_event_file_read(tfs_inst(s), probe_event_system(s, p),
				      probe_event_name(p), "filter", NULL);
	if (why && !strstr(why, "rror")) {
		free(why);
		why = NULL;
	}
	return why;
}

static int event_write(struct sonde_session *s, struct probe *p,
		       const char *file, const char *val)
{
	char *why, *mark = tfs_error_mark();
	int err;

	if (tracefs_event_file_write(tfs_inst(s), probe_event_system(s, p),
				     probe_event_name(p), file, val) >= 0) {
		free(mark);
		return 0;
	}
	err = errno ? errno : EINVAL;
	why = refusal(s, p, file, val, mark);
	set_err(s, err, -1, "the kernel refused %s '%s' on %s: %s", file, val,
		p->name, strerror(err));
	err_quote(s, why);
	free(why);
	free(mark);
	return -err;
}

static bool has_hist(struct sonde_session *s, const struct probe *p)
{
	char file[256];

	snprintf(file, sizeof(file), "events/%s/%s/hist",
		 probe_event_system(s, p), probe_event_name(p));
	return tracefs_file_exists(tfs_inst(s), file);
}

static bool has_kind(const struct sonde_session *s, bool user)
{
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (probe_kind_is_user(s->probes[i].spec.kind) == user)
			return true;
	return false;
}

/* The group's enable file covers the session's own events only. */
static bool has_tracepoint(const struct sonde_session *s)
{
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (probe_is_tracepoint(&s->probes[i]))
			return true;
	return false;
}

/* The probe's filter, trigger and hist trigger in the instance. */
int tfs_probe_setup(struct sonde_session *s, struct probe *p)
{
	int err = 0;

	if (p->filter)
		err = event_write(s, p, "filter", p->filter);
	if (!err && p->trigger) {
		err = event_write(s, p, "trigger", p->trigger);
		p->tfs.triggered = !err;
	}
	if (!err && p->hist && !has_hist(s, p))
		err = set_err(s, ENOTSUP, -1,
			      "this kernel has no hist triggers (CONFIG_HIST_TRIGGERS)");
	if (!err && p->hist) {
		err = event_write(s, p, "trigger", p->hist);
		p->tfs.hist_set = !err;
	}
	return err;
}

void tfs_untrigger(struct sonde_session *s, struct probe *p)
{
	char *trig;

	/* "!" + the trigger removes it (ftrace events.rst 6.1). */
	if (p->tfs.triggered && asprintf(&trig, "!%s", p->trigger) > 0) {
		tracefs_event_file_write(tfs_inst(s), probe_event_system(s, p),
					 probe_event_name(p), "trigger", trig);
		free(trig);
	}
	if (p->tfs.hist_set && asprintf(&trig, "!%s", p->hist) > 0) {
		tracefs_event_file_write(tfs_inst(s), probe_event_system(s, p),
					 probe_event_name(p), "trigger", trig);
		free(trig);
	}
	p->tfs.triggered = p->tfs.hist_set = false;
}

int tfs_enable_one(struct sonde_session *s, struct probe *p, bool on)
{
	if (tracefs_event_file_write(tfs_inst(s), probe_event_system(s, p),
				     probe_event_name(p), "enable",
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
	struct tracefs_state *st = tfs_state(s);
	char buf[32];
	int i, err;

	st->inst = tracefs_instance_create(s->group);
	if (!st->inst)
		return set_err(s, errno ? errno : EIO, -1,
			       "cannot create tracing instance %s: %s",
			       s->group, strerror(errno));
	st->inst_created = true;
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
	/* the process of each thread as the kernel records it (saved_tgids):
	 * a thread gone before its events are read has no /proc to ask */
	if (!err && tracefs_file_exists(tfs_inst(s), "options/record-tgid"))
		err = inst_write(s, "options/record-tgid", "1");
	/* system-wide: not the tracer's own events when asked (sonde trace
	 * u:libc:malloc would feed on the printing of its own events);
	 * kernels before 5.8 lack the file */
	snprintf(buf, sizeof(buf), "%d", (int)s->self);
	if (!err && s->opts.pid <= 0 && s->opts.exclude_self &&
	    tracefs_file_exists(tfs_inst(s), "set_event_notrace_pid"))
		err = inst_write(s, "set_event_notrace_pid", buf);
	for (i = 0; !err && i < s->nprobes; i++)
		err = tfs_probe_setup(s, &s->probes[i]);
	return err;
}

int tfs_enable(struct sonde_session *s, bool on)
{
	char file[128];
	int i, n, err, ret = 0;
	bool last_first;

	if (!tfs_inst(s))
		return 0;
	/* on: the group's enable file, one write for every probe (ftrace
	 * events.rst); probe by probe when it fails, to name the one.
	 * off: probe by probe, for the progress callback: the kernel takes
	 * ~50 ms to unregister each uprobe here (a synchronize per event in
	 * trace_uprobe.c), however the writes are grouped. */
	snprintf(file, sizeof(file), "events/%s/enable", s->group);
	/* Probes on one site: enabled one by one in register_order(), so
	 * that the kernel then calls them in spec order (order.c). The group
	 * write goes in the order of the instance's event list, which
	 * depends on whether the instance was made before the events. */
	last_first = on && probes_share_site(s);
	if (on && !last_first && s->nprobes > 1 && !has_tracepoint(s) &&
	    tracefs_instance_file_write(tfs_inst(s), file, "1") > 0)
		return 0;
	for (n = 0; n < s->nprobes; n++) {
		i = last_first ? register_order(s, n) : n;
		if (!on)
			tfs_progress(s, "detaching", i, s->nprobes);
		if ((!s->probes[i].created &&
		     !probe_is_tracepoint(&s->probes[i])) ||
		    s->probes[i].detached)
			continue;
		err = tfs_enable_one(s, &s->probes[i], on);
		if (err && on)
			return err;
		if (err)
			ret = err;
	}
	if (!on)
		tfs_progress(s, "detaching", s->nprobes, s->nprobes);
	return ret;
}

int tfs_instance_teardown(struct sonde_session *s)
{
	struct tracefs_state *st = tfs_state(s);
	int i, ret = 0;

	if (!tfs_inst(s))
		return 0;
	tfs_enable(s, false);
	for (i = 0; i < s->nprobes; i++)
		tfs_untrigger(s, &s->probes[i]);
	if (st->inst_created && tracefs_instance_destroy(st->inst) < 0) {
		slog(s, SONDE_LOG_WARN, "cannot remove instance %s: %s",
		     s->group, strerror(errno));
		ret = -errno;
	}
	tracefs_instance_free(st->inst);
	st->inst = NULL;
	st->inst_created = false;
	return ret;
}

int tfs_read_lost_stats(struct sonde_session *s, int cpu, uint64_t *overrun)
{
	char file[64], *text, *p;

	snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
	text = tracefs_instance_file_read(tfs_inst(s), file, NULL);
	if (!text)
		return -errno;
	p = strstr(text, "overrun:");
	*overrun = p ? strtoull(p + 8, NULL, 10) : 0;
	free(text);
	return 0;
}

const char *tfs_probe_hist(struct sonde_session *s, int i)
{
	struct probe *p;

	if (!s || i < 0 || i >= s->nprobes || !tfs_inst(s))
		return NULL;
	p = &s->probes[i];
	if (!p->tfs.hist_set)
		return NULL;
	free(p->tfs.hist_text);
	p->tfs.hist_text =
		tracefs_event_file_read(tfs_inst(s), probe_event_system(s, p),
					probe_event_name(p), "hist", NULL);
	return p->tfs.hist_text;
}
