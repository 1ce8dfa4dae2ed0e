/* SPDX-License-Identifier: MIT */
/* A timeline of a session's events in the Trace Event Format's JSON
 * object form ({"traceEvents":[...]}), which Perfetto's UI and
 * trace_processor and Chrome's about:tracing read (perfetto.c). */
#ifndef SONDE_CLI_PERFETTO_H
#define SONDE_CLI_PERFETTO_H

#include "cli.h"

struct timeline;

/* A timeline of the session's events (its probes added): an entry probe
 * and the return probe of the same function make slices, other probes
 * instants. path: its own file (--perfetto FILE), opened at the first
 * write; NULL: it writes to the FILE handed to timeline_flush(). NULL
 * after saying why. */
struct timeline *timeline_new(struct sonde_session *s, const char *path);
/* A timeline of sonde run's messages: each an instant named after its
 * probe, added by timeline_message(); path as timeline_new()'s. */
struct timeline *timeline_new_messages(const char *path);
struct timeline_msg {
	uint64_t ts; /* CLOCK_MONOTONIC ns */
	int pid, tid;
	const char *comm, *name; /* the thread's, the instant's */
	const char *text;	 /* args {"msg": text} */
};
void timeline_message(struct timeline *t, const struct timeline_msg *m);
/* A sonde_event_fn: the event is kept until a flush writes it. */
int timeline_event(const struct sonde_event *ev, void *ctx);
/* Write the events old enough to be in time order (final: all of them);
 * out is the file of a timeline without a path. 0, or 1 after a write
 * error (printed). */
int timeline_flush(struct timeline *t, FILE *out, bool final);
/* After the final flush: close the slices still open at the end time,
 * name the processes and threads, end the JSON. 0, or EXIT_RUNTIME after
 * saying why; nothing is written when no flush ran (a refused run). */
int timeline_end(struct timeline *t, FILE *out);
void timeline_free(struct timeline *t);
/* Are two probes on one function (the same file and offset, or kernel
 * symbol)? An entry and a return probe so paired make its calls. */
bool probe_sites_same(const struct sonde_probe_site *x,
		      const struct sonde_probe_site *y);

#endif
