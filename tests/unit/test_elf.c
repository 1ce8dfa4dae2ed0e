/* SPDX-License-Identifier: MIT */
/*
 * elf.c against independent references: binutils' own symbol addresses and
 * file offsets (objdump -d -F, captured at build time), and the dynamic
 * loader (dlopen/dlvsym + the load bias) for libfixture.so and libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sym/elf.h"

#define FX FIXTURE_DIR "/"

/* ---- objdump references ---- */

/* "00000000000015a7 <add> (File Offset: 0x15a7):" for label `label` */
static bool objdump_ref(const char *file, const char *label, uint64_t *vaddr,
			uint64_t *off)
{
	char path[4096], line[512], name[256];
	unsigned long long a, o;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), FX "%s.objdump", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx <%255[^>]> (File Offset: 0x%llx):", &a,
			   name, &o) == 3 &&
		    !strcmp(name, label)) {
			*vaddr = a;
			*off = o;
			found = true;
		}
	}
	fclose(f);
	return found;
}

struct sym_case {
	const char *file, *query, *label; /* label: objdump's name for it */
	int is_dyn;
};

static const struct sym_case sym_cases[] = {
	{"fixture_pie", "add", "add", 1},
	{"fixture_pie", "mul3", "mul3", 1},
	{"fixture_pie", "greet", "greet", 1},
	{"fixture_pie", "fact", "fact", 1},
	{"fixture_pie", "slow", "slow", 1},
	{"fixture_pie", "main", "main", 1},
	{"fixture_nopie", "add", "add", 0},
	{"fixture_nopie", "mul3", "mul3", 0},
	{"fixture_nopie", "greet", "greet", 0},
	{"fixture_nopie", "fact", "fact", 0},
	{"fixture_nopie", "slow", "slow", 0},
	{"fixture_nopie", "main", "main", 0},
	{"libfixture.so", "lib_add", "lib_add", 1},
	{"libfixture.so", "lib_echo", "lib_echo", 1},
	/* the bare name is the default version */
	{"libfixture.so", "lib_ver", "lib_ver@@VERS_2", 1},
	{"libfixture.so", "lib_ver@@VERS_2", "lib_ver@@VERS_2", 1},
	{"libfixture.so", "lib_ver@VERS_2", "lib_ver@@VERS_2", 1},
	{"libfixture.so", "lib_ver@VERS_1", "lib_ver@VERS_1", 1},
};

static void sym_case(void **state)
{
	const struct sym_case *c = *state;
	struct elf_file *ef;
	struct elf_sym sym, at;
	uint64_t ref_vaddr, ref_off, off;
	char path[4096];

	if (!objdump_ref(c->file, c->label, &ref_vaddr, &ref_off))
		skip(); /* no objdump at build time */
	snprintf(path, sizeof(path), FX "%s", c->file);
	ef = elf_file_open(path);
	assert_non_null(ef);
	assert_int_equal(elf_file_is_dyn(ef), c->is_dyn);
	assert_int_equal(elf_file_find(ef, c->query, &sym), 0);
	assert_int_equal(sym.addr, ref_vaddr);
	assert_true(sym.size > 4);
	assert_int_equal(strncmp(sym.name, c->query, strlen(sym.name)), 0);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr, &off), 0);
	assert_int_equal(off, ref_off);
	if (!c->is_dyn)
		assert_true(off != sym.addr); /* ET_EXEC: loaded at 0x400000 */
	/* and back, as symbolizing a /proc/PID/maps entry does */
	{
		uint64_t back;
		bool exec = false;

		assert_int_equal(
			elf_file_offset_to_vaddr(ef, ref_off, &back, &exec), 0);
		assert_int_equal(back, ref_vaddr);
		assert_true(exec);
	}
	/* +OFF inside the function */
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr + 3, &off), 0);
	assert_int_equal(off, ref_off + 3);
	/* and back: the address inside symbolizes to the same function */
	assert_int_equal(elf_file_addr_to_sym(ef, sym.addr + 3, &at), 0);
	assert_int_equal(at.addr, sym.addr);
	assert_int_equal(elf_file_addr_to_sym(ef, sym.addr + sym.size - 1, &at),
			 0);
	assert_int_equal(at.addr, sym.addr);
	elf_file_close(ef);
}

/* ---- suggestions ---- */

