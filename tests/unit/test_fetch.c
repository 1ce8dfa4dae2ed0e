/* SPDX-License-Identifier: MIT */
/* fetch_rewrite(), fetch_check_type(), fetch_is_register(): one cmocka case
 * per table row, named after its input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spec/spec.h"

#define U PROBE_UPROBE
#define UR PROBE_URETPROBE
#define K PROBE_KPROBE
#define KR PROBE_KRETPROBE

struct rw_case {
	enum probe_kind kind;
	const char *in;
	const char *out; /* NULL: must fail */
	int col;	 /* failing: caret column (fetch given at col 10) */
	const char *msg; /* failing: fragment of the message */
};

static const struct rw_case rw_cases[] = {
	/* portable names */
	{U, "arg1", "%di"},
	{U, "arg2", "%si"},
	{U, "arg3", "%dx"},
	{U, "arg4", "%cx"},
	{U, "arg5", "%r8"},
	{K, "arg6", "%r9"},
	{UR, "retval", "$retval"},
	{KR, "retval", "$retval"},
	{U, "comm", "$comm"},
	{U, "+0(arg2)", "+0(%si)"},
	{K, "+0(+8(arg1))", "+0(+8(%di))"},
	{UR, "+0(retval)", "+0($retval)"},
	{U, "-8(+16(arg6))", "-8(+16(%r9))"},
	/* the kernel's own */
	{U, "%di", "%di"},
	{U, "%r15", "%r15"},
	{K, "%orig_ax", "%orig_ax"},
	{U, "%flags", "%flags"},
	{U, "$stack", "$stack"},
	{U, "$stack0", "$stack0"},
	{K, "$stack12", "$stack12"},
	{UR, "$retval", "$retval"},
	{U, "$comm", "$comm"},
	{K, "$COMM", "$COMM"},
	{K, "$arg1", "$arg1"},
	{KR, "$arg3", "$arg3"},
	{K, "@jiffies", "@jiffies"},
	{K, "@jiffies+8", "@jiffies+8"},
	{K, "@init_task-0x10", "@init_task-0x10"},
	{K, "@0xffffffff81000000", "@0xffffffff81000000"},
	{U, "@0x601040", "@0x601040"},
	{U, "@+0x1040", "@+0x1040"},
	{U, "+8(%sp)", "+8(%sp)"},
	{U, "-8(%bp)", "-8(%bp)"},
	{U, "+0x10(%di)", "+0x10(%di)"},
	{K, "+u0(%si)", "+u0(%si)"},
	{K, "-u4(%si)", "-u4(%si)"},
	{U, "+4($stack)", "+4($stack)"},
	{U, "\\123", "\\123"},
	{U, "\\0x10", "\\0x10"},
	{U, "\\-5", "\\-5"},
	{U, "\\\"hello\"", "\\\"hello\""},
	{U, "+0(\\0x1000)", "+0(\\0x1000)"},
	/* errors: the fetch starts at column 10 */
	{U, "", NULL, 10, "missing FETCH"},
	{U, "%rax", NULL, 10, "the kernel calls it '%ax'"},
	{U, "%edi", NULL, 10, "the kernel calls it '%di'"},
	{U, "%xmm0", NULL, 10, "unknown register '%xmm0'"},
	{U, "%ds", NULL, 10, "unknown register"},
	{U, "%", NULL, 10, "missing register name"},
	{U, "+0(%foo)", NULL, 13, "unknown register '%foo'"},
	{U, "+0(+8(%bad))", NULL, 16, "unknown register"},
	{U, "$retval", NULL, 10, "only for return probes"},
	{K, "$retval", NULL, 10, "only for return probes"},
	{U, "retval", NULL, 10, "only for return probes"},
	{U, "+0(retval)", NULL, 13, "only for return probes"},
	{U, "$arg1", NULL, 10,
	 "uprobes do not take $argN; use argN (sonde rewrites it"},
	{K, "$arg0", NULL, 10, "expected $argN with N >= 1"},
	{K, "$argx", NULL, 10, "not an argument"},
	{U, "$stackx", NULL, 10, "not a stack slot"},
	{U, "$foo", NULL, 10, "unknown variable '$foo'"},
	{U, "arg0", NULL, 10, "arguments count from 1"},
	{U, "arg7", NULL, 10,
	 "arg7 is passed on the stack on x86-64: "
	 "use +8($stack)"},
	{K, "arg8", NULL, 10, "use +16($stack)"},
	{UR, "arg1", NULL, 10, "return probe"},
	{U, "foo", NULL, 10, "unknown fetch 'foo'"},
	{U, "@jiffies", NULL, 10, "@SYMBOL is for kprobes"},
	{K, "@+0x10", NULL, 10, "@+OFFSET (a file offset) is for uprobes"},
	{U, "@0xzz", NULL, 11, "address '0xzz' is not a number"},
	{U, "@+zz", NULL, 11, "file offset '+zz' is not a number"},
	{U, "@", NULL, 10, "missing address after '@'"},
	{K, "@sym*2", NULL, 14, "unexpected '*'"},
	{K, "@sym+x", NULL, 14, "offset '+x' is not a number"},
	{U, "+8", NULL, 10, "needs a (FETCH)"},
	{U, "+zz(%di)", NULL, 11, "offset '+zz' is not a number"},
	{U, "+8(%di", NULL, 16, "missing ')'"},
	{U, "+8(%di)x", NULL, 17, "unexpected 'x' after ')'"},
	{U, "+8()", NULL, 13, "missing FETCH inside '()'"},
	{U, "+0($comm)", NULL, 13, "$comm cannot be dereferenced"},
	{U, "+0(comm)", NULL, 13, "comm cannot be dereferenced"},
	{U, "+0(\\\"x\")", NULL, 13, "immediate string cannot be"},
	{U, "\\zz", NULL, 11, "immediate '\\zz' is not a number"},
	{U, "\\\"abc", NULL, 15, "missing closing '\"'"},
	/* bytes the kernel reads otherwise: a comment, a space, no text */
	{U, "\\\"ab#c\"", NULL, 14, "byte 0x23 cannot be in an immediate"},
	{U, "\\\"a\x02" "b\"", NULL, 13, "byte 0x02 cannot be"},
	{U, "\\\"a\xa0" "b\"", NULL, 13, "byte 0xa0 cannot be"},
	{U, "+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(%di)))))))))))))", NULL, 46,
	 "too many nested dereferences"},
};

