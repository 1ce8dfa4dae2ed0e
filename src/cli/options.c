/* SPDX-License-Identifier: MIT */
/* The options of every subcommand, in one table: the parser's getopt_long
 * arrays, each subcommand's --help and `sonde --list-options CMD` are all
 * made from it (options.h). docs/sonde.1 describes each one. */
#include <string.h>

#include "options.h"

#define TRACE IN(CMD_TRACE)
#define FORMAT IN(CMD_FORMAT)
#define CHECK IN(CMD_CHECK)
#define CLEANUP IN(CMD_CLEANUP)
#define LIST IN(CMD_LIST)
#define COUNT IN(CMD_COUNT)
#define HIST IN(CMD_HIST)
#define LATENCY IN(CMD_LATENCY)
#define STACK IN(CMD_STACK)
#define INJECT IN(CMD_INJECT)
#define RUN IN(CMD_RUN)
#define SERVE IN(CMD_SERVE)

/* In the order --help lists them. Every subcommand's parser takes the
 * options shared by all (they were one parser), the aggregating ones
 * also theirs; each subcommand lists those that do something there. */
const struct cli_option cli_options[] = {
	/* the aggregating subcommands' own */
	{OPT_VALUE, "value", "FIELD", CMDS_AGG, HIST,
	 "the number to histogram: a fetched field (argN\n"
	 "and retval are fetched when named)"},
	{OPT_LINEAR, "linear", "MIN,MAX,STEP", CMDS_AGG, HIST,
	 "linear buckets instead of powers of two"},
	{OPT_BY, "by", "KEYS", CMDS_AGG, COUNT,
	 "count per key: comm, pid, tid, cpu, or a\n"
	 "fetched field (argN and retval are fetched\n"
	 "when named)"},
	{OPT_BY, "by", "KEYS", CMDS_AGG, HIST,
	 "one histogram per key: comm, pid, tid, cpu, FIELD"},
	{OPT_BY, "by", "KEYS", CMDS_AGG, LATENCY,
	 "one histogram per comm, pid, tid or cpu"},
	{OPT_FOLDED, "folded", NULL, CMDS_AGG, STACK,
	 "'frame;frame;frame count' lines, root first\n"
	 "(flamegraph.pl input)"},
	{OPT_SVG, "svg", "FILE", CMDS_AGG, STACK,
	 "also write an interactive flame graph (SVG)\n"
	 "to FILE"},
	{OPT_INTERVAL, "interval", "SECS", CMDS_AGG, COUNT,
	 "print and reset the table every SECS"},
	{OPT_INTERVAL, "interval", "SECS", CMDS_AGG, HIST | LATENCY,
	 "print and reset every SECS"},
	{OPT_TOP, "top", "N", CMDS_AGG, COUNT, "only the N most frequent rows"},
	{OPT_TOP, "top", "N", CMDS_AGG, HIST | LATENCY,
	 "only the first N histograms"},
	{OPT_TOP, "top", "N", CMDS_AGG, STACK,
	 "only the N most frequent stacks"},
	{OPT_MAX_KEYS, "max-keys", "N", CMDS_AGG, COUNT,
	 "at most N rows (default 10240, 0: no\n"
	 "limit); hits of new keys past it dropped"},
	{OPT_MAX_KEYS, "max-keys", "N", CMDS_AGG, HIST | LATENCY,
	 "at most N histograms (default 10240, 0: no limit)"},
	{OPT_MAX_KEYS, "max-keys", "N", CMDS_AGG, STACK,
	 "at most N stacks (default 10240, 0: no limit)"},
	{OPT_IN_USER, "in-user", NULL, CMDS_AGG, COUNT,
	 "count here even where the kernel could"},
	/* inject's own */
	{OPT_INSTANCE, "instance", "NAME", INJECT, INJECT,
	 "into this tracing instance instead"},
	{OPT_TOP_LEVEL, "top-level", NULL, INJECT, INJECT,
	 "into the top-level instance instead"},
	/* sonde run's own */
	{OPT_PROGRAM, "program", "'PROGRAM'", RUN, RUN,
	 "the program's text (else the file FILE.bt)"},
	{OPT_DRY_RUN, "dry-run", NULL, RUN, RUN,
	 "print the BPF instructions of each probe's\n"
	 "program; attach nothing"},
	/* sonde serve's own */
	{OPT_LISTEN, "listen", "ADDR:PORT", SERVE, SERVE,
	 "where GET /metrics is served (127.0.0.1:9464,\n"
	 "[::1]:9464, *:9464)"},
	/* shared */
	{OPT_PID, "pid", "PID", CMDS_ALL, CMDS_SESSION,
	 "only this process (all its threads)"},
	{OPT_PID, "pid", "PID", CMDS_ALL, RUN,
	 "uprobes and USDT probes of this process only"},
	{OPT_PID, "pid", "PID", CMDS_ALL, LIST,
	 "also the libraries in the process's maps;\n"
	 "with an empty TARGET, every object it maps"},
	{OPT_COMMAND, "command", "'CMD ARGS'", CMDS_ALL, CMDS_SESSION | RUN,
	 "run CMD with the probes in place; end with it"},
	{OPT_DURATION, "duration", "SECS", CMDS_ALL, CMDS_SESSION | RUN,
	 "stop after SECS seconds"},
	{OPT_FORMAT, "format", "text|json|csv|perfetto", CMDS_ALL,
	 TRACE | LATENCY,
	 "output format (default text); perfetto: a\n"
	 "timeline (Trace Event Format JSON); JSON's\n"
	 "and CSV's schema: /usr/share/doc/sonde/json.md"},
	{OPT_FORMAT, "format", "text|json|csv", CMDS_ALL,
	 CMDS_SESSION & ~(TRACE | LATENCY),
	 "output format (default text); JSON's and\n"
	 "CSV's schema: /usr/share/doc/sonde/json.md"},
	{OPT_FORMAT, "format", "text|json|perfetto", CMDS_ALL, RUN,
	 "output format: bpftrace's text (default), its\n"
	 "JSON lines, or perfetto: a timeline of the\n"
	 "printf/print messages (Trace Event Format JSON)"},
	{OPT_TIME, "time", "mono|wall|rel", CMDS_SESSION, TRACE,
	 "event times: monotonic seconds (default),\n"
	 "wall clock, or seconds since the trace began\n"
	 "(not with -f perfetto: its times are its own)"},
	{OPT_COLOR, "color", "auto|always|never", CMDS_SESSION, CMDS_SESSION,
	 "colours in text output (auto: on a terminal,\n"
	 "unless NO_COLOR is set)"},
	{OPT_OUTPUT, "output", "FILE", CMDS_ALL, CMDS_SESSION | RUN,
	 "write the output to FILE"},
	{OPT_OUTPUT, "output", "FILE", CMDS_ALL, FORMAT,
	 "write the format to FILE"},
	{OPT_PERFETTO, "perfetto", "FILE", TRACE | LATENCY | RUN,
	 TRACE | LATENCY | RUN,
	 "also write a timeline to FILE (Trace Event\n"
	 "Format JSON, for Perfetto's UI)"},
	{OPT_FILTER, "filter", "EXPR", CMDS_ALL, CMDS_SESSION,
	 "the kernel's filter on the probe's fields"},
	{OPT_TRIGGER, "trigger", "T", CMDS_ALL, CMDS_SESSION,
	 "a trigger on each probe's event (stacktrace,\n"
	 "traceoff, enable_event:G:E, [:N] [if FILTER])"},
	{OPT_HIST, "hist", "SPEC", CMDS_ALL, CMDS_SESSION,
	 "an in-kernel histogram ('keys=F:vals=F'),\n"
	 "printed at the end"},
	{OPT_STACK, "stack", NULL, CMDS_ALL, CMDS_SESSION,
	 "the call stack of each event"},
	{OPT_CALL_GRAPH, "call-graph", "fp|dwarf[,SIZE]", CMDS_ALL,
	 TRACE | STACK,
	 "how user stacks are walked: frame pointers,\n"
	 "or SIZE bytes of stack (8192) copied and\n"
	 "unwound with DWARF CFI (default: dwarf where\n"
	 "the backend copies stacks, else fp; -v says)"},
	{OPT_FOLLOW, "follow-fork", NULL, CMDS_ALL, CMDS_SESSION,
	 "with -p, children of the process too"},
	{OPT_CGROUP, "cgroup", "PATH", CMDS_ALL, CMDS_SESSION,
	 "only the tasks of this cgroup (v2) and its\n"
	 "descendants (perf and bpf backends)"},
	{OPT_BUFFER, "buffer-kb", "N", CMDS_ALL, CMDS_SESSION,
	 "per-CPU ring buffer size"},
	{OPT_BACKEND, "backend", "B", CMDS_ALL, CMDS_SESSION | CHECK,
	 "auto, tracefs, perf or bpf"},
	{OPT_DEBUG_DIR, "debug-dir", "DIR", CMDS_ALL,
	 CMDS_SESSION | FORMAT | LIST | RUN | SERVE,
	 "where separate debug files are (default\n"
	 "/usr/lib/debug)"},
	{OPT_NO_DEBUGINFOD, "no-debuginfod", NULL, CMDS_ALL,
	 CMDS_SESSION | FORMAT | LIST | RUN | CHECK,
	 "fetch no debug file from the servers in\n"
	 "DEBUGINFOD_URLS"},
	{OPT_MAX_PROBES, "max-probes", "N", CMDS_ALL,
	 CMDS_SESSION | RUN | SERVE,
	 "most probes a wildcard may add (1000)"},
	{OPT_QUIET, "quiet", NULL, CMDS_ALL, CMDS_SESSION | CLEANUP,
	 "no summary"},
	{OPT_QUIET, "quiet", NULL, CMDS_ALL, RUN,
	 "no \"Attaching N probes...\" line"},
	{OPT_QUIET, "quiet", NULL, CMDS_ALL, INJECT,
	 "not where the record went"},
	{OPT_QUIET, "quiet", NULL, CMDS_ALL, LIST, "no count on stderr"},
	{OPT_QUIET, "quiet", NULL, CMDS_ALL, SERVE,
	 "only errors on stderr"},
	{OPT_VERBOSE, "verbose", NULL, CMDS_ALL,
	 (CMDS_SESSION & ~COUNT) | CLEANUP | RUN, "more detail"},
	{OPT_VERBOSE, "verbose", NULL, CMDS_ALL, COUNT,
	 "more detail: which path each probe took"},
	{OPT_VERBOSE, "verbose", NULL, CMDS_ALL, LIST,
	 "each function's C signature where the target\n"
	 "has debug info (DWARF)"},
	{OPT_VERBOSE, "verbose", NULL, CMDS_ALL, SERVE,
	 "say which metrics a reload kept"},
	{OPT_VERBOSE, "verbose", NULL, CMDS_ALL, FORMAT,
	 "adds the kernel definition line"},
	{OPT_HELP, "help", NULL, CMDS_ALL, CMDS_ALL, "this text"},
};

