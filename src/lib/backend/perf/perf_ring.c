/* SPDX-License-Identifier: MIT */
/*
 * Reading the perf backend's rings (one per CPU, every event of that CPU
 * redirected into it): every ring is read, side records (lost, mmap2,
 * comm, throttle) are applied at once, and samples are delivered after,
 * merged in time order across rings and rounds (order.c), each as the
 * record its probe's format describes.
 * Record layouts: include/uapi/linux/perf_event.h, enum perf_event_type.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "perf.h"
#include "sym/unwind.h"

static struct perf_state *st_of(struct sonde_session *s)
{
	return s->be_priv;
}

static int probe_of(const struct perf_state *st, uint64_t id)
{
	size_t lo = 0, hi = st->nids;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->ids[mid].id == id)
			return st->ids[mid].probe;
		if (st->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* PERF_RECORD_COMM: pid, tid, comm (NUL-padded to 8 bytes), then the
 * sample_id of its event (sample_id_all: TID, TIME, CPU, IDENTIFIER, the
 * sample_type of the probes and of the comm tracker alike) */
#define SAMPLE_ID_SIZE 32
#define SAMPLE_ID_TIME 8 /* the time's offset in it */

static void on_comm(struct perf_state *st, const uint8_t *r, size_t len)
{
	uint64_t ts;
	uint32_t tid;

	if (len < 8 + 8 + 8 + SAMPLE_ID_SIZE)
		return;
	memcpy(&tid, r + 12, 4);
	memcpy(&ts, r + len - SAMPLE_ID_SIZE + SAMPLE_ID_TIME, 8);
	pcomm_renamed(st, (int)tid, ts, (const char *)r + 16,
		      len - 16 - SAMPLE_ID_SIZE);
}

/* PERF_RECORD_MMAP2: pid, tid, addr, len, pgoff, (dev, ino | build id:
 * 24 bytes), prot, flags, filename */
void perf_mmap2_record(struct sonde_session *s, const uint8_t *r, size_t len)
{
	uint64_t addr, mlen, pgoff;
	uint32_t pid;
	char path[4096];
	size_t n;

	if (len < 8 + 8 + 24 + 24 + 8 + 1)
		return;
	memcpy(&pid, r + 8, 4);
	memcpy(&addr, r + 16, 8);
	memcpy(&mlen, r + 24, 8);
	memcpy(&pgoff, r + 32, 8);
	n = strnlen((const char *)r + 72, len - 72);
	if (n >= sizeof(path))
		return;
	memcpy(path, r + 72, n);
	path[n] = '\0';
	symcache_add_map(&s->syms, (int)pid, addr, mlen, pgoff, path);
}

static uint64_t tp_faults(struct sonde_session *s, int probe, const uint8_t *r,
			  size_t len, uint64_t *unchecked);

static int keep_sample(struct sonde_session *s, const uint8_t *r, size_t len,
		       int cpu)
{
	uint64_t sid, ts = 0, faults, unchecked = 0;
	int probe;

	if (len < 16)
		return 0;
	memcpy(&sid, r + 8, 8);
	probe = probe_of(st_of(s), sid);
	if (probe < 0)
		return 0;
	/* IDENTIFIER, IP, TID, TIME: always sampled */
	if (len >= 40) {
		uint32_t pt[2];

		memcpy(pt, r + 24, 8);
		memcpy(&ts, r + 32, 8);
		/* the comm now, while the process lives: the sample is
		 * delivered later (order.c), maybe after it was reaped */
		pcomm_seen(st_of(s), (int)pt[0], (int)pt[1]);
	}
	faults = tp_faults(s, probe, r, len, &unchecked);
	if (oq_push(&s->oq, ts, cpu, r, len, faults))
		return -ENOMEM;
	oq_last(&s->oq)->unchecked = unchecked;
	return 0;
}

/* A new process (pid != ppid) forked by a followed one: the tracepoints
 * opened for every task follow it; counted where events are inherited. */
static int fork_seen(struct sonde_session *s, const uint8_t *r)
{
	struct perf_state *st = st_of(s);
	uint32_t pid, ppid;

	memcpy(&pid, r + 8, 4);
	memcpy(&ppid, r + 12, 4);
	/* events opened for every task see every fork of the machine */
	if (!perf_tp_followed(s, (int)ppid))
		return 0;
	if (st->inheriting)
		st->children++;
	return perf_tp_forked(s, (int)ppid, (int)pid);
}

