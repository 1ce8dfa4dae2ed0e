/* SPDX-License-Identifier: MIT */
/*
 * BPF programs built from a few templates, instruction by instruction (no
 * compiler at build or run time). All run as BPF_PROG_TYPE_KPROBE on a
 * struct pt_regs, or BPF_PROG_TYPE_TRACEPOINT on a tracepoint's record
 * (GS_CTX fields); the probe is told apart by its BPF cookie (the probe's
 * index in the session, set per probe in the link).
 *
 * A key or value read through a pointer (bpf_probe_read_user()) that
 * faults leaves the hit out of the table and counts it in stats
 * AST_FAULTS.
 *
 * Counts and histograms: one PERCPU_HASH, key = u64 slots
 * [cookie][key values...][bucket], value = struct agg_val {count, sum,
 * min_ord, max_ord} of the values that fell there. count and sum are added
 * atomically (uprobe programs run preemptible, under migrate_disable() only,
 * so two tasks may interleave on one CPU); min and max are raised by
 * compare-and-exchange (atomic_umax()), in orders where a zeroed value is
 * the identity (bpf_int.h: the other CPUs' slots of a new key are zeroed,
 * not given the inserted value).
 * Buckets are those of agg.c: log2 0 = negative, 1 = zero, 2 + ilog2(v);
 * linear 0 = below min, 1 + (v - min) / step, the last = at or above max.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_int.h"
#include "gen_int.h"
#include "bpf_insn.h"

/* stack frame (fp-relative): key slots, a zeroed value, latency scratch */
#define KEY_OFF (-128)
#define VAL_OFF (-160)
#define DKEY_OFF (-8)	/* latency: (tid << 32 | cookie) */
#define TSKEY_OFF (-24) /* latency: {dkey, depth} */
#define TSVAL_OFF (-32)
#define ZERO_OFF (-40)	  /* a u32 0 (stats index) or u64 0 (depth init) */
#define READ_OFF (-168)	  /* what bpf_probe_read_user() reads */
#define FOLLOW_OFF (-176) /* the tgid looked up in the followed set */
#define MAX_SLOTS 12

/* x86-64 struct pt_regs (arch/x86/include/asm/ptrace.h), in order */
static const char *const x86_regs[] = {
	"r15", "r14",	  "r13", "r12", "bp",	 "bx", "r11",
	"r10", "r9",	  "r8",	 "ax",	"cx",	 "dx", "si",
	"di",  "orig_ax", "ip",	 "cs",	"flags", "sp", "ss",
};

int gen_reg_offset(const char *name)
{
	size_t i;

	if (name[0] == 'e' || (name[0] == 'r' && strlen(name) == 3 &&
			       name[1] >= 'a' && name[1] <= 'z'))
		name++; /* rdi, edi -> di */
	for (i = 0; i < sizeof(x86_regs) / sizeof(x86_regs[0]); i++)
		if (!strcmp(name, x86_regs[i]))
			return (int)(i * 8);
	return -1;
}

int gen_key_slots(const struct gen_agg *a)
{
	int i, n = 1;

	for (i = 0; i < a->nkeys; i++)
		n += a->keys[i].src == GS_COMM ? 2 : 1;
	return n + (a->hist != GH_NONE);
}

/* dst = a register of the probed context (r6), narrowed to its type; or
 * a tracepoint's field, read from its record (the context) at its size */
static void load_reg(struct gen *g, int dst, const struct gsrc_spec *s)
{
	int shift = 64 - 8 * s->size;

	if (s->src == GS_CTX) {
		EMIT(g, LDX(s->size == 1   ? BPF_B
			    : s->size == 2 ? BPF_H
			    : s->size == 4 ? BPF_W
					   : BPF_DW,
			    dst, R6, s->regoff));
		if (s->is_signed && shift > 0 && shift < 64)
			EMIT(g, ALU_IMM(BPF_LSH, dst, shift),
			     ALU_IMM(BPF_ARSH, dst, shift));
		return;
	}
	EMIT(g, LDX(BPF_DW, dst, R6, s->regoff));
	if (shift > 0 && shift < 64)
		EMIT(g, ALU_IMM(BPF_LSH, dst, shift),
		     ALU_IMM(s->is_signed ? BPF_ARSH : BPF_RSH, dst, shift));
}

