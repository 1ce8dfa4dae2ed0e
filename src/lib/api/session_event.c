/* SPDX-License-Identifier: MIT */
/*
 * A probe's kernel event as the session makes it: its name, valid for the
 * kernel and unique in the session (a hash of the names taken, as a glob
 * adds thousands), and its line for {u,k}probe_events. Memory only:
 * session.c and the backends make the event in the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "session_add.h"

/* MAX_EVENT_NAME_LEN in kernel/trace/trace.h */
#define EVENT_NAME_MAX 64

/*
 * The session's event names, hashed: a glob adds thousands of probes and a
 * linear search of the names taken was a third of the time it took. Slots
 * hold a probe index + 1; an index at or past nprobes is a probe that was
 * not kept and counts as free.
 */
static unsigned int name_hash(const char *n)
{
	unsigned int h = 2166136261u; /* FNV-1a */

	while (*n)
		h = (h ^ (unsigned char)*n++) * 16777619u;
	return h;
}

static bool slot_live(const struct sonde_session *s, int slot)
{
	int v = s->names[slot];

	return v > 0 && v <= s->nprobes && s->probes[v - 1].name;
}

static bool name_taken(const struct sonde_session *s, const char *name)
{
	unsigned int i, mask = s->names_cap - 1;

	if (!s->names_cap)
		return false;
	for (i = name_hash(name) & mask; s->names[i]; i = (i + 1) & mask)
		if (slot_live(s, i) &&
		    !strcmp(s->probes[s->names[i] - 1].name, name))
			return true;
	return false;
}

static void name_put(struct sonde_session *s, int idx)
{
	unsigned int i, mask;

	mask = s->names_cap - 1;
	for (i = name_hash(s->probes[idx].name) & mask;
	     s->names[i] && slot_live(s, i); i = (i + 1) & mask)
		;
	s->names[i] = idx + 1;
}

/* Note probe idx's name; the table doubles at half full. */
int session_event_name_add(struct sonde_session *s, int idx)
{
	unsigned int cap = s->names_cap;
	int *grown, i;

	if ((unsigned int)(idx + 1) * 2 >= cap) {
		cap = cap ? cap * 2 : 64;
		grown = calloc(cap, sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		free(s->names);
		s->names = grown;
		s->names_cap = cap;
		for (i = 0; i < idx; i++)
			name_put(s, i);
	}
	name_put(s, idx);
	return 0;
}

/* A kernel-valid event name from what the user wrote, unique in the
 * session: "add", "add__return", "add_0x4", "demo_0x1139". */
char *session_event_name(const struct sonde_session *s,
			 const struct probe_spec *sp, const char *path)
{
	char base[EVENT_NAME_MAX], name[EVENT_NAME_MAX + 8], *p;
	const char *file;
	int n = 2;

	if (sp->event)
		snprintf(base, sizeof(base), "%s", sp->event);
	else if (sp->symbol && sp->offset)
		snprintf(base, sizeof(base), "%s_0x%llx", sp->symbol,
			 (unsigned long long)sp->offset);
	else if (sp->symbol)
		snprintf(base, sizeof(base), "%s", sp->symbol);
	else {
		file = path ? strrchr(path, '/') : NULL;
		snprintf(base, sizeof(base), "%s_0x%llx",
			 file ? file + 1 : "addr",
			 (unsigned long long)sp->addr);
	}
	for (p = base; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	if (isdigit((unsigned char)base[0]))
		base[0] = '_';
	if (!sp->event && probe_kind_is_return(sp->kind) &&
	    strlen(base) + 8 < sizeof(base))
		strcat(base, "__return");
	snprintf(name, sizeof(name), "%s", base);
	while (name_taken(s, name))
		snprintf(name, sizeof(name), "%.55s_%d", base, n++);
	return strdup(name);
}

static int append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *tmp;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	*buf = realloc(*buf, *len + n + 1);
	if (!*buf) {
		free(tmp);
		return -ENOMEM;
	}
	memcpy(*buf + *len, tmp, n + 1);
	*len += n;
	free(tmp);
	return 0;
}

/* The first byte of a kernel function's name that kprobe_events would
 * misread (it splits a line on isspace() and cuts it at '#',
 * trace_probe.c / trace_dynevent.c), or 0: a name from kallsyms or a
 * pattern's match goes into the line as text, so it must be one word. */
static int bad_ksym_byte(const char *name)
{
	const unsigned char *c;

	for (c = (const unsigned char *)name; c && *c; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '#')
			return *c;
	return 0;
}

/* The line for {u,k}probe_events (uprobetracer.rst, kprobetrace.rst). */
int session_event_definition(struct sonde_session *s, struct probe *p)
{
	const struct probe_spec *sp = &p->spec;
	char *d = NULL;
	size_t len = 0, i;
	int err;

	if (!probe_kind_is_user(sp->kind) && (err = bad_ksym_byte(sp->symbol)))
		return set_err(s, EINVAL, sp->symbol_col,
			       "the kernel function name '%s' has the byte "
			       "0x%02x, which kprobe_events would misread",
			       sp->symbol, err);
	if (probe_kind_is_user(sp->kind))
		err = append(&d, &len, "%c:%s/%s %s:0x%llx",
			     sp->kind == PROBE_URETPROBE ? 'r' : 'p', s->group,
			     p->name, p->path, (unsigned long long)p->offset);
	else if (sp->kind == PROBE_KRETPROBE && sp->maxactive)
		err = append(&d, &len, "r%d:%s/%s %s%s%s", sp->maxactive,
			     s->group, p->name, sp->target ? sp->target : "",
			     sp->target ? ":" : "", sp->symbol);
	else
		err = append(&d, &len, "%c:%s/%s %s%s%s",
			     sp->kind == PROBE_KRETPROBE ? 'r' : 'p', s->group,
			     p->name, sp->target ? sp->target : "",
			     sp->target ? ":" : "",
			     sp->symbol ? sp->symbol : "");
	/* a USDT semaphore: PATH:0xOFF(0xREF) (uprobetracer.rst) */
	if (!err && probe_kind_is_user(sp->kind) && sp->ref_ctr_offset)
		err = append(&d, &len, "(0x%llx)",
			     (unsigned long long)sp->ref_ctr_offset);
	if (!err && !probe_kind_is_user(sp->kind) && sp->has_addr)
		err = append(&d, &len, "0x%llx", (unsigned long long)sp->addr);
	if (!err && !probe_kind_is_user(sp->kind) && sp->offset)
		err = append(&d, &len, "+%llu", (unsigned long long)sp->offset);
	for (i = 0; !err && i < sp->nargs; i++) {
		const struct probe_arg *a = &sp->args[i];

		err = append(&d, &len, " %s=%s%s%s", a->name, a->fetch,
			     a->type ? ":" : "", a->type ? a->type : "");
	}
	if (!err)
		err = fault_hidden_args(p, &d, &len);
	if (err) {
		free(d);
		return set_err(s, ENOMEM, -1, "out of memory");
	}
	p->definition = d;
	return 0;
}
