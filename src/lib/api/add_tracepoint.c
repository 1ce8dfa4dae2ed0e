/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint probes: t:SYSTEM:EVENT names events the kernel has; a
 * pattern becomes one probe per matching event (resolve/tracepoint.c).
 * Each probe carries the kernel's format of its event (format_text, and
 * fmt cut to the fields its ARGS name, args/tracepoint_fields.c): every
 * backend reads the kernel's own record through it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/tracepoint_fields.h"
#include "resolve/tracepoint.h"
#include "session_add.h"

/* The session traces one event once: the tracefs instance has one
 * enable per event, and two probes would get each other's records. */
static int check_twice(struct sonde_session *s, const struct probe *p)
{
	int i;

	for (i = 0; i < s->nprobes; i++) {
		const struct probe *q = &s->probes[i];

		if (q != p && q->spec.kind == PROBE_TRACEPOINT &&
		    !q->detached && !strcmp(q->spec.group, p->spec.group) &&
		    !strcmp(q->spec.event, p->spec.event))
			return set_err(s, EINVAL, p->spec.target_col,
				       "tracepoint %s:%s is already traced "
				       "by this session",
				       p->spec.group, p->spec.event);
	}
	return 0;
}

int resolve_tracepoint(struct sonde_session *s, struct probe *p)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	const char *root;
	int err;

	err = check_twice(s, p);
	if (err)
		return err;
	err = tfs_ensure_mounted(s);
	if (err)
		return err;
	root = tfs_root();
	p->format_text = tp_read_format(root, p->spec.group, p->spec.event);
	if (!p->format_text)
		return set_err(s, errno ? errno : EIO, p->spec.target_col,
			       "cannot read %s/events/%s/%s/format: %s", root,
			       p->spec.group, p->spec.event, strerror(errno));
	err = event_format_parse_sys(p->format_text, p->spec.group, &p->fmt);
	if (err == -ENOMEM)
		return set_err(s, ENOMEM, -1, "out of memory");
	if (err)
		return set_err(s, ENOTSUP, p->spec.target_col,
			       "cannot read the format of tracepoint %s:%s "
			       "(a field sonde cannot lay out)",
			       p->spec.group, p->spec.event);
	err = tp_select_fields(&p->fmt, &p->spec, &e);
	if (err)
		return set_err(s, -err, e.col, "%s", e.msg);
	return 0;
}

int session_add_tracepoints(struct sonde_session *s, const char *text,
			    const struct probe_spec *sp,
			    const struct sonde_probe_opts *opts)
{
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct lib_error last = LIB_ERROR_INIT(1024);
	struct tp_matches m;
	struct probe_spec one;
	int err, first = -1, idx;
	size_t i, skipped = 0;

	err = tfs_ensure_mounted(s);
	if (err)
		return err;
	err = tp_expand(tfs_root(), sp, s->opts.max_probes, &m, &e);
	if (err)
		return set_err(s, -err, e.col, "%s", e.msg);
	for (i = 0; i < m.n; i++) {
		if (spec_copy(&one, sp)) {
			err = set_err(s, ENOMEM, -1, "out of memory");
			break;
		}
		free(one.group);
		free(one.event);
		one.group = strdup(m.v[i].system);
		one.event = strdup(m.v[i].event);
		one.pattern = false;
		idx = one.group && one.event
			      ? session_add_at(s, &one, NULL, opts)
			      : set_err(s, ENOMEM, -1, "out of memory");
		spec_free(&one);
		/* a pattern's match that lacks a field is skipped, as a
		 * function pattern's match that cannot be probed */
		if (idx == -EINVAL && sp->pattern) {
			slog(s, SONDE_LOG_DEBUG, "skipped %s:%s: %s",
			     m.v[i].system, m.v[i].event, s->err.msg);
			last = s->err;
			skipped++;
			continue;
		}
		if (idx < 0) {
			err = idx;
			break;
		}
		if (first < 0)
			first = idx;
	}
	if (!err && first < 0) {
		/* none: the last one's reason */
		err = set_err(s, EINVAL, last.col,
			      "none of the %zu tracepoints matching '%s:%s' "
			      "can be traced (%.300s)",
			      m.n, sp->group, sp->event, last.msg);
	} else if (!err) {
		lib_error_clear(&s->err);
		slog(s, SONDE_LOG_INFO,
		     "'%s': %zu tracepoint%s, %zu skipped (without the fields "
		     "asked for)",
		     text, m.n - skipped, m.n - skipped == 1 ? "" : "s",
		     skipped);
	}
	tp_matches_free(&m);
	return err ? err : first;
}
