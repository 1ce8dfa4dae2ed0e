/* SPDX-License-Identifier: MIT */
/*
 * target_resolve(): paths, $PATH, the real ld.so.cache (checked against the
 * libc the loader mapped into this test), generated ld.so.cache files in
 * both formats (and damaged ones), and a fake /proc/PID/maps.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "resolve/target.h"

#define FX FIXTURE_DIR "/"

static char tmp[] = "/tmp/sonde-test-target.XXXXXX";
static struct lib_error le = LIB_ERROR_INIT(512);
static char out[PATH_MAX];

static int resolve(const char *t, pid_t pid)
{
	return target_resolve(t, pid, out, sizeof(out), &le);
}

static void tpath(char *buf, const char *rel)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmp, rel);
}

static void touch(const char *rel, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	tpath(p, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	tpath(p, rel);
	for (s = p + strlen(tmp) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	mkdir(p, 0700);
}

static void expect_real(const char *path)
{
	char want[PATH_MAX];

	assert_non_null(realpath(path, want));
	assert_string_equal(out, want);
}

/* ---- the system: libc as the loader found it ---- */

static const char *loaded_libc(void)
{
	static char path[PATH_MAX];
	struct link_map *lm = NULL;
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	assert_non_null(h);
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	assert_non_null(realpath(lm->l_name, path));
	dlclose(h);
	return path;
}

static void system_libs(void **state)
{
	const char *libc = loaded_libc();
	const char *names[] = {"libc", "c", "libc.so.6", "libc.so"};
	const char *slash;
	size_t i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(resolve(names[i], 0), 0);
		assert_string_equal(out, libc);
	}
	assert_int_equal(resolve("libm.so", 0), 0);
	slash = strrchr(out, '/');
	assert_int_equal(strncmp(slash, "/libm.so.", 9), 0);
	assert_int_equal(resolve("m", 0), 0);
	assert_int_equal(strncmp(strrchr(out, '/'), "/libm.so.", 9), 0);
	assert_int_equal(resolve("libpthread", 0), 0);
	assert_string_equal(strrchr(out, '/'), "/libpthread.so.0");
	/* "libc" must not be taken for libcrypt, and the other way round */
	if (resolve("libcrypt", 0) == 0)
		assert_string_not_equal(out, libc);
}

static void program_in_path(void **state)
{
	char dirs[2 * PATH_MAX + 8], p[PATH_MAX];
	char *saved = strdup(getenv("PATH") ?: "");

	assert_int_equal(resolve("ls", 0), 0);
	expect_real("/bin/ls");
	/* not executable in the first directory: the second one's */
	mkdirs("bin1");
	mkdirs("bin2");
	touch("bin1/mytool", 0644);
	touch("bin2/mytool", 0755);
	tpath(p, "bin1");
	snprintf(dirs, sizeof(dirs), "%s:%s/bin2", p, tmp);
	setenv("PATH", dirs, 1);
	assert_int_equal(resolve("mytool", 0), 0);
	tpath(p, "bin2/mytool");
	expect_real(p);
	/* a directory of that name in PATH is skipped */
	setenv("PATH", tmp, 1);
	assert_int_equal(resolve("bin1", 0), -ENOENT);
	setenv("PATH", saved, 1);
	free(saved);
}

static void paths(void **state)
{
	char cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(FIXTURE_DIR), 0);
	assert_int_equal(resolve("./fixture_pie", 0), 0);
	expect_real(FX "fixture_pie");
	assert_int_equal(chdir(".."), 0);
	assert_int_equal(resolve("fixtures/fixture_nopie", 0), 0);
	expect_real(FX "fixture_nopie");
	assert_int_equal(resolve("fixtures/../fixtures/libfixture.so", 0), 0);
	expect_real(FX "libfixture.so");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(resolve(FX "fixture_pie", 0), 0);
	expect_real(FX "fixture_pie");
	assert_int_equal(out[0], '/');
}

