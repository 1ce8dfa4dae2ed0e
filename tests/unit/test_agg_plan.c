/* SPDX-License-Identifier: MIT */
/*
 * The aggregation policy (sonde_agg__plan()) without root: the machine's
 * features are given, so each situation is tested whatever this kernel
 * has. The expected paths are those sonde(1) describes for count and
 * hist ("The hits are counted in the kernel where it can be done: without
 * keys, by a PMU counter per probe ..., else in a BPF map ...; with keys,
 * in a BPF map, else in a hist trigger (CONFIG_HIST_TRIGGERS; keys tid,
 * cpu and fields, without -i); otherwise the events are streamed and
 * counted by sonde. --in-user always streams ...; --backend bpf insists
 * on BPF and fails with the reason when it cannot"), in the order the
 * command tried them before the policy was the library's (count's
 * prepare() and setup(), agg_kernel_open()). A field read through a
 * pointer is known from the probes' definitions: those cases add probes
 * to a session that is never started (memory only).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sonde/sonde.h>

#define FIXTURE FIXTURE_DIR "/fixture_pie"

#define USER SONDE_AGG_PATH_USER
#define PMU SONDE_AGG_PATH_PMU_COUNTER
#define BPF SONDE_AGG_PATH_BPF
#define HIST SONDE_AGG_PATH_HIST_TRIGGER
#define END -1

/* A kernel with everything, one with nothing of what aggregation uses,
 * and the two halves. */
static const struct sonde_features all = {
	.sz = sizeof(all),
	.hist_triggers = true,
	.bpf = true,
	.bpf_uprobe_multi = true,
};
static const struct sonde_features none = {.sz = sizeof(none)};
static const struct sonde_features hist_only = {
	.sz = sizeof(hist_only),
	.hist_triggers = true,
};
static const struct sonde_features multi_only = {
	.sz = sizeof(multi_only),
	.bpf = true,
	.bpf_uprobe_multi = true,
};

static struct sonde_agg_plan_opts opts(enum sonde_agg_kind kind,
				       const struct sonde_features *f)
{
	struct sonde_agg_plan_opts o = {
		.sz = sizeof(o),
		.kind = kind,
		.features = f,
	};

	return o;
}

static void key(struct sonde_agg_plan_opts *o, enum sonde_bpf_src src,
		const char *arg)
{
	o->keys[o->nkeys].src = src;
	o->keys[o->nkeys].arg = arg;
	o->nkeys++;
}

/* The plan's paths are exactly the list ending in END. */
static void expect_paths(const struct sonde_session *s,
			 const struct sonde_agg_plan_opts *o,
			 struct sonde_agg_plan *p, ...)
{
	va_list ap;
	int i = 0, want;

	memset(p, 0, sizeof(*p));
	p->sz = sizeof(*p);
	assert_int_equal(sonde_agg__plan(s, o, p), 0);
	va_start(ap, p);
	while ((want = va_arg(ap, int)) != END) {
		assert_true(i < p->npaths);
		assert_int_equal(p->paths[i], want);
		i++;
	}
	va_end(ap);
	assert_int_equal(p->npaths, i);
}

/* Keyless count: a PMU counter first (nothing runs per hit), BPF where
 * uprobe_multi links exist when no counter can, else the events. */
static void count_keyless(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;

	(void)state;
	expect_paths(NULL, &o, &p, PMU, BPF, USER, END);
	assert_string_equal(p.hist, ""); /* no keys: no hist trigger */
	assert_string_equal(p.reason, "");
	o.features = &hist_only;
	expect_paths(NULL, &o, &p, PMU, USER, END);
	o.features = &none;
	expect_paths(NULL, &o, &p, PMU, USER, END);
	/* perf: counters are perf events; no BPF fallback */
	o.features = &all;
	o.backend = SONDE_BACKEND_PERF;
	expect_paths(NULL, &o, &p, PMU, USER, END);
	/* a filter does not change the plan (the counter refuses it) */
	o.backend = SONDE_BACKEND_AUTO;
	o.filter = "a > 1";
	expect_paths(NULL, &o, &p, PMU, BPF, USER, END);
	/* -i reads the counters' growth: the same paths */
	o.interval = true;
	expect_paths(NULL, &o, &p, PMU, BPF, USER, END);
}

