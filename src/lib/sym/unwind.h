/* SPDX-License-Identifier: MIT */
/*
 * User stacks unwound in user space (--call-graph dwarf): a copy of the
 * stack from sp and the registers at the event, walked with the DWARF call
 * frame info of the process's files through libdwfl. One Dwfl per process,
 * its modules from the maps the symcache keeps (so a process that has
 * exited is still unwound and named), kept until the session ends.
 */
#ifndef SONDE_UNWIND_H
#define SONDE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sonde/sonde.h>

/* x86-64's DWARF register numbers: ax dx cx bx si di bp sp r8-r15, ip */
enum { UW_BP = 6, UW_SP = 7, UW_IP = 16, UW_NREGS = 17 };

struct unwind_input {
	int pid, tid;
	uint64_t regs[UW_NREGS];
	uint32_t known; /* bit i: regs[i] was sampled */
	const uint8_t *stack; /* the user stack from regs[UW_SP] */
	size_t stack_len;
};

struct sonde_session;
struct unwinder;

/* Can this machine unwind? NULL, or why not (one sentence). */
const char *unwind_unsupported(void);
/* The frames of in, innermost first (the ip, then return addresses), at
 * most max of them. Returns how many (at least 1: the ip). */
int unwind_user(struct sonde_session *s, const struct unwind_input *in,
		uint64_t *frames, int max);
/* The Dwfl module holding addr in pid's maps, or NULL. */
struct Dwfl_Module *unwind_module(struct sonde_session *s, int pid,
				  uint64_t addr);
void unwind_free(struct unwinder *u);
/* At a backend's start: settle s->cg from opts.call_graph (AUTO: dwarf
 * where the backend copies user stacks, copies, and this machine unwinds;
 * else fp), said at -v. 0, or -errno with the session's error set when
 * dwarf was asked for and cannot be had. */
int unwind_choose(struct sonde_session *s, const char *backend, bool copies);
/* The bytes of user stack each event copies. */
unsigned int unwind_stack_size(const struct sonde_session *s);

/* The stack bytes copied when none is asked for (perf's default). */
#define UNWIND_STACK_DEFAULT 8192
#define UNWIND_STACK_MAX 65528

#endif
