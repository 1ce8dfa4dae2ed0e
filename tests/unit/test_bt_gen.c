/* SPDX-License-Identifier: MIT */
/*
 * sonde run's code generator (backend/bpf/bt_gen*.c): checked trees,
 * built here node by node as sema.c leaves them, are compiled; their
 * maps are created as the runtime creates them and every program is
 * loaded through the kernel's verifier (root and BPF: skipped
 * otherwise). Where the meaning rests on one instruction (signed or
 * unsigned compare, the zero divisor, user or kernel reads) the
 * instructions are checked too.
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

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bt_tree.h"

/* does program i have an instruction with this code (and imm, if >= 0)? */
static bool has(const struct bt_compiled *c, int i, uint8_t code, int64_t imm)
{
	size_t k;

	for (k = 0; k < c->progs[i].ninsns; k++)
		if (c->progs[i].insns[k].code == code &&
		    (imm < 0 || c->progs[i].insns[k].imm == imm))
			return true;
	return false;
}

static size_t count(const struct bt_compiled *c, int i, uint8_t code,
		    int32_t imm)
{
	size_t k, n = 0;

	for (k = 0; k < c->progs[i].ninsns; k++)
		n += c->progs[i].insns[k].code == code &&
		     c->progs[i].insns[k].imm == imm;
	return n;
}

/* BEGIN { printf("%d %s\n", pid, comm); exit(); } */
static void test_printf_exit(void **state)
{
	struct bt_program *p =
		prog_new("BEGIN { printf(\"%d %s\\n\", pid, comm); exit(); }");
	struct bt_block *b = block_add(p, BT_P_BEGIN, "BEGIN");
	struct bt_compiled *c;

	(void)state;
	stmt_add(b, expr(printf_(p, "%d %s\n", ty_tuple(2, T_U64, ty_str(16)),
				 2, bi("pid"), bi("comm"))));
	stmt_add(b, expr(call("exit", T_NONE, 0)));
	c = bt_gen_ok(p);
	assert_int_equal(c->nprogs, 1);
	assert_true(c->ringbuf >= 0);
	/* small enough for the stack: no scratch map lookup; the lookups
	 * are the lost map's, one after each message (printf, exit) */
	assert_int_equal(count(c, 0, BPF_JMP | BPF_CALL,
			       BPF_FUNC_map_lookup_elem),
			 count(c, 0, BPF_JMP | BPF_CALL,
			       BPF_FUNC_ringbuf_output));
	assert_int_equal(count(c, 0, BPF_JMP | BPF_CALL,
			       BPF_FUNC_ringbuf_output),
			 2);
	assert_int_equal(c->maps[c->ringbuf].kind, BT_M_RINGBUF);
	/* a message the ring has no room for is counted in the lost map */
	assert_true(c->lost >= 0);
	assert_int_equal(c->maps[c->lost].kind, BT_M_LOST);
	assert_true(has(c, 0, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_ADD));
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_ringbuf_output));
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_get_current_comm));
	/* the printf asks how full the ring is (no wake-up per event); the
	 * exit message forces a wake-up */
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_ringbuf_query));
	assert_true(has(c, 0, BPF_ALU64 | BPF_MOV | BPF_K, BPF_RB_NO_WAKEUP));
	assert_true(has(c, 0, BPF_ALU64 | BPF_MOV | BPF_K, BPF_RB_FORCE_WAKEUP));
	assert_string_equal(c->probe_names[0], "BEGIN");
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* uprobe /arg0 > 5/ { @[tid] = count(); @s[comm] = sum(arg1);
 * @h = hist(arg2); @l = lhist(arg2, 0, 100, 10); @mn = min(arg0);
 * @mx = max(retval); @a = avg(arg0); @st = stats(arg1); } */
