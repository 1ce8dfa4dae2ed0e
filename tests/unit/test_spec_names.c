/* SPDX-License-Identifier: MIT */
/*
 * bpftrace's probe words (uprobe:, uretprobe:, kprobe:, kretprobe:, U:)
 * parse as sonde's short ones do: every field of the spec, column for
 * column (shifted by the longer word), through spec_parse(),
 * spec_parse_pattern() and sonde_spec__parse(); their errors name the word
 * the user typed.
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

#include <sonde/sonde.h>

#include "spec/spec.h"

/* the same probe in bpftrace's words and in sonde's */
static const char *const pairs[][2] = {
	{"uprobe:/bin/bash:readline", "u:/bin/bash:readline"},
	{"uprobe:./demo:add a=arg1 b=arg2:s32",
	 "u:./demo:add a=arg1 b=arg2:s32"},
	{"uprobe:libc:malloc+0x10 arg1", "u:libc:malloc+0x10 arg1"},
	{"uprobe:./demo:0x1139", "u:./demo:0x1139"},
	{"uprobe:./prog:ns::Klass::run arg1", "u:./prog:ns::Klass::run arg1"},
	{"uprobe::malloc", "u::malloc"},
	{"uretprobe:/bin/bash:readline", "ur:/bin/bash:readline"},
	{"uretprobe:./demo:add ret=retval:x32", "ur:./demo:add ret=retval:x32"},
	{"uretprobe:./demo:add +0($retval):string",
	 "ur:./demo:add +0($retval):string"},
	{"kprobe:do_sys_open", "k:do_sys_open"},
	{"kprobe:do_sys_open+8 %di", "k:do_sys_open+8 %di"},
	{"kprobe:ext4:ext4_sync_file", "k:ext4:ext4_sync_file"},
	{"kprobe:0xffffffff81000000", "k:0xffffffff81000000"},
	{"kprobe:vfs_read arg2:u64", "k:vfs_read arg2:u64"},
	{"kretprobe:vfs_read retval", "kr:vfs_read retval"},
	{"kretprobe:do_sys_open ret=retval:s32",
	 "kr:do_sys_open ret=retval:s32"},
	{"U:./demo:fixture:tick", "usdt:./demo:fixture:tick"},
	{"U:./demo:tick", "usdt:./demo:tick"},
};

/* the same text, and its patterns, for spec_parse_pattern() */
static const char *const pattern_pairs[][2] = {
	{"kprobe:vfs_* a=%di", "k:vfs_* a=%di"},
	{"kretprobe:vfs_[rw]?ad", "kr:vfs_[rw]?ad"},
	{"uprobe:./demo:ad*", "u:./demo:ad*"},
	{"uretprobe:./demo:ns::*", "ur:./demo:ns::*"},
};

static const struct {
	const char *text;
	int col;
	const char *msg;
} bad_cases[] = {
	{"uprobe", 6,
	 "missing ':' after 'uprobe': expected uprobe:TARGET:SYMBOL"},
	{"uretprobe:", 10, "missing target after 'uretprobe:'"},
	{"uprobe:./demo", 13, "missing ':SYMBOL' after 'uprobe:./demo'"},
	{"uprobe:./demo:", 14, "expected uprobe:TARGET:SYMBOL"},
	{"uretprobe:./demo:add+4", 20, "a return probe goes at the function"},
	{"kprobe", 6, "missing ':' after 'kprobe': expected kprobe:FUNC"},
	{"kprobe:", 7,
	 "missing function after 'kprobe:': expected kprobe:FUNC"},
	{"kretprobe:vfs_read+4", 18, "a return probe goes at the function"},
	{"kprobe:vfs read", 11, ""},
	{"kprobe:f$x", 8,
	 "unexpected '$' in function name: expected "
	 "kprobe:FUNC[+OFF]"},
	/* bpftrace has no maxactive in its words: kr5: is sonde's */
	{"kretprobe5:vfs_read", 0, "unknown probe type 'kretprobe5'"},
	{"Uprobe:./demo:add", 0, "unknown probe type 'Uprobe'"},
	{"U", 1, "missing ':' after 'U'"},
	{"tracepoint5:a:b", 0,
	 "unknown probe type 'tracepoint5': expected u or uprobe, ur or "
	 "uretprobe, k or kprobe, kr or kretprobe, t or tracepoint, usdt or "
	 "U, p or r"},
};

#define assert_same_str(a, b)                                                  \
	do {                                                                   \
		if ((a) || (b)) {                                              \
			assert_non_null(a);                                    \
			assert_non_null(b);                                    \
			assert_string_equal(a, b);                             \
		}                                                              \
	} while (0)

static int shifted(int col, int shift)
{
	return col < 0 ? col : col + shift;
}