static int on_record(struct sonde_session *s, int cpu, const uint8_t *r,
		     size_t len)
{
	struct perf_state *st = st_of(s);
	const struct perf_event_header *h = (const void *)r;
	uint64_t lost;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		return keep_sample(s, r, len, cpu);
	case PERF_RECORD_LOST: /* id, lost */
		if (len >= 24) {
			uint64_t id;

			/* a probe's samples, not the comm tracker's records */
			memcpy(&id, r + 8, 8);
			memcpy(&lost, r + 16, 8);
			if (probe_of(st, id) >= 0)
				s->lost[cpu] += lost;
		}
		return 0;
	case PERF_RECORD_LOST_SAMPLES: /* lost */
		if (len >= 16) {
			memcpy(&lost, r + 8, 8);
			s->lost[cpu] += lost;
		}
		return 0;
	case PERF_RECORD_THROTTLE:
		/* sample_period 1 on a software event is never throttled
		 * (perf_swevent_overflow); say so if a kernel does */
		if (!st->throttled++)
			slog(s, SONDE_LOG_WARN,
			     "cpu %d: the kernel throttled sampling; events were dropped",
			     cpu);
		return 0;
	case PERF_RECORD_MMAP2:
		perf_mmap2_record(s, r, len);
		return 0;
	case PERF_RECORD_COMM:
		on_comm(st, r, len);
		return 0;
	case PERF_RECORD_FORK: /* pid, ppid, tid, ptid, time */
		if (len >= 32) {
			uint32_t t[2];
			uint64_t ts;

			memcpy(t, r + 16, 8);
			memcpy(&ts, r + 24, 8);
			pcomm_forked(st, (int)t[1], (int)t[0], ts);
		}
		/* a new process? */
		/* the comm and mmap trackers get forks too (kernel/events/
		 * core.c perf_event_task_match()): only a followed child
		 * inherits the probes */
		if (s->opts.pid > 0 && s->opts.follow_fork && len >= 16 &&
		    memcmp(r + 8, r + 12, 4))
			return fork_seen(s, r);
		return 0;
	default:
		return 0;
	}
}

static int ring_read(struct sonde_session *s, int cpu)
{
	struct perf_state *st = st_of(s);
	struct pring *rg = &st->rings[cpu];
	uint64_t head, tail, off;
	struct perf_event_header h;
	const uint8_t *rec;
	int err = 0;

	if (!rg->meta)
		return 0;
	head = __atomic_load_n(&rg->meta->data_head, __ATOMIC_ACQUIRE);
	tail = rg->meta->data_tail;
	while (!err && tail < head) {
		off = tail & (rg->size - 1);
		/* records are whole u64s (kernel/events/core.c pads comm,
		 * mmap and raw data to 8 bytes): one that is not would
		 * leave the next header across the ring's end */
		memcpy(&h, rg->data + off, sizeof(h));
		if (h.size < sizeof(h) || h.size % 8 || h.size > head - tail) {
			slog(s, SONDE_LOG_WARN,
			     "cpu %d: a malformed perf record skipped", cpu);
			tail = head;
			break;
		}
		rec = rg->data + off;
		if (off + h.size > rg->size) {
			size_t first = rg->size - off;

			memcpy(st->wrap, rg->data + off, first);
			memcpy(st->wrap + first, rg->data, h.size - first);
			rec = st->wrap;
		}
		err = on_record(s, cpu, rec, h.size);
		tail += h.size;
	}
	__atomic_store_n(&rg->meta->data_tail, tail, __ATOMIC_RELEASE);
	return err;
}

struct sample {
	uint64_t ip, ts;
	uint32_t pid, tid, cpu;
	const uint64_t *chain;
	uint64_t nchain;
	const uint8_t *raw;
	uint32_t raw_len;
	uint64_t regs[PR_NUM];
	bool have_regs;
	const uint8_t *stack;
	uint64_t stack_len;
};

#define TAKE(dst, n)                                \
	do {                                        \
		if ((size_t)(end - p) < (n))        \
			return -EBADMSG;            \
		memcpy((dst), p, (n));              \
		p += (n);                           \
	} while (0)

/* The fields of sample_type, in the order perf_output_sample() writes. */
static int parse_sample(uint64_t type, const uint8_t *r, size_t len,
			struct sample *sm)
{
	const uint8_t *p = r + 8 + 8, *end = r + len; /* header, id */
	uint64_t abi, v, n;
	uint32_t raw, res;
	int i;

