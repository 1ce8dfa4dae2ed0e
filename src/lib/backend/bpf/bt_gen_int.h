/* SPDX-License-Identifier: MIT */
/*
 * The code generator of `sonde run` (bt_gen*.c): what its files share.
 * Register use in every program: r6 the context, r9 the scratch area
 * (strings, tuples, keys and messages are built there at offsets known
 * when the program is generated): the bottom of the stack where they fit,
 * else the scratch map's per-CPU value (a uprobe program can be preempted
 * by another task's on the same CPU, which would share that value), r0 an integer expression's value,
 * r7 a map value being updated; r1-r5 the helpers' arguments. The stack:
 * fp-8 a zero u32 key, then the spill slots, then the integer variables.
 */
#ifndef SONDE_BPF_BT_GEN_INT_H
#define SONDE_BPF_BT_GEN_INT_H

#include "../../lang/bt.h"
#include "bpf_insn.h"
#include "gen_int.h"

#define BTG_ZERO_KEY (-8)
#define BTG_SPILLS 16
#define BTG_SPILL0 (-16)
#define BTG_STACK 512
#define BTG_SCRATCH_MAX 16384
/* the ring buffer of the messages (printf, print, exit ...) */
#define BT_RING_SIZE (1 << 20)

struct btg {
	const struct bt_program *p;
	struct bt_compiled *c;
	struct lib_error *err;
	/* the program being generated */
	struct gen g;
	struct prog_buf buf;
	struct bt_cprog *cp;
	const struct bt_block *blk;
	const struct bt_probe *probe;
	int *lines;
	size_t lines_done, lines_cap;
	int line;
	int depth;	   /* spill slots in use */
	int *var_off;	   /* per variable: fp offset, or scratch offset */
	uint32_t scr_top;  /* scratch bytes in use */
	uint32_t scr_max;  /* over the programs that use the scratch map */
	uint32_t prog_scr; /* this program's */
	int stack_used;	   /* bytes of the stack below fp, variables' too */
	bool on_stack;	   /* r9 is fp - BTG_STACK: the scratch fits there */
	int out;	   /* the label that leaves the program */
	/* the probe's names in bt_compiled.probe_names: from name_base,
	 * name_count of them (one per site when they differ) */
	int name_base, name_count;
};

static inline uint32_t btg_align8(uint32_t n)
{
	return (n + 7) & ~7u;
}

/* bt_gen_util.c */
int btg_fail(struct btg *s, struct bt_loc loc, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error bpftrace gives too, in its form: "FILE:L:C1-C2: ERROR: msg"
 * and the caret lines under loc, as lang/ words its own */
int btg_fail_bt(struct btg *s, struct bt_loc loc, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool btg_is_mem(const struct bt_type *t);
uint32_t btg_tup_off(const struct bt_type *t, int i);
int btg_push(struct btg *s);
void btg_pop(struct btg *s);
/* bytes of scratch for a value; -1 (error set) when it is full */
int btg_scratch(struct btg *s, uint32_t size);
bool btg_user_probe(const struct btg *s);
/* bt_gen.c */
void btg_ld_map(struct btg *s, int reg, int cmap);
int btg_cmap_of(struct btg *s, int map);

/* bt_gen_expr.c: an integer expression into r0; 0 or -errno */
int btg_int(struct btg *s, const struct bt_node *n);
void btg_narrow(struct btg *s, int reg, const struct bt_type *t);
/* r1 = scratch + off */
void btg_scr_ptr(struct btg *s, int reg, int off);
void btg_zero(struct btg *s, int off, uint32_t size);
/* copy size bytes from src_reg + soff to scratch + doff (r1 clobbered) */
void btg_copy(struct btg *s, int doff, int src, int soff, uint32_t size);

/* bt_gen_usdt.c: r0 = a USDT probe's arg i, from its sites' notes;
 * r0 = the `probe` builtin's index */
int btg_usdt_arg(struct btg *s, const struct bt_node *n, int i);
int btg_probe_name(struct btg *s);
/* bt_gen_sym.c: r0 = uaddr("NAME")'s address; *size the bytes a
 * dereference reads (the symbol's size: 1, 2, 4, else 8) */
int btg_uaddr(struct btg *s, const struct bt_node *n, uint32_t *size);

/* bt_gen_mem.c: a value's bytes into scratch at off, as type want */
int btg_value(struct btg *s, const struct bt_node *n, int off,
	      const struct bt_type *want);
int btg_mem(struct btg *s, const struct bt_node *n, int off);
/* bt_gen_map.c: a map read: r0 = the value (int) or its bytes at off (mem) */
int btg_map_read(struct btg *s, const struct bt_node *n, int off);
int btg_map_key(struct btg *s, const struct bt_node *n, int *koff);
/* ++/--, compound assignment, =, aggregates */
int btg_assign(struct btg *s, const struct bt_node *n);
int btg_incdec(struct btg *s, const struct bt_node *n);
/* a call as a statement (printf, print, clear, delete, exit, ...) */
int btg_call_stmt(struct btg *s, const struct bt_node *n);
void btg_lost_add(struct btg *s);

#endif
