// SPDX-License-Identifier: MIT
/*
 * sonde_text__escape(): names from ELF files, USDT notes and the kernel
 * made safe to print. Cases written out by hand (the C escapes of
 * `ls -b`, JSON's of RFC 8259); then every byte pair and random strings
 * checked against glibc's own UTF-8 decoder (mbrtowc in C.UTF-8) and
 * iswcntrl(): what comes out is valid UTF-8 without a control character,
 * and the quoted form decodes back to the input byte for byte. Also the
 * library's messages (set_err, err_quote) escaped.
 */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
#include <cmocka.h>

#include "internal.h"

static char *esc(const char *s, unsigned int flags)
{
	static char buf[4096];

	sonde_text__escape(buf, sizeof(buf), s, flags);
	return buf;
}

static void test_cases(void **state)
{
	(void)state;
	/* the name of issue 12's reproduction */
	assert_string_equal(esc("esc\x1b[31mRED\x1b]0;pwned-title\a", 0),
			    "esc\\x1b[31mRED\\x1b]0;pwned-title\\x07");
	assert_string_equal(esc("a\nb\tc\rd", 0), "a\\nb\\tc\\rd");
	assert_string_equal(esc("del\x7f", 0), "del\\x7f");
	/* a lone C1 CSI byte is not UTF-8; C1 encoded as UTF-8 is still C1 */
	assert_string_equal(esc("\x9b"
				"2J",
				0),
			    "\\x9b2J");
	assert_string_equal(esc("\xc2\x9b"
				"2J",
				0),
			    "\\xc2\\x9b2J");
	/* valid UTF-8 stays, overlong forms and surrogates do not */
	assert_string_equal(esc("caf\xc3\xa9 \xe2\x82\xac", 0),
			    "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(esc("\xc0\xaf", 0), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80", 0), "\\xed\\xa0\\x80");
	assert_string_equal(esc("\xe2\x82", 0), "\\xe2\\x82"); /* cut */
	/* a right-to-left override (U+202E) hides what follows */
	assert_string_equal(esc("a\xe2\x80\xae"
				"b",
				0),
			    "a\\xe2\\x80\\xaeb");
	/* text: a backslash and quotes stay unless quoted */
	assert_string_equal(esc("spoof arg1=\\1234", 0), "spoof arg1=\\1234");
	assert_string_equal(esc("a\"b\\c", SONDE_ESCAPE_QUOTED), "a\\\"b\\\\c");
	assert_string_equal(esc("l1\n\tl2\x1b\r", SONDE_ESCAPE_LINES),
			    "l1\n\tl2\\x1b\\r");
	/* JSON (RFC 8259 section 7) */
	assert_string_equal(esc("a\"b\\c\n\x1b\x7f", SONDE_ESCAPE_JSON),
			    "a\\\"b\\\\c\\n\\u001b\\u007f");
	assert_string_equal(
		esc("\xc2\x9b|\xe2\x80\xae|\xff", SONDE_ESCAPE_JSON),
		"\\u009b|\\u202e|\\\\xff");
	assert_string_equal(esc("", 0), "");
	assert_string_equal(esc(NULL, 0), "");
}

/* The CSV form and JSON's bytes form decode back to the input: a CSV
 * cell by undoing the doubled backslash and \\xHH, a JSON string by
 * taking each code point as a byte (ISO-8859-1). */
static void test_csv_and_bytes(void **state)
{
	(void)state;
	assert_string_equal(esc("a,b\"c\n\r\td\\x41\x1b", SONDE_ESCAPE_CSV),
			    "a,b\"c\n\r\td\\\\x41\\x1b");
	assert_string_equal(esc("\xff\xc3\xa9", SONDE_ESCAPE_CSV),
			    "\\xff\xc3\xa9");
	assert_string_equal(esc("\xff\xc3\xa9\"\\\n\x01\x7f",
				SONDE_ESCAPE_JSON | SONDE_ESCAPE_BYTES),
			    "\\u00ff\\u00c3\\u00a9\\\"\\\\\\n\\u0001\\u007f");
	/* BYTES alone (not JSON) is the usual text form */
	assert_string_equal(esc("\xff", SONDE_ESCAPE_BYTES), "\\xff");
	assert_true(sonde_text__is_utf8("caf\xc3\xa9 \xe2\x82\xac"));
	assert_true(sonde_text__is_utf8(""));
	assert_true(sonde_text__is_utf8(NULL));
	assert_true(sonde_text__is_utf8("\x1b[31m"));
	assert_false(sonde_text__is_utf8("\xff"));
	assert_false(sonde_text__is_utf8("\xc0\xaf"));	   /* overlong */
	assert_false(sonde_text__is_utf8("\xed\xa0\x80")); /* surrogate */
	assert_false(sonde_text__is_utf8("ok\xe2\x82"));   /* cut */
}

