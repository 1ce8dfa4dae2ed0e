// SPDX-License-Identifier: MIT
/*
 * bpftrace's positional parameters where it wants text or literals
 * (lang/probe.c, parse.c, sema.c): "$1" inside a probe's text is the
 * parameter's text (bpftrace 0.17 runs `BEG$1 { }` with IN as BEGIN and
 * `i:ms:$1` with 1 as a 1 ms interval); unroll ($1) repeats the
 * parameter's count (bpftrace 0.17: a=11 for `$a = 1; unroll ($1) { $a =
 * $a + 1 }` with 10); lhist(x, $1, $2, $3) takes its bounds from them;
 * kaddr(str($1)) is kaddr("the text"); str($1 + 1) is its text from the
 * second byte.
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

#include "lang/bt.h"

static struct bt_program *parsed(const char *text, char **params, int n,
				 struct lib_error *e)
{
	return bt_parse_params(text, "stdin", params, n, e);
}

static struct bt_program *checked(const char *text, char **params, int n)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = parsed(text, params, n, &e);

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	if (bt_check(p, params, n, NULL, NULL, &e) < 0)
		fail_msg("%s: %s", text, e.msg);
	return p;
}

/* the error's first line for a program that must fail (parse or check) */
static void fails(const char *text, char **params, int n, const char *msg)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = parsed(text, params, n, &e);

	if (p && bt_check(p, params, n, NULL, NULL, &e) == 0)
		fail_msg("%s: no error", text);
	assert_non_null(e.msg);
	if (strncmp(e.msg, msg, strlen(msg)))
		fail_msg("%s:\n got  %s\n want %s", text, e.msg, msg);
	bt_program_free(p);
}

static void test_probe_text(void **state)
{
	char *in[] = {"IN"}, *ms[] = {"1"}, *full[] = {"i:ms:5", "x"};
	char *up[] = {"/bin/true", "main"};
	struct bt_program *p;

	(void)state;
	p = checked("BEG$1 { exit(); }", in, 1);
	assert_string_equal(p->blocks[0].probes[0].spec, "BEGIN");
	assert_int_equal(p->blocks[0].probes[0].kind, BT_P_BEGIN);
	bt_program_free(p);

	p = checked("i:ms:$1 { exit(); }", ms, 1);
	assert_string_equal(p->blocks[0].probes[0].spec, "i:ms:1");
	assert_int_equal(p->blocks[0].probes[0].kind, BT_P_INTERVAL);
	assert_int_equal(p->blocks[0].probes[0].period_ns, 1000000);
	bt_program_free(p);

	/* the whole probe, and the caret stays on the text as written */
	p = checked("$1 { exit(); }", full, 2);
	assert_string_equal(p->blocks[0].probes[0].spec, "i:ms:5");
	assert_int_equal(p->blocks[0].probes[0].period_ns, 5000000);
	assert_int_equal(p->blocks[0].probes[0].loc.col, 0);
	assert_int_equal(p->blocks[0].probes[0].loc.len, 2);
	bt_program_free(p);

	p = checked("uprobe:$1:$2, BEGIN { }", up, 2);
	assert_string_equal(p->blocks[0].probes[0].spec,
			    "uprobe:/bin/true:main");
	assert_int_equal(p->blocks[0].probes[0].kind, BT_P_UPROBE);
	bt_program_free(p);

	/* without parameters the text stays (bt_parse()), and is refused as
	 * bpftrace refuses an unknown probe */
	fails("$2 { }", ms, 1,
	      "stdin:1:1-3: ERROR: $2 is used in a probe but not given");
	fails("i:ms:$1 { }", NULL, 0,
	      "stdin:1:1-8: ERROR: $1 is used in a probe but not given");
	fails("BEG$1 { }", ms, 1, "stdin:1:1-6: ERROR: Invalid probe type");
}

/* an unroll's count is n->num after the check */
static const struct bt_node *first_stmt(const struct bt_program *p)
{
	return p->blocks[0].body->kid[p->blocks[0].body->nkid > 1 ? 1 : 0];
}

