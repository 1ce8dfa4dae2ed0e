/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: maps. Their keys built in scratch, reads,
 * updates, the aggregating functions updating a per-CPU value in place
 * (layouts in lang/bt.h), and assignments and ++/-- to maps and
 * variables. Apart from bt_gen_mem.c, which builds the values they store.
 * Map helpers and flags: include/uapi/linux/bpf.h.
 */
#include <errno.h>
#include <string.h>

#include "bt_gen_int.h"

static const struct bt_map *map_of(struct btg *s, const struct bt_node *n)
{
	return &s->p->maps[n->id];
}

int btg_map_key(struct btg *s, const struct bt_node *n, int *koff)
{
	const struct bt_map *m = map_of(s, n);
	const struct bt_cmap *cm = &s->c->maps[n->id];
	int i, err = 0;

	*koff = btg_scratch(s, cm->key_size);
	if (m->key.kind == BT_T_NONE) {
		btg_zero(s, *koff, cm->key_size);
		return 0;
	}
	if (n->nkid == 1)
		return btg_value(s, n->kid[0], *koff, &m->key);
	if (m->key.kind != BT_T_TUPLE || m->key.ntup != n->nkid)
		return btg_fail(s, n->loc, EINVAL,
				"the map's keys do not match");
	btg_zero(s, *koff, m->key.size);
	for (i = 0; !err && i < n->nkid; i++)
		err = btg_value(s, n->kid[i],
				*koff + (int)btg_tup_off(&m->key, i),
				&m->key.tup[i]);
	return err;
}

static void lookup(struct btg *s, int map, int koff)
{
	btg_ld_map(s, R1, map);
	btg_scr_ptr(s, R2, koff);
	EMIT(&s->g, CALL(BPF_FUNC_map_lookup_elem));
}

static void update(struct btg *s, int map, int koff, int voff, int flags)
{
	btg_ld_map(s, R1, map);
	btg_scr_ptr(s, R2, koff);
	btg_scr_ptr(s, R3, voff);
	EMIT(&s->g, MOV_IMM(R4, flags), CALL(BPF_FUNC_map_update_elem));
}

int btg_map_read(struct btg *s, const struct bt_node *n, int off)
{
	const struct bt_map *m = map_of(s, n);
	int koff, err, have = gen_label_new(&s->g), end = gen_label_new(&s->g);

	if (m->value.kind >= BT_T_COUNT)
		return btg_fail(s, n->loc, ENOTSUP,
				"reading an aggregation (count(), sum()...) "
				"inside a probe is not supported: its value "
				"is kept per CPU");
	err = btg_map_key(s, n, &koff);
	if (err)
		return err;
	lookup(s, n->id, koff);
	gen_jump(&s->g, JMP_IMM(BPF_JNE, R0, 0, 0), have);
	/* a missing key reads as 0 or an empty value */
	if (off < 0)
		EMIT(&s->g, MOV_IMM(R0, 0));
	else
		btg_zero(s, off, n->type.size);
	gen_jump(&s->g, JA(0), end);
	gen_label_here(&s->g, have);
	if (off < 0)
		EMIT(&s->g, LDX(BPF_DW, R0, R0, 0));
	else
		btg_copy(s, off, R0, 0,
			 n->type.size < m->value.size ? n->type.size
						      : m->value.size);
	gen_label_here(&s->g, end);
	return 0;
}

/* hist's bucket of the value in r1 into r0: bt.h's numbering */
static void log2_bucket(struct btg *s)
{
	static const int sh[] = {32, 16, 8, 4, 2, 1};
	int end = gen_label_new(&s->g);
	size_t i;

	EMIT(&s->g, MOV_IMM(R0, 0));
	gen_jump(&s->g, JMP_IMM(BPF_JSLT, R1, 0, 0), end);
	EMIT(&s->g, MOV_IMM(R0, 1));
	gen_jump(&s->g, JMP_IMM(BPF_JEQ, R1, 0, 0), end);
	EMIT(&s->g, MOV_IMM(R0, 2));
	for (i = 0; i < 6; i++)
		EMIT(&s->g, MOV_REG(R2, R1), ALU_IMM(BPF_RSH, R2, sh[i]),
		     JMP_IMM(BPF_JEQ, R2, 0, 2), MOV_REG(R1, R2),
		     ALU_IMM(BPF_ADD, R0, sh[i]));
	gen_label_here(&s->g, end);
}

