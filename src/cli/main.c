/* SPDX-License-Identifier: MIT */
/* sonde: dispatch to one subcommand; the options they share. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"

const char *prog = "sonde";
volatile sig_atomic_t cli_stop_signal;
static int verbosity;

static const struct command commands[] = {
	{ "trace", cmd_trace, "stream the events of probes" },
	{ "format", cmd_format, "print the fields of a probe's event" },
	{ "check", cmd_check, "what this kernel and machine support" },
	{ "cleanup", cmd_cleanup, "remove probes left by dead sessions" },
	{ "list", cmd_list, "kernel or user functions a probe can go on" },
	{ "count", cmd_count, "hits per probe or per key" },
	{ "hist", cmd_hist, "a histogram of a probe's field" },
	{ "latency", cmd_latency, "time from entry to return of functions" },
	{ "stack", cmd_stack, "distinct call stacks of probe hits, counted" },
	{ "inject", cmd_inject, "write one record into an event" },
	{ "run", cmd_run, "run a bpftrace program (compiled by sonde)" },
	{ "serve", cmd_serve, "export in-kernel counts to Prometheus" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sonde COMMAND [OPTIONS] ...\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nprobes:\n"
		     "  u:TARGET:SYM[+OFF] [ARGS]   uprobe      ur:TARGET:SYM [ARGS]  uretprobe\n"
		     "  u:TARGET:0xADDR             uprobe at an address of TARGET\n"
		     "  k:FUNC[+OFF] [ARGS]         kprobe      kr[N]:FUNC [ARGS]     kretprobe\n"
		     "  p:[GRP/]EV LOCATION ARGS    the kernel's own syntax (r: for returns)\n"
		     "  uprobe: uretprobe: kprobe: kretprobe:  bpftrace's names for u: ur: k: kr:\n"
		     "ARGS: [NAME=]FETCH[:TYPE], FETCH: argN retval comm %%REG $stackN\n"
		     "      +OFF(FETCH) @ADDR ...; TYPE: u8..u64 s8..s64 x8..x64 string ...\n"
		     "\n'sonde COMMAND --help' for a command's options.\n");
}

/* While kernel state is held (cli_session() to cli_session_close()) a
 * signal only asks the command to end through its teardown; before and
 * after, it has its default effect, as for any other program. */
static volatile sig_atomic_t holding;
/* In cli_session_close(): a stop signal now (a second Ctrl-C) leaves what
 * is not removed yet to the sweep. The handler runs between system calls,
 * never inside the kernel's removal of a probe (a caught signal does not
 * interrupt it, unlike SIGKILL: docs/decisions.md); what is left belongs
 * to a dead session, which the next session's sweep or 'sonde cleanup'
 * removes, and the fds that own probes were already handed to the kernel
 * or are closed by the exit. */
static volatile sig_atomic_t closing, said;

static void on_signal(int sig)
{
	static const char msg[] =
		"\nsonde: interrupted while removing probes: what is not "
		"removed yet is left to 'sonde cleanup' (or the next "
		"session's sweep)\n";
	ssize_t n;

	if (closing) {
		/* said once: the removal may run in a child sharing this
		 * memory (shield.c), which a terminal's Ctrl-C reaches too */
		if (!said) {
			said = 1;
			n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		}
		(void)n;
		/* not _exit(): that is noreturn, before which ASan checks
		 * the stack, which in the shield's child is not the one it
		 * knows */
		syscall(SYS_exit_group, 128 + sig);
	}
	cli_stop_signal = sig;
	if (holding)
		return;
	signal(sig, SIG_DFL); /* async-signal-safe, as raise() is */
	raise(sig);
}

/* The signals whose default action ends the process and that can be
 * caught: Ctrl-C, Ctrl-\ (SIGQUIT), kill, a closed terminal or pipe,
 * timers and resource limits (signal(7)). */
static const int stop_sigs[] = { SIGINT,  SIGQUIT, SIGTERM, SIGHUP,
				 SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM,
				 SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ };

