/* SPDX-License-Identifier: MIT */
/*
 * The argument compiler (args/fetch_plan.c, args/record_format.c), without
 * root. References: the kernel's fetcharg semantics
 * (Documentation/trace/uprobetracer.rst, kprobetrace.rst: %REG $stack
 * $stackN $retval $comm @ADDR @+OFF +|-[u]OFF(FETCH) \IMM \"str", types
 * uNN sNN xNN string ustring symbol b<W>@<O>/<S> TYPE[N], x64 by
 * default, string for $comm), the perf register numbers of
 * arch/x86/include/uapi/asm/perf_regs.h, the x86-64 struct pt_regs of
 * arch/x86/include/asm/ptrace.h, and the format files kernel 6.18 gave
 * the same definitions (unit/data/format_plan_*, capture_plan.sh).
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

#include "args/fetch_plan.h"
#include "backend/bpf/bpf_int.h"
#include "decode/decode.h"
#include "spec/spec.h"

#define DATA_DIR SRC_FIXTURE_DIR "/../unit/data/"

/* capture_plan.sh's definitions */
#define ENT_ARGS                                                               \
	"a=%di:s32 b=%si:x16 s=+0(%di):string st=$stack1 c=$comm "             \
	"bf=+0(%di):b4@2/32 arr=+0(%di):x8[3] u=+0(%di):ustring i=\\7 "        \
	"e=$stack q=+1(%di):u8 d=$stack0 w=+0(%di):u64 h=+0(%di):s16[2] "      \
	"ar1=+0(%di):u32[1] t=\\\"hi\" g=@+0x2000:u32 p=+8(+0(%di)):s64 "      \
	"m=-8(%sp):x32 r15=%r15:u8"
#define RET_ARGS "r=$retval:s32 x=%ax"

struct compiled {
	struct probe_spec spec;
	struct fetch_plan *plan;
};

static void compile(struct compiled *c, const char *text)
{
	struct lib_error err = LIB_ERROR_SPEC_INIT;

	memset(c, 0, sizeof(*c));
	if (spec_parse(text, &c->spec, &err))
		fail_msg("spec '%s': %s", text, err.msg);
	c->plan = fetch_plan_compile(&c->spec);
	assert_non_null(c->plan);
}

static void release(struct compiled *c)
{
	fetch_plan_free(c->plan);
	spec_free(&c->spec);
}

static const struct fetch_arg *arg(const struct compiled *c, size_t i)
{
	assert_int_equal(c->plan->error.err, 0);
	assert_true(i < c->plan->nargs);
	return &c->plan->args[i];
}

static char *slurp(const char *name)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	f = fopen(path, "re");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* %REG: perf_regs.h numbers, and the pt_regs slot the bpf program reads;
 * no TYPE: x64 (8 bytes, hex). Each value follows the last at its size,
 * after common_* and __probe_ip (16 bytes). */
static void test_registers(void **state)
{
	static const struct {
		int perf;
		int pt_regs;
	} want[] = {
		{5, 112}, /* di */
		{23, 0},  /* r15 */
		{8, 128}, /* ip */
		{7, 152}, /* sp */
		{9, 144}, /* flags */
		{0, 80},  /* ax */
		{16, 72}, /* r8 */
	};
	struct compiled c;
	size_t i;

	(void)state;
	compile(&c, "p:g/e /bin/true:0x1000 a=%di b=%r15:s8 c=%ip:u32 "
		    "d=%sp:u16 f=%flags:x32 x=%ax r=%r8:s64");
	for (i = 0; i < 7; i++) {
		const struct fetch_arg *a = arg(&c, i);

		assert_int_equal(a->base, FETCH_REG);
		assert_int_equal(a->reg, want[i].perf);
		assert_int_equal(a->nderef, 0);
		assert_int_equal(gen_reg_offset(perf_reg_names[a->reg]),
				 want[i].pt_regs);
	}
	assert_int_equal(arg(&c, 0)->elem, 8);
	assert_true(arg(&c, 0)->hex);
	assert_false(arg(&c, 0)->is_signed);
	assert_int_equal(arg(&c, 1)->elem, 1);
	assert_true(arg(&c, 1)->is_signed);
	/* offsets: 16 +8 +1 +4 +2 +4 +8 (+8) */
	assert_int_equal(arg(&c, 0)->offset, 16);
	assert_int_equal(arg(&c, 1)->offset, 24);
	assert_int_equal(arg(&c, 2)->offset, 25);
	assert_int_equal(arg(&c, 3)->offset, 29);
	assert_int_equal(arg(&c, 4)->offset, 31);
	assert_int_equal(arg(&c, 5)->offset, 35);
	assert_int_equal(arg(&c, 6)->offset, 43);
	assert_int_equal(c.plan->fixed, 51);
	release(&c);
}

