// SPDX-License-Identifier: MIT
/*
 * The aggregation engine (agg.c): log2 and linear buckets at their edges,
 * count tables keyed by tuples, percentiles on known distributions, the
 * interval path (clear, add_n, merged totals), latency pairing per thread
 * with recursion and the calls that never pair. The hist-file parser is in
 * test_hist.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agg/agg.h"

static struct sonde_agg *agg_new(int nkeys, enum sonde_agg_hist hist,
				 int64_t min, int64_t max, int64_t step,
				 bool pct)
{
	struct sonde_agg_opts o = {
		.sz = sizeof(o),
		.nkeys = nkeys,
		.hist = hist,
		.min = min,
		.max = max,
		.step = step,
		.percentiles = pct,
	};
	struct sonde_agg *a = sonde_agg__new(&o);

	assert_non_null(a);
	return a;
}

/* The bucket holding v: the only one with a count, after one add. */
static int bucket_of(struct sonde_agg *a, int64_t v)
{
	const struct sonde_agg_row *const *rows;
	int i, n = sonde_agg__nbuckets(a), found = -1;

	sonde_agg__clear(a);
	assert_int_equal(sonde_agg__add(a, NULL, v), 0);
	assert_int_equal(sonde_agg__rows(a, false, &rows), 1);
	for (i = 0; i < n; i++) {
		if (!rows[0]->buckets[i])
			continue;
		assert_int_equal(found, -1);
		assert_int_equal(rows[0]->buckets[i], 1);
		found = i;
	}
	assert_int_not_equal(found, -1);
	return found;
}

/* v lies in the bounds sonde_agg__bucket() gives for its bucket. */
static void assert_in_bucket(struct sonde_agg *a, int64_t v)
{
	int64_t lo, hi;
	int i = bucket_of(a, v);

	assert_int_equal(sonde_agg__bucket(a, i, &lo, &hi), 0);
	assert_true(lo <= v);
	assert_true(v < hi || hi == INT64_MAX);
}

/* ---- log2 ---- */

static void test_log2_buckets(void **state)
{
	struct sonde_agg *a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, false);
	int64_t lo, hi, v;
	int k;

	(void)state;
	assert_int_equal(sonde_agg__nbuckets(a), 65);
	/* <0, 0, 1, [2,4), [4,8), ... */
	assert_int_equal(bucket_of(a, -1), 0);
	assert_int_equal(bucket_of(a, INT64_MIN), 0);
	assert_int_equal(bucket_of(a, 0), 1);
	assert_int_equal(bucket_of(a, 1), 2);
	assert_int_equal(bucket_of(a, 2), 3);
	assert_int_equal(bucket_of(a, 3), 3);
	assert_int_equal(bucket_of(a, 4), 4);
	assert_int_equal(bucket_of(a, 7), 4);
	assert_int_equal(bucket_of(a, 8), 5);
	assert_int_equal(bucket_of(a, INT64_MAX), 64);
	assert_int_equal(bucket_of(a, (int64_t)1 << 62), 64);
	assert_int_equal(bucket_of(a, ((int64_t)1 << 62) - 1), 63);
	/* every power of two and its neighbours, against the bounds */
	for (k = 0; k < 63; k++) {
		v = (int64_t)1 << k;
		assert_int_equal(bucket_of(a, v), k + 2);
		assert_int_equal(bucket_of(a, v + (v - 1)), k + 2);
		assert_in_bucket(a, v - 1);
		assert_in_bucket(a, v);
		assert_in_bucket(a, -v);
	}
	assert_int_equal(sonde_agg__bucket(a, 0, &lo, &hi), 0);
	assert_true(lo == INT64_MIN && hi == 0);
	assert_int_equal(sonde_agg__bucket(a, 1, &lo, &hi), 0);
	assert_true(lo == 0 && hi == 1);
	assert_int_equal(sonde_agg__bucket(a, 2, &lo, &hi), 0);
	assert_true(lo == 1 && hi == 2);
	assert_int_equal(sonde_agg__bucket(a, 5, &lo, &hi), 0);
	assert_true(lo == 8 && hi == 16);
	assert_int_equal(sonde_agg__bucket(a, 64, &lo, &hi), 0);
	assert_true(lo == (int64_t)1 << 62 && hi == INT64_MAX);
	assert_int_equal(sonde_agg__bucket(a, 65, &lo, &hi), -EINVAL);
	assert_int_equal(sonde_agg__bucket(a, -1, &lo, &hi), -EINVAL);
	sonde_agg__free(a);
}

