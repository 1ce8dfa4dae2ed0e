/* SPDX-License-Identifier: MIT */
/*
 * USDT: the x86-64 argument specs -> fetchargs (table), the notes of
 * fixture_usdt against binutils' reading of them (readelf -n, captured at
 * build time), the semaphore's file offset against the .probes section read
 * here through libelf, and the usdt: grammar with its deferred argN.
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

#include "spec/spec.h"
#include "sym/usdt.h"

#define FX FIXTURE_DIR "/"

static int fake_sym(void *ctx, const char *name, uint64_t *vaddr)
{
	if (!strcmp(name, "counter")) {
		*vaddr = *(uint64_t *)ctx;
		return 0;
	}
	return -ENOENT;
}

struct arg_case {
	const char *spec, *fetch, *type;
	int size;
	bool is_signed;
};

static const struct arg_case arg_cases[] = {
	{"-4@%ebx", "%bx", "s32", 4, true},
	{"8@%r14", "%r14", "u64", 8, false},
	{"-8@%r13", "%r13", "s64", 8, true},
	{"1@%al", "%ax", "u8", 1, false},
	{"-1@%sil", "%si", "s8", 1, true},
	{"-2@%r12w", "%r12", "s16", 2, true},
	{"4@%r9d", "%r9", "u32", 4, false},
	{"2@%bp", "%bp", "u16", 2, false},
	{"1@%ah", "%ax", "b8@8/64", 1, false},
	{"-4@-36(%rbp)", "-36(%bp)", "s32", 4, true},
	{"4@12(%rsp)", "+12(%sp)", "u32", 4, false},
	{"8@(%rdi)", "+0(%di)", "u64", 8, false},
	{"8@0x10(%r8)", "+16(%r8)", "u64", 8, false},
	{"-8@counter(%rip)", "@+0x4060", "s64", 8, true},
	{"4@counter+8(%rip)", "@+0x4068", "u32", 4, false},
	{"4@$5", "\\5", "u32", 4, false},
	{"-4@$-5", "\\-5", "s32", 4, true},
	{"%rdi", "%di", "u64", 8, false}, /* no size: a long */
};

static void arg_case(void **state)
{
	const struct arg_case *c = *state;
	uint64_t counter = 0x4060;
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);

	if (usdt_arg_parse(c->spec, fake_sym, &counter, 0x11ab, 0x11ab, &a,
			   &le))
		fail_msg("'%s' refused: %s", c->spec, le.msg);
	assert_string_equal(a.fetch, c->fetch);
	assert_string_equal(a.type, c->type);
	assert_int_equal(a.size, c->size);
	assert_int_equal(a.is_signed, c->is_signed);
}

/* A non-PIE file: @+OFF is relative to where the probe's segment maps. */
static void rip_nopie(void **state)
{
	uint64_t counter = 0x404060;
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_int_equal(usdt_arg_parse("-8@counter(%rip)", fake_sym, &counter,
					0x4011ab, 0x11ab, &a, &le),
			 0);
	assert_string_equal(a.fetch, "@+0x4060");
}

struct bad_arg {
	const char *spec, *msg;
};

static const struct bad_arg bad_args[] = {
	{"3@%eax", "bad size in argument '3@%eax'"},
	{"16@%rax", "bad size"},
	{"8@%foo", "unknown register '%foo'"},
	{"8@(%rax,%rbx,8)", "uses an index register"},
	{"8@nosym(%rip)", "no symbol 'nosym'"},
	{"8@counter(%rax)", "only understood relative to %rip"},
	{"8@$x", "bad immediate"},
	{"8@rax", "is not a register, memory operand or immediate"},
};

static void bad_arg(void **state)
{
	const struct bad_arg *c = *state;
	uint64_t counter = 0x4060;
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_int_equal(usdt_arg_parse(c->spec, fake_sym, &counter, 0x11ab,
					0x11ab, &a, &le),
			 -EINVAL);
	if (!strstr(le.msg, c->msg))
		fail_msg("'%s': message '%s' lacks '%s'", c->spec, le.msg,
			 c->msg);
}

/* ---- the fixture's notes against readelf ---- */

struct ref_note {
	char provider[64], name[64], args[256];
	unsigned long long pc, base, sem;
};

