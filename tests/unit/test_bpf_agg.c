/* SPDX-License-Identifier: MIT */
/*
 * The BPF aggregation templates, loaded into the kernel and run on
 * fixture_pie, whose calls are known exactly: `fixture_pie N` calls
 * add(i, 2i) (returns 3i), mul3(i, i+1, i+2) and greet() for i = 1..N, then
 * fact(F) (F nested calls) and slow(MS) once. Every count, bucket, sum,
 * min and max is compared with the user-space engine fed the values the
 * fixture is known to pass. Needs root and BPF: skipped otherwise.
 * A glob over a generated library of 10,000 functions (SONDE_BPF_MANY=N
 * for another size) is attached through one link, counted and detached.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sonde/sonde.h>

#include "backend/bpf/bpf_int.h"
#include "backend/bpf/sonde_bpf.h"
#include "backend/kernel_feature.h"

#define FIXTURE FIXTURE_DIR "/fixture_pie"

static bool can_bpf(void)
{
	struct sonde_features f = { .sz = sizeof(f) };

	return geteuid() == 0 && sonde_features__probe(&f) == 0 && f.bpf;
}

#define NEED_BPF()                                          \
	do {                                                \
		if (!can_bpf()) {                           \
			print_message("needs root and BPF\n"); \
			skip();                             \
		}                                           \
	} while (0)

/*
 * What a case holds, released by its teardown too: a failed assert leaves
 * the case mid-way, and the objects would be reported as leaked.
 */
static struct {
	struct sonde_agg *aggs[4];
	struct sonde_bpf_agg *bpf;
	struct sonde_session *s;
	pid_t child;
} held;

static struct sonde_agg *agg_new(const struct sonde_agg_opts *ao)
{
	struct sonde_agg *a = sonde_agg__new(ao);
	size_t i;

	assert_non_null(a);
	for (i = 0; i < 4 && held.aggs[i]; i++)
		;
	assert_true(i < 4);
	held.aggs[i] = a;
	return a;
}

static void agg_free(struct sonde_agg *a)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (held.aggs[i] == a)
			held.aggs[i] = NULL;
	sonde_agg__free(a);
}

static struct sonde_bpf_agg *agg_open(struct sonde_session *s,
				      const struct sonde_bpf_agg_opts *o)
{
	return held.bpf = sonde_bpf_agg__open(s, o);
}

static void agg_close(struct sonde_bpf_agg *a)
{
	if (held.bpf == a)
		held.bpf = NULL;
	sonde_bpf_agg__close(a);
}

static void session_close(struct sonde_session *s)
{
	if (held.s == s)
		held.s = NULL;
	sonde_session__close(s);
}

static int release(void **state)
{
	size_t i;

	(void)state;
	if (held.child > 0) {
		kill(held.child, SIGKILL);
		waitpid(held.child, NULL, 0);
	}
	sonde_bpf_agg__close(held.bpf);
	sonde_session__close(held.s);
	for (i = 0; i < 4; i++)
		sonde_agg__free(held.aggs[i]);
	memset(&held, 0, sizeof(held));
	return 0;
}

struct child {
	pid_t pid;
	int go; /* its stdin */
};

/* Start the fixture prog with --wait: it prints "ready", then waits.
 * cpu >= 0: it runs on that CPU only. */
static void child_start_on(struct child *c, const char *prog, int cpu,
			   const char *n, const char *extra1,
			   const char *extra2)
{
	int in[2], out[2];
	char buf[16];

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(126);
		}
		execl(prog, prog, n, "--wait", extra1, extra2,
		      (char *)NULL);
		_exit(127);
	}
	held.child = c->pid;
	close(in[0]);
	close(out[1]);
	assert_true(read(out[0], buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "ready", 5);
	close(out[0]);
	c->go = in[1];
}

static void child_start(struct child *c, const char *n, const char *extra1,
			const char *extra2)
{
	child_start_on(c, FIXTURE, -1, n, extra1, extra2);
}

