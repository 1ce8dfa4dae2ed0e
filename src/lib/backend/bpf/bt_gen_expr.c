/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: integer expressions into r0, with
 * bpftrace 0.17's meaning (measured with bpftrace 0.17 on this kernel):
 * / and % are unsigned, x / 0 is 0 and x % 0 is x; >> is a logical
 * shift; < > <= >= compare signed only when both sides are signed;
 * && and || short-circuit and give 0 or 1. The left side of a binary
 * operator waits in a spill slot while the right one is computed.
 * x86-64 registers in struct pt_regs: gen_reg_offset() (gen.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../sym/ksym.h"
#include "bpf_int.h"
#include "bt_gen_int.h"

static const char *const arg_regs[BT_MAX_ARGS] = {"di", "si", "dx",
						  "cx", "r8", "r9"};

void btg_scr_ptr(struct btg *s, int reg, int off)
{
	EMIT(&s->g, MOV_REG(reg, R9), ALU_IMM(BPF_ADD, reg, off));
}

void btg_zero(struct btg *s, int off, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < btg_align8(size); i += 8)
		EMIT(&s->g, ST_IMM(BPF_DW, R9, off + (int)i, 0));
}

/* the widest access both sides' alignment allows (the verifier refuses a
 * misaligned one on the stack: a buf()'s data sits 4 bytes in) */
void btg_copy(struct btg *s, int doff, int src, int soff, uint32_t size)
{
	static const struct {
		uint32_t n;
		int sz;
	} w[] = {{8, BPF_DW}, {4, BPF_W}, {2, BPF_H}, {1, BPF_B}};
	uint32_t i = 0;
	size_t k;

	while (i < size) {
		for (k = 0; k < 3; k++)
			if (size - i >= w[k].n &&
			    !((uint32_t)(doff + (int)i) % w[k].n) &&
			    !((uint32_t)(soff + (int)i) % w[k].n))
				break;
		EMIT(&s->g, LDX(w[k].sz, R1, src, soff + (int)i),
		     STX(w[k].sz, R9, R1, doff + (int)i));
		i += w[k].n;
	}
}

void btg_narrow(struct btg *s, int reg, const struct bt_type *t)
{
	int sh;

	if (t->kind != BT_T_INT || !t->isize || t->isize >= 8)
		return;
	sh = 64 - 8 * t->isize;
	EMIT(&s->g, ALU_IMM(BPF_LSH, reg, sh),
	     ALU_IMM(t->is_signed ? BPF_ARSH : BPF_RSH, reg, sh));
}

static void imm64(struct btg *s, int reg, uint64_t v)
{
	if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX)
		EMIT(&s->g, MOV_IMM(reg, (int32_t)v));
	else
		EMIT(&s->g, LD_IMM64(reg, v));
}

/* r0 = size bytes at the address in r3, read into a spill slot */
static void read_ptr(struct btg *s, uint32_t size, bool user, bool sign)
{
	int slot = btg_push(s), sh = 64 - 8 * (int)size;

	EMIT(&s->g, ST_IMM(BPF_DW, FP, slot, 0), MOV_REG(R1, FP),
	     ALU_IMM(BPF_ADD, R1, slot), MOV_IMM(R2, size),
	     CALL(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel),
	     LDX(BPF_DW, R0, FP, slot));
	if (sign && sh > 0 && sh < 64)
		EMIT(&s->g, ALU_IMM(BPF_LSH, R0, sh),
		     ALU_IMM(BPF_ARSH, R0, sh));
	btg_pop(s);
}

static int reg_of(struct btg *s, const struct bt_node *n, int i)
{
	if (i < BT_MAX_ARGS) {
		EMIT(&s->g, LDX(BPF_DW, R0, R6, gen_reg_offset(arg_regs[i])));
		return 0;
	}
	/* past the registers: the caller's stack, above the return address */
	EMIT(&s->g, LDX(BPF_DW, R3, R6, gen_reg_offset("sp")),
	     ALU_IMM(BPF_ADD, R3, 8 * (i - BT_MAX_ARGS + 1)));
	if (!btg_user_probe(s))
		return btg_fail(s, n->loc, ENOTSUP,
				"arguments past the sixth are read on user "
				"probes only");
	read_ptr(s, 8, true, false);
	return 0;
}

static bool is_name(const char *name, const char *pfx, int *num)
{
	size_t l = strlen(pfx);
	char *end;

	if (strncmp(name, pfx, l) || !name[l])
		return false;
	*num = (int)strtol(name + l, &end, 10);
	return !*end;
}

