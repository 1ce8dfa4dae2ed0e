/* SPDX-License-Identifier: MIT */
/*
 * The fine histogram behind sonde_agg__percentile(): values below 32
 * exactly, then 32 sub-buckets per power of two (1888 buckets). Most rows
 * see few distinct buckets (a key per process: a handful of calls), so a
 * row keeps only the buckets it has, sorted, and turns into the full
 * array once that would take no more room: a few dozen bytes per row
 * instead of 15 KB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

#define FINE_SUB 32

struct fine_ent {
	uint32_t idx;
	uint64_t count;
};

struct fine {
	uint64_t *dense; /* FINE_BUCKETS counts, or NULL while sparse */
	uint32_t n, cap;
	struct fine_ent e[]; /* sparse: n used, by idx */
};

int fine_bucket(int64_t v)
{
	int e;

	if (v < FINE_SUB)
		return v < 0 ? 0 : v;
	e = 63 - __builtin_clzll((uint64_t)v); /* >= 5 */
	return FINE_SUB + (e - 5) * FINE_SUB +
	       ((v >> (e - 5)) & (FINE_SUB - 1));
}

void fine_range(int i, int64_t *lo, int64_t *hi)
{
	int e, sub;

	if (i < FINE_SUB) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	e = (i - FINE_SUB) / FINE_SUB + 5;
	sub = (i - FINE_SUB) % FINE_SUB;
	*lo = ((int64_t)1 << e) + ((int64_t)sub << (e - 5));
	/* the last bucket ends at 2^63, which an int64_t cannot hold */
	*hi = i == FINE_BUCKETS - 1 ? INT64_MAX : *lo + ((int64_t)1 << (e - 5));
}

void fine_free(struct fine *f)
{
	if (f)
		free(f->dense);
	free(f);
}

/* the first entry with idx >= i */
static uint32_t find(const struct fine *f, uint32_t i)
{
	uint32_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->e[mid].idx < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int to_dense(struct fine *f)
{
	uint32_t k;

	f->dense = calloc(FINE_BUCKETS, sizeof(*f->dense));
	if (!f->dense)
		return -ENOMEM;
	for (k = 0; k < f->n; k++)
		f->dense[f->e[k].idx] = f->e[k].count;
	f->n = 0;
	return 0;
}

int fine_add(struct fine **fp, int64_t v, uint64_t n)
{
	uint32_t i = fine_bucket(v), k, cap;
	struct fine *f = *fp;

	if (f && f->dense) {
		f->dense[i] += n;
		return 0;
	}
	k = f ? find(f, i) : 0;
	if (f && k < f->n && f->e[k].idx == i) {
		f->e[k].count += n;
		return 0;
	}
	if (!f || f->n == f->cap) {
		cap = f ? f->cap * 2 : 4;
		/* as large as the array: the array then */
		if (cap * sizeof(struct fine_ent) >= FINE_BUCKETS * 8) {
			if (to_dense(f))
				return -ENOMEM;
			f->dense[i] += n;
			return 0;
		}
		f = realloc(f, sizeof(*f) + cap * sizeof(struct fine_ent));
		if (!f)
			return -ENOMEM;
		if (!*fp) {
			f->dense = NULL;
			f->n = 0;
		}
		f->cap = cap;
		*fp = f;
	}
	memmove(&f->e[k + 1], &f->e[k], (f->n - k) * sizeof(f->e[0]));
	f->e[k] = (struct fine_ent){i, n};
	f->n++;
	return 0;
}

int fine_rank(const struct fine *f, uint64_t rank)
{
	uint64_t seen = 0;
	uint32_t k;

	if (!f)
		return 0;
	if (f->dense) {
		for (k = 0; k < FINE_BUCKETS; k++) {
			seen += f->dense[k];
			if (seen >= rank)
				return k;
		}
		return FINE_BUCKETS - 1;
	}
	for (k = 0; k < f->n; k++) {
		seen += f->e[k].count;
		if (seen >= rank)
			return f->e[k].idx;
	}
	return f->n ? f->e[f->n - 1].idx : 0;
}
