/* SPDX-License-Identifier: MIT */
/* An event's inject file in tracefs: one record written into an
 * instance's buffer (inject.c). */
#ifndef SONDE_TRACEFS_INJECT_H
#define SONDE_TRACEFS_INJECT_H

#include "base/error.h"

/* The format of events/SYS/EV (malloc'd into *text), after checking the
 * event exists (-ENOENT) and has an inject file (-ENOTSUP: a kernel
 * without CONFIG_TRACE_EVENT_INJECT). */
int tfs_inject_format(const char *sys, const char *ev, char **text,
		      struct lib_error *err);
/* cb once for each running session's instance (instances/sonde_*) where
 * SYS:EV is enabled; the number of them, or cb's non-zero return. */
int tfs_inject_enabled(const char *sys, const char *ev,
		       int (*cb)(const char *inst, void *ctx), void *ctx);
/* Would the kernel keep a record this process writes into instance inst
 * (NULL: the top level)? 0, or -ENOENT (no such instance) / -EINVAL
 * (tracing off there, or a pid filter: the kernel drops such a record
 * without a word) with err filled. */
int tfs_inject_check(const char *inst, struct lib_error *err);
/* Write line into SYS:EV's inject file of instance inst (NULL: the top
 * level), after tfs_inject_check(). */
int tfs_inject_write(const char *inst, const char *sys, const char *ev,
		     const char *line, struct lib_error *err);

#endif
