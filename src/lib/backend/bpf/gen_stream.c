/* SPDX-License-Identifier: MIT */
/*
 * The streaming program: the record a uprobe or kprobe event would write
 * into the tracefs ring (trace_uprobe.c __uprobe_trace_func(),
 * trace_kprobe.c __kprobe_trace_func(), store_trace_args() of
 * trace_probe_tmpl.h), built in a per-CPU scratch buffer (one of
 * STREAM_SLOTS, claimed for the run: bpf_int.h) and copied into the BPF
 * ring buffer with bpf_ringbuf_output(). The arguments are the probe's
 * fetch plan (args/fetch_plan.c), so the layout is the plan's: common
 * fields, __probe_ip (or __probe_func and __probe_ret_ip), each value at its offset, strings after the fixed part
 * behind a __data_loc word (length with the NUL << 16 | offset; length 0
 * when the read faults).
 *
 * A tracepoint's record is the kernel's own, copied from the context
 * (gen_tp.c).
 *
 * Registers: r6 the probed context (struct pt_regs), r7 the scratch
 * buffer, r8 the string cursor (bytes of the record so far), r9 the
 * current pid_tgid.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gen_int.h"
#include "bpf_insn.h"
#include "args/fetch_plan.h"

#define REC STREAM_HDR	 /* the record starts after struct stream_hdr */
#define FAULTS 16	 /* struct stream_hdr's faults */
#define TMP_OFF (-16)	 /* fp: a u64 read from user memory */
#define COMM_OFF (-32)	 /* fp: the comm, 16 bytes */
#define IDX_OFF (-36)	 /* fp: a u32 0, the scratch and lost index */
#define FOLLOW_OFF (-40) /* fp: the tgid looked up in the followed set */

/* perf register index (args/fetch_plan.h) -> struct pt_regs name */
static int reg_off(int perf_reg)
{
	if (perf_reg < 0 || perf_reg >= PR_NUM || !perf_reg_names[perf_reg])
		return -1;
	return gen_reg_offset(perf_reg_names[perf_reg]);
}

bool gen_stream_arg_ok(const struct fetch_arg *a)
{
	switch (a->base) {
	case FETCH_REG:
		return reg_off(a->reg) >= 0;
	case FETCH_STACK:
	case FETCH_STACKN:
	case FETCH_RETVAL:
	case FETCH_IMM:
		return true;
	case FETCH_COMM:
	case FETCH_IMMSTR:
		return a->is_string && !a->nderef;
	default:
		/* @+OFF needs the file's load address in the process */
		return false;
	}
}

/* Which helper reads memory: a uprobe's is the process's; a kprobe's
 * the kernel's unless the fetch says user (+uOFF, ustring), as
 * trace_probe.c picks FETCH_OP_UDEREF / FETCH_OP_ST_USTRING. FN_KERN: the
 * kernel's, or the process's for a user address (below). */
#define FN_KERN (-1)
#define FN_KERN_STR (-2)
static int read_fn(const struct gen_stream *gs, size_t i, int bit)
{
	if (!gs->kernel || (gs->umem && (gs->umem[i] & bit)))
		return bit == GS_USTR ? BPF_FUNC_probe_read_user_str
				      : BPF_FUNC_probe_read_user;
	return bit == GS_USTR ? FN_KERN_STR : FN_KERN;
}

/*
 * Call the read helper fn on (r1 dst, r2 len, r3 src). A kprobe's plain
 * deref or string of an address in the user half reads user memory, as
 * the kernel's own fetch does where address spaces do not overlap
 * (trace_kprobe.c probe_mem_read(), trace_probe_kernel.h
 * fetch_store_string(): addr < TASK_SIZE); on x86-64 that half is the
 * addresses with the top bit clear.
 */
static void call_read(struct gen *g, int fn)
{
	int user = gen_label_new(g), done = gen_label_new(g);

	if (fn >= 0) {
		EMIT(g, CALL(fn));
		return;
	}
	gen_jump(g, JMP_IMM(BPF_JSGE, R3, 0, 0), user);
	EMIT(g, CALL(fn == FN_KERN ? BPF_FUNC_probe_read_kernel
				   : BPF_FUNC_probe_read_kernel_str));
	gen_jump(g, JA(0), done);
	gen_label_here(g, user);
	EMIT(g, CALL(fn == FN_KERN ? BPF_FUNC_probe_read_user
				   : BPF_FUNC_probe_read_user_str));
	gen_label_here(g, done);
}

/* r0 = the 8 bytes at address r3, or jump to fail (TMP zeroed). */
static void read_u64(struct gen *g, int fail, int fn)
{
	EMIT(g, MOV_REG(R1, FP), ALU_IMM(BPF_ADD, R1, TMP_OFF), MOV_IMM(R2, 8));
	call_read(g, fn);
	gen_jump(g, JMP_IMM(BPF_JNE, R0, 0, 0), fail);
	EMIT(g, LDX(BPF_DW, R0, FP, TMP_OFF));
}