	memset(sm, 0, sizeof(*sm));
	if (len < 16)
		return -EBADMSG;
	if (type & PERF_SAMPLE_IP)
		TAKE(&sm->ip, 8);
	if (type & PERF_SAMPLE_TID) {
		TAKE(&sm->pid, 4);
		TAKE(&sm->tid, 4);
	}
	if (type & PERF_SAMPLE_TIME)
		TAKE(&sm->ts, 8);
	if (type & PERF_SAMPLE_CPU) {
		TAKE(&sm->cpu, 4);
		TAKE(&res, 4); /* cpu, res: a short record ends here */
	}
	if (type & PERF_SAMPLE_CALLCHAIN) {
		TAKE(&n, 8);
		if (n > (size_t)(end - p) / 8)
			return -EBADMSG;
		sm->chain = (const uint64_t *)p; /* records are 8-aligned */
		sm->nchain = n;
		p += n * 8;
	}
	if (type & PERF_SAMPLE_RAW) {
		TAKE(&raw, 4);
		if (raw > (size_t)(end - p))
			return -EBADMSG;
		sm->raw = p;
		sm->raw_len = raw;
		p += raw;
	}
	if (type & PERF_SAMPLE_REGS_USER) {
		TAKE(&abi, 8);
		for (i = 0; abi && i < PR_NUM; i++) {
			if (!(PR_MASK & (1ull << i)))
				continue;
			TAKE(&v, 8);
			sm->regs[i] = v;
		}
		sm->have_regs = abi != 0;
	}
	if (type & PERF_SAMPLE_STACK_USER) {
		TAKE(&n, 8);
		if (n) {
			if (n > (size_t)(end - p) || (size_t)(end - p) - n < 8)
				return -EBADMSG;
			sm->stack = p;
			p += n;
			TAKE(&sm->stack_len, 8); /* dyn_size: what was copied */
			if (sm->stack_len > n)
				sm->stack_len = n;
		}
	}
	return 0;
}

/* The faults of a kernel-made record, now: a value may have to be read
 * again from the process (fault.c). */
static uint64_t tp_faults(struct sonde_session *s, int probe, const uint8_t *r,
			  size_t len, uint64_t *unchecked)
{
	struct perf_state *st = st_of(s);
	struct probe *p = &s->probes[probe];
	struct sample sm;

	if (st->pp[probe].mode != PM_TRACEPOINT || !p->check_faults ||
	    parse_sample(st->stype[probe], r, len, &sm) || !sm.raw)
		return 0;
	return fault_mask(p, sm.raw, sm.raw_len, unchecked);
}

/* Kernel frames first, then user frames (the chain's own order); the
 * context markers (PERF_CONTEXT_*) are dropped. */
static int frames_of(struct perf_state *st, const struct sample *sm)
{
	bool kernel = false;
	uint64_t i, a;
	int n = 0;

	st->cur_kframes = 0;
	for (i = 0; i < sm->nchain && n < PFRAMES; i++) {
		memcpy(&a, &sm->chain[i], 8);
		if (a >= (uint64_t)PERF_CONTEXT_MAX) {
			kernel = a == (uint64_t)PERF_CONTEXT_KERNEL;
			continue;
		}
		st->frames[n++] = a;
		if (kernel)
			st->cur_kframes = n;
	}
	return n;
}

/* --call-graph dwarf: the user frames, unwound from the sampled registers
 * and stack (unwind.c), after the chain's kernel frames. */
static int unwound(struct sonde_session *s, const struct sample *sm, int nf)
{
	/* x86-64's DWARF register order (unwind.h) */
	static const int8_t pr[UW_NREGS] = {
		PR_AX, PR_DX, PR_CX, PR_BX, PR_SI, PR_DI, PR_BP, PR_SP,
		PR_R8, PR_R9, PR_R10, PR_R11, PR_R12, PR_R13, PR_R14, PR_R15,
		PR_IP,
	};
	struct perf_state *st = st_of(s);
	struct unwind_input in = {
		.pid = (int)sm->pid,
		.tid = (int)sm->tid,
		.known = (1u << UW_NREGS) - 1,
		.stack = sm->stack,
		.stack_len = sm->stack_len,
	};
	int i;

	for (i = 0; i < UW_NREGS; i++)
		in.regs[i] = sm->regs[pr[i]];
	nf = st->cur_kframes; /* the chain's user part is left out */
	return nf + unwind_user(s, &in, st->frames + nf, PFRAMES - nf);
}

