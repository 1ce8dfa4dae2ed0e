/* SPDX-License-Identifier: MIT */
/*
 * perf_comm.c: a thread's name at a sample's time, from COMM and FORK
 * records and a /proc read, whatever order the records were read in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/perf/perf.h"

#define NOPROC 0x7fff0000 /* a tid with no /proc entry (above pid_max) */

static struct perf_state *st_new(void)
{
	return calloc(1, sizeof(struct perf_state));
}

static uint64_t mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* renames read after the samples they follow: each sample its own name */
static void renames(void **state)
{
	struct perf_state *st = st_new();
	int t = NOPROC;

	(void)state;
	pcomm_renamed(st, t, 100, "comm_change", 16);
	pcomm_renamed(st, t, 300, "cc_renamed\0\0\0\0\0", 16);
	pcomm_renamed(st, t, 900, "cc_last", 8);
	assert_string_equal(pcomm_at(st, t, t, 150), "comm_change");
	assert_string_equal(pcomm_at(st, t, t, 300), "cc_renamed");
	assert_string_equal(pcomm_at(st, t, t, 899), "cc_renamed");
	assert_string_equal(pcomm_at(st, t, t, 1000), "cc_last");
	/* before the first rename: the name before it is not known */
	assert_string_equal(pcomm_at(st, t, t, 50), PCOMM_UNKNOWN);
	free(st);
}

/* records of two CPUs come in any order: the history is in time order */
static void out_of_order(void **state)
{
	struct perf_state *st = st_new();
	int t = NOPROC;

	(void)state;
	pcomm_renamed(st, t, 500, "b", 1);
	pcomm_renamed(st, t, 100, "a", 1);
	pcomm_renamed(st, t, 700, "c", 1);
	assert_string_equal(pcomm_at(st, t, t, 200), "a");
	assert_string_equal(pcomm_at(st, t, t, 600), "b");
	assert_string_equal(pcomm_at(st, t, t, 800), "c");
	free(st);
}

/* a new thread starts with its parent's name at the fork */
static void forks(void **state)
{
	struct perf_state *st = st_new();
	int parent = NOPROC, child = NOPROC - 1;

	(void)state;
	pcomm_renamed(st, parent, 100, "comm_change", 16);
	pcomm_renamed(st, parent, 200, "cc_renamed", 16);
	pcomm_forked(st, parent, child, 300);
	pcomm_renamed(st, child, 400, "cc_thread", 16);
	pcomm_renamed(st, parent, 500, "cc_last", 16);
	assert_string_equal(pcomm_at(st, child, child, 350), "cc_renamed");
	assert_string_equal(pcomm_at(st, child, child, 450), "cc_thread");
	assert_string_equal(pcomm_at(st, parent, parent, 450), "cc_renamed");
	free(st);
}

/* the /proc read: the name at that instant, and before it as long as no
 * rename came first */
static void proc_read(void **state)
{
	struct perf_state *st = st_new();
	int self = (int)getpid();
	uint64_t before = mono(), after;
	char want[16] = "";
	FILE *f = fopen("/proc/self/comm", "r");

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	want[strcspn(want, "\n")] = '\0';
	pcomm_seen(st, self, self);
	after = mono();
	assert_string_equal(pcomm_at(st, self, self, before - 1000), want);
	assert_string_equal(pcomm_at(st, self, self, after), want);
	/* a rename after the read: samples after it have the new name */
	pcomm_renamed(st, self, after + 10, "renamed", 7);
	assert_string_equal(pcomm_at(st, self, self, after + 20), "renamed");
	assert_string_equal(pcomm_at(st, self, self, after), want);
	/* seen again: the history stays */
	pcomm_seen(st, self, self);
	assert_string_equal(pcomm_at(st, self, self, after + 20), "renamed");
	free(st);

	/* a rename stamped before the read: the read gave its name, and a
	 * sample before the rename has an unknown one */
	st = st_new();
	pcomm_renamed(st, self, before - 500, want, strlen(want));
	pcomm_seen(st, self, self); /* has history: not read */
	assert_string_equal(pcomm_at(st, self, self, before - 1000),
			    PCOMM_UNKNOWN);
	free(st);
}

/* a thread never seen and gone: unknown, never another thread's name */
static void unknown(void **state)
{
	struct perf_state *st = st_new();
	int a = NOPROC, b = NOPROC + PCOMMS; /* the same slot */

	(void)state;
	assert_string_equal(pcomm_at(st, a, a, 100), PCOMM_UNKNOWN);
	pcomm_renamed(st, a, 100, "a_name", 6);
	assert_string_equal(pcomm_at(st, b, b, 200), PCOMM_UNKNOWN);
	pcomm_renamed(st, b, 150, "b_name", 6);
	assert_string_equal(pcomm_at(st, b, b, 200), "b_name");
	assert_string_equal(pcomm_at(st, a, a, 200), PCOMM_UNKNOWN);
	free(st);
}

/* more renames than the history holds: the oldest go */
static void full(void **state)
{
	struct perf_state *st = st_new();
	char name[16];
	int t = NOPROC, i;

	(void)state;
	for (i = 0; i < PCOMM_HIST + 3; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		pcomm_renamed(st, t, 100 * (uint64_t)(i + 1), name, strlen(name));
	}
	assert_string_equal(pcomm_at(st, t, t, 100 * (PCOMM_HIST + 3)),
			    "n10");
	assert_string_equal(pcomm_at(st, t, t, 450), "n3");
	assert_string_equal(pcomm_at(st, t, t, 150), PCOMM_UNKNOWN);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renames),	cmocka_unit_test(out_of_order),
		cmocka_unit_test(forks),	cmocka_unit_test(proc_read),
		cmocka_unit_test(unknown),	cmocka_unit_test(full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
