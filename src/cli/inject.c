/* SPDX-License-Identifier: MIT */
/* sonde inject: write one record into an event (its inject file), into
 * the instances of running sessions where it is enabled, or the one
 * named; say where it went. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "options.h"

struct inject_cli {
	const char *instance;
	bool top_level;
	bool quiet;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sonde inject [options] EVENT [FIELD=VALUE...]\n"
		"  writes one record into EVENT (SYSTEM:EVENT,\n"
		"  t:SYSTEM:EVENT, or a session's GROUP:EVENT as\n"
		"  'sonde trace -v' names it) through the kernel's inject\n"
		"  file: into every running session where EVENT is enabled,\n"
		"  through its filter and triggers. VALUE: a number, or a\n"
		"  string for a string field; fields left out are 0\n");
	cli_options_help(out, CMD_INJECT);
}

static int inject_option(int id, const char *arg, void *ctx)
{
	struct inject_cli *ic = ctx;

	if (id == OPT_INSTANCE)
		ic->instance = arg;
	else if (id == OPT_TOP_LEVEL)
		ic->top_level = true;
	else
		return EXIT_USAGE;
	return 0;
}

static void written(const char *instance, void *ctx)
{
	const struct inject_cli *ic = ctx;

	if (ic->quiet)
		return;
	if (instance)
		fprintf(stderr, "%s: injected into instance %s\n", prog,
			cli_safe(instance));
	else
		fprintf(stderr, "%s: injected into the top-level instance\n",
			prog);
}

int cmd_inject(int argc, char **argv)
{
	struct inject_cli ic = {0};
	struct sonde_inject_opts io = {.sz = sizeof(io)};
	struct cli_opts o;
	char msg[1024];
	int status, n;

	status = cli_parse_own(argc, argv, &o, usage, inject_option, &ic);
	if (!status)
		status = cli_no_outfile(&o, "inject");
	if (status)
		return status;
	if (o.pid || o.cmd || o.duration > 0 || o.filter || o.trigger ||
	    o.hist || o.stack) {
		fprintf(stderr,
			"%s: inject writes one record and traces nothing: it "
			"takes --instance, --top-level and -q\n",
			prog);
		return EXIT_USAGE;
	}
	if (o.nprobes < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	ic.quiet = o.quiet;
	io.instance = ic.instance;
	io.top_level = ic.top_level;
	io.written = written;
	io.ctx = &ic;
	n = sonde_event__inject(o.probes[0], (const char *const *)o.probes + 1,
				o.nprobes - 1, &io, msg, sizeof(msg));
	if (n >= 0)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, msg);
	/* EINVAL, ENOENT, ENOTSUP, ERANGE, E2BIG: 2; ESRCH and the rest: 1 */
	return error_status(n);
}
