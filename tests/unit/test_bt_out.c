// SPDX-License-Identifier: MIT
/*
 * sonde run's printers (decode/bt_format.c, bt_maps.c): bytes in
 * lang/bt.h's layouts into bpftrace's text and JSON. Every expected text
 * below was printed by bpftrace 0.17 on this host for the same values;
 * the one-liner that printed it is in the comment above each case.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lang/bt.h"

static const struct bt_type T_S64 = {
	.kind = BT_T_INT, .size = 8, .isize = 8, .is_signed = true};
static const struct bt_type T_STR = {
	.kind = BT_T_STR, .size = 64, .strsize = 64};

static struct bt_type tuple(int n, struct bt_type *el)
{
	struct bt_type t = {.kind = BT_T_TUPLE, .ntup = n, .tup = el};

	for (int i = 0; i < n; i++)
		t.size += (el[i].size + 7) & ~7u;
	return t;
}

static struct bt_type ity(bool sgn, int isize)
{
	struct bt_type t = {
		.kind = BT_T_INT, .size = 8, .isize = isize, .is_signed = sgn};
	return t;
}

static void put64(uint8_t *b, size_t off, int64_t v)
{
	memcpy(b + off, &v, 8);
}

static void putstr(uint8_t *b, size_t off, const char *s)
{
	memset(b + off, 0, 64);
	memcpy(b + off, s, strlen(s));
}

/* the text a printer wrote into a memory stream */
struct cap {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct cap *c)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static void cap_check(struct cap *c, const char *want)
{
	fclose(c->f);
	assert_string_equal(c->buf, want);
	free(c->buf);
}

static struct bt_map map(const char *name, struct bt_type key,
			 struct bt_type value)
{
	struct bt_map m = {.name = (char *)name, .key = key, .value = value};
	return m;
}

static const struct bt_type NOKEY = {.kind = BT_T_NONE};

static void check_map(const struct bt_map *m, struct bt_map_row *rows, int n,
		      bool json, int top, int div, const char *want)
{
	struct cap c;

	bt_print_map(cap_open(&c), m, rows, n, json, top, div, NULL);
	cap_check(&c, want);
}

#define BAR52 "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
#define BAR26 "@@@@@@@@@@@@@@@@@@@@@@@@@@                          "
#define BAR17 "@@@@@@@@@@@@@@@@@                                   "
#define BAR0 "                                                    "

/* bpftrace -e 'BEGIN { @[1,"a"] = count(); @[2,"b"] = count();
 *   @[2,"b"] = count(); @h = hist(5); @h=hist(0); @h=hist(-3);
 *   @h=hist(1000); @h=hist(1); @h=hist(2); @h=hist(3); exit(); }' */
static void test_tuple_key_and_hist(void **state)
{
	struct bt_type kel[2] = {T_S64, T_STR};
	struct bt_type ct = {.kind = BT_T_COUNT, .size = 8};
	struct bt_map m = map("", tuple(2, kel), ct);
	uint8_t k1[72], k2[72];
	struct bt_map_row rows[2] = {{.key = k2, .value = 2},
				     {.key = k1, .value = 1}};
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map h = map("h", NOKEY, ht);
	uint64_t b[66] = {0};
	struct bt_map_row hr = {.buckets = b, .nbuckets = 66};

	put64(k1, 0, 1);
	putstr(k1, 8, "a");
	put64(k2, 0, 2);
	putstr(k2, 8, "b");
	check_map(&m, rows, 2, false, 0, 0, "@[1, a]: 1\n@[2, b]: 2\n");
	b[0] = 1;  /* -3 */
	b[1] = 1;  /* 0 */
	b[2] = 1;  /* 1 */
	b[3] = 2;  /* 2, 3 */
	b[4] = 1;  /* 5 */
	b[11] = 1; /* 1000 */
	check_map(&h, &hr, 1, false, 0, 0,
		  "@h: \n"
		  "(..., 0)               1 |" BAR26 "|\n"
		  "[0]                    1 |" BAR26 "|\n"
		  "[1]                    1 |" BAR26 "|\n"
		  "[2, 4)                 2 |" BAR52 "|\n"
		  "[4, 8)                 1 |" BAR26 "|\n"
		  "[8, 16)                0 |" BAR0 "|\n"
		  "[16, 32)               0 |" BAR0 "|\n"
		  "[32, 64)               0 |" BAR0 "|\n"
		  "[64, 128)              0 |" BAR0 "|\n"
		  "[128, 256)             0 |" BAR0 "|\n"
		  "[256, 512)             0 |" BAR0 "|\n"
		  "[512, 1K)              1 |" BAR26 "|\n"
		  "\n");
}

/* bpftrace -f json -e 'BEGIN { @[1,"a"] = count(); @h = hist(5);
 *   @h=hist(0); @h=hist(-3); @h=hist(1000); exit(); }' */
static void test_json_hist_and_tuple_key(void **state)
{
	struct bt_type kel[2] = {T_S64, T_STR};
	struct bt_type ct = {.kind = BT_T_COUNT, .size = 8};
	struct bt_map m = map("", tuple(2, kel), ct);
	uint8_t k1[72];
	struct bt_map_row row = {.key = k1, .value = 1};
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map h = map("h", NOKEY, ht);
	uint64_t b[66] = {[0] = 1, [1] = 1, [4] = 1, [11] = 1};
	struct bt_map_row hr = {.buckets = b, .nbuckets = 66};

	put64(k1, 0, 1);
	putstr(k1, 8, "a");
	check_map(&m, &row, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@\": {\"1,a\": 1}}}\n");
	check_map(&h, &hr, 1, true, 0, 0,
		  "{\"type\": \"hist\", \"data\": {\"@h\": [{\"max\": -1, "
		  "\"count\": 1}, {\"min\": 0, \"max\": 0, \"count\": 1}, "
		  "{\"min\": 1, \"max\": 1, \"count\": 0}, {\"min\": 2, "
		  "\"max\": 3, \"count\": 0}, {\"min\": 4, \"max\": 7, "
		  "\"count\": 1}, {\"min\": 8, \"max\": 15, \"count\": 0}, "
		  "{\"min\": 16, \"max\": 31, \"count\": 0}, {\"min\": 32, "
		  "\"max\": 63, \"count\": 0}, {\"min\": 64, \"max\": 127, "
		  "\"count\": 0}, {\"min\": 128, \"max\": 255, \"count\": 0}, "
		  "{\"min\": 256, \"max\": 511, \"count\": 0}, {\"min\": 512, "
		  "\"max\": 1023, \"count\": 1}]}}\n");
}

/* bpftrace -e 'BEGIN { @z = 1; @a = 2; @m[3]=5; @m[1]=7; @m[2]=6;
 *   exit(); }' and
 * bpftrace -e 'BEGIN { @m[-1]=5; @m[3]=5; @m[1]=5; @m[2]=1; @s["b"]=1;
 *   @s["a"]=1; @s["c"]=0; @mn[2]=min(5); @mn[1]=min(9); @mn[3]=min(1);
 *   exit(); }' (@m's rows of equal value came in hash order there: 3, 1,
 * -1; sonde puts them in key order, integers unsigned as bpftrace's key
 * sort, so -1 last) */
