/* SPDX-License-Identifier: MIT */
/*
 * A small set of BPF instruction builders. Encodings from the kernel's
 * Documentation/bpf/standardization/instruction-set.rst and
 * include/uapi/linux/bpf.h (struct bpf_insn: code, dst_reg:4, src_reg:4,
 * off, imm). Register use follows the BPF calling convention: r0 return
 * value, r1-r5 arguments (clobbered by calls), r6-r9 callee-saved, r10
 * the read-only frame pointer.
 */
#ifndef SONDE_BPF_INSN_H
#define SONDE_BPF_INSN_H

#include <linux/bpf.h>

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define FP BPF_REG_10

#define INSN(c, d, s, o, i)                                              \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

/* dst = imm (sign-extended 32-bit) / dst = src */
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
/* dst op= imm / dst op= src, 64-bit (op: BPF_ADD, BPF_SUB, BPF_RSH...) */
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
/* dst = *(size *)(src + off); size BPF_B/H/W/DW */
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
/* *(size *)(dst + off) = src / = imm */
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_IMM(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
/* lock *(u64 *)(dst + off) += src (BPF_ATOMIC with imm BPF_ADD) */
#define ATOMIC_ADD(d, s, o) INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
/* src = atomic_fetch_or((u64 *)(dst + off), src) */
#define ATOMIC_FETCH_OR(d, s, o)                                               \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_OR | BPF_FETCH)
/* r0 = atomic_cmpxchg((u64 *)(dst + off), r0, src) */
#define ATOMIC_CMPXCHG(d, s, o)                                                \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_CMPXCHG)
/* if (dst op imm/src) goto pc + 1 + off (op: BPF_JEQ, BPF_JSGT...) */
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* dst = a map: the 16-byte ld_imm64 with src BPF_PSEUDO_MAP_FD, whose
 * second half carries the upper 32 bits (0 here) */
#define LD_MAP_FD(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), \
			 INSN(0, 0, 0, 0, 0)
/* dst = a 64-bit constant (ld_imm64, two instructions) */
#define LD_IMM64(d, v)                                                   \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (__s32)(__u32)(v)),     \
		INSN(0, 0, 0, 0, (__s32)(__u32)((__u64)(v) >> 32))

#endif
