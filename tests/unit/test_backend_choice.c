// SPDX-License-Identifier: MIT
/*
 * backend_choice.c: the session asks the backends, never compares them.
 * The backend --backend names is taken (and told so) without asking any
 * other; for auto, each backend of the table is asked at each step in
 * turn and the first that takes the session has it, the table's first
 * when none does. Then the real table: each --backend value names its
 * backend, and a user probe with stacks and a trigger is not the perf
 * backend's (it cannot set a trigger) whether or not this is root.
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

#define FIXTURE FIXTURE_DIR "/fixture_pie"

/* What the fake backends were asked, in order: "name:step" and
 * "name:chosen". */
static char asked[512];
/* Which (backend, step) answers yes: the fake's name and a step. */
static const char *yes_name;
static int yes_step = -1;

static void note(const char *name, const char *what)
{
	size_t n = strlen(asked);

	snprintf(asked + n, sizeof(asked) - n, "%s%s:%s", n ? " " : "", name,
		 what);
}

#define FAKE(N)                                                                \
	static bool fits_##N(const struct sonde_session *s,                    \
			     enum backend_step step, char *why, size_t len)    \
	{                                                                      \
		char st[8];                                                    \
                                                                               \
		(void)s;                                                       \
		snprintf(st, sizeof(st), "%d", (int)step);                     \
		note(#N, st);                                                  \
		snprintf(why, len, "%s says no", #N);                          \
		return yes_name && !strcmp(yes_name, #N) &&                    \
		       (int)step == yes_step;                                  \
	}
#define CHOSEN(N)                                                              \
	static void chosen_##N(const struct sonde_session *s)                  \
	{                                                                      \
		(void)s;                                                       \
		note(#N, "chosen");                                            \
	}
FAKE(a)
FAKE(b)
FAKE(c)
CHOSEN(a)
CHOSEN(b)

static const struct backend fake_a = {
	.name = "a",
	.id = SONDE_BACKEND_TRACEFS,
	.fits = fits_a,
	.chosen = chosen_a,
};
static const struct backend fake_b = {
	.name = "b",
	.id = SONDE_BACKEND_PERF,
	.fits = fits_b,
	.chosen = chosen_b,
};
static const struct backend fake_c = {
	.name = "c",
	.id = SONDE_BACKEND_BPF,
	.fits = fits_c, /* no chosen: nothing to warn of */
};
static const struct backend *const fakes[] = {&fake_a, &fake_b, &fake_c};

static struct sonde_session *open_with(enum sonde_backend be, bool stack)
{
	struct sonde_session_opts o = {
		.sz = sizeof(o),
		.backend = be,
		.stack = stack,
	};
	struct sonde_session *s = sonde_session__open(&o);

	assert_non_null(s);
	asked[0] = '\0';
	return s;
}

/* --backend names one: that one, told so, and nobody is asked to fit */
static void test_named(void **state)
{
	struct sonde_session *s;

	(void)state;
	yes_name = "a"; /* would take auto at once: not asked */
	yes_step = BACKEND_STEP_STACKS;
	s = open_with(SONDE_BACKEND_PERF, false);
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_b);
	assert_string_equal(asked, "b:chosen");
	sonde_session__close(s);

	s = open_with(SONDE_BACKEND_BPF, false);
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_c);
	assert_string_equal(asked, "");
	sonde_session__close(s);
}

/* auto: step by step, each backend in the table's order, until one
 * takes it; nobody after it is asked */
static void test_auto_first_that_fits(void **state)
{
	struct sonde_session *s = open_with(SONDE_BACKEND_AUTO, false);

	(void)state;
	yes_name = "b";
	yes_step = BACKEND_STEP_MANY;
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_b);
	assert_string_equal(asked, "a:0 b:0 c:0 a:1 b:1");

	asked[0] = '\0';
	yes_name = "c";
	yes_step = BACKEND_STEP_STACKS;
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_c);
	assert_string_equal(asked, "a:0 b:0 c:0");

	asked[0] = '\0';
	yes_name = "a";
	yes_step = BACKEND_STEP_ANY;
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_a);
	assert_string_equal(asked, "a:0 b:0 c:0 a:1 b:1 c:1 a:2 b:2 c:2 a:3");
	sonde_session__close(s);
}

