/* SPDX-License-Identifier: MIT */
/* sonde cleanup: remove what sessions killed by SIGKILL left behind. */
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde cleanup [-q]\n"
		     "  removes probe groups and tracing instances of sonde\n"
		     "  sessions whose process is dead; never a live one's\n");
}

static void say(enum sonde_log_level lvl, const char *msg, void *ctx)
{
	const struct cli_opts *o = ctx;

	if (!o->quiet)
		printf("%s\n", msg);
	(void)lvl;
}

int cmd_cleanup(int argc, char **argv)
{
	struct cli_opts o;
	int status, n;

	status = cli_parse(argc, argv, &o, usage);
	if (status)
		return status;
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
