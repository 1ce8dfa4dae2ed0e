/* SPDX-License-Identifier: MIT */
/*
 * sonde serve's kernel tables: each entry's probes aggregated in the
 * kernel by BPF (sonde_bpf_agg__open(): counts, or log2/linear histograms
 * of a field or of entry-to-return times), read without clearing, so
 * counts only grow. A scrape reads the maps: no event is streamed.
 *
 * A traced file that is replaced (a new inode at its path: an upgrade)
 * gets a new generation of the entry's probes and maps, on the new file;
 * the old ones stay (processes still running the old file are counted)
 * and every generation is read into the one table, so the counts go on
 * growing across the upgrade.
 */
#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "agg.h"
#include "serve.h"

static void key_of(const char *label, struct sonde_bpf_key *k)
{
	static const struct {
		const char *name;
		enum sonde_bpf_src src;
	} fixed[] = {
		{"comm", SONDE_BPF_COMM}, {"pid", SONDE_BPF_PID},
		{"tid", SONDE_BPF_TID},	  {"cpu", SONDE_BPF_CPU},
		{"probe", SONDE_BPF_PROBE_NAME},
	};
	size_t i;

	k->src = SONDE_BPF_ARG;
	k->arg = label;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(label, fixed[i].name)) {
			k->src = fixed[i].src;
			k->arg = NULL;
		}
}

static int fail(struct serve_entry *e, int err, const char *fmt, ...)
{
	va_list ap;

	free(e->error);
	va_start(ap, fmt);
	if (vasprintf(&e->error, fmt, ap) < 0)
		e->error = NULL;
	va_end(ap);
	serve_table_close(e);
	return err;
}

static void gen_close(struct serve_gen *g)
{
	sonde_bpf_agg__close(g->b);
	if (g->s)
		cli_session_close(g->s);
	/* cli_session_close() ends the hold on signals: serve holds them
	 * while it runs */
	cli_hold();
	memset(g, 0, sizeof(*g));
}

/* One generation's session, probes and BPF programs and maps; on
 * failure nothing is left and why says why. */
static int gen_open(struct serve_entry *e, const struct cli_opts *o,
		    struct serve_gen *g, char *why, size_t len)
{
	struct sonde_session_opts so = {
		.sz = sizeof(so),
		.backend = SONDE_BACKEND_BPF,
		.log = cli_log,
		.debug_dir = o->debug_dir,
		.max_probes = o->max_probes,
	};
	struct sonde_probe_opts po = {.sz = sizeof(po)};
	struct sonde_bpf_agg_opts bo = {.sz = sizeof(bo)};
	const char *names[SONDE_AGG_MAX_KEYS];
	size_t per_key = e->kind == SERVE_COUNT ? 1 : 16;
	int i, n = 0, err;
	char *spec;

