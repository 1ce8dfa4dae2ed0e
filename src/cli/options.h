/* SPDX-License-Identifier: MIT */
/* The options of every subcommand, in one table (options.c) from which
 * the getopt_long arrays, each subcommand's --help and the hidden
 * `sonde --list-options CMD` (checked against the bash completion) are
 * made. */
#ifndef SONDE_CLI_OPTIONS_H
#define SONDE_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* The subcommands, as bits of cli_option.shown and .taken. */
enum cli_cmd {
	CMD_TRACE,
	CMD_FORMAT,
	CMD_CHECK,
	CMD_CLEANUP,
	CMD_LIST,
	CMD_COUNT,
	CMD_HIST,
	CMD_LATENCY,
	CMD_STACK,
	CMD_INJECT,
	CMD_RUN,
	CMD_SERVE,
	CMD_COUNT_ALL
};

#define IN(c) (1u << (c))
#define CMDS_ALL ((1u << CMD_COUNT_ALL) - 1)
#define CMDS_AGG                                                               \
	(IN(CMD_COUNT) | IN(CMD_HIST) | IN(CMD_LATENCY) | IN(CMD_STACK))
#define CMDS_SESSION (IN(CMD_TRACE) | CMDS_AGG)

/* What getopt_long returns for each option: its short letter, or a value
 * past any letter for long-only options. */
enum cli_opt_id {
	OPT_PID = 'p',
	OPT_COMMAND = 'c',
	OPT_DURATION = 'd',
	OPT_FORMAT = 'f',
	OPT_OUTPUT = 'o',
	OPT_STACK = 's',
	OPT_QUIET = 'q',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_INTERVAL = 'i',
	OPT_PROGRAM = 'e',
	OPT_FILTER = 256,
	OPT_TRIGGER,
	OPT_BUFFER,
	OPT_BACKEND,
	OPT_FOLLOW,
	OPT_HIST,
	OPT_DEBUG_DIR,
	OPT_NO_DEBUGINFOD,
	OPT_MAX_PROBES,
	OPT_BY,
	OPT_TOP,
	OPT_VALUE,
	OPT_LINEAR,
	OPT_MAX_KEYS,
	OPT_IN_USER,
	OPT_FOLDED,
	OPT_INSTANCE,
	OPT_TOP_LEVEL,
	OPT_DRY_RUN,
	OPT_SVG,
	OPT_PERFETTO,
	OPT_CGROUP,
	OPT_CALL_GRAPH,
	OPT_LISTEN,
	OPT_TIME,
	OPT_COLOR,
};

struct cli_option {
	int id;		  /* enum cli_opt_id; < 256: also its short letter */
	const char *name; /* the long name, without "--" */
	const char *arg;  /* the value's name in --help; NULL: takes none */
	/* the subcommands whose parser takes it, and those whose --help
	 * and completion list it (an option may be taken and not listed
	 * where it has no effect: the parser takes what it took before) */
	unsigned int taken, shown;
	/* one or more lines of --help (for the subcommands in .shown: an
	 * option whose meaning differs has one row per meaning) */
	const char *help;
};

/* At most this many rows in the table (checked when it is compiled). */
#define CLI_OPTIONS_MAX 64

extern const struct cli_option cli_options[];
extern const size_t cli_noptions;

/* The subcommand called name, or -1. */
int cli_cmd_of(const char *name);
/* The getopt_long arrays of what cmd takes: longs has room for
 * CLI_OPTIONS_MAX + 1 entries, shorts for 3 * CLI_OPTIONS_MAX + 1 chars. */
void cli_getopt_arrays(enum cli_cmd cmd, struct option *longs, char *shorts);
/* The lines of cmd's --help that list its options. */
void cli_options_help(FILE *out, enum cli_cmd cmd);
/* `sonde --list-options CMD`: the options cmd lists, "-x" and "--name",
 * one a line. */
void cli_options_list(FILE *out, enum cli_cmd cmd);

#endif