struct suggest_case {
	const char *file, *query;
	const char *first;  /* expected best, NULL: no suggestion at all */
	const char *absent; /* must not be offered */
};

static const struct suggest_case suggest_cases[] = {
	{"fixture_pie", "ad", "add", NULL},
	{"fixture_pie", "mul", "mul3", NULL},
	{"fixture_pie", "gret", "greet", NULL},
	{"fixture_pie", "fakt", "fact", NULL},
	{"fixture_pie", "ADD", "add", NULL},
	{"fixture_pie", "star", NULL, "_start"},
	{"fixture_pie", "_star", "_start", NULL},
	{"fixture_pie", "qqqqzzzzxx", NULL, NULL},
	{"libfixture.so", "lib_ad", "lib_add", NULL},
	{"libfixture.so", "lib_eco", "lib_echo", NULL},
	{"libfixture.so", "ver", "lib_ver", NULL},
};

static void suggest_case(void **state)
{
	const struct suggest_case *c = *state;
	const char *out[8];
	char path[4096];
	struct elf_file *ef;
	int n, i, j;

	snprintf(path, sizeof(path), FX "%s", c->file);
	ef = elf_file_open(path);
	assert_non_null(ef);
	n = elf_file_suggest(ef, c->query, out, 8);
	assert_true(n >= 0 && n <= 8);
	if (c->first) {
		assert_true(n > 0);
		assert_string_equal(out[0], c->first);
	} else if (!c->absent) {
		assert_int_equal(n, 0);
	}
	for (i = 0; i < n; i++) {
		if (c->absent)
			assert_string_not_equal(out[i], c->absent);
		for (j = 0; j < i; j++) /* no name twice */
			assert_string_not_equal(out[i], out[j]);
	}
	/* max is honoured */
	assert_true(elf_file_suggest(ef, c->query, out, 1) <= 1);
	assert_int_equal(elf_file_suggest(ef, c->query, out, 0), 0);
	elf_file_close(ef);
}

/* ---- the shared library as the dynamic loader sees it ---- */

static uintptr_t load_bias(void *handle)
{
	struct link_map *lm = NULL;

	assert_int_equal(dlinfo(handle, RTLD_DI_LINKMAP, &lm), 0);
	return lm->l_addr;
}

/* What the loader mapped at the symbol is what the file has at the offset:
 * the offset a uprobe would use is the right one. */
static void check_bytes(const char *path, uint64_t off, const void *mem)
{
	unsigned char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), (off_t)off), sizeof(buf));
	close(fd);
	assert_memory_equal(buf, mem, sizeof(buf));
}

static void check_loaded(struct elf_file *ef, const char *path, void *h,
			 const char *query, const char *name,
			 const char *version)
{
	struct elf_sym sym;
	uint64_t off;
	void *rt = version ? dlvsym(h, name, version) : dlsym(h, name);

	assert_non_null(rt);
	assert_int_equal(elf_file_find(ef, query, &sym), 0);
	assert_int_equal(sym.addr + load_bias(h), (uintptr_t)rt);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr, &off), 0);
	check_bytes(path, off, rt);
}

static void lib_loaded(void **state)
{
	const char *path = FX "libfixture.so";
	struct elf_file *ef = elf_file_open(path);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	assert_non_null(ef);
	assert_non_null(h);
	check_loaded(ef, path, h, "lib_add", "lib_add", NULL);
	check_loaded(ef, path, h, "lib_echo", "lib_echo", NULL);
	check_loaded(ef, path, h, "lib_ver", "lib_ver", "VERS_2");
	check_loaded(ef, path, h, "lib_ver@VERS_1", "lib_ver", "VERS_1");
	dlclose(h);
	elf_file_close(ef);
}

static int count_cb(const struct elf_sym *sym, void *ctx)
{
	size_t *n = ctx;

	assert_non_null(sym->name);
	assert_true(sym->name[0] != '\0');
	assert_null(strchr(sym->name, '@'));
	(*n)++;
	return 0;
}