static void test_unroll(void **state)
{
	char *ten[] = {"10"}, *hex[] = {"0x3"}, *big[] = {"101"};
	char *zero[] = {"0"}, *word[] = {"abc"};
	struct bt_program *p;

	(void)state;
	p = checked("BEGIN { $a = 1; unroll ($1) { $a = $a + 1; } }", ten, 1);
	assert_int_equal(first_stmt(p)->kind, BT_N_UNROLL);
	assert_int_equal(first_stmt(p)->num, 10);
	bt_program_free(p);
	p = checked("BEGIN { $a = 1; unroll ($1) { $a = $a + 1; } }", hex, 1);
	assert_int_equal(first_stmt(p)->num, 3);
	bt_program_free(p);
	fails("BEGIN { unroll ($1) { } }", big, 1,
	      "stdin:1:9-20: ERROR: unroll maximum value is 100");
	fails("BEGIN { unroll ($1) { } }", zero, 1,
	      "stdin:1:9-20: ERROR: unroll minimum value is 1");
	/* not given: 0, as bpftrace reads a missing parameter */
	fails("BEGIN { unroll ($1) { } }", NULL, 0,
	      "stdin:1:9-20: ERROR: unroll minimum value is 1");
	fails("BEGIN { unroll ($1) { } }", word, 1,
	      "stdin:1:17-19: ERROR: $1 used numerically but given \"abc\"");
	/* bpftrace 0.17: only an integer or a parameter */
	fails("BEGIN { unroll ($1 + 1) { } }", ten, 1,
	      "stdin:1:20-21: ERROR: syntax error, unexpected +, expecting )");
}

static void test_lhist(void **state)
{
	char *b[] = {"0", "10000", "1000"}, *bad[] = {"5", "1", "1"};
	char *word[] = {"0", "x", "1"};
	struct bt_program *p;

	(void)state;
	p = checked("BEGIN { @ = lhist(0, $1, $2, $3); }", b, 3);
	assert_int_equal(p->maps[0].value.kind, BT_T_LHIST);
	assert_int_equal(p->maps[0].value.lmin, 0);
	assert_int_equal(p->maps[0].value.lmax, 10000);
	assert_int_equal(p->maps[0].value.lstep, 1000);
	bt_program_free(p);
	fails("BEGIN { @ = lhist(0, $1, $2, $3); }", bad, 3,
	      "stdin:1:13-33: ERROR: lhist() min must be less than max "
	      "(provided min 5 and max 1)");
	fails("BEGIN { @ = lhist(0, $1, $2, $3); }", word, 3,
	      "stdin:1:26-28: ERROR: $2 used numerically but given \"x\"");
}

static void test_str_literal(void **state)
{
	char *sym[] = {"vfs_read"}, *hello[] = {"hello"};
	struct bt_program *p;
	const struct bt_node *k;

	(void)state;
	p = checked("BEGIN { @ = kaddr(str($1)); }", sym, 1);
	k = p->blocks[0].body->kid[0]->kid[1]; /* kaddr(...) */
	assert_string_equal(k->name, "kaddr");
	assert_int_equal(k->kid[0]->kind, BT_N_STR);
	assert_string_equal(k->kid[0]->name, "vfs_read");
	assert_int_equal(k->kid[0]->num, 8);
	assert_int_equal(k->kid[0]->type.strsize, 9);
	bt_program_free(p);
	p = checked("BEGIN { @ = uaddr(str($1)); }", sym, 1);
	bt_program_free(p);
	/* str($1 + k): the text from byte k (bpftrace 0.17: "ello" for
	 * hello and 1), k a constant up to its length */
	p = checked("BEGIN { printf(\"%s\", str($1 + 1)); }", hello, 1);
	k = p->blocks[0].body->kid[0]->kid[0]->kid[1];
	assert_int_equal(k->kind, BT_N_STR);
	assert_string_equal(k->name, "ello");
	bt_program_free(p);
	fails("BEGIN { printf(\"%s\", str($1 + 6)); }", hello, 1,
	      "stdin:1:26-32: ERROR: only addition of a single constant less "
	      "or equal to the length of $1 (which is 5) is allowed inside "
	      "str()");
	/* anything else is not a literal */
	fails("BEGIN { @ = kaddr(str($1, 2)); }", sym, 1,
	      "stdin:1:13-30: ERROR: kaddr() expects a string literal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_text),
		cmocka_unit_test(test_unroll),
		cmocka_unit_test(test_lhist),
		cmocka_unit_test(test_str_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
