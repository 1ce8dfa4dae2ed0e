/* SPDX-License-Identifier: MIT */
/*
 * inject_line(): FIELD=VALUE checked against formats as the kernel prints
 * them (a uprobe's, sched_process_exec's, sched_switch's), and the line
 * the kernel's inject parser takes
 * (kernel/trace/trace_events_inject.c): values it would cut to the
 * field's size are refused, strings are quoted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode/inject_line.h"

#define COMMON                                                                 \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\t"    \
	"signed:0;\n"                                                          \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

/* sonde format 'u:fixture_pie:add a=arg1:s32 b=arg2:u8 s=+0(arg1):string'
 * on 6.18 */
static const char uprobe_fmt[] =
	"name: add\nID: 2326\nformat:\n" COMMON
	"\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:s32 a;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:u8 b;\toffset:20;\tsize:1;\tsigned:0;\n"
	"\tfield:__data_loc char[] s;\toffset:21;\tsize:4;\tsigned:1;\n"
	"\tfield:u64 big;\toffset:25;\tsize:8;\tsigned:0;\n"
	"\tfield:s64 neg;\toffset:33;\tsize:8;\tsigned:1;\n"
	"\tfield:u16 arr[4];\toffset:41;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"(%lx) a=%d b=%u s=\\\"%s\\\" big=%llu neg=%lld "
	"arr={%u,%u,%u,%u}\", REC->__probe_ip, REC->a, REC->b, __get_str(s), "
	"REC->big, REC->neg, REC->arr[0], REC->arr[1], REC->arr[2], "
	"REC->arr[3]\n";

/* events/sched/sched_process_exec/format on 6.18 */
static const char exec_fmt[] =
	"name: sched_process_exec\nID: 365\nformat:\n" COMMON
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filename), "
	"REC->pid, REC->old_pid\n";

/* events/sched/sched_switch/format on 6.18, its print fmt shortened */
static const char switch_fmt[] =
	"name: sched_switch\nID: 372\nformat:\n" COMMON
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"prev_comm=%s prev_pid=%d\", REC->prev_comm, "
	"REC->prev_pid\n";

struct line_case {
	const char *fmt;
	const char *values[4];
	const char *line; /* NULL: refused */
	int err;
	const char *msg;
};

static const struct line_case cases[] = {
	{uprobe_fmt, {"a=-5", "b=255", "s=hello"}, "a=-5 b=255 s=\"hello\""},
	{uprobe_fmt, {"a=2147483647", "b=0xff"}, "a=2147483647 b=0xff"},
	{uprobe_fmt, {"a=-2147483648", "b=0377"}, "a=-2147483648 b=0377"},
	{uprobe_fmt,
	 {"big=18446744073709551615", "neg=-9223372036854775808"},
	 "big=18446744073709551615 neg=-9223372036854775808"},
	{uprobe_fmt, {"s='quoted \"inside\"'"}, "s='quoted \"inside\"'"},
	{uprobe_fmt, {"s=\"already\""}, "s=\"already\""},
	{uprobe_fmt, {"s=it's"}, "s=\"it's\""},
	{uprobe_fmt, {"s="}, "s=\"\""},
	{uprobe_fmt, {"__probe_ip=0x401000"}, "__probe_ip=0x401000"},
	{uprobe_fmt, {NULL}, ""},
	{exec_fmt,
	 {"filename=/bin/true", "pid=42", "old_pid=41"},
	 "filename=\"/bin/true\" pid=42 old_pid=41"},
	{switch_fmt,
	 {"prev_comm=fifteen-chars-x", "prev_state=-1"},
	 "prev_comm=\"fifteen-chars-x\" prev_state=-1"},
	/* refused */
	{uprobe_fmt, {"b=256"}, NULL, ERANGE, "b is u8: 256 does not fit"},
	{uprobe_fmt, {"a=2147483648"}, NULL, ERANGE, "a is s32"},
	{uprobe_fmt, {"a=-2147483649"}, NULL, ERANGE, "does not fit"},
	{uprobe_fmt, {"big=18446744073709551616"}, NULL, ERANGE, "big is u64"},
	{uprobe_fmt, {"b=-1"}, NULL, EINVAL, "b is unsigned (u8): '-1'"},
	{uprobe_fmt, {"a=1x"}, NULL, EINVAL, "'1x' is not one"},
	{uprobe_fmt, {"a=+1"}, NULL, EINVAL, "'+1' is not one"},
	{uprobe_fmt, {"a= 1"}, NULL, EINVAL, "is not one"},
	{uprobe_fmt, {"a=-"}, NULL, EINVAL, "is not one"},
	{uprobe_fmt, {"a=08"}, NULL, EINVAL, "'08' is not one"},
	{uprobe_fmt,
	 {"c=1"},
	 NULL,
	 EINVAL,
	 "add has no field 'c': it has a, b, s, big, neg and arr"},
	{uprobe_fmt,
	 {"common_pid=1"},
	 NULL,
	 EINVAL,
	 "common_pid is set by the kernel"},
	{uprobe_fmt, {"a"}, NULL, EINVAL, "'a' is not FIELD=VALUE"},
	{uprobe_fmt, {"=1"}, NULL, EINVAL, "is not FIELD=VALUE"},
	{uprobe_fmt, {"a=1", "a=2"}, NULL, EINVAL, "a is set twice"},
	{uprobe_fmt, {"arr=1"}, NULL, EINVAL, "arr is an array"},
	{uprobe_fmt, {"s=both'and\""}, NULL, EINVAL, "both ' and \""},
	{uprobe_fmt, {"s=ends\\"}, NULL, EINVAL, "final \\"},
	{uprobe_fmt, {"s=\"a\"b\""}, NULL, EINVAL, "would end it early"},
	{switch_fmt,
	 {"prev_comm=sixteen-chars-xx"},
	 NULL,
	 ERANGE,
	 "prev_comm holds at most 15 characters: the value has 16"},
	{exec_fmt,
	 {"pid=1", "filename=x", "old_pid=1", "nope=2"},
	 NULL,
	 EINVAL,
	 "sched_process_exec has no field 'nope': it has filename, "
	 "pid and old_pid"},
};

