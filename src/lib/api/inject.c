/* SPDX-License-Identifier: MIT */
/*
 * sonde_event__inject(): the event named as sonde names events, its
 * values checked against its format (decode/inject_line.c), and the
 * instances the record goes to: those of running sessions where the event
 * is enabled, or the one the caller names (backend/tracefs/inject.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#include "backend/tracefs/inject.h"
#include "decode/inject_line.h"

#define NAME_MAX_LEN 128

struct target {
	const char *sys, *ev, *line;
	const struct sonde_inject_opts *opts;
	struct lib_error *err;
	char **insts;
	int n;
};

static bool name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= NAME_MAX_LEN || *s == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!(s[i] == '_' || s[i] == '-' || s[i] == '.' ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			return false;
	return true;
}

/* [t:|tracepoint:]SYS:EV or SYS/EV -> sys, ev */
static int split_event(const char *event, char *sys, char *ev,
		       struct lib_error *err)
{
	const char *s = event, *sep;

	if (!strncmp(s, "t:", 2))
		s += 2;
	else if (!strncmp(s, "tracepoint:", 11))
		s += 11;
	sep = strpbrk(s, ":/");
	if (!sep || !name_ok(s, (size_t)(sep - s)) ||
	    !name_ok(sep + 1, strlen(sep + 1)))
		return lib_error_set(err, EINVAL, -1,
				     "'%s' is not an event: expected "
				     "SYSTEM:EVENT (t:sched:sched_process_"
				     "exec, or a session's GROUP:EVENT)",
				     event);
	snprintf(sys, NAME_MAX_LEN, "%.*s", (int)(sep - s), s);
	snprintf(ev, NAME_MAX_LEN, "%s", sep + 1);
	return 0;
}

static int note_instance(const char *inst, void *ctx)
{
	struct target *t = ctx;
	char **grown = realloc(t->insts, (t->n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	t->insts = grown;
	t->insts[t->n] = strdup(inst);
	return t->insts[t->n++] ? 0 : -ENOMEM;
}

/* The instances the record goes to: t->insts (a NULL entry is the top
 * level). */
static int choose(struct target *t)
{
	const struct sonde_inject_opts *o = t->opts;
	int n;

	if (o && (o->top_level || o->instance)) {
		if (o->top_level && o->instance)
			return lib_error_set(t->err, EINVAL, -1,
					     "give an instance or the top "
					     "level, not both");
		t->insts = calloc(1, sizeof(*t->insts));
		if (!t->insts)
			return -ENOMEM;
		t->n = 1;
		if (o->instance && !name_ok(o->instance, strlen(o->instance)))
			return lib_error_set(t->err, EINVAL, -1,
					     "'%s' is not an instance name",
					     o->instance);
		t->insts[0] = o->instance ? strdup(o->instance) : NULL;
		return o->instance && !t->insts[0] ? -ENOMEM : 0;
	}
	n = tfs_inject_enabled(t->sys, t->ev, note_instance, t);
	if (n < 0)
		return lib_error_set(t->err, -n, -1, "out of memory");
	if (!n)
		return lib_error_set(t->err, ESRCH, -1,
				     "no running sonde session has %s:%s "
				     "enabled (instances/sonde_*): start one "
				     "with the tracefs backend, or name an "
				     "instance or the top level",
				     t->sys, t->ev);
	return 0;
}

static int inject(const char *event, const char *const *values, int n,
		  const struct sonde_inject_opts *opts, struct lib_error *err)
{
	char sys[NAME_MAX_LEN], ev[NAME_MAX_LEN], *fmt = NULL, *line = NULL;
	struct target t = {.sys = sys, .ev = ev, .opts = opts, .err = err};
	struct event_format ef = {0};
	int ret, i;

	ret = split_event(event, sys, ev, err);
	if (!ret)
		ret = tfs_inject_format(sys, ev, &fmt, err);
	if (!ret && event_format_parse_sys(fmt, sys, &ef))
		ret = lib_error_set(err, EINVAL, -1,
				    "cannot read the format of %s:%s", sys, ev);
	if (!ret)
		ret = inject_line(&ef, values, n, &line, err);
	if (!ret)
		ret = choose(&t);
	/* every instance checked before the first is written */
	for (i = 0; !ret && i < t.n; i++)
		ret = tfs_inject_check(t.insts[i], err);
	for (i = 0; !ret && i < t.n; i++) {
		ret = tfs_inject_write(t.insts[i], sys, ev, line, err);
		if (!ret && opts && opts->written)
			opts->written(t.insts[i], opts->ctx);
	}
	for (i = 0; i < t.n; i++)
		free(t.insts[i]);
	free(t.insts);
	event_format_free(&ef);
	free(line);
	free(fmt);
	return ret ? ret : t.n;
}

int sonde_event__inject(const char *event, const char *const *values, int n,
			const struct sonde_inject_opts *opts, char *msg,
			size_t len)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	int ret;

	if (!event || n < 0 || (n && !values) ||
	    (opts && opts->sz < sizeof(size_t)))
		return -EINVAL;
	ret = inject(event, values, n, opts, &err);
	if (ret < 0 && msg && len)
		snprintf(msg, len, "%s", err.msg[0] ? err.msg : strerror(-ret));
	else if (msg && len)
		msg[0] = '\0';
	return ret;
}
