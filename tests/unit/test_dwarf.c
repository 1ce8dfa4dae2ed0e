/* SPDX-License-Identifier: MIT */
/*
 * DWARF names -> fetchargs on fixture_dwarf (built -O1 -g): the expected
 * fetches follow from the C layout of struct req (id at 0, path at 8, pt at
 * 16, vals at 24, tag at 56) and the x86-64 calling convention (a, b, c in
 * %di, %si, %dx at entry); the global's @+OFF from its symbol, read here
 * through libelf.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sym/dwarf.h"
#include "sym/elf.h"
#include "spec/spec.h"

#define BIN FIXTURE_DIR "/fixture_dwarf"

/* The scope at the entry of func. */
static struct dwarf_scope *at(const char *func)
{
	struct elf_file *ef = elf_file_open(BIN);
	struct dwarf_scope *d;
	struct elf_sym sym;
	uint64_t off;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, func, &sym), 0);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr, &off), 0);
	elf_file_close(ef);
	if (dwarf_scope_open(BIN, NULL, sym.addr, off, &d, &le))
		fail_msg("%s: %s", func, le.msg);
	return d;
}

struct ok_case {
	const char *func, *expr;
	bool string;
	const char *fetch, *type;
};

static const struct ok_case ok_cases[] = {
	{"sum", "a", false, "%di", "s32"},
	{"sum", "b", false, "%si", "s32"},
	{"sum", "c", false, "%dx", "s16"},
	{"handle", "req", false, "%di", "x64"},
	{"handle", "mode", false, "%si", "s32"},
	{"handle", "req->id", false, "+0(%di)", "s32"},
	{"handle", "req->path", true, "+0(+8(%di))", ""},
	{"handle", "req->path", false, "+8(%di)", "x64"},
	{"handle", "req->pt.x", false, "+16(%di)", "s32"},
	{"handle", "req->pt.y", false, "+20(%di)", "s32"},
	{"handle", "req->vals[2]", false, "+40(%di)", "s64"},
	{"handle", "req->vals[0]", false, "+24(%di)", "s64"},
	{"handle", "req->tag", true, "+56(%di)", ""},
	{"handle", "req->tag[1]", false, "+57(%di)", "s8"},
	{"handle", "req->path[1]", false, "+1(+8(%di))", "s8"},
	{"scale", "k", false, "%di", "s32"},
	{"scale", "total", false, "\\0", "s64"}, /* 0 where scale starts */
};

static void ok_case(void **state)
{
	const struct ok_case *c = *state;
	struct dwarf_scope *d = at(c->func);
	struct lib_error le = LIB_ERROR_INIT(256);
	char *fetch = NULL, type[32] = "?";

	if (dwarf_scope_fetch(d, c->expr, c->string, &fetch, type, sizeof(type),
			      &le))
		fail_msg("%s: %s: %s", c->func, c->expr, le.msg);
	assert_string_equal(fetch, c->fetch);
	if (!c->string)
		assert_string_equal(type, c->type);
	free(fetch);
	dwarf_scope_close(d);
}

struct bad_case {
	const char *func, *expr;
	bool string;
	int err;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"handle", "nosuch", false, -ENOENT,
	 "no variable or parameter 'nosuch' in handle at this address "
	 "($params lists the parameters)"},
	{"handle", "req.id", false, -EINVAL,
	 "'req' is not a struct: '.id' needs one (write '->')"},
	{"handle", "req->nope", false, -ENOENT,
	 "'req' (struct req) has no member 'nope'"},
	{"handle", "req->vals[9]", false, -ERANGE,
	 "'req->vals' has 4 elements: [9] is beyond it"},
	{"handle", "req->pt->x", false, -EINVAL,
	 "'req->pt' is not a pointer to a struct: '->x' needs one (write "
	 "'.')"},
	{"handle", "req->pt", false, -ENOTSUP,
	 "'req->pt' is a struct: fetch one of its members or elements"},
	{"sum", "a", true, -EINVAL,
	 "'a' is not a char * or char array: drop :string"},
	{"main", "i", false, -ENOENT,
	 "'i' is optimized out at this address of main; it is the constant "
	 "1 at main+0x"},
};