static void test_sort_by_value(void **state)
{
	struct bt_map m = map("m", T_S64, T_S64);
	uint8_t k[4][8];
	struct bt_map_row rows[4];
	struct bt_type mt = {
		.kind = BT_T_MIN, .size = 8, .isize = 8, .is_signed = true};
	struct bt_map mn = map("mn", T_S64, mt);
	struct bt_map s = map("s", T_STR, T_S64);
	uint8_t sk[3][64];

	for (int i = 0; i < 3; i++) {
		put64(k[i], 0, i + 1);
		rows[i] = (struct bt_map_row){.key = k[i], .value = 8 - i};
	}
	rows[0].value = 7;
	rows[1].value = 6;
	rows[2].value = 5;
	check_map(&m, rows, 3, false, 0, 0, "@m[3]: 5\n@m[2]: 6\n@m[1]: 7\n");
	rows[0].value = 9;
	rows[1].value = 5;
	rows[2].value = 1;
	check_map(&mn, rows, 3, false, 0, 0,
		  "@mn[3]: 1\n@mn[2]: 5\n@mn[1]: 9\n");
	put64(k[3], 0, -1);
	rows[3] = (struct bt_map_row){.key = k[3], .value = 5};
	rows[0].value = 5;
	rows[1].value = 1;
	rows[2].value = 5;
	check_map(&m, rows, 4, false, 0, 0,
		  "@m[2]: 1\n@m[1]: 5\n@m[3]: 5\n@m[-1]: 5\n");
	putstr(sk[0], 0, "b");
	putstr(sk[1], 0, "a");
	putstr(sk[2], 0, "c");
	for (int i = 0; i < 3; i++)
		rows[i] = (struct bt_map_row){.key = sk[i], .value = i < 2};
	check_map(&s, rows, 3, false, 0, 0, "@s[c]: 0\n@s[a]: 1\n@s[b]: 1\n");
}

/* bpftrace -e 'BEGIN { @c = count(); @s=sum(5); @s=sum(-7); @mn=min(4);
 *   @mn=min(-2); @mx=max(3); @av=avg(3); @av=avg(4); @st=stats(2);
 *   @st=stats(5); @st=stats(-1); exit(); }', and the same with -f json */
static void test_aggregates(void **state)
{
	struct bt_type av = {
		.kind = BT_T_AVG, .size = 16, .isize = 8, .is_signed = true};
	struct bt_type st = {
		.kind = BT_T_STATS, .size = 16, .isize = 8, .is_signed = true};
	struct bt_type sm = {
		.kind = BT_T_SUM, .size = 8, .isize = 8, .is_signed = true};
	struct bt_type ct = {.kind = BT_T_COUNT, .size = 8};
	struct bt_map a = map("av", NOKEY, av), s = map("st", NOKEY, st);
	struct bt_map su = map("s", NOKEY, sm), c = map("c", NOKEY, ct);
	struct bt_map_row ar = {.count = 2, .total = 7};
	struct bt_map_row sr = {.count = 3, .total = 6};
	struct bt_map_row ur = {.value = -2}, cr = {.value = 1};

	check_map(&a, &ar, 1, false, 0, 0, "@av: 3\n\n");
	check_map(&s, &sr, 1, false, 0, 0,
		  "@st: count 3, average 2, total 6\n\n");
	check_map(&su, &ur, 1, false, 0, 0, "@s: -2\n");
	check_map(&c, &cr, 1, false, 0, 0, "@c: 1\n");
	check_map(&a, &ar, 1, true, 0, 0,
		  "{\"type\": \"stats\", \"data\": {\"@av\": 3}}\n");
	check_map(&s, &sr, 1, true, 0, 0,
		  "{\"type\": \"stats\", \"data\": {\"@st\": {\"count\": 3, "
		  "\"average\": 2, \"total\": 6}}}\n");
	check_map(&su, &ur, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@s\": -2}}\n");
}

/* bpftrace -e 'BEGIN { @av[2]=avg(5); @av[1]=avg(9); @av[3]=avg(1);
 *   @av[-1]=avg(-4); @st[2]=stats(5); @st[1]=stats(9); @st[3]=stats(1);
 *   exit(); }', and (sorted by average, not count or total)
 * bpftrace -e 'BEGIN { @st[1]=stats(10); @st[2]=stats(2) (10 times);
 *   exit(); }' */
static void test_keyed_avg_stats(void **state)
{
	struct bt_type av = {
		.kind = BT_T_AVG, .size = 16, .isize = 8, .is_signed = true};
	struct bt_type st = av;
	struct bt_map a = map("av", T_S64, av), s;
	uint8_t k[4][8];
	struct bt_map_row r[4];
	int64_t keys[4] = {2, 1, 3, -1}, vals[4] = {5, 9, 1, -4};

	st.kind = BT_T_STATS;
	s = map("st", T_S64, st);
	for (int i = 0; i < 4; i++) {
		put64(k[i], 0, keys[i]);
		r[i] = (struct bt_map_row){
			.key = k[i], .count = 1, .total = vals[i]};
	}
	check_map(&a, r, 4, false, 0, 0,
		  "@av[-1]: -4\n@av[3]: 1\n@av[2]: 5\n@av[1]: 9\n\n");
	check_map(&s, r, 3, false, 0, 0,
		  "@st[3]: count 1, average 1, total 1\n"
		  "@st[2]: count 1, average 5, total 5\n"
		  "@st[1]: count 1, average 9, total 9\n\n");
	r[0] = (struct bt_map_row){.key = k[1], .count = 1, .total = 10};
	r[1] = (struct bt_map_row){.key = k[0], .count = 10, .total = 20};
	check_map(&s, r, 2, false, 0, 0,
		  "@st[2]: count 10, average 2, total 20\n"
		  "@st[1]: count 1, average 10, total 10\n\n");
}

/* Empty maps (every entry deleted or cleared):
 * bpftrace -e 'BEGIN { @x[1]=F; clear(@x); printf("-\n"); print(@x);
 *   printf("-\n"); exit(); }' for F count(), avg(1), stats(1), hist(1),
 * lhist(1,0,10,1): one blank line, two for avg and stats; with -f json
 * nothing at all. */
static void test_empty(void **state)
{
	static const enum bt_tkind kinds[] = {BT_T_COUNT, BT_T_AVG, BT_T_STATS,
					      BT_T_HIST, BT_T_LHIST};
	static const char *const want[] = {"\n", "\n\n", "\n\n", "\n", "\n"};

	for (int i = 0; i < 5; i++) {
		struct bt_type v = {
			.kind = kinds[i], .lmin = 0, .lmax = 10, .lstep = 1};
		struct bt_map m = map("x", T_S64, v);

		check_map(&m, NULL, 0, false, 0, 0, want[i]);
		check_map(&m, NULL, 0, true, 0, 0, "");
	}
}

/* bpftrace -e 'BEGIN { @m[1]=10; @m[2]=20; @m[3]=35; @m[4]=41;
 *   print(@m); print(@m, 2); print(@m, 0, 10); print(@m,3,3); ... }'
 * and -f json: print(@m,1,2) of @m[1]=10, @m[2]=20 */
