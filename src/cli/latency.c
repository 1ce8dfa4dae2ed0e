/* SPDX-License-Identifier: MIT */
/*
 * sonde latency: the time from entry to return of each call of FUNC, from
 * an entry and a return probe per function, paired per thread by the
 * library (recursion and nested calls nest). A wildcard FUNC is one entry
 * and one return probe per matching function: the two are told to belong
 * together by their site (file and offset, or kernel symbol), and each
 * function gets its own pairing and histogram, as funclatency -F does.
 * Events of one thread can come out of order when it moved between CPUs
 * (one ring per CPU): they are sorted by time, holding back the last
 * HOLD_NS until the next poll. Only calls in flight hold pairing state:
 * the entries of threads that ended inside a function are dropped about
 * every second (counted as entries without return), and the histograms
 * hold at most --max-keys keys.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "line.h"
#include "options.h"
#include "perfetto.h"

#define HOLD_NS 20000000ULL

struct rec {
	uint64_t ts;
	int tid, pid, cpu, fn;
	bool ret;
	char comm[16];
};

/* A function: its entry and return probe, paired by their site. */
struct fn {
	char *name;
	struct sonde_probe_site site;
	int entry, ret; /* probe indexes, -1 while not seen */
};

struct lat_ctx {
	struct agg_cli *a;
	struct sonde_agg *g;
	struct sonde_latency *l;
	struct rec *buf;
	size_t n, cap;
	uint64_t max_ts;
	time_t last_sweep;
	struct fn *fns;
	int nfns;
	int *fn_of; /* per probe: its function, -1 when it has no pair */
	struct timeline *tl; /* -f perfetto, --perfetto FILE */
	int tl_status;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde latency FUNC... [--by KEY[,KEY]] [options]\n"
		     "  FUNC            u:TARGET:SYM or k:FUNC: entry to "
		     "return time;\n"
		     "                  t:syscalls:sys_enter_NAME: to its "
		     "sys_exit_NAME\n");
	cli_options_help(out, CMD_LATENCY);
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct lat_ctx *c = ctx;
	int p = sonde_event__probe(ev);
	struct rec *r;

	if (c->tl && timeline_event(ev, c->tl))
		return 1;
	if (p < 0 || p >= c->a->nprobes || c->fn_of[p] < 0)
		return 0;
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
	r->fn = c->fn_of[p];
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
	key[0].str = c->fns[r->fn].name;
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

	if (c->tl && timeline_flush(c->tl, a->out, final))
		c->tl_status = EXIT_RUNTIME;
	if (!c->n)
		goto sweep;
	qsort(c->buf, c->n, sizeof(*c->buf), cmp_rec);
	for (i = 0; i < c->n; i++) {
		if (!final && c->buf[i].ts + HOLD_NS > c->max_ts)
			break;
		pair(c, &c->buf[i]);
		done++;
	}
	memmove(c->buf, c->buf + done, (c->n - done) * sizeof(*c->buf));
	c->n -= done;
sweep:
	if (!final && time(NULL) != c->last_sweep) {
		c->last_sweep = time(NULL);
		/* events before max_ts - HOLD_NS are all paired */
		if (c->max_ts > HOLD_NS)
			sonde_latency__forget_exited(c->l,
						     c->max_ts - HOLD_NS);
	}
}

