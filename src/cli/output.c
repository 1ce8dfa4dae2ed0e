/* SPDX-License-Identifier: MIT */
/*
 * Event printers: text (one line per event, like ftrace's, coloured with
 * --color), JSON and CSV (output_data.c); the time of each by --time.
 * Each line is built in a buffer (line.h) and written with one fwrite.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "frames.h"
#include "line.h"

bool cli_color(const struct cli_opts *o, FILE *out)
{
	const char *no = getenv("NO_COLOR");

	/* never in JSON, CSV or a timeline, nor in an -o file, whatever
	 * was asked */
	if (o->format != OUT_TEXT || out != stdout || o->color == COLOR_NEVER)
		return false;
	if (o->color == COLOR_ALWAYS)
		return true;
	/* no-color.org: NO_COLOR set and not empty */
	return isatty(STDOUT_FILENO) && !(no && *no);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The events' times are CLOCK_MONOTONIC (trace_clock mono, perf's clockid
 * CLOCK_MONOTONIC). Wall-clock time is that plus the difference of
 * CLOCK_REALTIME and CLOCK_MONOTONIC read together at the start, as perf
 * does: `perf record` keeps such a pair of readings (the clock data of its
 * header) and `perf script -F tod` adds their difference to each event's
 * time. A step of the wall clock during the trace (settimeofday, NTP)
 * does not move the events: they keep the start's offset. The realtime
 * read is bracketed by two monotonic ones and taken against their middle.
 */
void printer_clock(struct printer *pr)
{
	uint64_t m1 = clock_ns(CLOCK_MONOTONIC);
	uint64_t r = clock_ns(CLOCK_REALTIME);
	uint64_t m2 = clock_ns(CLOCK_MONOTONIC);

	pr->start_ns = m1;
	pr->wall_off_ns = (int64_t)(r - (m1 + (m2 - m1) / 2));
	pr->wall_sec = -1;
}

/* The local date and time of second sec, with its UTC offset, as RFC 3339
 * writes them: "2026-12-07T09:40:01" and "+01:00" (cached per second). */
static void wall_text(struct printer *pr, int64_t sec, bool date)
{
	char day[32], zone[24];
	time_t t = (time_t)sec;
	struct tm tm;
	long off;

	if (sec == pr->wall_sec)
		return;
	pr->wall_sec = sec;
	localtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+',
		 labs(off) / 60, labs(off) % 60);
	snprintf(pr->wall_text, sizeof(pr->wall_text), "%s|%s",
		 date ? day : day + 11, zone);
}

void l_event_time(struct line *l, struct printer *pr, uint64_t ns, bool text)
{
	int64_t wall, sec;
	const char *bar;

	switch (pr->time) {
	case TIME_REL:
		l_time(l, (int64_t)(ns - pr->start_ns), text ? 6 : 9,
		       text ? 6 : 0);
		return;
	case TIME_WALL:
		break;
	default:
		l_time(l, (int64_t)ns, text ? 6 : 9, text ? 6 : 0);
		return;
	}
	wall = (int64_t)ns + pr->wall_off_ns;
	sec = wall / 1000000000;
	wall_text(pr, sec, !text);
	bar = strchr(pr->wall_text, '|');
	if (!text && pr->format == OUT_JSON)
		l_chr(l, '"');
	l_mem(l, pr->wall_text, bar - pr->wall_text);
	l_chr(l, '.');
	l_u64w(l, wall % 1000000000 / 1000, 6, '0');
	if (!text)
		l_str(l, bar + 1);
	if (!text && pr->format == OUT_JSON)
		l_chr(l, '"');
}

static void l_on(struct line *l, const struct printer *pr, const char *c)
{
	if (pr->color)
		l_str(l, c);
}

/* a frame of the stack (frames.c): " => frame" lines as ftrace prints */
static void text_frame(const char *text, void *ctx)
{
	struct line *l = ctx;

	l_str(l, " => ");
	l_safe(l, text, 0);
	l_chr(l, '\n');
}

static void l_off(struct line *l, const struct printer *pr)
{
	if (pr->color)
		l_str(l, CLI_RESET);
}

void l_number(struct line *l, const struct sonde_event *ev, int i, bool text)
{
	int j, n;

	switch (sonde_event__field_kind(ev, i)) {
	case SONDE_FIELD_SIGNED:
		l_s64(l, sonde_event__field_s64(ev, i));
		break;
	case SONDE_FIELD_HEX:
	case SONDE_FIELD_SYMBOL:
		if (text)
			l_hex(l, sonde_event__field_u64(ev, i));
		else
			l_u64(l, sonde_event__field_u64(ev, i));
		break;
	case SONDE_FIELD_ARRAY:
		n = sonde_event__field_len(ev, i);
		l_chr(l, text ? '{' : '[');
		for (j = 0; j < n; j++) {
			if (j)
				l_chr(l, ',');
			l_u64(l, sonde_event__field_elem(ev, i, j));
		}
		l_chr(l, text ? '}' : ']');
		break;
	default:
		l_u64(l, sonde_event__field_u64(ev, i));
	}
}

static void l_text_value(struct line *l, const struct printer *pr,
			 const struct sonde_event *ev, int i)
{
	/* a value that could not be read: the kernel's own word for a
	 * string, for numbers too */
	if (sonde_event__field_fault(ev, i)) {
		l_on(l, pr, CLI_FAULT);
		l_str(l, "(fault)");
		l_off(l, pr);
		return;
	}
	if (sonde_event__field_kind(ev, i) == SONDE_FIELD_STRING) {
		l_on(l, pr, CLI_STRING);
		l_chr(l, '"');
		l_safe(l, sonde_event__field_str(ev, i) ?: "",
		       SONDE_ESCAPE_QUOTED);
		l_chr(l, '"');
	} else {
		l_on(l, pr, CLI_NUMBER);
		l_number(l, ev, i, true);
	}
	l_off(l, pr);
}

static void print_text(struct line *l, struct printer *pr,
		       const struct sonde_event *ev)
{
	int i, k, n = sonde_event__field_count(ev);
	const char *loc = sonde_event__location(ev), *comm;
	const uint64_t *frames;
	size_t len;
	bool user;

	/* "%6s.%06s %-16s %d/%d [%03d] %s:" */
	l_event_time(l, pr, sonde_event__time_ns(ev), true);
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
	l_on(l, pr, CLI_PROBE);
	l_safe(l, sonde_event__probe_name(ev), 0);
	l_off(l, pr);
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
		l_text_value(l, pr, ev, i);
		/* a 0 that may be a fault: sonde could not tell */
		if (sonde_event__field_unchecked(ev, i))
			l_str(l, "(unchecked)");
	}
	l_chr(l, '\n');
	/* the stack as ftrace prints it: one "=> frame" line each; kernel
	 * frames first, then user frames */
	n = sonde_event__stack(ev, &frames, &user);
	k = sonde_event__stack_kernel_frames(ev);
	for (i = 0; i < n; i++)
		cli_frame_texts(ev, frames, i, k, false, text_frame, l);
}

int print_event(const struct sonde_event *ev, void *ctx)
{
	struct printer *pr = ctx;
	struct line l;

	l.out = pr->out;
	l.n = 0;
	switch (pr->format) {
	case OUT_JSON:
		print_json(&l, pr, ev);
		break;
	case OUT_CSV:
		print_csv(&l, pr, ev);
		break;
	default:
		print_text(&l, pr, ev);
	}
	l_flush(&l);
	if (ferror(pr->out)) {
		pr->failed = true;
		return 1; /* stop delivering: the reader is gone */
	}
	return 0;
}