static void test_top_div(void **state)
{
	struct bt_map m = map("m", T_S64, T_S64);
	uint8_t k[4][8];
	struct bt_map_row r[4];

	for (int i = 0; i < 4; i++)
		put64(k[i], 0, i + 1);
	r[0] = (struct bt_map_row){.key = k[3], .value = 41};
	r[1] = (struct bt_map_row){.key = k[0], .value = 10};
	r[2] = (struct bt_map_row){.key = k[2], .value = 35};
	r[3] = (struct bt_map_row){.key = k[1], .value = 20};
	check_map(&m, r, 4, false, 0, 0,
		  "@m[1]: 10\n@m[2]: 20\n@m[3]: 35\n@m[4]: 41\n");
	check_map(&m, r, 4, false, 2, 0, "@m[3]: 35\n@m[4]: 41\n");
	check_map(&m, r, 4, false, 0, 10,
		  "@m[1]: 1\n@m[2]: 2\n@m[3]: 3\n@m[4]: 4\n");
	check_map(&m, r, 4, false, 3, 3, "@m[2]: 6\n@m[3]: 11\n@m[4]: 13\n");
	r[0] = (struct bt_map_row){.key = k[0], .value = 10};
	r[1] = (struct bt_map_row){.key = k[1], .value = 20};
	check_map(&m, r, 2, true, 1, 2,
		  "{\"type\": \"map\", \"data\": {\"@m\": {\"2\": 10}}}\n");
}

/* bpftrace -e 'BEGIN { @a[1]=avg(10); @a[2]=avg(20); @a[3]=avg(30);
 *   print(@a, 2); print(@a, 1, 3); @s[1]="x"; @s[2]="y"; print(@s, 1);
 *   @z[1] = (int8)-1; @z[2]=(int8)1; @u[1]=(uint8)200;
 *   @u[2]=(uint8)100; exit(); }' */
static void test_top_avg_str_narrow(void **state)
{
	struct bt_type av = {
		.kind = BT_T_AVG, .size = 16, .isize = 8, .is_signed = true};
	struct bt_map a = map("a", T_S64, av), s = map("s", T_S64, T_STR);
	struct bt_map z = map("z", T_S64, ity(true, 1));
	struct bt_map u = map("u", T_S64, ity(false, 1));
	uint8_t k[3][8], sv[2][64];
	struct bt_map_row r[3];

	for (int i = 0; i < 3; i++) {
		put64(k[i], 0, i + 1);
		r[i] = (struct bt_map_row){
			.key = k[i], .count = 1, .total = 10 * (i + 1)};
	}
	check_map(&a, r, 3, false, 2, 0, "@a[2]: 20\n@a[3]: 30\n\n");
	check_map(&a, r, 3, false, 1, 3, "@a[3]: 10\n\n");
	putstr(sv[0], 0, "x");
	putstr(sv[1], 0, "y");
	r[0] = (struct bt_map_row){.key = k[0], .bytes = sv[0]};
	r[1] = (struct bt_map_row){.key = k[1], .bytes = sv[1]};
	check_map(&s, r, 2, false, 1, 0, "@s[2]: y\n");
	check_map(&s, r, 2, false, 0, 0, "@s[1]: x\n@s[2]: y\n");
	/* int8 -1 is stored as its 8 sign-extended bytes, or just its byte */
	r[0] = (struct bt_map_row){.key = k[0], .value = 0xff};
	r[1] = (struct bt_map_row){.key = k[1], .value = 1};
	check_map(&z, r, 2, false, 0, 0, "@z[1]: -1\n@z[2]: 1\n");
	r[0] = (struct bt_map_row){.key = k[0], .value = 200};
	r[1] = (struct bt_map_row){.key = k[1], .value = 100};
	check_map(&u, r, 2, false, 0, 0, "@u[2]: 100\n@u[1]: 200\n");
}

/* bpftrace -e 'BEGIN { @h=hist(1); @h=hist(1); @h=hist(1); @h=hist(4);
 *   @h=hist(2) (5 times); print(@h,0,2); @c = count(); print(@c, 0, 2);
 *   @s=sum(-7); print(@s,0,2); @a = avg(7); @a=avg(8); print(@a, 0, 2);
 *   @st=stats(7); @st=stats(8); print(@st,0,2); exit() }'
 * The bars keep the counts before the division; stats ignores div. */
static void test_div_hist_and_scalars(void **state)
{
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map h = map("h", NOKEY, ht);
	uint64_t b[66] = {[2] = 3, [3] = 5, [4] = 1};
	struct bt_map_row hr = {.buckets = b, .nbuckets = 66};
	struct bt_type sm = {
		.kind = BT_T_SUM, .size = 8, .isize = 8, .is_signed = true};
	struct bt_type ct = {.kind = BT_T_COUNT, .size = 8};
	struct bt_type av = {
		.kind = BT_T_AVG, .size = 16, .isize = 8, .is_signed = true};
	struct bt_type st = av;
	struct bt_map s = map("s", NOKEY, sm), c = map("c", NOKEY, ct);
	struct bt_map a = map("a", NOKEY, av), t;
	struct bt_map_row sr = {.value = -7}, cr = {.value = 1};
	struct bt_map_row ar = {.count = 2, .total = 15};

	st.kind = BT_T_STATS;
	t = map("st", NOKEY, st);
	check_map(&h, &hr, 1, false, 0, 2,
		  "@h: \n"
		  "[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@   "
		  "                  |\n"
		  "[2, 4)                 2 |" BAR52 "|\n"
		  "[4, 8)                 0 |@@@@@@@@@@                        "
		  "                  |\n"
		  "\n");
	check_map(&c, &cr, 1, false, 0, 2, "@c: 0\n");
	check_map(&s, &sr, 1, false, 0, 2, "@s: -3\n");
	check_map(&a, &ar, 1, false, 0, 2, "@a: 3\n\n");
	check_map(&t, &ar, 1, false, 0, 2,
		  "@st: count 2, average 7, total 15\n\n");
}

/* bpftrace -e 'BEGIN { @h[1]=hist(1); @h[2]=hist(1) (twice);
 *   @h[3]=hist(1) (3 times); @h[4]=hist(-1) (4 times); print(@h, 2);
 *   print(@h, 1, 3); exit() }': keyed hists by total count */
static void test_keyed_hist_top(void **state)
{
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map h = map("h", T_S64, ht);
	uint8_t k[4][8];
	uint64_t b[4][66] = {{[2] = 1}, {[2] = 2}, {[2] = 3}, {[0] = 4}};
	struct bt_map_row r[4];

	for (int i = 0; i < 4; i++) {
		put64(k[i], 0, i + 1);
		r[3 - i] = (struct bt_map_row){
			.key = k[i], .buckets = b[i], .nbuckets = 66};
	}
	check_map(&h, r, 4, false, 2, 0,
		  "@h[3]: \n[1]                    3 |" BAR52 "|\n\n"
		  "@h[4]: \n(..., 0)               4 |" BAR52 "|\n\n");
	check_map(&h, r, 4, false, 1, 3,
		  "@h[4]: \n(..., 0)               1 |" BAR52 "|\n\n");
}

/* bpftrace -e 'BEGIN { @x[-1]=hist(1); @x[5]=hist(1); @x[2]=hist(1);
 *   @y[-1,"b"]="s"; @y[-1,"a"]="s"; @y[5,"z"]="s"; @y[2,"a"]="s";
 *   exit(); }': equal totals by key; string values by key, the first
 * part first, integers unsigned (-1 last) */