/* 1..100 as sonde hist prints it (test-hist.sh): 1, 2, 4, 8, 16, 32, 37 */
static void test_log2_counts(void **state)
{
	struct sonde_agg *a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, false);
	static const uint64_t want[] = {0, 0, 1, 2, 4, 8, 16, 32, 37};
	const struct sonde_agg_row *const *rows;
	int64_t v;
	int i;

	(void)state;
	for (v = 1; v <= 100; v++)
		assert_int_equal(sonde_agg__add(a, NULL, v), 0);
	assert_int_equal(sonde_agg__rows(a, false, &rows), 1);
	assert_int_equal(rows[0]->count, 100);
	assert_int_equal(rows[0]->sum, 5050);
	assert_int_equal(rows[0]->min, 1);
	assert_int_equal(rows[0]->max, 100);
	for (i = 0; i < 65; i++)
		assert_int_equal(rows[0]->buckets[i], i < 9 ? want[i] : 0);
	sonde_agg__free(a);
}

/* ---- linear ---- */

static void test_linear_buckets(void **state)
{
	struct sonde_agg *a = agg_new(0, SONDE_AGG_LINEAR, 0, 50, 10, false);
	struct sonde_agg_opts bad = {.sz = sizeof(bad),
				     .hist = SONDE_AGG_LINEAR};
	int64_t lo, hi, v;

	(void)state;
	/* <0, [0,10) .. [40,50), >=50 */
	assert_int_equal(sonde_agg__nbuckets(a), 7);
	assert_int_equal(bucket_of(a, -1), 0);
	assert_int_equal(bucket_of(a, INT64_MIN), 0);
	assert_int_equal(bucket_of(a, 0), 1);
	assert_int_equal(bucket_of(a, 9), 1);
	assert_int_equal(bucket_of(a, 10), 2);
	assert_int_equal(bucket_of(a, 49), 5);
	assert_int_equal(bucket_of(a, 50), 6);
	assert_int_equal(bucket_of(a, INT64_MAX), 6);
	for (v = -30; v < 80; v++)
		assert_in_bucket(a, v);
	assert_int_equal(sonde_agg__bucket(a, 0, &lo, &hi), 0);
	assert_true(lo == INT64_MIN && hi == 0);
	assert_int_equal(sonde_agg__bucket(a, 3, &lo, &hi), 0);
	assert_true(lo == 20 && hi == 30);
	assert_int_equal(sonde_agg__bucket(a, 6, &lo, &hi), 0);
	assert_true(lo == 50 && hi == INT64_MAX);
	assert_int_equal(sonde_agg__bucket(a, 7, &lo, &hi), -EINVAL);
	sonde_agg__free(a);

	/* a negative MIN, and a span that is not a multiple of STEP: the
	 * last inner bucket is whole, [40,50), and the open one starts at 50 */
	a = agg_new(0, SONDE_AGG_LINEAR, -25, 40, 10, false);
	assert_int_equal(sonde_agg__nbuckets(a), 9);
	assert_int_equal(bucket_of(a, -26), 0);
	assert_int_equal(bucket_of(a, -25), 1);
	assert_int_equal(bucket_of(a, -16), 1);
	assert_int_equal(bucket_of(a, -15), 2);
	assert_int_equal(bucket_of(a, 0), 3);
	assert_int_equal(bucket_of(a, 40), 7);
	assert_int_equal(bucket_of(a, 44), 7);
	assert_int_equal(bucket_of(a, 45), 8);
	for (v = -60; v < 90; v++)
		assert_in_bucket(a, v);
	assert_int_equal(sonde_agg__bucket(a, 7, &lo, &hi), 0);
	assert_true(lo == 35 && hi == 45);
	assert_int_equal(sonde_agg__bucket(a, 8, &lo, &hi), 0);
	assert_true(lo == 45 && hi == INT64_MAX);
	sonde_agg__free(a);

	/* step 1: one bucket per value */
	a = agg_new(0, SONDE_AGG_LINEAR, 2, 4, 1, false);
	assert_int_equal(sonde_agg__nbuckets(a), 4);
	assert_int_equal(bucket_of(a, 1), 0);
	assert_int_equal(bucket_of(a, 2), 1);
	assert_int_equal(bucket_of(a, 3), 2);
	assert_int_equal(bucket_of(a, 4), 3);
	sonde_agg__free(a);

	/* refused: no step, MAX <= MIN, too many buckets */
	errno = 0;
	assert_null(sonde_agg__new(&bad));
	assert_int_equal(errno, EINVAL);
	bad.min = 10, bad.max = 10, bad.step = 1;
	assert_null(sonde_agg__new(&bad));
	bad.min = 0, bad.max = 10000000, bad.step = 1;
	assert_null(sonde_agg__new(&bad));
	bad.max = 10, bad.step = -1;
	assert_null(sonde_agg__new(&bad));
	bad.hist = SONDE_AGG_COUNT, bad.nkeys = SONDE_AGG_MAX_KEYS + 1;
	assert_null(sonde_agg__new(&bad));
	bad.nkeys = -1;
	assert_null(sonde_agg__new(&bad));
	assert_null(sonde_agg__new(NULL));
}

