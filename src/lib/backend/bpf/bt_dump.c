/* SPDX-License-Identifier: MIT */
/*
 * `sonde run --dry-run`: each generated program as readable instructions,
 * in the form of bpftool's `prog dump xlated` ("12: (bf) r6 = r1"), the
 * source line it came from printed before each group. Encodings:
 * include/uapi/linux/bpf.h and the kernel's kernel/bpf/disasm.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bt_gen_int.h"

static const char *helper(int id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem:
		return "bpf_map_lookup_elem";
	case BPF_FUNC_map_update_elem:
		return "bpf_map_update_elem";
	case BPF_FUNC_map_delete_elem:
		return "bpf_map_delete_elem";
	case BPF_FUNC_ktime_get_ns:
		return "bpf_ktime_get_ns";
	case BPF_FUNC_get_prandom_u32:
		return "bpf_get_prandom_u32";
	case BPF_FUNC_get_smp_processor_id:
		return "bpf_get_smp_processor_id";
	case BPF_FUNC_get_current_pid_tgid:
		return "bpf_get_current_pid_tgid";
	case BPF_FUNC_get_current_uid_gid:
		return "bpf_get_current_uid_gid";
	case BPF_FUNC_get_current_comm:
		return "bpf_get_current_comm";
	case BPF_FUNC_get_stackid:
		return "bpf_get_stackid";
	case BPF_FUNC_get_current_task:
		return "bpf_get_current_task";
	case BPF_FUNC_get_current_cgroup_id:
		return "bpf_get_current_cgroup_id";
	case BPF_FUNC_probe_read_user:
		return "bpf_probe_read_user";
	case BPF_FUNC_probe_read_kernel:
		return "bpf_probe_read_kernel";
	case BPF_FUNC_probe_read_user_str:
		return "bpf_probe_read_user_str";
	case BPF_FUNC_probe_read_kernel_str:
		return "bpf_probe_read_kernel_str";
	case BPF_FUNC_ringbuf_output:
		return "bpf_ringbuf_output";
	case BPF_FUNC_get_func_ip:
		return "bpf_get_func_ip";
	case BPF_FUNC_get_attach_cookie:
		return "bpf_get_attach_cookie";
	default:
		return "helper";
	}
}

static const char *const alu_ops[16] = {
	"+=",  "-=", "*=", "/=", "|=",	 "&=",	   "<<=", ">>=",
	"neg", "%=", "^=", "=",	 "s>>=", "endian", "?",	  "?",
};
static const char *const jmp_ops[16] = {
	"goto", "==",	">", ">=", "&",	 "!=",	"s>", "s>=",
	"call", "exit", "<", "<=", "s<", "s<=", "?",  "?",
};
static const char *const sizes[4] = {"u32", "u16", "u8", "u64"};

static void alu(FILE *out, const struct bpf_insn *in)
{
	char r = BPF_CLASS(in->code) == BPF_ALU64 ? 'r' : 'w';
	int op = BPF_OP(in->code) >> 4;

	if (BPF_OP(in->code) == BPF_NEG)
		fprintf(out, "%c%d = -%c%d", r, in->dst_reg, r, in->dst_reg);
	else if (BPF_SRC(in->code) == BPF_X)
		fprintf(out, "%c%d %s %c%d", r, in->dst_reg, alu_ops[op], r,
			in->src_reg);
	else
		fprintf(out, "%c%d %s %d", r, in->dst_reg, alu_ops[op],
			in->imm);
}

static void jmp(FILE *out, const struct bpf_insn *in)
{
	int op = BPF_OP(in->code) >> 4;

	if (BPF_OP(in->code) == BPF_JA)
		fprintf(out, "goto pc%+d", in->off);
	else if (BPF_OP(in->code) == BPF_CALL)
		fprintf(out, "call %s#%d", helper(in->imm), in->imm);
	else if (BPF_OP(in->code) == BPF_EXIT)
		fprintf(out, "exit");
	else if (BPF_SRC(in->code) == BPF_X)
		fprintf(out, "if r%d %s r%d goto pc%+d", in->dst_reg,
			jmp_ops[op], in->src_reg, in->off);
	else
		fprintf(out, "if r%d %s 0x%x goto pc%+d", in->dst_reg,
			jmp_ops[op], (unsigned int)in->imm, in->off);
}

/* one instruction; returns how many slots it took (ld_imm64: 2) */
static int insn(FILE *out, const struct bpf_insn *in, size_t left)
{
	const char *sz = sizes[BPF_SIZE(in->code) >> 3];

	fprintf(out, "(%02x) ", in->code);
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU64:
	case BPF_ALU:
		alu(out, in);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		jmp(out, in);
		break;
	case BPF_LDX:
		fprintf(out, "r%d = *(%s *)(r%d %+d)", in->dst_reg, sz,
			in->src_reg, in->off);
		break;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC)
			fprintf(out, "lock *(%s *)(r%d %+d) %s r%d", sz,
				in->dst_reg, in->off,
				in->imm == BPF_ADD ? "+=" : "atomic",
				in->src_reg);
		else
			fprintf(out, "*(%s *)(r%d %+d) = r%d", sz, in->dst_reg,
				in->off, in->src_reg);
		break;
	case BPF_ST:
		fprintf(out, "*(%s *)(r%d %+d) = %d", sz, in->dst_reg, in->off,
			in->imm);
		break;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM) && left > 1) {
			if (in->src_reg == BPF_PSEUDO_MAP_FD)
				fprintf(out, "r%d = map[fd:%d]", in->dst_reg,
					in->imm);
			else
				fprintf(out, "r%d = 0x%" PRIx64, in->dst_reg,
					(uint64_t)(uint32_t)in[1].imm << 32 |
						(uint32_t)in->imm);
			fputc('\n', out);
			return 2;
		}
		/* fall through */
	default:
		fprintf(out, "unknown");
	}
	fputc('\n', out);
	return 1;
}

/* the text of a source line, without its newline */
static void src_line(FILE *out, const struct bt_program *p, int line)
{
	const char *t = p->text, *e;
	int l = 1;

	while (t && *t && l < line)
		if (*t++ == '\n')
			l++;
	if (!t || l != line)
		return;
	e = strchr(t, '\n');
	fprintf(out, "; %.*s\n", e ? (int)(e - t) : (int)strlen(t), t);
}

void bt_gen_dump(const struct bt_compiled *c, FILE *out)
{
	int i;

	for (i = 0; i < c->nprogs; i++) {
		const struct bt_cprog *cp = &c->progs[i];
		size_t k = 0;
		int last = -1;

		fprintf(out, "%s%s:\n", i ? "\n" : "",
			c->prog->blocks[cp->block].probes[cp->probe].spec);
		while (k < cp->ninsns) {
			if (cp->lines && cp->lines[k] != last) {
				last = cp->lines[k];
				src_line(out, c->prog, last);
			}
			fprintf(out, "%4zu: ", k);
			k += insn(out, &cp->insns[k], cp->ninsns - k);
		}
	}
}
