/* SPDX-License-Identifier: MIT */
/*
 * Symbolization of a library that is overwritten in place while it is
 * mapped (truncated, then rewritten shorter, as `cp` over a library does):
 * frames in it become bare addresses, never a SIGBUS from reading a mapping
 * past the file's new end, nor names read from the new contents. A copy
 * of libfixture.so is mapped here whole (the rewrite would also take the
 * relocated pages of a dlopen()ed copy, whose destructors then crash);
 * where lib_add and lib_echo lie in the file comes from the dynamic
 * linker: dlsym() and the program headers of the original, dlopen()ed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

#define LIB FIXTURE_DIR "/libfixture.so"

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Truncate and write len bytes of buf: the same inode, new contents. */
static void rewrite(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

struct find {
	uintptr_t base, vaddr, off;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct find *f = ctx;
	const ElfW(Phdr) *ph;
	int i;

	(void)size;
	if (info->dlpi_addr != f->base)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && f->vaddr >= ph->p_vaddr &&
		    f->vaddr < ph->p_vaddr + ph->p_filesz) {
			f->off = f->vaddr - ph->p_vaddr + ph->p_offset;
			return 1;
		}
	}
	return 0;
}

/* The file offset of a function of the loaded original, per ld.so. */
static uintptr_t file_off(void *h, const char *func)
{
	void *addr = dlsym(h, func);
	struct find f = {0};
	Dl_info di;

	assert_non_null(addr);
	assert_true(dladdr(addr, &di));
	f.base = (uintptr_t)di.dli_fbase;
	f.vaddr = (uintptr_t)addr - f.base;
	assert_int_equal(dl_iterate_phdr(phdr_cb, &f), 1);
	return f.off;
}

static void overwritten_in_place(void **state)
{
	char dir[] = "/tmp/sonde-symXXXXXX", path[64], name[256], want[256];
	uintptr_t off_add, off_echo, base;
	struct symcache *sc = NULL;
	size_t len;
	char *orig;
	void *h, *m;
	int fd;

	(void)state;
	h = dlopen(LIB, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	off_add = file_off(h, "lib_add");
	off_echo = file_off(h, "lib_echo");
	orig = slurp(LIB, &len);
	assert_true(len > 8192); /* .symtab and .strtab lie past 4 KiB */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/libcopy.so", dir);
	rewrite(path, orig, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(m != MAP_FAILED);
	close(fd);
	base = (uintptr_t)m;

	assert_int_equal(symcache_name(&sc, getpid(), base + off_add, name,
				       sizeof(name)),
			 0);
	assert_string_equal(name, "lib_add (libcopy.so)");

	rewrite(path, orig, 4096);
	assert_int_equal(symcache_name(&sc, getpid(), base + off_echo, name,
				       sizeof(name)),
			 0);
	snprintf(want, sizeof(want), "0x%" PRIxPTR " (libcopy.so)",
		 base + off_echo);
	assert_string_equal(name, want);
	assert_int_equal(symcache_name(&sc, getpid(), base + off_add, name,
				       sizeof(name)),
			 0);
	snprintf(want, sizeof(want), "0x%" PRIxPTR " (libcopy.so)",
		 base + off_add);
	assert_string_equal(name, want);

	symcache_free(sc);
	munmap(m, len);
	unlink(path);
	rmdir(dir);
	free(orig);
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overwritten_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
