/* SPDX-License-Identifier: MIT */
/*
 * sonde run (sonde_run__*): a bpftrace program from text to a running
 * set of BPF programs and back. This file holds the order of the steps
 * and the errors; the probes are resolved in run_probe.c, the kernel's
 * objects made in run_load.c and run_attach.c, the messages read in
 * run_loop.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_int.h"

struct sonde_run *sonde_run__open(const struct sonde_run_opts *opts)
{
	struct sonde_run *r;
	size_t n;
	int i;

	if (!opts || !opts->text) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	n = opts->sz < sizeof(r->opts) ? opts->sz : sizeof(r->opts);
	memcpy(&r->opts, opts, n);
	r->opts.sz = sizeof(r->opts);
	r->err = (struct lib_error)LIB_ERROR_INIT(0);
	r->begin_prog = r->end_prog = -1;
	r->end_link = -1;
	r->text = strdup(opts->text);
	r->filename = strdup(opts->filename ? opts->filename : "stdin");
	r->params = calloc(opts->nparams + 1, sizeof(*r->params));
	if (!r->text || !r->filename || !r->params)
		goto fail;
	for (i = 0; i < opts->nparams; i++)
		if (!(r->params[r->nparams++] = strdup(opts->params[i])))
			goto fail;
	/* the strings are the run's own now */
	r->opts.text = r->text;
	r->opts.filename = r->filename;
	r->opts.params = r->params;
	if (!r->opts.out)
		r->opts.out = stdout;
	return r;
fail:
	sonde_run__close(r);
	errno = ENOMEM;
	return NULL;
}

