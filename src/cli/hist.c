/* SPDX-License-Identifier: MIT */
/* sonde hist: a power-of-two (or linear) histogram of a field per probe,
 * or per key, aggregated here from the events. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "options.h"
#include "agg_kernel.h"

struct hist_ctx {
	struct agg_cli *a;
	struct sonde_agg *g;
	uint64_t skipped; /* events without the value */
	struct sonde_bpf_agg *bpf; /* the table is the kernel's (BPF) */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde hist PROBE... --value FIELD [--by KEY[,KEY]] "
		     "[options]\n"
		     "  a histogram of a field, powers of two by default\n");
	cli_options_help(out, CMD_HIST);
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct hist_ctx *h = ctx;
	struct sonde_agg_key key[SONDE_AGG_MAX_KEYS];
	int64_t v;

	if (agg_event_left_out(h->a, ev))
		return 0; /* a value that was not read is no value */
	if (!agg_event_value(h->a, ev, &v)) {
		h->skipped++;
		return 0;
	}
	agg_event_key(h->a, ev, key);
	sonde_agg__add(h->g, key, v);
	return 0;
}

static int setup(struct agg_cli *a, void *ctx)
{
	struct sonde_agg_plan p = { .sz = sizeof(p) };
	struct hist_ctx *h = ctx;
	int i, r;

	r = agg_plan(a, SONDE_AGG_KIND_HIST, a->o.hist, &p);
	if (r) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-r));
		return EXIT_RUNTIME;
	}
	/* the plan's paths in order until one opens: BPF, then here */
	for (i = 0; i < p.npaths && p.paths[i] == SONDE_AGG_PATH_BPF; i++) {
		r = agg_kernel_open(a, true, &p, i == p.npaths - 1, &h->bpf);
		if (r)
			return r;
	}
	for (i = 0; a->o.verbose && i < a->nprobes; i++)
		fprintf(stderr, "%s: %s: events aggregated here\n", prog,
			sonde_session__probe_name(a->s, i));
	return 0;
}

static void print(struct agg_cli *a, void *ctx, bool final)
{
	struct hist_ctx *h = ctx;
	char title[64];
	time_t t;

	if (h->bpf)
		agg_kernel_read(a, h->bpf, h->g, a->interval != 0);
	if (final && h->skipped)
		fprintf(stderr, "%s: %" PRIu64 " events had no number '%s'\n",
			prog, h->skipped, a->value.name);
	if (final && !a->interval) {
		print_hists(a, h->g, UNIT_NONE, NULL, NULL, NULL);
		return;
	}
	if (final) /* the last interval's table was printed */
		return;
	t = time(NULL);
	strftime(title, sizeof(title), "%H:%M:%S", localtime(&t));
	print_hists(a, h->g, UNIT_NONE, title, NULL, NULL);
	sonde_agg__clear(h->g);
}

int cmd_hist(int argc, char **argv)
{
	struct agg_cli a = { .cmd = "hist" };
	struct hist_ctx h = { .a = &a };
	struct sonde_agg_opts go = { .sz = sizeof(go) };
	struct agg_ops ops = {
		.setup = setup,
		.on_event = on_event,
		.print = print,
	};
	const char *names[SONDE_AGG_MAX_KEYS];
	int status, i;

	status = agg_parse(argc, argv, &a, usage);
	if (status)
		return status;
	if (!a.o.nprobes || !a.has_value) {
		if (!a.has_value)
			fprintf(stderr, "%s: hist needs --value FIELD\n", prog);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (a.value.kind != KEY_FIELD) {
		fprintf(stderr, "%s: --value takes a field, not '%s'\n", prog,
			a.value.name);
		return EXIT_USAGE;
	}
	for (i = 0; i < a.nkeys; i++)
		names[i] = a.keys[i].name;
	names[a.nkeys] = a.value.name;
	for (i = 0; i < a.o.nprobes; i++)
		a.o.probes[i] = agg_spec_with(a.o.probes[i], names, a.nkeys + 1);
	go.nkeys = a.nkeys + 1;
	go.max_rows = a.max_keys;
	go.hist = a.linear ? SONDE_AGG_LINEAR : SONDE_AGG_LOG2;
	go.min = a.min;
	go.max = a.max;
	go.step = a.step;
	h.g = sonde_agg__new(&go);
	if (!h.g) {
		fprintf(stderr, "%s: --linear: too many buckets\n", prog);
		return EXIT_USAGE;
	}
	status = agg_main(&a, &ops, &h);
	sonde_bpf_agg__close(h.bpf);
	sonde_agg__free(h.g);
	return status;
}