/* r0 = the value the fetch names before its last dereference offset is
 * added (the address a string, an array or a value is read from). */
static void fetch_base(struct gen *g, const struct gen_stream *gs,
		       const struct fetch_arg *a, int fail, int fn)
{
	int i;

	switch (a->base) {
	case FETCH_REG:
		EMIT(g, LDX(BPF_DW, R0, R6, reg_off(a->reg)));
		break;
	case FETCH_STACK:
		EMIT(g, LDX(BPF_DW, R0, R6, gen_reg_offset("sp")));
		break;
	case FETCH_RETVAL:
		EMIT(g, LDX(BPF_DW, R0, R6, gen_reg_offset("ax")));
		break;
	case FETCH_IMM:
		EMIT(g, LD_IMM64(R0, a->imm));
		break;
	case FETCH_STACKN:
		EMIT(g, LDX(BPF_DW, R3, R6, gen_reg_offset("sp")),
		     LD_IMM64(R1, 8 * a->imm), ALU_REG(BPF_ADD, R3, R1));
		/* the stack of the probed context: the kernel's for kprobes */
		read_u64(g, fail,
			 gs->kernel ? BPF_FUNC_probe_read_kernel
				    : BPF_FUNC_probe_read_user);
		break;
	default:
		break;
	}
	for (i = 0; i + 1 < a->nderef; i++) {
		EMIT(g, MOV_REG(R3, R0), LD_IMM64(R1, a->deref[i]),
		     ALU_REG(BPF_ADD, R3, R1));
		read_u64(g, fail, fn);
	}
	if (a->nderef)
		EMIT(g, LD_IMM64(R1, a->deref[a->nderef - 1]),
		     ALU_REG(BPF_ADD, R0, R1));
}

static int bpf_size(unsigned int bytes)
{
	return bytes == 1   ? BPF_B
	       : bytes == 2 ? BPF_H
	       : bytes == 4 ? BPF_W
			    : BPF_DW;
}

/* n bytes of the record at off = 0 */
static void zero(struct gen *g, unsigned int off, unsigned int n)
{
	while (n >= 8) {
		EMIT(g, ST_IMM(BPF_DW, R7, REC + off, 0));
		off += 8;
		n -= 8;
	}
	while (n--)
		EMIT(g, ST_IMM(BPF_B, R7, REC + off++, 0));
}

/* trace_probe_tmpl.h fetch_apply_bitfield(), on r0 */
static void bitfield(struct gen *g, const struct fetch_arg *a)
{
	if (!a->bf_width)
		return;
	EMIT(g, ALU_IMM(BPF_RSH, R0, a->bf_off));
	if (a->bf_width < 64)
		EMIT(g, LD_IMM64(R1, (1ULL << a->bf_width) - 1),
		     ALU_REG(BPF_AND, R0, R1));
}

/* Mark arg i as not read in the header (r1, r2 clobbered). */
static void mark_fault(struct gen *g, size_t i)
{
	if (i >= 64)
		return;
	EMIT(g, LDX(BPF_DW, R1, R7, FAULTS));
	if (i < 31)
		EMIT(g, ALU_IMM(BPF_OR, R1, 1 << i));
	else
		EMIT(g, LD_IMM64(R2, 1ULL << i), ALU_REG(BPF_OR, R1, R2));
	EMIT(g, STX(BPF_DW, R7, R1, FAULTS));
}

static void value_arg(struct gen *g, const struct gen_stream *gs, size_t i)
{
	const struct fetch_arg *a = &gs->args[i];
	unsigned int n = a->elem * a->count;
	int fail = gen_label_new(g), done = gen_label_new(g);
	int fn = read_fn(gs, i, GS_UDEREF);

	fetch_base(g, gs, a, fail, fn);
	if (!a->nderef) {
		bitfield(g, a);
		EMIT(g, STX(bpf_size(a->elem), R7, R0, REC + a->offset));
		if (n > a->elem)
			zero(g, a->offset + a->elem, n - a->elem);
		gen_jump(g, JA(0), done);
	} else {
		/* bpf_probe_read_*() zero dst when the read faults: the
		 * header says which */
		int read = gen_label_new(g);

		EMIT(g, MOV_REG(R3, R0), MOV_REG(R1, R7),
		     ALU_IMM(BPF_ADD, R1, REC + a->offset), MOV_IMM(R2, n));
		call_read(g, fn);
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), read);
		mark_fault(g, i);
		gen_label_here(g, read);
		if (a->bf_width) {
			EMIT(g,
			     LDX(bpf_size(a->elem), R0, R7, REC + a->offset));
			bitfield(g, a);
			EMIT(g,
			     STX(bpf_size(a->elem), R7, R0, REC + a->offset));
		}
		gen_jump(g, JA(0), done);
	}
	/* the verifier refuses code no path reaches */
	if (a->base == FETCH_STACKN || a->nderef > 1) {
		gen_label_here(g, fail);
		zero(g, a->offset, n);
		mark_fault(g, i);
	}
	gen_label_here(g, done);
}

