/* SPDX-License-Identifier: MIT */
/*
 * One probe per location of an expanded spec (resolve/expand.c): a
 * function pattern's matches, USDT matches, an empty target's objects.
 * A location that cannot be probed is skipped and counted; the spec fails
 * only when none could be made, with the last reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session_add.h"

static int add_functions(struct sonde_session *s, const struct probe_spec *sp,
			 const struct probe_locations *l,
			 const struct sonde_probe_opts *opts)
{
	int n = (int)l->n, first = -1, skipped = 0, idx;
	char last[256] = "";
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct probe_location *loc = &l->v[i];

		idx = loc->unprobeable ? loc->unprobeable
				       : session_add_at(s, sp, loc, opts);
		if (idx == -ENOMEM)
			return idx;
		if (idx >= 0) {
			if (first < 0)
				first = idx;
			continue;
		}
		skipped++;
		snprintf(last, sizeof(last), "%.100s: %.150s", loc->symbol,
			 s->err.msg[0] ? s->err.msg : strerror(-idx));
		slog(s, SONDE_LOG_DEBUG, "skipped %s", last);
	}
	if (first < 0)
		return set_err(s, EINVAL, -1,
			       "none of the %d functions matching '%s' can be "
			       "probed (%s)",
			       n, sp->symbol, last);
	lib_error_clear(&s->err);
	slog(s, SONDE_LOG_INFO,
	     "'%s': %d probe%s on %d matching function%s, %d skipped (cannot "
	     "be probed)",
	     sp->symbol, n - skipped, n - skipped == 1 ? "" : "s", n,
	     n == 1 ? "" : "s", skipped);
	return first;
}

static int add_sites(struct sonde_session *s, const char *text,
		     const struct probe_spec *sp,
		     const struct probe_locations *l,
		     const struct sonde_probe_opts *opts)
{
	int idx = -EINVAL, first = -1, skipped = 0;
	char last[640] = "";
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct probe_location *loc = &l->v[i];

		idx = session_add_at(s, sp, loc, opts);
		if (idx == -ENOMEM)
			return idx;
		if (idx >= 0 && first < 0)
			first = idx;
		if (idx >= 0)
			continue;
		/* what cannot be probed is skipped, as for function globs */
		skipped++;
		snprintf(last, sizeof(last), "%.60s%s%.60s in %.200s: %.300s",
			 loc->usdt_provider ? loc->usdt_provider : "",
			 loc->usdt_provider ? ":" : "",
			 loc->usdt_name ? loc->usdt_name : sp->symbol,
			 loc->path, s->err.msg);
		slog(s, SONDE_LOG_DEBUG, "skipped %s", last);
	}
	if (first < 0)
		/* one match: its own message says why */
		return l->n == 1
			       ? idx
			       : set_err(s, EINVAL, sp->symbol_col,
					 "none of the %zu matches of '%s' can "
					 "be probed (%s)",
					 l->n, sp->symbol, last);
	lib_error_clear(&s->err);
	slog(s, SONDE_LOG_INFO,
	     "'%s': %zu probe%s, %d skipped (cannot be probed)", text,
	     l->n - skipped, l->n - skipped == 1 ? "" : "s", skipped);
	return first;
}

int session_add_expanded(struct sonde_session *s, const char *text,
			 const struct probe_spec *sp,
			 const struct probe_locations *l,
			 const struct sonde_probe_opts *opts)
{
	if (l->kind == EXPAND_FUNCTIONS)
		return add_functions(s, sp, l, opts);
	return add_sites(s, text, sp, l, opts);
}