/* Every subcommand goes through this, from main(): each of those signals
 * ends a session through its teardown. With SIGPIPE caught, a write to a
 * closed pipe fails with EPIPE and the command's loop sees
 * cli_stop_signal. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaction(stop_sigs[i], &sa, NULL);
}

void cli_default_signals(void)
{
	size_t i;

	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		signal(stop_sigs[i], SIG_DFL);
}

void cli_hold(void)
{
	holding = 1;
}

void cli_release(void)
{
	holding = 0;
}

void cli_session_close(struct sonde_session *s)
{
	closing = 1;
	sonde_session__close(s);
	closing = 0;
	holding = 0;
}

void cli_end_by_signal(void)
{
	int sig = cli_stop_signal;

	if (!sig || holding)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_log(enum sonde_log_level lvl, const char *msg, void *ctx)
{
	(void)ctx;
	if ((int)lvl > verbosity)
		return;
	fprintf(stderr, "%s: %s%s\n", prog,
		lvl == SONDE_LOG_WARN ? "warning: " : "", msg);
}

/* The message, then the spec with a caret under the offending column. */
void print_error(const char *spec, const char *msg, int col)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	if (spec && col >= 0 && (size_t)col <= strlen(spec))
		fprintf(stderr, "  %s\n  %*s^\n", spec, col, "");
}

int error_status(int err)
{
	switch (-err) {
	case EINVAL:
	case ENOENT:
	case ENOTSUP:
	case ERANGE:
	case E2BIG:
	case EEXIST:
	case EILSEQ: /* kprobe not on an instruction boundary */
		return EXIT_USAGE;
	default:
		return EXIT_RUNTIME;
	}
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "%s: %s: '%s'\n", prog, what, val);
	return EXIT_USAGE;
}

/* --call-graph fp | dwarf | dwarf,SIZE */
static int call_graph_parse(const char *arg, struct cli_opts *o)
{
	unsigned long v;
	char *end;

	o->stack_user_size = 0;
	if (!strcmp(arg, "fp")) {
		o->call_graph = SONDE_CALL_GRAPH_FP;
		return 0;
	}
	if (strncmp(arg, "dwarf", 5) || (arg[5] && arg[5] != ','))
		return -1;
	o->call_graph = SONDE_CALL_GRAPH_DWARF;
	if (!arg[5])
		return 0;
	v = strtoul(arg + 6, &end, 10);
	if (end == arg + 6 || *end || !v || v % 8 || v > 65528)
		return -1;
	o->stack_user_size = (unsigned int)v;
	return 0;
}

static int bad_run_format(const char *val)
{
	fprintf(stderr,
		"ERROR: Invalid output format \"%s\"\n"
		"Valid formats: 'text', 'json'\n",
		val);
	return EXIT_USAGE;
}

int cli_no_outfile(const struct cli_opts *o, const char *cmd)
{
	if (!o->outfile)
		return 0;
	fprintf(stderr,
		"%s: %s does not take -o: redirect its output instead "
		"(sonde %s ... > FILE)\n",
		prog, cmd, cmd);
	return EXIT_USAGE;
}

int cli_parse(int argc, char **argv, struct cli_opts *o,
	      void (*sub_usage)(FILE *out))
{
	return cli_parse_own(argc, argv, o, sub_usage, NULL, NULL);
}