static void test_key_order(void **state)
{
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map x = map("x", T_S64, ht);
	struct bt_type kel[2] = {T_S64, T_STR};
	struct bt_map y = map("y", tuple(2, kel), T_STR);
	uint8_t k[3][8], yk[4][72], val[64];
	uint64_t b[66] = {[2] = 1};
	struct bt_map_row r[4];
	int64_t xk[3] = {-1, 5, 2}, yi[4] = {-1, -1, 5, 2};
	const char *ys[4] = {"b", "a", "z", "a"};

	putstr(val, 0, "s");
	for (int i = 0; i < 3; i++) {
		put64(k[i], 0, xk[i]);
		r[i] = (struct bt_map_row){
			.key = k[i], .buckets = b, .nbuckets = 66};
	}
	check_map(&x, r, 3, false, 0, 0,
		  "@x[2]: \n[1]                    1 |" BAR52 "|\n\n"
		  "@x[5]: \n[1]                    1 |" BAR52 "|\n\n"
		  "@x[-1]: \n[1]                    1 |" BAR52 "|\n\n");
	for (int i = 0; i < 4; i++) {
		put64(yk[i], 0, yi[i]);
		putstr(yk[i], 8, ys[i]);
		r[i] = (struct bt_map_row){.key = yk[i], .bytes = val};
	}
	check_map(&y, r, 4, false, 0, 0,
		  "@y[2, a]: s\n@y[5, z]: s\n@y[-1, a]: s\n@y[-1, b]: s\n");
}

/* bpftrace -e 'BEGIN { @h=hist(1024); @h=hist(1048576);
 *   @h = hist(3000000000); @h=hist(0x7fffffffffffffff); @h=hist(1<<40);
 *   exit(); }' (0.17 counts every value from 2^31 up in [2G, 4G)) */
static void test_hist_huge(void **state)
{
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_map h = map("h", NOKEY, ht);
	uint64_t b[66] = {[12] = 1, [22] = 1, [33] = 3};
	struct bt_map_row hr = {.buckets = b, .nbuckets = 66};

	check_map(&h, &hr, 1, false, 0, 0,
		  "@h: \n"
		  "[1K, 2K)               1 |" BAR17 "|\n"
		  "[2K, 4K)               0 |" BAR0 "|\n"
		  "[4K, 8K)               0 |" BAR0 "|\n"
		  "[8K, 16K)              0 |" BAR0 "|\n"
		  "[16K, 32K)             0 |" BAR0 "|\n"
		  "[32K, 64K)             0 |" BAR0 "|\n"
		  "[64K, 128K)            0 |" BAR0 "|\n"
		  "[128K, 256K)           0 |" BAR0 "|\n"
		  "[256K, 512K)           0 |" BAR0 "|\n"
		  "[512K, 1M)             0 |" BAR0 "|\n"
		  "[1M, 2M)               1 |" BAR17 "|\n"
		  "[2M, 4M)               0 |" BAR0 "|\n"
		  "[4M, 8M)               0 |" BAR0 "|\n"
		  "[8M, 16M)              0 |" BAR0 "|\n"
		  "[16M, 32M)             0 |" BAR0 "|\n"
		  "[32M, 64M)             0 |" BAR0 "|\n"
		  "[64M, 128M)            0 |" BAR0 "|\n"
		  "[128M, 256M)           0 |" BAR0 "|\n"
		  "[256M, 512M)           0 |" BAR0 "|\n"
		  "[512M, 1G)             0 |" BAR0 "|\n"
		  "[1G, 2G)               0 |" BAR0 "|\n"
		  "[2G, 4G)               3 |" BAR52 "|\n"
		  "\n");
}

static struct bt_type lh(int64_t min, int64_t max, int64_t step)
{
	struct bt_type t = {
		.kind = BT_T_LHIST, .lmin = min, .lmax = max, .lstep = step};
	return t;
}

/* bpftrace -e 'BEGIN { @l=lhist(-5, 0, 100, 10); @l=lhist(0, 0, 100, 10);
 *   @l=lhist(55,0,100,10); @l=lhist(100,0,100,10);
 *   @l=lhist(1000,0,100,10); @l=lhist(99,0,100,10); exit(); }' */
static void test_lhist(void **state)
{
	struct bt_map l = map("l", NOKEY, lh(0, 100, 10));
	uint64_t b[12] = {[0] = 1, [1] = 1, [6] = 1, [10] = 1, [11] = 2};
	struct bt_map_row r = {.buckets = b, .nbuckets = 12};

	check_map(&l, &r, 1, false, 0, 0,
		  "@l: \n"
		  "(..., 0)               1 |" BAR26 "|\n"
		  "[0, 10)                1 |" BAR26 "|\n"
		  "[10, 20)               0 |" BAR0 "|\n"
		  "[20, 30)               0 |" BAR0 "|\n"
		  "[30, 40)               0 |" BAR0 "|\n"
		  "[40, 50)               0 |" BAR0 "|\n"
		  "[50, 60)               1 |" BAR26 "|\n"
		  "[60, 70)               0 |" BAR0 "|\n"
		  "[70, 80)               0 |" BAR0 "|\n"
		  "[80, 90)               0 |" BAR0 "|\n"
		  "[90, 100)              1 |" BAR26 "|\n"
		  "[100, ...)             2 |" BAR52 "|\n"
		  "\n");
}

/* bpftrace -e 'BEGIN { @l=lhist(2048, 0, 4096, 1024);
 *   @l=lhist(5000,0,4096,1024); @m=lhist(3145728, 0, 4194304, 1048576);
 *   @n=lhist(3145728, 0, 4194304, 524288); @o=lhist(-3,5,10,5);
 *   @o=lhist(7,5,10,5); @p=lhist(12,5,12,5); @p=lhist(5,5,12,5);
 *   @p=lhist(11,5,12,5); exit(); }' and for @p with -f json
 * @p=lhist(12,5,12,5); @p=lhist(3,5,12,5); @p=lhist(11,5,12,5) */
static void test_lhist_labels(void **state)
{
	struct bt_map l = map("l", NOKEY, lh(0, 4096, 1024));
	struct bt_map m = map("m", NOKEY, lh(0, 4194304, 1048576));
	struct bt_map n = map("n", NOKEY, lh(0, 4194304, 524288));
	struct bt_map o = map("o", NOKEY, lh(5, 10, 5));
	struct bt_map p = map("p", NOKEY, lh(5, 12, 5));
	uint64_t lb[6] = {[3] = 1, [5] = 1}, mb[6] = {[4] = 1};
	uint64_t nb[10] = {[7] = 1}, ob[3] = {1, 1, 0}, pb[3] = {0, 1, 2};
	uint64_t pj[3] = {1, 0, 2};
	struct bt_map_row lr = {.buckets = lb, .nbuckets = 6};
	struct bt_map_row mr = {.buckets = mb, .nbuckets = 6};
	struct bt_map_row nr = {.buckets = nb, .nbuckets = 10};
	struct bt_map_row or = {.buckets = ob, .nbuckets = 3};
	struct bt_map_row pr = {.buckets = pb, .nbuckets = 3};
	struct bt_map_row pjr = {.buckets = pj, .nbuckets = 3};

	check_map(&l, &lr, 1, false, 0, 0,
		  "@l: \n"
		  "[2K, 3K)               1 |" BAR52 "|\n"
		  "[3K, 4K)               0 |" BAR0 "|\n"
		  "[4K, ...)              1 |" BAR52 "|\n\n");
	check_map(&m, &mr, 1, false, 0, 0,
		  "@m: \n[3M, 4M)               1 |" BAR52 "|\n\n");
	check_map(&n, &nr, 1, false, 0, 0,
		  "@n: \n[3M, 3584K)            1 |" BAR52 "|\n\n");
	check_map(&o, & or, 1, false, 0, 0,
		  "@o: \n(..., 5)               1 |" BAR52 "|\n"
		  "[5, 10)                1 |" BAR52 "|\n\n");
	check_map(&p, &pr, 1, false, 0, 0,
		  "@p: \n[5, 10)                1 |" BAR26 "|\n"
		  "[12, ...)              2 |" BAR52 "|\n\n");
	check_map(&p, &pjr, 1, true, 0, 0,
		  "{\"type\": \"hist\", \"data\": {\"@p\": [{\"max\": 4, "
		  "\"count\": 1}, {\"min\": 5, \"max\": 9, \"count\": 0}, "
		  "{\"min\": 12, \"count\": 2}]}}\n");
}

