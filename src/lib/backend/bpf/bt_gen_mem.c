/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: values that live in memory (strings,
 * tuples, usym, ustack: built in the scratch map's value at offsets fixed
 * when the program is generated), and their copies into slots of another
 * size. Map keys, reads, updates and the aggregating functions:
 * bt_gen_map.c; the ring buffer messages (enum bt_msg): bt_gen_msg.c.
 * Helper ids: include/uapi/linux/bpf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bt_gen_int.h"

/* the bytes of a string constant, NUL-padded to size */
static void str_const(struct btg *s, const char *str, int off, uint32_t size)
{
	size_t len = strlen(str);
	uint32_t i;

	for (i = 0; i < btg_align8(size); i += 4) {
		uint32_t w = 0;
		int k;

		for (k = 0; k < 4; k++)
			if (i + k < len && i + k < size - 1)
				w |= (uint32_t)(uint8_t)str[i + k] << (8 * k);
		EMIT(&s->g, ST_IMM(BPF_W, R9, off + (int)i, (int32_t)w));
	}
}

static bool user_ptr(struct btg *s, const struct bt_node *p)
{
	if (p->type.kind == BT_T_PTR)
		return p->type.is_user;
	return btg_user_probe(s);
}

/* str($N[, n]): the parameter's own text, as bpftrace takes it (not an
 * address to read) */
static int posparam_str(struct btg *s, const struct bt_node *n, int off)
{
	const struct bt_program *p = s->p;
	const struct bt_node *a = n->kid[0];
	uint64_t k = a->kind == BT_N_BINOP ? a->kid[0]->num : a->num;
	uint32_t size = n->type.size;
	const char *text;
	size_t skip = 0;

	if (n->nkid > 1) {
		if (n->kid[1]->kind != BT_N_INT)
			return btg_fail(s, n->kid[1]->loc, ENOTSUP,
					"str($N, n) with a length that is not "
					"a number is not supported yet");
		if (n->kid[1]->num + 1 < size)
			size = (uint32_t)n->kid[1]->num + 1;
	}
	text = k && k <= (uint64_t)p->nparams ? p->params[k - 1] : "";
	/* str($N + i): the text from its i-th byte (sema.c takes it only
	 * for a $N that is not a number) */
	if (a->kind == BT_N_BINOP)
		skip = a->kid[1]->num < strlen(text) ? a->kid[1]->num
						     : strlen(text);
	btg_zero(s, off, n->type.size);
	str_const(s, text + skip, off, size);
	return 0;
}

/* buf(s, n) of a string (a literal, a variable, comm): its first n bytes
 * (zero past the string's end), the length n before them */
static int buf_of_str(struct btg *s, const struct bt_node *n, int off)
{
	const struct bt_node *k = n->kid[0];
	uint32_t len = n->type.strsize, have = k->type.size;
	uint32_t mark = s->scr_top;
	int tmp = btg_scratch(s, have), err;

	btg_zero(s, off, n->type.size);
	EMIT(&s->g, ST_IMM(BPF_W, R9, off, (int32_t)len));
	err = btg_mem(s, k, tmp);
	if (!err)
		btg_copy(s, off + 4, R9, tmp, len < have ? len : have);
	s->scr_top = mark;
	return err;
}

/* str(p[, n]) and buf(p, n) */
static int read_str(struct btg *s, const struct bt_node *n, int off)
{
	bool buf = n->type.kind == BT_T_BUF;
	uint32_t max = buf ? n->type.strsize : n->type.size;
	int slot, err, dst = buf ? off + 4 : off;
	bool user = user_ptr(s, n->kid[0]);

	if ((n->kid[0]->kind == BT_N_POSPARAM ||
	     (n->kid[0]->kind == BT_N_BINOP &&
	      n->kid[0]->type.kind == BT_T_STR)) &&
	    !buf)
		return posparam_str(s, n, off);
	if (n->kid[0]->type.kind == BT_T_STR && buf)
		return buf_of_str(s, n, off);
	if (n->kid[0]->type.kind == BT_T_STR) {
		/* str() of a string (a tracepoint's __data_loc field): the
		 * string itself, not a read at its bytes taken as an address */
		if (buf || n->nkid > 1 || n->kid[0]->type.size > n->type.size)
			return btg_fail(s, n->loc, ENOTSUP,
					"%s() of a string with a length is not "
					"supported yet",
					buf ? "buf" : "str");
		btg_zero(s, off, n->type.size);
		return btg_mem(s, n->kid[0], off);
	}
	btg_zero(s, off, n->type.size);
	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	slot = btg_push(s);
	EMIT(&s->g, STX(BPF_DW, FP, R0, slot), MOV_IMM(R0, max));
	if (n->nkid > 1) {
		err = btg_int(s, n->kid[1]);
		if (err)
			return err;
		/* bpftrace 0.17: str(s, n) keeps n characters, then the NUL */
		if (!buf)
			EMIT(&s->g, ALU_IMM(BPF_ADD, R0, 1));
		EMIT(&s->g, JMP_IMM(BPF_JLE, R0, max, 1), MOV_IMM(R0, max));
	}
	if (buf)
		EMIT(&s->g, STX(BPF_W, R9, R0, off));
	EMIT(&s->g, MOV_REG(R2, R0), LDX(BPF_DW, R3, FP, slot));
	btg_pop(s);
	btg_scr_ptr(s, R1, dst);
	if (buf)
		EMIT(&s->g, CALL(user ? BPF_FUNC_probe_read_user
				      : BPF_FUNC_probe_read_kernel));
	else
		/* a kprobe's or tracepoint's pointer may be a user one
		 * (a syscall's filename): bpf_probe_read_str() reads either,
		 * by the address (x86-64's address spaces do not overlap:
		 * kernel/trace/bpf_trace.c bpf_probe_read_compat_str()) */
		EMIT(&s->g, CALL(user ? BPF_FUNC_probe_read_user_str
				      : BPF_FUNC_probe_read_str));
	return 0;
}

