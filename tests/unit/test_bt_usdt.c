/* SPDX-License-Identifier: MIT */
/*
 * USDT probes in `sonde run`, compiled (files only, no root): the specs
 * bpftrace writes (an empty provider, quoted names, a file pattern, '*'
 * as the target), each site's `probe` name and its note's arguments as
 * the code generator gets them (lang/bt.h struct bt_site). The expected
 * values come from the fixtures' notes as binutils reads them (readelf
 * -n on tests/fixtures/bt/usdt_*: usdt_args's const_u32 is "4@$-202182160",
 * reg_* "%rax"/"%eax"/"%ax"/"%al", addr_* "-72(%rbp)", index_*
 * "-80(%rbp,%rax,8)"; usdt_inlined's arg1 "-4@-20(%rbp)" and
 * "-4@-36(%rbp)") and from what bpftrace 0.17 prints for arg0 of
 * usdt_args's const_* probes on the same fixture (tests/bt/runtime/
 * usdt.test: -579005069656919568 -579005069656919568 4092785136
 * -202182160 61936 -3600 240 -16).
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

#include <sonde/sonde.h>

#include "api/run_int.h"
#include "backend/bpf/bpf_int.h"
#include "spec/spec.h"

#define BT FIXTURE_DIR "/bt/"

static void parses(const char *text, const char *target, const char *prov,
		   const char *name)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	struct probe_spec sp;

	assert_int_equal(spec_parse_pattern(text, &sp, &e), 0);
	assert_true(sp.usdt);
	assert_string_equal(sp.target, target);
	if (prov)
		assert_string_equal(sp.provider, prov);
	else
		assert_null(sp.provider);
	assert_string_equal(sp.symbol, name);
	spec_free(&sp);
}

static void refused(const char *text, const char *msg)
{
	struct lib_error e = LIB_ERROR_SPEC_INIT;
	struct probe_spec sp;

	assert_int_equal(spec_parse_pattern(text, &sp, &e), -EINVAL);
	assert_non_null(strstr(e.msg, msg));
}

static void test_specs(void **state)
{
	(void)state;
	/* bpftrace's empty provider: any */
	parses("usdt:/bin/x::*probe2", "/bin/x", NULL, "*probe2");
	parses("usdt:::*probe2", "", NULL, "*probe2");
	parses("usdt:/bin/x:tracetest:testprobe", "/bin/x", "tracetest",
	       "testprobe");
	/* a quoted name: its quotes unescaped, a ':' inside kept */
	parses("usdt:/bin/x:test:\"\\\"probe1\\\"\"", "/bin/x", "test",
	       "\"probe1\"");
	parses("usdt:/bin/x:\"a:b\":n", "/bin/x", "a:b", "n");
	parses("usdt:/bin/x*::*", "/bin/x*", NULL, "*");
	refused("usdt:/bin/x:test:\"probe1", "quoted probe name");
	refused("usdt:/bin/x:test:\"\"", "quoted probe name");
	refused("usdt:/bin/x:test:\"a\"b\"", "inside a quoted probe name");
}

/* A program compiled (probes resolved, code generated): NULL and the
 * message in err when it is refused. */
static struct sonde_run *compile(const char *prog, pid_t pid, char *err,
				 size_t len)
{
	struct sonde_run_opts o = {.sz = sizeof(o), .text = prog, .pid = pid};
	struct sonde_run *r = sonde_run__open(&o);

	assert_non_null(r);
	if (sonde_run__compile(r)) {
		snprintf(err, len, "%s", sonde_run__errmsg(r));
		sonde_run__close(r);
		return NULL;
	}
	return r;
}

static const struct bt_probe *probe0(struct sonde_run *r)
{
	return &r->prog->blocks[0].probes[0];
}

static void test_constants(void **state)
{
	static const int64_t want[] = {-579005069656919568LL,
				       -579005069656919568LL,
				       4092785136LL,
				       -202182160LL,
				       61936,
				       -3600,
				       240,
				       -16};
	static const char *const names[] = {"u64", "64", "u32", "32",
					    "u16", "16", "u8",	"8"};
	char err[1024], name[512];
	struct sonde_run *r;
	const struct bt_probe *p;
	int i;

	(void)state;
	r = compile("usdt:" BT "usdt_args:usdt_args:const_* "
		    "{ printf(\"%lld\\n\", arg0); }",
		    0, err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 8);
	assert_int_equal(sonde_run__probe_count(r), 8);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name),
			 "usdt:" BT "usdt_args:usdt_args:const_%s", names[i]);
		assert_string_equal(p->sites[i].name, name);
		assert_int_equal(p->sites[i].nuargs, 1);
		assert_int_equal(p->sites[i].uargs[0].kind, BT_UARG_CONST);
		assert_int_equal(p->sites[i].uargs[0].value, want[i]);
	}
	sonde_run__close(r);
}