static void check_value(const struct bt_type *t, const uint8_t *v, bool json,
			const char *want)
{
	struct cap c;

	bt_print_value(cap_open(&c), t, v, json, NULL);
	cap_check(&c, want);
}

/* bpftrace -e 'BEGIN { print(5); print(-5); print("s"); print((1,"b"));
 *   print((1,(2,"x"),"c")); exit(); }' and -f json: print(5);
 *   print("s"); print((1,"b")) */
static void test_print_values(void **state)
{
	struct bt_type pair[2] = {T_S64, T_STR};
	struct bt_type pt = tuple(2, pair);
	struct bt_type inner[2] = {T_S64, T_STR};
	struct bt_type nest[3] = {T_S64, tuple(2, inner), T_STR};
	struct bt_type nt = tuple(3, nest);
	uint8_t v[256];

	put64(v, 0, 5);
	check_value(&T_S64, v, false, "5\n");
	check_value(&T_S64, v, true, "{\"type\": \"value\", \"data\": 5}\n");
	put64(v, 0, -5);
	check_value(&T_S64, v, false, "-5\n");
	putstr(v, 0, "s");
	check_value(&T_STR, v, false, "s\n");
	check_value(&T_STR, v, true,
		    "{\"type\": \"value\", \"data\": \"s\"}\n");
	put64(v, 0, 1);
	putstr(v, 8, "b");
	check_value(&pt, v, false, "(1, b)\n");
	check_value(&pt, v, true,
		    "{\"type\": \"value\", \"data\": [1,\"b\"]}\n");
	put64(v, 0, 1);
	put64(v, 8, 2);
	putstr(v, 16, "x");
	putstr(v, 80, "c");
	check_value(&nt, v, false, "(1, (2, x), c)\n");
	/* strftime()'s format is not in the message: said, not a number */
	nt = (struct bt_type){.kind = BT_T_TIMESTAMP, .size = 8};
	check_value(&nt, v, false, "[strftime() not supported]\n");
}

/* bpftrace -e 'BEGIN { @t[1,"a"]=(1,(2,"x"),-3); @u=(int8)-1;
 *   @v=(uint8)255; @w=(int32)-7; @s["k"]="val"; exit(); }', and with
 * -f json: @t[1,"a"]=(1,(2,"x"),-3); @s["k\"q"]="v\\al";
 * @["a b"]=(uint8)255 */
static void test_map_values(void **state)
{
	struct bt_type kel[2] = {T_S64, T_STR};
	struct bt_type inner[2] = {T_S64, T_STR};
	struct bt_type vel[3] = {T_S64, tuple(2, inner), T_S64};
	struct bt_map t = map("t", tuple(2, kel), tuple(3, vel));
	struct bt_map u = map("u", NOKEY, ity(true, 1));
	struct bt_map v = map("v", NOKEY, ity(false, 1));
	struct bt_map w = map("w", NOKEY, ity(true, 4));
	struct bt_map s = map("s", T_STR, T_STR);
	struct bt_map e = map("", T_STR, ity(false, 1));
	uint8_t key[72], val[96], sk[64], sv[64];
	struct bt_map_row r = {.key = key, .bytes = val};
	struct bt_map_row sr = {.key = sk, .bytes = sv};
	struct bt_map_row ur = {.value = -1}, vr = {.value = 255};
	struct bt_map_row wr = {.value = -7}, er = {.key = sk, .value = 255};

	put64(key, 0, 1);
	putstr(key, 8, "a");
	put64(val, 0, 1);
	put64(val, 8, 2);
	putstr(val, 16, "x");
	put64(val, 80, -3);
	check_map(&t, &r, 1, false, 0, 0, "@t[1, a]: (1, (2, x), -3)\n");
	check_map(&t, &r, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@t\": {\"1,a\": "
		  "[1,[2,\"x\"],-3]}}}\n");
	check_map(&u, &ur, 1, false, 0, 0, "@u: -1\n");
	check_map(&v, &vr, 1, false, 0, 0, "@v: 255\n");
	check_map(&w, &wr, 1, false, 0, 0, "@w: -7\n");
	putstr(sk, 0, "k");
	putstr(sv, 0, "val");
	check_map(&s, &sr, 1, false, 0, 0, "@s[k]: val\n");
	putstr(sk, 0, "k\"q");
	putstr(sv, 0, "v\\al");
	check_map(&s, &sr, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@s\": {\"k\\\"q\": "
		  "\"v\\\\al\"}}}\n");
	putstr(sk, 0, "a b");
	check_map(&e, &er, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@\": {\"a b\": 255}}}\n");
}

/* printf of a format whose args are given as (type, value) pairs */
struct arg {
	struct bt_type t;
	int64_t i;
	const char *s;
};

static void check_printf(const char *fmt, struct arg *a, int n, bool json,
			 const char *want)
{
	struct bt_type el[16];
	struct bt_format f = {.fmt = (char *)fmt};
	uint8_t buf[16 * 64];
	struct cap c;

	for (int i = 0; i < n; i++)
		el[i] = a[i].t;
	f.args = tuple(n, el);
	for (int i = 0, off = 0; i < n; off += (a[i].t.size + 7) & ~7u, i++) {
		if (a[i].s)
			putstr(buf, off, a[i].s);
		else
			put64(buf, off, a[i].i);
	}
	assert_int_equal(
		bt_print_printf(cap_open(&c), &f, buf, f.args.size, json, NULL),
		0);
	cap_check(&c, want);
}

#define I(v)                                                                   \
	{                                                                      \
		.t = {.kind = BT_T_INT,                                        \
		      .size = 8,                                               \
		      .isize = 8,                                              \
		      .is_signed = true},                                      \
		.i = (v)                                                       \
	}
#define U(v)                                                                   \
	{                                                                      \
		.t = {.kind = BT_T_INT, .size = 8, .isize = 8},                \
		.i = (int64_t)(v)                                              \
	}
#define CAST(sgn, w, v)                                                        \
	{                                                                      \
		.t = {.kind = BT_T_INT,                                        \
		      .size = 8,                                               \
		      .isize = (w),                                            \
		      .is_signed = (sgn)},                                     \
		.i = (v)                                                       \
	}