/* ---- count tables ---- */

static struct sonde_agg_key num(enum sonde_agg_key_kind kind, uint64_t v)
{
	return (struct sonde_agg_key){.kind = kind, .num = v};
}

static struct sonde_agg_key str(const char *s)
{
	return (struct sonde_agg_key){.kind = SONDE_AGG_KEY_STRING, .str = s};
}

static void add_keyed(struct sonde_agg *a, const char *probe, int64_t arg,
		      const char *comm, uint64_t n)
{
	struct sonde_agg_key k[3] = {
		str(probe),
		num(SONDE_AGG_KEY_SIGNED, (uint64_t)arg),
		str(comm),
	};

	assert_int_equal(sonde_agg__add_n(a, k, 0, n), 0);
}

static void test_count_tuples(void **state)
{
	struct sonde_agg *a = agg_new(3, SONDE_AGG_COUNT, 0, 0, 0, false);
	const struct sonde_agg_row *const *rows;
	char comm[16] = "bash";
	struct sonde_agg_key k[3] = {
		str("add"),
		num(SONDE_AGG_KEY_SIGNED, 7),
		str(comm),
	};
	int i;

	(void)state;
	/* the key's string is copied: the caller's buffer may change */
	assert_int_equal(sonde_agg__add(a, k, 0), 0);
	strcpy(comm, "zsh");
	assert_int_equal(sonde_agg__add(a, k, 0), 0);
	assert_int_equal(sonde_agg__add(a, k, 0), 0);
	add_keyed(a, "add", -3, "bash", 3);
	add_keyed(a, "add", 2, "bash", 1);
	add_keyed(a, "mul3", 7, "bash", 2);
	add_keyed(a, "add", 7, "", 1);

	/* most hits first; ties in key order (probe, signed arg, comm) */
	assert_int_equal(sonde_agg__rows(a, false, &rows), 6);
	assert_string_equal(rows[0]->key[0].str, "add");
	assert_int_equal((int64_t)rows[0]->key[1].num, -3);
	assert_int_equal(rows[0]->count, 3);
	assert_string_equal(rows[1]->key[2].str, "zsh");
	assert_int_equal(rows[1]->count, 2);
	assert_string_equal(rows[2]->key[0].str, "mul3");
	assert_int_equal(rows[2]->count, 2);
	assert_int_equal(rows[3]->key[1].num, 2);
	assert_string_equal(rows[4]->key[2].str, "");
	assert_string_equal(rows[5]->key[2].str, "bash");
	assert_int_equal(rows[5]->key[1].num, 7);
	assert_int_equal(rows[5]->count, 1);
	assert_null(rows[0]->buckets);

	/* by key: signed numbers as signed, strings by bytes */
	assert_int_equal(sonde_agg__rows(a, true, &rows), 6);
	static const char *const order[][3] = {
		{"add", "-3", "bash"}, {"add", "2", "bash"},
		{"add", "7", ""},      {"add", "7", "bash"},
		{"add", "7", "zsh"},   {"mul3", "7", "bash"},
	};
	for (i = 0; i < 6; i++) {
		assert_string_equal(rows[i]->key[0].str, order[i][0]);
		assert_int_equal((int64_t)rows[i]->key[1].num,
				 atoll(order[i][1]));
		assert_string_equal(rows[i]->key[2].str, order[i][2]);
	}
	sonde_agg__free(a);

	/* unsigned keys sort as unsigned: 2^63 after 1 */
	a = agg_new(1, SONDE_AGG_COUNT, 0, 0, 0, false);
	k[0] = num(SONDE_AGG_KEY_UNSIGNED, 1ULL << 63);
	sonde_agg__add(a, k, 0);
	k[0] = num(SONDE_AGG_KEY_HEX, 1);
	sonde_agg__add(a, k, 0);
	assert_int_equal(sonde_agg__rows(a, true, &rows), 2);
	assert_int_equal(rows[0]->key[0].num, 1);
	assert_true(rows[1]->key[0].num == 1ULL << 63);
	assert_int_equal(rows[1]->key[0].kind, SONDE_AGG_KEY_UNSIGNED);
	sonde_agg__free(a);
}

