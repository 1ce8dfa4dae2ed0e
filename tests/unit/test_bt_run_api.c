/* SPDX-License-Identifier: MIT */
/*
 * sonde run through the public API (sonde_run__*), on the kernel:
 * exit(code) gives the run's exit code; a uprobe glob's probe builtin
 * names each match, checked against fixture_pie's source
 * (tests/fixtures/calls.c: with N = 2 and the default --fact 5, add()
 * runs twice and fact() five times, its recursion included), printed
 * as bpftrace 0.17 prints such a map at exit (sorted by value); begin
 * and end as newer bpftrace writes BEGIN and END. Needs root and BPF:
 * skipped otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for BPF\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, NULL);
}