struct type_case {
	const char *type;
	int col; /* -1: valid; else caret column (type at col 20) */
	const char *msg;
};

static const struct type_case type_cases[] = {
	{"u8", -1},
	{"u16", -1},
	{"u32", -1},
	{"u64", -1},
	{"s8", -1},
	{"s16", -1},
	{"s32", -1},
	{"s64", -1},
	{"x8", -1},
	{"x16", -1},
	{"x32", -1},
	{"x64", -1},
	{"string", -1},
	{"ustring", -1},
	{"symbol", -1},
	{"symstr", -1},
	{"b4@2/32", -1},
	{"b1@0/8", -1},
	{"b64@0/64", -1},
	{"x8[4]", -1},
	{"u32[64]", -1},
	{"string[2]", -1},
	{"b3@5/8[2]", -1},
	{"", 20, "missing TYPE"},
	{"u24", 20, "unknown type 'u24'"},
	{"int", 20, "unknown type 'int'"},
	{"u32[0]", 24, "array length '0' must be 1..64"},
	{"u32[65]", 24, "must be 1..64"},
	{"u32[x]", 24, "array length 'x'"},
	{"u32[4", 25, "missing ']'"},
	{"u32[]", 24, "array length ''"},
	{"b4@2/24", 20, "container size 24"},
	{"b0@0/32", 20, "does not fit"},
	{"b8@30/32", 20, "does not fit"},
	{"b4@2", 20, "bad bitfield 'b4@2'"},
	{"b4/32", 20, "bad bitfield"},
};

