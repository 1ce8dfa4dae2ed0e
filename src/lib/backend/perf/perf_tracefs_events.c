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

int perf_tp_create(struct sonde_session *s, struct probe *p, struct perf_probe_state *pp)
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

/*
 * The events of a session whose perf fds were just handed to the kernel
 * (release.c): each can go once the kernel has let go of its perf events,
 * which it does one after another, ~50-200 ms each, in no set order. So
 * every pass tries each one once; the wait ends when all are gone or
 * nothing went for 5 s (what stays is the sweep's, as after a SIGKILL).
 */
void perf_tp_remove_all(struct sonde_session *s, struct perf_probe_state *pps)
{
	char line[256];
	int i, err, total = 0, done = 0, idle = 0, before;

	for (i = 0; i < s->nprobes; i++)
		total += pps[i].tp_created;
	while (done < total && idle < 250) {
		before = done;
		for (i = 0; i < s->nprobes; i++) {
			struct probe *p = &s->probes[i];

			if (!pps[i].tp_created)
				continue;
			snprintf(line, sizeof(line), "-:%s/%s", s->group,
				 p->name);
			err = tfs_write_line(events_file(p), line);
			if (err == -EBUSY)
				continue;
			if (err)
				slog(s, SONDE_LOG_WARN,
				     "cannot remove %s/%s: %s", s->group,
				     p->name, strerror(-err));
			pps[i].tp_created = false;
			p->created = false;
			done++;
		}
		tfs_progress(s, "removing", done, total);
		idle = done > before ? 0 : idle + 1;
		if (done < total && done == before)
			usleep(20000);
	}
	for (i = 0; i < s->nprobes; i++)
		if (pps[i].tp_created)
			slog(s, SONDE_LOG_WARN,
			     "%s/%s is still in use: 'sonde cleanup' removes it later",
			     s->group, s->probes[i].name);
}