static void assert_same_spec(const struct probe_spec *l,
			     const struct probe_spec *s, int shift)
{
	size_t i;

	assert_int_equal(l->kind, s->kind);
	assert_int_equal(l->usdt, s->usdt);
	assert_same_str(l->group, s->group);
	assert_same_str(l->event, s->event);
	assert_same_str(l->target, s->target);
	assert_same_str(l->symbol, s->symbol);
	assert_same_str(l->provider, s->provider);
	assert_int_equal(l->offset, s->offset);
	assert_int_equal(l->has_offset, s->has_offset);
	assert_int_equal(l->addr, s->addr);
	assert_int_equal(l->has_addr, s->has_addr);
	assert_int_equal(l->addr_is_offset, s->addr_is_offset);
	assert_int_equal(l->maxactive, s->maxactive);
	assert_int_equal(l->pattern, s->pattern);
	assert_int_equal(l->target_col, shifted(s->target_col, shift));
	assert_int_equal(l->symbol_col, shifted(s->symbol_col, shift));
	assert_int_equal(l->nargs, s->nargs);
	for (i = 0; i < l->nargs; i++) {
		assert_same_str(l->args[i].name, s->args[i].name);
		assert_same_str(l->args[i].fetch, s->args[i].fetch);
		assert_same_str(l->args[i].type, s->args[i].type);
		assert_int_equal(l->args[i].col, s->args[i].col + shift);
	}
}

static void same_as_short(const char *const *pair, bool pattern)
{
	struct probe_spec l, s;
	struct lib_error err;
	int shift = (int)(strchr(pair[0], ':') - pair[0]) -
		    (int)(strchr(pair[1], ':') - pair[1]);
	int (*parse)(const char *, struct probe_spec *, struct lib_error *) =
		pattern ? spec_parse_pattern : spec_parse;

	if (parse(pair[1], &s, &err))
		fail_msg("'%s' refused: %s", pair[1], err.msg);
	if (parse(pair[0], &l, &err))
		fail_msg("'%s' refused at col %d: %s", pair[0], err.col,
			 err.msg);
	assert_same_spec(&l, &s, shift);
	if (pattern)
		assert_true(l.pattern);
	spec_free(&l);
	spec_free(&s);
}

static void pair_case(void **state)
{
	same_as_short(*state, false);
}

static void pattern_case(void **state)
{
	same_as_short(*state, true);
}

static void bad_case(void **state)
{
	const typeof(bad_cases[0]) *c = *state;
	struct lib_error err;
	struct probe_spec s;
	int ret = spec_parse(c->text, &s, &err);

	if (!ret) {
		spec_free(&s);
		fail_msg("'%s' was accepted", c->text);
	}
	assert_int_equal(ret, -EINVAL);
	if (err.col != c->col)
		fail_msg("'%s': caret at %d, expected %d (%s)", c->text,
			 err.col, c->col, err.msg);
	if (!strstr(err.msg, c->msg))
		fail_msg("message '%s' lacks '%s'", err.msg, c->msg);
	assert_null(strchr(err.msg, '\n'));
}

/* the public parser takes the long words too */
static void public_api(void **state)
{
	struct sonde_spec *sp;

	(void)state;
	sp = sonde_spec__parse("uretprobe:./demo:add ret=retval");
	assert_non_null(sp);
	assert_true(sonde_spec__is_return(sp));
	assert_int_equal(sonde_spec__arg_count(sp), 1);
	assert_string_equal(sonde_spec__arg_name(sp, 0), "ret");
	sonde_spec__free(sp);
	sp = sonde_spec__parse("uprobe:./demo:add a=arg1 b=arg2");
	assert_non_null(sp);
	assert_false(sonde_spec__is_return(sp));
	assert_int_equal(sonde_spec__arg_count(sp), 2);
	sonde_spec__free(sp);
	sp = sonde_spec__parse("kretprobe:vfs_*");
	assert_non_null(sp);
	assert_true(sonde_spec__is_return(sp));
	sonde_spec__free(sp);
	sp = sonde_spec__parse("kprobe:vfs_read");
	assert_non_null(sp);
	assert_false(sonde_spec__is_return(sp));
	sonde_spec__free(sp);
	errno = 0;
	assert_null(sonde_spec__parse("uprobes:./demo:add"));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	size_t np = sizeof(pairs) / sizeof(*pairs);
	size_t npat = sizeof(pattern_pairs) / sizeof(*pattern_pairs);
	size_t nbad = sizeof(bad_cases) / sizeof(*bad_cases);
	struct CMUnitTest *t = calloc(np + npat + nbad + 1, sizeof(*t));
	size_t n = 0, i;
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < np; i++, n++) {
		t[n].name = pairs[i][0];
		t[n].test_func = pair_case;
		t[n].initial_state = (void *)pairs[i];
	}
	for (i = 0; i < npat; i++, n++) {
		t[n].name = pattern_pairs[i][0];
		t[n].test_func = pattern_case;
		t[n].initial_state = (void *)pattern_pairs[i];
	}
	for (i = 0; i < nbad; i++, n++) {
		t[n].name = bad_cases[i].text;
		t[n].test_func = bad_case;
		t[n].initial_state = (void *)&bad_cases[i];
	}
	t[n].name = "sonde_spec__parse() takes the long words";
	t[n++].test_func = public_api;
	ret = _cmocka_run_group_tests("spec_names", t, n, NULL, NULL);
	free(t);
	return ret;
}