#define S(v)                                                                   \
	{                                                                      \
		.t = {.kind = BT_T_STR, .size = 64, .strsize = 64}, .s = (v)   \
	}

/* bpftrace -e 'BEGIN { printf("%d %u %x %X %o %c %lld %llu %lx\n", -1,
 *   -1, 255, 255, 8, 65, -2, -2, 255); printf("%-10s| %5d %05d %%|\n",
 *   "ab", 42, 42); exit(); }' and its other cases below */
static void test_printf_directives(void **state)
{
	struct arg a[] = {I(-1), I(-1), I(255), I(255), I(8),
			  I(65), I(-2), I(-2),	I(255)};
	struct arg b[] = {S("ab"), I(42), I(42)};
	/* printf("%d %u %x %d %u %x\n", (int8)-1, (int8)-1, (int8)-1,
	 *   (uint32)-1, (int32)-1, (int32)-1) */
	struct arg c[] = {CAST(true, 1, -1), CAST(true, 1, -1),
			  CAST(true, 1, -1), CAST(false, 4, 0xffffffff),
			  CAST(true, 4, -1), CAST(true, 4, -1)};
	/* printf("|%s|%5s|%.1s|%-4d|\n", "abcdef", "abcdefgh", "xyz", 7) */
	struct arg d[] = {S("abcdef"), S("abcdefgh"), S("xyz"), I(7)};
	/* printf("%lu %ld %hd %hhu %c %d\n", -1, -1, 70000, 300, 321,
	 *   5000000000) */
	struct arg e[] = {I(-1),  I(-1),  I(70000),
			  I(300), I(321), I(5000000000)};
	/* printf("%d %x\n", (uint64)0xffffffffffffffff, 0xffff...) */
	struct arg g[] = {U(UINT64_MAX), U(UINT64_MAX)};

	check_printf("%d %u %x %X %o %c %lld %llu %lx\n", a, 9, false,
		     "-1 4294967295 ff FF 10 A -2 18446744073709551614 ff\n");
	check_printf("%-10s| %5d %05d %%|\n", b, 3, false,
		     "ab        |    42 00042 %%|\n");
	check_printf("%d %u %x %d %u %x\n", c, 6, false,
		     "-1 4294967295 ffffffff -1 4294967295 ffffffff\n");
	check_printf("|%s|%5s|%.1s|%-4d|\n", d, 4, false,
		     "|abcdef|abcdefgh|x|7   |\n");
	check_printf("%lu %ld %hd %hhu %c %d\n", e, 6, false,
		     "18446744073709551615 -1 4464 44 A 705032704\n");
	check_printf("%d %x\n", g, 2, false, "-1 ffffffff\n");
}

/* bpftrace -e 'BEGIN { printf("[F]\n", 1); exit(); }' for each F, with
 * "abcd" for the %s ones; and printf("%% %d %%\n", 1);
 * printf("100%%\n"); printf("%p\n", 0x1234); printf("%%d\n", 1) */
static void test_printf_widths(void **state)
{
	static const char *const fmt[] = {
		"[%5.2d]\n", "[%-5x]\n", "[%08.3s]\n", "[%5c]\n",
		"[%zd]\n",   "[%jd]\n",	 "[%hx]\n",    "[%hhx]\n",
		"[%llX]\n",  "[%lo]\n",	 "[%-05d]\n",  "[%0s]\n"};
	static const char *const want[] = {
		"[   01]\n", "[1    ]\n", "[     abc]\n", "[    \x01]\n",
		"[1]\n",     "[1]\n",	  "[1]\n",	  "[1]\n",
		"[1]\n",     "[1]\n",	  "[1    ]\n",	  "[abcd]\n"};
	struct arg one[] = {I(1)}, str[] = {S("abcd")};
	struct arg p[] = {I(0x1234)};

	for (size_t i = 0; i < sizeof(fmt) / sizeof(*fmt); i++)
		check_printf(fmt[i], strstr(fmt[i], "s]") ? str : one, 1, false,
			     want[i]);
	check_printf("%% %d %%\n", one, 1, false, "% 1 %%\n");
	check_printf("100%%\n", NULL, 0, false, "100%%\n");
	check_printf("%p\n", p, 1, false, "0x1234\n");
	check_printf("%%d\n", one, 1, false, "%d\n");
}

/* bpftrace -f json -e 'BEGIN { printf("a %d \"q\" \\ \t x\n", 5);
 *   printf("a\x01b\rc\x1f%s\n", "\x7f"); exit(); }' */
static void test_printf_json(void **state)
{
	struct arg five[] = {I(5)}, del[] = {S("\x7f")};

	check_printf("a %d \"q\" \\ \t x\n", five, 1, true,
		     "{\"type\": \"printf\", \"data\": \"a 5 \\\"q\\\" \\\\ "
		     "\\t x\\n\"}\n");
	check_printf("a\x01"
		     "b\rc\x1f%s\n",
		     del, 1, true,
		     "{\"type\": \"printf\", \"data\": "
		     "\"a\\u0001b\\rc\\u001f\x7f\\n\"}\n");
}

/* bpftrace -e 'BEGIN { printf("[%r]\n", buf("ab\x01\xff", 4));
 *   print(buf("a\tz", 3)); @b[1] = buf("xy\n", 3); exit(); }' and the
 * same with -f json */
static void test_buf(void **state)
{
	struct bt_type bt = {.kind = BT_T_BUF, .size = 68, .strsize = 64};
	struct bt_format f = {.fmt = "[%r]\n"};
	struct bt_map m = map("b", T_S64, bt);
	uint8_t v[72] = {0}, k[8];
	struct bt_map_row r = {.key = k, .bytes = v};
	uint32_t n = 4;
	struct cap c;

	f.args = tuple(1, &bt);
	memcpy(v, &n, 4);
	memcpy(v + 4, "ab\x01\xff", 4);
	assert_int_equal(bt_print_printf(cap_open(&c), &f, v, 72, false, NULL),
			 0);
	cap_check(&c, "[ab\\x01\\xff]\n");
	assert_int_equal(bt_print_printf(cap_open(&c), &f, v, 72, true, NULL),
			 0);
	cap_check(&c, "{\"type\": \"printf\", \"data\": "
		      "\"[ab\\\\x01\\\\xff]\\n\"}\n");
	n = 3;
	memcpy(v, &n, 4);
	memcpy(v + 4, "a\tz", 3);
	check_value(&bt, v, false, "a\\x09z\n");
	check_value(&bt, v, true,
		    "{\"type\": \"value\", \"data\": \"a\\\\x09z\"}\n");
	memcpy(v + 4, "xy\n", 3);
	put64(k, 0, 1);
	check_map(&m, &r, 1, false, 0, 0, "@b[1]: xy\\x0a\n");
	check_map(&m, &r, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@b\": {\"1\": "
		  "\"xy\\\\x0a\"}}}\n");
}

/* bpftrace -f json -e 'BEGIN { @h[1,"a"]=hist(5); @h[2,"b"]=hist(0);
 *   @av[1]=avg(3); @av[2]=avg(1); exit(); }' */
