// SPDX-License-Identifier: MIT
/*
 * The error carrier (base/error.c): lib_error_set() returns -errno, keeps
 * the column and writes one escaped line, cut where the buffer it replaced
 * cut it (255 bytes for a spec error, before and after escaping, at a
 * whole escape); lib_error_append_lines() adds the kernel's error_log
 * lines. Expected strings are written out by hand (the C escapes of
 * `ls -b`); a spec error through spec_parse() and a resolver's message
 * through spec_resolve_args() keep the same cut.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "spec/spec.h"

static void test_returns_and_fills(void **state)
{
	struct lib_error e = LIB_ERROR_INIT(0);

	(void)state;
	assert_int_equal(e.col, -1);
	assert_string_equal(e.msg, "");
	assert_int_equal(lib_error_set(&e, EINVAL, 7, "no '%s'", "x\x1b[2J"),
			 -EINVAL);
	assert_int_equal(e.err, EINVAL);
	assert_int_equal(e.col, 7);
	assert_string_equal(e.msg, "no 'x\\x1b[2J'");
	/* a negative errno is taken as it is */
	assert_int_equal(lib_error_set(&e, -ENOENT, -1, "%s", "gone"), -ENOENT);
	assert_int_equal(e.err, ENOENT);
	assert_int_equal(e.col, -1);
	/* no carrier: nothing written, the errno still returned */
	assert_int_equal(lib_error_set(NULL, ERANGE, 3, "x"), -ERANGE);
	lib_error_clear(&e);
	assert_int_equal(e.err, 0);
	assert_int_equal(e.col, -1);
	assert_string_equal(e.msg, "");
	lib_error_clear(NULL);
}

static void test_cut(void **state)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	char long_a[3000], want[300];

	(void)state;
	memset(long_a, 'a', sizeof(long_a) - 1);
	long_a[sizeof(long_a) - 1] = '\0';
	lib_error_set(&e, EINVAL, 0, "%s", long_a);
	assert_int_equal(strlen(e.msg), 255);
	/* 250 + two escapes of 4 bytes: the second does not fit in 255 and
	 * is left out whole */
	memset(want, 'a', 250);
	strcpy(want + 250, "\\x1b");
	long_a[250] = '\x1b';
	long_a[251] = '\x1b';
	long_a[252] = '\0';
	lib_error_set(&e, EINVAL, 0, "%s", long_a);
	assert_string_equal(e.msg, want);
	/* cut 512 (where a 512-byte buffer was): 511 bytes */
	e = (struct lib_error)LIB_ERROR_INIT(512);
	memset(long_a, 'a', 600);
	long_a[600] = '\0';
	lib_error_set(&e, EINVAL, 0, "%s", long_a);
	assert_int_equal(strlen(e.msg), 511);
	/* without cut_escaped only the raw text is cut: 511 control bytes
	 * become 511 escapes of 4 bytes, kept whole (they used to be escaped
	 * into the session's 2048 bytes) */
	memset(long_a, '\x01', 600);
	long_a[600] = '\0';
	lib_error_set(&e, EINVAL, 0, "%s", long_a);
	assert_int_equal(strlen(e.msg), 511 * 4);
	assert_memory_equal(e.msg + 510 * 4, "\\x01", 5);
	/* cut 0: the whole buffer */
	e.cut = 0;
	memset(long_a, 'b', sizeof(long_a) - 1);
	long_a[sizeof(long_a) - 1] = '\0';
	lib_error_set(&e, EINVAL, 0, "%s", long_a);
	assert_int_equal(strlen(e.msg), LIB_ERROR_MSG - 1);
}

static void test_append_lines(void **state)
{
	struct lib_error e = LIB_ERROR_INIT(0);

	(void)state;
	lib_error_set(&e, EINVAL, -1, "the kernel refused probe '%s':", "p");
	lib_error_append_lines(
		&e, "[ 1.0] error: bad\n  Command: p:g/e \x1b[2J\n     ^\n");
	assert_string_equal(e.msg,
			    "the kernel refused probe 'p':\n[ 1.0] error: bad\n"
			    "  Command: p:g/e \\x1b[2J\n     ^");
	assert_int_equal(e.col, -1);
}

/* A spec error is cut at 255 bytes whatever carrier it is given. */
static void test_spec_error_cut(void **state)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct probe_spec sp;
	char text[600], want[300];
	int i;

	(void)state;
	strcpy(text, "u:/bin/true:f ");
	memset(text + 14, '\x01', 400);
	text[414] = '\0';
	assert_int_equal(spec_parse(text, &sp, &e), -EINVAL);
	assert_int_equal(e.err, EINVAL);
	/* the message quotes the argument: 15 bytes and 60 escapes of 4 fill
	 * the 255 bytes, the 61st does not fit whole */
	strcpy(want, "unknown fetch '");
	for (i = 0; i < 60; i++)
		strcat(want, "\\x01");
	assert_string_equal(e.msg, want);
	assert_null(strchr(e.msg, '\x01'));
	assert_int_equal(e.cut, LIB_ERROR_SPEC_CUT);
}

/* A resolver's message reaches the spec error as the resolver wrote it. */
static int say(void *ctx, const char *name, bool want_string, char **fetch,
	       char *type, size_t typelen, struct lib_error *e)
{
	return lib_error_set(e, ENOENT, 99, "no '%s' \x07here", name);
}

static void test_resolver_message(void **state)
{
	struct fetch_resolver r = {.name = say};
	struct lib_error e = LIB_ERROR_INIT(0);
	struct probe_spec sp;

	(void)state;
	assert_int_equal(spec_parse("u:/bin/true:f v=len", &sp, &e), 0);
	assert_int_equal(spec_resolve_args(&sp, &r, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "no 'len' \\x07here");
	assert_int_equal(e.col,
			 16); /* the fetch's column, not the resolver's */
	spec_free(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_returns_and_fills),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_append_lines),
		cmocka_unit_test(test_spec_error_cut),
		cmocka_unit_test(test_resolver_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
