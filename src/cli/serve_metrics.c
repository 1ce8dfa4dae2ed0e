/* SPDX-License-Identifier: MIT */
/*
 * sonde serve's metrics: each entry's kernel table (serve_table.c), read
 * at each scrape, written in Prometheus' text format 0.0.4, then sonde's
 * own health families.
 *
 * Series are bounded per metric (max-series): the label sets seen first
 * are admitted for good, later ones are summed into one series whose
 * labels are all "__overflow__", so the sum over a metric's series stays
 * the number of hits and each series only grows.
 */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "serve.h"

/* --- the exposition ------------------------------------------------------- */

/* NAME, with _UNIT unless it ends so */
static void family(struct serve_buf *b, const struct serve_entry *e)
{
	size_t n = strlen(e->name), u = strlen(e->unit);

	serve_buf_add(b, "%s", e->name);
	if (u && !(n > u + 1 && e->name[n - u - 1] == '_' &&
		   !strcmp(e->name + n - u, e->unit)))
		serve_buf_add(b, "_%s", e->unit);
}

static bool ends_total(const char *name)
{
	size_t n = strlen(name);

	return n >= 6 && !strcmp(name + n - 6, "_total");
}

/* A number of the histogram's scale: latencies in seconds from ns. */
static void value(struct serve_buf *b, const struct serve_entry *e, int64_t v)
{
	uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (e->kind != SERVE_LATENCY) {
		serve_buf_add(b, "%" PRId64, v);
		return;
	}
	/* exact: the decimal digits of the ns, not a double's rounding */
	serve_buf_add(b, "%s%" PRIu64 ".%09" PRIu64, v < 0 ? "-" : "",
		      m / 1000000000, m % 1000000000);
}