static int builtin(struct btg *s, const struct bt_node *n)
{
	struct gen *g = &s->g;
	const char *b = n->name;
	int i;

	if (!strcmp(b, "pid") || !strcmp(b, "tid")) {
		EMIT(g, CALL(BPF_FUNC_get_current_pid_tgid));
		if (b[0] == 'p')
			EMIT(g, ALU_IMM(BPF_RSH, R0, 32));
		else
			EMIT(g, ALU_IMM(BPF_LSH, R0, 32),
			     ALU_IMM(BPF_RSH, R0, 32));
	} else if (!strcmp(b, "uid") || !strcmp(b, "gid")) {
		EMIT(g, CALL(BPF_FUNC_get_current_uid_gid));
		if (b[0] == 'g')
			EMIT(g, ALU_IMM(BPF_RSH, R0, 32));
		else
			EMIT(g, ALU_IMM(BPF_LSH, R0, 32),
			     ALU_IMM(BPF_RSH, R0, 32));
	} else if (!strcmp(b, "cpu")) {
		EMIT(g, CALL(BPF_FUNC_get_smp_processor_id));
	} else if (!strcmp(b, "nsecs")) {
		EMIT(g, CALL(BPF_FUNC_ktime_get_ns));
	} else if (!strcmp(b, "elapsed")) {
		btg_ld_map(s, R1, btg_cmap_of(s, -4));
		EMIT(g, MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, BTG_ZERO_KEY),
		     CALL(BPF_FUNC_map_lookup_elem), MOV_REG(R7, R0),
		     CALL(BPF_FUNC_ktime_get_ns), JMP_IMM(BPF_JEQ, R7, 0, 2),
		     LDX(BPF_DW, R1, R7, 0), ALU_REG(BPF_SUB, R0, R1));
	} else if (!strcmp(b, "retval")) {
		EMIT(g, LDX(BPF_DW, R0, R6, gen_reg_offset("ax")));
	} else if (is_name(b, "arg", &i)) {
		if (s->probe->kind == BT_P_USDT)
			return btg_usdt_arg(s, n, i);
		return reg_of(s, n, i);
	} else if (is_name(b, "sarg", &i)) {
		EMIT(g, LDX(BPF_DW, R3, R6, gen_reg_offset("sp")),
		     ALU_IMM(BPF_ADD, R3, 8 * (i + 1)));
		read_ptr(s, 8, btg_user_probe(s), false);
	} else if (!strcmp(b, "func")) {
		EMIT(g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_func_ip));
	} else if (!strcmp(b, "probe")) {
		return btg_probe_name(s);
	} else if (!strcmp(b, "kstack")) {
		EMIT(g, MOV_REG(R1, R6));
		btg_ld_map(s, R2, btg_cmap_of(s, -2));
		EMIT(g, MOV_IMM(R3, 0), CALL(BPF_FUNC_get_stackid));
	} else if (!strcmp(b, "cgroup")) {
		EMIT(g, CALL(BPF_FUNC_get_current_cgroup_id));
	} else if (!strcmp(b, "curtask")) {
		EMIT(g, CALL(BPF_FUNC_get_current_task));
	} else if (!strcmp(b, "rand")) {
		EMIT(g, CALL(BPF_FUNC_get_prandom_u32));
	} else {
		return btg_fail(s, n->loc, ENOTSUP, "%s is not supported yet",
				n->name);
	}
	return 0;
}

/* r1 = r1 op r0 for an arithmetic operator */
static int arith(struct btg *s, const struct bt_node *n, bool sign)
{
	struct gen *g = &s->g;
	int op;

	switch (n->op) {
	case '+':
		op = BPF_ADD;
		break;
	case '-':
		op = BPF_SUB;
		break;
	case '*':
		op = BPF_MUL;
		break;
	case '&':
		op = BPF_AND;
		break;
	case '|':
		op = BPF_OR;
		break;
	case '^':
		op = BPF_XOR;
		break;
	case BT_OP_SHL:
		op = BPF_LSH;
		break;
	case BT_OP_SHR:
		op = BPF_RSH;
		break;
	case '/':
	case '%':
		/* bpftrace 0.17: unsigned, and BPF's own answer for a zero
		 * divisor (x / 0 = 0, x % 0 = x), measured with runtime
		 * values (constants are folded by LLVM otherwise) */
		op = n->op == '/' ? BPF_DIV : BPF_MOD;
		break;
	default:
		return -1;
	}
	(void)sign;
	EMIT(g, ALU_REG(op, R1, R0), MOV_REG(R0, R1));
	return 0;
}

