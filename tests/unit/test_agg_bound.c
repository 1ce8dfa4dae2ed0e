// SPDX-License-Identifier: MIT
/*
 * The bounds of per-key state: a table made with max_rows keeps its first
 * max_rows keys and counts the hits of the others as dropped; the sparse
 * percentile histogram gives the same percentiles as the sorted values
 * (the reference) within its 1/32 of a power of two, before and after it
 * turns dense; latency pairing removes a thread's stack on its last
 * return (pairs stay right when slots move) and forgets the entries of
 * ended threads only once their events were all paired.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agg/agg.h"

static struct sonde_agg *agg_new(size_t max_rows, bool pct)
{
	struct sonde_agg_opts o = {
		.sz = sizeof(o),
		.nkeys = 1,
		.hist = pct ? SONDE_AGG_LOG2 : SONDE_AGG_COUNT,
		.percentiles = pct,
		.max_rows = max_rows,
	};
	struct sonde_agg *a = sonde_agg__new(&o);

	assert_non_null(a);
	return a;
}

static int add(struct sonde_agg *a, uint64_t k, int64_t v)
{
	struct sonde_agg_key key = {.kind = SONDE_AGG_KEY_UNSIGNED, .num = k};

	return sonde_agg__add(a, &key, v);
}

static void test_max_rows(void **state)
{
	const struct sonde_agg_row *const *rows;
	struct sonde_agg *a = agg_new(4, false);
	uint64_t k;
	int i, n;

	(void)state;
	/* keys 0..9, three hits each, in order: 0..3 kept */
	for (i = 0; i < 3; i++)
		for (k = 0; k < 10; k++)
			assert_int_equal(add(a, k, 0), k < 4 ? 0 : -ENOSPC);
	assert_int_equal(sonde_agg__dropped(a), 6 * 3);
	n = sonde_agg__rows(a, true, &rows);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(rows[i]->key[0].num, i);
		assert_int_equal(rows[i]->count, 3);
	}
	/* add_n of a new key drops all n; noted drops add up */
	struct sonde_agg_key key = {.kind = SONDE_AGG_KEY_UNSIGNED, .num = 99};
	assert_int_equal(sonde_agg__add_n(a, &key, 0, 7), -ENOSPC);
	sonde_agg__add_dropped(a, 5);
	assert_int_equal(sonde_agg__dropped(a), 18 + 7 + 5);
	/* a cleared table starts afresh */
	sonde_agg__clear(a);
	assert_int_equal(sonde_agg__dropped(a), 0);
	assert_int_equal(add(a, 42, 0), 0);
	sonde_agg__free(a);

	/* 0: no limit */
	a = agg_new(0, false);
	for (k = 0; k < 20000; k++)
		assert_int_equal(add(a, k, 0), 0);
	assert_int_equal(sonde_agg__rows(a, false, &rows), 20000);
	assert_int_equal(sonde_agg__dropped(a), 0);
	sonde_agg__free(a);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* percentiles against the sorted values: the value of rank
 * ceil(pct/100 * n), within 1/32 of its power of two (the fine bucket) */
static void check_pcts(struct sonde_agg *a, int64_t *vals, int n)
{
	static const double pcts[] = {1, 10, 50, 90, 99, 100};
	const struct sonde_agg_row *const *rows;
	size_t i;

	assert_int_equal(sonde_agg__rows(a, false, &rows), 1);
	qsort(vals, n, sizeof(*vals), cmp_i64);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t rank = (uint64_t)(pcts[i] / 100.0 * n + 0.999999);
		int64_t want = vals[(rank ? rank : 1) - 1];
		int64_t got = sonde_agg__percentile(a, rows[0], pcts[i]);
		int64_t tol = want < 32 ? 1 : want / 32 + 1;

		if (got < want - tol || got > want + tol)
			fail_msg("p%g: got %lld, want %lld (+-%lld)", pcts[i],
				 (long long)got, (long long)want,
				 (long long)tol);
	}
}

static void test_sparse_percentiles(void **state)
{
	int64_t vals[60000];
	struct sonde_agg *a;
	int i;

	(void)state;
	/* few distinct buckets: stays sparse */
	a = agg_new(0, true);
	for (i = 0; i < 1000; i++) {
		vals[i] = 1000 + (i % 7) * 100;
		add(a, 1, vals[i]);
	}
	check_pcts(a, vals, 1000);
	sonde_agg__free(a);
	/* values over 2^0..2^40: hundreds of buckets, turns dense */
	a = agg_new(0, true);
	srand(12);
	for (i = 0; i < 60000; i++) {
		vals[i] = (int64_t)rand() >> (rand() % 31);
		vals[i] <<= rand() % 10;
		add(a, 1, vals[i]);
	}
	check_pcts(a, vals, 60000);
	sonde_agg__free(a);
}