int cli_parse_own(int argc, char **argv, struct cli_opts *o,
		  void (*sub_usage)(FILE *out),
		  int (*own)(int id, const char *arg, void *ctx), void *ctx)
{
	struct option longs[CLI_OPTIONS_MAX + 1];
	char shorts[3 * CLI_OPTIONS_MAX + 1];
	int cmd = cli_cmd_of(argv[0]);
	bool time_given = false;
	char *end;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	if (cmd < 0) /* not a subcommand's argv: a bug of the caller */
		return EXIT_USAGE;
	cli_getopt_arrays(cmd, longs, shorts);
	optind = 1;
	/* GNU permutation: options may follow the probes too */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			v = strtol(optarg, &end, 10);
			if ((*end || v <= 0) && cmd == CMD_RUN) {
				/* bpftrace 0.17's words */
				fprintf(stderr,
					"ERROR: pid '%s' is not a valid "
					"decimal number\n",
					optarg);
				return EXIT_USAGE;
			}
			if (*end || v <= 0)
				return bad("-p needs a process id", optarg);
			o->pid = v;
			break;
		case 'c':
			o->cmd = optarg;
			break;
		case 'd':
			o->duration = strtod(optarg, &end);
			if (*end || o->duration <= 0)
				return bad("-d needs seconds", optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				o->format = OUT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = OUT_JSON;
			else if (!strcmp(optarg, "perfetto") &&
				 (cmd == CMD_TRACE || cmd == CMD_LATENCY ||
				  cmd == CMD_RUN))
				o->format = OUT_PERFETTO;
			else if (cmd == CMD_RUN) /* bpftrace's words */
				return bad_run_format(optarg);
			else if (!strcmp(optarg, "csv"))
				o->format = OUT_CSV;
			else if (cmd == CMD_TRACE || cmd == CMD_LATENCY)
				return bad("-f takes text, json, csv or perfetto",
					   optarg);
			else
				return bad("-f takes text, json or csv",
					   optarg);
			break;
		case 'o':
			o->outfile = optarg;
			break;
		case OPT_TIME:
			time_given = true;
			if (!strcmp(optarg, "mono"))
				o->time = TIME_MONO;
			else if (!strcmp(optarg, "wall"))
				o->time = TIME_WALL;
			else if (!strcmp(optarg, "rel"))
				o->time = TIME_REL;
			else
				return bad("--time takes mono, wall or rel",
					   optarg);
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else if (!strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else
				return bad(
					"--color takes auto, always or never",
					optarg);
			break;
		case 's':
			o->stack = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			sub_usage(stdout);
			exit(out_end(0));
		case OPT_PERFETTO:
			o->perfetto = optarg;
			break;
		case OPT_FILTER:
			o->filter = optarg;
			break;
		case OPT_TRIGGER:
			o->trigger = optarg;
			break;
		case OPT_BUFFER:
			v = strtol(optarg, &end, 10);
			if (*end || v <= 0)
				return bad("--buffer-kb needs a size in KiB",
					   optarg);
			o->buffer_kb = v;
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto"))
				o->backend = SONDE_BACKEND_AUTO;
			else if (!strcmp(optarg, "tracefs"))
				o->backend = SONDE_BACKEND_TRACEFS;
			else if (!strcmp(optarg, "perf"))
				o->backend = SONDE_BACKEND_PERF;
			else if (!strcmp(optarg, "bpf"))
				o->backend = SONDE_BACKEND_BPF;
			else
				return bad("--backend takes auto, tracefs, perf or bpf",
					   optarg);
			break;
		case OPT_HIST:
			o->hist = optarg;
			break;
		case OPT_CALL_GRAPH:
			if (call_graph_parse(optarg, o))
				return bad("--call-graph takes fp, dwarf or "
					   "dwarf,SIZE (bytes, a multiple of 8 "
					   "up to 65528)",
					   optarg);
			break;
		case OPT_FOLLOW:
			o->follow_fork = true;
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case OPT_DEBUG_DIR:
			o->debug_dir = optarg;
			/* sonde list reads symbols without a session: the
			 * library takes the dirs from the environment then */
			setenv("SONDE_DEBUG_DIR", optarg, 1);
			break;
		case OPT_NO_DEBUGINFOD:
			o->no_debuginfod = true;
			break;
		case OPT_MAX_PROBES:
			v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 1000000)
				return bad("--max-probes needs a number of probes",
					   optarg);
			o->max_probes = (int)v;
			break;
		case '?':
		case ':':
			sub_usage(stderr);
			return EXIT_USAGE;
		default: /* the subcommand's own */
			v = own ? own(c, optarg, ctx) : EXIT_USAGE;
			if (v)
				return (int)v;
			break;
		}
	}
	if (o->pid && o->cmd) {
		fprintf(stderr, "%s: -p and -c cannot be used together\n",
			prog);
		return EXIT_USAGE;
	}
	if (o->format == OUT_PERFETTO && (o->hist || o->perfetto)) {
		fprintf(stderr,
			"%s: -f perfetto writes one JSON document: %s\n", prog,
			o->hist ? "--hist's tables would break it (use "
				  "--perfetto FILE with another -f)"
				: "--perfetto FILE is for another -f");
		return EXIT_USAGE;
	}
	if (o->format == OUT_PERFETTO && time_given) {
		/* the timeline's ts is its own: microseconds of the
		 * kernel's clock, which Perfetto's UI shows from 0 */
		fprintf(stderr,
			"%s: --time is for the text, JSON and CSV outputs; "
			"-f perfetto's timestamps are its own\n",
			prog);
		return EXIT_USAGE;
	}
	verbosity = o->quiet ? -1 : o->verbose;
	sonde_debuginfod_configure(!o->no_debuginfod, cli_log, NULL);
	o->probes = argv + optind;
	o->nprobes = argc - optind;
	return 0;
}