static int compare_op(int op, bool sign)
{
	switch (op) {
	case BT_OP_EQ:
		return BPF_JEQ;
	case BT_OP_NE:
		return BPF_JNE;
	case '<':
		return sign ? BPF_JSLT : BPF_JLT;
	case '>':
		return sign ? BPF_JSGT : BPF_JGT;
	case BT_OP_LE:
		return sign ? BPF_JSLE : BPF_JLE;
	case BT_OP_GE:
		return sign ? BPF_JSGE : BPF_JGE;
	}
	return -1;
}

/* == and != of strings (up to the first NUL) and of buf() values (the
 * length and every byte) */
static int str_compare(struct btg *s, const struct bt_node *n)
{
	const struct bt_node *a = n->kid[0], *b = n->kid[1];
	uint32_t sa = a->type.size, sb = b->type.size, i;
	int oa = btg_scratch(s, sa), ob = btg_scratch(s, sb), err;
	int ne = gen_label_new(&s->g), end = gen_label_new(&s->g);
	bool eq = n->op == BT_OP_EQ, buf = a->type.kind == BT_T_BUF;

	err = btg_mem(s, a, oa);
	if (!err)
		err = btg_mem(s, b, ob);
	if (err)
		return err;
	for (i = 0; i < (sa > sb ? sa : sb); i++) {
		if (i < sa)
			EMIT(&s->g, LDX(BPF_B, R1, R9, oa + (int)i));
		else
			EMIT(&s->g, MOV_IMM(R1, 0));
		if (i < sb)
			EMIT(&s->g, LDX(BPF_B, R2, R9, ob + (int)i));
		else
			EMIT(&s->g, MOV_IMM(R2, 0));
		gen_jump(&s->g, JMP_REG(BPF_JNE, R1, R2, 0), ne);
		if (!buf)
			gen_jump(&s->g, JMP_IMM(BPF_JEQ, R1, 0, 0), end);
	}
	gen_jump(&s->g, JA(0), end);
	gen_label_here(&s->g, ne);
	EMIT(&s->g, MOV_IMM(R0, !eq));
	EMIT(&s->g, JA(1));
	gen_label_here(&s->g, end);
	EMIT(&s->g, MOV_IMM(R0, eq));
	return 0;
}

static int logical(struct btg *s, const struct bt_node *n)
{
	struct gen *g = &s->g;
	int sc = gen_label_new(g), end = gen_label_new(g), err;
	bool and = n->op == BT_OP_LAND;

	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	gen_jump(g, JMP_IMM(and? BPF_JEQ : BPF_JNE, R0, 0, 0), sc);
	err = btg_int(s, n->kid[1]);
	if (err)
		return err;
	gen_jump(g, JMP_IMM(and? BPF_JEQ : BPF_JNE, R0, 0, 0), sc);
	EMIT(g, MOV_IMM(R0, and));
	gen_jump(g, JA(0), end);
	gen_label_here(g, sc);
	EMIT(g, MOV_IMM(R0, !and));
	gen_label_here(g, end);
	return 0;
}

/* a pointer's arithmetic unsigned, as an address */
static bool num_signed(const struct bt_type *t)
{
	return t->kind != BT_T_PTR && t->is_signed;
}

/* the pointee's size when n is ptr +/- int (int + ptr): what the int
 * side counts in; 1 otherwise */
static int ptr_scale(const struct bt_node *n, bool left)
{
	const struct bt_type *ta = &n->kid[0]->type, *tb = &n->kid[1]->type;
	const struct bt_type *p = left ? tb : ta, *i = left ? ta : tb;

	if (n->type.kind != BT_T_PTR || (n->op != '+' && n->op != '-') ||
	    p->kind != BT_T_PTR || i->kind == BT_T_PTR || !p->isize)
		return 1;
	return p->isize;
}

