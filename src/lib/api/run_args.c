/* SPDX-License-Identifier: MIT */
/*
 * A uprobe's parameters by name for sema (`args.n`, `args->n`, `args`
 * alone), read once from the DWARF of the function each of its places
 * enters (sym/dwarf_params.c: x86-64's calling convention checked against
 * DWARF) when sema first asks, so a program that never says args costs
 * no debug info. A probe that matches several functions gets the
 * parameters they agree on (same name, type and register); the others
 * are named with why they are not read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "run_int.h"
#include "sym/dwarf.h"

static bool same(const struct dwarf_param *a, const struct dwarf_param *b)
{
	return !strcmp(a->name, b->name) && a->cls == b->cls &&
	       a->size == b->size && a->is_signed == b->is_signed &&
	       a->pointee_size == b->pointee_size &&
	       a->pointee_signed == b->pointee_signed && a->slot == b->slot &&
	       !strcmp(a->why, b->why);
}

/* p as sema types it: a NONE type with why where it is not read */
static int field_of(const struct dwarf_param *p, struct bt_field *f)
{
	memset(f, 0, sizeof(*f));
	f->arg = p->slot;
	if (p->slot >= 0 && p->cls == DWP_INT) {
		f->type.kind = BT_T_INT;
		f->type.size = 8;
		f->type.isize = (uint8_t)p->size;
		f->type.is_signed = p->is_signed;
	} else if (p->slot >= 0 && p->cls == DWP_PTR) {
		f->type.kind = BT_T_PTR;
		f->type.size = 8;
		f->type.isize = (uint8_t)p->pointee_size;
		f->type.is_signed = p->pointee_signed;
		f->type.is_user = true;
	} else if (!(f->why = strdup(p->why[0] ? p->why
					       : "it is not read yet"))) {
		return -ENOMEM;
	}
	f->name = strdup(p->name);
	if (f->name)
		return 0;
	free(f->why);
	f->why = NULL;
	return -ENOMEM;
}

/* the first site's parameters, each checked against every other site's */
static int merge(struct run_probe *rp, struct dwarf_param **ps, int *ns)
{
	int i, j, err;

	rp->fields = calloc((size_t)ns[0] + 1, sizeof(*rp->fields));
	if (!rp->fields)
		return -ENOMEM;
	for (i = 0; i < ns[0]; i++) {
		struct dwarf_param p = ps[0][i];

		for (j = 1; j < rp->nsites; j++)
			if (i >= ns[j] || !same(&p, &ps[j][i]))
				break;
		if (j < rp->nsites) {
			p.slot = -1;
			snprintf(p.why, sizeof(p.why),
				 "'%s' differs between the functions %s "
				 "matches",
				 p.name, rp->bp->spec);
		}
		err = field_of(&p, &rp->fields[rp->nfields]);
		if (err)
			return err;
		rp->nfields++;
	}
	return 0;
}

int run_uprobe_fields(struct sonde_run *r, struct run_probe *rp,
		      struct lib_error *err)
{
	struct dwarf_param **ps;
	char why[LIB_ERROR_MSG];
	int *ns, i, e = 0;

	if (rp->fields_read)
		return rp->fields_err ? lib_error_set(err, -rp->fields_err, -1,
						      "%s", rp->fields_msg)
				      : 0;
	rp->fields_read = true;
	ps = calloc((size_t)rp->nsites + 1, sizeof(*ps));
	ns = calloc((size_t)rp->nsites + 1, sizeof(*ns));
	if (!ps || !ns) {
		e = lib_error_set(err, ENOMEM, -1, "out of memory");
		goto out;
	}
	for (i = 0; i < rp->nsites && !e; i++) {
		e = dwarf_entry_params(rp->sites[i].path, r->opts.debug_dir,
				       rp->sites[i].offset, &ps[i], &ns[i],
				       err);
		if (e) {
			snprintf(why, sizeof(why), "%s", err->msg);
			lib_error_set(err, -e, -1, "%s: args: %s", rp->bp->spec,
				      why);
		}
	}
	if (!e && rp->nsites && (e = merge(rp, ps, ns)) < 0)
		lib_error_set(err, -e, -1, "out of memory");
out:
	for (i = 0; ps && i < rp->nsites; i++)
		dwarf_params_free(ps[i], ns[i]);
	free(ps);
	free(ns);
	rp->fields_err = e;
	if (e && !(rp->fields_msg = strdup(err->msg)))
		rp->fields_err = -ENOMEM;
	return e;
}
