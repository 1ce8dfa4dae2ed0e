// SPDX-License-Identifier: MIT
/*
 * The CLI's JSON strings and CSV cells (src/cli/jsoncsv.c, line.c), by
 * hand against RFC 4180 and RFC 8259 / RFC 6901: a cell quoted exactly
 * when it holds a comma, a quote, CR or LF, its quotes doubled; a JSON
 * string that is not UTF-8 written as its bytes (\u00XX) and named by a
 * JSON Pointer (~ and / escaped) in "not_utf8"; times with a sign.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "line.h"

static char *got;
static size_t got_len;

static struct line *open_line(void)
{
	static struct line l;

	free(got);
	got = NULL;
	l.out = open_memstream(&got, &got_len);
	l.n = 0;
	assert_non_null(l.out);
	return &l;
}

static const char *close_line(struct line *l)
{
	l_flush(l);
	fclose(l->out);
	return got;
}

static const char *cell(const char *s)
{
	struct line *l = open_line();

	l_csv(l, s);
	return close_line(l);
}

static void test_csv(void **state)
{
	(void)state;
	assert_string_equal(cell("plain"), "plain");
	assert_string_equal(cell(""), "");
	assert_string_equal(cell("a,b"), "\"a,b\"");
	assert_string_equal(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(cell("l1\nl2"), "\"l1\nl2\"");
	assert_string_equal(cell("cr\r"), "\"cr\r\"");
	assert_string_equal(cell("tab\there"), "tab\there");
	assert_string_equal(cell("\x1b[31m"), "\\x1b[31m");
	assert_string_equal(cell("back\\x41"), "back\\\\x41");
	assert_string_equal(cell("bad\xff,"), "\"bad\\xff,\"");
	assert_string_equal(cell("caf\xc3\xa9"), "caf\xc3\xa9");
}

static void test_json(void **state)
{
	struct not_utf8 nu = {0};
	struct line *l;

	(void)state;
	l = open_line();
	l_json_str(l, "ok \"q\" \\ \n\x01", &nu, "/args/", "s");
	l_not_utf8(l, &nu);
	assert_string_equal(close_line(l), "\"ok \\\"q\\\" \\\\ \\n\\u0001\"");
	l = open_line();
	l_json_str(l, "caf\xc3\xa9", &nu, "/comm", NULL);
	l_json_str(l, "\xc3\xa9\xe9", &nu, "/args/", "a/b~c");
	l_json_str(l, "\xff", &nu, "/stack/", "3");
	l_json_str(l, "\xfe", NULL, "", NULL); /* not tracked */
	l_not_utf8(l, &nu);
	assert_string_equal(
		close_line(l),
		"\"caf\xc3\xa9\"\"\\u00c3\\u00a9\\u00e9\"\"\\u00ff\""
		"\"\\u00fe\""
		",\"not_utf8\":[\"/args/a~1b~0c\",\"/stack/3\"]");
	assert_null(nu.list);
	assert_int_equal(nu.n, 0);
}

static void test_time(void **state)
{
	struct line *l;

	(void)state;
	l = open_line();
	l_time(l, 1500000000, 9, 0);
	l_chr(l, ' ');
	l_time(l, -1500, 9, 0);
	l_chr(l, ' ');
	l_time(l, 2000001000, 6, 6);
	assert_string_equal(close_line(l),
			    "1.500000000 -0.000001500      2.000001");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_time),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	free(got);
	return r;
}