static void child_run(struct child *c)
{
	int st;

	assert_int_equal(write(c->go, "\n", 1), 1);
	close(c->go);
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	held.child = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static struct sonde_session *session(pid_t pid, const char *const *specs)
{
	struct sonde_session_opts so = { .sz = sizeof(so), .pid = pid };
	struct sonde_session *s = sonde_session__open(&so);
	int i;

	assert_non_null(s);
	held.s = s;
	for (i = 0; specs[i]; i++)
		if (sonde_session__add_probe(s, specs[i], NULL) != i)
			fail_msg("%s: %s", specs[i], sonde_session__errmsg(s));
	return s;
}

/* Run the fixture under an agg of specs; rows are left in out. */
static struct sonde_bpf_agg_stats run(const char *const *specs,
				      const struct sonde_bpf_agg_opts *o,
				      struct sonde_agg *out, const char *n,
				      const char *x1, const char *x2)
{
	struct sonde_bpf_agg_stats st = { .sz = sizeof(st) };
	struct sonde_session *s;
	struct sonde_bpf_agg *a;
	struct child c;

	child_start(&c, n, x1, x2);
	s = session(c.pid, specs);
	a = agg_open(s, o);
	if (!a) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, 0);
		fail_msg("open: %s", sonde_session__errmsg(s));
	}
	child_run(&c);
	assert_true(sonde_bpf_agg__read(a, out, false) >= 0);
	assert_int_equal(sonde_bpf_agg__stats(a, &st), 0);
	agg_close(a);
	session_close(s);
	return st;
}

static const struct sonde_agg_row *find_row(struct sonde_agg *a, uint64_t k0)
{
	const struct sonde_agg_row *const *rows;
	int i, n = sonde_agg__rows(a, true, &rows);

	for (i = 0; i < n; i++)
		if (rows[i]->key[0].num == k0)
			return rows[i];
	return NULL;
}

static void count_per_probe(bool multi)
{
	static const char *const specs[] = { "u:" FIXTURE ":add",
					     "u:" FIXTURE ":mul3",
					     "u:" FIXTURE ":fact",
					     "ur:" FIXTURE ":fact", NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1,
		.keys = { { SONDE_BPF_PROBE } }, .no_multi = !multi,
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 1 };
	struct sonde_agg *out = agg_new(&ao);
	struct sonde_bpf_agg_stats st;
	const struct sonde_agg_row *const *rows;

	st = run(specs, &o, out, "1000", "--fact", "7");
	assert_int_equal(sonde_agg__rows(out, true, &rows), 4);
	assert_int_equal(find_row(out, 0)->count, 1000);
	assert_int_equal(find_row(out, 1)->count, 1000);
	assert_int_equal(find_row(out, 2)->count, 7);
	assert_int_equal(find_row(out, 3)->count, 7);
	assert_int_equal(st.dropped, 0);
	if (multi) { /* entry and return: two links for one file */
		assert_int_equal(st.links, 2);
		assert_int_equal(st.perf_events, 0);
	} else {
		assert_int_equal(st.links, 0);
		assert_int_equal(st.perf_events, 4);
	}
	agg_free(out);
}

static void test_count_multi(void **state)
{
	NEED_BPF();
	if (!kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI))
		skip();
	count_per_probe(true);
}

static void test_count_perf(void **state)
{
	NEED_BPF();
	count_per_probe(false);
}

