/* SPDX-License-Identifier: MIT */
/*
 * GET /debug/pprof/profile?seconds=N: the stacks that the stack entries
 * counted during the N seconds (default 30, at most 300; the request
 * waits in the poll loop), as pprof's profile.proto (github.com/google/
 * pprof proto/profile.proto) gzipped: sample_type samples/count, a sample
 * per stack (location ids leaf first, value its count), a location per
 * address with its lines (inlined functions first) and its object's
 * mapping (the file's name, no address range), functions, and the
 * string table ("" first); a comment per entry that lost hits in the
 * window. The protobuf wire format is written here: a varint, a key
 * (field << 3 | wire type), length-delimited messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "serve.h"

#define SECONDS_DEFAULT 30
#define SECONDS_MAX 300

struct snap_table {
	uint64_t id, lost;
	size_t n;
	uint64_t *counts;
};

struct snap {
	struct snap_table *t;
	int n;
	struct timespec start;
};

void serve_pprof_free(void *p)
{
	struct snap *s = p;
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->t[i].counts);
	free(s->t);
	free(s);
}

int serve_pprof_start(struct serve_config *c, const char *query, void **out,
		      int *seconds, char *msg, size_t len)
{
	struct snap *s;
	const char *v = strstr(query, "seconds=");
	char *end;
	long n = SECONDS_DEFAULT;
	int i, k = 0;
	size_t j;

	if (v && (v == query || v[-1] == '&')) {
		n = strtol(v + 8, &end, 10);
		if (end == v + 8 || (*end && *end != '&') || n < 1 ||
		    n > SECONDS_MAX) {
			snprintf(msg, len, "seconds takes 1..%d", SECONDS_MAX);
			return 400;
		}
	}
	for (i = 0; i < c->n; i++)
		k += c->e[i].st != NULL;
	if (!k) {
		snprintf(msg, len, "no stacks: the configuration has no "
				   "running entry of kind stack");
		return 404;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->t = calloc(k, sizeof(*s->t))))
		goto nomem;
	clock_gettime(CLOCK_REALTIME, &s->start);
	for (i = 0; i < c->n; i++) {
		struct serve_stacks *st = c->e[i].st;
		struct snap_table *t = &s->t[s->n];

		if (!st)
			continue;
		serve_stacks_poll(&c->e[i], true);
		t->id = st->id;
		serve_stacks_stats(&c->e[i], &t->lost);
		t->counts = calloc(st->nstacks ? st->nstacks : 1, sizeof(*t->counts));
		if (!t->counts)
			goto nomem;
		s->n++;
		t->n = st->nstacks;
		for (j = 0; j < st->nstacks; j++)
			t->counts[j] = st->stacks[j]->count;
	}
	*out = s;
	*seconds = (int)n;
	return 200;
nomem:
	serve_pprof_free(s);
	snprintf(msg, len, "out of memory");
	return 500;
}

static void varint(struct serve_buf *b, uint64_t v)
{
	unsigned char p[10];
	size_t n = 0;

	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	serve_buf_put(b, (const char *)p, n);
}

static void pb_int(struct serve_buf *b, int field, uint64_t v)
{
	varint(b, (uint64_t)field << 3); /* wire type 0: varint */
	varint(b, v);
}

static void pb_bytes(struct serve_buf *b, int field, const char *p, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2); /* wire type 2: length */
	varint(b, n);
	serve_buf_put(b, p, n);
}

/* A sub-message: m's bytes, then m emptied for the next. */
static void pb_msg(struct serve_buf *b, int field, struct serve_buf *m)
{
	pb_bytes(b, field, m->p ? m->p : "", m->len);
	if (m->failed)
		b->failed = true;
	m->len = 0;
}

struct interned {
	char *key;
	uint64_t id;
};

static int interned_cmp(const void *a, const void *b)
{
	return strcmp(((const struct interned *)a)->key,
		      ((const struct interned *)b)->key);
}

struct enc {
	struct serve_buf out, strings, m, sub;
	void *strs, *funcs, *maps;
	uint64_t nstrs, nfuncs, nmaps;
};

/* key's id in tree (a new one: *n + 1, then *isnew); 0 when out of memory. */
static uint64_t intern(void **tree, uint64_t *n, const char *key, bool *isnew)
{
	struct interned k = {(char *)key, 0}, *e, **found;

	*isnew = false;
	found = tfind(&k, tree, interned_cmp);
	if (found)
		return (*found)->id;
	e = malloc(sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return 0;
	}
	e->id = ++*n;
	if (!tsearch(e, tree, interned_cmp)) {
		free(e->key);
		free(e);
		return 0;
	}
	*isnew = true;
	return e->id;
}

/* The string's index in the string table ("" is 0). */
static uint64_t str(struct enc *x, const char *s)
{
	bool isnew;
	uint64_t id;

	if (!*s)
		return 0;
	id = intern(&x->strs, &x->nstrs, s, &isnew);
	if (!id)
		x->out.failed = true;
	if (isnew)
		pb_bytes(&x->strings, 6, s, strlen(s));
	return id;
}

/* The function (name, file)'s id, written the first time. */
static uint64_t func(struct enc *x, const struct serve_line *l)
{
	char *key;
	bool isnew;
	uint64_t id;
	struct serve_buf f = {0};

	if (asprintf(&key, "%s\n%s", l->func, l->file) < 0) {
		x->out.failed = true;
		return 0;
	}
	id = intern(&x->funcs, &x->nfuncs, key, &isnew);
	free(key);
	if (!id)
		x->out.failed = true;
	if (isnew) {
		pb_int(&f, 1, id);
		pb_int(&f, 2, str(x, l->func));
		pb_int(&f, 3, str(x, l->func));
		pb_int(&f, 4, str(x, l->file));
		pb_msg(&x->out, 5, &f);
		serve_buf_free(&f);
	}
	return id;
}

