/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints the kernel has: the events under a tracefs root's events/
 * that a t:SYSTEM:EVENT spec names (patterns expanded), and their format
 * files. Files only: nothing is enabled or created here. The root is a
 * parameter, so a directory that looks like tracefs serves the unit tests.
 */
#ifndef SONDE_RESOLVE_TRACEPOINT_H
#define SONDE_RESOLVE_TRACEPOINT_H

#include <stddef.h>

#include "base/error.h"
#include "spec/spec.h"

struct tp_match {
	char *system;
	char *event;
};

struct tp_matches {
	struct tp_match *v;
	size_t n, cap;
};

void tp_matches_free(struct tp_matches *m);

/*
 * The events of root/events that sp (PROBE_TRACEPOINT) names, sorted by
 * system then event; a name without a pattern must exist as written.
 * max: the most one spec may make (0: EXPAND_DEFAULT_MAX). 0 with m
 * filled, or -errno with e (column of the system or event): no such
 * event, no match, more than max, events/ unreadable.
 */
int tp_expand(const char *root, const struct probe_spec *sp, int max,
	      struct tp_matches *m, struct lib_error *e);
/* The same for a SYSTEM:EVENT pattern pair (sonde list t:GLOB): no
 * limit, no match is 0 with m empty. */
int tp_find(const char *root, const char *system, const char *event,
	    struct tp_matches *m);

/* root/events/system/event/format: malloc'd text, or NULL with errno. */
char *tp_read_format(const char *root, const char *system, const char *event);

#endif
