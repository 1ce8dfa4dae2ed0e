/* SPDX-License-Identifier: MIT */
/*
 * A function's parameters where it starts, as bpftrace reads them for
 * `uprobe:BIN:FUNC { args.name }`: each one's C type from DWARF, and
 * where the x86-64 System V calling convention (psABI 1.0, 3.2.3
 * "Parameter Passing") has it at the function's first instruction: one of
 * the six integer registers rdi rsi rdx rcx r8 r9 (argN, N < 6), or an
 * eightbyte of the caller's stack above the return address (argN, N >= 6:
 * at sp + 8 * (N - 5)). A parameter passed otherwise (float and double in
 * SSE registers, structs by value, long double, __int128) is named with
 * why it is not read, and every one after a parameter whose passing
 * sonde does not work out gets no place either. Where DWARF itself says
 * where a parameter is at that instruction (a register at -O1 and up; a
 * slot of the caller's stack at -O0) it must agree, or the parameter is
 * refused as well.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_int.h"
#include "elf.h"

/* DWARF's x86-64 register numbers (psABI, "DWARF Register Number
 * Mapping") of rdi rsi rdx rcx r8 r9, the integer argument registers */
static const int abi_dwreg[6] = {5, 4, 1, 2, 8, 9};

/* The convention's place for the next parameter, as far as it is known */
struct abi {
	int ngp;       /* integer registers taken */
	int nsse;      /* SSE registers taken */
	int nstack;    /* eightbytes of the stack taken */
	char lost[96]; /* not "": the places from here on are not known */
};

/* One INTEGER-class eightbyte: its argN */
static int take_int(struct abi *a)
{
	return a->ngp < 6 ? a->ngp++ : 6 + a->nstack++;
}

static void pointee(Dwarf_Die *ptr, struct dwarf_param *p)
{
	Dwarf_Attribute at;
	Dwarf_Word enc = 0;
	Dwarf_Die t;
	int size;

	if (!dw_type_of(ptr, &t) || dwarf_tag(&t) != DW_TAG_base_type)
		return;
	size = dwarf_bytesize(&t);
	if (dwarf_attr(&t, DW_AT_encoding, &at))
		dwarf_formudata(&at, &enc);
	if (enc == DW_ATE_float ||
	    (size != 1 && size != 2 && size != 4 && size != 8))
		return;
	p->pointee_size = (unsigned int)size;
	p->pointee_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
}

/* p's class and place from its type t (peeled) */
static void classify(struct abi *a, Dwarf_Die *t, struct dwarf_param *p)
{
	Dwarf_Attribute at;
	Dwarf_Word enc = DW_ATE_unsigned;
	Dwarf_Die under;
	int tag = dwarf_tag(t), size = dwarf_bytesize(t);

	switch (tag) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		p->cls = DWP_PTR;
		p->size = 8;
		pointee(t, p);
		p->slot = take_int(a);
		return;
	case DW_TAG_enumeration_type:
		if (dw_type_of(t, &under) &&
		    dwarf_attr(&under, DW_AT_encoding, &at))
			dwarf_formudata(&at, &enc);
		break;
	case DW_TAG_base_type:
		if (dwarf_attr(t, DW_AT_encoding, &at))
			dwarf_formudata(&at, &enc);
		break;
	default:
		snprintf(p->why, sizeof(p->why),
			 "'%s' is a %s passed by value, which is not read "
			 "yet",
			 p->name, p->ctype);
		snprintf(a->lost, sizeof(a->lost), "a %s passed by value",
			 p->ctype);
		return;
	}
	if (enc == DW_ATE_float && size <= 8) {
		/* SSE class: no integer register; the stack past eight */
		if (a->nsse++ >= 8)
			a->nstack++;
		snprintf(p->why, sizeof(p->why),
			 "'%s' is a %s, passed in an SSE register, which is "
			 "not read yet",
			 p->name, p->ctype);
		return;
	}
	if (size == 16 && enc != DW_ATE_float && enc != DW_ATE_complex_float) {
		/* __int128: two registers, or 16-aligned on the stack */
		if (a->ngp <= 4) {
			a->ngp += 2;
		} else {
			a->nstack += a->nstack & 1;
			a->nstack += 2;
		}
		snprintf(p->why, sizeof(p->why),
			 "'%s' is a 128-bit %s, which is not read yet", p->name,
			 p->ctype);
		return;
	}
	if (enc == DW_ATE_float || enc == DW_ATE_complex_float ||
	    (size != 1 && size != 2 && size != 4 && size != 8)) {
		snprintf(p->why, sizeof(p->why),
			 "'%s' is a %s, which is not read yet", p->name,
			 p->ctype);
		snprintf(a->lost, sizeof(a->lost), "a %s", p->ctype);
		return;
	}
	p->cls = DWP_INT;
	p->size = (unsigned int)size;
	p->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
	p->slot = take_int(a);
}

/* DWARF's own word on where p is at the entry, where it gives one: a
 * register must be the convention's, a slot at the CFA the same
 * eightbyte (frame base DW_OP_call_frame_cfa; the CFA is sp + 8 there) */
