/* SPDX-License-Identifier: MIT */
/*
 * Separate debug info (debuginfo.c, through elf.c), C++ demangling and
 * container paths: the fixtures mkdebug.sh made (debuglink with the right
 * CRC and a wrong one, MiniDebugInfo) against the unstripped program, and a
 * fake /proc/PID/root tree for target_resolve().
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sym/debuginfo.h"
#include "sym/debuginfod.h"
#include "sym/demangle.h"
#include "sym/elf.h"
#include "resolve/target.h"

#define FX FIXTURE_DIR "/"

static void crc32_known(void **state)
{
	/* the CRC-32 check value (and binutils' gnu_debuglink_crc32) */
	assert_int_equal(debuginfo_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(debuginfo_crc32(0, "", 0), 0);
	/* chunked = whole */
	assert_int_equal(debuginfo_crc32(debuginfo_crc32(0, "1234", 4),
					 "56789", 5),
			 0xcbf43926u);
}

/* hidden_sum is static: the stripped files know it only from elsewhere */
static uint64_t addr_in(const char *path, const char *dirs, char *note,
			size_t notelen)
{
	struct elf_file *ef = elf_file_open(path);
	struct elf_sym sym;
	uint64_t a = 0;

	assert_non_null(ef);
	assert_int_equal(elf_file_set_debug_dirs(ef, dirs), 0);
	if (elf_file_find(ef, "hidden_sum", &sym) == 0)
		a = sym.addr;
	if (note)
		snprintf(note, notelen, "%s", elf_file_debug_note(ef));
	elf_file_close(ef);
	return a;
}

static void debuglink_and_mini(void **state)
{
	uint64_t want = addr_in(FX "dbg_prog", NULL, NULL, 0);
	char note[512];

	assert_true(want != 0);
	assert_int_equal(addr_in(FX "dbg_link", "/nonexistent", note,
				 sizeof(note)),
			 want);
	assert_string_equal(note, "");
	assert_int_equal(addr_in(FX "dbg_mini", "/nonexistent", NULL, 0),
			 want);
	/* a wrong CRC: refused, and said so */
	assert_int_equal(addr_in(FX "dbg_badcrc", "/nonexistent", note,
				 sizeof(note)),
			 0);
	assert_non_null(strstr(note, "dbg_badcrc.debug was refused: its CRC"));
}

