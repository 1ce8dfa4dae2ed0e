/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: what differs between the sites of one
 * probe (lang/bt.h struct bt_site), told apart by the attach cookie (the
 * site's index, api/run_attach.c): the `probe` builtin's name and a USDT
 * probe's argN, read where the site's note says (a constant, a
 * register, memory at a register plus a displacement and maybe a scaled
 * index register, a global at the probe's address plus an offset), at
 * its size, sign- or zero-extended as bpftrace does. Sites whose argument
 * is the same share its code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_int.h"
#include "bt_gen_int.h"

static void imm(struct btg *s, int reg, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		EMIT(&s->g, MOV_IMM(reg, (int32_t)v));
	else
		EMIT(&s->g, LD_IMM64(reg, (uint64_t)v));
}

static void extend(struct btg *s, int size, bool sign)
{
	int sh = 64 - 8 * size;

	if (sh > 0 && sh < 64)
		EMIT(&s->g, ALU_IMM(BPF_LSH, R0, sh),
		     ALU_IMM(sign ? BPF_ARSH : BPF_RSH, R0, sh));
}

/* r0 = size bytes of user memory at r3 (0 when the read fails) */
static void read_user(struct btg *s, int size, bool sign)
{
	int slot = btg_push(s);

	EMIT(&s->g, ST_IMM(BPF_DW, FP, slot, 0), MOV_REG(R1, FP),
	     ALU_IMM(BPF_ADD, R1, slot), MOV_IMM(R2, size),
	     CALL(BPF_FUNC_probe_read_user), LDX(BPF_DW, R0, FP, slot));
	extend(s, size, sign);
	btg_pop(s);
}

/* r0 = argument a of site st */
static void one_arg(struct btg *s, const struct bt_site *st,
		    const struct bt_uarg *a)
{
	switch (a->kind) {
	case BT_UARG_CONST:
		imm(s, R0, a->value);
		return;
	case BT_UARG_REG:
		EMIT(&s->g, LDX(BPF_DW, R0, R6, a->reg));
		if (a->shift)
			EMIT(&s->g, ALU_IMM(BPF_RSH, R0, a->shift));
		extend(s, a->size, a->is_signed);
		return;
	case BT_UARG_MEM:
		EMIT(&s->g, LDX(BPF_DW, R3, R6, a->reg));
		imm(s, R1, a->value);
		EMIT(&s->g, ALU_REG(BPF_ADD, R3, R1));
		read_user(s, a->size, a->is_signed);
		return;
	case BT_UARG_FILE: /* ip is the probe's address in the handler */
		EMIT(&s->g, LDX(BPF_DW, R3, R6, gen_reg_offset("ip")));
		imm(s, R1, a->value - (int64_t)st->file_off);
		EMIT(&s->g, ALU_REG(BPF_ADD, R3, R1));
		read_user(s, a->size, a->is_signed);
		return;
	case BT_UARG_INDEX:
		EMIT(&s->g, LDX(BPF_DW, R3, R6, a->reg),
		     LDX(BPF_DW, R1, R6, a->index),
		     ALU_IMM(BPF_MUL, R1, a->scale), ALU_REG(BPF_ADD, R3, R1));
		imm(s, R1, a->value);
		EMIT(&s->g, ALU_REG(BPF_ADD, R3, R1));
		read_user(s, a->size, a->is_signed);
		return;
	case BT_UARG_BAD:
		break;
	}
	EMIT(&s->g, MOV_IMM(R0, 0));
}

static bool same_arg(const struct bt_site *x, const struct bt_site *y, int i)
{
	const struct bt_uarg *a = &x->uargs[i], *b = &y->uargs[i];

	return a->kind == b->kind && a->size == b->size &&
	       a->is_signed == b->is_signed && a->reg == b->reg &&
	       a->shift == b->shift && a->value == b->value &&
	       a->index == b->index && a->scale == b->scale &&
	       (a->kind != BT_UARG_FILE || x->file_off == y->file_off);
}

int btg_usdt_arg(struct btg *s, const struct bt_node *n, int i)
{
	const struct bt_probe *p = s->probe;
	struct gen *g = &s->g;
	int k, j, end, *lab;

	if (!p->nsites)
		return btg_fail(s, n->loc, ENOTSUP,
				"%s of %s: the probe's USDT note was not read",
				n->name, p->spec);
	for (k = 0; k < p->nsites; k++) {
		const struct bt_site *st = &p->sites[k];

		if (i >= st->nuargs)
			return btg_fail(s, n->loc, EINVAL,
					"%s has %d argument%s in its note: %s "
					"is not one",
					st->name ? st->name : p->spec,
					st->nuargs, st->nuargs == 1 ? "" : "s",
					n->name);
		if (st->uargs[i].kind == BT_UARG_BAD)
			return btg_fail(s, n->loc, ENOTSUP, "%s",
					st->uargs[i].why);
	}
	for (k = 1; k < p->nsites && same_arg(&p->sites[0], &p->sites[k], i);
	     k++)
		;
	if (k == p->nsites) { /* one argument for every site */
		one_arg(s, &p->sites[0], &p->sites[0].uargs[i]);
		return 0;
	}
	lab = calloc(p->nsites, sizeof(*lab));
	if (!lab)
		return -ENOMEM;
	end = gen_label_new(g);
	EMIT(g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_attach_cookie));
	for (k = 0; k < p->nsites; k++) {
		for (j = 0; j < k && !same_arg(&p->sites[j], &p->sites[k], i);
		     j++)
			;
		lab[k] = j < k ? lab[j] : gen_label_new(g);
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, k, 0), lab[k]);
	}
	EMIT(g, MOV_IMM(R0, 0));
	gen_jump(g, JA(0), end);
	for (k = 0; k < p->nsites; k++) {
		for (j = 0; j < k && lab[j] != lab[k]; j++)
			;
		if (j < k)
			continue;
		gen_label_here(g, lab[k]);
		one_arg(s, &p->sites[k], &p->sites[k].uargs[i]);
		gen_jump(g, JA(0), end);
	}
	gen_label_here(g, end);
	free(lab);
	return 0;
}

/* r0 = the index of the `probe` builtin's name in bt_compiled.probe_names:
 * one per program, or one per site (the cookie picks it). */
int btg_probe_name(struct btg *s)
{
	if (s->name_count <= 1) {
		EMIT(&s->g, MOV_IMM(R0, s->name_base));
		return 0;
	}
	EMIT(&s->g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_attach_cookie),
	     ALU_IMM(BPF_ADD, R0, s->name_base));
	return 0;
}
