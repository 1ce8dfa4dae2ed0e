/* SPDX-License-Identifier: MIT */
/*
 * Probe expansion without root: function patterns over the fixtures' ELF
 * files (C names, C++ demangled names), USDT probes of several locations
 * and provider:name patterns, a symbol named like spec text staying data,
 * and expansion's errors with their columns. The reference is binutils'
 * reading of the same files (nm, nm -C, readelf -n captured at build
 * time; objcopy makes the hostile name) and the fixtures' C source, file offsets from the program
 * headers read here through libelf; never sonde's own output.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <spawn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

extern char **environ;

#include <sonde/sonde.h>

#include "resolve/expand.h"
#include "spec/spec.h"

#define FX FIXTURE_DIR "/"

/* ---- references: nm, readelf -n, program headers ---- */

struct nm_sym {
	unsigned long long addr;
	char name[256];
};

/* The function symbols (T, t) nm lists for path; demangled with -C. */
static int nm_funcs(const char *path, bool demangle, struct nm_sym *v, int max)
{
	char cmd[PATH_MAX + 64], line[512], type;
	unsigned long long addr;
	int n = 0, off;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm --defined-only %s '%s' 2>/dev/null",
		 demangle ? "-C" : "", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llx %c %n", &addr, &type, &off) < 2 ||
		    (type != 'T' && type != 't') || n == max)
			continue;
		v[n].addr = addr;
		snprintf(v[n].name, sizeof(v[n].name), "%s", line + off);
		n++;
	}
	return pclose(f) == 0 && n > 0 ? n : -1;
}

/* nm's name without its symbol version ("lib_ver@@VERS_2" -> "lib_ver"). */
static void unversioned(char *name)
{
	name[strcspn(name, "@")] = '\0';
}

/* vaddr -> file offset through the PT_LOAD headers of path. */
static uint64_t ref_offset(const char *path, uint64_t vaddr)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t off = UINT64_MAX;
	GElf_Phdr ph;
	size_t i, n;
	Elf *e;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getphdrnum(e, &n), 0);
	for (i = 0; i < n; i++)
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
			off = vaddr - ph.p_vaddr + ph.p_offset;
	elf_end(e);
	close(fd);
	return off;
}

struct ref_note {
	char provider[64], name[64];
	unsigned long long pc;
};

/* fixture_usdt's notes as readelf -n -W prints them. */
static int read_notes(struct ref_note *v, int max)
{
	FILE *f = fopen(FX "fixture_usdt.notes", "re");
	char line[512], *p;
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = line + strspn(line, " ");
		if ((p = strstr(line, "Provider: ")) && n + 1 < max) {
			n++;
			memset(&v[n], 0, sizeof(v[n]));
			snprintf(v[n].provider, sizeof(v[n].provider), "%s",
				 p + 10);
		} else if (n >= 0 && (p = strstr(line, "Name: "))) {
			snprintf(v[n].name, sizeof(v[n].name), "%s", p + 6);
		} else if (n >= 0 && (p = strstr(line, "Location: "))) {
			sscanf(p, "Location: %llx", &v[n].pc);
		}
	}
	fclose(f);
	return n + 1;
}

static int expand(const char *text, const struct expand_opts *o,
		  struct probe_spec *sp, struct probe_locations *l,
		  struct lib_error *e)
{
	struct lib_error perr = LIB_ERROR_SPEC_INIT;

	assert_int_equal(spec_parse_pattern(text, sp, &perr), 0);
	return probe_expand(sp, o, l, e);
}

static const struct expand_opts no_opts;

/* ---- function patterns ---- */

