/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint specs (spec_tracepoint.c), their expansion over a directory
 * laid out as tracefs's events/ (resolve/tracepoint.c) and a format cut to
 * the fields the ARGS name (args/tracepoint_fields.c). The format texts
 * are the host kernel's own (6.18), copied verbatim.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "args/tracepoint_fields.h"
#include "decode/decode.h"
#include "resolve/tracepoint.h"
#include "spec/spec.h"

static const char exec_format[] =
	"name: sched_process_exec\n"
	"ID: 365\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\t"
	"signed:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filename), "
	"REC->pid, REC->old_pid\n";

/* syscalls keep each argument in an unsigned long slot (6.18's format) */
static const char openat_format[] =
	"name: sys_enter_openat\n"
	"ID: 711\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\t"
	"signed:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, "
	"mode: 0x%08lx\", ((unsigned long)(REC->dfd)), "
	"((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), "
	"((unsigned long)(REC->mode))\n";

struct ok_case {
	const char *text;
	const char *system, *event;
	bool pattern;
	const char *args; /* "NAME=FIELD ..." */
	int target_col, symbol_col;
};

static const struct ok_case ok_cases[] = {
	{"t:sched:sched_process_exec", "sched", "sched_process_exec", false,
	 NULL, 2, 8},
	{"tracepoint:sched:sched_process_exec", "sched", "sched_process_exec",
	 false, NULL, 11, 17},
	{"t:syscalls:sys_enter_write fd count", "syscalls", "sys_enter_write",
	 false, "fd=fd count=count", 2, 11},
	{"t:syscalls:sys_enter_write n=count fd", "syscalls", "sys_enter_write",
	 false, "n=count fd=fd", 2, 11},
	{"t:syscalls:sys_enter_open*", "syscalls", "sys_enter_open*", true,
	 NULL, 2, 11},
	{"t:sch?d:*", "sch?d", "*", true, NULL, 2, 8},
	{"t:9p:p9_client_req", "9p", "p9_client_req", false, NULL, 2, 5},
	{"t:sched:sched_process_[ef]*", "sched", "sched_process_[ef]*", true,
	 NULL, 2, 8},
};

struct bad_case {
	const char *text;
	int col;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"t", 1, "missing ':' after 't'"},
	{"tracepoint", 10, "missing ':' after 'tracepoint'"},
	{"t:sched", 7, "missing ':EVENT' after 't:sched'"},
	{"t::x", 2, "missing system name"},
	{"t:sched:", 8, "missing event name"},
	{"t:sched:a:b", 9, "unexpected ':' after the event name"},
	{"t:sch/ed:x", 5, "unexpected '/' in system name"},
	{"t:sched:x-y", 9, "unexpected '-' in event name"},
	{"t:sched:x +0(%di)", 10, "unexpected '+'"},
	{"t:sched:x a=", 12, "missing FIELD after '='"},
	{"t:sched:x 1a=pid", 10, "bad argument name '1a'"},
	{"t:sched:x pid pid", 14, "argument name 'pid' is used twice"},
	{"t:sched:x pid:u32", 13, "unexpected ':'"},
};

static void args_text(const struct probe_spec *sp, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sp->nargs; i++) {
		assert_null(sp->args[i].type);
		n += snprintf(buf + n, len - n, "%s%s=%s", i ? " " : "",
			      sp->args[i].name, sp->args[i].fetch);
	}
}

static void test_ok(void **state)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	struct probe_spec sp, copy;
	char args[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(*ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];

		print_message("# %s\n", c->text);
		assert_int_equal(spec_parse_pattern(c->text, &sp, &e), 0);
		assert_int_equal(sp.kind, PROBE_TRACEPOINT);
		assert_string_equal(sp.group, c->system);
		assert_string_equal(sp.event, c->event);
		assert_null(sp.symbol);
		assert_null(sp.target);
		assert_int_equal(sp.pattern, c->pattern);
		assert_int_equal(sp.target_col, c->target_col);
		assert_int_equal(sp.symbol_col, c->symbol_col);
		args_text(&sp, args, sizeof(args));
		assert_string_equal(args, c->args ? c->args : "");
		/* what each probe of a pattern is made from */
		assert_int_equal(spec_copy(&copy, &sp), 0);
		assert_string_equal(copy.group, c->system);
		assert_int_equal(copy.nargs, sp.nargs);
		spec_free(&copy);
		spec_free(&sp);
	}
}

