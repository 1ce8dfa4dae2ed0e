/* SPDX-License-Identifier: MIT */
/*
 * Event printers: text (one line per event, like ftrace's), JSON (one
 * object per line, numbers as numbers, strings escaped) and CSV.
 * This is the per-event hot path of `sonde trace`: a line is built in a
 * buffer with hand-written number formatting and written with one fwrite
 * (one fprintf per field cost ~90% of the user-space time per event).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct line {
	FILE *out;
	size_t n;
	char buf[4096];
};

static void l_flush(struct line *l)
{
	if (l->n)
		fwrite(l->buf, 1, l->n, l->out);
	l->n = 0;
}

static void l_mem(struct line *l, const char *s, size_t len)
{
	if (l->n + len > sizeof(l->buf)) {
		l_flush(l);
		if (len > sizeof(l->buf)) {
			fwrite(s, 1, len, l->out);
			return;
		}
	}
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

static void l_str(struct line *l, const char *s)
{
	l_mem(l, s, strlen(s));
}

static void l_chr(struct line *l, char c)
{
	if (l->n == sizeof(l->buf))
		l_flush(l);
	l->buf[l->n++] = c;
}

/* v in decimal, at least width digits wide (zero- or space-padded) */
static void l_u64w(struct line *l, uint64_t v, int width, char pad)
{
	char d[24];
	int i = sizeof(d);

	do {
		d[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	while ((int)sizeof(d) - i < width)
		d[--i] = pad;
	l_mem(l, d + i, sizeof(d) - i);
}

static void l_u64(struct line *l, uint64_t v)
{
	l_u64w(l, v, 0, ' ');
}

static void l_s64(struct line *l, int64_t v)
{
	if (v < 0) {
		l_chr(l, '-');
		l_u64(l, -(uint64_t)v);
	} else {
		l_u64(l, v);
	}
}

static void l_hex(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char d[18];
	int i = sizeof(d);

	do {
		d[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	d[--i] = 'x';
	d[--i] = '0';
	l_mem(l, d + i, sizeof(d) - i);
}

/* Does s need sonde_text__escape() (with the quotes of a string)? */
static bool needs_escape(const char *s, bool quoted)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f ||
		    (quoted && (*p == '"' || *p == '\\')))
			return true;
	return false;
}

/* Text from outside (a name, a comm, a string the process holds), escaped
 * by the library's one rule (sonde_text__escape()). */
static void l_safe(struct line *l, const char *s, unsigned int flags)
{
	char small[512], *big = NULL, *e = small;
	size_t n;

	if (!needs_escape(s,
			  flags & (SONDE_ESCAPE_QUOTED | SONDE_ESCAPE_JSON))) {
		l_str(l, s);
		return;
	}
	n = sonde_text__escape(small, sizeof(small), s, flags);
	if (n >= sizeof(small) && (big = malloc(n + 1)))
		sonde_text__escape(e = big, n + 1, s, flags);
	l_str(l, e);
	free(big);
}

static void l_escaped(struct line *l, const char *s, bool json)
{
	l_chr(l, '"');
	l_safe(l, s, json ? SONDE_ESCAPE_JSON : SONDE_ESCAPE_QUOTED);
	l_chr(l, '"');
}

#define SLOTS 8
/* The same for printf: the escaped copy lives until SLOTS more calls. */
static const char *safe_copy(const char *s, unsigned int flags)
{
	static char *slot[SLOTS];
	static unsigned int next;
	char **p = &slot[next++ % SLOTS];
	size_t n;

	if (!s || !needs_escape(s, false))
		return s ? s : "";
	n = sonde_text__escape(NULL, 0, s, flags);
	free(*p);
	*p = malloc(n + 1);
	if (!*p)
		return "(out of memory)";
	sonde_text__escape(*p, n + 1, s, flags);
	return *p;
}

const char *cli_safe(const char *s)
{
	return safe_copy(s, 0);
}

const char *cli_safe_lines(const char *s)
{
	return safe_copy(s, SONDE_ESCAPE_LINES);
}

static void l_value(struct line *l, const struct sonde_event *ev, int i,
		    bool json)
{
	int j, n;

	/* a value that could not be read: the kernel's own word for a
	 * string, for numbers too (JSON: null, see print_json) */
	if (sonde_event__field_fault(ev, i)) {
		l_str(l, "(fault)");
		return;
	}
	switch (sonde_event__field_kind(ev, i)) {
	case SONDE_FIELD_SIGNED:
		l_s64(l, sonde_event__field_s64(ev, i));
		break;
	case SONDE_FIELD_HEX:
	case SONDE_FIELD_SYMBOL:
		if (json)
			l_u64(l, sonde_event__field_u64(ev, i));
		else
			l_hex(l, sonde_event__field_u64(ev, i));
		break;
	case SONDE_FIELD_STRING:
		l_escaped(l, sonde_event__field_str(ev, i) ?: "", json);
		break;
	case SONDE_FIELD_ARRAY:
		n = sonde_event__field_len(ev, i);
		l_chr(l, json ? '[' : '{');
		for (j = 0; j < n; j++) {
			if (j)
				l_chr(l, ',');
			l_u64(l, sonde_event__field_elem(ev, i, j));
		}
		l_chr(l, json ? ']' : '}');
		break;
	default:
		l_u64(l, sonde_event__field_u64(ev, i));
	}
}

/* seconds.fraction of a nanosecond time: 6 or 9 decimals */
static void l_time(struct line *l, uint64_t ns, int decimals, int width)
{
	l_u64w(l, ns / 1000000000, width, ' ');
	l_chr(l, '.');
	if (decimals == 6)
		l_u64w(l, ns % 1000000000 / 1000, 6, '0');
	else
		l_u64w(l, ns % 1000000000, 9, '0');
}

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
		l_escaped(l, sonde_event__field_name(ev, i), true);
	}
	if (k)
		l_chr(l, ']');
}

