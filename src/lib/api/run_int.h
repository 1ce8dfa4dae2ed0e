/* SPDX-License-Identifier: MIT */
/*
 * sonde run's runtime, shared by api/run*.c: a program compiled by
 * lang/ and backend/bpf/bt_gen*.c, its probes resolved by a session that
 * is never started (memory only), its maps, programs and links.
 */
#ifndef SONDE_API_RUN_INT_H
#define SONDE_API_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <sonde/sonde.h>

#include "base/error.h"
#include "lang/bt.h"

struct ring_buffer;
struct symcache;

/* One place a bt_probe goes: from the resolving session's probes. */
struct run_site {
	char *path;	  /* uprobes, usdt: the file */
	uint64_t offset;  /* uprobes: file offset */
	uint64_t ref_ctr; /* usdt: semaphore offset, or 0 */
	char *ksym;	  /* kprobes: the function */
	int tp_id;	  /* tracepoints: the event's id */
};

/* A bt_probe, resolved. */
struct run_probe {
	const struct bt_probe *bp;
	int block;
	struct run_site *sites;
	struct bt_site *bsites; /* USDT: per site, given to bt_gen (bp->sites) */
	int nsites;
	/* tracepoints, uprobes with DWARF: what sema reads as args-> */
	struct bt_field *fields;
	int nfields;
	/* uprobes: fields read from DWARF once sema asks (run_args.c); the
	 * error then, to say again */
	bool fields_read;
	int fields_err;
	char *fields_msg;
};

struct sonde_run {
	struct sonde_run_opts opts;
	char *text, *filename;
	char **params;
	int nparams;
	struct lib_error err;
	char *errmsg; /* err.msg with the caret lines, for the caller */

	struct bt_program *prog;
	struct bt_compiled *comp;
	struct run_probe *probes; /* one per (block, probe) */
	int nprobes;

	int ncpus;
	int *prog_fds; /* per bt_cprog */
	int *links;    /* fds that hold an attachment */
	int nlinks, caplinks;
	int begin_prog, end_prog; /* indexes into comp->progs, or -1 */
	struct ring_buffer *rb;
	struct symcache *syms;
	bool started, ended, exited;
	bool in_end;  /* END's messages: printed after exit() too */
	int end_link; /* index into links of END's hook, or -1 */
	int clock_links, nclock_links; /* links[] of interval and profile:
					* opened disabled, enabled after BEGIN */
	int exit_code; /* exit(code)'s, else 0 */
	int error; /* a message the ring could not be handled: -errno */
	uint64_t lost; /* messages lost so far, as last said */
	/* with opts.msg_fn: the message being read's stamp (lang/bt.h) */
	const uint8_t *stamp;
};

/* run.c */
int run_err(struct sonde_run *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The error at loc of the program: err.msg and the caret under it. */
int run_err_at(struct sonde_run *r, int err, struct bt_loc loc, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
void run_log(struct sonde_run *r, enum sonde_log_level lvl, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));

/* run_probe.c: each probe's places and fields (memory and files only) */
int run_resolve(struct sonde_run *r);
void run_probes_free(struct sonde_run *r);
int run_probe_info(void *ctx, const struct bt_block *b,
		   const struct bt_probe *p, const struct bt_field **fields,
		   int *nfields, struct lib_error *err);
/* run_args.c: a uprobe's parameters from DWARF into rp->fields, the
 * first time (0 or -errno with err set, then and on every later call) */
int run_uprobe_fields(struct sonde_run *r, struct run_probe *rp,
		      struct lib_error *err);
/* The resolved probe of (block, probe), or NULL. */
struct run_probe *run_probe_of(struct sonde_run *r, int block, int probe);

/* run_usdt.c: a USDT probe's site for the code generator: the `probe`
 * builtin's name, the note's arguments. 0 or -errno. */
struct probe;
int run_usdt_site(const struct probe *p, struct bt_site *bs);
void run_site_free(struct bt_site *bs);

/* run_load.c: maps and programs in the kernel */
int run_load(struct sonde_run *r);
void run_unload(struct sonde_run *r);
/* run_attach.c: every program on its probes; BEGIN, END */
int run_attach(struct sonde_run *r);
int run_add_link(struct sonde_run *r, int fd);
/* the functions BEGIN and END are uprobes on (this process only) */
void run_begin_hook(void *r);
void run_end_hook(void *r);
void run_begin(struct sonde_run *r);
void run_detach_probes(struct sonde_run *r);
void run_end_probe(struct sonde_run *r);

/* run_loop.c: the ring's messages, the maps printed */
int run_ring_open(struct sonde_run *r);
/* print: by print() (an empty map with no key prints its zero) */
int run_print_map(struct sonde_run *r, int map, int top, int div, bool print);
int run_clear_map(struct sonde_run *r, int map, bool zero);
void run_symbolizer(struct sonde_run *r, struct bt_symbolizer *s);

#endif