/* A progress bar on stderr while many probes are made or removed: only
 * on a terminal, and only once it has taken half a second. Removal that
 * takes more than a second also says once, terminal or not, what is
 * going on and how to leave it (the kernel takes ~50 ms a uprobe). */
static void cli_progress(const char *what, int done, int total, void *ctx)
{
	static const char bar[] = "==============================";
	static const char *cur;
	static struct timespec t0;
	static bool shown, told;
	static int last;
	const int width = sizeof(bar) - 1;
	struct timespec now;
	double dt;
	int fill;

	if (verbosity < 0 || total <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (what != cur || done < last) {
		cur = what;
		t0 = now;
		shown = false;
	}
	last = done;
	dt = (double)(now.tv_sec - t0.tv_sec) +
	     (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
	if (closing && !told && dt >= 1 && done < total) {
		fprintf(stderr,
			"%s%s: removing %d probes (%d done); Ctrl-C leaves the rest to 'sonde cleanup'\n",
			shown ? "\n" : "", prog, total, done);
		told = true;
	}
	if (!isatty(STDERR_FILENO) || (!shown && dt < 0.5))
		return;
	fill = (int)((long long)done * width / total);
	fprintf(stderr, "\r[%.*s%*s] %d/%d probes %s", fill, bar, width - fill,
		"", done, total, what);
	shown = true;
	if (done >= total)
		fputc('\n', stderr);
}

struct sonde_session *cli_session(const struct cli_opts *o, int *status)
{
	struct sonde_session_opts so = {
		.sz = sizeof(so),
		.pid = o->pid,
		.follow_fork = o->follow_fork,
		.buffer_kb = o->buffer_kb,
		.backend = o->backend,
		.log = cli_log,
		.stack = o->stack,
		.call_graph = o->call_graph,
		.stack_user_size = o->stack_user_size,
		.exclude_self = true,
		.debug_dir = o->debug_dir,
		.max_probes = o->max_probes,
		.progress = cli_progress,
		.cgroup = o->cgroup,
	};
	struct sonde_probe_opts po = {
		.sz = sizeof(po),
		.filter = o->filter,
		.trigger = o->trigger,
		.hist = o->hist,
	};
	struct sonde_session *s;
	int i, err;

	holding = 1;
	s = sonde_session__open(&so);
	if (!s) {
		holding = 0;
		fprintf(stderr, "%s: %s\n", prog, strerror(errno));
		*status = EXIT_RUNTIME;
		return NULL;
	}
	for (i = 0; i < o->nprobes && !cli_stop_signal; i++) {
		err = sonde_session__add_probe(s, o->probes[i], &po);
		if (err < 0) {
			print_error(o->probes[i], sonde_session__errmsg(s),
				    sonde_session__errcol(s));
			*status = error_status(err);
			cli_session_close(s);
			return NULL;
		}
	}
	if (cli_stop_signal) { /* interrupted while the probes were made */
		*status = 128 + cli_stop_signal;
		cli_session_close(s);
		return NULL;
	}
	return s;
}

int main(int argc, char **argv)
{
	size_t i;

	out_stdout();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return out_end(0);
	}
	if (!strcmp(argv[1], "--list-options") && argc == 3 &&
	    cli_cmd_of(argv[2]) >= 0) { /* for tests: not documented */
		cli_options_list(stdout, cli_cmd_of(argv[2]));
		return out_end(0);
	}
	if (!strcmp(argv[1], "--version")) {
		struct sonde_features f = { .sz = sizeof(f) };

		sonde_features__probe(&f);
		printf("sonde %s (backends: tracefs perf bpf; instruction check: %s)\n",
		       sonde_version(), f.insn_check ? "capstone" : "none");
		return out_end(0);
	}
	catch_signals();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return out_end(commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