const size_t cli_noptions = sizeof(cli_options) / sizeof(cli_options[0]);
_Static_assert(sizeof(cli_options) / sizeof(cli_options[0]) <= CLI_OPTIONS_MAX,
	       "cli_options[] outgrew CLI_OPTIONS_MAX");

/* In the order of enum cli_cmd. */
static const char *const cmd_names[CMD_COUNT_ALL] = {
	"trace", "format", "check",   "cleanup", "list",
	"count", "hist",   "latency", "stack",	 "inject", "run",
	"serve",
};

int cli_cmd_of(const char *name)
{
	int i;

	for (i = 0; i < CMD_COUNT_ALL; i++)
		if (name && !strcmp(name, cmd_names[i]))
			return i;
	return -1;
}

/* The row before i that has the same option and is in mask: it was
 * counted already. */
static bool seen_before(size_t i, unsigned int mask, bool shown)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (cli_options[j].id == cli_options[i].id &&
		    ((shown ? cli_options[j].shown : cli_options[j].taken) &
		     mask))
			return true;
	return false;
}

void cli_getopt_arrays(enum cli_cmd cmd, struct option *longs, char *shorts)
{
	const struct cli_option *op;
	size_t i, n = 0;

	for (i = 0; i < cli_noptions; i++) {
		op = &cli_options[i];
		if (!(op->taken & IN(cmd)) || seen_before(i, IN(cmd), false))
			continue;
		longs[n++] = (struct option){
			op->name, op->arg ? required_argument : no_argument,
			NULL, op->id};
		if (op->id < 256) {
			*shorts++ = (char)op->id;
			if (op->arg)
				*shorts++ = ':';
		}
	}
	longs[n] = (struct option){0};
	*shorts = '\0';
}

