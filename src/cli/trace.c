/* SPDX-License-Identifier: MIT */
/* sonde trace: stream the events of probes until Ctrl-C, -d or -c's end. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "line.h"
#include "options.h"
#include "perfetto.h"

/* Where the events go: the printer, and a timeline with -f perfetto (to
 * the printer's file, instead of its lines) or --perfetto FILE. */
struct sink {
	struct printer pr;
	struct timeline *tl;
};

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct sink *k = ctx;

	if (k->tl && timeline_event(ev, k->tl))
		return 1;
	if (k->pr.format == OUT_PERFETTO)
		return 0;
	return print_event(ev, &k->pr);
}

/* The timeline's events old enough to be in order (final: all). */
static void flush_timeline(struct sink *k, bool final)
{
	if (k->tl && timeline_flush(k->tl, k->pr.out, final))
		k->pr.failed = true;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde trace PROBE... [options]\n"
		     "  streams the events of the probes\n");
	cli_options_help(out, CMD_TRACE);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "sonde: N events, M lost[ (per cpu)][, K faults]": faults are values
 * read through a bad address, shown as (fault). */
static void summary(struct sonde_session *s, const struct cli_opts *o)
{
	struct sonde_stats st = { .sz = sizeof(st) };
	int cpu;

	if (sonde_session__stats(s, &st))
		return;
	if (o->quiet && !st.lost && !st.faults && !st.unchecked)
		return;
	fprintf(stderr, "%s: %llu events, %llu lost", prog,
		(unsigned long long)st.events, (unsigned long long)st.lost);
	if (st.lost) {
		const char *sep = " (";

		for (cpu = 0; cpu < st.ncpus; cpu++) {
			if (!st.lost_per_cpu[cpu])
				continue;
			fprintf(stderr, "%scpu%d: %llu", sep, cpu,
				(unsigned long long)st.lost_per_cpu[cpu]);
			sep = ", ";
		}
		fprintf(stderr, ")");
	}
	if (st.faults)
		fprintf(stderr, ", %llu fault%s", (unsigned long long)st.faults,
			st.faults == 1 ? "" : "s");
	if (st.unchecked)
		fprintf(stderr, ", %llu unchecked (0 or a fault: the process had exited)",
			(unsigned long long)st.unchecked);
	if (st.lost)
		fprintf(stderr, "; a larger --buffer-kb keeps more");
	fputc('\n', stderr);
}

/* The kernel's hist file of each probe, as it shows it; in JSON, an
 * object holding its text (docs/json.md). */
static void print_hists(struct sonde_session *s, FILE *out, bool json)
{
	struct not_utf8 nu = {0};
	int i;

	for (i = 0; i < sonde_session__probe_count(s); i++) {
		const char *h = sonde_session__probe_hist(s, i);

		if (!h)
			continue;
		if (!json) {
			fprintf(out, "# %s\n%s",
				cli_safe(sonde_session__probe_name(s, i)),
				cli_safe_lines(h));
			continue;
		}
		fputs("{\"schema\":\"" CLI_SCHEMA "\",\"type\":\"kernel_hist\","
		      "\"probe\":",
		      out);
		put_json_str(out, sonde_session__probe_name(s, i), &nu,
			     "/probe", NULL);
		fputs(",\"text\":", out);
		put_json_str(out, h, &nu, "/text", NULL);
		put_not_utf8(out, &nu);
		fputs("}\n", out);
	}
	fflush(out);
}

/* Poll until a signal, the deadline, the command's or process's end, or
 * an output error. */
static int run(struct sonde_session *s, const struct cli_opts *o,
	       struct child *c, struct sink *k)
{
	struct printer *pr = &k->pr;
	double deadline = o->duration ? now() + o->duration : 0;
	int timeout, n;

