/* SPDX-License-Identifier: MIT */
/* The sonde program: shared options and helpers of the subcommands. */
#ifndef SONDE_CLI_H
#define SONDE_CLI_H

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include <sonde/sonde.h>

/* Exit statuses: 0 ok, 1 runtime error, 2 usage, bad spec or a probe the
 * kernel refused. With -c, the command's own status. */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* OUT_PERFETTO: trace and latency only (perfetto.h) */
enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_PERFETTO };

struct cli_opts {
	pid_t pid;
	const char *cmd;
	double duration;
	enum out_format format;
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

/* output.c */
struct printer {
	FILE *out;
	enum out_format format;
	bool failed;
};
int print_event(const struct sonde_event *ev, void *ctx);
/* The event's args as a JSON object ({"name":value,...}, a read that
 * faulted as null), as -f json writes them. */
void print_json_args(FILE *out, const struct sonde_event *ev);
/* A name or other text from outside (ELF, DWARF, USDT, the kernel, the
 * traced process) safe to print: sonde_text__escape(); the copy lives
 * until 8 more calls. */
const char *cli_safe(const char *s);
/* The same for a text of several lines (the kernel's hist and format
 * files): '\n' and '\t' kept. */
const char *cli_safe_lines(const char *s);

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
