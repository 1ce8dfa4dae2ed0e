/* SPDX-License-Identifier: MIT */
/*
 * sonde serve: a long-lived exporter of in-kernel counts and histograms
 * in Prometheus' text format. serve_config.c reads the configuration,
 * serve_metrics.c keeps each entry's probes and BPF tables and writes
 * the exposition, serve_http.c answers GET /metrics, serve.c runs the
 * loop (signals, reload).
 */
#ifndef SONDE_CLI_SERVE_H
#define SONDE_CLI_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include <sonde/sonde.h>

#include "cli.h"

enum serve_kind { SERVE_COUNT, SERVE_HIST, SERVE_LATENCY, SERVE_STACK };

#define SERVE_MAX_PROBES 64
#define SERVE_MAX_LABELS (SONDE_AGG_MAX_KEYS - 1)
#define SERVE_MAX_SERIES_DEFAULT 1000

/* One entry of the configuration: a metric over probes. */
struct serve_entry {
	char *name;	/* metric name as written */
	char *help;
	char *unit;	/* "" when none */
	enum serve_kind kind;
	char *probes[SERVE_MAX_PROBES];
	int nprobes;
	char *labels[SERVE_MAX_LABELS]; /* comm, pid, tid, cpu, probe, FIELD */
	int nlabels;
	char *value;			/* hist: the field */
	bool linear;
	int64_t min, max, step;
	size_t max_series;
	int line;			/* where it starts in the file */
	char *error;			/* why it does not run, or NULL */
	struct serve_table *t;		/* its kernel table once opened */
	enum sonde_call_graph call_graph; /* stack */
	struct serve_stacks *st;	/* stack: its counted stacks */
};

struct serve_config {
	struct serve_entry *e;
	int n;
	char *error; /* the file as a whole could not be read */
};

/* serve_config.c */
/* Read path: entries with a bad line get their error set (the others
 * run); a file that cannot be read at all: c->error. 0 or -ENOMEM. */
int serve_config_read(const char *path, struct serve_config *c);
void serve_config_free(struct serve_config *c);
/* Do two entries describe the same metric (a reload keeps its table)? */
bool serve_entry_same(const struct serve_entry *a, const struct serve_entry *b);

/* serve_table.c */
#define SERVE_MAX_GENS 8

/* One set of the entry's probes and kernel maps. */
struct serve_gen {
	struct sonde_session *s;
	struct sonde_bpf_agg *b;
};

/* A file the newest generation probes, as it was when probed. */
struct serve_file {
	const char *path; /* the session's */
	dev_t dev;
	ino_t ino;
};

/* An entry's kernel tables and what a scrape read of them. */
struct serve_table {
	struct serve_gen gen[SERVE_MAX_GENS]; /* oldest first */
	int ngen;
	struct serve_file *files;
	int nfiles;
	const struct cli_opts *o;
	uint64_t reopens, reopen_errors;
	uint64_t reopen_time; /* the last reopen, Unix seconds (0: none) */
	struct sonde_agg *g;	   /* every generation's table, read now */
	void *admitted;		   /* tsearch() tree of label texts */
	size_t nadmitted;
	int top;		   /* highest bucket ever not empty */
	uint64_t *over;		   /* the overflow series' buckets */
	uint64_t over_count;
	int64_t over_sum;
	size_t over_keys;	   /* label sets in it at the last scrape */
	uint64_t read_errors;
};

/* Add the entry's probes and open its kernel table; on failure the
 * entry's error is set (returns -errno) and nothing is left in the
 * kernel. */
int serve_table_open(struct serve_entry *e, const struct cli_opts *o);
void serve_table_close(struct serve_entry *e);
/* Has a file the entry probes been replaced? Then probe the new one too
 * (a new generation). */
void serve_table_check(struct serve_entry *e);
/* Every generation's table into e->t->g: its rows, or -errno (said). */
int serve_table_read(struct serve_entry *e);
/* The probes in place (-1: no table), and the hits lost to full maps and
 * left out for faults, of every generation. */
int serve_table_stats(const struct serve_entry *e, uint64_t *lost,
		      uint64_t *faults);

