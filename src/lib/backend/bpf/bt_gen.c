/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: a checked bpftrace program (lang/bt.h)
 * into one BPF program per probe of each block, and the maps they use,
 * described for the runtime to create (bt_gen_set_fds() then puts their
 * fds into the ld_imm64 instructions). This file: the maps, each
 * program's frame, the statements. Expressions: bt_gen_expr.c; values in
 * memory: bt_gen_mem.c; maps: bt_gen_map.c; messages: bt_gen_msg.c; the
 * helpers they share: bt_gen_util.c. Helper ids and map types from
 * include/uapi/linux/bpf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bt_gen_int.h"

static int cmap_add(struct bt_compiled *c, int map, enum bt_map_kind kind,
		    uint32_t ks, uint32_t vs, uint32_t max)
{
	struct bt_cmap *m = realloc(c->maps, (c->nmaps + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	c->maps = m;
	m[c->nmaps] = (struct bt_cmap){.map = map,
				       .kind = kind,
				       .key_size = ks,
				       .value_size = vs,
				       .max_entries = max,
				       .fd = -1};
	return c->nmaps++;
}

/* The index of a special map, added at its first use. */
static int special(struct btg *s, int *idx, enum bt_map_kind kind, uint32_t ks,
		   uint32_t vs, uint32_t max)
{
	if (*idx < 0) {
		*idx = cmap_add(s->c, -1, kind, ks, vs, max);
		if (*idx < 0)
			s->buf.err = *idx;
	}
	return *idx;
}

int btg_cmap_of(struct btg *s, int map)
{
	struct bt_compiled *c = s->c;

	if (map == -1)
		return special(s, &c->ringbuf, BT_M_RINGBUF, 0, 0,
			       BT_RING_SIZE);
	if (map == -2)
		return special(s, &c->stacks, BT_M_STACKS, 4, 127 * 8,
			       BT_MAP_MAX_ENTRIES);
	if (map == -3)
		return special(s, &c->scratch, BT_M_SCRATCH, 4, 8, 1);
	if (map == -4)
		return special(s, &c->elapsed, BT_M_ELAPSED, 4, 8, 1);
	if (map == -5)
		return special(s, &c->lost, BT_M_LOST, 4, 8, 1);
	return map;
}

void btg_ld_map(struct btg *s, int reg, int cmap)
{
	struct bt_cprog *cp = s->cp;
	void *r;

	if (cmap < 0) {
		s->buf.err = s->buf.err ? s->buf.err : -EINVAL;
		return;
	}
	r = realloc(cp->relocs, (cp->nrelocs + 1) * sizeof(*cp->relocs));
	if (!r) {
		s->buf.err = -ENOMEM;
		return;
	}
	cp->relocs = r;
	cp->relocs[cp->nrelocs].insn = s->buf.n;
	cp->relocs[cp->nrelocs++].cmap = cmap;
	EMIT(&s->g, LD_MAP_FD(reg, 0));
}

/* lines[] up to the instructions emitted so far get the current line */
static void sync_lines(struct btg *s)
{
	size_t n = s->buf.n;

	if (n > s->lines_cap) {
		size_t cap = n * 2;
		int *l = realloc(s->lines, cap * sizeof(*l));

		if (!l) {
			s->buf.err = -ENOMEM;
			return;
		}
		s->lines = l;
		s->lines_cap = cap;
	}
	while (s->lines_done < n)
		s->lines[s->lines_done++] = s->line;
}

static void at_line(struct btg *s, int line)
{
	sync_lines(s);
	s->line = line;
}

static int stmt(struct btg *s, const struct bt_node *n);

/* exit() and return leave the program: what follows them in the block
 * is never run, and the verifier refuses unreachable instructions */
static bool leaves(const struct bt_node *n)
{
	if (n->kind == BT_N_RETURN)
		return true;
	return n->kind == BT_N_EXPR && n->kid[0]->kind == BT_N_CALL &&
	       !strcmp(n->kid[0]->name, "exit");
}

static int block(struct btg *s, const struct bt_node *b)
{
	int i, err = 0;

	for (i = 0; b && !err && i < b->nkid; i++) {
		err = stmt(s, b->kid[i]);
		if (leaves(b->kid[i]))
			break;
	}
	return err;
}

static int if_stmt(struct btg *s, const struct bt_node *n)
{
	struct gen *g = &s->g;
	int lelse = gen_label_new(g), lend = gen_label_new(g), err;

	err = btg_int(s, n->kid[0]);
	if (err)
		return err;
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), lelse);
	err = block(s, n->body);
	if (err)
		return err;
	if (n->orelse)
		gen_jump(g, JA(0), lend);
	gen_label_here(g, lelse);
	if (n->orelse) {
		err = n->orelse->kind == BT_N_IF ? stmt(s, n->orelse)
						 : block(s, n->orelse);
		gen_label_here(g, lend);
	}
	return err;
}