static void rewrite_case(void **state)
{
	const struct rw_case *c = *state;
	struct lib_error err = {.col = -2};
	char *out = fetch_rewrite(c->in, c->kind, 10, &err);

	if (c->out) {
		if (!out)
			fail_msg("'%s' failed: col %d: %s", c->in, err.col,
				 err.msg);
		assert_string_equal(out, c->out);
		free(out);
		return;
	}
	if (out)
		fail_msg("'%s' was accepted as '%s'", c->in, out);
	assert_int_equal(err.col, c->col);
	if (!strstr(err.msg, c->msg))
		fail_msg("message '%s' lacks '%s'", err.msg, c->msg);
}

static void type_case(void **state)
{
	const struct type_case *c = *state;
	struct lib_error err = {.col = -2};
	int ret = fetch_check_type(c->type, 20, &err);

	if (c->col < 0) {
		if (ret)
			fail_msg("'%s' refused: %s", c->type, err.msg);
		return;
	}
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(err.col, c->col);
	if (!strstr(err.msg, c->msg))
		fail_msg("message '%s' lacks '%s'", err.msg, c->msg);
}

static void registers(void **state)
{
	static const char *const good[] = {
		"ax",  "bx",  "cx", "dx",    "si",  "di",  "bp",
		"sp",  "r8",  "r9", "r10",   "r11", "r12", "r13",
		"r14", "r15", "ip", "flags", "cs",  "ss",  "orig_ax",
	};
	static const char *const bad[] = {
		"rax", "eax", "r16", "r7", "", "AX", "xmm0", "ds", "fs",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(fetch_is_register(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(fetch_is_register(bad[i]));
}

/* A failed rewrite returns NULL and a later good one is unaffected. */
static void null_and_errors(void **state)
{
	struct lib_error err = {0};
	char *out;

	(void)state;
	assert_null(fetch_rewrite(NULL, PROBE_UPROBE, 3, &err));
	assert_int_equal(err.col, 3);
	assert_null(fetch_rewrite("%bad", PROBE_UPROBE, 0, NULL));
	out = fetch_rewrite("+0(arg1)", PROBE_UPROBE, 0, NULL);
	assert_string_equal(out, "+0(%di)");
	free(out);
	assert_int_equal(fetch_check_type(NULL, 7, &err), -EINVAL);
	assert_int_equal(err.col, 7);
	/* quoted input never breaks the message's single line: its
	 * control characters are escaped (sonde_text__escape) */
	assert_int_equal(fetch_check_type("u\n8", 0, &err), -EINVAL);
	assert_null(strchr(err.msg, '\n'));
	assert_non_null(strstr(err.msg, "'u\\n8'"));
}

static char *case_name(const char *prefix, const char *in)
{
	char *s;

	if (asprintf(&s, "%s %s", prefix, *in ? in : "(empty)") < 0)
		abort();
	return s;
}

int main(void)
{
	size_t nrw = sizeof(rw_cases) / sizeof(*rw_cases);
	size_t nty = sizeof(type_cases) / sizeof(*type_cases);
	size_t n = 0, i;
	struct CMUnitTest *t = calloc(nrw + nty + 2, sizeof(*t));
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < nrw; i++, n++) {
		t[n].name = case_name(rw_cases[i].out ? "rewrite" : "reject",
				      rw_cases[i].in);
		t[n].test_func = rewrite_case;
		t[n].initial_state = (void *)&rw_cases[i];
	}
	for (i = 0; i < nty; i++, n++) {
		t[n].name =
			case_name(type_cases[i].col < 0 ? "type" : "bad type",
				  type_cases[i].type);
		t[n].test_func = type_case;
		t[n].initial_state = (void *)&type_cases[i];
	}
	t[n].name = "register names";
	t[n++].test_func = registers;
	t[n].name = "NULL input and NULL err";
	t[n++].test_func = null_and_errors;
	ret = _cmocka_run_group_tests("fetch", t, n, NULL, NULL);
	for (i = 0; i < nrw + nty; i++)
		free((char *)t[i].name);
	free(t);
	return ret;
}
