/* SPDX-License-Identifier: MIT */
/*
 * sonde count: hits per probe, or per key. Where the work can stay in the
 * kernel it does: keyless counts are PMU counters (nothing is recorded),
 * keyed counts a hist trigger where the kernel has them; otherwise the
 * events are counted here from the binary stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "options.h"
#include "agg_kernel.h"

struct count_ctx {
	struct sonde_agg *g;	 /* this interval's, or the whole run's */
	struct sonde_agg *total; /* the whole run's, with -i */
	struct sonde_counter **counters;
	uint64_t *last;		 /* counter values at the last table */
	char *hist;		 /* the hist trigger, when the kernel counts */
	const char *own_hist;	 /* --hist, when given: no other trigger */
	struct sonde_agg *kernel;
	struct sonde_bpf_agg *bpf; /* the table is the kernel's (BPF) */
	int probe;		 /* hist file being parsed */
	struct agg_cli *a;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde count PROBE... [--by KEY[,KEY]] [options]\n"
		     "  hits per probe, or per key\n");
	cli_options_help(out, CMD_COUNT);
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct count_ctx *c = ctx;
	struct sonde_agg_key key[SONDE_AGG_MAX_KEYS];

	if (agg_event_left_out(c->a, ev))
		return 0; /* a key that was not read is no key */
	agg_event_key(c->a, ev, key);
	sonde_agg__add(c->g, key, 0);
	if (c->total)
		sonde_agg__add(c->total, key, 0);
	return 0;
}

/* Keyed counts through a hist trigger where the plan has one: it is
 * given to the probes as they are added, before the session is opened. */
static void prepare(struct agg_cli *a, void *ctx)
{
	struct sonde_agg_plan p = { .sz = sizeof(p) };
	struct count_ctx *c = ctx;

	c->own_hist = a->o.hist;
	if (agg_plan(a, SONDE_AGG_KIND_COUNT, c->own_hist, &p) || !p.hist[0])
		return;
	c->hist = strdup(p.hist);
	a->o.hist = c->hist;
}

/* PMU counters on every probe: 1 when all are open, else 0 (none is). */
static int open_counters(struct agg_cli *a, struct count_ctx *c)
{
	int i, n = a->nprobes;

	c->counters = calloc(n, sizeof(*c->counters));
	c->last = calloc(n, sizeof(*c->last));
	if (!c->counters || !c->last)
		goto close;
	for (i = 0; i < n; i++) {
		c->counters[i] = sonde_counter__open(a->s, i);
		if (!c->counters[i]) {
			if (a->o.verbose)
				fprintf(stderr,
					"%s: %s: cannot be counted by a PMU counter (%s): events are counted here\n",
					prog, sonde_session__probe_name(a->s, i),
					strerror(errno));
			goto close;
		}
	}
	for (i = 0; a->o.verbose && i < n; i++)
		fprintf(stderr, "%s: %s: counted in the kernel (PMU counter)\n",
			prog, sonde_session__probe_name(a->s, i));
	return 1;
close:
	if (c->counters)
		for (i = 0; i < n; i++)
			sonde_counter__close(c->counters[i]);
	free(c->counters);
	c->counters = NULL;
	return 0;
}

/* The plan's paths in order until one opens (sonde_agg__plan()). */
static int setup(struct agg_cli *a, void *ctx)
{
	struct sonde_agg_plan p = { .sz = sizeof(p) };
	struct count_ctx *c = ctx;
	bool hist = false;
	int i, j, r;

	r = agg_plan(a, SONDE_AGG_KIND_COUNT, c->own_hist, &p);
	if (r) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-r));
		return EXIT_RUNTIME;
	}
	if (p.reason[0] && a->o.verbose)
		fprintf(stderr, "%s: %s\n", prog, p.reason);
	for (i = 0; i < p.npaths; i++)
		hist |= p.paths[i] == SONDE_AGG_PATH_HIST_TRIGGER;
	if (!hist) { /* no hist trigger is read then */
		free(c->hist);
		c->hist = NULL;
	}
	for (i = 0; !r && i < p.npaths; i++) {
		switch (p.paths[i]) {
		case SONDE_AGG_PATH_BPF:
			r = agg_kernel_open(a, false, &p, i == p.npaths - 1,
					    &c->bpf);
			break;
		case SONDE_AGG_PATH_PMU_COUNTER:
			r = open_counters(a, c);
			break;
		case SONDE_AGG_PATH_HIST_TRIGGER:
		case SONDE_AGG_PATH_USER:
			for (j = 0; a->o.verbose && j < a->nprobes; j++)
				fprintf(stderr, "%s: %s: %s\n", prog,
					sonde_session__probe_name(a->s, j),
					c->hist ? "counted in the kernel (hist trigger), checked against the events counted here" :
						  "events counted here");
			return 0;
		}
	}
	if (r) { /* no hist trigger is read then */
		free(c->hist);
		c->hist = NULL;
	}
	return r;
}

