/* SPDX-License-Identifier: MIT */
/* FIELD=VALUE assignments checked against an event's format -> the line
 * an event's inject file takes. Memory only. */
#ifndef SONDE_DECODE_INJECT_LINE_H
#define SONDE_DECODE_INJECT_LINE_H

#include "base/error.h"
#include "decode/decode.h"

/*
 * Check each of n "FIELD=VALUE" against ef's fields and build the line the
 * kernel parses (kernel/trace/trace_events_inject.c, parse_entry()):
 * "FIELD=VALUE FIELD='string' ...". Numbers as the kernel reads them
 * (kstrto[u]ll base 0: 42, -3, 0x2a, 052), refused where the kernel would
 * cut them to the field's size; strings quoted, or quoted here when they
 * are not. *line is malloc'd. 0, or -EINVAL / -ENOMEM with err filled
 * (unknown fields name those the event has).
 */
int inject_line(const struct event_format *ef, const char *const *assign, int n,
		char **line, struct lib_error *err);

#endif
