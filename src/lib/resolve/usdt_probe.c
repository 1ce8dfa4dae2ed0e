/* SPDX-License-Identifier: MIT */
/*
 * usdt:TARGET:[PROVIDER:]NAME -> one uprobe per location of the probe, with
 * its semaphore as ref_ctr_offset (so the kernel raises it: the probe
 * fires without sonde writing the target's memory, uprobetracer.rst) and
 * argN from the note (usdt.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sym/usdt.h"

struct resolve_ctx {
	const struct usdt_file *f;
	const struct usdt_probe *p;
};

static int resolve_name(void *ctx, const char *name, bool want_string,
			char **fetch, char *type, size_t typelen,
			struct lib_error *e)
{
	struct resolve_ctx *c = ctx;
	struct usdt_arg a;
	char *end;
	long n;
	int err;

	if (strncmp(name, "arg", 3) || !isdigit((unsigned char)name[3]))
		return 1;
	n = strtol(name + 3, &end, 10);
	if (*end || n < 1 || n > 64)
		return 1;
	err = usdt_arg(c->f, c->p, (int)n, &a, e);
	if (err)
		return err;
	/* a char * argument: its string is read through the pointer */
	if (want_string && asprintf(fetch, "+0(%s)", a.fetch) < 0)
		return -ENOMEM;
	if (!want_string && !(*fetch = strdup(a.fetch)))
		return -ENOMEM;
	snprintf(type, typelen, "%s", a.type);
	return 0;
}

/* No ARGS: every argument of the note, as arg1..argN. */
static int default_args(struct probe_spec *sp, int n)
{
	int i;

	if (!n)
		return 0;
	sp->args = calloc(128, sizeof(*sp->args)); /* MAX_TRACE_ARGS */
	if (!sp->args)
		return -ENOMEM;
	for (i = 0; i < n && i < 128; i++) {
		struct probe_arg *a = &sp->args[sp->nargs++];

		if (asprintf(&a->name, "arg%d", i + 1) < 0 ||
		    !(a->fetch = strdup(a->name)))
			return -ENOMEM;
		a->deferred = true;
		a->col = a->fetch_col = sp->symbol_col;
	}
	return 0;
}

int usdt_resolve_probe(struct sonde_session *s, struct probe *p)
{
	struct probe_spec *sp = &p->spec;
	const struct usdt_probe *u, *m = NULL, *first = NULL, *other = NULL;
	struct fetch_resolver r = {.name = resolve_name};
	struct lib_error perr = LIB_ERROR_SPEC_INIT;
	struct resolve_ctx rc;
	struct usdt_file *f;
	char have[256] = "";
	int err, k = 0;
	size_t i;

	err = usdt_open(p->path, &f);
	if (err)
		return set_err(s, -err, sp->target_col,
			       "cannot read the USDT notes of %s: %s", p->path,
			       strerror(-err));
	for (i = 0; i < usdt_count(f); i++) {
		u = usdt_get(f, i);
		if (strcmp(u->name, sp->symbol) ||
		    (sp->provider && strcmp(u->provider, sp->provider)))
			continue;
		if (!first)
			first = u;
		else if (strcmp(first->provider, u->provider))
			other = u;
		if (k++ == sp->usdt_loc)
			m = u;
	}
	if (other) {
		err = set_err(s, EINVAL, sp->symbol_col,
			      "'%s' is a probe of providers %s and %s in %s: "
			      "write usdt:%s:PROVIDER:%s",
			      sp->symbol, first->provider, other->provider,
			      p->path, sp->target, sp->symbol);
		goto out;
	}
	if (!m) {
		for (i = 0; i < usdt_count(f) && strlen(have) < 160; i++)
			if (!strstr(have, usdt_get(f, i)->name))
				snprintf(have + strlen(have),
					 sizeof(have) - strlen(have), "%s%s:%s",
					 *have ? ", " : "; it has ",
					 usdt_get(f, i)->provider,
					 usdt_get(f, i)->name);
		err = set_err(s, ENOENT, sp->symbol_col,
			      usdt_count(f) ? "no USDT probe '%s%s%s' in %s%s"
					    : "no USDT probe '%s%s%s' in %s: "
					      "it has no .note.stapsdt%s",
			      sp->provider ? sp->provider : "",
			      sp->provider ? ":" : "", sp->symbol, p->path,
			      have);
		goto out;
	}
	sp->usdt_nlocs = k;
	p->offset = m->offset;
	sp->ref_ctr_offset = m->sem_offset;
	if (!sp->nargs && default_args(sp, usdt_nargs(m))) {
		err = set_err(s, ENOMEM, -1, "out of memory");
		goto out;
	}
	rc = (struct resolve_ctx){.f = f, .p = m};
	r.ctx = &rc;
	err = spec_resolve_args(sp, &r, NULL, &perr);
	if (err)
		set_err(s, -err, perr.col, "%s", perr.msg);
out:
	usdt_close(f);
	return err;
}