/* The field's type in the probe's format ("field:s32 a;"): hist keys are
 * shown as unsigned numbers of the field's size. */
static int64_t sign_extend(const char *fmt, const char *name, uint64_t v)
{
	char pat[128];
	const char *p;
	int size = 8;

	snprintf(pat, sizeof(pat), " %s;", name);
	p = fmt ? strstr(fmt, pat) : NULL;
	if (!p)
		return v;
	while (p > fmt && p[-1] != ':')
		p--;
	if (*p != 's' || sscanf(p + 1, "%d", &size) != 1 || size >= 64)
		return v;
	return (int64_t)(v << (64 - size)) >> (64 - size);
}

static int on_hist_entry(int nkeys, const char *const *names,
			 const char *const *vals, uint64_t hits, void *ctx)
{
	struct count_ctx *c = ctx;
	struct agg_cli *a = c->a;
	struct sonde_agg_key key[SONDE_AGG_MAX_KEYS];
	const char *fmt = sonde_session__probe_format(a->s, c->probe);
	int i, j;

	if (nkeys != a->nkeys)
		return -EINVAL;
	key[0].kind = SONDE_AGG_KEY_STRING;
	key[0].str = sonde_session__probe_name(a->s, c->probe);
	for (i = 0; i < nkeys; i++) {
		struct sonde_agg_key *k = &key[i + 1];
		const struct key_def *d = &a->keys[i];
		char *end;

		j = i; /* the kernel keeps the order of keys= */
		k->str = NULL;
		k->num = strtoull(vals[j], &end, 0);
		if (d->kind != KEY_FIELD) {
			k->kind = SONDE_AGG_KEY_UNSIGNED;
		} else if (end == vals[j] || *end) {
			k->kind = SONDE_AGG_KEY_STRING;
			k->str = vals[j];
		} else {
			k->kind = SONDE_AGG_KEY_SIGNED;
			k->num = sign_extend(fmt, names[j], k->num);
		}
	}
	return sonde_agg__add_n(c->kernel, key, 0, hits);
}

/* Same rows, same counts? Both in key order. */
static bool same_table(struct sonde_agg *x, struct sonde_agg *y, int nkeys)
{
	const struct sonde_agg_row *const *rx, *const *ry;
	int n = sonde_agg__rows(x, true, &rx), i, k;

	if (n != sonde_agg__rows(y, true, &ry))
		return false;
	for (i = 0; i < n; i++) {
		if (rx[i]->count != ry[i]->count)
			return false;
		for (k = 0; k <= nkeys; k++)
			if (rx[i]->key[k].str ?
				    !ry[i]->key[k].str ||
					    strcmp(rx[i]->key[k].str,
						   ry[i]->key[k].str) :
				    rx[i]->key[k].num != ry[i]->key[k].num)
				return false;
	}
	return true;
}

static struct sonde_agg *kernel_table(struct agg_cli *a, struct count_ctx *c)
{
	struct sonde_agg_opts go = { .sz = sizeof(go), .nkeys = a->nkeys + 1 };
	uint64_t dropped, all = 0;
	const char *text;
	int n;