void run_log(struct sonde_run *r, enum sonde_log_level lvl, const char *fmt,
	     ...)
{
	char buf[1024];
	va_list ap;

	if (!r->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->opts.log(lvl, buf, r->opts.log_ctx);
}

static void set_errmsg(struct sonde_run *r, const char *caret)
{
	free(r->errmsg);
	r->errmsg = NULL;
	if (caret && asprintf(&r->errmsg, "%s\n%s", r->err.msg, caret) < 0)
		r->errmsg = NULL;
}

int run_err(struct sonde_run *r, int err, const char *fmt, ...)
{
	char buf[LIB_ERROR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lib_error_set(&r->err, err, -1, "%s", buf);
	set_errmsg(r, NULL);
	return -abs(err);
}

/* The lines bt_caret() writes under its own first line (the place and
 * message, said by the error itself): the source line and the caret. */
static char *caret_lines(const struct bt_program *p, struct bt_loc loc)
{
	char *buf = NULL, *nl, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	bt_caret(p, loc, f);
	fclose(f);
	if (!buf)
		return NULL;
	nl = strchr(buf, '\n');
	/* a first line that is the place ("FILE:LINE:COL: ...") is dropped */
	if (nl && !strncmp(buf, p->filename, strlen(p->filename)))
		out = strdup(nl + 1);
	else
		out = strdup(buf);
	free(buf);
	if (out && (len = strlen(out)) && out[len - 1] == '\n')
		out[len - 1] = '\0';
	return out;
}

static int err_caret(struct sonde_run *r, const struct bt_program *p,
		     struct bt_loc loc)
{
	char *c = caret_lines(p, loc);

	set_errmsg(r, c);
	free(c);
	return -r->err.err;
}

int run_err_at(struct sonde_run *r, int err, struct bt_loc loc, const char *fmt,
	       ...)
{
	char buf[LIB_ERROR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* bpftrace's form, as lang/ words its own errors */
	lib_error_set(&r->err, err, -1, "%s:%d:%d-%d: ERROR: %s", r->filename,
		      loc.line, loc.col + 1, loc.col + 1 + loc.len, buf);
	return err_caret(r, r->prog, loc);
}

/* An error of lang/ or bt_gen: its message has the caret lines when it
 * names a place (lang/ast.c bt_verror()); else err.col is the byte
 * offset in the text, or -1. */
static int parse_failed(struct sonde_run *r, const struct lib_error *e)
{
	struct bt_program p = {.filename = r->filename, .text = r->text};
	struct bt_loc loc = {.line = 1, .col = 0, .len = 1};
	size_t len = strlen(r->text), off, i;

	r->err = *e;
	if (!r->err.err)
		r->err.err = EINVAL;
	if (e->col < 0 || strchr(e->msg, '\n')) {
		set_errmsg(r, NULL);
		return -r->err.err;
	}
	off = (size_t)e->col < len ? (size_t)e->col : len;
	for (i = 0; i < off; i++) {
		if (r->text[i] == '\n') {
			loc.line++;
			loc.col = 0;
		} else {
			loc.col++;
		}
	}
	return err_caret(r, &p, loc);
}

/* A feature that runs code outside the tracer (system()) is refused at
 * its place: sonde does not run commands for a program. */
static int refuse_node(struct sonde_run *r, const struct bt_node *n)
{
	int i, err;

	if (!n)
		return 0;
	if (n->kind == BT_N_CALL && n->name && !strcmp(n->name, "system"))
		return run_err_at(r, EINVAL, n->loc,
				  "system() is not supported: sonde does not "
				  "run commands for a program");
	for (i = 0; i < n->nkid; i++)
		if ((err = refuse_node(r, n->kid[i])))
			return err;
	if ((err = refuse_node(r, n->body)))
		return err;
	return refuse_node(r, n->orelse);
}

int sonde_run__compile(struct sonde_run *r)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	int i, err;

	if (!r || r->prog)
		return -EINVAL;
	r->prog = bt_parse_params(r->text, r->filename, r->params, r->nparams,
				  &e);
	if (!r->prog)
		return parse_failed(r, &e);
	/* where each probe goes, before sema asks for its fields */
	err = run_resolve(r);
	if (err)
		return err;
	err = bt_check(r->prog, r->params, r->nparams, run_probe_info, r, &e);
	if (err)
		return parse_failed(r, &e);
	for (i = 0; i < r->prog->nwarnings; i++)
		run_log(r, SONDE_LOG_WARN, "%s", r->prog->warnings[i]);
	for (i = 0; i < r->prog->nblocks; i++) {
		err = refuse_node(r, r->prog->blocks[i].pred);
		if (!err)
			err = refuse_node(r, r->prog->blocks[i].body);
		if (err)
			return err;
	}
	r->prog->msg_stamp = r->opts.msg_fn != NULL;
	r->comp = bt_gen(r->prog, &e);
	if (!r->comp)
		return parse_failed(r, &e);
	return 0;
}

int sonde_run__dump(struct sonde_run *r, FILE *out)
{
	if (!r || !r->comp)
		return -EINVAL;
	bt_gen_dump(r->comp, out);
	return ferror(out) ? -EIO : 0;
}

int sonde_run__probe_count(const struct sonde_run *r)
{
	int i, n = 0;

	if (!r)
		return 0;
	for (i = 0; i < r->nprobes; i++)
		n += r->probes[i].nsites;
	return n;
}

int sonde_run__start(struct sonde_run *r)
{
	int err;

	if (!r || !r->comp || r->started)
		return -EINVAL;
	r->started = true;
	err = run_load(r);
	if (!err)
		err = run_ring_open(r);
	if (!err)
		err = run_attach(r);
	if (err)
		return err;
	run_begin(r);
	return 0;
}

void sonde_run__set_output(struct sonde_run *r, FILE *out)
{
	if (r)
		r->opts.out = out ? out : stdout;
}

bool sonde_run__exited(const struct sonde_run *r)
{
	return r && r->exited;
}

int sonde_run__exit_code(const struct sonde_run *r)
{
	return r && r->exited ? r->exit_code : 0;
}

const char *sonde_run__errmsg(const struct sonde_run *r)
{
	if (!r)
		return "no run";
	return r->errmsg ? r->errmsg : r->err.msg;
}

void sonde_run__close(struct sonde_run *r)
{
	int i;

	if (!r)
		return;
	run_unload(r);
	bt_compiled_free(r->comp);
	bt_program_free(r->prog);
	run_probes_free(r);
	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r->params);
	free(r->text);
	free(r->filename);
	free(r->errmsg);
	free(r);
}
