/* SPDX-License-Identifier: MIT */
/*
 * sonde run's code generator on programs as users write them: bpftrace
 * one-liners and tool fragments (bpftrace's tutorial and reference guide)
 * are parsed and checked by lang/ (bt_parse(), bt_check()), generated,
 * and every program goes through the kernel's verifier with its maps
 * created (root and BPF: skipped otherwise). The tracepoint's fields are
 * given as the runtime gives them (a __data_loc string, an int, a user
 * pointer).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/bpf.h>

#include "bt_tree.h"

static struct bt_field tp_fields[3];

static int info(void *ctx, const struct bt_block *b, const struct bt_probe *p,
		const struct bt_field **fields, int *nfields,
		struct lib_error *err)
{
	(void)ctx, (void)b, (void)err;
	*fields = p->kind == BT_P_TRACEPOINT ? tp_fields : NULL;
	*nfields = p->kind == BT_P_TRACEPOINT ? 3 : 0;
	return 0;
}

static struct bt_compiled *compile(const char *text, struct bt_program **pp)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &err);
	struct bt_compiled *c;

	if (!p)
		fail_msg("parse: %s\n%s", err.msg, text);
	if (bt_check(p, NULL, 0, info, NULL, &err))
		fail_msg("check: %s\n%s", err.msg, text);
	c = bt_gen(p, &err);
	if (!c)
		fail_msg("gen: %s\n%s", err.msg, text);
	*pp = p;
	return c;
}

static const char *const programs[] = {
	"BEGIN { printf(\"Hello, World!\\n\"); exit(); }",
	"uprobe:/bin/bash:readline { @[comm] = count(); }",
	"uretprobe:/bin/bash:readline { printf(\"%-6d %s\\n\", pid, "
	"str(retval)); }",
	"uprobe:/bin/bash:readline /pid == 1234/ { @start[tid] = nsecs; }\n"
	"uretprobe:/bin/bash:readline /@start[tid]/ {\n"
	"  @ns[comm] = hist(nsecs - @start[tid]);\n"
	"  delete(@start[tid]);\n}",
	"uprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc { @bytes = "
	"lhist(arg0, 0, 10000, 1000); @s = sum(arg0); @a = avg(arg0); "
	"@mn = min(arg0); @mx = max(arg0); @st = stats(arg0); }",
	"uprobe:/bin/bash:readline { @[ustack] = count(); @k[func] = count(); "
	"}",
	"tracepoint:syscalls:sys_enter_openat { printf(\"%s %s %d\\n\", comm, "
	"str(args->filename), args->flags); @[args->name] = count(); }",
	"interval:s:1 { @y = 1; @x = 2; time(\"%H:%M:%S\\n\"); print(@x); "
	"clear(@x); zero(@y); }\ninterval:ms:100 { @e = elapsed; }",
	"profile:hz:99 { @[kstack] = count(); @c[cpu] = count(); }",
	"BEGIN { $a = 5; $b = $a * 2 + 1; if ($b > 10 && $a != 3) { "
	"printf(\"%d\\n\", $b / ($a - 5)); } else { printf(\"no\\n\"); } "
	"unroll(3) { $a++; } @t = ($a, \"x\", comm); @u[$a, \"k\"] = $b; "
	"$s = $a > 1 ? \"big\" : \"small\"; printf(\"%s %d\\n\", $s, @u[7, "
	"\"k\"]); exit(); }",
	"uprobe:/bin/bash:readline { @[pid, comm]++; @n += 2; @m = -arg0 >> 3; "
	"@l = (int8)arg1; @z = !arg2 || ~arg3 == 0; print(arg0); }",
	"END { printf(\"%d %d %d\\n\", uid, gid, cgroup); }",
	"uprobe:/bin/bash:readline { printf(\"%s %s\\n\", ntop(arg0), "
	"ntop(2, arg1)); @[ntop(arg2)] = count(); printf(\"%s %s %d\\n\", "
	"func, probe, rand); @k[ksym(arg3), usym(arg4)] = count(); }",
	/* buf() of strings: its data 4 bytes in, copied with aligned
	 * accesses; a hist key of 11 bytes before its bucket */
	"BEGIN { @[buf(\"ok_key\", 7), 1] = hist(1); @h[buf(\"ab\", 3)] = "
	"hist(2); @v = buf(\"ok_value\", 8); $a = nsecs ? buf(\"hi\", 2) : "
	"buf(\"bye\", 3); print($a); printf(\"%r %rx %rh %d\\n\", @v, $a, "
	"buf(comm, 4), $a == $a); }",
	"uprobe:/bin/bash:readline { @t[1, comm] = 1; if (delete(@t, (1, "
	"comm))) { print(@t[2, \"x\"]); } @p = *(int16 *)arg0; }",
};

