/* SPDX-License-Identifier: MIT */
/* Emitting instructions with forward jumps to labels (gen.c, gen_stream.c). */
#ifndef SONDE_BPF_GEN_INT_H
#define SONDE_BPF_GEN_INT_H

#include "bpf_int.h"

#define MAX_LABELS 256
#define MAX_FIXUPS 512

struct gen {
	struct prog_buf *b;
	size_t label[MAX_LABELS];
	int nlabels;
	struct {
		size_t at;
		int label;
	} fix[MAX_FIXUPS];
	int nfix;
};

void gen_emitn(struct gen *g, const struct bpf_insn *in, size_t n);
#define EMIT(g, ...)                                                           \
	do {                                                                   \
		const struct bpf_insn in_[] = {__VA_ARGS__};                   \
		gen_emitn(g, in_, sizeof(in_) / sizeof(in_[0]));               \
	} while (0)
/* A new label (placed later with gen_label_here()). */
int gen_label_new(struct gen *g);
void gen_label_here(struct gen *g, int l);
/* A jump whose offset is filled in by gen_finish(). */
void gen_jump(struct gen *g, struct bpf_insn in, int l);
/* Resolve the jumps; 0 or the first error. */
int gen_finish(struct gen *g);

/* Leave (to out) unless the tgid in reg is in map_fd (follow.c); the
 * u32 is stored at fp + slot; r0-r5 are clobbered. */
void gen_followed(struct gen *g, int map_fd, int reg, int slot, int out);
/* Leave (to out) unless the current task is in the cgroup at index 0 of
 * the cgroup array map_fd or below it; clobbers r0-r5. */
void gen_under_cgroup(struct gen *g, int map_fd, int out);

/* gen_tp.c: a tracepoint's record (r6 the context, r7 the scratch
 * buffer, r8 the string cursor, r9 pid_tgid, as gen_stream.c); a copy that
 * fails jumps to lost (the record counted lost, its buffer let go). */
void gen_tp_record(struct gen *g, const struct gen_stream *gs, int lost);

#endif