static void check_dwarf(struct dwarf_scope *d, Dwarf_Die *var,
			struct dwarf_param *p)
{
	Dwarf_Attribute a, fb;
	Dwarf_Op *ops, *fops;
	size_t n, fn;
	int reg = -1;

	if (p->slot < 0 || !dwarf_attr_integrate(var, DW_AT_location, &a) ||
	    dwarf_getlocation_addr(&a, d->pc, &ops, &n, 1) != 1 || n != 1)
		return;
	if (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31)
		reg = ops[0].atom - DW_OP_reg0;
	else if (ops[0].atom == DW_OP_regx)
		reg = (int)ops[0].number;
	if (reg >= 0) {
		if (p->slot >= 6 || abi_dwreg[p->slot] != reg)
			snprintf(p->why, sizeof(p->why),
				 "'%s': DWARF puts it in another register "
				 "than the calling convention (DWARF "
				 "register %d)",
				 p->name, reg);
		goto out;
	}
	/* a stack slot written by the prologue (-O0) is not read here: the
	 * register the convention names still holds the value */
	if (ops[0].atom != DW_OP_fbreg || (Dwarf_Sword)ops[0].number < 0 ||
	    !dwarf_attr(&d->scopes[d->sub], DW_AT_frame_base, &fb) ||
	    dwarf_getlocation(&fb, &fops, &fn) || fn != 1 ||
	    fops[0].atom != DW_OP_call_frame_cfa)
		return;
	if (p->slot < 6 || (Dwarf_Sword)ops[0].number != 8 * (p->slot - 6))
		snprintf(p->why, sizeof(p->why),
			 "'%s': DWARF puts it at CFA+%lld, not where the "
			 "calling convention does",
			 p->name, (long long)ops[0].number);
out:
	if (p->why[0])
		p->slot = -1;
}

/* The parameters of the subprogram scope of d, at its entry d->pc */
static int walk(struct dwarf_scope *d, struct dwarf_param **out, int *nout)
{
	struct abi a = {0};
	struct dwarf_param *v = NULL, *p;
	Dwarf_Die c, t;
	const char *name;
	int n = 0;

	if (dwarf_child(&d->scopes[d->sub], &c))
		goto done;
	do {
		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		p = realloc(v, sizeof(*v) * (size_t)(n + 1));
		if (!p) {
			dwarf_params_free(v, n);
			return -ENOMEM;
		}
		v = p;
		p = &v[n++];
		memset(p, 0, sizeof(*p));
		p->cls = DWP_OTHER;
		p->slot = -1;
		name = dwarf_diename(&c);
		snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
		dw_type_name(&c, p->ctype, sizeof(p->ctype));
		if (a.lost[0]) {
			snprintf(p->why, sizeof(p->why),
				 "where '%s' is passed depends on %s before "
				 "it, which is not worked out yet",
				 p->name, a.lost);
			continue;
		}
		if (!dw_type_of(&c, &t)) {
			snprintf(p->why, sizeof(p->why),
				 "'%s' has no type in the debug info", p->name);
			snprintf(a.lost, sizeof(a.lost), "'%s'", p->name);
			continue;
		}
		classify(&a, &t, p);
		check_dwarf(d, &c, p);
	} while (dwarf_siblingof(&c, &c) == 0);
done:
	*out = v;
	*nout = n;
	return 0;
}

int dwarf_entry_params(const char *path, const char *dirs, uint64_t file_off,
		       struct dwarf_param **out, int *n, struct lib_error *e)
{
	struct dwarf_scope *d = NULL;
	struct elf_file *ef;
	Dwarf_Addr entry;
	uint64_t pc;
	bool exec;
	int err;

	*out = NULL;
	*n = 0;
#if !defined(__x86_64__)
	return lib_error_set(e, ENOTSUP, -1,
			     "arguments by name are read on x86-64 only");
#endif
	ef = elf_file_open(path);
	if (!ef)
		return lib_error_set(e, errno, -1, "%s: %s", path,
				     strerror(errno));
	err = elf_file_offset_to_vaddr(ef, file_off, &pc, &exec);
	elf_file_close(ef);
	if (err)
		return lib_error_set(e, ERANGE, -1,
				     "offset 0x%llx is not in a loaded segment "
				     "of %s",
				     (unsigned long long)file_off, path);
	err = dwarf_scope_open(path, dirs, pc, file_off, &d, e);
	if (err)
		return err;
	if (d->sub != d->fn || d->sub < 0 ||
	    dwarf_entrypc(&d->scopes[d->sub], &entry) || entry != pc) {
		err = lib_error_set(e, EINVAL, -1,
				    "0x%llx is not the first instruction of a "
				    "function, where its parameters are where "
				    "the calling convention puts them",
				    (unsigned long long)pc);
		goto out;
	}
	err = walk(d, out, n);
	if (err)
		lib_error_set(e, -err, -1, "out of memory");
out:
	dwarf_scope_close(d);
	return err;
}

void dwarf_params_free(struct dwarf_param *p, int n)
{
	(void)n;
	free(p);
}
