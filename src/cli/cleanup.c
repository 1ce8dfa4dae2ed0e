/* SPDX-License-Identifier: MIT */
/* sonde cleanup: remove what sessions killed by SIGKILL left behind. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde cleanup [options] [GROUP...]\n"
		     "  removes probe groups and tracing instances of sonde\n"
		     "  sessions whose process is dead; never a live one's.\n"
		     "  GROUP (sonde_PID_N): that group, also when no lock\n"
		     "  file proves its owner dead\n");
	cli_options_help(out, CMD_CLEANUP);
}

static void say(enum sonde_log_level lvl, const char *msg, void *ctx)
{
	const struct cli_opts *o = ctx;

	if (!o->quiet)
		printf("%s\n", msg);
	(void)lvl;
}

/* sonde cleanup GROUP...: each named group, as the user says it is dead */
static int cleanup_named(struct cli_opts *o, int n, char **groups)
{
	int i, r, status = 0;

	for (i = 0; i < n; i++) {
		r = sonde_cleanup_group(groups[i], say, o);
		if (r >= 0)
			continue;
		fprintf(stderr, "%s: cleanup: %s: %s\n", prog,
			cli_safe(groups[i]),
			r == -EBUSY    ? "its session is alive, or the kernel "
					 "keeps some of its probes busy"
			: r == -ENOENT ? "no such group or instance"
			: r == -EINVAL ? "not a sonde session's group "
					 "(sonde_PID_N)"
			: r == -EPERM  ? "tracing needs root"
				       : strerror(-r));
		status = r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return status;
}

int cmd_cleanup(int argc, char **argv)
{
	struct cli_opts o;
	int status, n;

	status = cli_parse(argc, argv, &o, usage);
	if (!status)
		status = cli_no_outfile(&o, "cleanup");
	if (status)
		return status;
	if (optind < argc)
		return cleanup_named(&o, argc - optind, argv + optind);
	n = sonde_cleanup(say, &o);
	if (n < 0) {
		fprintf(stderr, "%s: cleanup: %s\n", prog,
			n == -1 ? "tracing needs root" : strerror(-n));
		return EXIT_RUNTIME;
	}
	if (!o.quiet)
		printf("removed %d leftover%s of dead sessions\n", n,
		       n == 1 ? "" : "s");
	return 0;
}