/* r1 = where the string goes (r7 + REC + cursor), or jump to full */
static void str_dst(struct gen *g, int full)
{
	gen_jump(g, JMP_IMM(BPF_JGT, R8, STREAM_CUR_MASK, 0), full);
	EMIT(g, MOV_REG(R2, R8), ALU_IMM(BPF_AND, R2, STREAM_CUR_MASK),
	     MOV_REG(R1, R7), ALU_IMM(BPF_ADD, R1, REC),
	     ALU_REG(BPF_ADD, R1, R2));
}

static void string_arg(struct gen *g, const struct gen_stream *gs, size_t ai)
{
	const struct fetch_arg *a = &gs->args[ai];
	int fail = gen_label_new(g), have = gen_label_new(g);
	size_t len, i;

	switch (a->base) {
	case FETCH_COMM:
		/* the comm onto the stack, then copied with its length */
		EMIT(g, MOV_REG(R1, FP), ALU_IMM(BPF_ADD, R1, COMM_OFF),
		     MOV_IMM(R2, 16), CALL(BPF_FUNC_get_current_comm));
		str_dst(g, fail);
		EMIT(g, MOV_IMM(R2, 16), MOV_REG(R3, FP),
		     ALU_IMM(BPF_ADD, R3, COMM_OFF),
		     CALL(BPF_FUNC_probe_read_kernel_str));
		break;
	case FETCH_IMMSTR:
		len = strlen(a->str);
		if (len > 255)
			len = 255;
		str_dst(g, fail);
		for (i = 0; i <= len; i++)
			EMIT(g, ST_IMM(BPF_B, R1, (int)i,
				       i < len ? (unsigned char)a->str[i] : 0));
		EMIT(g, MOV_IMM(R0, (int)len + 1));
		break;
	default:
		fetch_base(g, gs, a, fail, read_fn(gs, ai, GS_UDEREF));
		EMIT(g, MOV_REG(R3, R0));
		str_dst(g, fail);
		EMIT(g, MOV_IMM(R2, STREAM_STR_MAX));
		call_read(g, read_fn(gs, ai, GS_USTR));
		break;
	}
	gen_jump(g, JMP_IMM(BPF_JSGT, R0, 0, 0), have);
	gen_label_here(g, fail);
	EMIT(g, MOV_IMM(R0, 0));
	gen_label_here(g, have);
	/* __data_loc: length << 16 | offset */
	EMIT(g, ALU_IMM(BPF_AND, R0, 0xffff), MOV_REG(R1, R0),
	     ALU_IMM(BPF_LSH, R1, 16), ALU_REG(BPF_OR, R1, R8),
	     STX(BPF_W, R7, R1, REC + a->offset), ALU_REG(BPF_ADD, R8, R0));
}

/*
 * r7 = a scratch buffer of this CPU no other run of a program is building
 * in, marked busy (ours until the store of 0 at the end), or jump to full
 * when all STREAM_SLOTS are taken: runs preempted on this CPU hold them.
 */
static void claim_slot(struct gen *g, const struct gen_stream *gs, int full,
		       int out)
{
	int have = gen_label_new(g);
	int i;

	for (i = 0; i < STREAM_SLOTS; i++) {
		int next = gen_label_new(g);

		EMIT(g, ST_IMM(BPF_W, FP, IDX_OFF, i),
		     LD_MAP_FD(R1, gs->scratch_fd), MOV_REG(R2, FP),
		     ALU_IMM(BPF_ADD, R2, IDX_OFF),
		     CALL(BPF_FUNC_map_lookup_elem));
		gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
		EMIT(g, MOV_IMM(R1, 1), ATOMIC_FETCH_OR(R0, R1, STREAM_BUSY));
		gen_jump(g, JMP_IMM(BPF_JNE, R1, 0, 0), next);
		EMIT(g, MOV_REG(R7, R0));
		gen_jump(g, JA(0), have);
		gen_label_here(g, next);
	}
	gen_jump(g, JA(0), full);
	gen_label_here(g, have);
}

