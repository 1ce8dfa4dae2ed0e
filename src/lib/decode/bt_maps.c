// SPDX-License-Identifier: MIT
/*
 * bpftrace's maps as text and JSON in sonde run (at exit and by print()):
 * rows already summed over the CPUs (struct bt_map_row) into the lines
 * bpftrace 0.17 prints, checked against its output on the same values:
 * - order: by value ascending for int, count, sum, min, max; by average
 *   for avg and stats; by total count for hist and lhist; other maps by
 *   key (integer key parts compared as unsigned 64-bit numbers, strings
 *   byte-wise, the first part first). bpftrace leaves rows of equal value
 *   in hash order; sonde puts them in key order (docs/decisions.md);
 * - print(@m, top, div): the last `top` rows of that order, values (hist
 *   counts) divided by div; stats maps ignore both, as 0.17 does;
 * - hist and lhist: the buckets from the first to the last non-empty one,
 *   a label, the count, and a bar of up to 52 '@' scaled (in float, as
 *   bpftrace) on the largest count before the division;
 * - blank lines: an empty map prints one; avg and stats maps and each
 *   hist end with one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bt_out.h"

#define BAR_WIDTH 52

struct ent {
	struct bt_map_row *row;
	int pos;
};

struct sort_ctx {
	const struct bt_map *m;
};

static uint64_t rd64(const uint8_t *v)
{
	uint64_t x;

	memcpy(&x, v, sizeof(x));
	return x;
}

static bool is_hist(const struct bt_map *m)
{
	return m->value.kind == BT_T_HIST || m->value.kind == BT_T_LHIST;
}

static bool is_scalar(enum bt_tkind k)
{
	return k == BT_T_INT || k == BT_T_COUNT || k == BT_T_SUM ||
	       k == BT_T_MIN || k == BT_T_MAX;
}

/* A scalar row's value with the map's declared width and sign. */
static int64_t scalar(const struct bt_map *m, const struct bt_map_row *r)
{
	uint8_t b[8];

	memcpy(b, &r->value, sizeof(b));
	return bt_int_value(&m->value, b);
}

static int64_t average(const struct bt_map *m, const struct bt_map_row *r)
{
	if (!r->count)
		return 0;
	if (m->value.is_signed)
		return r->total / r->count;
	return (int64_t)((uint64_t)r->total / (uint64_t)r->count);
}

static uint64_t hist_total(const struct bt_map_row *r)
{
	uint64_t sum = 0;

	for (int i = 0; i < r->nbuckets; i++)
		sum += r->buckets[i];
	return sum;
}

static int cmp_key_part(const struct bt_type *t, const uint8_t *a,
			const uint8_t *b)
{
	if (t->kind == BT_T_INT) {
		uint64_t x = rd64(a), y = rd64(b);

		return x < y ? -1 : x > y;
	}
	if (t->kind == BT_T_STR)
		return strncmp((const char *)a, (const char *)b, t->strsize);
	return 0; /* bpftrace leaves other key types unsorted */
}

static int cmp_keys(const struct bt_type *k, const uint8_t *a, const uint8_t *b)
{
	int c;

	if (k->kind == BT_T_NONE || !a || !b)
		return 0;
	if (k->kind != BT_T_TUPLE)
		return cmp_key_part(k, a, b);
	for (int i = 0; i < k->ntup; i++) {
		uint32_t off = bt_tuple_offset(k, i);

		c = cmp_key_part(&k->tup[i], a + off, b + off);
		if (c)
			return c;
	}
	return 0;
}

static int cmp_values(const struct bt_map *m, const struct bt_map_row *a,
		      const struct bt_map_row *b)
{
	enum bt_tkind k = m->value.kind;
	int64_t x, y;

	if (is_scalar(k)) {
		x = scalar(m, a);
		y = scalar(m, b);
	} else if (k == BT_T_AVG || k == BT_T_STATS) {
		x = average(m, a);
		y = average(m, b);
	} else if (is_hist(m)) {
		uint64_t p = hist_total(a), q = hist_total(b);

		return p < q ? -1 : p > q;
	} else {
		return 0;
	}
	if (m->value.is_signed || k == BT_T_AVG || k == BT_T_STATS)
		return x < y ? -1 : x > y;
	return (uint64_t)x < (uint64_t)y ? -1 : (uint64_t)x > (uint64_t)y;
}

