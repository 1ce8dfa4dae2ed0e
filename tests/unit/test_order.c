// SPDX-License-Identifier: MIT
/*
 * order.c's queue: records of several CPUs handed over in time order,
 * the recent ones held back, stack records joined to their event, a stop
 * that keeps what was not handed over; fault.c's hidden fields: the
 * pointers of each dereference chain, innermost first, for user probes.
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

#include "internal.h"
#include "decode/order.h"

struct got {
	uint64_t ts[64];
	int cpu[64];
	char aux[64][16];
	int n;
	uint64_t last;
	int stop_at; /* stop (return 1) at this record, or -1 */
};

static int take(const struct oq_item *it, const uint8_t *rec,
		const uint8_t *aux, void *ctx)
{
	struct got *g = ctx;
	uint64_t v;

	memcpy(&v, rec, 8);
	assert_int_equal(v, it->ts); /* the record is the one pushed */
	/* the order: each time at least the one before */
	if (g->n)
		assert_true(it->ts >= g->last);
	g->last = it->ts;
	if (g->n < 64) {
		g->ts[g->n] = it->ts;
		g->cpu[g->n] = it->cpu;
		snprintf(g->aux[g->n], sizeof(g->aux[0]), "%.*s",
			 (int)it->aux_len, aux ? (const char *)aux : "");
	}
	return ++g->n == g->stop_at;
}

static void push(struct oqueue *q, uint64_t ts, int cpu)
{
	assert_int_equal(oq_push(q, ts, cpu, &ts, sizeof(ts), 0), 0);
}

static void test_merge_and_hold(void **state)
{
	struct oqueue q = {0};
	struct got g = {.stop_at = -1};
	int i;

	(void)state;
	/* cpu 0 read first, then cpu 1: as a reader reads them */
	push(&q, 10, 0);
	push(&q, 30, 0);
	push(&q, 50, 0);
	push(&q, 20, 1);
	push(&q, 40, 1);
	push(&q, 60, 1);
	assert_int_equal(oq_flush(&q, 45, take, &g), 0);
	assert_int_equal(g.n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(g.ts[i], 10 * (i + 1));
	assert_int_equal(q.n, 2); /* 50 and 60 held back */
	push(&q, 55, 0);
	assert_int_equal(oq_flush(&q, UINT64_MAX, take, &g), 0);
	assert_int_equal(g.n, 7);
	assert_int_equal(g.ts[4], 50);
	assert_int_equal(g.ts[5], 55);
	assert_int_equal(g.ts[6], 60);
	assert_int_equal(q.late, 0);
	assert_true(oq_empty(&q));
	/* a record older than what went out is late: counted, still given */
	push(&q, 5, 1);
	assert_int_equal(q.late, 1);
	g.n = 0;
	assert_int_equal(oq_flush(&q, UINT64_MAX, take, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ts[0], 5);
	oq_free(&q);
}

static void test_equal_times_keep_arrival(void **state)
{
	struct oqueue q = {0};
	struct got g = {.stop_at = -1};

	(void)state;
	push(&q, 7, 1);
	push(&q, 7, 0);
	push(&q, 3, 1);
	assert_int_equal(oq_flush(&q, UINT64_MAX, take, &g), 0);
	assert_int_equal(g.ts[0], 3);
	assert_int_equal(g.cpu[1], 1);
	assert_int_equal(g.cpu[2], 0);
	oq_free(&q);
}

static void test_attach_and_stop(void **state)
{
	struct oqueue q = {0};
	struct got g = {.stop_at = 2};
	int i;

	(void)state;
	push(&q, 1, 0);
	assert_int_equal(oq_attach(&q, 0, "stack0", 6, 1), 1);
	assert_int_equal(oq_attach(&q, 0, "again", 5, 1), 0); /* has one */
	assert_int_equal(oq_attach(&q, 3, "none", 4, 1), 0);  /* no event */
	push(&q, 2, 1);
	push(&q, 3, 0);
	push(&q, 4, 1);
	assert_int_equal(oq_attach(&q, 1, "stack4", 6, 1), 1);
	/* a record not queued came between: its stack is not theirs */
	oq_close_attach(&q, 0);
	assert_int_equal(oq_attach(&q, 0, "other", 5, 1), 0);
	/* the callback stops at the second: the rest stays, in order */
	assert_int_equal(oq_flush(&q, UINT64_MAX, take, &g), 1);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.aux[0], "stack0");
	assert_int_equal(q.n, 2);
	g.stop_at = -1;
	/* many rounds: the arena is compacted, records stay whole */
	for (i = 0; i < 5000; i++)
		push(&q, 100 + i, i & 1);
	assert_int_equal(oq_flush(&q, 2600, take, &g), 0);
	g.n = 0;
	assert_int_equal(oq_flush(&q, UINT64_MAX, take, &g), 0);
	assert_int_equal(g.ts[0], 2601);
	oq_free(&q);
}

static void test_hidden_fields(void **state)
{
	struct probe p = {0};
	struct lib_error err = {0};
	char *def = strdup("p:g/e /bin/true:0x10");
	size_t len = strlen(def);

	(void)state;
	assert_int_equal(spec_parse("u:/bin/true:0x10 a=+8(+16(%di)):s32 "
				    "s=+0(%si):string t=+0(+8(%dx)):string "
				    "r=%cx:u64 n=-4(%bp):s8",
				    &p.spec, &err),
			 0);
	assert_int_equal(fault_hidden_args(&p, &def, &len), 0);
	/* a: two pointers; s: a string's own fault is in its record; t: the
	 * pointer before the string's; r: no read; n: its base */
	assert_string_equal(def, "p:g/e /bin/true:0x10"
				 " __sonde_p0_0=%di:x64"
				 " __sonde_p0_1=+16(%di):x64"
				 " __sonde_p2_0=%dx:x64"
				 " __sonde_p2_1=+8(%dx):x64"
				 " __sonde_p4_0=%bp:x64"
				 /* and the comm at the hit, last */
				 " __sonde_pcomm=$comm");
	free(def);
	spec_free(&p.spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_hold),
		cmocka_unit_test(test_equal_times_keep_arrival),
		cmocka_unit_test(test_attach_and_stop),
		cmocka_unit_test(test_hidden_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