static void test_aggregations(void **state)
{
	struct bt_program *p = prog_new("u:/bin/true:main /arg0 > 5/ { }");
	struct bt_block *b = block_add(p, BT_P_UPROBE, "u:/bin/true:main");
	struct bt_type lh = ty_kind(BT_T_LHIST);
	struct bt_compiled *c;
	int i;

	(void)state;
	lh.lmin = 0, lh.lmax = 100, lh.lstep = 10;
	b->pred = binop('>', bi("arg0"), num(5));
	stmt_add(b, assign(map(p, "", T_U64, ty_kind(BT_T_COUNT), 1, bi("tid")),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, assign(map(p, "s", ty_str(16), ty_kind(BT_T_SUM), 1,
			       bi("comm")),
			   '=', call("sum", ty_kind(BT_T_SUM), 1, bi("arg1"))));
	stmt_add(b, assign(map(p, "h", T_NONE, ty_kind(BT_T_HIST), 0), '=',
			   call("hist", ty_kind(BT_T_HIST), 1, bi("arg2"))));
	stmt_add(b, assign(map(p, "l", T_NONE, lh, 0), '=',
			   call("lhist", lh, 4, bi("arg2"), num(0), num(100),
				num(10))));
	stmt_add(b, assign(map(p, "mn", T_NONE, ty_kind(BT_T_MIN), 0), '=',
			   call("min", ty_kind(BT_T_MIN), 1, bi("arg0"))));
	stmt_add(b, assign(map(p, "mx", T_NONE, ty_kind(BT_T_MAX), 0), '=',
			   call("max", ty_kind(BT_T_MAX), 1, bi("retval"))));
	stmt_add(b, assign(map(p, "a", T_NONE, ty_kind(BT_T_AVG), 0), '=',
			   call("avg", ty_kind(BT_T_AVG), 1, bi("arg0"))));
	stmt_add(b, assign(map(p, "st", T_NONE, ty_kind(BT_T_STATS), 0), '=',
			   call("stats", ty_kind(BT_T_STATS), 1, bi("arg1"))));
	c = bt_gen_ok(p);
	/* the maps by kind and layout (bt.h) */
	assert_int_equal(c->maps[0].kind, BT_M_PERCPU);
	assert_int_equal(c->maps[0].value_size, 8);
	assert_int_equal(c->maps[1].key_size, 16);
	assert_int_equal(c->maps[2].kind, BT_M_PERCPU_HIST);
	assert_int_equal(c->maps[2].key_size, 16);
	assert_int_equal(c->maps[4].value_size, 16);
	for (i = 0; i < 8; i++)
		assert_int_equal(c->maps[i].map, i);
	/* arg0 > 5, both signed: a signed compare */
	assert_true(has(c, 0, BPF_JMP | BPF_JSGT | BPF_X, -1));
	assert_false(has(c, 0, BPF_JMP | BPF_JGT | BPF_X, -1));
	/* counts are added atomically (uprobes run preemptible) */
	assert_true(has(c, 0, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_ADD));
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* uprobe { $x = arg0 / (uint64)arg1; $y = $x % 3;
 * if ($x < 1 && $y != 2) { @m[$x, comm] = str(arg0, 8); }
 * else { delete(@m[1, "a"]); } @c[pid]++; @v[pid] += 5; $x >> 2 } */
static void test_vars_if_maps(void **state)
{
	struct bt_program *p = prog_new("u:/bin/true:main { }");
	struct bt_block *b = block_add(p, BT_P_UPROBE, "u:/bin/true:main");
	struct bt_type key = ty_tuple(2, T_S64, ty_str(16));
	struct bt_node *iff, *cast, *inc;
	struct bt_compiled *c;

	(void)state;
	cast = nd(BT_N_CAST, T_U64, 1, 1, bi("arg1"));
	stmt_add(b,
		 assign(var(b, "x", T_S64), '=', binop('/', bi("arg0"), cast)));
	stmt_add(b, assign(var(b, "y", T_S64), '=',
			   binop('%', var(b, "x", T_S64), num(3))));
	iff = nd(BT_N_IF, T_NONE, 2, 1,
		 binop(BT_OP_LAND, binop('<', var(b, "x", T_S64), num(1)),
		       binop(BT_OP_NE, var(b, "y", T_S64), num(2))));
	iff->body =
		nd(BT_N_BLOCK, T_NONE, 2, 1,
		   assign(map(p, "m", key, ty_str(8), 2, var(b, "x", T_S64),
			      bi("comm")),
			  '=', call("str", ty_str(8), 2, bi("arg0"), num(8))));
	iff->orelse = nd(
		BT_N_BLOCK, T_NONE, 3, 1,
		expr(call("delete", T_NONE, 1,
			  map(p, "m", key, ty_str(8), 2, num(1), str("a")))));
	stmt_add(b, iff);
	inc = nd(BT_N_UNOP, T_U64, 4, 1,
		 map(p, "c", T_U64, T_U64, 1, bi("pid")));
	inc->op = BT_OP_POSTINC;
	stmt_add(b, expr(inc));
	stmt_add(b,
		 assign(map(p, "v", T_U64, T_U64, 1, bi("pid")), '+', num(5)));
	stmt_add(b, expr(binop(BT_OP_SHR, var(b, "x", T_S64), num(2))));
	c = bt_gen_ok(p);
	/* / and % are unsigned (bpftrace 0.17) */
	assert_true(has(c, 0, BPF_ALU64 | BPF_DIV | BPF_X, -1));
	assert_true(has(c, 0, BPF_ALU64 | BPF_MOD | BPF_X, -1));
	/* $x < 1: signed; >> logical */
	assert_true(has(c, 0, BPF_JMP | BPF_JSLT | BPF_X, -1));
	assert_true(has(c, 0, BPF_ALU64 | BPF_RSH | BPF_X, -1));
	assert_false(has(c, 0, BPF_ALU64 | BPF_ARSH | BPF_X, -1));
	/* a uprobe's str() reads user memory */
	assert_true(
		has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_probe_read_user_str));
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_map_delete_elem));
	assert_int_equal(c->maps[0].key_size, 24);
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* mixed signedness compares unsigned: (uint32)arg0 < arg1 */
static void test_unsigned_compare(void **state)
{
	struct bt_program *p = prog_new("u:/bin/true:main { }");
	struct bt_block *b = block_add(p, BT_P_UPROBE, "u:/bin/true:main");
	struct bt_compiled *c;

	(void)state;
	b->pred =
		binop('<', nd(BT_N_CAST, T_U32, 1, 1, bi("arg0")), bi("arg1"));
	c = bt_gen_ok(p);
	assert_true(has(c, 0, BPF_JMP | BPF_JLT | BPF_X, -1));
	assert_false(has(c, 0, BPF_JMP | BPF_JSLT | BPF_X, -1));
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* tracepoint { @[str(args->filename)] = count(); printf("%s\n", args->name) }
 * with args->name a __data_loc string, kernel reads */
static void test_tracepoint(void **state)
{
	struct bt_program *p = prog_new("t:syscalls:sys_enter_openat { }");
	struct bt_block *b = block_add(p, BT_P_TRACEPOINT, "t:x:y");
	struct bt_type ptr = {
		.kind = BT_T_PTR, .size = 8, .is_user = true, .isize = 1};
	struct bt_node *fname, *name, *flags;
	struct bt_compiled *c;

	(void)state;
	fname = named(BT_N_FIELD, "filename", ptr);
	fname->off = 24;
	name = named(BT_N_FIELD, "name", ty_str(64));
	name->off = 8;
	name->data_loc = true;
	flags = named(BT_N_FIELD, "flags",
		      (struct bt_type){.kind = BT_T_INT,
				       .size = 8,
				       .isize = 4,
				       .is_signed = true});
	flags->off = 32;
	stmt_add(b, assign(map(p, "", ty_str(64), ty_kind(BT_T_COUNT), 1,
			       call("str", ty_str(64), 1, fname)),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, expr(printf_(p, "%s %d\n", ty_tuple(2, ty_str(64), T_S64),
				 2, name, flags)));
	c = bt_gen_ok(p);
	assert_int_equal(c->progs[0].prog_type, BPF_PROG_TYPE_TRACEPOINT);
	/* the user pointer is read as user memory, the record's string as
	 * kernel memory; int flags read 4 bytes, sign-extended */
	assert_true(
		has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_probe_read_user_str));
	assert_true(
		has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_probe_read_kernel_str));
	assert_true(has(c, 0, BPF_LDX | BPF_MEM | BPF_W, -1));
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* interval { print(@x); clear(@x); zero(@y); time("%H\n"); @e = elapsed;
 * @k[kstack] = count(); @u[ustack] = count(); $s = "abc";
 * if ($s == comm) { @t = (1, "x"); } unroll(3) { $i++ } return } */
static void test_interval_misc(void **state)
{
	struct bt_program *p = prog_new("interval:s:1 { }");
	struct bt_block *b = block_add(p, BT_P_INTERVAL, "interval:s:1");
	struct bt_type tup = ty_tuple(2, T_S64, ty_str(2));
	struct bt_node *iff, *un, *inc, *pr, *tm;
	struct bt_compiled *c;

	(void)state;
	pr = call("print", T_NONE, 1, map(p, "x", T_NONE, T_S64, 0));
	stmt_add(b, expr(pr));
	stmt_add(b,
		 expr(call("clear", T_NONE, 1, map(p, "x", T_NONE, T_S64, 0))));
	stmt_add(b,
		 expr(call("zero", T_NONE, 1, map(p, "y", T_NONE, T_S64, 0))));
	tm = call("time", T_NONE, 1, str("%H\n"));
	tm->id = 0;
	stmt_add(b, expr(tm));
	stmt_add(b, assign(map(p, "e", T_NONE, T_U64, 0), '=', bi("elapsed")));
	stmt_add(b, assign(map(p, "k", bi("kstack")->type, ty_kind(BT_T_COUNT),
			       1, bi("kstack")),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, assign(map(p, "u", bi("ustack")->type, ty_kind(BT_T_COUNT),
			       1, bi("ustack")),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, assign(var(b, "s", ty_str(4)), '=', str("abc")));
	iff = nd(BT_N_IF, T_NONE, 1, 1,
		 binop(BT_OP_EQ, var(b, "s", ty_str(4)), bi("comm")));
	iff->body = nd(BT_N_BLOCK, T_NONE, 1, 1,
		       assign(map(p, "t", T_NONE, tup, 0), '=',
			      nd(BT_N_TUPLE, tup, 1, 2, num(1), str("x"))));
	stmt_add(b, iff);
	inc = nd(BT_N_UNOP, T_S64, 1, 1, var(b, "i", T_S64));
	inc->op = BT_OP_PREINC;
	un = nd(BT_N_UNROLL, T_NONE, 1, 0);
	un->num = 3;
	un->body = nd(BT_N_BLOCK, T_NONE, 1, 1, expr(inc));
	stmt_add(b, un);
	stmt_add(b, nd(BT_N_RETURN, T_NONE, 1, 0));
	c = bt_gen_ok(p);
	assert_int_equal(c->progs[0].prog_type, BPF_PROG_TYPE_PERF_EVENT);
	assert_true(c->stacks >= 0 && c->elapsed >= 0);
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_get_stackid));
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* printf of eight 64-byte strings: more than the stack holds, so the
 * scratch map's value is used (and the map sized for it) */
static void test_scratch_map(void **state)
{
	struct bt_program *p = prog_new("u:/bin/true:main { }");
	struct bt_block *b = block_add(p, BT_P_UPROBE, "u:/bin/true:main");
	struct bt_type s64 = ty_str(64);
	struct bt_compiled *c;

	(void)state;
	stmt_add(b, expr(printf_(
			    p, "%s%s%s%s%s%s%s%s",
			    ty_tuple(8, s64, s64, s64, s64, s64, s64, s64, s64),
			    8, call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")))));
	c = bt_gen_ok(p);
	assert_true(c->scratch >= 0);
	assert_true(c->maps[c->scratch].value_size >= 16 + 8 * 64);
	assert_true(has(c, 0, BPF_JMP | BPF_CALL, BPF_FUNC_map_lookup_elem));
	NEED_BPF();
	bt_load_all(c);
	bt_compiled_free(c);
}

/* what cannot be generated is refused with its place */
static void test_refused(void **state)
{
	struct bt_program *p = prog_new("BEGIN {\n  $x = &y;\n}\n");
	struct bt_block *b = block_add(p, BT_P_BEGIN, "BEGIN");
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_node *amp = nd(BT_N_UNOP, T_U64, 2, 1, num(1));

	(void)state;
	amp->op = '&';
	amp->loc = (struct bt_loc){2, 7, 1};
	stmt_add(b, assign(var(b, "x", T_U64), '=', amp));
	assert_null(bt_gen(p, &err));
	assert_int_equal(err.err, ENOTSUP);
	assert_non_null(strstr(err.msg, "test.bt:2:8: "));
	assert_int_equal(err.col, 8 + 7);
}

/* --dry-run: bpftool's form, the source line before its instructions */
static void test_dump(void **state)
{
	struct bt_program *p = prog_new("BEGIN { @x = pid; }");
	struct bt_block *b = block_add(p, BT_P_BEGIN, "BEGIN");
	struct bt_compiled *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	stmt_add(b, assign(map(p, "x", T_NONE, T_U64, 0), '=', bi("pid")));
	c = bt_gen_ok(p);
	f = open_memstream(&text, &len);
	bt_gen_dump(c, f);
	fclose(f);
	assert_non_null(strstr(text, "BEGIN:\n; BEGIN { @x = pid; }\n"));
	assert_non_null(strstr(text, "   0: (bf) r6 = r1\n"));
	assert_non_null(strstr(text, "call bpf_get_current_pid_tgid#14\n"));
	assert_non_null(strstr(text, "(77) r0 >>= 32\n"));
	assert_non_null(strstr(text, "(95) exit\n"));
	/* the scratch area fits on the stack: r9 is its bottom */
	assert_non_null(strstr(text, "(07) r9 += -512\n"));
	free(text);
	bt_compiled_free(c);
}

static int release(void **state)
{
	(void)state;
	bt_tree_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf_exit),
		cmocka_unit_test(test_aggregations),
		cmocka_unit_test(test_vars_if_maps),
		cmocka_unit_test(test_unsigned_compare),
		cmocka_unit_test(test_tracepoint),
		cmocka_unit_test(test_interval_misc),
		cmocka_unit_test(test_scratch_map),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, release);
}