/* Keys: probe, the first argument (s32), tid, comm. */
static void test_count_keys(void **state)
{
	static const char *const specs[] = { "u:" FIXTURE ":add a=arg1:s32",
					     NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 4,
		.keys = { { SONDE_BPF_PROBE }, { SONDE_BPF_ARG, "a" },
			  { SONDE_BPF_TID }, { SONDE_BPF_COMM } },
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 4 };
	struct sonde_agg *out;
	const struct sonde_agg_row *const *rows;
	int i, n;

	NEED_BPF();
	out = agg_new(&ao);
	run(specs, &o, out, "300", NULL, NULL);
	n = sonde_agg__rows(out, true, &rows);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++) {
		assert_int_equal(rows[i]->count, 1);
		assert_int_equal(rows[i]->key[0].num, 0);
		assert_int_equal(rows[i]->key[1].kind, SONDE_AGG_KEY_SIGNED);
		assert_int_equal((int64_t)rows[i]->key[1].num, i + 1);
		assert_true(rows[i]->key[2].num > 0);
		assert_int_equal(rows[i]->key[3].kind, SONDE_AGG_KEY_STRING);
		assert_string_equal(rows[i]->key[3].str, "fixture_pie");
	}
	agg_free(out);
}

/* The kernel's one-row histogram (out) equals the user-space engine's
 * (want): count, sum, min, max and every bucket. */
static void expect_same_hist(struct sonde_agg *out, struct sonde_agg *want)
{
	const struct sonde_agg_row *const *got, *const *exp;
	int i;

	assert_int_equal(sonde_agg__rows(out, true, &got), 1);
	assert_int_equal(sonde_agg__rows(want, true, &exp), 1);
	assert_int_equal(got[0]->count, exp[0]->count);
	assert_int_equal(got[0]->sum, exp[0]->sum);
	assert_int_equal(got[0]->min, exp[0]->min);
	assert_int_equal(got[0]->max, exp[0]->max);
	for (i = 0; i < sonde_agg__nbuckets(out); i++)
		if (got[0]->buckets[i] != exp[0]->buckets[i])
			fail_msg("bucket %d: %llu, want %llu", i,
				 (unsigned long long)got[0]->buckets[i],
				 (unsigned long long)exp[0]->buckets[i]);
}

/* The kernel's histogram equals the user-space engine's on the values
 * the fixture passes: every bucket, count, sum, min and max. */
static void hist_case(const char *spec, enum sonde_agg_hist h, int64_t min,
		      int64_t max, int64_t step, int64_t mul, int n)
{
	const char *const specs[] = { spec, NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1, .keys = { { SONDE_BPF_PROBE } },
		.value = { SONDE_BPF_ARG, "v" }, .hist = h,
		.min = min, .max = max, .step = step,
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 1, .hist = h,
				     .min = min, .max = max, .step = step };
	struct sonde_agg *out = agg_new(&ao), *want = agg_new(&ao);
	struct sonde_agg_key k0 = { SONDE_AGG_KEY_UNSIGNED, 0, NULL };
	char nbuf[16];
	int i;

	assert_non_null(out);
	snprintf(nbuf, sizeof(nbuf), "%d", n);
	run(specs, &o, out, nbuf, NULL, NULL);
	for (i = 1; i <= n; i++)
		sonde_agg__add(want, &k0, mul * i);
	expect_same_hist(out, want);
	agg_free(out);
	agg_free(want);
}

static void test_hist_log2_arg(void **state)
{
	NEED_BPF();
	hist_case("u:" FIXTURE ":add v=arg2:s32", SONDE_AGG_LOG2, 0, 0, 0, 2,
		  2000);
}

static void test_hist_linear_arg(void **state)
{
	NEED_BPF();
	/* below min, inside, at and above max */
	hist_case("u:" FIXTURE ":add v=arg1:s32", SONDE_AGG_LINEAR, 10, 400,
		  25, 1, 500);
}

static void test_hist_log2_retval(void **state)
{
	NEED_BPF();
	hist_case("ur:" FIXTURE ":add v=retval:s32", SONDE_AGG_LOG2, 0, 0, 0,
		  3, 1500);
}

/*
 * A key first counted on CPU 0, then on CPU 1: the kernel zeroes a new
 * key's slots on the CPUs other than the inserting one, so the second
 * CPU's slot starts from zeroes, not from the first value. Every
 * process's calls (session pid 0) of a private copy of the fixture, from
 * two runs pinned one per CPU, whose values are those the fixture passes:
 * add(i, 2i) and returns 3i.
 */