static void test_latency_slots(void **state)
{
	struct sonde_latency_stats st = {.sz = sizeof(st)};
	struct sonde_latency *l = sonde_latency__new();
	uint64_t ns, cookie;
	int tid, round;

	(void)state;
	assert_non_null(l);
	/* 3000 threads open two nested calls, then return in another
	 * order than they came: every return finds its own entries */
	for (round = 0; round < 2; round++) {
		for (tid = 1; tid <= 3000; tid++) {
			sonde_latency__entry(l, 0, tid, 1000 * tid, tid);
			sonde_latency__entry(l, 0, tid, 1000 * tid + 1,
					     tid + 100000);
		}
		for (tid = 3000; tid >= 1; tid -= 2) {
			assert_int_equal(sonde_latency__return(l, 0, tid,
							       1000 * tid + 11,
							       &ns, &cookie),
					 0);
			assert_int_equal(ns, 10);
			assert_int_equal(cookie, tid + 100000);
		}
		/* all: even ones close their outer call, odd their inner */
		for (tid = 1; tid <= 3000; tid++) {
			assert_int_equal(sonde_latency__return(l, 0, tid,
							       1000 * tid + 20,
							       &ns, &cookie),
					 0);
			assert_int_equal(cookie, tid % 2 ? tid + 100000 : tid);
			assert_int_equal(ns, tid % 2 ? 19 : 20);
		}
		for (tid = 1; tid <= 3000; tid += 2) {
			assert_int_equal(sonde_latency__return(l, 0, tid,
							       1000 * tid + 30,
							       &ns, &cookie),
					 0);
			assert_int_equal(cookie, tid);
		}
	}
	sonde_latency__stats(l, 0, &st);
	assert_int_equal(st.paired, 4 * 3000);
	assert_int_equal(st.open_entries, 0);
	assert_int_equal(st.orphan_returns, 0);
	sonde_latency__free(l);
}

static void test_latency_forget(void **state)
{
	struct sonde_latency_stats st = {.sz = sizeof(st)};
	char dir[] = "/tmp/sonde-proc.XXXXXX", path[128];
	struct sonde_latency *l = sonde_latency__new();
	uint64_t ns;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* thread 100 runs, 300 is a zombie, 200 is gone */
	snprintf(path, sizeof(path), "%s/100", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/100/stat", dir);
	f = fopen(path, "w");
	fputs("100 (a) b) S 1 100 100 0\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/300", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/300/stat", dir);
	f = fopen(path, "w");
	fputs("300 (z) Z 1 300 300 0\n", f);
	fclose(f);
	setenv("SONDE_PROC_ROOT", dir, 1);

	sonde_latency__entry(l, 0, 100, 10, 0);
	sonde_latency__entry(l, 0, 200, 10, 0);
	sonde_latency__entry(l, 0, 200, 11, 0);
	sonde_latency__entry(l, 0, 300, 10, 0);
	/* seen gone now: their returns may still come (not paired yet) */
	assert_int_equal(sonde_latency__forget_exited(l, 0), 0);
	/* every event up to now paired: 200's and 300's entries go */
	assert_int_equal(sonde_latency__forget_exited(l, UINT64_MAX), 3);
	sonde_latency__stats(l, 0, &st);
	assert_int_equal(st.open_entries, 4);
	assert_int_equal(st.exited_entries, 3);
	/* the running thread still pairs; the forgotten one cannot */
	assert_int_equal(sonde_latency__return(l, 0, 100, 15, &ns, NULL), 0);
	assert_int_equal(ns, 5);
	assert_int_equal(sonde_latency__return(l, 0, 200, 15, &ns, NULL),
			 -ENOENT);
	unsetenv("SONDE_PROC_ROOT");
	snprintf(path, sizeof(path), "%s/100/stat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/300/stat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/100", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/300", dir);
	rmdir(path);
	rmdir(dir);
	sonde_latency__free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_rows),
		cmocka_unit_test(test_sparse_percentiles),
		cmocka_unit_test(test_latency_slots),
		cmocka_unit_test(test_latency_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