static void test_registers_memory(void **state)
{
	static const int size[] = {8, 8, 4, 4, 2, 2, 1, 1};
	char err[1024];
	struct sonde_run *r;
	const struct bt_probe *p;
	int i;

	(void)state;
	r = compile("usdt:" BT "usdt_args:usdt_args:reg_* { @[arg0] = 1; }", 0,
		    err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 8);
	for (i = 0; i < 8; i++) {
		const struct bt_uarg *a = &p->sites[i].uargs[0];

		assert_int_equal(a->kind, BT_UARG_REG);
		assert_int_equal(a->reg, gen_reg_offset("ax"));
		assert_int_equal(a->size, size[i]);
		assert_int_equal(a->is_signed, i % 2);
	}
	sonde_run__close(r);

	r = compile("usdt:" BT "usdt_args:usdt_args:addr_* { @[arg0] = 1; }", 0,
		    err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 8);
	for (i = 0; i < 8; i++) {
		const struct bt_uarg *a = &p->sites[i].uargs[0];

		assert_int_equal(a->kind, BT_UARG_MEM);
		assert_int_equal(a->reg, gen_reg_offset("bp"));
		assert_int_equal(a->value, -72);
		assert_int_equal(a->size, size[i]);
		assert_int_equal(a->is_signed, i % 2);
	}
	sonde_run__close(r);

	/* an index register, which the kernel's fetchargs cannot add: read
	 * by the program (bpftrace's expected values for index_* are those
	 * of const_*: tests/runtime/usdt, "usdt addr+index arguments") */
	r = compile("usdt:" BT "usdt_args:usdt_args:index_* { @[arg0] = 1; }",
		    0, err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 8);
	for (i = 0; i < 8; i++) {
		const struct bt_uarg *a = &p->sites[i].uargs[0];

		assert_int_equal(a->kind, BT_UARG_INDEX);
		assert_int_equal(a->reg, gen_reg_offset("bp"));
		assert_int_equal(a->index, gen_reg_offset("ax"));
		assert_int_equal(a->scale, 8);
		assert_int_equal(a->value, -80);
		assert_int_equal(a->size, size[i]);
		assert_int_equal(a->is_signed, i % 2);
	}
	sonde_run__close(r);
}

/* One probe inlined twice: arg1 at two places, told apart by the cookie;
 * more arguments than the six registers; one past the note's. */
static void test_sites_differ(void **state)
{
	char err[1024], *dump = NULL;
	size_t dlen = 0;
	struct sonde_run *r;
	const struct bt_probe *p;
	FILE *f;

	(void)state;
	r = compile("usdt:" BT "usdt_inlined:tracetest:testprobe "
		    "{ printf(\"%d %s\\n\", arg1, probe); }",
		    0, err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 2);
	assert_int_equal(p->sites[0].uargs[1].kind, BT_UARG_MEM);
	assert_int_equal(p->sites[0].uargs[1].value, -20);
	assert_int_equal(p->sites[1].uargs[1].value, -36);
	assert_int_equal(p->sites[1].uargs[1].size, 4);
	assert_true(p->sites[1].uargs[1].is_signed);
	/* one name for both sites: one entry */
	assert_int_equal(r->comp->nprobe_names, 1);
	f = open_memstream(&dump, &dlen);
	assert_non_null(f);
	assert_int_equal(sonde_run__dump(r, f), 0);
	fclose(f);
	assert_non_null(strstr(dump, "bpf_get_attach_cookie"));
	free(dump);
	sonde_run__close(r);

	r = compile("usdt:" BT "usdt_multi_args:usdt_multi_args:probe1 "
		    "{ printf(\"%llx\\n\", arg11); }",
		    0, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(probe0(r)->sites[0].nuargs, 12);
	sonde_run__close(r);
	r = compile("usdt:" BT "usdt_multi_args:usdt_multi_args:probe1 "
		    "{ printf(\"%llx\\n\", arg12); }",
		    0, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "has 12 arguments in its note"));
}

static void test_wildcards(void **state)
{
	char err[1024];
	struct sonde_run *r;
	const struct bt_probe *p;

	(void)state;
	/* an empty provider: testprobe2 of tracetest and of tracetest2 */
	r = compile("usdt:" BT
		    "usdt_test::*probe2 { printf(\"%s\\n\", probe); }",
		    0, err, sizeof(err));
	assert_non_null(r);
	p = probe0(r);
	assert_int_equal(p->nsites, 2);
	assert_string_equal(p->sites[0].name,
			    "usdt:" BT "usdt_test:tracetest:testprobe2");
	assert_string_equal(p->sites[1].name,
			    "usdt:" BT "usdt_test:tracetest2:testprobe2");
	assert_int_equal(r->comp->nprobe_names, 2);
	sonde_run__close(r);

	/* a file pattern: usdt_test's three (usdt_test.p is a directory) */
	r = compile("usdt:" BT "usdt_tes*::* { printf(\"%s\\n\", probe); }", 0,
		    err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(probe0(r)->nsites, 3);
	sonde_run__close(r);

	r = compile("usdt:" BT "usdt_quoted_probe:test:\"\\\"probe1\\\"\" "
		    "{ printf(\"%d\\n\", arg0); }",
		    0, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(probe0(r)->sites[0].name,
			    "usdt:" BT "usdt_quoted_probe:test:\"probe1\"");
	sonde_run__close(r);

	/* '*' as the target is a process's objects: -p is needed */
	r = compile("usdt:*:tracetest:testprobe { exit(); }", 0, err,
		    sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "every object of a process"));
	r = compile("usdt:" BT "nothing*::* { exit(); }", 0, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "no file matches"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_registers_memory),
		cmocka_unit_test(test_sites_differ),
		cmocka_unit_test(test_wildcards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