/* The mapping of an object (by its file name)'s id, written the first
 * time: no address range (sonde names the functions itself). */
static uint64_t mapping(struct enc *x, const char *object)
{
	bool isnew;
	uint64_t id = intern(&x->maps, &x->nmaps, object, &isnew);
	struct serve_buf m = {0};

	if (!id)
		x->out.failed = true;
	if (isnew) {
		pb_int(&m, 1, id);
		pb_int(&m, 5, str(x, object));
		pb_int(&m, 7, 1); /* has_functions */
		pb_msg(&x->out, 3, &m);
		serve_buf_free(&m);
	}
	return id;
}

static void free_interned(void *p)
{
	struct interned *e = p;

	free(e->key);
	free(e);
}

/* One table's samples (their growth since t, if any) and locations, the
 * location ids from base + 1. */
static void table(struct enc *x, const struct serve_stacks *st,
		  const struct snap_table *t, uint64_t base)
{
	size_t i;
	int j;

	for (i = 0; i < st->nstacks; i++) {
		const struct serve_stack *s = st->stacks[i];
		uint64_t v = s->count - (t && i < t->n ? t->counts[i] : 0);

		if (!v)
			continue;
		for (j = 0; j < s->n; j++)
			varint(&x->sub, base + (uint64_t)s->locs[j] + 1);
		pb_msg(&x->m, 1, &x->sub);
		varint(&x->sub, v);
		pb_msg(&x->m, 2, &x->sub);
		pb_msg(&x->out, 2, &x->m);
	}
	for (i = 0; i < st->nlocs; i++) {
		const struct serve_loc *l = st->locs[i];

		pb_int(&x->m, 1, base + i + 1);
		if (*l->object)
			pb_int(&x->m, 2, mapping(x, l->object));
		pb_int(&x->m, 3, l->addr);
		for (j = 0; j < l->nlines; j++) {
			pb_int(&x->sub, 1, func(x, &l->lines[j]));
			pb_int(&x->sub, 2, (uint64_t)l->lines[j].line);
			pb_msg(&x->m, 4, &x->sub);
		}
		pb_msg(&x->out, 4, &x->m);
	}
}

static int gzip_into(struct serve_buf *b, const struct serve_buf *in)
{
	z_stream z = {0};
	uLong cap;
	int err;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, in->len) + 32;
	free(b->p);
	b->p = malloc(cap);
	b->len = 0;
	b->cap = cap;
	if (!b->p) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(in->p ? in->p : "");
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)b->p;
	z.avail_out = (uInt)cap;
	err = deflate(&z, Z_FINISH);
	b->len = cap - z.avail_out;
	deflateEnd(&z);
	return err == Z_STREAM_END ? 0 : -ENOMEM;
}

int serve_pprof_end(struct serve_config *c, void *p, int seconds,
		    struct serve_buf *b)
{
	struct snap *s = p;
	struct enc x = {0};
	struct timespec now;
	uint64_t base = 0, lost;
	char *note;
	int i, k, err;

	clock_gettime(CLOCK_REALTIME, &now);
	pb_bytes(&x.strings, 6, "", 0);
	pb_int(&x.m, 1, str(&x, "samples"));
	pb_int(&x.m, 2, str(&x, "count"));
	pb_msg(&x.out, 1, &x.m);
	for (i = 0; i < c->n; i++) {
		const struct serve_stacks *st = c->e[i].st;
		const struct snap_table *t = NULL;

		if (!st)
			continue;
		for (k = 0; k < s->n; k++)
			if (s->t[k].id == st->id)
				t = &s->t[k];
		table(&x, st, t, base);
		base += st->nlocs;
		serve_stacks_stats(&c->e[i], &lost);
		lost -= t && lost >= t->lost ? t->lost : 0;
		if (lost && asprintf(&note, "%s: %" PRIu64 " hits not counted "
				     "(lost, without a stack, or past max-series)",
				     c->e[i].name, lost) >= 0) {
			pb_int(&x.out, 13, str(&x, note));
			free(note);
		}
	}
	pb_int(&x.out, 9, (uint64_t)s->start.tv_sec * 1000000000 +
				   (uint64_t)s->start.tv_nsec);
	pb_int(&x.out, 10, (uint64_t)(now.tv_sec - s->start.tv_sec) * 1000000000 +
				    (uint64_t)(now.tv_nsec - s->start.tv_nsec));
	pb_int(&x.m, 1, str(&x, "samples"));
	pb_int(&x.m, 2, str(&x, "count"));
	pb_msg(&x.out, 11, &x.m);
	pb_int(&x.out, 12, 1);
	serve_buf_put(&x.out, x.strings.p, x.strings.len);
	(void)seconds;
	err = x.out.failed || x.strings.failed ? -ENOMEM : gzip_into(b, &x.out);
	tdestroy(x.strs, free_interned);
	tdestroy(x.funcs, free_interned);
	tdestroy(x.maps, free_interned);
	serve_buf_free(&x.out);
	serve_buf_free(&x.strings);
	serve_buf_free(&x.m);
	serve_buf_free(&x.sub);
	serve_pprof_free(s);
	return err;
}
