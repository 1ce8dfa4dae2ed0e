/* SPDX-License-Identifier: MIT */
/* struct probe_spec as memory: a deep copy, and freeing one. */
#include "spec_int.h"

static int dup_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int spec_copy(struct probe_spec *dst, const struct probe_spec *src)
{
	size_t i;
	int err = 0;

	*dst = *src;
	dst->group = dst->event = dst->target = NULL;
	dst->symbol = dst->provider = NULL;
	dst->args = NULL;
	dst->nargs = 0;
	err |= dup_str(&dst->group, src->group);
	err |= dup_str(&dst->event, src->event);
	err |= dup_str(&dst->target, src->target);
	err |= dup_str(&dst->symbol, src->symbol);
	err |= dup_str(&dst->provider, src->provider);
	/* room for MAX_TRACE_ARGS, as the parser leaves it ($params) */
	if (!err && src->args &&
	    !(dst->args = calloc(MAX_TRACE_ARGS, sizeof(*dst->args))))
		err = -ENOMEM;
	for (i = 0; !err && i < src->nargs; i++) {
		struct probe_arg *a = &dst->args[i];

		*a = src->args[i];
		a->name = a->fetch = a->type = NULL;
		dst->nargs++;
		err |= dup_str(&a->name, src->args[i].name);
		err |= dup_str(&a->fetch, src->args[i].fetch);
		err |= dup_str(&a->type, src->args[i].type);
	}
	if (err) {
		spec_free(dst);
		return -ENOMEM;
	}
	return 0;
}

void spec_free(struct probe_spec *spec)
{
	size_t i;

	if (!spec)
		return;
	for (i = 0; i < spec->nargs; i++) {
		free(spec->args[i].name);
		free(spec->args[i].fetch);
		free(spec->args[i].type);
	}
	free(spec->args);
	free(spec->group);
	free(spec->event);
	free(spec->target);
	free(spec->symbol);
	free(spec->provider);
	memset(spec, 0, sizeof(*spec));
}
