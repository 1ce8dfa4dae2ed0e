/* SPDX-License-Identifier: MIT */
/*
 * DWARF readers on names that broke them: the signature of a function with
 * a 640-character name (fixture_longname, built from "long_name_" doubled
 * six times, so the expected text follows from its C source), and a
 * .debug_str whose last string has no NUL (fixture_badstr.S), which must
 * be refused as malformed rather than read past its end. Run under the
 * sanitizer build, an overflow in either shows as a failure.
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

#define FX FIXTURE_DIR "/"

struct found {
	char *sig;
	int n;
};

static int keep_long(uint64_t addr, const char *sig, void *ctx)
{
	struct found *f = ctx;

	(void)addr;
	if (strstr(sig, "long_name_")) {
		free(f->sig);
		f->sig = strdup(sig);
		f->n++;
	}
	return 0;
}

static void long_name_signature(void **state)
{
	char name[641], want[800];
	struct found f = {0};
	int i;

	(void)state;
	for (i = 0; i < 64; i++)
		memcpy(name + 10 * i, "long_name_", 10);
	name[640] = '\0';
	snprintf(want, sizeof(want), "int %s(int first, const char *second)",
		 name);
	assert_int_equal(dwarf_for_each_signature(FX "fixture_longname", NULL,
						  keep_long, &f),
			 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.sig, want);
	free(f.sig);
}

static int count_sig(uint64_t addr, const char *sig, void *ctx)
{
	(void)addr;
	(void)sig;
	++*(int *)ctx;
	return 0;
}

static void unterminated_debug_str(void **state)
{
	struct dwarf_scope *d = NULL;
	struct lib_error le = LIB_ERROR_INIT(512);
	int n = 0;

	(void)state;
	assert_int_equal(dwarf_for_each_signature(FX "libfixture_badstr.so",
						  NULL, count_sig, &n),
			 -EBADMSG);
	assert_int_equal(n, 0);
	/* the function's address is the start of .text: any pc will do for
	 * the refusal, which comes before the pc is looked up */
	assert_int_equal(dwarf_scope_open(FX "libfixture_badstr.so", NULL,
					  0x1000, 0x1000, &d, &le),
			 -EBADMSG);
	assert_null(d);
	assert_non_null(strstr(le.msg, ".debug_str does not end with a NUL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(long_name_signature),
		cmocka_unit_test(unterminated_debug_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