/* u:fixture_pie:[agm]*: calls.c's add, greet, main and mul3, by address. */
static void c_glob_matches_nm(void **state)
{
	const char *path = FX "fixture_pie";
	struct nm_sym ref[128];
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	char real[PATH_MAX];
	unsigned long long last = 0;
	int n = nm_funcs(path, false, ref, 128), k = 0, i;
	size_t j;

	(void)state;
	if (n < 0)
		skip();
	assert_non_null(realpath(path, real));
	assert_int_equal(expand("u:" FX "fixture_pie:[agm]* x=arg1", &no_opts,
				&sp, &l, &e),
			 0);
	assert_int_equal(l.kind, EXPAND_FUNCTIONS);
	assert_string_equal(l.where, real);
	for (i = 0; i < n; i++)
		k += !fnmatch("[agm]*", ref[i].name, 0);
	assert_int_equal(k, 4); /* add greet main mul3 (calls.c) */
	assert_int_equal(l.n, (size_t)k);
	for (j = 0; j < l.n; j++) {
		const struct probe_location *loc = &l.v[j];

		for (i = 0; i < n && strcmp(ref[i].name, loc->symbol); i++)
			;
		assert_true(i < n);
		assert_true(loc->at_offset);
		assert_int_equal(loc->sym_vaddr, ref[i].addr);
		assert_int_equal(loc->offset, ref_offset(path, ref[i].addr));
		assert_string_equal(loc->path, real);
		assert_null(loc->event); /* C: the symbol names the event */
		assert_true(ref[i].addr > last); /* by address */
		last = ref[i].addr;
	}
	/* the spec's own arguments are untouched: each probe copies them */
	assert_int_equal(sp.nargs, 1);
	assert_string_equal(sp.args[0].name, "x");
	probe_locations_free(&l);
	spec_free(&sp);
}

/* lib_*: one location per address (versioned aliases share one), each
 * named by one of the names nm gives that address. */
static void aliases_one_location(void **state)
{
	const char *path = FX "libfixture.so";
	struct nm_sym ref[64];
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	unsigned long long addrs[64];
	int n = nm_funcs(path, false, ref, 64), na = 0, i, k;
	size_t j;

	(void)state;
	if (n < 0)
		skip();
	for (i = 0; i < n; i++) {
		unversioned(ref[i].name);
		if (fnmatch("lib_*", ref[i].name, 0))
			continue;
		for (k = 0; k < na && addrs[k] != ref[i].addr; k++)
			;
		if (k == na)
			addrs[na++] = ref[i].addr;
	}
	assert_int_equal(na, 4); /* lib_add lib_echo lib_ver x2 (the C) */
	assert_int_equal(
		expand("ur:" FX "libfixture.so:lib_*", &no_opts, &sp, &l, &e),
		0);
	assert_int_equal(l.n, (size_t)na);
	for (j = 0; j < l.n; j++) {
		for (i = 0; i < n && !(ref[i].addr == l.v[j].sym_vaddr &&
				       !strcmp(ref[i].name, l.v[j].symbol));
		     i++)
			;
		assert_true(i < n);
		assert_int_equal(l.v[j].offset,
				 ref_offset(path, l.v[j].sym_vaddr));
		assert_true(!j || l.v[j].sym_vaddr > l.v[j - 1].sym_vaddr);
	}
	probe_locations_free(&l);
	spec_free(&sp);
}

/* ns::Cls::method (no parameters: every overload) and ns::* by their
 * demangled names; the symbol handed over is the mangled one at that
 * address, the event name base the demangled one without parameters. */
static void cxx_demangled(void **state)
{
	const char *path = FX "cxx_prog";
	struct nm_sym dm[64], mg[64];
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	char base[256];
	int n = nm_funcs(path, true, dm, 64), m = nm_funcs(path, false, mg, 64);
	int i, k, want;
	size_t j;

	(void)state;
	if (n < 0 || m < 0 || access(path, R_OK))
		skip();
	assert_int_equal(expand("ur:" FX "cxx_prog:ns::Cls::method", &no_opts,
				&sp, &l, &e),
			 0);
	assert_true(sp.pattern);
	assert_int_equal(l.n, 3); /* the three overloads of cxx_prog.cpp */
	for (j = 0; j < l.n; j++) {
		for (i = 0; i < n && dm[i].addr != l.v[j].sym_vaddr; i++)
			;
		assert_true(i < n);
		assert_int_equal(strncmp(dm[i].name, "ns::Cls::method(", 16),
				 0);
		for (k = 0; k < m && mg[k].addr != l.v[j].sym_vaddr; k++)
			;
		assert_true(k < m);
		assert_string_equal(l.v[j].symbol, mg[k].name);
		assert_string_equal(l.v[j].event, "ns::Cls::method__return");
	}
	probe_locations_free(&l);
	spec_free(&sp);

	assert_int_equal(
		expand("u:" FX "cxx_prog:ns::*", &no_opts, &sp, &l, &e), 0);
	for (i = 0, want = 0; i < n; i++)
		want += !strncmp(dm[i].name, "ns::", 4);
	assert_int_equal(l.n, (size_t)want);
	for (j = 0; j < l.n; j++) {
		for (i = 0; i < n && dm[i].addr != l.v[j].sym_vaddr; i++)
			;
		assert_true(i < n);
		snprintf(base, sizeof(base), "%.*s",
			 (int)strcspn(dm[i].name, "("), dm[i].name);
		assert_string_equal(l.v[j].event, base);
	}
	probe_locations_free(&l);
	spec_free(&sp);
}