/* Calls that could not be paired, per function: never mixed in. */
static void tail(struct agg_cli *a, void *ctx)
{
	struct lat_ctx *c = ctx;
	struct sonde_latency_stats st = { .sz = sizeof(st) };
	struct not_utf8 nu = {0};
	int i, n;

	if (a->o.format == OUT_JSON)
		fputs(",\"unpaired\":[", a->out);
	for (i = 0, n = 0; i < c->nfns; i++) {
		if (c->fns[i].entry < 0 || c->fns[i].ret < 0)
			continue;
		sonde_latency__stats(c->l, i, &st);
		/* a wildcard's functions that were never called: no row */
		if (a->o.format == OUT_JSON &&
		    (st.paired || st.orphan_returns || st.open_entries)) {
			fprintf(a->out, "%s{\"probe\":", n++ ? "," : "");
			put_json_str(a->out, c->fns[i].name, &nu, "/probe",
				     NULL);
			fprintf(a->out,
				",\"paired\":%" PRIu64
				",\"returns_without_entry\":%" PRIu64
				",\"entries_without_return\":%" PRIu64,
				st.paired, st.orphan_returns, st.open_entries);
			/* of these, those whose thread ended (forgotten) */
			if (st.exited_entries)
				fprintf(a->out, ",\"of_ended_threads\":%" PRIu64,
					st.exited_entries);
			put_not_utf8(a->out, &nu);
			fputc('}', a->out);
		} else if (a->o.format == OUT_TEXT &&
			   (st.orphan_returns || st.open_entries)) {
			fprintf(a->out,
				"%s: %" PRIu64 " returns without entry, %" PRIu64
				" entries without return",
				cli_safe(c->fns[i].name), st.orphan_returns,
				st.open_entries);
			if (st.exited_entries)
				fprintf(a->out, " (%" PRIu64 " of ended threads)",
					st.exited_entries);
			fputs(" (not in the histogram)\n", a->out);
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

	/* the timeline ends valid after Ctrl-C and -d too */
	if (final && c->tl && timeline_end(c->tl, a->out))
		c->tl_status = EXIT_RUNTIME;
	if (a->o.format == OUT_PERFETTO)
		return;
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

/* Each probe's function: the first one at its site that still lacks a
 * probe of its kind (the same function given twice is two functions). */
static int find_fn(struct lat_ctx *c, const struct sonde_probe_site *st)
{
	struct fn *grown;
	int i;

	for (i = 0; i < c->nfns; i++)
		if (probe_sites_same(&c->fns[i].site, st) &&
		    (st->is_return ? c->fns[i].ret : c->fns[i].entry) < 0)
			return i;
	grown = realloc(c->fns, (c->nfns + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	c->fns = grown;
	grown[c->nfns] = (struct fn){ .site = *st, .entry = -1, .ret = -1 };
	return c->nfns++;
}

/* A name per function: its symbol; "sym (file)" when two files have it. */
static char *fn_name(struct lat_ctx *c, int f, const char *probe_name)
{
	const struct fn *fn = &c->fns[f];
	const char *sym = fn->site.function ? fn->site.function : probe_name;
	const char *file = fn->site.path ? strrchr(fn->site.path, '/') : NULL;
	char *name;
	int i;

	for (i = 0; i < f; i++)
		if (c->fns[i].name && !strcmp(c->fns[i].name, sym))
			break;
	if (i == f || !file)
		return strdup(sym);
	if (asprintf(&name, "%s (%s)", sym, file + 1) < 0)
		return NULL;
	return name;
}

/* After the probes are added: pair each entry probe with the return probe
 * on the same function. */
static int setup(struct agg_cli *a, void *ctx)
{
	struct lat_ctx *c = ctx;
	struct sonde_probe_site st = { .sz = sizeof(st) };
	int i, f, paired = 0;

	c->fn_of = calloc(a->nprobes ? a->nprobes : 1, sizeof(int));
	if (!c->fn_of)
		return EXIT_RUNTIME;
	for (i = 0; i < a->nprobes; i++) {
		if (sonde_session__probe_site(a->s, i, &st) ||
		    (f = find_fn(c, &st)) < 0)
			return EXIT_RUNTIME;
		if (st.is_return)
			c->fns[f].ret = i;
		else
			c->fns[f].entry = i;
	}
	for (i = 0; i < a->nprobes; i++)
		c->fn_of[i] = -1;
	for (f = 0; f < c->nfns; f++) {
		struct fn *fn = &c->fns[f];
		int any = fn->entry >= 0 ? fn->entry : fn->ret;

		fn->name = fn_name(c, f, sonde_session__probe_name(a->s, any));
		if (!fn->name)
			return EXIT_RUNTIME;
		if (fn->entry < 0 || fn->ret < 0) {
			fprintf(stderr, "%s: %s has no %s probe: left out\n",
				prog, cli_safe(fn->name),
				fn->entry < 0 ? "entry" : "return");
			continue;
		}
		c->fn_of[fn->entry] = c->fn_of[fn->ret] = f;
		paired++;
	}
	if (!paired) {
		fprintf(stderr, "%s: no function has both an entry and a return probe\n",
			prog);
		return EXIT_RUNTIME;
	}
	if ((a->o.format == OUT_PERFETTO || a->o.perfetto) &&
	    !(c->tl = timeline_new(a->s, a->o.perfetto)))
		return EXIT_RUNTIME;
	return 0;
}

/* "t:syscalls:sys_enter_X args" -> "t:syscalls:sys_exit_X" (also
 * tracepoint:); NULL for any other tracepoint, which has no return */
static char *syscall_exit_spec(const char *spec, size_t loc)
{
	static const char enter[] = "syscalls:sys_enter_";
	size_t type = strcspn(spec, ":") + 1, n = sizeof(enter) - 1;
	char *r;

	if (loc < type + n || strncmp(spec + type, enter, n))
		return NULL;
	if (asprintf(&r, "t:syscalls:sys_exit_%.*s", (int)(loc - type - n),
		     spec + type + n) < 0)
		return NULL;
	return r;
}

/* "u:T:S args" -> "ur:T:S", "k:F args" -> "kr:F"; uprobe: and kprobe:
 * likewise */
static char *return_spec(const char *text)
{
	char *spec = cli_spec_short(text), *r = NULL;
	size_t loc;

	if (!spec)
		goto out;
	loc = strcspn(spec, " \t");
	if (!strncmp(spec, "t:", 2)) {
		r = syscall_exit_spec(spec, loc);
		goto out;
	}
	if (strncmp(spec, "u:", 2) && strncmp(spec, "k:", 2))
		goto out;
	if (asprintf(&r, "%cr:%.*s", spec[0], (int)(loc - 2), spec + 2) < 0)
		r = NULL;
out:
	free(spec);
	return r;
}

int cmd_latency(int argc, char **argv)
{
	struct agg_cli a = { .cmd = "latency" };
	struct lat_ctx c = { .a = &a };
	struct sonde_agg_opts go = { .sz = sizeof(go), .percentiles = true,
				     .hist = SONDE_AGG_LOG2 };
	struct agg_ops ops = {
		.setup = setup,
		.on_event = on_event,
		.after_poll = after_poll,
		.print = print,
	};
	char **specs = NULL;
	int status, i, nspecs = 0;

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
	nspecs = a.o.nprobes;
	specs = calloc(2 * nspecs, sizeof(*specs));
	status = EXIT_RUNTIME;
	if (!specs)
		goto out;
	for (i = 0; i < nspecs; i++) {
		const char *f = a.o.probes[i];

		specs[2 * i] = (char *)f;
		specs[2 * i + 1] = return_spec(f);
		if (!specs[2 * i + 1]) {
			fprintf(stderr,
				"%s: latency takes u:TARGET:SYM, k:FUNC (or their long names) or "
				"t:syscalls:sys_enter_NAME (its sys_exit_NAME "
				"is the return; other tracepoints have none), "
				"not '%s'\n",
				prog, f);
			status = EXIT_USAGE;
			goto out;
		}
	}
	a.o.probes = specs;
	a.o.nprobes = 2 * nspecs;
	go.nkeys = a.nkeys + 1;
	go.max_rows = a.max_keys;
	c.g = sonde_agg__new(&go);
	c.l = sonde_latency__new();
	if (c.g && c.l)
		status = agg_main(&a, &ops, &c);
	if (!status)
		status = c.tl_status;
out:
	timeline_free(c.tl);
	sonde_agg__free(c.g);
	sonde_latency__free(c.l);
	free(c.buf);
	for (i = 0; i < nspecs && specs; i++)
		free(specs[2 * i + 1]);
	for (i = 0; i < c.nfns; i++)
		free(c.fns[i].name);
	free(c.fns);
	free(c.fn_of);
	free(specs);
	return status;
}
