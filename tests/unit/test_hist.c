// SPDX-License-Identifier: MIT
/*
 * The hist-file parser (pmu_counter.c, sonde_hist__parse) on hist files captured
 * from Debian's 6.1 kernel (tests/unit/data/hist, made by capture.sh there)
 * and on malformed text, and the comparison sonde count -v makes between
 * the kernel's table and the events counted in user space.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agg/agg.h"

#define HIST_DIR SRC_FIXTURE_DIR "/../unit/data/hist/"

static struct sonde_agg *count_table(int nkeys)
{
	struct sonde_agg_opts o = {.sz = sizeof(o), .nkeys = nkeys};
	struct sonde_agg *a = sonde_agg__new(&o);

	assert_non_null(a);
	return a;
}

static struct sonde_agg_key num(enum sonde_agg_key_kind kind, uint64_t v)
{
	return (struct sonde_agg_key){.kind = kind, .num = v};
}

static char *slurp(const char *name)
{
	char path[512];
	size_t n = 0, r, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	FILE *f;

	snprintf(path, sizeof(path), HIST_DIR "%s", name);
	f = fopen(path, "rbe");
	assert_non_null(f);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0)
		n += r;
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Entries as "name=value,name=value:hits" lines, and the sum of hits. */
struct got {
	char text[8192];
	uint64_t hits;
	int calls, stop_at;
};

static int collect(int nkeys, const char *const *names,
		   const char *const *values, uint64_t hits, void *ctx)
{
	struct got *g = ctx;
	size_t len = strlen(g->text);
	int i;

	for (i = 0; i < nkeys; i++)
		len += snprintf(g->text + len, sizeof(g->text) - len, "%s%s=%s",
				i ? "," : "", names[i], values[i]);
	snprintf(g->text + len, sizeof(g->text) - len, ":%llu\n",
		 (unsigned long long)hits);
	g->hits += hits;
	return ++g->calls == g->stop_at ? 42 : 0;
}

static int parse(const char *file, struct got *g, uint64_t *dropped)
{
	char *text = slurp(file);
	int n;

	memset(g, 0, sizeof(*g));
	n = sonde_hist__parse(text, collect, g, dropped);
	free(text);
	return n;
}

static void test_hist_keys(void **state)
{
	uint64_t dropped = 99;
	struct got g;

	(void)state;
	/* keys=common_pid: two threads of fixture_pie 30 --threads 2 */
	assert_int_equal(parse("pid.hist", &g, &dropped), 2);
	assert_string_equal(g.text, "common_pid=111:30\ncommon_pid=110:30\n");
	assert_int_equal(dropped, 0);

	/* keys=a,b: add(i, 2i) of "fixture_pie 5" and "fixture_pie 3" */
	assert_int_equal(parse("two.hist", &g, NULL), 5);
	assert_string_equal(g.text, "a=5,b=10:1\na=4,b=8:1\na=3,b=6:2\n"
				    "a=2,b=4:2\na=1,b=2:2\n");
	assert_int_equal(g.hits, 8);

	/* vals=hitcount,b: the hits, not the sum of b after them */
	assert_int_equal(parse("val.hist", &g, &dropped), 1);
	assert_string_equal(g.text, "common_pid=116:10\n");

	/* a string key: padding removed; a string and a number */
	assert_int_equal(parse("string.hist", &g, NULL), 6);
	assert_non_null(strstr(g.text, "path=/etc/group:1\n"));
	assert_non_null(strstr(g.text, "path=/etc/hostname:2\n"));
	assert_non_null(strstr(g.text, "path=/dev/null:2\n"));
	assert_int_equal(g.hits, 9);
	assert_int_equal(parse("strnum.hist", &g, NULL), 4);
	/* an s32 -100 is shown as a u64: sign extension is the caller's */
	assert_non_null(strstr(
		g.text, "path=/etc/hostname,dfd=18446744073709551516:1\n"));
	assert_int_equal(g.hits, 5);

	/* .execname and .hex: the kernel's text, trimmed */
	assert_int_equal(parse("execname.hist", &g, NULL), 3);
	assert_non_null(strstr(
		g.text, "common_pid=fixture_pie     [       121],a=2:1\n"));
}

static void test_hist_footers(void **state)
{
	uint64_t dropped = 99;
	struct got g;

	(void)state;
	/* 300 keys in a 128-entry map: 128 kept, "Dropped: 172" */
	assert_int_equal(parse("dropped.hist", &g, &dropped), 128);
	assert_int_equal(g.hits, 128);
	assert_int_equal(dropped, 172);
	assert_non_null(strstr(g.text, "a=128:1\n"));

	/* no hits yet: a hist file with no entries is 0, not an error */
	dropped = 99;
	assert_int_equal(parse("empty.hist", &g, &dropped), 0);
	assert_int_equal(g.calls, 0);
	assert_int_equal(dropped, 0);

	/* two triggers on one event: both tables, each with its keys */
	assert_int_equal(parse("twotrig.hist", &g, &dropped), 4);
	assert_string_equal(g.text, "a=2:1\na=1:1\nb=4:1\nb=2:1\n");

	/* keys=stacktrace spans lines: not a table sonde reads; refused */
	assert_int_equal(parse("stack.hist", &g, &dropped), -EINVAL);

	/* the callback's non-zero value stops the walk */
	{
		char *text = slurp("two.hist");

		memset(&g, 0, sizeof(g));
		g.stop_at = 2;
		assert_int_equal(sonde_hist__parse(text, collect, &g, NULL),
				 42);
		assert_int_equal(g.calls, 2);
		free(text);
	}
}

