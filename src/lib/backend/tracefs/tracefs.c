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
#include "sym/unwind.h"
#include "backend/tracefs/tracefs_state.h"

/* libtracefs 1.6.4's tracefs_tracing_dir() checks its cached path by a
 * stat() of the "trace" file inside; where this user may not look
 * (non-root, EACCES) it finds the path again each call and leaks the
 * previous copy: keep the first answer. */
const char *tfs_root(void)
{
	static const char *root;

	if (!root)
		root = tracefs_tracing_dir();
	return root;
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
	path = tfs_root();
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

int tfs_has(const char *file)
{
	char path[512];

	if (!tfs_root())
		return -ENODEV;
	if (tfs_path(path, sizeof(path), file))
		return -ENAMETOOLONG;
	return access(path, F_OK) == 0 ? 0 : -errno;
}

int tfs_no_file(struct sonde_session *s, int col, const char *file, int err)
{
	bool user = !strcmp(file, "uprobe_events");

	if (err == -EACCES || err == -EPERM)
		return set_err(s, EPERM, col,
			       "needs root: %s/%s: %s (so whether this kernel "
			       "has %s cannot be told)",
			       tfs_root(), file, strerror(-err),
			       user ? "uprobes" : "kprobes");
	return set_err(s, ENOTSUP, col, "this kernel has no %s (%s)",
		       user ? "uprobes" : "kprobes",
		       user ? "CONFIG_UPROBE_EVENTS" : "CONFIG_KPROBE_EVENTS");
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

/* One whole line per write() (uprobetracer.rst: the parser takes a write
 * as one command). */
int tfs_write_line(const char *file, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	int err;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, line, len);
	buf[len] = '\n';
	err = write_block(file, buf, len + 1);
	free(buf);
	return err;
}

/* NULL for a tracepoint: the kernel has its event already */
static const char *events_file(const struct probe *p)
{
	if (probe_is_tracepoint(p))
		return NULL;
	return probe_kind_is_user(p->spec.kind) ? "uprobe_events"
						: "kprobe_events";
}

char *tfs_error_mark(void)
{
	return tracefs_error_last(NULL);
}

char *tfs_error_since(const char *mark, const char *what)
{
	char *log = tracefs_error_last(NULL);

	/* the same last entry (its timestamp included) is an older one:
	 * this refusal logged nothing (e.g. a line over the parser's
	 * 4096 bytes, trace_parse_run_command()) */
	if (log && (!*log || (mark && !strcmp(log, mark)) ||
		    (what && !strstr(log, what)))) {
		free(log);
		log = NULL;
	}
	return log;
}

int tfs_refused(struct sonde_session *s, struct probe *p, int err,
		const char *mark)
{
	char what[512], *log;

	snprintf(what, sizeof(what), "%s/%s", s->group, p->name);
	log = tfs_error_since(mark, what);
	if (log) {
		set_err(s, err, -1, "the kernel refused probe '%s':", p->name);
		err_quote(s, log);
	} else {
		set_err(s, err, -1,
			"the kernel refused probe '%s': %s, and logged no "
			"reason in error_log (definition: %.300s%s)",
			p->name, strerror(-err), p->definition,
			strlen(p->definition) > 300 ? "..." : "");
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
	if (fault_setup(p))
		return set_err(s, ENOMEM, -1, "out of memory");
	return 0;
}

static int create_one(struct sonde_session *s, struct probe *p)
{
	const char *file = events_file(p);
	char *mark;
	int err;

	if (!file) /* a tracepoint: its format was read with the spec */
		return 0;
	err = tfs_has(file);
	if (err && err != -ENAMETOOLONG)
		return tfs_no_file(s, -1, file, err);
	slog(s, SONDE_LOG_DEBUG, "%s: %s", file, p->definition);
	mark = tfs_error_mark();
	err = tfs_write_line(file, p->definition);
	if (err)
		tfs_refused(s, p, err, mark);
	free(mark);
	if (err)
		return err;
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


static bool event_exists(struct sonde_session *s, const struct probe *p)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/%s/%s", tfs_root(), s->group,
		 p->name);
	return access(path, F_OK) == 0;
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

		if (!file || events_file(p) != file)
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

/* Probes that share a site, one by one: a kprobe is registered when it is
 * created (trace_kprobe.c register_trace_kprobe()), so kprobes go in
 * register_order() (order.c); a uprobe when it is enabled (tfs_enable()),
 * so uprobes go as given, the order tfs_verify_created() reads back. */
static int create_one_by_one(struct sonde_session *s)
{
	int n, i, err = 0;

	for (i = 0; i < s->nprobes && !err; i++)
		if (probe_kind_is_user(s->probes[i].spec.kind))
			err = create_one(s, &s->probes[i]);
	for (n = 0; n < s->nprobes && !err; n++) {
		i = register_order(s, n);
		if (!probe_kind_is_user(s->probes[i].spec.kind))
			err = create_one(s, &s->probes[i]);
	}
	return err;
}

int tfs_create_probes(struct sonde_session *s)
{
	size_t max = batch_max(), len;
	char *buf;
	int i, j, next, werr, err = 0;

	if (probes_share_site(s))
		return create_one_by_one(s);
	buf = max ? malloc(max) : NULL;

	for (i = 0; i < s->nprobes && !err; i = next) {
		struct probe *p = &s->probes[i];

		next = i + 1;
		if (probe_is_tracepoint(p))
			continue;
		len = buf ? fill_block(s, buf, max, i, &next, false) : 0;
		if (next - i < 2) { /* one line: the plain path */
			next = i + 1;
			err = create_one(s, p);
			tfs_progress(s, "creating", next, s->nprobes);
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
		tfs_progress(s, "creating", next, s->nprobes);
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
		next = i + 1;
		if (probe_is_tracepoint(&s->probes[i]))
			continue;
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
		tfs_progress(s, "removing", done, total);
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
		tfs_progress(s, "removing", ++done, total);
	}
	return ret;
}

static int tracefs_start(struct sonde_session *s)
{
	int err, i;

	s->be_priv = calloc(1, sizeof(struct tracefs_state));
	if (!s->be_priv)
		return set_err(s, ENOMEM, -1, "out of memory");
	err = unwind_choose(s, "tracefs", false);
	if (!err)
		err = tfs_ensure_mounted(s);
	for (i = 0; i < s->nprobes && !err; i++)
		err = tfs_check_path(s, &s->probes[i]);
	if (!err)
		err = owner_claim(s);
	if (err)
		return err;
	tfs_sweep(s, s->opts.log, s->opts.log_ctx);
	err = tfs_create_probes(s);
	if (!err)
		err = tfs_verify_created(s, NULL);
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
	if (tfs_inst(s))
		tfs_enable(s, false);
	/* The instance cannot be removed while its trace_pipe_raw files are
	 * open; the probes cannot be removed while an instance uses them. */
	events_close_tracefs(s);
	tfs_instance_teardown(s);
	tfs_remove_probes(s);
	free(s->be_priv);
	s->be_priv = NULL;
}


/* A probe added to a running session: made, set up and enabled now. */
static int tracefs_detach(struct sonde_session *s, int i);

static int tracefs_attach(struct sonde_session *s, int i)
{
	struct probe *p = &s->probes[i];
	int err = tfs_check_path(s, p);

	if (!err)
		err = create_one(s, p);
	if (!err && probe_kind_is_user(p->spec.kind))
		err = tfs_verify_created(s, p);
	if (!err)
		err = events_map_probe(s, i);
	if (!err)
		err = tfs_probe_setup(s, p);
	if (!err)
		err = tfs_enable_one(s, p, true);
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

	if (tfs_inst(s) && p->created)
		tfs_enable_one(s, p, false);
	if (tfs_inst(s))
		tfs_untrigger(s, p);
	events_unmap_probe(s, i);
	if (!p->created)
		return 0;
	err = remove_event(s->group, p->name, events_file(p));
	if (!err)
		p->created = false;
	return err;
}

/* --backend auto: the design's own path (DESIGN.md) wherever this user
 * can write {u,k}probe_events for every probe: the kernel fetches the
 * args, which costs the traced thread about half of what a PMU sample
 * with registers and user stack does (5.5 vs 9.8 us a hit measured
 * here). */
static bool tracefs_fits(const struct sonde_session *s, enum backend_step step,
			 char *why, size_t len)
{
	char path[512];
	const char *root;
	int i;

	if (step != BACKEND_STEP_FILES)
		return false;
	tfs_mount(geteuid() == 0);
	root = tfs_root();
	for (i = 0; i < s->nprobes; i++) {
		/* a tracepoint is enabled in the session's instance */
		snprintf(path, sizeof(path), "%s/%s",
			 root ? root : "/nonexistent",
			 events_file(&s->probes[i]) ? events_file(&s->probes[i])
						    : "instances");
		if (access(path, W_OK) != 0) {
			snprintf(why, len, "%s cannot be written", path);
			return false;
		}
	}
	return true;
}

/* The tracefs user stack trace walks frame pointers from %bp, which at a
 * function's first instruction is still the caller's: the direct caller
 * is missing (its return address is at [%sp]). */
static void tracefs_chosen(const struct sonde_session *s)
{
	int i;

	for (i = 0; s->opts.stack && i < s->nprobes; i++)
		if (uprobe_at_func_entry(&s->probes[i])) {
			slog(s, SONDE_LOG_WARN,
			     "probe %s is on a function's first instruction, where the tracefs user stack lacks the direct caller (the perf backend has it)",
			     s->probes[i].name);
			break;
		}
}

const struct backend backend_tracefs = {
	.name = "tracefs",
	.id = SONDE_BACKEND_TRACEFS,
	.fits = tracefs_fits,
	.chosen = tracefs_chosen,
	.attach = tracefs_attach,
	.detach = tracefs_detach,
	.start = tracefs_start,
	.stop = tracefs_stop,
	.poll = events_poll,
	.drain = events_drain,
	.max_record = events_max_record,
	.task_gone = events_task_gone,
	.probe_hist = tfs_probe_hist,
};
