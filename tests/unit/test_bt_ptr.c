/* SPDX-License-Identifier: MIT */
/*
 * sonde run: pointers and the integer and tuple rules around them.
 * lang/'s types for casts to int8*..uint64* and ptr +/- n, the code
 * generator's scaling by the pointee's size, then whole BEGIN programs
 * run through the public API (root and BPF: skipped otherwise), their
 * text compared with what bpftrace 0.17 prints for the same programs on
 * this machine (printf's %d of pointers: 0x10 + 3 int16s is 22), or, for
 * what 0.17 refuses (tuple map keys, hist(x, 0), str($1 + 1)'s word
 * parameter, the unreachable statement's warning) with newer
 * bpftrace's expected output (its tests/runtime).
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
#include <sonde/sonde.h>

#include "bt_tree.h"

static struct bt_program *checked(const char *text, char **params, int np,
				  struct lib_error *err)
{
	struct bt_program *p = bt_parse(text, "stdin", err);

	if (!p)
		fail_msg("parse: %s\n%s", err->msg, text);
	if (bt_check(p, params, np, NULL, NULL, err)) {
		bt_program_free(p);
		return NULL;
	}
	return p;
}

static void test_types(void **state)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_program *p =
		checked("BEGIN { @ = (int32*) 0x32; @ += 1; @++; "
			"$p = (uint8 *)1; $q = $p + 2; $r = 3 + (int16*)0; "
			"$d = $p - 1; $n = $p * 2; $c = $p > 1; }",
			NULL, 0, &err);
	const struct bt_block *b;

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->nmaps, 1);
	assert_int_equal(p->maps[0].value.kind, BT_T_PTR);
	assert_int_equal(p->maps[0].value.isize, 4);
	assert_true(p->maps[0].value.is_user); /* BEGIN: sonde's own */
	b = &p->blocks[0];
	assert_int_equal(b->nvars, 6);
	/* $p $q $r $d: pointers; $n (ptr * 2) and $c: integers */
	assert_int_equal(b->var_types[0].kind, BT_T_PTR);
	assert_int_equal(b->var_types[0].isize, 1);
	assert_false(b->var_types[0].is_signed);
	assert_int_equal(b->var_types[1].kind, BT_T_PTR);
	assert_int_equal(b->var_types[2].kind, BT_T_PTR);
	assert_int_equal(b->var_types[2].isize, 2);
	assert_int_equal(b->var_types[3].kind, BT_T_PTR);
	assert_int_equal(b->var_types[4].kind, BT_T_INT);
	assert_int_equal(b->var_types[5].kind, BT_T_INT);
	bt_program_free(p);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"BEGIN { $x = (struct foo *)1; }",
		"BEGIN { $x = (int32 *)\"a\"; }",
		"BEGIN { $x = 1 ? printf(\"a\") : printf(\"b\"); }",
		"BEGIN { @ = hist(1, 2); }",
		"BEGIN { printf(\"%s\", str($1 + 6)); }",
	};
	char *params[] = {"hello"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct lib_error err = LIB_ERROR_INIT(0);
		struct bt_program *p = checked(bad[i], params, 1, &err);

		if (p)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err.msg, "ERROR"));
	}
}

/* what follows exit() or return in its block: bpftrace's warning, once
 * per block, at the first statement left out */
static void test_unreachable(void **state)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_program *p =
		checked("i:ms:100 { @++; exit(); @++ }\n"
			"BEGIN { if (1) { return; @x = 1; @y = 2; } @z = 3; }",
			NULL, 0, &err);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->nwarnings, 2);
	assert_non_null(strstr(p->warnings[0],
			       "stdin:1:25-28: WARNING: Unreachable statement\n"
			       "i:ms:100 { @++; exit(); @++ }\n"
			       "                        ~~~"));
	assert_non_null(strstr(p->warnings[1], "stdin:2:"));
	bt_program_free(p);
	p = checked("BEGIN { @++; if (1) { exit(); } @++; }", NULL, 0, &err);
	assert_non_null(p);
	assert_int_equal(p->nwarnings, 0);
	bt_program_free(p);
}

