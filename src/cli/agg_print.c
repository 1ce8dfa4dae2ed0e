/* SPDX-License-Identifier: MIT */
/*
 * Tables of sonde count, hist, latency and stack: text (columns; histograms
 * with bars as bpftrace and BCC draw them), JSON (one object per table)
 * and CSV.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "line.h"

#define BAR_WIDTH 52

static const char *key_name(const struct agg_cli *a, int i)
{
	return i ? a->keys[i - 1].name : "probe";
}

/* Key k of a row; in JSON, called name in the row (for "not_utf8"). */
static void put_key(FILE *out, const struct sonde_agg_key *k, enum out_format f,
		    struct not_utf8 *nu, const char *name)
{
	switch (k->kind) {
	case SONDE_AGG_KEY_STRING:
		if (f == OUT_JSON)
			put_json_str(out, k->str, nu, "/", name);
		else if (f == OUT_CSV)
			put_csv(out, k->str);
		else
			fputs(cli_safe(k->str), out);
		break;
	case SONDE_AGG_KEY_SIGNED:
		fprintf(out, "%" PRId64, (int64_t)k->num);
		break;
	case SONDE_AGG_KEY_HEX:
		fprintf(out, f == OUT_JSON ? "%" PRIu64 : "0x%" PRIx64, k->num);
		break;
	default:
		fprintf(out, "%" PRIu64, k->num);
	}
}

static int key_width(const struct sonde_agg_key *k)
{
	char buf[32];

	if (k->kind == SONDE_AGG_KEY_STRING)
		return strlen(cli_safe(k->str));
	return snprintf(buf, sizeof(buf),
			k->kind == SONDE_AGG_KEY_HEX ? "0x%" PRIx64 :
			k->kind == SONDE_AGG_KEY_SIGNED ? "%" PRId64 :
							  "%" PRIu64,
			k->num);
}

static void json_keys(FILE *out, const struct agg_cli *a,
		      const struct sonde_agg_row *r, struct not_utf8 *nu)
{
	int i;

	for (i = 0; i <= a->nkeys; i++) {
		fputs(i ? "," : "", out);
		put_json_str(out, key_name(a, i), NULL, "", NULL);
		fputc(':', out);
		put_key(out, &r->key[i], OUT_JSON, nu, key_name(a, i));
	}
}

/* {"schema":"sonde/1","type":TYPE[,"unit":"ns"][,"interval":TITLE] */
static void json_head(FILE *out, const char *type, bool ns, const char *title)
{
	fprintf(out, "{\"schema\":\"%s\",\"type\":\"%s\"", CLI_SCHEMA, type);
	if (ns)
		fputs(",\"unit\":\"ns\"", out);
	if (title)
		fprintf(out, ",\"interval\":\"%s\"", title);
}

/* CSV: is the header to be written (once; with -i, an interval column
 * first)? */
static bool csv_begin(struct agg_cli *a)
{
	if (!a->csv_header) {
		a->csv_header = true;
		if (a->interval)
			fputs("interval,", a->out);
		return true;
	}
	return false;
}

static void csv_key_names(struct agg_cli *a)
{
	int k;

	for (k = 0; k <= a->nkeys; k++) {
		put_csv(a->out, key_name(a, k));
		fputc(',', a->out);
	}
}

static void csv_keys(struct agg_cli *a, const struct sonde_agg_row *r)
{
	int k;

	for (k = 0; k <= a->nkeys; k++) {
		put_key(a->out, &r->key[k], OUT_CSV, NULL, NULL);
		fputc(',', a->out);
	}
}

/* a row's interval cell, with -i */
static void csv_interval(struct agg_cli *a, const char *title)
{
	if (a->interval)
		fprintf(a->out, "%s,", title ? title : "total");
}

/* Colours of the text tables (--color). */
static void on(const struct agg_cli *a, const char *c)
{
	if (a->color)
		fputs(c, a->out);
}

static void off(const struct agg_cli *a)
{
	if (a->color)
		fputs(CLI_RESET, a->out);
}