static int cmp_ent(const void *pa, const void *pb, void *arg)
{
	const struct ent *a = pa, *b = pb;
	const struct sort_ctx *ctx = arg;
	int c = cmp_values(ctx->m, a->row, b->row);

	if (!c)
		c = cmp_keys(&ctx->m->key, a->row->key, b->row->key);
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* "[k]" or "[a, b]" (text), "k" or "a,b" (a JSON key, escaped) */
static void key_text(FILE *out, const struct bt_map *m, const uint8_t *key,
		     bool json, const struct bt_symbolizer *sym)
{
	const struct bt_type *k = &m->key;
	/* several keys print side by side; a record key is one value */
	bool flat = k->kind == BT_T_TUPLE && !k->names;
	int n = flat ? k->ntup : 1;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (k->kind == BT_T_NONE || !key)
		return;
	mem = open_memstream(&text, &len);
	if (!mem)
		return;
	for (int i = 0; i < n; i++) {
		const struct bt_type *t = flat ? &k->tup[i] : k;
		uint32_t off = flat ? bt_tuple_offset(k, i) : 0;

		if (i)
			fputs(json ? "," : ", ", mem);
		if (t->kind == BT_T_PTR) { /* 0.17: hex in a key only */
			uint64_t a;

			memcpy(&a, key + off, sizeof(a));
			fprintf(mem, "0x%" PRIx64, a);
		} else {
			bt_format_value_ind(mem, t, key + off, sym, 4);
		}
	}
	fclose(mem);
	if (json) {
		bt_json_escape(out, text, len);
	} else {
		fputc('[', out);
		fwrite(text, 1, len, out);
		fputc(']', out);
	}
	free(text);
}

static int64_t divide(const struct bt_map *m, int64_t v, int div)
{
	if (div <= 1)
		return v;
	if (m->value.is_signed || m->value.kind == BT_T_AVG)
		return v / div;
	return (int64_t)((uint64_t)v / (uint64_t)div);
}

static void value_text(FILE *out, const struct bt_map *m,
		       const struct bt_map_row *r, bool json, int div,
		       const struct bt_symbolizer *sym)
{
	enum bt_tkind k = m->value.kind;
	int64_t v;

	if (k == BT_T_STATS) {
		fprintf(out,
			json ? "{\"count\": %" PRId64 ", \"average\": %" PRId64
			       ", \"total\": %" PRId64 "}"
			     : "count %" PRId64 ", average %" PRId64
			       ", total %" PRId64,
			r->count, average(m, r), r->total);
		return;
	}
	if (!is_scalar(k) && k != BT_T_AVG) {
		if (!r->bytes)
			fputs(json ? "null" : "", out);
		else if (json)
			bt_format_value_json(out, &m->value, r->bytes, sym);
		else
			bt_format_value_ind(out, &m->value, r->bytes, sym, 8);
		return;
	}
	v = divide(m, k == BT_T_AVG ? average(m, r) : scalar(m, r), div);
	if (m->value.is_signed || k == BT_T_AVG)
		fprintf(out, "%" PRId64, v);
	else
		fprintf(out, "%" PRIu64, (uint64_t)v);
}

/* bpftrace's hist labels: 2^p as 1, 2, ... 512, 1K, ... 1M, ... */
static void pow2_label(char *buf, size_t len, int p)
{
	static const char *const suffix[] = {"", "K", "M", "G", "T", "P", "E"};

	snprintf(buf, len, "%d%s", 1 << (p % 10), suffix[p / 10]);
}

/* lhist's: n, or n/1M "M", n/1K "K" when it divides */
static void lin_label(char *buf, size_t len, int64_t n)
{
	if (n && n % (1 << 20) == 0)
		snprintf(buf, len, "%" PRId64 "M", n / (1 << 20));
	else if (n && n % 1024 == 0)
		snprintf(buf, len, "%" PRId64 "K", n / 1024);
	else
		snprintf(buf, len, "%" PRId64, n);
}

static int64_t lhist_inner(const struct bt_type *t)
{
	return t->lstep > 0 ? (t->lmax - t->lmin) / t->lstep : 0;
}

static void bucket_label(char *buf, size_t len, const struct bt_type *t, int i)
{
	char lo[32], hi[32];
	int64_t inner = lhist_inner(t);

	if (t->kind == BT_T_HIST) {
		if (i == 0)
			snprintf(buf, len, "(..., 0)");
		else if (i <= 2)
			snprintf(buf, len, "[%d]", i - 1);
		else {
			pow2_label(lo, sizeof(lo), i - 2);
			pow2_label(hi, sizeof(hi), i - 1);
			snprintf(buf, len, "[%s, %s)", lo, hi);
		}
		return;
	}
	if (i == 0) {
		lin_label(lo, sizeof(lo), t->lmin);
		snprintf(buf, len, "(..., %s)", lo);
	} else if (i > inner) {
		lin_label(lo, sizeof(lo), t->lmax);
		snprintf(buf, len, "[%s, ...)", lo);
	} else {
		lin_label(lo, sizeof(lo), t->lmin + (i - 1) * t->lstep);
		lin_label(hi, sizeof(hi), t->lmin + i * t->lstep);
		snprintf(buf, len, "[%s, %s)", lo, hi);
	}
}

static void bucket_json(FILE *out, const struct bt_type *t, int i,
			uint64_t count)
{
	int64_t inner = lhist_inner(t);

	if (t->kind == BT_T_HIST) {
		if (i == 0)
			fprintf(out, "{\"max\": -1, ");
		else if (i == 1)
			fprintf(out, "{\"min\": 0, \"max\": 0, ");
		else
			fprintf(out,
				"{\"min\": %" PRIu64 ", \"max\": %" PRIu64 ", ",
				UINT64_C(1) << (i - 2),
				i - 1 >= 64 ? UINT64_MAX
					    : (UINT64_C(1) << (i - 1)) - 1);
	} else if (i == 0) {
		fprintf(out, "{\"max\": %" PRId64 ", ", t->lmin - 1);
	} else if (i > inner) {
		fprintf(out, "{\"min\": %" PRId64 ", ", t->lmax);
	} else {
		int64_t lo = t->lmin + (i - 1) * t->lstep;

		fprintf(out, "{\"min\": %" PRId64 ", \"max\": %" PRId64 ", ",
			lo, lo + t->lstep - 1);
	}
	fprintf(out, "\"count\": %" PRIu64 "}", count);
}

static void hist_rows(FILE *out, const struct bt_map *m,
		      const struct bt_map_row *r, bool json, int div)
{
	int lo = -1, hi = -1;
	uint64_t top = 0;
	char label[80];

	for (int i = 0; i < r->nbuckets; i++) {
		if (r->buckets[i]) {
			lo = lo < 0 ? i : lo;
			hi = i;
		}
		if (r->buckets[i] > top)
			top = r->buckets[i];
	}
	if (json)
		fputc('[', out);
	for (int i = lo; lo >= 0 && i <= hi; i++) {
		uint64_t c = r->buckets[i] / (div > 1 ? (uint64_t)div : 1);
		int bar = (int)((float)r->buckets[i] / (float)top * BAR_WIDTH);

		if (json) {
			if (i > lo)
				fputs(", ", out);
			bucket_json(out, &m->value, i, c);
			continue;
		}
		bucket_label(label, sizeof(label), &m->value, i);
		fprintf(out, "%-16s%8" PRIu64 " |", label, c);
		for (int b = 0; b < BAR_WIDTH; b++)
			fputc(b < bar ? '@' : ' ', out);
		fputs("|\n", out);
	}
	if (json)
		fputc(']', out);
}

static const char *json_type(const struct bt_map *m)
{
	if (is_hist(m))
		return "hist";
	if (m->value.kind == BT_T_AVG || m->value.kind == BT_T_STATS)
		return "stats";
	return "map";
}

static void print_json(FILE *out, const struct bt_map *m, const struct ent *e,
		       int n, int div, const struct bt_symbolizer *sym)
{
	bool keyed = m->key.kind != BT_T_NONE;

	if (!n)
		return; /* 0.17 prints nothing for an empty map in JSON */
	fprintf(out, "{\"type\": \"%s\", \"data\": {\"@", json_type(m));
	bt_json_escape(out, m->name, strlen(m->name));
	fputs("\": ", out);
	if (keyed)
		fputc('{', out);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		if (keyed) {
			fputc('"', out);
			key_text(out, m, e[i].row->key, true, sym);
			fputs("\": ", out);
		}
		if (is_hist(m))
			hist_rows(out, m, e[i].row, true, div);
		else
			value_text(out, m, e[i].row, true, div, sym);
		if (!keyed)
			break;
	}
	fputs(keyed ? "}}}\n" : "}}\n", out);
}