/* A growing text buffer for the exposition and HTTP replies. */
struct serve_buf {
	char *p;
	size_t len, cap;
	bool failed; /* out of memory: the text is not whole */
};
void serve_buf_add(struct serve_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void serve_buf_put(struct serve_buf *b, const char *s, size_t n);
void serve_buf_free(struct serve_buf *b);
/* Prometheus' escapes: for a label value (\\, \", \n) or a HELP text
 * (\\, \n); bytes that are not printable ASCII as \xNN. */
void serve_buf_escaped(struct serve_buf *b, const char *s, bool label);

/* The exposition (text format 0.0.4) of every entry, read from the
 * kernel now, and sonde's own health metrics. */
void serve_metrics_write(struct serve_config *c, struct serve_buf *b);

/* serve_stack.c */
/* One frame of a location: a function (inlined ones first). */
struct serve_line {
	char *func, *file; /* file "" when not known */
	int line;
};
struct serve_loc {
	char *key; /* address and lines, to find it again */
	uint64_t addr;
	char *object; /* the file's name ("libc.so.6"), "[kernel]", or "" */
	struct serve_line *lines;
	int nlines, index;
};
struct serve_stack {
	uint64_t hash, count;
	int pid, n;
	uint64_t *frames;
	int *locs; /* indices into the entry's locs, leaf first */
};
struct serve_stacks {
	uint64_t id; /* kept across a reload with the entry */
	struct sonde_session *s;
	struct serve_stack **stacks;
	size_t nstacks, stack_cap;
	int *slots; /* hash of stacks: index + 1, 0 empty */
	size_t cap;
	struct serve_loc **locs;
	size_t nlocs, loc_cap;
	void *loc_tree;
	size_t max; /* distinct stacks kept (max-series) */
	uint64_t no_stack, no_memory, over;
};
/* Start the stack entry's probes; on failure e->error says why. */
int serve_stacks_open(struct serve_entry *e, const struct cli_opts *o);
void serve_stacks_close(struct serve_entry *e);
int serve_stacks_fd(const struct serve_entry *e);
/* Count the events waiting (all: every one buffered, now). */
void serve_stacks_poll(struct serve_entry *e, bool all);
/* The probes in place, and the hits not counted: dropped by the kernel
 * (a full buffer), without a stack, of stacks past max-series, or out of
 * memory. */
int serve_stacks_stats(const struct serve_entry *e, uint64_t *lost);

/* serve_pprof.c */
/* GET /debug/pprof/profile?seconds=N: the HTTP status and, on success,
 * a snapshot of the counts now in *snap and the seconds to wait; on
 * error the reason in msg. */
int serve_pprof_start(struct serve_config *c, const char *query, void **snap,
		      int *seconds, char *msg, size_t len);
/* The profile of the counts' growth since snap, gzipped, into b; frees
 * snap. 0 or -ENOMEM. */
int serve_pprof_end(struct serve_config *c, void *snap, int seconds,
		    struct serve_buf *b);
void serve_pprof_free(void *snap);

/* What the HTTP server serves. */
struct serve_pages {
	void (*metrics)(struct serve_buf *b, void *ctx);
	int (*profile_start)(const char *query, void **snap, int *seconds,
			     char *msg, size_t len, void *ctx);
	int (*profile_end)(void *snap, int seconds, struct serve_buf *b,
			   void *ctx);
	void *ctx;
};

/* serve_http.c */
struct serve_http;
/* Listen on ADDR:PORT (IPv4 or [IPv6]); NULL after printing why, with
 * *status EXIT_USAGE (not an address) or EXIT_RUNTIME (in use...). */
struct serve_http *serve_http_open(const char *where, int *status);
void serve_http_close(struct serve_http *h);
/* Fill fds (room for serve_http_nfds()) for poll(). */
int serve_http_nfds(const struct serve_http *h);
void serve_http_pollfds(struct serve_http *h, struct pollfd *fds);
/* After poll(): accept, read, answer; page() writes /metrics' body. */
void serve_http_service(struct serve_http *h, const struct pollfd *fds,
			const struct serve_pages *pages);

int cmd_serve(int argc, char **argv);

#endif
