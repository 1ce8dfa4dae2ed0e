// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, the checks and types (lang/sema.c, sema_call.c):
 * variables' and maps' types are the ones `bpftrace -d` (0.17) prints
 * after its semantic pass for the same program; wrong programs get
 * bpftrace 0.17's own error, three lines byte for byte, as it printed
 * them here; tracepoint fields come through the probe-info callback with
 * their offsets; printf formats get their argument tuples; every program
 * of tests/unit/data/bt_programs.txt is checked without a crash.
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

/* A tracepoint's fields as the runtime would give them. */
static const struct bt_field fields[] = {
	{.name = "filename",
	 .type = {.kind = BT_T_PTR, .size = 8, .isize = 1},
	 .offset = 24},
	{.name = "flags",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 4, .is_signed = true},
	 .offset = 32},
	{.name = "ret",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 8, .is_signed = true},
	 .offset = 16},
	{.name = "bytes",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 4},
	 .offset = 40},
	{.name = "pid",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 4, .is_signed = true},
	 .offset = 16},
	{.name = "sig",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 4, .is_signed = true},
	 .offset = 24},
	{.name = "rqtp",
	 .type = {.kind = BT_T_PTR, .size = 8, .isize = 8},
	 .offset = 16},
};
static int info_calls;

static int info(void *ctx, const struct bt_block *b, const struct bt_probe *p,
		const struct bt_field **f, int *n, struct lib_error *err)
{
	(void)ctx;
	(void)b;
	(void)err;
	info_calls++;
	if (p->kind != BT_P_TRACEPOINT) {
		*f = NULL;
		*n = 0;
		return 0;
	}
	*f = fields;
	*n = (int)(sizeof(fields) / sizeof(*fields));
	return 0;
}

static struct bt_program *checked(const char *text, char **params, int n)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	if (bt_check(p, params, n, info, NULL, &e) < 0)
		fail_msg("%s: %s", text, e.msg);
	return p;
}

static const struct bt_type *var(const struct bt_program *p, const char *name)
{
	const struct bt_block *b = &p->blocks[0];

	for (int i = 0; i < b->nvars; i++)
		if (!strcmp(b->var_names[i], name))
			return &b->var_types[i];
	fail_msg("no $%s", name);
	return NULL;
}

static const struct bt_map *map(const struct bt_program *p, const char *name)
{
	for (int i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name, name))
			return &p->maps[i];
	fail_msg("no @%s", name);
	return NULL;
}

#define IS_INT(t, sign)                                                        \
	do {                                                                   \
		assert_int_equal((t)->kind, BT_T_INT);                         \
		assert_int_equal((t)->size, 8);                                \
		assert_int_equal((t)->is_signed, sign);                        \
	} while (0)

