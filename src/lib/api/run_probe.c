/* SPDX-License-Identifier: MIT */
/*
 * Where each probe of a `sonde run` program goes, found with sonde's own
 * machinery: a session that is never started resolves each probe's text
 * (targets in $PATH and ld.so.cache, globs, USDT notes, tracepoints'
 * formats) into places, memory and files only; what sema needs of a
 * probe (a tracepoint's fields for args->) is read from the same place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "run_int.h"

struct run_probe *run_probe_of(struct sonde_run *r, int block, int probe)
{
	int i;

	for (i = 0; i < r->nprobes; i++)
		if (r->probes[i].block == block &&
		    r->probes[i].bp == &r->prog->blocks[block].probes[probe])
			return &r->probes[i];
	return NULL;
}

static bool needs_session(enum bt_pkind k)
{
	switch (k) {
	case BT_P_UPROBE:
	case BT_P_URETPROBE:
	case BT_P_USDT:
	case BT_P_KPROBE:
	case BT_P_KRETPROBE:
	case BT_P_TRACEPOINT:
		return true;
	default:
		return false;
	}
}

/* A tracepoint's field as sema types it. Arrays of numbers are left out
 * (sema then says the field is not known): bpftrace reads them as
 * arrays, which the language here does not have yet. */
static int field_of(const struct field_layout *f, struct bt_field *bf)
{
	memset(bf, 0, sizeof(*bf));
	bf->offset = f->offset;
	switch (f->type) {
	case FT_STRING:
		bf->type.kind = BT_T_STR;
		bf->data_loc = f->is_dynamic;
		bf->type.strsize = f->is_dynamic ? BT_STRLEN : f->size;
		bf->type.size = bf->type.strsize;
		break;
	case FT_UNSIGNED:
	case FT_SIGNED:
	case FT_HEX:
	case FT_SYMBOL:
		if (f->size != 1 && f->size != 2 && f->size != 4 &&
		    f->size != 8)
			return 1;
		bf->type.kind = BT_T_INT;
		bf->type.size = 8;
		bf->type.isize = (uint8_t)f->size;
		bf->type.is_signed = f->is_signed;
		break;
	default:
		return 1;
	}
	bf->name = strdup(f->name);
	return bf->name ? 0 : -ENOMEM;
}

static int take_fields(struct run_probe *rp, const struct probe *p)
{
	size_t i;
	int err;

	rp->fields = calloc(p->fmt.nfields + 1, sizeof(*rp->fields));
	if (!rp->fields)
		return -ENOMEM;
	for (i = 0; i < p->fmt.nfields; i++) {
		err = field_of(&p->fmt.fields[i], &rp->fields[rp->nfields]);
		if (err < 0)
			return err;
		if (!err)
			rp->nfields++;
	}
	return 0;
}

static int take_site(struct run_probe *rp, const struct probe *p)
{
	struct run_site *st = &rp->sites[rp->nsites];

	memset(st, 0, sizeof(*st));
	if (p->spec.kind == PROBE_TRACEPOINT) {
		st->tp_id = p->fmt.id;
	} else if (probe_kind_is_user(p->spec.kind)) {
		if (!p->path || !(st->path = strdup(p->path)))
			return -ENOMEM;
		st->offset = p->offset;
		st->ref_ctr = p->spec.ref_ctr_offset;
	} else {
		if (!p->spec.symbol || !(st->ksym = strdup(p->spec.symbol)))
			return -EINVAL;
		st->offset = p->spec.offset;
	}
	rp->nsites++;
	return 0;
}

/* rp's places: its text added to a session of its own (memory only). */
static int resolve_one(struct sonde_run *r, struct run_probe *rp)
{
	struct sonde_session_opts so = {
		.sz = sizeof(so),
		.pid = r->opts.pid,
		.debug_dir = r->opts.debug_dir,
		.max_probes = r->opts.max_probes,
	};
	struct sonde_session *s = sonde_session__open(&so);
	struct bt_loc loc = rp->bp->loc;
	int i, err;

	if (!s)
		return run_err(r, ENOMEM, "out of memory");
	err = sonde_session__add_probe(s, rp->bp->spec, NULL);
	if (err < 0) {
		if (sonde_session__errcol(s) >= 0) {
			loc.col += sonde_session__errcol(s);
			loc.len = 1;
		}
		err = run_err_at(r, -err, loc, "%s", sonde_session__errmsg(s));
		goto out;
	}
	rp->sites = calloc(s->nprobes, sizeof(*rp->sites));
	if (!rp->sites) {
		err = run_err(r, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < s->nprobes && !err; i++)
		err = take_site(rp, &s->probes[i]);
	/* one format for every match of a tracepoint glob: sema types
	 * args-> once, from the first */
	if (!err && s->nprobes && s->probes[0].spec.kind == PROBE_TRACEPOINT)
		err = take_fields(rp, &s->probes[0]);
	if (err)
		err = run_err_at(r, -err, loc, "%s: %s", rp->bp->spec,
				 strerror(-err));
out:
	sonde_session__close(s);
	return err;
}

int run_resolve(struct sonde_run *r)
{
	const struct bt_program *p = r->prog;
	int b, i, n = 0, err;

	for (b = 0; b < p->nblocks; b++)
		n += p->blocks[b].nprobes;
	r->probes = calloc(n + 1, sizeof(*r->probes));
	if (!r->probes)
		return run_err(r, ENOMEM, "out of memory");
	for (b = 0; b < p->nblocks; b++) {
		for (i = 0; i < p->blocks[b].nprobes; i++) {
			struct run_probe *rp = &r->probes[r->nprobes++];

			rp->bp = &p->blocks[b].probes[i];
			rp->block = b;
			if (!needs_session(rp->bp->kind)) {
				rp->nsites = 1; /* as bpftrace counts it */
				continue;
			}
			err = resolve_one(r, rp);
			if (err)
				return err;
		}
	}
	return 0;
}

int run_probe_info(void *ctx, const struct bt_block *b,
		   const struct bt_probe *p, const struct bt_field **fields,
		   int *nfields, struct lib_error *err)
{
	struct sonde_run *r = ctx;
	int i, e;

	(void)b;
	for (i = 0; i < r->nprobes; i++) {
		if (r->probes[i].bp != p)
			continue;
		if (p->kind == BT_P_UPROBE &&
		    (e = run_uprobe_fields(r, &r->probes[i], err)) < 0)
			return e;
		*fields = r->probes[i].fields;
		*nfields = r->probes[i].nfields;
		return 0;
	}
	return lib_error_set(err, ENOENT, -1, "%s: probe not resolved",
			     p->spec);
}

void run_probes_free(struct sonde_run *r)
{
	int i, j;

	for (i = 0; i < r->nprobes; i++) {
		struct run_probe *rp = &r->probes[i];

		for (j = 0; rp->sites && j < rp->nsites; j++) {
			free(rp->sites[j].path);
			free(rp->sites[j].ksym);
		}
		free(rp->sites);
		for (j = 0; j < rp->nfields; j++) {
			free(rp->fields[j].name);
			free(rp->fields[j].why);
		}
		free(rp->fields);
		free(rp->fields_msg);
	}
	free(r->probes);
	r->probes = NULL;
	r->nprobes = 0;
}