/* Enough keys to grow the table many times; every count survives. */
static void test_count_many(void **state)
{
	struct sonde_agg *a = agg_new(2, SONDE_AGG_COUNT, 0, 0, 0, false);
	const struct sonde_agg_row *const *rows;
	struct sonde_agg_key k[2];
	char name[32];
	int i, n = 20000;

	(void)state;
	for (i = 0; i < 3 * n; i++) {
		snprintf(name, sizeof(name), "k%d", i % n);
		k[0] = str(name);
		k[1] = num(SONDE_AGG_KEY_UNSIGNED, i % n);
		assert_int_equal(sonde_agg__add(a, k, 0), 0);
	}
	k[0] = str("k5");
	k[1] = num(SONDE_AGG_KEY_UNSIGNED, 5);
	assert_int_equal(sonde_agg__add_n(a, k, 0, 100), 0);
	assert_int_equal(sonde_agg__rows(a, true, &rows), n);
	for (i = 0; i < n; i++)
		assert_int_equal(rows[i]->count,
				 rows[i]->key[1].num == 5 ? 103 : 3);
	assert_int_equal(sonde_agg__rows(a, false, &rows), n);
	assert_string_equal(rows[0]->key[0].str, "k5");
	assert_int_equal(rows[1]->key[1].num, 0); /* "k0" < "k1" < ... */
	sonde_agg__free(a);

	/* keyless: one row, NULL key; a keyed table needs a key */
	a = agg_new(0, SONDE_AGG_COUNT, 0, 0, 0, false);
	assert_int_equal(sonde_agg__add_n(a, NULL, 0, 5), 0);
	assert_int_equal(sonde_agg__add(a, NULL, 0), 0);
	assert_int_equal(sonde_agg__rows(a, false, &rows), 1);
	assert_int_equal(rows[0]->count, 6);
	sonde_agg__free(a);
	a = agg_new(1, SONDE_AGG_COUNT, 0, 0, 0, false);
	assert_int_equal(sonde_agg__add(a, NULL, 0), -EINVAL);
	assert_int_equal(sonde_agg__add(NULL, k, 0), -EINVAL);
	assert_int_equal(sonde_agg__rows(a, false, NULL), -EINVAL);
	assert_int_equal(sonde_agg__rows(a, false, &rows), 0);
	sonde_agg__free(a);
	sonde_agg__free(NULL);
	sonde_agg__clear(NULL);
	assert_int_equal(sonde_agg__nbuckets(NULL), 0);
}

/* ---- the -i path: a table per interval, cleared; a total beside ---- */