void cli_options_help(FILE *out, enum cli_cmd cmd)
{
	const struct cli_option *op;
	const char *h, *nl;
	char head[64];
	size_t i;
	int len;

	fprintf(out, "options:\n");
	for (i = 0; i < cli_noptions; i++) {
		op = &cli_options[i];
		if (!(op->shown & IN(cmd)))
			continue;
		if (op->id < 256)
			len = snprintf(head, sizeof(head), "-%c, ", op->id);
		else
			len = snprintf(head, sizeof(head), "    ");
		len += snprintf(head + len, sizeof(head) - len, "--%s%s%s",
				op->name, op->arg ? " " : "",
				op->arg ? op->arg : "");
		fprintf(out, "  %-26s", head);
		if (len > 25) /* the text starts on the next line */
			fprintf(out, "\n  %26s", "");
		for (h = op->help; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(out, " %.*s\n  %26s", (int)(nl - h), h, "");
		fprintf(out, " %s\n", h);
	}
}

void cli_options_list(FILE *out, enum cli_cmd cmd)
{
	const struct cli_option *op;
	size_t i;

	for (i = 0; i < cli_noptions; i++) {
		op = &cli_options[i];
		if (!(op->shown & IN(cmd)) || seen_before(i, IN(cmd), true))
			continue;
		if (op->id < 256)
			fprintf(out, "-%c\n", op->id);
		fprintf(out, "--%s\n", op->name);
	}
}