/* The events left out of this table (agg.h): the whole run's for the
 * final or "total" table, else the interval's, counted afresh after;
 * *d the hits the table had no room for (new keys past --max-keys). */
static void left_out(struct agg_cli *a, struct sonde_agg *g,
		     const char *title, uint64_t *f, uint64_t *u, uint64_t *d)
{
	bool run = !title || !strcmp(title, "total");

	*f = run ? a->faults : a->table_faults;
	*u = run ? a->unchecked : a->table_unchecked;
	a->table_faults = a->table_unchecked = 0;
	*d = sonde_agg__dropped(g);
	if (run) {
		a->dropped_run = *d;
		a->run_table = true;
	} else {
		a->dropped_intervals += *d;
	}
}

static void json_left_out(FILE *out, uint64_t f, uint64_t u, uint64_t d,
			  const struct agg_cli *a)
{
	if (f)
		fprintf(out, ",\"faults\":%" PRIu64, f);
	if (u)
		fprintf(out, ",\"unchecked\":%" PRIu64, u);
	if (d)
		fprintf(out, ",\"dropped\":%" PRIu64 ",\"max_keys\":%zu", d,
			a->max_keys);
}

void print_counts(struct agg_cli *a, struct sonde_agg *g, const char *title)
{
	const struct sonde_agg_row *const *rows;
	int n = sonde_agg__rows(g, false, &rows), i, k, w[SONDE_AGG_MAX_KEYS];
	uint64_t total = 0, f, u, d;
	FILE *out = a->out;

	if (n < 0)
		return;
	left_out(a, g, title, &f, &u, &d);
	for (i = 0; i < n; i++)
		total += rows[i]->count;
	if (a->top && n > a->top)
		n = a->top;
	if (a->o.format == OUT_JSON) {
		struct not_utf8 nu = {0};

		json_head(out, "count", false, title);
		fputs(",\"rows\":[", out);
		for (i = 0; i < n; i++) {
			fputs(i ? ",{" : "{", out);
			json_keys(out, a, rows[i], &nu);
			fprintf(out, ",\"count\":%" PRIu64, rows[i]->count);
			put_not_utf8(out, &nu);
			fputc('}', out);
		}
		fprintf(out, "],\"total\":%" PRIu64, total);
		json_left_out(out, f, u, d, a);
		fputs("}\n", out);
		return;
	}
	if (a->o.format == OUT_CSV) {
		if (csv_begin(a)) {
			csv_key_names(a);
			fputs("count\n", out);
		}
		for (i = 0; i < n; i++) {
			csv_interval(a, title);
			csv_keys(a, rows[i]);
			fprintf(out, "%" PRIu64 "\n", rows[i]->count);
		}
		return;
	}
	for (k = 0; k <= a->nkeys; k++) {
		w[k] = strlen(key_name(a, k));
		for (i = 0; i < n; i++)
			if (key_width(&rows[i]->key[k]) > w[k])
				w[k] = key_width(&rows[i]->key[k]);
	}
	if (title)
		fprintf(out, "-- %s --\n", title);
	for (k = 0; k <= a->nkeys; k++)
		fprintf(out, "%-*s  ", w[k], key_name(a, k));
	fprintf(out, "%12s\n", "count");
	for (i = 0; i < n; i++) {
		for (k = 0; k <= a->nkeys; k++) {
			int len = key_width(&rows[i]->key[k]);

			if (!k)
				on(a, CLI_PROBE);
			put_key(out, &rows[i]->key[k], OUT_TEXT, NULL, NULL);
			if (!k)
				off(a);
			fprintf(out, "%*s", w[k] - len + 2, "");
		}
		on(a, CLI_NUMBER);
		fprintf(out, "%12" PRIu64, rows[i]->count);
		off(a);
		fputc('\n', out);
	}
	for (i = 0, k = 0; k <= a->nkeys; k++)
		i += w[k] + 2;
	fprintf(out, "%-*s%12" PRIu64 "\n", i, "total", total);
	if (f)
		fprintf(out, "%-*s%12" PRIu64 "\n", i, "faults (left out)", f);
	if (u)
		fprintf(out, "%-*s%12" PRIu64 "\n", i, "unchecked (left out)",
			u);
	if (d)
		fprintf(out, "%-*s%12" PRIu64 "\n", i,
			"dropped (--max-keys)", d);
}

