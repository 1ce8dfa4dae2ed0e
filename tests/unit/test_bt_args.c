// SPDX-License-Identifier: MIT
/*
 * args in a uprobe (lang/sema_args.c) with the parameters the runtime
 * would find for bt_uprobe_test.c's uprobeFunction1(int *n, char c): n a
 * user pointer to a signed 4-byte int in arg0, c a signed char in arg1,
 * and in g(n, c, d) d, a double it cannot read. args.c and args->c are the parameter;
 * args alone is the record (n, c) with its names, which a map keeps as
 * value or key and @.c reads back; the refusals name their reason. The
 * record prints as newer bpftrace prints it ({ .n = 0x10, .c = 120 }),
 * JSON as an object; a tuple stays (1, 2).
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

static char why_d[] = "'d' is a double, passed in an SSE register, which "
		      "is not read yet";
static const struct bt_field ufields[] = {
	{.name = "n",
	 .type = {.kind = BT_T_PTR,
		  .size = 8,
		  .isize = 4,
		  .is_signed = true,
		  .is_user = true},
	 .arg = 0},
	{.name = "c",
	 .type = {.kind = BT_T_INT, .size = 8, .isize = 1, .is_signed = true},
	 .arg = 1},
	{.name = "d", .why = why_d},
};
static bool info_fails;

static int info(void *ctx, const struct bt_block *b, const struct bt_probe *p,
		const struct bt_field **f, int *n, struct lib_error *err)
{
	(void)ctx;
	(void)b;
	if (info_fails)
		return lib_error_set(err, ENODATA, -1,
				     "%s: args: no debug info", p->spec);
	/* f(n, c); g(n, c, d) */
	*f = p->kind == BT_P_UPROBE ? ufields : NULL;
	*n = p->kind != BT_P_UPROBE ? 0 : strstr(p->spec, ":g") ? 3 : 2;
	return 0;
}

#define UP "uprobe:/bin/x:f "

static struct bt_program *checked(const char *text)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	if (!p)
		fail_msg("%s: %s", text, e.msg);
	if (bt_check(p, NULL, 0, info, NULL, &e) < 0)
		fail_msg("%s: %s", text, e.msg);
	return p;
}

static void fails(const char *text, const char *msg)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct bt_program *p = bt_parse(text, "stdin", &e);

	assert_non_null(p);
	assert_int_equal(bt_check(p, NULL, 0, info, NULL, &e), -EINVAL);
	if (strncmp(e.msg, msg, strlen(msg)))
		fail_msg("%s:\n got  %s\n want %s", text, e.msg, msg);
	bt_program_free(p);
}

static const struct bt_map *map(const struct bt_program *p, const char *name)
{
	for (int i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name, name))
			return &p->maps[i];
	fail_msg("no @%s", name);
	return NULL;
}

/* the record type (n, c) */
static void is_record(const struct bt_type *t)
{
	assert_int_equal(t->kind, BT_T_TUPLE);
	assert_int_equal(t->ntup, 2);
	assert_non_null(t->names);
	assert_string_equal(t->names[0], "n");
	assert_string_equal(t->names[1], "c");
	assert_int_equal(t->tup[0].kind, BT_T_PTR);
	assert_true(t->tup[0].is_user);
	assert_int_equal(t->tup[1].kind, BT_T_INT);
	assert_int_equal(t->tup[1].isize, 1);
	assert_int_equal(t->size, 16);
}

static void test_field(void **state)
{
	struct bt_program *p;
	const struct bt_node *f;

	(void)state;
	p = checked(UP "{ @a = args.c; @b = args->c; @p = *args.n; }");
	f = p->blocks[0].body->kid[0]->kid[1];
	assert_int_equal(f->kind, BT_N_FIELD);
	assert_int_equal(f->off, 1); /* arg1 */
	assert_int_equal(f->type.isize, 1);
	assert_true(f->type.is_signed);
	assert_int_equal(p->blocks[0].body->kid[1]->kid[1]->off, 1);
	/* *args.n: the int it points to */
	assert_int_equal(map(p, "p")->value.isize, 4);
	assert_true(map(p, "p")->value.is_signed);
	bt_program_free(p);
}