/* dst = the register, or what it points to (through s->nderef pointers,
 * read with bpf_probe_read_user()); a read that fails jumps to fault, so
 * a value that was not read is never a 0 in the table. Clobbers r0-r5. */
static void load_src(struct gen *g, int dst, const struct gsrc_spec *s,
		     int fault)
{
	int shift = 64 - 8 * s->size, i;

	if (!s->nderef) {
		load_reg(g, dst, s);
		return;
	}
	EMIT(g, LDX(BPF_DW, R3, R6, s->regoff));
	for (i = 0; i < s->nderef; i++) {
		EMIT(g, LD_IMM64(R1, s->deref[i]), ALU_REG(BPF_ADD, R3, R1),
		     ST_IMM(BPF_DW, FP, READ_OFF, 0), MOV_REG(R1, FP),
		     ALU_IMM(BPF_ADD, R1, READ_OFF),
		     MOV_IMM(R2, i + 1 == s->nderef ? s->size : 8),
		     CALL(BPF_FUNC_probe_read_user));
		gen_jump(g, JMP_IMM(BPF_JNE, R0, 0, 0), fault);
		/* little-endian: size bytes into a zeroed u64 */
		EMIT(g, LDX(BPF_DW, R3, FP, READ_OFF));
	}
	if (s->is_signed && shift > 0 && shift < 64)
		EMIT(g, ALU_IMM(BPF_LSH, R3, shift),
		     ALU_IMM(BPF_ARSH, R3, shift));
	EMIT(g, MOV_REG(dst, R3));
}

/* Fill the key slots (after slot 0, the cookie). Clobbers r0-r5. */
static int store_keys(struct gen *g, const struct gen_agg *a, int fault)
{
	int i, off = KEY_OFF + 8;

	for (i = 0; i < a->nkeys; i++) {
		const struct gsrc_spec *k = &a->keys[i];

		switch (k->src) {
		case GS_PID:
		case GS_TID:
			EMIT(g, CALL(BPF_FUNC_get_current_pid_tgid));
			if (k->src == GS_PID)
				EMIT(g, ALU_IMM(BPF_RSH, R0, 32));
			else
				EMIT(g, ALU_IMM(BPF_LSH, R0, 32),
				     ALU_IMM(BPF_RSH, R0, 32));
			break;
		case GS_CPU:
			EMIT(g, CALL(BPF_FUNC_get_smp_processor_id));
			break;
		case GS_COMM:
			EMIT(g, ST_IMM(BPF_DW, FP, off, 0),
			     ST_IMM(BPF_DW, FP, off + 8, 0), MOV_REG(R1, FP),
			     ALU_IMM(BPF_ADD, R1, off), MOV_IMM(R2, 16),
			     CALL(BPF_FUNC_get_current_comm));
			off += 16;
			continue;
		case GS_REG:
		case GS_CTX:
			load_src(g, R0, k, fault);
			break;
		default:
			return -EINVAL;
		}
		EMIT(g, STX(BPF_DW, FP, R0, off));
		off += 8;
	}
	return 0;
}

/* r0 = the bucket of the value in r7 (r1, r2 clobbered) */
static void bucket_log2(struct gen *g)
{
	int done = gen_label_new(g);
	int shift;

	EMIT(g, MOV_IMM(R0, 0));
	gen_jump(g, JMP_IMM(BPF_JSLT, R7, 0, 0), done);
	EMIT(g, MOV_IMM(R0, 1));
	gen_jump(g, JMP_IMM(BPF_JEQ, R7, 0, 0), done);
	/* r0 = 2 + ilog2(r7), by halving the width searched */
	EMIT(g, MOV_IMM(R0, 2), MOV_REG(R1, R7));
	for (shift = 32; shift; shift /= 2) {
		int skip = gen_label_new(g);

		EMIT(g, LD_IMM64(R2, (1ULL << shift) - 1));
		gen_jump(g, JMP_REG(BPF_JLE, R1, R2, 0), skip);
		EMIT(g, ALU_IMM(BPF_RSH, R1, shift),
		     ALU_IMM(BPF_ADD, R0, shift));
		gen_label_here(g, skip);
	}
	gen_label_here(g, done);
}

