// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, text -> tree (lang/lex.c, parse.c, probe.c): every
 * program of tests/unit/data/bt_programs.txt (bpftrace's tutorial, its
 * classic tools, cases in the manner of its tests/runtime; each one that
 * bpftrace 0.17 parses, checked with `bpftrace -d`) parses; the tree's
 * shape is the one `bpftrace -d` prints after its parser (precedence,
 * associativity, else if, casts, unary chains); syntax and probe errors
 * are bpftrace 0.17's own three lines, byte for byte, as it printed them
 * here for the same program; and every prefix of every program parses or
 * fails cleanly (run under ASan in the sanitizer build).
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

#define PROGRAMS SRC_FIXTURE_DIR "/../unit/data/bt_programs.txt"

static const char *op_name(int op)
{
	static char one[2];

	switch (op) {
	case BT_OP_EQ:
		return "==";
	case BT_OP_NE:
		return "!=";
	case BT_OP_LE:
		return "<=";
	case BT_OP_GE:
		return ">=";
	case BT_OP_LAND:
		return "&&";
	case BT_OP_LOR:
		return "||";
	case BT_OP_SHL:
		return "<<";
	case BT_OP_SHR:
		return ">>";
	case BT_OP_ARROW:
		return "->";
	case BT_OP_PREINC:
		return "pre++";
	case BT_OP_PREDEC:
		return "pre--";
	case BT_OP_POSTINC:
		return "post++";
	case BT_OP_POSTDEC:
		return "post--";
	}
	one[0] = (char)op;
	return one;
}

/* The tree as an s-expression, the order of bpftrace -d's AST dump. */
static void sx(const struct bt_node *n, char *buf, size_t len)
{
	size_t k = strlen(buf);

#define OUT(...) snprintf(buf + k, len - k, __VA_ARGS__), k = strlen(buf)
	switch (n->kind) {
	case BT_N_INT:
		OUT("%llu", (unsigned long long)n->num);
		return;
	case BT_N_STR:
		OUT("\"%s\"", n->name);
		return;
	case BT_N_VAR:
		OUT("$%s", n->name);
		return;
	case BT_N_POSPARAM:
		OUT("$%llu", (unsigned long long)n->num);
		return;
	case BT_N_BUILTIN:
		OUT("%s", n->name);
		return;
	case BT_N_MAP:
		OUT("(@%s", n->name);
		break;
	case BT_N_CALL:
		OUT("(%s", n->name);
		break;
	case BT_N_BINOP:
	case BT_N_UNOP:
		OUT("(%s", op_name(n->op));
		break;
	case BT_N_ASSIGN:
		OUT("(%s=", n->op == '=' ? "" : op_name(n->op));
		break;
	case BT_N_TERNARY:
		OUT("(?:");
		break;
	case BT_N_FIELD:
		OUT("(%s%s", n->op == '.' ? "." : "->", n->name);
		break;
	case BT_N_INDEX:
		OUT("([]");
		break;
	case BT_N_TUPLE_GET:
		OUT("(.%llu", (unsigned long long)n->num);
		break;
	case BT_N_CAST:
		OUT("((%s)", n->name);
		break;
	case BT_N_TUPLE:
		OUT("(tuple");
		break;
	case BT_N_EXPR:
		OUT("(expr");
		break;
	case BT_N_IF:
		OUT("(if");
		break;
	case BT_N_UNROLL:
		OUT("(unroll %llu", (unsigned long long)n->num);
		break;
	case BT_N_WHILE:
		OUT("(while");
		break;
	case BT_N_BLOCK:
		OUT("{");
		break;
	case BT_N_RETURN:
		OUT("(return");
		break;
	}
	for (int i = 0; i < n->nkid; i++) {
		OUT(" ");
		sx(n->kid[i], buf, len);
		k = strlen(buf);
	}
	if (n->body) {
		OUT(" ");
		sx(n->body, buf, len);
		k = strlen(buf);
	}
	if (n->orelse) {
		OUT(" else ");
		sx(n->orelse, buf, len);
		k = strlen(buf);
	}
	OUT("%s", n->kind == BT_N_BLOCK ? " }" : ")");
#undef OUT
}