/* --backend tracefs and --in-user stream; --backend bpf insists. */
static void count_keyless_backends(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;

	(void)state;
	o.backend = SONDE_BACKEND_TRACEFS;
	expect_paths(NULL, &o, &p, USER, END);
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(NULL, &o, &p, BPF, END);
	/* asked for: tried even where the features say no (its failure is
	 * the reason printed) */
	o.features = &none;
	expect_paths(NULL, &o, &p, BPF, END);
	o.in_user = true;
	expect_paths(NULL, &o, &p, USER, END);
	o.backend = SONDE_BACKEND_AUTO;
	o.features = &all;
	expect_paths(NULL, &o, &p, USER, END);
}

/* Keyed count: BPF, else a hist trigger on keys the event has (tid is
 * common_pid, cpu common_cpu, fields by name), else the events. */
static void count_keyed(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;

	(void)state;
	key(&o, SONDE_BPF_TID, NULL);
	key(&o, SONDE_BPF_CPU, NULL);
	key(&o, SONDE_BPF_ARG, "arg1");
	expect_paths(NULL, &o, &p, BPF, HIST, END);
	assert_string_equal(p.hist, "keys=common_pid,common_cpu,arg1:"
				    "vals=hitcount:sort=hitcount:size=16384");
	assert_string_equal(p.reason, "");
	assert_false(p.reads_memory);
	o.features = &hist_only;
	expect_paths(NULL, &o, &p, HIST, END);
	o.features = &multi_only;
	expect_paths(NULL, &o, &p, BPF, USER, END);
	assert_string_equal(p.hist, "");
	o.features = &none;
	expect_paths(NULL, &o, &p, USER, END);
}

/* The probes' filter is the trigger's "if". */
static void count_keyed_filter(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &hist_only);
	struct sonde_agg_plan p;

	(void)state;
	key(&o, SONDE_BPF_ARG, "a");
	o.filter = "a > 10 && b != 0";
	expect_paths(NULL, &o, &p, HIST, END);
	assert_string_equal(p.hist, "keys=a:vals=hitcount:sort=hitcount:"
				    "size=16384 if a > 10 && b != 0");
}

/* comm and pid are no fields of the event; -i tables come while the
 * probes run, a hist trigger's once; --hist of the user's own, and
 * --in-user, leave no hist trigger. */
static void count_keyed_no_hist(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &hist_only);
	struct sonde_agg_plan p;

	(void)state;
	key(&o, SONDE_BPF_TID, NULL);
	key(&o, SONDE_BPF_COMM, NULL);
	expect_paths(NULL, &o, &p, USER, END);
	assert_string_equal(p.hist, "");
	o.nkeys = 0;
	key(&o, SONDE_BPF_PID, NULL);
	expect_paths(NULL, &o, &p, USER, END);
	o.nkeys = 0;
	key(&o, SONDE_BPF_CPU, NULL);
	expect_paths(NULL, &o, &p, HIST, END);
	o.interval = true;
	expect_paths(NULL, &o, &p, USER, END);
	o.interval = false;
	o.hist = "keys=common_pid";
	expect_paths(NULL, &o, &p, USER, END);
	assert_string_equal(p.hist, "");
	o.hist = NULL;
	o.in_user = true;
	o.features = &all;
	expect_paths(NULL, &o, &p, USER, END);
	/* a trigger longer than a trigger line holds: none (never cut) */
	{
		char big[3000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		o.in_user = false;
		o.features = &hist_only;
		o.filter = big;
		expect_paths(NULL, &o, &p, USER, END);
		assert_string_equal(p.hist, "");
	}
}

/* Keyed counts and the backend: bpf insists, tracefs and perf stream
 * (with a hist trigger where there is one). */