static void across_cpus(const char *prog, const char *fn, int64_t mul, int n)
{
	char spec[600];
	const char *const specs[] = { spec, NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1, .keys = { { SONDE_BPF_PROBE } },
		.value = { SONDE_BPF_ARG, "v" }, .hist = SONDE_AGG_LOG2,
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 1,
				     .hist = SONDE_AGG_LOG2 };
	struct sonde_agg *out = agg_new(&ao), *want = agg_new(&ao);
	struct sonde_agg_key k0 = { SONDE_AGG_KEY_UNSIGNED, 0, NULL };
	struct sonde_session *s;
	struct sonde_bpf_agg *a;
	struct child c;
	char nbuf[16];
	int cpu, i;

	snprintf(spec, sizeof(spec), fn, prog);
	s = session(0, specs);
	a = agg_open(s, &o);
	if (!a)
		fail_msg("open: %s", sonde_session__errmsg(s));
	snprintf(nbuf, sizeof(nbuf), "%d", n);
	for (cpu = 0; cpu < 2; cpu++) {
		child_start_on(&c, prog, cpu, nbuf, NULL, NULL);
		child_run(&c);
		for (i = 1; i <= n; i++)
			sonde_agg__add(want, &k0, mul * i);
	}
	assert_true(sonde_bpf_agg__read(a, out, false) >= 0);
	agg_close(a);
	session_close(s);
	expect_same_hist(out, want);
	agg_free(out);
	agg_free(want);
}

