// SPDX-License-Identifier: MIT
/*
 * The CLI's option table (src/cli/options.c): its rows agree with each
 * other (one long name per option, a short letter only where the id is
 * one, a value name on every row of an option or on none, each listed
 * option taken), and getopt_long, given the arrays made from it for a
 * subcommand, returns for hand-written command lines the options and
 * values glibc's documented rules give (short values attached or apart,
 * --name=value, permutation), and '?' for an option the subcommand does
 * not take.
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"

static void rows_agree(void **state)
{
	const struct cli_option *a, *b;
	size_t i, j;

	(void)state;
	assert_true(cli_noptions > 0 && cli_noptions <= CLI_OPTIONS_MAX);
	for (i = 0; i < cli_noptions; i++) {
		a = &cli_options[i];
		assert_non_null(a->name);
		assert_non_null(a->help);
		assert_true(a->help[0] && a->help[strlen(a->help) - 1] != '\n');
		/* listed only where the parser takes it */
		assert_int_equal(a->shown & ~a->taken, 0);
		assert_int_equal(a->taken & ~CMDS_ALL, 0);
		assert_true(a->id >= 256 || (a->id >= 'a' && a->id <= 'z'));
		for (j = 0; j < i; j++) {
			b = &cli_options[j];
			if (a->id != b->id) {
				assert_string_not_equal(a->name, b->name);
				continue;
			}
			assert_string_equal(a->name, b->name);
			assert_int_equal(!a->arg, !b->arg);
			assert_int_equal(a->taken, b->taken);
			/* one meaning per subcommand */
			assert_int_equal(a->shown & b->shown, 0);
		}
	}
}

/* Every subcommand lists -h, --help; the commands' names map back. */
static void commands(void **state)
{
	static const char *const names[] = {
		"trace", "format", "check",   "cleanup", "list",
		"count", "hist",   "latency", "stack",	 "inject", "run"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(cli_cmd_of(names[i]), (int)i);
	assert_int_equal(cli_cmd_of("tracer"), -1);
	assert_int_equal(cli_cmd_of(NULL), -1);
	for (i = 0; i < cli_noptions; i++)
		if (cli_options[i].id == OPT_HELP)
			assert_int_equal(cli_options[i].shown, CMDS_ALL);
}

struct got {
	int id;
	const char *arg;
};

/* Parse argv as subcommand cmd would; returns the number of options. */
static int parse(enum cli_cmd cmd, int argc, char **argv, struct got *got,
		 int *first_operand)
{
	struct option longs[CLI_OPTIONS_MAX + 1];
	char shorts[3 * CLI_OPTIONS_MAX + 1];
	int c, n = 0;

	cli_getopt_arrays(cmd, longs, shorts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		got[n].id = c;
		got[n++].arg = optarg;
	}
	*first_operand = optind;
	return n;
}

static void count_line(void **state)
{
	char *argv[] = {"count",     "-i4",	  "u:a:b",	"--by=comm,pid",
			"-c",	     "true -i 1", "--max-keys", "0",
			"--in-user", "-vv",	  "--",		"--top"};
	struct got got[16];
	int n, first;

	(void)state;
	n = parse(CMD_COUNT, 12, argv, got, &first);
	assert_int_equal(n, 7);
	assert_int_equal(got[0].id, OPT_INTERVAL);
	assert_string_equal(got[0].arg, "4");
	assert_int_equal(got[1].id, OPT_BY);
	assert_string_equal(got[1].arg, "comm,pid");
	assert_int_equal(got[2].id, OPT_COMMAND);
	assert_string_equal(got[2].arg, "true -i 1");
	assert_int_equal(got[3].id, OPT_MAX_KEYS);
	assert_string_equal(got[3].arg, "0");
	assert_int_equal(got[4].id, OPT_IN_USER);
	assert_int_equal(got[5].id, OPT_VERBOSE);
	assert_int_equal(got[6].id, OPT_VERBOSE);
	/* permuted: the operands after the options, "--" ends them */
	assert_int_equal(first, 10);
	assert_string_equal(argv[first], "u:a:b");
	assert_string_equal(argv[first + 1], "--top");
}

static void trace_takes_no_agg_option(void **state)
{
	char *a1[] = {"trace", "-i", "1"};
	char *a2[] = {"trace", "--by", "comm"};
	char *a3[] = {"trace", "--backend=bpf", "-s", "--debug-dir", "/d"};
	char *a4[] = {"check", "--backend", "bpf"};
	struct got got[8];
	int first;

	(void)state;
	assert_int_equal(parse(CMD_TRACE, 3, a1, got, &first), 1);
	assert_int_equal(got[0].id, '?');
	assert_int_equal(parse(CMD_TRACE, 3, a2, got, &first), 1);
	assert_int_equal(got[0].id, '?');
	assert_int_equal(parse(CMD_TRACE, 5, a3, got, &first), 3);
	assert_int_equal(got[0].id, OPT_BACKEND);
	assert_string_equal(got[0].arg, "bpf");
	assert_int_equal(got[1].id, OPT_STACK);
	assert_int_equal(got[2].id, OPT_DEBUG_DIR);
	assert_string_equal(got[2].arg, "/d");
	/* the shared options are taken everywhere, listed or not */
	assert_int_equal(parse(CMD_CHECK, 3, a4, got, &first), 1);
	assert_int_equal(got[0].id, OPT_BACKEND);
}

/* --help lists a row's every line, under the option, and --list-options
 * each listed option once. */
static void help_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	cli_options_help(f, CMD_HIST);
	fclose(f);
	assert_non_null(strstr(
		buf, "\n      --value FIELD          the number to histogram"));
	assert_non_null(strstr(buf, "\n                             and retval "
				    "are fetched when named)\n"));
	assert_non_null(strstr(
		buf,
		"\n  -i, --interval SECS        print and reset every SECS\n"));
	assert_null(strstr(buf, "--folded"));
	assert_null(strstr(buf, "--in-user"));
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	cli_options_list(f, CMD_CHECK);
	fclose(f);
	/* check takes --backend for the path of its probes, and
	 * --no-debuginfod for its debuginfod line */
	assert_string_equal(buf, "--backend\n--no-debuginfod\n-h\n--help\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_agree),
		cmocka_unit_test(commands),
		cmocka_unit_test(count_line),
		cmocka_unit_test(trace_takes_no_agg_option),
		cmocka_unit_test(help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
