/* SPDX-License-Identifier: MIT */
/*
 * Array and bitfield members by name on dwarf_entry (-O0, DWARF 5's
 * DW_AT_data_bit_offset and DWARF 4's DW_AT_bit_offset). The expected
 * types follow from the C layout of dwarf_entry.c under the x86-64 psABI:
 * struct Foo has b at 4 and c at 16; struct Flags packs lo:4, mid:8,
 * one:1, hi:19 from the least significant bit of its first unsigned int,
 * w1:20 at bit 32 of the unsigned long long at 0, and w2:30 (which would
 * cross bit 64) at bit 0 of the one at 8. The fetch base (the frame) is
 * not compared: only the member's offset from it and the type.
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
	FIXTURE_DIR "/dwarf_entry_O0_dwarf4",
};

/* The scope at the entry of func in bin. */
static struct dwarf_scope *at(const char *bin, const char *func)
{
	struct elf_file *ef = elf_file_open(bin);
	struct dwarf_scope *d;
	struct elf_sym sym;
	uint64_t off;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, func, &sym), 0);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr, &off), 0);
	elf_file_close(ef);
	if (dwarf_scope_open(bin, NULL, sym.addr, off, &d, &le))
		fail_msg("%s: %s: %s", bin, func, le.msg);
	return d;
}

struct member_case {
	const char *func, *expr;
	const char *prefix; /* the fetch starts with this offset */
	const char *type;
};

static const struct member_case cases[] = {
	{"uprobeFunction2", "foo1->c", "+16(", "s32[3]"},
	{"uprobeFunction2", "foo1->b", "+4(", "s8[10]"},
	{"uprobeFlags", "f->lo", "+0(", "b4@0/32"},
	{"uprobeFlags", "f->mid", "+0(", "b8@4/32"},
	{"uprobeFlags", "f->one", "+0(", "b1@12/32"},
	{"uprobeFlags", "f->hi", "+0(", "b19@13/32"},
	{"uprobeFlags", "f->w1", "+0(", "b20@32/64"},
	{"uprobeFlags", "f->w2", "+8(", "b30@0/64"},
};

static void members(void **state)
{
	struct lib_error le = LIB_ERROR_INIT(256);
	char *fetch, type[32];
	size_t b, i;

	(void)state;
	for (b = 0; b < sizeof(bins) / sizeof(bins[0]); b++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct member_case *c = &cases[i];
			struct dwarf_scope *d = at(bins[b], c->func);

			fetch = NULL;
			lib_error_clear(&le);
			type[0] = '\0';
			if (dwarf_scope_fetch(d, c->expr, false, &fetch, type,
					      sizeof(type), &le))
				fail_msg("%s: %s: %s", bins[b], c->expr,
					 le.msg);
			if (strncmp(fetch, c->prefix, strlen(c->prefix)) ||
			    strcmp(type, c->type))
				fail_msg("%s: %s: got %s:%s, want %s...:%s",
					 bins[b], c->expr, fetch, type,
					 c->prefix, c->type);
			free(fetch);
			dwarf_scope_close(d);
		}
	}
}

struct refusal {
	const char *func, *expr;
	bool string;
	const char *msg;
};

static const struct refusal refusals[] = {
	{"uprobeFlags", "f->neg", false,
	 "the bitfield 'neg' cannot be fetched: it is signed"},
	{"uprobeFlags", "f->lo", true, "'f->lo' is a bitfield: drop :string"},
	{"uprobeFlags", "f->lo.x", false,
	 "'f->lo' is a bitfield: it has no members or elements"},
	{"uprobeFunction2", "foo1->d", false,
	 "'foo1->d' is 16 bytes wide: the kernel fetches at most 8 bytes"},
};

static void refused(void **state)
{
	struct lib_error le = LIB_ERROR_INIT(256);
	char *fetch, type[32];
	size_t b, i;

	(void)state;
	for (b = 0; b < sizeof(bins) / sizeof(bins[0]); b++) {
		for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
			const struct refusal *c = &refusals[i];
			struct dwarf_scope *d = at(bins[b], c->func);

			fetch = NULL;
			lib_error_clear(&le);
			assert_int_not_equal(
				dwarf_scope_fetch(d, c->expr, c->string, &fetch,
						  type, sizeof(type), &le),
				0);
			assert_null(fetch);
			if (strncmp(le.msg, c->msg, strlen(c->msg)))
				fail_msg("%s: '%s' does not start with '%s'",
					 c->expr, le.msg, c->msg);
			dwarf_scope_close(d);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(members),
		cmocka_unit_test(refused),
	};

	return cmocka_run_group_tests_name("dwarf_members", tests, NULL, NULL);
}
