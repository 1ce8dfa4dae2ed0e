/* SPDX-License-Identifier: MIT */
/*
 * Reading the bpf backend's ring buffer (libbpf's ring_buffer): each
 * record is a struct stream_hdr and the event as its tracefs format lays
 * it out, merged in time order (order.c) and delivered through
 * events_deliver() like the other backends'.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_int.h"
#include "bpf_stream.h"
#include "backend/perf/perf.h"

/* as tracefs_read.c: let records gather after a wake-up before reading them */
#define GATHER_NS 10000000L

/* libbpf's callback: the record is queued (the ring is in the order
 * records were reserved, not quite that of their time stamps, taken
 * before the args were read). */
int bpf_ring_sample(void *ctx, void *data, size_t len)
{
	struct sonde_session *s = ctx;
	struct stream_hdr h;

	if (len < sizeof(h) + 8 || len > STREAM_BUF)
		return 0;
	memcpy(&h, data, sizeof(h));
	if (h.probe >= (uint32_t)s->nprobes)
		return 0;
	return oq_push(&s->oq, h.ts, (int)h.cpu, data, len, h.faults);
}

static int hand_over(const struct oq_item *it, const uint8_t *data,
		     const uint8_t *aux, void *ctx)
{
	struct sonde_session *s = ctx;
	struct bstate *st = s->be_priv;
	struct stream_hdr h;
	const uint8_t *rec = data + sizeof(h);
	size_t len = it->len - sizeof(h);
	struct probe *p;
	uint64_t func = 0, unchecked = 0;
	char comm[sizeof(h.comm) + 1];
	int32_t tid;

	memcpy(&h, data, sizeof(h));
	p = &s->probes[h.probe];
	if (p->detached)
		return 0;
	memcpy(&tid, rec + 4, 4);
	if (probe_kind_is_return(p->spec.kind) && len >= 24) {
		/* __probe_func: where the function is in this process (the
		 * thread's /proc entry has the process's maps) */
		memcpy(st->rec, rec, len);
		if (!probe_kind_is_user(p->spec.kind))
			func = st->kfunc[h.probe];
		else
			symcache_file_addr(&s->syms, tid, p->path, p->offset,
					   &func);
		memcpy(st->rec + 8, &func, 8);
		rec = st->rec;
	}
	/* its strings' faults (no pointers to check: the program read them) */
	if (p->check_faults)
		h.faults |= fault_mask(p, rec, len, &unchecked);
	memcpy(comm, h.comm, sizeof(h.comm));
	comm[sizeof(h.comm)] = '\0';
	return events_deliver(s, (int)h.probe, rec, len, h.ts, (int)h.cpu,
			      h.tgid > 0 ? h.tgid : -1, tid, comm, NULL, 0, 0, h.faults, unchecked);
}

static void read_lost(struct sonde_session *s)
{
	struct bstate *st = s->be_priv;
	uint32_t zero = 0;
	int cpu;

	if (bpf_map_lookup_elem(st->lost_fd, &zero, st->lostv))
		return;
	for (cpu = 0; cpu < s->ncpus; cpu++)
		s->lost[cpu] = st->lostv[cpu];
}

/* Read the ring, then hand over in time order what is older than upto
 * (order.c). */
static int consume(struct sonde_session *s, uint64_t upto)
{
	uint64_t before = s->events;
	int r, ret;

	r = ring_buffer__consume(((struct bstate *)s->be_priv)->rb);
	read_lost(s);
	ret = oq_flush(&s->oq, upto, hand_over, s);
	if (ret)
		return ret;
	if (r < 0)
		return r;
	return (int)(s->events - before);
}

int bpf_ring_poll(struct sonde_session *s, int timeout_ms)
{
	struct epoll_event evs[4];
	int n;

	if (!s->be_priv || s->epfd < 0)
		return -EINVAL;
	/* held-back events are due within ORDER_HOLD_NS */
	if (!oq_empty(&s->oq) &&
	    (timeout_ms < 0 || timeout_ms > (int)(ORDER_HOLD_NS / 1000000)))
		timeout_ms = ORDER_HOLD_NS / 1000000;
	n = epoll_wait(s->epfd, evs, 4, timeout_ms);
	if (n < 0)
		return -errno;
	if (n > 0) {
		struct timespec gather = {0, GATHER_NS};

		nanosleep(&gather, NULL);
	}
	if (n == 0 && oq_empty(&s->oq))
		return 0;
	/* what the ring did not have when this read started was stamped
	 * after start - ORDER_HOLD_NS */
	return consume(s, order_now() - ORDER_HOLD_NS);
}

int bpf_ring_drain(struct sonde_session *s)
{
	if (!s->be_priv)
		return -EINVAL;
	return consume(s, UINT64_MAX); /* the end: everything, in order */
}