static void print_text(struct line *l, const struct sonde_event *ev)
{
	int i, k, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev), *comm;
	const uint64_t *frames;
	char sym[256];
	size_t len;
	bool user;

	/* "%6s.%06s %-16s %d/%d [%03d] %s:" */
	l_time(l, sonde_event__time_ns(ev), 6, 6);
	l_chr(l, ' ');
	comm = sonde_event__comm(ev);
	l_safe(l, comm, 0);
	for (len = strlen(comm); len < 16; len++)
		l_chr(l, ' ');
	l_chr(l, ' ');
	l_s64(l, sonde_event__pid(ev));
	l_chr(l, '/');
	l_s64(l, sonde_event__tid(ev));
	l_str(l, " [");
	l_u64w(l, sonde_event__cpu(ev), 3, '0');
	l_str(l, "] ");
	l_safe(l, sonde_event__probe_name(ev), 0);
	l_chr(l, ':');
	if (loc) {
		l_str(l, " (");
		l_safe(l, loc, 0);
		l_chr(l, ')');
	}
	for (i = 0; i < n; i++) {
		l_chr(l, ' ');
		l_safe(l, sonde_event__field_name(ev, i), 0);
		l_chr(l, '=');
		l_value(l, ev, i, false);
		/* a 0 that may be a fault: sonde could not tell */
		if (sonde_event__field_unchecked(ev, i))
			l_str(l, "(unchecked)");
	}
	l_chr(l, '\n');
	/* the stack as ftrace prints it: one "=> frame" line each; kernel
	 * frames first, then user frames */
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	for (i = 0; i < n; i++) {
		l_str(l, " => ");
		l_safe(l,
		       sonde_event__symbolize(ev, frames[i], i >= k, sym,
					      sizeof(sym)),
		       0);
		l_chr(l, '\n');
	}
}

/* The args as a JSON object, a read that faulted as null; returns the
 * number of faults. */
