/* SPDX-License-Identifier: MIT */
/*
 * sonde latency: the time from entry to return of each call of FUNC, from
 * an entry and a return probe per function, paired per thread by the
 * library (recursion and nested calls nest). Events of one thread can come
 * out of order when it moved between CPUs (one ring per CPU): they are
 * sorted by time, holding back the last HOLD_NS until the next poll.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"

#define HOLD_NS 20000000ULL

struct rec {
	uint64_t ts;
	int tid, pid, cpu, fn;
	bool ret;
	char comm[16];
};

struct lat_ctx {
	struct agg_cli *a;
	struct sonde_agg *g;
	struct sonde_latency *l;
	struct rec *buf;
	size_t n, cap;
	uint64_t max_ts;
	int nfns;
	char **fn_names;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sonde latency FUNC... [--by KEY[,KEY]] [options]\n"
		"  FUNC            u:TARGET:SYM or k:FUNC: entry to return time\n"
		"  --by KEYS       one histogram per comm, pid, tid or cpu\n"
		"  -i SECS         print and reset every SECS; --top N\n"
		"  -p PID, -c CMD, -d SECS, -f text|json|csv, -o FILE, -q, -v\n");
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct lat_ctx *c = ctx;
	struct rec *r;

	if (c->n == c->cap) {
		r = realloc(c->buf, (c->cap ? c->cap * 2 : 4096) * sizeof(*r));
		if (!r)
			return 1;
		c->buf = r;
		c->cap = c->cap ? c->cap * 2 : 4096;
	}
	r = &c->buf[c->n++];
	r->ts = sonde_event__time_ns(ev);
	r->tid = sonde_event__tid(ev);
	r->pid = sonde_event__pid(ev);
	r->cpu = sonde_event__cpu(ev);
	r->fn = sonde_event__probe(ev) / 2;
	r->ret = sonde_event__is_return(ev);
	snprintf(r->comm, sizeof(r->comm), "%s", sonde_event__comm(ev));
	if (r->ts > c->max_ts)
		c->max_ts = r->ts;
	return 0;
}

/* time order; an entry before a return of the same instant */
static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (int)a->ret - (int)b->ret;
}

static void pair(struct lat_ctx *c, const struct rec *r)
{
	struct sonde_agg_key key[SONDE_AGG_MAX_KEYS];
	struct agg_cli *a = c->a;
	uint64_t ns;
	int i;

	if (!r->ret) {
		sonde_latency__entry(c->l, r->fn, r->tid, r->ts, 0);
		return;
	}
	if (sonde_latency__return(c->l, r->fn, r->tid, r->ts, &ns, NULL))
		return;
	key[0].kind = SONDE_AGG_KEY_STRING;
	key[0].str = c->fn_names[r->fn];
	for (i = 0; i < a->nkeys; i++) {
		struct sonde_agg_key *k = &key[i + 1];

		k->kind = SONDE_AGG_KEY_UNSIGNED;
		k->str = NULL;
		switch (a->keys[i].kind) {
		case KEY_COMM:
			k->kind = SONDE_AGG_KEY_STRING;
			k->str = r->comm;
			break;
		case KEY_PID:
			k->num = r->pid;
			break;
		case KEY_TID:
			k->num = r->tid;
			break;
		default:
			k->num = r->cpu;
		}
	}
	sonde_agg__add(c->g, key, (int64_t)ns);
}

static void after_poll(struct agg_cli *a, void *ctx, bool final)
{
	struct lat_ctx *c = ctx;
	size_t i, done = 0;

	(void)a;
	if (!c->n)
		return;
	qsort(c->buf, c->n, sizeof(*c->buf), cmp_rec);
	for (i = 0; i < c->n; i++) {
		if (!final && c->buf[i].ts + HOLD_NS > c->max_ts)
			break;
		pair(c, &c->buf[i]);
		done++;
	}
	memmove(c->buf, c->buf + done, (c->n - done) * sizeof(*c->buf));
	c->n -= done;
}