static void debuglink_section(void **state)
{
	struct debug_file *d = NULL;
	const uint8_t *id1, *id2;
	size_t n1, n2;
	char note[256];
	Elf *e;
	int fd;

	fd = open(FX "dbg_link", O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	{
		const char *name;
		uint32_t crc, filecrc;
		int dfd = open(FX "dbg_link.debug", O_RDONLY);

		assert_int_equal(debuginfo_debuglink(e, &name, &crc), 0);
		assert_string_equal(name, "dbg_link.debug");
		assert_true(dfd >= 0);
		assert_int_equal(debuginfo_file_crc32(dfd, &filecrc), 0);
		assert_int_equal(crc, filecrc);
		close(dfd);
	}
	assert_int_equal(debuginfo_open(e, FX "dbg_link", "/nonexistent", &d,
					note, sizeof(note)),
			 0);
	assert_non_null(strstr(d->path, "dbg_link.debug"));
	/* the same build-id on both sides */
	assert_int_equal(debuginfo_build_id(e, &id1, &n1), 0);
	assert_int_equal(debuginfo_build_id(d->elf, &id2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(id1, id2, n1);
	debuginfo_close(d);
	elf_end(e);
	close(fd);
}

static void xz_rejects_garbage(void **state)
{
	void *out = NULL;
	size_t len;
	int err = debuginfo_xz_decode("not xz at all", 13, &out, &len);

	assert_true(err == -EINVAL || err == -ENOTSUP);
	assert_null(out);
}

static void demangling(void **state)
{
	char *d = demangle("_ZN2ns3Cls6methodEi");

	assert_null(demangle("hidden_sum"));
	if (!d) {
		skip(); /* no libstdc++.so.6 on this machine */
		return;
	}
	assert_string_equal(d, "ns::Cls::method(int)");
	free(d);
	assert_int_equal(demangle_base_len("ns::Cls::method(int)"), 15);
	assert_int_equal(demangle_base_len("f(void (*)(int), int) const"), 1);
	assert_int_equal(demangle_base_len("std::vector<int>"), 16);
	assert_int_equal(demangle_base_len("operator()(int)"), 10);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* a fake /proc: PID/ns/mnt differs from ours, PID/root is a tree with an
 * absolute symlink and a ".." walk that would leave the root */
static void container_root(void **state)
{
	char tmp[] = "/tmp/sonde-test-dbg.XXXXXX", p[PATH_MAX], q[PATH_MAX];
	struct lib_error le = LIB_ERROR_INIT(256);
	char out[PATH_MAX];

	assert_non_null(mkdtemp(tmp));
	snprintf(q, sizeof(q), "%s/42", tmp);
	assert_int_equal(mkdir(q, 0755), 0);
	snprintf(p, sizeof(p), "%s/42/ns", tmp);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/42/ns/mnt", tmp);
	assert_int_equal(symlink("mnt:[1]", p), 0);
	snprintf(p, sizeof(p), "%s/42/root", tmp);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/42/root/app", tmp);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/42/root/app/bin", tmp);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/42/root/app/link", tmp);
	assert_int_equal(symlink("/app/bin", p), 0);
	snprintf(p, sizeof(p), "%s/42/root/app/up", tmp);
	assert_int_equal(symlink("../../../../../app/bin", p), 0);
	setenv("SONDE_PROC_ROOT", tmp, 1);

	snprintf(q, sizeof(q), "%s/42/root/app/bin", tmp);
	assert_int_equal(target_resolve("/app/bin", 42, out, sizeof(out), &le),
			 0);
	assert_string_equal(out, q);
	/* the absolute link is followed inside the root, not on the host */
	assert_int_equal(target_resolve("/app/link", 42, out, sizeof(out), &le),
			 0);
	assert_string_equal(out, q);
	/* ".." stops at the root */
	assert_int_equal(target_resolve("/app/up", 42, out, sizeof(out), &le),
			 0);
	assert_string_equal(out, q);
	/* a host path that is not in the container is not found */
	assert_int_equal(target_resolve("/bin/sh", 42, out, sizeof(out), &le),
			 -ENOENT);
	unsetenv("SONDE_PROC_ROOT");
	nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Whether debuginfod is asked, and where its file goes in the search: a
 * file in the client's cache under dbg_mini's build-id is taken before
 * dbg_mini's own MiniDebugInfo (the server, port 1, is never reached). */
static void debuginfod_order(void **state)
{
	char tmp[] = "/tmp/sonde-test-dbgd.XXXXXX", p[PATH_MAX], hex[129];
	struct debug_file *d = NULL;
	const uint8_t *id;
	size_t n, i;
	char *path;
	Elf *e;
	int fd;

	unsetenv("DEBUGINFOD_URLS");
	assert_int_equal(sonde_debuginfod_state(), SONDE_DEBUGINFOD_NO_URLS);
	assert_int_equal(debuginfod_fetch("ab", "x", &path, NULL, 0), -ENOENT);
	setenv("DEBUGINFOD_URLS", " ", 1);
	assert_int_equal(sonde_debuginfod_state(), SONDE_DEBUGINFOD_NO_URLS);
	setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1", 1);
	sonde_debuginfod_configure(false, NULL, NULL);
	assert_int_equal(sonde_debuginfod_state(), SONDE_DEBUGINFOD_OFF);
	assert_int_equal(debuginfod_fetch("ab", "x", &path, NULL, 0), -ENOENT);
	sonde_debuginfod_configure(true, NULL, NULL);
	if (sonde_debuginfod_state() != SONDE_DEBUGINFOD_READY) {
		unsetenv("DEBUGINFOD_URLS");
		skip(); /* no libdebuginfod here */
		return;
	}

	fd = open(FX "dbg_mini", O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(debuginfo_build_id(e, &id, &n), 0);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	assert_non_null(mkdtemp(tmp));
	setenv("DEBUGINFOD_CACHE_PATH", tmp, 1);
	snprintf(p, sizeof(p), "%s/%s", tmp, hex);
	assert_int_equal(mkdir(p, 0755), 0);
	/* dbg_link.debug: dbg_prog's debug file, the same build-id */
	snprintf(p, sizeof(p), "cp %s %s/%s/debuginfo", FX "dbg_link.debug",
		 tmp, hex);
	assert_int_equal(system(p), 0);

	assert_int_equal(debuginfo_open(e, FX "dbg_mini", "/nonexistent", &d,
					NULL, 0),
			 0);
	snprintf(p, sizeof(p), "%s/%s/debuginfo", tmp, hex);
	assert_string_equal(d->path, p);
	debuginfo_close(d);
	elf_end(e);
	close(fd);
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32_known),
		cmocka_unit_test(debuglink_and_mini),
		cmocka_unit_test(debuglink_section),
		cmocka_unit_test(xz_rejects_garbage),
		cmocka_unit_test(demangling),
		cmocka_unit_test(container_root),
		cmocka_unit_test(debuginfod_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