static void test_types(void **state)
{
	struct bt_program *p;

	(void)state;
	/* bpftrace -d: pid comm nsecs rand str str(1,5) (1,"ab") kstack
	 * 1<-1 -1 (int8)-1*2 elapsed probe 1==1 !1 ~1 */
	p = checked("BEGIN { $x = pid; $y = comm; $z = nsecs; $r = rand; "
		    "$s = str(1); $t = str(1, 5); $q = (1, \"ab\"); "
		    "$k = kstack; $c = 1 < -1; $n = -1; $m = (int8)-1 * 2; "
		    "$o = elapsed; $p = probe; $g = 1 == 1; $d = !1; $e = ~1; "
		    "$h = (uint8)1 + 2; }",
		    NULL, 0);
	IS_INT(var(p, "x"), false);
	assert_int_equal(var(p, "y")->kind, BT_T_STR);
	assert_int_equal(var(p, "y")->strsize, 16);
	IS_INT(var(p, "z"), false);
	IS_INT(var(p, "r"), false);
	assert_int_equal(var(p, "s")->strsize, BT_STRLEN);
	assert_int_equal(var(p, "t")->strsize, BT_STRLEN);
	assert_int_equal(var(p, "q")->kind, BT_T_TUPLE);
	assert_int_equal(var(p, "q")->ntup, 2);
	IS_INT(&var(p, "q")->tup[0], true);
	assert_int_equal(var(p, "q")->tup[1].strsize, 3);
	assert_int_equal(var(p, "q")->size, 8 + 8); /* 3 bytes, 8-aligned */
	assert_int_equal(var(p, "k")->kind, BT_T_KSTACK);
	IS_INT(var(p, "c"), true);
	IS_INT(var(p, "n"), true);
	IS_INT(var(p, "m"), true);
	IS_INT(var(p, "o"), false);
	assert_int_equal(var(p, "p")->kind, BT_T_PROBE);
	IS_INT(var(p, "g"), true);
	IS_INT(var(p, "d"), false);
	IS_INT(var(p, "e"), true);
	IS_INT(var(p, "h"), false);
	bt_program_free(p);

	/* bpftrace -d: retval unsigned int64, func and usym usym; arg0
	 * unsigned; -arg0 unsigned; buf("abc", 2) buffer[3] */
	p = checked("uretprobe:/bin/bash:readline { $r = retval; $f = func; "
		    "$a = ustack; $u = usym(retval); $b = buf(\"abc\", 2); }",
		    NULL, 0);
	IS_INT(var(p, "r"), false);
	assert_int_equal(var(p, "f")->kind, BT_T_USYM);
	assert_int_equal(var(p, "a")->kind, BT_T_USTACK);
	assert_int_equal(var(p, "u")->kind, BT_T_USYM);
	assert_int_equal(var(p, "b")->kind, BT_T_BUF);
	assert_int_equal(var(p, "b")->strsize, 2);
	bt_program_free(p);
	p = checked("uprobe:/bin/bash:readline { $a = arg0; $f = -arg0; "
		    "$h = !arg0; $i = ~arg0; $j = (int32)arg0; $k = func; }",
		    NULL, 0);
	IS_INT(var(p, "a"), false);
	IS_INT(var(p, "f"), false);
	IS_INT(var(p, "h"), false);
	IS_INT(var(p, "i"), false);
	IS_INT(var(p, "j"), true);
	assert_int_equal(var(p, "j")->isize, 4);
	assert_int_equal(var(p, "k")->kind, BT_T_USYM);
	bt_program_free(p);
}

static void test_maps(void **state)
{
	struct bt_program *p;
	const struct bt_map *m;

	(void)state;
	/* bpftrace -d: sum avg hist lhist count min stats; @m[1, "a"]
	 * int64; @q keyed by comm then by a longer literal */
	p = checked("uprobe:/bin/bash:readline { @x = sum(arg0); "
		    "@y = avg(-1); @z = hist(arg0); @l = lhist(arg0,0,10,1); "
		    "@c = count(); @mi = min((int8)arg0); @st = stats(arg0); "
		    "@m[1, \"a\"] = 1; @q[comm] = 1; @q[\"abcdefghijklmnopq\"] "
		    "= 2; }",
		    NULL, 0);
	assert_int_equal(map(p, "x")->value.kind, BT_T_SUM);
	assert_int_equal(map(p, "y")->value.kind, BT_T_AVG);
	assert_true(map(p, "y")->value.is_signed);
	assert_int_equal(map(p, "z")->value.kind, BT_T_HIST);
	m = map(p, "l");
	assert_int_equal(m->value.kind, BT_T_LHIST);
	assert_int_equal(m->value.lmin, 0);
	assert_int_equal(m->value.lmax, 10);
	assert_int_equal(m->value.lstep, 1);
	assert_int_equal(map(p, "c")->value.kind, BT_T_COUNT);
	assert_int_equal(map(p, "c")->key.kind, BT_T_NONE);
	assert_int_equal(map(p, "mi")->value.kind, BT_T_MIN);
	assert_true(map(p, "mi")->value.is_signed);
	assert_int_equal(map(p, "st")->value.kind, BT_T_STATS);
	m = map(p, "m");
	assert_int_equal(m->key.kind, BT_T_TUPLE);
	assert_int_equal(m->key.ntup, 2);
	assert_int_equal(m->key.tup[1].strsize, 2);
	IS_INT(&m->value, true);
	/* one key type for comm (16) and an 18-byte literal: the larger */
	assert_int_equal(map(p, "q")->key.kind, BT_T_STR);
	assert_int_equal(map(p, "q")->key.strsize, 18);
	/* every MAP node's id points at its map */
	for (int i = 0; i < p->blocks[0].body->nkid; i++) {
		const struct bt_node *a = p->blocks[0].body->kid[i];

		assert_int_equal(a->kind, BT_N_ASSIGN);
		assert_string_equal(p->maps[a->kid[0]->id].name,
				    a->kid[0]->name);
	}
	bt_program_free(p);

	/* bpftrace runs these (its passes type a map assigned later) */
	p = checked("BEGIN { @x = @x + 1; $y = @a; @a = 1; @s = @t; "
		    "@i++; @j += 2; } END { @t = \"a\" }",
		    NULL, 0);
	IS_INT(&map(p, "x")->value, true);
	IS_INT(var(p, "y"), true);
	assert_int_equal(map(p, "s")->value.kind, BT_T_STR);
	IS_INT(&map(p, "i")->value, true);
	IS_INT(&map(p, "j")->value, true);
	bt_program_free(p);
}

