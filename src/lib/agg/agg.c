/* SPDX-License-Identifier: MIT */
/*
 * Aggregations in user space: rows keyed by tuples of numbers and strings in
 * an open-addressing hash, each with a count, sum/min/max and optionally a
 * log2 or linear histogram and a fine histogram for percentiles. A table
 * made with max_rows holds at most that many keys: a hit of a new key
 * past it is counted as dropped, never silently lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

/* log2: <0, 0, then [2^k, 2^(k+1)) for k = 0..62 */
#define LOG2_BUCKETS 65

struct row {
	struct sonde_agg_row pub;
	uint64_t hash;
	struct fine *fine; /* percentiles, agg_percentile.c */
	struct sonde_agg_key keys[];
};

struct sonde_agg {
	struct sonde_agg_opts o;
	int nbuckets;
	struct row **rows;
	size_t nrows, cap;
	uint32_t *slots; /* row index + 1, 0 = empty */
	size_t nslots;	 /* a power of two */
	const struct sonde_agg_row **sorted;
	bool sort_by_key;
	uint64_t dropped; /* hits of new keys past max_rows, and noted */
};

struct sonde_agg *sonde_agg__new(const struct sonde_agg_opts *opts)
{
	struct sonde_agg *a;
	int64_t span;

	if (!opts || opts->nkeys < 0 || opts->nkeys > SONDE_AGG_MAX_KEYS) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	memcpy(&a->o, opts,
	       opts->sz < sizeof(a->o) ? opts->sz : sizeof(a->o));
	a->o.sz = sizeof(a->o);
	if (a->o.hist == SONDE_AGG_LOG2) {
		a->nbuckets = LOG2_BUCKETS;
	} else if (a->o.hist == SONDE_AGG_LINEAR) {
		span = a->o.max - a->o.min;
		if (a->o.step <= 0 || span <= 0 || span / a->o.step > 100000) {
			free(a);
			errno = EINVAL;
			return NULL;
		}
		a->nbuckets = (span + a->o.step - 1) / a->o.step + 2;
	}
	return a;
}

void sonde_agg__clear(struct sonde_agg *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nrows; i++) {
		fine_free(a->rows[i]->fine);
		free(a->rows[i]);
	}
	a->nrows = 0;
	a->dropped = 0;
	if (a->slots)
		memset(a->slots, 0, a->nslots * sizeof(*a->slots));
}