	for (i = 0; i < e->nlabels; i++)
		names[n++] = e->labels[i];
	if (e->value)
		names[n++] = e->value;
	g->s = sonde_session__open(&so);
	if (!g->s) {
		snprintf(why, len, "%s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < e->nprobes; i++) {
		/* argN and retval fetched when a label or the value names
		 * them */
		spec = agg_spec_fetching(e->probes[i], names, n);
		err = sonde_session__add_probe(g->s, spec ? spec : e->probes[i],
					       &po);
		free(spec);
		if (err < 0) {
			snprintf(why, len, "probe '%s': %s", e->probes[i],
				 sonde_session__errmsg(g->s));
			gen_close(g);
			return err;
		}
	}
	bo.nkeys = e->nlabels;
	for (i = 0; i < e->nlabels; i++)
		key_of(e->labels[i], &bo.keys[i]);
	if (e->kind == SERVE_HIST)
		key_of(e->value, &bo.value);
	else if (e->kind == SERVE_LATENCY)
		bo.value.src = SONDE_BPF_LATENCY;
	if (e->kind != SERVE_COUNT) {
		bo.hist = e->linear ? SONDE_AGG_LINEAR : SONDE_AGG_LOG2;
		bo.min = e->min;
		bo.max = e->max;
		bo.step = e->step;
	}
	/* the kernel's map has room for twice the admitted series and 64
	 * more label sets (16 buckets each for a histogram); hits past it
	 * are counted (sonde_events_lost_total, and a count's overflow
	 * series) */
	bo.max_entries = (unsigned int)((e->max_series * 2 + 64) * per_key);
	g->b = sonde_bpf_agg__open(g->s, &bo);
	if (!g->b) {
		err = -errno;
		snprintf(why, len, "not aggregated in the kernel: %s",
			 sonde_session__errmsg(g->s));
		gen_close(g);
		return err;
	}
	return 0;
}

/* The files of the newest generation's uprobes, to see them replaced. */
static void files_note(struct serve_table *t)
{
	struct serve_gen *g = &t->gen[t->ngen - 1];
	int i, n = sonde_session__probe_count(g->s);
	struct sonde_probe_site site;
	struct stat st;

	free(t->files);
	t->files = calloc(n > 0 ? n : 1, sizeof(*t->files));
	t->nfiles = 0;
	for (i = 0; t->files && i < n; i++) {
		site = (struct sonde_probe_site){.sz = sizeof(site)};
		if (sonde_session__probe_site(g->s, i, &site) || !site.path ||
		    stat(site.path, &st))
			continue;
		t->files[t->nfiles++] = (struct serve_file){
			.path = site.path, .dev = st.st_dev, .ino = st.st_ino};
	}
}

int serve_table_open(struct serve_entry *e, const struct cli_opts *o)
{
	struct sonde_agg_opts go = {.sz = sizeof(go)};
	struct serve_table *t;
	char why[512];
	int err;

	t = e->t = calloc(1, sizeof(*e->t));
	if (!t)
		return fail(e, -ENOMEM, "out of memory");
	t->o = o;
	go.nkeys = e->nlabels;
	if (e->kind != SERVE_COUNT) {
		go.hist = e->linear ? SONDE_AGG_LINEAR : SONDE_AGG_LOG2;
		go.min = e->min;
		go.max = e->max;
		go.step = e->step;
	}
	t->g = sonde_agg__new(&go);
	if (t->g && e->kind != SERVE_COUNT)
		t->over = calloc(sonde_agg__nbuckets(t->g), sizeof(uint64_t));
	if (!t->g || (e->kind != SERVE_COUNT && !t->over))
		return fail(e, -ENOMEM, "out of memory");
	err = gen_open(e, o, &t->gen[0], why, sizeof(why));
	if (err)
		return fail(e, err, "%s", why);
	t->ngen = 1;
	files_note(t);
	return 0;
}

void serve_table_close(struct serve_entry *e)
{
	struct serve_table *t = e->t;

	if (!t)
		return;
	while (t->ngen)
		gen_close(&t->gen[--t->ngen]);
	sonde_agg__free(t->g);
	tdestroy(t->admitted, free);
	free(t->over);
	free(t->files);
	free(t);
	e->t = NULL;
}

void serve_table_check(struct serve_entry *e)
{
	struct serve_table *t = e->t;
	struct serve_gen g = {0};
	struct stat st;
	char why[512];
	int i;

	for (i = 0; t && i < t->nfiles; i++)
		if (!stat(t->files[i].path, &st) &&
		    (st.st_dev != t->files[i].dev ||
		     st.st_ino != t->files[i].ino))
			break;
	if (!t || i == t->nfiles)
		return;
	fprintf(stderr, "%s: metric %s: %s was replaced: probing the new file\n",
		prog, e->name, t->files[i].path);
	t->files[i].dev = st.st_dev; /* tried once per replacement */
	t->files[i].ino = st.st_ino;
	if (gen_open(e, t->o, &g, why, sizeof(why))) {
		fprintf(stderr, "%s: metric %s: %s (the old file's probes go on)\n",
			prog, e->name, why);
		t->reopen_errors++;
		return;
	}
	if (t->ngen == SERVE_MAX_GENS) {
		/* the oldest's counts go: Prometheus sees a counter reset */
		gen_close(&t->gen[0]);
		memmove(t->gen, t->gen + 1, (t->ngen - 1) * sizeof(t->gen[0]));
		t->ngen--;
		fprintf(stderr, "%s: metric %s: more than %d generations: the "
				"oldest's probes and counts are dropped\n",
			prog, e->name, SERVE_MAX_GENS);
	}
	t->gen[t->ngen++] = g;
	t->reopens++;
	t->reopen_time = (uint64_t)time(NULL);
	files_note(t);
}

int serve_table_read(struct serve_entry *e)
{
	struct serve_table *t = e->t;
	const struct sonde_agg_row *const *rows;
	int i, n = 0;

	sonde_agg__clear(t->g);
	for (i = 0; n >= 0 && i < t->ngen; i++)
		n = sonde_bpf_agg__read(t->gen[i].b, t->g, false);
	if (n >= 0)
		n = sonde_agg__rows(t->g, true, &rows);
	if (n < 0) {
		t->read_errors++;
		fprintf(stderr, "%s: %s: reading the kernel's table: %s\n",
			prog, e->name, strerror(-n));
	}
	return n;
}

int serve_table_stats(const struct serve_entry *e, uint64_t *lost,
		      uint64_t *faults)
{
	struct sonde_bpf_agg_stats st = {.sz = sizeof(st)};
	const struct serve_table *t = e->t;
	int i, probes = 0;

	*lost = *faults = 0;
	for (i = 0; t && i < t->ngen; i++) {
		probes += sonde_session__probe_count(t->gen[i].s);
		if (sonde_bpf_agg__stats(t->gen[i].b, &st))
			continue;
		*lost += st.dropped;
		*faults += st.faults;
	}
	return t ? probes : -1;
}