static void libc_symbols(void **state)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	struct link_map *lm = NULL;
	struct elf_sym sym, ifn, at;
	const char *near[5];
	struct timespec t0, t1;
	struct elf_file *ef;
	size_t n = 0;
	double ms;

	assert_non_null(h);
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ef = elf_file_open(lm->l_name);
	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, "malloc", &sym), 0);
	assert_int_equal(elf_file_suggest(ef, "mallok", near, 5) > 0, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 250); /* index, lookup and a full suggestion scan */
	assert_string_equal(near[0], "malloc");

	/* libc has no .symtab: versions come from .gnu.version{,_d} */
	check_loaded(ef, lm->l_name, h, "malloc", "malloc", "GLIBC_2.2.5");
	check_loaded(ef, lm->l_name, h, "malloc@@GLIBC_2.2.5", "malloc",
		     "GLIBC_2.2.5");
	check_loaded(ef, lm->l_name, h, "realpath", "realpath", "GLIBC_2.3");
	check_loaded(ef, lm->l_name, h, "realpath@GLIBC_2.2.5", "realpath",
		     "GLIBC_2.2.5");
	assert_int_equal(elf_file_find(ef, "realpath@@GLIBC_2.2.5", &sym),
			 -ENOENT); /* 2.2.5 is not the default */
	assert_int_equal(elf_file_find(ef, "malloc@GLIBC_9.9", &sym), -ENOENT);
	/* IFUNC symbols are found too (the probe lands on the resolver) */
	assert_int_equal(elf_file_find(ef, "memcpy", &ifn), 0);
	assert_int_equal(elf_file_find(ef, "malloc", &sym), 0);
	assert_int_equal(elf_file_addr_to_sym(ef, sym.addr + 1, &at), 0);
	assert_int_equal(at.addr, sym.addr);
	assert_int_equal(elf_file_for_each_func(ef, count_cb, &n), 0);
	assert_true(n > 1000);
	dlclose(h);
	elf_file_close(ef);
}

/* ---- the rest of the API on the PIE fixture ---- */

static int stop_at_3(const struct elf_sym *sym, void *ctx)
{
	int *n = ctx;

	return ++*n == 3 ? 42 : 0;
}

static void misc_api(void **state)
{
	struct elf_file *ef = elf_file_open(FX "fixture_pie");
	struct elf_sym add, at;
	uint64_t off;
	int n = 0;

	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, "no_such_function", &add), -ENOENT);
	assert_int_equal(elf_file_find(ef, "ad", &add), -ENOENT);
	assert_int_equal(elf_file_find(ef, "", &add), -ENOENT);
	/* data objects are not functions */
	assert_int_equal(elf_file_find(ef, "sink", &add), -ENOENT);
	assert_int_equal(elf_file_find(ef, "add", &add), 0);
	assert_int_equal(elf_file_for_each_func(ef, stop_at_3, &n), 42);
	assert_int_equal(n, 3);
	assert_int_equal(elf_file_addr_to_sym(ef, 0, &at), -ENOENT);
	assert_int_equal(elf_file_addr_to_sym(ef, ~0ull, &at), -ENOENT);
	/* just past add: some other function or padding, not add */
	if (elf_file_addr_to_sym(ef, add.addr + add.size, &at) == 0)
		assert_true(at.addr != add.addr);
	assert_int_equal(elf_file_vaddr_to_offset(ef, 0xffffffffff00ull, &off),
			 -ERANGE);
	assert_int_equal(elf_file_vaddr_to_offset(ef, ~0ull, &off), -ERANGE);
	elf_file_close(ef);
	elf_file_close(NULL);
}

/* ---- bad input ---- */

static char tmpdir[] = "/tmp/sonde-test-elf.XXXXXX";

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static unsigned char *read_fixture(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void not_elf(void **state)
{
	char path[4096];
	struct elf_file *ef;

	ef = elf_file_open(SRC_FIXTURE_DIR "/calls.c");
	assert_null(ef);
	assert_int_equal(errno, ENOEXEC);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0);
	assert_null(elf_file_open(path));
	assert_int_equal(errno, ENOEXEC);
	assert_null(elf_file_open(tmpdir)); /* a directory */
	assert_int_equal(errno, ENOEXEC);
	assert_null(elf_file_open("/nonexistent/x"));
	assert_int_equal(errno, ENOENT);
	/* an ELF relocatable object (meson's object file of the fixture) is
	 * not something a uprobe can use */
	if (access(FX "fixture_pie.p/calls.c.o", R_OK) == 0) {
		assert_null(elf_file_open(FX "fixture_pie.p/calls.c.o"));
		assert_int_equal(errno, ENOEXEC);
	}
}

