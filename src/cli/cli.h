/* SPDX-License-Identifier: MIT */
/* The sonde program: shared options and helpers of the subcommands. */
#ifndef SONDE_CLI_H
#define SONDE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include <sonde/sonde.h>

/* Exit statuses: 0 ok, 1 runtime error, 2 usage, bad spec or a probe the
 * kernel refused. With -c, the command's own status. */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* OUT_PERFETTO: trace and latency only (perfetto.h) */
enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_PERFETTO };
/* --time: an event's time as CLOCK_MONOTONIC seconds (the kernel's
 * timestamps), wall-clock time, or seconds since the trace began */
enum out_time { TIME_MONO, TIME_WALL, TIME_REL };
enum out_color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli_opts {
	pid_t pid;
	const char *cmd;
	double duration;
	enum out_format format;
	enum out_time time;
	enum out_color color;
	const char *outfile;
	const char *perfetto; /* --perfetto FILE: a timeline as well */
	const char *filter;
	const char *trigger;
	const char *hist;
	unsigned int buffer_kb;
	const char *debug_dir; /* --debug-dir */
	bool no_debuginfod;    /* --no-debuginfod */
	const char *cgroup;    /* --cgroup */
	int max_probes;	       /* --max-probes, 0 = the library's */
	enum sonde_backend backend;
	bool follow_fork;
	bool stack;
	enum sonde_call_graph call_graph; /* --call-graph */
	unsigned int stack_user_size;	  /* --call-graph dwarf,SIZE */
	bool quiet;
	int verbose;
	char **probes;
	int nprobes;
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* main.c */
extern const char *prog;
/* The signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, any other whose
 * default is to end the process) that asked a command holding a session
 * to end: main() catches them for every subcommand. From
 * cli_session() to cli_session_close() a signal only sets this, so the
 * session's probes and instance are removed on every way out; outside, a
 * signal ends the program as it would any other. */
extern volatile sig_atomic_t cli_stop_signal;
/* The default actions again (the -c child before its exec). */
void cli_default_signals(void);
/* From cli_hold() to cli_release() a stop signal only sets
 * cli_stop_signal, as while a session is held (sonde run's kernel
 * objects). */
void cli_hold(void);
void cli_release(void);
/* Close a session from cli_session(): signals take effect again. */
void cli_session_close(struct sonde_session *s);
/* After cli_session_close(): end by the signal that stopped the command,
 * if one did (its status is then the shell's 128 + N). */
void cli_end_by_signal(void);
/* For subcommands whose output is a report, not a trace (list, check,
 * cleanup): -o is refused, not ignored; 0 or EXIT_USAGE after saying so. */
int cli_no_outfile(const struct cli_opts *o, const char *cmd);
/* Parse the options shared by subcommands; returns 0, or an exit status
 * (EXIT_USAGE) after printing why; usage() is called for --help. */
int cli_parse(int argc, char **argv, struct cli_opts *o,
	      void (*usage)(FILE *out));
/* The same, with the options of the table (options.c) that the
 * subcommand argv[0] takes beyond the shared ones handed to own(): it
 * returns 0, or an exit status after printing why. */
int cli_parse_own(int argc, char **argv, struct cli_opts *o,
		  void (*usage)(FILE *out),
		  int (*own)(int id, const char *arg, void *ctx), void *ctx);
void cli_log(enum sonde_log_level lvl, const char *msg, void *ctx);
void print_error(const char *spec, const char *msg, int col);
/* Open a session with o's settings and add o's probes (errors printed).
 * Returns NULL with *status set on failure, or when a signal came while
 * the probes were added (status 128 + N); close it with
 * cli_session_close(). */
struct sonde_session *cli_session(const struct cli_opts *o, int *status);
/* The exit status for a failed libsonde call. */
int error_status(int err);

/* output.c, output_data.c: the events of sonde trace */
struct printer {
	FILE *out;
	enum out_format format;
	enum out_time time;
	bool color; /* ANSI colours (text only) */
	bool stack; /* CSV: a stack column */
	bool failed;
	/* CLOCK_MONOTONIC when the trace began (--time rel), and
	 * CLOCK_REALTIME - CLOCK_MONOTONIC then (--time wall) */
	uint64_t start_ns;
	int64_t wall_off_ns;
	/* --time wall: the second last formatted, and its text */
	int64_t wall_sec;
	char wall_text[80];
	/* CSV: a column per field name of any probe, in the order first
	 * met, and per probe the index of each column's field (-1) */
	const char **cols; /* the session's names */
	int ncols, nprobes;
	int *col_field;
};
/* Before the session starts: the time of its beginning. */
void printer_clock(struct printer *pr);
/* Once the session has started and pr->out is open: colours (after
 * cli_color()) and CSV's header. */
int printer_begin(struct printer *pr, const struct cli_opts *o,
		  const struct sonde_session *s);
void printer_free(struct printer *pr);
int print_event(const struct sonde_event *ev, void *ctx);
/* The event's args as a JSON object ({"name":value,...}, a read that
 * faulted as null), as -f json writes them. */
void print_json_args(FILE *out, const struct sonde_event *ev);
/* Colours or not (--color, NO_COLOR): text written to standard output
 * only, auto when it is a terminal. */
bool cli_color(const struct cli_opts *o, FILE *out);
/* The "schema" of every JSON object sonde writes (docs/json.md). */
#define CLI_SCHEMA "sonde/1"
/* The ANSI colours of the text output (CLI_RESET ends each). */
#define CLI_PROBE "\033[1;34m"
#define CLI_NUMBER "\033[33m"
#define CLI_STRING "\033[32m"
#define CLI_FAULT "\033[31m"
#define CLI_BAR "\033[36m"
#define CLI_RESET "\033[0m"
/* A name or other text from outside (ELF, DWARF, USDT, the kernel, the
 * traced process) safe to print: sonde_text__escape(); the copy lives
 * until 8 more calls. */
const char *cli_safe(const char *s);
/* The same for a text of several lines (the kernel's hist and format
 * files): '\n' and '\t' kept. */
const char *cli_safe_lines(const char *s);
/* output_data.c: the JSON and CSV forms of an event */
struct line;
void print_json(struct line *l, struct printer *pr,
		const struct sonde_event *ev);
void print_csv(struct line *l, struct printer *pr,
	       const struct sonde_event *ev);
/* field i, a number or an array: in text hex as 0x..., arrays {1,2};
 * else (JSON, CSV) decimal, arrays [1,2] */
void l_number(struct line *l, const struct sonde_event *ev, int i, bool text);
/* the event's time by --time: mono and rel as seconds.nanoseconds, wall
 * as RFC 3339 with microseconds and the UTC offset (quoted for JSON) */
void l_event_time(struct line *l, struct printer *pr, uint64_t ns, bool text);

/* outfile.c: standard output and -o FILE, through one writer that keeps
 * the first write error. */
/* From main(), before any output: stdout goes through that writer. */
void out_stdout(void);
/* Open -o FILE once the session is ready (a refused run leaves no file);
 * a symbolic link or a file planted in a directory others can write is
 * refused. NULL after printing why. */
FILE *out_open(const char *path);
/* Has a write to f failed? The first error is printed once, naming the
 * file, except a closed pipe's (EPIPE: SIGPIPE ends sonde, quietly). */
bool out_error(FILE *f);
/* Flush and close an out_open() file: 0, or EXIT_RUNTIME after saying why.
 * stdout is left to out_end(). */
int out_close(FILE *f);
/* Close an out_open() file and remove it if this run made it. */
void out_discard(FILE *f);
/* At the end of every command: flush stdout; the status, EXIT_RUNTIME
 * after a write error, or the end by SIGPIPE on a closed pipe. */
int out_end(int status);

/* child.c: -c CMD, started stopped before exec so probes are in place
 * before its first instruction. */
struct child {
	pid_t pid;
	int go_fd;   /* write a byte: the child execs */
	int exec_fd; /* reads errno of a failed exec, or EOF */
	bool exited;
	int status;
};
int child_spawn(const char *cmd, struct child *c);
int child_release(struct child *c);
/* Non-blocking: true once the child has ended (status in c). */
bool child_done(struct child *c);
void child_kill(struct child *c);
int child_exit_status(const struct child *c);

/* subcommands */
/* arg with bpftrace's long probe word (uprobe:...) as the short one
 * (u:...); a copy to free, NULL when out of memory. */
char *cli_spec_short(const char *arg);

int cmd_trace(int argc, char **argv);
int cmd_format(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_list(int argc, char **argv);
/* list_tracepoints.c: sonde list t:SYSTEM:EVENT (arg after the type) */
int list_tracepoints(const char *arg, const struct cli_opts *o);
int cmd_count(int argc, char **argv);
int cmd_hist(int argc, char **argv);
int cmd_latency(int argc, char **argv);
int cmd_stack(int argc, char **argv);
int cmd_inject(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