const char *fmt_ns(char *buf, size_t len, int64_t ns)
{
	static const char *const units[] = { "us", "ms", "s" };
	double v = ns;
	int u = -1;

	if (ns < 1000) {
		snprintf(buf, len, "%" PRId64 "ns", ns);
		return buf;
	}
	while (v >= 1000 && u < 2) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
	return buf;
}

/* bpftrace's labels: 1K, 64K, 1M for powers of 1024. */
static const char *fmt_num(char *buf, size_t len, int64_t v, bool suffix)
{
	static const char sfx[] = "KMGTPE";
	int i = -1;

	while (suffix && v && !(v % 1024) && i < 5) {
		v /= 1024;
		i++;
	}
	if (i >= 0)
		snprintf(buf, len, "%" PRId64 "%c", v, sfx[i]);
	else
		snprintf(buf, len, "%" PRId64, v);
	return buf;
}

static const char *label(char *buf, size_t len, int64_t lo, int64_t hi,
			 enum agg_unit unit, bool log2)
{
	char l[32], h[32];

	if (unit == UNIT_NS) {
		fmt_ns(l, sizeof(l), lo < 0 ? 0 : lo);
		fmt_ns(h, sizeof(h), hi);
	} else {
		fmt_num(l, sizeof(l), lo, log2);
		fmt_num(h, sizeof(h), hi, log2);
	}
	if (lo == INT64_MIN)
		snprintf(buf, len, "(..., %s)", h);
	else if (hi == INT64_MAX)
		snprintf(buf, len, "[%s, ...)", l);
	else if (log2 && hi == lo + 1 && unit != UNIT_NS)
		snprintf(buf, len, "[%s]", l);
	else
		snprintf(buf, len, "[%s, %s)", l, h);
	return buf;
}

