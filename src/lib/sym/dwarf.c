/* SPDX-License-Identifier: MIT */
/*
 * perf probe's variable syntax at a probe address: "name", "p->member",
 * "s.member", "arr[2]", "$params" -> kernel fetchargs (libdw). Names are
 * looked up in the scopes that contain the address, innermost first
 * (lexical blocks, inlined functions, the function, the CU's globals).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_int.h"
#include "elf.h"
#include "internal.h"

/* The file's own DWARF, else its separate debug file's. */
static int open_dwarf(const char *path, const char *dirs, int *fd, Elf **elf,
		      struct debug_file **df, Dwarf **dbg, char *note,
		      size_t notelen)
{
	const char *why = "section header table";

	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (!*elf)
		return -ENOEXEC;
	*dbg = dwarf_begin_elf(*elf, DWARF_C_READ, NULL);
	if (!*dbg && debuginfo_open(*elf, path, dirs, df, note, notelen) == 0)
		*dbg = dwarf_begin_elf((*df)->elf, DWARF_C_READ, NULL);
	if (!*dbg)
		return -ENODATA;
	if (dw_check_strings(*dbg, &why)) {
		if (note)
			snprintf(note, notelen,
				 "its %s does not end with a NUL", why);
		return -EBADMSG;
	}
	return 0;
}