void sonde_agg__free(struct sonde_agg *a)
{
	if (!a)
		return;
	sonde_agg__clear(a);
	free(a->rows);
	free(a->slots);
	free(a->sorted);
	free(a);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t key_hash(const struct sonde_agg_key *k, int n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;
	int i;

	for (i = 0; i < n; i++) {
		if (k[i].kind != SONDE_AGG_KEY_STRING) {
			h = mix(h, k[i].num);
			continue;
		}
		for (p = (const unsigned char *)(k[i].str ?: ""); *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
		h = mix(h, 0xff);
	}
	return h;
}

static bool key_equal(const struct sonde_agg_key *a,
		      const struct sonde_agg_key *b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		bool sa = a[i].kind == SONDE_AGG_KEY_STRING;

		if (sa != (b[i].kind == SONDE_AGG_KEY_STRING))
			return false;
		if (sa ? strcmp(a[i].str ?: "", b[i].str ?: "")
		       : a[i].num != b[i].num)
			return false;
	}
	return true;
}

static int grow_slots(struct sonde_agg *a)
{
	size_t n = a->nslots ? a->nslots * 2 : 64, i, j;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < a->nrows; i++) {
		j = a->rows[i]->hash & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(a->slots);
	a->slots = slots;
	a->nslots = n;
	return 0;
}

static struct row *row_new(struct sonde_agg *a,
			   const struct sonde_agg_key *key, uint64_t h)
{
	size_t sz = sizeof(struct row) + a->o.nkeys * sizeof(*key) +
		    a->nbuckets * sizeof(uint64_t);
	struct row *r, **rows;
	char *strs;
	int i;

	for (i = 0; i < a->o.nkeys; i++)
		if (key[i].kind == SONDE_AGG_KEY_STRING)
			sz += strlen(key[i].str ?: "") + 1;
	if (a->nrows == a->cap) {
		rows = realloc(a->rows, (a->cap ? a->cap * 2 : 64) *
						sizeof(*rows));
		if (!rows)
			return NULL;
		a->rows = rows;
		a->cap = a->cap ? a->cap * 2 : 64;
	}
	r = calloc(1, sz);
	if (!r)
		return NULL;
	r->hash = h;
	r->pub.key = r->keys;
	r->pub.min = INT64_MAX;
	r->pub.max = INT64_MIN;
	if (a->nbuckets)
		r->pub.buckets = (uint64_t *)(r->keys + a->o.nkeys);
	strs = (char *)(r->keys + a->o.nkeys) + a->nbuckets * sizeof(uint64_t);
	for (i = 0; i < a->o.nkeys; i++) {
		r->keys[i] = key[i];
		if (key[i].kind != SONDE_AGG_KEY_STRING)
			continue;
		strcpy(strs, key[i].str ?: "");
		r->keys[i].str = strs;
		strs += strlen(strs) + 1;
	}
	a->rows[a->nrows++] = r;
	return r;
}

/* The key's row; a new one unless the table is full (NULL, errno
 * ENOSPC) or memory is out (ENOMEM). */
static struct row *lookup(struct sonde_agg *a, const struct sonde_agg_key *key)
{
	uint64_t h = key_hash(key, a->o.nkeys);
	struct row *r;
	size_t j;

	if ((a->nrows + 1) * 2 > a->nslots && grow_slots(a))
		return NULL;
	for (j = h & (a->nslots - 1); a->slots[j]; j = (j + 1) & (a->nslots - 1)) {
		r = a->rows[a->slots[j] - 1];
		if (r->hash == h && key_equal(r->keys, key, a->o.nkeys))
			return r;
	}
	if (a->o.max_rows && a->nrows >= a->o.max_rows) {
		errno = ENOSPC;
		return NULL;
	}
	r = row_new(a, key, h);
	if (!r)
		errno = ENOMEM;
	else
		a->slots[j] = a->nrows;
	return r;
}

static int log2_bucket(int64_t v)
{
	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	return 2 + 63 - __builtin_clzll((uint64_t)v);
}

static int bucket_of(const struct sonde_agg *a, int64_t v)
{
	if (a->o.hist == SONDE_AGG_LOG2)
		return log2_bucket(v);
	if (v < a->o.min)
		return 0;
	if (v >= a->o.min + (int64_t)(a->nbuckets - 2) * a->o.step)
		return a->nbuckets - 1;
	return 1 + (v - a->o.min) / a->o.step;
}

int sonde_agg__add_n(struct sonde_agg *a, const struct sonde_agg_key *key,
		     int64_t value, uint64_t n)
{
	struct row *r;

	if (!a || (a->o.nkeys && !key))
		return -EINVAL;
	r = lookup(a, key);
	if (!r && errno == ENOSPC) {
		a->dropped += n;
		return -ENOSPC;
	}
	if (!r)
		return -ENOMEM;
	r->pub.count += n;
	if (a->o.hist == SONDE_AGG_COUNT && !a->o.percentiles)
		return 0;
	r->pub.sum += value * (int64_t)n;
	if (value < r->pub.min)
		r->pub.min = value;
	if (value > r->pub.max)
		r->pub.max = value;
	if (a->nbuckets)
		((uint64_t *)r->pub.buckets)[bucket_of(a, value)] += n;
	if (a->o.percentiles && fine_add(&r->fine, value, n))
		return -ENOMEM;
	return 0;
}

int sonde_agg__add(struct sonde_agg *a, const struct sonde_agg_key *key,
		   int64_t value)
{
	return sonde_agg__add_n(a, key, value, 1);
}

static int key_cmp(const struct sonde_agg_key *a, const struct sonde_agg_key *b,
		   int n)
{
	int i, c;

	for (i = 0; i < n; i++) {
		bool sa = a[i].kind == SONDE_AGG_KEY_STRING;
		bool sb = b[i].kind == SONDE_AGG_KEY_STRING;

		if (sa != sb)
			return sa ? 1 : -1;
		if (sa)
			c = strcmp(a[i].str, b[i].str);
		else if (a[i].kind == SONDE_AGG_KEY_SIGNED)
			c = (int64_t)a[i].num < (int64_t)b[i].num ? -1 :
			    (int64_t)a[i].num > (int64_t)b[i].num;
		else
			c = a[i].num < b[i].num ? -1 : a[i].num > b[i].num;
		if (c)
			return c;
	}
	return 0;
}

static int cmp_rows(const void *x, const void *y, void *ctx)
{
	const struct sonde_agg_row *a = *(const struct sonde_agg_row **)x;
	const struct sonde_agg_row *b = *(const struct sonde_agg_row **)y;
	const struct sonde_agg *g = ctx;
	if (!g->sort_by_key && a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return key_cmp(a->key, b->key, g->o.nkeys);
}

int sonde_agg__rows(struct sonde_agg *a, bool by_key,
		    const struct sonde_agg_row *const **rows)
{
	const struct sonde_agg_row **s;
	size_t i;

	if (!a || !rows)
		return -EINVAL;
	s = realloc(a->sorted, (a->nrows + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	a->sorted = s;
	for (i = 0; i < a->nrows; i++)
		s[i] = &a->rows[i]->pub;
	a->sort_by_key = by_key;
	if (a->nrows > 1)
		qsort_r(s, a->nrows, sizeof(*s), cmp_rows, a);
	*rows = s;
	return a->nrows;
}

uint64_t sonde_agg__dropped(const struct sonde_agg *a)
{
	return a ? a->dropped : 0;
}

void sonde_agg__add_dropped(struct sonde_agg *a, uint64_t n)
{
	if (a)
		a->dropped += n;
}

int sonde_agg__nbuckets(const struct sonde_agg *a)
{
	return a ? a->nbuckets : 0;
}

int sonde_agg__bucket(const struct sonde_agg *a, int i, int64_t *lo,
		      int64_t *hi)
{
	if (!a || i < 0 || i >= a->nbuckets)
		return -EINVAL;
	if (a->o.hist == SONDE_AGG_LOG2) {
		if (i == 0) {
			*lo = INT64_MIN;
			*hi = 0;
		} else if (i == 1) {
			*lo = 0;
			*hi = 1;
		} else {
			*lo = (int64_t)1 << (i - 2);
			*hi = i == LOG2_BUCKETS - 1 ? INT64_MAX : *lo * 2;
		}
		return 0;
	}
	if (i == 0) {
		*lo = INT64_MIN;
		*hi = a->o.min;
	} else if (i == a->nbuckets - 1) {
		*lo = a->o.min + (int64_t)(i - 1) * a->o.step;
		*hi = INT64_MAX;
	} else {
		*lo = a->o.min + (int64_t)(i - 1) * a->o.step;
		*hi = *lo + a->o.step;
	}
	return 0;
}

int64_t sonde_agg__percentile(const struct sonde_agg *a,
			      const struct sonde_agg_row *row, double pct)
{
	const struct row *r = (const struct row *)row;
	uint64_t rank;
	int64_t lo, hi, v;

	if (!a || !r || !r->fine || !row->count)
		return 0;
	rank = (uint64_t)(pct / 100.0 * row->count + 0.999999);
	if (rank < 1)
		rank = 1;
	fine_range(fine_rank(r->fine, rank), &lo, &hi);
	v = lo + (hi - lo) / 2;
	if (v < row->min)
		v = row->min;
	if (v > row->max)
		v = row->max;
	return v;
}
