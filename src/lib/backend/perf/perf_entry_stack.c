/* SPDX-License-Identifier: MIT */
/*
 * User stacks at a function's first instruction. A callchain walks frame
 * pointers from %rbp, which there is still the caller's: the caller's own
 * return address is next, and the direct caller, whose return address is
 * at [%rsp], is missing. perf_callchain_user() adds [%rsp] itself only
 * when the probed instruction is push %rbp or endbr64
 * (arch/x86/kernel/uprobes.c, is_uprobe_at_func_entry(), Linux 6.11):
 * a function that starts otherwise (a leaf without a frame, a nop, a
 * frame-pointer-less library's) loses its caller on every kernel, and one
 * that pushes %rbp loses it before 6.11. The 8 bytes at [%rsp] are
 * sampled with each event and put back where the chain lacks them.
 * Only at the first instruction: later in the function [%rsp] is
 * whatever it has pushed since. With --call-graph dwarf none of this is
 * needed: the stack and registers are sampled and unwound with the CFI.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf.h"
#include "sym/unwind.h"
#include "perf.h"

bool perf_backend_takes_stacks(const struct sonde_session *s, char *why,
			       size_t len)
{
	bool user = false;
	int i;

	if (geteuid() != 0) {
		snprintf(why, len, "perf_event_open needs CAP_SYS_ADMIN");
		return false;
	}
	for (i = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i];

		if (p->trigger || p->hist) {
			snprintf(why, len, "probe %s has a %s", p->name,
				 p->trigger ? "trigger" : "hist");
			return false;
		}
		user |= probe_kind_is_user(p->spec.kind);
	}
	if (!user)
		snprintf(why, len, "no user probe: kernel stacks are whole");
	return user;
}

void pentry_plan(struct sonde_session *s, const struct probe *p,
		 struct perf_probe_state *pp)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint8_t insn[4] = { 0 };
	ssize_t n;
	int fd;

	pp->entry_ret = PE_NONE;
	if (s->opts.stack && s->cg == SONDE_CALL_GRAPH_DWARF &&
	    probe_kind_is_user(p->spec.kind)) {
		/* the registers and stack libdw unwinds from (unwind.c): its
		 * CFI knows the caller at the first instruction too */
		pp->need_regs = true;
		if (pp->stack_dump < unwind_stack_size(s))
			pp->stack_dump = unwind_stack_size(s);
		return;
	}
	if (!s->opts.stack || !uprobe_at_func_entry(p))
		return;
	fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = pread(fd, insn, sizeof(insn), (off_t)p->offset);
	close(fd);
	if (n < 1)
		return;
	pp->entry_ret = insn[0] == 0x55 || (n == 4 && !memcmp(insn, endbr64, 4))
				? PE_UNLESS_KERNEL
				: PE_ALWAYS;
	if (pp->stack_dump < 8)
		pp->stack_dump = 8;
	slog(s, SONDE_LOG_DEBUG,
	     "probe %s: on a function's first instruction, its caller from [sp]%s",
	     p->name,
	     pp->entry_ret == PE_ALWAYS ? "" : " unless the kernel has it");
}

int pentry_fix(const struct perf_probe_state *pp, uint64_t *frames, int n, int kframes,
	       const uint8_t *stack, uint64_t stack_len)
{
	uint64_t ret;
	int u = kframes; /* the first user frame: the probed ip */

	if (!stack || stack_len < 8 || u >= n)
		return n;
	memcpy(&ret, stack, 8);
	if (!ret)
		return n;
	/* the kernel added it (push %rbp or endbr64 first, Linux 6.11) */
	if (pp->entry_ret == PE_UNLESS_KERNEL && u + 1 < n &&
	    frames[u + 1] == ret)
		return n;
	if (n == PFRAMES)
		n--;
	memmove(frames + u + 2, frames + u + 1,
		(size_t)(n - u - 1) * sizeof(*frames));
	frames[u + 1] = ret;
	return n + 1;
}
