/* SPDX-License-Identifier: MIT */
/*
 * sonde serve's stack entries (kind stack): the probes' hits streamed
 * from the kernel with their call stacks, each distinct stack (per
 * process and addresses) symbolized once into its locations (address,
 * and the function, file and line of each frame inlined there) and
 * counted. The counts only grow; /debug/pprof/profile (serve_pprof.c)
 * answers with their growth over its seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "serve.h"

#define SRC_MAX 32

static uint64_t next_id = 1;

static int loc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct serve_loc *)a)->key,
		      ((const struct serve_loc *)b)->key);
}

static void loc_free(struct serve_loc *l)
{
	int j;

	if (!l)
		return;
	for (j = 0; j < l->nlines; j++) {
		free(l->lines[j].func);
		free(l->lines[j].file);
	}
	free(l->lines);
	free(l->object);
	free(l->key);
	free(l);
}

/* The location's key: its address and lines' text. */
static char *loc_key(const struct serve_loc *l)
{
	char *key = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&key, &len);
	int j;

	if (!f)
		return NULL;
	fprintf(f, "%" PRIx64 "|%s", l->addr, l->object);
	for (j = 0; j < l->nlines; j++)
		fprintf(f, "|%s|%s|%d", l->lines[j].func, l->lines[j].file,
			l->lines[j].line);
	if (fclose(f)) {
		free(key);
		return NULL;
	}
	return key;
}

/* The file of a symbolized user frame, "func+0x1a (x.so)": the last
 * " (...)" (C++ names hold " (" too); "" when none. */
static const char *object_of(const char *buf)
{
	size_t len = strlen(buf);
	const char *p = NULL, *q = buf;
	static char file[256];

	if (!len || buf[len - 1] != ')')
		return "";
	while ((q = strstr(q, " ("))) {
		p = q;
		q++;
	}
	if (!p || (size_t)(buf + len - 1 - (p + 2)) >= sizeof(file))
		return "";
	memcpy(file, p + 2, buf + len - 1 - (p + 2));
	file[buf + len - 1 - (p + 2)] = '\0';
	return file;
}

/* frames[i] as a location (the first kframes are kernel frames): with
 * DWARF unwinding, the functions inlined at it, innermost first, with
 * file and line; else its symbol's name. */
static struct serve_loc *loc_new(const struct sonde_event *ev,
				 const uint64_t *frames, int i, int kframes)
{
	struct sonde_src_frame src[SRC_MAX];
	struct serve_loc *l = calloc(1, sizeof(*l));
	bool user = i >= kframes;
	uint64_t at = frames[i] - (user && i > kframes ? 1 : 0);
	int n = user ? sonde_event__src_frames(ev, at, src, SRC_MAX) : 0, j;
	char buf[768];

	if (!l || !(l->lines = calloc(n > 0 ? n : 1, sizeof(*l->lines)))) {
		free(l);
		return NULL;
	}
	l->addr = frames[i];
	sonde_event__symbolize(ev, frames[i], user, buf, sizeof(buf));
	l->object = strdup(user ? object_of(buf) : "[kernel]");
	cli_frame_name(buf);
	l->nlines = n > 0 ? n : 1;
	for (j = 0; j < l->nlines; j++) {
		const char *func = j < n ? src[j].func : NULL;

		if (!func)
			func = j == l->nlines - 1 ? buf : "??";
		l->lines[j].func = strdup(func);
		l->lines[j].file = strdup(j < n && src[j].file ? src[j].file : "");
		l->lines[j].line = j < n ? src[j].line : 0;
		if (!l->lines[j].func || !l->lines[j].file) {
			loc_free(l);
			return NULL;
		}
	}
	l->key = l->object ? loc_key(l) : NULL;
	if (!l->key) {
		loc_free(l);
		return NULL;
	}
	return l;
}

/* The index of frames[i]'s location in st->locs, or -ENOMEM. */
static int loc_index(struct serve_stacks *st, const struct sonde_event *ev,
		     const uint64_t *frames, int i, int kframes)
{
	struct serve_loc *l = loc_new(ev, frames, i, kframes), **found, **grown;

	if (!l)
		return -ENOMEM;
	found = tfind(l, &st->loc_tree, loc_cmp);
	if (found) {
		loc_free(l);
		return (*found)->index;
	}
	if (st->nlocs == st->loc_cap) {
		size_t cap = st->loc_cap ? st->loc_cap * 2 : 64;

		grown = realloc(st->locs, cap * sizeof(*grown));
		if (!grown) {
			loc_free(l);
			return -ENOMEM;
		}
		st->locs = grown;
		st->loc_cap = cap;
	}
	l->index = (int)st->nlocs;
	if (!tsearch(l, &st->loc_tree, loc_cmp)) {
		loc_free(l);
		return -ENOMEM;
	}
	st->locs[st->nlocs++] = l;
	return l->index;
}

/* A new stack, its locations leaf first; NULL when out of memory. */
static struct serve_stack *stack_new(struct serve_stacks *st,
				     const struct sonde_event *ev,
				     const uint64_t *frames, int n)
{
	int k = sonde_event__stack_kernel_frames(ev), i;
	struct serve_stack *s = calloc(1, sizeof(*s));

	if (!s || !(s->frames = malloc((n ? n : 1) * sizeof(*frames))) ||
	    !(s->locs = malloc((n ? n : 1) * sizeof(*s->locs)))) {
		if (s)
			free(s->frames);
		free(s);
		return NULL;
	}
	memcpy(s->frames, frames, n * sizeof(*frames));
	s->n = n;
	s->pid = sonde_event__pid(ev);
	for (i = 0; i < n; i++) {
		s->locs[i] = loc_index(st, ev, frames, i, k);
		if (s->locs[i] < 0) {
			free(s->frames);
			free(s->locs);
			free(s);
			return NULL;
		}
	}
	return s;
}