/* The first block's statements as s-expressions. */
static void shape(const char *text, char *buf, size_t len)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	buf[0] = '\0';
	sx(p->blocks[0].body, buf, len);
	bt_program_free(p);
}

static void test_precedence(void **state)
{
	char b[2048];

	(void)state;
	/* bpftrace -d: (- (- 1 2) 3); the long chain nests || && | ^ & ==
	 * < << + * from the outside in */
	shape("BEGIN { $a = 1 - 2 - 3; }", b, sizeof(b));
	assert_string_equal(b, "{ (= $a (- (- 1 2) 3)) }");
	shape("BEGIN { $b = 1 + 2 * 3 << 1 < 4 == 5 & 6 ^ 7 | 8 && 9 || 10; }",
	      b, sizeof(b));
	assert_string_equal(
		b, "{ (= $b (|| (&& (| (^ (& (== (< (<< (+ 1 (* 2 3)) 1) 4) 5) "
		   "6) 7) 8) 9) 10)) }");
	shape("BEGIN { $c = 1 ? 2 : 3 ? 4 : 5; }", b, sizeof(b));
	assert_string_equal(b, "{ (= $c (?: 1 2 (?: 3 4 5))) }");
	shape("BEGIN { $d = -!~1; $e = (uint8)1 + 2; }", b, sizeof(b));
	assert_string_equal(
		b, "{ (= $d (- (! (~ 1)))) (= $e (+ ((uint8) 1) 2)) }");
	shape("BEGIN { $f = 8 / 4 / 2 % 3; $g = 1 >= 2 != 3 <= 4; }", b,
	      sizeof(b));
	assert_string_equal(b, "{ (= $f (% (/ (/ 8 4) 2) 3)) "
			       "(= $g (!= (>= 1 2) (<= 3 4))) }");
	shape("BEGIN { $h = (1 + 2) * 3; $i = *$p + 1; }", b, sizeof(b));
	assert_string_equal(b, "{ (= $h (* (+ 1 2) 3)) (= $i (+ (* $p) 1)) }");
}

static void test_statements(void **state)
{
	char b[2048];

	(void)state;
	/* bpftrace -d: if / then / else (if / then / else) */
	shape("BEGIN { if (1) { } else if (2) { } else { } }", b, sizeof(b));
	assert_string_equal(b, "{ (if 1 { } else (if 2 { } else { })) }");
	shape("BEGIN { unroll(3) { @i++; } $x += 2; @m[1, \"a\"] <<= 1; ++$x; "
	      "--@y; $x--; }",
	      b, sizeof(b));
	assert_string_equal(b, "{ (unroll 3 { (expr (post++ (@i))) }) "
			       "(+= $x 2) (<<= (@m 1 \"a\") 1) "
			       "(expr (pre++ $x)) (expr (pre-- (@y))) "
			       "(expr (post-- $x)) }");
	shape("BEGIN { $t = (1, \"a\", (2, 3)); $u = $t.2.1; print(($u)); }", b,
	      sizeof(b));
	assert_string_equal(b, "{ (= $t (tuple 1 \"a\" (tuple 2 3))) "
			       "(= $u (.1 (.2 $t))) (expr (print $u)) }");
	shape("t:a:b { $a = args->x + args.y; $b = (struct foo *)$a; "
	      "$c = $b->f[2]; }",
	      b, sizeof(b));
	assert_string_equal(b, "{ (= $a (+ (->x args) (.y args))) "
			       "(= $b ((struct foo *) $a)) "
			       "(= $c ([] (->f $b) 2)) }");
	shape("BEGIN { while ($i < 3) { $i++ } return; printf(\"%d %s\\n\", "
	      "$1, str($2, 3)); }",
	      b, sizeof(b));
	assert_string_equal(b, "{ (while (< $i 3) { (expr (post++ $i)) }) "
			       "(return) (expr (printf \"%d %s\n\" $1 "
			       "(str $2 3))) }");
}