/* an expression evaluated for its effect; c ? f() : g() (its type NONE)
 * runs one of the calls */
static int expr_stmt(struct btg *s, const struct bt_node *e)
{
	int lelse, lend, err;

	if (e->kind == BT_N_CALL)
		return btg_call_stmt(s, e);
	if (e->kind == BT_N_UNOP && e->op >= BT_OP_PREINC)
		return btg_incdec(s, e);
	if (btg_is_mem(&e->type))
		return btg_mem(s, e, btg_scratch(s, e->type.size));
	if (e->kind != BT_N_TERNARY || e->type.kind != BT_T_NONE)
		return btg_int(s, e);
	lelse = gen_label_new(&s->g);
	lend = gen_label_new(&s->g);
	err = btg_int(s, e->kid[0]);
	if (err)
		return err;
	gen_jump(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 0), lelse);
	err = expr_stmt(s, e->kid[1]);
	if (err)
		return err;
	gen_jump(&s->g, JA(0), lend);
	gen_label_here(&s->g, lelse);
	err = expr_stmt(s, e->kid[2]);
	gen_label_here(&s->g, lend);
	return err;
}

static int stmt(struct btg *s, const struct bt_node *n)
{
	uint32_t mark = s->scr_top;
	uint64_t i;
	int err = 0;

	at_line(s, n->loc.line);
	switch (n->kind) {
	case BT_N_EXPR:
		err = expr_stmt(s, n->kid[0]);
		break;
	case BT_N_ASSIGN:
		err = btg_assign(s, n);
		break;
	case BT_N_IF:
		err = if_stmt(s, n);
		break;
	case BT_N_UNROLL:
		for (i = 0; !err && i < n->num; i++)
			err = block(s, n->body);
		break;
	case BT_N_BLOCK:
		err = block(s, n);
		break;
	case BT_N_RETURN:
		gen_jump(&s->g, JA(0), s->out);
		break;
	default:
		err = btg_fail(s, n->loc, ENOTSUP,
			       "this statement is not supported yet");
	}
	s->scr_top = mark;
	if (!err && s->buf.err)
		err = s->buf.err == -E2BIG
			      ? btg_fail(s, n->loc, E2BIG,
					 "the program is too large for sonde's "
					 "code generator here")
			      : s->buf.err;
	return err;
}

/* Each variable's home: integers on the stack, the rest in scratch;
 * all zeroed so that the verifier sees them written. */
static int frame(struct btg *s)
{
	const struct bt_block *b = s->blk;
	int i, fp = BTG_SPILL0 - 8 * BTG_SPILLS;

	free(s->var_off);
	s->var_off = calloc(b->nvars + 1, sizeof(*s->var_off));
	if (!s->var_off)
		return -ENOMEM;
	for (i = 0; i < b->nvars; i++) {
		if (btg_is_mem(&b->var_types[i])) {
			s->var_off[i] = btg_scratch(s, b->var_types[i].size);
			btg_zero(s, s->var_off[i], b->var_types[i].size);
			continue;
		}
		if (fp - 8 < -BTG_STACK)
			return btg_fail(s, b->loc, E2BIG,
					"too many scratch variables");
		s->var_off[i] = fp;
		EMIT(&s->g, ST_IMM(BPF_DW, FP, fp, 0));
		fp -= 8;
	}
	s->stack_used = -fp;
	return 0;
}