static void test_bad(void **state)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	struct probe_spec sp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		print_message("# %s\n", c->text);
		assert_int_equal(spec_parse_pattern(c->text, &sp, &e), -EINVAL);
		if (!strstr(e.msg, c->msg))
			fail_msg("'%s': got '%s', want '%s'", c->text, e.msg,
				 c->msg);
		assert_int_equal(e.col, c->col);
	}
}

/* A tracefs root in a temporary directory: events/SYS/EV/format files,
 * and what is not an event (events/enable, a directory with no format). */
static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/sonde-tp-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("events/enable", "0\n");
	put("events/header_page", "x\n");
	put("events/sched/enable", "0\n");
	put("events/sched/sched_process_exec/format", exec_format);
	put("events/sched/sched_process_fork/format", exec_format);
	put("events/sched/sched_switch/format", exec_format);
	put("events/sched/not_an_event/enable", "0\n");
	put("events/syscalls/sys_enter_openat/format", exec_format);
	put("events/syscalls/sys_enter_open/format", exec_format);
	put("events/syscalls/sys_exit_open/format", exec_format);
	return 0;
}

static int teardown_root(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) ? -1 : 0;
}

static char *expand(const char *text, int max, int *err, struct lib_error *e)
{
	struct probe_spec sp;
	struct tp_matches m;
	char *out = calloc(1, 1024);
	size_t i, n = 0;

	assert_int_equal(spec_parse_pattern(text, &sp, e), 0);
	*err = tp_expand(root, &sp, max, &m, e);
	for (i = 0; !*err && i < m.n; i++)
		n += snprintf(out + n, 1024 - n, "%s%s:%s", i ? " " : "",
			      m.v[i].system, m.v[i].event);
	tp_matches_free(&m);
	spec_free(&sp);
	return out;
}

static void test_expand(void **state)
{
	struct lib_error e = LIB_ERROR_INIT(1024);
	char *got;
	int err;

	(void)state;
	got = expand("t:sched:sched_process_*", 0, &err, &e);
	assert_int_equal(err, 0);
	assert_string_equal(got, "sched:sched_process_exec "
				 "sched:sched_process_fork");
	free(got);
	got = expand("t:*:*open*", 0, &err, &e);
	assert_int_equal(err, 0);
	assert_string_equal(got, "syscalls:sys_enter_open "
				 "syscalls:sys_enter_openat "
				 "syscalls:sys_exit_open");
	free(got);
	got = expand("t:sched:*", 0, &err, &e);
	assert_string_equal(got, "sched:sched_process_exec "
				 "sched:sched_process_fork sched:sched_switch");
	free(got);
	got = expand("t:sched:sched_switch", 0, &err, &e);
	assert_string_equal(got, "sched:sched_switch");
	free(got);
	/* the limit, as for function patterns */
	free(expand("t:sched:*", 2, &err, &e));
	assert_int_equal(err, -E2BIG);
	assert_non_null(strstr(e.msg, "matches 3 tracepoints, more than the "
				      "limit of 2"));
	free(expand("t:sched:not_an_event", 0, &err, &e));
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(e.msg, "no tracepoint 'sched:not_an_event'"));
	assert_int_equal(e.col, 8);
	free(expand("t:nosys:x", 0, &err, &e));
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(e.msg, "no tracepoint system 'nosys'"));
	assert_int_equal(e.col, 2);
	free(expand("t:sched:zz*", 0, &err, &e));
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(e.msg, "no tracepoint matches 'sched:zz*'"));
}

static void test_read_format(void **state)
{
	char *text = tp_read_format(root, "sched", "sched_process_exec");

	(void)state;
	assert_non_null(text);
	assert_string_equal(text, exec_format);
	free(text);
	errno = 0;
	assert_null(tp_read_format(root, "sched", "nope"));
	assert_int_equal(errno, ENOENT);
}