static int deliver_one(const struct oq_item *it, const uint8_t *r,
		       const uint8_t *aux, void *ctx)
{
	struct sonde_session *s = ctx;
	struct perf_state *st = st_of(s);
	struct psample ps = { 0 };
	struct sample sm;
	const void *rec;
	uint64_t sid, faults = it->faults, unchecked = it->unchecked;
	int probe, len, nf = 0;

	memcpy(&sid, r + 8, 8);
	probe = probe_of(st, sid);
	if (probe < 0 || parse_sample(st->stype[probe], r, it->len, &sm))
		return 0;
	if (s->opts.pid <= 0 && (int)sm.pid == st->self)
		return 0; /* system-wide: never sonde's own process */
	if (st->pp[probe].pid_check && !perf_tp_followed(s, (int)sm.pid))
		return 0; /* a tracepoint opened for every task, with -p */
	if (st->pp[probe].mode == PM_TRACEPOINT) {
		rec = sm.raw;
		len = sm.raw_len;
		if (!rec)
			return 0;
	} else {
		ps.pid = sm.pid;
		ps.tid = sm.tid;
		ps.ip = sm.ip;
		ps.regs = sm.have_regs ? sm.regs : NULL;
		ps.stack = sm.stack;
		ps.stack_len = sm.stack_len;
		ps.comm = pcomm_at(st, sm.pid, sm.tid, sm.ts);
		len = pfetch_record(s, &s->probes[probe], &st->pp[probe], &ps,
				    st->rec, st->reccap, &faults);
		/* its strings' faults (no pointers to check: perf read them) */
		if (len >= 0 && s->probes[probe].check_faults)
			faults |= fault_mask(&s->probes[probe], st->rec, len,
					     &unchecked);
		if (len < 0)
			return 0;
		rec = st->rec;
	}
	st->cur_kframes = 0;
	if (sm.chain)
		nf = frames_of(st, &sm);
	if (s->cg == SONDE_CALL_GRAPH_DWARF && sm.have_regs &&
	    probe_kind_is_user(s->probes[probe].spec.kind))
		nf = unwound(s, &sm, nf);
	else if (nf && st->pp[probe].entry_ret)
		nf = pentry_fix(&st->pp[probe], st->frames, nf, st->cur_kframes,
				sm.stack, sm.stack_len);
	return events_deliver(s, probe, rec, len, sm.ts, sm.cpu, sm.pid, sm.tid,
			      pcomm_at(st, sm.pid, sm.tid, sm.ts),
			      nf ? st->frames : NULL, nf, st->cur_kframes,
			      faults, unchecked);
}

/* Read every ring, then deliver in time order what is older than upto
 * (order.c). Returns the number of events delivered, or the callback's
 * non-zero value. */
static int read_all(struct sonde_session *s, uint64_t upto)
{
	uint64_t before = s->events;
	int cpu, err = 0, ret;

	for (cpu = 0; !err && cpu < s->ncpus; cpu++)
		err = ring_read(s, cpu);
	ret = oq_flush(&s->oq, upto, deliver_one, s);
	if (ret)
		return ret;
	if (err)
		return err;
	return (int)(s->events - before);
}

int perf_ring_poll(struct sonde_session *s, int timeout_ms)
{
	struct epoll_event evs[64];
	int n;

	if (!s || s->epfd < 0 || !st_of(s))
		return -EINVAL;
	/* wakeups come at a watermark: wait at most 50 ms, then read what
	 * is there (and hand over what was held back, order.c) */
	if (timeout_ms < 0 || timeout_ms > 50)
		timeout_ms = 50;
	n = epoll_wait(s->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return -errno;
	/* what no ring had when the round started was stamped after
	 * start - ORDER_HOLD_NS, or is late */
	return read_all(s, order_now() - ORDER_HOLD_NS);
}

/* Each event's own count of lost samples (PERF_FORMAT_LOST), summed per
 * CPU: exact even when no PERF_RECORD_LOST could be written after. */
static void lost_read(struct sonde_session *s)
{
	struct perf_state *st = st_of(s);
	uint64_t *sum = calloc(s->ncpus, sizeof(uint64_t));
	uint64_t v[3]; /* value, id, lost */
	size_t i;
	int cpu;

	if (!sum)
		return;
	for (i = 0; i < st->nfds; i++)
		if (read(st->fds[i], v, sizeof(v)) == sizeof(v) &&
		    st->fdcpu[i] >= 0 && st->fdcpu[i] < s->ncpus)
			sum[st->fdcpu[i]] += v[2];
	for (cpu = 0; cpu < s->ncpus; cpu++)
		if (sum[cpu] > s->lost[cpu])
			s->lost[cpu] = sum[cpu];
	free(sum);
}

int perf_ring_drain(struct sonde_session *s)
{
	int n;

	if (!s || !st_of(s))
		return -EINVAL;
	n = read_all(s, UINT64_MAX); /* the end: everything, in order */
	lost_read(s);
	/* A child's events come from the events it inherits at fork; with
	 * children forking and exec'ing at once, Linux (6.18 here) can leave
	 * a child's uprobes out entirely, and nothing counts what it missed
	 * (perf record misses the same children: docs/decisions.md). */
	if (st_of(s)->children)
		slog(s, SONDE_LOG_WARN,
		     "%llu child process%s followed through inherited perf "
		     "events: the kernel can miss all of a child's events "
		     "when children fork and exec concurrently, and they are "
		     "not in the lost count (--backend bpf or tracefs "
		     "follows children exactly)",
		     (unsigned long long)st_of(s)->children,
		     st_of(s)->children == 1 ? " was" : "es were");
	st_of(s)->children = 0;
	return n;
}