static uint32_t prog_type(enum bt_pkind k)
{
	switch (k) {
	case BT_P_TRACEPOINT:
		return BPF_PROG_TYPE_TRACEPOINT;
	case BT_P_INTERVAL:
	case BT_P_PROFILE:
		return BPF_PROG_TYPE_PERF_EVENT;
	default:
		return BPF_PROG_TYPE_KPROBE;
	}
}

static int one_prog(struct btg *s, int bi, int pi)
{
	struct gen *g = &s->g;
	int err;

	memset(g, 0, sizeof(*g));
	memset(&s->buf, 0, sizeof(s->buf));
	g->b = &s->buf;
	s->blk = &s->p->blocks[bi];
	s->probe = &s->blk->probes[pi];
	s->cp->block = bi;
	s->cp->probe = pi;
	s->cp->prog_type = prog_type(s->probe->kind);
	s->lines = NULL;
	s->lines_done = s->lines_cap = 0;
	s->line = s->blk->loc.line;
	s->depth = 0;
	s->scr_top = s->prog_scr = 0;
	s->out = gen_label_new(g);

	EMIT(g, MOV_REG(R6, R1), ST_IMM(BPF_DW, FP, BTG_ZERO_KEY, 0));
	if (s->on_stack) {
		/* r9 = the bottom of the stack */
		EMIT(g, MOV_REG(R9, FP), ALU_IMM(BPF_ADD, R9, -BTG_STACK));
	} else {
		/* r9 = the scratch value (index 0 always exists) */
		btg_ld_map(s, R1, btg_cmap_of(s, -3));
		EMIT(g, MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, BTG_ZERO_KEY),
		     CALL(BPF_FUNC_map_lookup_elem));
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), s->out);
		EMIT(g, MOV_REG(R9, R0));
	}
	err = frame(s);
	if (!err && s->blk->pred) {
		at_line(s, s->blk->pred->loc.line);
		err = btg_int(s, s->blk->pred);
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), s->out);
	}
	if (!err)
		err = block(s, s->blk->body);
	at_line(s, s->blk->loc.line);
	gen_label_here(g, s->out);
	EMIT(g, MOV_IMM(R0, 0), EXIT());
	sync_lines(s);
	if (!err)
		err = gen_finish(g);
	if (err && !s->err->err)
		btg_fail(s, s->blk->loc, -err,
			 err == -E2BIG
				 ? "the program is too large for sonde's "
				   "code generator"
				 : "cannot generate this probe's program");
	s->cp->insns = s->buf.insns;
	s->cp->ninsns = s->buf.n;
	s->cp->lines = s->lines;
	return err;
}

/* Once with the scratch map; again on the stack when the scratch fits
 * under the spill slots and variables. */
static int gen_prog(struct btg *s, int bi, int pi)
{
	struct bt_cprog *cp = s->cp;
	int err;

	s->on_stack = false;
	err = one_prog(s, bi, pi);
	if (err)
		return err;
	if (s->prog_scr + (uint32_t)s->stack_used > BTG_STACK) {
		if (s->prog_scr > s->scr_max)
			s->scr_max = s->prog_scr;
		return 0;
	}
	free(cp->insns);
	free(cp->lines);
	free(cp->relocs);
	cp->insns = NULL, cp->lines = NULL, cp->relocs = NULL;
	cp->ninsns = 0, cp->nrelocs = 0;
	s->on_stack = true;
	return one_prog(s, bi, pi);
}