static void test_fields_formats(void **state)
{
	struct bt_program *p;
	const struct bt_node *call, *fld;

	(void)state;
	info_calls = 0;
	p = checked("tracepoint:syscalls:sys_enter_openat /args->flags > 0/ "
		    "{ printf(\"%s %d %-6s %lu\\n\", str(args->filename), "
		    "args->flags, comm, nsecs); time(); print(1); }",
		    NULL, 0);
	assert_true(info_calls > 0);
	fld = p->blocks[0].pred->kid[0];
	assert_int_equal(fld->kind, BT_N_FIELD);
	assert_int_equal(fld->off, 32);
	IS_INT(&fld->type, true);
	assert_int_equal(fld->type.isize, 4);
	call = p->blocks[0].body->kid[0]->kid[0];
	assert_int_equal(call->kid[1]->kid[0]->off, 24);
	assert_int_equal(p->nformats, 3);
	assert_int_equal(call->id, 0);
	assert_int_equal(call->kid[0]->id, -1);
	assert_string_equal(p->formats[0].fmt, "%s %d %-6s %lu\n");
	assert_int_equal(p->formats[0].args.ntup, 4);
	assert_int_equal(p->formats[0].args.tup[0].kind, BT_T_STR);
	assert_int_equal(p->formats[0].args.size, 64 + 8 + 16 + 8);
	assert_string_equal(p->formats[1].fmt, "%H:%M:%S\n");
	assert_int_equal(p->formats[1].args.ntup, 0);
	assert_int_equal(p->formats[2].args.ntup, 1);
	bt_program_free(p);

	/* positional parameters: a number is an integer */
	{
		char *params[] = {"42", "abc"};

		p = checked("BEGIN { $a = $1; $b = str($2); $c = $#; }", params,
			    2);
		IS_INT(var(p, "a"), true);
		assert_int_equal(var(p, "b")->kind, BT_T_STR);
		assert_int_equal(p->nparams, 2);
		assert_string_equal(p->params[1], "abc");
		bt_program_free(p);
	}
}

/* bt_check's error for text is bpftrace 0.17's, as it printed it here. */
static void error_is(const char *text, const char *want)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);
	char *params[] = {"abc"};

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	assert_int_equal(bt_check(p, params, 1, info, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, want);
	bt_program_free(p);
}