static int lin_bucket(struct btg *s, const struct bt_node *n,
		      const struct bt_type *t)
{
	struct gen *g = &s->g;
	int end = gen_label_new(g);

	if (t->lstep <= 0 || t->lmax < t->lmin)
		return btg_fail(s, n->loc, EINVAL, "lhist's step must be > 0");
	EMIT(g, MOV_IMM(R0, 0), LD_IMM64(R2, t->lmin));
	gen_jump(g, JMP_REG(BPF_JSLT, R1, R2, 0), end);
	EMIT(g, LD_IMM64(R0, 1 + (t->lmax - t->lmin) / t->lstep),
	     LD_IMM64(R2, t->lmax));
	gen_jump(g, JMP_REG(BPF_JSGT, R1, R2, 0), end);
	EMIT(g, MOV_REG(R0, R1), LD_IMM64(R2, t->lmin),
	     ALU_REG(BPF_SUB, R0, R2), LD_IMM64(R2, t->lstep),
	     ALU_REG(BPF_DIV, R0, R2), ALU_IMM(BPF_ADD, R0, 1));
	gen_label_here(g, end);
	return 0;
}

/*
 * min() and max() of r1 into the value at r7, by compare-and-exchange:
 * another run of a program on this CPU (a uprobe's runs are preemptible)
 * may store there between the load and the store. The value is kept
 * encoded (lang/bt.h bt_minmax_mask) so that one unsigned "keep the
 * larger" serves the four kinds and a fresh slot needs no special case;
 * set is raised after the value. A hit whose slot changed under it
 * CAS_TRIES times in a row is counted lost ("Lost N events"), never
 * folded in half.
 */
#define CAS_TRIES 8
static void min_max(struct btg *s, uint64_t mask, int done)
{
	struct gen *g = &s->g;
	int stored = gen_label_new(g), i;

	if (mask)
		EMIT(g, LD_IMM64(R2, mask), ALU_REG(BPF_XOR, R1, R2));
	EMIT(g, LDX(BPF_DW, R0, R7, 0));
	for (i = 0; i < CAS_TRIES; i++) {
		gen_jump(g, JMP_REG(BPF_JLE, R1, R0, 0), stored);
		EMIT(g, MOV_REG(R2, R0), ATOMIC_CMPXCHG(R7, R1, 0));
		gen_jump(g, JMP_REG(BPF_JEQ, R0, R2, 0), stored);
	}
	btg_lost_add(s);
	gen_jump(g, JA(0), done);
	gen_label_here(g, stored);
	EMIT(g, ST_IMM(BPF_DW, R7, 8, 1));
}

/* @m[k] = count() / sum(x) / ...: the per-CPU value updated in place */
static int aggregate(struct btg *s, const struct bt_node *n)
{
	const struct bt_node *m = n->kid[0], *f = n->kid[1];
	const struct bt_map *mp = map_of(s, m);
	const struct bt_cmap *cm = &s->c->maps[m->id];
	enum bt_tkind k = mp->value.kind;
	struct gen *g = &s->g;
	int slot = btg_push(s), koff, voff, have, done, err = 0;
	bool sign = mp->value.is_signed;

	EMIT(g, ST_IMM(BPF_DW, FP, slot, 0));
	if (f->nkid > 0 && k != BT_T_COUNT)
		err = btg_int(s, f->kid[0]);
	if (err)
		return err;
	if (f->nkid > 0 && k != BT_T_COUNT)
		EMIT(g, STX(BPF_DW, FP, R0, slot));
	err = btg_map_key(s, m, &koff);
	if (err)
		return err;
	if (k == BT_T_HIST || k == BT_T_LHIST) {
		EMIT(g, LDX(BPF_DW, R1, FP, slot));
		if (k == BT_T_HIST)
			log2_bucket(s);
		else if (lin_bucket(s, f, &mp->value))
			return -EINVAL;
		EMIT(g, STX(BPF_DW, R9, R0, koff + (int)cm->key_size - 8));
	}
	have = gen_label_new(g);
	done = gen_label_new(g);
	voff = btg_scratch(s, 16);
	lookup(s, m->id, koff);
	gen_jump(g, JMP_IMM(BPF_JNE, R0, 0, 0), have);
	btg_zero(s, voff, 16);
	update(s, m->id, koff, voff, BPF_NOEXIST);
	lookup(s, m->id, koff);
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), done);
	gen_label_here(g, have);
	EMIT(g, MOV_REG(R7, R0), LDX(BPF_DW, R1, FP, slot));
	switch (k) {
	case BT_T_COUNT:
	case BT_T_HIST:
	case BT_T_LHIST:
		EMIT(g, MOV_IMM(R1, 1), ATOMIC_ADD(R7, R1, 0));
		break;
	case BT_T_SUM:
		EMIT(g, ATOMIC_ADD(R7, R1, 0));
		break;
	case BT_T_AVG:
	case BT_T_STATS:
		EMIT(g, ATOMIC_ADD(R7, R1, 8), MOV_IMM(R1, 1),
		     ATOMIC_ADD(R7, R1, 0));
		break;
	case BT_T_MIN:
	case BT_T_MAX:
		min_max(s, bt_minmax_mask(k == BT_T_MIN, sign), done);
		break;
	default:
		return btg_fail(s, f->loc, ENOTSUP,
				"this aggregation is not supported yet");
	}
	gen_label_here(g, done);
	btg_pop(s);
	return 0;
}

