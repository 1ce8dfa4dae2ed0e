/* SPDX-License-Identifier: MIT */
/* sonde format PROBE: make the probe, print its event's format file (name,
 * ID, fields, print fmt) as the kernel shows it, remove the probe. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde format PROBE [options]\n"
		     "  prints the event's format: name, ID, fields and their\n"
		     "  offsets, sizes and signedness, print fmt\n");
	cli_options_help(out, CMD_FORMAT);
}

int cmd_format(int argc, char **argv)
{
	struct sonde_session *s;
	struct cli_opts o;
	FILE *out = stdout;
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
		goto out;
	err = sonde_session__start(s);
	if (err) {
		print_error(NULL, sonde_session__errmsg(s), -1);
		status = error_status(err);
		goto out_session;
	}
	if (o.outfile && !(out = out_open(o.outfile))) {
		out = stdout;
		status = EXIT_RUNTIME;
		goto out_session;
	}
	for (i = 0; i < sonde_session__probe_count(s) && !cli_stop_signal;
	     i++) {
		/* a tracepoint has none: the kernel made its event */
		if (o.verbose && sonde_session__probe_definition(s, i))
			fprintf(out, "# %s\n",
				cli_safe(sonde_session__probe_definition(s, i)));
		fputs(cli_safe_lines(sonde_session__probe_format(s, i)), out);
	}
	fflush(out);
	if (out_error(out) && !cli_stop_signal)
		status = EXIT_RUNTIME;
out_session:
	cli_session_close(s);
	if (out != stdout && out_close(out))
		status = EXIT_RUNTIME;
out:
	/* `sonde format ... | head -1`, Ctrl-C: the probes are gone now */
	cli_end_by_signal();
	return status;
}