static void bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct dwarf_scope *d = at(c->func);
	struct lib_error le = LIB_ERROR_INIT(256);
	char *fetch = NULL, type[32];

	assert_int_equal(dwarf_scope_fetch(d, c->expr, c->string, &fetch, type,
					   sizeof(type), &le),
			 c->err);
	assert_null(fetch);
	if (strncmp(le.msg, c->msg, strlen(c->msg)))
		fail_msg("%s: message '%s' does not start with '%s'", c->expr,
			 le.msg, c->msg);
	dwarf_scope_close(d);
}

/* table[2] of the global table: @+OFF from where the probe maps. */
static void global_element(void **state)
{
	struct dwarf_scope *d = at("scale");
	int fd = open(BIN, O_RDONLY | O_CLOEXEC);
	struct lib_error le = LIB_ERROR_INIT(256);
	char *fetch = NULL, type[32], want[64] = "";
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym s;
	Elf_Data *data;
	Elf *e;
	size_t i;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB &&
		    (data = elf_getdata(scn, NULL)))
			for (i = 0; i < sh.sh_size / sh.sh_entsize; i++)
				if (gelf_getsym(data, (int)i, &s) &&
				    !strcmp(elf_strptr(e, sh.sh_link,
						       s.st_name),
					    "table"))
					/* PIE: text maps at its file offset */
					snprintf(
						want, sizeof(want), "@+0x%llx",
						(unsigned long long)s.st_value +
							16);
	elf_end(e);
	close(fd);
	assert_true(want[0]);
	assert_int_equal(dwarf_scope_fetch(d, "table[2]", false, &fetch, type,
					   sizeof(type), &le),
			 0);
	assert_string_equal(fetch, want);
	assert_string_equal(type, "s64");
	free(fetch);
	dwarf_scope_close(d);
}

static void params(void **state)
{
	struct dwarf_scope *d = at("handle");
	struct lib_error le = LIB_ERROR_INIT(128);
	char **names;
	int n = dwarf_scope_params(d, &names, &le);

	assert_int_equal(n, 2);
	assert_string_equal(names[0], "req");
	assert_string_equal(names[1], "mode");
	free(names[0]);
	free(names[1]);
	free(names);
	dwarf_scope_close(d);
	d = at("main");
	n = dwarf_scope_params(d, &names, &le);
	assert_int_equal(n, 2); /* argc, argv */
	while (n--)
		free(names[n]);
	free(names);
	dwarf_scope_close(d);
}

/* $params through the grammar: one argument per parameter, typed. */
static int name_cb(void *ctx, const char *name, bool want_string, char **fetch,
		   char *type, size_t typelen, struct lib_error *e)
{
	return dwarf_scope_fetch(ctx, name, want_string, fetch, type, typelen,
				 e);
}

static int params_cb(void *ctx, char ***names, struct lib_error *e)
{
	return dwarf_scope_params(ctx, names, e);
}

static void spec_params(void **state)
{
	struct dwarf_scope *d = at("handle");
	struct fetch_resolver r = {name_cb, params_cb, d};
	struct probe_spec s;
	struct lib_error err;
	char def[256] = "";
	size_t i;

	assert_int_equal(spec_parse("u:./x:handle $params p=req->path:string "
				    "req->pt.y",
				    &s, &err),
			 0);
	assert_int_equal(spec_resolve_args(&s, &r, NULL, &err), 0);
	for (i = 0; i < s.nargs; i++)
		snprintf(def + strlen(def), sizeof(def) - strlen(def),
			 "%s%s=%s:%s", i ? " " : "", s.args[i].name,
			 s.args[i].fetch, s.args[i].type);
	assert_string_equal(def, "req=%di:x64 mode=%si:s32 "
				 "p=+0(+8(%di)):string req_pt_y=+20(%di):s32");
	spec_free(&s);

	/* errors carry the argument's column */
	assert_int_equal(spec_parse("u:./x:handle id=req->nope", &s, &err), 0);
	assert_int_equal(spec_resolve_args(&s, &r, NULL, &err), -EINVAL);
	assert_int_equal(err.col, 16);
	assert_string_equal(err.msg, "'req' (struct req) has no member 'nope'");
	spec_free(&s);
	dwarf_scope_close(d);
}

