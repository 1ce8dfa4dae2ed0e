/* SPDX-License-Identifier: MIT */
/*
 * The machine-readable forms of an event (docs/json.md): a JSON object
 * per line, numbers as numbers, strings always valid UTF-8 (jsoncsv.c);
 * CSV by RFC 4180 with a header line and one column per field of any of
 * the probes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "frames.h"
#include "line.h"

/* The columns before the fields, and after them (docs/json.md). */
static const char *const csv_head[] = {
	"time", "comm", "pid", "tid", "cpu", "probe", "location",
};
static const char *const csv_tail[] = {"faults", "unchecked"};

/* The args whose bit is set, as a JSON list of names after key. */
static void l_names(struct line *l, const struct sonde_event *ev,
		    const char *key,
		    bool (*is)(const struct sonde_event *, int))
{
	int i, k = 0, n = sonde_event__field_count(ev);

	for (i = 0; i < n; i++) {
		if (!is(ev, i))
			continue;
		l_str(l, k++ ? "," : key);
		l_json_str(l, sonde_event__field_name(ev, i), NULL, "", NULL);
	}
	if (k)
		l_chr(l, ']');
}

/* The args as a JSON object, a read that faulted as null, strings by
 * l_json_str() (their pointers "/args/NAME" into nu when not NULL);
 * returns the number of faults. */
static int l_args(struct line *l, const struct sonde_event *ev,
		  struct not_utf8 *nu)
{
	int i, faults = 0, n = sonde_event__field_count(ev);
	const char *name;

	l_chr(l, '{');
	for (i = 0; i < n; i++) {
		name = sonde_event__field_name(ev, i);
		if (i)
			l_chr(l, ',');
		l_json_str(l, name, NULL, "", NULL);
		l_chr(l, ':');
		if (sonde_event__field_fault(ev, i)) {
			l_str(l, "null");
			faults++;
		} else if (sonde_event__field_kind(ev, i) ==
			   SONDE_FIELD_STRING) {
			l_json_str(l, sonde_event__field_str(ev, i), nu,
				   "/args/", name);
		} else {
			l_number(l, ev, i, false);
		}
	}
	l_chr(l, '}');
	return faults;
}

void print_json_args(FILE *out, const struct sonde_event *ev)
{
	struct line l = { .out = out };

	l_args(&l, ev, NULL);
	l_flush(&l);
}

/* A "stack" being written: each frame's texts (frames.c); in JSON,
 * "/stack/N" into nu */
struct frames_out {
	struct line *l;
	struct not_utf8 *nu;
	int n;
};

static void json_frame(const char *text, void *ctx)
{
	struct frames_out *jf = ctx;
	char idx[16];

	if (jf->n)
		l_chr(jf->l, ',');
	snprintf(idx, sizeof(idx), "%d", jf->n++);
	l_json_str(jf->l, text, jf->nu, "/stack/", idx);
}

/* CSV's "stack" cell: the frames' texts joined by ';' */
static void csv_frame(const char *text, void *ctx)
{
	struct frames_out *cf = ctx;

	if (cf->n++)
		l_chr(cf->l, ';');
	l_str(cf->l, text);
}

void print_json(struct line *l, struct printer *pr,
		const struct sonde_event *ev)
{
	int i, k, faults, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev);
	struct not_utf8 nu = {0};
	const uint64_t *frames;
	bool user;

	l_str(l, "{\"schema\":\"" CLI_SCHEMA "\",\"time\":");
	l_event_time(l, pr, sonde_event__time_ns(ev), false);
	l_str(l, ",\"comm\":");
	l_json_str(l, sonde_event__comm(ev), &nu, "/comm", NULL);
	l_str(l, ",\"pid\":");
	l_s64(l, sonde_event__pid(ev));
	l_str(l, ",\"tid\":");
	l_s64(l, sonde_event__tid(ev));
	l_str(l, ",\"cpu\":");
	l_s64(l, sonde_event__cpu(ev));
	l_str(l, ",\"probe\":");
	l_json_str(l, sonde_event__probe_name(ev), &nu, "/probe", NULL);
	if (loc) {
		l_str(l, ",\"location\":");
		l_json_str(l, loc, &nu, "/location", NULL);
	}
	l_str(l, ",\"args\":");
	faults = l_args(l, ev, &nu);
	/* the args that are null because their read faulted; the 0s that
	 * may be faults (sonde could not tell) */
	if (faults)
		l_names(l, ev, ",\"faults\":[", sonde_event__field_fault);
	l_names(l, ev, ",\"unchecked\":[", sonde_event__field_unchecked);
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	if (n > 0) {
		struct frames_out jf = { l, &nu, 0 };

		l_str(l, ",\"stack\":[");
		for (i = 0; i < n; i++)
			cli_frame_texts(ev, frames, i, k, false, json_frame,
					&jf);
		l_chr(l, ']');
	}
	l_not_utf8(l, &nu);
	l_str(l, "}\n");
}

/* The names of the args whose bit is set, joined by ';', as one cell. */
static void l_csv_names(struct line *l, const struct sonde_event *ev,
			bool (*is)(const struct sonde_event *, int))
{
	int i, k = 0, n = sonde_event__field_count(ev);

	l_chr(l, ',');
	for (i = 0; i < n; i++) {
		if (!is(ev, i))
			continue;
		if (k++)
			l_chr(l, ';');
		l_safe(l, sonde_event__field_name(ev, i), SONDE_ESCAPE_CSV);
	}
}