/* ---- errors, and what expansion leaves to the one-probe path ---- */

static void errors_and_columns(void **state)
{
	struct expand_opts two = {.max_probes = 2};
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	char want[PATH_MAX + 64], real[PATH_MAX];

	(void)state;
	assert_non_null(realpath(FX "libfixture.so", real));
	assert_int_equal(
		expand("u:" FX "libfixture.so:nomatch*", &no_opts, &sp, &l, &e),
		-ENOENT);
	snprintf(want, sizeof(want), "no function matches 'nomatch*' in %s",
		 real);
	assert_string_equal(e.msg, want);
	assert_int_equal(e.col, -1);
	spec_free(&sp);

	assert_int_equal(
		expand("u:" FX "libfixture.so:lib_*", &two, &sp, &l, &e),
		-E2BIG);
	assert_non_null(strstr(e.msg, "'lib_*' matches 4 functions, more "
				      "than the limit of 2 probes"));
	spec_free(&sp);

	/* an empty target: the column of TARGET, as written */
	assert_int_equal(expand("u::lib_*", &no_opts, &sp, &l, &e), -EINVAL);
	assert_int_equal(e.col, 2);
	assert_int_equal(e.col, sp.target_col);
	assert_non_null(strstr(e.msg, "a function pattern needs its object"));
	spec_free(&sp);
	assert_int_equal(expand("usdt::fixture:*", &no_opts, &sp, &l, &e),
			 -EINVAL);
	assert_int_equal(e.col, 5);
	assert_non_null(strstr(e.msg, "give its -p PID"));
	spec_free(&sp);

	/* one place, or a target it cannot read: resolved alone */
	assert_int_equal(
		expand("u:" FX "libfixture.so:lib_add", &no_opts, &sp, &l, &e),
		0);
	assert_int_equal(l.kind, EXPAND_NONE);
	spec_free(&sp);
	assert_int_equal(expand("u:/nonexistent/x:f*", &no_opts, &sp, &l, &e),
			 0);
	assert_int_equal(l.kind, EXPAND_NONE);
	spec_free(&sp);
	/* the kernel's own syntax takes no kernel pattern */
	assert_int_equal(spec_parse_pattern("p:ev vfs_*", &sp, NULL), -EINVAL);
}

/* ---- USDT ---- */

/* usdt:fixture_usdt:fixture:*: one site per provider:name, note order. */
static void usdt_pattern_sites(void **state)
{
	struct ref_note ref[16];
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	char names[16][64], real[PATH_MAX];
	int n = read_notes(ref, 16), nn = 0, i, k;

	(void)state;
	if (n < 0)
		skip();
	assert_non_null(realpath(FX "fixture_usdt", real));
	for (i = 0; i < n; i++) {
		if (strcmp(ref[i].provider, "fixture"))
			continue;
		for (k = 0; k < nn && strcmp(names[k], ref[i].name); k++)
			;
		if (k == nn)
			snprintf(names[nn++], sizeof(names[0]), "%s",
				 ref[i].name);
	}
	assert_int_equal(expand("usdt:" FX "fixture_usdt:fixture:*", &no_opts,
				&sp, &l, &e),
			 0);
	assert_int_equal(l.kind, EXPAND_SITES);
	assert_int_equal(l.n, (size_t)nn);
	for (k = 0; k < nn; k++) {
		assert_string_equal(l.v[k].usdt_name, names[k]);
		assert_string_equal(l.v[k].usdt_provider, "fixture");
		assert_string_equal(l.v[k].path, real);
		assert_false(l.v[k].at_offset);
	}
	probe_locations_free(&l);
	spec_free(&sp);
}