/* Calls that could not be paired, per function: never mixed in. */
static void tail(struct agg_cli *a, void *ctx)
{
	struct lat_ctx *c = ctx;
	struct sonde_latency_stats st = { .sz = sizeof(st) };
	int i;

	if (a->o.format == OUT_JSON)
		fputs(",\"unpaired\":[", a->out);
	for (i = 0; i < c->nfns; i++) {
		sonde_latency__stats(c->l, i, &st);
		if (a->o.format == OUT_JSON) {
			fprintf(a->out,
				"%s{\"probe\":\"%s\",\"paired\":%" PRIu64
				",\"returns_without_entry\":%" PRIu64
				",\"entries_without_return\":%" PRIu64 "}",
				i ? "," : "", c->fn_names[i], st.paired,
				st.orphan_returns, st.open_entries);
		} else if (a->o.format == OUT_TEXT &&
			   (st.orphan_returns || st.open_entries)) {
			fprintf(a->out,
				"%s: %" PRIu64 " returns without entry, %" PRIu64
				" entries without return (not in the histogram)\n",
				c->fn_names[i], st.orphan_returns,
				st.open_entries);
		}
	}
	if (a->o.format == OUT_JSON)
		fputc(']', a->out);
}

static void print(struct agg_cli *a, void *ctx, bool final)
{
	struct lat_ctx *c = ctx;
	char title[64];
	time_t t;

	if (final && a->interval)
		return;
	if (final) {
		print_hists(a, c->g, UNIT_NS, NULL, tail, c);
		return;
	}
	t = time(NULL);
	strftime(title, sizeof(title), "%H:%M:%S", localtime(&t));
	print_hists(a, c->g, UNIT_NS, title, tail, c);
	sonde_agg__clear(c->g);
}

/* "u:T:S args" -> "ur:T:S", "k:F args" -> "kr:F" */
static char *return_spec(const char *spec)
{
	size_t loc = strcspn(spec, " \t");
	char *r;

	if (strncmp(spec, "u:", 2) && strncmp(spec, "k:", 2))
		return NULL;
	if (asprintf(&r, "%cr:%.*s", spec[0], (int)(loc - 2), spec + 2) < 0)
		return NULL;
	return r;
}

int cmd_latency(int argc, char **argv)
{
	struct agg_cli a = { .cmd = "latency" };
	struct lat_ctx c = { .a = &a };
	struct sonde_agg_opts go = { .sz = sizeof(go), .percentiles = true,
				     .hist = SONDE_AGG_LOG2 };
	struct agg_ops ops = {
		.on_event = on_event,
		.after_poll = after_poll,
		.print = print,
	};
	char **specs;
	int status, i;

	status = agg_parse(argc, argv, &a, usage);
	if (status)
		return status;
	if (!a.o.nprobes) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < a.nkeys; i++)
		if (a.keys[i].kind == KEY_FIELD) {
			fprintf(stderr,
				"%s: latency --by takes comm, pid, tid or cpu, not '%s'\n",
				prog, a.keys[i].name);
			return EXIT_USAGE;
		}
	c.nfns = a.o.nprobes;
	specs = calloc(2 * c.nfns, sizeof(*specs));
	c.fn_names = calloc(c.nfns, sizeof(*c.fn_names));
	status = EXIT_RUNTIME;
	if (!specs || !c.fn_names)
		goto out;
	for (i = 0; i < c.nfns; i++) {
		const char *f = a.o.probes[i], *sym;

		specs[2 * i] = (char *)f;
		specs[2 * i + 1] = return_spec(f);
		if (!specs[2 * i + 1]) {
			fprintf(stderr,
				"%s: latency takes u:TARGET:SYM or k:FUNC, not '%s'\n",
				prog, f);
			status = EXIT_USAGE;
			goto out;
		}
		sym = strrchr(specs[2 * i + 1], ':') + 1;
		c.fn_names[i] = strdup(sym);
	}
	a.o.probes = specs;
	a.o.nprobes = 2 * c.nfns;
	go.nkeys = a.nkeys + 1;
	c.g = sonde_agg__new(&go);
	c.l = sonde_latency__new();
	if (c.g && c.l)
		status = agg_main(&a, &ops, &c);
out:
	sonde_agg__free(c.g);
	sonde_latency__free(c.l);
	free(c.buf);
	for (i = 0; i < c.nfns && specs && c.fn_names; i++) {
		free(specs[2 * i + 1]);
		free(c.fn_names[i]);
	}
	free(c.fn_names);
	free(specs);
	return status;
}