/* argN: the x86-64 SysV integer argument registers, in order. */
static void test_portable_args(void **state)
{
	static const int want[] = {5, 4, 3, 2, 16, 17}; /* di si dx cx r8 r9 */
	struct compiled c;
	size_t i;

	(void)state;
	compile(&c, "u:/bin/true:0x1000 arg1 arg2 arg3 arg4 arg5 arg6");
	for (i = 0; i < 6; i++) {
		assert_int_equal(arg(&c, i)->base, FETCH_REG);
		assert_int_equal(arg(&c, i)->reg, want[i]);
	}
	release(&c);
}

/* $stack is sp itself, $stackN the Nth word above it; +|-OFF(FETCH) one
 * deref each, innermost first. */
static void test_stack_and_derefs(void **state)
{
	struct compiled c;
	const struct fetch_arg *a;

	(void)state;
	compile(&c, "p:g/e /bin/true:0x1000 s=$stack s3=$stack3 m=-8(%sp):x32 "
		    "n=+16($stack):u64 p=+8(+0(%di)):u32 "
		    "q=-0x10(+0x20(+8(%si))):s16");
	a = arg(&c, 0);
	assert_int_equal(a->base, FETCH_STACK);
	assert_int_equal(a->nderef, 0);
	a = arg(&c, 1);
	assert_int_equal(a->base, FETCH_STACKN);
	assert_int_equal(a->imm, 3);
	a = arg(&c, 2);
	assert_int_equal(a->base, FETCH_REG);
	assert_int_equal(a->reg, 7);
	assert_int_equal(a->nderef, 1);
	assert_int_equal(a->deref[0], -8);
	assert_int_equal(a->elem, 4);
	assert_true(a->hex);
	a = arg(&c, 3);
	assert_int_equal(a->base, FETCH_STACK);
	assert_int_equal(a->nderef, 1);
	assert_int_equal(a->deref[0], 16);
	a = arg(&c, 4);
	assert_int_equal(a->nderef, 2);
	assert_int_equal(a->deref[0], 0);
	assert_int_equal(a->deref[1], 8);
	a = arg(&c, 5);
	assert_int_equal(a->reg, 4);
	assert_int_equal(a->nderef, 3);
	assert_int_equal(a->deref[0], 8);
	assert_int_equal(a->deref[1], 0x20);
	assert_int_equal(a->deref[2], -0x10);
	assert_int_equal(a->nparen, 3);
	assert_int_equal(a->nuser, 0);
	release(&c);
}

/* @ADDR reads memory at ADDR, @+OFF at OFF in the probed file; \IMM is
 * the value itself. */
static void test_addresses_and_immediates(void **state)
{
	struct compiled c;
	const struct fetch_arg *a;

	(void)state;
	compile(&c, "p:g/e /bin/true:0x1000 a=@0x601040:u32 f=@+0x2000:x16 "
		    "i=\\7 n=\\-5:s64 h=\\0x10:x32");
	a = arg(&c, 0);
	assert_int_equal(a->base, FETCH_IMM);
	assert_int_equal(a->imm, 0x601040);
	assert_int_equal(a->nderef, 1);
	assert_int_equal(a->deref[0], 0);
	a = arg(&c, 1);
	assert_int_equal(a->base, FETCH_FILEOFF);
	assert_int_equal(a->imm, 0x2000);
	assert_int_equal(a->nderef, 1);
	a = arg(&c, 2);
	assert_int_equal(a->base, FETCH_IMM);
	assert_int_equal(a->imm, 7);
	assert_int_equal(a->nderef, 0);
	assert_int_equal(arg(&c, 3)->imm, -5);
	assert_true(arg(&c, 3)->is_signed);
	assert_int_equal(arg(&c, 4)->imm, 0x10);
	release(&c);
}

/* string/ustring: a 32-bit __data_loc in the fixed part; $comm and \"str"
 * are strings without a TYPE. +uOFF: user memory (kprobetrace.rst). */
