/* SPDX-License-Identifier: MIT */
/* libsonde's aggregation engine (agg.c), the latency pairing (agg.c) and
 * the in-kernel counting paths (pmu_counter.c): the API is in sonde.h under
 * "Aggregations"; this header holds what they share privately. */
#ifndef SONDE_AGG_H
#define SONDE_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include <sonde/sonde.h>

/* agg_percentile.c: a row's fine histogram for percentiles, allocated as it
 * fills (NULL is empty) */
#define FINE_BUCKETS (32 + (63 - 5) * 32)
struct fine;
int fine_bucket(int64_t v);
void fine_range(int i, int64_t *lo, int64_t *hi);
int fine_add(struct fine **f, int64_t v, uint64_t n);
/* the bucket where the count of values so far reaches rank */
int fine_rank(const struct fine *f, uint64_t rank);
void fine_free(struct fine *f);

#endif
