/* SPDX-License-Identifier: MIT */
/*
 * sonde run's timeline: each printf/print message an instant named after
 * its probe, args {"msg": its text}; the probes are named as the
 * messages come (perfetto.c writes them).
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "line.h"
#include "perfetto_int.h"

struct timeline *timeline_new_messages(const char *path)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t) {
		fprintf(stderr, "%s: the timeline: out of memory\n", prog);
		return NULL;
	}
	t->path = path;
	t->own_names = true;
	return t;
}

/* The index of the instant probe named name, added when new; -1. */
static int probe_named(struct timeline *t, const char *name)
{
	struct tl_probe *grown;
	int i;

	for (i = 0; i < t->nprobes; i++)
		if (!strcmp(t->probes[i].name, name))
			return i;
	grown = realloc(t->probes, (t->nprobes + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->probes = grown;
	grown[t->nprobes] = (struct tl_probe){.name = strdup(name), .fn = -1};
	if (!grown[t->nprobes].name)
		return -1;
	return t->nprobes++;
}

void timeline_message(struct timeline *t, const struct timeline_msg *m)
{
	int p = probe_named(t, m->name);
	struct rec *r;
	size_t len;
	FILE *f;

	if (p < 0 || !(r = timeline_add_rec(t, m->ts))) {
		t->oom = true;
		return;
	}
	r->pid = m->pid;
	r->tid = m->tid;
	r->probe = p;
	snprintf(r->comm, sizeof(r->comm), "%s", m->comm);
	if (!(f = open_memstream(&r->args, &len)))
		return;
	fputs("{\"msg\":", f);
	put_json_str(f, m->text, NULL, "", NULL);
	fputc('}', f);
	if (fclose(f)) {
		free(r->args);
		r->args = NULL;
	}
}