static void test_programs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct bt_program *p = NULL;
		struct bt_compiled *c = compile(programs[i], &p);

		if (bt_can_bpf())
			bt_load_all(c);
		bt_compiled_free(c);
		bt_program_free(p);
	}
	if (!bt_can_bpf()) {
		print_message("needs root and BPF to load\n");
		skip();
	}
}

/* args->name, a __data_loc string: its bytes where the u32 locator's low
 * half points in the record, read as a kernel string */
static void test_data_loc(void **state)
{
	struct bt_program *p = NULL;
	struct bt_compiled *c = compile("tracepoint:sched:sched_process_exec { "
					"@[args->name] = count(); }",
					&p);
	const struct bt_cprog *cp = &c->progs[0];
	size_t k;
	bool locator = false, mask = false, read = false;

	(void)state;
	for (k = 0; k < cp->ninsns; k++) {
		const struct bpf_insn *in = &cp->insns[k];

		locator |= in->code == (BPF_LDX | BPF_MEM | BPF_W) &&
			   in->src_reg == BPF_REG_6 && in->off == 8;
		mask |= in->code == (BPF_ALU64 | BPF_AND | BPF_K) &&
			in->imm == 0xffff;
		read |= in->code == (BPF_JMP | BPF_CALL) &&
			in->imm == BPF_FUNC_probe_read_kernel_str;
	}
	assert_true(locator && mask && read);
	if (bt_can_bpf())
		bt_load_all(c);
	bt_compiled_free(c);
	bt_program_free(p);
}

/* what the generator cannot do is refused at its place, never changed */
static void test_refused_with_place(void **state)
{
	static const char *const text[][2] = {
		{"BEGIN {\n  @x = uaddr(\"GLOBAL_A\");\n}", "uaddr()"},
		/* not in /proc/kallsyms: bpftrace's words */
		{"BEGIN {\n  @x = kaddr(\"asdfzzzzzzz\");\n}",
		 "Failed to resolve kernel symbol: asdfzzzzzzz"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(text) / sizeof(*text); i++) {
		struct lib_error err = LIB_ERROR_INIT(0);
		struct bt_program *p = bt_parse(text[i][0], "t.bt", &err);
		struct bt_compiled *c;

		assert_non_null(p);
		assert_int_equal(bt_check(p, NULL, 0, info, NULL, &err), 0);
		c = bt_gen(p, &err);
		assert_null(c);
		assert_non_null(strstr(err.msg, "t.bt:2:"));
		assert_non_null(strstr(err.msg, text[i][1]));
		bt_program_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_data_loc),
		cmocka_unit_test(test_refused_with_place),
	};

	tp_fields[0] = (struct bt_field){.name = "filename",
					 .offset = 24,
					 .type = {.kind = BT_T_PTR,
						  .size = 8,
						  .isize = 1,
						  .is_user = true}};
	tp_fields[1] = (struct bt_field){.name = "flags",
					 .offset = 32,
					 .type = {.kind = BT_T_INT,
						  .size = 8,
						  .isize = 4,
						  .is_signed = true}};
	tp_fields[2] = (struct bt_field){
		.name = "name",
		.offset = 8,
		.data_loc = true,
		.type = {.kind = BT_T_STR, .size = 64, .strsize = 64}};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
