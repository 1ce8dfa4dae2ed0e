/* SPDX-License-Identifier: MIT */
/* What sonde count, hist, latency and stack share: their options, the key
 * of each event, the run loop (count.c) and the printers (agg_print.c). */
#ifndef SONDE_CLI_AGG_H
#define SONDE_CLI_AGG_H

#include "cli.h"

enum key_kind { KEY_COMM, KEY_PID, KEY_TID, KEY_CPU, KEY_FIELD };

struct key_def {
	enum key_kind kind;
	const char *name;
	int *field; /* per probe: field index, -1 = absent */
};

struct agg_cli {
	struct cli_opts o;
	const char *cmd;		/* "count", "hist", ... */
	struct key_def keys[SONDE_AGG_MAX_KEYS - 1];
	int nkeys;			/* --by keys; key 0 is the probe */
	struct key_def value;		/* hist --value */
	bool has_value;
	double interval;		/* -i SECS */
	int top;			/* --top N */
	bool linear;
	int64_t min, max, step;
	bool folded;
	const char *svg;		/* stack --svg FILE */
	bool in_user;			/* --in-user: no in-kernel path */
	char **specs;			/* probes as given to the session */
	int nspecs;
	int nprobes;			/* after start */
	struct sonde_session *s;
	FILE *out;
	bool color;	 /* --color: the text tables coloured */
	bool csv_header; /* -f csv: the header is out */
	/* events left out of the tables: a --by or --value field that could
	 * not be read (a fault) or not told from one (unchecked); the whole
	 * run's, and since the last table */
	uint64_t faults, unchecked;
	uint64_t table_faults, table_unchecked;
	/* --max-keys: rows a table holds (0: no limit); hits of new keys
	 * past it are dropped and counted by the table (sonde_agg__dropped):
	 * those of the final table, or of all interval tables when there is
	 * none, for the summary */
	size_t max_keys;
	uint64_t dropped_run, dropped_intervals;
	bool run_table;
};

struct agg_ops {
	/* before the session is opened (may set a->o.hist) */
	void (*prepare)(struct agg_cli *a, void *ctx);
	/* After the probes are added; returns 1 when the probes are counted
	 * without starting the session, 0 to start it, or an exit status. */
	int (*setup)(struct agg_cli *a, void *ctx);
	sonde_event_fn on_event;
	/* after each poll (latency pairs what it has buffered) */
	void (*after_poll)(struct agg_cli *a, void *ctx, bool final);
	/* print the table: an interval's (then cleared) or the final one */
	void (*print)(struct agg_cli *a, void *ctx, bool final);
};

/* The default of --max-keys: as many as the kernel's BPF maps hold by
 * default (sonde_bpf_agg_opts.max_entries) */
#define MAX_KEYS_DEFAULT 10240

/* Parse the command's own options, then the shared ones. */
int agg_parse(int argc, char **argv, struct agg_cli *a,
	      void (*usage)(FILE *out));
/* Run to the end (Ctrl-C, -d, -c's end, -p's exit); returns the status. */
int agg_main(struct agg_cli *a, const struct agg_ops *ops, void *ctx);
/* The event's key: key[0] the probe, then the --by values; strings point
 * into the event. Returns the number of values. */
int agg_event_key(struct agg_cli *a, const struct sonde_event *ev,
		  struct sonde_agg_key *key);
/* --value of the event, or false when the probe has no such field. */
bool agg_event_value(struct agg_cli *a, const struct sonde_event *ev,
		     int64_t *v);
/* Was a --by or --value field of the event not read (a fault) or not
 * checked? Then the event is left out of the table and counted here. */
bool agg_event_left_out(struct agg_cli *a, const struct sonde_event *ev);
/* Append " NAME" to a spec for --by/--value names the kernel fetches
 * (argN, retval on returns) that the spec does not fetch yet. */
char *agg_spec_with(const char *spec, const char *const *names, int n);
/* The same, a copy the caller frees (NULL when out of memory). */
char *agg_spec_fetching(const char *spec, const char *const *names, int n);

/* agg_print.c */
enum agg_unit { UNIT_NONE, UNIT_NS };
void print_counts(struct agg_cli *a, struct sonde_agg *g, const char *title);
/* tail, when set, adds to the end of the output: lines of text, or JSON
 * members (",\"name\":...") before the object closes. */
void print_hists(struct agg_cli *a, struct sonde_agg *g, enum agg_unit unit,
		 const char *title, void (*tail)(struct agg_cli *a, void *ctx),
		 void *ctx);
/* A duration as "512ns", "65.5us", "1.05ms", "2.5s". */
const char *fmt_ns(char *buf, size_t len, int64_t ns);
void print_stacks(struct agg_cli *a, struct sonde_agg *g);

#endif