static void bucket_linear(struct gen *g, const struct gen_agg *a)
{
	int done = gen_label_new(g);
	int64_t top = a->min + (int64_t)(a->nbuckets - 2) * a->step;

	EMIT(g, MOV_IMM(R0, 0), LD_IMM64(R1, a->min));
	gen_jump(g, JMP_REG(BPF_JSLT, R7, R1, 0), done);
	EMIT(g, MOV_IMM(R0, a->nbuckets - 1), LD_IMM64(R2, top));
	gen_jump(g, JMP_REG(BPF_JSGE, R7, R2, 0), done);
	/* 0 <= v - min < span: unsigned division is right */
	EMIT(g, MOV_REG(R0, R7), ALU_REG(BPF_SUB, R0, R1),
	     LD_IMM64(R2, a->step), ALU_REG(BPF_DIV, R0, R2),
	     ALU_IMM(BPF_ADD, R0, 1));
	gen_label_here(g, done);
}

/* stats[idx] += 1 */
static void bump_stat(struct gen *g, const struct gen_agg *a, int idx)
{
	int out = gen_label_new(g);

	EMIT(g, ST_IMM(BPF_W, FP, ZERO_OFF, idx), LD_MAP_FD(R1, a->stats_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, ZERO_OFF),
	     CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
	EMIT(g, MOV_IMM(R1, 1), ATOMIC_ADD(R0, R1, 0));
	gen_label_here(g, out);
}

/* leave (to out) unless the current process is a->only_tgid (or, with
 * a->skip_tgid, when it is that one) */
static void only_tgid(struct gen *g, const struct gen_agg *a, int out)
{
	if (a->by_cgroup)
		gen_under_cgroup(g, a->cgroup_fd, out);
	if (a->follow_fd >= 0) {
		EMIT(g, CALL(BPF_FUNC_get_current_pid_tgid),
		     ALU_IMM(BPF_RSH, R0, 32));
		gen_followed(g, a->follow_fd, R0, FOLLOW_OFF, out);
		return;
	}
	if (a->skip_tgid > 0) {
		EMIT(g, CALL(BPF_FUNC_get_current_pid_tgid),
		     ALU_IMM(BPF_RSH, R0, 32));
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, a->skip_tgid, 0), out);
	}
	if (a->only_tgid <= 0)
		return;
	EMIT(g, CALL(BPF_FUNC_get_current_pid_tgid), ALU_IMM(BPF_RSH, R0, 32));
	gen_jump(g, JMP_IMM(BPF_JNE, R0, a->only_tgid, 0), out);
}

/* dkey at DKEY_OFF = tid << 32 | cookie, then r8 = &depth (or exit) */
static void depth_lookup(struct gen *g, const struct gen_agg *a, int none)
{
	EMIT(g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_attach_cookie),
	     MOV_REG(R8, R0), CALL(BPF_FUNC_get_current_pid_tgid),
	     ALU_IMM(BPF_LSH, R0, 32), ALU_REG(BPF_OR, R0, R8),
	     STX(BPF_DW, FP, R0, DKEY_OFF), STX(BPF_DW, FP, R0, TSKEY_OFF),
	     LD_MAP_FD(R1, a->depth_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, DKEY_OFF), CALL(BPF_FUNC_map_lookup_elem),
	     MOV_REG(R8, R0));
	if (none >= 0)
		gen_jump(g, JMP_IMM(BPF_JEQ, R8, 0, 0), none);
}

/*
 * Latency's entry: depth[tid,cookie] += 1; ts[tid,cookie,depth] = now.
 * Per-thread nesting, so a recursive function pairs each return with its
 * own entry (as latency.c's user-space pairing does). An entry that finds
 * either map full is counted in AST_DROPPED (its return then finds no
 * entry and is counted as an orphan too).
 */
