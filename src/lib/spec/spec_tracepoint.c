/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint specs: t:SYSTEM:EVENT [ARGS] and bpftrace's
 * tracepoint:SYSTEM:EVENT. The event is one the kernel already has
 * (events/SYSTEM/EVENT); SYSTEM and EVENT may be fnmatch(3) patterns,
 * expanded against events/ by resolve/tracepoint.c. ARGS name fields of
 * the event's format, [NAME=]FIELD; whether they exist is known only once
 * the format is read (resolve/tracepoint.c). Memory only.
 */
#include <stdio.h>

#include "spec_int.h"

/* Event and system names as the kernel makes them (TRACE_SYSTEM,
 * TRACE_EVENT names: C identifiers, though a system may start with a
 * digit, "9p"), or a pattern of them. */
static int check_tp_name(struct parser *ps, const char *s, const char *e,
			 const char *what, const char *expected)
{
	bool glob = false;
	const char *p;

	if (s == e)
		return spec_perr(ps, s, "missing %s name: expected %s", what,
				 expected);
	for (p = s; p < e; p++) {
		if (strchr("*?[", *p))
			glob = true;
		if (isalnum((unsigned char)*p) || *p == '_' ||
		    strchr("*?[]!^-", *p))
			continue;
		return spec_perr(ps, p,
				 "unexpected '%c' in %s name: use letters, "
				 "digits, '_' and the wildcards * ? [...]",
				 *p, what);
	}
	p = find_char(s, e, '-');
	if (!glob && p)
		return spec_perr(ps, p, "unexpected '-' in %s name", what);
	if (e - s > MAX_EVENT_NAME_LEN * 4)
		return spec_perr(ps, s, "%s name too long", what);
	return 0;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int spec_parse_tracepoint(struct parser *ps, const char *s, const char *e,
			  const char *type)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_char(s, e, ':');
	char expected[64];
	int ret;

	spec->kind = PROBE_TRACEPOINT;
	snprintf(expected, sizeof(expected), "%s:SYSTEM:EVENT", type);
	if (!colon)
		return spec_perr(ps, e,
				 "missing ':EVENT' after '%.*s': expected %s",
				 (int)(e - ps->head), ps->head, expected);
	spec->target_col = (int)(s - ps->text);
	spec->symbol_col = (int)(colon + 1 - ps->text);
	if (find_char(colon + 1, e, ':'))
		return spec_perr(ps, find_char(colon + 1, e, ':'),
				 "unexpected ':' after the event name: "
				 "expected %s",
				 expected);
	ret = check_tp_name(ps, s, colon, "system", expected);
	if (!ret)
		ret = check_tp_name(ps, colon + 1, e, "event", expected);
	if (!ret)
		ret = set_str(ps, &spec->group, s, colon);
	if (!ret)
		ret = set_str(ps, &spec->event, colon + 1, e);
	if (ret)
		return ret;
	spec->pattern = has_glob(spec->group) || has_glob(spec->event);
	return 0;
}

static int parse_field_arg(struct parser *ps, const char *s, const char *e)
{
	struct probe_spec *spec = ps->spec;
	struct probe_arg *a = &spec->args[spec->nargs];
	const char *eq = find_char(s, e, '='), *fs = eq ? eq + 1 : s;
	const char *p;
	int ret;

	a->col = (int)(s - ps->text);
	a->fetch_col = (int)(fs - ps->text);
	if (eq) {
		ret = spec_check_name(ps, s, eq, "argument", MAX_ARG_NAME_LEN);
		if (!ret)
			ret = set_str(ps, &a->name, s, eq);
		if (ret)
			return ret;
	}
	if (fs == e)
		return spec_perr(ps, fs,
				 "missing FIELD%s: a tracepoint's arguments "
				 "are fields of its format, [NAME=]FIELD",
				 eq ? " after '='" : "");
	for (p = fs; p < e; p++)
		if (!name_char(*p, p == fs))
			return spec_perr(ps, p,
					 "unexpected '%c': a tracepoint's "
					 "arguments are fields of its format, "
					 "[NAME=]FIELD",
					 *p);
	ret = set_str(ps, &a->fetch, fs, e);
	if (!ret && !a->name)
		ret = set_str(ps, &a->name, fs, e);
	return ret;
}

int spec_parse_tracepoint_args(struct parser *ps)
{
	struct probe_spec *spec = ps->spec;
	const char *s = skip_ws(ps->p), *e;
	size_t i;
	int ret;

	while (*s) {
		e = word_end(s);
		if (spec->nargs == MAX_TRACE_ARGS)
			return spec_perr(ps, s,
					 "too many arguments: at most %d",
					 MAX_TRACE_ARGS);
		if (!spec->args) {
			spec->args =
				calloc(MAX_TRACE_ARGS, sizeof(*spec->args));
			if (!spec->args)
				return oom(ps);
		}
		ret = parse_field_arg(ps, s, e);
		spec->nargs++; /* so that spec_free() sees a partial arg */
		if (ret)
			return ret;
		for (i = 0; i + 1 < spec->nargs; i++)
			if (!strcmp(spec->args[i].name,
				    spec->args[spec->nargs - 1].name))
				return spec_perr(ps, s,
						 "argument name '%s' is used "
						 "twice",
						 spec->args[i].name);
		s = skip_ws(e);
	}
	return 0;
}
