/* SPDX-License-Identifier: MIT */
/* sonde format PROBE: make the probe, print its event's format file (name,
 * ID, fields, print fmt) as the kernel shows it, remove the probe. */
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde format PROBE [-v]\n"
		     "  prints the event's format: name, ID, fields and their\n"
		     "  offsets, sizes and signedness, print fmt; -v adds the\n"
		     "  kernel definition line\n");
}

int cmd_format(int argc, char **argv)
{
	struct sonde_session *s;
	struct cli_opts o;
	int status, err, i;

	status = cli_parse(argc, argv, &o, usage);
	if (status)
		return status;
	if (o.nprobes < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	s = cli_session(&o, &status);
	if (!s)
		return status;
	err = sonde_session__start(s);
	if (err) {
		print_error(NULL, sonde_session__errmsg(s), -1);
		sonde_session__close(s);
		return error_status(err);
	}
	for (i = 0; i < sonde_session__probe_count(s); i++) {
		if (o.verbose)
			printf("# %s\n", sonde_session__probe_definition(s, i));
		fputs(sonde_session__probe_format(s, i), stdout);
	}
	sonde_session__close(s);
	return 0;
}
