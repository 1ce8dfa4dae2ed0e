/* SPDX-License-Identifier: MIT */
/*
 * A function's parameters where it starts (sym/dwarf_params.c), on
 * dwarf_entry built -O0 (DWARF puts the parameters in the frame) and -O2
 * (in registers): the expected places follow from the C signatures in
 * dwarf_entry.c and bt_uprobe_test.c under the x86-64 psABI (3.2.3):
 * uprobeMany(long a1..a6, int a7, char a8) has a1..a6 in rdi..r9 (arg0..5)
 * and a7, a8 in the caller's first two stack eightbytes (arg6, arg7);
 * uprobeFunction1(int *n, char c) n in rdi (a pointer to a signed 4-byte
 * int), c in rsi (signed 1 byte); uprobeFunctionUint128's __uint128_t
 * parameters are named and refused (two registers each). A probe not at
 * a function's first instruction is refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sym/dwarf.h"
#include "sym/elf.h"

static const char *const bins[] = {
	FIXTURE_DIR "/dwarf_entry_O0",
	FIXTURE_DIR "/dwarf_entry_O2",
};

/* the file offset of func's first instruction (+ delta) */
static uint64_t offset_of(const char *bin, const char *func, uint64_t delta)
{
	struct elf_file *ef = elf_file_open(bin);
	struct elf_sym sym;
	uint64_t off;

	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, func, &sym), 0);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr + delta, &off),
			 0);
	elf_file_close(ef);
	return off;
}

static int params(const char *bin, const char *func, struct dwarf_param **p)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	int n = 0, err;

	err = dwarf_entry_params(bin, NULL, offset_of(bin, func, 0), p, &n, &e);
	if (err)
		fail_msg("%s: %s: %s", bin, func, e.msg);
	return n;
}

static void test_many(void **state)
{
	static const char *const names[] = {"a1", "a2", "a3", "a4",
					    "a5", "a6", "a7", "a8"};
	struct dwarf_param *p;

	(void)state;
	for (size_t b = 0; b < sizeof(bins) / sizeof(*bins); b++) {
		int n = params(bins[b], "uprobeMany", &p);

		assert_int_equal(n, 8);
		for (int i = 0; i < 8; i++) {
			assert_string_equal(p[i].name, names[i]);
			assert_int_equal(p[i].cls, DWP_INT);
			assert_int_equal(p[i].slot, i);
			assert_true(p[i].is_signed);
			assert_string_equal(p[i].why, "");
		}
		for (int i = 0; i < 6; i++)
			assert_int_equal(p[i].size, 8);
		assert_int_equal(p[6].size, 4);
		assert_int_equal(p[7].size, 1);
		assert_string_equal(p[7].ctype, "char");
		dwarf_params_free(p, n);
	}
}

static void test_pointer(void **state)
{
	struct dwarf_param *p;

	(void)state;
	for (size_t b = 0; b < sizeof(bins) / sizeof(*bins); b++) {
		int n = params(bins[b], "uprobeFunction1", &p);

		assert_int_equal(n, 2);
		assert_string_equal(p[0].name, "n");
		assert_int_equal(p[0].cls, DWP_PTR);
		assert_int_equal(p[0].slot, 0);
		assert_int_equal(p[0].pointee_size, 4);
		assert_true(p[0].pointee_signed);
		assert_string_equal(p[0].ctype, "int *");
		assert_string_equal(p[1].name, "c");
		assert_int_equal(p[1].cls, DWP_INT);
		assert_int_equal(p[1].slot, 1);
		assert_int_equal(p[1].size, 1);
		dwarf_params_free(p, n);

		/* struct Foo *: a pointer, to no integer */
		n = params(bins[b], "uprobeFunction2", &p);
		assert_int_equal(n, 2);
		assert_int_equal(p[1].cls, DWP_PTR);
		assert_int_equal(p[1].slot, 1);
		assert_int_equal(p[1].pointee_size, 0);
		assert_string_equal(p[1].ctype, "struct Foo *");
		dwarf_params_free(p, n);
	}
}

static void test_int128(void **state)
{
	const char *bin = FIXTURE_DIR "/bt/uprobe_test";
	struct dwarf_param *p;
	int n;

	(void)state;
	n = params(bin, "uprobeFunctionUint128", &p);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(p[i].cls, DWP_OTHER);
		assert_int_equal(p[i].slot, -1);
		assert_non_null(strstr(p[i].why, "128-bit"));
	}
	dwarf_params_free(p, n);
}

static void test_not_entry(void **state)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	struct dwarf_param *p = NULL;
	int n = -1;

	(void)state;
	assert_int_equal(dwarf_entry_params(bins[1], NULL,
					    offset_of(bins[1], "uprobeMany", 4),
					    &p, &n, &e),
			 -EINVAL);
	assert_null(p);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "is not the first instruction"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_int128),
		cmocka_unit_test(test_not_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