static int read_refs(struct ref_note *v, int max)
{
	char line[512];
	int n = -1;
	FILE *f = fopen(FX "fixture_usdt.notes", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " "), *pr;

		line[strcspn(line, "\n")] = '\0';
		/* readelf -W puts "Provider:" on the owner's line */
		pr = strstr(line, "Provider: ");
		if (pr && n + 1 < max) {
			p = pr;
			n++;
			memset(&v[n], 0, sizeof(v[n]));
			snprintf(v[n].provider, sizeof(v[n].provider), "%s",
				 p + 10);
		} else if (n >= 0 && !strncmp(p, "Name: ", 6)) {
			snprintf(v[n].name, sizeof(v[n].name), "%s", p + 6);
		} else if (n >= 0 && !strncmp(p, "Location: ", 10)) {
			sscanf(p, "Location: %llx, Base: %llx, Semaphore: %llx",
			       &v[n].pc, &v[n].base, &v[n].sem);
		} else if (n >= 0 && !strncmp(p, "Arguments: ", 11)) {
			snprintf(v[n].args, sizeof(v[n].args), "%s", p + 11);
		}
	}
	fclose(f);
	return n + 1;
}

/* .probes' address and file offset, and the text segment's bias. */
static void probes_section(uint64_t *addr, uint64_t *off)
{
	int fd = open(FX "fixture_usdt", O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t str;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getshdrstrndx(e, &str), 0);
	*addr = *off = 0;
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) &&
		    !strcmp(elf_strptr(e, str, sh.sh_name), ".probes")) {
			*addr = sh.sh_addr;
			*off = sh.sh_offset;
		}
	elf_end(e);
	close(fd);
}

static void notes_match_readelf(void **state)
{
	struct ref_note ref[16];
	struct usdt_file *f;
	const struct usdt_probe *p;
	uint64_t paddr, poff;
	int n = read_refs(ref, 16), i, with_sem = 0;

	if (n < 0)
		skip();
	assert_int_equal(n, 5);
	probes_section(&paddr, &poff);
	assert_int_equal(usdt_open(FX "fixture_usdt", &f), 0);
	assert_int_equal(usdt_count(f), 5);
	for (i = 0; i < n; i++) {
		p = usdt_get(f, i);
		assert_string_equal(p->provider, ref[i].provider);
		assert_string_equal(p->name, ref[i].name);
		assert_string_equal(p->args, ref[i].args);
		assert_int_equal(p->pc, ref[i].pc);
		/* PIE, text mapped at its file offset */
		assert_int_equal(p->offset, ref[i].pc);
		assert_int_equal(p->sem_addr, ref[i].sem);
		if (ref[i].sem) {
			with_sem++;
			assert_string_equal(p->name, "hot");
			assert_int_equal(p->sem_offset,
					 ref[i].sem - paddr + poff);
		}
	}
	assert_int_equal(with_sem, 1);
	usdt_close(f);
}

/* Every argument of every probe becomes a fetcharg of its size. */
static void fixture_args(void **state)
{
	struct usdt_file *f;
	const struct usdt_probe *p;
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);
	size_t i;
	int k, n;

	assert_int_equal(usdt_open(FX "fixture_usdt", &f), 0);
	for (i = 0; i < usdt_count(f); i++) {
		p = usdt_get(f, i);
		n = usdt_nargs(p);
		for (k = 1; k <= n; k++)
			if (usdt_arg(f, p, k, &a, &le))
				fail_msg("%s arg%d: %s", p->name, k, le.msg);
		if (!strcmp(p->name, "tick")) {
			assert_int_equal(n, 5);
			/* arg4 is the global counter: a file-relative read */
			assert_int_equal(usdt_arg(f, p, 4, &a, &le), 0);
			assert_string_equal(a.type, "s64");
			assert_int_equal(strncmp(a.fetch, "@+0x", 4), 0);
			assert_int_equal(usdt_arg(f, p, 6, &a, &le), -ERANGE);
			assert_string_equal(le.msg,
					    "probe fixture:tick has 5 "
					    "arguments: arg6 is not one");
		}
	}
	usdt_close(f);
}

static void not_elf(void **state)
{
	struct usdt_file *f;

	assert_int_equal(usdt_open(SRC_FIXTURE_DIR "/fixture_usdt.c", &f),
			 -ENOEXEC);
	assert_null(f);
	assert_int_equal(usdt_open("/nonexistent", &f), -ENOENT);
}

/* ---- grammar ---- */