/* Everything must fail cleanly or work within bounds on a damaged file. */
static void poke(const char *path, uint64_t len)
{
	struct elf_file *ef = elf_file_open(path);
	const char *near[4];
	struct elf_sym sym;
	uint64_t off;
	size_t n = 0;

	if (!ef) {
		assert_true(errno == ENOEXEC || errno == EINVAL ||
			    errno == ENOMEM);
		return;
	}
	if (elf_file_find(ef, "add", &sym) == 0 &&
	    elf_file_vaddr_to_offset(ef, sym.addr, &off) == 0)
		assert_true(off < len);
	elf_file_suggest(ef, "ad", near, 4);
	elf_file_for_each_func(ef, count_cb, &n);
	elf_file_addr_to_sym(ef, 0x1000, &sym);
	elf_file_find(ef, "lib_ver@VERS_1", &sym);
	elf_file_close(ef);
}

static void truncated(void **state)
{
	const char *names[] = {"fixture_pie", "fixture_nopie", "libfixture.so"};
	char src[4096], path[4096];
	unsigned char *buf;
	size_t len, cut, i;

	snprintf(path, sizeof(path), "%s/cut", tmpdir);
	for (i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), FX "%s", names[i]);
		buf = read_fixture(src, &len);
		/* the brief's case: the first 100 bytes are an ELF header and
		 * the start of program headers that are not there */
		write_file(path, buf, 100);
		assert_null(elf_file_open(path));
		assert_int_equal(errno, ENOEXEC);
		for (cut = 0; cut < len; cut += cut < 4096 ? 8 : 509) {
			write_file(path, buf, cut);
			poke(path, cut);
		}
		free(buf);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void corrupted(void **state)
{
	char path[4096];
	unsigned char *buf, *copy;
	size_t len, i, k;

	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	buf = read_fixture(FX "libfixture.so", &len);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < 400; i++) {
		memcpy(copy, buf, len);
		/* headers, section headers at the end, or anywhere */
		for (k = 0; k < 8; k++) {
			uint64_t r = next_rand();
			size_t at = i % 3 == 0	 ? r % 256
				    : i % 3 == 1 ? len - 1 - r % 2048
						 : r % len;

			copy[at] = (unsigned char)(r >> 32);
		}
		write_file(path, copy, len);
		poke(path, len);
	}
	free(copy);
	free(buf);
}

static int setup_tmp(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmp(void **state)
{
	char path[4096];
	const char *f[] = {"empty", "cut", "bad"};
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, f[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static char *case_name(const char *fmt, const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, fmt, a, b) < 0)
		abort();
	return s;
}

int main(void)
{
	size_t nsym = sizeof(sym_cases) / sizeof(*sym_cases);
	size_t nsug = sizeof(suggest_cases) / sizeof(*suggest_cases);
	struct CMUnitTest *t = calloc(nsym + nsug + 8, sizeof(*t));
	size_t n = 0, i;
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < nsym; i++, n++) {
		t[n].name = case_name("%s: %s matches objdump",
				      sym_cases[i].file, sym_cases[i].query);
		t[n].test_func = sym_case;
		t[n].initial_state = (void *)&sym_cases[i];
	}
	for (i = 0; i < nsug; i++, n++) {
		t[n].name = case_name("%s: suggestions for '%s'",
				      suggest_cases[i].file,
				      suggest_cases[i].query);
		t[n].test_func = suggest_case;
		t[n].initial_state = (void *)&suggest_cases[i];
	}
	t[n].name = strdup("libfixture.so: symbols where dlopen puts them");
	t[n++].test_func = lib_loaded;
	t[n].name = strdup("libc: versions, IFUNC, suggestions, speed");
	t[n++].test_func = libc_symbols;
	t[n].name = strdup("find/for_each/addr_to_sym/vaddr edges");
	t[n++].test_func = misc_api;
	t[n].name = strdup("not an ELF executable: ENOEXEC");
	t[n++].test_func = not_elf;
	t[n].name = strdup("truncated ELF files do not crash");
	t[n++].test_func = truncated;
	t[n].name = strdup("corrupted ELF files do not crash");
	t[n++].test_func = corrupted;
	ret = _cmocka_run_group_tests("elf", t, n, setup_tmp, remove_tmp);
	for (i = 0; i < n; i++)
		free((char *)t[i].name);
	free(t);
	return ret;
}