/* auto and nobody fits: every backend asked at every step, then the
 * table's first (whose start says what is missing) */
static void test_auto_none_fits(void **state)
{
	struct sonde_session *s = open_with(SONDE_BACKEND_AUTO, false);
	static const struct backend *const bc[] = {&fake_b, &fake_c};

	(void)state;
	yes_name = NULL;
	assert_ptr_equal(backend_choose(s, fakes, 3), &fake_a);
	assert_string_equal(asked, "a:0 b:0 c:0 a:1 b:1 c:1 a:2 b:2 c:2 "
				   "a:3 b:3 c:3");
	asked[0] = '\0';
	assert_ptr_equal(backend_choose(s, bc, 2), &fake_b);
	assert_string_equal(asked, "b:0 c:0 b:1 c:1 b:2 c:2 b:3 c:3");
	sonde_session__close(s);
}

/* the real table: each --backend value names its own backend */
static void test_table_names(void **state)
{
	static const struct {
		enum sonde_backend id;
		const char *name;
	} want[] = {
		{SONDE_BACKEND_TRACEFS, "tracefs"},
		{SONDE_BACKEND_PERF, "perf"},
		{SONDE_BACKEND_BPF, "bpf"},
	};
	struct sonde_session *s;
	size_t i;

	(void)state;
	assert_int_equal(sonde_nbackends, 3);
	assert_string_equal(sonde_backends[0]->name, "tracefs");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		s = open_with(want[i].id, false);
		assert_string_equal(
			backend_choose(s, sonde_backends, sonde_nbackends)
				->name,
			want[i].name);
		sonde_session__close(s);
	}
	/* every backend answers what the session and decoding ask */
	s = open_with(SONDE_BACKEND_AUTO, false);
	for (i = 0; i < (size_t)sonde_nbackends; i++) {
		assert_non_null(sonde_backends[i]->fits);
		assert_non_null(sonde_backends[i]->start);
		assert_non_null(sonde_backends[i]->stop);
		assert_non_null(sonde_backends[i]->poll);
		assert_non_null(sonde_backends[i]->drain);
		assert_non_null(sonde_backends[i]->max_record);
		/* before start, no backend's state: still a bound */
		assert_true(sonde_backends[i]->max_record(s) >= 4096);
	}
	sonde_session__close(s);
}

static char logged[2048];

static void log_cb(enum sonde_log_level lvl, const char *msg, void *ctx)
{
	size_t n = strlen(logged);

	(void)ctx;
	snprintf(logged + n, sizeof(logged) - n, "%d %s\n", (int)lvl, msg);
}

/* stacks on a user probe with a trigger: the perf backend cannot set a
 * trigger, and says why (as root) or that it needs root; not perf */
static void test_auto_stack_trigger(void **state)
{
	struct sonde_session_opts o = {
		.sz = sizeof(o),
		.stack = true,
		.log = log_cb,
	};
	struct sonde_probe_opts po = {.sz = sizeof(po),
				      .trigger = "stacktrace"};
	const struct backend *be;
	struct sonde_session *s = sonde_session__open(&o);

	(void)state;
	assert_non_null(s);
	if (sonde_session__add_probe(s, "u:" FIXTURE ":add", &po) != 0)
		fail_msg("%s", sonde_session__errmsg(s));
	logged[0] = '\0';
	be = backend_choose(s, sonde_backends, sonde_nbackends);
	assert_non_null(be);
	assert_string_not_equal(be->name, "perf");
	assert_non_null(strstr(logged, "2 stacks, not the perf backend: "));
	assert_true(strstr(logged, "has a trigger") ||
		    strstr(logged, "needs CAP_SYS_ADMIN"));
	sonde_session__close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_auto_first_that_fits),
		cmocka_unit_test(test_auto_none_fits),
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_auto_stack_trigger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