int gen_lat_entry_prog(struct prog_buf *b, const struct gen_agg *a)
{
	struct gen g = {.b = b};
	int have = gen_label_new(&g), out = gen_label_new(&g);
	int drop = gen_label_new(&g);

	EMIT(&g, MOV_REG(R6, R1));
	only_tgid(&g, a, out);
	depth_lookup(&g, a, -1);
	gen_jump(&g, JMP_IMM(BPF_JNE, R8, 0, 0), have);
	EMIT(&g, ST_IMM(BPF_DW, FP, ZERO_OFF, 0), LD_MAP_FD(R1, a->depth_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, DKEY_OFF), MOV_REG(R3, FP),
	     ALU_IMM(BPF_ADD, R3, ZERO_OFF), MOV_IMM(R4, BPF_NOEXIST),
	     CALL(BPF_FUNC_map_update_elem), LD_MAP_FD(R1, a->depth_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, DKEY_OFF),
	     CALL(BPF_FUNC_map_lookup_elem), MOV_REG(R8, R0));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R8, 0, 0), drop);
	gen_label_here(&g, have);
	EMIT(&g, LDX(BPF_DW, R1, R8, 0), ALU_IMM(BPF_ADD, R1, 1),
	     STX(BPF_DW, R8, R1, 0), STX(BPF_DW, FP, R1, TSKEY_OFF + 8),
	     CALL(BPF_FUNC_ktime_get_ns), STX(BPF_DW, FP, R0, TSVAL_OFF),
	     LD_MAP_FD(R1, a->ts_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, TSKEY_OFF), MOV_REG(R3, FP),
	     ALU_IMM(BPF_ADD, R3, TSVAL_OFF), MOV_IMM(R4, BPF_ANY),
	     CALL(BPF_FUNC_map_update_elem));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
	/* no room for the time: the entry is undone (depth back) */
	EMIT(&g, LDX(BPF_DW, R1, R8, 0), ALU_IMM(BPF_SUB, R1, 1),
	     STX(BPF_DW, R8, R1, 0));
	gen_label_here(&g, drop);
	bump_stat(&g, a, AST_DROPPED);
	gen_label_here(&g, out);
	EMIT(&g, MOV_IMM(R0, a->tracepoint ? TP_PASS : 0), EXIT());
	return gen_finish(&g);
}

/* Latency's return: r7 = now - ts[tid,cookie,depth]; pop; a depth back
 * at 0 is deleted, so only threads inside the function hold entries. */
static void lat_return(struct gen *g, const struct gen_agg *a, int orphan)
{
	int nested = gen_label_new(g);

	EMIT(g, CALL(BPF_FUNC_ktime_get_ns), MOV_REG(R9, R0));
	depth_lookup(g, a, orphan);
	EMIT(g, LDX(BPF_DW, R1, R8, 0));
	gen_jump(g, JMP_IMM(BPF_JEQ, R1, 0, 0), orphan);
	EMIT(g, STX(BPF_DW, FP, R1, TSKEY_OFF + 8), ALU_IMM(BPF_SUB, R1, 1),
	     STX(BPF_DW, R8, R1, 0), LD_MAP_FD(R1, a->ts_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, TSKEY_OFF), CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), orphan);
	EMIT(g, LDX(BPF_DW, R7, R0, 0), MOV_REG(R0, R9),
	     ALU_REG(BPF_SUB, R0, R7), MOV_REG(R7, R0), LD_MAP_FD(R1, a->ts_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, TSKEY_OFF),
	     CALL(BPF_FUNC_map_delete_elem), LDX(BPF_DW, R1, R8, 0));
	gen_jump(g, JMP_IMM(BPF_JNE, R1, 0, 0), nested);
	EMIT(g, LD_MAP_FD(R1, a->depth_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, DKEY_OFF), CALL(BPF_FUNC_map_delete_elem));
	gen_label_here(g, nested);
}

/*
 * *(u64 *)(r9 + off) = max(itself, r2), unsigned, by compare-and-exchange:
 * another run of the program on this CPU may store there between the
 * load and the store. After CAS_TRIES such stores in a row the hit goes to
 * drop (counted, never a wrong min or max).
 */
#define CAS_TRIES 8
static void atomic_umax(struct gen *g, int off, int drop)
{
	int done = gen_label_new(g), i;

	EMIT(g, LDX(BPF_DW, R0, R9, off));
	for (i = 0; i < CAS_TRIES; i++) {
		gen_jump(g, JMP_REG(BPF_JLE, R2, R0, 0), done);
		EMIT(g, MOV_REG(R1, R0), ATOMIC_CMPXCHG(R9, R2, off));
		gen_jump(g, JMP_REG(BPF_JEQ, R0, R1, 0), done);
	}
	gen_jump(g, JA(0), drop);
	gen_label_here(g, done);
}

