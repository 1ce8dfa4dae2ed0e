/* SPDX-License-Identifier: MIT */
/*
 * Where each probe of a `sonde run` program goes, found with sonde's own
 * machinery: a session that is never started resolves each probe's text
 * (targets in $PATH and ld.so.cache, globs, USDT notes, tracepoints'
 * formats) into places, memory and files only; what sema needs of a
 * probe (a tracepoint's fields for args->) is read from the same place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The text sonde's grammar reads for a bpftrace probe: a uprobe's
 * function may be quoted (uprobe:/bin/bash:"echo_builtin"+0). */
static char *spec_text(const struct bt_probe *bp)
{
	const char *s = bp->spec, *q = strrchr(s, ':');
	const char *e = q && q[1] == '"' ? strchr(q + 2, '"') : NULL;
	char *t;

	if ((bp->kind != BT_P_UPROBE && bp->kind != BT_P_URETPROBE) || !e)
		return strdup(s);
	if (asprintf(&t, "%.*s%.*s%s", (int)(q + 1 - s), s, (int)(e - q - 2),
		     q + 2, e + 1) < 0)
		return NULL;
	return t;
}

/* Is pid still this program (a -c command forked, before its exec)? */
static bool same_exe(pid_t pid)
{
	char path[64], a[4096], b[4096];
	ssize_t na, nb;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	na = readlink(path, a, sizeof(a));
	nb = readlink("/proc/self/exe", b, sizeof(b));
	return na > 0 && na == nb && !memcmp(a, b, (size_t)na);
}

/* "uprobe:*:FUNC" with -p: bpftrace's every object mapped in the
 * process, each that has FUNC (the others are left out). 1 when the
 * text is not that, 0 when some object has it, else -errno. */
static int add_every_object(struct sonde_run *r, struct sonde_session *s,
			    const struct run_probe *rp, const char *text)
{
	const char *star = strchr(text, ':');
	char maps[64], line[4352], perms[8], **seen = NULL, **grown, *one;
	int nseen = 0, n, added = 0, i, err = 0;
	FILE *f;

	if ((rp->bp->kind != BT_P_UPROBE && rp->bp->kind != BT_P_URETPROBE) ||
	    !r->opts.pid || !star || strncmp(star, ":*:", 3))
		return 1;
	if (same_exe(r->opts.pid))
		return run_err_at(r, EINVAL, rp->bp->loc,
				  "uprobe:*: needs the process's own objects, "
				  "and process %d has not started its program "
				  "yet (-c): name the file, or use -p",
				  (int)r->opts.pid);
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)r->opts.pid);
	f = fopen(maps, "re");
	if (!f)
		return run_err_at(r, errno, rp->bp->loc, "cannot read %s: %s",
				  maps, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		char *path;

		if (sscanf(line, "%*x-%*x %7s %*x %*s %*u %n", perms, &n) < 1 ||
		    !strchr(perms, 'x') || line[n] != '/')
			continue;
		path = line + n;
		path[strcspn(path, "\n")] = '\0';
		if (strstr(path, " (deleted)"))
			continue;
		for (i = 0; i < nseen && strcmp(seen[i], path); i++)
			;
		if (i < nseen)
			continue;
		grown = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (!grown || !(grown[nseen] = strdup(path))) {
			seen = grown ? grown : seen;
			err = -ENOMEM;
			break;
		}
		seen = grown;
		nseen++;
		if (asprintf(&one, "%.*s:%s%s", (int)(star - text), text, path,
			     star + 2) < 0) {
			err = -ENOMEM;
			break;
		}
		if (!sonde_session__add_probe(s, one, NULL))
			added++;
		free(one);
	}
	fclose(f);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	if (err)
		return run_err_at(r, -err, rp->bp->loc, "out of memory");
	if (!added)
		return run_err_at(r, ENOENT, rp->bp->loc,
				  "no object mapped in process %d has '%s'",
				  (int)r->opts.pid, star + 3);
	return 0;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* bpftrace's full name of a probe type (its messages and `probe`) */
static const char *kind_name(enum bt_pkind k)
{
	static const char *const kinds[] = {
		[BT_P_UPROBE] = "uprobe",
		[BT_P_URETPROBE] = "uretprobe",
		[BT_P_USDT] = "usdt",
		[BT_P_KPROBE] = "kprobe",
		[BT_P_KRETPROBE] = "kretprobe",
		[BT_P_TRACEPOINT] = "tracepoint",
	};

	return (size_t)k < sizeof(kinds) / sizeof(*kinds) ? kinds[k] : NULL;
}

/* The probe builtin's value at each place (bt_site.name): bpftrace's
 * full type name, the file, the function or event ("kprobe:vfs_read"
 * for k:vfs_read, each match of a glob). USDT sites are named by
 * run_usdt_site(). */