int gen_stream_prog(struct prog_buf *b, const struct gen_stream *gs)
{
	struct gen g = {.b = b};
	int out = gen_label_new(&g), full = gen_label_new(&g);
	int release = gen_label_new(&g), lost = gen_label_new(&g);
	int ip = gen_reg_offset("ip");
	size_t i;

	if (gs->fixed + REC > STREAM_CUR_MASK)
		return -E2BIG;
	EMIT(&g, MOV_REG(R6, R1));
	if (gs->by_cgroup)
		gen_under_cgroup(&g, gs->cgroup_fd, out);
	EMIT(&g, CALL(BPF_FUNC_get_current_pid_tgid), MOV_REG(R9, R0),
	     MOV_REG(R1, R0), ALU_IMM(BPF_RSH, R1, 32));
	if (gs->only_tgid > 0)
		gen_jump(&g, JMP_IMM(BPF_JNE, R1, gs->only_tgid, 0), out);
	if (gs->skip_tgid > 0)
		gen_jump(&g, JMP_IMM(BPF_JEQ, R1, gs->skip_tgid, 0), out);
	if (gs->follow_fd >= 0)
		gen_followed(&g, gs->follow_fd, R1, FOLLOW_OFF, out);
	claim_slot(&g, gs, full, out);
	/* struct stream_hdr, then the common fields: common_type is the
	 * probe's format id (index + 1), common_pid the thread */
	EMIT(&g, ST_IMM(BPF_DW, R7, FAULTS, 0));
	/* the comm now: the task may be gone (or its pid another's) by the
	 * time the record is read */
	EMIT(&g, MOV_REG(R1, R7), ALU_IMM(BPF_ADD, R1, STREAM_COMM),
	     MOV_IMM(R2, 16), CALL(BPF_FUNC_get_current_comm));
	EMIT(&g, MOV_REG(R1, R9), ALU_IMM(BPF_RSH, R1, 32),
	     STX(BPF_W, R7, R1, STREAM_TGID));
	EMIT(&g, CALL(BPF_FUNC_ktime_get_ns), STX(BPF_DW, R7, R0, 0),
	     CALL(BPF_FUNC_get_smp_processor_id), STX(BPF_W, R7, R0, 12),
	     MOV_REG(R1, R6), CALL(BPF_FUNC_get_attach_cookie),
	     STX(BPF_W, R7, R0, 8));
	if (gs->tracepoint) {
		gen_tp_record(&g, gs, lost);
		goto send;
	}
	EMIT(&g, ALU_IMM(BPF_ADD, R0, 1), STX(BPF_H, R7, R0, REC + 0),
	     ST_IMM(BPF_H, R7, REC + 2, 0), STX(BPF_W, R7, R9, REC + 4),
	     LDX(BPF_DW, R0, R6, ip));
	/* entry: where the probe is; return: ip is the return address */
	if (gs->ip_bias && !gs->retprobe)
		EMIT(&g, ALU_IMM(BPF_SUB, R0, gs->ip_bias));
	if (gs->func_ip && !gs->retprobe)
		EMIT(&g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_func_ip));
	if (gs->retprobe) /* __probe_func: filled in by the reader */
		EMIT(&g, ST_IMM(BPF_DW, R7, REC + 8, 0),
		     STX(BPF_DW, R7, R0, REC + 16));
	else
		EMIT(&g, STX(BPF_DW, R7, R0, REC + 8));
	EMIT(&g, MOV_IMM(R8, gs->fixed));
	for (i = 0; i < gs->nargs; i++) {
		if (gs->args[i].is_string)
			string_arg(&g, gs, i);
		else
			value_arg(&g, gs, i);
	}
send:
	EMIT(&g, MOV_REG(R3, R8), ALU_IMM(BPF_ADD, R3, REC));
	gen_jump(&g, JMP_IMM(BPF_JGT, R3, STREAM_BUF, 0), release);
	EMIT(&g, LD_MAP_FD(R1, gs->ring_fd), MOV_REG(R2, R7), MOV_IMM(R4, 0),
	     CALL(BPF_FUNC_ringbuf_output));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), release);
	/* the ring is full: count the record lost */
	gen_label_here(&g, lost);
	EMIT(&g, ST_IMM(BPF_DW, R7, STREAM_BUSY, 0));
	gen_label_here(&g, full);
	EMIT(&g, ST_IMM(BPF_W, FP, IDX_OFF, 0), LD_MAP_FD(R1, gs->lost_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, IDX_OFF),
	     CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
	EMIT(&g, MOV_IMM(R1, 1), ATOMIC_ADD(R0, R1, 0));
	gen_jump(&g, JA(0), out);
	gen_label_here(&g, release);
	EMIT(&g, ST_IMM(BPF_DW, R7, STREAM_BUSY, 0));
	gen_label_here(&g, out);
	EMIT(&g, MOV_IMM(R0, gs->tracepoint ? TP_PASS : 0), EXIT());
	return gen_finish(&g);
}