static int binop(struct btg *s, const struct bt_node *n)
{
	const struct bt_type *ta = &n->kid[0]->type, *tb = &n->kid[1]->type;
	bool sign = num_signed(ta) && num_signed(tb);
	int slot, err, cmp, sc;

	if (n->op == BT_OP_LAND || n->op == BT_OP_LOR)
		return logical(s, n);
	if (btg_is_mem(ta) || btg_is_mem(tb)) {
		if (ta->kind == tb->kind &&
		    (ta->kind == BT_T_STR || ta->kind == BT_T_BUF) &&
		    (n->op == BT_OP_EQ || n->op == BT_OP_NE))
			return str_compare(s, n);
		return btg_fail(s, n->loc, ENOTSUP,
				"this operator is not supported on these "
				"values yet");
	}
	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	if ((sc = ptr_scale(n, true)) > 1)
		EMIT(&s->g, ALU_IMM(BPF_MUL, R0, sc));
	slot = btg_push(s);
	EMIT(&s->g, STX(BPF_DW, FP, R0, slot));
	err = btg_int(s, n->kid[1]);
	btg_pop(s);
	if (err)
		return err;
	if ((sc = ptr_scale(n, false)) > 1)
		EMIT(&s->g, ALU_IMM(BPF_MUL, R0, sc));
	EMIT(&s->g, LDX(BPF_DW, R1, FP, slot));
	cmp = compare_op(n->op, sign);
	if (cmp >= 0) {
		EMIT(&s->g, INSN(BPF_JMP | cmp | BPF_X, R1, R0, 2, 0),
		     MOV_IMM(R0, 0), JA(1), MOV_IMM(R0, 1));
		return 0;
	}
	if (arith(s, n, sign))
		return btg_fail(s, n->loc, ENOTSUP,
				"this operator is not supported yet");
	btg_narrow(s, R0, &n->type);
	return 0;
}

static bool is_uaddr(const struct bt_node *n)
{
	return n->kind == BT_N_CALL && !strcmp(n->name, "uaddr") &&
	       n->nkid == 1 && n->kid[0]->kind == BT_N_STR;
}

static int unop(struct btg *s, const struct bt_node *n)
{
	const struct bt_type *pt = &n->kid[0]->type;
	uint32_t usize = 8;
	int err;

	if (n->op >= BT_OP_PREINC)
		return btg_incdec(s, n);
	if (n->op == '&')
		return btg_fail(s, n->loc, ENOTSUP, "'&' is not supported yet");
	err = n->op == '*' && is_uaddr(n->kid[0])
		      ? btg_uaddr(s, n->kid[0], &usize)
		      : btg_int(s, n->kid[0]);
	if (err)
		return err;
	switch (n->op) {
	case '!':
		EMIT(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 2), MOV_IMM(R0, 0), JA(1),
		     MOV_IMM(R0, 1));
		return 0;
	case '~':
		EMIT(&s->g, ALU_IMM(BPF_XOR, R0, -1));
		break;
	case '-':
		EMIT(&s->g, ALU_IMM(BPF_NEG, R0, 0));
		break;
	case '*':
		EMIT(&s->g, MOV_REG(R3, R0));
		if (is_uaddr(n->kid[0])) { /* the symbol's own size, signed */
			read_ptr(s, usize, true, true);
			return 0;
		}
		read_ptr(s, n->type.size && n->type.isize ? n->type.isize : 8,
			 pt->kind == BT_T_PTR ? pt->is_user : btg_user_probe(s),
			 n->type.is_signed);
		return 0;
	default:
		return btg_fail(s, n->loc, ENOTSUP,
				"this operator is not supported yet");
	}
	btg_narrow(s, R0, &n->type);
	return 0;
}

/* p[i]: the element at p + i * its size */
static int index_op(struct btg *s, const struct bt_node *n)
{
	const struct bt_type *pt = &n->kid[0]->type;
	uint32_t esz = n->type.isize ? n->type.isize : 8;
	int slot, err;

	if (pt->kind != BT_T_PTR || btg_is_mem(&n->type))
		return btg_fail(s, n->loc, ENOTSUP,
				"indexing this value is not supported yet");
	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	slot = btg_push(s);
	EMIT(&s->g, STX(BPF_DW, FP, R0, slot));
	err = btg_int(s, n->kid[1]);
	btg_pop(s);
	if (err)
		return err;
	EMIT(&s->g, ALU_IMM(BPF_MUL, R0, esz), LDX(BPF_DW, R3, FP, slot),
	     ALU_REG(BPF_ADD, R3, R0));
	read_ptr(s, esz, pt->is_user, n->type.is_signed);
	return 0;
}