static void count_keyed_backends(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;

	(void)state;
	key(&o, SONDE_BPF_ARG, "arg2");
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(NULL, &o, &p, BPF, END);
	o.backend = SONDE_BACKEND_TRACEFS;
	expect_paths(NULL, &o, &p, HIST, END);
	/* only the tracefs backend sets triggers: the perf backend
	 * refuses a probe with one (--trigger and --hist need tracefs) */
	o.backend = SONDE_BACKEND_PERF;
	expect_paths(NULL, &o, &p, USER, END);
	assert_string_equal(p.hist, "");
	o.features = &multi_only;
	expect_paths(NULL, &o, &p, USER, END);
}

static struct sonde_session *session_with(const char *spec)
{
	struct sonde_session_opts so = {.sz = sizeof(so)};
	struct sonde_session *s = sonde_session__open(&so);

	assert_non_null(s);
	if (sonde_session__add_probe(s, spec, NULL) < 0) {
		print_message("%s: %s\n", spec, sonde_session__errmsg(s));
		sonde_session__close(s);
		fail();
	}
	return s;
}

/* A key read through a pointer: a hist trigger would count a fault as
 * the 0 the kernel stored, so it is left out with count -v's sentence;
 * BPF leaves such hits out counted, and when BPF cannot, the events are
 * streamed even with --backend bpf (each event tells its fault). */
static void count_key_through_pointer(void **state)
{
	struct sonde_session *s =
		session_with("u:" FIXTURE ":add v=+0(arg1):s32 b=arg2");
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;

	(void)state;
	key(&o, SONDE_BPF_TID, NULL);
	key(&o, SONDE_BPF_ARG, "v");
	/* before the probes are added, nothing is known of v */
	expect_paths(NULL, &o, &p, BPF, HIST, END);
	assert_false(p.reads_memory);
	expect_paths(s, &o, &p, BPF, USER, END);
	assert_true(p.reads_memory);
	assert_string_equal(p.hist, "");
	assert_string_equal(p.reason,
			    "not counted by the hist trigger: 'v' is read "
			    "through a pointer, and a hist trigger cannot "
			    "tell a fault from a value");
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(s, &o, &p, BPF, USER, END);
	/* b is arg2 itself: a register, no read of memory */
	o.backend = SONDE_BACKEND_AUTO;
	o.nkeys = 0;
	key(&o, SONDE_BPF_ARG, "b");
	expect_paths(s, &o, &p, BPF, HIST, END);
	assert_false(p.reads_memory);
	assert_string_equal(p.reason, "");
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(s, &o, &p, BPF, END);
	/* no hist trigger to leave out: no reason */
	o.backend = SONDE_BACKEND_AUTO;
	o.features = &multi_only;
	o.nkeys = 0;
	key(&o, SONDE_BPF_ARG, "v");
	expect_paths(s, &o, &p, BPF, USER, END);
	assert_string_equal(p.reason, "");
	sonde_session__close(s);
}

/* hist: in a BPF map where uprobe_multi links exist, else the events;
 * no PMU counter or hist trigger makes a histogram. */
static void hist_paths(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_HIST, &all);
	struct sonde_agg_plan p;

	(void)state;
	o.value.src = SONDE_BPF_ARG;
	o.value.arg = "arg1";
	expect_paths(NULL, &o, &p, BPF, USER, END);
	key(&o, SONDE_BPF_COMM, NULL);
	expect_paths(NULL, &o, &p, BPF, USER, END);
	assert_string_equal(p.hist, "");
	o.interval = true;
	expect_paths(NULL, &o, &p, BPF, USER, END);
	o.features = &hist_only;
	expect_paths(NULL, &o, &p, USER, END);
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(NULL, &o, &p, BPF, END);
	o.backend = SONDE_BACKEND_TRACEFS;
	o.features = &all;
	expect_paths(NULL, &o, &p, USER, END);
	o.backend = SONDE_BACKEND_PERF;
	expect_paths(NULL, &o, &p, USER, END);
	o.backend = SONDE_BACKEND_AUTO;
	o.in_user = true;
	expect_paths(NULL, &o, &p, USER, END);
}

/* hist --value read through a pointer: --backend bpf falls back to the
 * events when the kernel cannot, as for keys. */