static void test_literals(void **state)
{
	char b[2048];

	(void)state;
	shape("BEGIN { $a = 1_000_000 + 1e6 + 0xff + 0 + 18446744073709551615; "
	      "$b = \"\\t\\\\\\\"\\x41\\101\\n\"; $c = $#; }",
	      b, sizeof(b));
	assert_string_equal(b, "{ (= $a (+ (+ (+ (+ 1000000 1000000) 255) 0) "
			       "18446744073709551615)) "
			       "(= $b \"\t\\\"AA\n\") (= $c $0) }");
}

static struct bt_program *parse_ok(const char *text)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	return p;
}

static void test_probes(void **state)
{
	struct bt_program *p;

	(void)state;
	p = parse_ok(
		"#!/usr/bin/env -S sonde run\n"
		"uprobe:/bin/bash:readline, ur:/bin/bash:readline,\n"
		"  u:libc:malloc /pid == 1/ { } BEGIN{} END {}\n"
		"interval:ms:100 {} i:s:2 {} interval:us:7 {}\n"
		"interval:hz:4 {} profile:hz:99 {} k:vfs_* {}\n"
		"kretprobe:vfs_read {} tracepoint:syscalls:sys_enter_* {}\n"
		"t:sched:sched_switch {} usdt:/bin/x:prov:name {}\n"
		"U:/bin/x:name {} uprobe:\"/a b/c\":f {}\n");
	assert_int_equal(p->nblocks, 15);
	assert_int_equal(p->blocks[0].nprobes, 3);
	assert_string_equal(p->blocks[0].probes[0].spec,
			    "uprobe:/bin/bash:readline");
	assert_int_equal(p->blocks[0].probes[1].kind, BT_P_URETPROBE);
	assert_int_equal(p->blocks[0].probes[2].kind, BT_P_UPROBE);
	assert_non_null(p->blocks[0].pred);
	assert_int_equal(p->blocks[0].probes[0].loc.line, 2);
	assert_int_equal(p->blocks[0].probes[2].loc.col, 2);
	assert_int_equal(p->blocks[1].probes[0].kind, BT_P_BEGIN);
	assert_int_equal(p->blocks[2].probes[0].kind, BT_P_END);
	assert_int_equal(p->blocks[3].probes[0].period_ns, 100000000);
	assert_int_equal(p->blocks[4].probes[0].period_ns, 2000000000);
	assert_int_equal(p->blocks[5].probes[0].period_ns, 7000);
	assert_int_equal(p->blocks[6].probes[0].period_ns, 250000000);
	assert_int_equal(p->blocks[7].probes[0].kind, BT_P_PROFILE);
	assert_int_equal(p->blocks[7].probes[0].period_ns, 1000000000 / 99);
	assert_int_equal(p->blocks[8].probes[0].kind, BT_P_KPROBE);
	assert_string_equal(p->blocks[8].probes[0].spec, "k:vfs_*");
	assert_int_equal(p->blocks[9].probes[0].kind, BT_P_KRETPROBE);
	assert_int_equal(p->blocks[10].probes[0].kind, BT_P_TRACEPOINT);
	assert_int_equal(p->blocks[11].probes[0].kind, BT_P_TRACEPOINT);
	assert_int_equal(p->blocks[12].probes[0].kind, BT_P_USDT);
	assert_int_equal(p->blocks[13].probes[0].kind, BT_P_USDT);
	assert_string_equal(p->blocks[14].probes[0].spec,
			    "uprobe:\"/a b/c\":f");
	bt_program_free(p);
	/* the predicate after a path: '/' inside the path is the path's */
	p = parse_ok("uprobe:/bin/x:f /arg0 / 2 > 1/ { }");
	assert_string_equal(p->blocks[0].probes[0].spec, "uprobe:/bin/x:f");
	assert_int_equal(p->blocks[0].pred->kind, BT_N_BINOP);
	assert_int_equal(p->blocks[0].pred->op, '>');
	bt_program_free(p);
}

/* The error for text is bpftrace 0.17's, as it printed it here. */
static void error_is(const char *text, const char *want)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	if (p)
		fail_msg("parsed: %s", text);
	assert_int_equal(e.err, EINVAL);
	assert_string_equal(e.msg, want);
}

