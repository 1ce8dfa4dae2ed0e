/* SPDX-License-Identifier: MIT */
/* A tracepoint's format cut to the fields its spec names. */
#ifndef SONDE_ARGS_TRACEPOINT_FIELDS_H
#define SONDE_ARGS_TRACEPOINT_FIELDS_H

#include "base/error.h"
#include "decode/decode.h"
#include "spec/spec.h"

/*
 * ef: the layout of a tracepoint's own format (event_format_parse()).
 * Keep the fields spec's args name, in their order, each named as the
 * arg (NAME=FIELD renames FIELD); without args, every field of the format
 * stays as the kernel names it. Offsets stay the kernel's: the record is
 * the kernel's own. 0, -EINVAL with e (a field the format lacks: the
 * column of its FETCH, and the fields it has), or -ENOMEM.
 */
int tp_select_fields(struct event_format *ef, const struct probe_spec *spec,
		     struct lib_error *e);

#endif