static void test_strings(void **state)
{
	struct compiled c;
	const struct fetch_arg *a;

	(void)state;
	compile(&c, "p:g/e /bin/true:0x1000 s=+0(%di):string c=$comm "
		    "t=\\\"hi,there\" u=+8(%si):ustring x=%ax:u8");
	a = arg(&c, 0);
	assert_true(a->is_string);
	assert_false(a->user_string);
	assert_int_equal(a->elem, 4);
	a = arg(&c, 1);
	assert_int_equal(a->base, FETCH_COMM);
	assert_true(a->is_string);
	a = arg(&c, 2);
	assert_int_equal(a->base, FETCH_IMMSTR);
	assert_string_equal(a->str, "hi,there");
	assert_true(a->is_string);
	a = arg(&c, 3);
	assert_true(a->user_string);
	assert_int_equal(a->deref[0], 8);
	assert_int_equal(arg(&c, 4)->offset, 32);
	assert_int_equal(c.plan->fixed, 33);
	release(&c);

	compile(&c, "k:vfs_read a=+u8(%di):u32 b=+0(+u8(%si)):u32 "
		    "c=+u0(+u0(%dx)):ustring");
	assert_int_equal(arg(&c, 0)->nuser, 1);
	assert_int_equal(arg(&c, 0)->nparen, 1);
	assert_int_equal(arg(&c, 1)->nuser, 1);
	assert_int_equal(arg(&c, 1)->nparen, 2);
	assert_int_equal(arg(&c, 2)->nuser, 2);
	assert_true(arg(&c, 2)->user_string);
	release(&c);
}

/* Types: sizes, signedness, arrays (TYPE[N]: N values), bitfields
 * (b<W>@<O>/<S>: a container of S bits), symbol (an address, u64). */
static void test_types(void **state)
{
	struct event_format ef;
	struct compiled c;
	const struct fetch_arg *a;

	(void)state;
	compile(&c, "k:vfs_read h=+0(%di):s16[2] x=+0(%di):x8[3] "
		    "bf=+0(%di):b4@2/32 sy=%di:symbol one=+0(%di):u32[1] "
		    "sa=+0(%di):symbol[2] d=%si");
	a = arg(&c, 0);
	assert_int_equal(a->elem, 2);
	assert_int_equal(a->count, 2);
	assert_true(a->is_signed);
	a = arg(&c, 1);
	assert_int_equal(a->elem, 1);
	assert_int_equal(a->count, 3);
	assert_true(a->hex);
	a = arg(&c, 2);
	assert_int_equal(a->elem, 4);
	assert_int_equal(a->bf_width, 4);
	assert_int_equal(a->bf_off, 2);
	a = arg(&c, 3);
	assert_true(a->symbol);
	assert_int_equal(a->elem, 8);
	a = arg(&c, 4);
	assert_true(a->array);
	assert_int_equal(a->count, 1);
	assert_int_equal(c.plan->fixed, 16 + 4 + 3 + 4 + 8 + 4 + 16 + 8);

	assert_int_equal(fetch_plan_event_format(c.plan, &c.spec, "e", 7, &ef),
			 0);
	assert_int_equal(ef.nfields, 7);
	assert_int_equal(ef.fields[0].type, FT_ARRAY);
	assert_int_equal(ef.fields[0].size, 4);
	assert_int_equal(ef.fields[0].elem_size, 2);
	assert_true(ef.fields[0].is_signed);
	assert_int_equal(ef.fields[1].type, FT_ARRAY);
	assert_true(ef.fields[1].hex);
	assert_int_equal(ef.fields[2].type, FT_UNSIGNED);
	assert_int_equal(ef.fields[3].type, FT_SYMBOL);
	assert_int_equal(ef.fields[4].type, FT_ARRAY);
	assert_int_equal(ef.fields[4].count, 1);
	assert_int_equal(ef.fields[5].type, FT_ARRAY);
	assert_int_equal(ef.fields[5].size, 16);
	assert_int_equal(ef.fields[6].type, FT_HEX); /* x64 by default */
	assert_string_equal(ef.probe_ip.name, "__probe_ip");
	assert_int_equal(ef.probe_ip.offset, 8);
	event_format_free(&ef);
	release(&c);
}