static int site_names(struct run_probe *rp, const struct sonde_session *s)
{
	const char *kind = kind_name(rp->bp->kind);
	int i, n;

	if (!kind || s->nprobes != rp->nsites)
		return 0;
	for (i = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i];
		const struct probe_spec *sp = &p->spec;
		char **name = &rp->bsites[i].name;

		if (sp->kind == PROBE_TRACEPOINT)
			n = asprintf(name, "%s:%s:%s", kind, sp->group,
				     sp->event);
		else if (p->path && sp->symbol && sp->offset)
			n = asprintf(name, "%s:%s:%s+%" PRIu64, kind, p->path,
				     sp->symbol, sp->offset);
		else if (p->path && sp->symbol)
			n = asprintf(name, "%s:%s:%s", kind, p->path,
				     sp->symbol);
		else if (sp->symbol && sp->offset)
			n = asprintf(name, "%s:%s+%" PRIu64, kind, sp->symbol,
				     sp->offset);
		else if (sp->symbol)
			n = asprintf(name, "%s:%s", kind, sp->symbol);
		else
			n = asprintf(name, "%s", rp->bp->spec);
		if (n < 0) {
			*name = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

/* bpftrace refuses a function whose ELF symbol has no size: where it
 * ends is not known (a uprobe by name, not a glob's match) */
static int check_sized(struct sonde_run *r, const struct run_probe *rp,
		       const struct sonde_session *s)
{
	const struct probe *p = s->nprobes == 1 ? &s->probes[0] : NULL;

	if (!p || is_glob(rp->bp->spec) || !probe_kind_is_user(p->spec.kind) ||
	    p->spec.usdt || p->spec.pattern || !p->spec.symbol ||
	    !p->sym_vaddr || p->sym_size)
		return 0;
	return run_err_at(r, EINVAL, rp->bp->loc,
			  "Could not determine boundary for %s (symbol has "
			  "size 0)",
			  p->spec.symbol);
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
	char *text = spec_text(rp->bp);
	int i, err;

	if (!s || !text) {
		sonde_session__close(s);
		free(text);
		return run_err(r, ENOMEM, "out of memory");
	}
	/* a USDT probe's arguments are read from its note by the program
	 * (run_usdt.c), forms the kernel cannot fetch too: the session,
	 * which would fetch every one by default, is given one register
	 * in their place (it is never started) */
	if (rp->bp->kind == BT_P_USDT) {
		char *t;

		if (asprintf(&t, "%s %%ip", text) < 0) {
			err = run_err(r, ENOMEM, "out of memory");
			goto out;
		}
		free(text);
		text = t;
	}
	err = add_every_object(r, s, rp, text);
	if (err <= 0) {
		if (err)
			goto out;
		goto found;
	}
	err = sonde_session__add_probe(s, text, NULL);
	if (err < 0) {
		if (sonde_session__errcol(s) >= 0) {
			loc.col += sonde_session__errcol(s);
			loc.len = 1;
		}
		if (err == -ENOENT && kind_name(rp->bp->kind) &&
		    strchr(rp->bp->spec, ':'))
			/* bpftrace's words first, then what sonde found */
			err = run_err_at(r, ENOENT, loc, "No matches for %s %s: %s",
					 kind_name(rp->bp->kind),
					 strchr(rp->bp->spec, ':') + 1,
					 sonde_session__errmsg(s));
		else
			err = run_err_at(r, -err, loc, "%s",
					 sonde_session__errmsg(s));
		goto out;
	}
	err = check_sized(r, rp, s);
	if (err)
		goto out;
found:
	rp->sites = calloc(s->nprobes, sizeof(*rp->sites));
	if (!rp->sites) {
		err = run_err(r, ENOMEM, "out of memory");
		goto out;
	}
	rp->bsites = calloc(s->nprobes + 1, sizeof(*rp->bsites));
	if (!rp->bsites) {
		err = run_err(r, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < s->nprobes && !err; i++) {
		err = take_site(rp, &s->probes[i]);
		if (!err && rp->bp->kind == BT_P_USDT)
			err = run_usdt_site(&s->probes[i], &rp->bsites[i]);
	}
	/* one format for every match of a tracepoint glob: sema types
	 * args-> once, from the first */
	if (!err && s->nprobes && s->probes[0].spec.kind == PROBE_TRACEPOINT)
		err = take_fields(rp, &s->probes[0]);
	if (!err && rp->bp->kind != BT_P_USDT)
		err = site_names(rp, s);
	if (err)
		err = run_err_at(r, -err, loc, "%s: %s", rp->bp->spec,
				 strerror(-err));
out:
	free(text);
	sonde_session__close(s);
	return err;
}

int run_resolve(struct sonde_run *r)
{
	struct bt_program *p = r->prog;
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
			if (rp->bsites) { /* borrowed by the program */
				p->blocks[b].probes[i].sites = rp->bsites;
				p->blocks[b].probes[i].nsites = rp->nsites;
			}
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
		for (j = 0; rp->bsites && j < rp->nsites; j++)
			run_site_free(&rp->bsites[j]);
		free(rp->bsites);
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