static const char *c_name(const char *fmt)
{
	return fmt == uprobe_fmt ? "uprobe"
	       : fmt == exec_fmt ? "sched_process_exec"
				 : "sched_switch";
}

static void line_case(void **state)
{
	const struct line_case *c = *state;
	struct lib_error err = LIB_ERROR_INIT(0);
	struct event_format ef = {0};
	char *line = NULL;
	int n = 0, ret;

	while (n < 4 && c->values[n])
		n++;
	assert_int_equal(event_format_parse(c->fmt, &ef), 0);
	ret = inject_line(&ef, c->values, n, &line, &err);
	if (c->line) {
		if (ret)
			fail_msg("refused: %s", err.msg);
		assert_string_equal(line, c->line);
	} else {
		if (!ret)
			fail_msg("accepted as '%s'", line);
		assert_int_equal(ret, -c->err);
		assert_null(line);
		if (!strstr(err.msg, c->msg))
			fail_msg("message '%s' lacks '%s'", err.msg, c->msg);
		assert_null(strchr(err.msg, '\n'));
	}
	free(line);
	event_format_free(&ef);
}

/* strings up to the kernel's 255 characters, and no more */
static void long_strings(void **state)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct event_format ef = {0};
	char v[300], *line = NULL;
	const char *vals[1] = {v};

	(void)state;
	assert_int_equal(event_format_parse(uprobe_fmt, &ef), 0);
	memset(v, 'x', sizeof(v));
	memcpy(v, "s=", 2);
	v[2 + 255] = '\0';
	assert_int_equal(inject_line(&ef, vals, 1, &line, &err), 0);
	assert_int_equal(strlen(line), 2 + 255 + 2);
	free(line);
	v[2 + 255] = 'x';
	v[2 + 256] = '\0';
	assert_int_equal(inject_line(&ef, vals, 1, &line, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "at most 255 characters"));
	event_format_free(&ef);
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(*cases), i;
	struct CMUnitTest *t = calloc(n + 1, sizeof(*t));
	char *names[sizeof(cases) / sizeof(*cases)];
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < n; i++) {
		if (asprintf(&names[i], "%s%s %s", c_name(cases[i].fmt),
			     cases[i].line ? "" : " refuses",
			     cases[i].values[0] ? cases[i].values[0] : "") < 0)
			return 1;
		t[i].name = names[i];
		t[i].test_func = line_case;
		t[i].initial_state = (void *)&cases[i];
	}
	t[n].name = "strings of 255 characters, not 256";
	t[n].test_func = long_strings;
	ret = _cmocka_run_group_tests("inject_line", t, n + 1, NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(t);
	return ret;
}