static int user_maps(struct btg *s)
{
	const struct bt_program *p = s->p;
	int i;

	for (i = 0; i < p->nmaps; i++) {
		const struct bt_map *m = &p->maps[i];
		uint32_t ks = m->key.kind == BT_T_NONE ? 8 : m->key.size;
		uint32_t vs = m->value.size;
		enum bt_map_kind k = BT_M_HASH;

		switch (m->value.kind) {
		case BT_T_COUNT:
		case BT_T_SUM:
			k = BT_M_PERCPU, vs = 8;
			break;
		case BT_T_MIN:
		case BT_T_MAX:
		case BT_T_AVG:
		case BT_T_STATS:
			k = BT_M_PERCPU, vs = 16;
			break;
		case BT_T_HIST:
		case BT_T_LHIST:
			/* the bucket 8-aligned after the key */
			k = BT_M_PERCPU_HIST, vs = 8;
			ks = btg_align8(ks) + 8;
			break;
		default:
			break;
		}
		if (!vs)
			vs = 8;
		if (cmap_add(s->c, i, k, ks, vs, BT_MAP_MAX_ENTRIES) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The `probe` builtin's values for pr: its spec, or its sites' names
 * when the runtime gave them (one per site where they differ). */
static int probe_names(struct btg *s, const struct bt_probe *pr)
{
	struct bt_compiled *c = s->c;
	int k, n = 1;
	char **v;

	for (k = 1; k < pr->nsites && pr->sites[0].name; k++)
		if (!pr->sites[k].name ||
		    strcmp(pr->sites[k].name, pr->sites[0].name))
			n = pr->nsites;
	v = realloc(c->probe_names, (c->nprobe_names + n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->probe_names = v;
	s->name_base = c->nprobe_names;
	s->name_count = n;
	for (k = 0; k < n; k++) {
		const char *name = pr->nsites && pr->sites[k].name
					   ? pr->sites[k].name
					   : pr->spec;

		v[c->nprobe_names] = strdup(name);
		if (!v[c->nprobe_names++])
			return -ENOMEM;
	}
	return 0;
}

static int all_progs(struct btg *s)
{
	struct bt_compiled *c = s->c;
	const struct bt_program *p = s->p;
	int bi, pi, n = 0, err;

	for (bi = 0; bi < p->nblocks; bi++)
		n += p->blocks[bi].nprobes;
	c->progs = calloc(n ? n : 1, sizeof(*c->progs));
	if (!c->progs)
		return -ENOMEM;
	for (bi = 0; bi < p->nblocks; bi++)
		for (pi = 0; pi < p->blocks[bi].nprobes; pi++) {
			s->cp = &c->progs[c->nprogs++];
			err = probe_names(s, &p->blocks[bi].probes[pi]);
			if (err)
				return err;
			err = gen_prog(s, bi, pi);
			if (err)
				return err;
		}
	return 0;
}

struct bt_compiled *bt_gen(const struct bt_program *p, struct lib_error *err)
{
	struct btg s = {.p = p, .err = err};
	struct bt_compiled *c = calloc(1, sizeof(*c));
	int e;

	if (!c) {
		lib_error_set(err, ENOMEM, -1, "out of memory");
		return NULL;
	}
	c->prog = p;
	c->ringbuf = c->stacks = c->scratch = c->elapsed = c->lost = -1;
	s.c = c;
	e = user_maps(&s);
	if (!e)
		e = all_progs(&s);
	free(s.var_off);
	if (!e && c->scratch >= 0)
		c->maps[c->scratch].value_size =
			btg_align8(s.scr_max ? s.scr_max : 8);
	if (e) {
		if (!err->err)
			lib_error_set(err, -e, -1,
				      "cannot generate the program");
		bt_compiled_free(c);
		return NULL;
	}
	return c;
}

void bt_compiled_free(struct bt_compiled *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->nprogs; i++) {
		free(c->progs[i].insns);
		free(c->progs[i].lines);
		free(c->progs[i].relocs);
	}
	for (i = 0; i < c->nprobe_names; i++)
		free(c->probe_names[i]);
	free(c->probe_names);
	free(c->progs);
	free(c->maps);
	free(c);
}

void bt_gen_set_fds(struct bt_compiled *c)
{
	int i, j;

	for (i = 0; i < c->nprogs; i++)
		for (j = 0; j < c->progs[i].nrelocs; j++) {
			struct bt_cprog *cp = &c->progs[i];

			cp->insns[cp->relocs[j].insn].imm =
				c->maps[cp->relocs[j].cmap].fd;
		}
}
