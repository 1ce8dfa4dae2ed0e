/* SPDX-License-Identifier: MIT */
/*
 * DWARF locations and types -> uprobe fetchargs (libdw), as `perf probe`: the
 * variable's location expression at the probe address becomes %REG,
 * +OFF(%REG) or @+OFF; members and array elements add offsets or
 * dereferences; the type gives the kernel type (DWARF 5, sections 2.6 and
 * 5). x86-64 only: DWARF register numbers are the psABI's (figure 3.36).
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

/* psABI x86-64 DWARF register numbers -> pt_regs names */
static const char *const dwregs[] = {
	"ax", "dx",  "cx",  "bx",  "si",  "di",	 "bp",	"sp", "r8",
	"r9", "r10", "r11", "r12", "r13", "r14", "r15", "ip",
};

static const char *regname(unsigned int n)
{
	return n < sizeof(dwregs) / sizeof(dwregs[0]) ? dwregs[n] : NULL;
}

/* The value of l as a fetcharg. */
void dw_loc_value(const struct loc *l, char *out, size_t len)
{
	switch (l->kind) {
	case L_REG:
		snprintf(out, len, "%s", l->base);
		break;
	case L_MEM:
		snprintf(out, len, "%c%lld(%s)", l->off < 0 ? '-' : '+',
			 l->off < 0 ? -l->off : l->off, l->base);
		break;
	case L_ABS:
		snprintf(out, len, "@+0x%llx", (unsigned long long)l->off);
		break;
	case L_CONST:
		snprintf(out, len, "\\%lld", l->off);
		break;
	}
}

/* The CFA at pc as register + offset, from .eh_frame / .debug_frame. */
static int cfa(struct dwarf_scope *d, struct loc *l)
{
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	const char *r;
	int ret = -ENOTSUP;

	if (!d->cfi || dwarf_cfi_addrframe(d->cfi, d->pc, &frame) ||
	    dwarf_frame_cfa(frame, &ops, &nops) || nops != 1)
		goto out;
	if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31)
		r = regname(ops[0].atom - DW_OP_breg0);
	else if (ops[0].atom == DW_OP_bregx)
		r = regname((unsigned int)ops[0].number);
	else
		goto out;
	if (!r)
		goto out;
	l->kind = L_MEM;
	snprintf(l->base, sizeof(l->base), "%%%s", r);
	l->off = ops[0].atom == DW_OP_bregx ? (long long)ops[0].number2
					    : (long long)ops[0].number;
	ret = 0;
out:
	free(frame);
	return ret;
}

/* DW_OP_fbreg: the function's DW_AT_frame_base at pc, plus off. */
static int fbreg(struct dwarf_scope *d, long long off, struct loc *l,
		 const char **why)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;

	if (d->sub < 0 ||
	    !dwarf_attr(&d->scopes[d->sub], DW_AT_frame_base, &a) ||
	    dwarf_getlocation_addr(&a, d->pc, &ops, &n, 1) != 1) {
		*why = "its frame base is unknown here";
		return -ENOTSUP;
	}
	if (dw_translate(d, ops, n, l, why, true))
		return -ENOTSUP;
	if (l->kind == L_REG) { /* DW_OP_regN frame base: that register */
		l->kind = L_MEM;
		l->off = 0;
	}
	l->off += off;
	return 0;
}

/* A location expression -> loc. *why names what is not supported. */
int dw_translate(struct dwarf_scope *d, const Dwarf_Op *ops, size_t n,
		 struct loc *l, const char **why, bool frame_base)
{
	unsigned int a = n ? ops[0].atom : 0;
	const char *r = NULL;
	Dwarf_Addr vaddr;

