/* SPDX-License-Identifier: MIT */
/*
 * The argument compiler: a probe's fetch args (the kernel fetch strings of
 * its spec, uprobetracer.rst / kprobetrace.rst) -> a fetch plan that the
 * perf backend runs in user space on a sample and the bpf backend turns
 * into a program, and the record layout the kernel would give the same
 * definition, built as structs. Memory only: no session, no I/O.
 */
#ifndef SONDE_ARGS_FETCH_PLAN_H
#define SONDE_ARGS_FETCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "decode/decode.h"
#include "spec/spec.h"

/* perf register indexes (arch/x86/include/uapi/asm/perf_regs.h): how a
 * plan names a register, as PERF_SAMPLE_REGS_USER orders them */
/* clang-format off */
enum {
	PR_AX, PR_BX, PR_CX, PR_DX, PR_SI, PR_DI, PR_BP, PR_SP, PR_IP,
	PR_FLAGS, PR_CS, PR_SS, PR_DS, PR_ES, PR_FS, PR_GS,
	PR_R8, PR_R9, PR_R10, PR_R11, PR_R12, PR_R13, PR_R14, PR_R15,
	PR_NUM
};
/* clang-format on */
/* The kernel's x86-64 register names, by perf register number (NULL:
 * none in pt_regs that a fetch can name). */
extern const char *const perf_reg_names[PR_NUM];

/* Where an argument's value starts. */
enum fetch_base {
	FETCH_REG,     /* %REG */
	FETCH_STACK,   /* $stack: the stack pointer */
	FETCH_STACKN,  /* $stackN: the Nth word at the stack pointer */
	FETCH_RETVAL,  /* $retval */
	FETCH_COMM,    /* $comm */
	FETCH_IMM,     /* \IMM, or @ADDR (then a deref) */
	FETCH_IMMSTR,  /* \"str" */
	FETCH_FILEOFF, /* @+OFF: an offset in the probed file (then a deref) */
};

#define FETCH_MAX_DEREF 16

/* One argument, compiled. */
struct fetch_arg {
	enum fetch_base base;
	int reg;     /* FETCH_REG: perf register index */
	int64_t imm; /* FETCH_IMM, FETCH_FILEOFF, FETCH_STACKN */
	char *str;   /* FETCH_IMMSTR */
	int64_t deref[FETCH_MAX_DEREF]; /* innermost first */
	int nderef;
	/* +|-OFF(...) derefs written, and those written +uOFF/-uOFF (user
	 * memory, for a kprobe: kprobetrace.rst) */
	int nparen, nuser;
	/* the type */
	bool is_string;	    /* string, ustring: a __data_loc in the record */
	bool user_string;   /* ustring */
	unsigned int elem;  /* bytes of one value (container for bitfields) */
	unsigned int count; /* array elements, 1 otherwise */
	bool array;	    /* written TYPE[N] (even [1]) */
	bool is_signed;
	bool hex;		       /* xNN: printed as hex */
	bool symbol;		       /* symbol: printed as sym+off */
	unsigned int bf_width, bf_off; /* bitfield, width 0 when none */
	/* in the record */
	unsigned int offset;
};

/* A probe's compiled args, laid out as the kernel's record would be
 * (trace_probe.c traceprobe_define_arg_fields(): common fields,
 * __probe_ip or __probe_func + __probe_ret_ip, each arg in order at its
 * type's size, strings as a 32-bit __data_loc, their bytes after fixed). */
struct fetch_plan {
	struct fetch_arg *args;
	size_t nargs;
	bool retprobe;
	unsigned int fixed;	  /* bytes of the record's fixed part */
	/* error.err != 0: no plan (args unset): ENOTSUP (only the kernel's
	 * own fetch can: $argN, @SYM, a register perf does not sample such
	 * as orig_ax), EINVAL or E2BIG (not computable from a sample),
	 * ENOMEM; error.col and error_arg name the argument */
	struct lib_error error;
	size_t error_arg;
};

/* Compile spec's args (as fetch_rewrite() left them). Returns the plan
 * (malloc'd: fetch_plan_free()), whose error says whether it could be
 * made; NULL with errno ENOMEM. */
struct fetch_plan *fetch_plan_compile(const struct probe_spec *spec);
void fetch_plan_free(struct fetch_plan *plan);

/* The event format of a compiled plan, event name and id (a probe's
 * args' names are spec's), as event_format_parse() reads the kernel's
 * format file of the same definition. 0, -EINVAL (id out of range, no
 * plan) or -ENOMEM; ef is zeroed on error. */
int fetch_plan_event_format(const struct fetch_plan *plan,
			    const struct probe_spec *spec, const char *name,
			    int id, struct event_format *ef);
/* The same format as the kernel's format file prints it (malloc'd), or
 * NULL with errno. */
char *fetch_plan_format_text(const struct fetch_plan *plan,
			     const struct probe_spec *spec, const char *name,
			     int id);

struct probe;
/* probe_args.c: p's plan, compiled at the first call and kept on p (a
 * refusal too: the plan's error says why). NULL with errno ENOMEM. */
const struct fetch_plan *probe_fetch_plan(struct probe *p);
/* p's event format (p->fmt, p->format_text, its strings' fault checks)
 * from its plan, with event id id. 0 or -errno with e filled. */
int probe_format_from_plan(struct probe *p, int id, struct lib_error *e);

#endif