static void print_text(FILE *out, const struct bt_map *m, const struct ent *e,
		       int n, int div, const struct bt_symbolizer *sym)
{
	enum bt_tkind k = m->value.kind;

	if (!n)
		fputc('\n', out);
	for (int i = 0; i < n; i++) {
		fprintf(out, "@%s", m->name);
		key_text(out, m, e[i].row->key, false, sym);
		fputs(": ", out);
		if (is_hist(m)) {
			fputc('\n', out);
			hist_rows(out, m, e[i].row, false, div);
			fputc('\n', out);
			continue;
		}
		value_text(out, m, e[i].row, false, div, sym);
		fputc('\n', out);
	}
	if (k == BT_T_AVG || k == BT_T_STATS)
		fputc('\n', out);
}

void bt_print_map(FILE *out, const struct bt_map *m, struct bt_map_row *rows,
		  int nrows, bool json, int top, int div,
		  const struct bt_symbolizer *sym)
{
	struct sort_ctx ctx = {.m = m};
	struct ent *e = calloc(nrows ? nrows : 1, sizeof(*e));
	int first = 0;

	if (!e) {
		fputs("[out of memory printing a map]\n", out);
		return;
	}
	for (int i = 0; i < nrows; i++)
		e[i] = (struct ent){.row = &rows[i], .pos = i};
	qsort_r(e, nrows, sizeof(*e), cmp_ent, &ctx);
	if (m->value.kind == BT_T_STATS)
		top = div = 0; /* ignored by 0.17, with a warning */
	if (top > 0 && top < nrows)
		first = nrows - top;
	if (json)
		print_json(out, m, e + first, nrows - first, div, sym);
	else
		print_text(out, m, e + first, nrows - first, div, sym);
	free(e);
}

bool bt_map_zero_row(const struct bt_map *m, struct bt_map_row *row)
{
	static const uint8_t zero[16];
	enum bt_tkind k = m->value.kind;

	if (m->key.kind != BT_T_NONE ||
	    (k != BT_T_INT && k != BT_T_COUNT && k != BT_T_SUM &&
	     k != BT_T_AVG && k != BT_T_STATS))
		return false;
	memset(row, 0, sizeof(*row));
	row->key = zero;
	row->bytes = zero;
	return true;
}

static int cmp_names(const void *a, const void *b, void *arg)
{
	const struct bt_program *p = arg;

	return strcmp(p->maps[*(const int *)a].name,
		      p->maps[*(const int *)b].name);
}

void bt_map_order(const struct bt_program *p, int *order)
{
	for (int i = 0; i < p->nmaps; i++)
		order[i] = i;
	qsort_r(order, p->nmaps, sizeof(*order), cmp_names, (void *)p);
}