	memset(l, 0, sizeof(*l));
	*why = "the kernel cannot evaluate its location expression";
	if (n == 2 && ops[1].atom == DW_OP_stack_value) {
		/* the value itself, not its address */
		if ((a >= DW_OP_lit0 && a <= DW_OP_lit31) ||
		    a == DW_OP_constu || a == DW_OP_consts ||
		    (a >= DW_OP_const1u && a <= DW_OP_const8s)) {
			l->kind = L_CONST;
			l->off = a >= DW_OP_lit0 && a <= DW_OP_lit31
					 ? a - DW_OP_lit0
					 : (long long)ops[0].number;
			return 0;
		}
		if (((a >= DW_OP_breg0 && a <= DW_OP_breg31) &&
		     ops[0].number == 0) &&
		    (r = regname(a - DW_OP_breg0))) {
			l->kind = L_REG;
			snprintf(l->base, sizeof(l->base), "%%%s", r);
			return 0;
		}
		*why = "it is computed (DW_OP_stack_value), not stored";
		return -ENOTSUP;
	}
	if (n != 1) {
		if (n && (a == DW_OP_entry_value || a == DW_OP_GNU_entry_value))
			*why = "only its value at the function's entry is "
			       "known "
			       "(DW_OP_entry_value)";
		else if (n > 1 && ops[1].atom == DW_OP_piece)
			*why = "it is split in pieces (DW_OP_piece)";
		return -ENOTSUP;
	}
	if (a >= DW_OP_reg0 && a <= DW_OP_reg31)
		r = regname(a - DW_OP_reg0);
	else if (a == DW_OP_regx)
		r = regname((unsigned int)ops[0].number);
	if (r) {
		l->kind = L_REG;
		snprintf(l->base, sizeof(l->base), "%%%s", r);
		return 0;
	}
	if (a >= DW_OP_breg0 && a <= DW_OP_breg31)
		r = regname(a - DW_OP_breg0);
	else if (a == DW_OP_bregx)
		r = regname((unsigned int)ops[0].number);
	if (r) {
		l->kind = L_MEM;
		snprintf(l->base, sizeof(l->base), "%%%s", r);
		l->off = a == DW_OP_bregx ? (long long)ops[0].number2
					  : (long long)ops[0].number;
		return 0;
	}
	if (a == DW_OP_call_frame_cfa && frame_base) {
		if (cfa(d, l)) {
			*why = "no call frame information covers the probe";
			return -ENOTSUP;
		}
		return 0;
	}
	if (a == DW_OP_fbreg && !frame_base)
		return fbreg(d, (long long)ops[0].number, l, why);
	if (a == DW_OP_addr) {
		/* the kernel adds OFF to where the probe's mapping starts
		 * (trace_uprobe.c translate_user_vaddr) */
		vaddr = ops[0].number;
		if (vaddr < d->delta)
			return -ENOTSUP;
		l->kind = L_ABS;
		l->off = (long long)(vaddr - d->delta);
		return 0;
	}
	if (a == DW_OP_implicit_pointer || a == DW_OP_GNU_implicit_pointer)
		*why = "it points to a value that is not in memory "
		       "(DW_OP_implicit_pointer)";
	return -ENOTSUP;
}

bool dw_type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a) ||
	    !dwarf_formref_die(&a, out))
		return false;
	return dwarf_peel_type(out, out) == 0;
}

/* "int", "char *", "struct req *", "const char *" (for messages and
 * signatures). */
void dw_type_name(Dwarf_Die *die, char *out, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	const char *name = NULL, *kw = "";
	char inner[128];
	Dwarf_Word n;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a) ||
	    !dwarf_formref_die(&a, &t)) {
		snprintf(out, len, "void");
		return;
	}
	name = dwarf_diename(&t);
	switch (dwarf_tag(&t)) {
	case DW_TAG_pointer_type:
		dw_type_name(&t, inner, sizeof(inner));
		snprintf(out, len, "%s *", inner);
		return;
	case DW_TAG_const_type:
		dw_type_name(&t, inner, sizeof(inner));
		snprintf(out, len, "const %s", inner);
		return;
	case DW_TAG_volatile_type:
		dw_type_name(&t, inner, sizeof(inner));
		snprintf(out, len, "volatile %s", inner);
		return;
	case DW_TAG_array_type: {
		Dwarf_Die sub;
		Dwarf_Attribute ca;

		dw_type_name(&t, inner, sizeof(inner));
		n = 0;
		if (dwarf_child(&t, &sub) == 0 &&
		    dwarf_attr(&sub, DW_AT_upper_bound, &ca) &&
		    !dwarf_formudata(&ca, &n))
			n++;
		snprintf(out, len, "%s[%llu]", inner, (unsigned long long)n);
		return;
	}
	case DW_TAG_structure_type:
		kw = "struct ";
		break;
	case DW_TAG_union_type:
		kw = "union ";
		break;
	case DW_TAG_enumeration_type:
		kw = "enum ";
		break;
	case DW_TAG_subroutine_type:
		snprintf(out, len, "void (*)()");
		return;
	}
	snprintf(out, len, "%s%s", kw, name ? name : "<anonymous>");
}

/* A scalar type -> the kernel's u8..u64/s8..s64/x64; 0 or -ENOTSUP. */
int dw_kernel_type(Dwarf_Die *t, char *out, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Word enc = DW_ATE_unsigned;
	Dwarf_Die under;
	int size = dwarf_bytesize(t);
	char c = 'u';

	switch (dwarf_tag(t)) {
	case DW_TAG_pointer_type:
		snprintf(out, len, "x64");
		return 0;
	case DW_TAG_enumeration_type:
		if (dw_type_of(t, &under) &&
		    dwarf_attr(&under, DW_AT_encoding, &a))
			dwarf_formudata(&a, &enc);
		break;
	case DW_TAG_base_type:
		if (dwarf_attr(t, DW_AT_encoding, &a))
			dwarf_formudata(&a, &enc);
		break;
	default:
		return -ENOTSUP;
	}
	if (enc == DW_ATE_signed || enc == DW_ATE_signed_char)
		c = 's';
	else if (enc == DW_ATE_float)
		c = 'x';
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -ENOTSUP;
	snprintf(out, len, "%c%d", c, size * 8);
	return 0;
}

