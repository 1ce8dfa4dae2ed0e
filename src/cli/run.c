/* SPDX-License-Identifier: MIT */
/*
 * sonde run: a bpftrace program (-e 'PROGRAM' or FILE.bt, then its $1..$N)
 * compiled by libsonde and run until exit(), -d, -c's end or a signal;
 * bpftrace's output (printf, the maps at the end). `#!/usr/bin/env -S
 * sonde run` as a script's first line works: the kernel runs
 * `sonde run FILE ARGS...`, and '#' starts a comment in the language.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "perfetto.h"

struct run_args {
	const char *program; /* -e */
	bool dry_run;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde run [options] -e 'PROGRAM' [ARGS...]\n"
		     "       sonde run [options] FILE.bt [ARGS...]\n"
		     "  runs a bpftrace program; ARGS are its $1, $2, ...\n");
	cli_options_help(out, CMD_RUN);
}

static int own(int id, const char *arg, void *ctx)
{
	struct run_args *a = ctx;

	switch (id) {
	case OPT_PROGRAM:
		a->program = arg;
		return 0;
	case OPT_DRY_RUN:
		a->dry_run = true;
		return 0;
	}
	return EXIT_USAGE;
}

/* -p: a pid the kernel could have (PID_MAX_LIMIT, bpftrace 0.17's check
 * and words) of a process that is there, else nothing is started. */
static int check_pid(long pid)
{
	if (!pid)
		return 0;
	if (pid > 4194304) {
		fprintf(stderr,
			"ERROR: pid '%ld' out of valid pid range [1,4194304]\n",
			pid);
		return EXIT_USAGE;
	}
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "%s: no process with pid %ld\n", prog, pid);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* Where sonde's options end: at "--", else options may come anywhere,
 * as bpftrace's getopt takes them (a script run as `FILE.bt -c CMD 4`);
 * a parameter that starts with '-' comes after "--". */
