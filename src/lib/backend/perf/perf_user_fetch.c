/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fetch, done in user space from a sample: registers from
 * PERF_SAMPLE_REGS_USER, memory from the sampled copy of the user stack
 * (PERF_SAMPLE_STACK_USER: as it was at the probe) or else read from the
 * process now (process_vm_readv). Values are stored as trace_probe_tmpl.h
 * store_trace_args() would: in arg order at the type's size, strings after
 * the fixed part behind a __data_loc word (length with NUL << 16 |
 * offset; length 0 on a fault).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "perf.h"

/* MAX_STRING_SIZE (PATH_MAX), kernel/trace/trace_probe.h */
#define MAX_STRING 4096

struct fctx {
	struct sonde_session *s;
	struct probe *p;
	const struct psample *sm;
};

static int mem_read(const struct fctx *c, uint64_t addr, void *dst,
		    size_t len)
{
	const struct psample *sm = c->sm;
	uint64_t sp = sm->regs ? sm->regs[PR_SP] : 0;
	struct iovec local = { dst, len }, remote = { (void *)addr, len };

	if (sm->stack && addr >= sp && addr - sp <= sm->stack_len &&
	    len <= sm->stack_len - (addr - sp)) {
		memcpy(dst, sm->stack + (addr - sp), len);
		return 0;
	}
	if (process_vm_readv(sm->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return -EFAULT;
	return 0;
}

/* A NUL-terminated string at addr, at most max bytes with the NUL; returns
 * its length with the NUL. Read up to page ends so that a string near an
 * unmapped page is still found. */
static int str_read(const struct fctx *c, uint64_t addr, char *dst,
		    size_t max)
{
	const struct psample *sm = c->sm;
	uint64_t sp = sm->regs ? sm->regs[PR_SP] : 0;
	size_t got = 0, chunk;
	char *nul;

	if (max < 1)
		return -ENOSPC;
	while (got < max - 1) {
		chunk = 4096 - ((addr + got) & 4095);
		if (chunk > max - 1 - got)
			chunk = max - 1 - got;
		/* from the stack copy as far as it goes */
		if (sm->stack && addr + got >= sp &&
		    addr + got - sp < sm->stack_len &&
		    chunk > sm->stack_len - (addr + got - sp))
			chunk = sm->stack_len - (addr + got - sp);
		if (mem_read(c, addr + got, dst + got, chunk))
			return got ? (dst[got] = '\0', (int)got + 1) : -EFAULT;
		nul = memchr(dst + got, '\0', chunk);
		if (nul)
			return (int)(nul - dst) + 1;
		got += chunk;
	}
	dst[got] = '\0';
	return (int)got + 1;
}

static uint64_t reg(const struct psample *sm, int r)
{
	return sm->regs && r >= 0 && r < PR_NUM ? sm->regs[r] : 0;
}

static int base_value(const struct fctx *c, const struct fetch_arg *a,
		      uint64_t *v)
{
	const struct psample *sm = c->sm;

	switch (a->base) {
	case FETCH_REG:
		*v = reg(sm, a->reg);
		return 0;
	case FETCH_STACK:
		*v = reg(sm, PR_SP);
		return 0;
	case FETCH_STACKN:
		return mem_read(c, reg(sm, PR_SP) + 8 * (uint64_t)a->imm, v,
				8);
	case FETCH_RETVAL:
		*v = reg(sm, PR_AX);
		return 0;
	case FETCH_IMM:
		*v = (uint64_t)a->imm;
		return 0;
	case FETCH_FILEOFF: {
		/* as the kernel reads @+OFF: the breakpoint's address minus
		 * the probe's file offset, plus OFF (trace_uprobe.c
		 * translate_user_vaddr()); a .bss global has no file offset
		 * of its own, so the process's maps cannot place it */
		uint64_t bp = sm->ip;

		if (probe_kind_is_return(c->p->spec.kind) &&
		    symcache_file_addr(&c->s->syms, sm->pid, c->p->path,
				       c->p->offset, &bp))
			return -ENOENT;
		*v = bp - c->p->offset + (uint64_t)a->imm;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* The address of the last dereference (or the base's value when there
 * is none): what a string, an array or the final value is read from. */
static int final_addr(const struct fctx *c, const struct fetch_arg *a,
		      uint64_t *addr)
{
	uint64_t v;
	int i, err = base_value(c, a, &v);

	for (i = 0; !err && i < a->nderef - 1; i++)
		err = mem_read(c, v + a->deref[i], &v, 8);
	if (!err && a->nderef)
		v += a->deref[a->nderef - 1];
	*addr = v;
	return err;
}

static uint64_t bitfield(const struct fetch_arg *a, uint64_t v)
{
	unsigned int bits = a->elem * 8;

	/* trace_probe_tmpl.h fetch_apply_bitfield(), in the container */
	v >>= a->bf_off;
	if (a->bf_width < 64)
		v &= (1ull << a->bf_width) - 1;
	return bits < 64 ? v & ((1ull << bits) - 1) : v;
}

static int store_value(const struct fctx *c, const struct fetch_arg *a,
		       uint8_t *dst)
{
	size_t n = (size_t)a->elem * a->count;
	uint64_t v = 0, addr;
	int err;

	memset(dst, 0, n);
	if (!a->nderef) {
		err = base_value(c, a, &v);
		if (a->bf_width)
			v = bitfield(a, v);
		memcpy(dst, &v, a->elem); /* little endian */
		return err;
	}
	err = final_addr(c, a, &addr);
	if (!err)
		err = mem_read(c, addr, dst, n);
	if (err) {
		memset(dst, 0, n);
		return err;
	}
	if (a->bf_width) {
		memcpy(&v, dst, a->elem);
		v = bitfield(a, v);
		memcpy(dst, &v, a->elem);
	}
	return 0;
}

static int store_string(const struct fctx *c, const struct fetch_arg *a,
			uint8_t *rec, size_t *used, size_t cap)
{
	size_t room = cap - *used;
	char *dst = (char *)rec + *used;
	uint32_t loc = (uint32_t)*used;
	uint64_t addr;
	int len = -EFAULT;

	if (room > MAX_STRING)
		room = MAX_STRING;
	if (*used > 0xffff)
		room = 0; /* a __data_loc offset has 16 bits */
	if (a->base == FETCH_COMM && room) {
		len = strnlen(c->sm->comm ? c->sm->comm : "", room - 1);
		memcpy(dst, c->sm->comm ? c->sm->comm : "", len);
		dst[len++] = '\0';
	} else if (a->base == FETCH_IMMSTR && room) {
		len = strnlen(a->str, room - 1);
		memcpy(dst, a->str, len);
		dst[len++] = '\0';
	} else if (room && final_addr(c, a, &addr) == 0) {
		len = str_read(c, addr, dst, room);
	}
	if (len < 0)
		len = 0;
	loc |= (uint32_t)len << 16;
	memcpy(rec + a->offset, &loc, 4);
	*used += len;
	return 0;
}

int pfetch_record(struct sonde_session *s, struct probe *p,
		  const struct perf_probe_state *pp, const struct psample *sm,
		  uint8_t *buf, size_t cap, uint64_t *faults)
{
	struct fctx c = { .s = s, .p = p, .sm = sm };
	const struct fetch_plan *plan = pp->plan;
	bool ret = probe_kind_is_return(p->spec.kind);
	uint16_t type = (uint16_t)p->fmt.id;
	int32_t pid = sm->tid;
	uint64_t func = 0;
	size_t used = plan->fixed, i;

	if (cap < plan->fixed)
		return -ENOSPC;
	memset(buf, 0, plan->fixed);
	memcpy(buf, &type, 2);
	memcpy(buf + 4, &pid, 4);
	if (ret) {
		/* uretprobe: where the function is in this process; the sample
		 * IP is where it returned to (uprobes.c handle_trampoline) */
		if (pp->mode == PM_KPROBE_PMU)
			func = pp->kaddr;
		else
			symcache_file_addr(&s->syms, sm->pid, p->path,
					   p->offset, &func);
		memcpy(buf + 8, &func, 8);
		memcpy(buf + 16, &sm->ip, 8);
	} else {
		uint64_t ip = pp->mode == PM_KPROBE_PMU ? pp->kaddr : sm->ip;

		memcpy(buf + 8, &ip, 8);
	}
	for (i = 0; i < plan->nargs; i++) {
		const struct fetch_arg *a = &plan->args[i];

		if (a->is_string)
			store_string(&c, a, buf, &used, cap);
		else if (store_value(&c, a, buf + a->offset) == -EFAULT &&
			 i < 64)
			*faults |= 1ull << i;
	}
	return (int)used;
}