/* Member name of struct/union t (anonymous members searched too). */
bool dw_find_member(Dwarf_Die *t, const char *name, Dwarf_Die *m,
		    Dwarf_Word *off)
{
	Dwarf_Attribute a;
	Dwarf_Die c, sub;
	Dwarf_Word o, inner;
	const char *n;

	if (dwarf_child(t, &c))
		return false;
	do {
		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		o = 0;
		if (dwarf_attr(&c, DW_AT_data_member_location, &a) &&
		    dwarf_formudata(&a, &o))
			continue;
		n = dwarf_diename(&c);
		if (n && !strcmp(n, name)) {
			*m = c;
			*off = o;
			return true;
		}
		if (!n && dw_type_of(&c, &sub) &&
		    dw_find_member(&sub, name, m, &inner)) {
			*off = o + inner;
			return true;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

bool dw_is_aggregate(Dwarf_Die *t)
{
	int tag = dwarf_tag(t);

	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_class_type;
}

/* Element type and count of an array type. */
int dw_array_elem(Dwarf_Die *t, Dwarf_Die *elem, Dwarf_Word *count,
		  Dwarf_Word *size)
{
	Dwarf_Attribute a;
	Dwarf_Die sub;

	*count = 0;
	if (!dw_type_of(t, elem) || dwarf_aggregate_size(elem, size))
		return -ENOTSUP;
	if (dwarf_child(t, &sub) == 0) {
		if (dwarf_attr(&sub, DW_AT_count, &a))
			dwarf_formudata(&a, count);
		else if (dwarf_attr(&sub, DW_AT_upper_bound, &a) &&
			 !dwarf_formudata(&a, count))
			(*count)++;
	}
	return 0;
}

/* The kernel's b<W>@<O>/<S>: O counts from the container's least
 * significant bit (trace_probe.c parse_probe_arg(), FETCH_OP_MOD_BF), so
 * the DWARF positions are turned into that on a little-endian target. */
int dw_bitfield(Dwarf_Die *m, Dwarf_Die *t, struct loc *l, const char **why)
{
	Dwarf_Attribute a;
	Dwarf_Word bits, ubytes, u;
	Dwarf_Sword bo;
	long long pos, start;
	int csize = dwarf_bytesize(t), cbits;
	char kt[8];

	*why = "its bit position is not in the debug info";
	if (!dwarf_attr_integrate(m, DW_AT_bit_size, &a) ||
	    dwarf_formudata(&a, &bits) || !bits)
		return -ENOTSUP;
	if (dw_kernel_type(t, kt, sizeof(kt)) || kt[0] == 'x') {
		*why = "it is not an integer";
		return -ENOTSUP;
	}
	if (kt[0] == 's') {
		*why = "it is signed and the kernel reads bitfields unsigned "
		       "(fetch it with a b<W>@<O>/<S> type and read it as "
		       "two's complement)";
		return -ENOTSUP;
	}
	if (dwarf_attr_integrate(m, DW_AT_data_bit_offset, &a)) {
		/* DWARF 4/5: bits from the start of the struct */
		if (dwarf_formudata(&a, &u))
			return -ENOTSUP;
		pos = (long long)u;
	} else if (dwarf_attr_integrate(m, DW_AT_bit_offset, &a)) {
		/* DWARF 2/3: from the most significant bit of a
		 * DW_AT_byte_size unit at the member's offset down to the
		 * field's most significant bit */
		if (dwarf_formsdata(&a, &bo))
			return -ENOTSUP;
		ubytes = (Dwarf_Word)csize;
		if (dwarf_attr_integrate(m, DW_AT_byte_size, &a))
			dwarf_formudata(&a, &ubytes);
		pos = (long long)ubytes * 8 - bo - (long long)bits;
	} else {
		pos = 0;
	}
	cbits = csize * 8;
	start = pos >= 0 ? pos / cbits * cbits
			 : -((-pos + cbits - 1) / cbits * cbits);
	if (pos - start + (long long)bits > cbits) {
		*why = "it straddles two containers of its type";
		return -ENOTSUP;
	}
	l->off += start / 8;
	l->bits = (int)bits;
	l->bit_off = (int)(pos - start);
	l->bit_cont = cbits;
	return 0;
}

/* kernel/trace/trace_probe.h: MAX_ARRAY_LEN */
#define KERNEL_MAX_ARRAY 64

int dw_array_type(Dwarf_Die *t, char *out, size_t len, const char **why)
{
	Dwarf_Word count, size;
	Dwarf_Die elem;
	char kt[8];

	if (dw_array_elem(t, &elem, &count, &size) || !count) {
		*why = "its length is unknown";
		return -ENOTSUP;
	}
	if (dw_kernel_type(&elem, kt, sizeof(kt))) {
		*why = "its elements are not numbers the kernel fetches";
		return -ENOTSUP;
	}
	if (count > KERNEL_MAX_ARRAY) {
		*why = "it has more than 64 elements, the most the kernel "
		       "fetches as one array";
		return -ENOTSUP;
	}
	snprintf(out, len, "%s[%llu]", kt, (unsigned long long)count);
	return 0;
}
