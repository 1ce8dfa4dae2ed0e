/* SPDX-License-Identifier: MIT */
/*
 * Where a probe with variables by name reads them. A variable whose
 * location is one frame-relative expression (gcc -O0: DW_OP_fbreg) is in
 * its stack slot only once the prologue has stored it there, so a probe on
 * a function by name goes after the prologue, as gdb's `break FUNC` and
 * perf probe do (the line table's prologue_end, else the function's second
 * line entry: perf's probe-finder.c get_postprologue_addr()); a probe at an
 * explicit address inside the prologue is refused. Location lists (-O1 and
 * up) say themselves where a value is at each address: they are read at the
 * probe's address as given.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dwarf_int.h"
#include "elf.h"
#include "internal.h"

/* The subprogram's frame base is the CFA (gcc): then it is known at
 * every address, the prologue's included. */
static bool cfa_frame_base(struct dwarf_scope *d)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;

	return d->sub >= 0 &&
	       dwarf_attr(&d->scopes[d->sub], DW_AT_frame_base, &a) &&
	       !dwarf_getlocation(&a, &ops, &n) && n == 1 &&
	       ops[0].atom == DW_OP_call_frame_cfa;
}

/* A single location expression (not a list) relative to a frame or stack
 * register: valid only after the prologue, except at or above the CFA
 * (arguments the caller passed on the stack). */
static bool frame_slot(struct dwarf_scope *d, Dwarf_Die *var)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	unsigned int op, form;

	if (!dwarf_attr_integrate(var, DW_AT_location, &a))
		return false;
	form = dwarf_whatform(&a);
	if (form != DW_FORM_exprloc && form != DW_FORM_block1 &&
	    form != DW_FORM_block2 && form != DW_FORM_block4 &&
	    form != DW_FORM_block)
		return false;
	if (dwarf_getlocation(&a, &ops, &n) || !n)
		return false;
	op = ops[0].atom;
	if (op == DW_OP_fbreg)
		return (Dwarf_Sword)ops[0].number < 0 || !cfa_frame_base(d);
	return op == DW_OP_bregx || (op >= DW_OP_breg0 && op <= DW_OP_breg31);
}

/* The first deferred argument naming a variable in a stack slot (its
 * name in out), or NULL. $params checks every parameter. */
static struct probe_arg *slot_arg(struct dwarf_scope *d, struct probe *p,
				  char *out, size_t len)
{
	Dwarf_Die var, c, *fn = &d->scopes[d->fn];
	char name[128];
	size_t i, k;

	for (i = 0; i < p->spec.nargs; i++) {
		struct probe_arg *a = &p->spec.args[i];

		if (!a->deferred)
			continue;
		if (!strcmp(a->fetch, "$params")) {
			if (dwarf_child(fn, &c))
				continue;
			do {
				if (dwarf_tag(&c) == DW_TAG_formal_parameter &&
				    frame_slot(d, &c)) {
					snprintf(out, len, "%s",
						 dwarf_diename(&c)
							 ? dwarf_diename(&c)
							 : "?");
					return a;
				}
			} while (dwarf_siblingof(&c, &c) == 0);
			continue;
		}
		k = strcspn(a->fetch, "-.[");
		if (k >= sizeof(name))
			continue;
		memcpy(name, a->fetch, k);
		name[k] = '\0';
		if (dwarf_getscopevar(d->scopes, d->nscopes, name, 0, NULL, 0,
				      0, &var) >= 0 &&
		    frame_slot(d, &var)) {
			snprintf(out, len, "%s", name);
			return a;
		}
	}
	return NULL;
}

/* The address after the prologue of the subprogram at d->pc: the first
 * line entry marked prologue_end, else the function's second line entry
 * (its first statement). 0 or -ENOENT. */