static void test_errors(void **state)
{
	(void)state;
	error_is("BEGIN { @x = 1; @x = \"s\"; }",
		 "stdin:1:17-19: ERROR: Type mismatch for @x: trying to assign "
		 "value of type 'string[2]' when map already contains a value "
		 "of type 'int64\nBEGIN { @x = 1; @x = \"s\"; }\n"
		 "                ~~");
	error_is("BEGIN { printf(\"%s\\n\", 1); }",
		 "stdin:1:9-26: ERROR: printf: %s specifier expects a value of "
		 "type string (integer supplied)\n"
		 "BEGIN { printf(\"%s\\n\", 1); }\n        ~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { printf(\"%d\\n\", \"a\"); }",
		 "stdin:1:9-28: ERROR: printf: %d specifier expects a value of "
		 "type integer (string supplied)\n"
		 "BEGIN { printf(\"%d\\n\", \"a\"); }\n"
		 "        ~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { foo(); }", "stdin:1:9-12: ERROR: Unknown function: "
				     "foo\nBEGIN { foo(); }\n        ~~~");
	error_is("BEGIN { @x = count(1); }",
		 "stdin:1:14-22: ERROR: count() requires no arguments (1 "
		 "provided)\nBEGIN { @x = count(1); }\n             ~~~~~~~~");
	error_is("BEGIN { $x = count(); }",
		 "stdin:1:14-21: ERROR: count() should be directly assigned to "
		 "a map\nBEGIN { $x = count(); }\n             ~~~~~~~");
	error_is("BEGIN { $y; }",
		 "stdin:1:9-11: ERROR: Undefined or undeclared "
		 "variable: $y\nBEGIN { $y; }\n        ~~");
	error_is("BEGIN { x }", "stdin:1:9-10: ERROR: Unknown identifier: 'x'\n"
				"BEGIN { x }\n        ~");
	error_is(
		"BEGIN { retval }",
		"stdin:1:9-15: ERROR: The retval builtin can only be used with "
		"'kretprobe' and 'uretprobe' and 'kfunc' probes\n"
		"BEGIN { retval }\n        ~~~~~~");
	error_is("BEGIN { printf(\"%d %d\\n\", 1); }",
		 "stdin:1:9-29: ERROR: printf: Not enough arguments for format "
		 "string (1 supplied, 2 expected)\n"
		 "BEGIN { printf(\"%d %d\\n\", 1); }\n"
		 "        ~~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { printf(\"%d %d\\n\", 1, 2, 3); }",
		 "stdin:1:9-35: ERROR: printf: Too many arguments for format "
		 "string (3 supplied, 2 expected)\n"
		 "BEGIN { printf(\"%d %d\\n\", 1, 2, 3); }\n"
		 "        ~~~~~~~~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { @ = hist(); }",
		 "stdin:1:13-19: ERROR: hist() requires one argument (0 "
		 "provided)\nBEGIN { @ = hist(); }\n            ~~~~~~");
	error_is(
		"BEGIN { 1 + \"a\"; }",
		"stdin:1:9-16: ERROR: Type mismatch for '+': comparing 'int64' "
		"with 'string[2]'\nBEGIN { 1 + \"a\"; }\n        ~~~~~~~");
	error_is("BEGIN { @x = 1; @x = count(); }",
		 "stdin:1:17-19: ERROR: Type mismatch for @x: trying to assign "
		 "value of type 'count' when map already contains a value of "
		 "type 'int64\nBEGIN { @x = 1; @x = count(); }\n"
		 "                ~~");
	error_is("BEGIN { $x = 1; $x = \"a\"; }",
		 "stdin:1:20-21: ERROR: Type mismatch for $x: trying to assign "
		 "value of type 'string[2]' when variable already contains a "
		 "value of type 'int64'\nBEGIN { $x = 1; $x = \"a\"; }\n"
		 "                   ~");
	error_is("tracepoint:syscalls:sys_enter_openat { arg0 }",
		 "stdin:1:40-44: ERROR: The arg0 builtin can only be used with "
		 "'kprobes', 'uprobes' and 'usdt' probes\n"
		 "tracepoint:syscalls:sys_enter_openat { arg0 }\n"
		 "                                       ~~~~");
	error_is("BEGIN { @x = 1; @y = @z; }",
		 "stdin:1:22-24: ERROR: Undefined map: @z\n"
		 "BEGIN { @x = 1; @y = @z; }\n                     ~~");
	error_is("BEGIN { @ = lhist(1, 0, 10); }",
		 "stdin:1:13-28: ERROR: lhist() requires 4 arguments (3 "
		 "provided)\nBEGIN { @ = lhist(1, 0, 10); }\n"
		 "            ~~~~~~~~~~~~~~~");
	error_is("BEGIN { @ = count(); @ += 1; }",
		 "stdin:1:22-23: ERROR: Type mismatch for @: trying to assign "
		 "value of type 'int64' when map already contains a value of "
		 "type 'count\nBEGIN { @ = count(); @ += 1; }\n"
		 "                     ~");
	error_is("BEGIN { $x = printf(\"a\"); }",
		 "stdin:1:14-25: ERROR: printf() should not be used in an "
		 "assignment or as a map key\nBEGIN { $x = printf(\"a\"); }\n"
		 "             ~~~~~~~~~~~");
	error_is("BEGIN { @x = 1 ? \"a\" : 2; }",
		 "stdin:1:14-25: ERROR: Ternary operator must return the same "
		 "type: have 'string' and 'integer'\n"
		 "BEGIN { @x = 1 ? \"a\" : 2; }\n             ~~~~~~~~~~~");
	error_is("BEGIN { $t = (1,2); $t.5 }",
		 "stdin:1:21-25: ERROR: Invalid tuple index: 5. Found 2 "
		 "elements "
		 "in tuple.\nBEGIN { $t = (1,2); $t.5 }\n"
		 "                    ~~~~");
	error_is("BEGIN { @ = lhist(1, 10, 0, 1); }",
		 "stdin:1:13-31: ERROR: lhist() min must be less than max "
		 "(provided min 10 and max 0)\n"
		 "BEGIN { @ = lhist(1, 10, 0, 1); }\n"
		 "            ~~~~~~~~~~~~~~~~~~");
	error_is(
		"BEGIN { @ = lhist(1, 0, 10, 0); }",
		"stdin:1:13-31: ERROR: lhist() step must be >= 1 (0 provided)\n"
		"BEGIN { @ = lhist(1, 0, 10, 0); }\n"
		"            ~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { @ = lhist(1, -1, 10, 1); }",
		 "stdin:1:13-32: ERROR: lhist() min must be non-negative "
		 "(provided min -1)\nBEGIN { @ = lhist(1, -1, 10, 1); }\n"
		 "            ~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { @ = sum(\"a\"); }",
		 "stdin:1:13-21: ERROR: sum() only supports integer arguments "
		 "(string provided)\nBEGIN { @ = sum(\"a\"); }\n"
		 "            ~~~~~~~~");
	error_is("BEGIN { unroll(101) {} }",
		 "stdin:1:9-20: ERROR: unroll maximum value is 100\n"
		 "BEGIN { unroll(101) {} }\n        ~~~~~~~~~~~");
	error_is("BEGIN { unroll(0) {} }",
		 "stdin:1:9-18: ERROR: unroll minimum value is 1\n"
		 "BEGIN { unroll(0) {} }\n        ~~~~~~~~~");
	error_is("BEGIN / \"a\" / { }",
		 "stdin:1:7-14: ERROR: Invalid type for predicate: string\n"
		 "BEGIN / \"a\" / { }\n      ~~~~~~~");
	error_is("BEGIN { $x = $1; }",
		 "stdin:1:14-16: ERROR: $1 used numerically but given \"abc\". "
		 "Try using str($1).\nBEGIN { $x = $1; }\n             ~~");
	error_is("BEGIN { printf(\"%s\\n\", buf(\"abc\", 2)); }",
		 "stdin:1:9-38: ERROR: printf: %s specifier expects a value of "
		 "type string (buffer supplied)\n"
		 "BEGIN { printf(\"%s\\n\", buf(\"abc\", 2)); }\n"
		 "        ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { printf(1); }",
		 "stdin:1:9-18: ERROR: printf() expects a string literal "
		 "(integer provided)\nBEGIN { printf(1); }\n        ~~~~~~~~~");
	error_is("BEGIN { printf(\"%gr\\n\", 1); }",
		 "stdin:1:9-27: ERROR: printf: %gr (GFP flags by name) is not "
		 "supported yet\nBEGIN { printf(\"%gr\\n\", 1); }\n"
		 "        ~~~~~~~~~~~~~~~~~~");
	error_is("BEGIN { @h[1] = hist(2); delete(@h, 1); }",
		 "stdin:1:26-39: ERROR: delete() of a hist() or lhist() map's "
		 "key is not supported yet\n"
		 "BEGIN { @h[1] = hist(2); delete(@h, 1); }\n"
		 "                         ~~~~~~~~~~~~~");
	error_is(
		"BEGIN { @x = count(); @x = sum(2); }",
		"stdin:1:23-25: ERROR: Type mismatch for @x: trying to assign "
		"value of type 'sum' when map already contains a value of type "
		"'count\nBEGIN { @x = count(); @x = sum(2); }\n"
		"                      ~~");
	error_is("BEGIN { $a = 1; $a.b }",
		 "stdin:1:17-20: ERROR: Can not access field 'b' on expression "
		 "of type 'int64'\nBEGIN { $a = 1; $a.b }\n"
		 "                ~~~");
	/* sonde's own: a refusal at the place, not a silent change */
	error_is("BEGIN { $s = strftime(\"%H\", nsecs); }",
		 "stdin:1:14-35: ERROR: strftime() is not supported yet\n"
		 "BEGIN { $s = strftime(\"%H\", nsecs); }\n"
		 "             ~~~~~~~~~~~~~~~~~~~~~");
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

/* Every program of the corpus is checked: success, or one error line
 * with its caret lines (never a crash; leaks show in the ASan build). */
static void test_corpus(void **state)
{
	char *all = slurp(SRC_FIXTURE_DIR "/../unit/data/bt_programs.txt");
	char *s = all, *end;
	int ok = 0, n = 0;

	(void)state;
	for (; s && *s; s = end ? end + 5 : NULL, n++) {
		struct lib_error e = LIB_ERROR_INIT(0);
		struct bt_program *p;
		char *params[] = {"1", "2"};

		end = strstr(s, "\n---\n");
		if (end)
			*end = '\0';
		p = bt_parse(s, "stdin", &e);
		assert_non_null(p);
		if (bt_check(p, params, 2, info, NULL, &e) == 0)
			ok++;
		else
			assert_non_null(strstr(e.msg, ": ERROR: "));
		bt_program_free(p);
	}
	free(all);
	/* what sonde refuses: a struct cast, join(), reg(), a count()
	 * map read in an expression (each at its place) */
	assert_int_equal(ok, n - 4);
}

/* buf() of a string with a length (literal or $N), delete(@m, k) with
 * its value, print(@m[k]), pointer casts: the types bpftrace's
 * tests/runtime cases need (call buf_*, stdlib delete map, call
 * print_map_item, json-output print_hex_values) */
static void test_buf_delete_cast(void **state)
{
	char *params[] = {"5", "100"};
	struct bt_program *p = checked(
		"BEGIN { @b = buf(\"Hello\\0\", 6); @p = buf(\"hello\", $1);"
		" @l = lhist(1, 0, $2, 1); @t[1, \"a\"] = 1;"
		" $d = delete(@t, (1, \"a\")); $e = buf(\"a\", 1) == @p;"
		" print(@t[1, \"a\"]); $q = (int16 *)1; }"
		"uprobe:/bin/sh:main { $u = (uint8 *)arg0; }",
		params, 2);
	const struct bt_node *del = p->blocks[0].body->kid[4]->kid[1];
	const struct bt_type *t;

	(void)state;
	t = &map(p, "b")->value;
	assert_int_equal(t->kind, BT_T_BUF);
	assert_int_equal(t->strsize, 6);
	assert_int_equal(t->size, 10);
	assert_int_equal(map(p, "p")->value.strsize, 5);
	assert_int_equal(map(p, "l")->value.lmax, 100);
	assert_string_equal(del->name, "delete");
	assert_int_equal(del->nkid, 1);
	assert_int_equal(del->kid[0]->nkid, 2); /* the tuple's elements */
	IS_INT(var(p, "d"), false);
	IS_INT(var(p, "e"), false);
	t = var(p, "q");
	assert_int_equal(t->kind, BT_T_PTR);
	assert_int_equal(t->isize, 2);
	assert_true(t->is_signed);
	assert_true(t->is_user); /* BEGIN is a uprobe of sonde's own */
	t = &p->blocks[1].var_types[0];
	assert_int_equal(t->kind, BT_T_PTR);
	assert_true(t->is_user);
	assert_false(t->is_signed);
	bt_program_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_fields_formats),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_buf_delete_cast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