static void test_json_keyed(void **state)
{
	struct bt_type kel[2] = {T_S64, T_STR};
	struct bt_type ht = {.kind = BT_T_HIST};
	struct bt_type av = {
		.kind = BT_T_AVG, .size = 16, .isize = 8, .is_signed = true};
	struct bt_map h = map("h", tuple(2, kel), ht), a = map("av", T_S64, av);
	uint8_t k1[72], k2[72];
	uint64_t b1[66] = {[4] = 1}, b2[66] = {[1] = 1};
	struct bt_map_row r[2] = {
		{.key = k2, .buckets = b2, .nbuckets = 66},
		{.key = k1, .buckets = b1, .nbuckets = 66},
	};

	put64(k1, 0, 1);
	putstr(k1, 8, "a");
	put64(k2, 0, 2);
	putstr(k2, 8, "b");
	check_map(&h, r, 2, true, 0, 0,
		  "{\"type\": \"hist\", \"data\": {\"@h\": {\"1,a\": "
		  "[{\"min\": 4, \"max\": 7, \"count\": 1}], \"2,b\": "
		  "[{\"min\": 0, \"max\": 0, \"count\": 1}]}}}\n");
	r[0] = (struct bt_map_row){.key = k1, .count = 1, .total = 3};
	r[1] = (struct bt_map_row){.key = k2, .count = 1, .total = 1};
	check_map(&a, r, 2, true, 0, 0,
		  "{\"type\": \"stats\", \"data\": {\"@av\": {\"2\": 1, \"1\": "
		  "3}}}\n");
}

/* bpftrace -f json -e 'BEGIN { time("%H\n"); exit(); }' at 22h */
static void test_time_json(void **state)
{
	struct cap c;

	bt_print_text(cap_open(&c), "time", "22\n", 3, true);
	cap_check(&c, "{\"type\": \"time\", \"data\": \"22\\n\"}\n");
	bt_print_text(cap_open(&c), "time", "22\n", 3, false);
	cap_check(&c, "22\n");
}

/* The symbols bpftrace printed for tests' stack fixture (st.c: main
 * calls mid calls leaf, -O0 -fno-omit-frame-pointer), addresses as the
 * frames were. */
static const uint64_t frames[] = {0x560aa0b4b139, 0x560aa0b4b15c,
				  0x560aa0b4b183, 0x7fcec8f7224a};
static const char *const names[] = {"leaf+0", "mid+21", "main+34",
				    "__libc_start_call_main+122"};

static void fake_usym(void *ctx, uint64_t addr, uint32_t tgid, char *buf,
		      size_t len)
{
	for (int i = 0; i < 4; i++)
		if (addr == frames[i] && tgid == 4242) {
			snprintf(buf, len, "%s", names[i]);
			return;
		}
	snprintf(buf, len, "0x%" PRIx64, addr);
}

static int fake_stack(void *ctx, int64_t id, bool user, uint32_t tgid,
		      uint64_t *out, int max)
{
	if (id != 7 || !user)
		return -ENOENT;
	memcpy(out, frames, sizeof(frames));
	out[4] = 0; /* the end, as the stack map's zero address */
	return 5;
}

/* bpftrace -c ./st -e 'uprobe:./st:leaf { print(ustack);
 *   printf("[%s]\n", ustack); @[ustack] = count(); }' (the first hit,
 * symbols found; the map's key as printed at exit, 3 hits), and the
 * same with -f json */
static void test_ustack(void **state)
{
	struct bt_symbolizer sym = {.usym = fake_usym, .stack = fake_stack};
	struct bt_type us = {.kind = BT_T_USTACK, .size = 16};
	struct bt_type ct = {.kind = BT_T_COUNT, .size = 8};
	struct bt_map m = map("", us, ct);
	struct bt_format f = {.fmt = "[%s]\n"};
	uint8_t v[16];
	struct bt_map_row r = {.key = v, .value = 3};
	struct cap c;
	const char *text = "\n        leaf+0\n        mid+21\n"
			   "        main+34\n"
			   "        __libc_start_call_main+122\n";
	char want[256];

	put64(v, 0, 7);
	put64(v, 8, 4242);
	f.args = tuple(1, &us);
	snprintf(want, sizeof(want), "%s\n", text);
	bt_print_value(cap_open(&c), &us, v, false, &sym);
	cap_check(&c, want);
	snprintf(want, sizeof(want), "[%s]\n", text);
	assert_int_equal(bt_format_printf(cap_open(&c), &f, v, 16, &sym), 0);
	cap_check(&c, want);
	bt_print_map(cap_open(&c), &m, &r, 1, false, 0, 0, &sym);
	cap_check(&c, "@[\n    leaf+0\n    mid+21\n    main+34\n"
		      "    __libc_start_call_main+122\n]: 3\n");
	/* the same with -f json: stacks are strings, a key's frames indented
	 * by 4 */
	bt_print_value(cap_open(&c), &us, v, true, &sym);
	cap_check(&c, "{\"type\": \"value\", \"data\": \"\\n        leaf+0\\n"
		      "        mid+21\\n        main+34\\n"
		      "        __libc_start_call_main+122\\n\"}\n");
	bt_print_map(cap_open(&c), &m, &r, 1, true, 0, 0, &sym);
	cap_check(&c,
		  "{\"type\": \"map\", \"data\": {\"@\": {\"\\n    leaf+0\\n"
		  "    mid+21\\n    main+34\\n"
		  "    __libc_start_call_main+122\\n\": 3}}}\n");
}

/* bpftrace 0.17 on uprobe_test: uprobe:...:uprobeFunction* { print(func);
 *   printf("%s|\n", kstack) } printed "uprobeFunction2" (the name, no
 * "+0"; usym() and ksym() alike) and an empty kernel stack (a uprobe's
 * registers are the user's: get_stackid() says -EFAULT) */
static void test_sym_value_and_empty_kstack(void **state)
{
	struct bt_symbolizer sym = {.usym = fake_usym, .stack = fake_stack};
	struct bt_type ut = {.kind = BT_T_USYM, .size = 16};
	struct bt_type kt = {.kind = BT_T_KSTACK, .size = 8};
	uint8_t v[16];
	struct cap c;

	(void)state;
	put64(v, 0, frames[1]);
	put64(v, 8, 4242);
	bt_print_value(cap_open(&c), &ut, v, false, &sym);
	cap_check(&c, "mid\n");
	put64(v, 0, 0x1234);
	bt_print_value(cap_open(&c), &ut, v, false, &sym);
	cap_check(&c, "0x1234\n");
	put64(v, 0, (uint64_t)-EFAULT);
	bt_print_value(cap_open(&c), &kt, v, false, &sym);
	cap_check(&c, "\n\n");
	put64(v, 0, (uint64_t)-ENOMEM); /* lost: said */
	bt_print_value(cap_open(&c), &kt, v, false, &sym);
	cap_check(&c, "\n        [stack not read: Cannot allocate memory]\n\n");
}

/* bpftrace -e 'BEGIN { printf("%s|%s\n", probe, ntop(2, 0x0100007f));
 *   exit() }' */