static int field(struct btg *s, const struct bt_node *n)
{
	const struct bt_type *t = &n->type;
	int sz = t->kind == BT_T_INT && t->isize ? t->isize : 8, sh;

	if (s->probe->kind != BT_P_TRACEPOINT) {
		if (n->off < 0 || n->off >= 64)
			return btg_fail(s, n->loc, ENOTSUP,
					"this field is not supported yet");
		if (reg_of(s, n, (int)n->off))
			return -ENOTSUP;
		btg_narrow(s, R0, t);
		return 0;
	}
	EMIT(&s->g, LDX(sz == 1	  ? BPF_B
			: sz == 2 ? BPF_H
			: sz == 4 ? BPF_W
				  : BPF_DW,
			R0, R6, (int16_t)n->off));
	sh = 64 - 8 * sz;
	if (t->is_signed && sh > 0)
		EMIT(&s->g, ALU_IMM(BPF_LSH, R0, sh),
		     ALU_IMM(BPF_ARSH, R0, sh));
	return 0;
}

static int ternary(struct btg *s, const struct bt_node *n)
{
	int le = gen_label_new(&s->g), lend = gen_label_new(&s->g), err;

	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	gen_jump(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 0), le);
	err = btg_int(s, n->kid[1]);
	if (err)
		return err;
	gen_jump(&s->g, JA(0), lend);
	gen_label_here(&s->g, le);
	err = btg_int(s, n->kid[2]);
	gen_label_here(&s->g, lend);
	return err;
}

static int call_int(struct btg *s, const struct bt_node *n)
{
	const char *f = n->name;

	if (!strcmp(f, "ksym") && n->nkid == 1)
		return btg_int(s, n->kid[0]);
	if (!strcmp(f, "strftime") && n->nkid == 2)
		return btg_int(s, n->kid[1]);
	if (!strcmp(f, "kaddr") && n->nkid == 1 &&
	    n->kid[0]->kind == BT_N_STR) {
		uint64_t a = 0;
		int err = ksym_symbol_addr(n->kid[0]->name, &a);

		if (err == -EACCES)
			return btg_fail(s, n->loc, EACCES,
					"kaddr(): /proc/kallsyms shows no "
					"addresses here (kptr_restrict)");
		if (err)
			return btg_fail_bt(s, n->loc, ENOENT,
					   "Failed to resolve kernel symbol: %s",
					n->kid[0]->name);
		imm64(s, R0, a);
		return 0;
	}
	if (is_uaddr(n)) {
		uint32_t size;

		return btg_uaddr(s, n, &size);
	}
	if (!strcmp(f, "delete")) { /* 1 when the key was there */
		int err = btg_call_stmt(s, n);

		EMIT(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 2), MOV_IMM(R0, 0), JA(1),
		     MOV_IMM(R0, 1));
		return err;
	}
	return btg_fail(s, n->loc, ENOTSUP, "%s() is not supported here yet",
			n->name);
}

int btg_int(struct btg *s, const struct bt_node *n)
{
	const struct bt_program *p = s->p;
	int off, err;

	if (s->buf.err)
		return s->buf.err;
	switch (n->kind) {
	case BT_N_INT:
		imm64(s, R0, n->num);
		return 0;
	case BT_N_POSPARAM:
		if (!n->num)
			imm64(s, R0, (uint64_t)p->nparams);
		else if (n->num <= (uint64_t)p->nparams)
			imm64(s, R0, strtoull(p->params[n->num - 1], NULL, 0));
		else
			imm64(s, R0, 0);
		return 0;
	case BT_N_BUILTIN:
		return builtin(s, n);
	case BT_N_VAR:
		EMIT(&s->g, LDX(BPF_DW, R0, FP, s->var_off[n->id]));
		return 0;
	case BT_N_MAP:
		return btg_map_read(s, n, -1);
	case BT_N_CALL:
		return call_int(s, n);
	case BT_N_BINOP:
		return binop(s, n);
	case BT_N_UNOP:
		return unop(s, n);
	case BT_N_TERNARY:
		return ternary(s, n);
	case BT_N_CAST:
		err = btg_int(s, n->kid[0]);
		btg_narrow(s, R0, &n->type);
		return err;
	case BT_N_FIELD:
		return field(s, n);
	case BT_N_INDEX:
		return index_op(s, n);
	case BT_N_TUPLE_GET:
		off = btg_scratch(s, n->kid[0]->type.size);
		err = btg_mem(s, n->kid[0], off);
		if (!err)
			EMIT(&s->g, LDX(BPF_DW, R0, R9,
					off + (int)btg_tup_off(&n->kid[0]->type,
							       (int)n->num)));
		return err;
	default:
		return btg_fail(s, n->loc, ENOTSUP,
				"this expression is not supported yet");
	}
}