/* Field i of the event as a cell: empty when it could not be read. */
static void l_csv_field(struct line *l, const struct sonde_event *ev, int i)
{
	if (i < 0 || sonde_event__field_fault(ev, i))
		return;
	if (sonde_event__field_kind(ev, i) == SONDE_FIELD_STRING) {
		l_csv(l, sonde_event__field_str(ev, i));
	} else if (sonde_event__field_kind(ev, i) == SONDE_FIELD_ARRAY) {
		l_chr(l, '"'); /* "[1,2,3]": commas inside */
		l_number(l, ev, i, false);
		l_chr(l, '"');
	} else {
		l_number(l, ev, i, false);
	}
}

void print_csv(struct line *l, struct printer *pr, const struct sonde_event *ev)
{
	int p = sonde_event__probe(ev), c, i, k, n;
	const char *loc = sonde_event__location(ev);
	const uint64_t *frames;
	bool user;

	l_event_time(l, pr, sonde_event__time_ns(ev), false);
	l_chr(l, ',');
	l_csv(l, sonde_event__comm(ev));
	l_chr(l, ',');
	l_s64(l, sonde_event__pid(ev));
	l_chr(l, ',');
	l_s64(l, sonde_event__tid(ev));
	l_chr(l, ',');
	l_s64(l, sonde_event__cpu(ev));
	l_chr(l, ',');
	l_csv(l, sonde_event__probe_name(ev));
	l_chr(l, ',');
	if (loc)
		l_csv(l, loc);
	for (c = 0; c < pr->ncols; c++) {
		l_chr(l, ',');
		i = p >= 0 && p < pr->nprobes
			    ? pr->col_field[p * pr->ncols + c]
			    : sonde_event__field_index(ev, pr->cols[c]);
		l_csv_field(l, ev, i);
	}
	l_csv_names(l, ev, sonde_event__field_fault);
	l_csv_names(l, ev, sonde_event__field_unchecked);
	if (pr->stack) {
		/* innermost first, as in JSON; one cell, ';' between */
		struct line st = {.out = NULL};
		struct frames_out cf = { &st, NULL, 0 };
		char *joined = NULL;
		size_t len = 0;

		l_chr(l, ',');
		n = sonde_event__stack(ev, &frames, &user);
		k = sonde_event__stack_kernel_frames(ev);
		st.out = open_memstream(&joined, &len);
		for (i = 0; st.out && i < n; i++)
			cli_frame_texts(ev, frames, i, k, false, csv_frame,
					&cf);
		if (st.out) {
			l_flush(&st);
			fclose(st.out);
			l_csv(l, joined);
		}
		free(joined);
	}
	l_chr(l, '\n');
}

static bool reserved(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(csv_head) / sizeof(csv_head[0]); i++)
		if (!strcmp(name, csv_head[i]))
			return true;
	for (i = 0; i < sizeof(csv_tail) / sizeof(csv_tail[0]); i++)
		if (!strcmp(name, csv_tail[i]))
			return true;
	return !strcmp(name, "stack");
}

/* The header, and where each probe has each column's field. */
static int csv_begin(struct printer *pr, const struct sonde_session *s)
{
	int np = sonde_session__probe_count(s), p, f, c, nf;
	struct line l = {.out = pr->out};
	const char *name;
	const char **cols;
	size_t i;

	for (p = 0; p < np; p++) {
		nf = sonde_session__probe_field_count(s, p);
		for (f = 0; f < nf; f++) {
			name = sonde_session__probe_field_name(s, p, f);
			for (c = 0; c < pr->ncols; c++)
				if (!strcmp(pr->cols[c], name))
					break;
			if (c < pr->ncols)
				continue;
			cols = realloc(pr->cols,
				       (pr->ncols + 1) * sizeof(*cols));
			if (!cols)
				return -1;
			pr->cols = cols;
			pr->cols[pr->ncols++] = name;
		}
	}
	pr->col_field = malloc((np * pr->ncols + 1) * sizeof(int));
	if (!pr->col_field)
		return -1;
	pr->nprobes = np;
	for (p = 0; p < np; p++) {
		nf = sonde_session__probe_field_count(s, p);
		for (c = 0; c < pr->ncols; c++) {
			pr->col_field[p * pr->ncols + c] = -1;
			for (f = 0; f < nf; f++)
				if (!strcmp(pr->cols[c],
					    sonde_session__probe_field_name(
						    s, p, f)))
					pr->col_field[p * pr->ncols + c] = f;
		}
	}
	for (i = 0; i < sizeof(csv_head) / sizeof(csv_head[0]); i++) {
		l_str(&l, i ? "," : "");
		l_str(&l, csv_head[i]);
	}
	for (c = 0; c < pr->ncols; c++) {
		l_chr(&l, ',');
		/* a field called as a column of every event: args.NAME */
		if (reserved(pr->cols[c]))
			l_str(&l, "args.");
		l_csv(&l, pr->cols[c]);
	}
	for (i = 0; i < sizeof(csv_tail) / sizeof(csv_tail[0]); i++) {
		l_chr(&l, ',');
		l_str(&l, csv_tail[i]);
	}
	if (pr->stack)
		l_str(&l, ",stack");
	l_chr(&l, '\n');
	l_flush(&l);
	return 0;
}

int printer_begin(struct printer *pr, const struct cli_opts *o,
		  const struct sonde_session *s)
{
	pr->color = cli_color(o, pr->out);
	pr->stack = o->stack;
	if (pr->format == OUT_CSV && csv_begin(pr, s)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_RUNTIME;
	}
	return 0;
}

void printer_free(struct printer *pr)
{
	free(pr->cols);
	free(pr->col_field);
	pr->cols = NULL;
	pr->col_field = NULL;
	pr->ncols = 0;
}
