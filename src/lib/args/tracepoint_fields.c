/* SPDX-License-Identifier: MIT */
/*
 * A tracepoint's fields by name: the event's format (the kernel's
 * events/SYSTEM/EVENT/format) says where each is in the record; the spec's
 * ARGS choose which are shown and under what name. Nothing is fetched:
 * the record is the one the kernel wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracepoint_fields.h"

static const struct field_layout *find_field(const struct event_format *ef,
					     const char *name)
{
	size_t i;

	for (i = 0; i < ef->nfields; i++)
		if (!strcmp(ef->fields[i].name, name))
			return &ef->fields[i];
	return NULL;
}

static int no_field(const struct event_format *ef,
		    const struct probe_spec *spec, const struct probe_arg *a,
		    struct lib_error *e)
{
	char list[200];
	size_t i, len = 0;
	int n;

	list[0] = '\0';
	for (i = 0; i < ef->nfields; i++) {
		n = snprintf(list + len, sizeof(list) - len, "%s%s",
			     i ? " " : "", ef->fields[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - len) {
			snprintf(list + (len < sizeof(list) - 5
						 ? len
						 : sizeof(list) - 5),
				 5, " ...");
			break;
		}
		len += n;
	}
	return lib_error_set(e, EINVAL, a->fetch_col,
			     "%s:%s has no field '%s'; its fields: %s",
			     spec->group, spec->event, a->fetch,
			     ef->nfields ? list : "(none)");
}

int tp_select_fields(struct event_format *ef, const struct probe_spec *spec,
		     struct lib_error *e)
{
	struct field_layout *sel;
	size_t i;

	if (!spec->nargs)
		return 0;
	for (i = 0; i < spec->nargs; i++)
		if (!find_field(ef, spec->args[i].fetch))
			return no_field(ef, spec, &spec->args[i], e);
	sel = calloc(spec->nargs, sizeof(*sel));
	if (!sel)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	for (i = 0; i < spec->nargs; i++) {
		sel[i] = *find_field(ef, spec->args[i].fetch);
		sel[i].name = strdup(spec->args[i].name);
		if (!sel[i].name)
			break;
	}
	if (i < spec->nargs) {
		while (i--)
			free(sel[i].name);
		free(sel);
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	}
	for (i = 0; i < ef->nfields; i++)
		free(ef->fields[i].name);
	free(ef->fields);
	ef->fields = sel;
	ef->nfields = spec->nargs;
	return 0;
}