static int post_prologue(struct dwarf_scope *d, Dwarf_Addr *out)
{
	Dwarf_Die *sub, cu;
	Dwarf_Addr lo, hi, addr;
	Dwarf_Lines *lines;
	Dwarf_Line *line;
	size_t n, i, first = (size_t)-1;
	bool pend;

	if (d->sub < 0)
		return -ENOENT;
	sub = &d->scopes[d->sub];
	if (dwarf_lowpc(sub, &lo) || dwarf_highpc(sub, &hi) ||
	    !dwarf_diecu(sub, &cu, NULL, NULL) ||
	    dwarf_getsrclines(&cu, &lines, &n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		line = dwarf_onesrcline(lines, i);
		if (!line || dwarf_lineaddr(line, &addr))
			return -ENOENT;
		if (addr < lo || addr >= hi)
			continue;
		if (first == (size_t)-1) {
			if (addr != lo)
				return -ENOENT;
			first = i;
		}
		if (!dwarf_lineprologueend(line, &pend) && pend) {
			*out = addr;
			return 0;
		}
		if (i > first) {
			*out = addr;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *sub_name(struct dwarf_scope *d)
{
	const char *n = dwarf_diename(&d->scopes[d->sub]);

	return n ? n : "?";
}

/*
 * A probe on a function by name whose variables are in stack slots moves
 * after the prologue (*moved set); one at an address given inside the
 * prologue is refused. 0, or -errno with the session's message.
 */
static int place(struct sonde_session *s, struct probe *p,
		 struct dwarf_scope *d, uint64_t *new_pc)
{
	const struct probe_spec *sp = &p->spec;
	Dwarf_Addr lo, post;
	struct probe_arg *a;
	char var[128];

	*new_pc = d->pc;
	if (sp->usdt || d->sub < 0 || dwarf_lowpc(&d->scopes[d->sub], &lo))
		return 0;
	a = slot_arg(d, p, var, sizeof(var));
	if (!a)
		return 0;
	if (post_prologue(d, &post) || post <= lo) {
		/* at the entry nothing is stored yet; further on, where the
		 * prologue ends is not known: read as the user placed it */
		if (d->pc != lo)
			return 0;
		return set_err(s, EINVAL, a->fetch_col,
			       "'%s' is in a stack slot that the prologue of "
			       "%s writes, and the line table does not say "
			       "where the prologue ends: probe an address "
			       "after it (+OFF)",
			       var, sub_name(d));
	}
	if (d->pc >= post)
		return 0;
	if (sp->symbol && !sp->has_offset && !sp->has_addr && d->pc == lo) {
		*new_pc = post;
		slog(s, SONDE_LOG_INFO,
		     "%s: '%s' is in its stack slot only after the prologue: "
		     "probing %s+0x%llx (the line table's end of the prologue)",
		     sp->symbol, var, sp->symbol,
		     (unsigned long long)(post - lo));
		return 0;
	}
	return set_err(s, EINVAL, a->fetch_col,
		       "'%s' is written to its stack slot by the prologue of "
		       "%s, which ends at %s+0x%llx: this address (%s+0x%llx) "
		       "would read it before it is stored; probe %s+0x%llx or "
		       "later, or %s by name",
		       var, sub_name(d), sub_name(d),
		       (unsigned long long)(post - lo), sub_name(d),
		       (unsigned long long)(d->pc - lo), sub_name(d),
		       (unsigned long long)(post - lo), sub_name(d));
}

/* The resolver spec_resolve_args() calls. */
static int resolve_name(void *ctx, const char *name, bool want_string,
			char **fetch, char *type, size_t typelen,
			struct lib_error *e)
{
	return dwarf_scope_fetch(ctx, name, want_string, fetch, type, typelen,
				 e);
}

static int resolve_params(void *ctx, char ***names, struct lib_error *e)
{
	return dwarf_scope_params(ctx, names, e);
}

static int open_err(struct sonde_session *s, struct probe *p, int err,
		    const char *msg)
{
	int col = p->spec.symbol_col;

	/* the first deferred argument is what needed it */
	for (size_t i = 0; i < p->spec.nargs; i++)
		if (p->spec.args[i].deferred) {
			col = p->spec.args[i].fetch_col;
			break;
		}
	/* a spec the target cannot satisfy: EINVAL (exit 2) */
	return set_err(s, err == -ENOMEM ? ENOMEM : EINVAL, col, "%s", msg);
}

int dwarf_resolve_probe(struct sonde_session *s, struct probe *p,
			struct elf_file *ef)
{
	struct fetch_resolver r = {.name = resolve_name,
				   .params = resolve_params};
	struct lib_error perr = LIB_ERROR_SPEC_INIT;
	struct lib_error oe = LIB_ERROR_INIT(512);
	struct dwarf_scope *d = NULL;
	uint64_t pc, moved;
	bool exec;
	int err;

	if (p->spec.kind == PROBE_URETPROBE) {
		for (size_t i = 0; i < p->spec.nargs; i++)
			if (p->spec.args[i].deferred)
				return set_err(
					s, EINVAL, p->spec.args[i].fetch_col,
					"'%s' is read where the function "
					"starts: a return probe has only "
					"retval (probe it with u:)",
					p->spec.args[i].fetch);
	}
	if (elf_file_offset_to_vaddr(ef, p->offset, &pc, &exec))
		return set_err(s, EINVAL, p->spec.symbol_col,
			       "offset 0x%llx is not in a loaded segment of %s",
			       (unsigned long long)p->offset, p->path);
	err = dwarf_scope_open(p->path, s->opts.debug_dir, pc, p->offset, &d,
			       &oe);
	if (err)
		return open_err(s, p, err, oe.msg);
	/* resolve_uprobe() said it already when the symbols needed it */
	if (d->note[0] && strcmp(d->note, elf_file_debug_note(ef)))
		slog(s, SONDE_LOG_INFO, "%s", d->note);
	if (d->dbgfile)
		slog(s, SONDE_LOG_INFO, "debug info of %s: %s", p->path,
		     d->dbgfile->path);
	err = place(s, p, d, &moved);
	if (!err && moved != pc) {
		/* the same segment: the file offset moves as far */
		p->offset += moved - pc;
		dwarf_scope_close(d);
		err = dwarf_scope_open(p->path, s->opts.debug_dir, moved,
				       p->offset, &d, &oe);
		if (err)
			return open_err(s, p, err, oe.msg);
	}
	if (err) {
		dwarf_scope_close(d);
		return err;
	}
	r.ctx = d;
	err = spec_resolve_args(&p->spec, &r, NULL, &perr);
	dwarf_scope_close(d);
	if (err)
		return set_err(s, -err, perr.col, "%s", perr.msg);
	return 0;
}