static void test_hist_across_cpus(void **state)
{
	char dir[] = "/tmp/sonde-cpus-XXXXXX", prog[64];
	pid_t pid;
	int st;

	NEED_BPF();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		print_message("needs two CPUs\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/fixture_pie", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* with its library: it is found at $ORIGIN */
		execlp("cp", "cp", FIXTURE, FIXTURE_DIR "/libfixture.so", dir,
		       (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		across_cpus(prog, "u:%s:add v=arg2:s32", 2, 300);
		across_cpus(prog, "ur:%s:add v=retval:s32", 3, 300);
	}
	unlink(prog);
	snprintf(prog, sizeof(prog), "%s/libfixture.so", dir);
	unlink(prog);
	rmdir(dir);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* fact(6) nests 6 calls: each return pairs with its own entry; slow(30)
 * takes at least 30 ms. */
static void test_latency(void **state)
{
	static const char *const specs[] = { "u:" FIXTURE ":fact",
					     "u:" FIXTURE ":slow", NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1, .keys = { { SONDE_BPF_PROBE } },
		.value = { SONDE_BPF_LATENCY }, .hist = SONDE_AGG_LOG2,
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 1,
				     .hist = SONDE_AGG_LOG2 };
	struct sonde_agg *out;
	struct sonde_bpf_agg_stats st;
	const struct sonde_agg_row *fact, *slow;

	NEED_BPF();
	out = agg_new(&ao);
	st = run(specs, &o, out, "1", "--fact", "6");
	fact = find_row(out, 0);
	assert_non_null(fact);
	assert_int_equal(fact->count, 6);
	/* the outermost call spans the five inside it */
	assert_true(fact->max > fact->min);
	assert_true(fact->min > 0);
	slow = find_row(out, 1);
	assert_non_null(slow);
	assert_int_equal(slow->count, 1);
	assert_int_equal(st.orphans, 0);
	agg_free(out);

	out = agg_new(&ao);
	st = run(specs, &o, out, "1", "--slow", "30");
	slow = find_row(out, 1);
	assert_non_null(slow);
	assert_int_equal(slow->count, 1);
	assert_true(slow->min >= 30000000);
	assert_true(slow->min < 3000000000LL);
	agg_free(out);
}

/* Kernel maps taken out while reading: a second read finds nothing. */
static void test_read_clear(void **state)
{
	static const char *const specs[] = { "u:" FIXTURE ":add", NULL };
	struct sonde_bpf_agg_opts o = { .sz = sizeof(o) };
	struct sonde_agg_opts ao = { .sz = sizeof(ao) };
	const struct sonde_agg_row *const *rows;
	struct sonde_session *s;
	struct sonde_bpf_agg *a;
	struct sonde_agg *out;
	struct child c;

	NEED_BPF();
	out = agg_new(&ao);
	child_start(&c, "250", NULL, NULL);
	s = session(c.pid, specs);
	a = agg_open(s, &o);
	assert_non_null(a);
	child_run(&c);
	assert_int_equal(sonde_bpf_agg__read(a, out, true), 1);
	assert_int_equal(sonde_agg__rows(out, false, &rows), 1);
	assert_int_equal(rows[0]->count, 250);
	assert_int_equal(sonde_bpf_agg__read(a, out, true), 0);
	agg_close(a);
	session_close(s);
	agg_free(out);
}

/* Registers and reads through them only: a stack slot is refused with a
 * sentence. */
static void test_refuses_stack(void **state)
{
	static const char *const specs[] = {
		"u:" FIXTURE ":greet s=$stack1:u64", NULL };
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1,
		.keys = { { SONDE_BPF_ARG, "s" } },
	};
	struct sonde_session *s;

	NEED_BPF();
	s = session(0, specs);
	assert_null(agg_open(s, &o));
	assert_int_equal(errno, ENOTSUP);
	assert_non_null(strstr(sonde_session__errmsg(s), "registers"));
	session_close(s);
}

/* ---- a glob over 10,000 functions ---- */

/* 10,000 (about 12 s here, most of it building the library); another
 * size with SONDE_BPF_MANY=N */
static int nfuncs = 10000;
#define NFUNCS nfuncs
#define NCALLED 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A library of NFUNCS functions f0..f9999, built with cc in dir. */
static void build_many(const char *dir, char *lib, size_t len)
{
	char src[512];
	FILE *f;
	pid_t pid;
	int i, st;

	snprintf(src, sizeof(src), "%s/many.c", dir);
	snprintf(lib, len, "%s/libmany.so", dir);
	f = fopen(src, "we");
	assert_non_null(f);
	for (i = 0; i < NFUNCS; i++)
		fprintf(f,
			"__attribute__((noinline)) int f%d(int x)"
			"{ __asm__ volatile(\"nop\"); return x + %d; }\n",
			i, i);
	fclose(f);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("cc", "cc", "-O1", "-shared", "-fPIC", "-o", lib, src,
		       (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A child that calls f_i (i < NCALLED) i + 1 times when told to. */
static void many_child(struct child *c, const char *lib)
{
	int in[2];
	char b;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		void *h = dlopen(lib, RTLD_NOW);
		char name[16];
		int i, j;

		close(in[1]);
		if (!h || read(in[0], &b, 1) != 1)
			_exit(1);
		for (i = 0; i < NCALLED; i++) {
			int (*fn)(int);

			snprintf(name, sizeof(name), "f%d", i);
			fn = (int (*)(int))dlsym(h, name);
			if (!fn)
				_exit(2);
			for (j = 0; j <= i; j++)
				fn(j);
		}
		_exit(0);
	}
	close(in[0]);
	c->go = in[1];
}

static int add_each(const char *name, uint64_t addr, uint64_t size,
		    void *ctx)
{
	char spec[600];
	void **v = ctx;

	snprintf(spec, sizeof(spec), "u:%s:%s", (const char *)v[1], name);
	return sonde_session__add_probe(v[0], spec, NULL) < 0;
}

/* Every function of the library probed, through one uprobe_multi link:
 * the calls to the known subset are counted exactly, the rest are zero,
 * and attaching and detaching all of them takes well under a second. */
static void test_many_functions(void **state)
{
	struct sonde_bpf_agg_opts o = {
		.sz = sizeof(o), .nkeys = 1, .keys = { { SONDE_BPF_PROBE } },
		.max_entries = 2 * NFUNCS,
	};
	struct sonde_agg_opts ao = { .sz = sizeof(ao), .nkeys = 1 };
	const struct sonde_agg_row *const *rows;
	struct sonde_bpf_agg_stats st = { .sz = sizeof(st) };
	char dir[] = "/tmp/sonde-bpf-XXXXXX", lib[600], path[700];
	struct sonde_session_opts so = { .sz = sizeof(so) };
	struct sonde_session *s;
	struct sonde_bpf_agg *a;
	struct sonde_agg *out;
	struct child c;
	double t0, t1, t2;
	void *ctx[2];
	int i, n, st_child;

	NEED_BPF();
	if (!kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI))
		skip();
	if (getenv("SONDE_BPF_MANY"))
		nfuncs = atoi(getenv("SONDE_BPF_MANY"));
	assert_true(nfuncs >= NCALLED);
	assert_non_null(mkdtemp(dir));
	t0 = now_s();
	build_many(dir, lib, sizeof(lib));
	print_message("library built in %.1f s\n", now_s() - t0);
	many_child(&c, lib);
	so.pid = c.pid;
	s = sonde_session__open(&so);
	held.s = s;
	ctx[0] = s;
	ctx[1] = lib;
	t0 = now_s();
	n = sonde_ufuncs__list(lib, 0, "f[0-9]*", add_each, ctx);
	print_message("%d probes added in %.1f s\n", n, now_s() - t0);
	assert_int_equal(n, NFUNCS);
	assert_int_equal(sonde_session__probe_count(s), NFUNCS);
	t0 = now_s();
	a = agg_open(s, &o);
	t1 = now_s();
	if (!a)
		fail_msg("%s", sonde_session__errmsg(s));
	assert_int_equal(write(c.go, "g", 1), 1);
	close(c.go);
	assert_int_equal(waitpid(c.pid, &st_child, 0), c.pid);
	assert_true(WIFEXITED(st_child) && WEXITSTATUS(st_child) == 0);
	out = agg_new(&ao);
	assert_true(sonde_bpf_agg__read(a, out, false) >= 0);
	assert_int_equal(sonde_bpf_agg__stats(a, &st), 0);
	assert_int_equal(st.links, 1);
	assert_int_equal(st.dropped, 0);
	t2 = now_s();
	agg_close(a);
	print_message("%d uprobes: attach %.3f s, detach %.3f s\n", NFUNCS,
		      t1 - t0, now_s() - t2);
	assert_true(now_s() - t2 + t1 - t0 < 1.0);
	n = sonde_agg__rows(out, true, &rows);
	assert_int_equal(n, NCALLED);
	for (i = 0; i < n; i++) {
		const char *name = sonde_session__probe_name(s, rows[i]->key[0].num);
		int fn;

		assert_int_equal(sscanf(name, "f%d", &fn), 1);
		assert_true(fn < NCALLED);
		assert_int_equal(rows[i]->count, fn + 1);
	}
	agg_free(out);
	session_close(s);
	unlink(lib);
	snprintf(path, sizeof(path), "%s/many.c", dir);
	unlink(path);
	rmdir(dir);
}

/* An argument runs only the cases it names (a cmocka glob). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_count_multi, release),
		cmocka_unit_test_teardown(test_count_perf, release),
		cmocka_unit_test_teardown(test_count_keys, release),
		cmocka_unit_test_teardown(test_hist_log2_arg, release),
		cmocka_unit_test_teardown(test_hist_linear_arg, release),
		cmocka_unit_test_teardown(test_hist_log2_retval, release),
		cmocka_unit_test_teardown(test_hist_across_cpus, release),
		cmocka_unit_test_teardown(test_latency, release),
		cmocka_unit_test_teardown(test_read_clear, release),
		cmocka_unit_test_teardown(test_refuses_stack, release),
		cmocka_unit_test_teardown(test_many_functions, release),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