static struct sonde_session *session(void)
{
	struct sonde_session_opts o = {.sz = sizeof(o)};
	struct sonde_session *s = sonde_session__open(&o);

	assert_non_null(s);
	return s;
}

/* Does probe i's definition end with " PATH:0xOFF" and args? */
static void def_ends(struct sonde_session *s, int i, const char *path,
		     uint64_t off, const char *args)
{
	const char *def = sonde_session__probe_definition(s, i);
	char want[PATH_MAX + 64];
	size_t n, w;

	assert_non_null(def);
	/* the args, then sonde's hidden comm at the hit (fault.c) */
	snprintf(want, sizeof(want), " %s:0x%llx%s __sonde_pcomm=$comm", path,
		 (unsigned long long)off, args);
	n = strlen(def);
	w = strlen(want);
	assert_true(n > w);
	assert_string_equal(def + n - w, want);
}

/* fixture:twice has two locations (fixture_usdt.c): one probe each, from
 * the one parsed spec, at readelf's locations; the pattern makes one per
 * note, grouped by name in note order. */
static void usdt_several_locations(void **state)
{
	const char *path = FX "fixture_usdt";
	struct sonde_probe_site site = {.sz = sizeof(site)};
	struct ref_note ref[16];
	struct sonde_session *s;
	char real[PATH_MAX];
	int n = read_notes(ref, 16), i, k, idx, twice = 0;

	(void)state;
	if (n < 0)
		skip();
	assert_non_null(realpath(path, real));
	s = session();
	assert_int_equal(
		sonde_session__add_probe(
			s, "usdt:" FX "fixture_usdt:fixture:twice", NULL),
		0);
	for (i = 0; i < n; i++) {
		if (strcmp(ref[i].name, "twice"))
			continue;
		/* argN from the note: arg1 of DTRACE_PROBE1, an int in
		 * %edi (readelf: -4@%edi) */
		def_ends(s, twice, real, ref_offset(path, ref[i].pc),
			 " arg1=%di:s32");
		twice++;
	}
	assert_int_equal(twice, 2); /* DTRACE_PROBE1(fixture, twice) x2 */
	assert_int_equal(sonde_session__probe_count(s), twice);
	assert_string_equal(sonde_session__probe_name(s, 0), "twice");
	assert_string_equal(sonde_session__probe_name(s, 1), "twice_2");
	sonde_session__close(s);

	s = session();
	idx = sonde_session__add_probe(s, "usdt:" FX "fixture_usdt:fixture:*",
				       NULL);
	assert_int_equal(idx, 0);
	k = 0;
	for (i = 0; i < n; i++)
		k += !strcmp(ref[i].provider, "fixture");
	assert_int_equal(sonde_session__probe_count(s), k);
	for (i = 0; i < k; i++) {
		assert_int_equal(sonde_session__probe_site(s, i, &site), 0);
		assert_string_equal(site.path, real);
	}
	sonde_session__close(s);
}

/* ---- a symbol named like spec text stays data ---- */

/* fixture_pie with mul3 renamed "spoof arg1=\1234" by objcopy, in a
 * scratch directory: its path, or NULL when objcopy is missing. */