static void test_interval_clear(void **state)
{
	struct sonde_agg *g = agg_new(1, SONDE_AGG_LOG2, 0, 0, 0, true);
	struct sonde_agg *total = agg_new(1, SONDE_AGG_LOG2, 0, 0, 0, true);
	const struct sonde_agg_row *const *rows;
	struct sonde_agg_key k;
	static const int max1[] = {10, 19, 28};
	uint64_t sum[3] = {0};
	int round, i, v;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (v = 1; v <= 10 * (round + 1); v++) {
			k = num(SONDE_AGG_KEY_UNSIGNED, v % 3);
			assert_int_equal(sonde_agg__add(g, &k, v), 0);
			assert_int_equal(sonde_agg__add(total, &k, v), 0);
			sum[v % 3]++;
		}
		/* this interval's table only */
		assert_int_equal(sonde_agg__rows(g, true, &rows), 3);
		assert_int_equal(rows[0]->count + rows[1]->count +
					 rows[2]->count,
				 10 * (round + 1));
		assert_int_equal(rows[1]->min, 1);
		/* the largest v = 1 (mod 3) up to 10, 20, 30 */
		assert_int_equal(rows[1]->max, max1[round]);
		sonde_agg__clear(g);
		assert_int_equal(sonde_agg__rows(g, false, &rows), 0);
	}
	/* after a clear, rows start again from zero: counts, sums, buckets */
	k = num(SONDE_AGG_KEY_UNSIGNED, 1);
	assert_int_equal(sonde_agg__add(g, &k, 4), 0);
	assert_int_equal(sonde_agg__rows(g, false, &rows), 1);
	assert_int_equal(rows[0]->count, 1);
	assert_int_equal(rows[0]->sum, 4);
	assert_int_equal(rows[0]->min, 4);
	assert_int_equal(rows[0]->max, 4);
	for (i = 0; i < 65; i++)
		assert_int_equal(rows[0]->buckets[i], i == 4);
	assert_int_equal(sonde_agg__percentile(g, rows[0], 50), 4);

	/* the total is the sum of the intervals */
	assert_int_equal(sonde_agg__rows(total, true, &rows), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(rows[i]->count, sum[i]);
	assert_int_equal(rows[0]->count + rows[1]->count + rows[2]->count, 60);
	sonde_agg__free(g);
	sonde_agg__free(total);
}

/* add_n(n) is n adds: counts, sums and buckets alike. */
static void test_add_n(void **state)
{
	struct sonde_agg *x = agg_new(1, SONDE_AGG_LINEAR, 0, 100, 10, true);
	struct sonde_agg *y = agg_new(1, SONDE_AGG_LINEAR, 0, 100, 10, true);
	const struct sonde_agg_row *const *rx, *const *ry;
	struct sonde_agg_key k;
	int v, j, i;

	(void)state;
	for (v = -5; v < 120; v += 7) {
		k = num(SONDE_AGG_KEY_SIGNED, v & 1);
		assert_int_equal(sonde_agg__add_n(x, &k, v, 4), 0);
		for (j = 0; j < 4; j++)
			assert_int_equal(sonde_agg__add(y, &k, v), 0);
	}
	assert_int_equal(sonde_agg__rows(x, true, &rx), 2);
	assert_int_equal(sonde_agg__rows(y, true, &ry), 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rx[i]->count, ry[i]->count);
		assert_int_equal(rx[i]->sum, ry[i]->sum);
		assert_int_equal(rx[i]->min, ry[i]->min);
		assert_int_equal(rx[i]->max, ry[i]->max);
		assert_memory_equal(rx[i]->buckets, ry[i]->buckets,
				    12 * sizeof(uint64_t));
		assert_int_equal(sonde_agg__percentile(x, rx[i], 50),
				 sonde_agg__percentile(y, ry[i], 50));
	}
	sonde_agg__free(x);
	sonde_agg__free(y);
}

/* ---- percentiles ---- */

static void test_percentiles(void **state)
{
	struct sonde_agg *a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, true);
	const struct sonde_agg_row *const *rows;
	int64_t v, p;

	(void)state;
	/* 1..100: values under 64 have a fine bucket each, so the rank's
	 * value is exact there; above, the middle of a 2-wide bucket */
	for (v = 1; v <= 100; v++)
		sonde_agg__add(a, NULL, v);
	sonde_agg__rows(a, false, &rows);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 0), 1);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 1), 1);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 25), 25);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 50), 50);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 63), 63);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 90), 91);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 99), 99);
	/* the top bucket [100,102) is clamped to the maximum */
	assert_int_equal(sonde_agg__percentile(a, rows[0], 100), 100);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 99.5), 100);
	sonde_agg__free(a);

	/* 1000..1999: within 1/32 of 1024 of the true value */
	a = agg_new(0, SONDE_AGG_COUNT, 0, 0, 0, true);
	for (v = 1000; v < 2000; v++)
		sonde_agg__add(a, NULL, v);
	sonde_agg__rows(a, false, &rows);
	for (v = 1; v <= 100; v++) {
		p = sonde_agg__percentile(a, rows[0], v);
		assert_in_range(p, 1000 + 10 * v - 1 - 32,
				1000 + 10 * v - 1 + 32);
	}
	/* the rank's value 1499 is in [1472,1504): its middle */
	assert_int_equal(sonde_agg__percentile(a, rows[0], 50), 1488);
	sonde_agg__free(a);

	/* 90% fast, 10% slow (latencies in ns) */
	a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, true);
	sonde_agg__add_n(a, NULL, 10, 900);
	sonde_agg__add_n(a, NULL, 1000000, 100);
	sonde_agg__rows(a, false, &rows);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 50), 10);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 90), 10);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 90.1), 1000000);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 99), 1000000);
	sonde_agg__free(a);

	/* the largest value: its fine bucket is the last one */
	a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, true);
	sonde_agg__add(a, NULL, INT64_MAX);
	sonde_agg__rows(a, false, &rows);
	assert_true(sonde_agg__percentile(a, rows[0], 50) == INT64_MAX);
	sonde_agg__free(a);

	/* without opts.percentiles, or an empty row: 0 */
	a = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, false);
	sonde_agg__add(a, NULL, 5);
	sonde_agg__rows(a, false, &rows);
	assert_int_equal(sonde_agg__percentile(a, rows[0], 50), 0);
	assert_int_equal(sonde_agg__percentile(NULL, rows[0], 50), 0);
	sonde_agg__free(a);
}