static int grow_slots(struct serve_stacks *st)
{
	size_t cap = st->cap ? st->cap * 2 : 256, i, j;
	int *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < st->cap; i++) {
		if (!st->slots[i])
			continue;
		for (j = st->stacks[st->slots[i] - 1]->hash & (cap - 1); slots[j];
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = st->slots[i];
	}
	free(st->slots);
	st->slots = slots;
	st->cap = cap;
	return 0;
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct serve_stacks *st = ctx;
	const uint64_t *frames;
	int n = sonde_event__stack(ev, &frames, NULL), pid = sonde_event__pid(ev);
	uint64_t h;
	struct serve_stack *s, **grown;
	size_t j;

	if (n <= 0) {
		st->no_stack++;
		return 0;
	}
	h = cli_stack_hash(pid, frames, n);
	if ((st->nstacks + 1) * 2 > st->cap && grow_slots(st))
		goto lost;
	for (j = h & (st->cap - 1); st->slots[j]; j = (j + 1) & (st->cap - 1)) {
		s = st->stacks[st->slots[j] - 1];
		if (s->hash == h && s->pid == pid && s->n == n &&
		    !memcmp(s->frames, frames, n * sizeof(*frames))) {
			s->count++;
			return 0;
		}
	}
	if (st->nstacks >= st->max) {
		st->over++;
		return 0;
	}
	if (st->nstacks == st->stack_cap) {
		size_t cap = st->stack_cap ? st->stack_cap * 2 : 64;

		grown = realloc(st->stacks, cap * sizeof(*grown));
		if (!grown)
			goto lost;
		st->stacks = grown;
		st->stack_cap = cap;
	}
	s = stack_new(st, ev, frames, n);
	if (!s)
		goto lost;
	s->hash = h;
	s->count = 1;
	st->stacks[st->nstacks++] = s;
	st->slots[j] = (int)st->nstacks;
	return 0;
lost:
	st->no_memory++;
	return 0;
}

int serve_stacks_open(struct serve_entry *e, const struct cli_opts *o)
{
	struct sonde_session_opts so = {
		.sz = sizeof(so),
		.log = cli_log,
		.debug_dir = o->debug_dir,
		.max_probes = o->max_probes,
		.buffer_kb = o->buffer_kb,
		.stack = true,
		.exclude_self = true,
		.call_graph = e->call_graph,
	};
	struct sonde_probe_opts po = {.sz = sizeof(po)};
	struct serve_stacks *st = calloc(1, sizeof(*st));
	int i, err;

	if (!st)
		return -ENOMEM;
	st->id = next_id++;
	st->max = e->max_series;
	st->s = sonde_session__open(&so);
	if (!st->s) {
		err = -errno;
		free(st);
		return asprintf(&e->error, "%s", strerror(-err)) < 0 ? -ENOMEM : err;
	}
	e->st = st;
	sonde_session__set_callback(st->s, on_event, st);
	for (i = 0; i < e->nprobes; i++) {
		err = sonde_session__add_probe(st->s, e->probes[i], &po);
		if (err < 0) {
			if (asprintf(&e->error, "probe '%s': %s", e->probes[i],
				     sonde_session__errmsg(st->s)) < 0)
				e->error = NULL;
			serve_stacks_close(e);
			return err;
		}
	}
	err = sonde_session__start(st->s);
	if (err < 0) {
		if (asprintf(&e->error, "%s", sonde_session__errmsg(st->s)) < 0)
			e->error = NULL;
		serve_stacks_close(e);
		return err;
	}
	return 0;
}

static void free_nothing(void *p)
{
	(void)p;
}

void serve_stacks_close(struct serve_entry *e)
{
	struct serve_stacks *st = e->st;
	size_t i;

	if (!st)
		return;
	if (st->s)
		cli_session_close(st->s);
	cli_hold(); /* serve holds the signals while it runs */
	for (i = 0; i < st->nstacks; i++) {
		free(st->stacks[i]->frames);
		free(st->stacks[i]->locs);
		free(st->stacks[i]);
	}
	tdestroy(st->loc_tree, free_nothing);
	for (i = 0; i < st->nlocs; i++)
		loc_free(st->locs[i]);
	free(st->locs);
	free(st->stacks);
	free(st->slots);
	free(st);
	e->st = NULL;
}

int serve_stacks_fd(const struct serve_entry *e)
{
	return e->st ? sonde_session__fd(e->st->s) : -1;
}

int serve_stacks_stats(const struct serve_entry *e, uint64_t *lost)
{
	struct sonde_stats ss = {.sz = sizeof(ss)};

	*lost = 0;
	if (!e->st)
		return -1;
	if (!sonde_session__stats(e->st->s, &ss))
		*lost = ss.lost;
	*lost += e->st->no_stack + e->st->no_memory + e->st->over;
	return sonde_session__probe_count(e->st->s);
}

void serve_stacks_poll(struct serve_entry *e, bool all)
{
	if (!e->st)
		return;
	if (all)
		sonde_session__drain(e->st->s);
	else
		sonde_session__poll(e->st->s, 0);
}