static void grammar(void **state)
{
	struct probe_spec s;
	struct lib_error err;

	assert_int_equal(spec_parse("usdt:./x:prov:name a=arg1 +0(arg5):string "
				    "arg2:u8 comm",
				    &s, &err),
			 0);
	assert_true(s.usdt);
	assert_int_equal(s.kind, PROBE_UPROBE);
	assert_string_equal(s.target, "./x");
	assert_string_equal(s.provider, "prov");
	assert_string_equal(s.symbol, "name");
	assert_int_equal(s.symbol_col, 14);
	assert_int_equal(s.nargs, 4);
	assert_true(s.args[0].deferred);
	assert_string_equal(s.args[0].fetch, "arg1");
	assert_null(s.args[0].type); /* the note's, when resolved */
	assert_true(s.args[1].deferred);
	assert_string_equal(s.args[1].fetch, "+0(arg5)");
	assert_string_equal(s.args[1].name, "arg5_0");
	assert_string_equal(s.args[2].type, "u8");
	assert_false(s.args[3].deferred);
	assert_string_equal(s.args[3].fetch, "$comm");
	spec_free(&s);

	assert_int_equal(spec_parse("usdt:/bin/x:tick", &s, &err), 0);
	assert_null(s.provider);
	assert_string_equal(s.symbol, "tick");
	assert_int_equal(s.nargs, 0);
	spec_free(&s);

	assert_int_equal(spec_parse("usdt:/bin/x:a-b", &s, &err), -EINVAL);
	assert_int_equal(err.col, 13);
	assert_int_equal(spec_parse("usdt", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "missing ':' after 'usdt': expected "
				     "usdt:TARGET:[PROVIDER:]NAME");
}

/* A resolver of argN: arg1 -> %bx:s32, arg2 -> %r14:u64. */
static int fake_name(void *ctx, const char *name, bool want_string,
		     char **fetch, char *type, size_t typelen,
		     struct lib_error *e)
{
	const char *f = !strcmp(name, "arg1")	? "%bx"
			: !strcmp(name, "arg2") ? "%r14"
						: NULL;

	if (!f) {
		return lib_error_set(e, ERANGE, -1, "no %s here", name);
	}
	if (want_string)
		return asprintf(fetch, "+0(%s)", f) < 0 ? -ENOMEM : 0;
	*fetch = strdup(f);
	snprintf(type, typelen, "%s", name[3] == '1' ? "s32" : "u64");
	return 0;
}

static void resolve(void **state)
{
	struct fetch_resolver r = {.name = fake_name};
	struct probe_spec s;
	struct lib_error err;

	assert_int_equal(spec_parse("usdt:./x:n arg1 s=arg2:string "
				    "d=+8(arg2):x16 arg1:u8",
				    &s, &err),
			 0);
	assert_true(spec_has_deferred(&s));
	assert_int_equal(spec_resolve_args(&s, &r, NULL, &err), 0);
	assert_false(spec_has_deferred(&s));
	assert_string_equal(s.args[0].fetch, "%bx");
	assert_string_equal(s.args[0].type, "s32");
	assert_string_equal(s.args[1].fetch, "+0(%r14)");
	assert_string_equal(s.args[1].type, "string");
	assert_string_equal(s.args[2].fetch, "+8(%r14)");
	assert_string_equal(s.args[2].type, "x16");
	assert_string_equal(s.args[3].type, "u8"); /* the user's wins */
	spec_free(&s);

	/* the resolver's sentence, at the argument's column */
	assert_int_equal(spec_parse("usdt:./x:n a=arg1 b=arg3", &s, &err), 0);
	assert_int_equal(spec_resolve_args(&s, &r, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "no arg3 here");
	assert_int_equal(err.col, 20);
	spec_free(&s);

	/* no resolver: say what is missing */
	assert_int_equal(spec_parse("u:./x:f len", &s, &err), 0);
	assert_int_equal(spec_resolve_args(&s, NULL, "no DWARF", &err),
			 -EINVAL);
	assert_string_equal(err.msg, "cannot resolve 'len': no DWARF");
	assert_int_equal(err.col, 8);
	spec_free(&s);
}

int main(void)
{
	size_t na = sizeof(arg_cases) / sizeof(*arg_cases);
	size_t nb = sizeof(bad_args) / sizeof(*bad_args);
	struct CMUnitTest *t = calloc(na + nb + 8, sizeof(*t));
	size_t n = 0, i;
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < na; i++, n++) {
		t[n].name = arg_cases[i].spec;
		t[n].test_func = arg_case;
		t[n].initial_state = (void *)&arg_cases[i];
	}
	for (i = 0; i < nb; i++, n++) {
		t[n].name = bad_args[i].spec;
		t[n].test_func = bad_arg;
		t[n].initial_state = (void *)&bad_args[i];
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(rip_nopie);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(notes_match_readelf);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(fixture_args);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(not_elf);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(grammar);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(resolve);
	ret = _cmocka_run_group_tests("usdt", t, n, NULL, NULL);
	free(t);
	return ret;
}