/* u64 value in r0 at off, then the tgid */
static void with_tgid(struct btg *s, int off)
{
	EMIT(&s->g, STX(BPF_DW, R9, R0, off),
	     CALL(BPF_FUNC_get_current_pid_tgid), ALU_IMM(BPF_RSH, R0, 32),
	     STX(BPF_DW, R9, R0, off + 8));
}

/* ntop([af, ] addr): u64 family (AF_INET 2 when not given), then the
 * address's bytes as they were in memory (an integer: its low 4 bytes) */
static int ntop(struct btg *s, const struct bt_node *n, int off)
{
	int err;

	btg_zero(s, off, n->type.size);
	EMIT(&s->g, ST_IMM(BPF_DW, R9, off, 2));
	if (n->nkid == 2) {
		err = btg_int(s, n->kid[0]);
		if (err)
			return err;
		EMIT(&s->g, STX(BPF_DW, R9, R0, off));
	}
	err = btg_int(s, n->kid[n->nkid - 1]);
	if (!err)
		EMIT(&s->g, STX(BPF_W, R9, R0, off + 8));
	return err;
}

static int call_mem(struct btg *s, const struct bt_node *n, int off)
{
	const char *f = n->name;
	int err;

	if ((!strcmp(f, "str") || !strcmp(f, "buf")) && n->nkid >= 1)
		return read_str(s, n, off);
	if (!strcmp(f, "usym") && n->nkid == 1) {
		err = btg_int(s, n->kid[0]);
		if (!err)
			with_tgid(s, off);
		return err;
	}
	if (!strcmp(f, "ntop") && n->nkid >= 1)
		return ntop(s, n, off);
	return btg_fail(s, n->loc, ENOTSUP, "%s() is not supported yet",
			n->name);
}

static int builtin_mem(struct btg *s, const struct bt_node *n, int off)
{
	const char *b = n->name;

	if (!strcmp(b, "comm")) {
		btg_scr_ptr(s, R1, off);
		EMIT(&s->g, MOV_IMM(R2, n->type.size),
		     CALL(BPF_FUNC_get_current_comm));
		return 0;
	}
	if (!strcmp(b, "ustack")) {
		EMIT(&s->g, MOV_REG(R1, R6));
		btg_ld_map(s, R2, btg_cmap_of(s, -2));
		EMIT(&s->g, MOV_IMM(R3, BPF_F_USER_STACK),
		     CALL(BPF_FUNC_get_stackid));
		with_tgid(s, off);
		return 0;
	}
	if (!strcmp(b, "func")) {
		EMIT(&s->g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_func_ip));
		with_tgid(s, off);
		return 0;
	}
	return btg_fail(s, n->loc, ENOTSUP, "%s is not supported yet", n->name);
}

/* a tracepoint's string: __data_loc (u32: length << 16 | offset) or a
 * char array in the record */
static int field_mem(struct btg *s, const struct bt_node *n, int off)
{
	if (s->probe->kind != BT_P_TRACEPOINT || n->type.kind != BT_T_STR)
		return btg_fail(s, n->loc, ENOTSUP,
				"this field is not supported yet");
	btg_zero(s, off, n->type.size);
	EMIT(&s->g, MOV_REG(R3, R6));
	if (n->data_loc)
		EMIT(&s->g, LDX(BPF_W, R1, R6, (int16_t)n->off),
		     ALU_IMM(BPF_AND, R1, 0xffff), ALU_REG(BPF_ADD, R3, R1));
	else
		EMIT(&s->g, ALU_IMM(BPF_ADD, R3, (int32_t)n->off));
	btg_scr_ptr(s, R1, off);
	EMIT(&s->g, MOV_IMM(R2, n->type.size),
	     CALL(n->data_loc ? BPF_FUNC_probe_read_kernel_str
			      : BPF_FUNC_probe_read_kernel));
	return 0;
}