static int l_args(struct line *l, const struct sonde_event *ev)
{
	int i, faults = 0, n = sonde_event__field_count(ev);

	l_chr(l, '{');
	for (i = 0; i < n; i++) {
		if (i)
			l_chr(l, ',');
		l_escaped(l, sonde_event__field_name(ev, i), true);
		l_chr(l, ':');
		if (sonde_event__field_fault(ev, i)) {
			l_str(l, "null");
			faults++;
		} else {
			l_value(l, ev, i, true);
		}
	}
	l_chr(l, '}');
	return faults;
}

void print_json_args(FILE *out, const struct sonde_event *ev)
{
	struct line l = { .out = out };

	l_args(&l, ev);
	l_flush(&l);
}

static void print_json(struct line *l, const struct sonde_event *ev)
{
	int i, k, faults, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev);
	const uint64_t *frames;
	char sym[256];
	bool user;

	l_str(l, "{\"time\":");
	l_time(l, sonde_event__time_ns(ev), 9, 0);
	l_str(l, ",\"comm\":");
	l_escaped(l, sonde_event__comm(ev), true);
	l_str(l, ",\"pid\":");
	l_s64(l, sonde_event__pid(ev));
	l_str(l, ",\"tid\":");
	l_s64(l, sonde_event__tid(ev));
	l_str(l, ",\"cpu\":");
	l_s64(l, sonde_event__cpu(ev));
	l_str(l, ",\"probe\":");
	l_escaped(l, sonde_event__probe_name(ev), true);
	if (loc) {
		l_str(l, ",\"location\":");
		l_escaped(l, loc, true);
	}
	l_str(l, ",\"args\":");
	faults = l_args(l, ev);
	/* the args that are null because their read faulted; the 0s that
	 * may be faults (sonde could not tell) */
	if (faults)
		l_names(l, ev, ",\"faults\":[", sonde_event__field_fault);
	l_names(l, ev, ",\"unchecked\":[", sonde_event__field_unchecked);
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	if (n > 0) {
		l_str(l, ",\"stack\":[");
		for (i = 0; i < n; i++) {
			if (i)
				l_chr(l, ',');
			l_escaped(l,
				  sonde_event__symbolize(ev, frames[i], i >= k,
							 sym, sizeof(sym)),
				  true);
		}
		l_chr(l, ']');
	}
	l_str(l, "}\n");
}

static void print_csv(struct line *l, const struct sonde_event *ev)
{
	int i, n = sonde_event__field_count(ev);

	l_time(l, sonde_event__time_ns(ev), 9, 0);
	l_chr(l, ',');
	l_safe(l, sonde_event__comm(ev), 0);
	l_chr(l, ',');
	l_s64(l, sonde_event__pid(ev));
	l_chr(l, ',');
	l_s64(l, sonde_event__tid(ev));
	l_chr(l, ',');
	l_s64(l, sonde_event__cpu(ev));
	l_chr(l, ',');
	l_safe(l, sonde_event__probe_name(ev), 0);
	for (i = 0; i < n; i++) {
		l_chr(l, ',');
		l_safe(l, sonde_event__field_name(ev, i), 0);
		l_chr(l, '=');
		l_value(l, ev, i, true);
		if (sonde_event__field_unchecked(ev, i))
			l_str(l, "(unchecked)");
	}
	l_chr(l, '\n');
}

int print_event(const struct sonde_event *ev, void *ctx)
{
	struct printer *pr = ctx;
	struct line l;

	l.out = pr->out;
	l.n = 0;
	switch (pr->format) {
	case OUT_JSON:
		print_json(&l, ev);
		break;
	case OUT_CSV:
		print_csv(&l, ev);
		break;
	default:
		print_text(&l, ev);
	}
	l_flush(&l);
	if (ferror(pr->out)) {
		pr->failed = true;
		return 1; /* stop delivering: the reader is gone */
	}
	return 0;
}