/* ---- latency pairing ---- */

static void test_latency_nested(void **state)
{
	struct sonde_latency *l = sonde_latency__new();
	struct sonde_latency_stats st = {.sz = sizeof(st)};
	uint64_t ns, cookie;
	int d;

	(void)state;
	assert_non_null(l);
	/* fact(5) on thread 100: five entries, then five returns, innermost
	 * first; each return closes the newest open entry */
	for (d = 0; d < 5; d++)
		assert_int_equal(sonde_latency__entry(l, 0, 100, 1000 + d, d),
				 0);
	/* thread 200 in the same function meanwhile, and another function
	 * on thread 100: neither is popped by thread 100's returns */
	assert_int_equal(sonde_latency__entry(l, 0, 200, 1002, 77), 0);
	assert_int_equal(sonde_latency__entry(l, 1, 100, 1003, 88), 0);
	for (d = 4; d >= 0; d--) {
		assert_int_equal(sonde_latency__return(l, 0, 100, 2000 + 4 - d,
						       &ns, &cookie),
				 0);
		assert_int_equal(cookie, d);
		assert_int_equal(ns, (2000 + 4 - d) - (1000 + d));
	}
	assert_int_equal(sonde_latency__return(l, 0, 200, 1502, &ns, &cookie),
			 0);
	assert_int_equal(ns, 500);
	assert_int_equal(cookie, 77);
	assert_int_equal(sonde_latency__return(l, 1, 100, 1013, &ns, NULL), 0);
	assert_int_equal(ns, 10);

	assert_int_equal(sonde_latency__stats(l, 0, &st), 0);
	assert_int_equal(st.paired, 6);
	assert_int_equal(st.orphan_returns, 0);
	assert_int_equal(st.open_entries, 0);
	assert_int_equal(sonde_latency__stats(l, 1, &st), 0);
	assert_int_equal(st.paired, 1);
	/* a function never seen */
	assert_int_equal(sonde_latency__stats(l, 9, &st), 0);
	assert_int_equal(st.paired + st.orphan_returns + st.open_entries, 0);

	/* a clock step back never gives a huge duration */
	assert_int_equal(sonde_latency__entry(l, 0, 100, 5000, 0), 0);
	assert_int_equal(sonde_latency__return(l, 0, 100, 4000, &ns, NULL), 0);
	assert_int_equal(ns, 0);
	sonde_latency__free(l);
}

/*
 * A return without entry (the probe came up mid-call) and an entry without
 * return (still running at the end) are counted apart; only pairs reach
 * the histogram, as sonde latency feeds it.
 */