static void errors(void **state)
{
	char small[8];

	unsetenv("SONDE_LDSO_CACHE");
	assert_int_equal(resolve("nosuch_prog_zz", 0), -ENOENT);
	assert_string_equal(le.msg,
			    "no program or library named 'nosuch_prog_zz' "
			    "(searched $PATH and /etc/ld.so.cache)");
	assert_int_equal(resolve("libnosuch_zz", 77777777), -ENOENT);
	assert_non_null(strstr(le.msg, "'libnosuch_zz'"));
	assert_non_null(strstr(le.msg, "77777777"));
	assert_int_equal(resolve("./nosuch_zz", 0), -ENOENT);
	assert_non_null(strstr(le.msg, "./nosuch_zz"));
	assert_int_equal(resolve("/tmp", 0), -EISDIR);
	assert_int_equal(resolve("/dev/null", 0), -EINVAL);
	assert_non_null(strstr(le.msg, "not a regular file"));
	assert_int_equal(resolve("", 0), -EINVAL);
	assert_int_equal(
		target_resolve(FX "fixture_pie", 0, small, sizeof(small), &le),
		-ENAMETOOLONG);
	assert_int_equal(target_resolve("libc", 0, small, sizeof(small), NULL),
			 -ENAMETOOLONG);
}

/* ---- generated ld.so.cache files ---- */

struct ent {
	int32_t flags;
	const char *key, *value;
	uint64_t hwcap;
};

enum fmt { NEW, OLD, BOTH };

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * Lay a cache out as ldconfig does (glibc elf/cache.c): new header (48
 * bytes) + 24-byte entries, strings after them, offsets counted from the
 * new header; old format: 16-byte header + 12-byte entries, offsets from
 * the end of those entries. A key of NULL gets an offset past the end.
 */
static size_t make_cache(unsigned char *buf, enum fmt f, const struct ent *e,
			 size_t n)
{
	size_t old = 0, hdr = 0, strings, at, i;

	memset(buf, 0, 65536);
	if (f != NEW) {
		memcpy(buf, "ld.so-1.7.0", 11);
		put32(buf + 12, (uint32_t)n);
		old = 16 + 12 * n;
		hdr = f == BOTH ? (old + 7) & ~(size_t)7 : old;
	}
	if (f != OLD) {
		memcpy(buf + hdr, "glibc-ld.so.cache1.1", 20);
		put32(buf + hdr + 20, (uint32_t)n);
		buf[hdr + 28] = 2; /* little endian */
		strings = hdr + 48 + 24 * n;
	} else {
		strings = old;
	}
	at = strings;
	for (i = 0; i < n; i++) {
		uint32_t k, v;

		/* ldconfig leaves glibc-hwcaps entries out of the old table */
		if (f == OLD && e[i].hwcap)
			continue;

		k = e[i].key ? (uint32_t)(at - hdr) : 0x7fffff00u;
		if (e[i].key) {
			strcpy((char *)buf + at, e[i].key);
			at += strlen(e[i].key) + 1;
		}
		v = (uint32_t)(at - hdr);
		strcpy((char *)buf + at, e[i].value);
		at += strlen(e[i].value) + 1;
		if (f != NEW) {
			/* old-format offsets count from the end of its table */
			unsigned char *o = buf + 16 + 12 * i;

			put32(o, (uint32_t)e[i].flags);
			put32(o + 4,
			      k == 0x7fffff00u ? k : (uint32_t)(k + hdr - old));
			put32(o + 8, (uint32_t)(v + hdr - old));
		}
		if (f != OLD) {
			unsigned char *o = buf + hdr + 48 + 24 * i;

			put32(o, (uint32_t)e[i].flags);
			put32(o + 4, k);
			put32(o + 8, v);
			put64(o + 16, e[i].hwcap);
		}
	}
	if (f != OLD)
		put32(buf + hdr + 24, (uint32_t)(at - strings));
	return at;
}

static void write_cache(const unsigned char *buf, size_t len)
{
	char p[PATH_MAX];
	int fd;

	tpath(p, "ld.so.cache");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	setenv("SONDE_LDSO_CACHE", p, 1);
}