static bool reads_memory(const struct gen_agg *a)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		if (a->keys[i].src == GS_REG && a->keys[i].nderef)
			return true;
	return a->value.src == GS_REG && a->value.nderef;
}

int gen_agg_prog(struct prog_buf *b, const struct gen_agg *a)
{
	struct gen g = {.b = b};
	int found = gen_label_new(&g), drop = gen_label_new(&g),
	    out = gen_label_new(&g);
	int orphan = gen_label_new(&g), fault = gen_label_new(&g);
	int slots = gen_key_slots(a), err;

	if (slots > MAX_SLOTS || a->nkeys > GEN_MAX_KEYS)
		return -E2BIG;
	if (a->hist == GH_LINEAR && (a->step <= 0 || a->nbuckets < 3))
		return -EINVAL;
	EMIT(&g, MOV_REG(R6, R1), MOV_IMM(R7, 0));
	only_tgid(&g, a, out);
	if (a->value.src == GS_LATENCY)
		lat_return(&g, a, orphan);
	else if (a->value.src == GS_REG || a->value.src == GS_CTX)
		load_src(&g, R7, &a->value, fault);
	EMIT(&g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_attach_cookie),
	     STX(BPF_DW, FP, R0, KEY_OFF));
	err = store_keys(&g, a, fault);
	if (err)
		return err;
	if (a->hist == GH_LOG2)
		bucket_log2(&g);
	else if (a->hist == GH_LINEAR)
		bucket_linear(&g, a);
	if (a->hist != GH_NONE)
		EMIT(&g, STX(BPF_DW, FP, R0, KEY_OFF + 8 * (slots - 1)));

	EMIT(&g, LD_MAP_FD(R1, a->counts_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, KEY_OFF), CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(&g, JMP_IMM(BPF_JNE, R0, 0, 0), found);
	/* first hit of this key: insert zeroes (on every CPU) */
	EMIT(&g, ST_IMM(BPF_DW, FP, VAL_OFF, 0),
	     ST_IMM(BPF_DW, FP, VAL_OFF + 8, 0),
	     ST_IMM(BPF_DW, FP, VAL_OFF + 16, 0),
	     ST_IMM(BPF_DW, FP, VAL_OFF + 24, 0), LD_MAP_FD(R1, a->counts_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, KEY_OFF), MOV_REG(R3, FP),
	     ALU_IMM(BPF_ADD, R3, VAL_OFF), MOV_IMM(R4, BPF_NOEXIST),
	     CALL(BPF_FUNC_map_update_elem), LD_MAP_FD(R1, a->counts_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, KEY_OFF),
	     CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), drop);
	gen_label_here(&g, found);
	if (a->value.src != GS_NONE) {
		/* min_ord = max(min_ord, INT64_MAX - v), unsigned */
		EMIT(&g, MOV_REG(R9, R0), LD_IMM64(R2, INT64_MAX),
		     ALU_REG(BPF_SUB, R2, R7));
		atomic_umax(&g, 16, drop);
		/* max_ord = max(max_ord, v ^ sign bit), unsigned */
		EMIT(&g, LD_IMM64(R2, AGG_SIGN_BIT), ALU_REG(BPF_XOR, R2, R7));
		atomic_umax(&g, 24, drop);
		EMIT(&g, MOV_REG(R0, R9), ATOMIC_ADD(R0, R7, 8));
	}
	EMIT(&g, MOV_IMM(R1, 1), ATOMIC_ADD(R0, R1, 0));
	gen_jump(&g, JA(0), out);
	gen_label_here(&g, drop);
	bump_stat(&g, a, AST_DROPPED);
	gen_jump(&g, JA(0), out);
	if (reads_memory(a)) { /* else nothing jumps there */
		gen_label_here(&g, fault);
		bump_stat(&g, a, AST_FAULTS);
		gen_jump(&g, JA(0), out);
	}
	gen_label_here(&g, orphan);
	if (a->value.src == GS_LATENCY)
		bump_stat(&g, a, AST_ORPHANS);
	gen_label_here(&g, out);
	EMIT(&g, MOV_IMM(R0, a->tracepoint ? TP_PASS : 0), EXIT());
	return gen_finish(&g);
}
