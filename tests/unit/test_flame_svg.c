/* SPDX-License-Identifier: MIT */
/*
 * The flame graph writer (src/cli/flame_svg.c) on stacks made here: equal
 * first frames merged whatever the input order (a frame that begins
 * another's name is still its own box), widths in proportion to hits,
 * children from their parent's left edge, names made printable and
 * XML-escaped, labels cut at a character (never inside a UTF-8 sequence
 * or an entity), boxes under 0.1 px left out, no stacks. The file as a
 * whole is parsed as XML by test-flame-svg.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flame_svg.h"

static char *svg;

static const char *write_svg(struct flame_stack *st, size_t n)
{
	size_t len = 0;
	FILE *f;

	free(svg);
	svg = NULL;
	f = open_memstream(&svg, &len);
	assert_non_null(f);
	assert_int_equal(flame_svg_write(f, st, n, "t", NULL), 0);
	assert_int_equal(fclose(f), 0);
	return svg;
}

/* The box whose title begins with tip: its x and width; how many there
 * are. */
static int box(const char *tip, double *x, double *w)
{
	char key[256];
	const char *p = svg, *r;
	int n = 0;

	snprintf(key, sizeof(key), "<g><title>%s", tip);
	while ((p = strstr(p, key))) {
		r = strstr(p, "<rect ");
		assert_non_null(r);
		assert_int_equal(
			sscanf(r, "<rect x=\"%lf\" y=\"%*f\" width=\"%lf\"", x,
			       w),
			2);
		n++;
		p++;
	}
	return n;
}

static void test_merge(void **state)
{
	struct flame_stack st[] = {
		{ "x", 5 }, { "a;bc", 2 }, { "a;b;c", 3 },
		{ "a", 4 }, { "a;b", 1 },  { "x", 1 }, /* equal stacks: one box */
	};
	double x, w, bx, bw, cx, cw, ax, aw;

	(void)state;
	write_svg(st, 6);
	assert_int_equal(box("all (16 hits, 100.00%)", &x, &w), 1);
	assert_true(x == FLAME_SVG_PAD &&
		    w == FLAME_SVG_WIDTH - 2 * FLAME_SVG_PAD);
	assert_int_equal(box("a (10 hits, ", &ax, &aw), 1);
	assert_int_equal(box("b (4 hits, ", &bx, &bw), 1);
	assert_int_equal(box("bc (2 hits, ", &x, &w), 1);
	assert_int_equal(box("c (3 hits, ", &cx, &cw), 1);
	assert_int_equal(box("x (6 hits, ", &x, &w), 1);
	/* 1180 px for 16 hits */
	assert_true(aw > 737.49 && aw < 737.51);
	assert_true(cw > 221.24 && cw < 221.26);
	/* b before bc (name order), c from b's left edge; b's own hit is
	 * right of c */
	assert_true(ax == FLAME_SVG_PAD && bx == ax && cx == bx);
	assert_true(x > bx + bw - 0.01);
}

static bool all_entities_whole(const char *s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;",
					   "&apos;" };
	size_t i;

	for (; (s = strchr(s, '&')); s++) {
		for (i = 0; i < 5 && strncmp(s, ents[i], strlen(ents[i])); i++)
			;
		if (i == 5)
			return false;
	}
	return true;
}

static void test_escape(void **state)
{
	struct flame_stack st[] = { { "main;t<int>&\"'\x01\xff", 2 } };
	double x, w;
	const unsigned char *p;

	(void)state;
	write_svg(st, 1);
	assert_int_equal(
		box("t&lt;int&gt;&amp;&quot;&apos;\\x01\\xff (2 hits, ", &x,
		    &w),
		1);
	for (p = (const unsigned char *)svg; *p; p++)
		assert_true((*p >= 0x20 && *p < 0x7f) || *p == '\n');
	/* the script (CDATA) has its && */
	assert_true(all_entities_whole(strstr(svg, "]]></script>")));
}

/* The label of the box whose title begins with tip, as in the file. */
static const char *label(const char *tip, char *buf, size_t len)
{
	char key[256];
	const char *p, *e;

	snprintf(key, sizeof(key), "<g><title>%s", tip);
	p = strstr(svg, key);
	assert_non_null(p);
	p = strstr(p, "<text ");
	p = strchr(p, '>') + 1;
	e = strstr(p, "</text>");
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

static void test_labels(void **state)
{
	char wide[601 * 2 + 1], amps[400], frames[2000], buf[2000];
	struct flame_stack st[3];
	size_t i;
	const char *t;

	(void)state;
	for (i = 0; i < 600; i++)
		memcpy(wide + 2 * i, "\xc3\xa9", 2); /* é */
	wide[1200] = '\0';
	memset(amps, '&', 399);
	amps[399] = '\0';
	snprintf(frames, sizeof(frames), "%s", wide);
	st[0] = (struct flame_stack){ frames, 1 };
	st[1] = (struct flame_stack){ amps, 1 };
	st[2] = (struct flame_stack){ "short", 2 };
	write_svg(st, 3);
	/* a quarter of 1180 px: (295 - 6) / 7.2 = 40 characters */
	t = label("\xc3\xa9\xc3\xa9", buf, sizeof(buf));
	assert_int_equal(strlen(t), 38 * 2 + 2);
	assert_string_equal(t + 76, "..");
	assert_memory_equal(t, wide, 76);
	t = label("&amp;&amp;", buf, sizeof(buf));
	assert_int_equal(strlen(t), 38 * 5 + 2);
	assert_true(all_entities_whole(t));
	assert_string_equal(label("short (", buf, sizeof(buf)), "short");
}

static void test_small_and_empty(void **state)
{
	struct flame_stack st[] = {
		{ "big", 100000000 },
		{ "tiny", 1 },
		{ "", 3 },
	};
	double x, w;

	(void)state;
	write_svg(st, 3);
	assert_int_equal(box("all (100000004 hits", &x, &w), 1);
	assert_int_equal(box("big (", &x, &w), 1);
	assert_int_equal(box("tiny (", &x, &w), 0); /* 1.2e-5 px */
	write_svg(st, 0);
	assert_non_null(strstr(svg, "no stacks were counted"));
	assert_int_equal(box("all (", &x, &w), 0);
	assert_non_null(strstr(svg, "</svg>\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_small_and_empty),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	free(svg);
	return r;
}