static void test_hist_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n\n",
		"hello",
		"{",
		"{ a: 1",
		"{ a 1 } hitcount: 3",
		"{ } hitcount: 3",
		"# not a histogram\n{ a: 1 } hits: 3\n",
	};
	char *text = slurp("two.hist"), *cut, *many;
	size_t len = strlen(text), i;
	struct got g;
	int n;

	(void)state;
	assert_int_equal(sonde_hist__parse(NULL, collect, &g, NULL), -EINVAL);
	assert_int_equal(
		sonde_hist__parse("{ a: 1 } hitcount: 1", NULL, NULL, NULL),
		-EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(sonde_hist__parse(bad[i], collect, &g, NULL),
				 -EINVAL);
	}
	/* one entry without the header is still read */
	memset(&g, 0, sizeof(g));
	assert_int_equal(
		sonde_hist__parse("{ a: 1 } hitcount: 3", collect, &g, NULL),
		1);
	assert_string_equal(g.text, "a=1:3\n");

	/* every prefix of a real file: an error or some of its entries */
	for (i = 0; i <= len; i++) {
		cut = strndup(text, i);
		memset(&g, 0, sizeof(g));
		n = sonde_hist__parse(cut, collect, &g, NULL);
		assert_true(n == -EINVAL || (n >= 0 && n <= 5));
		free(cut);
	}
	/* bytes flipped one at a time, and a newline put anywhere */
	for (i = 0; i < len; i++) {
		cut = strdup(text);
		cut[i] = "{}:,\n x"[i % 7];
		memset(&g, 0, sizeof(g));
		n = sonde_hist__parse(cut, collect, &g, NULL);
		assert_true(n == -EINVAL || (n >= 0 && n <= 6));
		free(cut);
	}
	/* more keys than SONDE_AGG_MAX_KEYS, and one very long line */
	memset(&g, 0, sizeof(g));
	n = sonde_hist__parse("{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, "
			      "h: 8, i: 9, j: 10 } hitcount: 2",
			      collect, &g, NULL);
	assert_true(n == 1 || n == -EINVAL);
	many = malloc(1 << 20);
	assert_non_null(many);
	memset(many, ' ', (1 << 20) - 1);
	many[0] = '{';
	many[(1 << 20) - 1] = '\0';
	assert_int_equal(sonde_hist__parse(many, collect, &g, NULL), -EINVAL);
	free(many);
	free(text);
}

/*
 * What sonde count -v compares: the kernel's table (add_n of each entry)
 * and the events counted here. two.hist is the kernel's count of add(i, 2i)
 * over "fixture_pie 5" then "fixture_pie 3"; the same calls counted one by
 * one must give the same rows.
 */
static int to_agg(int nkeys, const char *const *names,
		  const char *const *values, uint64_t hits, void *ctx)
{
	struct sonde_agg_key k[2];
	int i;

	(void)names;
	if (nkeys != 2)
		return -EINVAL;
	for (i = 0; i < 2; i++)
		k[i] = num(SONDE_AGG_KEY_SIGNED, strtoll(values[i], NULL, 0));
	return sonde_agg__add_n(ctx, k, 0, hits);
}

static void test_hist_matches_user_count(void **state)
{
	struct sonde_agg *kern = count_table(2);
	struct sonde_agg *user = count_table(2);
	const struct sonde_agg_row *const *rk, *const *ru;
	struct sonde_agg_key k[2];
	char *text = slurp("two.hist");
	int i, n, run;

	(void)state;
	assert_int_equal(sonde_hist__parse(text, to_agg, kern, NULL), 5);
	for (run = 5; run >= 3; run -= 2)
		for (i = 1; i <= run; i++) {
			k[0] = num(SONDE_AGG_KEY_SIGNED, i);
			k[1] = num(SONDE_AGG_KEY_SIGNED, 2 * i);
			sonde_agg__add(user, k, 0);
		}
	n = sonde_agg__rows(kern, true, &rk);
	assert_int_equal(n, 5);
	assert_int_equal(sonde_agg__rows(user, true, &ru), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(rk[i]->count, ru[i]->count);
		assert_int_equal(rk[i]->key[0].num, ru[i]->key[0].num);
		assert_int_equal(rk[i]->key[1].num, ru[i]->key[1].num);
		assert_int_equal(rk[i]->count, i < 3 ? 2 : 1);
	}
	free(text);
	sonde_agg__free(kern);
	sonde_agg__free(user);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_keys),
		cmocka_unit_test(test_hist_footers),
		cmocka_unit_test(test_hist_malformed),
		cmocka_unit_test(test_hist_matches_user_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
