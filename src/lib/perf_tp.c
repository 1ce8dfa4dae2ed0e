/* SPDX-License-Identifier: MIT */
/*
 * What the PMUs cannot fetch (kernel memory, $argN, @SYM, kprobe args) is
 * fetched by the kernel: the probe is made in {u,k}probe_events (in the
 * session's group, swept like the tracefs backend's if sonde dies) and
 * opened with PERF_TYPE_TRACEPOINT; its PERF_SAMPLE_RAW data is the
 * kernel's own record, decoded through the event's format file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "perf.h"

static const char *events_file(const struct probe *p)
{
	return probe_kind_is_user(p->spec.kind) ? "uprobe_events"
						: "kprobe_events";
}

int ptp_create(struct sonde_session *s, struct probe *p, struct pprobe *pp)
{
	char *mark;
	int err;

	err = tfs_check_path(s, p);
	if (!err)
		err = owner_claim(s);
	if (err)
		return err;
	mark = tfs_error_mark();
	err = tfs_write_line(events_file(p), p->definition);
	if (err)
		tfs_refused(s, p, err, mark);
	free(mark);
	if (err)
		return err;
	pp->tp_created = true;
	p->created = true;
	if (probe_kind_is_user(p->spec.kind)) {
		err = tfs_verify_created(s, p);
		if (err)
			return err;
	}
	p->format_text = tracefs_event_file_read(NULL, s->group, p->name,
						 "format", NULL);
	if (!p->format_text)
		return set_err(s, EIO, -1, "cannot read the format of %s/%s",
			       s->group, p->name);
	if (event_format_parse(p->format_text, &p->fmt))
		return set_err(s, EINVAL, -1,
			       "cannot parse the format of %s/%s", s->group,
			       p->name);
	if (fault_setup(p))
		return set_err(s, ENOMEM, -1, "out of memory");
	return 0;
}

void ptp_remove(struct sonde_session *s, struct probe *p, struct pprobe *pp)
{
	char line[256];
	int err = 0, tries;

	if (!pp->tp_created)
		return;
	snprintf(line, sizeof(line), "-:%s/%s", s->group, p->name);
	/* EBUSY while a perf event still holds it: the fds were closed just
	 * before; the kernel lets go of them shortly */
	for (tries = 0; tries < 50; tries++) {
		err = tfs_write_line(events_file(p), line);
		if (err != -EBUSY)
			break;
		usleep(20000);
	}
	if (err)
		slog(s, SONDE_LOG_WARN, "cannot remove %s/%s: %s", s->group,
		     p->name, strerror(-err));
	pp->tp_created = false;
	p->created = false;
}
