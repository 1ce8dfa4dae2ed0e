/* SPDX-License-Identifier: MIT */
/* Adding probes to a session from one parsed spec (session.c,
 * session_event.c, add_expanded.c). */
#ifndef SONDE_SESSION_ADD_H
#define SONDE_SESSION_ADD_H

#include "internal.h"
#include "resolve/expand.h"

/* session.c: one probe of sp (copied) at loc, one of its expansion's
 * locations, or resolved from sp alone when loc is NULL; a USDT probe's
 * other locations come with it. The probe's index, or -errno with the
 * session's message. */
int session_add_at(struct sonde_session *s, const struct probe_spec *sp,
		   const struct probe_location *loc,
		   const struct sonde_probe_opts *opts);

/* session_event.c: probe idx's name noted as taken (0 or -ENOMEM); a
 * kernel-valid event name from sp, unique in s (NULL: out of memory);
 * p->definition, the line for {u,k}probe_events (0 or -errno with the
 * session's message). */
int session_event_name_add(struct sonde_session *s, int idx);
char *session_event_name(const struct sonde_session *s,
			 const struct probe_spec *sp, const char *path);
int session_event_definition(struct sonde_session *s, struct probe *p);

/* add_expanded.c: a probe at each location of l (text is the spec as
 * written, for the log): what cannot be probed is skipped and counted in
 * an INFO log. The first probe's index, or -errno with the session's
 * message (none could be made, out of memory). */
int session_add_expanded(struct sonde_session *s, const char *text,
			 const struct probe_spec *sp,
			 const struct probe_locations *l,
			 const struct sonde_probe_opts *opts);

/* add_tracepoint.c: a probe on each event a t:SYSTEM:EVENT spec names
 * (the first one's index, or -errno with the session's message); a
 * probe's event format read and cut to its ARGS (0 or -errno). */
int session_add_tracepoints(struct sonde_session *s, const char *text,
			    const struct probe_spec *sp,
			    const struct sonde_probe_opts *opts);
int resolve_tracepoint(struct sonde_session *s, struct probe *p);

#endif
