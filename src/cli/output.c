/* SPDX-License-Identifier: MIT */
/* Event printers: text (one line per event, like ftrace's) and JSON (one
 * object per line, numbers as numbers, strings escaped). */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void put_escaped(FILE *out, const char *s, bool json)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20 || (*p == 0x7f && !json))
				fprintf(out, json ? "\\u%04x" : "\\x%02x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void put_value(FILE *out, const struct sonde_event *ev, int i,
		      bool json)
{
	int j, n;

	switch (sonde_event__field_kind(ev, i)) {
	case SONDE_FIELD_SIGNED:
		fprintf(out, "%" PRId64, sonde_event__field_s64(ev, i));
		break;
	case SONDE_FIELD_HEX:
	case SONDE_FIELD_SYMBOL:
		if (json)
			fprintf(out, "%" PRIu64, sonde_event__field_u64(ev, i));
		else
			fprintf(out, "0x%" PRIx64,
				sonde_event__field_u64(ev, i));
		break;
	case SONDE_FIELD_STRING:
		put_escaped(out, sonde_event__field_str(ev, i) ?: "", json);
		break;
	case SONDE_FIELD_ARRAY:
		n = sonde_event__field_len(ev, i);
		fputc(json ? '[' : '{', out);
		for (j = 0; j < n; j++)
			fprintf(out, "%s%" PRIu64, j ? "," : "",
				sonde_event__field_elem(ev, i, j));
		fputc(json ? ']' : '}', out);
		break;
	default:
		fprintf(out, "%" PRIu64, sonde_event__field_u64(ev, i));
	}
}

static void print_text(FILE *out, const struct sonde_event *ev)
{
	uint64_t ns = sonde_event__time_ns(ev);
	int i, k, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev);
	const uint64_t *frames;
	char sym[256];
	bool user;

	fprintf(out, "%6" PRIu64 ".%06" PRIu64 " %-16s %d/%d [%03d] %s:",
		ns / 1000000000, ns % 1000000000 / 1000, sonde_event__comm(ev),
		sonde_event__pid(ev), sonde_event__tid(ev),
		sonde_event__cpu(ev), sonde_event__probe_name(ev));
	if (loc)
		fprintf(out, " (%s)", loc);
	for (i = 0; i < n; i++) {
		fprintf(out, " %s=", sonde_event__field_name(ev, i));
		put_value(out, ev, i, false);
	}
	fputc('\n', out);
	/* the stack as ftrace prints it: one "=> frame" line each; kernel
	 * frames first, then user frames */
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	for (i = 0; i < n; i++)
		fprintf(out, " => %s\n",
			sonde_event__symbolize(ev, frames[i], i >= k, sym,
					       sizeof(sym)));
}

static void print_json(FILE *out, const struct sonde_event *ev)
{
	uint64_t ns = sonde_event__time_ns(ev);
	int i, k, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev);
	const uint64_t *frames;
	char sym[256];
	bool user;

	fprintf(out, "{\"time\":%" PRIu64 ".%09" PRIu64 ",\"comm\":",
		ns / 1000000000, ns % 1000000000);
	put_escaped(out, sonde_event__comm(ev), true);
	fprintf(out, ",\"pid\":%d,\"tid\":%d,\"cpu\":%d,\"probe\":\"%s\"",
		sonde_event__pid(ev), sonde_event__tid(ev),
		sonde_event__cpu(ev), sonde_event__probe_name(ev));
	if (loc) {
		fputs(",\"location\":", out);
		put_escaped(out, loc, true);
	}
	fputs(",\"args\":{", out);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "",
			sonde_event__field_name(ev, i));
		put_value(out, ev, i, true);
	}
	fputc('}', out);
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	if (n > 0) {
		fputs(",\"stack\":[", out);
		for (i = 0; i < n; i++) {
			fputs(i ? "," : "", out);
			put_escaped(out,
				    sonde_event__symbolize(ev, frames[i],
							   i >= k, sym,
							   sizeof(sym)),
				    true);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
}

static void print_csv(FILE *out, const struct sonde_event *ev)
{
	uint64_t ns = sonde_event__time_ns(ev);
	int i, n = sonde_event__field_count(ev);

	fprintf(out, "%" PRIu64 ".%09" PRIu64 ",%s,%d,%d,%d,%s",
		ns / 1000000000, ns % 1000000000, sonde_event__comm(ev),
		sonde_event__pid(ev), sonde_event__tid(ev),
		sonde_event__cpu(ev), sonde_event__probe_name(ev));
	for (i = 0; i < n; i++) {
		fprintf(out, ",%s=", sonde_event__field_name(ev, i));
		put_value(out, ev, i, true);
	}
	fputc('\n', out);
}

int print_event(const struct sonde_event *ev, void *ctx)
{
	struct printer *pr = ctx;

	switch (pr->format) {
	case OUT_JSON:
		print_json(pr->out, ev);
		break;
	case OUT_CSV:
		print_csv(pr->out, ev);
		break;
	default:
		print_text(pr->out, ev);
	}
	if (ferror(pr->out)) {
		pr->failed = true;
		return 1; /* stop delivering: the reader is gone */
	}
	return 0;
}
