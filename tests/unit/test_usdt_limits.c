/* SPDX-License-Identifier: MIT */
/*
 * USDT argument specs at the limits of 64-bit numbers: sizes, displacements
 * and immediates that overflow a long long are refused, never negated past
 * LLONG_MIN or clamped by strtoll's saturation; the largest values that do
 * fit reach the fetcharg exactly. Expected values are the C limits
 * (LLONG_MIN, ULLONG_MAX, the 32- and 8-bit ranges) printed by printf, and
 * the kernel's reading of fetchargs (trace_probe.c: \IMM by kstrtoul for
 * digits and kstrtol after '-', +|-OFF(REG) by kstrtol).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sym/usdt.h"

static void parse_ok(const char *spec, const char *want)
{
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);

	if (usdt_arg_parse(spec, NULL, NULL, 0x1000, 0x1000, &a, &le))
		fail_msg("%s: %s", spec, le.msg);
	assert_string_equal(a.fetch, want);
}

static void parse_bad(const char *spec, const char *why)
{
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);

	assert_int_equal(
		usdt_arg_parse(spec, NULL, NULL, 0x1000, 0x1000, &a, &le),
		-EINVAL);
	if (!strstr(le.msg, why))
		fail_msg("%s: '%s' does not say '%s'", spec, le.msg, why);
}

static void sizes(void **state)
{
	(void)state;
	parse_bad("-9223372036854775808@%rax", "bad size");
	parse_bad("9223372036854775807@%rax", "bad size");
	parse_bad("-99999999999999999999@%rax", "bad size");
	parse_bad("16@%rax", "bad size");
	parse_bad("-3@%rax", "bad size");
}

static void displacements(void **state)
{
	char want[64];

	(void)state;
	snprintf(want, sizeof(want), "%lld(%%bp)", LLONG_MIN);
	parse_ok("-8@-9223372036854775808(%rbp)", want);
	snprintf(want, sizeof(want), "+%lld(%%bp)", LLONG_MAX);
	parse_ok("-8@9223372036854775807(%rbp)", want);
	parse_bad("-8@-9223372036854775809(%rbp)", "bad displacement");
	parse_bad("-8@9223372036854775808(%rbp)", "bad displacement");
	parse_bad("-8@counter+9223372036854775808(%rip)", "bad offset");
}

static void immediates(void **state)
{
	char want[64];

	(void)state;
	snprintf(want, sizeof(want), "\\%llu", ULLONG_MAX);
	parse_ok("8@$18446744073709551615", want);
	parse_ok("8@$0xffffffffffffffff", want);
	snprintf(want, sizeof(want), "\\%lld", LLONG_MIN);
	parse_ok("-8@$-9223372036854775808", want);
	parse_ok("8@$0x10", "\\16");
	parse_ok("-4@$-2147483648", "\\-2147483648");
	parse_ok("4@$4294967295", "\\4294967295");
	parse_ok("4@$-1", "\\-1"); /* gcc's spelling of unsigned 0xffffffff */
	parse_ok("1@$255", "\\255");
	parse_bad("8@$18446744073709551616", "does not fit in 64 bits");
	parse_bad("-8@$-9223372036854775809", "does not fit in 64 bits");
	parse_bad("8@$99999999999999999999999", "does not fit in 64 bits");
	parse_bad("4@$4294967296", "does not fit in 32 bits");
	parse_bad("-4@$-2147483649", "does not fit in 32 bits");
	parse_bad("1@$256", "does not fit in 8 bits");
	parse_bad("8@$--1", "bad immediate");
	parse_bad("8@$-", "bad immediate");
	parse_bad("8@$ 1", "bad immediate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes),
		cmocka_unit_test(displacements),
		cmocka_unit_test(immediates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