static bool is_agg(const struct bt_node *v)
{
	static const char *const f[] = {"count", "sum",	  "avg",  "min",
					"max",	 "stats", "hist", "lhist"};
	size_t i;

	if (v->kind != BT_N_CALL)
		return false;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(v->name, f[i]))
			return true;
	return false;
}

/* the new value of an integer map or variable (r0) written back */
static int store(struct btg *s, const struct bt_node *dst)
{
	int slot, koff, voff, err;

	if (dst->kind == BT_N_VAR) {
		btg_narrow(s, R0, &s->blk->var_types[dst->id]);
		EMIT(&s->g, STX(BPF_DW, FP, R0, s->var_off[dst->id]));
		return 0;
	}
	slot = btg_push(s);
	btg_narrow(s, R0, &map_of(s, dst)->value);
	voff = btg_scratch(s, 8);
	EMIT(&s->g, STX(BPF_DW, FP, R0, slot), STX(BPF_DW, R9, R0, voff));
	err = btg_map_key(s, dst, &koff);
	if (err)
		return err;
	update(s, dst->id, koff, voff, BPF_ANY);
	EMIT(&s->g, LDX(BPF_DW, R0, FP, slot));
	btg_pop(s);
	return 0;
}

int btg_assign(struct btg *s, const struct bt_node *n)
{
	const struct bt_node *dst = n->kid[0], *v = n->kid[1];
	const struct bt_type *t;
	int koff, voff, err;

	if (dst->kind == BT_N_MAP && is_agg(v))
		return aggregate(s, n);
	t = dst->kind == BT_N_VAR ? &s->blk->var_types[dst->id]
				  : &map_of(s, dst)->value;
	if (n->op != '=') {
		struct bt_node *kid[2] = {(struct bt_node *)dst,
					  (struct bt_node *)v};
		struct bt_node op = {.kind = BT_N_BINOP,
				     .loc = n->loc,
				     .op = n->op,
				     .kid = kid,
				     .nkid = 2,
				     .type = *t};

		if (btg_is_mem(t))
			return btg_fail(s, n->loc, ENOTSUP,
					"this operator is not supported on "
					"these values");
		err = btg_int(s, &op);
		return err ? err : store(s, dst);
	}
	if (dst->kind == BT_N_VAR) {
		if (btg_is_mem(t))
			return btg_value(s, v, s->var_off[dst->id], t);
		err = btg_int(s, v);
		return err ? err : store(s, dst);
	}
	voff = btg_scratch(s, t->size);
	err = btg_value(s, v, voff, t);
	if (!err)
		err = btg_map_key(s, dst, &koff);
	if (!err)
		update(s, dst->id, koff, voff, BPF_ANY);
	return err;
}

int btg_incdec(struct btg *s, const struct bt_node *n)
{
	const struct bt_node *dst = n->kid[0];
	bool inc = n->op == BT_OP_PREINC || n->op == BT_OP_POSTINC;
	bool pre = n->op == BT_OP_PREINC || n->op == BT_OP_PREDEC;
	int slot, err;

	if (dst->kind != BT_N_VAR && dst->kind != BT_N_MAP)
		return btg_fail(s, n->loc, ENOTSUP,
				"++ and -- apply to a map or a variable");
	err = btg_int(s, dst);
	if (err)
		return err;
	slot = btg_push(s);
	/* a pointer moves by its pointee's size */
	EMIT(&s->g, STX(BPF_DW, FP, R0, slot),
	     ALU_IMM(inc ? BPF_ADD : BPF_SUB, R0,
		     dst->type.kind == BT_T_PTR && dst->type.isize
			     ? dst->type.isize
			     : 1));
	err = store(s, dst);
	if (!pre)
		EMIT(&s->g, LDX(BPF_DW, R0, FP, slot));
	btg_pop(s);
	return err;
}