static void fake_cache(void **state)
{
	static unsigned char buf[65536];
	const struct ent ents[] = {
		/* i386 first: must be passed over for the x86-64 entry */
		{0x0003, "libfake.so.1", FX "fixture_nopie", 0},
		/* a key outside the file */
		{0x0303, NULL, FX "fixture_nopie", 0},
		/* a glibc-hwcaps subdirectory entry: second choice */
		{0x0303, "libfake.so.1", FX "fixture_pie", 1ull << 62},
		{0x0303, "libfake.so.1", FX "libfixture.so", 0},
		{0x0303, "libfakecrypt.so.2", SRC_FIXTURE_DIR "/calls.c", 0},
		{0x0303, "libonlyhw.so.1", FX "fixture_pie", 1ull << 62},
		{0x0303, "libgone.so.1", "/nonexistent/libgone.so.1", 0},
	};
	const enum fmt fmts[] = {NEW, OLD, BOTH};
	char *saved = strdup(getenv("PATH") ?: "");
	size_t i, len, cut;

	setenv("PATH", "/nonexistent", 1);
	for (i = 0; i < 3; i++) {
		len = make_cache(buf, fmts[i], ents, 7);
		write_cache(buf, len);
#ifdef __x86_64__
		assert_int_equal(resolve("libfake", 0), 0);
		expect_real(FX "libfixture.so");
		assert_int_equal(resolve("fake", 0), 0);
		expect_real(FX "libfixture.so");
		assert_int_equal(resolve("libfake.so.1", 0), 0);
		expect_real(FX "libfixture.so");
		assert_int_equal(resolve("libfake.so", 0), 0);
		expect_real(FX "libfixture.so");
		assert_int_equal(resolve("libfakecrypt", 0), 0);
		expect_real(SRC_FIXTURE_DIR "/calls.c");
		if (fmts[i] == OLD) {
			assert_int_equal(resolve("libonlyhw", 0), -ENOENT);
		} else {
			assert_int_equal(resolve("libonlyhw", 0), 0);
			expect_real(FX "fixture_pie");
		}
#endif
		assert_int_equal(resolve("libgone", 0), -ENOENT);
		assert_int_equal(resolve("libfak", 0), -ENOENT);
		assert_int_equal(resolve("libc", 0), -ENOENT);
		assert_non_null(strstr(le.msg, "ld.so.cache"));
		/* every truncation: found or not, never a crash or a read
		 * past the end (the ASan build checks) */
		for (cut = 0; cut < len; cut += cut < 160 ? 1 : 7) {
			write_cache(buf, cut);
			resolve("libfake", 0);
		}
	}
	/* a table longer than the file */
	len = make_cache(buf, NEW, ents, 7);
	put32(buf + 20, 0x10000000);
	write_cache(buf, len);
	assert_int_equal(resolve("libfake", 0), -ENOENT);
	/* an old-format count that would overflow */
	len = make_cache(buf, OLD, ents, 7);
	put32(buf + 12, 0xffffffff);
	write_cache(buf, len);
	assert_int_equal(resolve("libfake", 0), -ENOENT);
	/* no cache at all */
	setenv("SONDE_LDSO_CACHE", "/nonexistent/ld.so.cache", 1);
	assert_int_equal(resolve("libfake", 0), -ENOENT);
	unsetenv("SONDE_LDSO_CACHE");
	setenv("PATH", saved, 1);
	free(saved);
}

/* ---- a fake /proc ---- */

static const char *dev_ino(const char *path, char *buf)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	sprintf(buf, "%02x:%02x %llu", major(st.st_dev), minor(st.st_dev),
		(unsigned long long)st.st_ino);
	return buf;
}