	if (a->faults || a->unchecked) {
		fprintf(stderr,
			"%s: keys read through bad pointers: printing the "
			"events counted here, without them\n",
			prog);
		return c->g;
	}
	c->kernel = sonde_agg__new(&go);
	for (c->probe = 0; c->kernel && c->probe < a->nprobes; c->probe++) {
		text = sonde_session__probe_hist(a->s, c->probe);
		n = text ? sonde_hist__parse(text, on_hist_entry, c, &dropped) :
			   -ENOENT;
		if (n < 0 || dropped) {
			fprintf(stderr,
				"%s: %s: the kernel's table is %s: printing the events counted here\n",
				prog, sonde_session__probe_name(a->s, c->probe),
				n < 0 ? "unreadable" : "incomplete");
			return c->g;
		}
		all += dropped;
	}
	if (!c->kernel)
		return c->g;
	if (a->o.verbose)
		fprintf(stderr, "%s: hist trigger table %s the events counted here\n",
			prog, same_table(c->kernel, c->g, a->nkeys) ?
				      "matches" : "DIFFERS from");
	return c->kernel;
}

static void add_rows(struct sonde_agg *to, struct sonde_agg *from)
{
	const struct sonde_agg_row *const *rows;
	int i, n = sonde_agg__rows(from, true, &rows);

	for (i = 0; i < n; i++)
		sonde_agg__add_n(to, rows[i]->key, 0, rows[i]->count);
	/* the interval's drops are the whole run's too */
	sonde_agg__add_dropped(to, sonde_agg__dropped(from));
}

static void print(struct agg_cli *a, void *ctx, bool final)
{
	struct count_ctx *c = ctx;
	struct sonde_agg_key key;
	char title[64];
	uint64_t v;
	time_t t;
	int i;

	if (c->bpf) {
		agg_kernel_read(a, c->bpf, c->g, a->interval != 0);
		if (c->total)
			add_rows(c->total, c->g);
	}
	if (c->counters) {
		sonde_agg__clear(c->g);
		for (i = 0; i < a->nprobes; i++) {
			if (sonde_counter__read(c->counters[i], &v))
				continue;
			key.kind = SONDE_AGG_KEY_STRING;
			key.str = sonde_session__probe_name(a->s, i);
			/* PMU counts only grow: an interval's table is the
			 * difference, the total the count */
			sonde_agg__add_n(c->g, &key, 0,
					 final ? v : v - c->last[i]);
			c->last[i] = v;
		}
	}
	if (final && a->interval) {
		print_counts(a, c->counters ? c->g : c->total, "total");
		return;
	}
	if (final) {
		print_counts(a, c->hist ? kernel_table(a, c) : c->g, NULL);
		return;
	}
	t = time(NULL);
	strftime(title, sizeof(title), "%H:%M:%S", localtime(&t));
	print_counts(a, c->g, title);
	if (!c->counters)
		sonde_agg__clear(c->g);
}

int cmd_count(int argc, char **argv)
{
	struct agg_cli a = { .cmd = "count" };
	struct count_ctx c = { .a = &a };
	struct sonde_agg_opts go = { .sz = sizeof(go) };
	struct agg_ops ops = {
		.prepare = prepare,
		.setup = setup,
		.on_event = on_event,
		.print = print,
	};
	const char *names[SONDE_AGG_MAX_KEYS];
	int status, i;

	status = agg_parse(argc, argv, &a, usage);
	if (status)
		return status;
	if (!a.o.nprobes) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < a.nkeys; i++)
		names[i] = a.keys[i].name;
	for (i = 0; i < a.o.nprobes; i++)
		a.o.probes[i] = agg_spec_with(a.o.probes[i], names, a.nkeys);
	go.nkeys = a.nkeys + 1;
	go.max_rows = a.max_keys;
	c.g = sonde_agg__new(&go);
	if (a.interval)
		c.total = sonde_agg__new(&go);
	if (!c.g || (a.interval && !c.total))
		return EXIT_RUNTIME;
	status = agg_main(&a, &ops, &c);
	if (c.counters)
		for (i = 0; i < a.nprobes; i++)
			sonde_counter__close(c.counters[i]);
	free(c.counters);
	free(c.last);
	sonde_bpf_agg__close(c.bpf);
	free(c.hist);
	sonde_agg__free(c.kernel);
	sonde_agg__free(c.g);
	sonde_agg__free(c.total);
	return status;
}