/* The row's labels as text ('l="v",...'), the key of the admitted tree */
static char *labels_text(const struct serve_entry *e,
			 const struct sonde_agg_key *key)
{
	struct serve_buf b = {0};
	char num[32];
	int i;

	serve_buf_put(&b, "", 0);
	for (i = 0; i < e->nlabels; i++) {
		const struct sonde_agg_key *k = &key[i];

		serve_buf_add(&b, "%s%s=\"", i ? "," : "", e->labels[i]);
		if (k->kind == SONDE_AGG_KEY_STRING)
			serve_buf_escaped(&b, k->str ? k->str : "", true);
		else {
			snprintf(num, sizeof(num),
				 k->kind == SONDE_AGG_KEY_SIGNED ? "%" PRId64 :
				 k->kind == SONDE_AGG_KEY_HEX	 ? "0x%" PRIx64 :
								   "%" PRIu64,
				 k->num);
			serve_buf_put(&b, num, strlen(num));
		}
		serve_buf_put(&b, "\"", 1);
	}
	if (b.failed) {
		serve_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static int cmp_labels(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool admitted(struct serve_entry *e, char *labels)
{
	struct serve_table *t = e->t;
	char *copy;

	if (tfind(labels, &t->admitted, cmp_labels))
		return true;
	if (t->nadmitted >= e->max_series || !(copy = strdup(labels)))
		return false;
	if (!tsearch(copy, &t->admitted, cmp_labels)) {
		free(copy);
		return false;
	}
	t->nadmitted++;
	return true;
}

static void overflow_labels(struct serve_buf *b, const struct serve_entry *e)
{
	int i;

	for (i = 0; i < e->nlabels; i++)
		serve_buf_add(b, "%s%s=\"__overflow__\"", i ? "," : "",
			      e->labels[i]);
}

static void hist_series(struct serve_buf *b, const struct serve_entry *e,
			const char *labels, const uint64_t *buckets,
			uint64_t count, int64_t sum)
{
	struct serve_table *t = e->t;
	int64_t lo, hi;
	uint64_t cum = 0;
	int i;

	for (i = 0; i <= t->top; i++) {
		cum += buckets[i];
		sonde_agg__bucket(t->g, i, &lo, &hi);
		if (hi == INT64_MAX)
			break;
		family(b, e);
		serve_buf_add(b, "_bucket{%s%sle=\"", labels, *labels ? "," : "");
		/* the values are integers: [lo, hi) holds those <= hi - 1 */
		value(b, e, hi - 1);
		serve_buf_add(b, "\"} %" PRIu64 "\n", cum);
	}
	family(b, e);
	serve_buf_add(b, "_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", labels,
		      *labels ? "," : "", count);
	family(b, e);
	serve_buf_add(b, "_sum%s%s%s ", *labels ? "{" : "", labels,
		      *labels ? "}" : "");
	value(b, e, sum);
	serve_buf_put(b, "\n", 1);
	family(b, e);
	serve_buf_add(b, "_count%s%s%s %" PRIu64 "\n", *labels ? "{" : "",
		      labels, *labels ? "}" : "", count);
}

static void counter_line(struct serve_buf *b, const struct serve_entry *e,
			 const char *labels, uint64_t n)
{
	family(b, e);
	serve_buf_add(b, "%s%s%s%s %" PRIu64 "\n",
		      ends_total(e->name) && !*e->unit ? "" : "_total",
		      *labels ? "{" : "", labels, *labels ? "}" : "", n);
}

static void header(struct serve_buf *b, const struct serve_entry *e)
{
	const char *suffix = e->kind != SERVE_COUNT ? "" :
			     ends_total(e->name) && !*e->unit ? "" : "_total";

	serve_buf_put(b, "# HELP ", 7);
	family(b, e);
	serve_buf_add(b, "%s ", suffix);
	serve_buf_escaped(b, *e->help ? e->help : e->name, false);
	serve_buf_put(b, "\n# TYPE ", 8);
	family(b, e);
	serve_buf_add(b, "%s %s\n", suffix,
		      e->kind == SERVE_COUNT ? "counter" : "histogram");
}

/* The kernel's table into t->g, the overflow series summed anew. */
static int entry_read(struct serve_entry *e)
{
	struct serve_table *t = e->t;
	const struct sonde_agg_row *const *rows;
	int i, j, n, nb = sonde_agg__nbuckets(t->g);
	char *labels;

	n = serve_table_read(e);
	if (n < 0)
		return n;
	sonde_agg__rows(t->g, true, &rows);
	t->over_count = t->over_keys = 0;
	t->over_sum = 0;
	if (t->over)
		memset(t->over, 0, nb * sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		for (j = t->top + 1; rows[i]->buckets && j < nb; j++)
			if (rows[i]->buckets[j])
				t->top = j;
		labels = labels_text(e, rows[i]->key);
		if (labels && admitted(e, labels)) {
			free(labels);
			continue;
		}
		free(labels);
		t->over_keys++;
		t->over_count += rows[i]->count;
		t->over_sum += rows[i]->sum;
		for (j = 0; t->over && rows[i]->buckets && j < nb; j++)
			t->over[j] += rows[i]->buckets[j];
	}
	return n;
}

/* The overflow series: the label sets past max-series, and for a count
 * the hits of those the kernel's full map could not hold (no value is
 * known for a histogram's: sonde_events_lost_total counts them). */
static void overflow_write(struct serve_buf *b, struct serve_entry *e)
{
	struct serve_table *t = e->t;
	struct serve_buf o = {0};
	uint64_t lost = sonde_agg__dropped(t->g);

	if (!t->over_keys && (e->kind != SERVE_COUNT || !lost))
		return;
	serve_buf_put(&o, "", 0);
	overflow_labels(&o, e);
	if (e->kind == SERVE_COUNT)
		counter_line(b, e, o.p ? o.p : "", t->over_count + lost);
	else
		hist_series(b, e, o.p ? o.p : "", t->over, t->over_count,
			    t->over_sum);
	serve_buf_free(&o);
}

static void entry_write(struct serve_buf *b, struct serve_entry *e)
{
	struct serve_table *t = e->t;
	const struct sonde_agg_row *const *rows;
	int i, n;
	char *labels;

	n = entry_read(e);
	if (n < 0)
		return;
	header(b, e);
	/* without labels, the one series is there from the start, at 0 */
	if (!n && !e->nlabels && e->kind == SERVE_COUNT)
		counter_line(b, e, "", 0);
	else if (!n && !e->nlabels)
		hist_series(b, e, "", t->over, 0, 0);
	sonde_agg__rows(t->g, true, &rows);
	for (i = 0; i < n; i++) {
		labels = labels_text(e, rows[i]->key);
		if (!labels || !tfind(labels, &t->admitted, cmp_labels)) {
			free(labels);
			continue;
		}
		if (e->kind == SERVE_COUNT)
			counter_line(b, e, labels, rows[i]->count);
		else
			hist_series(b, e, labels, rows[i]->buckets,
				    rows[i]->count, rows[i]->sum);
		free(labels);
	}
	overflow_write(b, e);
}

/* sonde's own families: one sample per running entry. */
enum health_what {
	H_PROBES,
	H_LOST,
	H_FAULTS,
	H_REOPENS,
	H_REOPEN_ERRORS,
	H_REOPEN_TIME,
	H_LIMIT,
	H_OVER,
	H_READ_ERRORS,
};

static const struct {
	const char *name, *type, *help;
} health_families[] = {
	[H_PROBES] = {"sonde_probes_attached", "gauge",
		      "Probes in place for the metric."},
	[H_LOST] = {"sonde_events_lost_total", "counter",
		    "Hits the kernel's full table could not hold."},
	[H_FAULTS] = {"sonde_fetch_faults_total", "counter",
		      "Hits left out: a label or value could not be read."},
	[H_REOPENS] = {"sonde_target_reopens_total", "counter",
		       "Times a probed file was replaced and the new one probed."},
	[H_REOPEN_ERRORS] = {"sonde_target_reopen_errors_total", "counter",
			     "Replaced files that could not be probed (the old "
			     "probes go on)."},
	[H_REOPEN_TIME] = {"sonde_target_reopen_timestamp_seconds", "gauge",
			   "When a probed file was last replaced and the new "
			   "one probed (Unix time, 0: never)."},
	[H_LIMIT] = {"sonde_series_limit", "gauge",
		     "Series a metric may have (max-series)."},
	[H_OVER] = {"sonde_series_overflow_keys", "gauge",
		    "Label sets past the limit, summed in the __overflow__ "
		    "series."},
	[H_READ_ERRORS] = {"sonde_table_read_errors_total", "counter",
			   "Scrapes that could not read the metric's kernel "
			   "table."},
};

static uint64_t health_value(const struct serve_entry *e, enum health_what w)
{
	const struct serve_table *t = e->t;
	uint64_t lost, faults = 0;
	int probes = t ? serve_table_stats(e, &lost, &faults)
		       : serve_stacks_stats(e, &lost);

	switch (w) {
	case H_PROBES:
		return (uint64_t)probes;
	case H_LOST:
		return lost;
	case H_FAULTS:
		return faults;
	case H_REOPENS:
		return t->reopens;
	case H_REOPEN_ERRORS:
		return t->reopen_errors;
	case H_REOPEN_TIME:
		return t->reopen_time;
	case H_LIMIT:
		return e->max_series;
	case H_OVER:
		return t->over_keys;
	case H_READ_ERRORS:
		return t->read_errors;
	}
	return 0;
}

static void health(struct serve_buf *b, struct serve_config *c)
{
	size_t w;
	int i;

	for (w = 0; w < sizeof(health_families) / sizeof(health_families[0]);
	     w++) {
		serve_buf_add(b, "# HELP %s %s\n# TYPE %s %s\n",
			      health_families[w].name, health_families[w].help,
			      health_families[w].name, health_families[w].type);
		for (i = 0; i < c->n; i++) {
			/* a stack entry: its probes and lost hits */
			if (!c->e[i].t && (!c->e[i].st ||
					   (w != H_PROBES && w != H_LOST)))
				continue;
			serve_buf_add(b, "%s{metric=\"", health_families[w].name);
			serve_buf_escaped(b, c->e[i].name, true);
			serve_buf_add(b, "\"} %" PRIu64 "\n",
				      health_value(&c->e[i], (enum health_what)w));
		}
	}
}

static void config_errors(struct serve_buf *b, struct serve_config *c)
{
	int i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->e[i].error != NULL;
	serve_buf_add(b, "# HELP sonde_config_errors Entries of the "
			 "configuration that do not run.\n"
			 "# TYPE sonde_config_errors gauge\n"
			 "sonde_config_errors %d\n"
			 "# HELP sonde_config_error_info Why an entry does not "
			 "run (or the file could not be read: metric \"\").\n"
			 "# TYPE sonde_config_error_info gauge\n",
		      n + (c->error != NULL));
	if (c->error) {
		serve_buf_add(b, "sonde_config_error_info{metric=\"\",error=\"");
		serve_buf_escaped(b, c->error, true);
		serve_buf_add(b, "\"} 1\n");
	}
	for (i = 0; i < c->n; i++) {
		if (!c->e[i].error)
			continue;
		serve_buf_add(b, "sonde_config_error_info{metric=\"");
		serve_buf_escaped(b, c->e[i].name, true);
		serve_buf_add(b, "\",error=\"");
		serve_buf_escaped(b, c->e[i].error, true);
		serve_buf_add(b, "\"} 1\n");
	}
}

void serve_metrics_write(struct serve_config *c, struct serve_buf *b)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].t)
			entry_write(b, &c->e[i]);
	health(b, c);
	config_errors(b, c);
}
