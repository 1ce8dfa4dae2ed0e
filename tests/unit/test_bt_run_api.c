/* SPDX-License-Identifier: MIT */
/*
 * sonde run through the public API (sonde_run__*), on the kernel:
 * exit(code) gives the run's exit code; a uprobe glob's probe builtin
 * names each match, checked against fixture_pie's source
 * (tests/fixtures/calls.c: with N = 2 and the default --fact 5, add()
 * runs twice and fact() five times, its recursion included), printed
 * as bpftrace 0.17 prints such a map at exit (sorted by value); begin
 * and end as newer bpftrace writes BEGIN and END; uprobe:*:FUNC with a
 * pid and a quoted function name, counted against the source; msg_fn
 * hands each message with the pid, tid, comm and time (CLOCK_MONOTONIC)
 * of its hit, here BEGIN and END in this thread (getpid(), gettid(),
 * prctl's name, clock_gettime around the run), the text unchanged.
 * Needs root and BPF: skipped otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sonde/sonde.h>

#define FIXTURE FIXTURE_DIR "/fixture_pie"

/* Runs text to its end (exit(), or after the fixture ran when run_fixture);
 * its output into *out (malloc'd). The run's exit code, or -1. */
static int run(const char *text, bool run_fixture, char **out)
{
	struct sonde_run_opts ro = {
		.sz = sizeof(ro), .text = text, .filename = "stdin"};
	struct sonde_run *r = sonde_run__open(&ro);
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int code = -1, i, st;
	pid_t pid;

	assert_non_null(r);
	assert_non_null(f);
	if (sonde_run__compile(r)) {
		print_message("%s\n", sonde_run__errmsg(r));
		fail();
	}
	sonde_run__set_output(r, f);
	if (sonde_run__start(r)) {
		print_message("%s\n", sonde_run__errmsg(r));
		fail();
	}
	if (run_fixture) {
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			execl(FIXTURE, FIXTURE, "2", (char *)NULL);
			_exit(127);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && !WEXITSTATUS(st));
	}
	for (i = 0; i < 20 && !sonde_run__exited(r); i++)
		sonde_run__poll(r, 50);
	assert_int_equal(sonde_run__end(r), 0);
	code = sonde_run__exit_code(r);
	sonde_run__close(r);
	fclose(f);
	return code;
}

static void test_exit_code(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run("BEGIN { exit(69); }", false, &out), 69);
	free(out);
	assert_int_equal(run("BEGIN { $x = 3; exit($x + 1); }", false, &out),
			 4);
	free(out);
	assert_int_equal(run("BEGIN { exit(); }", false, &out), 0);
	free(out);
}

static void test_begin_end_lower(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(
		run("BEGIN,end { printf(\"Hello\\n\"); exit(); }", false, &out),
		0);
	assert_string_equal(out, "Hello\nHello\n\n\n");
	free(out);
}

static void test_glob_names(void **state)
{
	char *out, want[1024];

	(void)state;
	assert_int_equal(run("uprobe:" FIXTURE ":[af][ad]* "
			     "{ @[probe] = count(); }",
			     true, &out),
			 0);
	snprintf(want, sizeof(want),
		 "\n\n@[uprobe:%s:add]: 2\n"
		 "@[uprobe:%s:fact]: 5\n",
		 FIXTURE, FIXTURE);
	assert_string_equal(out, want);
	free(out);
}

static pid_t child; /* a waiting fixture_pie, killed if a test fails */

static int kill_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	child = 0;
	return 0;
}

/* fixture_pie 2 --wait started, "ready" read: its pid; *go its stdin */
static pid_t start_waiting(int *go)
{
	int in[2], out[2];
	char buf[16] = "";
	pid_t pid;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(FIXTURE, FIXTURE, "2", "--wait", (char *)NULL);
		_exit(127);
	}
	child = pid;
	close(in[0]);
	close(out[1]);
	assert_true(read(out[0], buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, "ready\n");
	close(out[0]);
	*go = in[1];
	return pid;
}