static void test_latency_unpaired(void **state)
{
	struct sonde_latency *l = sonde_latency__new();
	struct sonde_latency_stats st = {.sz = sizeof(st)};
	struct sonde_agg *h = agg_new(0, SONDE_AGG_LOG2, 0, 0, 0, true);
	const struct sonde_agg_row *const *rows;
	uint64_t ns = 12345, cookie = 6789;
	int i;

	(void)state;
	assert_int_equal(sonde_latency__return(l, 0, 7, 10, &ns, &cookie),
			 -ENOENT);
	assert_int_equal(ns, 12345);
	assert_int_equal(cookie, 6789);
	/* 3 paired calls of 100 ns, then 2 more returns than entries */
	for (i = 0; i < 3; i++) {
		sonde_latency__entry(l, 0, 7, 1000 * i, 0);
		assert_int_equal(sonde_latency__return(l, 0, 7, 1000 * i + 100,
						       &ns, NULL),
				 0);
		assert_int_equal(sonde_agg__add(h, NULL, ns), 0);
	}
	assert_int_equal(sonde_latency__return(l, 0, 7, 9000, &ns, NULL),
			 -ENOENT);
	/* entries of another thread, never returned */
	sonde_latency__entry(l, 0, 8, 100, 0);
	sonde_latency__entry(l, 0, 8, 200, 0);
	sonde_latency__entry(l, 0, 9, 300, 0);
	/* a return on thread 8 closes its newest entry only */
	assert_int_equal(sonde_latency__return(l, 0, 8, 260, &ns, NULL), 0);
	assert_int_equal(ns, 60);
	assert_int_equal(sonde_agg__add(h, NULL, ns), 0);

	assert_int_equal(sonde_latency__stats(l, 0, &st), 0);
	assert_int_equal(st.paired, 4);
	assert_int_equal(st.orphan_returns, 2);
	assert_int_equal(st.open_entries, 2);
	assert_int_equal(sonde_agg__rows(h, false, &rows), 1);
	assert_int_equal(rows[0]->count, st.paired);
	assert_int_equal(rows[0]->max, 100);
	assert_int_equal(rows[0]->buckets[8], 3); /* [64,128) */
	assert_int_equal(rows[0]->buckets[7], 1); /* [32,64) */

	/* an older, smaller stats struct gets its fields only */
	struct {
		size_t sz;
		uint64_t paired;
	} old = {.sz = sizeof(old)};
	assert_int_equal(
		sonde_latency__stats(l, 0, (struct sonde_latency_stats *)&old),
		0);
	assert_int_equal(old.paired, 4);

	/* bad arguments */
	assert_int_equal(sonde_latency__entry(l, 0, 0, 1, 0), -EINVAL);
	assert_int_equal(sonde_latency__entry(l, -1, 5, 1, 0), -EINVAL);
	assert_int_equal(sonde_latency__entry(NULL, 0, 5, 1, 0), -EINVAL);
	assert_int_equal(sonde_latency__return(l, 0, -3, 1, &ns, NULL),
			 -EINVAL);
	assert_int_equal(sonde_latency__stats(l, -1, &st), -EINVAL);
	sonde_agg__free(h);
	sonde_latency__free(l);
	sonde_latency__free(NULL);
}

/* Thousands of threads with calls open at once (the table grows). */
static void test_latency_threads(void **state)
{
	struct sonde_latency *l = sonde_latency__new();
	struct sonde_latency_stats st = {.sz = sizeof(st)};
	uint64_t ns, cookie;
	int tid, fn;

	(void)state;
	for (tid = 1; tid <= 3000; tid++)
		for (fn = 0; fn < 2; fn++)
			assert_int_equal(sonde_latency__entry(l, fn, tid, tid,
							      tid * 2 + fn),
					 0);
	for (tid = 3000; tid >= 1; tid--) {
		assert_int_equal(sonde_latency__return(l, 1, tid, 10 * tid, &ns,
						       &cookie),
				 0);
		assert_int_equal(ns, 9 * tid);
		assert_int_equal(cookie, tid * 2 + 1);
	}
	assert_int_equal(sonde_latency__stats(l, 0, &st), 0);
	assert_int_equal(st.open_entries, 3000);
	assert_int_equal(st.paired, 0);
	assert_int_equal(sonde_latency__stats(l, 1, &st), 0);
	assert_int_equal(st.open_entries, 0);
	assert_int_equal(st.paired, 3000);
	sonde_latency__free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_buckets),
		cmocka_unit_test(test_log2_counts),
		cmocka_unit_test(test_linear_buckets),
		cmocka_unit_test(test_count_tuples),
		cmocka_unit_test(test_count_many),
		cmocka_unit_test(test_interval_clear),
		cmocka_unit_test(test_add_n),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_latency_nested),
		cmocka_unit_test(test_latency_unpaired),
		cmocka_unit_test(test_latency_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