static void text_hist(struct agg_cli *a, struct sonde_agg *g,
		      const struct sonde_agg_row *r, enum agg_unit unit)
{
	int nb = sonde_agg__nbuckets(g), first = nb, last = -1, i, k;
	bool log2 = !a->linear;
	uint64_t max = 0;
	int64_t lo, hi;
	char lb[64], v[4][32];
	FILE *out = a->out;

	for (i = 0; i < nb; i++) {
		if (!r->buckets[i])
			continue;
		if (first == nb)
			first = i;
		last = i;
		if (r->buckets[i] > max)
			max = r->buckets[i];
	}
	fputs("@[", out);
	for (k = 0; k <= a->nkeys; k++) {
		fputs(k ? ", " : "", out);
		if (!k)
			on(a, CLI_PROBE);
		put_key(out, &r->key[k], OUT_TEXT, NULL, NULL);
		if (!k)
			off(a);
	}
	fputs("]:\n", out);
	for (i = first; i <= last; i++) {
		int bar = (int)(r->buckets[i] * BAR_WIDTH / max);

		sonde_agg__bucket(g, i, &lo, &hi);
		fprintf(out, "%-20s ",
			label(lb, sizeof(lb), lo, hi, unit, log2));
		on(a, CLI_NUMBER);
		fprintf(out, "%8" PRIu64, r->buckets[i]);
		off(a);
		fputs(" |", out);
		if (bar)
			on(a, CLI_BAR);
		fprintf(out, "%.*s", bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
		if (bar)
			off(a);
		fprintf(out, "%*s|\n", BAR_WIDTH - bar, "");
	}
	if (unit == UNIT_NS) {
		fprintf(out,
			"count %" PRIu64 ", avg %s, min %s, max %s, p50 %s, p90 %s, p99 %s\n",
			r->count,
			fmt_ns(v[0], 32, r->count ? r->sum / (int64_t)r->count : 0),
			fmt_ns(v[1], 32, r->min), fmt_ns(v[2], 32, r->max),
			fmt_ns(v[3], 32, sonde_agg__percentile(g, r, 50)),
			fmt_ns(lb, 32, sonde_agg__percentile(g, r, 90)),
			fmt_ns(lb + 32, 32, sonde_agg__percentile(g, r, 99)));
	} else {
		fprintf(out,
			"count %" PRIu64 ", sum %" PRId64 ", avg %" PRId64
			", min %" PRId64 ", max %" PRId64 "\n",
			r->count, r->sum,
			r->count ? r->sum / (int64_t)r->count : 0, r->min,
			r->max);
	}
	fputc('\n', out);
}

static void json_bound(FILE *out, const char *name, int64_t v, bool open)
{
	if (open)
		fprintf(out, "\"%s\":null", name);
	else
		fprintf(out, "\"%s\":%" PRId64, name, v);
}

static void json_hist(struct agg_cli *a, struct sonde_agg *g,
		      const struct sonde_agg_row *r, enum agg_unit unit)
{
	int nb = sonde_agg__nbuckets(g), i, n = 0;
	int64_t lo, hi;
	FILE *out = a->out;
	struct not_utf8 nu = {0};

	fputc('{', out);
	json_keys(out, a, r, &nu);
	fprintf(out,
		",\"count\":%" PRIu64 ",\"sum\":%" PRId64 ",\"min\":%" PRId64
		",\"max\":%" PRId64,
		r->count, r->sum, r->min, r->max);
	if (unit == UNIT_NS)
		fprintf(out,
			",\"avg\":%" PRId64 ",\"p50\":%" PRId64
			",\"p90\":%" PRId64 ",\"p99\":%" PRId64,
			r->count ? r->sum / (int64_t)r->count : 0,
			sonde_agg__percentile(g, r, 50),
			sonde_agg__percentile(g, r, 90),
			sonde_agg__percentile(g, r, 99));
	fputs(",\"buckets\":[", out);
	for (i = 0; i < nb; i++) {
		if (!r->buckets[i])
			continue;
		sonde_agg__bucket(g, i, &lo, &hi);
		fputs(n++ ? ",{" : "{", out);
		json_bound(out, "lower", lo, lo == INT64_MIN);
		fputc(',', out);
		json_bound(out, "upper", hi, hi == INT64_MAX);
		fprintf(out, ",\"count\":%" PRIu64 "}", r->buckets[i]);
	}
	fputc(']', out);
	put_not_utf8(out, &nu);
	fputc('}', out);
}

static void csv_hist(struct agg_cli *a, struct sonde_agg *g,
		     const struct sonde_agg_row *r, const char *title)
{
	int nb = sonde_agg__nbuckets(g), i;
	int64_t lo, hi;

	for (i = 0; i < nb; i++) {
		if (!r->buckets[i])
			continue;
		sonde_agg__bucket(g, i, &lo, &hi);
		csv_interval(a, title);
		csv_keys(a, r);
		if (lo != INT64_MIN)
			fprintf(a->out, "%" PRId64, lo);
		fputc(',', a->out);
		if (hi != INT64_MAX)
			fprintf(a->out, "%" PRId64, hi);
		fprintf(a->out, ",%" PRIu64 "\n", r->buckets[i]);
	}
}

void print_hists(struct agg_cli *a, struct sonde_agg *g, enum agg_unit unit,
		 const char *title, void (*tail)(struct agg_cli *a, void *ctx),
		 void *ctx)
{
	const struct sonde_agg_row *const *rows;
	int n = sonde_agg__rows(g, a->nkeys == 0, &rows), i;
	FILE *out = a->out;
	uint64_t f, u, d;

	if (n < 0)
		return;
	left_out(a, g, title, &f, &u, &d);
	if (a->top && n > a->top)
		n = a->top;
	if (a->o.format == OUT_JSON) {
		json_head(out, a->cmd, unit == UNIT_NS, title);
		fputs(",\"hists\":[", out);
		for (i = 0; i < n; i++) {
			fputs(i ? "," : "", out);
			json_hist(a, g, rows[i], unit);
		}
		fputc(']', out);
		json_left_out(out, f, u, d, a);
		if (tail)
			tail(a, ctx);
		fputs("}\n", out);
		return;
	}
	if (a->o.format == OUT_CSV) {
		if (csv_begin(a)) {
			csv_key_names(a);
			fputs(unit == UNIT_NS ? "lower_ns,upper_ns,count\n"
					      : "lower,upper,count\n",
			      out);
		}
		for (i = 0; i < n; i++)
			csv_hist(a, g, rows[i], title);
		if (tail)
			tail(a, ctx);
		return;
	}
	if (title)
		fprintf(out, "-- %s --\n", title);
	for (i = 0; i < n; i++)
		text_hist(a, g, rows[i], unit);
	if (f || u)
		fprintf(out,
			"%" PRIu64 " faults, %" PRIu64
			" unchecked (left out of the histogram)\n\n",
			f, u);
	if (d)
		fprintf(out,
			"%" PRIu64 " hits dropped: the table was full "
			"(--max-keys %zu)\n\n",
			d, a->max_keys);
	if (tail)
		tail(a, ctx);
}

/* key[1] holds the frames root first, ';' between them (folded). */
void print_stacks(struct agg_cli *a, struct sonde_agg *g)
{
	const struct sonde_agg_row *const *rows;
	int n = sonde_agg__rows(g, false, &rows), i;
	const char *st, *end;
	struct not_utf8 nu = {0};
	FILE *out = a->out;
	char idx[16];
	int nf;

	if (n < 0)
		return;
	if (a->top && n > a->top)
		n = a->top;
	/* --folded: flamegraph.pl's lines, whatever -f says */
	if (!a->folded && a->o.format == OUT_JSON) {
		json_head(out, "stack", false, NULL);
		fputs(",\"stacks\":[", out);
	} else if (!a->folded && a->o.format == OUT_CSV) {
		fputs("probe,stack,count\n", out);
	}
	for (i = 0; i < n; i++) {
		st = rows[i]->key[1].str;
		nf = 0;
		if (a->folded) {
			fprintf(out, "%s %" PRIu64 "\n", cli_safe(st),
				rows[i]->count);
		} else if (a->o.format == OUT_CSV) {
			put_csv(out, rows[i]->key[0].str);
			fputc(',', out);
			put_csv(out, st);
			fprintf(out, ",%" PRIu64 "\n", rows[i]->count);
		} else if (a->o.format == OUT_JSON) {
			fputs(i ? ",{\"probe\":" : "{\"probe\":", out);
			put_json_str(out, rows[i]->key[0].str, &nu, "/probe",
				     NULL);
			fputs(",\"frames\":[", out);
		} else {
			fputs("@[", out);
			on(a, CLI_PROBE);
			fputs(cli_safe(rows[i]->key[0].str), out);
			off(a);
			fputs("]: ", out);
			on(a, CLI_NUMBER);
			fprintf(out, "%" PRIu64, rows[i]->count);
			off(a);
			fputc('\n', out);
		}
		if (a->folded || a->o.format == OUT_CSV)
			continue;
		/* innermost first, as ftrace and bpftrace print stacks */
		for (end = st + strlen(st); end > st;) {
			const char *b = end;
			char frame[512];

			while (b > st && b[-1] != ';')
				b--;
			snprintf(frame, sizeof(frame), "%.*s", (int)(end - b),
				 b);
			if (a->o.format == OUT_JSON) {
				fputs(end == st + strlen(st) ? "" : ",", out);
				snprintf(idx, sizeof(idx), "%d", nf++);
				put_json_str(out, frame, &nu, "/frames/", idx);
			} else {
				fprintf(out, "    %s\n", cli_safe(frame));
			}
			end = b > st ? b - 1 : st;
		}
		if (a->o.format == OUT_JSON) {
			fprintf(out, "],\"count\":%" PRIu64, rows[i]->count);
			put_not_utf8(out, &nu);
			fputc('}', out);
		} else {
			fputc('\n', out);
		}
	}
	if (a->o.format == OUT_JSON && !a->folded)
		fputs("]}\n", out);
}
