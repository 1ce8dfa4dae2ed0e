/* SPDX-License-Identifier: MIT */
/*
 * sonde stack: distinct call stacks of the probes' hits, counted, most
 * frequent first, or folded ("root;...;leaf count") for flame graphs, or
 * drawn as one (--svg FILE, flame_svg.c). A stack is symbolized once per
 * process and distinct addresses, then counted by its frames' names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "flame_svg.h"
#include "frames.h"
#include "options.h"

struct seen {
	uint64_t hash;
	int pid, n;
	uint64_t *frames;
	char *folded;
};

struct stack_ctx {
	struct agg_cli *a;
	struct sonde_agg *g;
	struct seen *seen;
	size_t nseen, cap; /* cap: a power of two */
	int svg_status;	   /* --svg: 0, or EXIT_RUNTIME when not written */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde stack PROBE... [--folded] [--svg FILE] "
		     "[options]\n"
		     "  distinct call stacks of the probes' hits, counted\n");
	cli_options_help(out, CMD_STACK);
}

struct fold_frame {
	char *texts[33]; /* one address's frames, innermost first */
	int n;
};

static void keep_text(const char *text, void *ctx)
{
	struct fold_frame *ff = ctx;

	if (ff->n < (int)(sizeof(ff->texts) / sizeof(ff->texts[0])))
		ff->texts[ff->n++] = strdup(text);
}

/* Root first, ';' between frames: the names alone when folded or drawn. */
static char *fold(struct stack_ctx *c, const struct sonde_event *ev,
		  const uint64_t *frames, int n)
{
	int k = sonde_event__stack_kernel_frames(ev), i, j;
	bool names = c->a->folded || c->a->svg, first = true;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (i = n - 1; i >= 0; i--) {
		struct fold_frame ff = { .n = 0 };

		cli_frame_texts(ev, frames, i, k, names, keep_text, &ff);
		for (j = ff.n - 1; j >= 0; j--) {
			if (!ff.texts[j])
				continue;
			/* ';' separates frames */
			for (char *p = ff.texts[j]; *p; p++)
				if (*p == ';')
					*p = ',';
			fprintf(f, "%s%s", first ? "" : ";", ff.texts[j]);
			first = false;
			free(ff.texts[j]);
		}
	}
	fclose(f);
	return out;
}