static void parse_exec(struct event_format *ef)
{
	assert_int_equal(event_format_parse_sys(exec_format, "sched", ef), 0);
	assert_int_equal(ef->id, 365);
	assert_string_equal(ef->system, "sched");
	assert_int_equal(ef->nfields, 3);
}

static void test_fields(void **state)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	struct event_format ef;
	struct probe_spec sp;

	(void)state;
	/* no ARGS: every field, as the kernel names and places them */
	parse_exec(&ef);
	assert_int_equal(spec_parse("t:sched:sched_process_exec", &sp, &e), 0);
	assert_int_equal(tp_select_fields(&ef, &sp, &e), 0);
	assert_int_equal(ef.nfields, 3);
	assert_string_equal(ef.fields[0].name, "filename");
	assert_int_equal(ef.fields[0].type, FT_STRING);
	assert_true(ef.fields[0].is_dynamic);
	assert_int_equal(ef.fields[0].offset, 8);
	assert_string_equal(ef.fields[2].name, "old_pid");
	assert_int_equal(ef.fields[2].type, FT_SIGNED);
	assert_int_equal(ef.fields[2].offset, 16);
	spec_free(&sp);
	event_format_free(&ef);

	/* ARGS: their order, NAME=FIELD renames, offsets stay */
	parse_exec(&ef);
	assert_int_equal(spec_parse("t:sched:sched_process_exec old_pid "
				    "f=filename",
				    &sp, &e),
			 0);
	assert_int_equal(tp_select_fields(&ef, &sp, &e), 0);
	assert_int_equal(ef.nfields, 2);
	assert_string_equal(ef.fields[0].name, "old_pid");
	assert_int_equal(ef.fields[0].offset, 16);
	assert_string_equal(ef.fields[1].name, "f");
	assert_int_equal(ef.fields[1].offset, 8);
	assert_int_equal(ef.fields[1].type, FT_STRING);
	assert_int_equal(ef.id, 365);
	spec_free(&sp);
	event_format_free(&ef);

	/* a field it lacks: its column, and the fields it has */
	parse_exec(&ef);
	assert_int_equal(
		spec_parse("t:sched:sched_process_exec pid x=nope", &sp, &e),
		0);
	assert_int_equal(tp_select_fields(&ef, &sp, &e), -EINVAL);
	assert_string_equal(e.msg, "sched:sched_process_exec has no field "
				   "'nope'; its fields: filename pid old_pid");
	assert_int_equal(e.col, 33);
	assert_int_equal(ef.nfields, 3);
	spec_free(&sp);
	event_format_free(&ef);
}

/* "int dfd" in an 8-byte slot is an int: the slot's low 4 bytes, signed
 * (AT_FDCWD is -100 whatever the upper half holds) */
static void test_syscall_types(void **state)
{
	struct event_format ef;
	struct field_value v;
	uint8_t rec[48] = {0};
	uint64_t slot = 0xdeadbeefffffff9cull; /* upper half: not defined */

	(void)state;
	assert_int_equal(event_format_parse_sys(openat_format, "syscalls", &ef),
			 0);
	assert_int_equal(ef.nfields, 5);
	assert_string_equal(ef.fields[1].name, "dfd");
	assert_int_equal(ef.fields[1].size, 4);
	assert_int_equal(ef.fields[1].type, FT_SIGNED);
	memcpy(rec + 16, &slot, 8);
	assert_int_equal(field_decode(&ef.fields[1], rec, sizeof(rec), &v), 0);
	assert_int_equal((int64_t)v.u, -100);
	/* a pointer and a typedef the name does not size stay whole */
	assert_int_equal(ef.fields[2].size, 8);
	assert_int_equal(ef.fields[2].type, FT_HEX);
	assert_int_equal(ef.fields[4].size, 8);
	/* unsigned int: 4 bytes, unsigned */
	assert_int_equal(ef.fields[3].size, 4);
	assert_int_equal(ef.fields[3].type, FT_UNSIGNED);
	event_format_free(&ef);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_read_format),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_syscall_types),
	};

	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