static void close_dwarf(int fd, Elf *elf, struct debug_file *df, Dwarf *dbg)
{
	if (dbg)
		dwarf_end(dbg);
	debuginfo_close(df);
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

int dwarf_scope_open(const char *path, const char *dirs, uint64_t pc,
		     uint64_t pc_offset, struct dwarf_scope **out,
		     struct lib_error *e)
{
	struct dwarf_scope *d = calloc(1, sizeof(*d));
	Dwarf_Die cu;
	int err, i, tag;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->pc = pc;
	d->delta = pc - pc_offset;
	d->fn = d->sub = -1;
	err = open_dwarf(path, dirs, &d->fd, &d->elf, &d->dbgfile, &d->dbg,
			 d->note, sizeof(d->note));
	if (err) {
		lib_error_set(
			e, err, -1,
			err == -ENODATA
				? "%s has no debug info (DWARF): variables "
				  "cannot be fetched by name; use argN or "
				  "registers, or install its debug file%s%s%s"
				: "cannot read the debug info of %s%s%s%s",
			path, d->note[0] ? " (" : "", d->note,
			d->note[0] ? ")" : "");
		goto fail;
	}
	/* .eh_frame's CFI is ours to end; .debug_frame's belongs to dbg */
	d->cfi = dwarf_getcfi_elf(d->elf);
	d->cfi_own = d->cfi != NULL;
	if (!d->cfi)
		d->cfi = dwarf_getcfi(d->dbg);
	if (!dwarf_addrdie(d->dbg, pc, &cu)) {
		err = -ENOENT;
		lib_error_set(e, err, -1, "no debug info covers 0x%llx in %s",
			      (unsigned long long)pc, path);
		goto fail;
	}
	d->nscopes = dwarf_getscopes(&cu, pc, &d->scopes);
	for (i = 0; i < d->nscopes; i++) {
		tag = dwarf_tag(&d->scopes[i]);
		if (d->fn < 0 && (tag == DW_TAG_subprogram ||
				  tag == DW_TAG_inlined_subroutine))
			d->fn = i;
		if (tag == DW_TAG_subprogram) {
			d->sub = i;
			break;
		}
	}
	if (d->fn < 0) {
		err = -ENOENT;
		lib_error_set(e, err, -1,
			      "no function's debug info covers 0x%llx in %s",
			      (unsigned long long)pc, path);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	dwarf_scope_close(d);
	return err;
}

void dwarf_scope_close(struct dwarf_scope *d)
{
	if (!d)
		return;
	free(d->scopes);
	if (d->cfi_own)
		dwarf_cfi_end(d->cfi);
	close_dwarf(d->fd, d->elf, d->dbgfile, d->dbg);
	free(d);
}

static const char *fn_name(struct dwarf_scope *d)
{
	const char *n = dwarf_diename(&d->scopes[d->fn]);

	return n ? n : "?";
}

/* Where var does have a location: "; it is in %bx at f+0x10..f+0x2a,
 * ... (probe f+0x10 to read it)". */
static void where_it_lives(struct dwarf_scope *d, Dwarf_Attribute *la,
			   char *out, size_t len)
{
	Dwarf_Addr base, start, end, lo = 0, first = 0;
	Dwarf_Op *ops;
	size_t n, used = 0;
	ptrdiff_t off = 0;
	const char *why;
	struct loc l;
	char v[192];
	int k = 0;

	out[0] = '\0';
	dwarf_lowpc(&d->scopes[d->sub >= 0 ? d->sub : d->fn], &lo);
	while ((off = dwarf_getlocations(la, off, &base, &start, &end, &ops,
					 &n)) > 0 &&
	       k < 3 && used + 80 < len) {
		if (dw_translate(d, ops, n, &l, &why, false) || start < lo)
			continue;
		dw_loc_value(&l, v, sizeof(v));
		if (!k)
			first = start;
		used += snprintf(out + used, len - used,
				 "%s %s%s at %s+0x%llx..+0x%llx",
				 k ? "," : "; it is",
				 l.kind == L_REG     ? "in "
				 : l.kind == L_CONST ? "the constant "
						     : "in memory at ",
				 l.kind == L_CONST ? v + 1 : v, fn_name(d),
				 (unsigned long long)(start - lo),
				 (unsigned long long)(end - lo));
		k++;
	}
	if (k && used + 40 < len)
		snprintf(out + used, len - used,
			 " (probe %s+0x%llx to read it)", fn_name(d),
			 (unsigned long long)(first - lo));
}

/* The variable's location at pc. */
static int var_loc(struct dwarf_scope *d, Dwarf_Die *var, const char *name,
		   struct loc *l, struct lib_error *e)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	Dwarf_Sword cv;
	const char *why;
	char where[256];
	size_t n;
	int r;

	if (dwarf_attr_integrate(var, DW_AT_const_value, &a) &&
	    !dwarf_formsdata(&a, &cv)) {
		memset(l, 0, sizeof(*l));
		l->kind = L_CONST;
		l->off = cv;
		return 0;
	}
	if (!dwarf_attr(var, DW_AT_location, &a) &&
	    !dwarf_attr_integrate(var, DW_AT_location, &a))
		return lib_error_set(
			e, ENOENT, -1,
			"'%s' is optimized out: it has no location in "
			"%s",
			name, fn_name(d));
	r = dwarf_getlocation_addr(&a, d->pc, &ops, &n, 1);
	if (r <= 0) {
		where_it_lives(d, &a, where, sizeof(where));
		return lib_error_set(
			e, ENOENT, -1,
			"'%s' is optimized out at this address of %s%s", name,
			fn_name(d), where);
	}
	if (dw_translate(d, ops, n, l, &why, false)) {
		where_it_lives(d, &a, where, sizeof(where));
		return lib_error_set(e, ENOTSUP, -1,
				     "'%s' cannot be fetched here: %s%s", name,
				     why, where);
	}
	return 0;
}

/* One step of NAME->m / NAME.m / NAME[i]: l and t move to the member. */
static int step(char op, const char *what, struct loc *l, Dwarf_Die *t,
		const char *sofar, struct lib_error *e)
{
	char v[192], tn[128];
	Dwarf_Word off, count, size, idx;
	Dwarf_Die next, elem, ptee;
	Dwarf_Die holder = *t;
	const char *why;
	char *end;

	if (l->bits)
		return lib_error_set(e, EINVAL, -1,
				     "'%s' is a bitfield: it has no members or "
				     "elements",
				     sofar);
	dw_loc_value(l, v, sizeof(v));
	if (op == '[') {
		idx = strtoull(what, &end, 10);
		if (dwarf_tag(t) == DW_TAG_array_type) {
			if (dw_array_elem(t, &elem, &count, &size))
				goto bad_type;
			if (count && idx >= count)
				return lib_error_set(e, ERANGE, -1,
						     "'%s' has %llu elements: "
						     "[%llu] is beyond it",
						     sofar,
						     (unsigned long long)count,
						     (unsigned long long)idx);
			if (l->kind != L_MEM && l->kind != L_ABS)
				goto in_register;
			l->off += (long long)(idx * size);
		} else if (dwarf_tag(t) == DW_TAG_pointer_type) {
			if (!dw_type_of(t, &elem) ||
			    dwarf_aggregate_size(&elem, &size))
				goto bad_type;
			l->kind = L_MEM;
			snprintf(l->base, sizeof(l->base), "%s", v);
			l->off = (long long)(idx * size);
		} else {
			goto bad_type;
		}
		*t = elem;
		return 0;
	}
	if (op == '-') { /* -> */
		if (dwarf_tag(t) != DW_TAG_pointer_type ||
		    !dw_type_of(t, &ptee) || !dw_is_aggregate(&ptee))
			return lib_error_set(
				e, EINVAL, -1,
				"'%s' is not a pointer to a struct: "
				"'->%s' needs one%s",
				sofar, what,
				dw_is_aggregate(t) ? " (write '.')" : "");
		if (!dw_find_member(&ptee, what, &next, &off))
			goto no_member;
		l->kind = L_MEM;
		snprintf(l->base, sizeof(l->base), "%s", v);
		l->off = (long long)off;
	} else {
		if (!dw_is_aggregate(t))
			return lib_error_set(
				e, EINVAL, -1,
				"'%s' is not a struct: '.%s' needs one%s",
				sofar, what,
				dwarf_tag(t) == DW_TAG_pointer_type
					? " (write '->')"
					: "");
		if (!dw_find_member(t, what, &next, &off))
			goto no_member;
		if (l->kind != L_MEM && l->kind != L_ABS)
			goto in_register;
		l->off += (long long)off;
	}
	if (!dw_type_of(&next, t))
		goto bad_type;
	if (dwarf_hasattr_integrate(&next, DW_AT_bit_size) &&
	    dw_bitfield(&next, t, l, &why))
		return lib_error_set(e, ENOTSUP, -1,
				     "the bitfield '%s' cannot be fetched: %s",
				     what, why);
	return 0;
no_member:
	if (op == '-')
		dw_type_of(&holder, &holder);
	tn[0] = '\0';
	if (dwarf_diename(&holder))
		snprintf(tn, sizeof(tn), " (struct %s)",
			 dwarf_diename(&holder));
	return lib_error_set(e, ENOENT, -1, "'%s'%s has no member '%s'", sofar,
			     tn, what);
in_register:
	return lib_error_set(
		e, ENOTSUP, -1,
		"'%s' lives in a register (%s): its members cannot be "
		"read from memory",
		sofar, v);
bad_type:
	return lib_error_set(e, EINVAL, -1,
			     "'%s' cannot be indexed or dereferenced here",
			     sofar);
}

static bool is_char(Dwarf_Die *t)
{
	return dwarf_tag(t) == DW_TAG_base_type && dwarf_bytesize(t) == 1;
}

/* The end value of an expression -> fetch and type. */
static int finish(struct loc *l, Dwarf_Die *t, const char *expr,
		  bool want_string, char **fetch, char *type, size_t typelen,
		  struct lib_error *e)
{
	Dwarf_Die elem;
	Dwarf_Word count, size;
	const char *why;
	char v[192];

	dw_loc_value(l, v, sizeof(v));
	if (l->bits) {
		if (want_string)
			return lib_error_set(e, EINVAL, -1,
					     "'%s' is a bitfield: drop :string",
					     expr);
		snprintf(type, typelen, "b%d@%d/%d", l->bits, l->bit_off,
			 l->bit_cont);
		return (*fetch = strdup(v)) ? 0 : -ENOMEM;
	}
	if (want_string) {
		if (dwarf_tag(t) == DW_TAG_pointer_type &&
		    dw_type_of(t, &elem) && is_char(&elem)) {
			/* read the string the pointer points to */
			return asprintf(fetch, "+0(%s)", v) < 0 ? -ENOMEM : 0;
		}
		if (dwarf_tag(t) == DW_TAG_array_type &&
		    !dw_array_elem(t, &elem, &count, &size) && is_char(&elem)) {
			if (l->kind != L_MEM) {
				lib_error_set(
					e, ENOTSUP, -1,
					"the char array '%s' is not "
					"addressable through a register here",
					expr);
				return -ENOTSUP;
			}
			/* the kernel reads a string at the address of the
			 * last dereference (trace_probe.c: DEREF -> STRING) */
			return (*fetch = strdup(v)) ? 0 : -ENOMEM;
		}
		return lib_error_set(e, EINVAL, -1,
				     "'%s' is not a char * or char array: drop "
				     ":string",
				     expr);
	}
	if (dwarf_tag(t) == DW_TAG_array_type) {
		if (dw_array_type(t, type, typelen, &why)) {
			lib_error_set(
				e, ENOTSUP, -1,
				"the array '%s' cannot be fetched whole: %s; "
				"fetch its elements ('%s[N]')",
				expr, why, expr);
			return -ENOTSUP;
		}
		if (l->kind != L_MEM && l->kind != L_ABS) {
			lib_error_set(
				e, ENOTSUP, -1,
				"the array '%s' is not addressable through a "
				"register here",
				expr);
			return -ENOTSUP;
		}
		return (*fetch = strdup(v)) ? 0 : -ENOMEM;
	}
	if (dwarf_tag(t) == DW_TAG_base_type && dwarf_bytesize(t) > 8) {
		lib_error_set(
			e, ENOTSUP, -1,
			"'%s' is %d bytes wide: the kernel fetches at most 8 "
			"bytes as one number",
			expr, dwarf_bytesize(t));
		return -ENOTSUP;
	}
	if (dw_kernel_type(t, type, typelen))
		return lib_error_set(
			e, ENOTSUP, -1,
			"'%s' is %s: fetch one of its members or "
			"elements ('%s.MEMBER', '%s[N]')",
			expr, dw_is_aggregate(t) ? "a struct" : "not a number",
			expr, expr);
	return (*fetch = strdup(v)) ? 0 : -ENOMEM;
}

int dwarf_scope_fetch(struct dwarf_scope *d, const char *expr, bool want_string,
		      char **fetch, char *type, size_t typelen,
		      struct lib_error *e)
{
	char name[128], sofar[128];
	const char *p = expr, *q;
	Dwarf_Die var, t;
	struct loc l;
	char op;
	int err;

	while (*p && *p != '-' && *p != '.' && *p != '[')
		p++;
	if ((size_t)(p - expr) >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, expr, p - expr);
	name[p - expr] = '\0';
	if (dwarf_getscopevar(d->scopes, d->nscopes, name, 0, NULL, 0, 0,
			      &var) < 0)
		return lib_error_set(
			e, ENOENT, -1,
			"no variable or parameter '%s' in %s at this "
			"address ($params lists the parameters)",
			name, fn_name(d));
	err = var_loc(d, &var, name, &l, e);
	if (err)
		return err;
	if (!dw_type_of(&var, &t))
		return lib_error_set(e, ENOTSUP, -1,
				     "'%s' has no type in the debug info",
				     name);
	while (*p) {
		op = *p;
		p += op == '-' ? 2 : 1;
		for (q = p;
		     *q && *q != '-' && *q != '.' && *q != '[' && *q != ']';
		     q++)
			;
		if ((size_t)(q - p) >= sizeof(name))
			return -ENAMETOOLONG;
		memcpy(name, p, q - p);
		name[q - p] = '\0';
		snprintf(sofar, sizeof(sofar), "%.*s",
			 (int)(p - expr) - (op == '-' ? 2 : 1), expr);
		err = step(op, name, &l, &t, sofar, e);
		if (err)
			return err;
		p = *q == ']' ? q + 1 : q;
	}
	return finish(&l, &t, expr, want_string, fetch, type, typelen, e);
}

int dwarf_scope_params(struct dwarf_scope *d, char ***names,
		       struct lib_error *e)
{
	Dwarf_Die c, *fn = &d->scopes[d->fn];
	const char *n;
	char **v = NULL, **nv;
	int k = 0;

	*names = NULL;
	if (dwarf_child(fn, &c) == 0) {
		do {
			if (dwarf_tag(&c) != DW_TAG_formal_parameter)
				continue;
			n = dwarf_diename(&c);
			nv = realloc(v, (k + 1) * sizeof(*v));
			if (!n || !nv || !(nv[k] = strdup(n))) {
				v = nv ? nv : v;
				while (k--)
					free(v[k]);
				free(v);
				return lib_error_set(e, ENOMEM, -1,
						     "out of memory");
			}
			v = nv;
			k++;
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	*names = v;
	return k;
}

struct sig_walk {
	int (*cb)(uint64_t addr, const char *sig, void *ctx);
	void *ctx;
	int ret;
};

/* "T name" or "T *name" */
static void put_decl(FILE *f, Dwarf_Die *die, const char *name)
{
	char tn[160];
	size_t n;

	dw_type_name(die, tn, sizeof(tn));
	n = strlen(tn);
	fprintf(f, "%s%s%s", tn, n && tn[n - 1] == '*' ? "" : " ", name);
}

/* The whole signature, however long (C++ names run to kilobytes). */
static int one_func(Dwarf_Die *fn, void *arg)
{
	struct sig_walk *w = arg;
	const char *name = dwarf_diename(fn), *pn;
	size_t siglen = 0;
	char *sig = NULL;
	Dwarf_Addr pc;
	Dwarf_Die c;
	int k = 0;
	FILE *f;

	if (!name || dwarf_entrypc(fn, &pc))
		return DWARF_CB_OK;
	f = open_memstream(&sig, &siglen);
	if (!f) {
		w->ret = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	put_decl(f, fn, name);
	fputc('(', f);
	if (dwarf_child(fn, &c) == 0) {
		do {
			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters) {
				fputs(k++ ? ", ..." : "...", f);
				continue;
			}
			if (dwarf_tag(&c) != DW_TAG_formal_parameter)
				continue;
			pn = dwarf_diename(&c);
			if (k++)
				fputs(", ", f);
			put_decl(f, &c, pn ? pn : "");
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	fputs(k ? ")" : "void)", f);
	if (fclose(f) || !sig) {
		free(sig);
		w->ret = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	w->ret = w->cb(pc, sig, w->ctx);
	free(sig);
	return w->ret ? DWARF_CB_ABORT : DWARF_CB_OK;
}

int dwarf_for_each_signature(const char *path, const char *dirs,
			     int (*cb)(uint64_t addr, const char *sig,
				       void *ctx),
			     void *ctx)
{
	struct sig_walk w = {cb, ctx, 0};
	struct debug_file *df = NULL;
	Dwarf_Off off = 0, next;
	Dwarf *dbg = NULL;
	Elf *elf = NULL;
	Dwarf_Die cu;
	size_t hsize;
	int fd = -1, err;

	err = open_dwarf(path, dirs, &fd, &elf, &df, &dbg, NULL, 0);
	while (!err && !w.ret &&
	       dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dbg, off + hsize, &cu))
			dwarf_getfuncs(&cu, one_func, &w, 0);
		off = next;
	}
	close_dwarf(fd, elf, df, dbg);
	return err ? err : w.ret;
}