static const char *lookup(struct stack_ctx *c, const struct sonde_event *ev,
			  const uint64_t *frames, int n)
{
	int pid = sonde_event__pid(ev);
	uint64_t h = cli_stack_hash(pid, frames, n);
	struct seen *s, *grown;
	size_t j, i;

	if ((c->nseen + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;

		grown = calloc(cap, sizeof(*grown));
		if (!grown)
			return NULL;
		for (i = 0; i < c->cap; i++) {
			if (!c->seen[i].frames)
				continue;
			for (j = c->seen[i].hash & (cap - 1); grown[j].frames;
			     j = (j + 1) & (cap - 1))
				;
			grown[j] = c->seen[i];
		}
		free(c->seen);
		c->seen = grown;
		c->cap = cap;
	}
	for (j = h & (c->cap - 1); c->seen[j].frames; j = (j + 1) & (c->cap - 1)) {
		s = &c->seen[j];
		if (s->hash == h && s->pid == pid && s->n == n &&
		    !memcmp(s->frames, frames, n * sizeof(*frames)))
			return s->folded;
	}
	s = &c->seen[j];
	s->frames = malloc((n ? n : 1) * sizeof(*frames));
	s->folded = fold(c, ev, frames, n);
	if (!s->frames || !s->folded) {
		free(s->frames);
		free(s->folded);
		s->frames = NULL;
		return NULL;
	}
	memcpy(s->frames, frames, n * sizeof(*frames));
	s->hash = h;
	s->pid = pid;
	s->n = n;
	c->nseen++;
	return s->folded;
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct stack_ctx *c = ctx;
	struct sonde_agg_key key[2];
	const uint64_t *frames;
	const char *folded;
	int n = sonde_event__stack(ev, &frames, NULL);

	folded = n > 0 ? lookup(c, ev, frames, n) : "[no stack]";
	if (!folded)
		return 0;
	key[0].kind = key[1].kind = SONDE_AGG_KEY_STRING;
	key[0].str = sonde_event__probe_name(ev);
	key[1].str = folded;
	sonde_agg__add(c->g, key, 0);
	return 0;
}

/* --svg FILE: the stacks the final table holds (--top's only), drawn;
 * 0, or EXIT_RUNTIME after saying why not. */
static int write_svg(struct agg_cli *a, struct sonde_agg *g)
{
	const struct sonde_agg_row *const *rows;
	int n = sonde_agg__rows(g, false, &rows), all = n, i, err;
	struct flame_stack *st = calloc(n > 0 ? n : 1, sizeof(*st));
	char *title = NULL, sub[160];
	size_t len = 0;
	uint64_t hits = 0, dropped = sonde_agg__dropped(g);
	FILE *f = open_memstream(&title, &len);
	bool titled = f;

	if (f) {
		fputs("sonde stack", f);
		for (i = 0; i < a->o.nprobes; i++)
			fprintf(f, " %s", a->o.probes[i]);
		titled = !fclose(f);
	}
	if (n < 0 || !st || !titled) {
		err = -ENOMEM;
		goto out;
	}
	if (a->top && n > a->top)
		n = a->top;
	for (i = 0; i < n; i++) {
		st[i] = (struct flame_stack){ rows[i]->key[1].str,
					      rows[i]->count };
		hits += rows[i]->count;
	}
	len = snprintf(sub, sizeof(sub), "%" PRIu64 " hits, %d stacks", hits,
		       n);
	if (n < all)
		len += snprintf(sub + len, sizeof(sub) - len,
				" (--top: the most frequent of %d)", all);
	if (dropped)
		snprintf(sub + len, sizeof(sub) - len,
			 ", %" PRIu64 " hits dropped (--max-keys %zu)", dropped,
			 a->max_keys);
	f = out_open(a->svg);
	if (!f) {
		free(st);
		free(title);
		return EXIT_RUNTIME;
	}
	err = flame_svg_write(f, st, n, title, sub);
	if (err)
		out_discard(f);
	else if (out_close(f))
		err = -EIO; /* said by out_close */
out:
	if (err == -ENOMEM)
		fprintf(stderr, "%s: --svg %s: %s\n", prog, a->svg,
			strerror(ENOMEM));
	free(st);
	free(title);
	return err ? EXIT_RUNTIME : 0;
}

static void print(struct agg_cli *a, void *ctx, bool final)
{
	struct stack_ctx *c = ctx;

	if (final && a->interval)
		return;
	if (final && a->svg)
		c->svg_status = write_svg(a, c->g);
	if (final) {
		a->dropped_run = sonde_agg__dropped(c->g);
		a->run_table = true;
	} else {
		a->dropped_intervals += sonde_agg__dropped(c->g);
	}
	print_stacks(a, c->g);
	sonde_agg__clear(c->g);
}

int cmd_stack(int argc, char **argv)
{
	struct agg_cli a = { .cmd = "stack" };
	struct stack_ctx c = { .a = &a };
	struct sonde_agg_opts go = { .sz = sizeof(go), .nkeys = 2 };
	struct agg_ops ops = { .on_event = on_event, .print = print };
	int status;
	size_t i;

	status = agg_parse(argc, argv, &a, usage);
	if (status)
		return status;
	if (!a.o.nprobes) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (a.nkeys) {
		fprintf(stderr, "%s: stack counts by stack; --by is not taken\n",
			prog);
		return EXIT_USAGE;
	}
	if (a.svg && (!*a.svg || a.interval)) {
		fprintf(stderr, "%s: %s\n", prog,
			*a.svg ? "--svg draws the whole run; -i is not taken "
				 "with it"
			       : "--svg needs a file name");
		return EXIT_USAGE;
	}
	a.o.stack = true;
	go.max_rows = a.max_keys;
	c.g = sonde_agg__new(&go);
	if (!c.g)
		return EXIT_RUNTIME;
	status = agg_main(&a, &ops, &c);
	if (!status)
		status = c.svg_status;
	sonde_agg__free(c.g);
	for (i = 0; i < c.cap; i++) {
		free(c.seen[i].frames);
		free(c.seen[i].folded);
	}
	free(c.seen);
	return status;
}