static char *make_hostile(char *dir, size_t len)
{
	char *argv[] = {"objcopy",
			"--redefine-sym",
			"mul3=spoof arg1=\\1234",
			FX "fixture_pie",
			NULL,
			NULL};
	static char out[PATH_MAX];
	pid_t pid;
	int st;

	snprintf(dir, len, "/tmp/sonde_expand_XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	snprintf(out, sizeof(out), "%s/hostile", dir);
	argv[4] = out;
	if (posix_spawnp(&pid, "objcopy", NULL, NULL, argv, environ) ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		unlink(out);
		rmdir(dir);
		return NULL;
	}
	return out;
}

/* The match adds no argument and keeps its name. */
static void hostile_symbol_is_data(void **state)
{
	char dir[64], text[PATH_MAX + 64];
	const char *path = make_hostile(dir, sizeof(dir));
	struct sonde_probe_site site = {.sz = sizeof(site)};
	struct nm_sym ref[128];
	struct probe_locations l;
	struct lib_error e = LIB_ERROR_INIT(1024);
	struct probe_spec sp;
	struct sonde_session *s;
	char real[PATH_MAX];
	const char *def;
	int n, i;

	(void)state;
	if (!path)
		skip();
	n = nm_funcs(path, false, ref, 128);
	if (n < 0) {
		unlink(path);
		rmdir(dir);
		skip();
	}
	for (i = 0; i < n && strcmp(ref[i].name, "spoof arg1=\\1234"); i++)
		;
	assert_true(i < n);
	assert_non_null(realpath(path, real));
	snprintf(text, sizeof(text), "u:%s:spoof*", path);
	assert_int_equal(expand(text, &no_opts, &sp, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].symbol, "spoof arg1=\\1234");
	assert_int_equal(l.v[0].sym_vaddr, ref[i].addr);
	assert_int_equal(sp.nargs, 0);
	probe_locations_free(&l);
	spec_free(&sp);

	s = session();
	assert_int_equal(sonde_session__add_probe(s, text, NULL), 0);
	assert_int_equal(sonde_session__probe_count(s), 1);
	def_ends(s, 0, real, ref_offset(path, ref[i].addr), "");
	assert_string_equal(sonde_session__probe_name(s, 0),
			    "spoof_arg1__1234");
	assert_int_equal(sonde_session__probe_site(s, 0, &site), 0);
	assert_string_equal(site.symbol, "spoof arg1=\\1234");
	/* with arguments: exactly the ones asked */
	snprintf(text, sizeof(text), "u:%s:spoof* a=arg1:s32", path);
	assert_int_equal(sonde_session__add_probe(s, text, NULL), 1);
	def = sonde_session__probe_definition(s, 1);
	assert_non_null(def);
	assert_null(strstr(def, "arg1="));
	/* a, then sonde's hidden comm only */
	assert_non_null(strstr(def, " a=%di:s32 __sonde_pcomm=$comm"));
	assert_string_equal(strstr(def, " a=%di:s32"),
			    " a=%di:s32 __sonde_pcomm=$comm");
	sonde_session__close(s);
	unlink(path);
	rmdir(dir);
}

/* ---- sonde_spec__*: what the CLI asks of a spec ---- */

static void spec_query(void **state)
{
	struct sonde_spec *q;

	(void)state;
	q = sonde_spec__parse("ur:/bin/true:main x=retval:u32 comm");
	assert_non_null(q);
	assert_true(sonde_spec__is_return(q));
	assert_int_equal(sonde_spec__arg_count(q), 2);
	assert_string_equal(sonde_spec__arg_name(q, 0), "x");
	assert_string_equal(sonde_spec__arg_name(q, 1), "comm");
	assert_null(sonde_spec__arg_name(q, 2));
	sonde_spec__free(q);
	q = sonde_spec__parse("p:ev /bin/true:0x10%return");
	assert_non_null(q);
	assert_true(sonde_spec__is_return(q));
	sonde_spec__free(q);
	q = sonde_spec__parse("k:vfs_* arg1");
	assert_non_null(q);
	assert_false(sonde_spec__is_return(q));
	assert_string_equal(sonde_spec__arg_name(q, 0), "arg1");
	sonde_spec__free(q);
	errno = 0;
	assert_null(sonde_spec__parse("u:/bin/true"));
	assert_int_equal(errno, EINVAL);
	sonde_spec__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(c_glob_matches_nm),
		cmocka_unit_test(aliases_one_location),
		cmocka_unit_test(cxx_demangled),
		cmocka_unit_test(errors_and_columns),
		cmocka_unit_test(usdt_pattern_sites),
		cmocka_unit_test(usdt_several_locations),
		cmocka_unit_test(hostile_symbol_is_data),
		cmocka_unit_test(spec_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