static void grammar(void **state)
{
	struct probe_spec s;
	struct lib_error err;

	assert_int_equal(
		spec_parse("u:./x:f len req->path:string arr[2] s.f", &s, &err),
		0);
	assert_int_equal(s.nargs, 4);
	assert_true(s.args[0].deferred);
	assert_string_equal(s.args[1].name, "req_path");
	assert_string_equal(s.args[1].fetch, "req->path");
	assert_string_equal(s.args[1].type, "string");
	assert_string_equal(s.args[2].name, "arr_2");
	assert_string_equal(s.args[3].name, "s_f");
	spec_free(&s);

	assert_int_equal(spec_parse("u:./x:f req->", &s, &err), -EINVAL);
	assert_int_equal(err.col, 13);
	assert_int_equal(spec_parse("u:./x:f arr[x]", &s, &err), -EINVAL);
	assert_int_equal(err.col, 12);
	assert_int_equal(spec_parse("u:./x:f p=$params", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "$params takes no NAME: each parameter "
				     "is named after itself");
	/* kprobes have no DWARF here: a name is still an unknown fetch */
	assert_int_equal(spec_parse("k:f len", &s, &err), -EINVAL);
	assert_int_equal(strncmp(err.msg, "unknown fetch 'len'", 19), 0);
	/* argN keeps its ABI meaning for u: */
	assert_int_equal(spec_parse("u:./x:f arg1", &s, &err), 0);
	assert_false(s.args[0].deferred);
	assert_string_equal(s.args[0].fetch, "%di");
	spec_free(&s);
}

static void no_debug_info(void **state)
{
	struct dwarf_scope *d;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_int_equal(dwarf_scope_open("/bin/true", "/nonexistent", 0x1000,
					  0x1000, &d, &le),
			 -ENODATA);
	assert_null(d);
	assert_string_equal(le.msg, "/bin/true has no debug info (DWARF): "
				    "variables cannot be fetched by name; use "
				    "argN or registers, or install its debug "
				    "file");
}

static int count_sig(uint64_t addr, const char *sig, void *ctx)
{
	char *out = ctx;

	if (strstr(sig, " handle(") || strstr(sig, " sum("))
		snprintf(out + strlen(out), 256 - strlen(out), "%s;", sig);
	return 0;
}

static void signatures(void **state)
{
	char out[256] = "";

	assert_int_equal(dwarf_for_each_signature(BIN, NULL, count_sig, out),
			 0);
	/* in the CU's order: handle is defined after sum, but the DIEs of
	 * the CU come as gcc emits them */
	assert_string_equal(out, "long int handle(struct req *req, int "
				 "mode);int sum(int a, int b, short int c);");
}

int main(void)
{
	size_t no = sizeof(ok_cases) / sizeof(*ok_cases);
	size_t nb = sizeof(bad_cases) / sizeof(*bad_cases);
	struct CMUnitTest *t = calloc(no + nb + 8, sizeof(*t));
	size_t n = 0, i;
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < no; i++, n++) {
		char *name;

		if (asprintf(&name, "%s: %s%s", ok_cases[i].func,
			     ok_cases[i].expr,
			     ok_cases[i].string ? ":string" : "") < 0)
			return 1;
		t[n].name = name;
		t[n].test_func = ok_case;
		t[n].initial_state = (void *)&ok_cases[i];
	}
	for (i = 0; i < nb; i++, n++) {
		char *name;

		if (asprintf(&name, "refused %s: %s", bad_cases[i].func,
			     bad_cases[i].expr) < 0)
			return 1;
		t[n].name = name;
		t[n].test_func = bad_case;
		t[n].initial_state = (void *)&bad_cases[i];
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(global_element);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(params);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(spec_params);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(grammar);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(no_debug_info);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(signatures);
	ret = _cmocka_run_group_tests("dwarf", t, n, NULL, NULL);
	for (i = 0; i < no + nb; i++)
		free((char *)t[i].name);
	free(t);
	return ret;
}