static void test_record(void **state)
{
	struct bt_program *p;
	const struct bt_node *a, *g;

	(void)state;
	p = checked(UP "{ @ = args; print(@.c); @k[args] = 1; "
		       "@t[(1, args)] = (args, \"bye\"); }");
	is_record(&map(p, "")->value);
	/* args became the tuple (args.n, args.c), named "args" */
	a = p->blocks[0].body->kid[0]->kid[1];
	assert_int_equal(a->kind, BT_N_TUPLE);
	assert_int_equal(a->nkid, 2);
	assert_int_equal(a->kid[1]->kind, BT_N_FIELD);
	assert_int_equal(a->kid[1]->off, 1);
	/* @.c is element 1 of the record */
	g = p->blocks[0].body->kid[1]->kid[0]->kid[0]; /* print(@.c) */
	assert_int_equal(g->kind, BT_N_TUPLE_GET);
	assert_int_equal(g->num, 1);
	assert_int_equal(g->type.isize, 1);
	is_record(&map(p, "k")->key);
	assert_int_equal(map(p, "t")->key.kind, BT_T_TUPLE);
	is_record(&map(p, "t")->key.tup[1]);
	assert_null(map(p, "t")->key.names);
	is_record(&map(p, "t")->value.tup[0]);
	bt_program_free(p);
	/* a record and a tuple of the same shape are not one type */
	fails(UP "{ @ = args; @ = (1, 2); }",
	      "stdin:1:29-30: ERROR: Type mismatch for @: trying to assign "
	      "value of type '(int64,int64)' when map already contains a "
	      "value of type 'record(n: pointer, c: int8)");
}

static void test_refused(void **state)
{
	(void)state;
	fails("uprobe:/bin/x:g { print(args.d); }",
	      "stdin:1:25-31: ERROR: 'd' is a double, passed in an SSE "
	      "register, which is not read yet");
	fails("uprobe:/bin/x:g { print(args); }",
	      "stdin:1:25-29: ERROR: 'd' is a double");
	fails(UP "{ print(args.zz); }",
	      "stdin:1:25-32: ERROR: uprobe:/bin/x:f has no argument or "
	      "field named 'zz'");
	fails(UP "{ @ = args; print(@.zz); }",
	      "stdin:1:35-39: ERROR: the record has no member named 'zz'");
	fails("uretprobe:/bin/x:f { print(args.c); }",
	      "stdin:1:28-34: ERROR: args is not available in a uretprobe");
	fails("t:syscalls:sys_enter_openat { print(args); }",
	      "stdin:1:37-41: ERROR: args as a whole is read in uprobes only");
	/* the runtime's reason, at the place */
	info_fails = true;
	fails(UP "{ print(args.c); }",
	      "stdin:1:25-31: ERROR: uprobe:/bin/x:f: args: no debug info");
	info_fails = false;
}

static void test_print(void **state)
{
	struct bt_type tup[2] = {
		{.kind = BT_T_PTR, .size = 8, .is_user = true},
		{.kind = BT_T_INT, .size = 8, .isize = 1, .is_signed = true}};
	char *names[] = {"n", "c"};
	struct bt_type rec = {.kind = BT_T_TUPLE,
			      .size = 16,
			      .ntup = 2,
			      .tup = tup,
			      .names = names};
	uint8_t v[16] = {0x10, 0, 0, 0, 0, 0, 0, 0, 120, 0, 0, 0, 0, 0, 0, 0};
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	out = open_memstream(&text, &len);
	bt_format_value(out, &rec, v, NULL);
	fputc('|', out);
	bt_format_value_json(out, &rec, v, NULL);
	fputc('|', out);
	rec.names = NULL;
	bt_format_value(out, &rec, v, NULL);
	fclose(out);
	assert_string_equal(text, "{ .n = 0x10, .c = 120 }|{\"n\": 16, \"c\": "
				  "120}|(16, 120)");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