static void test_length_and_cut(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	/* snprintf's contract: the whole length, whatever fits */
	assert_int_equal(sonde_text__escape(NULL, 0, "\x1b\x1b", 0), 8);
	n = sonde_text__escape(buf, sizeof(buf), "ab\x1b\x1b", 0);
	assert_int_equal(n, 10);
	/* "ab\x1b" fits (5 + NUL), the next escape does not: not half */
	assert_string_equal(buf, "ab\\x1b");
	n = sonde_text__escape(buf, 4, "\xe2\x82\xac\xe2\x82\xac", 0);
	assert_int_equal(n, 6);
	assert_string_equal(buf, "\xe2\x82\xac");
	n = sonde_text__escape(buf, 1, "abc", 0);
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");
}

/* The oracle: glibc decodes out as UTF-8 to its end and finds no
 * control character in it. */
static void assert_clean(const char *in, const char *out)
{
	mbstate_t st;
	size_t k, n = strlen(out);
	wchar_t wc;

	memset(&st, 0, sizeof(st));
	while (n) {
		k = mbrtowc(&wc, out, n, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			fail_msg("not UTF-8 at '%s' (from %zu bytes)", out,
				 strlen(in));
		if (iswcntrl((wint_t)wc))
			fail_msg("control U+%04x left in '%s'", (unsigned)wc,
				 out);
		out += k;
		n -= k;
	}
}

/* Undo the quoted form (\\ \" \n \t \r \xHH): the input again. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'x':
			assert_int_equal(sscanf(s + 1, "%2x", &v), 1);
			out[n++] = (char)v;
			s += 2;
			break;
		default:
			out[n++] = *s;
		}
		s++;
	}
	out[n] = '\0';
	return n;
}

static void check_one(const char *in)
{
	char back[64];

	assert_clean(in, esc(in, 0));
	assert_clean(in, esc(in, SONDE_ESCAPE_JSON));
	unescape(esc(in, SONDE_ESCAPE_QUOTED), back);
	assert_string_equal(back, in);
}

static void test_every_pair_and_random(void **state)
{
	char in[16];
	unsigned int a, b, i, j, seed = 12;

	(void)state;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	for (a = 1; a < 256; a++)
		for (b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = '\0';
			check_one(in);
		}
	for (i = 0; i < 200000; i++) {
		for (j = 0; j < sizeof(in) - 1; j++) {
			seed = seed * 1103515245 + 12345;
			in[j] = (char)(seed >> 16 | 1);
		}
		in[j] = '\0';
		check_one(in);
	}
}

/* The library's messages: every %s argument escaped, err_quote's lines
 * each escaped and kept as lines. */
static void test_messages(void **state)
{
	struct sonde_session *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	assert_int_equal(
		set_err(s, EINVAL, 3, "no function '%s'", "x\x1b]0;t\a"),
		-EINVAL);
	assert_string_equal(s->err.msg, "no function 'x\\x1b]0;t\\x07'");
	set_err(s, EINVAL, -1, "the kernel refused probe '%s':", "p");
	err_quote(s, "[ 1.0] error: bad\n  Command: p:g/e \x1b[2J\n     ^\n");
	assert_string_equal(s->err.msg,
			    "the kernel refused probe 'p':\n[ 1.0] error: bad\n"
			    "  Command: p:g/e \\x1b[2J\n     ^");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_csv_and_bytes),
		cmocka_unit_test(test_length_and_cut),
		cmocka_unit_test(test_every_pair_and_random),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
