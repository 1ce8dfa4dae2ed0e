/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints on the bpf backend (backend/bpf/tracepoint.c): what the
 * program copies of a record (the fixed part, then each __data_loc and
 * __rel_loc field's bytes), and which fields count and hist read in the
 * kernel, with their kind. The formats are written here with their
 * offsets, so every expected number is read off the text below; the
 * second is the host kernel's sched_process_exec, copied verbatim.
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

#include "internal.h"
#include "backend/bpf/bpf_int.h"
#include "backend/bpf/bpf_stream.h"

#define COMMON                                                                 \
	"format:\n"                                                            \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\t"    \
	"signed:0;\n"                                                          \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"             \
	"\n"

static const char mixed_format[] =
	"name: mixed\n"
	"ID: 1234\n" COMMON
	"\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:int val;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:__rel_loc char[] rel;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 addr;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:char comm[16];\toffset:32;\tsize:16;\tsigned:0;\n"
	"\tfield:unsigned char flag;\toffset:48;\tsize:1;\tsigned:0;\n"
	"\tfield:short odd;\toffset:49;\tsize:2;\tsigned:1;\n"
	"\n"
	"print fmt: \"name=%s val=%d rel=%s addr=0x%llx comm=%s flag=%u "
	"odd=%d\", __get_str(name), REC->val, __get_rel_str(rel), REC->addr, "
	"REC->comm, REC->flag, REC->odd\n";

static const char exec_format[] =
	"name: sched_process_exec\n"
	"ID: 365\n" COMMON
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filename), "
	"REC->pid, REC->old_pid\n";

static struct probe *tp_probe(const char *text)
{
	struct probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->spec.kind = PROBE_TRACEPOINT;
	p->name = "ev";
	assert_int_equal(event_format_parse_sys(text, "test", &p->fmt), 0);
	return p;
}

static void tp_free(struct probe *p)
{
	event_format_free(&p->fmt);
	free(p);
}

static void test_layout(void **state)
{
	struct gen_tp_dyn dyn[GEN_TP_MAX_DYN];
	struct probe *p = tp_probe(mixed_format);
	unsigned int fixed = 0;
	size_t n = 0;

	(void)state;
	assert_true(bpf_is_tracepoint(p));
	assert_int_equal(bpf_tp_layout(p, dyn, &n, &fixed), 0);
	/* the end of its last field: odd, at 49, 2 bytes */
	assert_int_equal(fixed, 51);
	assert_int_equal(n, 2);
	assert_int_equal(dyn[0].offset, 8);
	assert_false(dyn[0].relative);
	assert_int_equal(dyn[0].field, 0);
	assert_int_equal(dyn[1].offset, 16);
	assert_true(dyn[1].relative);
	assert_int_equal(dyn[1].field, 2);
	tp_free(p);

	p = tp_probe(exec_format);
	assert_int_equal(bpf_tp_layout(p, dyn, &n, &fixed), 0);
	assert_int_equal(fixed, 20);
	assert_int_equal(n, 1);
	assert_int_equal(dyn[0].offset, 8);
	tp_free(p);
}

/* A format of n __data_loc fields (and fixed bytes up to end). */
static char *many_format(int n, unsigned int end)
{
	size_t cap = 512 + 96 * (size_t)n, len;
	char *t = malloc(cap);
	int i;

	assert_non_null(t);
	len = (size_t)snprintf(t, cap, "name: many\nID: 99\n" COMMON);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"\tfield:__data_loc char[] s%d;\t"
					"offset:%d;\tsize:4;\tsigned:0;\n",
					i, 8 + 4 * i);
	len += (size_t)snprintf(t + len, cap - len,
				"\tfield:char pad[%u];\toffset:%d;\tsize:%u;\t"
				"signed:0;\n\nprint fmt: \"x\"\n",
				end - (8 + 4 * n), 8 + 4 * n,
				end - (8 + 4 * n));
	return t;
}

static void test_layout_limits(void **state)
{
	struct gen_tp_dyn dyn[GEN_TP_MAX_DYN];
	char why[256], *text;
	unsigned int fixed;
	struct probe *p;
	size_t n;

	(void)state;
	text = many_format(GEN_TP_MAX_DYN, 200);
	p = tp_probe(text);
	assert_int_equal(bpf_tp_layout(p, dyn, &n, &fixed), 0);
	assert_int_equal(n, GEN_TP_MAX_DYN);
	assert_int_equal(fixed, 200);
	assert_int_equal(bpf_tp_fit(p, why, sizeof(why)), 0);
	tp_free(p);
	free(text);

	/* one dynamic field more than the program copies: refused */
	text = many_format(GEN_TP_MAX_DYN + 1, 200);
	p = tp_probe(text);
	assert_int_equal(bpf_tp_layout(p, dyn, &n, &fixed), -E2BIG);
	assert_int_equal(bpf_tp_fit(p, why, sizeof(why)), -E2BIG);
	assert_non_null(strstr(why, "cannot copy tracepoint ev"));
	tp_free(p);
	free(text);

	/* a fixed part past where the strings start (STREAM_CUR_MASK) */
	text = many_format(1, STREAM_CUR_MASK);
	p = tp_probe(text);
	assert_int_equal(bpf_tp_layout(p, dyn, &n, &fixed), -E2BIG);
	tp_free(p);
	free(text);
}

static void test_fields(void **state)
{
	struct probe *p = tp_probe(mixed_format);
	enum sonde_agg_key_kind kind;
	struct gsrc_spec g;
	char why[256];

	(void)state;
	assert_int_equal(bpf_tp_field(p, "val", &g, &kind, why, sizeof(why)),
			 0);
	assert_int_equal(g.src, GS_CTX);
	assert_int_equal(g.regoff, 12);
	assert_int_equal(g.size, 4);
	assert_true(g.is_signed);
	assert_int_equal(kind, SONDE_AGG_KEY_SIGNED);

	assert_int_equal(bpf_tp_field(p, "addr", &g, &kind, why, sizeof(why)),
			 0);
	assert_int_equal(g.regoff, 24);
	assert_int_equal(g.size, 8);
	assert_false(g.is_signed);
	assert_int_equal(kind, SONDE_AGG_KEY_HEX); /* printed 0x%llx */

	assert_int_equal(bpf_tp_field(p, "flag", &g, &kind, why, sizeof(why)),
			 0);
	assert_int_equal(g.regoff, 48);
	assert_int_equal(g.size, 1);
	assert_int_equal(kind, SONDE_AGG_KEY_UNSIGNED);

	assert_int_equal(bpf_tp_field(p, "name", &g, &kind, why, sizeof(why)),
			 -ENOTSUP);
	assert_string_equal(why, "the bpf backend aggregates integer fields, "
				 "and 'name' of ev is a string");
	assert_int_equal(bpf_tp_field(p, "comm", &g, &kind, why, sizeof(why)),
			 -ENOTSUP);
	/* the verifier takes aligned reads of the record only */
	assert_int_equal(bpf_tp_field(p, "odd", &g, &kind, why, sizeof(why)),
			 -ENOTSUP);
	assert_string_equal(why, "the bpf backend cannot read field 'odd' of "
				 "ev (offset 49, size 2)");
	assert_int_equal(bpf_tp_field(p, "nosuch", &g, &kind, why, sizeof(why)),
			 -EINVAL);
	tp_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_layout_limits),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
