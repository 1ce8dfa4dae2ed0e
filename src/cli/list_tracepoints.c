/* SPDX-License-Identifier: MIT */
/* sonde list t:[SYSTEM[:EVENT]]: the kernel's tracepoints, as specs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static int print_tp(const char *system, const char *event, void *ctx)
{
	int *n = ctx;

	printf("t:%s:%s\n", cli_safe(system), cli_safe(event));
	(*n)++;
	return 0;
}

/* arg: what follows "t:" (or "tracepoint:"): SYSTEM[:EVENT], patterns;
 * an empty part is every one. */
int list_tracepoints(const char *arg, const struct cli_opts *o)
{
	char *sys = strdup(arg), *ev;
	int n = 0, err;

	if (!sys)
		return EXIT_RUNTIME;
	ev = strchr(sys, ':');
	if (ev)
		*ev++ = '\0';
	err = sonde_tracepoints__list(*sys ? sys : NULL, ev && *ev ? ev : NULL,
				      print_tp, &n);
	if (err < 0) {
		fprintf(stderr, "%s: cannot list tracepoints: %s\n", prog,
			err == -ENODEV ? "tracefs is not mounted"
				       : strerror(-err));
		free(sys);
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		fprintf(stderr, "%d tracepoint%s matching '%s:%s'\n", n,
			n == 1 ? "" : "s", *sys ? sys : "*",
			ev && *ev ? ev : "*");
	free(sys);
	return 0;
}