static void fake_maps(void **state)
{
	char p[PATH_MAX + 64], proc[PATH_MAX], lib[PATH_MAX], crypt[PATH_MAX];
	char ns[PATH_MAX], d[5][64];
	const char *libc = loaded_libc();
	FILE *f;

	mkdirs("proc/4242/root/only/in/ns");
	mkdirs("lib");
	touch("lib/libcrypt.so.1", 0644);
	touch("lib/libc-2.31.so", 0644);
	touch("proc/4242/root/only/in/ns/libz.so.1", 0644);
	tpath(lib, "lib/libc-2.31.so");
	tpath(crypt, "lib/libcrypt.so.1");
	tpath(p, "proc/4242/maps");
	f = fopen(p, "we");
	assert_non_null(f);
	/* each file's own device and inode, as the kernel prints them;
	 * libz's is its file under the root (another mount namespace) */
	tpath(ns, "proc/4242/root/only/in/ns/libz.so.1");
	fprintf(f, "55d0c0a00000-55d0c0a01000 r--p 00000000 %s %s\n",
		dev_ino(FX "fixture_pie", d[0]), FX "fixture_pie");
	fprintf(f, "7f0000000000-7f0000001000 r-xp 00000000 %s %s\n",
		dev_ino(crypt, d[1]), crypt);
	fprintf(f, "7f0000001000-7f0000002000 r-xp 00000000 %s %s\n",
		dev_ino(lib, d[2]), lib);
	fprintf(f,
		"7f0000003000-7f0000004000 r-xp 00000000 %s "
		"/only/in/ns/libz.so.1\n",
		dev_ino(ns, d[3]));
	fprintf(f, "7f0000004000-7f0000005000 r-xp 00000000 08:01 5 "
		   "/gone/libdel.so.1 (deleted)\n"
		   "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"
		   "7ffd00022000-7ffd00023000 r--p 00000000 00:00 0\n");
	/* the same name, another file: never taken for the mapped one */
	fprintf(f, "7f0000006000-7f0000007000 r-xp 00000000 %s %s\n",
		dev_ino(crypt, d[4]), "/only/in/ns/libzz.so.1");
	fclose(f);
	tpath(proc, "proc");
	setenv("SONDE_PROC_ROOT", proc, 1);

	/* libcrypt.so.1 comes first in the maps and is not libc */
	assert_int_equal(resolve("libc", 4242), 0);
	expect_real(lib);
	assert_int_equal(resolve("c", 4242), 0);
	expect_real(lib);
	assert_int_equal(resolve("libcrypt", 4242), 0);
	expect_real(crypt);
	assert_int_equal(resolve("libcrypt.so.1", 4242), 0);
	expect_real(crypt);
	assert_int_equal(resolve("fixture_pie", 4242), 0);
	expect_real(FX "fixture_pie");
	/* mapped from another mount namespace: through /proc/PID/root */
	assert_int_equal(resolve("libz", 4242), 0);
	snprintf(p, sizeof(p), "%s/4242/root/only/in/ns/libz.so.1", proc);
	assert_string_equal(out, p);
	/* not mapped there, or no such process: the usual search */
	assert_int_equal(resolve("libm", 4242), 0);
	assert_int_equal(strncmp(strrchr(out, '/'), "/libm.so.", 9), 0);
	assert_int_equal(resolve("libc", 4243), 0);
	assert_string_equal(out, libc);
	assert_int_equal(resolve("libdel", 4242), -ENOENT);
	touch("proc/4242/root/only/in/ns/libzz.so.1", 0644);
	assert_int_equal(resolve("libzz", 4242), -ESTALE);
	unsetenv("SONDE_PROC_ROOT");
}

/* and the real /proc: this process maps libc */
static void own_maps(void **state)
{
	assert_int_equal(resolve("libc", getpid()), 0);
	assert_string_equal(out, loaded_libc());
}

struct objs {
	char v[64][PATH_MAX];
	int n;
};

static int add_obj(const char *path, void *ctx)
{
	struct objs *o = ctx;

	if (o->n == 64)
		return 1;
	snprintf(o->v[o->n++], PATH_MAX, "%s", path);
	return 0;
}

/* every object this process maps executable, each once: its program
 * (/proc/self/exe) and libc among them */
static void own_objects(void **state)
{
	static struct objs o;
	char exe[PATH_MAX];
	int i, j, found_exe = 0, found_libc = 0;

	assert_non_null(realpath("/proc/self/exe", exe));
	assert_int_equal(target_for_each_object(getpid(), add_obj, &o), 0);
	for (i = 0; i < o.n; i++) {
		for (j = 0; j < i; j++)
			assert_string_not_equal(o.v[i], o.v[j]);
		found_exe += !strcmp(o.v[i], exe);
		found_libc += !strcmp(o.v[i], loaded_libc());
	}
	assert_int_equal(found_exe, 1);
	assert_int_equal(found_libc, 1);
	assert_int_equal(target_for_each_object(0x7ffffff0, add_obj, &o),
			 -ESRCH);
}

static int setup(void **state)
{
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *files[] = {
		"bin1/mytool",
		"bin2/mytool",
		"bin1",
		"bin2",
		"ld.so.cache",
		"lib/libcrypt.so.1",
		"lib/libc-2.31.so",
		"lib",
		"proc/4242/root/only/in/ns/libz.so.1",
		"proc/4242/root/only/in/ns/libzz.so.1",
		"proc/4242/root/only/in/ns",
		"proc/4242/root/only/in",
		"proc/4242/root/only",
		"proc/4242/root",
		"proc/4242/maps",
		"proc/4242",
		"proc",
	};
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		tpath(p, files[i]);
		if (unlink(p))
			rmdir(p);
	}
	return rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_libs),
		cmocka_unit_test(program_in_path),
		cmocka_unit_test(paths),
		cmocka_unit_test(errors),
		cmocka_unit_test(fake_cache),
		cmocka_unit_test(fake_maps),
		cmocka_unit_test(own_maps),
		cmocka_unit_test(own_objects),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