static int ternary_mem(struct btg *s, const struct bt_node *n, int off)
{
	int le = gen_label_new(&s->g), lend = gen_label_new(&s->g), err;

	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	gen_jump(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 0), le);
	err = btg_value(s, n->kid[1], off, &n->type);
	if (err)
		return err;
	gen_jump(&s->g, JA(0), lend);
	gen_label_here(&s->g, le);
	err = btg_value(s, n->kid[2], off, &n->type);
	gen_label_here(&s->g, lend);
	return err;
}

int btg_mem(struct btg *s, const struct bt_node *n, int off)
{
	const struct bt_program *p = s->p;
	int i, err, t;

	if (s->buf.err)
		return s->buf.err;
	switch (n->kind) {
	case BT_N_STR:
		str_const(s, n->name, off, n->type.size);
		return 0;
	case BT_N_POSPARAM:
		str_const(s,
			  n->num && n->num <= (uint64_t)p->nparams
				  ? p->params[n->num - 1]
				  : "",
			  off, n->type.size);
		return 0;
	case BT_N_BUILTIN:
		return builtin_mem(s, n, off);
	case BT_N_VAR:
		btg_copy(s, off, R9, s->var_off[n->id], n->type.size);
		return 0;
	case BT_N_MAP:
		return btg_map_read(s, n, off);
	case BT_N_CALL:
		return call_mem(s, n, off);
	case BT_N_TUPLE:
		btg_zero(s, off, n->type.size);
		for (i = 0, err = 0; !err && i < n->nkid; i++)
			err = btg_value(s, n->kid[i],
					off + (int)btg_tup_off(&n->type, i),
					&n->type.tup[i]);
		return err;
	case BT_N_TERNARY:
		return ternary_mem(s, n, off);
	case BT_N_FIELD:
		return field_mem(s, n, off);
	case BT_N_TUPLE_GET:
		t = btg_scratch(s, n->kid[0]->type.size);
		err = btg_mem(s, n->kid[0], t);
		if (!err)
			btg_copy(s, off, R9,
				 t + (int)btg_tup_off(&n->kid[0]->type,
						      (int)n->num),
				 n->type.size);
		return err;
	default:
		return btg_fail(s, n->loc, ENOTSUP,
				"this value is not supported here yet");
	}
}

/* a buf() into a longer slot (zero past its bytes) or a shorter one (its
 * length cut to the slot's) */
static int buf_resize(struct btg *s, const struct bt_node *n, int off,
		      const struct bt_type *want)
{
	uint32_t have = n->type.size, keep;
	int t = btg_scratch(s, have), err;

	err = btg_mem(s, n, t);
	if (err)
		return err;
	btg_zero(s, off, want->size);
	keep = have < want->size ? have : want->size;
	btg_copy(s, off, R9, t, keep);
	EMIT(&s->g, LDX(BPF_W, R1, R9, off),
	     JMP_IMM(BPF_JLE, R1, want->strsize, 1), MOV_IMM(R1, want->strsize),
	     STX(BPF_W, R9, R1, off));
	return 0;
}

int btg_value(struct btg *s, const struct bt_node *n, int off,
	      const struct bt_type *want)
{
	const struct bt_type *have = &n->type;
	uint32_t keep;
	int i, t, err;

	if (!btg_is_mem(want)) {
		err = btg_int(s, n);
		btg_narrow(s, R0, want);
		EMIT(&s->g, STX(BPF_DW, R9, R0, off));
		return err;
	}
	if (have->kind != want->kind)
		return btg_fail(s, n->loc, EINVAL,
				"this value does not fit where it goes");
	if (n->kind == BT_N_TUPLE && want->kind == BT_T_TUPLE &&
	    n->nkid == want->ntup) {
		btg_zero(s, off, want->size);
		for (i = 0, err = 0; !err && i < n->nkid; i++)
			err = btg_value(s, n->kid[i],
					off + (int)btg_tup_off(want, i),
					&want->tup[i]);
		return err;
	}
	if (have->size == want->size)
		return btg_mem(s, n, off);
	if (have->kind == BT_T_BUF)
		return buf_resize(s, n, off, want);
	if (have->kind != BT_T_STR)
		return btg_fail(s, n->loc, ENOTSUP,
				"values of this type and different sizes are "
				"not supported yet");
	/* a string into a longer or shorter slot: NUL-padded, cut */
	t = btg_scratch(s, have->size);
	err = btg_mem(s, n, t);
	if (err)
		return err;
	btg_zero(s, off, want->size);
	keep = have->size < want->size ? have->size : want->size;
	btg_copy(s, off, R9, t, keep);
	if (keep == want->size && keep)
		EMIT(&s->g, ST_IMM(BPF_B, R9, off + (int)keep - 1, 0));
	return 0;
}