static int options_end(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (ferror(f)) {
		fclose(m);
		free(buf);
		buf = NULL;
		errno = EIO;
	} else if (fclose(m)) {
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -f perfetto, --perfetto FILE: each message an instant */
static void to_timeline(const struct sonde_run_msg *m, void *ctx)
{
	struct timeline_msg tm = {.ts = m->time_ns,
				  .pid = m->pid,
				  .tid = m->tid,
				  .comm = m->comm,
				  .name = m->probe,
				  .text = m->text};

	timeline_message(ctx, &tm);
}

/* Until exit(), a signal, -d, or the -c command's or -p process's end. */
static int loop(struct sonde_run *r, const struct cli_opts *o, struct child *c,
		FILE *out, struct timeline *tl)
{
	double deadline = o->duration ? now() + o->duration : 0;
	int timeout, n;

	while (!cli_stop_signal && !sonde_run__exited(r)) {
		timeout = 200;
		if (deadline) {
			double left = deadline - now();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = left * 1000 + 1;
		}
		n = sonde_run__poll(r, timeout);
		if (n < 0)
			return n;
		if (out_error(out) || (tl && timeline_flush(tl, out, false)))
			return -EIO;
		if (c && child_done(c))
			break;
		if (o->pid && kill(o->pid, 0) < 0 && errno == ESRCH)
			break;
	}
	return 0;
}

static int compile(struct sonde_run *r)
{
	int err = sonde_run__compile(r);

	if (err) {
		fprintf(stderr, "%s\n", sonde_run__errmsg(r));
		return error_status(err);
	}
	return 0;
}

static int run(struct sonde_run *r, struct cli_opts *o, struct child *c,
	       FILE **outp, struct timeline *tl)
{
	int err, status = 0;

	cli_hold();
	err = sonde_run__start(r);
	if (err) {
		fprintf(stderr, "%s\n", sonde_run__errmsg(r));
		return error_status(err);
	}
	if (o->cmd && (err = child_release(c))) {
		fprintf(stderr, "%s: cannot run '%s': %s\n", prog, o->cmd,
			strerror(-err));
		return EXIT_RUNTIME;
	}
	err = loop(r, o, o->cmd ? c : NULL, *outp, tl);
	if (err && err != -EIO) {
		fprintf(stderr, "%s: %s\n", prog, sonde_run__errmsg(r));
		status = EXIT_RUNTIME;
	}
	if (!out_error(*outp) && sonde_run__end(r)) {
		fprintf(stderr, "%s: %s\n", prog, sonde_run__errmsg(r));
		status = EXIT_RUNTIME;
	}
	if (tl && (timeline_flush(tl, *outp, true) || timeline_end(tl, *outp)))
		status = EXIT_RUNTIME;
	if (fflush(*outp) == EOF || out_error(*outp))
		status = EXIT_RUNTIME;
	/* exit(code): the status the program asked for */
	if (!status)
		status = sonde_run__exit_code(r) & 0xff;
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct child c = {.pid = -1, .go_fd = -1, .exec_fd = -1};
	struct run_args a = {0};
	struct sonde_run_opts ro = {.sz = sizeof(ro)};
	struct sonde_run *r = NULL;
	struct timeline *tl = NULL;
	FILE *text_out = NULL; /* -f perfetto: the text's, /dev/null */
	struct cli_opts o;
	char *text = NULL;
	FILE *out = stdout;
	char **words;
	int end, status, first = 0, nwords = 0, i;

	end = options_end(argc, argv);
	status = cli_parse_own(end, argv, &o, usage, own, &a);
	if (status)
		return status;
	status = check_pid(o.pid);
	if (status)
		return status;
	/* the words that are not options (getopt put them last, in
	 * o.probes), then those after "--" */
	words = calloc(argc + 1, sizeof(*words));
	if (!words)
		return EXIT_RUNTIME;
	for (i = 0; i < o.nprobes; i++)
		words[nwords++] = o.probes[i];
	for (i = end + 1; i < argc; i++)
		words[nwords++] = argv[i];
	if (o.format == OUT_CSV) {
		fprintf(stderr, "%s: run takes -f text or -f json\n", prog);
		return EXIT_USAGE;
	}
	if (!a.program && !nwords) {
		usage(stderr);
		free(words);
		return EXIT_USAGE;
	}
	if (a.program) {
		ro.text = a.program;
		ro.filename = "stdin"; /* as bpftrace names -e's text */
	} else {
		text = read_file(words[first]);
		if (!text) {
			fprintf(stderr, "%s: cannot read '%s': %s\n", prog,
				cli_safe(words[first]), strerror(errno));
			free(words);
			return EXIT_USAGE;
		}
		ro.text = text;
		ro.filename = words[first++];
	}
	ro.params = words + first;
	ro.nparams = nwords - first;
	ro.pid = o.pid;
	ro.json = o.format == OUT_JSON;
	ro.log = cli_log;
	ro.debug_dir = o.debug_dir;
	ro.max_probes = o.max_probes;
	if (o.format == OUT_PERFETTO || o.perfetto) {
		tl = timeline_new_messages(o.perfetto);
		if (!tl) {
			status = EXIT_RUNTIME;
			goto out;
		}
		ro.msg_fn = to_timeline;
		ro.msg_ctx = tl;
	}
	if (o.cmd && !a.dry_run) {
		int err = child_spawn(o.cmd, &c);

		if (err) {
			fprintf(stderr, "%s: cannot start '%s': %s\n", prog,
				o.cmd, strerror(-err));
			status = EXIT_RUNTIME;
			goto out;
		}
		ro.pid = c.pid;
		o.pid = 0; /* its end is the child's: child_done() */
	}
	r = sonde_run__open(&ro);
	if (!r) {
		fprintf(stderr, "%s: %s\n", prog, strerror(errno));
		status = EXIT_RUNTIME;
		goto out;
	}
	status = compile(r);
	if (status)
		goto out;
	if (a.dry_run) {
		status = sonde_run__dump(r, stdout) ? EXIT_RUNTIME : 0;
		goto out;
	}
	/* -o FILE once the program is known good: a refused run leaves none */
	if (o.outfile && !(out = out_open(o.outfile))) {
		out = stdout;
		status = EXIT_RUNTIME;
		goto out;
	}
	/* -f perfetto: the timeline is the output, the text goes nowhere */
	if (o.format == OUT_PERFETTO && !(text_out = fopen("/dev/null", "we"))) {
		fprintf(stderr, "%s: /dev/null: %s\n", prog, strerror(errno));
		status = EXIT_RUNTIME;
		goto out;
	}
	if (!o.quiet && !text_out) {
		int n = sonde_run__probe_count(r);

		if (ro.json)
			fprintf(out,
				"{\"type\": \"attached_probes\", \"data\": "
				"{\"probes\": %d}}\n",
				n);
		else
			fprintf(out, "Attaching %d probe%s...\n", n,
				n == 1 ? "" : "s");
		fflush(out);
	}
	sonde_run__set_output(r, text_out ? text_out : out);
	status = run(r, &o, &c, &out, tl);
	if (o.cmd && !status) {
		/* the program's exit() ends the run, and the command with
		 * it: 0, as bpftrace gives; else the command's own status */
		bool ended_by_program = sonde_run__exited(r) && !c.exited;

		if (!c.exited)
			child_kill(&c);
		if (!ended_by_program && !sonde_run__exit_code(r))
			status = child_exit_status(&c);
	}
out:
	sonde_run__close(r);
	timeline_free(tl);
	if (text_out)
		fclose(text_out);
	cli_release();
	if (c.pid > 0 && !c.exited)
		child_kill(&c);
	if (out != stdout && out_close(out))
		status = EXIT_RUNTIME;
	free(text);
	free(words);
	cli_end_by_signal();
	return status;
}
