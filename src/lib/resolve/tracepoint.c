/* SPDX-License-Identifier: MIT */
/*
 * The tracepoints a t:SYSTEM:EVENT spec names: events/SYSTEM/EVENT
 * directories of tracefs (Documentation/trace/events.rst), matched with
 * fnmatch(3), and their format files. A directory under events/ that has
 * no "format" file (events/enable, events/header_page...) is no event.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expand.h"
#include "tracepoint.h"

void tp_matches_free(struct tp_matches *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->v[i].system);
		free(m->v[i].event);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int add_match(struct tp_matches *m, const char *sys, const char *ev)
{
	struct tp_match *grown;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		grown = realloc(m->v, m->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		m->v = grown;
	}
	m->v[m->n].system = strdup(sys);
	m->v[m->n].event = strdup(ev);
	if (!m->v[m->n].system || !m->v[m->n].event) {
		free(m->v[m->n].system);
		free(m->v[m->n].event);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

static bool is_event_dir(const char *root, const char *sys, const char *ev)
{
	char path[1024];
	int n = snprintf(path, sizeof(path), "%s/events/%s/%s/format", root,
			 sys, ev);

	return n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0;
}

static bool skip_entry(const struct dirent *d)
{
	return d->d_name[0] == '.' ||
	       (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN);
}

/* The events of one system matching ev (a pattern or a name). */
static int find_events(const char *root, const char *sys, const char *ev,
		       struct tp_matches *m)
{
	char path[1024];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	if (!strpbrk(ev, "*?["))
		return is_event_dir(root, sys, ev) ? add_match(m, sys, ev) : 0;
	snprintf(path, sizeof(path), "%s/events/%s", root, sys);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while (!err && (d = readdir(dir)))
		if (!skip_entry(d) && !fnmatch(ev, d->d_name, 0) &&
		    is_event_dir(root, sys, d->d_name))
			err = add_match(m, sys, d->d_name);
	closedir(dir);
	return err;
}

static int cmp_match(const void *a, const void *b)
{
	const struct tp_match *x = a, *y = b;
	int c = strcmp(x->system, y->system);

	return c ? c : strcmp(x->event, y->event);
}

int tp_find(const char *root, const char *system, const char *event,
	    struct tp_matches *m)
{
	char path[1024];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	memset(m, 0, sizeof(*m));
	if (!root)
		return -ENODEV;
	if (!strpbrk(system, "*?[")) {
		err = find_events(root, system, event, m);
	} else {
		snprintf(path, sizeof(path), "%s/events", root);
		dir = opendir(path);
		if (!dir)
			return -errno;
		while (!err && (d = readdir(dir)))
			if (!skip_entry(d) && !fnmatch(system, d->d_name, 0))
				err = find_events(root, d->d_name, event, m);
		closedir(dir);
	}
	if (err) {
		tp_matches_free(m);
		return err;
	}
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), cmp_match);
	return 0;
}

static bool system_exists(const char *root, const char *sys)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/%s", root, sys);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tp_expand(const char *root, const struct probe_spec *sp, int max,
	      struct tp_matches *m, struct lib_error *e)
{
	bool sys_glob = strpbrk(sp->group, "*?[") != NULL;
	int err;

	if (max <= 0)
		max = EXPAND_DEFAULT_MAX;
	err = tp_find(root, sp->group, sp->event, m);
	if (err == -ENOMEM)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	if (err)
		return lib_error_set(e, -err, -1, "cannot read %s/events: %s",
				     root ? root : "tracefs", strerror(-err));
	if (!m->n && !sys_glob && !system_exists(root, sp->group))
		return lib_error_set(e, ENOENT, sp->target_col,
				     "no tracepoint system '%s' in "
				     "%s/events: see sonde list 't:*'",
				     sp->group, root);
	if (!m->n && !sp->pattern)
		return lib_error_set(e, ENOENT, sp->symbol_col,
				     "no tracepoint '%s:%s': see sonde list "
				     "'t:%s:*'",
				     sp->group, sp->event, sp->group);
	if (!m->n)
		return lib_error_set(e, ENOENT, sp->target_col,
				     "no tracepoint matches '%s:%s'", sp->group,
				     sp->event);
	if (m->n > (size_t)max) {
		err = lib_error_set(e, E2BIG, sp->target_col,
				    "'%s:%s' matches %zu tracepoints, more "
				    "than the limit of %d probes: narrow the "
				    "pattern or raise the limit (--max-probes)",
				    sp->group, sp->event, m->n, max);
		tp_matches_free(m);
		return err;
	}
	return 0;
}

char *tp_read_format(const char *root, const char *system, const char *event)
{
	char path[1024], *buf = NULL, *grown;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, system,
		 event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* tracefs files report size 0: read until the end */
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			grown = realloc(buf, cap);
			if (!grown) {
				errno = ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return NULL;
}