/* uprobe:*:FUNC with -p: every object mapped in the process that has FUNC
 * (add() is fixture_pie's own, called twice; no other mapped file has
 * it); a glob of it; a quoted function name */
static void test_every_object(void **state)
{
	static const char *const progs[] = {
		"uprobe:*:add { @ = count(); }",
		"uprobe:*:[a]dd { @ = count(); }",
		"uprobe:" FIXTURE ":\"add\" { @ = count(); }",
	};
	int go, st, i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		pid_t pid = start_waiting(&go);
		struct sonde_run_opts ro = {.sz = sizeof(ro),
					    .text = progs[k],
					    .filename = "stdin",
					    .pid = pid};
		struct sonde_run *r = sonde_run__open(&ro);
		char *out;
		size_t len;
		FILE *f = open_memstream(&out, &len);

		assert_non_null(r);
		if (sonde_run__compile(r) || sonde_run__start(r)) {
			print_message("%s\n", sonde_run__errmsg(r));
			fail();
		}
		assert_int_equal(sonde_run__probe_count(r), 1);
		sonde_run__set_output(r, f);
		assert_int_equal(write(go, "\n", 1), 1);
		close(go);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		child = 0;
		for (i = 0; i < 4; i++)
			sonde_run__poll(r, 20);
		assert_int_equal(sonde_run__end(r), 0);
		sonde_run__close(r);
		fclose(f);
		assert_string_equal(out, "\n\n@: 2\n");
		free(out);
	}
}

struct seen {
	int n;
	struct sonde_run_msg m[4];
	char text[4][64], comm[4][17], probe[4][16];
};

static void keep(const struct sonde_run_msg *m, void *ctx)
{
	struct seen *s = ctx;

	if (s->n >= 4)
		return;
	s->m[s->n] = *m;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%s", m->text);
	snprintf(s->comm[s->n], sizeof(s->comm[0]), "%s", m->comm);
	snprintf(s->probe[s->n], sizeof(s->probe[0]), "%s", m->probe);
	s->n++;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void test_msg_fn(void **state)
{
	struct seen s = {0};
	struct sonde_run_opts ro = {.sz = sizeof(ro),
				    .text = "BEGIN { printf(\"a %d\\n\", 7); } "
					    "END { print(42); }",
				    .filename = "stdin",
				    .msg_fn = keep,
				    .msg_ctx = &s};
	struct sonde_run *r = sonde_run__open(&ro);
	char *out = NULL, comm[17] = "";
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	uint64_t t0, t1;
	int i;

	(void)state;
	assert_non_null(r);
	assert_non_null(f);
	prctl(PR_GET_NAME, comm);
	assert_int_equal(sonde_run__compile(r), 0);
	sonde_run__set_output(r, f);
	t0 = mono_ns();
	assert_int_equal(sonde_run__start(r), 0);
	sonde_run__poll(r, 50);
	assert_int_equal(sonde_run__end(r), 0);
	t1 = mono_ns();
	sonde_run__close(r);
	fclose(f);
	/* the text output as without msg_fn */
	assert_string_equal(out, "a 7\n42\n\n\n");
	free(out);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "a 7\n");
	assert_string_equal(s.text[1], "42\n");
	assert_string_equal(s.probe[0], "BEGIN");
	assert_string_equal(s.probe[1], "END");
	for (i = 0; i < 2; i++) {
		assert_int_equal(s.m[i].pid, getpid());
		assert_int_equal(s.m[i].tid, gettid());
		assert_string_equal(s.comm[i], comm);
		assert_true(s.m[i].time_ns >= t0 && s.m[i].time_ns <= t1);
	}
	assert_true(s.m[0].time_ns < s.m[1].time_ns);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("# needs root for BPF\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_begin_end_lower),
		cmocka_unit_test(test_glob_names),
		cmocka_unit_test_teardown(test_every_object, kill_child),
		cmocka_unit_test(test_msg_fn),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for BPF\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, NULL);
}