static void hist_value_through_pointer(void **state)
{
	struct sonde_session *s =
		session_with("u:" FIXTURE ":add v=+0(arg1):s32 b=arg2");
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_HIST, &none);
	struct sonde_agg_plan p;

	(void)state;
	o.backend = SONDE_BACKEND_BPF;
	o.value.src = SONDE_BPF_ARG;
	o.value.arg = "v";
	expect_paths(s, &o, &p, BPF, USER, END);
	assert_true(p.reads_memory);
	assert_string_equal(p.reason, "");
	o.value.arg = "b";
	expect_paths(s, &o, &p, BPF, END);
	assert_false(p.reads_memory);
	sonde_session__close(s);
}

/* latency pairs entries and returns in user space, whatever is asked. */
static void latency_paths(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_LATENCY, &all);
	struct sonde_agg_plan p;

	(void)state;
	expect_paths(NULL, &o, &p, USER, END);
	key(&o, SONDE_BPF_TID, NULL);
	o.backend = SONDE_BACKEND_BPF;
	expect_paths(NULL, &o, &p, USER, END);
	assert_string_equal(p.hist, "");
}

static void bad_opts(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p = {.sz = sizeof(p)};

	(void)state;
	assert_int_equal(sonde_agg__plan(NULL, NULL, &p), -EINVAL);
	assert_int_equal(sonde_agg__plan(NULL, &o, NULL), -EINVAL);
	o.nkeys = SONDE_AGG_MAX_KEYS;
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), -EINVAL);
	o.nkeys = 0;
	key(&o, SONDE_BPF_ARG, NULL); /* a field without a name */
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), -EINVAL);
	o.nkeys = 0;
	key(&o, SONDE_BPF_LATENCY, NULL); /* not a key */
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), -EINVAL);
	o = opts(SONDE_AGG_KIND_HIST, &all); /* a histogram of nothing */
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), -EINVAL);
	o.value.src = SONDE_BPF_ARG;
	o.value.arg = "arg1";
	o.kind = (enum sonde_agg_kind)7;
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), -EINVAL);
}

/* A caller compiled with a shorter plan gets what fits, nothing past. */
static void short_plan(void **state)
{
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, &all);
	struct sonde_agg_plan p;
	size_t n = offsetof(struct sonde_agg_plan, reads_memory);

	(void)state;
	memset(&p, 0x5a, sizeof(p));
	p.sz = n;
	assert_int_equal(sonde_agg__plan(NULL, &o, &p), 0);
	assert_int_equal(p.npaths, 3);
	assert_int_equal(p.paths[0], PMU);
	assert_int_equal((unsigned char)p.hist[0], 0x5a);
}

/* Without features given, the plan is that of the machine's own
 * (sonde_features__probe(), which needs no root). */
static void probed_features(void **state)
{
	struct sonde_features f = {.sz = sizeof(f)};
	struct sonde_agg_plan_opts o = opts(SONDE_AGG_KIND_COUNT, NULL);
	struct sonde_agg_plan given = {.sz = sizeof(given)};
	struct sonde_agg_plan probed = {.sz = sizeof(probed)};
	int k;

	(void)state;
	assert_int_equal(sonde_features__probe(&f), 0);
	for (k = 0; k < 2; k++) {
		if (k)
			key(&o, SONDE_BPF_CPU, NULL);
		o.features = NULL;
		assert_int_equal(sonde_agg__plan(NULL, &o, &probed), 0);
		o.features = &f;
		assert_int_equal(sonde_agg__plan(NULL, &o, &given), 0);
		assert_int_equal(probed.npaths, given.npaths);
		assert_memory_equal(probed.paths, given.paths,
				    sizeof(given.paths));
		assert_string_equal(probed.hist, given.hist);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(count_keyless),
		cmocka_unit_test(count_keyless_backends),
		cmocka_unit_test(count_keyed),
		cmocka_unit_test(count_keyed_filter),
		cmocka_unit_test(count_keyed_no_hist),
		cmocka_unit_test(count_keyed_backends),
		cmocka_unit_test(count_key_through_pointer),
		cmocka_unit_test(hist_paths),
		cmocka_unit_test(hist_value_through_pointer),
		cmocka_unit_test(latency_paths),
		cmocka_unit_test(bad_opts),
		cmocka_unit_test(short_plan),
		cmocka_unit_test(probed_features),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
