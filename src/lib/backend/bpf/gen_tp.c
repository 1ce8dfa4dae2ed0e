/* SPDX-License-Identifier: MIT */
/*
 * A tracepoint's record in the streaming program (gen_stream.c). A
 * BPF_PROG_TYPE_TRACEPOINT program's context is the record the event
 * writes (include/trace/perf.h perf_trace_##call), laid out as its format
 * file says, so the record sent is that record: the same bytes the
 * tracefs and perf backends read, decoded by the same event format. Two
 * things differ from a plain copy:
 * - the first 8 bytes, the common fields, hold the struct pt_regs pointer
 *   by the time the program runs (kernel/trace/trace_event_perf.c
 *   perf_trace_run_bpf_submit()), and the verifier refuses reads there
 *   (kernel/trace/bpf_trace.c tp_prog_is_valid_access()): common_type is
 *   the event's id, common_flags and common_preempt_count 0, common_pid
 *   the thread;
 * - the program cannot know the record's length, so the fixed part is
 *   copied and each __data_loc / __rel_loc field's bytes after it, at the
 *   string cursor, with its word rewritten to where they now are (as the
 *   uprobe records lay out their strings).
 */
#include "gen_int.h"
#include "bpf_insn.h"

#define REC STREAM_HDR
#define FAULTS 16 /* struct stream_hdr's faults */

/* Set fault bit i of the header (r1, r2 clobbered). */
static void mark_fault(struct gen *g, int i)
{
	if (i < 0 || i >= 64)
		return;
	EMIT(g, LDX(BPF_DW, R1, R7, FAULTS));
	if (i < 31)
		EMIT(g, ALU_IMM(BPF_OR, R1, 1 << i));
	else
		EMIT(g, LD_IMM64(R2, 1ULL << i), ALU_REG(BPF_OR, R1, R2));
	EMIT(g, STX(BPF_DW, R7, R1, FAULTS));
}

/*
 * The field's bytes at the cursor, exactly as many as its word says (the
 * same bytes as the kernel's record: a string's count its NUL), and its
 * word pointing there. More than STREAM_STR_MAX bytes, or a copy that
 * fails, is the field's fault: never a string cut short in silence.
 * r9 their length, r3 their address in the context.
 */
static void copy_dyn(struct gen *g, const struct gen_tp_dyn *d)
{
	int empty = gen_label_new(g), have = gen_label_new(g);
	int fits = gen_label_new(g), fault = gen_label_new(g);

	EMIT(g, LDX(BPF_W, R1, R7, REC + d->offset), MOV_REG(R9, R1),
	     ALU_IMM(BPF_RSH, R9, 16), ALU_IMM(BPF_AND, R1, 0xffff));
	if (d->relative)
		EMIT(g, ALU_IMM(BPF_ADD, R1, d->offset + 4));
	gen_jump(g, JMP_IMM(BPF_JEQ, R9, 0, 0), empty);
	gen_jump(g, JMP_IMM(BPF_JLE, R9, STREAM_STR_MAX, 0), fits);
	gen_jump(g, JA(0), fault);
	gen_label_here(g, fits);
	EMIT(g, MOV_REG(R3, R6), ALU_REG(BPF_ADD, R3, R1));
	/* r1 = the cursor's place in the buffer (gen_stream.c str_dst()) */
	gen_jump(g, JMP_IMM(BPF_JGT, R8, STREAM_CUR_MASK, 0), fault);
	EMIT(g, MOV_REG(R2, R8), ALU_IMM(BPF_AND, R2, STREAM_CUR_MASK),
	     MOV_REG(R1, R7), ALU_IMM(BPF_ADD, R1, REC),
	     ALU_REG(BPF_ADD, R1, R2), MOV_REG(R2, R9),
	     CALL(BPF_FUNC_probe_read_kernel), MOV_REG(R1, R0),
	     MOV_REG(R0, R9));
	gen_jump(g, JMP_IMM(BPF_JEQ, R1, 0, 0), have);
	gen_label_here(g, fault);
	mark_fault(g, d->field);
	gen_label_here(g, empty);
	EMIT(g, MOV_IMM(R0, 0));
	gen_label_here(g, have);
	EMIT(g, ALU_IMM(BPF_AND, R0, 0xffff), MOV_REG(R1, R0),
	     ALU_IMM(BPF_LSH, R1, 16), MOV_REG(R2, R8));
	if (d->relative)
		EMIT(g, ALU_IMM(BPF_SUB, R2, d->offset + 4));
	EMIT(g, ALU_IMM(BPF_AND, R2, 0xffff), ALU_REG(BPF_OR, R1, R2),
	     STX(BPF_W, R7, R1, REC + d->offset), ALU_REG(BPF_ADD, R8, R0));
}

void gen_tp_record(struct gen *g, const struct gen_stream *gs, int lost)
{
	size_t i;

	EMIT(g, ST_IMM(BPF_H, R7, REC + 0, gs->tp_id),
	     ST_IMM(BPF_H, R7, REC + 2, 0), STX(BPF_W, R7, R9, REC + 4));
	if (gs->fixed > 8) {
		EMIT(g, MOV_REG(R1, R7), ALU_IMM(BPF_ADD, R1, REC + 8),
		     MOV_IMM(R2, gs->fixed - 8), MOV_REG(R3, R6),
		     ALU_IMM(BPF_ADD, R3, 8), CALL(BPF_FUNC_probe_read_kernel));
		gen_jump(g, JMP_IMM(BPF_JNE, R0, 0, 0), lost);
	}
	EMIT(g, MOV_IMM(R8, gs->fixed));
	for (i = 0; i < gs->ndyn; i++)
		copy_dyn(g, &gs->dyn[i]);
}