static void test_probe_inet(void **state)
{
	char *names[] = {"BEGIN"};
	struct bt_compiled comp = {.probe_names = names, .nprobe_names = 1};
	struct bt_symbolizer sym = {.c = &comp};
	struct bt_type el[2] = {{.kind = BT_T_PROBE, .size = 8},
				{.kind = BT_T_INET, .size = 24}};
	struct bt_format f = {.fmt = "%s|%s\n"};
	uint8_t v[32] = {0};
	struct cap c;

	f.args = tuple(2, el);
	put64(v, 8, 2);
	v[16] = 127;
	v[19] = 1;
	assert_int_equal(bt_format_printf(cap_open(&c), &f, v, 32, &sym), 0);
	cap_check(&c, "BEGIN|127.0.0.1\n");
	/* too few bytes for the arguments: refused, not read past */
	assert_int_equal(bt_format_printf(cap_open(&c), &f, v, 31, &sym),
			 -EINVAL);
	cap_check(&c, "");
	/* a string for %d (sema.c refuses it): refused too */
	f.fmt = "%s|%d\n";
	el[1] = T_STR;
	f.args = tuple(2, el);
	assert_int_equal(bt_format_printf(cap_open(&c), &f, v, 80, &sym),
			 -EINVAL);
	cap_check(&c, "");
}

/* bpftrace -e 'BEGIN { @b=1; @A=2; @_=3; @a1=4; @ab=5; @a=6; @=7; @Z=8;
 *   exit(); }' printed @, @A, @Z, @_, @a, @a1, @ab, @b */
static void test_map_order(void **state)
{
	static const char *const name[] = {"b",	 "A", "_", "a1",
					   "ab", "a", "",  "Z"};
	static const int want[] = {6, 1, 7, 2, 5, 3, 4, 0};
	struct bt_map maps[8];
	struct bt_program p = {.maps = maps, .nmaps = 8};
	int order[8];

	for (int i = 0; i < 8; i++)
		maps[i] = map(name[i], NOKEY, T_S64);
	bt_map_order(&p, order);
	for (int i = 0; i < 8; i++)
		assert_int_equal(order[i], want[i]);
}

/* bpftrace 0.17: -e 'BEGIN { printf("%rx|\n", buf("Hello\0", 6));
 *   printf("%rh|\n", buf("Hello\0", 6)); @[buf("ok_key", 7), 1] = count();
 *   exit() }', and the map with -f json */
static void test_buf_hex_and_key(void **state)
{
	struct bt_type bt = {.kind = BT_T_BUF, .size = 10, .strsize = 6};
	struct bt_type kt = {.kind = BT_T_BUF, .size = 11, .strsize = 7};
	struct bt_type parts[2] = {kt, T_S64};
	struct bt_map m = map("", tuple(2, parts),
			      (struct bt_type){.kind = BT_T_COUNT, .size = 8});
	struct bt_format fx = {.fmt = "%rx|\n"}, fh = {.fmt = "%rh|\n"};
	uint8_t v[16] = {0}, k[24] = {0};
	struct bt_map_row r = {.key = k, .value = 1};
	uint32_t n = 6;
	struct cap c;

	(void)state;
	fx.args = tuple(1, &bt);
	fh.args = tuple(1, &bt);
	memcpy(v, &n, 4);
	memcpy(v + 4, "Hello", 6);
	assert_int_equal(bt_print_printf(cap_open(&c), &fx, v, 16, false, NULL),
			 0);
	cap_check(&c, "\\x48\\x65\\x6c\\x6c\\x6f\\x00|\n");
	assert_int_equal(bt_print_printf(cap_open(&c), &fh, v, 16, false, NULL),
			 0);
	cap_check(&c, "48 65 6c 6c 6f 00|\n");
	n = 7;
	memcpy(k, &n, 4);
	memcpy(k + 4, "ok_key", 7);
	put64(k, 16, 1);
	check_map(&m, &r, 1, false, 0, 0, "@[ok_key\\x00, 1]: 1\n");
	check_map(&m, &r, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@\": "
		  "{\"ok_key\\\\x00,1\": 1}}}\n");
}

/* bpftrace 0.17: -e 'BEGIN { @r[(uint8 *)7] = ((int8 *)3, 2);
 *   @ = (int16 *)0x32; exit() }' (text and -f json): a pointer is a
 * number in a value, 0x in a key */
static void test_pointers(void **state)
{
	struct bt_type pk = {.kind = BT_T_PTR, .size = 8, .isize = 1};
	struct bt_type pv = {
		.kind = BT_T_PTR, .size = 8, .isize = 2, .is_signed = true};
	struct bt_type el[2] = {
		{.kind = BT_T_PTR, .size = 8, .isize = 1, .is_signed = true},
		T_S64};
	struct bt_map mr = map("r", pk, tuple(2, el));
	struct bt_map ms = map("", NOKEY, pv);
	uint8_t k[8], v[16], z[8] = {0};
	struct bt_map_row r = {.key = k, .bytes = v};
	struct bt_map_row rs = {.key = z, .bytes = v};

	(void)state;
	put64(k, 0, 7);
	put64(v, 0, 3);
	put64(v, 8, 2);
	check_map(&mr, &r, 1, false, 0, 0, "@r[0x7]: (3, 2)\n");
	check_map(&mr, &r, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@r\": "
		  "{\"0x7\": [3,2]}}}\n");
	put64(v, 0, 0x32);
	check_map(&ms, &rs, 1, false, 0, 0, "@: 50\n");
	check_map(&ms, &rs, 1, true, 0, 0,
		  "{\"type\": \"map\", \"data\": {\"@\": 50}}\n");
}

/* print(@) of an empty map with no key: newer bpftrace's
 * tests/runtime/call print_empty_scalar_map ("@: 0") and
 * print_empty_scalar_stats_map (count 0, average 0, total 0, in 0.17's
 * words); a keyed map or a hist has no such row */
static void test_zero_row(void **state)
{
	struct bt_map mi = map("", NOKEY, T_S64);
	struct bt_map mst =
		map("", NOKEY,
		    (struct bt_type){
			    .kind = BT_T_STATS, .size = 16, .is_signed = true});
	struct bt_map mk = map("k", T_S64, T_S64);
	struct bt_map mh =
		map("h", NOKEY, (struct bt_type){.kind = BT_T_HIST, .size = 8});
	struct bt_map_row r;

	(void)state;
	assert_true(bt_map_zero_row(&mi, &r));
	check_map(&mi, &r, 1, false, 0, 0, "@: 0\n");
	assert_true(bt_map_zero_row(&mst, &r));
	check_map(&mst, &r, 1, false, 0, 0,
		  "@: count 0, average 0, total 0\n\n");
	assert_false(bt_map_zero_row(&mk, &r));
	assert_false(bt_map_zero_row(&mh, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tuple_key_and_hist),
		cmocka_unit_test(test_json_hist_and_tuple_key),
		cmocka_unit_test(test_sort_by_value),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_keyed_avg_stats),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_top_div),
		cmocka_unit_test(test_top_avg_str_narrow),
		cmocka_unit_test(test_div_hist_and_scalars),
		cmocka_unit_test(test_keyed_hist_top),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_hist_huge),
		cmocka_unit_test(test_lhist),
		cmocka_unit_test(test_lhist_labels),
		cmocka_unit_test(test_print_values),
		cmocka_unit_test(test_map_values),
		cmocka_unit_test(test_printf_directives),
		cmocka_unit_test(test_printf_widths),
		cmocka_unit_test(test_printf_json),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_json_keyed),
		cmocka_unit_test(test_time_json),
		cmocka_unit_test(test_ustack),
		cmocka_unit_test(test_probe_inet),
		cmocka_unit_test(test_sym_value_and_empty_kstack),
		cmocka_unit_test(test_map_order),
		cmocka_unit_test(test_buf_hex_and_key),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_zero_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