static void test_errors(void **state)
{
	(void)state;
	error_is("BEGIN { $x = 1; ",
		 "stdin:1:17-17: ERROR: syntax error, unexpected end of file, "
		 "expecting }\nBEGIN { $x = 1; \n                ");
	error_is("BEGIN",
		 "stdin:1:1-6: ERROR: unexpected end of file, expected {\n"
		 "BEGIN\n~~~~~");
	error_is("BEGIN { $x = \"abc\\q\"; }",
		 "stdin:1:14-20: ERROR: invalid escape character '\\q'\n"
		 "BEGIN { $x = \"abc\\q\"; }\n             ~~~~~~");
	error_is("BEGIN { $x = ` }", "stdin:1:14-15: ERROR: invalid character "
				     "'`'\nBEGIN { $x = ` }\n             ~");
	error_is("BEGIN { if (1) $x = 1; }",
		 "stdin:1:16-18: ERROR: syntax error, unexpected variable, "
		 "expecting {\nBEGIN { if (1) $x = 1; }\n               ~~");
	error_is("BEGIN { $x = 1 } }",
		 "stdin:1:18-19: ERROR: syntax error, unexpected }, expecting "
		 "{\nBEGIN { $x = 1 } }\n                 ~");
	error_is("interval:s { }",
		 "stdin:1:1-11: ERROR: interval probe type requires 2 "
		 "arguments\ninterval:s { }\n~~~~~~~~~~");
	error_is("interval:x:1 { }",
		 "stdin:1:1-13: ERROR: x is not an accepted unit of time\n"
		 "interval:x:1 { }\n~~~~~~~~~~~~");
	error_is("uprobe:/bin/bash { }",
		 "stdin:1:1-17: ERROR: uprobe probe type requires 2 arguments\n"
		 "uprobe:/bin/bash { }\n~~~~~~~~~~~~~~~~");
	error_is("tracepoint:syscalls { }",
		 "stdin:1:1-20: ERROR: tracepoint probe type requires 2 "
		 "arguments\ntracepoint:syscalls { }\n~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN:x { }",
		 "stdin:1:1-8: ERROR: BEGIN probe type requires 0 arguments\n"
		 "BEGIN:x { }\n~~~~~~~");
	/* sonde's own: what bpftrace would run and sonde does not */
	error_is("BEGIN {}\n  software:cpu:1 { }",
		 "stdin:2:3-17: ERROR: software probes are not supported yet\n"
		 "  software:cpu:1 { }\n  ~~~~~~~~~~~~~~");
	error_is("BEGIN { $x = 18446744073709551616; }",
		 "stdin:1:14-34: ERROR: integer literal '18446744073709551616' "
		 "is too large\nBEGIN { $x = 18446744073709551616; }\n"
		 "             ~~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { for ($x : @m) { } }",
		 "stdin:1:9-12: ERROR: 'for' is not supported yet\n"
		 "BEGIN { for ($x : @m) { } }\n        ~~~");
	error_is("/* open", "stdin:1:1-8: ERROR: end of file during comment\n"
			    "/* open\n~~~~~~~");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Each program of the file in turn: fn(text) */
static int each_program(void (*fn)(const char *))
{
	char *all = slurp(PROGRAMS), *s = all, *end;
	int n = 0;

	for (; s && *s; s = end ? end + 5 : NULL, n++) {
		end = strstr(s, "\n---\n");
		if (end)
			*end = '\0';
		fn(s);
	}
	free(all);
	return n;
}

static void one_parses(const char *text)
{
	bt_program_free(parse_ok(text));
}

static void test_corpus(void **state)
{
	(void)state;
	assert_true(each_program(one_parses) >= 50);
}

/* Every prefix: a tree or an error, never a crash or a leak (ASan). */
static void prefixes(const char *text)
{
	size_t n = strlen(text);
	char *cut = malloc(n + 1);

	assert_non_null(cut);
	for (size_t i = 0; i <= n; i++) {
		struct lib_error e = LIB_ERROR_INIT(0);
		struct bt_program *p;

		memcpy(cut, text, i);
		cut[i] = '\0';
		p = bt_parse(cut, "stdin", &e);
		if (!p)
			assert_true(strstr(e.msg, ": ERROR: ") != NULL);
		bt_program_free(p);
	}
	free(cut);
}

static void test_truncations(void **state)
{
	(void)state;
	each_program(prefixes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