	while (!cli_stop_signal && !pr->failed) {
		timeout = 200;
		if (deadline) {
			double left = deadline - now();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = left * 1000 + 1;
		}
		n = sonde_session__poll(s, timeout);
		if (n < 0 && n != -EINTR && n != -ECANCELED)
			return n;
		flush_timeline(k, false);
		if (fflush(pr->out) == EOF || out_error(pr->out))
			pr->failed = true;
		if (c && child_done(c))
			break;
		if (o->pid && kill(o->pid, 0) < 0 && errno == ESRCH)
			break;
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	struct sink k = { .pr.out = stdout };
	struct printer *pr = &k.pr;
	struct child c = { .pid = -1, .go_fd = -1, .exec_fd = -1 };
	struct cli_opts o;
	struct sonde_session *s;
	int status, err;

	status = cli_parse(argc, argv, &o, usage);
	if (status)
		return status;
	if (!o.nprobes) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.call_graph && !o.stack) {
		fprintf(stderr, "%s: --call-graph says how stacks are walked: "
				"it needs -s\n",
			prog);
		return EXIT_USAGE;
	}
	if (o.hist && o.format == OUT_CSV) {
		fprintf(stderr,
			"%s: --hist prints the kernel's histogram text, which "
			"is no CSV table: use -f text or -f json\n",
			prog);
		return EXIT_USAGE;
	}
	pr->format = o.format;
	pr->time = o.time;
	if (o.cmd) {
		err = child_spawn(o.cmd, &c);
		if (err) {
			fprintf(stderr, "%s: cannot start '%s': %s\n", prog,
				o.cmd, strerror(-err));
			return EXIT_RUNTIME;
		}
		o.pid = c.pid;
		o.follow_fork = true;
	}
	s = cli_session(&o, &status);
	if (!s)
		goto out_child;
	if ((o.format == OUT_PERFETTO || o.perfetto) &&
	    !(k.tl = timeline_new(s, o.perfetto))) {
		status = EXIT_RUNTIME;
		goto out_session;
	}
	sonde_session__set_callback(s, on_event, &k);
	printer_clock(pr);
	err = sonde_session__start(s);
	if (err) {
		print_error(NULL, sonde_session__errmsg(s), -1);
		status = error_status(err);
		goto out_session;
	}
	/* -o FILE only now: a refused run leaves no file, an existing one
	 * untouched; no event is read before run() */
	if (o.outfile && !(pr->out = out_open(o.outfile))) {
		pr->out = stdout;
		status = EXIT_RUNTIME;
		goto out_session;
	}
	status = printer_begin(pr, &o, s);
	if (status) {
		if (pr->out != stdout)
			out_discard(pr->out);
		pr->out = stdout;
		goto out_session;
	}
	if (o.cmd && (err = child_release(&c))) {
		fprintf(stderr, "%s: cannot run '%s': %s\n", prog, o.cmd,
			strerror(-err));
		status = EXIT_RUNTIME;
		if (pr->out != stdout)
			out_discard(pr->out);
		pr->out = stdout;
		goto out_session;
	}
	err = run(s, &o, o.cmd ? &c : NULL, &k);
	if (!pr->failed)
		sonde_session__drain(s);
	if (!pr->failed)
		flush_timeline(&k, true);
	/* the timeline ends valid after Ctrl-C, -d or an error too */
	if (k.tl && timeline_end(k.tl, pr->out))
		pr->failed = true;
	if (fflush(pr->out) == EOF || out_error(pr->out))
		pr->failed = true;
	if (err) {
		fprintf(stderr, "%s: reading events: %s\n", prog,
			strerror(-err));
		status = EXIT_RUNTIME;
	}
	if (o.hist && !pr->failed) {
		print_hists(s, pr->out, o.format == OUT_JSON);
		pr->failed = out_error(pr->out);
	}
	/* the first write error is printed (out_error); the events counted
	 * were not all written, so no summary of them */
	if (pr->failed)
		status = EXIT_RUNTIME;
	else
		summary(s, &o);
	if (o.cmd && !status) {
		if (!c.exited) {
			/* Ctrl-C or -d before the command ended */
			child_kill(&c);
		}
		status = child_exit_status(&c);
	}
out_session:
	timeline_free(k.tl);
	cli_session_close(s);
out_child:
	if (c.pid > 0 && !c.exited)
		child_kill(&c);
	if (pr->out != stdout && out_close(pr->out))
		status = EXIT_RUNTIME;
	printer_free(pr);
	return status;
}
