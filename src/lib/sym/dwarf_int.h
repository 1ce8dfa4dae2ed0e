/* SPDX-License-Identifier: MIT */
/* Private to dwarf.c and dwarf_loc.c. */
#ifndef SONDE_DWARF_INT_H
#define SONDE_DWARF_INT_H

#include <elfutils/libdw.h>
#include <stdbool.h>

#include "debuginfo.h"
#include "dwarf.h"

struct dwarf_scope {
	int fd;
	Elf *elf;
	struct debug_file *dbgfile; /* NULL: the file's own DWARF */
	char note[256]; /* a debug file refused on the way, or "" */
	Dwarf *dbg;
	Dwarf_CFI *cfi;
	bool cfi_own;
	uint64_t pc, delta; /* delta: vaddr - file offset at pc */
	Dwarf_Die *scopes;
	int nscopes;
	int fn;	 /* index of the innermost function (or inlined) scope */
	int sub; /* index of the DW_TAG_subprogram (frame base) */
};

/* 0, or -EBADMSG when a string section of dbg does not end with a NUL
 * (*why: its name), so names read from it could run past its end. */
int dw_check_strings(Dwarf *dbg, const char **why);

/* Where a value is: in a register, at base+off in memory (base a fetch
 * whose value is an address), at file-relative off (a global), or a
 * constant. */
enum loc_kind { L_REG, L_MEM, L_ABS, L_CONST };

/* Where a value is: in a register, at base+off in memory (base a fetch
 * whose value is an address), at file-relative off (a global), or a
 * constant. A bitfield member: bits wide, bit_off bits above the least
 * significant bit of the bit_cont-bit container at off. */
struct loc {
	enum loc_kind kind;
	char base[160];
	long long off;
	int bits, bit_off, bit_cont;
};

/* The value of l as a fetcharg. */
void dw_loc_value(const struct loc *l, char *out, size_t len);
/* A location expression at d->pc -> loc; -ENOTSUP with *why (a phrase). */
int dw_translate(struct dwarf_scope *d, const Dwarf_Op *ops, size_t n,
		 struct loc *l, const char **why, bool frame_base);
/* die's DW_AT_type without typedefs and qualifiers. */
bool dw_type_of(Dwarf_Die *die, Dwarf_Die *out);
/* die's type as C writes it: "int", "char *", "struct req *". */
void dw_type_name(Dwarf_Die *die, char *out, size_t len);
/* A scalar type -> u8..u64, s8..s64, x64 (pointers); 0 or -ENOTSUP. */
int dw_kernel_type(Dwarf_Die *t, char *out, size_t len);
/* A member of struct/union t (through anonymous members), its offset. */
bool dw_find_member(Dwarf_Die *t, const char *name, Dwarf_Die *m,
		    Dwarf_Word *off);
bool dw_is_aggregate(Dwarf_Die *t);
/* An array type's element type, element count (0: unknown) and size. */
int dw_array_elem(Dwarf_Die *t, Dwarf_Die *elem, Dwarf_Word *count,
		  Dwarf_Word *size);
/* Bitfield member m (type t) of a struct at l->off: l moves to its
 * container and gets its bit position. 0, or -ENOTSUP with *why. */
int dw_bitfield(Dwarf_Die *m, Dwarf_Die *t, struct loc *l, const char **why);
/* The fetch type of an array of scalars ("s32[3]"); 0 or -ENOTSUP. */
int dw_array_type(Dwarf_Die *t, char *out, size_t len, const char **why);

#endif