/* What only the kernel fetches is refused, naming the argument. */
static void test_refusals(void **state)
{
	struct event_format ef;
	struct compiled c;

	(void)state;
	compile(&c, "k:vfs_read ok=%di a=$arg1");
	assert_int_equal(c.plan->error.err, ENOTSUP);
	assert_int_equal(c.plan->error_arg, 1);
	assert_int_equal(c.plan->error.col, c.spec.args[1].col);
	assert_string_equal(c.plan->error.msg,
			    "argument 'a=$arg1' needs the kernel's own fetch");
	assert_null(c.plan->args);
	assert_int_equal(fetch_plan_event_format(c.plan, &c.spec, "e", 1, &ef),
			 -EINVAL);
	assert_null(fetch_plan_format_text(c.plan, &c.spec, "e", 1));
	release(&c);

	compile(&c, "k:vfs_read j=@jiffies:u64");
	assert_int_equal(c.plan->error.err, ENOTSUP);
	release(&c);

	/* orig_ax is in pt_regs but not among the sampled user registers */
	compile(&c, "p:g/e /bin/true:0x1000 o=%orig_ax");
	assert_int_equal(c.plan->error.err, ENOTSUP);
	release(&c);

	compile(&c, "p:g/e /bin/true:0x1000 s=+0(%di):string bad=%di:symstr");
	assert_int_equal(c.plan->error.err, EINVAL);
	assert_int_equal(c.plan->error_arg, 1);
	assert_string_equal(
		c.plan->error.msg,
		"argument 'bad=%di:symstr' cannot be computed from a sample");
	release(&c);
}

/* common_type is a u16: an event id beyond it has no format. */
static void test_event_id_range(void **state)
{
	struct event_format ef;
	struct compiled c;

	(void)state;
	compile(&c, "p:g/e /bin/true:0x1000 a=%di");
	assert_int_equal(fetch_plan_event_format(c.plan, &c.spec, "e", 0, &ef),
			 -EINVAL);
	assert_int_equal(
		fetch_plan_event_format(c.plan, &c.spec, "e", 0x10000, &ef),
		-EINVAL);
	assert_int_equal(
		fetch_plan_event_format(c.plan, &c.spec, "e", 0xffff, &ef), 0);
	event_format_free(&ef);
	release(&c);
}

static void same_field(const struct field_layout *x,
		       const struct field_layout *y)
{
	if (!x->name || !y->name) {
		assert_ptr_equal(x->name, y->name);
		return;
	}
	assert_string_equal(x->name, y->name);
	assert_int_equal(x->type, y->type);
	assert_int_equal(x->offset, y->offset);
	assert_int_equal(x->size, y->size);
	assert_int_equal(x->elem_size, y->elem_size);
	assert_int_equal(x->count, y->count);
	assert_int_equal(x->is_signed, y->is_signed);
	assert_int_equal(x->hex, y->hex);
	assert_int_equal(x->is_dynamic, y->is_dynamic);
	assert_int_equal(x->is_relative, y->is_relative);
}

/* The kernel's format file for the same definition: the text byte for
 * byte, and the structs built directly are those decode.c reads from it
 * (libtraceevent). */
static void kernel_format(const char *file, const char *name, const char *args)
{
	struct event_format built, parsed;
	struct compiled c;
	char text[1024], *kernel, *ours;
	size_t i;
	int id;

	kernel = slurp(file);
	assert_int_equal(sscanf(strstr(kernel, "ID: "), "ID: %d", &id), 1);
	snprintf(text, sizeof(text), "%s:sondeplan/%s /bin/true:0x1000 %s",
		 strncmp(name, "plan_ret", 8) ? "p" : "r", name, args);
	compile(&c, text);
	ours = fetch_plan_format_text(c.plan, &c.spec, name, id);
	assert_non_null(ours);
	assert_string_equal(ours, kernel);
	assert_int_equal(
		fetch_plan_event_format(c.plan, &c.spec, name, id, &built), 0);
	assert_int_equal(event_format_parse(kernel, &parsed), 0);
	assert_int_equal(built.id, parsed.id);
	assert_string_equal(built.name, parsed.name);
	assert_int_equal(built.common_pid_offset, parsed.common_pid_offset);
	same_field(&built.probe_ip, &parsed.probe_ip);
	same_field(&built.func, &parsed.func);
	same_field(&built.ret_ip, &parsed.ret_ip);
	assert_int_equal(built.nfields, parsed.nfields);
	for (i = 0; i < built.nfields; i++)
		same_field(&built.fields[i], &parsed.fields[i]);
	event_format_free(&built);
	event_format_free(&parsed);
	free(ours);
	free(kernel);
	release(&c);
}

static void test_kernel_format_entry(void **state)
{
	(void)state;
	kernel_format("format_plan_ent", "plan_ent", ENT_ARGS);
}

static void test_kernel_format_return(void **state)
{
	(void)state;
	kernel_format("format_plan_ret", "plan_ret", RET_ARGS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_portable_args),
		cmocka_unit_test(test_stack_and_derefs),
		cmocka_unit_test(test_addresses_and_immediates),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_event_id_range),
		cmocka_unit_test(test_kernel_format_entry),
		cmocka_unit_test(test_kernel_format_return),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