/* ptr + n: n times the pointee's size; ++ on an int64 pointer adds 8 */
static void test_scaled(void **state)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_program *p = checked("BEGIN { @a = (int32*)0x32 + nsecs; "
				       "$b = (int64*)nsecs; $b++; }",
				       NULL, 0, &err);
	struct bt_compiled *c;
	bool mul4 = false, add8 = false;

	(void)state;
	assert_non_null(p);
	c = bt_gen(p, &err);
	assert_non_null(c);
	for (size_t k = 0; k < c->progs[0].ninsns; k++) {
		const struct bpf_insn *in = &c->progs[0].insns[k];

		mul4 |= in->code == (BPF_ALU64 | BPF_MUL | BPF_K) &&
			in->imm == 4;
		add8 |= in->code == (BPF_ALU64 | BPF_ADD | BPF_K) &&
			in->imm == 8;
	}
	assert_true(mul4 && add8);
	if (bt_can_bpf())
		bt_load_all(c);
	bt_compiled_free(c);
	bt_program_free(p);
}

/* the program's whole output: BEGIN runs, exit() ends it, maps printed */
static char *run(const char *text, char **params, int np)
{
	struct sonde_run_opts o = {.sz = sizeof(o),
				   .text = text,
				   .filename = "stdin",
				   .params = params,
				   .nparams = np};
	struct sonde_run *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int i;

	assert_non_null(out);
	o.out = out;
	r = sonde_run__open(&o);
	assert_non_null(r);
	if (sonde_run__compile(r) || sonde_run__start(r))
		fail_msg("%s: %s", text, sonde_run__errmsg(r));
	for (i = 0; i < 100 && !sonde_run__exited(r); i++)
		assert_true(sonde_run__poll(r, 50) >= 0);
	assert_true(sonde_run__exited(r));
	assert_int_equal(sonde_run__end(r), 0);
	sonde_run__close(r);
	fclose(out);
	return buf;
}

static void expect_run(const char *text, char *param, const char *want)
{
	char *params[] = {param};
	char *got = run(text, params, param ? 1 : 0);

	if (!strstr(got, want))
		fail_msg("%s\nwanted: %s\ngot: %s", text, want, got);
	free(got);
}

static void test_run(void **state)
{
	(void)state;
	NEED_BPF();
	/* bpftrace 0.17 on these programs: "22 20 26 1", "54 46 58",
	 * "yes\nno", "@x: 1" */
	expect_run("BEGIN { $a = (int16*)0x10; $a += 3; $b = $a - 1; "
		   "$c = 2 + $a; printf(\"%d %d %d %d\\n\", $a, $b, $c, "
		   "$a > 0x10); exit(); }",
		   NULL, "22 20 26 1\n");
	expect_run("BEGIN { @d = 3; @p = (int32*)0x32; @p++; $q = @p; "
		   "@p -= @d; $r = (int64*)0x32; ++$r; "
		   "printf(\"%d %d %d\\n\", $q, @p, $r); exit(); }",
		   NULL, "54 42 58\n");
	expect_run("BEGIN { 1 ? printf(\"yes\\n\") : printf(\"no\\n\"); "
		   "0 ? printf(\"yes\\n\") : printf(\"no\\n\"); exit(); }",
		   NULL, "yes\nno\n");
	expect_run("BEGIN { @x = 1; exit(); @x = 2; }", NULL, "@x: 1\n");
	/* newer bpftrace's tests/runtime (variable, other, regression) */
	expect_run("BEGIN { @a[(int16)-1, ((int32)-2, 3)] = 10; "
		   "$c = ((int8)-4, ((int16)-5, -6)); @a[$c] = 12; exit(); }",
		   NULL, "@a[-1, (-2, 3)]: 10\n@a[-4, (-5, -6)]: 12\n");
	expect_run("BEGIN { printf(\"%s|%s\\n\", str($1 + 1), str($1 + 5)); "
		   "exit(); }",
		   "hello", "ello|\n");
	expect_run("BEGIN { @h = hist(3, 0); exit(); }", NULL,
		   "[2, 4)                 1 |");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_scaled),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
